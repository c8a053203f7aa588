//! What each user has of the things its resource limits bound, counted
//! as they come and go rather than by looking at every task (Linux:
//! `struct ucounts`, kernel/ucount.c).

use alloc::collections::BTreeMap;

/// Per-user counts, by real uid.
#[derive(Debug, Default)]
pub struct UCounts {
    /// Queued signals waiting for delivery (RLIMIT_SIGPENDING).
    sigpending: BTreeMap<u32, u64>,
}

impl UCounts {
    /// Charge one queued signal to `uid` if that keeps it within `limit`,
    /// or whatever the limit with `force` (Linux: inc_rlimit_get_ucounts()
    /// and the `override_rlimit` of __sigqueue_alloc()). True when charged.
    pub fn charge_sigpending(&mut self, uid: u32, limit: u64, force: bool) -> bool {
        let n = self.sigpending.entry(uid).or_insert(0);
        if !force && *n + 1 > limit {
            return false;
        }
        *n += 1;
        true
    }

    /// A charged signal was delivered or discarded.
    pub fn uncharge_sigpending(&mut self, uid: u32) {
        if let Some(n) = self.sigpending.get_mut(&uid) {
            *n -= 1;
            if *n == 0 {
                self.sigpending.remove(&uid);
            }
        }
    }

    /// Signals queued for `uid`'s processes (SigQ in /proc/<pid>/status).
    pub fn sigpending(&self, uid: u32) -> u64 {
        self.sigpending.get(&uid).copied().unwrap_or(0)
    }

    /// Queued signals charged to anyone (every process gone: none).
    pub fn sigpending_total(&self) -> u64 {
        self.sigpending.values().sum()
    }
}
