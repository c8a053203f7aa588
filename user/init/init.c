/*
 * /init for `cargo xtask run`: Tine's PID 1 when booting to a shell.
 *
 * What Linux's init (or busybox init with a one-line inittab) would do,
 * and no more:
 *   - sets PATH=/bin, HOME=/, TERM=linux where its environment (the
 *     kernel's /tine/envp) does not say otherwise (the kernel makes /dev,
 *     /tmp and /proc and mounts proc at boot);
 *   - ignores the terminal's signals, SIGHUP and SIGTERM (Linux spares
 *     PID 1 from every signal it has no handler for; this does not rely
 *     on that), and gives the shell their default actions back;
 *   - prints a banner;
 *   - starts $SHELL, or /bin/sh (busybox ash), as a login shell ("-sh",
 *     "-bash": argv[0] starts with '-') in $HOME, in a new
 *     session with the console as its controlling terminal (setsid +
 *     TIOCSCTTY) and as foreground process group (TIOCSPGRP); if the
 *     kernel refuses those ioctls the shell still runs, only without job
 *     control;
 *   - reaps every child, orphans included (wait loop), until the shell
 *     exits;
 *   - then kills what is left and powers off with
 *     reboot(LINUX_REBOOT_CMD_POWER_OFF); if the kernel has no reboot(2),
 *     it exits with the shell's status, which halts Tine as well.
 *
 * argv[1], if given, is the program to run instead of /bin/sh (with the
 * rest of argv as its arguments).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

/* printf to the console (stderr), unbuffered. */
static void say(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	int len = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (len > 0)
		write(2, buf, len < (int)sizeof buf ? (size_t)len : sizeof buf - 1);
}

/* What init ignores (the terminal's signals, hang-up, terminate), in
 * case the kernel does not protect PID 1 from default actions as Linux
 * does; the shell gets them back at their defaults. */
static const int init_ignores[] = { SIGINT, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU, SIGHUP, SIGTERM };

static pid_t start_shell(char **argv)
{
	/* The login shell: $SHELL (Debian's rootfs: /bin/bash), its argv[0]
	 * "-" and its name, as login(1) starts it. */
	static char login_name[64];
	const char *shell = getenv("SHELL");
	if (!shell || !*shell)
		shell = "/bin/sh";
	const char *base = strrchr(shell, '/');
	snprintf(login_name, sizeof login_name, "-%s", base ? base + 1 : shell);
	char *login_sh[] = { login_name, NULL };
	/* ash makes a failing TIOCSPGRP fatal for an interactive shell
	 * ("can't set tty process group"): without it, no job control. */
	char *login_sh_nojc[] = { login_name, "+m", NULL };
	char *path = argv[0] ? argv[0] : (char *)shell;
	char **args = argv[0] ? argv : login_sh;
	pid_t pid = fork();
	if (pid != 0)
		return pid;

	/* The child: a session of its own, the console its terminal. */
	setsid();
	if (isatty(0)) {
		/* 1: take the console even if it is already some other
		 * session's controlling terminal (allowed to root, as
		 * busybox's cttyhack does). */
		if (ioctl(0, TIOCSCTTY, 1) < 0)
			say("init: TIOCSCTTY: %s\n", strerror(errno));
		pid_t me = getpid();
		if (ioctl(0, TIOCSPGRP, &me) < 0) {
			say("init: TIOCSPGRP: %s; the shell runs without job control\n",
			    strerror(errno));
			if (!argv[0])
				args = login_sh_nojc;
		}
	}
	for (size_t i = 0; i < sizeof init_ignores / sizeof init_ignores[0]; i++)
		signal(init_ignores[i], SIG_DFL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execv(path, args);
	say("init: cannot run %s: %s\n", path, strerror(errno));
	_exit(127);
}

int main(int argc, char **argv)
{
	(void)argc;
	if (!getenv("PATH"))
		setenv("PATH", "/bin", 1);
	if (!getenv("HOME"))
		setenv("HOME", "/", 1);
	if (!getenv("TERM"))
		setenv("TERM", "linux", 1);
	/* The login shell starts in its home, as login(1) puts it there. */
	if (chdir(getenv("HOME")) < 0)
		chdir("/");
	umask(022);
	for (size_t i = 0; i < sizeof init_ignores / sizeof init_ignores[0]; i++)
		signal(init_ignores[i], SIG_IGN);

	struct utsname u;
	if (uname(&u) == 0)
		say("\nWelcome to Tine (%s %s). %s on the console; "
		    "`exit` powers off.\n\n", u.sysname, u.release,
		    getenv("SHELL") ? getenv("SHELL") : "Busybox shell");

	pid_t shell = start_shell(argv + 1);
	if (shell < 0) {
		say("init: fork: %s\n", strerror(errno));
		return 1;
	}
	int shell_status = 0;
	for (;;) {
		int st;
		pid_t pid = wait(&st);
		if (pid == shell) {
			shell_status = st;
			break;
		}
		if (pid < 0 && errno == ECHILD)
			break;
		/* Anything else: an orphan re-parented to us, now reaped. */
	}

	/* The shell is gone: end everything else, then power off. */
	kill(-1, SIGKILL);
	while (wait(NULL) > 0 || errno == EINTR)
		;
	say("init: the shell has exited; powering off\n");
	sync();
	reboot(RB_POWER_OFF);
	/* No reboot(2) (or it failed): exit instead; Tine halts when PID 1
	 * ends. */
	if (WIFEXITED(shell_status))
		return WEXITSTATUS(shell_status);
	return 128 + WTERMSIG(shell_status);
}
