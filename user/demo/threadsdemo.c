/*
 * threadsdemo: clone(CLONE_THREAD | CLONE_VM ...) makes a thread, fork
 * makes a process.
 *
 * Both are made by the same kernel routine (clone); the flags decide what
 * the new task shares. A thread shares the address space (CLONE_VM), so
 * its write to `counter` is the parent's too, and it joins the parent's
 * thread group (CLONE_THREAD): getpid() gives the same number in both, and
 * only gettid() tells them apart (asked of the kernel: libc caches it per
 * thread, and a raw clone() thread has no thread area of its own). A forked child has copies of
 * everything: its write stays its own, and it has a PID of its own.
 *
 *   cargo xtask exec threadsdemo
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* linux/futex.h (musl-gcc has no kernel headers) */
#define FUTEX_WAIT 0

static int counter = 0;
static volatile pid_t thread_tid; /* cleared by the kernel when the thread ends */

static int thread_main(void *arg)
{
	(void)arg;
	counter = 42;
	printf("thread:  getpid() = %d, gettid() = %d, wrote counter = 42\n", (int)getpid(), (int)syscall(SYS_gettid));
	fflush(stdout);
	syscall(SYS_exit, 0); /* this thread only, not the group */
	return 0;
}

int main(void)
{
	printf("main:    getpid() = %d, gettid() = %d, counter = %d\n", (int)getpid(), (int)syscall(SYS_gettid), counter);
	fflush(stdout);

	size_t size = 64 * 1024;
	char *stack = malloc(size);
	if (!stack)
		return 1;
	int flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM |
		    CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;
	if (clone(thread_main, stack + size, flags, NULL, &thread_tid, NULL, &thread_tid) < 0) {
		perror("clone");
		return 1;
	}
	/* Wait for the kernel to clear thread_tid at the thread's exit. */
	for (pid_t t; (t = thread_tid) != 0;)
		syscall(SYS_futex, &thread_tid, FUTEX_WAIT, t, NULL, NULL, 0);
	printf("main:    after the thread, counter = %d (shared memory)\n", counter);

	counter = 0;
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		counter = 7;
		printf("child:   getpid() = %d, gettid() = %d, wrote counter = 7\n", (int)getpid(), (int)syscall(SYS_gettid));
		return 0;
	}
	waitpid(pid, NULL, 0);
	printf("main:    after the forked child, counter = %d (its own copy)\n", counter);
	free(stack);
	return 0;
}
