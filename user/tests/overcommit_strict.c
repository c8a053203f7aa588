// tine-only
/*
 * overcommit_strict: vm.overcommit_memory = 2 (never overcommit): the
 * total committed may not pass CommitLimit (overcommit_ratio percent of
 * RAM, or overcommit_kbytes), less the admin reserve for non-root. A
 * mapping that would pass it is ENOMEM, and so is a fork whose child
 * would commit its parent's private writable memory again (dup_mmap()),
 * which no loop can get around; MAP_NORESERVE does not help in this
 * mode. Setting the ratio clears overcommit_kbytes and back. Mode 0 is
 * restored at the end, and the sysctls reject values out of range.
 *
 * Tine-only (`// tine-only`, expected output in overcommit_strict.expected):
 * run natively it would switch the host machine itself to strict
 * overcommit, which the tests must never do.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

/* A /proc/meminfo field, read without malloc (which strict overcommit
 * may refuse). */
static long meminfo_kb(const char *key)
{
	static char b[4096];
	int fd = open("/proc/meminfo", O_RDONLY);
	long n = fd < 0 ? -1 : read(fd, b, sizeof b - 1);
	close(fd);
	if (n < 0)
		return -1;
	b[n] = 0;
	char *at = strstr(b, key);
	return at ? atol(at + strlen(key)) : -1;
}

static const char *put(const char *path, const char *v)
{
	int fd = open(path, O_WRONLY);
	if (fd < 0)
		return en(errno);
	long r = write(fd, v, strlen(v));
	int e = errno;
	close(fd);
	return r < 0 ? en(e) : "OK";
}

static long get(const char *path)
{
	char b[32] = {0};
	int fd = open(path, O_RDONLY);
	read(fd, b, sizeof b - 1);
	close(fd);
	return atol(b);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	const char *mode = "/proc/sys/vm/overcommit_memory", *ratio = "/proc/sys/vm/overcommit_ratio",
		   *kbytes = "/proc/sys/vm/overcommit_kbytes";
	printf("mode 3: %s\n", put(mode, "3"));
	printf("mode -1: %s\n", put(mode, "-1"));
	printf("mode 2: %s\n", put(mode, "2"));
	long ram_kb = meminfo_kb("MemTotal:");
	long limit_kb = meminfo_kb("CommitLimit:");
	printf("CommitLimit = half of RAM: %d\n", labs(limit_kb - ram_kb / 2) < 1024);

	size_t third = (size_t)ram_kb * 1024 / 3;
	int rw = PROT_READ | PROT_WRITE, priv = MAP_PRIVATE | MAP_ANONYMOUS;
	void *a = mmap(NULL, third, rw, priv, -1, 0);
	printf("a third of RAM: %s\n", a == MAP_FAILED ? en(errno) : "mapped");
	void *b = mmap(NULL, third, rw, priv, -1, 0);
	printf("another third: %s\n", b == MAP_FAILED ? en(errno) : "mapped");
	void *c = mmap(NULL, third, rw, priv | MAP_NORESERVE, -1, 0);
	printf("another third, MAP_NORESERVE: %s\n", c == MAP_FAILED ? en(errno) : "mapped");
	void *ro = mmap(NULL, third, PROT_READ, priv, -1, 0);
	printf("a read-only third: %s\n", ro == MAP_FAILED ? en(errno) : "mapped");
	printf("  made writable: %s\n", rc_str(mprotect(ro, third, rw)));
	long committed = meminfo_kb("Committed_AS:");
	printf("Committed_AS holds the first third: %d\n", committed * 1024 >= (long)third && committed <= limit_kb);

	/* The child would commit the same third again: past the limit. */
	pid_t p = fork();
	if (p == 0)
		_exit(0);
	printf("fork: %s\n", p < 0 ? en(errno) : "forked");
	if (p > 0)
		waitpid(p, NULL, 0);
	munmap(a, third);
	p = fork();
	if (p == 0)
		_exit(7);
	int st = 0;
	if (p > 0)
		waitpid(p, &st, 0);
	printf("fork after unmapping it: %s, child %s\n", p < 0 ? en(errno) : "forked", p > 0 ? st_str(st) : "-");

	/* ratio and kbytes exclude each other. */
	const char *r = put(kbytes, "1000");
	printf("kbytes 1000: %s; ratio now %ld\n", r, get(ratio));
	printf("CommitLimit from kbytes: %ld kB\n", meminfo_kb("CommitLimit:"));
	void *d = mmap(NULL, 1 << 20, rw, priv, -1, 0);
	printf("1 MiB under a 1000 kB limit: %s\n", d == MAP_FAILED ? en(errno) : "mapped");
	r = put(ratio, "50");
	printf("ratio 50: %s; kbytes now %ld\n", r, get(kbytes));
	printf("mode 0: %s\n", put(mode, "0"));
	void *e = mmap(NULL, third * 2, rw, priv, -1, 0);
	printf("two thirds under the heuristic: %s\n", e == MAP_FAILED ? en(errno) : "mapped");
	return 0;
}
