//! madvise() on an [`AddressSpace`] (Linux: mm/madvise.c).
//!
//! Most advice is a hint Tine has no use for (read-ahead, huge pages, KSM,
//! core dumps, reclaim) and is accepted after Linux's checks. What changes
//! what a program sees is implemented: MADV_DONTNEED (the pages go; the
//! next touch finds zeros, or the file's or shared memory's page again),
//! MADV_DONTFORK / MADV_DOFORK and MADV_WIPEONFORK / MADV_KEEPONFORK (what
//! fork gives the child), and MADV_POPULATE_READ / _WRITE (fault in now,
//! reporting what would have failed).

use super::aspace::{AddressSpace, MemCtx};
use super::consts::*;
use super::fault::{Access, FaultError};
use super::vma::{Prot, VmFlags, Vma};
use crate::abi::{Errno, EACCES, EFAULT, EINVAL, ENOMEM, EOPNOTSUPP};

/// Linux: madvise_behavior_valid(), for a kernel with KSM and transparent
/// huge pages but without CONFIG_MEMORY_FAILURE (MADV_HWPOISON and
/// MADV_SOFT_OFFLINE would poison memory) and older than the guard-page
/// advice of Linux 6.13 (MADV_GUARD_INSTALL / _REMOVE, which Tine does not
/// implement and so must not accept).
fn behavior_valid(advice: i32) -> bool {
    matches!(advice, MADV_NORMAL..=MADV_DONTNEED | MADV_FREE..=MADV_COLLAPSE)
}

impl AddressSpace {
    /// Apply `advice` to `[start, start + len)`. Linux: do_madvise().
    ///
    /// EINVAL for unknown advice, an unaligned `start` or a range that
    /// wraps; `len` rounds up to whole pages and 0 does nothing. The advice
    /// is applied VMA by VMA, splitting VMAs at the range's ends; a gap in
    /// the range gives ENOMEM once the mapped parts are done, while an
    /// error from one VMA (EINVAL for MADV_WIPEONFORK on shared or file
    /// memory) stops there, leaving the VMAs before it changed.
    pub fn madvise(&mut self, ctx: &mut MemCtx<'_>, start: u64, len: u64, advice: i32) -> Result<(), Errno> {
        if !behavior_valid(advice) || !is_page_aligned(start) {
            return Err(EINVAL);
        }
        // Linux: "len was rounded up from small -ve to zero", and wrap.
        let len = page_ceil(len).ok_or(EINVAL)?;
        let end = start.checked_add(len).ok_or(EINVAL)?;
        if end == start {
            return Ok(());
        }
        if matches!(advice, MADV_POPULATE_READ | MADV_POPULATE_WRITE) {
            return self.madvise_populate(ctx, start, end, advice == MADV_POPULATE_WRITE);
        }
        // Linux: madvise_walk_vmas().
        let mut unmapped = false;
        let mut cur = start;
        while cur < end {
            let Some(vma) = self.vmas.find_from(cur).copied() else {
                return Err(ENOMEM);
            };
            if cur < vma.start {
                unmapped = true;
                cur = vma.start;
                if cur >= end {
                    break;
                }
            }
            let hi = vma.end.min(end);
            self.madvise_vma(ctx, &vma, cur, hi, advice)?;
            cur = hi;
        }
        if unmapped {
            Err(ENOMEM)
        } else {
            Ok(())
        }
    }

    /// Apply `advice` to `[lo, hi)`, which lies inside `vma`.
    /// Linux: madvise_vma_behavior().
    fn madvise_vma(&mut self, ctx: &mut MemCtx<'_>, vma: &Vma, lo: u64, hi: u64, advice: i32) -> Result<(), Errno> {
        // Private anonymous memory; shared anonymous memory has a shmem
        // object behind it, as in Linux. Linux: vma_is_anonymous().
        let anonymous = vma.file.is_none();
        match advice {
            MADV_DONTFORK => self.vmas.update(lo, hi, |v| v.flags |= VmFlags::DONTFORK),
            MADV_DOFORK => self.vmas.update(lo, hi, |v| v.flags -= VmFlags::DONTFORK),
            MADV_WIPEONFORK => {
                // Only private anonymous memory can be wiped.
                if !anonymous || vma.is_shared() {
                    return Err(EINVAL);
                }
                self.vmas.update(lo, hi, |v| v.flags |= VmFlags::WIPEONFORK);
            }
            MADV_KEEPONFORK => self.vmas.update(lo, hi, |v| v.flags -= VmFlags::WIPEONFORK),
            MADV_DONTNEED | MADV_DONTNEED_LOCKED => self.madvise_dontneed(ctx, lo, hi),
            // Lazy freeing may keep the contents until memory runs short,
            // which here is never; only its check remains.
            // Linux: madvise_free_single_vma().
            MADV_FREE if !anonymous => return Err(EINVAL),
            // Punching a hole in the backing object would have to unmap it
            // from every address space; Tine's file system reports it cannot
            // punch holes, as some Linux file systems do (vfs_fallocate()).
            // Linux: madvise_remove().
            MADV_REMOVE if anonymous => return Err(EINVAL),
            MADV_REMOVE if !vma.is_shared() || vma.flags.contains(VmFlags::NO_MAYWRITE) => return Err(EACCES),
            MADV_REMOVE => return Err(EOPNOTSUPP),
            _ => {}
        }
        Ok(())
    }

    /// Drop the pages of `[lo, hi)`: private anonymous memory reads as
    /// zeros on the next touch, private file pages as the file again, and
    /// shared pages come back from their object (only this process's PTEs
    /// go). Frames are released and live TLB entries flushed.
    /// Linux: madvise_dontneed_single_vma() → zap_page_range_single().
    fn madvise_dontneed(&mut self, ctx: &mut MemCtx<'_>, lo: u64, hi: u64) {
        self.zap(ctx, lo, hi);
    }

    /// Fault in `[start, end)` for reading or writing, as a user access
    /// would but without signals: ENOMEM where nothing is mapped (or no
    /// memory is left), EINVAL where the mapping does not allow the
    /// access, EFAULT beyond the end of a mapped file.
    /// Linux: madvise_populate() → faultin_page_range().
    fn madvise_populate(&mut self, ctx: &mut MemCtx<'_>, start: u64, end: u64, write: bool) -> Result<(), Errno> {
        let access = if write { Access::Write } else { Access::Read };
        for va in (start..end).step_by(PAGE_SIZE as usize) {
            let vma = *self.vmas.find(va).ok_or(ENOMEM)?;
            let allowed = if write { vma.prot.contains(Prot::WRITE) } else { vma.prot.is_accessible() };
            if !allowed {
                return Err(EINVAL);
            }
            match self.simulate_access(ctx, va, access) {
                Ok(_) => {}
                Err(FaultError::Oom) => return Err(ENOMEM),
                Err(FaultError::Bus) => return Err(EFAULT),
                Err(FaultError::MapErr) => return Err(ENOMEM),
                Err(FaultError::AccErr) => return Err(EINVAL),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mm::sim::{byte, Env, ANON, BASE, P, RW};
    use crate::mm::vma::VmFlags;
    use std::vec::Vec;

    fn flags(a: &AddressSpace) -> Vec<(u64, u64, VmFlags)> {
        a.vmas().map(|v| (v.start, v.end, v.flags)).collect()
    }

    #[test]
    fn argument_checks_follow_linux() {
        let mut env = Env::new(128);
        let mut a = env.aspace();
        a.mmap(&mut env.ctx(), BASE, 2 * P, RW, ANON | MAP_FIXED).unwrap();
        let mut ctx = env.ctx();
        let c = &mut ctx;
        assert_eq!(a.madvise(c, BASE, P, 5), Err(EINVAL), "5..=7 are not advice");
        assert_eq!(a.madvise(c, BASE, P, -1), Err(EINVAL));
        assert_eq!(a.madvise(c, BASE, P, MADV_GUARD_INSTALL), Err(EINVAL), "not implemented, so not accepted");
        assert_eq!(a.madvise(c, BASE, P, MADV_HWPOISON), Err(EINVAL));
        assert_eq!(a.madvise(c, BASE + 1, P, MADV_NORMAL), Err(EINVAL), "unaligned start");
        assert_eq!(a.madvise(c, BASE, u64::MAX - 10, MADV_NORMAL), Err(EINVAL), "length rounds up past 2^64");
        assert_eq!(a.madvise(c, !(P - 1), 2 * P, MADV_NORMAL), Err(EINVAL), "range wraps");
        assert_eq!(a.madvise(c, BASE + 1, 0, MADV_NORMAL), Err(EINVAL), "alignment is checked before the length");
        assert_eq!(a.madvise(c, 0x1000, 0, MADV_DONTNEED), Ok(()), "empty range: nothing to do, not even ENOMEM");
        assert_eq!(a.madvise(c, BASE, 1, MADV_WILLNEED), Ok(()), "length rounds up to a page");
        for advice in [
            MADV_NORMAL,
            MADV_RANDOM,
            MADV_SEQUENTIAL,
            MADV_FREE,
            MADV_HUGEPAGE,
            MADV_NOHUGEPAGE,
            MADV_MERGEABLE,
            MADV_COLD,
            MADV_PAGEOUT,
            MADV_DODUMP,
            MADV_COLLAPSE,
        ] {
            assert_eq!(a.madvise(c, BASE, 2 * P, advice), Ok(()), "advice {advice}");
        }
        assert_eq!(a.madvise(c, BASE, P, MADV_REMOVE), Err(EINVAL), "private anonymous memory has no backing store");
        assert_eq!(a.madvise(c, TASK_SIZE, P, MADV_NORMAL), Err(ENOMEM), "nothing mapped there");
        a.release(c);
        drop(ctx);
        env.check_baseline();
    }

    #[test]
    fn dontfork_splits_and_keeps_the_range_out_of_the_child() {
        let mut env = Env::new(256);
        let mut a = env.aspace();
        a.mmap(&mut env.ctx(), BASE, 4 * P, RW, ANON | MAP_FIXED).unwrap();
        a.user_write(&mut env.ctx(), BASE, &[1; 4 * P as usize]).unwrap();
        a.madvise(&mut env.ctx(), BASE + P, 2 * P - 100, MADV_DONTFORK).unwrap();
        let anon = VmFlags::ANONYMOUS | VmFlags::ACCOUNT;
        assert_eq!(
            flags(&a),
            [
                (BASE, BASE + P, anon),
                (BASE + P, BASE + 3 * P, anon | VmFlags::DONTFORK),
                (BASE + 3 * P, BASE + 4 * P, anon)
            ]
        );
        let mut b = a.fork(&mut env.ctx()).unwrap();
        assert_eq!(byte(&mut b, &mut env, BASE), 1);
        assert_eq!(b.user_read(&mut env.ctx(), BASE + P, &mut [0]), Err(FaultError::MapErr));
        assert_eq!(byte(&mut b, &mut env, BASE + 3 * P), 1);
        // The parent's pages there were never shared: no copy-on-write.
        assert!(a.pte(&env.mem, BASE + P).is_writable());
        // MADV_DOFORK undoes it, and the pieces merge again.
        a.madvise(&mut env.ctx(), BASE + P, 2 * P, MADV_DOFORK).unwrap();
        assert_eq!(flags(&a), [(BASE, BASE + 4 * P, anon)]);
        let mut c = a.fork(&mut env.ctx()).unwrap();
        assert_eq!(byte(&mut c, &mut env, BASE + 2 * P), 1);
        for x in [a, b, c] {
            x.release(&mut env.ctx());
        }
        env.check_baseline();
    }

    #[test]
    fn wipeonfork_only_on_private_anonymous_memory() {
        let mut env = Env::new(256);
        let mut a = env.aspace();
        a.mmap(&mut env.ctx(), BASE, 2 * P, RW, ANON | MAP_FIXED).unwrap();
        a.mmap(&mut env.ctx(), BASE + 2 * P, P, RW, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED).unwrap();
        a.user_write(&mut env.ctx(), BASE, &[7; 3 * P as usize]).unwrap();
        // The private part before the shared VMA is changed, then EINVAL.
        assert_eq!(a.madvise(&mut env.ctx(), BASE + P, 2 * P, MADV_WIPEONFORK), Err(EINVAL));
        assert!(a.find_vma(BASE + P).unwrap().flags.contains(VmFlags::WIPEONFORK));
        assert!(!a.find_vma(BASE).unwrap().flags.contains(VmFlags::WIPEONFORK));
        let mut b = a.fork(&mut env.ctx()).unwrap();
        assert_eq!(
            [byte(&mut b, &mut env, BASE), byte(&mut b, &mut env, BASE + P), byte(&mut b, &mut env, BASE + 2 * P)],
            [7, 0, 7]
        );
        assert_eq!(byte(&mut a, &mut env, BASE + P), 7, "the parent keeps its data");
        // The child inherits the setting; KEEPONFORK clears it.
        assert!(b.find_vma(BASE + P).unwrap().flags.contains(VmFlags::WIPEONFORK));
        a.madvise(&mut env.ctx(), BASE, 2 * P, MADV_KEEPONFORK).unwrap();
        let mut c = a.fork(&mut env.ctx()).unwrap();
        assert_eq!(byte(&mut c, &mut env, BASE + P), 7);
        for x in [a, b, c] {
            x.release(&mut env.ctx());
        }
        env.check_baseline();
    }

    #[test]
    fn dontneed_zaps_private_memory_and_flushes() {
        let mut env = Env::new(256);
        let mut a = env.aspace();
        a.mmap(&mut env.live(), BASE, 3 * P, RW, ANON | MAP_FIXED).unwrap();
        a.user_write(&mut env.live(), BASE, &[5; 3 * P as usize]).unwrap();
        let used = env.used();
        env.mmu.clear_log();
        a.madvise(&mut env.live(), BASE, 2 * P, MADV_DONTNEED).unwrap();
        assert_eq!(env.used(), used - 2, "frames released");
        assert_eq!(env.mmu.flushed_pages(), [BASE, BASE + P]);
        assert_eq!(a.resident_pages(), 1);
        assert_eq!(a.vmas().count(), 1, "the mapping stays");
        assert_eq!(byte(&mut a, &mut env, BASE), 0, "next touch reads zeros");
        assert_eq!(byte(&mut a, &mut env, BASE + 2 * P), 5);

        // After fork, DONTNEED in the child only drops the child's share.
        let mut b = a.fork(&mut env.ctx()).unwrap();
        let f = a.pte(&env.mem, BASE + 2 * P).addr();
        assert_eq!(env.frames.refcount(f), 2);
        b.madvise(&mut env.ctx(), BASE + 2 * P, P, MADV_DONTNEED).unwrap();
        assert_eq!(env.frames.refcount(f), 1);
        assert_eq!(byte(&mut a, &mut env, BASE + 2 * P), 5);
        assert_eq!(byte(&mut b, &mut env, BASE + 2 * P), 0);
        a.release(&mut env.ctx());
        b.release(&mut env.ctx());
        env.check_baseline();
    }

    #[test]
    fn dontneed_on_shared_memory_drops_only_this_process_ptes() {
        let mut env = Env::new(256);
        let mut a = env.aspace();
        let sh = a.mmap(&mut env.ctx(), 0, 2 * P, RW, MAP_SHARED | MAP_ANONYMOUS).unwrap();
        a.user_write(&mut env.ctx(), sh, &[3; 2 * P as usize]).unwrap();
        let mut b = a.fork(&mut env.ctx()).unwrap();
        a.madvise(&mut env.ctx(), sh, 2 * P, MADV_DONTNEED).unwrap();
        assert!(a.pte(&env.mem, sh).is_none());
        assert_eq!(byte(&mut a, &mut env, sh + P), 3, "the page comes back from the shared object");
        b.user_write(&mut env.ctx(), sh, &[9]).unwrap();
        assert_eq!(byte(&mut a, &mut env, sh), 9, "and is still shared");
        assert_eq!(a.pte(&env.mem, sh).addr(), b.pte(&env.mem, sh).addr());
        a.release(&mut env.ctx());
        b.release(&mut env.ctx());
        env.check_baseline();
    }

    #[test]
    fn holes_give_enomem_after_the_mapped_parts() {
        let mut env = Env::new(256);
        let mut a = env.aspace();
        a.mmap(&mut env.ctx(), BASE, P, RW, ANON | MAP_FIXED).unwrap();
        a.mmap(&mut env.ctx(), BASE + 2 * P, P, RW, ANON | MAP_FIXED).unwrap();
        a.user_write(&mut env.ctx(), BASE, &[1]).unwrap();
        a.user_write(&mut env.ctx(), BASE + 2 * P, &[1]).unwrap();
        assert_eq!(a.madvise(&mut env.ctx(), BASE - P, 4 * P, MADV_DONTNEED), Err(ENOMEM));
        assert_eq!(a.resident_pages(), 0, "both mapped pages were dropped");
        assert_eq!(a.madvise(&mut env.ctx(), BASE, 4 * P, MADV_DONTFORK), Err(ENOMEM), "range runs past the last VMA");
        assert!(a.vmas().all(|v| v.flags.contains(VmFlags::DONTFORK)));
        assert_eq!(a.madvise(&mut env.ctx(), BASE + P, P, MADV_NORMAL), Err(ENOMEM), "only a hole");
        a.release(&mut env.ctx());
        env.check_baseline();
    }

    #[test]
    fn populate_faults_in_or_says_why_not() {
        let mut env = Env::new(256);
        let mut a = env.aspace();
        a.mmap(&mut env.ctx(), BASE, 2 * P, RW, ANON | MAP_FIXED).unwrap();
        a.mmap(&mut env.ctx(), BASE + 2 * P, P, PROT_READ, ANON | MAP_FIXED).unwrap();
        a.madvise(&mut env.ctx(), BASE, 2 * P, MADV_POPULATE_WRITE).unwrap();
        assert_eq!(a.resident_pages(), 2);
        assert!(a.pte(&env.mem, BASE).is_writable());
        assert_eq!(a.madvise(&mut env.ctx(), BASE, 3 * P, MADV_POPULATE_WRITE), Err(EINVAL), "read-only page");
        assert_eq!(a.madvise(&mut env.ctx(), BASE + 2 * P, P, MADV_POPULATE_READ), Ok(()));
        assert_eq!(a.pte(&env.mem, BASE + 2 * P).addr(), env.frames.zero_frame());
        assert_eq!(a.madvise(&mut env.ctx(), BASE, 4 * P, MADV_POPULATE_READ), Err(ENOMEM), "hole");
        a.release(&mut env.ctx());
        env.check_baseline();
    }
}
