/*
 * signal_restart: blocking calls interrupted by a handled signal.
 * Checks:
 *   read on an empty pipe: EINTR without SA_RESTART; with SA_RESTART the
 *     read runs again after the handler and returns the data written
 *     later; a stop and continue (no handler) restarts it transparently;
 *   wait4 likewise (EINTR, or the child's status after a restart);
 *   futex wait without a timeout: EINTR, or restarted with SA_RESTART;
 *     with a timeout EINTR even with SA_RESTART;
 *   nanosleep and relative clock_nanosleep: EINTR even with SA_RESTART,
 *     the time left written to rem; absolute clock_nanosleep: EINTR, rem
 *     untouched;
 *   pause, poll: EINTR after the handler, SA_RESTART or not;
 *   sigsuspend: EINTR once the handler ran with the suspend mask plus the
 *     signal, the old mask back afterwards; a signal already pending ends
 *     it at once;
 *   sigtimedwait: returns the awaited signal with its sender, EINTR when
 *     another (handled) signal comes, EAGAIN after its timeout.
 * Each case runs in a worker process; a helper process forked by the
 * worker sends the signal once /proc says the worker sleeps, so the
 * signal always finds it inside the call. The handler answers on a pipe
 * before the helper goes on (writes data, ends), so nothing depends on
 * timing.
 * Mirrors: signal(7) "Interruption of system calls and library functions
 *   by signal handlers", sigaction(2) SA_RESTART, nanosleep(2),
 *   sigsuspend(2), sigtimedwait(2).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

static const char *yesno(int b) { return b ? "yes" : "no"; }

/* The state letter of process `pid` in /proc/<pid>/stat. */
static char proc_state(pid_t pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return '?';
	int n = read(fd, buf, sizeof buf - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	char *p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

static void wait_state(pid_t pid, char want)
{
	while (proc_state(pid) != want)
		usleep(1000);
}

static int ack[2];          /* handler -> helper */
static volatile int handled;

static void handler(int sig)
{
	(void)sig;
	handled++;
	char c = 'h';
	write(ack[1], &c, 1);
}

static void set_handler(int sig, int flags)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = handler;
	sa.sa_flags = flags;
	sigaction(sig, &sa, NULL);
}

/* Fork the helper: once `worker` sleeps, signal it, wait for the handler,
   then run `after` (may be NULL) and exit with `status`. */
static pid_t helper(int sig, void (*after)(pid_t), int status)
{
	pid_t worker = getpid();
	pid_t h = fork();
	if (h == 0) {
		wait_state(worker, 'S');
		kill(worker, sig);
		char c;
		read(ack[0], &c, 1);
		if (after)
			after(worker);
		_exit(status);
	}
	return h;
}

static void reap(pid_t h)
{
	int st;
	while (waitpid(h, &st, 0) < 0 && errno == EINTR)
		;
}

static void run(const char *name, void (*fn)(void))
{
	printf("-- %s\n", name);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		pipe(ack);
		fn();
		fflush(stdout);
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		printf("   (worker ended with status %#x)\n", st);
}

/* ---- read ---- */

static int data[2];
static void write_x(pid_t w)
{
	(void)w;
	write(data[1], "x", 1);
}

static void read_case(int flags)
{
	pipe(data);
	set_handler(SIGUSR1, flags);
	pid_t h = helper(SIGUSR1, write_x, 0);
	char buf[4];
	errno = 0;
	long n = read(data[0], buf, sizeof buf);
	printf("read: %ld %s, handler ran %d\n", n, n < 0 ? en(errno) : "OK", handled);
	reap(h);
}

static void case_read(void) { read_case(0); }
static void case_read_restart(void) { read_case(SA_RESTART); }

static void case_read_stopped(void)
{
	pipe(data);
	pid_t worker = getpid();
	pid_t h = fork();
	if (h == 0) {
		wait_state(worker, 'S');
		kill(worker, SIGSTOP);
		wait_state(worker, 'T');
		kill(worker, SIGCONT);
		/* The read starts over and sleeps again. */
		wait_state(worker, 'S');
		write(data[1], "yz", 2);
		_exit(0);
	}
	char buf[4];
	errno = 0;
	long n = read(data[0], buf, sizeof buf);
	printf("read across a stop and continue: %ld %s\n", n, n < 0 ? en(errno) : "OK");
	reap(h);
}

/* ---- wait4 ---- */

static void wait_case(int flags)
{
	set_handler(SIGUSR1, flags);
	pid_t h = helper(SIGUSR1, NULL, 7);
	int st = 0;
	errno = 0;
	pid_t r = wait4(h, &st, 0, NULL);
	printf("wait4: %s %s", r == h ? "the helper" : r < 0 ? "-1" : "?", r < 0 ? en(errno) : "OK");
	if (r == h)
		printf(", exit status %d", WEXITSTATUS(st));
	printf(", handler ran %d\n", handled);
	if (r < 0)
		reap(h);
}

static void case_wait(void) { wait_case(0); }
static void case_wait_restart(void) { wait_case(SA_RESTART); }

/* ---- futex ---- */

static uint32_t *word;
static void wake_word(pid_t w)
{
	wait_state(w, 'S');
	__atomic_store_n(word, 1, __ATOMIC_SEQ_CST);
	syscall(SYS_futex, word, FUTEX_WAKE, 1, NULL, NULL, 0);
}

static void futex_case(int flags, int timeout)
{
	static uint32_t w;
	word = &w;
	set_handler(SIGUSR1, flags);
	pid_t h = helper(SIGUSR1, NULL, 0);
	struct timespec ts = {30, 0};
	errno = 0;
	long r = syscall(SYS_futex, word, FUTEX_WAIT, 0, timeout ? &ts : NULL, NULL, 0);
	printf("futex wait%s: %ld %s, handler ran %d\n", timeout ? " with a timeout" : "", r, r < 0 ? en(errno) : "OK",
	       handled);
	reap(h);
}

/* The word is in shared memory, so that the helper's FUTEX_WAKE on its
   copy of the mapping reaches the worker. */
static void futex_restart_case(void)
{
	word = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	*word = 0;
	set_handler(SIGUSR1, SA_RESTART);
	pid_t h = helper(SIGUSR1, wake_word, 0);
	errno = 0;
	long r = syscall(SYS_futex, word, FUTEX_WAIT, 0, NULL, NULL, 0);
	printf("futex wait with SA_RESTART: %ld %s, word %u, handler ran %d\n", r, r < 0 ? en(errno) : "OK", *word, handled);
	reap(h);
}

static void case_futex(void) { futex_case(0, 0); }
static void case_futex_timeout(void) { futex_case(SA_RESTART, 1); }
static void case_futex_restart(void) { futex_restart_case(); }

/* ---- sleeps ---- */

/* The time left of a 10 s sleep (Linux may add the 50 us timer slack). */
static int rem_ok(const struct timespec *rem)
{
	long long ns = rem->tv_sec * 1000000000ll + rem->tv_nsec;
	return rem->tv_nsec >= 0 && rem->tv_nsec < 1000000000 && ns > 0 && ns <= 10001000000ll;
}

static void case_nanosleep(void)
{
	set_handler(SIGUSR1, SA_RESTART);
	pid_t h = helper(SIGUSR1, NULL, 0);
	struct timespec req = {10, 0}, rem = {-1, -1};
	errno = 0;
	int r = nanosleep(&req, &rem);
	printf("nanosleep: %d %s, rem in (0, 10 s]: %s, handler ran %d\n", r, r ? en(errno) : "OK", yesno(rem_ok(&rem)), handled);
	reap(h);
}

static void case_clock_nanosleep(void)
{
	set_handler(SIGUSR1, SA_RESTART);
	pid_t h = helper(SIGUSR1, NULL, 0);
	struct timespec req = {10, 0}, rem = {-1, -1};
	int r = clock_nanosleep(CLOCK_MONOTONIC, 0, &req, &rem);
	printf("clock_nanosleep relative: %s, rem in (0, 10 s]: %s\n", en(r), yesno(rem_ok(&rem)));
	reap(h);
	h = helper(SIGUSR1, NULL, 0);
	clock_gettime(CLOCK_MONOTONIC, &req);
	req.tv_sec += 10;
	rem.tv_sec = rem.tv_nsec = -1;
	r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &req, &rem);
	printf("clock_nanosleep absolute: %s, rem untouched: %s, handler ran %d\n", en(r), yesno(rem.tv_sec == -1), handled);
	reap(h);
}

static void case_pause(void)
{
	set_handler(SIGUSR1, SA_RESTART);
	pid_t h = helper(SIGUSR1, NULL, 0);
	errno = 0;
	int r = pause();
	printf("pause: %d %s, handler ran %d\n", r, en(errno), handled);
	reap(h);
}

static void case_poll(void)
{
	pipe(data);
	set_handler(SIGUSR1, SA_RESTART);
	pid_t h = helper(SIGUSR1, write_x, 0);
	struct pollfd p = {data[0], POLLIN, 0};
	errno = 0;
	int r = poll(&p, 1, -1);
	printf("poll: %d %s, handler ran %d\n", r, r < 0 ? en(errno) : "OK", handled);
	reap(h);
}

static void case_ppoll_mask(void)
{
	set_handler(SIGUSR1, SA_RESTART);
	sigset_t block, empty, now;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, NULL);
	raise(SIGUSR1);
	pipe(data);
	struct pollfd p = {data[0], POLLIN, 0};
	sigemptyset(&empty);
	struct timespec ts = {5, 0};
	errno = 0;
	int r = ppoll(&p, 1, &ts, &empty);
	sigprocmask(SIG_BLOCK, NULL, &now);
	printf("ppoll unblocking a pending USR1: %d %s, handler ran %d, USR1 blocked again after %s\n", r,
	       r < 0 ? en(errno) : "OK", handled, yesno(sigismember(&now, SIGUSR1)));
	/* Ready at once: the old mask is back before any handler could run. */
	write(data[1], "x", 1);
	raise(SIGUSR1);
	r = ppoll(&p, 1, &ts, &empty);
	sigset_t pend;
	sigpending(&pend);
	printf("ppoll with data ready and USR1 pending: %d, handler ran %d, USR1 still pending %s\n", r, handled,
	       yesno(sigismember(&pend, SIGUSR1)));
}

/* ---- sigsuspend ---- */

static volatile int usr1_in_handler, usr2_in_handler;
static void mask_handler(int sig)
{
	(void)sig;
	sigset_t s;
	sigprocmask(SIG_BLOCK, NULL, &s);
	usr1_in_handler = sigismember(&s, SIGUSR1);
	usr2_in_handler = sigismember(&s, SIGUSR2);
	handled++;
	char c = 'h';
	write(ack[1], &c, 1);
}

static void case_sigsuspend(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = mask_handler;
	sigaction(SIGUSR1, &sa, NULL);
	sigset_t block, none, now;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, NULL);
	pid_t h = helper(SIGUSR1, NULL, 0);
	sigemptyset(&none);
	sigaddset(&none, SIGUSR2);
	errno = 0;
	int r = sigsuspend(&none);
	sigprocmask(SIG_BLOCK, NULL, &now);
	printf("sigsuspend: %d %s; in the handler USR1 blocked %s, USR2 (suspend mask) blocked %s; after: USR1 blocked %s, USR2 %s\n",
	       r, en(errno), yesno(usr1_in_handler), yesno(usr2_in_handler), yesno(sigismember(&now, SIGUSR1)),
	       yesno(sigismember(&now, SIGUSR2)));
	reap(h);
	/* Already pending: no sleep at all. */
	raise(SIGUSR1);
	sigemptyset(&none);
	errno = 0;
	r = sigsuspend(&none);
	printf("sigsuspend with USR1 pending: %d %s, handler ran %d\n", r, en(errno), handled);
}

/* ---- sigtimedwait ---- */

static void sw_handler(int sig)
{
	(void)sig;
	handled++;
}

static void case_sigtimedwait(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	pid_t worker = getpid();
	pid_t h = fork();
	if (h == 0) {
		wait_state(worker, 'S');
		kill(worker, SIGUSR1);
		_exit(0);
	}
	struct timespec ts = {30, 0};
	siginfo_t si;
	int r = sigtimedwait(&set, &si, &ts);
	printf("sigtimedwait: %s, si_code %d, from the helper %s\n", r == SIGUSR1 ? "SIGUSR1" : "?", si.si_code,
	       yesno(si.si_pid == h));
	reap(h);

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = sw_handler;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR2, &sa, NULL);
	h = fork();
	if (h == 0) {
		wait_state(worker, 'S');
		kill(worker, SIGUSR2);
		_exit(0);
	}
	/* The raw call: musl's sigtimedwait() retries after EINTR. */
	errno = 0;
	r = syscall(SYS_rt_sigtimedwait, &set, &si, &ts, 8);
	printf("rt_sigtimedwait interrupted by a handled SIGUSR2 (SA_RESTART): %d %s, handler ran %d\n", r, en(errno), handled);
	reap(h);
	struct timespec short_ts = {0, 20000000};
	errno = 0;
	r = sigtimedwait(&set, &si, &short_ts);
	printf("sigtimedwait 20 ms, nothing comes: %d %s\n", r, en(errno));
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	run("read", case_read);
	run("read, SA_RESTART", case_read_restart);
	run("read, stop and continue", case_read_stopped);
	run("wait4", case_wait);
	run("wait4, SA_RESTART", case_wait_restart);
	run("futex", case_futex);
	run("futex with a timeout, SA_RESTART", case_futex_timeout);
	run("futex, SA_RESTART", case_futex_restart);
	run("nanosleep", case_nanosleep);
	run("clock_nanosleep", case_clock_nanosleep);
	run("pause", case_pause);
	run("poll", case_poll);
	run("ppoll with a signal mask", case_ppoll_mask);
	run("sigsuspend", case_sigsuspend);
	run("sigtimedwait", case_sigtimedwait);
	return 0;
}
