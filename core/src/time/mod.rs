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

/// The time room: the tick count, the deadlines, CPU-time accounting
/// and the counters of /proc/stat and /proc/loadavg (Linux: jiffies, the
/// hrtimer bases, kernel_cpustat, avenrun).
pub struct Timekeeping {
    /// Scheduler ticks since boot (Linux: jiffies).
    pub ticks: u64,
    /// Every deadline: sleepers' timeouts, ITIMER_REAL, POSIX timers
    /// (Linux: the CPU's hrtimer bases).
    pub hrtimers: hrtimer::TimerQueue,
    /// When the next scheduler tick is due (Linux: the tick_sched hrtimer).
    pub next_tick: u64,
    /// The timer interrupt asked of the hardware (u64::MAX: none pending).
    pub programmed: u64,
    /// CPU-time accounting: when the clock was last read, in which mode.
    pub acct: cputime::CpuAcct,
    /// /proc/stat's counters: CPU time by kind, interrupts, context
    /// switches (`time::kstat`).
    pub kstat: kstat::KernelStat,
    /// /proc/loadavg's averages (Linux: avenrun[]).
    pub loadavg: loadavg::LoadAvg,
}
