/*
 * fork_big_regions: what fork promises for large mappings stays true when
 * the child (or the parent) changes part of one afterwards: munmap,
 * mprotect, MADV_DONTNEED, MAP_FIXED over a piece, a write. On Tine these
 * regions' leaf page tables are shared by fork and unshared by the first
 * change (core/src/mm/ptshare.rs); on Linux they are copied at fork. Both
 * must give the same results.
 * Checks: a private 8 MiB region at an unaligned address and a shared
 * 4 MiB region, filled with patterns, then fork:
 *   the child unmaps one page and 64 KiB, makes a page read-only (and
 *   takes the SIGSEGV of writing it), drops a page with MADV_DONTNEED,
 *   maps fresh memory over a piece with MAP_FIXED, writes a few words,
 *   then checksums its whole view; the parent, after the child is gone,
 *   checksums its own view (unchanged by all of that) and sees the
 *   child's writes to the shared region; then a second child that only
 *   reads, and a third that exits at once, leave the parent's memory as it
 *   was while the parent writes after each of them.
 * Mirrors: fork(2) (separate memory spaces; MAP_SHARED stays shared),
 *   munmap(2), mprotect(2), madvise(2) MADV_DONTNEED, mmap(2) MAP_FIXED.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096UL
#define PRIV_SIZE (8UL << 20)
#define SHARED_SIZE (4UL << 20)

static sigjmp_buf jump;

static void on_segv(int sig)
{
	(void)sig;
	siglongjmp(jump, 1);
}

static uint64_t pattern(uint64_t seed, size_t i)
{
	return (seed * 0x9e3779b97f4a7c15ULL) ^ (i * 0x100000001b3ULL);
}

static void fill(uint64_t *p, size_t size, uint64_t seed)
{
	for (size_t i = 0; i < size / 8; i += 64)
		p[i] = pattern(seed, i);
}

/* A checksum of every 64th word of [p, p + size), skipping the unmapped
 * ranges [hole[k], hole[k] + hole_len[k]). */
static uint64_t sum_holes(const uint64_t *p, size_t size, const char *const *hole, const size_t *hole_len, int holes)
{
	uint64_t s = 0;
	for (size_t i = 0; i < size / 8; i += 64) {
		const char *a = (const char *)&p[i];
		int skip = 0;
		for (int k = 0; k < holes; k++)
			skip |= a >= hole[k] && a < hole[k] + hole_len[k];
		if (!skip)
			s = s * 31 + p[i];
	}
	return s;
}

static uint64_t sum(const uint64_t *p, size_t size)
{
	return sum_holes(p, size, NULL, NULL, 0);
}

static int run_child_changes(uint64_t *priv, uint64_t *shared)
{
	char *base = (char *)priv;
	/* munmap: one page, and 64 KiB across what may be a 2 MiB boundary. */
	if (munmap(base + 3 * PAGE, PAGE) || munmap(base + (2UL << 20) - 8 * PAGE, 16 * PAGE))
		return 1;
	/* mprotect one page read-only, and fail to write it. */
	char *ro = base + (5UL << 20) + 7 * PAGE;
	if (mprotect(ro, PAGE, PROT_READ))
		return 2;
	signal(SIGSEGV, on_segv);
	int faulted = 0;
	if (sigsetjmp(jump, 1) == 0)
		*(volatile char *)ro = 1;
	else
		faulted = 1;
	printf("child: write to the read-only page faulted: %d\n", faulted);
	/* MADV_DONTNEED: the page reads as zeros afterwards. */
	char *dn = base + (6UL << 20) + 3 * PAGE;
	if (madvise(dn, PAGE, MADV_DONTNEED))
		return 3;
	printf("child: after MADV_DONTNEED the page reads %lu\n", (unsigned long)*(volatile uint64_t *)dn);
	/* MAP_FIXED over 3 pages: fresh zeros. */
	char *fx = base + (7UL << 20);
	if (mmap(fx, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != fx)
		return 4;
	printf("child: MAP_FIXED page reads %lu\n", (unsigned long)*(volatile uint64_t *)(fx + PAGE));
	/* Writes, private and shared. */
	for (size_t off = 0; off < PRIV_SIZE; off += 1UL << 20) {
		char *p = base + off + 9 * PAGE;
		if (p >= ro && p < ro + PAGE)
			continue;
		*(uint64_t *)p = off;
	}
	for (size_t off = 0; off < SHARED_SIZE; off += 512 * 1024)
		shared[off / 8] = 0xc0ffee + off;
	const char *holes[2] = { base + 3 * PAGE, base + (2UL << 20) - 8 * PAGE };
	const size_t lens[2] = { PAGE, 16 * PAGE };
	printf("child: view of its private region %016llx\n", (unsigned long long)sum_holes(priv, PRIV_SIZE, holes, lens, 2));
	return 0;
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	/* An unaligned private region: 8 MiB plus a page, starting one page in. */
	char *raw = mmap(NULL, PRIV_SIZE + 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t *shared = mmap(NULL, SHARED_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED || shared == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	uint64_t *priv = (uint64_t *)(raw + PAGE);
	fill(priv, PRIV_SIZE, 1);
	fill(shared, SHARED_SIZE, 2);
	uint64_t before = sum(priv, PRIV_SIZE);
	uint64_t shared_before = sum(shared, SHARED_SIZE);

	pid_t pid = fork();
	if (pid == 0)
		_exit(run_child_changes(priv, shared));
	int status;
	waitpid(pid, &status, 0);
	printf("child 1 exit status %d\n", WEXITSTATUS(status));
	printf("parent: private region unchanged: %d\n", sum(priv, PRIV_SIZE) == before);
	printf("parent: sees the child's shared writes: %d (changed %d)\n",
	       shared[512 * 1024 / 8] == 0xc0ffee + 512 * 1024, sum(shared, SHARED_SIZE) != shared_before);

	/* A child that only reads, then the parent writes everywhere. */
	int fds[2];
	if (pipe(fds))
		return 1;
	pid = fork();
	if (pid == 0) {
		char c;
		read(fds[0], &c, 1); /* after the parent's writes */
		printf("child 2: still sees the pre-write view: %d\n", sum(priv, PRIV_SIZE) == before);
		_exit(0);
	}
	fill(priv, PRIV_SIZE, 3);
	write(fds[1], "x", 1);
	waitpid(pid, &status, 0);
	uint64_t after = sum(priv, PRIV_SIZE);
	printf("parent: its own writes landed: %d\n", after != before);

	/* A child that exits at once; the parent's memory is its own again. */
	pid = fork();
	if (pid == 0)
		_exit(0);
	waitpid(pid, &status, 0);
	fill(priv, PRIV_SIZE, 4);
	fill(priv, PRIV_SIZE, 3);
	printf("parent: after a third fork and rewrites, same view: %d\n", sum(priv, PRIV_SIZE) == after);
	return 0;
}
