/*
 * mremap: growing, shrinking and moving mappings with mremap(2).
 * Checks:
 *   errors: EINVAL for unknown flags, MREMAP_FIXED or MREMAP_DONTUNMAP
 *     without MREMAP_MAYMOVE, DONTUNMAP with a change of size, an
 *     unaligned address, a new length of 0, overlapping FIXED ranges, an
 *     old length of 0 on a private mapping; EFAULT for an unmapped old
 *     range and one spanning two mappings; ENOMEM when the mapping cannot
 *     grow in place and may not move;
 *   shrinking unmaps the tail (SIGSEGV-free probe via mincore-less
 *     msync ENOMEM), growing in place keeps the address and the data,
 *     growing with MAYMOVE moves the data to a new address and unmaps the
 *     old one; MREMAP_FIXED moves to the address given, replacing what
 *     was there; MREMAP_DONTUNMAP moves the pages and leaves the old range
 *     mapped and reading zeros;
 *   a moved MAP_SHARED mapping stays shared with a child forked before;
 *     old length 0 on a shared mapping makes a second view of the same
 *     pages; a private file mapping moves with its copied page and its
 *     file pages;
 *   the vDSO: growing it is EFAULT, moving part of it EINVAL.
 * Mirrors: mremap(2) (EINVAL, EFAULT, ENOMEM, MREMAP_DONTUNMAP,
 *   "If the value of old_size is zero, and old_address refers to a
 *   shareable mapping...").
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

#define P 4096UL

static void report(const char *what, void *r)
{
	if (r == MAP_FAILED)
		printf("%s: %s\n", what, strerror(errno));
	else
		printf("%s: ok\n", what);
}

/* Whether [p, p + len) is mapped (msync fails with ENOMEM on a hole). */
static int mapped(void *p, size_t len)
{
	return msync(p, len, MS_ASYNC) == 0;
}

static void *vdso_range(size_t *len)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[256];
	unsigned long lo = 0, hi = 0;
	while (fgets(line, sizeof line, f))
		if (strstr(line, "[vdso]"))
			sscanf(line, "%lx-%lx", &lo, &hi);
	fclose(f);
	*len = hi - lo;
	return (void *)lo;
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	/* Four pages with a guard page after them, so that growing in place
	 * is impossible until the guard goes. */
	char *a = mmap(NULL, 6 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(a + 5 * P, P);
	mprotect(a + 4 * P, P, PROT_NONE);
	for (int i = 0; i < 4; i++)
		a[i * P] = 'a' + i;

	report("unknown flag", mremap(a, P, P, 8));
	report("FIXED without MAYMOVE", mremap(a, P, P, MREMAP_FIXED, a + 8 * P));
	report("DONTUNMAP without MAYMOVE", mremap(a, P, P, MREMAP_DONTUNMAP));
	report("DONTUNMAP growing", mremap(a, P, 2 * P, MREMAP_MAYMOVE | MREMAP_DONTUNMAP));
	report("unaligned", mremap(a + 1, P, P, 0));
	report("new length 0", mremap(a, P, 0, MREMAP_MAYMOVE));
	report("FIXED overlapping", mremap(a, 2 * P, 2 * P, MREMAP_MAYMOVE | MREMAP_FIXED, a + P));
	report("private, old length 0", mremap(a, 0, P, MREMAP_MAYMOVE));
	report("unmapped", mremap(a + 5 * P, P, P, 0));
	report("across two mappings", mremap(a + 3 * P, 2 * P, 2 * P, 0));
	report("cannot grow in place", mremap(a, 4 * P, 5 * P, 0));

	char *r = mremap(a, 4 * P, 3 * P, 0);
	printf("shrink: same address %d, tail mapped %d, data %c%c%c\n", r == a, mapped(a + 3 * P, P), a[0], a[P], a[2 * P]);
	munmap(a + 4 * P, P); /* the guard */
	r = mremap(a, 3 * P, 5 * P, 0);
	printf("grow in place: same address %d, data %c%c%c, new page %d\n", r == a, a[0], a[P], a[2 * P], a[4 * P]);
	a[4 * P] = 'e';
	/* Block it again and grow with MAYMOVE. */
	char *block = mmap(a + 5 * P, P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	char *m = mremap(a, 5 * P, 8 * P, MREMAP_MAYMOVE);
	printf("grow and move: moved %d, data %c%c%c%c%c, old mapped %d\n", m != a && m != MAP_FAILED, m[0], m[P],
	       m[2 * P], m[3 * P], m[4 * P], mapped(a, P));
	munmap(block, P);

	/* MREMAP_FIXED onto an existing mapping replaces it. */
	char *target = mmap(NULL, 2 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	target[0] = 'T';
	char *f = mremap(m, 2 * P, 2 * P, MREMAP_MAYMOVE | MREMAP_FIXED, target);
	printf("FIXED: at target %d, data %c%c\n", f == target, f[0], f[P]);

	/* MREMAP_DONTUNMAP: the pages move, the old range stays, empty. */
	char *d = mremap(m + 2 * P, P, P, MREMAP_MAYMOVE | MREMAP_DONTUNMAP);
	printf("DONTUNMAP: data %c, old mapped %d, old reads %d\n", d[0], mapped(m + 2 * P, P), m[2 * P]);

	/* A shared mapping moved after fork stays shared with the child. */
	char *s = mmap(NULL, P, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int pfd[2];
	pipe(pfd);
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		read(pfd[0], &c, 1);
		s[0] = 'C';
		_exit(0);
	}
	char *s2 = mremap(s, P, 2 * P, MREMAP_MAYMOVE);
	write(pfd[1], "x", 1);
	waitpid(pid, NULL, 0);
	printf("shared moved: sees the child's write %d\n", s2[0] == 'C');
	/* Old length 0: a second view of the same shared pages. */
	char *view = mremap(s2, 0, P, MREMAP_MAYMOVE);
	s2[1] = 'V';
	printf("second view: %d, same bytes %d\n", view != MAP_FAILED && view != s2, view != MAP_FAILED && view[1] == 'V');

	/* A private file mapping: a copied page and a file page move. */
	char path[] = "/tmp/mremapXXXXXX";
	int fd = mkstemp(path);
	char buf[2 * P];
	memset(buf, 'F', sizeof buf);
	write(fd, buf, sizeof buf);
	char *fm = mmap(NULL, 2 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	fm[0] = 'p';
	char *fm2 = mremap(fm, 2 * P, 2 * P, MREMAP_MAYMOVE | MREMAP_FIXED, target + 8 * P);
	printf("file: %c%c\n", fm2[0], fm2[P]);
	unlink(path);
	close(fd);

	size_t vlen;
	char *vdso = vdso_range(&vlen);
	report("grow the vDSO", mremap(vdso, vlen, vlen + P, MREMAP_MAYMOVE));
	if (vlen > P)
		report("move part of the vDSO", mremap(vdso, P, P, MREMAP_MAYMOVE | MREMAP_FIXED, target + 16 * P));
	else
		printf("move part of the vDSO: Invalid argument\n");
	return 0;
}
