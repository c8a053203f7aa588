/*
 * ptrace_seize: attaching to a running process, and letting it go.
 *   PTRACE_SEIZE leaves the tracee running (WNOHANG finds nothing);
 *     PTRACE_INTERRUPT stops it with PTRACE_EVENT_STOP and SIGTRAP (it
 *     was asleep in pause(), which goes on afterwards);
 *   a SIGSTOP shows as a signal-delivery stop, and the group-stop it
 *     starts as PTRACE_EVENT_STOP with SIGSTOP; PTRACE_LISTEN then waits
 *     in it without a report (other requests ESRCH) until SIGCONT makes
 *     it trap again (PTRACE_EVENT_STOP, SIGTRAP), then SIGCONT's own
 *     delivery stop;
 *   PTRACE_DETACH of a running tracee is ESRCH; of a stopped one it lets
 *     it run on untraced (TracerPid 0), for its parent to kill and reap;
 *   PTRACE_ATTACH stops the tracee with SIGSTOP (siginfo SI_KERNEL); the
 *     group-stop of a tracee not seized has no siginfo (EINVAL); a second
 *     attach is EPERM; PTRACE_CONT lets it run out of the group-stop;
 *     PTRACE_KILL kills it;
 *   a tracer's exit kills its tracees with PTRACE_O_EXITKILL, and else
 *     detaches them, running;
 *   EPERM to attach to oneself, to init or another user's process as
 *     a user; a same-user dumpable process may be attached; ESRCH for a
 *     process nobody has or that is not traced by the caller.
 * Mirrors: ptrace(2) PTRACE_SEIZE, PTRACE_INTERRUPT, PTRACE_LISTEN,
 *   "Group-stop", PTRACE_DETACH, PTRACE_O_EXITKILL, "EPERM ... EIO ...
 *   ESRCH" errors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ptracetest.h"
#include "testlib.h"

#define EVENT_STOP 128

static pid_t sleeper(void)
{
	pid_t p = fork();
	if (p == 0)
		for (;;)
			pause();
	return p;
}

static void proc_state(pid_t pid, int with_state)
{
	char buf[4096];
	read_status(pid, buf, sizeof buf);
	char *s = strstr(buf, "State:\t"), *t = strstr(buf, "TracerPid:\t");
	if (with_state)
		printf("  state %c,", s ? s[7] : '?');
	printf("  traced by us %d\n", t ? atoi(t + 11) == getpid() : -1);
}

/* Settle: let a running task reach its sleep. */
static void settle(void)
{
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	nanosleep(&ts, 0);
}

static void seize_part(void)
{
	pid_t p = sleeper();
	settle();
	req("seize", ptrace(PTRACE_SEIZE, p, 0, 0));
	show("after seize", p, WNOHANG);
	proc_state(p, 1);
	req("interrupt", ptrace(PTRACE_INTERRUPT, p, 0, 0));
	show("interrupted", p, 0);
	siginfo(p);
	proc_state(p, 1);
	kill(p, SIGSTOP);
	req("cont", ptrace(PTRACE_CONT, p, 0, 0));
	show("sigstop", p, 0);
	siginfo(p);
	req("cont with SIGSTOP", ptrace(PTRACE_CONT, p, 0, SIGSTOP));
	show("group-stop", p, 0);
	siginfo(p);
	req("listen", ptrace(PTRACE_LISTEN, p, 0, 0));
	show("listening", p, WNOHANG);
	struct user_regs_struct r;
	errno = 0;
	req("getregs while listening", ptrace(PTRACE_GETREGS, p, 0, &r));
	kill(p, SIGCONT);
	show("after SIGCONT", p, 0);
	siginfo(p);
	req("cont", ptrace(PTRACE_CONT, p, 0, 0));
	show("sigcont", p, 0);
	siginfo(p);
	req("cont", ptrace(PTRACE_CONT, p, 0, 0));
	settle();
	errno = 0;
	req("detach while running", ptrace(PTRACE_DETACH, p, 0, 0));
	req("interrupt", ptrace(PTRACE_INTERRUPT, p, 0, 0));
	show("interrupted", p, 0);
	req("detach", ptrace(PTRACE_DETACH, p, 0, 0));
	/* Running or back asleep: either. */
	proc_state(p, 0);
	show("after detach", p, WNOHANG);
	errno = 0;
	req("cont after detach", ptrace(PTRACE_CONT, p, 0, 0));
	kill(p, SIGTERM);
	show("sleeper", p, 0);
}

/* Two queued real-time signals for the process, seen with
 * PTRACE_PEEKSIGINFO (its shared queue; its own is empty). */
static void peek_queued(pid_t p)
{
	union sigval v1 = { .sival_int = 7 }, v2 = { .sival_int = 8 };
	sigqueue(p, SIGRTMIN + 1, v1);
	sigqueue(p, SIGRTMIN + 2, v2);
	siginfo_t si[4];
	struct __ptrace_peeksiginfo_args a = { 0, 1, 4 };
	long n = ptrace(PTRACE_PEEKSIGINFO, p, &a, si);
	printf("peeksiginfo shared: %ld", n);
	for (int i = 0; i < n; i++)
		printf(" [sig=RTMIN+%d code=%d value=%d]", si[i].si_signo - SIGRTMIN, si[i].si_code, si[i].si_value.sival_int);
	a.off = 1;
	printf("; from the second: %ld", ptrace(PTRACE_PEEKSIGINFO, p, &a, si));
	a.flags = 0;
	a.off = 0;
	printf("; own: %ld", ptrace(PTRACE_PEEKSIGINFO, p, &a, si));
	a.flags = 2;
	errno = 0;
	long r = ptrace(PTRACE_PEEKSIGINFO, p, &a, si);
	printf("; bad flags: %ld %s\n", r, en(errno));
}

static void attach_part(void)
{
	pid_t p = sleeper();
	settle();
	req("attach", ptrace(PTRACE_ATTACH, p, 0, 0));
	show("attached", p, 0);
	siginfo(p);
	req("cont with SIGSTOP", ptrace(PTRACE_CONT, p, 0, SIGSTOP));
	show("group-stop", p, 0);
	siginfo(p);
	errno = 0;
	req("attach again", ptrace(PTRACE_ATTACH, p, 0, 0));
	peek_queued(p);
	errno = 0;
	req("listen, not seized", ptrace(PTRACE_LISTEN, p, 0, 0));
	errno = 0;
	req("interrupt, not seized", ptrace(PTRACE_INTERRUPT, p, 0, 0));
	req("cont", ptrace(PTRACE_CONT, p, 0, 0));
	settle();
	proc_state(p, 1);
	req("kill", ptrace(PTRACE_KILL, p, 0, 0));
	show("killed", p, 0);
}

/* A tracer that seizes `victim` and exits. */
static void tracer_exits(pid_t victim, long options)
{
	pid_t t = fork();
	if (t == 0) {
		if (ptrace(PTRACE_SEIZE, victim, 0, options))
			_exit(1);
		ptrace(PTRACE_INTERRUPT, victim, 0, 0);
		int st;
		waitpid(victim, &st, 0);
		_exit(WIFSTOPPED(st) ? 0 : 2);
	}
	show("tracer", t, 0);
}

static void exitkill_part(void)
{
	pid_t p = sleeper();
	settle();
	tracer_exits(p, PTRACE_O_EXITKILL);
	show("tracee of an EXITKILL tracer", p, 0);
	p = sleeper();
	settle();
	tracer_exits(p, 0);
	settle();
	show("tracee of a plain tracer", p, WNOHANG);
	proc_state(p, 1);
	kill(p, SIGTERM);
	show("tracee of a plain tracer", p, 0);
}

static void perm_part(void)
{
	errno = 0;
	req("attach to self", ptrace(PTRACE_ATTACH, getpid(), 0, 0));
	errno = 0;
	req("attach to nobody", ptrace(PTRACE_ATTACH, 999999, 0, 0));
	errno = 0;
	req("seize with a bad option", ptrace(PTRACE_SEIZE, 1, 0, 1 << 30));
	pid_t other = fork();
	if (other == 0) {
		setresuid(2000, 2000, 2000);
		for (;;)
			pause();
	}
	pid_t same = fork();
	if (same == 0) {
		setresuid(1000, 1000, 1000);
		prctl(PR_SET_DUMPABLE, 1);
		for (;;)
			pause();
	}
	settle();
	errno = 0;
	req("cont, not traced", ptrace(PTRACE_CONT, same, 0, 0));
	pid_t user = fork();
	if (user == 0) {
		setvbuf(stdout, 0, _IONBF, 0);
		setresuid(1000, 1000, 1000);
		errno = 0;
		req("  user attaches to init", ptrace(PTRACE_ATTACH, 1, 0, 0));
		errno = 0;
		req("  user attaches to another user", ptrace(PTRACE_ATTACH, other, 0, 0));
		req("  user seizes a process of its own", ptrace(PTRACE_SEIZE, same, 0, 0));
		_exit(0);
	}
	show("user", user, 0);
	kill(other, SIGKILL);
	kill(same, SIGKILL);
	show("other", other, 0);
	show("same", same, 0);
}

int main(void)
{
	setvbuf(stdout, 0, _IONBF, 0);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	seize_part();
	attach_part();
	exitkill_part();
	perm_part();
	return 0;
}
