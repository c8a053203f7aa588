//! The task (Linux: `struct task_struct`): one thread of execution. The
//! parts that `clone` flags can share between tasks (address space, file
//! table, ...) are separate objects named by id, each with a user count.

use alloc::string::String;
use alloc::vec::Vec;

use super::kstack::KernelStack;
use crate::abi::RLIM_NLIMITS;

pub type Pid = u32;

/// Why a blocked task sleeps, and what wakes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitReason {
    /// nanosleep/clock_nanosleep: woken by the timer at this monotonic time.
    Sleep { until_ns: u64 },
    /// Reading the console with nothing typed yet.
    ConsoleInput,
    /// Reading an empty pipe, or writing a full one.
    Pipe(u32),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaskState {
    Runnable,
    Blocked(WaitReason),
    /// Exited, holding its wait status until reaped (Linux: EXIT_ZOMBIE).
    Zombie,
}

/// Recorded `struct k_sigaction` (handler, flags, restorer, mask).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SigAction {
    pub handler: u64,
    pub flags: u64,
    pub restorer: u64,
    pub mask: u64,
}

/// Credentials (Linux: `struct cred`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cred {
    pub uid: u32,
    pub euid: u32,
    pub suid: u32,
    pub gid: u32,
    pub egid: u32,
    pub sgid: u32,
}

/// One resource limit, soft and hard (Linux: `struct rlimit`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rlimit {
    pub cur: u64,
    pub max: u64,
}

pub type MmId = u32;
pub type FilesId = u32;

pub struct Task {
    pub tid: Pid,
    /// Thread-group id: the PID user space sees.
    pub tgid: Pid,
    pub parent: Pid,
    pub state: TaskState,
    /// Set when a blocked system call must run again from the start once
    /// the task is woken (Tine's blocking model, see `kernel.rs`).
    pub restart_syscall: bool,
    pub kstack: KernelStack,
    /// The kernel stack pointer saved while the task is switched out.
    pub ksp: u64,
    /// User TLS base (ARCH_SET_FS); loaded into FS_BASE when the task runs.
    pub fs_base: u64,
    pub gs_base: u64,
    pub mm: MmId,
    pub files: FilesId,
    pub cred: Cred,
    pub rlimits: [Rlimit; RLIM_NLIMITS],
    pub sigactions: [SigAction; 64],
    pub sigmask: u64,
    /// set_tid_address / CLONE_CHILD_CLEARTID.
    pub clear_child_tid: u64,
    pub robust_list: (u64, u64),
    /// Wait status once a zombie.
    pub exit_status: i32,
    /// The executable's path, for /proc/self/exe and AT_EXECFN.
    pub exe: String,
    /// Linux: `comm`, the executable's base name, at most 15 bytes.
    pub comm: Vec<u8>,
    /// A pending nanosleep's deadline, kept across the call's restarts.
    pub sleep_deadline: Option<u64>,
    /// Current directory (holding an inode reference).
    pub cwd: u64,
    pub umask: u32,
}

/// Linux's default limits for init (include/asm-generic/resource.h).
pub fn default_rlimits() -> [Rlimit; RLIM_NLIMITS] {
    use crate::abi::RLIM_INFINITY as INF;
    let mut r = [Rlimit { cur: INF, max: INF }; RLIM_NLIMITS];
    r[crate::abi::RLIMIT_STACK as usize] = Rlimit { cur: 8 << 20, max: INF };
    r[crate::abi::RLIMIT_CORE as usize] = Rlimit { cur: 0, max: INF };
    r[crate::abi::RLIMIT_NPROC as usize] = Rlimit { cur: 63_535, max: 63_535 };
    r[crate::abi::RLIMIT_NOFILE as usize] = Rlimit { cur: 1024, max: 4096 };
    r[8] = Rlimit { cur: 8 << 20, max: 8 << 20 }; // RLIMIT_MEMLOCK
    r[11] = Rlimit { cur: 63_535, max: 63_535 }; // RLIMIT_SIGPENDING
    r[12] = Rlimit { cur: 819_200, max: 819_200 }; // RLIMIT_MSGQUEUE
    r[13] = Rlimit { cur: 0, max: 0 }; // RLIMIT_NICE
    r[14] = Rlimit { cur: 0, max: 0 }; // RLIMIT_RTPRIO
    r
}
