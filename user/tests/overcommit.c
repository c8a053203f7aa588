/*
 * overcommit: under Linux's default heuristic (vm.overcommit_memory 0),
 * one private writable request larger than all of RAM is refused with
 * ENOMEM (mmap, brk, mprotect making it writable, shared anonymous
 * memory), while MAP_NORESERVE, read-only mappings and requests of half
 * of RAM are granted, untouched. Committed_AS rises by what a private
 * writable mapping commits and falls when it goes.
 * Mirrors: proc(5) (/proc/sys/vm/overcommit_memory, Committed_AS),
 *   mmap(2) (ENOMEM, MAP_NORESERVE), Documentation/mm/overcommit-accounting.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "testlib.h"

static long meminfo_kb(const char *key)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	long v = -1;
	while (f && fgets(line, sizeof line, f))
		if (!strncmp(line, key, strlen(key)))
			v = atol(line + strlen(key));
	if (f)
		fclose(f);
	return v;
}

static void try_map(const char *what, size_t len, int prot, int flags)
{
	void *p = mmap(NULL, len, prot, flags, -1, 0);
	printf("%s: %s\n", what, p == MAP_FAILED ? en(errno) : "mapped");
	if (p != MAP_FAILED)
		munmap(p, len);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	FILE *f = fopen("/proc/sys/vm/overcommit_memory", "r");
	int mode = -1;
	if (f) {
		fscanf(f, "%d", &mode);
		fclose(f);
	}
	printf("overcommit_memory: %d\n", mode);
	size_t ram = (size_t)meminfo_kb("MemTotal:") * 1024;
	int rw = PROT_READ | PROT_WRITE, priv = MAP_PRIVATE | MAP_ANONYMOUS;
	try_map("private rw, twice RAM", 2 * ram, rw, priv);
	try_map("private rw, RAM + 1 GiB", ram + (1UL << 30), rw, priv);
	try_map("private rw, half of RAM", ram / 2, rw, priv);
	try_map("private rw NORESERVE, twice RAM", 2 * ram, rw, priv | MAP_NORESERVE);
	try_map("private read-only, twice RAM", 2 * ram, PROT_READ, priv);
	try_map("shared anonymous, twice RAM", 2 * ram, rw, MAP_SHARED | MAP_ANONYMOUS);
	try_map("shared anonymous NORESERVE, twice RAM", 2 * ram, rw, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE);

	void *p = mmap(NULL, 2 * ram, PROT_READ, priv, -1, 0);
	printf("mprotect(twice RAM, rw): %s\n", rc_str(mprotect(p, 2 * ram, rw)));
	printf("mprotect(half of RAM, rw): %s\n", rc_str(mprotect(p, ram / 2, rw)));
	munmap(p, 2 * ram);

	errno = 0;
	void *brk0 = sbrk(0);
	void *r = sbrk(2 * ram);
	printf("sbrk(twice RAM): %s\n", r == (void *)-1 ? en(errno) : "moved");
	printf("break unchanged: %d\n", sbrk(0) == brk0);

	/* Committed_AS follows a private writable mapping in and out. */
	long before = meminfo_kb("Committed_AS:");
	size_t len = 256UL << 20;
	void *m = mmap(NULL, len, rw, priv, -1, 0);
	long during = meminfo_kb("Committed_AS:");
	munmap(m, len);
	long after = meminfo_kb("Committed_AS:");
	printf("Committed_AS rose by about 256 MiB: %d, fell back: %d\n",
	       during - before > 250 * 1024 && during - before < 262 * 1024,
	       after - before < 4 * 1024 && before - after < 4 * 1024);
	/* drop_caches is write-only, even for root (sysctl's test_perm()). */
	int fd = open("/proc/sys/vm/drop_caches", O_RDONLY);
	printf("open drop_caches for reading: %s\n", fd < 0 ? en(errno) : "opened");
	printf("CommitLimit is half of RAM (no swap): %d\n", labs(meminfo_kb("CommitLimit:") - meminfo_kb("MemTotal:") / 2) < 1024);
	return 0;
}
