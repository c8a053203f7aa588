// host: /usr/bin/strace
/*
 * strace_procs: Debian's strace (the host's /usr/bin/strace and its
 * libraries, brought in by `// host:`) traces this program in both
 * worlds, and the traces must be the same:
 *   1. `strace -ff -e trace=process,signal`: a program that blocks
 *      SIGCHLD, forks (the child exits 101) and waits, vforks (the child
 *      execs this program, which exits 102) and waits, starts a thread
 *      and joins it, sends itself SIGUSR1 (caught), unblocks SIGCHLD
 *      (the pending one is delivered, ignored) and execs this program,
 *      which exits 103. Every call with its arguments and result, the
 *      signals with their siginfo, and each task's end.
 *   2. `strace -f -c`: a program that forks and waits, fails close(-1)
 *      three times and writes to /dev/null: the summary's calls and
 *      errors per system call.
 * Normalised here, not in the harness: the two worlds give different
 * PIDs, addresses and times. Each task's trace is read from its own
 * file (-ff: strace -f with one output file per task), in PID order, so
 * that the interleaving of tasks, which is the scheduler's, does not
 * count; PIDs become P0, P1... in that order (where strace prints a PID:
 * a return value, si_pid=, parent_tid=, a first argument), addresses
 * 0xADDR, this program's path SELF, si_utime/si_stime T, the padding
 * before a result one space, and -c's time columns are dropped and its
 * rows sorted by name.
 * Mirrors: strace(1) -f, -ff, -o, -e trace=process,signal, -c.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define STRACE "/usr/bin/strace"

static char self[4096];

/* ---- the traced programs ---- */

static void *thread_main(void *arg)
{
	return arg;
}

static void on_usr1(int sig)
{
	(void)sig;
}

static int processes(void)
{
	int st;
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	/* SIGCHLD stays pending until the end: its delivery is then at one
	 * place in the trace, not wherever a child's exit lands. */
	sigprocmask(SIG_BLOCK, &chld, 0);
	pid_t c = fork();
	if (c == 0)
		_exit(101);
	waitpid(c, &st, 0);
	pid_t v = vfork();
	if (v == 0) {
		execl(self, self, "exit102", (char *)0);
		_exit(127);
	}
	waitpid(v, &st, 0);
	pthread_t t;
	pthread_create(&t, 0, thread_main, 0);
	pthread_join(t, 0);
	signal(SIGUSR1, on_usr1);
	kill(getpid(), SIGUSR1);
	sigprocmask(SIG_UNBLOCK, &chld, 0);
	execl(self, self, "exit103", (char *)0);
	return 127;
}

static int counted(void)
{
	int st;
	pid_t c = fork();
	if (c == 0)
		_exit(0);
	waitpid(c, &st, 0);
	for (int i = 0; i < 3; i++)
		close(-1);
	int fd = open("/dev/null", O_WRONLY);
	write(fd, "x", 1);
	close(fd);
	return 0;
}

/* ---- normalisation ---- */

static int pids[64], npids;

static int pid_index(long n)
{
	for (int i = 0; i < npids; i++)
		if (pids[i] == n)
			return i;
	return -1;
}

static int preceded_by(const char *line, const char *at, const char *what)
{
	size_t n = strlen(what);
	return (size_t)(at - line) >= n && memcmp(at - n, what, n) == 0;
}

static size_t hexlen(const char *p)
{
	size_t n = 0;
	while (isxdigit((unsigned char)p[n]))
		n++;
	return n;
}

/* Prints one trace line with PIDs, addresses, this program's path and
 * child CPU times replaced. */
static void print_normalised(const char *line)
{
	size_t selflen = strlen(self);
	const char *p = line;
	while (*p) {
		if (strncmp(p, self, selflen) == 0) {
			fputs("SELF", stdout);
			p += selflen;
		} else if (p[0] == '0' && p[1] == 'x' && hexlen(p + 2) >= 8) {
			/* An address (flags and this static program's own
			 * addresses are shorter, and the same in both worlds). */
			fputs("0xADDR", stdout);
			p += 2 + hexlen(p + 2);
		} else if (p[0] == ' ' && p[1] == ' ') {
			/* strace pads the result to a column: the width of
			 * the PIDs before it moves it. */
			putchar(' ');
			while (*p == ' ')
				p++;
		} else if (isdigit((unsigned char)*p) && (p == line || !isalnum((unsigned char)p[-1]))) {
			char *end;
			long n = strtol(p, &end, 10);
			int i = pid_index(n);
			int pid_place = preceded_by(line, p, "= ") || preceded_by(line, p, "si_pid=") ||
					preceded_by(line, p, "parent_tid=[") ||
					(p > line && p[-1] == '(');
			if (preceded_by(line, p, "si_utime=") || preceded_by(line, p, "si_stime="))
				fputs("T", stdout);
			else if (i >= 0 && pid_place && !isalnum((unsigned char)*end))
				printf("P%d", i);
			else
				fwrite(p, 1, end - p, stdout);
			p = end;
		} else {
			putchar(*p++);
		}
	}
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* Runs strace with `args` (NULL-terminated), waiting for it; its own
 * messages (stderr) go to /dev/null. */
static int run_strace(char *const args[])
{
	fflush(stdout);
	pid_t s = fork();
	if (s == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 2);
		execv(STRACE, args);
		_exit(127);
	}
	int st;
	waitpid(s, &st, 0);
	return st;
}

static void trace_processes(void)
{
	char prefix[64], path[128];
	snprintf(prefix, sizeof prefix, "/tmp/strace_procs.%d", getpid());
	char *args[] = {"strace", "-ff", "-s", "256", "-e", "trace=process,signal", "-o", prefix, self, "procs", NULL};
	int st = run_strace(args);
	printf("strace -ff -e trace=process,signal: %s %d\n", WIFEXITED(st) ? "exit" : "signal",
	       WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	/* The per-task files, prefix.PID, in PID order. */
	const char *base = strrchr(prefix, '/') + 1;
	DIR *d = opendir("/tmp");
	struct dirent *e;
	while (d && (e = readdir(d))) {
		size_t n = strlen(base);
		if (strncmp(e->d_name, base, n) == 0 && e->d_name[n] == '.' && npids < 64)
			pids[npids++] = atoi(e->d_name + n + 1);
	}
	if (d)
		closedir(d);
	qsort(pids, npids, sizeof pids[0], cmp_int);
	printf("%d tasks\n", npids);
	for (int i = 0; i < npids; i++) {
		snprintf(path, sizeof path, "%s.%d", prefix, pids[i]);
		FILE *f = fopen(path, "r");
		printf("== P%d\n", i);
		char line[4096];
		while (f && fgets(line, sizeof line, f))
			print_normalised(line);
		if (f)
			fclose(f);
		unlink(path);
	}
}

struct row {
	char name[64];
	char counts[64];
};

static int cmp_row(const void *a, const void *b)
{
	return strcmp(((const struct row *)a)->name, ((const struct row *)b)->name);
}

static void count_calls(void)
{
	char out[64];
	snprintf(out, sizeof out, "/tmp/strace_procs.%d.c", getpid());
	char *args[] = {"strace", "-f", "-c", "-o", out, self, "count", NULL};
	int st = run_strace(args);
	printf("strace -f -c: %s %d\n", WIFEXITED(st) ? "exit" : "signal",
	       WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	/* "% time seconds usecs/call calls [errors] syscall": the counts
	 * and the name, rows by name, the total last. */
	FILE *f = fopen(out, "r");
	struct row rows[128], total = {"", ""};
	int nrows = 0;
	char line[512];
	while (f && fgets(line, sizeof line, f)) {
		char *w[8];
		int n = 0;
		for (char *tok = strtok(line, " \n"); tok && n < 8; tok = strtok(0, " \n"))
			w[n++] = tok;
		if (n < 5 || !isdigit((unsigned char)w[0][0]))
			continue;
		struct row r;
		snprintf(r.name, sizeof r.name, "%s", w[n - 1]);
		snprintf(r.counts, sizeof r.counts, "%s %s", w[3], n == 6 ? w[4] : "-");
		if (strcmp(r.name, "total") == 0)
			total = r;
		else if (nrows < 128)
			rows[nrows++] = r;
	}
	if (f)
		fclose(f);
	unlink(out);
	qsort(rows, nrows, sizeof rows[0], cmp_row);
	printf("calls errors syscall\n");
	for (int i = 0; i < nrows; i++)
		printf("%s %s\n", rows[i].counts, rows[i].name);
	printf("%s %s\n", total.counts, total.name);
}

int main(int argc, char **argv)
{
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0)
		return 1;
	self[n] = 0;
	if (argc > 1 && strcmp(argv[1], "exit102") == 0)
		return 102;
	if (argc > 1 && strcmp(argv[1], "exit103") == 0)
		return 103;
	if (argc > 1 && strcmp(argv[1], "count") == 0)
		return counted();
	if (argc > 1 && strcmp(argv[1], "procs") == 0)
		return processes();
	if (argc > 1)
		return 2;
	if (access(STRACE, X_OK) != 0) {
		printf("%s: missing (apt-get install strace)\n", STRACE);
		return 1;
	}
	trace_processes();
	count_calls();
	return 0;
}
