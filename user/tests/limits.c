/*
 * limits: resource limits (getrlimit/setrlimit/prlimit), what a forked
 * child inherits of them, and the limits the kernel enforces:
 * RLIMIT_NOFILE, RLIMIT_FSIZE, RLIMIT_AS and RLIMIT_DATA; plus
 * getrusage's ru_maxrss, sysinfo and reboot's argument checks.
 * Checks:
 *   every resource (0..15) set to a known value is read back the same by
 *     a forked child and through prlimit(child); EINVAL for resource 16
 *     and soft > hard, EPERM for RLIMIT_NOFILE above nr_open and for an
 *     unprivileged raise of a hard limit, ESRCH, EFAULT;
 *   RLIMIT_NOFILE: open, dup, pipe and F_DUPFD give EMFILE at the limit
 *     (open with O_CREAT creating nothing), dup2 and F_DUPFD beyond the
 *     limit EBADF and EINVAL; lowering the limit keeps open descriptors;
 *   RLIMIT_FSIZE: a write crossing the limit is cut short, one at the
 *     limit fails with EFBIG and raises SIGXFSZ (ignored, blocked or
 *     fatal), ftruncate beyond it too; pipes do not care;
 *   RLIMIT_AS and RLIMIT_DATA: mmap and brk beyond them fail with ENOMEM,
 *     read-only and shared mappings do not count as data;
 *   getrusage: EINVAL for RUSAGE_BOTH and junk; ru_maxrss (KiB) covers
 *     the memory the process touched, RUSAGE_CHILDREN that of a child;
 *   sysinfo: mem_unit 1, sane totals, at least one process;
 *   reboot: EINVAL for bad magic numbers or an unknown command, EPERM
 *     when not root (nothing that would act is ever called).
 * Mirrors: getrlimit(2), fork(2) ("resource limits are inherited"),
 *   open(2) EMFILE, dup(2), write(2) EFBIG, mmap(2) ENOMEM, getrusage(2),
 *   sysinfo(2), reboot(2).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

static char path[64];

static void rc(const char *what, long r)
{
	if (r < 0)
		printf("%s: -1 %s\n", what, en(errno));
	else
		printf("%s: %ld\n", what, r);
}

static void lim(char *out, unsigned long v)
{
	if (v == RLIM_INFINITY)
		strcpy(out, "inf");
	else
		sprintf(out, "%lu", v);
}

static int wait_child(pid_t pid)
{
	int st;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Known values for every resource, below what any host hands out. */
static const struct rlimit known[16] = {
	{ 1000, 2000 },			/* CPU */
	{ 1 << 30, RLIM_INFINITY },	/* FSIZE */
	{ 1UL << 34, 1UL << 35 },	/* DATA */
	{ 8 << 20, 16 << 20 },		/* STACK */
	{ 0, 4096 },			/* CORE */
	{ RLIM_INFINITY, RLIM_INFINITY }, /* RSS */
	{ 4000, 5000 },			/* NPROC */
	{ 200, 300 },			/* NOFILE */
	{ 65536, 131072 },		/* MEMLOCK */
	{ 1UL << 36, RLIM_INFINITY },	/* AS */
	{ 77, 88 },			/* LOCKS */
	{ 500, 600 },			/* SIGPENDING */
	{ 8192, 819200 },		/* MSGQUEUE */
	{ 0, 0 },			/* NICE */
	{ 0, 0 },			/* RTPRIO */
	{ 1000000, RLIM_INFINITY },	/* RTTIME */
};

static void limits_section(void)
{
	printf("-- inherited limits\n");
	pid_t pid = fork();
	if (pid == 0) {
		for (int r = 0; r < 16; r++)
			if (setrlimit(r, &known[r]) < 0)
				printf("setrlimit(%d): %s\n", r, en(errno));
		int p[2];
		pipe(p);
		pid_t c = fork();
		if (c == 0) {
			char ok;
			for (int r = 0; r < 16; r++) {
				struct rlimit rl;
				getrlimit(r, &rl);
				char a[32], b[32];
				lim(a, rl.rlim_cur);
				lim(b, rl.rlim_max);
				printf("child: resource %2d: %s %s\n", r, a, b);
			}
			read(p[0], &ok, 1);
			_exit(0);
		}
		int same = 0;
		for (int r = 0; r < 16; r++) {
			struct rlimit rl;
			if (prlimit(c, r, NULL, &rl) == 0 && rl.rlim_cur == known[r].rlim_cur && rl.rlim_max == known[r].rlim_max)
				same++;
		}
		/* A change in the parent after the fork does not reach the child. */
		struct rlimit rl = { 100, 300 };
		setrlimit(RLIMIT_NOFILE, &rl);
		prlimit(c, RLIMIT_NOFILE, NULL, &rl);
		write(p[1], "x", 1);
		wait_child(c);
		printf("prlimit(child) matches for %d of 16; child's NOFILE after the parent's change: %lu\n", same,
		       (unsigned long)rl.rlim_cur);
		_exit(0);
	}
	wait_child(pid);

	printf("-- limit errors\n");
	struct rlimit rl;
	rc("getrlimit(16)", getrlimit(16, &rl));
	rc("prlimit(0, 16)", prlimit(0, 16, NULL, &rl));
	rl = (struct rlimit){ 10, 5 };
	rc("setrlimit(NOFILE, soft > hard)", setrlimit(RLIMIT_NOFILE, &rl));
	rl = (struct rlimit){ 10, RLIM_INFINITY };
	rc("setrlimit(NOFILE, hard infinite)", setrlimit(RLIMIT_NOFILE, &rl));
	rc("getrlimit(NOFILE, NULL)", syscall(SYS_getrlimit, RLIMIT_NOFILE, NULL));
	rc("setrlimit(NOFILE, NULL)", syscall(SYS_setrlimit, RLIMIT_NOFILE, NULL));
	rc("prlimit(bad new pointer, resource 99)", syscall(SYS_prlimit64, 0, 99, (void *)8, NULL));
	rc("prlimit(pid 999999)", prlimit(999999, RLIMIT_NOFILE, NULL, &rl));
	rc("prlimit(pid -1)", syscall(SYS_prlimit64, -1, RLIMIT_NOFILE, NULL, &rl));
	pid = fork();
	if (pid == 0) {
		struct rlimit r = { 64, 128 };
		setrlimit(RLIMIT_NOFILE, &r);
		setuid(65534);
		r = (struct rlimit){ 64, 256 };
		rc("unprivileged: raise NOFILE hard limit", setrlimit(RLIMIT_NOFILE, &r));
		r = (struct rlimit){ 128, 128 };
		rc("unprivileged: raise soft to hard", setrlimit(RLIMIT_NOFILE, &r));
		r = (struct rlimit){ 32, 64 };
		rc("unprivileged: lower both", setrlimit(RLIMIT_NOFILE, &r));
		r = (struct rlimit){ 32, 128 };
		rc("unprivileged: raise the hard limit back", setrlimit(RLIMIT_NOFILE, &r));
		rc("unprivileged: prlimit(parent) read", prlimit(getppid(), RLIMIT_NOFILE, NULL, &r));
		_exit(0);
	}
	wait_child(pid);
}

static void nofile_section(void)
{
	printf("-- RLIMIT_NOFILE\n");
	pid_t pid = fork();
	if (pid == 0) {
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
		struct rlimit rl = { 10, 10 };
		setrlimit(RLIMIT_NOFILE, &rl);
		int n = 0, fd;
		while ((fd = open("/dev/null", O_RDONLY)) >= 0)
			n++;
		printf("opened %d more (3 were open), then: %s\n", n, en(errno));
		rc("dup", dup(0));
		int p[2];
		rc("pipe", pipe(p));
		rc("fcntl(F_DUPFD, 5)", fcntl(0, F_DUPFD, 5));
		rc("fcntl(F_DUPFD, 10)", fcntl(0, F_DUPFD, 10));
		rc("dup2(0, 10)", dup2(0, 10));
		rc("dup2(0, 9) replacing", dup2(0, 9));
		rc("open(O_CREAT) of a new file", open(path, O_RDWR | O_CREAT, 0600));
		rc("access(that file)", access(path, F_OK));
		rc("open of a missing file", open("/nonexistent", O_RDONLY));
		close(9);
		rc("pipe with one free slot", pipe(p));
		rc("open with one free slot", open("/dev/null", O_RDONLY));
		rl = (struct rlimit){ 5, 10 };
		setrlimit(RLIMIT_NOFILE, &rl);
		char c;
		rc("read from fd 9 above the lowered limit", read(9, &c, 1));
		rc("dup with the lowered limit", dup(0));
		_exit(0);
	}
	wait_child(pid);
}

static void fsize_section(void)
{
	printf("-- RLIMIT_FSIZE\n");
	pid_t pid = fork();
	if (pid == 0) {
		signal(SIGXFSZ, SIG_IGN);
		struct rlimit rl = { 1000, 1000 };
		setrlimit(RLIMIT_FSIZE, &rl);
		int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
		char buf[600];
		memset(buf, 'a', sizeof buf);
		rc("write 600", write(fd, buf, 600));
		rc("write 600 more (crosses 1000)", write(fd, buf, 600));
		rc("write 1 at 1000", write(fd, buf, 1));
		rc("pwrite 10 at 995", pwrite(fd, buf, 10, 995));
		rc("pwrite 1 at 5000", pwrite(fd, buf, 1, 5000));
		rc("ftruncate(2000)", ftruncate(fd, 2000));
		rc("ftruncate(1000)", ftruncate(fd, 1000));
		rc("ftruncate(500)", ftruncate(fd, 500));
		int afd = open(path, O_WRONLY | O_APPEND);
		rc("append 600 at 500", write(afd, buf, 600));
		rc("size", lseek(fd, 0, SEEK_END));
		int p[2];
		pipe(p);
		char big[4096];
		memset(big, 'b', sizeof big);
		rc("pipe write of 4096", write(p[1], big, sizeof big));
		sigset_t s;
		sigemptyset(&s);
		sigaddset(&s, SIGXFSZ);
		signal(SIGXFSZ, SIG_DFL);
		sigprocmask(SIG_BLOCK, &s, NULL);
		rc("write at the limit, SIGXFSZ blocked", write(fd, buf, 1));
		sigset_t pend;
		sigpending(&pend);
		printf("SIGXFSZ pending: %s\n", sigismember(&pend, SIGXFSZ) ? "yes" : "no");
		_exit(0);
	}
	wait_child(pid);
	pid = fork();
	if (pid == 0) {
		struct rlimit rl = { 10, 10 };
		setrlimit(RLIMIT_FSIZE, &rl);
		int fd = open(path, O_WRONLY | O_TRUNC);
		write(fd, "0123456789", 10);
		write(fd, "x", 1);
		printf("still alive\n");
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	printf("SIGXFSZ default action: %s %d\n", WIFSIGNALED(st) ? "killed by" : "exited", WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
	unlink(path);
}

static void vm_section(void)
{
	printf("-- RLIMIT_AS and RLIMIT_DATA\n");
	pid_t pid = fork();
	if (pid == 0) {
		struct rlimit rl = { 256 << 20, 256 << 20 };
		setrlimit(RLIMIT_AS, &rl);
		void *p = mmap(NULL, 512 << 20, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		rc("AS 256 MiB: mmap 512 MiB", p == MAP_FAILED ? -1 : 0);
		p = mmap(NULL, 16 << 20, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		rc("AS 256 MiB: mmap 16 MiB", p == MAP_FAILED ? -1 : 0);
		munmap(p, 16 << 20);
		rl = (struct rlimit){ 32 << 20, 32 << 20 };
		setrlimit(RLIMIT_DATA, &rl);
		p = mmap(NULL, 64 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		rc("DATA 32 MiB: mmap 64 MiB private writable", p == MAP_FAILED ? -1 : 0);
		p = mmap(NULL, 64 << 20, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		rc("DATA 32 MiB: mmap 64 MiB read-only", p == MAP_FAILED ? -1 : 0);
		void *q = mmap(NULL, 64 << 20, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		rc("DATA 32 MiB: mmap 64 MiB shared writable", q == MAP_FAILED ? -1 : 0);
		void *r = mmap(NULL, 16 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		rc("DATA 32 MiB: mmap 16 MiB private writable", r == MAP_FAILED ? -1 : 0);
		void *s = mmap(NULL, 256 << 20, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		rc("AS: 256 MiB more", s == MAP_FAILED ? -1 : 0);
		munmap(p, 64 << 20);
		munmap(q, 64 << 20);
		rc("mmap 16 MiB MAP_FIXED over the 16 MiB mapping",
		   mmap(r, 16 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED ? -1 : 0);
		/* brk returns the old break when it cannot move. */
		long b0 = syscall(SYS_brk, 0);
		printf("brk(+64 MiB) refused: %s\n", syscall(SYS_brk, b0 + (64 << 20)) == b0 ? "yes" : "no");
		printf("brk(+1 MiB) moves: %s\n", syscall(SYS_brk, b0 + (1 << 20)) == b0 + (1 << 20) ? "yes" : "no");
		printf("brk(back) moves: %s\n", syscall(SYS_brk, b0) == b0 ? "yes" : "no");
		_exit(0);
	}
	wait_child(pid);
}

static void rusage_section(void)
{
	printf("-- getrusage\n");
	struct rusage ru;
	rc("getrusage(RUSAGE_BOTH)", getrusage(-2, &ru));
	rc("getrusage(5)", getrusage(5, &ru));
	rc("getrusage(bad pointer)", syscall(SYS_getrusage, RUSAGE_SELF, (void *)8));
	char *m = mmap(NULL, 8 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	for (long i = 0; i < 8 << 20; i += 4096)
		m[i] = 1;
	getrusage(RUSAGE_SELF, &ru);
	printf("self: ru_maxrss >= 8192 KiB after touching 8 MiB: %s\n", ru.ru_maxrss >= 8192 ? "yes" : "no");
	munmap(m, 8 << 20);
	getrusage(RUSAGE_SELF, &ru);
	printf("self: still >= 8192 after unmapping it: %s\n", ru.ru_maxrss >= 8192 ? "yes" : "no");
	getrusage(RUSAGE_THREAD, &ru);
	printf("thread: ru_maxrss >= 8192: %s\n", ru.ru_maxrss >= 8192 ? "yes" : "no");
	struct rusage before;
	getrusage(RUSAGE_CHILDREN, &before);
	pid_t pid = fork();
	if (pid == 0) {
		char *c = mmap(NULL, 32 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		for (long i = 0; i < 32 << 20; i += 4096)
			c[i] = 1;
		_exit(0);
	}
	wait_child(pid);
	getrusage(RUSAGE_CHILDREN, &ru);
	/* Linux 6.2+ sums RSS from per-CPU counters that may lag by a few
	 * batches at exit, so the bound leaves 4 MiB of slack. */
	printf("children: ru_maxrss >= 28672 after a child touched 32 MiB: %s (it was below before: %s)\n",
	       ru.ru_maxrss >= 28672 ? "yes" : "no", before.ru_maxrss < 28672 ? "yes" : "no");
}

static void sysinfo_section(void)
{
	printf("-- sysinfo\n");
	struct sysinfo si;
	rc("sysinfo", sysinfo(&si));
	printf("mem_unit %u, totalram > freeram > 0: %s, procs >= 1: %s, uptime >= 0: %s, swap %lu\n", si.mem_unit,
	       si.totalram > si.freeram && si.freeram > 0 ? "yes" : "no", si.procs >= 1 ? "yes" : "no",
	       si.uptime >= 0 ? "yes" : "no", si.totalswap);
	rc("sysinfo(bad pointer)", syscall(SYS_sysinfo, (void *)8));

	printf("-- reboot\n");
	rc("reboot(bad magic1)", syscall(SYS_reboot, 0x12345678, 672274793, 0x4321fedc, NULL));
	rc("reboot(bad magic2)", syscall(SYS_reboot, 0xfee1dead, 1, 0x4321fedc, NULL));
	rc("reboot(unknown command)", syscall(SYS_reboot, 0xfee1dead, 672274793, 0x11111111, NULL));
	pid_t pid = fork();
	if (pid == 0) {
		setuid(65534);
		rc("unprivileged reboot(power off)", syscall(SYS_reboot, 0xfee1dead, 672274793, 0x4321fedc, NULL));
		rc("unprivileged reboot(bad magic)", syscall(SYS_reboot, 0, 0, 0, NULL));
		_exit(0);
	}
	wait_child(pid);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	snprintf(path, sizeof path, "/tmp/limits.%d", getpid());
	limits_section();
	nofile_section();
	unlink(path);
	fsize_section();
	vm_section();
	rusage_section();
	sysinfo_section();
	return 0;
}
