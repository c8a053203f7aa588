//! Resident pages by kind (Linux: the per-mm counters MM_ANONPAGES,
//! MM_FILEPAGES and MM_SHMEMPAGES of `mm->rss_stat`).
//!
//! What kind a mapped page is follows from its frame, not from the VMA
//! that maps it: the page cache marks the frames it holds
//! ([`FrameFlags::FILE`], [`FrameFlags::SHMEM`]) and every other frame a
//! PTE points at is anonymous. So a private file mapping's page counts as
//! a file page until a write copies it, and the copy as anonymous, as in
//! Linux's mm_counter(). A frame keeps its mark until it is freed, so the
//! kind that was counted when a PTE was installed is the kind uncounted
//! when it goes, whatever the cache did in between.
//!
//! The counters are kept wherever a PTE is installed or removed
//! ([`AddressSpace`](super::AddressSpace)'s `account` and `zap`, fork and
//! the shared leaf tables of [`super::ptshare`]), so reading them costs no
//! page-table walk. The shared zero frame is never counted, as Linux
//! leaves out its zero page, nor the [vvar] pages (Linux maps them by page
//! frame number); the vDSO's count as file pages, as in Linux.

use super::frame::{FrameAllocator, FrameFlags};
use super::pagetable::{PageTable, Pte};
use crate::machine::PhysMem;

/// Linux: `enum { MM_FILEPAGES, MM_ANONPAGES, MM_SHMEMPAGES }`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RssKind {
    Anon,
    File,
    Shmem,
}

/// The kind of page frame `pa` holds, or None for the zero frame (never
/// counted). Linux: mm_counter() / mm_counter_file().
pub fn kind_of(frames: &FrameAllocator, pa: u64) -> Option<RssKind> {
    let flags = frames.flags(pa);
    if pa == frames.zero_frame() || flags.contains(FrameFlags::UNCOUNTED) {
        return None;
    }
    Some(if flags.contains(FrameFlags::SHMEM) {
        RssKind::Shmem
    } else if flags.contains(FrameFlags::FILE) {
        RssKind::File
    } else {
        RssKind::Anon
    })
}

/// Resident pages of an address space, by kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rss {
    pub anon: usize,
    pub file: usize,
    pub shmem: usize,
}

impl Rss {
    /// Every resident page (VmRSS). Linux: get_mm_rss().
    pub fn total(&self) -> usize {
        self.anon + self.file + self.shmem
    }

    /// Count `pte` (a mapped entry) in or out. Linux: add_mm_counter().
    pub(super) fn add(&mut self, frames: &FrameAllocator, pte: Pte, delta: isize) {
        if !pte.is_mapped() {
            return;
        }
        let Some(kind) = kind_of(frames, pte.addr()) else { return };
        let n = match kind {
            RssKind::Anon => &mut self.anon,
            RssKind::File => &mut self.file,
            RssKind::Shmem => &mut self.shmem,
        };
        *n = n.checked_add_signed(delta).expect("rss underflow");
    }

    /// Take away pages counted in `other`, a part of these.
    pub(super) fn remove(&mut self, other: Rss) {
        let sub = |a: usize, b: usize| a.checked_sub(b).expect("rss underflow");
        self.anon = sub(self.anon, other.anon);
        self.file = sub(self.file, other.file);
        self.shmem = sub(self.shmem, other.shmem);
    }
}

impl PageTable {
    /// The resident pages mapped in `[start, end)`, by kind (a walk: for
    /// the rare paths that hand a whole range over at once, never for
    /// reading the counters).
    pub fn resident_in(self, frames: &FrameAllocator, phys: &dyn PhysMem, start: u64, end: u64) -> Rss {
        let mut rss = Rss::default();
        let _ = self.for_each_leaf::<()>(phys, start, end, &mut |_, _, pte| {
            rss.add(frames, pte, 1);
            Ok(())
        });
        rss
    }
}

/// How much of an address space others see too, for the `tine:mm_rss`
/// trace event (Linux has no such count: its /proc/PID/smaps walks for
/// Shared_* the same way).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sharing {
    /// Anonymous pages whose frame another address space maps too: still
    /// shared copy-on-write since a fork, or reached through a shared
    /// leaf table.
    pub shared: usize,
    /// Entries that map the shared zero frame (counted in no RSS).
    pub zero: usize,
    /// Leaf tables this address space shares with another (mm/ptshare.rs).
    pub pt_shared: usize,
}

impl super::AddressSpace {
    /// Walk the mapped pages and count what is shared (a walk of every
    /// VMA: only while `tine:mm_rss` is enabled).
    pub fn sharing(&self, frames: &FrameAllocator, phys: &dyn PhysMem) -> Sharing {
        let mut s = Sharing::default();
        // The 2 MiB region last looked at, and whether its table is shared.
        let mut table: Option<(u64, bool)> = None;
        for v in self.vmas() {
            let _ = self.pt.for_each_leaf::<()>(phys, v.start, v.end, &mut |va, _, pte| {
                if !pte.is_mapped() {
                    return Ok(());
                }
                let region = va >> 21;
                let in_shared_table = match table {
                    Some((r, shared)) if r == region => shared,
                    _ => {
                        let shared = self.pt.shared_leaf_table(frames, phys, va).is_some();
                        s.pt_shared += shared as usize;
                        table = Some((region, shared));
                        shared
                    }
                };
                let pa = pte.addr();
                if pa == frames.zero_frame() {
                    s.zero += 1;
                } else if kind_of(frames, pa) == Some(RssKind::Anon) && (in_shared_table || frames.refcount(pa) > 1) {
                    s.shared += 1;
                }
                Ok(())
            });
        }
        s
    }
}
