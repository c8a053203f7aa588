/*
 * /init of `cargo xtask trace --linux`: traces a program under Linux the
 * way Tine traces it from its command line, and hands the trace out on a
 * serial port of its own so that the program's console stays its own.
 *
 *   1. fds 0-2 on /dev/console (devtmpfs on /dev), /proc, /sys and
 *      tracefs on /sys/kernel/tracing mounted;
 *   2. the events of /trace/events (comma-separated `set_event` words)
 *      enabled one by one; words Linux does not know (`tine:*`) skipped;
 *      the buffer cleared, tracing on;
 *   3. fork, and the child execs the program of /tine/argv (the same
 *      NUL-separated file Tine's kernel reads) with xtask's environment;
 *   4. every child reaped, tracing off;
 *   5. /sys/kernel/tracing/trace copied to /dev/ttyS2 (COM3) in raw mode,
 *      `traceinit: status=N` (the program's wait status) written to
 *      /dev/ttyS1 (COM2), and the machine powered off.
 *
 * Its own events (PID 1) stay in the trace: xtask keeps only the
 * program's process tree, found as init's first child.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "initlib.h"

#define TRACING "/sys/kernel/tracing/"

static void console(void)
{
	mkdir("/dev", 0755);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	int fd = open("/dev/console", O_RDWR);
	if (fd < 0)
		return;
	for (int i = 0; i < 3; i++)
		if (fd != i)
			dup2(fd, i);
	if (fd > 2)
		close(fd);
}

static ssize_t slurp(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, len - 1);
	close(fd);
	if (n >= 0)
		buf[n] = 0;
	return n;
}

static void put(const char *file, const char *text)
{
	int fd = open(file, O_WRONLY | O_TRUNC);
	if (fd >= 0) {
		write(fd, text, strlen(text));
		close(fd);
	}
}

int main(void)
{
	console();
	mount_like_tine();

	static char events[4096], argbuf[4096];
	if (slurp("/trace/events", events, sizeof events) < 0)
		events[0] = 0;
	put(TRACING "set_event", "");
	int se = open(TRACING "set_event", O_WRONLY | O_APPEND);
	for (char *w = strtok(events, ",\n"); w && se >= 0; w = strtok(NULL, ",\n")) {
		char line[128];
		snprintf(line, sizeof line, "%s\n", w);
		write(se, line, strlen(line)); /* EINVAL for tine:*: skipped */
	}
	if (se >= 0)
		close(se);
	put(TRACING "trace", "");
	put(TRACING "tracing_on", "1");

	ssize_t n = slurp("/tine/argv", argbuf, sizeof argbuf);
	char *argv[64];
	int argc = 0;
	for (ssize_t i = 0; i < n && argc < 63; i += strlen(argbuf + i) + 1)
		argv[argc++] = argbuf + i;
	argv[argc] = NULL;
	char *envp[] = {"PATH=/bin", "HOME=/", "TERM=linux", NULL};

	int status = 127 << 8;
	pid_t child = argc ? fork() : -1;
	if (child == 0) {
		execve(argv[0], argv, envp);
		_exit(127);
	}
	for (;;) {
		int st;
		pid_t p = wait(&st);
		if (p < 0 && errno == EINTR)
			continue;
		if (p < 0)
			break;
		if (p == child)
			status = st;
	}
	put(TRACING "tracing_on", "0");

	send_and_power_off(open(TRACING "trace", O_RDONLY), "traceinit", status);
	return 0;
}
