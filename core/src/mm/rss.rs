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
