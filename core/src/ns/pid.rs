//! PID namespaces (Linux: kernel/pid_namespace.c, the per-level half of
//! kernel/pid.c).
//!
//! A process in a nested PID namespace has one number in its own
//! namespace and one in every namespace above it (Linux: struct pid with
//! one `struct upid` per level). Tine names every task, process group and
//! session inside the kernel by its number in the initial namespace (the
//! *global* number, from `Kernel::pids`, which stays the initial
//! namespace's allocator); this module keeps the other levels: for each
//! global number that lives below the initial namespace, its numbers at
//! levels 1 and deeper, and for each namespace the way back from its
//! numbers to the global ones. A number is translated into the caller's
//! namespace where it crosses the system-call boundary ([`PidNamespaces::nr_in`],
//! Linux: pid_nr_ns(); [`PidNamespaces::find`], Linux: find_pid_ns()).

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use crate::abi::{Errno, EAGAIN, EEXIST, EINVAL, ENOMEM, ENOSPC};
use crate::object::shared::{Handle, SharedTable};
use crate::proc::pid::{Pid, PidMap};

/// Linux: MAX_PID_NS_LEVEL, the deepest nesting (the initial namespace is
/// level 0).
pub const MAX_PID_NS_LEVEL: u32 = 32;

/// Linux: PROC_PID_INIT_INO.
const PID_INIT_INO: u32 = 0xEFFF_FFFC;

/// One PID namespace (Linux: struct pid_namespace).
pub struct PidNamespace {
    level: u32,
    /// The namespace above, held by this one (unset for the initial one).
    parent: PidNsId,
    /// This namespace's numbers (unused for the initial namespace, whose
    /// numbers are the global ones: `Kernel::pids`).
    nrs: PidMap,
    /// This namespace's numbers to global ones.
    global_of: BTreeMap<Pid, Pid>,
    /// The global TID of its init, the reaper of its orphans (0 until the
    /// first process exists). Linux: child_reaper.
    pub reaper: Pid,
    /// False once its init has exited: new processes are refused
    /// (Linux: PIDNS_ADDING cleared by disable_pid_allocation()).
    adding: bool,
    /// Its init has exited and waits, a zombie not yet reported to its
    /// parent, for every other process of the namespace to be gone
    /// (Linux: zap_pid_ns_processes()'s wait).
    pub zapped: bool,
    inum: u32,
    /// The user namespace that owns it, held by it (Linux: user_ns).
    pub owner: super::UserNsId,
}

impl PidNamespace {
    pub fn level(&self) -> u32 {
        self.level
    }

    pub fn inum(&self) -> u32 {
        self.inum
    }

    pub fn parent(&self) -> PidNsId {
        self.parent
    }
}

pub type PidNsId = Handle<PidNamespace>;

/// Every PID namespace, and the numbers of the pids that live below the
/// initial one.
#[derive(Default)]
pub struct PidNamespaces {
    table: SharedTable<PidNamespace>,
    init: PidNsId,
    /// Global number → its numbers at levels 1, 2, ... (each with its
    /// namespace). A number absent here lives in the initial namespace
    /// only. Each entry holds a reference to its deepest namespace.
    upids: BTreeMap<Pid, Vec<(PidNsId, Pid)>>,
    /// The owners of namespaces that have gone, for `Namespaces` to let
    /// go of (the user namespaces are not this table's).
    gone_owners: Vec<(super::UserNsId, u32)>,
}

impl PidNamespaces {
    /// The initial PID namespace (Linux: init_pid_ns).
    pub fn new() -> Self {
        let mut p = PidNamespaces::default();
        p.init = p.table.insert(PidNamespace {
            level: 0,
            parent: Handle::UNSET,
            nrs: PidMap::default(),
            global_of: BTreeMap::new(),
            reaper: crate::proc::exit::INIT_PID,
            adding: true,
            zapped: false,
            inum: PID_INIT_INO,
            owner: super::INIT_USER_NS,
        });
        p
    }

    pub fn init(&self) -> PidNsId {
        self.init
    }

    pub fn get(&self, ns: PidNsId) -> &PidNamespace {
        self.table.get(ns)
    }

    /// `ns`, if it still exists.
    pub fn try_get(&self, ns: PidNsId) -> Option<&PidNamespace> {
        self.table.try_get(ns)
    }

    /// The namespace whose handle number is `raw`, if it is alive.
    pub fn handle_of(&self, raw: u32) -> Option<PidNsId> {
        self.table.handle_of(raw)
    }

    pub fn get_mut(&mut self, ns: PidNsId) -> &mut PidNamespace {
        self.table.get_mut(ns)
    }

    /// Another user of `ns` (Linux: get_pid_ns()).
    pub fn hold(&mut self, ns: PidNsId) {
        self.table.hold(ns);
    }

    /// Drop one user of `ns`; the last one lets go of its parent too
    /// (Linux: put_pid_ns()).
    pub fn put(&mut self, mut ns: PidNsId) {
        while let Some(gone) = self.table.put(ns) {
            self.gone_owners.push((gone.owner, gone.inum));
            if gone.parent.is_unset() {
                break;
            }
            ns = gone.parent;
        }
    }

    /// A new namespace below `parent` (Linux: create_pid_namespace()):
    /// ENOSPC past [`MAX_PID_NS_LEVEL`]. `inum` is its /proc/PID/ns inode.
    /// `owner` is the user namespace that owns it, whose reference the
    /// caller took for it.
    pub fn create(&mut self, parent: PidNsId, inum: u32, owner: super::UserNsId) -> Result<PidNsId, Errno> {
        let level = self.table.get(parent).level + 1;
        if level > MAX_PID_NS_LEVEL {
            return Err(ENOSPC);
        }
        self.table.hold(parent);
        Ok(self.table.insert(PidNamespace {
            level,
            parent,
            nrs: PidMap::default(),
            global_of: BTreeMap::new(),
            reaper: 0,
            adding: true,
            zapped: false,
            inum,
            owner,
        }))
    }

    /// The owners of the namespaces that went since the last call, with
    /// the namespaces' inode numbers.
    pub fn take_gone_owners(&mut self) -> Vec<(super::UserNsId, u32)> {
        core::mem::take(&mut self.gone_owners)
    }

    /// The namespace global number `pid` lives in: its deepest level
    /// (Linux: ns_of_pid(), task_active_pid_ns()).
    #[inline]
    pub fn ns_of(&self, pid: Pid) -> PidNsId {
        self.upids.get(&pid).and_then(|u| u.last()).map_or(self.init, |&(ns, _)| ns)
    }

    /// The number of global `pid` in namespace `ns`, 0 when it is not
    /// visible there (Linux: pid_nr_ns()).
    pub fn nr_in(&self, pid: Pid, ns: PidNsId) -> Pid {
        if ns == self.init || pid == 0 {
            return pid;
        }
        let level = self.table.get(ns).level as usize;
        match self.upids.get(&pid).and_then(|u| u.get(level - 1)) {
            Some(&(n, nr)) if n == ns => nr,
            _ => 0,
        }
    }

    /// The global number of `nr` in namespace `ns` (Linux: find_pid_ns()),
    /// None when no pid has that number there. For the initial namespace
    /// the caller looks the number up itself.
    pub fn find(&self, nr: Pid, ns: PidNsId) -> Option<Pid> {
        if ns == self.init {
            return Some(nr);
        }
        self.table.get(ns).global_of.get(&nr).copied()
    }

    /// Whether `ns` is `ancestor` or lies below it.
    pub fn is_within(&self, mut ns: PidNsId, ancestor: PidNsId) -> bool {
        loop {
            if ns == ancestor {
                return true;
            }
            if ns.is_unset() {
                return false;
            }
            ns = self.table.get(ns).parent;
        }
    }

    /// Numbers for a new pid in `ns` and every namespace between it and
    /// the initial one, the global one from `global` (Linux: alloc_pid()).
    /// `set_tid` names the wanted numbers innermost first (clone3's
    /// array); the caller checked privilege. EINVAL for more entries than
    /// levels or a number out of range, EEXIST for a taken one, EAGAIN
    /// when a namespace is full, ENOMEM when `ns` is closed to newcomers
    /// (its init has died).
    pub fn alloc(&mut self, ns: PidNsId, global: &mut PidMap, set_tid: &[i32]) -> Result<Pid, Errno> {
        let chain = self.chain(ns);
        if set_tid.len() > chain.len() + 1 {
            return Err(EINVAL);
        }
        for &t in set_tid {
            if t < 1 || t as u32 >= global.pid_max() {
                return Err(EINVAL);
            }
        }
        // Deepest first, as Linux fills struct pid from its level up; the
        // set_tid entry for a level is the one `level` from the inside.
        let mut got: Vec<(PidNsId, Pid)> = Vec::new();
        let mut result = Ok(());
        for (i, &n) in chain.iter().enumerate() {
            let pid_max = global.pid_max();
            let _ = self.table.get_mut(n).nrs.set_pid_max(pid_max);
            let no_init = self.table.get(n).reaper == 0;
            let map = &mut self.table.get_mut(n).nrs;
            let r = match set_tid.get(i) {
                // A namespace's first process must be its init.
                Some(&t) if t != 1 && no_init => Err(EINVAL),
                Some(&t) => map.alloc_exact(t as Pid).then_some(t as Pid).ok_or(EEXIST),
                None => map.alloc(),
            };
            match r {
                Ok(nr) => got.push((n, nr)),
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        let gpid = result.and_then(|()| match set_tid.get(chain.len()) {
            Some(&t) => global.alloc_exact(t as Pid).then_some(t as Pid).ok_or(EEXIST),
            None => global.alloc().map_err(|_| EAGAIN),
        });
        // Linux: the PIDNS_ADDING test, after the numbers are taken.
        let gpid = gpid.and_then(|g| {
            if chain.first().is_some_and(|&n| !self.table.get(n).adding) {
                global.put(g);
                return Err(ENOMEM);
            }
            Ok(g)
        });
        let gpid = match gpid {
            Ok(g) => g,
            Err(e) => {
                for (n, nr) in got {
                    self.table.get_mut(n).nrs.put(nr);
                }
                return Err(e);
            }
        };
        if got.is_empty() {
            return Ok(gpid);
        }
        got.reverse(); // outermost first: index = level - 1
        for &(n, nr) in &got {
            self.table.get_mut(n).global_of.insert(nr, gpid);
        }
        self.table.hold(ns);
        self.upids.insert(gpid, got);
        Ok(gpid)
    }

    /// The namespaces from `ns` up to, not including, the initial one.
    fn chain(&self, mut ns: PidNsId) -> Vec<PidNsId> {
        let mut v = Vec::new();
        while ns != self.init {
            v.push(ns);
            ns = self.table.get(ns).parent;
        }
        v
    }

    /// Global number `pid` is free again: free its other numbers (Linux:
    /// free_pid()).
    pub fn release(&mut self, pid: Pid) {
        let Some(levels) = self.upids.remove(&pid) else { return };
        for &(n, nr) in &levels {
            let ns = self.table.get_mut(n);
            ns.nrs.put(nr);
            ns.global_of.remove(&nr);
        }
        if let Some(&(deepest, _)) = levels.last() {
            self.put(deepest);
        }
    }

    /// The namespaces global `pid` has a number in, the initial one first
    /// (Linux: pid->numbers[0..=level].ns).
    pub fn levels(&self, pid: Pid) -> Vec<PidNsId> {
        let mut v = alloc::vec![self.init];
        if let Some(u) = self.upids.get(&pid) {
            v.extend(u.iter().map(|&(ns, _)| ns));
        }
        v
    }

    /// Close `ns` to new processes (Linux: disable_pid_allocation()).
    pub fn disable_alloc(&mut self, ns: PidNsId) {
        self.table.get_mut(ns).adding = false;
    }

    /// The last number handed out in `ns` (/proc/sys/kernel/ns_last_pid),
    /// for a namespace other than the initial one.
    pub fn last(&self, ns: PidNsId) -> Pid {
        self.table.get(ns).nrs.last()
    }

    /// Writing ns_last_pid of `ns` (not the initial one).
    pub fn set_last(&mut self, ns: PidNsId, v: Pid) {
        self.table.get_mut(ns).nrs.set_last(v);
    }

    /// Live PID namespaces, for the leak checks.
    pub fn count(&self) -> usize {
        self.table.len()
    }
}
