/*
 * The vvar page: what the kernel publishes for the vDSO to read the
 * clocks without a system call. Tine's core writes it
 * (core/src/mm/vdso.rs, `VdsoData`: the two layouts must agree).
 */
#ifndef TINE_VDSO_H
#define TINE_VDSO_H

#include <stdint.h>

/* clock_mode: how the clocks may be read in user mode. */
#define VDSO_CLOCK_NONE 0 /* not at all: make the system call */
#define VDSO_CLOCK_TSC 1  /* monotonic ns = ((rdtsc - tsc_base) * mult) >> 32 */

struct vdso_data {
	/* Odd while the kernel changes the rest; readers retry. */
	uint32_t seq;
	uint32_t clock_mode;
	uint64_t tsc_base;
	uint64_t mult;
	/* CLOCK_REALTIME = epoch_ns + CLOCK_MONOTONIC. */
	uint64_t epoch_ns;
	/* The coarse clocks' resolution, one scheduler tick. */
	uint64_t tick_ns;
};

#endif
