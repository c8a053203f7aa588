/*
 * clone_flags: the legacy clone(2) system call, called raw (x86_64
 * argument order flags, stack, parent_tid, child_tid, tls) so that libc
 * does not interfere; which flag combinations it refuses and what the
 * accepted ones share.
 * Checks:
 *   invalid combinations -> EINVAL: CLONE_SIGHAND without CLONE_VM,
 *     CLONE_THREAD without CLONE_SIGHAND (with and without CLONE_VM),
 *     CLONE_FS|CLONE_NEWNS, CLONE_NEWUSER|CLONE_FS,
 *     CLONE_THREAD|CLONE_NEWPID and CLONE_THREAD|CLONE_NEWUSER (with
 *     SIGHAND|VM), CLONE_PIDFD|CLONE_DETACHED, CLONE_PIDFD|
 *     CLONE_PARENT_SETTID (legacy clone returns the pidfd through the
 *     parent_tid slot, so both use the same pointer), and, as root,
 *     CLONE_NEWIPC|CLONE_SYSVSEM;
 *   as an unprivileged user (a child after setuid(65534)): CLONE_NEWNS,
 *     CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWPID,
 *     CLONE_NEWCGROUP -> EPERM; CLONE_NEWIPC|CLONE_SYSVSEM -> EPERM (the
 *     capability check comes first); CLONE_NEWUSER|CLONE_FS still EINVAL;
 *   accepted combinations behave:
 *     CLONE_VM: the child's store is seen by the parent, and the child
 *       runs on the stack it was given (a local's address lies inside the
 *       mmapped region); without CLONE_VM (fork-like) the store is not
 *       seen;
 *     CLONE_FILES: an fd the child opens is in the parent's table (and
 *       reads the child's file), an fd the child closes is closed in the
 *       parent; without it neither;
 *     CLONE_FS: the child's chdir and umask are the parent's; without it
 *       not;
 *     CLONE_SIGHAND|CLONE_VM: the child's rt_sigaction(SIG_IGN) is seen
 *       by the parent; with CLONE_VM alone not;
 *     CLONE_PARENT_SETTID stores the TID in the parent's memory;
 *       CLONE_CHILD_SETTID stores it in the child's memory only (no
 *       CLONE_VM); CLONE_CHILD_SETTID|CLONE_CHILD_CLEARTID|CLONE_VM: the
 *       word holds the child's TID while it runs, is zeroed at its exit
 *       and a FUTEX_WAIT on it returns;
 *     CLONE_SETTLS: the child's ARCH_GET_FS and %fs:0 are the given TLS
 *       block;
 *     CLONE_DETACHED (ignored by legacy clone), CLONE_UNTRACED, CLONE_IO,
 *       CLONE_SYSVSEM: a fork-like child runs and is reaped normally;
 *     CLONE_PIDFD alone: the pidfd lands in the parent_tid slot, has
 *       FD_CLOEXEC, and CLONE_PIDFD|CLONE_THREAD (Linux >= 6.9) returns a
 *       pidfd for the thread;
 *     a raw thread (CLONE_VM|FS|FILES|SIGHAND|THREAD|SYSVSEM|
 *       CHILD_CLEARTID): its gettid differs, getpid is the same, and it
 *       cannot be waited for (waitpid(tid, __WALL) -> ECHILD);
 *     exit signal: with SIGUSR1 (blocked in the parent) the child is a
 *       "clone" child: waitpid without __WCLONE -> ECHILD (as does
 *       waitpid(-1)), with __WCLONE it is reaped and SIGUSR1 is then
 *       pending in the parent; with exit signal 0 __WALL reaps it and no
 *       signal comes; a SIGCHLD child is invisible to __WCLONE;
 *     CLONE_PARENT from a forked child C: the new process's getppid() is
 *       the test, C cannot wait for it (ECHILD), the test can, and without
 *       __WCLONE although CLONE_PARENT was given SIGUSR1 -- the new
 *       process takes C's exit signal (SIGCHLD).
 *   a thread clone that fails late (CLONE_THREAD|SIGHAND|VM|SETTLS with
 *     a kernel-space TLS base -> EPERM from copy_thread) leaves its process
 *     with one live thread: a forked child doing it, then _exit(7), is
 *     reaped with status 7 (not left running as a group with a ghost).
 * Not tested: CLONE_PARENT from the test itself (the test is init under
 *   Tine, where it is EINVAL; natively it would succeed).
 * Mirrors: clone(2) (ERRORS, CLONE_* descriptions, NOTES on the raw
 *   system call), wait(2) (__WCLONE, __WALL), set_tid_address(2),
 *   arch_prctl(2), futex(2).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef __WCLONE
#define __WCLONE 0x80000000
#endif
#ifndef __WALL
#define __WALL 0x40000000
#endif
#define ARCH_GET_FS 0x1003
#define FUTEX_WAIT 0
#define STACK_SIZE (64 * 1024)

#include "raw_clone.h"

/* raw system calls that never touch errno (the TLS may be foreign) */
static inline long rsys(long n, long a, long b, long c, long d)
{
	long ret;
	register long r10 __asm__("r10") = d;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10)
			 : "rcx", "r11", "memory");
	return ret;
}

/* legacy clone without a new stack (fork-like uses only) */
static long rclone(unsigned long flags, int *ptid, int *ctid, unsigned long tls)
{
	return syscall(SYS_clone, flags, 0, ptid, ctid, tls);
}

static char *new_stack(void)
{
	char *s = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (s == MAP_FAILED) {
		printf("mmap stack failed\n");
		exit(1);
	}
	return s;
}

static pid_t me;

static int child_exit0(void *arg)
{
	(void)arg;
	return 0;
}

/* an invalid combination: print the errno; reap anything that started */
static void expect_fail(const char *what, unsigned long flags)
{
	char *stk = new_stack(); /* never reused: a wrongly started child may run on it */
	int ptid = 0, ctid = 0;
	long r = raw_clone_fn(flags, stk + STACK_SIZE, &ptid, &ctid, 0, child_exit0, NULL);
	if (r < 0) {
		printf("%s: %s\n", what, en((int)-r));
		return;
	}
	printf("%s: succeeded\n", what);
	if (!(flags & CLONE_THREAD))
		waitpid((pid_t)r, NULL, __WALL);
	else
		usleep(100000);
	if (flags & CLONE_PIDFD)
		close(ptid);
}

static void invalid(void)
{
	printf("-- invalid combinations\n");
	expect_fail("CLONE_SIGHAND without CLONE_VM", CLONE_SIGHAND | SIGCHLD);
	expect_fail("CLONE_THREAD without CLONE_SIGHAND", CLONE_THREAD | CLONE_VM);
	expect_fail("CLONE_THREAD alone", CLONE_THREAD);
	expect_fail("CLONE_THREAD|CLONE_SIGHAND without CLONE_VM", CLONE_THREAD | CLONE_SIGHAND);
	expect_fail("CLONE_FS|CLONE_NEWNS", CLONE_FS | CLONE_NEWNS | SIGCHLD);
	expect_fail("CLONE_NEWUSER|CLONE_FS", CLONE_NEWUSER | CLONE_FS | SIGCHLD);
	expect_fail("CLONE_THREAD|CLONE_NEWPID|CLONE_SIGHAND|CLONE_VM",
		    CLONE_THREAD | CLONE_NEWPID | CLONE_SIGHAND | CLONE_VM);
	expect_fail("CLONE_THREAD|CLONE_NEWUSER|CLONE_SIGHAND|CLONE_VM",
		    CLONE_THREAD | CLONE_NEWUSER | CLONE_SIGHAND | CLONE_VM);
	expect_fail("CLONE_PIDFD|CLONE_DETACHED", CLONE_PIDFD | CLONE_DETACHED | SIGCHLD);
	expect_fail("CLONE_PIDFD|CLONE_PARENT_SETTID (same pointer)",
		    CLONE_PIDFD | CLONE_PARENT_SETTID | SIGCHLD);
	expect_fail("CLONE_NEWIPC|CLONE_SYSVSEM as root", CLONE_NEWIPC | CLONE_SYSVSEM | SIGCHLD);
}

static void unprivileged(void)
{
	printf("-- namespaces as uid 65534 (in a child)\n");
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		if (setuid(65534) != 0) {
			printf("setuid: %s\n", en(errno));
			_exit(1);
		}
		expect_fail("CLONE_NEWNS", CLONE_NEWNS | SIGCHLD);
		expect_fail("CLONE_NEWUTS", CLONE_NEWUTS | SIGCHLD);
		expect_fail("CLONE_NEWIPC", CLONE_NEWIPC | SIGCHLD);
		expect_fail("CLONE_NEWNET", CLONE_NEWNET | SIGCHLD);
		expect_fail("CLONE_NEWPID", CLONE_NEWPID | SIGCHLD);
		expect_fail("CLONE_NEWCGROUP", CLONE_NEWCGROUP | SIGCHLD);
		expect_fail("CLONE_NEWIPC|CLONE_SYSVSEM", CLONE_NEWIPC | CLONE_SYSVSEM | SIGCHLD);
		expect_fail("CLONE_NEWUSER|CLONE_FS", CLONE_NEWUSER | CLONE_FS | SIGCHLD);
		_exit(0);
	}
	int st;
	waitpid(c, &st, 0);
	printf("unprivileged child: %s\n", st_str(st));
}

/* ---- CLONE_VM and the given stack ---- */

static volatile int vm_word;
static volatile int on_stack;
static char *cur_stack;

static int vm_child(void *arg)
{
	int local = 0;
	char *p = (char *)&local;
	on_stack = p >= cur_stack && p < cur_stack + STACK_SIZE;
	vm_word = (int)(long)arg;
	return 3;
}

static void vm_tests(void)
{
	int st;
	printf("-- CLONE_VM\n");
	cur_stack = new_stack();
	vm_word = 0;
	on_stack = 0;
	long r = raw_clone_fn(CLONE_VM | SIGCHLD, cur_stack + STACK_SIZE, NULL, NULL, 0, vm_child,
			      (void *)42L);
	pid_t w = waitpid((pid_t)r, &st, 0);
	printf("clone(CLONE_VM|SIGCHLD, new stack): %s, waitpid: %s, %s\n", r > 0 ? "pid" : en((int)-r),
	       w == r ? "the child" : en(errno), st_str(st));
	printf("child's store seen by the parent: %s (value %d)\n", vm_word == 42 ? "yes" : "no",
	       vm_word);
	printf("child ran on the given stack: %s\n", on_stack ? "yes" : "no");

	vm_word = 0;
	fflush(stdout);
	r = rclone(SIGCHLD, NULL, NULL, 0);
	if (r == 0) {
		vm_word = 43;
		_exit(vm_word == 43 ? 4 : 5);
	}
	w = waitpid((pid_t)r, &st, 0);
	printf("clone(SIGCHLD) (fork-like): %s, %s; store seen by the parent: %s\n",
	       w == r ? "the child" : en(errno), st_str(st), vm_word == 0 ? "no" : "yes");
	munmap(cur_stack, STACK_SIZE);
}

/* ---- CLONE_FILES ---- */

static void files_one(const char *label, unsigned long flags, const char *path)
{
	int st;
	int victim = open(path, O_RDONLY);
	fflush(stdout);
	long r = rclone(flags | SIGCHLD, NULL, NULL, 0);
	if (r == 0) {
		int fd = open(path, O_RDONLY);
		close(victim);
		_exit(fd < 0 ? 255 : fd);
	}
	waitpid((pid_t)r, &st, 0);
	int fd = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	int open_here = fd >= 0 && fd != 255 && fcntl(fd, F_GETFD) >= 0;
	char buf[16] = {0};
	if (open_here) {
		ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
		buf[n > 0 ? n : 0] = 0;
	}
	int victim_open = fcntl(victim, F_GETFD) >= 0;
	printf("%s: child's new fd open in the parent: %s%s%s%s, fd the child closed still open: %s\n",
	       label, open_here ? "yes" : "no", open_here ? " (reads \"" : "", open_here ? buf : "",
	       open_here ? "\")" : "", victim_open ? "yes" : "no");
	if (open_here && fd != victim)
		close(fd);
	if (victim_open)
		close(victim);
}

static void files_tests(void)
{
	char path[64];
	printf("-- CLONE_FILES\n");
	snprintf(path, sizeof path, "/tmp/tine_clone_flags_%d", me);
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
	write(fd, "shared", 6);
	close(fd);
	files_one("clone(CLONE_FILES)", CLONE_FILES, path);
	files_one("clone(0) (own table)", 0, path);
	unlink(path);
}

/* ---- CLONE_FS ---- */

static void fs_one(const char *label, unsigned long flags)
{
	int st;
	char cwd[4096], now[4096];
	getcwd(cwd, sizeof cwd);
	mode_t old = umask(022);
	fflush(stdout);
	long r = rclone(flags | SIGCHLD, NULL, NULL, 0);
	if (r == 0) {
		if (chdir("/tmp") != 0)
			_exit(1);
		umask(077);
		_exit(0);
	}
	waitpid((pid_t)r, &st, 0);
	mode_t m = umask(022);
	getcwd(now, sizeof now);
	printf("%s: %s; parent's cwd is now /tmp: %s, parent's umask is now 077: %s\n", label,
	       st_str(st), strcmp(now, "/tmp") == 0 ? "yes" : "no", m == 077 ? "yes" : "no");
	chdir(cwd);
	umask(old);
}

static void fs_tests(void)
{
	printf("-- CLONE_FS\n");
	fs_one("clone(CLONE_FS)", CLONE_FS);
	fs_one("clone(0)", 0);
}

/* ---- CLONE_SIGHAND ---- */

struct ksigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	unsigned long mask;
};

static int sighand_child(void *arg)
{
	(void)arg;
	struct ksigaction ka = {SIG_IGN, 0, NULL, 0};
	return rsys(SYS_rt_sigaction, SIGUSR2, (long)&ka, 0, 8) == 0 ? 0 : 1;
}

static void sighand_one(const char *label, unsigned long flags)
{
	int st;
	char *stk = new_stack();
	signal(SIGUSR2, SIG_DFL);
	long r = raw_clone_fn(flags | SIGCHLD, stk + STACK_SIZE, NULL, NULL, 0, sighand_child, NULL);
	waitpid((pid_t)r, &st, 0);
	struct sigaction sa;
	sigaction(SIGUSR2, NULL, &sa);
	printf("%s: %s; SIGUSR2 in the parent: %s\n", label, st_str(st),
	       sa.sa_handler == SIG_IGN ? "SIG_IGN (shared)" : "SIG_DFL");
	signal(SIGUSR2, SIG_DFL);
	munmap(stk, STACK_SIZE);
}

static void sighand_tests(void)
{
	printf("-- CLONE_SIGHAND\n");
	sighand_one("clone(CLONE_SIGHAND|CLONE_VM)", CLONE_SIGHAND | CLONE_VM);
	sighand_one("clone(CLONE_VM)", CLONE_VM);
}

/* ---- TID words and TLS ---- */

static volatile int seen_tid_word;
static volatile int seen_gettid;
static volatile int tid_go;

static int tidword_child(void *arg)
{
	volatile int *word = arg;
	seen_tid_word = *word;
	seen_gettid = (int)rsys(SYS_gettid, 0, 0, 0, 0);
	while (!tid_go)
		rsys(SYS_sched_yield, 0, 0, 0, 0);
	struct timespec ts = {0, 30 * 1000 * 1000};
	rsys(SYS_nanosleep, (long)&ts, 0, 0, 0);
	return 0;
}

static unsigned long tls_block[512] __attribute__((aligned(64)));
static volatile unsigned long seen_fs_base, seen_fs0;

static int tls_child(void *arg)
{
	(void)arg;
	unsigned long base = 0, fs0;
	rsys(SYS_arch_prctl, ARCH_GET_FS, (long)&base, 0, 0);
	__asm__ volatile("mov %%fs:0, %0" : "=r"(fs0));
	seen_fs_base = base;
	seen_fs0 = fs0;
	return 0;
}

static void tid_tests(void)
{
	int st;
	printf("-- TID words\n");
	int ptid = 0;
	fflush(stdout);
	long r = rclone(CLONE_PARENT_SETTID | SIGCHLD, &ptid, NULL, 0);
	if (r == 0)
		_exit(0);
	waitpid((pid_t)r, &st, 0);
	printf("CLONE_PARENT_SETTID: parent's word == returned pid: %s\n", ptid == r ? "yes" : "no");

	int ctid = 0;
	fflush(stdout);
	r = rclone(CLONE_CHILD_SETTID | SIGCHLD, NULL, &ctid, 0);
	if (r == 0)
		_exit(ctid == getpid() ? 0 : 1);
	waitpid((pid_t)r, &st, 0);
	printf("CLONE_CHILD_SETTID: child's word == its pid: %s, parent's word untouched: %s\n",
	       WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "yes" : "no", ctid == 0 ? "yes" : "no");

	/* CHILD_SETTID|CHILD_CLEARTID on shared memory: set, then cleared + woken */
	char *stk = new_stack();
	volatile int word = -1;
	tid_go = 0;
	seen_tid_word = -1;
	r = raw_clone_fn(CLONE_VM | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD,
			 stk + STACK_SIZE, NULL, (int *)&word, 0, tidword_child, (void *)&word);
	while (seen_tid_word == -1)
		sched_yield();
	int during = word;
	tid_go = 1;
	int waits = 0, bad = 0;
	while (word != 0) {
		struct timespec to = {2, 0};
		long w = syscall(SYS_futex, &word, FUTEX_WAIT, during, &to, NULL, 0);
		if (w != 0 && errno != EAGAIN)
			bad++;
		if (++waits > 5)
			break;
	}
	waitpid((pid_t)r, &st, 0);
	printf("CLONE_CHILD_SETTID|CLONE_CHILD_CLEARTID|CLONE_VM: word == child's tid while it runs: "
	       "%s, child's view too: %s, gettid == pid: %s\n",
	       during == r ? "yes" : "no", seen_tid_word == r ? "yes" : "no",
	       seen_gettid == r ? "yes" : "no");
	printf("  after its exit the word is 0: %s, FUTEX_WAIT returned (0 or EAGAIN): %s, %s\n",
	       word == 0 ? "yes" : "no", bad == 0 && waits <= 5 ? "yes" : "no", st_str(st));
	munmap(stk, STACK_SIZE);

	printf("-- CLONE_SETTLS\n");
	stk = new_stack();
	tls_block[0] = (unsigned long)tls_block; /* the TCB points to itself */
	r = raw_clone_fn(CLONE_VM | CLONE_SETTLS | SIGCHLD, stk + STACK_SIZE, NULL, NULL,
			 (unsigned long)tls_block, tls_child, NULL);
	waitpid((pid_t)r, &st, 0);
	printf("child's ARCH_GET_FS == the given tls: %s, %%fs:0 reads the block: %s, %s\n",
	       seen_fs_base == (unsigned long)tls_block ? "yes" : "no",
	       seen_fs0 == (unsigned long)tls_block ? "yes" : "no", st_str(st));
	unsigned long mine = 0;
	syscall(SYS_arch_prctl, ARCH_GET_FS, &mine);
	printf("parent's fs base unchanged: %s\n", mine != (unsigned long)tls_block ? "yes" : "no");
	munmap(stk, STACK_SIZE);
}

/* ---- ignored / accepted flags ---- */

static void accepted(void)
{
	static const struct {
		const char *name;
		unsigned long flag;
	} fl[] = {
		{"CLONE_DETACHED", CLONE_DETACHED},
		{"CLONE_UNTRACED", CLONE_UNTRACED},
		{"CLONE_IO", CLONE_IO},
		{"CLONE_SYSVSEM", CLONE_SYSVSEM},
		{"CLONE_DETACHED|CLONE_UNTRACED|CLONE_IO|CLONE_SYSVSEM",
		 CLONE_DETACHED | CLONE_UNTRACED | CLONE_IO | CLONE_SYSVSEM},
	};
	printf("-- accepted flags\n");
	for (unsigned i = 0; i < sizeof fl / sizeof fl[0]; i++) {
		int st;
		fflush(stdout);
		long r = rclone(fl[i].flag | SIGCHLD, NULL, NULL, 0);
		if (r == 0)
			_exit(10 + i);
		if (r < 0) {
			printf("clone(%s|SIGCHLD): %s\n", fl[i].name, en(errno));
			continue;
		}
		pid_t w = waitpid((pid_t)r, &st, 0);
		printf("clone(%s|SIGCHLD): waitpid: %s, %s\n", fl[i].name,
		       w == r ? "the child" : en(errno), st_str(st));
	}
}

/* ---- CLONE_PIDFD ---- */

static volatile int thread_tid_word;

static int thread_child(void *arg)
{
	(void)arg;
	vm_word = (int)rsys(SYS_getpid, 0, 0, 0, 0);
	seen_gettid = (int)rsys(SYS_gettid, 0, 0, 0, 0); /* last: the parent spins on it */
	while (!tid_go)
		rsys(SYS_sched_yield, 0, 0, 0, 0);
	return 0;
}

/* wait for a CLONE_CHILD_CLEARTID word to be cleared */
static void wait_cleared(volatile int *word)
{
	for (int i = 0; i < 100 && *word != 0; i++) {
		int v = *word;
		struct timespec to = {0, 100 * 1000 * 1000};
		if (v != 0)
			syscall(SYS_futex, word, FUTEX_WAIT, v, &to, NULL, 0);
	}
}

static void pidfd_tests(void)
{
	int st;
	printf("-- CLONE_PIDFD\n");
	int pidfd = -1;
	fflush(stdout);
	long r = rclone(CLONE_PIDFD | SIGCHLD, &pidfd, NULL, 0);
	if (r == 0)
		_exit(0);
	if (r < 0) {
		printf("clone(CLONE_PIDFD|SIGCHLD): %s\n", en(errno));
	} else {
		int fdfl = pidfd >= 0 ? fcntl(pidfd, F_GETFD) : -1;
		printf("clone(CLONE_PIDFD|SIGCHLD): pidfd >= 0 in the parent_tid slot: %s, FD_CLOEXEC: %s\n",
		       pidfd >= 0 ? "yes" : "no", fdfl >= 0 && (fdfl & FD_CLOEXEC) ? "yes" : "no");
		waitpid((pid_t)r, &st, 0);
		if (pidfd >= 0)
			close(pidfd);
	}

	char *stk = new_stack();
	pidfd = -1;
	tid_go = 1;
	thread_tid_word = 1;
	r = raw_clone_fn(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
				 CLONE_SYSVSEM | CLONE_PIDFD | CLONE_CHILD_CLEARTID,
			 stk + STACK_SIZE, &pidfd, (int *)&thread_tid_word, 0, thread_child, NULL);
	if (r < 0) {
		printf("clone(CLONE_PIDFD|CLONE_THREAD|...): %s\n", en((int)-r));
	} else {
		wait_cleared(&thread_tid_word);
		printf("clone(CLONE_PIDFD|CLONE_THREAD|...): pidfd >= 0: %s, thread gone: %s\n",
		       pidfd >= 0 ? "yes" : "no", thread_tid_word == 0 ? "yes" : "no");
		if (pidfd >= 0)
			close(pidfd);
	}
	munmap(stk, STACK_SIZE);
}

/* ---- a raw thread ---- */

static void thread_tests(void)
{
	printf("-- raw thread\n");
	char *stk = new_stack();
	tid_go = 0;
	seen_gettid = 0;
	vm_word = 0;
	thread_tid_word = 1;
	long r = raw_clone_fn(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
				      CLONE_SYSVSEM | CLONE_CHILD_CLEARTID,
			      stk + STACK_SIZE, NULL, (int *)&thread_tid_word, 0, thread_child, NULL);
	if (r < 0) {
		printf("clone(thread flags): %s\n", en((int)-r));
		return;
	}
	while (seen_gettid == 0)
		sched_yield();
	int st;
	pid_t w = waitpid((pid_t)r, &st, __WALL | WNOHANG);
	int e = errno;
	printf("thread: gettid == returned tid: %s, gettid != getpid: %s, getpid == parent's: %s\n",
	       seen_gettid == r ? "yes" : "no", seen_gettid != me ? "yes" : "no",
	       vm_word == me ? "yes" : "no");
	printf("waitpid(tid, __WALL|WNOHANG): %s\n", w < 0 ? en(e) : "returned a pid");
	w = waitpid(-1, &st, __WALL | WNOHANG);
	printf("waitpid(-1, __WALL|WNOHANG): %s\n", w < 0 ? en(errno) : w == 0 ? "0" : "returned a pid");
	tid_go = 1;
	wait_cleared(&thread_tid_word);
	printf("thread exit cleared its tid word: %s\n", thread_tid_word == 0 ? "yes" : "no");
	munmap(stk, STACK_SIZE);
}

/* ---- exit signals and __WCLONE/__WALL ---- */

static int sigusr1_pending(void)
{
	sigset_t s;
	sigpending(&s);
	return sigismember(&s, SIGUSR1);
}

static void drain_sigusr1(void)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	struct timespec z = {0, 0};
	while (sigtimedwait(&s, NULL, &z) == SIGUSR1)
		;
}

/* a fork-like child that exits at once; wait for it to become a zombie */
static pid_t zombie_clone(unsigned long flags, int code)
{
	fflush(stdout);
	long r = rclone(flags, NULL, NULL, 0);
	if (r == 0)
		_exit(code);
	siginfo_t si;
	waitid(P_PID, (pid_t)r, &si, WEXITED | WNOWAIT | __WALL);
	return (pid_t)r;
}

static void exit_signal_tests(void)
{
	int st;
	pid_t w;
	printf("-- exit signals\n");
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	sigprocmask(SIG_BLOCK, &s, NULL);

	pid_t c = zombie_clone(SIGUSR1, 21);
	w = waitpid(c, &st, 0);
	printf("exit signal SIGUSR1: waitpid(pid, 0): %s\n", w < 0 ? en(errno) : "reaped");
	w = waitpid(-1, &st, WNOHANG);
	printf("  waitpid(-1, WNOHANG): %s\n", w < 0 ? en(errno) : w == 0 ? "0" : "reaped");
	w = waitpid(c, &st, __WCLONE);
	printf("  waitpid(pid, __WCLONE): %s, %s\n", w == c ? "the child" : en(errno), st_str(st));
	printf("  SIGUSR1 pending in the parent: %s\n", sigusr1_pending() ? "yes" : "no");
	drain_sigusr1();

	c = zombie_clone(0, 22);
	w = waitpid(c, &st, 0);
	printf("exit signal 0: waitpid(pid, 0): %s\n", w < 0 ? en(errno) : "reaped");
	w = waitpid(c, &st, __WALL);
	printf("  waitpid(pid, __WALL): %s, %s\n", w == c ? "the child" : en(errno), st_str(st));
	printf("  SIGUSR1 pending in the parent: %s\n", sigusr1_pending() ? "yes" : "no");

	c = zombie_clone(SIGCHLD, 23);
	w = waitpid(c, &st, __WCLONE);
	printf("exit signal SIGCHLD: waitpid(pid, __WCLONE): %s\n", w < 0 ? en(errno) : "reaped");
	w = waitpid(c, &st, 0);
	printf("  waitpid(pid, 0): %s, %s\n", w == c ? "the child" : en(errno), st_str(st));

	c = zombie_clone(SIGUSR1, 24);
	siginfo_t si;
	memset(&si, 0, sizeof si);
	int r = waitid(P_PID, c, &si, WEXITED);
	printf("exit signal SIGUSR1: waitid(P_PID, WEXITED): %s\n", r < 0 ? en(errno) : "reaped");
	memset(&si, 0, sizeof si);
	r = waitid(P_PID, c, &si, WEXITED | __WCLONE);
	printf("  waitid(P_PID, WEXITED|__WCLONE): %s, si_pid is the child: %s, si_status %d\n",
	       r < 0 ? en(errno) : "0", si.si_pid == c ? "yes" : "no", si.si_status);
	drain_sigusr1();
	sigprocmask(SIG_UNBLOCK, &s, NULL);
}

/* ---- CLONE_PARENT from a child ---- */

static void parent_tests(void)
{
	int st, p[2];
	printf("-- CLONE_PARENT (from a child)\n");
	pipe(p);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		close(p[0]);
		long g = rclone(CLONE_PARENT | SIGUSR1, NULL, NULL, 0);
		if (g == 0)
			_exit(getppid() == me ? 31 : 32);
		int res[2] = {(int)g, 0};
		if (g < 0) {
			res[1] = errno;
		} else {
			pid_t w = waitpid((pid_t)g, &st, __WALL | WNOHANG);
			res[1] = w < 0 ? errno : 0;
		}
		write(p[1], res, sizeof res);
		_exit(0);
	}
	close(p[1]);
	int res[2] = {0, 0};
	read(p[0], res, sizeof res);
	close(p[0]);
	waitpid(c, &st, 0);
	printf("forking child: %s\n", st_str(st));
	if (res[0] < 0) {
		printf("clone(CLONE_PARENT|SIGUSR1) in the child: %s\n", en(res[1]));
		return;
	}
	printf("clone(CLONE_PARENT|SIGUSR1) in the child: pid; the child's waitpid(it, __WALL): %s\n",
	       en(res[1]));
	pid_t w = waitpid(res[0], &st, 0);
	printf("the test's waitpid(it, 0) (exit signal SIGCHLD, taken from the child): %s, %s "
	       "(31 = its getppid() is the test)\n",
	       w == res[0] ? "the new process" : en(errno), st_str(st));
	if (w < 0)
		waitpid(res[0], &st, __WALL);
}

/* ---- a thread clone that fails after joining the process ---- */

static void failed_thread_tests(void)
{
	printf("-- failed thread clone\n");
	pid_t c = fork();
	if (c == 0) {
		char *stk = new_stack();
		long r = raw_clone_fn(CLONE_VM | CLONE_SIGHAND | CLONE_THREAD | CLONE_SETTLS, stk + STACK_SIZE,
				      NULL, NULL, 0xffff800000000000UL, child_exit0, NULL);
		printf("clone(THREAD|SIGHAND|VM|SETTLS, kernel tls): %s\n", r < 0 ? en((int)-r) : "succeeded");
		_exit(7);
	}
	int st = 0;
	pid_t w = 0;
	for (int i = 0; i < 200 && w == 0; i++) {
		w = waitpid(c, &st, WNOHANG);
		if (w == 0)
			usleep(10000);
	}
	if (w != c) {
		printf("its process did not end after _exit(7)\n");
		kill(c, SIGKILL);
		waitpid(c, &st, 0);
		return;
	}
	printf("then _exit(7): reaped, %s\n", st_str(st));
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	me = getpid();
	invalid();
	unprivileged();
	vm_tests();
	files_tests();
	fs_tests();
	sighand_tests();
	tid_tests();
	accepted();
	pidfd_tests();
	thread_tests();
	exit_signal_tests();
	parent_tests();
	failed_thread_tests();
	int st;
	pid_t w = waitpid(-1, &st, __WALL | WNOHANG);
	printf("-- children left: %s\n", w < 0 ? en(errno) : "some");
	return 0;
}
