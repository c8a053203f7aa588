/*
 * fcntl_owner: the owner, signal and lease commands of fcntl.
 * Checks:
 *   F_GETOWN_EX of a new description is F_OWNER_TID 0; F_SETOWN with a
 *     pid reads back as F_OWNER_PID, with a negative one as F_OWNER_PGRP
 *     (F_GETOWN negative); F_SETOWN_EX with each type reads back, and
 *     F_GETOWN agrees; ESRCH for a pid nobody uses, EINVAL for an unknown
 *     type, EFAULT for a bad pointer; the owner is the description's,
 *     shared by dup;
 *   F_SETSIG takes 0..64 and reads back with F_GETSIG; EINVAL beyond;
 *   F_SETLEASE on a regular file: F_RDLCK on a read-only description,
 *     EAGAIN while a writer has it open; F_WRLCK only for the one
 *     description that has it open, EAGAIN with another open or another
 *     lease; F_UNLCK, then EAGAIN with no lease; F_GETLEASE reads back;
 *     EINVAL on a pipe and for a bad type; EACCES for a file of another
 *     user without CAP_LEASE; closing the description drops the lease.
 * Mirrors: fcntl(2) "Managing signals", "Leases"; Linux's f_setown(),
 *   f_setown_ex(), f_getown_ex() in fs/fcntl.c and generic_setlease(),
 *   check_conflicting_open() in fs/locks.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

static pid_t me;

static const char *who(long pid)
{
	static char b[4][16];
	static int n;
	char *s = b[n++ & 3];
	if (pid == me)
		return "me";
	if (pid == -me)
		return "-me";
	snprintf(s, 16, "%ld", pid);
	return s;
}

static void show_owner(int fd)
{
	struct f_owner_ex ex = {-1, -1};
	long r = syscall(SYS_fcntl, fd, F_GETOWN_EX, &ex);
	/* musl's F_GETOWN asks F_GETOWN_EX: the raw call's negative
	 * process group would read as an error for a small pgid. */
	long o = fcntl(fd, F_GETOWN);
	long raw = ex.type == F_OWNER_PGRP ? o : syscall(SYS_fcntl, fd, F_GETOWN);
	printf("    GETOWN_EX %s type %d pid %s; GETOWN %s raw %s\n", rc_str(r), ex.type, who(ex.pid), who(o), who(raw));
}

static const char *lease_name(int l)
{
	return l == F_RDLCK ? "F_RDLCK" : l == F_WRLCK ? "F_WRLCK" : l == F_UNLCK ? "F_UNLCK" : rc_str(l);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	me = getpid();
	char dir[] = "/tmp/fownXXXXXX";
	if (!mkdtemp(dir) || chmod(dir, 0755) || chdir(dir)) {
		perror("mkdtemp");
		return 1;
	}
	setpgid(0, 0);
	int fd = open("f", O_RDWR | O_CREAT, 0644);
	printf("owner:\n");
	show_owner(fd);
	printf("  F_SETOWN me %s\n", rc_str(fcntl(fd, F_SETOWN, me)));
	show_owner(fd);
	printf("  F_SETOWN -pgrp %s\n", rc_str(fcntl(fd, F_SETOWN, -me)));
	show_owner(fd);
	printf("  F_SETOWN 0 %s\n", rc_str(fcntl(fd, F_SETOWN, 0)));
	show_owner(fd);
	printf("  F_SETOWN unused %s\n", rc_str(fcntl(fd, F_SETOWN, 4000000)));
	printf("  F_SETOWN INT_MIN %s\n", rc_str(fcntl(fd, F_SETOWN, -2147483647 - 1)));
	struct f_owner_ex ex = {F_OWNER_TID, me};
	printf("  F_SETOWN_EX TID %s\n", rc_str(fcntl(fd, F_SETOWN_EX, &ex)));
	show_owner(fd);
	ex.type = F_OWNER_PGRP;
	printf("  F_SETOWN_EX PGRP %s\n", rc_str(fcntl(fd, F_SETOWN_EX, &ex)));
	show_owner(fd);
	ex.type = F_OWNER_PID;
	printf("  F_SETOWN_EX PID %s\n", rc_str(fcntl(fd, F_SETOWN_EX, &ex)));
	int d = dup(fd);
	printf("  through dup:\n");
	show_owner(d);
	close(d);
	ex.type = 3;
	printf("  F_SETOWN_EX type 3 %s\n", rc_str(fcntl(fd, F_SETOWN_EX, &ex)));
	ex.type = F_OWNER_PID;
	ex.pid = 4000000;
	printf("  F_SETOWN_EX unused %s\n", rc_str(fcntl(fd, F_SETOWN_EX, &ex)));
	ex.pid = -5;
	printf("  F_SETOWN_EX negative %s\n", rc_str(fcntl(fd, F_SETOWN_EX, &ex)));
	printf("  F_SETOWN_EX bad pointer %s\n", rc_str(fcntl(fd, F_SETOWN_EX, (void *)8)));
	printf("  F_GETOWN_EX bad pointer %s\n", rc_str(fcntl(fd, F_GETOWN_EX, (void *)8)));
	int other = open("f", O_RDONLY);
	printf("  another description:\n");
	show_owner(other);
	close(other);

	printf("signal:\n");
	printf("  F_GETSIG %s\n", rc_str(fcntl(fd, F_GETSIG)));
	int sigs[] = {SIGUSR1, 0, 64, 65, -1, SIGRTMIN};
	for (unsigned i = 0; i < sizeof sigs / sizeof *sigs; i++) {
		printf("  F_SETSIG %d %s", sigs[i], rc_str(fcntl(fd, F_SETSIG, sigs[i])));
		printf(" -> F_GETSIG %s\n", rc_str(fcntl(fd, F_GETSIG)));
	}

	printf("leases:\n");
	printf("  F_GETLEASE %s\n", lease_name(fcntl(fd, F_GETLEASE)));
	printf("  F_RDLCK on O_RDWR %s\n", rc_str(fcntl(fd, F_SETLEASE, F_RDLCK)));
	printf("  F_WRLCK on the only open %s\n", rc_str(fcntl(fd, F_SETLEASE, F_WRLCK)));
	printf("  F_GETLEASE %s\n", lease_name(fcntl(fd, F_GETLEASE)));
	printf("  F_UNLCK %s\n", rc_str(fcntl(fd, F_SETLEASE, F_UNLCK)));
	printf("  F_UNLCK again %s\n", rc_str(fcntl(fd, F_SETLEASE, F_UNLCK)));
	printf("  bad type %s\n", rc_str(fcntl(fd, F_SETLEASE, 7)));
	close(fd);
	int r1 = open("f", O_RDONLY);
	int r2 = open("f", O_RDONLY);
	printf("  F_RDLCK on read-only %s\n", rc_str(fcntl(r1, F_SETLEASE, F_RDLCK)));
	printf("  F_RDLCK on a second %s\n", rc_str(fcntl(r2, F_SETLEASE, F_RDLCK)));
	printf("  F_WRLCK with two opens %s\n", rc_str(fcntl(r1, F_SETLEASE, F_WRLCK)));
	printf("  F_GETLEASE %s %s\n", lease_name(fcntl(r1, F_GETLEASE)), lease_name(fcntl(r2, F_GETLEASE)));
	close(r2);
	printf("  F_WRLCK with another's lease gone %s\n", rc_str(fcntl(r1, F_SETLEASE, F_WRLCK)));
	printf("  F_GETLEASE %s\n", lease_name(fcntl(r1, F_GETLEASE)));
	close(r1);
	r1 = open("f", O_RDONLY);
	printf("  reopened: F_GETLEASE %s\n", lease_name(fcntl(r1, F_GETLEASE)));
	int w = open("f", O_WRONLY);
	printf("  F_RDLCK with a writer %s\n", rc_str(fcntl(r1, F_SETLEASE, F_RDLCK)));
	printf("  F_WRLCK on the writer %s\n", rc_str(fcntl(w, F_SETLEASE, F_WRLCK)));
	close(w);
	close(r1);
	int p[2];
	pipe(p);
	printf("  on a pipe %s\n", rc_str(fcntl(p[0], F_SETLEASE, F_RDLCK)));
	printf("  on a directory %s\n", rc_str(fcntl(open(".", O_RDONLY), F_SETLEASE, F_RDLCK)));
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		setgid(54321);
		setuid(54321);
		int fd = open("f", O_RDONLY);
		printf("  another user: F_RDLCK %s\n", rc_str(fcntl(fd, F_SETLEASE, F_RDLCK)));
		printf("  another user: F_GETLEASE %s\n", lease_name(fcntl(fd, F_GETLEASE)));
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	unlink("f");
	chdir("/");
	rmdir(dir);
	return 0;
}
