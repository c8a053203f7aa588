/*
 * tracelib.h: reading and writing tracefs files for the trace_* tests.
 * Every helper answers -errno on failure, so that a test prints what a
 * call gave rather than stopping.
 */
#ifndef TRACELIB_H
#define TRACELIB_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define T "/sys/kernel/tracing/"

/* The whole of file `path` into `buf` (NUL-terminated); its length. */
__attribute__((unused)) static long trace_read(const char *path, char *buf, long size)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	long n = 0, r;
	while (n < size - 1 && (r = read(fd, buf + n, size - 1 - n)) > 0)
		n += r;
	close(fd);
	buf[n] = 0;
	return n;
}

/* open(path, O_WRONLY | flags), one write of `s`, close. */
__attribute__((unused)) static long trace_write(const char *path, int flags, const char *s)
{
	int fd = open(path, O_WRONLY | flags);
	if (fd < 0)
		return -errno;
	long r = write(fd, s, strlen(s));
	if (r < 0)
		r = -errno;
	close(fd);
	return r;
}

/* Lines of `text` containing `needle`. */
__attribute__((unused)) static int trace_count(const char *text, const char *needle)
{
	int n = 0;
	for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/*
 * A trace line with its time stamp's digits replaced by N, the only part
 * of a line that differs between runs once PIDs are known.
 */
__attribute__((unused)) static void trace_norm_line(char *line)
{
	char *p = strstr(line, "] ");
	if (!p)
		return;
	p += 2 + 6; /* "] " and the five flags and a space */
	for (; *p && *p != ':'; p++)
		if (*p >= '0' && *p <= '9')
			*p = 'N';
}

/* Print `text` line by line, time stamps normalised. */
__attribute__((unused)) static void trace_print_norm(char *text)
{
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		if (line[0] != '#')
			trace_norm_line(line);
		printf("%s\n", line);
	}
}

#endif
