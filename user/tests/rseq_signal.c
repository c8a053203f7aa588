/*
 * rseq_signal: a signal delivered inside an rseq critical section aborts
 * the section (musl does not register an area itself, so the test's is
 * the only one).
 * Checks: the section sends itself SIGUSR1 with kill(2); with the signal
 *   blocked the section commits; unblocked, the handler runs with its
 *   frame's rip at abort_ip and the section resumes at the abort handler,
 *   and the kernel has cleared rseq_cs; with no descriptor set the
 *   section is left alone (and the descriptor cleared); a descriptor
 *   with a bad version, or whose abort handler lacks the signature, is
 *   SIGSEGV
 *   when the signal is delivered in the section.
 * Mirrors: rseq_signal_deliver() and rseq_ip_fixup() (kernel/rseq.c),
 *   called from setup_rt_frame() (arch/x86/kernel/signal.c).
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

struct rseq_area {
	uint32_t cpu_id_start;
	uint32_t cpu_id;
	uint64_t rseq_cs;
	uint32_t flags;
	uint32_t node_id;
	uint32_t mm_cid;
} __attribute__((aligned(32)));

struct rseq_cs {
	uint32_t version;
	uint32_t flags;
	uint64_t start_ip;
	uint64_t post_commit_offset;
	uint64_t abort_ip;
} __attribute__((aligned(32)));

#define SIG 0x53053053
static struct rseq_area area;
static struct rseq_cs cs;

/*
 * cs_run(&area.rseq_cs, &cs): arm the descriptor, then in the section
 * send this process SIGUSR1; 0 when the section committed, 1 when it
 * ended at the abort handler.
 */
int cs_run(uint64_t *slot, struct rseq_cs *d);
extern char cs_start[], cs_end[], cs_abort[];
__asm__(".text\n"
	".globl cs_run\n"
	"cs_run:\n"
	"	movq %rsi, (%rdi)\n"
	"cs_start:\n"
	"	movl $39, %eax\n" /* getpid */
	"	syscall\n"
	"	movl %eax, %edi\n"
	"	movl $10, %esi\n" /* SIGUSR1 */
	"	movl $62, %eax\n" /* kill */
	"	syscall\n"
	"	nop\n"
	"cs_end:\n"
	"	xorl %eax, %eax\n"
	"	ret\n"
	"	.long 0x53053053\n"
	"cs_abort:\n"
	"	movl $1, %eax\n"
	"	ret\n");

static volatile int handled;
static volatile uint64_t frame_rip;

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	handled++;
	frame_rip = ((ucontext_t *)uc)->uc_mcontext.gregs[REG_RIP];
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_usr1;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGUSR1, &sa, NULL);
	cs.start_ip = (uint64_t)cs_start;
	cs.post_commit_offset = (uint64_t)(cs_end - cs_start);
	cs.abort_ip = (uint64_t)cs_abort;

	if (syscall(SYS_rseq, &area, 32, 0, SIG) != 0) {
		perror("rseq");
		return 1;
	}

	/* Blocked: delivered only after the section, which commits. A
	   preemption on the way back from kill(2) aborts a section too (on a
	   loaded machine, the native reference's), so up to ten tries: the
	   signal alone never aborts. */
	sigset_t usr1, old;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, &old);
	int r = 1;
	for (int i = 0; i < 10 && r; i++) {
		r = cs_run(&area.rseq_cs, &cs);
		area.rseq_cs = 0;
	}
	printf("blocked: result %d, handled %d\n", r, handled);
	sigprocmask(SIG_SETMASK, &old, NULL);
	printf("after unblocking: handled %d, rip at abort %d\n", handled, frame_rip == (uint64_t)cs_abort);
	area.rseq_cs = 0;

	/* Delivered in the section: aborted. */
	handled = 0;
	r = cs_run(&area.rseq_cs, &cs);
	printf("in section: result %d, handled %d, rip at abort %d, rseq_cs cleared %d\n", r, handled,
	       frame_rip == (uint64_t)cs_abort, area.rseq_cs == 0);

	/* A descriptor for another stretch of code: left alone. */
	static struct rseq_cs elsewhere;
	elsewhere = cs;
	elsewhere.start_ip = (uint64_t)cs_end;
	elsewhere.post_commit_offset = 1;
	handled = 0;
	r = cs_run(&area.rseq_cs, &elsewhere);
	printf("other section: result %d, handled %d, rseq_cs cleared %d\n", r, handled, area.rseq_cs == 0);

	/* Bad descriptors: SIGSEGV when the signal comes. */
	for (int i = 0; i < 3; i++) {
		pid_t c = fork();
		if (c == 0) {
			static struct rseq_cs bad;
			bad = cs;
			if (i == 0)
				bad.version = 1;
			else if (i == 1)
				bad.abort_ip = (uint64_t)cs_end; /* no signature before it */
			else
				bad = elsewhere, bad.abort_ip = (uint64_t)cs_end + 1;
			cs_run(&area.rseq_cs, &bad);
			_exit(3);
		}
		int st;
		waitpid(c, &st, 0);
		printf("bad descriptor %d: signaled %d sig %d\n", i, WIFSIGNALED(st), WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	}
	return 0;
}
