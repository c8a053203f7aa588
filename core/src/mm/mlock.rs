//! Locking memory and the address-space resource limits (Linux:
//! mm/mlock.c, may_expand_vm() and mlock_future_ok() in mm/mmap.c).
//!
//! A locked mapping carries [`VmFlags::LOCKED`] (Linux: VM_LOCKED); the
//! locked size (VmLck, `mm->locked_vm`) is the size of those mappings.
//! Tine never swaps, so locking only populates the pages and counts
//! them. Locks belong to the address space: fork clears them in the
//! child (see [`super::fork`]) and exec starts from an empty one.

use super::aspace::{AddressSpace, MemCtx};
use super::consts::{PAGE_SHIFT, PAGE_SIZE, TASK_SIZE};
use super::vma::{Prot, VmFlags, Vma};
use crate::abi::{Errno, EINVAL, ENOMEM, EPERM};

/// mlockall() flags.
pub const MCL_CURRENT: u32 = 1;
pub const MCL_FUTURE: u32 = 2;
pub const MCL_ONFAULT: u32 = 4;
/// mlock2() flag.
pub const MLOCK_ONFAULT: u32 = 1;

/// Linux: VM_LOCKED_MASK.
pub const LOCK_MASK: VmFlags = VmFlags::LOCKED.union(VmFlags::LOCKONFAULT);

/// What the owner of an address space may do: RLIMIT_AS, RLIMIT_DATA
/// and RLIMIT_MEMLOCK, in bytes, and whether it may lock without limit
/// (CAP_IPC_LOCK, which root has).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VmLimits {
    pub as_bytes: u64,
    pub data_cur: u64,
    pub data_max: u64,
    pub memlock: u64,
    pub ipc_lock: bool,
    /// CAP_SYS_ADMIN: strict overcommit lets it use the admin reserve.
    pub sys_admin: bool,
}

impl Default for VmLimits {
    fn default() -> Self {
        VmLimits {
            as_bytes: u64::MAX,
            data_cur: u64::MAX,
            data_max: u64::MAX,
            memlock: u64::MAX,
            ipc_lock: true,
            sys_admin: true,
        }
    }
}

impl VmLimits {
    /// Linux: can_do_mlock().
    pub fn can_do_mlock(&self) -> bool {
        self.memlock != 0 || self.ipc_lock
    }
}

/// Linux: is_data_mapping(): private, writable, not a stack.
fn is_data(prot: Prot, flags: VmFlags) -> bool {
    prot.contains(Prot::WRITE) && !flags.intersects(VmFlags::SHARED | VmFlags::GROWSDOWN)
}

impl AddressSpace {
    /// Pages of locked mappings. Linux: mm->locked_vm (VmLck).
    pub fn locked_pages(&self) -> u64 {
        self.vmas.iter().filter(|v| v.flags.contains(VmFlags::LOCKED)).map(|v| v.size() >> PAGE_SHIFT).sum()
    }

    /// Pages of all mappings. Linux: mm->total_vm (VmSize).
    pub fn total_pages(&self) -> u64 {
        self.vmas.iter().map(|v| v.size() >> PAGE_SHIFT).sum()
    }

    /// Pages of data mappings. Linux: mm->data_vm (VmData).
    pub fn data_pages(&self) -> u64 {
        self.vmas.iter().filter(|v| is_data(v.prot, v.flags)).map(|v| v.size() >> PAGE_SHIFT).sum()
    }

    /// The flags new mappings get from mlockall(MCL_FUTURE).
    pub fn def_flags(&self) -> VmFlags {
        self.def_flags
    }

    /// Linux: mlock_future_ok(): may a mapping of `bytes` with `flags`
    /// be added without passing RLIMIT_MEMLOCK?
    pub(super) fn mlock_future_ok(&self, flags: VmFlags, bytes: u64) -> bool {
        if !flags.contains(VmFlags::LOCKED) || self.limits.ipc_lock {
            return true;
        }
        (bytes >> PAGE_SHIFT).saturating_add(self.locked_pages()) <= self.limits.memlock >> PAGE_SHIFT
    }

    /// Linux: may_expand_vm(): may `pages` more pages of a mapping with
    /// `prot`/`flags` be added under RLIMIT_AS and RLIMIT_DATA?
    pub(super) fn may_expand_vm(&self, prot: Prot, flags: VmFlags, pages: u64) -> bool {
        let l = &self.limits;
        if self.total_pages().saturating_add(pages) > l.as_bytes >> PAGE_SHIFT {
            return false;
        }
        if is_data(prot, flags) && self.data_pages().saturating_add(pages) > l.data_cur >> PAGE_SHIFT {
            // Linux: the Valgrind workaround for a soft limit of 0.
            return l.data_cur == 0 && self.data_pages().saturating_add(pages) <= l.data_max >> PAGE_SHIFT;
        }
        true
    }

    /// Pages of `[start, end)` that mappings cover (Linux:
    /// count_vma_pages_range(), for MAP_FIXED over existing mappings).
    pub(super) fn pages_in(&self, start: u64, end: u64) -> u64 {
        self.vmas.overlapping(start, end).map(|v| (v.end.min(end) - v.start.max(start)) >> PAGE_SHIFT).sum()
    }

    /// Linux: count_mm_mlocked_page_nr(): locked pages in `[start, start + len)`.
    fn locked_in(&self, start: u64, len: u64) -> u64 {
        let end = start.saturating_add(len);
        self.vmas
            .overlapping(start, end)
            .filter(|v| v.flags.contains(VmFlags::LOCKED))
            .map(|v| (v.end.min(end) - v.start.max(start)) >> PAGE_SHIFT)
            .sum()
    }

    /// Give `[lo, hi)`, inside one VMA, the lock flags `lock` (Linux:
    /// mlock_fixup(); the VMA is split and merged as needed). The kernel's
    /// special mappings are left alone, without an error, as in Linux.
    fn lock_fixup(&mut self, lo: u64, hi: u64, lock: VmFlags) {
        if self.vmas.find(lo).is_some_and(|v| v.flags.contains(VmFlags::SPECIAL)) {
            return;
        }
        self.vmas.update(lo, hi, |v| v.flags = (v.flags - LOCK_MASK) | lock);
    }

    /// Linux: apply_vma_lock_flags(): set `lock` on `[start, start + len)`
    /// (page aligned). ENOMEM if the range does not start in a mapping or
    /// has a hole, after the mappings before the hole have changed.
    fn apply_lock_flags(&mut self, start: u64, len: u64, lock: VmFlags) -> Result<(), Errno> {
        let end = start.wrapping_add(len);
        if end < start {
            return Err(EINVAL);
        }
        if end == start {
            return Ok(());
        }
        if self.vmas.find(start).is_none() {
            return Err(ENOMEM);
        }
        let mut pieces = alloc::vec::Vec::new();
        let mut reached = start;
        for v in self.vmas.overlapping(start, end) {
            if v.start > reached {
                break;
            }
            reached = v.end.min(end);
            pieces.push((v.start.max(start), reached));
        }
        for (lo, hi) in pieces {
            self.lock_fixup(lo, hi, lock);
        }
        if reached < end {
            Err(ENOMEM)
        } else {
            Ok(())
        }
    }

    /// Fault in the locked (not on-fault) mappings of `[start, end)`
    /// (Linux: __mm_populate() → populate_vma_page_range()).
    pub(super) fn populate_locked(&mut self, ctx: &mut MemCtx<'_>, start: u64, end: u64) {
        let vmas: alloc::vec::Vec<Vma> = self
            .vmas
            .overlapping(start, end)
            .filter(|v| v.flags.contains(VmFlags::LOCKED) && !v.flags.contains(VmFlags::LOCKONFAULT))
            .copied()
            .collect();
        for v in vmas {
            let piece = Vma { start: v.start.max(start), end: v.end.min(end), ..v };
            self.populate(ctx, piece);
        }
    }

    /// mlock() / mlock2() / munlock() of `[start, start + len)` (start
    /// page aligned, len rounded up to pages as the caller did): `lock`
    /// is LOCKED (with LOCKONFAULT for MLOCK_ONFAULT), or empty to unlock.
    /// ENOMEM when the range would pass RLIMIT_MEMLOCK, counting what is
    /// already locked inside it once. Linux: do_mlock(), sys_munlock().
    pub fn mlock(&mut self, ctx: &mut MemCtx<'_>, start: u64, len: u64, lock: VmFlags) -> Result<(), Errno> {
        if lock.contains(VmFlags::LOCKED) {
            let limit = self.limits.memlock >> PAGE_SHIFT;
            let mut locked = (len >> PAGE_SHIFT).wrapping_add(self.locked_pages());
            if locked > limit && !self.limits.ipc_lock {
                locked -= self.locked_in(start, len);
            }
            if locked > limit && !self.limits.ipc_lock {
                return Err(ENOMEM);
            }
        }
        self.apply_lock_flags(start, len, lock)?;
        if lock.contains(VmFlags::LOCKED) {
            self.populate_locked(ctx, start, start + len);
        }
        Ok(())
    }

    /// mlockall(): EINVAL for no flag, an unknown one or MCL_ONFAULT
    /// alone; EPERM without RLIMIT_MEMLOCK; ENOMEM when MCL_CURRENT would
    /// lock more than it. MCL_FUTURE makes later mappings locked.
    /// Linux: sys_mlockall() → apply_mlockall_flags().
    pub fn mlockall(&mut self, ctx: &mut MemCtx<'_>, flags: u32) -> Result<(), Errno> {
        if flags == 0 || flags & !(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) != 0 || flags == MCL_ONFAULT {
            return Err(EINVAL);
        }
        if !self.limits.can_do_mlock() {
            return Err(EPERM);
        }
        if flags & MCL_CURRENT != 0 && self.total_pages() > self.limits.memlock >> PAGE_SHIFT && !self.limits.ipc_lock {
            return Err(ENOMEM);
        }
        self.apply_mlockall(flags);
        if flags & MCL_CURRENT != 0 {
            self.populate_locked(ctx, 0, TASK_SIZE);
        }
        Ok(())
    }

    /// munlockall(): nothing locked, now or later.
    pub fn munlockall(&mut self) {
        self.apply_mlockall(0);
    }

    /// Linux: apply_mlockall_flags().
    fn apply_mlockall(&mut self, flags: u32) {
        let onfault = if flags & MCL_ONFAULT != 0 { VmFlags::LOCKONFAULT } else { VmFlags::empty() };
        self.def_flags.remove(LOCK_MASK);
        if flags & MCL_FUTURE != 0 {
            self.def_flags |= VmFlags::LOCKED | onfault;
            if flags & MCL_CURRENT == 0 {
                return;
            }
        }
        let lock = if flags & MCL_CURRENT != 0 { VmFlags::LOCKED | onfault } else { VmFlags::empty() };
        let ranges: alloc::vec::Vec<(u64, u64)> = self.vmas.iter().map(|v| (v.start, v.end)).collect();
        for (lo, hi) in ranges {
            self.lock_fixup(lo, hi, lock);
        }
    }
}

/// Round an mlock range out to whole pages, as Linux does before
/// anything else (`len = PAGE_ALIGN(len + offset_in_page(start))`,
/// wrapping like the C arithmetic).
pub fn page_range(start: u64, len: u64) -> (u64, u64) {
    let off = start & (PAGE_SIZE - 1);
    let len = len.wrapping_add(off).wrapping_add(PAGE_SIZE - 1) & !(PAGE_SIZE - 1);
    (start & !(PAGE_SIZE - 1), len)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mm::consts::*;
    use crate::mm::sim::Env;

    const P: u64 = PAGE_SIZE;
    const BASE: u64 = 0x1000_0000;

    #[test]
    fn mlock_sets_flags_counts_and_populates() {
        let mut env = Env::new(256);
        let mut a = env.aspace();
        a.mmap(&mut env.ctx(), BASE, 8 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED).unwrap();
        a.mlock(&mut env.ctx(), BASE + 2 * P, 3 * P, VmFlags::LOCKED).unwrap();
        assert_eq!(a.locked_pages(), 3);
        assert_eq!(a.resident_pages(), 3, "locked pages are populated");
        assert_eq!(a.vmas().count(), 3);
        a.mlock(&mut env.ctx(), BASE, 8 * P, VmFlags::empty()).unwrap();
        assert_eq!((a.locked_pages(), a.vmas().count()), (0, 1), "unlocking merges back");
        // A hole: ENOMEM, the part before it locked.
        a.munmap(&mut env.ctx(), BASE + 4 * P, P).unwrap();
        assert_eq!(a.mlock(&mut env.ctx(), BASE, 8 * P, VmFlags::LOCKED), Err(ENOMEM));
        assert_eq!(a.locked_pages(), 4);
        assert_eq!(a.mlock(&mut env.ctx(), BASE - P, P, VmFlags::LOCKED), Err(ENOMEM));
        assert_eq!(a.mlock(&mut env.ctx(), BASE - P, 0, VmFlags::LOCKED), Ok(()));
        // Over RLIMIT_MEMLOCK without CAP_IPC_LOCK; what is locked already counts once.
        a.limits = VmLimits { memlock: 5 * P, ipc_lock: false, ..Default::default() };
        assert_eq!(a.mlock(&mut env.ctx(), BASE + 5 * P, 2 * P, VmFlags::LOCKED), Err(ENOMEM));
        assert_eq!(a.mlock(&mut env.ctx(), BASE, 4 * P, VmFlags::LOCKED), Ok(()));
        assert_eq!(a.mlock(&mut env.ctx(), BASE + 5 * P, P, VmFlags::LOCKED), Ok(()));
        // Fork: the child has nothing locked.
        let child = a.fork(&mut env.ctx()).unwrap();
        assert_eq!(child.locked_pages(), 0);
        child.release(&mut env.ctx());
        a.release(&mut env.ctx());
    }

    #[test]
    fn mlockall_future_locks_new_mappings() {
        let mut env = Env::new(256);
        let mut a = env.aspace();
        a.mmap(&mut env.ctx(), BASE, 2 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED).unwrap();
        assert_eq!(a.mlockall(&mut env.ctx(), MCL_ONFAULT), Err(EINVAL));
        assert_eq!(a.mlockall(&mut env.ctx(), 0), Err(EINVAL));
        a.mlockall(&mut env.ctx(), MCL_FUTURE).unwrap();
        assert_eq!(a.locked_pages(), 0, "MCL_FUTURE alone leaves current mappings");
        let addr = a.mmap(&mut env.ctx(), 0, 3 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS).unwrap();
        assert_eq!(a.locked_pages(), 3);
        assert!(a.find_vma(addr).unwrap().flags.contains(VmFlags::LOCKED));
        a.limits = VmLimits { memlock: 4 * P, ipc_lock: false, ..Default::default() };
        assert_eq!(a.mmap(&mut env.ctx(), 0, 2 * P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS), Err(crate::abi::EAGAIN));
        a.munlockall();
        assert_eq!(a.locked_pages(), 0);
        a.mmap(&mut env.ctx(), 0, 2 * P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS).unwrap();
        assert_eq!(a.locked_pages(), 0);
        a.release(&mut env.ctx());
    }

    #[test]
    fn rlimit_as_and_data() {
        let mut env = Env::new(256);
        let mut a = env.aspace();
        a.limits = VmLimits { as_bytes: 16 * P, data_cur: 4 * P, data_max: 4 * P, ..Default::default() };
        assert_eq!(a.mmap(&mut env.ctx(), 0, 5 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS), Err(ENOMEM));
        a.mmap(&mut env.ctx(), 0, 5 * P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS).unwrap();
        a.mmap(&mut env.ctx(), BASE, 4 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED).unwrap();
        // Replacing a mapping with MAP_FIXED counts only the growth.
        a.mmap(&mut env.ctx(), BASE, 4 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED).unwrap();
        assert_eq!(a.mmap(&mut env.ctx(), 0, 8 * P, PROT_READ, MAP_SHARED | MAP_ANONYMOUS), Err(ENOMEM));
        a.release(&mut env.ctx());
    }
}
