/*
 * signal_handlers: user signal handlers as Linux x86_64 runs them.
 * Checks:
 *   a SA_SIGINFO handler gets the signal, a siginfo (kill: SI_USER with
 *     the sender's pid and uid; tkill: SI_TKILL; sigqueue: SI_QUEUE with
 *     its value) and a ucontext whose uc_sigmask is the mask before;
 *     a plain handler gets the signal number;
 *   at handler entry rsp + 8 is 16-byte aligned (as after a call);
 *   the signal is blocked in its handler unless SA_NODEFER (a nested
 *     raise then runs the handler inside itself), sa_mask is added, and
 *     the mask before comes back when the handler returns;
 *   SA_RESETHAND: the disposition is SIG_DFL once the handler runs;
 *   two signals unblocked at once: both handlers run, the higher one
 *     first (its frame is built on top of the lower one's);
 *   general registers, SSE registers, the x87 control word and the
 *     MXCSR rounding mode survive a handler that clobbers them, and the
 *     handler starts with a clean FPU state (round to nearest);
 *   a SIGSEGV handler sees si_code SEGV_MAPERR, si_addr, REG_TRAPNO 14,
 *     REG_ERR with the write bit, REG_CR2, and resumes the program after
 *     the faulting instruction by moving REG_RIP; a register it changes
 *     in uc_mcontext is the program's after the return;
 *   SIGILL (ud2) has ILL_ILLOPN and si_addr at the instruction;
 *   SA_ONSTACK with sigaltstack: the handler runs on the alternate stack,
 *     uc_stack describes it, sigaltstack() in the handler says SS_ONSTACK
 *     and refuses changes (EPERM); without SA_ONSTACK the normal stack;
 *     SS_AUTODISARM disarms it in the handler and sigreturn rearms it;
 *     sigaltstack errors ENOMEM (size < MINSIGSTKSZ) and EINVAL (bad
 *     flags);
 *   a frame that cannot be written (alternate stack not mapped) kills
 *     with SIGSEGV; a handler without SA_RESTORER too (raw rt_sigaction);
 *   rt_sigaction reports only the flags Linux knows and never SIGKILL/
 *     SIGSTOP in a mask; setting SIG_IGN discards a pending signal.
 * Every case runs in a child, so the test process itself (PID 1 under
 * Tine) is never the target.
 * Mirrors: sigaction(2), signal(7), sigaltstack(2), sigreturn(2),
 *   arch/x86/kernel/signal.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fenv.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include "testlib.h"

static const char *yesno(int b) { return b ? "yes" : "no"; }

/* Run `fn` in a child and report how it ended. */
static void run(const char *name, void (*fn)(void))
{
	printf("-- %s\n", name);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		fn();
		fflush(stdout);
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	if (WIFSIGNALED(st))
		printf("   (child killed by signal %d)\n", WTERMSIG(st));
	else if (WEXITSTATUS(st) != 0)
		printf("   (child exited %d)\n", WEXITSTATUS(st));
}

static unsigned long cur_mask(void)
{
	sigset_t s;
	sigprocmask(SIG_BLOCK, NULL, &s);
	unsigned long m = 0;
	for (int i = 1; i < 32; i++)
		if (sigismember(&s, i))
			m |= 1ul << (i - 1);
	return m;
}

static void set_action(int sig, void *fn, int flags, const int *mask_sigs)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	if (flags & SA_SIGINFO)
		sa.sa_sigaction = fn;
	else
		sa.sa_handler = fn;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	for (; mask_sigs && *mask_sigs; mask_sigs++)
		sigaddset(&sa.sa_mask, *mask_sigs);
	if (sigaction(sig, &sa, NULL))
		printf("sigaction(%d) failed: %s\n", sig, strerror(errno));
}

/* ---- siginfo and ucontext ---- */

static volatile int h_sig, h_code, h_pid_ok, h_uid_ok, h_value, h_count;
static volatile unsigned long h_ucmask, h_mask_in;
static volatile int h_ctx_ok;

static void info_handler(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	h_sig = sig;
	h_code = si->si_code;
	h_pid_ok = si->si_pid == getpid();
	h_uid_ok = si->si_uid == getuid();
	h_value = si->si_value.sival_int;
	h_ucmask = 0;
	for (int i = 1; i < 32; i++)
		if (sigismember(&uc->uc_sigmask, i))
			h_ucmask |= 1ul << (i - 1);
	h_mask_in = cur_mask();
	h_ctx_ok = uc != NULL && (void *)si != NULL && uc->uc_link == NULL;
	h_count++;
}

static void case_siginfo(void)
{
	set_action(SIGUSR1, info_handler, SA_SIGINFO, NULL);
	kill(getpid(), SIGUSR1);
	printf("kill: sig %d, si_code %d (SI_USER 0), si_pid is mine: %s, si_uid is mine: %s, context: %s\n",
	       h_sig, h_code, yesno(h_pid_ok), yesno(h_uid_ok), yesno(h_ctx_ok));
	syscall(SYS_tkill, gettid(), SIGUSR1);
	printf("tkill: si_code %d (SI_TKILL -6), si_pid is mine: %s\n", h_code, yesno(h_pid_ok));
	union sigval v = {.sival_int = 42};
	sigqueue(getpid(), SIGUSR1, v);
	printf("sigqueue: si_code %d (SI_QUEUE -1), si_value %d, si_pid is mine: %s\n", h_code, h_value, yesno(h_pid_ok));
	/* uc_sigmask is the mask before the handler. */
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR2);
	sigprocmask(SIG_BLOCK, &s, NULL);
	kill(getpid(), SIGUSR1);
	printf("uc_sigmask: %#lx (SIGUSR2 %#lx); in the handler %#lx; after %#lx\n", h_ucmask, 1ul << (SIGUSR2 - 1),
	       h_mask_in, cur_mask());
	printf("handler runs: %d\n", h_count);
}

static volatile int plain_sig;
static void plain_handler(int sig) { plain_sig = sig; }

static void case_plain(void)
{
	set_action(SIGTERM, plain_handler, 0, NULL);
	kill(getpid(), SIGTERM);
	printf("plain handler got %d (SIGTERM %d)\n", plain_sig, SIGTERM);
}

/* ---- stack alignment at entry ---- */

unsigned long entry_rsp;
void align_c_handler(int sig) { (void)sig; }
__asm__(".text\n"
	".globl align_entry\n"
	"align_entry:\n"
	"	movq %rsp, entry_rsp(%rip)\n"
	"	jmp align_c_handler\n");
void align_entry(int);

static void case_alignment(void)
{
	set_action(SIGUSR1, align_entry, 0, NULL);
	raise(SIGUSR1);
	printf("raise: at handler entry (rsp + 8) %% 16 == 0: %s\n", yesno((entry_rsp + 8) % 16 == 0));
	kill(getpid(), SIGUSR1);
	printf("kill: %s\n", yesno((entry_rsp + 8) % 16 == 0));
}

/* ---- masks: sa_mask, SA_NODEFER, nesting, SA_RESETHAND ---- */

static volatile int depth, max_depth, nest_runs;
static volatile unsigned long mask_in_handler;

static void nest_handler(int sig)
{
	depth++;
	nest_runs++;
	if (depth > max_depth)
		max_depth = depth;
	if (nest_runs == 1) {
		mask_in_handler = cur_mask();
		raise(sig);
	}
	depth--;
}

static void case_masks(void)
{
	int usr2[] = {SIGUSR2, 0};
	set_action(SIGUSR1, nest_handler, 0, usr2);
	raise(SIGUSR1);
	printf("default: in the handler USR1 blocked %s, USR2 (sa_mask) blocked %s; nested raise deferred: runs %d, max depth %d; mask after %#lx\n",
	       yesno(mask_in_handler & (1ul << (SIGUSR1 - 1))), yesno(mask_in_handler & (1ul << (SIGUSR2 - 1))), nest_runs, max_depth,
	       cur_mask());
	nest_runs = max_depth = 0;
	set_action(SIGUSR1, nest_handler, SA_NODEFER, NULL);
	raise(SIGUSR1);
	printf("SA_NODEFER: USR1 blocked in the handler %s; runs %d, max depth %d\n",
	       yesno(mask_in_handler & (1ul << (SIGUSR1 - 1))), nest_runs, max_depth);
	nest_runs = 0;
	set_action(SIGUSR1, nest_handler, SA_RESETHAND, NULL);
	/* The nested raise meets SIG_DFL: blocked until the handler returns,
	   then it terminates the process. */
	raise(SIGUSR1);
	printf("not reached after SA_RESETHAND\n");
}

static void case_resethand_query(void)
{
	set_action(SIGUSR2, plain_handler, SA_RESETHAND, NULL);
	raise(SIGUSR2);
	struct sigaction o;
	sigaction(SIGUSR2, NULL, &o);
	printf("SA_RESETHAND: handler ran %s, disposition now SIG_DFL %s\n", yesno(plain_sig == SIGUSR2), yesno(o.sa_handler == SIG_DFL));
}

static char order[8];
static volatile int norder;
static void order_handler(int sig) { order[norder++] = sig == SIGUSR1 ? '1' : '2'; }

static void case_order(void)
{
	set_action(SIGUSR1, order_handler, 0, NULL);
	set_action(SIGUSR2, order_handler, 0, NULL);
	sigset_t s, old;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	sigaddset(&s, SIGUSR2);
	sigprocmask(SIG_BLOCK, &s, &old);
	kill(getpid(), SIGUSR2);
	kill(getpid(), SIGUSR1);
	sigprocmask(SIG_SETMASK, &old, NULL);
	printf("both pending, then unblocked: handlers ran in order %.*s\n", norder, order);
}

/* ---- registers and FPU across a handler ---- */

struct regs_block {
	unsigned long gp[7]; /* r8 r9 r10 r12 r13 r14 r15 */
	unsigned long gp_out[7];
	double x[8];
	double x_out[8];
	unsigned long rbx_in, rbx_out;
};

static volatile int fpu_clean_in_handler;
static volatile double sink;

static void clobber_handler(int sig)
{
	(void)sig;
	fpu_clean_in_handler = fegetround() == FE_TONEAREST;
	unsigned short cw;
	__asm__ volatile("fnstcw %0" : "=m"(cw));
	fpu_clean_in_handler &= (cw & 0x0c00) == 0; /* x87 rounding: nearest */
	double a = 1.0;
	for (int i = 0; i < 100; i++)
		a = a * 1.0000001 + 0.5 / (i + 1);
	sink = a;
	__asm__ volatile("xorpd %%xmm0, %%xmm0; xorpd %%xmm1, %%xmm1; xorpd %%xmm2, %%xmm2; xorpd %%xmm3, %%xmm3;"
			 "xorpd %%xmm4, %%xmm4; xorpd %%xmm5, %%xmm5; xorpd %%xmm6, %%xmm6; xorpd %%xmm7, %%xmm7;"
			 "xorpd %%xmm8, %%xmm8; xorpd %%xmm15, %%xmm15;"
			 "movq $-1, %%r8; movq $-1, %%r9; movq $-1, %%r10; movq $-1, %%r12; movq $-1, %%r13;"
			 "movq $-1, %%r14; movq $-1, %%r15; movq $-1, %%rbx"
			 ::: "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm15", "r8", "r9", "r10",
			 "r12", "r13", "r14", "r15", "rbx", "memory");
	fesetround(FE_TOWARDZERO);
}

static void case_registers(void)
{
	set_action(SIGUSR1, clobber_handler, 0, NULL);
	static struct regs_block b;
	for (int i = 0; i < 7; i++)
		b.gp[i] = 0x1111111111111111ul * (i + 1);
	for (int i = 0; i < 8; i++)
		b.x[i] = 1.5 + i * 0.25;
	b.rbx_in = 0xfeedfacecafebeeful;
	fesetround(FE_UPWARD);
	unsigned short cw_before, cw_after;
	__asm__ volatile("fnstcw %0" : "=m"(cw_before));
	unsigned short cw_new = (cw_before & ~0x0c00) | 0x0800; /* x87 round up */
	__asm__ volatile("fldcw %0" ::"m"(cw_new));
	long pid = getpid();
	long ret;
	/* kill(getpid(), SIGUSR1) by hand: the signal is delivered on the
	   way out of this very syscall instruction. */
	__asm__ volatile("movq 0(%[b]), %%r8\n\t"
			 "movq 8(%[b]), %%r9\n\t"
			 "movq 16(%[b]), %%r10\n\t"
			 "movq 24(%[b]), %%r12\n\t"
			 "movq 32(%[b]), %%r13\n\t"
			 "movq 40(%[b]), %%r14\n\t"
			 "movq 48(%[b]), %%r15\n\t"
			 "movsd 112(%[b]), %%xmm0\n\t"
			 "movsd 120(%[b]), %%xmm1\n\t"
			 "movsd 128(%[b]), %%xmm2\n\t"
			 "movsd 136(%[b]), %%xmm3\n\t"
			 "movsd 144(%[b]), %%xmm4\n\t"
			 "movsd 152(%[b]), %%xmm5\n\t"
			 "movsd 160(%[b]), %%xmm8\n\t"
			 "movsd 168(%[b]), %%xmm15\n\t"
			 "pushq %%rbx\n\t"
			 "movq 240(%[b]), %%rbx\n\t"
			 "pushq %[b]\n\t"
			 "syscall\n\t"
			 "popq %[b]\n\t"
			 "movq %%rbx, 248(%[b])\n\t"
			 "popq %%rbx\n\t"
			 "movq %%r8, 56(%[b])\n\t"
			 "movq %%r9, 64(%[b])\n\t"
			 "movq %%r10, 72(%[b])\n\t"
			 "movq %%r12, 80(%[b])\n\t"
			 "movq %%r13, 88(%[b])\n\t"
			 "movq %%r14, 96(%[b])\n\t"
			 "movq %%r15, 104(%[b])\n\t"
			 "movsd %%xmm0, 176(%[b])\n\t"
			 "movsd %%xmm1, 184(%[b])\n\t"
			 "movsd %%xmm2, 192(%[b])\n\t"
			 "movsd %%xmm3, 200(%[b])\n\t"
			 "movsd %%xmm4, 208(%[b])\n\t"
			 "movsd %%xmm5, 216(%[b])\n\t"
			 "movsd %%xmm8, 224(%[b])\n\t"
			 "movsd %%xmm15, 232(%[b])\n\t"
			 : "=a"(ret)
			 : [b] "d"(&b), "a"((long)SYS_kill), "D"(pid), "S"((long)SIGUSR1)
			 : "rcx", "r11", "r8", "r9", "r10", "r12", "r13", "r14", "r15", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4",
			   "xmm5", "xmm8", "xmm15", "memory");
	__asm__ volatile("fnstcw %0" : "=m"(cw_after));
	int round_ok = fegetround() == FE_UPWARD;
	fesetround(FE_TONEAREST);
	__asm__ volatile("fldcw %0" ::"m"(cw_before));
	int gp_ok = 1, x_ok = 1;
	for (int i = 0; i < 7; i++)
		gp_ok &= b.gp_out[i] == b.gp[i];
	double want[8] = {b.x[0], b.x[1], b.x[2], b.x[3], b.x[4], b.x[5], b.x[6], b.x[7]};
	for (int i = 0; i < 8; i++)
		x_ok &= b.x_out[i] == want[i];
	printf("kill returned %ld; handler started with a clean FPU: %s\n", ret, yesno(fpu_clean_in_handler));
	printf("after the handler: r8-r10, r12-r15 kept %s, rbx kept %s, xmm0-5/8/15 kept %s, MXCSR rounding kept %s, x87 control word kept %s\n",
	       yesno(gp_ok), yesno(b.rbx_out == b.rbx_in), yesno(x_ok), yesno(round_ok), yesno(cw_after == cw_new));

	/* A double computation with a handler in the middle of it. */
	volatile double acc = 0;
	for (int i = 1; i <= 1000; i++) {
		acc += 1.0 / ((double)i * i);
		if (i == 500)
			raise(SIGUSR1);
	}
	printf("sum 1/i^2 for i <= 1000 across a handler: %.15f\n", acc);
}

/* ---- SIGSEGV and SIGILL handlers editing the context ---- */

static volatile int segv_code, segv_addr_ok, segv_trapno, segv_err_write, segv_cr2_ok;

static void segv_handler(int sig, siginfo_t *si, void *ctx)
{
	(void)sig;
	ucontext_t *uc = ctx;
	segv_code = si->si_code;
	segv_addr_ok = si->si_addr == (void *)0x10;
	segv_trapno = uc->uc_mcontext.gregs[REG_TRAPNO];
	segv_err_write = (uc->uc_mcontext.gregs[REG_ERR] & 2) != 0;
	segv_cr2_ok = uc->uc_mcontext.gregs[REG_CR2] == 0x10;
	/* movl $1, (%rax) is 6 bytes: go on after it, with rbx changed. */
	uc->uc_mcontext.gregs[REG_RIP] += 6;
	uc->uc_mcontext.gregs[REG_RBX] = 77;
}

static volatile int ill_code, ill_addr_ok;

static void ill_handler(int sig, siginfo_t *si, void *ctx)
{
	(void)sig;
	ucontext_t *uc = ctx;
	ill_code = si->si_code;
	ill_addr_ok = si->si_addr == (void *)uc->uc_mcontext.gregs[REG_RIP];
	uc->uc_mcontext.gregs[REG_RIP] += 2; /* ud2 */
}

static void case_faults(void)
{
	set_action(SIGSEGV, segv_handler, SA_SIGINFO, NULL);
	long rbx = 5;
	__asm__ volatile("movq $0x10, %%rax\n\t"
			 ".byte 0xc7, 0x00, 0x01, 0x00, 0x00, 0x00\n\t" /* movl $1, (%rax) */
			 : "+b"(rbx)
			 :
			 : "rax", "memory");
	printf("SIGSEGV: si_code %d (SEGV_MAPERR 1), si_addr 0x10 %s, trapno %d, write fault %s, cr2 %s; resumed with rbx %ld\n",
	       segv_code, yesno(segv_addr_ok), segv_trapno, yesno(segv_err_write), yesno(segv_cr2_ok), rbx);
	set_action(SIGILL, ill_handler, SA_SIGINFO, NULL);
	__asm__ volatile("ud2");
	printf("SIGILL: si_code %d (ILL_ILLOPN 2), si_addr at the instruction %s; resumed\n", ill_code, yesno(ill_addr_ok));
}

/* ---- sigaltstack ---- */

static char *alt;
#define ALT_SIZE 65536
static volatile int on_alt, uc_stack_ok, ss_onstack, eperm_on_stack, alt_flags_in, alt_change;

static void alt_handler(int sig, siginfo_t *si, void *ctx)
{
	(void)sig;
	(void)si;
	ucontext_t *uc = ctx;
	char here;
	on_alt = &here >= alt && &here < alt + ALT_SIZE;
	uc_stack_ok = uc->uc_stack.ss_sp == alt && uc->uc_stack.ss_size == ALT_SIZE;
	stack_t o;
	syscall(SYS_sigaltstack, NULL, &o);
	ss_onstack = o.ss_flags;
	alt_flags_in = uc->uc_stack.ss_flags;
	stack_t n = {.ss_sp = alt, .ss_size = ALT_SIZE, .ss_flags = 0};
	errno = 0;
	if (alt_change) {
		long r = syscall(SYS_sigaltstack, &n, NULL);
		eperm_on_stack = r == -1 ? errno : 0;
	}
}

static long raw_sigaltstack(void *sp, int flags, size_t size, stack_t *old)
{
	stack_t n = {.ss_sp = sp, .ss_flags = flags, .ss_size = size};
	errno = 0;
	return syscall(SYS_sigaltstack, &n, old);
}

static void case_altstack(void)
{
	alt = mmap(NULL, ALT_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	stack_t o;
	syscall(SYS_sigaltstack, NULL, &o);
	printf("initially: ss_flags %d (SS_DISABLE 2), ss_size %zu\n", o.ss_flags, o.ss_size);
	printf("size 2047: %s\n", en(raw_sigaltstack(alt, 0, 2047, NULL) ? errno : 0));
	printf("flags 4: %s\n", en(raw_sigaltstack(alt, 4, ALT_SIZE, NULL) ? errno : 0));
	printf("flags SS_ONSTACK|SS_DISABLE: %s\n", en(raw_sigaltstack(alt, 3, ALT_SIZE, NULL) ? errno : 0));
	printf("size 2048: %s\n", en(raw_sigaltstack(alt, 0, 2048, NULL) ? errno : 0));
	printf("set: %s\n", en(raw_sigaltstack(alt, 0, ALT_SIZE, &o) ? errno : 0));
	printf("old: ss_flags %d, ss_size %zu\n", o.ss_flags, o.ss_size);

	set_action(SIGUSR1, alt_handler, SA_SIGINFO, NULL);
	alt_change = 1;
	raise(SIGUSR1);
	printf("without SA_ONSTACK: on the alternate stack %s\n", yesno(on_alt));
	set_action(SIGUSR1, alt_handler, SA_SIGINFO | SA_ONSTACK, NULL);
	raise(SIGUSR1);
	printf("SA_ONSTACK: on the alternate stack %s, uc_stack describes it %s (ss_flags %d), sigaltstack says %d (SS_ONSTACK 1), changing it: %s\n",
	       yesno(on_alt), yesno(uc_stack_ok), alt_flags_in, ss_onstack, en(eperm_on_stack));
	syscall(SYS_sigaltstack, NULL, &o);
	printf("after: ss_flags %d\n", o.ss_flags);

	raw_sigaltstack(alt, SS_AUTODISARM, ALT_SIZE, NULL);
	alt_change = 0;
	raise(SIGUSR1);
	printf("SS_AUTODISARM: on the alternate stack %s, uc_stack ss_flags %#x, in the handler sigaltstack says %#x\n",
	       yesno(on_alt), alt_flags_in, ss_onstack);
	syscall(SYS_sigaltstack, NULL, &o);
	printf("after: ss_flags %#x, ss_size %zu (rearmed by sigreturn)\n", o.ss_flags, o.ss_size);
	/* Disarmed, the handler may install a stack even where it runs; the
	   sigreturn that follows cannot take it back from under itself. */
	alt_change = 1;
	raise(SIGUSR1);
	syscall(SYS_sigaltstack, NULL, &o);
	printf("handler reinstalled it without SS_AUTODISARM: %s; after: ss_flags %#x\n", en(eperm_on_stack), o.ss_flags);
	printf("disable: %s\n", en(raw_sigaltstack(NULL, SS_DISABLE, 0, NULL) ? errno : 0));
	syscall(SYS_sigaltstack, NULL, &o);
	printf("now: ss_flags %#x, ss_size %zu\n", o.ss_flags, o.ss_size);
}

static void case_bad_altstack(void)
{
	char *p = mmap(NULL, ALT_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	raw_sigaltstack(p, 0, ALT_SIZE, NULL);
	set_action(SIGUSR1, alt_handler, SA_SIGINFO | SA_ONSTACK, NULL);
	printf("frame on an inaccessible alternate stack: expect SIGSEGV\n");
	fflush(stdout);
	raise(SIGUSR1);
	printf("survived?!\n");
}

struct ksigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	unsigned long mask;
};

static void case_no_restorer(void)
{
	struct ksigaction ka = {plain_handler, 0, NULL, 0};
	long r = syscall(SYS_rt_sigaction, SIGUSR1, &ka, NULL, 8);
	printf("rt_sigaction without SA_RESTORER: %ld; a signal now: expect SIGSEGV\n", r);
	fflush(stdout);
	kill(getpid(), SIGUSR1);
	printf("survived?!\n");
}

static void case_sigaction_abi(void)
{
	struct ksigaction ka = {plain_handler, ~0ul, (void *)0x1234, ~0ul}, ko;
	syscall(SYS_rt_sigaction, SIGUSR1, &ka, NULL, 8);
	syscall(SYS_rt_sigaction, SIGUSR1, NULL, &ko, 8);
	printf("flags read back %#lx, mask has SIGKILL %s, SIGSTOP %s\n", ko.flags, yesno(ko.mask & (1ul << (SIGKILL - 1))),
	       yesno(ko.mask & (1ul << (SIGSTOP - 1))));
	errno = 0;
	printf("rt_sigaction(SIGKILL): %s, sigsetsize 4: %s\n", en(syscall(SYS_rt_sigaction, SIGKILL, &ka, NULL, 8) ? errno : 0),
	       en(syscall(SYS_rt_sigaction, SIGUSR1, NULL, &ko, 4) ? errno : 0));
	/* A pending signal is discarded when its action becomes SIG_IGN. */
	sigset_t s, p;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR2);
	sigaddset(&s, SIGCHLD);
	sigprocmask(SIG_BLOCK, &s, NULL);
	kill(getpid(), SIGUSR2);
	kill(getpid(), SIGCHLD);
	sigpending(&p);
	printf("pending USR2 %s, CHLD %s\n", yesno(sigismember(&p, SIGUSR2)), yesno(sigismember(&p, SIGCHLD)));
	signal(SIGUSR2, SIG_IGN);
	signal(SIGCHLD, SIG_DFL);
	sigpending(&p);
	printf("after SIG_IGN / SIG_DFL (ignored by default): pending USR2 %s, CHLD %s\n", yesno(sigismember(&p, SIGUSR2)),
	       yesno(sigismember(&p, SIGCHLD)));
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	run("siginfo and ucontext", case_siginfo);
	run("plain handler", case_plain);
	run("stack alignment", case_alignment);
	run("masks", case_masks);
	run("SA_RESETHAND", case_resethand_query);
	run("order of two pending signals", case_order);
	run("registers and FPU", case_registers);
	run("faults", case_faults);
	run("sigaltstack", case_altstack);
	run("unwritable frame", case_bad_altstack);
	run("no SA_RESTORER", case_no_restorer);
	run("rt_sigaction ABI", case_sigaction_abi);
	return 0;
}
