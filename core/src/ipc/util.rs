//! What System V shared memory, semaphores and message queues share
//! (Linux: ipc/util.c): an object's IPC identity and permissions, ids
//! made of a slot and a sequence number, and the key lookup of the *get
//! calls.

use alloc::collections::BTreeMap;

use crate::abi::{Ipc64Perm, SysResult, EACCES, EEXIST, EINVAL, ENOENT, EPERM};
use crate::kernel::Kernel;

pub const IPC_PRIVATE: i32 = 0;
pub const IPC_CREAT: u32 = 0o1000;
pub const IPC_EXCL: u32 = 0o2000;
pub const IPC_NOWAIT: u32 = 0o4000;
pub const IPC_RMID: i32 = 0;
pub const IPC_SET: i32 = 1;
pub const IPC_STAT: i32 = 2;
pub const IPC_INFO: i32 = 3;
/// The commands may carry IPC_64 (0x100); x86_64 has one layout.
pub const IPC_64: i32 = 0x100;
/// Linux: IPCMNI, the most ids of one kind (and the id's slot range).
pub const IPCMNI: usize = 32768;

/// An object's identity and permissions (Linux: `struct kern_ipc_perm`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IpcPerm {
    pub key: i32,
    pub uid: u32,
    pub gid: u32,
    pub cuid: u32,
    pub cgid: u32,
    /// The permission bits (0o777).
    pub mode: u32,
    pub seq: u16,
}

impl IpcPerm {
    /// The creator's identity (Linux: ipcget_new() → the newary()/newque()
    /// set-up).
    pub fn new(k: &Kernel, key: i32, flags: u32, seq: u16) -> IpcPerm {
        let c = k.cur().cred;
        IpcPerm { key, uid: c.euid, gid: c.egid, cuid: c.euid, cgid: c.egid, mode: flags & 0o777, seq }
    }

    /// As user space sees it: the ids as the caller's user namespace
    /// names them (Linux: kernel_to_ipc64_perm()).
    pub fn to_user(self, k: &Kernel) -> Ipc64Perm {
        use crate::ns::user::IdKind::{Gid, Uid};
        Ipc64Perm {
            key: self.key,
            uid: k.id_to_user(Uid, self.uid),
            gid: k.id_to_user(Gid, self.gid),
            cuid: k.id_to_user(Uid, self.cuid),
            cgid: k.id_to_user(Gid, self.cgid),
            mode: self.mode,
            seq: self.seq,
            ..Default::default()
        }
    }

    /// Linux: ipcperms(): the owner's, group's or others' bits must grant
    /// `want` (4 read, 2 write), unless the caller has CAP_IPC_OWNER in
    /// the user namespace that owns the IPC namespace.
    pub fn check(&self, k: &Kernel, want: u32) -> SysResult<()> {
        let t = k.cur();
        let c = t.cred;
        let bits = if c.euid == self.cuid || c.euid == self.uid {
            self.mode >> 6
        } else if c.egid == self.cgid || c.egid == self.gid || t.groups.iter().any(|&g| g == self.gid || g == self.cgid)
        {
            self.mode >> 3
        } else {
            self.mode
        };
        if want & !bits & 7 == 0 || ipc_ns_capable(k, crate::proc::capability::CAP_IPC_OWNER) {
            Ok(())
        } else {
            Err(EACCES)
        }
    }

    /// Linux: ipcctl_obtain_check(): IPC_SET and IPC_RMID need the owner,
    /// the creator or CAP_SYS_ADMIN over the IPC namespace.
    pub fn check_owner(&self, k: &Kernel) -> SysResult<()> {
        let c = k.cur().cred;
        if c.euid == self.uid || c.euid == self.cuid || ipc_ns_capable(k, crate::proc::capability::CAP_SYS_ADMIN) {
            Ok(())
        } else {
            Err(EPERM)
        }
    }

    /// IPC_SET's new owner, as kernel ids: EINVAL for an id without a
    /// mapping in the caller's user namespace (Linux: ipc_update_perm()).
    pub fn from_user(k: &Kernel, from: &Ipc64Perm) -> SysResult<Ipc64Perm> {
        use crate::ns::user::IdKind::{Gid, Uid};
        Ok(Ipc64Perm { uid: k.id_from_user(Uid, from.uid)?, gid: k.id_from_user(Gid, from.gid)?, ..*from })
    }

    /// IPC_SET's part common to every kind (Linux: ipc_update_perm()),
    /// with ids from [`IpcPerm::from_user`].
    pub fn set(&mut self, from: &Ipc64Perm) {
        self.uid = from.uid;
        self.gid = from.gid;
        self.mode = (self.mode & !0o777) | (from.mode & 0o777);
    }
}

/// Does the caller hold `cap` in the user namespace that owns its IPC
/// namespace? (Linux: ns_capable(ns->user_ns, cap).)
fn ipc_ns_capable(k: &Kernel, cap: u32) -> bool {
    let owner = k.ns.ipc_owner(k.cur().nsproxy);
    k.ns.user.ns_capable(&k.cur().cred, owner, cap)
}

/// One kind's objects by slot (Linux: `struct ipc_ids` with its IDR).
#[derive(Debug)]
pub struct IpcIds<T> {
    pub by_slot: BTreeMap<usize, T>,
    seq: u16,
}

impl<T> Default for IpcIds<T> {
    fn default() -> Self {
        IpcIds { by_slot: BTreeMap::new(), seq: 0 }
    }
}

/// What an IPC object exposes to the table.
pub trait IpcObject {
    fn perm(&self) -> &IpcPerm;
}

impl<T: IpcObject> IpcIds<T> {
    /// Linux: ipc_buildid(): slot + seq * IPCMNI.
    pub fn id_of(slot: usize, o: &T) -> i32 {
        o.perm().seq as i32 * IPCMNI as i32 + slot as i32
    }

    /// The slot of object `id`: EINVAL if none has that id (Linux:
    /// ipc_obtain_object_check()).
    pub fn find(&self, id: i32) -> SysResult<usize> {
        if id < 0 {
            return Err(EINVAL);
        }
        let slot = id as usize % IPCMNI;
        match self.by_slot.get(&slot) {
            Some(o) if Self::id_of(slot, o) == id => Ok(slot),
            _ => Err(EINVAL),
        }
    }

    /// The *get calls' lookup by key (Linux: ipcget_public()): Ok(Some(id))
    /// for an existing object the caller may use with `flags`' bits,
    /// Ok(None) when one must be made, ENOENT/EEXIST otherwise.
    pub fn lookup(&self, k: &Kernel, key: i32, flags: u32) -> SysResult<Option<(usize, i32)>> {
        if key == IPC_PRIVATE {
            return Ok(None);
        }
        match self.by_slot.iter().find(|(_, o)| o.perm().key == key) {
            Some((&slot, o)) => {
                if flags & IPC_CREAT != 0 && flags & IPC_EXCL != 0 {
                    return Err(EEXIST);
                }
                o.perm().check(k, (flags >> 6) & 7)?;
                Ok(Some((slot, Self::id_of(slot, o))))
            }
            None if flags & IPC_CREAT == 0 => Err(ENOENT),
            None => Ok(None),
        }
    }

    /// The next sequence number for a new object.
    pub fn next_seq(&mut self) -> u16 {
        self.seq = self.seq.wrapping_add(1) % (i32::MAX as usize / IPCMNI) as u16;
        self.seq
    }

    /// A free slot below `max`, the lowest (Linux: idr_alloc()).
    pub fn free_slot(&self, max: usize) -> Option<usize> {
        (0..max.min(IPCMNI)).find(|i| !self.by_slot.contains_key(i))
    }

    /// The highest slot in use (IPC_INFO's answer), 0 if none.
    pub fn max_slot(&self) -> usize {
        self.by_slot.keys().next_back().copied().unwrap_or(0)
    }
}

/// Seconds since the epoch, as the *_time fields keep them.
pub fn now_secs(k: &Kernel) -> i64 {
    (k.now_real() / 1_000_000_000) as i64
}

impl Kernel {
    /// Tell every task asleep on `key` that its object is gone, so that
    /// its re-run call answers EIDRM (Linux: freeque() and freeary() wake
    /// their sleepers with -EIDRM).
    pub(super) fn mark_ipc_sleepers_removed(&mut self, key: crate::proc::waitqueue::WaitKey) {
        for p in self.sched.waitqueues().sleepers(key).to_vec() {
            if let Some(t) = self.proc.tasks_mut().get_mut(&p) {
                if let crate::proc::Resume::Ipc { removed, .. } = &mut t.resume {
                    *removed = true;
                }
            }
        }
    }
}
