//! IPC namespaces (Linux: ipc/namespace.c): each has its own System V
//! shared memory segments, semaphore sets (with their undo lists) and
//! message queues, and its own limits.
//!
//! The kernel's tables (`Kernel::shm`, `sem`, `msg`) are those of one
//! namespace at a time, the *loaded* one; the others keep theirs in their
//! `IpcNamespace`. Every path into System V IPC (its system calls, the
//! /proc files that show or tune it, exit's semaphore undo, fork's
//! CLONE_SYSVSEM) first calls [`Kernel::ipc_switch`], which loads the
//! running task's namespace: a comparison of two handles unless the
//! namespace changed since the last such call. (Linux reaches the tables
//! through `current->nsproxy->ipc_ns` on each call.)

use crate::kernel::Kernel;
use crate::ns::IpcId;

/// The tables of one IPC namespace.
#[derive(Debug, Default)]
pub struct IpcTables {
    pub shm: super::shm::ShmTable,
    pub sem: super::sem::SemTable,
    pub msg: super::msg::MsgTable,
}

impl Kernel {
    fn take_ipc_tables(&mut self) -> IpcTables {
        IpcTables {
            shm: core::mem::take(&mut self.ipc.shm),
            sem: core::mem::take(&mut self.ipc.sem),
            msg: core::mem::take(&mut self.ipc.msg),
        }
    }

    fn set_ipc_tables(&mut self, t: IpcTables) {
        (self.ipc.shm, self.ipc.sem, self.ipc.msg) = (t.shm, t.sem, t.msg);
    }

    /// The running task's nsproxy, if it has one (not a zombie's, not
    /// before the first task).
    pub(crate) fn cur_nsproxy(&self) -> Option<crate::ns::NsProxyId> {
        let cur = self.sched.current()?;
        Some(self.proc.tasks()[&cur].nsproxy).filter(|p| !p.is_unset())
    }

    /// Load the running task's IPC namespace into the kernel's tables,
    /// keeping the loaded one's in its namespace.
    pub fn ipc_switch(&mut self) {
        let Some(p) = self.cur_nsproxy() else { return };
        let want = self.ns.ipc_of(p);
        let loaded = self.ns.ipc_loaded;
        if want == loaded {
            return;
        }
        let tables = self.take_ipc_tables();
        self.ns.stash_ipc(loaded, tables);
        let t = self.ns.unstash_ipc(want);
        self.set_ipc_tables(t);
        self.ns.ipc_loaded = want;
    }

    /// IPC namespace `id` has lost its last nsproxy: destroy what it holds
    /// (Linux: free_ipc_ns() → shm_exit_ns(), sem_exit_ns(), msg_exit_ns()).
    pub(crate) fn free_ipc_ns(&mut self, id: IpcId, stashed: Option<IpcTables>) {
        let saved = match stashed {
            Some(t) => {
                let saved = self.take_ipc_tables();
                self.set_ipc_tables(t);
                Some(saved)
            }
            None => None,
        };
        self.shm_exit_ns();
        self.sem_exit_ns();
        self.msg_exit_ns();
        match saved {
            Some(s) => self.set_ipc_tables(s),
            None => {
                // The loaded namespace went: the kernel's tables are empty
                // and belong to none until the next switch.
                debug_assert_eq!(self.ns.ipc_loaded, id);
                self.set_ipc_tables(IpcTables::default());
                self.ns.ipc_loaded = crate::proc::Handle::UNSET;
            }
        }
    }

    /// Drop one user of nsproxy `p`, destroying an IPC namespace that
    /// loses its last user with it (Linux: put_nsproxy()).
    pub fn put_nsproxy(&mut self, p: crate::ns::NsProxyId) {
        let dropped = self.ns.put(p);
        self.free_dropped(dropped);
    }

    /// An open /proc/PID/ns file's hold on namespace `r` is gone.
    pub fn put_ns_ref(&mut self, r: &crate::ns::NsRef) {
        let dropped = self.ns.put_ref(r);
        self.free_dropped(dropped);
    }

    /// Destroy the namespaces a last put left.
    fn free_dropped(&mut self, dropped: crate::ns::Dropped) {
        if let Some((id, stashed)) = dropped.ipc {
            self.free_ipc_ns(id, stashed);
        }
        if let Some((id, stashed)) = dropped.mnt {
            self.free_mnt_ns(id, stashed);
        }
    }
}
