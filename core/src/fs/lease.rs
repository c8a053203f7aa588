//! Breaking leases (Linux: fs/locks.c __break_lease(), time_out_leases(),
//! lease_break_time). A lease (fcntl F_SETLEASE, `OpenFile::lease`) lets
//! its holder learn, by a signal, that another open of the file is
//! coming: an open for writing (or a truncate) conflicts with any lease,
//! an open for reading with a write lease. The holder gets F_SETSIG's
//! signal (SIGIO by default) once; the opener waits until the holder
//! downgrades its lease to what no longer conflicts (F_RDLCK for a reader,
//! F_UNLCK for a writer) or gives it up, or until
//! /proc/sys/fs/lease-break-time seconds have passed, when the kernel
//! makes the change itself. An O_NONBLOCK open gets EWOULDBLOCK instead
//! of waiting, the break having started.

use alloc::vec::Vec;

use crate::abi::{SysResult, EAGAIN, SIGIO};
use crate::fs::file::{FileId, OwnerType};
use crate::kernel::Kernel;
use crate::proc::WaitReason;

pub const F_RDLCK: u32 = 0;
pub const F_WRLCK: u32 = 1;
pub const F_UNLCK: u32 = 2;

/// Linux's default lease-break-time, in seconds.
pub const LEASE_BREAK_TIME: i32 = 45;

/// A lease being broken: what it must come down to, and by when (Linux:
/// the lease's fl_downgrade_time / fl_break_time).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LeaseBreak {
    pub target: u32,
    pub deadline_ns: u64,
}

impl Kernel {
    /// Linux: break_lease(): make way for an open of `ino` for writing
    /// (`write`) or reading. Ok when no lease conflicts any more;
    /// EWOULDBLOCK for `nonblock`; otherwise the caller sleeps and runs
    /// again.
    pub fn break_lease(&mut self, ino: u64, write: bool, nonblock: bool) -> SysResult<()> {
        let conflicting: Vec<FileId> = self
            .vfs
            .files
            .iter()
            .filter(|(_, f)| f.kind.data_ino() == Some(ino) && f.lease != F_UNLCK)
            .filter(|(_, f)| write || f.lease == F_WRLCK)
            .map(|(id, _)| id)
            .collect();
        if conflicting.is_empty() {
            return Ok(());
        }
        let now = self.now_ns();
        let target = if write { F_UNLCK } else { F_RDLCK };
        let wait_ns = self.vfs.lease_break_time.max(0) as u64 * 1_000_000_000;
        let mut earliest = None;
        let mut forced = false;
        for id in conflicting {
            let f = self.vfs.files.get_mut(id);
            let b = match f.lease_break {
                Some(mut b) => {
                    // A writer asks for more than a reader did.
                    if target == F_UNLCK {
                        b.target = F_UNLCK;
                    }
                    b
                }
                None => {
                    let b = LeaseBreak { target, deadline_ns: now + wait_ns };
                    f.lease_break = Some(b);
                    self.lease_notify(id);
                    b
                }
            };
            let f = self.vfs.files.get_mut(id);
            f.lease_break = Some(b);
            // Linux: time_out_leases(): the holder took too long.
            if now >= b.deadline_ns {
                f.lease = b.target;
                f.lease_break = None;
                if b.target == F_UNLCK {
                    self.vfs.lease_dropped();
                }
                forced = true;
            } else {
                earliest = Some(earliest.map_or(b.deadline_ns, |e: u64| e.min(b.deadline_ns)));
            }
        }
        if forced {
            self.wake_all(WaitReason::FileLock);
        }
        let Some(until) = earliest else { return Ok(()) };
        if nonblock {
            return Err(EAGAIN);
        }
        Err(self.block_current(WaitReason::LeaseBreak { until_ns: until }))
    }

    /// Tell the holder of the lease on description `id` that it is being
    /// broken (Linux: lease_break_callback() → kill_fasync(): F_SETSIG's
    /// signal or SIGIO, to the owner F_SETLEASE made the caller).
    fn lease_notify(&mut self, id: FileId) {
        let f = self.vfs.files.get(id);
        let sig = if f.signum != 0 { f.signum } else { SIGIO };
        let owner = f.owner;
        if owner.pid == 0 {
            return;
        }
        let info = crate::signal::SigInfo::kernel(sig);
        let _ = match owner.kind {
            OwnerType::Tid => self.send_signal_thread(owner.pid, info),
            OwnerType::Pid => self.send_signal_process(owner.pid, info),
            OwnerType::Pgrp => Ok(()),
        };
    }

    /// The holder changed its lease on `id` (F_SETLEASE) to `to`: a break
    /// in progress ends once the lease is down to its target.
    pub fn lease_changed(&mut self, id: FileId, to: u32) {
        let f = self.vfs.files.get_mut(id);
        if f.lease_break.is_some_and(|b| to == F_UNLCK || to == b.target) {
            f.lease_break = None;
        }
        self.wake_all(WaitReason::FileLock);
    }
}
