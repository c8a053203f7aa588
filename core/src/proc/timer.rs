//! Process timers: alarm(2) and the interval timers (Linux:
//! kernel/time/itimer.c), and POSIX timers (kernel/time/posix-timers.c,
//! posix-cpu-timers.c).
//!
//! All of them belong to the process (`signal_struct`): a forked child
//! starts with none (copy_signal() builds a new, empty [`ProcTimers`]),
//! execve keeps alarm and the interval timers but deletes the POSIX
//! timers (begin_new_exec() → exit_itimers()), and they die with the
//! process's last thread.
//!
//! ITIMER_REAL and the POSIX timers on the wall and monotonic clocks
//! have an entry in the deadline queue (`time::hrtimer`) and fire from
//! the timer interrupt at their time. The timers on CPU clocks
//! (ITIMER_VIRTUAL counts user time, ITIMER_PROF user and system time,
//! POSIX timers on CPU clocks, RLIMIT_CPU) are checked at the scheduler
//! tick for the running process only, against the CPU time accounted at
//! kernel entry and exit (`time::cputime`), so they never fire early
//! (Linux: run_posix_cpu_timers() from the tick).
//!
//! Like Linux, a periodic ITIMER_REAL or POSIX timer is not re-armed when
//! it fires, but when its signal is taken from the pending set (Linux:
//! the re-arm in dequeue_signal() and posixtimer_deliver_signal()), which
//! also fills in the periods it missed meanwhile as si_overrun
//! ([`Kernel::timer_signal_dequeued`]).

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::vec::Vec;

use crate::abi::*;
use crate::kernel::Kernel;
use crate::proc::{Pid, SignalId, TaskState};
use crate::signal::{sigbit, SigInfo};
use crate::time::hrtimer::HrTimer;

/// Linux: TICK_NSEC: what set_cpu_itimer() adds to a new CPU itimer.
pub use crate::time::TICK_NS;

pub const ITIMER_REAL: u32 = 0;
pub const ITIMER_VIRTUAL: u32 = 1;
pub const ITIMER_PROF: u32 = 2;

/// si_code of a POSIX timer's signal (asm-generic/siginfo.h).
pub const SI_TIMER: i32 = -2;

/// sigevent notification kinds (asm-generic/siginfo.h).
pub const SIGEV_SIGNAL: i32 = 0;
pub const SIGEV_NONE: i32 = 1;
pub const SIGEV_THREAD: i32 = 2;
pub const SIGEV_THREAD_ID: i32 = 4;

/// timer_settime flag.
pub const TIMER_ABSTIME: u32 = 1;

/// Linux: SIGRTMAX.
const SIGRTMAX: i32 = 64;

/// ITIMER_REAL and alarm(): SIGALRM after a stretch of real time
/// (Linux: `signal->real_timer`, `it_real_incr`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RealTimer {
    /// Monotonic time of the next expiry; None when not armed.
    pub expires: Option<u64>,
    pub interval: u64,
    /// Fired, periodic, and its SIGALRM not yet taken: re-armed once it is.
    pub requeue: bool,
    /// The deadline it has in the kernel's queue.
    pub queued: Option<u64>,
}

/// ITIMER_VIRTUAL or ITIMER_PROF (Linux: `struct cpu_itimer`): expiry on
/// the process's CPU clock, 0 when off.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CpuTimer {
    pub expires: u64,
    pub incr: u64,
}

/// The clock a POSIX timer runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimerClock {
    Realtime,
    /// CLOCK_MONOTONIC and CLOCK_BOOTTIME (Tine never suspends).
    Monotonic,
    /// CLOCK_PROCESS_CPUTIME_ID.
    ProcessCpu,
    /// CLOCK_THREAD_CPUTIME_ID of the thread that created the timer.
    ThreadCpu(Pid),
}

/// How a POSIX timer tells its expiry (Linux: `it_sigev_notify`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notify {
    /// SIGEV_NONE: nothing; timer_gettime shows the time left.
    None,
    /// SIGEV_SIGNAL (and SIGEV_THREAD, which the C library builds on it):
    /// `signo` to the process, or with SIGEV_THREAD_ID to one thread.
    Signal { signo: u32, value: u64, thread: Option<Pid> },
}

/// One POSIX timer (Linux: `struct k_itimer`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PosixTimer {
    pub clockid: u64,
    pub clock: TimerClock,
    pub notify: Notify,
    /// Expiry on the timer's clock; None when disarmed.
    pub expires: Option<u64>,
    pub interval: u64,
    /// Periodic, fired, and its signal still queued (Linux:
    /// POSIX_TIMER_REQUEUE_PENDING).
    pub requeue: bool,
    /// Linux: it_overrun_last, what timer_getoverrun() reports.
    pub overrun_last: u32,
    /// The si_overrun its queued signal carries: the periods missed so
    /// far (becomes `overrun_last` once the signal is taken).
    pub queued_overrun: u32,
    /// The deadline (monotonic) it has in the kernel's queue.
    pub queued: Option<u64>,
}

/// A process's timers (the timer parts of Linux's `signal_struct`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProcTimers {
    /// The process they signal (set whenever one is armed).
    pub tgid: Pid,
    pub real: RealTimer,
    pub virt: CpuTimer,
    pub prof: CpuTimer,
    /// CPU time the process has used, every thread's, in user mode and
    /// in all (the clocks ITIMER_VIRTUAL and ITIMER_PROF count), as
    /// accounted at kernel entry and exit (Linux: the task_cputime sums
    /// of `signal->cputimer` and sig->utime/stime together).
    pub cpu_user_ns: u64,
    pub cpu_total_ns: u64,
    pub posix: BTreeMap<i32, PosixTimer>,
    /// POSIX timers armed on CPU clocks, which the tick looks at (Linux:
    /// `signal->posix_cputimers`); some may have been disarmed since.
    pub cpu_posix: BTreeSet<i32>,
    /// Linux: next_posix_timer_id.
    pub next_id: i32,
}

/// One itimer setting: value (time to the next expiry) and interval, in ns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ItimerVal {
    pub value: u64,
    pub interval: u64,
}

/// The siginfo of a POSIX timer's signal: si_code SI_TIMER, si_timerid,
/// si_overrun and si_value. `SigInfo` has no fields of these names yet;
/// they overlay the kill fields as Linux's siginfo union does (si_timerid
/// at offset 16 is `pid`, si_overrun at 20 is `uid`, si_value at 24 is
/// `status`, of which only the low 32 bits, sival_int, are carried).
pub fn timer_siginfo(signo: u32, id: i32, overrun: u32, value: u64) -> SigInfo {
    SigInfo {
        signo,
        code: SI_TIMER,
        pid: id as u32,
        uid: overrun,
        status: value as i32,
        value_hi: (value >> 32) as u32,
    }
}

fn timer_id_of(info: &SigInfo) -> Option<i32> {
    (info.code == SI_TIMER).then_some(info.pid as i32)
}

/// Linux: hrtimer_forward(): move expiry `e` (<= now) on by whole
/// intervals until it lies after `now`; returns the new expiry and how
/// many intervals were added.
fn forward(e: u64, now: u64, interval: u64) -> (u64, u64) {
    let n = (now.saturating_sub(e)) / interval + 1;
    (e.saturating_add(n.saturating_mul(interval)), n)
}

impl Kernel {
    /// The process's timers.
    fn timers_mut(&mut self, signal: SignalId) -> &mut ProcTimers {
        &mut self.sig.signals_mut().get_mut(signal).timers
    }

    /// Now on a POSIX timer's clock.
    fn clock_now(&self, signal: SignalId, clock: TimerClock) -> u64 {
        match clock {
            TimerClock::Realtime => self.m.clock.boot_epoch_ns() + self.now_ns(),
            TimerClock::Monotonic => self.now_ns(),
            TimerClock::ProcessCpu => {
                let (u, s) = self.process_cputime(signal);
                u + s
            }
            TimerClock::ThreadCpu(tid) => {
                let (u, s) = self.thread_cputime(tid);
                u + s
            }
        }
    }

    /// Set the process's ITIMER_REAL, keeping its entry in the deadline
    /// queue in step: queued while armed and not waiting for its signal.
    fn set_real(&mut self, signal: SignalId, r: RealTimer) {
        let want = if r.requeue { None } else { r.expires };
        let tm = self.timers_mut(signal);
        let old = tm.real.queued;
        tm.real = RealTimer { queued: want, ..r };
        if old != want {
            if let Some(o) = old {
                self.time.hrtimers_mut().remove(o, HrTimer::Real(signal));
            }
            if let Some(w) = want {
                self.hrtimer_start(w, HrTimer::Real(signal));
            }
        }
    }

    /// Bring POSIX timer `id`'s place in the deadline queue (wall and
    /// monotonic clocks) or in the tick's list (CPU clocks) in line with
    /// its state: there while armed with a signal to send and not waiting
    /// for the last one to be taken.
    fn posix_sync(&mut self, signal: SignalId, id: i32) {
        let epoch = self.m.clock.boot_epoch_ns();
        let tm = self.timers_mut(signal);
        let Some(t) = tm.posix.get_mut(&id) else { return };
        let active = !t.requeue && matches!(t.notify, Notify::Signal { .. });
        let want = match (t.expires, t.clock) {
            (Some(e), TimerClock::Realtime) if active => Some(e.saturating_sub(epoch)),
            (Some(e), TimerClock::Monotonic) if active => Some(e),
            _ => None,
        };
        if t.expires.is_some() && matches!(t.clock, TimerClock::ProcessCpu | TimerClock::ThreadCpu(_)) {
            tm.cpu_posix.insert(id);
        }
        if t.queued == want {
            return;
        }
        let old = core::mem::replace(&mut t.queued, want);
        if let Some(o) = old {
            self.time.hrtimers_mut().remove(o, HrTimer::Posix(signal, id));
        }
        if let Some(w) = want {
            self.hrtimer_start(w, HrTimer::Posix(signal, id));
        }
    }

    /// ITIMER_REAL's deadline `at` has come (Linux: it_real_fn()).
    pub(crate) fn real_timer_expired(&mut self, signal: SignalId, at: u64) {
        let Some(s) = self.sig.signals().try_get(signal) else { return };
        let (r, tgid) = (s.timers.real, s.timers.tgid);
        if r.queued != Some(at) {
            return;
        }
        self.timers_mut(signal).real.queued = None;
        let _ = self.send_signal_process(tgid, SigInfo::kernel(SIGALRM));
        // A periodic timer waits for its SIGALRM to be taken; one whose
        // SIGALRM was thrown away (ignored) is never re-armed: nobody
        // will dequeue it (Linux behaves so).
        let pending = self.sig.signals().get(signal).shared_pending.has(SIGALRM);
        let next = if r.interval != 0 && pending {
            RealTimer { expires: Some(at), interval: r.interval, requeue: true, queued: None }
        } else {
            RealTimer::default()
        };
        self.set_real(signal, next);
    }

    /// POSIX timer `id`'s deadline `at` has come (Linux: posix_timer_fn()).
    pub(crate) fn posix_timer_expired(&mut self, signal: SignalId, id: i32, at: u64) {
        let Some(s) = self.sig.signals().try_get(signal) else { return };
        if s.timers.posix.get(&id).map(|t| t.queued) != Some(Some(at)) {
            return;
        }
        self.timers_mut(signal).posix.get_mut(&id).expect("timer").queued = None;
        self.posix_fire(signal, id);
    }

    /// Send POSIX timer `id`'s signal; a periodic timer then waits for it
    /// to be taken (Linux: posix_timer_queue_signal()).
    fn posix_fire(&mut self, signal: SignalId, id: i32) {
        let tgid = self.sig.signals().get(signal).timers.tgid;
        let t = self.sig.signals().get(signal).timers.posix[&id];
        let (Some(e), Notify::Signal { signo, value, thread }) = (t.expires, t.notify) else { return };
        let info = timer_siginfo(signo, id, 0, value);
        // A full RLIMIT_SIGPENDING loses the expiry (Linux refuses the
        // timer at timer_create() instead).
        let _ = match thread {
            Some(tid) => self.send_signal_thread(tid, info),
            None => self.send_signal_process(tgid, info),
        };
        let p = self.timers_mut(signal).posix.get_mut(&id).expect("timer");
        p.queued_overrun = 0;
        if t.interval == 0 {
            p.expires = None;
        } else {
            p.requeue = true;
            // An ignored signal is never taken: the timer runs on, at
            // least a tick apart (Linux: posix_timer_fn() for SIG_IGN).
            if self.queued_overrun(signal, id, signo, thread).is_none() {
                let now = self.clock_now(signal, t.clock).max(e);
                self.rearm_timer(signal, id, now + if t.interval < TICK_NS { TICK_NS } else { 0 });
            }
        }
        self.posix_sync(signal, id);
    }

    /// A signal was just taken off the current task's pending sets: a
    /// periodic timer waiting for it runs on from its next period, and a
    /// POSIX timer's signal carries the periods missed meanwhile as
    /// si_overrun (Linux: dequeue_signal() re-arming it_real, and
    /// posixtimer_deliver_signal() → posix_timer_rearm()).
    pub fn timer_signal_dequeued(&mut self, info: &mut SigInfo, shared: bool) {
        let signal = self.cur().signal;
        if let Some(id) = timer_id_of(info) {
            let Some(t) = self.sig.signals().get(signal).timers.posix.get(&id).copied() else { return };
            let (true, Some(e), Notify::Signal { signo, .. }) = (t.requeue, t.expires, t.notify) else { return };
            if signo != info.signo || t.interval == 0 {
                return;
            }
            let now = self.clock_now(signal, t.clock);
            let missed = ((now.saturating_sub(e)) / t.interval).min(i32::MAX as u64) as u32;
            self.timers_mut(signal).posix.get_mut(&id).expect("timer").queued_overrun = missed;
            info.uid = missed;
            self.rearm_timer(signal, id, now);
        } else if info.signo == SIGALRM && shared {
            let r = self.sig.signals().get(signal).timers.real;
            if let (true, Some(e)) = (r.requeue, r.expires) {
                let (next, _) = forward(e, self.now_ns(), r.interval);
                self.set_real(
                    signal,
                    RealTimer { expires: Some(next), interval: r.interval, requeue: false, queued: None },
                );
            }
        }
    }

    /// The scheduler tick's check of the running process's CPU-time
    /// timers, on the CPU time accounted so far (Linux:
    /// run_posix_cpu_timers() → check_thread_timers(),
    /// check_process_timers()).
    pub(crate) fn run_cpu_timers(&mut self) {
        let Some(t) = self.sched.current().and_then(|p| self.proc.tasks.get(&p)) else { return };
        if matches!(t.state, TaskState::Zombie | TaskState::Dead) {
            return;
        }
        let (signal, tgid) = (t.signal, t.tgid);
        let (user, sys) = self.process_cputime(signal);
        let total = user + sys;
        let mut fire = Vec::new();
        let tm = self.timers_mut(signal);
        // Linux: check_cpu_itimer().
        for (it, now, sig) in [(&mut tm.virt, user, SIGVTALRM), (&mut tm.prof, total, SIGPROF)] {
            if it.expires != 0 && now >= it.expires {
                it.expires = if it.incr != 0 { it.expires + it.incr } else { 0 };
                fire.push(sig);
            }
        }
        // RLIMIT_CPU: SIGKILL at the hard limit, SIGXCPU at the soft one
        // and every second after it (Linux: check_process_timers()).
        let s = self.sig.signals_mut().get_mut(signal);
        let rl = s.rlimits[0];
        if rl.cur != RLIM_INFINITY {
            if rl.max != RLIM_INFINITY && total >= rl.max.saturating_mul(1_000_000_000) {
                fire.push(SIGKILL);
            } else if total >= rl.cur.saturating_mul(1_000_000_000) {
                fire.push(SIGXCPU);
                s.rlimits[0].cur = rl.cur + 1;
            }
        }
        for sig in fire {
            let _ = self.send_signal_process(tgid, SigInfo::kernel(sig));
        }
        if self.sig.signals().get(signal).timers.cpu_posix.is_empty() {
            return;
        }
        let ids: Vec<i32> = self.sig.signals().get(signal).timers.cpu_posix.iter().copied().collect();
        for id in ids {
            let Some(t) = self.sig.signals().get(signal).timers.posix.get(&id).copied() else {
                self.timers_mut(signal).cpu_posix.remove(&id);
                continue;
            };
            let Some(e) = t.expires else {
                self.timers_mut(signal).cpu_posix.remove(&id);
                continue;
            };
            if t.requeue || t.notify == Notify::None {
                continue;
            }
            if self.clock_now(signal, t.clock) >= e {
                self.posix_fire(signal, id);
            }
        }
    }

    /// The si_overrun slot of timer `id`'s signal while it is still
    /// pending, for the process or its target thread.
    fn queued_overrun(&mut self, signal: SignalId, id: i32, signo: u32, thread: Option<Pid>) -> Option<&mut u32> {
        let (pending, infos) = match thread {
            Some(tid) => {
                let t = self.proc.tasks.get_mut(&tid)?;
                (t.sigpending, &mut t.pending_info)
            }
            None => {
                let s = self.sig.signals_mut().get_mut(signal);
                (s.shared_pending, &mut s.shared_info)
            }
        };
        if !pending.has(signo) {
            return None;
        }
        infos.find_mut(signo, |i| timer_id_of(i) == Some(id)).map(|i| &mut i.uid)
    }

    /// Take timer `id`'s signal back off the pending sets, if it is still
    /// there: Linux drops the signal of a timer deleted or re-armed
    /// before the signal was delivered.
    fn unqueue_timer_signal(&mut self, signal: SignalId, id: i32) {
        let Some(t) = self.sig.signals().get(signal).timers.posix.get(&id).copied() else { return };
        let Notify::Signal { signo, thread, .. } = t.notify else { return };
        let bit = sigbit(signo);
        let (bits, queue) = match thread {
            Some(tid) => {
                let Some(task) = self.proc.tasks.get_mut(&tid) else { return };
                (&mut task.sigpending, &mut task.pending_info)
            }
            None => {
                let s = self.sig.signals_mut().get_mut(signal);
                (&mut s.shared_pending, &mut s.shared_info)
            }
        };
        let Some(gone) = queue.remove_first(signo, |i| timer_id_of(i) == Some(id)) else { return };
        if !queue.has(signo) {
            *bits &= !bit;
        }
        if let Some(uid) = gone.charged {
            self.proc.ucounts.uncharge_sigpending(uid);
        }
    }

    /// Settle a periodic POSIX timer whose signal has gone without being
    /// taken (flushed by SIG_IGN, say), so that it runs on and
    /// timer_getoverrun/gettime see it re-armed.
    fn settle_timer(&mut self, signal: SignalId, id: i32) {
        let t = self.sig.signals().get(signal).timers.posix[&id];
        let (true, Some(_), Notify::Signal { signo, thread, .. }) = (t.requeue, t.expires, t.notify) else { return };
        if self.queued_overrun(signal, id, signo, thread).is_some() {
            return;
        }
        let now = self.clock_now(signal, t.clock);
        self.rearm_timer(signal, id, now);
    }

    /// A periodic timer's signal has been taken: the overruns it carried
    /// become timer_getoverrun()'s, and the timer runs on from its next
    /// period after `now` (Linux: __posixtimer_deliver_signal()).
    fn rearm_timer(&mut self, signal: SignalId, id: i32, now: u64) {
        let p = self.timers_mut(signal).posix.get_mut(&id).expect("timer");
        if let Some(e) = p.expires {
            p.expires = Some(forward(e, now, p.interval).0);
        }
        p.requeue = false;
        p.overrun_last = p.queued_overrun;
        p.queued_overrun = 0;
        self.posix_sync(signal, id);
    }

    // ---- alarm and the interval timers ------------------------------------

    /// Linux: itimer_get_remtime(): the time to an armed ITIMER_REAL's
    /// expiry, at least 1 µs while it is armed; 0 when it is not (a
    /// periodic timer waiting for its SIGALRM to be taken is not).
    fn real_remaining(&self, signal: SignalId) -> u64 {
        let r = self.sig.signals().get(signal).timers.real;
        match r.expires {
            Some(e) if !r.requeue => e.saturating_sub(self.now_ns()).max(1000),
            _ => 0,
        }
    }

    /// Linux: get_cpu_itimer().
    fn cpu_itimer(&self, signal: SignalId, which: u32) -> ItimerVal {
        let tm = &self.sig.signals().get(signal).timers;
        let (user, sys) = self.process_cputime(signal);
        let (it, now) = if which == ITIMER_VIRTUAL { (tm.virt, user) } else { (tm.prof, user + sys) };
        let value = match it.expires {
            0 => 0,
            e if e < now => TICK_NS,
            e => e - now,
        };
        ItimerVal { value, interval: it.incr }
    }

    /// getitimer(2) for the current process (Linux: do_getitimer()).
    pub fn getitimer(&self, which: u32) -> SysResult<ItimerVal> {
        let signal = self.cur().signal;
        match which {
            ITIMER_REAL => Ok(ItimerVal {
                value: self.real_remaining(signal),
                interval: self.sig.signals().get(signal).timers.real.interval,
            }),
            ITIMER_VIRTUAL | ITIMER_PROF => Ok(self.cpu_itimer(signal, which)),
            _ => Err(EINVAL),
        }
    }

    /// setitimer(2) for the current process; returns the old setting
    /// (Linux: do_setitimer()).
    pub fn setitimer(&mut self, which: u32, new: ItimerVal) -> SysResult<ItimerVal> {
        let (signal, tgid) = (self.cur().signal, self.cur().tgid);
        let old = self.getitimer(which)?;
        let now = self.now_ns();
        let (user, sys) = self.process_cputime(signal);
        let tm = self.timers_mut(signal);
        tm.tgid = tgid;
        match which {
            ITIMER_REAL => {
                let real = if new.value != 0 {
                    RealTimer {
                        expires: Some(now.saturating_add(new.value)),
                        interval: new.interval,
                        requeue: false,
                        queued: None,
                    }
                } else {
                    RealTimer::default()
                };
                self.set_real(signal, real);
                Ok(old)
            }
            _ => {
                // Linux: set_cpu_itimer(): the old value is reported as
                // the time left (a tick if about to fire), the new one
                // gets a tick added, and the interval is kept even when
                // the timer is switched off.
                let (it, clock) =
                    if which == ITIMER_VIRTUAL { (&mut tm.virt, user) } else { (&mut tm.prof, user + sys) };
                let oval = match it.expires {
                    0 => 0,
                    e if e <= clock => TICK_NS,
                    e => e - clock,
                };
                it.expires = if new.value != 0 { new.value.saturating_add(TICK_NS).saturating_add(clock) } else { 0 };
                it.incr = new.interval;
                Ok(ItimerVal { value: oval, interval: old.interval })
            }
        }
    }

    /// alarm(2): SIGALRM in `seconds` (0 cancels); returns the seconds
    /// that were left, rounded to nearest and never 0 for a pending
    /// alarm (Linux: alarm_setitimer()).
    pub fn alarm(&mut self, seconds: u32) -> u64 {
        let old = self
            .setitimer(ITIMER_REAL, ItimerVal { value: seconds as u64 * 1_000_000_000, interval: 0 })
            .expect("ITIMER_REAL");
        let (mut secs, nsec) = (old.value / 1_000_000_000, old.value % 1_000_000_000);
        if (secs == 0 && nsec != 0) || nsec >= 500_000_000 {
            secs += 1;
        }
        secs
    }

    // ---- POSIX timers -------------------------------------------------------

    /// timer_create(2) for the current process; `event` is the sigevent
    /// (notify kind, signal, value, thread) or None for the default
    /// (SIGALRM to the process, si_value = the timer id). Returns the new
    /// id. Linux: do_timer_create(): an id is used up even when the
    /// sigevent is then refused.
    pub fn timer_create(&mut self, clockid: u64, event: Option<(i32, i32, u64, i32)>) -> SysResult<i32> {
        let clock = match clockid {
            CLOCK_REALTIME | 11 /* CLOCK_TAI */ => TimerClock::Realtime,
            CLOCK_MONOTONIC | CLOCK_BOOTTIME => TimerClock::Monotonic,
            CLOCK_PROCESS_CPUTIME_ID => TimerClock::ProcessCpu,
            CLOCK_THREAD_CPUTIME_ID => TimerClock::ThreadCpu(self.cur().tid),
            // Clocks without timers, and the alarm clocks, which need an
            // RTC to wake the machine (Linux: alarm_timer_create()).
            CLOCK_MONOTONIC_RAW | CLOCK_REALTIME_COARSE | CLOCK_MONOTONIC_COARSE | 8 | 9 => return Err(EOPNOTSUPP),
            _ => return Err(EINVAL),
        };
        let (signal, tgid) = (self.cur().signal, self.cur().tgid);
        let tm = self.timers_mut(signal);
        let mut id = tm.next_id;
        while tm.posix.contains_key(&id) {
            id = id.checked_add(1).unwrap_or(0);
        }
        tm.next_id = id.checked_add(1).unwrap_or(0);
        let notify = match event {
            None => Notify::Signal { signo: SIGALRM, value: id as u64, thread: None },
            Some((notify, signo, value, thread_id)) => {
                // Linux: good_sigevent().
                let thread = if notify == SIGEV_SIGNAL | SIGEV_THREAD_ID {
                    match self.proc.tasks.get(&(thread_id as u32)) {
                        Some(t) if thread_id > 0 && t.tgid == tgid && !matches!(t.state, TaskState::Dead) => {
                            Some(t.tid)
                        }
                        _ => return Err(EINVAL),
                    }
                } else {
                    None
                };
                match notify {
                    SIGEV_NONE => Notify::None,
                    SIGEV_SIGNAL | SIGEV_THREAD | SIGEV_THREAD_ID if (1..=SIGRTMAX).contains(&signo) => {
                        Notify::Signal { signo: signo as u32, value, thread }
                    }
                    _ => return Err(EINVAL),
                }
            }
        };
        let tm = self.timers_mut(signal);
        tm.tgid = tgid;
        tm.posix.insert(
            id,
            PosixTimer {
                clockid,
                clock,
                notify,
                expires: None,
                interval: 0,
                requeue: false,
                overrun_last: 0,
                queued_overrun: 0,
                queued: None,
            },
        );
        Ok(id)
    }

    fn posix_timer(&self, id: i32) -> SysResult<PosixTimer> {
        self.cur_signal().timers.posix.get(&id).copied().ok_or(EINVAL)
    }

    /// timer_gettime(2): (value, interval) in ns (Linux: common_timer_get()).
    pub fn timer_gettime(&mut self, id: i32) -> SysResult<ItimerVal> {
        let signal = self.cur().signal;
        self.posix_timer(id)?;
        self.settle_timer(signal, id);
        let t = self.posix_timer(id)?;
        let sig_none = t.notify == Notify::None;
        let Some(mut e) = t.expires else {
            return Ok(ItimerVal { value: 0, interval: t.interval });
        };
        let now = self.clock_now(signal, t.clock);
        // A periodic timer waiting for its signal to be taken, or one
        // without a signal, is moved on to its next expiry.
        if t.interval != 0 && (t.requeue || sig_none) && e <= now {
            let (next, _) = forward(e, now, t.interval);
            e = next;
            if sig_none {
                self.timers_mut(signal).posix.get_mut(&id).expect("timer").expires = Some(next);
            }
        }
        let value = if e > now {
            e - now
        } else if sig_none {
            0
        } else {
            1
        };
        Ok(ItimerVal { value, interval: t.interval })
    }

    /// timer_settime(2): arm (value != 0) or disarm timer `id`; returns
    /// the old setting (Linux: common_timer_set()).
    pub fn timer_settime(&mut self, id: i32, flags: u32, new: ItimerVal) -> SysResult<ItimerVal> {
        let old = self.timer_gettime(id)?;
        let (signal, tgid) = (self.cur().signal, self.cur().tgid);
        self.unqueue_timer_signal(signal, id);
        let clock = self.posix_timer(id)?.clock;
        let now = self.clock_now(signal, clock);
        let tm = self.timers_mut(signal);
        tm.tgid = tgid;
        let t = tm.posix.get_mut(&id).expect("timer");
        t.requeue = false;
        t.overrun_last = 0;
        t.queued_overrun = 0;
        if new.value == 0 {
            t.expires = None;
            t.interval = 0;
        } else {
            t.interval = new.interval;
            let abs = flags & TIMER_ABSTIME != 0;
            t.expires = Some(if abs { new.value } else { now.saturating_add(new.value) });
        }
        self.posix_sync(signal, id);
        Ok(old)
    }

    /// timer_getoverrun(2) (Linux: it_overrun_last).
    pub fn timer_getoverrun(&mut self, id: i32) -> SysResult<u32> {
        self.posix_timer(id)?;
        let signal = self.cur().signal;
        self.settle_timer(signal, id);
        Ok(self.posix_timer(id)?.overrun_last)
    }

    /// timer_delete(2).
    pub fn timer_delete(&mut self, id: i32) -> SysResult<()> {
        self.posix_timer(id)?;
        let signal = self.cur().signal;
        self.unqueue_timer_signal(signal, id);
        self.posix_disarm(signal, id);
        let tm = self.timers_mut(signal);
        tm.posix.remove(&id);
        tm.cpu_posix.remove(&id);
        Ok(())
    }

    /// Take POSIX timer `id` out of the deadline queue for good.
    fn posix_disarm(&mut self, signal: SignalId, id: i32) {
        if let Some(t) = self.timers_mut(signal).posix.get_mut(&id) {
            t.expires = None;
            t.requeue = false;
        }
        self.posix_sync(signal, id);
    }

    /// execve: the POSIX timers and their queued signals go; alarm and
    /// the interval timers stay (Linux: begin_new_exec() → exit_itimers()).
    pub fn exec_timers(&mut self, pid: Pid) {
        let signal = self.proc.tasks[&pid].signal;
        let ids: Vec<i32> = self.sig.signals().get(signal).timers.posix.keys().copied().collect();
        for id in ids {
            self.unqueue_timer_signal(signal, id);
            self.posix_disarm(signal, id);
        }
        let tm = self.timers_mut(signal);
        tm.posix.clear();
        tm.cpu_posix.clear();
    }

    /// The process's last thread is exiting: every timer stops (Linux:
    /// do_exit() → hrtimer_cancel(&sig->real_timer), exit_itimers()).
    pub fn exit_timers(&mut self, signal: SignalId) {
        self.set_real(signal, RealTimer::default());
        let ids: Vec<i32> = self.sig.signals().get(signal).timers.posix.keys().copied().collect();
        for id in ids {
            self.posix_disarm(signal, id);
        }
        let tm = self.timers_mut(signal);
        tm.virt = CpuTimer::default();
        tm.prof = CpuTimer::default();
        tm.posix.clear();
        tm.cpu_posix.clear();
    }
}

#[cfg(test)]
#[path = "timer_tests.rs"]
mod tests;
