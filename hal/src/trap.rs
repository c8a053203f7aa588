//! Entering and leaving the kernel.
//!
//! Every way into the kernel from user mode (an exception, an interrupt, the
//! `syscall` instruction) builds the same `struct pt_regs` at the top of the
//! running task's kernel stack, saves the user's FPU/SSE state just below
//! it, and calls Rust with a pointer to the frame. Leaving is the reverse,
//! by `sysretq` when the frame allows it (as Linux's fast path) and
//! `iretq` otherwise. Traps taken in kernel mode (only the idle loop runs
//! with interrupts on; anything else is a kernel bug) get a frame on the
//! current stack and no FPU save.
//!
//! The layout constants come from `tine_core::proc::kstack`.

use core::arch::global_asm;

use tine_core::abi::PtRegs;
use tine_core::proc::kstack::{FPU_AREA_FROM_TOP, REGS_FROM_TOP};

use crate::cpu;

/// Why the kernel was entered.
#[derive(Clone, Copy, Debug)]
pub enum Trap {
    /// The `syscall` instruction.
    Syscall,
    /// A CPU exception: vector, error code (0 if none), CR2 for page faults.
    Exception { vector: u8, error: u64, cr2: u64 },
    /// A hardware interrupt (already acknowledged at the PIC).
    Irq(u8),
    /// Not a trap: a new task's first return to user mode (Linux:
    /// ret_from_fork), for the signal work before it.
    FirstReturn,
}

/// Called for every trap from user mode; it may switch tasks before returning.
pub type UserTrapHandler = fn(Trap, &mut PtRegs);
/// Called for traps from kernel mode: interrupts in the idle loop, and
/// exceptions, which are kernel bugs and must not return.
pub type KernelTrapHandler = fn(Trap, &PtRegs);

static mut USER_HANDLER: Option<UserTrapHandler> = None;
static mut KERNEL_HANDLER: Option<KernelTrapHandler> = None;

/// Scratch for the user stack pointer during `syscall` entry, and the
/// running task's kernel stack top (single CPU: per-CPU data is global).
#[no_mangle]
static mut SYSCALL_USER_RSP: u64 = 0;
#[no_mangle]
static mut SYSCALL_KERNEL_RSP: u64 = 0;

const MXCSR_DEFAULT: u32 = 0x1f80;
#[no_mangle]
static KERNEL_MXCSR: u32 = MXCSR_DEFAULT;

/// Vectors that push an error code.
const HAS_ERROR_CODE: [u8; 10] = [8, 10, 11, 12, 13, 14, 17, 21, 29, 30];
/// Stubs exist for the 32 exceptions and the 16 PIC interrupts.
pub const STUB_COUNT: usize = 48;

global_asm!(
    r#"
    .section .text.trap, "ax"
    .balign 16
.macro TRAP_STUB vec, has_err
    .balign 16
trap_stub_\vec:
    .if \has_err == 0
    push -1                     /* orig_rax slot: no error code */
    .endif
    push rdi
    mov edi, \vec
    jmp trap_common
.endm

.altmacro
.set i, 0
.rept 48
    .if i == 8 || i == 10 || i == 11 || i == 12 || i == 13 || i == 14 || i == 17 || i == 21 || i == 29 || i == 30
    TRAP_STUB %i, 1
    .else
    TRAP_STUB %i, 0
    .endif
    .set i, i + 1
.endr

.macro STUB_ADDR vec
    .quad trap_stub_\vec
.endm
    .section .rodata.trap, "a"
    .balign 8
    .global trap_stub_table
trap_stub_table:
.set i, 0
.rept 48
    STUB_ADDR %i
    .set i, i + 1
.endr
.noaltmacro

    .section .text.trap, "ax"
/* Save the rest of pt_regs (rdi and orig_rax are already pushed). */
.macro SAVE_REST
    push rsi
    push rdx
    push rcx
    push rax
    push r8
    push r9
    push r10
    push r11
    push rbx
    push rbp
    push r12
    push r13
    push r14
    push r15
.endm
.macro RESTORE_ALL
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbp
    pop rbx
    pop r11
    pop r10
    pop r9
    pop r8
    pop rax
    pop rcx
    pop rdx
    pop rsi
    pop rdi
    add rsp, 8                  /* orig_rax */
.endm

trap_common:
    SAVE_REST
    test byte ptr [rsp + 17 * 8], 3   /* pt_regs.cs: from user mode? */
    jz 1f
    sub rsp, {fpu_gap}
    fxsave64 [rsp]
    ldmxcsr [rip + KERNEL_MXCSR]
    lea rsi, [rsp + {fpu_gap}]
    call {user_trap}
    jmp tine_return_to_user
1:
    mov rsi, rsp
    mov rbx, rsp
    and rsp, -16
    call {kernel_trap}
    mov rsp, rbx
    RESTORE_ALL
    iretq

/* A new task's first switch returns here, rsp at its fxsave area: the
   signal work of any return to user mode, then leave (Linux:
   ret_from_fork). */
    .global tine_ret_from_fork
tine_ret_from_fork:
    lea rdi, [rsp + {fpu_gap}]
    call {ret_from_fork}
    jmp tine_return_to_user

/* Leave to user mode from a stack whose rsp points at the fxsave area
   right below pt_regs: the end of every user trap. */
    .global tine_return_to_user
tine_return_to_user:
    fxrstor64 [rsp]
    add rsp, {fpu_gap}
    RESTORE_ALL
    iretq

    .global tine_syscall_entry
tine_syscall_entry:
    mov [rip + SYSCALL_USER_RSP], rsp
    mov rsp, [rip + SYSCALL_KERNEL_RSP]
    push 0x2b                   /* ss */
    push [rip + SYSCALL_USER_RSP] /* rsp */
    push r11                    /* rflags */
    push 0x33                   /* cs */
    push rcx                    /* rip */
    push rax                    /* orig_rax: the syscall number */
    push rdi
    push rsi
    push rdx
    push rcx
    push -38                    /* rax: -ENOSYS until a handler says otherwise */
    push r8
    push r9
    push r10
    push r11
    push rbx
    push rbp
    push r12
    push r13
    push r14
    push r15
    sub rsp, {fpu_gap}
    fxsave64 [rsp]
    ldmxcsr [rip + KERNEL_MXCSR]
    lea rdi, [rsp + {fpu_gap}]
    call {syscall}
    test al, al
    jz tine_return_to_user      /* the frame needs iretq */
    fxrstor64 [rsp]
    add rsp, {fpu_gap}
    RESTORE_ALL                 /* rcx = rip, r11 = rflags, checked by Rust */
    mov rsp, [rsp + 24]         /* user rsp */
    sysretq

/* Switch kernel stacks: save the callee-saved registers on this stack,
   store rsp to *rdi, load rsi as the new rsp, pop and return there. */
    .global tine_context_switch
tine_context_switch:
    push rbp
    push rbx
    push r12
    push r13
    push r14
    push r15
    mov [rdi], rsp
    mov rsp, rsi
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret
"#,
    fpu_gap = const FPU_AREA_FROM_TOP - REGS_FROM_TOP,
    user_trap = sym user_trap,
    kernel_trap = sym kernel_trap,
    syscall = sym syscall,
    ret_from_fork = sym ret_from_fork,
);

extern "C" {
    static trap_stub_table: [u64; STUB_COUNT];
    fn tine_syscall_entry();
    fn tine_ret_from_fork();
    fn tine_context_switch(prev_rsp: *mut u64, next_rsp: u64);
}

pub fn init(user: UserTrapHandler, kernel: KernelTrapHandler) {
    // SAFETY: boot-time, single CPU, before interrupts or user mode exist.
    unsafe {
        USER_HANDLER = Some(user);
        KERNEL_HANDLER = Some(kernel);
        let stubs = &*core::ptr::addr_of!(trap_stub_table);
        for (v, &addr) in stubs.iter().enumerate() {
            let ist = match v {
                2 => cpu::IST_NMI,
                8 => cpu::IST_DOUBLE_FAULT,
                18 => cpu::IST_MACHINE_CHECK,
                _ => 0,
            };
            cpu::set_idt_entry(v, addr, ist);
        }
    }
    let _ = HAS_ERROR_CODE;
    cpu::load_idt();
    cpu::init_syscall(tine_syscall_entry as *const () as u64);
}

pub(crate) fn set_syscall_stack(top: u64) {
    // SAFETY: single CPU with interrupts off in the kernel; read only by the
    // syscall entry, which cannot run concurrently with this.
    unsafe { SYSCALL_KERNEL_RSP = top }
}

fn classify(vector: u64, regs: &PtRegs) -> Trap {
    let vector = vector as u8;
    match vector {
        0..=31 => Trap::Exception {
            vector,
            error: if regs.orig_rax == u64::MAX { 0 } else { regs.orig_rax },
            cr2: if vector == 14 { cpu::cr2() } else { 0 },
        },
        _ => {
            let irq = vector - 32;
            cpu::end_of_interrupt(irq);
            Trap::Irq(irq)
        }
    }
}

extern "C" fn user_trap(vector: u64, regs: *mut PtRegs) {
    // SAFETY: the entry code passes the frame it just built at the top of
    // the running task's kernel stack; nothing else refers to it meanwhile.
    let regs = unsafe { &mut *regs };
    let trap = classify(vector, regs);
    // SAFETY: set once at boot, before user mode could trap.
    let handler = unsafe { USER_HANDLER }.expect("trap handler");
    handler(trap, regs);
}

extern "C" fn kernel_trap(vector: u64, regs: *const PtRegs) {
    // SAFETY: a frame the entry code just pushed on the current stack.
    let regs = unsafe { &*regs };
    let trap = classify(vector, regs);
    // SAFETY: set once at boot.
    match unsafe { KERNEL_HANDLER } {
        Some(h) => h(trap, regs),
        None => panic!("trap {trap:?} before the kernel was ready, rip={:#x}", regs.rip),
    }
}

/// Returns true when `sysretq` may be used: the frame still holds what the
/// `syscall` instruction left (rcx = rip, r11 = rflags) and rip is a
/// canonical user address. Otherwise (after execve, a signal, ...) the
/// return goes through `iretq`, which restores every register.
extern "C" fn syscall(regs: *mut PtRegs) -> bool {
    // SAFETY: as in `user_trap`.
    let regs = unsafe { &mut *regs };
    // SAFETY: set once at boot.
    let handler = unsafe { USER_HANDLER }.expect("trap handler");
    handler(Trap::Syscall, regs);
    regs.rcx == regs.rip
        && regs.r11 == regs.rflags
        && regs.rip < 0x0000_7fff_ffff_f000
        && regs.cs == tine_core::abi::USER_CS
        && regs.ss == tine_core::abi::USER_DS
}

/// Switch from the running kernel context to another: saves this one's
/// stack pointer at address `prev_slot` and resumes the one saved as `next`.
///
/// `next` must come from `KernelStack::prepare_first_switch` or an earlier `switch`,
/// and its stack must still be alive; the caller (the scheduler) keeps a
/// task's stack until the task has switched away for the last time.
pub fn switch(prev_slot: u64, next: u64) {
    // SAFETY: per the contract above, `next` is a valid saved context and
    // `prev_slot` the address of a live u64 owned by the scheduler.
    unsafe { tine_context_switch(prev_slot as *mut u64, next) }
}

/// The first thing a new task runs (from `tine_ret_from_fork`, its stack
/// holding its `pt_regs` and FPU state): the kernel's work before user mode.
extern "C" fn ret_from_fork(regs: *mut PtRegs) {
    // SAFETY: the new task's own frame at the top of its kernel stack, laid
    // out by `KernelStack::prepare_first_switch`; nothing else refers to it.
    let regs = unsafe { &mut *regs };
    // SAFETY: set once at boot, before any task ran.
    let handler = unsafe { USER_HANDLER }.expect("trap handler");
    handler(Trap::FirstReturn, regs);
}

/// The path a new task's first context switch returns to: the signal work
/// of a return to user mode, then restore its FPU state and `pt_regs` and
/// enter user mode (see `KernelStack::prepare_first_switch`).
pub fn ret_to_user_addr() -> u64 {
    tine_ret_from_fork as *const () as u64
}
