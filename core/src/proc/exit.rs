//! Ending a task (Linux: kernel/exit.c).
//!
//! `do_exit` gives back what the task holds, in Linux's order (exit_mm,
//! exit_files, exit_fs), then `exit_notify` finds new parents for its
//! children and tells its own parent. The task stays as a zombie holding
//! its wait status until the parent reaps it with wait4/waitid
//! (`release_task`), or is released at once when its parent said it does
//! not want to wait (SIGCHLD ignored or SA_NOCLDWAIT).

use alloc::vec::Vec;

use crate::abi::{NSIG, SA_NOCLDWAIT, SIGCHLD, SIGCONT, SIGHUP, SIG_IGN};
use crate::fs::file::FdTable;
use crate::kernel::Kernel;
use crate::mm::aspace::AddressSpace;
use crate::proc::kstack::KSTACK_BYTES;
use crate::proc::{FsInfo, Handle, MmId, Pid, SigHand, SignalStruct, TaskState};
use crate::signal::SigInfo;

/// The first process: orphans end up here when no subreaper claims them
/// (Linux: the pid namespace's child_reaper).
pub const INIT_PID: Pid = 1;

/// A kind of object tasks share (see `proc::shared`), and what its last
/// user must tear down. [`Kernel::put`] is the one call that drops a user
/// of any of them.
pub trait SharedPart: Sized {
    fn put(k: &mut Kernel, h: Handle<Self>);
}

impl SharedPart for AddressSpace {
    fn put(k: &mut Kernel, h: Handle<Self>) {
        k.put_mm(h)
    }
}
impl SharedPart for FdTable {
    fn put(k: &mut Kernel, h: Handle<Self>) {
        k.put_files(h)
    }
}
impl SharedPart for FsInfo {
    fn put(k: &mut Kernel, h: Handle<Self>) {
        k.put_fs(h)
    }
}
impl SharedPart for SigHand {
    /// Handlers hold nothing else (Linux: __cleanup_sighand()).
    fn put(k: &mut Kernel, h: Handle<Self>) {
        let _ = k.sig.sighands_mut().put(h);
    }
}
impl SharedPart for crate::ns::NsProxy {
    fn put(k: &mut Kernel, h: Handle<Self>) {
        k.put_nsproxy(h)
    }
}
impl SharedPart for SignalStruct {
    fn put(k: &mut Kernel, h: Handle<Self>) {
        k.put_signal(h)
    }
}

impl Kernel {
    /// Drop one user of a shared part of a task (mm, files, fs, sighand,
    /// signal); the last one tears it down.
    pub fn put<T: SharedPart>(&mut self, h: Handle<T>) {
        T::put(self, h)
    }

    /// Drop one user of address space `mm`; the last one frees it
    /// (Linux: mmput()).
    pub fn put_mm(&mut self, mm: MmId) {
        if let Some(aspace) = self.mem.mms_mut().put(mm) {
            if let Some(ino) = aspace.exe {
                self.vfs.fs_mut().allow_write_access(ino);
            }
            // Segments it had attached note the last detach (Linux:
            // shm_close() from exit_mmap()).
            self.shm_note_detach(aspace.mapped_objects());
            aspace.release(&mut self.mem_ctx());
            // File pages nobody maps any more go back to the file.
            self.reclaim_page_cache();
        }
    }

    /// Drop one user of a descriptor table; the last one closes every
    /// descriptor (Linux: put_files_struct()).
    pub fn put_files(&mut self, files: super::FilesId) {
        if let Some(mut table) = self.vfs.fdtables_mut().put(files) {
            for fd in table.drain(false) {
                self.filp_close(fd.file, files);
            }
        }
    }

    /// A copy of descriptor table `id` whose descriptors refer to the same
    /// open file descriptions, which gain a reference each (Linux: dup_fd()).
    pub fn dup_fd_table(&mut self, id: super::FilesId) -> super::FilesId {
        let table = self.vfs.fdtables().get(id).clone();
        for (_, fd) in table.iter() {
            self.vfs.files_mut().get_ref(fd.file);
        }
        self.vfs.fdtables_mut().insert(table)
    }

    /// Drop one user of a file-system context (Linux: free_fs_struct()).
    pub fn put_fs(&mut self, fs: super::FsId) {
        if let Some(info) = self.vfs.fs_structs_mut().put(fs) {
            self.vfs.fs_mut().iput(info.cwd.ino);
            self.vfs.fs_mut().iput(info.root);
        }
    }

    /// Drop one user of a process's shared state; the last one lets go of
    /// its process group and session numbers (Linux: __cleanup_signal()).
    pub fn put_signal(&mut self, signal: super::SignalId) {
        if let Some(sig) = self.sig.signals_mut().put(signal) {
            self.put_pid(sig.pgid);
            self.put_pid(sig.sid);
            self.drop_sigqueue(sig.shared_info);
        }
    }

    /// CLONE_CHILD_CLEARTID / set_tid_address: at exit, when the address
    /// space lives on in other threads, zero the TID word so that a
    /// pthread_join-er sees the thread is gone (Linux: mm_release()). A
    /// bad address is ignored, as in Linux.
    pub fn clear_child_tid(&mut self, pid: Pid) {
        let t = &self.proc.tasks[&pid];
        let (addr, mm) = (t.clear_child_tid, t.mm);
        if addr == 0 || self.mem.mms().users(mm) < 2 {
            return;
        }
        self.proc.tasks.get_mut(&pid).expect("task").clear_child_tid = 0;
        if self.write_val(addr, &0u32).is_ok() {
            self.futex_wake_addr(addr, 1);
        }
    }

    /// Release a vfork parent: its child has exec'd or is exiting
    /// (Linux: complete_vfork_done()).
    pub fn complete_vfork_done(&mut self, child: Pid) {
        let Some(parent) = self.proc.tasks.get_mut(&child).and_then(|t| t.vfork_parent.take()) else { return };
        if let Some(p) = self.proc.tasks.get_mut(&parent) {
            if let crate::proc::Resume::Vfork { child: c, released: done } = &mut p.resume {
                if *c == child {
                    *done = true;
                }
            }
            crate::trace!(
                self,
                VforkDone,
                crate::trace::Payload::Vfork { parent_pid: parent as i32, child_pid: child as i32 }
            );
            self.wake(parent);
        }
    }

    /// Close the close-on-exec descriptors of `pid` (Linux: do_close_on_exec()).
    pub fn close_on_exec(&mut self, pid: Pid) {
        let files = self.proc.tasks[&pid].files;
        let closed = self.vfs.fdtables_mut().get_mut(files).drain(true);
        for fd in closed {
            self.filp_close(fd.file, files);
        }
    }

    /// Whether `tgid`'s process has asked not to keep zombie children:
    /// SIGCHLD ignored, or SA_NOCLDWAIT (Linux: the test in do_notify_parent()).
    fn ignores_children(&self, tgid: Pid) -> (bool, bool) {
        match self.proc.tasks.get(&tgid) {
            Some(p) => {
                let act = self.sig.sighands().get(p.sighand).action[SIGCHLD as usize - 1];
                (act.handler == SIG_IGN, act.handler == SIG_IGN || act.flags & SA_NOCLDWAIT != 0)
            }
            None => (false, false),
        }
    }

    /// Tell `pid`'s parent that it has exited: its exit signal, and a wake-up
    /// for waiters. Returns true when nobody will wait for it, so it must be
    /// released now (Linux: do_notify_parent()).
    pub fn notify_parent(&mut self, pid: Pid) -> bool {
        // Pollers of the process's pidfds see it readable now (Linux:
        // do_notify_pidfd()).
        self.wake_pollers();
        // A traced task tells its tracer, with its exit signal only when
        // the tracer is its real parent and the process is done, else
        // SIGCHLD; and a tracer always waits for it (Linux: exit_notify()
        // and do_notify_parent() with `tsk->parent` the tracer).
        let tracer = self.tracer_of(pid);
        let (parent, mut sig) = {
            let t = &self.proc.tasks[&pid];
            match tracer {
                Some(tr) => {
                    let own = t.is_leader() && self.thread_group_empty(t.tgid) && !self.ptrace_reparented(pid);
                    (tr, if own { t.exit_signal } else { SIGCHLD })
                }
                None => (t.parent, t.exit_signal),
            }
        };
        let Some(ptgid) = self.proc.tasks.get(&parent).map(|p| p.tgid) else {
            return true;
        };
        let mut autoreap = false;
        if sig == SIGCHLD && tracer.is_none() {
            let (ignored, nocldwait) = self.ignores_children(ptgid);
            autoreap = nocldwait;
            if ignored {
                sig = 0;
            }
        }
        // clone(2) takes any exit signal in its low byte without checking
        // it; one above NSIG is simply never sent (Linux: valid_signal()).
        if sig != 0 && sig <= NSIG {
            let t = &self.proc.tasks[&pid];
            let status = self.sig.signals().get(t.signal).group_exit.unwrap_or(t.exit_code);
            let r = crate::proc::wait::WaitResult {
                pid: t.tgid,
                uid: t.cred.uid,
                status,
                utime_ns: 0,
                stime_ns: 0,
                min_flt: 0,
                nvcsw: 0,
                nivcsw: 0,
                traced: false,
            };
            let (code, st) = r.cause_and_status();
            // The child's number as its parent sees it (Linux:
            // task_pid_nr_ns(tsk, task_active_pid_ns(tsk->parent))).
            let nr = self.ns.pid.nr_in(t.tgid, self.pid_ns_of(ptgid));
            let info = SigInfo { signo: sig, code, pid: nr, uid: t.cred.uid, status: st, ..Default::default() };
            let _ = self.send_signal_process(ptgid, info);
        }
        self.wake_all(super::WaitReason::ChildExit { tgid: ptgid });
        autoreap
    }

    /// Who adopts the children of exiting `father`: another live thread of
    /// its process, else the nearest ancestor below its PID namespace's
    /// init that is a child subreaper, else that init (Linux:
    /// find_new_reaper()). None when `father` is the last thread of that
    /// init: the namespace is dying and its processes with it, and they
    /// are released as they exit (Linux: its init reaps them in
    /// zap_pid_ns_processes()).
    fn find_new_reaper(&self, father: Pid) -> Option<Pid> {
        let f = &self.proc.tasks[&father];
        if let Some(t) = self.live_thread_of(f.tgid, Some(father)) {
            return Some(t);
        }
        let init = self.ns.pid.get(self.pid_ns_of(father)).reaper;
        if init == f.tgid {
            return None;
        }
        if self.sig.signals().get(f.signal).has_child_subreaper {
            let mut p = f.parent;
            while p != 0 && p != init {
                let Some(anc) = self.proc.tasks.get(&p) else { break };
                if self.sig.signals().get(anc.signal).is_child_subreaper {
                    if let Some(t) = self.live_thread_of(anc.tgid, None) {
                        return Some(t);
                    }
                }
                p = anc.parent;
            }
        }
        Some(self.live_thread_of(init, None).unwrap_or(init))
    }

    /// A thread of process `tgid` that is not exiting, other than `except`
    /// (Linux: find_alive_thread()).
    pub fn live_thread_of(&self, tgid: Pid, except: Option<Pid>) -> Option<Pid> {
        self.proc
            .tasks
            .values()
            .find(|t| {
                t.tgid == tgid && Some(t.tid) != except && t.state != TaskState::Zombie && t.state != TaskState::Dead
            })
            .map(|t| t.tid)
    }

    /// Give `father`'s children to a new parent, send each its parent-death
    /// signal, and report zombies among them to the new parent
    /// (Linux: forget_original_parent() → reparent_leader()).
    fn forget_original_parent(&mut self, father: Pid) {
        // Linux: exit_ptrace(), before the children find a new parent.
        self.exit_ptrace(father);
        let children: Vec<Pid> =
            core::mem::take(&mut self.proc.tasks.get_mut(&father).expect("task").children).into_iter().collect();
        if children.is_empty() {
            return;
        }
        let reaper = self.find_new_reaper(father).unwrap_or(0);
        let same_process = self.proc.tasks.get(&reaper).map(|r| r.tgid) == Some(self.proc.tasks[&father].tgid);
        for child in children {
            let (pdeathsig, zombie, leader) = {
                let c = self.proc.tasks.get_mut(&child).expect("child task");
                c.parent = reaper;
                (c.pdeathsig, c.is_zombie(), c.is_leader())
            };
            crate::trace!(
                self,
                Reparent,
                crate::trace::Payload::Reparent {
                    pid: child as i32,
                    old_parent: father as i32,
                    new_parent: reaper as i32
                }
            );
            if let Some(r) = self.proc.tasks.get_mut(&reaper) {
                r.children.insert(child);
            }
            if pdeathsig != 0 {
                let _ = self.send_signal_thread(child, SigInfo { signo: pdeathsig, ..Default::default() });
            }
            if leader && !zombie {
                self.kill_orphaned_pgrp(child, Some(father));
            }
            // A zombie is reported again to its new parent, which may
            // reap it at once (Linux: reparent_leader()).
            if zombie && leader && !same_process && self.notify_parent(child) {
                self.release_task(child);
            }
        }
    }

    /// Make the exiting task a zombie and tell its parent, or release it at
    /// once if nobody will wait for it (Linux: exit_notify()).
    fn exit_notify(&mut self, pid: Pid) {
        // The last thread of a PID namespace's init takes the namespace
        // down with it (Linux: find_child_reaper() → zap_pid_ns_processes()).
        let (tgid, ns) = (self.proc.tasks[&pid].tgid, self.pid_ns_of(pid));
        if ns != self.ns.pid.init()
            && self.ns.pid.get(ns).reaper == tgid
            && self.live_thread_of(tgid, Some(pid)).is_none()
        {
            self.zap_pid_ns_processes(ns);
        }
        self.forget_original_parent(pid);
        // The process's last thread: its own group may now be orphaned.
        let (leader, signal) = (self.proc.tasks[&pid].tgid, self.proc.tasks[&pid].signal);
        if self.sig.signals().get(signal).live == 0 && self.proc.tasks.contains_key(&leader) {
            self.kill_orphaned_pgrp(leader, None);
        }
        let t = self.proc.tasks.get_mut(&pid).expect("task");
        t.state = TaskState::Zombie;
        let (leader, tgid) = (t.is_leader(), t.tgid);
        // Threads other than the leader are never waited for (Linux:
        // exit_signal -1 for CLONE_THREAD children). A leader is reported
        // only once its whole group has gone (Linux: delay_group_leader()).
        let autoreap = if self.tracer_of(pid).is_some() {
            // Traced: the tracer hears of it and reaps it first.
            self.notify_parent(pid)
        } else if !leader {
            true
        } else if self.thread_group_empty(tgid) && !self.pid_ns_holds_report(tgid) {
            self.notify_parent(pid)
        } else {
            false
        };
        if autoreap {
            self.release_task(pid);
        }
    }

    /// No thread of process `tgid` but its leader remains.
    pub(crate) fn thread_group_empty(&self, tgid: Pid) -> bool {
        let Some(l) = self.proc.tasks.get(&tgid) else { return true };
        self.sig.signals().get(l.signal).threads.iter().all(|&t| t == tgid)
    }

    /// Remove a task for good: its PID becomes free, its parent forgets it,
    /// the process-wide objects lose a user, and its CPU time moves to the
    /// parent's tally (Linux: release_task(), __exit_signal()). The running
    /// task cannot free its own kernel stack; it is marked dead and freed
    /// by the next schedule() after the switch away.
    pub fn release_task(&mut self, pid: Pid) {
        // A task releasing itself (autoreaped) is charged its time so far.
        if self.sched.current() == Some(pid) {
            self.account_flush();
        }
        let (parent, signal, sighand, leader) = {
            let t = &self.proc.tasks[&pid];
            (t.parent, t.signal, t.sighand, t.is_leader())
        };
        let pid_ns = self.pid_ns_of(pid);
        // The process's CPU time (every thread's, kept in its
        // signal_struct as they run) and its children's go to the parent
        // when the process is reaped; a thread's own release moves
        // nothing (Linux: __exit_signal() adds it to sig->utime, and
        // wait_task_zombie() adds the group's to the parent's cutime).
        if leader {
            let cs = self.sig.signals().get(signal);
            let (u, s) = (cs.timers.cpu_user_ns, cs.timers.cpu_total_ns - cs.timers.cpu_user_ns);
            let child_times = (cs.cutime_ns, cs.cstime_ns);
            let child_maxrss = cs.maxrss.max(cs.cmaxrss);
            let child_flt = cs.min_flt + cs.cmin_flt;
            let child_csw = (cs.nvcsw + cs.cnvcsw, cs.nivcsw + cs.cnivcsw);
            if let Some(psig) = self.proc.tasks.get(&parent).map(|p| p.signal) {
                let ps = self.sig.signals_mut().get_mut(psig);
                ps.cmin_flt += child_flt;
                ps.cnvcsw += child_csw.0;
                ps.cnivcsw += child_csw.1;
                ps.cutime_ns += u + child_times.0;
                ps.cstime_ns += s + child_times.1;
                ps.cmaxrss = ps.cmaxrss.max(child_maxrss);
            }
        }
        if let Some(p) = self.proc.tasks.get_mut(&parent) {
            p.children.remove(&pid);
        }
        // Linux: release_task() → ptrace_release_task(): off its tracer's
        // list; it traces nobody any more (exit_ptrace() ran at its exit).
        self.ptrace_unlink(pid, 0);
        if let Some(me) = self.proc.tasks.get_mut(&pid) {
            me.ptrace.tracee = None;
        }
        self.sig.signals_mut().get_mut(signal).threads.remove(&pid);
        // The process is reaped: it leaves its group (Linux:
        // __unhash_process() → detach_pid(PIDTYPE_PGID)).
        if leader {
            self.proc.pgrps.leave(self.sig.signals().get(signal).pgid, pid);
        }
        if let Some(me) = self.proc.tasks.get_mut(&pid) {
            me.state = TaskState::Dead;
            self.proc.ucounts.dec_nproc(me.cred.uid);
            let queue = core::mem::take(&mut me.pending_info);
            self.drop_sigqueue(queue);
        }
        self.put_signal(signal);
        self.put(sighand);
        let tgid = self.proc.tasks[&pid].tgid;
        self.free_or_defer(pid);
        // The last thread of a process whose leader already exited: now
        // the parent hears of the process (Linux: the zap_leader step).
        if tgid != pid
            && self.proc.tasks.get(&tgid).is_some_and(|l| l.is_zombie())
            && self.thread_group_empty(tgid)
            && !self.pid_ns_holds_report(tgid)
            && self.notify_parent(tgid)
        {
            self.release_task(tgid);
        }
        // A dying PID namespace's init may have waited for this one.
        if pid_ns != self.ns.pid.init() {
            self.pid_ns_member_gone(pid_ns);
        }
    }

    /// End thread `tid` at once on behalf of `heir`, a thread of the same
    /// process that is exec'ing: its resources are dropped, its children go
    /// to `heir`, and it is freed without telling anyone. A leader is freed
    /// too but keeps its PID busy for `heir` to take (see exec's de_thread).
    pub fn zap_thread(&mut self, tid: Pid, heir: Pid) {
        // It neither traces nor is traced any more (Linux: its exit's
        // exit_ptrace(), then release_task()).
        self.exit_ptrace(tid);
        self.ptrace_unlink(tid, 0);
        self.proc.tasks.get_mut(&tid).expect("task").ptrace.tracee = None;
        let t = &self.proc.tasks[&tid];
        let (alive, leader) = (!t.is_zombie(), t.is_leader());
        let (mm, files, fs, sighand, signal, nsproxy) = (t.mm, t.files, t.fs, t.sighand, t.signal, t.nsproxy);
        self.futex_cancel(tid);
        self.fifo_wait_cancel_of(tid);
        if alive {
            self.put_mm(mm);
            self.put_files(files);
            self.put_fs(fs);
            self.put_nsproxy(nsproxy);
            self.sig.signals_mut().get_mut(signal).live -= 1;
        }
        self.put(sighand);
        self.sig.signals_mut().get_mut(signal).threads.remove(&tid);
        self.put_signal(signal);
        let children = core::mem::take(&mut self.proc.tasks.get_mut(&tid).expect("task").children);
        for &c in &children {
            if let Some(ct) = self.proc.tasks.get_mut(&c) {
                ct.parent = heir;
            }
        }
        let h = self.proc.tasks.get_mut(&heir).expect("heir");
        h.children.extend(children);
        self.unqueue_task(tid);
        let t = self.proc.tasks.get_mut(&tid).expect("task");
        t.state = TaskState::Dead;
        self.proc.ucounts.dec_nproc(t.cred.uid);
        // Its own pending signals go with it (Linux: __exit_signal()'s
        // flush_sigqueue()).
        let queue = core::mem::take(&mut t.pending_info);
        self.drop_sigqueue(queue);
        if !leader {
            self.free_or_defer(tid);
        }
    }

    /// Task `pid` lets go of address space `mm` (exit, exec): its peak
    /// RSS is kept in the process for getrusage (Linux:
    /// setmax_mm_hiwater_rss(&sig->maxrss, mm)).
    pub fn note_maxrss(&mut self, pid: Pid, mm: MmId) {
        let hw = self.mem.mms().get(mm).hiwater_pages() as u64;
        let sig = self.proc.tasks[&pid].signal;
        let s = self.sig.signals_mut().get_mut(sig);
        s.maxrss = s.maxrss.max(hw);
    }

    /// Free a released task's memory and PID.
    pub fn free_task(&mut self, pid: Pid) {
        crate::trace!(self, SchedProcessFree, self.trace_process(pid));
        // Never left on a run queue (it stopped, died or was released
        // off it already).
        self.dequeue_task(pid);
        if let Some(mut t) = self.proc.tasks.remove(&pid) {
            // Normally drained at release already; never leave a charge.
            self.drop_sigqueue(core::mem::take(&mut t.pending_info));
            // Linux: put_cred() of the task's credentials.
            self.ns.user.put(t.cred.user_ns);
            self.ns.user.put(t.cred.mm_user_ns);
            if let Some(at) = t.hrtimer {
                self.time.hrtimers_mut().remove(at, crate::time::hrtimer::HrTimer::Sleeper(pid));
            }
            // A stack that came close to its guard page: say so, and do
            // not reuse it (see `StackCache`).
            if t.kstack.deeper_than(KSTACK_BYTES * 3 / 4) {
                let used = t.kstack.high_water();
                self.log(format_args!("tine: warning: task {pid} used {used} of {KSTACK_BYTES} kernel stack bytes"));
                self.sched.kstacks_mut().discard(t.kstack, self.mem.frames_mut());
            } else {
                drop(t);
            }
            self.sched.kstacks_mut().trim(self.mem.frames_mut());
        }
        self.put_pid(pid);
    }
}

impl Kernel {
    /// What is still allocated when init has gone: with no task left, every
    /// frame, PID and open file must be back (`xtask test` checks this line
    /// after every case: the no-leak rule).
    fn log_accounting(&mut self) {
        // Programs stay in the page cache after their last exec for the
        // next one; that is no leak. Dropping every page nothing maps (as
        // `echo 1 > /proc/sys/vm/drop_caches`) leaves what is.
        // With its last process gone the IPC namespace goes too, and its
        // shared memory segments with it (Linux: free_ipc_ns() →
        // shm_exit_ns()); those are no leak either.
        self.shm_exit_ns();
        self.sem_exit_ns();
        self.msg_exit_ns();
        self.drop_page_caches();
        self.sched.kstacks_mut().drain(self.mem.frames_mut());
        let live = self.proc.tasks.values().filter(|t| t.state != TaskState::Dead).count();
        let dead = self.proc.tasks.len() - live;
        // Frames outside the kernel heap, as the baseline counts them
        // (`spawn_init`); the heap's are shown apart.
        let heap = self.mem.frames().heap_frames();
        let used = self.mem.frames().stats().used - heap;
        self.log(format_args!(
            "tine: accounting at init exit: tasks={live} frames_used={used} boot_frames_used={} open_files={} pids_busy={} sigqueued={} committed={} nproc={} waitqueued={} pgrp_members={} heap_frames={heap}",
            self.mem.boot_frames_used(),
            self.vfs.files().count(),
            self.proc.pids.in_use() - dead,
            self.proc.ucounts.sigpending_total(),
            self.mem.frames().commit.committed(),
            self.proc.ucounts.nproc_total(),
            self.sched.waitqueues().len(),
            self.proc.pgrps.len()
        ));
    }
}

/// Job control at exit (Linux: kernel/exit.c, "orphaned process groups").
impl Kernel {
    /// Whether process group `pgid` has (or, ignoring `ignored`, will have)
    /// no member whose parent is in another group of the same session.
    /// Children of init do not count as such a link (Linux:
    /// will_become_orphaned_pgrp()).
    pub fn will_become_orphaned_pgrp(&self, pgid: Pid, ignored: Option<Pid>) -> bool {
        let members = self.proc.pgrps.members(pgid).filter_map(|p| self.proc.tasks.get(&p));
        !members.filter(|t| t.state != TaskState::Dead).any(|t| {
            let s = self.sig.signals().get(t.signal);
            if s.pgid != pgid
                || Some(t.tid) == ignored
                || (t.is_zombie() && self.thread_group_empty(t.tgid))
                || t.parent == INIT_PID
            {
                return false;
            }
            self.proc.tasks.get(&t.parent).is_some_and(|p| {
                let ps = self.sig.signals().get(p.signal);
                ps.pgid != pgid && ps.sid == s.sid
            })
        })
    }

    /// Linux: has_stopped_jobs(): a member of group `pgid` is stopped.
    /// Looks at the group's members only (not every process).
    fn has_stopped_jobs(&self, pgid: Pid) -> bool {
        let members = self.proc.pgrps.members(pgid).filter_map(|p| self.proc.tasks.get(&p));
        members.filter(|t| t.state != TaskState::Dead).any(|t| self.sig.signals().get(t.signal).stopped)
    }

    /// A process group that an exit leaves orphaned, with stopped members,
    /// gets SIGHUP then SIGCONT: nobody is left to continue it (POSIX;
    /// Linux: kill_orphaned_pgrp()). `parent` is None when `tsk` itself is
    /// exiting, else the exiting parent of `tsk`.
    fn kill_orphaned_pgrp(&mut self, tsk: Pid, parent: Option<Pid>) {
        let (ignored, parent) = match parent {
            None => (Some(tsk), self.proc.tasks[&tsk].parent),
            Some(p) => (None, p),
        };
        let Some(pt) = self.proc.tasks.get(&parent) else { return };
        let (ps, ts) = (self.sig.signals().get(pt.signal), self.sig.signals().get(self.proc.tasks[&tsk].signal));
        let pgid = ts.pgid;
        if ps.pgid != pgid
            && ps.sid == ts.sid
            && self.will_become_orphaned_pgrp(pgid, ignored)
            && self.has_stopped_jobs(pgid)
        {
            let _ = self.kill_pgrp_from_kernel(pgid, SIGHUP);
            let _ = self.kill_pgrp_from_kernel(pgid, SIGCONT);
        }
    }

    /// Send `sig` to every process of group `pgid`, as the kernel.
    fn kill_pgrp_from_kernel(&mut self, pgid: Pid, sig: u32) -> usize {
        let live = |p: &Pid| self.proc.tasks.get(p).is_some_and(|t| !t.is_zombie() && t.state != TaskState::Dead);
        let members: Vec<Pid> = self.proc.pgrps.members(pgid).filter(live).collect();
        for &m in &members {
            let _ = self.send_signal_process(m, SigInfo::kernel(sig));
        }
        members.len()
    }
}

/// Linux: do_exit(). The task gives back its memory, descriptors and
/// file-system context, re-homes its children and becomes a zombie holding
/// its wait status (or is released at once). When init (PID 1) goes, the
/// machine has nothing left to run: the kernel records the status and stops.
pub fn do_exit(k: &mut Kernel, status: i32) {
    let pid = k.sched.current().expect("exit from a task");
    // PTRACE_EVENT_EXIT: the tracer sees the task before anything is
    // given back; do_exit runs again once it is let go.
    if k.cur().ptrace.tracee.is_some() && k.ptrace_exit_stop(status) {
        return;
    }
    // exit_sem() below works on the task's IPC namespace.
    k.ipc_switch();
    let (mm, files, fs, nsproxy) = {
        let t = k.proc.tasks.get_mut(&pid).expect("task");
        (t.mm, t.files, t.fs, core::mem::take(&mut t.nsproxy))
    };
    // exit_mm() → mm_release(): robust futexes, the CLEARTID word, and a
    // vfork parent waiting for us. Then the page table stays live until the
    // switch away, so park the CPU on the kernel's own table before the
    // address space is freed.
    k.futex_cancel(pid);
    k.fifo_wait_cancel_of(pid);
    k.exit_robust_list(pid);
    k.clear_child_tid(pid);
    k.complete_vfork_done(pid);
    k.switch_mm(None);
    k.note_maxrss(pid, mm);
    k.put_mm(mm);
    // Linux: exit_sem(), after exit_mm().
    k.exit_sem(pid);
    crate::trace!(k, SchedProcessExit, k.trace_process(pid));
    // What the parent shared with this process alone is now its own.
    if k.trace.enabled(crate::trace::Event::MmRss) {
        let parent = k.proc.tasks[&pid].parent;
        k.trace_mm_rss(parent);
    }
    k.put_files(files);
    k.put_fs(fs);
    // Linux: exit_task_namespaces(); the zombie has none.
    k.put_nsproxy(nsproxy);
    {
        let t = k.proc.tasks.get_mut(&pid).expect("task");
        t.exit_code = status;
        let sig = t.signal;
        let s = k.sig.signals_mut().get_mut(sig);
        s.live -= 1;
        if s.live == 0 {
            k.exit_timers(sig);
        }
    }
    // A session leader's last thread: its controlling terminal hangs up
    // (Linux: disassociate_ctty(1)).
    if k.sig.signals().get(k.proc.tasks[&pid].signal).live == 0 {
        let tgid = k.proc.tasks[&pid].tgid;
        k.tty_session_leader_exit(tgid);
    }
    if pid == INIT_PID {
        k.log(format_args!("tine: init exited status={status}"));
        k.proc.shutdown = Some(status);
    }
    k.exit_notify(pid);
    if pid == INIT_PID {
        k.log_accounting();
    }
}

/// Linux: do_group_exit(): the whole process exits with `status`; every
/// other thread gets SIGKILL and follows when it next runs.
pub fn do_group_exit(k: &mut Kernel, status: i32) {
    let (signal, me, tgid) = (k.cur().signal, k.cur().tid, k.cur().tgid);
    let s = k.sig.signals_mut().get_mut(signal);
    let status = *s.group_exit.get_or_insert(status);
    // The group exit replaces the stop state (Linux: signal->flags =
    // SIGNAL_GROUP_EXIT): a dying process is no longer stopped, for its
    // parent's wait, for the orphaned-group check at its exit
    // (has_stopped_jobs()) and for a tracee detached on the way.
    s.stopped = false;
    s.stop_report = None;
    s.continue_report = false;
    let others: Vec<Pid> = k.threads_of(tgid).into_iter().filter(|&t| t != me).collect();
    for t in others {
        k.kill_thread_now(t);
    }
    do_exit(k, status);
}
