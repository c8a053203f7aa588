/*
 * fifo: named pipes, from mknod(2)/mkfifo(3) to open, read, write and
 * poll.
 * Checks:
 *   mknod's types: S_IFIFO, S_IFREG (and type 0), S_IFSOCK, character
 *     devices for root; EEXIST, EPERM for S_IFDIR, EINVAL for an unknown
 *     type; the umask applies; a user without CAP_MKNOD gets EPERM for a
 *     device (EACCES first in a directory it may not write), and may make
 *     FIFOs;
 *   stat shows S_IFIFO, lseek is ESPIPE;
 *   O_RDONLY|O_NONBLOCK opens without a writer, reads EOF, and poll shows
 *     no POLLHUP until a writer has come and gone; O_WRONLY|O_NONBLOCK
 *     without a reader is ENXIO; O_RDWR never blocks;
 *   a blocking O_RDONLY open waits for a writer and a blocking O_WRONLY
 *     open for a reader; an opener that waits counts as a reader (a
 *     non-blocking writer then succeeds); data flows, EOF after the last
 *     writer closes;
 *   a signal interrupts a waiting open: EINTR without SA_RESTART (and the
 *     opener no longer counts), the open goes on after an SA_RESTART
 *     handler;
 *   what a FIFO held is gone once nobody has it open; select sees it.
 * Mirrors: mknod(2), mkfifo(3), fifo(7), pipe(7), open(2) ENXIO, Linux's
 *   fifo_open() in fs/pipe.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

static char dir[64];
static volatile sig_atomic_t handled;

static void on_alarm(int sig)
{
	(void)sig;
	handled++;
}

static const char *type_of(const char *p)
{
	struct stat st;
	if (lstat(p, &st) != 0)
		return en(errno);
	switch (st.st_mode & S_IFMT) {
	case S_IFIFO: return "fifo";
	case S_IFREG: return "regular";
	case S_IFSOCK: return "socket";
	case S_IFCHR: return "chardev";
	case S_IFBLK: return "blockdev";
	default: return "other";
	}
}

static void show_mode(const char *p)
{
	struct stat st;
	if (lstat(p, &st) != 0) {
		printf("  %s: stat %s\n", p, en(errno));
		return;
	}
	printf("  %s: %s mode %o size %lld\n", p, type_of(p), st.st_mode & 07777, (long long)st.st_size);
}

static void mknod_cases(void)
{
	printf("mknod:\n");
	umask(022);
	printf("  fifo %s\n", rc_str(mknod("f", S_IFIFO | 0666, 0)));
	printf("  again %s\n", rc_str(mknod("f", S_IFIFO | 0666, 0)));
	printf("  mkfifo existing %s\n", rc_str(mkfifo("f", 0600)));
	printf("  dir %s\n", rc_str(mknod("d", S_IFDIR | 0755, 0)));
	printf("  bad type %s\n", rc_str(mknod("x", 0170000 | 0644, 0)));
	printf("  bad type on existing %s\n", rc_str(mknod("f", 0170000 | 0644, 0)));
	printf("  dir on existing %s\n", rc_str(mknod("f", S_IFDIR | 0644, 0)));
	printf("  regular %s\n", rc_str(mknod("r", S_IFREG | 0666, 0)));
	printf("  type 0 %s\n", rc_str(mknod("z", 0640, 0)));
	printf("  socket %s\n", rc_str(mknod("s", S_IFSOCK | 0777, 0)));
	printf("  chardev %s\n", rc_str(mknod("c", S_IFCHR | 0600, makedev(1, 3))));
	printf("  mkfifo %s\n", rc_str(mkfifo("m", 0777)));
	printf("  mknodat %s\n", rc_str(mknodat(AT_FDCWD, "a", S_IFIFO | 0604, 0)));
	printf("  missing dir %s\n", rc_str(mknod("nodir/f", S_IFIFO | 0600, 0)));
	const char *names[] = {"f", "r", "z", "s", "c", "m", "a"};
	for (unsigned i = 0; i < sizeof names / sizeof *names; i++)
		show_mode(names[i]);
	struct stat st;
	if (stat("c", &st) == 0)
		printf("  c rdev %u:%u\n", major(st.st_rdev), minor(st.st_rdev));
	mkdir("ro", 0755);
	mkdir("rw", 0777);
	chmod("rw", 0777);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		if (setgid(65534) || setuid(65534)) {
			printf("  setuid failed\n");
			_exit(1);
		}
		printf("  user chardev %s\n", rc_str(mknod("rw/c", S_IFCHR | 0600, makedev(1, 3))));
		printf("  user blockdev %s\n", rc_str(mknod("rw/b", S_IFBLK | 0600, makedev(7, 0))));
		printf("  user chardev in ro %s\n", rc_str(mknod("ro/c", S_IFCHR | 0600, makedev(1, 3))));
		printf("  user fifo in ro %s\n", rc_str(mknod("ro/f", S_IFIFO | 0600, 0)));
		printf("  user fifo %s\n", rc_str(mknod("rw/f", S_IFIFO | 0600, 0)));
		printf("  user chardev existing %s\n", rc_str(mknod("rw/f", S_IFCHR | 0600, makedev(1, 3))));
		fflush(stdout);
		_exit(0);
	}
	int st2;
	waitpid(pid, &st2, 0);
	show_mode("rw/f");
}

static void nonblocking(void)
{
	printf("non-blocking opens:\n");
	printf("  writer without reader %s\n", rc_str(open("f", O_WRONLY | O_NONBLOCK)));
	int r = open("f", O_RDONLY | O_NONBLOCK);
	printf("  reader without writer %s\n", r < 0 ? rc_str(r) : "ok");
	char buf[16];
	printf("  read %s\n", rc_str(read(r, buf, sizeof buf)));
	struct pollfd p = {r, POLLIN, 0};
	{
		int n = poll(&p, 1, 0);
		printf("  poll %d revents 0x%x\n", n, p.revents);
	}
	printf("  lseek %s\n", rc_str(lseek(r, 0, SEEK_SET)));
	struct stat st;
	fstat(r, &st);
	printf("  fstat fifo %d\n", S_ISFIFO(st.st_mode));
	printf("  F_GETFL accmode %d nonblock %d\n", fcntl(r, F_GETFL) & O_ACCMODE, !!(fcntl(r, F_GETFL) & O_NONBLOCK));
	int w = open("f", O_WRONLY | O_NONBLOCK);
	printf("  writer with reader %s\n", w < 0 ? rc_str(w) : "ok");
	p.revents = 0;
	{
		int n = poll(&p, 1, 0);
		printf("  poll with writer %d revents 0x%x\n", n, p.revents);
	}
	printf("  read empty %s\n", rc_str(read(r, buf, sizeof buf)));
	printf("  write %s\n", rc_str(write(w, "abc", 3)));
	struct pollfd pw = {w, POLLOUT, 0};
	{
		int n = poll(&pw, 1, 0);
		printf("  poll writer %d revents 0x%x\n", n, pw.revents);
	}
	p.revents = 0;
	{
		int n = poll(&p, 1, 0);
		printf("  poll data %d revents 0x%x\n", n, p.revents);
	}
	close(w);
	p.revents = 0;
	{
		int n = poll(&p, 1, 0);
		printf("  poll writer gone %d revents 0x%x\n", n, p.revents);
	}
	memset(buf, 0, sizeof buf);
	printf("  read %s '%s'\n", rc_str(read(r, buf, sizeof buf)), buf);
	printf("  read after %s\n", rc_str(read(r, buf, sizeof buf)));
	close(r);
	int rw = open("f", O_RDWR);
	printf("  O_RDWR %s\n", rw < 0 ? rc_str(rw) : "ok");
	printf("  write self %s\n", rc_str(write(rw, "xyz", 3)));
	memset(buf, 0, sizeof buf);
	printf("  read self %s '%s'\n", rc_str(read(rw, buf, 2)), buf);
	close(rw);
	rw = open("f", O_RDWR | O_NONBLOCK);
	printf("  reopened: read %s (the data went with the last close)\n", rc_str(read(rw, buf, sizeof buf)));
	close(rw);
}

static void blocking(void)
{
	printf("blocking opens:\n");
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		int r = open("f", O_RDONLY);
		char buf[32] = {0};
		ssize_t n = read(r, buf, sizeof buf - 1);
		printf("  reader: open ok, read %zd '%s'\n", n, buf);
		n = read(r, buf, sizeof buf);
		printf("  reader: then %zd (EOF)\n", n);
		fflush(stdout);
		_exit(0);
	}
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	until_sleeping(path);
	/* The waiting reader counts: a non-blocking writer may open. */
	int w = open("f", O_WRONLY | O_NONBLOCK);
	printf("  writer while reader waits: %s\n", w < 0 ? rc_str(w) : "ok");
	fflush(stdout);
	write(w, "hello", 5);
	close(w);
	int st;
	waitpid(pid, &st, 0);
	printf("  reader %s\n", st_str(st));

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int w = open("f", O_WRONLY);
		printf("  writer: open ok, write %s\n", rc_str(write(w, "world", 5)));
		fflush(stdout);
		_exit(0);
	}
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	until_sleeping(path);
	int r = open("f", O_RDONLY);
	waitpid(pid, &st, 0);
	char buf[32] = {0};
	printf("  reader: read %s '%s'\n", rc_str(read(r, buf, sizeof buf - 1)), buf);
	printf("  reader: then %s\n", rc_str(read(r, buf, sizeof buf)));
	printf("  writer %s\n", st_str(st));
	close(r);

	/* select() waits for the data. */
	r = open("f", O_RDWR);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int w = open("f", O_WRONLY);
		sleep_ms(50);
		write(w, "!", 1);
		_exit(0);
	}
	fd_set rs;
	FD_ZERO(&rs);
	FD_SET(r, &rs);
	struct timeval tv = {5, 0};
	int n = select(r + 1, &rs, NULL, NULL, &tv);
	printf("  select %d readable %d\n", n, FD_ISSET(r, &rs));
	waitpid(pid, &st, 0);
	close(r);
}

static void interrupted(int restart)
{
	printf("open interrupted (%s):\n", restart ? "SA_RESTART" : "no SA_RESTART");
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		struct sigaction sa = {0};
		sa.sa_handler = on_alarm;
		sa.sa_flags = restart ? SA_RESTART : 0;
		sigaction(SIGALRM, &sa, NULL);
		struct itimerval it = {{0, 0}, {0, 100000}};
		setitimer(ITIMER_REAL, &it, NULL);
		int fd = open("f", O_RDONLY);
		printf("  child: open %s after %d handler(s)\n", fd < 0 ? rc_str(fd) : "ok", handled);
		fflush(stdout);
		_exit(0);
	}
	int st;
	if (!restart) {
		waitpid(pid, &st, 0);
		/* The interrupted opener no longer counts as a reader. */
		printf("  writer after: %s\n", rc_str(open("f", O_WRONLY | O_NONBLOCK)));
	} else {
		sleep_ms(300);
		int w = open("f", O_WRONLY);
		waitpid(pid, &st, 0);
		close(w);
	}
	printf("  child %s\n", st_str(st));
}

int main(void)
{
	strcpy(dir, "/tmp/fifoXXXXXX");
	if (!mkdtemp(dir) || chmod(dir, 0755) != 0 || chdir(dir) != 0) {
		perror("mkdtemp");
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	mknod_cases();
	nonblocking();
	blocking();
	interrupted(0);
	interrupted(1);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "%s", dir);
	const char *names[] = {"f", "r", "z", "s", "c", "m", "a", "rw/f", "rw/c", "rw/b"};
	for (unsigned i = 0; i < sizeof names / sizeof *names; i++)
		unlink(names[i]);
	rmdir("ro");
	rmdir("rw");
	chdir("/");
	printf("cleanup %s\n", rc_str(rmdir(cmd)));
	return 0;
}
