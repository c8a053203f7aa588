/*
 * mount_ns: mount namespaces. A child that unshares CLONE_NEWNS mounts a
 * tmpfs: the parent does not see it (files, st_dev, /proc/self/mountinfo
 * and the child's /proc/PID/mountinfo do), and a tmpfs the parent mounts
 * afterwards is not seen inside. /proc/PID/ns/mnt differs between them;
 * clone(CLONE_NEWNS | CLONE_FS) is EINVAL; setns with a mismatched type
 * is EINVAL and as uid 1000 EPERM; setns(fd, CLONE_NEWNS) from another
 * process joins the namespace (cwd moved to its root), even after every
 * process in it has exited while the descriptor stayed open.
 * Run as root (natively too); natively the test first enters a private
 * mount namespace of its own and stops if it cannot.
 * Mirrors: mount_namespaces(7), unshare(2), setns(2), clone(2).
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

static const char *r(int rc)
{
	return en(rc < 0 ? errno : 0);
}

/* How many lines of /proc/PID/mountinfo (PID 0: self) mount something
 * at `point`, and of which type. */
static void mountinfo_at(const char *who, pid_t pid, const char *point)
{
	char path[64], line[1024];
	if (pid)
		snprintf(path, sizeof path, "/proc/%d/mountinfo", pid);
	else
		snprintf(path, sizeof path, "/proc/self/mountinfo");
	FILE *f = fopen(path, "r");
	if (!f) {
		printf("%s mountinfo: %s\n", who, en(errno));
		return;
	}
	int n = 0;
	char types[256] = "";
	while (fgets(line, sizeof line, f)) {
		char mp[256], type[32];
		int fields = 0;
		if (sscanf(line, "%*s %*s %*s %*s %255s", mp) != 1 || strcmp(mp, point) != 0)
			continue;
		char *dash = strstr(line, " - ");
		if (dash && sscanf(dash + 3, "%31s", type) == 1) {
			strncat(types, " ", sizeof types - strlen(types) - 1);
			strncat(types, type, sizeof types - strlen(types) - 1);
		}
		/* The optional fields between the mount options and " - ": none
		 * for a private mount. */
		char *s = line;
		for (int i = 0; i < 6 && s; i++) {
			s = strchr(s, ' ');
			if (s)
				s++;
		}
		if (s && dash)
			fields = s < dash ? 1 : 0;
		n++;
		if (fields)
			printf("%s: optional fields present\n", who);
	}
	fclose(f);
	printf("%s sees %d mount(s) at BASE/mnt:%s\n", who, n, types);
}

static unsigned long dev_of(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (unsigned long)st.st_dev : 0;
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (unshare(CLONE_NEWNS) != 0) {
		printf("unshare(CLONE_NEWNS): %s: not mounting anything\n", en(errno));
		return 1;
	}
	mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
	snprintf(base, sizeof base, "/tmp/mount_ns.XXXXXX");
	if (!mkdtemp(base)) {
		perror("mkdtemp");
		return 1;
	}
	mkdir(p("/mnt"), 0755);
	mkdir(p("/mnt/late"), 0755);
	unsigned long outside = dev_of(p("/mnt"));

	printf("clone(CLONE_NEWNS|CLONE_FS): %s\n",
	       r(syscall(SYS_clone, CLONE_NEWNS | CLONE_FS | SIGCHLD, 0, 0, 0, 0)));

	int go[2], ready[2];
	pipe(go);
	pipe(ready);
	pid_t child = fork();
	if (child == 0) {
		printf("child unshare(CLONE_NEWNS): %s\n", r(unshare(CLONE_NEWNS)));
		printf("child mount tmpfs: %s\n", r(mount("none", p("/mnt"), "tmpfs", 0, "mode=755")));
		close(open(p("/mnt/inside"), O_CREAT | O_WRONLY, 0644));
		printf("child st_dev changed: %s\n", dev_of(p("/mnt")) != outside ? "yes" : "no");
		mountinfo_at("child", 0, p("/mnt"));
		write(ready[1], "r", 1);
		char c;
		read(go[0], &c, 1);
		/* The parent mounted on BASE/mnt/late meanwhile. */
		printf("child sees the parent's later mount: %s\n",
		       access(p("/mnt/late"), F_OK) == 0 ? "yes" : "no (its own tmpfs hides the directory)");
		_exit(0);
	}
	char c;
	read(ready[0], &c, 1);
	printf("parent sees the child's file: %s\n", r(access(p("/mnt/inside"), F_OK)));
	printf("parent st_dev unchanged: %s\n", dev_of(p("/mnt")) == outside ? "yes" : "no");
	mountinfo_at("parent", 0, p("/mnt"));
	mountinfo_at("parent reading the child's", child, p("/mnt"));
	printf("parent mount tmpfs on BASE/mnt/late: %s\n", r(mount("none", p("/mnt/late"), "tmpfs", 0, NULL)));

	char nspath[64], mine[64] = "", theirs[64] = "";
	snprintf(nspath, sizeof nspath, "/proc/%d/ns/mnt", child);
	readlink("/proc/self/ns/mnt", mine, sizeof mine - 1);
	readlink(nspath, theirs, sizeof theirs - 1);
	printf("ns/mnt links differ: %s, look like mnt:[N]: %s\n", strcmp(mine, theirs) ? "yes" : "no",
	       strncmp(theirs, "mnt:[", 5) == 0 ? "yes" : "no");
	int nsfd = open(nspath, O_RDONLY);
	printf("open ns/mnt: %s\n", r(nsfd));
	printf("setns as CLONE_NEWUTS: %s\n", r(setns(nsfd, CLONE_NEWUTS)));
	write(go[1], "g", 1);
	int st;
	waitpid(child, &st, 0);
	printf("child exited: %d\n", WEXITSTATUS(st));

	pid_t joiner = fork();
	if (joiner == 0) {
		chdir(p("/mnt"));
		if (fork() == 0) {
			setuid(1000);
			printf("setns as uid 1000: %s\n", r(setns(nsfd, CLONE_NEWNS)));
			_exit(0);
		}
		wait(NULL);
		printf("setns(CLONE_NEWNS) after its processes left: %s\n", r(setns(nsfd, CLONE_NEWNS)));
		char cwd[256] = "";
		printf("cwd is the root: %s\n", getcwd(cwd, sizeof cwd) && strcmp(cwd, "/") == 0 ? "yes" : cwd);
		printf("joined sees the child's file: %s\n", r(access(p("/mnt/inside"), F_OK)));
		mountinfo_at("joined", 0, p("/mnt"));
		_exit(0);
	}
	waitpid(joiner, &st, 0);
	close(nsfd);
	printf("umount BASE/mnt/late: %s\n", r(umount(p("/mnt/late"))));
	printf("umount BASE/mnt (nothing mounted here): %s\n", r(umount(p("/mnt"))));
	rmdir(p("/mnt/late"));
	rmdir(p("/mnt"));
	printf("cleaned up: %s\n", r(rmdir(base)));
	return 0;
}
