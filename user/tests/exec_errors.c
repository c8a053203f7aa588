/*
 * exec_errors: the errors execve(2) reports, each attempted in a forked
 * child (a wrongly successful exec can not take the driver down).
 * Modes: argv[1] == "ok" = a successful image that prints its argc and
 * argument sizes; any other image not started by the harness (argv[0] !=
 * "/bin/exec_errors") reports itself and exits 99.
 * Checks:
 *   ENOENT: missing file, empty path "", missing directory component;
 *   EACCES: regular file without any x bit (root too), a directory;
 *   ENOEXEC: random bytes with x bit and no "#!", an empty file, a bare
 *     "\177ELF" magic, this binary's ELF header with e_machine = ARM or
 *     e_type = ET_REL;
 *   ENOTDIR: a path through a regular file;
 *   EFAULT: filename pointer, argv pointer, argv element, envp pointer,
 *     envp element (raw syscalls);
 *   E2BIG: one argument (or environment string) of 131072 bytes plus NUL,
 *     longer than MAX_ARG_STRLEN (131071 bytes plus NUL works); with
 *     RLIMIT_STACK = 1 MiB the strings may use 1/4 of it: 3 x 100 KiB ->
 *     E2BIG while 2 x 100 KiB works, and 3 x 100 KiB works with the
 *     default 8 MiB stack limit;
 *   ENAMETOOLONG: a 300-byte component; a 4096-byte path (a 4095-byte
 *     one gets as far as ENOENT);
 *   ELOOP: a symlink pointing to itself; a symlink to this binary works.
 * Mirrors: execve(2) ERRORS, path_resolution(7), limits from execve(2)
 *   "Limits on size of arguments and environment" (MAX_ARG_STRLEN,
 *   RLIMIT_STACK / 4), elf(5).
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

#define BAD ((void *)0x10)

static char self[4096], dir[64];
static char *env_ok[] = {"PATH=/bin", NULL};

/* fork; the child lowers RLIMIT_STACK if asked and runs execve raw */
static void try(const char *what, const void *path, char *const *av, char *const *ev,
		long stack_limit)
{
	pid_t pid = fork();
	if (pid == 0) {
		if (stack_limit) {
			struct rlimit rl;
			getrlimit(RLIMIT_STACK, &rl);
			rl.rlim_cur = stack_limit;
			setrlimit(RLIMIT_STACK, &rl);
		}
		printf("%s: ", what); /* a successful image completes the line */
		long r = syscall(SYS_execve, path, av, ev);
		printf("%ld %s\n", r, en(errno));
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		printf("  (%s: child %s %d)\n", what, WIFEXITED(st) ? "exited" : "killed by signal",
		       WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
}

static void make_file(const char *name, const void *data, size_t len, mode_t mode)
{
	char p[128];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	int fd = open(p, O_CREAT | O_TRUNC | O_WRONLY, 0600);
	if (len)
		write(fd, data, len);
	close(fd);
	chmod(p, mode);
}

static char *in_dir(const char *name)
{
	static char bufs[8][128];
	static int n;
	char *p = bufs[n++ & 7];
	snprintf(p, 128, "%s/%s", dir, name);
	return p;
}

static char *repeat(int c, size_t n)
{
	char *s = malloc(n + 1);
	memset(s, c, n);
	s[n] = 0;
	return s;
}

static int ok_mode(int argc, char **argv, char **envp)
{
	size_t total = 0, longest = 0;
	for (int i = 0; i < argc; i++) {
		size_t l = strlen(argv[i]);
		total += l + 1;
		if (l > longest)
			longest = l;
	}
	int envc = 0;
	for (char **e = envp; *e; e++) {
		size_t l = strlen(*e);
		total += l + 1;
		if (l > longest)
			longest = l;
		envc++;
	}
	printf("[ok image] argc=%d envc=%d longest string %zu, total bytes %zu\n", argc, envc, longest,
	       total);
	return 0;
}

int main(int argc, char **argv, char **envp)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc >= 2 && strcmp(argv[1], "ok") == 0)
		return ok_mode(argc, argv, envp);
	if (argc < 1 || strcmp(argv[0], "/bin/exec_errors") != 0) {
		printf("unexpected image: argc=%d\n", argc);
		return 99;
	}

	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n < 0)
		return 1;
	self[n] = 0;
	snprintf(dir, sizeof dir, "/tmp/tine_exec_errors_%d", getpid());
	if (mkdir(dir, 0755) < 0) {
		printf("mkdir failed: %s\n", en(errno));
		return 1;
	}

	char *av[] = {"x", "ok", NULL};

	printf("-- ENOENT\n");
	try("missing file", in_dir("missing"), av, env_ok, 0);
	try("empty path", "", av, env_ok, 0);
	try("missing directory component", in_dir("nodir/x"), av, env_ok, 0);

	printf("-- EACCES\n");
	make_file("noexec", "#!/bin/sh\n", 10, 0644);
	try("file mode 0644", in_dir("noexec"), av, env_ok, 0);
	try("directory", dir, av, env_ok, 0);

	printf("-- ENOEXEC\n");
	unsigned char junk[512];
	unsigned x = 12345;
	for (size_t i = 0; i < sizeof junk; i++) {
		x = x * 1103515245 + 12345;
		junk[i] = x >> 16;
	}
	junk[0] = 'J';
	make_file("junk", junk, sizeof junk, 0755);
	try("random bytes, mode 0755", in_dir("junk"), av, env_ok, 0);
	make_file("empty", "", 0, 0755);
	try("empty file, mode 0755", in_dir("empty"), av, env_ok, 0);
	make_file("magic", ELFMAG, SELFMAG, 0755);
	try("bare \\177ELF magic", in_dir("magic"), av, env_ok, 0);
	make_file("hash", "# not a shebang\n", 16, 0755);
	try("'#' without '!'", in_dir("hash"), av, env_ok, 0);
	static unsigned char head[4096];
	int sfd = open(self, O_RDONLY);
	ssize_t hn = read(sfd, head, sizeof head);
	close(sfd);
	Elf64_Ehdr *eh = (Elf64_Ehdr *)head;
	if (hn == sizeof head) {
		Elf64_Half m = eh->e_machine, t = eh->e_type;
		eh->e_machine = EM_ARM;
		make_file("arm", head, sizeof head, 0755);
		eh->e_machine = m;
		eh->e_type = ET_REL;
		make_file("rel", head, sizeof head, 0755);
		eh->e_type = t;
	}
	try("ELF header with e_machine EM_ARM", in_dir("arm"), av, env_ok, 0);
	try("ELF header with e_type ET_REL", in_dir("rel"), av, env_ok, 0);

	printf("-- ENOTDIR\n");
	try("path through a regular file", in_dir("junk/x"), av, env_ok, 0);

	printf("-- EFAULT\n");
	try("filename pointer 0x10", BAD, av, env_ok, 0);
	try("argv pointer 0x10", self, BAD, env_ok, 0);
	char *av_bad[] = {"x", BAD, NULL};
	try("argv[1] == 0x10", self, av_bad, env_ok, 0);
	try("envp pointer 0x10", self, av, BAD, 0);
	char *ev_bad[] = {"A=1", BAD, NULL};
	try("envp[1] == 0x10", self, av, ev_bad, 0);

	printf("-- E2BIG\n");
	char *max_ok = repeat('a', 131071), *too_long = repeat('b', 131072);
	char *av_max[] = {"x", "ok", max_ok, NULL};
	try("argument of 131071 bytes", self, av_max, env_ok, 0);
	char *av_long[] = {"x", "ok", too_long, NULL};
	try("argument of 131072 bytes", self, av_long, env_ok, 0);
	char *env_long = repeat('c', 131072);
	memcpy(env_long, "BIG=", 4);
	char *ev_long[] = {env_long, NULL};
	try("environment string of 131072 bytes", self, av, ev_long, 0);
	char *k100a = repeat('d', 100 * 1024), *k100b = repeat('e', 100 * 1024),
	     *k100c = repeat('f', 100 * 1024);
	char *av300[] = {"x", "ok", k100a, k100b, k100c, NULL};
	char *av200[] = {"x", "ok", k100a, k100b, NULL};
	try("3 x 100 KiB with RLIMIT_STACK 1 MiB", self, av300, env_ok, 1 << 20);
	try("2 x 100 KiB with RLIMIT_STACK 1 MiB", self, av200, env_ok, 1 << 20);
	try("3 x 100 KiB with the default RLIMIT_STACK", self, av300, env_ok, 0);

	printf("-- ENAMETOOLONG\n");
	char longname[400];
	snprintf(longname, sizeof longname, "%s/%s", dir, repeat('n', 300));
	try("300-byte component", longname, av, env_ok, 0);
	char *p4096 = repeat('/', 4096), *p4095 = repeat('/', 4095);
	memcpy(p4096 + 4096 - 7, "missing", 7);
	memcpy(p4095 + 4095 - 7, "missing", 7);
	try("4095-byte path", p4095, av, env_ok, 0);
	try("4096-byte path", p4096, av, env_ok, 0);

	printf("-- ELOOP\n");
	int r1 = symlink(in_dir("loop"), in_dir("loop"));
	int r2 = symlink(self, in_dir("selflink"));
	printf("symlink(loop), symlink(self): %d %d\n", r1, r2);
	try("symlink to itself", in_dir("loop"), av, env_ok, 0);
	try("symlink to this binary", in_dir("selflink"), av, env_ok, 0);

	static const char *names[] = {"noexec", "junk", "empty", "magic", "hash", "arm", "rel",
				      "loop", "selflink"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		unlink(in_dir(names[i]));
	printf("rmdir: %d\n", rmdir(dir));
	return 0;
}
