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
pub const SIGNALFD_SIGINFO_SIZE: usize = core::mem::size_of::<SignalfdSiginfo>();

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
    let mask: SigSet = k.read_val(user_mask)?;
    if flags & !(SFD_CLOEXEC | SFD_NONBLOCK) != 0 {
        return Err(EINVAL);
    }
    // The file keeps the bits (`FileKind::Signalfd`).
    let mask = (mask - UNBLOCKABLE).bits();
    if ufd == -1 {
        let id = k.vfs.files_mut().open(FileKind::Signalfd { mask }, O_RDWR | (flags & SFD_NONBLOCK), None);
        return k.install_fd(id, flags & SFD_CLOEXEC != 0, 0);
    }
    let id = k.fd_file(ufd)?;
    let f = k.vfs.files_mut().get_mut(id);
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
        self.wake_queue(crate::proc::waitqueue::WaitKey::Signalfd);
        self.wake_pollers();
    }

    /// Linux: signalfd_poll(): readable while a signal of the mask is
    /// pending for the calling thread or its process.
    pub fn signalfd_poll(&self, mask: u64) -> u16 {
        let t = self.cur();
        let pending = t.sigpending | self.sig.signals().get(t.signal).shared_pending;
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
    let f = k.vfs.files().get(id);
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
        if let Err(e) = k.write_val(buf + (i * SIGNALFD_SIGINFO_SIZE) as u64, &signalfd_siginfo(&info)) {
            return if total > 0 { Ok(total) } else { Err(e) };
        }
        total += SIGNALFD_SIGINFO_SIZE;
        nonblock = true;
    }
    Ok(total)
}

/// `struct signalfd_siginfo` for a dequeued signal: the fields its
/// siginfo layout has (Linux: signalfd_copyinfo() by siginfo_layout()).
pub fn signalfd_siginfo(info: &SigInfo) -> SignalfdSiginfo {
    let mut b = SignalfdSiginfo { ssi_signo: info.signo, ssi_code: info.code, ..Default::default() };
    let ptr = info.status as u32 as u64 | (info.value_hi as u64) << 32;
    let code = info.code;
    let fault = matches!(info.signo, SIGILL | SIGFPE | SIGSEGV | SIGBUS | SIGTRAP);
    if code > SI_USER && code < SI_KERNEL {
        if info.signo == SIGCHLD && code <= 6 {
            (b.ssi_pid, b.ssi_uid, b.ssi_status) = (info.pid, info.uid, info.status);
        } else if fault {
            b.ssi_addr = info.addr();
        }
    } else if code == SI_TIMER {
        // si_tid, si_overrun, si_value.
        (b.ssi_tid, b.ssi_overrun) = (info.pid, info.uid);
        (b.ssi_int, b.ssi_ptr) = (info.status, ptr);
    } else if code == SI_SIGIO {
        // Tine sends no SIGIO with a band and descriptor.
    } else if code < 0 {
        // SIL_RT: sigqueue, tkill and the like.
        (b.ssi_pid, b.ssi_uid) = (info.pid, info.uid);
        (b.ssi_int, b.ssi_ptr) = (info.status, ptr);
    } else {
        // SIL_KILL: kill(2), SI_KERNEL.
        (b.ssi_pid, b.ssi_uid) = (info.pid, info.uid);
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
        let b = signalfd_siginfo(&q);
        assert_eq!((b.ssi_signo, b.ssi_code, b.ssi_pid, b.ssi_uid), (40, SI_QUEUE, 7, 1000));
        assert_eq!((b.ssi_int, b.ssi_ptr), (42, 42 | 1 << 32));
        let kill = SigInfo { signo: SIGUSR1, code: SI_USER, pid: 3, uid: 0, status: 9, value_hi: 0 };
        let b = signalfd_siginfo(&kill);
        assert_eq!(b.ssi_pid, 3);
        assert_eq!((b.ssi_status, b.ssi_int, b.ssi_ptr), (0, 0, 0), "kill carries no value");
        let segv = SigInfo::fault(SIGSEGV, 1, 0xdea_dbee_f000);
        assert_eq!(signalfd_siginfo(&segv).ssi_addr, 0xdea_dbee_f000);
    }
}
