//! What each user has of the things its resource limits bound, counted
//! as they come and go rather than by looking at every task (Linux:
//! `struct ucounts`, kernel/ucount.c).

use alloc::collections::BTreeMap;

/// Per-user counts, by real uid.
#[derive(Debug, Default)]
pub struct UCounts {
    /// Queued signals waiting for delivery (RLIMIT_SIGPENDING).
    sigpending: BTreeMap<u32, u64>,
    /// Pipe pages (slots) of the user's pipes (Linux:
    /// `user_struct.pipe_bufs`), by real uid.
    pipe_bufs: BTreeMap<u32, u64>,
    /// Tasks, zombies included, by real uid (RLIMIT_NPROC; Linux:
    /// UCOUNT_RLIMIT_NPROC, raised in copy_creds(), moved by
    /// commit_creds(), lowered in release_task()).
    nproc: BTreeMap<u32, u64>,
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

    /// Replace `old` pipe pages charged to `uid` by `new`; returns what
    /// `uid` has now (Linux: account_pipe_buffers()).
    pub fn account_pipe_buffers(&mut self, uid: u32, old: u64, new: u64) -> u64 {
        let n = self.pipe_bufs.entry(uid).or_insert(0);
        *n = (*n + new).saturating_sub(old);
        let now = *n;
        if now == 0 {
            self.pipe_bufs.remove(&uid);
        }
        now
    }

    /// A task of `uid` was created.
    pub fn inc_nproc(&mut self, uid: u32) {
        *self.nproc.entry(uid).or_insert(0) += 1;
    }

    /// A task of `uid` was released.
    pub fn dec_nproc(&mut self, uid: u32) {
        if let Some(n) = self.nproc.get_mut(&uid) {
            *n -= 1;
            if *n == 0 {
                self.nproc.remove(&uid);
            }
        }
    }

    /// A task's real uid changed from `old` to `new`.
    pub fn move_nproc(&mut self, old: u32, new: u32) {
        if old != new {
            self.dec_nproc(old);
            self.inc_nproc(new);
        }
    }

    /// Tasks of `uid`, zombies included.
    pub fn nproc(&self, uid: u32) -> u64 {
        self.nproc.get(&uid).copied().unwrap_or(0)
    }

    /// Tasks counted for anyone (every task released: none).
    pub fn nproc_total(&self) -> u64 {
        self.nproc.values().sum()
    }

    /// Pipe pages charged to anyone (every pipe gone: none).
    pub fn pipe_bufs_total(&self) -> u64 {
        self.pipe_bufs.values().sum()
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
