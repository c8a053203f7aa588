//! The kernel heap: a linked-list allocator over one physical region reached
//! through the direct map.
//!
//! The region is fixed, sized from RAM at boot (a quarter of it, 8 to 256
//! MiB; see `start.rs`), rather than grown from free frames on demand. That
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

use linked_list_allocator::LockedHeap;
use tine_core::mm::kheap;

struct CountingHeap(LockedHeap);

// SAFETY: forwards to `LockedHeap`, a sound allocator, unchanged; the
// counting on the side does not touch the memory.
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
static HEAP: CountingHeap = CountingHeap(LockedHeap::empty());

/// Hand the allocator `size` bytes at virtual address `start`.
///
/// # Safety
/// `start..start + size` is a direct-map range of RAM that nothing else
/// uses, ever; called once, before the first allocation.
pub unsafe fn init(start: u64, size: usize) {
    // SAFETY: the caller's contract is the allocator's.
    unsafe { HEAP.0.lock().init(start as *mut u8, size) }
    kheap::note_size(size);
}
