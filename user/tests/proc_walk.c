/*
 * proc_walk: paths into /proc go through the same walk as every other
 * path. Checks: a relative path from the cwd into /proc and from a
 * directory descriptor of /proc and of /proc/PID; `..` at proc's root
 * leads back into the directory it is mounted on; magic links lead to
 * the place itself (/proc/self/cwd/.. is the cwd's parent, not
 * /proc/self; /proc/self/exe stats as the program; /proc/self/root/tmp is
 * /tmp); /proc/self/fd/N of a pipe's read end opens the pipe again; a
 * second proc mount is used by its own path and by a relative one, and
 * `..` out of it leads to its mount point's parent; readlink of
 * PID/root after chroot; mkdir, rmdir and unlink in /proc with
 * Linux's errnos; a cwd inside /proc (chdir, fchdir, getcwd, relative
 * paths from it, /proc/self/cwd, umount of the proc mount it is in
 * EBUSY); search permission on /proc/PID/fd (dr-x------, its owner's,
 * and always its own process's) for another user. Run as root (natively too), in a private mount
 * namespace. Mirrors: path_resolution(7), proc(5).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nstest.h"

static int under_tine(void)
{
	struct utsname u;
	return uname(&u) == 0 && strstr(u.release, "tine") != NULL;
}

/* Whether `a` and `b` (from `dirfd`) name the same file. */
static const char *same(int dirfd, const char *a, const char *b)
{
	struct stat sa, sb;
	if (fstatat(dirfd, a, &sa, 0) != 0)
		return en(errno);
	if (stat(b, &sb) != 0)
		return en(errno);
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino ? "same" : "different";
}

/* The first line of `path` from `dirfd`, or the errno. */
static void first_line(const char *what, int dirfd, const char *path)
{
	char buf[256];
	int fd = openat(dirfd, path, O_RDONLY);
	if (fd < 0) {
		printf("%s: %s\n", what, en(errno));
		return;
	}
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	char *nl = strchr(buf, '\n');
	if (nl)
		*nl = 0;
	printf("%s: %s\n", what, buf);
}

static const char *r(int rc)
{
	return en(rc == 0 ? 0 : errno);
}

int main(void)
{
	char base[] = "/tmp/proc_walk.XXXXXX";
	char path[256];

	if (unshare(CLONE_NEWNS) != 0 && !under_tine()) {
		printf("unshare(CLONE_NEWNS): %s\n", en(errno));
		return 1;
	}
	mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
	if (!mkdtemp(base)) {
		printf("mkdtemp: %s\n", en(errno));
		return 1;
	}

	/* Relative paths into /proc, from the cwd and from descriptors. */
	chdir("/");
	first_line("proc/self/status from /", AT_FDCWD, "proc/self/status");
	chdir("/tmp");
	first_line("../proc/self/status from /tmp", AT_FDCWD, "../proc/self/status");
	int procfd = open("/proc", O_RDONLY | O_DIRECTORY);
	first_line("self/status from a /proc fd", procfd, "self/status");
	printf("..  from a /proc fd is /: %s\n", same(procfd, "..", "/"));
	printf("self/cwd from a /proc fd is /tmp: %s\n", same(procfd, "self/cwd", "/tmp"));
	snprintf(path, sizeof path, "/proc/%d", getpid());
	int piddir = open(path, O_RDONLY | O_DIRECTORY);
	first_line("status from a /proc/PID fd", piddir, "status");
	printf("task/.. from a /proc/PID fd is itself: %s\n", same(piddir, "task/..", path));
	printf("../.. from a /proc/PID fd is /: %s\n", same(piddir, "../..", "/"));
	close(piddir);

	/* `..` out of proc, and magic links. */
	printf("/proc/.. is /: %s\n", same(AT_FDCWD, "/proc/..", "/"));
	printf("/proc/self/.. is /proc: %s\n", same(AT_FDCWD, "/proc/self/..", "/proc"));
	printf("/proc/self/cwd/.. is /: %s\n", same(AT_FDCWD, "/proc/self/cwd/..", "/"));
	printf("/proc/self/root/tmp is /tmp: %s\n", same(AT_FDCWD, "/proc/self/root/tmp", "/tmp"));
	printf("/proc/self/cwd/./ is /tmp: %s\n", same(AT_FDCWD, "/proc/self/cwd/./", "/tmp"));
	struct stat exe, self;
	int efd = open("/proc/self/exe", O_RDONLY);
	printf("stat /proc/self/exe: %s\n", r(stat("/proc/self/exe", &exe)));
	printf("open /proc/self/exe: %s\n", en(efd < 0 ? errno : 0));
	fstat(efd, &self);
	printf("exe's stat is the open file's: %s\n", exe.st_ino == self.st_ino && exe.st_dev == self.st_dev ? "yes" : "no");
	close(efd);
	printf("lstat /proc/self/exe is a link: %s\n",
	       lstat("/proc/self/exe", &exe) == 0 && S_ISLNK(exe.st_mode) ? "yes" : "no");
	printf("/proc/self/exe/ : %s\n", r(stat("/proc/self/exe/", &exe)));

	/* A pipe opened again through /proc/self/fd/N. */
	int pfd[2];
	pipe(pfd);
	snprintf(path, sizeof path, "/proc/self/fd/%d", pfd[0]);
	int again = open(path, O_RDONLY);
	printf("open fd/N of a pipe: %s\n", en(again < 0 ? errno : 0));
	write(pfd[1], "hi", 2);
	char two[3] = { 0 };
	printf("read through it: %zd %s\n", read(again, two, 2), two);
	snprintf(path, sizeof path, "/proc/self/fd/%d/", pfd[0]);
	printf("fd/N/ of a pipe: %s\n", r(open(path, O_RDONLY) < 0 ? -1 : 0));
	close(again);
	close(pfd[0]);
	close(pfd[1]);

	/* A cwd inside /proc. */
	char want[64], got[256];
	ssize_t len;
	snprintf(want, sizeof want, "/proc/%d", getpid());
	printf("chdir /proc/self: %s\n", r(chdir("/proc/self")));
	printf("getcwd is /proc/PID: %s\n", getcwd(got, sizeof got) && strcmp(got, want) == 0 ? "yes" : got);
	first_line("status from the cwd", AT_FDCWD, "status");
	len = readlink("/proc/self/cwd", got, sizeof got - 1);
	got[len > 0 ? len : 0] = 0;
	printf("/proc/self/cwd names it: %s\n", strcmp(got, want) == 0 ? "yes" : got);
	printf(". is /proc/PID: %s\n", same(AT_FDCWD, ".", want));
	printf("/proc/self/cwd/status is ./status: %s\n", same(AT_FDCWD, "/proc/self/cwd/status", "status"));
	printf("chdir fd: %s\n", r(chdir("fd")));
	printf("getcwd ends in /fd: %s\n", getcwd(got, sizeof got) && strstr(got, "/fd") ? "yes" : "no");
	printf("chdir ../..: %s\n", r(chdir("../..")));
	printf("getcwd: %s\n", getcwd(got, sizeof got) ? got : en(errno));
	printf("chdir sys/kernel: %s\n", r(chdir("sys/kernel")));
	first_line("ostype from the cwd", AT_FDCWD, "ostype");
	printf("getcwd: %s\n", getcwd(got, sizeof got) ? got : en(errno));
	printf("chdir /proc/self/status: %s\n", r(chdir("/proc/self/status")));
	int pd = open(want, O_RDONLY | O_DIRECTORY);
	printf("fchdir to a /proc/PID fd: %s\n", r(fchdir(pd)));
	printf("getcwd is /proc/PID: %s\n", getcwd(got, sizeof got) && strcmp(got, want) == 0 ? "yes" : got);
	int st_fd = open("/proc/self/status", O_RDONLY);
	printf("fchdir to /proc/self/status: %s\n", r(fchdir(st_fd)));
	close(st_fd);
	int fddir = openat(pd, "fd", O_RDONLY | O_DIRECTORY);
	printf("openat(/proc/PID fd, fd): %s\n", en(fddir < 0 ? errno : 0));
	printf("fd/0 from it is /proc/self/fd/0: %s\n", same(fddir, "0", "/proc/self/fd/0"));
	printf("fchdir to it: %s\n", r(fchdir(fddir)));
	printf("getcwd ends in /fd: %s\n", getcwd(got, sizeof got) && strstr(got, "/fd") ? "yes" : "no");
	close(fddir);
	close(pd);
	chdir("/tmp");

	/* A second proc mount. */
	snprintf(path, sizeof path, "%s/p", base);
	mkdir(path, 0755);
	printf("mount proc again: %s\n", r(mount("proc", path, "proc", 0, NULL)));
	snprintf(path, sizeof path, "%s/p/self/status", base);
	first_line("second mount's self/status", AT_FDCWD, path);
	chdir(base);
	first_line("p/self/comm from its parent", AT_FDCWD, "p/self/comm");
	snprintf(path, sizeof path, "%s/p/..", base);
	printf("second mount's .. is its parent: %s\n", same(AT_FDCWD, path, base));
	printf("p/self/cwd is the cwd: %s\n", same(AT_FDCWD, "p/self/cwd", base));

	printf("chdir p/self/task: %s\n", r(chdir("p/self/task")));
	snprintf(path, sizeof path, "%s/p", base);
	printf("umount p with the cwd in it: %s\n", r(umount(path)));
	printf("chdir ../../..: %s\n", r(chdir("../../..")));
	printf("back in base: %s\n", same(AT_FDCWD, ".", base));

	/* Nothing is made or removed in /proc. */
	printf("mkdir /proc/x: %s\n", r(mkdir("/proc/x", 0755)));
	printf("mkdir /proc/self: %s\n", r(mkdir("/proc/self", 0755)));
	printf("mkdir p/new: %s\n", r(mkdir("p/new", 0755)));
	printf("unlink /proc/self/status: %s\n", r(unlink("/proc/self/status")));
	printf("unlink p/self: %s\n", r(unlink("p/self")));
	printf("rmdir /proc/self/fd: %s\n", r(rmdir("/proc/self/fd")));
	printf("rmdir p/meminfo: %s\n", r(rmdir("p/meminfo")));
	printf("rmdir p: %s\n", r(rmdir("p")));

	/* readlink of /proc/self/root in a chroot, from a child. */
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		printf("chroot: %s\n", r(chroot(base)));
		char link[256];
		ssize_t n = readlink("p/self/root", link, sizeof link - 1);
		link[n > 0 ? n : 0] = 0;
		printf("readlink p/self/root in the chroot: %s %s\n", en(n < 0 ? errno : 0), link);
		/* The cwd is the new root: a relative path reaches the mount. */
		first_line("p/self/comm in the chroot", AT_FDCWD, "p/self/comm");
		fflush(stdout);
		_exit(0);
	}
	waitpid(pid, NULL, 0);

	/* Another user may not search this process's fd/ (dr-x------, root's)
	 * but may search its directory, and its own fd/ always. */
	pid_t parent = getpid();
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct stat st;
		become_user();
		snprintf(path, sizeof path, "/proc/%d/fd", parent);
		printf("as a user: chdir another's fd/: %s\n", r(chdir(path)));
		printf("as a user: open another's fd/: %s\n", en(open(path, O_RDONLY | O_DIRECTORY) < 0 ? errno : 0));
		snprintf(path, sizeof path, "/proc/%d/fd/0", parent);
		printf("as a user: lstat another's fd/0: %s\n", r(lstat(path, &st)));
		snprintf(path, sizeof path, "/proc/%d/fd/.", parent);
		printf("as a user: stat another's fd/.: %s\n", r(stat(path, &st)));
		snprintf(path, sizeof path, "/proc/%d/status", parent);
		printf("as a user: access another's status: %s\n", r(access(path, R_OK)));
		snprintf(path, sizeof path, "/proc/%d", parent);
		printf("as a user: chdir another's /proc/PID: %s\n", r(chdir(path)));
		printf("as a user: lstat fd/0 from there: %s\n", r(lstat("fd/0", &st)));
		printf("as a user: own fd/0: %s\n", r(lstat("/proc/self/fd/0", &st)));
		printf("as a user: chdir own fd/: %s\n", r(chdir("/proc/self/fd")));
		fflush(stdout);
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	printf("umount p: %s\n", r(umount("p")));
	rmdir("p");
	chdir("/");
	printf("rmdir base: %s\n", r(rmdir(base)));
	return 0;
}
