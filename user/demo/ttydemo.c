/*
 * ttydemo: try the console as a terminal by hand (`cargo xtask run ttydemo`).
 *
 * PID 1 starts a small "shell" child (its own process group, in the
 * foreground, ignoring ^C and ^Z as shells do) and waits for it. The shell
 * reads lines in canonical mode (erase ^?, word erase ^W, kill ^U, EOF ^D
 * on an empty line quits) and runs these commands:
 *
 *   stty     show the terminal settings, size, foreground group, session
 *   raw      non-canonical, no echo (VMIN 1): shows each key in hex; q ends
 *   timed    non-canonical, VMIN 0 VTIME 20: reads with a 2 s timeout
 *   select   select() on stdin with a 3 s timeout, then read the line
 *   noecho   read one line with echo off (a password prompt)
 *   fg       run a job in the foreground: it reads a line; ^C kills it,
 *            ^Z stops it (the shell then continues it in the background)
 *   bg       run a job in the background that reads: it gets SIGTTIN and
 *            stops; the shell brings it to the foreground and continues it
 *   size R C set the window size (TIOCSWINSZ; a foreground job gets SIGWINCH)
 *   exit     leave (so does ^D)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof buf - 1)
		n = sizeof buf - 1;
	if (write(1, buf, n) < 0)
		_exit(1);
}

static void show_status(const char *who, int st)
{
	if (WIFEXITED(st))
		say("%s exited with %d\n", who, WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		say("%s killed by signal %d (%s)\n", who, WTERMSIG(st), strsignal(WTERMSIG(st)));
	else if (WIFSTOPPED(st))
		say("%s stopped by signal %d (%s)\n", who, WSTOPSIG(st), strsignal(WSTOPSIG(st)));
}

static void stty(void)
{
	struct termios t;
	struct winsize ws;
	if (tcgetattr(0, &t)) {
		say("tcgetattr: %s\n", strerror(errno));
		return;
	}
	say("iflag %#o oflag %#o cflag %#o lflag %#o\n", t.c_iflag, t.c_oflag, t.c_cflag, t.c_lflag);
	say("icanon %d echo %d isig %d icrnl %d onlcr %d; VMIN %d VTIME %d speed %d\n", !!(t.c_lflag & ICANON),
	    !!(t.c_lflag & ECHO), !!(t.c_lflag & ISIG), !!(t.c_iflag & ICRNL), !!(t.c_oflag & ONLCR), t.c_cc[VMIN],
	    t.c_cc[VTIME], cfgetospeed(&t) == B38400 ? 38400 : -1);
	if (ioctl(0, TIOCGWINSZ, &ws) == 0)
		say("size %d rows %d cols\n", ws.ws_row, ws.ws_col);
	say("pid %d pgrp %d sid %d; foreground pgrp %d, tty session %d\n", getpid(), getpgrp(), getsid(0), tcgetpgrp(0),
	    tcgetsid(0));
}

static void raw_keys(void)
{
	struct termios old, t;
	tcgetattr(0, &old);
	t = old;
	t.c_lflag &= ~(ICANON | ECHO);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	tcsetattr(0, TCSAFLUSH, &t);
	say("raw: press keys, q to stop (^C still signals: ISIG is on)\n");
	for (;;) {
		unsigned char c;
		ssize_t n = read(0, &c, 1);
		if (n <= 0) {
			say("read: %zd %s\n", n, n < 0 ? strerror(errno) : "");
			break;
		}
		say("key 0x%02x%s%c\n", c, c >= 32 && c < 127 ? " " : "", c >= 32 && c < 127 ? c : ' ');
		if (c == 'q')
			break;
	}
	tcsetattr(0, TCSAFLUSH, &old);
}

static void timed(void)
{
	struct termios old, t;
	char buf[64];
	tcgetattr(0, &old);
	t = old;
	t.c_lflag &= ~(ICANON | ECHO);
	t.c_cc[VMIN] = 0;
	t.c_cc[VTIME] = 20;
	tcsetattr(0, TCSANOW, &t);
	say("timed: type within 2 s ...\n");
	ssize_t n = read(0, buf, sizeof buf);
	say("read returned %zd\n", n);
	tcsetattr(0, TCSANOW, &old);
}

static void do_select(void)
{
	fd_set r;
	struct timeval tv = { 3, 0 };
	FD_ZERO(&r);
	FD_SET(0, &r);
	say("select: type a line within 3 s ...\n");
	int n = select(1, &r, NULL, NULL, &tv);
	say("select returned %d (stdin ready %d)\n", n, FD_ISSET(0, &r));
	if (n > 0) {
		char buf[256];
		ssize_t m = read(0, buf, sizeof buf);
		say("read %zd bytes\n", m);
	}
}

static void noecho(void)
{
	struct termios old, t;
	char buf[256];
	tcgetattr(0, &old);
	t = old;
	t.c_lflag &= ~ECHO;
	t.c_lflag |= ECHONL;
	tcsetattr(0, TCSAFLUSH, &t);
	say("password: ");
	ssize_t n = read(0, buf, sizeof buf);
	tcsetattr(0, TCSAFLUSH, &old);
	say("got %zd bytes (not shown)\n", n);
}

/* A job: its own process group, the default signal actions, reads a line. */
static pid_t job(int foreground)
{
	pid_t c = fork();
	if (c == 0) {
		setpgid(0, 0);
		if (foreground)
			tcsetpgrp(0, getpid());
		signal(SIGINT, SIG_DFL);
		signal(SIGTSTP, SIG_DFL);
		signal(SIGTTOU, SIG_DFL);
		char buf[256];
		say("job %d: reading a line (^C kills me, ^Z stops me)\n", getpid());
		ssize_t n = read(0, buf, sizeof buf);
		if (n < 0)
			say("job %d: read: %s\n", getpid(), strerror(errno));
		else
			say("job %d: read %zd bytes: %.*s", getpid(), n, (int)n, buf);
		_exit(n < 0 ? 1 : 0);
	}
	setpgid(c, c);
	if (foreground)
		tcsetpgrp(0, c);
	return c;
}

/* Wait for job `c` (stops too); take the terminal back after. */
static void wait_job(pid_t c)
{
	int st;
	for (;;) {
		if (waitpid(c, &st, WUNTRACED) < 0) {
			say("waitpid: %s\n", strerror(errno));
			break;
		}
		show_status("job", st);
		tcsetpgrp(0, getpgrp());
		if (!WIFSTOPPED(st))
			break;
		say("shell: giving job %d the terminal and continuing it\n", c);
		tcsetpgrp(0, c);
		kill(-c, SIGCONT);
	}
}

static void shell(void)
{
	char line[512];
	/* As shells do: ignore the job-control signals first, so that taking
	 * the terminal from the background is allowed (a group whose parent
	 * is init is orphaned: SIGTTOU would be EIO). */
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	signal(SIGTSTP, SIG_IGN);
	signal(SIGTTOU, SIG_IGN);
	setpgid(0, 0);
	tcsetpgrp(0, getpid());
	say("ttydemo shell, pid %d. Commands: stty raw timed select noecho fg bg size exit\n", getpid());
	for (;;) {
		say("tty> ");
		ssize_t n = read(0, line, sizeof line - 1);
		if (n < 0) {
			say("read: %s\n", strerror(errno));
			continue;
		}
		if (n == 0) {
			say("^D: end of file\n");
			return;
		}
		line[n] = 0;
		say("got %zd bytes: \"", n);
		for (ssize_t i = 0; i < n; i++) {
			unsigned char ch = line[i];
			if (ch == '\n')
				say("\\n");
			else if (ch < 32 || ch == 127)
				say("^%c", ch ^ 64);
			else
				say("%c", ch);
		}
		say("\"\n");
		line[strcspn(line, "\n")] = 0;
		int r, c;
		if (!strcmp(line, "stty"))
			stty();
		else if (!strcmp(line, "raw"))
			raw_keys();
		else if (!strcmp(line, "timed"))
			timed();
		else if (!strcmp(line, "select"))
			do_select();
		else if (!strcmp(line, "noecho"))
			noecho();
		else if (!strcmp(line, "fg"))
			wait_job(job(1));
		else if (!strcmp(line, "bg"))
			wait_job(job(0));
		else if (sscanf(line, "size %d %d", &r, &c) == 2) {
			struct winsize ws = { .ws_row = r, .ws_col = c };
			say("TIOCSWINSZ: %d\n", ioctl(0, TIOCSWINSZ, &ws));
		} else if (!strcmp(line, "exit"))
			return;
	}
}

int main(void)
{
	if (getpid() != 1) {
		shell();
		return 0;
	}
	pid_t c = fork();
	if (c == 0) {
		shell();
		_exit(0);
	}
	int st;
	waitpid(c, &st, 0);
	show_status("shell", st);
	return 0;
}
