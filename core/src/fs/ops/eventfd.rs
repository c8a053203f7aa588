//! eventfd: a 64-bit counter as a file (Linux: fs/eventfd.c). A write
//! adds to the counter, waiting while that would pass 2^64 - 2; a read
//! takes the whole counter (or 1 with EFD_SEMAPHORE), waiting while it is
//! 0. The counters live in `Kernel::eventfds`, by the number the
//! description's kind names; the description's release removes it.

use alloc::collections::BTreeMap;

use super::FileOps;
use crate::abi::*;
use crate::fs::file::{FileId, FileKind, OpenFile};
use crate::kernel::Kernel;
use crate::proc::WaitReason;

/// The most a counter may hold (Linux: ULLONG_MAX - 1).
const MAX: u64 = u64::MAX - 1;

/// One counter (Linux: struct eventfd_ctx).
#[derive(Clone, Copy, Debug)]
pub struct Counter {
    pub count: u64,
    /// EFD_SEMAPHORE: a read takes 1.
    pub semaphore: bool,
}

/// Every eventfd's counter.
#[derive(Default)]
pub struct EventfdTable {
    counters: BTreeMap<u32, Counter>,
    next: u32,
}

impl EventfdTable {
    /// A new counter; returns its number.
    pub fn create(&mut self, count: u64, semaphore: bool) -> u32 {
        // Bounded by the descriptors that can hold one (RLIMIT_NOFILE).
        let id = self.next;
        self.next = self.next.wrapping_add(1);
        self.counters.insert(id, Counter { count, semaphore });
        id
    }

    pub fn len(&self) -> usize {
        self.counters.len()
    }

    pub fn is_empty(&self) -> bool {
        self.counters.is_empty()
    }
}

pub struct Eventfd;
pub static EVENTFD: Eventfd = Eventfd;

fn counter_of(k: &Kernel, id: FileId) -> u32 {
    match k.vfs.files.get(id).kind {
        FileKind::Eventfd { counter } => counter,
        other => unreachable!("eventfd ops on {other:?}"),
    }
}

impl FileOps for Eventfd {
    event_file_ops!();

    /// Linux: eventfd_read(): EINVAL for less than 8 bytes.
    fn read(&self, k: &mut Kernel, id: FileId, _pos: u64, buf: &mut [u8]) -> SysResult {
        if buf.len() < 8 {
            return Err(EINVAL);
        }
        let n = counter_of(k, id);
        let nonblock = k.vfs.files.get(id).flags & O_NONBLOCK != 0;
        let c = k.vfs.eventfds.counters.get_mut(&n).expect("eventfd counter");
        if c.count == 0 {
            return Err(if nonblock { EAGAIN } else { k.block_current(WaitReason::Eventfd(n)) });
        }
        let took = if c.semaphore { 1 } else { c.count };
        c.count -= took;
        buf[..8].copy_from_slice(&took.to_ne_bytes());
        k.wake_all(WaitReason::Eventfd(n));
        Ok(8)
    }

    fn read_more(&self, _k: &mut Kernel, _id: FileId) -> bool {
        false
    }

    /// Linux: eventfd_write(): EINVAL for less than 8 bytes or the value
    /// 2^64 - 1; waits while the sum would pass 2^64 - 2.
    fn write(&self, k: &mut Kernel, id: FileId, _pos: u64, data: &[u8]) -> SysResult {
        if data.len() < 8 {
            return Err(EINVAL);
        }
        let v = u64::from_ne_bytes(data[..8].try_into().expect("8 bytes"));
        if v == u64::MAX {
            return Err(EINVAL);
        }
        let n = counter_of(k, id);
        let nonblock = k.vfs.files.get(id).flags & O_NONBLOCK != 0;
        let c = k.vfs.eventfds.counters.get_mut(&n).expect("eventfd counter");
        if MAX - c.count < v {
            return Err(if nonblock { EAGAIN } else { k.block_current(WaitReason::Eventfd(n)) });
        }
        c.count += v;
        if v > 0 {
            k.wake_all(WaitReason::Eventfd(n));
        }
        Ok(8)
    }

    /// Linux: eventfd_poll().
    fn poll(&self, k: &mut Kernel, id: FileId) -> u16 {
        let c = k.vfs.eventfds.counters[&counter_of(k, id)];
        let mut ev = 0;
        if c.count > 0 {
            ev |= POLLIN | POLLRDNORM;
        }
        if c.count < MAX {
            ev |= POLLOUT | POLLWRNORM;
        }
        ev
    }

    /// An anonymous inode: mode 0600 without a file type.
    fn stat(&self, k: &Kernel, id: FileId) -> SysResult<Stat> {
        Ok(super::anon_stat(k, id, 0o600))
    }

    /// Linux: anon_inode_getfd("[eventfd]").
    fn d_path(&self, _k: &Kernel, _id: FileId) -> alloc::vec::Vec<u8> {
        b"anon_inode:[eventfd]".to_vec()
    }

    /// Linux: eventfd_show_fdinfo(): the counter, the context's number
    /// and whether reads take 1.
    fn show_fdinfo(&self, k: &Kernel, id: FileId, _view: crate::ns::PidNsId, out: &mut alloc::vec::Vec<u8>) {
        let n = counter_of(k, id);
        let c = k.vfs.eventfds.counters[&n];
        let text = alloc::format!(
            "eventfd-count: {:16x}\neventfd-id: {n}\neventfd-semaphore: {}\n",
            c.count,
            c.semaphore as u8
        );
        out.extend_from_slice(text.as_bytes());
    }

    fn release(&self, k: &mut Kernel, _id: FileId, f: &OpenFile) {
        if let FileKind::Eventfd { counter } = f.kind {
            k.vfs.eventfds.counters.remove(&counter);
        }
    }
}
