/*
 * pgroups: many processes in a few process groups, for `cargo xtask
 * trace`: its pictures band the lanes of one process group together and
 * collapse the big bands, so that 200 processes still make a readable
 * page; and its drain must lose no event of so long a run.
 *
 *     pgroups [GROUPS [WORKERS]]      (default 4 groups of 50 workers)
 *
 * The parent maps a buffer of 64 pages at a fixed place and fills it,
 * then forks GROUPS leaders. Each leader makes a process group of its
 * own (setpgid(0, 0), as a shell does for a pipeline), forks WORKERS
 * workers into it, and reaps them. Worker w of a group writes one page
 * of the buffer (still shared with its leader and the parent: one
 * copy-on-write copy each) and exits with status w % 100. A leader exits
 * with the number of workers that ended as expected; the parent prints
 * each leader's count.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGES 64
/* The same place as forktree's buffer, for the trace's check. */
#define BUFFER ((void *)0x20000000)

static int leader(char *buf, long page, int workers)
{
	if (setpgid(0, 0) < 0) {
		perror("setpgid");
		return 0;
	}
	pid_t *pids = calloc(workers, sizeof(pid_t));
	for (int w = 0; w < workers; w++) {
		pids[w] = fork();
		if (pids[w] == 0) {
			buf[(w % PAGES) * page] = 3;
			_exit(w % 100);
		}
		if (pids[w] < 0) {
			perror("fork");
			break;
		}
	}
	int good = 0;
	for (int w = 0; w < workers && pids[w] > 0; w++) {
		int st;
		if (waitpid(pids[w], &st, 0) == pids[w] && WIFEXITED(st) && WEXITSTATUS(st) == w % 100)
			good++;
	}
	return good;
}

int main(int argc, char **argv)
{
	int groups = argc > 1 ? atoi(argv[1]) : 4;
	int workers = argc > 2 ? atoi(argv[2]) : 50;
	long page = sysconf(_SC_PAGESIZE);
	char *buf = mmap(BUFFER, PAGES * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (buf == MAP_FAILED)
		return 1;
	memset(buf, 1, PAGES * page);
	pid_t leaders[groups];
	for (int g = 0; g < groups; g++) {
		leaders[g] = fork();
		if (leaders[g] == 0)
			_exit(leader(buf, page, workers));
	}
	for (int g = 0; g < groups; g++) {
		int st;
		if (waitpid(leaders[g], &st, 0) != leaders[g] || !WIFEXITED(st))
			return 1;
		printf("group %d: %d of %d workers ended as expected\n", g, WEXITSTATUS(st), workers);
	}
	return 0;
}
