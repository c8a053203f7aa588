/*
 * wait_stopped: job-control stops and continues as seen through wait.
 * Checks:
 *   a child that raises SIGSTOP is reported by waitpid(WUNTRACED) as
 *     WIFSTOPPED with WSTOPSIG == SIGSTOP (raw status 0x137f), only once
 *     (a second WUNTRACED|WNOHANG wait returns 0); without WUNTRACED the
 *     stop is not reported (WNOHANG -> 0);
 *   kill(SIGCONT) is reported by waitpid(WCONTINUED) as WIFCONTINUED
 *     (raw 0xffff), once; the continued child then exits normally (when
 *     the parent closes the pipe it reads, so the continue and the exit
 *     are never reported together);
 *   waitid(WSTOPPED) / waitid(WCONTINUED) give si_code CLD_STOPPED /
 *     CLD_CONTINUED with si_status SIGSTOP / SIGCONT, and WNOWAIT leaves
 *     the stop reportable;
 *   with SIGCHLD blocked, sigwaitinfo sees CLD_STOPPED, CLD_CONTINUED and
 *     CLD_EXITED for the same child in that order; with SA_NOCLDSTOP
 *     set, stops and continues send no SIGCHLD (sigtimedwait with a zero
 *     timeout finds nothing) but the exit still does;
 *   SIGKILL ends a stopped child (WTERMSIG == SIGKILL);
 *   SIGTSTP stops a process by default (a grandchild in its own process
 *     group, since the group must not be orphaned), an ignored SIGTSTP
 *     does not (that child runs on and exits 0).
 * Mirrors: wait(2) WUNTRACED/WCONTINUED/WSTOPPED/WNOWAIT, waitid(2),
 *   signal(7) (stop and continue signals), sigaction(2) SA_NOCLDSTOP.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

static void decode(int st);

static void show(const char *what, pid_t r, pid_t pid, int st)
{
	if (r < 0) {
		printf("%s: -1 %s\n", what, en(errno));
		return;
	}
	if (r == 0) {
		printf("%s: 0\n", what);
		return;
	}
	printf("%s: %s, ", what, r == pid ? "the child" : "another pid");
	decode(st);
}

static void decode(int st)
{
	printf("status 0x%04x", st);
	if (WIFSTOPPED(st))
		printf(" WIFSTOPPED WSTOPSIG=%d", WSTOPSIG(st));
	if (WIFCONTINUED(st))
		printf(" WIFCONTINUED");
	if (WIFEXITED(st))
		printf(" WIFEXITED %d", WEXITSTATUS(st));
	if (WIFSIGNALED(st))
		printf(" WIFSIGNALED %d", WTERMSIG(st));
	printf("\n");
}

static const char *code(int c)
{
	switch (c) {
	case CLD_EXITED: return "CLD_EXITED";
	case CLD_KILLED: return "CLD_KILLED";
	case CLD_STOPPED: return "CLD_STOPPED";
	case CLD_CONTINUED: return "CLD_CONTINUED";
	case 0: return "0";
	default: return "other";
	}
}

static void show_si(const char *what, int r, siginfo_t *si, pid_t pid)
{
	if (r < 0)
		printf("%s: -1 %s\n", what, en(errno));
	else
		printf("%s: %d %s si_status=%d si_pid=%s\n", what, r, code(si->si_code),
		       si->si_status, si->si_pid == 0 ? "0" : si->si_pid == pid ? "child" : "other");
}

static int gate[2] = {-1, -1};

/* child: stop itself; once continued, exit with code_ when release() is
 * called (so the continue and the exit are never reported together) */
static pid_t stopper(int sig, int code_)
{
	pipe(gate);
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		close(gate[1]);
		raise(sig);
		read(gate[0], &c, 1);
		_exit(code_);
	}
	close(gate[0]);
	gate[0] = -1;
	return pid;
}

static void release(void)
{
	close(gate[1]);
	gate[1] = -1;
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	int st;
	siginfo_t si;

	printf("-- waitpid WUNTRACED / WCONTINUED\n");
	pid_t pid = stopper(SIGSTOP, 3);
	pid_t r = waitpid(pid, &st, WUNTRACED);
	show("waitpid(WUNTRACED)", r, pid, st);
	r = waitpid(pid, &st, WUNTRACED | WNOHANG);
	show("waitpid(WUNTRACED|WNOHANG) again", r, pid, st);
	r = waitpid(pid, &st, WNOHANG);
	show("waitpid(WNOHANG) while stopped", r, pid, st);
	printf("kill(SIGCONT): %d\n", kill(pid, SIGCONT));
	r = waitpid(pid, &st, WCONTINUED);
	show("waitpid(WCONTINUED)", r, pid, st);
	r = waitpid(pid, &st, WCONTINUED | WNOHANG);
	show("waitpid(WCONTINUED|WNOHANG) again", r, pid, st);
	release();
	r = waitpid(pid, &st, 0);
	show("waitpid(0)", r, pid, st);

	printf("-- waitid WSTOPPED / WCONTINUED\n");
	pid = stopper(SIGSTOP, 4);
	memset(&si, 0, sizeof si);
	int w = waitid(P_PID, pid, &si, WSTOPPED | WNOWAIT);
	show_si("waitid(WSTOPPED|WNOWAIT)", w, &si, pid);
	memset(&si, 0, sizeof si);
	w = waitid(P_PID, pid, &si, WSTOPPED);
	show_si("waitid(WSTOPPED)", w, &si, pid);
	memset(&si, 0, sizeof si);
	w = waitid(P_PID, pid, &si, WSTOPPED | WNOHANG);
	show_si("waitid(WSTOPPED|WNOHANG) again", w, &si, pid);
	kill(pid, SIGCONT);
	memset(&si, 0, sizeof si);
	w = waitid(P_PID, pid, &si, WCONTINUED);
	show_si("waitid(WCONTINUED)", w, &si, pid);
	release();
	memset(&si, 0, sizeof si);
	w = waitid(P_PID, pid, &si, WEXITED);
	show_si("waitid(WEXITED)", w, &si, pid);

	printf("-- SIGCHLD for stop / continue / exit\n");
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	pid = stopper(SIGSTOP, 5);
	int s = sigwaitinfo(&set, &si);
	printf("sigwaitinfo: %s %s si_status=%d\n", s == SIGCHLD ? "SIGCHLD" : "?", code(si.si_code),
	       si.si_status);
	waitpid(pid, &st, WUNTRACED);
	kill(pid, SIGCONT);
	s = sigwaitinfo(&set, &si);
	printf("sigwaitinfo: %s %s si_status=%d\n", s == SIGCHLD ? "SIGCHLD" : "?", code(si.si_code),
	       si.si_status);
	waitpid(pid, &st, WCONTINUED);
	release();
	s = sigwaitinfo(&set, &si);
	printf("sigwaitinfo: %s %s si_status=%d\n", s == SIGCHLD ? "SIGCHLD" : "?", code(si.si_code),
	       si.si_status);
	waitpid(pid, &st, 0);
	show("waitpid", pid, pid, st);

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	sa.sa_flags = SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);
	pid = stopper(SIGSTOP, 6);
	waitpid(pid, &st, WUNTRACED);
	struct timespec zero = {0, 0};
	s = sigtimedwait(&set, &si, &zero);
	printf("SA_NOCLDSTOP, after the stop: sigtimedwait %s\n", s < 0 ? en(errno) : "SIGCHLD");
	kill(pid, SIGCONT);
	waitpid(pid, &st, WCONTINUED);
	s = sigtimedwait(&set, &si, &zero);
	printf("SA_NOCLDSTOP, after the continue: sigtimedwait %s\n", s < 0 ? en(errno) : "SIGCHLD");
	release();
	waitpid(pid, &st, 0);
	s = sigtimedwait(&set, &si, &zero);
	printf("SA_NOCLDSTOP, after the exit: sigtimedwait %s %s\n",
	       s == SIGCHLD ? "SIGCHLD" : s < 0 ? en(errno) : "?", s == SIGCHLD ? code(si.si_code) : "");
	sa.sa_flags = 0;
	sigaction(SIGCHLD, &sa, NULL);
	sigprocmask(SIG_UNBLOCK, &set, NULL);

	printf("-- SIGKILL on a stopped child\n");
	pid = stopper(SIGSTOP, 7);
	waitpid(pid, &st, WUNTRACED);
	kill(pid, SIGKILL);
	r = waitpid(pid, &st, 0);
	show("waitpid", r, pid, st);
	release();

	printf("-- SIGTSTP\n");
	/* A default-action SIGTSTP is discarded in an orphaned process group
	 * (and every group whose members' parent is init counts as orphaned),
	 * so the stopping process is a grandchild in its own group whose
	 * parent, the child, lives in another group of the same session. */
	int rep[2];
	pipe(rep);
	pid = fork();
	if (pid == 0) {
		int sts[2] = {-1, -1};
		pid_t g = fork();
		if (g == 0) {
			setpgid(0, 0);
			raise(SIGTSTP);
			_exit(8);
		}
		setpgid(g, g);
		waitpid(g, &sts[0], WUNTRACED);
		kill(g, SIGCONT);
		waitpid(g, &sts[1], 0);
		write(rep[1], sts, sizeof sts);
		_exit(0);
	}
	int sts[2] = {-1, -1};
	read(rep[0], sts, sizeof sts);
	waitpid(pid, &st, 0);
	printf("default SIGTSTP: the parent's waitpid(WUNTRACED): ");
	decode(sts[0]);
	printf("after SIGCONT: the parent's waitpid(0): ");
	decode(sts[1]);
	pid = fork();
	if (pid == 0) {
		signal(SIGTSTP, SIG_IGN);
		raise(SIGTSTP);
		_exit(0);
	}
	r = waitpid(pid, &st, WUNTRACED);
	show("ignored SIGTSTP: waitpid(WUNTRACED)", r, pid, st);
	return 0;
}
