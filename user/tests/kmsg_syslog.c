/*
 * kmsg_syslog: the kernel log as user space reads it: syslog(2) (what
 * dmesg uses) and /dev/kmsg (syslog(2), Documentation/ABI/testing/
 * dev-kmsg). Only facts of format and errno are printed, never the log's
 * content, which differs between kernels.
 * Checks:
 *   SYSLOG_ACTION_SIZE_BUFFER is positive; READ_ALL returns lines of
 *     `<prio>[seconds.micros] text`; its EINVAL (NULL, negative length),
 *     EFAULT, 0 for length 0; READ's EINVAL; CONSOLE_LEVEL out of 1..8
 *     and an unknown action EINVAL; SIZE_UNREAD not negative;
 *   without CAP_SYSLOG (uid 1000) every action is EPERM, READ_ALL and
 *     SIZE_BUFFER too under dmesg_restrict (Debian's default, on both;
 *     /proc/sys/kernel/dmesg_restrict says 1);
 *     /dev/kmsg: EPERM to read, EACCES to write (mode 0644);
 *   /dev/kmsg: character device 1:11; one record `prio,seq,usecs,flags;
 *     text\n` per read, with consecutive sequence numbers; EINVAL for a
 *     buffer too small; lseek only with offset 0 (ESPIPE) and SEEK_SET,
 *     SEEK_DATA, SEEK_END (else EINVAL); EAGAIN at the end with
 *     O_NONBLOCK, and poll not ready; a write of `<14>text` appears as
 *     one record with priority 14, one without a prefix with 12
 *     (LOG_USER, level 4), `<3>` with 11; write returns its length; a
 *     blocking reader at the end wakes for a record written later.
 *     (Every write ends in a newline: Linux keeps a record without one
 *     open for continuation, unseen by readers, until the next comes.)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

static long sl(int action, void *buf, int len)
{
	long r = syscall(SYS_syslog, action, buf, len);
	return r < 0 ? -errno : r;
}

static const char *rs(long r)
{
	return r < 0 ? en((int)-r) : (r > 0 ? ">0" : "0");
}

/* Does every line of `s` (n bytes) look like `<N>[ S.UUUUUU] text`? */
static int syslog_format_ok(const char *s, long n)
{
	const char *end = s + n;
	int lines = 0;
	while (s < end) {
		const char *nl = memchr(s, '\n', end - s);
		if (!nl)
			return 0;
		unsigned prio;
		unsigned long sec, usec;
		int used = 0;
		if (sscanf(s, "<%u>[%lu.%6lu]%n", &prio, &sec, &usec, &used) != 3 || used == 0)
			return 0;
		const char *dot = memchr(s, '.', nl - s);
		if (!dot || dot[7] != ']' || s[used] != ' ' || prio > 191)
			return 0;
		s = nl + 1;
		lines++;
	}
	return lines > 0;
}

/* Parse one /dev/kmsg record; 0 if it is not in Linux's format. */
static int parse_record(const char *b, long n, unsigned *prio, unsigned long long *seq, const char **text)
{
	unsigned long long ts;
	char flag;
	int used = 0;
	if (n <= 0 || b[n - 1] != '\n')
		return 0;
	if (sscanf(b, "%u,%llu,%llu,%c%n", prio, seq, &ts, &flag, &used) != 4 || used == 0)
		return 0;
	const char *semi = memchr(b, ';', n);
	if (!semi || (flag != '-' && flag != 'c'))
		return 0;
	/* One record per read: the text ends at the first newline (dictionary
	 * lines, which begin with a space, may follow). */
	const char *nl = memchr(semi, '\n', b + n - semi);
	if (nl + 1 != b + n && nl[1] != ' ')
		return 0;
	*text = semi + 1;
	return 1;
}

/* Read records from fd until one contains `marker`; its priority, or -1. */
static int find_marker(int fd, const char *marker)
{
	char b[8192];
	for (int i = 0; i < 1000; i++) {
		long n = read(fd, b, sizeof b - 1);
		if (n < 0 && errno == EPIPE)
			continue;
		if (n <= 0)
			return -1;
		b[n] = 0;
		unsigned prio;
		unsigned long long seq;
		const char *text;
		if (!parse_record(b, n, &prio, &seq, &text))
			return -2;
		if (strstr(text, marker))
			return (int)prio;
	}
	return -1;
}

static void unprivileged(void)
{
	if (setgid(1000) || setuid(1000)) {
		printf("setuid failed\n");
		return;
	}
	char b[64];
	static const int actions[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 99};
	printf("uid 1000:");
	for (unsigned i = 0; i < sizeof actions / sizeof *actions; i++)
		printf(" %d=%s", actions[i], rs(sl(actions[i], b, sizeof b)));
	printf("\n");
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	printf("uid 1000: open /dev/kmsg O_RDONLY: %s\n", fd < 0 ? en(errno) : "OK");
	fd = open("/dev/kmsg", O_WRONLY);
	printf("uid 1000: open /dev/kmsg O_WRONLY: %s\n", fd < 0 ? en(errno) : "OK");
}

int main(void)
{
	static char big[1 << 20];
	FILE *dr = fopen("/proc/sys/kernel/dmesg_restrict", "r");
	int restrict_ = -1;
	if (dr && fscanf(dr, "%d", &restrict_) == 1)
		fclose(dr);
	printf("dmesg_restrict: %d\n", restrict_);
	long size = sl(10, NULL, 0);
	printf("SIZE_BUFFER: %s\n", rs(size));
	long n = sl(3, big, sizeof big);
	printf("READ_ALL: %s, format ok: %s\n", rs(n), n > 0 && syslog_format_ok(big, n) ? "yes" : "no");
	/* A small buffer gets the newest whole lines only. */
	n = sl(3, big, 200);
	printf("READ_ALL 200: at most 200: %s, format ok: %s\n", n <= 200 ? "yes" : "no",
	       n == 0 || syslog_format_ok(big, n) ? "yes" : "no");
	printf("READ_ALL NULL: %s, len -1: %s, len 0: %s, bad pointer: %s\n", rs(sl(3, NULL, 10)),
	       rs(sl(3, big, -1)), rs(sl(3, big, 0)), rs(sl(3, (void *)0xffffffffffff0000, 100)));
	printf("READ NULL: %s, len -1: %s, len 0: %s\n", rs(sl(2, NULL, 10)), rs(sl(2, big, -1)), rs(sl(2, big, 0)));
	printf("CONSOLE_LEVEL 0: %s, 9: %s, unknown action: %s\n", rs(sl(8, NULL, 0)), rs(sl(8, NULL, 9)),
	       rs(sl(99, NULL, 0)));
	printf("SIZE_UNREAD: %s\n", sl(9, NULL, 0) >= 0 ? "not negative" : "error");
	printf("OPEN: %s, CLOSE: %s\n", rs(sl(1, NULL, 0)), rs(sl(0, NULL, 0)));

	struct stat st;
	if (stat("/dev/kmsg", &st) == 0)
		printf("/dev/kmsg: chr %d, %u:%u\n", S_ISCHR(st.st_mode), major(st.st_rdev), minor(st.st_rdev));
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	if (fd < 0) {
		printf("open /dev/kmsg: %s\n", en(errno));
		return 1;
	}
	char b[8192];
	unsigned prio;
	unsigned long long s1 = 0, s2 = 0;
	const char *text;
	long a = read(fd, b, sizeof b);
	int ok1 = parse_record(b, a, &prio, &s1, &text);
	long c = read(fd, b, sizeof b);
	int ok2 = parse_record(b, c, &prio, &s2, &text);
	printf("two reads: records %d %d, consecutive: %s\n", ok1, ok2, s2 == s1 + 1 ? "yes" : "no");
	errno = 0;
	printf("read into 8 bytes: %s\n", rc_str(read(fd, b, 8)));
	/* One call per statement: the order matters. */
	printf("lseek 1 SEEK_SET: %s\n", rc_str(lseek(fd, 1, SEEK_SET)));
	printf("lseek 0 SEEK_CUR: %s\n", rc_str(lseek(fd, 0, SEEK_CUR)));
	printf("lseek 0 SEEK_DATA: %s\n", rc_str(lseek(fd, 0, SEEK_DATA)));
	printf("lseek 0 SEEK_SET: %s\n", rc_str(lseek(fd, 0, SEEK_SET)));
	a = read(fd, b, sizeof b);
	printf("after SEEK_SET a record: %s\n", parse_record(b, a, &prio, &s1, &text) ? "yes" : "no");
	printf("lseek 0 SEEK_END: %s\n", rc_str(lseek(fd, 0, SEEK_END)));
	printf("read at the end: %s\n", rc_str(read(fd, b, sizeof b)));
	struct pollfd p = {fd, POLLIN, 0};
	printf("poll at the end: %d\n", poll(&p, 1, 0));

	int w = open("/dev/kmsg", O_WRONLY);
	char m1[64], m2[64], m3[64];
	snprintf(m1, sizeof m1, "<14>kmsg_syslog test %d one\n", getpid());
	snprintf(m2, sizeof m2, "kmsg_syslog test %d two\n", getpid());
	snprintf(m3, sizeof m3, "<3>kmsg_syslog test %d three\n", getpid());
	long w1 = write(w, m1, strlen(m1)), w2 = write(w, m2, strlen(m2)), w3 = write(w, m3, strlen(m3));
	printf("writes return their lengths: %s\n",
	       w1 == (long)strlen(m1) && w2 == (long)strlen(m2) && w3 == (long)strlen(m3) ? "yes" : "no");
	p.revents = 0;
	int ready = poll(&p, 1, 0);
	printf("poll after the write: %d, POLLIN: %d\n", ready, !!(p.revents & POLLIN));
	char k1[48], k2[48], k3[48];
	snprintf(k1, sizeof k1, "test %d one", getpid());
	snprintf(k2, sizeof k2, "test %d two", getpid());
	snprintf(k3, sizeof k3, "test %d three", getpid());
	int p1 = find_marker(fd, k1);
	int p2 = find_marker(fd, k2);
	int p3 = find_marker(fd, k3);
	printf("priorities: %d %d %d\n", p1, p2, p3);

	/* A blocking reader at the end sleeps until a record comes. */
	int bfd = open("/dev/kmsg", O_RDONLY);
	lseek(bfd, 0, SEEK_END);
	fflush(stdout);
	pid_t child = fork();
	if (child == 0) {
		sleep_ms(100);
		char m[64];
		snprintf(m, sizeof m, "<13>kmsg_syslog test %d late\n", getppid());
		write(w, m, strlen(m));
		_exit(0);
	}
	char k4[48];
	snprintf(k4, sizeof k4, "test %d late", getpid());
	printf("blocking read finds the later record: prio %d\n", find_marker(bfd, k4));
	waitpid(child, NULL, 0);

	fflush(stdout);
	child = fork();
	if (child == 0) {
		unprivileged();
		fflush(stdout);
		_exit(0);
	}
	waitpid(child, NULL, 0);
	return 0;
}
