//! Host-test stand-ins for the machine: physical memory in a `Vec` and an
//! MMU that records TLB flushes, plus a fixture that wires them to a frame
//! allocator and checks frame accounting.

use core::sync::atomic::{AtomicUsize, Ordering};
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::vec::Vec;

use super::aspace::{AddressSpace, MemCtx};
use super::consts::PAGE_SIZE;
use super::frame::{FrameAllocator, FrameStats};
use super::pagetable::Pte;
use super::tlb::TlbGather;
use crate::cpumask::CpuMask;
use crate::machine::{Flush, Mmu, PhysMem};
use crate::mm::pagecache::PageCache;

/// Byte that fresh simulated RAM is filled with, so that code relying on
/// `alloc()` returning zeros (it does not) reads garbage and fails.
pub const POISON: u8 = 0xa5;

/// Shorthands the mm tests share: a page, read-write, private anonymous,
/// and where their mappings go.
pub const P: u64 = PAGE_SIZE;
pub const RW: u32 = super::consts::PROT_READ | super::consts::PROT_WRITE;
pub const ANON: u32 = super::consts::MAP_PRIVATE | super::consts::MAP_ANONYMOUS;
pub const BASE: u64 = 0x4000_0000;

/// The end of a test: release the address space, then every frame must be
/// back as it was (Env::check_baseline()).
pub fn finish(mut env: Env, a: AddressSpace) {
    a.release(&mut env.ctx());
    env.check_baseline();
}

/// One byte of user memory, read as the kernel would.
pub fn byte(a: &mut AddressSpace, env: &mut Env, va: u64) -> u8 {
    let mut b = [0];
    a.user_read(&mut env.ctx(), va, &mut b).unwrap();
    b[0]
}

/// Physical memory `[0, frames * 4 KiB)`.
pub struct SimMem {
    bytes: Mutex<Vec<u8>>,
}

impl SimMem {
    pub fn new(frames: usize) -> Self {
        SimMem { bytes: Mutex::new(std::vec![POISON; frames * PAGE_SIZE as usize]) }
    }

    fn span(pa: u64, len: usize) -> core::ops::Range<usize> {
        let start = pa as usize;
        start..start + len
    }
}

impl PhysMem for SimMem {
    fn read(&self, pa: u64, buf: &mut [u8]) {
        buf.copy_from_slice(&self.bytes.lock().unwrap()[Self::span(pa, buf.len())]);
    }
    fn write(&self, pa: u64, data: &[u8]) {
        self.bytes.lock().unwrap()[Self::span(pa, data.len())].copy_from_slice(data);
    }
    fn read_u64(&self, pa: u64) -> u64 {
        assert!(pa.is_multiple_of(8), "misaligned u64 read at {pa:#x}");
        let mut b = [0u8; 8];
        self.read(pa, &mut b);
        u64::from_le_bytes(b)
    }
    fn write_u64(&self, pa: u64, v: u64) {
        assert!(pa.is_multiple_of(8), "misaligned u64 write at {pa:#x}");
        self.write(pa, &v.to_le_bytes());
    }
    fn zero_frame(&self, pa: u64) {
        assert!(pa.is_multiple_of(PAGE_SIZE));
        self.bytes.lock().unwrap()[Self::span(pa, PAGE_SIZE as usize)].fill(0);
    }
    fn copy_frame(&self, dst: u64, src: u64) {
        assert!(dst.is_multiple_of(PAGE_SIZE) && src.is_multiple_of(PAGE_SIZE) && dst != src);
        let mut b = self.bytes.lock().unwrap();
        b.copy_within(Self::span(src, PAGE_SIZE as usize), dst as usize);
    }
}

/// An MMU that logs flushes and models a TLB: tests record the translations
/// a "user program" used in `tlb`, flushes drop them, and
/// [`SimMmu::check_tlb`] proves no cached entry grants more than the page
/// table now does, i.e. that no flush was forgotten. It runs on CPU `cpu`
/// (0 unless a test says otherwise) and logs each shootdown asked of the
/// others in `shootdowns`.
#[derive(Default)]
pub struct SimMmu {
    pub flushed: Mutex<Vec<u64>>,
    pub full_flushes: Mutex<usize>,
    pub tlb: Mutex<BTreeMap<u64, Pte>>,
    pub active_root: Mutex<Option<u64>>,
    pub cpu: AtomicUsize,
    pub shootdowns: Mutex<Vec<Shootdown>>,
}

/// One [`Mmu::flush_others`]: its targets, and the pages (None: all).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shootdown {
    pub cpus: CpuMask,
    pub pages: Option<Vec<u64>>,
}

impl SimMmu {
    pub fn flushed_pages(&self) -> Vec<u64> {
        self.flushed.lock().unwrap().clone()
    }
    pub fn clear_log(&self) {
        self.flushed.lock().unwrap().clear();
        self.shootdowns.lock().unwrap().clear();
    }
    pub fn shootdowns(&self) -> Vec<Shootdown> {
        self.shootdowns.lock().unwrap().clone()
    }
    pub fn cache(&self, va: u64, pte: Pte) {
        self.tlb.lock().unwrap().insert(va, pte);
    }
    /// Every cached translation must still be backed by a PTE with the same
    /// frame and at least the cached permissions.
    pub fn check_tlb(&self, current: impl Fn(u64) -> Pte) {
        for (&va, &cached) in self.tlb.lock().unwrap().iter() {
            let now = current(va);
            let ok = now.is_present()
                && now.addr() == cached.addr()
                && (!cached.is_writable() || now.is_writable())
                && (!cached.is_executable() || now.is_executable());
            assert!(ok, "stale TLB entry for {va:#x}: cached {cached:?}, page table now {now:?}");
        }
    }
}

impl Mmu for SimMmu {
    fn flush_page(&self, va: u64) {
        self.flushed.lock().unwrap().push(va);
        self.tlb.lock().unwrap().remove(&va);
    }
    fn flush_all(&self) {
        *self.full_flushes.lock().unwrap() += 1;
        self.tlb.lock().unwrap().clear();
    }
    fn activate(&self, root: u64) {
        *self.active_root.lock().unwrap() = Some(root);
        self.tlb.lock().unwrap().clear();
    }
    fn this_cpu(&self) -> usize {
        self.cpu.load(Ordering::Relaxed)
    }
    fn flush_others(&self, cpus: CpuMask, flush: Flush<'_>) {
        assert!(
            !cpus.is_empty() && !cpus.contains(self.this_cpu()),
            "shootdown to {cpus:?} from CPU {}",
            self.this_cpu()
        );
        let pages = match flush {
            Flush::Pages(p) => Some(p.to_vec()),
            Flush::All => None,
        };
        self.shootdowns.lock().unwrap().push(Shootdown { cpus, pages });
    }
}

/// Memory, MMU and frame allocator for one test, with a fake kernel root
/// whose upper half is populated, and the frame counts to return to.
pub struct Env {
    pub mem: SimMem,
    pub mmu: SimMmu,
    pub frames: FrameAllocator,
    pub pagecache: PageCache,
    pub kernel_root: u64,
    pub baseline: FrameStats,
}

/// Marker written into the kernel half of the fake kernel root.
pub const KERNEL_PML4E: u64 = 0x0000_0000_0dea_d003;

impl Env {
    /// `frames` frames of RAM; frame 0 is left out of the allocator, as
    /// real firmware maps keep it for themselves.
    pub fn new(frames: usize) -> Env {
        let mem = SimMem::new(frames);
        let mut fa = FrameAllocator::new(&[(PAGE_SIZE, frames as u64 * PAGE_SIZE)], &mem);
        // Tests map far more than their few hundred frames: overcommit is
        // left open unless a test is about it (mm::commit's own tests).
        fa.commit.mode = crate::mm::commit::Overcommit::Always;
        let kernel_root = fa.alloc_zeroed(&mem).unwrap();
        for i in 256..512u64 {
            mem.write_u64(kernel_root + i * 8, KERNEL_PML4E + (i << 12));
        }
        let baseline = fa.stats();
        Env { mem, mmu: SimMmu::default(), frames: fa, pagecache: PageCache::new(), kernel_root, baseline }
    }

    /// A context for an address space that is not the live one.
    pub fn ctx(&mut self) -> MemCtx<'_> {
        MemCtx {
            frames: &mut self.frames,
            phys: &self.mem,
            tlb: TlbGather::none(),
            pagecache: &mut self.pagecache,
            trace: None,
        }
    }

    /// A context for the live address space, loaded on this CPU alone:
    /// TLB flushes are recorded.
    pub fn live(&mut self) -> MemCtx<'_> {
        self.loaded_on(CpuMask::one(0))
    }

    /// A context for an address space loaded on `cpus` (the simulated
    /// MMU runs on CPU `mmu.cpu`).
    pub fn loaded_on(&mut self, cpus: CpuMask) -> MemCtx<'_> {
        MemCtx {
            frames: &mut self.frames,
            phys: &self.mem,
            tlb: TlbGather::new(&self.mmu, cpus),
            pagecache: &mut self.pagecache,
            trace: None,
        }
    }

    pub fn check_accounting(&self) {
        let s = self.frames.stats();
        assert_eq!(s.free + s.used, s.total);
    }

    /// Everything handed out since construction has come back, and the
    /// page cache is empty.
    pub fn check_baseline(&self) {
        self.check_accounting();
        assert_eq!(self.pagecache.object_count(), 0, "page-cache objects left behind");
        assert_eq!(self.frames.stats(), self.baseline, "frames leaked or over-freed");
        assert_eq!(self.frames.commit.committed(), 0, "overcommit charges left behind");
    }

    /// A fresh address space sharing the fake kernel half.
    pub fn aspace(&mut self) -> AddressSpace {
        let root = self.kernel_root;
        AddressSpace::new(&mut self.ctx(), root).unwrap()
    }

    pub fn used(&self) -> usize {
        self.frames.stats().used
    }
}
