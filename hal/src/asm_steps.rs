//! Assembly steps that the boot CPU (`boot`) and every application
//! processor's trampoline (`smp`) take alike on the way to long mode, as
//! macros that expand to the text for `global_asm!`: one copy of the
//! control-register bits and of the XSAVE set-up, so that no CPU can come
//! up with a different machine than its siblings.

/// 32-bit protected mode to long mode, paging on: CR4 (PAE, PGE, OSFXSR,
/// OSXMMEXCPT: Rust's core uses SSE), CR3 from `$pml4` (an operand of
/// `mov eax, ...`), EFER (SCE for `syscall`, LME, NXE), then CR0 (PE, MP,
/// NE, WP, PG, without EM so that SSE works). A far jump to 64-bit code
/// must follow.
macro_rules! enter_long_mode {
    ($pml4:literal) => {
        concat!(
            "
    mov eax, cr4
    or eax, (1 << 5) | (1 << 7) | (1 << 9) | (1 << 10)
    mov cr4, eax
    mov eax, ",
            $pml4,
            "
    mov cr3, eax
    mov ecx, 0xC0000080
    rdmsr
    or eax, (1 << 0) | (1 << 8) | (1 << 11)
    wrmsr
    mov eax, cr0
    and eax, ~(1 << 2)
    or eax, (1 << 0) | (1 << 1) | (1 << 5) | (1 << 16) | (1 << 31)
    mov cr0, eax
"
        )
    };
}

/// In 64-bit code: the data segment registers from selector `$data`, FS
/// and GS null (their bases are set through MSRs later).
macro_rules! load_data_segments {
    ($data:literal) => {
        concat!(
            "
    mov ax, ",
            $data,
            "
    mov ds, ax
    mov es, ax
    mov ss, ax
    xor eax, eax
    mov fs, ax
    mov gs, ax
"
        )
    };
}

/// XSAVE-managed state on (CR4.OSXSAVE) with x87, SSE and, where the CPU
/// has it, AVX in XCR0: the user state `fpu` saves with xsave. Some
/// hypervisors fault SSE instructions without XCR0 set. Nothing on a CPU
/// without XSAVE (`fpu` then uses FXSAVE). Uses labels 8 and 9.
macro_rules! enable_xsave {
    () => {
        "
    mov eax, 1
    cpuid
    bt ecx, 26                  /* XSAVE */
    jnc 9f
    mov esi, 3                  /* x87, SSE */
    bt ecx, 28                  /* AVX */
    jnc 8f
    mov eax, 0xd
    xor ecx, ecx
    cpuid
    and eax, 7                  /* of x87, SSE, AVX: what XCR0 may hold */
    or esi, eax
8:
    mov rax, cr4
    or rax, 1 << 18
    mov cr4, rax
    xor ecx, ecx
    xor edx, edx
    mov eax, esi
    xsetbv
9:
"
    };
}
