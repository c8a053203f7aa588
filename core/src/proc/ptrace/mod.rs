//! ptrace: one task (the tracer) stopping, inspecting and steering
//! another (the tracee). Linux: kernel/ptrace.c, the stops of
//! kernel/signal.c (ptrace_stop(), ptrace_signal(), do_jobctl_trap()),
//! include/linux/ptrace.h (ptrace_event()), arch/x86/kernel/ptrace.c.
//!
//! The tracee's side lives in its [`Tracee`] (Linux keeps it in
//! `task_struct`: `ptrace`, `parent`, `exit_code`, `last_siginfo`,
//! `ptrace_message`, `jobctl`); the tracer keeps the set of its tracees
//! (Linux: `ptraced`). A ptrace stop is a task in `TaskState::Traced`.
//!
//! Tine's kernel never sleeps in the middle of a function, so a stop is
//! not a call that returns when the tracer resumes the tracee: the tracee
//! records which stop it made ([`Stop`]), copies its user registers into
//! [`Tracee::regs`] (what GETREGS/SETREGS/PEEKUSER/POKEUSER read and
//! write while it is stopped) and is switched away. Once resumed, the
//! first trap-loop step it runs (the system call it was in, or the work
//! before user mode) takes its registers back from that copy and does
//! what Linux does after that `ptrace_stop()` returns (`stop.rs`,
//! [`Kernel::ptrace_finish_stop`]).
//!
//! The requests of ptrace(2), and process_vm_readv/writev, are decoded
//! in `syscall::ptrace`; the registers as a tracer sees them are in
//! `uarea.rs`. A stop inside a system call shows the
//! tracer `rax = -ENOSYS`, as Linux's pt_regs holds until the call
//! returns; the result is kept aside in [`Tracee::ret`].

mod stop;
mod uarea;

#[cfg(test)]
mod tests;

pub use stop::Entry;

use alloc::boxed::Box;
use alloc::collections::BTreeSet;
use alloc::vec::Vec;

use crate::abi::*;
use crate::kernel::Kernel;
use crate::proc::{Pid, TaskState};
use crate::signal::SigInfo;

/// How a resumed tracee runs on (Linux: TIF_SYSCALL_TRACE, TIF_SINGLESTEP,
/// TIF_SYSCALL_EMU, set by ptrace_resume()).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    #[default]
    Cont,
    /// Stop at each system call's entry and exit (PTRACE_SYSCALL).
    Syscall,
    /// One instruction, then SIGTRAP (PTRACE_SINGLESTEP).
    Step,
    /// Stop at each system call's entry and do not run it (PTRACE_SYSEMU).
    Sysemu,
    SysemuStep,
}

impl Mode {
    fn stops_at_entry(self) -> bool {
        matches!(self, Mode::Syscall | Mode::Sysemu | Mode::SysemuStep)
    }
    fn emulates(self) -> bool {
        matches!(self, Mode::Sysemu | Mode::SysemuStep)
    }
    pub fn steps(self) -> bool {
        matches!(self, Mode::Step | Mode::SysemuStep)
    }
}

/// Which stop a tracee is in (or was let out of and has not finished).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// Syscall-entry-stop: the call runs (or is skipped) on resume;
    /// `emulate`: it was made under PTRACE_SYSEMU, so it never runs
    /// (Linux decides from the flags at entry, before the stop).
    SyscallEntry { emulate: bool },
    /// Syscall-exit-stop.
    SyscallExit,
    /// A PTRACE_EVENT_* stop in a system call (fork, exec, vfork-done);
    /// `done`: the call had finished, with its result in `Tracee::ret`;
    /// else it runs again (a vfork parent goes on waiting).
    Event { done: bool },
    /// Signal-delivery-stop: the signal in `Tracee::siginfo`.
    Signal,
    /// Group-stop, or PTRACE_EVENT_STOP (Linux: do_jobctl_trap()).
    Group,
    /// PTRACE_EVENT_EXIT: the exit goes on with this status.
    Exit(i32),
}

/// A traced task's ptrace state.
#[derive(Clone, Debug)]
pub struct Tracee {
    /// The tracing thread (Linux: `parent`); None once detached while the
    /// tracee still has to finish the stop it was in.
    pub tracer: Option<Pid>,
    /// Attached by PTRACE_SEIZE (Linux: PT_SEIZED).
    pub seized: bool,
    /// PTRACE_O_* (Linux: the PT_TRACE_* bits of `ptrace`).
    pub options: u32,
    pub mode: Mode,
    pub stop: Option<Stop>,
    /// The stop not yet reported to the tracer's wait: the wait status's
    /// bits 8..24 (Linux: `exit_code` of a TASK_TRACED task); 0 once
    /// waited for.
    pub report: u32,
    /// The signal the tracer resumed it with (Linux: `exit_code` after
    /// ptrace_resume()).
    pub resume_sig: u32,
    /// The siginfo of the stop, if it has one: a group-stop of a task
    /// not seized has none (GETSIGINFO: EINVAL). Linux: `last_siginfo`.
    pub siginfo: Option<SigInfo>,
    /// GETEVENTMSG (Linux: `ptrace_message`).
    pub message: u64,
    /// The user registers while stopped (see the module's description).
    pub regs: PtRegs,
    /// A system call's result held over an event stop in it.
    pub ret: u64,
    /// Between a system call's entry and its end: no second entry stop
    /// when a blocked call runs again.
    pub in_syscall: bool,
    /// An event to stop for once the current system call returns (Linux
    /// stops at once, inside the call).
    pub pending_event: Option<(u32, u64)>,
    /// A signal the tracer gave at a signal-delivery-stop, to act on
    /// before any other.
    pub inject: Option<SigInfo>,
    /// PTRACE_INTERRUPT or a new seized child: a PTRACE_EVENT_STOP at the
    /// next chance (Linux: JOBCTL_TRAP_STOP).
    pub trap_stop: bool,
    /// A SIGCONT came to its process while seized: a PTRACE_EVENT_STOP
    /// to tell the tracer, at once if listening, else at the next chance
    /// (a PTRACE_LISTEN made meanwhile traps at once). Linux:
    /// JOBCTL_TRAP_NOTIFY.
    pub trap_notify: bool,
    /// Its process entered a group-stop begun by another thread: it
    /// stops for its tracer on its way to user mode, with the stop
    /// signal, if the process is still stopped then (Linux:
    /// JOBCTL_STOP_PENDING of a traced thread).
    pub group_stop_pending: bool,
    /// PTRACE_LISTEN: stopped, but not reported, and woken by SIGCONT
    /// (Linux: JOBCTL_LISTENING).
    pub listening: bool,
    /// PTRACE_EVENT_EXIT has been reported: the exit goes through.
    pub exit_reported: bool,
    /// TF was set by single-stepping, not by the program (Linux:
    /// TIF_FORCED_TF): hidden from GETREGS and cleared when stepping ends.
    pub forced_tf: bool,
    /// u_debugreg[0..8] as POKEUSER wrote them (DR4 and DR5 read as 0).
    pub debugreg: [u64; 8],
}

impl Tracee {
    fn new(tracer: Pid, seized: bool, options: u32) -> Self {
        Tracee {
            tracer: Some(tracer),
            seized,
            options,
            mode: Mode::Cont,
            stop: None,
            report: 0,
            resume_sig: 0,
            siginfo: None,
            message: 0,
            regs: PtRegs::default(),
            ret: 0,
            in_syscall: false,
            pending_event: None,
            inject: None,
            trap_stop: false,
            trap_notify: false,
            group_stop_pending: false,
            listening: false,
            exit_reported: false,
            forced_tf: false,
            debugreg: [0; 8],
        }
    }

    /// DR0-DR3 and DR7 as the CPU must hold them while the tracee runs:
    /// only the enable bits (L0-3, G0-3) and each breakpoint's type and
    /// length are taken from what POKEUSER wrote (never GD, which would
    /// make the kernel's own DR6 read fault); nothing when none is
    /// enabled (Linux: the perf events ptrace_write_dr7() registers).
    pub fn hw_breakpoints(&self) -> [u64; 5] {
        const DR7_ENABLES: u64 = 0xff;
        const DR7_RW_LEN: u64 = 0xffff_0000;
        let dr7 = self.debugreg[7] & (DR7_ENABLES | DR7_RW_LEN);
        if dr7 & DR7_ENABLES == 0 {
            return [0; 5];
        }
        let d = &self.debugreg;
        [d[0], d[1], d[2], d[3], dr7]
    }

    /// A PTRACE_EVENT_STOP or a group-stop to make on the way to user
    /// mode (Linux: JOBCTL_TRAP_STOP or JOBCTL_STOP_PENDING), which
    /// interrupts a sleep as a signal does.
    pub fn jobctl_pending(&self) -> bool {
        self.trap_stop || self.trap_notify || self.group_stop_pending
    }

    /// Whether the tracer asked to hear of `event` (Linux: ptrace_event_enabled()).
    pub fn wants(&self, event: u32) -> bool {
        self.tracer.is_some() && self.options & (1 << event) != 0
    }
}

/// A task's side of ptrace: how it is traced, and whom it traces.
#[derive(Clone, Debug, Default)]
pub struct PtraceLinks {
    pub tracee: Option<Box<Tracee>>,
    /// The tasks this one traces (Linux: `ptraced`).
    pub tracees: BTreeSet<Pid>,
}

impl PtraceLinks {
    /// Traced now (a detached tracee finishing its stop is not).
    pub fn traced(&self) -> Option<&Tracee> {
        self.tracee.as_deref().filter(|t| t.tracer.is_some())
    }

    pub fn tracer(&self) -> Option<Pid> {
        self.traced().and_then(|t| t.tracer)
    }
}

impl Kernel {
    /// Task `tid`'s ptrace state, if it is traced.
    pub fn tracee(&self, tid: Pid) -> Option<&Tracee> {
        self.proc.tasks.get(&tid).and_then(|t| t.ptrace.traced())
    }

    pub fn tracee_mut(&mut self, tid: Pid) -> Option<&mut Tracee> {
        self.proc.tasks.get_mut(&tid).and_then(|t| t.ptrace.tracee.as_deref_mut()).filter(|t| t.tracer.is_some())
    }

    /// The tracer of `tid`, if traced.
    pub fn tracer_of(&self, tid: Pid) -> Option<Pid> {
        self.proc.tasks.get(&tid).and_then(|t| t.ptrace.tracer())
    }

    /// The process of `tid`'s tracer is not its real parent's (Linux:
    /// ptrace_reparented()).
    pub fn ptrace_reparented(&self, tid: Pid) -> bool {
        let Some(tr) = self.tracer_of(tid) else { return false };
        let parent = self.proc.tasks[&tid].parent;
        let tgid = |p: Pid| self.proc.tasks.get(&p).map(|t| t.tgid);
        tgid(tr) != tgid(parent)
    }

    /// Linux: __ptrace_link(). A detached tracee still finishing its
    /// stop keeps that stop.
    pub(crate) fn ptrace_link(&mut self, tracee: Pid, tracer: Pid, seized: bool, options: u32) {
        let t = self.proc.tasks.get_mut(&tracee).expect("tracee");
        match t.ptrace.tracee.as_deref_mut() {
            Some(old) => {
                let (stop, regs, ret) = (old.stop, old.regs, old.ret);
                *old = Tracee { stop, regs, ret, ..Tracee::new(tracer, seized, options) };
            }
            None => t.ptrace.tracee = Some(Box::new(Tracee::new(tracer, seized, options))),
        }
        self.proc.tasks.get_mut(&tracer).expect("tracer").ptrace.tracees.insert(tracee);
    }

    /// Linux: __ptrace_unlink(): `tracee` leaves its tracer. A tracee in
    /// a ptrace stop runs on with `sig` (or goes back into the group-stop
    /// its process is in); it finishes its stop on the way.
    pub fn ptrace_unlink(&mut self, tracee: Pid, sig: u32) {
        let Some(t) = self.proc.tasks.get_mut(&tracee) else { return };
        let Some(p) = t.ptrace.tracee.as_deref_mut() else { return };
        let Some(tracer) = p.tracer.take() else { return };
        p.resume_sig = sig;
        p.mode = Mode::Cont;
        p.trap_stop = false;
        p.trap_notify = false;
        p.group_stop_pending = false;
        p.listening = false;
        p.pending_event = None;
        if p.forced_tf {
            p.regs.rflags &= !X86_EFLAGS_TF;
            p.forced_tf = false;
        }
        let (state, signal) = (t.state, t.signal);
        if p.stop.is_none() {
            t.ptrace.tracee = None;
        }
        if let Some(tr) = self.proc.tasks.get_mut(&tracer) {
            tr.ptrace.tracees.remove(&tracee);
        }
        if state == TaskState::Traced {
            let t = self.proc.tasks.get_mut(&tracee).expect("tracee");
            if self.sig.signals().get(signal).stopped {
                t.state = TaskState::Stopped;
            } else {
                t.state = TaskState::Runnable;
                self.activate(tracee);
            }
        }
    }

    /// Linux: exit_ptrace(): the tracer `tracer` is going; each tracee is
    /// detached (killed first with PTRACE_O_EXITKILL). A stop not yet
    /// waited for leaves its code behind as the signal to run on with,
    /// as Linux leaves `exit_code`; a zombie tracee goes back to its real
    /// parent, or is released.
    pub fn exit_ptrace(&mut self, tracer: Pid) {
        let tracees: Vec<Pid> = match self.proc.tasks.get(&tracer) {
            Some(t) => t.ptrace.tracees.iter().copied().collect(),
            None => return,
        };
        for tracee in tracees {
            let Some(p) = self.tracee(tracee) else { continue };
            let (kill, code) = (p.options & PTRACE_O_EXITKILL != 0, p.report);
            if kill {
                self.send_sig_priv(tracee, SIGKILL);
            }
            let zombie = self.proc.tasks[&tracee].is_zombie();
            self.ptrace_unlink(tracee, if code <= NSIG { code } else { 0 });
            if zombie {
                self.ptrace_zombie_detached(tracee, tracer);
            }
        }
    }

    /// A zombie whose tracer let go (Linux: __ptrace_detach()): a thread
    /// is released; a leader of an empty group is reported to its real
    /// parent now, and released if that parent will not wait.
    fn ptrace_zombie_detached(&mut self, tid: Pid, tracer: Pid) {
        let t = &self.proc.tasks[&tid];
        let release = if !t.is_leader() {
            true
        } else if self.sig.signals().get(t.signal).threads.iter().all(|&o| o == tid) {
            let same = self.proc.tasks.get(&t.parent).map(|p| p.tgid) == self.proc.tasks.get(&tracer).map(|p| p.tgid);
            if !same {
                self.notify_parent(tid)
            } else {
                self.ignores_children_of(t.parent)
            }
        } else {
            false
        };
        if release {
            self.release_task(tid);
        }
    }

    /// A signal from the kernel to one thread (Linux: send_sig(sig, p, 1)).
    pub fn send_sig_priv(&mut self, tid: Pid, sig: u32) {
        let _ = self.send_signal_thread(tid, SigInfo::kernel(sig));
    }

    /// Linux: ptrace_event(): the current task reports `event` to its
    /// tracer when the next system call returns, if the tracer asked for
    /// it; a traced exec without PTRACE_O_TRACEEXEC is a SIGTRAP instead
    /// (the pre-options interface).
    pub fn ptrace_event(&mut self, event: u32, message: u64) {
        let tid = self.cur().tid;
        let Some(p) = self.tracee_mut(tid) else { return };
        if p.wants(event) {
            p.pending_event = Some((event, message));
        } else if event == PTRACE_EVENT_EXEC && !p.seized {
            let t = self.cur();
            let info = SigInfo {
                signo: SIGTRAP,
                code: crate::signal::SI_USER,
                pid: t.tgid,
                uid: t.cred.uid,
                ..Default::default()
            };
            let _ = self.send_signal_thread(tid, info);
        }
    }

    /// Which event a clone with these flags reports (Linux: the choice at
    /// the top of kernel_clone()); 0 for none.
    pub fn ptrace_clone_event(&self, flags: CloneFlags, exit_signal: u32) -> u32 {
        if flags.contains(CloneFlags::UNTRACED) {
            return 0;
        }
        let event = if flags.contains(CloneFlags::VFORK) {
            PTRACE_EVENT_VFORK
        } else if exit_signal != SIGCHLD {
            PTRACE_EVENT_CLONE
        } else {
            PTRACE_EVENT_FORK
        };
        match self.tracee(self.cur().tid) {
            Some(p) if p.wants(event) => event,
            _ => 0,
        }
    }

    /// Linux: ptrace_init_task(): a child of a traced task is traced by
    /// the same tracer with the same options when the clone reports an
    /// event or asked for CLONE_PTRACE, and starts with a SIGSTOP (or,
    /// seized, a PTRACE_EVENT_STOP) to report first.
    pub fn ptrace_init_task(&mut self, child: Pid, flags: CloneFlags, event: u32) {
        let me = self.cur().tid;
        let trace = event != 0 || (flags.contains(CloneFlags::PTRACE) && !flags.contains(CloneFlags::UNTRACED));
        let Some(p) = self.tracee(me).filter(|_| trace) else { return };
        let (tracer, seized, options) = (p.tracer.expect("traced"), p.seized, p.options);
        self.ptrace_link(child, tracer, seized, options);
        if seized {
            self.tracee_mut(child).expect("just linked").trap_stop = true;
        } else {
            let c = self.proc.tasks.get_mut(&child).expect("child");
            c.sigpending |= crate::signal::sigbit(SIGSTOP);
        }
    }

    /// exec's de_thread(): the exec'ing thread `old` takes its leader's
    /// id `new`; its tracer and its tracees follow the new name.
    pub fn ptrace_rename(&mut self, old: Pid, new: Pid) {
        if let Some(tr) = self.tracer_of(new) {
            let set = &mut self.proc.tasks.get_mut(&tr).expect("tracer").ptrace.tracees;
            set.remove(&old);
            set.insert(new);
        }
        let tracees: Vec<Pid> = self.proc.tasks[&new].ptrace.tracees.iter().copied().collect();
        for t in tracees {
            if let Some(p) = self.tracee_mut(t) {
                p.tracer = Some(new);
            }
        }
    }

    /// Whether the process of task `tid` ignores its children's exits
    /// (SIGCHLD SIG_IGN or SA_NOCLDWAIT).
    fn ignores_children_of(&self, tid: Pid) -> bool {
        let Some(t) = self.proc.tasks.get(&tid) else { return false };
        let act = self.sig.sighands().get(t.sighand).action[SIGCHLD as usize - 1];
        act.handler == SIG_IGN || act.flags & SA_NOCLDWAIT != 0
    }
}

/// RFLAGS.TF, the single-step trap flag.
pub const X86_EFLAGS_TF: u64 = 1 << 8;
