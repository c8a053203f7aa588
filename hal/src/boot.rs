//! From the boot loader to Rust: the multiboot header, the 32-bit entry,
//! the switch to long mode and the first page tables.
//!
//! QEMU's `-kernel` loads a multiboot (v1) image and enters `_start32` in
//! 32-bit protected mode with paging off, `eax` = the multiboot magic and
//! `ebx` = the physical address of the multiboot information. We build just
//! enough page tables to run in the higher half:
//!
//! - PML4[0]   → identity map of the first 4 GiB (only needed for the jump;
//!   removed once Rust runs, so a NULL dereference in the kernel faults),
//! - PML4[256] → the same 4 GiB at `DIRECT_MAP_BASE` (the direct map),
//! - PML4[511] → the first 1 GiB at `KERNEL_VMA`, where the image is linked.
//!
//! All with 2 MiB pages. Then long mode, the boot GDT, and a call to
//! [`crate::start::hal_start`] on a higher-half stack.

use core::arch::global_asm;

/// Where all physical memory is mapped (PML4 slot 256), as in Linux's
/// `PAGE_OFFSET` without KASLR.
pub const DIRECT_MAP_BASE: u64 = 0xFFFF_8000_0000_0000;
/// Where the kernel image is linked (the top 2 GiB).
pub const KERNEL_VMA: u64 = 0xFFFF_FFFF_8000_0000;
/// How much of physical memory the boot tables map at `DIRECT_MAP_BASE`.
pub const BOOT_DIRECT_MAP_BYTES: u64 = 4 << 30;

global_asm!(
    r#"
    .section .multiboot, "a"
    .balign 4
mb_header:
    .long 0x1BADB002
    .long 0x00010003
    .long -(0x1BADB002 + 0x00010003)
    .long mb_header
    .long __image_start
    .long 0
    .long __bss_end_phys
    .long _start32

    .section .boot.bss, "aw", @nobits
    .balign 4096
    .global boot_pml4
    .global boot_pd
boot_pml4:      .skip 4096
boot_pdpt_low:  .skip 4096
boot_pdpt_high: .skip 4096
boot_pd:        .skip 4096 * 4
boot_stack32:   .skip 4096
boot_stack32_top:

    .section .boot.data, "aw"
    .balign 16
boot_gdt:
    .quad 0
    .quad 0x00cf9a000000ffff    /* 0x08: 32-bit code (unused after the jump) */
    .quad 0x00af9a000000ffff    /* 0x10: 64-bit kernel code */
    .quad 0x00cf92000000ffff    /* 0x18: kernel data */
boot_gdt_end:
boot_mb_info:  .long 0
boot_mb_magic: .long 0
boot_gdtr:
    .word boot_gdt_end - boot_gdt - 1
    .long boot_gdt

    .section .boot.text, "ax"
    .code32
    .global _start32
_start32:
    cli
    cld
    mov esp, offset boot_stack32_top
    mov [boot_mb_info], ebx     /* multiboot info, kept for Rust */
    mov [boot_mb_magic], eax

    /* 2048 PD entries of 2 MiB: physical 0..4 GiB, present|writable|huge */
    mov ecx, 0
1:
    mov eax, ecx
    shl eax, 21
    or eax, 0x83
    mov [boot_pd + ecx * 8], eax
    mov eax, ecx
    shr eax, 11
    mov [boot_pd + ecx * 8 + 4], eax
    inc ecx
    cmp ecx, 2048
    jne 1b

    /* four PDPT entries → the four PDs */
    mov ecx, 0
2:
    mov eax, ecx
    shl eax, 12
    add eax, offset boot_pd
    or eax, 0x3
    mov [boot_pdpt_low + ecx * 8], eax
    inc ecx
    cmp ecx, 4
    jne 2b

    /* kernel image: PDPT slot 510 of the top PML4 slot → first GiB */
    mov eax, offset boot_pd
    or eax, 0x3
    mov [boot_pdpt_high + 510 * 8], eax

    mov eax, offset boot_pdpt_low
    or eax, 0x3
    mov [boot_pml4], eax
    mov [boot_pml4 + 256 * 8], eax
    mov eax, offset boot_pdpt_high
    or eax, 0x3
    mov [boot_pml4 + 511 * 8], eax

"#,
    enter_long_mode!("offset boot_pml4"),
    r#"

    lgdt [boot_gdtr]
    /* ljmp 0x10:_start64, spelled out: the assembler's own form of a far
       jump in .code32 can get a 16-bit relocation that does not fit. */
    .byte 0xEA
    .long _start64
    .word 0x10

    .code64
_start64:
"#,
    load_data_segments!("0x18"),
    r#"
    movabs rsp, offset {stack} + {stack_size}
"#,
    enable_xsave!(),
    r#"
    mov edi, [rip + boot_mb_info]
    mov esi, [rip + boot_mb_magic]
    movabs rax, offset {start}
    call rax
3:  hlt
    jmp 3b
"#,
    stack = sym crate::start::BOOT_STACK,
    stack_size = const crate::start::BOOT_STACK_SIZE,
    start = sym crate::start::hal_start,
);

/// Physical address of the boot PML4, which becomes the kernel's own.
pub fn boot_pml4_phys() -> u64 {
    extern "C" {
        static boot_pml4: u8;
    }
    // Taking the address of the linker-placed table reads nothing.
    core::ptr::addr_of!(boot_pml4) as u64
}

/// Make the direct map's 2 MiB page holding physical `pa` uncached (PCD
/// and PWT), for device registers there (the local APIC). Every address
/// space shares the direct map's tables, so this holds in all of them.
pub fn set_uncached_2m(pa: u64) {
    extern "C" {
        static boot_pd: u8;
    }
    const PWT: u64 = 1 << 3;
    const PCD: u64 = 1 << 4;
    assert!(pa < BOOT_DIRECT_MAP_BYTES);
    // Taking the address of the linker-placed table reads nothing; the
    // boot page directories are 2048 entries covering the first 4 GiB.
    let pde = crate::mem::phys_to_virt(core::ptr::addr_of!(boot_pd) as u64 + (pa >> 21) * 8) as *mut u64;
    let va = crate::mem::phys_to_virt(pa & !((1 << 21) - 1));
    // SAFETY: `pde` is the direct map's entry for `pa` (inside the boot
    // page directories, which stay for good); adding the cache bits
    // changes only how the same frames are cached, and `invlpg` drops the
    // old translation on this CPU (the others start later and have none).
    unsafe {
        core::ptr::write_volatile(pde, core::ptr::read_volatile(pde) | PWT | PCD);
        core::arch::asm!("invlpg [{}]", in(reg) va, options(nostack, preserves_flags));
    }
}
