//! The kernel heap: one physical region reached through the direct map,
//! managed by `talc`, whose free lists are binned by size, so that an
//! allocation costs the same with a few tasks or ten thousand (a first-fit
//! linked list, as before, walked every hole left by thousands of
//! processes' structures on each fork; Linux's slab caches are O(1) too).
//!
//! The region is fixed, sized from RAM at boot (a quarter of it, 8 to 256
//! MiB, and at least twice the initramfs, whose files it will hold; see
//! `start.rs`), rather than grown from free frames on demand. That
//! is deliberate: the frames belong to the frame allocator inside the
//! locked `Kernel`, and the global allocator is called from the middle of
//! kernel code that holds that lock (often while it is changing the frame
//! allocator itself), so it could only reach them by re-entering it. What
//! a program can pile up in the kernel instead goes where Linux puts it:
//! pipe data in frames, and every user-sized or user-repeated heap
//! allocation through `tine_core::mm::kheap`'s fallible helpers, which
//! answer ENOMEM (or ENOSPC) while a reserve of the heap is still free for
//! the kernel's own bounded allocations. This allocator reports its size
//! and every allocation to `kheap` for that.

use core::alloc::{GlobalAlloc, Layout};

use talc::{ErrOnOom, Span, Talc, Talck};
use tine_core::mm::kheap;

struct CountingHeap(Talck<spin::Mutex<()>, ErrOnOom>);

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
    }
}

#[global_allocator]
static HEAP: CountingHeap = CountingHeap(Talc::new(ErrOnOom).lock());

/// Hand the allocator `size` bytes at virtual address `start`.
///
/// # Safety
/// `start..start + size` is a direct-map range of RAM that nothing else
/// uses, ever; called once, before the first allocation.
pub unsafe fn init(start: u64, size: usize) {
    // SAFETY: the caller's contract is the allocator's.
    let claimed = unsafe { HEAP.0.lock().claim(Span::from_base_size(start as *mut u8, size)) };
    claimed.expect("the kernel heap's region is large enough for talc's metadata");
    kheap::note_size(size);
}
