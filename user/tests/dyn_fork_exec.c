// cc: gcc -O2
/*
 * dyn_fork_exec: a dynamically linked glibc program (plain gcc: PIE,
 * /lib64/ld-linux-x86-64.so.2, libc.so.6) that forks, execs itself and
 * waits, as on Linux.
 * Checks: the loader ran (printf, malloc, strdup through libc.so.6);
 *   the child execs this same dynamic program with arguments and an
 *   environment, which it sees intact; the parent reaps it with its exit
 *   status; a second child execs and is killed by a signal; the program
 *   is position independent and its code lies in a mapping of its own
 *   file (/proc/self/maps).
 * Mirrors: execve(2), fork(2), wait4(2), ld.so(8).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Whether the address of main lies in a mapping of /bin/dyn_fork_exec. */
static int main_in_own_mapping(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	unsigned long lo, hi, at = (unsigned long)&main_in_own_mapping;
	int found = 0;
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && lo <= at && at < hi && strstr(line, "dyn_fork_exec"))
			found = 1;
	fclose(f);
	return found;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc > 1 && strcmp(argv[1], "child") == 0) {
		char *s = strdup(argv[2]);
		printf("child: argc=%d arg=%s env=%s\n", argc, s, getenv("DYN") ? getenv("DYN") : "(none)");
		free(s);
		return 42;
	}
	if (argc > 1 && strcmp(argv[1], "sleeper") == 0) {
		pause();
		return 0;
	}
	printf("parent: main in the program's mapping: %d\n", main_in_own_mapping());
	pid_t pid = fork();
	if (pid == 0) {
		char *av[] = { "/bin/dyn_fork_exec", "child", "hello", NULL };
		char *ev[] = { "DYN=yes", NULL };
		execve("/proc/self/exe", av, ev);
		printf("execve: %s\n", strerror(errno));
		_exit(1);
	}
	int st;
	if (waitpid(pid, &st, 0) != pid)
		return 1;
	printf("parent: child exited=%d status=%d\n", WIFEXITED(st), WEXITSTATUS(st));
	int p[2];
	if (pipe(p))
		return 1;
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		char *av[] = { "/bin/dyn_fork_exec", "sleeper", NULL };
		/* The pipe's write end closes at exec: the parent knows the
		 * new program is loaded once it reads end of file. */
		fcntl(p[1], F_SETFD, FD_CLOEXEC);
		execv("/proc/self/exe", av);
		_exit(1);
	}
	close(p[1]);
	char c;
	while (read(p[0], &c, 1) > 0)
		;
	kill(pid, SIGTERM);
	waitpid(pid, &st, 0);
	printf("parent: second child signalled=%d sig=%d\n", WIFSIGNALED(st), WTERMSIG(st));
	return 0;
}
