//! Entering and leaving the kernel.
//!
//! Every way into the kernel from user mode (an exception, an interrupt, the
//! `syscall` instruction) builds the same `struct pt_regs` at the top of the
//! running task's kernel stack, saves the user's xmm registers into the
//! FPU area just below it (marking the area partial: the x87 state, MXCSR
//! and the ymm upper halves stay live in the CPU, since kernel code never
//! touches them; see
//! `tine_core::proc::kstack`), and calls Rust with a pointer to the frame.
//! Leaving is the reverse, by `sysretq` when the frame allows it (as Linux's
//! fast path) and `iretq` otherwise; it reloads only the xmm registers from
//! a partial area, and everything (`xrstor`, or `fxrstor` without XSAVE)
//! from one that was completed ([`FPU`], the context switch) or replaced
//! (execve, signals) meanwhile.
//! Traps taken in kernel mode (only the idle loop runs with interrupts on;
//! anything else is a kernel bug) get a frame on the current stack and no
//! FPU save.
//!
//! The layout constants come from `tine_core::proc::kstack`.

use core::arch::global_asm;

use tine_core::abi::PtRegs;
use tine_core::proc::kstack::{FPU_AREA_FROM_TOP, FPU_PARTIAL_OFFSET, REGS_FROM_TOP};

use crate::cpu;
pub use crate::fpu::{fpu_sync, LazyFpu, FPU};

/// Why the kernel was entered.
#[derive(Clone, Copy, Debug)]
pub enum Trap {
    /// A CPU exception: vector, error code (0 if none), and `info`: CR2
    /// for a page fault, DR6 for a debug exception (its status bits, read
    /// and cleared as Linux's debug_read_clear_dr6()), else 0.
    Exception { vector: u8, error: u64, info: u64 },
    /// A hardware interrupt (already acknowledged at the PIC).
    Irq(u8),
    /// `int $0x80`: an i386 system call (Linux's IA32 emulation).
    Int80,
    /// Not a trap: a new task's first return to user mode (Linux:
    /// ret_from_fork), for the signal work before it.
    FirstReturn,
}

/// Called for every trap from user mode but `syscall`; it may switch
/// tasks before returning.
pub type UserTrapHandler = fn(Trap, &mut PtRegs);
/// Called for the `syscall` instruction (the hottest path of all: its own
/// handler, called without a test or a match on the way); it may switch
/// tasks before returning.
pub type SyscallHandler = fn(&mut PtRegs);
/// Called for traps from kernel mode: interrupts in the idle loop, and
/// exceptions, which are kernel bugs and must not return.
pub type KernelTrapHandler = fn(Trap, &PtRegs);

static mut USER_HANDLER: Option<UserTrapHandler> = None;
static mut SYSCALL_HANDLER: SyscallHandler = syscall_before_init;

/// `SYSCALL_HANDLER` until `init`: user mode cannot exist before it.
fn syscall_before_init(_: &mut PtRegs) {
    panic!("system call before the trap handlers were set");
}
static mut KERNEL_HANDLER: Option<KernelTrapHandler> = None;

/// Vectors that push an error code.
const HAS_ERROR_CODE: [u8; 10] = [8, 10, 11, 12, 13, 14, 17, 21, 29, 30];
/// Stubs exist for the 32 exceptions and the 16 PIC interrupts.
pub const STUB_COUNT: usize = 48;
/// The i386 system call vector, with its own stub.
pub const INT80_VECTOR: u8 = 0x80;

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

/* The IPIs (`smp`): reschedule and TLB flush. */
    .global trap_stub_239
    .global trap_stub_240
    .global trap_stub_241
    TRAP_STUB 239, 0
    TRAP_STUB 240, 0
    TRAP_STUB 241, 0

/* int $0x80, the i386 system call gate, open to user mode. */
    .balign 16
    .global trap_stub_int80
trap_stub_int80:
    push -1
    push rdi
    mov edi, 0x80
    jmp trap_common

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
/* Save the user's xmm registers into the FPU area at rsp (64-byte
   aligned) and mark it partial. Kernel code may use xmm0-15 but does no
   floating-point arithmetic, so the x87 registers and MXCSR (with the
   user's rounding and exception masks) stay as they are: the kernel never
   looks at them, and they survive until the return (Linux keeps user FPU
   registers live across a system call the same way). One fxsave and one
   fxrstor per trap cost several times more under emulation. */
.macro SAVE_XMM
    movaps [rsp + 160 + 0 * 16], xmm0
    movaps [rsp + 160 + 1 * 16], xmm1
    movaps [rsp + 160 + 2 * 16], xmm2
    movaps [rsp + 160 + 3 * 16], xmm3
    movaps [rsp + 160 + 4 * 16], xmm4
    movaps [rsp + 160 + 5 * 16], xmm5
    movaps [rsp + 160 + 6 * 16], xmm6
    movaps [rsp + 160 + 7 * 16], xmm7
    movaps [rsp + 160 + 8 * 16], xmm8
    movaps [rsp + 160 + 9 * 16], xmm9
    movaps [rsp + 160 + 10 * 16], xmm10
    movaps [rsp + 160 + 11 * 16], xmm11
    movaps [rsp + 160 + 12 * 16], xmm12
    movaps [rsp + 160 + 13 * 16], xmm13
    movaps [rsp + 160 + 14 * 16], xmm14
    movaps [rsp + 160 + 15 * 16], xmm15
    mov qword ptr [rsp + {fpu_partial}], 1
.endm
/* Load the user's FPU state from the area at rsp: the xmm registers when
   it is still partial (the ymm upper halves never left the CPU), else all
   of it (`fpu`: xrstor, or fxrstor without XSAVE). */
.macro RESTORE_FPU
    cmp qword ptr [rsp + {fpu_partial}], 0
    je 81f
    movaps xmm0, [rsp + 160 + 0 * 16]
    movaps xmm1, [rsp + 160 + 1 * 16]
    movaps xmm2, [rsp + 160 + 2 * 16]
    movaps xmm3, [rsp + 160 + 3 * 16]
    movaps xmm4, [rsp + 160 + 4 * 16]
    movaps xmm5, [rsp + 160 + 5 * 16]
    movaps xmm6, [rsp + 160 + 6 * 16]
    movaps xmm7, [rsp + 160 + 7 * 16]
    movaps xmm8, [rsp + 160 + 8 * 16]
    movaps xmm9, [rsp + 160 + 9 * 16]
    movaps xmm10, [rsp + 160 + 10 * 16]
    movaps xmm11, [rsp + 160 + 11 * 16]
    movaps xmm12, [rsp + 160 + 12 * 16]
    movaps xmm13, [rsp + 160 + 13 * 16]
    movaps xmm14, [rsp + 160 + 14 * 16]
    movaps xmm15, [rsp + 160 + 15 * 16]
    jmp 82f
81:
    cmp byte ptr [rip + {xsave_on}], 0
    je 83f
    mov eax, -1                 /* every feature XCR0 enables; rax and */
    mov edx, -1                 /* rdx are popped from pt_regs next */
    xrstor64 [rsp]
    jmp 82f
83:
    fxrstor64 [rsp]
82:
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
    swapgs                      /* the kernel's GS base: per-CPU data */
    sub rsp, {fpu_gap}
    SAVE_XMM
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

/* A new task's first switch returns here, rsp at its FPU area: the
   signal work of any return to user mode, then leave (Linux:
   ret_from_fork). */
    .global tine_ret_from_fork
tine_ret_from_fork:
    lea rdi, [rsp + {fpu_gap}]
    call {ret_from_fork}
    jmp tine_return_to_user

/* Leave to user mode from a stack whose rsp points at the FPU area
   right below pt_regs: the end of every user trap. */
    .global tine_return_to_user
tine_return_to_user:
    RESTORE_FPU
    add rsp, {fpu_gap}
    RESTORE_ALL
    swapgs                      /* the user's GS base back */
    iretq

    .global tine_syscall_entry
tine_syscall_entry:
    swapgs                      /* the kernel's GS base: per-CPU data */
    mov gs:[{user_rsp}], rsp
    mov rsp, gs:[{kernel_rsp}]
    push 0x2b                   /* ss */
    push gs:[{user_rsp}]        /* rsp */
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
    SAVE_XMM
    lea rdi, [rsp + {fpu_gap}]
    call {syscall}
    test al, al
    jz tine_return_to_user      /* the frame needs iretq */
    RESTORE_FPU
    add rsp, {fpu_gap}
    RESTORE_ALL                 /* rcx = rip, r11 = rflags, checked by Rust */
    mov rsp, [rsp + 24]         /* user rsp */
    swapgs                      /* the user's GS base back */
    sysretq

/* `syscall` from 32-bit compatibility mode (CSTAR): still on the user's
   stack with interrupts off, touch nothing and return -ENOSYS to the
   32-bit caller with a 32-bit sysret (Linux: ignore_sysret). */
    .global tine_spurious_irq
tine_spurious_irq:              /* the APIC's spurious vector: no EOI */
    iretq

    .global tine_ignore_sysret
tine_ignore_sysret:
    mov eax, -38
    .byte 0x0f, 0x07            /* sysretl */

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
    fpu_partial = const FPU_PARTIAL_OFFSET,
    xsave_on = sym crate::fpu::XSAVE_ON,
    user_rsp = const crate::percpu::USER_RSP,
    kernel_rsp = const crate::percpu::KERNEL_RSP,
    user_trap = sym user_trap,
    kernel_trap = sym kernel_trap,
    syscall = sym syscall,
    ret_from_fork = sym ret_from_fork,
);

extern "C" {
    static trap_stub_table: [u64; STUB_COUNT];
    fn trap_stub_int80();
    fn tine_syscall_entry();
    fn tine_ignore_sysret();
    fn tine_spurious_irq();
    fn trap_stub_239();
    fn trap_stub_240();
    fn trap_stub_241();
    fn tine_ret_from_fork();
    fn tine_context_switch(prev_rsp: *mut u64, next_rsp: u64);
}

pub fn init(user: UserTrapHandler, syscall: SyscallHandler, kernel: KernelTrapHandler) {
    crate::fpu::init();
    // SAFETY: boot-time, single CPU, before interrupts or user mode exist;
    // every stub of the table handles its own vector (with the error
    // code the CPU pushes or not), with the IST slots `cpu` set up for
    // NMI, double fault and machine check.
    unsafe {
        USER_HANDLER = Some(user);
        SYSCALL_HANDLER = syscall;
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
        cpu::set_idt_entry(INT80_VECTOR as usize, trap_stub_int80 as *const () as u64, 0);
        cpu::set_idt_entry(crate::lapic::SPURIOUS_VECTOR as usize, tine_spurious_irq as *const () as u64, 0);
        cpu::set_idt_entry(crate::lapic::LOCAL_TIMER_VECTOR as usize, trap_stub_239 as *const () as u64, 0);
        cpu::set_idt_entry(crate::smp::RESCHEDULE_VECTOR as usize, trap_stub_240 as *const () as u64, 0);
        cpu::set_idt_entry(crate::smp::TLB_FLUSH_VECTOR as usize, trap_stub_241 as *const () as u64, 0);
    }
    let _ = HAS_ERROR_CODE;
    cpu::load_idt();
    // SAFETY: the two entry points below are written for the state
    // `syscall` leaves, in 64-bit and compatibility mode.
    unsafe { cpu::init_syscall(tine_syscall_entry as *const () as u64, tine_ignore_sysret as *const () as u64) };
    cpu::enable_umip();
    crate::smp::idt_ready();
}

/// What [`init`] set on the boot CPU that each CPU keeps for itself: the
/// IDT register and the `syscall` MSRs. Run by every other CPU once the
/// IDT is filled.
pub(crate) fn init_ap() {
    cpu::load_idt();
    // SAFETY: as in `init`.
    unsafe { cpu::init_syscall(tine_syscall_entry as *const () as u64, tine_ignore_sysret as *const () as u64) };
}

fn classify(vector: u64, regs: &PtRegs) -> Trap {
    let vector = vector as u8;
    // An NMI after a panic on another CPU: stop here (its `stop_others`).
    if vector == 2 && crate::smp::stopping() {
        crate::smp::halt_forever();
    }
    match vector {
        INT80_VECTOR => Trap::Int80,
        0..=31 => Trap::Exception {
            vector,
            error: if regs.orig_rax == u64::MAX { 0 } else { regs.orig_rax },
            info: match vector {
                14 => cpu::cr2(),
                1 => cpu::read_clear_dr6(),
                _ => 0,
            },
        },
        // Its work (none) is done and acknowledged (`smp::handle_ipi`):
        // the trap loop only looks at the run queue on the way out.
        crate::smp::RESCHEDULE_VECTOR => Trap::Irq(vector - 32),
        // A CPU's own timer: acknowledged at its APIC, not the PIC.
        crate::lapic::LOCAL_TIMER_VECTOR => {
            crate::lapic::eoi();
            Trap::Irq(vector - 32)
        }
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
    if crate::smp::handle_ipi(vector as u8) && vector as u8 != crate::smp::RESCHEDULE_VECTOR {
        leave_to_user(regs);
        return;
    }
    let trap = classify(vector, regs);
    // SAFETY: set once at boot, before user mode could trap.
    let handler = unsafe { USER_HANDLER }.expect("trap handler");
    handler(trap, regs);
    leave_to_user(regs);
}

extern "C" fn kernel_trap(vector: u64, regs: *const PtRegs) {
    // SAFETY: a frame the entry code just pushed on the current stack.
    let regs = unsafe { &*regs };
    // A kernel stack overflow faults in its guard page; the fault cannot
    // be delivered on that stack, so it arrives here as a double fault on
    // its IST stack (or, had it been, as a page fault).
    if vector == 8 || vector == 14 {
        crate::kstack::check_overflow(cpu::cr2());
    }
    if crate::smp::handle_ipi(vector as u8) {
        return;
    }
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
    crate::kstack::maybe_test_overflow();
    // SAFETY: set once at boot.
    let handler = unsafe { SYSCALL_HANDLER };
    handler(regs);
    leave_to_user(regs);
    regs.rcx == regs.rip
        && regs.r11 == regs.rflags
        && regs.rip < 0x0000_7fff_ffff_f000
        && regs.cs == tine_core::abi::USER_CS
        && regs.ss == tine_core::abi::USER_DS
}

/// Switch from the running kernel context to the kernel stack whose top is
/// `next` (None: the idle context), saving this one to resume later
/// (Linux: switch_to()). Returns when something switches back here.
///
/// Sound for any caller: `kstack` keeps every saved stack pointer itself
/// and panics unless `next` has one (a stack prepared by
/// `prepare_first_switch` or left by an earlier switch).
pub fn switch(next: Option<u64>) {
    let (prev, to) = crate::kstack::begin_switch(next);
    // SAFETY: `prev` is the running context's saved-pointer cell, which
    // lives for ever; `to` is a stack pointer `kstack` saved for a context
    // that is not running, on a stack that is mapped (unmapping clears it).
    unsafe { tine_context_switch(prev, to) }
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
    leave_to_user(regs);
}

/// RFLAGS bits user mode may hold: the arithmetic flags, TF, DF, NT (its
/// own, restored after the entry cleared it), RF (a return past an
/// instruction breakpoint), AC and ID (Linux: ptrace's FLAG_MASK and
/// sigreturn's FIX_EFLAGS).
const USER_RFLAGS: u64 = 0x0004_0cd5 | (1 << 8) | (1 << 14) | (1 << 16) | (1 << 21);
/// IF and the always-one bit 1.
const RFLAGS_FIXED: u64 = (1 << 9) | (1 << 1);

/// Whatever core left in `regs`, the `iretq` or `sysretq` that ends this
/// trap enters user mode, with interrupts on: selectors forced to RPL 3
/// (a kernel selector with RPL 3 only faults), and no IOPL or VM bit
/// (Linux enforces the same in its ptrace and sigreturn paths; here the
/// hardware layer makes it hold for any core).
fn leave_to_user(regs: &mut PtRegs) {
    regs.cs |= 3;
    regs.ss |= 3;
    regs.rflags = (regs.rflags & USER_RFLAGS) | RFLAGS_FIXED;
}

/// The path a new task's first context switch returns to: the signal work
/// of a return to user mode, then restore its FPU state and `pt_regs` and
/// enter user mode (see `KernelStack::prepare_first_switch`).
pub(crate) fn ret_to_user_addr() -> u64 {
    tine_ret_from_fork as *const () as u64
}
