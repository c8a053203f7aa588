//! Pending signals with what each carries (Linux: `struct sigpending`'s
//! list of `struct sigqueue`). A standard signal is queued at most once;
//! a real-time one once per sending, in order, each with its own siginfo
//! (sigqueue(3)'s value, a timer's id). Each entry is charged to a user's
//! RLIMIT_SIGPENDING count (`proc::ucounts`) while it waits.

use alloc::collections::VecDeque;

use super::SigInfo;

/// One queued signal and the user its entry is charged to (None: not
/// charged, as a POSIX timer's preallocated entry).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Queued {
    pub info: SigInfo,
    pub charged: Option<u32>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SigQueue {
    list: VecDeque<Queued>,
}

impl SigQueue {
    pub fn push(&mut self, info: SigInfo, charged: Option<u32>) {
        self.list.push_back(Queued { info, charged });
    }

    /// The oldest entry of `sig`, taken off the queue, and whether
    /// another of `sig` is still queued (Linux: collect_signal()).
    pub fn take(&mut self, sig: u32) -> (Option<Queued>, bool) {
        let Some(i) = self.list.iter().position(|q| q.info.signo == sig) else { return (None, false) };
        let q = self.list.remove(i);
        (q, self.list.iter().skip(i).any(|q| q.info.signo == sig))
    }

    /// Every entry of `sig`, taken off the queue (Linux:
    /// flush_sigqueue_mask() for one signal).
    pub fn remove_all(&mut self, sig: u32) -> impl Iterator<Item = Queued> {
        let (gone, kept): (VecDeque<Queued>, VecDeque<Queued>) = self.list.drain(..).partition(|q| q.info.signo == sig);
        self.list = kept;
        gone.into_iter()
    }

    /// Take the first entry of `sig` that `pred` picks.
    pub fn remove_first(&mut self, sig: u32, pred: impl Fn(&SigInfo) -> bool) -> Option<Queued> {
        let i = self.list.iter().position(|q| q.info.signo == sig && pred(&q.info))?;
        self.list.remove(i)
    }

    /// The first entry of `sig` that `pred` picks.
    pub fn find_mut(&mut self, sig: u32, pred: impl Fn(&SigInfo) -> bool) -> Option<&mut SigInfo> {
        self.list.iter_mut().find(|q| q.info.signo == sig && pred(&q.info)).map(|q| &mut q.info)
    }

    /// Whether an entry of `sig` is queued.
    pub fn has(&self, sig: u32) -> bool {
        self.list.iter().any(|q| q.info.signo == sig)
    }

    /// The oldest entry of `sig`.
    pub fn first_mut(&mut self, sig: u32) -> Option<&mut SigInfo> {
        self.list.iter_mut().find(|q| q.info.signo == sig).map(|q| &mut q.info)
    }

    pub fn first(&self, sig: u32) -> Option<&SigInfo> {
        self.list.iter().find(|q| q.info.signo == sig).map(|q| &q.info)
    }

    /// Everything, emptied (a task or process going away).
    pub fn drain(&mut self) -> impl Iterator<Item = Queued> + '_ {
        self.list.drain(..)
    }

    /// The entries, oldest first (PTRACE_PEEKSIGINFO).
    pub fn iter(&self) -> impl Iterator<Item = &SigInfo> {
        self.list.iter().map(|q| &q.info)
    }

    /// How many entries wait (SigQ in /proc/<pid>/status counts them).
    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}
