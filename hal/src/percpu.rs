//! Per-CPU data, reached through the GS base (Linux: the per-CPU area and
//! its `%gs:` accessors; xv6: `struct cpu` and `mycpu()`).
//!
//! Each CPU has one [`PerCpu`], set as its GS base before anything else
//! runs on it (the boot CPU in `start`, the others in `smp::ap_main`).
//! In user mode the GS base is the user's (always 0: Tine loads no user GS
//! base) and the per-CPU pointer waits in IA32_KERNEL_GS_BASE; every entry
//! from user mode swaps the two with `swapgs` before it touches per-CPU
//! data, and every return to user mode swaps them back (see `trap`). The
//! kernel runs with interrupts off except in the idle loop, which is in
//! the kernel with its own GS, so no interrupt can find the user's GS
//! in kernel mode; an NMI could (in the few instructions around a
//! `swapgs`), and so its handler touches no per-CPU data: it only halts
//! after a panic.

use core::arch::asm;
use core::sync::atomic::{AtomicBool, Ordering};

use x86_64::registers::model_specific::Msr;
use x86_64::structures::tss::TaskStateSegment;

/// A CPU's own words. The entry code addresses the first fields by their
/// offsets ([`USER_RSP`], [`KERNEL_RSP`]): keep them in step.
#[repr(C)]
pub struct PerCpu {
    /// The user stack pointer, kept here during `syscall` entry.
    pub(crate) user_rsp: u64,
    /// The running task's kernel stack top (its TSS.rsp0; 0 while none
    /// has run): where `syscall` entry switches to.
    pub(crate) kernel_rsp: u64,
    /// The CPU's number: 0 for the boot CPU, then in start-up order.
    pub(crate) cpu: u64,
    /// The structure's own address, to find it from the GS base.
    self_ptr: *mut PerCpu,
    /// The CPU's TSS (its rsp0 is written at every switch).
    pub(crate) tss: *mut TaskStateSegment,
}

/// Offsets of [`PerCpu`]'s fields, for the entry assembly.
pub(crate) const USER_RSP: usize = 0;
pub(crate) const KERNEL_RSP: usize = 8;
const CPU: usize = 16;
const SELF_PTR: usize = 24;

const IA32_GS_BASE: u32 = 0xC000_0101;
const IA32_KERNEL_GS_BASE: u32 = 0xC000_0102;

/// The boot CPU's, in the image: it is set before the heap exists.
static mut BOOT_PERCPU: PerCpu =
    PerCpu { user_rsp: 0, kernel_rsp: 0, cpu: 0, self_ptr: core::ptr::null_mut(), tss: core::ptr::null_mut() };
static BOOT_SET: AtomicBool = AtomicBool::new(false);

/// Make `p` this CPU's per-CPU data (kernel GS base), the user's GS base 0.
///
/// # Safety
/// `p` lives for ever, and only this CPU uses it from now on.
unsafe fn install(p: *mut PerCpu) {
    // SAFETY: the GS base only changes what `gs:` addresses; the kernel
    // uses `gs:` for per-CPU data alone, and `p` is valid (contract).
    unsafe {
        Msr::new(IA32_GS_BASE).write(p as u64);
        Msr::new(IA32_KERNEL_GS_BASE).write(0);
    }
}

/// The boot CPU's per-CPU data, with its TSS: first thing in `start`.
pub(crate) fn init_boot(tss: *mut TaskStateSegment) {
    assert!(!BOOT_SET.swap(true, Ordering::Relaxed), "boot per-CPU data set twice");
    // SAFETY: the boot CPU's static, used by the boot CPU only, set once
    // (checked above) before anything reads it.
    unsafe {
        let p = core::ptr::addr_of_mut!(BOOT_PERCPU);
        (*p).tss = tss;
        (*p).self_ptr = p;
        install(p);
    }
}

/// Another CPU's per-CPU data, new and for good, with its TSS and number.
pub(crate) fn init_ap(cpu: usize, tss: *mut TaskStateSegment) {
    let p: *mut PerCpu = alloc::boxed::Box::leak(alloc::boxed::Box::new(PerCpu {
        user_rsp: 0,
        kernel_rsp: 0,
        cpu: cpu as u64,
        self_ptr: core::ptr::null_mut(),
        tss,
    }));
    // SAFETY: leaked, so it lives for ever; this CPU's alone.
    unsafe {
        (*p).self_ptr = p;
        install(p)
    }
}

/// This CPU's [`PerCpu`].
fn this() -> *mut PerCpu {
    let p: u64;
    // SAFETY: as in `cpu`.
    unsafe {
        asm!("mov {}, gs:[{off}]", out(reg) p, off = const SELF_PTR, options(nostack, readonly, preserves_flags))
    };
    p as *mut PerCpu
}

/// The running CPU's number.
#[inline]
pub fn cpu() -> usize {
    let v: u64;
    // SAFETY: the kernel's GS base is this CPU's `PerCpu` from the first
    // instructions of `start`/`ap_main` on, in all kernel code (see the
    // module's description); reading a field has no side effects.
    unsafe { asm!("mov {}, gs:[{off}]", out(reg) v, off = const CPU, options(nostack, readonly, preserves_flags)) };
    v as usize
}

/// The running task's kernel stack top on this CPU (0: none yet).
pub(crate) fn kernel_rsp() -> u64 {
    // SAFETY: this CPU's own structure; interrupts are off in the kernel,
    // so nothing else on this CPU writes it meanwhile.
    unsafe { (*this()).kernel_rsp }
}

/// Set this CPU's kernel stack top: TSS.rsp0 and the `syscall` stack.
pub(crate) fn set_kernel_rsp(top: u64) {
    let p = this();
    // SAFETY: as in `kernel_rsp`; the TSS is this CPU's own (set with the
    // structure), and rsp0 is read by the CPU only on a trap from user
    // mode, which cannot happen while the kernel runs.
    unsafe {
        (*p).kernel_rsp = top;
        (*(*p).tss).privilege_stack_table[0] = x86_64::VirtAddr::new(top);
    }
}
