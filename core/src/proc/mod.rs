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
pub mod init;
pub mod kstack;
pub mod oom;
pub mod pgrp;
pub mod pid;
pub mod pidfd;
pub mod ptrace;
pub mod sched;
pub mod task;
#[cfg(test)]
mod tests;
pub mod timer;
pub mod tracepoint;
pub mod ucounts;
pub mod umip;
pub mod wait;
pub mod waitqueue;

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
    pub tasks: TaskTable,
    pub pids: pid::PidMap,
    /// Linux: max_threads (/proc/sys/kernel/threads-max).
    pub max_threads: u32,
    /// The members of each process group (see `proc::pgrp`).
    pub pgrps: pgrp::ProcessGroups,
    /// Tasks sleeping in FUTEX_WAIT (Linux: the futex hash buckets).
    pub futexes: alloc::vec::Vec<futex::FutexWaiter>,
    /// Tasks created by clone/fork/vfork since boot (Linux: total_forks,
    /// the `processes` line of /proc/stat).
    pub forks: u64,
    /// What a core dump is called (/proc/sys/kernel/core_pattern, ...).
    pub core: coredump::CoreSettings,
    /// Per-user counts for the limits that bound them (Linux: ucounts).
    pub ucounts: ucounts::UCounts,
    /// The process the OOM killer last chose, while it exits.
    pub oom_victim: Option<Pid>,
    /// Init's wait status once it has exited: the machine can stop.
    pub shutdown: Option<i32>,
    /// reboot(2) asked to power off, halt or restart (its LINUX_REBOOT_CMD):
    /// nothing runs any more, and the idle loop stops the machine
    /// (`shutdown` is set too).
    pub reboot: Option<u32>,
    /// Ctrl-Alt-Del reboots at once (LINUX_REBOOT_CMD_CAD_ON) rather than
    /// signalling init (Linux: C_A_D).
    pub ctrl_alt_del: bool,
}

/// Every task, alive or zombie (Linux: the task list and the PID hash).
pub type TaskTable = crate::object::table::TidTable<Task>;
