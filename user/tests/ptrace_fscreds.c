// cc: musl-gcc -static -O2
/*
 * ptrace_fscreds: which of the caller's ids a ptrace access check
 * compares (ptrace(2) "Ptrace access mode checking"): /proc/PID/mem,
 * maps and auxv use the fs ids (PTRACE_MODE_FSCREDS); ptrace(2) and
 * process_vm_readv the real ids (PTRACE_MODE_REALCREDS).
 * As root: T1 runs as uid and gid 1001 (all ids), T2 with real uid 1002
 * and effective and saved uid 1001 (gid 1001); both dumpable. P runs
 * with real uid and gid 1000, effective (so fs) uid and gid 1001, no
 * capabilities:
 *   T1: its mem, maps and auxv open (fs ids match, and the files are
 *     owned by its effective uid); PTRACE_SEIZE and process_vm_readv are
 *     EPERM (real ids do not);
 *   T2: mem, maps and auxv are EACCES (its real uid is not P's fs uid,
 *     though the files' owner is);
 *   after setfsuid(1000)/setfsgid(1000): T1's mem is EACCES (neither
 *     the files' owner nor the same user).
 * Run as root (natively too).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nstest.h"

static int word = 42;

/* A process with these ids, dumpable, that waits to be killed; returns
   once it is ready. */
static pid_t target(uid_t ruid, uid_t euid)
{
	int p[2];
	CHECK(pipe(p) == 0);
	pid_t t = fork();
	CHECK(t >= 0);
	if (t == 0) {
		CHECK(setgroups(0, NULL) == 0);
		CHECK(setresgid(1001, 1001, 1001) == 0);
		CHECK(setresuid(ruid, euid, euid) == 0);
		CHECK(prctl(PR_SET_DUMPABLE, 1) == 0);
		CHECK(write(p[1], "r", 1) == 1);
		for (;;)
			pause();
	}
	char c;
	CHECK(read(p[0], &c, 1) == 1);
	close(p[0]);
	close(p[1]);
	return t;
}

static void try_open(const char *who, pid_t pid, const char *file)
{
	char path[64], what[64];
	snprintf(path, sizeof path, "/proc/%d/%s", pid, file);
	snprintf(what, sizeof what, "%s: open %s", who, file);
	int fd;
	SAY(what, fd = open(path, O_RDONLY));
	if (fd >= 0)
		close(fd);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	pid_t t1 = target(1001, 1001), t2 = target(1002, 1001);
	pid_t p = fork();
	CHECK(p >= 0);
	if (p == 0) {
		CHECK(setgroups(0, NULL) == 0);
		CHECK(setresgid(1000, 1001, 1000) == 0);
		CHECK(setresuid(1000, 1001, 1000) == 0);
		printf("fs ids %d:%d\n", setfsuid(-1), setfsgid(-1));
		for (int i = 0; i < 3; i++) {
			static const char *files[] = {"mem", "maps", "auxv"};
			try_open("T1", t1, files[i]);
		}
		SAY("T1: PTRACE_SEIZE", ptrace(PTRACE_SEIZE, t1, 0, 0));
		int v = 0;
		struct iovec local = {&v, sizeof v}, remote = {&word, sizeof word};
		SAY("T1: process_vm_readv", process_vm_readv(t1, &local, 1, &remote, 1, 0));
		for (int i = 0; i < 3; i++) {
			static const char *files[] = {"mem", "maps", "auxv"};
			try_open("T2", t2, files[i]);
		}
		setfsuid(1000);
		setfsgid(1000);
		printf("fs ids %d:%d\n", setfsuid(-1), setfsgid(-1));
		try_open("T1 after setfsuid(1000)", t1, "mem");
		_exit(0);
	}
	int st;
	CHECK(waitpid(p, &st, 0) == p);
	kill(t1, SIGKILL);
	kill(t2, SIGKILL);
	waitpid(t1, NULL, 0);
	waitpid(t2, NULL, 0);
	printf("P exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return 0;
}
