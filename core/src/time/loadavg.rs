//! The load average: exponentially decayed averages over 1, 5 and 15
//! minutes of the number of tasks running or waiting uninterruptibly,
//! sampled every LOAD_FREQ (Linux: kernel/sched/loadavg.c,
//! calc_global_load(), with its fixed-point arithmetic).

use super::TICK_NS;

/// Bits of fraction in the fixed-point numbers (Linux: FSHIFT).
pub const FSHIFT: u32 = 11;
pub const FIXED_1: u64 = 1 << FSHIFT;
/// 1/exp(5 s / 1 min), 1/exp(5 s / 5 min), 1/exp(5 s / 15 min) in fixed
/// point (Linux: EXP_1, EXP_5, EXP_15).
pub const EXP_1: u64 = 1884;
pub const EXP_5: u64 = 2014;
pub const EXP_15: u64 = 2037;
/// How often the averages are updated: 5 s and one tick (Linux:
/// LOAD_FREQ, 5*HZ+1, off the 5 s grid so as not to beat with
/// periodic work).
pub const LOAD_FREQ_NS: u64 = 5_000_000_000 + TICK_NS;

/// One step of the average (Linux: calc_load()): `load` decays by `exp`
/// toward `active` (both fixed point), rounding up while it rises.
pub fn calc_load(load: u64, exp: u64, active: u64) -> u64 {
    let mut new = load * exp + active * (FIXED_1 - exp);
    if active >= load {
        new += FIXED_1 - 1;
    }
    new / FIXED_1
}

/// `x` to the power `n` in fixed point with `frac_bits` bits of fraction
/// (Linux: fixed_power_int()).
fn fixed_power_int(mut x: u64, frac_bits: u32, mut n: u64) -> u64 {
    let mut result = 1u64 << frac_bits;
    if n != 0 {
        loop {
            if n & 1 != 0 {
                result *= x;
                result += 1 << (frac_bits - 1);
                result >>= frac_bits;
            }
            n >>= 1;
            if n == 0 {
                break;
            }
            x *= x;
            x += 1 << (frac_bits - 1);
            x >>= frac_bits;
        }
    }
    result
}

/// `n` steps of [`calc_load`] at once, for samples that were missed
/// (Linux: calc_load_n()).
pub fn calc_load_n(load: u64, exp: u64, active: u64, n: u64) -> u64 {
    calc_load(load, fixed_power_int(exp, FSHIFT, n), active)
}

/// The three averages and when they are next updated (Linux: avenrun[]
/// and calc_load_update).
#[derive(Clone, Debug)]
pub struct LoadAvg {
    pub avenrun: [u64; 3],
    pub next_update: u64,
}

impl LoadAvg {
    pub fn new(now: u64) -> Self {
        LoadAvg { avenrun: [0; 3], next_update: now + LOAD_FREQ_NS }
    }

    /// Is a sample due at `now`?
    pub fn due(&self, now: u64) -> bool {
        now >= self.next_update
    }

    /// Take the sample due at `now` with `active` tasks running or in
    /// uninterruptible sleep, folding in any intervals that passed
    /// without one (Linux: calc_global_load() and calc_global_nohz()).
    pub fn update(&mut self, now: u64, active: u64) {
        if now < self.next_update {
            return;
        }
        let n = (now - self.next_update) / LOAD_FREQ_NS + 1;
        let active = active * FIXED_1;
        for (avg, exp) in self.avenrun.iter_mut().zip([EXP_1, EXP_5, EXP_15]) {
            *avg = calc_load_n(*avg, exp, active, n);
        }
        self.next_update += n * LOAD_FREQ_NS;
    }

    /// The first three fields of /proc/loadavg, `a.bb c.dd e.ff`, rounded
    /// to hundredths as Linux's loadavg_proc_show() (FIXED_1/200 added).
    pub fn show(&self) -> alloc::string::String {
        let f = |x: u64| {
            let x = x + FIXED_1 / 200;
            alloc::format!("{}.{:02}", x >> FSHIFT, ((x & (FIXED_1 - 1)) * 100) >> FSHIFT)
        };
        alloc::format!("{} {} {}", f(self.avenrun[0]), f(self.avenrun[1]), f(self.avenrun[2]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_busy_task_for_a_minute() {
        // Linux's numbers: after 12 samples (one minute) of one running
        // task, the 1-minute average is about 1 - 1/e.
        let mut l = LoadAvg::new(0);
        for i in 1..=12 {
            l.update(i * LOAD_FREQ_NS, 1);
        }
        assert_eq!(l.show(), "0.63 0.18 0.06");
    }

    #[test]
    fn calc_load_rounds_up_while_rising_and_decays_to_zero() {
        assert_eq!(calc_load(0, EXP_1, FIXED_1), FIXED_1 - EXP_1);
        // 164/2048 of one unit: rounded up to 1 while rising, down when falling.
        assert_eq!(calc_load(0, EXP_1, 1), 1);
        assert_eq!(calc_load(2, EXP_1, 1), 1);
        let mut x = FIXED_1;
        for _ in 0..1000 {
            x = calc_load(x, EXP_1, 0);
        }
        assert_eq!(x, 0);
    }

    #[test]
    fn missed_samples_fold_in_as_if_taken() {
        // Close, not equal: the power is taken in fixed point too.
        let mut a = LoadAvg::new(0);
        let mut b = LoadAvg::new(0);
        for i in 1..=4 {
            a.update(i * LOAD_FREQ_NS, 3);
        }
        b.update(4 * LOAD_FREQ_NS + 10, 3);
        for i in 0..3 {
            assert!(a.avenrun[i].abs_diff(b.avenrun[i]) <= 8, "{:?} vs {:?}", a.avenrun, b.avenrun);
        }
        assert_eq!(a.next_update, b.next_update);
        // Not due before the next interval.
        assert!(!b.due(5 * LOAD_FREQ_NS - 1));
        assert_eq!(LoadAvg::new(0).show(), "0.00 0.00 0.00");
    }
}
