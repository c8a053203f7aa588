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
//! Expiry is checked by the 1 ms timer tick ([`Kernel::run_timers`]),
//! which also charges the tick to the running process's CPU clocks
//! (ITIMER_VIRTUAL counts user time, ITIMER_PROF user and system time).
//!
//! Like Linux, a periodic ITIMER_REAL or POSIX timer is not re-armed when
//! it fires, but when its signal has been taken from the pending set
//! (Linux: the re-arm in dequeue_signal() and posixtimer_deliver_signal()):
//! until then it counts the periods it missed as overruns. Tine notices
//! the dequeue at the next tick.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use crate::abi::*;
use crate::kernel::Kernel;
use crate::proc::{Pid, SignalId, TaskState};
use crate::signal::{sigbit, SigInfo};

/// Linux: TICK_NSEC at HZ=1000, the granularity of CPU-time accounting.
pub const TICK_NS: u64 = 1_000_000;

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
}

/// A process's timers (the timer parts of Linux's `signal_struct`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProcTimers {
    /// The process they signal (set whenever one is armed).
    pub tgid: Pid,
    pub real: RealTimer,
    pub virt: CpuTimer,
    pub prof: CpuTimer,
    /// CPU time the process has used, in user mode and in all (the
    /// clocks ITIMER_VIRTUAL and ITIMER_PROF count), by timer ticks.
    pub cpu_user_ns: u64,
    pub cpu_total_ns: u64,
    pub posix: BTreeMap<i32, PosixTimer>,
    /// Linux: next_posix_timer_id.
    pub next_id: i32,
}

impl ProcTimers {
    /// Whether the tick has anything to look at besides the CPU clocks.
    fn busy(&self) -> bool {
        self.real.expires.is_some() || self.posix.values().any(|t| t.expires.is_some() && t.notify != Notify::None)
    }
}

/// One itimer setting: value (time to the next expiry) and interval, in ns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ItimerVal {
    pub value: u64,
    pub interval: u64,
}

/// What a tick decided to send.
enum Fire {
    Process(Pid, SigInfo),
    Thread(Pid, SigInfo),
}

/// The siginfo of a POSIX timer's signal: si_code SI_TIMER, si_timerid,
/// si_overrun and si_value. `SigInfo` has no fields of these names yet;
/// they overlay the kill fields as Linux's siginfo union does (si_timerid
/// at offset 16 is `pid`, si_overrun at 20 is `uid`, si_value at 24 is
/// `status`, of which only the low 32 bits, sival_int, are carried).
pub fn timer_siginfo(signo: u32, id: i32, overrun: u32, value: u64) -> SigInfo {
    SigInfo { signo, code: SI_TIMER, pid: id as u32, uid: overrun, status: value as i32, value_hi: (value >> 32) as u32 }
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
        &mut self.signals.get_mut(signal).timers
    }

    /// Now on a POSIX timer's clock.
    fn clock_now(&self, signal: SignalId, clock: TimerClock) -> u64 {
        match clock {
            TimerClock::Realtime => self.m.clock.boot_epoch_ns() + self.now_ns(),
            TimerClock::Monotonic => self.now_ns(),
            TimerClock::ProcessCpu => self.signals.get(signal).timers.cpu_total_ns,
            TimerClock::ThreadCpu(tid) => self.tasks.get(&tid).map_or(0, |t| t.utime_ns + t.stime_ns),
        }
    }

    /// The timer interrupt's part: charge the tick to the running
    /// process's CPU clocks, then fire what has expired (Linux:
    /// run_posix_cpu_timers() and the hrtimer interrupt).
    pub fn run_timers(&mut self, from_user: bool) {
        let mut fire = Vec::new();
        if let Some(t) = self.current.and_then(|p| self.tasks.get(&p)) {
            if !matches!(t.state, TaskState::Zombie | TaskState::Dead) {
                let (signal, tgid) = (t.signal, t.tgid);
                let tm = self.timers_mut(signal);
                tm.cpu_total_ns += TICK_NS;
                if from_user {
                    tm.cpu_user_ns += TICK_NS;
                }
                // Linux: check_cpu_itimer().
                let checks = [(&mut tm.virt, tm.cpu_user_ns, SIGVTALRM), (&mut tm.prof, tm.cpu_total_ns, SIGPROF)];
                for (it, now, sig) in checks {
                    if it.expires != 0 && now >= it.expires {
                        it.expires = if it.incr != 0 { it.expires + it.incr } else { 0 };
                        fire.push(Fire::Process(tgid, SigInfo::kernel(sig)));
                    }
                }
                // RLIMIT_CPU: SIGKILL at the hard limit, SIGXCPU at the soft
                // one and every second after it (Linux: check_process_timers()).
                let ptime = tm.cpu_total_ns;
                let s = self.signals.get_mut(signal);
                let rl = s.rlimits[0];
                if rl.cur != RLIM_INFINITY {
                    if rl.max != RLIM_INFINITY && ptime >= rl.max.saturating_mul(1_000_000_000) {
                        fire.push(Fire::Process(tgid, SigInfo::kernel(SIGKILL)));
                    } else if ptime >= rl.cur.saturating_mul(1_000_000_000) {
                        fire.push(Fire::Process(tgid, SigInfo::kernel(SIGXCPU)));
                        s.rlimits[0].cur = rl.cur + 1;
                    }
                }
            }
        }
        let busy: Vec<SignalId> = self.signals.iter().filter(|(_, s)| s.timers.busy()).map(|(id, _)| id).collect();
        let mut real_fired = Vec::new();
        for id in busy {
            if self.process_timers(id, &mut fire) {
                real_fired.push(id);
            }
        }
        for f in fire {
            match f {
                // A full RLIMIT_SIGPENDING loses the expiry (Linux refuses
                // the timer at timer_create() instead).
                Fire::Process(tgid, info) => {
                    let _ = self.send_signal_process(tgid, info);
                }
                Fire::Thread(tid, info) => {
                    let _ = self.send_signal_thread(tid, info);
                }
            }
        }
        // A periodic ITIMER_REAL whose SIGALRM was thrown away (ignored)
        // is never re-armed: nobody will dequeue it (Linux behaves so).
        for id in real_fired {
            if self.signals.get(id).shared_pending & sigbit(SIGALRM) == 0 {
                let real = &mut self.timers_mut(id).real;
                real.expires = None;
                real.requeue = false;
            }
        }
    }

    /// Expire the timers of process `signal`; returns whether a periodic
    /// ITIMER_REAL fired (see the end of `run_timers`).
    fn process_timers(&mut self, signal: SignalId, fire: &mut Vec<Fire>) -> bool {
        let mono = self.now_ns();
        let s = self.signals.get(signal);
        let tgid = s.timers.tgid;
        let alrm_pending = s.shared_pending & sigbit(SIGALRM) != 0;
        let mut real_periodic_fired = false;
        let r = s.timers.real;
        if let Some(e) = r.expires {
            if r.requeue {
                if !alrm_pending {
                    // Linux: dequeue_signal() re-arms it_real on SIGALRM.
                    let (next, _) = forward(e, mono, r.interval);
                    self.timers_mut(signal).real = RealTimer { expires: Some(next), interval: r.interval, requeue: false };
                }
            } else if mono >= e {
                fire.push(Fire::Process(tgid, SigInfo::kernel(SIGALRM)));
                let real = &mut self.timers_mut(signal).real;
                if r.interval != 0 {
                    real.requeue = true;
                    real_periodic_fired = true;
                } else {
                    real.expires = None;
                }
            }
        }
        let ids: Vec<i32> = self.signals.get(signal).timers.posix.keys().copied().collect();
        for id in ids {
            let t = self.signals.get(signal).timers.posix[&id];
            let (Some(e), Notify::Signal { signo, value, thread }) = (t.expires, t.notify) else { continue };
            let now = self.clock_now(signal, t.clock);
            if t.requeue {
                match self.queued_overrun(signal, id, signo, thread) {
                    // Still pending: count the periods it misses.
                    Some(slot) => {
                        let missed = ((now.saturating_sub(e)) / t.interval).min(i32::MAX as u64) as u32;
                        *slot = missed;
                        self.timers_mut(signal).posix.get_mut(&id).expect("timer").queued_overrun = missed;
                    }
                    // Taken: re-arm after the periods missed meanwhile
                    // (Linux: posixtimer_deliver_signal() → timer_rearm).
                    None => self.rearm_timer(signal, id, now),
                }
                continue;
            }
            if now < e {
                continue;
            }
            let info = timer_siginfo(signo, id, 0, value);
            fire.push(match thread {
                Some(tid) => Fire::Thread(tid, info),
                None => Fire::Process(tgid, info),
            });
            let p = self.timers_mut(signal).posix.get_mut(&id).expect("timer");
            p.queued_overrun = 0;
            if t.interval != 0 {
                p.requeue = true;
            } else {
                p.expires = None;
            }
        }
        real_periodic_fired
    }

    /// The si_overrun slot of timer `id`'s signal while it is still
    /// pending, for the process or its target thread.
    fn queued_overrun(&mut self, signal: SignalId, id: i32, signo: u32, thread: Option<Pid>) -> Option<&mut u32> {
        let (pending, infos) = match thread {
            Some(tid) => {
                let t = self.tasks.get_mut(&tid)?;
                (t.sigpending, &mut t.pending_info)
            }
            None => {
                let s = self.signals.get_mut(signal);
                (s.shared_pending, &mut s.shared_info)
            }
        };
        if pending & sigbit(signo) == 0 {
            return None;
        }
        infos.find_mut(signo, |i| timer_id_of(i) == Some(id)).map(|i| &mut i.uid)
    }

    /// Take timer `id`'s signal back off the pending sets, if it is still
    /// there: Linux drops the signal of a timer deleted or re-armed
    /// before the signal was delivered.
    fn unqueue_timer_signal(&mut self, signal: SignalId, id: i32) {
        let Some(t) = self.signals.get(signal).timers.posix.get(&id).copied() else { return };
        let Notify::Signal { signo, thread, .. } = t.notify else { return };
        let bit = sigbit(signo);
        let (bits, queue) = match thread {
            Some(tid) => {
                let Some(task) = self.tasks.get_mut(&tid) else { return };
                (&mut task.sigpending, &mut task.pending_info)
            }
            None => {
                let s = self.signals.get_mut(signal);
                (&mut s.shared_pending, &mut s.shared_info)
            }
        };
        let Some(gone) = queue.remove_first(signo, |i| timer_id_of(i) == Some(id)) else { return };
        if !queue.has(signo) {
            *bits &= !bit;
        }
        if let Some(uid) = gone.charged {
            self.ucounts.uncharge_sigpending(uid);
        }
    }

    /// Settle a periodic POSIX timer whose signal has been taken since
    /// the last tick, so that timer_getoverrun/gettime see it re-armed.
    fn settle_timer(&mut self, signal: SignalId, id: i32) {
        let t = self.signals.get(signal).timers.posix[&id];
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
    }

    // ---- alarm and the interval timers ------------------------------------

    /// Linux: itimer_get_remtime(): the time to an armed ITIMER_REAL's
    /// expiry, at least 1 µs while it is armed; 0 when it is not (a
    /// periodic timer waiting for its SIGALRM to be taken is not).
    fn real_remaining(&self, signal: SignalId) -> u64 {
        let r = self.signals.get(signal).timers.real;
        match r.expires {
            Some(e) if !r.requeue => e.saturating_sub(self.now_ns()).max(1000),
            _ => 0,
        }
    }

    /// Linux: get_cpu_itimer().
    fn cpu_itimer(&self, signal: SignalId, which: u32) -> ItimerVal {
        let tm = &self.signals.get(signal).timers;
        let (it, now) = if which == ITIMER_VIRTUAL { (tm.virt, tm.cpu_user_ns) } else { (tm.prof, tm.cpu_total_ns) };
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
            ITIMER_REAL => Ok(ItimerVal { value: self.real_remaining(signal), interval: self.signals.get(signal).timers.real.interval }),
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
        let tm = self.timers_mut(signal);
        tm.tgid = tgid;
        match which {
            ITIMER_REAL => {
                tm.real = if new.value != 0 {
                    RealTimer { expires: Some(now.saturating_add(new.value)), interval: new.interval, requeue: false }
                } else {
                    RealTimer::default()
                };
                Ok(old)
            }
            _ => {
                // Linux: set_cpu_itimer(): the old value is reported as
                // the time left (a tick if about to fire), the new one
                // gets a tick added, and the interval is kept even when
                // the timer is switched off.
                let (it, clock) = if which == ITIMER_VIRTUAL { (&mut tm.virt, tm.cpu_user_ns) } else { (&mut tm.prof, tm.cpu_total_ns) };
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
        let old = self.setitimer(ITIMER_REAL, ItimerVal { value: seconds as u64 * 1_000_000_000, interval: 0 }).expect("ITIMER_REAL");
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
                    match self.tasks.get(&(thread_id as u32)) {
                        Some(t) if thread_id > 0 && t.tgid == tgid && !matches!(t.state, TaskState::Dead) => Some(t.tid),
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
        tm.posix.insert(id, PosixTimer { clockid, clock, notify, expires: None, interval: 0, requeue: false, overrun_last: 0, queued_overrun: 0 });
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
        let mono = self.now_ns();
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
            t.expires = Some(match clock {
                TimerClock::Realtime | TimerClock::Monotonic if abs => new.value,
                // clock_gettime() reports the CPU clocks as the time since
                // boot (see `syscall::info`): an absolute CPU time is taken
                // relative to that, so both agree on how far away it is.
                TimerClock::ProcessCpu | TimerClock::ThreadCpu(_) if abs => now.saturating_add(new.value.saturating_sub(mono)),
                _ => now.saturating_add(new.value),
            });
        }
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
        self.timers_mut(signal).posix.remove(&id);
        Ok(())
    }

    /// execve: the POSIX timers and their queued signals go; alarm and
    /// the interval timers stay (Linux: begin_new_exec() → exit_itimers()).
    pub fn exec_timers(&mut self, pid: Pid) {
        let signal = self.tasks[&pid].signal;
        let ids: Vec<i32> = self.signals.get(signal).timers.posix.keys().copied().collect();
        for id in ids {
            self.unqueue_timer_signal(signal, id);
        }
        self.timers_mut(signal).posix.clear();
    }

    /// The process's last thread is exiting: every timer stops (Linux:
    /// do_exit() → hrtimer_cancel(&sig->real_timer), exit_itimers()).
    pub fn exit_timers(&mut self, signal: SignalId) {
        let tm = self.timers_mut(signal);
        tm.real = RealTimer::default();
        tm.virt = CpuTimer::default();
        tm.prof = CpuTimer::default();
        tm.posix.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::*;

    const MS: u64 = 1_000_000;

    fn tick(k: &mut Kernel, hw: &TestMachine, n: u64) {
        for _ in 0..n {
            hw.clock.advance(MS);
            k.timer_tick(true);
        }
    }

    fn pending(k: &Kernel, pid: Pid) -> u64 {
        let t = &k.tasks[&pid];
        t.sigpending | k.signals.get(t.signal).shared_pending
    }

    fn block(k: &mut Kernel, pid: Pid, sigs: u64) {
        k.tasks.get_mut(&pid).unwrap().sigmask |= sigs;
    }

    #[test]
    fn alarm_rounds_and_fires_once() {
        let (mut k, hw) = boot(4096);
        block(&mut k, 1, sigbit(SIGALRM));
        assert_eq!(syscall(&mut k, 1, 37, &[5]), 0);
        tick(&mut k, &hw, 1400);
        // 3.6 s left: rounded to 4.
        assert_eq!(syscall(&mut k, 1, 37, &[2]), 4);
        tick(&mut k, &hw, 1999);
        assert_eq!(pending(&k, 1) & sigbit(SIGALRM), 0);
        tick(&mut k, &hw, 1);
        assert_ne!(pending(&k, 1) & sigbit(SIGALRM), 0);
        // Fired: nothing left.
        assert_eq!(syscall(&mut k, 1, 37, &[0]), 0);
        // A pending alarm never reports 0.
        syscall(&mut k, 1, 37, &[1]);
        tick(&mut k, &hw, 999);
        hw.clock.advance(MS / 2);
        assert_eq!(syscall(&mut k, 1, 37, &[0]), 1);
    }

    #[test]
    fn fork_drops_timers_exec_keeps_the_alarm() {
        let (mut k, hw) = boot(4096);
        block(&mut k, 1, sigbit(SIGALRM));
        syscall(&mut k, 1, 37, &[10]);
        let s = scratch(&mut k, 1);
        assert_eq!(syscall(&mut k, 1, 222, &[CLOCK_MONOTONIC, 0, s]), 0);
        let child = fork(&mut k, 1);
        assert_eq!(syscall(&mut k, child, 37, &[0]), 0);
        assert_eq!(syscall(&mut k, child, 226, &[0]), err(EINVAL));
        tick(&mut k, &hw, 10);
        assert_eq!(execve(&mut k, 1, INIT_PATH, &[INIT_PATH], &[]), 0);
        assert_eq!(syscall(&mut k, 1, 226, &[0]), err(EINVAL), "exec deletes POSIX timers");
        assert_eq!(syscall(&mut k, 1, 37, &[0]), 10, "exec keeps the alarm");
    }

    #[test]
    fn periodic_itimer_rearms_when_sigalrm_is_taken() {
        let (mut k, hw) = boot(4096);
        block(&mut k, 1, sigbit(SIGALRM));
        let s = scratch(&mut k, 1);
        // it_interval 10 ms, it_value 5 ms.
        let mut b = [0u8; 32];
        b[8..16].copy_from_slice(&10_000u64.to_le_bytes());
        b[24..32].copy_from_slice(&5_000u64.to_le_bytes());
        write_user(&mut k, 1, s, &b).unwrap();
        assert_eq!(syscall(&mut k, 1, 38, &[0, s, 0]), 0);
        tick(&mut k, &hw, 5);
        assert_ne!(pending(&k, 1) & sigbit(SIGALRM), 0);
        tick(&mut k, &hw, 50);
        // Waiting for its signal: not armed.
        assert_eq!(syscall(&mut k, 1, 36, &[0, s + 64]), 0);
        let v = read_user(&mut k, 1, s + 64, 32).unwrap();
        assert_eq!(&v[16..32], &[0u8; 16]);
        // Take it: re-armed at the next period.
        let t = k.tasks.get_mut(&1).unwrap();
        let sig = t.signal;
        k.signals.get_mut(sig).shared_pending = 0;
        tick(&mut k, &hw, 1);
        assert!(k.signals.get(sig).timers.real.expires.is_some());
        tick(&mut k, &hw, 10);
        assert_ne!(pending(&k, 1) & sigbit(SIGALRM), 0);
    }

    #[test]
    fn posix_timer_signal_carries_id_and_overrun() {
        let (mut k, hw) = boot(4096);
        block(&mut k, 1, sigbit(SIGUSR1));
        let s = scratch(&mut k, 1);
        // sigevent: value 77, SIGUSR1, SIGEV_SIGNAL.
        let mut ev = [0u8; 64];
        ev[0..8].copy_from_slice(&77u64.to_le_bytes());
        ev[8..12].copy_from_slice(&(SIGUSR1 as i32).to_le_bytes());
        write_user(&mut k, 1, s, &ev).unwrap();
        assert_eq!(syscall(&mut k, 1, 222, &[CLOCK_MONOTONIC, s, s + 64]), 0);
        assert_eq!(read_u32(&mut k, 1, s + 64).unwrap(), 0);
        // Periodic 2 ms, first in 3 ms.
        let spec = |k: &mut Kernel, iv: u64, v: u64| {
            let mut b = [0u8; 32];
            b[8..16].copy_from_slice(&iv.to_le_bytes());
            b[24..32].copy_from_slice(&v.to_le_bytes());
            write_user(k, 1, s + 128, &b).unwrap();
        };
        spec(&mut k, 2 * MS, 3 * MS);
        assert_eq!(syscall(&mut k, 1, 223, &[0, 0, s + 128, 0]), 0);
        tick(&mut k, &hw, 3);
        let sig = k.tasks[&1].signal;
        let info = k.signals.get(sig).shared_info.first(SIGUSR1).copied().unwrap();
        assert_eq!((info.code, info.pid, info.status), (SI_TIMER, 0, 77));
        tick(&mut k, &hw, 7);
        assert_eq!(k.signals.get(sig).shared_info.first(SIGUSR1).copied().unwrap().uid, 3, "three periods missed while pending");
        assert_eq!(syscall(&mut k, 1, 225, &[0]), 0);
        k.signals.get_mut(sig).shared_pending = 0;
        assert_eq!(syscall(&mut k, 1, 225, &[0]), 3);
        // timer_gettime: time to the next period.
        assert_eq!(syscall(&mut k, 1, 224, &[0, s + 192]), 0);
        let v = read_user(&mut k, 1, s + 192, 32).unwrap();
        assert_eq!(u64::from_le_bytes(v[8..16].try_into().unwrap()), 2 * MS);
        assert_eq!(u64::from_le_bytes(v[24..32].try_into().unwrap()), MS);
        assert_eq!(syscall(&mut k, 1, 226, &[0]), 0);
        assert_eq!(syscall(&mut k, 1, 225, &[0]), err(EINVAL));
        // Bad sigevent: EINVAL, and the id is used up.
        ev[12..16].copy_from_slice(&9i32.to_le_bytes());
        write_user(&mut k, 1, s, &ev).unwrap();
        assert_eq!(syscall(&mut k, 1, 222, &[CLOCK_MONOTONIC, s, s + 64]), err(EINVAL));
        assert_eq!(syscall(&mut k, 1, 222, &[CLOCK_MONOTONIC, 0, s + 64]), 0);
        assert_eq!(read_u32(&mut k, 1, s + 64).unwrap(), 2);
        assert_eq!(syscall(&mut k, 1, 222, &[CLOCK_MONOTONIC_RAW, 0, s + 64]), err(EOPNOTSUPP));
        assert_eq!(syscall(&mut k, 1, 222, &[99, 0, s + 64]), err(EINVAL));
    }

    #[test]
    fn rlimit_cpu_sends_sigxcpu_then_sigkill() {
        let (mut k, hw) = boot(4096);
        // Init ignores a SIGKILL it is sent (SIGNAL_UNKILLABLE); test the
        // limit on an ordinary process.
        let sig = k.tasks[&1].signal;
        k.signals.get_mut(sig).unkillable = false;
        block(&mut k, 1, sigbit(SIGXCPU));
        assert_eq!(set_rlimit(&mut k, 1, 0, 1, 2), 0);
        tick(&mut k, &hw, 999);
        assert_eq!(pending(&k, 1) & sigbit(SIGXCPU), 0);
        tick(&mut k, &hw, 1);
        assert_ne!(pending(&k, 1) & sigbit(SIGXCPU), 0);
        // The soft limit moves on a second (Linux does so too).
        let sig = k.tasks[&1].signal;
        assert_eq!(k.signals.get(sig).rlimits[0].cur, 2);
        tick(&mut k, &hw, 1000);
        assert_ne!(pending(&k, 1) & sigbit(SIGKILL), 0);
    }

    #[test]
    fn virtual_timer_counts_user_time_only() {
        let (mut k, hw) = boot(4096);
        block(&mut k, 1, sigbit(SIGVTALRM) | sigbit(SIGPROF));
        let s = scratch(&mut k, 1);
        let mut b = [0u8; 32];
        b[24..32].copy_from_slice(&10_000u64.to_le_bytes());
        write_user(&mut k, 1, s, &b).unwrap();
        assert_eq!(syscall(&mut k, 1, 38, &[ITIMER_VIRTUAL as u64, s, 0]), 0);
        assert_eq!(syscall(&mut k, 1, 38, &[ITIMER_PROF as u64, s, 0]), 0);
        for _ in 0..20 {
            hw.clock.advance(MS);
            k.timer_tick(false);
        }
        assert_eq!(pending(&k, 1) & sigbit(SIGVTALRM), 0);
        assert_ne!(pending(&k, 1) & sigbit(SIGPROF), 0);
        tick(&mut k, &hw, 11);
        assert_ne!(pending(&k, 1) & sigbit(SIGVTALRM), 0);
    }
}
