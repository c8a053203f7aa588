/*
 * fork_wide: 200 children alive at the same time.
 * Checks: 200 forks succeed while all earlier children are still alive
 *   (each blocks in read(2) on a pipe until the parent closes the write
 *   end); all returned PIDs are > 0, distinct and differ from the
 *   parent's; while they are all blocked, waitpid(-1, WNOHANG) returns
 *   0; after the parent closes the pipe every child sees EOF (read
 *   returns 0, which it reports as exit status 0; it also checks
 *   getppid()); wait(2) then reaps exactly the set of forked PIDs, each
 *   once, with exit status 0; a further wait fails with ECHILD.
 * Mirrors: fork(2), pipe(7) ("If all file descriptors referring to the
 *   write end of a pipe have been closed, then an attempt to read(2)
 *   from the pipe will see end-of-file"), wait(2).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define N 200

static int cmp(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
	return (x > y) - (x < y);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	int p[2];
	if (pipe(p) < 0)
		return 1;
	pid_t me = getpid(), pids[N], reaped[N];
	int forked = 0, fork_errno = 0;
	for (int i = 0; i < N; i++) {
		pid_t pid = fork();
		if (pid < 0) {
			fork_errno = errno;
			break;
		}
		if (pid == 0) {
			char c;
			close(p[1]);
			ssize_t n = read(p[0], &c, 1);
			_exit(n == 0 && getppid() == me ? 0 : 1);
		}
		pids[forked++] = pid;
	}
	printf("children forked: %d%s%s\n", forked, fork_errno ? ", fork error: " : "",
	       fork_errno ? strerror(fork_errno) : "");

	int positive = 0, not_me = 0;
	for (int i = 0; i < forked; i++) {
		positive += pids[i] > 0;
		not_me += pids[i] != me;
	}
	qsort(pids, forked, sizeof pids[0], cmp);
	int distinct = forked > 0;
	for (int i = 1; i < forked; i++)
		distinct += pids[i] != pids[i - 1];
	printf("pids > 0: %d, != parent: %d, distinct: %d\n", positive, not_me, distinct);

	pid_t w = waitpid(-1, NULL, WNOHANG);
	printf("waitpid(-1, WNOHANG) while all block: %d\n", (int)w);

	close(p[0]);
	close(p[1]); /* every child now reads EOF */

	int nreaped = 0, ok_status = 0;
	for (;;) {
		int st;
		pid_t r = wait(&st);
		if (r < 0)
			break;
		if (nreaped < N)
			reaped[nreaped] = r;
		nreaped++;
		ok_status += WIFEXITED(st) && WEXITSTATUS(st) == 0;
	}
	int e = errno;
	printf("reaped: %d, exit status 0: %d, final wait: %s\n", nreaped, ok_status,
	       e == ECHILD ? "ECHILD" : strerror(e));
	int same = nreaped == forked;
	if (same) {
		qsort(reaped, nreaped, sizeof reaped[0], cmp);
		same = memcmp(reaped, pids, forked * sizeof pids[0]) == 0;
	}
	printf("reaped set == forked set: %s\n", same ? "yes" : "no");
	return 0;
}
