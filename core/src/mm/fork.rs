//! Copying an address space for fork (Linux: kernel/fork.c dup_mmap() and
//! mm/memory.c copy_page_range() / copy_present_pte()).
//!
//! Nothing is copied eagerly. Private pages end up read-only in both
//! parent and child with their frame's refcount raised; the first write on
//! either side takes a copy-on-write fault. Shared mappings stay shared:
//! the same frames, writable on both sides, and the same page-cache object
//! behind them, so pages either side touches later are shared too.

use super::aspace::{AddressSpace, MemCtx};
use super::pagetable::{write_pte, Pte, PteFlags, PMD_SIZE};
use super::ptshare::skipped_by_fork;
use super::vma::{VmFlags, Vma};
use crate::abi::Errno;
use crate::cpumask::CpuMask;
use alloc::vec::Vec;

impl AddressSpace {
    /// A copy-on-write duplicate of this address space for a child.
    /// `ctx.tlb` is *this* (parent) address space's: write-protecting its
    /// PTEs flushes them on every CPU it is loaded on. On ENOMEM the child is torn down again
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
        child.share_min = self.share_min;
        child.exe = self.exe;
        child.saved_auxv = self.saved_auxv.clone();
        child.args = self.args;
        let mut wrprotected = false;
        let copied = self.copy_mappings(ctx, &mut child, &mut wrprotected);
        // One TLB flush for the whole parent once its writable PTEs have
        // been made read-only, rather than one per page (Linux:
        // flush_tlb_mm() at the end of dup_mmap()). It must happen before
        // the parent runs again, on failure too.
        if wrprotected {
            ctx.flush_all();
        }
        match copied {
            Ok(()) => {
                // Linux: dup_mm(): hiwater_rss starts at the pages shared.
                child.hiwater = child.rss.total();
                Ok(child)
            }
            Err(e) => {
                child.release(&mut ctx.reborrow(CpuMask::EMPTY));
                Err(e)
            }
        }
    }

    fn copy_mappings(
        &mut self,
        ctx: &mut MemCtx<'_>,
        child: &mut AddressSpace,
        wrprotected: &mut bool,
    ) -> Result<(), Errno> {
        let vmas: Vec<Vma> = self.vmas.iter().copied().collect();
        for vma in &vmas {
            if vma.flags.contains(VmFlags::DONTFORK) {
                continue;
            }
            // Linux: dup_mmap() clears VM_LOCKED: the child locks nothing.
            let mut copy = *vma;
            copy.flags.remove(VmFlags::LOCKED | VmFlags::LOCKONFAULT);
            // Linux: dup_mmap() commits each accounted mapping again for
            // the child; a refusal fails the fork with ENOMEM.
            if copy.flags.contains(VmFlags::ACCOUNT) {
                self.vm_account(ctx, copy.size() >> super::consts::PAGE_SHIFT)?;
            }
            child.vmas.insert_unmerged(copy);
            if let Some(f) = vma.file {
                // Linux: get_file() on the child VMA's vm_file.
                child.hold_object(ctx, f.ino, copy.flags.contains(VmFlags::WRITER));
            }
        }
        // Linux: copy_page_range() for each VMA; here per 2 MiB leaf table,
        // shared whole where every mapping in it is copied unchanged (see
        // ptshare), entry by entry where some mapping is left out.
        let phys = ctx.phys;
        let mut shared_upto = 0;
        for vma in vmas.iter().filter(|v| !skipped_by_fork(v)) {
            let mut va = vma.start;
            while va < vma.end {
                let region = va & !(PMD_SIZE - 1);
                let next = (region + PMD_SIZE).min(vma.end);
                if region >= shared_upto && self.pt.leaf_table(phys, region).is_some() {
                    if self.leaf_table_forkable(region) {
                        *wrprotected |= self.pt.share_leaf_table(child.pt, ctx.frames, phys, region)?;
                        shared_upto = region + PMD_SIZE;
                        ctx.trace(crate::trace::Event::PtShare, || {
                            let pfn = self.pt.leaf_table(phys, region).unwrap_or(0) >> 12;
                            crate::trace::Payload::Frame { address: region, pfn }
                        });
                    } else {
                        self.copy_pte_range(ctx, child, vma, va, next, wrprotected)?;
                    }
                }
                va = next;
            }
        }
        // The child maps what we map, less the mappings fork leaves out.
        child.rss = self.rss;
        for v in vmas.iter().filter(|v| skipped_by_fork(v)) {
            child.rss.remove(self.pt.resident_in(ctx.frames, phys, v.start, v.end));
        }
        Ok(())
    }

    /// Share every mapped page of `[start, end)` (part of `vma`) with
    /// `child` through a leaf table of the child's own; `wrprotected` is
    /// set when a parent PTE lost its write permission (the caller
    /// flushes). Our table may itself be shared: clearing write bits in
    /// it is allowed (see ptshare), and the child's table takes its own
    /// reference on each frame. Linux: copy_pte_range().
    fn copy_pte_range(
        &mut self,
        ctx: &mut MemCtx<'_>,
        child: &mut AddressSpace,
        vma: &Vma,
        start: u64,
        end: u64,
        wrprotected: &mut bool,
    ) -> Result<(), Errno> {
        let private = !vma.is_shared();
        let MemCtx { frames, phys, .. } = ctx;
        let phys = *phys;
        // The child's leaf table, walked to once per 2 MiB rather than once
        // per entry. Linux: the pte_alloc_map() at the top of copy_pte_range().
        let mut child_table: Option<(u64, u64)> = None;
        self.pt.for_each_leaf(phys, start, end, &mut |va, slot, pte: Pte| {
            // Allocate the child's table before touching anything, so that
            // a failure leaves both sides consistent.
            let region = va & !(PMD_SIZE - 1);
            let table = match child_table {
                Some((r, t)) if r == region => t,
                _ => {
                    let t = child.pt.walk_alloc(frames, phys, region)?;
                    child_table = Some((region, t));
                    t
                }
            };
            let child_slot = table + ((va - region) >> 12) * 8;
            frames.get(pte.addr());
            let mut shared_pte = pte;
            if private && pte.is_writable() {
                // Linux: ptep_set_wrprotect() on the parent, and the child
                // gets the same read-only entry.
                shared_pte = pte.clear(PteFlags::WRITABLE);
                write_pte(phys, slot, shared_pte);
                *wrprotected = true;
            }
            // Linux: pte_mkold() for the child.
            write_pte(phys, child_slot, shared_pte.clear(PteFlags::ACCESSED));
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::ENOMEM;
    use crate::mm::consts::*;
    use crate::mm::fault::FaultError;
    use crate::mm::sim::{byte, Env, ANON, BASE, P, RW};
    use crate::mm::vma::Prot;
    use std::vec::Vec;

    #[test]
    fn cow_after_fork_gives_independent_copies() {
        let mut env = Env::new(256);
        let mut parent = env.aspace();
        // A whole leaf table's worth, so that fork shares the table
        // (ptshare; a partly covered table is copied, as in the tests below).
        parent.mmap(&mut env.ctx(), BASE, PMD_SIZE, RW, ANON | MAP_FIXED).unwrap();
        parent.user_write(&mut env.ctx(), BASE, &[1]).unwrap(); // page 0: private frame
        parent.user_read(&mut env.ctx(), BASE + P, &mut [0]).unwrap(); // page 1: zero frame
                                                                       // page 2: untouched
        let f0 = parent.pte(&env.mem, BASE).addr();
        let zero = env.frames.zero_frame();
        let zrefs = env.frames.refcount(zero);
        let used = env.used();

        env.mmu.clear_log();
        let full = *env.mmu.full_flushes.lock().unwrap();
        let mut child = parent.fork(&mut env.live()).unwrap();
        assert_eq!(
            env.used(),
            used + 4,
            "child root, PDPT and PD, and one frame reserved to unshare the leaf table: no data copied"
        );
        assert_eq!(
            *env.mmu.full_flushes.lock().unwrap(),
            full + 1,
            "the live parent's PMD lost write access: one flush"
        );
        let table = parent.leaf_table(&env.mem, BASE).unwrap();
        assert_eq!(child.leaf_table(&env.mem, BASE), Some(table), "one leaf table for both");
        assert!(parent.leaf_table_readonly(&env.mem, BASE) && child.leaf_table_readonly(&env.mem, BASE));
        assert_eq!(env.frames.refcount(table), 2);
        assert_eq!(env.frames.refcount(f0), 1, "frames count tables, not address spaces");
        assert_eq!(env.frames.refcount(zero), zrefs);
        for a in [&parent, &child] {
            let p = a.pte(&env.mem, BASE);
            assert_eq!(p.addr(), f0);
            assert!(!p.is_writable());
            assert_eq!(a.pte(&env.mem, BASE + P).addr(), zero);
            assert!(a.pte(&env.mem, BASE + 2 * P).is_none(), "untouched stays untouched");
        }
        assert_eq!(child.resident_pages(), 1);
        assert_eq!(child.vmas().collect::<Vec<_>>(), parent.vmas().collect::<Vec<_>>());

        // Child writes: it gets its own leaf table (every frame in it now
        // has two references), then its own copy of the page. Parent keeps
        // the original.
        child.user_write(&mut env.ctx(), BASE, &[2]).unwrap();
        assert_ne!(child.leaf_table(&env.mem, BASE), Some(table));
        assert_eq!(env.frames.refcount(table), 1);
        assert_eq!(env.frames.refcount(zero), zrefs + 1);
        let c0 = child.pte(&env.mem, BASE).addr();
        assert_ne!(c0, f0);
        assert_eq!(env.frames.refcount(f0), 1);
        assert_eq!(byte(&mut parent, &mut env, BASE), 1);
        assert_eq!(byte(&mut child, &mut env, BASE), 2);

        // Parent writes: its table is its own again (the PMD just becomes
        // writable) and the frame's refcount is 1, so it is reused in place.
        let before = env.used();
        parent.user_write(&mut env.ctx(), BASE, &[3]).unwrap();
        assert_eq!(parent.leaf_table(&env.mem, BASE), Some(table));
        assert!(!parent.leaf_table_readonly(&env.mem, BASE));
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
        a.mmap(&mut env.ctx(), BASE, PMD_SIZE, RW, ANON | MAP_FIXED).unwrap();
        a.user_write(&mut env.ctx(), BASE, &[1]).unwrap();
        let f = a.pte(&env.mem, BASE).addr();
        let mut b = a.fork(&mut env.ctx()).unwrap();
        let mut c = b.fork(&mut env.ctx()).unwrap();
        let table = a.leaf_table(&env.mem, BASE).unwrap();
        assert_eq!(env.frames.refcount(table), 3);
        assert_eq!(env.frames.refcount(f), 1);
        // b unshares (f gains the reference of b's table) and copies.
        b.user_write(&mut env.ctx(), BASE, &[2]).unwrap();
        assert_eq!([env.frames.refcount(table), env.frames.refcount(f)], [2, 1]);
        // a unshares too, then copies: c's (the old) table still maps f.
        a.user_write(&mut env.ctx(), BASE, &[3]).unwrap();
        assert_eq!([env.frames.refcount(table), env.frames.refcount(f)], [1, 1]);
        assert_ne!(a.pte(&env.mem, BASE).addr(), f, "a copied: c still mapped it");
        let before = env.used();
        c.user_write(&mut env.ctx(), BASE, &[4]).unwrap();
        assert_eq!(c.pte(&env.mem, BASE).addr(), f, "last one reuses");
        assert_eq!(env.used(), before);
        assert_eq!(
            [byte(&mut a, &mut env, BASE), byte(&mut b, &mut env, BASE), byte(&mut c, &mut env, BASE)],
            [3, 2, 4]
        );
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
        // Tables only partly covered by mappings are copied entry by entry.
        assert_ne!(b.leaf_table(&env.mem, 0x40_0000), a.leaf_table(&env.mem, 0x40_0000));
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
        // Pages spread over several page tables, plus shared memory (which
        // fork does not populate: its object shares the untouched pages).
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
            let forked = a.fork(&mut env.ctx());
            match forked {
                Err(e) => {
                    assert_eq!(e, ENOMEM);
                    failures += 1;
                    assert_eq!(env.frames.stats(), before, "spare={spare}");
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

#[cfg(test)]
mod oom_tests {
    use super::*;
    use crate::abi::ENOMEM;
    use crate::fs::ramfs::RamFs;
    use crate::mm::consts::*;
    use crate::mm::mmap::MapFile;
    use crate::mm::pagecache;
    use crate::mm::sim::{Env, ANON, P, RW};
    use crate::mm::vma::Prot;
    use std::vec::Vec;

    /// Fork fails at each of its frame allocations in turn: every time it
    /// says ENOMEM, leaves no frame and no reference behind, and the
    /// parent still reads what it wrote and can write again (its pages,
    /// write-protected on the way, are reused, not copied).
    #[test]
    fn fork_fails_cleanly_at_every_allocation() {
        let mut env = Env::new(1024);
        let mut fs = RamFs::new();
        let ino = fs.create(&crate::fs::FsCred::ROOT, fs.root(), b"f", 0o644, 0).unwrap();
        fs.write_at(ino, 0, &[0x11; 2 * P as usize], 0).unwrap();
        let mut a = env.aspace();
        // Private pages spread over several page tables, written.
        let private = [0x40_0000u64, 0x4000_0000, 0x80_0000_0000, 0x7f00_0000_0000];
        for &base in &private {
            a.mmap(&mut env.ctx(), base, 4 * P, RW, ANON | MAP_FIXED).unwrap();
        }
        // Read-only text filled by a loader, an untouched mapping, shared
        // anonymous memory (one page written), a shared file mapping.
        a.map_fixed_region(&mut env.ctx(), 0x1000_0000, 2 * P, Prot::READ | Prot::EXEC, VmFlags::empty()).unwrap();
        a.write_forced(&mut env.ctx(), 0x1000_0000, &[0xc3; 2 * P as usize]).unwrap();
        a.mmap(&mut env.ctx(), 0x2000_0000, 8 * P, RW, ANON | MAP_FIXED).unwrap();
        let sh = a.mmap(&mut env.ctx(), 0, 3 * P, RW, MAP_SHARED | MAP_ANONYMOUS).unwrap();
        {
            let Env { frames, mem, pagecache: pc, .. } = &mut env;
            pagecache::attach(&fs, pc, frames, mem, ino).unwrap();
        }
        let mf = MapFile::file(ino, 0);
        let file = a.mmap_file(&mut env.ctx(), 0, 2 * P, RW, MAP_SHARED, &mf).unwrap();
        a.user_write(&mut env.ctx(), file, &[0x22]).unwrap();
        let written: Vec<u64> = private.iter().flat_map(|&b| [b, b + 2 * P]).chain([sh]).collect();

        let mut value = 1u8;
        let check = |a: &mut AddressSpace, env: &mut Env, value: u8| {
            for &va in &written {
                let mut b = [0u8; 2];
                a.user_read(&mut env.ctx(), va, &mut b).unwrap();
                assert_eq!(b, [value; 2], "at {va:#x}");
            }
            let mut t = [0u8];
            a.user_read(&mut env.ctx(), 0x1000_0000 + P, &mut t).unwrap();
            assert_eq!(t, [0xc3]);
            a.user_read(&mut env.ctx(), file, &mut t).unwrap();
            assert_eq!(t, [0x22]);
        };
        for &va in &written {
            a.user_write(&mut env.ctx(), va, &[value; 2]).unwrap();
        }

        let mut failures = 0;
        for n in 0.. {
            let before = env.frames.stats();
            let refs: Vec<u32> = written.iter().map(|&va| env.frames.refcount(a.pte(&env.mem, va).addr())).collect();
            env.frames.fail_after(Some(n));
            let r = a.fork(&mut env.live());
            env.frames.fail_after(None);
            match r {
                Err(e) => {
                    assert_eq!(e, ENOMEM);
                    failures += 1;
                    assert_eq!(env.frames.stats(), before, "fork failing at allocation {n} leaked");
                    let now: Vec<u32> =
                        written.iter().map(|&va| env.frames.refcount(a.pte(&env.mem, va).addr())).collect();
                    assert_eq!(now, refs, "references left behind by allocation {n}");
                    check(&mut a, &mut env, value);
                    // Writing again needs no new frame: the write-protected
                    // private pages are reused in place.
                    value += 1;
                    let used = env.used();
                    for &va in &written {
                        a.user_write(&mut env.ctx(), va, &[value; 2]).unwrap();
                    }
                    assert_eq!(env.used(), used);
                }
                Ok(mut child) => {
                    check(&mut child, &mut env, value);
                    for &va in &written {
                        child.user_write(&mut env.ctx(), va, &[0xee; 2]).unwrap();
                    }
                    // Shared memory is shared; the rest was copied.
                    let mut b = [0u8];
                    a.user_read(&mut env.ctx(), sh, &mut b).unwrap();
                    assert_eq!(b, [0xee]);
                    a.user_read(&mut env.ctx(), private[0], &mut b).unwrap();
                    assert_eq!(b, [value]);
                    child.release(&mut env.ctx());
                    break;
                }
            }
        }
        assert!(failures >= 10, "only {failures} allocations: the test did not exercise partial forks");
        a.release(&mut env.ctx());
        let Env { frames, mem, pagecache: pc, .. } = &mut env;
        pagecache::reclaim(&mut fs, pc, frames, mem, 0);
        env.check_baseline();
    }
}
