//! System information, identity and time: uname, clocks, limits, random.

use crate::abi::*;
use crate::kernel::Kernel;
use crate::proc::Rlimit;

/// Linux: newuname(). Tine presents itself as Linux, as programs expect;
/// the host and domain names are the caller's UTS namespace's.
pub fn uname(k: &mut Kernel, buf: u64) -> SysResult {
    let uts = k.ns.uts(k.cur().nsproxy);
    let fields: [&[u8]; 6] = [b"Linux", uts.nodename(), b"6.1.0-tine", b"#1 SMP Tine", b"x86_64", uts.domainname()];
    let mut out = [0u8; UTSNAME_FIELD * 6];
    for (i, f) in fields.iter().enumerate() {
        out[i * UTSNAME_FIELD..i * UTSNAME_FIELD + f.len()].copy_from_slice(f);
    }
    k.copy_out(buf, &out)?;
    Ok(0)
}

/// Linux: CPUCLOCK_* in a CPU-time clock id: bits 0-1 which clock, bit
/// 2 a thread's rather than a process's, the rest ~pid << 3
/// (MAKE_PROCESS_CPUCLOCK(), MAKE_THREAD_CPUCLOCK()); which is PROF (0),
/// VIRT (1) or SCHED (2).
const CPUCLOCK_VIRT: u64 = 1;
const CPUCLOCK_SCHED: u64 = 2;
const CPUCLOCK_PERTHREAD: u64 = 4;
const CLOCK_TAI: u64 = 11;

/// A CPU-time clock: whose (a thread or a process) and which.
enum CpuClock {
    Thread(crate::proc::Pid, u64),
    Process(crate::proc::SignalId, u64),
}

/// Decode a CPU-time clock id, CLOCK_PROCESS_CPUTIME_ID and
/// CLOCK_THREAD_CPUTIME_ID included; EINVAL for a bad one or one whose
/// task does not exist (Linux: pid_for_clock(): a thread clock only for
/// a thread of the caller's process; a process clock for a process, or
/// for the caller's own TID when reading it).
fn cpu_clock(k: &Kernel, clock: u64, gettime: bool) -> SysResult<CpuClock> {
    let me = k.cur();
    match clock {
        CLOCK_PROCESS_CPUTIME_ID => return Ok(CpuClock::Process(me.signal, CPUCLOCK_SCHED)),
        CLOCK_THREAD_CPUTIME_ID => return Ok(CpuClock::Thread(me.tid, CPUCLOCK_SCHED)),
        _ => {}
    }
    let id = clock as i32;
    let which = (id & 3) as u64;
    if id >= 0 || which == 3 {
        return Err(EINVAL);
    }
    let thread = id as u64 & CPUCLOCK_PERTHREAD != 0;
    let pid = !(id >> 3);
    let alive = |t: &crate::proc::Task| !matches!(t.state, crate::proc::TaskState::Dead);
    if pid == 0 {
        return Ok(if thread { CpuClock::Thread(me.tid, which) } else { CpuClock::Process(me.signal, which) });
    }
    let t = k.proc.tasks().get(&k.find_vpid(pid as u32)).filter(|t| alive(t)).ok_or(EINVAL)?;
    if thread {
        return if t.tgid == me.tgid { Ok(CpuClock::Thread(t.tid, which)) } else { Err(EINVAL) };
    }
    if t.tid == t.tgid || (gettime && t.tid == me.tid) {
        Ok(CpuClock::Process(t.signal, which))
    } else {
        Err(EINVAL)
    }
}

/// A CPU clock's reading: user time for CPUCLOCK_VIRT, user and system
/// for PROF and SCHED (Linux: cpu_clock_sample(); Tine has no separate
/// scheduler runtime, its accounting is exact).
fn cpu_clock_ns(k: &Kernel, c: CpuClock) -> u64 {
    let ((u, s), which) = match c {
        CpuClock::Thread(tid, which) => (k.thread_cputime(tid), which),
        CpuClock::Process(sig, which) => (k.process_cputime(sig), which),
    };
    if which == CPUCLOCK_VIRT {
        u
    } else {
        u + s
    }
}

fn clock_ns(k: &Kernel, clock: u64) -> SysResult<u64> {
    let mono = k.now_ns();
    match clock {
        // TAI: the wall clock plus a TAI offset, 0 until adjtimex sets one.
        CLOCK_REALTIME | CLOCK_REALTIME_COARSE | CLOCK_TAI => Ok(k.m.clock.boot_epoch_ns() + mono),
        CLOCK_MONOTONIC | CLOCK_MONOTONIC_RAW | CLOCK_BOOTTIME => Ok(mono),
        // The coarse clock is the time of the last tick (Linux:
        // ktime_get_coarse(), updated by the tick).
        CLOCK_MONOTONIC_COARSE => Ok(mono - (mono % crate::time::TICK_NS)),
        _ => Ok(cpu_clock_ns(k, cpu_clock(k, clock, true)?)),
    }
}

pub fn clock_gettime(k: &mut Kernel, clock: u64, tp: u64) -> SysResult {
    let ns = clock_ns(k, clock)?;
    k.write_val(tp, &Timespec::from_ns(ns))?;
    Ok(0)
}

/// clock_getres(2) as Linux reports it: 1 ns for the high-resolution
/// clocks (hrtimer_resolution) and the CPU clocks that count scheduler
/// runtime, a tick for the _COARSE clocks and the VIRT/PROF CPU clocks
/// (Linux: posix_get_hrtimer_res(), posix_get_coarse_res(),
/// posix_cpu_clock_getres()); EINVAL for an unknown clock, a clock of a
/// task that does not exist, and the alarm clocks (no RTC wake-up here).
pub fn clock_getres(k: &mut Kernel, clock: u64, tp: u64) -> SysResult {
    let tick = crate::time::TICK_NS;
    let res = match clock {
        CLOCK_REALTIME | CLOCK_MONOTONIC | CLOCK_MONOTONIC_RAW | CLOCK_BOOTTIME | CLOCK_TAI => 1,
        CLOCK_REALTIME_COARSE | CLOCK_MONOTONIC_COARSE => tick,
        _ => match cpu_clock(k, clock, false)? {
            CpuClock::Thread(_, CPUCLOCK_SCHED) | CpuClock::Process(_, CPUCLOCK_SCHED) => 1,
            _ => tick,
        },
    };
    if tp != 0 {
        k.write_val(tp, &Timespec::from_ns(res))?;
    }
    Ok(0)
}

pub fn gettimeofday(k: &mut Kernel, tv: u64, tz: u64) -> SysResult {
    let ns = clock_ns(k, CLOCK_REALTIME)?;
    if tv != 0 {
        k.write_val(tv, &Timeval::from_ns(ns))?;
    }
    if tz != 0 {
        k.copy_out(tz, &[0u8; 8])?;
    }
    Ok(0)
}

pub fn time(k: &mut Kernel, tloc: u64) -> SysResult {
    let secs = clock_ns(k, CLOCK_REALTIME)? / 1_000_000_000;
    if tloc != 0 {
        k.write_u64(tloc, secs)?;
    }
    Ok(secs as usize)
}

/// Linux: getrandom(). GRND_NONBLOCK (1), GRND_RANDOM (2), GRND_INSECURE (4).
pub fn getrandom(k: &mut Kernel, buf: u64, len: u64, flags: u32) -> SysResult {
    if flags & !7 != 0 || flags & 6 == 6 {
        return Err(EINVAL);
    }
    let len = len.min(33_554_431) as usize;
    let mut done = 0;
    while done < len {
        let chunk = (len - done).min(256);
        let mut b = [0u8; 256];
        for w in b[..chunk].chunks_mut(8) {
            let r = k.random_u64().to_le_bytes();
            w.copy_from_slice(&r[..w.len()]);
        }
        k.copy_out(buf + done as u64, &b[..chunk])?;
        done += chunk;
    }
    Ok(len)
}

/// Linux: sysctl_nr_open, the most RLIMIT_NOFILE's hard limit may be.
pub const NR_OPEN: u64 = 1024 * 1024;

/// Linux: prlimit64() (also getrlimit and setrlimit), in Linux's order:
/// the new limit is read (EFAULT), the target found (ESRCH) and checked
/// (EPERM), then do_prlimit() (EINVAL for an unknown resource or soft >
/// hard, EPERM for raising a hard limit without privilege or RLIMIT_NOFILE
/// past nr_open); the old limit is written last, after the change.
/// Limits belong to the process (its `signal_struct`), so every thread
/// sees a change, and fork copies them.
pub fn prlimit64(k: &mut Kernel, pid: i32, resource: u32, new: u64, old: u64) -> SysResult {
    let new_lim = if new != 0 {
        let r: Rlimit64 = k.read_val(new)?;
        Some(Rlimit { cur: r.rlim_cur, max: r.rlim_max })
    } else {
        None
    };
    let target = if pid == 0 { k.cur().tid } else { k.find_vpid(pid as u32) };
    let (signal, tcred) = match k.proc.tasks().get(&target) {
        Some(t) if pid >= 0 && !t.is_zombie() && t.state != crate::proc::TaskState::Dead => (t.signal, t.cred),
        _ => return Err(ESRCH),
    };
    let me = k.cur().cred;
    // Linux: check_prlimit_permission().
    if target != k.cur().tid && !me.capable(crate::proc::capability::CAP_SYS_RESOURCE) {
        let same = me.uid == tcred.euid
            && me.uid == tcred.suid
            && me.uid == tcred.uid
            && me.gid == tcred.egid
            && me.gid == tcred.sgid
            && me.gid == tcred.gid;
        if !same {
            return Err(EPERM);
        }
    }
    // Linux: do_prlimit().
    if resource as usize >= RLIM_NLIMITS {
        return Err(EINVAL);
    }
    let prev = k.sig.signals().get(signal).rlimits[resource as usize];
    if let Some(n) = new_lim {
        if n.cur > n.max {
            return Err(EINVAL);
        }
        if resource == RLIMIT_NOFILE && n.max > NR_OPEN {
            return Err(EPERM);
        }
        if n.max > prev.max && !me.capable(crate::proc::capability::CAP_SYS_RESOURCE) {
            return Err(EPERM);
        }
        k.sig.signals_mut().get_mut(signal).rlimits[resource as usize] = n;
    }
    if old != 0 {
        k.write_val(old, &Rlimit64 { rlim_cur: prev.cur, rlim_max: prev.max })?;
    }
    Ok(0)
}

/// getrlimit(2): EINVAL for an unknown resource, then EFAULT (a NULL
/// pointer included).
pub fn getrlimit(k: &mut Kernel, resource: u32, rlim: u64) -> SysResult {
    if resource as usize >= RLIM_NLIMITS {
        return Err(EINVAL);
    }
    if rlim == 0 {
        return Err(EFAULT);
    }
    prlimit64(k, 0, resource, 0, rlim)
}

/// setrlimit(2): the new limit is read first (EFAULT, a NULL pointer
/// included).
pub fn setrlimit(k: &mut Kernel, resource: u32, rlim: u64) -> SysResult {
    if rlim == 0 {
        return Err(EFAULT);
    }
    prlimit64(k, 0, resource, rlim, 0)
}
