//! Signals (Linux: kernel/signal.c): sending, pending sets, and what
//! happens when a task with a pending signal returns to user mode.
//!
//! A signal is pending either for one thread (`Task::sigpending`, from
//! tgkill or a fault) or for the whole process (`SignalStruct::
//! shared_pending`, from kill). On the way back to user mode a task takes
//! the lowest pending signal it does not block and acts on it: ignore it,
//! or take the default action. Running a user handler needs a signal frame
//! on the user stack, which comes with the signals issue; until then a
//! caught signal is logged and dropped.
//!
//! A signal also interrupts a blocking system call: sending wakes the
//! target, and the call, run again, returns EINTR (see `Kernel::syscall`).

use alloc::vec::Vec;

use crate::abi::*;
use crate::kernel::Kernel;
use crate::proc::{Pid, TaskState};

/// What a signal does when its handler is SIG_DFL (signal(7)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefaultAction {
    Term,
    Core,
    Ign,
    Stop,
    Cont,
}

pub fn default_action(sig: u32) -> DefaultAction {
    use DefaultAction::*;
    match sig {
        SIGQUIT | SIGILL | SIGTRAP | SIGABRT | SIGBUS | SIGFPE | SIGSEGV | SIGXCPU | SIGXFSZ | SIGSYS => Core,
        SIGCHLD | SIGURG | SIGWINCH => Ign,
        SIGSTOP | SIGTSTP | SIGTTIN | SIGTTOU => Stop,
        SIGCONT => Cont,
        _ => Term,
    }
}

pub fn sigbit(sig: u32) -> u64 {
    1u64 << (sig - 1)
}

/// SIGKILL and SIGSTOP can be neither caught nor blocked.
pub const UNBLOCKABLE: u64 = (1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1));

/// si_code values (asm-generic/siginfo.h).
pub const SI_USER: i32 = 0;
pub const SI_KERNEL: i32 = 0x80;
pub const SI_TKILL: i32 = -6;

/// What a queued signal carries (Linux: `kernel_siginfo`), the fields
/// Tine fills: the sender for kill/tgkill, the child for SIGCHLD.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SigInfo {
    pub signo: u32,
    pub code: i32,
    pub pid: u32,
    pub uid: u32,
    /// SIGCHLD: exit code or signal number.
    pub status: i32,
}

impl SigInfo {
    /// A signal from the kernel itself (faults, SIGKILL of a group).
    pub fn kernel(signo: u32) -> Self {
        SigInfo { signo, code: SI_KERNEL, ..Default::default() }
    }

    /// `siginfo_t` as user space sees it (128 bytes).
    pub fn to_bytes(&self) -> [u8; 128] {
        let mut b = [0u8; 128];
        b[0..4].copy_from_slice(&self.signo.to_le_bytes());
        b[8..12].copy_from_slice(&self.code.to_le_bytes());
        b[16..20].copy_from_slice(&self.pid.to_le_bytes());
        b[20..24].copy_from_slice(&self.uid.to_le_bytes());
        if self.signo == SIGCHLD {
            b[24..28].copy_from_slice(&self.status.to_le_bytes());
        }
        b
    }
}

/// Whom kill(2) addresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KillTarget {
    Process(Pid),
    Group(Pid),
    /// Every process the caller may signal except init and itself.
    All,
}

impl Kernel {
    /// Whether `sig` would be thrown away on arrival at process `tgid`: its
    /// handler is SIG_IGN, or SIG_DFL with an "ignore" default
    /// (Linux: sig_ignored(); blocked signals stay pending).
    fn sig_ignored(&self, tid: Pid, sig: u32) -> bool {
        let t = &self.tasks[&tid];
        // Blocked now, or blocked outside a sigtimedwait that waits for
        // it (Linux: `real_blocked`): kept pending.
        let real_blocked = t.sigwait.map_or(0, |(rb, _)| rb);
        if (t.sigmask | real_blocked) & sigbit(sig) != 0 {
            return false;
        }
        let act = self.sighands.get(t.sighand).action[sig as usize - 1];
        match act.handler {
            SIG_IGN => sig != SIGKILL && sig != SIGSTOP,
            SIG_DFL => default_action(sig) == DefaultAction::Ign,
            _ => false,
        }
    }

    /// Queue `sig` for the whole process `tgid` and wake a thread that can
    /// take it (Linux: __send_signal() to PIDTYPE_TGID, complete_signal()).
    pub fn send_signal_process(&mut self, tgid: Pid, info: SigInfo) {
        let sig = info.signo;
        let Some(leader) = self.tasks.get(&tgid).filter(|t| !t.is_zombie() && t.state != TaskState::Dead).map(|t| t.tid) else {
            return;
        };
        if sig == 0 {
            return;
        }
        self.prepare_signal(tgid, sig);
        if self.sig_ignored(leader, sig) {
            return;
        }
        let leader = &self.tasks[&leader];
        let signal = leader.signal;
        let s = self.signals.get_mut(signal);
        // A standard signal already pending is not queued twice.
        if s.shared_pending & sigbit(sig) == 0 {
            s.shared_pending |= sigbit(sig);
            s.shared_info.insert(sig, info);
        }
        let taker = self
            .tasks
            .values()
            .filter(|t| t.tgid == tgid && !t.is_zombie() && t.state != TaskState::Dead)
            .find(|t| t.sigmask & sigbit(sig) == 0)
            .map(|t| t.tid);
        if let Some(t) = taker {
            self.signal_wake_up(t);
        }
    }

    /// Queue `sig` for one thread (Linux: __send_signal() to PIDTYPE_PID).
    pub fn send_signal_thread(&mut self, tid: Pid, info: SigInfo) {
        let sig = info.signo;
        let Some(tgid) = self.tasks.get(&tid).filter(|t| !t.is_zombie() && t.state != TaskState::Dead).map(|t| t.tgid) else {
            return;
        };
        if sig == 0 {
            return;
        }
        self.prepare_signal(tgid, sig);
        if self.sig_ignored(tid, sig) {
            return;
        }
        let t = &self.tasks[&tid];
        let blocked = t.sigmask & sigbit(sig) != 0;
        let t = self.tasks.get_mut(&tid).expect("task");
        if t.sigpending & sigbit(sig) == 0 {
            t.sigpending |= sigbit(sig);
            t.pending_info.insert(sig, info);
        }
        if !blocked {
            self.signal_wake_up(tid);
        }
    }

    /// A signal the task cannot refuse, for a fault it caused: if it is
    /// blocked or ignored, the handler goes back to the default and the
    /// signal is unblocked (Linux: force_sig_info_to_task()).
    pub fn force_sig(&mut self, tid: Pid, sig: u32) {
        let t = &self.tasks[&tid];
        let (hand, blocked) = (t.sighand, t.sigmask & sigbit(sig) != 0);
        let act = &mut self.sighands.get_mut(hand).action[sig as usize - 1];
        if blocked || act.handler == SIG_IGN {
            act.handler = SIG_DFL;
        }
        let t = self.tasks.get_mut(&tid).expect("task");
        t.sigmask &= !sigbit(sig);
        t.sigpending |= sigbit(sig);
        t.pending_info.insert(sig, SigInfo::kernel(sig));
    }

    /// Interrupt a sleeping task so it notices its signal (Linux:
    /// signal_wake_up()). SIGKILL also ends a stop.
    fn signal_wake_up(&mut self, tid: Pid) {
        let killed = self.tasks.get(&tid).is_some_and(|t| (t.sigpending | self.signals.get(t.signal).shared_pending) & sigbit(SIGKILL) != 0);
        if let Some(t) = self.tasks.get_mut(&tid) {
            if t.state == TaskState::Stopped && killed {
                t.state = TaskState::Runnable;
                self.runq.push_back(tid);
                return;
            }
        }
        self.wake(tid);
    }

    /// What a signal does on arrival, before it is queued (Linux:
    /// prepare_signal()): a stop signal cancels a pending SIGCONT, and
    /// SIGCONT cancels pending stops and resumes a stopped process,
    /// whatever its handler.
    fn prepare_signal(&mut self, tgid: Pid, sig: u32) {
        const STOPS: u64 = (1 << (SIGSTOP - 1)) | (1 << (SIGTSTP - 1)) | (1 << (SIGTTIN - 1)) | (1 << (SIGTTOU - 1));
        let drop = match sig {
            SIGSTOP | SIGTSTP | SIGTTIN | SIGTTOU => sigbit(SIGCONT),
            SIGCONT => STOPS,
            _ => return,
        };
        let threads = self.threads_of(tgid);
        let Some(&first) = threads.first() else { return };
        let signal = self.tasks[&first].signal;
        self.signals.get_mut(signal).shared_pending &= !drop;
        for &t in &threads {
            self.tasks.get_mut(&t).expect("thread").sigpending &= !drop;
        }
        if sig != SIGCONT || !self.signals.get(signal).stopped {
            return;
        }
        let s = self.signals.get_mut(signal);
        s.stopped = false;
        s.stop_report = None;
        s.continue_report = true;
        for &t in &threads {
            let task = self.tasks.get_mut(&t).expect("thread");
            if task.state == TaskState::Stopped {
                task.state = TaskState::Runnable;
                self.runq.push_back(t);
            }
        }
        self.notify_parent_cldstop(tgid, CLD_CONTINUED, SIGCONT);
    }

    /// The live threads of process `tgid`.
    pub fn threads_of(&self, tgid: Pid) -> Vec<Pid> {
        self.tasks.values().filter(|t| t.tgid == tgid && !t.is_zombie() && t.state != TaskState::Dead).map(|t| t.tid).collect()
    }

    /// Tell the parent of process `tgid` it stopped or continued: SIGCHLD
    /// unless the parent asked for none (SA_NOCLDSTOP), and a wake-up for
    /// its waiters (Linux: do_notify_parent_cldstop()).
    fn notify_parent_cldstop(&mut self, tgid: Pid, code: i32, status: u32) {
        let Some(leader) = self.tasks.get(&tgid) else { return };
        let (parent, uid) = (leader.parent, leader.cred.uid);
        let Some(ptgid) = self.tasks.get(&parent).map(|p| p.tgid) else { return };
        let act = self.sighands.get(self.tasks[&ptgid].sighand).action[SIGCHLD as usize - 1];
        if act.flags & SA_NOCLDSTOP == 0 {
            let info = SigInfo { signo: SIGCHLD, code, pid: tgid, uid, status: status as i32 };
            self.send_signal_process(ptgid, info);
        }
        self.wake_all(crate::proc::WaitReason::ChildExit { tgid: ptgid });
    }

    /// A process group none of whose members has a parent in another group
    /// of the same session: nobody there can continue it, so job-control
    /// stops from the terminal are discarded (Linux: is_current_pgrp_orphaned()).
    fn pgrp_orphaned(&self, pgid: Pid) -> bool {
        self.will_become_orphaned_pgrp(pgid, None)
    }

    /// Linux: do_signal_stop(): the whole process stops; the parent hears
    /// of it once.
    fn do_signal_stop(&mut self, sig: u32) {
        let tgid = self.cur().tgid;
        let s = self.cur_signal_mut();
        s.stopped = true;
        s.stop_report = Some(sig);
        s.continue_report = false;
        for t in self.threads_of(tgid) {
            self.tasks.get_mut(&t).expect("thread").state = TaskState::Stopped;
        }
        self.notify_parent_cldstop(tgid, CLD_STOPPED, sig);
    }

    /// Whether the current task has signal work before returning to user
    /// mode (Linux: the _TIF_SIGPENDING test in exit_to_user_mode_loop()).
    pub fn signal_work_pending(&self) -> bool {
        let Some(t) = self.current.and_then(|c| self.tasks.get(&c)) else { return false };
        if matches!(t.state, TaskState::Zombie | TaskState::Dead) {
            return false;
        }
        self.deliverable(t.tid) != 0 || self.signals.get(t.signal).group_exit.is_some()
    }

    /// Signals `tid` would act on now: pending and not blocked.
    pub fn deliverable(&self, tid: Pid) -> u64 {
        let t = &self.tasks[&tid];
        let shared = self.signals.get(t.signal).shared_pending;
        (t.sigpending | shared) & !(t.sigmask & !UNBLOCKABLE)
    }

    /// Take the lowest deliverable signal off the current task's pending
    /// sets (Linux: dequeue_signal()).
    fn dequeue_signal(&mut self) -> Option<u32> {
        let tid = self.cur().tid;
        let ready = self.deliverable(tid);
        self.dequeue_from(ready).map(|i| i.signo)
    }

    /// Take the lowest signal of `set` off the current task's pending sets,
    /// its own before its process's, with what it carries.
    pub fn dequeue_from(&mut self, set: u64) -> Option<SigInfo> {
        let t = self.cur();
        let shared = self.signals.get(t.signal).shared_pending;
        let ready = (t.sigpending | shared) & set;
        if ready == 0 {
            return None;
        }
        let sig = ready.trailing_zeros() + 1;
        let bit = sigbit(sig);
        let t = self.cur_mut();
        let info = if t.sigpending & bit != 0 {
            t.sigpending &= !bit;
            t.pending_info.remove(&sig)
        } else {
            let s = self.cur_signal_mut();
            s.shared_pending &= !bit;
            s.shared_info.remove(&sig)
        };
        Some(info.unwrap_or(SigInfo { signo: sig, ..Default::default() }))
    }

    /// Act on pending signals before the current task returns to user mode
    /// (Linux: exit_to_user_mode_loop() → arch_do_signal_or_restart() →
    /// get_signal()). A fatal one ends the process here.
    pub fn do_signal(&mut self) {
        if let Some(status) = self.cur_signal().group_exit {
            crate::proc::exit::do_exit(self, status);
            return;
        }
        while let Some(sig) = self.dequeue_signal() {
            let act = self.sighands.get(self.cur().sighand).action[sig as usize - 1];
            let handler = if sig == SIGKILL || sig == SIGSTOP { SIG_DFL } else { act.handler };
            match handler {
                SIG_IGN => continue,
                SIG_DFL => match default_action(sig) {
                    DefaultAction::Ign | DefaultAction::Cont => continue,
                    DefaultAction::Stop => {
                        if sig != SIGSTOP && self.pgrp_orphaned(self.cur_signal().pgid) {
                            continue;
                        }
                        self.do_signal_stop(sig);
                        return;
                    }
                    // Tine writes no core files, so the core-dump bit (0x80)
                    // stays clear, as on Linux with RLIMIT_CORE 0.
                    DefaultAction::Term | DefaultAction::Core => {
                        crate::proc::exit::do_group_exit(self, sig as i32);
                        return;
                    }
                },
                _ => {
                    self.log(format_args!("tine: handler for {} not run yet (no signal frames); dropped", signal_name(sig)));
                    continue;
                }
            }
        }
    }

    /// May the current task signal `tid`? Root may signal anyone; others
    /// need their real or effective uid to match the target's real or saved
    /// uid (Linux: kill_ok_by_cred()).
    pub fn may_signal(&self, tid: Pid) -> bool {
        let me = self.cur().cred;
        let them = self.tasks[&tid].cred;
        me.euid == 0 || me.euid == them.suid || me.euid == them.uid || me.uid == them.suid || me.uid == them.uid
    }

    /// kill(2): send `sig` (0 only checks) to a process, a process group or
    /// everyone. ESRCH when nothing matched, EPERM when nothing could be
    /// signalled (Linux: kill_something_info()).
    pub fn kill(&mut self, target: KillTarget, sig: u32) -> SysResult {
        if sig > NSIG {
            return Err(EINVAL);
        }
        let me = self.cur().tgid;
        let procs: Vec<Pid> = self
            .tasks
            .values()
            .filter(|t| t.is_leader() && t.state != TaskState::Dead)
            .filter(|t| match target {
                KillTarget::Process(p) => t.tgid == p,
                KillTarget::Group(g) => self.signals.get(t.signal).pgid == g,
                KillTarget::All => t.tgid != crate::proc::exit::INIT_PID && t.tgid != me,
            })
            .map(|t| t.tgid)
            .collect();
        if procs.is_empty() {
            return Err(ESRCH);
        }
        let mut sent = false;
        let info = SigInfo { signo: sig, code: SI_USER, pid: me, uid: self.cur().cred.uid, status: 0 };
        for p in procs {
            if self.may_signal(p) {
                sent = true;
                self.send_signal_process(p, info);
            }
        }
        if sent {
            Ok(0)
        } else {
            Err(EPERM)
        }
    }
}
