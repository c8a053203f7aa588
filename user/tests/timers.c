/*
 * timers: alarm(2), setitimer(2)/getitimer(2) and the POSIX timers
 * (timer_create(2) and friends), and what fork and exec do to them.
 * Checks:
 *   alarm's return value: 0 with nothing pending, else the seconds left
 *     rounded to nearest (never 0 while one is pending); alarm and
 *     ITIMER_REAL are one timer;
 *   getitimer/setitimer: the time left before expiry (printed coarsely),
 *     the old value setitimer returns, a zero value cancels the interval
 *     too; EINVAL for an unknown timer or a bad timeval, EFAULT;
 *   expiry: SIGALRM (blocked, taken with sigwaitinfo) with si_code
 *     SI_KERNEL; a periodic timer keeps firing; after a one-shot expiry
 *     getitimer reads 0;
 *   ITIMER_VIRTUAL and ITIMER_PROF fire after that much CPU time;
 *   POSIX timers: ids from 0 per process; SIGEV_SIGNAL delivers si_code
 *     SI_TIMER, si_value and si_timerid; relative and TIMER_ABSTIME
 *     settings; timer_gettime before and after expiry; a periodic timer
 *     whose signal stays blocked counts overruns (si_overrun equals
 *     timer_getoverrun); SIGEV_NONE only counts down; errors;
 *   fork: the child has no alarm, no interval timer and none of the
 *     parent's POSIX timers (its own ids start at 0 again);
 *   exec keeps the alarm but deletes POSIX timers.
 * Signal handlers are not used: the signals stay blocked and are taken
 * with sigwaitinfo/sigtimedwait.
 * Mirrors: alarm(2), getitimer(2) ("A child created via fork(2) does not
 *   inherit its parent's interval timers. Interval timers are preserved
 *   across execve(2)"), timer_create(2) ("The timers are not inherited by
 *   the child of fork(2), and are disarmed and deleted during an
 *   execve(2)"), timer_settime(2), timer_getoverrun(2).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

static void rc(const char *what, long r)
{
	if (r < 0)
		printf("%s: -1 %s\n", what, en(errno));
	else
		printf("%s: %ld\n", what, r);
}

static long ms_of(struct timeval tv)
{
	return tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static long ms_ts(struct timespec ts)
{
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double now_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Take one of `sig` with a timeout; its number or -1. */
static int take(int sig, siginfo_t *si, int timeout_ms)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, sig);
	struct timespec ts = { timeout_ms / 1000, (timeout_ms % 1000) * 1000000L };
	return sigtimedwait(&set, si, &ts);
}

static void after_exec(void)
{
	/* The alarm set before exec (100 s) is still running. */
	unsigned left = alarm(0);
	printf("after exec: alarm(0) = %s\n", left >= 95 && left <= 100 ? "95..100" : "wrong");
	/* The POSIX timer created before exec is gone. */
	errno = 0;
	long r = syscall(SYS_timer_delete, 0);
	printf("after exec: timer_delete(0): %ld %s\n", r, en(errno));
	r = syscall(SYS_timer_gettime, 0, &(struct itimerspec){ 0 });
	printf("after exec: timer_gettime(0): %ld %s\n", r, en(errno));
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "exec") == 0) {
		after_exec();
		return 0;
	}
	setvbuf(stdout, NULL, _IONBF, 0);
	sigset_t block;
	sigemptyset(&block);
	sigaddset(&block, SIGALRM);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGUSR2);
	sigaddset(&block, SIGVTALRM);
	sigaddset(&block, SIGPROF);
	sigprocmask(SIG_BLOCK, &block, NULL);
	siginfo_t si;

	printf("-- alarm\n");
	printf("alarm(0), none pending: %u\n", alarm(0));
	printf("alarm(10): %u\n", alarm(10));
	printf("alarm(5), 10 s were pending: %u\n", alarm(5));
	printf("alarm(0), 5 s were pending: %u\n", alarm(0));
	struct itimerval v = { { 0, 0 }, { 2, 700000 } }, o;
	setitimer(ITIMER_REAL, &v, NULL);
	printf("alarm(0) after setitimer(2.7 s): %u\n", alarm(0));
	v = (struct itimerval){ { 0, 0 }, { 0, 200000 } };
	setitimer(ITIMER_REAL, &v, NULL);
	printf("alarm(0) after setitimer(0.2 s): %u\n", alarm(0));

	printf("-- getitimer/setitimer\n");
	v = (struct itimerval){ { 1, 250000 }, { 3, 0 } };
	rc("setitimer(REAL, 3 s every 1.25 s)", setitimer(ITIMER_REAL, &v, &o));
	printf("old value %ld ms, interval %ld ms\n", ms_of(o.it_value), ms_of(o.it_interval));
	getitimer(ITIMER_REAL, &o);
	printf("getitimer: value in (2.5 s, 3 s]: %s, interval %ld ms\n",
	       ms_of(o.it_value) > 2500 && ms_of(o.it_value) <= 3000 ? "yes" : "no", ms_of(o.it_interval));
	v = (struct itimerval){ { 0, 100000 }, { 0, 0 } };
	rc("setitimer(REAL, value 0, interval 0.1 s)", setitimer(ITIMER_REAL, &v, &o));
	printf("old value in (2.5 s, 3 s]: %s, interval %ld ms\n",
	       ms_of(o.it_value) > 2500 && ms_of(o.it_value) <= 3000 ? "yes" : "no", ms_of(o.it_interval));
	getitimer(ITIMER_REAL, &o);
	printf("disarmed: value %ld ms, interval %ld ms\n", ms_of(o.it_value), ms_of(o.it_interval));
	rc("setitimer(3)", setitimer(3, &v, NULL));
	rc("getitimer(-1)", getitimer(-1, &o));
	v = (struct itimerval){ { 0, 0 }, { 0, 1000000 } };
	rc("setitimer(usec 1000000)", setitimer(ITIMER_REAL, &v, NULL));
	v = (struct itimerval){ { 0, 0 }, { -1, 0 } };
	rc("setitimer(sec -1)", setitimer(ITIMER_REAL, &v, NULL));
	rc("getitimer(REAL, bad pointer)", syscall(SYS_getitimer, ITIMER_REAL, (void *)8));
	rc("setitimer(REAL, bad pointer)", syscall(SYS_setitimer, ITIMER_REAL, (void *)8, NULL));
	/* The CPU timers keep their interval even when switched off. */
	v = (struct itimerval){ { 0, 500000 }, { 0, 0 } };
	setitimer(ITIMER_VIRTUAL, &v, NULL);
	getitimer(ITIMER_VIRTUAL, &o);
	printf("VIRTUAL value 0, interval 0.5 s: value %ld ms, interval %ld ms\n", ms_of(o.it_value), ms_of(o.it_interval));
	v = (struct itimerval){ { 0, 0 }, { 0, 0 } };
	setitimer(ITIMER_VIRTUAL, &v, NULL);

	printf("-- expiry\n");
	v = (struct itimerval){ { 0, 0 }, { 0, 50000 } };
	setitimer(ITIMER_REAL, &v, NULL);
	int s = take(SIGALRM, &si, 5000);
	printf("SIGALRM after 50 ms: %s, si_code %s\n", s == SIGALRM ? "yes" : "no",
	       si.si_code == SI_KERNEL ? "SI_KERNEL" : "other");
	getitimer(ITIMER_REAL, &o);
	printf("after expiry: value %ld ms, interval %ld ms\n", ms_of(o.it_value), ms_of(o.it_interval));
	alarm(1);
	s = take(SIGALRM, &si, 5000);
	printf("alarm(1) fired: %s; alarm(0) then: %u\n", s == SIGALRM ? "yes" : "no", alarm(0));
	v = (struct itimerval){ { 0, 30000 }, { 0, 30000 } };
	setitimer(ITIMER_REAL, &v, NULL);
	int n = 0;
	for (int i = 0; i < 3; i++)
		n += take(SIGALRM, &si, 5000) == SIGALRM;
	v = (struct itimerval){ { 0, 0 }, { 0, 0 } };
	setitimer(ITIMER_REAL, &v, NULL);
	printf("periodic every 30 ms: %d of 3 signals\n", n);
	sigset_t pend;
	sigpending(&pend);
	printf("nothing left pending after cancelling: %s\n", sigismember(&pend, SIGALRM) ? "no" : "yes");

	printf("-- CPU-time timers\n");
	v = (struct itimerval){ { 0, 0 }, { 0, 30000 } };
	setitimer(ITIMER_VIRTUAL, &v, NULL);
	setitimer(ITIMER_PROF, &v, NULL);
	getitimer(ITIMER_PROF, &o);
	printf("PROF right after setting 30 ms: value in (0, 40 ms]: %s\n",
	       ms_of(o.it_value) > 0 && ms_of(o.it_value) <= 40 ? "yes" : "no");
	double start = now_mono();
	int got_virt = 0, got_prof = 0;
	volatile unsigned long spin = 0;
	while ((!got_virt || !got_prof) && now_mono() - start < 20) {
		for (int i = 0; i < 100000; i++)
			spin++;
		sigpending(&pend);
		got_virt = sigismember(&pend, SIGVTALRM);
		got_prof = sigismember(&pend, SIGPROF);
	}
	printf("SIGVTALRM after 30 ms of user time: %s\n", got_virt ? "yes" : "no");
	printf("SIGPROF after 30 ms of CPU time: %s\n", got_prof ? "yes" : "no");
	take(SIGVTALRM, &si, 0);
	printf("SIGVTALRM si_code %s\n", si.si_code == SI_KERNEL ? "SI_KERNEL" : "other");
	take(SIGPROF, &si, 0);
	getitimer(ITIMER_VIRTUAL, &o);
	printf("VIRTUAL after expiry: value %ld ms\n", ms_of(o.it_value));

	printf("-- POSIX timers\n");
	timer_t t0, t1, t2;
	struct sigevent ev = { 0 };
	ev.sigev_notify = SIGEV_SIGNAL;
	ev.sigev_signo = SIGUSR1;
	ev.sigev_value.sival_int = 42;
	rc("timer_create(MONOTONIC, SIGUSR1)", timer_create(CLOCK_MONOTONIC, &ev, &t0));
	printf("first id: %ld\n", (long)(intptr_t)t0);
	rc("timer_create(REALTIME, default sigevent)", timer_create(CLOCK_REALTIME, NULL, &t1));
	printf("second id: %ld\n", (long)(intptr_t)t1);
	struct itimerspec its = { { 0, 0 }, { 0, 40000000 } }, ots;
	rc("timer_settime(t0, relative 40 ms)", timer_settime(t0, 0, &its, &ots));
	printf("old setting: %ld ms / %ld ms\n", ms_ts(ots.it_value), ms_ts(ots.it_interval));
	timer_gettime(t0, &ots);
	printf("timer_gettime: value in (0, 40 ms]: %s, interval %ld ms\n",
	       ms_ts(ots.it_value) >= 0 && ots.it_value.tv_nsec > 0 && ms_ts(ots.it_value) <= 40 ? "yes" : "no",
	       ms_ts(ots.it_interval));
	s = take(SIGUSR1, &si, 5000);
	printf("SIGUSR1: %s, si_code %s, si_value %d, si_timerid == t0: %s, si_overrun %d\n",
	       s == SIGUSR1 ? "yes" : "no", si.si_code == SI_TIMER ? "SI_TIMER" : "other", si.si_value.sival_int,
	       si.si_timerid == (int)(intptr_t)t0 ? "yes" : "no", si.si_overrun);
	timer_gettime(t0, &ots);
	printf("after expiry: %ld ns / %ld ns\n", ots.it_value.tv_sec * 1000000000L + ots.it_value.tv_nsec,
	       ots.it_interval.tv_sec * 1000000000L + ots.it_interval.tv_nsec);
	/* The default sigevent: SIGALRM with si_value = the timer id. */
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	its = (struct itimerspec){ { 0, 0 }, { now.tv_sec, now.tv_nsec + 20000000 } };
	if (its.it_value.tv_nsec >= 1000000000) {
		its.it_value.tv_sec++;
		its.it_value.tv_nsec -= 1000000000;
	}
	rc("timer_settime(t1, TIMER_ABSTIME now + 20 ms)", timer_settime(t1, TIMER_ABSTIME, &its, NULL));
	s = take(SIGALRM, &si, 5000);
	printf("SIGALRM: %s, si_code %s, si_value == id: %s\n", s == SIGALRM ? "yes" : "no",
	       si.si_code == SI_TIMER ? "SI_TIMER" : "other", si.si_value.sival_int == (int)(intptr_t)t1 ? "yes" : "no");
	/* An absolute time in the past fires at once. */
	its = (struct itimerspec){ { 0, 0 }, { 1, 0 } };
	timer_settime(t1, TIMER_ABSTIME, &its, NULL);
	s = take(SIGALRM, &si, 5000);
	printf("absolute time in the past: fired %s\n", s == SIGALRM ? "yes" : "no");

	/* Periodic with the signal left blocked: overruns. */
	its = (struct itimerspec){ { 0, 10000000 }, { 0, 10000000 } };
	timer_settime(t0, 0, &its, NULL);
	struct timespec nap = { 0, 105000000 };
	nanosleep(&nap, NULL);
	s = take(SIGUSR1, &si, 5000);
	int ov = timer_getoverrun(t0);
	printf("periodic 10 ms, taken after ~105 ms: %s, si_overrun in 5..12: %s, timer_getoverrun == si_overrun: %s\n",
	       s == SIGUSR1 ? "yes" : "no", si.si_overrun >= 5 && si.si_overrun <= 12 ? "yes" : "no",
	       ov == si.si_overrun ? "yes" : "no");
	timer_gettime(t0, &ots);
	printf("still periodic: value in (0, 10 ms]: %s, interval %ld ms\n",
	       ots.it_value.tv_nsec > 0 && ms_ts(ots.it_value) <= 10 ? "yes" : "no", ms_ts(ots.it_interval));
	its = (struct itimerspec){ { 0, 0 }, { 0, 0 } };
	rc("disarm t0", timer_settime(t0, 0, &its, &ots));
	printf("old interval %ld ms\n", ms_ts(ots.it_interval));
	take(SIGUSR1, &si, 0);
	timer_gettime(t0, &ots);
	printf("disarmed: %ld ms / %ld ms\n", ms_ts(ots.it_value), ms_ts(ots.it_interval));

	/* SIGEV_NONE: no signal, the time just runs down. */
	ev = (struct sigevent){ 0 };
	ev.sigev_notify = SIGEV_NONE;
	rc("timer_create(MONOTONIC, SIGEV_NONE)", timer_create(CLOCK_MONOTONIC, &ev, &t2));
	printf("third id: %ld\n", (long)(intptr_t)t2);
	its = (struct itimerspec){ { 0, 0 }, { 0, 30000000 } };
	timer_settime(t2, 0, &its, NULL);
	nap = (struct timespec){ 0, 50000000 };
	nanosleep(&nap, NULL);
	timer_gettime(t2, &ots);
	sigpending(&pend);
	printf("SIGEV_NONE after expiry: value %ld ns, nothing pending: %s\n",
	       ots.it_value.tv_sec * 1000000000L + ots.it_value.tv_nsec,
	       sigismember(&pend, SIGALRM) || sigismember(&pend, SIGUSR1) ? "no" : "yes");

	/* Errors. */
	rc("timer_create(clock 99)", syscall(SYS_timer_create, 99, NULL, &t2));
	rc("timer_create(MONOTONIC_RAW)", syscall(SYS_timer_create, CLOCK_MONOTONIC_RAW, NULL, &t2));
	ev = (struct sigevent){ 0 };
	ev.sigev_notify = SIGEV_SIGNAL;
	ev.sigev_signo = 0;
	rc("timer_create(signal 0)", syscall(SYS_timer_create, CLOCK_MONOTONIC, &ev, &t2));
	ev.sigev_signo = 65;
	rc("timer_create(signal 65)", syscall(SYS_timer_create, CLOCK_MONOTONIC, &ev, &t2));
	ev.sigev_signo = SIGUSR2;
	ev.sigev_notify = 99;
	rc("timer_create(notify 99)", syscall(SYS_timer_create, CLOCK_MONOTONIC, &ev, &t2));
	rc("timer_create(bad sigevent pointer)", syscall(SYS_timer_create, CLOCK_MONOTONIC, (void *)8, &t2));
	int id = -1;
	rc("timer_create after failures", syscall(SYS_timer_create, CLOCK_MONOTONIC, NULL, &id));
	printf("its id (failed creations used ids up): %d\n", id);
	its = (struct itimerspec){ { 0, 0 }, { 0, 1000000000 } };
	rc("timer_settime(nsec 1e9)", syscall(SYS_timer_settime, 0, 0, &its, NULL));
	rc("timer_settime(NULL)", syscall(SYS_timer_settime, 0, 0, NULL, NULL));
	its = (struct itimerspec){ { 0, 0 }, { 1, 0 } };
	rc("timer_settime(id 1000)", syscall(SYS_timer_settime, 1000, 0, &its, NULL));
	rc("timer_gettime(id 1000)", syscall(SYS_timer_gettime, 1000, &ots));
	rc("timer_gettime(bad pointer)", syscall(SYS_timer_gettime, 0, (void *)8));
	rc("timer_getoverrun(id 1000)", syscall(SYS_timer_getoverrun, 1000));
	rc("timer_delete(t2)", syscall(SYS_timer_delete, id));
	rc("timer_delete(t2) again", syscall(SYS_timer_delete, id));

	printf("-- fork\n");
	alarm(100);
	its = (struct itimerspec){ { 0, 0 }, { 100, 0 } };
	timer_settime(t0, 0, &its, NULL);
	v = (struct itimerval){ { 0, 0 }, { 100, 0 } };
	setitimer(ITIMER_VIRTUAL, &v, NULL);
	pid_t pid = fork();
	if (pid == 0) {
		printf("child: alarm(0) = %u\n", alarm(0));
		getitimer(ITIMER_REAL, &o);
		printf("child: ITIMER_REAL %ld ms / %ld ms\n", ms_of(o.it_value), ms_of(o.it_interval));
		getitimer(ITIMER_VIRTUAL, &o);
		printf("child: ITIMER_VIRTUAL %ld ms\n", ms_of(o.it_value));
		errno = 0;
		long r = syscall(SYS_timer_gettime, (int)(intptr_t)t0, &ots);
		printf("child: parent's timer: %ld %s\n", r, en(errno));
		timer_t c;
		timer_create(CLOCK_MONOTONIC, NULL, &c);
		printf("child: its first timer id: %ld\n", (long)(intptr_t)c);
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	unsigned left = alarm(0);
	printf("parent keeps its alarm: %s\n", left >= 95 && left <= 100 ? "yes" : "no");
	timer_gettime(t0, &ots);
	printf("parent keeps its timer: %s\n", ots.it_value.tv_sec >= 95 ? "yes" : "no");
	v = (struct itimerval){ { 0, 0 }, { 0, 0 } };
	setitimer(ITIMER_VIRTUAL, &v, NULL);

	printf("-- exec\n");
	pid = fork();
	if (pid == 0) {
		char self[4096];
		ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
		if (len < 0)
			_exit(1);
		self[len] = 0;
		alarm(100);
		timer_t c;
		timer_create(CLOCK_MONOTONIC, NULL, &c);
		execl(self, argv[0], "exec", (char *)NULL);
		_exit(2);
	}
	waitpid(pid, &st, 0);
	printf("exec child: exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	timer_delete(t0);
	timer_delete(t1);
	return 0;
}
