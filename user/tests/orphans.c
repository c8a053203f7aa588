/*
 * orphans: re-parenting of orphans to a child subreaper, zombies,
 * parent-death signals and SIGCHLD.
 * The test process makes itself a child subreaper, so orphaned
 * descendants come to it both natively and under Tine (where it is PID 1).
 * Checks:
 *   PR_GET_CHILD_SUBREAPER is 0, then 1 after PR_SET_CHILD_SUBREAPER;
 *     a forked child reads 0 (the attribute is not inherited);
 *   a child with three live grandchildren exits: once the test has reaped
 *     the child, each grandchild's getppid() is the test's PID, and the
 *     test reaps all three (exit codes 1..3);
 *   a grandchild that is already a zombie when its parent exits is
 *     handed to the test, which reaps it with its exit status;
 *   a zombie child: kill(pid, 0) and kill(pid, SIGKILL) succeed, the
 *     status stays "exited 7", after reaping kill(pid, 0) -> ESRCH;
 *   PR_SET_PDEATHSIG(SIGKILL) in a grandchild: PR_GET_PDEATHSIG reads it
 *     back, a child forked by that grandchild reads 0 (cleared by fork),
 *     and when the grandchild's parent exits the grandchild is killed
 *     (the test reaps it: WTERMSIG == SIGKILL);
 *   with SIGCHLD blocked, sigwaitinfo returns SIGCHLD with CLD_EXITED /
 *     CLD_KILLED, si_pid == child and si_status;
 *   SIGCHLD set to SIG_IGN: an already existing zombie stays waitable,
 *     new children are reaped automatically (waitpid blocks until the
 *     child is gone, then fails with ECHILD).
 * Mirrors: prctl(2) PR_SET_CHILD_SUBREAPER/PR_GET_CHILD_SUBREAPER/
 *   PR_SET_PDEATHSIG/PR_GET_PDEATHSIG, wait(2) ("A child that terminates,
 *   but has not been waited for becomes a zombie"; NOTES on SIGCHLD
 *   SIG_IGN), kill(2), sigwaitinfo(2), sigaction(2) (siginfo for SIGCHLD).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

static pid_t me;

static void subreaper_flag(void)
{
	int v = -1;
	printf("-- subreaper attribute\n");
	long r = prctl(PR_GET_CHILD_SUBREAPER, &v);
	printf("PR_GET_CHILD_SUBREAPER initially: %s value %d\n", rc_str(r), v);
	r = prctl(PR_SET_CHILD_SUBREAPER, 1);
	printf("PR_SET_CHILD_SUBREAPER(1): %s\n", rc_str(r));
	v = -1;
	r = prctl(PR_GET_CHILD_SUBREAPER, &v);
	printf("PR_GET_CHILD_SUBREAPER: %s value %d\n", rc_str(r), v);
	int p[2], cv = -1, st;
	pipe(p);
	pid_t pid = fork();
	if (pid == 0) {
		int x = -1;
		prctl(PR_GET_CHILD_SUBREAPER, &x);
		write(p[1], &x, sizeof x);
		_exit(0);
	}
	waitpid(pid, &st, 0);
	read(p[0], &cv, sizeof cv);
	close(p[0]);
	close(p[1]);
	printf("PR_GET_CHILD_SUBREAPER in a forked child: %d\n", cv);
}

static void live_orphans(void)
{
	int rep[2], go[2], ready[2], st;
	printf("-- live grandchildren orphaned\n");
	pipe(rep);
	pipe(go);
	pipe(ready);
	pid_t c = fork();
	if (c == 0) {
		pid_t self = getpid();
		char b;
		for (int i = 1; i <= 3; i++) {
			pid_t g = fork();
			if (g == 0) {
				struct { pid_t pid; int before; int after; } m;
				m.pid = getpid();
				m.before = getppid() == self;
				write(ready[1], "r", 1);
				read(go[0], &b, 1); /* the test has reaped our parent */
				m.after = getppid() == me;
				write(rep[1], &m, sizeof m);
				_exit(i);
			}
		}
		for (int i = 0; i < 3; i++)
			read(ready[0], &b, 1); /* all three have looked at getppid */
		_exit(0); /* orphans its three children */
	}
	close(ready[0]);
	close(ready[1]);
	close(rep[1]);
	close(go[0]);
	pid_t r = waitpid(c, &st, 0);
	printf("child reaped: %s, %s\n", r == c ? "yes" : "no", st_str(st));
	write(go[1], "ggg", 3);
	close(go[1]);
	int before = 0, after = 0, n = 0, codes = 0, reaped = 0;
	struct { pid_t pid; int before; int after; } m;
	pid_t gp[3];
	while (n < 3 && read(rep[0], &m, sizeof m) == sizeof m) {
		gp[n++] = m.pid;
		before += m.before;
		after += m.after;
	}
	close(rep[0]);
	printf("grandchildren reporting: %d; parent was the child: %d; parent now the test: %d\n",
	       n, before, after);
	for (int i = 0; i < n; i++) {
		r = waitpid(gp[i], &st, 0);
		if (r == gp[i] && WIFEXITED(st)) {
			reaped++;
			codes += WEXITSTATUS(st);
		}
	}
	printf("test reaped %d grandchildren by pid, exit codes sum %d\n", reaped, codes);
	r = waitpid(-1, &st, WNOHANG);
	printf("waitpid(-1, WNOHANG) afterwards: %s\n", rc_str(r));
}

static void zombie_orphan(void)
{
	int rep[2], st;
	printf("-- zombie grandchild orphaned\n");
	pipe(rep);
	pid_t c = fork();
	if (c == 0) {
		pid_t g = fork();
		if (g == 0)
			_exit(42);
		siginfo_t si;
		waitid(P_PID, g, &si, WEXITED | WNOWAIT); /* g is a zombie now */
		write(rep[1], &g, sizeof g);
		_exit(0);
	}
	close(rep[1]);
	pid_t g = -1;
	read(rep[0], &g, sizeof g);
	close(rep[0]);
	pid_t r = waitpid(c, &st, 0);
	printf("child reaped: %s, %s\n", r == c ? "yes" : "no", st_str(st));
	r = waitpid(g, &st, 0);
	printf("zombie grandchild reaped by the test: %s, %s\n", r == g ? "yes" : rc_str(r), st_str(st));
}

static void zombie(void)
{
	int st;
	siginfo_t si;
	printf("-- zombie child\n");
	pid_t pid = fork();
	if (pid == 0)
		_exit(7);
	waitid(P_PID, pid, &si, WEXITED | WNOWAIT);
	printf("kill(zombie, 0): %s\n", rc_str(kill(pid, 0)));
	printf("kill(zombie, SIGKILL): %s\n", rc_str(kill(pid, SIGKILL)));
	pid_t r = waitpid(pid, &st, WNOHANG);
	printf("waitpid(zombie, WNOHANG): %s, %s\n", r == pid ? "the child" : rc_str(r), st_str(st));
	printf("kill(reaped pid, 0): %s\n", rc_str(kill(pid, 0)));
}

static void pdeathsig(void)
{
	int rep[2], ctl[2], st;
	printf("-- parent-death signal\n");
	pipe(rep);
	pipe(ctl);
	pid_t c = fork();
	if (c == 0) {
		pid_t self = getpid();
		close(ctl[1]);
		pid_t g = fork();
		if (g == 0) {
			close(ctl[0]);
			struct { pid_t pid; long set; int got; int hchild; int parent_ok; } m;
			m.pid = getpid();
			m.set = prctl(PR_SET_PDEATHSIG, SIGKILL);
			m.got = -1;
			prctl(PR_GET_PDEATHSIG, &m.got);
			int hp[2];
			pipe(hp);
			pid_t h = fork();
			if (h == 0) {
				int v = -1;
				prctl(PR_GET_PDEATHSIG, &v);
				write(hp[1], &v, sizeof v);
				_exit(0);
			}
			m.hchild = -2;
			read(hp[0], &m.hchild, sizeof m.hchild);
			waitpid(h, NULL, 0);
			m.parent_ok = getppid() == self;
			write(rep[1], &m, sizeof m);
			for (;;)
				pause(); /* until SIGKILL */
		}
		char b;
		read(ctl[0], &b, 1); /* until the test has the report */
		_exit(0);
	}
	close(rep[1]);
	close(ctl[0]);
	struct { pid_t pid; long set; int got; int hchild; int parent_ok; } m = {-1, -1, -1, -1, 0};
	ssize_t n = read(rep[0], &m, sizeof m);
	close(rep[0]);
	printf("grandchild report: %s; PR_SET_PDEATHSIG(SIGKILL) %ld; PR_GET_PDEATHSIG %s; "
	       "in its forked child %d; parent alive %s\n",
	       n == sizeof m ? "ok" : "missing", m.set, m.got == SIGKILL ? "SIGKILL" : "other",
	       m.hchild, m.parent_ok ? "yes" : "no");
	close(ctl[1]); /* the child exits now */
	pid_t r = waitpid(c, &st, 0);
	printf("child reaped: %s, %s\n", r == c ? "yes" : "no", st_str(st));
	r = waitpid(m.pid, &st, 0);
	printf("grandchild reaped by the test: %s, %s\n", r == m.pid ? "yes" : rc_str(r), st_str(st));
}

static void sigchld(void)
{
	sigset_t set, old;
	siginfo_t si;
	int st;
	printf("-- SIGCHLD\n");
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &old);
	pid_t pid = fork();
	if (pid == 0)
		_exit(42);
	int s = sigwaitinfo(&set, &si);
	printf("sigwaitinfo: %s si_code %s si_pid %s si_status %d\n",
	       s == SIGCHLD ? "SIGCHLD" : rc_str(s),
	       si.si_code == CLD_EXITED ? "CLD_EXITED" : "other",
	       si.si_pid == pid ? "child" : "other", si.si_status);
	pid_t r = waitpid(pid, &st, 0);
	printf("waitpid: %s, %s\n", r == pid ? "the child" : rc_str(r), st_str(st));
	pid = fork();
	if (pid == 0) {
		kill(getpid(), SIGKILL);
		_exit(1);
	}
	s = sigwaitinfo(&set, &si);
	printf("sigwaitinfo: %s si_code %s si_pid %s si_status %s\n",
	       s == SIGCHLD ? "SIGCHLD" : rc_str(s),
	       si.si_code == CLD_KILLED ? "CLD_KILLED" : "other",
	       si.si_pid == pid ? "child" : "other",
	       si.si_status == SIGKILL ? "SIGKILL" : "other");
	r = waitpid(pid, &st, 0);
	printf("waitpid: %s, %s\n", r == pid ? "the child" : rc_str(r), st_str(st));
	sigprocmask(SIG_SETMASK, &old, NULL);

	/* SIG_IGN */
	pid_t z = fork();
	if (z == 0)
		_exit(5);
	waitid(P_PID, z, &si, WEXITED | WNOWAIT);
	signal(SIGCHLD, SIG_IGN);
	r = waitpid(z, &st, 0);
	printf("zombie from before SIGCHLD=SIG_IGN: %s, %s\n", r == z ? "the child" : rc_str(r), st_str(st));
	pid = fork();
	if (pid == 0)
		_exit(6);
	r = waitpid(pid, &st, 0);
	printf("child exiting under SIGCHLD=SIG_IGN: waitpid %s\n", rc_str(r));
	signal(SIGCHLD, SIG_DFL);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	me = getpid();
	subreaper_flag();
	live_orphans();
	zombie_orphan();
	zombie();
	pdeathsig();
	sigchld();
	pid_t r = wait(NULL);
	printf("final wait: %s\n", rc_str(r));
	return 0;
}
