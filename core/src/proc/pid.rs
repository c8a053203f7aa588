//! Process ids (Linux: kernel/pid.c, alloc_pid() and the pid namespace's
//! IDR).
//!
//! PIDs are handed out in increasing order, starting at 1 for init, up to
//! `pid_max - 1`; then the search wraps around to `RESERVED_PIDS` (300),
//! which keeps the low numbers for the early system daemons. A number is
//! busy while anything still uses it: a task (alive or zombie) with that
//! TID, or a process group or session with that id. When every number is
//! busy, fork fails with EAGAIN.

use alloc::collections::BTreeMap;

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
}

impl Default for PidMap {
    fn default() -> Self {
        PidMap { pid_max: PID_MAX_DEFAULT, last: 0, busy: BTreeMap::new() }
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
        self.busy.insert(pid, 1);
        self.last = pid;
        Ok(pid)
    }

    /// The lowest free number in `from..to`.
    fn first_free(&self, from: Pid, to: Pid) -> Option<Pid> {
        let mut want = from;
        for (&p, _) in self.busy.range(from..to) {
            if p != want {
                break;
            }
            want += 1;
        }
        (want < to).then_some(want)
    }

    /// Reserve a specific number (clone3's set_tid); false if busy.
    pub fn alloc_exact(&mut self, pid: Pid) -> bool {
        if pid == 0 || pid >= self.pid_max || self.busy.contains_key(&pid) {
            return false;
        }
        self.busy.insert(pid, 1);
        true
    }

    /// Something else (a process group, a session) now uses `pid` too.
    pub fn hold(&mut self, pid: Pid) {
        *self.busy.get_mut(&pid).expect("held pid is busy") += 1;
    }

    /// One user of `pid` is gone; the last frees the number (Linux: put_pid()).
    pub fn put(&mut self, pid: Pid) {
        let n = self.busy.get_mut(&pid).expect("put of a busy pid");
        *n -= 1;
        if *n == 0 {
            self.busy.remove(&pid);
        }
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
    fn pid_max_bounds() {
        let mut m = PidMap::default();
        assert_eq!(m.set_pid_max(300), Err(EINVAL));
        assert_eq!(m.set_pid_max(PID_MAX_LIMIT + 1), Err(EINVAL));
        assert_eq!(m.set_pid_max(PID_MAX_LIMIT), Ok(()));
    }
}
