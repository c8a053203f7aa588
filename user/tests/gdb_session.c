// cc: gcc -g -O0
// host: /usr/bin/gdb /usr/share/gdb /usr/lib/python3.11 /usr/lib/x86_64-linux-gnu/gconv /usr/lib/x86_64-linux-gnu/libthread_db.so.1 /usr/lib/debug /bin/sh
/*
 * gdb_session: Debian's gdb (the host's, with its libraries, data
 * directory, Python's standard library, glibc's iconv modules and the
 * /bin/sh it starts programs with, brought in by `// host:`)
 * debugs this program in both worlds:
 *   gdb -nx -batch -ex 'break main' -ex run -ex bt -ex 'print x'
 *       -ex 'set follow-fork-mode child' -ex 'catch fork'
 *       -ex continue -ex continue SELF
 * and must make the same stops and print the same values: libthread_db
 * loaded, the breakpoint in main (an int3 gdb writes through
 * /proc/PID/mem), the backtrace, a global read, a thread's start and
 * end (PTRACE_O_TRACECLONE), the fork catchpoint (PTRACE_O_TRACEFORK's
 * event stop, in glibc's arch_fork, with its argument read through
 * libc6-dbg's DWARF), the new child followed and the
 * parent detached, the child's output and exit code.
 * The program gdb runs is this one again: it knows by TracerPid in
 * /proc/self/status. -nx keeps the host's /etc/gdb/gdbinit out.
 * Normalised here: PIDs ("process N", "LWP N") become P0, P1... in the
 * order they appear, addresses in the mmap area (a thread's pthread_t,
 * glibc's ctid) 0xADDR, and the source line gdb echoes at a stop is
 * dropped (natively gdb finds this file where it was compiled; Tine
 * does not have it).
 * Mirrors: gdb(1) -batch, break, run, bt, print, catch fork,
 *   set follow-fork-mode child.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define GDB "/usr/bin/gdb"

int x = 42;

static int twice(int v)
{
	return 2 * v;
}

static void *worker(void *arg)
{
	x = twice(x);
	return arg;
}

/* What gdb debugs: x is 42 at main's breakpoint; a thread doubles it;
 * the child (followed after the fork) prints it and exits 3; the
 * parent, detached, reaps it quietly. */
static int debugged(void)
{
	pthread_t t;
	pthread_create(&t, 0, worker, 0);
	pthread_join(t, 0);
	pid_t c = fork();
	if (c == 0) {
		printf("child x=%d\n", x);
		return 3;
	}
	int st;
	waitpid(c, &st, 0);
	return 0;
}

static int traced(void)
{
	char buf[4096];
	int fd = open("/proc/self/status", O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	char *t = strstr(buf, "TracerPid:");
	return t && atoi(t + 10) != 0;
}

static long pids[16];
static int npids;

static void print_normalised(const char *line)
{
	/* "8\tx = twice(x);": the source echo. */
	const char *d = line;
	while (isdigit((unsigned char)*d))
		d++;
	if (d > line && *d == '\t')
		return;
	for (const char *p = line; *p;) {
		size_t len = strncmp(p, "process ", 8) == 0 ? 8 : strncmp(p, "LWP ", 4) == 0 ? 4 : 0;
		if (len && isdigit((unsigned char)p[len])) {
			char *end;
			long pid = strtol(p + len, &end, 10);
			int i = 0;
			while (i < npids && pids[i] != pid)
				i++;
			if (i == npids && npids < 16)
				pids[npids++] = pid;
			printf("%.*sP%d", (int)len, p, i);
			p = end;
		} else if (strncmp(p, "0x7f", 4) == 0 && strspn(p + 2, "0123456789abcdef") == 12) {
			fputs("0xADDR", stdout);
			p += 14;
		} else {
			putchar(*p++);
		}
	}
}

int main(void)
{
	if (traced())
		return debugged();
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0)
		return 1;
	self[n] = 0;
	if (access(GDB, X_OK) != 0) {
		printf("%s: missing (apt-get install gdb)\n", GDB);
		return 1;
	}
	/* The debugged parent outlives gdb: it comes back to us. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	int out[2];
	if (pipe(out) != 0)
		return 1;
	pid_t g = fork();
	if (g == 0) {
		dup2(out[1], 1);
		dup2(out[1], 2);
		close(out[0]);
		close(out[1]);
		execl(GDB, "gdb", "-nx", "-batch", "-ex", "break main", "-ex", "run", "-ex", "bt", "-ex", "print x",
		      "-ex", "set follow-fork-mode child", "-ex", "catch fork", "-ex", "continue", "-ex",
		      "continue", self, (char *)0);
		_exit(127);
	}
	close(out[1]);
	FILE *f = fdopen(out[0], "r");
	char line[4096];
	while (f && fgets(line, sizeof line, f))
		print_normalised(line);
	int st;
	waitpid(g, &st, 0);
	printf("gdb: %s %d\n", WIFEXITED(st) ? "exit" : "signal", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	while (wait(0) > 0)
		;
	return 0;
}
