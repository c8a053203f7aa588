//! The ptrace stops and what a tracee does once let out of one (Linux:
//! ptrace_stop(), ptrace_notify(), ptrace_report_syscall_entry/exit(),
//! ptrace_signal(), do_jobctl_trap() and the code after each of them).
//!
//! Where each stop is made:
//!
//! | stop | made in | Linux |
//! |---|---|---|
//! | syscall-entry | `Kernel::syscall`, before the call ([`Kernel::ptrace_syscall_enter`]) | syscall_trace_enter() |
//! | PTRACE_EVENT_* of a call | `Kernel::syscall`, after it ([`Kernel::ptrace_syscall_done`]) | ptrace_event() inside the call |
//! | syscall-exit | `Kernel::syscall`, after the event stop if any | syscall_exit_work() |
//! | signal-delivery | `do_signal`, for each dequeued signal but SIGKILL | ptrace_signal() |
//! | group-stop, PTRACE_EVENT_STOP | `do_signal` ([`Kernel::ptrace_jobctl_trap`]) and `do_signal_stop` | do_jobctl_trap() |
//! | PTRACE_EVENT_EXIT | `do_exit`, first thing | ptrace_event(PTRACE_EVENT_EXIT) |

use super::{Mode, Stop};
use crate::abi::*;
use crate::kernel::Kernel;
use crate::proc::{Pid, TaskState};
use crate::signal::SigInfo;

/// What a traced system call does after its entry work.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entry {
    /// Run it.
    Run,
    /// Do not run it: rax holds its result already (the tracer set
    /// orig_rax to -1, PTRACE_SYSEMU, a SIGKILL).
    Skip,
    /// The task is in its syscall-entry stop.
    Stopped,
}

const ENOSYS_RAX: u64 = (-(ENOSYS.0 as i64)) as u64;

impl Kernel {
    /// SIGKILL is on its way to `tid` (Linux: __fatal_signal_pending()).
    fn fatal_pending(&self, tid: Pid) -> bool {
        let t = &self.proc.tasks[&tid];
        (t.sigpending | self.sig.signals().get(t.signal).shared_pending).has(SIGKILL)
    }

    /// Linux: ptrace_stop(): the current task stops for its tracer with
    /// wait status `code << 8 | 0x7f`, GETEVENTMSG `message`, GETSIGINFO
    /// `info`, its registers as `regs` shows them, and tells the tracer
    /// (SIGCHLD with `why`, a wake-up of its waiters). False when it
    /// cannot stop: no longer traced, or being killed.
    pub(crate) fn ptrace_stop(
        &mut self,
        code: u32,
        why: i32,
        message: u64,
        stop: Stop,
        regs: &PtRegs,
        info: Option<SigInfo>,
    ) -> bool {
        let tid = self.cur().tid;
        self.ptrace_stop_task(tid, code, why, message, stop, regs, info)
    }

    /// [`Kernel::ptrace_stop`] for task `tid`, which is the current task
    /// or one switched out where it would make that stop itself.
    #[allow(clippy::too_many_arguments)]
    fn ptrace_stop_task(
        &mut self,
        tid: Pid,
        code: u32,
        why: i32,
        message: u64,
        stop: Stop,
        regs: &PtRegs,
        info: Option<SigInfo>,
    ) -> bool {
        if self.tracee(tid).is_none() || self.fatal_pending(tid) {
            return false;
        }
        self.unqueue_task(tid);
        let t = self.proc.tasks.get_mut(&tid).expect("tracee");
        t.state = TaskState::Traced;
        let p = t.ptrace.tracee.as_deref_mut().expect("traced");
        p.stop = Some(stop);
        p.report = code;
        p.message = message;
        p.regs = *regs;
        p.siginfo = info;
        p.resume_sig = 0;
        // Any trap answers a pending PTRACE_EVENT_STOP; a
        // PTRACE_EVENT_STOP also answers a SIGCONT's notification.
        p.trap_stop = false;
        if code >> 8 == PTRACE_EVENT_STOP {
            p.trap_notify = false;
        }
        self.notify_tracer(tid, why);
        true
    }

    /// The siginfo of a ptrace_notify() stop: SIGTRAP with the stop's code
    /// as si_code, from the tracee itself (Linux: ptrace_do_notify()).
    fn notify_info(&self, signo: u32, code: u32) -> SigInfo {
        self.notify_info_of(self.cur().tid, signo, code)
    }

    fn notify_info_of(&self, tid: Pid, signo: u32, code: u32) -> SigInfo {
        let t = &self.proc.tasks[&tid];
        SigInfo { signo, code: code as i32, pid: t.tid, uid: t.cred.uid, ..Default::default() }
    }

    /// Linux: do_notify_parent_cldstop(tsk, true, why): SIGCHLD to the
    /// tracer's process unless it asked for none, and a wake-up of its
    /// waiters.
    pub(crate) fn notify_tracer(&mut self, tid: Pid, why: i32) {
        let Some(tracer) = self.tracer_of(tid) else { return };
        let Some(ttgid) = self.proc.tasks.get(&tracer).map(|t| t.tgid) else { return };
        let t = &self.proc.tasks[&tid];
        let p = t.ptrace.traced().expect("traced");
        // Linux: a group-stop's SIGCHLD carries the process's stop code,
        // 0 once its parent has waited for it; a trap, the tracee's.
        let status =
            if why == CLD_STOPPED { self.sig.signals().get(t.signal).stop_report.unwrap_or(0) } else { p.report }
                & 0x7f;
        let info = SigInfo {
            signo: SIGCHLD,
            code: why,
            pid: t.tid,
            uid: t.cred.uid,
            status: status as i32,
            ..Default::default()
        };
        let act = self.sig.sighands().get(self.proc.tasks[&ttgid].sighand).action[SIGCHLD as usize - 1];
        if act.handler != SIG_IGN && act.flags & SA_NOCLDSTOP == 0 {
            let _ = self.send_signal_process(ttgid, info);
        }
        self.wake_all(crate::proc::WaitReason::ChildExit { tgid: ttgid });
    }

    /// The syscall-stop code: SIGTRAP, with 0x80 under PTRACE_O_TRACESYSGOOD.
    fn syscall_stop_code(&self) -> u32 {
        let sysgood = self.tracee(self.cur().tid).is_some_and(|p| p.options & PTRACE_O_TRACESYSGOOD != 0);
        SIGTRAP | if sysgood { 0x80 } else { 0 }
    }

    /// A system call of a task with ptrace state begins (or runs again):
    /// finish a stop it was let out of, or make the syscall-entry stop
    /// (Linux: syscall_trace_enter() → ptrace_report_syscall_entry()).
    pub(crate) fn ptrace_syscall_enter(&mut self, regs: &mut PtRegs) -> Entry {
        let tid = self.cur().tid;
        if let Some(stop) = self.resumed_stop() {
            let Stop::SyscallEntry { emulate } = stop else {
                // Let out of a stop made while the call slept (a vfork
                // parent's event): the call goes on.
                self.ptrace_finish_stop(regs);
                return Entry::Run;
            };
            let p = self.cur_mut().ptrace.tracee.as_deref_mut().expect("stopped tracee");
            p.stop = None;
            *regs = p.regs;
            p.in_syscall = true;
            let sig = core::mem::take(&mut p.resume_sig);
            self.drop_detached();
            // Linux: ptrace_report_syscall() sends what the tracer
            // resumed with as a new signal.
            if sig != 0 && sig <= NSIG {
                self.send_sig_priv(tid, sig);
            }
            // Not run: emulated, or the tracer set orig_rax to -1, or a
            // SIGKILL came. The syscall-exit stop still comes if the
            // tracer now asks for syscall stops (Linux: the exit work
            // reads the flags again).
            if emulate || regs.orig_rax == u64::MAX || self.fatal_pending(tid) {
                return Entry::Skip;
            }
            return Entry::Run;
        }
        let Some(p) = self.tracee(tid) else { return Entry::Run };
        if p.in_syscall || !p.mode.stops_at_entry() {
            self.tracee_mut(tid).expect("traced").in_syscall = true;
            return Entry::Run;
        }
        regs.rax = ENOSYS_RAX;
        let code = self.syscall_stop_code();
        let info = self.notify_info(SIGTRAP, code);
        let stop = Stop::SyscallEntry { emulate: p.mode.emulates() };
        if self.ptrace_stop(code, CLD_TRAPPED, PTRACE_EVENTMSG_SYSCALL_ENTRY, stop, regs, Some(info)) {
            return Entry::Stopped;
        }
        self.tracee_mut(tid).expect("traced").in_syscall = true;
        Entry::Run
    }

    /// A traced system call was not run (see [`Entry::Skip`]): rax stands
    /// as the tracer left it; the syscall-exit stop if the tracer asks for
    /// syscall stops. True when the task stopped.
    pub(crate) fn ptrace_syscall_skipped(&mut self, regs: &PtRegs) -> bool {
        if let Some(p) = self.cur_mut().ptrace.tracee.as_deref_mut() {
            p.in_syscall = false;
        }
        self.ptrace_report_syscall_exit(regs)
    }

    /// A traced task's system call has run (`done`) or gone to sleep:
    /// the event stop it asked for, then the syscall-exit stop. True when
    /// the task stopped.
    pub(crate) fn ptrace_syscall_done(&mut self, regs: &mut PtRegs, done: bool) -> bool {
        let tid = self.cur().tid;
        if !matches!(self.cur().state, TaskState::Runnable | TaskState::Blocked(_)) {
            return false;
        }
        let Some(p) = self.tracee_mut(tid) else {
            if let Some(p) = self.cur_mut().ptrace.tracee.as_deref_mut() {
                p.in_syscall &= !done;
            }
            return false;
        };
        if let Some((event, msg)) = p.pending_event.take() {
            let code = SIGTRAP | event << 8;
            let mut shown = *regs;
            let ret = regs.rax;
            if done {
                shown.rax = ENOSYS_RAX;
            }
            let info = self.notify_info(SIGTRAP, code);
            if self.ptrace_stop(code, CLD_TRAPPED, msg, Stop::Event { done }, &shown, Some(info)) {
                self.tracee_mut(tid).expect("traced").ret = ret;
                return true;
            }
        }
        done && self.ptrace_report_syscall_exit(regs)
    }

    /// The syscall-exit stop, if the tracer asked for syscall stops
    /// (Linux: syscall_exit_work() → ptrace_report_syscall_exit()). A
    /// tracee single-stepped over the `syscall` instruction gets its
    /// SIGTRAP now, not after the next instruction (Linux:
    /// user_single_step_report()).
    fn ptrace_report_syscall_exit(&mut self, regs: &PtRegs) -> bool {
        const TRAP_BRKPT: i32 = 1;
        let tid = self.cur().tid;
        let Some(p) = self.tracee_mut(tid) else { return false };
        p.in_syscall = false;
        if p.mode == Mode::Step {
            self.force_sig_info(tid, SigInfo::fault(SIGTRAP, TRAP_BRKPT, regs.rip), false);
            return false;
        }
        if p.mode != Mode::Syscall {
            return false;
        }
        let code = self.syscall_stop_code();
        let info = self.notify_info(SIGTRAP, code);
        self.ptrace_stop(code, CLD_TRAPPED, PTRACE_EVENTMSG_SYSCALL_EXIT, Stop::SyscallExit, regs, Some(info))
    }

    /// The stop the current task was let out of and has not finished.
    #[inline]
    fn resumed_stop(&self) -> Option<Stop> {
        let t = self.cur();
        if t.state != TaskState::Runnable {
            return None;
        }
        t.ptrace.tracee.as_deref().and_then(|p| p.stop)
    }

    /// Forget the ptrace state of a detached tracee that has finished its
    /// stop.
    fn drop_detached(&mut self) {
        let t = self.cur_mut();
        if t.ptrace.tracee.as_deref().is_some_and(|p| p.tracer.is_none() && p.stop.is_none()) {
            t.ptrace.tracee = None;
        }
    }

    /// Whether the work before user mode has ptrace work: a stop to
    /// finish, a signal the tracer gave, a PTRACE_EVENT_STOP to make.
    pub fn ptrace_work_pending(&self) -> bool {
        let t = self.cur();
        t.state == TaskState::Runnable
            && t.ptrace.tracee.as_deref().is_some_and(|p| p.stop.is_some() || p.inject.is_some() || p.jobctl_pending())
    }

    /// The current task was let out of a ptrace stop: its registers back
    /// from the copy the tracer saw and changed, then what follows that
    /// stop in Linux.
    #[inline]
    pub(crate) fn ptrace_finish_stop(&mut self, regs: &mut PtRegs) {
        // Every return to user mode asks: the answer, nearly always no,
        // without a call.
        if let Some(stop) = self.resumed_stop() {
            self.finish_stop(stop, regs);
        }
    }

    fn finish_stop(&mut self, stop: Stop, regs: &mut PtRegs) {
        let tid = self.cur().tid;
        let (tracer, tracer_cred) = {
            let tr = self.cur().ptrace.tracee.as_deref().and_then(|p| p.tracer);
            (tr, tr.and_then(|t| self.proc.tasks.get(&t)).map(|t| (t.tgid, t.cred.uid)))
        };
        let p = self.cur_mut().ptrace.tracee.as_deref_mut().expect("stopped tracee");
        p.stop = None;
        *regs = p.regs;
        let sig = core::mem::take(&mut p.resume_sig);
        let siginfo = p.siginfo.take();
        match stop {
            Stop::Event { done } => {
                if done {
                    regs.rax = p.ret;
                }
                self.drop_detached();
                if sig != 0 && sig <= NSIG {
                    self.send_sig_priv(tid, sig);
                }
                if done && tracer.is_some() {
                    self.ptrace_report_syscall_exit(regs);
                }
            }
            Stop::SyscallEntry { .. } | Stop::SyscallExit => {
                self.drop_detached();
                if sig != 0 && sig <= NSIG {
                    self.send_sig_priv(tid, sig);
                }
            }
            // Linux: ptrace_signal() after its stop: the tracer's signal
            // replaces the one stopped for (from the tracer, unless it is
            // the same); a blocked one is queued again; 0 cancels it.
            Stop::Signal => {
                self.drop_detached();
                if sig == 0 || sig > NSIG {
                    return;
                }
                let info = match siginfo {
                    Some(i) if i.signo == sig => i,
                    _ => {
                        let (pid, uid) = tracer_cred.unwrap_or((0, 0));
                        SigInfo { signo: sig, code: crate::signal::SI_USER, pid, uid, ..Default::default() }
                    }
                };
                if self.cur().sigmask.has(sig) || self.fatal_pending(tid) {
                    let _ = self.send_signal_thread(tid, info);
                } else if let Some(p) = self.cur_mut().ptrace.tracee.as_deref_mut() {
                    p.inject = Some(info);
                } else {
                    // Detached: nothing to hold it; queue it.
                    let _ = self.send_signal_thread(tid, info);
                }
            }
            Stop::Group => self.drop_detached(),
            Stop::Exit(status) => {
                if let Some(p) = self.cur_mut().ptrace.tracee.as_deref_mut() {
                    p.exit_reported = true;
                }
                crate::proc::exit::do_exit(self, status);
            }
        }
    }

    /// The signal the tracer gave at a signal-delivery stop, to act on now.
    pub(crate) fn ptrace_take_inject(&mut self) -> Option<SigInfo> {
        self.cur_mut().ptrace.tracee.as_deref_mut().and_then(|p| p.inject.take())
    }

    /// Linux: ptrace_signal(): a traced task stops for each signal it
    /// dequeues (SIGKILL aside) and lets its tracer decide. True when it
    /// stopped.
    pub(crate) fn ptrace_signal_stop(&mut self, info: &SigInfo, regs: &PtRegs) -> bool {
        if info.signo == SIGKILL || self.tracee(self.cur().tid).is_none() {
            return false;
        }
        self.ptrace_stop(info.signo, CLD_TRAPPED, 0, Stop::Signal, regs, Some(*info))
    }

    /// Linux: do_jobctl_trap(): a PTRACE_EVENT_STOP asked for by
    /// PTRACE_INTERRUPT or a new seized child, with SIGTRAP, or with the
    /// stop signal while the process is group-stopped. True when it stopped.
    pub(crate) fn ptrace_jobctl_trap(&mut self, regs: &PtRegs) -> bool {
        let tid = self.cur().tid;
        let stopped = self.cur_signal().stopped;
        let Some(p) = self.tracee_mut(tid) else { return false };
        // A group-stop a SIGCONT has ended since is not made.
        let group = core::mem::take(&mut p.group_stop_pending) && stopped;
        if !p.trap_stop && !p.trap_notify && !group {
            return false;
        }
        self.jobctl_trap_task(tid, regs)
    }

    /// The PTRACE_EVENT_STOP (or, not seized, the group-stop) of task
    /// `tid`: with the stop signal while its process is stopped, else
    /// SIGTRAP (Linux: do_jobctl_trap()).
    fn jobctl_trap_task(&mut self, tid: Pid, regs: &PtRegs) -> bool {
        let s = self.sig.signals().get(self.proc.tasks[&tid].signal);
        let signr = if s.stopped { s.stop_signal } else { SIGTRAP };
        if !self.tracee(tid).expect("traced").seized {
            // PTRACE_ATTACH to a stopped task: the stop signal alone.
            return self.ptrace_stop_task(tid, signr, CLD_STOPPED, 0, Stop::Group, regs, None);
        }
        let code = signr | PTRACE_EVENT_STOP << 8;
        let info = self.notify_info_of(tid, signr, code);
        self.ptrace_stop_task(tid, code, CLD_STOPPED, 0, Stop::Group, regs, Some(info))
    }

    /// PTRACE_ATTACH or PTRACE_SEIZE of task `tid`, which is in a
    /// group-stop: it traps for its new tracer before the request
    /// returns, without running, so that the tracer's first wait finds
    /// the stop (Linux: ptrace_attach() sets JOBCTL_TRAP_STOP |
    /// JOBCTL_TRAPPING, wakes the task and waits until do_jobctl_trap()
    /// has made the stop). The task is switched out with its user
    /// registers on its kernel stack, where it takes them back from once
    /// resumed. A tracee still finishing a stop from an earlier tracer
    /// has its registers in that stop: it makes the trap on its way out
    /// instead.
    pub(crate) fn ptrace_attach_stopped(&mut self, tid: Pid) {
        let t = &self.proc.tasks[&tid];
        let unfinished = t.ptrace.tracee.as_deref().is_some_and(|p| p.stop.is_some());
        if unfinished || !self.sig.signals().get(t.signal).stopped {
            let t = self.proc.tasks.get_mut(&tid).expect("tracee");
            t.state = TaskState::Runnable;
            self.activate(tid);
            self.tracee_mut(tid).expect("just linked").trap_stop = true;
            return;
        }
        let regs = t.kstack.regs();
        self.jobctl_trap_task(tid, &regs);
    }

    /// A traced task takes part in a group-stop by stopping for its tracer
    /// (Linux: do_signal_stop() → do_jobctl_trap()): seized, as a
    /// PTRACE_EVENT_STOP with the stop signal; else with the signal alone
    /// and no siginfo. True when it stopped.
    pub(crate) fn ptrace_group_stop(&mut self, sig: u32, regs: &PtRegs) -> bool {
        let tid = self.cur().tid;
        let Some(p) = self.tracee(tid) else { return false };
        if p.seized {
            let code = sig | PTRACE_EVENT_STOP << 8;
            let info = self.notify_info(sig, code);
            self.ptrace_stop(code, CLD_STOPPED, 0, Stop::Group, regs, Some(info))
        } else {
            self.ptrace_stop(sig, CLD_STOPPED, 0, Stop::Group, regs, None)
        }
    }

    /// Another thread of the current process begins a group-stop: traced
    /// thread `tid` takes part by stopping for its tracer on its way to
    /// user mode (a sleep is interrupted for it), as
    /// [`Kernel::ptrace_jobctl_trap`] does with the stop signal, not by
    /// stopping at once (Linux: do_signal_stop() sets JOBCTL_STOP_PENDING
    /// and wakes each thread, which then calls do_jobctl_trap() for
    /// itself). True when `tid` is traced.
    pub(crate) fn ptrace_join_group_stop(&mut self, tid: Pid) -> bool {
        let Some(p) = self.tracee_mut(tid) else { return false };
        p.group_stop_pending = true;
        if matches!(self.proc.tasks[&tid].state, TaskState::Blocked(_)) {
            self.signal_wake_up(tid);
        }
        true
    }

    /// A SIGCONT came to the process of seized tracee `tid`: it owes its
    /// tracer a PTRACE_EVENT_STOP, made at once if it is listening (a
    /// sleep is interrupted for it), else at its next chance or at the
    /// next PTRACE_LISTEN (Linux: prepare_signal() → ptrace_trap_notify()
    /// sets JOBCTL_TRAP_NOTIFY for every SIGCONT, stopped or not).
    pub(crate) fn ptrace_trap_notify(&mut self, tid: Pid) {
        let Some(state) = self.proc.tasks.get(&tid).map(|t| t.state) else { return };
        let Some(p) = self.tracee_mut(tid) else { return };
        if !p.seized {
            return;
        }
        p.trap_notify = true;
        match state {
            TaskState::Traced if p.listening => self.ptrace_retrap_listening(tid),
            TaskState::Blocked(_) => self.signal_wake_up(tid),
            _ => {}
        }
    }

    /// A listening tracee owes a PTRACE_EVENT_STOP: it traps again where
    /// it is, with SIGTRAP, or with the stop signal if its process is
    /// stopped again (Linux: the wake-up with JOBCTL_LISTENING, then
    /// do_jobctl_trap(); the tracee never reaches user mode in between,
    /// so Tine makes the new stop in its place).
    pub(crate) fn ptrace_retrap_listening(&mut self, tid: Pid) {
        let t = &self.proc.tasks[&tid];
        let s = self.sig.signals().get(t.signal);
        let signr = if s.stopped { s.stop_signal } else { SIGTRAP };
        let code = signr | PTRACE_EVENT_STOP << 8;
        let info = self.notify_info_of(tid, signr, code);
        let p = self.tracee_mut(tid).expect("listening tracee");
        p.listening = false;
        p.trap_stop = false;
        p.trap_notify = false;
        p.report = code;
        p.siginfo = Some(info);
        self.notify_tracer(tid, CLD_STOPPED);
    }

    /// Linux: ptrace_event(PTRACE_EVENT_EXIT) at the top of do_exit(): the
    /// exit waits for the tracer, which may read the status with
    /// GETEVENTMSG. True when the task stopped (do_exit goes on when it
    /// is let out).
    pub(crate) fn ptrace_exit_stop(&mut self, status: i32) -> bool {
        let tid = self.cur().tid;
        let Some(p) = self.tracee(tid) else { return false };
        if p.exit_reported || !p.wants(PTRACE_EVENT_EXIT) {
            return false;
        }
        let code = SIGTRAP | PTRACE_EVENT_EXIT << 8;
        let info = self.notify_info(SIGTRAP, code);
        // do_exit has no registers at hand; the task's kernel stack holds
        // them (it never returns to user mode after this stop).
        let regs = self.cur().kstack.regs();
        self.ptrace_stop(code, CLD_TRAPPED, status as u32 as u64, Stop::Exit(status), &regs, Some(info))
    }
}
