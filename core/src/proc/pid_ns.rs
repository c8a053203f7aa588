//! The kernel's side of PID namespaces (`ns::pid` keeps the numbers):
//! translating numbers at the system-call boundary, freeing a pid with
//! all its levels, and a namespace's death with its init (Linux:
//! kernel/pid.c pid_vnr()/find_vpid(), kernel/pid_namespace.c
//! zap_pid_ns_processes()).
//!
//! Inside the kernel every task, process group and session is named by
//! its global number (its number in the initial namespace). A number a
//! caller passes in is looked up in the caller's namespace
//! ([`Kernel::find_vpid`]), and a number handed out is the one the
//! receiver sees ([`Kernel::pid_vnr`], 0 when the receiver cannot see it).

use alloc::vec::Vec;

use crate::abi::SIGKILL;
use crate::kernel::Kernel;
use crate::ns::PidNsId;
use crate::proc::{Pid, TaskState};
use crate::signal::SigInfo;

impl Kernel {
    /// One user of global number `pid` is gone (a task, a process group,
    /// a session); the last one frees it at every level (Linux: put_pid()
    /// → free_pid()).
    pub fn put_pid(&mut self, pid: Pid) {
        if self.proc.pids.put(pid) {
            self.ns.pid.release(pid);
            self.ns.release_pid_owners();
        }
    }

    /// The PID namespace task `tid` lives in (Linux: task_active_pid_ns()).
    pub fn pid_ns_of(&self, tid: Pid) -> PidNsId {
        self.ns.pid.ns_of(tid)
    }

    /// The running task's PID namespace.
    pub fn active_pid_ns(&self) -> PidNsId {
        self.sched.current().map_or(self.ns.pid.init(), |t| self.ns.pid.ns_of(t))
    }

    /// Global `pid` as the running task sees it; 0 if it cannot (Linux:
    /// pid_vnr()).
    pub fn pid_vnr(&self, pid: Pid) -> Pid {
        self.ns.pid.nr_in(pid, self.active_pid_ns())
    }

    /// Global `pid` as task `viewer` sees it (Linux: pid_nr_ns() with the
    /// viewer's task_active_pid_ns()).
    pub fn pid_nr_for(&self, pid: Pid, viewer: Pid) -> Pid {
        self.ns.pid.nr_in(pid, self.pid_ns_of(viewer))
    }

    /// The global number of `nr` in the running task's namespace, 0 if no
    /// pid has that number there (Linux: find_vpid()). Whether a task
    /// owns the number is the caller's question.
    #[inline]
    pub fn find_vpid(&self, nr: Pid) -> Pid {
        self.ns.pid.find(nr, self.active_pid_ns()).unwrap_or(0)
    }

    /// Whether a signal from the running task to process `tgid` comes
    /// from an ancestor namespace, where the receiver cannot see the
    /// sender: then SIGKILL and SIGSTOP reach even a namespace's init
    /// (Linux: the `force` of __send_signal_locked()).
    pub fn signal_from_outside(&self, tgid: Pid) -> bool {
        let Some(cur) = self.sched.current() else { return false };
        self.ns.pid.nr_in(self.proc.tasks[&cur].tgid, self.pid_ns_of(tgid)) == 0
    }

    /// The init of namespace `ns` whose last thread is exiting: close the
    /// namespace to newcomers and SIGKILL everything in it (nested
    /// namespaces too). Its report to its parent waits until they are
    /// all gone (see [`Kernel::pid_ns_holds_report`]). Linux:
    /// zap_pid_ns_processes(); its init reaps the children it waits for,
    /// which Tine does by giving them no parent (released at exit).
    pub(crate) fn zap_pid_ns_processes(&mut self, ns: PidNsId) {
        self.ns.pid.disable_alloc(ns);
        self.ns.pid.get_mut(ns).zapped = true;
        let init = self.ns.pid.get(ns).reaper;
        let victims: Vec<Pid> = self
            .proc
            .tasks
            .values()
            .filter(|t| t.is_leader() && t.tgid != init && !t.is_zombie() && t.state != TaskState::Dead)
            .filter(|t| self.ns.pid.is_within(self.ns.pid.ns_of(t.tid), ns))
            .map(|t| t.tgid)
            .collect();
        for p in victims {
            // A nested namespace's init goes too (Linux sends with
            // SEND_SIG_PRIV, which overrides SIGNAL_UNKILLABLE).
            let sig = self.proc.tasks[&p].signal;
            self.sig.signals_mut().get_mut(sig).unkillable = false;
            let _ = self.send_signal_process(p, SigInfo::kernel(SIGKILL));
        }
    }

    /// Whether process `tgid`, a zombie, is a dying namespace's init that
    /// must not be reported to its parent yet: other processes of its
    /// namespace are still there.
    pub(crate) fn pid_ns_holds_report(&self, tgid: Pid) -> bool {
        let ns = self.pid_ns_of(tgid);
        let p = self.ns.pid.get(ns);
        p.zapped && p.reaper == tgid && self.pid_ns_members_left(ns, tgid)
    }

    fn pid_ns_members_left(&self, ns: PidNsId, init: Pid) -> bool {
        self.proc.tasks.values().any(|t| {
            t.tgid != init && t.state != TaskState::Dead && self.ns.pid.is_within(self.ns.pid.ns_of(t.tid), ns)
        })
    }

    /// Task `pid`, which lived in `ns`, has been released: a dying
    /// namespace above it whose init waited for the last of its members
    /// now reports its init (the end of zap_pid_ns_processes()).
    pub(crate) fn pid_ns_member_gone(&mut self, mut ns: PidNsId) {
        let root = self.ns.pid.init();
        while ns != root {
            // Its last pid may have taken the namespace with it.
            let Some(p) = self.ns.pid.try_get(ns) else { return };
            let (zapped, init, parent) = (p.zapped, p.reaper, p.parent());
            if zapped && !self.pid_ns_members_left(ns, init) {
                self.ns.pid.get_mut(ns).zapped = false;
                let ready = self.proc.tasks.get(&init).is_some_and(|t| t.is_zombie()) && self.thread_group_empty(init);
                if ready && self.notify_parent(init) {
                    self.release_task(init);
                }
                return;
            }
            ns = parent;
        }
    }
}
