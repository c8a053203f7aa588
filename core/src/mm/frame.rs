//! Physical page frames and their metadata (Linux: `struct page`, the buddy
//! allocator's free lists in mm/page_alloc.c).
//!
//! Tine only ever needs single 4 KiB frames, so the allocator is a stack of
//! free frame numbers: `alloc` and `put` are O(1). Each frame has a small
//! metadata record, indexed by frame number within its contiguous range of
//! RAM, holding the reference count that copy-on-write relies on.
//!
//! The ownership rule the rest of `mm` follows: every present (or PROT_NONE)
//! user PTE owns one reference on its frame, and every page-table page is
//! owned by the entries pointing to it. So a frame's refcount is the
//! number of PTEs mapping it, and a refcount of 1 means "mapped only here".
//! A leaf table that fork shared between address spaces (see
//! [`super::ptshare`]) is one set of PTEs, so its frames carry one
//! reference for all the sharers; the table itself carries one per sharer,
//! and for every sharer beyond the first one frame is *reserved*, so that
//! giving that sharer its own copy later can never fail.
//!
//! The free list has a lock of its own ([`FreeFrames`]), apart from the
//! kernel's: the kernel heap grows from it (`kheap`, hal's heap) when an
//! allocation finds the heap full, which can happen anywhere in kernel
//! code, the frame allocator's own callers included. Heap frames leave
//! the list for good, keep refcount 0 in their metadata (only the heap
//! knows them) and count as used. Ordinary allocations leave
//! [`FreeFrames::heap_floor`] frames on the list for the heap, so that
//! user memory running out cannot leave the kernel without room for its
//! own small allocations (Linux: the `min_free_kbytes` watermark that
//! only atomic and reclaim allocations may go below).

use alloc::sync::Arc;
use alloc::vec::Vec;
use bitflags::bitflags;
use spin::Mutex;

use super::consts::{PAGE_SHIFT, PAGE_SIZE};
use super::kheap::FailMode;
use super::vmstat::VmEvent;
use crate::machine::PhysMem;

bitflags! {
    /// Per-frame flags (Linux: `page->flags`, the PG_* bits).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct FrameFlags: u16 {
        /// Never freed, whatever its refcount says (the shared zero frame).
        /// Linux: the zero page is likewise reserved.
        const PINNED = 1 << 0;
        /// Holds a page table rather than user data (Linux: PG_table).
        const PAGE_TABLE = 1 << 1;
        /// Held by the page cache for a file: mapped, it counts in
        /// RssFile (Linux: a folio with a non-anonymous mapping).
        const FILE = 1 << 2;
        /// Held by the page cache for shared memory (MAP_SHARED anonymous,
        /// memfd, SysV shm): mapped, it counts in RssShmem (Linux:
        /// PG_swapbacked on a page-cache folio).
        const SHMEM = 1 << 3;
        /// Mapped without counting in any RSS counter: the [vvar] pages,
        /// which Linux maps as bare page frame numbers (VM_PFNMAP).
        const UNCOUNTED = 1 << 4;
    }
}

/// Linux: `struct page`, reduced to what Tine needs: 8 bytes per frame.
#[derive(Clone, Copy, Default)]
struct FrameMeta {
    /// 0 = free. Linux: `page->_refcount`.
    refcount: u32,
    flags: FrameFlags,
}

/// One contiguous range of RAM (Linux: roughly a memory section / zone span).
struct Range {
    first_pfn: u64,
    meta: Vec<FrameMeta>,
}

/// Frame accounting; `free + used == total` at all times.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameStats {
    pub total: usize,
    pub free: usize,
    pub used: usize,
}

/// The free frames, shared between the frame allocator and the kernel
/// heap's growth (see the module comment). Nothing allocates from the
/// kernel heap while holding its lock: the list's capacity is every
/// frame, so a push never reallocates.
#[derive(Debug, Default)]
pub struct FreeFrames {
    /// Free frame numbers; popped from the end. A u32 frame number covers
    /// 16 TiB of physical address space.
    list: Vec<u32>,
    /// Free frames promised to [`FrameAllocator::alloc_reserved`]:
    /// nothing else takes the last this many.
    reserved: usize,
    /// Free frames that only the heap may take.
    pub heap_floor: usize,
    /// Frames handed to the heap (its pages and page tables), for good.
    heap: usize,
}

impl FreeFrames {
    /// Frames an ordinary allocation may still take.
    pub fn available(&self) -> usize {
        self.list.len().saturating_sub(self.reserved + self.heap_floor)
    }

    /// A frame for the kernel heap: it may go below the heap floor, never
    /// below the promised frames. Contents unspecified.
    pub fn take_for_heap(&mut self) -> Option<u64> {
        if self.list.len() <= self.reserved {
            return None;
        }
        let pfn = self.list.pop()?;
        self.heap += 1;
        Some(u64::from(pfn) << PAGE_SHIFT)
    }

    /// The heap gives back a frame it took (a page it no longer maps).
    pub fn give_back_from_heap(&mut self, pa: u64) {
        self.heap = self.heap.checked_sub(1).expect("heap gives back a frame it never took");
        self.list.push((pa >> PAGE_SHIFT) as u32);
    }

    /// Frames the heap has taken.
    pub fn heap_frames(&self) -> usize {
        self.heap
    }
}

/// Linux: the page allocator plus `mem_map`.
pub struct FrameAllocator {
    /// Sorted by `first_pfn`, non-overlapping.
    ranges: Vec<Range>,
    /// The free list, shared with the heap's growth (see the module comment).
    free: Arc<Mutex<FreeFrames>>,
    total: usize,
    zero_frame: u64,
    /// Fault injection (Linux: fail_page_alloc), see [`FailMode`].
    inject: FailMode,
    /// What private writable mappings have promised (overcommit). Kept
    /// here, beside the frames it is measured against, so that every
    /// address-space operation reaches it through its `MemCtx`.
    pub commit: super::commit::VmCommit,
    /// /proc/vmstat's event counters, kept here where most of them happen
    /// and where every address-space operation reaches them (`MemCtx`).
    pub events: super::vmstat::VmEvents,
}

impl FrameAllocator {
    /// Manage the page-aligned free physical ranges `[start, end)`, and take
    /// one frame from them as the shared zero frame (Linux: ZERO_PAGE(0)),
    /// zeroed through `phys`.
    ///
    /// Panics on misaligned or overlapping ranges or when there is no memory
    /// at all: those are boot-time bugs, not run-time conditions.
    pub fn new(free: &[(u64, u64)], phys: &dyn PhysMem) -> Self {
        let mut spans: Vec<(u64, u64)> = free.iter().copied().filter(|&(s, e)| e > s).collect();
        spans.sort_unstable();
        let mut ranges = Vec::with_capacity(spans.len());
        let mut total = 0usize;
        for (i, &(start, end)) in spans.iter().enumerate() {
            assert!(
                start.is_multiple_of(PAGE_SIZE) && end.is_multiple_of(PAGE_SIZE),
                "unaligned RAM range {start:#x}..{end:#x}"
            );
            if i > 0 {
                assert!(spans[i - 1].1 <= start, "overlapping RAM ranges at {start:#x}");
            }
            assert!((end >> PAGE_SHIFT) <= u64::from(u32::MAX), "RAM above 16 TiB");
            let frames = ((end - start) / PAGE_SIZE) as usize;
            ranges.push(Range { first_pfn: start >> PAGE_SHIFT, meta: alloc::vec![FrameMeta::default(); frames] });
            total += frames;
        }
        // Push in reverse so that the lowest frames are handed out first,
        // which makes addresses in logs and tests predictable.
        let mut free_list = Vec::with_capacity(total);
        for r in ranges.iter().rev() {
            for i in (0..r.meta.len() as u64).rev() {
                free_list.push((r.first_pfn + i) as u32);
            }
        }
        let commit = super::commit::VmCommit::new(total as u64);
        let free = FreeFrames { list: free_list, ..Default::default() };
        let mut fa = FrameAllocator {
            ranges,
            free: Arc::new(Mutex::new(free)),
            total,
            zero_frame: 0,
            inject: FailMode::Off,
            commit,
            events: Default::default(),
        };
        let zero = fa.alloc_zeroed(phys).expect("no RAM for the zero frame");
        fa.meta_mut(zero).flags |= FrameFlags::PINNED;
        fa.zero_frame = zero;
        fa
    }

    /// Take a free frame, refcount 1, contents unspecified.
    /// Linux: alloc_page(GFP_KERNEL).
    pub fn alloc(&mut self) -> Option<u64> {
        if self.inject.should_fail() {
            return None;
        }
        let pfn = {
            let mut free = self.free.lock();
            if free.available() == 0 {
                return None;
            }
            free.list.pop()?
        };
        Some(self.took(pfn))
    }

    /// The free list, for the kernel heap to grow from (`kheap`).
    pub fn shared_free(&self) -> Arc<Mutex<FreeFrames>> {
        self.free.clone()
    }

    /// Keep `frames` free frames for the heap alone (see [`FreeFrames`]).
    pub fn set_heap_floor(&mut self, frames: usize) {
        self.free.lock().heap_floor = frames;
    }

    /// Frames the kernel heap has taken (they count as used).
    pub fn heap_frames(&self) -> usize {
        self.free.lock().heap
    }

    /// Promise one free frame to a later [`alloc_reserved`](Self::alloc_reserved);
    /// false when there is none to promise. Counts as an allocation for
    /// fault injection. Linux has no equivalent: its page-table copies are
    /// made eagerly at fork, when failing is still allowed.
    pub fn reserve(&mut self) -> bool {
        if self.inject.should_fail() {
            return false;
        }
        let mut free = self.free.lock();
        let ok = free.available() > 0;
        if ok {
            free.reserved += 1;
        }
        ok
    }

    /// Frames promised and not yet taken.
    pub fn reserved(&self) -> usize {
        self.free.lock().reserved
    }

    /// Give back a promise that will not be used.
    pub fn unreserve(&mut self) {
        let mut free = self.free.lock();
        free.reserved = free.reserved.checked_sub(1).expect("unreserve without a reservation");
    }

    /// Take a frame promised by [`reserve`](Self::reserve): cannot fail.
    pub fn alloc_reserved(&mut self) -> u64 {
        let pfn = {
            let mut free = self.free.lock();
            free.reserved = free.reserved.checked_sub(1).expect("alloc_reserved without a reservation");
            free.list.pop().expect("reserved frame missing from the free list")
        };
        self.took(pfn)
    }

    /// Frame `pfn` has left the free list for an ordinary owner.
    fn took(&mut self, pfn: u32) -> u64 {
        let pa = u64::from(pfn) << PAGE_SHIFT;
        let m = self.meta_mut(pa);
        debug_assert_eq!(m.refcount, 0, "free list holds a used frame {pa:#x}");
        *m = FrameMeta { refcount: 1, flags: FrameFlags::empty() };
        self.events.count(VmEvent::PgAlloc);
        pa
    }

    /// Fault injection for tests of the out-of-memory paths: with `Some(n)`,
    /// the next `n` allocations succeed and every one after them fails
    /// (memory is "exhausted" at that point) until `fail_after(None)`.
    /// Linux has the same facility as CONFIG_FAIL_PAGE_ALLOC; this one is
    /// deterministic so that a test can fail every allocation of an
    /// operation in turn.
    pub fn fail_after(&mut self, n: Option<usize>) {
        self.inject = n.map_or(FailMode::Off, |n| FailMode::After(n as u64));
    }

    /// Set the fault injection (`tine.fail_page_alloc=`,
    /// `/proc/sys/tine/fail_page_alloc`).
    pub fn set_injection(&mut self, mode: FailMode) {
        self.inject = mode;
    }

    /// The fault injection as it stands (an `nth:` counts down).
    pub fn injection(&self) -> FailMode {
        self.inject
    }

    /// Take a free frame filled with zeros. Linux: alloc_page(__GFP_ZERO).
    pub fn alloc_zeroed(&mut self, phys: &dyn PhysMem) -> Option<u64> {
        let pa = self.alloc()?;
        phys.zero_frame(pa);
        Some(pa)
    }

    /// Take another reference. Linux: get_page().
    pub fn get(&mut self, pa: u64) {
        let m = self.meta_mut(pa);
        assert!(m.refcount > 0, "get of free frame {pa:#x}");
        m.refcount = m.refcount.checked_add(1).expect("frame refcount overflow");
    }

    /// Drop a reference, freeing the frame when it was the last one; returns
    /// whether it was freed. Linux: put_page().
    ///
    /// Panics on a put of a free frame (a double free): that is a kernel
    /// bug, and carrying on would hand one frame to two owners.
    pub fn put(&mut self, pa: u64) -> bool {
        let m = self.meta_mut(pa);
        assert!(m.refcount > 0, "put of free frame {pa:#x} (double free?)");
        m.refcount -= 1;
        if m.refcount > 0 {
            return false;
        }
        assert!(!m.flags.contains(FrameFlags::PINNED), "last reference to pinned frame {pa:#x} dropped");
        m.flags = FrameFlags::empty();
        self.free.lock().list.push((pa >> PAGE_SHIFT) as u32);
        self.events.count(VmEvent::PgFree);
        true
    }

    /// Linux: page_ref_count().
    pub fn refcount(&self, pa: u64) -> u32 {
        self.meta(pa).refcount
    }

    pub fn flags(&self, pa: u64) -> FrameFlags {
        self.meta(pa).flags
    }

    /// Set flags on an allocated frame; they are cleared when it is freed.
    pub fn set_flags(&mut self, pa: u64, flags: FrameFlags) {
        let m = self.meta_mut(pa);
        assert!(m.refcount > 0, "flags on free frame {pa:#x}");
        m.flags |= flags;
    }

    /// The shared, pinned, all-zero frame that demand-zero read faults map.
    pub fn zero_frame(&self) -> u64 {
        self.zero_frame
    }

    /// Reserved frames count as used: they are spoken for.
    pub fn stats(&self) -> FrameStats {
        let f = self.free.lock();
        let free = f.list.len() - f.reserved;
        FrameStats { total: self.total, free, used: self.total - free }
    }

    /// Whether `pa` is a frame this allocator manages.
    pub fn manages(&self, pa: u64) -> bool {
        self.locate(pa).is_some()
    }

    fn locate(&self, pa: u64) -> Option<(usize, usize)> {
        let pfn = pa >> PAGE_SHIFT;
        // The ranges are few (one per firmware RAM entry): a binary search
        // over them is the whole of Linux's pfn_to_page() here.
        let i = self.ranges.partition_point(|r| r.first_pfn <= pfn).checked_sub(1)?;
        let idx = (pfn - self.ranges[i].first_pfn) as usize;
        (idx < self.ranges[i].meta.len()).then_some((i, idx))
    }

    fn meta(&self, pa: u64) -> &FrameMeta {
        debug_assert!(pa.is_multiple_of(PAGE_SIZE), "unaligned frame address {pa:#x}");
        let (r, i) = self.locate(pa).unwrap_or_else(|| panic!("{pa:#x} is not a managed frame"));
        &self.ranges[r].meta[i]
    }

    fn meta_mut(&mut self, pa: u64) -> &mut FrameMeta {
        debug_assert!(pa.is_multiple_of(PAGE_SIZE), "unaligned frame address {pa:#x}");
        let (r, i) = self.locate(pa).unwrap_or_else(|| panic!("{pa:#x} is not a managed frame"));
        &mut self.ranges[r].meta[i]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mm::sim::SimMem;
    use alloc::collections::BTreeSet;

    fn two_ranges() -> (SimMem, FrameAllocator) {
        let mem = SimMem::new(64);
        // A hole at frames 8..16, and an unsorted list.
        let fa = FrameAllocator::new(&[(16 * PAGE_SIZE, 64 * PAGE_SIZE), (PAGE_SIZE, 8 * PAGE_SIZE)], &mem);
        (mem, fa)
    }

    fn check(fa: &FrameAllocator) {
        let s = fa.stats();
        assert_eq!(s.free + s.used, s.total);
    }

    #[test]
    fn alloc_until_empty_then_free_all() {
        let (mem, mut fa) = two_ranges();
        let total = 7 + 48;
        assert_eq!(fa.stats(), FrameStats { total, free: total - 1, used: 1 });
        let zero = fa.zero_frame();
        let mut z = [0xffu8; 4096];
        mem.read(zero, &mut z);
        assert!(z.iter().all(|&b| b == 0));

        let mut got = BTreeSet::new();
        while let Some(pa) = fa.alloc() {
            assert!(pa.is_multiple_of(PAGE_SIZE));
            assert!((PAGE_SIZE..8 * PAGE_SIZE).contains(&pa) || (16 * PAGE_SIZE..64 * PAGE_SIZE).contains(&pa));
            assert_eq!(fa.refcount(pa), 1);
            assert!(got.insert(pa), "frame handed out twice");
            check(&fa);
        }
        assert_eq!(got.len(), total - 1);
        assert!(!got.contains(&zero));
        assert_eq!(fa.stats().free, 0);
        for pa in got {
            assert!(fa.put(pa));
            check(&fa);
        }
        assert_eq!(fa.stats(), FrameStats { total, free: total - 1, used: 1 });
    }

    #[test]
    fn refcounts_free_at_zero() {
        let (mem, mut fa) = two_ranges();
        let pa = fa.alloc_zeroed(&mem).unwrap();
        fa.get(pa);
        fa.get(pa);
        assert_eq!(fa.refcount(pa), 3);
        assert!(!fa.put(pa));
        assert!(!fa.put(pa));
        assert_eq!(fa.stats().used, 2);
        fa.set_flags(pa, FrameFlags::PAGE_TABLE);
        assert!(fa.put(pa));
        assert_eq!(fa.refcount(pa), 0);
        assert_eq!(fa.stats().used, 1);
        // Reallocated frames come back without stale flags.
        let again = fa.alloc().unwrap();
        assert_eq!(again, pa, "LIFO reuse");
        assert_eq!(fa.flags(again), FrameFlags::empty());
        fa.put(again);
    }

    #[test]
    fn fail_after_exhausts_memory_until_cleared() {
        let (mem, mut fa) = two_ranges();
        let free = fa.stats().free;
        fa.fail_after(Some(2));
        let a = fa.alloc().unwrap();
        let b = fa.alloc_zeroed(&mem).unwrap();
        assert_eq!(fa.alloc(), None);
        assert_eq!(fa.alloc_zeroed(&mem), None, "and every one after");
        assert_eq!(fa.stats().free, free - 2);
        fa.fail_after(None);
        let c = fa.alloc().unwrap();
        for f in [a, b, c] {
            fa.put(f);
        }
        assert_eq!(fa.stats().free, free);
    }

    #[test]
    fn heap_takes_below_the_floor_never_the_promised() {
        let (_mem, mut fa) = two_ranges();
        let free = fa.stats().free;
        fa.set_heap_floor(10);
        let shared = fa.shared_free();
        // Ordinary allocations stop at the floor.
        let mut got = Vec::new();
        while let Some(pa) = fa.alloc() {
            got.push(pa);
        }
        assert_eq!(got.len(), free - 10);
        assert!(!fa.reserve(), "a promise is an ordinary allocation");
        // Give two back and promise them; the heap may take the floor's
        // frames, but not those two.
        fa.put(got.pop().unwrap());
        fa.put(got.pop().unwrap());
        assert!(fa.reserve() && fa.reserve());
        let heap: Vec<u64> = core::iter::from_fn(|| shared.lock().take_for_heap()).collect();
        assert_eq!(heap.len(), 10);
        assert!(heap.iter().all(|pa| !got.contains(pa)), "a frame handed out twice");
        assert_eq!(fa.heap_frames(), 10);
        let s = fa.stats();
        assert_eq!((s.free, s.used), (0, s.total), "heap frames and promised frames count as used");
        // The promised frames are still there.
        let (a, b) = (fa.alloc_reserved(), fa.alloc_reserved());
        assert_ne!(a, b);
        for pa in got.into_iter().chain([a, b]) {
            fa.put(pa);
        }
        // Back to what it was, less the heap's frames for good.
        assert_eq!(fa.stats().free, free - 10);
        assert_eq!(fa.stats().used + fa.stats().free, fa.stats().total);
    }

    #[test]
    #[should_panic(expected = "double free")]
    fn double_free_detected() {
        let (_mem, mut fa) = two_ranges();
        let pa = fa.alloc().unwrap();
        fa.put(pa);
        fa.put(pa);
    }

    #[test]
    #[should_panic(expected = "not a managed frame")]
    fn put_of_foreign_frame_detected() {
        let (_mem, mut fa) = two_ranges();
        fa.put(9 * PAGE_SIZE); // in the hole
    }

    #[test]
    #[should_panic(expected = "pinned")]
    fn zero_frame_is_pinned() {
        let (_mem, mut fa) = two_ranges();
        let z = fa.zero_frame();
        fa.put(z);
    }
}
