/*
 * ptracetest.h: what the tracer tests that print every wait share
 * (ptrace_seize, ptrace_attach_stopped, ptrace_thread_exec): one wait
 * and its status as a line, the tracee's siginfo, a request's outcome,
 * and the text of /proc/PID/status.
 */
#ifndef PTRACETEST_H
#define PTRACETEST_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

/* waitpid(pid, opts) and what it reported: nothing (WNOHANG), an error,
 * a stop with its signal and event, an exit, a continue or a kill. */
__attribute__((unused)) static void show(const char *what, pid_t pid, int opts)
{
	int st = 0;
	pid_t w = waitpid(pid, &st, opts);
	if (w == 0) {
		printf("%s: nothing to report\n", what);
		return;
	}
	if (w < 0) {
		printf("%s: %s\n", what, en(errno));
		return;
	}
	if (WIFSTOPPED(st))
		printf("%s: stopped sig=%d event=%d\n", what, WSTOPSIG(st), st >> 16);
	else if (WIFEXITED(st))
		printf("%s: exited %d\n", what, WEXITSTATUS(st));
	else if (WIFCONTINUED(st))
		printf("%s: continued\n", what);
	else
		printf("%s: killed by %d\n", what, WTERMSIG(st));
}

/* PTRACE_GETSIGINFO's signal and code, or its error. */
__attribute__((unused)) static void siginfo(pid_t pid)
{
	siginfo_t si;
	errno = 0;
	long r = ptrace(PTRACE_GETSIGINFO, pid, 0, &si);
	if (r)
		printf("  getsiginfo: %s\n", en(errno));
	else
		printf("  getsiginfo: signo=%d code=%#x\n", si.si_signo, si.si_code);
}

/* A request's result: OK or its errno's name. */
__attribute__((unused)) static void req(const char *what, long r)
{
	printf("%s: %s\n", what, r == 0 ? "OK" : en(errno));
}

/* /proc/PID/status into buf (empty if it cannot be read). */
__attribute__((unused)) static void read_status(pid_t pid, char *buf, int size)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/status", pid);
	int fd = open(path, O_RDONLY);
	int n = fd < 0 ? 0 : read(fd, buf, size - 1);
	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = 0;
}

#endif
