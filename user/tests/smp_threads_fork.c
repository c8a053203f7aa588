/*
 * smp_threads_fork: fork from several threads at once. Four threads start
 * together and each forks 25 children in turn, each child checking that
 * it has one thread and the forking thread's view of memory (a value the
 * thread wrote just before fork, another thread's writes not mattering),
 * then exiting with a code of its own; each thread waits for its own
 * children by PID, and main counts what came back. With several CPUs the
 * forks, exits and waits run on different CPUs at the same time.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define THREADS 4
#define FORKS 25

static atomic_int ready;
static volatile long slot[THREADS];
static int good[THREADS];

static int one_thread(void)
{
	char line[256];
	int threads = 0;
	FILE *f = fopen("/proc/self/status", "r");
	while (f && fgets(line, sizeof line, f))
		if (strncmp(line, "Threads:", 8) == 0)
			threads = atoi(line + 8);
	if (f)
		fclose(f);
	return threads == 1;
}

static void *forker(void *arg)
{
	int me = (int)(long)arg;
	atomic_fetch_add(&ready, 1);
	while (atomic_load(&ready) < THREADS)
		;
	for (int i = 0; i < FORKS; i++) {
		long v = me * 1000 + i;
		slot[me] = v;
		pid_t p = fork();
		if (p == 0)
			_exit(slot[me] == v && one_thread() ? (me * FORKS + i) % 200 : 255);
		if (p < 0)
			continue;
		int st;
		if (waitpid(p, &st, 0) == p && WIFEXITED(st) && WEXITSTATUS(st) == (me * FORKS + i) % 200)
			good[me]++;
	}
	return NULL;
}

int main(void)
{
	pthread_t t[THREADS];
	for (long i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, forker, (void *)i);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < THREADS; i++)
		printf("thread %d: %d of %d children right\n", i, good[i], FORKS);
	int st;
	printf("no child left: %d\n", wait(&st) < 0);
	return 0;
}
