/*
 * umount_ns_busy: umount's EBUSY counts the references to the mount
 * itself, not to what it shows. A process that unshared CLONE_NEWNS holds
 * its own copy of each mount: its working directory, its root (chroot), a
 * file it opened, or a mount it made on its copy leave the original free,
 * so umount in the first namespace succeeds and the process still reads
 * its files through its copy. The caller's own working directory or open
 * file in the mount, or the working directory of another process of the
 * same namespace, makes it EBUSY; MNT_DETACH takes it off anyway.
 * Run as root (natively too); natively the test first enters a private
 * mount namespace of its own and stops if it cannot.
 * Mirrors: umount(2), mount_namespaces(7), unshare(2).
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
#include <sys/wait.h>
#include <unistd.h>

#include "scratch.h"
#include "testlib.h"

static const char *r(int rc)
{
	return en(rc < 0 ? errno : 0);
}

/* Mount a fresh tmpfs on BASE/mnt holding file `f` ("hello") and an
 * empty directory `sub`. */
static void fresh(void)
{
	if (mount("none", p("/mnt"), "tmpfs", 0, "mode=755") != 0) {
		printf("mount tmpfs: %s\n", en(errno));
		exit(1);
	}
	int fd = open(p("/mnt/f"), O_CREAT | O_WRONLY, 0644);
	write(fd, "hello", 5);
	close(fd);
	mkdir(p("/mnt/sub"), 0755);
}

static void show(const char *who, const char *path)
{
	char buf[16] = "";
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		printf("%s reads %s: %s\n", who, path[0] == '/' ? "an absolute path" : path, en(errno));
		return;
	}
	int n = read(fd, buf, sizeof buf - 1);
	close(fd);
	printf("%s reads %s: \"%.*s\"\n", who, path[0] == '/' ? "an absolute path" : path, n < 0 ? 0 : n, buf);
}

/* A child in a namespace of its own that takes hold of its copy of
 * BASE/mnt as `how` says, while this process umounts the original. */
static void across(const char *how)
{
	int go[2], ready[2];
	pipe(go);
	pipe(ready);
	fresh();
	pid_t a = fork();
	if (a == 0) {
		if (unshare(CLONE_NEWNS) != 0)
			_exit(2);
		const char *path = "f";
		int fd = -1;
		if (strcmp(how, "cwd") == 0) {
			chdir(p("/mnt"));
		} else if (strcmp(how, "root") == 0) {
			chroot(p("/mnt"));
			chdir("/");
			path = "/f";
		} else if (strcmp(how, "submount") == 0) {
			printf("A mount on its copy's sub: %s\n", r(mount("none", p("/mnt/sub"), "tmpfs", 0, NULL)));
			chdir("/");
			path = p("/mnt/f");
		} else if (strcmp(how, "cwd in a subdirectory") == 0) {
			chdir(p("/mnt/sub"));
			path = "../f";
		} else if (strcmp(how, "open file") == 0) {
			fd = open(p("/mnt/f"), O_RDONLY);
			chdir("/");
		}
		write(ready[1], "r", 1);
		char c;
		read(go[0], &c, 1);
		if (fd >= 0) {
			char buf[16];
			int n = pread(fd, buf, sizeof buf, 0);
			printf("A reads its open file: \"%.*s\"\n", n < 0 ? 0 : n, buf);
		} else {
			show("A", path);
		}
		_exit(0);
	}
	char c;
	read(ready[0], &c, 1);
	printf("%s of A in its copy: umount in the first namespace: %s\n", how, r(umount(p("/mnt"))));
	printf("  BASE/mnt/f here afterwards: %s\n", r(access(p("/mnt/f"), F_OK)));
	write(go[1], "g", 1);
	int st;
	waitpid(a, &st, 0);
	printf("  A exited: %d\n", WEXITSTATUS(st));
	close(go[0]);
	close(go[1]);
	close(ready[0]);
	close(ready[1]);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (unshare(CLONE_NEWNS) != 0) {
		printf("unshare(CLONE_NEWNS): %s: not mounting anything\n", en(errno));
		return 1;
	}
	mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
	snprintf(base, sizeof base, "/tmp/umount_ns_busy.XXXXXX");
	if (!mkdtemp(base)) {
		perror("mkdtemp");
		return 1;
	}
	mkdir(p("/mnt"), 0755);

	across("cwd");
	across("cwd in a subdirectory");
	across("root");
	across("submount");
	across("open file");

	/* The reverse: this process's own working directory in the mount. */
	fresh();
	chdir(p("/mnt/sub"));
	printf("own cwd in it: umount: %s\n", r(umount(p("/mnt"))));
	chdir("/");
	int fd = open(p("/mnt/f"), O_RDONLY);
	printf("own open file in it: umount: %s\n", r(umount(p("/mnt"))));
	close(fd);

	/* Another process of the same namespace. */
	int ready[2], go[2];
	pipe(ready);
	pipe(go);
	pid_t b = fork();
	if (b == 0) {
		chdir(p("/mnt"));
		write(ready[1], "r", 1);
		char c;
		read(go[0], &c, 1);
		show("B", "f");
		_exit(0);
	}
	char c;
	read(ready[0], &c, 1);
	printf("cwd of another process of this namespace: umount: %s\n", r(umount(p("/mnt"))));
	printf("  umount2 MNT_DETACH: %s\n", r(umount2(p("/mnt"), MNT_DETACH)));
	write(go[1], "g", 1);
	int st;
	waitpid(b, &st, 0);
	printf("  B exited: %d\n", WEXITSTATUS(st));
	printf("umount again: %s\n", r(umount(p("/mnt"))));
	rmdir(p("/mnt"));
	printf("rmdir BASE: %s\n", r(rmdir(base)));
	return 0;
}
