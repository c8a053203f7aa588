/*
 * xattr_fadvise: reading extended attributes of files that have none, and
 * posix_fadvise(2), as `ls -l` and `cat` use them.
 * Checks: getxattr/lgetxattr/fgetxattr of security.selinux,
 *   system.posix_acl_access and user.x: ENODATA; of an unknown namespace
 *   (system.foo, nonamespace): EOPNOTSUPP; an empty or 256-byte name:
 *   ERANGE; a missing file: ENOENT; a bad descriptor: EBADF;
 *   listxattr/llistxattr/flistxattr: 0 (no names); fadvise: 0 for each
 *   advice on a file, EINVAL for an unknown advice or a negative length,
 *   ESPIPE on a pipe, EBADF on a bad descriptor.
 * Mirrors: getxattr(2) (ENODATA, ENOTSUP, ERANGE), listxattr(2),
 *   posix_fadvise(2) (EBADF, EINVAL, ESPIPE).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

static void show(const char *what, long r)
{
	if (r < 0)
		printf("%s: %s\n", what, strerror(errno));
	else
		printf("%s: %ld\n", what, r);
}

int main(void)
{
	char path[] = "/tmp/xattrXXXXXX";
	int fd = mkstemp(path);
	char v[64], list[256];
	const char *names[] = { "security.selinux", "system.posix_acl_access", "user.x", "system.foo", "nonamespace", "" };
	for (int i = 0; i < 6; i++) {
		char what[96];
		snprintf(what, sizeof what, "getxattr %s", names[i]);
		show(what, getxattr(path, names[i], v, sizeof v));
		snprintf(what, sizeof what, "lgetxattr %s", names[i]);
		show(what, lgetxattr(path, names[i], v, sizeof v));
		snprintf(what, sizeof what, "fgetxattr %s", names[i]);
		show(what, fgetxattr(fd, names[i], v, sizeof v));
	}
	char longname[300];
	memset(longname, 'a', sizeof longname);
	memcpy(longname, "user.", 5);
	longname[256] = 0;
	show("256-byte name", getxattr(path, longname, v, sizeof v));
	show("missing file", getxattr("/tmp/nothere-xattr", "user.x", v, sizeof v));
	show("bad fd", fgetxattr(99, "user.x", v, sizeof v));
	show("listxattr", listxattr(path, list, sizeof list));
	show("llistxattr", llistxattr(path, list, sizeof list));
	show("flistxattr", flistxattr(fd, list, sizeof list));
	show("listxattr size 0", listxattr(path, NULL, 0));
	show("listxattr missing", listxattr("/tmp/nothere-xattr", list, sizeof list));

	for (int adv = 0; adv <= 6; adv++) {
		char what[32];
		snprintf(what, sizeof what, "fadvise %d", adv);
		int e = posix_fadvise(fd, 0, 100, adv);
		printf("%s: %s\n", what, e ? strerror(e) : "0");
	}
	int e = posix_fadvise(fd, 0, -1, POSIX_FADV_NORMAL);
	printf("negative length: %s\n", e ? strerror(e) : "0");
	int p[2];
	pipe(p);
	e = posix_fadvise(p[0], 0, 0, POSIX_FADV_NORMAL);
	printf("pipe: %s\n", e ? strerror(e) : "0");
	e = posix_fadvise(99, 0, 0, POSIX_FADV_NORMAL);
	printf("bad fd: %s\n", e ? strerror(e) : "0");
	unlink(path);
	return 0;
}
