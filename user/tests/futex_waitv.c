/*
 * futex_waitv: wait on several futex words at once; the call returns the
 * index of the word whose FUTEX_WAKE woke it, and leaves the others.
 * Errors: flags, a count of 0 or above 128, NULL, a waiter without the
 * 32-bit size flag or with unknown flags or a non-zero reserved field, a
 * misaligned word (EINVAL); a word that no longer holds its value
 * (EAGAIN); an absolute timeout that passes (ETIMEDOUT); a bad clock.
 * Mirrors: futex_waitv(2) (Linux 5.16), futex(2).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

#ifndef SYS_futex_waitv
#define SYS_futex_waitv 449
#endif
#define FUTEX_WAKE_PRIVATE (1 | 128)
#define FUTEX2_SIZE_U32 0x02
#define FUTEX2_PRIVATE 128

struct waitv {
	uint64_t val, uaddr;
	uint32_t flags, reserved;
};

static uint32_t words[4] __attribute__((aligned(8)));

static long waitv(struct waitv *w, unsigned n, unsigned flags, struct timespec *t, int clk)
{
	return syscall(SYS_futex_waitv, w, n, flags, t, clk);
}

static long woke;

static void *waker(void *arg)
{
	int i = *(int *)arg;
	sleep_ms(100);
	words[i] = 1;
	woke = syscall(SYS_futex, &words[i], FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	return NULL;
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	struct waitv w[3];
	for (int i = 0; i < 3; i++)
		w[i] = (struct waitv){0, (uintptr_t)&words[i], FUTEX2_SIZE_U32 | FUTEX2_PRIVATE, 0};
	printf("flags 1: %s\n", rc_str(waitv(w, 3, 1, NULL, 0)));
	printf("count 0: %s\n", rc_str(waitv(w, 0, 0, NULL, 0)));
	printf("count 129: %s\n", rc_str(waitv(w, 129, 0, NULL, 0)));
	printf("NULL: %s\n", rc_str(waitv(NULL, 1, 0, NULL, 0)));
	struct waitv bad = w[0];
	bad.flags = FUTEX2_PRIVATE;
	printf("no size flag: %s\n", rc_str(waitv(&bad, 1, 0, NULL, 0)));
	bad.flags = FUTEX2_SIZE_U32 | 0x10000;
	printf("unknown flag: %s\n", rc_str(waitv(&bad, 1, 0, NULL, 0)));
	bad = w[0];
	bad.reserved = 1;
	printf("reserved set: %s\n", rc_str(waitv(&bad, 1, 0, NULL, 0)));
	bad = w[0];
	bad.uaddr += 2;
	printf("misaligned: %s\n", rc_str(waitv(&bad, 1, 0, NULL, 0)));
	bad = w[0];
	bad.uaddr = 16;
	printf("unmapped word: %s\n", rc_str(waitv(&bad, 1, 0, NULL, 0)));
	bad = w[1];
	bad.val = 7;
	struct waitv mix[2] = {w[0], bad};
	printf("second word changed: %s\n", rc_str(waitv(mix, 2, 0, NULL, 0)));

	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	printf("bad clock: %s\n", rc_str(waitv(w, 3, 0, &now, CLOCK_BOOTTIME)));
	printf("timeout already passed: %s\n", rc_str(waitv(w, 3, 0, &now, CLOCK_MONOTONIC)));
	struct timespec soon = now;
	soon.tv_nsec += 50000000;
	if (soon.tv_nsec >= 1000000000) {
		soon.tv_sec++;
		soon.tv_nsec -= 1000000000;
	}
	printf("timeout in 50 ms: %s\n", rc_str(waitv(w, 3, 0, &soon, CLOCK_MONOTONIC)));
	struct timespec real;
	clock_gettime(CLOCK_REALTIME, &real);
	real.tv_nsec = 0;
	real.tv_sec -= 1;
	printf("realtime timeout passed: %s\n", rc_str(waitv(w, 3, 0, &real, CLOCK_REALTIME)));

	for (int which = 2; which >= 0; which -= 2) {
		memset(words, 0, sizeof words);
		pthread_t t;
		pthread_create(&t, NULL, waker, &which);
		long r = waitv(w, 3, 0, NULL, 0);
		pthread_join(t, NULL);
		printf("woken by word %d: returned %s; the wake woke %ld\n", which, rc_str(r), woke);
	}
	return 0;
}
