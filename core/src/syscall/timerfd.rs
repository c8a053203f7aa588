//! timerfd_create, timerfd_settime and timerfd_gettime (Linux:
//! fs/timerfd.c); the timer itself is `fs::ops::timerfd`.

use crate::abi::*;
use crate::fs::file::FileKind;
use crate::fs::ops::timerfd::timer_of;
use crate::kernel::Kernel;

const TFD_TIMER_ABSTIME: u32 = 1;
const TFD_TIMER_CANCEL_ON_SET: u32 = 2;
const CLOCK_REALTIME_ALARM: u32 = 8;
const CLOCK_BOOTTIME_ALARM: u32 = 9;
/// Linux: CAP_WAKE_ALARM, which the alarm clocks need.
const CAP_WAKE_ALARM: u32 = 35;

/// timerfd_create(2): EINVAL for another clock or flag; the alarm clocks
/// need CAP_WAKE_ALARM (EPERM).
pub fn timerfd_create(k: &mut Kernel, clockid: u32, flags: u32) -> SysResult {
    let realtime = match clockid {
        c if c == CLOCK_REALTIME as u32 || c == CLOCK_REALTIME_ALARM => true,
        c if c == CLOCK_MONOTONIC as u32 || c == CLOCK_BOOTTIME as u32 || c == CLOCK_BOOTTIME_ALARM => false,
        _ => return Err(EINVAL),
    };
    if flags & !(O_CLOEXEC | O_NONBLOCK) != 0 {
        return Err(EINVAL);
    }
    if (clockid == CLOCK_REALTIME_ALARM || clockid == CLOCK_BOOTTIME_ALARM) && !k.cur_cred().capable(CAP_WAKE_ALARM) {
        return Err(EPERM);
    }
    let timer = k.vfs.timerfds_mut().create(clockid, realtime);
    let id = k.vfs.files_mut().open(FileKind::Timerfd { timer }, O_RDWR | (flags & O_NONBLOCK), None);
    k.install_fd(id, flags & O_CLOEXEC != 0, 0)
}

/// The timer behind `fd`: EBADF, or EINVAL for another kind of file.
fn timer(k: &Kernel, fd: i32) -> SysResult<u32> {
    timer_of(k, k.fd_file(fd)?).ok_or(EINVAL)
}

/// The time left and the interval (Linux: timerfd_gettime() after moving
/// a fired periodic timer on).
fn current(k: &mut Kernel, n: u32) -> Itimerspec {
    k.timerfd_forward(n);
    let now = k.now_ns();
    let t = k.vfs.timerfds_mut().get_mut(n);
    let left = t.expires.map_or(0, |e| e.saturating_sub(now));
    Itimerspec { it_interval: Timespec::from_ns(t.interval), it_value: Timespec::from_ns(left) }
}

/// timerfd_settime(2).
pub fn timerfd_settime(k: &mut Kernel, fd: i32, flags: u32, new: u64, old: u64) -> SysResult {
    let spec: Itimerspec = k.read_val(new)?;
    if flags & !(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET) != 0
        || !spec.it_value.is_valid()
        || !spec.it_interval.is_valid()
    {
        return Err(EINVAL);
    }
    let n = timer(k, fd)?;
    let before = current(k, n);
    let now = k.now_ns();
    let epoch = k.m.clock.boot_epoch_ns();
    let t = k.vfs.timerfds_mut().get_mut(n);
    let value = spec.it_value.tv_sec as u64 * 1_000_000_000 + spec.it_value.tv_nsec as u64;
    t.interval = spec.it_interval.tv_sec as u64 * 1_000_000_000 + spec.it_interval.tv_nsec as u64;
    t.ticks = 0;
    t.expired = false;
    t.settime_flags = flags;
    t.expires = match (value, flags & TFD_TIMER_ABSTIME != 0) {
        (0, _) => None,
        (v, true) if t.realtime => Some(v.saturating_sub(epoch)),
        (v, true) => Some(v),
        (v, false) => Some(now.saturating_add(v)),
    };
    k.timerfd_sync(n);
    // A deadline already past fires now rather than at the next timer
    // interrupt, so that a read right after sees it.
    if let Some(e) = k.vfs.timerfds_mut().get_mut(n).expires.filter(|&e| e <= now) {
        k.time.hrtimers_mut().remove(e, crate::time::hrtimer::HrTimer::Timerfd(n));
        k.timerfd_expired(n, e);
    }
    if old != 0 {
        k.write_val(old, &before)?;
    }
    Ok(0)
}

/// timerfd_gettime(2).
pub fn timerfd_gettime(k: &mut Kernel, fd: i32, cur: u64) -> SysResult {
    let n = timer(k, fd)?;
    let v = current(k, n);
    k.write_val(cur, &v)?;
    Ok(0)
}
