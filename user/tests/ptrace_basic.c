/*
 * ptrace_basic: the classic tracer of its own child.
 * The child asks to be traced (PTRACE_TRACEME) and execs this binary
 * again ("tracee"); the parent, its tracer:
 *   sees the exec as a plain SIGTRAP stop (no PTRACE_O_TRACEEXEC), with
 *     its siginfo (SI_USER from the tracee), orig_rax = execve, and the
 *     tracee shown as "t (tracing stop)" with TracerPid = the tracer;
 *   reads and changes a global with PEEKDATA/POKEDATA, gets EIO for an
 *     unmapped address;
 *   with PTRACE_O_TRACESYSGOOD and PTRACE_SYSCALL sees getppid's entry
 *     and exit stops (status 0x80|SIGTRAP), reads orig_rax and rax with
 *     GETREGS and PEEKUSER, asks PTRACE_GET_SYSCALL_INFO at each, and
 *     changes the result at the exit stop with POKEUSER;
 *   at signal-delivery stops, suppresses SIGUSR1 and turns SIGUSR2 into
 *     SIGUSR1 (whose handler then sees SI_USER from the tracer);
 *   gets ESRCH for a request on a tracee that is not stopped;
 *   and the tracee's exit status, which encodes what it saw itself (the
 *   changed getppid result, the poked global, which handlers ran, EPERM
 *   for a second PTRACE_TRACEME).
 * Mirrors: ptrace(2) (PTRACE_TRACEME, "Syscall-stops", "Signal-delivery-
 *   stop", PTRACE_GET_SYSCALL_INFO, PEEKUSER/POKEUSER, execve(2) under
 *   ptrace), proc(5) TracerPid and state t.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

static volatile long value = 1111;
static volatile int got_usr1, got_usr2, usr1_from_parent;

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	got_usr1++;
	usr1_from_parent = si->si_code == SI_USER && si->si_pid == getppid();
}

static void on_usr2(int sig)
{
	(void)sig;
	got_usr2++;
}

static int tracee(void)
{
	struct sigaction sa = { 0 };
	sa.sa_sigaction = on_usr1;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGUSR1, &sa, 0);
	signal(SIGUSR2, on_usr2);
	int again = ptrace(PTRACE_TRACEME, 0, 0, 0) == -1 ? errno : 0;
	long r = syscall(SYS_getppid);
	long v = value;
	kill(getpid(), SIGUSR1);
	raise(SIGUSR2);
	return (r == 4242) | (v == 2222) << 1 | (got_usr1 == 1) << 2 | (got_usr2 == 0) << 3 |
	       usr1_from_parent << 4 | (again == EPERM) << 5;
}

static void show_status(const char *what, int st)
{
	if (WIFSTOPPED(st))
		printf("%s: stopped sig=%d event=%d sysgood=%d\n", what, WSTOPSIG(st) & 0x7f, st >> 16,
		       (WSTOPSIG(st) & 0x80) != 0);
	else if (WIFEXITED(st))
		printf("%s: exited %d\n", what, WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		printf("%s: killed by %d\n", what, WTERMSIG(st));
}

static void proc_line(pid_t pid, const char *file, const char *key, pid_t self)
{
	char path[64], buf[4096];
	snprintf(path, sizeof path, "/proc/%d/%s", pid, file);
	int fd = open(path, O_RDONLY);
	int n = read(fd, buf, sizeof buf - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	if (!key) {
		char *p = strrchr(buf, ')');
		printf("stat state: %c\n", p ? p[2] : '?');
		return;
	}
	char *p = strstr(buf, key);
	if (p)
		printf("%s is the tracer: %d\n", key, atoi(p + strlen(key)) == self);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "tracee"))
		return tracee();
	setvbuf(stdout, 0, _IONBF, 0);
	pid_t pid = fork();
	if (pid == 0) {
		ptrace(PTRACE_TRACEME, 0, 0, 0);
		execl("/proc/self/exe", argv[0], "tracee", (char *)0);
		_exit(99);
	}
	int st;
	waitpid(pid, &st, 0);
	show_status("exec", st);
	siginfo_t si;
	ptrace(PTRACE_GETSIGINFO, pid, 0, &si);
	printf("exec siginfo: signo=%d code=%d from_tracee=%d\n", si.si_signo, si.si_code, si.si_pid == pid);
	printf("exec orig_rax=%ld rax=%ld\n", ptrace(PTRACE_PEEKUSER, pid, offsetof(struct user_regs_struct, orig_rax), 0),
	       ptrace(PTRACE_PEEKUSER, pid, offsetof(struct user_regs_struct, rax), 0));
	proc_line(pid, "status", "TracerPid:", getpid());
	proc_line(pid, "stat", 0, 0);

	errno = 0;
	long v = ptrace(PTRACE_PEEKDATA, pid, &value, 0);
	printf("peek value=%ld errno=%s\n", v, en(errno));
	printf("poke: %ld\n", ptrace(PTRACE_POKEDATA, pid, &value, (void *)2222L));
	errno = 0;
	v = ptrace(PTRACE_PEEKDATA, pid, (void *)8, 0);
	printf("peek at 8: %ld errno=%s\n", v, en(errno));
	errno = 0;
	v = ptrace(PTRACE_PEEKUSER, pid, (void *)3, 0);
	printf("peekuser unaligned: %ld errno=%s\n", v, en(errno));
	printf("setoptions: %ld\n", ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_TRACESYSGOOD));

	/* Syscall stops until getppid has been through both. */
	int in = 0, done = 0;
	while (!done) {
		ptrace(PTRACE_SYSCALL, pid, 0, 0);
		waitpid(pid, &st, 0);
		if (!WIFSTOPPED(st) || WSTOPSIG(st) != (SIGTRAP | 0x80)) {
			show_status("unexpected", st);
			return 1;
		}
		in = !in;
		struct user_regs_struct r;
		ptrace(PTRACE_GETREGS, pid, 0, &r);
		if (r.orig_rax != SYS_getppid)
			continue;
		struct __ptrace_syscall_info info;
		memset(&info, 0, sizeof info);
		long sz = ptrace(PTRACE_GET_SYSCALL_INFO, pid, sizeof info, &info);
		unsigned long msg;
		ptrace(PTRACE_GETEVENTMSG, pid, 0, &msg);
		show_status(in ? "getppid entry" : "getppid exit", st);
		printf("  eventmsg=%lu info size=%ld op=%d arch_ok=%d ip_ok=%d sp_ok=%d\n", msg, sz, info.op,
		       info.arch == 0xc000003e, info.instruction_pointer == r.rip, info.stack_pointer == r.rsp);
		if (in) {
			printf("  entry: nr=%llu rax=%lld info.nr=%llu\n", r.orig_rax, (long long)r.rax,
			       (unsigned long long)info.entry.nr);
		} else {
			printf("  exit: rax is the tracer=%d rval ok=%d is_error=%d\n", (long)r.rax == getpid(),
			       info.exit.rval == (long)r.rax, info.exit.is_error);
			printf("  pokeuser rax: %ld\n",
			       ptrace(PTRACE_POKEUSER, pid, offsetof(struct user_regs_struct, rax), (void *)4242L));
			done = 1;
		}
	}
	/* Without syscall stops: the two signal-delivery stops. */
	ptrace(PTRACE_CONT, pid, 0, 0);
	waitpid(pid, &st, 0);
	show_status("first signal", st);
	ptrace(PTRACE_GETSIGINFO, pid, 0, &si);
	printf("  siginfo: signo=%d code=%d\n", si.si_signo, si.si_code);
	ptrace(PTRACE_CONT, pid, 0, 0);
	waitpid(pid, &st, 0);
	show_status("second signal", st);
	ptrace(PTRACE_GETSIGINFO, pid, 0, &si);
	printf("  siginfo: signo=%d code=%d\n", si.si_signo, si.si_code);
	ptrace(PTRACE_CONT, pid, 0, (void *)SIGUSR1);
	struct user_regs_struct r;
	errno = 0;
	long rc = ptrace(PTRACE_GETREGS, pid, 0, &r);
	printf("getregs while running: %ld %s\n", rc, en(errno));
	waitpid(pid, &st, 0);
	show_status("tracee", st);
	errno = 0;
	rc = ptrace(PTRACE_CONT, pid, 0, 0);
	printf("after the end: %ld %s\n", rc, en(errno));
	return 0;
}
