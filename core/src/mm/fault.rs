//! Page faults (Linux: arch/x86/mm/fault.c do_user_addr_fault() and
//! mm/memory.c handle_mm_fault()): demand-zero anonymous pages, the shared
//! zero frame, copy-on-write, stack growth, and pages of the page cache
//! for file and shared mappings. Also the software version of
//! the hardware's access check, which user-memory access and host tests use
//! to touch user memory exactly as a user instruction would.

use super::aspace::{leaf_flags, may_write_in_place, AddressSpace, MemCtx};
use super::consts::*;
use super::pagetable::{read_pte, write_pte, Pte, PteFlags};
use super::vma::{Prot, VmFlags, Vma};
use super::vmstat::VmEvent;
use crate::abi::{Errno, EFAULT, ENOMEM, SIGBUS, SIGSEGV};
use crate::trace::{Event, Payload};

/// The kind of access that faulted (the W and I bits of the x86 error code).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
    Exec,
}

/// Why a fault could not be resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultError {
    /// No mapping there: SIGSEGV with SEGV_MAPERR.
    MapErr,
    /// A mapping without the needed permission: SIGSEGV with SEGV_ACCERR.
    AccErr,
    /// No memory for the page (Linux: VM_FAULT_OOM, the OOM killer).
    Oom,
    /// A file page at or beyond the end of the file: SIGBUS with
    /// BUS_ADRERR (Linux: VM_FAULT_SIGBUS).
    Bus,
}

pub const SEGV_MAPERR: i32 = 1;
pub const SEGV_ACCERR: i32 = 2;
pub const BUS_ADRERR: i32 = 2;

impl FaultError {
    /// The `si_code` of the SIGSEGV to send; `None` for OOM, where Linux
    /// kills the task instead, and for SIGBUS (see [`signal`](Self::signal)).
    pub fn si_code(self) -> Option<i32> {
        match self {
            FaultError::MapErr => Some(SEGV_MAPERR),
            FaultError::AccErr => Some(SEGV_ACCERR),
            FaultError::Oom | FaultError::Bus => None,
        }
    }

    /// The signal and `si_code` a user fault earns; `None` for OOM, where
    /// Linux's OOM killer kills the task (with SIGKILL) instead.
    /// Linux: mm_fault_error() → bad_area_nosemaphore() / do_sigbus().
    pub fn signal(self) -> Option<(u32, i32)> {
        match self {
            FaultError::MapErr => Some((SIGSEGV, SEGV_MAPERR)),
            FaultError::AccErr => Some((SIGSEGV, SEGV_ACCERR)),
            FaultError::Bus => Some((SIGBUS, BUS_ADRERR)),
            FaultError::Oom => None,
        }
    }

    /// What a system call touching the address returns.
    pub fn errno(self) -> Errno {
        match self {
            FaultError::Oom => ENOMEM,
            _ => EFAULT,
        }
    }
}

/// Whether `vma` allows `access`. Linux: x86's access_error(): writes need
/// VM_WRITE, instruction fetches VM_EXEC (they fault again on the NX bit
/// otherwise), and reads any access right at all.
fn vma_permits(vma: &Vma, access: Access) -> bool {
    match access {
        Access::Read => vma.prot.is_accessible(),
        Access::Write => vma.prot.contains(Prot::WRITE),
        Access::Exec => vma.prot.contains(Prot::EXEC),
    }
}

/// Whether the MMU would let a user-mode `access` through `pte`.
fn hardware_permits(pte: Pte, access: Access) -> bool {
    pte.is_present()
        && pte.is_user()
        && match access {
            Access::Read => true,
            Access::Write => pte.is_writable(),
            Access::Exec => pte.is_executable(),
        }
}

impl AddressSpace {
    /// Resolve a user page fault at `addr`, or say which signal it earns.
    /// Linux: do_user_addr_fault() → handle_mm_fault() → handle_pte_fault().
    pub fn handle_fault(&mut self, ctx: &mut MemCtx<'_>, addr: u64, access: Access) -> Result<(), FaultError> {
        ctx.frames.events.count(VmEvent::PgFault);
        if addr >= TASK_SIZE {
            return Err(FaultError::MapErr);
        }
        let vma = match self.vmas.find(addr) {
            Some(v) => *v,
            None => self.expand_stack(ctx, addr)?,
        };
        if !vma_permits(&vma, access) {
            return Err(FaultError::AccErr);
        }
        let va = page_floor(addr);
        let Some((slot, table_writable)) = self.pt.walk_path(ctx.phys, va) else {
            return self.do_no_page(ctx, &vma, va, access);
        };
        let mut pte = read_pte(ctx.phys, slot);
        if access == Access::Write && !table_writable && pte.is_mapped() {
            // A write into a leaf table fork left shared: take a table of
            // our own first (ptshare); the PTE may be read-only now.
            self.unshare_range(ctx, va, va + PAGE_SIZE);
            pte = self.pt.get(ctx.phys, va);
        }
        if !pte.is_mapped() {
            return self.do_no_page(ctx, &vma, va, access);
        }
        debug_assert!(pte.is_present(), "PROT_NONE entry in accessible VMA at {va:#x}");
        if access == Access::Write && !pte.is_writable() {
            return self.do_wp_page(ctx, &vma, va, pte);
        }
        // Already allowed: a stale TLB entry faulted (the fault itself
        // dropped it). Linux: the spurious-fault path of handle_pte_fault().
        Ok(())
    }

    /// A fault on a page with no frame yet. Linux: the `pte_none()` branch
    /// of handle_pte_fault().
    fn do_no_page(&mut self, ctx: &mut MemCtx<'_>, vma: &Vma, va: u64, access: Access) -> Result<(), FaultError> {
        match vma.file {
            Some(_) => self.do_fault(ctx, vma, va, access),
            None => self.do_anonymous_page(ctx, vma, va, access),
        }
    }

    /// Perform a user-mode `access` at `addr` the way the MMU does: check
    /// the PTE, set its accessed (and dirty) bit, and only when the check
    /// fails take the fault. Returns the physical address reached.
    pub fn simulate_access(&mut self, ctx: &mut MemCtx<'_>, addr: u64, access: Access) -> Result<u64, FaultError> {
        if addr >= TASK_SIZE {
            return Err(FaultError::MapErr);
        }
        let va = page_floor(addr);
        for faulted in [false, true] {
            if let Some((slot, table_writable)) = self.pt.walk_path(ctx.phys, va) {
                let pte = read_pte(ctx.phys, slot);
                if hardware_permits(pte, access) && (table_writable || access != Access::Write) {
                    let ad =
                        if access == Access::Write { PteFlags::ACCESSED | PteFlags::DIRTY } else { PteFlags::ACCESSED };
                    if !pte.flags().contains(ad) {
                        write_pte(ctx.phys, slot, pte.set(ad));
                    }
                    return Ok(pte.addr() + (addr - va));
                }
            }
            if faulted {
                break;
            }
            self.handle_fault(ctx, addr, access)?;
        }
        panic!("fault at {addr:#x} ({access:?}) resolved without fixing the PTE");
    }

    /// First touch of a private anonymous page. A read maps the shared
    /// zero frame read-only; a write gets a zeroed frame of its own.
    /// (Shared anonymous memory is a page-cache object: [`Self::do_fault`].)
    /// Linux: do_anonymous_page().
    fn do_anonymous_page(
        &mut self,
        ctx: &mut MemCtx<'_>,
        vma: &Vma,
        va: u64,
        access: Access,
    ) -> Result<(), FaultError> {
        debug_assert!(!vma.is_shared(), "shared VMA without an object at {va:#x}");
        let pte = if access != Access::Write {
            let zero = ctx.frames.zero_frame();
            ctx.frames.get(zero);
            ctx.frames.events.count(VmEvent::ZeroPage);
            Pte::new(zero, leaf_flags(vma, false))
        } else {
            let frame = ctx.frames.alloc_zeroed(ctx.phys).ok_or(FaultError::Oom)?;
            ctx.trace(Event::ZeroPage, || Payload::Frame { address: va, pfn: frame >> PAGE_SHIFT });
            Pte::new(frame, leaf_flags(vma, vma.prot.contains(Prot::WRITE)))
        };
        self.replace_pte(ctx, va, pte).map_err(|_| FaultError::Oom)
    }

    /// First touch of a page of a file or shared-memory mapping: map the
    /// page-cache frame, read-only unless this is a write to a shared
    /// mapping (which marks the page dirty), or for a write to a private
    /// mapping a copy of it. Beyond the end of the file: SIGBUS.
    /// Linux: do_fault() → do_read_fault() / do_cow_fault() /
    /// do_shared_fault().
    fn do_fault(&mut self, ctx: &mut MemCtx<'_>, vma: &Vma, va: u64, access: Access) -> Result<(), FaultError> {
        let f = vma.file.expect("file VMA");
        let idx = vma.page_index(va).expect("file VMA");
        let page = ctx.pagecache.get_page(ctx.frames, ctx.phys, f.ino, idx)?;
        if access == Access::Write && !vma.is_shared() {
            // Linux: do_cow_fault(). The cache page stays as it was.
            let new = ctx.frames.alloc().ok_or(FaultError::Oom)?;
            ctx.phys.copy_frame(new, page);
            ctx.frames.events.count(VmEvent::CowCopy);
            return self.replace_pte(ctx, va, Pte::new(new, leaf_flags(vma, true))).map_err(|_| FaultError::Oom);
        }
        if access == Access::Write {
            // Linux: do_shared_fault() → fault_dirty_shared_page().
            ctx.pagecache.mark_dirty(f.ino, idx);
        }
        // A private mapping never writes the cache page; a shared one may
        // once the page is dirty (or if nothing tracks dirtiness).
        let writable = vma.is_shared() && may_write_in_place(ctx, vma, va, page);
        ctx.frames.get(page);
        self.replace_pte(ctx, va, Pte::new(page, leaf_flags(vma, writable))).map_err(|_| FaultError::Oom)
    }

    /// Write to a present read-only page in a writable VMA.
    /// Linux: do_wp_page().
    fn do_wp_page(&mut self, ctx: &mut MemCtx<'_>, vma: &Vma, va: u64, old: Pte) -> Result<(), FaultError> {
        let frame = old.addr();
        let zero = ctx.frames.zero_frame();
        if vma.is_shared() {
            // Linux: wp_page_shared(): the first write to a clean shared
            // file page dirties it.
            if let Some(f) = vma.file {
                ctx.pagecache.mark_dirty(f.ino, vma.page_index(va).expect("file VMA"));
            }
        }
        if vma.is_shared() || (frame != zero && ctx.frames.refcount(frame) == 1) {
            // Nobody else sees this frame (or everybody should): just allow
            // the write. Linux: wp_page_reuse() / wp_page_shared().
            let slot = self.pt.walk(ctx.phys, va).expect("PTE vanished");
            write_pte(ctx.phys, slot, old.set(PteFlags::WRITABLE));
            if !vma.is_shared() {
                let pfn = frame >> PAGE_SHIFT;
                ctx.trace(Event::CowReuse, || Payload::Frames { address: va, old_pfn: pfn, new_pfn: pfn });
                ctx.frames.events.count(VmEvent::CowReuse);
            }
            return Ok(());
        }
        // Shared with another mapping, or the zero frame: copy.
        // Linux: wp_page_copy(), which also "copies" the zero page by
        // allocating a zeroed one.
        let new = if frame == zero {
            ctx.frames.alloc_zeroed(ctx.phys)
        } else {
            ctx.frames.alloc().inspect(|&n| ctx.phys.copy_frame(n, frame))
        }
        .ok_or(FaultError::Oom)?;
        let (old_pfn, new_pfn) = (frame >> PAGE_SHIFT, new >> PAGE_SHIFT);
        if frame == zero {
            ctx.trace(Event::ZeroPage, || Payload::Frame { address: va, pfn: new_pfn });
        } else {
            ctx.trace(Event::CowCopy, || Payload::Frames { address: va, old_pfn, new_pfn });
        }
        ctx.frames.events.count(VmEvent::CowCopy);
        self.replace_pte(ctx, va, Pte::new(new, leaf_flags(vma, true))).map_err(|_| FaultError::Oom)
    }

    /// A fault below a stack grows it down to the faulting page, within the
    /// stack rlimit and keeping the guard gap to the mapping below.
    /// Linux: expand_stack() → expand_downwards() / acct_stack_growth().
    fn expand_stack(&mut self, ctx: &mut MemCtx<'_>, addr: u64) -> Result<Vma, FaultError> {
        let stack = *self.vmas.find_from(addr).ok_or(FaultError::MapErr)?;
        let new_start = page_floor(addr);
        let too_big = stack.end - new_start > STACK_RLIMIT;
        if !stack.flags.contains(VmFlags::GROWSDOWN) || stack.file.is_some() || new_start < MMAP_MIN_ADDR || too_big {
            return Err(FaultError::MapErr);
        }
        if let Some(prev) = self.vmas.prev(new_start) {
            let guarded = !prev.flags.contains(VmFlags::GROWSDOWN) && prev.prot.is_accessible();
            if guarded && new_start - prev.end < STACK_GUARD_GAP {
                return Err(FaultError::MapErr);
            }
        }
        // Linux: acct_stack_growth() commits the new pages.
        if stack.flags.contains(VmFlags::ACCOUNT) {
            self.vm_account(ctx, (stack.start - new_start) >> PAGE_SHIFT).map_err(|_| FaultError::MapErr)?;
        }
        self.vmas.extend_down(stack.start, new_start);
        Ok(Vma { start: new_start, ..stack })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::PhysMem;
    use crate::mm::sim::{finish, Env, ANON, BASE, P, RW};

    fn setup(prot: u32, pages: u64) -> (Env, AddressSpace) {
        let mut env = Env::new(256);
        let mut a = env.aspace();
        a.mmap(&mut env.ctx(), BASE, pages * P, prot, ANON | MAP_FIXED).unwrap();
        (env, a)
    }

    #[test]
    fn read_maps_zero_frame_then_write_gets_private_frame() {
        let (mut env, mut a) = setup(RW, 2);
        let zero = env.frames.zero_frame();
        let used = env.used();
        let z_refs = env.frames.refcount(zero);

        let mut b = [0xffu8; 8];
        a.user_read(&mut env.ctx(), BASE, &mut b).unwrap();
        a.user_read(&mut env.ctx(), BASE + P, &mut b).unwrap();
        assert_eq!(b, [0; 8]);
        let pte = a.pte(&env.mem, BASE);
        assert_eq!(pte.addr(), zero);
        assert_eq!(a.pte(&env.mem, BASE + P).addr(), zero, "one zero frame for all");
        assert!(!pte.is_writable() && !pte.is_executable());
        assert_eq!(env.frames.refcount(zero), z_refs + 2);
        assert_eq!(a.resident_pages(), 0);
        let ev = |env: &Env, e| env.frames.events.get(e);
        assert_eq!((ev(&env, VmEvent::ZeroPage), ev(&env, VmEvent::PgFault)), (2, 2), "two read faults");
        // Only a page table was needed (PDPT, PD, PT).
        assert_eq!(env.used(), used + 3);

        a.user_write(&mut env.ctx(), BASE + 3, &[42]).unwrap();
        let pte = a.pte(&env.mem, BASE);
        assert_ne!(pte.addr(), zero);
        assert!(pte.is_writable());
        assert!(pte.flags().contains(PteFlags::DIRTY | PteFlags::ACCESSED));
        assert_eq!(env.frames.refcount(pte.addr()), 1);
        assert_eq!(env.frames.refcount(zero), z_refs + 1);
        assert_eq!(a.resident_pages(), 1);
        assert_eq!(ev(&env, VmEvent::CowCopy), 1, "the zero page copied");
        assert_eq!(ev(&env, VmEvent::CowReuse), 0);
        a.user_read(&mut env.ctx(), BASE, &mut b).unwrap();
        assert_eq!(b, [0, 0, 0, 42, 0, 0, 0, 0]);
        // The zero frame itself is untouched.
        let mut z = [1u8; 4096];
        env.mem.read(zero, &mut z);
        assert!(z.iter().all(|&x| x == 0));
        finish(env, a);
    }

    #[test]
    fn write_first_allocates_directly() {
        let (mut env, mut a) = setup(RW, 1);
        let used = env.used();
        a.user_write(&mut env.ctx(), BASE, &[1]).unwrap();
        assert_eq!(env.used(), used + 4, "3 tables + 1 data frame, no zero-frame detour");
        assert_eq!(a.resident_pages(), 1);
        finish(env, a);
    }

    #[test]
    fn maperr_and_accerr() {
        let (mut env, mut a) = setup(PROT_READ, 1);
        a.mmap(&mut env.ctx(), BASE + P, P, PROT_NONE, ANON | MAP_FIXED).unwrap();
        a.mmap(&mut env.ctx(), BASE + 2 * P, P, PROT_WRITE, ANON | MAP_FIXED).unwrap();
        let mut ctx = env.ctx();
        let c = &mut ctx;
        assert_eq!(a.handle_fault(c, BASE - 1, Access::Read), Err(FaultError::MapErr));
        assert_eq!(a.handle_fault(c, BASE + 3 * P, Access::Read), Err(FaultError::MapErr));
        assert_eq!(a.handle_fault(c, 0xffff_8000_0000_0000, Access::Read), Err(FaultError::MapErr));
        assert_eq!(a.handle_fault(c, BASE, Access::Write), Err(FaultError::AccErr));
        assert_eq!(a.handle_fault(c, BASE, Access::Exec), Err(FaultError::AccErr));
        assert_eq!(a.handle_fault(c, BASE + P, Access::Read), Err(FaultError::AccErr));
        assert_eq!(a.simulate_access(c, BASE, Access::Read).map(|_| ()), Ok(()));
        // x86 has no write-only pages: PROT_WRITE alone is readable.
        assert_eq!(a.simulate_access(c, BASE + 2 * P, Access::Read).map(|_| ()), Ok(()));
        assert_eq!(a.simulate_access(c, BASE + 2 * P, Access::Exec), Err(FaultError::AccErr));
        assert_eq!(FaultError::AccErr.si_code(), Some(SEGV_ACCERR));
        drop(ctx);
        finish(env, a);
    }

    #[test]
    fn exec_needs_prot_exec_and_clear_nx() {
        let (mut env, mut a) = setup(PROT_READ | PROT_EXEC, 1);
        let pa = a.simulate_access(&mut env.ctx(), BASE + 5, Access::Exec).unwrap();
        assert_eq!(pa, env.frames.zero_frame() + 5);
        assert!(a.pte(&env.mem, BASE).is_executable());
        finish(env, a);
    }

    #[test]
    fn stack_grows_down_within_limits() {
        let mut env = Env::new(256);
        let mut a = env.aspace();
        let top = STACK_TOP;
        a.map_fixed_region(&mut env.ctx(), top - 4 * P, 4 * P, Prot::RW, VmFlags::ANONYMOUS | VmFlags::GROWSDOWN)
            .unwrap();
        // A push well below the current bottom grows the VMA.
        a.user_write(&mut env.ctx(), top - 100 * P + 8, &[1]).unwrap();
        let v = *a.find_vma(top - 1).unwrap();
        assert_eq!((v.start, v.end), (top - 100 * P, top));
        // Beyond the rlimit: SIGSEGV.
        assert_eq!(a.user_write(&mut env.ctx(), top - STACK_RLIMIT - 1, &[1]), Err(FaultError::MapErr));
        // A mapping below blocks growth into its guard gap.
        let low = top - 200 * P - STACK_GUARD_GAP;
        a.mmap(&mut env.ctx(), low, P, RW, ANON | MAP_FIXED).unwrap();
        assert_eq!(a.user_write(&mut env.ctx(), top - 200 * P + 8, &[1]), Err(FaultError::MapErr));
        a.user_write(&mut env.ctx(), top - 199 * P, &[1]).unwrap();
        // Not below a non-stack mapping.
        assert_eq!(a.user_write(&mut env.ctx(), low - 8, &[1]), Err(FaultError::MapErr));
        finish(env, a);
    }

    #[test]
    fn oom_in_fault_is_reported_and_leaks_nothing() {
        let (mut env, mut a) = setup(RW, 4);
        a.user_write(&mut env.ctx(), BASE, &[1]).unwrap();
        let mut hog = std::vec::Vec::new();
        while let Some(f) = env.frames.alloc() {
            hog.push(f);
        }
        assert_eq!(a.user_write(&mut env.ctx(), BASE + P, &[1]), Err(FaultError::Oom));
        // A read still works: it needs no frame.
        a.user_read(&mut env.ctx(), BASE + P, &mut [0]).unwrap();
        assert_eq!(a.user_write(&mut env.ctx(), BASE + P, &[1]), Err(FaultError::Oom));
        assert_eq!(a.copy_to_user(&mut env.ctx(), BASE + P, &[1]), Err(ENOMEM));
        for f in hog {
            env.frames.put(f);
        }
        a.user_write(&mut env.ctx(), BASE + P, &[1]).unwrap();
        finish(env, a);
    }

    /// A copy-on-write fault that cannot get its frame fails with Oom and
    /// changes nothing: both sides still read the shared page.
    #[test]
    fn cow_copy_out_of_memory_changes_nothing() {
        let (mut env, mut a) = setup(RW, 1);
        a.user_write(&mut env.ctx(), BASE, &[1]).unwrap();
        let mut b = a.fork(&mut env.ctx()).unwrap();
        let f = a.pte(&env.mem, BASE).addr();
        let before = env.frames.stats();
        env.frames.fail_after(Some(0));
        assert_eq!(b.user_write(&mut env.ctx(), BASE, &[2]), Err(FaultError::Oom));
        assert_eq!(b.handle_fault(&mut env.ctx(), BASE, Access::Write), Err(FaultError::Oom));
        env.frames.fail_after(None);
        assert_eq!(env.frames.stats(), before);
        assert_eq!(env.frames.refcount(f), 2);
        assert_eq!(b.pte(&env.mem, BASE).addr(), f);
        let mut x = [0u8];
        b.user_read(&mut env.ctx(), BASE, &mut x).unwrap();
        assert_eq!(x, [1]);
        b.user_write(&mut env.ctx(), BASE, &[2]).unwrap();
        a.user_read(&mut env.ctx(), BASE, &mut x).unwrap();
        assert_eq!(x, [1]);
        b.release(&mut env.ctx());
        finish(env, a);
    }

    /// A first touch that needs three page tables and a data frame fails
    /// at each of those allocations in turn; whatever tables it did get
    /// belong to the address space and come back with it.
    #[test]
    fn demand_zero_needing_page_tables_out_of_memory() {
        let mut env = Env::new(256);
        for n in 0.. {
            let mut a = env.aspace();
            a.mmap(&mut env.ctx(), 0x7f00_0000_0000, P, RW, ANON | MAP_FIXED).unwrap();
            let before = env.used();
            env.frames.fail_after(Some(n));
            let r = a.user_write(&mut env.ctx(), 0x7f00_0000_0000, &[1]);
            env.frames.fail_after(None);
            if r.is_ok() {
                assert_eq!(n, 4, "3 tables and the data frame");
                assert_eq!(env.used(), before + 4);
                a.release(&mut env.ctx());
                env.check_baseline();
                break;
            }
            assert_eq!(r, Err(FaultError::Oom));
            // The data frame comes first and is given back; the tables it
            // got stay in the tree.
            assert_eq!(env.used(), before + n.saturating_sub(1), "allocation {n}");
            assert_eq!(a.resident_pages(), 0);
            // A read still works once memory is back.
            let mut x = [9u8];
            a.user_read(&mut env.ctx(), 0x7f00_0000_0000, &mut x).unwrap();
            assert_eq!(x, [0]);
            a.release(&mut env.ctx());
            env.check_baseline();
        }
    }
}
