/*
 * nproc_limit: RLIMIT_NPROC, the per-real-user process limit checked by
 * fork(2).
 * Checks (each part in a forked child so the test process is unchanged):
 *   getrlimit/setrlimit round trip of {5, 5}; a soft limit above the hard
 *     limit -> EINVAL; after dropping root, raising the hard limit ->
 *     EPERM while lowering the soft limit works;
 *   as uid 54321 (an ID no host process uses) with {5, 5}: the caller
 *     counts as one process, so exactly 4 children (blocked on a pipe)
 *     can be forked, the 5th fork fails with EAGAIN; after one child
 *     is killed and reaped, one more fork succeeds and the next fails
 *     again;
 *   the limit is inherited: a forked child reads {5, 5} back;
 *   root is exempt: with {1, 1} a root process can still fork.
 * Natively the count is per real user across the whole host, so nothing
 * else may run as uid 54321 meanwhile (not even a second copy of this
 * test).
 * Mirrors: getrlimit(2) RLIMIT_NPROC ("the number of extant processes
 *   for the real user ID of the calling process"; "EAGAIN... the
 *   RLIMIT_NPROC soft resource limit... was reached"; "unless the process
 *   has the CAP_SYS_ADMIN or CAP_SYS_RESOURCE capability, or the real
 *   user ID is 0"), fork(2) EAGAIN, prlimit(2).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

#define N 5
#define UID 54321

static void rc(const char *what, long r)
{
	if (r < 0)
		printf("  %s: -1 %s\n", what, en(errno));
	else
		printf("  %s: %ld\n", what, r);
}

static void show_limit(const char *who)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NPROC, &rl) < 0)
		printf("  %s getrlimit: %s\n", who, en(errno));
	else
		printf("  %s RLIMIT_NPROC {%llu, %llu}\n", who, (unsigned long long)rl.rlim_cur,
		       (unsigned long long)rl.rlim_max);
}

static void part(const char *title, void (*fn)(void))
{
	printf("-- %s\n", title);
	pid_t pid = fork();
	if (pid == 0) {
		fn();
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		printf("  (child status 0x%x)\n", st);
}

static void p_limits(void)
{
	struct rlimit rl = {N, N};
	rc("setrlimit(RLIMIT_NPROC, {5, 5})", setrlimit(RLIMIT_NPROC, &rl));
	show_limit("now");
	rl.rlim_cur = 6;
	rc("setrlimit({6, 5}) soft > hard", setrlimit(RLIMIT_NPROC, &rl));
	struct rlimit old;
	rl.rlim_cur = 4;
	rl.rlim_max = N;
	rc("prlimit(0, {4, 5}, &old)", prlimit(0, RLIMIT_NPROC, &rl, &old));
	printf("  old {%llu, %llu}\n", (unsigned long long)old.rlim_cur,
	       (unsigned long long)old.rlim_max);
	rc("setuid(54321)", setuid(UID));
	rl.rlim_cur = N;
	rl.rlim_max = N + 1;
	rc("setrlimit({5, 6}) raising hard as non-root", setrlimit(RLIMIT_NPROC, &rl));
	rl.rlim_cur = 3;
	rl.rlim_max = N;
	rc("setrlimit({3, 5}) lowering soft as non-root", setrlimit(RLIMIT_NPROC, &rl));
	show_limit("now");
}

static void p_fork_until_eagain(void)
{
	struct rlimit rl = {N, N};
	rc("setrlimit(RLIMIT_NPROC, {5, 5})", setrlimit(RLIMIT_NPROC, &rl));
	rc("setuid(54321)", setuid(UID));

	/* inherited by a child */
	pid_t pid = fork();
	if (pid == 0) {
		show_limit("forked child:");
		_exit(0);
	}
	waitpid(pid, NULL, 0);

	int gate[2];
	pipe(gate);
	pid_t kids[64];
	int nk = 0, err = 0;
	while (nk < 64) {
		pid = fork();
		if (pid < 0) {
			err = errno;
			break;
		}
		if (pid == 0) {
			char c;
			close(gate[1]);
			read(gate[0], &c, 1);
			_exit(0);
		}
		kids[nk++] = pid;
	}
	printf("  children forked before failure: %d, then fork: -1 %s\n", nk, en(err));

	/* free one slot */
	int slots = 0;
	if (nk > 0) {
		pid_t last = kids[--nk];
		kill(last, SIGKILL);
		waitpid(last, NULL, 0);
		pid = fork();
		int e1 = errno;
		if (pid == 0) {
			char c;
			close(gate[1]);
			read(gate[0], &c, 1);
			_exit(0);
		}
		if (pid > 0) {
			kids[nk++] = pid;
			slots++;
		}
		pid_t again = fork();
		int e2 = errno;
		if (again == 0)
			_exit(0);
		printf("  after reaping one: fork %s, next fork %s\n", slots ? "ok" : en(e1),
		       again < 0 ? (e2 == EAGAIN ? "-1 EAGAIN" : en(e2)) : "ok (unexpected)");
		if (again > 0)
			waitpid(again, NULL, 0);
	}
	close(gate[0]);
	close(gate[1]);
	int reaped = 0;
	for (int i = 0; i < nk; i++)
		if (waitpid(kids[i], NULL, 0) == kids[i])
			reaped++;
	printf("  reaped %d blocked children\n", reaped);
}

static void p_root_exempt(void)
{
	struct rlimit rl = {1, 1};
	rc("setrlimit(RLIMIT_NPROC, {1, 1}) as root", setrlimit(RLIMIT_NPROC, &rl));
	pid_t pid = fork();
	if (pid == 0)
		_exit(3);
	int st = 0;
	if (pid > 0)
		waitpid(pid, &st, 0);
	printf("  fork as root: %s, child exit %d\n", pid > 0 ? "ok" : en(errno),
	       pid > 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	part("limits", p_limits);
	part("fork until EAGAIN as uid 54321 with RLIMIT_NPROC 5", p_fork_until_eagain);
	part("root is exempt", p_root_exempt);
	return 0;
}
