/*
 * pgrp_session: process groups and sessions (setpgid(2), setsid(2),
 * getpgid(2), getsid(2), kill(2) to a group).
 * Checks: a fork child inherits the group and session; setpgid(0, 0)
 *   makes a new group; the parent may move a child that has not exec'd
 *   (setpgid(child, child)) but gets EACCES after the child exec'd; ESRCH
 *   for a pid that is not a child; EINVAL for a negative pgid; EPERM for
 *   a group that does not exist in the session, for a session leader,
 *   and for a child in another session; setsid gives a new session and
 *   group named after the caller, and EPERM for a group leader;
 *   getpgid/getsid of a child and of a missing pid (ESRCH); kill(-pgid)
 *   reaches every member of the group and nobody else; kill(0, ...)
 *   reaches the caller's own group.
 * Runs its checks in a child that first makes its own session, so the
 * result does not depend on what the test process was started in.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

static void show(const char *what, int r)
{
	printf("%s: %s\n", what, r < 0 ? en(errno) : "OK");
}

/* A child that waits on a pipe until the parent closes it. */
static pid_t sleeper(int *wfd, int newgroup)
{
	int p[2];
	if (pipe(p) < 0)
		exit(1);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		close(p[1]);
		if (newgroup)
			setpgid(0, 0);
		char b;
		while (read(p[0], &b, 1) > 0)
			;
		_exit(0);
	}
	close(p[0]);
	*wfd = p[1];
	return c;
}

static void run(void)
{
	pid_t me = getpid();
	show("setsid", setsid());
	printf("session and group named after me: %d %d\n", getsid(0) == me, getpgrp() == me);
	show("setsid again as group leader", setsid());
	show("setpgid(0, 0) as session leader", setpgid(0, 0));

	int w1;
	pid_t a = sleeper(&w1, 0);
	printf("child inherits group and session: %d %d\n", getpgid(a) == me, getsid(a) == me);
	show("setpgid(child, child)", setpgid(a, a));
	printf("child's group is now its pid: %d\n", getpgid(a) == a);
	show("setpgid(child, -1)", setpgid(a, -1));
	show("setpgid(child, nonexistent group)", setpgid(a, 999999));
	show("setpgid(child, back to my group)", setpgid(a, me));
	show("setpgid(nonexistent pid, 0)", setpgid(999999, 0));
	show("setpgid(1, 0): not my child", setpgid(1, 0));
	show("getpgid(nonexistent)", getpgid(999999));
	show("getsid(nonexistent)", getsid(999999));

	/* A child in its own session. */
	int p[2];
	pipe(p);
	fflush(stdout);
	pid_t s = fork();
	if (s == 0) {
		close(p[0]);
		setsid();
		write(p[1], "x", 1);
		char b;
		read(p[1], &b, 0);
		pause();
		_exit(0);
	}
	close(p[1]);
	char b;
	read(p[0], &b, 1);
	show("setpgid(child in another session, own pid)", setpgid(s, s));
	kill(s, SIGKILL);
	waitpid(s, NULL, 0);

	/* A child that has exec'd. */
	pipe(p);
	fflush(stdout);
	pid_t e = fork();
	if (e == 0) {
		close(p[0]);
		dup2(p[1], 3);
		char *av[] = {"/bin/busybox-less-sleep", NULL};
		(void)av;
		execl("/proc/self/exe", "pgrp_session", "execd", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	read(p[0], &b, 1); /* the new image is running */
	show("setpgid(child that exec'd, own pid)", setpgid(e, e));
	kill(e, SIGKILL);
	waitpid(e, NULL, 0);
	close(p[0]);

	/* kill(-pgid): two members of a new group, one outside. */
	int w2, w3, w4;
	pid_t g1 = sleeper(&w2, 1);
	pid_t g2 = sleeper(&w3, 0);
	setpgid(g2, g1);
	setpgid(g1, g1);
	setpgid(g2, g1);
	pid_t out = sleeper(&w4, 0);
	printf("group of two: %d %d, outsider in my group: %d\n", getpgid(g1) == g1, getpgid(g2) == g1, getpgid(out) == me);
	show("kill(-group, SIGTERM)", kill(-g1, SIGTERM));
	int st1, st2;
	waitpid(g1, &st1, 0);
	waitpid(g2, &st2, 0);
	printf("members killed by SIGTERM: %d %d\n", WIFSIGNALED(st1) && WTERMSIG(st1) == SIGTERM,
	       WIFSIGNALED(st2) && WTERMSIG(st2) == SIGTERM);
	int st3;
	printf("outsider still running: %d\n", waitpid(out, &st3, WNOHANG) == 0);
	show("kill(-group, 0) after it is gone", kill(-g1, 0));
	/* kill(0): my own group, me included: ignore the signal here. */
	signal(SIGUSR1, SIG_IGN);
	show("kill(0, SIGUSR1) to my group", kill(0, SIGUSR1));
	close(w4);
	waitpid(out, &st3, 0);
	printf("outsider exited normally: %d\n", WIFEXITED(st3) && WEXITSTATUS(st3) == 0);
	close(w1);
	waitpid(a, NULL, 0);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "execd") == 0) {
		write(3, "x", 1);
		pause();
		return 0;
	}
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		run();
		fflush(stdout);
		_exit(0);
	}
	int st;
	waitpid(c, &st, 0);
	printf("checker exited: %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return 0;
}
