/*
 * sigpipe: writing to a pipe whose read end is closed.
 * Checks:
 *   by default SIGPIPE kills the writer (WTERMSIG 13: status 141 in
 *     shell terms), for write and writev;
 *   with SIGPIPE ignored the write fails with EPIPE and nothing else;
 *   with a handler, the handler runs first (siginfo: SI_USER from the
 *     writer itself), then the write fails with EPIPE;
 *   with SIGPIPE blocked the write fails with EPIPE and SIGPIPE stays
 *     pending for the writing thread;
 *   a pipe that still has a reader takes the data.
 * Each case runs in a child, whose end is reported.
 * Mirrors: pipe(7) "If all file descriptors referring to the read end of
 *   a pipe have been closed, then a write(2) will cause a SIGPIPE signal
 *   to be generated for the calling process", signal(7), write(2) EPIPE.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

static void run(const char *name, void (*fn)(void))
{
	printf("-- %s\n", name);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		fn();
		fflush(stdout);
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	if (WIFSIGNALED(st))
		printf("   child killed by signal %d (shell status %d)\n", WTERMSIG(st), 128 + WTERMSIG(st));
	else
		printf("   child exited %d\n", WEXITSTATUS(st));
}

/* A pipe with its read end closed: the write end. */
static int widowed_pipe(void)
{
	int p[2];
	pipe(p);
	close(p[0]);
	return p[1];
}

static void try_write(const char *what, int fd)
{
	errno = 0;
	long n = write(fd, "hello", 5);
	printf("%s: %ld %s\n", what, n, n < 0 ? en(errno) : "OK");
}

static void case_default(void)
{
	int fd = widowed_pipe();
	printf("writing with SIGPIPE at its default\n");
	fflush(stdout);
	try_write("write", fd);
	printf("survived?!\n");
}

static void case_default_writev(void)
{
	int fd = widowed_pipe();
	struct iovec iov[2] = {{"ab", 2}, {"cd", 2}};
	printf("writev with SIGPIPE at its default\n");
	fflush(stdout);
	writev(fd, iov, 2);
	printf("survived?!\n");
}

static void case_ignored(void)
{
	signal(SIGPIPE, SIG_IGN);
	int fd = widowed_pipe();
	try_write("write", fd);
	struct iovec iov[1] = {{"ab", 2}};
	errno = 0;
	long n = writev(fd, iov, 1);
	printf("writev: %ld %s\n", n, n < 0 ? en(errno) : "OK");
}

static volatile int got, got_code, got_pid_self, got_uid;

static void handler(int sig, siginfo_t *si, void *ctx)
{
	(void)ctx;
	got = sig;
	got_code = si->si_code;
	got_pid_self = si->si_pid == getpid();
	got_uid = si->si_uid;
}

static void case_handler(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGPIPE, &sa, NULL);
	int fd = widowed_pipe();
	try_write("write", fd);
	printf("handler: signal %d, si_code %d (SI_USER 0), si_pid is the writer %s, si_uid %d\n", got, got_code,
	       got_pid_self ? "yes" : "no", got_uid);
}

static void case_blocked(void)
{
	sigset_t s, p;
	sigemptyset(&s);
	sigaddset(&s, SIGPIPE);
	sigprocmask(SIG_BLOCK, &s, NULL);
	int fd = widowed_pipe();
	try_write("write", fd);
	sigpending(&p);
	printf("SIGPIPE pending: %s\n", sigismember(&p, SIGPIPE) ? "yes" : "no");
	/* Ignoring it now discards it. */
	signal(SIGPIPE, SIG_IGN);
	sigpending(&p);
	printf("after SIG_IGN: pending %s\n", sigismember(&p, SIGPIPE) ? "yes" : "no");
}

static void case_reader(void)
{
	int p[2];
	pipe(p);
	try_write("write with a reader", p[1]);
	char buf[8];
	long n = read(p[0], buf, sizeof buf);
	printf("read back %ld bytes\n", n);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	run("default action", case_default);
	run("default action, writev", case_default_writev);
	run("ignored", case_ignored);
	run("handler", case_handler);
	run("blocked", case_blocked);
	run("a reader left", case_reader);
	return 0;
}
