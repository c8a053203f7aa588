/*
 * caps: capabilities and the credential rules around them
 * (capabilities(7), execve(2), chmod(2), chown(2), access(2),
 * utimensat(2), prctl(2), capget(2)).
 * Checks:
 *   a set-user-ID (and set-group-ID) copy of this program run by uid 1000
 *     gets euid/suid 1234 (egid 4321) and AT_SECURE 1; one owned by root
 *     gets euid 0 and full effective capabilities; a plain exec by uid
 *     1000 has none, by root all;
 *   setuid(1000) from root clears permitted and effective; with
 *     PR_SET_KEEPCAPS permitted stays and capset can raise effective;
 *     seteuid(1000) clears effective only, seteuid(0) restores it;
 *     setfsuid(1000) drops only the file-system capabilities;
 *   capget/capset: version probing, EINVAL, EPERM for another pid and
 *     for raising permitted; PR_CAPBSET_READ/DROP;
 *   chmod by a non-owner EPERM, set-group-ID cleared for an outsider;
 *     chown to another user EPERM, chgrp to a member group allowed, to
 *     another EPERM; root's chown clears set-user-ID and set-group-ID;
 *   utimensat: NULL times with write permission, explicit times EPERM;
 *   access() with real ids and faccessat(AT_EACCESS) with effective ones;
 *   /proc/<root's pid>/maps from uid 1000: EACCES; sched_setaffinity of
 *     root's process: EPERM.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

struct cap_header {
	uint32_t version;
	int pid;
};
struct cap_data {
	uint32_t effective, permitted, inheritable;
};

#define V1 0x19980330
#define V3 0x20080522
#define CAP_CHOWN 0
#define CAP_DAC_OVERRIDE 1
#define CAP_KILL 5
#define CAP_SETUID 7

static char base[64];

static const char *P(const char *rel)
{
	static char b[4][128];
	static int n;
	char *s = b[n++ & 3];
	snprintf(s, 128, "%s/%s", base, rel);
	return s;
}

static void rc(const char *what, long r)
{
	printf("  %-38s %s\n", what, r < 0 ? en(errno) : "OK");
}

static uint64_t caps(int which)
{
	struct cap_header h = {V3, 0};
	struct cap_data d[2];
	if (syscall(SYS_capget, &h, d))
		return ~0ull;
	uint32_t lo = which == 0 ? d[0].effective : which == 1 ? d[0].permitted : d[0].inheritable;
	uint32_t hi = which == 0 ? d[1].effective : which == 1 ? d[1].permitted : d[1].inheritable;
	return (uint64_t)hi << 32 | lo;
}

/* Which of a few capabilities the effective and permitted sets hold:
 * the host's bounding set may lack some, so only these are shown. */
static void show_caps(const char *who)
{
	uint64_t e = caps(0), p = caps(1);
	printf("  %s: eff chown=%d dac=%d kill=%d setuid=%d  prm chown=%d dac=%d  empty eff=%d prm=%d\n", who,
	       (int)(e >> CAP_CHOWN & 1), (int)(e >> CAP_DAC_OVERRIDE & 1), (int)(e >> CAP_KILL & 1),
	       (int)(e >> CAP_SETUID & 1), (int)(p >> CAP_CHOWN & 1), (int)(p >> CAP_DAC_OVERRIDE & 1), e == 0, p == 0);
}

static void show_ids(void)
{
	uid_t r, e, s;
	gid_t gr, ge, gs;
	getresuid(&r, &e, &s);
	getresgid(&gr, &ge, &gs);
	printf("  uid %u/%u/%u gid %u/%u/%u fsuid %d secure %lu\n", r, e, s, gr, ge, gs, setfsuid(-1),
	       getauxval(AT_SECURE));
}

static void become(uid_t uid)
{
	gid_t g[] = {uid};
	if (setgroups(1, g) || setgid(uid) || setuid(uid))
		printf("  cannot become %u: %s\n", uid, en(errno));
}

static void wait_child(pid_t p)
{
	int st;
	waitpid(p, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		printf("  child: %s\n", st_str(st));
}

/* Fork: returns 1 in the child, which must end with done(); in the
 * parent, waits for the child and returns 0. */
static int child(const char *title)
{
	printf("%s\n", title);
	fflush(stdout);
	pid_t p = fork();
	if (p == 0)
		return 1;
	wait_child(p);
	return 0;
}

static void done(void)
{
	fflush(stdout);
	_exit(0);
}

static void copy_self(const char *rel, uid_t uid, gid_t gid, mode_t mode)
{
	int in = open("/proc/self/exe", O_RDONLY);
	int out = open(P(rel), O_CREAT | O_WRONLY | O_TRUNC, 0700);
	char buf[65536];
	ssize_t n;
	while ((n = read(in, buf, sizeof buf)) > 0)
		if (write(out, buf, n) != n)
			printf("copy: %s\n", en(errno));
	close(in);
	close(out);
	if (chown(P(rel), uid, gid) || chmod(P(rel), mode))
		printf("setup %s: %s\n", rel, en(errno));
}

static void run(const char *rel)
{
	char *argv[] = {"prog", "show", NULL};
	fflush(stdout);
	execve(P(rel), argv, NULL);
	printf("  execve %s: %s\n", rel, en(errno));
}

static void mode_of(const char *rel)
{
	struct stat st;
	stat(P(rel), &st);
	printf("  %s: uid %u gid %u mode %o\n", rel, st.st_uid, st.st_gid, st.st_mode & 07777);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "show")) {
		show_ids();
		show_caps("caps");
		fflush(stdout);
		return 0;
	}
	umask(022);
	snprintf(base, sizeof base, "/tmp/caps.%d", getpid());
	if (mkdir(base, 0755)) {
		printf("mkdir base: %s\n", en(errno));
		return 1;
	}
	copy_self("suid1234", 1234, 4321, 06755);
	copy_self("suidroot", 0, 0, 04755);
	copy_self("plain", 0, 0, 0755);
	pid_t root_pid = getpid();

	printf("root\n");
	show_caps("root");
	if (child("root execs plain")) {
		run("plain");
		done();
	}
	if (child("uid 1000 execs plain"))
	{
		become(1000);
		run("plain");
		done();
	}
	if (child("uid 1000 execs set-user-ID 1234, set-group-ID 4321"))
	{
		become(1000);
		run("suid1234");
		done();
	}
	if (child("uid 1000 execs set-user-ID root"))
	{
		become(1000);
		run("suidroot");
		done();
	}
	if (child("root with euid 1000 execs set-user-ID root"))
	{
		seteuid(1000);
		run("suidroot");
		done();
	}

	if (child("setuid(1000) from root"))
	{
		setuid(1000);
		show_caps("after");
		printf("  keepcaps %d\n", prctl(PR_GET_KEEPCAPS));
		done();
	}
	if (child("PR_SET_KEEPCAPS then setresuid(1000,1000,1000)"))
	{
		rc("prctl(PR_SET_KEEPCAPS, 1)", prctl(PR_SET_KEEPCAPS, 1));
		rc("prctl(PR_SET_KEEPCAPS, 2)", prctl(PR_SET_KEEPCAPS, 2));
		printf("  keepcaps %d\n", prctl(PR_GET_KEEPCAPS));
		setresuid(1000, 1000, 1000);
		show_caps("after");
		struct cap_header h = {V3, 0};
		struct cap_data d[2] = {{1u << CAP_DAC_OVERRIDE, 1u << CAP_DAC_OVERRIDE, 0}, {0, 0, 0}};
		rc("capset eff=prm=DAC_OVERRIDE", syscall(SYS_capset, &h, d));
		show_caps("after capset");
		int fd = open(P("plain"), O_RDWR);
		rc("open root's 0755 file O_RDWR", fd);
		close(fd);
		d[0].permitted |= 1u << CAP_KILL;
		rc("capset raising permitted", syscall(SYS_capset, &h, d));
		d[0].permitted = 0;
		rc("capset eff not in prm", syscall(SYS_capset, &h, d));
		done();
	}
	if (child("seteuid(1000) and back"))
	{
		seteuid(1000);
		show_caps("euid 1000");
		rc("open plain O_RDWR", open(P("plain"), O_RDWR));
		seteuid(0);
		show_caps("euid 0");
		done();
	}
	if (child("setfsuid(1000)"))
	{
		setfsuid(1000);
		show_caps("fsuid 1000");
		rc("open plain O_RDWR", open(P("plain"), O_RDWR));
		rc("kill(1, 0) (CAP_KILL kept)", kill(root_pid, 0));
		setfsuid(0);
		show_caps("fsuid 0");
		done();
	}

	printf("capget/capset\n");
	{
		struct cap_header h = {0, 0};
		rc("capget bad version, NULL data", syscall(SYS_capget, &h, NULL));
		printf("  version written back %#x\n", h.version);
		struct cap_data d[2];
		h.version = 0;
		rc("capget bad version", syscall(SYS_capget, &h, d));
		h.version = V1;
		rc("capget v1", syscall(SYS_capget, &h, d));
		printf("  v1 eff chown=%d\n", d[0].effective & 1);
		h.version = V3;
		h.pid = -1;
		rc("capget pid -1", syscall(SYS_capget, &h, d));
		h.pid = 999999;
		rc("capget pid 999999", syscall(SYS_capget, &h, d));
		h.pid = 0;
		syscall(SYS_capget, &h, d);
		h.pid = getpid();
		rc("capset of own pid (unchanged sets)", syscall(SYS_capset, &h, d));
		h.pid = 999999;
		rc("capset of another pid", syscall(SYS_capset, &h, d));
		rc("PR_CAPBSET_READ CAP_CHOWN", prctl(PR_CAPBSET_READ, CAP_CHOWN));
		rc("PR_CAPBSET_READ 100", prctl(PR_CAPBSET_READ, 100));
	}
	if (child("PR_CAPBSET_DROP"))
	{
		rc("drop CAP_CHOWN", prctl(PR_CAPBSET_DROP, CAP_CHOWN));
		printf("  read CAP_CHOWN: %d\n", prctl(PR_CAPBSET_READ, CAP_CHOWN));
		show_caps("after drop");
		run("plain");
		done();
	}
	if (child("PR_CAPBSET_DROP as uid 1000"))
	{
		become(1000);
		rc("drop CAP_KILL", prctl(PR_CAPBSET_DROP, CAP_KILL));
		done();
	}

	printf("chmod and chown\n");
	int fd = open(P("f"), O_CREAT | O_WRONLY, 0644);
	close(fd);
	chown(P("f"), 1000, 3000);
	fd = open(P("rootf"), O_CREAT | O_WRONLY, 0666);
	close(fd);
	if (child("uid 1000, groups {1000, 2000}"))
	{
		gid_t g[] = {1000, 2000};
		setgroups(2, g);
		setgid(1000);
		setuid(1000);
		rc("chmod root's file", chmod(P("rootf"), 0777));
		rc("chmod own file 02755 (group 3000)", chmod(P("f"), 02755));
		mode_of("f");
		rc("chown own file to 1001", chown(P("f"), 1001, -1));
		rc("chown own file to 1000 (itself)", chown(P("f"), 1000, -1));
		rc("chown root's file to 0 (not owner)", chown(P("rootf"), 0, -1));
		rc("chgrp own file to 3000 (current)", chown(P("f"), -1, 3000));
		rc("chgrp own file to 2000 (member)", chown(P("f"), -1, 2000));
		rc("chgrp own file to 5000", chown(P("f"), -1, 5000));
		rc("chgrp root's file to 1000", chown(P("rootf"), -1, 1000));
		rc("chmod own file 02755 (group 2000)", chmod(P("f"), 02755));
		mode_of("f");
		rc("utimensat NULL on root's 0644", utimensat(AT_FDCWD, P("rootf"), NULL, 0));
		struct timespec ts[2] = {{1, 0}, {2, 0}};
		rc("utimensat explicit on root's 0644", utimensat(AT_FDCWD, P("rootf"), ts, 0));
		struct timespec now_omit[2] = {{0, UTIME_NOW}, {0, UTIME_OMIT}};
		rc("utimensat NOW,OMIT on root's 0644", utimensat(AT_FDCWD, P("rootf"), now_omit, 0));
		rc("utimensat NULL on root's 0755 plain", utimensat(AT_FDCWD, P("plain"), NULL, 0));
		done();
	}
	chmod(P("f"), 06755);
	rc("root: chown f 1000:2000", chown(P("f"), 1000, 2000));
	mode_of("f");
	chmod(P("f"), 06745);
	rc("root: chown f -1:-1 (02745)", chown(P("f"), -1, -1));
	mode_of("f");
	rc("root: chmod rootf 0", chmod(P("rootf"), 0));

	printf("access with real and effective ids\n");
	if (child("real 1000, effective 0"))
	{
		setresuid(1000, 0, 0);
		rc("access rootf (0000) R_OK", access(P("rootf"), R_OK));
		rc("faccessat AT_EACCESS R_OK", faccessat(AT_FDCWD, P("rootf"), R_OK, AT_EACCESS));
		rc("access plain X_OK", access(P("plain"), X_OK));
		done();
	}
	if (child("real 0, effective 1000"))
	{
		setresuid(0, 1000, 0);
		rc("access rootf (0000) R_OK", access(P("rootf"), R_OK));
		rc("faccessat AT_EACCESS R_OK", faccessat(AT_FDCWD, P("rootf"), R_OK, AT_EACCESS));
		rc("open rootf O_RDONLY", open(P("rootf"), O_RDONLY));
		done();
	}

	printf("other users' processes\n");
	if (child("uid 1000"))
	{
		become(1000);
		char path[64];
		snprintf(path, sizeof path, "/proc/%d/maps", root_pid);
		rc("open root's /proc/PID/maps", open(path, O_RDONLY));
		rc("open /proc/self/maps", open("/proc/self/maps", O_RDONLY));
		snprintf(path, sizeof path, "/proc/%d/cwd", root_pid);
		char buf[256];
		rc("readlink root's /proc/PID/cwd", readlink(path, buf, sizeof buf));
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(0, &set);
		rc("sched_setaffinity(root's pid)", sched_setaffinity(root_pid, sizeof set, &set));
		rc("sched_setaffinity(0)", sched_setaffinity(0, sizeof set, &set));
		rc("kill(root's pid, 0)", kill(root_pid, 0));
		printf("  dumpable %d\n", prctl(PR_GET_DUMPABLE));
		done();
	}

	const char *files[] = {"suid1234", "suidroot", "plain", "f", "rootf", NULL};
	for (int i = 0; files[i]; i++)
		unlink(P(files[i]));
	rc("rmdir base (all cleaned up)", rmdir(base));
	return 0;
}
