// tine-only
// kernel-args: tine.hung_task_timeout=1
/*
 * hung_task: `tine.hung_task_timeout=SECONDS` (Linux's khungtaskd,
 * kernel/hung_task.c) reports a task in uninterruptible sleep (state D)
 * that has not run for that long. Tine-only: the host's detector, if
 * any, has a timeout of minutes and its log is not ours to read.
 *   1. The program sleeps 2.5 s in nanosleep (state S): no report.
 *   2. It vforks; the child sleeps 3.5 s before _exit, so the parent
 *      waits in state D for that long: at least one report naming it,
 *      "INFO: task hung_task:PID blocked for more than N seconds." with
 *      N >= 1, Linux's two following lines, and its task-dump line
 *      (state D, waiting for its vfork child). The child, asleep in S,
 *      is not reported.
 * The kernel log is read through /dev/kmsg; the PID and N are checked
 * here and printed as words.
 * Mirrors: Documentation/admin-guide/sysctl/kernel.rst
 *   hung_task_timeout_secs; kernel/hung_task.c check_hung_task().
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int kmsg = -1;

/* The next record's text from the kernel log, or NULL at its end. */
static const char *next_record(void)
{
	static char rec[2048];
	ssize_t n = read(kmsg, rec, sizeof rec - 1);
	if (n <= 0)
		return NULL;
	rec[n] = 0;
	char *t = strchr(rec, ';');
	if (!t)
		return "";
	char *nl = strchr(t, '\n');
	if (nl)
		*nl = 0;
	return t + 1;
}

/* Reads the log from where the last call stopped; prints the first
 * report and how many there were about `pid` and about `other`. */
static void reports(pid_t pid, pid_t other)
{
	const char *r;
	int mine = 0, others = 0, follow = 0;
	char prefix[64], other_prefix[64];
	snprintf(prefix, sizeof prefix, "INFO: task hung_task:%d blocked for more than ", pid);
	snprintf(other_prefix, sizeof other_prefix, ":%d blocked for more than ", other);
	while ((r = next_record())) {
		if (follow > 0) {
			/* Linux's two lines, then the dump's first line. */
			if (follow == 1) {
				char head[64];
				snprintf(head, sizeof head, "task:hung_task       state:D pid:%-5d", pid);
				printf("  dump line: %s\n", strncmp(r, head, strlen(head)) == 0 ? "task:hung_task state:D pid:PID" : r);
			} else {
				printf("  %s\n", r);
			}
			follow--;
			continue;
		}
		if (strncmp(r, "INFO: task ", 11) != 0)
			continue;
		if (strncmp(r, prefix, strlen(prefix)) == 0) {
			int secs = atoi(r + strlen(prefix));
			if (mine++ == 0) {
				printf("report: INFO: task hung_task:PID blocked for more than N seconds. (N >= 1: %s)\n",
				       secs >= 1 ? "yes" : "no");
				follow = 3;
			}
		} else if (other > 0 && strstr(r, other_prefix)) {
			others++;
		} else {
			printf("unexpected: %s\n", r);
		}
	}
	printf("reports about it: %s; about the other task: %d\n", mine ? "at least one" : "none", others);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, ms % 1000 * 1000000L };
	while (nanosleep(&ts, &ts) != 0)
		;
}

int main(void)
{
	setvbuf(stdout, 0, _IONBF, 0);
	kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	if (kmsg < 0) {
		perror("/dev/kmsg");
		return 1;
	}
	while (next_record())
		;
	printf("1. asleep in state S for 2.5 s\n");
	sleep_ms(2500);
	reports(getpid(), 0);

	printf("2. a vfork parent in state D for 3.5 s\n");
	pid_t c = vfork();
	if (c == 0) {
		struct timespec ts = { 3, 500000000 };
		nanosleep(&ts, 0);
		_exit(0);
	}
	int st;
	waitpid(c, &st, 0);
	printf("child exited %d\n", WEXITSTATUS(st));
	reports(getpid(), c);
	return 0;
}
