//! The local APIC of each CPU, in its memory-mapped (xAPIC) form: its ID,
//! enabling it, end of interrupt, and inter-processor interrupts (Linux:
//! arch/x86/kernel/apic/apic.c, ipi.c; xv6: lapic.c).
//!
//! Every CPU sees its own APIC at the same physical address, which the
//! direct map reaches; that 2 MiB of the direct map is made uncached
//! first ([`init`]), as device registers must be.

use core::sync::atomic::{AtomicU64, Ordering};

use crate::mem::phys_to_virt;

/// Register offsets (Intel SDM vol. 3, table 11-1).
const ID: usize = 0x20;
const TPR: usize = 0x80;
const EOI: usize = 0xb0;
const SVR: usize = 0xf0;
const ICR_LOW: usize = 0x300;
const ICR_HIGH: usize = 0x310;
const LVT_TIMER: usize = 0x320;
const LVT_LINT0: usize = 0x350;
const LVT_LINT1: usize = 0x360;
const TIMER_INITIAL: usize = 0x380;
const TIMER_CURRENT: usize = 0x390;
const TIMER_DIVIDE: usize = 0x3e0;

/// SVR: the APIC software enable.
const SVR_ENABLE: u32 = 1 << 8;
/// ICR: delivery modes, level, and the busy bit.
const DELIVERY_FIXED: u32 = 0 << 8;
const DELIVERY_NMI: u32 = 4 << 8;
const DELIVERY_INIT: u32 = 5 << 8;
const DELIVERY_STARTUP: u32 = 6 << 8;
const LEVEL_ASSERT: u32 = 1 << 14;
const DELIVERY_PENDING: u32 = 1 << 12;
/// LVT: masked; the ExtINT delivery mode (the 8259's interrupt passed
/// through).
const LVT_MASKED: u32 = 1 << 16;
const LVT_EXTINT: u32 = 7 << 8;
/// LVT timer: periodic mode.
const LVT_TIMER_PERIODIC: u32 = 1 << 17;

/// The vector of each CPU's own timer (Linux: LOCAL_TIMER_VECTOR, 0xec).
pub const LOCAL_TIMER_VECTOR: u8 = 0xef;

/// The vector of spurious interrupts (the SVR's low byte): its gate only
/// returns, with no end of interrupt (Linux: SPURIOUS_APIC_VECTOR).
pub const SPURIOUS_VECTOR: u8 = 0xff;

/// The registers' virtual address (in the direct map); 0 until [`init`].
static BASE: AtomicU64 = AtomicU64::new(0);

/// Where the APIC registers are (the MADT's address), made reachable for
/// every CPU, and the boot CPU's APIC enabled. Boot only.
pub fn init(phys_base: u64) {
    assert!(
        phys_base.is_multiple_of(4096) && phys_base < crate::boot::BOOT_DIRECT_MAP_BYTES,
        "local APIC at {phys_base:#x}, outside the direct map"
    );
    crate::boot::set_uncached_2m(phys_base);
    BASE.store(phys_to_virt(phys_base), Ordering::Release);
    enable(true);
}

/// Whether [`init`] ran: without it there is no APIC to talk to.
pub fn present() -> bool {
    BASE.load(Ordering::Acquire) != 0
}

fn reg(off: usize) -> *mut u32 {
    let base = BASE.load(Ordering::Acquire);
    assert!(base != 0, "local APIC used before it was found");
    (base + off as u64) as *mut u32
}

fn read(off: usize) -> u32 {
    // SAFETY: `reg` is a register of the local APIC page, which `init`
    // mapped uncached; reading a register has no effect on memory.
    unsafe { core::ptr::read_volatile(reg(off)) }
}

fn write(off: usize, v: u32) {
    // SAFETY: as in `read`; the callers write only the registers and
    // values this module means (enable, EOI, IPIs, the timer).
    unsafe { core::ptr::write_volatile(reg(off), v) }
}

/// This CPU's APIC ID.
pub fn id() -> u32 {
    read(ID) >> 24
}

/// Enable this CPU's APIC (the software enable, the spurious vector), all
/// priorities accepted, LINT1 an NMI. LINT0 passes the 8259's interrupts
/// through on the boot CPU (virtual wire mode: the PIT and the UART
/// still interrupt through the PIC) and is masked on the others (Linux:
/// setup_local_APIC()).
pub fn enable(boot_cpu: bool) {
    write(TPR, 0);
    write(SVR, SVR_ENABLE | SPURIOUS_VECTOR as u32);
    write(LVT_LINT0, if boot_cpu { LVT_EXTINT } else { LVT_MASKED });
    write(LVT_LINT1, DELIVERY_NMI);
}

/// End of interrupt, for an interrupt that came through the APIC (an IPI
/// or its timer); the 8259's interrupts take the PIC's own.
pub fn eoi() {
    write(EOI, 0);
}

/// Send an interrupt command to the CPU with APIC ID `dest` and wait until
/// the APIC has taken it (Linux: __default_send_IPI_dest_field()).
fn send(dest: u32, command: u32) {
    write(ICR_HIGH, dest << 24);
    write(ICR_LOW, command);
    while read(ICR_LOW) & DELIVERY_PENDING != 0 {
        core::hint::spin_loop();
    }
}

/// INIT, asserted: the target resets into wait-for-SIPI.
pub fn send_init(dest: u32) {
    send(dest, DELIVERY_INIT | LEVEL_ASSERT);
}

/// Start-up IPI: the target starts in real mode at `page` << 12.
pub fn send_startup(dest: u32, page: u8) {
    send(dest, DELIVERY_STARTUP | LEVEL_ASSERT | page as u32);
}

/// A fixed-vector interrupt to CPU `dest`.
pub fn send_ipi(dest: u32, vector: u8) {
    send(dest, DELIVERY_FIXED | LEVEL_ASSERT | vector as u32);
}

/// A non-maskable interrupt to CPU `dest` (the panic's stop).
pub fn send_nmi(dest: u32) {
    send(dest, DELIVERY_NMI | LEVEL_ASSERT);
}

/// The APIC timer's input clock in Hz: count it down, masked, over `ms`
/// milliseconds of the TSC clock (Linux: calibrate_APIC_clock() against
/// its boot clock), divide by 1.
pub fn timer_hz(ms: u64) -> u64 {
    write(TIMER_DIVIDE, 0b1011); // divide by 1
    write(LVT_TIMER, LVT_MASKED);
    write(TIMER_INITIAL, u32::MAX);
    let start = crate::timer::monotonic_ns();
    while crate::timer::monotonic_ns() - start < ms * 1_000_000 {
        core::hint::spin_loop();
    }
    let left = read(TIMER_CURRENT);
    write(TIMER_INITIAL, 0);
    (u32::MAX - left) as u64 * 1000 / ms
}

/// Interrupt this CPU every `count` ticks of its APIC timer's clock (divided
/// by 1, as [`timer_hz`] counts), with [`LOCAL_TIMER_VECTOR`] (Linux: the
/// lapic clock event device in periodic mode).
pub fn start_periodic_timer(count: u32) {
    write(TIMER_DIVIDE, 0b1011);
    write(LVT_TIMER, LVT_TIMER_PERIODIC | LOCAL_TIMER_VECTOR as u32);
    write(TIMER_INITIAL, count.max(1));
}
