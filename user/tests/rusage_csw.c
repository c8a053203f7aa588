/*
 * rusage_csw: context switches are counted. A read that has to wait for
 * a pipe is a voluntary switch: ru_nvcsw grows, and so does
 * voluntary_ctxt_switches in /proc/self/status; a child that slept shows
 * its switches in wait4's rusage and in RUSAGE_CHILDREN.
 * Mirrors: getrusage(2) (ru_nvcsw, ru_nivcsw), proc(5) (status).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

static long nvcsw(int who)
{
	struct rusage r;
	getrusage(who, &r);
	return r.ru_nvcsw;
}

static long status_field(const char *key)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/self/status", "r");
	while (f && fgets(line, sizeof line, f))
		if (!strncmp(line, key, strlen(key)))
			v = atol(line + strlen(key));
	if (f)
		fclose(f);
	return v;
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	int p[2];
	pipe(p);
	long before = nvcsw(RUSAGE_SELF);
	pid_t c = fork();
	if (c == 0) {
		sleep_ms(50);
		write(p[1], "x", 1);
		sleep_ms(20);
		_exit(0);
	}
	char x;
	read(p[0], &x, 1);
	long after = nvcsw(RUSAGE_SELF);
	printf("a blocking read switched voluntarily: %s\n", after > before ? "yes" : "no");
	printf("status agrees: %s\n", status_field("voluntary_ctxt_switches:") >= after - before ? "yes" : "no");
	struct rusage r;
	int st;
	wait4(c, &st, 0, &r);
	printf("the sleeping child's switches in wait4: %s\n", r.ru_nvcsw >= 2 ? "yes" : "no");
	printf("and in RUSAGE_CHILDREN: %s\n", nvcsw(RUSAGE_CHILDREN) >= 2 ? "yes" : "no");
	return 0;
}
