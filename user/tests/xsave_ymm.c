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

#define FP_XSTATE_MAGIC1 0x46505853u
#define FP_XSTATE_MAGIC2 0x46505845u
#define UC_FP_XSTATE 0x1
#define XFEATURE_MASK_YMM 0x4

typedef uint8_t ymm_file[16][32];

static int have_avx(void)
{
	unsigned a, b, c, d;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
	if (!(c & (1u << 27)) || !(c & (1u << 28)))
		return 0;
	unsigned lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return (lo & 6) == 6;
}

static void pattern(ymm_file y, int seed)
{
	for (int i = 0; i < 16; i++)
		for (int j = 0; j < 32; j++)
			y[i][j] = (uint8_t)(seed * 37 + i * 32 + j);
}

#define LOAD_YMM(p)                                                                     \
	"vmovdqu 0*32(" p "), %%ymm0\n\tvmovdqu 1*32(" p "), %%ymm1\n\t"                  \
	"vmovdqu 2*32(" p "), %%ymm2\n\tvmovdqu 3*32(" p "), %%ymm3\n\t"                  \
	"vmovdqu 4*32(" p "), %%ymm4\n\tvmovdqu 5*32(" p "), %%ymm5\n\t"                  \
	"vmovdqu 6*32(" p "), %%ymm6\n\tvmovdqu 7*32(" p "), %%ymm7\n\t"                  \
	"vmovdqu 8*32(" p "), %%ymm8\n\tvmovdqu 9*32(" p "), %%ymm9\n\t"                  \
	"vmovdqu 10*32(" p "), %%ymm10\n\tvmovdqu 11*32(" p "), %%ymm11\n\t"              \
	"vmovdqu 12*32(" p "), %%ymm12\n\tvmovdqu 13*32(" p "), %%ymm13\n\t"              \
	"vmovdqu 14*32(" p "), %%ymm14\n\tvmovdqu 15*32(" p "), %%ymm15\n\t"
#define STORE_YMM(p)                                                                    \
	"vmovdqu %%ymm0, 0*32(" p ")\n\tvmovdqu %%ymm1, 1*32(" p ")\n\t"                  \
	"vmovdqu %%ymm2, 2*32(" p ")\n\tvmovdqu %%ymm3, 3*32(" p ")\n\t"                  \
	"vmovdqu %%ymm4, 4*32(" p ")\n\tvmovdqu %%ymm5, 5*32(" p ")\n\t"                  \
	"vmovdqu %%ymm6, 6*32(" p ")\n\tvmovdqu %%ymm7, 7*32(" p ")\n\t"                  \
	"vmovdqu %%ymm8, 8*32(" p ")\n\tvmovdqu %%ymm9, 9*32(" p ")\n\t"                  \
	"vmovdqu %%ymm10, 10*32(" p ")\n\tvmovdqu %%ymm11, 11*32(" p ")\n\t"              \
	"vmovdqu %%ymm12, 12*32(" p ")\n\tvmovdqu %%ymm13, 13*32(" p ")\n\t"              \
	"vmovdqu %%ymm14, 14*32(" p ")\n\tvmovdqu %%ymm15, 15*32(" p ")\n\t"              \
	"vzeroupper\n\t"
#define YMM_CLOBBERS                                                                    \
	"xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",  \
	    "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15"

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
	pattern(expect, 1);
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
	pattern(in, 2);
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
	pattern(in, seed);
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
