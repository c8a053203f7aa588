//! `core`'s view of the machine's memory: physical frames through the
//! direct map, TLB flushes, and the console and log devices.
//!
//! # Which frames `core` may reach
//!
//! [`DirectMap`] takes physical addresses from safe code, so it checks
//! them: `core` may read and write only the frames lent to it at boot
//! (the free RAM its frame allocator manages), less those it has since
//! handed to hal for the kernel's own use, where a stray write would
//! corrupt memory Rust code holds:
//! - a frame the heap grew over, or a table of the heap's or the stack
//!   area's mappings ([`take_for_heap`]), is out of reach until the heap
//!   gives it back ([`return_from_heap`]);
//! - the frames of a mapped kernel stack ([`take_for_stack`]) may be read
//!   (the high-water mark), and written only in the saved user state at
//!   the top of the stack's highest frame (`pt_regs`, the fxsave area and
//!   its flag, Linux's `task_pt_regs()`), never where the kernel's call
//!   frames are.
//!
//! The kernel's PML4, which `core` copies into every new address space,
//! may be read. Anything else panics, naming the address: a bug in
//! `core`, stopped before it becomes memory corruption. The check is one
//! bit test on the common path (a frame lent and not taken back).

use core::sync::atomic::{AtomicU64, Ordering};

use tine_core::proc::kstack::FPU_AREA_FROM_TOP;

use tine_core::cpumask::CpuMask;
use tine_core::machine::{Console, Flush, Log, Mmu, PhysMem};

use crate::mem::phys_to_virt;
use crate::serial::{Uart, COM1, COM2};

/// Frames below the boot direct map's end, one bit each.
const FRAMES: usize = (crate::boot::BOOT_DIRECT_MAP_BYTES / 4096) as usize;
const PAGE: u64 = 4096;

/// One bit per frame of the direct map.
struct FrameBits([AtomicU64; FRAMES / 64]);

impl FrameBits {
    const fn new() -> Self {
        FrameBits([const { AtomicU64::new(0) }; FRAMES / 64])
    }

    #[inline(always)]
    fn get(&self, pa: u64) -> bool {
        let f = (pa / PAGE) as usize;
        f < FRAMES && self.0[f / 64].load(Ordering::Relaxed) & (1 << (f % 64)) != 0
    }

    fn set(&self, pa: u64, on: bool) {
        let f = (pa / PAGE) as usize;
        assert!(f < FRAMES, "frame {pa:#x} beyond the direct map");
        let bit = 1 << (f % 64);
        if on {
            self.0[f / 64].fetch_or(bit, Ordering::Relaxed);
        } else {
            self.0[f / 64].fetch_and(!bit, Ordering::Relaxed);
        }
    }
}

/// Frames `core` may write: lent at boot, not taken back.
static WRITABLE: FrameBits = FrameBits::new();
/// Frames `core` may read: those, the frames of mapped kernel stacks, and
/// the kernel's PML4.
static READABLE: FrameBits = FrameBits::new();
/// The highest frame of each mapped kernel stack, whose top holds the
/// saved user state `core` may write.
static STACK_TOPS: FrameBits = FrameBits::new();

/// Lend the free RAM in `start..end` to `core` (boot, before `core` runs).
pub(crate) fn lend(start: u64, end: u64) {
    let mut pa = start;
    while pa < end {
        WRITABLE.set(pa, true);
        READABLE.set(pa, true);
        pa += PAGE;
    }
}

/// `core` may read the kernel's PML4 at `pa`, to copy its kernel half.
pub(crate) fn allow_kernel_root(pa: u64) {
    READABLE.set(pa, true);
}

/// The heap took frame `pa` from the free list (for its memory or a table).
pub(crate) fn take_for_heap(pa: u64) {
    WRITABLE.set(pa, false);
    READABLE.set(pa, false);
}

/// The heap gives frame `pa` back to the free list.
pub(crate) fn return_from_heap(pa: u64) {
    WRITABLE.set(pa, true);
    READABLE.set(pa, true);
}

/// `frames` (bottom first) become a mapped kernel stack: readable, and
/// writable only in the saved user state at the top.
pub(crate) fn take_for_stack(frames: &[u64]) {
    for &pa in frames {
        WRITABLE.set(pa, false);
    }
    if let Some(&top) = frames.last() {
        STACK_TOPS.set(top, true);
    }
}

/// The stack of `frames` is unmapped: `core` owns them again.
pub(crate) fn return_from_stack(frames: &[u64]) {
    for &pa in frames {
        STACK_TOPS.set(pa, false);
        WRITABLE.set(pa, true);
    }
}

/// Panic unless `core` may reach `len` bytes at `pa` (see the module
/// documentation).
#[inline]
fn check(pa: u64, len: usize, write: bool) {
    let last = pa.saturating_add(len.max(1) as u64 - 1);
    let bits = if write { &WRITABLE } else { &READABLE };
    if bits.get(pa) && (last / PAGE == pa / PAGE || bits.get(last)) {
        return;
    }
    check_slow(pa, last, write);
}

/// [`check`] for an aligned word, which cannot cross a frame: one bit
/// test on the path every page-table walk takes.
#[inline(always)]
fn check_word(pa: u64, write: bool) {
    let bits = if write { &WRITABLE } else { &READABLE };
    if pa.is_multiple_of(8) && bits.get(pa) {
        return;
    }
    check_slow(pa, pa.saturating_add(7), write);
}

/// The rest of [`check`]: frames one by one, and the stacks' saved state.
#[cold]
fn check_slow(pa: u64, last: u64, write: bool) {
    let mut f = pa & !(PAGE - 1);
    while f <= last {
        let first_byte = pa.max(f) - f;
        let ok = if write {
            WRITABLE.get(f) || (STACK_TOPS.get(f) && first_byte >= PAGE - FPU_AREA_FROM_TOP as u64)
        } else {
            READABLE.get(f)
        };
        let what = if write { "write" } else { "read" };
        assert!(ok, "core reached physical {pa:#x}..={last:#x} ({what}) outside the frames lent to it");
        f += PAGE;
    }
}

pub struct DirectMap;

impl PhysMem for DirectMap {
    fn read(&self, pa: u64, buf: &mut [u8]) {
        check(pa, buf.len(), false);
        // SAFETY: checked: RAM lent to `core` (or readable by it), all of
        // it in the direct map.
        unsafe { core::ptr::copy_nonoverlapping(phys_to_virt(pa) as *const u8, buf.as_mut_ptr(), buf.len()) }
    }

    fn write(&self, pa: u64, data: &[u8]) {
        check(pa, data.len(), true);
        // SAFETY: checked: RAM lent to `core` that no Rust code of the
        // kernel holds (or a stack's saved user state).
        unsafe { core::ptr::copy_nonoverlapping(data.as_ptr(), phys_to_virt(pa) as *mut u8, data.len()) }
    }

    fn read_u64(&self, pa: u64) -> u64 {
        check_word(pa, false);
        // SAFETY: as in `read`; page-table entries are 8-byte aligned.
        unsafe { core::ptr::read_volatile(phys_to_virt(pa) as *const u64) }
    }

    fn write_u64(&self, pa: u64, v: u64) {
        check_word(pa, true);
        // SAFETY: as in `write`.
        unsafe { core::ptr::write_volatile(phys_to_virt(pa) as *mut u64, v) }
    }

    fn zero_frame(&self, pa: u64) {
        let pa = pa & !(PAGE - 1);
        check(pa, PAGE as usize, true);
        // SAFETY: a whole frame of RAM lent to `core` (checked).
        unsafe { crate::mem::clear_page(phys_to_virt(pa) as *mut u8) }
    }

    fn copy_frame(&self, dst: u64, src: u64) {
        let (dst, src) = (dst & !(PAGE - 1), src & !(PAGE - 1));
        check(dst, PAGE as usize, true);
        check(src, PAGE as usize, false);
        if dst == src {
            return;
        }
        // SAFETY: two distinct whole frames of RAM, `dst` lent to `core`
        // and `src` readable by it (checked).
        unsafe { crate::mem::copy_page(phys_to_virt(dst) as *mut u8, phys_to_virt(src) as *const u8) }
    }
}

/// `tine.test=phys_guard`: reach a frame of the kernel image, as a bug in
/// `core` might; the check must stop it with a panic.
pub(crate) fn test_guard() {
    // The kernel image starts at 1 MiB, reserved from the frame allocator.
    DIRECT_MAP.read_u64(0x10_0000);
}

pub struct Tlb;

impl Mmu for Tlb {
    fn flush_page(&self, va: u64) {
        crate::cpu::invlpg(va);
    }

    fn flush_all(&self) {
        crate::cpu::reload_cr3();
    }

    fn activate(&self, root: u64) {
        crate::cpu::load_cr3(root);
    }

    fn this_cpu(&self) -> usize {
        crate::percpu::cpu()
    }

    fn flush_others(&self, cpus: CpuMask, flush: Flush<'_>) {
        let pages = match flush {
            Flush::Pages(pages) => Some(pages),
            Flush::All => None,
        };
        crate::smp::flush_tlb_others_pages(cpus.bits(), pages);
    }
}

pub struct SerialConsole;

impl Console for SerialConsole {
    fn write(&self, data: &[u8]) {
        Uart::new(COM1).write_bytes(data);
    }

    fn read(&self, buf: &mut [u8]) -> usize {
        let uart = Uart::new(COM1);
        let mut n = 0;
        while n < buf.len() {
            match uart.try_read() {
                Some(b) => {
                    buf[n] = b;
                    n += 1;
                }
                None => break,
            }
        }
        n
    }
}

pub struct SerialLog;

impl Log for SerialLog {
    fn log(&self, args: core::fmt::Arguments) {
        use core::fmt::Write;
        let mut u = Uart::new(COM2);
        let _ = u.write_fmt(args);
        let _ = u.write_str("\n");
    }

    fn take_break(&self) -> bool {
        Uart::new(COM2).drain_for_break()
    }
}

pub static DIRECT_MAP: DirectMap = DirectMap;
pub static TLB: Tlb = Tlb;
pub static CONSOLE: SerialConsole = SerialConsole;
pub static LOG: SerialLog = SerialLog;
