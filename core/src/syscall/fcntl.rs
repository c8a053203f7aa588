//! fcntl's owner, signal and lease commands (Linux: fs/fcntl.c f_setown(),
//! f_setown_ex(), f_getown_ex(), F_SETSIG; fs/locks.c fcntl_setlease(),
//! fcntl_getlease()).
//!
//! Tine sends no SIGIO for I/O, so the owner and signal serve the lease
//! break only (`fs::lease`). Leases are granted and refused as
//! generic_setlease() does, and dropped with their description.

use crate::abi::*;
use crate::fs::file::{FileId, Owner, OwnerType};
use crate::fs::FileType;
use crate::kernel::Kernel;
use crate::proc::capability::CAP_LEASE;

pub const F_SETOWN: u32 = 8;
pub const F_GETOWN: u32 = 9;
pub const F_SETSIG: u32 = 10;
pub const F_GETSIG: u32 = 11;
pub const F_SETOWN_EX: u32 = 15;
pub const F_GETOWN_EX: u32 = 16;
pub const F_SETLEASE: u32 = 1024;
pub const F_GETLEASE: u32 = 1025;

const F_OWNER_TID: i32 = 0;
const F_OWNER_PID: i32 = 1;
const F_OWNER_PGRP: i32 = 2;

const F_RDLCK: u32 = 0;
const F_WRLCK: u32 = 1;
const F_UNLCK: u32 = 2;

/// The owner, signal and lease commands of fcntl.
pub fn fcntl_owner(k: &mut Kernel, id: FileId, cmd: u32, arg: u64) -> SysResult {
    match cmd {
        // Linux: f_getown(): the owner's number in the caller's PID
        // namespace (0 if it has none there), a process group negative.
        F_GETOWN => {
            let o = k.vfs.files().get(id).owner;
            let pid = k.pid_vnr(o.pid);
            Ok(if o.kind == OwnerType::Pgrp { (pid as i32).wrapping_neg() as isize as usize } else { pid as usize })
        }
        // Linux: f_setown(): negative for a process group, INT_MIN
        // EINVAL, ESRCH for a number nobody uses in the caller's PID
        // namespace (find_vpid()). The owner is kept by global number.
        F_SETOWN => {
            let who = arg as i32;
            if who == i32::MIN {
                return Err(EINVAL);
            }
            let kind = if who < 0 { OwnerType::Pgrp } else { OwnerType::Pid };
            let pid = owner_pid(k, who.unsigned_abs())?;
            k.vfs.files_mut().get_mut(id).owner = Owner { pid, kind };
            Ok(0)
        }
        // Linux: f_getown_ex(): the number as F_GETOWN gives it.
        F_GETOWN_EX => {
            let o = k.vfs.files().get(id).owner;
            let kind = match o.kind {
                OwnerType::Tid => F_OWNER_TID,
                OwnerType::Pid => F_OWNER_PID,
                OwnerType::Pgrp => F_OWNER_PGRP,
            };
            k.write_val(arg, &FOwnerEx { kind, pid: k.pid_vnr(o.pid) as i32 })?;
            Ok(0)
        }
        // Linux: f_setown_ex(): EFAULT, EINVAL for an unknown type, ESRCH.
        F_SETOWN_EX => {
            let FOwnerEx { kind, pid } = k.read_val(arg)?;
            let kind = match kind {
                F_OWNER_TID => OwnerType::Tid,
                F_OWNER_PID => OwnerType::Pid,
                F_OWNER_PGRP => OwnerType::Pgrp,
                _ => return Err(EINVAL),
            };
            if pid < 0 {
                return Err(ESRCH);
            }
            let pid = owner_pid(k, pid as u32)?;
            k.vfs.files_mut().get_mut(id).owner = Owner { pid, kind };
            Ok(0)
        }
        F_GETSIG => Ok(k.vfs.files().get(id).signum as usize),
        // Linux: valid_signal(): 0 (SIGIO) to _NSIG.
        F_SETSIG => {
            let sig = arg as i32 as i64 as u64;
            if sig > 64 {
                return Err(EINVAL);
            }
            k.vfs.files_mut().get_mut(id).signum = sig as u32;
            Ok(0)
        }
        // Linux: fcntl_getlease(): a lease being broken shows its target.
        F_GETLEASE => {
            let f = k.vfs.files().get(id);
            Ok(f.lease_break.map_or(f.lease, |b| b.target) as usize)
        }
        F_SETLEASE => setlease(k, id, arg as u32),
        _ => Err(EINVAL),
    }
}

/// The global number of owner `nr`, a number in the caller's PID
/// namespace: 0 stays 0 (no owner), ESRCH if nothing has that number
/// there (Linux: find_vpid() in f_setown() and f_setown_ex()).
fn owner_pid(k: &Kernel, nr: u32) -> SysResult<u32> {
    if nr == 0 {
        return Ok(0);
    }
    match k.find_vpid(nr) {
        0 => Err(ESRCH),
        pid if k.proc.pids().is_busy(pid) => Ok(pid),
        _ => Err(ESRCH),
    }
}

/// Linux: fcntl_setlease() → vfs_setlease() → generic_setlease(): the
/// owner (or CAP_LEASE) of a regular file; F_RDLCK is EAGAIN while anyone
/// has the file open for writing, F_WRLCK while anyone but this
/// description has it open at all or holds a lease; F_UNLCK without a
/// lease is EAGAIN.
fn setlease(k: &mut Kernel, id: FileId, arg: u32) -> SysResult {
    let f = k.vfs.files().get(id).clone();
    let ino = f.kind.data_ino().or(f.ino).ok_or(EINVAL)?;
    let inode = k.vfs.fs().inode(ino)?;
    let cred = k.fs_cred();
    if inode.uid() != cred.uid && !cred.capable(CAP_LEASE) {
        return Err(EACCES);
    }
    if inode.file_type() != FileType::Regular || f.kind.data_ino().is_none() {
        return Err(EINVAL);
    }
    match arg {
        F_UNLCK => {
            if f.lease == F_UNLCK {
                return Err(EAGAIN);
            }
        }
        F_RDLCK | F_WRLCK => {
            // Linux: check_conflicting_open() with i_writecount and
            // i_readcount, and the leases of other descriptions. Tine
            // counts the descriptions of the inode (a rare call).
            let (mut writers, mut readers, mut leases) = (0, 0, 0);
            for (other, o) in k.vfs.files().iter() {
                if o.kind.data_ino() != Some(ino) || o.flags & O_PATH != 0 {
                    continue;
                }
                if o.writable() {
                    writers += 1;
                } else {
                    readers += 1;
                }
                if other != id && o.lease != F_UNLCK {
                    leases += 1;
                }
            }
            let conflict = if arg == F_RDLCK {
                writers > 0
            } else {
                let (self_w, self_r) = if f.writable() { (1, 0) } else { (0, 1) };
                writers != self_w || readers != self_r || leases > 0
            };
            if conflict {
                return Err(EAGAIN);
            }
        }
        _ => return Err(EINVAL),
    }
    let f = k.vfs.files_mut().get_mut(id);
    let was = f.lease;
    f.lease = arg;
    if arg != F_UNLCK {
        // Linux: do_fcntl_add_lease() → __f_setown(): the lease's
        // signal goes to the caller's process.
        let tgid = k.cur().tgid;
        k.vfs.files_mut().get_mut(id).owner = Owner { pid: tgid, kind: OwnerType::Pid };
    }
    match (was == F_UNLCK, arg == F_UNLCK) {
        (true, false) => k.vfs.lease_taken(),
        (false, true) => k.vfs.lease_dropped(),
        _ => {}
    }
    k.lease_changed(id, arg);
    Ok(0)
}
