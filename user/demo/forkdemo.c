/*
 * forkdemo: after fork, parent and child see the same addresses but
 * their own values.
 *
 * `number` is a global and `p` points into the heap. Both exist in the
 * parent before fork. fork() gives the child a copy of the parent's
 * address space: the same virtual addresses, so `&number` and `p` print
 * the same in both. The kernel does not copy the pages then; it marks
 * them read-only in both processes (copy-on-write). When the child
 * writes `number` and `*p`, each write faults, and the kernel gives the
 * child its own copy of that one page before letting the write happen.
 * So the parent, which waits for the child and then prints, still sees
 * its old values at the very same addresses.
 *
 *   cargo xtask exec forkdemo       run it
 *   cargo xtask trace forkdemo      see the two COW copies (tine:cow_copy)
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int number = 1;

int main(void)
{
	int *p = malloc(sizeof *p);
	if (!p)
		return 1;
	*p = 100;
	printf("before fork: pid %d  &number=%p number=%d  p=%p *p=%d\n", (int)getpid(), (void *)&number, number,
	       (void *)p, *p);
	fflush(stdout);

	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (pid == 0) {
		number = 2; /* a write to a shared page: the child's own copy */
		*p = 200;
		printf("child:       pid %d  &number=%p number=%d  p=%p *p=%d\n", (int)getpid(), (void *)&number,
		       number, (void *)p, *p);
		return 0;
	}
	int status;
	waitpid(pid, &status, 0);
	printf("parent:      pid %d  &number=%p number=%d  p=%p *p=%d\n", (int)getpid(), (void *)&number, number,
	       (void *)p, *p);
	printf("same addresses, different values: the child wrote its own copies\n");
	free(p);
	return 0;
}
