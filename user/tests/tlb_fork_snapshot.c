/*
 * tlb_fork_snapshot: fork while other threads of the parent write without
 * pause. fork write-protects the parent's private pages; a writer on
 * another CPU with the page's writable translation still in its TLB would
 * go on writing into the frame the child now shares, so the child would
 * see the parent's later writes. Each child takes a copy of what it sees
 * right after fork returns, lets the writers run on, and compares.
 * Checks: over FORKS forks, with WRITERS threads writing a counter into
 *   every word of a .bss buffer and of a 4 MiB mapping (large enough for
 *   fork to share its leaf page table), every child's view is unchanged
 *   over three more reads of it; the writers made progress meanwhile
 *   (the parent's own view changed).
 * Mirrors: fork(2), Linux's copy-on-write with flush_tlb_mm() after
 *   copy_page_range().
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

/* Each fork waits for CPUs that the two writers keep busy, so the run's
 * length grows with the host's load under TCG (1000 forks took 4 to 19 s on a
 * busy 2-core host, 60 s with four more busy loops beside it): 400 keeps the
 * chance of catching a stale entry and stays well inside the timeout. */
#define FORKS 400
#define WRITERS 2
#define SMALL 1024                      /* words per writer in .bss */
#define BIG_BYTES (4u << 20)
#define BIG_STRIDE 512                  /* one word per page */

static long small[WRITERS][SMALL];
static long *big;
static _Atomic int stop;
static _Atomic long progress[WRITERS];

static void *writer(void *arg)
{
	long id = (long)arg;
	size_t words = BIG_BYTES / sizeof(long) / WRITERS;
	long *mine = big + id * words;
	for (long v = 1; !atomic_load_explicit(&stop, memory_order_relaxed); v++) {
		for (int i = 0; i < SMALL; i++) {
			((volatile long *)small[id])[i] = v;
		}
		for (size_t i = 0; i < words; i += BIG_STRIDE) {
			((volatile long *)mine)[i] = v;
		}
		atomic_store_explicit(&progress[id], v, memory_order_relaxed);
		/* Free CPUs make this return at once; on one CPU it lets the
		 * parent and its child run between passes. */
		sched_yield();
	}
	return NULL;
}

static long sum_view(void)
{
	long s = 0;
	for (int w = 0; w < WRITERS; w++) {
		for (int i = 0; i < SMALL; i++) {
			s = s * 31 + ((volatile long *)small[w])[i];
		}
	}
	for (size_t i = 0; i < BIG_BYTES / sizeof(long); i += BIG_STRIDE) {
		s = s * 31 + ((volatile long *)big)[i];
	}
	return s;
}

static int child(void)
{
	long before = sum_view();
	long again = before;
	for (int i = 0; i < 3 && again == before; i++) {
		again = sum_view();
	}
	return again == before ? 0 : 1;
}

int main(void)
{
	big = mmap(NULL, BIG_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (big == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	memset(big, 0, BIG_BYTES);
	pthread_t t[WRITERS];
	for (long i = 0; i < WRITERS; i++) {
		if (pthread_create(&t[i], NULL, writer, (void *)i)) {
			printf("pthread_create failed\n");
			return 1;
		}
	}
	while (atomic_load(&progress[WRITERS - 1]) < 2) {
		sched_yield();
	}
	long first = sum_view();
	int changed = 0, failed = 0, bad_status = 0;
	for (int n = 0; n < FORKS; n++) {
		pid_t pid = fork();
		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0) {
			_exit(child());
		}
		int st;
		if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st)) {
			bad_status++;
		} else if (WEXITSTATUS(st) != 0) {
			changed++;
		}
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < WRITERS; i++) {
		pthread_join(t[i], NULL);
	}
	failed = sum_view() == first;
	printf("%d forks with %d writing threads: %d children saw their memory change, %d ended abnormally\n",
	       FORKS, WRITERS, changed, bad_status);
	printf("the writers made progress: %s\n", failed ? "no" : "yes");
	return 0;
}
