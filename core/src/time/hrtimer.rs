//! The deadline queue (Linux: the hrtimer red-black tree of a CPU's clock
//! base). Everything that must happen at a point in monotonic time has one
//! entry here: a sleeper's timeout (nanosleep, futex, poll, select,
//! sigtimedwait, a console read's VTIME), ITIMER_REAL and alarm, and the
//! POSIX timers on the wall and monotonic clocks. The earliest is found
//! in O(log n), never by looking at every sleeper or timer; the timer
//! interrupt is programmed for it (or for the next scheduler tick, if
//! that comes first).
//!
//! Entries are removed when their owner changes or cancels them, and each
//! owner keeps the deadline it queued (`Task::hrtimer`, `RealTimer::queued`,
//! `PosixTimer::queued`) so that it has at most one entry. When an entry
//! fires, its owner is checked again (still asleep? still armed for this
//! time?), so that an entry left behind by a wake-up does no harm.

use alloc::collections::BTreeSet;

use crate::proc::{Pid, SignalId};

/// Whose deadline an entry is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum HrTimer {
    /// A task sleeping with a timeout (Linux: hrtimer_sleeper).
    Sleeper(Pid),
    /// A process's ITIMER_REAL (Linux: `signal->real_timer`).
    Real(SignalId),
    /// A process's POSIX timer on CLOCK_REALTIME/MONOTONIC/BOOTTIME/TAI.
    Posix(SignalId, i32),
    /// A timerfd's timer (`fs::ops::timerfd`).
    Timerfd(u32),
}

/// Deadlines ordered by time, then by owner (so two at the same
/// nanosecond are both kept, in a fixed order).
#[derive(Debug, Default)]
pub struct TimerQueue {
    queue: BTreeSet<(u64, HrTimer)>,
}

impl TimerQueue {
    /// Linux: enqueue_hrtimer(). Returns whether it is now the first.
    pub fn insert(&mut self, at: u64, t: HrTimer) -> bool {
        self.queue.insert((at, t));
        self.first() == Some(at)
    }

    /// Linux: remove_hrtimer(). Absent entries are fine.
    pub fn remove(&mut self, at: u64, t: HrTimer) {
        self.queue.remove(&(at, t));
    }

    /// The earliest deadline (Linux: the cached leftmost node).
    pub fn first(&self) -> Option<u64> {
        self.queue.first().map(|&(at, _)| at)
    }

    /// Take the earliest entry if it is due at `now` (Linux:
    /// __hrtimer_run_queues(), one at a time).
    pub fn pop_expired(&mut self, now: u64) -> Option<(u64, HrTimer)> {
        match self.queue.first() {
            Some(&(at, _)) if at <= now => self.queue.pop_first(),
            _ => None,
        }
    }

    pub fn len(&self) -> usize {
        self.queue.len()
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }
}

/// When to raise the next timer interrupt: the earliest of the queue's
/// first deadline and the next scheduler tick (Linux:
/// hrtimer_reprogram() with the tick's own hrtimer, tick_sched_timer, in
/// the same queue).
pub fn next_event(queue: &TimerQueue, next_tick: u64) -> u64 {
    queue.first().map_or(next_tick, |d| d.min(next_tick))
}

/// The tick after `now` on the grid that `tick` is on, and how many ticks
/// passed (Linux: hrtimer_forward() of the tick timer, the jiffies it adds).
pub fn forward_tick(tick: u64, now: u64, period: u64) -> (u64, u64) {
    if now < tick {
        return (tick, 0);
    }
    let n = (now - tick) / period + 1;
    (tick + n * period, n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proc::Handle;

    #[test]
    fn earliest_first_and_only_when_due() {
        let mut q = TimerQueue::default();
        assert!(q.insert(300, HrTimer::Sleeper(3)));
        assert!(q.insert(100, HrTimer::Real(Handle::test(1))));
        assert!(!q.insert(200, HrTimer::Posix(Handle::test(1), 0)));
        // Same time, other owner: both kept.
        assert!(!q.insert(200, HrTimer::Sleeper(2)));
        assert_eq!(q.len(), 4);
        assert_eq!(q.first(), Some(100));
        assert_eq!(q.pop_expired(99), None);
        assert_eq!(q.pop_expired(250), Some((100, HrTimer::Real(Handle::test(1)))));
        assert_eq!(q.pop_expired(250), Some((200, HrTimer::Sleeper(2))));
        assert_eq!(q.pop_expired(250), Some((200, HrTimer::Posix(Handle::test(1), 0))));
        assert_eq!(q.pop_expired(250), None);
        q.remove(300, HrTimer::Sleeper(3));
        q.remove(300, HrTimer::Sleeper(3));
        assert!(q.is_empty());
    }

    #[test]
    fn next_event_is_tick_or_deadline() {
        let mut q = TimerQueue::default();
        assert_eq!(next_event(&q, 4_000), 4_000);
        q.insert(1_250, HrTimer::Sleeper(5));
        assert_eq!(next_event(&q, 4_000), 1_250);
        q.insert(9_000, HrTimer::Sleeper(6));
        q.remove(1_250, HrTimer::Sleeper(5));
        assert_eq!(next_event(&q, 4_000), 4_000);
    }

    #[test]
    fn tick_forwarding_counts_missed_ticks() {
        assert_eq!(forward_tick(4_000, 3_999, 4_000), (4_000, 0));
        assert_eq!(forward_tick(4_000, 4_000, 4_000), (8_000, 1));
        assert_eq!(forward_tick(4_000, 17_000, 4_000), (20_000, 4));
    }

    #[test]
    fn many_timers_stay_ordered() {
        let mut q = TimerQueue::default();
        for i in 0..10_000u64 {
            q.insert((i * 7919) % 10_007, HrTimer::Sleeper(i as u32));
        }
        let mut last = 0;
        while let Some((at, _)) = q.pop_expired(u64::MAX) {
            assert!(at >= last);
            last = at;
        }
    }
}
