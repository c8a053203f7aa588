//! The members of each process group, kept as processes join and leave,
//! so that signalling a group, checking whether one exists and finding
//! orphaned groups look at that group only (Linux: the PIDTYPE_PGID list
//! of `struct pid`, walked by `do_each_pid_task()`).
//!
//! A process is a member from its creation (it joins its parent's group)
//! until it is reaped (a zombie still belongs, as on Linux, until
//! release_task() detaches its PIDs); setpgid() and setsid() move it. A
//! member is named by its TGID, which an exec by a non-leader thread keeps.

use alloc::collections::{BTreeMap, BTreeSet};

use super::Pid;

#[derive(Debug, Default)]
pub struct ProcessGroups {
    members: BTreeMap<Pid, BTreeSet<Pid>>,
}

impl ProcessGroups {
    /// Process `tgid` is now in group `pgid`.
    pub fn join(&mut self, pgid: Pid, tgid: Pid) {
        self.members.entry(pgid).or_default().insert(tgid);
    }

    /// Process `tgid` left group `pgid` (moved, or reaped).
    pub fn leave(&mut self, pgid: Pid, tgid: Pid) {
        if let Some(m) = self.members.get_mut(&pgid) {
            m.remove(&tgid);
            if m.is_empty() {
                self.members.remove(&pgid);
            }
        }
    }

    /// The processes of group `pgid`, zombies included, in TGID order.
    pub fn members(&self, pgid: Pid) -> impl Iterator<Item = Pid> + '_ {
        self.members.get(&pgid).into_iter().flatten().copied()
    }

    /// Memberships, all groups together (none once every process is gone).
    pub fn len(&self) -> usize {
        self.members.values().map(BTreeSet::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_move_leave() {
        let mut g = ProcessGroups::default();
        g.join(1, 1);
        g.join(1, 5);
        g.join(7, 7);
        assert_eq!(g.members(1).collect::<alloc::vec::Vec<_>>(), [1, 5]);
        g.leave(1, 5);
        g.join(7, 5);
        assert_eq!(g.members(7).collect::<alloc::vec::Vec<_>>(), [5, 7]);
        g.leave(1, 1);
        assert_eq!(g.members(1).count(), 0);
        assert_eq!(g.len(), 2);
    }
}
