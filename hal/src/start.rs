//! Early set-up in Rust, between the boot assembly and the kernel's main:
//! serial ports, heap, CPU tables, memory map, timer.

use alloc::string::String;
use alloc::vec::Vec;

use crate::multiboot::{self, Region};
use crate::{boot, cpu, heap, klog, serial, timer};

pub const BOOT_STACK_SIZE: usize = 64 * 1024;
#[repr(align(16))]
pub struct BootStack(pub [u8; BOOT_STACK_SIZE]);
/// The stack the boot CPU runs on from `_start64`: it becomes the idle
/// context (Linux's swapper, PID 0).
#[no_mangle]
pub static mut BOOT_STACK: BootStack = BootStack([0; BOOT_STACK_SIZE]);

const MULTIBOOT_MAGIC: u64 = 0x2BAD_B002;

/// What the kernel's main learns from the boot.
pub struct BootInfo {
    /// Physical RAM free for the frame allocator, page aligned.
    pub free: Vec<Region>,
    /// The initramfs image (the first multiboot module), if any.
    pub initrd: Option<&'static [u8]>,
    /// The kernel command line.
    pub cmdline: String,
    /// Physical address of the kernel's page table; its upper half is
    /// copied into every address space.
    pub kernel_pml4: u64,
}

extern "Rust" {
    /// The kernel's main, defined by the `tine-kernel` binary.
    fn tine_main(info: BootInfo) -> !;
}

extern "C" {
    static __bss_end_phys: u8;
}

/// Called by `_start64` with the multiboot information's physical address.
pub extern "C" fn hal_start(mb_info: u64, magic: u64) -> ! {
    serial::Uart::new(serial::COM1).init();
    serial::Uart::new(serial::COM2).init();
    serial::Uart::new(serial::COM2).enable_break_interrupt();
    klog!("tine: booting");
    if magic != MULTIBOOT_MAGIC {
        panic!("not started by a multiboot loader (magic {magic:#x})");
    }

    // SAFETY: `_start64` passes the address the loader left in ebx, before
    // anything could have overwritten the loader's structures (they lie
    // below the kernel or among the modules, which the heap avoids).
    let mb_info = unsafe { multiboot::MbInfo::from_phys(mb_info) };
    // Taking the address of a linker symbol reads nothing.
    let kernel_end = core::ptr::addr_of!(__bss_end_phys) as u64;
    let mut busy_end = page_up(kernel_end);
    multiboot::modules(mb_info, |r, _| busy_end = busy_end.max(page_up(r.end)));

    // The heap's first region: the first stretch of RAM above everything
    // the loader placed, a sixteenth of RAM (8 to 64 MiB): the frame
    // allocator's metadata (12 bytes a frame), the boot, and what an
    // ordinary load needs, which so never takes frames from programs; the
    // heap grows from free frames beyond it.
    let mut ram_bytes = 0;
    multiboot::memory_map(mb_info, |r| ram_bytes += r.end - r.start);
    let heap_size = (ram_bytes / 16).clamp(8 << 20, 64 << 20) & !0xfff;
    let mut heap_at = None;
    multiboot::memory_map(mb_info, |r| {
        let start = page_up(r.start.max(busy_end));
        if heap_at.is_none() && start + heap_size <= r.end.min(boot::BOOT_DIRECT_MAP_BYTES) {
            heap_at = Some(start);
        }
    });
    let heap_at = heap_at.expect("no RAM for the kernel heap");
    // SAFETY: the boot PML4 is live and no address space exists yet; the
    // RAM above the kernel image and the modules is used by nothing else
    // (it is reserved from the frame allocator below); first and only call.
    unsafe { heap::init(boot::boot_pml4_phys(), heap_at, heap_size) };

    let info = multiboot::parse(mb_info);
    let mut reserved = info.reserved.clone();
    reserved.push(Region { start: 0, end: 0x100000 });
    reserved.push(Region { start: 0x100000, end: page_up(kernel_end) });
    reserved.push(Region { start: heap_at, end: heap_at + heap_size });
    for m in &info.modules {
        reserved.push(Region { start: m.start & !0xfff, end: page_up(m.end) });
    }
    let free = subtract(&info.ram, &reserved);
    for r in &free {
        crate::phys::lend(r.start, r.end);
    }

    let initrd = info.modules.first().map(|m| {
        // SAFETY: the module's frames are reserved above, never handed to the
        // frame allocator, so this memory stays valid and unchanged forever.
        unsafe {
            core::slice::from_raw_parts(crate::mem::phys_to_virt(m.start) as *const u8, (m.end - m.start) as usize)
        }
    });

    // Drop the boot identity map so that a stray low address in the kernel
    // faults instead of silently reading physical memory.
    let pml4 = boot::boot_pml4_phys();
    // SAFETY: the kernel runs entirely in the higher half by now.
    unsafe { core::ptr::write_volatile(crate::mem::phys_to_virt(pml4) as *mut u64, 0) };
    cpu::reload_cr3();
    // SAFETY: the live kernel PML4, before the kernel makes any address
    // space from it; first and only call.
    unsafe { crate::kstack::init(pml4) };
    crate::phys::allow_kernel_root(pml4);
    if info.cmdline.split_whitespace().any(|w| w == "tine.test=kstack_overflow") {
        crate::kstack::arm_test_overflow();
    }
    if info.cmdline.split_whitespace().any(|w| w == "tine.test=phys_guard") {
        crate::phys::test_guard();
    }

    cpu::init_gdt();
    cpu::set_kernel_stack(0);
    cpu::init_pic();
    timer::init();
    crate::smp::boot_cpus(pml4);
    klog!(
        "tine: {} MiB RAM, heap {} MiB at boot, TSC {} kHz, cmdline \"{}\"",
        ram_bytes >> 20,
        heap_size >> 20,
        timer::tsc_khz(),
        info.cmdline
    );

    let boot_info = BootInfo { free, initrd, cmdline: info.cmdline, kernel_pml4: pml4 };
    // SAFETY: `tine_main` is the kernel's Rust entry point with this signature.
    unsafe { tine_main(boot_info) }
}

fn page_up(x: u64) -> u64 {
    (x + 0xfff) & !0xfff
}

/// `ram` minus `holes`, page aligned, limited to the boot direct map.
fn subtract(ram: &[Region], holes: &[Region]) -> Vec<Region> {
    let mut out: Vec<Region> = Vec::new();
    for r in ram {
        let mut pieces =
            alloc::vec![Region { start: page_up(r.start), end: r.end.min(boot::BOOT_DIRECT_MAP_BYTES) & !0xfff }];
        for h in holes {
            let mut next = Vec::new();
            for p in pieces {
                if h.end <= p.start || h.start >= p.end {
                    next.push(p);
                    continue;
                }
                if h.start > p.start {
                    next.push(Region { start: p.start, end: h.start & !0xfff });
                }
                if h.end < p.end {
                    next.push(Region { start: page_up(h.end), end: p.end });
                }
            }
            pieces = next;
        }
        out.extend(pieces.into_iter().filter(|p| p.end > p.start));
    }
    out
}

/// Names the kernel's main function for the boot path:
/// `tine_hal::kernel_main!(main)` in the kernel binary.
#[macro_export]
macro_rules! kernel_main {
    ($main:path) => {
        #[no_mangle]
        fn tine_main(info: $crate::BootInfo) -> ! {
            let f: fn($crate::BootInfo) -> ! = $main;
            f(info)
        }
    };
}
