//! timerfd: a timer read as a file (Linux: fs/timerfd.c). Each timer has
//! one entry at most in the deadline queue (`HrTimer::Timerfd`), in
//! monotonic time: the wall clock never jumps here (no clock_settime), so
//! a CLOCK_REALTIME deadline is the monotonic one plus the boot epoch.
//! As in Linux, an expiry counts one tick and wakes readers and pollers;
//! a periodic timer is moved on past the present (the periods missed
//! counted as ticks) when it is next read or asked for its time.
//! The timers live in `Kernel::timerfds`, by the number the description's
//! kind names; the description's release removes it and its entry.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use super::FileOps;
use crate::abi::*;
use crate::fs::file::{FileId, FileKind, OpenFile};
use crate::kernel::Kernel;
use crate::proc::WaitReason;
use crate::time::hrtimer::HrTimer;

/// One timer (Linux: struct timerfd_ctx).
#[derive(Clone, Copy, Debug, Default)]
pub struct Timer {
    /// CLOCK_REALTIME (its deadlines shown on the wall clock) or not.
    pub realtime: bool,
    /// The clock timerfd_create() named, and the flags of the last
    /// timerfd_settime(), for fdinfo.
    pub clockid: u32,
    pub settime_flags: u32,
    /// The deadline, monotonic; None when disarmed.
    pub expires: Option<u64>,
    pub interval: u64,
    /// Expirations not read yet.
    pub ticks: u64,
    /// It fired and has not been moved on (Linux: `expired`).
    pub expired: bool,
    /// The deadline queued in `Kernel::hrtimers`.
    pub queued: Option<u64>,
}

/// Every timerfd.
#[derive(Default)]
pub struct TimerfdTable {
    timers: BTreeMap<u32, Timer>,
    next: u32,
}

impl TimerfdTable {
    pub fn create(&mut self, clockid: u32, realtime: bool) -> u32 {
        let id = self.next;
        self.next = self.next.wrapping_add(1);
        self.timers.insert(id, Timer { realtime, clockid, ..Default::default() });
        id
    }

    pub fn get(&self, n: u32) -> Option<&Timer> {
        self.timers.get(&n)
    }

    pub fn get_mut(&mut self, n: u32) -> &mut Timer {
        self.timers.get_mut(&n).expect("timerfd")
    }
}

/// The timer behind description `id`, if it is a timerfd.
pub fn timer_of(k: &Kernel, id: FileId) -> Option<u32> {
    match k.vfs.files.try_get(id)?.kind {
        FileKind::Timerfd { timer } => Some(timer),
        _ => None,
    }
}

impl Kernel {
    /// Put timer `n`'s queue entry in line with its deadline.
    pub fn timerfd_sync(&mut self, n: u32) {
        let t = *self.vfs.timerfds.get_mut(n);
        let want = if t.expired { None } else { t.expires };
        if t.queued == want {
            return;
        }
        if let Some(old) = t.queued {
            self.time.hrtimers_mut().remove(old, HrTimer::Timerfd(n));
        }
        self.vfs.timerfds.get_mut(n).queued = want;
        if let Some(at) = want {
            self.hrtimer_start(at, HrTimer::Timerfd(n));
        }
    }

    /// Timer `n`'s deadline `at` has come (Linux: timerfd_tmrproc()).
    pub(crate) fn timerfd_expired(&mut self, n: u32, at: u64) {
        let Some(t) = self.vfs.timerfds.timers.get_mut(&n) else { return };
        if t.queued != Some(at) {
            return;
        }
        t.queued = None;
        t.ticks += 1;
        if t.interval == 0 {
            t.expires = None;
        } else {
            t.expired = true;
        }
        self.wake_all(WaitReason::Timerfd(n));
    }

    /// A periodic timer that fired moves on past now, counting the
    /// periods missed (Linux: hrtimer_forward_now() in timerfd_read()).
    pub fn timerfd_forward(&mut self, n: u32) {
        let now = self.now_ns();
        let t = self.vfs.timerfds.get_mut(n);
        if !t.expired || t.interval == 0 {
            return;
        }
        t.expired = false;
        let e = t.expires.expect("a periodic timer has a deadline");
        let missed = if now < e { 0 } else { (now - e) / t.interval + 1 };
        t.expires = Some(e + missed * t.interval);
        t.ticks += missed.saturating_sub(1);
        self.timerfd_sync(n);
    }
}

pub struct Timerfd;
pub static TIMERFD: Timerfd = Timerfd;

impl FileOps for Timerfd {
    event_file_ops!();

    /// Linux: timerfd_read(): EINVAL under 8 bytes; the ticks, waiting
    /// while there are none.
    fn read(&self, k: &mut Kernel, id: FileId, _pos: u64, buf: &mut [u8]) -> SysResult {
        if buf.len() < 8 {
            return Err(EINVAL);
        }
        let n = timer_of(k, id).expect("timerfd ops");
        if k.vfs.timerfds.get_mut(n).ticks == 0 {
            let nonblock = k.vfs.files.get(id).flags & O_NONBLOCK != 0;
            return Err(if nonblock { EAGAIN } else { k.block_current(WaitReason::Timerfd(n)) });
        }
        k.timerfd_forward(n);
        let t = k.vfs.timerfds.get_mut(n);
        let ticks = core::mem::take(&mut t.ticks);
        buf[..8].copy_from_slice(&ticks.to_ne_bytes());
        Ok(8)
    }

    fn read_more(&self, _k: &mut Kernel, _id: FileId) -> bool {
        false
    }

    /// Linux: timerfd_poll().
    fn poll(&self, k: &mut Kernel, id: FileId) -> u16 {
        let n = timer_of(k, id).expect("timerfd ops");
        if k.vfs.timerfds.get_mut(n).ticks > 0 {
            POLLIN | POLLRDNORM
        } else {
            0
        }
    }

    fn stat(&self, k: &Kernel, id: FileId) -> SysResult<Stat> {
        Ok(super::anon_stat(k, id, 0o600))
    }

    /// Linux: anon_inode_getfile("[timerfd]").
    fn d_path(&self, _k: &Kernel, _id: FileId) -> Vec<u8> {
        b"anon_inode:[timerfd]".to_vec()
    }

    /// Linux: timerfd_show(): the clock, the expirations not read, the
    /// settime flags, the time left and the interval as (sec, nsec).
    fn show_fdinfo(&self, k: &Kernel, id: FileId, _view: crate::ns::PidNsId, out: &mut Vec<u8>) {
        let Some(t) = timer_of(k, id).and_then(|n| k.vfs.timerfds.get(n)) else { return };
        let left = t.expires.map_or(0, |e| e.saturating_sub(k.now_ns()));
        let text = alloc::format!(
            "clockid: {}\nticks: {}\nsettime flags: 0{:o}\nit_value: ({}, {})\nit_interval: ({}, {})\n",
            t.clockid,
            t.ticks,
            t.settime_flags,
            left / 1_000_000_000,
            left % 1_000_000_000,
            t.interval / 1_000_000_000,
            t.interval % 1_000_000_000
        );
        out.extend_from_slice(text.as_bytes());
    }

    fn release(&self, k: &mut Kernel, _id: FileId, f: &OpenFile) {
        if let FileKind::Timerfd { timer } = f.kind {
            if let Some(at) = k.vfs.timerfds.timers.remove(&timer).and_then(|t| t.queued) {
                k.time.hrtimers_mut().remove(at, HrTimer::Timerfd(timer));
            }
        }
    }
}
