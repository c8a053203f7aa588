/*
 * testlib.h: small helpers the C tests share. Each test prints what it
 * observes and xtask compares that output with the same binary run on
 * Linux, so these only format and wait; they decide nothing.
 */
#ifndef TESTLIB_H
#define TESTLIB_H

#include <errno.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>

/* A wait status in words: "exited N", "killed by signal N" or the raw
 * value. Four rotating buffers, so that one printf may show several. */
__attribute__((unused)) static const char *st_str(int st)
{
	static char b[4][40];
	static int n;
	char *s = b[n++ & 3];
	if (WIFEXITED(st))
		snprintf(s, 40, "exited %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(s, 40, "killed by signal %d", WTERMSIG(st));
	else
		snprintf(s, 40, "status 0x%x", st);
	return s;
}

/* Sleep `ms` milliseconds, resuming after signal handlers. */
__attribute__((unused)) static void sleep_ms(int ms)
{
	struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&t, &t) != 0 && errno == EINTR)
		;
}

#endif
