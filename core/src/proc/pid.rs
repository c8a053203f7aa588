//! Process ids (Linux: kernel/pid.c, alloc_pid() and the pid namespace's
//! IDR). `Kernel::pids` is the initial PID namespace's map, whose numbers
//! name tasks inside the kernel; each nested namespace has one of its own
//! (`ns::pid`).
//!
//! PIDs are handed out in increasing order, starting at 1 for init, up to
//! `pid_max - 1`; then the search wraps around to `RESERVED_PIDS` (300),
//! which keeps the low numbers for the early system daemons. A number is
//! busy while anything still uses it: a task (alive or zombie) with that
//! TID, or a process group or session with that id. When every number is
//! busy, fork fails with EAGAIN.
//!
//! Finding the next free number must not cost more when thousands are
//! busy (after a wrap, the search starts at 300, often just below a long
//! run of sleeping processes): a two-level bitmap, one bit per number and
//! one summary bit per word of 64 numbers that are all busy, skips 4,096
//! busy numbers per summary word read (Linux: the IDR radix tree's
//! per-node free bitmaps).

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use crate::abi::{Errno, EAGAIN, EINVAL};

pub type Pid = u32;

/// Linux: PID_MAX_DEFAULT.
pub const PID_MAX_DEFAULT: u32 = 32768;
/// Linux: RESERVED_PIDS, where allocation wraps to.
pub const RESERVED_PIDS: u32 = 300;
/// Linux: PID_MAX_LIMIT on 64-bit (4 Mi).
pub const PID_MAX_LIMIT: u32 = 4 * 1024 * 1024;
/// Linux: pid_max_min, the lowest value /proc/sys/kernel/pid_max accepts.
pub const PID_MAX_MIN: u32 = RESERVED_PIDS + 1;

pub struct PidMap {
    pid_max: u32,
    /// The last PID handed out: the next search starts after it
    /// (Linux: the IDR cursor).
    last: Pid,
    /// Users of each busy number (task, process group, session).
    busy: BTreeMap<Pid, u32>,
    /// The busy numbers, for the search.
    bits: BusyBits,
}

impl Default for PidMap {
    fn default() -> Self {
        PidMap { pid_max: PID_MAX_DEFAULT, last: 0, busy: BTreeMap::new(), bits: BusyBits::default() }
    }
}

/// One bit per busy number, and one bit per word of the first level that
/// is all ones.
#[derive(Default)]
struct BusyBits {
    words: Vec<u64>,
    full: Vec<u64>,
}

impl BusyBits {
    fn set(&mut self, n: u32) {
        let w = n as usize / 64;
        if self.words.len() <= w {
            self.words.resize(w + 1, 0);
            self.full.resize(w / 64 + 1, 0);
        }
        self.words[w] |= 1 << (n % 64);
        if self.words[w] == !0 {
            self.full[w / 64] |= 1 << (w % 64);
        }
    }

    fn clear(&mut self, n: u32) {
        let w = n as usize / 64;
        self.words[w] &= !(1 << (n % 64));
        self.full[w / 64] &= !(1 << (w % 64));
    }

    /// The lowest clear bit in `from..to`.
    fn first_clear(&self, from: u32, to: u32) -> Option<u32> {
        let word = |w: usize| self.words.get(w).copied().unwrap_or(0);
        let mut w = from as usize / 64;
        // The first word, without the bits below `from`.
        let mut bits = word(w) | ((1u64 << (from % 64)) - 1);
        loop {
            if bits != !0 {
                let n = (w * 64) as u32 + (!bits).trailing_zeros();
                return (n < to).then_some(n);
            }
            // Skip the words that are all busy, 64 at a time.
            w += 1;
            loop {
                if w * 64 >= to as usize {
                    return None;
                }
                let summary = self.full.get(w / 64).copied().unwrap_or(0) | ((1u64 << (w % 64)) - 1);
                if summary != !0 {
                    w = (w / 64) * 64 + (!summary).trailing_zeros() as usize;
                    break;
                }
                w = (w / 64 + 1) * 64;
            }
            bits = word(w);
        }
    }
}

impl PidMap {
    /// A fresh PID with one user (Linux: alloc_pid() → idr_alloc_cyclic()).
    pub fn alloc(&mut self) -> Result<Pid, Errno> {
        // Linux only wraps to RESERVED_PIDS once the cursor is past it.
        let min = if self.last >= RESERVED_PIDS { RESERVED_PIDS } else { 1 };
        let start = if self.last + 1 >= self.pid_max { min } else { self.last + 1 };
        let found = self.first_free(start, self.pid_max).or_else(|| self.first_free(min, start));
        let pid = found.ok_or(EAGAIN)?;
        self.mark_busy(pid);
        self.last = pid;
        Ok(pid)
    }

    /// The lowest free number in `from..to`.
    fn first_free(&self, from: Pid, to: Pid) -> Option<Pid> {
        if from >= to {
            return None;
        }
        self.bits.first_clear(from, to)
    }

    fn mark_busy(&mut self, pid: Pid) {
        self.busy.insert(pid, 1);
        self.bits.set(pid);
    }

    /// Reserve a specific number (clone3's set_tid); false if busy.
    pub fn alloc_exact(&mut self, pid: Pid) -> bool {
        if pid == 0 || pid >= self.pid_max || self.busy.contains_key(&pid) {
            return false;
        }
        self.mark_busy(pid);
        true
    }

    /// Something else (a process group, a session) now uses `pid` too.
    pub fn hold(&mut self, pid: Pid) {
        *self.busy.get_mut(&pid).expect("held pid is busy") += 1;
    }

    /// One user of `pid` is gone; the last frees the number and says so
    /// (Linux: put_pid()). The kernel's numbers go back through
    /// `Kernel::put_pid`, which frees the pid's other levels too.
    pub fn put(&mut self, pid: Pid) -> bool {
        let n = self.busy.get_mut(&pid).expect("put of a busy pid");
        *n -= 1;
        if *n == 0 {
            self.busy.remove(&pid);
            self.bits.clear(pid);
            return true;
        }
        false
    }

    pub fn is_busy(&self, pid: Pid) -> bool {
        self.busy.contains_key(&pid)
    }

    pub fn in_use(&self) -> usize {
        self.busy.len()
    }

    pub fn pid_max(&self) -> u32 {
        self.pid_max
    }

    /// The last PID handed out (the last field of /proc/loadavg).
    pub fn last(&self) -> Pid {
        self.last
    }

    /// Writing /proc/sys/kernel/ns_last_pid: the next search starts after `v`.
    pub fn set_last(&mut self, v: Pid) {
        self.last = v;
    }

    /// Writing /proc/sys/kernel/pid_max: EINVAL outside Linux's bounds.
    pub fn set_pid_max(&mut self, v: u32) -> Result<(), Errno> {
        if !(PID_MAX_MIN..=PID_MAX_LIMIT).contains(&v) {
            return Err(EINVAL);
        }
        self.pid_max = v;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn increasing_from_one_then_wraps_to_reserved() {
        let mut m = PidMap::default();
        m.set_pid_max(400).unwrap();
        assert_eq!(m.alloc(), Ok(1));
        assert_eq!(m.alloc(), Ok(2));
        for want in 3..400 {
            assert_eq!(m.alloc(), Ok(want));
        }
        // Full: everything below pid_max is busy.
        assert_eq!(m.alloc(), Err(EAGAIN));
        m.put(5);
        m.put(350);
        // Wraps to 300, not to 1: 5 stays free.
        assert_eq!(m.alloc(), Ok(350));
        assert_eq!(m.alloc(), Err(EAGAIN));
        m.put(301);
        assert_eq!(m.alloc(), Ok(301));
    }

    #[test]
    fn a_held_number_is_not_reused() {
        let mut m = PidMap::default();
        m.set_pid_max(302).unwrap();
        for want in 1..302 {
            assert_eq!(m.alloc(), Ok(want));
        }
        m.hold(300); // it also names a process group
        m.put(300); // the task is reaped, the group lives on
        m.put(301);
        assert_eq!(m.alloc(), Ok(301));
        assert_eq!(m.alloc(), Err(EAGAIN));
        m.put(300); // the group is gone too
        assert_eq!(m.alloc(), Ok(300));
    }

    #[test]
    fn search_skips_long_busy_runs_like_a_scan() {
        let mut m = PidMap::default();
        m.set_pid_max(20_000).unwrap();
        for _ in 1..20_000 {
            m.alloc().unwrap();
        }
        // Free a scattered few; each search must find exactly what a
        // plain scan would, after the wrap to 300.
        for p in [299, 300, 4_095, 4_096, 4_160, 12_345, 19_999] {
            m.put(p);
        }
        let mut got = alloc::vec::Vec::new();
        while let Ok(p) = m.alloc() {
            got.push(p);
        }
        assert_eq!(got, [300, 4_095, 4_096, 4_160, 12_345, 19_999]);
        // 299 is below the wrap point and stays free.
        assert!(!m.is_busy(299));
        assert_eq!(m.in_use(), 19_998);
    }

    #[test]
    fn pid_max_bounds() {
        let mut m = PidMap::default();
        assert_eq!(m.set_pid_max(300), Err(EINVAL));
        assert_eq!(m.set_pid_max(PID_MAX_LIMIT + 1), Err(EINVAL));
        assert_eq!(m.set_pid_max(PID_MAX_LIMIT), Ok(()));
    }
}
