//! The kernel heap: a linked-list allocator over one physical region reached
//! through the direct map.

use linked_list_allocator::LockedHeap;

#[global_allocator]
static HEAP: LockedHeap = LockedHeap::empty();

/// Hand the allocator `size` bytes at virtual address `start`.
pub fn init(start: u64, size: usize) {
    // SAFETY: the caller (boot) gives a direct-map range of RAM that nothing
    // else uses, and this runs once before the first allocation.
    unsafe { HEAP.lock().init(start as *mut u8, size) }
}
