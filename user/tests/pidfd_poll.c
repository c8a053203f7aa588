/*
 * pidfd_poll: a pidfd becomes readable when its process exits, and a
 * poller asleep on it is woken then (not only at its timeout); waitid
 * on a non-blocking pidfd does not block; a /proc/<pid> directory
 * descriptor stands for the process in pidfd_send_signal.
 * Mirrors: pidfd_open(2) (poll, PIDFD_NONBLOCK), waitid(2) (P_PIDFD,
 *   EAGAIN), pidfd_send_signal(2) ("the pidfd ... or a file descriptor
 *   referring to a /proc/<pid> directory").
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif
#define PIDFD_NONBLOCK O_NONBLOCK

static long ms_since(struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);

	/* A child that exits after 200 ms; poll with a 10 s timeout. */
	pid_t c = fork();
	if (c == 0) {
		sleep_ms(200);
		_exit(5);
	}
	int fd = syscall(SYS_pidfd_open, c, 0);
	struct pollfd p = {fd, POLLIN, 0};
	printf("poll before exit (0 ms): %d revents %#x\n", poll(&p, 1, 0), p.revents);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int n = poll(&p, 1, 10000);
	long ms = ms_since(&t0);
	printf("poll: %d revents %#x, woken %s\n", n, p.revents, ms < 5000 ? "at the exit" : "at the timeout");
	siginfo_t si;
	memset(&si, 0, sizeof si);
	long r = waitid(P_PIDFD, fd, &si, WEXITED);
	printf("waitid(P_PIDFD): %s pid ok %d status %d\n", rc_str(r), si.si_pid == c, si.si_status);
	close(fd);

	/* A non-blocking pidfd: waitid answers EAGAIN rather than blocking,
	 * or 0 with WNOHANG. */
	int go[2];
	pipe(go);
	c = fork();
	if (c == 0) {
		char x;
		read(go[0], &x, 1);
		_exit(0);
	}
	fd = syscall(SYS_pidfd_open, c, PIDFD_NONBLOCK);
	memset(&si, 0, sizeof si);
	printf("waitid(nonblocking pidfd): %s\n", rc_str(waitid(P_PIDFD, fd, &si, WEXITED)));
	r = waitid(P_PIDFD, fd, &si, WEXITED | WNOHANG);
	printf("waitid(nonblocking pidfd, WNOHANG): %s si_pid %d\n", rc_str(r), si.si_pid);
	write(go[1], "x", 1);
	p.fd = fd;
	p.revents = 0;
	poll(&p, 1, 10000);
	printf("after exit: %s\n", rc_str(waitid(P_PIDFD, fd, &si, WEXITED)));
	close(fd);

	/* Signals through /proc/<pid>. */
	c = fork();
	if (c == 0) {
		pause();
		_exit(0);
	}
	char path[64];
	snprintf(path, sizeof path, "/proc/%d", c);
	int dir = open(path, O_RDONLY | O_DIRECTORY);
	printf("pidfd_send_signal(/proc/<pid>, 0): %s\n", rc_str(syscall(SYS_pidfd_send_signal, dir, 0, NULL, 0)));
	snprintf(path, sizeof path, "/proc/%d/task/%d", c, c);
	int tdir = open(path, O_RDONLY | O_DIRECTORY);
	printf("pidfd_send_signal(/proc/<pid>/task/<tid>): %s\n", rc_str(syscall(SYS_pidfd_send_signal, tdir, SIGTERM, NULL, 0)));
	int null = open("/dev/null", O_RDONLY);
	printf("pidfd_send_signal(/dev/null): %s\n", rc_str(syscall(SYS_pidfd_send_signal, null, SIGTERM, NULL, 0)));
	printf("pidfd_send_signal(/proc/<pid>, SIGTERM): %s\n", rc_str(syscall(SYS_pidfd_send_signal, dir, SIGTERM, NULL, 0)));
	int st;
	waitpid(c, &st, 0);
	printf("child: %s\n", st_str(st));
	printf("pidfd_send_signal(/proc/<pid> of a reaped child): %s\n", rc_str(syscall(SYS_pidfd_send_signal, dir, SIGTERM, NULL, 0)));
	printf("waitid(P_PIDFD, /proc/<pid>): %s\n", rc_str(waitid(P_PIDFD, dir, &si, WEXITED)));
	printf("done\n");
	return 0;
}
