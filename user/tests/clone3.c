/*
 * clone3: the clone3(2) system call (nr 435) called raw with a struct
 * clone_args and its size -- argument validation and the fields.
 * Checks:
 *   size: < 64 (0, 8, 63) -> EINVAL; 64, 80, 88 (the three published
 *     versions) work as a fork with exit_signal SIGCHLD; 96 and 4096 with
 *     zero trailing bytes work, 96 with a non-zero trailing byte -> E2BIG;
 *     4097 -> E2BIG (checked before the size floor and before reading:
 *     4097 with a bad pointer is E2BIG, 8 with a bad pointer EINVAL);
 *   pointer: bad (0x10) -> EFAULT; a struct running into an unmapped
 *     page -> EFAULT; a 64-byte struct followed by an unmapped page with
 *     size 128 (the trailing bytes cannot be checked) -> EFAULT;
 *   exit_signal: non-zero with CLONE_THREAD (+SIGHAND|VM) or CLONE_PARENT
 *     -> EINVAL; 65 and 0x100|SIGCHLD -> EINVAL; 64 (SIGRTMAX) accepted
 *     (the child is then a "clone" child, reaped with __WCLONE; signal 64,
 *     blocked, is pending in the parent afterwards);
 *   flags: an unknown bit (1<<40), CLONE_DETACHED, a CSIGNAL bit
 *     (SIGCHLD in flags) -> EINVAL; CLONE_CLEAR_SIGHAND|CLONE_SIGHAND|
 *     CLONE_VM -> EINVAL;
 *   stack: stack without stack_size and stack_size without stack ->
 *     EINVAL, a stack range in kernel space -> EINVAL; stack+stack_size
 *     with CLONE_VM: the child runs at stack+stack_size (a local lies in
 *     the region) and its store is seen by the parent;
 *   tls: CLONE_SETTLS takes the tls field (child's ARCH_GET_FS);
 *   parent_tid / child_tid: CLONE_PARENT_SETTID writes the pid to the
 *     parent's word, CLONE_CHILD_SETTID to the child's;
 *   CLONE_VFORK|CLONE_VM with a stack: the parent resumes after the child
 *     exits, the child's store is visible;
 *   set_tid: as root a free PID (found with kill(pid, 0) == ESRCH) is
 *     given to the child (only "ok" is printed); the test's own PID ->
 *     EEXIST; 0, -1, 4194304 (>= pid_max) -> EINVAL; set_tid_size 2 (only
 *     one PID namespace level) -> EINVAL; set_tid_size 33 -> EINVAL;
 *     set_tid_size 1 with set_tid NULL and set_tid without set_tid_size
 *     -> EINVAL; an unreadable set_tid array -> EFAULT;
 *   as uid 65534 (a child after setuid): set_tid of a free PID -> EPERM,
 *     set_tid 0 -> EINVAL (range first); CLONE_NEWPID, CLONE_NEWTIME
 *     (allowed in clone3's flags) -> EPERM;
 *   CLONE_CLEAR_SIGHAND: in the child a caught signal (SIGUSR1 with a
 *     handler installed, never delivered) is back to SIG_DFL while an
 *     ignored one (SIGUSR2) stays SIG_IGN and the blocked mask is kept;
 *     without the flag the handler is inherited.
 * Not tested: CLONE_INTO_CGROUP (host cgroups differ).
 * Mirrors: clone(2) (clone3 section, struct clone_args, ERRORS),
 *   sigaction(2), arch_prctl(2).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

#ifndef __WCLONE
#define __WCLONE 0x80000000
#endif
#ifndef __WALL
#define __WALL 0x40000000
#endif
#define CLONE_CLEAR_SIGHAND_ 0x100000000ULL
#define CLONE_NEWTIME_ 0x00000080ULL
#define NR_CLONE3 435
#define ARCH_GET_FS 0x1003
#define STACK_SIZE (64 * 1024)
#define BAD ((void *)0x10)

struct clone_args_ {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal;
	uint64_t stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};

/*
 * raw_clone3_fn(args, size): clone3; the child starts with its stack
 * pointer at stack + stack_size, where the caller has put fn and arg; it
 * calls fn(arg), then SYS_exit with the result.  Returns -errno on error.
 */
long raw_clone3_fn(struct clone_args_ *args, size_t size);
__asm__(".text\n"
	".globl raw_clone3_fn\n"
	".type raw_clone3_fn,@function\n"
	"raw_clone3_fn:\n"
	"	mov $435, %eax\n"
	"	syscall\n"
	"	test %rax, %rax\n"
	"	jnz 1f\n"
	"	xor %ebp, %ebp\n"
	"	pop %rax\n"
	"	pop %rdi\n"
	"	call *%rax\n"
	"	mov %eax, %edi\n"
	"	mov $60, %eax\n"
	"	syscall\n"
	"	hlt\n"
	"1:	ret\n");

static inline long rsys(long n, long a, long b)
{
	long ret;
	__asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b) : "rcx", "r11", "memory");
	return ret;
}

static pid_t me;

static char *new_stack(void)
{
	char *s = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (s == MAP_FAILED) {
		printf("mmap failed\n");
		exit(1);
	}
	return s;
}

/* point args at a fresh stack whose top holds fn and arg */
static char *with_stack(struct clone_args_ *a, int (*fn)(void *), void *arg)
{
	char *s = new_stack();
	void **top = (void **)(s + STACK_SIZE - 16);
	top[0] = (void *)fn;
	top[1] = arg;
	a->stack = (uint64_t)(uintptr_t)s;
	a->stack_size = STACK_SIZE - 16;
	return s;
}

/* fork-like clone3 through libc's syscall(): the child exits with code */
static void forklike(const char *what, void *args, size_t size, int code, int wflags)
{
	int st;
	fflush(stdout);
	long r = syscall(NR_CLONE3, args, size);
	if (r == 0)
		_exit(code);
	if (r < 0) {
		printf("%s: %s\n", what, en(errno));
		return;
	}
	pid_t w = waitpid((pid_t)r, &st, wflags);
	printf("%s: works, waitpid: %s, %s\n", what, w == r ? "the child" : en(errno), st_str(st));
	if (w != r)
		waitpid((pid_t)r, &st, __WALL);
}

static int exit0(void *a)
{
	(void)a;
	return 0;
}

/* an invalid request: print the errno; contain and reap a wrong success */
static void expect_fail(const char *what, struct clone_args_ *a, size_t size)
{
	char *s = NULL;
	if (a->stack == 0 && a->stack_size == 0 && (a->flags & 0x100)) /* CLONE_VM: give a stack */
		s = with_stack(a, exit0, NULL);
	long r = raw_clone3_fn(a, size);
	if (r < 0) {
		printf("%s: %s\n", what, en((int)-r));
		return;
	}
	printf("%s: succeeded\n", what);
	if (!(a->flags & CLONE_THREAD))
		waitpid((pid_t)r, NULL, __WALL);
	else
		usleep(100000);
	(void)s; /* a wrongly started thread may still run on it: keep it */
}

/* a fork-like request expected to fail (no CLONE_VM involved) */
static void expect_fail_fork(const char *what, void *a, size_t size)
{
	fflush(stdout);
	long r = syscall(NR_CLONE3, a, size);
	if (r == 0)
		_exit(0);
	if (r < 0) {
		printf("%s: %s\n", what, en(errno));
		return;
	}
	printf("%s: succeeded\n", what);
	waitpid((pid_t)r, NULL, __WALL);
}

static void sizes(void)
{
	static unsigned char buf[8192] __attribute__((aligned(64)));
	struct clone_args_ *a = (struct clone_args_ *)buf;
	printf("-- sizes\n");
	memset(buf, 0, sizeof buf);
	a->exit_signal = SIGCHLD;
	expect_fail_fork("size 0", a, 0);
	expect_fail_fork("size 8", a, 8);
	expect_fail_fork("size 63", a, 63);
	forklike("size 64", a, 64, 64 & 0xff, 0);
	forklike("size 80", a, 80, 80, 0);
	forklike("size 88", a, 88, 88, 0);
	forklike("size 96, zero tail", a, 96, 96, 0);
	forklike("size 4096, zero tail", a, 4096, 41, 0);
	buf[95] = 1;
	expect_fail_fork("size 96, non-zero byte 95", a, 96);
	buf[95] = 0;
	buf[4095] = 1;
	expect_fail_fork("size 4096, non-zero byte 4095", a, 4096);
	forklike("size 88, non-zero byte 4095 beyond it", a, 88, 42, 0);
	buf[4095] = 0;
	expect_fail_fork("size 4097", a, 4097);
	expect_fail_fork("size 4097, bad pointer", BAD, 4097);
	expect_fail_fork("size 8, bad pointer", BAD, 8);
	expect_fail_fork("size 88, bad pointer", BAD, 88);

	/* two pages, the second unmapped */
	char *pg = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(pg + 4096, 4096);
	struct clone_args_ *edge = (struct clone_args_ *)(pg + 4096 - 48);
	memset(edge, 0, 48);
	expect_fail_fork("88-byte struct crossing into an unmapped page", edge, 88);
	edge = (struct clone_args_ *)(pg + 4096 - 64);
	memset(edge, 0, 64);
	edge->exit_signal = SIGCHLD;
	forklike("64-byte struct ending at an unmapped page, size 64", edge, 64, 43, 0);
	expect_fail_fork("64-byte struct ending at an unmapped page, size 128", edge, 128);
	munmap(pg, 4096);
}

static void fields(void)
{
	struct clone_args_ a;
	printf("-- exit_signal and flags\n");
	memset(&a, 0, sizeof a);
	a.flags = CLONE_THREAD | CLONE_SIGHAND | CLONE_VM;
	a.exit_signal = SIGCHLD;
	expect_fail("CLONE_THREAD|CLONE_SIGHAND|CLONE_VM, exit_signal SIGCHLD", &a, sizeof a);
	memset(&a, 0, sizeof a);
	a.flags = CLONE_PARENT;
	a.exit_signal = SIGCHLD;
	expect_fail_fork("CLONE_PARENT, exit_signal SIGCHLD", &a, sizeof a);
	memset(&a, 0, sizeof a);
	a.exit_signal = 65;
	expect_fail_fork("exit_signal 65", &a, sizeof a);
	a.exit_signal = 0x100 | SIGCHLD;
	expect_fail_fork("exit_signal 0x100|SIGCHLD", &a, sizeof a);
	sigset_t s64, old;
	sigemptyset(&s64);
	sigaddset(&s64, 64);
	sigprocmask(SIG_BLOCK, &s64, &old); /* its default action would end the test */
	a.exit_signal = 64;
	forklike("exit_signal 64 (waitpid __WCLONE)", &a, sizeof a, 44, __WCLONE);
	sigset_t pend;
	sigpending(&pend);
	printf("  signal 64 pending after the child exited: %s\n", sigismember(&pend, 64) ? "yes" : "no");
	struct timespec zero = {0, 0};
	while (sigtimedwait(&s64, NULL, &zero) == 64)
		;
	sigprocmask(SIG_SETMASK, &old, NULL);
	a.exit_signal = SIGCHLD;
	a.flags = 1ULL << 40;
	expect_fail_fork("flags 1<<40", &a, sizeof a);
	a.flags = CLONE_DETACHED;
	expect_fail_fork("flags CLONE_DETACHED", &a, sizeof a);
	a.flags = SIGCHLD;
	expect_fail_fork("flags SIGCHLD (a CSIGNAL bit)", &a, sizeof a);
	a.flags = CLONE_CLEAR_SIGHAND_ | CLONE_SIGHAND | CLONE_VM;
	expect_fail("CLONE_CLEAR_SIGHAND|CLONE_SIGHAND|CLONE_VM", &a, sizeof a);

	printf("-- stack\n");
	static char small[4096];
	memset(&a, 0, sizeof a);
	a.exit_signal = SIGCHLD;
	a.stack = (uint64_t)(uintptr_t)small;
	expect_fail_fork("stack without stack_size", &a, sizeof a);
	a.stack = 0;
	a.stack_size = sizeof small;
	expect_fail_fork("stack_size without stack", &a, sizeof a);
	a.stack = 0xffff800000000000ULL;
	a.stack_size = 4096;
	expect_fail_fork("stack in kernel space", &a, sizeof a);
}

static volatile int vm_word;
static volatile int on_stack;
static volatile unsigned long seen_fs;
static volatile int seen_tid;
static char *cur_stack;

static int vm_child(void *arg)
{
	int local;
	char *p = (char *)&local;
	on_stack = p >= cur_stack && p < cur_stack + STACK_SIZE;
	unsigned long fs = 0;
	rsys(SYS_arch_prctl, ARCH_GET_FS, (long)&fs);
	seen_fs = fs;
	vm_word = (int)(long)arg;
	return 5;
}

static int vfork_child(void *arg)
{
	(void)arg;
	for (int i = 0; i < 50; i++)
		rsys(SYS_sched_yield, 0, 0);
	vm_word = 77;
	return 6;
}

static unsigned long tls_block[64];

static void vm_and_tids(void)
{
	struct clone_args_ a;
	int st;
	printf("-- CLONE_VM with stack, tls, tid fields\n");
	memset(&a, 0, sizeof a);
	a.flags = CLONE_VM | CLONE_SETTLS;
	a.exit_signal = SIGCHLD;
	tls_block[0] = (unsigned long)tls_block;
	a.tls = (uint64_t)(uintptr_t)tls_block;
	cur_stack = with_stack(&a, vm_child, (void *)7L);
	long r = raw_clone3_fn(&a, sizeof a);
	pid_t w = r > 0 ? waitpid((pid_t)r, &st, 0) : -1;
	printf("CLONE_VM|CLONE_SETTLS with stack: %s, %s\n", r > 0 ? "works" : en((int)-r),
	       w == r ? st_str(st) : "not reaped");
	printf("  store seen: %s, ran on the given stack: %s, fs base is the tls field: %s\n",
	       vm_word == 7 ? "yes" : "no", on_stack ? "yes" : "no",
	       seen_fs == (unsigned long)tls_block ? "yes" : "no");
	munmap(cur_stack, STACK_SIZE);

	int ptid = 0, ctid = 0;
	memset(&a, 0, sizeof a);
	a.flags = CLONE_PARENT_SETTID | CLONE_CHILD_SETTID;
	a.exit_signal = SIGCHLD;
	a.parent_tid = (uint64_t)(uintptr_t)&ptid;
	a.child_tid = (uint64_t)(uintptr_t)&ctid;
	fflush(stdout);
	r = syscall(NR_CLONE3, &a, sizeof a);
	if (r == 0)
		_exit(ctid == getpid() ? 0 : 1);
	waitpid((pid_t)r, &st, 0);
	printf("CLONE_PARENT_SETTID: parent's word is the pid: %s; CLONE_CHILD_SETTID: child's word "
	       "is its pid: %s, parent's untouched: %s\n",
	       ptid == r ? "yes" : "no", WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "yes" : "no",
	       ctid == 0 ? "yes" : "no");

	memset(&a, 0, sizeof a);
	a.flags = CLONE_VFORK | CLONE_VM;
	a.exit_signal = SIGCHLD;
	vm_word = 0;
	cur_stack = with_stack(&a, vfork_child, NULL);
	r = raw_clone3_fn(&a, sizeof a);
	int seen = vm_word;
	w = waitpid((pid_t)r, &st, 0);
	printf("CLONE_VFORK|CLONE_VM with stack: store visible when clone3 returns: %s, %s\n",
	       seen == 77 ? "yes" : "no", w == r ? st_str(st) : en(errno));
	munmap(cur_stack, STACK_SIZE);
}

static pid_t free_pid(void)
{
	pid_t p = 20000;
	while (kill(p, 0) == 0 || errno != ESRCH)
		p++;
	return p;
}

static void set_tid_tests(void)
{
	struct clone_args_ a;
	int st;
	pid_t tids[2];
	printf("-- set_tid\n");
	memset(&a, 0, sizeof a);
	a.exit_signal = SIGCHLD;
	a.set_tid = (uint64_t)(uintptr_t)tids;
	a.set_tid_size = 1;

	tids[0] = free_pid();
	fflush(stdout);
	long r = syscall(NR_CLONE3, &a, sizeof a);
	if (r == 0)
		_exit(getpid() == tids[0] ? 0 : 1);
	if (r < 0) {
		printf("set_tid of a free pid: %s\n", en(errno));
	} else {
		waitpid((pid_t)r, &st, 0);
		printf("set_tid of a free pid: %s\n",
		       r == tids[0] && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "ok" : "wrong pid");
	}
	tids[0] = me;
	expect_fail_fork("set_tid of the test's own pid", &a, sizeof a);
	tids[0] = 0;
	expect_fail_fork("set_tid 0", &a, sizeof a);
	tids[0] = -1;
	expect_fail_fork("set_tid -1", &a, sizeof a);
	tids[0] = 4194304;
	expect_fail_fork("set_tid 4194304", &a, sizeof a);
	tids[0] = free_pid();
	tids[1] = free_pid();
	a.set_tid_size = 2;
	expect_fail_fork("set_tid_size 2", &a, sizeof a);
	a.set_tid_size = 33;
	expect_fail_fork("set_tid_size 33", &a, sizeof a);
	a.set_tid_size = 1;
	a.set_tid = 0;
	expect_fail_fork("set_tid NULL, set_tid_size 1", &a, sizeof a);
	a.set_tid = (uint64_t)(uintptr_t)tids;
	a.set_tid_size = 0;
	expect_fail_fork("set_tid given, set_tid_size 0", &a, sizeof a);
	a.set_tid = (uint64_t)(uintptr_t)BAD;
	a.set_tid_size = 1;
	expect_fail_fork("set_tid unreadable", &a, sizeof a);
}

static void unprivileged(void)
{
	int st;
	printf("-- as uid 65534 (in a child)\n");
	pid_t free = free_pid();
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		if (setuid(65534) != 0) {
			printf("setuid: %s\n", en(errno));
			_exit(1);
		}
		struct clone_args_ a;
		pid_t tid = free;
		memset(&a, 0, sizeof a);
		a.exit_signal = SIGCHLD;
		a.set_tid = (uint64_t)(uintptr_t)&tid;
		a.set_tid_size = 1;
		expect_fail_fork("set_tid of a free pid", &a, sizeof a);
		tid = 0;
		expect_fail_fork("set_tid 0", &a, sizeof a);
		memset(&a, 0, sizeof a);
		a.exit_signal = SIGCHLD;
		a.flags = CLONE_NEWPID;
		expect_fail_fork("CLONE_NEWPID", &a, sizeof a);
		a.flags = CLONE_NEWTIME_;
		expect_fail_fork("CLONE_NEWTIME", &a, sizeof a);
		_exit(0);
	}
	waitpid(c, &st, 0);
	printf("unprivileged child: %s\n", st_str(st));
}

static void handler(int s)
{
	(void)s;
}

static void clear_sighand(void)
{
	struct clone_args_ a;
	int st;
	printf("-- CLONE_CLEAR_SIGHAND\n");
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = handler;
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGUSR2, SIG_IGN);
	sigset_t blk, old;
	sigemptyset(&blk);
	sigaddset(&blk, SIGTERM);
	sigprocmask(SIG_BLOCK, &blk, &old);
	for (int pass = 0; pass < 2; pass++) {
		memset(&a, 0, sizeof a);
		a.flags = pass == 0 ? CLONE_CLEAR_SIGHAND_ : 0;
		a.exit_signal = SIGCHLD;
		fflush(stdout);
		long r = syscall(NR_CLONE3, &a, sizeof a);
		if (r == 0) {
			struct sigaction o1, o2;
			sigset_t m;
			sigaction(SIGUSR1, NULL, &o1);
			sigaction(SIGUSR2, NULL, &o2);
			sigprocmask(SIG_BLOCK, NULL, &m);
			int code = (o1.sa_handler == SIG_DFL ? 1 : o1.sa_handler == handler ? 2 : 3) +
				   (o2.sa_handler == SIG_IGN ? 10 : 20) +
				   (sigismember(&m, SIGTERM) ? 100 : 200);
			_exit(code);
		}
		if (r < 0) {
			printf("%s: %s\n", pass == 0 ? "CLONE_CLEAR_SIGHAND" : "no flag", en(errno));
			continue;
		}
		waitpid((pid_t)r, &st, 0);
		int c = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		printf("%s: child's SIGUSR1 (caught in the parent): %s, SIGUSR2 (ignored): %s, SIGTERM "
		       "still blocked: %s\n",
		       pass == 0 ? "CLONE_CLEAR_SIGHAND" : "no flag",
		       c % 10 == 1 ? "SIG_DFL" : c % 10 == 2 ? "the handler" : "?",
		       (c / 10) % 10 == 1 ? "SIG_IGN" : "not SIG_IGN", c / 100 == 1 ? "yes" : "no");
	}
	sigaction(SIGUSR1, NULL, &sa);
	printf("parent's SIGUSR1 still has the handler: %s\n", sa.sa_handler == handler ? "yes" : "no");
	sigprocmask(SIG_SETMASK, &old, NULL);
	signal(SIGUSR1, SIG_DFL);
	signal(SIGUSR2, SIG_DFL);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	me = getpid();
	sizes();
	fields();
	vm_and_tids();
	set_tid_tests();
	unprivileged();
	clear_sighand();
	int st;
	pid_t w = waitpid(-1, &st, __WALL | WNOHANG);
	printf("-- children left: %s\n", w < 0 ? en(errno) : "some");
	return 0;
}
