/*
 * futex: the futex(2) system call, raw, on private memory between
 * threads and on MAP_SHARED memory between processes.
 * Waiters are known to be asleep before anyone wakes them: each announces
 * itself, then the waker polls /proc/self/task/<tid>/stat (or
 * /proc/<pid>/stat) until its state is 'S' (with a bounded fallback), or
 * wakes in a retry loop until the wake returns 1.
 * Checks:
 *   FUTEX_WAIT (private and shared) with a value that does not match ->
 *     EAGAIN at once; a relative timeout of 20 ms -> ETIMEDOUT after at
 *     least 20 ms; FUTEX_WAIT|FUTEX_CLOCK_REALTIME -> ENOSYS (only the
 *     BITSET/PI waits take that flag); a timeout with tv_nsec 1e9 or
 *     tv_sec -1 -> EINVAL (checked before the value);
 *   FUTEX_WAIT_BITSET: an absolute CLOCK_MONOTONIC timeout in the past ->
 *     ETIMEDOUT at once, 20 ms ahead -> ETIMEDOUT after at least 20 ms;
 *     with FUTEX_CLOCK_REALTIME an absolute CLOCK_REALTIME time in the
 *     past -> ETIMEDOUT; bitset 0 -> EINVAL (wait and wake);
 *   FUTEX_WAKE: with nobody waiting -> 0; 3 waiting threads: wake 2
 *     returns 2, then wake INT_MAX returns 1, all three return 0 from the
 *     wait; FUTEX_CLOCK_REALTIME with FUTEX_WAKE -> ENOSYS;
 *   FUTEX_WAKE_BITSET: waiters with bitsets 1 and 2; waking bitset 2
 *     returns 1 and wakes exactly the second; bitset 4 wakes none; a
 *     plain FUTEX_WAKE wakes the first;
 *   FUTEX_REQUEUE: 3 waiters on A, requeue(wake 1, requeue 1 to B)
 *     returns 2; then wake B returns 1 and wake A returns 1;
 *     FUTEX_CMP_REQUEUE with a stale val3 -> EAGAIN (nobody moved), with
 *     the right one wake 0 requeue INT_MAX moves all (returns 2), the
 *     old word has no waiters left (wake -> 0); negative counts -> EINVAL;
 *   FUTEX_WAKE_OP: FUTEX_OP(ADD, 1, CMP_GT, 0) on 5 with nobody waiting
 *     returns 0 and leaves 6; with one waiter on each word and the
 *     comparison true returns 2, false (CMP_EQ 0) returns 1 and wakes
 *     only the first word's waiter (the op is applied either way);
 *     SET, OR, ANDN, XOR and FUTEX_OP_OPARG_SHIFT compute as documented;
 *     an unknown op -> ENOSYS and the word is unchanged; an unknown
 *     comparison -> ENOSYS after the op has been applied; uaddr2 in a
 *     read-only page -> EFAULT;
 *   shared futex on MAP_SHARED memory across fork (no
 *     FUTEX_PRIVATE_FLAG): the parent waits, the child's wake returns 1
 *     and the parent's wait returns 0; FUTEX_WAKE_PRIVATE from another
 *     process does not reach a FUTEX_WAIT_PRIVATE waiter (it returns 0,
 *     the waiter times out);
 *   errors: misaligned address -> EINVAL (wait and wake); address 0x10
 *     -> EFAULT for FUTEX_WAIT and for the shared FUTEX_WAKE, while the
 *     private FUTEX_WAKE does not look at memory (0); FUTEX_WAIT on a
 *     read-only page works (EAGAIN on mismatch); unknown ops 14 and 127
 *     and the removed FUTEX_FD (2) -> ENOSYS.
 * Mirrors: futex(2) (FUTEX_WAIT, FUTEX_WAKE, FUTEX_WAIT_BITSET,
 *   FUTEX_WAKE_BITSET, FUTEX_REQUEUE, FUTEX_CMP_REQUEUE, FUTEX_WAKE_OP,
 *   FUTEX_PRIVATE_FLAG, FUTEX_CLOCK_REALTIME, ERRORS), proc(5)
 *   (/proc/pid/stat state).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_FD 2
#define FUTEX_REQUEUE 3
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAKE_OP 5
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CLOCK_REALTIME 256
#define FUTEX_OP_SET 0
#define FUTEX_OP_ADD 1
#define FUTEX_OP_OR 2
#define FUTEX_OP_ANDN 3
#define FUTEX_OP_XOR 4
#define FUTEX_OP_OPARG_SHIFT 8
#define FUTEX_OP_CMP_EQ 0
#define FUTEX_OP_CMP_NE 1
#define FUTEX_OP_CMP_LT 2
#define FUTEX_OP_CMP_LE 3
#define FUTEX_OP_CMP_GT 4
#define FUTEX_OP_CMP_GE 5
#define FUTEX_OP(op, oparg, cmp, cmparg)                                                           \
	(((op & 0xf) << 28) | ((cmp & 0xf) << 24) | ((oparg & 0xfff) << 12) | (cmparg & 0xfff))
#define P FUTEX_PRIVATE_FLAG

static long fx(volatile void *uaddr, int op, int val, const void *timeout_or_val2, volatile void *uaddr2,
	       int val3)
{
	return syscall(SYS_futex, uaddr, op, val, timeout_or_val2, uaddr2, val3);
}

/* "N" for a count, "-1 EXXX" for an error */
static const char *res(long r)
{
	static char b[8][24];
	static int n;
	char *s = b[n++ & 7];
	if (r < 0)
		snprintf(s, 24, "-1 %s", en(errno));
	else
		snprintf(s, 24, "%ld", r);
	return s;
}

#define V2(n) ((const void *)(uintptr_t)(n))

static long long now_ns(clockid_t c)
{
	struct timespec t;
	clock_gettime(c, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static pid_t gettid_(void)
{
	return (pid_t)syscall(SYS_gettid);
}

static void thread_sleeping(pid_t tid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/self/task/%d/stat", tid);
	until_sleeping(path);
}

/* ---- waiter threads ---- */

struct waiter {
	pthread_t th;
	volatile int *word;
	int op, val, bitset;
	volatile pid_t tid;
	volatile long ret;
	volatile int err;
	volatile int done;
};

static void *wait_fn(void *a)
{
	struct waiter *w = a;
	w->tid = gettid_();
	long r = fx(w->word, w->op, w->val, NULL, NULL, w->bitset);
	w->err = r < 0 ? errno : 0;
	w->ret = r;
	w->done = 1;
	return NULL;
}

static void start_waiter(struct waiter *w, volatile int *word, int op, int val, int bitset)
{
	w->word = word;
	w->op = op;
	w->val = val;
	w->bitset = bitset;
	w->tid = 0;
	w->done = 0;
	pthread_create(&w->th, NULL, wait_fn, w);
	while (w->tid == 0)
		sleep_ms(1);
	thread_sleeping(w->tid);
}

static const char *wres(struct waiter *w)
{
	static char b[4][24];
	static int n;
	char *s = b[n++ & 3];
	if (!w->done)
		snprintf(s, 24, "still waiting");
	else if (w->ret < 0)
		snprintf(s, 24, "-1 %s", en(w->err));
	else
		snprintf(s, 24, "%ld", w->ret);
	return s;
}

/* give a just-woken waiter time to record its result */
static void settle(struct waiter *w, int n)
{
	for (int i = 0; i < 2000; i++) {
		int all = 1;
		for (int k = 0; k < n; k++)
			if (!w[k].done)
				all = 0;
		if (all)
			return;
		sleep_ms(1);
	}
}

static volatile int word_a, word_b;

static void basic_waits(void)
{
	printf("-- FUTEX_WAIT and timeouts\n");
	word_a = 1;
	printf("FUTEX_WAIT_PRIVATE, value mismatch: %s\n", res(fx(&word_a, FUTEX_WAIT | P, 0, NULL, NULL, 0)));
	printf("FUTEX_WAIT (shared), value mismatch: %s\n", res(fx(&word_a, FUTEX_WAIT, 0, NULL, NULL, 0)));
	struct timespec rel = {0, 20 * 1000 * 1000};
	long long t0 = now_ns(CLOCK_MONOTONIC);
	long r = fx(&word_a, FUTEX_WAIT | P, 1, &rel, NULL, 0);
	long long dt = now_ns(CLOCK_MONOTONIC) - t0;
	printf("FUTEX_WAIT, 20 ms relative timeout: %s, >= 20 ms: %s\n", res(r), dt >= 20000000 ? "yes" : "no");
	r = fx(&word_a, FUTEX_WAIT | P | FUTEX_CLOCK_REALTIME, 1, &rel, NULL, 0);
	printf("FUTEX_WAIT|FUTEX_CLOCK_REALTIME, 20 ms relative: %s\n", res(r));
	struct timespec badns = {0, 1000000000};
	printf("FUTEX_WAIT, tv_nsec 1000000000: %s\n", res(fx(&word_a, FUTEX_WAIT | P, 0, &badns, NULL, 0)));
	struct timespec negs = {-1, 0};
	printf("FUTEX_WAIT, tv_sec -1: %s\n", res(fx(&word_a, FUTEX_WAIT | P, 0, &negs, NULL, 0)));

	struct timespec past = {0, 1000}; /* 1 us after boot */
	r = fx(&word_a, FUTEX_WAIT_BITSET | P, 1, &past, NULL, -1);
	printf("FUTEX_WAIT_BITSET, absolute CLOCK_MONOTONIC in the past: %s\n", res(r));
	struct timespec ahead;
	clock_gettime(CLOCK_MONOTONIC, &ahead);
	t0 = now_ns(CLOCK_MONOTONIC);
	ahead.tv_nsec += 20 * 1000 * 1000;
	if (ahead.tv_nsec >= 1000000000) {
		ahead.tv_nsec -= 1000000000;
		ahead.tv_sec++;
	}
	r = fx(&word_a, FUTEX_WAIT_BITSET | P, 1, &ahead, NULL, -1);
	dt = now_ns(CLOCK_MONOTONIC) - t0;
	printf("FUTEX_WAIT_BITSET, absolute 20 ms ahead: %s, >= 20 ms: %s\n", res(r),
	       dt >= 20000000 ? "yes" : "no");
	clock_gettime(CLOCK_REALTIME, &past);
	past.tv_sec -= 1;
	r = fx(&word_a, FUTEX_WAIT_BITSET | P | FUTEX_CLOCK_REALTIME, 1, &past, NULL, -1);
	printf("FUTEX_WAIT_BITSET|FUTEX_CLOCK_REALTIME, CLOCK_REALTIME in the past: %s\n", res(r));
	printf("FUTEX_WAIT_BITSET, bitset 0: %s\n", res(fx(&word_a, FUTEX_WAIT_BITSET | P, 0, NULL, NULL, 0)));
	printf("FUTEX_WAKE_BITSET, bitset 0: %s\n", res(fx(&word_a, FUTEX_WAKE_BITSET | P, 1, NULL, NULL, 0)));
	printf("FUTEX_WAKE with nobody waiting: %s\n", res(fx(&word_a, FUTEX_WAKE | P, 1, NULL, NULL, 0)));
	printf("FUTEX_WAKE|FUTEX_CLOCK_REALTIME: %s\n",
	       res(fx(&word_a, FUTEX_WAKE | P | FUTEX_CLOCK_REALTIME, 1, NULL, NULL, 0)));
}

static void wake_counts(void)
{
	struct waiter w[3];
	printf("-- FUTEX_WAKE counts\n");
	word_a = 0;
	for (int i = 0; i < 3; i++)
		start_waiter(&w[i], &word_a, FUTEX_WAIT | P, 0, 0);
	long r = fx(&word_a, FUTEX_WAKE | P, 2, NULL, NULL, 0);
	printf("3 waiting, FUTEX_WAKE 2: %s\n", res(r));
	r = fx(&word_a, FUTEX_WAKE | P, INT_MAX, NULL, NULL, 0);
	printf("then FUTEX_WAKE INT_MAX: %s\n", res(r));
	settle(w, 3);
	for (int i = 0; i < 3; i++)
		pthread_join(w[i].th, NULL);
	printf("the waits returned: %s %s %s\n", wres(&w[0]), wres(&w[1]), wres(&w[2]));
}

static void bitsets(void)
{
	struct waiter w[2];
	printf("-- FUTEX_WAKE_BITSET\n");
	word_a = 0;
	start_waiter(&w[0], &word_a, FUTEX_WAIT_BITSET | P, 0, 1);
	start_waiter(&w[1], &word_a, FUTEX_WAIT_BITSET | P, 0, 2);
	long r = fx(&word_a, FUTEX_WAKE_BITSET | P, INT_MAX, NULL, NULL, 2);
	settle(&w[1], 1);
	printf("waiters with bitsets 1 and 2, wake bitset 2: %s; first: %s, second: %s\n", res(r),
	       wres(&w[0]), wres(&w[1]));
	r = fx(&word_a, FUTEX_WAKE_BITSET | P, INT_MAX, NULL, NULL, 4);
	printf("wake bitset 4: %s\n", res(r));
	r = fx(&word_a, FUTEX_WAKE | P, INT_MAX, NULL, NULL, 0);
	settle(&w[0], 1);
	printf("plain FUTEX_WAKE: %s; first: %s\n", res(r), wres(&w[0]));
	pthread_join(w[0].th, NULL);
	pthread_join(w[1].th, NULL);
}

static void requeue(void)
{
	struct waiter w[3];
	printf("-- FUTEX_REQUEUE / FUTEX_CMP_REQUEUE\n");
	word_a = 0;
	word_b = 0;
	for (int i = 0; i < 3; i++)
		start_waiter(&w[i], &word_a, FUTEX_WAIT | P, 0, 0);
	long r = fx(&word_a, FUTEX_REQUEUE | P, 1, V2(1), &word_b, 0);
	printf("3 on A, FUTEX_REQUEUE wake 1 requeue 1 to B: %s\n", res(r));
	r = fx(&word_b, FUTEX_WAKE | P, INT_MAX, NULL, NULL, 0);
	printf("wake B: %s\n", res(r));
	r = fx(&word_a, FUTEX_WAKE | P, INT_MAX, NULL, NULL, 0);
	printf("wake A: %s\n", res(r));
	settle(w, 3);
	for (int i = 0; i < 3; i++)
		pthread_join(w[i].th, NULL);
	printf("the waits returned: %s %s %s\n", wres(&w[0]), wres(&w[1]), wres(&w[2]));

	word_a = 5;
	for (int i = 0; i < 2; i++)
		start_waiter(&w[i], &word_a, FUTEX_WAIT | P, 5, 0);
	r = fx(&word_a, FUTEX_CMP_REQUEUE | P, 0, V2(INT_MAX), &word_b, 4);
	printf("2 on A, FUTEX_CMP_REQUEUE with val3 4 (A is 5): %s\n", res(r));
	r = fx(&word_a, FUTEX_CMP_REQUEUE | P, -1, V2(1), &word_b, 5);
	printf("FUTEX_CMP_REQUEUE with nr_wake -1: %s\n", res(r));
	r = fx(&word_a, FUTEX_CMP_REQUEUE | P, 0, V2(-1), &word_b, 5);
	printf("FUTEX_CMP_REQUEUE with nr_requeue -1: %s\n", res(r));
	r = fx(&word_a, FUTEX_CMP_REQUEUE | P, 0, V2(INT_MAX), &word_b, 5);
	printf("FUTEX_CMP_REQUEUE with val3 5, wake 0, requeue INT_MAX: %s\n", res(r));
	r = fx(&word_a, FUTEX_WAKE | P, INT_MAX, NULL, NULL, 0);
	printf("wake A: %s\n", res(r));
	r = fx(&word_b, FUTEX_WAKE | P, INT_MAX, NULL, NULL, 0);
	printf("wake B: %s\n", res(r));
	settle(w, 2);
	for (int i = 0; i < 2; i++)
		pthread_join(w[i].th, NULL);
	printf("the waits returned: %s %s\n", wres(&w[0]), wres(&w[1]));
}

static void wake_op(void)
{
	struct waiter w[2];
	printf("-- FUTEX_WAKE_OP\n");
	word_a = 0;
	word_b = 5;
	long r = fx(&word_a, FUTEX_WAKE_OP | P, 1, V2(1), &word_b, FUTEX_OP(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_GT, 0));
	printf("ADD 1, CMP_GT 0 on 5, nobody waiting: %s, word now %d\n", res(r), word_b);

	start_waiter(&w[0], &word_a, FUTEX_WAIT | P, 0, 0);
	start_waiter(&w[1], &word_b, FUTEX_WAIT | P, 6, 0);
	r = fx(&word_a, FUTEX_WAKE_OP | P, 1, V2(1), &word_b, FUTEX_OP(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_GT, 0));
	settle(w, 2);
	printf("one waiter on each, ADD 1, CMP_GT 0 (true): %s, word now %d; waits: %s %s\n", res(r),
	       word_b, wres(&w[0]), wres(&w[1]));
	pthread_join(w[0].th, NULL);
	pthread_join(w[1].th, NULL);

	start_waiter(&w[0], &word_a, FUTEX_WAIT | P, 0, 0);
	start_waiter(&w[1], &word_b, FUTEX_WAIT | P, 7, 0);
	r = fx(&word_a, FUTEX_WAKE_OP | P, 1, V2(1), &word_b, FUTEX_OP(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_EQ, 0));
	settle(w, 1);
	int second = w[1].done;
	printf("one waiter on each, ADD 1, CMP_EQ 0 (false): %s, word now %d; first: %s, second "
	       "woken: %s\n",
	       res(r), word_b, wres(&w[0]), second ? "yes" : "no");
	r = fx(&word_b, FUTEX_WAKE | P, INT_MAX, NULL, NULL, 0);
	settle(&w[1], 1);
	printf("wake the second: %s\n", res(r));
	pthread_join(w[0].th, NULL);
	pthread_join(w[1].th, NULL);

	static const struct {
		const char *name;
		int op, oparg, start;
	} ops[] = {
		{"SET 3", FUTEX_OP_SET, 3, 100},
		{"OR 0x30", FUTEX_OP_OR, 0x30, 0x05},
		{"ANDN 0x0f", FUTEX_OP_ANDN, 0x0f, 0xff},
		{"XOR 0x11", FUTEX_OP_XOR, 0x11, 0x10},
		{"ADD -2", FUTEX_OP_ADD, -2, 10},
		{"SET|OPARG_SHIFT 4 (1<<4)", FUTEX_OP_SET | FUTEX_OP_OPARG_SHIFT, 4, 0},
		{"OR|OPARG_SHIFT 31", FUTEX_OP_OR | FUTEX_OP_OPARG_SHIFT, 31, 1},
	};
	for (unsigned i = 0; i < sizeof ops / sizeof ops[0]; i++) {
		word_b = ops[i].start;
		r = fx(&word_a, FUTEX_WAKE_OP | P, 1, V2(1), &word_b,
		       FUTEX_OP(ops[i].op, ops[i].oparg, FUTEX_OP_CMP_NE, 0));
		printf("%s on %#x: %s, word now %#x\n", ops[i].name, ops[i].start, res(r), (unsigned)word_b);
	}
	word_b = 9;
	r = fx(&word_a, FUTEX_WAKE_OP | P, 1, V2(1), &word_b, FUTEX_OP(5, 1, FUTEX_OP_CMP_EQ, 0));
	printf("unknown op 5: %s, word now %d\n", res(r), word_b);
	r = fx(&word_a, FUTEX_WAKE_OP | P, 1, V2(1), &word_b, FUTEX_OP(FUTEX_OP_ADD, 1, 6, 0));
	printf("ADD 1 with unknown comparison 6: %s, word now %d\n", res(r), word_b);
	int *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	r = fx(&word_a, FUTEX_WAKE_OP | P, 1, V2(1), ro, FUTEX_OP(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_EQ, 0));
	printf("uaddr2 read-only: %s\n", res(r));
	printf("FUTEX_WAIT on a read-only page, mismatch: %s\n", res(fx(ro, FUTEX_WAIT | P, 1, NULL, NULL, 0)));
	munmap(ro, 4096);
}

static void shared_fork(void)
{
	int st;
	printf("-- shared futex across fork\n");
	volatile int *sw = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	*sw = 0;
	pid_t parent = getpid();
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		/* wake until somebody was there to be woken */
		for (int i = 0; i < 4000; i++) {
			long r = fx(sw, FUTEX_WAKE, 1, NULL, NULL, 0);
			if (r != 0)
				_exit(r == 1 ? 1 : 2);
			sleep_ms(1);
		}
		_exit(0);
	}
	long r = fx(sw, FUTEX_WAIT, 0, NULL, NULL, 0);
	waitpid(c, &st, 0);
	printf("parent FUTEX_WAIT: %s; child's FUTEX_WAKE returned %s\n", res(r),
	       WIFEXITED(st) && WEXITSTATUS(st) == 1 ? "1" : "something else");

	*sw = 0;
	fflush(stdout);
	c = fork();
	if (c == 0) {
		char path[64];
		snprintf(path, sizeof path, "/proc/%d/stat", parent);
		until_sleeping(path);
		long w = fx(sw, FUTEX_WAKE | P, 1, NULL, NULL, 0);
		_exit(w == 0 ? 0 : 1);
	}
	struct timespec to = {0, 300 * 1000 * 1000};
	r = fx(sw, FUTEX_WAIT | P, 0, &to, NULL, 0);
	waitpid(c, &st, 0);
	printf("FUTEX_WAIT_PRIVATE in the parent: %s; child's FUTEX_WAKE_PRIVATE returned %s\n", res(r),
	       WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "0" : "something else");
	munmap((void *)sw, 4096);
}

static void errors(void)
{
	static int aligned[2];
	printf("-- errors\n");
	/* the values never match, so a missing check cannot make a call block */
	char *mis = (char *)aligned + 1;
	printf("FUTEX_WAIT misaligned: %s\n", res(fx(mis, FUTEX_WAIT | P, 1, NULL, NULL, 0)));
	printf("FUTEX_WAKE misaligned: %s\n", res(fx(mis, FUTEX_WAKE | P, 1, NULL, NULL, 0)));
	printf("FUTEX_WAIT at 0x10: %s\n", res(fx((void *)0x10, FUTEX_WAIT | P, 0, NULL, NULL, 0)));
	printf("FUTEX_WAIT (shared) at 0x10: %s\n", res(fx((void *)0x10, FUTEX_WAIT, 0, NULL, NULL, 0)));
	printf("FUTEX_WAKE_PRIVATE at 0x10: %s\n", res(fx((void *)0x10, FUTEX_WAKE | P, 1, NULL, NULL, 0)));
	printf("FUTEX_WAKE (shared) at 0x10: %s\n", res(fx((void *)0x10, FUTEX_WAKE, 1, NULL, NULL, 0)));
	printf("FUTEX_WAIT, bad timeout pointer: %s\n",
	       res(fx(aligned, FUTEX_WAIT | P, 1, (void *)0x10, NULL, 0)));
	printf("op FUTEX_FD (2): %s\n", res(fx(aligned, FUTEX_FD, 1, NULL, NULL, 0)));
	printf("op 14: %s\n", res(fx(aligned, 14 | P, 1, NULL, NULL, 0)));
	printf("op 127: %s\n", res(fx(aligned, 127, 1, NULL, NULL, 0)));
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	basic_waits();
	wake_counts();
	bitsets();
	requeue();
	wake_op();
	shared_fork();
	errors();
	return 0;
}
