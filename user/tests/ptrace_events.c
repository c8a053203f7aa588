/*
 * ptrace_events: the PTRACE_EVENT_* stops of process creation, exec and
 * exit. The tracee (our child, PTRACE_TRACEME, then a SIGSTOP to itself)
 * gets every event option, then forks, vforks, starts a thread, and
 * execs an image that exits 7. For each new task the tracer sees:
 *   the event stop in the parent, status>>8 == SIGTRAP | event<<8, with
 *     the new task's id from GETEVENTMSG;
 *   the new task auto-attached and stopped first by SIGSTOP;
 *   its PTRACE_EVENT_EXIT stop (the options are inherited) with the
 *     exit status as the event message, then its exit, reaped by the
 *     tracer before its real parent (the tracee) can reap it;
 *   PTRACE_EVENT_VFORK_DONE once the vfork child has exited, with its id;
 *   PTRACE_EVENT_EXEC with the tracee's own id, then PTRACE_EVENT_EXIT
 *     and the exit of the new image.
 * The tracer waits for each task by its id, so the order printed is the
 * one the tracer chose.
 * Mirrors: ptrace(2) PTRACE_O_TRACEFORK/VFORK/CLONE/VFORKDONE/EXEC/EXIT,
 *   PTRACE_GETEVENTMSG, "automatically attached ... will start with
 *   SIGSTOP".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

static void *thread_main(void *arg)
{
	return arg;
}

static int tracee(char **argv)
{
	raise(SIGSTOP);
	int st, r = 0;
	pid_t c = fork();
	if (c == 0)
		_exit(5);
	if (waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 5)
		r |= 1;
	pid_t v = vfork();
	if (v == 0)
		_exit(6);
	if (waitpid(v, &st, 0) == v && WIFEXITED(st) && WEXITSTATUS(st) == 6)
		r |= 2;
	pthread_t t;
	if (pthread_create(&t, 0, thread_main, 0) == 0 && pthread_join(t, 0) == 0)
		r |= 4;
	if (r != 7)
		return r;
	execl("/proc/self/exe", argv[0], "final", (char *)0);
	return 99;
}

static const char *event_name(int e)
{
	static const char *names[] = { "none", "fork", "vfork", "clone", "exec", "vfork_done", "exit" };
	return e >= 0 && e <= 6 ? names[e] : e == 128 ? "stop" : "?";
}

/* Wait for `pid` and describe what it reports; the event message is
 * printed as a name for one of the ids given. */
static int expect(pid_t pid, const char *who, pid_t *ids, const char **idnames, int nids)
{
	int st;
	pid_t w = waitpid(pid, &st, __WALL);
	if (w != pid) {
		printf("%s: waitpid %d %s\n", who, w, en(errno));
		exit(1);
	}
	if (WIFEXITED(st)) {
		printf("%s: exited %d\n", who, WEXITSTATUS(st));
		return 0;
	}
	if (WIFSIGNALED(st)) {
		printf("%s: killed by %d\n", who, WTERMSIG(st));
		return 0;
	}
	int ev = st >> 16;
	printf("%s: stopped sig=%d event=%s", who, WSTOPSIG(st), event_name(ev));
	if (ev) {
		unsigned long msg;
		ptrace(PTRACE_GETEVENTMSG, pid, 0, &msg);
		const char *name = 0;
		for (int i = 0; i < nids; i++)
			if ((unsigned long)ids[i] == msg)
				name = idnames[i];
		if (name)
			printf(" msg=%s", name);
		else
			printf(" msg=%#lx", msg);
	}
	printf("\n");
	return ev;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "tracee"))
		return tracee(argv);
	if (argc > 1 && !strcmp(argv[1], "final"))
		exit(7);
	setvbuf(stdout, 0, _IONBF, 0);
	pid_t pid = fork();
	if (pid == 0) {
		ptrace(PTRACE_TRACEME, 0, 0, 0);
		execl("/proc/self/exe", argv[0], "tracee", (char *)0);
		_exit(99);
	}
	pid_t ids[2] = { pid, 0 };
	const char *names[2] = { "tracee", "new" };
	expect(pid, "exec", ids, names, 1);
	ptrace(PTRACE_CONT, pid, 0, 0);
	expect(pid, "tracee", ids, names, 1);
	long opts = PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC |
		    PTRACE_O_TRACEVFORKDONE | PTRACE_O_TRACEEXIT;
	printf("setoptions: %ld\n", ptrace(PTRACE_SETOPTIONS, pid, 0, opts));
	int bad = PTRACE_O_TRACESYSGOOD << 30;
	errno = 0;
	long rc = ptrace(PTRACE_SETOPTIONS, pid, 0, bad);
	printf("setoptions unknown bit: %ld %s\n", rc, en(errno));

	/* fork, vfork, the thread: each time the parent's event stop (after
	 * a SIGCHLD-delivery stop for the previous child, which the tracer
	 * suppresses), then the new task's life. */
	for (int round = 0; round < 3; round++) {
		int st, ev;
		ptrace(PTRACE_CONT, pid, 0, 0);
		for (;;) {
			waitpid(pid, &st, __WALL);
			if (WSTOPSIG(st) != SIGCHLD || (st >> 16))
				break;
			printf("tracee: SIGCHLD stop\n");
			ptrace(PTRACE_CONT, pid, 0, 0);
		}
		ev = st >> 16;
		unsigned long child;
		ptrace(PTRACE_GETEVENTMSG, pid, 0, &child);
		printf("tracee: stopped sig=%d event=%s msg is a new id=%d\n", WSTOPSIG(st), event_name(ev),
		       (pid_t)child > 0 && (pid_t)child != pid);
		ids[1] = child;
		expect(child, "  new", ids, names, 2);
		ptrace(PTRACE_CONT, child, 0, 0);
		/* musl's pthread_create holds the thread list lock the new
		 * thread's exit takes: the parent must go on first. */
		if (ev == 3)
			ptrace(PTRACE_CONT, pid, 0, 0);
		expect(child, "  new", ids, names, 2);
		ptrace(PTRACE_CONT, child, 0, 0);
		expect(child, "  new", ids, names, 2);
		if (ev == 2) {
			ptrace(PTRACE_CONT, pid, 0, 0);
			expect(pid, "tracee", ids, names, 2);
		}
	}
	/* exec, then the new image's exit. */
	for (int i = 0; i < 3; i++) {
		int st;
		if (i > 0)
			ptrace(PTRACE_CONT, pid, 0, 0);
		for (;;) {
			waitpid(pid, &st, __WALL);
			if (!WIFSTOPPED(st) || WSTOPSIG(st) != SIGCHLD || (st >> 16))
				break;
			printf("tracee: SIGCHLD stop\n");
			ptrace(PTRACE_CONT, pid, 0, 0);
		}
		if (WIFEXITED(st)) {
			printf("tracee: exited %d\n", WEXITSTATUS(st));
			break;
		}
		unsigned long msg;
		ptrace(PTRACE_GETEVENTMSG, pid, 0, &msg);
		printf("tracee: stopped sig=%d event=%s msg=%s\n", WSTOPSIG(st), event_name(st >> 16),
		       msg == (unsigned long)pid ? "tracee" : msg == 7 << 8 ? "status 7" : "?");
	}
	return 0;
}
