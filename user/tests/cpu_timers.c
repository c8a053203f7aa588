// tine-only
/*
 * cpu_timers: timers on CPU time fire on CPU time actually used, never
 * early. Tine-only (compared with cpu_timers.expected): Linux fires these
 * timers on CPU time sampled by the tick unless it is built with
 * VIRT_CPU_ACCOUNTING_GEN, and the host here (a loaded virtual machine,
 * tick-based accounting) fires them up to 20% early by its own getrusage
 * and CLOCK_PROCESS_CPUTIME_ID, so it cannot be the reference for "never
 * early". Tine accounts at every kernel entry and exit, as
 * VIRT_CPU_ACCOUNTING_GEN does.
 * Checks:
 *   ITIMER_VIRTUAL of 100 ms during a busy user loop: at SIGVTALRM the
 *     process's user time is at least 100 ms;
 *   ITIMER_PROF of 100 ms during a loop of system calls: at SIGPROF user
 *     plus system time is at least 100 ms, and system time is a good part
 *     of it (a kernel that never accounts system time fires it late or
 *     not at all). The calls are uname(2)s, which copy a few hundred bytes
 *     out: a call that only reads a task field (getppid) is nearly all
 *     entry and exit, which time accounting at entry and exit (Tine's, and
 *     Linux's with VIRT_CPU_ACCOUNTING_GEN) largely counts as user time;
 *   a POSIX timer (timer_create) on the process clock of
 *     clock_getcpuclockid(0), 50 ms: at its signal the process clock reads
 *     at least 50 ms more than when it was armed; the same on
 *     CLOCK_THREAD_CPUTIME_ID;
 *   RLIMIT_CPU with a soft limit of 1 s and hard limit of 2 s: SIGXCPU
 *     (caught) once 1 s of CPU time is used, not before; then SIGKILL at
 *     the hard limit (in a child, seen by wait).
 * Mirrors: setitimer(2) ("ITIMER_VIRTUAL ... counts down against the user-
 *   mode CPU time", "ITIMER_PROF ... both user and system"),
 *   timer_create(2), getrlimit(2) RLIMIT_CPU.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MS 1000000LL

static long long ts_ns(clockid_t c) {
    struct timespec t;
    if (clock_gettime(c, &t)) return -1;
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static long long tv_ns(struct timeval tv) { return (tv.tv_sec * 1000000LL + tv.tv_usec) * 1000; }

static volatile sig_atomic_t fired;
static volatile long long at_user, at_sys, at_clock;
static clockid_t watch = CLOCK_PROCESS_CPUTIME_ID;
static volatile unsigned long sink;

static void handler(int sig) {
    (void)sig;
    struct rusage r;
    getrusage(RUSAGE_SELF, &r);
    at_user = tv_ns(r.ru_utime);
    at_sys = tv_ns(r.ru_stime);
    at_clock = ts_ns(watch);
    fired = 1;
}

static const char *yesno(int c) { return c ? "yes" : "no"; }

static long long self_ns(int user) {
    struct rusage r;
    getrusage(RUSAGE_SELF, &r);
    return user ? tv_ns(r.ru_utime) : tv_ns(r.ru_utime) + tv_ns(r.ru_stime);
}

static struct utsname uts;

static void spin_until_fired(int syscalls, long long limit_ns) {
    long long end = ts_ns(CLOCK_MONOTONIC) + limit_ns;
    while (!fired && ts_ns(CLOCK_MONOTONIC) < end) {
        if (syscalls)
            for (int i = 0; i < 200; i++) syscall(SYS_uname, &uts);
        else
            for (int i = 0; i < 100000; i++) sink += i;
    }
}

int main(void) {
    struct sigaction sa = {0};
    sa.sa_handler = handler;
    sigaction(SIGVTALRM, &sa, NULL);
    sigaction(SIGPROF, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGXCPU, &sa, NULL);

    struct itimerval it = {{0, 0}, {0, 100000}};
    long long u0 = self_ns(1);
    fired = 0;
    setitimer(ITIMER_VIRTUAL, &it, NULL);
    spin_until_fired(0, 30000 * MS);
    printf("ITIMER_VIRTUAL fired: %s, user time >= 100 ms at the signal: %s\n", yesno(fired), yesno(at_user - u0 >= 100 * MS));
    if (fired && at_user - u0 < 100 * MS) fprintf(stderr, "  (early: %lld us)\n", (at_user - u0) / 1000);

    long long p0 = self_ns(0);
    struct rusage r0;
    getrusage(RUSAGE_SELF, &r0);
    fired = 0;
    setitimer(ITIMER_PROF, &it, NULL);
    spin_until_fired(1, 30000 * MS);
    long long ds = at_sys - tv_ns(r0.ru_stime);
    printf("ITIMER_PROF fired: %s, user+system >= 100 ms at the signal: %s, system >= 20 ms of it: %s\n", yesno(fired),
           yesno(at_user + at_sys - p0 >= 100 * MS), yesno(ds >= 20 * MS));
    if (!fired || at_user + at_sys - p0 < 100 * MS || ds < 20 * MS)
        fprintf(stderr, "  (at PROF: cpu +%lld us, system +%lld us)\n", (at_user + at_sys - p0) / 1000, ds / 1000);

    clockid_t pc;
    clockid_t clocks[2];
    clock_getcpuclockid(0, &pc);
    clocks[0] = pc;
    clocks[1] = CLOCK_THREAD_CPUTIME_ID;
    const char *names[2] = {"process clock", "CLOCK_THREAD_CPUTIME_ID"};
    for (int k = 0; k < 2; k++) {
        struct sigevent ev = {0};
        ev.sigev_notify = SIGEV_SIGNAL;
        ev.sigev_signo = SIGUSR1;
        timer_t t;
        if (timer_create(clocks[k], &ev, &t)) {
            printf("timer_create(%s): %s\n", names[k], strerror(errno));
            continue;
        }
        struct itimerspec its = {{0, 0}, {0, 50 * MS}};
        watch = clocks[k];
        fired = 0;
        long long c0 = ts_ns(clocks[k]);
        timer_settime(t, 0, &its, NULL);
        spin_until_fired(0, 30000 * MS);
        printf("POSIX timer on %s fired: %s, >= 50 ms of it used: %s\n", names[k], yesno(fired), yesno(at_clock - c0 >= 50 * MS));
        timer_delete(t);
    }

    /* RLIMIT_CPU in children, so that the limit counts from 0. */
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        struct rlimit rl = {1, 3};
        setrlimit(RLIMIT_CPU, &rl);
        watch = CLOCK_PROCESS_CPUTIME_ID;
        fired = 0;
        spin_until_fired(0, 60000 * MS);
        printf("RLIMIT_CPU: SIGXCPU: %s, at >= 1 s of CPU time: %s\n", yesno(fired), yesno(at_clock >= 1000 * MS));
        fflush(stdout);
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    pid = fork();
    if (pid == 0) {
        struct rlimit rl = {1, 1};
        setrlimit(RLIMIT_CPU, &rl);
        for (;;) sink++;
    }
    waitpid(pid, &st, 0);
    printf("RLIMIT_CPU at the hard limit: %s\n", WIFSIGNALED(st) ? strsignal(WTERMSIG(st)) : "exited");
    return 0;
}
