// cc: musl-gcc -static -O2 -pthread
/*
 * xsave_ymm: the AVX state (the upper halves of ymm0-15) is part of a
 * task's FPU state. A signal frame carries it in the XSAVE layout: the
 * fpstate that uc_mcontext.fpregs points to has FP_XSTATE_MAGIC1 and the
 * sizes in its software bytes, AVX in their xfeatures and in the
 * header's XSTATE_BV, the ymm upper halves at byte 576, FP_XSTATE_MAGIC2
 * right after xstate_size bytes, and UC_FP_XSTATE in uc_flags; the
 * handler starts with clean ymm registers; a change the handler makes to
 * the frame's upper halves is what rt_sigreturn loads; a frame whose
 * MAGIC2 is gone gives back the legacy part only (AVX reset to its
 * initial state), and one whose header names a feature XCR0 lacks is a
 * bad frame (SIGSEGV). fork keeps the
 * ymm values in the child, and two threads yielding to each other keep
 * their own ymm values across the context switches.
 * Without AVX (CPUID and XCR0) it says so and checks nothing.
 * Mirrors: Linux's arch/x86/kernel/fpu/signal.c (copy_fpstate_to_sigframe,
 * save_xstate_epilog, check_xstate_in_sigframe), the uapi sigcontext.h
 * layout, switch_fpu_prepare() and fpu_clone().
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include "ymm.h"

#define FP_XSTATE_MAGIC1 0x46505853u
#define FP_XSTATE_MAGIC2 0x46505845u
#define UC_FP_XSTATE 0x1
#define XFEATURE_MASK_YMM 0x4

/* Load `in` into ymm0-15, make system call `nr` (args a, b), store the
   registers to `out`: nothing but the kernel runs in between. */
static long ymm_syscall(const ymm_file in, ymm_file out, long nr, long a, long b)
{
	register long rdi __asm__("rdi") = a;
	register long rsi __asm__("rsi") = b;
	__asm__ volatile(LOAD_YMM("%[in]") "syscall\n\t" STORE_YMM("%[out]")
			 : "+a"(nr), "+r"(rdi), "+r"(rsi)
			 : [in] "r"(in), [out] "r"(out)
			 : "rcx", "r11", "memory", YMM_CLOBBERS);
	return nr;
}

/* What the handler does to the frame besides checking it. */
enum { CHANGE_UPPER, DROP_MAGIC2, BAD_HEADER };
static volatile int mode;
/* What the handler saw. */
static volatile int h_ucflag, h_magic1, h_magic2, h_sw_avx, h_bv_avx, h_frame_ok, h_clean;
static ymm_file expect;

static void handler(int sig, siginfo_t *si, void *ucv)
{
	(void)sig;
	(void)si;
	uint8_t upper5[16];
	__asm__ volatile("vextractf128 $1, %%ymm5, %0" : "=m"(upper5));
	static const uint8_t zero[16];
	h_clean = memcmp(upper5, zero, 16) == 0;
	ucontext_t *uc = ucv;
	uint8_t *fp = (uint8_t *)uc->uc_mcontext.fpregs;
	uint32_t magic1, extended_size, xstate_size, magic2;
	uint64_t xfeatures, bv;
	memcpy(&magic1, fp + 464, 4);
	memcpy(&extended_size, fp + 468, 4);
	memcpy(&xfeatures, fp + 472, 8);
	memcpy(&xstate_size, fp + 480, 4);
	memcpy(&bv, fp + 512, 8);
	h_ucflag = (uc->uc_flags & UC_FP_XSTATE) != 0;
	h_magic1 = magic1 == FP_XSTATE_MAGIC1 && extended_size == xstate_size + 4 && xstate_size >= 832;
	if (!h_magic1)
		return;
	memcpy(&magic2, fp + xstate_size, 4);
	h_magic2 = magic2 == FP_XSTATE_MAGIC2;
	h_sw_avx = (xfeatures & XFEATURE_MASK_YMM) != 0;
	h_bv_avx = (bv & XFEATURE_MASK_YMM) != 0;
	int ok = 1;
	for (int i = 0; i < 16; i++) {
		ok &= memcmp(fp + 160 + 16 * i, expect[i], 16) == 0;
		ok &= memcmp(fp + 576 + 16 * i, expect[i] + 16, 16) == 0;
		/* The new upper half rt_sigreturn is to load. */
		for (int j = 0; j < 16; j++)
			fp[576 + 16 * i + j] = (uint8_t)~expect[i][16 + j];
	}
	h_frame_ok = ok;
	if (mode == DROP_MAGIC2)
		fp[xstate_size] ^= 0xff;
	if (mode == BAD_HEADER)
		fp[512 + 7] |= 0x40; /* XSTATE_BV bit 62 */
}

static void signal_frame(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGUSR1, &sa, NULL);
	ymm_file out;
	ymm_pattern(expect, 37);
	ymm_syscall(expect, out, SYS_kill, getpid(), SIGUSR1);
	printf("frame: UC_FP_XSTATE %d, magic1 and sizes %d, magic2 %d\n", h_ucflag, h_magic1, h_magic2);
	printf("frame: AVX in sw xfeatures %d, in XSTATE_BV %d\n", h_sw_avx, h_bv_avx);
	printf("frame: ymm0-15 in the frame as set %d; handler starts with clean ymm %d\n", h_frame_ok, h_clean);
	int lower = 1, upper = 1;
	for (int i = 0; i < 16; i++) {
		lower &= memcmp(out[i], expect[i], 16) == 0;
		for (int j = 0; j < 16; j++)
			upper &= out[i][16 + j] == (uint8_t)~expect[i][16 + j];
	}
	printf("sigreturn: xmm halves kept %d, upper halves the handler's %d\n", lower, upper);

	mode = DROP_MAGIC2;
	ymm_syscall(expect, out, SYS_kill, getpid(), SIGUSR1);
	int zero = 1;
	lower = 1;
	for (int i = 0; i < 16; i++) {
		lower &= memcmp(out[i], expect[i], 16) == 0;
		for (int j = 0; j < 16; j++)
			zero &= out[i][16 + j] == 0;
	}
	printf("sigreturn without MAGIC2: xmm halves kept %d, upper halves reset %d\n", lower, zero);

	mode = BAD_HEADER;
	pid_t c = fork();
	if (c == 0) {
		ymm_syscall(expect, out, SYS_kill, getpid(), SIGUSR1);
		_exit(0);
	}
	int st;
	waitpid(c, &st, 0);
	printf("sigreturn with an unknown feature in XSTATE_BV: killed by SIGSEGV %d\n",
	       WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
}

static void fork_keeps(void)
{
	ymm_file in, out;
	ymm_pattern(in, 37 * 2);
	long pid = ymm_syscall(in, out, SYS_fork, 0, 0);
	int same = memcmp(in, out, sizeof in) == 0;
	if (pid == 0)
		_exit(same ? 0 : 1);
	int st;
	waitpid(pid, &st, 0);
	printf("fork: parent keeps ymm %d, child has them %d\n", same, WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

#define ROUNDS 300

static void *yielder(void *arg)
{
	int seed = (int)(long)arg;
	ymm_file in, out;
	ymm_pattern(in, 37 * seed);
	long n = ROUNDS;
	__asm__ volatile(LOAD_YMM("%[in]") "1:\n\t"
					   "mov %[yield], %%eax\n\t"
					   "syscall\n\t"
					   "dec %[n]\n\t"
					   "jnz 1b\n\t" STORE_YMM("%[out]")
			 : [n] "+r"(n)
			 : [in] "r"(in), [out] "r"(out), [yield] "i"(SYS_sched_yield)
			 : "rax", "rcx", "r11", "memory", YMM_CLOBBERS);
	return (void *)(long)(memcmp(in, out, sizeof in) == 0);
}

static void yield_pingpong(void)
{
	pthread_t t[2];
	for (long i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, yielder, (void *)(i + 10));
	for (int i = 0; i < 2; i++) {
		void *ok;
		pthread_join(t[i], &ok);
		printf("sched_yield: thread %d kept its ymm over %d yields %ld\n", i, ROUNDS, (long)ok);
	}
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (!have_avx()) {
		printf("avx: no\n");
		return 0;
	}
	printf("avx: yes\n");
	signal_frame();
	fork_keeps();
	yield_pingpong();
	return 0;
}
