//! The scheduler: the run queue, sleeping and waking, and the switch
//! between tasks.

/// The scheduler room: which task runs, which are runnable, who sleeps
/// on what, and what the CPU must load on the way back to user mode
/// (Linux: the run queue, `current`, the wait queues).
pub struct Scheduler {
    pub current: Option<super::Pid>,
    /// Released tasks whose kernel stack may still be in use: freed by the
    /// next schedule() that does not run on them (Linux: the final
    /// put_task_struct() in finish_task_switch()).
    pub dead: alloc::vec::Vec<super::Pid>,
    /// Kernel stacks of freed tasks, for the next fork.
    pub kstacks: super::kstack::StackCache,
    pub runq: alloc::collections::VecDeque<super::Pid>,
    /// The sleepers of each thing that can be waited for (see
    /// `proc::waitqueue`). Tasks go to sleep only through
    /// [`Kernel::sleep_current`], which queues them.
    pub waitqueues: super::waitqueue::WaitQueues,
    /// The idle context's saved kernel stack pointer (Linux: the swapper).
    pub idle_ksp: u64,
    pub need_resched: bool,
    /// The task that last returned to user mode with nothing left to do
    /// (no signal to act on, no restart, no reschedule), as long as
    /// nothing has happened since that could give it work: every trap
    /// from user mode takes it (`enter_from_user_mode`), a context switch
    /// and every signal queued clear it. A system call that can leave no
    /// work (`syscall::quick`) made by that task may then return at once
    /// (Linux: a task whose thread-info work flags are all clear).
    pub user_clean: Option<super::Pid>,
    /// Where a new task's first context switch returns to: the hardware
    /// layer's path back to user mode.
    pub ret_to_user: u64,
    /// A new FS base (TLS) for the trap loop to load before the return to
    /// user mode (`entry::Cpu::load_fs_base`).
    pub load_fs: Option<u64>,
    /// A new CR4.TSD setting for the running thread (PR_SET_TSC), loaded
    /// the same way (`entry::Cpu::load_tsc_disabled`).
    pub load_tsd: Option<bool>,
    /// Tasks asleep in an uninterruptible (killable) wait, the vfork
    /// parents: they count in the load (Linux: nr_uninterruptible).
    pub nr_uninterruptible: u64,
}
