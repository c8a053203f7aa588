/*
 * setns: /proc/PID/ns links and setns(2) (namespaces(7), setns(2),
 * pidfd_open(2)).
 * Checks:
 *   /proc/self/ns lists Linux's ten entries; each link reads
 *     "type:[inode]" with the inode that stat() of the link's target
 *     gives; a child after unshare(CLONE_NEWUTS) shows another uts inode
 *     and the same pid one; after unshare(CLONE_NEWPID) its
 *     pid_for_children differs from its pid;
 *   setns with a /proc/PID/ns/uts descriptor: joins that UTS namespace
 *     (the host name set there is seen); a mismatched type, a descriptor
 *     of a regular file, a bad descriptor: EINVAL, EINVAL, EBADF;
 *   setns with a pidfd and CLONE_NEWPID|CLONE_NEWUTS: the caller's next
 *     child is in the target's PID namespace (getpid 2 after the init);
 *     flags 0 or an unknown flag: EINVAL;
 *   from inside a PID namespace, setns to its parent's: EINVAL;
 *   as uid 1000: EPERM.
 * Run as root (natively too). Inode numbers differ between machines,
 * so only their relations are printed.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define NR_PIDFD_OPEN 434

static int result(long r)
{
	return r < 0 ? -errno : (int)r;
}

static unsigned long link_ino(pid_t pid, const char *name, char *type)
{
	char path[64], text[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/%s", pid, name);
	ssize_t n = readlink(path, text, sizeof(text) - 1);
	if (n < 0)
		return 0;
	text[n] = 0;
	char *br = strchr(text, ':');
	if (!br)
		return 0;
	*br = 0;
	if (type)
		strcpy(type, text);
	return strtoul(br + 2, NULL, 10);
}

static void listing(void)
{
	const char *names[] = { "cgroup", "ipc", "mnt", "net", "pid", "pid_for_children",
				"time", "time_for_children", "user", "uts" };
	DIR *d = opendir("/proc/self/ns");
	int found = 0, total = 0;
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		total++;
		for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (!strcmp(e->d_name, names[i]))
				found++;
	}
	if (d)
		closedir(d);
	printf("/proc/self/ns: %d entries, %d of Linux's names\n", total, found);
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char type[32] = "", path[64];
		unsigned long ino = link_ino(getpid(), names[i], type);
		struct stat st;
		snprintf(path, sizeof(path), "/proc/self/ns/%s", names[i]);
		int r = stat(path, &st);
		printf("%s -> %s:[...], stat's inode %s\n", names[i], type,
		       r == 0 && st.st_ino == ino ? "matches" : "differs");
	}
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	listing();

	/* A child in its own UTS namespace, named "inner", waiting. */
	int go[2];
	pipe(go);
	pid_t c = fork();
	if (c == 0) {
		unshare(CLONE_NEWUTS);
		sethostname("inner", 5);
		unshare(CLONE_NEWPID);
		pid_t init = fork();
		if (init == 0) {
			for (;;)
				pause();
		}
		char b;
		read(go[0], &b, 1);
		kill(init, SIGKILL);
		waitpid(init, NULL, 0);
		_exit(0);
	}
	usleep(100000);
	pid_t me = getpid();
	printf("child's uts differs: %s\n", link_ino(c, "uts", NULL) != link_ino(me, "uts", NULL) ? "yes" : "no");
	printf("child's pid same: %s\n", link_ino(c, "pid", NULL) == link_ino(me, "pid", NULL) ? "yes" : "no");
	printf("child's pid_for_children differs from its pid: %s\n",
	       link_ino(c, "pid_for_children", NULL) != link_ino(c, "pid", NULL) ? "yes" : "no");

	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/uts", c);
	int uts = open(path, O_RDONLY);
	printf("open %s: %s\n", "ns/uts", uts >= 0 ? "ok" : strerror(errno));
	int reg = open("/proc/self/status", O_RDONLY);
	printf("setns(uts fd, CLONE_NEWPID): %d\n", result(setns(uts, CLONE_NEWPID)));
	printf("setns(regular file, 0): %d\n", result(setns(reg, 0)));
	printf("setns(-1, 0): %d\n", result(setns(-1, 0)));
	int pidfd = syscall(NR_PIDFD_OPEN, c, 0);
	printf("setns(pidfd, 0): %d\n", result(setns(pidfd, 0)));
	printf("setns(pidfd, 1): %d\n", result(setns(pidfd, 1)));

	pid_t u = fork();
	if (u == 0) {
		setuid(1000);
		printf("uid 1000 setns(uts fd): %d\n", result(setns(uts, CLONE_NEWUTS)));
		_exit(0);
	}
	waitpid(u, NULL, 0);

	pid_t j = fork();
	if (j == 0) {
		printf("setns(uts fd, CLONE_NEWUTS): %d\n", result(setns(uts, CLONE_NEWUTS)));
		char host[65] = "";
		gethostname(host, sizeof(host));
		printf("host name after setns: %s\n", host);
		_exit(0);
	}
	waitpid(j, NULL, 0);

	/* The child's init: join its PID namespace through its pidfd. */
	pid_t p = fork();
	if (p == 0) {
		/* The init: the process whose pid namespace is the child's
		 * pid_for_children, just above the child's pid. */
		pid_t init = 0;
		for (pid_t q = c + 1; q < c + 1000 && !init; q++) {
			unsigned long a = link_ino(q, "pid", NULL);
			if (a && a == link_ino(c, "pid_for_children", NULL))
				init = q;
		}
		int fd = syscall(NR_PIDFD_OPEN, init, 0);
		printf("setns(pidfd of the init, CLONE_NEWPID|CLONE_NEWUTS): %d\n",
		       result(setns(fd, CLONE_NEWPID | CLONE_NEWUTS)));
		printf("getpid unchanged: %s\n", getpid() != 2 ? "yes" : "no");
		pid_t g = fork();
		if (g == 0) {
			char host[65] = "";
			gethostname(host, sizeof(host));
			printf("child after setns: getpid %d, getppid %d, host %s\n", getpid(), getppid(), host);
			_exit(0);
		}
		waitpid(g, NULL, 0);
		_exit(0);
	}
	waitpid(p, NULL, 0);

	/* From inside a namespace, the parent's is out of reach. */
	int mine = open("/proc/self/ns/pid", O_RDONLY);
	pid_t q = fork();
	if (q == 0) {
		unshare(CLONE_NEWPID);
		pid_t in = fork();
		if (in == 0) {
			printf("inside: setns(parent's pid ns): %d\n", result(setns(mine, CLONE_NEWPID)));
			_exit(0);
		}
		waitpid(in, NULL, 0);
		_exit(0);
	}
	waitpid(q, NULL, 0);

	write(go[1], "x", 1);
	waitpid(c, NULL, 0);
	return 0;
}
