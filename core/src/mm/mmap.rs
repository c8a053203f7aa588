//! mmap, munmap, mprotect and brk on an [`AddressSpace`] (Linux: mm/mmap.c,
//! mm/vma.c, mm/mprotect.c, arch/x86/kernel/sys_x86_64.c).
//!
//! Memory is demand-zero: nothing here allocates a data frame (except
//! MAP_POPULATE); the first touch does, in [`super::fault`]. A file mapping
//! names an object of the page cache ([`crate::mm::pagecache`]), which the
//! syscall layer has attached beforehand; shared anonymous memory gets an
//! object of its own here.

use alloc::vec::Vec;

use super::aspace::{leaf_flags, may_write_in_place, AddressSpace, MemCtx};
use super::consts::*;
use super::fault::Access;
use super::pagetable::PteFlags;
use super::vma::{Prot, VmFile, VmFlags, Vma};
use crate::abi::{Errno, EACCES, EEXIST, EINVAL, ENODEV, ENOMEM, EOPNOTSUPP, EOVERFLOW, EPERM};
use crate::mm::consts::MAX_FILE_SIZE;

/// What the descriptor passed to mmap refers to, as the syscall layer
/// found it: the part of Linux's `struct file` that do_mmap() looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MapFile {
    pub target: MapTarget,
    /// The descriptor is open for reading (FMODE_READ).
    pub readable: bool,
    /// The descriptor is open for writing (FMODE_WRITE).
    pub writable: bool,
    /// The offset in pages (the syscall's byte offset, page aligned, >> 12).
    pub pgoff: u64,
    /// The file is sealed against writes (a memfd's F_SEAL_WRITE or
    /// F_SEAL_FUTURE_WRITE): no shared writable mapping, now or by
    /// mprotect later (Linux: seal_check_write() in shmem_mmap()).
    pub write_sealed: bool,
    /// The file lies on a noexec mount: no PROT_EXEC now (EPERM), nor
    /// later through mprotect (EACCES).
    pub noexec: bool,
}

impl MapFile {
    /// Page `pgoff` on of file `ino` through a descriptor open for reading
    /// and writing, from an ordinary mount: where the kernel's own
    /// mappings and the tests start, changing what differs.
    pub fn file(ino: u64, pgoff: u64) -> Self {
        MapFile {
            target: MapTarget::File(ino),
            readable: true,
            writable: true,
            pgoff,
            write_sealed: false,
            noexec: false,
        }
    }
}

/// Which kind of object a [`MapFile`] maps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapTarget {
    /// A regular file, attached to the page cache
    /// ([`crate::mm::pagecache::attach`]) by the caller.
    File(u64),
    /// /dev/zero: anonymous memory, shared or private as asked.
    /// Linux: mmap_zero().
    Zero,
    /// A file without an mmap operation (pipe, terminal, directory,
    /// /dev/null): ENODEV once the access checks pass.
    NoMmap,
}

impl AddressSpace {
    /// Map anonymous memory; returns its address. `prot` and `flags` are
    /// the raw syscall arguments. Linux: do_mmap() → mmap_region().
    ///
    /// Errors, in Linux's order: EINVAL for len 0; ENOMEM when the length
    /// rounds past the address space, when no gap is free or the range
    /// ends above TASK_SIZE; EINVAL for an unaligned MAP_FIXED address;
    /// EPERM below mmap_min_addr; EEXIST for MAP_FIXED_NOREPLACE over a
    /// mapping; EINVAL unless exactly one of MAP_SHARED / MAP_PRIVATE
    /// (anonymous memory does not take MAP_SHARED_VALIDATE).
    pub fn mmap(&mut self, ctx: &mut MemCtx<'_>, addr: u64, len: u64, prot: u32, flags: u32) -> Result<u64, Errno> {
        self.do_mmap(ctx, addr, len, prot, flags, None)
    }

    /// Map `file` (the descriptor's object) at page offset `file.pgoff`.
    /// Besides [`mmap`](Self::mmap)'s errors, after the address checks as
    /// in Linux: EOVERFLOW when the end lies beyond the largest file;
    /// EOPNOTSUPP for MAP_SHARED_VALIDATE with a flag it does not know;
    /// EACCES for a shared writable mapping of a descriptor not open for
    /// writing, or any mapping of one not open for reading; ENODEV for
    /// something that cannot be mapped; EINVAL for MAP_GROWSDOWN.
    /// Linux: do_mmap() with a file.
    pub fn mmap_file(
        &mut self,
        ctx: &mut MemCtx<'_>,
        addr: u64,
        len: u64,
        prot: u32,
        flags: u32,
        file: &MapFile,
    ) -> Result<u64, Errno> {
        self.do_mmap(ctx, addr, len, prot, flags, Some(file))
    }

    fn do_mmap(
        &mut self,
        ctx: &mut MemCtx<'_>,
        addr: u64,
        len: u64,
        prot: u32,
        flags: u32,
        file: Option<&MapFile>,
    ) -> Result<u64, Errno> {
        if len == 0 {
            return Err(EINVAL);
        }
        let mut flags = flags;
        // MAP_FIXED_NOREPLACE is MAP_FIXED that refuses to replace; its
        // address is not a hint to round (checked against Linux 6.18).
        if flags & MAP_FIXED_NOREPLACE != 0 {
            flags |= MAP_FIXED;
        }
        let addr = if flags & MAP_FIXED == 0 { round_hint_to_min(addr) } else { addr };
        let len = page_ceil(len).ok_or(ENOMEM)?;
        if self.vmas.len() > MAX_MAP_COUNT {
            return Err(ENOMEM);
        }
        let addr = self.get_unmapped_area(addr, len, flags)?;
        if flags & MAP_FIXED_NOREPLACE != 0 && self.vmas.intersects(addr, addr + len) {
            return Err(EEXIST);
        }
        let mut vm_flags = VmFlags::empty();
        if flags & MAP_GROWSDOWN != 0 {
            vm_flags |= VmFlags::GROWSDOWN;
        }
        // Locked memory: MAP_LOCKED, or mlockall(MCL_FUTURE) before
        // (Linux: mm->def_flags); EPERM without RLIMIT_MEMLOCK, EAGAIN
        // beyond it (do_mmap()'s can_do_mlock() and mlock_future_ok()).
        vm_flags |= self.def_flags & super::mlock::LOCK_MASK;
        if flags & MAP_LOCKED != 0 {
            if !self.limits.can_do_mlock() {
                return Err(EPERM);
            }
            vm_flags |= VmFlags::LOCKED;
        }
        if !self.mlock_future_ok(vm_flags, len) {
            return Err(crate::abi::EAGAIN);
        }
        let mut backing = None;
        match file {
            None => {
                if flags & MAP_ANONYMOUS != 0 {
                    vm_flags |= VmFlags::ANONYMOUS;
                }
                match flags & MAP_TYPE {
                    MAP_SHARED if vm_flags.contains(VmFlags::GROWSDOWN) => return Err(EINVAL),
                    MAP_SHARED => vm_flags |= VmFlags::SHARED,
                    MAP_PRIVATE => {}
                    _ => return Err(EINVAL),
                }
            }
            Some(f) => {
                // Linux: file_mmap_ok(), with tmpfs's s_maxbytes.
                if let MapTarget::File(_) = f.target {
                    if len > MAX_FILE_SIZE || f.pgoff > (MAX_FILE_SIZE - len) >> PAGE_SHIFT {
                        return Err(EOVERFLOW);
                    }
                }
                match flags & MAP_TYPE {
                    ty @ (MAP_SHARED | MAP_SHARED_VALIDATE) => {
                        // MAP_SHARED ignores flags it does not know, for
                        // compatibility; MAP_SHARED_VALIDATE refuses them.
                        if ty == MAP_SHARED_VALIDATE && flags & !LEGACY_MAP_MASK != 0 {
                            return Err(EOPNOTSUPP);
                        }
                        if prot & PROT_WRITE != 0 && !f.writable {
                            return Err(EACCES);
                        }
                        vm_flags |= VmFlags::SHARED;
                        if !f.writable {
                            vm_flags |= VmFlags::NO_MAYWRITE;
                        }
                    }
                    MAP_PRIVATE => {}
                    _ => return Err(EINVAL),
                }
                if !f.readable {
                    return Err(EACCES);
                }
                if f.noexec {
                    if prot & PROT_EXEC != 0 {
                        return Err(EPERM);
                    }
                    vm_flags |= VmFlags::NO_MAYEXEC;
                }
                if f.target == MapTarget::NoMmap {
                    return Err(ENODEV);
                }
                if vm_flags.contains(VmFlags::GROWSDOWN) {
                    return Err(EINVAL);
                }
                if f.write_sealed && vm_flags.contains(VmFlags::SHARED) {
                    if prot & PROT_WRITE != 0 {
                        return Err(EPERM);
                    }
                    vm_flags |= VmFlags::NO_MAYWRITE;
                }
                match f.target {
                    MapTarget::File(ino) => {
                        backing = Some(VmFile { ino, pgoff: f.pgoff });
                        if f.writable {
                            vm_flags |= VmFlags::WRITER;
                        }
                    }
                    // Linux: mmap_zero(): shmem_zero_setup() when shared,
                    // else vma_set_anonymous().
                    _ => vm_flags |= VmFlags::ANONYMOUS,
                }
            }
        }
        let vma =
            Vma { start: addr, end: addr + len, prot: Prot::from_bits_truncate(prot), flags: vm_flags, file: backing };
        // RLIMIT_AS and RLIMIT_DATA; what MAP_FIXED replaces does not
        // count twice (Linux: mmap_region()'s may_expand_vm()).
        let pages = len >> PAGE_SHIFT;
        if !self.may_expand_vm(vma.prot, vma.flags, pages)
            && !self.may_expand_vm(vma.prot, vma.flags, pages - self.pages_in(vma.start, vma.end))
        {
            return Err(ENOMEM);
        }
        let vma = self.account_new(ctx, vma, flags & MAP_NORESERVE != 0)?;
        let vma = self.map_region(ctx, vma);
        let locked = vm_flags.contains(VmFlags::LOCKED) && !vm_flags.contains(VmFlags::LOCKONFAULT);
        if (flags & MAP_POPULATE != 0 && flags & MAP_NONBLOCK == 0) || locked {
            self.populate(ctx, vma);
        }
        Ok(addr)
    }

    /// Map `[start, start + len)`, widened to whole pages, replacing whatever
    /// was there: the ELF loader's segments and the initial stack (with
    /// [`VmFlags::GROWSDOWN`]). Linux: vm_mmap(MAP_FIXED) from
    /// load_elf_binary() / setup_arg_pages().
    pub fn map_fixed_region(
        &mut self,
        ctx: &mut MemCtx<'_>,
        start: u64,
        len: u64,
        prot: Prot,
        flags: VmFlags,
    ) -> Result<(), Errno> {
        let lo = page_floor(start);
        let hi = start.checked_add(len).and_then(page_ceil).ok_or(ENOMEM)?;
        if len == 0 {
            return Err(EINVAL);
        }
        if hi > TASK_SIZE {
            return Err(ENOMEM);
        }
        let vma = self.account_new(ctx, Vma { start: lo, end: hi, prot, flags, file: None }, false)?;
        self.map_region(ctx, vma);
        Ok(())
    }

    /// Commit a new private writable mapping (Linux: mmap_region()'s
    /// accountable_mapping() test): marked VM_ACCOUNT once counted, or
    /// VM_NORESERVE for MAP_NORESERVE unless overcommit is strict. ENOMEM
    /// when the policy refuses.
    fn account_new(&self, ctx: &mut MemCtx<'_>, mut vma: Vma, noreserve: bool) -> Result<Vma, Errno> {
        if noreserve && ctx.frames.commit.mode != super::commit::Overcommit::Never {
            vma.flags |= VmFlags::NORESERVE;
            return Ok(vma);
        }
        // Shared anonymous memory is committed whole whatever its
        // protection (its object takes the charge); other shared mappings
        // and read-only private ones are not.
        let shmem = vma.is_shared() && vma.file.is_none();
        if !shmem && (vma.is_shared() || !vma.prot.contains(Prot::WRITE)) {
            return Ok(vma);
        }
        self.vm_account(ctx, vma.size() >> PAGE_SHIFT)?;
        vma.flags |= VmFlags::ACCOUNT;
        Ok(vma)
    }

    /// Remove the mappings in `[addr, addr + len)`; unmapped parts are
    /// fine. Linux: __vm_munmap() → do_vmi_munmap().
    pub fn munmap(&mut self, ctx: &mut MemCtx<'_>, addr: u64, len: u64) -> Result<(), Errno> {
        if !is_page_aligned(addr) || addr > TASK_SIZE || len > TASK_SIZE - addr {
            return Err(EINVAL);
        }
        // Cannot overflow: addr + len <= TASK_SIZE, which is page aligned.
        let end = addr + page_ceil(len).unwrap();
        if end == addr {
            return Err(EINVAL);
        }
        self.unmap_range(ctx, addr, end);
        Ok(())
    }

    /// Change the access rights of `[start, start + len)`.
    /// Linux: do_mprotect_pkey() → mprotect_fixup() → change_protection().
    ///
    /// Like Linux, a hole gives ENOMEM, but only after the VMAs before the
    /// hole have been changed; so does EACCES for PROT_WRITE on a shared
    /// mapping of a descriptor opened read-only.
    pub fn mprotect(&mut self, ctx: &mut MemCtx<'_>, start: u64, len: u64, prot: u32) -> Result<(), Errno> {
        let grows = prot & (PROT_GROWSDOWN | PROT_GROWSUP);
        let prot = prot & !grows;
        if grows == PROT_GROWSDOWN | PROT_GROWSUP || !is_page_aligned(start) {
            return Err(EINVAL);
        }
        if len == 0 {
            return Ok(());
        }
        let end = page_ceil(len).and_then(|l| start.checked_add(l)).ok_or(ENOMEM)?;
        if prot & !(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_SEM) != 0 {
            return Err(EINVAL);
        }
        let new_prot = Prot::from_bits_truncate(prot);
        let first = match self.vmas.find_from(start) {
            Some(v) if v.start < end => *v,
            _ => return Err(ENOMEM),
        };
        let start = if grows & PROT_GROWSDOWN != 0 {
            // Extend the change down to the bottom of the stack.
            if !first.flags.contains(VmFlags::GROWSDOWN) {
                return Err(EINVAL);
            }
            first.start
        } else {
            if first.start > start {
                return Err(ENOMEM);
            }
            if grows & PROT_GROWSUP != 0 {
                return Err(EINVAL); // x86 has no grows-up VMAs
            }
            start
        };

        // The contiguous run of mapped pieces from `start`.
        let mut pieces = Vec::new();
        let mut reached = start;
        for v in self.vmas.overlapping(start, end) {
            if v.start > reached {
                break;
            }
            reached = v.end.min(end);
            pieces.push((v.start.max(start), reached, *v));
        }
        for (lo, hi, v) in pieces {
            // Linux: the VM_MAY* check in do_mprotect_pkey()'s loop: a
            // shared mapping of a read-only descriptor never gets write
            // access, and the VMAs before it keep their new protection.
            if v.flags.contains(VmFlags::NO_MAYWRITE) && new_prot.contains(Prot::WRITE)
                || v.flags.contains(VmFlags::NO_MAYEXEC) && new_prot.contains(Prot::EXEC)
            {
                return Err(EACCES);
            }
            // Private memory that becomes writable for the first time is
            // committed now (Linux: mprotect_fixup()).
            let quiet = VmFlags::ACCOUNT | VmFlags::SHARED | VmFlags::NORESERVE;
            let commit = new_prot.contains(Prot::WRITE) && !v.prot.contains(Prot::WRITE) && !v.flags.intersects(quiet);
            if commit {
                self.vm_account(ctx, (hi - lo) >> PAGE_SHIFT)?;
                self.vmas.update(lo, hi, |v| v.flags |= VmFlags::ACCOUNT);
            }
            self.change_protection(ctx, lo, hi, new_prot);
        }
        if reached < end {
            Err(ENOMEM)
        } else {
            Ok(())
        }
    }

    /// Move the program break; returns the new break, or the old one when
    /// the request is refused (`brk(0)` is the usual query).
    /// Linux: the brk() syscall in mm/mmap.c.
    pub fn brk(&mut self, ctx: &mut MemCtx<'_>, new: u64) -> u64 {
        let orig = self.brk;
        if self.start_brk == 0 || new < self.start_brk {
            return orig;
        }
        // Linux: check_data_rlimit() (Tine does not count the program's
        // data segment, which Linux adds to the heap here).
        if self.limits.data_cur != u64::MAX && new - self.start_brk > self.limits.data_cur {
            return orig;
        }
        let Some(newbrk) = page_ceil(new) else { return orig };
        let oldbrk = page_ceil(self.brk).expect("brk is below TASK_SIZE");
        if newbrk == oldbrk {
            self.brk = new;
            return new;
        }
        if new <= self.brk {
            // Shrinking: give the pages back.
            self.brk = new;
            self.unmap_range(ctx, newbrk, oldbrk);
            return new;
        }
        if newbrk > TASK_SIZE {
            return orig;
        }
        // Leave a page (and a stack's guard gap) before the next mapping.
        if let Some(next) = self.vmas.find_from(oldbrk) {
            if newbrk + PAGE_SIZE > next.start_gap() {
                return orig;
            }
        }
        // Linux: check_brk_limits() (RLIMIT_MEMLOCK after
        // mlockall(MCL_FUTURE)) and do_brk_flags()'s may_expand_vm().
        let flags = VmFlags::ANONYMOUS | VmFlags::ACCOUNT | (self.def_flags & super::mlock::LOCK_MASK);
        if !self.mlock_future_ok(flags, newbrk - oldbrk)
            || !self.may_expand_vm(Prot::RW, flags, (newbrk - oldbrk) >> PAGE_SHIFT)
        {
            return orig;
        }
        // Linux: do_brk_flags() commits the growth.
        if self.vm_account(ctx, (newbrk - oldbrk) >> PAGE_SHIFT).is_err() {
            return orig;
        }
        // Linux: do_brk_flags(), which extends the existing heap VMA; the
        // merge in insert() does the same.
        let vma = Vma { start: oldbrk, end: newbrk, prot: Prot::RW, flags, file: None };
        self.vmas.insert(vma);
        self.brk = new;
        if flags.contains(VmFlags::LOCKED) && !flags.contains(VmFlags::LOCKONFAULT) {
            self.populate(ctx, vma);
        }
        new
    }

    /// Where the heap starts: just above the program's last segment.
    /// Linux: `mm->start_brk = mm->brk = ELF_PAGEALIGN(elf_brk)` in
    /// load_elf_binary().
    pub fn set_brk_base(&mut self, addr: u64) {
        let base = page_ceil(addr).expect("brk base beyond the address space");
        self.start_brk = base;
        self.brk = base;
    }

    /// The current program break.
    pub fn current_brk(&self) -> u64 {
        self.brk
    }

    pub fn start_brk(&self) -> u64 {
        self.start_brk
    }

    /// Linux: __get_unmapped_area() with x86's arch_get_unmapped_area_topdown().
    pub(super) fn get_unmapped_area(&self, addr: u64, len: u64, flags: u32) -> Result<u64, Errno> {
        if len > TASK_SIZE {
            return Err(ENOMEM);
        }
        let addr = if flags & MAP_FIXED != 0 { addr } else { self.find_free_area(addr, len, flags)? };
        if addr > TASK_SIZE - len {
            return Err(ENOMEM);
        }
        if !is_page_aligned(addr) {
            return Err(EINVAL);
        }
        // Linux: security_mmap_addr(), for a process without CAP_SYS_RAWIO.
        if addr < MMAP_MIN_ADDR {
            return Err(EPERM);
        }
        Ok(addr)
    }

    /// The hint if it is free, else the highest gap below mmap_base, else
    /// the lowest above TASK_UNMAPPED_BASE. Linux:
    /// arch_get_unmapped_area_topdown() and its bottom-up fallback.
    fn find_free_area(&self, hint: u64, len: u64, flags: u32) -> Result<u64, Errno> {
        if flags & MAP_32BIT != 0 {
            return self.vmas.gap_bottomup(len, 0x4000_0000, 0x8000_0000).ok_or(ENOMEM);
        }
        if hint != 0 && hint <= TASK_SIZE - len && self.vmas.is_free(hint, len) {
            return Ok(hint);
        }
        self.vmas
            .gap_topdown(len, MMAP_MIN_ADDR.max(PAGE_SIZE), self.mmap_base)
            .or_else(|| self.vmas.gap_bottomup(len, TASK_UNMAPPED_BASE, TASK_SIZE))
            .ok_or(ENOMEM)
    }

    /// Install `vma`, replacing any mappings (and pages) it overlaps; a
    /// shared anonymous mapping gets a new shared-memory object. Returns
    /// the VMA as installed. Linux: mmap_region() (shmem_zero_setup()).
    fn map_region(&mut self, ctx: &mut MemCtx<'_>, mut vma: Vma) -> Vma {
        if vma.is_shared() && vma.file.is_none() {
            let accounted = vma.flags.contains(VmFlags::ACCOUNT);
            // The object holds the charge from here on, not the VMA (fork
            // and munmap must not count it again or give it back).
            vma.flags.remove(VmFlags::ACCOUNT);
            let key = ctx.pagecache.create_shmem(vma.size(), accounted);
            vma.file = Some(VmFile { ino: key, pgoff: 0 });
        }
        let removed = self.unmap_vmas(ctx, vma.start, vma.end);
        self.vmas.insert(vma);
        if let Some(f) = vma.file {
            self.hold_object(ctx, f.ino, vma.flags.contains(VmFlags::WRITER));
        }
        // After the new VMA holds its object, so that remapping the same
        // object never drops its last user in between.
        self.release_unmapped_objects(ctx, removed);
        vma
    }

    /// Unmap `[start, end)`: VMAs, pages and page-cache references.
    pub(super) fn unmap_range(&mut self, ctx: &mut MemCtx<'_>, start: u64, end: u64) {
        let removed = self.unmap_vmas(ctx, start, end);
        self.release_unmapped_objects(ctx, removed);
    }

    /// Remove the VMAs and pages of `[start, end)`; returns the page-cache
    /// objects the removed VMAs mapped. Linux: do_vmi_align_munmap().
    fn unmap_vmas(&mut self, ctx: &mut MemCtx<'_>, start: u64, end: u64) -> Vec<u64> {
        let mut objects = Vec::new();
        let removed = self.vmas.remove_range(start, end);
        Self::vm_unaccount(ctx, &removed);
        for v in removed {
            self.zap(ctx, v.start, v.end);
            objects.extend(v.file_key());
        }
        objects
    }

    /// Set the protection of `[lo, hi)`, which lies inside one VMA, and of
    /// the pages already mapped there. Linux: mprotect_fixup().
    fn change_protection(&mut self, ctx: &mut MemCtx<'_>, lo: u64, hi: u64, prot: Prot) {
        self.vmas.update(lo, hi, |v| v.prot = prot);
        let vma = *self.vmas.find(lo).expect("VMA vanished");
        self.unshare_range(ctx, lo, hi);
        let phys = ctx.phys;
        let _ = self.pt.for_each_leaf::<()>(phys, lo, hi, &mut |va, slot, old| {
            let mut flags = leaf_flags(&vma, may_write_in_place(ctx, &vma, va, old.addr()));
            if flags.contains(PteFlags::PRESENT) {
                flags |= old.flags() & (PteFlags::ACCESSED | PteFlags::DIRTY);
            }
            AddressSpace::update_pte(ctx, slot, va, old, old.with_flags(flags));
            Ok(())
        });
    }

    /// Fault in every page of `vma` (MAP_POPULATE); failures are ignored,
    /// as Linux's mm_populate() ignores them.
    pub(super) fn populate(&mut self, ctx: &mut MemCtx<'_>, vma: Vma) {
        if !vma.prot.is_accessible() {
            return;
        }
        // Private writable memory is faulted for write so that it gets its
        // own frames; the rest for read. Linux: populate_vma_page_range().
        let access = if vma.prot.contains(Prot::WRITE) && !vma.is_shared() { Access::Write } else { Access::Read };
        for va in (vma.start..vma.end).step_by(PAGE_SIZE as usize) {
            if self.handle_fault(ctx, va, access).is_err() {
                break;
            }
        }
    }
}

/// Linux: round_hint_to_min(). A non-zero hint below mmap_min_addr is
/// raised to it.
fn round_hint_to_min(hint: u64) -> u64 {
    let hint = page_floor(hint);
    if hint != 0 && hint < MMAP_MIN_ADDR {
        MMAP_MIN_ADDR
    } else {
        hint
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::EFAULT;
    use crate::mm::fault::FaultError;
    use crate::mm::sim::{finish, Env, ANON, P, RW};

    fn setup() -> (Env, AddressSpace) {
        let mut env = Env::new(512);
        let a = env.aspace();
        (env, a)
    }

    fn layout(a: &AddressSpace) -> Vec<(u64, u64, Prot)> {
        a.vmas().map(|v| (v.start, v.end, v.prot)).collect()
    }

    #[test]
    fn placement_is_top_down_below_mmap_base_and_demand_zero() {
        let (mut env, mut a) = setup();
        let used = env.used();
        let x = a.mmap(&mut env.ctx(), 0, 3 * P, RW, ANON).unwrap();
        assert_eq!(x, MMAP_BASE - 3 * P);
        let y = a.mmap(&mut env.ctx(), 0, 100, RW, ANON).unwrap();
        assert_eq!(y, x - P, "len rounds up to a page; next mapping directly below");
        // Adjacent compatible anonymous mappings merge, as in Linux.
        assert_eq!(layout(&a), [(y, MMAP_BASE, Prot::RW)]);
        assert_eq!(env.used(), used, "no frame until touched");
        assert_eq!(a.resident_pages(), 0);
        finish(env, a);
    }

    #[test]
    fn hint_is_honoured_when_free_and_rounded_down() {
        let (mut env, mut a) = setup();
        let h = 0x1000_0000;
        assert_eq!(a.mmap(&mut env.ctx(), h + 5, P, RW, ANON), Ok(h));
        // Occupied: falls back to the top-down search.
        assert_eq!(a.mmap(&mut env.ctx(), h, P, RW, ANON), Ok(MMAP_BASE - P));
        // Below mmap_min_addr: raised to it.
        assert_eq!(a.mmap(&mut env.ctx(), 0x2000, P, RW, ANON), Ok(MMAP_MIN_ADDR));
        // Past the top: ignored.
        assert_eq!(a.mmap(&mut env.ctx(), TASK_SIZE, P, RW, ANON), Ok(MMAP_BASE - 2 * P));
        finish(env, a);
    }

    #[test]
    fn argument_errors() {
        let (mut env, mut a) = setup();
        let mut ctx = env.ctx();
        let c = &mut ctx;
        assert_eq!(a.mmap(c, 0, 0, RW, ANON), Err(EINVAL));
        assert_eq!(a.mmap(c, 0x1000_0001, P, RW, ANON | MAP_FIXED), Err(EINVAL));
        assert_eq!(a.mmap(c, 0x1000_0001, P, RW, ANON | MAP_FIXED_NOREPLACE), Err(EINVAL));
        assert_eq!(a.mmap(c, 0, P, RW, MAP_ANONYMOUS), Err(EINVAL), "neither private nor shared");
        assert_eq!(a.mmap(c, 0, P, RW, MAP_ANONYMOUS | MAP_SHARED | MAP_PRIVATE), Err(EINVAL), "both");
        assert_eq!(a.mmap(c, 0, P, RW, MAP_ANONYMOUS | 0x0f), Err(EINVAL));
        assert_eq!(a.mmap(c, 0, P, RW, MAP_ANONYMOUS | MAP_SHARED | MAP_GROWSDOWN), Err(EINVAL));
        assert_eq!(a.mmap(c, 0, u64::MAX, RW, ANON), Err(ENOMEM), "length rounds past 2^64");
        assert_eq!(a.mmap(c, 0, TASK_SIZE + P, RW, ANON), Err(ENOMEM));
        assert_eq!(a.mmap(c, TASK_SIZE - P, 2 * P, RW, ANON | MAP_FIXED), Err(ENOMEM), "beyond 47 bits");
        assert_eq!(a.mmap(c, 1 << 47, P, RW, ANON | MAP_FIXED), Err(ENOMEM));
        assert_eq!(a.mmap(c, 0xffff_8000_0000_0000, P, RW, ANON | MAP_FIXED), Err(ENOMEM), "kernel half");
        assert_eq!(a.mmap(c, 0, P, RW, ANON | MAP_FIXED), Err(EPERM), "below mmap_min_addr");
        assert_eq!(a.mmap(c, TASK_SIZE - P, P, RW, ANON | MAP_FIXED), Ok(TASK_SIZE - P), "the last page is fine");
        assert_eq!(a.vmas().count(), 1);
        drop(ctx);
        finish(env, a);
    }

    #[test]
    fn fixed_replaces_and_noreplace_refuses() {
        let (mut env, mut a) = setup();
        let base = 0x4000_0000;
        a.mmap(&mut env.ctx(), base, 4 * P, RW, ANON | MAP_FIXED).unwrap();
        a.user_write(&mut env.ctx(), base, &[1; 4 * P as usize]).unwrap();
        let used = env.used();
        assert_eq!(a.mmap(&mut env.ctx(), base + P, P, RW, ANON | MAP_FIXED_NOREPLACE), Err(EEXIST));
        assert_eq!(
            a.mmap(&mut env.ctx(), base + 3 * P, 2 * P, RW, ANON | MAP_FIXED_NOREPLACE),
            Err(EEXIST),
            "partial overlap"
        );
        assert_eq!(a.mmap(&mut env.ctx(), base + 4 * P, P, PROT_READ, ANON | MAP_FIXED_NOREPLACE), Ok(base + 4 * P));
        // MAP_FIXED over the middle: old pages freed, new memory reads 0.
        assert_eq!(a.mmap(&mut env.ctx(), base + P, 2 * P, PROT_READ, ANON | MAP_FIXED), Ok(base + P));
        assert_eq!(env.used(), used - 2);
        assert_eq!(
            layout(&a),
            [
                (base, base + P, Prot::RW),
                (base + P, base + 3 * P, Prot::READ),
                (base + 3 * P, base + 4 * P, Prot::RW),
                (base + 4 * P, base + 5 * P, Prot::READ)
            ]
        );
        let mut b = [9u8; 3];
        a.copy_from_user(&mut env.ctx(), base + P - 1, &mut b).unwrap();
        assert_eq!(b, [1, 0, 0]);
        finish(env, a);
    }

    #[test]
    fn no_room_is_enomem() {
        let (mut env, mut a) = setup();
        // Fill everything above mmap_min_addr up to the top with one VMA.
        a.mmap(&mut env.ctx(), MMAP_MIN_ADDR, TASK_SIZE - MMAP_MIN_ADDR, PROT_NONE, ANON | MAP_FIXED).unwrap();
        assert_eq!(a.mmap(&mut env.ctx(), 0, P, RW, ANON), Err(ENOMEM));
        a.munmap(&mut env.ctx(), 0x5000_0000, P).unwrap();
        assert_eq!(a.mmap(&mut env.ctx(), 0, 2 * P, RW, ANON), Err(ENOMEM));
        assert_eq!(a.mmap(&mut env.ctx(), 0, P, RW, ANON), Ok(0x5000_0000));
        finish(env, a);
    }

    #[test]
    fn bottom_up_fallback_above_mmap_base() {
        let (mut env, mut a) = setup();
        a.mmap(&mut env.ctx(), MMAP_MIN_ADDR, MMAP_BASE - MMAP_MIN_ADDR, PROT_NONE, ANON | MAP_FIXED).unwrap();
        assert_eq!(a.mmap(&mut env.ctx(), 0, P, RW, ANON), Ok(MMAP_BASE));
        assert_eq!(a.mmap(&mut env.ctx(), 0, P, RW, ANON | MAP_32BIT), Err(ENOMEM), "the first 2 GiB are full");
        finish(env, a);
    }

    #[test]
    fn munmap_splits_and_frees() {
        let (mut env, mut a) = setup();
        let base = 0x4000_0000;
        a.mmap(&mut env.ctx(), base, 8 * P, RW, ANON | MAP_FIXED).unwrap();
        a.user_write(&mut env.ctx(), base, &[7; 8 * P as usize]).unwrap();
        let used = env.used();
        assert_eq!(a.munmap(&mut env.ctx(), base + 2 * P, 3 * P - 1), Ok(()));
        assert_eq!(env.used(), used - 3);
        assert_eq!(a.resident_pages(), 5);
        assert_eq!(layout(&a), [(base, base + 2 * P, Prot::RW), (base + 5 * P, base + 8 * P, Prot::RW)]);
        assert_eq!(a.user_read(&mut env.ctx(), base + 2 * P, &mut [0]), Err(FaultError::MapErr));
        let mut b = [0u8; 2];
        a.copy_from_user(&mut env.ctx(), base + 2 * P - 1, &mut b[..1]).unwrap();
        assert_eq!(b[0], 7);
        assert_eq!(a.copy_from_user(&mut env.ctx(), base + 2 * P - 1, &mut b), Err(EFAULT));
        // Errors and no-ops.
        assert_eq!(a.munmap(&mut env.ctx(), base + 1, P), Err(EINVAL));
        assert_eq!(a.munmap(&mut env.ctx(), base, 0), Err(EINVAL));
        assert_eq!(a.munmap(&mut env.ctx(), TASK_SIZE, P), Err(EINVAL));
        assert_eq!(a.munmap(&mut env.ctx(), base, u64::MAX), Err(EINVAL));
        assert_eq!(a.munmap(&mut env.ctx(), 0x9000_0000, P), Ok(()), "nothing mapped there");
        // Unmapping everything also frees the page tables.
        a.munmap(&mut env.ctx(), base, 8 * P).unwrap();
        assert_eq!(a.vmas().count(), 0);
        assert_eq!(a.table_frames(&env.mem), 1);
        assert_eq!(a.resident_pages(), 0);
        finish(env, a);
    }

    #[test]
    fn mprotect_splits_updates_ptes_and_flushes_live() {
        let (mut env, mut a) = setup();
        let base = 0x4000_0000;
        a.mmap(&mut env.live(), base, 4 * P, RW, ANON | MAP_FIXED).unwrap();
        a.user_write(&mut env.live(), base, &[3; 4 * P as usize]).unwrap();
        assert!(a.pte(&env.mem, base + P).is_writable());
        env.mmu.clear_log();

        a.mprotect(&mut env.live(), base + P, P, PROT_READ).unwrap();
        assert_eq!(env.mmu.flushed_pages(), [base + P], "write permission dropped: flush");
        assert!(!a.pte(&env.mem, base + P).is_writable());
        assert_eq!(
            layout(&a),
            [(base, base + P, Prot::RW), (base + P, base + 2 * P, Prot::READ), (base + 2 * P, base + 4 * P, Prot::RW)]
        );
        assert_eq!(a.user_write(&mut env.live(), base + P, &[1]), Err(FaultError::AccErr));
        assert_eq!(a.copy_to_user(&mut env.live(), base + P, &[1]), Err(EFAULT));

        // Gaining permission needs no flush, and the frame (refcount 1) is
        // writable again at once.
        env.mmu.clear_log();
        a.mprotect(&mut env.live(), base, 4 * P, RW).unwrap();
        assert!(env.mmu.flushed_pages().is_empty());
        assert!(a.pte(&env.mem, base + P).is_writable());
        assert_eq!(layout(&a), [(base, base + 4 * P, Prot::RW)]);

        // PROT_NONE keeps the data but makes the page non-present.
        a.mprotect(&mut env.live(), base, P, PROT_NONE).unwrap();
        assert!(!a.pte(&env.mem, base).is_present() && a.pte(&env.mem, base).is_mapped());
        assert_eq!(a.user_read(&mut env.live(), base, &mut [0]), Err(FaultError::AccErr));
        a.mprotect(&mut env.live(), base, P, PROT_READ | PROT_EXEC).unwrap();
        let mut b = [0u8];
        a.user_read(&mut env.live(), base, &mut b).unwrap();
        assert_eq!(b, [3]);
        assert!(a.pte(&env.mem, base).is_executable() && !a.pte(&env.mem, base + P).is_executable());
        finish(env, a);
    }

    #[test]
    fn mprotect_errors_and_partial_application() {
        let (mut env, mut a) = setup();
        let base = 0x4000_0000;
        a.mmap(&mut env.ctx(), base, 2 * P, RW, ANON | MAP_FIXED).unwrap();
        a.mmap(&mut env.ctx(), base + 3 * P, P, RW, ANON | MAP_FIXED).unwrap();
        let mut ctx = env.ctx();
        let c = &mut ctx;
        assert_eq!(a.mprotect(c, base + 1, P, PROT_READ), Err(EINVAL));
        assert_eq!(a.mprotect(c, base, P, 0x10), Err(EINVAL));
        assert_eq!(a.mprotect(c, base, P, PROT_READ | PROT_GROWSDOWN), Err(EINVAL), "not a stack");
        assert_eq!(a.mprotect(c, base, 0, PROT_READ), Ok(()));
        assert_eq!(a.mprotect(c, base - P, 2 * P, PROT_READ), Err(ENOMEM), "hole at the start: nothing changes");
        assert_eq!(a.vmas().next().unwrap().prot, Prot::RW);
        assert_eq!(a.mprotect(c, base, u64::MAX - base, PROT_READ), Err(ENOMEM));
        // A hole in the middle: Linux changes what comes before it.
        assert_eq!(a.mprotect(c, base, 4 * P, PROT_READ), Err(ENOMEM));
        assert_eq!(layout(&a), [(base, base + 2 * P, Prot::READ), (base + 3 * P, base + 4 * P, Prot::RW)]);
        assert_eq!(a.mprotect(c, base, P, PROT_READ | PROT_SEM), Ok(()));
        drop(ctx);
        finish(env, a);
    }

    #[test]
    fn brk_follows_linux() {
        let (mut env, mut a) = setup();
        assert_eq!(a.brk(&mut env.ctx(), 0), 0, "no heap before the loader sets one");
        a.set_brk_base(0x60_0123);
        let b0 = 0x60_1000;
        assert_eq!(a.brk(&mut env.ctx(), 0), b0);
        assert_eq!(a.brk(&mut env.ctx(), b0 - 1), b0, "below the start: refused");
        assert_eq!(a.brk(&mut env.ctx(), b0 + 10), b0 + 10);
        assert_eq!(layout(&a), [(b0, b0 + P, Prot::RW)]);
        assert_eq!(a.brk(&mut env.ctx(), b0 + 3 * P), b0 + 3 * P);
        assert_eq!(layout(&a), [(b0, b0 + 3 * P, Prot::RW)], "heap VMA extended");
        a.user_write(&mut env.ctx(), b0, &[5; 3 * P as usize]).unwrap();
        let used = env.used();
        assert_eq!(a.brk(&mut env.ctx(), b0 + P + 1), b0 + P + 1);
        assert_eq!(env.used(), used - 1, "shrinking unmaps");
        assert_eq!(layout(&a), [(b0, b0 + 2 * P, Prot::RW)]);
        // Growing again gives zeroed memory.
        assert_eq!(a.brk(&mut env.ctx(), b0 + 3 * P), b0 + 3 * P);
        assert_eq!(a.read_u64(&mut env.ctx(), b0 + 2 * P), Ok(0));
        // A mapping in the way (a page of slack is required).
        a.mmap(&mut env.ctx(), b0 + 5 * P, P, RW, ANON | MAP_FIXED).unwrap();
        assert_eq!(a.brk(&mut env.ctx(), b0 + 5 * P), b0 + 3 * P);
        assert_eq!(a.brk(&mut env.ctx(), b0 + 4 * P + 1), b0 + 3 * P);
        assert_eq!(a.brk(&mut env.ctx(), b0 + 4 * P), b0 + 4 * P);
        assert_eq!(a.brk(&mut env.ctx(), u64::MAX), b0 + 4 * P);
        finish(env, a);
    }

    #[test]
    fn map_fixed_region_widens_to_pages_and_populate_allocates() {
        let (mut env, mut a) = setup();
        a.map_fixed_region(&mut env.ctx(), 0x40_0100, 0x1000, Prot::READ | Prot::EXEC, VmFlags::empty()).unwrap();
        assert_eq!(layout(&a), [(0x40_0000, 0x40_2000, Prot::READ | Prot::EXEC)]);
        assert_eq!(a.map_fixed_region(&mut env.ctx(), TASK_SIZE - P, 2 * P, Prot::RW, VmFlags::ANONYMOUS), Err(ENOMEM));
        assert_eq!(a.map_fixed_region(&mut env.ctx(), 0x1000_0000, 0, Prot::RW, VmFlags::ANONYMOUS), Err(EINVAL));
        let used = env.used();
        let x = a.mmap(&mut env.ctx(), 0, 4 * P, RW, ANON | MAP_POPULATE).unwrap();
        assert_eq!(a.resident_pages(), 4);
        assert!(env.used() >= used + 4);
        assert!(a.pte(&env.mem, x).is_writable());
        finish(env, a);
    }
}
