/*
 * proc_stat: the machine-wide counters of /proc/stat and /proc/vmstat
 * move with what this program does. Only whether each grew (and by at
 * least what this program caused) is printed: the host's other work
 * moves them too.
 * Checks:
 *   /proc/stat's cpu line has ten numbers, cpu0 follows, intr's total is
 *     at least the sum of the per-line counts after it (Linux adds the
 *     architecture's own interrupts to the total only), btime is the boot time (now - uptime,
 *     within 5 s);
 *   ctxt grows by at least N after N reads that each wait for a child's
 *     write to a pipe;
 *   processes grows by at least 1 after a fork; procs_running >= 1 (the
 *     reader); procs_blocked >= 0;
 *   the cpu line's user time grows after 300 ms of user-mode work, and
 *     the timer's interrupts (intr total) grow over a 100 ms sleep;
 *   /proc/vmstat: `name value` lines with pgfault, pgmajfault, pgfree,
 *     nr_free_pages and a pgalloc_* counter; touching N new pages raises
 *     pgfault and the pgalloc_* sum by at least N, unmapping them raises
 *     pgfree by at least N - 64 (Linux keeps up to a per-CPU batch of
 *     them referenced a little longer, on its LRU-add batch).
 * Mirrors: proc_stat(5) (fs/proc/stat.c show_stat()), proc_vmstat(5)
 *   (mm/vmstat.c vmstat_show()).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define N 50
#define PAGES 200

static char buf[65536];

static void slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
	buf[n] = 0;
	if (f)
		fclose(f);
}

/* The number after `key ` at the start of a line of `path`, -1 if none. */
static long long field(const char *path, const char *key)
{
	slurp(path);
	size_t k = strlen(key);
	for (char *l = buf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (!strncmp(l, key, k) && l[k] == ' ')
			return atoll(l + k + 1);
	return -1;
}

/* Sum of every vmstat counter whose name starts with `prefix`. */
static long long vm_sum(const char *prefix)
{
	slurp("/proc/vmstat");
	long long sum = 0;
	char name[64];
	long long v;
	for (char *l = buf; *l;) {
		if (sscanf(l, "%63s %lld", name, &v) == 2 && !strncmp(name, prefix, strlen(prefix)))
			sum += v;
		char *nl = strchr(l, '\n');
		if (!nl)
			break;
		l = nl + 1;
	}
	return sum;
}

static long long cpu_user(void)
{
	slurp("/proc/stat");
	long long u = -1;
	sscanf(buf, "cpu %lld", &u);
	return u;
}

static double now(int clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(void)
{
	slurp("/proc/stat");
	long long v[10];
	int n = sscanf(buf, "cpu  %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld", &v[0], &v[1], &v[2], &v[3],
		       &v[4], &v[5], &v[6], &v[7], &v[8], &v[9]);
	printf("cpu line: %d numbers\n", n);
	printf("cpu0 line: %s\n", strstr(buf, "\ncpu0 ") ? "yes" : "no");
	char *intr = strstr(buf, "\nintr ");
	long long total = -1, sum = 0;
	if (intr) {
		char *p = intr + 6, *end;
		total = strtoll(p, &end, 10);
		for (p = end; *p == ' ';) {
			sum += strtoll(p, &end, 10);
			p = end;
		}
	}
	printf("intr total covers the lines: %s\n", total > 0 && total >= sum ? "yes" : "no");
	long long btime = field("/proc/stat", "btime");
	double boot = now(CLOCK_REALTIME) - now(CLOCK_BOOTTIME);
	printf("btime is the boot time: %s\n", btime > 0 && btime - boot < 5 && boot - btime < 5 ? "yes" : "no");
	printf("procs_running >= 1: %s\n", field("/proc/stat", "procs_running") >= 1 ? "yes" : "no");
	printf("procs_blocked >= 0: %s\n", field("/proc/stat", "procs_blocked") >= 0 ? "yes" : "no");

	/* Blocking reads: each waits for the child's next write. */
	int to_child[2], to_parent[2];
	if (pipe(to_child) || pipe(to_parent))
		return 1;
	long long ctxt0 = field("/proc/stat", "ctxt");
	long long forks0 = field("/proc/stat", "processes");
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		for (int i = 0; i < N; i++) {
			if (read(to_child[0], &c, 1) != 1 || write(to_parent[1], &c, 1) != 1)
				_exit(1);
		}
		_exit(0);
	}
	for (int i = 0; i < N; i++) {
		char c = 'x';
		if (write(to_child[1], &c, 1) != 1 || read(to_parent[0], &c, 1) != 1)
			return 1;
	}
	int st;
	waitpid(pid, &st, 0);
	long long ctxt1 = field("/proc/stat", "ctxt");
	printf("ctxt grew by at least %d over %d blocking reads: %s\n", N, N, ctxt1 - ctxt0 >= N ? "yes" : "no");
	printf("processes grew after a fork: %s\n", field("/proc/stat", "processes") > forks0 ? "yes" : "no");

	long long intr0 = field("/proc/stat", "intr");
	struct timespec ts = { 0, 100 * 1000 * 1000 };
	nanosleep(&ts, NULL);
	printf("interrupts over a 100 ms sleep: %s\n", field("/proc/stat", "intr") > intr0 ? "yes" : "no");

	long long user0 = cpu_user();
	double t0 = now(CLOCK_PROCESS_CPUTIME_ID);
	volatile unsigned long x = 0;
	while (now(CLOCK_PROCESS_CPUTIME_ID) - t0 < 0.3)
		for (int i = 0; i < 100000; i++)
			x += i;
	printf("cpu user time grew after 300 ms of user work: %s\n", cpu_user() - user0 >= 10 ? "yes" : "no");

	/* /proc/vmstat */
	const char *names[] = { "nr_free_pages", "pgfault", "pgmajfault", "pgfree" };
	for (unsigned i = 0; i < sizeof names / sizeof *names; i++)
		printf("vmstat %s: %s\n", names[i], field("/proc/vmstat", names[i]) >= 0 ? "present" : "missing");
	printf("vmstat pgalloc_*: %s\n", vm_sum("pgalloc_") > 0 ? "present" : "missing");
	long long flt0 = field("/proc/vmstat", "pgfault"), alloc0 = vm_sum("pgalloc_");
	char *m = mmap(NULL, PAGES * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return 1;
	for (int i = 0; i < PAGES; i++)
		m[i * 4096] = 1;
	long long flt1 = field("/proc/vmstat", "pgfault"), alloc1 = vm_sum("pgalloc_");
	printf("pgfault grew by at least %d: %s\n", PAGES, flt1 - flt0 >= PAGES ? "yes" : "no");
	printf("pgalloc grew by at least %d: %s\n", PAGES, alloc1 - alloc0 >= PAGES ? "yes" : "no");
	long long free0 = field("/proc/vmstat", "pgfree");
	munmap(m, PAGES * 4096);
	printf("pgfree grew by at least %d: %s\n", PAGES - 64,
	       field("/proc/vmstat", "pgfree") - free0 >= PAGES - 64 ? "yes" : "no");
	return 0;
}
