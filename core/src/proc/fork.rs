//! Creating a task (Linux: kernel/fork.c).
//!
//! `fork`, `vfork` and `clone` are one mechanism: `kernel_clone` (the seeds'
//! `do_fork`) calls `copy_process`, which builds the child step by step in
//! the order the seeds list, then `wake_up_new_task` lets it run. Each
//! `copy_*` step either shares the parent's object (the clone flag asks for
//! it: the object gains a user) or gives the child its own copy. When a
//! step fails, the steps already done are undone in reverse order, as
//! Linux's `bad_fork_*` labels do, so a failed fork leaks nothing.
//!
//! The seeds' step list and the functions here:
//!
//! | seed step           | Tine                                   |
//! |---------------------|----------------------------------------|
//! | dup_task_struct     | [`dup_task_struct`]                    |
//! | RLIMIT_NPROC check  | [`check_nproc`]                        |
//! | max_threads check   | inline in [`copy_process`]             |
//! | copy_files          | [`copy_files`]                         |
//! | copy_fs             | [`copy_fs`]                            |
//! | copy_sighand        | [`copy_sighand`]                       |
//! | copy_signal         | [`copy_signal`]                        |
//! | copy_mm             | [`copy_mm`] → `AddressSpace::fork`     |
//! | copy_namespaces     | nothing: Tine has one set of namespaces |
//! | copy_thread         | [`copy_thread`]                        |
//! | alloc_pid           | `PidMap::alloc`                        |
//! | link into task list | [`link_task`]                          |
//! | wake_up_new_task    | [`wake_up_new_task`]                   |

use alloc::collections::BTreeSet;
use alloc::vec::Vec;

use crate::abi::*;
use crate::kernel::Kernel;
use crate::proc::kstack::KernelStack;
use crate::proc::{FilesId, FsId, MmId, ObjId, Pid, SighandId, SignalId, SignalStruct, Task, TaskState};

/// What the caller of clone asked for (Linux: `struct kernel_clone_args`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CloneArgs {
    pub flags: u64,
    /// Sent to the parent when the child exits (SIGCHLD for fork).
    pub exit_signal: u32,
    /// The child's stack pointer; 0 keeps the parent's.
    pub stack: u64,
    pub parent_tid: u64,
    pub child_tid: u64,
    pub tls: u64,
}

impl CloneArgs {
    /// fork(2): a copy of everything, SIGCHLD at exit.
    pub fn fork() -> Self {
        CloneArgs { exit_signal: SIGCHLD, ..Default::default() }
    }
}

/// A step of copy_process that has been done and must be undone if a
/// later one fails. Each names the Linux label that undoes it.
enum Undo {
    /// bad_fork_cleanup_files
    Files(FilesId),
    /// bad_fork_cleanup_fs
    Fs(FsId),
    /// bad_fork_cleanup_sighand
    Sighand(SighandId),
    /// bad_fork_cleanup_signal
    Signal(SignalId),
    /// bad_fork_cleanup_mm
    Mm(MmId),
}

impl Undo {
    fn run(self, k: &mut Kernel) {
        match self {
            Undo::Files(id) => k.put_files(id),
            Undo::Fs(id) => k.put_fs(id),
            Undo::Sighand(id) => drop(k.sighands.put(id)),
            Undo::Signal(id) => k.put_signal(id),
            Undo::Mm(id) => k.put_mm(id),
        }
    }
}

/// The undo log of one copy_process call.
#[derive(Default)]
struct Unwind(Vec<Undo>);

impl Unwind {
    /// Record a finished step; return its object for the child.
    fn done(&mut self, id: ObjId, undo: fn(ObjId) -> Undo) -> ObjId {
        self.0.push(undo(id));
        id
    }

    /// Undo every finished step, last first, and pass the error on.
    fn fail<T>(self, k: &mut Kernel, e: Errno) -> SysResult<T> {
        for step in self.0.into_iter().rev() {
            step.run(k);
        }
        Err(e)
    }
}

/// The flag combinations clone rejects before doing anything, in Linux's
/// order (top of copy_process()).
fn check_clone_flags(k: &Kernel, flags: u64) -> SysResult<()> {
    if flags & (CLONE_NEWNS | CLONE_FS) == (CLONE_NEWNS | CLONE_FS) {
        return Err(EINVAL);
    }
    if flags & (CLONE_NEWUSER | CLONE_FS) == (CLONE_NEWUSER | CLONE_FS) {
        return Err(EINVAL);
    }
    // Threads share signal handlers, and shared handlers need shared memory.
    if flags & CLONE_THREAD != 0 && flags & CLONE_SIGHAND == 0 {
        return Err(EINVAL);
    }
    if flags & CLONE_SIGHAND != 0 && flags & CLONE_VM == 0 {
        return Err(EINVAL);
    }
    // Init's siblings would have no reaper.
    if flags & CLONE_PARENT != 0 && k.cur().tgid == crate::proc::exit::INIT_PID {
        return Err(EINVAL);
    }
    Ok(())
}

/// Linux: dup_task_struct(): a new task that starts as a copy of the
/// running one, with its own kernel stack. Nothing is shared yet: the
/// copy_* steps decide that.
fn dup_task_struct(k: &Kernel, kstack: KernelStack) -> Task {
    let cur = k.cur();
    Task {
        tid: 0,
        tgid: 0,
        parent: 0,
        children: BTreeSet::new(),
        exit_signal: 0,
        // Linux: copy_process() clears pdeath_signal for the child.
        pdeathsig: 0,
        state: TaskState::Runnable,
        kstack,
        ksp: 0,
        fs_base: cur.fs_base,
        gs_base: cur.gs_base,
        mm: 0,
        files: 0,
        fs: 0,
        sighand: 0,
        signal: 0,
        cred: cur.cred,
        sigmask: cur.sigmask,
        // Linux: init_sigpending(&p->pending): the child starts with none.
        sigpending: 0,
        clear_child_tid: 0,
        robust_list: (0, 0),
        exit_code: 0,
        exe: cur.exe.clone(),
        comm: cur.comm.clone(),
        cmdline: cur.cmdline.clone(),
        did_exec: false,
        restarting: false,
        sleep_deadline: None,
        start_ns: k.now_ns(),
        utime_ns: 0,
        stime_ns: 0,
    }
}

/// RLIMIT_NPROC: the tasks of the caller's real user, counting the child,
/// may not exceed the limit, unless the user is root (Linux: the
/// `is_rlimit_overlimit(..., UCOUNT_RLIMIT_NPROC, ...)` test with its
/// INIT_USER / CAP_SYS_RESOURCE / CAP_SYS_ADMIN exemption).
fn check_nproc(k: &Kernel) -> SysResult<()> {
    let cred = k.cur().cred;
    if cred.uid == 0 || cred.euid == 0 {
        return Ok(());
    }
    let limit = k.rlimit(RLIMIT_NPROC).cur;
    let count = k.tasks.values().filter(|t| t.cred.uid == cred.uid && t.state != TaskState::Dead).count() as u64;
    if count + 1 > limit {
        return Err(EAGAIN);
    }
    Ok(())
}

/// Linux: copy_files(): share the descriptor table (CLONE_FILES) or copy
/// it; a copied table points at the same open file descriptions, so
/// parent and child share offsets and status flags.
fn copy_files(k: &mut Kernel, flags: u64) -> ObjId {
    let id = k.cur().files;
    if flags & CLONE_FILES != 0 {
        k.fdtables.hold(id);
        return id;
    }
    let table = k.fdtables.get(id).clone();
    for (_, fd) in table.iter() {
        k.files.get_ref(fd.file);
    }
    k.fdtables.insert(table)
}

/// Linux: copy_fs(): share cwd, root and umask (CLONE_FS) or copy them.
fn copy_fs(k: &mut Kernel, flags: u64) -> SysResult<ObjId> {
    let id = k.cur().fs;
    if flags & CLONE_FS != 0 {
        k.fs_structs.hold(id);
        return Ok(id);
    }
    let info = k.fs_structs.get(id).clone();
    k.fs.ihold(info.cwd)?;
    if let Err(e) = k.fs.ihold(info.root) {
        k.fs.iput(info.cwd);
        return Err(e);
    }
    Ok(k.fs_structs.insert(info))
}

/// Linux: copy_sighand(): share the handlers (CLONE_SIGHAND) or copy them.
fn copy_sighand(k: &mut Kernel, flags: u64) -> ObjId {
    let id = k.cur().sighand;
    if flags & CLONE_SIGHAND != 0 {
        k.sighands.hold(id);
        return id;
    }
    let mut hand = k.sighands.get(id).clone();
    if flags & CLONE_CLEAR_SIGHAND != 0 {
        // clone3: caught signals back to default, ignored stay ignored.
        for a in hand.action.iter_mut().filter(|a| a.handler != SIG_IGN) {
            *a = Default::default();
        }
    }
    k.sighands.insert(hand)
}

/// Linux: copy_signal(): a thread joins its process's shared state; a new
/// process gets its own, inheriting the limits, process group and session
/// but no pending signals and no subreaper role.
fn copy_signal(k: &mut Kernel, flags: u64) -> ObjId {
    let id = k.cur().signal;
    if flags & CLONE_THREAD != 0 {
        k.signals.hold(id);
        k.signals.get_mut(id).live += 1;
        return id;
    }
    let cur = k.signals.get(id);
    let sig = SignalStruct {
        rlimits: cur.rlimits,
        pgid: cur.pgid,
        sid: cur.sid,
        is_child_subreaper: false,
        has_child_subreaper: cur.has_child_subreaper || cur.is_child_subreaper,
        shared_pending: 0,
        group_exit: None,
        live: 1,
        cutime_ns: 0,
        cstime_ns: 0,
    };
    k.pids.hold(sig.pgid);
    k.pids.hold(sig.sid);
    k.signals.insert(sig)
}

/// Linux: copy_mm(): share the address space (CLONE_VM) or duplicate it
/// copy-on-write (dup_mm() → dup_mmap(), see `mm::fork`).
fn copy_mm(k: &mut Kernel, flags: u64) -> SysResult<ObjId> {
    let id = k.cur().mm;
    if flags & CLONE_VM != 0 {
        k.mms.hold(id);
        return Ok(id);
    }
    let child = k.with_mm(|parent, ctx| parent.fork(ctx))?;
    Ok(k.mms.insert(child))
}

/// Linux: copy_thread(): the child's user registers are the parent's at
/// the system call, except that the call returns 0 in the child; a new
/// stack pointer and TLS base when asked. Its kernel stack is laid out so
/// that the first switch to it returns straight to user mode (Linux:
/// ret_from_fork).
fn copy_thread(k: &Kernel, child: &mut Task, regs: &PtRegs, args: &CloneArgs) {
    let mut r = *regs;
    r.rax = 0;
    if args.stack != 0 {
        r.rsp = args.stack;
    }
    if args.flags & CLONE_SETTLS != 0 {
        child.fs_base = args.tls;
    }
    child.kstack.set_regs(&r);
    child.kstack.set_fpu(&k.cur().kstack.fpu());
    child.ksp = child.kstack.prepare_first_switch(k.ret_to_user);
}

/// Linux: copy_process(). Builds the child in the seeds' order; returns
/// its TID with the child linked in but not yet runnable.
pub fn copy_process(k: &mut Kernel, regs: &PtRegs, args: &CloneArgs) -> SysResult<Pid> {
    check_clone_flags(k, args.flags)?;
    let flags = args.flags;

    // dup_task_struct(): the task structure and its kernel stack.
    let kstack = KernelStack::try_new()?;
    let mut child = dup_task_struct(k, kstack);

    // The per-user process limit, then the system-wide thread limit
    // (Linux: bad_fork_cleanup_count, EAGAIN both).
    check_nproc(k)?;
    let nr_threads = k.tasks.values().filter(|t| t.state != TaskState::Dead).count() as u64;
    if nr_threads >= k.max_threads as u64 {
        return Err(EAGAIN);
    }

    let mut undo = Unwind::default();
    child.files = undo.done(copy_files(k, flags), Undo::Files);
    child.fs = match copy_fs(k, flags) {
        Ok(id) => undo.done(id, Undo::Fs),
        Err(e) => return undo.fail(k, e),
    };
    child.sighand = undo.done(copy_sighand(k, flags), Undo::Sighand);
    child.signal = undo.done(copy_signal(k, flags), Undo::Signal);
    child.mm = match copy_mm(k, flags) {
        Ok(id) => undo.done(id, Undo::Mm),
        Err(e) => return undo.fail(k, e),
    };
    // copy_namespaces(): Tine has a single set of namespaces.
    copy_thread(k, &mut child, regs, args);

    // alloc_pid() (bad_fork_cleanup_thread on failure).
    let pid = match k.pids.alloc() {
        Ok(p) => p,
        Err(e) => return undo.fail(k, e),
    };
    child.tid = pid;
    if flags & CLONE_CHILD_CLEARTID != 0 {
        child.clear_child_tid = args.child_tid;
    }
    link_task(k, child, flags, args.exit_signal);
    Ok(pid)
}

/// Make the child part of the system: its thread group, its parent's
/// children, the task list (Linux: the tail of copy_process(), under
/// tasklist_lock).
fn link_task(k: &mut Kernel, mut child: Task, flags: u64, exit_signal: u32) {
    let cur = k.cur();
    if flags & (CLONE_PARENT | CLONE_THREAD) != 0 {
        child.parent = cur.parent;
        child.exit_signal = if flags & CLONE_THREAD != 0 { 0 } else { k.tasks[&cur.tgid].exit_signal };
    } else {
        child.parent = cur.tid;
        child.exit_signal = exit_signal;
    }
    child.tgid = if flags & CLONE_THREAD != 0 { cur.tgid } else { child.tid };
    let (pid, parent) = (child.tid, child.parent);
    if let Some(p) = k.tasks.get_mut(&parent) {
        p.children.insert(pid);
    }
    k.tasks.insert(pid, alloc::boxed::Box::new(child));
}

/// Linux: wake_up_new_task(): the child joins the run queue. The parent
/// keeps the CPU (Linux's default, sched_child_runs_first = 0).
pub fn wake_up_new_task(k: &mut Kernel, pid: Pid) {
    k.tasks.get_mut(&pid).expect("new task").state = TaskState::Runnable;
    k.runq.push_back(pid);
}

/// Linux: kernel_clone() (the seeds' do_fork()): copy the process, then
/// the TID bookkeeping clone asked for, then let the child run. Returns
/// the child's TID to the parent.
pub fn kernel_clone(k: &mut Kernel, regs: &PtRegs, args: &CloneArgs) -> SysResult {
    let pid = copy_process(k, regs, args)?;
    // Faults on these addresses are ignored, as in Linux.
    if args.flags & CLONE_PARENT_SETTID != 0 {
        let _ = k.copy_out(args.parent_tid, &(pid as i32).to_le_bytes());
    }
    if args.flags & CLONE_CHILD_SETTID != 0 {
        let mm = k.tasks[&pid].mm;
        let live = mm == k.cur().mm;
        let Kernel { mms, frames, m, .. } = k;
        let mut ctx = crate::mm::aspace::MemCtx { frames, phys: m.mem, mmu: if live { Some(m.mmu) } else { None } };
        let _ = mms.get_mut(mm).copy_to_user(&mut ctx, args.child_tid, &(pid as i32).to_le_bytes());
    }
    wake_up_new_task(k, pid);
    Ok(pid as usize)
}

/// fork(2).
pub fn sys_fork(k: &mut Kernel, regs: &PtRegs) -> SysResult {
    kernel_clone(k, regs, &CloneArgs::fork())
}

/// clone(2), x86_64 argument order: flags, stack, parent_tid, child_tid, tls.
pub fn sys_clone(k: &mut Kernel, regs: &PtRegs, flags: u64, stack: u64, parent_tid: u64, child_tid: u64, tls: u64) -> SysResult {
    let args = CloneArgs { flags: flags & !CSIGNAL, exit_signal: (flags & CSIGNAL) as u32, stack, parent_tid, child_tid, tls };
    if args.exit_signal > NSIG {
        return Err(EINVAL);
    }
    kernel_clone(k, regs, &args)
}
