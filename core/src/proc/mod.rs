//! Processes and threads (Linux: `struct task_struct` and kernel/fork.c,
//! kernel/exit.c, fs/exec.c).
pub mod kstack;
