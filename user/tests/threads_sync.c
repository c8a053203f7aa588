/*
 * threads_sync: pthread synchronisation under contention, on futexes.
 * Checks: 8 threads each add 20000 times to a counter under one mutex
 *   (the total is exact); a bounded producer/consumer queue with two
 *   condition variables moves 20000 items from 3 producers to 3
 *   consumers (sum and count exact); pthread_cond_broadcast releases all
 *   waiters; detached threads finish (counted under a mutex and signalled
 *   with a condition variable) and cannot be joined (pthread_join of a
 *   detached thread is not attempted: undefined); a barrier holds 6
 *   threads until the last arrives; pthread_exit's value reaches join;
 *   pthread_once runs once; a recursive mutex locks twice; trylock on a
 *   held mutex gives EBUSY.
 * Mirrors: pthread_mutex_lock(3p), pthread_cond_wait(3p),
 *   pthread_barrier_wait(3p), pthread_detach(3), futex(2).
 * The same source is built with glibc as threads_sync_glibc.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define NTHREADS 8
#define ADDS 20000

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static void *adder(void *arg)
{
	(void)arg;
	for (int i = 0; i < ADDS; i++) {
		pthread_mutex_lock(&mu);
		counter++;
		pthread_mutex_unlock(&mu);
	}
	return NULL;
}

#define QCAP 16
#define ITEMS 20000
static int queue[QCAP], qhead, qlen, produced, consumed;
static long qsum;
static pthread_mutex_t qmu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t notfull = PTHREAD_COND_INITIALIZER, notempty = PTHREAD_COND_INITIALIZER;

static void *producer(void *arg)
{
	(void)arg;
	for (;;) {
		pthread_mutex_lock(&qmu);
		while (qlen == QCAP && produced < ITEMS)
			pthread_cond_wait(&notfull, &qmu);
		if (produced == ITEMS) {
			pthread_cond_broadcast(&notempty);
			pthread_mutex_unlock(&qmu);
			return NULL;
		}
		queue[(qhead + qlen) % QCAP] = ++produced;
		qlen++;
		pthread_cond_signal(&notempty);
		pthread_mutex_unlock(&qmu);
	}
}

static void *consumer(void *arg)
{
	long *mine = arg;
	for (;;) {
		pthread_mutex_lock(&qmu);
		while (qlen == 0 && consumed < ITEMS)
			pthread_cond_wait(&notempty, &qmu);
		if (qlen == 0 && consumed == ITEMS) {
			pthread_cond_broadcast(&notempty);
			pthread_mutex_unlock(&qmu);
			return NULL;
		}
		int v = queue[qhead];
		qhead = (qhead + 1) % QCAP;
		qlen--;
		consumed++;
		qsum += v;
		(*mine)++;
		pthread_cond_signal(&notfull);
		if (consumed == ITEMS)
			pthread_cond_broadcast(&notempty);
		pthread_mutex_unlock(&qmu);
	}
}

static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static int gate_open, waiting, detached_done;

static void *gate_waiter(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&gate_mu);
	waiting++;
	pthread_cond_broadcast(&gate_cv);
	while (!gate_open)
		pthread_cond_wait(&gate_cv, &gate_mu);
	pthread_mutex_unlock(&gate_mu);
	return (void *)1;
}

static void *detached(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&gate_mu);
	detached_done++;
	pthread_cond_broadcast(&gate_cv);
	pthread_mutex_unlock(&gate_mu);
	return NULL;
}

static pthread_barrier_t barrier;
static int before_barrier, serial;
static pthread_mutex_t bmu = PTHREAD_MUTEX_INITIALIZER;

static void *at_barrier(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&bmu);
	before_barrier++;
	pthread_mutex_unlock(&bmu);
	int r = pthread_barrier_wait(&barrier);
	pthread_mutex_lock(&bmu);
	int all_there = before_barrier == 6;
	if (r == PTHREAD_BARRIER_SERIAL_THREAD)
		serial++;
	pthread_mutex_unlock(&bmu);
	pthread_exit((void *)(long)all_there);
}

static int once_runs;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static void once_fn(void) { once_runs++; }
static void *call_once(void *arg) { (void)arg; pthread_once(&once, once_fn); return NULL; }

int main(void)
{
	pthread_t t[NTHREADS];
	for (int i = 0; i < NTHREADS; i++)
		pthread_create(&t[i], NULL, adder, NULL);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	printf("mutex counter: %ld (expected %d)\n", counter, NTHREADS * ADDS);

	pthread_t p[3], c[3];
	long got[3] = {0, 0, 0};
	for (int i = 0; i < 3; i++) {
		pthread_create(&c[i], NULL, consumer, &got[i]);
		pthread_create(&p[i], NULL, producer, NULL);
	}
	for (int i = 0; i < 3; i++) {
		pthread_join(p[i], NULL);
		pthread_join(c[i], NULL);
	}
	printf("queue: consumed %d, sum %ld (expected %ld), per consumer total %ld\n", consumed, qsum,
	       (long)ITEMS * (ITEMS + 1) / 2, got[0] + got[1] + got[2]);

	pthread_t w[5];
	for (int i = 0; i < 5; i++)
		pthread_create(&w[i], NULL, gate_waiter, NULL);
	pthread_mutex_lock(&gate_mu);
	while (waiting < 5)
		pthread_cond_wait(&gate_cv, &gate_mu);
	gate_open = 1;
	pthread_cond_broadcast(&gate_cv);
	pthread_mutex_unlock(&gate_mu);
	long released = 0;
	for (int i = 0; i < 5; i++) {
		void *r;
		pthread_join(w[i], &r);
		released += (long)r;
	}
	printf("broadcast released %ld of 5 waiters\n", released);

	for (int i = 0; i < 4; i++) {
		pthread_t d;
		pthread_attr_t a;
		pthread_attr_init(&a);
		pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
		pthread_create(&d, &a, detached, NULL);
		pthread_attr_destroy(&a);
	}
	pthread_mutex_lock(&gate_mu);
	while (detached_done < 4)
		pthread_cond_wait(&gate_cv, &gate_mu);
	pthread_mutex_unlock(&gate_mu);
	printf("detached threads finished: %d\n", detached_done);

	pthread_barrier_init(&barrier, NULL, 6);
	pthread_t b[6];
	for (int i = 0; i < 6; i++)
		pthread_create(&b[i], NULL, at_barrier, NULL);
	long ok = 0;
	for (int i = 0; i < 6; i++) {
		void *r;
		pthread_join(b[i], &r);
		ok += (long)r;
	}
	printf("barrier: %ld of 6 saw all 6 arrive, serial threads %d\n", ok, serial);
	pthread_barrier_destroy(&barrier);

	pthread_t o[4];
	for (int i = 0; i < 4; i++)
		pthread_create(&o[i], NULL, call_once, NULL);
	for (int i = 0; i < 4; i++)
		pthread_join(o[i], NULL);
	printf("pthread_once ran %d time(s)\n", once_runs);

	pthread_mutexattr_t ma;
	pthread_mutex_t rm;
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&rm, &ma);
	int r1 = pthread_mutex_lock(&rm), r2 = pthread_mutex_lock(&rm);
	pthread_mutex_unlock(&rm);
	pthread_mutex_unlock(&rm);
	printf("recursive mutex locked twice: %d %d\n", r1, r2);
	pthread_mutex_lock(&mu);
	int tr = pthread_mutex_trylock(&mu);
	pthread_mutex_unlock(&mu);
	printf("trylock on a held mutex: %s\n", tr == EBUSY ? "EBUSY" : "other");
	return 0;
}
