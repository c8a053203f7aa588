//! The user FPU state: which XSAVE features the CPUs keep, and completing
//! a task's saved image (see `tine_core::proc::kstack` for the lazy
//! scheme: a trap saves only the xmm registers).
//!
//! The boot code (`boot`, `smp`) turns on CR4.OSXSAVE and sets XCR0 to
//! x87, SSE and, where CPUID offers it, AVX on every CPU. The image is
//! then an XSAVE area in the standard (uncompacted) format, which
//! `xsave`/`xrstor` write and read with every enabled feature; a CPU
//! without XSAVE keeps the fxsave format, the area's first 512 bytes
//! (Linux: fpu__init_system_xstate(), os_xsave(), os_xrstor(), and the
//! fxsave fallback of save_fpregs_to_fpstate()).
//!
//! Only features 0-2 are enabled: their standard-format layout is fixed
//! (AVX's upper halves at 576, 256 bytes), so the area fits in the fixed
//! [`FPU_AREA_BYTES`] on the kernel stack. AVX-512 (2 KiB more) and PKRU
//! (which the kernel would have to switch itself) stay off.

use core::sync::atomic::{AtomicU64, AtomicU8, Ordering};

use tine_core::proc::kstack::{FPU_AREA_BYTES, FPU_AREA_FROM_TOP, FPU_PARTIAL_OFFSET};

/// Nonzero when the CPUs save with `xsave` and restore with `xrstor`
/// (the return-to-user path in `trap` reads this byte).
pub(crate) static XSAVE_ON: AtomicU8 = AtomicU8::new(0);
/// XCR0 as the boot code set it; 0 without XSAVE.
static XFEATURES: AtomicU64 = AtomicU64::new(0);

/// Read what the boot code enabled (boot CPU, once, before user mode).
pub(crate) fn init() {
    let cr4: u64;
    // SAFETY: reading CR4 has no side effect.
    unsafe { core::arch::asm!("mov {}, cr4", out(reg) cr4, options(nomem, nostack, preserves_flags)) };
    if cr4 & (1 << 18) == 0 {
        return; // no XSAVE: fxsave/fxrstor
    }
    let (lo, hi): (u32, u32);
    // SAFETY: XGETBV with ECX = 0 reads XCR0, valid once CR4.OSXSAVE is set
    // (checked above).
    unsafe {
        core::arch::asm!("xgetbv", in("ecx") 0, out("eax") lo, out("edx") hi, options(nomem, nostack, preserves_flags))
    };
    let xcr0 = (hi as u64) << 32 | lo as u64;
    // CPUID.(EAX=0xD, ECX=0).EBX: the XSAVE area size for what XCR0 enables.
    let size = core::arch::x86_64::__cpuid_count(0xd, 0).ebx as usize;
    assert!(size <= FPU_AREA_BYTES, "XSAVE area of {size} bytes for XCR0 {xcr0:#x} exceeds the kernel stack's");
    XFEATURES.store(xcr0, Ordering::Relaxed);
    XSAVE_ON.store(1, Ordering::Relaxed);
}

/// The XSAVE features user state has (XCR0); 0 on a CPU without XSAVE.
pub fn xfeatures() -> u64 {
    XFEATURES.load(Ordering::Relaxed)
}

/// The running task's FPU state, as core sees it (`Machine::fpu`).
pub struct LazyFpu;

/// Completes the running task's saved area (see [`LazyFpu`]).
pub static FPU: LazyFpu = LazyFpu;

impl tine_core::machine::Fpu for LazyFpu {
    fn sync(&self) {
        fpu_sync();
    }

    fn xfeatures(&self) -> u64 {
        xfeatures()
    }
}

/// Complete the running task's FPU area if a trap saved only its xmm
/// registers: reload those (the kernel may have used them since), then
/// save the whole state, x87, MXCSR and the ymm upper halves still being
/// the user's (kernel code uses only legacy SSE encodings, which leave
/// the upper halves alone) (Linux: fpu_sync_fpstate(), and
/// save_fpregs_to_fpstate() in switch_fpu_prepare()). The area is then
/// complete, and the return to user mode loads all of it.
/// Must run before switching away from a task, while its kernel stack is
/// still the one this CPU's per-CPU data names.
pub fn fpu_sync() {
    let top = crate::percpu::kernel_rsp();
    if top == 0 {
        return; // no task has run yet
    }
    // SAFETY: `top` is the running task's kernel stack top (set by
    // `set_kernel_stack`, which accepts only mapped stacks, when it was
    // switched to), so the FPU area and its flag word lie inside that
    // stack, 64-byte aligned as `xsave` needs (core's layout asserts it).
    // The asm clobbers only the xmm registers, and eax/edx for the
    // feature mask, which it declares.
    unsafe {
        let area = (top - FPU_AREA_FROM_TOP as u64) as *mut u8;
        let partial = area.add(FPU_PARTIAL_OFFSET) as *mut u64;
        if core::ptr::read_volatile(partial) == 0 {
            return;
        }
        core::arch::asm!(
            "movaps xmm0, [{a} + 160 + 0 * 16]",
            "movaps xmm1, [{a} + 160 + 1 * 16]",
            "movaps xmm2, [{a} + 160 + 2 * 16]",
            "movaps xmm3, [{a} + 160 + 3 * 16]",
            "movaps xmm4, [{a} + 160 + 4 * 16]",
            "movaps xmm5, [{a} + 160 + 5 * 16]",
            "movaps xmm6, [{a} + 160 + 6 * 16]",
            "movaps xmm7, [{a} + 160 + 7 * 16]",
            "movaps xmm8, [{a} + 160 + 8 * 16]",
            "movaps xmm9, [{a} + 160 + 9 * 16]",
            "movaps xmm10, [{a} + 160 + 10 * 16]",
            "movaps xmm11, [{a} + 160 + 11 * 16]",
            "movaps xmm12, [{a} + 160 + 12 * 16]",
            "movaps xmm13, [{a} + 160 + 13 * 16]",
            "movaps xmm14, [{a} + 160 + 14 * 16]",
            "movaps xmm15, [{a} + 160 + 15 * 16]",
            "cmp byte ptr [{on}], 0",
            "je 2f",
            // Every feature XCR0 enables (EDX:EAX all ones).
            "xsave64 [{a}]",
            "jmp 3f",
            "2:",
            "fxsave64 [{a}]",
            "3:",
            a = in(reg) area,
            on = in(reg) XSAVE_ON.as_ptr(),
            in("eax") u32::MAX,
            in("edx") u32::MAX,
            out("xmm0") _, out("xmm1") _, out("xmm2") _, out("xmm3") _,
            out("xmm4") _, out("xmm5") _, out("xmm6") _, out("xmm7") _,
            out("xmm8") _, out("xmm9") _, out("xmm10") _, out("xmm11") _,
            out("xmm12") _, out("xmm13") _, out("xmm14") _, out("xmm15") _,
            options(nostack),
        );
        core::ptr::write_volatile(partial, 0);
    }
}
