/*
 * epoll: epoll_create1, epoll_ctl and the epoll_wait family over pipes,
 * eventfds, signalfds, pidfds and other epoll instances.
 * Checks: epoll_create's size and epoll_create1's flags (EINVAL),
 *   EPOLL_CLOEXEC; epoll_ctl's errnos in Linux's order (EBADF, EPERM for
 *   a regular file, EINVAL for the instance itself or a non-epoll
 *   descriptor, EEXIST, ENOENT, EINVAL for an unknown op, EXCLUSIVE with
 *   MOD or ONESHOT or on an epoll, MOD of an EXCLUSIVE item, ELOOP);
 *   level-triggered events reported until consumed; EPOLLET reported
 *   once per new readiness; EPOLLONESHOT disarmed until MOD; DEL;
 *   EPOLLHUP and EPOLLERR reported without being asked; data words
 *   round-trip; maxevents limits and EINVAL for 0; a closed descriptor
 *   whose description lives on (dup) still reports, and one whose file
 *   is gone is dropped; a blocking wait woken by a child's write, by a
 *   child's exit through a pidfd, by a signal through a signalfd;
 *   epoll_pwait's mask lets a signal interrupt with EINTR; epoll_pwait2's
 *   timespec timeout; an epoll inside an epoll; /proc/self/fd names it.
 * Mirrors: epoll_create(2), epoll_ctl(2), epoll_wait(2), epoll(7).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void ctl(int ep, int op, int fd, uint32_t events, uint64_t data, const char *what)
{
	struct epoll_event ev = {.events = events, .data.u64 = data};
	int r = epoll_ctl(ep, op, fd, &ev);
	printf("%s: %d %s\n", what, r, r < 0 ? strerror(errno) : "");
}

static void waitn(int ep, int max, int timeout, const char *what)
{
	struct epoll_event evs[8];
	int n = epoll_wait(ep, evs, max, timeout);
	printf("%s: %d", what, n);
	if (n < 0)
		printf(" %s", strerror(errno));
	for (int i = 0; i < n; i++)
		printf(" [%#x %llu]", evs[i].events, (unsigned long long)evs[i].data.u64);
	printf("\n");
}

static void onsig(int s)
{
	(void)s;
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	errno = 0;
	{
		int r = syscall(SYS_epoll_create, 0);
		printf("create(0): %d %s\n", r, strerror(errno));
	}
	errno = 0;
	{
		int r = epoll_create1(1);
		printf("create1(1): %d %s\n", r, strerror(errno));
	}
	int ep = epoll_create1(EPOLL_CLOEXEC);
	printf("cloexec: %d\n", !!(fcntl(ep, F_GETFD) & FD_CLOEXEC));
	char link[64], path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", ep);
	ssize_t ln = readlink(path, link, sizeof link - 1);
	link[ln > 0 ? ln : 0] = 0;
	printf("link: %s\n", link);

	int p[2];
	pipe(p);
	int reg = open("/proc/self/exe", O_RDONLY);
	int nul = open("/dev/null", O_RDONLY);
	ctl(ep, EPOLL_CTL_ADD, 999, EPOLLIN, 0, "add bad fd");
	ctl(999, EPOLL_CTL_ADD, p[0], EPOLLIN, 0, "bad epfd");
	ctl(ep, EPOLL_CTL_ADD, reg, EPOLLIN, 0, "add regular");
	ctl(ep, EPOLL_CTL_ADD, nul, EPOLLIN, 0, "add /dev/null");
	ctl(ep, EPOLL_CTL_ADD, ep, EPOLLIN, 0, "add itself");
	ctl(p[0], EPOLL_CTL_ADD, p[1], EPOLLIN, 0, "not epoll");
	ctl(ep, EPOLL_CTL_MOD, p[0], EPOLLIN, 0, "mod absent");
	ctl(ep, EPOLL_CTL_DEL, p[0], 0, 0, "del absent");
	ctl(ep, 99, p[0], EPOLLIN, 0, "bad op");
	ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN, 7, "add pipe");
	ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN, 7, "add again");
	ctl(ep, EPOLL_CTL_ADD, p[1], EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT, 0, "exclusive+oneshot");
	ctl(ep, EPOLL_CTL_ADD, p[1], EPOLLOUT | EPOLLEXCLUSIVE, 8, "exclusive");
	ctl(ep, EPOLL_CTL_MOD, p[1], EPOLLOUT, 8, "mod exclusive item");
	ctl(ep, EPOLL_CTL_MOD, p[0], EPOLLIN | EPOLLEXCLUSIVE, 8, "mod to exclusive");
	errno = 0;
	{
		int r = epoll_ctl(ep, EPOLL_CTL_MOD, p[0], (void *)8);
		printf("bad event ptr: %d %s\n", r, strerror(errno));
	}

	struct epoll_event evs[2];
	errno = 0;
	{
		int r = epoll_wait(ep, evs, 0, 0);
		printf("wait max 0: %d %s\n", r, strerror(errno));
	}
	errno = 0;
	{
		int r = epoll_wait(p[0], evs, 1, 0);
		printf("wait on pipe: %d %s\n", r, strerror(errno));
	}
	waitn(ep, 8, 0, "writable only");
	ctl(ep, EPOLL_CTL_DEL, p[1], 0, 0, "del exclusive");
	waitn(ep, 8, 0, "nothing");
	write(p[1], "ab", 2);
	waitn(ep, 8, 0, "level 1");
	waitn(ep, 8, 0, "level 2");
	char buf[8];
	read(p[0], buf, 2);
	waitn(ep, 8, 0, "drained");

	/* Edge-triggered. */
	ctl(ep, EPOLL_CTL_MOD, p[0], EPOLLIN | EPOLLET, 9, "mod et");
	write(p[1], "a", 1);
	waitn(ep, 8, 0, "et 1");
	waitn(ep, 8, 0, "et 2");
	read(p[0], buf, 1);
	write(p[1], "b", 1);
	waitn(ep, 8, 0, "et after drain");
	read(p[0], buf, 1);

	/* One-shot. */
	ctl(ep, EPOLL_CTL_MOD, p[0], EPOLLIN | EPOLLONESHOT, 10, "mod oneshot");
	write(p[1], "c", 1);
	waitn(ep, 8, 0, "oneshot 1");
	waitn(ep, 8, 0, "oneshot 2");
	ctl(ep, EPOLL_CTL_MOD, p[0], EPOLLIN | EPOLLONESHOT, 11, "rearm");
	waitn(ep, 8, 0, "oneshot rearmed");
	read(p[0], buf, 1);

	/* Hang-up and error without asking. */
	int q[2];
	pipe(q);
	ctl(ep, EPOLL_CTL_ADD, q[0], 0, 20, "add q read end, no events");
	ctl(ep, EPOLL_CTL_ADD, q[1], 0, 21, "add q write end, no events");
	close(q[1]);
	waitn(ep, 8, 0, "hup");
	ctl(ep, EPOLL_CTL_DEL, q[0], 0, 0, "del q");
	close(q[0]);
	waitn(ep, 8, 0, "q write end gone");

	/* A closed descriptor whose description lives on, and maxevents. */
	int e1 = eventfd(1, 0), e2 = eventfd(1, 0);
	ctl(ep, EPOLL_CTL_ADD, e1, EPOLLIN, 30, "add e1");
	ctl(ep, EPOLL_CTL_ADD, e2, EPOLLIN, 31, "add e2");
	waitn(ep, 1, 0, "max 1");
	waitn(ep, 8, 0, "max 8");
	int keep = dup(e1);
	close(e1);
	waitn(ep, 8, 0, "e1 closed, dup alive");
	close(keep);
	waitn(ep, 8, 0, "e1 gone");
	close(e2);
	waitn(ep, 8, 0, "e2 gone");

	/* Blocking: a child's write. */
	ctl(ep, EPOLL_CTL_MOD, p[0], EPOLLIN, 40, "mod level");
	pid_t c = fork();
	if (c == 0) {
		usleep(20000);
		write(p[1], "x", 1);
		_exit(0);
	}
	waitn(ep, 8, 5000, "woken by write");
	read(p[0], buf, 1);
	waitpid(c, NULL, 0);

	/* Blocking: a child's exit through a pidfd. */
	c = fork();
	if (c == 0) {
		usleep(20000);
		_exit(3);
	}
	int pfd = syscall(SYS_pidfd_open, c, 0);
	ctl(ep, EPOLL_CTL_ADD, pfd, EPOLLIN, 50, "add pidfd");
	waitn(ep, 8, 5000, "child exited");
	waitpid(c, NULL, 0);
	ctl(ep, EPOLL_CTL_DEL, pfd, 0, 0, "del pidfd");
	close(pfd);

	/* Blocking: a signal through a signalfd. */
	sigset_t m;
	sigemptyset(&m);
	sigaddset(&m, SIGUSR1);
	sigprocmask(SIG_BLOCK, &m, NULL);
	int sfd = signalfd(-1, &m, 0);
	ctl(ep, EPOLL_CTL_ADD, sfd, EPOLLIN, 60, "add signalfd");
	c = fork();
	if (c == 0) {
		usleep(20000);
		kill(getppid(), SIGUSR1);
		_exit(0);
	}
	waitn(ep, 8, 5000, "signal queued");
	struct signalfd_siginfo si;
	ssize_t got = read(sfd, &si, sizeof si);
	printf("signalfd read: %zd signo %u\n", got, si.ssi_signo);
	waitpid(c, NULL, 0);
	close(sfd);
	waitn(ep, 8, 0, "signalfd gone");

	/* epoll_pwait's mask: SIGUSR2 unblocked only while waiting. */
	signal(SIGUSR2, onsig);
	sigset_t b;
	sigemptyset(&b);
	sigaddset(&b, SIGUSR2);
	sigprocmask(SIG_BLOCK, &b, NULL);
	kill(getpid(), SIGUSR2);
	sigset_t during;
	sigprocmask(SIG_BLOCK, NULL, &during);
	sigdelset(&during, SIGUSR2);
	errno = 0;
	{
		int r = epoll_pwait(ep, evs, 2, 5000, &during);
		printf("pwait: %d %s\n", r, strerror(errno));
	}
	sigset_t now;
	sigprocmask(SIG_BLOCK, NULL, &now);
	printf("mask restored: %d\n", sigismember(&now, SIGUSR2));

	/* epoll_pwait2 with a timespec. */
	struct timespec ts = {0, 30000000}, t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int n = syscall(SYS_epoll_pwait2, ep, evs, 2, &ts, NULL, 8);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	printf("pwait2: %d waited>=30ms %d\n", n, ms >= 29);
	struct timespec bad = {0, 2000000000};
	errno = 0;
	{
		long r = syscall(SYS_epoll_pwait2, ep, evs, 2, &bad, NULL, 8);
		printf("pwait2 bad ts: %ld %s\n", r, strerror(errno));
	}

	/* Nesting. */
	int outer = epoll_create1(0);
	ctl(outer, EPOLL_CTL_ADD, ep, EPOLLIN, 70, "add inner");
	ctl(ep, EPOLL_CTL_ADD, outer, EPOLLIN, 71, "loop");
	ctl(outer, EPOLL_CTL_ADD, ep, EPOLLIN, 72, "add inner again");
	int third = epoll_create1(0);
	ctl(third, EPOLL_CTL_ADD, ep, EPOLLIN | EPOLLEXCLUSIVE, 73, "exclusive on epoll");
	waitn(outer, 8, 0, "inner idle");
	write(p[1], "y", 1);
	waitn(outer, 8, 0, "inner ready");
	waitn(ep, 8, 0, "inner itself");
	read(p[0], buf, 1);
	waitn(outer, 8, 0, "inner idle again");
	return 0;
}
