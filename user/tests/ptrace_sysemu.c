/*
 * ptrace_sysemu: a tracer changing which system call runs.
 *   At getpid's syscall-entry stop it writes getppid's number into
 *     orig_rax: the tracee gets its parent's id;
 *   at a kill's entry it sets orig_rax to -1 and rax to 77: the call is
 *     skipped, its exit stop shows 77 and so does the tracee;
 *   PTRACE_SYSEMU stops at exit_group's entry and does not run it: the
 *     tracer writes the result, and the tracee goes on with it.
 * Mirrors: ptrace(2) "Syscall-enter-stop ... the tracer can change the
 *   system call number", PTRACE_SYSEMU.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

#define OFF(r) offsetof(struct user_regs_struct, r)

static void stop(pid_t pid, int *st)
{
	waitpid(pid, st, 0);
	if (!WIFSTOPPED(*st)) {
		printf("not stopped: %#x\n", *st);
		exit(1);
	}
}

int main(void)
{
	setvbuf(stdout, 0, _IONBF, 0);
	pid_t pid = fork();
	if (pid == 0) {
		ptrace(PTRACE_TRACEME, 0, 0, 0);
		raise(SIGSTOP);
		long a = syscall(SYS_getpid);
		long b = syscall(SYS_kill, -12345, SIGKILL);
		syscall(SYS_getppid);
		long c = syscall(SYS_exit_group, 99);
		exit((a == getppid()) | (b == 77) << 1 | (c == 1234) << 2);
	}
	int st;
	stop(pid, &st);
	ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_TRACESYSGOOD);
	/* Syscall stops (raise's own calls first) until kill's exit stop. */
	int entry = 0, done = 0;
	while (!done) {
		ptrace(PTRACE_SYSCALL, pid, 0, 0);
		stop(pid, &st);
		entry = !entry;
		long nr = ptrace(PTRACE_PEEKUSER, pid, OFF(orig_rax), 0);
		long rax = ptrace(PTRACE_PEEKUSER, pid, OFF(rax), 0);
		const char *name = nr == SYS_getpid ? "getpid" : nr == SYS_getppid ? "getppid" : nr == SYS_kill ? "kill" : nr == -1 ? "-1" : 0;
		if (!name)
			continue;
		printf("%s stop: sig=%#x nr=%s rax=%ld\n", entry ? "entry" : "exit", WSTOPSIG(st), name,
		       rax == getpid() ? 0 : rax);
		if (entry && nr == SYS_getpid)
			printf("  poke orig_rax: %ld\n", ptrace(PTRACE_POKEUSER, pid, OFF(orig_rax), SYS_getppid));
		if (entry && nr == SYS_kill) {
			struct user_regs_struct r;
			ptrace(PTRACE_GETREGS, pid, 0, &r);
			r.orig_rax = -1;
			r.rax = 77;
			printf("  setregs: %ld\n", ptrace(PTRACE_SETREGS, pid, 0, &r));
		}
		done = !entry && nr == -1;
	}
	/* Single-stepping over getppid's syscall instruction: the SIGTRAP
	 * comes as the call returns, before any other instruction. */
	ptrace(PTRACE_SYSCALL, pid, 0, 0);
	stop(pid, &st);
	struct user_regs_struct r;
	ptrace(PTRACE_GETREGS, pid, 0, &r);
	unsigned long at = r.rip;
	printf("entry stop: getppid=%d\n", r.orig_rax == SYS_getppid);
	ptrace(PTRACE_SINGLESTEP, pid, 0, 0);
	stop(pid, &st);
	ptrace(PTRACE_GETREGS, pid, 0, &r);
	siginfo_t si;
	ptrace(PTRACE_GETSIGINFO, pid, 0, &si);
	printf("stepped over the call: sig=%d code=%d rip unchanged=%d rax is us=%d\n", WSTOPSIG(st), si.si_code,
	       r.rip == at, (long)r.rax == getpid());
	ptrace(PTRACE_SYSEMU, pid, 0, 0);
	/* This one through waitid: CLD_TRAPPED with the whole stop code. */
	siginfo_t wi;
	waitid(P_PID, pid, &wi, WEXITED);
	printf("waitid: code=%d status=%#x pid ok=%d\n", wi.si_code, wi.si_status, wi.si_pid == pid);
	long nr = ptrace(PTRACE_PEEKUSER, pid, OFF(orig_rax), 0);
	printf("sysemu stop: exit_group=%d status arg=%ld\n", nr == SYS_exit_group,
	       ptrace(PTRACE_PEEKUSER, pid, OFF(rdi), 0));
	ptrace(PTRACE_POKEUSER, pid, OFF(rax), 1234);
	ptrace(PTRACE_CONT, pid, 0, 0);
	waitpid(pid, &st, 0);
	printf("tracee: exited=%d status=%d\n", WIFEXITED(st), WEXITSTATUS(st));
	return 0;
}
