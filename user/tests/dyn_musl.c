// cc: musl-gcc -O2
/*
 * dyn_musl: a program linked dynamically against musl (musl-gcc without
 * -static: PT_INTERP /lib/ld-musl-x86_64.so.1, which is musl's libc.so
 * and its own loader). It forks, execs itself and waits, and creates a
 * thread.
 * Checks: the loader relocates the program and itself (printf, malloc);
 *   the exec'd child sees its argument and exits with 5; a thread joins
 *   with its result; AT_BASE is the loader's address.
 * Mirrors: execve(2), fork(2), pthread_create(3), musl's ldso/dynlink.c.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/wait.h>
#include <unistd.h>

static void *twice(void *arg)
{
	return (void *)((long)arg * 2);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc > 1) {
		printf("child: %s\n", argv[1]);
		return 5;
	}
	printf("AT_BASE non-zero: %d\n", getauxval(AT_BASE) != 0);
	char *s = malloc(32);
	strcpy(s, "malloc works");
	printf("%s\n", s);
	free(s);
	pthread_t t;
	void *r;
	pthread_create(&t, NULL, twice, (void *)21L);
	pthread_join(t, &r);
	printf("thread: %ld\n", (long)r);
	pid_t pid = fork();
	if (pid == 0) {
		execl("/proc/self/exe", "dyn_musl", "hello", (char *)NULL);
		_exit(1);
	}
	int st;
	waitpid(pid, &st, 0);
	printf("child status %d\n", WEXITSTATUS(st));
	return 0;
}
