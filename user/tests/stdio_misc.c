/*
 * stdio_misc: assorted "identity and environment" syscalls that libc
 * start-up and simple programs rely on.
 * Checks: uname sysname/machine; getpid > 0, gettid == getpid (single
 * thread); getuid/geteuid/getgid/getegid (root: 0);
 * CLOCK_MONOTONIC advances >= 10ms across nanosleep(10ms); CLOCK_REALTIME
 * and gettimeofday year > 2020; getrandom(16) == 16; sched_yield == 0;
 * getrlimit/prlimit64(RLIMIT_STACK) soft != 0 and soft <= hard;
 * readlink("/proc/self/exe") basename == argv[0] basename;
 * ioctl(1, TIOCGWINSZ) on a pipe -> ENOTTY; set_tid_address returns the
 * tid; unknown syscall 1000 -> ENOSYS; rt_sigaction set/read-back of a
 * SIGUSR1 handler, rt_sigaction(SIGKILL) -> EINVAL; rt_sigprocmask block
 * SIGUSR2 and read back, SIGKILL silently not blockable.
 * Mirrors: uname(2), getpid(2), gettid(2), getuid(2), clock_gettime(2),
 *   nanosleep(2), gettimeofday(2), getrandom(2), sched_yield(2),
 *   getrlimit(2), proc(5) /proc/self/exe, ioctl_tty(2) (TIOCGWINSZ),
 *   set_tid_address(2), syscall(2) ENOSYS, sigaction(2), sigprocmask(2).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

static const char *YN(int c) { return c ? "yes" : "no"; }
static void on_usr1(int s) { (void)s; }
static int tid_word;

int main(int argc, char **argv)
{
	(void)argc;
	setvbuf(stdout, NULL, _IONBF, 0);

	struct utsname u;
	int r = uname(&u);
	printf("uname: %d sysname=\"%s\" machine=\"%s\"\n", r, u.sysname, u.machine);

	pid_t pid = getpid();
	long tid = syscall(SYS_gettid);
	/* Not getppid(): under Tine this program is PID 1, whose parent is 0
	 * as on Linux, while natively its parent is the test harness. Parent
	 * links are checked by the fork tests, where both runs agree. */
	printf("getpid() > 0: %s, gettid() == getpid(): %s\n",
	       YN(pid > 0), YN(tid == pid));
	printf("getuid=%u geteuid=%u getgid=%u getegid=%u\n",
	       (unsigned)getuid(), (unsigned)geteuid(), (unsigned)getgid(), (unsigned)getegid());

	struct timespec t0, t1, req = {0, 10 * 1000 * 1000};
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int ns = nanosleep(&req, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long long el = (t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec);
	printf("nanosleep(10ms)=%d, monotonic elapsed >= 10ms: %s, < 5s: %s\n",
	       ns, YN(el >= 10000000LL), YN(el < 5000000000LL));
	printf("tv_nsec in range: %s\n", YN(t1.tv_nsec >= 0 && t1.tv_nsec < 1000000000L));

	struct timespec rt;
	clock_gettime(CLOCK_REALTIME, &rt);
	struct timeval tv;
	r = gettimeofday(&tv, NULL);
	struct tm tm;
	gmtime_r(&tv.tv_sec, &tm);
	printf("gettimeofday=%d year > 2020: %s, tv_usec in range: %s\n", r,
	       YN(tm.tm_year + 1900 > 2020), YN(tv.tv_usec >= 0 && tv.tv_usec < 1000000));
	printf("CLOCK_REALTIME within 5s of gettimeofday: %s\n",
	       YN(rt.tv_sec - tv.tv_sec < 5 && tv.tv_sec - rt.tv_sec < 5));

	unsigned char rnd[16];
	long g = syscall(SYS_getrandom, rnd, sizeof rnd, 0);
	printf("getrandom(16, 0)=%ld\n", g);
	printf("sched_yield()=%d\n", sched_yield());

	struct rlimit rl;
	r = getrlimit(RLIMIT_STACK, &rl);
	printf("getrlimit(RLIMIT_STACK)=%d soft != 0: %s, soft <= hard: %s\n", r,
	       YN(rl.rlim_cur != 0), YN(rl.rlim_cur <= rl.rlim_max));
	struct rlimit rl2;
	long pr = syscall(SYS_prlimit64, 0, RLIMIT_STACK, NULL, &rl2);
	printf("prlimit64(0, RLIMIT_STACK, NULL, &old)=%ld agrees: %s\n", pr,
	       YN(rl2.rlim_cur == rl.rlim_cur && rl2.rlim_max == rl.rlim_max));

	char exe[256] = {0};
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	const char *eb = strrchr(exe, '/'), *ab = strrchr(argv[0], '/');
	eb = eb ? eb + 1 : exe;
	ab = ab ? ab + 1 : argv[0];
	printf("readlink(/proc/self/exe) %s, absolute: %s, basename=\"%s\" == argv[0] basename: %s\n",
	       n > 0 ? "ok" : en(errno), YN(exe[0] == '/'), eb, YN(strcmp(eb, ab) == 0));

	struct winsize ws;
	errno = 0;
	r = ioctl(1, TIOCGWINSZ, &ws);
	printf("ioctl(1 [pipe], TIOCGWINSZ)=%d %s\n", r, en(errno));
	errno = 0;
	r = ioctl(99, TIOCGWINSZ, &ws);
	printf("ioctl(99 [closed], TIOCGWINSZ)=%d %s\n", r, en(errno));

	long st = syscall(SYS_set_tid_address, &tid_word);
	printf("set_tid_address() == gettid(): %s\n", YN(st == tid));

	errno = 0;
	long u1 = syscall(1000);
	printf("syscall(1000)=%ld %s\n", u1, en(errno));

	struct sigaction sa, old;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_usr1;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGUSR2);
	r = sigaction(SIGUSR1, &sa, NULL);
	memset(&old, 0, sizeof old);
	int r2 = sigaction(SIGUSR1, NULL, &old);
	printf("sigaction(SIGUSR1, set)=%d, get=%d: handler equal: %s, SA_RESTART kept: %s, "
	       "mask has SIGUSR2: %s\n", r, r2, YN(old.sa_handler == on_usr1),
	       YN(old.sa_flags & SA_RESTART), YN(sigismember(&old.sa_mask, SIGUSR2) == 1));
	memset(&old, 0, sizeof old);
	sigaction(SIGUSR2, NULL, &old);
	printf("SIGUSR2 disposition is SIG_DFL: %s\n", YN(old.sa_handler == SIG_DFL));
	errno = 0;
	r = sigaction(SIGKILL, &sa, NULL);
	printf("sigaction(SIGKILL, set)=%d %s\n", r, en(errno));

	sigset_t set, cur;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGKILL);
	r = sigprocmask(SIG_BLOCK, &set, NULL);
	sigemptyset(&cur);
	r2 = sigprocmask(SIG_BLOCK, NULL, &cur);
	printf("sigprocmask(BLOCK {USR2,KILL})=%d, read back=%d: USR2 blocked: %s, "
	       "USR1 blocked: %s, KILL blocked: %s\n", r, r2,
	       YN(sigismember(&cur, SIGUSR2) == 1), YN(sigismember(&cur, SIGUSR1) == 1),
	       YN(sigismember(&cur, SIGKILL) == 1));
	r = sigprocmask(SIG_UNBLOCK, &set, NULL);
	sigprocmask(SIG_SETMASK, NULL, &cur);
	printf("sigprocmask(UNBLOCK)=%d: USR2 blocked: %s\n", r, YN(sigismember(&cur, SIGUSR2) == 1));
	errno = 0;
	r = syscall(SYS_rt_sigprocmask, 99, NULL, &cur, 8);
	printf("rt_sigprocmask(how=99, NULL set)=%d %s\n", r, en(errno));
	errno = 0;
	r = syscall(SYS_rt_sigprocmask, 99, &set, NULL, 8);
	printf("rt_sigprocmask(how=99, set)=%d %s\n", r, en(errno));
	errno = 0;
	r = syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, 4);
	printf("rt_sigprocmask(sigsetsize=4)=%d %s\n", r, en(errno));
	return 0;
}
