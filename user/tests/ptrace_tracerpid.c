// cc: musl-gcc -static -O2 -pthread
/*
 * ptrace_tracerpid: /proc/PID/status's TracerPid names the tracing
 * thread (Linux: task_pid_nr_ns(tracer)), not its process.
 * Checks: a child seized by a second thread of its parent shows that
 *   thread's TID; once that thread has exited (which detaches its
 *   tracees) it shows 0; seized by the main thread, the process's PID.
 * Thread ids differ between machines, so relations are printed.
 * Mirrors: proc(5) TracerPid; Linux's task_state() in fs/proc/array.c.
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

static pid_t child;

static long tracer_pid(pid_t pid)
{
	char path[64], line[256];
	long v = -1;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "TracerPid:", 10))
			v = strtol(line + 10, NULL, 10);
	if (f)
		fclose(f);
	return v;
}

static void *thread(void *arg)
{
	(void)arg;
	pid_t me = syscall(SYS_gettid);
	if (ptrace(PTRACE_SEIZE, child, 0, 0)) {
		printf("thread: PTRACE_SEIZE: %s\n", strerror(errno));
		return NULL;
	}
	long t = tracer_pid(child);
	printf("thread: TracerPid is this thread: %d, is the process: %d\n", t == me, t == getpid());
	return NULL;
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("untraced: TracerPid %ld\n", tracer_pid(getpid()));
	child = fork();
	if (child == 0) {
		for (;;)
			pause();
	}
	pthread_t th;
	pthread_create(&th, NULL, thread, NULL);
	pthread_join(th, NULL);
	printf("after the thread's exit: TracerPid %ld\n", tracer_pid(child));
	if (ptrace(PTRACE_SEIZE, child, 0, 0))
		printf("main: PTRACE_SEIZE: %s\n", strerror(errno));
	printf("main: TracerPid is the process: %d\n", tracer_pid(child) == getpid());
	kill(child, SIGKILL);
	int st;
	pid_t w = waitpid(child, &st, __WALL);
	printf("reaped: %d, killed by %d\n", w == child, WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	return 0;
}
