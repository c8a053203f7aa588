//! The C memory routines that Rust's precompiled `core` calls (a hosted
//! target expects libc to provide them), and the direct map: the only way
//! the kernel touches physical memory.

use core::arch::asm;

use crate::boot::DIRECT_MAP_BASE;

/// Virtual address of physical address `pa` in the direct map.
#[inline]
pub fn phys_to_virt(pa: u64) -> u64 {
    pa + DIRECT_MAP_BASE
}

// These are written in inline assembly so the compiler cannot turn them
// back into calls to themselves. The bulk moves whole quadwords (`rep
// movsq`/`rep stosq`), the tail bytes: a string instruction costs per
// iteration under QEMU's TCG, where `rep stosb` over a page is 4096 of
// them, so bytes only where they must be (Linux's memcpy_orig and
// compiler-builtins do the same split).

/// # Safety
/// `dst` and `src` are valid for `n` bytes and do not overlap.
#[no_mangle]
pub unsafe extern "C" fn memcpy(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    // SAFETY: the caller's contract is that of C's memcpy; the quadword
    // part and the byte part together cover exactly `n` bytes, forwards.
    unsafe {
        asm!("rep movsq", "mov rcx, {tail}", "rep movsb",
             tail = in(reg) n & 7,
             inout("rdi") dst => _, inout("rsi") src => _, inout("rcx") n / 8 => _,
             options(nostack, preserves_flags));
    }
    dst
}

/// # Safety
/// `dst` and `src` are valid for `n` bytes; they may overlap.
#[no_mangle]
pub unsafe extern "C" fn memmove(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    if (dst as usize) <= (src as usize) || (dst as usize) >= (src as usize) + n {
        // SAFETY: a forward copy is correct when dst is below src or apart.
        return unsafe { memcpy(dst, src, n) };
    }
    // SAFETY: copy backwards (direction flag set, then cleared again) so an
    // overlapping tail is read before it is overwritten.
    unsafe {
        asm!("std", "rep movsb", "cld",
             inout("rdi") dst.add(n - 1) => _, inout("rsi") src.add(n - 1) => _,
             inout("rcx") n => _, options(nostack));
    }
    dst
}

/// # Safety
/// `dst` is valid for `n` bytes.
#[no_mangle]
pub unsafe extern "C" fn memset(dst: *mut u8, c: i32, n: usize) -> *mut u8 {
    let pattern = (c as u8 as u64) * 0x0101_0101_0101_0101;
    // SAFETY: the caller's contract is that of C's memset; as in memcpy,
    // quadwords then the tail bytes (stosb stores al, the low byte).
    unsafe {
        asm!("rep stosq", "mov rcx, {tail}", "rep stosb",
             tail = in(reg) n & 7,
             inout("rdi") dst => _, inout("rcx") n / 8 => _, in("rax") pattern,
             options(nostack, preserves_flags));
    }
    dst
}

/// Zero one 4 KiB frame: 64 bytes per loop iteration in plain stores.
/// Linux: clear_page_orig(), the variant for CPUs where `rep stos` is not
/// the fast way, which is what an emulated CPU is.
///
/// # Safety
/// `page` is a writable, 4 KiB aligned, 4 KiB region.
pub unsafe fn clear_page(page: *mut u8) {
    // SAFETY: 64 iterations of 64 bytes stay inside the caller's page.
    unsafe {
        asm!("2:",
             "mov [{p}], {z}", "mov [{p} + 8], {z}", "mov [{p} + 16], {z}", "mov [{p} + 24], {z}",
             "mov [{p} + 32], {z}", "mov [{p} + 40], {z}", "mov [{p} + 48], {z}", "mov [{p} + 56], {z}",
             "add {p}, 64", "dec {n:e}", "jnz 2b",
             p = inout(reg) page => _, n = inout(reg) 64u32 => _, z = in(reg) 0u64,
             options(nostack));
    }
}

/// Copy one 4 KiB frame, 32 bytes per loop iteration. Linux: copy_page()
/// (arch/x86/lib/copy_page_64.S), which likewise loads and stores
/// quadwords in a loop.
///
/// # Safety
/// `dst` and `src` are distinct 4 KiB aligned 4 KiB regions, `dst` writable.
pub unsafe fn copy_page(dst: *mut u8, src: *const u8) {
    // SAFETY: 128 iterations of 32 bytes stay inside both pages.
    unsafe {
        asm!("2:",
             "mov {a}, [{s}]", "mov {b}, [{s} + 8]", "mov {c}, [{s} + 16]", "mov {d}, [{s} + 24]",
             "mov [{t}], {a}", "mov [{t} + 8], {b}", "mov [{t} + 16], {c}", "mov [{t} + 24], {d}",
             "add {s}, 32", "add {t}, 32", "dec {n:e}", "jnz 2b",
             s = inout(reg) src => _, t = inout(reg) dst => _, n = inout(reg) 128u32 => _,
             a = out(reg) _, b = out(reg) _, c = out(reg) _, d = out(reg) _,
             options(nostack));
    }
}

/// # Safety
/// `a` and `b` are valid for `n` bytes.
#[no_mangle]
pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    for i in 0..n {
        // SAFETY: i < n and both ranges are valid for n bytes.
        let (x, y) = unsafe { (*a.add(i), *b.add(i)) };
        if x != y {
            return x as i32 - y as i32;
        }
    }
    0
}

/// # Safety
/// `a` and `b` are valid for `n` bytes.
#[no_mangle]
pub unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    // SAFETY: same contract as memcmp.
    unsafe { memcmp(a, b, n) }
}

/// # Safety
/// `s` points at a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn strlen(s: *const u8) -> usize {
    let mut n = 0;
    // SAFETY: the string is NUL-terminated, so every byte up to it is valid.
    while unsafe { *s.add(n) } != 0 {
        n += 1;
    }
    n
}

/// The precompiled `alloc` refers to the unwinding personality routine and
/// `_Unwind_Resume` (its landing pads) even though Tine builds with
/// `panic = "abort"` and never unwinds; these are never called.
#[no_mangle]
pub extern "C" fn rust_eh_personality() {}

#[no_mangle]
pub extern "C" fn _Unwind_Resume() -> ! {
    panic!("_Unwind_Resume called, but the kernel never unwinds")
}
