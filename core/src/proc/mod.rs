//! Processes and threads (Linux: `struct task_struct` and kernel/fork.c,
//! kernel/exit.c, fs/exec.c).
pub mod capability;
pub mod elf;
pub mod exec;
pub mod exit;
pub mod fork;
pub mod futex;
pub mod fault;
pub mod init;
pub mod kstack;
pub mod pid;
pub mod pidfd;
pub mod shared;
pub mod task;
pub mod timer;
pub mod wait;
#[cfg(test)] mod tests;
#[cfg(test)] mod exec_tests;

pub use task::*;
