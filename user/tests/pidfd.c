/*
 * pidfd: process file descriptors -- pidfd_open(2), pidfd_send_signal(2),
 * waitid(P_PIDFD), CLONE_PIDFD (clone3 and legacy clone), poll on a pidfd
 * and pidfd_getfd(2); all called raw.
 * Checks:
 *   pidfd_open(child, 0): fd >= 0 with FD_CLOEXEC; PIDFD_NONBLOCK sets
 *     O_NONBLOCK; unknown flags (1) -> EINVAL; pid 0 and -1 -> EINVAL; a
 *     PID nobody has -> ESRCH; a thread that is not the leader -> ENOENT,
 *     with PIDFD_THREAD it works; read() on a pidfd -> EINVAL;
 *   poll(POLLIN) on a pidfd: 0 while the child runs, POLLIN once it has
 *     exited (before it is reaped);
 *   pidfd_send_signal: signal 0 to a live child -> 0; SIGKILL kills it
 *     (waitpid: SIGKILL); unknown flags (0x100) -> EINVAL; signal 65 ->
 *     EINVAL; a pipe fd -> EBADF, fd 999 -> EBADF; to an exited, not yet
 *     reaped child -> 0; after it was reaped -> ESRCH; with a siginfo
 *     whose si_signo differs -> EINVAL, with si_code SI_USER to another
 *     process -> EPERM, with si_code SI_QUEUE and a value: the child's
 *     sigwaitinfo sees SIGUSR1, SI_QUEUE, the value and the si_pid the
 *     caller put in the siginfo (12345, taken as given);
 *   waitid(P_PIDFD): WNOHANG on a running child returns 0 with si_pid 0;
 *     WEXITED reaps it (si_pid the child, CLD_EXITED, si_status), the
 *     child is then gone (waitpid -> ECHILD); on a pipe fd -> EBADF; on
 *     the test's own pidfd -> ECHILD;
 *   CLONE_PIDFD: clone3 stores the pidfd in *args.pidfd (FD_CLOEXEC),
 *     legacy clone in *parent_tid; each pidfd reaps its child through
 *     waitid(P_PIDFD);
 *   pidfd_getfd: copies a child's fd (FD_CLOEXEC on the copy; data written
 *     through it reaches the child's pipe); flags 1 -> EINVAL; an fd the
 *     child does not have -> EBADF.
 * Mirrors: pidfd_open(2), pidfd_send_signal(2), pidfd_getfd(2), wait(2)
 *   (waitid P_PIDFD), clone(2) (CLONE_PIDFD), poll(2).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

#define NR_pidfd_send_signal 424
#define NR_pidfd_open 434
#define NR_clone3 435
#define NR_pidfd_getfd 438
#define P_PIDFD_ 3
#define PIDFD_NONBLOCK O_NONBLOCK
#define PIDFD_THREAD O_EXCL
#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif

struct clone_args_ {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal;
	uint64_t stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};

/* "0"/"fd" for success, the errno name otherwise */
static const char *res(long r)
{
	return r < 0 ? en(errno) : "0";
}

static int pidfd_open(pid_t pid, unsigned flags)
{
	return (int)syscall(NR_pidfd_open, pid, flags);
}

static int pidfd_send_signal(int fd, int sig, siginfo_t *info, unsigned flags)
{
	return (int)syscall(NR_pidfd_send_signal, fd, sig, info, flags);
}

static int gate[2];

/* a child that waits for a byte on gate[0] (or its closing), then exits */
static pid_t gated_child(int code)
{
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		char b;
		close(gate[1]);
		read(gate[0], &b, 1);
		_exit(code);
	}
	return c;
}

static int cloexec(int fd)
{
	int f = fcntl(fd, F_GETFD);
	return f >= 0 && (f & FD_CLOEXEC);
}

/* block until pid has terminated, without reaping it */
static void until_zombie(pid_t pid)
{
	siginfo_t si;
	waitid(P_PID, pid, &si, WEXITED | WNOWAIT);
}

static volatile pid_t thread_tid;
static volatile int thread_stop;

static void *idle_thread(void *a)
{
	(void)a;
	thread_tid = (pid_t)syscall(SYS_gettid);
	while (!thread_stop)
		sleep_ms(1);
	return NULL;
}

static void open_tests(void)
{
	int st;
	printf("-- pidfd_open\n");
	pipe(gate);
	pid_t c = gated_child(3);
	int fd = pidfd_open(c, 0);
	printf("pidfd_open(child, 0): %s, FD_CLOEXEC: %s\n", fd >= 0 ? "fd" : en(errno),
	       fd >= 0 && cloexec(fd) ? "yes" : "no");
	int nb = pidfd_open(c, PIDFD_NONBLOCK);
	int fl = nb >= 0 ? fcntl(nb, F_GETFL) : -1;
	printf("pidfd_open(child, PIDFD_NONBLOCK): %s, O_NONBLOCK: %s\n", nb >= 0 ? "fd" : en(errno),
	       fl >= 0 && (fl & O_NONBLOCK) ? "yes" : "no");
	if (nb >= 0)
		close(nb);
	printf("pidfd_open(child, 1): %s\n", res(pidfd_open(c, 1)));
	printf("pidfd_open(0, 0): %s\n", res(pidfd_open(0, 0)));
	printf("pidfd_open(-1, 0): %s\n", res(pidfd_open(-1, 0)));
	pid_t nobody = 30000;
	while (kill(nobody, 0) == 0 || errno != ESRCH)
		nobody++;
	printf("pidfd_open(a PID nobody has, 0): %s\n", res(pidfd_open(nobody, 0)));
	char b;
	if (fd >= 0) {
		long r = read(fd, &b, 1);
		printf("read(pidfd): %s\n", r < 0 ? en(errno) : "data");
	}

	struct pollfd pfd = {fd, POLLIN, 0};
	int pr = poll(&pfd, 1, 0);
	printf("poll(pidfd) while the child runs: %d\n", pr);
	write(gate[1], "x", 1);
	until_zombie(c);
	pfd.revents = 0;
	pr = poll(&pfd, 1, 1000);
	printf("poll(pidfd) after it exited: %d, POLLIN: %s\n", pr, pfd.revents & POLLIN ? "yes" : "no");
	waitpid(c, &st, 0);
	if (fd >= 0)
		close(fd);
	close(gate[0]);
	close(gate[1]);

	pthread_t th;
	thread_tid = 0;
	thread_stop = 0;
	pthread_create(&th, NULL, idle_thread, NULL);
	while (thread_tid == 0)
		sleep_ms(1);
	int tfd = pidfd_open(thread_tid, 0);
	printf("pidfd_open(a non-leader thread, 0): %s\n", tfd >= 0 ? "fd" : en(errno));
	if (tfd >= 0)
		close(tfd);
	tfd = pidfd_open(thread_tid, PIDFD_THREAD);
	printf("pidfd_open(a non-leader thread, PIDFD_THREAD): %s\n", tfd >= 0 ? "fd" : en(errno));
	if (tfd >= 0)
		close(tfd);
	thread_stop = 1;
	pthread_join(th, NULL);
}

static void signal_tests(void)
{
	int st;
	printf("-- pidfd_send_signal\n");
	pipe(gate);
	pid_t c = gated_child(4);
	int fd = pidfd_open(c, 0);
	printf("signal 0 to a live child: %s\n", res(pidfd_send_signal(fd, 0, NULL, 0)));
	printf("flags 0x100: %s\n", res(pidfd_send_signal(fd, SIGTERM, NULL, 0x100)));
	printf("signal 65: %s\n", res(pidfd_send_signal(fd, 65, NULL, 0)));
	printf("on a pipe fd: %s\n", res(pidfd_send_signal(gate[0], SIGTERM, NULL, 0)));
	printf("on fd 999: %s\n", res(pidfd_send_signal(999, SIGTERM, NULL, 0)));
	siginfo_t si;
	memset(&si, 0, sizeof si);
	si.si_signo = SIGUSR1;
	si.si_code = SI_QUEUE;
	printf("siginfo si_signo SIGUSR1 with signal SIGTERM: %s\n", res(pidfd_send_signal(fd, SIGTERM, &si, 0)));
	si.si_signo = SIGTERM;
	si.si_code = SI_USER;
	printf("siginfo si_code SI_USER to another process: %s\n", res(pidfd_send_signal(fd, SIGTERM, &si, 0)));
	int r = pidfd_send_signal(fd, SIGKILL, NULL, 0);
	pid_t w = waitpid(c, &st, 0);
	printf("SIGKILL: %s; waitpid: %s, %s\n", res(r), w == c ? "the child" : en(errno), st_str(st));
	printf("after it was reaped: %s\n", res(pidfd_send_signal(fd, SIGKILL, NULL, 0)));
	close(fd);
	close(gate[0]);
	close(gate[1]);

	pipe(gate);
	c = gated_child(5);
	fd = pidfd_open(c, 0);
	close(gate[1]);
	until_zombie(c);
	printf("SIGKILL to an exited, unreaped child: %s\n", res(pidfd_send_signal(fd, SIGKILL, NULL, 0)));
	waitpid(c, &st, 0);
	printf("  it stays %s\n", st_str(st));
	close(fd);
	close(gate[0]);

	/* SI_QUEUE with a value, taken by the child's sigwaitinfo */
	sigset_t s, old;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	sigprocmask(SIG_BLOCK, &s, &old);
	fflush(stdout);
	c = fork();
	if (c == 0) {
		siginfo_t got;
		int sig = sigwaitinfo(&s, &got);
		_exit((sig == SIGUSR1) | (got.si_code == SI_QUEUE) << 1 | (got.si_value.sival_int == 42) << 2 |
		      (got.si_pid == 12345) << 3);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	fd = pidfd_open(c, 0);
	memset(&si, 0, sizeof si);
	si.si_signo = SIGUSR1;
	si.si_code = SI_QUEUE;
	si.si_value.sival_int = 42;
	si.si_pid = 12345; /* taken as given */
	r = pidfd_send_signal(fd, SIGUSR1, &si, 0);
	waitpid(c, &st, 0);
	int got = WIFEXITED(st) ? WEXITSTATUS(st) : 0;
	printf("SIGUSR1 with SI_QUEUE and value 42: %s; the child's sigwaitinfo: SIGUSR1 %s, SI_QUEUE "
	       "%s, value 42 %s, si_pid as given (12345) %s\n",
	       res(r), got & 1 ? "yes" : "no", got & 2 ? "yes" : "no", got & 4 ? "yes" : "no",
	       got & 8 ? "yes" : "no");
	close(fd);
}

static void show_si(const char *what, int r, siginfo_t *si, pid_t want)
{
	if (r < 0) {
		printf("%s: %s\n", what, en(errno));
		return;
	}
	printf("%s: %d si_pid=%s si_code=%s si_status=%d\n", what, r,
	       si->si_pid == want ? "child" : si->si_pid == 0 ? "0" : "other",
	       si->si_code == CLD_EXITED ? "CLD_EXITED" : si->si_code == CLD_KILLED ? "CLD_KILLED"
	       : si->si_code == 0 ? "0" : "other",
	       si->si_status);
}

static void waitid_tests(void)
{
	siginfo_t si;
	printf("-- waitid(P_PIDFD)\n");
	pipe(gate);
	pid_t c = gated_child(6);
	int fd = pidfd_open(c, 0);
	memset(&si, 0x5a, sizeof si);
	int r = waitid(P_PIDFD_, fd, &si, WEXITED | WNOHANG);
	show_si("WNOHANG while running", r, &si, c);
	close(gate[1]);
	memset(&si, 0, sizeof si);
	r = waitid(P_PIDFD_, fd, &si, WEXITED);
	show_si("WEXITED", r, &si, c);
	pid_t w = waitpid(c, NULL, WNOHANG);
	printf("waitpid(child) afterwards: %s\n", w < 0 ? en(errno) : "returned");
	r = waitid(P_PIDFD_, fd, &si, WEXITED | WNOHANG);
	printf("waitid(P_PIDFD) again: %s\n", r < 0 ? en(errno) : "0");
	r = waitid(P_PIDFD_, gate[0], &si, WEXITED);
	printf("waitid(P_PIDFD, a pipe fd): %s\n", r < 0 ? en(errno) : "0");
	int selfd = pidfd_open(getpid(), 0);
	r = waitid(P_PIDFD_, selfd, &si, WEXITED | WNOHANG);
	printf("waitid(P_PIDFD, own pidfd): %s\n", r < 0 ? en(errno) : "0");
	if (selfd >= 0)
		close(selfd);
	close(fd);
	close(gate[0]);
}

static void clone_pidfd(void)
{
	siginfo_t si;
	printf("-- CLONE_PIDFD\n");
	struct clone_args_ a;
	int pfd = -1;
	memset(&a, 0, sizeof a);
	a.flags = CLONE_PIDFD;
	a.pidfd = (uint64_t)(uintptr_t)&pfd;
	a.exit_signal = SIGCHLD;
	fflush(stdout);
	long c = syscall(NR_clone3, &a, sizeof a);
	if (c == 0)
		_exit(7);
	if (c < 0) {
		printf("clone3(CLONE_PIDFD): %s\n", en(errno));
	} else {
		printf("clone3(CLONE_PIDFD): pidfd stored: %s, FD_CLOEXEC: %s\n", pfd >= 0 ? "yes" : "no",
		       pfd >= 0 && cloexec(pfd) ? "yes" : "no");
		memset(&si, 0, sizeof si);
		int r = pfd >= 0 ? waitid(P_PIDFD_, pfd, &si, WEXITED) : -1;
		show_si("  waitid(P_PIDFD)", r, &si, (pid_t)c);
		if (r < 0)
			waitpid((pid_t)c, NULL, 0);
		if (pfd >= 0)
			close(pfd);
	}

	pfd = -1;
	fflush(stdout);
	c = syscall(SYS_clone, CLONE_PIDFD | SIGCHLD, 0, &pfd, NULL, 0);
	if (c == 0)
		_exit(8);
	if (c < 0) {
		printf("clone(CLONE_PIDFD): %s\n", en(errno));
	} else {
		printf("clone(CLONE_PIDFD): pidfd in *parent_tid: %s, FD_CLOEXEC: %s\n", pfd >= 0 ? "yes" : "no",
		       pfd >= 0 && cloexec(pfd) ? "yes" : "no");
		memset(&si, 0, sizeof si);
		int r = pfd >= 0 ? waitid(P_PIDFD_, pfd, &si, WEXITED) : -1;
		show_si("  waitid(P_PIDFD)", r, &si, (pid_t)c);
		if (r < 0)
			waitpid((pid_t)c, NULL, 0);
		if (pfd >= 0)
			close(pfd);
	}
}

static void getfd_tests(void)
{
	int st;
	printf("-- pidfd_getfd\n");
	int data[2];
	pipe(data);
	pipe(gate);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		/* the child keeps only the write end of "data", at fd 40 */
		dup2(data[1], 40);
		close(data[0]);
		close(data[1]);
		close(gate[1]);
		write(40, "R", 1); /* ready */
		char b;
		read(gate[0], &b, 1);
		_exit(0);
	}
	close(data[1]);
	char ready = 0;
	read(data[0], &ready, 1);
	int fd = pidfd_open(c, 0);
	int got = (int)syscall(NR_pidfd_getfd, fd, 40, 0);
	printf("pidfd_getfd(child's fd 40): %s, FD_CLOEXEC: %s\n", got >= 0 ? "fd" : en(errno),
	       got >= 0 && cloexec(got) ? "yes" : "no");
	if (got >= 0) {
		write(got, "via", 3);
		close(got);
		char buf[8] = {0};
		ssize_t n = read(data[0], buf, 3);
		printf("  written through the copy, read from the pipe: %zd \"%s\"\n", n, n > 0 ? buf : "");
	}
	long r = syscall(NR_pidfd_getfd, fd, 40, 1);
	printf("pidfd_getfd(flags 1): %s\n", res(r));
	r = syscall(NR_pidfd_getfd, fd, 41, 0);
	printf("pidfd_getfd(an fd the child does not have): %s\n", res(r));
	close(gate[1]);
	waitpid(c, &st, 0);
	close(gate[0]);
	close(data[0]);
	close(fd);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	open_tests();
	signal_tests();
	waitid_tests();
	clone_pidfd();
	getfd_tests();
	int w = waitpid(-1, NULL, WNOHANG);
	printf("-- children left: %s\n", w < 0 ? en(errno) : "some");
	return 0;
}
