//! Time as the kernel keeps it: the deadlines that wake sleepers and fire
//! timers (`hrtimer`, Linux: kernel/time/hrtimer.c), the periodic
//! scheduler tick that rides on them (kernel/time/tick-sched.c), and
//! CPU-time accounting at every kernel entry and exit (`cputime`, Linux:
//! kernel/sched/cputime.c with VIRT_CPU_ACCOUNTING_GEN).

pub mod cputime;
pub mod hrtimer;
pub mod kstat;
pub mod loadavg;

/// Scheduler ticks per second (Linux: CONFIG_HZ=250, Debian's setting:
/// the resolution of the _COARSE clocks and of CPU-time itimers).
pub const HZ: u64 = 250;
/// Linux: TICK_NSEC.
pub const TICK_NS: u64 = 1_000_000_000 / HZ;
/// Ticks in a time slice: a task that ran this long gives the CPU up to
/// the next runnable one (round robin; 8 ms).
pub const SLICE_TICKS: u64 = 2;
