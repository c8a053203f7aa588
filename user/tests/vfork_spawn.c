/*
 * vfork_spawn: vfork(2) and posix_spawn(3) (musl implements the latter
 * with clone(CLONE_VM|CLONE_VFORK) and reports exec failures back to the
 * parent through a close-on-exec pipe).
 * Modes: argv[1] == "spawned" = the new image, which reports on stdout.
 * Checks:
 *   vfork: the child runs in the parent's memory (its store to a global
 *     is seen by the parent), the parent is suspended until the child
 *     _exits (a flag set after 200 sched_yield calls is already set when
 *     vfork returns in the parent), the child's exit status;
 *   vfork + execve: the parent resumes once the child has exec'ed (the
 *     new image waits for a byte the parent writes after vfork returns),
 *     the image's getppid() is the parent;
 *   posix_spawn with file actions (addopen at fd 5, adddup2, addclose)
 *     and attributes (SETSIGMASK blocks SIGUSR1, SETSIGDEF resets the
 *     ignored SIGUSR2 while the ignored SIGPIPE stays ignored, SETPGROUP
 *     0 makes a new process group); the returned pid is the image's pid;
 *   posix_spawn of a missing file returns ENOENT and of a file without x
 *     bit EACCES (as return values; no child is left to reap);
 *   posix_spawnp searches PATH (a missing directory first, then the
 *     directory of this binary).
 * Mirrors: vfork(2), posix_spawn(3), execve(2).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

extern char **environ;

static volatile int shared_global;

static int spawned(int argc, char **argv)
{
	printf("[spawned] argc=%d argv[0]=\"%s\" argv[2]=\"%s\"\n", argc, argv[0],
	       argc > 2 ? argv[2] : "(none)");
	if (argc >= 4 && strcmp(argv[2], "readfd") == 0) {
		int fd = atoi(argv[3]);
		char c = '?';
		ssize_t n = read(fd, &c, 1);
		pid_t ppid = (pid_t)atoi(argv[4]);
		printf("[spawned] read from parent after vfork: %zd '%c'; getppid() is the parent: %s\n",
		       n, c, getppid() == ppid ? "yes" : "no");
	}
	if (argc >= 3 && strcmp(argv[2], "actions") == 0) {
		char b[16] = {0};
		ssize_t n = read(5, b, sizeof b - 1);
		printf("[spawned] fd 5 (addopen): %zd \"%s\"\n", n, b);
		n = read(6, b, 3);
		b[n > 0 ? n : 0] = 0;
		printf("[spawned] fd 6 (adddup2 of a pipe): %zd \"%s\"\n", n, b);
		int r = fcntl(7, F_GETFD);
		printf("[spawned] fd 7 (addclose): %d %s\n", r, r < 0 ? en(errno) : "");
		sigset_t s;
		sigprocmask(SIG_BLOCK, NULL, &s);
		printf("[spawned] SIGUSR1 blocked: %s\n", sigismember(&s, SIGUSR1) ? "yes" : "no");
		struct sigaction sa;
		sigaction(SIGUSR2, NULL, &sa);
		printf("[spawned] SIGUSR2: %s\n", sa.sa_handler == SIG_DFL ? "SIG_DFL" : "SIG_IGN");
		sigaction(SIGPIPE, NULL, &sa);
		printf("[spawned] SIGPIPE: %s\n", sa.sa_handler == SIG_DFL ? "SIG_DFL" : "SIG_IGN");
		printf("[spawned] own process group: %s\n", getpgid(0) == getpid() ? "yes" : "no");
		pid_t me = getpid();
		write(6 + 2, &me, sizeof me); /* fd 8: the pid report pipe */
	}
	return 9;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc >= 2 && strcmp(argv[1], "spawned") == 0)
		return spawned(argc, argv);

	char self[4096];
	ssize_t sn = readlink("/proc/self/exe", self, sizeof self - 1);
	if (sn < 0)
		return 1;
	self[sn] = 0;
	int st;

	printf("-- vfork\n");
	shared_global = 1;
	pid_t pid = vfork();
	if (pid == 0) {
		for (int i = 0; i < 200; i++)
			sched_yield();
		shared_global = 42;
		_exit(7);
	}
	int seen = shared_global;
	pid_t r = waitpid(pid, &st, 0);
	printf("parent resumed with the child's store visible: %s (value %d)\n",
	       seen == 42 ? "yes" : "no", seen);
	printf("waitpid: %s, %s\n", r == pid ? "the child" : "?", st_str(st));

	printf("-- vfork + execve\n");
	int p[2];
	pipe(p);
	char fdarg[16], ppidarg[16];
	snprintf(fdarg, sizeof fdarg, "%d", p[0]);
	snprintf(ppidarg, sizeof ppidarg, "%d", getpid());
	char *av[] = {"vforked", "spawned", "readfd", fdarg, ppidarg, NULL};
	pid = vfork();
	if (pid == 0) {
		execve(self, av, environ);
		_exit(127);
	}
	write(p[1], "V", 1); /* only reachable once the child has exec'ed */
	close(p[0]);
	close(p[1]);
	r = waitpid(pid, &st, 0);
	printf("waitpid: %s, %s\n", r == pid ? "the child" : "?", st_str(st));

	printf("-- posix_spawn with file actions and attributes\n");
	char path[64];
	snprintf(path, sizeof path, "/tmp/tine_vfork_spawn_%d", getpid());
	int fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0644);
	write(fd, "file contents", 13);
	close(fd);
	int dp[2], rp[2];
	pipe(dp);
	pipe(rp);
	write(dp[1], "dup", 3);
	int extra = open(path, O_RDONLY); /* closed in the child by addclose */
	dup2(extra, 7);
	close(extra);
	dup2(rp[1], 8);

	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 5, path, O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, dp[0], 6);
	posix_spawn_file_actions_addclose(&fa, 7);
	posix_spawnattr_t at;
	posix_spawnattr_init(&at);
	sigset_t mask, def;
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	sigemptyset(&def);
	sigaddset(&def, SIGUSR2);
	signal(SIGUSR2, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	posix_spawnattr_setsigmask(&at, &mask);
	posix_spawnattr_setsigdefault(&at, &def);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
					      POSIX_SPAWN_SETPGROUP);
	char *sav[] = {"spawned-argv0", "spawned", "actions", NULL};
	pid = -1;
	int e = posix_spawn(&pid, self, &fa, &at, sav, environ);
	r = waitpid(pid, &st, 0);
	printf("posix_spawn: %s\n", en(e));
	pid_t reported = -1;
	close(8);
	close(rp[1]);
	read(rp[0], &reported, sizeof reported);
	printf("waitpid: %s, %s; pid reported by the image == returned pid: %s\n",
	       r == pid ? "the child" : "?", st_str(st), reported == pid ? "yes" : "no");
	close(7);
	close(rp[0]);
	close(dp[0]);
	close(dp[1]);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	signal(SIGUSR2, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);

	printf("-- posix_spawn failures\n");
	char missing[80];
	snprintf(missing, sizeof missing, "/tmp/tine_vfork_spawn_missing_%d", getpid());
	char *fav[] = {"x", "spawned", NULL};
	e = posix_spawn(&pid, missing, NULL, NULL, fav, environ);
	printf("posix_spawn(missing file): %s\n", en(e));
	e = posix_spawn(&pid, path, NULL, NULL, fav, environ); /* mode 0644 */
	printf("posix_spawn(file without x bit): %s\n", en(e));
	r = waitpid(-1, &st, WNOHANG);
	printf("children left to reap: %s\n", r < 0 ? en(errno) : "some");
	unlink(path);

	printf("-- posix_spawnp\n");
	char dirpath[4200], pathenv[4300];
	strcpy(dirpath, self);
	char *slash = strrchr(dirpath, '/');
	if (!slash)
		return 1;
	*slash = 0;
	const char *name = slash + 1; /* this binary's basename */
	snprintf(pathenv, sizeof pathenv, "/tmp/tine_vfork_spawn_nodir:%s", dirpath);
	setenv("PATH", pathenv, 1);
	char *pav[] = {"by-path", "spawned", "via-PATH", NULL};
	e = posix_spawnp(&pid, name, NULL, NULL, pav, environ);
	r = e == 0 ? waitpid(pid, &st, 0) : -1;
	printf("posix_spawnp(\"%s\"): %s\n", name, en(e));
	if (e == 0)
		printf("waitpid: %s, %s\n", r == pid ? "the child" : "?", st_str(st));
	return 0;
}
