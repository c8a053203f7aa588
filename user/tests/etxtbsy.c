/*
 * etxtbsy: a program's file cannot be written while a process runs it,
 * and a file open for writing cannot be executed (ETXTBSY).
 * Checks: opening /proc/self/exe for writing (O_WRONLY, O_RDWR) fails and
 *   for reading works; a copy of this program in /tmp, still open for
 *   writing, cannot be executed; once closed it runs, and while it runs
 *   (and while a child it forked, sharing nothing but the file, still
 *   lives after it exited) opening, truncating or O_TRUNC-opening the
 *   copy fails; after the last of them exits, writing works again.
 *   A mapping of the copy made through a descriptor open for writing
 *   (shared or private, writable or not) keeps it unexecutable after the
 *   descriptor is closed, until it is unmapped.
 * Mirrors: execve(2) ETXTBSY ("The specified executable was open for
 *   writing by one or more processes"), open(2) ETXTBSY ("pathname refers
 *   to an executable image which is currently being executed and write
 *   access was requested"), truncate(2) ETXTBSY.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define COPY "/tmp/etxtbsy_copy"

static const char *result(int r)
{
	return r < 0 ? strerror(errno) : "ok";
}

static void try_open(const char *what, const char *path, int flags)
{
	int fd = open(path, flags);
	printf("%s: %s\n", what, result(fd));
	if (fd >= 0)
		close(fd);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	/* The copy run only to see whether it runs. */
	if (argc > 1 && strcmp(argv[1], "nothing") == 0)
		return 0;
	if (argc > 1 && strcmp(argv[1], "runner") == 0) {
		/* The copy, running: fork a child that outlives us, holding the
		 * program through its own copy of the address space. */
		int ready = 3, release = 4;
		if (fork() == 0) {
			char c;
			write(ready, "r", 1);
			read(release, &c, 1);
			_exit(0);
		}
		char c;
		read(ready + 2, &c, 1); /* wait for the child's "r" */
		return 0;
	}

	try_open("open own exe O_WRONLY", "/proc/self/exe", O_WRONLY);
	try_open("open own exe O_RDWR", "/proc/self/exe", O_RDWR);
	try_open("open own exe O_RDONLY", "/proc/self/exe", O_RDONLY);

	/* Copy ourselves, and try to run the copy while it is open for writing. */
	int in = open("/proc/self/exe", O_RDONLY);
	int out = open(COPY, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	char buf[65536];
	ssize_t n;
	while ((n = read(in, buf, sizeof buf)) > 0)
		write(out, buf, n);
	close(in);
	pid_t pid = fork();
	if (pid == 0) {
		execl(COPY, COPY, "nothing", NULL);
		printf("exec while open for writing: %s\n", strerror(errno));
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	close(out);

	/* Run it. The runner's child writes "r" on fd 3 when it runs and
	 * waits for a byte on fd 4; the runner waits for the "r" on fd 5. */
	int toks[2], release[2];
	pipe(toks);
	pipe(release);
	pid = fork();
	if (pid == 0) {
		dup2(toks[1], 3);    /* grandchild writes "r" here */
		dup2(release[0], 4); /* grandchild waits here */
		dup2(toks[0], 5);    /* runner waits here */
		execl(COPY, COPY, "runner", NULL);
		_exit(127);
	}
	int status;
	waitpid(pid, &status, 0);
	printf("runner exited %d; its child still runs the copy\n", WEXITSTATUS(status));
	try_open("open copy O_WRONLY", COPY, O_WRONLY);
	try_open("open copy O_RDONLY|O_TRUNC", COPY, O_RDONLY | O_TRUNC);
	printf("truncate copy: %s\n", result(truncate(COPY, 0)));
	try_open("open copy O_RDONLY", COPY, O_RDONLY);

	write(release[1], "x", 1);
	wait(NULL); /* the grandchild was reparented to us only if we are init */
	/* Wait until the grandchild is gone: retry the write open. */
	for (int i = 0; i < 200; i++) {
		int fd = open(COPY, O_WRONLY);
		if (fd >= 0) {
			close(fd);
			break;
		}
		usleep(10000);
	}
	try_open("open copy O_WRONLY after its last process", COPY, O_WRONLY);

	/* A mapping made through a descriptor open for writing keeps the
	 * write access after the descriptor is closed, whatever the mapping's
	 * type or protection; one made read-only does not. */
	struct {
		const char *what;
		int oflags, prot, flags;
	} maps[] = {
		{"MAP_SHARED rw of an O_RDWR fd", O_RDWR, PROT_READ | PROT_WRITE, MAP_SHARED},
		{"MAP_PRIVATE read-only of an O_RDWR fd", O_RDWR, PROT_READ, MAP_PRIVATE},
		{"MAP_SHARED read-only of an O_RDONLY fd", O_RDONLY, PROT_READ, MAP_SHARED},
	};
	for (unsigned i = 0; i < sizeof maps / sizeof *maps; i++) {
		int fd = open(COPY, maps[i].oflags);
		void *m = mmap(NULL, 4096, maps[i].prot, maps[i].flags, fd, 0);
		close(fd);
		for (int round = 0; round < 2; round++) {
			pid = fork();
			if (pid == 0) {
				execl(COPY, COPY, "nothing", NULL);
				_exit(errno == ETXTBSY ? 26 : 1);
			}
			waitpid(pid, &status, 0);
			printf("exec with %s %s: %s\n", round ? "after unmapping" : "mapped", maps[i].what,
			       WEXITSTATUS(status) == 26 ? "ETXTBSY" : "ran");
			if (m != MAP_FAILED)
				munmap(m, 4096);
			m = MAP_FAILED;
		}
	}
	unlink(COPY);
	return 0;
}
