//! signalfd(2) (Linux: fs/signalfd.c): a descriptor whose reads take
//! pending signals of its mask off the reader's pending sets, as
//! `struct signalfd_siginfo`, instead of delivering them.
//!
//! The description holds the mask; the signals are always the reading
//! (or polling) thread's own and its process's, whoever created the
//! descriptor. A reader with nothing to read sleeps (WaitReason::Signalfd)
//! until a signal is queued anywhere: every successful enqueue wakes
//! signalfd readers and pollers (Linux: signalfd_notify() on
//! `sighand->signalfd_wqh`), which look again.

use crate::abi::*;
use crate::fs::file::{FileId, FileKind};
use crate::kernel::Kernel;
use crate::proc::WaitReason;
use crate::signal::{SigInfo, SI_KERNEL, SI_USER, UNBLOCKABLE};

const SFD_CLOEXEC: u32 = O_CLOEXEC;
const SFD_NONBLOCK: u32 = O_NONBLOCK;

/// Linux: sizeof(struct signalfd_siginfo).
pub const SIGNALFD_SIGINFO_SIZE: usize = 128;

const SI_TIMER: i32 = -2;
const SI_SIGIO: i32 = -5;

/// Linux: signalfd4() and signalfd(): EINVAL for a size other than a
/// sigset_t's, EFAULT for the mask, EINVAL for unknown flags; `ufd` -1
/// makes a new descriptor, else the signalfd `ufd` gets the new mask
/// (EBADF if not open, EINVAL if not a signalfd). SIGKILL and SIGSTOP are
/// never read.
pub fn signalfd4(k: &mut Kernel, ufd: i32, user_mask: u64, sizemask: u64, flags: u32) -> SysResult {
    if sizemask != 8 {
        return Err(EINVAL);
    }
    let mask = SigSet::from_bits_retain(k.read_u64(user_mask)?);
    if flags & !(SFD_CLOEXEC | SFD_NONBLOCK) != 0 {
        return Err(EINVAL);
    }
    // The file keeps the bits (`FileKind::Signalfd`).
    let mask = (mask - UNBLOCKABLE).bits();
    if ufd == -1 {
        let id = k.files.open(FileKind::Signalfd { mask }, O_RDWR | (flags & SFD_NONBLOCK), None);
        return k.install_fd(id, flags & SFD_CLOEXEC != 0, 0);
    }
    let id = k.fd_file(ufd)?;
    let f = k.files.get_mut(id);
    let FileKind::Signalfd { .. } = f.kind else { return Err(EINVAL) };
    f.kind = FileKind::Signalfd { mask };
    // A reader may now have something to read.
    k.signalfd_notify();
    Ok(ufd as usize)
}

impl Kernel {
    /// A signal was queued, or a mask changed: signalfd readers and
    /// pollers look again (Linux: signalfd_notify()).
    pub fn signalfd_notify(&mut self) {
        self.wake_sleepers(|w| w == WaitReason::Signalfd);
        self.wake_pollers();
    }

    /// Linux: signalfd_poll(): readable while a signal of the mask is
    /// pending for the calling thread or its process.
    pub fn signalfd_poll(&self, mask: u64) -> u16 {
        let t = self.cur();
        let pending = t.sigpending | self.signals.get(t.signal).shared_pending;
        if pending.intersects(SigSet::from_bits_retain(mask)) {
            POLLIN | POLLRDNORM
        } else {
            0
        }
    }
}

/// Linux: signalfd_read_iter(): as many whole `signalfd_siginfo`s as fit
/// in `len` (EINVAL if not one), waiting for the first unless O_NONBLOCK
/// (EAGAIN), never for the next.
pub fn read(k: &mut Kernel, id: FileId, buf: u64, len: usize) -> SysResult {
    let f = k.files.get(id);
    let FileKind::Signalfd { mask } = f.kind else { return Err(EINVAL) };
    let mut nonblock = f.flags & O_NONBLOCK != 0;
    let count = len / SIGNALFD_SIGINFO_SIZE;
    if count == 0 {
        return Err(EINVAL);
    }
    let mut total = 0;
    for i in 0..count {
        let Some(info) = k.dequeue_from(SigSet::from_bits_retain(mask)) else {
            if total > 0 {
                break;
            }
            return Err(if nonblock { EAGAIN } else { k.block_current(WaitReason::Signalfd) });
        };
        if let Err(e) = k.copy_out(buf + (i * SIGNALFD_SIGINFO_SIZE) as u64, &siginfo_bytes(&info)) {
            return if total > 0 { Ok(total) } else { Err(e) };
        }
        total += SIGNALFD_SIGINFO_SIZE;
        nonblock = true;
    }
    Ok(total)
}

/// `struct signalfd_siginfo` for a dequeued signal: the fields its
/// siginfo layout has (Linux: signalfd_copyinfo() by siginfo_layout()).
pub fn siginfo_bytes(info: &SigInfo) -> [u8; SIGNALFD_SIGINFO_SIZE] {
    let mut b = [0u8; SIGNALFD_SIGINFO_SIZE];
    let put32 =
        |b: &mut [u8; SIGNALFD_SIGINFO_SIZE], at: usize, v: u32| b[at..at + 4].copy_from_slice(&v.to_le_bytes());
    put32(&mut b, 0, info.signo);
    put32(&mut b, 8, info.code as u32);
    let ptr = info.status as u32 as u64 | (info.value_hi as u64) << 32;
    let code = info.code;
    let fault = matches!(info.signo, SIGILL | SIGFPE | SIGSEGV | SIGBUS | SIGTRAP);
    if code > SI_USER && code < SI_KERNEL {
        if info.signo == SIGCHLD && code <= 6 {
            put32(&mut b, 12, info.pid);
            put32(&mut b, 16, info.uid);
            put32(&mut b, 40, info.status as u32);
        } else if fault {
            b[72..80].copy_from_slice(&info.addr().to_le_bytes());
        }
    } else if code == SI_TIMER {
        // si_tid, si_overrun, si_value.
        put32(&mut b, 24, info.pid);
        put32(&mut b, 32, info.uid);
        put32(&mut b, 44, info.status as u32);
        b[48..56].copy_from_slice(&ptr.to_le_bytes());
    } else if code == SI_SIGIO {
        // Tine sends no SIGIO with a band and descriptor.
    } else if code < 0 {
        // SIL_RT: sigqueue, tkill and the like.
        put32(&mut b, 12, info.pid);
        put32(&mut b, 16, info.uid);
        put32(&mut b, 44, info.status as u32);
        b[48..56].copy_from_slice(&ptr.to_le_bytes());
    } else {
        // SIL_KILL: kill(2), SI_KERNEL.
        put32(&mut b, 12, info.pid);
        put32(&mut b, 16, info.uid);
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signal::SI_QUEUE;

    #[test]
    fn layouts_put_each_field_where_linux_does() {
        let q = SigInfo { signo: 40, code: SI_QUEUE, pid: 7, uid: 1000, status: 42, value_hi: 1 };
        let b = siginfo_bytes(&q);
        assert_eq!(u32::from_le_bytes(b[0..4].try_into().unwrap()), 40);
        assert_eq!(i32::from_le_bytes(b[8..12].try_into().unwrap()), SI_QUEUE);
        assert_eq!(u32::from_le_bytes(b[12..16].try_into().unwrap()), 7);
        assert_eq!(u32::from_le_bytes(b[16..20].try_into().unwrap()), 1000);
        assert_eq!(i32::from_le_bytes(b[44..48].try_into().unwrap()), 42);
        assert_eq!(u64::from_le_bytes(b[48..56].try_into().unwrap()), 42 | 1 << 32);
        let kill = SigInfo { signo: SIGUSR1, code: SI_USER, pid: 3, uid: 0, status: 9, value_hi: 0 };
        let b = siginfo_bytes(&kill);
        assert_eq!(u32::from_le_bytes(b[12..16].try_into().unwrap()), 3);
        assert_eq!(&b[40..56], &[0u8; 16], "kill carries no value");
        let segv = SigInfo::fault(SIGSEGV, 1, 0xdea_dbee_f000);
        assert_eq!(u64::from_le_bytes(siginfo_bytes(&segv)[72..80].try_into().unwrap()), 0xdea_dbee_f000);
    }
}
