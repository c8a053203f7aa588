//! /dev/kmsg, the character device 1:11 (Linux: devkmsg_fops in
//! kernel/printk/printk.c): each read(2) returns one record of the kernel
//! log as `prio,seq,usecs,-;text\n`, each write(2) logs one record. The
//! reader's next sequence number is kept in the description's offset
//! (Linux: `devkmsg_user.seq`).

use crate::abi::*;
use crate::fs::file::FileId;
use crate::kernel::Kernel;
use crate::proc::WaitReason;

/// Device number of /dev/kmsg (Documentation/admin-guide/devices.txt).
pub const DEV_KMSG: u64 = makedev(1, 11);

/// May the caller open /dev/kmsg with `flags`? Writing only is always
/// allowed; reading needs what SYSLOG_ACTION_READ_ALL needs (Linux:
/// devkmsg_open()). Returns the sequence number the reader starts at.
pub fn open(k: &Kernel, flags: u32) -> SysResult<u64> {
    if flags & O_ACCMODE != O_WRONLY {
        crate::syscall::syslog::check_permissions(k, crate::syscall::syslog::SYSLOG_ACTION_READ_ALL)?;
    }
    Ok(k.klog.borrow().first_seq())
}

/// Linux: devkmsg_read().
pub fn read(k: &mut Kernel, id: FileId, buf: &mut [u8]) -> SysResult {
    let f = k.vfs.files().get(id);
    let (seq, nonblock) = (f.offset, f.flags & O_NONBLOCK != 0);
    let log = k.klog.borrow();
    let Some(r) = log.read_valid(seq) else {
        drop(log);
        return Err(if nonblock { EAGAIN } else { k.block_current(WaitReason::Syslog) });
    };
    // The reader's next record has been overwritten: say so once, and
    // go on from the oldest one kept.
    if r.seq != seq {
        let first = r.seq;
        drop(log);
        k.vfs.files_mut().get_mut(id).offset = first;
        return Err(EPIPE);
    }
    let text = r.kmsg_text();
    drop(log);
    // The record is passed over even when it does not fit (as Linux).
    k.vfs.files_mut().get_mut(id).offset = seq + 1;
    if text.len() > buf.len() {
        return Err(EINVAL);
    }
    buf[..text.len()].copy_from_slice(&text);
    Ok(text.len())
}

/// Linux: devkmsg_write(): one record, its level and facility from an
/// optional `<N>` prefix.
pub fn write(k: &mut Kernel, data: &[u8]) -> SysResult {
    if data.len() > crate::log::LOG_LINE_MAX {
        return Err(EINVAL);
    }
    let (facility, level, text) = crate::log::parse_prefix(data);
    let ts = k.now_ns() / 1000;
    k.log_record(ts, facility, level, text);
    k.wake_log_readers();
    Ok(data.len())
}

/// Linux: devkmsg_llseek(): only to the start (SEEK_SET), after the last
/// clear (SEEK_DATA) or the end (SEEK_END), with offset 0.
pub fn lseek(k: &mut Kernel, id: FileId, off: i64, whence: u32) -> SysResult {
    if off != 0 {
        return Err(ESPIPE);
    }
    let log = k.klog.borrow();
    let seq = match whence {
        0 => log.first_seq(),
        3 => log.clear_seq.max(log.first_seq()),
        2 => log.next_seq(),
        _ => return Err(EINVAL),
    };
    drop(log);
    k.vfs.files_mut().get_mut(id).offset = seq;
    Ok(0)
}

/// Linux: devkmsg_poll(): readable while records remain, with POLLERR
/// and POLLPRI too when the reader's next one was overwritten.
pub fn poll(k: &Kernel, id: FileId) -> u16 {
    let seq = k.vfs.files().get(id).offset;
    let log = k.klog.borrow();
    match log.read_valid(seq) {
        None => 0,
        Some(r) if r.seq != seq => POLLIN | POLLRDNORM | POLLERR | POLLPRI,
        Some(_) => POLLIN | POLLRDNORM,
    }
}
