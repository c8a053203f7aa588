/*
 * loadavg: /proc/loadavg (proc(5)): three averages `a.bb`, then
 * running/total, then the last PID. Checks: the format; at least one
 * task running (the reader) and no more than the total; after two busy
 * children ran for longer than one sampling interval (5 s), the 1-minute
 * average is above 0.00 (Linux: calc_global_load() every LOAD_FREQ).
 * Exact values are not compared: the host has its own history (the
 * arithmetic is tested in core's time::loadavg).
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

struct load {
	int whole[3], hundredths[3];
	int running, total, last;
	int fields;
	int newline;
};

static struct load read_loadavg(void)
{
	struct load l;
	memset(&l, 0, sizeof l);
	char b[256];
	FILE *f = fopen("/proc/loadavg", "r");
	if (!f || !fgets(b, sizeof b, f)) {
		printf("cannot read /proc/loadavg\n");
		return l;
	}
	fclose(f);
	char dot[3];
	l.fields = sscanf(b, "%d%c%d %d%c%d %d%c%d %d/%d %d", &l.whole[0], &dot[0], &l.hundredths[0], &l.whole[1],
			  &dot[1], &l.hundredths[1], &l.whole[2], &dot[2], &l.hundredths[2], &l.running, &l.total,
			  &l.last);
	l.newline = b[strlen(b) - 1] == '\n';
	for (int i = 0; i < 3; i++)
		if (dot[i] != '.' || l.hundredths[i] < 0 || l.hundredths[i] > 99)
			l.fields = -1;
	return l;
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

int main(void)
{
	struct load l = read_loadavg();
	printf("fields: %d, ends in a newline: %d\n", l.fields, l.newline);
	printf("running >= 1: %d, running <= total: %d, last pid > 0: %d\n", l.running >= 1, l.running <= l.total,
	       l.last > 0);
	fflush(stdout);
	pid_t kids[2];
	for (int i = 0; i < 2; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			double end = now() + 5.5;
			volatile unsigned long x = 0;
			while (now() < end)
				for (int j = 0; j < 100000; j++)
					x += j;
			_exit(0);
		}
	}
	/* Sample while they run: both are counted as running. */
	sleep_ms(200);
	struct load mid = read_loadavg();
	printf("while two children spin, running >= 3: %d\n", mid.running >= 3);
	for (int i = 0; i < 2; i++)
		waitpid(kids[i], NULL, 0);
	l = read_loadavg();
	printf("after they ran > 5 s, 1-minute average above 0: %d\n", l.whole[0] > 0 || l.hundredths[0] > 0);
	return 0;
}
