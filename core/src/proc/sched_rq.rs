//! One CPU's run queue (Linux: struct rq with its cfs_rq): the runnable
//! tasks waiting for that CPU, in the order they will run, by virtual
//! runtime. The task a CPU runs is not on its queue.

use alloc::collections::VecDeque;

use super::Pid;

/// The tasks waiting for one CPU, smallest virtual runtime first; tasks
/// with the same virtual runtime run in the order they were queued.
///
/// Linux keeps them in a red-black tree; here a sorted ring buffer. Queues
/// are short but for fork bombs, and the two insertions that happen most
/// land near an end, where `VecDeque::insert` moves few entries: a task
/// preempted after its slice goes after most others, a woken sleeper
/// (given a head start, see `sched_fair`) before them. A queue that has
/// emptied keeps its buffer, so that queuing allocates nothing.
#[derive(Debug, Default)]
pub struct RunQueue {
    tasks: VecDeque<(u64, Pid)>,
    /// The smallest virtual runtime of this CPU's tasks, the queued ones
    /// and the running one, as last looked at; it never goes back
    /// (Linux: cfs_rq->min_vruntime). Tasks are placed relative to it.
    min_vruntime: u64,
}

impl RunQueue {
    /// How many tasks wait (the running one not counted).
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    pub fn min_vruntime(&self) -> u64 {
        self.min_vruntime
    }

    /// The waiting tasks with their virtual runtimes, the next to run
    /// first.
    pub fn iter(&self) -> impl Iterator<Item = (u64, Pid)> + '_ {
        self.tasks.iter().copied()
    }

    /// The `i`th task in running order.
    pub fn get(&self, i: usize) -> Option<(u64, Pid)> {
        self.tasks.get(i).copied()
    }

    /// The largest virtual runtime queued: where a task yielding goes.
    pub fn max_vruntime(&self) -> Option<u64> {
        self.tasks.back().map(|e| e.0)
    }

    /// Queue `pid` with virtual runtime `vruntime`, after every task whose
    /// virtual runtime is not larger (Linux: __enqueue_entity()).
    pub fn insert(&mut self, vruntime: u64, pid: Pid) {
        // Last is the common case (one task, or a preempted one), and the
        // cheapest.
        if self.tasks.back().is_none_or(|e| e.0 <= vruntime) {
            self.tasks.push_back((vruntime, pid));
            return;
        }
        let i = self.tasks.partition_point(|e| e.0 <= vruntime);
        self.tasks.insert(i, (vruntime, pid));
    }

    /// Take `pid`, queued with `vruntime`, off the queue; false if it was
    /// not there (Linux: __dequeue_entity()).
    pub fn remove(&mut self, vruntime: u64, pid: Pid) -> bool {
        let from = self.tasks.partition_point(|e| e.0 < vruntime);
        let found = self.tasks.range(from..).take_while(|e| e.0 == vruntime).position(|e| e.1 == pid);
        match found {
            Some(i) => {
                self.tasks.remove(from + i);
                true
            }
            None => false,
        }
    }

    /// Take the `i`th task off the queue.
    pub fn take(&mut self, i: usize) -> Option<(u64, Pid)> {
        if i == 0 {
            self.tasks.pop_front()
        } else {
            self.tasks.remove(i)
        }
    }

    /// Whether `pid` waits here (a scan: for diagnostics).
    pub fn contains(&self, pid: Pid) -> bool {
        self.tasks.iter().any(|e| e.1 == pid)
    }

    /// Move `min_vruntime` up to the smallest virtual runtime among the
    /// queued tasks and `running` (the running task's, if any), never back
    /// (Linux: update_min_vruntime()).
    pub fn update_min(&mut self, running: Option<u64>) {
        let first = self.tasks.front().map(|e| e.0);
        let least = match (first, running) {
            (Some(a), Some(b)) => a.min(b),
            (Some(a), None) | (None, Some(a)) => a,
            (None, None) => return,
        };
        self.min_vruntime = self.min_vruntime.max(least);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordered_by_vruntime_then_arrival() {
        let mut q = RunQueue::default();
        q.insert(10, 1);
        q.insert(5, 2);
        q.insert(10, 3);
        q.insert(7, 4);
        let order: alloc::vec::Vec<Pid> = q.iter().map(|e| e.1).collect();
        assert_eq!(order, [2, 4, 1, 3]);
        assert!(q.remove(10, 3));
        assert!(!q.remove(10, 3), "gone already");
        assert!(!q.remove(9, 1), "found only under its own key");
        assert_eq!(q.take(0), Some((5, 2)));
        assert_eq!(q.max_vruntime(), Some(10));
        assert_eq!(q.len(), 2);
    }

    #[test]
    fn min_vruntime_never_goes_back() {
        let mut q = RunQueue::default();
        q.insert(100, 1);
        q.update_min(Some(50));
        assert_eq!(q.min_vruntime(), 50);
        q.update_min(None);
        assert_eq!(q.min_vruntime(), 100);
        q.take(0);
        q.update_min(Some(20));
        assert_eq!(q.min_vruntime(), 100, "a woken task placed below it does not pull it back");
    }
}
