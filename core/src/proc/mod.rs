//! Processes and threads (Linux: `struct task_struct` and kernel/fork.c,
//! kernel/exit.c, fs/exec.c).
pub mod elf;
pub mod exec;
pub mod exit;
pub mod fault;
pub mod init;
pub mod kstack;
pub mod task;

pub use task::*;
