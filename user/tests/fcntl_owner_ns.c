/*
 * fcntl_owner_ns: fcntl's file owner across PID namespaces: the pid
 * F_SETOWN and F_SETOWN_EX take, and F_GETOWN and F_GETOWN_EX give, are
 * numbers in the caller's namespace.
 * Checks, with one description shared by a parent and a child made by
 * clone(CLONE_NEWPID) (PID 1 of a new namespace):
 *   the parent as owner (F_SETOWN getpid()) reads as 0 in the child
 *     (F_GETOWN, and F_GETOWN_EX: F_OWNER_PID 0), and as itself outside;
 *   the parent's process group as owner reads as 0 in the child;
 *   the child sets itself as owner with F_SETOWN 1: it reads back 1 in
 *     the child and the child's outer pid in the parent; the same with
 *     F_SETOWN_EX F_OWNER_TID 1;
 *   the child's F_SETOWN 2 and F_SETOWN_EX 2 are ESRCH: no pid 2 in its
 *     namespace (whatever the number is outside), and the owner stays.
 * Run as root (natively too), like pid_ns. Outer pids differ between
 * machines, so their relations are printed, not the numbers.
 * Mirrors: fcntl(2) F_SETOWN, F_GETOWN_EX; Linux's f_setown() (find_vpid),
 *   f_getown() and f_getown_ex() (pid_vnr) in fs/fcntl.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int fd;
/* Child to parent, parent to child. */
static int up[2], down[2];

static int result(long r)
{
	return r < 0 ? -errno : (int)r;
}

static pid_t fork_newpid(void)
{
	return syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, 0, 0, 0, 0);
}

static void say(void)
{
	char c = 0;
	if (write(up[1], &c, 1) != 1)
		_exit(90);
}

static void hear(int from)
{
	char c;
	if (read(from, &c, 1) != 1)
		_exit(91);
}

static void getown_ex(const char *who)
{
	struct f_owner_ex o = { -1, -1 };
	int r = result(fcntl(fd, F_GETOWN_EX, &o));
	printf("%s: F_GETOWN_EX = %d type %d pid %d\n", who, r, o.type, o.pid);
}

static void child(void)
{
	printf("child: getpid %d\n", (int)getpid());
	/* 1: the parent is the owner. */
	printf("child: F_GETOWN (parent) = %d\n", result(fcntl(fd, F_GETOWN)));
	getown_ex("child (parent)");
	say();
	hear(down[0]);
	/* 2: the parent's group is the owner. */
	printf("child: F_GETOWN (parent's group) = %d\n", result(fcntl(fd, F_GETOWN)));
	/* 3: itself, by its number here. */
	printf("child: F_SETOWN 1 = %d\n", result(fcntl(fd, F_SETOWN, 1)));
	printf("child: F_GETOWN = %d\n", result(fcntl(fd, F_GETOWN)));
	say();
	hear(down[0]);
	struct f_owner_ex o = { F_OWNER_TID, 1 };
	printf("child: F_SETOWN_EX tid 1 = %d\n", result(fcntl(fd, F_SETOWN_EX, &o)));
	getown_ex("child");
	say();
	hear(down[0]);
	/* 4: numbers nobody has here. */
	printf("child: F_SETOWN 2 = %d\n", result(fcntl(fd, F_SETOWN, 2)));
	o = (struct f_owner_ex){ F_OWNER_PID, 2 };
	printf("child: F_SETOWN_EX pid 2 = %d\n", result(fcntl(fd, F_SETOWN_EX, &o)));
	printf("child: F_SETOWN -2 = %d\n", result(fcntl(fd, F_SETOWN, -2)));
	getown_ex("child (unchanged)");
	fflush(stdout);
	_exit(0);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	char path[] = "/tmp/fcntl_owner_nsXXXXXX";
	fd = mkstemp(path);
	if (fd < 0 || pipe(up) || pipe(down)) {
		perror("setup");
		return 1;
	}
	unlink(path);
	pid_t me = getpid();
	printf("parent: F_SETOWN self = %d\n", result(fcntl(fd, F_SETOWN, me)));
	printf("parent: F_GETOWN is self: %d\n", fcntl(fd, F_GETOWN) == me);
	pid_t c = fork_newpid();
	if (c < 0) {
		printf("clone(CLONE_NEWPID): %s\n", strerror(errno));
		return 1;
	}
	if (c == 0)
		child();
	hear(up[0]);
	printf("parent: F_SETOWN -pgrp = %d\n", result(fcntl(fd, F_SETOWN, -getpgrp())));
	printf("parent: F_GETOWN is -pgrp: %d\n", fcntl(fd, F_GETOWN) == -getpgrp());
	if (write(down[1], "", 1) != 1)
		return 1;
	hear(up[0]);
	printf("parent: F_GETOWN is the child: %d\n", fcntl(fd, F_GETOWN) == c);
	if (write(down[1], "", 1) != 1)
		return 1;
	hear(up[0]);
	struct f_owner_ex o = { -1, -1 };
	fcntl(fd, F_GETOWN_EX, &o);
	printf("parent: F_GETOWN_EX type %d, the child: %d\n", o.type, o.pid == c);
	if (write(down[1], "", 1) != 1)
		return 1;
	int st;
	if (waitpid(c, &st, 0) != c || !WIFEXITED(st)) {
		printf("child did not exit\n");
		return 1;
	}
	printf("child exited %d\n", WEXITSTATUS(st));
	return 0;
}
