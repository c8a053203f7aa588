/*
 * tid_address: what the kernel does with a thread's clear_child_tid
 * address (set_tid_address(2), CLONE_CHILD_CLEARTID) and its robust
 * futex list (set_robust_list(2)) when the thread or process ends.
 * Raw threads are made with clone(2) directly so that libc's own
 * bookkeeping does not hide what the kernel does.
 * Checks:
 *   set_tid_address returns the caller's TID (== getpid() in a
 *     single-threaded child; == the thread's TID in a raw thread), also
 *     for NULL;
 *   CLONE_CHILD_SETTID|CLONE_CHILD_CLEARTID on a raw thread: the word is
 *     the thread's TID while it runs; when it exits the word is zeroed and
 *     a shared FUTEX_WAIT on it returns 0 (woken); a FUTEX_WAIT_PRIVATE
 *     waiter is not woken by that (shared) wake and times out, the word
 *     being 0 by then;
 *   set_tid_address in a thread replaces the CLONE_CHILD_CLEARTID word:
 *     the new word is zeroed at exit, the old one keeps the TID; a bad
 *     address (0x10) is accepted and the thread's exit is harmless;
 *   a single-threaded process's exit does not clear its word (Linux only
 *     clears it when the memory is still shared: a word in MAP_SHARED
 *     memory keeps its value after the child has exited);
 *   robust list, raw: set_robust_list with a wrong length -> EINVAL;
 *     get_robust_list(0) returns the head and length 24 just set;
 *     get_robust_list of a nonexistent PID -> ESRCH; a raw thread
 *     registers a list with two entries, one lock word holding its TID
 *     (and FUTEX_WAITERS, set by a waiter sleeping on it), one holding
 *     another value; at its exit the first becomes FUTEX_OWNER_DIED|
 *     FUTEX_WAITERS and the waiter is woken, the second is untouched;
 *   robust pthread mutexes: a thread that returns while holding one (musl
 *     processes the list itself) -> the next pthread_mutex_lock returns
 *     EOWNERDEAD, pthread_mutex_consistent 0, unlock then lock 0; a
 *     process-shared robust mutex in MAP_SHARED memory held by a child
 *     that _exits (the kernel walks the list) -> EOWNERDEAD for a parent
 *     already blocked in pthread_mutex_lock; held by a child killed with
 *     SIGKILL -> EOWNERDEAD; unlocking without pthread_mutex_consistent
 *     makes it unusable: the next lock -> ENOTRECOVERABLE.
 * Mirrors: set_tid_address(2), clone(2) (CLONE_CHILD_CLEARTID),
 *   get_robust_list(2), futex(2), pthread_mutexattr_setrobust(3),
 *   pthread_mutex_consistent(3).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
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
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_WAITERS 0x80000000u
#define FUTEX_OWNER_DIED 0x40000000u
#define STACK_SIZE (64 * 1024)
#define THREAD_FLAGS                                                                               \
	(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM)

#include "raw_clone.h"

/* raw system calls for raw threads (they share main's TLS, so no errno) */
static inline long rsys(long n, long a, long b, long c)
{
	long ret;
	__asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
	return ret;
}

static char *new_stack(void)
{
	char *s = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (s == MAP_FAILED) {
		printf("mmap failed\n");
		exit(1);
	}
	return s;
}

static pid_t me;

/* ---- raw threads and their tid words ---- */

struct rt {
	volatile int ctid;        /* CLONE_CHILD_SETTID/CLEARTID word */
	volatile int other;       /* a word for set_tid_address */
	volatile int started;
	volatile int go;
	volatile long sta_ret;    /* what set_tid_address returned */
	volatile pid_t tid;
	long mode;
	/* robust list */
	struct {
		void *next;
		long futex_offset;
		void *pending;
	} head;
	struct entry {
		void *next;
		volatile unsigned lock;
	} e1, e2;
	volatile long srl_ret;
};

static int rt_fn(void *arg)
{
	struct rt *t = arg;
	t->tid = (pid_t)rsys(SYS_gettid, 0, 0, 0);
	if (t->mode == 1)
		t->sta_ret = rsys(SYS_set_tid_address, (long)&t->other, 0, 0);
	if (t->mode == 2)
		t->sta_ret = rsys(SYS_set_tid_address, 0x10, 0, 0);
	if (t->mode == 3) {
		t->head.next = &t->e1;
		t->head.futex_offset = (long)((char *)&t->e1.lock - (char *)&t->e1);
		t->head.pending = NULL;
		t->e1.next = &t->e2;
		t->e2.next = &t->head;
		t->e1.lock = (unsigned)t->tid;
		t->e2.lock = 12345;
		t->srl_ret = rsys(SYS_set_robust_list, (long)&t->head, sizeof t->head, 0);
	}
	t->started = 1;
	while (!t->go)
		rsys(SYS_sched_yield, 0, 0, 0);
	return 0;
}

static long start_rt(struct rt *t, char *stk, int mode)
{
	memset((void *)t, 0, sizeof *t);
	t->mode = mode;
	long r = raw_clone_fn(THREAD_FLAGS | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID,
			      stk + STACK_SIZE, NULL, (int *)&t->ctid, 0, rt_fn, t);
	if (r < 0) {
		printf("clone: %ld\n", r);
		exit(1);
	}
	while (!t->started)
		sched_yield();
	return r;
}

/* wait (bounded) until a word is 0 */
static void until_zero(volatile int *w)
{
	for (int i = 0; i < 2000 && *w != 0; i++)
		sleep_ms(1);
}

static void main_sleeping(void)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/self/task/%d/stat", me);
	until_sleeping(path);
}

/* a libc thread that lets a raw thread exit once main is asleep */
static void *flip_go(void *arg)
{
	struct rt *t = arg;
	main_sleeping();
	t->go = 1;
	return NULL;
}

static void tid_words(void)
{
	static struct rt t;
	char *stk = new_stack();
	int st;
	printf("-- set_tid_address\n");
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		int w;
		long r = syscall(SYS_set_tid_address, &w);
		long r2 = syscall(SYS_set_tid_address, NULL);
		_exit((r == getpid() ? 1 : 0) + (r2 == getpid() ? 2 : 0));
	}
	waitpid(c, &st, 0);
	printf("in a child: returns its TID (== getpid()): %s, also for NULL: %s\n",
	       WEXITSTATUS(st) & 1 ? "yes" : "no", WEXITSTATUS(st) & 2 ? "yes" : "no");

	printf("-- CLONE_CHILD_CLEARTID\n");
	long tid = start_rt(&t, stk, 0);
	int during = t.ctid;
	{
		pthread_t th;
		pthread_create(&th, NULL, flip_go, &t);
		struct timespec to = {2, 0};
		long r = syscall(SYS_futex, &t.ctid, FUTEX_WAIT, during, &to, NULL, 0);
		int e = r < 0 ? errno : 0;
		pthread_join(th, NULL);
		until_zero(&t.ctid);
		printf("word == TID while running: %s; shared FUTEX_WAIT on it: %s, word 0 afterwards: %s\n",
		       during == tid ? "yes" : "no", r < 0 ? en(e) : "woken (0)", t.ctid == 0 ? "yes" : "no");
	}

	/* a private waiter: the thread exits once main sleeps */
	tid = start_rt(&t, stk, 0);
	during = t.ctid;
	{
		pthread_t th;
		pthread_create(&th, NULL, flip_go, &t);
		struct timespec to = {0, 300 * 1000 * 1000};
		long r = syscall(SYS_futex, &t.ctid, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, during, &to, NULL, 0);
		int e = r < 0 ? errno : 0;
		pthread_join(th, NULL);
		until_zero(&t.ctid);
		printf("FUTEX_WAIT_PRIVATE on the word: %s, word 0 afterwards: %s\n", r < 0 ? en(e) : "0",
		       t.ctid == 0 ? "yes" : "no");
	}

	printf("-- set_tid_address in a thread\n");
	tid = start_rt(&t, stk, 1);
	t.other = 77;
	t.go = 1;
	until_zero(&t.other);
	sleep_ms(20);
	printf("returned the thread's TID: %s; new word zeroed: %s, old CLEARTID word keeps the TID: %s\n",
	       t.sta_ret == tid ? "yes" : "no", t.other == 0 ? "yes" : "no",
	       t.ctid == tid ? "yes" : "no");
	tid = start_rt(&t, stk, 2);
	t.go = 1;
	char tpath[64];
	snprintf(tpath, sizeof tpath, "/proc/self/task/%ld", tid);
	for (int i = 0; i < 2000 && access(tpath, F_OK) == 0; i++)
		sleep_ms(1);
	sleep_ms(20);
	printf("set_tid_address(0x10) in a thread: returned its TID: %s, the process survives its exit: yes\n",
	       t.sta_ret == tid ? "yes" : "no");

	printf("-- a process's own exit\n");
	volatile int *sw = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	*sw = 123;
	fflush(stdout);
	c = fork();
	if (c == 0) {
		syscall(SYS_set_tid_address, sw);
		_exit(0);
	}
	waitpid(c, &st, 0);
	printf("single-threaded child exits: its MAP_SHARED word still 123: %s\n", *sw == 123 ? "yes" : "no");
	munmap((void *)sw, 4096);
	/* stk stays mapped: the last thread's exit cannot be observed exactly */
}

/* ---- robust list, raw ---- */

static void robust_raw(void)
{
	static struct rt t;
	char *stk = new_stack();
	printf("-- robust list (raw)\n");
	struct {
		void *next;
		long off;
		void *pending;
	} h = {&h, 0, NULL};
	long r = syscall(SYS_set_robust_list, &h, 23);
	printf("set_robust_list(len 23): %s\n", r < 0 ? en(errno) : "0");
	void *oldhead = NULL;
	size_t oldlen = 0;
	syscall(SYS_get_robust_list, 0, &oldhead, &oldlen);
	r = syscall(SYS_set_robust_list, &h, sizeof h);
	void *gh = NULL;
	size_t gl = 0;
	long g = syscall(SYS_get_robust_list, 0, &gh, &gl);
	printf("set_robust_list(len 24): %s; get_robust_list(0): %s, head is ours: %s, len %zu\n",
	       r < 0 ? en(errno) : "0", g < 0 ? en(errno) : "0", gh == (void *)&h ? "yes" : "no", gl);
	g = syscall(SYS_get_robust_list, 4194303, &gh, &gl);
	printf("get_robust_list(nonexistent pid): %s\n", g < 0 ? en(errno) : "0");
	syscall(SYS_set_robust_list, oldhead, oldlen ? oldlen : sizeof h); /* give musl its list back */

	long tid = start_rt(&t, stk, 3);
	printf("thread's set_robust_list: %s\n", t.srl_ret == 0 ? "0" : "error");
	/* become a waiter: set FUTEX_WAITERS and sleep on the word */
	unsigned want = (unsigned)tid | FUTEX_WAITERS;
	__atomic_store_n(&t.e1.lock, want, __ATOMIC_SEQ_CST);
	pthread_t th;
	pthread_create(&th, NULL, flip_go, &t);
	struct timespec to = {2, 0};
	r = syscall(SYS_futex, &t.e1.lock, FUTEX_WAIT, want, &to, NULL, 0);
	int e = r < 0 ? errno : 0;
	pthread_join(th, NULL);
	until_zero(&t.ctid);
	printf("waiter on the owned word: %s; owned word now %#x (FUTEX_OWNER_DIED|FUTEX_WAITERS), "
	       "other word %u\n",
	       r < 0 ? en(e) : "woken (0)", t.e1.lock, t.e2.lock);
	munmap(stk, STACK_SIZE);
}

/* ---- robust pthread mutexes ---- */

static pthread_mutex_t *shm_mutex;

static void *hold_and_return(void *a)
{
	pthread_mutex_lock(a);
	return NULL;
}

static void robust_pthread(void)
{
	int st;
	printf("-- robust pthread mutexes\n");
	pthread_mutexattr_t at;
	pthread_mutexattr_init(&at);
	pthread_mutexattr_setrobust(&at, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_t m;
	pthread_mutex_init(&m, &at);
	pthread_t th;
	pthread_create(&th, NULL, hold_and_return, &m);
	pthread_join(th, NULL);
	int r = pthread_mutex_lock(&m);
	printf("thread returned holding it: lock: %s", en(r));
	r = pthread_mutex_consistent(&m);
	printf(", consistent: %s", en(r));
	r = pthread_mutex_unlock(&m);
	printf(", unlock: %s", en(r));
	r = pthread_mutex_lock(&m);
	printf(", lock again: %s\n", en(r));
	pthread_mutex_unlock(&m);
	pthread_mutex_destroy(&m);

	pthread_mutexattr_setpshared(&at, PTHREAD_PROCESS_SHARED);
	shm_mutex = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pthread_mutex_init(shm_mutex, &at);

	/* child holds it and _exits while the parent is blocked in lock */
	int p[2];
	pipe(p);
	pid_t parent = getpid();
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		pthread_mutex_lock(shm_mutex);
		write(p[1], "L", 1);
		char path[64];
		snprintf(path, sizeof path, "/proc/%d/stat", parent);
		until_sleeping(path);
		_exit(0);
	}
	char b;
	read(p[0], &b, 1);
	r = pthread_mutex_lock(shm_mutex);
	waitpid(c, &st, 0);
	printf("process-shared, holder _exits while we wait in lock: %s (child %s)", en(r), st_str(st));
	r = pthread_mutex_consistent(shm_mutex);
	printf(", consistent: %s", en(r));
	pthread_mutex_unlock(shm_mutex);
	r = pthread_mutex_lock(shm_mutex);
	printf(", lock again: %s\n", en(r));
	pthread_mutex_unlock(shm_mutex);

	/* holder killed by SIGKILL */
	fflush(stdout);
	c = fork();
	if (c == 0) {
		pthread_mutex_lock(shm_mutex);
		write(p[1], "L", 1);
		for (;;)
			pause();
	}
	read(p[0], &b, 1);
	kill(c, SIGKILL);
	waitpid(c, &st, 0);
	r = pthread_mutex_lock(shm_mutex);
	printf("holder killed (%s): lock: %s", st_str(st), en(r));
	/* no pthread_mutex_consistent: unlocking makes it unrecoverable */
	pthread_mutex_unlock(shm_mutex);
	r = pthread_mutex_lock(shm_mutex);
	printf(", unlocked without consistent, then lock: %s\n", en(r));
	close(p[0]);
	close(p[1]);
	munmap(shm_mutex, 4096);
	pthread_mutexattr_destroy(&at);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	me = getpid();
	tid_words();
	robust_raw();
	robust_pthread();
	return 0;
}
