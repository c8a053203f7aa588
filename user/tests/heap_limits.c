/*
 * heap_limits: what a program can make the kernel allocate is bounded the
 * way Linux bounds it, and the bound is an errno, never a crash. Each of
 * these once exhausted Tine's kernel heap and panicked it.
 * Checks:
 *   setgroups: the count is an int (setgroups(2): "size"; Linux reads the
 *     low 32 bits of the register), so (1 << 32) | 3 sets 3 groups; over
 *     NGROUPS_MAX (65536) and negative counts are EINVAL; exactly 65536
 *     works, and 64 children forked with that list (shared by Linux's
 *     struct group_info) all see it;
 *   execve: 4 million argv pointers to one 100 KiB string are E2BIG
 *     (execve(2): the strings may use RLIMIT_STACK / 4, at most 6 MiB),
 *     found while counting, before anything is copied; one 131072-byte
 *     string is E2BIG (MAX_ARG_STRLEN), with RLIMIT_STACK unlimited too;
 *   symlink: a 4095-byte target works, 4096 bytes is ENAMETOOLONG
 *     (PATH_MAX counts the NUL); a chain of 40 symlinks, each a 4000-byte
 *     "./././..." path to the next, resolves and 41 is ELOOP
 *     (path_resolution(7): at most 40 links); 20000 such symlinks are
 *     created (on Tine /tmp may fill first: ENOSPC or ENOMEM is allowed,
 *     printed the same) and removed, and the file system works after;
 *   pipes: with RLIMIT_NOFILE raised to 12000, 5000 pipes each filled
 *     with 64 KiB (320 MiB in all, more than Tine's kernel heap; Linux
 *     keeps pipe data in pages, and so does Tine now) all take their
 *     data, which reads back intact; then all are closed.
 * Mirrors: setgroups(2), execve(2), symlink(2), path_resolution(7),
 *   pipe(7) "Pipe capacity".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

static long rc(long r) { return r < 0 ? -errno : r; }
static const char *ers(long r) { return r < 0 ? en((int)-r) : "OK"; }

static void groups(void)
{
	static gid_t list[65537];
	for (int i = 0; i < 65537; i++)
		list[i] = 1000 + i;
	printf("setgroups 65537: %s\n", ers(rc(syscall(SYS_setgroups, 65537L, list))));
	printf("setgroups -1: %s\n", ers(rc(syscall(SYS_setgroups, -1L, list))));
	printf("setgroups (1<<32)|3: %s\n", ers(rc(syscall(SYS_setgroups, (1L << 32) | 3, list))));
	printf("getgroups: %d\n", getgroups(0, NULL));
	printf("setgroups 65536: %s\n", ers(rc(syscall(SYS_setgroups, 65536L, list))));
	fflush(stdout);
	int ok = 0;
	for (int i = 0; i < 64; i++) {
		pid_t p = fork();
		if (p == 0) {
			static gid_t got[65536];
			int n = getgroups(65536, got);
			_exit(n == 65536 && got[65535] == 1000 + 65535 ? 0 : 1);
		}
		int st;
		if (p > 0 && waitpid(p, &st, 0) == p && WIFEXITED(st) && WEXITSTATUS(st) == 0)
			ok++;
	}
	printf("children seeing 65536 groups: %d\n", ok);
	setgroups(0, NULL);
}

static void exec_limits(char *self)
{
	size_t n = 4u << 20;
	char **argv = malloc((n + 2) * sizeof *argv);
	char *s = malloc(100 << 10);
	memset(s, 'a', (100 << 10) - 1);
	s[(100 << 10) - 1] = 0;
	argv[0] = self;
	for (size_t i = 1; i <= n; i++)
		argv[i] = s;
	argv[n + 1] = NULL;
	char *env[] = { NULL };
	printf("execve 4M x 100KiB: %s\n", ers(rc(syscall(SYS_execve, self, argv, env))));
	char *big = malloc(131073);
	memset(big, 'b', 131072);
	big[131072] = 0;
	char *argv2[] = { self, big, NULL };
	printf("execve 131072-byte arg: %s\n", ers(rc(syscall(SYS_execve, self, argv2, env))));
	struct rlimit old, inf = { RLIM_INFINITY, RLIM_INFINITY };
	getrlimit(RLIMIT_STACK, &old);
	setrlimit(RLIMIT_STACK, &inf);
	printf("execve 4M x 100KiB, stack unlimited: %s\n", ers(rc(syscall(SYS_execve, self, argv, env))));
	printf("execve 131072-byte arg, stack unlimited: %s\n", ers(rc(syscall(SYS_execve, self, argv2, env))));
	setrlimit(RLIMIT_STACK, &old);
	free(argv);
	free(s);
	free(big);
}

static char target[4097];

static void symlinks(void)
{
	char dir[64], name[128];
	snprintf(dir, sizeof dir, "/tmp/heap_limits.%d", getpid());
	mkdir(dir, 0755);
	if (chdir(dir) != 0) {
		perror("chdir");
		return;
	}
	memset(target, 'x', 4096);
	target[4096] = 0;
	printf("symlink 4096: %s\n", ers(rc(symlink(target, "long"))));
	target[4095] = 0;
	printf("symlink 4095: %s\n", ers(rc(symlink(target, "long"))));
	char buf[4200];
	printf("readlink 4095: %ld\n", (long)readlink("long", buf, sizeof buf));
	unlink("long");

	/* c0 -> ./././.../c1 -> ... -> c40 -> ... c41 = a directory. */
	mkdir("c41", 0755);
	for (int i = 0; i <= 40; i++) {
		int pad = 4000 - snprintf(name, sizeof name, "c%d", i + 1);
		for (int j = 0; j + 2 <= pad; j += 2)
			memcpy(target + j, "./", 2);
		int len = pad & ~1;
		strcpy(target + len, name);
		snprintf(name, sizeof name, "c%d", i);
		if (symlink(target, name) != 0)
			printf("symlink %s: %s\n", name, en(errno));
	}
	struct stat st;
	printf("stat 40 links: %s\n", ers(rc(stat("c1", &st))));
	printf("stat 41 links: %s\n", ers(rc(stat("c0", &st))));
	for (int i = 0; i <= 40; i++) {
		snprintf(name, sizeof name, "c%d", i);
		unlink(name);
	}
	rmdir("c41");

	memset(target, 'y', 4095);
	target[4095] = 0;
	int made = 0, bad = 0;
	for (int i = 0; i < 20000; i++) {
		snprintf(name, sizeof name, "s%d", i);
		if (symlink(target, name) == 0) {
			made++;
			continue;
		}
		if (errno != ENOSPC && errno != ENOMEM) {
			printf("symlink %d: %s\n", i, en(errno));
			bad++;
		}
		break;
	}
	int gone = 0;
	for (int i = 0; i < made; i++) {
		snprintf(name, sizeof name, "s%d", i);
		if (unlink(name) == 0)
			gone++;
	}
	printf("symlinks: bad %d, removed all made %d\n", bad, gone == made);
	printf("symlink after: %s\n", ers(rc(symlink(target, "after"))));
	unlink("after");
	chdir("/");
	rmdir(dir);
}

static void pipes(void)
{
	enum { N = 5000, SZ = 65536 };
	struct rlimit r = { 12000, 12000 };
	printf("raise NOFILE: %s\n", ers(rc(setrlimit(RLIMIT_NOFILE, &r))));
	static int fd[N][2];
	static char buf[SZ];
	int made = 0, full = 0, intact = 0;
	for (int i = 0; i < N; i++) {
		if (pipe2(fd[i], O_NONBLOCK) != 0) {
			printf("pipe %d: %s\n", i, en(errno));
			break;
		}
		made++;
		memset(buf, 'a' + i % 26, SZ);
		ssize_t w = write(fd[i][1], buf, SZ);
		if (w == SZ)
			full++;
		else if (i == made - 1 && full == i)
			printf("write %d: %zd %s\n", i, w, w < 0 ? en(errno) : "");
	}
	for (int i = 0; i < made; i++) {
		ssize_t n = read(fd[i][0], buf, SZ);
		if (n == SZ && buf[0] == 'a' + i % 26 && buf[SZ - 1] == 'a' + i % 26)
			intact++;
		close(fd[i][0]);
		close(fd[i][1]);
	}
	printf("pipes %d, full %d, intact %d\n", made, full, intact);
}

int main(int argc, char **argv)
{
	if (argc > 1) {
		printf("exec'd with %d args\n", argc);
		return 1;
	}
	setvbuf(stdout, NULL, _IONBF, 0);
	static char self[4096];
	if (readlink("/proc/self/exe", self, sizeof self - 1) < 0)
		return 2;
	(void)argv;
	groups();
	exec_limits(self);
	symlinks();
	pipes();
	return 0;
}
