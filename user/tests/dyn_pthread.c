// cc: gcc -O2 -pthread
/*
 * dyn_pthread: threads in a dynamically linked glibc program: libc's
 * pthread_create (clone3 or clone with CLONE_SETTLS, the TLS block the
 * loader laid out), a mutex, thread-local variables, pthread_join.
 * Checks: each thread sees its own __thread variable and its argument;
 *   the mutex-protected counter reaches the total; join returns each
 *   thread's result; a thread's errno is its own.
 * Mirrors: pthread_create(3), pthread_join(3), clone(2), ld.so(8) (TLS).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdint.h>
#include <unistd.h>

#define THREADS 4
#define ROUNDS 10000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;
static __thread long mine = 100;

static void *worker(void *arg)
{
	long id = (long)(intptr_t)arg;
	mine += id;
	for (int i = 0; i < ROUNDS; i++) {
		pthread_mutex_lock(&lock);
		counter++;
		pthread_mutex_unlock(&lock);
	}
	errno = (int)id + 1;
	if (close(-1) != -1 || errno != EBADF)
		return (void *)-1;
	return (void *)(intptr_t)(mine * 10);
}

int main(void)
{
	pthread_t t[THREADS];
	for (long i = 0; i < THREADS; i++)
		if (pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i)) {
			printf("pthread_create failed\n");
			return 1;
		}
	for (int i = 0; i < THREADS; i++) {
		void *r;
		pthread_join(t[i], &r);
		printf("thread %d returned %ld\n", i, (long)(intptr_t)r);
	}
	printf("counter %ld (expected %d), main's tls %ld, errno %d\n", counter, THREADS * ROUNDS, mine, errno);
	return 0;
}
