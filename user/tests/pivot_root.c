/*
 * pivot_root: pivot_root(2) in a private mount namespace, from a root
 * that is a tmpfs (chroot into it first, since a root that is not an
 * attached mount cannot be pivoted: on Linux booted from an initramfs,
 * and under Tine, the boot root is rootfs). Checks: EPERM for uid 1000;
 * ENOENT and ENOTDIR from either path; EBUSY when new_root or put_old is
 * on the root's own mount; EINVAL when new_root is not a mount's root and
 * when put_old is not below new_root; then the pivot: the cwd and root
 * move to the new root, the old root is at put_old with what was mounted
 * in it, /proc/self/mountinfo names mount points from the new root and
 * leaves out the rest, and after umount2(put_old, MNT_DETACH) only the
 * new root and what is mounted below it remain; `..` at the new root
 * stays; another process of the namespace whose root was the old root
 * moves too.
 * Run as root (natively too), in a private mount namespace.
 * Mirrors: pivot_root(2), mount_namespaces(7), proc(5) mountinfo.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "scratch.h"
#include "testlib.h"

static const char *r(long v)
{
	return rc_str(v);
}

static long pivot(const char *new_root, const char *put_old)
{
	return syscall(SYS_pivot_root, new_root, put_old);
}

static int wait_child(pid_t pid)
{
	int st;
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void cwd(const char *when)
{
	char buf[256];
	long n = syscall(SYS_getcwd, buf, sizeof buf);
	printf("%s: cwd %s\n", when, n < 0 ? en(errno) : buf);
}

/* In a child with a mount namespace of its own: everything it mounts
 * goes with it. */
static int pivoting(void)
{
	if (unshare(CLONE_NEWNS) != 0) {
		printf("unshare(CLONE_NEWNS): %s\n", en(errno));
		return 1;
	}
	mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
	printf("tmpfs on base: %s\n", r(mount("top", base, "tmpfs", 0, NULL)));
	mkdir(p("/dir"), 0755);
	mkdir(p("/new"), 0755);
	mkdir(p("/other"), 0755);
	mkdir(p("/proc"), 0555);
	touch(p("/top-file"));
	printf("tmpfs on new: %s\n", r(mount("new", p("/new"), "tmpfs", 0, NULL)));
	printf("tmpfs on other: %s\n", r(mount("other", p("/other"), "tmpfs", 0, NULL)));
	mkdir(p("/new/old"), 0755);
	mkdir(p("/new/sub"), 0755);
	mkdir(p("/new/proc"), 0555);
	touch(p("/new/hello"));

	pid_t pid = fork();
	if (pid == 0) {
		if (setuid(1000) != 0)
			_exit(1);
		printf("uid 1000: %s\n", r(pivot(p("/new"), p("/new/old"))));
		_exit(0);
	}
	wait_child(pid);

	/* A process that stays at the old root: pivot_root moves it. */
	int go[2], done[2];
	if (pipe(go) != 0 || pipe(done) != 0)
		return 1;
	if (chroot(base) != 0 || chdir("/") != 0) {
		printf("chroot: %s\n", en(errno));
		return 1;
	}
	pid = fork();
	if (pid == 0) {
		char c;
		close(go[1]);
		close(done[0]);
		read(go[0], &c, 1);
		printf("other process: /hello %s, /top-file %s\n", exists("/hello"), exists("/top-file"));
		cwd("other process");
		write(done[1], "x", 1);
		_exit(0);
	}
	close(go[0]);
	close(done[1]);

	printf("missing new_root: %s\n", r(pivot("/missing", "/new/old")));
	printf("missing put_old: %s\n", r(pivot("/new", "/new/missing")));
	printf("file new_root: %s\n", r(pivot("/top-file", "/new/old")));
	printf("file put_old: %s\n", r(pivot("/new", "/new/hello")));
	printf("new_root on root's mount: %s\n", r(pivot("/dir", "/new/old")));
	printf("put_old on root's mount: %s\n", r(pivot("/new", "/dir")));
	printf("new_root not a mount root: %s\n", r(pivot("/new/sub", "/new/old")));
	printf("put_old not below new_root: %s\n", r(pivot("/new", "/other")));
	printf("root as new_root: %s\n", r(pivot("/", "/new/old")));

	printf("pivot_root: %s\n", r(pivot("/new", "/new/old")));
	cwd("after");
	printf("/hello: %s\n", exists("/hello"));
	printf("/old/top-file: %s\n", exists("/old/top-file"));
	printf("/../../hello: %s\n", exists("/../../hello"));
	printf("/old/new/hello: %s\n", exists("/old/new/hello"));
	printf("proc: %s\n", r(mount("proc", "/proc", "proc", 0, NULL)));
	mountinfo("pivoted");
	char buf[256];
	ssize_t n = readlink("/proc/self/root", buf, sizeof buf - 1);
	printf("/proc/self/root: %s\n", n < 0 ? en(errno) : (buf[n] = 0, buf));
	write(go[1], "x", 1);
	read(done[0], buf, 1);
	wait_child(pid);

	printf("umount old busy: %s\n", r(umount2("/old", 0)));
	printf("umount old detached: %s\n", r(umount2("/old", MNT_DETACH)));
	mountinfo("alone");
	printf("/old/top-file: %s\n", exists("/old/top-file"));
	printf("pivot again, old root gone: %s\n", r(pivot("/", "/old")));
	return 0;
}

int main(void)
{
	return scratch_main("pivot_root", pivoting);
}
