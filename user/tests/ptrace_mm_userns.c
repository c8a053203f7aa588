// cc: musl-gcc -static -O2
/*
 * ptrace_mm_userns: a non-dumpable process is looked into with
 * CAP_SYS_PTRACE in the user namespace of its memory, the one it last
 * ran execve in, not the one its credentials are in now (ptrace(2)
 * "Ptrace access mode checking" step 4; Linux: __ptrace_may_access()'s
 * ptrace_has_cap(mm->user_ns), task_dump_owner()).
 * As root, a child X drops to uid 1000 and unshares a user namespace
 * mapping 0 to 1000 (its memory stays the initial namespace's); X forks
 * Z, which execs this program inside (its memory is the namespace's),
 * and both make themselves non-dumpable. Y, another child of X (root of
 * the namespace, all capabilities there, same kernel uid), then:
 *   X: PTRACE_SEIZE is EPERM, /proc/X/mem EACCES, its /proc files owned
 *     by the overflow uid (real root, which the namespace does not map);
 *   Z: PTRACE_SEIZE works, /proc/Z/mem opens, its files owned by uid 0
 *     (the namespace's root, kernel uid 1000);
 *   after Z makes itself dumpable again: its files are Z's (uid 0 inside
 *     as well), it can still be seized and its mem opened;
 *   U, which X starts from a root-owned copy of this program that may be
 *     run but not read (0711), is non-dumpable without asking, and its
 *     memory is the initial namespace's, not the namespace it exec'd in:
 *     the namespace does not map the file's owner (Linux: would_dump()).
 *     Y may neither seize it nor open its mem.
 * Before that, as uid 1000 outside any namespace: exec of a 0755 copy
 * leaves the process dumpable, of the 0711 copy makes it non-dumpable;
 * root's exec of the 0711 copy (root may read it) leaves it dumpable.
 * Run as root (natively too).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nstest.h"

/* What the caller can see of `pid`, in a child of its own: a tracer
   that exits lets go of its tracee, so the next look may seize it again. */
static void look_now(const char *who, pid_t pid);
static void look(const char *who, pid_t pid)
{
	pid_t c = fork();
	CHECK(c >= 0);
	if (c == 0) {
		look_now(who, pid);
		_exit(0);
	}
	int st;
	CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void look_now(const char *who, pid_t pid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/mem", pid);
	struct stat st;
	CHECK(stat(path, &st) == 0);
	printf("%s: /proc/PID/mem owner %u:%u\n", who, st.st_uid, st.st_gid);
	char what[64];
	snprintf(what, sizeof what, "%s: open /proc/PID/mem", who);
	int fd;
	SAY(what, fd = open(path, O_RDONLY));
	if (fd >= 0)
		close(fd);
	snprintf(what, sizeof what, "%s: PTRACE_SEIZE", who);
	SAY(what, ptrace(PTRACE_SEIZE, pid, 0, 0));
}

#define READABLE "/tmp/ptrace_mm_userns.0755"
#define UNREADABLE "/tmp/ptrace_mm_userns.0711"

/* Copy this program to `path` with `mode`, owned by root. */
static void copy_self(const char *path, int mode)
{
	int in = open("/proc/self/exe", O_RDONLY);
	CHECK(in >= 0);
	unlink(path);
	int out = open(path, O_WRONLY | O_CREAT | O_EXCL, 0700);
	CHECK(out >= 0);
	char buf[65536];
	ssize_t n;
	while ((n = read(in, buf, sizeof buf)) > 0)
		CHECK(write(out, buf, n) == n);
	CHECK(fchmod(out, mode) == 0);
	close(in);
	close(out);
}

/* PR_GET_DUMPABLE of `path` run in a child (as uid 1000 when `user`). */
static void dumpable_after_exec(const char *what, const char *path, int user)
{
	int p[2];
	CHECK(pipe(p) == 0);
	pid_t c = fork();
	CHECK(c >= 0);
	if (c == 0) {
		if (user)
			become_user();
		dup2(p[1], 1);
		execl(path, path, "report", (char *)NULL);
		printf("exec: %s\n", en(errno));
		_exit(127);
	}
	close(p[1]);
	char b[64] = "";
	ssize_t n = read(p[0], b, sizeof b - 1);
	b[n > 0 ? n : 0] = 0;
	close(p[0]);
	CHECK(waitpid(c, NULL, 0) == c);
	printf("%-40s %s", what, b);
}

/* Start `path` with argument `arg`, its stdin and stdout pipes to us;
   returns its pid once it has written its first byte. */
static pid_t start(const char *path, const char *arg, int *to, int *from)
{
	int in[2], out[2];
	/* Close-on-exec: a later child must not hold this one's stdin open. */
	CHECK(pipe2(in, O_CLOEXEC) == 0 && pipe2(out, O_CLOEXEC) == 0);
	pid_t c = fork();
	CHECK(c >= 0);
	if (c == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[1]);
		close(out[0]);
		execl(path, path, arg, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	char ch;
	CHECK(read(out[0], &ch, 1) == 1);
	*to = in[1];
	*from = out[0];
	return c;
}

/* Z: exec'd inside the namespace; not dumpable until told (a byte on
   stdin), then dumpable; ends when stdin closes. */
static int z_main(void)
{
	CHECK(prctl(PR_SET_DUMPABLE, 0) == 0);
	CHECK(write(1, "z", 1) == 1);
	char c;
	while (read(0, &c, 1) == 1) {
		CHECK(prctl(PR_SET_DUMPABLE, 1) == 0);
		CHECK(write(1, "d", 1) == 1);
	}
	return 0;
}

/* U: started from the unreadable copy; waits for stdin to close. */
static int u_main(void)
{
	CHECK(write(1, "u", 1) == 1);
	char c;
	while (read(0, &c, 1) == 1)
		;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "z") == 0)
		return z_main();
	if (argc > 1 && strcmp(argv[1], "u") == 0)
		return u_main();
	if (argc > 1 && strcmp(argv[1], "report") == 0) {
		printf("PR_GET_DUMPABLE %d\n", prctl(PR_GET_DUMPABLE));
		return 0;
	}
	setvbuf(stdout, NULL, _IONBF, 0);
	copy_self(READABLE, 0755);
	copy_self(UNREADABLE, 0711);
	dumpable_after_exec("uid 1000 runs the 0755 copy:", READABLE, 1);
	dumpable_after_exec("uid 1000 runs the 0711 copy:", UNREADABLE, 1);
	dumpable_after_exec("root runs the 0711 copy:", UNREADABLE, 0);
	pid_t x = fork();
	CHECK(x >= 0);
	if (x > 0) {
		int st;
		CHECK(waitpid(x, &st, 0) == x);
		printf("X exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		unlink(READABLE);
		unlink(UNREADABLE);
		return 0;
	}
	/* X. */
	become_user();
	CHECK(unshare(CLONE_NEWUSER) == 0);
	CHECK(write_file("/proc/self/setgroups", "deny") > 0);
	CHECK(write_file("/proc/self/uid_map", "0 1000 1") > 0);
	CHECK(write_file("/proc/self/gid_map", "0 1000 1") > 0);
	int to_z, from_z, to_u, from_u;
	pid_t z = start("/proc/self/exe", "z", &to_z, &from_z);
	pid_t u = start(UNREADABLE, "u", &to_u, &from_u);
	char c;
	CHECK(prctl(PR_SET_DUMPABLE, 0) == 0);
	pid_t x_pid = getpid();
	pid_t y = fork();
	CHECK(y >= 0);
	if (y == 0) {
		look("X, non-dumpable, memory from outside", x_pid);
		look("Z, non-dumpable, exec'd inside", z);
		CHECK(write(to_z, "d", 1) == 1);
		CHECK(read(from_z, &c, 1) == 1);
		look("Z, dumpable again", z);
		look("U, from a file it cannot read", u);
		_exit(0);
	}
	int st;
	CHECK(waitpid(y, &st, 0) == y);
	close(to_z);
	CHECK(waitpid(z, &st, 0) == z);
	printf("Z exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	close(to_u);
	CHECK(waitpid(u, &st, 0) == u);
	printf("U exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return 0;
}
