// qemu-cpu: max,-xsave
/*
 * fpu_noxsave: the user FPU state on a CPU without XSAVE (QEMU's `max`
 * model with xsave taken away; natively, whatever the host has), where
 * the kernel saves and restores it with fxsave/fxrstor and a signal
 * frame's fpstate is the 512-byte fxsave image. Every check below asks
 * the CPU what it has and prints only whether the kernel's answer fits
 * it, so the output is the same with XSAVE and without.
 * Checks:
 *   fpu_state's checks (x87 and SSE state across system calls, fork,
 *     context switches and execve);
 *   a signal taken right after xmm0-15 and MXCSR were loaded: the
 *     frame's fpstate holds them at the fxsave offsets; it carries the
 *     XSAVE software bytes (FP_XSTATE_MAGIC1 at 464, MAGIC2 after the
 *     image) when CPUID says OSXSAVE, and zeros there when it does not
 *     (Linux's fx_sw_reserved is filled only with XSAVE); an xmm value the handler
 *     writes into the frame is what the program has after sigreturn,
 *     and the other registers are back though the handler used them;
 *   the same signal on an alternate stack of AT_MINSIGSTKSZ bytes (or
 *     MINSIGSTKSZ, if larger): the frame fits in it;
 *   a tracee stopped with xmm0-15 and MXCSR loaded: PTRACE_GETFPREGS
 *     and GETREGSET NT_PRFPREG show them; GETREGSET NT_X86_XSTATE is
 *     ENODEV without XSAVE (Linux: xstateregs_get()), and with it gives
 *     an image that SETREGSET takes back; SETREGSET NT_X86_XSTATE is
 *     ENODEV without XSAVE; a length that is not a whole number of
 *     words is EINVAL either way.
 * Mirrors: Linux's fxsave fallback (os_xsave() vs fxsave in
 *   save_fpregs_to_fpstate()), copy_fpstate_to_sigframe() and
 *   check_xstate_in_sigframe(), init_sigframe_size(), fpu/regset.c.
 */
#define main fpu_state_main
#include "fpu_state.c"
#undef main

#include <elf.h>
#include <errno.h>
#include <signal.h>
#include <sys/auxv.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <ucontext.h>

#ifndef NT_X86_XSTATE
#define NT_X86_XSTATE 0x202
#endif
#ifndef AT_MINSIGSTKSZ
#define AT_MINSIGSTKSZ 51
#endif
#define FP_XSTATE_MAGIC1 0x46505853u
#define FP_XSTATE_MAGIC2 0x46505845u

static int have_osxsave(void)
{
	unsigned a, b, c, d;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
	return (c >> 27) & 1;
}

static uint64_t xmm_in[32], xmm_out[32];
static const uint32_t MXCSR = 0x1f80 | (3u << 13); /* round toward zero */

/* Load xmm0-15 from xmm_in and MXCSR, send ourselves `sig` with a raw
   kill (the handler runs on its return), store xmm0-15 to xmm_out. */
static void xmm_across_signal(int sig)
{
	uint32_t m = MXCSR;
	long pid = getpid();
	__asm__ volatile(
		"ldmxcsr %[m]\n\t"
		"movdqu 0(%[i]), %%xmm0\n\tmovdqu 16(%[i]), %%xmm1\n\t"
		"movdqu 32(%[i]), %%xmm2\n\tmovdqu 48(%[i]), %%xmm3\n\t"
		"movdqu 64(%[i]), %%xmm4\n\tmovdqu 80(%[i]), %%xmm5\n\t"
		"movdqu 96(%[i]), %%xmm6\n\tmovdqu 112(%[i]), %%xmm7\n\t"
		"movdqu 128(%[i]), %%xmm8\n\tmovdqu 144(%[i]), %%xmm9\n\t"
		"movdqu 160(%[i]), %%xmm10\n\tmovdqu 176(%[i]), %%xmm11\n\t"
		"movdqu 192(%[i]), %%xmm12\n\tmovdqu 208(%[i]), %%xmm13\n\t"
		"movdqu 224(%[i]), %%xmm14\n\tmovdqu 240(%[i]), %%xmm15\n\t"
		"mov $62, %%eax\n\t" /* kill */
		"syscall\n\t"
		"movdqu %%xmm0, 0(%[o])\n\tmovdqu %%xmm1, 16(%[o])\n\t"
		"movdqu %%xmm2, 32(%[o])\n\tmovdqu %%xmm3, 48(%[o])\n\t"
		"movdqu %%xmm4, 64(%[o])\n\tmovdqu %%xmm5, 80(%[o])\n\t"
		"movdqu %%xmm6, 96(%[o])\n\tmovdqu %%xmm7, 112(%[o])\n\t"
		"movdqu %%xmm8, 128(%[o])\n\tmovdqu %%xmm9, 144(%[o])\n\t"
		"movdqu %%xmm10, 160(%[o])\n\tmovdqu %%xmm11, 176(%[o])\n\t"
		"movdqu %%xmm12, 192(%[o])\n\tmovdqu %%xmm13, 208(%[o])\n\t"
		"movdqu %%xmm14, 224(%[o])\n\tmovdqu %%xmm15, 240(%[o])\n\t"
		:
		: [i] "r"(xmm_in), [o] "r"(xmm_out), [m] "m"(m), "D"(pid), "S"((long)sig)
		: "rax", "rcx", "r11", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",
		  "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
}

static volatile int frame_ok, sw_bytes_ok, in_altstack;
static char *alt_lo, *alt_hi;

static void handler(int sig, siginfo_t *si, void *ctx)
{
	(void)sig;
	(void)si;
	ucontext_t *uc = ctx;
	unsigned char *fp = (unsigned char *)uc->uc_mcontext.fpregs;
	uint32_t mxcsr, magic1, extended, xsize, magic2;
	memcpy(&mxcsr, fp + 24, 4);
	frame_ok = fp && ((uintptr_t)fp & 15) == 0 && mxcsr == MXCSR && memcmp(fp + 160, xmm_in, 256) == 0;
	/* struct _fpx_sw_bytes at 464: magic1, extended_size, xfeatures,
	   xstate_size; FP_XSTATE_MAGIC2 right after the xstate_size bytes. */
	memcpy(&magic1, fp + 464, 4);
	memcpy(&extended, fp + 468, 4);
	memcpy(&xsize, fp + 480, 4);
	if (have_osxsave()) {
		memcpy(&magic2, fp + xsize, 4);
		sw_bytes_ok = magic1 == FP_XSTATE_MAGIC1 && xsize > 512 && extended == xsize + 4 &&
			      magic2 == FP_XSTATE_MAGIC2;
	} else {
		/* Linux copies its fx_sw_reserved, all zeros without XSAVE. */
		static const unsigned char zeros[48];
		sw_bytes_ok = memcmp(fp + 464, zeros, 48) == 0;
	}
	if (alt_lo)
		in_altstack = (char *)uc >= alt_lo && (char *)fp + 512 <= alt_hi;
	/* Change xmm0 in the frame; use the registers here as well. */
	uint64_t changed[2] = {0x1111111111111111ull, 0x2222222222222222ull};
	memcpy(fp + 160, changed, 16);
	volatile double x = 3.0;
	for (int i = 0; i < 8; i++)
		x = x * 1.5 + i;
}

static void signal_checks(void)
{
	for (int i = 0; i < 32; i++)
		xmm_in[i] = 0x0123456789abcdefull * (i + 7);
	struct sigaction sa = {.sa_sigaction = handler, .sa_flags = SA_SIGINFO};
	sigaction(SIGUSR1, &sa, NULL);
	xmm_across_signal(SIGUSR1);
	printf("signal frame holds xmm and mxcsr at the fxsave offsets: %s\n", frame_ok ? "yes" : "no");
	printf("signal frame has the XSAVE software bytes exactly when OSXSAVE is on: %s\n",
	       sw_bytes_ok ? "yes" : "no");
	int back = xmm_out[0] == 0x1111111111111111ull && xmm_out[1] == 0x2222222222222222ull &&
		   memcmp(xmm_out + 2, xmm_in + 2, 240) == 0;
	printf("sigreturn loads the frame's xmm, the rest come back: %s\n", back ? "yes" : "no");
	set_mxcsr(0x1f80);

	/* On an alternate stack of the size the kernel says is enough. */
	unsigned long min = getauxval(AT_MINSIGSTKSZ);
	printf("AT_MINSIGSTKSZ given: %s\n", min > 512 ? "yes" : "no");
	size_t size = min > MINSIGSTKSZ ? min : MINSIGSTKSZ;
	alt_lo = malloc(size);
	alt_hi = alt_lo + size;
	stack_t ss = {.ss_sp = alt_lo, .ss_size = size};
	if (sigaltstack(&ss, NULL) != 0)
		printf("sigaltstack: %s\n", strerror(errno));
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigaction(SIGUSR2, &sa, NULL);
	frame_ok = 0;
	xmm_across_signal(SIGUSR2);
	printf("on an AT_MINSIGSTKSZ alternate stack: frame fits %s, registers %s\n", in_altstack ? "yes" : "no",
	       frame_ok ? "right" : "wrong");
	set_mxcsr(0x1f80);
}

/* The tracee: load the registers and stop itself (raw kill: nothing
   runs between the loads and the stop), then exit. */
static void tracee(void)
{
	ptrace(PTRACE_TRACEME, 0, 0, 0);
	xmm_across_signal(SIGSTOP);
	_exit(0);
}

static void ptrace_checks(void)
{
	pid_t pid = fork();
	if (pid == 0)
		tracee();
	int st;
	waitpid(pid, &st, 0);
	if (!WIFSTOPPED(st)) {
		printf("tracee did not stop\n");
		return;
	}
	struct user_fpregs_struct fpr;
	long r = ptrace(PTRACE_GETFPREGS, pid, 0, &fpr);
	printf("GETFPREGS: %s, mxcsr %s, xmm %s\n", r == 0 ? "ok" : strerror(errno),
	       fpr.mxcsr == MXCSR ? "right" : "wrong", memcmp(fpr.xmm_space, xmm_in, 256) == 0 ? "right" : "wrong");
	unsigned char buf[4096];
	struct iovec iov = {buf, 512};
	r = ptrace(PTRACE_GETREGSET, pid, NT_PRFPREG, &iov);
	printf("GETREGSET NT_PRFPREG: %s, %zu bytes, same as GETFPREGS %s\n", r == 0 ? "ok" : strerror(errno),
	       iov.iov_len, memcmp(buf, &fpr, 512) == 0 ? "yes" : "no");

	iov = (struct iovec){buf, sizeof buf};
	errno = 0;
	r = ptrace(PTRACE_GETREGSET, pid, NT_X86_XSTATE, &iov);
	int get_err = r ? errno : 0;
	int fits;
	if (have_osxsave()) {
		fits = r == 0 && iov.iov_len > 576 && iov.iov_len % 8 == 0;
		errno = 0;
		r = ptrace(PTRACE_SETREGSET, pid, NT_X86_XSTATE, &iov);
		fits = fits && r == 0;
	} else {
		fits = get_err == ENODEV;
		iov = (struct iovec){buf, 512};
		errno = 0;
		r = ptrace(PTRACE_SETREGSET, pid, NT_X86_XSTATE, &iov);
		fits = fits && r == -1 && errno == ENODEV;
	}
	printf("GETREGSET/SETREGSET NT_X86_XSTATE as the CPU has XSAVE: %s\n", fits ? "yes" : "no");
	iov = (struct iovec){buf, 4095};
	errno = 0;
	r = ptrace(PTRACE_GETREGSET, pid, NT_X86_XSTATE, &iov);
	printf("NT_X86_XSTATE with 4095 bytes: %s\n", r == 0 ? "ok" : strerror(errno));
	r = ptrace(PTRACE_GETFPREGS, pid, 0, &fpr);
	printf("GETFPREGS after: %s, xmm %s\n", r == 0 ? "ok" : strerror(errno),
	       memcmp(fpr.xmm_space, xmm_in, 256) == 0 ? "right" : "wrong");
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	printf("tracee killed: %s\n", WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL ? "yes" : "no");
}

int main(int argc, char **argv)
{
	int r = fpu_state_main(argc, argv);
	if (argc > 1)
		return r; /* fpu_state's execve child */
	signal_checks();
	ptrace_checks();
	return r;
}
