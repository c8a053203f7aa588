/*
 * testlib.h: small helpers the C tests share. Each test prints what it
 * observes and xtask compares that output with the same binary run on
 * Linux, so these only format and wait; they decide nothing.
 */
#ifndef TESTLIB_H
#define TESTLIB_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The name of errno value `e` ("OK" for 0), or its number for one not
 * listed here. */
__attribute__((unused)) static const char *en(int e)
{
	static char b[4][16];
	static int n;
	switch (e) {
	case 0: return "OK";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case ESRCH: return "ESRCH";
	case EINTR: return "EINTR";
	case EIO: return "EIO";
	case ENXIO: return "ENXIO";
	case E2BIG: return "E2BIG";
	case ENOEXEC: return "ENOEXEC";
	case EBADF: return "EBADF";
	case ECHILD: return "ECHILD";
	case EAGAIN: return "EAGAIN";
	case ENOMEM: return "ENOMEM";
	case EACCES: return "EACCES";
	case EFAULT: return "EFAULT";
	case EBUSY: return "EBUSY";
	case EEXIST: return "EEXIST";
	case EXDEV: return "EXDEV";
	case ENODEV: return "ENODEV";
	case ENOTDIR: return "ENOTDIR";
	case EISDIR: return "EISDIR";
	case EINVAL: return "EINVAL";
	case ENFILE: return "ENFILE";
	case EMFILE: return "EMFILE";
	case ENOTTY: return "ENOTTY";
	case ETXTBSY: return "ETXTBSY";
	case EFBIG: return "EFBIG";
	case ENOSPC: return "ENOSPC";
	case ESPIPE: return "ESPIPE";
	case EROFS: return "EROFS";
	case EMLINK: return "EMLINK";
	case EPIPE: return "EPIPE";
	case EDOM: return "EDOM";
	case ERANGE: return "ERANGE";
	case EDEADLK: return "EDEADLK";
	case ENAMETOOLONG: return "ENAMETOOLONG";
	case ENOLCK: return "ENOLCK";
	case ENOSYS: return "ENOSYS";
	case ENOTEMPTY: return "ENOTEMPTY";
	case ELOOP: return "ELOOP";
	case EOVERFLOW: return "EOVERFLOW";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case ETIMEDOUT: return "ETIMEDOUT";
	case ECANCELED: return "ECANCELED";
	case EOWNERDEAD: return "EOWNERDEAD";
	case ENOTRECOVERABLE: return "ENOTRECOVERABLE";
	default: {
		char *s = b[n++ & 3];
		snprintf(s, 16, "errno %d", e);
		return s;
	}
	}
}

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

/* A system call's result in words: its value, or "-1 ENAME" from errno.
 * Four rotating buffers, as st_str(). */
__attribute__((unused)) static const char *rc_str(long r)
{
	static char b[4][24];
	static int n;
	char *s = b[n++ & 3];
	if (r < 0)
		snprintf(s, 24, "-1 %s", en(errno));
	else
		snprintf(s, 24, "%ld", r);
	return s;
}

/* Wait until /proc/<pid>/stat (or task/<tid>/stat) at `statpath` says the
 * task sleeps ('S'), at most about 2 s; without /proc, pause 100 ms. */
__attribute__((unused)) static void until_sleeping(const char *statpath)
{
	for (int i = 0; i < 2000; i++) {
		char buf[512];
		int fd = open(statpath, O_RDONLY);
		if (fd < 0)
			break;
		ssize_t n = read(fd, buf, sizeof buf - 1);
		close(fd);
		if (n <= 0)
			break;
		buf[n] = 0;
		char *rp = strrchr(buf, ')');
		if (rp && rp[1] == ' ' && rp[2] == 'S') {
			sleep_ms(2);
			return;
		}
		sleep_ms(1);
	}
	sleep_ms(100);
}

#endif
