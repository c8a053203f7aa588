/*
 * ptrace_attach_stopped: attaching to a process that is already in a
 * group-stop (Linux: ptrace_attach() sets JOBCTL_TRAP_STOP and
 * JOBCTL_TRAPPING and waits until the tracee has re-trapped, so the
 * tracer's very first wait sees the stop and the tracee never ran).
 *   PTRACE_ATTACH to a child stopped by SIGSTOP (its parent has already
 *     waited for that stop): WNOHANG at once reports the stop with the
 *     stop signal, SIGCHLD CLD_STOPPED came, GETSIGINFO is EINVAL (a
 *     group-stop has no siginfo), state t; PTRACE_CONT then shows the
 *     SIGSTOP that ATTACH itself sent as a signal-delivery stop
 *     (SI_KERNEL), and once that is suppressed the tracee runs although
 *     its process was stopped; SIGCONT reaches it as a delivery stop;
 *   PTRACE_SEIZE of a child stopped by SIGTSTP (in its own process group,
 *     and a grandchild, so that the stop is not discarded): at once as
 *     PTRACE_EVENT_STOP with SIGTSTP (not SIGSTOP), siginfo code
 *     SIGTSTP|EVENT_STOP<<8; PTRACE_LISTEN leaves it stopped, reporting
 *     nothing, until SIGCONT traps it again with SIGTRAP; then SIGCONT's
 *     delivery stop; PTRACE_CONT from a second group-stop lets it run.
 * Mirrors: ptrace(2) "Attaching and detaching", "Group-stop",
 *   PTRACE_LISTEN; kernel/ptrace.c ptrace_attach().
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ptracetest.h"
#include "testlib.h"

static char state_of(pid_t pid)
{
	char buf[4096];
	read_status(pid, buf, sizeof buf);
	char *s = strstr(buf, "State:\t");
	return s ? s[7] : '?';
}

/* The SIGCHLD the tracee's stops sent us (blocked, so it waits). */
static void sigchld(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	struct timespec zero = { 0, 0 };
	siginfo_t si;
	int n = 0;
	while (sigtimedwait(&set, &si, &zero) == SIGCHLD) {
		printf("  SIGCHLD code=%d status=%d\n", si.si_code, si.si_status);
		n++;
	}
	if (n == 0)
		printf("  no SIGCHLD\n");
}

static void settle(void)
{
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	nanosleep(&ts, 0);
}

/* A child asleep in pause(); `own_group`: in a process group of its
 * own (one whose parent is in another group of the session, so that
 * SIGTSTP stops it). */
static pid_t sleeper(int own_group)
{
	pid_t p = fork();
	if (p == 0) {
		if (own_group)
			setpgid(0, 0);
		for (;;)
			pause();
	}
	if (own_group)
		setpgid(p, p);
	return p;
}

static void attach_part(void)
{
	printf("== PTRACE_ATTACH to a stopped process\n");
	pid_t p = sleeper(0);
	settle();
	kill(p, SIGSTOP);
	show("parent's wait", p, WUNTRACED);
	sigchld();
	printf("  state %c\n", state_of(p));
	req("attach", ptrace(PTRACE_ATTACH, p, 0, 0));
	show("first wait, WNOHANG", p, WNOHANG);
	sigchld();
	siginfo(p);
	printf("  state %c\n", state_of(p));
	show("second wait, WNOHANG", p, WNOHANG);
	req("cont", ptrace(PTRACE_CONT, p, 0, 0));
	show("next stop", p, 0);
	siginfo(p);
	sigchld();
	req("cont, suppressing it", ptrace(PTRACE_CONT, p, 0, 0));
	settle();
	printf("  state %c\n", state_of(p));
	show("running, WNOHANG", p, WNOHANG | WUNTRACED | WCONTINUED);
	kill(p, SIGCONT);
	show("sigcont", p, 0);
	siginfo(p);
	req("cont", ptrace(PTRACE_CONT, p, 0, 0));
	settle();
	printf("  state %c\n", state_of(p));
	sigchld();
	req("kill", ptrace(PTRACE_KILL, p, 0, 0));
	show("killed", p, 0);
	sigchld();
}

static void seize_part(void)
{
	printf("== PTRACE_SEIZE of a stopped process\n");
	pid_t p = sleeper(1);
	settle();
	kill(p, SIGTSTP);
	show("parent's wait", p, WUNTRACED);
	sigchld();
	req("seize", ptrace(PTRACE_SEIZE, p, 0, 0));
	show("first wait, WNOHANG", p, WNOHANG);
	sigchld();
	siginfo(p);
	printf("  state %c\n", state_of(p));
	req("listen", ptrace(PTRACE_LISTEN, p, 0, 0));
	show("listening, WNOHANG", p, WNOHANG);
	printf("  state %c\n", state_of(p));
	kill(p, SIGCONT);
	show("after SIGCONT", p, 0);
	siginfo(p);
	sigchld();
	req("cont", ptrace(PTRACE_CONT, p, 0, 0));
	show("sigcont", p, 0);
	siginfo(p);
	req("cont", ptrace(PTRACE_CONT, p, 0, 0));
	settle();
	printf("  state %c\n", state_of(p));
	kill(p, SIGSTOP);
	show("sigstop", p, 0);
	req("cont with SIGSTOP", ptrace(PTRACE_CONT, p, 0, SIGSTOP));
	show("group-stop", p, 0);
	siginfo(p);
	sigchld();
	req("cont from the group-stop", ptrace(PTRACE_CONT, p, 0, 0));
	settle();
	printf("  state %c\n", state_of(p));
	show("running, WNOHANG", p, WNOHANG);
	kill(p, SIGKILL);
	show("killed", p, 0);
	sigchld();
}

int main(void)
{
	setvbuf(stdout, 0, _IONBF, 0);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, 0);
	attach_part();
	/* From a child: a group whose parent is init is orphaned (Linux's
	 * will_become_orphaned_pgrp() does not count init), and under Tine
	 * this program is init. */
	pid_t c = fork();
	if (c == 0) {
		seize_part();
		_exit(0);
	}
	int st;
	waitpid(c, &st, 0);
	printf("seizing process: exit %d\n", WEXITSTATUS(st));
	return 0;
}
