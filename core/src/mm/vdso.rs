//! The vDSO and its [vvar] page (Linux: arch/x86/entry/vdso/vma.c).
//!
//! The vDSO is user code (user/vdso, built by core's build.rs with the
//! host's C compiler): a small shared object exporting
//! `__vdso_clock_gettime`, `__vdso_gettimeofday`, `__vdso_time`,
//! `__vdso_clock_getres` and `__vdso_getcpu` (version LINUX_2.6), which
//! the C libraries call instead of making the system call. Here it is
//! data: its bytes live in one shared-memory object of the page cache and
//! the [`VdsoData`] the kernel publishes in another, both held by the
//! kernel for as long as it runs. exec maps both into every new address
//! space ([`Vdso::map`]), [vvar] first and [vdso] right above it, where
//! mmap finds room (below the interpreter, as Linux under `setarch -R`);
//! the vDSO reads the page RIP-relative, so the two move only together.
//! fork copies the mappings with the rest; munmap removes them as any
//! other; mprotect may make the vDSO writable (debuggers' breakpoints,
//! copied on write) but never [vvar]; mlock leaves both alone.

use zerocopy::{Immutable, IntoBytes};

use super::aspace::{AddressSpace, MemCtx};
use super::consts::{MAP_PRIVATE, PAGE_SIZE, PROT_EXEC, PROT_READ};
use super::frame::{FrameAllocator, FrameFlags};
use super::mmap::{MapFile, MapTarget};
use super::pagecache::PageCache;
use super::vma::VmFlags;
use crate::abi::{Errno, ENOMEM};
use crate::machine::PhysMem;

/// The image, as user/vdso builds it.
pub static IMAGE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/vdso.so"));

/// Pages of the [vvar] mapping (Linux 6.1's: the data page, then the
/// pvclock, hvclock and time-namespace pages, here zeros), which
/// user/vdso/vdso.lds places below the image.
pub const VVAR_PAGES: u64 = 4;

/// `clock_mode`: the page cannot answer; the vDSO makes the system call.
pub const CLOCK_NONE: u32 = 0;
/// `clock_mode`: monotonic ns = ((rdtsc - tsc_base) * mult) >> 32.
pub const CLOCK_TSC: u32 = 1;

/// The start of the [vvar] page: what the vDSO needs to read the clocks
/// as the kernel does (`struct vdso_data` in user/vdso/vdso.h, which must
/// agree). Linux: struct vdso_data (include/vdso/datapage.h).
#[derive(Clone, Copy, Debug, Default, IntoBytes, Immutable)]
#[repr(C)]
pub struct VdsoData {
    /// Odd while the kernel changes the rest (never, yet: the clock's
    /// parameters are fixed at boot and Tine has no clock_settime).
    pub seq: u32,
    pub clock_mode: u32,
    pub tsc_base: u64,
    pub mult: u64,
    /// CLOCK_REALTIME minus CLOCK_MONOTONIC.
    pub epoch_ns: u64,
    /// The coarse clocks' resolution.
    pub tick_ns: u64,
}

/// The kernel's two objects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Vdso {
    /// Page-cache key of the image.
    pub image: u64,
    /// Page-cache key of [vvar].
    pub vvar: u64,
    image_pages: u64,
}

impl Vdso {
    /// Make both objects, every page present (so that no process's fault
    /// ever allocates one: they are the kernel's), filled with the image
    /// and `data`. Linux: init_vdso_image(), the vvar page.
    pub fn new(
        pc: &mut PageCache,
        frames: &mut FrameAllocator,
        phys: &dyn PhysMem,
        data: &VdsoData,
    ) -> Result<Vdso, Errno> {
        let image_pages = (IMAGE.len() as u64).div_ceil(PAGE_SIZE);
        let image = pc.create_shmem(image_pages * PAGE_SIZE, false);
        let vvar = pc.create_shmem(VVAR_PAGES * PAGE_SIZE, false);
        // Linux counts the vDSO's pages as a file's and never [vvar]'s.
        pc.set_mark(image, FrameFlags::FILE);
        pc.set_mark(vvar, FrameFlags::UNCOUNTED);
        // The kernel's own hold: they outlive every process.
        pc.hold(image, false);
        pc.hold(vvar, false);
        let v = Vdso { image, vvar, image_pages };
        let fill = |pc: &mut PageCache, frames: &mut FrameAllocator, key: u64, pages: u64, bytes: &[u8]| {
            for idx in 0..pages {
                let frame = pc.get_page(frames, phys, key, idx).map_err(|_| ENOMEM)?;
                let from = (idx * PAGE_SIZE) as usize;
                if from < bytes.len() {
                    phys.write(frame, &bytes[from..bytes.len().min(from + PAGE_SIZE as usize)]);
                }
            }
            Ok(())
        };
        let r = fill(pc, frames, image, image_pages, IMAGE)
            .and_then(|()| fill(pc, frames, vvar, VVAR_PAGES, data.as_bytes()));
        if let Err(e) = r {
            v.release(pc, frames);
            return Err(e);
        }
        Ok(v)
    }

    /// Give the objects back (a kernel that could not finish setting up).
    pub fn release(self, pc: &mut PageCache, frames: &mut FrameAllocator) {
        pc.release(frames, self.image, false);
        pc.release(frames, self.vvar, false);
    }

    /// Bytes of [vvar] and [vdso] together.
    pub fn size(&self) -> u64 {
        (VVAR_PAGES + self.image_pages) * PAGE_SIZE
    }

    /// Map [vvar] and [vdso] into `aspace` where mmap would put a mapping
    /// of their size; returns the vDSO's address (AT_SYSINFO_EHDR).
    /// Linux: map_vdso().
    pub fn map(&self, aspace: &mut AddressSpace, ctx: &mut MemCtx) -> Result<u64, Errno> {
        let at = aspace.mmap(ctx, 0, self.size(), 0, MAP_PRIVATE | super::consts::MAP_ANONYMOUS)?;
        aspace.munmap(ctx, at, self.size())?;
        let fixed = MAP_PRIVATE | super::consts::MAP_FIXED;
        let vvar = MapFile {
            target: MapTarget::File(self.vvar),
            readable: true,
            writable: false,
            pgoff: 0,
            write_sealed: false,
            noexec: false,
        };
        let vvar_len = VVAR_PAGES * PAGE_SIZE;
        aspace.mmap_file(ctx, at, vvar_len, PROT_READ, fixed, &vvar)?;
        // Linux's vvar mapping lacks VM_MAYWRITE: mprotect cannot make it
        // writable, so no process can copy it and miss the kernel's updates.
        aspace.vmas.update(at, at + vvar_len, |v| v.flags |= VmFlags::NO_MAYWRITE | VmFlags::SPECIAL);
        let image = MapFile {
            target: MapTarget::File(self.image),
            readable: true,
            writable: false,
            pgoff: 0,
            write_sealed: false,
            noexec: false,
        };
        let base = at + vvar_len;
        let end = base + self.image_pages * PAGE_SIZE;
        aspace.mmap_file(ctx, base, end - base, PROT_READ | PROT_EXEC, fixed, &image)?;
        aspace.vmas.update(base, end, |v| v.flags |= VmFlags::SPECIAL);
        Ok(base)
    }

    /// The name /proc/<pid>/maps gives a mapping of page-cache object `key`.
    pub fn name(&self, key: u64) -> Option<&'static [u8]> {
        if key == self.image {
            Some(b"[vdso]")
        } else if key == self.vvar {
            Some(b"[vvar]")
        } else {
            None
        }
    }
}
