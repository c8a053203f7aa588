/*
 * pipe_size: F_GETPIPE_SZ, F_SETPIPE_SZ and the pipe limits of
 * /proc/sys/fs.
 * Checks:
 *   a new pipe holds 65536 bytes; F_SETPIPE_SZ rounds up to a power of
 *     two pages, at least one page, and returns the new size; EINVAL
 *     above 2 GiB; EBADF for a descriptor that is not a pipe; either end
 *     answers;
 *   shrinking below the pages the data holds is EBUSY, and succeeds once
 *     they are read; a full pipe of one page takes 4096 bytes, no more;
 *   /proc/sys/fs/pipe-max-size, pipe-user-pages-soft and -hard read
 *     Linux's defaults, are 0644 root-owned, a user may not open them for
 *     writing, root may write them (a negative size is EINVAL);
 *   a user without CAP_SYS_RESOURCE may not grow a pipe past
 *     pipe-max-size (EPERM) but may shrink it; once the user's pipes hold
 *     more than pipe-user-pages-soft pages, a new pipe gets two pages and
 *     may not grow (EPERM), though it may shrink.
 * Mirrors: fcntl(2) F_SETPIPE_SZ, pipe(7) "/proc files", Linux's
 *   pipe_set_size(), round_pipe_size(), alloc_pipe_info() and
 *   too_many_pipe_buffers_soft() in fs/pipe.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

static void show_file(const char *path)
{
	char buf[64] = {0};
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
	struct stat st;
	stat(path, &st);
	printf("  %s: %s", path, n > 0 ? buf : "?\n");
	printf("    mode %o uid %d\n", st.st_mode & 07777, (int)st.st_uid);
	if (fd >= 0)
		close(fd);
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);
	if (fd < 0) {
		printf("  write %s: open %s\n", text, en(errno));
		return;
	}
	printf("  write %s: %s\n", text, rc_str(write(fd, text, strlen(text))));
	close(fd);
}

static void sizes(void)
{
	int p[2];
	pipe(p);
	printf("sizes:\n");
	printf("  new %d\n", fcntl(p[0], F_GETPIPE_SZ));
	long asks[] = {0, 1, 4095, 4096, 4097, 8192, 12288, 65535, 100000, 1048576, 65536};
	for (unsigned i = 0; i < sizeof asks / sizeof *asks; i++) {
		printf("  set %ld: %s", asks[i], rc_str(fcntl(p[1], F_SETPIPE_SZ, asks[i])));
		printf(" get %d\n", fcntl(p[0], F_GETPIPE_SZ));
	}
	printf("  set 2^31+1: %s\n", rc_str(fcntl(p[1], F_SETPIPE_SZ, (1L << 31) + 1)));
	printf("  set -1: %s\n", rc_str(fcntl(p[1], F_SETPIPE_SZ, -1)));
	printf("  get on stdin-like /dev/null: %s\n", rc_str(fcntl(open("/dev/null", O_RDONLY), F_GETPIPE_SZ)));
	char data[8192];
	memset(data, 'x', sizeof data);
	printf("busy:\n");
	printf("  write 5000 %s\n", rc_str(write(p[1], data, 5000)));
	printf("  shrink to 4096: %s\n", rc_str(fcntl(p[1], F_SETPIPE_SZ, 4096)));
	printf("  shrink to 8192: %s\n", rc_str(fcntl(p[1], F_SETPIPE_SZ, 8192)));
	printf("  read 4096 %s\n", rc_str(read(p[0], data, 4096)));
	printf("  shrink to 4096: %s\n", rc_str(fcntl(p[1], F_SETPIPE_SZ, 4096)));
	printf("  read %s\n", rc_str(read(p[0], data, sizeof data)));
	fcntl(p[1], F_SETFL, O_NONBLOCK);
	printf("  write 8192 into one page: %s\n", rc_str(write(p[1], data, 8192)));
	printf("  then %s\n", rc_str(write(p[1], data, 1)));
	close(p[0]);
	close(p[1]);
}

static void as_user(void)
{
	if (setgid(54321) || setuid(54321)) {
		printf("  setuid failed\n");
		return;
	}
	write_file("/proc/sys/fs/pipe-max-size", "1048576");
	int p[2];
	pipe(p);
	printf("  grow to 2 MiB: %s\n", rc_str(fcntl(p[0], F_SETPIPE_SZ, 2 << 20)));
	printf("  grow to 1 MiB: %s\n", rc_str(fcntl(p[0], F_SETPIPE_SZ, 1 << 20)));
	printf("  shrink to 8192: %s\n", rc_str(fcntl(p[0], F_SETPIPE_SZ, 8192)));
	close(p[0]);
	close(p[1]);
	/* 64 pipes of 256 pages reach the soft limit of 16384 pages. */
	int fds[80][2];
	int grown = 0;
	for (int i = 0; i < 64; i++) {
		pipe(fds[i]);
		if (fcntl(fds[i][0], F_SETPIPE_SZ, 1 << 20) == 1 << 20)
			grown++;
	}
	printf("  grown to 1 MiB: %d pipes\n", grown);
	pipe(fds[64]);
	printf("  next pipe: %d\n", fcntl(fds[64][0], F_GETPIPE_SZ));
	printf("  grow it: %s\n", rc_str(fcntl(fds[64][0], F_SETPIPE_SZ, 65536)));
	printf("  grow it to 8192: %s\n", rc_str(fcntl(fds[64][0], F_SETPIPE_SZ, 8192)));
	printf("  shrink it: %s\n", rc_str(fcntl(fds[64][0], F_SETPIPE_SZ, 4096)));
	printf("  grow an old one: %s\n", rc_str(fcntl(fds[0][0], F_SETPIPE_SZ, 2 << 20)));
	printf("  shrink an old one: %s\n", rc_str(fcntl(fds[0][0], F_SETPIPE_SZ, 65536)));
	pipe(fds[65]);
	printf("  a pipe after: %d\n", fcntl(fds[65][0], F_GETPIPE_SZ));
	for (int i = 0; i < 64; i++) {
		close(fds[i][0]);
		close(fds[i][1]);
	}
	pipe(fds[66]);
	printf("  after closing them: %d\n", fcntl(fds[66][0], F_GETPIPE_SZ));
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	sizes();
	printf("/proc/sys/fs:\n");
	show_file("/proc/sys/fs/pipe-max-size");
	show_file("/proc/sys/fs/pipe-user-pages-soft");
	show_file("/proc/sys/fs/pipe-user-pages-hard");
	write_file("/proc/sys/fs/pipe-max-size", "-1");
	write_file("/proc/sys/fs/pipe-max-size", "1048576");
	show_file("/proc/sys/fs/pipe-max-size");
	printf("as a user:\n");
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		as_user();
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	printf("  %s\n", st_str(st));
	return 0;
}
