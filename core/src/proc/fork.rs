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
//! | copy_creds          | [`copy_creds`]                         |
//! | RLIMIT_NPROC check  | [`check_nproc`]                        |
//! | max_threads check   | inline in [`copy_process`]             |
//! | copy_files          | [`copy_files`]                         |
//! | copy_fs             | [`copy_fs`]                            |
//! | copy_sighand        | [`copy_sighand`]                       |
//! | copy_signal         | [`copy_signal`]                        |
//! | copy_mm             | [`copy_mm`] → `AddressSpace::fork`     |
//! | copy_namespaces     | [`copy_namespaces`] (one set: new ones refused) |
//! | copy_thread         | [`copy_thread`]                        |
//! | alloc_pid           | `PidMap::alloc`                        |
//! | link into task list | [`link_task`]                          |
//! | wake_up_new_task    | [`wake_up_new_task`]                   |

use crate::abi::*;
use crate::kernel::Kernel;
use crate::proc::exit::SharedPart;
use crate::proc::kstack::KernelStack;
use crate::proc::{Cred, FilesId, FsId, Handle, MmId, Pid, SighandId, SignalId, SignalStruct, Task};
use crate::trace::{Event, Payload};

/// What the caller of clone asked for (Linux: `struct kernel_clone_args`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CloneArgs {
    pub flags: CloneFlags,
    /// Sent to the parent when the child exits (SIGCHLD for fork).
    pub exit_signal: u32,
    /// The child's stack pointer; 0 keeps the parent's.
    pub stack: u64,
    pub parent_tid: u64,
    pub child_tid: u64,
    pub tls: u64,
    /// Where CLONE_PIDFD stores the new pidfd.
    pub pidfd: u64,
    /// clone3's set_tid: the PIDs the child must get, innermost namespace
    /// first, in the first `set_tid_size` entries.
    pub set_tid: [i32; MAX_PID_NS_LEVEL as usize],
    pub set_tid_size: u64,
}

impl CloneArgs {
    /// fork(2): a copy of everything, SIGCHLD at exit.
    pub fn fork() -> Self {
        CloneArgs { exit_signal: SIGCHLD, ..Default::default() }
    }
}

/// The flag combinations clone rejects before doing anything, in Linux's
/// order (the top of copy_process()).
fn check_clone_flags(k: &Kernel, flags: CloneFlags) -> SysResult<()> {
    use CloneFlags as F;
    if flags.contains(F::NEWNS | F::FS) || flags.contains(F::NEWUSER | F::FS) {
        return Err(EINVAL);
    }
    // Threads share signal handlers, and shared handlers need shared memory.
    if flags.contains(CloneFlags::THREAD) && !flags.contains(CloneFlags::SIGHAND) {
        return Err(EINVAL);
    }
    if flags.contains(CloneFlags::SIGHAND) && !flags.contains(CloneFlags::VM) {
        return Err(EINVAL);
    }
    // An init's siblings would have no reaper in its namespace (Linux:
    // SIGNAL_UNKILLABLE, set for the init of every PID namespace).
    if flags.contains(CloneFlags::PARENT) && k.sig.signals().get(k.cur().signal).unkillable {
        return Err(EINVAL);
    }
    // A thread cannot live in another pid or user namespace than its
    // group, nor be made after unshare(CLONE_NEWPID) or setns sent the
    // caller's children to another PID namespace.
    if flags.contains(CloneFlags::THREAD)
        && (flags.intersects(CloneFlags::NEWUSER | CloneFlags::NEWPID)
            || k.ns.pid_for_children(k.cur().nsproxy) != k.active_pid_ns())
    {
        return Err(EINVAL);
    }
    // Since Linux 6.9 a thread may have a pidfd too; DETACHED stays refused.
    if flags.contains(CloneFlags::PIDFD) && flags.contains(CloneFlags::DETACHED) {
        return Err(EINVAL);
    }
    Ok(())
}

/// Linux: copy_creds(): the child's credentials are its parent's; with
/// CLONE_NEWUSER they name a new user namespace below the parent's, in
/// which the child has every capability (create_user_ns()). The child
/// holds its user namespace, and its memory's (the parent's), from here
/// on.
fn copy_creds(k: &mut Kernel, flags: CloneFlags) -> SysResult<Cred> {
    let mut c = k.cur().cred;
    if flags.contains(CloneFlags::NEWUSER) {
        let ns = new_user_ns(k, &c)?;
        crate::ns::user::enter(&mut c, ns);
    } else {
        k.ns.user.hold(c.user_ns);
    }
    k.ns.user.hold(c.mm_user_ns);
    Ok(c)
}

/// A user namespace below the one of credentials `c`, with one reference
/// for the caller (Linux: create_user_ns(), which refuses a task whose
/// root is not its mount namespace's: EPERM).
pub(crate) fn new_user_ns(k: &mut Kernel, c: &Cred) -> SysResult<crate::ns::UserNsId> {
    k.mnt_switch();
    let root = k.vfs.fs().mounts.root_mount().root;
    let chrooted = k.vfs.fs_structs().get(k.cur().fs).root != root;
    k.ns.new_user_ns(c, chrooted)
}

/// Linux: copy_namespaces(): the child shares its parent's nsproxy, or
/// gets a new one with a fresh copy of each namespace a CLONE_NEW* flag
/// names, owned by the child's user namespace (`cred`'s: a new one made
/// by the same clone). A new namespace needs CAP_SYS_ADMIN there
/// (EPERM). The ones Tine does
/// not have yet (network, cgroup, time) are EINVAL, as on a
/// kernel built without them. A new PID namespace is where the child's
/// children go; the child itself goes there too, as its first process,
/// since alloc_pid() takes the new nsproxy's pid_for_children.
pub(crate) fn copy_namespaces(k: &mut Kernel, flags: CloneFlags, cred: &Cred) -> SysResult<crate::ns::NsProxyId> {
    let old = k.cur().nsproxy;
    if !flags.intersects(CloneFlags::NEW_NAMESPACES) {
        k.ns.hold(old);
        return Ok(old);
    }
    let new = new_namespaces(k, flags, cred)?;
    // A child in a new IPC namespace cannot share an undo list whose
    // semaphores stay behind in the old one.
    if flags.contains(CloneFlags::NEWIPC | CloneFlags::SYSVSEM) {
        return Err(EINVAL);
    }
    let mounts = if new.mnt { Some(k.copy_mounts()?) } else { None };
    Ok(k.ns.copy(old, new, mounts))
}

/// The namespaces `flags` asks for, checked as Linux's copy_namespaces()
/// and unshare_nsproxy_namespaces() check them: CAP_SYS_ADMIN in the user
/// namespace of `cred`, the credentials the new task or the caller will
/// have, which will own them.
pub(crate) fn new_namespaces(k: &Kernel, flags: CloneFlags, cred: &Cred) -> SysResult<crate::ns::NewNamespaces> {
    if !cred.has_cap(crate::proc::capability::CAP_SYS_ADMIN) {
        return Err(EPERM);
    }
    let have = CloneFlags::NEWUTS | CloneFlags::NEWPID | CloneFlags::NEWIPC | CloneFlags::NEWNS;
    if flags.intersects(CloneFlags::NEW_NAMESPACES - have) {
        return Err(EINVAL);
    }
    let pid = flags.contains(CloneFlags::NEWPID);
    if pid {
        k.ns.may_new_pid(k.cur().nsproxy, k.active_pid_ns())?;
    }
    let new = crate::ns::NewNamespaces {
        uts: flags.contains(CloneFlags::NEWUTS),
        pid,
        ipc: flags.contains(CloneFlags::NEWIPC),
        mnt: flags.contains(CloneFlags::NEWNS),
        owner: cred.user_ns,
        maker: cred.euid,
    };
    k.ns.may_make(&new)?;
    Ok(new)
}

/// Linux: dup_task_struct(): a new task that starts as a copy of the
/// running one, with its own kernel stack. Nothing is shared yet: the
/// copy_* steps decide that.
fn dup_task_struct(k: &Kernel, kstack: KernelStack) -> Task {
    let cur = k.cur();
    // What is not named here starts empty: no pending signals (Linux:
    // init_sigpending()), no parent-death signal, no TID words, no times.
    Task {
        fs_base: cur.fs_base,
        gs_base: cur.gs_base,
        cred: cur.cred,
        groups: cur.groups.clone(),
        nice: cur.nice,
        personality: cur.personality,
        // Linux: copy_process() makes the parent's slack the child's default.
        timer_slack_ns: cur.timer_slack_ns,
        default_timer_slack_ns: cur.timer_slack_ns,
        tsc_disabled: cur.tsc_disabled,
        cpus_allowed: cur.cpus_allowed,
        sigmask: cur.sigmask,
        sigstate: cur.sigstate.for_child(),
        exe: cur.exe.clone(),
        comm: cur.comm.clone(),
        cmdline: cur.cmdline.clone(),
        straced: cur.straced,
        ..Task::new(kstack, k.now_ns())
    }
}

/// RLIMIT_NPROC: the tasks of the caller's real user, counting the child,
/// may not exceed the limit, unless the user is root (Linux: the
/// `is_rlimit_overlimit(..., UCOUNT_RLIMIT_NPROC, ...)` test with its
/// INIT_USER / CAP_SYS_RESOURCE / CAP_SYS_ADMIN exemption).
fn check_nproc(k: &Kernel) -> SysResult<()> {
    use crate::proc::capability::{CAP_SYS_ADMIN, CAP_SYS_RESOURCE};
    let cred = k.cur().cred;
    if cred.uid == 0 || cred.capable(CAP_SYS_RESOURCE) || cred.capable(CAP_SYS_ADMIN) {
        return Ok(());
    }
    let limit = k.rlimit(RLIMIT_NPROC).cur;
    if k.proc.ucounts.nproc(cred.uid) + 1 > limit {
        return Err(EAGAIN);
    }
    Ok(())
}

/// Linux: copy_files(): share the descriptor table (CLONE_FILES) or copy
/// it; a copied table points at the same open file descriptions, so
/// parent and child share offsets and status flags.
fn copy_files(k: &mut Kernel, flags: CloneFlags) -> FilesId {
    let id = k.cur().files;
    if flags.contains(CloneFlags::FILES) {
        k.vfs.fdtables_mut().hold(id);
        return id;
    }
    k.dup_fd_table(id)
}

/// Linux: copy_fs(): share cwd, root and umask (CLONE_FS) or copy them.
pub(crate) fn copy_fs(k: &mut Kernel, flags: CloneFlags) -> SysResult<FsId> {
    let id = k.cur().fs;
    if flags.contains(CloneFlags::FS) {
        k.vfs.fs_structs_mut().hold(id);
        return Ok(id);
    }
    let info = k.vfs.fs_structs().get(id).clone();
    k.vfs.fs_mut().ihold(info.cwd.ino)?;
    if let Err(e) = k.vfs.fs_mut().ihold(info.root) {
        k.vfs.fs_mut().iput(info.cwd.ino);
        return Err(e);
    }
    Ok(k.vfs.fs_structs_mut().insert(info))
}

/// Linux: copy_sighand(): share the handlers (CLONE_SIGHAND) or copy them.
fn copy_sighand(k: &mut Kernel, flags: CloneFlags) -> SighandId {
    let id = k.cur().sighand;
    if flags.contains(CloneFlags::SIGHAND) {
        k.sig.sighands_mut().hold(id);
        return id;
    }
    let mut hand = k.sig.sighands().get(id).clone();
    if flags.contains(CloneFlags::CLEAR_SIGHAND) {
        // clone3: caught signals back to default, ignored stay ignored.
        for a in hand.action.iter_mut().filter(|a| a.handler != SIG_IGN) {
            *a = Default::default();
        }
    }
    k.sig.sighands_mut().insert(hand)
}

/// Linux: copy_signal(): a thread joins its process's shared state; a new
/// process gets its own, inheriting the limits, process group and session
/// but no pending signals and no subreaper role. A thread counts as live
/// only once it is linked in (`link_task`), so that a fork failing after
/// this step leaves `live` as it was.
fn copy_signal(k: &mut Kernel, flags: CloneFlags) -> SignalId {
    let id = k.cur().signal;
    if flags.contains(CloneFlags::THREAD) {
        k.sig.signals_mut().hold(id);
        return id;
    }
    let cur = k.sig.signals().get(id);
    let sig = SignalStruct::new(cur.rlimits, cur.pgid, cur.sid, cur.has_child_subreaper || cur.is_child_subreaper);
    k.proc.pids.hold(sig.pgid);
    k.proc.pids.hold(sig.sid);
    k.sig.signals_mut().insert(sig)
}

/// Linux: copy_mm(): share the address space (CLONE_VM) or duplicate it
/// copy-on-write (dup_mm() → dup_mmap(), see `mm::fork`).
fn copy_mm(k: &mut Kernel, flags: CloneFlags) -> SysResult<MmId> {
    let id = k.cur().mm;
    if flags.contains(CloneFlags::VM) {
        k.mem.mms_mut().hold(id);
        return Ok(id);
    }
    let child = k.with_mm(|parent, ctx| parent.fork(ctx))?;
    // Linux: dup_mm_exe_file(): the child's mm runs the same program and
    // denies writes to it too (cannot fail: the parent already does).
    if let Some(ino) = child.exe {
        let _ = k.vfs.fs_mut().deny_write_access(ino);
    }
    Ok(k.mem.mms_mut().insert(child))
}

/// Linux: copy_thread(): the child's user registers are the parent's at
/// the system call, except that the call returns 0 in the child; a new
/// stack pointer and TLS base when asked. Its kernel stack is laid out so
/// that the first switch to it returns straight to user mode (Linux:
/// ret_from_fork). A TLS base outside user space is EPERM, as
/// arch_prctl(ARCH_SET_FS) says: the hardware would fault loading it.
fn copy_thread(k: &Kernel, child: &mut Task, regs: &PtRegs, args: &CloneArgs) -> SysResult<()> {
    let mut r = *regs;
    r.rax = 0;
    if args.stack != 0 {
        r.rsp = args.stack;
    }
    if args.flags.contains(CloneFlags::SETTLS) {
        child.fs_base = crate::proc::check_user_base(args.tls)?;
    }
    child.kstack.set_regs(&r);
    child.kstack.set_fpu(&k.cur_fpu());
    child.kstack.prepare_first_switch();
    Ok(())
}

/// A generous bound on the kernel heap one new task takes: the task and
/// the shareable parts fork may copy (a sighand is 2 KiB; a descriptor
/// table grows with the parent's). Its kernel stack is frames.
const FORK_HEAP_BYTES: usize = 48 * 1024;

/// Linux: copy_process(). Builds the child in the seeds' order; returns
/// its TID with the child linked in but not yet runnable.
pub fn copy_process(k: &mut Kernel, regs: &PtRegs, args: &CloneArgs) -> SysResult<Pid> {
    check_clone_flags(k, args.flags)?;
    let flags = args.flags;

    // dup_task_struct(): the task structure and its kernel stack. The
    // heap the task and the copies below take is refused with ENOMEM while
    // the heap's reserve for the kernel's own needs would be touched
    // (Linux: kmem_cache_alloc_node() failing in dup_task_struct()).
    if !crate::mm::kheap::may_alloc(FORK_HEAP_BYTES) {
        return Err(ENOMEM);
    }
    let kstack = step(k, "dup_task_struct", |k| k.sched.kstacks_mut().get(k.mem.frames_mut()))?;
    let mut child = dup_task_struct(k, kstack);
    child.cred = step(k, "copy_creds", |k| copy_creds(k, flags))?;
    // A thread sharing the memory must not share the alternate signal
    // stack (Linux: sas_ss_reset() for CLONE_VM without CLONE_VFORK).
    if flags & (CloneFlags::VM | CloneFlags::VFORK) == CloneFlags::VM {
        child.sigstate.altstack.reset();
    }

    // The per-user process limit, then the system-wide thread limit
    // (Linux: bad_fork_cleanup_count, EAGAIN both).
    let too_many = k.nr_threads() >= k.proc.max_threads as u64;
    let limits = step(k, "check_nproc", |k| check_nproc(k)).and(if too_many { Err(EAGAIN) } else { Ok(()) });
    if let Err(e) = limits {
        k.ns.user.put(child.cred.user_ns);
        k.ns.user.put(child.cred.mm_user_ns);
        return Err(e);
    }

    // From here each step gives the child one more shared part; a failure
    // gives back what the child holds (Linux: the bad_fork_cleanup_* labels).
    let pid = match copy_parts(k, &mut child, regs, args) {
        Ok(pid) => pid,
        Err(e) => {
            put_parts(k, &child);
            return Err(e);
        }
    };
    link_task(k, child, flags, args.exit_signal);
    // Linux: ptrace_init_task(): traced like its parent when the clone
    // reports an event to the tracer, or with CLONE_PTRACE.
    let event = k.ptrace_clone_event(flags, args.exit_signal);
    k.ptrace_init_task(pid, flags, event);
    // CLONE_PIDFD: a pidfd for the child, its number stored for the
    // parent; a fault there undoes the whole fork (Linux:
    // bad_fork_put_pidfd).
    if flags.contains(CloneFlags::PIDFD) {
        let stored = k.pidfd_create(pid, 0).and_then(|fd| {
            k.write_val(args.pidfd, &fd).inspect_err(|_| {
                let _ = crate::syscall::close_fd(k, fd);
            })
        });
        if let Err(e) = stored {
            let child = unlink_task(k, pid, flags);
            put_parts(k, &child);
            return Err(e);
        }
    }
    crate::trace!(k, TaskNewtask, {
        // Tine has no oom_score_adj: always Linux's default, 0.
        Payload::NewTask { pid: pid as i32, comm: k.trace_comm(pid), clone_flags: flags.bits(), oom_score_adj: 0 }
    });
    Ok(pid)
}

/// Run one step of copy_process(), seen by `tine:copy_process_step`.
fn step<T>(k: &mut Kernel, name: &'static str, f: impl FnOnce(&mut Kernel) -> SysResult<T>) -> SysResult<T> {
    crate::proc::tracepoint::step(k, Event::CopyProcessStep, name, f)
}

/// The middle of copy_process(), in Linux's order: the shared parts, the
/// namespaces, the registers, then the PID. Each part is stored in the
/// child as soon as it exists, so that [`put_parts`] finds what to give
/// back if a later step fails.
fn copy_parts(k: &mut Kernel, child: &mut Task, regs: &PtRegs, args: &CloneArgs) -> SysResult<Pid> {
    let flags = args.flags;
    child.files = step(k, "copy_files", |k| Ok(copy_files(k, flags)))?;
    child.fs = step(k, "copy_fs", |k| copy_fs(k, flags))?;
    child.sighand = step(k, "copy_sighand", |k| Ok(copy_sighand(k, flags)))?;
    child.signal = step(k, "copy_signal", |k| Ok(copy_signal(k, flags)))?;
    child.mm = step(k, "copy_mm", |k| copy_mm(k, flags))?;
    let cred = child.cred;
    child.nsproxy = step(k, "copy_namespaces", |k| copy_namespaces(k, flags, &cred))?;
    step(k, "copy_thread", |k| copy_thread(k, child, regs, args))?;
    // alloc_pid() (bad_fork_cleanup_thread on failure).
    let ns = k.ns.pid_for_children(child.nsproxy);
    let pid = step(k, "alloc_pid", |k| alloc_pid(k, ns, &args.set_tid[..args.set_tid_size as usize]))?;
    child.tid = pid;
    child.kstack.set_owner(pid, &child.comm);
    if flags.contains(CloneFlags::CHILD_CLEARTID) {
        child.clear_child_tid = args.child_tid;
    }
    // Linux: rseq_fork(): a child with its own memory keeps the area.
    if !flags.contains(CloneFlags::VM) {
        child.rseq = k.cur().rseq.map(|r| crate::proc::rseq::Rseq { notify: true, ..r });
    }
    // Linux: copy_semundo(), taken last here since it cannot fail: a
    // child made without CLONE_SYSVSEM starts with no undo list.
    if flags.contains(CloneFlags::SYSVSEM) {
        k.ipc_switch();
        child.sem_undo = k.sem_share_undo(k.cur().sem_undo);
    }
    Ok(pid)
}

/// Give back the shared parts a child that never ran holds, last taken
/// first (Linux: bad_fork_cleanup_mm down to bad_fork_cleanup_files).
/// Parts not yet taken are still unset.
fn put_parts(k: &mut Kernel, child: &Task) {
    fn put<T: SharedPart>(k: &mut Kernel, h: Handle<T>) {
        if !h.is_unset() {
            k.put(h);
        }
    }
    put(k, child.nsproxy);
    put(k, child.mm);
    put(k, child.signal);
    put(k, child.sighand);
    put(k, child.fs);
    put(k, child.files);
    k.ns.user.put(child.cred.user_ns);
    k.ns.user.put(child.cred.mm_user_ns);
}

/// Linux: alloc_pid(): a number in PID namespace `ns` and in each one
/// above it (the global one last), or with clone3's set_tid those exact
/// ones, innermost first: EINVAL for more entries than levels or one out
/// of range, EPERM without privilege (CAP_CHECKPOINT_RESTORE), EEXIST if
/// taken; ENOMEM once `ns`'s init has died.
fn alloc_pid(k: &mut Kernel, ns: crate::ns::PidNsId, set_tid: &[i32]) -> SysResult<Pid> {
    if set_tid.len() > k.ns.pid.get(ns).level() as usize + 1
        || set_tid.iter().any(|&t| t < 1 || t as u32 >= k.proc.pids.pid_max())
    {
        return Err(EINVAL);
    }
    // Linux: checkpoint_restore_ns_capable().
    let c = k.cur().cred;
    if !set_tid.is_empty()
        && !c.capable(crate::proc::capability::CAP_SYS_ADMIN)
        && !c.capable(crate::proc::capability::CAP_CHECKPOINT_RESTORE)
    {
        return Err(EPERM);
    }
    k.ns.pid.alloc(ns, &mut k.proc.pids, set_tid)
}

/// Make the child part of the system: its thread group, its parent's
/// children, the task list (Linux: the tail of copy_process(), under
/// tasklist_lock).
fn link_task(k: &mut Kernel, mut child: Task, flags: CloneFlags, exit_signal: u32) {
    let cur = k.cur();
    if flags.intersects(CloneFlags::PARENT | CloneFlags::THREAD) {
        child.parent = cur.parent;
        child.exit_signal = if flags.contains(CloneFlags::THREAD) { 0 } else { k.proc.tasks[&cur.tgid].exit_signal };
    } else {
        child.parent = cur.tid;
        child.exit_signal = exit_signal;
    }
    child.tgid = if flags.contains(CloneFlags::THREAD) { cur.tgid } else { child.tid };
    let (pid, parent) = (child.tid, child.parent);
    // The first process of a PID namespace is its init: the reaper of its
    // orphans, deaf to signals it has no handler for (Linux:
    // is_child_reaper() in copy_process()).
    let ns = k.pid_ns_of(pid);
    if ns != k.ns.pid.init() && k.ns.pid.nr_in(pid, ns) == 1 {
        k.ns.pid.get_mut(ns).reaper = pid;
        k.sig.signals_mut().get_mut(child.signal).unkillable = true;
    }
    let sig = k.sig.signals_mut().get_mut(child.signal);
    sig.threads.insert(pid);
    // Linux: atomic_inc(&signal->live), past copy_process()'s last step
    // that can fail for a thread (a new process starts with live = 1).
    if flags.contains(CloneFlags::THREAD) {
        sig.live += 1;
    }
    k.proc.ucounts.inc_nproc(child.cred.uid);
    // Only processes are children: threads hang off their leader.
    if !flags.contains(CloneFlags::THREAD) {
        k.proc.pgrps.join(k.sig.signals().get(child.signal).pgid, pid);
        if let Some(p) = k.proc.tasks.get_mut(&parent) {
            p.children.insert(pid);
        }
    }
    k.proc.tasks.insert(pid, alloc::boxed::Box::new(child));
}

/// Take a child that never ran back out of the task list, freeing its PID
/// (the reverse of [`link_task`]); it still holds its shared parts.
fn unlink_task(k: &mut Kernel, pid: Pid, flags: CloneFlags) -> alloc::boxed::Box<Task> {
    let t = k.proc.tasks.remove(&pid).expect("child just linked");
    if let Some(p) = k.proc.tasks.get_mut(&t.parent) {
        p.children.remove(&pid);
    }
    let sig = k.sig.signals_mut().get_mut(t.signal);
    sig.threads.remove(&pid);
    if flags.contains(CloneFlags::THREAD) {
        sig.live -= 1;
    }
    k.proc.ucounts.dec_nproc(t.cred.uid);
    if !flags.contains(CloneFlags::THREAD) {
        k.proc.pgrps.leave(k.sig.signals().get(t.signal).pgid, pid);
    }
    k.put_pid(pid);
    t
}

/// Linux: wake_up_new_task(): the child joins a run queue
/// (`Kernel::wake_up_new_task` says which).
pub fn wake_up_new_task(k: &mut Kernel, pid: Pid) {
    k.wake_up_new_task(pid);
    k.trace_wakeup(Event::SchedWakeupNew, pid);
}

/// Linux: kernel_clone() (the seeds' do_fork()): copy the process, then
/// the TID bookkeeping clone asked for, then let the child run. A vfork
/// parent then sleeps until the child execs or exits. Returns the child's
/// TID to the parent.
pub fn kernel_clone(k: &mut Kernel, regs: &PtRegs, args: &CloneArgs) -> SysResult {
    // Legacy clone returns the pidfd through parent_tid: both cannot use it.
    if args.flags.contains(CloneFlags::PIDFD)
        && args.flags.contains(CloneFlags::PARENT_SETTID)
        && args.pidfd == args.parent_tid
    {
        return Err(EINVAL);
    }
    // Linux: the event a tracer hears of is chosen before copy_process().
    let event = k.ptrace_clone_event(args.flags, args.exit_signal);
    let pid = copy_process(k, regs, args)?;
    k.proc.forks += 1;
    crate::trace!(k, SchedProcessFork, {
        let parent = k.cur().tid;
        Payload::Fork {
            parent_comm: k.trace_comm(parent),
            parent_pid: parent as i32,
            child_comm: k.trace_comm(pid),
            child_pid: pid as i32,
        }
    });
    if k.trace.enabled(crate::trace::Event::MmRss) && !args.flags.contains(CloneFlags::VM) {
        // Everything the parent had mapped is now shared with the child.
        let parent = k.cur().tgid;
        k.trace_mm_rss(parent);
        k.trace_mm_rss(pid);
    }
    // The parent sees the child's number in its own PID namespace, the
    // child its number in the child's (Linux: pid_vnr() in kernel_clone(),
    // task_pid_vnr() in schedule_tail()).
    let nr = k.pid_vnr(pid);
    // Faults on these addresses are ignored, as in Linux.
    if args.flags.contains(CloneFlags::PARENT_SETTID) {
        let _ = k.write_val(args.parent_tid, &(nr as i32));
    }
    if args.flags.contains(CloneFlags::CHILD_SETTID) {
        let mm = k.proc.tasks[&pid].mm;
        let own = k.pid_nr_for(pid, pid) as i32;
        let _ = k.with_mm_of(mm, |a, ctx| a.write_val(ctx, args.child_tid, &own));
    }
    if args.flags.contains(CloneFlags::VFORK) {
        k.proc.tasks.get_mut(&pid).expect("child").vfork_parent = Some(k.cur().tid);
        k.cur_mut().resume = crate::proc::Resume::Vfork { child: pid, released: false };
    }
    wake_up_new_task(k, pid);
    // Linux: ptrace_event_pid(): the parent stops with the child's id for
    // GETEVENTMSG (here once the call returns, or before its vfork sleep).
    if event != 0 {
        k.ptrace_event(event, nr as u64);
    }
    if args.flags.contains(CloneFlags::VFORK) {
        crate::trace!(k, VforkWait, Payload::Vfork { parent_pid: k.cur().tid as i32, child_pid: pid as i32 });
        return wait_for_vfork_done(k);
    }
    Ok(nr as usize)
}

/// Linux: wait_for_vfork_done(). The vfork parent sleeps until its child
/// releases the shared memory (exec or exit). The clone call runs again
/// after each wake-up (Tine's blocking model) and comes straight here; the
/// sleep is killable but not interruptible, so only a fatal signal ends it
/// early (the parent then dies before returning to user mode).
fn wait_for_vfork_done(k: &mut Kernel) -> SysResult {
    let (child, done) = k.cur().resume.vfork().expect("vfork parent");
    let killed = k.deliverable_set(k.cur().tid).has(SIGKILL);
    if done || killed || !k.proc.tasks.contains_key(&child) {
        k.cur_mut().resume.clear_vfork();
        // Linux: PTRACE_EVENT_VFORK_DONE unless the wait was killed.
        if !killed {
            k.ptrace_event(PTRACE_EVENT_VFORK_DONE, k.pid_vnr(child) as u64);
        }
        return Ok(k.pid_vnr(child) as usize);
    }
    k.sleep_current(crate::proc::WaitReason::Vfork);
    Err(ERESTARTNOINTR)
}

/// A clone call running again after its vfork sleep (see
/// [`wait_for_vfork_done`]) must not fork a second time.
pub(crate) fn resume_vfork(k: &mut Kernel) -> Option<SysResult> {
    k.cur().resume.vfork().map(|_| wait_for_vfork_done(k))
}

/// Sizes of `struct clone_args` as it grew (Linux: CLONE_ARGS_SIZE_VER0..2).
pub(crate) const CLONE_ARGS_SIZE_VER0: u64 = 64;
pub(crate) const CLONE_ARGS_SIZE_VER2: u64 = core::mem::size_of::<CloneArgsAbi>() as u64;
/// Linux: MAX_PID_NS_LEVEL, the most set_tid entries.
pub(crate) const MAX_PID_NS_LEVEL: u64 = crate::ns::pid::MAX_PID_NS_LEVEL as u64;
