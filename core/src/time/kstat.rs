//! The whole machine's counters behind /proc/stat (Linux:
//! include/linux/kernel_stat.h: `kernel_cpustat`, `kstat_irqs`, and the
//! scheduler's nr_switches). Each is added to where the event happens,
//! so a read of /proc/stat costs the same however many tasks there are.

/// Interrupt lines counted: the two PICs' 16.
pub const NR_IRQS: usize = 16;

/// One CPU's counters (Linux: `kernel_cpustat` plus `kernel_stat.irqs_sum`
/// and `rq->nr_switches`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KernelStat {
    /// Time charged to tasks in user mode, in ns (Linux: CPUTIME_USER).
    pub user_ns: u64,
    /// Time charged to tasks in the kernel (CPUTIME_SYSTEM).
    pub system_ns: u64,
    /// Time in the idle context (CPUTIME_IDLE).
    pub idle_ns: u64,
    /// Interrupts taken, per line (Linux: kstat_irqs_cpu()).
    pub irqs: [u64; NR_IRQS],
    /// Context switches, to or from the idle context included (Linux:
    /// nr_context_switches()).
    pub ctxt: u64,
    /// The same times per CPU: user, system, idle, in ns (Linux: the
    /// `cpuN` lines from each CPU's kernel_cpustat).
    pub cpu_ns: [[u64; 3]; crate::proc::sched::MAX_CPUS],
    /// Time each CPU spun for the kernel lock, in ns: charged to no task
    /// (`Kernel::lock_waited`; Linux's nearest is CPUTIME_STEAL).
    pub steal_ns: [u64; crate::proc::sched::MAX_CPUS],
}

impl KernelStat {
    /// Count an interrupt on `line` (Linux: kstat_incr_irqs_this_cpu()).
    pub fn count_irq(&mut self, line: u8) {
        if let Some(n) = self.irqs.get_mut(line as usize) {
            *n += 1;
        }
    }

    /// Every interrupt counted (Linux: kstat_cpu_irqs_sum()).
    pub fn irqs_sum(&self) -> u64 {
        self.irqs.iter().sum()
    }
}
