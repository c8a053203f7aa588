//! Time: the PIT gives the periodic tick that preempts user mode; the TSC,
//! calibrated against the PIT at boot, gives the nanosecond clock; the CMOS
//! real-time clock gives the wall time at boot.

use core::sync::atomic::{AtomicU64, Ordering};

use x86_64::instructions::port::Port;

use tine_core::machine::Clock;

/// Timer interrupts per second (Linux's CONFIG_HZ=1000).
pub const HZ: u32 = 1000;
const PIT_HZ: u64 = 1_193_182;

static TSC_AT_BOOT: AtomicU64 = AtomicU64::new(0);
/// TSC ticks per microsecond, times 1024 (fixed point).
static TSC_PER_US_X1024: AtomicU64 = AtomicU64::new(0);
static BOOT_EPOCH_NS: AtomicU64 = AtomicU64::new(0);

pub fn rdtsc() -> u64 {
    // SAFETY: rdtsc reads a counter and has no other effect.
    unsafe { core::arch::x86_64::_rdtsc() }
}

fn outb(port: u16, v: u8) {
    // SAFETY: PIT and CMOS I/O ports; no memory effects.
    unsafe { Port::new(port).write(v) }
}

fn inb(port: u16) -> u8 {
    // SAFETY: as above.
    unsafe { Port::new(port).read() }
}

/// Measure the TSC against 50 ms of PIT channel 2 (gated through port 0x61,
/// the classic method), then start channel 0 at `HZ`.
pub fn init() {
    let ms = 50u64;
    let count = PIT_HZ * ms / 1000;
    // Channel 2: gate on, speaker off; mode 0 (count down once).
    outb(0x61, (inb(0x61) & !0x02) | 0x01);
    outb(0x43, 0b1011_0000);
    outb(0x42, count as u8);
    outb(0x42, (count >> 8) as u8);
    // Restart the count by toggling the gate.
    let g = inb(0x61) & !0x01;
    outb(0x61, g);
    outb(0x61, g | 0x01);
    let start = rdtsc();
    while inb(0x61) & 0x20 == 0 {
        core::hint::spin_loop();
    }
    let end = rdtsc();
    let per_us_x1024 = ((end - start) * 1024) / (ms * 1000);
    TSC_PER_US_X1024.store(per_us_x1024.max(1), Ordering::Relaxed);
    TSC_AT_BOOT.store(rdtsc(), Ordering::Relaxed);
    BOOT_EPOCH_NS.store(read_rtc_epoch_secs() * 1_000_000_000, Ordering::Relaxed);

    // Channel 0: rate generator at HZ.
    let div = (PIT_HZ / HZ as u64) as u16;
    outb(0x43, 0b0011_0100);
    outb(0x40, div as u8);
    outb(0x40, (div >> 8) as u8);
}

/// TSC frequency in kHz, for the boot log.
pub fn tsc_khz() -> u64 {
    TSC_PER_US_X1024.load(Ordering::Relaxed) * 1000 / 1024
}

pub fn monotonic_ns() -> u64 {
    let ticks = rdtsc().wrapping_sub(TSC_AT_BOOT.load(Ordering::Relaxed));
    let per = TSC_PER_US_X1024.load(Ordering::Relaxed).max(1);
    // ns = ticks * 1000 / (per/1024), in 128 bits to avoid overflow.
    ((ticks as u128 * 1000 * 1024) / per as u128) as u64
}

fn cmos(reg: u8) -> u8 {
    outb(0x70, reg);
    inb(0x71)
}

fn read_rtc_epoch_secs() -> u64 {
    while cmos(0x0a) & 0x80 != 0 {
        core::hint::spin_loop();
    }
    let status_b = cmos(0x0b);
    let bcd = status_b & 0x04 == 0;
    let conv = |v: u8| if bcd { (v & 0x0f) as u64 + ((v >> 4) as u64) * 10 } else { v as u64 };
    let sec = conv(cmos(0x00));
    let min = conv(cmos(0x02));
    let hour = conv(cmos(0x04) & 0x7f);
    let day = conv(cmos(0x07));
    let month = conv(cmos(0x08));
    let year = 2000 + conv(cmos(0x09));
    days_from_civil(year as i64, month as i64, day as i64) as u64 * 86400 + hour * 3600 + min * 60 + sec
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's method).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

pub struct TscClock;

impl Clock for TscClock {
    fn monotonic_ns(&self) -> u64 {
        monotonic_ns()
    }

    fn boot_epoch_ns(&self) -> u64 {
        BOOT_EPOCH_NS.load(Ordering::Relaxed)
    }
}

pub static CLOCK: TscClock = TscClock;
