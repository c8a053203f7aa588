/*
 * tlb_fork_threads: several threads fork at once, each while the others
 * write to memory and fork too; each child checks that its copy holds
 * what its parent thread wrote just before fork and that nothing another
 * thread writes afterwards shows up in it.
 * Checks: THREADS threads fork ROUNDS times each; in every child the
 *   forking thread's own slot holds the value it stored before fork, its
 *   view of every slot stays the same across a yield and a short sleep,
 *   and its gettid() == getpid(); every parent thread reaps exactly its
 *   own children with status 0.
 * Mirrors: fork(2) from a multithreaded process (only the calling thread
 *   goes on in the child), waitpid(2).
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define THREADS 4
#define ROUNDS 40
#define WORDS 512

static volatile long slots[THREADS][WORDS];

static long view(void)
{
	long s = 0;
	for (int t = 0; t < THREADS; t++) {
		for (int i = 0; i < WORDS; i++) {
			s = s * 31 + slots[t][i];
		}
	}
	return s;
}

static int child(long id, long value)
{
	long before = view();
	if (slots[id][0] != value || slots[id][WORDS - 1] != value) {
		return 2;
	}
	if (syscall(SYS_gettid) != getpid()) {
		return 3;
	}
	sched_yield();
	struct timespec ts = { 0, 100000 };
	nanosleep(&ts, NULL);
	return view() == before ? 0 : 1;
}

static void *forker(void *arg)
{
	long id = (long)arg, bad = 0;
	for (long r = 1; r <= ROUNDS; r++) {
		long value = id * 1000000 + r;
		for (int i = 0; i < WORDS; i++) {
			slots[id][i] = value;
		}
		pid_t pid = fork();
		if (pid == 0) {
			_exit(child(id, value));
		}
		for (int i = 0; i < WORDS; i++) {
			slots[id][i] = -value;
		}
		int st;
		if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			bad++;
		}
	}
	return (void *)bad;
}

int main(void)
{
	pthread_t t[THREADS];
	for (long i = 0; i < THREADS; i++) {
		if (pthread_create(&t[i], NULL, forker, (void *)i)) {
			printf("pthread_create failed\n");
			return 1;
		}
	}
	long bad = 0;
	for (int i = 0; i < THREADS; i++) {
		void *r;
		pthread_join(t[i], &r);
		bad += (long)r;
	}
	printf("%d threads forked %d times each: %ld children failed their checks\n", THREADS, ROUNDS, bad);
	printf("children left: %s\n", waitpid(-1, NULL, WNOHANG) < 0 ? "none" : "some");
	return 0;
}
