/*
 * clock_res: clock_getres(2) for every clock id as Linux reports it.
 * Checks:
 *   1 ns for the high-resolution clocks (REALTIME, MONOTONIC,
 *     MONOTONIC_RAW, BOOTTIME, TAI) and for the CPU clocks that count
 *     scheduler runtime (CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID,
 *     the CPUCLOCK_SCHED ids of clock_getcpuclockid(3) and
 *     pthread_getcpuclockid(3));
 *   a tick (4 ms at HZ=250) for REALTIME_COARSE, MONOTONIC_COARSE and the
 *     CPUCLOCK_PROF / CPUCLOCK_VIRT ids;
 *   EINVAL for unknown ids, the alarm clocks without an RTC to wake the
 *     machine, CPUCLOCK "which" 3, a thread clock of a thread that does not
 *     exist, a process clock of a process that does not exist (which
 *     clock_getcpuclockid(3) reports as ESRCH); a NULL res is allowed.
 * Mirrors: clock_getres(2), time(7) ("the resolution of ... _COARSE clocks
 *   is the jiffy"), kernel/time/posix-cpu-timers.c posix_cpu_clock_getres().
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void res(const char *name, clockid_t c) {
    struct timespec ts = {7, 7};
    int r = clock_getres(c, &ts);
    if (r == 0)
        printf("%-28s %ld.%09ld\n", name, (long)ts.tv_sec, ts.tv_nsec);
    else
        printf("%-28s %s\n", name, strerror(errno));
}

#define CPUCLOCK(pid, which) ((clockid_t)((~(unsigned)(pid) << 3) | (which)))

int main(void) {
    char name[64];
    for (int c = 0; c < 16; c++) {
        snprintf(name, sizeof name, "clock %d", c);
        res(name, c);
    }
    res("clock -1 (thread which 3)", -1);
    res("pid 0 PROF", CPUCLOCK(0, 0));
    res("pid 0 VIRT", CPUCLOCK(0, 1));
    res("pid 0 SCHED", CPUCLOCK(0, 2));
    res("tid 0 PROF", CPUCLOCK(0, 4));
    res("tid 0 VIRT", CPUCLOCK(0, 5));
    res("tid 0 SCHED", CPUCLOCK(0, 6));
    res("own pid SCHED", CPUCLOCK(getpid(), 2));
    res("own pid VIRT", CPUCLOCK(getpid(), 1));
    res("no such pid", CPUCLOCK(999999, 2));
    res("no such tid", CPUCLOCK(999999, 6));

    clockid_t c;
    int r = clock_getcpuclockid(getpid(), &c);
    printf("clock_getcpuclockid(self): %s\n", r ? strerror(r) : "ok");
    if (!r) res("  its clock", c);
    r = clock_getcpuclockid(999999, &c);
    printf("clock_getcpuclockid(999999): %s\n", r ? strerror(r) : "ok");
    r = pthread_getcpuclockid(pthread_self(), &c);
    printf("pthread_getcpuclockid(self): %s\n", r ? strerror(r) : "ok");
    if (!r) res("  its clock", c);
    printf("NULL res: %d\n", clock_getres(CLOCK_MONOTONIC, NULL));
    return 0;
}
