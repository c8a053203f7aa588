/*
 * forktree: a known process tree, for `cargo xtask trace` and its test.
 *
 * The parent fills a buffer of 64 pages, then forks three children:
 *   child 1 forks two grandchildren, which write 8 and 4 pages of the
 *           buffer and exit with status 11 and 12;
 *   child 2 writes 2 pages, then execs this program again ("exec" as
 *           argv[1]), which exits with status 22;
 *   child 3 writes 1 page and waits to be killed by SIGKILL;
 * and reaps all of them. Every write after fork is a first write to a
 * page still shared with the parent: exactly 15 copy-on-write copies in
 * the buffer. The parent prints the buffer's range and each child's end.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGES 64
/* A fixed place, so that a trace's check knows where the buffer is. */
#define BUFFER ((void *)0x20000000)
static char *buf;
static long page;

static void touch(int first, int n)
{
	for (int i = 0; i < n; i++)
		buf[(first + i) * page] = 2;
}

static void reap(pid_t pid, const char *name)
{
	int st;
	if (waitpid(pid, &st, 0) != pid) {
		perror("waitpid");
		return;
	}
	if (WIFEXITED(st))
		printf("%s exited with status %d\n", name, WEXITSTATUS(st));
	else
		printf("%s was killed by signal %d\n", name, WTERMSIG(st));
	fflush(stdout);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "exec") == 0)
		return 22;
	page = sysconf(_SC_PAGESIZE);
	buf = mmap(BUFFER, PAGES * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (buf == MAP_FAILED)
		return 1;
	memset(buf, 1, PAGES * page);
	printf("buffer %p-%p\n", (void *)buf, (void *)(buf + PAGES * page));
	fflush(stdout);

	pid_t c1 = fork();
	if (c1 == 0) {
		pid_t g1 = fork();
		if (g1 == 0) {
			touch(0, 8);
			_exit(11);
		}
		pid_t g2 = fork();
		if (g2 == 0) {
			touch(8, 4);
			_exit(12);
		}
		reap(g1, "grandchild 1");
		reap(g2, "grandchild 2");
		_exit(0);
	}
	reap(c1, "child 1");

	pid_t c2 = fork();
	if (c2 == 0) {
		touch(12, 2);
		char *args[] = {argv[0], "exec", NULL};
		execv("/proc/self/exe", args);
		_exit(127);
	}
	reap(c2, "child 2");

	int ready[2];
	if (pipe(ready) < 0)
		return 1;
	pid_t c3 = fork();
	if (c3 == 0) {
		close(ready[0]);
		touch(14, 1);
		write(ready[1], "", 1);
		for (;;)
			pause();
	}
	close(ready[1]);
	char c;
	read(ready[0], &c, 1); /* its page is written: now kill it */
	kill(c3, SIGKILL);
	reap(c3, "child 3");
	return 0;
}
