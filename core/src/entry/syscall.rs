//! One run of a system call, and the signal work before user mode (Linux:
//! do_syscall_64()'s body and syscall_exit_to_user_mode_work()). The trap
//! loop in `entry` calls these, again after each wake-up of a call that
//! blocked.

use crate::abi::{PtRegs, EINTR, ENOSYS, ERESTARTNOINTR};
use crate::kernel::Kernel;
use crate::proc::ptrace::Entry;
use crate::proc::TaskState;
use crate::syscall::{dispatch, interrupted, to_rax};

/// What became of one run of a system call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyscallOutcome {
    /// rax holds the result, and the signal work is done: return to user
    /// mode (after switching away, if the scheduler says so).
    Done,
    /// The task went to sleep (`Kernel::block_current`); run the same call
    /// again once it is woken.
    Blocked,
}

impl Kernel {
    /// Run the system call in `regs` for the current task, once.
    ///
    /// A call that must wait puts its task to sleep and returns
    /// `ERESTARTNOINTR`: the outcome is [`SyscallOutcome::Blocked`], and
    /// the trap loop runs the call again once the task is woken, when it
    /// finds what it waited for, or sleeps again. If instead a signal is
    /// pending when it would sleep (`block_current` returns EINTR), the
    /// call ends with its restart code (`syscall::interrupted`, after
    /// `syscall::restart_policy`), which delivery turns into EINTR or a
    /// restart. Before a finished call returns, pending signals are acted
    /// on.
    ///
    /// `compat`: for a new call, whether it came by `int $0x80`, recorded
    /// in the task for the runs after a sleep (None: keep the record).
    pub fn syscall(&mut self, regs: &mut PtRegs, compat: Option<bool>) -> SyscallOutcome {
        // Tasks are keyed by TID: no lookup needed for it.
        let tid = self.sched.current().expect("a system call has a current task");
        // What this task's calls need beyond the plain path, in one
        // lookup: a tracer, `int $0x80`'s i386 numbering, tine.strace.
        let (traced, compat, straced) = {
            let t = self.cur_mut();
            if let Some(c) = compat {
                t.compat_syscall = c;
            }
            (t.ptrace.tracee.is_some(), t.compat_syscall, t.straced)
        };
        // The syscall-entry stop, or the end of a stop the task was let
        // out of.
        if traced {
            match self.ptrace_syscall_enter(regs) {
                Entry::Run => {}
                Entry::Stopped => {
                    let t = self.cur_mut();
                    t.restarting = true;
                    t.blocked_call = (regs.orig_rax, regs.syscall_args());
                    return SyscallOutcome::Blocked;
                }
                Entry::Skip => {
                    if !self.ptrace_syscall_skipped(regs) {
                        self.exit_to_user_mode(regs);
                    }
                    return SyscallOutcome::Done;
                }
            }
        }
        // An `int $0x80` call runs on a copy of its frame in the x86_64
        // layout; restarts still see the i386 number in regs.orig_rax.
        let mut native;
        let call = if compat {
            match crate::syscall::ia32::native_frame(regs) {
                Some(f) => {
                    native = f;
                    &mut native
                }
                None => {
                    regs.rax = (-(ENOSYS.0 as i64)) as u64;
                    self.exit_to_user_mode(regs);
                    return SyscallOutcome::Done;
                }
            }
        } else {
            &mut *regs
        };
        let strace = straced.then(|| crate::syscall::strace::enter(self, call));
        let result = match dispatch(self, call) {
            Err(EINTR) if self.deliverable(tid) != 0 => interrupted(self, call),
            // Asked to run again, but not asleep: a signal (a job-control
            // stop, say) must be acted on first.
            Err(ERESTARTNOINTR) if self.cur().state == TaskState::Runnable && self.deliverable(tid) != 0 => {
                interrupted(self, call)
            }
            Err(ERESTARTNOINTR) => {
                let (nr, args) = (call.orig_rax, call.syscall_args());
                let t = self.cur_mut();
                t.restarting = true;
                t.blocked_call = (nr, args);
                if traced {
                    // An event stop the call asked for before it slept
                    // (a vfork parent's): the sleep waits for it.
                    self.ptrace_syscall_done(regs, false);
                }
                return SyscallOutcome::Blocked;
            }
            r => r,
        };
        if let Some(t) = strace {
            crate::syscall::strace::exit(self, t, &result);
        }
        regs.rax = to_rax(result);
        // Linux: syscall_exit_work() → trace_sys_exit().
        crate::trace!(self, SysExit, crate::trace::Payload::SysExit { id: regs.orig_rax as i64, ret: regs.rax as i64 });
        // The call's event stop, then its syscall-exit stop; the signal
        // work comes once the tracer lets it go.
        if traced && self.ptrace_syscall_done(regs, true) {
            return SyscallOutcome::Done;
        }
        self.exit_to_user_mode(regs);
        SyscallOutcome::Done
    }

    /// The last step before any return to user mode: act on signals until
    /// none is left to act on (Linux: the body of
    /// exit_to_user_mode_loop(); the loop around it, with rescheduling, is
    /// `entry::exit_to_user_mode_loop`). A task that has stopped or exited
    /// just waits to be switched away.
    ///
    /// The user can point the return address anywhere (a signal handler,
    /// rt_sigreturn's frame, an exec's entry point). A non-canonical one
    /// would make `iretq` fault in ring 0, so it is taken here for what the
    /// hardware makes of it on Linux: a general-protection fault in user
    /// mode, SIGSEGV (Linux: fixup_bad_iret()). A kernel-half address is
    /// canonical and faults in user mode by itself.
    pub fn exit_to_user_mode(&mut self, regs: &mut PtRegs) {
        // Let out of a ptrace stop: registers back from the tracer's copy,
        // and what follows the stop.
        self.ptrace_finish_stop(regs);
        while self.signal_work_pending(regs) {
            self.do_signal(regs);
        }
        if self.rseq_work_pending() {
            self.rseq_handle_notify_resume(regs);
            while self.signal_work_pending(regs) {
                self.do_signal(regs);
            }
        }
        if self.bad_return_rip(regs) {
            const GP: u8 = 13;
            self.user_exception(GP, 0, 0, regs);
        }
    }

    /// Whether [`Kernel::exit_to_user_mode`] has anything to do.
    pub fn exit_work_pending(&self, regs: &PtRegs) -> bool {
        self.signal_work_pending(regs)
            || self.bad_return_rip(regs)
            || self.ptrace_work_pending()
            || self.rseq_work_pending()
    }

    /// The current task would return to a non-canonical address.
    fn bad_return_rip(&self, regs: &PtRegs) -> bool {
        let canonical = (regs.rip as i64) << 16 >> 16 == regs.rip as i64;
        !canonical && self.sched.current().is_some() && self.cur().state == TaskState::Runnable
    }
}
