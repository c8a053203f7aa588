/*
 * Tine's vDSO: the time calls user space makes most often, answered in
 * user mode from the vvar page the kernel maps just below this image
 * (Linux: arch/x86/entry/vdso, lib/vdso/gettimeofday.c). A clock the
 * page cannot answer makes the real system call, as Linux's fallbacks
 * do. Built with -fPIC -nostdlib into a shared object (vdso.lds) that
 * the kernel maps into every process and names in AT_SYSINFO_EHDR.
 */
#include "vdso.h"

#include <stddef.h>

struct timespec_k {
	int64_t tv_sec;
	int64_t tv_nsec;
};

struct timeval_k {
	int64_t tv_sec;
	int64_t tv_usec;
};

struct timezone_k {
	int tz_minuteswest;
	int tz_dsttime;
};

/* Placed by vdso.lds at the start of the [vvar] mapping. */
extern const volatile struct vdso_data vvar_page __attribute__((visibility("hidden")));

#define NSEC_PER_SEC 1000000000ULL

#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1
#define CLOCK_MONOTONIC_RAW 4
#define CLOCK_REALTIME_COARSE 5
#define CLOCK_MONOTONIC_COARSE 6
#define CLOCK_BOOTTIME 7
#define CLOCK_TAI 11

#define NR_gettimeofday 96
#define NR_time 201
#define NR_clock_gettime 228
#define NR_clock_getres 229
#define NR_getcpu 309

static long syscall2(long nr, long a, long b)
{
	long ret;
	__asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b) : "rcx", "r11", "memory");
	return ret;
}

static long syscall3(long nr, long a, long b, long c)
{
	long ret;
	__asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
	return ret;
}

static inline uint64_t rdtsc_ordered(void)
{
	uint32_t lo, hi;
	/* lfence: the read is not moved before the seq load above it. */
	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi)::"memory");
	return ((uint64_t)hi << 32) | lo;
}

/*
 * The monotonic clock in ns into *ns and the wall clock's offset into
 * *epoch, consistent with each other; 0, or -1 when the page cannot
 * answer.
 */
static int read_clock(uint64_t *ns, uint64_t *epoch, uint64_t *tick)
{
	const volatile struct vdso_data *vd = &vvar_page;
	uint32_t seq;
	do {
		seq = vd->seq;
		__asm__ volatile("" ::: "memory");
		if (vd->clock_mode != VDSO_CLOCK_TSC)
			return -1;
		uint64_t ticks = rdtsc_ordered() - vd->tsc_base;
		*ns = (uint64_t)(((unsigned __int128)ticks * vd->mult) >> 32);
		*epoch = vd->epoch_ns;
		*tick = vd->tick_ns;
		__asm__ volatile("" ::: "memory");
	} while ((seq & 1) || seq != vd->seq);
	return 0;
}

/* The clock's value in ns, or -1 for a clock the page does not serve. */
static int clock_ns(long clock, uint64_t *out)
{
	uint64_t ns, epoch, tick;
	switch (clock) {
	case CLOCK_REALTIME:
	case CLOCK_REALTIME_COARSE:
	case CLOCK_TAI:
	case CLOCK_MONOTONIC:
	case CLOCK_MONOTONIC_RAW:
	case CLOCK_BOOTTIME:
	case CLOCK_MONOTONIC_COARSE:
		break;
	default:
		return -1;
	}
	if (read_clock(&ns, &epoch, &tick))
		return -1;
	switch (clock) {
	case CLOCK_REALTIME:
	case CLOCK_REALTIME_COARSE:
	case CLOCK_TAI:
		*out = epoch + ns;
		break;
	case CLOCK_MONOTONIC_COARSE:
		*out = ns - ns % tick;
		break;
	default:
		*out = ns;
	}
	return 0;
}

int __vdso_clock_gettime(long clock, struct timespec_k *ts)
{
	uint64_t ns;
	if (clock_ns(clock, &ns))
		return syscall2(NR_clock_gettime, clock, (long)ts);
	ts->tv_sec = ns / NSEC_PER_SEC;
	ts->tv_nsec = ns % NSEC_PER_SEC;
	return 0;
}

int __vdso_gettimeofday(struct timeval_k *tv, struct timezone_k *tz)
{
	uint64_t ns;
	if (clock_ns(CLOCK_REALTIME, &ns))
		return syscall2(NR_gettimeofday, (long)tv, (long)tz);
	if (tv) {
		tv->tv_sec = ns / NSEC_PER_SEC;
		tv->tv_usec = ns % NSEC_PER_SEC / 1000;
	}
	if (tz) {
		tz->tz_minuteswest = 0;
		tz->tz_dsttime = 0;
	}
	return 0;
}

long __vdso_time(long *t)
{
	uint64_t ns;
	if (clock_ns(CLOCK_REALTIME, &ns))
		return syscall2(NR_time, (long)t, 0);
	long secs = ns / NSEC_PER_SEC;
	if (t)
		*t = secs;
	return secs;
}

int __vdso_clock_getres(long clock, struct timespec_k *res)
{
	uint64_t ns, epoch, tick, r;
	switch (clock) {
	case CLOCK_REALTIME:
	case CLOCK_TAI:
	case CLOCK_MONOTONIC:
	case CLOCK_MONOTONIC_RAW:
	case CLOCK_BOOTTIME:
		r = 1;
		break;
	case CLOCK_REALTIME_COARSE:
	case CLOCK_MONOTONIC_COARSE:
		if (read_clock(&ns, &epoch, &tick))
			return syscall2(NR_clock_getres, clock, (long)res);
		r = tick;
		break;
	default:
		return syscall2(NR_clock_getres, clock, (long)res);
	}
	if (res) {
		res->tv_sec = 0;
		res->tv_nsec = r;
	}
	return 0;
}

/* One CPU, one node. */
/* The CPU number lives in no page the vDSO can read (Linux reads it with
 * RDPID or LSL of a per-CPU GDT entry): ask the kernel. */
long __vdso_getcpu(unsigned *cpu, unsigned *node, void *unused)
{
	(void)unused;
	return syscall3(NR_getcpu, (long)cpu, (long)node, 0);
}

int clock_gettime(long, struct timespec_k *) __attribute__((weak, alias("__vdso_clock_gettime")));
int gettimeofday(struct timeval_k *, struct timezone_k *) __attribute__((weak, alias("__vdso_gettimeofday")));
long time(long *) __attribute__((weak, alias("__vdso_time")));
int clock_getres(long, struct timespec_k *) __attribute__((weak, alias("__vdso_clock_getres")));
long getcpu(unsigned *, unsigned *, void *) __attribute__((weak, alias("__vdso_getcpu")));
