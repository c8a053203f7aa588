/*
 * exec_basic: execve(2) of this same binary (found via /proc/self/exe)
 * and what survives it.
 * Modes: no argument = the driver; argv[1] == "child" / "final" = the
 * new images; argc == 1 with argv[0] == "" = the image started with an
 * empty argv.
 * Checks:
 *   the new image gets exactly the argv (custom argv[0], an empty string,
 *     a string with spaces) and envp passed, in order; AT_EXECFN names
 *     the path given to execve; globals are re-initialised; the PID and
 *     parent PID are unchanged (sent through an inherited pipe);
 *   close-on-exec: fds opened with O_CLOEXEC or marked FD_CLOEXEC with
 *     F_SETFD are closed (fcntl F_GETFD -> EBADF), a plain fd survives
 *     with flags 0 and its file offset;
 *   signals: caught signals are reset to SIG_DFL with sa_flags 0 and an
 *     empty sa_mask, ignored ones stay SIG_IGN, the signal mask is kept
 *     and a blocked pending signal is still pending;
 *   the parent sees the exec'ed child's exit status (42);
 *   a failed execve (ENOENT, EACCES) returns to the caller with its
 *     memory and fds intact;
 *   execve with argv == NULL and envp == NULL: the new image has argc 1,
 *     argv[0] == "" and an empty environment (Linux >= 5.18);
 *   finally the driver itself execs: the new image keeps the PID and can
 *     still reap a child forked before the exec.
 * Mirrors: execve(2) ("All process attributes are preserved... except";
 *   "By default, file descriptors remain open across an execve()";
 *   "the dispositions of any signals that are being caught are reset to
 *   the default"; argv NULL note), fcntl(2) FD_CLOEXEC, open(2)
 *   O_CLOEXEC, signal(7) ("A child created via fork(2)... During an
 *   execve(2), the dispositions of handled signals are reset to the
 *   default; the dispositions of ignored signals are left unchanged";
 *   "the signal mask is preserved across execve"; pending signal set
 *   preserved), getauxval(3) AT_EXECFN.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

#define FD_OCLOEXEC 20 /* opened with O_CLOEXEC */
#define FD_PLAIN 21    /* no close-on-exec */
#define FD_SETFD 22    /* FD_CLOEXEC set with F_SETFD */
#define FD_IDPIPE 23   /* read end of a pipe holding the pre-exec pid/ppid */

#ifndef SA_RESTORER
#define SA_RESTORER 0x04000000
#endif

static int marker = 1;

static const char *base(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

static void handler(int sig) { (void)sig; }

static void show_fd(int fd, const char *what)
{
	int r = fcntl(fd, F_GETFD);
	if (r < 0)
		printf("fcntl(%s, F_GETFD): -1 %s\n", what, en(errno));
	else
		printf("fcntl(%s, F_GETFD): %d\n", what, r);
}

static void show_sig(int sig, const char *name)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sigaction(sig, NULL, &sa);
	printf("%s: %s, sa_flags 0x%x, sa_mask %s\n", name,
	       sa.sa_handler == SIG_DFL ? "SIG_DFL" : sa.sa_handler == SIG_IGN ? "SIG_IGN" : "handler",
	       (unsigned)(sa.sa_flags & ~SA_RESTORER), sigisemptyset(&sa.sa_mask) ? "empty" : "non-empty");
}

static void show_set(const char *what, sigset_t *s)
{
	printf("%s:", what);
	int any = 0;
	for (int i = 1; i < 32; i++)
		if (sigismember(s, i)) {
			printf(" %d", i);
			any = 1;
		}
	printf("%s\n", any ? "" : " none");
}

/* reads the pre-exec pid and ppid from FD_IDPIPE */
static void check_ids(void)
{
	pid_t ids[2] = {0, 0};
	ssize_t n = read(FD_IDPIPE, ids, sizeof ids);
	printf("pid unchanged by exec: %s, ppid unchanged: %s\n",
	       n == sizeof ids && ids[0] == getpid() ? "yes" : "no",
	       n == sizeof ids && ids[1] == getppid() ? "yes" : "no");
	close(FD_IDPIPE);
}

static void send_ids(void)
{
	int p[2];
	pipe(p);
	pid_t ids[2] = {getpid(), getppid()};
	write(p[1], ids, sizeof ids);
	close(p[1]);
	dup2(p[0], FD_IDPIPE);
	close(p[0]);
}

static int child_mode(int argc, char **argv, char **envp)
{
	printf("[new image] argc=%d\n", argc);
	for (int i = 0; i < argc; i++)
		printf("[new image] argv[%d]=\"%s\"\n", i, argv[i]);
	printf("[new image] argv[argc]==NULL: %s\n", argv[argc] == NULL ? "yes" : "no");
	for (char **e = envp; *e; e++)
		printf("[new image] env \"%s\"\n", *e);
	const char *execfn = (const char *)getauxval(AT_EXECFN);
	printf("[new image] AT_EXECFN basename: %s\n", execfn ? base(execfn) : "(none)");
	printf("[new image] global marker re-initialised: %s\n", marker == 1 ? "yes" : "no");
	check_ids();
	show_fd(FD_OCLOEXEC, "O_CLOEXEC fd");
	show_fd(FD_PLAIN, "plain fd");
	show_fd(FD_SETFD, "F_SETFD FD_CLOEXEC fd");
	char b[8] = {0};
	ssize_t n = read(FD_PLAIN, b, 6);
	printf("read(plain fd, 6): %zd \"%s\" (offset kept)\n", n, b);
	show_sig(SIGUSR1, "SIGUSR1 (was caught, SA_RESTART)");
	show_sig(SIGHUP, "SIGHUP (was caught, sa_mask SIGINT)");
	show_sig(SIGUSR2, "SIGUSR2 (was ignored)");
	show_sig(SIGPIPE, "SIGPIPE (was ignored)");
	show_sig(SIGINT, "SIGINT (was default)");
	sigset_t s;
	sigprocmask(SIG_BLOCK, NULL, &s);
	show_set("[new image] blocked signals", &s);
	sigpending(&s);
	show_set("[new image] pending signals", &s);
	return 42;
}

static int argc0_mode(int argc, char **argv, char **envp)
{
	printf("[argv NULL image] argc=%d argv[0]=\"%s\" argv[1]==NULL: %s envp[0]==NULL: %s\n", argc,
	       argv[0], argv[1] == NULL ? "yes" : "no", envp[0] == NULL ? "yes" : "no");
	return 0;
}

static int final_mode(void)
{
	printf("[final image] running\n");
	check_ids();
	int st;
	pid_t r = wait(&st);
	printf("[final image] reaps the child forked before exec: %s, exit %d\n",
	       r > 0 ? "yes" : "no", r > 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	r = wait(&st);
	printf("[final image] then wait: %d %s\n", (int)r, r < 0 ? en(errno) : "");
	return 0;
}

int main(int argc, char **argv, char **envp)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc >= 2 && strcmp(argv[1], "child") == 0)
		return child_mode(argc, argv, envp);
	if (argc >= 2 && strcmp(argv[1], "final") == 0)
		return final_mode();
	if (argc == 1 && argv[0][0] == '\0')
		return argc0_mode(argc, argv, envp);

	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n < 0) {
		printf("readlink(/proc/self/exe) failed: %s\n", en(errno));
		return 1;
	}
	self[n] = 0;

	char path[64];
	snprintf(path, sizeof path, "/tmp/tine_exec_basic_%d", getpid());
	int fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0644);
	write(fd, "0123456789abcdef", 16);
	close(fd);

	printf("-- exec in a child\n");
	pid_t pid = fork();
	if (pid == 0) {
		int a = open(path, O_RDONLY | O_CLOEXEC);
		int b = open(path, O_RDONLY);
		int c = open(path, O_RDONLY);
		dup3(a, FD_OCLOEXEC, O_CLOEXEC);
		dup2(b, FD_PLAIN);
		dup2(c, FD_SETFD);
		close(a);
		close(b);
		close(c);
		fcntl(FD_SETFD, F_SETFD, FD_CLOEXEC);
		lseek(FD_PLAIN, 5, SEEK_SET);
		send_ids();

		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = handler;
		sa.sa_flags = SA_RESTART;
		sigaction(SIGUSR1, &sa, NULL);
		sa.sa_flags = 0;
		sigaddset(&sa.sa_mask, SIGINT);
		sigaction(SIGHUP, &sa, NULL);
		signal(SIGUSR2, SIG_IGN);
		signal(SIGPIPE, SIG_IGN);
		sigset_t blk;
		sigemptyset(&blk);
		sigaddset(&blk, SIGUSR1);
		sigaddset(&blk, SIGTERM);
		sigprocmask(SIG_BLOCK, &blk, NULL);
		raise(SIGTERM); /* stays pending */

		marker = 99;
		char *av[] = {"custom-argv0", "child", "two words", "", "last", NULL};
		char *ev[] = {"A=1", "EMPTY=", "PATH=/nowhere", NULL};
		execve(self, av, ev);
		printf("execve failed: %s\n", en(errno));
		_exit(127);
	}
	int st;
	pid_t r = waitpid(pid, &st, 0);
	printf("parent: waitpid %s, exited %d, status %d\n", r == pid ? "the child" : "?",
	       WIFEXITED(st), WIFEXITED(st) ? WEXITSTATUS(st) : -1);

	printf("-- failed execve returns to the caller\n");
	marker = 7;
	fd = open(path, O_RDONLY);
	char missing[80];
	snprintf(missing, sizeof missing, "/tmp/tine_exec_basic_missing_%d", getpid());
	char *av[] = {"x", NULL};
	int e = execve(missing, av, envp);
	printf("execve(missing file): %d %s\n", e, en(errno));
	e = execve(path, av, envp); /* mode 0644: not executable */
	printf("execve(file without x bit): %d %s\n", e, en(errno));
	char b[5] = {0};
	printf("caller intact: marker %d, fd still readable: %s\n", marker,
	       read(fd, b, 4) == 4 && strcmp(b, "0123") == 0 ? "yes" : "no");
	close(fd);

	printf("-- execve with argv NULL and envp NULL\n");
	pid = fork();
	if (pid == 0) {
		syscall(SYS_execve, self, NULL, NULL);
		printf("execve failed: %s\n", en(errno));
		_exit(127);
	}
	waitpid(pid, &st, 0);
	printf("parent: exited %d, status %d\n", WIFEXITED(st), WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	unlink(path);

	printf("-- the driver itself execs\n");
	pid = fork();
	if (pid == 0)
		_exit(17);
	send_ids();
	char *fv[] = {argv[0], "final", NULL};
	execve(self, fv, envp);
	printf("execve failed: %s\n", en(errno));
	return 1;
}
