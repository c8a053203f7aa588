/*
 * cputime: CPU time as the kernel accounts it, per thread, per process
 * and for reaped children, through every interface that reports it.
 * Prints only whether times grew and rough orders of magnitude, so that a
 * fast host and a slow emulator agree.
 * Checks:
 *   at start the process has used little CPU time (CLOCK_PROCESS_CPUTIME_ID
 *     below 50 ms: it is the process's time, not the time since boot);
 *   a busy user-mode loop of 200 ms of CPU time: utime grows by about that
 *     (getrusage RUSAGE_SELF and RUSAGE_THREAD, times(2) in clock ticks,
 *     /proc/self/stat utime), stime much less;
 *   system calls in a loop until 20 ms of system time: stime grows
 *     (getrusage, CLOCK_PROCESS_CPUTIME_ID grows with it);
 *   CLOCK_THREAD_CPUTIME_ID <= CLOCK_PROCESS_CPUTIME_ID; a thread's own
 *     clock (pthread_getcpuclockid) counts its 100 ms busy loop, and the
 *     main thread's clock, read through clock_getcpuclockid's process
 *     clock, counts both;
 *   a child that spends 150 ms in user mode and some in system calls:
 *     wait4's rusage, getrusage(RUSAGE_CHILDREN) and times()'s tms_cutime
 *     and tms_cstime show it after the wait and not before.
 * Mirrors: getrusage(2), times(2), clock_gettime(2), proc_pid_stat(5),
 *   kernel/sched/cputime.c.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MS 1000000LL

static long long ts_ns(clockid_t c) {
    struct timespec t;
    if (clock_gettime(c, &t)) return -1;
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static long long tv_us(struct timeval tv) { return tv.tv_sec * 1000000LL + tv.tv_usec; }

static volatile unsigned long sink;

static void busy(clockid_t c, long long ns) {
    long long end = ts_ns(c) + ns;
    while (ts_ns(c) < end)
        for (int i = 0; i < 100000; i++) sink += i;
}

static void syscalls_until_stime(long long us) {
    struct rusage a, b;
    getrusage(RUSAGE_SELF, &a);
    for (long n = 0; n < 20000000; n++) {
        syscall(SYS_getppid);
        if (n % 1000 == 0) {
            getrusage(RUSAGE_SELF, &b);
            if (tv_us(b.ru_stime) - tv_us(a.ru_stime) >= us) return;
        }
    }
}

static void stat_times(long *ut, long *st) {
    char buf[1024];
    FILE *f = fopen("/proc/self/stat", "r");
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')') + 2;
    /* fields 3.. : state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime */
    sscanf(p, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %ld %ld", ut, st);
}

static const char *yesno(int c) { return c ? "yes" : "no"; }

static void *thread_busy(void *arg) {
    (void)arg;
    clockid_t c;
    pthread_getcpuclockid(pthread_self(), &c);
    busy(c, 100 * MS);
    return NULL;
}

int main(void) {
    long long start = ts_ns(CLOCK_PROCESS_CPUTIME_ID);
    printf("process clock at start < 50 ms: %s\n", yesno(start >= 0 && start < 50 * MS));
    if (start >= 50 * MS) fprintf(stderr, "  (at start: %lld ms)\n", start / MS);

    struct rusage r0, r1, rt;
    struct tms t0, t1;
    long su0, ss0, su1, ss1;
    getrusage(RUSAGE_SELF, &r0);
    times(&t0);
    stat_times(&su0, &ss0);
    busy(CLOCK_PROCESS_CPUTIME_ID, 200 * MS);
    getrusage(RUSAGE_SELF, &r1);
    getrusage(RUSAGE_THREAD, &rt);
    times(&t1);
    stat_times(&su1, &ss1);
    long long du = tv_us(r1.ru_utime) - tv_us(r0.ru_utime), ds = tv_us(r1.ru_stime) - tv_us(r0.ru_stime);
    printf("busy loop: utime grew 150-400 ms: %s\n", yesno(du >= 150000 && du < 400000));
    printf("busy loop: stime grew less than utime/4: %s\n", yesno(ds < du / 4));
    if (!(du >= 150000 && du < 400000 && ds < du / 4)) fprintf(stderr, "  (utime +%lld us, stime +%lld us)\n", du, ds);
    printf("RUSAGE_THREAD utime >= 150 ms: %s\n", yesno(tv_us(rt.ru_utime) >= 150000));
    printf("times(): tms_utime grew >= 15 ticks: %s\n", yesno(t1.tms_utime - t0.tms_utime >= 15));
    printf("/proc/self/stat: utime grew >= 15 ticks: %s\n", yesno(su1 - su0 >= 15));

    long long c0 = ts_ns(CLOCK_PROCESS_CPUTIME_ID);
    getrusage(RUSAGE_SELF, &r0);
    syscalls_until_stime(20000);
    getrusage(RUSAGE_SELF, &r1);
    long long c1 = ts_ns(CLOCK_PROCESS_CPUTIME_ID);
    ds = tv_us(r1.ru_stime) - tv_us(r0.ru_stime);
    printf("system calls: stime grew >= 20 ms: %s\n", yesno(ds >= 20000));
    printf("system calls: process clock grew >= 20 ms: %s\n", yesno(c1 - c0 >= 20 * MS));

    printf("thread clock <= process clock: %s\n", yesno(ts_ns(CLOCK_THREAD_CPUTIME_ID) <= ts_ns(CLOCK_PROCESS_CPUTIME_ID)));
    clockid_t pc;
    clock_getcpuclockid(0, &pc);
    long long p0 = ts_ns(pc), m0 = ts_ns(CLOCK_THREAD_CPUTIME_ID);
    pthread_t th;
    pthread_create(&th, NULL, thread_busy, NULL);
    pthread_join(th, NULL);
    long long p1 = ts_ns(pc), m1 = ts_ns(CLOCK_THREAD_CPUTIME_ID);
    printf("thread: process clock grew >= 100 ms: %s\n", yesno(p1 - p0 >= 100 * MS));
    printf("thread: main thread's clock grew < 50 ms: %s\n", yesno(m1 - m0 < 50 * MS));

    struct rusage rc0, rc1, rw;
    struct tms tc0, tc1;
    getrusage(RUSAGE_CHILDREN, &rc0);
    times(&tc0);
    pid_t pid = fork();
    if (pid == 0) {
        busy(CLOCK_PROCESS_CPUTIME_ID, 150 * MS);
        syscalls_until_stime(20000);
        _exit(0);
    }
    /* The child has run a while but is not reaped: not counted yet. */
    int st;
    waitid(P_PID, pid, NULL, WEXITED | WNOWAIT);
    getrusage(RUSAGE_CHILDREN, &rc1);
    printf("children before the wait: unchanged: %s\n", yesno(tv_us(rc1.ru_utime) == tv_us(rc0.ru_utime)));
    wait4(pid, &st, 0, &rw);
    getrusage(RUSAGE_CHILDREN, &rc1);
    times(&tc1);
    printf("wait4 rusage: utime >= 100 ms: %s, stime >= 15 ms: %s\n", yesno(tv_us(rw.ru_utime) >= 100000), yesno(tv_us(rw.ru_stime) >= 15000));
    printf("RUSAGE_CHILDREN: utime grew >= 100 ms: %s, stime grew >= 15 ms: %s\n",
           yesno(tv_us(rc1.ru_utime) - tv_us(rc0.ru_utime) >= 100000), yesno(tv_us(rc1.ru_stime) - tv_us(rc0.ru_stime) >= 15000));
    printf("times(): cutime grew >= 10 ticks: %s, cstime grew >= 1 tick: %s\n",
           yesno(tc1.tms_cutime - tc0.tms_cutime >= 10), yesno(tc1.tms_cstime - tc0.tms_cstime >= 1));
    return 0;
}
