/*
 * seed_fork_p_number: the three fork(2) examples from the seed notes
 * "fork和写时复制" (fork and copy-on-write), made deterministic: stdio is
 * flushed before every fork, the parent waits for the child (or a pipe
 * orders the two) before printing, and no PID is printed.
 * Example 1: fork returns 0 in the child and the child's PID (> 0) in the
 *   parent; the child prints its message and _exit(0)s.
 * Example 2 ("p"/"number"): after fork the child sets p = 'c' and the
 *   parent sets number = 14; each still sees its own copy (the child
 *   prints only after the parent has already modified number, so a shared
 *   page would show 14; the parent prints after the child has exited).
 *   The printf format keeps the original's trailing "\n ".
 * Example 3 (buffer c): the child reassigns its copy of the variable fd
 *   to 1 and writes "TestFs" to stdout; the parent's fd still refers to
 *   the opened file and read(fd, c, 2) gives "fo".  Extra: the open file
 *   description (and its offset) is shared: a read of 2 bytes in the
 *   child moves the offset the parent sees.
 * Mirrors: fork(2) ("The child process is an exact duplicate...";
 *   "The child inherits copies of the parent's set of open file
 *   descriptors... refer to the same open file description"), wait(2).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static void report(const char *what, int st)
{
	if (WIFEXITED(st))
		printf("%s: exited %d\n", what, WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		printf("%s: killed by signal %d\n", what, WTERMSIG(st));
	else
		printf("%s: status 0x%x\n", what, st);
}

/* Example 1, with the parent waiting as the notes recommend. */
static void example1(void)
{
	int st;
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0) { /* branch 1 */
		fprintf(stderr, "error!");
	} else if (0 == pid) { /* branch 2 */
		printf("This is the child process!");
		fflush(stdout); /* _exit does not flush stdio */
		_exit(0);
	} else { /* branch 3 */
		pid_t w = waitpid(pid, &st, 0);
		printf("\nThis is the parent process! child process id > 0: %s, waitpid returned it: %s\n",
		       pid > 0 ? "yes" : "no", w == pid ? "yes" : "no");
		report("example 1 child", st);
	}
}

/* Example 2: "TestWriteCopyTech". */
static void example2(void)
{
	char p = 'p';
	int number = 11;
	int go[2], st;
	if (pipe(go) < 0)
		return;

	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) { /* child */
		char b;
		close(go[1]);
		p = 'c'; /* the child modifies its data */
		read(go[0], &b, 1); /* wait until the parent has set number = 14 */
		printf("p = %c , number = %d \n ", p, number);
		printf("\n");
		exit(0); /* flushes only the child's own output */
	}
	/* parent */
	close(go[0]);
	number = 14; /* the parent modifies its data */
	write(go[1], "x", 1);
	close(go[1]);
	waitpid(pid, &st, 0);
	printf("p = %c , number = %d \n ", p, number);
	printf("\n");
	report("example 2 child", st);
}

/* Example 3: "fileshare2", with foobar.txt in /tmp. */
static void example3(void)
{
	char path[64];
	snprintf(path, sizeof path, "/tmp/foobar_%d.txt", getpid());
	int fd0 = open(path, O_CREAT | O_TRUNC | O_RDWR, 0644);
	if (fd0 < 0) {
		printf("cannot create %s\n", "foobar.txt");
		return;
	}
	write(fd0, "foobar\n", 7);
	close(fd0);

	int fd;
	char c[3];
	char *s = "TestFs\n";
	int st;

	fd = open(path, O_RDWR, 0);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) { /* child */
		fd = 1; /* stdout */
		write(fd, s, 7);
		exit(0);
	}
	/* parent */
	waitpid(pid, &st, 0);
	read(fd, c, 2);
	c[2] = '\0';
	printf("c = %s\n", c);
	report("example 3 child", st);

	/* extra: the child's read advances the shared file offset */
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		char d[3] = {0};
		ssize_t n = read(fd, d, 2);
		printf("child read %zd bytes: \"%s\"\n", n, d);
		exit(0);
	}
	waitpid(pid, &st, 0);
	ssize_t n = read(fd, c, 2);
	c[n > 0 ? n : 0] = '\0';
	printf("parent then reads %zd bytes: \"%s\" (offset now %ld)\n", n, c,
	       (long)lseek(fd, 0, SEEK_CUR));
	report("extra child", st);
	close(fd);
	unlink(path);
}

int main(void)
{
	printf("== example 1\n");
	example1();
	printf("== example 2\n");
	example2();
	printf("== example 3\n");
	example3();
	return 0;
}
