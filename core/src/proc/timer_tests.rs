//! Host tests of the interval and POSIX timers (`proc::timer`).

use super::*;
use crate::testkit::*;
use zerocopy::{FromBytes, IntoBytes};

const MS: u64 = 1_000_000;

/// `n` ms of the current task running in user mode, with the timer
/// interrupt after each (as the kernel accounts them: exit to user,
/// entry from user).
fn tick(k: &mut Kernel, hw: &TestMachine, n: u64) {
    for _ in 0..n {
        k.account_exit();
        hw.clock.advance(MS);
        k.account_enter();
        k.timer_tick();
    }
}

fn pending(k: &Kernel, pid: Pid) -> SigSet {
    let t = &k.proc.tasks[&pid];
    t.sigpending | k.sig.signals().get(t.signal).shared_pending
}

fn block(k: &mut Kernel, pid: Pid, sigs: SigSet) {
    k.proc.tasks.get_mut(&pid).unwrap().sigmask |= sigs;
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
    assert!(!pending(&k, 1).has(SIGALRM));
    tick(&mut k, &hw, 1);
    assert!(pending(&k, 1).has(SIGALRM));
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
    let tv = |usec| Timeval { tv_sec: 0, tv_usec: usec };
    write_user(&mut k, 1, s, Itimerval { it_interval: tv(10_000), it_value: tv(5_000) }.as_bytes()).unwrap();
    assert_eq!(syscall(&mut k, 1, 38, &[0, s, 0]), 0);
    tick(&mut k, &hw, 5);
    assert!(pending(&k, 1).has(SIGALRM));
    tick(&mut k, &hw, 50);
    // Waiting for its signal: not armed.
    assert_eq!(syscall(&mut k, 1, 36, &[0, s + 64]), 0);
    let v = Itimerval::read_from_bytes(&read_user(&mut k, 1, s + 64, 32).unwrap()).unwrap();
    assert_eq!(v.it_value, Timeval::default());
    // Take it: re-armed at the next period.
    let sig = k.proc.tasks[&1].signal;
    assert_eq!(k.dequeue_from(sigbit(SIGALRM)).map(|i| i.signo), Some(SIGALRM));
    tick(&mut k, &hw, 1);
    assert!(k.sig.signals().get(sig).timers.real.expires.is_some());
    tick(&mut k, &hw, 10);
    assert!(pending(&k, 1).has(SIGALRM));
}

#[test]
fn posix_timer_signal_carries_id_and_overrun() {
    let (mut k, hw) = boot(4096);
    block(&mut k, 1, sigbit(SIGUSR1));
    let s = scratch(&mut k, 1);
    // sigevent: value 77, SIGUSR1, SIGEV_SIGNAL.
    let mut ev = Sigevent { sigev_value: 77, sigev_signo: SIGUSR1 as i32, ..Default::default() };
    write_user(&mut k, 1, s, ev.as_bytes()).unwrap();
    assert_eq!(syscall(&mut k, 1, 222, &[CLOCK_MONOTONIC, s, s + 64]), 0);
    assert_eq!(read_u32(&mut k, 1, s + 64).unwrap(), 0);
    // Periodic 2 ms, first in 3 ms.
    let spec = |k: &mut Kernel, iv: u64, v: u64| {
        let ts = |ns: u64| Timespec { tv_sec: 0, tv_nsec: ns as i64 };
        write_user(k, 1, s + 128, Itimerspec { it_interval: ts(iv), it_value: ts(v) }.as_bytes()).unwrap();
    };
    spec(&mut k, 2 * MS, 3 * MS);
    assert_eq!(syscall(&mut k, 1, 223, &[0, 0, s + 128, 0]), 0);
    tick(&mut k, &hw, 3);
    let sig = k.proc.tasks[&1].signal;
    let info = k.sig.signals().get(sig).shared_info.first(SIGUSR1).copied().unwrap();
    assert_eq!((info.code, info.pid, info.status), (SI_TIMER, 0, 77));
    tick(&mut k, &hw, 7);
    assert_eq!(syscall(&mut k, 1, 225, &[0]), 0);
    // Taken: it carries the three periods missed while pending.
    let info = k.dequeue_from(sigbit(SIGUSR1)).unwrap();
    assert_eq!(info.uid, 3, "three periods missed while pending");
    assert_eq!(syscall(&mut k, 1, 225, &[0]), 3);
    // timer_gettime: time to the next period.
    assert_eq!(syscall(&mut k, 1, 224, &[0, s + 192]), 0);
    let v = Itimerspec::read_from_bytes(&read_user(&mut k, 1, s + 192, 32).unwrap()).unwrap();
    assert_eq!((v.it_interval.tv_nsec as u64, v.it_value.tv_nsec as u64), (2 * MS, MS));
    assert_eq!(syscall(&mut k, 1, 226, &[0]), 0);
    assert_eq!(syscall(&mut k, 1, 225, &[0]), err(EINVAL));
    // Bad sigevent: EINVAL, and the id is used up.
    ev.sigev_notify = 9;
    write_user(&mut k, 1, s, ev.as_bytes()).unwrap();
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
    let sig = k.proc.tasks[&1].signal;
    k.sig.signals_mut().get_mut(sig).unkillable = false;
    block(&mut k, 1, sigbit(SIGXCPU));
    assert_eq!(set_rlimit(&mut k, 1, 0, 1, 2), 0);
    tick(&mut k, &hw, 999);
    assert!(!pending(&k, 1).has(SIGXCPU));
    // Checked at the next scheduler tick after the second is used.
    tick(&mut k, &hw, TICK_NS / MS);
    assert!(pending(&k, 1).has(SIGXCPU));
    // The soft limit moves on a second (Linux does so too).
    let sig = k.proc.tasks[&1].signal;
    assert_eq!(k.sig.signals().get(sig).rlimits[0].cur, 2);
    tick(&mut k, &hw, 1000);
    assert!(pending(&k, 1).has(SIGKILL));
}

#[test]
fn virtual_timer_counts_user_time_only() {
    let (mut k, hw) = boot(4096);
    block(&mut k, 1, sigbit(SIGVTALRM) | sigbit(SIGPROF));
    let s = scratch(&mut k, 1);
    let value = Timeval { tv_sec: 0, tv_usec: 10_000 };
    write_user(&mut k, 1, s, Itimerval { it_value: value, ..Default::default() }.as_bytes()).unwrap();
    assert_eq!(syscall(&mut k, 1, 38, &[ITIMER_VIRTUAL as u64, s, 0]), 0);
    assert_eq!(syscall(&mut k, 1, 38, &[ITIMER_PROF as u64, s, 0]), 0);
    // 20 ms in the kernel: system time only.
    k.account_enter();
    for _ in 0..20 {
        hw.clock.advance(MS);
        k.timer_tick();
    }
    assert!(!pending(&k, 1).has(SIGVTALRM));
    assert!(pending(&k, 1).has(SIGPROF));
    tick(&mut k, &hw, 11);
    assert!(!pending(&k, 1).has(SIGVTALRM), "10 ms and a tick of user time not used yet");
    tick(&mut k, &hw, 2 * TICK_NS / MS);
    assert!(pending(&k, 1).has(SIGVTALRM));
    let sig = k.proc.tasks[&1].signal;
    assert!(k.process_cputime(sig).0 >= 10 * MS + TICK_NS, "never early");
}

#[test]
fn cpu_time_is_accounted_at_entry_and_exit() {
    let (mut k, hw) = boot(4096);
    syscall(&mut k, 1, 39, &[]);
    let sig = k.proc.tasks[&1].signal;
    let (u0, s0) = k.process_cputime(sig);
    // 3 ms in user mode, 2 ms in the kernel, 5 ms switched out.
    k.account_exit();
    hw.clock.advance(3 * MS);
    k.account_enter();
    hw.clock.advance(2 * MS);
    k.account_flush();
    let cur = k.sched.current();
    k.sched.set_current(None);
    hw.clock.advance(5 * MS);
    k.account_flush();
    k.sched.set_current(cur);
    let (u, s) = k.process_cputime(sig);
    assert_eq!((u - u0, s - s0), (3 * MS, 2 * MS));
    assert_eq!(k.thread_cputime(1), (k.proc.tasks[&1].utime_ns, k.proc.tasks[&1].stime_ns));
    // The stretch in progress counts for the running thread.
    hw.clock.advance(MS);
    assert_eq!(k.thread_cputime(1).1, k.proc.tasks[&1].stime_ns + MS);
    // CLOCK_PROCESS_CPUTIME_ID reads the same.
    let buf = scratch(&mut k, 1);
    assert_eq!(syscall(&mut k, 1, 228, &[CLOCK_PROCESS_CPUTIME_ID, buf]), 0);
    let ts = Timespec::read_from_bytes(&read_user(&mut k, 1, buf, 16).unwrap()).unwrap();
    let ns = ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64;
    let (u, s) = k.process_cputime(sig);
    assert!(ns <= u + s && ns >= u - u0 + s - s0);
}

#[test]
fn cpu_clock_ids_decode_as_linux() {
    let (mut k, _hw) = boot(4096);
    let buf = scratch(&mut k, 1);
    let clk = |pid: i64, which: i64| ((!pid) << 3 | which) as u64;
    // Own process (pid 0 and our pid), own thread: SCHED 1 ns, PROF/VIRT a tick.
    for (c, res) in
        [(clk(0, 2), 1), (clk(1, 2), 1), (clk(0, 6), 1), (clk(1, 6), 1), (clk(0, 0), TICK_NS), (clk(0, 5), TICK_NS)]
    {
        assert_eq!(syscall(&mut k, 1, 229, &[c, buf]), 0, "clock {c:#x}");
        let ts = Timespec::read_from_bytes(&read_user(&mut k, 1, buf, 16).unwrap()).unwrap();
        assert_eq!(ts.tv_nsec as u64, res);
    }
    // Which 3, no such process, a thread of another process: EINVAL.
    assert_eq!(syscall(&mut k, 1, 229, &[clk(0, 3), buf]), err(EINVAL));
    assert_eq!(syscall(&mut k, 1, 229, &[clk(999, 2), buf]), err(EINVAL));
    let child = fork(&mut k, 1);
    assert_eq!(syscall(&mut k, 1, 229, &[clk(child as i64, 2), buf]), 0);
    assert_eq!(syscall(&mut k, 1, 229, &[clk(child as i64, 6), buf]), err(EINVAL));
    assert_eq!(syscall(&mut k, 1, 229, &[5, buf]), 0);
    let ts = Timespec::read_from_bytes(&read_user(&mut k, 1, buf, 16).unwrap()).unwrap();
    assert_eq!(ts.tv_nsec as u64, TICK_NS);
    assert_eq!(syscall(&mut k, 1, 229, &[8, buf]), err(EINVAL));
}

#[test]
fn sleeper_wakes_from_the_deadline_queue() {
    let (mut k, hw) = boot(4096);
    let buf = scratch(&mut k, 1);
    // nanosleep 1.5 ms.
    write_user(&mut k, 1, buf, Timespec::from_ns(1_500_000).as_bytes()).unwrap();
    assert_eq!(try_syscall(&mut k, 1, 35, &[buf, 0]), Err(Blocked));
    assert_eq!(k.time.hrtimers().len(), 1);
    hw.clock.advance(1_499_999);
    k.timer_tick();
    assert!(matches!(k.proc.tasks[&1].state, TaskState::Blocked(_)));
    // The interrupt is asked for at the deadline, not at a tick.
    assert_eq!(k.time.programmed(), k.time.hrtimers().first().unwrap());
    hw.clock.advance(1);
    k.timer_tick();
    assert_eq!(k.proc.tasks[&1].state, TaskState::Runnable);
    assert!(k.time.hrtimers().is_empty());
    assert_eq!(resume(&mut k, 1), Ok(0));
}
