/*
 * pid_ns: PID namespaces (pid_namespaces(7), clone(2), clone3(2),
 * unshare(2), proc(5) NSpid and ns_last_pid).
 * Checks:
 *   unshare(CLONE_NEWPID) leaves the caller's pid alone and sends its
 *     next child into a new namespace as PID 1 with getppid() 0, while
 *     fork returns the child's outer number; a second unshare is EINVAL;
 *   the namespace's pids count from 1, ns_last_pid is the namespace's,
 *     and writing it chooses the next number;
 *   an orphan is adopted by the namespace's init, not the global one;
 *   the init ignores SIGKILL sent from inside; killed from outside it
 *     takes the namespace with it: its other processes are gone when its
 *     parent reaps it (SIGKILL), and a fork into the namespace is ENOMEM;
 *   clone(CLONE_NEWPID): the child is 1, the parent sees the outer pid,
 *     waitid's si_pid is that outer pid;
 *   three nested namespaces: NSpid has three more numbers, all 1;
 *   clone3 set_tid with two levels; EINVAL for a first process that is
 *     not 1 and for 33 entries, EEXIST for a taken number.
 * Run as root (natively too). Outer pids differ between machines, so
 * their relations are printed, not the numbers.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int result(long r)
{
	return r < 0 ? -errno : (int)r;
}

/* The NSpid numbers of /proc/self/status; returns how many. */
static int nspid(long *nr, int max)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	int n = 0;
	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "NSpid:", 6))
			continue;
		char *p = line + 6, *end;
		while (n < max) {
			long v = strtol(p, &end, 10);
			if (end == p)
				break;
			nr[n++] = v;
			p = end;
		}
	}
	if (f)
		fclose(f);
	return n;
}

static long read_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;
	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static void status_of(const char *who, int st)
{
	if (WIFEXITED(st))
		printf("%s exited %d\n", who, WEXITSTATUS(st));
	else
		printf("%s killed by %d\n", who, WTERMSIG(st));
}

static int base_levels;

/* The init of a new namespace; `report` gets the outer pid of a
 * grandchild, whose parent exits so that it is adopted. */
static void ns_init(int report)
{
	printf("init: getpid %d, getppid %d, getpgid %d, getsid %d\n", getpid(), getppid(), getpgid(0), getsid(0));
	long nr[40];
	int n = nspid(nr, 40);
	printf("init: NSpid has %d more number, innermost %ld\n", n - base_levels, nr[n - 1]);
	int ready[2];
	pipe(ready);
	pid_t h = fork();
	if (h == 0) {
		printf("h: getpid %d, getppid %d\n", getpid(), getppid());
		pid_t i = fork();
		if (i == 0) {
			while (getppid() != 1)
				usleep(1000);
			printf("i: getpid %d, adopted by %d\n", getpid(), getppid());
			n = nspid(nr, 40);
			long outer = nr[n - 2];
			printf("i: kill(1, SIGKILL) from inside: %d\n", result(kill(1, SIGKILL)));
			write(ready[1], &outer, sizeof(outer));
			for (;;)
				pause();
		}
		_exit(0);
	}
	int st;
	int w = result(waitpid(h, &st, 0));
	long outer;
	read(ready[0], &outer, sizeof(outer));
	printf("init: waitpid(h) = %d\n", w);
	printf("init: ns_last_pid %ld\n", read_long("/proc/sys/kernel/ns_last_pid"));
	FILE *f = fopen("/proc/sys/kernel/ns_last_pid", "w");
	fprintf(f, "9");
	fclose(f);
	pid_t j = fork();
	if (j == 0)
		_exit(0);
	printf("init: after writing 9 to ns_last_pid, fork gives %d\n", j);
	waitpid(j, &st, 0);
	printf("init: still alive after its own SIGKILL\n");
	write(report, &outer, sizeof(outer));
	for (;;)
		pause();
}

static void unshare_case(void)
{
	pid_t me = getpid();
	printf("unshare(CLONE_NEWPID): %d\n", result(unshare(CLONE_NEWPID)));
	printf("getpid unchanged: %s\n", getpid() == me ? "yes" : "no");
	printf("unshare(CLONE_NEWPID) again: %d\n", result(unshare(CLONE_NEWPID)));
	int report[2];
	pipe(report);
	pid_t g = fork();
	if (g == 0)
		ns_init(report[1]);
	long i_outer;
	read(report[0], &i_outer, sizeof(i_outer));
	printf("grandchild visible outside: %d\n", result(kill((pid_t)i_outer, 0)));
	printf("kill(init, SIGKILL) from outside: %d\n", result(kill(g, SIGKILL)));
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	printf("waitid(init): %d\n", result(waitid(P_PID, g, &si, WEXITED)));
	printf("si_pid is the outer pid: %s, code %s, status %d\n", si.si_pid == g ? "yes" : "no",
	       si.si_code == CLD_KILLED ? "CLD_KILLED" : "other", si.si_status);
	printf("grandchild after its init was reaped: %d\n", result(kill((pid_t)i_outer, 0)));
	pid_t late = fork();
	if (late == 0)
		_exit(0);
	printf("fork into the dead namespace: %d\n", late < 0 ? -errno : 0);
	if (late > 0)
		waitpid(late, NULL, 0);
}

static char stack[64 * 1024];

static int clone_child(void *arg)
{
	(void)arg;
	printf("clone child: getpid %d, getppid %d\n", getpid(), getppid());
	return 7;
}

static void nested_case(int depth)
{
	if (depth == 3) {
		long nr[40];
		int n = nspid(nr, 40);
		printf("three deep: NSpid has %d more numbers, innermost %ld %ld %ld\n", n - base_levels, nr[n - 3],
		       nr[n - 2], nr[n - 1]);
		return;
	}
	if (unshare(CLONE_NEWPID) < 0) {
		printf("unshare at depth %d: %s\n", depth, strerror(errno));
		return;
	}
	pid_t c = fork();
	if (c == 0) {
		nested_case(depth + 1);
		_exit(0);
	}
	waitpid(c, NULL, 0);
}

/* clone3's argument (linux/sched.h, which musl does not ship). */
struct clone_args_ {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal;
	uint64_t stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};

#define NR_CLONE3 435

static long clone3_tids(uint64_t flags, pid_t *tids, size_t n)
{
	struct clone_args_ a;
	memset(&a, 0, sizeof(a));
	a.flags = flags;
	a.exit_signal = SIGCHLD;
	a.set_tid = (uint64_t)(uintptr_t)tids;
	a.set_tid_size = n;
	long r = syscall(NR_CLONE3, &a, sizeof(a));
	if (r == 0) {
		printf("set_tid child: getpid %d\n", getpid());
		_exit(0);
	}
	if (r > 0)
		waitpid(r, NULL, 0);
	return r < 0 ? -errno : r;
}

static void set_tid_case(void)
{
	/* In a namespace of our own, where 50 is surely free. */
	unshare(CLONE_NEWPID);
	pid_t c = fork();
	if (c != 0) {
		waitpid(c, NULL, 0);
		return;
	}
	pid_t t[33] = { 1, 50 };
	printf("clone3 NEWPID set_tid {1, 50}: %ld\n", clone3_tids(CLONE_NEWPID, t, 2));
	pid_t five[1] = { 5 };
	printf("clone3 NEWPID set_tid {5}: %ld\n", clone3_tids(CLONE_NEWPID, five, 1));
	printf("clone3 set_tid of 33 entries: %ld\n", clone3_tids(CLONE_NEWPID, t, 33));
	pid_t one[1] = { 1 };
	printf("clone3 set_tid {1} (taken by us): %ld\n", clone3_tids(0, one, 1));
	_exit(0);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	long nr[40];
	base_levels = nspid(nr, 40);

	pid_t c = fork();
	if (c == 0) {
		unshare_case();
		return 0;
	}
	waitpid(c, NULL, 0);

	pid_t cl = clone(clone_child, stack + sizeof(stack), CLONE_NEWPID | SIGCHLD, NULL);
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	waitid(P_PID, cl, &si, WEXITED);
	printf("clone(CLONE_NEWPID): parent sees %s, si_pid matches %s, status %d\n", cl > 1 ? "its pid" : "?",
	       si.si_pid == cl ? "yes" : "no", si.si_status);

	c = fork();
	if (c == 0) {
		nested_case(0);
		return 0;
	}
	waitpid(c, NULL, 0);

	c = fork();
	if (c == 0) {
		set_tid_case();
		return 0;
	}
	int st;
	waitpid(c, &st, 0);
	status_of("set_tid case", st);
	return 0;
}
