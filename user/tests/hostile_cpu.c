/*
 * hostile_cpu: CPU state a user program controls and the kernel must
 * survive, each of which once panicked Tine or gave the wrong signal.
 * Every case runs in a child, so that one wrong answer does not hide the
 * others, and the child reports what it saw:
 *   - NT set in RFLAGS across a system call and across fork (Linux clears
 *     NT on entry with its SYSCALL_MASK; the user's NT comes back);
 *   - `int3` and `int $3`: SIGTRAP with si_code SI_KERNEL, rip after it;
 *   - `icebp` (int1): SIGTRAP, si_code TRAP_BRKPT, si_addr = rip after it;
 *   - `syscall` from 32-bit compatibility mode (a far return to the
 *     32-bit user code segment 0x23): the process survives (Linux with or
 *     without IA32 emulation returns, or refuses the far return when its
 *     32-bit segment is disabled; Intel CPUs raise #UD: the SIGILL or
 *     SIGSEGV handler turns each into the same line);
 *   - sgdt/sidt/smsw with UMIP: Linux spoofs the results (dummy GDT and
 *     IDT bases, a fixed CR0); sldt and str give SIGSEGV;
 *   - a signal handler at a non-canonical address, and rt_sigreturn to a
 *     non-canonical rip: SIGSEGV, not a fault inside the kernel;
 *   - clone() with an exit signal above 64: accepted, never sent, the
 *     child is a "clone" child for wait (needs __WALL);
 *   - CLONE_SETTLS / clone3 tls with a kernel or non-canonical base: EPERM.
 * Mirrors: clone(2), sigaction(2), Linux arch/x86/entry (SYSCALL_MASK,
 *   ignore_sysret), arch/x86/kernel/umip.c, traps.c (int3, icebp).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include "testlib.h"

#ifndef __WALL
#define __WALL 0x40000000
#endif

/* Linux's struct clone_args (uapi linux/sched.h), first version. */
struct clone_args_ {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal;
	uint64_t stack, stack_size, tls;
};

#define NT (1UL << 14)

static void run(const char *name, void (*fn)(void))
{
	fflush(stdout);
	pid_t p = fork();
	if (p == 0) {
		fn();
		fflush(stdout);
		_exit(0);
	}
	int st;
	waitpid(p, &st, 0);
	printf("%s: %s\n", name, st_str(st));
}

/* ---- NT across syscall and fork ---- */

/* System call `nr` with NT set in RFLAGS; NT cleared again after it.
 * Returns the call's result and, in *fl, the flags it came back with. */
static long syscall_with_nt(long nr, unsigned long *fl)
{
	long r;
	__asm__ volatile("pushfq; orq %3, (%%rsp); popfq\n\t"
			 "syscall\n\t"
			 "pushfq; popq %1\n\t"
			 "pushfq; andq %4, (%%rsp); popfq"
			 : "=a"(r), "=&r"(*fl)
			 : "a"(nr), "i"(NT), "i"(~NT)
			 : "rcx", "r11", "memory", "cc");
	return r;
}

static void nt_syscall(void)
{
	unsigned long fl;
	long r = syscall_with_nt(SYS_getpid, &fl);
	printf("  getpid with NT: %s, NT after: %d\n", r == getpid() ? "right pid" : "wrong", !!(fl & NT));
}

static void nt_fork(void)
{
	unsigned long fl;
	long r = syscall_with_nt(SYS_fork, &fl);
	if (r == 0) {
		printf("  fork child with NT: NT %d\n", !!(fl & NT));
		fflush(stdout);
		_exit(3);
	}
	int st;
	waitpid(r, &st, 0);
	printf("  fork parent with NT: NT %d, child %s\n", !!(fl & NT), st_str(st));
}

/* ---- traps ---- */

static volatile uintptr_t trap_rip, trap_addr;
static volatile int trap_sig, trap_code;

static void on_trap(int sig, siginfo_t *si, void *uc)
{
	trap_sig = sig;
	trap_code = si->si_code;
	trap_addr = (uintptr_t)si->si_addr;
	trap_rip = ((ucontext_t *)uc)->uc_mcontext.gregs[REG_RIP];
}

static void catch(int sig)
{
	struct sigaction sa = {0};
	sa.sa_sigaction = on_trap;
	sa.sa_flags = SA_SIGINFO;
	sigaction(sig, &sa, NULL);
}

static void report_trap(const char *what, uintptr_t after)
{
	printf("  %s: signal %d code %d, rip %s, si_addr %s\n", what, trap_sig, trap_code,
	       trap_rip == after ? "after it" : "elsewhere",
	       trap_addr == after ? "rip" : trap_addr == 0 ? "0" : "other");
	trap_sig = trap_code = 0;
}

static void int3(void)
{
	uintptr_t after;
	catch(SIGTRAP);
	__asm__ volatile("int3\n1:\n\tlea 1b(%%rip), %0" : "=r"(after));
	report_trap("int3", after);
	__asm__ volatile(".byte 0xcd, 0x03\n1:\n\tlea 1b(%%rip), %0" : "=r"(after));
	report_trap("int $3", after);
}

static void icebp(void)
{
	uintptr_t after;
	catch(SIGTRAP);
	__asm__ volatile(".byte 0xf1\n1:\n\tlea 1b(%%rip), %0" : "=r"(after));
	report_trap("icebp", after);
}

/* ---- syscall from compatibility mode ---- */

static sigjmp_buf back;

static void on_fault(int sig)
{
	(void)sig;
	siglongjmp(back, 1);
}

static void compat_syscall(void)
{
	/* Code and stack below 4 GiB, where 32-bit code can reach them. */
	uint8_t *page = mmap(NULL, 8192, PROT_READ | PROT_WRITE | PROT_EXEC,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	if (page == MAP_FAILED) {
		printf("  mmap MAP_32BIT: %s\n", en(errno));
		return;
	}
	uint32_t base = (uint32_t)(uintptr_t)page;
	uint64_t *saved_rsp = (uint64_t *)(page + 0x800);
	uint8_t *c = page;
	/* 32-bit: mov $20, %eax (i386 getpid); syscall; then a far return
	 * to the 64-bit trampoline at +0x100 through selector 0x33. */
	uint8_t code32[] = {0xb8, 20, 0, 0, 0, 0x0f, 0x05, 0x6a, 0x33, 0x68, 0, 0, 0, 0, 0xcb};
	uint32_t tramp = base + 0x100;
	memcpy(code32 + 10, &tramp, 4);
	memcpy(c, code32, sizeof code32);
	/* 64-bit trampoline: mov rsp, [saved_rsp]; ret. */
	uint8_t code64[] = {0x48, 0x8b, 0x24, 0x25, 0, 0, 0, 0, 0xc3};
	uint32_t slot = base + 0x800;
	memcpy(code64 + 4, &slot, 4);
	memcpy(c + 0x100, code64, sizeof code64);
	uint64_t stack32 = base + 8192 - 16;

	struct sigaction sa = {0};
	sa.sa_handler = on_fault;
	sigaction(SIGILL, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	if (sigsetjmp(back, 1) == 0) {
		__asm__ volatile("push %%rbx; push %%rbp; push %%r12; push %%r13; push %%r14; push %%r15\n\t"
				 "lea 1f(%%rip), %%rax\n\t"
				 "push %%rax\n\t"
				 "mov %%rsp, (%0)\n\t"
				 "mov %1, %%rsp\n\t"
				 "pushq $0x23\n\t"
				 "push %2\n\t"
				 "lretq\n"
				 "1:\n\t"
				 "pop %%r15; pop %%r14; pop %%r13; pop %%r12; pop %%rbp; pop %%rbx"
				 :
				 : "r"(saved_rsp), "r"(stack32), "r"((uint64_t)base)
				 : "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "memory", "cc");
	}
	printf("  back in 64-bit mode\n");
}

/* ---- UMIP ---- */

static void umip(void)
{
	struct __attribute__((packed)) {
		uint16_t limit;
		uint64_t base;
	} gdt = {0x1234, 1}, idt = {0x1234, 1};
	uint64_t msw = 0x1111;
	catch(SIGSEGV);
	__asm__ volatile("sgdt %0" : "=m"(gdt));
	__asm__ volatile("sidt %0" : "=m"(idt));
	__asm__ volatile("smsw %0" : "=r"(msw));
	printf("  sgdt: base %#llx limit %#x (signal %d)\n", (unsigned long long)gdt.base, gdt.limit, trap_sig);
	printf("  sidt: base %#llx limit %#x\n", (unsigned long long)idt.base, idt.limit);
	printf("  smsw: %#llx\n", (unsigned long long)msw);
}

/* ---- non-canonical return addresses ---- */

static void bad_handler(void)
{
	struct sigaction sa = {0};
	sa.sa_handler = (void (*)(int))0x0000900000000000UL;
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	printf("  still running\n");
}

static void kernel_handler(void)
{
	struct sigaction sa = {0};
	sa.sa_handler = (void (*)(int))0xffffffff81000000UL;
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	printf("  still running\n");
}

static void on_usr2(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	((ucontext_t *)uc)->uc_mcontext.gregs[REG_RIP] = 0x0000900000000000L;
}

static void bad_sigreturn(void)
{
	struct sigaction sa = {0};
	sa.sa_sigaction = on_usr2;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGUSR2, &sa, NULL);
	raise(SIGUSR2);
	printf("  still running\n");
}

/* ---- clone's exit signal and TLS ---- */

static long raw_clone(unsigned long flags, unsigned long tls)
{
	return syscall(SYS_clone, flags, 0, 0, 0, tls);
}

static void exit_signal_big(void)
{
	int sigs[] = {65, 100, 255};
	for (unsigned i = 0; i < sizeof sigs / sizeof *sigs; i++) {
		long p = raw_clone(sigs[i], 0);
		if (p == 0)
			_exit(7);
		if (p < 0) {
			printf("  clone(exit signal %d): %s\n", sigs[i], en(errno));
			continue;
		}
		int st;
		errno = 0;
		long w = waitpid(p, &st, 0);
		printf("  clone(exit signal %d): waitpid without __WALL: %s\n", sigs[i], w == p ? "found" : en(errno));
		if (w != p) {
			w = waitpid(p, &st, __WALL);
			printf("  with __WALL: %s %s\n", w == p ? "found" : en(errno), st_str(st));
		}
	}
}

static void tls_checks(void)
{
	unsigned long bad[] = {0x00007ffffffff000UL, 0x0000800000000000UL, 0xffff800000000000UL};
	for (unsigned i = 0; i < 3; i++) {
		long p = raw_clone(SIGCHLD | CLONE_SETTLS, bad[i]);
		if (p == 0)
			_exit(9);
		if (p > 0) {
			int st;
			waitpid(p, &st, 0);
			printf("  clone(CLONE_SETTLS, %#lx): child %s\n", bad[i], st_str(st));
		} else {
			printf("  clone(CLONE_SETTLS, %#lx): %s\n", bad[i], en(errno));
		}
		struct clone_args_ ca = {0};
		ca.flags = CLONE_SETTLS;
		ca.exit_signal = SIGCHLD;
		ca.tls = bad[i];
		p = syscall(SYS_clone3, &ca, sizeof ca);
		if (p == 0)
			_exit(9);
		if (p > 0) {
			int st;
			waitpid(p, &st, 0);
			printf("  clone3(tls %#lx): child %s\n", bad[i], st_str(st));
		} else {
			printf("  clone3(tls %#lx): %s\n", bad[i], en(errno));
		}
	}
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	struct rlimit nocore = {0, 0};
	setrlimit(RLIMIT_CORE, &nocore); /* no core files in the host's cwd */
	run("nt_syscall", nt_syscall);
	run("nt_fork", nt_fork);
	run("int3", int3);
	run("icebp", icebp);
	run("compat_syscall", compat_syscall);
	run("umip", umip);
	run("bad_handler", bad_handler);
	run("kernel_handler", kernel_handler);
	run("bad_sigreturn", bad_sigreturn);
	run("exit_signal_big", exit_signal_big);
	run("tls_checks", tls_checks);
	printf("done\n");
	return 0;
}
