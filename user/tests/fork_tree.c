/*
 * fork_tree: a binary process tree of depth 6 (127 processes, up to 64
 * leaves alive at once), built recursively with fork(2) and collected
 * with waitpid(2).
 * Checks: each node forks two children and waits for both; a leaf
 *   (depth 6) exits 1; an inner node exits with the sum of its
 *   children's exit codes (capped at 255, reached by no node here), so
 *   the root's total is the leaf count, 64; a node whose child did not
 *   exit normally adds nothing.  Every node checks that its getppid()
 *   is the PID its parent got from fork, and that waitpid returned the
 *   forked PID; every node writes one byte to a shared pipe ('.' if all
 *   fine, 'E' if not) so the root counts nodes and errors.
 * Mirrors: fork(2), waitpid(2), getppid(2), pipe(7) (atomic small writes).
 */
#include <errno.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#define DEPTH 6

static int report;

/* runs node at depth d; returns its exit code */
static int node(int d, int ok)
{
	if (d == DEPTH) {
		write(report, ok ? "." : "E", 1);
		return 1;
	}
	pid_t self = getpid(), kids[2];
	for (int k = 0; k < 2; k++) {
		kids[k] = fork();
		if (kids[k] == 0) {
			int code = node(d + 1, getppid() == self);
			_exit(code);
		}
		if (kids[k] < 0)
			ok = 0;
	}
	int sum = 0;
	for (int k = 0; k < 2; k++) {
		int st;
		if (kids[k] <= 0)
			continue;
		if (waitpid(kids[k], &st, 0) != kids[k]) {
			ok = 0;
			continue;
		}
		if (WIFEXITED(st))
			sum += WEXITSTATUS(st);
		else
			ok = 0;
	}
	write(report, ok ? "." : "E", 1);
	return sum > 255 ? 255 : sum;
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	int p[2];
	if (pipe(p) < 0)
		return 1;
	report = p[1];
	int total = node(0, 1);
	close(p[1]);
	char buf[256];
	int nodes = 0, errors = 0;
	ssize_t n;
	while ((n = read(p[0], buf, sizeof buf)) > 0)
		for (ssize_t i = 0; i < n; i++) {
			nodes++;
			errors += buf[i] != '.';
		}
	printf("depth %d tree: root total (leaves) = %d\n", DEPTH, total);
	printf("nodes reported: %d, nodes with errors: %d\n", nodes, errors);
	pid_t w = wait(NULL);
	printf("wait(NULL) after the tree: %d %s\n", (int)w, w < 0 && errno == ECHILD ? "ECHILD" : "?");
	return 0;
}
