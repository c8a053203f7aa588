// tine-only
/*
 * klog_tine: the content of Tine's own kernel log, which Linux's cannot
 * match, and the syslog(2) actions that would disturb the host's log
 * (clearing it, consuming it, the console level).
 * Checks:
 *   the log starts with /proc/version's banner at KERN_NOTICE, then the
 *     hardware layer's boot lines ("tine: booting", RAM and clock), then
 *     the memory and pid_max lines at KERN_INFO;
 *   an unknown system call is logged once at KERN_DEBUG;
 *   SYSLOG_ACTION_READ consumes: SIZE_UNREAD falls to 0 after reading
 *     it all, and a record written after is what the next READ returns;
 *   READ_CLEAR returns the log and empties what READ_ALL returns;
 *     CLEAR too; CONSOLE_OFF, CONSOLE_ON, CONSOLE_LEVEL 4 succeed;
 *   /dev/kmsg: a reader left behind while the ring wraps gets EPIPE
 *     once, then the oldest record kept, with a later sequence number.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "testlib.h"

static char buf[1 << 18];

static long sl(int action, void *b, int len)
{
	long r = syscall(SYS_syslog, action, b, len);
	return r < 0 ? -errno : r;
}

/* The text of line `i` of `s` after its `<prio>[time] ` prefix, and its prio. */
static const char *line(const char *s, int i, int *prio, char *out, size_t n)
{
	for (; i > 0 && s; i--) {
		s = strchr(s, '\n');
		if (s)
			s++;
	}
	if (!s || !*s)
		return "(none)";
	*prio = atoi(s + 1);
	const char *t = strstr(s, "] ");
	const char *nl = strchr(s, '\n');
	snprintf(out, n, "%.*s", (int)(nl - t - 2), t + 2);
	return out;
}

int main(void)
{
	syscall(999);
	syscall(999);
	long n = sl(3, buf, sizeof buf - 1);
	buf[n > 0 ? n : 0] = 0;
	char t[256];
	int prio = -1;
	/* The hardware layer's boot lines come right after the banner. */
	int early = 0, i = 1;
	while (!strncmp(line(buf, i, &prio, t, sizeof t), "tine: ", 6))
		i++, early++;
	printf("boot lines of the hardware layer after the banner: %s\n", early >= 2 ? "yes" : "no");
	for (int j = 0; j < 3; j++) {
		const char *s = line(buf, j ? i + j - 1 : 0, &prio, t, sizeof t);
		printf("line %d: <%d> %s\n", j, prio, strncmp(s, "Memory: ", 8) == 0 ? "Memory: ..." : s);
	}
	int found = 0;
	for (char *p = buf; (p = strstr(p, "unimplemented syscall 999")); p++)
		found++;
	char *u = strstr(buf, "tine: unimplemented syscall 999");
	printf("unknown syscall logged %d time(s), at <%d>\n", found, u ? atoi(strrchr(strndup(buf, u - buf), '<') + 1) : -1);

	/* SYSLOG_ACTION_READ consumes what it returns. */
	long unread = sl(9, NULL, 0);
	long got = 0;
	while (sl(9, NULL, 0) > 0) {
		long r = sl(2, buf, 4096);
		if (r <= 0)
			break;
		got += r;
	}
	printf("READ returned SIZE_UNREAD's bytes: %s, then SIZE_UNREAD %ld\n", got == unread ? "yes" : "no",
	       sl(9, NULL, 0));
	int w = open("/dev/kmsg", O_WRONLY);
	write(w, "<12>after the read\n", 19);
	n = sl(2, buf, 4096);
	buf[n > 0 ? n : 0] = 0;
	printf("next READ: %s", strstr(buf, "] ") ? strstr(buf, "] ") + 2 : "(none)\n");

	n = sl(4, buf, sizeof buf);
	long after = sl(3, buf, sizeof buf);
	printf("READ_CLEAR: %s, then READ_ALL: %ld\n", n > 0 ? ">0" : "0", after);
	write(w, "<12>after the clear\n", 20);
	n = sl(3, buf, sizeof buf - 1);
	buf[n > 0 ? n : 0] = 0;
	printf("READ_ALL after a write: %s", strstr(buf, "] ") ? strstr(buf, "] ") + 2 : "(none)\n");
	long clear = sl(5, NULL, 0);
	printf("CLEAR: %ld, then READ_ALL: %ld\n", clear, sl(3, buf, sizeof buf));
	long off = sl(6, NULL, 0);
	long on = sl(7, NULL, 0);
	long level = sl(8, NULL, 4);
	printf("CONSOLE_OFF: %ld, CONSOLE_ON: %ld, CONSOLE_LEVEL 4: %ld\n", off, on, level);

	/* Wrap the ring under a reader that stays behind. */
	int r = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	lseek(r, 0, SEEK_END);
	char rec[512];
	memset(rec, 'x', sizeof rec);
	long size = sl(10, NULL, 0);
	for (long i = 0; i < 2 * size / (long)sizeof rec + 10; i++)
		write(w, rec, sizeof rec);
	errno = 0;
	printf("reader left behind: %s\n", rc_str(read(r, buf, sizeof buf)));
	n = read(r, buf, sizeof buf);
	unsigned long long seq = 0;
	sscanf(buf, "%*u,%llu", &seq);
	printf("then: a record: %s, sequence number past the first: %s\n", n > 0 ? "yes" : "no", seq > 10 ? "yes" : "no");
	return 0;
}
