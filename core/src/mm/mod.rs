//! Memory management (Linux: mm/ and arch/x86/mm/).
//!
//! - [`frame`]: physical frames and their refcounts (`struct page`).
//! - [`pagetable`]: x86_64 page tables in the hardware format.
//! - [`vma`]: mappings (`vm_area_struct`).
//! - [`aspace`]: the address space (`mm_struct`), with its operations in
//!   [`mmap`](mod@mmap) (mmap/munmap/mprotect/brk), [`fault`] (demand zero,
//!   copy-on-write, file pages), [`madvise`](mod@madvise), [`mlock`](mod@mlock)
//!   (mlock, mlockall, resource limits), [`fork`](mod@fork)
//!   (dup_mmap), [`ptshare`] (leaf page tables shared across fork) and [`uaccess`] (copy_{from,to}_user).
//! - [`pagecache`]: file pages in frames, for mmap (Linux: mm/filemap.c).
//! - [`vmstat`]: event counters for /proc/vmstat (Linux: mm/vmstat.c).
//!
//! Every operation takes a [`MemCtx`]: the frame allocator, physical memory,
//! the page cache ([`crate::mm::pagecache`]) that file and shared mappings
//! fault from, and, when the address space is the live one, the MMU to
//! flush.

pub mod aspace;
pub mod commit;
pub mod consts;
pub mod fault;
pub mod fork;
pub mod frame;
pub mod kheap;
pub mod madvise;
pub mod mlock;
pub mod mmap;
pub mod mremap;
pub mod pagecache;
pub mod pagetable;
pub mod ptshare;
pub mod uaccess;
pub mod vdso;
pub mod vma;
pub mod vmstat;

#[cfg(test)]
mod model_tests;
#[cfg(test)]
mod mremap_tests;
#[cfg(test)]
mod pagecache_tests;
#[cfg(test)]
pub mod sim;

pub use aspace::{AddressSpace, MemCtx};
pub use fault::{Access, FaultError};
pub use frame::{FrameAllocator, FrameFlags, FrameStats};
pub use mmap::{MapFile, MapTarget};
pub use pagetable::{PageTable, Pte, PteFlags};
pub use vma::{Prot, VmFile, VmFlags, Vma};

/// The memory room: physical frames, the page cache, every address
/// space, the kernel's own page table and the vDSO (Linux: the buddy
/// allocator, the page cache, the mm_structs).
pub struct Memory {
    pub frames: frame::FrameAllocator,
    /// The kernel's own page table; its upper half is in every address space.
    pub kernel_root: u64,
    /// File pages in frames, for mappings (Linux: the page cache).
    pub pagecache: pagecache::PageCache,
    /// The shareable parts of tasks (see `proc::shared`).
    pub mms: crate::object::shared::SharedTable<aspace::AddressSpace>,
    /// Frames in use just before init was created: what must be in use
    /// again once every process has gone.
    pub boot_frames_used: usize,
    /// The vDSO and [vvar] objects every exec maps (made before init's
    /// first exec, see [`Kernel::vdso_setup`]).
    pub vdso: Option<vdso::Vdso>,
}
