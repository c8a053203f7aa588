/*
 * exit_paths: the ways a process ends and what its parent observes.
 * Each case runs in a forked child; the parent prints the wait status.
 * Checks:
 *   exit(300) -> exit status 44 (only the low 8 bits are kept);
 *   exit(3) runs atexit handlers in reverse registration order and
 *     flushes stdio buffers; _exit(4) runs no handlers and drops the
 *     unflushed buffer; raw exit and exit_group syscalls (5, 6) in a
 *     single-threaded process; death by SIGTERM drops unflushed output;
 *   at exit every fd is closed: the parent's read on a pipe whose only
 *     other write end belonged to the child returns EOF, and a pipe
 *     writer in the parent gets EPIPE (SIGPIPE ignored) once the reading
 *     child has exited;
 *   a zombie keeps its exit status while three siblings are forked and
 *     reaped before it.
 * Mirrors: exit(3), _exit(2), exit_group(2), atexit(3), signal(7),
 *   pipe(7) (EOF / EPIPE when the other end is closed), wait(2).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

static void h1(void) { printf("[child] atexit handler 1 (registered first)\n"); }
static void h2(void) { printf("[child] atexit handler 2 (registered second)\n"); }

static void run(const char *what, void (*body)(void))
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		body();
		_exit(99);
	}
	int st;
	waitpid(pid, &st, 0);
	printf("%s: %s\n", what, st_str(st));
	fflush(stdout);
}

static void b_exit300(void) { exit(300); }

static void b_exit(void)
{
	atexit(h1);
	atexit(h2);
	printf("[child] buffered line before exit(3)\n"); /* stdout is fully buffered (a pipe) */
	exit(3);
}

static void b__exit(void)
{
	atexit(h1);
	printf("[child] buffered line before _exit(4) -- must not appear\n");
	_exit(4);
}

static void b_sys_exit(void)
{
	printf("[child] buffered line before SYS_exit -- must not appear\n");
	syscall(SYS_exit, 5);
}

static void b_exit_group(void)
{
	syscall(SYS_exit_group, 6);
}

static void b_sigterm(void)
{
	printf("[child] buffered line before SIGTERM -- must not appear\n");
	kill(getpid(), SIGTERM);
	for (;;)
		pause();
}

int main(void)
{
	/* stdout stays fully buffered (it is a pipe): children inherit an
	 * empty buffer because run() flushes before every fork */
	run("exit(300)", b_exit300);
	run("exit(3) with two atexit handlers", b_exit);
	run("_exit(4) with a pending buffer and a handler", b__exit);
	run("raw SYS_exit(5)", b_sys_exit);
	run("raw SYS_exit_group(6)", b_exit_group);
	run("SIGTERM with a pending buffer", b_sigterm);

	/* fds are closed at exit */
	int p[2], st;
	pipe(p);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		write(p[1], "bye", 3);
		_exit(0); /* the write end closes here */
	}
	close(p[1]);
	char b[8] = {0};
	ssize_t n1 = read(p[0], b, sizeof b - 1);
	ssize_t n2 = read(p[0], b + 3, 4);
	waitpid(pid, &st, 0);
	printf("pipe from exiting child: read %zd \"%.3s\", then %zd (EOF)\n", n1, b, n2);
	close(p[0]);

	signal(SIGPIPE, SIG_IGN);
	pipe(p);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(p[1]);
		_exit(0); /* the read end closes here */
	}
	close(p[0]);
	waitpid(pid, &st, 0);
	ssize_t w = write(p[1], "x", 1);
	printf("write to pipe whose reader exited: %zd %s\n", w,
	       w < 0 && errno == EPIPE ? "EPIPE" : "unexpected");
	close(p[1]);

	/* a zombie keeps its status while its siblings come and go */
	fflush(stdout);
	pid_t first = fork();
	if (first == 0)
		_exit(77);
	for (int i = 0; i < 3; i++) {
		pid = fork();
		if (pid == 0)
			_exit(i);
		waitpid(pid, &st, 0);
	}
	waitpid(first, &st, 0);
	printf("first child reaped last: %s\n", st_str(st));
	return 0;
}
