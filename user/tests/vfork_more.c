/*
 * vfork_more: vfork(2) beyond vfork_spawn -- timing of the parent's
 * release, what is and is not shared, exec with arguments, and children
 * that die.
 * Modes: argv[1] == "image" = the exec'ed image: prints its argc and
 * argv[1..] in brackets (argv[2], the parent's PID, as a placeholder, and
 * whether its getppid() is that PID) and exits 0.
 * Checks:
 *   the parent sleeps until the child's _exit: the child sleeps 50 ms
 *     first, the parent sees the child's store and at least 50 ms of
 *     CLOCK_MONOTONIC passed (booleans only); the child's getpid() is the
 *     value vfork returned, differs from the parent's, and its getppid()
 *     is the parent;
 *   only memory is shared: an fd the child closes stays open in the
 *     parent, the child's chdir does not move the parent;
 *   other threads of the parent keep running while the vforking thread
 *     waits (the child sees a counter another thread increments advance);
 *   vfork + execve of this binary with arguments (including an empty
 *     one and one with spaces): the image sees exactly argv, its
 *     getppid() is the parent, exit status 0;
 *   vfork + execve of a missing file: the child's errno (ENOENT), stored
 *     in shared memory, is seen by the parent; the child _exits 127;
 *   a vfork child killed by a signal releases the parent: SIGKILL sent to
 *     itself, a NULL store (SIGSEGV; RLIMIT_CORE 0) -- waitpid shows the
 *     signal;
 *   a vfork child in a vfork child: both levels release in order;
 *   the vfork wait is killable: a child P vforks C, C SIGKILLs P; P dies
 *     (status SIGKILL) while C is still running (blocked on a pipe until
 *     the test has looked), then C finishes and, orphaned, is reaped by
 *     the test (a child subreaper natively, PID 1 under Tine).
 * Mirrors: vfork(2) (DESCRIPTION: "the calling thread is suspended until
 *   the child terminates ... or it makes a call to execve"; only the
 *   calling thread is suspended), execve(2), prctl(2)
 *   PR_SET_CHILD_SUBREAPER.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

extern char **environ;

static long long now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int image(int argc, char **argv)
{
	printf("[image] argc=%d", argc);
	for (int i = 1; i < argc; i++)
		printf(" [%s]", i == 2 ? "<parent pid>" : argv[i]);
	printf("\n");
	if (argc > 2)
		printf("[image] getppid() is the vfork parent: %s\n",
		       getppid() == (pid_t)atoi(argv[2]) ? "yes" : "no");
	return 0;
}

static volatile int shared;
static volatile pid_t child_getpid, child_getppid;
static volatile int child_errno;
static volatile long counter;
static volatile int stop_thread;
static volatile long seen_before, seen_after;

static void *spinner(void *arg)
{
	(void)arg;
	while (!stop_thread) {
		counter++;
		sleep_ms(1);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc >= 2 && strcmp(argv[1], "image") == 0)
		return image(argc, argv);
	struct rlimit nocore = {0, 0};
	setrlimit(RLIMIT_CORE, &nocore);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	char self[4096];
	ssize_t sn = readlink("/proc/self/exe", self, sizeof self - 1);
	if (sn < 0)
		return 1;
	self[sn] = 0;
	pid_t me = getpid();
	int st;

	printf("-- the parent waits for _exit\n");
	shared = 0;
	long long t0 = now_ns();
	pid_t pid = vfork();
	if (pid == 0) {
		sleep_ms(50);
		child_getpid = getpid();
		child_getppid = getppid();
		shared = 1;
		_exit(3);
	}
	long long dt = now_ns() - t0;
	int seen = shared;
	pid_t r = waitpid(pid, &st, 0);
	printf("store seen on return: %s, >= 50 ms passed: %s\n", seen ? "yes" : "no",
	       dt >= 50000000LL ? "yes" : "no");
	printf("child's getpid() == vfork's return: %s, != parent's: %s, getppid() == parent: %s\n",
	       child_getpid == pid ? "yes" : "no", child_getpid != me ? "yes" : "no",
	       child_getppid == me ? "yes" : "no");
	printf("waitpid: %s, %s\n", r == pid ? "the child" : en(errno), st_str(st));

	printf("-- only memory is shared\n");
	int p[2];
	pipe(p);
	char cwd[4096], after[4096];
	getcwd(cwd, sizeof cwd);
	pid = vfork();
	if (pid == 0) {
		close(p[0]);
		chdir("/tmp");
		_exit(0);
	}
	waitpid(pid, &st, 0);
	getcwd(after, sizeof after);
	printf("fd the child closed still open in the parent: %s; parent's cwd unchanged: %s\n",
	       fcntl(p[0], F_GETFD) >= 0 ? "yes" : "no", strcmp(cwd, after) == 0 ? "yes" : "no");
	close(p[0]);
	close(p[1]);

	printf("-- other threads keep running\n");
	pthread_t th;
	counter = 0;
	stop_thread = 0;
	if (pthread_create(&th, NULL, spinner, NULL) != 0) {
		printf("pthread_create failed\n");
	} else {
		while (counter == 0)
			sleep_ms(1);
		pid = vfork();
		if (pid == 0) {
			seen_before = counter;
			for (int i = 0; i < 2000 && counter == seen_before; i++)
				sleep_ms(1);
			seen_after = counter;
			_exit(0);
		}
		waitpid(pid, &st, 0);
		stop_thread = 1;
		pthread_join(th, NULL);
		printf("counter advanced while the vfork child waited for it: %s; %s\n",
		       seen_after > seen_before ? "yes" : "no", st_str(st));
	}

	printf("-- vfork + execve with arguments\n");
	char ppid[16];
	snprintf(ppid, sizeof ppid, "%d", me);
	char *av[] = {"vfork_more", "image", ppid, "", "two words", "last", NULL};
	pid = vfork();
	if (pid == 0) {
		execve(self, av, environ);
		_exit(127);
	}
	r = waitpid(pid, &st, 0);
	printf("waitpid: %s, %s\n", r == pid ? "the child" : en(errno), st_str(st));

	char missing[64];
	snprintf(missing, sizeof missing, "/tmp/tine_vfork_more_missing_%d", me);
	char *mav[] = {"x", NULL};
	child_errno = 0;
	pid = vfork();
	if (pid == 0) {
		execve(missing, mav, environ);
		child_errno = errno;
		_exit(127);
	}
	waitpid(pid, &st, 0);
	printf("execve(missing) in the child: errno seen by the parent %s, %s\n", en(child_errno),
	       st_str(st));

	printf("-- children that die\n");
	pid = vfork();
	if (pid == 0) {
		kill(getpid(), SIGKILL);
		_exit(1);
	}
	r = waitpid(pid, &st, 0);
	printf("child kills itself with SIGKILL: parent released, waitpid: %s, %s\n",
	       r == pid ? "the child" : en(errno), st_str(st));
	pid = vfork();
	if (pid == 0) {
		*(volatile int *)0 = 1;
		_exit(1);
	}
	r = waitpid(pid, &st, 0);
	printf("child stores to NULL: parent released, waitpid: %s, %s\n",
	       r == pid ? "the child" : en(errno), st_str(st));

	printf("-- nested vfork\n");
	shared = 0;
	pid = vfork();
	if (pid == 0) {
		pid_t g = vfork();
		if (g == 0) {
			sleep_ms(20);
			shared = 1;
			_exit(4);
		}
		int gst;
		int inner_seen = shared;
		waitpid(g, &gst, 0);
		shared = inner_seen && WIFEXITED(gst) && WEXITSTATUS(gst) == 4 ? 2 : 3;
		_exit(5);
	}
	waitpid(pid, &st, 0);
	printf("inner child's store seen by the middle one, then the middle's by the parent: %s, %s\n",
	       shared == 2 ? "yes" : "no", st_str(st));

	printf("-- the vfork wait is killable\n");
	int rep[2], go[2];
	pipe(rep);
	pipe(go);
	fflush(stdout);
	pid_t P = fork();
	if (P == 0) {
		close(rep[0]);
		close(go[1]);
		pid_t c = vfork();
		if (c == 0) {
			pid_t cme = getpid();
			write(rep[1], &cme, sizeof cme);
			kill(getppid(), SIGKILL);
			char b;
			read(go[0], &b, 1); /* until the test has looked */
			_exit(6);
		}
		_exit(7); /* not reached: killed while waiting */
	}
	close(rep[1]);
	close(go[0]);
	pid_t C = -1;
	read(rep[0], &C, sizeof C);
	close(rep[0]);
	r = waitpid(P, &st, 0);
	siginfo_t si;
	memset(&si, 0, sizeof si);
	int wi = waitid(P_PID, C, &si, WEXITED | WNOHANG | WNOWAIT);
	printf("P (vfork parent): %s; C, now the test's child, still running then: %s\n",
	       st_str(st), wi == 0 && si.si_pid == 0 ? "yes" : "no");
	write(go[1], "g", 1);
	close(go[1]);
	r = waitpid(C, &st, 0);
	printf("C reaped by the test: %s, %s\n", r == C ? "yes" : en(errno), st_str(st));
	r = waitpid(-1, &st, WNOHANG);
	printf("children left: %s\n", r < 0 ? en(errno) : "some");
	return 0;
}
