/*
 * ptrace_thread_exec: a traced thread that is not its process's leader
 * calls execve. The tracer seized only that thread (with
 * PTRACE_O_TRACEEXEC); the exec ends the leader, and the thread goes on
 * under the process's id: the tracer's wait reports PTRACE_EVENT_EXEC
 * for the process id, GETEVENTMSG gives the thread's old id, the old id
 * is gone (ESRCH), TracerPid shows the tracer, and the new program's
 * exit is reaped by the tracer, also the real parent.
 * Mirrors: ptrace(2) "execve(2) under ptrace" ("all other threads stop
 *   ... the execing tracee changes its thread ID"), PTRACE_O_TRACEEXEC.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ptracetest.h"
#include "testlib.h"

static int to_tracer[2], from_tracer[2];
static char *self;

static void *thread_main(void *arg)
{
	(void)arg;
	pid_t tid = syscall(SYS_gettid);
	write(to_tracer[1], &tid, sizeof tid);
	char c;
	read(from_tracer[0], &c, 1);
	execl("/proc/self/exe", self, "final", (char *)0);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "final"))
		return 7;
	setvbuf(stdout, 0, _IONBF, 0);
	self = argv[0];
	pipe(to_tracer);
	pipe(from_tracer);
	pid_t pid = fork();
	if (pid == 0) {
		pthread_t t;
		pthread_create(&t, 0, thread_main, 0);
		pthread_join(t, 0);
		_exit(1);
	}
	pid_t tid;
	read(to_tracer[0], &tid, sizeof tid);
	printf("thread is not the leader: %d\n", tid != pid);
	printf("seize the thread: %ld\n", ptrace(PTRACE_SEIZE, tid, 0, PTRACE_O_TRACEEXEC));
	write(from_tracer[1], "g", 1);
	int st;
	pid_t w = waitpid(-1, &st, __WALL);
	printf("wait: the process id=%d stopped=%d sig=%d event=%d\n", w == pid, WIFSTOPPED(st), WSTOPSIG(st), st >> 16);
	unsigned long msg = 0;
	ptrace(PTRACE_GETEVENTMSG, pid, 0, &msg);
	printf("eventmsg is the old thread id: %d\n", msg == (unsigned long)tid);
	errno = 0;
	long r = ptrace(PTRACE_GETEVENTMSG, tid, 0, &msg);
	printf("the old id: %ld %s\n", r, en(errno));
	char buf[4096];
	read_status(pid, buf, sizeof buf);
	char *p = strstr(buf, "TracerPid:\t"), *th = strstr(buf, "Threads:\t");
	printf("TracerPid is us: %d, threads: %d\n", p && atoi(p + 11) == getpid(), th ? atoi(th + 9) : -1);
	ptrace(PTRACE_CONT, pid, 0, 0);
	w = waitpid(-1, &st, __WALL);
	printf("wait: the process id=%d exited=%d status=%d\n", w == pid, WIFEXITED(st), WEXITSTATUS(st));
	errno = 0;
	w = waitpid(-1, &st, __WALL);
	printf("then: %d %s\n", w, en(errno));
	return 0;
}
