//! Signals (Linux: kernel/signal.c and arch/x86/kernel/signal.c): sending,
//! pending sets, and what happens when a task with a pending signal
//! returns to user mode.
//!
//! A signal is pending either for one thread (`Task::sigpending`, from
//! tgkill or a fault) or for the whole process (`SignalStruct::
//! shared_pending`, from kill). On the way back to user mode a task takes
//! the lowest pending signal it does not block (its own before its
//! process's, synchronous fault signals first) and acts on it: ignore it,
//! take the default action, or run the user's handler on a signal frame
//! (`frame`: the rt_sigframe on the user stack, rt_sigreturn).
//!
//! A signal also interrupts a blocking system call: sending wakes the
//! target, the call finds the signal and ends with the code Linux's
//! handler returns (-ERESTARTSYS, -ERESTARTNOHAND, ...; see
//! `syscall::restart_policy`); delivery then turns that code into EINTR or
//! a restart of the call (`handle_signal`, `do_signal`).

pub mod altstack;
mod deliver;
pub use deliver::restart_code;
pub mod frame;
pub mod queue;
#[cfg(test)]
mod tests;

use alloc::vec::Vec;

use crate::abi::*;
use crate::kernel::Kernel;
use crate::proc::{Pid, Task, TaskState};

/// signal_generate's `res` (Linux: enum trace_signal_result).
const TRACE_SIGNAL_DELIVERED: i32 = 0;
const TRACE_SIGNAL_IGNORED: i32 = 1;
const TRACE_SIGNAL_ALREADY_PENDING: i32 = 2;
const TRACE_SIGNAL_OVERFLOW_FAIL: i32 = 3;
const TRACE_SIGNAL_LOSE_INFO: i32 = 4;
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

/// SIG_DFL means "ignore" (Linux: sig_kernel_ignore(): SIGCONT, SIGCHLD,
/// SIGWINCH, SIGURG; SIGCONT's resuming is done when it is sent).
pub fn sig_default_ignored(sig: u32) -> bool {
    matches!(default_action(sig), DefaultAction::Ign | DefaultAction::Cont)
}

/// The set of one signal (Linux: sigmask()).
pub const fn sigbit(sig: u32) -> SigSet {
    SigSet::of(sig)
}

/// SIGKILL and SIGSTOP can be neither caught nor blocked.
pub const UNBLOCKABLE: SigSet = SigSet::UNBLOCKABLE;

/// si_code values (asm-generic/siginfo.h).
pub const SI_USER: i32 = 0;
pub const SI_KERNEL: i32 = 0x80;
pub const SI_QUEUE: i32 = -1;
pub const SI_TKILL: i32 = -6;
/// Fault si_codes (asm-generic/siginfo.h).
pub const ILL_ILLOPN: i32 = 2;
pub const FPE_INTDIV: i32 = 1;
pub const FPE_FLTDIV: i32 = 3;
pub const FPE_FLTOVF: i32 = 4;
pub const FPE_FLTUND: i32 = 5;
pub const FPE_FLTRES: i32 = 6;
pub const FPE_FLTINV: i32 = 7;
pub const BUS_ADRALN: i32 = 1;

/// The synchronous signals: taken before any other pending signal, so
/// that a handler sees the faulting instruction (Linux: SYNCHRONOUS_MASK).
pub const SYNCHRONOUS_MASK: SigSet = SigSet::of(SIGSEGV)
    .union(SigSet::of(SIGBUS))
    .union(SigSet::of(SIGILL))
    .union(SigSet::of(SIGTRAP))
    .union(SigSet::of(SIGFPE))
    .union(SigSet::of(SIGSYS));

/// What a queued signal carries (Linux: `kernel_siginfo`): the signal,
/// its si_code and the first three words of the union, which the layouts
/// share as Linux's union does: the sender's pid and uid (kill, tgkill,
/// sigqueue), the child and its status (SIGCHLD), the fault address
/// (si_addr = pid | uid << 32, see [`SigInfo::fault`]), a POSIX timer's
/// id, overrun and value (si_tid, si_overrun, si_int), sigqueue's value
/// (si_int in `status`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SigInfo {
    pub signo: u32,
    pub code: i32,
    pub pid: u32,
    pub uid: u32,
    /// SIGCHLD: exit code or signal number; SI_QUEUE, SI_TIMER: si_int.
    pub status: i32,
    /// SI_QUEUE, SI_TIMER: the high half of si_value (a sival_ptr), the
    /// bytes after si_int.
    pub value_hi: u32,
}

impl SigInfo {
    /// A signal from the kernel itself (faults, SIGKILL of a group).
    pub fn kernel(signo: u32) -> Self {
        SigInfo { signo, code: SI_KERNEL, ..Default::default() }
    }

    /// A fault signal with its si_code and si_addr (Linux:
    /// force_sig_fault()).
    pub fn fault(signo: u32, code: i32, addr: u64) -> Self {
        SigInfo { signo, code, pid: addr as u32, uid: (addr >> 32) as u32, ..Default::default() }
    }

    /// si_addr of a fault signal.
    pub fn addr(&self) -> u64 {
        self.pid as u64 | (self.uid as u64) << 32
    }

    /// `siginfo_t` as user space sees it (128 bytes; Linux:
    /// copy_siginfo_to_user(), the union's unused bytes zero).
    pub fn to_user(&self) -> Siginfo {
        Siginfo {
            si_signo: self.signo,
            si_code: self.code,
            si_pid: self.pid,
            si_uid: self.uid,
            si_status: self.status,
            si_value_hi: self.value_hi,
            ..Default::default()
        }
    }
}

/// Per-thread signal state besides the mask and the pending set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SigState {
    /// The alternate signal stack (Linux: sas_ss_sp, sas_ss_size,
    /// sas_ss_flags).
    pub altstack: altstack::AltStack,
    /// The mask to put back once the call that changed it for its
    /// duration (sigsuspend, ppoll, pselect) has been interrupted and a
    /// handler has run, or the call restarts (Linux: saved_sigmask with
    /// TIF_RESTORE_SIGMASK). A handler's frame records this mask instead
    /// of the current one.
    pub saved_mask: Option<SigSet>,
    /// What the last user fault recorded for the signal frame's
    /// sigcontext (Linux: thread.trap_nr, thread.error_code, thread.cr2).
    pub trap_nr: u64,
    pub error_code: u64,
    pub cr2: u64,
}

impl SigState {
    /// What a new task starts with: a copy (Linux: dup_task_struct()),
    /// without a pending mask restore. `copy_process` resets the
    /// alternate stack of a CLONE_VM child ([`altstack::AltStack::reset`]).
    pub fn for_child(&self) -> Self {
        SigState { saved_mask: None, ..*self }
    }

    /// execve: the alternate stack is forgotten, its flags kept (Linux:
    /// setup_new_exec() zeroes sas_ss_sp and sas_ss_size only).
    pub fn exec(&mut self) {
        self.altstack.sp = 0;
        self.altstack.size = 0;
        self.saved_mask = None;
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
    /// A caller's `siginfo_t` (rt_sigqueueinfo, pidfd_send_signal). Linux:
    /// copy_siginfo_from_user() reads only `struct kernel_siginfo`, the
    /// header and the union's first 32 bytes (48 in all), so the rest of
    /// the 128 need not be readable.
    pub fn copy_siginfo_from_user(&mut self, addr: u64) -> SysResult<Siginfo> {
        const KERNEL_SIGINFO_SIZE: usize = 48;
        let mut si = Siginfo::default();
        self.copy_in(addr, &mut zerocopy::IntoBytes::as_mut_bytes(&mut si)[..KERNEL_SIGINFO_SIZE])?;
        Ok(si)
    }

    /// Whether `sig` would be thrown away on arrival at process `tgid`: its
    /// handler is SIG_IGN, or SIG_DFL with an "ignore" default
    /// (Linux: sig_ignored(); blocked signals stay pending).
    fn sig_ignored(&self, tid: Pid, sig: u32) -> bool {
        let t = &self.proc.tasks()[&tid];
        // Blocked now, or blocked outside a sigtimedwait that waits for
        // it (Linux: `real_blocked`): kept pending.
        let real_blocked = t.resume.sigwait().map_or(SigSet::empty(), |(rb, _)| rb);
        if (t.sigmask | real_blocked).has(sig) {
            return false;
        }
        // A tracer sees even the signals its tracee ignores (Linux:
        // sig_ignored()'s ptrace test); SIGKILL is never ignored anyway.
        if t.ptrace.traced().is_some() && sig != SIGKILL {
            return false;
        }
        let act = self.sig.sighands.get(t.sighand).action[sig as usize - 1];
        // Init takes only the signals it has handlers for (Linux:
        // sig_task_ignored() with SIGNAL_UNKILLABLE), except that a PID
        // namespace's init takes SIGKILL and SIGSTOP from outside it.
        let kernel_only = sig == SIGKILL || sig == SIGSTOP;
        if self.sig.signals.get(t.signal).unkillable
            && (kernel_only || act.handler == SIG_DFL)
            && !(kernel_only && self.signal_from_outside(t.tgid))
        {
            return true;
        }
        match act.handler {
            SIG_IGN => sig != SIGKILL && sig != SIGSTOP,
            SIG_DFL => sig_default_ignored(sig),
            _ => false,
        }
    }

    /// Queue `sig` for the whole process `tgid` and wake a thread that can
    /// take it (Linux: __send_signal() to PIDTYPE_TGID, complete_signal()).
    /// EAGAIN when a real-time signal with a siginfo of its own finds the
    /// receiver's RLIMIT_SIGPENDING used up.
    pub fn send_signal_process(&mut self, tgid: Pid, info: SigInfo) -> Result<(), Errno> {
        let sig = info.signo;
        // A leader that has ended with exit(2) leaves the process to its
        // other threads, which still take its signals (Linux: the thread
        // group lives until its last thread; complete_signal() picks one).
        let leader = match self.live_thread(tgid, |t| t.tid == tgid) {
            Some(l) => l,
            None => match self.live_thread(tgid, |_| true) {
                Some(t) => t,
                None => return Ok(()),
            },
        };
        if sig == 0 {
            return Ok(());
        }
        self.prepare_signal(tgid, sig);
        if self.sig_ignored(leader, sig) {
            self.trace_signal_generate(leader, true, &info, TRACE_SIGNAL_IGNORED);
            return Ok(());
        }
        self.enqueue(leader, true, info)?;
        if let Some(t) = self.live_thread(tgid, |t| !t.sigmask.has(sig)) {
            self.signal_wake_up(t);
        }
        Ok(())
    }

    /// The first live thread of process `tgid`, in TID order, that `pick`
    /// accepts: a walk of the thread list with nothing allocated, as the
    /// signal path runs on every kill (Linux: complete_signal() walking
    /// `signal->thread_head`).
    fn live_thread(&self, tgid: Pid, pick: impl Fn(&Task) -> bool) -> Option<Pid> {
        let signal = self.proc.tasks().get(&tgid)?.signal;
        self.sig.signals.get(signal).threads.iter().copied().find(|tid| {
            self.proc.tasks().get(tid).is_some_and(|t| !t.is_zombie() && t.state != TaskState::Dead && pick(t))
        })
    }

    /// Queue `sig` for one thread (Linux: __send_signal() to PIDTYPE_PID);
    /// EAGAIN as for [`Kernel::send_signal_process`].
    pub fn send_signal_thread(&mut self, tid: Pid, info: SigInfo) -> Result<(), Errno> {
        let sig = info.signo;
        let Some(tgid) =
            self.proc.tasks().get(&tid).filter(|t| !t.is_zombie() && t.state != TaskState::Dead).map(|t| t.tgid)
        else {
            return Ok(());
        };
        if sig == 0 {
            return Ok(());
        }
        self.prepare_signal(tgid, sig);
        if self.sig_ignored(tid, sig) {
            self.trace_signal_generate(tid, false, &info, TRACE_SIGNAL_IGNORED);
            return Ok(());
        }
        let blocked = self.proc.tasks()[&tid].sigmask.has(sig);
        self.enqueue(tid, false, info)?;
        if !blocked {
            self.signal_wake_up(tid);
        }
        Ok(())
    }

    /// Make `info.signo` pending for thread `tid`, or with `shared` for its
    /// whole process, with what it carries (Linux: __send_signal_locked()).
    /// A standard signal already pending is not queued again
    /// (legacy_queue()); each real-time one is, while the receiver's user
    /// has RLIMIT_SIGPENDING left. Past it, a real-time signal with a
    /// siginfo of its own (sigqueue, tgkill) is EAGAIN, and one from
    /// kill(2) is pending without its details, as are standard signals
    /// from user space; the kernel's own and kill(2)'s standard signals
    /// are never refused (`override_rlimit`).
    fn enqueue(&mut self, tid: Pid, shared: bool, info: SigInfo) -> Result<(), Errno> {
        // Whoever returned to user mode with nothing to do may have
        // something now (Linux: signal_wake_up() setting TIF_SIGPENDING).
        self.sched.kick_task(tid);
        let sig = info.signo;
        let bit = sigbit(sig);
        let t = &self.proc.tasks()[&tid];
        let (signal, uid) = (t.signal, t.cred.uid);
        if shared && self.sched.online() > 1 {
            let threads: Vec<Pid> = self.sig.signals.get(signal).threads.iter().copied().collect();
            for t in threads {
                self.sched.kick_task(t);
            }
        }
        let t = &self.proc.tasks()[&tid];
        let pending = if shared { self.sig.signals.get(signal).shared_pending } else { t.sigpending };
        if sig < SIGRTMIN && pending.intersects(bit) {
            self.trace_signal_generate(tid, shared, &info, TRACE_SIGNAL_ALREADY_PENDING);
            return Ok(());
        }
        let force = sig < SIGRTMIN && info.code >= 0;
        let limit = self.sig.signals.get(signal).rlimits[RLIMIT_SIGPENDING as usize].cur;
        let charged = self.proc.ucounts_mut().charge_sigpending(uid, limit, force);
        if !charged && sig >= SIGRTMIN && info.code != SI_USER {
            self.trace_signal_generate(tid, shared, &info, TRACE_SIGNAL_OVERFLOW_FAIL);
            return Err(EAGAIN);
        }
        let result = if charged { TRACE_SIGNAL_DELIVERED } else { TRACE_SIGNAL_LOSE_INFO };
        self.trace_signal_generate(tid, shared, &info, result);
        let (bits, queue) = if shared {
            let s = self.sig.signals.get_mut(signal);
            (&mut s.shared_pending, &mut s.shared_info)
        } else {
            let t = self.proc.tasks_mut().get_mut(&tid).expect("task");
            (&mut t.sigpending, &mut t.pending_info)
        };
        *bits |= bit;
        if charged {
            queue.push(info, Some(uid));
        }
        self.signalfd_notify();
        Ok(())
    }

    /// Linux: trace_signal_generate() in __send_signal_locked(), with
    /// what became of the signal.
    #[inline]
    fn trace_signal_generate(&mut self, tid: Pid, shared: bool, info: &SigInfo, result: i32) {
        crate::trace!(
            self,
            SignalGenerate,
            crate::trace::Payload::SignalGenerate {
                sig: info.signo as i32,
                errno: 0,
                code: info.code,
                comm: self.trace_comm(tid),
                pid: tid as i32,
                group: shared as i32,
                result,
            }
        );
    }

    /// Discard the pending signals of `mask` for the threads of `tgid`
    /// and their process, with what they carry (Linux:
    /// flush_sigqueue_mask()).
    fn flush_pending(&mut self, tgid: Pid, mask: SigSet) {
        let threads = self.threads_of(tgid);
        let Some(&first) = threads.first() else { return };
        let signal = self.proc.tasks()[&first].signal;
        let mut gone = Vec::new();
        for sig in mask.signals() {
            let s = self.sig.signals.get_mut(signal);
            if s.shared_pending.has(sig) {
                s.shared_pending -= sigbit(sig);
                gone.extend(s.shared_info.remove_all(sig).filter_map(|q| q.charged));
            }
            for &t in &threads {
                let t = self.proc.tasks_mut().get_mut(&t).expect("thread");
                if t.sigpending.has(sig) {
                    t.sigpending -= sigbit(sig);
                    gone.extend(t.pending_info.remove_all(sig).filter_map(|q| q.charged));
                }
            }
        }
        for uid in gone {
            self.proc.ucounts_mut().uncharge_sigpending(uid);
        }
    }

    /// Give back the RLIMIT_SIGPENDING charges of a queue that is going
    /// away (a released task's, or its process's with the last thread).
    pub fn drop_sigqueue(&mut self, mut queue: queue::SigQueue) {
        for q in queue.drain() {
            if let Some(uid) = q.charged {
                self.proc.ucounts_mut().uncharge_sigpending(uid);
            }
        }
    }

    /// SIGPIPE for the current thread, which wrote to a pipe nobody
    /// reads: SI_USER from itself (Linux: send_sig(SIGPIPE, current, 0)).
    pub fn send_sigpipe(&mut self) {
        let t = self.cur();
        let info = SigInfo { signo: SIGPIPE, code: SI_USER, pid: t.tgid, uid: t.cred.uid, ..Default::default() };
        let tid = t.tid;
        let _ = self.send_signal_thread(tid, info);
    }

    /// A signal the task cannot refuse, for a fault it caused: if it is
    /// blocked or ignored, the handler goes back to the default and the
    /// signal is unblocked (Linux: force_sig()).
    pub fn force_sig(&mut self, tid: Pid, sig: u32) {
        self.force_sig_info(tid, SigInfo::kernel(sig), false);
    }

    /// Linux: force_sig_info_to_task(). With `fatal` the handler goes
    /// back to the default whatever it was (Linux: HANDLER_SIG_DFL, for
    /// force_fatal_sig()). A signal already pending keeps what it carries.
    pub fn force_sig_info(&mut self, tid: Pid, info: SigInfo, fatal: bool) {
        let sig = info.signo;
        let t = &self.proc.tasks()[&tid];
        let (hand, blocked) = (t.sighand, t.sigmask.has(sig));
        let act = &mut self.sig.sighands.get_mut(hand).action[sig as usize - 1];
        if blocked || act.handler == SIG_IGN || fatal {
            act.handler = SIG_DFL;
        }
        // A fault init cannot handle ends even init (Linux clears
        // SIGNAL_UNKILLABLE here).
        if act.handler == SIG_DFL {
            let signal = t.signal;
            self.sig.signals.get_mut(signal).unkillable = false;
        }
        self.proc.tasks_mut().get_mut(&tid).expect("task").sigmask -= sigbit(sig);
        // The kernel's own signals are never refused.
        let _ = self.enqueue(tid, false, info);
        self.signal_wake_up(tid);
    }

    /// SIGKILL from the kernel to one thread, past any filter: how a group
    /// exit ends the other threads, init's included (Linux:
    /// zap_other_threads()).
    pub fn kill_thread_now(&mut self, tid: Pid) {
        if !self.proc.tasks().contains_key(&tid) {
            return;
        }
        let _ = self.enqueue(tid, false, SigInfo::kernel(SIGKILL));
        // Held off the CPUs by a thread's exec: it must run to die.
        self.proc.tasks_mut().get_mut(&tid).expect("task").held_for_exec = false;
        self.signal_wake_up(tid);
    }

    /// Linux: force_sigsegv(): what a task gets when its handler's frame
    /// cannot be written. A failing SIGSEGV handler is not tried again.
    pub fn force_sigsegv(&mut self, tid: Pid, sig: u32) {
        self.force_sig_info(tid, SigInfo::kernel(SIGSEGV), sig == SIGSEGV);
    }

    /// Discard a pending `sig` everywhere in the current process, blocked
    /// or not (Linux: flush_sigqueue_mask() on the shared and every
    /// thread's pending set, from do_sigaction()).
    pub fn flush_signal(&mut self, sig: u32) {
        self.flush_pending(self.cur().tgid, sigbit(sig));
    }

    /// Interrupt a sleeping task so it notices its signal (Linux:
    /// signal_wake_up()). SIGKILL also ends a stop.
    pub(crate) fn signal_wake_up(&mut self, tid: Pid) {
        let killed = self
            .proc
            .tasks()
            .get(&tid)
            .is_some_and(|t| (t.sigpending | self.sig.signals.get(t.signal).shared_pending).has(SIGKILL));
        if let Some(t) = self.proc.tasks_mut().get_mut(&tid) {
            if matches!(t.state, TaskState::Stopped | TaskState::Traced) && killed {
                t.state = TaskState::Runnable;
                self.activate(tid);
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
        const STOPS: SigSet = sigbit(SIGSTOP).union(sigbit(SIGTSTP)).union(sigbit(SIGTTIN)).union(sigbit(SIGTTOU));
        let drop = match sig {
            SIGSTOP | SIGTSTP | SIGTTIN | SIGTTOU => sigbit(SIGCONT),
            SIGCONT => STOPS,
            _ => return,
        };
        self.flush_pending(tgid, drop);
        let threads = self.threads_of(tgid);
        let Some(&first) = threads.first() else { return };
        let signal = self.proc.tasks()[&first].signal;
        if sig != SIGCONT {
            return;
        }
        if self.sig.signals.get(signal).stopped {
            let s = self.sig.signals.get_mut(signal);
            s.stopped = false;
            s.stop_report = None;
            s.continue_report = true;
            for &t in &threads {
                let task = self.proc.tasks_mut().get_mut(&t).expect("thread");
                if task.state == TaskState::Stopped {
                    task.state = TaskState::Runnable;
                    self.activate(t);
                }
            }
            self.notify_parent_cldstop(tgid, CLD_CONTINUED, SIGCONT);
        }
        // Seized tracees hear of every SIGCONT, the process stopped or not.
        for &t in &threads {
            self.ptrace_trap_notify(t);
        }
    }

    /// The live threads of process `tgid`.
    pub fn threads_of(&self, tgid: Pid) -> Vec<Pid> {
        let Some(l) = self.proc.tasks().get(&tgid) else { return Vec::new() };
        let live =
            |tid: &&Pid| self.proc.tasks().get(tid).is_some_and(|t| !t.is_zombie() && t.state != TaskState::Dead);
        self.sig.signals.get(l.signal).threads.iter().filter(live).copied().collect()
    }

    /// Tell the parent of process `tgid` it stopped or continued: SIGCHLD
    /// unless the parent asked for none (SA_NOCLDSTOP), and a wake-up for
    /// its waiters (Linux: do_notify_parent_cldstop()).
    fn notify_parent_cldstop(&mut self, tgid: Pid, code: i32, status: u32) {
        let Some(leader) = self.proc.tasks().get(&tgid) else { return };
        let (parent, uid) = (leader.parent, leader.cred.uid);
        let Some(ptgid) = self.proc.tasks().get(&parent).map(|p| p.tgid) else { return };
        let act = self.sig.sighands.get(self.proc.tasks()[&ptgid].sighand).action[SIGCHLD as usize - 1];
        if act.flags & SA_NOCLDSTOP == 0 {
            let info = SigInfo { signo: SIGCHLD, code, pid: tgid, uid, status: status as i32, ..Default::default() };
            let _ = self.send_signal_process(ptgid, info);
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
    ///
    /// A traced thread stops for its tracer instead (`ptrace_group_stop`;
    /// the other traced threads on their way out, `ptrace_join_group_stop`);
    /// the real parent hears of the stop unless it is that tracer (Linux:
    /// the ptrace_reparented() test in ptrace_stop()).
    fn do_signal_stop(&mut self, sig: u32, regs: &PtRegs) {
        let (me, tgid) = (self.cur().tid, self.cur().tgid);
        let s = self.cur_signal_mut();
        s.stopped = true;
        s.stop_report = Some(sig);
        s.stop_signal = sig;
        s.continue_report = false;
        for t in self.threads_of(tgid) {
            if t == me && self.ptrace_group_stop(sig, regs) || t != me && self.ptrace_join_group_stop(t) {
                continue;
            }
            self.unqueue_task(t);
            self.proc.tasks_mut().get_mut(&t).expect("thread").state = TaskState::Stopped;
        }
        if self.tracer_of(me).is_none() || self.ptrace_reparented(me) {
            self.notify_parent_cldstop(tgid, CLD_STOPPED, sig);
        }
    }

    /// May the current task signal `tid`? A task with CAP_KILL in the
    /// target's user namespace may signal it; others need their real or
    /// effective uid to match the target's real or saved uid (Linux:
    /// kill_ok_by_cred()).
    pub fn may_signal(&self, tid: Pid) -> bool {
        let me = self.cur().cred;
        let them = self.proc.tasks()[&tid].cred;
        self.ns.user.ns_capable(&me, them.user_ns, crate::proc::capability::CAP_KILL)
            || me.euid == them.suid
            || me.euid == them.uid
            || me.uid == them.suid
            || me.uid == them.uid
    }

    /// kill(2): send `sig` (0 only checks) to a process, a process group or
    /// everyone. ESRCH when nothing matched, EPERM when nothing could be
    /// signalled (Linux: kill_something_info()).
    pub fn kill(&mut self, target: KillTarget, sig: u32) -> SysResult {
        let pid = self.pid_vnr(self.cur().tgid);
        let info = SigInfo { signo: sig, code: SI_USER, pid, uid: self.cur().cred.uid, ..Default::default() };
        self.kill_info(target, info)
    }

    /// Signal process `tgid` if the caller may (Linux: group_send_sig_info()).
    fn kill_process(&mut self, tgid: Pid, mut info: SigInfo) -> SysResult {
        if !self.may_signal(tgid) {
            return Err(EPERM);
        }
        // A sender the receiver's namespace cannot see is 0 there (Linux:
        // __send_signal_locked()).
        if info.pid != 0 && self.signal_from_outside(tgid) {
            info.pid = 0;
        }
        self.send_signal_process(tgid, info).map(|()| 0)
    }

    /// kill(2) with what the signal carries (rt_sigqueueinfo gives its own).
    pub fn kill_info(&mut self, target: KillTarget, info: SigInfo) -> SysResult {
        let sig = info.signo;
        if sig > NSIG {
            return Err(EINVAL);
        }
        let me = self.cur().tgid;
        // One process is looked up, not searched for among all tasks; any
        // of its threads' ids names it (Linux: kill_pid_info() finds the
        // task by PIDTYPE_PID, then signals its thread group).
        let procs: Vec<Pid> = match target {
            KillTarget::Process(p) => {
                let tgid = self.proc.tasks().get(&p).filter(|t| t.state != TaskState::Dead).map(|t| t.tgid);
                return self.kill_process(tgid.ok_or(ESRCH)?, info);
            }
            // A group: its members (Linux: __kill_pgrp_info()).
            KillTarget::Group(g) => self
                .proc
                .pgrps()
                .members(g)
                .filter(|p| self.proc.tasks().get(p).is_some_and(|t| t.state != TaskState::Dead))
                .collect(),
            // Everyone: every process the caller's PID namespace shows but
            // its init, as Linux's kill(-1) walks them all.
            _ => {
                let ns = self.active_pid_ns();
                self.proc
                    .tasks()
                    .values()
                    .filter(|t| t.is_leader() && t.state != TaskState::Dead && t.tgid != me)
                    .filter(|t| self.ns.pid.nr_in(t.tgid, ns) > 1)
                    .map(|t| t.tgid)
                    .collect()
            }
        };
        if procs.is_empty() {
            return Err(ESRCH);
        }
        // Success if any process took it; else the last error (Linux:
        // __kill_pgrp_info()).
        let (mut sent, mut err) = (false, EPERM);
        for p in procs {
            match self.kill_process(p, info) {
                Ok(_) => sent = true,
                Err(e) => err = e,
            }
        }
        if sent {
            Ok(0)
        } else {
            Err(err)
        }
    }
}

/// The signal room: the shared handler tables and the thread groups'
/// signal state (Linux: sighand_struct and signal_struct).
#[derive(Default)]
pub struct Signals {
    sighands: crate::object::shared::SharedTable<crate::proc::SigHand>,
    signals: crate::object::shared::SharedTable<crate::proc::SignalStruct>,
}

/// What the rest of the kernel reaches of this room: each table (itself a
/// type with private state), and the settings it reads or sets.
impl Signals {
    pub fn sighands(&self) -> &crate::object::shared::SharedTable<crate::proc::SigHand> {
        &self.sighands
    }

    pub fn sighands_mut(&mut self) -> &mut crate::object::shared::SharedTable<crate::proc::SigHand> {
        &mut self.sighands
    }

    pub fn signals(&self) -> &crate::object::shared::SharedTable<crate::proc::SignalStruct> {
        &self.signals
    }

    pub fn signals_mut(&mut self) -> &mut crate::object::shared::SharedTable<crate::proc::SignalStruct> {
        &mut self.signals
    }
}
