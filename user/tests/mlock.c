/*
 * mlock: mlock(2), mlock2(2), munlock(2), mlockall(2), munlockall(2):
 * argument checks, the locked size the process shows (VmLck in
 * /proc/self/status), RLIMIT_MEMLOCK, and what fork and exec do to locks.
 * Checks:
 *   errors: EINVAL for unknown flags (mlock2, mlockall, MCL_ONFAULT
 *     alone), ENOMEM for a range that is not (all) mapped, length 0 is
 *     fine anywhere;
 *   VmLck follows mlock/munlock (ranges rounded out to pages, overlaps
 *     counted once, MLOCK_ONFAULT included), mlockall(MCL_CURRENT) locks
 *     every mapping (VmLck = VmSize without the vDSO/vvar special
 *     mappings, which Linux never locks), MCL_FUTURE locks later mmaps,
 *     munlockall ends both;
 *   fork: the child has nothing locked (Linux: dup_mmap() clears
 *     VM_LOCKED), and MCL_FUTURE does not pass to it;
 *   exec: the new program has nothing locked;
 *   RLIMIT_MEMLOCK for an unprivileged process (a child that dropped
 *     root): ENOMEM past the limit, pages already locked counted once,
 *     EAGAIN for MAP_LOCKED past it, EPERM for everything with a limit
 *     of 0; munlock still works.
 * Mirrors: mlock(2) (ENOMEM, EPERM, EINVAL; "Memory locks are not
 *   inherited by a child created via fork(2)", "are automatically removed
 *   ... when the process terminates or starts another program with
 *   execve(2)"), proc(5) VmLck, getrlimit(2) RLIMIT_MEMLOCK.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

#define P 4096L

static void rc(const char *what, long r)
{
	if (r < 0)
		printf("%s: -1 %s\n", what, en(errno));
	else
		printf("%s: %ld\n", what, r);
}

/* The whole of a /proc file, read without stdio or malloc (which could
 * map memory, and so change what mlockall(MCL_FUTURE) locks). */
static char *slurp(const char *path)
{
	static char buf[65536];
	size_t n = 0;
	int fd = open(path, O_RDONLY);
	ssize_t r;
	while (fd >= 0 && n < sizeof buf - 1 && (r = read(fd, buf + n, sizeof buf - 1 - n)) > 0)
		n += r;
	if (fd >= 0)
		close(fd);
	buf[n] = 0;
	return buf;
}

/* A "Name:   N kB" line of /proc/self/status, in kB. */
static long status_kb(const char *name)
{
	char *s = slurp("/proc/self/status");
	size_t n = strlen(name);
	for (char *l = s; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (strncmp(l, name, n) == 0 && l[n] == ':')
			return strtol(l + n + 1, NULL, 10);
	return -1;
}

/* kB of the mappings Linux's mlockall never locks ([vvar], [vdso]). */
static long special_kb(void)
{
	char *s = slurp("/proc/self/maps");
	long kb = 0;
	for (char *l = s; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		char *end = strchr(l, '\n');
		unsigned long lo = strtoul(l, NULL, 16), hi = strtoul(strchr(l, '-') + 1, NULL, 16);
		char *v = strstr(l, "[vvar"), *d = strstr(l, "[vdso]");
		if ((v && (!end || v < end)) || (d && (!end || d < end)))
			kb += (hi - lo) / 1024;
	}
	return kb;
}

static void vmlck(const char *when)
{
	printf("VmLck %s: %ld kB\n", when, status_kb("VmLck"));
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "exec") == 0) {
		vmlck("after exec");
		char *p = mmap(NULL, 2 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		(void)p;
		vmlck("after exec and an mmap (MCL_FUTURE gone)");
		return 0;
	}
	setvbuf(stdout, NULL, _IONBF, 0);
	/* 16 pages with a hole of 2 after them. */
	char *m = mmap(NULL, 18 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(m + 16 * P, 2 * P);

	printf("-- errors\n");
	rc("mlock2(flags 2)", syscall(SYS_mlock2, m, P, 2));
	rc("mlock2(flags -1)", syscall(SYS_mlock2, m, P, -1));
	rc("mlockall(0)", mlockall(0));
	rc("mlockall(MCL_ONFAULT)", mlockall(MCL_ONFAULT));
	rc("mlockall(8)", mlockall(8));
	rc("mlock(unmapped)", mlock((void *)0x10000, P));
	rc("mlock(range running into a hole)", mlock(m + 15 * P, 2 * P));
	rc("munlock(unmapped)", munlock((void *)0x10000, P));
	rc("mlock(unmapped, 0)", mlock((void *)0x10000, 0));
	vmlck("after the partial mlock");
	munlock(m, 16 * P);

	printf("-- VmLck\n");
	vmlck("at start");
	rc("mlock 4 pages", mlock(m, 4 * P));
	vmlck("after mlock 4 pages");
	rc("mlock pages 3..6 (overlapping)", mlock(m + 3 * P, 4 * P));
	vmlck("after the overlap");
	rc("mlock 1 byte at page 9 + 100, 4000 bytes (rounds to 2 pages)", mlock(m + 9 * P + 100, 4000));
	vmlck("after the unaligned mlock");
	rc("munlock pages 1..2", munlock(m + P, 2 * P));
	vmlck("after munlock 2 pages");
	rc("munlock all 16", munlock(m, 16 * P));
	vmlck("after munlock all");
	rc("mlock2 MLOCK_ONFAULT 3 pages", syscall(SYS_mlock2, m, 3 * P, MLOCK_ONFAULT));
	vmlck("after mlock2 ONFAULT");
	munlock(m, 16 * P);
	rc("mlockall(MCL_CURRENT)", mlockall(MCL_CURRENT));
	long size = status_kb("VmSize"), lck = status_kb("VmLck");
	printf("VmLck == VmSize without [vvar]/[vdso]: %s\n", lck == size - special_kb() ? "yes" : "no");
	rc("munlockall", munlockall());
	vmlck("after munlockall");
	rc("mlockall(MCL_FUTURE)", mlockall(MCL_FUTURE));
	vmlck("after MCL_FUTURE (nothing yet)");
	char *f = mmap(NULL, 8 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	vmlck("after an 8-page mmap");
	char *g = mmap(NULL, 2 * P, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	vmlck("after a 2-page PROT_NONE mmap");
	munmap(g, 2 * P);
	munmap(f, 8 * P);
	vmlck("after munmap");
	munlockall();
	char *h = mmap(NULL, 2 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_LOCKED | MAP_ANONYMOUS, -1, 0);
	vmlck("after MAP_LOCKED 2 pages");
	munmap(h, 2 * P);

	printf("-- fork\n");
	mlock(m, 4 * P);
	mlockall(MCL_FUTURE);
	pid_t pid = fork();
	if (pid == 0) {
		vmlck("child");
		char *c = mmap(NULL, 4 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		(void)c;
		vmlck("child after an mmap (no MCL_FUTURE)");
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	vmlck("parent");
	munlockall();

	printf("-- exec\n");
	pid = fork();
	if (pid == 0) {
		char self[4096];
		ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
		if (len < 0)
			_exit(1);
		self[len] = 0;
		mlockall(MCL_CURRENT | MCL_FUTURE);
		printf("child before exec: locked: %s\n", status_kb("VmLck") > 0 ? "yes" : "no");
		execl(self, argv[0], "exec", (char *)NULL);
		_exit(2);
	}
	waitpid(pid, &st, 0);

	printf("-- RLIMIT_MEMLOCK\n");
	pid = fork();
	if (pid == 0) {
		struct rlimit rl = { 4 * P, 4 * P };
		setrlimit(RLIMIT_MEMLOCK, &rl);
		if (setuid(65534) < 0)
			printf("setuid failed\n");
		rc("mlock 5 pages, limit 4", mlock(m, 5 * P));
		rc("mlock 3 pages", mlock(m, 3 * P));
		rc("mlock pages 2..4 (2 already locked)", mlock(m + 2 * P, 2 * P));
		rc("mlock page 4", mlock(m + 4 * P, P));
		rc("mlock2 ONFAULT page 4", syscall(SYS_mlock2, m + 4 * P, P, MLOCK_ONFAULT));
		void *x = mmap(NULL, P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0);
		rc("mmap MAP_LOCKED 1 page", x == MAP_FAILED ? -1 : 0);
		rc("mlockall(MCL_CURRENT)", mlockall(MCL_CURRENT));
		rc("mlockall(MCL_FUTURE)", mlockall(MCL_FUTURE));
		x = mmap(NULL, P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		rc("mmap 1 page with MCL_FUTURE", x == MAP_FAILED ? -1 : 0);
		munlockall();
		rc("munlock 2 pages", munlock(m, 2 * P));
		vmlck("unprivileged");
		rl.rlim_cur = 0;
		setrlimit(RLIMIT_MEMLOCK, &rl);
		rc("limit 0: mlock", mlock(m, P));
		rc("limit 0: mlock2", syscall(SYS_mlock2, m, P, 0));
		rc("limit 0: mlockall", mlockall(MCL_FUTURE));
		x = mmap(NULL, P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0);
		rc("limit 0: mmap MAP_LOCKED", x == MAP_FAILED ? -1 : 0);
		rc("limit 0: munlock", munlock(m, 4 * P));
		rc("limit 0: munlockall", munlockall());
		vmlck("unprivileged, limit 0");
		_exit(0);
	}
	waitpid(pid, &st, 0);
	printf("child exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return 0;
}
