/*
 * cowdemo: fork copies a page only when someone writes it.
 *
 * The parent fills a large buffer (16 MiB by default, so every page is
 * its own private frame), then forks. The child writes a fraction of the
 * buffer (a quarter by default). Each first write to a page faults: the
 * page is still shared with the parent, so the kernel copies it for the
 * child (a copy-on-write copy), and that fault counts as a minor fault
 * (ru_minflt). The child's resident size (RSS) counts every page it maps,
 * shared or not; its minflt grows by exactly the pages it wrote. The
 * parent's numbers do not move: it wrote nothing after fork.
 *
 *   cargo xtask exec cowdemo [MiB] [percent]
 *   cargo xtask trace --svg cowdemo  the COW panel: one mark per copy
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static long minflt(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

/* Resident pages, the second field of /proc/self/statm. */
static long rss_pages(void)
{
	long size = 0, rss = -1;
	FILE *f = fopen("/proc/self/statm", "r");
	if (f) {
		if (fscanf(f, "%ld %ld", &size, &rss) != 2)
			rss = -1;
		fclose(f);
	}
	return rss;
}

static void report(const char *who, long flt0)
{
	long rss = rss_pages();
	printf("%-7s minflt +%ld since fork, RSS %ld KiB\n", who, minflt() - flt0, rss * 4);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	long mib = argc > 1 ? atol(argv[1]) : 16;
	long pct = argc > 2 ? atol(argv[2]) : 25;
	long page = sysconf(_SC_PAGESIZE);
	size_t len = (size_t)mib << 20;
	char *buf = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	memset(buf, 1, len); /* every page private to the parent */
	long pages = len / page, writes = pages * pct / 100;
	printf("buffer %p: %ld pages; the child writes %ld of them (%ld%%)\n", (void *)buf, pages, writes, pct);
	fflush(stdout);

	long flt0 = minflt();
	pid_t pid = fork();
	if (pid == 0) {
		flt0 = minflt();
		for (long i = 0; i < writes; i++)
			buf[i * page] = 2; /* one COW copy per page */
		report("child:", flt0);
		return 0;
	}
	waitpid(pid, NULL, 0);
	report("parent:", flt0);
	return 0;
}
