/*
 * tlb_unmap_protect: a page-table change made by one thread reaches the
 * TLB of every CPU where another thread of the process runs, before the
 * call that made it returns (the TLB shootdown). A second thread keeps
 * touching a page while the main thread changes its mapping; once the
 * call has returned, the thread's next touch must see the change.
 * Checks, each over ROUNDS rounds with the toucher running flat out:
 *   munmap: the next read of the page raises SIGSEGV;
 *   mprotect(PROT_READ): the next write raises SIGSEGV, a read still
 *     gives the value written before;
 *   madvise(MADV_DONTNEED) on private anonymous memory: the next read
 *     gives 0, not what the thread wrote before.
 * Mirrors: munmap(2), mprotect(2), madvise(2); Linux's
 *   flush_tlb_mm_range().
 */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define ROUNDS 40
/* Touches the thread makes before the main thread changes the page, so
 * that the page's translation is in the thread's TLB. */
#define WARM 2000

enum op { OP_MUNMAP, OP_MPROTECT, OP_DONTNEED, OP_QUIT };

static _Atomic int round_no;      /* main: a new round begins */
static _Atomic int changed;       /* main: the call has returned */
static _Atomic int done;          /* thread: this round's verdict is in */
static _Atomic long touches;
static volatile int *page;
static enum op op;
static int verdict;               /* 1: the change was seen */

static __thread sigjmp_buf jb;
static __thread volatile int armed;

static void on_segv(int sig)
{
	(void)sig;
	if (armed) {
		armed = 0;
		siglongjmp(jb, 1);
	}
	_exit(99);
}

/* Touch the page once the way this round's check needs: 1 if it faulted. */
static int touch(int value)
{
	if (sigsetjmp(jb, 1)) {
		return 1;
	}
	armed = 1;
	if (op == OP_MPROTECT) {
		page[0] = value;
	} else {
		(void)page[0];
	}
	armed = 0;
	return 0;
}

static void *toucher(void *arg)
{
	(void)arg;
	for (int seen = 0;;) {
		while (atomic_load(&round_no) == seen) {
			sched_yield();
		}
		seen = atomic_load(&round_no);
		if (op == OP_QUIT) {
			return NULL;
		}
		/* Before the change, or racing it: faults are allowed here. */
		while (!atomic_load(&changed)) {
			touch(seen);
			atomic_fetch_add(&touches, 1);
		}
		switch (op) {
		case OP_MUNMAP:
			verdict = touch(0);
			break;
		case OP_MPROTECT:
			verdict = touch(-1) && page[0] != -1;
			break;
		case OP_DONTNEED:
			verdict = page[0] == 0;
			break;
		case OP_QUIT:
			break;
		}
		atomic_store(&done, 1);
	}
}

static int run(pthread_t t, enum op what, int rounds)
{
	(void)t;
	int seen = 0;
	for (int r = 0; r < rounds; r++) {
		int *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			perror("mmap");
			return -1;
		}
		p[0] = 12345;
		page = p;
		op = what;
		atomic_store(&changed, 0);
		atomic_store(&done, 0);
		atomic_store(&touches, 0);
		atomic_fetch_add(&round_no, 1);
		while (atomic_load(&touches) < WARM) {
			sched_yield();
		}
		switch (what) {
		case OP_MUNMAP:
			munmap(p, 4096);
			break;
		case OP_MPROTECT:
			mprotect(p, 4096, PROT_READ);
			break;
		case OP_DONTNEED:
			madvise(p, 4096, MADV_DONTNEED);
			break;
		case OP_QUIT:
			break;
		}
		atomic_store(&changed, 1);
		while (!atomic_load(&done)) {
			sched_yield();
		}
		seen += verdict;
		if (what != OP_MUNMAP) {
			munmap(p, 4096);
		}
	}
	return seen;
}

int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_segv;
	sa.sa_flags = SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);

	pthread_t t;
	if (pthread_create(&t, NULL, toucher, NULL)) {
		printf("pthread_create failed\n");
		return 1;
	}
	printf("munmap: the next read faulted in %d of %d rounds\n", run(t, OP_MUNMAP, ROUNDS), ROUNDS);
	printf("mprotect(PROT_READ): the next write faulted in %d of %d rounds\n", run(t, OP_MPROTECT, ROUNDS), ROUNDS);
	printf("madvise(DONTNEED): the next read gave 0 in %d of %d rounds\n", run(t, OP_DONTNEED, ROUNDS), ROUNDS);
	op = OP_QUIT;
	atomic_fetch_add(&round_no, 1);
	pthread_join(t, NULL);
	return 0;
}
