/*
 * /init of the benchmark initramfs (`cargo xtask bench`), the same binary
 * under Tine and under Linux.
 *
 *   - Makes sure fds 0-2 are the console: Linux gives init no console when
 *     the initramfs has no /dev/console, so it mounts devtmpfs on /dev and
 *     opens /dev/console (Tine starts init with the console already open).
 *   - Prints `info` lines (kernel, release, THP mode when /sys has it),
 *     mounts /proc (Linux starts with nothing mounted) and prints
 *     `clock start <CLOCK_MONOTONIC ns>`.
 *   - Runs `/bin/bench all <words of /bench/args>` and reaps every child.
 *   - Prints `clock end <ns>` and `bench-done <status>`, then powers off
 *     with reboot(2); if that fails, exits (Tine halts when init exits).
 *
 * /bench/args holding the word `probe` only prints the start lines and
 * powers off (xtask's check that a kernel boots under an accelerator).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void say(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof buf - 1)
		n = sizeof buf - 1;
	if (n > 0)
		write(1, buf, n);
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void console(void)
{
	if (fcntl(1, F_GETFD) >= 0)
		return;
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

/* The first line of a file, without its newline; "" if unreadable. */
static void first_line(const char *path, char *buf, size_t len)
{
	buf[0] = 0;
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return;
	ssize_t n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		n = 0;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
}

static void power_off(int status)
{
	sync();
	reboot(RB_POWER_OFF);
	/* No reboot(2): Tine halts QEMU when init exits. */
	_exit(status);
}

int main(void)
{
	console();
	struct utsname u;
	if (uname(&u) == 0)
		say("info uname %s %s %s\n", u.sysname, u.release, u.machine);
	mkdir("/sys", 0755);
	if (mount("sysfs", "/sys", "sysfs", 0, NULL) == 0) {
		char thp[256];
		first_line("/sys/kernel/mm/transparent_hugepage/enabled", thp, sizeof thp);
		if (thp[0])
			say("info thp %s\n", thp);
	}
	/* /proc for the rows that read it (mem_per_proc's MemFree): Linux
	 * boots with nothing mounted; under Tine it is there already (EBUSY). */
	mkdir("/proc", 0555);
	mount("proc", "/proc", "proc", 0, NULL);
	say("clock start %llu\n", (unsigned long long)now_ns());

	/* Up to 30 words from /bench/args. */
	static char args[4096];
	char *argv[40];
	int argc = 0;
	argv[argc++] = "/bin/bench";
	argv[argc++] = "all";
	first_line("/bench/args", args, sizeof args);
	for (char *w = strtok(args, " \t"); w && argc < 38; w = strtok(NULL, " \t")) {
		if (strcmp(w, "probe") == 0) {
			say("bench-done 0\n");
			power_off(0);
		}
		argv[argc++] = w;
	}
	argv[argc] = NULL;

	static char *envp[] = { "PATH=/bin", "HOME=/", "TERM=linux", NULL };
	int status = 1;
	pid_t pid = fork();
	if (pid == 0) {
		execve(argv[0], argv, envp);
		say("fail init execve %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (pid < 0) {
		say("fail init fork: %s\n", strerror(errno));
	} else {
		/* Reap everything, orphans included, until the runner is done. */
		for (;;) {
			int st;
			pid_t w = wait(&st);
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				break;
			if (w == pid) {
				status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
				break;
			}
		}
	}
	say("clock end %llu\n", (unsigned long long)now_ns());
	say("bench-done %d\n", status);
	power_off(status);
}
