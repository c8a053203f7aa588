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
pub mod pid_ns;
pub mod pidfd;
pub mod ptrace;
pub mod shared;
pub mod table;
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
