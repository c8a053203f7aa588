//! mremap(2): grow, shrink or move a mapping (Linux: mm/mremap.c).
//!
//! A mapping that grows where it lies gets a longer VMA; one that must
//! move gets a new VMA where mmap would put it (or at MREMAP_FIXED's
//! address), and its page-table entries move over to it: the pages keep
//! their frames, so private pages stay private, shared ones shared, and
//! nothing is copied (Linux: move_vma() → move_page_tables()).

use super::aspace::{AddressSpace, MemCtx};
use super::consts::{MAP_FIXED, MAP_SHARED, PAGE_SHIFT, PAGE_SIZE, TASK_SIZE};
use super::pagetable::{read_pte, write_pte, Pte};
use super::vma::{VmFile, VmFlags, Vma};
use crate::abi::{Errno, EAGAIN, EFAULT, EINVAL, ENOMEM};

/// May move the mapping if it cannot grow in place.
pub const MREMAP_MAYMOVE: u32 = 1;
/// Move it to `new_addr`, replacing what is there.
pub const MREMAP_FIXED: u32 = 2;
/// Move the pages, leave the old mapping in place, empty.
pub const MREMAP_DONTUNMAP: u32 = 4;

fn page_align(len: u64) -> Option<u64> {
    len.checked_add(PAGE_SIZE - 1).map(|l| l & !(PAGE_SIZE - 1))
}

impl AddressSpace {
    /// Linux: the mremap system call. Returns the mapping's address.
    ///
    /// EINVAL for unknown flags, FIXED or DONTUNMAP without MAYMOVE,
    /// DONTUNMAP with a change of size, an unaligned address, a length
    /// of 0, overlapping old and new ranges, a private mapping "duplicated"
    /// with an old length of 0, a part of a special mapping; EFAULT when
    /// the old range is not one mapping or a special one would grow;
    /// EAGAIN past RLIMIT_MEMLOCK, ENOMEM past RLIMIT_AS or when it can
    /// neither grow in place nor move.
    pub fn mremap(
        &mut self,
        ctx: &mut MemCtx<'_>,
        addr: u64,
        old_len: u64,
        new_len: u64,
        flags: u32,
        new_addr: u64,
    ) -> Result<u64, Errno> {
        if flags & !(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP) != 0
            || (flags & MREMAP_FIXED != 0 && flags & MREMAP_MAYMOVE == 0)
            || (flags & MREMAP_DONTUNMAP != 0 && (flags & MREMAP_MAYMOVE == 0 || old_len != new_len))
            || !addr.is_multiple_of(PAGE_SIZE)
        {
            return Err(EINVAL);
        }
        let old_len = page_align(old_len).ok_or(EINVAL)?;
        let new_len = match page_align(new_len) {
            Some(0) | None => return Err(EINVAL),
            Some(l) => l,
        };
        // Linux: vma_lookup() first, whatever the sizes.
        if self.vmas.find(addr).is_none() {
            return Err(EFAULT);
        }
        if flags & (MREMAP_FIXED | MREMAP_DONTUNMAP) != 0 {
            return self.mremap_to(ctx, addr, old_len, new_len, flags, new_addr);
        }
        // Shrinking (or keeping the size) only unmaps the tail.
        if old_len >= new_len {
            if old_len > new_len {
                self.munmap(ctx, addr + new_len, old_len - new_len)?;
            }
            return Ok(addr);
        }
        let vma = self.vma_to_resize(addr, old_len, new_len, flags)?;
        let delta = new_len - old_len;
        // Up to the end of its VMA, with room after it: grow in place.
        if old_len == vma.end - addr
            && vma.end.checked_add(delta).is_some_and(|e| e <= TASK_SIZE)
            && self.vmas.is_free(vma.end, delta)
        {
            if vma.flags.contains(VmFlags::ACCOUNT) {
                self.vm_account(ctx, delta >> PAGE_SHIFT)?;
            }
            let grown = Vma {
                start: vma.end,
                end: vma.end + delta,
                file: vma.file.map(|f| VmFile { ino: f.ino, pgoff: f.pgoff + ((vma.end - vma.start) >> PAGE_SHIFT) }),
                ..vma
            };
            self.vmas.insert(grown);
            if vma.flags.contains(VmFlags::LOCKED) {
                self.populate_locked(ctx, grown.start, grown.end);
            }
            return Ok(addr);
        }
        if flags & MREMAP_MAYMOVE == 0 {
            return Err(ENOMEM);
        }
        let to = self.unmapped_area_for(&vma, 0, new_len, 0)?;
        self.move_vma(ctx, vma, addr, old_len, new_len, to, flags)
    }

    /// Linux: mremap_to(), for MREMAP_FIXED and MREMAP_DONTUNMAP.
    fn mremap_to(
        &mut self,
        ctx: &mut MemCtx<'_>,
        addr: u64,
        mut old_len: u64,
        new_len: u64,
        flags: u32,
        new_addr: u64,
    ) -> Result<u64, Errno> {
        if !new_addr.is_multiple_of(PAGE_SIZE) || new_len > TASK_SIZE || new_addr > TASK_SIZE - new_len {
            return Err(EINVAL);
        }
        if addr.saturating_add(old_len) > new_addr && new_addr + new_len > addr {
            return Err(EINVAL);
        }
        if flags & MREMAP_FIXED != 0 {
            self.munmap(ctx, new_addr, new_len)?;
        }
        if old_len > new_len {
            self.munmap(ctx, addr + new_len, old_len - new_len)?;
            old_len = new_len;
        }
        let vma = self.vma_to_resize(addr, old_len, new_len, flags)?;
        if flags & MREMAP_DONTUNMAP != 0 && !self.may_expand_vm(vma.prot, vma.flags, old_len >> PAGE_SHIFT) {
            return Err(ENOMEM);
        }
        let fixed = if flags & MREMAP_FIXED != 0 { MAP_FIXED } else { 0 };
        let to = self.unmapped_area_for(&vma, new_addr, new_len, fixed)?;
        self.move_vma(ctx, vma, addr, old_len, new_len, to, flags)
    }

    /// Where a moved `vma` of `len` bytes goes: what mmap would choose
    /// (Linux: get_unmapped_area() with the VMA's file and offset).
    fn unmapped_area_for(&self, vma: &Vma, hint: u64, len: u64, flags: u32) -> Result<u64, Errno> {
        let shared = if vma.is_shared() { MAP_SHARED } else { 0 };
        self.get_unmapped_area(hint, len, flags | shared)
    }

    /// Linux: vma_to_resize(): the VMA holding `[addr, addr + old_len)`,
    /// checked for growing to `new_len`.
    fn vma_to_resize(&self, addr: u64, old_len: u64, new_len: u64, flags: u32) -> Result<Vma, Errno> {
        let vma = *self.vmas.find(addr).ok_or(EFAULT)?;
        if old_len > vma.end - addr {
            return Err(EFAULT);
        }
        // Linux refuses to split a special mapping (special_mapping_split()).
        if vma.flags.contains(VmFlags::SPECIAL) && (addr != vma.start || old_len != vma.size()) {
            return Err(EINVAL);
        }
        // "Duplicating" a private mapping would give unrelated memory.
        if old_len == 0 && !vma.is_shared() {
            return Err(EINVAL);
        }
        if flags & MREMAP_DONTUNMAP != 0 && vma.flags.contains(VmFlags::SPECIAL) {
            return Err(EINVAL);
        }
        if new_len == old_len {
            return Ok(vma);
        }
        if let Some(f) = vma.file {
            let pgoff = f.pgoff + ((addr - vma.start) >> PAGE_SHIFT);
            if pgoff.checked_add(new_len >> PAGE_SHIFT).is_none() {
                return Err(EINVAL);
            }
        }
        if new_len > old_len {
            if vma.flags.contains(VmFlags::SPECIAL) {
                return Err(EFAULT);
            }
            if !self.mlock_future_ok(vma.flags, new_len - old_len) {
                return Err(EAGAIN);
            }
            if !self.may_expand_vm(vma.prot, vma.flags, (new_len - old_len) >> PAGE_SHIFT) {
                return Err(ENOMEM);
            }
        }
        Ok(vma)
    }

    /// Move `[addr, addr + old_len)` of `vma` to a new VMA of `new_len`
    /// bytes at `to`, its pages with it; the old range is unmapped, or
    /// with MREMAP_DONTUNMAP left mapped without pages. Linux: move_vma().
    #[allow(clippy::too_many_arguments)]
    fn move_vma(
        &mut self,
        ctx: &mut MemCtx<'_>,
        vma: Vma,
        addr: u64,
        old_len: u64,
        new_len: u64,
        to: u64,
        flags: u32,
    ) -> Result<u64, Errno> {
        let accounted = vma.flags.contains(VmFlags::ACCOUNT);
        if accounted {
            self.vm_account(ctx, new_len >> PAGE_SHIFT)?;
        }
        // Every table the new range needs, before anything moves: the move
        // itself then cannot fail half-way (Linux moves back instead).
        if let Err(e) = self.prepare_tables(ctx, to, to + old_len.min(new_len)) {
            if accounted {
                ctx.frames.commit.uncharge(new_len >> PAGE_SHIFT);
            }
            return Err(e);
        }
        // The target is free: mremap_to() unmapped MREMAP_FIXED's range,
        // and a hint is taken only where nothing is mapped.
        let new = Vma {
            start: to,
            end: to + new_len,
            file: vma.file.map(|f| VmFile { ino: f.ino, pgoff: f.pgoff + ((addr - vma.start) >> PAGE_SHIFT) }),
            ..vma
        };
        self.vmas.insert(new);
        self.move_ptes(ctx, addr, to, old_len.min(new_len));
        if flags & MREMAP_DONTUNMAP != 0 {
            // The old range stays, emptied; it is no longer locked.
            self.vmas.update(addr, addr + old_len, |v| v.flags -= super::mlock::LOCK_MASK);
        } else if old_len > 0 {
            self.unmap_range(ctx, addr, addr + old_len);
        }
        if new.flags.contains(VmFlags::LOCKED) && new_len > old_len {
            self.populate_locked(ctx, to + old_len, to + new_len);
        }
        Ok(to)
    }

    /// Allocate the page tables `[start, end)` needs.
    fn prepare_tables(&mut self, ctx: &mut MemCtx<'_>, start: u64, end: u64) -> Result<(), Errno> {
        self.unshare_range(ctx, start, end);
        let mut va = start;
        while va < end {
            if let Err(e) = self.pt.walk_alloc(ctx.frames, ctx.phys, va) {
                self.pt.prune(ctx.frames, ctx.phys, &mut ctx.tlb, start, end);
                return Err(e);
            }
            va += PAGE_SIZE;
        }
        Ok(())
    }

    /// Move the entries of `[from, from + len)` to `[to, to + len)`, whose
    /// tables exist; frames and their counts stay as they are. Linux:
    /// move_page_tables() → move_ptes().
    fn move_ptes(&mut self, ctx: &mut MemCtx<'_>, from: u64, to: u64, len: u64) {
        self.unshare_range(ctx, from, from + len);
        let mut moved: alloc::vec::Vec<(u64, Pte)> = alloc::vec::Vec::new();
        let MemCtx { phys, tlb, .. } = ctx;
        let _ = self.pt.for_each_leaf::<()>(*phys, from, from + len, &mut |va, slot, pte| {
            write_pte(*phys, slot, Pte::empty());
            if pte.is_present() {
                tlb.page(va);
            }
            moved.push((va, pte));
            Ok(())
        });
        for (va, pte) in moved {
            let slot = self.pt.walk(ctx.phys, to + (va - from)).expect("prepare_tables made the table");
            debug_assert!(read_pte(ctx.phys, slot).is_none());
            write_pte(ctx.phys, slot, pte);
        }
        self.pt.prune(ctx.frames, ctx.phys, &mut ctx.tlb, from, from + len);
    }
}
