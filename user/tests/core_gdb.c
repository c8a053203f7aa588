// gdb-core: crash_in_here
/*
 * core_gdb: the core file Tine writes is one gdb reads. A child crashes
 * (a NULL store in crash_in_here(), called from main) with RLIMIT_CORE
 * unlimited; the parent prints the core file in hex. xtask decodes it and
 * runs the host's `gdb -batch -ex bt core_gdb core`, whose first frame
 * must be crash_in_here (`// gdb-core:` above). Run on Tine only: the
 * point is Tine's file, read by the tool people use on Linux's.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int x = 42;

__attribute__((noinline)) void crash_in_here(volatile int *p)
{
	*p = x;
}

int main(void)
{
	if (chdir("/tmp") != 0)
		return 1;
	pid_t c = fork();
	if (c == 0) {
		struct rlimit r = {RLIM_INFINITY, RLIM_INFINITY};
		setrlimit(RLIMIT_CORE, &r);
		crash_in_here(0);
		_exit(0);
	}
	int st;
	waitpid(c, &st, 0);
	if (!WCOREDUMP(st)) {
		printf("no core dump: status %#x\n", st);
		return 1;
	}
	int fd = open("core", O_RDONLY);
	unsigned char b[4096];
	ssize_t n;
	while ((n = read(fd, b, sizeof b)) > 0)
		for (ssize_t i = 0; i < n; i++)
			printf("%02x", b[i]);
	printf("\n");
	unlink("core");
	return 0;
}
