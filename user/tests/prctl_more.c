/*
 * prctl_more: PR_SET/GET_TIMERSLACK (per thread, 0 resets to the default,
 * the child's default is the parent's slack at fork) and PR_SET/GET_TSC
 * (PR_TSC_SIGSEGV makes rdtsc raise SIGSEGV, inherited by fork).
 * Mirrors: prctl(2) (PR_SET_TIMERSLACK, PR_SET_TSC).
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

static uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	printf("timerslack default: %s\n", rc_str(prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0)));
	printf("set 1000: %s\n", rc_str(prctl(PR_SET_TIMERSLACK, 1000, 0, 0, 0)));
	printf("get: %s\n", rc_str(prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0)));
	pid_t c = fork();
	if (c == 0) {
		printf("  child get: %s\n", rc_str(prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0)));
		prctl(PR_SET_TIMERSLACK, 777, 0, 0, 0);
		prctl(PR_SET_TIMERSLACK, 0, 0, 0, 0);
		printf("  child after reset: %s\n", rc_str(prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0)));
		_exit(0);
	}
	waitpid(c, NULL, 0);
	prctl(PR_SET_TIMERSLACK, 0, 0, 0, 0);
	printf("after reset: %s\n", rc_str(prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0)));

	int mode = -1;
	long r = prctl(PR_GET_TSC, &mode, 0, 0, 0);
	printf("PR_GET_TSC: %s mode %d\n", rc_str(r), mode);
	printf("PR_GET_TSC bad pointer: %s\n", rc_str(prctl(PR_GET_TSC, (void *)16, 0, 0, 0)));
	printf("PR_SET_TSC 3: %s\n", rc_str(prctl(PR_SET_TSC, 3, 0, 0, 0)));
	printf("rdtsc works: %d\n", rdtsc() != 0);
	c = fork();
	if (c == 0) {
		prctl(PR_SET_TSC, PR_TSC_SIGSEGV, 0, 0, 0);
		prctl(PR_GET_TSC, &mode, 0, 0, 0);
		printf("  child mode %d\n", mode);
		pid_t g = fork();
		if (g == 0) {
			rdtsc();
			_exit(0);
		}
		int st;
		waitpid(g, &st, 0);
		printf("  grandchild's rdtsc: %s\n", st_str(st));
		prctl(PR_SET_TSC, PR_TSC_ENABLE, 0, 0, 0);
		printf("  re-enabled: %d\n", rdtsc() != 0);
		rdtsc();
		prctl(PR_SET_TSC, PR_TSC_SIGSEGV, 0, 0, 0);
		rdtsc();
		_exit(0);
	}
	int st;
	waitpid(c, &st, 0);
	printf("child: %s\n", st_str(st));
	printf("parent's rdtsc still works: %d\n", rdtsc() != 0);
	return 0;
}
