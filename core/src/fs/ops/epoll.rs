//! epoll instances (Linux: fs/eventpoll.c): an interest list of (file,
//! descriptor) items, each with the events it watches and the word user
//! space gets back. The instances live in `Kernel::epolls`, by the number
//! the description's kind names; the description's release removes it.
//!
//! Readiness is not pushed by wake-up callbacks as in Linux: a wait asks
//! each item's file (`FileOps::poll`, as poll(2) does) and sleeps with the
//! pollers when none is ready, so every wake-up of pollers runs it again.
//! An item whose file has been released (its last descriptor closed) is
//! dropped when next met (Linux: eventpoll_release() at the final fput()).
//!
//! Edge-triggered items (EPOLLET) report when a readiness bit appears
//! that was not there at the last look, or when pollers were woken since
//! (`EpollTable::wakeups`) and the file is ready: Linux reports at every
//! wake-up of the item's own file, Tine at any wake-up of pollers, so an
//! edge-triggered item may be reported again after activity elsewhere,
//! never missed. A program that reads until EAGAIN, as epoll(7) asks,
//! sees the same events on both.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use super::FileOps;
use crate::abi::*;
use crate::fs::file::{FileId, FileKind};
use crate::kernel::Kernel;

/// The flags that are not events (Linux: EP_PRIVATE_BITS).
pub const PRIVATE_BITS: u32 = EPOLLWAKEUP | EPOLLONESHOT | EPOLLET | EPOLLEXCLUSIVE;
/// Linux: EP_MAX_NESTS, how deep epoll instances may watch each other.
pub const MAX_NESTS: usize = 4;

/// One watched file (Linux: struct epitem).
#[derive(Clone, Copy, Debug)]
pub struct Item {
    pub fd: i32,
    pub file: FileId,
    /// What it watches, EPOLLERR and EPOLLHUP always among them, and the
    /// private flags; a fired EPOLLONESHOT item keeps only the flags.
    pub events: u32,
    pub data: u64,
    /// EPOLLET: the readiness seen at the last look, and the count of
    /// wake-ups then.
    pub seen: u32,
    pub seen_wakeups: u64,
}

/// One instance (Linux: struct eventpoll).
#[derive(Default, Debug)]
pub struct Instance {
    /// In the order they were added.
    pub items: Vec<Item>,
}

/// Every epoll instance.
#[derive(Default)]
pub struct EpollTable {
    instances: BTreeMap<u32, Instance>,
    next: u32,
    /// How deep a poll of one instance inside another has gone.
    depth: usize,
    /// Wake-ups of pollers so far (`Kernel::wake_pollers`): something
    /// happened to some file.
    pub wakeups: u64,
}

impl EpollTable {
    /// A new, empty instance; returns its number.
    pub fn create(&mut self) -> u32 {
        let id = self.next;
        self.next = self.next.wrapping_add(1);
        self.instances.insert(id, Instance::default());
        id
    }

    pub fn get(&self, ep: u32) -> &Instance {
        &self.instances[&ep]
    }

    pub fn get_mut(&mut self, ep: u32) -> &mut Instance {
        self.instances.get_mut(&ep).expect("epoll instance")
    }

    pub fn len(&self) -> usize {
        self.instances.len()
    }

    pub fn is_empty(&self) -> bool {
        self.instances.is_empty()
    }
}

/// The instance behind description `id`, if it is an epoll file.
pub fn instance_of(k: &Kernel, id: FileId) -> Option<u32> {
    match k.vfs.files.try_get(id)?.kind {
        FileKind::Epoll { ep } => Some(ep),
        _ => None,
    }
}

/// What item `it` has to report now, from its file's readiness (Linux:
/// ep_item_poll() masked by the item's events); `commit` moves an
/// edge-triggered item's view on (a wait, not a peek).
fn item_events(k: &mut Kernel, it: &mut Item, commit: bool) -> u32 {
    if it.events & !PRIVATE_BITS == 0 {
        return 0;
    }
    let ready = k.poll_file(it.file) as u32 & it.events & !PRIVATE_BITS;
    if it.events & EPOLLET == 0 {
        return ready;
    }
    let wakeups = k.vfs.epolls.wakeups;
    let new = ready & !it.seen != 0 || (ready != 0 && wakeups != it.seen_wakeups);
    if commit {
        it.seen = ready;
        it.seen_wakeups = wakeups;
    }
    if new {
        ready
    } else {
        0
    }
}

/// Up to `max` ready events of instance `ep` (Linux: ep_send_events()):
/// EPOLLONESHOT items are disarmed once reported; items whose file is
/// gone are dropped. `max == 0` only asks whether any is ready.
///
/// Reported items go to the end of the list, so that a level-triggered
/// item still ready does not hide the others from a small `maxevents`
/// (Linux puts it back at the tail of the ready list).
pub fn collect(k: &mut Kernel, ep: u32, max: usize) -> Vec<EpollEvent> {
    let mut items = core::mem::take(&mut k.vfs.epolls.get_mut(ep).items);
    items.retain(|it| k.vfs.files.try_get(it.file).is_some());
    let mut out = Vec::new();
    let mut reported = Vec::new();
    let peek = max == 0;
    if k.vfs.epolls.depth < MAX_NESTS {
        k.vfs.epolls.depth += 1;
        let mut i = 0;
        while i < items.len() && (peek || out.len() < max) {
            let ev = item_events(k, &mut items[i], !peek);
            if ev == 0 {
                i += 1;
                continue;
            }
            out.push(EpollEvent { events: ev, data: items[i].data });
            if peek {
                break;
            }
            let mut it = items.remove(i);
            if it.events & EPOLLONESHOT != 0 {
                it.events &= PRIVATE_BITS;
            }
            reported.push(it);
        }
        k.vfs.epolls.depth -= 1;
    }
    items.extend(reported);
    // Nothing else can have changed the list meanwhile: the kernel is not
    // reentered, and an instance never reaches itself through its items
    // (ELOOP at EPOLL_CTL_ADD).
    k.vfs.epolls.get_mut(ep).items = items;
    out
}

pub struct Epoll;
pub static EPOLL: Epoll = Epoll;

impl FileOps for Epoll {
    event_file_ops!();

    /// Readable while some item has an event (Linux: ep_eventpoll_poll()).
    fn poll(&self, k: &mut Kernel, id: FileId) -> u16 {
        let ep = instance_of(k, id).expect("epoll ops on an epoll file");
        if collect(k, ep, 0).is_empty() {
            0
        } else {
            POLLIN | POLLRDNORM
        }
    }

    /// An anonymous inode: mode 0600 without a file type.
    fn stat(&self, k: &Kernel, id: FileId) -> SysResult<Stat> {
        Ok(super::anon_stat(k, id, 0o600))
    }

    /// Linux: anon_inode_getfile("[eventpoll]").
    fn d_path(&self, _k: &Kernel, _id: FileId) -> Vec<u8> {
        b"anon_inode:[eventpoll]".to_vec()
    }

    /// One `tfd:` line per item whose file is still open, by file then
    /// descriptor (Linux: ep_show_fdinfo() walks its tree in the order of
    /// the file pointers); `sdev` is the kernel's encoding of the file's
    /// device, major << 20 | minor.
    fn show_fdinfo(&self, k: &Kernel, id: FileId, _view: crate::ns::PidNsId, out: &mut Vec<u8>) {
        let Some(ep) = instance_of(k, id) else { return };
        let mut items: Vec<&Item> =
            k.vfs.epolls.get(ep).items.iter().filter(|it| k.vfs.files.try_get(it.file).is_some()).collect();
        items.sort_by_key(|it| (it.file, it.fd));
        for it in items {
            let f = k.vfs.files.get(it.file);
            let (ino, dev) = f.kind.ops().stat(k, it.file).map_or((0, 0), |s| (s.st_ino, s.st_dev));
            let sdev = (dev_major(dev) as u64) << 20 | dev_minor(dev) as u64;
            let line = alloc::format!(
                "tfd: {:8} events: {:8x} data: {:16x}  pos:{} ino:{ino:x} sdev:{sdev:x}\n",
                it.fd,
                it.events,
                it.data,
                f.offset
            );
            out.extend_from_slice(line.as_bytes());
        }
    }

    fn release(&self, k: &mut Kernel, _id: FileId, f: &crate::fs::file::OpenFile) {
        if let FileKind::Epoll { ep } = f.kind {
            k.vfs.epolls.instances.remove(&ep);
        }
    }
}
