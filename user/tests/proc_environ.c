/*
 * proc_environ: /proc/PID/cmdline and /proc/PID/environ are read from the
 * process's own memory, where exec put the strings, and /proc/PID/stat
 * says where that is. The test re-executes itself with a fixed argv and
 * environment so that the bytes are the same on every kernel.
 * Checks:
 *   environ is the environment strings, NUL-terminated, end to end;
 *     cmdline the argument strings; reads at an offset give the rest;
 *   stat's arg_start, arg_end, env_start, env_end (fields 48-51) are
 *     argv[0], the end of the last argument, environ[0] and the end of
 *     the last variable;
 *   rewriting an argument in place shows in cmdline; a title written
 *     over the last argument's NUL runs on into the environment and
 *     cmdline stops at its first NUL (setproctitle);
 *   a parent sees its child's rewritten environment; after the child
 *     exits, a descriptor opened before reads nothing;
 *   environ is 0400; another user gets EACCES opening it, and sees 1 for
 *     the code bounds and 0 for the layout in stat.
 * Run as root (natively too). Mirrors: proc(5).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

extern char **environ;

/* The whole of `path` (at most `cap` bytes), its length or -errno. */
static long slurp(const char *path, char *buf, long cap)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	long n = 0, r;
	while (n < cap && (r = read(fd, buf + n, cap - n)) > 0)
		n += r;
	close(fd);
	return n;
}

/* `n` bytes with each NUL shown as '|'. */
static void show(const char *what, const char *buf, long n)
{
	printf("%s (%ld):", what, n);
	putchar(' ');
	for (long i = 0; i < n; i++)
		putchar(buf[i] ? buf[i] : '|');
	putchar('\n');
}

/* Field `f` (1-based) of /proc/PID/stat, after the command's ')'. */
static unsigned long stat_field(const char *path, int f)
{
	char b[2048];
	long n = slurp(path, b, sizeof b - 1);
	if (n < 0)
		return (unsigned long)-1;
	b[n] = 0;
	char *p = strrchr(b, ')') + 2;
	for (int i = 3; i < f; i++)
		p = strchr(p, ' ') + 1;
	return strtoul(p, NULL, 10);
}

static void layout(int argc, char **argv)
{
	const char *last = argv[argc - 1];
	int envc = 0;
	while (environ[envc])
		envc++;
	const char *elast = environ[envc - 1];
	printf("arg_start is argv[0]: %d\n", stat_field("/proc/self/stat", 48) == (unsigned long)argv[0]);
	printf("arg_end ends the last argument: %d\n",
	       stat_field("/proc/self/stat", 49) == (unsigned long)(last + strlen(last) + 1));
	printf("env_start is environ[0]: %d\n", stat_field("/proc/self/stat", 50) == (unsigned long)environ[0]);
	printf("env_end ends the last variable: %d\n",
	       stat_field("/proc/self/stat", 51) == (unsigned long)(elast + strlen(elast) + 1));
}

static void offsets(void)
{
	char b[64];
	int fd = open("/proc/self/environ", O_RDONLY);
	long n = pread(fd, b, 5, 3);
	show("environ at 3, 5 bytes", b, n);
	n = pread(fd, b, sizeof b, 1000);
	printf("environ past its end: %ld\n", n);
	close(fd);
	fd = open("/proc/self/cmdline", O_RDONLY);
	n = pread(fd, b, sizeof b, 6);
	show("cmdline from 6", b, n);
	close(fd);
}

static void retitle(int argc, char **argv)
{
	char b[4096];
	argv[1][0] = 'C';
	long n = slurp("/proc/self/cmdline", b, sizeof b);
	show("cmdline after argv[1][0] = 'C'", b, n);
	/* A title longer than the arguments, over their NULs and into the
	 * first variable, as setproctitle does. */
	char *start = argv[0];
	char *end = argv[argc - 1] + strlen(argv[argc - 1]) + 1;
	long room = end - start + 3;
	memset(start, 'T', room);
	start[room] = 0;
	n = slurp("/proc/self/cmdline", b, sizeof b);
	show("cmdline after a long title", b, n);
	long off;
	int fd = open("/proc/self/cmdline", O_RDONLY);
	off = pread(fd, b, sizeof b, room - 2);
	show("its tail", b, off);
	close(fd);
	n = slurp("/proc/self/environ", b, sizeof b);
	show("environ under the title", b, n);
}

static void child_view(void)
{
	int go[2], done[2];
	pipe(go);
	pipe(done);
	pid_t pid = fork();
	if (pid == 0) {
		environ[1][0] = 'b';
		write(done[1], "x", 1);
		char c;
		read(go[0], &c, 1);
		_exit(0);
	}
	char c, path[64], b[256];
	read(done[0], &c, 1);
	snprintf(path, sizeof path, "/proc/%d/environ", pid);
	long n = slurp(path, b, sizeof b);
	show("child's environ", b, n);
	int fd = open(path, O_RDONLY);
	write(go[1], "x", 1);
	siginfo_t si;
	waitid(P_PID, pid, &si, WEXITED | WNOWAIT);
	n = read(fd, b, sizeof b);
	printf("zombie's environ: %ld %s\n", n, n < 0 ? en(errno) : "");
	close(fd);
	waitpid(pid, NULL, 0);
}

static void other_user(void)
{
	struct stat st;
	stat("/proc/self/environ", &st);
	printf("environ mode %o\n", st.st_mode);
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		if (setgid(1000) || setuid(1000)) {
			printf("setuid: %s\n", en(errno));
			_exit(1);
		}
		char path[64], b[64];
		snprintf(path, sizeof path, "/proc/%d/environ", parent);
		long n = slurp(path, b, sizeof b);
		printf("root's environ as uid 1000: %s\n", n < 0 ? en((int)-n) : "readable");
		snprintf(path, sizeof path, "/proc/%d/stat", parent);
		printf("root's code bounds as uid 1000: %lu %lu\n", stat_field(path, 26), stat_field(path, 27));
		printf("root's layout as uid 1000: %lu %lu %lu %lu\n", stat_field(path, 48), stat_field(path, 49),
		       stat_field(path, 50), stat_field(path, 51));
		_exit(0);
	}
	waitpid(pid, NULL, 0);
}

int main(int argc, char **argv)
{
	if (argc < 3 || strcmp(argv[1], "child") != 0) {
		char *args[] = { "proc_environ", "child", "two words", "", "last", NULL };
		char *env[] = { "A=1", "BB=two", "EMPTY=", "Z=zz", NULL };
		execve("/proc/self/exe", args, env);
		printf("execve: %s\n", en(errno));
		return 1;
	}
	setvbuf(stdout, NULL, _IONBF, 0);
	char b[512];
	long n = slurp("/proc/self/environ", b, sizeof b);
	show("environ", b, n);
	n = slurp("/proc/self/cmdline", b, sizeof b);
	show("cmdline", b, n);
	layout(argc, argv);
	offsets();
	child_view();
	other_user();
	retitle(argc, argv);
	return 0;
}
