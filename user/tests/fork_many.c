/*
 * fork_many: 1000 sequential fork / _exit(i % 256) / waitpid cycles.
 * Checks: every fork returns a PID > 0 that differs from the parent's;
 *   in the child fork returned 0, getpid() is not the parent's PID and
 *   getppid() is the parent's PID (a child that sees otherwise writes a
 *   byte to a shared pipe); waitpid(pid) returns that PID with
 *   WIFEXITED and WEXITSTATUS == i % 256 (so 0 and 255 both occur);
 *   no other child is pending afterwards (waitpid(-1, WNOHANG) ->
 *   ECHILD) and the error pipe is empty.  Prints a summary.
 * Mirrors: fork(2), _exit(2), waitpid(2) (WEXITSTATUS: "the least
 *   significant 8 bits of the status argument"), getpid(2).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define N 1000

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	int errp[2];
	if (pipe2(errp, O_NONBLOCK) < 0)
		return 1;
	pid_t me = getpid();
	int fork_fail = 0, bad_pid = 0, bad_wait = 0, bad_status = 0;
	int first_errno = 0;

	for (int i = 0; i < N; i++) {
		pid_t pid = fork();
		if (pid < 0) {
			if (!fork_fail++)
				first_errno = errno;
			continue;
		}
		if (pid == 0) {
			if (getppid() != me || getpid() == me)
				write(errp[1], "x", 1);
			_exit(i % 256);
		}
		if (pid <= 0 || pid == me)
			bad_pid++;
		int st = -1;
		pid_t w = waitpid(pid, &st, 0);
		if (w != pid)
			bad_wait++;
		else if (!WIFEXITED(st) || WEXITSTATUS(st) != i % 256 || (st & 0x7f) != 0)
			bad_status++;
	}
	char b[16];
	ssize_t n = read(errp[0], b, sizeof b);
	int e = errno;
	pid_t left = waitpid(-1, NULL, WNOHANG);
	int left_errno = errno;
	printf("forks: %d, failed: %d (first errno %s)\n", N, fork_fail,
	       first_errno ? strerror(first_errno) : "none");
	printf("bad fork return values: %d\n", bad_pid);
	printf("waitpid did not return the child: %d\n", bad_wait);
	printf("wrong exit status: %d\n", bad_status);
	printf("children with wrong getpid/getppid: %s\n",
	       n < 0 && e == EAGAIN ? "none" : "some");
	printf("waitpid(-1, WNOHANG) afterwards: %d %s\n", (int)left,
	       left < 0 && left_errno == ECHILD ? "ECHILD" : "unexpected");
	return 0;
}
