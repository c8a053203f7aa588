/*
 * shared_vs_private: what fork(2) shares and what it copies, per mapping
 * type and madvise(2) fork flags.
 * Checks:
 *   anonymous MAP_SHARED vs MAP_PRIVATE: the child's writes are seen by
 *     the parent only in the shared mapping; the parent's later writes are
 *     seen by the child only in the shared mapping;
 *   MAP_SHARED of a /tmp file sized with ftruncate: the child writes
 *     through its inherited mapping, the parent sees the bytes through its
 *     own mapping and through pread(2); a pwrite(2) by the parent shows up
 *     in a later child's mapping; the parent's MAP_PRIVATE mapping of the
 *     file, not yet written, shows the child's bytes too (Linux behaviour;
 *     mmap(2) leaves it unspecified); a MAP_PRIVATE mapping written by a
 *     child changes neither the file nor the parent's views;
 *   MADV_DONTFORK: the child has no mapping there (a read kills it with
 *     SIGSEGV), the parent keeps its data; after MADV_DOFORK a child
 *     reads the data;
 *   MADV_WIPEONFORK on private anonymous memory: the child reads zeros,
 *     the parent keeps its data; on a MAP_SHARED mapping -> EINVAL;
 *     after MADV_KEEPONFORK a child sees the data again;
 *   after fork the child munmaps one page and mprotects another of a
 *     shared region: the rest stays shared both ways, the parent's
 *     mapping is unaffected, and the child's write to its read-only page
 *     kills it with SIGSEGV.
 * Mirrors: fork(2) ("Memory mappings... MAP_SHARED... shared"; "madvise
 *   MADV_DONTFORK... not inherited"), mmap(2) MAP_SHARED/MAP_PRIVATE,
 *   madvise(2) MADV_DONTFORK/MADV_DOFORK/MADV_WIPEONFORK/MADV_KEEPONFORK,
 *   mprotect(2), munmap(2).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

#define PG 4096UL

#ifndef MADV_WIPEONFORK
#define MADV_WIPEONFORK 18
#define MADV_KEEPONFORK 19
#endif

static int all(const volatile unsigned char *p, size_t n, unsigned char v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return 0;
	return 1;
}

static const char *yesno(int b) { return b ? "yes" : "no"; }

static void *map(int prot, int flags, int fd, size_t len)
{
	void *p = mmap(NULL, len, prot, flags, fd, 0);
	if (p == MAP_FAILED)
		printf("mmap failed: %s\n", en(errno));
	return p;
}

/* two one-way pipes for lock-step between parent and child */
static int to_child[2], to_parent[2];
static void sync_init(void) { pipe(to_child); pipe(to_parent); }
static void signal_other(int fd) { write(fd, "s", 1); }
static void wait_other(int fd) { char c; read(fd, &c, 1); }

static void anon(void)
{
	printf("-- anonymous shared vs private\n");
	unsigned char *sh = map(PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 4 * PG);
	unsigned char *pr = map(PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 4 * PG);
	memset(sh, 'A', 4 * PG);
	memset(pr, 'a', 4 * PG);
	sync_init();
	pid_t pid = fork();
	if (pid == 0) {
		memset(sh, 'B', 4 * PG);
		memset(pr, 'b', 4 * PG);
		signal_other(to_parent[1]);
		wait_other(to_child[0]);
		_exit((all(sh, 4 * PG, 'C') ? 0 : 1) | (all(pr, 4 * PG, 'b') ? 0 : 2));
	}
	wait_other(to_parent[0]);
	printf("parent sees child's write in shared: %s, in private: %s (still 'a': %s)\n",
	       yesno(all(sh, 4 * PG, 'B')), yesno(all(pr, 4 * PG, 'b')), yesno(all(pr, 4 * PG, 'a')));
	memset(sh, 'C', 4 * PG);
	memset(pr, 'c', 4 * PG);
	signal_other(to_child[1]);
	int st;
	waitpid(pid, &st, 0);
	printf("child sees parent's later write in shared and keeps its private copy: %s\n",
	       WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "yes" : st_str(st));
	munmap(sh, 4 * PG);
	munmap(pr, 4 * PG);
}

static void file(void)
{
	char path[64], b[32] = {0};
	int st;
	printf("-- MAP_SHARED / MAP_PRIVATE file\n");
	snprintf(path, sizeof path, "/tmp/tine_svp_%d", getpid());
	int fd = open(path, O_CREAT | O_EXCL | O_RDWR, 0600);
	printf("ftruncate(3 pages): %s\n", rc_str(ftruncate(fd, 3 * PG)));
	char *m = map(PROT_READ | PROT_WRITE, MAP_SHARED, fd, 3 * PG);
	char *pm = map(PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 3 * PG);
	pid_t pid = fork();
	if (pid == 0) {
		memcpy(m + PG + 10, "hello from child", 16);
		m[3 * PG - 1] = 'Z';
		_exit(0);
	}
	waitpid(pid, &st, 0);
	printf("child %s; parent's mapping: \"%.16s\", last byte '%c'\n", st_str(st), m + PG + 10,
	       m[3 * PG - 1]);
	printf("pread: %s \"%.16s\"\n", rc_str(pread(fd, b, 16, PG + 10)), b);
	printf("parent's MAP_PRIVATE view of the same page sees it too: %s\n",
	       yesno(memcmp(pm + PG + 10, "hello from child", 16) == 0));
	printf("pwrite at 2 pages: %s\n", rc_str(pwrite(fd, "via pwrite", 10, 2 * PG)));
	pid = fork();
	if (pid == 0)
		_exit(memcmp(m + 2 * PG, "via pwrite", 10) == 0 ? 0 : 1);
	waitpid(pid, &st, 0);
	printf("later child sees the pwrite in its mapping: %s\n",
	       WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "yes" : st_str(st));

	/* a child writes a MAP_PRIVATE file mapping: nobody else sees it */
	pid = fork();
	if (pid == 0) {
		memcpy(pm, "private scribble", 16);
		_exit(memcmp(pm, "private scribble", 16) == 0 ? 0 : 1);
	}
	waitpid(pid, &st, 0);
	memset(b, 0, sizeof b);
	pread(fd, b, 16, 0);
	printf("child writes its MAP_PRIVATE copy: %s; file unchanged: %s; parent's private view unchanged: %s; shared view unchanged: %s\n",
	       WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "ok" : st_str(st), yesno(all((unsigned char *)b, 16, 0)),
	       yesno(all((unsigned char *)pm, 16, 0)), yesno(all((unsigned char *)m, 16, 0)));
	munmap(m, 3 * PG);
	munmap(pm, 3 * PG);
	close(fd);
	unlink(path);
}

static void dontfork(void)
{
	int st;
	printf("-- MADV_DONTFORK\n");
	unsigned char *r = map(PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 2 * PG);
	memset(r, 'D', 2 * PG);
	printf("madvise(MADV_DONTFORK): %s\n", rc_str(madvise(r, 2 * PG, MADV_DONTFORK)));
	pid_t pid = fork();
	if (pid == 0) {
		volatile unsigned char x = r[PG];
		(void)x;
		_exit(0);
	}
	waitpid(pid, &st, 0);
	printf("child reading it: %s; parent still has its data: %s\n", st_str(st),
	       yesno(all(r, 2 * PG, 'D')));
	printf("madvise(MADV_DOFORK): %s\n", rc_str(madvise(r, 2 * PG, MADV_DOFORK)));
	pid = fork();
	if (pid == 0)
		_exit(all(r, 2 * PG, 'D') ? 0 : 1);
	waitpid(pid, &st, 0);
	printf("child after MADV_DOFORK reads the data: %s\n",
	       WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "yes" : st_str(st));
	munmap(r, 2 * PG);
}

static void wipeonfork(void)
{
	int st;
	printf("-- MADV_WIPEONFORK\n");
	unsigned char *r = map(PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 3 * PG);
	memset(r, 'W', 3 * PG);
	printf("madvise(MADV_WIPEONFORK): %s\n", rc_str(madvise(r, 3 * PG, MADV_WIPEONFORK)));
	pid_t pid = fork();
	if (pid == 0) {
		int zero = all(r, 3 * PG, 0);
		memset(r, 'x', 3 * PG); /* still mapped and writable */
		_exit(zero && all(r, 3 * PG, 'x') ? 0 : 1);
	}
	waitpid(pid, &st, 0);
	printf("child reads zeros and can write: %s; parent keeps its data: %s\n",
	       WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "yes" : st_str(st), yesno(all(r, 3 * PG, 'W')));
	printf("madvise(MADV_KEEPONFORK): %s\n", rc_str(madvise(r, 3 * PG, MADV_KEEPONFORK)));
	pid = fork();
	if (pid == 0)
		_exit(all(r, 3 * PG, 'W') ? 0 : 1);
	waitpid(pid, &st, 0);
	printf("child after MADV_KEEPONFORK reads the data: %s\n",
	       WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "yes" : st_str(st));
	void *s = map(PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, PG);
	printf("madvise(shared mapping, MADV_WIPEONFORK): %s\n", rc_str(madvise(s, PG, MADV_WIPEONFORK)));
	munmap(s, PG);
	munmap(r, 3 * PG);
}

static void partial(void)
{
	int st;
	printf("-- munmap/mprotect part of a shared region after fork\n");
	unsigned char *sh = map(PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 4 * PG);
	memset(sh, '0', 4 * PG);
	sync_init();
	pid_t pid = fork();
	if (pid == 0) {
		int a = munmap(sh + PG, PG);
		int b = mprotect(sh + 2 * PG, PG, PROT_READ);
		signal_other(to_parent[1]);
		wait_other(to_child[0]); /* the parent has written pages 0..3 */
		int ok = a == 0 && b == 0 && all(sh, PG, 'p') && all(sh + 2 * PG, PG, 'p') &&
			 all(sh + 3 * PG, PG, 'p');
		memset(sh + 3 * PG, 'c', PG);
		write(to_parent[1], &ok, sizeof ok);
		wait_other(to_child[0]);
		sh[2 * PG] = 'c'; /* read-only in the child: SIGSEGV */
		_exit(0);
	}
	wait_other(to_parent[0]);
	memset(sh, 'p', 4 * PG); /* the parent's mapping is still whole and writable */
	signal_other(to_child[1]);
	int ok = 0;
	read(to_parent[0], &ok, sizeof ok);
	printf("child (after munmap page 1, mprotect page 2 RO) sees parent's writes on pages 0,2,3: %s\n",
	       yesno(ok));
	printf("parent sees child's write on page 3: %s; page 1 still mapped here with its data: %s\n",
	       yesno(all(sh + 3 * PG, PG, 'c')), yesno(all(sh + PG, PG, 'p')));
	signal_other(to_child[1]);
	waitpid(pid, &st, 0);
	printf("child writing its read-only page: %s; parent's page 2 unchanged: %s\n", st_str(st),
	       yesno(all(sh + 2 * PG, PG, 'p')));
	munmap(sh, 4 * PG);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	struct rlimit nocore = {0, 0};
	setrlimit(RLIMIT_CORE, &nocore);
	anon();
	file();
	dontfork();
	wipeonfork();
	partial();
	return 0;
}
