// tine-only
/*
 * lease_timeout: a lease whose holder ignores the break is taken away
 * after /proc/sys/fs/lease-break-time seconds (tine-only: the test sets
 * that sysctl, which the host must keep).
 * Checks: the sysctl reads 45, takes 1 and reads it back; an O_WRONLY
 * open against a read lease that is never given up waits about a second
 * (between 0.8 and 5 s) and then succeeds; the holder's lease is then
 * gone (F_GETLEASE F_UNLCK); a negative value is accepted as Linux does.
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

static int rw_sysctl(const char *w)
{
	int fd = open("/proc/sys/fs/lease-break-time", w ? O_WRONLY : O_RDONLY);
	char b[32] = { 0 };
	int r;
	if (w)
		r = write(fd, w, strlen(w)) < 0 ? -errno : 0;
	else
		r = read(fd, b, sizeof b - 1) > 0 ? atoi(b) : -1;
	close(fd);
	return r;
}



int main(void)
{
	signal(SIGIO, SIG_IGN);
	printf("lease-break-time: %d\n", rw_sysctl(NULL));
	printf("write 1: %d\n", rw_sysctl("1"));
	printf("lease-break-time: %d\n", rw_sysctl(NULL));
	int fd = open("/tmp/lease_timeout", O_CREAT | O_RDONLY, 0644);
	printf("F_SETLEASE F_RDLCK: %d\n", fcntl(fd, F_SETLEASE, F_RDLCK));
	pid_t pid = fork();
	if (pid == 0) {
		struct timespec a, b;
		clock_gettime(CLOCK_MONOTONIC, &a);
		int w = open("/tmp/lease_timeout", O_WRONLY);
		clock_gettime(CLOCK_MONOTONIC, &b);
		double t = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
		_exit(w < 0 ? 1 : t < 0.8 ? 2 : t > 5 ? 3 : 0);
	}
	int st;
	waitpid(pid, &st, 0);
	printf("writer opened after about a second: %s (%d)\n", WEXITSTATUS(st) == 0 ? "yes" : "no", WEXITSTATUS(st));
	printf("F_GETLEASE: %s\n", fcntl(fd, F_GETLEASE) == F_UNLCK ? "F_UNLCK" : "still held");
	printf("write -5: %d\n", rw_sysctl("-5"));
	printf("lease-break-time: %d\n", rw_sysctl(NULL));
	rw_sysctl("45");
	return 0;
}
