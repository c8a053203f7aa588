/*
 * fpu_state: a process's whole FPU state (x87 control word and stack,
 * MXCSR, xmm registers) is its own. It survives system calls, is
 * inherited by fork as it is at the fork (even right after it was
 * changed), is kept apart from another process's across context
 * switches, and execve starts the new program with the default state
 * (x87 control word 0x37f, MXCSR 0x1f80).
 * Mirrors: Linux keeps user FPU registers live across a system call and
 * saves them on a context switch (switch_fpu_prepare()); fork copies
 * them (fpu_clone()), execve resets them (fpu_flush_thread()).
 */
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static uint16_t get_fcw(void)
{
	uint16_t cw;
	__asm__ volatile("fnstcw %0" : "=m"(cw));
	return cw;
}

static void set_fcw(uint16_t cw)
{
	__asm__ volatile("fldcw %0" ::"m"(cw));
}

static uint32_t get_mxcsr(void)
{
	uint32_t m;
	__asm__ volatile("stmxcsr %0" : "=m"(m));
	return m;
}

static void set_mxcsr(uint32_t m)
{
	__asm__ volatile("ldmxcsr %0" ::"m"(m));
}

/* `n` times: load xmm0-15 with values derived from `seed`, call getppid
   and sched_yield (raw syscalls: libc must not touch the registers in
   between; the yield switches to another runnable process), store them
   back. Nonzero if any came back different. */
static int xmm_survive(uint64_t seed, int n)
{
	uint64_t in[32], out[32];
	for (int i = 0; i < 32; i++)
		in[i] = seed * 0x9e3779b97f4a7c15ull + i;
	for (int round = 0; round < n; round++) {
		__asm__ volatile(
			"movdqu 0(%[i]), %%xmm0\n\t"
			"movdqu 16(%[i]), %%xmm1\n\t"
			"movdqu 32(%[i]), %%xmm2\n\t"
			"movdqu 48(%[i]), %%xmm3\n\t"
			"movdqu 64(%[i]), %%xmm4\n\t"
			"movdqu 80(%[i]), %%xmm5\n\t"
			"movdqu 96(%[i]), %%xmm6\n\t"
			"movdqu 112(%[i]), %%xmm7\n\t"
			"movdqu 128(%[i]), %%xmm8\n\t"
			"movdqu 144(%[i]), %%xmm9\n\t"
			"movdqu 160(%[i]), %%xmm10\n\t"
			"movdqu 176(%[i]), %%xmm11\n\t"
			"movdqu 192(%[i]), %%xmm12\n\t"
			"movdqu 208(%[i]), %%xmm13\n\t"
			"movdqu 224(%[i]), %%xmm14\n\t"
			"movdqu 240(%[i]), %%xmm15\n\t"
			"mov $110, %%eax\n\t" /* getppid */
			"syscall\n\t"
			"mov $24, %%eax\n\t" /* sched_yield */
			"syscall\n\t"
			"movdqu %%xmm0, 0(%[o])\n\t"
			"movdqu %%xmm1, 16(%[o])\n\t"
			"movdqu %%xmm2, 32(%[o])\n\t"
			"movdqu %%xmm3, 48(%[o])\n\t"
			"movdqu %%xmm4, 64(%[o])\n\t"
			"movdqu %%xmm5, 80(%[o])\n\t"
			"movdqu %%xmm6, 96(%[o])\n\t"
			"movdqu %%xmm7, 112(%[o])\n\t"
			"movdqu %%xmm8, 128(%[o])\n\t"
			"movdqu %%xmm9, 144(%[o])\n\t"
			"movdqu %%xmm10, 160(%[o])\n\t"
			"movdqu %%xmm11, 176(%[o])\n\t"
			"movdqu %%xmm12, 192(%[o])\n\t"
			"movdqu %%xmm13, 208(%[o])\n\t"
			"movdqu %%xmm14, 224(%[o])\n\t"
			"movdqu %%xmm15, 240(%[o])\n\t"
			:
			: [i] "r"(in), [o] "r"(out)
			: "rax", "rcx", "r11", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
			  "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
		if (memcmp(in, out, sizeof in) != 0)
			return 1;
	}
	return 0;
}

/* Push three values on the x87 stack, make system calls and yield, pop
   them: they must come back exactly. */
static int x87_stack_survives(int n)
{
	for (int round = 0; round < n; round++) {
		long double a = 1.25L + round, b = -3.5L, c = 1e300L * 1e10L;
		long double ra, rb, rc;
		__asm__ volatile(
			"fldt %[a]\n\t"
			"fldt %[b]\n\t"
			"fldt %[c]\n\t"
			"mov $110, %%eax\n\t"
			"syscall\n\t"
			"mov $24, %%eax\n\t"
			"syscall\n\t"
			"fstpt %[rc]\n\t"
			"fstpt %[rb]\n\t"
			"fstpt %[ra]\n\t"
			: [ra] "=m"(ra), [rb] "=m"(rb), [rc] "=m"(rc)
			: [a] "m"(a), [b] "m"(b), [c] "m"(c)
			: "rax", "rcx", "r11", "memory");
		if (ra != a || rb != b || rc != c)
			return 1;
	}
	return 0;
}

static void report(const char *who)
{
	printf("%s: fcw %#x mxcsr %#x\n", who, get_fcw(), get_mxcsr() & ~0x3fu);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "exec") == 0) {
		report("after execve");
		return 0;
	}
	setvbuf(stdout, NULL, _IONBF, 0);
	report("start");

	/* Changed, then system calls: still changed. */
	set_fcw(0x27f);                 /* double precision */
	set_mxcsr(0x1f80 | (3u << 13)); /* round toward zero */
	for (int i = 0; i < 100; i++)
		syscall(SYS_getppid);
	report("after 100 getppid");
	printf("xmm registers survive system calls: %s\n", xmm_survive(1, 200) ? "no" : "yes");
	printf("x87 stack survives system calls: %s\n", x87_stack_survives(200) ? "no" : "yes");

	/* fork right after a change: the child has the new state. */
	set_fcw(0x7f);                  /* single precision */
	set_mxcsr(0x1f80 | (1u << 13)); /* round down */
	pid_t pid = fork();
	if (pid == 0) {
		report("child after fork");
		/* Its own state, kept apart from the parent's while both run. */
		set_fcw(0x37f);
		set_mxcsr(0x1f80 | (2u << 13)); /* round up */
		int bad = xmm_survive(2, 300) | x87_stack_survives(300);
		for (int i = 0; i < 200; i++)
			sched_yield();
		report("child after yields");
		printf("child registers kept: %s\n", bad ? "no" : "yes");
		_exit(0);
	}
	int bad = xmm_survive(3, 300) | x87_stack_survives(300);
	for (int i = 0; i < 200; i++)
		sched_yield();
	int st;
	waitpid(pid, &st, 0);
	report("parent after child");
	printf("parent registers kept: %s\n", bad ? "no" : "yes");

	/* execve: the new program starts with the default state. */
	pid = fork();
	if (pid == 0) {
		execl("/proc/self/exe", argv[0], "exec", (char *)NULL);
		execl(argv[0], argv[0], "exec", (char *)NULL);
		perror("execl");
		_exit(127);
	}
	waitpid(pid, &st, 0);
	printf("exec child status %d\n", WEXITSTATUS(st));
	report("end");
	return 0;
}
