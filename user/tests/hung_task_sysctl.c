// tine-only
/*
 * hung_task_sysctl: /proc/sys/kernel/hung_task_timeout_secs, the same
 * setting as `tine.hung_task_timeout=` (off here: no kernel argument).
 * Tine-only: natively the test would change the host's detector, whose
 * default timeout is a build option, and read the host's log.
 *   1. It reads 0 (off) and is mode 0644 (root writes, all read).
 *   2. Root writes 1: it reads 1, and a vfork parent in state D for
 *      2.5 s is reported ("INFO: task ... blocked for more than").
 *   3. Root writes 0: the same wait is not reported.
 *   4. A negative or non-numeric value is EINVAL; a user other than
 *      root cannot open it for writing (EACCES) but reads it.
 * Mirrors: Documentation/admin-guide/sysctl/kernel.rst
 *   hung_task_timeout_secs; kernel/hung_task.c
 *   proc_dohung_task_timeout_secs(), proc_doulongvec_minmax().
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PATH "/proc/sys/kernel/hung_task_timeout_secs"

static int kmsg = -1;

static const char *value(void)
{
	static char b[64];
	int fd = open(PATH, O_RDONLY);
	if (fd < 0)
		return strerror(errno);
	ssize_t n = read(fd, b, sizeof b - 1);
	close(fd);
	b[n > 0 ? n : 0] = 0;
	char *nl = strchr(b, '\n');
	if (nl)
		*nl = 0;
	return b;
}

static const char *set(const char *v)
{
	int fd = open(PATH, O_WRONLY);
	if (fd < 0)
		return strerror(errno);
	ssize_t n = write(fd, v, strlen(v));
	int e = errno;
	close(fd);
	return n < 0 ? strerror(e) : "ok";
}

/* How many hung-task reports the log got since the last call. */
static int reports(void)
{
	char rec[2048];
	int n = 0;
	ssize_t r;
	while ((r = read(kmsg, rec, sizeof rec - 1)) > 0) {
		rec[r] = 0;
		if (strstr(rec, "INFO: task ") && strstr(rec, " blocked for more than "))
			n++;
	}
	return n;
}

static void vfork_wait(void)
{
	pid_t c = vfork();
	if (c == 0) {
		struct timespec ts = {2, 500000000};
		nanosleep(&ts, 0);
		_exit(0);
	}
	waitpid(c, 0, 0);
}

int main(void)
{
	setvbuf(stdout, 0, _IONBF, 0);
	kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	reports();
	struct stat st;
	stat(PATH, &st);
	printf("1. reads %s, mode %o\n", value(), st.st_mode & 07777);
	const char *r = set("1\n");
	printf("2. write 1: %s; reads %s\n", r, value());
	vfork_wait();
	printf("   a vfork parent in D for 2.5 s: reported %s\n", reports() > 0 ? "yes" : "no");
	r = set("0");
	printf("3. write 0: %s; reads %s\n", r, value());
	vfork_wait();
	printf("   a vfork parent in D for 2.5 s: reported %s\n", reports() > 0 ? "yes" : "no");
	r = set("-1");
	const char *r2 = set("abc");
	printf("4. write -1: %s; write abc: %s; reads %s\n", r, r2, value());
	pid_t c = fork();
	if (c == 0) {
		if (setuid(65534) != 0)
			_exit(1);
		r = set("5");
		printf("   as uid 65534: write 5: %s; reads %s\n", r, value());
		_exit(0);
	}
	waitpid(c, 0, 0);
	printf("   reads %s\n", value());
	return 0;
}
