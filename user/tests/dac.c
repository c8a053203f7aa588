/*
 * dac: file permissions as Linux checks them (path_resolution(7),
 * access(2), chmod(2), chown(2), execve(2)), for an ordinary user and for
 * root's capabilities.
 * The test runs as root, builds a tree in /tmp/dac.<pid> and forks
 * children that become uid 1000 (gid 1000, some with supplementary
 * groups) and report what each operation returns.
 * Checks:
 *   read/write by owner, group (primary and supplementary) and others;
 *     the owner class is used alone (a 0077 file refuses its owner);
 *     O_TRUNC asks for write; O_RDONLY|O_DIRECTORY on an unreadable dir;
 *   search permission on every directory of a path: stat/open below a
 *     0700 dir, chdir and fchdir into it -> EACCES; a 0711 dir is
 *     searchable but not listable;
 *   creating, linking, renaming, removing in a root 0755 dir -> EACCES;
 *     in a 0777 dir the new file belongs to 1000:1000;
 *   a sticky dir: another user's file cannot be removed or renamed
 *     (EPERM), one's own can;
 *   a set-group-ID dir gives its group to new files and its bit to new
 *     subdirectories;
 *   root reads and writes a 0000 file, but cannot execute a file without
 *     any x bit; uid 1000 cannot execute 0700 root's;
 *   truncate() needs write; O_NOATIME only for the owner.
 * Mirrors: generic_permission(), may_lookup(), may_create(), may_delete()
 *   in fs/namei.c.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

static char base[64];

static const char *P(const char *rel)
{
	static char b[4][128];
	static int n;
	char *s = b[n++ & 3];
	snprintf(s, 128, "%s/%s", base, rel);
	return s;
}

static void rc(const char *what, long r)
{
	printf("  %-34s %s\n", what, r < 0 ? en(errno) : "OK");
}

static int try_open(const char *rel, int flags)
{
	int fd = open(P(rel), flags, 0644);
	if (fd >= 0)
		close(fd);
	return fd;
}

/* Run fn in a child with the given ids; wait for it. */
static void as_user(const char *title, uid_t uid, gid_t gid, int ngroups, const gid_t *groups, void (*fn)(void))
{
	printf("%s\n", title);
	fflush(stdout);
	pid_t p = fork();
	if (p == 0) {
		if (setgroups(ngroups, groups) || setgid(gid) || setuid(uid)) {
			printf("  cannot become %u\n", uid);
			_exit(1);
		}
		fn();
		fflush(stdout);
		_exit(0);
	}
	int st;
	waitpid(p, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		printf("  child: %s\n", st_str(st));
}

static void file(const char *rel, mode_t mode, uid_t uid, gid_t gid)
{
	int fd = open(P(rel), O_CREAT | O_WRONLY | O_TRUNC, 0600);
	if (fd < 0 || write(fd, "data\n", 5) != 5)
		printf("setup %s: %s\n", rel, en(errno));
	close(fd);
	if (chown(P(rel), uid, gid) || chmod(P(rel), mode))
		printf("setup %s: %s\n", rel, en(errno));
}

static void dir(const char *rel, mode_t mode, uid_t uid, gid_t gid)
{
	if (mkdir(P(rel), 0700) || chown(P(rel), uid, gid) || chmod(P(rel), mode))
		printf("setup %s: %s\n", rel, en(errno));
}

static void owner_of(const char *rel)
{
	struct stat st;
	if (stat(P(rel), &st))
		printf("  stat %s: %s\n", rel, en(errno));
	else
		printf("  %s: uid %u gid %u mode %o\n", rel, st.st_uid, st.st_gid, st.st_mode & 07777);
}

static void user_rw(void)
{
	rc("open secret O_RDONLY", try_open("secret", O_RDONLY));
	rc("open secret O_WRONLY", try_open("secret", O_WRONLY));
	rc("open pub O_RDONLY", try_open("pub", O_RDONLY));
	rc("open pub O_WRONLY", try_open("pub", O_WRONLY));
	rc("open pub O_RDWR", try_open("pub", O_RDWR));
	rc("open pub O_RDONLY|O_TRUNC", try_open("pub", O_RDONLY | O_TRUNC));
	rc("open pub O_PATH", try_open("pub", O_PATH));
	rc("open grp O_RDONLY (gid 1000)", try_open("grp", O_RDONLY));
	rc("open grp2 O_RDONLY (suppl 2000)", try_open("grp2", O_RDONLY));
	rc("open mine0077 O_RDONLY (owner)", try_open("mine0077", O_RDONLY));
	rc("open world0606 O_RDWR (other)", try_open("world0606", O_RDWR));
	rc("open nor O_RDONLY|O_DIRECTORY", try_open("nor", O_RDONLY | O_DIRECTORY));
	rc("truncate pub", truncate(P("pub"), 0));
	rc("open pub O_NOATIME", try_open("pub", O_RDONLY | O_NOATIME));
	rc("open mine0077 O_NOATIME", try_open("mine0077", O_WRONLY | O_NOATIME));
	rc("access pub R_OK", access(P("pub"), R_OK));
	rc("access pub W_OK", access(P("pub"), W_OK));
	rc("access secret F_OK", access(P("secret"), F_OK));
}

static void user_search(void)
{
	struct stat st;
	rc("stat nox/f", stat(P("nox/f"), &st));
	rc("stat nox", stat(P("nox"), &st));
	rc("open nox/f", try_open("nox/f", O_RDONLY));
	rc("stat nox/sub/g", stat(P("nox/sub/g"), &st));
	rc("stat nor/f (0711)", stat(P("nor/f"), &st));
	rc("open nor/f (0711)", try_open("nor/f", O_RDONLY));
	rc("access nox/f F_OK", access(P("nox/f"), F_OK));
	rc("chdir nox", chdir(P("nox")));
	rc("chdir nor", chdir(P("nor")));
	rc("chdir back to base", chdir(base));
	int fd = open(P("nox"), O_PATH | O_DIRECTORY);
	rc("fchdir O_PATH fd of nox", fd < 0 ? fd : fchdir(fd));
	close(fd);
	rc("stat via symlink lnox -> nox/f", stat(P("lnox"), &st));
}

static void user_create(void)
{
	rc("open ro/new O_CREAT", try_open("ro/new", O_CREAT | O_WRONLY));
	rc("open ro/f O_CREAT (exists)", try_open("ro/f", O_CREAT | O_RDONLY));
	rc("open ro/f O_CREAT|O_EXCL (exists)", try_open("ro/f", O_CREAT | O_EXCL | O_RDONLY));
	rc("mkdir ro/d", mkdir(P("ro/d"), 0755));
	rc("mkdir ro/f (exists)", mkdir(P("ro/f"), 0755));
	rc("symlink ro/l", symlink("x", P("ro/l")));
	rc("link ro/f ro/f2", link(P("ro/f"), P("ro/f2")));
	rc("rename ro/f ro/g", rename(P("ro/f"), P("ro/g")));
	rc("unlink ro/f", unlink(P("ro/f")));
	rc("rmdir ro/e", rmdir(P("ro/e")));
	rc("unlink ro/nonexistent", unlink(P("ro/nonexistent")));
	rc("open w/new O_CREAT", try_open("w/new", O_CREAT | O_WRONLY));
	owner_of("w/new");
	rc("mkdir w/d", mkdir(P("w/d"), 0750));
	owner_of("w/d");
	rc("symlink w/l", symlink("new", P("w/l")));
	struct stat st;
	lstat(P("w/l"), &st);
	printf("  w/l: uid %u gid %u\n", st.st_uid, st.st_gid);
	rc("link w/new w/new2", link(P("w/new"), P("w/new2")));
	rc("link ro/f w/rootlink (protected)", link(P("ro/f"), P("w/rootlink")));
	rc("link world0606 w/wl", link(P("world0606"), P("w/wl")));
	rc("rename w/new2 w/new3", rename(P("w/new2"), P("w/new3")));
	rc("rename w/d ro/d (other dir)", rename(P("w/d"), P("ro/d")));
	rc("open sg/f O_CREAT", try_open("sg/f", O_CREAT | O_WRONLY));
	owner_of("sg/f");
	rc("mkdir sg/sub", mkdir(P("sg/sub"), 0755));
	owner_of("sg/sub");
	rc("open w/0400 O_CREAT|O_RDWR mode 0400", open(P("w/ro400"), O_CREAT | O_RDWR, 0400));
	rc("open w/ro400 O_RDWR again", try_open("w/ro400", O_RDWR));
}

static void user_sticky(void)
{
	rc("open sticky/mine O_CREAT", try_open("sticky/mine", O_CREAT | O_WRONLY));
	rc("unlink sticky/rootf", unlink(P("sticky/rootf")));
	rc("rename sticky/rootf sticky/x", rename(P("sticky/rootf"), P("sticky/x")));
	rc("rename sticky/mine sticky/rootf", rename(P("sticky/mine"), P("sticky/rootf")));
	rc("rmdir sticky/rootd", rmdir(P("sticky/rootd")));
	rc("open sticky/rootf O_WRONLY (0666)", try_open("sticky/rootf", O_WRONLY));
	rc("unlink sticky/mine", unlink(P("sticky/mine")));
	rc("unlink sticky/u1001 (other user)", unlink(P("sticky/u1001")));
	rc("unlink mydir/rootf (dir owner)", unlink(P("mydir/rootf")));
}

static void user_exec(void)
{
	char *argv[] = {"prog", "hello", NULL};
	rc("execve prog0700 (root's)", execve(P("prog0700"), argv, NULL));
	rc("execve prog0644", execve(P("prog0644"), argv, NULL));
	rc("execve nox/prog (no search)", execve(P("nox/prog"), argv, NULL));
	rc("execve w (a directory)", execve(P("w"), argv, NULL));
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "hello")) {
		printf("  exec ran\n");
		return 0;
	}
	umask(022);
	snprintf(base, sizeof base, "/tmp/dac.%d", getpid());
	if (mkdir(base, 0755)) {
		printf("mkdir base: %s\n", en(errno));
		return 1;
	}
	file("secret", 0600, 0, 0);
	file("pub", 0644, 0, 0);
	file("grp", 0640, 0, 1000);
	file("grp2", 0640, 0, 2000);
	file("mine0077", 0077, 1000, 1000);
	file("world0606", 0606, 0, 0);
	dir("nox", 0700, 0, 0);
	file("nox/f", 0644, 0, 0);
	dir("nox/sub", 0755, 0, 0);
	file("nox/sub/g", 0644, 0, 0);
	symlink(P("nox/f"), P("lnox"));
	dir("nor", 0711, 0, 0);
	file("nor/f", 0644, 0, 0);
	dir("ro", 0755, 0, 0);
	file("ro/f", 0644, 0, 0);
	dir("ro/e", 0755, 0, 0);
	dir("w", 0777, 0, 0);
	dir("sg", 02777, 0, 1500);
	dir("sticky", 01777, 0, 0);
	file("sticky/rootf", 0666, 0, 0);
	dir("sticky/rootd", 0777, 0, 0);
	file("sticky/u1001", 0666, 1001, 1001);
	dir("mydir", 01777, 1000, 1000);
	file("mydir/rootf", 0644, 0, 0);

	/* Programs: copies of this binary. */
	int in = open("/proc/self/exe", O_RDONLY);
	int out = open(P("prog0700"), O_CREAT | O_WRONLY, 0700);
	char buf[65536];
	ssize_t n;
	while ((n = read(in, buf, sizeof buf)) > 0)
		if (write(out, buf, n) != n)
			printf("copy: %s\n", en(errno));
	close(in);
	close(out);
	char cmd[300];
	snprintf(cmd, sizeof cmd, "%s", P("prog0700"));
	int src = open(cmd, O_RDONLY);
	const char *copies[] = {"prog0644", "nox/prog", "prog0000"};
	mode_t modes[] = {0644, 0755, 0000};
	for (int i = 0; i < 3; i++) {
		int o = open(P(copies[i]), O_CREAT | O_WRONLY, 0600);
		lseek(src, 0, SEEK_SET);
		while ((n = read(src, buf, sizeof buf)) > 0)
			if (write(o, buf, n) != n)
				printf("copy: %s\n", en(errno));
		close(o);
		chmod(P(copies[i]), modes[i]);
	}
	close(src);

	gid_t g1000[] = {1000};
	gid_t g2000[] = {1000, 2000};
	as_user("uid 1000, groups {1000, 2000}: reading and writing", 1000, 1000, 2, g2000, user_rw);
	as_user("uid 1000, groups {1000}: supplementary group gone", 1000, 1000, 1, g1000, user_rw);
	as_user("uid 1000: searching", 1000, 1000, 1, g1000, user_search);
	as_user("uid 1000: creating and removing", 1000, 1000, 1, g1000, user_create);
	as_user("uid 1000: sticky directories", 1000, 1000, 1, g1000, user_sticky);
	as_user("uid 1000: execve", 1000, 1000, 1, g1000, user_exec);

	printf("root\n");
	rc("open prog0000 O_RDWR", try_open("prog0000", O_RDWR));
	rc("open nox/f via 0700 dir", try_open("nox/f", O_RDONLY));
	rc("access prog0000 X_OK", access(P("prog0000"), X_OK));
	rc("access prog0644 X_OK", access(P("prog0644"), X_OK));
	rc("access nox X_OK", access(P("nox"), X_OK));
	rc("access mine0077 W_OK", access(P("mine0077"), W_OK));
	char *av[] = {"prog", "hello", NULL};
	fflush(stdout);
	pid_t p = fork();
	if (p == 0) {
		execve(P("prog0000"), av, NULL);
		printf("  execve prog0000 as root: %s\n", en(errno));
		execve(P("prog0644"), av, NULL);
		printf("  execve prog0644 as root: %s\n", en(errno));
		fflush(stdout);
		execve(P("prog0700"), av, NULL);
		printf("  execve prog0700 as root: %s\n", en(errno));
		_exit(1);
	}
	int st;
	waitpid(p, &st, 0);
	printf("  child: %s\n", st_str(st));

	snprintf(cmd, sizeof cmd, "rm -rf %s", base);
	/* No shell under Tine: remove the tree by hand, deepest first. */
	const char *files[] = {"secret", "pub", "grp", "grp2", "mine0077", "world0606", "nox/f", "nox/sub/g", "nox/prog",
			       "lnox", "nor/f", "ro/f", "w/new", "w/new3", "w/l", "w/ro400", "w/wl", "sg/f", "sticky/rootf",
			       "sticky/u1001", "sticky/mine", "mydir/rootf", "prog0700", "prog0644", "prog0000", NULL};
	for (int i = 0; files[i]; i++)
		unlink(P(files[i]));
	const char *dirs[] = {"nox/sub", "nox", "nor", "ro/e", "ro/d", "ro", "w/d", "w", "sg/sub", "sg", "sticky/rootd",
			      "sticky", "mydir", NULL};
	for (int i = 0; dirs[i]; i++)
		rmdir(P(dirs[i]));
	rc("rmdir base (all cleaned up)", rmdir(base));
	return 0;
}
