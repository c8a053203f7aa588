/*
 * uts_ns: UTS namespaces and unshare(2) (namespaces(7), uts_namespaces(7),
 * unshare(2), sethostname(2), clone(2)).
 * Checks:
 *   unshare(CLONE_NEWUTS) gives a copy of the caller's names; a new host
 *     and domain name set there is seen by the caller and by children
 *     forked after it, not by the parent nor by a child forked before;
 *   clone(CLONE_NEWUTS) does the same for the new child only;
 *   sethostname: EINVAL past 64 bytes or for a negative length, EFAULT
 *     for a bad buffer; unshare: EINVAL for a flag it does not take,
 *     CLONE_FILES|CLONE_FS always allowed;
 *   as uid 1000: EPERM for sethostname, unshare(CLONE_NEWUTS) and
 *     clone(CLONE_NEWUTS).
 * Run as root (natively too): every name is set inside a new namespace
 * only, so the host's own names are never touched. The names themselves
 * differ between machines, so the parent's are compared, not printed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

static struct utsname orig;

static const char *node(void)
{
	static struct utsname u;
	uname(&u);
	return u.nodename;
}

static void same_as_orig(const char *who)
{
	struct utsname u;
	uname(&u);
	printf("%s: nodename %s, domainname %s\n", who,
	       strcmp(u.nodename, orig.nodename) ? "changed" : "as before",
	       strcmp(u.domainname, orig.domainname) ? "changed" : "as before");
}

static int result(long r)
{
	return r < 0 ? -errno : (int)r;
}

static void reap(pid_t pid)
{
	int st;
	waitpid(pid, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		printf("child %s\n", WIFEXITED(st) ? "failed" : "killed");
}

static int clone_child(void *arg)
{
	(void)arg;
	same_as_orig("clone child before sethostname");
	printf("clone child sethostname: %d\n", result(sethostname("cloned", 6)));
	printf("clone child nodename: %s\n", node());
	return 0;
}

static char stack[64 * 1024];

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	uname(&orig);
	pid_t before = fork();
	if (before == 0) {
		sleep(1);
		same_as_orig("child forked before");
		return 0;
	}
	pid_t c = fork();
	if (c == 0) {
		printf("unshare(CLONE_NEWUTS): %d\n", result(unshare(CLONE_NEWUTS)));
		same_as_orig("after unshare");
		printf("sethostname: %d\n", result(sethostname("inner-ns", 8)));
		printf("setdomainname: %d\n", result(setdomainname("inner.dom", 9)));
		struct utsname u;
		uname(&u);
		printf("nodename %s, domainname %s\n", u.nodename, u.domainname);
		char long_name[70];
		memset(long_name, 'x', sizeof(long_name));
		printf("sethostname of 65 bytes: %d\n", result(sethostname(long_name, 65)));
		printf("sethostname of 64 bytes: %d\n", result(sethostname(long_name, 64)));
		printf("nodename length %zu\n", strlen(node()));
		printf("sethostname(len -1): %d\n", result(syscall(SYS_sethostname, long_name, -1L)));
		printf("sethostname(NULL, 4): %d\n", result(syscall(SYS_sethostname, NULL, 4L)));
		int r = result(sethostname("", 0));
		printf("sethostname(\"\", 0): %d, nodename \"%s\"\n", r, node());
		sethostname("inner-ns", 8);
		pid_t g = fork();
		if (g == 0) {
			printf("grandchild nodename: %s\n", node());
			return 0;
		}
		reap(g);
		return 0;
	}
	reap(c);
	reap(before);
	same_as_orig("parent");

	pid_t cl = clone(clone_child, stack + sizeof(stack), CLONE_NEWUTS | SIGCHLD, NULL);
	int clone_errno = errno;
	if (cl > 0)
		reap(cl);
	/* After the child's lines, whichever ran first. */
	printf("clone(CLONE_NEWUTS): %s\n", cl > 0 ? "a child" : strerror(clone_errno));
	same_as_orig("parent after the clone child");

	printf("unshare(CLONE_PARENT): %d\n", result(unshare(CLONE_PARENT)));
	printf("unshare(CLONE_FILES|CLONE_FS): %d\n", result(unshare(CLONE_FILES | CLONE_FS)));

	pid_t u = fork();
	if (u == 0) {
		setuid(1000);
		printf("uid 1000 sethostname: %d\n", result(sethostname("nope", 4)));
		printf("uid 1000 setdomainname: %d\n", result(setdomainname("nope", 4)));
		printf("uid 1000 unshare(CLONE_NEWUTS): %d\n", result(unshare(CLONE_NEWUTS)));
		pid_t x = clone(clone_child, stack + sizeof(stack), CLONE_NEWUTS | SIGCHLD, NULL);
		printf("uid 1000 clone(CLONE_NEWUTS): %d\n", x < 0 ? -errno : 0);
		return 0;
	}
	reap(u);
	same_as_orig("parent at the end");
	return 0;
}
