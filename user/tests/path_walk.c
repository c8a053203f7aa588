/*
 * path_walk: the path walk's rules for symbolic links, trailing slashes
 * and empty paths. Checks: a chain of 40 links resolves and one of 41 is
 * ELOOP (Linux's MAXSYMLINKS), a link to itself and a two-link cycle are
 * ELOOP for stat and open but not for lstat; O_NOFOLLOW on a final link
 * is ELOOP, with O_PATH it opens the link itself, and links before the
 * last component are followed anyway; fstatat's AT_SYMLINK_NOFOLLOW and
 * AT_EMPTY_PATH (an empty path without it is ENOENT); a trailing slash
 * follows a link to a directory, is ENOTDIR after a file or a link to
 * one, and mkdir takes it; `..` at / stays at /; a component of 256
 * bytes is ENAMETOOLONG; a dangling link is ENOENT to follow and
 * O_CREAT through it makes its target; /proc/self/fd/N reaches a file
 * that has no name any more.
 * Mirrors: path_resolution(7), symlink(7), open(2) O_NOFOLLOW,
 * fstatat(2), fs/namei.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testlib.h"

static char base[64];

static const char *p(const char *rel)
{
	static char b[4][512];
	static int n;
	char *s = b[n++ & 3];
	snprintf(s, 512, "%s/%s", base, rel);
	return s;
}

static const char *r(int rc)
{
	return en(rc < 0 ? errno : 0);
}

static const char *type(mode_t m)
{
	return S_ISLNK(m) ? "link" : S_ISDIR(m) ? "dir" : S_ISREG(m) ? "file" : "other";
}

static void show_stat(const char *what, int rc, struct stat *st)
{
	printf("%s: %s%s%s\n", what, r(rc), rc == 0 ? " " : "", rc == 0 ? type(st->st_mode) : "");
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	snprintf(base, sizeof base, "/tmp/path_walk.XXXXXX");
	if (!mkdtemp(base)) {
		perror("mkdtemp");
		return 1;
	}
	struct stat st;
	int fd = open(p("file"), O_CREAT | O_WRONLY, 0644);
	write(fd, "data\n", 5);
	close(fd);
	mkdir(p("dir"), 0755);

	/* Chains of links: l0 -> file, lN -> l(N-1). */
	symlink("file", p("l0"));
	for (int i = 1; i <= 41; i++) {
		char name[16], target[16];
		snprintf(name, sizeof name, "l%d", i);
		snprintf(target, sizeof target, "l%d", i - 1);
		symlink(target, p(name));
	}
	printf("open 40 links: %s\n", r(fd = open(p("l39"), O_RDONLY)));
	if (fd >= 0)
		close(fd);
	printf("open 41 links: %s\n", r(open(p("l40"), O_RDONLY)));
	show_stat("stat 41 links", stat(p("l40"), &st), &st);
	show_stat("lstat 42nd link", lstat(p("l41"), &st), &st);
	printf("path through 41 links: %s\n", r(open(p("l40/x"), O_RDONLY)));

	/* Loops. */
	symlink("self", p("self"));
	symlink("b", p("a"));
	symlink("a", p("b"));
	show_stat("stat self-loop", stat(p("self"), &st), &st);
	show_stat("lstat self-loop", lstat(p("self"), &st), &st);
	printf("open two-link loop: %s\n", r(open(p("a"), O_RDONLY)));
	printf("open O_CREAT two-link loop: %s\n", r(open(p("a"), O_RDONLY | O_CREAT, 0644)));
	printf("mkdir through loop: %s\n", r(mkdir(p("a/sub"), 0755)));

	/* O_NOFOLLOW. */
	symlink("dir", p("ldir"));
	printf("O_NOFOLLOW final link: %s\n", r(open(p("l0"), O_RDONLY | O_NOFOLLOW)));
	printf("O_NOFOLLOW final link O_CREAT: %s\n", r(open(p("l0"), O_RDWR | O_CREAT | O_NOFOLLOW, 0644)));
	fd = open(p("l0"), O_PATH | O_NOFOLLOW);
	printf("O_PATH|O_NOFOLLOW link: %s\n", r(fd));
	if (fd >= 0) {
		show_stat("  fstat", fstat(fd, &st), &st);
		show_stat("  fstatat AT_EMPTY_PATH", fstatat(fd, "", &st, AT_EMPTY_PATH), &st);
		close(fd);
	}
	int d = open(p("ldir"), O_RDONLY | O_NOFOLLOW | O_DIRECTORY);
	printf("O_NOFOLLOW|O_DIRECTORY link to dir: %s\n", r(d));
	fd = open(p("dir"), O_RDONLY | O_DIRECTORY);
	close(open(p("dir/f"), O_CREAT | O_WRONLY, 0644));
	d = open(p("ldir/f"), O_RDONLY | O_NOFOLLOW);
	printf("O_NOFOLLOW with a link before the last component: %s\n", r(d));
	if (d >= 0)
		close(d);

	/* fstatat flags. */
	show_stat("fstatat link", fstatat(AT_FDCWD, p("ldir"), &st, 0), &st);
	show_stat("fstatat link NOFOLLOW", fstatat(AT_FDCWD, p("ldir"), &st, AT_SYMLINK_NOFOLLOW), &st);
	show_stat("fstatat dirfd AT_EMPTY_PATH", fstatat(fd, "", &st, AT_EMPTY_PATH), &st);
	show_stat("fstatat dirfd empty path", fstatat(fd, "", &st, 0), &st);
	show_stat("fstatat dirfd relative", fstatat(fd, "f", &st, 0), &st);
	show_stat("fstatat dirfd ..", fstatat(fd, "..", &st, 0), &st);
	show_stat("stat empty path", stat("", &st), &st);
	printf("fstatat bad flag: %s\n", r(fstatat(fd, "f", &st, 0x4000000)));
	close(fd);

	/* Trailing slashes. */
	show_stat("lstat link-to-dir/", lstat(p("ldir/"), &st), &st);
	show_stat("lstat link-to-dir", lstat(p("ldir"), &st), &st);
	show_stat("lstat link-to-file/", lstat(p("l0/"), &st), &st);
	show_stat("stat file/", stat(p("file/"), &st), &st);
	printf("open file/: %s\n", r(open(p("file/"), O_RDONLY)));
	printf("open O_CREAT new/: %s\n", r(open(p("new/"), O_RDONLY | O_CREAT, 0644)));
	printf("mkdir newdir/: %s\n", r(mkdir(p("newdir/"), 0755)));
	printf("rmdir newdir//: %s\n", r(rmdir(p("newdir//"))));
	printf("unlink file/: %s\n", r(unlink(p("file/"))));
	printf("rmdir link-to-dir/: %s\n", r(rmdir(p("ldir/"))));

	/* .. at the root, long names. */
	struct stat root, up;
	stat("/", &root);
	stat("/../..", &up);
	printf("/../.. is /: %s\n", root.st_ino == up.st_ino && root.st_dev == up.st_dev ? "yes" : "no");
	char longname[300];
	memset(longname, 'n', 256);
	longname[256] = 0;
	printf("256-byte component: %s\n", r(open(p(longname), O_RDONLY)));
	longname[255] = 0;
	printf("255-byte component: %s\n", r(open(p(longname), O_RDONLY)));

	/* Dangling links. */
	symlink("missing", p("dangling"));
	show_stat("stat dangling", stat(p("dangling"), &st), &st);
	show_stat("lstat dangling", lstat(p("dangling"), &st), &st);
	fd = open(p("dangling"), O_WRONLY | O_CREAT, 0644);
	printf("O_CREAT through dangling: %s\n", r(fd));
	if (fd >= 0)
		close(fd);
	show_stat("  its target", lstat(p("missing"), &st), &st);
	printf("O_CREAT|O_EXCL on a link: %s\n", r(open(p("l0"), O_WRONLY | O_CREAT | O_EXCL, 0644)));

	/* A file without a name, reached through /proc/self/fd. */
	fd = open(p("gone"), O_CREAT | O_RDWR, 0644);
	write(fd, "still here\n", 11);
	unlink(p("gone"));
	char link[64], buf[64];
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	int again = open(link, O_RDONLY);
	printf("open /proc/self/fd/N of an unlinked file: %s\n", r(again));
	if (again >= 0) {
		ssize_t n = read(again, buf, sizeof buf - 1);
		buf[n > 0 ? n : 0] = 0;
		printf("  read: %s", buf);
		close(again);
	}
	show_stat("lstat /proc/self/fd/N", lstat(link, &st), &st);
	close(fd);

	/* Clean up. */
	const char *names[] = { "file", "self", "a", "b", "ldir", "dangling", "missing", "dir/f", NULL };
	for (int i = 0; names[i]; i++)
		unlink(p(names[i]));
	for (int i = 0; i <= 41; i++) {
		char name[16];
		snprintf(name, sizeof name, "l%d", i);
		unlink(p(name));
	}
	rmdir(p("dir"));
	printf("cleaned up: %s\n", r(rmdir(base)));
	return 0;
}
