/*
 * vforkdemo: vfork() suspends the parent until the child execs (or exits).
 *
 * vfork() creates a child that borrows the parent's memory instead of
 * getting a copy, not even a copy-on-write one: no page tables are
 * copied, which is why it is fast. While the child runs in the parent's
 * memory the parent must not run, so the kernel holds it until the child
 * calls execve() (which gives the child a memory of its own) or _exit().
 *
 * Here the child stores the time into a variable of the parent's memory,
 * sleeps 50 ms, and execs this same program, which prints as the new
 * image. The parent, on resuming, sees the child's store (the memory was
 * shared) and prints how long it was held: at least the child's 50 ms.
 *
 *   cargo xtask exec vforkdemo
 *   cargo xtask trace vforkdemo     tine:vfork_wait, then vfork_done at exec
 */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "exec") == 0) {
		printf("new image: pid %d, exec'd by the vfork child\n", (int)getpid());
		return 0;
	}
	volatile long long child_wrote = 0;
	long long before = now_us();
	pid_t pid = vfork();
	if (pid < 0) {
		perror("vfork");
		return 1;
	}
	if (pid == 0) {
		/* The parent's memory: this store is seen by the parent. */
		child_wrote = now_us();
		struct timespec nap = {0, 50 * 1000 * 1000};
		nanosleep(&nap, NULL);
		char *args[] = {argv[0], "exec", NULL};
		execv("/proc/self/exe", args);
		_exit(127);
	}
	long long held = now_us() - before;
	int status;
	waitpid(pid, &status, 0);
	printf("parent resumed after %s; the child's store %s visible\n", held >= 50000 ? "50 ms or more" : "less than 50 ms",
	       child_wrote ? "is" : "is NOT");
	printf("child %s with status %d\n", WIFEXITED(status) ? "exited" : "was killed",
	       WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	return 0;
}
