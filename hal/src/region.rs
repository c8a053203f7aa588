//! A region of the kernel half mapped 4 KiB at a time: one PML4 slot whose
//! PDPT lives in the kernel image, with the page directories and page
//! tables below it made as pages are first mapped, and kept. The kernel
//! stacks' area (`kstack`) and the heap's (`heap`) are two (Linux: the
//! vmalloc area, whose tables vmap_pages_range() grows the same way).
//!
//! The PML4 entry is installed at boot, before any address space copies
//! the kernel half, so every address space sees every page of the region
//! through tables that only grow.

use core::cell::UnsafeCell;

use crate::boot::KERNEL_VMA;
use crate::mem::phys_to_virt;

pub(crate) const PRESENT: u64 = 1;
pub(crate) const WRITABLE: u64 = 1 << 1;
pub(crate) const NO_EXECUTE: u64 = 1 << 63;
const ADDR_MASK: u64 = 0x000f_ffff_ffff_f000;

#[repr(C, align(4096))]
struct Table([u64; 512]);

/// One PML4 slot's worth of kernel address space (512 GiB at `base`).
pub(crate) struct Region {
    pdpt: UnsafeCell<Table>,
    base: u64,
}

// SAFETY: the tables are changed only through the unsafe methods below,
// whose callers serialize every change (each region's owner holds its own
// lock, or runs alone at boot); the CPU's page walks only read them.
unsafe impl Sync for Region {}

impl Region {
    /// The region at `base`, a PML4 slot boundary of the kernel half.
    pub(crate) const fn new(base: u64) -> Region {
        assert!(base.is_multiple_of(1 << 39) && base >= 0xFFFF_8000_0000_0000);
        Region { pdpt: UnsafeCell::new(Table([0; 512])), base }
    }

    /// Install the region in the kernel's page table `kernel_pml4`
    /// (physical).
    ///
    /// # Safety
    /// `kernel_pml4` is the kernel's live PML4, before any address space
    /// was made from it; the region's slot is used by nothing else; called
    /// once per region.
    pub(crate) unsafe fn install(&'static self, kernel_pml4: u64) {
        // The PDPT is in the kernel image, linked at KERNEL_VMA above its
        // physical address.
        let pdpt = self.pdpt.get() as u64 - KERNEL_VMA;
        let index = ((self.base >> 39) & 511) as usize;
        let entry = phys_to_virt(kernel_pml4) as *mut u64;
        // SAFETY: per the contract, the live PML4 (in the direct map) and a
        // slot no mapping uses yet, so no translation in use changes.
        unsafe { core::ptr::write_volatile(entry.add(index), pdpt | PRESENT | WRITABLE) };
    }

    /// The page-table entry that maps `va`, making the tables above it
    /// from `table()` (zeroed before they are linked in); None when a
    /// table was needed and `table()` had no frame.
    ///
    /// # Safety
    /// `va` lies in the region, [`Region::install`] has run (or runs
    /// next, at boot), and the caller serializes every change to the
    /// region's tables.
    pub(crate) unsafe fn pte(&self, va: u64, table: &mut dyn FnMut() -> Option<u64>) -> Option<*mut u64> {
        debug_assert!((self.base..self.base + (1 << 39)).contains(&va));
        let mut t = self.pdpt.get() as *mut u64;
        for shift in [30, 21] {
            // SAFETY: each level's table has 512 entries and the index is
            // masked below 512; per the contract nothing else changes them.
            let e = unsafe { t.add(((va >> shift) & 511) as usize) };
            // SAFETY: as above.
            let v = unsafe { core::ptr::read_volatile(e) };
            t = if v & PRESENT != 0 {
                phys_to_virt(v & ADDR_MASK) as *mut u64
            } else {
                let pa = table()?;
                let new = phys_to_virt(pa) as *mut u8;
                // SAFETY: a whole frame given to the region for good,
                // reached through the direct map; zeroed before the entry
                // makes it reachable.
                unsafe {
                    crate::mem::clear_page(new);
                    core::ptr::write_volatile(e, pa | PRESENT | WRITABLE);
                }
                new as *mut u64
            };
        }
        // SAFETY: the page table reached above, index below 512.
        Some(unsafe { t.add(((va >> 12) & 511) as usize) })
    }

    /// Clear the entry for `va` and drop this CPU's translation of it
    /// (`invlpg`); the frame it mapped, None if nothing was. The tables
    /// above it stay. Other CPUs are the caller's to flush.
    ///
    /// # Safety
    /// As [`Region::pte`], and nothing uses the page any more.
    pub(crate) unsafe fn unmap(&self, va: u64) -> Option<u64> {
        // SAFETY: the caller's contract; a table that is missing is never
        // made (the closure gives no frame), so nothing is mapped there.
        let e = unsafe { self.pte(va, &mut || None) }?;
        // SAFETY: a valid entry per the contract; clearing it and `invlpg`
        // make the page fault from now on in this CPU's address space.
        unsafe {
            let v = core::ptr::read_volatile(e);
            if v & PRESENT == 0 {
                return None;
            }
            core::ptr::write_volatile(e, 0);
            core::arch::asm!("invlpg [{}]", in(reg) va, options(nostack, preserves_flags));
            Some(v & ADDR_MASK)
        }
    }
}
