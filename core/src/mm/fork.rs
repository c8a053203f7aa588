//! Copying an address space for fork (Linux: kernel/fork.c dup_mmap() and
//! mm/memory.c copy_page_range() / copy_present_pte()).
//!
//! Nothing is copied eagerly. Private pages end up read-only in both
//! parent and child with their frame's refcount raised; the first write on
//! either side takes a copy-on-write fault. Shared mappings stay shared:
//! the same frames, writable on both sides.

use super::aspace::{leaf_flags, AddressSpace, MemCtx};
use super::consts::PAGE_SIZE;
use super::pagetable::{write_pte, Pte, PteFlags};
use super::vma::{Prot, Vma, VmFlags};
use crate::abi::{Errno, ENOMEM};

impl AddressSpace {
    /// A copy-on-write duplicate of this address space for a child.
    /// `ctx.mmu` describes *this* (parent) address space: write-protecting
    /// its live PTEs flushes them. On ENOMEM the child is torn down again
    /// and no frame is leaked; parent PTEs that were already made read-only
    /// stay so, which is harmless: the next write fault finds the frame
    /// unshared and just makes it writable again.
    /// Linux: dup_mm() → dup_mmap().
    pub fn fork(&mut self, ctx: &mut MemCtx<'_>) -> Result<AddressSpace, Errno> {
        // The child's kernel half is the same as ours.
        let mut child = AddressSpace::new(ctx, self.pt.root())?;
        child.start_brk = self.start_brk;
        child.brk = self.brk;
        child.mmap_base = self.mmap_base;
        match self.copy_mappings(ctx, &mut child) {
            Ok(()) => Ok(child),
            Err(e) => {
                child.release(&mut MemCtx { frames: ctx.frames, phys: ctx.phys, mmu: None });
                Err(e)
            }
        }
    }

    fn copy_mappings(&mut self, ctx: &mut MemCtx<'_>, child: &mut AddressSpace) -> Result<(), Errno> {
        let vmas: alloc::vec::Vec<Vma> = self.vmas.iter().copied().collect();
        for vma in vmas {
            if vma.flags.contains(VmFlags::DONTFORK) {
                continue;
            }
            child.vmas.insert_unmerged(vma);
            if vma.flags.contains(VmFlags::WIPEONFORK) && !vma.is_shared() {
                continue; // the child starts with fresh zero pages
            }
            if vma.is_shared() {
                self.populate_shared(ctx, &vma)?;
            }
            self.copy_page_range(ctx, child, &vma)?;
        }
        Ok(())
    }

    /// Share every mapped page of `vma` with `child`. Linux: copy_page_range().
    fn copy_page_range(&mut self, ctx: &mut MemCtx<'_>, child: &mut AddressSpace, vma: &Vma) -> Result<(), Errno> {
        let zero = ctx.frames.zero_frame();
        let private = !vma.is_shared();
        let MemCtx { frames, phys, mmu } = ctx;
        let (phys, mmu) = (*phys, *mmu);
        self.pt.for_each_leaf(phys, vma.start, vma.end, &mut |va, slot, pte: Pte| {
            // Allocate the child's table before touching anything, so that
            // a failure leaves both sides consistent.
            let child_slot = child.pt.walk_alloc(frames, phys, va)?;
            frames.get(pte.addr());
            let mut shared_pte = pte;
            if private && pte.is_writable() {
                // Linux: ptep_set_wrprotect() on the parent, and the child
                // gets the same read-only entry.
                shared_pte = pte.clear(PteFlags::WRITABLE);
                write_pte(phys, slot, shared_pte);
                if let Some(mmu) = mmu {
                    mmu.flush_page(va);
                }
            }
            // Linux: pte_mkold() for the child.
            write_pte(phys, child_slot, shared_pte.clear(PteFlags::ACCESSED));
            if pte.addr() != zero {
                child.rss += 1;
            }
            Ok(())
        })
    }

    /// Give every page of a shared mapping a frame of its own before fork,
    /// so that parent and child, faulting later, cannot end up with
    /// different frames. (Linux backs shared anonymous memory with a shmem
    /// file instead; Tine has no page cache yet.)
    fn populate_shared(&mut self, ctx: &mut MemCtx<'_>, vma: &Vma) -> Result<(), Errno> {
        for va in (vma.start..vma.end).step_by(PAGE_SIZE as usize) {
            if self.pt.get(ctx.phys, va).is_mapped() {
                continue;
            }
            let frame = ctx.frames.alloc_zeroed(ctx.phys).ok_or(ENOMEM)?;
            self.replace_pte(ctx, va, Pte::new(frame, leaf_flags(vma, vma.prot.contains(Prot::WRITE))))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mm::consts::*;
    use crate::mm::fault::FaultError;
    use crate::mm::sim::Env;
    use std::vec::Vec;

    const P: u64 = PAGE_SIZE;
    const RW: u32 = PROT_READ | PROT_WRITE;
    const ANON: u32 = MAP_PRIVATE | MAP_ANONYMOUS;
    const BASE: u64 = 0x4000_0000;

    fn byte(a: &mut AddressSpace, env: &mut Env, va: u64) -> u8 {
        let mut b = [0];
        a.user_read(&mut env.ctx(), va, &mut b).unwrap();
        b[0]
    }

    #[test]
    fn cow_after_fork_gives_independent_copies() {
        let mut env = Env::new(256);
        let mut parent = env.aspace();
        parent.mmap(&mut env.ctx(), BASE, 3 * P, RW, ANON | MAP_FIXED).unwrap();
        parent.user_write(&mut env.ctx(), BASE, &[1]).unwrap(); // page 0: private frame
        parent.user_read(&mut env.ctx(), BASE + P, &mut [0]).unwrap(); // page 1: zero frame
        // page 2: untouched
        let f0 = parent.pte(&env.mem, BASE).addr();
        let zero = env.frames.zero_frame();
        let zrefs = env.frames.refcount(zero);
        let used = env.used();

        env.mmu.clear_log();
        let mut child = parent.fork(&mut env.live()).unwrap();
        assert_eq!(env.used(), used + 4, "child root + 3 tables, no data copied");
        assert_eq!(env.mmu.flushed_pages(), [BASE], "the live parent PTE lost write access");
        assert_eq!(env.frames.refcount(f0), 2);
        assert_eq!(env.frames.refcount(zero), zrefs + 1);
        for a in [&parent, &child] {
            let p = a.pte(&env.mem, BASE);
            assert_eq!(p.addr(), f0);
            assert!(!p.is_writable());
            assert_eq!(a.pte(&env.mem, BASE + P).addr(), zero);
            assert!(a.pte(&env.mem, BASE + 2 * P).is_none(), "untouched stays untouched");
        }
        assert_eq!(child.resident_pages(), 1);
        assert_eq!(child.vmas().collect::<Vec<_>>(), parent.vmas().collect::<Vec<_>>());

        // Child writes: copy. Parent keeps the original.
        child.user_write(&mut env.ctx(), BASE, &[2]).unwrap();
        let c0 = child.pte(&env.mem, BASE).addr();
        assert_ne!(c0, f0);
        assert_eq!(env.frames.refcount(f0), 1);
        assert_eq!(byte(&mut parent, &mut env, BASE), 1);
        assert_eq!(byte(&mut child, &mut env, BASE), 2);

        // Parent writes: refcount is 1 now, so the frame is reused in place.
        let before = env.used();
        parent.user_write(&mut env.ctx(), BASE, &[3]).unwrap();
        assert_eq!(parent.pte(&env.mem, BASE).addr(), f0, "reuse, no copy");
        assert_eq!(env.used(), before);
        assert_eq!(byte(&mut child, &mut env, BASE), 2);

        // Zero-frame page and untouched page: each side gets its own.
        child.user_write(&mut env.ctx(), BASE + P, &[4]).unwrap();
        parent.user_write(&mut env.ctx(), BASE + 2 * P, &[5]).unwrap();
        assert_eq!(byte(&mut parent, &mut env, BASE + P), 0);
        assert_eq!(byte(&mut child, &mut env, BASE + 2 * P), 0);
        // The parent's zero-frame page is still there; the child's read of
        // its untouched page mapped the zero frame too.
        assert_eq!(env.frames.refcount(zero), zrefs + 1);

        child.release(&mut env.ctx());
        parent.release(&mut env.ctx());
        env.check_baseline();
    }

    #[test]
    fn grandchildren_share_until_each_writes() {
        let mut env = Env::new(256);
        let mut a = env.aspace();
        a.mmap(&mut env.ctx(), BASE, P, RW, ANON | MAP_FIXED).unwrap();
        a.user_write(&mut env.ctx(), BASE, &[1]).unwrap();
        let f = a.pte(&env.mem, BASE).addr();
        let mut b = a.fork(&mut env.ctx()).unwrap();
        let mut c = b.fork(&mut env.ctx()).unwrap();
        assert_eq!(env.frames.refcount(f), 3);
        b.user_write(&mut env.ctx(), BASE, &[2]).unwrap();
        assert_eq!(env.frames.refcount(f), 2);
        a.user_write(&mut env.ctx(), BASE, &[3]).unwrap();
        assert_eq!(env.frames.refcount(f), 1);
        assert_ne!(a.pte(&env.mem, BASE).addr(), f, "a copied: c still mapped it");
        let before = env.used();
        c.user_write(&mut env.ctx(), BASE, &[4]).unwrap();
        assert_eq!(c.pte(&env.mem, BASE).addr(), f, "last one reuses");
        assert_eq!(env.used(), before);
        assert_eq!([byte(&mut a, &mut env, BASE), byte(&mut b, &mut env, BASE), byte(&mut c, &mut env, BASE)], [3, 2, 4]);
        for x in [a, b, c] {
            x.release(&mut env.ctx());
        }
        env.check_baseline();
    }

    #[test]
    fn readonly_and_shared_mappings() {
        let mut env = Env::new(256);
        let mut a = env.aspace();
        // Read-only text filled by the loader.
        a.map_fixed_region(&mut env.ctx(), 0x40_0000, P, Prot::READ | Prot::EXEC, VmFlags::empty()).unwrap();
        a.write_forced(&mut env.ctx(), 0x40_0000, &[0xc3]).unwrap();
        let text = a.pte(&env.mem, 0x40_0000).addr();
        // Shared anonymous memory, one page touched, one not.
        let sh = a.mmap(&mut env.ctx(), 0, 2 * P, RW, MAP_SHARED | MAP_ANONYMOUS).unwrap();
        a.user_write(&mut env.ctx(), sh, &[1]).unwrap();

        let mut b = a.fork(&mut env.live()).unwrap();
        assert_eq!(b.pte(&env.mem, 0x40_0000).addr(), text);
        assert_eq!(env.frames.refcount(text), 2);
        assert!(a.pte(&env.mem, sh).is_writable() && b.pte(&env.mem, sh).is_writable(), "shared stays writable");
        // Writes through shared memory are seen on both sides, also on the
        // page that was untouched at fork time.
        b.user_write(&mut env.ctx(), sh, &[7]).unwrap();
        b.user_write(&mut env.ctx(), sh + P, &[8]).unwrap();
        assert_eq!(byte(&mut a, &mut env, sh), 7);
        assert_eq!(byte(&mut a, &mut env, sh + P), 8);
        assert_eq!(b.user_write(&mut env.ctx(), 0x40_0000, &[0]), Err(FaultError::AccErr));
        a.release(&mut env.ctx());
        assert_eq!(byte(&mut b, &mut env, sh), 7);
        b.release(&mut env.ctx());
        env.check_baseline();
    }

    #[test]
    fn dontfork_and_wipeonfork() {
        let mut env = Env::new(256);
        let mut a = env.aspace();
        let anon = VmFlags::ANONYMOUS;
        a.map_fixed_region(&mut env.ctx(), BASE, P, Prot::RW, anon | VmFlags::DONTFORK).unwrap();
        a.map_fixed_region(&mut env.ctx(), BASE + 2 * P, P, Prot::RW, anon | VmFlags::WIPEONFORK).unwrap();
        a.user_write(&mut env.ctx(), BASE, &[1]).unwrap();
        a.user_write(&mut env.ctx(), BASE + 2 * P, &[1]).unwrap();
        let mut b = a.fork(&mut env.ctx()).unwrap();
        assert!(b.find_vma(BASE).is_none());
        assert_eq!(byte(&mut b, &mut env, BASE + 2 * P), 0);
        assert_eq!(byte(&mut a, &mut env, BASE + 2 * P), 1);
        a.release(&mut env.ctx());
        b.release(&mut env.ctx());
        env.check_baseline();
    }

    #[test]
    fn fork_out_of_memory_undoes_everything() {
        let mut env = Env::new(512);
        let mut a = env.aspace();
        // Pages spread over several page tables, plus shared memory that
        // fork has to populate.
        for (i, base) in [0x40_0000u64, 0x4000_0000, 0x80_0000_0000, 0x7f00_0000_0000].into_iter().enumerate() {
            a.mmap(&mut env.ctx(), base, 4 * P, RW, ANON | MAP_FIXED).unwrap();
            a.user_write(&mut env.ctx(), base, &[i as u8 + 1; 3 * P as usize]).unwrap();
        }
        let sh = a.mmap(&mut env.ctx(), 0, 3 * P, RW, MAP_SHARED | MAP_ANONYMOUS).unwrap();
        a.user_write(&mut env.ctx(), sh, &[9]).unwrap();

        let mut failures = 0;
        for spare in 0.. {
            let mut hog = Vec::new();
            while env.frames.stats().free > spare {
                hog.push(env.frames.alloc().unwrap());
            }
            let before = env.frames.stats();
            let parent_rss = a.resident_pages();
            match a.fork(&mut env.ctx()) {
                Err(e) => {
                    assert_eq!(e, ENOMEM);
                    failures += 1;
                    // Populated shared pages stay with the parent; nothing else
                    // is kept.
                    let populated = a.resident_pages() - parent_rss;
                    assert_eq!(env.frames.stats().used, before.used + populated, "spare={spare}");
                    for f in hog {
                        env.frames.put(f);
                    }
                }
                Ok(mut b) => {
                    for f in hog {
                        env.frames.put(f);
                    }
                    for base in [0x40_0000u64, 0x4000_0000, 0x80_0000_0000, 0x7f00_0000_0000] {
                        b.user_write(&mut env.ctx(), base, &[0xee]).unwrap();
                        assert_ne!(byte(&mut a, &mut env, base), 0xee);
                    }
                    b.user_write(&mut env.ctx(), sh + 2 * P, &[0xdd]).unwrap();
                    assert_eq!(byte(&mut a, &mut env, sh + 2 * P), 0xdd);
                    b.release(&mut env.ctx());
                    break;
                }
            }
        }
        assert!(failures > 5, "the test did not exercise partial forks");
        a.release(&mut env.ctx());
        env.check_baseline();
    }
}
