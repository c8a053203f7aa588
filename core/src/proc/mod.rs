//! Processes and threads (Linux: `struct task_struct` and kernel/fork.c,
//! kernel/exit.c, fs/exec.c).
pub mod capability;
pub mod coredump;
pub mod elf;
pub mod exec;
mod exec_mm;
#[cfg(test)]
mod exec_tests;
pub mod exit;
pub mod fault;
pub mod fork;
pub mod futex;
pub mod hung_task;
pub mod init;
pub mod kstack;
pub mod oom;
pub mod pgrp;
pub mod pid;
pub mod pid_ns;
pub mod pidfd;
pub mod ptrace;
pub mod rseq;
pub mod sched;
mod sched_fair;
pub mod sched_rq;
#[cfg(test)]
mod sched_tests;
pub mod show_state;
pub mod task;
#[cfg(test)]
mod tests;
pub mod timer;
pub mod tracepoint;
pub mod ucounts;
pub mod umip;
pub mod wait;
pub mod waitqueue;
pub mod xstate;

pub use task::*;

/// A user-supplied FS or GS base: it must lie below the top of user space,
/// or loading it into the MSR (a non-canonical value faults in ring 0)
/// could hand the process a kernel address. EPERM otherwise (Linux:
/// do_arch_prctl_64(), which copy_thread() uses for CLONE_SETTLS too).
pub fn check_user_base(addr: u64) -> Result<u64, crate::abi::Errno> {
    if addr >= crate::mm::consts::TASK_SIZE {
        return Err(crate::abi::EPERM);
    }
    Ok(addr)
}

/// The process room: every task and the numbers that name them, process
/// groups, futex sleepers, and the machine-wide process limits and
/// counters (Linux: the task list, the PID map, kernel/fork.c's globals).
pub struct Processes {
    /// Every task, alive or zombie, by TID (see `proc::table`).
    tasks: TaskTable,
    pids: pid::PidMap,
    /// Linux: max_threads (/proc/sys/kernel/threads-max).
    max_threads: u32,
    /// The members of each process group (see `proc::pgrp`).
    pgrps: pgrp::ProcessGroups,
    /// Tasks sleeping in FUTEX_WAIT (Linux: the futex hash buckets).
    futexes: alloc::vec::Vec<futex::FutexWaiter>,
    /// Tasks created by clone/fork/vfork since boot (Linux: total_forks,
    /// the `processes` line of /proc/stat).
    forks: u64,
    /// What a core dump is called (/proc/sys/kernel/core_pattern, ...).
    core: coredump::CoreSettings,
    /// Per-user counts for the limits that bound them (Linux: ucounts).
    ucounts: ucounts::UCounts,
    /// The process the OOM killer last chose, while it exits.
    oom_victim: Option<Pid>,
    /// Init's wait status once it has exited: the machine can stop.
    shutdown: Option<i32>,
    /// reboot(2) asked to power off, halt or restart (its LINUX_REBOOT_CMD):
    /// nothing runs any more, and the idle loop stops the machine
    /// (`shutdown` is set too).
    reboot: Option<u32>,
    /// Ctrl-Alt-Del reboots at once (LINUX_REBOOT_CMD_CAD_ON) rather than
    /// signalling init (Linux: C_A_D).
    ctrl_alt_del: bool,
    /// The hung-task detector's settings and last look (`hung_task`).
    hung: hung_task::HungTask,
}

/// Every task, alive or zombie (Linux: the task list and the PID hash).
pub type TaskTable = crate::object::table::TidTable<Task>;

/// What the rest of the kernel reaches of this room: each table (itself a
/// type with private state), and the settings it reads or sets.
impl Processes {
    pub fn tasks(&self) -> &TaskTable {
        &self.tasks
    }

    pub fn tasks_mut(&mut self) -> &mut TaskTable {
        &mut self.tasks
    }

    pub fn pids(&self) -> &pid::PidMap {
        &self.pids
    }

    pub fn pids_mut(&mut self) -> &mut pid::PidMap {
        &mut self.pids
    }

    pub fn max_threads(&self) -> u32 {
        self.max_threads
    }

    pub fn set_max_threads(&mut self, v: u32) {
        self.max_threads = v;
    }

    pub fn pgrps(&self) -> &pgrp::ProcessGroups {
        &self.pgrps
    }

    pub fn pgrps_mut(&mut self) -> &mut pgrp::ProcessGroups {
        &mut self.pgrps
    }

    pub fn futexes(&self) -> &alloc::vec::Vec<futex::FutexWaiter> {
        &self.futexes
    }

    pub fn futexes_mut(&mut self) -> &mut alloc::vec::Vec<futex::FutexWaiter> {
        &mut self.futexes
    }

    pub fn forks(&self) -> u64 {
        self.forks
    }

    pub fn core(&self) -> &coredump::CoreSettings {
        &self.core
    }

    pub fn core_mut(&mut self) -> &mut coredump::CoreSettings {
        &mut self.core
    }

    pub fn ucounts(&self) -> &ucounts::UCounts {
        &self.ucounts
    }

    pub fn ucounts_mut(&mut self) -> &mut ucounts::UCounts {
        &mut self.ucounts
    }

    pub fn shutdown(&self) -> Option<i32> {
        self.shutdown
    }

    pub fn set_shutdown(&mut self, v: Option<i32>) {
        self.shutdown = v;
    }

    pub fn reboot(&self) -> Option<u32> {
        self.reboot
    }

    pub fn set_reboot(&mut self, v: Option<u32>) {
        self.reboot = v;
    }

    pub fn ctrl_alt_del(&self) -> bool {
        self.ctrl_alt_del
    }

    pub fn set_ctrl_alt_del(&mut self, v: bool) {
        self.ctrl_alt_del = v;
    }
}

impl Processes {
    /// The room at boot, on a machine with `total_frames` of memory.
    pub fn new(total_frames: usize) -> Self {
        // Linux: set_max_threads(): thread structures may use at most an
        // eighth of memory, at THREAD_SIZE (16 KiB, four pages) each.
        let max_threads = (total_frames as u64 / (8 * 4))
            .clamp(crate::kernel::MIN_THREADS as u64, crate::kernel::MAX_THREADS as u64)
            as u32;
        Processes {
            tasks: TaskTable::new(),
            pids: Default::default(),
            max_threads,
            pgrps: Default::default(),
            futexes: alloc::vec::Vec::new(),
            forks: 0,
            core: Default::default(),
            ucounts: Default::default(),
            shutdown: None,
            reboot: None,
            ctrl_alt_del: true,
            hung: Default::default(),
            oom_victim: None,
        }
    }
}
