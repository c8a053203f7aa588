//! Leaf page tables shared across fork: Tine's faster fork.
//!
//! Linux's fork visits every PTE of the parent (copy_page_range()): it
//! takes a reference on each frame and write-protects each private page.
//! With transparent huge pages it copies one PMD entry per 2 MiB instead,
//! which is why Debian's Linux forks a 1 GiB parent quickly. Tine goes one
//! level up without huge pages: a 2 MiB region whose leaf table the child
//! would copy unchanged gets the *same* leaf table, reached from both
//! address spaces through a PMD entry whose write bit is clear. The MMU
//! then refuses every write in those 2 MiB on both sides, so neither can
//! change a page behind the other's back. The first change to a PTE there
//! (a write fault, a new page, munmap, mprotect) first gives the address
//! space a table of its own: *unsharing* does the per-PTE work Linux does
//! at fork, later, and only for the tables that need it. Fork becomes
//! O(leaf tables) instead of O(pages); a child that execs or exits soon
//! copies nothing at all. The idea is Zhao, Gong and Fonseca's
//! "On-demand-fork" (EuroSys 2021).
//!
//! The rules, on top of [`super::frame`]'s and [`super::aspace`]'s:
//! - a leaf table with more than one reference is reached only through
//!   read-only PMD entries;
//! - its frames carry one reference for the table, whatever the number
//!   of sharers: a frame's refcount counts tables, not address spaces, so
//!   "refcount 1" means "mapped only here" only in a table of one's own;
//! - for each sharer beyond the first one frame is reserved
//!   ([`FrameAllocator::reserve`]), so unsharing never fails: munmap and
//!   truncation cannot return ENOMEM on Linux, and here they need not;
//! - a read-only PMD entry whose table has a single reference is a table
//!   the other sharers have left: unsharing just makes the entry writable.

use super::aspace::{AddressSpace, MemCtx};
use super::frame::{FrameAllocator, FrameFlags};
use super::pagetable::{read_pte, write_pte, PageTable, Pte, PteFlags, ENTRIES, PMD_SIZE};
use super::rss::Rss;
use super::vma::{VmFlags, Vma};
use super::vmstat::VmEvent;
use crate::abi::{Errno, ENOMEM};
use crate::machine::PhysMem;
use alloc::vec::Vec;

/// What [`PageTable::unshare_leaf_table`] had to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unshared {
    /// The table was already this address space's alone (or missing).
    Already,
    /// The other sharers had gone: the PMD entry became writable.
    Reclaimed,
    /// The table was copied; the old one stays with the other sharers.
    /// The caller flushes the TLB, which may hold the old table's entries.
    Copied,
}

impl PageTable {
    /// The leaf table mapping `va`, if there is one.
    pub fn leaf_table(self, phys: &dyn PhysMem, va: u64) -> Option<u64> {
        let pmd = read_pte(phys, self.pmd_slot(phys, va)?);
        pmd.is_present().then(|| pmd.addr())
    }

    /// Whether `va`'s leaf table is reached through a read-only PMD entry,
    /// as a table shared by fork is.
    pub fn leaf_table_readonly(self, phys: &dyn PhysMem, va: u64) -> bool {
        self.pmd_slot(phys, va).map(|s| read_pte(phys, s)).is_some_and(|pmd| pmd.is_present() && !pmd.is_writable())
    }

    /// The leaf table mapping `va` if other address spaces use it too.
    pub fn shared_leaf_table(self, frames: &FrameAllocator, phys: &dyn PhysMem, va: u64) -> Option<u64> {
        self.leaf_table(phys, va).filter(|&t| frames.refcount(t) > 1)
    }

    /// Give `child` this tree's leaf table for the 2 MiB around `va`,
    /// read-only on both sides. Returns whether our PMD entry lost its
    /// write bit (then the caller flushes our TLB). Fails, changing
    /// nothing, when the child's upper tables or the reserved frame cannot
    /// be had. Linux: what copy_pmd_range() does for a huge PMD
    /// (copy_huge_pmd()), done here for a table of 4 KiB pages.
    pub fn share_leaf_table(
        self,
        child: PageTable,
        frames: &mut FrameAllocator,
        phys: &dyn PhysMem,
        va: u64,
    ) -> Result<bool, Errno> {
        let ours = self.pmd_slot(phys, va).expect("sharing a missing table");
        let pmd = read_pte(phys, ours);
        debug_assert!(pmd.is_present());
        let theirs = child.pmd_slot_alloc(frames, phys, va)?;
        if !frames.reserve() {
            return Err(ENOMEM);
        }
        frames.get(pmd.addr());
        frames.events.count(VmEvent::PtShare);
        let shared = pmd.clear(PteFlags::WRITABLE);
        write_pte(phys, theirs, shared.clear(PteFlags::ACCESSED));
        if pmd.is_writable() {
            write_pte(phys, ours, shared);
            return Ok(true);
        }
        Ok(false)
    }

    /// Make the leaf table for `va` this tree's alone before a PTE in it
    /// changes. A shared table is copied: every frame it maps gets a
    /// reference for the copy, and `cow(va)` says which writable pages
    /// must from now on be copied on write, so those lose their write bit
    /// in both tables (the other sharers reach the old table read-only,
    /// so they need no flush). Linux: copy_pte_range() and
    /// copy_present_pte(), deferred from fork to here.
    pub fn unshare_leaf_table(
        self,
        frames: &mut FrameAllocator,
        phys: &dyn PhysMem,
        va: u64,
        cow: &mut impl FnMut(u64) -> bool,
    ) -> Unshared {
        let Some(pmd_slot) = self.pmd_slot(phys, va) else { return Unshared::Already };
        let pmd = read_pte(phys, pmd_slot);
        if !pmd.is_present() || pmd.is_writable() {
            return Unshared::Already;
        }
        let old = pmd.addr();
        if frames.refcount(old) == 1 {
            write_pte(phys, pmd_slot, pmd.set(PteFlags::WRITABLE));
            return Unshared::Reclaimed;
        }
        let new = frames.alloc_reserved();
        frames.set_flags(new, FrameFlags::PAGE_TABLE);
        let base = va & !(PMD_SIZE - 1);
        // A chunk of entries at a time: a few accesses of the machine's
        // memory per table instead of two or three per entry.
        const CHUNK: usize = 64;
        let mut chunk = [0u64; CHUNK];
        for first in (0..ENTRIES as usize).step_by(CHUNK) {
            let at = first as u64 * 8;
            phys.read(old + at, zerocopy::IntoBytes::as_mut_bytes(&mut chunk[..]));
            let mut write_protected = false;
            for (i, e) in chunk.iter_mut().enumerate() {
                let pte = Pte::from_bits(*e);
                if !pte.is_none() {
                    frames.get(pte.addr());
                    if pte.is_writable() && cow(base + (((first + i) as u64) << 12)) {
                        *e = pte.clear(PteFlags::WRITABLE).bits();
                        write_protected = true;
                    }
                }
            }
            if write_protected {
                phys.write(old + at, zerocopy::IntoBytes::as_bytes(&chunk[..]));
            }
            phys.write(new + at, zerocopy::IntoBytes::as_bytes(&chunk[..]));
        }
        write_pte(phys, pmd_slot, Pte::new(new, PteFlags::TABLE));
        // Our reference on the old table goes; the reservation that came
        // with it paid for the copy.
        frames.put(old);
        frames.events.count(VmEvent::PtUnshare);
        Unshared::Copied
    }

    /// Leave a shared leaf table to its other sharers: clear our PMD
    /// entry, drop our reference, and hand back the reserved frame.
    /// Returns the resident pages we stop mapping.
    pub fn drop_shared_leaf_table(self, frames: &mut FrameAllocator, phys: &dyn PhysMem, va: u64) -> Rss {
        let pmd_slot = self.pmd_slot(phys, va).expect("dropping a missing table");
        let table = read_pte(phys, pmd_slot).addr();
        debug_assert!(frames.refcount(table) > 1);
        let base = va & !(PMD_SIZE - 1);
        let pages = self.resident_in(frames, phys, base, base + PMD_SIZE);
        write_pte(phys, pmd_slot, Pte::empty());
        super::pagetable::free_table(frames, table);
        pages
    }
}

impl AddressSpace {
    /// Make every leaf table covering `[start, end)` this address space's
    /// own, so that its PTEs may change. Flushes when a table was copied.
    pub(super) fn unshare_range(&mut self, ctx: &mut MemCtx<'_>, start: u64, end: u64) {
        let mut copied = false;
        let mut va = start & !(PMD_SIZE - 1);
        while va < end {
            // A writable PMD entry (the usual case) says there is nothing
            // to do; the VMA scan is only for tables that may be shared.
            if self.pt.leaf_table_readonly(ctx.phys, va) {
                let private = private_ranges(self.vmas.overlapping(va, va + PMD_SIZE));
                let mut cow = |a: u64| private.iter().any(|&(lo, hi)| lo <= a && a < hi);
                // Looked up only for the event: a walk per table otherwise.
                let old = if ctx.trace.is_some() { self.pt.leaf_table(ctx.phys, va).unwrap_or(0) } else { 0 };
                if self.pt.unshare_leaf_table(ctx.frames, ctx.phys, va, &mut cow) == Unshared::Copied {
                    copied = true;
                    let new = self.pt.leaf_table(ctx.phys, va).unwrap_or(0);
                    ctx.trace(crate::trace::Event::PtUnshare, || crate::trace::Payload::Frames {
                        address: va,
                        old_pfn: old >> 12,
                        new_pfn: new >> 12,
                    });
                }
            }
            va += PMD_SIZE;
        }
        if copied {
            ctx.flush_all();
        }
    }

    /// Get `[start, end)` ready to be unmapped: shared leaf tables that lie
    /// wholly inside it are left to their other sharers (Linux frees a
    /// whole PMD's worth in free_pgtables() the same way), and the ones it
    /// cuts through are unshared.
    pub(super) fn unshare_for_zap(&mut self, ctx: &mut MemCtx<'_>, start: u64, end: u64) {
        let mut dropped = false;
        let mut va = start;
        while va < end {
            let region = va & !(PMD_SIZE - 1);
            let next = (region + PMD_SIZE).min(end);
            if va == region
                && next == region + PMD_SIZE
                && self.pt.shared_leaf_table(ctx.frames, ctx.phys, region).is_some()
            {
                let gone = self.pt.drop_shared_leaf_table(ctx.frames, ctx.phys, region);
                self.rss.remove(gone);
                dropped = true;
            } else {
                self.unshare_range(ctx, va, next);
            }
            va = next;
        }
        if dropped {
            ctx.flush_all();
        }
    }

    /// Whether fork should hand the child the parent's leaf table for the
    /// 2 MiB at `va` as it is. It may only when every mapping there is
    /// copied to the child unchanged; it pays when the table belongs to a
    /// mapping of 2 MiB or more, which can fill it. A table holding only
    /// small mappings is a small process's stack, data or text: few
    /// entries, cheap to copy now, and written by parent and child right
    /// after fork, when unsharing would copy all 512 slots twice.
    pub(super) fn leaf_table_forkable(&self, va: u64) -> bool {
        let mut large = false;
        for v in self.vmas.overlapping(va, va + PMD_SIZE) {
            if skipped_by_fork(v) {
                return false;
            }
            large |= v.size() >= self.share_min;
        }
        large
    }
}

/// Whether fork leaves `vma`'s pages out of the child: MADV_DONTFORK
/// mappings are not in the child at all, and private MADV_WIPEONFORK ones
/// start empty there.
pub(super) fn skipped_by_fork(vma: &Vma) -> bool {
    vma.flags.contains(VmFlags::DONTFORK) || (vma.flags.contains(VmFlags::WIPEONFORK) && !vma.is_shared())
}

/// The address ranges of the private mappings among `vmas`: the pages a
/// shared table hands out copy-on-write once it is unshared.
fn private_ranges<'a>(vmas: impl Iterator<Item = &'a Vma>) -> Vec<(u64, u64)> {
    vmas.filter(|v| !v.is_shared()).map(|v| (v.start, v.end)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mm::consts::*;
    use crate::mm::fault::FaultError;
    use crate::mm::sim::{byte, Env, ANON, BASE, P, RW};
    use std::vec::Vec;

    /// Two leaf tables' worth of private memory, a few pages written in
    /// each, and a child forked from it.
    fn forked(env: &mut Env) -> (AddressSpace, AddressSpace) {
        let mut parent = env.aspace();
        parent.mmap(&mut env.ctx(), BASE, 2 * PMD_SIZE, RW, ANON | MAP_FIXED).unwrap();
        for i in 0..4 {
            parent.user_write(&mut env.ctx(), BASE + i * PMD_SIZE / 2, &[i as u8 + 1]).unwrap();
        }
        let child = parent.fork(&mut env.live()).unwrap();
        (parent, child)
    }

    fn tables(a: &AddressSpace, env: &Env) -> [Option<u64>; 2] {
        [a.leaf_table(&env.mem, BASE), a.leaf_table(&env.mem, BASE + PMD_SIZE)]
    }

    #[test]
    fn fork_shares_each_leaf_table_once() {
        let mut env = Env::new(512);
        let (parent, child) = forked(&mut env);
        assert_eq!(tables(&parent, &env), tables(&child, &env));
        for t in tables(&parent, &env) {
            assert_eq!(env.frames.refcount(t.unwrap()), 2);
        }
        assert_eq!(child.resident_pages(), 4);
        assert_eq!(child.resident_pages(), parent.resident_pages());
        parent.release(&mut env.ctx());
        // The child is the tables' only user now: its exit frees them.
        child.release(&mut env.ctx());
        env.check_baseline();
    }

    #[test]
    fn munmap_of_a_whole_shared_table_copies_nothing() {
        let mut env = Env::new(512);
        let (mut parent, mut child) = forked(&mut env);
        let [t0, t1] = tables(&parent, &env);
        let used = env.used();
        child.munmap(&mut env.ctx(), BASE, PMD_SIZE).unwrap();
        assert_eq!(child.leaf_table(&env.mem, BASE), None);
        assert_eq!(env.frames.refcount(t0.unwrap()), 1, "the parent's alone again");
        assert_eq!(env.used(), used - 1, "only the reserved frame came back");
        assert_eq!(child.resident_pages(), 2);
        assert_eq!(tables(&child, &env)[1], t1, "the other table is still shared");
        assert_eq!(byte(&mut parent, &mut env, BASE + PMD_SIZE / 2), 2);
        // The parent's first write there takes the table back: no copy.
        parent.user_write(&mut env.ctx(), BASE, &[9]).unwrap();
        assert_eq!(parent.leaf_table(&env.mem, BASE), t0);
        assert_eq!(env.used(), used - 1);
        parent.release(&mut env.ctx());
        child.release(&mut env.ctx());
        env.check_baseline();
    }

    #[test]
    fn a_partial_change_unshares_only_the_table_it_touches() {
        let mut env = Env::new(512);
        let (mut parent, mut child) = forked(&mut env);
        let [t0, t1] = tables(&parent, &env);
        let f = parent.pte(&env.mem, BASE + PMD_SIZE / 2).addr();
        let used = env.used();
        // munmap of one page: the child gets a copy of the first table.
        child.munmap(&mut env.ctx(), BASE, P).unwrap();
        let [c0, c1] = tables(&child, &env);
        assert!(c0.is_some() && c0 != t0);
        assert_eq!(c1, t1);
        assert_eq!(env.used(), used, "the copy used the reserved frame; the unmapped page is still the parent's");
        assert_eq!(env.frames.refcount(f), 2, "mapped by the parent's and the child's table");
        assert!(!parent.pte(&env.mem, BASE + PMD_SIZE / 2).is_writable(), "copy-on-write now");
        // mprotect in the second table: that one is unshared too.
        child.mprotect(&mut env.ctx(), BASE + PMD_SIZE, P, PROT_READ).unwrap();
        assert_ne!(child.leaf_table(&env.mem, BASE + PMD_SIZE), t1);
        assert_eq!(child.user_write(&mut env.ctx(), BASE + PMD_SIZE, &[0]), Err(FaultError::AccErr));
        parent.user_write(&mut env.ctx(), BASE + PMD_SIZE, &[7]).unwrap();
        assert_eq!(byte(&mut child, &mut env, BASE + PMD_SIZE), 3);
        assert_eq!(byte(&mut parent, &mut env, BASE + PMD_SIZE), 7);
        assert_eq!(byte(&mut parent, &mut env, BASE), 1, "the parent keeps what the child unmapped");
        parent.release(&mut env.ctx());
        child.release(&mut env.ctx());
        env.check_baseline();
    }

    #[test]
    fn a_mapping_fork_leaves_out_makes_its_table_copied() {
        let mut env = Env::new(512);
        let mut parent = env.aspace();
        parent.mmap(&mut env.ctx(), BASE, 4 * P, RW, ANON | MAP_FIXED).unwrap();
        parent.user_write(&mut env.ctx(), BASE, &[1; 4 * P as usize]).unwrap();
        parent.madvise(&mut env.ctx(), BASE + 2 * P, P, MADV_DONTFORK).unwrap();
        parent.madvise(&mut env.ctx(), BASE + 3 * P, P, MADV_WIPEONFORK).unwrap();
        let mut child = parent.fork(&mut env.ctx()).unwrap();
        assert_ne!(child.leaf_table(&env.mem, BASE), parent.leaf_table(&env.mem, BASE));
        assert_eq!(child.resident_pages(), 2, "neither the DONTFORK nor the WIPEONFORK page");
        assert_eq!(child.user_write(&mut env.ctx(), BASE + 2 * P, &[0]), Err(FaultError::MapErr));
        assert_eq!(byte(&mut child, &mut env, BASE + 3 * P), 0);
        assert_eq!(byte(&mut child, &mut env, BASE + P), 1);
        parent.release(&mut env.ctx());
        child.release(&mut env.ctx());
        env.check_baseline();
    }

    #[test]
    fn unsharing_works_with_memory_exhausted() {
        let mut env = Env::new(512);
        let (mut parent, mut child) = forked(&mut env);
        let mut hog = Vec::new();
        while let Some(f) = env.frames.alloc() {
            hog.push(f);
        }
        // Both tables become the child's own without a free frame...
        child.munmap(&mut env.ctx(), BASE, P).unwrap();
        child.mprotect(&mut env.ctx(), BASE + PMD_SIZE, P, PROT_READ).unwrap();
        // ...and the parent has them back to itself.
        for t in tables(&parent, &env) {
            assert_eq!(env.frames.refcount(t.unwrap()), 1);
        }
        // A copy-on-write copy still needs memory, as on Linux.
        assert_eq!(child.user_write(&mut env.ctx(), BASE + PMD_SIZE / 2, &[0]), Err(FaultError::Oom));
        for f in hog {
            env.frames.put(f);
        }
        assert_eq!(byte(&mut parent, &mut env, BASE + PMD_SIZE / 2), 2);
        parent.release(&mut env.ctx());
        child.release(&mut env.ctx());
        env.check_baseline();
    }

    #[test]
    fn a_failed_fork_leaves_no_reservation_behind() {
        let mut env = Env::new(512);
        let mut parent = env.aspace();
        parent.mmap(&mut env.ctx(), BASE, 2 * PMD_SIZE, RW, ANON | MAP_FIXED).unwrap();
        parent.user_write(&mut env.ctx(), BASE, &[1]).unwrap();
        parent.user_write(&mut env.ctx(), BASE + PMD_SIZE, &[2]).unwrap();
        let before = env.frames.stats();
        for n in 0.. {
            env.frames.fail_after(Some(n));
            let r = parent.fork(&mut env.ctx());
            env.frames.fail_after(None);
            match r {
                Ok(child) => {
                    assert!(n >= 5, "root, PDPT, PD and two reservations: {n}");
                    child.release(&mut env.ctx());
                    break;
                }
                Err(e) => assert_eq!(e, ENOMEM),
            }
            assert_eq!(env.frames.stats(), before, "fork failing at allocation {n}");
        }
        assert_eq!(env.frames.stats(), before);
        crate::mm::sim::finish(env, parent);
    }
}
