//! The other CPUs: found in the MADT ([`crate::acpi`]), started with
//! INIT-SIPI-SIPI through the local APIC ([`crate::lapic`]) from a
//! real-mode trampoline copied below 1 MiB, each given its own GDT, TSS
//! and IST stacks and an idle stack (Linux: arch/x86/kernel/smpboot.c
//! do_boot_cpu(), arch/x86/realmode/rm/trampoline_64.S; xv6: main.c
//! startothers(), entryother.S).
//!
//! A started CPU (an "AP") switches to long mode in the trampoline, jumps
//! to [`ap_main`] on its idle stack, loads its tables, calibrates its APIC
//! timer, says it is online and waits for the IDT, then idles, woken only
//! by inter-processor interrupts: a TLB flush ([`flush_tlb_others_pages`]), a
//! reschedule ([`send_reschedule`]), and the panic's stop by NMI
//! ([`stop_others`]). Once the kernel is set up ([`run_aps`]), each arms
//! its APIC timer and runs the kernel's idle loop, taking tasks from the
//! run queue like the boot CPU.

use alloc::vec::Vec;
use core::arch::{asm, global_asm};
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};

use crate::mem::phys_to_virt;
use crate::{acpi, cpu, klog, lapic};

/// The most CPUs Tine uses; more in the MADT are left halted.
pub const MAX_CPUS: usize = 8;

/// Where the trampoline runs: a page of the low MiB (never given to the
/// frame allocator), which the start-up IPI names by its page number.
const TRAMPOLINE: u64 = 0x8000;
/// The trampoline's page table: the kernel half of the kernel's, and the
/// first 4 GiB identity mapped for the switch to long mode.
const TRAMPOLINE_PML4: u64 = 0x9000;
/// Each AP's idle stack (its boot stack, as `start::BOOT_STACK` is the
/// boot CPU's).
const AP_STACK_SIZE: usize = 64 * 1024;

global_asm!(
    r#"
    .section .rodata.ap_trampoline, "a"
    .balign 4096
    .global tine_ap_trampoline
tine_ap_trampoline:
    .code16
    cli
    cld
    mov ax, cs
    mov ds, ax
    lgdt [{gdtr}]
    mov eax, cr0
    or eax, 1
    mov cr0, eax
    /* ljmpl 0x08:pm32, with a 32-bit offset */
    .byte 0x66, 0xea
    .long {base} + {pm32}
    .word 0x08

    .code32
    .org {pm32}
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    /* as the boot CPU (asm_steps.rs) */
"#,
    enter_long_mode!("[{base} + {params}]"),
    r#"
    .byte 0xea
    .long {base} + {lm64}
    .word 0x18

    .code64
    .org {lm64}
"#,
    load_data_segments!("0x10"),
    r#"
"#,
    enable_xsave!(),
    r#"
    mov ebx, {base}
    mov rsp, [rbx + {params} + 8]
    mov rdi, [rbx + {params} + 24]
    mov rax, [rbx + {params} + 16]
    call rax
2:
    hlt
    jmp 2b

    .org {gdt}
    .quad 0
    .quad 0x00cf9a000000ffff    /* 0x08: 32-bit code */
    .quad 0x00cf92000000ffff    /* 0x10: data */
    .quad 0x00af9a000000ffff    /* 0x18: 64-bit code */
    .org {gdtr}
    .word 4 * 8 - 1
    .long {base} + {gdt}
    .org {params}
    .quad 0, 0, 0, 0
    .global tine_ap_trampoline_end
tine_ap_trampoline_end:
    .text
"#,
    base = const TRAMPOLINE,
    pm32 = const 0x40,
    lm64 = const 0x100,
    gdt = const 0x200,
    gdtr = const 0x220,
    params = const PARAMS_OFFSET,
);

extern "C" {
    static tine_ap_trampoline: u8;
    static tine_ap_trampoline_end: u8;
}

/// Where in the trampoline its parameters are, four words: CR3 (its page
/// table), the stack, the entry point, the argument. The trampoline's
/// parts sit at fixed offsets (`.org`), so that its code can name them
/// as numbers.
const PARAMS_OFFSET: u64 = 0x240;
const PARAM_WORDS: usize = 4;

/// Per CPU, by number (0: the boot CPU): its APIC ID, and its APIC
/// timer's clock in Hz (0 until calibrated).
static APIC_IDS: [AtomicU32; MAX_CPUS] = [const { AtomicU32::new(u32::MAX) }; MAX_CPUS];
static TIMER_HZ: [AtomicU64; MAX_CPUS] = [const { AtomicU64::new(0) }; MAX_CPUS];
/// Per CPU: it has loaded the IDT, so an NMI finds its handler.
static IDT_LOADED: [AtomicBool; MAX_CPUS] = [const { AtomicBool::new(false) }; MAX_CPUS];
/// CPUs online, the boot CPU included.
static ONLINE: AtomicUsize = AtomicUsize::new(1);
/// Set once the IDT is filled (`trap::init`): APs load it then.
static IDT_READY: AtomicBool = AtomicBool::new(false);
/// Set by the panic: every CPU that takes an NMI halts for good.
static STOPPING: AtomicBool = AtomicBool::new(false);

/// The IPI vectors (Linux: RESCHEDULE_VECTOR 0xfd, and the call-function
/// vector its TLB shootdown rides on). A vector's priority class is its
/// high nibble: both above every device interrupt.
pub const RESCHEDULE_VECTOR: u8 = 0xf0;
pub const TLB_FLUSH_VECTOR: u8 = 0xf1;

/// Per CPU: a TLB flush asked of it and not yet done.
static FLUSH_PENDING: [AtomicBool; MAX_CPUS] = [const { AtomicBool::new(false) }; MAX_CPUS];
/// One shootdown at a time: its sender waits for every target.
static SHOOTDOWN: spin::Mutex<()> = spin::Mutex::new(());
/// The pages the shootdown in progress drops: `FLUSH_PAGES[..n]` for
/// `FLUSH_COUNT` n up to [`MAX_FLUSH_PAGES`], every non-global entry for
/// [`FLUSH_ALL`]. Written by the sender (holding `SHOOTDOWN`) before it
/// sets the targets' `FLUSH_PENDING`, read by them after they see it.
static FLUSH_PAGES: [AtomicU64; MAX_FLUSH_PAGES] = [const { AtomicU64::new(0) }; MAX_FLUSH_PAGES];
static FLUSH_COUNT: AtomicUsize = AtomicUsize::new(FLUSH_ALL);
/// The most pages a shootdown names one by one: as many as core's gather
/// collects before it asks for a full flush.
pub const MAX_FLUSH_PAGES: usize = tine_core::mm::tlb::FLUSH_CEILING;
const FLUSH_ALL: usize = usize::MAX;

/// How many CPUs are online (the boot CPU and every AP started).
pub fn online() -> usize {
    ONLINE.load(Ordering::Acquire)
}

/// The running CPU's number (its per-CPU data's).
pub fn this_cpu() -> usize {
    crate::percpu::cpu()
}

/// CPU `cpu`'s APIC timer clock in Hz, once calibrated.
pub fn timer_hz(cpu: usize) -> u64 {
    TIMER_HZ.get(cpu).map_or(0, |h| h.load(Ordering::Relaxed))
}

/// Find the CPUs and start every one but this (the boot CPU), one at a
/// time, each waiting until it is online. Needs the heap, the TSC clock
/// (delays) and the kernel's page table (`kernel_pml4`, physical, whose
/// kernel half every CPU runs on). Returns the number of CPUs online.
pub fn boot_cpus(kernel_pml4: u64) -> usize {
    let Some(madt) = acpi::madt() else {
        klog!("tine: no ACPI MADT: one CPU");
        return 1;
    };
    lapic::init(madt.lapic_base);
    let me = lapic::id();
    APIC_IDS[0].store(me, Ordering::Relaxed);
    TIMER_HZ[0].store(lapic::timer_hz(10), Ordering::Relaxed);
    let others: Vec<u32> = madt.apic_ids.iter().copied().filter(|&id| id != me).collect();
    if others.len() + 1 > MAX_CPUS {
        klog!("tine: {} CPUs in the MADT; using {MAX_CPUS}", others.len() + 1);
    }
    if !others.is_empty() {
        install_trampoline(kernel_pml4);
    }
    for (i, &apic_id) in others.iter().take(MAX_CPUS - 1).enumerate() {
        let cpu = i + 1;
        APIC_IDS[cpu].store(apic_id, Ordering::Relaxed);
        if !start_ap(cpu, apic_id, kernel_pml4) {
            APIC_IDS[cpu].store(u32::MAX, Ordering::Relaxed);
            klog!("tine: CPU {cpu} (APIC ID {apic_id}) did not start");
            break;
        }
    }
    let n = online();
    klog!("tine: {n} CPU(s) online of {} in the MADT; APIC timer {} kHz", madt.apic_ids.len(), timer_hz(0) / 1000);
    n
}

/// Copy the trampoline to [`TRAMPOLINE`] and build its page table.
fn install_trampoline(kernel_pml4: u64) {
    assert!(kernel_pml4.is_multiple_of(4096) && kernel_pml4 < 1 << 32);
    let start = core::ptr::addr_of!(tine_ap_trampoline) as u64;
    let end = core::ptr::addr_of!(tine_ap_trampoline_end) as u64;
    assert!(end - start == PARAMS_OFFSET + 8 * PARAM_WORDS as u64, "AP trampoline laid out wrong");
    // SAFETY: the source is the trampoline's bytes in the kernel image; the
    // destination two pages of the low MiB, which the frame allocator never
    // has and nothing else uses after the boot loader; the kernel PML4 is
    // a live page table (read only). Interrupts are off and no other CPU
    // runs yet.
    unsafe {
        core::ptr::copy_nonoverlapping(start as *const u8, phys_to_virt(TRAMPOLINE) as *mut u8, (end - start) as usize);
        let pml4 = phys_to_virt(TRAMPOLINE_PML4) as *mut u64;
        let kernel = phys_to_virt(kernel_pml4) as *const u64;
        for i in 0..512 {
            let e = if i == 0 {
                core::ptr::read_volatile(kernel.add(256))
            } else if i >= 256 {
                core::ptr::read_volatile(kernel.add(i))
            } else {
                0
            };
            core::ptr::write_volatile(pml4.add(i), e);
        }
    }
}

/// INIT, then two start-up IPIs (Intel's universal start-up algorithm),
/// and wait up to a second for CPU `cpu` to say it is online.
fn start_ap(cpu: usize, apic_id: u32, kernel_pml4: u64) -> bool {
    let stack = alloc::boxed::Box::leak(alloc::vec![0u8; AP_STACK_SIZE].into_boxed_slice());
    let stack_top = (stack.as_ptr() as u64 + AP_STACK_SIZE as u64) & !15;
    let params = phys_to_virt(TRAMPOLINE + PARAMS_OFFSET) as *mut u64;
    let entry: extern "C" fn(u64) -> ! = ap_main;
    // SAFETY: the parameter words of the trampoline copied at TRAMPOLINE
    // (inside its page, checked by `install_trampoline`); the previous AP
    // has read them (it was online before this one starts).
    unsafe {
        core::ptr::write_volatile(params, TRAMPOLINE_PML4);
        core::ptr::write_volatile(params.add(1), stack_top);
        core::ptr::write_volatile(params.add(2), entry as usize as u64);
        core::ptr::write_volatile(params.add(3), cpu as u64 | kernel_pml4);
    }
    let before = online();
    lapic::send_init(apic_id);
    delay_us(10_000);
    for _ in 0..2 {
        lapic::send_startup(apic_id, (TRAMPOLINE >> 12) as u8);
        delay_us(200);
    }
    let t0 = crate::timer::monotonic_ns();
    while online() == before {
        if crate::timer::monotonic_ns() - t0 > 1_000_000_000 {
            return false;
        }
        core::hint::spin_loop();
    }
    true
}

fn delay_us(us: u64) {
    let t0 = crate::timer::monotonic_ns();
    while crate::timer::monotonic_ns() - t0 < us * 1000 {
        core::hint::spin_loop();
    }
}

/// An AP's first Rust code, on its idle stack, from the trampoline.
/// `arg`: the kernel's PML4 (page aligned) ORed with its CPU number.
extern "C" fn ap_main(arg: u64) -> ! {
    let cpu = (arg & 0xfff) as usize;
    let kernel_pml4 = arg & !0xfff;
    // SAFETY: the kernel's own page table, whose kernel half (code, heap,
    // this stack) is the trampoline table's, so execution continues.
    unsafe { asm!("mov cr3, {}", in(reg) kernel_pml4, options(nostack, preserves_flags)) };
    cpu::init_ap_tables(cpu);
    cpu::enable_umip();
    cpu::set_tsc_aux(cpu as u64);
    lapic::enable(false);
    TIMER_HZ[cpu].store(lapic::timer_hz(10), Ordering::Relaxed);
    ONLINE.fetch_add(1, Ordering::AcqRel);
    while !IDT_READY.load(Ordering::Acquire) {
        core::hint::spin_loop();
    }
    crate::trap::init_ap();
    IDT_LOADED[cpu].store(true, Ordering::Release);
    loop {
        service_flush();
        if let Some(&(run, hz)) = AP_RUN.get() {
            let hz = hz.max(1);
            lapic::start_periodic_timer((timer_hz(cpu) / hz).min(u32::MAX as u64) as u32);
            run();
        }
        cpu::idle_wait();
    }
}

/// What every AP runs once the kernel is ready (its idle loop, which
/// never returns), and its timer's frequency.
static AP_RUN: spin::Once<(fn() -> !, u64)> = spin::Once::new();

/// Let the APs run `idle` (the kernel's idle loop, on each AP's idle
/// stack), each with its APIC timer interrupting `hz` times a second
/// ([`lapic::LOCAL_TIMER_VECTOR`]); they are woken by a reschedule IPI.
pub fn run_aps(idle: fn() -> !, hz: u64) {
    AP_RUN.call_once(|| (idle, hz));
    for c in 1..MAX_CPUS {
        send_reschedule(c);
    }
}

/// Called once the IDT is complete: the APs load it.
pub(crate) fn idt_ready() {
    IDT_LOADED[0].store(true, Ordering::Release);
    IDT_READY.store(true, Ordering::Release);
}

/// Flush this CPU's TLB as another CPU asked, if it did (the TLB IPI's
/// work; also done while waiting for a lock, where the IPI cannot come
/// in). Linux: flush_tlb_func().
pub fn service_flush() {
    let me = this_cpu();
    if FLUSH_PENDING[me].load(Ordering::Acquire) {
        match FLUSH_COUNT.load(Ordering::Relaxed) {
            FLUSH_ALL => cpu::reload_cr3(),
            n => FLUSH_PAGES[..n].iter().for_each(|p| cpu::invlpg(p.load(Ordering::Relaxed))),
        }
        FLUSH_PENDING[me].store(false, Ordering::Release);
    }
}

/// Flush the (non-global) TLB entries of every other online CPU whose bit
/// is set in `cpus` (bit N: CPU N), by IPI, and return once each has
/// (Linux: flush_tlb_multi() waiting in smp_call_function_many_cond()).
/// The caller flushes its own. A CPU waiting for the kernel lock or for
/// another shootdown does the flush in its wait loop, so two CPUs never
/// wait on each other with interrupts off.
pub fn flush_tlb_others(cpus: u64) {
    flush_tlb_others_pages(cpus, None);
}

/// [`flush_tlb_others`] of `pages` alone (each target `invlpg`s them in
/// the address space it has loaded), or of everything for None or more
/// than [`MAX_FLUSH_PAGES`] pages.
pub fn flush_tlb_others_pages(cpus: u64, pages: Option<&[u64]>) {
    let guard = loop {
        if let Some(g) = SHOOTDOWN.try_lock() {
            break g;
        }
        service_flush();
        core::hint::spin_loop();
    };
    let me = this_cpu();
    let targets = |c: usize| c != me && cpus & (1 << c) != 0 && IDT_LOADED[c].load(Ordering::Acquire);
    match pages {
        Some(pages) if pages.len() <= MAX_FLUSH_PAGES => {
            for (slot, &va) in FLUSH_PAGES.iter().zip(pages) {
                slot.store(va, Ordering::Relaxed);
            }
            FLUSH_COUNT.store(pages.len(), Ordering::Relaxed);
        }
        _ => FLUSH_COUNT.store(FLUSH_ALL, Ordering::Relaxed),
    }
    for c in (0..MAX_CPUS).filter(|&c| targets(c)) {
        FLUSH_PENDING[c].store(true, Ordering::Release);
        lapic::send_ipi(APIC_IDS[c].load(Ordering::Relaxed), TLB_FLUSH_VECTOR);
    }
    for c in (0..MAX_CPUS).filter(|&c| targets(c)) {
        while FLUSH_PENDING[c].load(Ordering::Acquire) {
            core::hint::spin_loop();
        }
    }
    drop(guard);
}

/// Every CPU online, as a mask for [`flush_tlb_others`].
pub fn all_cpus() -> u64 {
    (0..MAX_CPUS).filter(|&c| IDT_LOADED[c].load(Ordering::Acquire)).fold(0, |m, c| m | 1 << c)
}

/// Interrupt CPU `cpu` so that it looks at its run queue (Linux:
/// smp_send_reschedule()); an idle CPU wakes from its halt.
pub fn send_reschedule(cpu: usize) {
    if cpu < MAX_CPUS && cpu != this_cpu() && IDT_LOADED[cpu].load(Ordering::Acquire) {
        lapic::send_ipi(APIC_IDS[cpu].load(Ordering::Relaxed), RESCHEDULE_VECTOR);
    }
}

/// An IPI's work, from the trap entry, before anything else sees the
/// vector: true when `vector` was one (acknowledged at the APIC). The
/// reschedule IPI has no work of its own: coming from user mode, the trap
/// loop's way back to user mode does the scheduling; in the idle loop, it
/// ends the halt.
pub(crate) fn handle_ipi(vector: u8) -> bool {
    match vector {
        TLB_FLUSH_VECTOR => service_flush(),
        RESCHEDULE_VECTOR => {}
        _ => return false,
    }
    lapic::eoi();
    true
}

/// Check the IPIs once every CPU has the IDT: a TLB shootdown to all of
/// them must come back. Logs how long it took.
pub fn self_test() {
    let t0 = crate::timer::monotonic_ns();
    while all_cpus().count_ones() < online() as u32 && crate::timer::monotonic_ns() - t0 < 1_000_000_000 {
        core::hint::spin_loop();
    }
    let others = all_cpus() & !(1 << this_cpu());
    if others == 0 {
        return;
    }
    let t0 = crate::timer::monotonic_ns();
    flush_tlb_others(others);
    klog!(
        "tine: TLB shootdown IPI to {} CPU(s): {} us",
        others.count_ones(),
        (crate::timer::monotonic_ns() - t0) / 1000
    );
}

/// Halt this CPU for good, interrupts off (an NMI returns to the loop).
pub fn halt_forever() -> ! {
    loop {
        // SAFETY: halts until the next NMI or interrupt (none: IF is
        // clear); touches no memory.
        unsafe { asm!("cli", "hlt", options(nomem, nostack)) }
    }
}

/// The panic's stop (Linux: smp_send_stop(), by NMI as its
/// nmi_shootdown_cpus()): every other CPU that can take an NMI halts.
pub fn stop_others() {
    if STOPPING.swap(true, Ordering::AcqRel) || !lapic::present() {
        return;
    }
    let me = this_cpu();
    for cpu in 0..MAX_CPUS {
        let id = APIC_IDS[cpu].load(Ordering::Relaxed);
        if cpu != me && id != u32::MAX && IDT_LOADED[cpu].load(Ordering::Acquire) {
            lapic::send_nmi(id);
        }
    }
}

/// Whether a panic has stopped the machine: an NMI then means "halt".
pub fn stopping() -> bool {
    STOPPING.load(Ordering::Acquire)
}
