/*
 * rusage_faults: copy-on-write seen through the fault counters. A
 * process's minor faults grow by one per page it first touches; after
 * fork, a child that writes N pages it shares takes N copy-on-write
 * faults (at least N, at most 2N plus a few of its own code and stack);
 * the parent sees them in wait4's rusage and getrusage(RUSAGE_CHILDREN),
 * and /proc/<pid>/stat's minflt field follows getrusage. Touching anonymous
 * memory takes no major faults.
 * Mirrors: getrusage(2) (ru_minflt, ru_majflt), wait4(2), proc(5)
 *   (/proc/pid/stat fields 10-13).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

#define N 100

static long minflt(int who)
{
	struct rusage r;
	getrusage(who, &r);
	return r.ru_minflt;
}

static long stat_field(int n)
{
	char b[1024];
	FILE *f = fopen("/proc/self/stat", "r");
	if (!f || !fgets(b, sizeof b, f))
		return -1;
	fclose(f);
	char *p = strrchr(b, ')') + 2; /* field 3 */
	for (int i = 3; i < n; i++)
		p = strchr(p, ' ') + 1;
	return atol(p);
}

static const char *within(long d, long lo, long hi)
{
	return d >= lo && d <= hi ? "yes" : "no";
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	char *m = mmap(NULL, N * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct rusage r;
	getrusage(RUSAGE_SELF, &r);
	long maj_before = r.ru_majflt;
	long before = minflt(RUSAGE_SELF);
	for (int i = 0; i < N; i++)
		m[i * 4096] = 1;
	long after = minflt(RUSAGE_SELF);
	printf("first touches: %s (between %d and %d)\n", within(after - before, N, 2 * N + 20), N, 2 * N + 20);
	getrusage(RUSAGE_SELF, &r);
	/* Only the touches: loading the program itself may take major
	 * faults natively when its pages are not cached yet, and a host that
	 * reclaims proactively (DAMON) may evict this loop's own text while
	 * it runs; so the fewest of up to three tries on fresh memory. */
	long fewest = r.ru_majflt - maj_before;
	for (int t = 0; t < 2 && fewest != 0; t++) {
		char *x = mmap(NULL, N * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		struct rusage b, a;
		getrusage(RUSAGE_SELF, &b);
		for (int i = 0; i < N; i++)
			x[i * 4096] = 1;
		getrusage(RUSAGE_SELF, &a);
		munmap(x, N * 4096);
		if (a.ru_majflt - b.ru_majflt < fewest)
			fewest = a.ru_majflt - b.ru_majflt;
	}
	printf("major faults of the touches (fewest of up to 3 tries): %ld\n", fewest);
	getrusage(RUSAGE_SELF, &r);
	long st = stat_field(10);
	printf("/proc/self/stat minflt close to getrusage: %s\n", within(st - r.ru_minflt, 0, 10));
	printf("thread's own count the same here: %s\n", within(minflt(RUSAGE_THREAD) - r.ru_minflt, -10, 10));

	int p[2];
	pipe(p);
	pid_t c = fork();
	if (c == 0) {
		long b = minflt(RUSAGE_SELF);
		for (int i = 0; i < N; i++)
			m[i * 4096] = 2;
		long a = minflt(RUSAGE_SELF);
		long d = a - b;
		write(p[1], &d, sizeof d);
		_exit(0);
	}
	long child_delta;
	read(p[0], &child_delta, sizeof child_delta);
	struct rusage cr;
	int status;
	wait4(c, &status, 0, &cr);
	printf("child's copy-on-write writes: %s\n", within(child_delta, N, 2 * N + 20));
	printf("wait4's rusage counts them: %s\n", within(cr.ru_minflt, N, 10 * N));
	printf("RUSAGE_CHILDREN too: %s\n", within(minflt(RUSAGE_CHILDREN), N, 10 * N));
	printf("stat cminflt the same: %s\n", within(stat_field(11) - minflt(RUSAGE_CHILDREN), 0, 0));
	printf("parent's page unchanged: %d\n", m[0]);
	return 0;
}
