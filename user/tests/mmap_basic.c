/*
 * mmap_basic: anonymous memory management and the program break.
 * Checks: anonymous private mmap is zero-filled and writable; MAP_FIXED
 * over part of an existing mapping replaces just that page (zeroed);
 * mprotect(PROT_READ) leaves the data readable by the kernel (write(2)
 * from it to a pipe); PROT_NONE -> PROT_READ|PROT_WRITE works; munmap
 * of a middle page splits the mapping; error cases: mmap len 0,
 * unaligned MAP_FIXED address, no MAP_PRIVATE/MAP_SHARED, unaligned
 * munmap, munmap len 0 -> EINVAL; non-anonymous mmap of fd -1 -> EBADF;
 * mprotect over an unmapped (or partly unmapped) range -> ENOMEM.
 * brk(2): raw brk(0) is page aligned and above the bss, growing and
 * shrinking returns the new break, a bogus low request returns the
 * current break unchanged; malloc small/large blocks work.
 * Mirrors: mmap(2), munmap(2), mprotect(2), brk(2).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "testlib.h"

#define PG 4096UL

/* print "-1 ERR" or "ok" for calls returning 0/-1 */
static void rc(const char *what, long r)
{
	if (r < 0)
		printf("%s: -1 %s\n", what, en(errno));
	else
		printf("%s: %ld\n", what, r);
}

static void mm(const char *what, void *p)
{
	if (p == MAP_FAILED)
		printf("%s: MAP_FAILED %s\n", what, en(errno));
	else
		printf("%s: mapped\n", what);
}

static int all(const unsigned char *p, size_t n, unsigned char v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return 0;
	return 1;
}

extern char end[]; /* end of bss, from the linker */

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);

	unsigned char *a = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	mm("mmap(3 pages, RW, PRIVATE|ANON)", a);
	if (a == MAP_FAILED)
		return 1;
	printf("page aligned: %s\n", ((uintptr_t)a & (PG - 1)) == 0 ? "yes" : "no");
	printf("zero filled: %s\n", all(a, 3 * PG, 0) ? "yes" : "no");
	memset(a, 0xab, 3 * PG);
	printf("after memset 0xab, reads back: %s\n", all(a, 3 * PG, 0xab) ? "yes" : "no");

	void *f = mmap(a + PG, PG, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	printf("MAP_FIXED over middle page returns same address: %s\n",
	       f == (void *)(a + PG) ? "yes" : "no");
	printf("middle zeroed: %s, first intact: %s, last intact: %s\n",
	       all(a + PG, PG, 0) ? "yes" : "no", all(a, PG, 0xab) ? "yes" : "no",
	       all(a + 2 * PG, PG, 0xab) ? "yes" : "no");

	/* read-only memory is still a valid source for write(2) */
	strcpy((char *)a, "read-only data");
	rc("mprotect(a, 3 pages, PROT_READ)", mprotect(a, 3 * PG, PROT_READ));
	int p[2];
	if (pipe(p) != 0)
		return 1;
	rc("write(pipe, ro page, 15)", write(p[1], a, 15));
	char back[16] = {0};
	rc("read(pipe)", read(p[0], back, 15));
	printf("pipe data: \"%s\"\n", back);
	/* and it must not be a valid destination for read(2) */
	write(p[1], "xyz", 3);
	rc("read(pipe, ro page, 3)", read(p[0], a, 3));
	close(p[0]);
	close(p[1]);

	rc("mprotect(a, 3 pages, PROT_NONE)", mprotect(a, 3 * PG, PROT_NONE));
	rc("mprotect(a, 3 pages, PROT_READ|PROT_WRITE)", mprotect(a, 3 * PG, PROT_READ | PROT_WRITE));
	a[2 * PG] = 7;
	printf("write after re-protect: a[2*PG]=%d, a[0]='%c'\n", a[2 * PG], a[0]);

	rc("munmap(middle page)", munmap(a + PG, PG));
	rc("mprotect(3 pages with hole)", mprotect(a, 3 * PG, PROT_READ));
	rc("mprotect(first page)", mprotect(a, PG, PROT_READ | PROT_WRITE));
	rc("munmap(whole range incl. hole)", munmap(a, 3 * PG));
	rc("mprotect(unmapped range)", mprotect(a, PG, PROT_READ));
	rc("munmap(already unmapped range)", munmap(a, PG));

	errno = 0;
	mm("mmap(len 0)", mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	mm("mmap(MAP_FIXED, addr+1)", mmap(a + 1, PG, PROT_READ,
					   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
	mm("mmap(neither PRIVATE nor SHARED)", mmap(NULL, PG, PROT_READ, MAP_ANONYMOUS, -1, 0));
	mm("mmap(fd -1, not ANON)", mmap(NULL, PG, PROT_READ, MAP_PRIVATE, -1, 0));
	rc("munmap(addr+1)", munmap(a + 1, PG));
	rc("munmap(len 0)", munmap(a, 0));
	/* raw syscall: musl's mprotect() rounds the address down itself */
	rc("mprotect(addr+1) [raw]", syscall(SYS_mprotect, a + 1, PG, PROT_READ));
	rc("mprotect(addr, len 0)", mprotect(a, 0, PROT_READ));

	/* the program break, via the raw syscall (libc sbrk may not support it) */
	uintptr_t b0 = (uintptr_t)syscall(SYS_brk, 0);
	printf("brk(0) > 0: %s, page aligned: %s, >= &end: %s\n", b0 ? "yes" : "no",
	       (b0 & (PG - 1)) == 0 ? "yes" : "no", b0 >= (uintptr_t)end ? "yes" : "no");
	uintptr_t b1 = (uintptr_t)syscall(SYS_brk, b0 + 16 * PG);
	printf("brk(b0 + 64KiB) == b0 + 64KiB: %s\n", b1 == b0 + 16 * PG ? "yes" : "no");
	if (b1 == b0 + 16 * PG) {
		unsigned char *h = (unsigned char *)b0;
		printf("new heap zero filled: %s\n", all(h, 16 * PG, 0) ? "yes" : "no");
		memset(h, 0x5a, 16 * PG);
		printf("new heap writable: %s\n", all(h, 16 * PG, 0x5a) ? "yes" : "no");
	}
	uintptr_t b2 = (uintptr_t)syscall(SYS_brk, b0 + PG);
	printf("brk(b0 + 4KiB) shrink == b0 + 4KiB: %s\n", b2 == b0 + PG ? "yes" : "no");
	uintptr_t b3 = (uintptr_t)syscall(SYS_brk, 0x1000);
	printf("brk(0x1000) fails, returns current break: %s\n", b3 == b2 ? "yes" : "no");
	uintptr_t b4 = (uintptr_t)syscall(SYS_brk, b0 + 2 * PG);
	printf("regrow to b0 + 8KiB: %s, reclaimed page zeroed: %s\n",
	       b4 == b0 + 2 * PG ? "yes" : "no",
	       b4 == b0 + 2 * PG && all((unsigned char *)b0 + PG, PG, 0) ? "yes" : "no");
	printf("data below old break kept: %s\n",
	       b4 == b0 + 2 * PG && all((unsigned char *)b0, PG, 0x5a) ? "yes" : "no");

	void *s0 = sbrk(0);
	char *small[64];
	for (int i = 0; i < 64; i++) {
		small[i] = malloc(100);
		if (small[i])
			memset(small[i], i, 100);
	}
	char *big = malloc(4 << 20);
	if (big)
		memset(big, 1, 4 << 20);
	int ok = big != NULL;
	for (int i = 0; i < 64; i++)
		ok &= small[i] && all((unsigned char *)small[i], 100, (unsigned char)i);
	printf("64 small + one 4MiB malloc usable: %s\n", ok ? "yes" : "no");
	printf("sbrk(0) after >= before: %s\n", (uintptr_t)sbrk(0) >= (uintptr_t)s0 ? "yes" : "no");
	free(big);
	for (int i = 0; i < 64; i++)
		free(small[i]);
	return 0;
}
