// tine-only
// kernel-args: tine.strace=traced
/*
 * strace_log: `tine.strace=COMM` logs every system call of the programs
 * whose comm is COMM, and of their children, in strace's format, to the
 * kernel log. This program runs itself again under the name "traced"
 * (through a symbolic link), which makes a few calls after a marker
 * (getppid); then reads the log through /dev/kmsg and prints the lines
 * that follow the marker, the pid replaced by "N". The parent's own calls
 * are not traced.
 * Checks the formats: strings quoted, AT_FDCWD, open flags, an error as
 * `-1 ENOENT (No such file or directory)`, a write's buffer, read's
 * buffer after the call, mmap's protection, flags and hex result, a
 * forked child traced too (its exit_group), and exit_group as `= ?`;
 * newer calls decoded (socketpair's pair, sendto's buffer, memfd_create,
 * epoll_create1), and one without a decoder by its name.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int child(void)
{
	syscall(SYS_getppid); /* the marker */
	syscall(SYS_openat, AT_FDCWD, "/nonexistent/passwd", O_RDONLY | O_CLOEXEC);
	int p[2];
	syscall(SYS_pipe2, p, O_CLOEXEC);
	syscall(SYS_write, p[1], "hello\n", 6);
	char b[16];
	syscall(SYS_read, p[0], b, sizeof b);
	syscall(SYS_close, 99);
	long m = syscall(SYS_mmap, 0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	syscall(SYS_munmap, m, 8192);
	int sv[2];
	syscall(SYS_socketpair, AF_UNIX, SOCK_STREAM, 0, sv);
	syscall(SYS_sendto, sv[0], "hi", 2, 0, 0, 0);
	syscall(SYS_memfd_create, "strace", 1);
	syscall(SYS_epoll_create1, O_CLOEXEC);
	/* No argument decoder: the name, and the six registers in hex. */
	syscall(SYS_sched_yield, 0, 0, 0, 0, 0, 0);
	pid_t pid = syscall(SYS_fork);
	if (pid == 0)
		syscall(SYS_exit_group, 7);
	syscall(SYS_wait4, pid, 0, 0, 0);
	syscall(SYS_exit_group, 3);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "child"))
		return child();
	if (symlink(argv[0], "/tmp/traced") != 0) {
		perror("symlink");
		return 1;
	}
	pid_t pid = fork();
	if (pid == 0) {
		execl("/tmp/traced", "traced", "child", (char *)0);
		_exit(127);
	}
	int st;
	waitpid(pid, &st, 0);
	printf("traced child exited %d\n", WEXITSTATUS(st));

	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	char rec[2048];
	int on = 0;
	ssize_t n;
	while ((n = read(fd, rec, sizeof rec - 1)) > 0) {
		rec[n] = 0;
		char *t = strchr(rec, ';');
		char *s = t ? strstr(t, "strace: ") : NULL;
		if (!s)
			continue;
		s += 8;
		if (strstr(s, "getppid()"))
			on = 1;
		if (!on)
			continue;
		/* "[pid 12] ..." -> "[pid N] ...", and mmap's address. */
		char *rest = strchr(s, ']');
		char line[2048];
		snprintf(line, sizeof line, "[pid N]%s", rest ? rest + 1 : s);
		/* /dev/kmsg escapes the backslash as \x5c. */
		for (char *e; (e = strstr(line, "\\x5c"));)
			memmove(e + 1, e + 4, strlen(e + 4) + 1);
		char *x = strstr(line, "0x");
		if (strstr(line, "mmap(") && (x = strstr(line, "= 0x")))
			strcpy(x, "= ADDR\n");
		if (strstr(line, "munmap(0x")) {
			char *a = strstr(line, "munmap(") + 7, *c = strchr(a, ',');
			memmove(a + 4, c, strlen(c) + 1);
			memcpy(a, "ADDR", 4);
		}
		if ((x = strstr(line, "fork() = ")) && x[9] != '-')
			strcpy(x + 9, "CHILD\n");
		if ((x = strstr(line, "wait4(")) && x[6] != '-') {
			char *c = strchr(x, ',');
			memmove(x + 11, c, strlen(c) + 1);
			memcpy(x + 6, "CHILD", 5);
			if ((c = strstr(x, ") = ")))
				strcpy(c + 4, "CHILD\n");
		}
		fputs(line, stdout);
	}
	return 0;
}
