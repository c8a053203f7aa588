/*
 * chroot: chroot(2) and the per-process root. Checks: EPERM for a
 * non-root caller, ENOENT, ENOTDIR, EFAULT; after chroot absolute paths
 * start at the new root, `..` at the root stays there (by path, by an
 * absolute symlink pointing up, and through a mount point inside the
 * new root), the cwd is left outside (getcwd says "(unreachable)" and
 * relative paths still reach outside); a forked child inherits the root,
 * a clone(CLONE_FS) child's chroot moves its parent's root too, a plain
 * fork's does not; /proc/PID/root of a chrooted process names its root
 * from the reader's; /proc mounted inside shows "/" as the root and
 * mountinfo leaves out what lies outside; the classic escape (chroot
 * into a subdirectory while the cwd stays above, then climb `..` and
 * chroot(".")) works for root, as on Linux.
 * Run as root (natively too), in a private mount namespace.
 * Mirrors: chroot(2), path_resolution(7), getcwd(3), proc(5).
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

/* The kernel's getcwd, not glibc's (which refuses "(unreachable)"),
 * with the test's base directory replaced by BASE. */
static const char *kcwd(void)
{
	static char buf[512], out[512];
	long n = syscall(SYS_getcwd, buf, sizeof buf);
	if (n < 0)
		return en(errno);
	char *at = strstr(buf, base);
	if (at)
		snprintf(out, sizeof out, "%.*sBASE%s", (int)(at - buf), buf, at + strlen(base));
	else
		snprintf(out, sizeof out, "%s", buf);
	return out;
}

static void show_link_as(const char *path, const char *label)
{
	char buf[256];
	ssize_t n = readlink(path, buf, sizeof buf - 1);
	if (n < 0) {
		printf("readlink %s: %s\n", label, en(errno));
		return;
	}
	buf[n] = 0;
	char *at = strstr(buf, base);
	if (at)
		printf("readlink %s: %.*sBASE%s\n", label, (int)(at - buf), buf, at + strlen(base));
	else
		printf("readlink %s: %s\n", label, buf);
}

static void show_link(const char *path)
{
	show_link_as(path, path);
}

static int wait_child(pid_t pid)
{
	int st;
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void errnos(void)
{
	printf("chroot missing: %s\n", r(chroot(p("/missing"))));
	printf("chroot file: %s\n", r(chroot(p("/marker"))));
	printf("chroot file/..: %s\n", r(chroot(p("/marker/.."))));
	printf("chroot NULL: %s\n", r(chroot(NULL)));
	pid_t pid = fork();
	if (pid == 0) {
		if (setuid(1000) != 0)
			_exit(1);
		printf("chroot as uid 1000: %s\n", r(chroot(p("/jail"))));
		_exit(0);
	}
	printf("uid 1000 child: %d\n", wait_child(pid));
}

/* In a child: chroot into the jail and look around. */
static void inside(void)
{
	if (chdir(base) != 0)
		_exit(1);
	printf("chroot jail: %s\n", r(chroot(p("/jail"))));
	printf("cwd left outside: %s\n", kcwd());
	printf("relative marker: %s\n", exists("marker"));
	printf("/marker: %s\n", exists("/marker"));
	printf("/inside: %s\n", exists("/inside"));
	printf("/../../inside: %s\n", exists("/../../inside"));
	printf("/sub/../../inside: %s\n", exists("/sub/../../inside"));
	printf("/up (-> /../..) /inside: %s\n", exists("/up/inside"));
	printf("/mnt/../../inside: %s\n", exists("/mnt/../../inside"));
	printf("chdir /: %s\n", r(chdir("/")));
	printf("cwd: %s\n", kcwd());
	printf("chdir ..: %s\n", r(chdir("..")));
	printf("cwd after ..: %s\n", kcwd());
	show_link("/proc/self/root");
	show_link("/proc/self/cwd");
	/* The proc mount inside is the only one below the root. */
	FILE *f = fopen("/proc/self/mountinfo", "r");
	char line[512];
	while (f && fgets(line, sizeof line, f)) {
		char id[16], parent[16], dev[32], root[256], point[256], type[32];
		char *dash = strstr(line, " - ");
		if (sscanf(line, "%15s %15s %31s %255s %255s", id, parent, dev, root, point) == 5 && dash &&
		    sscanf(dash + 3, "%31s", type) == 1)
			printf("mountinfo: root=%s at=%s type=%s\n", root, point, type);
	}
	if (f)
		fclose(f);

	/* A forked child inherits the root. */
	pid_t pid = fork();
	if (pid == 0) {
		printf("child /inside: %s\n", exists("/inside"));
		printf("child /marker: %s\n", exists("/marker"));
		_exit(0);
	}
	wait_child(pid);

	/* The classic escape: chroot below while the cwd stays above. */
	pid = fork();
	if (pid == 0) {
		printf("chroot sub: %s\n", r(chroot("/sub")));
		printf("cwd outside sub: %s\n", kcwd());
		for (int i = 0; i < 20; i++)
			chdir("..");
		printf("chroot .: %s\n", r(chroot(".")));
		printf("escaped marker: %s\n", exists(p("/marker")));
		_exit(0);
	}
	wait_child(pid);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (unshare(CLONE_NEWNS) != 0) {
		printf("unshare(CLONE_NEWNS): %s\n", en(errno));
		return 1;
	}
	mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
	snprintf(base, sizeof base, "/tmp/chroot.XXXXXX");
	if (!mkdtemp(base)) {
		perror("mkdtemp");
		return 1;
	}
	chmod(base, 0755);
	mkdir(p("/jail"), 0755);
	mkdir(p("/jail/sub"), 0755);
	mkdir(p("/jail/mnt"), 0755);
	mkdir(p("/jail/proc"), 0555);
	touch(p("/marker"));
	touch(p("/jail/inside"));
	symlink("/../..", p("/jail/up"));
	printf("mount tmpfs on jail/mnt: %s\n", r(mount("none", p("/jail/mnt"), "tmpfs", 0, NULL)));
	printf("mount proc on jail/proc: %s\n", r(mount("proc", p("/jail/proc"), "proc", 0, NULL)));
	errnos();

	/* /proc/PID/root of a chrooted child, read from outside. */
	int go[2];
	if (pipe(go) != 0)
		return 1;
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		close(go[1]);
		if (chroot(p("/jail")) != 0)
			_exit(1);
		read(go[0], &c, 1);
		_exit(0);
	}
	close(go[0]);
	char link[64];
	snprintf(link, sizeof link, "/proc/%d/root", pid);
	for (int i = 0; i < 200; i++) {
		char buf[256];
		ssize_t n = readlink(link, buf, sizeof buf - 1);
		if (n > 0 && (buf[n] = 0, strcmp(buf, "/") != 0))
			break;
		sleep_ms(10);
	}
	show_link_as(link, "/proc/CHILD/root");
	write(go[1], "x", 1);
	close(go[1]);
	wait_child(pid);

	pid = fork();
	if (pid == 0) {
		inside();
		_exit(0);
	}
	printf("inside: %d\n", wait_child(pid));

	/* clone(CLONE_FS): the child's chroot is its parent's too. */
	pid = fork();
	if (pid == 0) {
		long c = syscall(SYS_clone, CLONE_FS | SIGCHLD, 0, 0, 0, 0);
		if (c == 0) {
			chroot(p("/jail"));
			_exit(0);
		}
		wait_child((pid_t)c);
		printf("CLONE_FS parent /inside: %s\n", exists("/inside"));
		c = fork();
		if (c == 0) {
			chroot("/sub");
			_exit(0);
		}
		wait_child((pid_t)c);
		printf("fork parent /inside: %s\n", exists("/inside"));
		_exit(0);
	}
	wait_child(pid);

	umount2(p("/jail/proc"), 0);
	umount2(p("/jail/mnt"), 0);
	unlink(p("/jail/up"));
	unlink(p("/jail/inside"));
	unlink(p("/marker"));
	rmdir(p("/jail/proc"));
	rmdir(p("/jail/mnt"));
	rmdir(p("/jail/sub"));
	rmdir(p("/jail"));
	printf("cleaned up: %s\n", r(rmdir(base)));
	return 0;
}
