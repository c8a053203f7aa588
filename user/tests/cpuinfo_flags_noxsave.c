// linux-ref
// linux-args: nopku no5lvl nofsgsbase clearcpuid=295,308
// qemu-cpu: max,-xsave
/*
 * cpuinfo_flags_noxsave: cpuinfo_flags on QEMU's `max` CPU without XSAVE:
 * no xsave, and what Linux clears with it (cpuid-deps: xsaveopt,
 * xgetbv1, ...) or keeps though it cannot be used, as Debian's Linux in
 * the same machine lists it (cpuinfo_flags_noxsave.linux). The program
 * is cpuinfo_flags.c's.
 */
#include "cpuinfo_flags.c"
