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
//! - [`rss`]: resident pages by kind (RssAnon, RssFile, RssShmem).
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
pub mod rss;
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
    frames: frame::FrameAllocator,
    /// The kernel's own page table; its upper half is in every address space.
    kernel_root: u64,
    /// File pages in frames, for mappings (Linux: the page cache).
    pagecache: pagecache::PageCache,
    /// The shareable parts of tasks (see `proc::shared`).
    mms: crate::object::shared::SharedTable<aspace::AddressSpace>,
    /// Frames in use just before init was created: what must be in use
    /// again once every process has gone.
    boot_frames_used: usize,
    /// The vDSO and [vvar] objects every exec maps (made before init's
    /// first exec, see [`Kernel::vdso_setup`]).
    vdso: Option<vdso::Vdso>,
}

/// What the rest of the kernel reaches of this room: each table (itself a
/// type with private state), and the settings it reads or sets.
impl Memory {
    pub fn frames(&self) -> &frame::FrameAllocator {
        &self.frames
    }

    pub fn frames_mut(&mut self) -> &mut frame::FrameAllocator {
        &mut self.frames
    }

    pub fn kernel_root(&self) -> u64 {
        self.kernel_root
    }

    /// CPU `cpu` now runs the address space whose page table is at `root`
    /// (the kernel's own when it goes idle) and no longer the one it ran:
    /// the hook for the TLB shootdown's per-address-space CPU masks
    /// (issue 16; Linux: switch_mm_irqs_off() updating mm_cpumask()).
    /// Nothing yet.
    pub fn cpu_switch_mm(&mut self, _cpu: usize, _root: u64) {}

    pub fn pagecache(&self) -> &pagecache::PageCache {
        &self.pagecache
    }

    pub fn pagecache_mut(&mut self) -> &mut pagecache::PageCache {
        &mut self.pagecache
    }

    pub fn mms(&self) -> &crate::object::shared::SharedTable<aspace::AddressSpace> {
        &self.mms
    }

    pub fn mms_mut(&mut self) -> &mut crate::object::shared::SharedTable<aspace::AddressSpace> {
        &mut self.mms
    }

    pub fn boot_frames_used(&self) -> usize {
        self.boot_frames_used
    }

    pub fn set_boot_frames_used(&mut self, v: usize) {
        self.boot_frames_used = v;
    }

    pub fn vdso(&self) -> &Option<vdso::Vdso> {
        &self.vdso
    }
}

impl Memory {
    /// Give back the kernel's hold on a shared-memory object (System V
    /// shm): its pages go when the last mapping goes.
    pub fn release_object(&mut self, object: u64) {
        self.pagecache.release(&mut self.frames, object, false);
    }

    /// Make the vDSO and [vvar] objects once, before init's first exec.
    pub fn make_vdso(
        &mut self,
        phys: &dyn crate::machine::PhysMem,
        data: &vdso::VdsoData,
    ) -> Result<vdso::Vdso, crate::abi::Errno> {
        let v = vdso::Vdso::new(&mut self.pagecache, &mut self.frames, phys, data)?;
        self.vdso = Some(v);
        Ok(v)
    }
}

/// The parts of the memory room that work together, borrowed at once: a
/// memory context (`aspace::MemCtx`) needs the frames and the page cache
/// while an address space is borrowed from the table.
pub struct MemParts<'a> {
    pub mms: &'a mut crate::object::shared::SharedTable<aspace::AddressSpace>,
    pub frames: &'a mut frame::FrameAllocator,
    pub pagecache: &'a mut pagecache::PageCache,
}

impl Memory {
    pub fn parts(&mut self) -> MemParts<'_> {
        MemParts { mms: &mut self.mms, frames: &mut self.frames, pagecache: &mut self.pagecache }
    }
}

impl Memory {
    /// The room at boot: every free frame, and the kernel's page table.
    pub fn new(frames: frame::FrameAllocator, kernel_root: u64) -> Self {
        Memory {
            frames,
            kernel_root,
            pagecache: pagecache::PageCache::new(),
            mms: Default::default(),
            boot_frames_used: 0,
            vdso: None,
        }
    }
}
