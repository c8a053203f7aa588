// cc: musl-gcc -static -O2 -pthread
/*
 * ptrace_group_threads: group-stop, PTRACE_LISTEN and PTRACE_INTERRUPT
 * with a traced process of three threads, each seized.
 * Checks:
 *   SIGSTOP to the process: one thread reports the signal-delivery-stop;
 *     resumed with SIGSTOP, every thread then reports its group-stop
 *     (PTRACE_EVENT_STOP with SIGSTOP), and /proc shows each `t`;
 *   PTRACE_LISTEN on each: they stay stopped, and waitpid(WNOHANG) has
 *     nothing; SIGCONT: each reports PTRACE_EVENT_STOP with SIGTRAP;
 *     resumed, one reports the signal-delivery-stop of SIGCONT;
 *   PTRACE_INTERRUPT on each: each reports PTRACE_EVENT_STOP with
 *     SIGTRAP; resumed again, the threads run on (they finish).
 * Threads are numbered by creation; the order in which they report is
 * the scheduler's, so each step prints its reports sorted.
 * Mirrors: ptrace(2) "Group-stop", PTRACE_LISTEN, PTRACE_INTERRUPT;
 *   Linux's do_signal_stop(), do_jobctl_trap(), ptrace_trap_notify().
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

#define N 3

static pid_t tids[N];
static int go[2], ready[2];

static void *worker(void *arg)
{
	(void)arg;
	/* Wait until the tracer says the run is over. */
	char c;
	if (read(go[0], &c, 1) != 1)
		return NULL;
	return NULL;
}

static int index_of(pid_t t)
{
	for (int i = 0; i < N; i++)
		if (tids[i] == t)
			return i;
	return -1;
}

static const char *sig_name(int s)
{
	switch (s) {
	case SIGSTOP: return "SIGSTOP";
	case SIGTRAP: return "SIGTRAP";
	case SIGCONT: return "SIGCONT";
	default: return "?";
	}
}

static int cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Collect `n` stops, one line each, then print them sorted. Returns the
   index of the thread that reported a signal-delivery-stop of `sig`, or -1. */
static int collect(const char *step, int n, int sig)
{
	char lines[8][96];
	int who = -1;
	for (int i = 0; i < n; i++) {
		int st;
		pid_t w = waitpid(-1, &st, __WALL);
		if (w < 0) {
			snprintf(lines[i], sizeof(lines[i]), "waitpid: %s", strerror(errno));
			continue;
		}
		int t = index_of(w);
		if (!WIFSTOPPED(st)) {
			snprintf(lines[i], sizeof(lines[i]), "thread %d: status %#x", t, st);
			continue;
		}
		int event = st >> 16;
		if (event == PTRACE_EVENT_STOP)
			snprintf(lines[i], sizeof(lines[i]), "thread %d: PTRACE_EVENT_STOP %s", t, sig_name(WSTOPSIG(st)));
		else {
			/* Which thread takes a process's signal is the
			   kernel's choice. */
			snprintf(lines[i], sizeof(lines[i]), "a thread: signal-delivery-stop %s", sig_name(WSTOPSIG(st)));
			if (WSTOPSIG(st) == sig)
				who = t;
		}
	}
	qsort(lines, n, sizeof(lines[0]), cmp);
	for (int i = 0; i < n; i++)
		printf("%s: %s\n", step, lines[i]);
	return who;
}

static void nothing_more(const char *step)
{
	int st;
	pid_t w = waitpid(-1, &st, __WALL | WNOHANG);
	printf("%s: nothing more: %d\n", step, w == 0);
}

static char proc_state(pid_t pid, pid_t tid)
{
	char path[64], line[128];
	char s = '?';
	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", (int)pid, (int)tid);
	FILE *f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "State:", 6))
			sscanf(line + 6, " %c", &s);
	if (f)
		fclose(f);
	return s;
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* Natively a hang ends here (under Tine the test is PID 1, which
	   ignores SIGALRM: xtask's time limit and task dump cover it). */
	alarm(20);
	if (pipe(go) || pipe(ready))
		return 1;
	pid_t c = fork();
	if (c == 0) {
		pthread_t th[N - 1];
		pid_t me = syscall(SYS_gettid);
		if (write(ready[1], &me, sizeof(me)) != sizeof(me))
			_exit(1);
		for (int i = 0; i < N - 1; i++)
			pthread_create(&th[i], NULL, worker, NULL);
		worker(NULL);
		for (int i = 0; i < N - 1; i++)
			pthread_join(th[i], NULL);
		_exit(0);
	}
	if (read(ready[0], &tids[0], sizeof(pid_t)) != sizeof(pid_t))
		return 1;
	/* Find the other threads in /proc/c/task once they exist. */
	int n = 1;
	while (n < N) {
		char path[64];
		n = 1;
		for (pid_t t = c + 1; t < c + 64 && n < N; t++) {
			snprintf(path, sizeof(path), "/proc/%d/task/%d", (int)c, (int)t);
			if (access(path, F_OK) == 0)
				tids[n++] = t;
		}
		if (n < N)
			usleep(1000);
	}
	for (int i = 0; i < N; i++)
		if (ptrace(PTRACE_SEIZE, tids[i], 0, 0))
			printf("seize %d: %s\n", i, strerror(errno));
	printf("seized %d threads\n", N);

	kill(c, SIGSTOP);
	int who = collect("SIGSTOP", 1, SIGSTOP);
	ptrace(PTRACE_CONT, tids[who], 0, SIGSTOP);
	collect("group-stop", N, 0);
	nothing_more("group-stop");
	int all_t = 1;
	for (int i = 0; i < N; i++)
		all_t &= proc_state(c, tids[i]) == 't';
	printf("every thread in /proc is t: %d\n", all_t);

	for (int i = 0; i < N; i++)
		if (ptrace(PTRACE_LISTEN, tids[i], 0, 0))
			printf("listen %d: %s\n", i, strerror(errno));
	usleep(20000);
	nothing_more("listening");
	kill(c, SIGCONT);
	collect("SIGCONT", N, 0);
	nothing_more("SIGCONT");
	for (int i = 0; i < N; i++)
		ptrace(PTRACE_CONT, tids[i], 0, 0);
	who = collect("resumed", 1, SIGCONT);
	ptrace(PTRACE_CONT, tids[who], 0, 0);
	usleep(20000);
	nothing_more("resumed");
	for (int i = 0; i < N; i++)
		if (ptrace(PTRACE_INTERRUPT, tids[i], 0, 0))
			printf("interrupt %d: %s\n", i, strerror(errno));
	collect("interrupt", N, 0);
	nothing_more("interrupt");

	/* Let them go: each worker reads one byte and returns. */
	for (int i = 0; i < N; i++)
		ptrace(PTRACE_CONT, tids[i], 0, 0);
	if (write(go[1], "abc", N) != N)
		return 1;
	for (;;) {
		int st;
		pid_t w = waitpid(-1, &st, __WALL);
		if (w < 0)
			break;
		if (WIFSTOPPED(st)) {
			printf("unexpected stop of thread %d: %#x\n", index_of(w), st);
			ptrace(PTRACE_CONT, w, 0, 0);
			continue;
		}
		if (w == c)
			printf("process exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	}
	return 0;
}
