/*
 * wait_selectors: which child wait4/waitpid/waitid pick, what they report
 * and how they fail.
 * Checks:
 *   status encoding (waitpid pid > 0): _exit(0), _exit(1), _exit(255),
 *     _exit(263) (only the low 8 bits: 7), kill(getpid(), SIGKILL), a
 *     NULL store (SIGSEGV, RLIMIT_CORE 0 so no core bit), abort()
 *     (SIGABRT) -- raw status and WIFEXITED/WEXITSTATUS/WIFSIGNALED/
 *     WTERMSIG/WCOREDUMP;
 *   WNOHANG with a live child returns 0 for pid > 0, -1 and 0 and leaves
 *     *status untouched; after the child is known to be a zombie
 *     (waitid WNOWAIT), WNOHANG returns it;
 *   pid == -1 reaps three children (codes sorted);
 *   pid == 0 only takes a child in the caller's process group even when
 *     a child in another group (made with setpgid) is already a zombie,
 *     then fails with ECHILD although that other child exists;
 *     pid < -1 takes the members of that group (a second child joined
 *     it with setpgid(c, pgid)), getpgid(child) == the group id;
 *   ECHILD with no children for wait, waitpid(-1), WNOHANG, own pid,
 *     waitid(P_ALL); wait4(INT_MIN) -> ESRCH;
 *   waitid: P_PID/P_ALL/P_PGID (including id 0 = own group), WEXITED,
 *     WNOHANG with nothing ready (returns 0 and zeroes si_signo/si_pid),
 *     WNOWAIT (child still waitable, same info twice), siginfo si_signo
 *     SIGCHLD, si_code CLD_EXITED/CLD_KILLED, si_status, si_pid == child,
 *     si_uid 0; NULL infop accepted;
 *   rusage from wait4 and waitid is written (fields sane, not printed);
 *   __WALL also waits for an ordinary child;
 *   errors: bad status/rusage/infop pointer -> EFAULT but the child has
 *     been reaped (a later waitpid -> ECHILD); WNOHANG with a live child
 *     and a bad status pointer -> 0; invalid wait4 options (0x100,
 *     WEXITED) -> EINVAL; waitid with no WEXITED/WSTOPPED/WCONTINUED,
 *     unknown option bit, unknown idtype, P_PID id 0, P_PGID id -1 ->
 *     EINVAL.
 * Mirrors: wait(2) (wait, waitpid, waitid), wait4(2), setpgid(2),
 *   getrlimit(2) RLIMIT_CORE.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

#define BAD ((void *)0x10)

static pid_t me;

/* describe a wait return value relative to an expected pid */
static const char *who(pid_t r, pid_t want)
{
	static char s[4][48];
	static int n;
	char *b = s[n++ & 3];
	if (r < 0)
		snprintf(b, 48, "-1 %s", en(errno));
	else if (r == 0)
		snprintf(b, 48, "0");
	else if (r == want)
		snprintf(b, 48, "the child");
	else
		snprintf(b, 48, "another pid");
	return b;
}

static void decode(const char *what, pid_t r, pid_t want, int st)
{
	printf("%s: returned %s, status 0x%04x WIFEXITED=%d", what, who(r, want), st,
	       WIFEXITED(st) ? 1 : 0);
	if (WIFEXITED(st))
		printf(" WEXITSTATUS=%d", WEXITSTATUS(st));
	printf(" WIFSIGNALED=%d", WIFSIGNALED(st) ? 1 : 0);
	if (WIFSIGNALED(st))
		printf(" WTERMSIG=%d WCOREDUMP=%d", WTERMSIG(st), WCOREDUMP(st) ? 1 : 0);
	printf("\n");
}

static pid_t spawn_exit(int code)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(code);
	return pid;
}

/* child blocks until the write end of *gate is closed by everyone */
static pid_t spawn_gated(int gate[2], int code)
{
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		close(gate[1]);
		read(gate[0], &c, 1);
		_exit(code);
	}
	return pid;
}

/* block until pid has terminated, without reaping it */
static void until_zombie(pid_t pid)
{
	siginfo_t si;
	waitid(P_PID, pid, &si, WEXITED | WNOWAIT);
}

static const char *code_name(int c)
{
	switch (c) {
	case CLD_EXITED: return "CLD_EXITED";
	case CLD_KILLED: return "CLD_KILLED";
	case CLD_DUMPED: return "CLD_DUMPED";
	case CLD_STOPPED: return "CLD_STOPPED";
	case CLD_CONTINUED: return "CLD_CONTINUED";
	case 0: return "0";
	default: return "other";
	}
}

static void show_si(const char *what, int r, siginfo_t *si, pid_t want)
{
	if (r < 0) {
		printf("%s: -1 %s\n", what, en(errno));
		return;
	}
	printf("%s: %d si_signo=%s si_code=%s si_status=%d si_pid=%s si_uid=%d\n", what, r,
	       si->si_signo == SIGCHLD ? "SIGCHLD" : si->si_signo == 0 ? "0" : "other",
	       code_name(si->si_code), si->si_status,
	       si->si_pid == want ? "child" : si->si_pid == 0 ? "0" : "other", (int)si->si_uid);
}

static int sane_tv(struct timeval tv)
{
	return tv.tv_sec >= 0 && tv.tv_usec >= 0 && tv.tv_usec < 1000000;
}

static void status_encoding(void)
{
	static const int codes[] = {0, 1, 255, 263};
	int st;
	printf("-- status encoding\n");
	for (unsigned i = 0; i < sizeof codes / sizeof codes[0]; i++) {
		pid_t pid = spawn_exit(codes[i]);
		char what[32];
		snprintf(what, sizeof what, "_exit(%d)", codes[i]);
		st = -1;
		pid_t r = waitpid(pid, &st, 0);
		decode(what, r, pid, st);
	}
	pid_t pid = fork();
	if (pid == 0) {
		kill(getpid(), SIGKILL);
		_exit(99);
	}
	pid_t r = waitpid(pid, &st, 0);
	decode("kill(getpid(), SIGKILL)", r, pid, st);

	pid = fork();
	if (pid == 0) {
		*(volatile int *)0 = 1;
		_exit(99);
	}
	r = waitpid(pid, &st, 0);
	decode("NULL store (SIGSEGV)", r, pid, st);

	pid = fork();
	if (pid == 0) {
		abort();
	}
	r = waitpid(pid, &st, 0);
	decode("abort() (SIGABRT)", r, pid, st);
}

static void nohang(void)
{
	int gate[2], st;
	printf("-- WNOHANG\n");
	pipe(gate);
	pid_t pid = spawn_gated(gate, 5);
	close(gate[0]);
	st = 12345;
	pid_t r = waitpid(pid, &st, WNOHANG);
	printf("waitpid(child, WNOHANG) while alive: %s, status untouched: %s\n", who(r, pid),
	       st == 12345 ? "yes" : "no");
	r = waitpid(-1, &st, WNOHANG);
	printf("waitpid(-1, WNOHANG) while alive: %s\n", who(r, pid));
	r = waitpid(0, &st, WNOHANG);
	printf("waitpid(0, WNOHANG) while alive: %s\n", who(r, pid));
	r = syscall(SYS_wait4, pid, BAD, WNOHANG, NULL);
	printf("wait4(child, bad status ptr, WNOHANG) while alive: %s\n", who(r, pid));
	close(gate[1]);
	until_zombie(pid);
	st = -1;
	r = waitpid(pid, &st, WNOHANG);
	decode("waitpid(child, WNOHANG) once it is a zombie", r, pid, st);
}

static void no_children(void)
{
	int st;
	printf("-- no children\n");
	pid_t r = wait(&st);
	printf("wait: %s\n", who(r, 0));
	r = waitpid(-1, &st, 0);
	printf("waitpid(-1): %s\n", who(r, 0));
	r = waitpid(-1, &st, WNOHANG);
	printf("waitpid(-1, WNOHANG): %s\n", who(r, 0));
	r = waitpid(0, &st, 0);
	printf("waitpid(0): %s\n", who(r, 0));
	r = waitpid(me, &st, 0);
	printf("waitpid(own pid): %s\n", who(r, 0));
	r = syscall(SYS_wait4, INT_MIN, &st, 0, NULL);
	printf("wait4(INT_MIN): %s\n", who(r, 0));
	siginfo_t si;
	int w = waitid(P_ALL, 0, &si, WEXITED);
	printf("waitid(P_ALL, WEXITED): %s\n", who(w, 0));
	w = waitid(P_ALL, 0, &si, WEXITED | WNOHANG);
	printf("waitid(P_ALL, WEXITED|WNOHANG): %s\n", who(w, 0));
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

static void any_child(void)
{
	printf("-- pid == -1\n");
	pid_t pids[3];
	int codes[3], got = 0, matched = 0;
	for (int i = 0; i < 3; i++)
		pids[i] = spawn_exit(10 + i);
	for (int i = 0; i < 3; i++) {
		int st;
		pid_t r = waitpid(-1, &st, 0);
		if (r <= 0)
			break;
		for (int k = 0; k < 3; k++)
			if (r == pids[k] && WIFEXITED(st) && WEXITSTATUS(st) == 10 + k)
				matched++;
		codes[got++] = WEXITSTATUS(st);
	}
	qsort(codes, got, sizeof codes[0], cmp_int);
	printf("waitpid(-1) x3: reaped %d, codes", got);
	for (int i = 0; i < got; i++)
		printf(" %d", codes[i]);
	printf(", pid/code pairs matched: %d\n", matched);
	pid_t r = waitpid(-1, NULL, 0);
	printf("waitpid(-1) again: %s\n", who(r, 0));
}

static void groups(void)
{
	int gate[2], st;
	printf("-- process groups\n");
	/* B: leader of a new group, already a zombie */
	pid_t b = fork();
	if (b == 0) {
		setpgid(0, 0);
		_exit(21);
	}
	int rc = setpgid(b, b);
	printf("setpgid(B, B) in parent: %s\n", rc == 0 ? "0" : en(errno));
	until_zombie(b);
	/* A: stays in our group */
	pid_t a = spawn_exit(20);
	st = -1;
	pid_t r = waitpid(0, &st, 0);
	decode("waitpid(0) with B (other group) a zombie", r, a, st);
	r = waitpid(0, &st, WNOHANG);
	printf("waitpid(0, WNOHANG) with only B left: %s\n", who(r, 0));
	r = waitpid(0, &st, 0);
	printf("waitpid(0) with only B left: %s\n", who(r, 0));
	r = waitpid(-b, &st, 0);
	decode("waitpid(-B)", r, b, st);

	/* group G led by D, joined by E */
	pipe(gate);
	pid_t d = spawn_gated(gate, 30);
	setpgid(d, d);
	pid_t e = spawn_gated(gate, 31);
	rc = setpgid(e, d);
	printf("setpgid(E, D) joins D's group: %s\n", rc == 0 ? "0" : en(errno));
	printf("getpgid(D) == D: %s, getpgid(E) == D: %s, getpgid(0) == D: %s\n",
	       getpgid(d) == d ? "yes" : "no", getpgid(e) == d ? "yes" : "no",
	       getpgid(0) == d ? "yes" : "no");
	close(gate[0]);
	r = waitpid(-d, &st, WNOHANG);
	printf("waitpid(-D, WNOHANG) while both alive: %s\n", who(r, 0));
	close(gate[1]);
	int codes[2] = {-1, -1}, found = 0;
	for (int i = 0; i < 2; i++) {
		r = waitpid(-d, &st, 0);
		if (r == d || r == e) {
			found++;
			codes[i] = WEXITSTATUS(st);
		}
	}
	qsort(codes, 2, sizeof codes[0], cmp_int);
	printf("waitpid(-D) x2: group members reaped %d, codes %d %d\n", found, codes[0], codes[1]);
	r = waitpid(-d, &st, 0);
	printf("waitpid(-D) again: %s\n", who(r, 0));
}

static void waitid_tests(void)
{
	siginfo_t si;
	int r, st, gate[2];
	printf("-- waitid\n");
	pid_t pid = spawn_exit(3);
	memset(&si, 0x5a, sizeof si);
	r = waitid(P_PID, pid, &si, WEXITED);
	show_si("waitid(P_PID, WEXITED) _exit(3)", r, &si, pid);

	pid = spawn_exit(4);
	memset(&si, 0x5a, sizeof si);
	r = waitid(P_PID, pid, &si, WEXITED | WNOWAIT);
	show_si("waitid(P_PID, WEXITED|WNOWAIT) _exit(4)", r, &si, pid);
	memset(&si, 0x5a, sizeof si);
	r = waitid(P_ALL, 0, &si, WEXITED | WNOWAIT);
	show_si("waitid(P_ALL, WEXITED|WNOWAIT) again", r, &si, pid);
	st = -1;
	pid_t w = waitpid(pid, &st, 0);
	decode("waitpid after WNOWAIT", w, pid, st);
	r = waitid(P_PID, pid, &si, WEXITED);
	printf("waitid(P_PID) after it was reaped: %s\n", who(r, 0));

	pipe(gate);
	pid = spawn_gated(gate, 6);
	close(gate[0]);
	memset(&si, 0x5a, sizeof si);
	r = waitid(P_ALL, 0, &si, WEXITED | WNOHANG);
	show_si("waitid(P_ALL, WEXITED|WNOHANG) while alive", r, &si, pid);
	close(gate[1]);
	memset(&si, 0x5a, sizeof si);
	r = waitid(P_ALL, 0, &si, WEXITED);
	show_si("waitid(P_ALL, WEXITED) _exit(6)", r, &si, pid);

	pid = fork();
	if (pid == 0) {
		kill(getpid(), SIGKILL);
		_exit(99);
	}
	memset(&si, 0x5a, sizeof si);
	r = waitid(P_ALL, 0, &si, WEXITED);
	show_si("waitid(P_ALL) SIGKILL", r, &si, pid);

	pid = fork();
	if (pid == 0) {
		*(volatile int *)0 = 1;
		_exit(99);
	}
	memset(&si, 0x5a, sizeof si);
	r = waitid(P_PID, pid, &si, WEXITED);
	show_si("waitid(P_PID) SIGSEGV", r, &si, pid);

	/* P_PGID: a child in its own group (a zombie), one in ours */
	pid_t other = fork();
	if (other == 0) {
		setpgid(0, 0);
		_exit(7);
	}
	setpgid(other, other);
	until_zombie(other);
	pid_t mine = spawn_exit(8);
	memset(&si, 0x5a, sizeof si);
	r = waitid(P_PGID, 0, &si, WEXITED);
	show_si("waitid(P_PGID, 0 = own group) _exit(8)", r, &si, mine);
	memset(&si, 0x5a, sizeof si);
	r = waitid(P_PGID, other, &si, WEXITED);
	show_si("waitid(P_PGID, other group) _exit(7)", r, &si, other);

	pid = spawn_exit(9);
	r = syscall(SYS_waitid, P_PID, pid, NULL, WEXITED, NULL);
	printf("waitid(P_PID, infop NULL): %s\n", r < 0 ? en(errno) : "0");
	w = waitpid(pid, NULL, WNOHANG);
	printf("  child reaped by it: %s\n", w < 0 && errno == ECHILD ? "yes" : "no");
}

static void rusage_tests(void)
{
	struct rusage ru;
	int st;
	printf("-- rusage\n");
	pid_t pid = fork();
	if (pid == 0) {
		volatile unsigned long x = 0;
		for (unsigned long i = 0; i < 1000000; i++)
			x += i;
		_exit(0);
	}
	memset(&ru, 0xff, sizeof ru);
	pid_t r = wait4(pid, &st, 0, &ru);
	printf("wait4(child, &ru): %s, ru_utime sane: %s, ru_stime sane: %s\n", who(r, pid),
	       sane_tv(ru.ru_utime) ? "yes" : "no", sane_tv(ru.ru_stime) ? "yes" : "no");

	pid = spawn_exit(0);
	siginfo_t si;
	memset(&ru, 0xff, sizeof ru);
	int w = syscall(SYS_waitid, P_PID, pid, &si, WEXITED, &ru);
	printf("waitid(P_PID, ..., &ru): %d, ru_utime sane: %s, ru_stime sane: %s\n", w,
	       sane_tv(ru.ru_utime) ? "yes" : "no", sane_tv(ru.ru_stime) ? "yes" : "no");

	memset(&ru, 0xff, sizeof ru);
	int g = getrusage(RUSAGE_CHILDREN, &ru);
	printf("getrusage(RUSAGE_CHILDREN): %d, sane: %s\n", g,
	       sane_tv(ru.ru_utime) && sane_tv(ru.ru_stime) ? "yes" : "no");

	pid = spawn_exit(0);
	st = -1;
	r = waitpid(pid, &st, __WALL);
	decode("waitpid(child, __WALL)", r, pid, st);
}

static void errors(void)
{
	int st;
	siginfo_t si;
	printf("-- errors\n");
	pid_t pid = spawn_exit(1);
	until_zombie(pid);
	long r = syscall(SYS_wait4, pid, BAD, 0, NULL);
	printf("wait4(zombie, bad status ptr): %s\n", who(r, pid));
	r = waitpid(pid, &st, WNOHANG);
	printf("  then waitpid(it): %s\n", who(r, pid));

	pid = spawn_exit(1);
	until_zombie(pid);
	r = syscall(SYS_wait4, pid, &st, 0, BAD);
	printf("wait4(zombie, bad rusage ptr): %s\n", who(r, pid));
	r = waitpid(pid, &st, WNOHANG);
	printf("  then waitpid(it): %s\n", who(r, pid));

	pid = spawn_exit(1);
	until_zombie(pid);
	r = syscall(SYS_waitid, P_PID, pid, BAD, WEXITED, NULL);
	printf("waitid(zombie, bad infop): %s\n", who(r, pid));
	r = waitpid(pid, &st, WNOHANG);
	printf("  then waitpid(it): %s\n", who(r, pid));

	pid = spawn_exit(1);
	until_zombie(pid);
	r = syscall(SYS_wait4, pid, &st, 0x100, NULL);
	printf("wait4(options 0x100): %s\n", who(r, pid));
	r = syscall(SYS_wait4, pid, &st, WEXITED, NULL);
	printf("wait4(options WEXITED): %s\n", who(r, pid));
	r = syscall(SYS_waitid, P_PID, pid, &si, 0, NULL);
	printf("waitid(options 0): %s\n", who(r, pid));
	r = syscall(SYS_waitid, P_PID, pid, &si, WEXITED | 0x100, NULL);
	printf("waitid(options WEXITED|0x100): %s\n", who(r, pid));
	r = syscall(SYS_waitid, 42, pid, &si, WEXITED, NULL);
	printf("waitid(idtype 42): %s\n", who(r, pid));
	r = syscall(SYS_waitid, P_PID, 0, &si, WEXITED, NULL);
	printf("waitid(P_PID, 0): %s\n", who(r, pid));
	r = syscall(SYS_waitid, P_PGID, -1, &si, WEXITED, NULL);
	printf("waitid(P_PGID, -1): %s\n", who(r, pid));
	st = -1;
	r = waitpid(pid, &st, 0);
	decode("the child is still there", r, pid, st);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	struct rlimit nocore = {0, 0};
	setrlimit(RLIMIT_CORE, &nocore); /* no core file, no core bit */
	me = getpid();
	status_encoding();
	nohang();
	no_children();
	any_child();
	groups();
	waitid_tests();
	rusage_tests();
	errors();
	no_children();
	return 0;
}
