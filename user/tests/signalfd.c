/*
 * signalfd: reading pending signals through a descriptor.
 * Checks:
 *   signalfd4's argument errors: EINVAL for a sizemask other than 8 and
 *     for unknown flags, EBADF for a descriptor not open, EINVAL for one
 *     that is not a signalfd, EFAULT for the mask;
 *   SFD_CLOEXEC and SFD_NONBLOCK show in F_GETFD and F_GETFL;
 *   a read smaller than a signalfd_siginfo is EINVAL; with nothing
 *     pending, EAGAIN (SFD_NONBLOCK); lseek is ESPIPE;
 *   kill(), sigqueue() (with its value) and tgkill() read back with their
 *     signo, code, pid, uid and value; several signals in one read; a
 *     real-time signal queued twice reads twice; signals outside the
 *     mask stay pending;
 *   poll and select see POLLIN while a signal of the mask is pending;
 *   passing the descriptor again changes its mask;
 *   a blocking read sleeps until another process sends a signal, and a
 *   poll on the descriptor wakes when one arrives.
 * Mirrors: signalfd(2), Linux's fs/signalfd.c (signalfd_copyinfo()).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/select.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

static void show(const struct signalfd_siginfo *si, pid_t me)
{
	printf("  signo %u code %d pid %s uid %u int %d ptr 0x%llx\n", si->ssi_signo, si->ssi_code,
	       si->ssi_pid == (uint32_t)me ? "me" : si->ssi_pid ? "other" : "0", si->ssi_uid, si->ssi_int,
	       (unsigned long long)si->ssi_ptr);
}

static int poll_in(int fd)
{
	struct pollfd p = {fd, POLLIN, 0};
	int n = poll(&p, 1, 0);
	return n > 0 ? p.revents : n;
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	pid_t me = getpid();
	sigset_t m;
	sigemptyset(&m);
	sigaddset(&m, SIGUSR1);
	sigaddset(&m, SIGUSR2);
	sigaddset(&m, SIGRTMIN);
	sigaddset(&m, SIGTERM);
	sigprocmask(SIG_BLOCK, &m, NULL);

	printf("errors:\n");
	printf("  sizemask 4: %s\n", rc_str(syscall(SYS_signalfd4, -1, &m, 4, 0)));
	printf("  sizemask 16: %s\n", rc_str(syscall(SYS_signalfd4, -1, &m, 16, 0)));
	printf("  bad flags: %s\n", rc_str(syscall(SYS_signalfd4, -1, &m, 8, 1)));
	printf("  bad mask: %s\n", rc_str(syscall(SYS_signalfd4, -1, (void *)8, 8, 0)));
	printf("  fd 99: %s\n", rc_str(syscall(SYS_signalfd4, 99, &m, 8, 0)));
	printf("  fd -2: %s\n", rc_str(syscall(SYS_signalfd4, -2, &m, 8, 0)));
	printf("  not a signalfd: %s\n", rc_str(syscall(SYS_signalfd4, 1, &m, 8, 0)));

	sigset_t only;
	sigemptyset(&only);
	sigaddset(&only, SIGUSR1);
	sigaddset(&only, SIGUSR2);
	sigaddset(&only, SIGRTMIN);
	sigaddset(&only, SIGKILL);
	int fd = signalfd(-1, &only, SFD_NONBLOCK | SFD_CLOEXEC);
	printf("created %s\n", fd >= 0 ? "ok" : rc_str(fd));
	printf("  F_GETFD %d F_GETFL accmode %d nonblock %d\n", fcntl(fd, F_GETFD), fcntl(fd, F_GETFL) & O_ACCMODE,
	       !!(fcntl(fd, F_GETFL) & O_NONBLOCK));
	int plain = syscall(SYS_signalfd, -1, &only, 8);
	printf("  signalfd(2): F_GETFD %d nonblock %d\n", fcntl(plain, F_GETFD), !!(fcntl(plain, F_GETFL) & O_NONBLOCK));
	close(plain);

	struct signalfd_siginfo si[4];
	char small[100];
	printf("  small read %s\n", rc_str(read(fd, small, sizeof small)));
	printf("  empty read %s\n", rc_str(read(fd, si, sizeof si)));
	printf("  lseek %s\n", rc_str(lseek(fd, 0, SEEK_SET)));
	printf("  write %s\n", rc_str(write(fd, si, sizeof si[0])));
	printf("  poll empty 0x%x\n", poll_in(fd));

	printf("kill SIGUSR1, sigqueue SIGRTMIN twice, tgkill SIGUSR2, kill SIGTERM:\n");
	kill(me, SIGUSR1);
	union sigval v = {.sival_int = 1234};
	sigqueue(me, SIGRTMIN, v);
	v.sival_int = 5678;
	sigqueue(me, SIGRTMIN, v);
	syscall(SYS_tgkill, me, me, SIGUSR2);
	kill(me, SIGTERM);
	printf("  poll 0x%x\n", poll_in(fd));
	fd_set rs;
	FD_ZERO(&rs);
	FD_SET(fd, &rs);
	struct timeval tv = {0, 0};
	printf("  select %d\n", select(fd + 1, &rs, NULL, NULL, &tv));
	ssize_t n = read(fd, si, sizeof si[0] + 50);
	printf("  read one: %zd\n", n);
	show(&si[0], me);
	n = read(fd, si, sizeof si);
	printf("  read rest: %zd\n", n);
	for (int i = 0; i < n / (ssize_t)sizeof si[0]; i++)
		show(&si[i], me);
	printf("  then %s, poll 0x%x\n", rc_str(read(fd, si, sizeof si)), poll_in(fd));
	sigset_t pend;
	sigpending(&pend);
	printf("  SIGTERM still pending %d\n", sigismember(&pend, SIGTERM));

	printf("new mask with SIGTERM:\n");
	sigaddset(&only, SIGTERM);
	printf("  signalfd again %s\n", syscall(SYS_signalfd4, fd, &only, 8, 0) == fd ? "same fd" : en(errno));
	printf("  poll 0x%x\n", poll_in(fd));
	n = read(fd, si, sizeof si);
	printf("  read %zd\n", n);
	show(&si[0], me);

	printf("blocking read:\n");
	int bfd = signalfd(-1, &only, 0);
	fflush(stdout);
	pid_t child = fork();
	if (child == 0) {
		sleep_ms(100);
		kill(getppid(), SIGUSR2);
		_exit(0);
	}
	n = read(bfd, si, sizeof si);
	printf("  read %zd\n", n);
	show(&si[0], me);
	int st;
	waitpid(child, &st, 0);

	printf("poll wakes:\n");
	fflush(stdout);
	child = fork();
	if (child == 0) {
		sleep_ms(100);
		union sigval v2 = {.sival_int = 77};
		sigqueue(getppid(), SIGRTMIN, v2);
		_exit(0);
	}
	struct pollfd p = {bfd, POLLIN, 0};
	int r = poll(&p, 1, 5000);
	printf("  poll %d revents 0x%x\n", r, p.revents);
	n = read(bfd, si, sizeof si);
	printf("  read %zd\n", n);
	show(&si[0], me);
	waitpid(child, &st, 0);
	/* SIGCHLD was not in the mask: still pending. */
	sigpending(&pend);
	printf("  SIGCHLD pending %d\n", sigismember(&pend, SIGCHLD));
	return 0;
}
