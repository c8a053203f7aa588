//! Wait queues: who sleeps on what, so that a wake-up visits only the
//! tasks waiting for that thing.
//!
//! Linux gives every object that can be waited for its own
//! `wait_queue_head` (a pipe's `rd_wait`/`wr_wait`, a process's
//! `signal->wait_chldexit`, the tty's `read_wait`, ...), and `wake_up()`
//! walks that list only. Tine names the object by a [`WaitKey`] and keeps
//! one queue per key, each in TID order (the order wake-ups have always
//! gone in here). A task is on at most one queue: the one of the reason it
//! sleeps for; it leaves it when woken, by this queue or by anything else
//! (a signal, its deadline), and when it stops or dies asleep.
//!
//! Some sleeps have no queue: `nanosleep` and `pause` end only by their
//! deadline or a signal, a futex waiter is on the futex's own list, and a
//! vfork parent is woken by its child directly.

use alloc::vec::Vec;

use super::{Pid, WaitReason};
use crate::hashmap::HashMap;

/// The thing a sleeper waits for (Linux: which `wait_queue_head`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WaitKey {
    /// The console: input to read, or output to resume (Linux: the tty's
    /// `read_wait` and `write_wait`).
    Console,
    /// A pipe or FIFO, to read or write (Linux: `pipe->rd_wait`, `wr_wait`).
    Pipe(u32),
    /// A child of process `tgid` changing state (Linux:
    /// `signal->wait_chldexit`).
    ChildExit(Pid),
    /// Any poll/ppoll/select (Linux: each polled file's queues).
    Poll,
    /// Some file lock released (Linux: the lock's `flc_wait`).
    FileLock,
    /// A signal queued for a signalfd reader (Linux: `sighand->signalfd_wqh`).
    Signalfd,
    /// A record logged, for syslog and /dev/kmsg readers (Linux: `log_wait`).
    Syslog,
    /// A trace record, for trace_pipe readers (Linux: the ring buffer's
    /// `rb_irq_work` wait queue).
    TracePipe,
    /// Eventfd N's counter changed (Linux: `eventfd_ctx->wqh`).
    Eventfd(u32),
    /// Timerfd N expired (Linux: `timerfd_ctx->wqh`).
    Timerfd(u32),
    /// AF_UNIX socket N's queue or state changed (Linux: `sk->sk_wq`).
    Socket(u32),
    /// A System V semaphore set changed (Linux: the set's pending_alter
    /// and pending_const lists).
    Sem(i32),
    /// A System V message queue gained a message or room (Linux: the
    /// queue's q_receivers and q_senders).
    Msg(i32),
}

impl WaitReason {
    /// The queue a task sleeping for this waits on, if any.
    pub fn queue(self) -> Option<WaitKey> {
        match self {
            WaitReason::ConsoleInput { .. } => Some(WaitKey::Console),
            WaitReason::Pipe(p) => Some(WaitKey::Pipe(p)),
            WaitReason::ChildExit { tgid } => Some(WaitKey::ChildExit(tgid)),
            WaitReason::Poll { .. } => Some(WaitKey::Poll),
            WaitReason::FileLock | WaitReason::LeaseBreak { .. } => Some(WaitKey::FileLock),
            WaitReason::Signalfd => Some(WaitKey::Signalfd),
            WaitReason::Syslog => Some(WaitKey::Syslog),
            WaitReason::TracePipe => Some(WaitKey::TracePipe),
            WaitReason::Eventfd(n) => Some(WaitKey::Eventfd(n)),
            WaitReason::Timerfd(n) => Some(WaitKey::Timerfd(n)),
            WaitReason::Socket(n) => Some(WaitKey::Socket(n)),
            WaitReason::Sem { id, .. } => Some(WaitKey::Sem(id)),
            WaitReason::Msg { id } => Some(WaitKey::Msg(id)),
            WaitReason::Sleep { .. }
            | WaitReason::Pause
            | WaitReason::Futex { .. }
            | WaitReason::Vfork
            | WaitReason::SigWait { .. } => None,
        }
    }
}

/// Every non-empty wait queue.
#[derive(Debug, Default)]
pub struct WaitQueues {
    queues: HashMap<WaitKey, Vec<Pid>>,
    /// Emptied queues' vectors, kept for the next ones: a task that
    /// sleeps and is woken in turn (a pipe's reader) allocates nothing
    /// (Linux's queues live in their objects and allocate nothing either).
    spare: Vec<Vec<Pid>>,
}

/// How many emptied vectors [`WaitQueues`] keeps.
const SPARE: usize = 8;

impl WaitQueues {
    /// Put `tid` on `key`'s queue (Linux: add_wait_queue()).
    pub fn add(&mut self, key: WaitKey, tid: Pid) {
        let spare = &mut self.spare;
        let q = self.queues.entry(key).or_insert_with(|| spare.pop().unwrap_or_default());
        if let Err(at) = q.binary_search(&tid) {
            q.insert(at, tid);
        }
    }

    /// Take `tid` off `key`'s queue (Linux: remove_wait_queue()).
    pub fn remove(&mut self, key: WaitKey, tid: Pid) {
        if let Some(q) = self.queues.get_mut(&key) {
            if let Ok(at) = q.binary_search(&tid) {
                q.remove(at);
            }
            if q.is_empty() {
                let q = self.queues.remove(&key).unwrap_or_default();
                self.recycle(q);
            }
        }
    }

    /// The sleepers on `key`'s queue, in TID order, left there.
    pub fn sleepers(&self, key: WaitKey) -> &[Pid] {
        self.queues.get(&key).map_or(&[], |q| q.as_slice())
    }

    /// Empty `key`'s queue, returning its sleepers in TID order; give the
    /// vector back with [`recycle`](Self::recycle) once done with it.
    pub fn take(&mut self, key: WaitKey) -> Vec<Pid> {
        self.queues.remove(&key).unwrap_or_default()
    }

    /// Keep a vector [`take`](Self::take) returned for a later queue.
    pub fn recycle(&mut self, mut q: Vec<Pid>) {
        if self.spare.len() < SPARE && q.capacity() > 0 {
            q.clear();
            self.spare.push(q);
        }
    }

    /// Tasks on any queue (none once every task is gone).
    pub fn len(&self) -> usize {
        self.queues.values().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.queues.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queues_keep_tid_order_and_vanish_when_empty() {
        let mut w = WaitQueues::default();
        w.add(WaitKey::Pipe(3), 9);
        w.add(WaitKey::Pipe(3), 2);
        w.add(WaitKey::Pipe(3), 9);
        w.add(WaitKey::ChildExit(1), 5);
        assert_eq!(w.len(), 3);
        w.remove(WaitKey::ChildExit(1), 5);
        assert_eq!(w.len(), 2);
        assert_eq!(w.take(WaitKey::Pipe(3)), [2, 9]);
        assert!(w.take(WaitKey::Pipe(3)).is_empty());
        assert!(w.is_empty());
    }
}
