/*
 * scratch.h: the mount and root tests' scratch directory (chroot,
 * pivot_root, pivot_root_dot, mount_ns, mount_tmpfs, umount_ns_busy):
 * `base`, which each test fills in, p(), a path under it, and what the
 * root-changing tests look at the tree with: exists(), touch(),
 * mountinfo(), and scratch_main(), which runs a test's body in a child
 * with a fresh `base`.
 */
#ifndef SCRATCH_H
#define SCRATCH_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

static char base[64];

/* base + rel, in one of four buffers, so that a call can take several. */
__attribute__((unused)) static const char *p(const char *rel)
{
	static char b[4][256];
	static int n;
	char *s = b[n++ & 3];
	snprintf(s, 256, "%s%s", base, rel);
	return s;
}

/* "yes", or stat(2)'s errno name. */
__attribute__((unused)) static const char *exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? "yes" : en(errno);
}

/* An empty file at `path` (left alone if it cannot be made). */
__attribute__((unused)) static void touch(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0)
		close(fd);
}

/* Each mount of /proc/self/mountinfo as `when: root=R at=POINT type=T`. */
__attribute__((unused)) static void mountinfo(const char *when)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	char line[512];
	if (!f) {
		printf("%s: mountinfo: %s\n", when, en(errno));
		return;
	}
	while (fgets(line, sizeof line, f)) {
		char root[256], point[256], type[32];
		char *dash = strstr(line, " - ");
		if (sscanf(line, "%*s %*s %*s %255s %255s", root, point) == 2 && dash &&
		    sscanf(dash + 3, "%31s", type) == 1)
			printf("%s: root=%s at=%s type=%s\n", when, root, point, type);
	}
	fclose(f);
}

/* A test's main: `base` made as /tmp/NAME.XXXXXX (mode 0755), `body`
 * run in a child (its status printed, 128 + signal if killed), `base`
 * removed after. */
__attribute__((unused)) static int scratch_main(const char *name, int (*body)(void))
{
	setvbuf(stdout, NULL, _IONBF, 0);
	snprintf(base, sizeof base, "/tmp/%s.XXXXXX", name);
	if (!mkdtemp(base)) {
		perror("mkdtemp");
		return 1;
	}
	chmod(base, 0755);
	pid_t pid = fork();
	if (pid == 0)
		_exit(body());
	int st;
	if (waitpid(pid, &st, 0) != pid)
		st = 0x7f00; /* as if it exited 127 */
	printf("child: %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	printf("cleaned up: %s\n", rc_str(rmdir(base)));
	return 0;
}

#endif
