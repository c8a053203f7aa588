//! TLB shootdown (Linux: mm/mmu_gather.c and arch/x86/mm/tlb.c).
//!
//! An address space knows the CPUs it is loaded on ([`AddressSpace::cpus`],
//! Linux's mm_cpumask): a CPU's bit is set while its CR3 holds the
//! address space, which [`super::Memory::switch_mm`] keeps true at every
//! context switch, exec and exit. Only those CPUs' TLBs can hold its
//! entries.
//!
//! Every operation that takes a permission or a frame away from a live
//! PTE (munmap, mprotect, madvise(DONTNEED), mremap, a copy-on-write break,
//! fork's write-protect of the parent, unsharing a leaf table, truncation)
//! records the page in its memory context's [`TlbGather`], which is
//! finished once, when the operation's context goes (or earlier, when its
//! batch of frames to free is full). This CPU, if it is in the set,
//! `invlpg`s each page as it goes; past [`FLUSH_CEILING`] pages it stops
//! and flushes its whole TLB at the end. The other CPUs in the set get
//! **one** interrupt together at the end, naming the pages (up to the
//! ceiling) or asking for a full flush.
//!
//! A frame or page table the operation frees could be written through a
//! stale entry on another CPU until that CPU has flushed, so while other
//! CPUs are in the set the gather keeps them and gives them back only
//! after the shootdown (Linux: tlb_remove_page(), tlb_remove_table()).
//! With nothing but this CPU in the set (always, on one CPU) there is
//! nothing to wait for: it has flushed before it frees, as it did before
//! there were other CPUs. That is one test per page, and no copy of the
//! pages: the single-CPU case costs what it did.
//!
//! [`AddressSpace::cpus`]: super::AddressSpace::cpus

use alloc::vec::Vec;

use super::frame::FrameAllocator;
use crate::cpumask::CpuMask;
use crate::machine::{Flush, Mmu};

/// Up to this many pages are flushed one by one; more, and the whole TLB
/// goes (Linux: tlb_single_page_flush_ceiling).
pub const FLUSH_CEILING: usize = 33;

/// Frames held for freeing after a shootdown; when this many wait, the
/// gather does the shootdown so far and frees them (Linux: the batch
/// pages of `struct mmu_gather`).
const FREE_BATCH: usize = 512;

/// The TLB work of one operation on one address space (Linux: `struct
/// mmu_gather`).
pub struct TlbGather<'a> {
    /// None: the address space is loaded on no CPU (a new one, a child
    /// being built, one being torn down), and nothing is flushed.
    mmu: Option<&'a dyn Mmu>,
    /// The CPUs whose TLB may hold the address space's entries.
    cpus: CpuMask,
    /// This CPU (while `mmu` is set).
    me: usize,
    /// `cpus` holds this CPU: it flushes its own entries as they change.
    local: bool,
    /// `cpus` holds other CPUs: they get a shootdown, and frees wait for it.
    remote: bool,
    /// Pages changed since the last flush (counted up to the ceiling).
    npages: usize,
    /// More than [`FLUSH_CEILING`] pages, or a change that needs the whole
    /// TLB (a freed page table, fork's write-protect): flush everything.
    full: bool,
    /// The pages for the other CPUs (only when `remote`).
    pages: Vec<u64>,
    /// Frames and tables whose last reference waits for the shootdown.
    freed: Vec<u64>,
}

impl<'a> TlbGather<'a> {
    /// For an address space loaded on `cpus` (its [`AddressSpace::cpus`]),
    /// with the machine's MMU.
    ///
    /// [`AddressSpace::cpus`]: super::AddressSpace::cpus
    pub fn new(mmu: &'a dyn Mmu, cpus: CpuMask) -> Self {
        if cpus.is_empty() {
            return Self::none();
        }
        let me = mmu.this_cpu();
        TlbGather {
            mmu: Some(mmu),
            cpus,
            me,
            local: cpus.contains(me),
            remote: !cpus.without(me).is_empty(),
            ..Self::none()
        }
    }

    /// For an address space no CPU has loaded: nothing to flush.
    pub fn none() -> Self {
        TlbGather {
            mmu: None,
            cpus: CpuMask::EMPTY,
            me: 0,
            local: false,
            remote: false,
            npages: 0,
            full: false,
            pages: Vec::new(),
            freed: Vec::new(),
        }
    }

    /// The same MMU for another address space, loaded on `cpus`.
    pub fn other(&self, cpus: CpuMask) -> TlbGather<'a> {
        match self.mmu {
            Some(mmu) => TlbGather::new(mmu, cpus),
            None => TlbGather::none(),
        }
    }

    /// The page at `va` lost a permission or its frame: drop its entries
    /// before the operation is done (Linux: tlb_flush_pte_range()).
    pub fn page(&mut self, va: u64) {
        let Some(mmu) = self.mmu else { return };
        if self.full {
            return;
        }
        self.npages += 1;
        if self.npages > FLUSH_CEILING {
            self.full = true;
            self.pages.clear();
            return;
        }
        if self.local {
            mmu.flush_page(va);
        }
        if self.remote {
            self.pages.push(va);
        }
    }

    /// Many PTEs changed: drop every entry (Linux: flush_tlb_mm()).
    pub fn all(&mut self) {
        if self.mmu.is_some() {
            self.full = true;
        }
    }

    /// Drop the reference a PTE held on frame `pa`, once no TLB can reach
    /// the frame through that PTE any more (Linux: tlb_remove_page()).
    pub fn put_frame(&mut self, frames: &mut FrameAllocator, pa: u64) {
        if self.remote {
            self.defer(frames, pa);
        } else {
            frames.put(pa);
        }
    }

    /// Like [`put_frame`](Self::put_frame), for a page table that no
    /// longer maps anything: a CPU's paging-structure cache may still
    /// point into it, so it needs a flush even though no present PTE went
    /// (Linux: tlb_remove_table()).
    pub fn put_table(&mut self, frames: &mut FrameAllocator, table: u64) {
        if self.mmu.is_some() && self.npages == 0 {
            // invlpg drops every paging-structure cache entry as well, so
            // any flush does; with none recorded, the whole TLB.
            self.full = true;
        }
        // A leaf table shared after fork only loses a sharer: it stays.
        if self.remote && frames.refcount(table) == 1 {
            self.defer(frames, table);
        } else {
            super::pagetable::free_table(frames, table);
        }
    }

    fn defer(&mut self, frames: &mut FrameAllocator, pa: u64) {
        if self.freed.len() == FREE_BATCH {
            self.flush(frames);
        }
        if self.freed.capacity() == 0 {
            self.freed.reserve_exact(FREE_BATCH.min(64));
        }
        self.freed.push(pa);
    }

    /// Flush what was gathered, everywhere, then free what waited for it
    /// (Linux: tlb_flush_mmu()).
    pub fn flush(&mut self, frames: &mut FrameAllocator) {
        if let Some(mmu) = self.mmu {
            if self.full && self.local {
                mmu.flush_all();
            }
            if self.remote && (self.full || !self.pages.is_empty()) {
                let what = if self.full { Flush::All } else { Flush::Pages(&self.pages) };
                mmu.flush_others(self.cpus.without(self.me), what);
            }
        }
        self.npages = 0;
        self.full = false;
        self.pages.clear();
        for pa in self.freed.drain(..) {
            frames.put(pa);
        }
    }

    /// Nothing gathered since the last flush.
    pub fn is_empty(&self) -> bool {
        self.npages == 0 && !self.full && self.freed.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mm::consts::{MAP_FIXED, PROT_READ};
    use crate::mm::sim::{finish, Env, Shootdown, ANON, BASE, P, RW};
    use crate::mm::{AddressSpace, MemCtx};
    use std::vec::Vec;

    /// An address space with `pages` pages written, and the frame log
    /// cleared.
    fn touched(pages: u64) -> (Env, AddressSpace) {
        let mut env = Env::new(2048);
        let mut a = env.aspace();
        a.mmap(&mut env.ctx(), BASE, pages * P, RW, ANON | MAP_FIXED).unwrap();
        for i in 0..pages {
            a.user_write(&mut env.ctx(), BASE + i * P, &[1]).unwrap();
        }
        env.mmu.clear_log();
        (env, a)
    }

    fn two() -> CpuMask {
        CpuMask::from_bits(0b11)
    }

    fn full_flushes(env: &Env) -> usize {
        *env.mmu.full_flushes.lock().unwrap()
    }

    #[test]
    fn munmap_on_two_cpus_is_one_shootdown_naming_the_pages() {
        let (mut env, mut a) = touched(3);
        a.munmap(&mut env.loaded_on(two()), BASE, 3 * P).unwrap();
        let pages: Vec<u64> = (0..3).map(|i| BASE + i * P).collect();
        assert_eq!(env.mmu.flushed_pages(), pages, "this CPU invlpgs each page");
        assert_eq!(env.mmu.shootdowns(), [Shootdown { cpus: CpuMask::one(1), pages: Some(pages) }]);
        finish(env, a);
    }

    #[test]
    fn no_shootdown_when_loaded_here_alone_nor_anywhere() {
        let (mut env, mut a) = touched(3);
        a.mprotect(&mut env.live(), BASE, 3 * P, PROT_READ).unwrap();
        assert_eq!(env.mmu.flushed_pages().len(), 3);
        a.munmap(&mut env.ctx(), BASE, P).unwrap();
        assert_eq!(env.mmu.flushed_pages().len(), 3, "loaded nowhere: no flush");
        assert!(env.mmu.shootdowns().is_empty());
        finish(env, a);
    }

    #[test]
    fn loaded_elsewhere_only_flushes_there() {
        let (mut env, mut a) = touched(2);
        a.madvise(&mut env.loaded_on(CpuMask::one(1)), BASE, 2 * P, crate::mm::consts::MADV_DONTNEED).unwrap();
        assert!(env.mmu.flushed_pages().is_empty(), "not loaded on this CPU");
        assert_eq!(env.mmu.shootdowns(), [Shootdown { cpus: CpuMask::one(1), pages: Some(std::vec![BASE, BASE + P]) }]);
        finish(env, a);
    }

    #[test]
    fn past_the_ceiling_one_full_flush_everywhere() {
        let n = FLUSH_CEILING as u64 + 7;
        let (mut env, mut a) = touched(n);
        let full = full_flushes(&env);
        let mut cpus = two();
        cpus.set(5);
        a.munmap(&mut env.loaded_on(cpus), BASE, n * P).unwrap();
        assert_eq!(env.mmu.flushed_pages().len(), FLUSH_CEILING, "invlpg up to the ceiling, then stop");
        assert_eq!(full_flushes(&env), full + 1);
        assert_eq!(env.mmu.shootdowns(), [Shootdown { cpus: CpuMask::from_bits(0b100010), pages: None }]);
        finish(env, a);
    }

    #[test]
    fn frames_are_freed_only_after_the_shootdown() {
        let (mut env, mut a) = touched(2);
        let frame = a.pte(&env.mem, BASE).addr();
        let used = env.used();
        let mut ctx = env.loaded_on(two());
        a.munmap(&mut ctx, BASE, 2 * P).unwrap();
        assert_eq!(ctx.frames.refcount(frame), 1, "still reachable from CPU 1's TLB");
        assert_eq!(ctx.frames.stats().used, used);
        ctx.flush_tlb();
        assert_eq!(ctx.frames.refcount(frame), 0);
        drop(ctx);
        assert_eq!(env.mmu.shootdowns().len(), 1);
        assert!(env.used() < used - 1, "both data frames (and the emptied tables) freed");
        finish(env, a);
    }

    #[test]
    fn a_full_batch_of_frees_flushes_early() {
        let n = FREE_BATCH as u64 + 10;
        let (mut env, mut a) = touched(n);
        a.munmap(&mut env.loaded_on(two()), BASE, n * P).unwrap();
        let s = env.mmu.shootdowns();
        assert_eq!(s.len(), 2, "one per batch of {FREE_BATCH} frames: {s:?}");
        assert!(s.iter().all(|s| s.cpus == CpuMask::one(1)));
        assert_eq!(s[0].pages, None, "the first batch's {FREE_BATCH} pages are past the ceiling");
        // The page whose frame overflowed the batch was flushed with it.
        assert_eq!(s[1].pages.as_ref().map(|p| p.len()), Some(9), "the rest, page by page");
        finish(env, a);
    }

    #[test]
    fn fork_write_protects_the_parent_with_one_shootdown() {
        let (mut env, mut a) = touched(4);
        let full = full_flushes(&env);
        let mut child = a.fork(&mut env.loaded_on(two())).unwrap();
        assert_eq!(full_flushes(&env), full + 1);
        assert_eq!(env.mmu.shootdowns(), [Shootdown { cpus: CpuMask::one(1), pages: None }]);
        // The child's copy-on-write break, loaded nowhere yet: no flush.
        env.mmu.clear_log();
        child.user_write(&mut env.ctx(), BASE, &[2]).unwrap();
        assert!(env.mmu.shootdowns().is_empty());
        // The parent's, while a thread runs on CPU 1: one page.
        a.user_write(&mut env.loaded_on(two()), BASE + P, &[3]).unwrap();
        assert_eq!(env.mmu.shootdowns(), [Shootdown { cpus: CpuMask::one(1), pages: Some(std::vec![BASE + P]) }]);
        child.release(&mut env.ctx());
        finish(env, a);
    }

    #[test]
    fn sent_from_another_cpu_the_sender_is_left_out() {
        let (mut env, mut a) = touched(1);
        env.mmu.cpu.store(1, core::sync::atomic::Ordering::Relaxed);
        a.munmap(&mut env.loaded_on(two()), BASE, P).unwrap();
        assert_eq!(env.mmu.shootdowns(), [Shootdown { cpus: CpuMask::one(0), pages: Some(std::vec![BASE]) }]);
        finish(env, a);
    }

    #[test]
    fn switch_mm_moves_each_cpu_between_the_masks() {
        let Env { mem, mmu, frames, kernel_root, .. } = Env::new(256);
        let mut m = crate::mm::Memory::new(frames, kernel_root);
        let new_mm = |m: &mut crate::mm::Memory| {
            let crate::mm::MemParts { mms, frames, pagecache } = m.parts();
            let ctx = &mut MemCtx { frames, phys: &mem, tlb: TlbGather::none(), pagecache, trace: None };
            mms.insert(AddressSpace::new(ctx, kernel_root).unwrap())
        };
        let (a, b) = (new_mm(&mut m), new_mm(&mut m));
        let on = |m: &crate::mm::Memory, h| m.mms().get(h).cpus();
        let at = |cpu: usize| mmu.cpu.store(cpu, core::sync::atomic::Ordering::Relaxed);
        m.switch_mm(&mmu, Some(a));
        assert_eq!(on(&m, a), CpuMask::one(0));
        assert_eq!(*mmu.active_root.lock().unwrap(), Some(m.mms().get(a).root()));
        at(1);
        m.switch_mm(&mmu, Some(a));
        assert_eq!(on(&m, a), two(), "threads of one process on two CPUs");
        at(0);
        m.switch_mm(&mmu, Some(b));
        assert_eq!((on(&m, a), on(&m, b)), (CpuMask::one(1), CpuMask::one(0)));
        m.switch_mm(&mmu, None);
        assert_eq!(on(&m, b), CpuMask::EMPTY, "idle runs on the kernel's table");
        assert_eq!(*mmu.active_root.lock().unwrap(), Some(kernel_root));
        at(1);
        m.switch_mm(&mmu, None);
        for h in [a, b] {
            let aspace = m.mms_mut().put(h).unwrap();
            let crate::mm::MemParts { frames, pagecache, .. } = m.parts();
            aspace.release(&mut MemCtx { frames, phys: &mem, tlb: TlbGather::none(), pagecache, trace: None });
        }
    }
}
