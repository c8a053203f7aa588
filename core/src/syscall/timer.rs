//! Timer calls: alarm, getitimer/setitimer and the POSIX timers
//! (Linux: kernel/time/itimer.c, posix-timers.c). The timers themselves
//! live in `proc::timer`; these handlers move `struct itimerval`,
//! `struct itimerspec` and `struct sigevent` in and out of user memory,
//! with Linux's checks in Linux's order.

use crate::abi::*;
use crate::kernel::Kernel;
use crate::proc::timer::ItimerVal;

const NSEC_PER_SEC: u64 = 1_000_000_000;
/// Linux: KTIME_MAX, where times saturate.
const KTIME_MAX: u64 = i64::MAX as u64;

fn to_ns(sec: i64, sub_ns: u64) -> u64 {
    (sec as u64).checked_mul(NSEC_PER_SEC).and_then(|n| n.checked_add(sub_ns)).map_or(KTIME_MAX, |n| n.min(KTIME_MAX))
}

/// `struct itimerval` {it_interval, it_value} of timevals; EINVAL for a
/// negative second or a microsecond count out of range (Linux:
/// get_itimerval() with timeval_valid()).
fn read_itimerval(k: &mut Kernel, addr: u64) -> SysResult<ItimerVal> {
    let v: Itimerval = k.read_val(addr)?;
    let tv = |t: Timeval| if t.is_valid() { Ok(to_ns(t.tv_sec, t.tv_usec as u64 * 1000)) } else { Err(EINVAL) };
    let interval = tv(v.it_interval);
    let value = tv(v.it_value);
    Ok(ItimerVal { value: value?, interval: interval? })
}

fn to_itimerval(v: ItimerVal) -> Itimerval {
    Itimerval { it_interval: Timeval::from_ns(v.interval), it_value: Timeval::from_ns(v.value) }
}

fn to_itimerspec(v: ItimerVal) -> Itimerspec {
    Itimerspec { it_interval: Timespec::from_ns(v.interval), it_value: Timespec::from_ns(v.value) }
}

/// alarm(2).
pub fn alarm(k: &mut Kernel, seconds: u32) -> SysResult {
    Ok(k.alarm(seconds) as usize)
}

/// getitimer(2): EINVAL for an unknown timer before EFAULT.
pub fn getitimer(k: &mut Kernel, which: i32, value: u64) -> SysResult {
    let v = k.getitimer(which as u32)?;
    k.write_val(value, &to_itimerval(v))?;
    Ok(0)
}

/// setitimer(2). A NULL new value disarms, as Linux still allows (with a
/// warning); the old value is written after the change.
pub fn setitimer(k: &mut Kernel, which: i32, value: u64, ovalue: u64) -> SysResult {
    let new = if value != 0 { read_itimerval(k, value)? } else { ItimerVal::default() };
    let old = k.setitimer(which as u32, new)?;
    if ovalue != 0 {
        k.write_val(ovalue, &to_itimerval(old))?;
    }
    Ok(0)
}

/// timer_create(2). `struct sigevent`: sigev_value (8 bytes), sigev_signo,
/// sigev_notify, then the thread id for SIGEV_THREAD_ID.
pub fn timer_create(k: &mut Kernel, clockid: i32, sevp: u64, timerid: u64) -> SysResult {
    let event = if sevp != 0 {
        let e: Sigevent = k.read_val(sevp)?;
        Some((e.sigev_notify, e.sigev_signo, e.sigev_value, e.sigev_tid))
    } else {
        None
    };
    // CPUCLOCK ids (clock_getcpuclockid, pthread_getcpuclockid) of the
    // caller's own process or threads: timers on the process's CPU time
    // or a thread's (Linux: posix_cpu_timer_create()). Those of other
    // processes and the VIRT ids are not supported; dynamic clocks
    // (fd-based) do not exist here.
    let clockid = if clockid < 0 { cpu_timer_clock(k, clockid)? } else { clockid as u64 };
    let id = k.timer_create(clockid, event)?;
    if let Err(e) = k.write_val(timerid, &id) {
        let _ = k.timer_delete(id);
        return Err(e);
    }
    Ok(0)
}

/// A CPUCLOCK id as the CLOCK_*_CPUTIME_ID timer_create understands,
/// or EINVAL.
fn cpu_timer_clock(k: &mut Kernel, clockid: i32) -> SysResult<u64> {
    let (which, thread, pid) = (clockid & 3, clockid & 4 != 0, !(clockid >> 3));
    // SCHED and PROF count user and system time, as Tine's CPU timers
    // do; VIRT (user time only) has no timer here.
    if which != 0 && which != 2 {
        return Err(EINVAL);
    }
    let me = k.cur();
    if thread {
        if pid == 0 || pid as u32 == me.tid {
            return Ok(CLOCK_THREAD_CPUTIME_ID);
        }
        return Err(EINVAL);
    }
    if pid == 0 || pid as u32 == me.tgid {
        Ok(CLOCK_PROCESS_CPUTIME_ID)
    } else {
        Err(EINVAL)
    }
}

/// timer_settime(2): EINVAL for a NULL or invalid setting (before the
/// timer id is looked at), EFAULT, then EINVAL for an unknown timer.
pub fn timer_settime(k: &mut Kernel, id: i32, flags: i32, new: u64, old: u64) -> SysResult {
    if new == 0 {
        return Err(EINVAL);
    }
    // Linux: get_itimerspec64(), then the caller's itimerspec64_valid().
    let spec: Itimerspec = k.read_val(new)?;
    let (i, v) = (spec.it_interval, spec.it_value);
    if !i.is_valid() || !v.is_valid() {
        return Err(EINVAL);
    }
    let setting = ItimerVal { interval: to_ns(i.tv_sec, i.tv_nsec as u64), value: to_ns(v.tv_sec, v.tv_nsec as u64) };
    let prev = k.timer_settime(id, flags as u32, setting)?;
    if old != 0 {
        k.write_val(old, &to_itimerspec(prev))?;
    }
    Ok(0)
}

/// timer_gettime(2).
pub fn timer_gettime(k: &mut Kernel, id: i32, setting: u64) -> SysResult {
    let v = k.timer_gettime(id)?;
    k.write_val(setting, &to_itimerspec(v))?;
    Ok(0)
}

/// timer_getoverrun(2).
pub fn timer_getoverrun(k: &mut Kernel, id: i32) -> SysResult {
    Ok(k.timer_getoverrun(id)? as usize)
}

/// timer_delete(2).
pub fn timer_delete(k: &mut Kernel, id: i32) -> SysResult {
    k.timer_delete(id)?;
    Ok(0)
}
