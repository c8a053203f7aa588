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
 *     as well), it can still be seized and its mem opened.
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

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "z") == 0)
		return z_main();
	setvbuf(stdout, NULL, _IONBF, 0);
	pid_t x = fork();
	CHECK(x >= 0);
	if (x > 0) {
		int st;
		CHECK(waitpid(x, &st, 0) == x);
		printf("X exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		return 0;
	}
	/* X. */
	become_user();
	CHECK(unshare(CLONE_NEWUSER) == 0);
	CHECK(write_file("/proc/self/setgroups", "deny") > 0);
	CHECK(write_file("/proc/self/uid_map", "0 1000 1") > 0);
	CHECK(write_file("/proc/self/gid_map", "0 1000 1") > 0);
	int to_z[2], from_z[2];
	CHECK(pipe(to_z) == 0 && pipe(from_z) == 0);
	pid_t z = fork();
	CHECK(z >= 0);
	if (z == 0) {
		dup2(to_z[0], 0);
		dup2(from_z[1], 1);
		close(to_z[1]);
		close(from_z[0]);
		execl("/proc/self/exe", argv[0], "z", (char *)NULL);
		_exit(127);
	}
	close(to_z[0]);
	close(from_z[1]);
	char c;
	CHECK(read(from_z[0], &c, 1) == 1);
	CHECK(prctl(PR_SET_DUMPABLE, 0) == 0);
	pid_t x_pid = getpid();
	pid_t y = fork();
	CHECK(y >= 0);
	if (y == 0) {
		look("X, non-dumpable, memory from outside", x_pid);
		look("Z, non-dumpable, exec'd inside", z);
		CHECK(write(to_z[1], "d", 1) == 1);
		CHECK(read(from_z[0], &c, 1) == 1);
		look("Z, dumpable again", z);
		_exit(0);
	}
	int st;
	CHECK(waitpid(y, &st, 0) == y);
	close(to_z[1]);
	CHECK(waitpid(z, &st, 0) == z);
	printf("Z exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return 0;
}
