/*
 * creds: user and group IDs -- changing them as root, the unprivileged
 * rules afterwards, and inheritance across fork(2) and execve(2).
 * Every scenario runs in its own forked child, so the test process stays
 * root; the child reports on stdout and the parent waits for it.
 * Checks:
 *   initial getresuid/getresgid are 0 0 0 and agree with getuid/geteuid/
 *     getgid/getegid;
 *   setuid(1000) as root sets real, effective and saved IDs; afterwards
 *     setuid(0) -> EPERM and setuid(1000) -> 0;
 *   seteuid(1000) keeps real/saved 0, so seteuid(0) works again;
 *     setreuid(1000, 2000) also sets saved to 2000; unprivileged
 *     setreuid(-1, 1000) (euid = ruid) keeps saved, setreuid(2000, -1)
 *     (not ruid/euid) -> EPERM, setreuid(-1, 3000) -> EPERM;
 *   setresuid(10, 20, 30) then permutations (30, 10, 20) are allowed,
 *     new values (-1, -1, 40) and (0, -1, -1) -> EPERM;
 *   setresgid/setregid/setgid as root, setgroups + getgroups, then after
 *     giving up root: setgid to a non-member ID, setgroups, setresgid
 *     to an ID not currently held -> EPERM; setgid to the saved ID and
 *     setresgid among the current IDs allowed;
 *   the IDs (and supplementary groups) are inherited by a forked child;
 *   kill(parent, 0) from a non-root child of a root parent -> EPERM;
 *   a file created with euid 1234/egid 4321 is owned by them;
 *   execve keeps real/effective IDs and sets saved = effective:
 *     (10, 0, 30) -> (10, 0, 0).
 * Mirrors: setuid(2), setreuid(2), setresuid(2), getresuid(2), setgid(2),
 *   setresgid(2), setgroups(2), credentials(7), kill(2) permission rule,
 *   execve(2) ("the effective user ID... copied to the saved set-user-ID").
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

static void rc(const char *what, long r)
{
	if (r < 0)
		printf("  %s: -1 %s\n", what, en(errno));
	else
		printf("  %s: %ld\n", what, r);
}

static void ids(const char *who)
{
	uid_t r, e, s;
	gid_t gr, ge, gs;
	getresuid(&r, &e, &s);
	getresgid(&gr, &ge, &gs);
	printf("  %s uid r/e/s %u %u %u gid r/e/s %u %u %u", who, r, e, s, gr, ge, gs);
	if (getuid() != r || geteuid() != e || getgid() != gr || getegid() != ge)
		printf(" (getuid/geteuid/getgid/getegid DISAGREE)");
	printf("\n");
}

static void groups_line(const char *who)
{
	gid_t g[16];
	int n = getgroups(16, g);
	printf("  %s supplementary groups (%d):", who, n);
	for (int i = 0; i < n; i++)
		printf(" %u", g[i]);
	printf("\n");
}

static void scenario(const char *title, void (*fn)(void))
{
	printf("-- %s\n", title);
	pid_t pid = fork();
	if (pid == 0) {
		setgroups(0, NULL); /* start without supplementary groups */
		fn();
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		printf("  (child status 0x%x)\n", st);
}

/* fork a grandchild that prints its IDs (inheritance across fork) */
static void inherit(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		ids("forked child:");
		groups_line("forked child:");
		_exit(0);
	}
	waitpid(pid, NULL, 0);
}

static void s_setuid(void)
{
	rc("setuid(1000)", setuid(1000));
	ids("now");
	rc("setuid(0)", setuid(0));
	rc("setuid(1000)", setuid(1000));
	rc("seteuid(0)", seteuid(0));
	ids("now");
	inherit();
}

static void s_reuid(void)
{
	rc("seteuid(1000)", seteuid(1000));
	ids("now");
	rc("seteuid(0)", seteuid(0));
	ids("now");
	rc("setreuid(1000, 2000)", setreuid(1000, 2000));
	ids("now");
	rc("setreuid(-1, 1000)", setreuid(-1, 1000));
	ids("now");
	rc("setreuid(2000, -1)", setreuid(2000, -1));
	rc("setreuid(-1, 3000)", setreuid(-1, 3000));
	rc("setreuid(-1, 2000)", setreuid(-1, 2000));
	ids("now");
	inherit();
}

static void s_resuid(void)
{
	rc("setresuid(10, 20, 30)", setresuid(10, 20, 30));
	ids("now");
	rc("setresuid(30, 10, 20)", setresuid(30, 10, 20));
	ids("now");
	rc("setresuid(-1, -1, 40)", setresuid(-1, -1, 40));
	rc("setresuid(0, -1, -1)", setresuid(0, -1, -1));
	rc("setresuid(-1, -1, -1)", setresuid(-1, -1, -1));
	ids("now");
	inherit();
}

static void s_gids(void)
{
	rc("setresgid(1, 2, 3)", setresgid(1, 2, 3));
	ids("now");
	rc("setregid(4, 5)", setregid(4, 5));
	ids("now");
	rc("setgid(6)", setgid(6));
	ids("now");
	gid_t g[] = {100, 200, 300};
	rc("setgroups(3, {100, 200, 300})", setgroups(3, g));
	groups_line("now");
	rc("getgroups(0, NULL)", getgroups(0, NULL));
	gid_t small[1];
	rc("getgroups(1, buf) with 3 groups", getgroups(1, small));
	rc("setresgid(7, 8, 9)", setresgid(7, 8, 9));
	rc("setresuid(500, 500, 500)", setresuid(500, 500, 500));
	ids("now");
	rc("setgid(6)", setgid(6));
	rc("setgid(9)", setgid(9));
	ids("now");
	rc("setresgid(9, 7, 8)", setresgid(9, 7, 8));
	rc("setresgid(9, 7, -1)", setresgid(9, 7, -1));
	ids("now");
	rc("setgroups(0, NULL)", setgroups(0, NULL));
	groups_line("now");
	inherit();
}

static void s_kill(void)
{
	rc("setuid(1000)", setuid(1000));
	rc("kill(root parent, 0)", kill(getppid(), 0));
	rc("kill(self, 0)", kill(getpid(), 0));
}

static void s_file(void)
{
	char path[64];
	snprintf(path, sizeof path, "/tmp/tine_creds_%d", getpid());
	rc("setegid(4321)", setegid(4321));
	rc("seteuid(1234)", seteuid(1234));
	int fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0644);
	printf("  open(O_CREAT) in /tmp: %s\n", fd >= 0 ? "ok" : en(errno));
	struct stat st;
	if (fd >= 0 && fstat(fd, &st) == 0)
		printf("  new file owner uid %u gid %u\n", st.st_uid, st.st_gid);
	close(fd);
	rc("seteuid(0)", seteuid(0));
	rc("unlink", unlink(path));
}

static char self[4096];

static void s_exec(void)
{
	rc("setresuid(10, 0, 30)", setresuid(10, 0, 30));
	rc("setresgid(11, 0, 31)", setresgid(11, 0, 31));
	ids("before exec");
	char *av[] = {"creds", "show", NULL};
	char *ev[] = {NULL};
	execve(self, av, ev);
	printf("  execve: %s\n", en(errno));
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc == 2 && strcmp(argv[1], "show") == 0) {
		ids("after exec");
		return 0;
	}
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	self[n > 0 ? n : 0] = 0;

	printf("-- initial\n");
	ids("test");
	scenario("setuid as root, then unprivileged", s_setuid);
	scenario("seteuid / setreuid", s_reuid);
	scenario("setresuid", s_resuid);
	scenario("group IDs and supplementary groups", s_gids);
	scenario("kill permission", s_kill);
	scenario("file ownership follows euid/egid", s_file);
	scenario("execve sets saved IDs from effective", s_exec);
	printf("-- the test process afterwards\n");
	ids("test");
	return 0;
}
