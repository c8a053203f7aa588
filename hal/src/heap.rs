//! The kernel heap: one region of the kernel half's virtual space,
//! managed by `talc`, whose free lists are binned by size, so that an
//! allocation costs the same with a few tasks or ten thousand (a first-fit
//! linked list, as before, walked every hole left by thousands of
//! processes' structures on each fork; Linux's slab caches are O(1) too).
//!
//! The region is PML4 slot 403 ([`HEAP_BASE`], beside the kernel stacks'
//! slot), installed in the kernel's page table at boot, before any address
//! space copies the kernel half, so that every address space sees the heap
//! through the tables below it, which only grow. It starts as a stretch of
//! RAM set aside at boot ([`init`]), enough for the frame allocator's own
//! metadata, and grows at its end when talc finds no room: the OOM
//! handler ([`Grow`]) maps frames taken from the frame allocator's free
//! list (`kheap::take_heap_frame`; page tables come from there too) and
//! extends talc's span over them. When the free memory at its end passes
//! twice [`SHRINK_SLACK`], a free gives the pages above the highest
//! allocation (less that slack) back to the free list (`CountingHeap::
//! shrink`). The frames it holds count as used (`FrameAllocator::
//! heap_frames`). Taking a frame never re-enters the frame allocator,
//! whose caller may be the one allocating: the free list has a lock of its
//! own that is only held for a push or a pop.
//!
//! What a program can pile up in the kernel goes where Linux puts it: pipe
//! data in frames, and every user-sized or user-repeated heap allocation
//! through `tine_core::mm::kheap`'s fallible helpers, which answer ENOMEM
//! (or ENOSPC) once the heap could not grow to hold it while leaving the
//! heap floor of free frames and a reserve of the heap for the kernel's
//! own bounded allocations. This allocator reports its size and every
//! allocation to `kheap` for that.
//!
//! TLB: a page is mapped where nothing was (a not-present entry is never
//! cached), and unmapped with `invlpg` before its frame goes back: one
//! CPU, the region's entries not global, so every other address space
//! drops them at its next CR3 load (several CPUs would need a shootdown).

use core::alloc::{GlobalAlloc, Layout};
use core::sync::atomic::{AtomicUsize, Ordering};

use talc::{OomHandler, Span, Talc, Talck};
use tine_core::mm::kheap;

use crate::region::{Region, NO_EXECUTE, PRESENT, WRITABLE};

/// Start of the heap's region: PML4 slot 403, the one after the kernel
/// stacks' (Linux keeps this part of the kernel half for vmalloc).
pub const HEAP_BASE: u64 = 0xFFFF_C980_0000_0000;
/// The region's size: one PML4 slot.
const HEAP_MAX: u64 = 1 << 39;
/// The heap grows by at least this much at a time, so that a run of
/// small allocations does not take the slow path for every page.
const GROW_MIN: u64 = 256 << 10;

const PAGE: u64 = 4096;

/// The region's tables; those below its PDPT come from the heap's own
/// frames.
static REGION: Region = Region::new(HEAP_BASE);

/// The heap gives back its free tail once that is larger than this, and
/// keeps this much of it.
const SHRINK_SLACK: u64 = 4 << 20;
/// A free tries to shrink the heap only while the bytes in use are below
/// this: after a try that found the free memory elsewhere than at the
/// end, once another slack's worth has been freed; after a growth, at once.
static RETRY_BELOW: AtomicUsize = AtomicUsize::new(usize::MAX);

/// Talc's out-of-memory handler: the heap's span, the end of what is
/// mapped of the region, and the end of the boot region (whose RAM is not
/// the frame allocator's: never given back).
pub struct Grow {
    heap: Span,
    end: u64,
    boot_end: u64,
}

impl OomHandler for Grow {
    fn handle_oom(talc: &mut Talc<Self>, layout: Layout) -> Result<(), ()> {
        let g = &mut talc.oom_handler;
        // Room for the allocation at any alignment, with talc's tags.
        let want = (layout.size() as u64).checked_add(layout.align() as u64 + 64).ok_or(())?;
        let want = want.max(GROW_MIN).next_multiple_of(PAGE);
        let target = g.end.checked_add(want).filter(|&t| t <= HEAP_BASE + HEAP_MAX).ok_or(())?;
        let start = g.end;
        while g.end < target {
            // SAFETY: `g.end` is the first unmapped page of the region
            // (the pages below it are mapped, none above), and talc's
            // lock, held around this handler, serializes growth.
            if unsafe { !map_next(g.end) } {
                break;
            }
            g.end += PAGE;
        }
        if g.end == start {
            return Err(());
        }
        let old = g.heap;
        let (base, _) = old.get_base_acme().ok_or(())?;
        let end = g.end;
        // SAFETY: the span grows over pages just mapped, writable, used by
        // nothing else; `old` is talc's current span of this heap.
        let new = unsafe { talc.extend(old, Span::new(base, end as *mut u8)) };
        talc.oom_handler.heap = new;
        kheap::note_size((end - HEAP_BASE) as usize);
        RETRY_BELOW.store(usize::MAX, Ordering::Relaxed);
        Ok(())
    }
}

struct CountingHeap(Talck<spin::Mutex<()>, Grow>);

// SAFETY: forwards to `Talck`, a sound allocator, unchanged; the counting
// on the side does not touch the memory.
unsafe impl GlobalAlloc for CountingHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract for `alloc` is passed on as is.
        let p = unsafe { self.0.alloc(layout) };
        if !p.is_null() {
            kheap::note_alloc(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        kheap::note_free(layout.size());
        // SAFETY: the caller's contract for `dealloc` is passed on as is.
        unsafe { self.0.dealloc(ptr, layout) }
        let (used, mapped) = kheap::usage();
        let worth_it = (mapped - used.min(mapped)) as u64 > 2 * SHRINK_SLACK;
        // When the free memory is not at the end, try again only once
        // another slack's worth has been freed.
        if worth_it && used < RETRY_BELOW.load(Ordering::Relaxed) && !self.shrink() {
            RETRY_BELOW.store(used.saturating_sub(SHRINK_SLACK as usize), Ordering::Relaxed);
        }
    }
}

impl CountingHeap {
    /// Unmap the free pages at the heap's end beyond [`SHRINK_SLACK`] and
    /// give their frames back to the free list (Linux: the slab allocator
    /// freeing empty slabs' pages), so that what a burst of kernel work
    /// took (a fork bomb's tasks) is free memory again after it. Only the
    /// tail can go: what is allocated stays where it is. Never waits for
    /// a lock.
    /// Whether it could (false: the free memory is not at the end).
    fn shrink(&self) -> bool {
        let Some(mut talc) = self.0.try_lock() else { return true };
        let Some(mut free) = kheap::frame_source() else { return true };
        let Grow { heap, end, boot_end } = talc.oom_handler;
        // SAFETY: `heap` is talc's current span of this heap.
        let allocated = unsafe { talc.get_allocated_span(heap) };
        let (Some((base, _)), Some((_, top))) = (heap.get_base_acme(), allocated.get_base_acme()) else {
            return true;
        };
        let keep = (top as u64 + SHRINK_SLACK).next_multiple_of(PAGE).max(boot_end);
        if keep + SHRINK_SLACK > end {
            return false;
        }
        // SAFETY: the new span holds everything allocated (above), within
        // the old one.
        let new = unsafe { talc.truncate(heap, Span::new(base, keep as *mut u8)) };
        let Some((_, acme)) = new.get_base_acme() else { return true };
        let new_end = (acme as u64).next_multiple_of(PAGE).max(boot_end);
        let mut va = new_end;
        while va < end {
            // SAFETY: a mapped page of the region above the heap's span,
            // which talc no longer hands out; its lock serializes changes
            // to the tables.
            if let Some(pa) = unsafe { REGION.unmap(va) } {
                crate::phys::return_from_heap(pa);
                free.give_back_from_heap(pa);
            }
            va += PAGE;
        }
        talc.oom_handler = Grow { heap: new, end: new_end, boot_end };
        kheap::note_size((new_end - HEAP_BASE) as usize);
        true
    }
}

/// A frame from the frame allocator's free list for the heap (its memory or
/// a table), out of `core`'s reach from now on.
pub(crate) fn heap_frame() -> Option<u64> {
    let pa = kheap::take_heap_frame()?;
    crate::phys::take_for_heap(pa);
    Some(pa)
}

#[global_allocator]
static HEAP: CountingHeap =
    CountingHeap(Talc::new(Grow { heap: Span::empty(), end: HEAP_BASE, boot_end: HEAP_BASE }).lock());

/// Map frame-to-be `data()` at `va`, making the tables above it from
/// `table()`; false, with nothing mapped, when either has no frame.
///
/// # Safety
/// `va` is an unmapped page of the region, [`init`] has installed the
/// region's PML4 entry (or is doing so), and the caller serializes every
/// change to the region's tables.
unsafe fn map_page(va: u64, table: &mut dyn FnMut() -> Option<u64>, data: &mut dyn FnMut() -> Option<u64>) -> bool {
    // SAFETY: the caller's contract is the region's.
    let Some(e) = (unsafe { REGION.pte(va, table) }) else { return false };
    let Some(pa) = data() else { return false };
    // SAFETY: the entry of an unmapped page: nothing translates through it.
    unsafe { core::ptr::write_volatile(e, pa | PRESENT | WRITABLE | NO_EXECUTE) };
    true
}

/// Map the page at `va` with a frame from the free list (page tables too).
///
/// # Safety
/// As [`map_page`], after boot.
unsafe fn map_next(va: u64) -> bool {
    // SAFETY: the caller's contract.
    unsafe { map_page(va, &mut heap_frame, &mut heap_frame) }
}

/// Install the region in the kernel's page table `kernel_pml4`
/// (physical), map the RAM at `start..start + size` (physical, page
/// aligned) at its base, taking the first frames of it for page tables,
/// and hand the rest to the allocator. Returns the bytes mapped.
///
/// # Safety
/// `kernel_pml4` is the kernel's live PML4, before any address space was
/// made from it; `start..start + size` is RAM in the direct map that
/// nothing else uses, ever; called once, before the first allocation.
pub unsafe fn init(kernel_pml4: u64, start: u64, size: u64) -> u64 {
    // SAFETY: per the contract, the live PML4 before any address space;
    // slot 403 is unused by the boot mappings (0, 256, 511) and by the
    // stack area (402).
    unsafe { REGION.install(kernel_pml4) };

    let pages = size / PAGE;
    // A page directory, and a page table per 512 pages (a slight
    // overestimate: the tables' own frames are not mapped).
    let tables = 1 + pages.div_ceil(512);
    assert!(pages > tables && size <= 1 << 30, "kernel heap's initial region: {size:#x} bytes");
    let (mut next_table, mut next_data) = (start, start + tables * PAGE);
    let mut table = || {
        let pa = next_table;
        next_table += PAGE;
        (pa < start + tables * PAGE).then_some(pa)
    };
    let mut data = || {
        let pa = next_data;
        next_data += PAGE;
        Some(pa)
    };
    let mapped = (pages - tables) * PAGE;
    for i in 0..pages - tables {
        // SAFETY: the region's pages from its base up, each unmapped yet;
        // the PML4 entry is installed; boot runs alone.
        assert!(unsafe { map_page(HEAP_BASE + i * PAGE, &mut table, &mut data) }, "kernel heap's initial tables");
    }
    // SAFETY: `mapped` bytes at HEAP_BASE are now RAM nothing else uses.
    let span = unsafe { HEAP.0.lock().claim(Span::from_base_size(HEAP_BASE as *mut u8, mapped as usize)) };
    let span = span.expect("the kernel heap's region is large enough for talc's metadata");
    let mut talc = HEAP.0.lock();
    talc.oom_handler = Grow { heap: span, end: HEAP_BASE + mapped, boot_end: HEAP_BASE + mapped };
    kheap::note_size(mapped as usize);
    mapped
}
