//! The task (Linux: `struct task_struct`): one thread of execution. The
//! parts that `clone` flags can share between tasks (address space, file
//! table, ...) are separate objects named by id, each with a user count.

use alloc::collections::BTreeSet;
use alloc::string::String;
use alloc::vec::Vec;

use super::kstack::KernelStack;
use crate::abi::RLIM_NLIMITS;
use crate::fs::ramfs::Ino;

pub use super::pid::Pid;

/// Linux: the 50 µs timer slack every thread starts with (init_task).
pub const DEFAULT_TIMER_SLACK_NS: u64 = 50_000;
pub use crate::object::shared::Handle;

/// Why a blocked task sleeps, and what wakes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitReason {
    /// nanosleep/clock_nanosleep: woken by the timer at this monotonic time.
    Sleep { until_ns: u64 },
    /// Reading the console with nothing typed yet (or writing it while
    /// output is stopped): until console activity, or the deadline
    /// (VTIME).
    ConsoleInput { until_ns: Option<u64> },
    /// Reading an empty pipe, or writing a full one.
    Pipe(u32),
    /// wait4/waitid in process `tgid`: woken when one of its children
    /// changes state (Linux: `signal->wait_chldexit`).
    ChildExit { tgid: Pid },
    /// pause(): until a signal is delivered.
    Pause,
    /// FUTEX_WAIT: until FUTEX_WAKE, or the deadline (monotonic ns).
    Futex { until_ns: Option<u64> },
    /// A vfork parent: until the child execs or exits.
    Vfork,
    /// poll/ppoll: until pipe or console activity, or the deadline.
    Poll { until_ns: Option<u64> },
    /// rt_sigtimedwait: until one of the signals arrives, or the deadline.
    SigWait { until_ns: Option<u64> },
    /// F_SETLKW or a blocking flock(): until some lock is released
    /// (Linux: the lock's `flc_wait` queue; see `fs::lock`).
    FileLock,
    /// Reading a signalfd with none of its signals pending: until a
    /// signal is queued (Linux: `sighand->signalfd_wqh`).
    Signalfd,
    /// syslog(SYSLOG_ACTION_READ) or a read of /dev/kmsg at the end of
    /// the kernel log: until a record is logged (Linux: `log_wait`).
    Syslog,
    /// A read of trace_pipe with nothing recorded: until something is
    /// (Linux: tracing_wait_pipe()).
    TracePipe,
    /// Reading eventfd N at 0, or writing it past its maximum (Linux: the
    /// `eventfd_ctx`'s `wqh`).
    Eventfd(u32),
    /// Reading timerfd N with no expiration counted (Linux: the
    /// `timerfd_ctx`'s `wqh`).
    Timerfd(u32),
    /// Reading AF_UNIX socket N with nothing queued, writing to it with
    /// no room, accepting on it with no connection, or connecting to it
    /// with a full backlog (Linux: the socket's `sk_wq`).
    Socket(u32),
    /// semop on set `id`, blocked by operation on semaphore `num` (waiting
    /// for it to reach zero, or to grow): until the set changes, or the
    /// semtimedop deadline (GETNCNT and GETZCNT count these).
    Sem { id: i32, num: u16, zero: bool, until_ns: Option<u64> },
    /// msgsnd on a full queue or msgrcv with no matching message, on
    /// queue `id`: until the queue changes.
    Msg { id: i32 },
    /// An open or truncate waiting for a lease to be given up, until the
    /// lease-break time runs out (on the file-lock queue).
    LeaseBreak { until_ns: u64 },
}

impl WaitReason {
    /// When the timer must wake the sleeper even if nothing else does.
    pub fn deadline(self) -> Option<u64> {
        match self {
            WaitReason::Sleep { until_ns } | WaitReason::LeaseBreak { until_ns } => Some(until_ns),
            WaitReason::Futex { until_ns }
            | WaitReason::Sem { until_ns, .. }
            | WaitReason::Poll { until_ns }
            | WaitReason::SigWait { until_ns }
            | WaitReason::ConsoleInput { until_ns } => until_ns,
            _ => None,
        }
    }
}

/// What a system call keeps across its runs while it blocks (Linux keeps
/// it in the sleeping function's locals, and for a restart after a
/// signal in `current->restart_block`).
///
/// A Tine call that must wait sleeps and returns `ERESTARTNOINTR`; once
/// woken, the trap loop (`entry`) makes the same call again from the top
/// with the same registers. What the call must neither redo nor forget
/// between those runs lives here: a deadline fixed on the first run, the
/// bytes already written, a place counted in a FIFO, ... A task makes one
/// call at a time, so it keeps one of these at a time.
///
/// While the task sleeps, *what wakes it* is its
/// `TaskState::Blocked(WaitReason)`, which ends at the wake-up; this
/// stays until the call ends (it clears it) or a signal ends or restarts
/// it (`Kernel::abandon_wait` forgets the deadline, the futex and FIFO
/// waits; the restart-block calls keep their deadline to go on with).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Resume {
    /// Nothing kept: no call is blocked, or it keeps nothing (wait4, a
    /// read, pause, sigsuspend, a lock wait find it all afresh).
    #[default]
    None,
    /// nanosleep and clock_nanosleep (`WaitReason::Sleep`), poll, ppoll,
    /// select and pselect6 (`Poll`), a console read with VTIME
    /// (`ConsoleInput`): the monotonic deadline chosen on the first run,
    /// so that a wake-up does not move it (Linux: restart_block.nanosleep
    /// and .poll's expiry).
    Deadline(u64),
    /// A blocking write to a pipe, the console or a stream socket (`Pipe`,
    /// `ConsoleInput`) that had written this many bytes when it slept: it
    /// goes on from there, and a signal ends it with this count (Linux:
    /// pipe_write()'s `ret`).
    Written(usize),
    /// Opening a FIFO, waiting for the other side (`Pipe`): the open is
    /// already counted as a reader or writer (Linux: fifo_open() in
    /// wait_for_partner()).
    FifoOpen(crate::fs::pipe::FifoWait),
    /// FUTEX_WAIT or futex_waitv (`Futex`): its deadline, and whether and
    /// by which word a FUTEX_WAKE woke it (Linux: the futex_q, and
    /// restart_block.futex).
    Futex(super::futex::FutexWait),
    /// A vfork parent (`Vfork`): the child, and whether it has released
    /// the memory by exec or exit (Linux: the vfork_done completion).
    Vfork { child: Pid, released: bool },
    /// rt_sigtimedwait (`SigWait`): the mask to restore and the deadline
    /// (Linux: `real_blocked`, and the timeout's expiry).
    SigWait { real_blocked: crate::abi::SigSet, deadline: Option<u64> },
    /// semtimedop, msgsnd, msgrcv (`Sem`, `Msg`): semtimedop's deadline,
    /// and whether the set or queue was removed while it slept (EIDRM;
    /// Linux: the queue entry's status).
    Ipc { deadline: Option<u64>, removed: bool },
}

impl Resume {
    /// The deadline a sleep, poll or VTIME read kept.
    pub fn deadline(&self) -> Option<u64> {
        match *self {
            Resume::Deadline(d) => Some(d),
            _ => None,
        }
    }

    /// The kept deadline, or `d`, now kept.
    pub fn deadline_or_insert(&mut self, d: u64) -> u64 {
        match *self {
            Resume::Deadline(kept) => kept,
            _ => {
                *self = Resume::Deadline(d);
                d
            }
        }
    }

    /// Forget a kept deadline (and nothing else).
    pub fn clear_deadline(&mut self) {
        if let Resume::Deadline(_) = self {
            *self = Resume::None;
        }
    }

    /// Take the count a blocked write kept: 0 if none.
    pub fn take_written(&mut self) -> usize {
        match *self {
            Resume::Written(n) => {
                *self = Resume::None;
                n
            }
            _ => 0,
        }
    }

    pub fn fifo_open(&self) -> Option<crate::fs::pipe::FifoWait> {
        match *self {
            Resume::FifoOpen(w) => Some(w),
            _ => None,
        }
    }

    /// Take a FIFO open's wait, to uncount it or finish it.
    pub fn take_fifo_open(&mut self) -> Option<crate::fs::pipe::FifoWait> {
        let w = self.fifo_open();
        if w.is_some() {
            *self = Resume::None;
        }
        w
    }

    pub fn futex(&self) -> Option<super::futex::FutexWait> {
        match *self {
            Resume::Futex(w) => Some(w),
            _ => None,
        }
    }

    pub fn futex_mut(&mut self) -> Option<&mut super::futex::FutexWait> {
        match self {
            Resume::Futex(w) => Some(w),
            _ => None,
        }
    }

    /// Forget a futex wait (and nothing else).
    pub fn clear_futex(&mut self) {
        if let Resume::Futex(_) = self {
            *self = Resume::None;
        }
    }

    /// A vfork parent's (child, released).
    pub fn vfork(&self) -> Option<(Pid, bool)> {
        match *self {
            Resume::Vfork { child, released } => Some((child, released)),
            _ => None,
        }
    }

    /// Forget a vfork wait (and nothing else).
    pub fn clear_vfork(&mut self) {
        if let Resume::Vfork { .. } = self {
            *self = Resume::None;
        }
    }

    /// rt_sigtimedwait's (real_blocked, deadline).
    pub fn sigwait(&self) -> Option<(crate::abi::SigSet, Option<u64>)> {
        match *self {
            Resume::SigWait { real_blocked, deadline } => Some((real_blocked, deadline)),
            _ => None,
        }
    }

    /// Forget a sigtimedwait (and nothing else).
    pub fn clear_sigwait(&mut self) {
        if let Resume::SigWait { .. } = self {
            *self = Resume::None;
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaskState {
    Runnable,
    Blocked(WaitReason),
    /// Exited, holding its wait status until reaped (Linux: EXIT_ZOMBIE).
    Zombie,
    /// Released; freed once the CPU has left its kernel stack (Linux: EXIT_DEAD).
    Dead,
    /// Stopped by a job-control signal until SIGCONT or SIGKILL
    /// (Linux: TASK_STOPPED).
    Stopped,
    /// In a ptrace stop until its tracer resumes it, detaches, or SIGKILL
    /// (Linux: TASK_TRACED; see `proc::ptrace`).
    Traced,
}

/// Recorded `struct k_sigaction` (handler, flags, restorer, mask).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SigAction {
    pub handler: u64,
    pub flags: u64,
    pub restorer: u64,
    pub mask: crate::abi::SigSet,
}

/// Credentials (Linux: `struct cred`). The default is init's: root with
/// every capability.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cred {
    pub uid: u32,
    pub euid: u32,
    pub suid: u32,
    pub gid: u32,
    pub egid: u32,
    pub sgid: u32,
    /// File-system ids (setfsuid/setfsgid); follow the effective ids.
    pub fsuid: u32,
    pub fsgid: u32,
    /// Capability sets and securebits (`proc::capability`).
    pub caps: super::capability::Caps,
    /// PR_SET_DUMPABLE: cleared by an exec that changes ids, so that other
    /// processes of the old user may not look inside (ptrace_may_access).
    /// Linux keeps it in `mm_struct`; here it travels with the credentials.
    pub dumpable: bool,
    /// The user namespace the ids are seen from and the capabilities hold
    /// in (`ns::user`); the ids above are the kernel's (Linux: kuid_t).
    /// A task in the task table holds a reference on it.
    pub user_ns: crate::ns::UserNsId,
    /// The user namespace of the task's memory: the one its program was
    /// exec'd in, kept by fork and by unshare/setns of a user namespace.
    /// Who may look inside a non-dumpable process is decided there, and
    /// its /proc files belong to that namespace's root. Linux keeps it in
    /// `mm_struct` (mm->user_ns), as it does dumpable; here it travels
    /// with the credentials. A task in the task table holds a reference
    /// on it too.
    pub mm_user_ns: crate::ns::UserNsId,
}

impl Default for Cred {
    fn default() -> Self {
        Cred {
            uid: 0,
            euid: 0,
            suid: 0,
            gid: 0,
            egid: 0,
            sgid: 0,
            fsuid: 0,
            fsgid: 0,
            caps: super::capability::Caps::ROOT,
            dumpable: true,
            user_ns: crate::ns::INIT_USER_NS,
            mm_user_ns: crate::ns::INIT_USER_NS,
        }
    }
}

/// One resource limit, soft and hard (Linux: `struct rlimit`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rlimit {
    pub cur: u64,
    pub max: u64,
}

/// The typed handles of a task's shareable parts (see `proc::shared`).
pub type MmId = Handle<crate::mm::aspace::AddressSpace>;
pub type FilesId = Handle<crate::fs::file::FdTable>;
pub type FsId = Handle<FsInfo>;
pub type SighandId = Handle<SigHand>;
pub type SignalId = Handle<SignalStruct>;

/// Where a task is in the file system (Linux: `struct fs_struct`). Shared
/// with CLONE_FS, copied by fork.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FsInfo {
    /// Current directory: a place, holding an inode reference (`ino`).
    pub cwd: crate::fs::namei::Held,
    /// Root directory (holding an inode reference; chroot).
    pub root: Ino,
    pub umask: u32,
}

/// Signal dispositions (Linux: `struct sighand_struct`). Shared with
/// CLONE_SIGHAND, copied by fork.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SigHand {
    /// Indexed by signal number - 1.
    pub action: [SigAction; 64],
}

impl Default for SigHand {
    fn default() -> Self {
        SigHand { action: [SigAction::default(); 64] }
    }
}

/// What the threads of one process share (Linux: `struct signal_struct`):
/// limits, process group and session, the group's exit state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignalStruct {
    pub rlimits: [Rlimit; RLIM_NLIMITS],
    /// The process's threads not yet released, zombies included (Linux:
    /// signal->thread_head): what signalling, exit and /proc walk instead
    /// of every task.
    pub threads: BTreeSet<Pid>,
    /// Process group id and session id (each holds its number busy).
    pub pgid: Pid,
    pub sid: Pid,
    /// PR_SET_CHILD_SUBREAPER: orphaned descendants are re-parented here.
    pub is_child_subreaper: bool,
    /// Some ancestor is a subreaper, so re-parenting must search for it.
    pub has_child_subreaper: bool,
    /// Signals sent to the whole process (Linux: `shared_pending`), and
    /// what each carries.
    pub shared_pending: crate::abi::SigSet,
    pub shared_info: crate::signal::queue::SigQueue,
    /// Set once exit_group (or a fatal signal) has started: every thread
    /// exits with this status (Linux: SIGNAL_GROUP_EXIT, group_exit_code).
    pub group_exit: Option<i32>,
    /// The process is stopped (Linux: SIGNAL_STOP_STOPPED).
    pub stopped: bool,
    /// A stop not yet reported by wait (WUNTRACED): its signal
    /// (Linux: SIGNAL_STOP_STOPPED with `group_exit_code`).
    pub stop_report: Option<u32>,
    /// The signal of the group-stop the process is in, or was in last,
    /// reported or not (Linux: JOBCTL_STOP_SIGMASK of its threads).
    pub stop_signal: u32,
    /// A continue not yet reported by wait (WCONTINUED)
    /// (Linux: SIGNAL_STOP_CONTINUED).
    pub continue_report: bool,
    /// Threads still alive (Linux: `signal->live`).
    pub live: u32,
    /// Init: signals whose action is the default are not delivered, and
    /// SIGKILL and SIGSTOP not even sent, except what a fault forces
    /// (Linux: SIGNAL_UNKILLABLE).
    pub unkillable: bool,
    /// CPU time of reaped children, for getrusage(RUSAGE_CHILDREN) and
    /// wait4's rusage (Linux: cutime, cstime), in nanoseconds.
    pub cutime_ns: u64,
    pub cstime_ns: u64,
    /// Peak resident pages of the process's exited threads and earlier
    /// programs, and of its reaped children (Linux: maxrss, cmaxrss).
    pub maxrss: u64,
    pub cmaxrss: u64,
    /// Minor page faults of every thread of the process, and of its reaped
    /// children (Linux: the task's min_flt summed with signal->min_flt,
    /// and signal->cmin_flt). No fault here is major: nothing waits for
    /// a disk.
    pub min_flt: u64,
    pub cmin_flt: u64,
    /// Context switches of every thread of the process, voluntary (it
    /// slept) and not (it was preempted), and of its reaped children
    /// (Linux: nvcsw/nivcsw summed, signal->cnvcsw/cnivcsw).
    pub nvcsw: u64,
    pub nivcsw: u64,
    pub cnvcsw: u64,
    pub cnivcsw: u64,
    /// alarm, interval timers and POSIX timers (Linux: real_timer,
    /// it[], posix_timers); a new process starts with none.
    pub timers: super::timer::ProcTimers,
}

impl SignalStruct {
    /// A new process's shared state: inherited limits, group and session,
    /// nothing pending, one live thread (the fields Linux's copy_signal()
    /// sets for a new thread group).
    pub fn new(rlimits: [Rlimit; RLIM_NLIMITS], pgid: Pid, sid: Pid, has_child_subreaper: bool) -> Self {
        SignalStruct {
            rlimits,
            threads: BTreeSet::new(),
            pgid,
            sid,
            is_child_subreaper: false,
            has_child_subreaper,
            shared_pending: crate::abi::SigSet::empty(),
            shared_info: Default::default(),
            group_exit: None,
            stopped: false,
            stop_report: None,
            stop_signal: 0,
            continue_report: false,
            live: 1,
            unkillable: false,
            cutime_ns: 0,
            cstime_ns: 0,
            maxrss: 0,
            cmaxrss: 0,
            min_flt: 0,
            cmin_flt: 0,
            nvcsw: 0,
            nivcsw: 0,
            cnvcsw: 0,
            cnivcsw: 0,
            timers: Default::default(),
        }
    }
}

/// Where a task stands in its life.
pub struct Task {
    pub tid: Pid,
    /// Thread-group id: the PID user space sees.
    pub tgid: Pid,
    /// The task to tell when this one exits: the one that forked it, or
    /// the reaper it was re-parented to (Linux: `real_parent`).
    pub parent: Pid,
    /// Tasks whose `parent` is this one (Linux: `children`/`sibling`).
    pub children: BTreeSet<Pid>,
    /// Sent to the parent at exit; SIGCHLD for fork, 0 for threads
    /// (Linux: `exit_signal`).
    pub exit_signal: u32,
    /// prctl(PR_SET_PDEATHSIG): sent to us when our parent exits.
    pub pdeathsig: u32,
    /// PR_SET_TIMERSLACK: how late a timer of this thread may fire, and
    /// what setting 0 goes back to (the parent's slack at fork). Linux:
    /// timer_slack_ns, default_timer_slack_ns.
    pub timer_slack_ns: u64,
    pub default_timer_slack_ns: u64,
    /// PR_SET_TSC(PR_TSC_SIGSEGV): `rdtsc` faults in this thread (CR4.TSD
    /// while it runs). Linux: TIF_NOTSC; kept by fork and exec.
    pub tsc_disabled: bool,
    /// The CPUs it may run on, bit N for CPU N (Linux: cpus_mask); kept by
    /// fork and exec, set by sched_setaffinity().
    pub cpus_allowed: u64,
    /// The CPU it runs, waits for (its run queue) or last ran on (Linux:
    /// task_struct.cpu, wake_cpu).
    pub cpu: u32,
    /// It waits on CPU `cpu`'s run queue (Linux: on_rq): runnable, not
    /// running.
    pub on_rq: bool,
    /// The CPU time it has had, in nanoseconds, as the scheduler orders
    /// tasks by it (Linux: se.vruntime; see `proc::sched_fair`); measured
    /// against its CPU's queue's minimum.
    pub vruntime: u64,
    /// Another thread of its process is in execve and waits for this one
    /// to leave its CPU: it runs nowhere until the exec ends it, or fails,
    /// or a kill lets it run to its end (`proc::exec::gather_threads`).
    pub held_for_exec: bool,
    pub state: TaskState,
    pub kstack: KernelStack,
    /// User TLS base (ARCH_SET_FS); loaded into FS_BASE when the task runs.
    pub fs_base: u64,
    pub gs_base: u64,
    pub mm: MmId,
    pub files: FilesId,
    pub fs: FsId,
    pub sighand: SighandId,
    pub signal: SignalId,
    /// The task's namespaces (Linux: task->nsproxy).
    pub nsproxy: crate::ns::NsProxyId,
    pub cred: Cred,
    /// Scheduling niceness, -20..19 (Linux: `static_prio - 120`).
    pub nice: i32,
    /// The execution domain and its quirk bits (ADDR_NO_RANDOMIZE, ...),
    /// inherited by fork and kept by exec. Linux: task->personality.
    pub personality: u32,
    /// Supplementary groups (Linux: `cred->group_info`), sorted; shared,
    /// as Linux shares its group_info, so that fork does not copy up to
    /// NGROUPS_MAX of them.
    pub groups: alloc::sync::Arc<Vec<u32>>,
    pub sigmask: crate::abi::SigSet,
    /// Signals sent to this thread only (Linux: `pending`), and what each
    /// carries.
    pub sigpending: crate::abi::SigSet,
    pub pending_info: crate::signal::queue::SigQueue,
    /// The alternate signal stack, the mask sigsuspend will restore, the
    /// last fault's trap number, error code and address (see `signal`).
    pub sigstate: crate::signal::SigState,
    /// set_tid_address / CLONE_CHILD_CLEARTID.
    pub clear_child_tid: u64,
    pub robust_list: (u64, u64),
    /// The rseq area registered (`proc::rseq`).
    pub rseq: Option<crate::proc::rseq::Rseq>,
    /// Wait status once a zombie (Linux: `exit_code`).
    pub exit_code: i32,
    /// The executable's path, for /proc/self/exe and AT_EXECFN.
    pub exe: String,
    /// Linux: `comm`, the executable's base name, at most 15 bytes.
    pub comm: Vec<u8>,
    /// The program's argv as exec built it, for /proc/<pid>/cmdline.
    pub cmdline: Vec<u8>,
    /// Set by a successful execve (setpgid on a child that exec'd is EACCES).
    pub did_exec: bool,
    /// Its last system call blocked and will run again once the task is
    /// woken (set by `Kernel::syscall`, cleared by the trap loop once the
    /// call it runs again has finished).
    pub restarting: bool,
    /// The number and arguments of the call that last blocked: while
    /// `restarting`, the call it sleeps in (the task dump of
    /// `proc::show_state` shows it; Linux reads the saved pt_regs).
    pub blocked_call: (u64, [u64; 6]),
    /// The call in progress came through `int $0x80`: i386 numbers and
    /// registers (`syscall::ia32`; Linux: TS_COMPAT).
    pub compat_syscall: bool,
    /// Its system calls go to the kernel log (`tine.strace=`; inherited
    /// by children).
    pub straced: bool,
    /// Its System V semaphore undo list (`ipc::sem`), shared with the
    /// tasks created with CLONE_SYSVSEM (Linux: `sysvsem.undo_list`).
    pub sem_undo: Option<u32>,
    /// What that call keeps for its next run (see [`Resume`]).
    pub resume: Resume,
    /// A vfork child: the parent to release at exec or exit (Linux: vfork_done).
    pub vfork_parent: Option<Pid>,
    /// Monotonic time the task was created (for /proc/<pid>/stat).
    pub start_ns: u64,
    /// CPU time used in user and kernel mode, in nanoseconds, accounted
    /// at every kernel entry and exit (see `time::cputime`).
    /// Minor page faults this thread took (Linux: task->min_flt).
    pub min_flt: u64,
    /// Times it gave up the CPU to sleep, and was made to (Linux:
    /// task->nvcsw, task->nivcsw).
    pub nvcsw: u64,
    pub nivcsw: u64,
    pub utime_ns: u64,
    pub stime_ns: u64,
    /// The timeout this task has in the deadline queue, if any (Linux:
    /// its on-stack hrtimer_sleeper).
    pub hrtimer: Option<u64>,
    /// Its tracer's hold on it, if traced, and the tasks it traces.
    pub ptrace: super::ptrace::PtraceLinks,
}

impl Task {
    /// A task with nothing in it yet: no ids, no shared parts, no
    /// credentials or signals, started at `start_ns`. fork and init fill in
    /// what they give it (Linux's task starts as a copy instead; Tine
    /// names every inherited field in dup_task_struct()).
    pub fn new(kstack: KernelStack, start_ns: u64) -> Task {
        Task {
            tid: 0,
            tgid: 0,
            parent: 0,
            children: BTreeSet::new(),
            exit_signal: 0,
            pdeathsig: 0,
            timer_slack_ns: DEFAULT_TIMER_SLACK_NS,
            default_timer_slack_ns: DEFAULT_TIMER_SLACK_NS,
            tsc_disabled: false,
            cpus_allowed: u64::MAX,
            cpu: 0,
            on_rq: false,
            vruntime: 0,
            held_for_exec: false,
            state: TaskState::Runnable,
            kstack,
            fs_base: 0,
            gs_base: 0,
            mm: Handle::UNSET,
            files: Handle::UNSET,
            fs: Handle::UNSET,
            sighand: Handle::UNSET,
            signal: Handle::UNSET,
            nsproxy: Handle::UNSET,
            cred: Cred::default(),
            groups: Default::default(),
            nice: 0,
            personality: 0,
            sigmask: crate::abi::SigSet::empty(),
            sigpending: crate::abi::SigSet::empty(),
            pending_info: Default::default(),
            sigstate: Default::default(),
            clear_child_tid: 0,
            robust_list: (0, 0),
            rseq: None,
            exit_code: 0,
            exe: String::new(),
            comm: Vec::new(),
            cmdline: Vec::new(),
            did_exec: false,
            vfork_parent: None,
            restarting: false,
            blocked_call: (0, [0; 6]),
            compat_syscall: false,
            straced: false,
            sem_undo: None,
            resume: Resume::None,
            start_ns,
            min_flt: 0,
            nvcsw: 0,
            nivcsw: 0,
            utime_ns: 0,
            stime_ns: 0,
            hrtimer: None,
            ptrace: Default::default(),
        }
    }

    pub fn is_zombie(&self) -> bool {
        self.state == TaskState::Zombie
    }

    pub fn is_leader(&self) -> bool {
        self.tid == self.tgid
    }
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
