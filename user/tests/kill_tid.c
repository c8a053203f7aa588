/*
 * kill_tid: kill(2) given the id of a thread that is not the leader
 * signals the whole process (Linux looks the task up by its own id, then
 * signals its thread group); tgkill(2) with the wrong process id is
 * ESRCH; kill of an id nobody has is ESRCH.
 * Mirrors: kill(2), tgkill(2).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

static volatile pid_t thread_tid;
static volatile int got;

static void on_usr1(int sig)
{
	(void)sig;
	got = 1;
}

static void *body(void *arg)
{
	(void)arg;
	thread_tid = gettid();
	for (;;)
		pause();
	return NULL;
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	pid_t c = fork();
	if (c == 0) {
		signal(SIGUSR1, on_usr1);
		pthread_t t;
		pthread_create(&t, NULL, body, NULL);
		while (!thread_tid)
			sleep_ms(1);
		printf("  kill(thread's tid, 0): %s\n", rc_str(kill(thread_tid, 0)));
		printf("  kill(thread's tid, SIGUSR1): %s\n", rc_str(kill(thread_tid, SIGUSR1)));
		while (!got)
			sleep_ms(1);
		printf("  the process took it\n");
		printf("  tgkill(wrong pid, thread's tid): %s\n", rc_str(syscall(SYS_tgkill, getpid() + 100000, thread_tid, 0)));
		_exit(0);
	}
	int st;
	waitpid(c, &st, 0);
	printf("child: %s\n", st_str(st));
	pid_t g = fork();
	if (g == 0) {
		pthread_t t;
		pthread_create(&t, NULL, body, NULL);
		while (!thread_tid)
			sleep_ms(1);
		pause();
		_exit(0);
	}
	/* From the parent: the other thread's id (found in /proc/<pid>/task)
	 * kills the whole process. */
	pid_t tid = 0;
	for (int i = 0; i < 2000 && !tid; i++) {
		for (pid_t t = g + 1; t < g + 50; t++) {
			char p2[80];
			snprintf(p2, sizeof p2, "/proc/%d/task/%d", g, t);
			if (access(p2, F_OK) == 0) {
				tid = t;
				break;
			}
		}
		sleep_ms(1);
	}
	printf("found the thread: %d\n", tid != 0);
	printf("kill(thread's tid, SIGKILL): %s\n", rc_str(kill(tid, SIGKILL)));
	waitpid(g, &st, 0);
	printf("process: %s\n", st_str(st));
	printf("kill(no such id): %s\n", rc_str(kill(4000000, 0)));
	return 0;
}
