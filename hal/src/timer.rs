//! Time: the TSC, calibrated against the PIT at boot, gives the nanosecond
//! clock; the PIT's channel 0, in one-shot mode, raises the timer
//! interrupt at the deadline core asks for (its next hrtimer or its next
//! scheduler tick, whichever is first: Linux's clock event device in
//! oneshot mode); the CMOS real-time clock gives the wall time at boot.

use core::sync::atomic::{AtomicU64, Ordering};

use x86_64::instructions::port::Port;

use tine_core::machine::Clock;

const PIT_HZ: u64 = 1_193_182;
/// The longest one-shot the 16-bit PIT counter holds (~54.9 ms).
const PIT_MAX_COUNT: u64 = 0xffff;

static TSC_AT_BOOT: AtomicU64 = AtomicU64::new(0);
/// TSC ticks per microsecond, times 1024 (fixed point).
static TSC_PER_US_X1024: AtomicU64 = AtomicU64::new(0);
/// Nanoseconds per TSC tick, times 2^32: the clock is one multiplication
/// and a shift (Linux: clocksource `mult`/`shift`), cheap enough to read
/// at every kernel entry and exit for CPU-time accounting.
static TSC_MULT: AtomicU64 = AtomicU64::new(0);
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
/// the classic method), then start channel 0 with a first one-shot of 1 ms;
/// core reprograms it from then on ([`set_next_event`]).
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
    // ns per tick << 32 = 1000 * 1024 / per_us_x1024 << 32.
    let mult = ((1000u128 * 1024) << 32) / per_us_x1024.max(1) as u128;
    TSC_MULT.store(mult.min(u64::MAX as u128) as u64, Ordering::Relaxed);
    TSC_AT_BOOT.store(rdtsc(), Ordering::Relaxed);
    BOOT_EPOCH_NS.store(read_rtc_epoch_secs() * 1_000_000_000, Ordering::Relaxed);

    set_next_event(monotonic_ns() + 1_000_000);
}

/// Raise the timer interrupt at monotonic time `at_ns` (at once if it has
/// passed; at most ~55 ms ahead, the counter's range, after which core
/// simply programs the next stretch). PIT channel 0 in mode 0 ("interrupt
/// on terminal count"): writing the count restarts it, so the last call
/// wins (Linux: the PIT clock event device's set_next_event in oneshot
/// mode). Three port writes.
pub fn set_next_event(at_ns: u64) {
    let delta = at_ns.saturating_sub(monotonic_ns());
    let count = ((delta as u128 * PIT_HZ as u128) / 1_000_000_000).clamp(1, PIT_MAX_COUNT as u128) as u16;
    // Channel 0, lobyte/hibyte, mode 0, binary.
    outb(0x43, 0b0011_0000);
    outb(0x40, count as u8);
    outb(0x40, (count >> 8) as u8);
}

/// TSC frequency in kHz, for the boot log.
pub fn tsc_khz() -> u64 {
    TSC_PER_US_X1024.load(Ordering::Relaxed) * 1000 / 1024
}

pub fn monotonic_ns() -> u64 {
    let ticks = rdtsc().wrapping_sub(TSC_AT_BOOT.load(Ordering::Relaxed));
    // One 64x64->128 multiplication, no division.
    ((ticks as u128 * TSC_MULT.load(Ordering::Relaxed) as u128) >> 32) as u64
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

    fn cycles(&self) -> u64 {
        rdtsc()
    }

    fn cycles_to_ns(&self, cycles: u64) -> u64 {
        ((cycles as u128 * TSC_MULT.load(Ordering::Relaxed) as u128) >> 32) as u64
    }

    fn tsc_params(&self) -> Option<(u64, u64)> {
        Some((TSC_AT_BOOT.load(Ordering::Relaxed), TSC_MULT.load(Ordering::Relaxed)))
    }

    fn set_next_event(&self, at_ns: u64) {
        set_next_event(at_ns)
    }
}

pub static CLOCK: TscClock = TscClock;
