/*
 * mount_flags: per-mount flags. A read-only bind (MS_BIND, then
 * MS_REMOUNT|MS_BIND|MS_RDONLY) refuses every change made through it
 * with EROFS (open for writing, O_TRUNC, O_CREAT of a new name, mkdir,
 * mknod, unlink, rmdir, rename, link, symlink, chmod, chown, utimensat,
 * truncate, setxattr), in Linux's order against EEXIST and ENOENT, while
 * the mount it copies stays writable; reading through it works. A plain
 * bind leaves the mounts below its source behind, MS_REC copies them.
 * rename and link between two mounts of one instance are EXDEV, before
 * any look at the names.
 * `mount -o remount,ro` makes the instance read-only through every mount
 * of it, and remounting rw undoes it but not the read-only bind; a tmpfs
 * mounted MS_RDONLY is read-only. MS_NOEXEC: execve EACCES, mmap with
 * PROT_EXEC EPERM, mprotect to PROT_EXEC of a mapping made there EACCES,
 * without it fine. MS_NODEV: opening a device node
 * EACCES. MS_NOSUID: a set-user-ID root program run by uid 1000 keeps
 * euid 1000. The mounts' lines of
 * /proc/self/mountinfo (mount point, per-mount options, the instance's
 * ro/rw). Run as root (natively too), in a private mount namespace.
 * Mirrors: mount(2) (MS_RDONLY, MS_REMOUNT, MS_BIND, MS_REC,
 * MS_NOEXEC), proc_pid_mountinfo(5).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "nstest.h"
#include "scratch.h"

static const char *r(long rc)
{
	return en(rc >= 0 ? 0 : errno);
}

/* An open's outcome, the descriptor closed. */
static const char *o(const char *path, int flags)
{
	int fd = open(path, flags, 0644);
	if (fd < 0)
		return en(errno);
	close(fd);
	return en(0);
}

static int under_tine(void)
{
	struct utsname u;
	return uname(&u) == 0 && strstr(u.release, "tine") != NULL;
}

/* Mount point (below BASE), per-mount options and the instance's ro/rw
 * of each mount below BASE, in mount order. */
static void show_mountinfo(const char *title)
{
	char line[1024];
	FILE *f = fopen("/proc/self/mountinfo", "r");
	printf("%s:\n", title);
	if (!f) {
		printf("  mountinfo: %s\n", en(errno));
		return;
	}
	while (fgets(line, sizeof line, f)) {
		char *field[6];
		char *save, *s = line;
		int n = 0;
		char whole[1024];
		strcpy(whole, line);
		for (char *t = strtok_r(s, " ", &save); t && n < 6; t = strtok_r(NULL, " ", &save))
			field[n++] = t;
		if (n < 6 || strncmp(field[4], base, strlen(base)) != 0)
			continue;
		/* After the optional fields: "-", type, source, super options. */
		char *dash = strstr(whole, " - ");
		char sb[8] = "?";
		if (dash) {
			char type[32], src[256], opts[512];
			if (sscanf(dash, " - %31s %255s %511s", type, src, opts) == 3)
				snprintf(sb, sizeof sb, "%.2s", opts);
		}
		printf("  BASE%s %s sb=%s\n", field[4] + strlen(base), field[5], sb);
	}
	fclose(f);
}

/* Every change through `dir` (holding file f, directory d), then a read. */
static void changes(const char *title, const char *dir)
{
	char f[256], d[256], x[256], y[256];
	snprintf(f, sizeof f, "%s/f", dir);
	snprintf(d, sizeof d, "%s/d", dir);
	snprintf(x, sizeof x, "%s/new", dir);
	snprintf(y, sizeof y, "%s/missing", dir);
	printf("%s:\n", title);
	printf("  open O_WRONLY: %s\n", o(f, O_WRONLY));
	printf("  open O_RDWR: %s\n", o(f, O_RDWR));
	printf("  open O_RDONLY|O_TRUNC: %s\n", o(f, O_RDONLY | O_TRUNC));
	printf("  open O_CREAT new: %s\n", o(x, O_CREAT | O_WRONLY));
	printf("  open O_CREAT existing, read-only: %s\n", o(f, O_CREAT | O_RDONLY));
	printf("  open O_CREAT|O_EXCL existing: %s\n", o(f, O_CREAT | O_EXCL | O_RDONLY));
	printf("  open O_RDONLY: %s\n", o(f, O_RDONLY));
	printf("  open the directory: %s\n", o(d, O_RDONLY | O_DIRECTORY));
	printf("  mkdir new: %s\n", r(mkdir(x, 0755)));
	printf("  mkdir existing: %s\n", r(mkdir(d, 0755)));
	printf("  mknod fifo: %s\n", r(mknod(x, S_IFIFO | 0644, 0)));
	printf("  symlink: %s\n", r(symlink("f", x)));
	printf("  link: %s\n", r(link(f, x)));
	printf("  chmod: %s\n", r(chmod(f, 0600)));
	printf("  chown: %s\n", r(chown(f, 0, 0)));
	printf("  utimensat: %s\n", r(utimensat(AT_FDCWD, f, NULL, 0)));
	printf("  truncate: %s\n", r(truncate(f, 0)));
	printf("  setxattr: %s\n", r(setxattr(f, "user.x", "1", 1, 0)));
	printf("  unlink missing: %s\n", r(unlink(y)));
	printf("  rename: %s\n", r(rename(f, x)));
	printf("  unlink: %s\n", r(unlink(f)));
	printf("  rmdir: %s\n", r(rmdir(d)));
	struct stat st;
	printf("  stat: %s\n", r(stat(f, &st)));
}

/* Put back f and d in `dir` (a writable view) after `changes`. */
static void refill(const char *dir)
{
	char a[256], b[256];
	snprintf(a, sizeof a, "%s/new", dir);
	unlink(a);
	rmdir(a);
	snprintf(a, sizeof a, "%s/f", dir);
	int fd = open(a, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	if (fd >= 0) {
		write(fd, "x", 1);
		close(fd);
	}
	snprintf(b, sizeof b, "%s/d", dir);
	mkdir(b, 0755);
}

/* Copy this program to `to`, executable. */
static void copy_self(const char *to)
{
	static char buf[1 << 16];
	int in = open("/proc/self/exe", O_RDONLY);
	int out = open(to, O_CREAT | O_WRONLY | O_TRUNC, 0755);
	ssize_t n;
	while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof buf)) > 0)
		write(out, buf, n);
	close(in);
	close(out);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "child") == 0)
		return 7;
	if (argc > 1 && strcmp(argv[1], "euid") == 0) {
		printf("  euid %d\n", (int)geteuid());
		return 0;
	}
	if (unshare(CLONE_NEWNS) != 0 && !under_tine()) {
		printf("unshare(CLONE_NEWNS): %s: not mounting anything\n", en(errno));
		return 1;
	}
	mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
	strcpy(base, "/tmp/mount_flags.XXXXXX");
	if (!mkdtemp(base)) {
		printf("mkdtemp: %s\n", en(errno));
		return 1;
	}
	mkdir(p("/a"), 0755);
	printf("mount tmpfs a: %s\n", r(mount("none", p("/a"), "tmpfs", 0, NULL)));
	refill(p("/a"));
	mkdir(p("/a/sub"), 0755);
	printf("mount tmpfs a/sub: %s\n", r(mount("none", p("/a/sub"), "tmpfs", 0, NULL)));
	close(open(p("/a/sub/g"), O_CREAT | O_WRONLY, 0644));

	/* A read-only bind of a. */
	mkdir(p("/ro"), 0755);
	printf("bind a on ro: %s\n", r(mount(p("/a"), p("/ro"), NULL, MS_BIND, NULL)));
	printf("remount ro read-only: %s\n", r(mount(NULL, p("/ro"), NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL)));
	changes("through the read-only bind", p("/ro"));
	printf("chdir ro/d: %s\n", r(chdir(p("/ro/d"))));
	printf("mkdir x from there: %s\n", r(mkdir("x", 0755)));
	printf("open ../f O_WRONLY from there: %s\n", o("../f", O_WRONLY));
	printf("chdir a/d: %s\n", r(chdir(p("/a/d"))));
	printf("mkdir x from there: %s\n", r(mkdir("x", 0755)));
	printf("rmdir x: %s\n", r(rmdir("x")));
	chdir("/");
	changes("through a itself", p("/a"));
	refill(p("/a"));
	struct stat st;
	printf("plain bind leaves a/sub behind: %s\n", r(stat(p("/ro/sub/g"), &st)));

	/* A recursive bind copies a/sub. */
	mkdir(p("/rb"), 0755);
	printf("rbind a on rb: %s\n", r(mount(p("/a"), p("/rb"), NULL, MS_BIND | MS_REC, NULL)));
	printf("rb/sub/g through the copy: %s\n", r(stat(p("/rb/sub/g"), &st)));
	printf("rb/sub is another mount of a/sub's instance: %s\n",
	       stat(p("/a/sub"), &st) == 0 && (long)st.st_dev != 0 ? "yes" : "no");
	/* Two mounts of one instance are still two mounts: EXDEV. */
	printf("rename a/f to rb/f2: %s\n", r(rename(p("/a/f"), p("/rb/f2"))));
	printf("link a/f to rb/f3: %s\n", r(link(p("/a/f"), p("/rb/f3"))));
	printf("rename a/missing to rb/f2: %s\n", r(rename(p("/a/missing"), p("/rb/f2"))));
	printf("rename rb/f to rb/f2: %s\n", r(rename(p("/rb/f"), p("/rb/f2"))));
	printf("link rb/f2 to rb/f: %s\n", r(link(p("/rb/f2"), p("/rb/f"))));
	printf("unlink a/f2 (the same file through a): %s\n", r(unlink(p("/a/f2"))));

	/* remount,ro of the instance reaches every mount of it. */
	printf("remount a ro: %s\n", r(mount(NULL, p("/a"), NULL, MS_REMOUNT | MS_RDONLY, NULL)));
	printf("mkdir a/x: %s\n", r(mkdir(p("/a/x"), 0755)));
	printf("mkdir rb/x: %s\n", r(mkdir(p("/rb/x"), 0755)));
	printf("mkdir rb/sub/x (another instance): %s\n", r(mkdir(p("/rb/sub/x"), 0755)));
	rmdir(p("/rb/sub/x"));
	show_mountinfo("mountinfo with a read-only");
	printf("remount a rw: %s\n", r(mount(NULL, p("/a"), NULL, MS_REMOUNT, NULL)));
	printf("mkdir rb/x: %s\n", r(mkdir(p("/rb/x"), 0755)));
	printf("mkdir ro/y (still a read-only bind): %s\n", r(mkdir(p("/ro/y"), 0755)));
	rmdir(p("/rb/x"));

	/* A tmpfs mounted read-only. */
	mkdir(p("/t"), 0755);
	printf("mount tmpfs t read-only: %s\n", r(mount("none", p("/t"), "tmpfs", MS_RDONLY, NULL)));
	printf("mkdir t/x: %s\n", r(mkdir(p("/t/x"), 0755)));
	printf("open t/x O_CREAT: %s\n", o(p("/t/x"), O_CREAT | O_WRONLY));

	/* noexec. */
	mkdir(p("/x"), 0755);
	printf("mount tmpfs x: %s\n", r(mount("none", p("/x"), "tmpfs", 0, NULL)));
	copy_self(p("/x/prog"));
	printf("remount x noexec: %s\n", r(mount(NULL, p("/x"), NULL, MS_REMOUNT | MS_NOEXEC, NULL)));
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		char *args[] = { "prog", "child", NULL };
		execv(p("/x/prog"), args);
		printf("execve from noexec: %s\n", en(errno));
		fflush(stdout);
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	int fd = open(p("/x/prog"), O_RDONLY);
	void *m = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
	printf("mmap PROT_EXEC from noexec: %s\n", en(m == MAP_FAILED ? errno : 0));
	m = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	printf("mmap PROT_READ from noexec: %s\n", en(m == MAP_FAILED ? errno : 0));
	if (m != MAP_FAILED) {
		printf("mprotect it PROT_EXEC: %s\n", r(mprotect(m, 4096, PROT_READ | PROT_EXEC)));
		printf("mprotect it PROT_WRITE: %s\n", r(mprotect(m, 4096, PROT_READ | PROT_WRITE)));
		munmap(m, 4096);
	}
	close(fd);
	printf("remount x exec: %s\n", r(mount(NULL, p("/x"), NULL, MS_REMOUNT, NULL)));
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		char *args[] = { "prog", "child", NULL };
		execv(p("/x/prog"), args);
		_exit(99);
	}
	int status = 0;
	waitpid(pid, &status, 0);
	printf("execve without noexec: exit %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);

	/* nodev. */
	mkdir(p("/n"), 0755);
	printf("mount tmpfs n nodev: %s\n", r(mount("none", p("/n"), "tmpfs", MS_NODEV, NULL)));
	printf("mknod n/null: %s\n", r(mknod(p("/n/null"), S_IFCHR | 0666, makedev(1, 3))));
	printf("open n/null: %s\n", o(p("/n/null"), O_RDWR));
	printf("open n/null O_PATH: %s\n", o(p("/n/null"), O_PATH));
	printf("remount n with devices: %s\n", r(mount(NULL, p("/n"), NULL, MS_REMOUNT, NULL)));
	printf("open n/null: %s\n", o(p("/n/null"), O_RDWR));

	/* nosuid: a set-user-ID root copy of this program, run as uid 1000. */
	chmod(base, 0755);
	copy_self(p("/x/suid"));
	chmod(p("/x/suid"), 04755);
	for (int pass = 0; pass < 2; pass++) {
		unsigned long f = pass == 0 ? MS_REMOUNT | MS_NOSUID : MS_REMOUNT;
		printf("remount x%s: %s\n", pass == 0 ? " nosuid" : "", r(mount(NULL, p("/x"), NULL, f, NULL)));
		fflush(stdout);
		pid = fork();
		if (pid == 0) {
			become_user();
			char *args[] = { "suid", "euid", NULL };
			execv(p("/x/suid"), args);
			printf("  execve: %s\n", en(errno));
			fflush(stdout);
			_exit(1);
		}
		waitpid(pid, NULL, 0);
	}

	mkdir(p("/all"), 0755);
	printf("mount tmpfs all nosuid,nodev,noexec,ro: %s\n",
	       r(mount("none", p("/all"), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, NULL)));
	show_mountinfo("mountinfo");
	umount2(p("/all"), MNT_DETACH);
	rmdir(p("/all"));
	umount2(p("/n"), MNT_DETACH);
	rmdir(p("/n"));
	umount2(p("/x"), MNT_DETACH);
	umount2(p("/t"), MNT_DETACH);
	umount2(p("/rb"), MNT_DETACH);
	umount2(p("/ro"), MNT_DETACH);
	umount2(p("/a"), MNT_DETACH);
	const char *dirs[] = { "/x", "/t", "/rb", "/ro", "/a" };
	for (unsigned i = 0; i < sizeof dirs / sizeof *dirs; i++)
		rmdir(p(dirs[i]));
	printf("rmdir base: %s\n", r(rmdir(base)));
	return 0;
}
