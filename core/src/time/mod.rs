//! Time as the kernel keeps it: the deadlines that wake sleepers and fire
//! timers (`hrtimer`, Linux: kernel/time/hrtimer.c), the periodic
//! scheduler tick that rides on them (kernel/time/tick-sched.c), and
//! CPU-time accounting at every kernel entry and exit (`cputime`, Linux:
//! kernel/sched/cputime.c with VIRT_CPU_ACCOUNTING_GEN).

pub mod cputime;
pub mod hrtimer;
pub mod kstat;
pub mod loadavg;
pub mod tick;

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
    ticks: u64,
    /// Every deadline: sleepers' timeouts, ITIMER_REAL, POSIX timers
    /// (Linux: the CPU's hrtimer bases).
    hrtimers: hrtimer::TimerQueue,
    /// When the next scheduler tick is due (Linux: the tick_sched hrtimer).
    next_tick: u64,
    /// The timer interrupt asked of the hardware (u64::MAX: none pending).
    programmed: u64,
    /// CPU-time accounting: when the clock was last read, in which mode.
    acct: cputime::CpuAcct,
    /// The accounting state of each CPU not holding the kernel lock (the
    /// holder's is `acct`; see `Kernel::enter_cpu`).
    parked_acct: [cputime::CpuAcct; crate::proc::sched::MAX_CPUS],
    /// /proc/stat's counters: CPU time by kind, interrupts, context
    /// switches (`time::kstat`).
    kstat: kstat::KernelStat,
    /// /proc/loadavg's averages (Linux: avenrun[]).
    loadavg: loadavg::LoadAvg,
}

/// What the rest of the kernel reaches of this room: each table (itself a
/// type with private state), and the settings it reads or sets.
impl Timekeeping {
    pub fn hrtimers(&self) -> &hrtimer::TimerQueue {
        &self.hrtimers
    }

    pub fn hrtimers_mut(&mut self) -> &mut hrtimer::TimerQueue {
        &mut self.hrtimers
    }

    pub fn programmed(&self) -> u64 {
        self.programmed
    }

    pub fn acct(&self) -> &cputime::CpuAcct {
        &self.acct
    }

    pub fn acct_mut(&mut self) -> &mut cputime::CpuAcct {
        &mut self.acct
    }

    pub fn kstat(&self) -> &kstat::KernelStat {
        &self.kstat
    }

    pub fn kstat_mut(&mut self) -> &mut kstat::KernelStat {
        &mut self.kstat
    }

    pub fn loadavg(&self) -> &loadavg::LoadAvg {
        &self.loadavg
    }

    /// CPU `new` takes the kernel lock from `old`: its accounting state
    /// becomes the live one.
    pub(crate) fn change_cpu(&mut self, old: usize, new: usize) {
        self.parked_acct[old] = self.acct;
        self.acct = self.parked_acct[new];
    }
}

impl Timekeeping {
    /// The room at boot: the first tick one period from now.
    pub fn new(clock: &dyn crate::machine::Clock) -> Self {
        let now = clock.monotonic_ns();
        Timekeeping {
            ticks: 0,
            hrtimers: Default::default(),
            next_tick: now + TICK_NS,
            programmed: u64::MAX,
            acct: cputime::CpuAcct { stamp: clock.cycles(), ..Default::default() },
            parked_acct: [cputime::CpuAcct { stamp: clock.cycles(), ..Default::default() };
                crate::proc::sched::MAX_CPUS],
            kstat: Default::default(),
            loadavg: loadavg::LoadAvg::new(now),
        }
    }
}
