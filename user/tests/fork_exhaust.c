// tine-only
/*
 * fork_exhaust: fork sleeping children until fork fails, then kill them
 * all and reap them. fork must fail with EAGAIN (threads-max, as Linux's
 * copy_process() checks nr_threads) or ENOMEM, never hang or panic; the
 * whole cycle must finish well inside the test's time limit (its cost
 * may not grow with the number of processes), and once every child is
 * reaped MemFree must be back within 2% of where it started.
 *
 * Tine-only (`// tine-only`, expected output in fork_exhaust.expected):
 * run natively it would fill the host with processes.
 * Mirrors: fork(2) ERRORS (EAGAIN: "the system-imposed limit on the
 * number of threads was encountered"; ENOMEM), proc(5)
 * /proc/sys/kernel/threads-max and /proc/meminfo.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

static long meminfo_kb(const char *key)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	long v = -1;
	size_t n = strlen(key);
	while (f && fgets(line, sizeof line, f))
		if (strncmp(line, key, n) == 0 && line[n] == ':')
			v = atol(line + n + 1);
	if (f)
		fclose(f);
	return v;
}

static long read_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;
	if (f && fscanf(f, "%ld", &v) != 1)
		v = -1;
	if (f)
		fclose(f);
	return v;
}

int main(void)
{
	long threads_max = read_long("/proc/sys/kernel/threads-max");
	long free_before = meminfo_kb("MemFree");
	/* Room for every PID, in memory that is not the children's to copy. */
	size_t cap = threads_max > 0 ? (size_t)threads_max + 16 : 1 << 20;
	pid_t *kids = mmap(NULL, cap * sizeof(pid_t), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (kids == MAP_FAILED) {
		printf("mmap: %s\n", en(errno));
		return 1;
	}
	size_t n = 0;
	int err = 0;
	for (;;) {
		pid_t p = fork();
		if (p < 0) {
			err = errno;
			break;
		}
		if (p == 0)
			for (;;)
				pause();
		if (n == cap) {
			printf("more children than threads-max (%ld)\n", threads_max);
			kill(p, SIGKILL);
			break;
		}
		kids[n++] = p;
	}
	printf("fork failed with EAGAIN or ENOMEM: %s\n", err == EAGAIN || err == ENOMEM ? "yes" : en(err));
	printf("more than 1000 children: %s\n", n > 1000 ? "yes" : "no");
	printf("at most threads-max: %s\n", (long)n <= threads_max ? "yes" : "no");
	/* The machine still forks once one child is gone. */
	kill(kids[--n], SIGKILL);
	waitpid(kids[n], NULL, 0);
	pid_t again = fork();
	if (again == 0)
		_exit(7);
	int st = 0;
	waitpid(again, &st, 0);
	printf("fork after one exit: %s\n", st_str(st));
	size_t reaped = 0;
	for (size_t i = 0; i < n; i++)
		kill(kids[i], SIGKILL);
	for (size_t i = 0; i < n; i++) {
		if (waitpid(kids[i], &st, 0) == kids[i] && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)
			reaped++;
	}
	printf("all killed and reaped: %s\n", reaped == n ? "yes" : "no");
	printf("no child left: %s\n", wait(NULL) < 0 && errno == ECHILD ? "yes" : "no");
	munmap(kids, cap * sizeof(pid_t));
	long free_after = meminfo_kb("MemFree");
	long diff = free_after > free_before ? free_after - free_before : free_before - free_after;
	printf("MemFree within 2%%: %s\n", diff * 50 <= free_before ? "yes" : "no");
	if (diff * 50 > free_before)
		printf("  before %ld kB, after %ld kB\n", free_before, free_after);
	return 0;
}
