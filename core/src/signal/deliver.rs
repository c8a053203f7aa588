//! Delivery: what a task with a pending signal does on its way back to
//! user mode (Linux: get_signal() in kernel/signal.c, and
//! arch/x86/kernel/signal.c's arch_do_signal_or_restart()/handle_signal()):
//! take the lowest deliverable signal, then ignore it, stop, die, or run
//! the user's handler on a signal frame, and turn a system call's restart
//! code into EINTR or a restart. The sigmask calls live here too: they
//! decide what is deliverable.

use super::*;

impl Kernel {
    /// Whether the current task has signal work before returning to user
    /// mode (Linux: the _TIF_SIGPENDING and TIF_RESTORE_SIGMASK tests in
    /// exit_to_user_mode_loop()), or a system call left a restart code in
    /// `regs` that delivery has not yet acted on (a stop came in between).
    pub fn signal_work_pending(&self, regs: &PtRegs) -> bool {
        let Some(t) = self.sched.current().and_then(|c| self.proc.tasks().get(&c)) else { return false };
        if t.state != TaskState::Runnable {
            return false;
        }
        if t.sigstate.saved_mask.is_some() || restart_code(regs).is_some() {
            return true;
        }
        // A signal the tracer gave, or a PTRACE_EVENT_STOP to make.
        if t.ptrace.tracee.as_deref().is_some_and(|p| p.inject.is_some() || p.jobctl_pending()) {
            return true;
        }
        // `deliverable` and the group exit test, with one lookup of each
        // (this runs on every return to user mode).
        let s = self.sig.signals.get(t.signal);
        !((t.sigpending | s.shared_pending) - (t.sigmask - UNBLOCKABLE)).is_empty() || s.group_exit.is_some()
    }

    /// Whether `tid` has signals it would act on now, as the bits of
    /// [`deliverable_set`](Self::deliverable_set) (the syscall entry and the
    /// trap loop test it against 0). A PTRACE_EVENT_STOP the tracer asked
    /// for (PTRACE_INTERRUPT) interrupts a sleep as a signal does (Linux:
    /// signal_wake_up() with JOBCTL_TRAP_STOP), and counts as bit 0 when
    /// nothing else is pending.
    pub fn deliverable(&self, tid: Pid) -> u64 {
        let bits = self.deliverable_set(tid).bits();
        let trap = || self.proc.tasks()[&tid].ptrace.traced().is_some_and(|p| p.jobctl_pending());
        if bits == 0 && trap() {
            1
        } else {
            bits
        }
    }

    /// Signals `tid` would act on now: pending and not blocked.
    pub fn deliverable_set(&self, tid: Pid) -> SigSet {
        let t = &self.proc.tasks()[&tid];
        let shared = self.sig.signals.get(t.signal).shared_pending;
        (t.sigpending | shared) - (t.sigmask - UNBLOCKABLE)
    }

    /// Take the next deliverable signal off the current task's pending
    /// sets (Linux: dequeue_signal() with the task's blocked mask).
    fn dequeue_signal(&mut self) -> Option<SigInfo> {
        let blocked = self.cur().sigmask - UNBLOCKABLE;
        self.dequeue_from(!blocked)
    }

    /// Take a signal of `set` off the current task's pending sets, with
    /// what it carries: its own pending set before its process's, in each
    /// the synchronous signals first, else the lowest (Linux:
    /// dequeue_signal() → next_signal()).
    pub fn dequeue_from(&mut self, set: SigSet) -> Option<SigInfo> {
        let pick = |x: SigSet| {
            let sync = x & SYNCHRONOUS_MASK;
            sync.first().or(x.first())
        };
        let own = self.cur().sigpending & set;
        let (sig, (entry, more)) = if let Some(sig) = pick(own) {
            (sig, self.cur_mut().pending_info.take(sig))
        } else {
            let shared = self.cur_signal().shared_pending & set;
            let sig = pick(shared)?;
            (sig, self.cur_signal_mut().shared_info.take(sig))
        };
        // The bit stays while another of the same real-time signal waits.
        if !more {
            if !own.is_empty() {
                self.cur_mut().sigpending -= sigbit(sig);
            } else {
                self.cur_signal_mut().shared_pending -= sigbit(sig);
            }
        }
        if let Some(uid) = entry.and_then(|q| q.charged) {
            self.proc.ucounts_mut().uncharge_sigpending(uid);
        }
        // None queued: a signal sent when the queue was full, or without
        // details (Linux: collect_signal() zeroes the info).
        let mut info = entry.map_or(SigInfo { signo: sig, ..Default::default() }, |q| q.info);
        // A periodic timer waiting for this signal runs on.
        self.timer_signal_dequeued(&mut info, own.is_empty());
        Some(info)
    }

    /// Change the current task's blocked mask (SIGKILL and SIGSTOP stay
    /// unblocked). A process-wide pending signal this thread now blocks is
    /// handed to a thread that does not (Linux: set_current_blocked() →
    /// retarget_shared_pending()).
    pub fn set_current_blocked(&mut self, mask: SigSet) {
        let mask = mask - UNBLOCKABLE;
        let t = self.cur_mut();
        let newly = mask - t.sigmask;
        t.sigmask = mask;
        let (me, tgid) = (t.tid, t.tgid);
        let mut left = self.cur_signal().shared_pending & newly;
        if left.is_empty() {
            return;
        }
        for tid in self.threads_of(tgid) {
            if tid == me || left.is_empty() {
                continue;
            }
            let theirs = self.proc.tasks()[&tid].sigmask;
            if !(left - theirs).is_empty() {
                left &= theirs;
                self.signal_wake_up(tid);
            }
        }
    }

    /// Put back the mask a sigsuspend (or ppoll, pselect) replaced, when
    /// no handler's frame took it (Linux: restore_saved_sigmask()).
    pub fn restore_saved_sigmask(&mut self) {
        if let Some(m) = self.cur_mut().sigstate.saved_mask.take() {
            self.set_current_blocked(m);
        }
    }

    /// Replace the mask for the duration of a call, to be put back by
    /// signal delivery or [`restore_saved_sigmask`](Self::restore_saved_sigmask)
    /// (Linux: set_user_sigmask()). A call that runs again after a wake-up
    /// keeps the mask saved by its first run.
    pub fn set_user_sigmask(&mut self, mask: SigSet) {
        if self.cur().sigstate.saved_mask.is_none() {
            let old = self.cur().sigmask;
            self.cur_mut().sigstate.saved_mask = Some(old);
        }
        self.set_current_blocked(mask);
    }

    /// Forget what a blocking call kept for running again: its deadline
    /// and its place on a futex queue. The call has ended (EINTR), or will
    /// be made again from the start.
    pub fn abandon_wait(&mut self) {
        let tid = self.cur().tid;
        self.cur_mut().resume.clear_deadline();
        if let crate::proc::Resume::Ipc { .. } = self.cur().resume {
            self.cur_mut().resume = crate::proc::Resume::None;
        }
        self.futex_cancel(tid);
        self.fifo_wait_cancel();
    }

    /// Act on pending signals before the current task returns to user
    /// mode, once (Linux: arch_do_signal_or_restart() → get_signal()):
    /// ignored signals are dropped, a default action stops or ends the
    /// process, the first signal with a handler gets a frame. If no
    /// handler runs, a system call interrupted by the signal is made again
    /// (`regs.rip` back on the `syscall` instruction) and the mask saved by
    /// sigsuspend is put back.
    pub fn do_signal(&mut self, regs: &mut PtRegs) {
        if let Some(status) = self.cur_signal().group_exit {
            crate::proc::exit::do_exit(self, status);
            return;
        }
        loop {
            // The tracer's choice at a signal-delivery stop comes first;
            // then a PTRACE_EVENT_STOP it asked for; then the pending
            // signals, each shown to a tracer before it is acted on.
            let info = match self.ptrace_take_inject() {
                Some(info) => info,
                None => {
                    if self.ptrace_jobctl_trap(regs) {
                        return;
                    }
                    let Some(info) = self.dequeue_signal() else { break };
                    if self.ptrace_signal_stop(&info, regs) {
                        return;
                    }
                    info
                }
            };
            let sig = info.signo;
            let hand = self.cur().sighand;
            let act = self.sig.sighands.get(hand).action[sig as usize - 1];
            // Linux: trace_signal_deliver() in get_signal(), for every
            // signal dequeued, whatever its handler.
            crate::trace!(
                self,
                SignalDeliver,
                crate::trace::Payload::SignalDeliver {
                    sig: sig as i32,
                    errno: 0,
                    code: info.code,
                    sa_handler: act.handler,
                    sa_flags: act.flags,
                }
            );
            let handler = if sig == SIGKILL || sig == SIGSTOP { SIG_DFL } else { act.handler };
            // Init ignores what it has no handler for (Linux: the
            // SIGNAL_UNKILLABLE test in get_signal()).
            if handler == SIG_DFL && self.cur_signal().unkillable && sig != SIGKILL && sig != SIGSTOP {
                continue;
            }
            match handler {
                SIG_IGN => continue,
                SIG_DFL => match default_action(sig) {
                    DefaultAction::Ign | DefaultAction::Cont => continue,
                    DefaultAction::Stop => {
                        if sig != SIGSTOP && self.pgrp_orphaned(self.cur_signal().pgid) {
                            continue;
                        }
                        // The restart (or EINTR) waits for the continue.
                        self.do_signal_stop(sig, regs);
                        return;
                    }
                    DefaultAction::Term => {
                        crate::proc::exit::do_group_exit(self, sig as i32);
                        return;
                    }
                    // A core file when RLIMIT_CORE allows, and then the
                    // core-dump bit in the wait status (Linux: do_coredump(),
                    // coredump_finish()).
                    DefaultAction::Core => {
                        let dumped = crate::proc::coredump::do_coredump(self, &info, regs);
                        crate::proc::exit::do_group_exit(self, sig as i32 | if dumped { 0x80 } else { 0 });
                        return;
                    }
                },
                _ => {
                    // SA_RESETHAND (SA_ONESHOT): back to the default first.
                    if act.flags & SA_RESETHAND != 0 {
                        self.sig.sighands.get_mut(hand).action[sig as usize - 1].handler = SIG_DFL;
                    }
                    if self.handle_signal(regs, &info, &act) {
                        return;
                    }
                    // No frame: SIGSEGV was forced; take it now.
                    continue;
                }
            }
        }
        // No handler: an interrupted system call runs again.
        if let Some(ERESTARTNOHAND | ERESTARTSYS | ERESTARTNOINTR | ERESTART_RESTARTBLOCK) = restart_code(regs) {
            restart_syscall(regs);
        }
        self.restore_saved_sigmask();
    }

    /// Run the handler for `info` (Linux: handle_signal()): a system call
    /// it interrupted returns EINTR or is set to run again after the
    /// handler (SA_RESTART); then the frame, then the handler's mask
    /// (Linux: signal_setup_done()). False when the frame could not be
    /// written: the task then has SIGSEGV coming.
    fn handle_signal(&mut self, regs: &mut PtRegs, info: &SigInfo, act: &crate::proc::SigAction) -> bool {
        if let Some(code) = restart_code(regs) {
            match code {
                ERESTART_RESTARTBLOCK | ERESTARTNOHAND => regs.rax = -(EINTR.0 as i64) as u64,
                ERESTARTSYS if act.flags & SA_RESTART == 0 => regs.rax = -(EINTR.0 as i64) as u64,
                ERESTARTSYS | ERESTARTNOINTR => restart_syscall(regs),
                _ => {}
            }
            // Whether it ended or will start over, the wait is over.
            self.abandon_wait();
        }
        let sig = info.signo;
        if self.rseq_signal_deliver(regs).is_err() || !self.setup_rt_frame(regs, info, act) {
            let tid = self.cur().tid;
            self.force_sigsegv(tid, sig);
            return false;
        }
        // Linux: signal_delivered().
        let t = self.cur_mut();
        // The frame holds the mask sigsuspend saved; sigreturn restores it.
        t.sigstate.saved_mask = None;
        let mut blocked = t.sigmask | act.mask;
        if act.flags & SA_NODEFER == 0 {
            blocked |= sigbit(sig);
        }
        self.set_current_blocked(blocked);
        let t = self.cur_mut();
        if t.sigstate.altstack.flags & altstack::SS_AUTODISARM != 0 {
            t.sigstate.altstack.reset();
        }
        true
    }
}

/// The restart code a system call left in `regs` (Linux:
/// syscall_get_error() of a task in a system call): only for a trap that
/// was a system call (orig_rax is -1 for interrupts, exceptions and after
/// rt_sigreturn).
pub fn restart_code(regs: &PtRegs) -> Option<Errno> {
    if regs.orig_rax == u64::MAX {
        return None;
    }
    let e = Errno(-(regs.rax as i64) as i32);
    matches!(e, ERESTARTSYS | ERESTARTNOINTR | ERESTARTNOHAND | ERESTART_RESTARTBLOCK).then_some(e)
}

/// Set the interrupted system call to run again: back onto the two-byte
/// `syscall` instruction with its number in rax. A call that kept state
/// for this (nanosleep's deadline: Linux's restart_block) resumes with it.
fn restart_syscall(regs: &mut PtRegs) {
    regs.rax = regs.orig_rax;
    regs.rip = regs.rip.wrapping_sub(2);
}
