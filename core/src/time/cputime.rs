//! CPU-time accounting at kernel entry and exit (Linux: kernel/sched/
//! cputime.c with CONFIG_VIRT_CPU_ACCOUNTING_GEN, vtime_user_exit() and
//! vtime_user_enter()). The clock is read when the CPU enters the kernel
//! from user mode, when it leaves for user mode, and at each context
//! switch; the time since the previous reading goes to the running task
//! as user time (it was in user mode) or system time (in the kernel).
//! Time in the idle context goes to no task, only to the machine's idle
//! time (`time::kstat`, for /proc/stat and /proc/uptime). A tick then only has to look
//! at the sums: CPU-time timers fire on time actually used, never on a
//! guess from where ticks landed (the kernel runs with interrupts off,
//! so a tick never lands in kernel mode at all).

use crate::kernel::Kernel;
use crate::proc::{Pid, TaskState};

/// The CPU's accounting state: when the clock was last read, whether
/// the running task has been in user mode since, and the user and system
/// time it has used since it was last charged (Linux: the vtime fields of
/// the task). Entry and exit only add here, with no lookup of the task or
/// its process: a switch or the tick charges them (`account_flush`).
/// Times are in the clock's raw units (`Clock::cycles`, the TSC on the
/// machine), converted to nanoseconds only when charged or read, so that
/// entry and exit pay for a subtraction and an addition, not a
/// multiplication.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CpuAcct {
    pub stamp: u64,
    pub in_user: bool,
    pub user: u64,
    pub sys: u64,
}

impl CpuAcct {
    /// Close the stretch since the last reading at `now` and start one in
    /// user mode (`to_user`) or kernel mode. Returns its length and
    /// whether it was user time. A clock that went backwards (it does
    /// not, but a stamp from before a test's clock reset could) gives 0.
    #[inline]
    pub fn switch_mode(&mut self, now: u64, to_user: bool) -> (u64, bool) {
        let delta = now.saturating_sub(self.stamp);
        let was_user = self.in_user;
        self.stamp = self.stamp.max(now);
        self.in_user = to_user;
        (delta, was_user)
    }

    /// Close the stretch at `now` into the running task's uncharged
    /// time, and start one in user mode or kernel mode.
    #[inline]
    pub fn add(&mut self, now: u64, to_user: bool) {
        let (d, user) = self.switch_mode(now, to_user);
        if user {
            self.user += d;
        } else {
            self.sys += d;
        }
    }

    /// Leave the last `cycles` before `now` out of the stretch in
    /// progress (they were spent waiting for the kernel lock).
    #[inline]
    pub fn skip(&mut self, now: u64, cycles: u64) {
        self.stamp = self.stamp.saturating_add(cycles).min(now).max(self.stamp);
    }

    /// The uncharged time, emptied: (user, system).
    pub fn take(&mut self) -> (u64, u64) {
        (core::mem::take(&mut self.user), core::mem::take(&mut self.sys))
    }

    /// The running task's time not yet charged at `now`, the stretch in
    /// progress included: (user, system).
    pub fn pending(&self, now: u64) -> (u64, u64) {
        let d = now.saturating_sub(self.stamp);
        if self.in_user {
            (self.user + d, self.sys)
        } else {
            (self.user, self.sys + d)
        }
    }
}

/// Linux: cputime_to_clock_t() and friends: ns to USER_HZ (100) ticks.
pub fn ns_to_clock_t(ns: u64) -> u64 {
    ns / 10_000_000
}

impl Kernel {
    /// Charge user and system time to the running task and its process
    /// (Linux: account_user_time(), account_system_index_time()).
    fn charge(&mut self, user: u64, sys: u64) {
        if user + sys == 0 {
            return;
        }
        let cpu = &mut self.time.kstat.cpu_ns[self.sched.this_cpu()];
        let Some(pid) = self.sched.current() else {
            // Linux: account_idle_time().
            cpu[2] += user + sys;
            self.time.kstat.idle_ns += user + sys;
            return;
        };
        cpu[0] += user;
        cpu[1] += sys;
        self.time.kstat.user_ns += user;
        self.time.kstat.system_ns += sys;
        let Some(t) = self.proc.tasks_mut().get_mut(&pid) else { return };
        // A released task's process may be gone; its last moments are lost.
        if t.state == TaskState::Dead {
            return;
        }
        t.utime_ns += user;
        t.stime_ns += sys;
        t.vruntime += user + sys;
        let sig = t.signal;
        let tm = &mut self.sig.signals_mut().get_mut(sig).timers;
        tm.cpu_user_ns += user;
        tm.cpu_total_ns += user + sys;
    }

    /// The CPU entered the kernel from user mode (Linux: vtime_user_exit()
    /// from enter_from_user_mode()): the time since the exit to user mode
    /// is user time. A clock read and two additions.
    /// A trap from user mode begins (Linux: enter_from_user_mode()):
    /// account the user time, and say whether the task came from a return
    /// to user mode that left it nothing to do, with nothing since
    /// (`Kernel::user_clean`, which the trap takes).
    #[inline]
    pub fn enter_from_user_mode(&mut self) -> bool {
        let clean = self.sched.take_user_clean();
        self.account_enter();
        clean.is_some() && clean == self.sched.current()
    }

    /// The trap loop returns to user mode with nothing left to do for the
    /// task (Linux: exit_to_user_mode()): account the system time, and
    /// remember that the task is clean until something happens, unless
    /// every call's exit must be seen (`syscall_work`).
    #[inline]
    pub fn exit_to_user_clean(&mut self) {
        self.account_exit();
        self.sched.set_user_clean(if self.syscall_work() { None } else { self.sched.current() });
    }

    /// Something must see every system call of the current task, so that
    /// none may take the quick way out (Linux: the SYSCALL_WORK_* flags):
    /// the raw_syscalls:sys_exit event, a tracer (its syscall stops, its
    /// event stops), or tine.strace's log.
    fn syscall_work(&self) -> bool {
        self.trace.enabled(crate::trace::Event::SysExit)
            || self
                .sched
                .current()
                .and_then(|c| self.proc.tasks().get(&c))
                .is_some_and(|t| t.ptrace.tracee.is_some() || t.straced)
    }

    #[inline]
    pub fn account_enter(&mut self) {
        let now = self.m.clock.cycles();
        self.time.acct.add(now, false);
    }

    /// The CPU is about to return to user mode (Linux: vtime_user_enter()
    /// from exit_to_user_mode()): the time since the entry, or since this
    /// task was switched in, is system time.
    #[inline]
    pub fn account_exit(&mut self) {
        let now = self.m.clock.cycles();
        self.time.acct.add(now, true);
    }

    /// This CPU spun `cycles` for the kernel lock before it got in: that
    /// is no task's time, nor idle time, but the other CPUs' hold on the
    /// kernel (counted as /proc/stat's steal, the time a virtual CPU
    /// waits for its host: Linux has no big lock, and a task waiting
    /// behind one would otherwise be charged for another CPU's system
    /// calls, or, under a loaded host, for the time the holder's virtual
    /// CPU was not run at all).
    #[cold]
    pub fn lock_waited(&mut self, cycles: u64) {
        let now = self.m.clock.cycles();
        self.time.acct.skip(now, cycles);
        let ns = self.m.clock.cycles_to_ns(cycles);
        self.time.kstat.steal_ns[self.sched.this_cpu()] += ns;
    }

    /// Charge the running task (and its process) with its time up to
    /// now, staying in the same mode: before it is switched out, released,
    /// or its CPU timers are checked at the tick (Linux:
    /// vtime_task_switch(), vtime_account_kernel()). Time in the idle
    /// context is charged to no task, only to the idle count.
    pub fn account_flush(&mut self) {
        let now = self.m.clock.cycles();
        let in_user = self.time.acct.in_user;
        self.time.acct.add(now, in_user);
        let (u, s) = self.time.acct.take();
        let clock = self.m.clock;
        self.charge(clock.cycles_to_ns(u), clock.cycles_to_ns(s));
    }

    /// The running task's time not yet charged, in nanoseconds: (user,
    /// system).
    pub(crate) fn uncharged_ns(&self) -> (u64, u64) {
        let (u, s) = self.time.acct.pending(self.m.clock.cycles());
        (self.m.clock.cycles_to_ns(u), self.m.clock.cycles_to_ns(s))
    }

    /// Thread `tid`'s CPU time (user, system) up to now, including the
    /// stretch in progress when it is the one running (Linux:
    /// task_cputime(), with vtime_delta()).
    pub fn thread_cputime(&self, tid: Pid) -> (u64, u64) {
        let Some(t) = self.proc.tasks().get(&tid) else { return (0, 0) };
        let (mut u, mut s) = (t.utime_ns, t.stime_ns);
        if self.sched.current() == Some(tid) {
            let (pu, ps) = self.uncharged_ns();
            u += pu;
            s += ps;
        }
        (u, s)
    }

    /// The CPU time (user, system) of the process of `signal`: every
    /// thread, live or exited (Linux: thread_group_cputime()), with the
    /// running thread's stretch in progress.
    pub fn process_cputime(&self, signal: crate::proc::SignalId) -> (u64, u64) {
        let tm = &self.sig.signals().get(signal).timers;
        let (mut u, mut s) = (tm.cpu_user_ns, tm.cpu_total_ns - tm.cpu_user_ns);
        if let Some(t) = self.sched.current().and_then(|c| self.proc.tasks().get(&c)) {
            if t.signal == signal && t.state != TaskState::Dead {
                let (pu, ps) = self.uncharged_ns();
                u += pu;
                s += ps;
            }
        }
        (u, s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stretches_alternate_between_user_and_system() {
        let mut a = CpuAcct { stamp: 1_000, in_user: false, user: 0, sys: 0 };
        // Kernel until 1_500, then user.
        assert_eq!(a.switch_mode(1_500, true), (500, false));
        assert_eq!(a.pending(1_700), (200, 0));
        // User until 4_000.
        assert_eq!(a.switch_mode(4_000, false), (2_500, true));
        assert_eq!(a.pending(4_010), (0, 10));
        // A flush keeps the mode.
        assert_eq!(a.switch_mode(4_020, false), (20, false));
        // The clock never runs backwards for accounting.
        assert_eq!(a.switch_mode(10, true), (0, false));
        assert_eq!(a.stamp, 4_020);
    }

    #[test]
    fn uncharged_time_adds_up_until_taken() {
        let mut a = CpuAcct { stamp: 0, in_user: false, user: 0, sys: 0 };
        a.add(100, true);
        a.add(350, false);
        a.add(400, true);
        assert_eq!(a.pending(410), (260, 150));
        assert_eq!(a.take(), (250, 150));
        assert_eq!(a.pending(410), (10, 0));
    }

    #[test]
    fn lock_wait_is_left_out() {
        let mut a = CpuAcct { stamp: 100, in_user: true, user: 0, sys: 0 };
        // 300 cycles of the 400 since the return to user mode were spent
        // waiting for the lock.
        a.skip(500, 300);
        a.add(500, false);
        assert_eq!(a.take(), (100, 0));
        // A wait longer than the stretch never moves the stamp past now.
        a.skip(600, 1_000);
        assert_eq!(a.stamp, 600);
    }

    #[test]
    fn clock_t_is_hundredths() {
        assert_eq!(ns_to_clock_t(9_999_999), 0);
        assert_eq!(ns_to_clock_t(1_000_000_000), 100);
    }
}
