/*
 * mount_tmpfs: mount(2) and umount2(2) of tmpfs, proc and bind mounts.
 * Checks: files under a mount point hidden by a tmpfs and back after the
 * umount; st_dev of a new instance; `..` from a mount's root to the
 * directory it covers, paths through two mount points, getcwd inside;
 * rmdir of a mount point -> EBUSY, rename across instances -> EXDEV;
 * umount of a busy mount (submount, cwd, open file) -> EBUSY, and with
 * MNT_DETACH an open file still works; umount of a non-mount -> EINVAL,
 * bad flags -> EINVAL, missing path -> ENOENT; mount on a missing path
 * -> ENOENT, on a file -> ENOTDIR, unknown type -> ENODEV, unknown tmpfs
 * option -> EINVAL, no type -> EINVAL; proc mounted on a second directory
 * answers and goes away; bind mount of a directory of a tmpfs; remount
 * read-only -> EROFS; as uid 1000 mount and umount -> EPERM (missing path
 * -> ENOENT first); the test's own lines of /proc/self/mountinfo and
 * /proc/self/mounts with mount ids replaced by mount points.
 * The test first enters a private mount namespace (natively it stops if
 * it cannot, so that it never changes the host's mounts).
 * Mirrors: mount(2), umount2(2), proc_pid_mountinfo(5).
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
#include <unistd.h>

#include "scratch.h"
#include "testlib.h"

static const char *r(int rc)
{
	return en(rc == 0 ? 0 : errno);
}

static int under_tine(void)
{
	struct utsname u;
	return uname(&u) == 0 && strstr(u.release, "tine") != NULL;
}

/* A private mount namespace natively; nothing under Tine. */
static void enter_private_namespace(void)
{
	if (unshare(CLONE_NEWNS) != 0 && !under_tine()) {
		printf("unshare(CLONE_NEWNS): %s: not mounting anything\n", en(errno));
		exit(1);
	}
	mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
}

/* The path `s` with the test directory shown as BASE. */
static void put_path(const char *s, const char *end)
{
	size_t bl = strlen(base);
	while (s < end) {
		if ((size_t)(end - s) >= bl && strncmp(s, base, bl) == 0) {
			fputs("BASE", stdout);
			s += bl;
		} else {
			putchar(*s++);
		}
	}
}

/* The mountinfo lines of mounts below BASE, each id replaced by the
 * mount point of that mount (or "outside"), major:minor by whether the
 * device is anonymous. */
static void show_mountinfo(const char *title)
{
	char ids[64][16], points[64][256];
	char lines[64][1024];
	int n = 0;
	FILE *f = fopen("/proc/self/mountinfo", "r");
	if (!f) {
		printf("mountinfo: %s\n", en(errno));
		return;
	}
	char line[1024];
	while (n < 64 && fgets(line, sizeof line, f)) {
		char id[16], parent[16], dev[32], root[256], point[256];
		if (sscanf(line, "%15s %15s %31s %255s %255s", id, parent, dev, root, point) != 5)
			continue;
		snprintf(ids[n], 16, "%s", id);
		snprintf(points[n], 256, "%s", point);
		snprintf(lines[n], 1024, "%s", line);
		n++;
	}
	fclose(f);
	printf("%s:\n", title);
	for (int i = 0; i < n; i++) {
		if (strncmp(points[i], base, strlen(base)) != 0)
			continue;
		char id[16], parent[16], dev[32], root[256], point[256];
		int off = 0;
		sscanf(lines[i], "%15s %15s %31s %255s %255s %n", id, parent, dev, root, point, &off);
		const char *par = "outside";
		for (int j = 0; j < n; j++)
			if (strcmp(ids[j], parent) == 0 && strncmp(points[j], base, strlen(base)) == 0)
				par = points[j];
		printf("  ");
		put_path(point, point + strlen(point));
		printf(" parent=");
		put_path(par, par + strlen(par));
		printf(" dev=%s root=%s ", strncmp(dev, "0:", 2) == 0 ? "anon" : "other", root);
		const char *rest = lines[i] + off;
		put_path(rest, rest + strlen(rest));
	}
}

static void show_mounts(void)
{
	FILE *f = fopen("/proc/self/mounts", "r");
	if (!f) {
		printf("mounts: %s\n", en(errno));
		return;
	}
	char line[1024];
	printf("mounts:\n");
	while (fgets(line, sizeof line, f)) {
		if (strstr(line, base)) {
			printf("  ");
			put_path(line, line + strlen(line));
		}
	}
	fclose(f);
}

static void put_file(const char *path, const char *text)
{
	int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	if (fd < 0) {
		printf("create %s: %s\n", path, en(errno));
		return;
	}
	write(fd, text, strlen(text));
	close(fd);
}

static void show_file(const char *label, const char *path)
{
	char buf[64] = "";
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		printf("%s: %s\n", label, en(errno));
		return;
	}
	int n = read(fd, buf, sizeof buf - 1);
	buf[n > 0 ? n : 0] = 0;
	close(fd);
	printf("%s: \"%s\"\n", label, buf);
}

static int same_file(const char *a, const char *b)
{
	struct stat x, y;
	if (stat(a, &x) || stat(b, &y))
		return -1;
	return x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

static void as_other_user(void)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		if (setuid(1000) != 0) {
			printf("setuid: %s\n", en(errno));
			_exit(1);
		}
		printf("uid 1000: mount tmpfs: %s\n", r(mount("none", p("/d"), "tmpfs", 0, NULL)));
		printf("uid 1000: mount on missing: %s\n", r(mount("none", p("/nope"), "tmpfs", 0, NULL)));
		printf("uid 1000: umount a: %s\n", r(umount(p("/a"))));
		printf("uid 1000: umount missing: %s\n", r(umount(p("/nope"))));
		printf("uid 1000: umount non-mount: %s\n", r(umount(p("/d"))));
		fflush(stdout);
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	printf("child: %s\n", st_str(st));
}

int main(void)
{
	enter_private_namespace();
	snprintf(base, sizeof base, "/tmp/mount_tmpfs.XXXXXX");
	if (!mkdtemp(base)) {
		printf("mkdtemp: %s\n", en(errno));
		return 1;
	}
	chmod(base, 0755);
	mkdir(p("/a"), 0755);
	mkdir(p("/d"), 0755);
	put_file(p("/a/under"), "on the directory below");
	put_file(p("/file"), "x");

	/* A tmpfs over a directory with a file in it. */
	printf("mount tmpfs on a: %s\n", r(mount("none", p("/a"), "tmpfs", 0, NULL)));
	struct stat sa, sb;
	stat(p("/a"), &sa);
	stat(base, &sb);
	printf("a is a new device: %s, mode %o\n", sa.st_dev != sb.st_dev ? "yes" : "no", sa.st_mode & 07777);
	show_file("a/under while mounted", p("/a/under"));
	put_file(p("/a/f1"), "in the tmpfs");
	show_file("a/f1", p("/a/f1"));
	printf("a/.. is BASE: %d\n", same_file(p("/a/.."), base));
	printf("/.. is /: %d\n", same_file("/..", "/"));

	/* A second tmpfs inside the first, with options. */
	mkdir(p("/a/sub"), 0755);
	printf("mount tmpfs on a/sub: %s\n", r(mount("x", p("/a/sub"), "tmpfs", 0, "size=1m,mode=700")));
	put_file(p("/a/sub/f2"), "deeper");
	show_file("a/sub/../sub/../../a/sub/f2", p("/a/sub/../sub/../../a/sub/f2"));
	printf("a/sub/../.. is BASE: %d\n", same_file(p("/a/sub/../.."), base));
	chdir(p("/a/sub"));
	char cwd[256];
	if (getcwd(cwd, sizeof cwd)) {
		printf("cwd: ");
		put_path(cwd, cwd + strlen(cwd));
		printf("\n");
	}
	show_file("../f1 from a/sub", "../f1");
	printf("umount a/sub as cwd: %s\n", r(umount(p("/a/sub"))));
	chdir("/");
	printf("umount a with a submount: %s\n", r(umount(p("/a"))));
	printf("rmdir a: %s\n", r(rmdir(p("/a"))));
	printf("rmdir a/sub: %s\n", r(rmdir(p("/a/sub"))));
	printf("rename a/f1 to BASE/f1: %s\n", r(rename(p("/a/f1"), p("/f1"))));
	printf("rename a/sub/f2 to a/f2: %s\n", r(rename(p("/a/sub/f2"), p("/a/f2"))));

	/* Errors. */
	printf("umount BASE: %s\n", r(umount(base)));
	printf("umount missing: %s\n", r(umount(p("/nope"))));
	printf("umount2 bad flags: %s\n", r(umount2(p("/a"), 0x100)));
	printf("umount2 expire+detach: %s\n", r(umount2(p("/a"), MNT_EXPIRE | MNT_DETACH)));
	printf("mount on missing: %s\n", r(mount("none", p("/nope"), "tmpfs", 0, NULL)));
	printf("mount on a file: %s\n", r(mount("none", p("/file"), "tmpfs", 0, NULL)));
	printf("mount unknown type: %s\n", r(mount("none", p("/d"), "nosuchfs", 0, NULL)));
	printf("mount bad option: %s\n", r(mount("none", p("/d"), "tmpfs", 0, "bogus=1")));
	printf("mount no type: %s\n", r(mount("none", p("/d"), NULL, 0, NULL)));

	/* A bind mount of a directory of the tmpfs, and a proc. */
	mkdir(p("/a/dir"), 0755);
	put_file(p("/a/dir/g"), "seen twice");
	mkdir(p("/b"), 0755);
	printf("bind a/dir on b: %s\n", r(mount(p("/a/dir"), p("/b"), NULL, MS_BIND, NULL)));
	show_file("b/g", p("/b/g"));
	mkdir(p("/p"), 0755);
	printf("mount proc on p: %s\n", r(mount("proc", p("/p"), "proc", 0, NULL)));
	char link[64] = "", want[64];
	ssize_t ln = readlink(p("/p/self"), link, sizeof link - 1);
	link[ln > 0 ? ln : 0] = 0;
	snprintf(want, sizeof want, "%d", getpid());
	printf("p/self is our pid: %s\n", strcmp(link, want) == 0 ? "yes" : link);
	show_mountinfo("mountinfo");
	show_mounts();

	as_other_user();

	/* Read-only. */
	printf("remount a ro: %s\n", r(mount(NULL, p("/a"), NULL, MS_REMOUNT | MS_RDONLY, NULL)));
	int fd = open(p("/a/new"), O_CREAT | O_WRONLY, 0644);
	printf("create in ro a: %s\n", en(fd < 0 ? errno : 0));
	printf("mkdir in ro a: %s\n", r(mkdir(p("/a/newdir"), 0755)));
	show_file("a/f1 in ro a", p("/a/f1"));
	printf("remount a rw: %s\n", r(mount(NULL, p("/a"), NULL, MS_REMOUNT, NULL)));
	show_mountinfo("after remounts");

	/* Busy with an open file; lazily detached with one. */
	fd = open(p("/a/sub/f2"), O_RDONLY);
	printf("umount a/sub with an open file: %s\n", r(umount(p("/a/sub"))));
	close(fd);
	printf("umount a/sub: %s\n", r(umount(p("/a/sub"))));
	show_file("a/sub/f2 after umount", p("/a/sub/f2"));
	printf("umount p: %s\n", r(umount(p("/p"))));
	printf("p/self after umount: %s\n", r(access(p("/p/self"), F_OK)));
	printf("umount b: %s\n", r(umount(p("/b"))));
	fd = open(p("/a/f1"), O_RDONLY);
	printf("umount2 a MNT_DETACH with an open file: %s\n", r(umount2(p("/a"), MNT_DETACH)));
	char buf[32] = "";
	int n = read(fd, buf, sizeof buf - 1);
	buf[n > 0 ? n : 0] = 0;
	printf("read after detach: \"%s\"\n", buf);
	close(fd);
	show_file("a/under after umount", p("/a/under"));
	show_mountinfo("at the end");

	unlink(p("/a/under"));
	unlink(p("/file"));
	rmdir(p("/a/sub"));
	rmdir(p("/a"));
	rmdir(p("/b"));
	rmdir(p("/d"));
	rmdir(p("/p"));
	printf("rmdir BASE: %s\n", r(rmdir(base)));
	return 0;
}
