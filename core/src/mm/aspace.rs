//! The address space of a process (Linux: `struct mm_struct`): its page
//! table, its VMAs and its brk. The operations are spread over sibling
//! modules the way Linux spreads them over mm/: [`super::mmap`] (mmap,
//! munmap, mprotect, brk), [`super::fault`] (page faults), [`super::fork`]
//! (dup_mmap) and [`super::uaccess`] (copy_{from,to}_user).
//!
//! Invariants, relied on everywhere:
//! - every mapped leaf PTE lies inside a VMA and owns one reference on its
//!   frame (see [`super::frame`]);
//! - a PTE is writable only if its VMA is, and for private VMAs only if the
//!   frame is mapped nowhere else (refcount 1) and is not the zero frame;
//! - a PTE is present iff its VMA is accessible; PROT_NONE pages keep their
//!   frame in a PROTNONE entry;
//! - a page of a file-backed VMA (a file or shared anonymous memory, see
//!   [`crate::mm::pagecache`]) maps either its page-cache frame or, in a
//!   private VMA, a private copy made on write; a shared file page is
//!   writable only once its cache page is marked dirty;
//! - the address space holds one page-cache user reference on each object
//!   some VMA of it maps (`objects`);
//! - a leaf table may be shared with other address spaces after fork, and
//!   is then read-only at the PMD: any change to its PTEs starts with
//!   [`unshare_range`](Self::unshare_range) (see [`super::ptshare`]).

use alloc::collections::BTreeMap;

use super::consts::TASK_SIZE;
use super::frame::FrameAllocator;
use super::pagetable::{read_pte, write_pte, PageTable, Pte, PteFlags};
use super::rss::Rss;
use super::tlb::TlbGather;
use super::vma::{Prot, VmFlags, Vma, VmaMap};
use crate::abi::Errno;
use crate::cpumask::CpuMask;
use crate::machine::PhysMem;
use crate::mm::pagecache::PageCache;

pub use super::fault::{Access, FaultError};

/// What every memory operation needs from the rest of the kernel.
pub struct MemCtx<'a> {
    pub frames: &'a mut FrameAllocator,
    pub phys: &'a dyn PhysMem,
    /// The TLB flushes the operation owes the CPUs the address space is
    /// loaded on, and the frames it frees once they are done (see
    /// [`super::tlb`]). Done when the context is dropped, or earlier by
    /// [`MemCtx::flush_tlb`].
    pub tlb: TlbGather<'a>,
    /// The page cache, which file-backed and shared mappings fault from.
    pub pagecache: &'a mut PageCache,
    /// Where the memory manager's trace events go, while one of them is
    /// enabled (`tine:cow_copy` and the like; see `trace`).
    pub trace: Option<crate::trace::Probe<'a>>,
}

impl MemCtx<'_> {
    /// The same context for another address space, loaded on `cpus`.
    pub fn reborrow(&mut self, cpus: CpuMask) -> MemCtx<'_> {
        MemCtx {
            frames: &mut *self.frames,
            phys: self.phys,
            tlb: self.tlb.other(cpus),
            pagecache: &mut *self.pagecache,
            trace: self.trace.as_mut().map(|p| p.reborrow()),
        }
    }

    /// Record a memory-manager event; `payload` is built only when it is
    /// enabled. Costs one test of an `Option` while no such event is.
    #[inline]
    pub fn trace(&mut self, ev: crate::trace::Event, payload: impl FnOnce() -> crate::trace::Payload) {
        if let Some(p) = &mut self.trace {
            p.emit(ev, payload);
        }
    }

    /// The PTE of `va` lost a permission or its frame.
    pub(super) fn flush(&mut self, va: u64) {
        self.tlb.page(va);
    }

    /// Many PTEs changed: flush the whole TLB.
    pub(super) fn flush_all(&mut self) {
        self.tlb.all();
    }

    /// Drop a PTE's reference on frame `pa` once no TLB reaches it.
    pub(super) fn put_frame(&mut self, pa: u64) {
        self.tlb.put_frame(self.frames, pa);
    }

    /// Do the flushes gathered so far, everywhere, and free what waited
    /// for them: for a caller that must know them done before it goes on.
    pub fn flush_tlb(&mut self) {
        if !self.tlb.is_empty() {
            self.tlb.flush(self.frames);
        }
    }
}

impl Drop for MemCtx<'_> {
    /// The end of the operation: its TLB flushes are done everywhere
    /// before the kernel goes back to user mode (Linux: tlb_finish_mmu()).
    fn drop(&mut self) {
        self.flush_tlb();
    }
}

/// Linux: `struct mm_struct`.
pub struct AddressSpace {
    pub(super) pt: PageTable,
    pub(super) vmas: VmaMap,
    /// Linux: mm->start_brk and mm->brk. 0 until the ELF loader sets it.
    pub(super) start_brk: u64,
    pub(super) brk: u64,
    /// Linux: mm->mmap_base, below which top-down mmap searches start.
    pub(super) mmap_base: u64,
    /// Mapped pages other than the zero frame, by kind. Linux:
    /// mm->rss_stat (MM_ANONPAGES, MM_FILEPAGES, MM_SHMEMPAGES).
    pub(super) rss: Rss,
    /// Page-cache objects some VMA maps; this address space holds one
    /// user reference on each. Linux: the `vm_file` references of the VMAs.
    /// The value: whether some VMA of it holds the file's write access
    /// (VmFlags::WRITER), counted in the page cache's writers.
    pub(super) objects: BTreeMap<u64, bool>,
    /// The most pages ever resident at once. Linux: hiwater_rss.
    pub(super) hiwater: usize,
    /// Flags every new mapping gets: VM_LOCKED after mlockall(MCL_FUTURE).
    /// Linux: mm->def_flags.
    pub(super) def_flags: super::vma::VmFlags,
    /// The program this address space runs, whose writes it denies while
    /// it lives (the system-call layer keeps the inode's count). Linux:
    /// `mm->exe_file`.
    pub exe: Option<u64>,
    /// Fork shares a leaf table only under a mapping at least this long
    /// (see [`super::ptshare`]); tests lower it to share every table.
    pub(super) share_min: u64,
    /// The auxiliary vector exec gave the program, as key, value words
    /// ending with AT_NULL: for /proc/<pid>/auxv and core dumps (Linux:
    /// mm->saved_auxv).
    pub saved_auxv: alloc::vec::Vec<u64>,
    /// Where exec put the argument and environment strings.
    pub args: ArgArea,
    /// The owner's resource limits, refreshed by the system-call layer
    /// before each operation that checks them (see [`super::mlock`]).
    pub limits: super::mlock::VmLimits,
    /// The CPUs whose CR3 holds this address space: the only TLBs that
    /// can hold its entries (Linux: mm_cpumask()). See [`super::tlb`].
    pub(super) cpus: CpuMask,
}

/// The stretches of the stack exec wrote the argument and environment
/// strings to (Linux: mm->arg_start, arg_end, env_start, env_end). The
/// process owns those bytes and may rewrite them (setproctitle does), so
/// /proc/<pid>/cmdline and environ read its memory there rather than a
/// copy kept at exec. All zero before the first exec.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ArgArea {
    pub arg_start: u64,
    pub arg_end: u64,
    pub env_start: u64,
    pub env_end: u64,
}

impl AddressSpace {
    /// An empty address space whose kernel half is `kernel_root`'s.
    /// Linux: mm_alloc() + mm_init() + pgd_alloc().
    pub fn new(ctx: &mut MemCtx<'_>, kernel_root: u64) -> Result<Self, Errno> {
        let pt = PageTable::new(ctx.frames, ctx.phys, kernel_root)?;
        Ok(AddressSpace {
            pt,
            vmas: VmaMap::new(),
            start_brk: 0,
            brk: 0,
            mmap_base: super::consts::MMAP_BASE,
            rss: Rss::default(),
            objects: BTreeMap::new(),
            hiwater: 0,
            def_flags: super::vma::VmFlags::empty(),
            exe: None,
            share_min: super::pagetable::PMD_SIZE,
            saved_auxv: alloc::vec::Vec::new(),
            args: ArgArea::default(),
            limits: Default::default(),
            cpus: CpuMask::EMPTY,
        })
    }

    /// Physical address of the PML4, for CR3.
    pub fn root(&self) -> u64 {
        self.pt.root()
    }

    /// The CPUs this address space is loaded on, whose TLBs an operation
    /// on it must flush: what its memory context's [`TlbGather`] is made
    /// with.
    pub fn cpus(&self) -> CpuMask {
        self.cpus
    }

    /// CPU `cpu` loaded this address space (Linux: the cpumask_set_cpu()
    /// of switch_mm_irqs_off()). Only [`super::Memory::switch_mm`] and
    /// tests call it, along with the CR3 load.
    pub fn mark_active(&mut self, cpu: usize) {
        self.cpus.set(cpu);
    }

    /// CPU `cpu` loaded another page table instead.
    pub fn mark_inactive(&mut self, cpu: usize) {
        self.cpus.clear(cpu);
    }

    /// The mappings in address order (for /proc/pid/maps).
    /// Whether a shared, writable mapping of page-cache object `key`
    /// exists here.
    pub fn maps_shared_writable(&self, key: u64) -> bool {
        // Linux counts VM_SHARED|VM_MAYWRITE mappings (i_mmap_writable),
        // whatever their protection now.
        self.vmas()
            .any(|v| v.is_shared() && !v.flags.contains(VmFlags::NO_MAYWRITE) && v.file.is_some_and(|f| f.ino == key))
    }

    pub fn vmas(&self) -> impl DoubleEndedIterator<Item = &Vma> + '_ {
        self.vmas.iter()
    }

    /// The VMA containing `addr`.
    pub fn find_vma(&self, addr: u64) -> Option<&Vma> {
        self.vmas.find(addr)
    }

    /// Pages backed by a frame of their own (the zero frame not counted).
    pub fn resident_pages(&self) -> usize {
        self.rss.total()
    }

    /// The resident pages by kind (RssAnon, RssFile, RssShmem).
    pub fn resident(&self) -> Rss {
        self.rss
    }

    /// The most pages that were ever resident at once (VmHWM, ru_maxrss).
    pub fn hiwater_pages(&self) -> usize {
        self.hiwater.max(self.rss.total())
    }

    pub fn mmap_base(&self) -> u64 {
        self.mmap_base
    }

    pub fn set_mmap_base(&mut self, base: u64) {
        debug_assert!(base.is_multiple_of(super::consts::PAGE_SIZE) && base <= TASK_SIZE);
        self.mmap_base = base;
    }

    /// The leaf PTE for `va` (empty if none) as the MMU applies it: without
    /// the write bit when the table is reached read-only (a leaf table
    /// shared by fork). For tests and debugging.
    pub fn pte(&self, phys: &dyn PhysMem, va: u64) -> Pte {
        if va >= TASK_SIZE {
            return Pte::empty();
        }
        match self.pt.walk_path(phys, super::consts::page_floor(va)) {
            Some((slot, true)) => read_pte(phys, slot),
            Some((slot, false)) => read_pte(phys, slot).clear(PteFlags::WRITABLE),
            None => Pte::empty(),
        }
    }

    /// Make fork share every leaf table it may, whatever the size of the
    /// mappings in it: for tests of the sharing itself.
    #[cfg(test)]
    pub fn share_small_tables(&mut self) {
        self.share_min = super::consts::PAGE_SIZE;
    }

    /// The leaf table mapping `va`, and whether this address space reaches
    /// it read-only (as a table shared by fork): for tests and debugging.
    pub fn leaf_table(&self, phys: &dyn PhysMem, va: u64) -> Option<u64> {
        self.pt.leaf_table(phys, va)
    }

    pub fn leaf_table_readonly(&self, phys: &dyn PhysMem, va: u64) -> bool {
        self.pt.leaf_table_readonly(phys, va)
    }

    /// Where `va` currently leads through a present PTE, without faulting.
    pub fn translate(&self, phys: &dyn PhysMem, va: u64) -> Option<u64> {
        if va >= TASK_SIZE {
            return None;
        }
        self.pt.translate(phys, va)
    }

    /// Page-table frames in the user half, root included.
    pub fn table_frames(&self, phys: &dyn PhysMem) -> usize {
        self.pt.table_frames(phys)
    }

    /// Free every user frame and page-table page. Linux: exit_mmap() +
    /// mmdrop(). Dropping an address space without this leaks its frames.
    /// No CPU may have it loaded any more: its tables are freed at once.
    pub fn release(self, ctx: &mut MemCtx<'_>) {
        debug_assert!(self.cpus.is_empty(), "releasing an address space loaded on CPUs {:?}", self.cpus);
        Self::vm_unaccount(ctx, self.vmas.iter());
        let ranges: alloc::vec::Vec<(u64, u64)> = self.vmas.iter().map(|v| (v.start, v.end)).collect();
        self.pt.destroy(ctx.frames, ctx.phys, &ranges, &mut |frames, pte| {
            debug_assert!(pte.is_mapped());
            frames.put(pte.addr());
        });
        for (key, writer) in self.objects {
            ctx.pagecache.release(ctx.frames, key, writer);
        }
    }

    /// Unmap the pages of page-cache object `key` from index `first` on,
    /// in every VMA mapping it, private copies included: what truncation
    /// does to each address space. Linux: unmap_mapping_range() with
    /// even_cows, per VMA zap_page_range_single().
    pub fn unmap_object_pages(&mut self, ctx: &mut MemCtx<'_>, key: u64, first: u64) {
        let ranges: alloc::vec::Vec<(u64, u64)> = self
            .vmas
            .iter()
            .filter_map(|v| {
                let f = v.file.filter(|f| f.ino == key)?;
                let pages = v.size() / super::consts::PAGE_SIZE;
                let skip = first.saturating_sub(f.pgoff);
                (skip < pages).then(|| (v.start + skip * super::consts::PAGE_SIZE, v.end))
            })
            .collect();
        for (lo, hi) in ranges {
            self.zap(ctx, lo, hi);
        }
    }

    /// The page-cache objects some mapping here maps.
    pub fn mapped_objects(&self) -> impl Iterator<Item = u64> + '_ {
        self.objects.keys().copied()
    }

    /// Commit `pages` of private writable memory to this address space
    /// under the overcommit policy (Linux: security_vm_enough_memory_mm()).
    pub(super) fn vm_account(&self, ctx: &mut MemCtx<'_>, pages: u64) -> Result<(), Errno> {
        let strict = ctx.frames.commit.mode == super::commit::Overcommit::Never;
        let total_vm = if strict { self.total_pages() } else { 0 };
        let ram = ctx.frames.stats().total as u64;
        ctx.frames.commit.charge(pages, ram, self.limits.sys_admin, total_vm)
    }

    /// Give back what the accounted pieces of `vmas` committed (Linux:
    /// vm_unacct_memory() from unmapping or exit_mmap()).
    pub(super) fn vm_unaccount<'v>(ctx: &mut MemCtx<'_>, vmas: impl IntoIterator<Item = &'v Vma>) {
        let pages: u64 = vmas
            .into_iter()
            .filter(|v| v.flags.contains(VmFlags::ACCOUNT))
            .map(|v| v.size() >> super::consts::PAGE_SHIFT)
            .sum();
        if pages > 0 {
            ctx.frames.commit.uncharge(pages);
        }
    }

    /// Take a page-cache user reference on `key` unless this address
    /// space already holds one.
    /// With `writer`, also take the object's write access (once).
    pub(super) fn hold_object(&mut self, ctx: &mut MemCtx<'_>, key: u64, writer: bool) {
        match self.objects.get_mut(&key) {
            None => {
                self.objects.insert(key, writer);
                ctx.pagecache.hold(key, writer);
            }
            Some(held) if writer && !*held => {
                *held = true;
                ctx.pagecache.hold_writer(key);
            }
            Some(_) => {}
        }
    }

    /// Drop the references on those of `keys` that no VMA maps any more.
    pub(super) fn release_unmapped_objects(&mut self, ctx: &mut MemCtx<'_>, keys: impl IntoIterator<Item = u64>) {
        for key in keys {
            let Some(&held) = self.objects.get(&key) else { continue };
            let maps = self.vmas.iter().filter(|v| v.file_key() == Some(key));
            let (mapped, writer) =
                maps.fold((false, false), |(_, w), v| (true, w || v.flags.contains(VmFlags::WRITER)));
            if !mapped {
                self.objects.remove(&key);
                ctx.pagecache.release(ctx.frames, key, held);
            } else if held && !writer {
                self.objects.insert(key, false);
                ctx.pagecache.release_writer(key);
            }
        }
    }

    // ---- PTE helpers shared by the operation modules -------------------

    /// Point `va` at `new`, whose frame reference the caller hands over
    /// (also on error), dropping the reference the old entry held and
    /// flushing it. Linux: set_pte_at() after ptep_clear_flush().
    pub(super) fn replace_pte(&mut self, ctx: &mut MemCtx<'_>, va: u64, new: Pte) -> Result<(), Errno> {
        self.unshare_range(ctx, va, va + super::consts::PAGE_SIZE);
        let slot = match self.pt.walk_alloc(ctx.frames, ctx.phys, va) {
            Ok(s) => s,
            Err(e) => {
                ctx.frames.put(new.addr());
                return Err(e);
            }
        };
        let old = read_pte(ctx.phys, slot);
        write_pte(ctx.phys, slot, new);
        self.account(ctx.frames, new, 1);
        if old.is_mapped() {
            if old.is_present() {
                ctx.flush(va);
            }
            self.account(ctx.frames, old, -1);
            ctx.put_frame(old.addr());
        }
        Ok(())
    }

    /// Rewrite the flags of a mapped PTE in place (same frame), flushing
    /// when it loses access. Linux: ptep_modify_prot_commit() and friends.
    pub(super) fn update_pte(ctx: &mut MemCtx<'_>, slot: u64, va: u64, old: Pte, new: Pte) {
        debug_assert_eq!(old.addr(), new.addr());
        if old == new {
            return;
        }
        write_pte(ctx.phys, slot, new);
        if loses_access(old, new) {
            ctx.flush(va);
        }
    }

    /// Unmap every page in `[start, end)` and free the page tables that
    /// became empty. Linux: unmap_page_range() (zap_pte_range) followed by
    /// free_pgtables().
    pub(super) fn zap(&mut self, ctx: &mut MemCtx<'_>, start: u64, end: u64) {
        self.unshare_for_zap(ctx, start, end);
        let mut dropped = Rss::default();
        let MemCtx { frames, phys, tlb, .. } = ctx;
        let _ = self.pt.for_each_leaf::<()>(*phys, start, end, &mut |va, slot, pte| {
            write_pte(*phys, slot, Pte::empty());
            if pte.is_present() {
                tlb.page(va);
            }
            dropped.add(frames, pte, 1);
            tlb.put_frame(frames, pte.addr());
            Ok(())
        });
        self.rss.remove(dropped);
        self.pt.prune(ctx.frames, ctx.phys, &mut ctx.tlb, start, end);
    }

    fn account(&mut self, frames: &FrameAllocator, pte: Pte, delta: isize) {
        self.rss.add(frames, pte, delta);
        self.hiwater = self.hiwater.max(self.rss.total());
    }
}

/// The hardware bits a user page in `vma` gets; `writable` says whether
/// this page may be written in place (see [`may_write_in_place`]).
/// Linux: vm_get_page_prot() (x86 protection_map[]) plus maybe_mkwrite().
pub(super) fn leaf_flags(vma: &Vma, writable: bool) -> PteFlags {
    if !vma.prot.is_accessible() {
        return PteFlags::PROTNONE;
    }
    let mut f = PteFlags::PRESENT | PteFlags::USER;
    if writable {
        debug_assert!(vma.prot.contains(Prot::WRITE));
        f |= PteFlags::WRITABLE;
    }
    if !vma.prot.contains(Prot::EXEC) {
        f |= PteFlags::NO_EXECUTE;
    }
    f
}

/// Whether the page at `va`, holding frame `pa`, in `vma` may be mapped
/// writable: shared mappings always (when PROT_WRITE), except that a file
/// page must be marked dirty first (by a write fault); private ones only
/// when nobody else maps the frame, which rules out page-cache frames.
/// Linux: the reuse test of do_wp_page(), and vma_wants_writenotify().
pub(super) fn may_write_in_place(ctx: &MemCtx<'_>, vma: &Vma, va: u64, pa: u64) -> bool {
    if !vma.prot.contains(Prot::WRITE) {
        return false;
    }
    if vma.is_shared() {
        return match vma.file {
            Some(f) if ctx.pagecache.tracks_dirty(f.ino) => ctx.pagecache.is_dirty(f.ino, vma.page_index(va).unwrap()),
            _ => true,
        };
    }
    pa != ctx.frames.zero_frame() && ctx.frames.refcount(pa) == 1
}

/// Whether a TLB entry loaded from `old` would allow something `new` does
/// not: then the entry must be flushed.
fn loses_access(old: Pte, new: Pte) -> bool {
    old.is_present()
        && (!new.is_present()
            || old.addr() != new.addr()
            || (old.is_writable() && !new.is_writable())
            || (old.is_executable() && !new.is_executable())
            || (old.is_user() && !new.is_user()))
}

/// /proc/<pid>/pagemap's bits (Linux: fs/proc/task_mmu.c, PM_*).
pub mod pagemap {
    pub const PFN_MASK: u64 = (1 << 55) - 1;
    pub const MMAP_EXCLUSIVE: u64 = 1 << 56;
    pub const FILE: u64 = 1 << 61;
    pub const PRESENT: u64 = 1 << 63;
}

impl AddressSpace {
    /// The /proc/<pid>/pagemap entry of the page at `va` (Linux:
    /// pte_to_pagemap_entry()): present with its frame number (shown only
    /// to CAP_SYS_ADMIN: `show_pfn`); "exclusively mapped" when no other
    /// mapping shares the frame — not a page that fork left shared for
    /// copy-on-write, nor one reached through a leaf table fork shares;
    /// "file" for a page-cache page (files and shared memory, not a
    /// private copy). The zero page is present and nothing else, as
    /// Linux's vm_normal_page() leaves it out. Soft-dirty (bit 55) is not
    /// tracked: Tine has no clear_refs to start a new round.
    pub fn pagemap_entry(&self, ctx: &MemCtx<'_>, va: u64, show_pfn: bool) -> u64 {
        use pagemap::*;
        let Some(vma) = self.vmas.find(va) else { return 0 };
        let pte = self.pte(ctx.phys, va);
        if !pte.is_mapped() {
            return 0;
        }
        let pa = pte.addr();
        let mut e = PRESENT;
        if show_pfn {
            e |= (pa >> super::consts::PAGE_SHIFT) & PFN_MASK;
        }
        if pa == ctx.frames.zero_frame() {
            return e;
        }
        let cache_page = vma.file.and_then(|f| ctx.pagecache.cached_frame(f.ino, vma.page_index(va)?));
        let is_file = cache_page == Some(pa);
        if is_file {
            e |= FILE;
        }
        // The page cache holds a reference of its own on its pages.
        let maps = ctx.frames.refcount(pa) - is_file as u32;
        if maps == 1 && !self.leaf_table_readonly(ctx.phys, va) {
            e |= MMAP_EXCLUSIVE;
        }
        e
    }
}
