/*
 * ptrace_arch_prctl: PTRACE_ARCH_PRCTL, arch_prctl(2) on a stopped
 * tracee (ptrace(PTRACE_ARCH_PRCTL, pid, addr, code)).
 * Checks: ARCH_GET_FS gives the tracee's FS base (a forked child's is
 *   its parent's) and agrees with PEEKUSER's fs_base; ARCH_GET_GS is 0;
 *   ARCH_SET_GS sets the tracee's GS base, which it reads back itself
 *   once continued and GETREGS shows; ARCH_SET_FS with the value it has
 *   works; EPERM for a base beyond user space; EINVAL for an unknown
 *   code; EFAULT when the tracer's address is bad; ESRCH while the
 *   tracee runs.
 * Mirrors: arch_prctl(2), ptrace(2); Linux's arch_ptrace() →
 *   do_arch_prctl_64() in arch/x86/kernel.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004
#ifndef PTRACE_ARCH_PRCTL
#define PTRACE_ARCH_PRCTL 30
#endif

#define NEW_GS 0x12345000UL

static unsigned long my_base(int code)
{
	unsigned long v = 0;
	syscall(SYS_arch_prctl, code, &v);
	return v;
}

static long req(pid_t pid, unsigned long addr, int code)
{
	long r = ptrace(PTRACE_ARCH_PRCTL, pid, addr, code);
	return r < 0 ? -errno : r;
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	pid_t c = fork();
	if (c == 0) {
		ptrace(PTRACE_TRACEME, 0, 0, 0);
		raise(SIGSTOP);
		/* Continued: the GS base the tracer set. */
		_exit(my_base(ARCH_GET_GS) == NEW_GS ? 7 : 8);
	}
	int st;
	waitpid(c, &st, 0);
	printf("stopped: %d\n", WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP);
	unsigned long fs = 0, gs = 1;
	printf("ARCH_GET_FS = %ld\n", req(c, (unsigned long)&fs, ARCH_GET_FS));
	printf("the child's FS base is ours: %d\n", fs == my_base(ARCH_GET_FS));
	long peek = ptrace(PTRACE_PEEKUSER, c, offsetof(struct user_regs_struct, fs_base), 0);
	printf("PEEKUSER fs_base agrees: %d\n", (unsigned long)peek == fs);
	long r = req(c, (unsigned long)&gs, ARCH_GET_GS);
	printf("ARCH_GET_GS = %ld, gs %#lx\n", r, gs);
	printf("ARCH_SET_GS = %ld\n", req(c, NEW_GS, ARCH_SET_GS));
	r = req(c, (unsigned long)&gs, ARCH_GET_GS);
	printf("ARCH_GET_GS = %ld, gs %#lx\n", r, gs);
	struct user_regs_struct regs;
	ptrace(PTRACE_GETREGS, c, 0, &regs);
	printf("GETREGS gs_base %#lx\n", (unsigned long)regs.gs_base);
	printf("ARCH_SET_FS (same) = %ld\n", req(c, fs, ARCH_SET_FS));
	printf("ARCH_SET_FS 1<<47 = %ld\n", req(c, 1UL << 47, ARCH_SET_FS));
	printf("ARCH_SET_GS -4096 = %ld\n", req(c, -4096UL, ARCH_SET_GS));
	printf("code 0x1fff = %ld\n", req(c, (unsigned long)&gs, 0x1fff));
	printf("ARCH_GET_FS to NULL = %ld\n", req(c, 0, ARCH_GET_FS));
	printf("ARCH_GET_FS to -1 = %ld\n", req(c, -1UL, ARCH_GET_FS));
	ptrace(PTRACE_CONT, c, 0, 0);
	waitpid(c, &st, 0);
	printf("child exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st));
	printf("ESRCH once gone: %ld\n", req(c, (unsigned long)&gs, ARCH_GET_GS));
	return 0;
}
