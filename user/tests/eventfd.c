/*
 * eventfd: the counter file of eventfd(2).
 * Checks: the initial value is read back and the counter drops to 0; reads
 *   of an empty counter are EAGAIN with EFD_NONBLOCK; writes add up;
 *   EFD_SEMAPHORE reads take 1 at a time; a write that would pass
 *   2^64 - 2 is EAGAIN, the value 2^64 - 1 EINVAL; reads and writes of
 *   fewer than 8 bytes are EINVAL; unknown flags EINVAL; poll shows
 *   POLLIN only with a non-zero counter and POLLOUT below the maximum; a
 *   blocking read sleeps until a child's write wakes it; a poll sleeping
 *   on it wakes too; fstat's mode is 0600 without a type;
 *   /proc/self/fd names it anon_inode:[eventfd]; EFD_CLOEXEC sets
 *   FD_CLOEXEC.
 * Mirrors: eventfd(2) (read, write, poll, EFD_SEMAPHORE, EFD_NONBLOCK,
 *   EINVAL), poll(2).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void rd(int fd)
{
	uint64_t v = 0;
	ssize_t n = read(fd, &v, 8);
	if (n < 0)
		printf("read: %s\n", strerror(errno));
	else
		printf("read %zd: %llu\n", n, (unsigned long long)v);
}

static void wr(int fd, uint64_t v)
{
	ssize_t n = write(fd, &v, 8);
	if (n < 0)
		printf("write %llu: %s\n", (unsigned long long)v, strerror(errno));
	else
		printf("write %llu: %zd\n", (unsigned long long)v, n);
}

static void pl(int fd)
{
	struct pollfd p = { fd, POLLIN | POLLOUT, 0 };
	int n = poll(&p, 1, 0);
	printf("poll: %d in=%d out=%d\n", n, !!(p.revents & POLLIN), !!(p.revents & POLLOUT));
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	int fd = eventfd(5, EFD_NONBLOCK | EFD_CLOEXEC);
	printf("cloexec: %d\n", fcntl(fd, F_GETFD) & FD_CLOEXEC);
	pl(fd);
	rd(fd);
	rd(fd);
	pl(fd);
	wr(fd, 3);
	wr(fd, 4);
	rd(fd);
	wr(fd, UINT64_MAX);
	wr(fd, UINT64_MAX - 1);
	pl(fd);
	wr(fd, 1);
	rd(fd);
	char small[4];
	wr(fd, 1);
	ssize_t r = read(fd, small, 4);
	printf("short read: %zd %s\n", r, strerror(errno));
	r = write(fd, small, 4);
	printf("short write: %zd %s\n", r, strerror(errno));
	int e = eventfd(0, 0x40);
	printf("bad flags: %d %s\n", e, strerror(errno));
	struct stat st;
	fstat(fd, &st);
	printf("mode %o\n", st.st_mode);
	char link[64], path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(path, link, sizeof link - 1);
	link[n > 0 ? n : 0] = 0;
	printf("link %s\n", link);
	close(fd);

	int sem = eventfd(2, EFD_SEMAPHORE | EFD_NONBLOCK);
	rd(sem);
	rd(sem);
	rd(sem);
	close(sem);

	/* A blocking read woken by a child's write, then a poll. */
	int b = eventfd(0, 0);
	pid_t pid = fork();
	if (pid == 0) {
		usleep(20000);
		uint64_t v = 7;
		write(b, &v, 8);
		usleep(20000);
		v = 9;
		write(b, &v, 8);
		_exit(0);
	}
	rd(b);
	struct pollfd p = { b, POLLIN, 0 };
	int ready = poll(&p, 1, 5000);
	printf("poll wait: %d in=%d\n", ready, !!(p.revents & POLLIN));
	rd(b);
	waitpid(pid, NULL, 0);
	return 0;
}
