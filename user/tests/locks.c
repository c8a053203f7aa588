/*
 * locks: POSIX record locks (fcntl F_GETLK/F_SETLK/F_SETLKW, and the
 * open-file-description F_OFD_* ones) and flock(2) locks, and which of
 * them a forked child shares.
 * Checks:
 *   record locks belong to the process: a forked child holds none of its
 *     parent's (F_GETLK in the child reports the parent's lock with
 *     l_pid = the parent; F_SETLK conflicts with EAGAIN; the child's
 *     unlock does not touch the parent's lock); they go when the process
 *     closes *any* descriptor of the file, and when it exits;
 *   ranges: adjacent locks of one kind merge, unlocking the middle splits,
 *     read locks share, l_len 0 runs to the end of any file, a negative
 *     l_len counts backwards, SEEK_CUR and SEEK_END;
 *   F_SETLKW sleeps until the lock is free; EDEADLK when two processes
 *     would wait for each other;
 *   errors: EINVAL (l_type, l_whence, negative start, F_GETLK with
 *     F_UNLCK, OFD with l_pid set), EBADF (lock type against the open
 *     mode, bad descriptor), EFAULT;
 *   OFD locks belong to the open file description: a forked child using
 *     the same description holds them too; F_GETLK reports l_pid -1;
 *   flock: owned by the open file description, so shared with the child
 *     through the inherited descriptor, not through a new open(); LOCK_NB
 *     gives EWOULDBLOCK; converting a lock drops it first; a blocking
 *     flock sleeps until LOCK_UN; the lock goes with the description's
 *     last descriptor; flock and record locks are independent.
 * The children print their own lines; the parent prints only after
 * waiting for them, and waits for a child to be asleep by reading its
 * state in /proc/<pid>/stat.
 * Mirrors: fcntl(2) "Advisory record locking" ("Record locks are not
 *   inherited by a child created via fork(2)", "If a process closes any
 *   file descriptor referring to a file, then all of the process's locks
 *   on that file are released", EAGAIN, EDEADLK), "Open file description
 *   locks", flock(2) ("Locks created by flock() are associated with an
 *   open file description", "Converting a lock ... is not guaranteed to be
 *   atomic").
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

static char path[64];

static void rc(const char *what, long r)
{
	if (r < 0)
		printf("%s: -1 %s\n", what, en(errno));
	else
		printf("%s: %ld\n", what, r);
}

static const char *tname(int t)
{
	return t == F_RDLCK ? "F_RDLCK" : t == F_WRLCK ? "F_WRLCK" : t == F_UNLCK ? "F_UNLCK" : "?";
}

static int setlk(int fd, int cmd, int type, int whence, long start, long len)
{
	struct flock fl = { .l_type = type, .l_whence = whence, .l_start = start, .l_len = len };
	return fcntl(fd, cmd, &fl);
}

/* F_GETLK for [start, start+len): prints what stands in the way. */
static void getlk(const char *who, int fd, int cmd, int type, long start, long len, pid_t holder)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len };
	if (fcntl(fd, cmd, &fl) < 0) {
		printf("%s: F_GETLK: -1 %s\n", who, en(errno));
		return;
	}
	if (fl.l_type == F_UNLCK) {
		printf("%s: F_GETLK [%ld,+%ld) %s: F_UNLCK\n", who, start, len, tname(type));
		return;
	}
	const char *p = fl.l_pid == holder ? "holder" : fl.l_pid == -1 ? "-1" : "other";
	printf("%s: F_GETLK [%ld,+%ld) %s: %s start %ld len %ld whence %d pid %s\n", who, start, len, tname(type),
	       tname(fl.l_type), (long)fl.l_start, (long)fl.l_len, fl.l_whence, p);
}

/* Wait until process `pid` sleeps (state S in /proc/<pid>/stat). */
static void wait_asleep(pid_t pid)
{
	char p[64], buf[512];
	snprintf(p, sizeof p, "/proc/%d/stat", pid);
	for (int i = 0; i < 20000; i++) {
		int fd = open(p, O_RDONLY);
		if (fd >= 0) {
			ssize_t n = read(fd, buf, sizeof buf - 1);
			close(fd);
			if (n > 0) {
				buf[n] = 0;
				char *rp = strrchr(buf, ')');
				if (rp && rp[1] == ' ' && rp[2] == 'S')
					return;
			}
		}
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
	printf("(child %d never slept)\n", pid);
}

static int wait_child(pid_t pid)
{
	int st;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	snprintf(path, sizeof path, "/tmp/locks.%d", getpid());
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	char data[100];
	memset(data, 'x', sizeof data);
	write(fd, data, sizeof data);
	pid_t me = getpid();

	printf("-- record locks and fork\n");
	rc("parent: F_SETLK F_WRLCK [0,10)", setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10));
	getlk("parent", fd, F_GETLK, F_WRLCK, 0, 10, me);
	pid_t pid = fork();
	if (pid == 0) {
		getlk("child", fd, F_GETLK, F_WRLCK, 0, 10, me);
		getlk("child", fd, F_GETLK, F_RDLCK, 5, 1, me);
		getlk("child", fd, F_GETLK, F_WRLCK, 10, 10, me);
		rc("child: F_SETLK F_WRLCK [0,10)", setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10));
		rc("child: F_SETLK F_RDLCK [9,12)", setlk(fd, F_SETLK, F_RDLCK, SEEK_SET, 9, 3));
		rc("child: F_SETLK F_RDLCK [20,30)", setlk(fd, F_SETLK, F_RDLCK, SEEK_SET, 20, 10));
		rc("child: F_SETLK F_UNLCK [0,100)", setlk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 100));
		getlk("child", fd, F_GETLK, F_WRLCK, 0, 100, me);
		rc("child: F_SETLK F_RDLCK [40,50)", setlk(fd, F_SETLK, F_RDLCK, SEEK_SET, 40, 10));
		_exit(0);
	}
	wait_child(pid);
	getlk("parent", fd, F_GETLK, F_WRLCK, 40, 10, 0);

	printf("-- ranges\n");
	setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 10, 10);
	setlk(fd, F_SETLK, F_RDLCK, SEEK_SET, 50, 10);
	setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 90, -10);
	lseek(fd, 30, SEEK_SET);
	setlk(fd, F_SETLK, F_WRLCK, SEEK_CUR, 0, 5);
	setlk(fd, F_SETLK, F_WRLCK, SEEK_END, 100, 0);
	pid = fork();
	if (pid == 0) {
		getlk("child", fd, F_GETLK, F_WRLCK, 0, 25, me);
		getlk("child", fd, F_GETLK, F_WRLCK, 25, 10, me);
		getlk("child", fd, F_GETLK, F_RDLCK, 50, 10, me);
		getlk("child", fd, F_GETLK, F_WRLCK, 55, 1, me);
		getlk("child", fd, F_GETLK, F_WRLCK, 60, 30, me);
		getlk("child", fd, F_GETLK, F_WRLCK, 1000000, 1, me);
		_exit(0);
	}
	wait_child(pid);
	setlk(fd, F_SETLK, F_UNLCK, SEEK_SET, 5, 3);
	setlk(fd, F_SETLK, F_RDLCK, SEEK_SET, 15, 1);
	pid = fork();
	if (pid == 0) {
		getlk("child", fd, F_GETLK, F_WRLCK, 0, 25, me);
		getlk("child", fd, F_GETLK, F_WRLCK, 6, 20, me);
		getlk("child", fd, F_GETLK, F_RDLCK, 8, 20, me);
		getlk("child", fd, F_GETLK, F_WRLCK, 15, 1, me);
		_exit(0);
	}
	wait_child(pid);

	printf("-- closing any descriptor of the file\n");
	int fd2 = open(path, O_RDONLY);
	close(fd2);
	pid = fork();
	if (pid == 0) {
		getlk("child", fd, F_GETLK, F_WRLCK, 0, 0, me);
		_exit(0);
	}
	wait_child(pid);
	/* A child's close does not touch the parent's locks. */
	setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 1);
	pid = fork();
	if (pid == 0) {
		close(fd);
		int f = open(path, O_RDWR);
		getlk("child after closing its copy", f, F_GETLK, F_WRLCK, 0, 1, me);
		_exit(0);
	}
	wait_child(pid);

	printf("-- F_SETLKW\n");
	pid = fork();
	if (pid == 0) {
		int r = setlk(fd, F_SETLKW, F_WRLCK, SEEK_SET, 0, 1);
		printf("child: F_SETLKW returned %d after the parent unlocked\n", r);
		getlk("child", fd, F_GETLK, F_WRLCK, 0, 1, me);
		_exit(0);
	}
	wait_asleep(pid);
	printf("parent: child sleeps in F_SETLKW; unlocking\n");
	setlk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0);
	wait_child(pid);

	printf("-- EDEADLK\n");
	setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 1);
	int sync[2];
	pipe(sync);
	pid = fork();
	if (pid == 0) {
		setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 1, 1);
		write(sync[1], "x", 1);
		int r = setlk(fd, F_SETLKW, F_WRLCK, SEEK_SET, 0, 1);
		printf("child: F_SETLKW [0,1) returned %d\n", r);
		_exit(0);
	}
	char c;
	read(sync[0], &c, 1);
	wait_asleep(pid);
	rc("parent: F_SETLKW [1,2), held by the sleeping child", setlk(fd, F_SETLKW, F_WRLCK, SEEK_SET, 1, 1));
	rc("parent: F_SETLK [1,2)", setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 1, 1));
	setlk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 1);
	wait_child(pid);

	printf("-- errors\n");
	rc("l_type 7", setlk(fd, F_SETLK, 7, SEEK_SET, 0, 1));
	rc("l_whence 5", setlk(fd, F_SETLK, F_WRLCK, 5, 0, 1));
	rc("l_start -1", setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, -1, 1));
	rc("l_len -10 at 5", setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 5, -10));
	rc("F_GETLK with F_UNLCK", setlk(fd, F_GETLK, F_UNLCK, SEEK_SET, 0, 1));
	int ro = open(path, O_RDONLY), wo = open(path, O_WRONLY);
	rc("F_WRLCK on O_RDONLY", setlk(ro, F_SETLK, F_WRLCK, SEEK_SET, 0, 1));
	rc("F_RDLCK on O_WRONLY", setlk(wo, F_SETLK, F_RDLCK, SEEK_SET, 0, 1));
	rc("F_UNLCK on O_RDONLY", setlk(ro, F_SETLK, F_UNLCK, SEEK_SET, 0, 1));
	rc("F_GETLK F_WRLCK on O_RDONLY", setlk(ro, F_GETLK, F_WRLCK, SEEK_SET, 0, 1));
	close(ro);
	close(wo);
	rc("bad descriptor", setlk(99, F_SETLK, F_WRLCK, SEEK_SET, 0, 1));
	rc("bad pointer", fcntl(fd, F_SETLK, (void *)8));
	struct flock ofl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1, .l_pid = 5 };
	rc("F_OFD_SETLK with l_pid 5", fcntl(fd, F_OFD_SETLK, &ofl));
	int pathfd = open(path, O_PATH);
	rc("F_SETLK on O_PATH", setlk(pathfd, F_SETLK, F_UNLCK, SEEK_SET, 0, 1));
	rc("flock on O_PATH", flock(pathfd, LOCK_SH));
	close(pathfd);

	printf("-- OFD locks\n");
	int d = open(path, O_RDWR);
	rc("parent: F_OFD_SETLK F_WRLCK [0,10)", setlk(d, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 10));
	getlk("parent, other description", fd, F_OFD_GETLK, F_WRLCK, 0, 1, me);
	getlk("parent, classic", fd, F_GETLK, F_WRLCK, 0, 1, me);
	pid = fork();
	if (pid == 0) {
		rc("child: F_OFD_SETLK on the shared description", setlk(d, F_OFD_SETLK, F_WRLCK, SEEK_SET, 5, 10));
		int e = open(path, O_RDWR);
		rc("child: F_OFD_SETLK on its own description", setlk(e, F_OFD_SETLK, F_RDLCK, SEEK_SET, 0, 1));
		getlk("child, own description", e, F_OFD_GETLK, F_RDLCK, 0, 100, me);
		_exit(0);
	}
	wait_child(pid);
	close(d);
	getlk("parent, after closing the description", fd, F_OFD_GETLK, F_WRLCK, 0, 100, me);

	printf("-- flock\n");
	int a = open(path, O_RDONLY);
	rc("parent: flock(a, LOCK_EX)", flock(a, LOCK_EX));
	pid = fork();
	if (pid == 0) {
		rc("child: flock(a, LOCK_EX|LOCK_NB), shared description", flock(a, LOCK_EX | LOCK_NB));
		int b = open(path, O_RDONLY);
		rc("child: flock(b, LOCK_SH|LOCK_NB), own description", flock(b, LOCK_SH | LOCK_NB));
		printf("child: EWOULDBLOCK == EAGAIN: %s\n", EWOULDBLOCK == EAGAIN ? "yes" : "no");
		/* Record locks do not see flock locks. */
		rc("child: F_SETLK F_RDLCK on b", setlk(b, F_SETLK, F_RDLCK, SEEK_SET, 0, 1));
		_exit(0);
	}
	wait_child(pid);
	pid = fork();
	if (pid == 0) {
		int b = open(path, O_RDONLY);
		int r = flock(b, LOCK_SH);
		printf("child: blocking flock(b, LOCK_SH) returned %d after LOCK_UN\n", r);
		_exit(0);
	}
	wait_asleep(pid);
	printf("parent: child sleeps in flock; LOCK_UN\n");
	flock(a, LOCK_UN);
	wait_child(pid);
	int b = open(path, O_RDONLY);
	rc("flock(a, LOCK_SH)", flock(a, LOCK_SH));
	rc("flock(b, LOCK_SH)", flock(b, LOCK_SH));
	rc("flock(a, LOCK_EX|LOCK_NB): b holds LOCK_SH", flock(a, LOCK_EX | LOCK_NB));
	rc("flock(b, LOCK_EX|LOCK_NB): a's lock was dropped by the failed conversion", flock(b, LOCK_EX | LOCK_NB));
	rc("flock(a, LOCK_SH|LOCK_NB)", flock(a, LOCK_SH | LOCK_NB));
	int a2 = dup(a);
	close(b);
	rc("flock(a2, LOCK_EX|LOCK_NB) after b closed", flock(a2, LOCK_EX | LOCK_NB));
	close(a);
	int c2 = open(path, O_RDONLY);
	rc("flock(new, LOCK_SH|LOCK_NB) while the dup holds it", flock(c2, LOCK_SH | LOCK_NB));
	close(a2);
	rc("flock(new, LOCK_SH|LOCK_NB) after the last descriptor closed", flock(c2, LOCK_SH | LOCK_NB));
	rc("flock(LOCK_UN) twice", flock(c2, LOCK_UN) | flock(c2, LOCK_UN));
	rc("flock(0)", flock(c2, 0));
	rc("flock(LOCK_SH|LOCK_EX)", flock(c2, LOCK_SH | LOCK_EX));
	rc("flock(bad fd)", flock(99, LOCK_SH));
	close(c2);
	close(fd);
	unlink(path);
	return 0;
}
