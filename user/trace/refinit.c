/*
 * /init of a `// linux-ref` test's reference run (xtask/src/linuxref.rs):
 * Debian's Linux runs the test program as Tine runs it, and its output
 * becomes the reference instead of a hand-kept .expected file.
 *
 *   1. /dev (devtmpfs), /proc, /sys and tracefs on /sys/kernel/tracing,
 *      as Tine has them at boot; /tmp;
 *   2. a pipe as the program's stdout and stderr (stdin /dev/null), as
 *      Tine's `tine.stdio=pipe` and the host's reference runs give it,
 *      made large enough that nothing reads it while the program runs
 *      (under Tine nothing in the machine reads it either, so no reader
 *      wakes up in the middle of a trace);
 *   3. fork, and the child execs the program of /tine/argv with the
 *      environment Tine's kernel gives its first process;
 *   4. every child reaped; the pipe's contents copied to /dev/ttyS2 (COM3)
 *      in raw mode, `refinit: status=N` (the program's wait status) to
 *      /dev/ttyS1 (COM2), and the machine powered off.
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

/* The most the program may print (F_SETPIPE_SZ's default maximum). */
#define PIPE_BYTES (1 << 20)

int main(void)
{
	mkdir("/dev", 0755);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	mount_like_tine();

	static char argbuf[4096];
	int fd = open("/tine/argv", O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, argbuf, sizeof argbuf - 1) : -1;
	char *argv[64];
	int argc = 0;
	for (ssize_t i = 0; i < n && argc < 63; i += strlen(argbuf + i) + 1)
		argv[argc++] = argbuf + i;
	argv[argc] = NULL;
	char *envp[] = {"PATH=/bin", "HOME=/", "TERM=linux", NULL};

	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return 1;
	fcntl(p[1], F_SETPIPE_SZ, PIPE_BYTES);
	int status = 127 << 8;
	pid_t child = argc ? fork() : -1;
	if (child == 0) {
		int null = open("/dev/null", O_RDONLY);
		dup2(null, 0);
		dup2(p[1], 1);
		dup2(p[1], 2);
		execve(argv[0], argv, envp);
		_exit(127);
	}
	close(p[1]);
	for (;;) {
		int st;
		pid_t w = wait(&st);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			break;
		if (w == child)
			status = st;
	}

	send_and_power_off(p[0], "refinit", status);
	return 0;
}
