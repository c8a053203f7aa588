/*
 * ptrace_hwbp: hardware breakpoints through the debug registers a tracer
 * writes with PTRACE_POKEUSER: DR0 on a function's first instruction,
 * DR1 on writes to a global, enabled in DR7 (read back as written).
 * The tracee stops with SIGTRAP, si_code TRAP_HWBKPT: before the
 * instruction (rip at the function, si_addr the same, RF set so that it
 * runs on), and after the store; the virtual DR6 names the breakpoint
 * each time. A DR7 of an I/O breakpoint is refused.
 * Mirrors: ptrace(2) PTRACE_POKEUSER ("u_debugreg"), the x86 debug
 *   registers (arch/x86/kernel/ptrace.c ptrace_set_debugreg()).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

__attribute__((noinline)) void marker(void)
{
	__asm__ volatile("nop");
}

static void (*volatile mp)(void) = marker;
static volatile long data;

#define DR(n) (offsetof(struct user, u_debugreg) + (n) * 8)

int main(void)
{
	setvbuf(stdout, 0, _IONBF, 0);
	pid_t p = fork();
	if (p == 0) {
		ptrace(PTRACE_TRACEME, 0, 0, 0);
		raise(SIGSTOP);
		mp();
		data = 5;
		_exit(3);
	}
	int st;
	waitpid(p, &st, 0);
	errno = 0;
	long dr6 = ptrace(PTRACE_PEEKUSER, p, DR(6), 0);
	printf("dr6 before: %#lx %s\n", dr6, en(errno));
	printf("dr0: %ld\n", ptrace(PTRACE_POKEUSER, p, DR(0), marker));
	printf("dr1: %ld\n", ptrace(PTRACE_POKEUSER, p, DR(1), &data));
	errno = 0;
	long r = ptrace(PTRACE_POKEUSER, p, DR(7), 1 | 2 << 16);
	printf("dr7 with an I/O breakpoint: %ld %s\n", r, en(errno));
	/* L0: execute, length 1; L1: write, length 8 (RW=01, LEN=10). */
	long dr7 = 1 | 4 | 1 << 20 | 2 << 22;
	printf("dr7: %ld\n", ptrace(PTRACE_POKEUSER, p, DR(7), dr7));
	printf("dr7 read back: %#lx\n", ptrace(PTRACE_PEEKUSER, p, DR(7), 0));
	for (int i = 0; i < 3; i++) {
		ptrace(PTRACE_CONT, p, 0, 0);
		waitpid(p, &st, 0);
		if (!WIFSTOPPED(st)) {
			printf("exited %d\n", WEXITSTATUS(st));
			break;
		}
		struct user_regs_struct regs;
		ptrace(PTRACE_GETREGS, p, 0, &regs);
		siginfo_t si;
		ptrace(PTRACE_GETSIGINFO, p, 0, &si);
		printf("stop sig=%d at marker=%d code=%d si_addr is rip=%d dr6=%#lx rf=%d\n", WSTOPSIG(st),
		       regs.rip == (unsigned long)marker, si.si_code, si.si_addr == (void *)regs.rip,
		       ptrace(PTRACE_PEEKUSER, p, DR(6), 0), (int)(regs.eflags >> 16) & 1);
	}
	return 0;
}
