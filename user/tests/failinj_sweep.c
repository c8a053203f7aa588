// tine-only
/*
 * failinj_sweep: every allocation of an operation fails in turn, and each
 * failure is an errno (ENOMEM, EAGAIN) or a signal where Linux gives one,
 * never a panic, a hang or a leak (the kernel's accounting at init's exit
 * must come back to its baseline, which xtask checks after this test).
 *
 * Tine-only (`// tine-only`, expected output in failinj_sweep.expected):
 * it drives Tine's fault injection, /proc/sys/kernel/tine_fail_page_alloc
 * (frames) and /proc/sys/kernel/tine_failslab (the fallible heap
 * allocations), which Linux does not have in this form (its
 * fail_page_alloc and failslab live in debugfs, need CONFIG_FAULT_INJECTION
 * and fail allocations no user program can pin down), so there is no
 * native reference.
 *
 * For each operation and each knob, for N = 1, 2, ...: a child writes
 * "nth:N" to the knob (the Nth allocation from then on fails, once), runs
 * the operation, reads the knob back ("off": the failure was injected)
 * and reports. The sweep of that operation ends at the first N the
 * operation never reached. Only outcomes outside the allowed ones are
 * printed, and per operation whether any failure was injected at all.
 * Operations: fork (+ the child's first writes), vfork, a thread
 * (pthread_create: mmap of its stack, clone), execve of this program,
 * mmap + touching 32 pages, pipe + 8 KiB through it (a short write is
 * Linux's answer when the second page cannot be had), copy-on-write faults
 * after fork, demand-zero faults (read, then write).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

static char self[4096];
static char *cow;

static void knob(const char *which, const char *val)
{
	char path[128];
	snprintf(path, sizeof path, "/proc/sys/kernel/tine_%s", which);
	int fd = open(path, O_WRONLY);
	if (fd < 0 || write(fd, val, strlen(val)) != (ssize_t)strlen(val)) {
		printf("knob %s: %s\n", path, en(errno));
		exit(1);
	}
	close(fd);
}

static int armed(const char *which)
{
	char path[128], buf[64] = "";
	snprintf(path, sizeof path, "/proc/sys/kernel/tine_%s", which);
	int fd = open(path, O_RDONLY);
	read(fd, buf, sizeof buf - 1);
	close(fd);
	return strncmp(buf, "off", 3) != 0;
}

/* Outcomes: "ok", an errno name, or "child signal N" / "child exit N". */
static char outcome[64];

static void child_status(int st)
{
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		strcpy(outcome, "ok");
	else if (WIFEXITED(st))
		snprintf(outcome, sizeof outcome, "child exit %d", WEXITSTATUS(st));
	else
		snprintf(outcome, sizeof outcome, "child signal %d", WTERMSIG(st));
}

static void op_fork(void)
{
	pid_t p = fork();
	if (p < 0) {
		strcpy(outcome, en(errno));
		return;
	}
	if (p == 0) {
		volatile char buf[8192];
		buf[0] = buf[8191] = 1;
		_exit(buf[0] - 1);
	}
	int st;
	waitpid(p, &st, 0);
	child_status(st);
}

static void op_vfork(void)
{
	pid_t p = vfork();
	if (p < 0) {
		strcpy(outcome, en(errno));
		return;
	}
	if (p == 0)
		_exit(0);
	int st;
	waitpid(p, &st, 0);
	child_status(st);
}

static void *thread_fn(void *a)
{
	return a;
}

static void op_thread(void)
{
	pthread_t t;
	int e = pthread_create(&t, NULL, thread_fn, NULL);
	if (e) {
		strcpy(outcome, en(e));
		return;
	}
	pthread_join(t, NULL);
	strcpy(outcome, "ok");
}

static void op_execve(void)
{
	pid_t p = fork();
	if (p < 0) {
		strcpy(outcome, en(errno));
		return;
	}
	if (p == 0) {
		char *argv[] = { self, "exit0", NULL };
		execv(self, argv);
		_exit(100 + errno);
	}
	int st;
	waitpid(p, &st, 0);
	child_status(st);
	if (!strcmp(outcome, "child exit 112"))
		strcpy(outcome, "ENOMEM");
}

static void op_mmap(void)
{
	char *m = mmap(NULL, 32 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		strcpy(outcome, en(errno));
		return;
	}
	for (int i = 0; i < 32; i++)
		m[i * 4096] = i;
	munmap(m, 32 * 4096);
	strcpy(outcome, "ok");
}

static void op_pipe(void)
{
	int fd[2];
	static char buf[8192];
	if (pipe(fd)) {
		strcpy(outcome, en(errno));
		return;
	}
	ssize_t w = write(fd[1], buf, sizeof buf);
	if (w < 0)
		strcpy(outcome, en(errno));
	else if (read(fd[0], buf, sizeof buf) != w)
		strcpy(outcome, "short read");
	else
		strcpy(outcome, w == sizeof buf ? "ok" : "short write");
	close(fd[0]);
	close(fd[1]);
}

static void op_cow(void)
{
	pid_t p = fork();
	if (p < 0) {
		strcpy(outcome, en(errno));
		return;
	}
	if (p == 0) {
		for (int i = 0; i < 16; i++)
			cow[i * 4096]++;
		_exit(0);
	}
	int st;
	waitpid(p, &st, 0);
	child_status(st);
	for (int i = 0; i < 16; i++)
		cow[i * 4096]++;
}

static void op_zero(void)
{
	char *m = mmap(NULL, 16 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		strcpy(outcome, en(errno));
		return;
	}
	int sum = 0;
	for (int i = 0; i < 16; i++)
		sum += ((volatile char *)m)[i * 4096];
	for (int i = 0; i < 16; i++)
		m[i * 4096] = 1;
	munmap(m, 16 * 4096);
	strcpy(outcome, sum ? "nonzero" : "ok");
}

struct op {
	const char *name;
	void (*fn)(void);
	/* Allowed outcomes besides "ok", separated by '|'. */
	const char *allowed;
};

static const struct op ops[] = {
	{ "fork", op_fork, "ENOMEM|EAGAIN|child signal 9" },
	{ "vfork", op_vfork, "ENOMEM|EAGAIN" },
	{ "thread", op_thread, "ENOMEM|EAGAIN" },
	{ "execve", op_execve, "ENOMEM|EAGAIN|child signal 9|child signal 11" },
	{ "mmap", op_mmap, "ENOMEM|child signal 9" },
	{ "pipe", op_pipe, "ENOMEM|ENFILE|EMFILE|short write" },
	{ "cow", op_cow, "ENOMEM|EAGAIN|child signal 9" },
	{ "zero", op_zero, "ENOMEM|child signal 9" },
};

static int allowed(const char *list, const char *o)
{
	size_t n = strlen(o);
	for (const char *p = list; *p;) {
		const char *bar = strchr(p, '|');
		size_t len = bar ? (size_t)(bar - p) : strlen(p);
		if (len == n && !strncmp(p, o, n))
			return 1;
		if (!bar)
			break;
		p = bar + 1;
	}
	return 0;
}

static void sweep(const struct op *op, const char *which)
{
	int injected = 0, n;
	for (n = 1; n < 2000; n++) {
		int fd[2];
		if (pipe(fd)) {
			printf("pipe: %s\n", en(errno));
			exit(1);
		}
		pid_t p = fork();
		if (p == 0) {
			char arm[32];
			close(fd[0]);
			snprintf(arm, sizeof arm, "nth:%d", n);
			knob(which, arm);
			op->fn();
			int hit = !armed(which);
			knob(which, "off");
			char rep[80];
			int len = snprintf(rep, sizeof rep, "%d %s", hit, outcome);
			write(fd[1], rep, len);
			_exit(0);
		}
		close(fd[1]);
		char rep[80] = "";
		ssize_t len = read(fd[0], rep, sizeof rep - 1);
		close(fd[0]);
		int st;
		waitpid(p, &st, 0);
		knob(which, "off");
		if (len <= 0) {
			/* The driving child itself died (its own fault failed). */
			if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL)
				printf("%s %s nth:%d: driver status %#x\n", op->name, which, n, st);
			injected = 1;
			continue;
		}
		rep[len] = 0;
		int hit = rep[0] == '1';
		const char *o = rep + 2;
		if (strcmp(o, "ok") && !(hit && allowed(op->allowed, o)))
			printf("%s %s nth:%d: %s%s\n", op->name, which, n, o, hit ? "" : " (nothing injected)");
		if (!hit)
			break;
		injected = 1;
	}
	printf("%s %s: %s\n", op->name, which, n >= 2000 ? "never finished" : injected ? "failures handled" : "nothing to fail");
}

int main(int argc, char **argv)
{
	if (argc > 1)
		return 0;
	setvbuf(stdout, NULL, _IONBF, 0);
	if (readlink("/proc/self/exe", self, sizeof self - 1) < 0)
		return 2;
	cow = mmap(NULL, 16 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(cow, 1, 16 * 4096);
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
		sweep(&ops[i], "fail_page_alloc");
		sweep(&ops[i], "failslab");
	}
	return 0;
}
