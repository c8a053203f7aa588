/*
 * memfd_seals: write seals and mappings.
 * Checks: F_SEAL_WRITE is EBUSY while a shared mapping that may write
 *   exists, even one mapped read-only from a descriptor open for writing,
 *   and succeeds once it is gone; F_SEAL_FUTURE_WRITE is allowed with
 *   such a mapping, which can still store (and the store is seen through
 *   read), while write(2) is EPERM; under either seal a new MAP_SHARED
 *   PROT_WRITE mapping is EPERM, a shared read-only one cannot be made
 *   writable with mprotect (EACCES), and a private writable mapping
 *   works (its stores stay private); F_GET_SEALS shows both seals.
 * Mirrors: memfd_create(2) and fcntl(2) "File Sealing", mm/memfd.c
 *   memfd_add_seals() and memfd_check_seals_mmap().
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x10
#endif

static void show(const char *what, long r)
{
	printf("%-44s %ld %s\n", what, r, r < 0 ? strerror(errno) : "");
}

static long mapped(void *p)
{
	return p == MAP_FAILED ? -1 : 0;
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	int fd = syscall(SYS_memfd_create, "seals", MFD_ALLOW_SEALING);
	ftruncate(fd, 8192);

	char *ro = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	show("F_SEAL_WRITE, shared read-only mapping", fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
	munmap(ro, 4096);

	char *w = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	show("F_SEAL_FUTURE_WRITE, shared writable map", fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE));
	show("write after F_SEAL_FUTURE_WRITE", write(fd, "x", 1));
	w[0] = 'y';
	char c = 0;
	pread(fd, &c, 1, 0);
	printf("store through the old mapping seen: %c\n", c);
	show("mmap shared writable", mapped(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)));
	char *r2 = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	show("mmap shared read-only", mapped(r2));
	show("mprotect it writable", mprotect(r2, 4096, PROT_READ | PROT_WRITE));
	show("F_SEAL_WRITE, old writable mapping", fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
	munmap(w, 4096);
	show("F_SEAL_WRITE, it unmapped", fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
	show("F_GET_SEALS", fcntl(fd, F_GET_SEALS));
	show("mmap shared writable", mapped(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)));
	show("mprotect shared read-only writable", mprotect(r2, 4096, PROT_READ | PROT_WRITE));
	char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	show("mmap private writable", mapped(p));
	p[0] = 'z';
	pread(fd, &c, 1, 0);
	printf("private store: mapping %c, file %c, shared view %c\n", p[0], c, r2[0]);
	show("mprotect private read-only", mprotect(p, 4096, PROT_READ));
	show("mprotect private writable again", mprotect(p, 4096, PROT_READ | PROT_WRITE));
	return 0;
}
