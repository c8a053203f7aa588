// tine-only
// busybox
/*
 * oom_kill: a child that touches twice the machine's memory (MemTotal of
 * /proc/meminfo) is killed by the OOM killer with SIGKILL, and the
 * machine goes on: a smaller sibling is not chosen (Linux's badness
 * picks the largest), the parent sees WIFSIGNALED with SIGKILL, and
 * forking, a busybox shell and the memory the hog held all work after.
 *
 * Tine-only (`// tine-only`, expected output in oom_kill.expected): run
 * natively it would push the host itself into its OOM killer, which must
 * never happen to the machine running the tests.
 * Mirrors: Linux's mm/oom_kill.c (the kernel log gets its
 * "Out of memory: Killed process ..." line).
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

static unsigned long mem_total_kb(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	unsigned long kb = 0;
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "MemTotal: %lu kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

static void show(const char *who, int st)
{
	if (WIFSIGNALED(st))
		printf("%s: killed by signal %d%s\n", who, WTERMSIG(st), WTERMSIG(st) == SIGKILL ? " (SIGKILL)" : "");
	else
		printf("%s: exit %d\n", who, WEXITSTATUS(st));
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	unsigned long total = mem_total_kb() * 1024;
	printf("MemTotal known: %s\n", total ? "yes" : "no");
	int gate[2];
	pipe(gate);
	/* A small sibling, 4 MiB touched, waiting on a pipe. */
	pid_t small = fork();
	if (small == 0) {
		close(gate[1]);
		char *m = malloc(4 << 20);
		memset(m, 1, 4 << 20);
		char c;
		_exit(read(gate[0], &c, 1) == 0 ? 0 : 1);
	}
	close(gate[0]);
	pid_t hog = fork();
	if (hog == 0) {
		size_t len = 2 * total;
		char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (m == MAP_FAILED) {
			printf("hog: mmap failed\n");
			_exit(1);
		}
		for (size_t i = 0; i < len; i += 4096)
			m[i] = 1;
		printf("hog: touched it all\n");
		_exit(0);
	}
	int st;
	waitpid(hog, &st, 0);
	show("hog", st);
	close(gate[1]);
	waitpid(small, &st, 0);
	show("small sibling", st);
	/* The memory is back: 1/4 of it again in a child. */
	pid_t again = fork();
	if (again == 0) {
		size_t len = total / 4;
		char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		for (size_t i = 0; m != MAP_FAILED && i < len; i += 4096)
			m[i] = 1;
		_exit(m == MAP_FAILED);
	}
	waitpid(again, &st, 0);
	show("quarter of memory after", st);
	fflush(stdout);
	pid_t sh = fork();
	if (sh == 0) {
		execl("/bin/busybox", "sh", "-c", "echo shell goes on", (char *)NULL);
		_exit(127);
	}
	waitpid(sh, &st, 0);
	show("shell", st);
	return 0;
}
