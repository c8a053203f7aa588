/*
 * leases: breaking a lease (fcntl F_SETLEASE). The holder of a lease is
 * told by a signal (SIGIO, or F_SETSIG's) when another open conflicts:
 * an open for writing or a truncate with any lease, an open for reading
 * with a write lease. The opener waits until the holder gives the lease
 * up or downgrades it; an O_NONBLOCK open gets EWOULDBLOCK. While the
 * break is on, F_GETLEASE shows the lease's target.
 * Checks:
 *   a read lease lets readers open without a signal;
 *   an O_WRONLY|O_NONBLOCK open: EWOULDBLOCK, SIGIO to the holder,
 *     F_GETLEASE then F_UNLCK;
 *   a blocking O_WRONLY open waits until the holder's F_UNLCK (it took
 *     at least the holder's 300 ms);
 *   a write lease with F_SETSIG SIGUSR1: an O_RDONLY open sends SIGUSR1,
 *     F_GETLEASE shows F_RDLCK, and the holder's downgrade to F_RDLCK
 *     lets the reader in;
 *   truncate(2) breaks a read lease the same way;
 *   /proc/sys/fs/lease-break-time reads 45.
 * Mirrors: fcntl(2) "Leases", fs/locks.c __break_lease().
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t got_io, got_usr1;
static const char *path = "/tmp/leases.test";

static void on_sig(int sig)
{
	if (sig == SIGIO)
		got_io++;
	else
		got_usr1++;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void pause_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static const char *lease_name(int l)
{
	return l == F_RDLCK ? "F_RDLCK" : l == F_WRLCK ? "F_WRLCK" : l == F_UNLCK ? "F_UNLCK" : "?";
}

/* Wait up to 2 s for a signal counter to move. */
static int wait_for(volatile sig_atomic_t *c, int before)
{
	for (int i = 0; i < 200 && *c == before; i++)
		pause_ms(10);
	return *c != before;
}

/* A child that opens (or truncates) and reports how long it waited. */
static pid_t opener(int flags, int truncate_it)
{
	pid_t pid = fork();
	if (pid == 0) {
		double t0 = now();
		int r = truncate_it ? truncate(path, 0) : open(path, flags);
		double waited = now() - t0;
		if (r < 0)
			_exit(errno == EWOULDBLOCK ? 2 : 3);
		_exit(waited >= 0.25 ? 10 : 11);
	}
	return pid;
}

static const char *outcome(pid_t pid)
{
	int st;
	waitpid(pid, &st, 0);
	switch (WEXITSTATUS(st)) {
	case 2: return "EWOULDBLOCK";
	case 3: return "other error";
	case 10: return "opened after waiting";
	case 11: return "opened at once";
	}
	return "?";
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	signal(SIGIO, on_sig);
	signal(SIGUSR1, on_sig);
	int fd = open(path, O_CREAT | O_TRUNC | O_RDONLY, 0644);
	printf("F_SETLEASE F_RDLCK: %d\n", fcntl(fd, F_SETLEASE, F_RDLCK));
	printf("F_GETLEASE: %s\n", lease_name(fcntl(fd, F_GETLEASE)));

	printf("a reader: %s; signals %d\n", outcome(opener(O_RDONLY, 0)), got_io);

	pid_t p = opener(O_WRONLY | O_NONBLOCK, 0);
	printf("O_WRONLY|O_NONBLOCK: %s\n", outcome(p));
	printf("SIGIO: %s\n", wait_for(&got_io, 0) ? "yes" : "no");
	printf("F_GETLEASE while breaking: %s\n", lease_name(fcntl(fd, F_GETLEASE)));

	int io = got_io;
	p = opener(O_WRONLY, 0);
	pause_ms(300);
	printf("F_SETLEASE F_UNLCK: %d\n", fcntl(fd, F_SETLEASE, F_UNLCK));
	printf("blocking O_WRONLY: %s\n", outcome(p));
	printf("more SIGIO meanwhile: %s\n", got_io > io ? "no new break needed" : "none");
	close(fd);

	/* A write lease (on a read-only descriptor: a downgrade to F_RDLCK
	   needs the file open for writing nowhere), F_SETSIG SIGUSR1, broken
	   by a reader. */
	fd = open(path, O_RDONLY);
	printf("F_SETSIG SIGUSR1: %d\n", fcntl(fd, F_SETSIG, SIGUSR1));
	printf("F_SETLEASE F_WRLCK: %d\n", fcntl(fd, F_SETLEASE, F_WRLCK));
	p = opener(O_RDONLY, 0);
	printf("SIGUSR1: %s\n", wait_for(&got_usr1, 0) ? "yes" : "no");
	printf("F_GETLEASE while breaking: %s\n", lease_name(fcntl(fd, F_GETLEASE)));
	pause_ms(300);
	int dr = fcntl(fd, F_SETLEASE, F_RDLCK);
	printf("downgrade to F_RDLCK: %d\n", dr);
	printf("the reader: %s\n", outcome(p));
	printf("F_GETLEASE after: %s\n", lease_name(fcntl(fd, F_GETLEASE)));
	close(fd);

	/* truncate(2) breaks a read lease. */
	fd = open(path, O_RDONLY);
	fcntl(fd, F_SETSIG, 0);
	io = got_io;
	printf("F_SETLEASE F_RDLCK: %d\n", fcntl(fd, F_SETLEASE, F_RDLCK));
	p = opener(0, 1);
	printf("SIGIO for truncate: %s\n", wait_for(&got_io, io) ? "yes" : "no");
	pause_ms(300);
	fcntl(fd, F_SETLEASE, F_UNLCK);
	printf("truncate: %s\n", outcome(p));
	close(fd);
	unlink(path);

	FILE *f = fopen("/proc/sys/fs/lease-break-time", "r");
	int t = -1;
	if (f && fscanf(f, "%d", &t) == 1)
		printf("lease-break-time: %d\n", t);
	return 0;
}
