/*
 * pivot_root_dot: pivot_root(".", "."), as runc does it: new_root and
 * put_old the same directory, the cwd. The old root is mounted on top of
 * the new root; the caller's root and cwd are the new root underneath it,
 * so what it sees by name (".", "/", "/..") is checked before and after
 * umount2(".", MNT_DETACH), which takes the old root off the top. Then
 * only the new root's mounts remain (/proc/self/mountinfo), and another
 * process of the namespace that stayed at the old root moved too.
 * Run as root (natively too), in a private mount namespace; the root
 * is a tmpfs first (chroot), since the namespace's own root mount cannot
 * be pivoted.
 * Mirrors: pivot_root(2) NOTES, mount_namespaces(7), umount(2).
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
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "scratch.h"
#include "testlib.h"

static dev_t old_dev, new_dev;

static const char *r(long v)
{
	return rc_str(v);
}

/* Which file system `path` is on: the old root's tmpfs, the new one's,
 * or something else. */
static const char *on(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return en(errno);
	return st.st_dev == old_dev ? "old root" : st.st_dev == new_dev ? "new root" : "other";
}

static void look(const char *when)
{
	char buf[256];
	long n = syscall(SYS_getcwd, buf, sizeof buf);
	printf("%s: cwd %s\n", when, n < 0 ? en(errno) : buf);
	printf("%s: . on %s, / on %s, /.. on %s, ./.. on %s\n", when, on("."), on("/"), on("/.."), on(".."));
	printf("%s: ./new-file %s, /new-file %s, /old-file %s, ./old-file %s\n", when, exists("new-file"),
	       exists("/new-file"), exists("/old-file"), exists("old-file"));
	printf("%s: /../old-file %s, ../new-file %s\n", when, exists("/../old-file"), exists("../new-file"));
}

static int pivoting(void)
{
	char path[128];
	if (unshare(CLONE_NEWNS) != 0) {
		printf("unshare(CLONE_NEWNS): %s\n", en(errno));
		return 1;
	}
	mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
	printf("tmpfs on base: %s\n", r(mount("oldroot", base, "tmpfs", 0, NULL)));
	snprintf(path, sizeof path, "%s/new", base);
	mkdir(path, 0755);
	snprintf(path, sizeof path, "%s/old-file", base);
	touch(path);
	snprintf(path, sizeof path, "%s/new", base);
	printf("tmpfs on new: %s\n", r(mount("newroot", path, "tmpfs", 0, NULL)));
	snprintf(path, sizeof path, "%s/new/new-file", base);
	touch(path);
	snprintf(path, sizeof path, "%s/new/proc", base);
	mkdir(path, 0555);
	if (chroot(base) != 0 || chdir("/") != 0) {
		printf("chroot: %s\n", en(errno));
		return 1;
	}
	struct stat st;
	stat("/", &st);
	old_dev = st.st_dev;
	stat("/new", &st);
	new_dev = st.st_dev;

	/* Another process that stays at the old root. */
	int go[2], done[2];
	if (pipe(go) != 0 || pipe(done) != 0)
		return 1;
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		read(go[0], &c, 1);
		look("other process");
		write(done[1], "x", 1);
		_exit(0);
	}

	printf("chdir /new: %s\n", r(chdir("/new")));
	printf("pivot_root(\".\", \".\"): %s\n", r(syscall(SYS_pivot_root, ".", ".")));
	look("stacked");
	printf("umount2(\".\", MNT_DETACH): %s\n", r(umount2(".", MNT_DETACH)));
	look("detached");
	printf("proc: %s\n", r(mount("proc", "/proc", "proc", 0, NULL)));
	mountinfo("alone");
	char c;
	write(go[1], "x", 1);
	read(done[0], &c, 1);
	waitpid(pid, NULL, 0);
	return 0;
}

int main(void)
{
	return scratch_main("pivot_root_dot", pivoting);
}
