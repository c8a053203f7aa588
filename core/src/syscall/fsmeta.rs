//! Calls that change names and attributes rather than contents: chmod,
//! symlink, link, rename (Linux: fs/namei.c, fs/open.c).

use crate::abi::*;
use crate::fs::mount::MountId;
use crate::fs::perm::{self, MAY_WRITE};
use crate::fs::{Ino, Lookup};
use crate::kernel::Kernel;
use crate::ns::user::IdKind;
use crate::proc::capability::CAP_CHOWN;

/// Linux: chmod_common() with setattr_prepare()'s rules: only the owner
/// or CAP_FOWNER may change the mode; a caller outside the file's group
/// without CAP_FSETID cannot set S_ISGID (it is cleared, not refused).
fn chmod_inode(k: &mut Kernel, (mnt, ino): (MountId, Ino), mode: u32) -> SysResult {
    k.vfs.fs().mnt_want_write(mnt)?;
    let cred = k.fs_cred();
    let inode = k.vfs.fs().inode(ino)?;
    if !cred.owner_or_capable(inode) {
        return Err(EPERM);
    }
    let mut mode = mode & 0o7777;
    if !cred.in_group_or_capable(inode) {
        mode &= !S_ISGID;
    }
    let now = k.m.clock.boot_epoch_ns() + k.now_ns();
    k.vfs.fs_mut().chmod(ino, mode, now)?;
    Ok(0)
}

/// fchmodat(2) (and chmod(2) with AT_FDCWD).
pub fn fchmodat(k: &mut Kernel, dirfd: i32, path: u64, mode: u32) -> SysResult {
    let path = k.read_cstr(path, 4096)?;
    let start = k.start_dir(dirfd, &path)?;
    let at = k.vfs.fs().lookup_mnt(&k.fs_cred(), start, &path, Lookup::FOLLOW)?;
    chmod_inode(k, at, mode)
}

/// fchmod(2).
pub fn fchmod(k: &mut Kernel, fd: i32, mode: u32) -> SysResult {
    let id = k.fd_file(fd)?;
    let ino = k.vfs.files().get(id).ino.ok_or(EINVAL)?;
    chmod_inode(k, file_place(k, ino), mode)
}

/// Where a descriptor's inode is: an open file keeps no mount, so the
/// one that shows it (only bind mounts make that ambiguous).
fn file_place(k: &Kernel, ino: Ino) -> (MountId, Ino) {
    (k.vfs.fs().mount_at(ino), ino)
}

/// symlinkat(2) (and symlink(2)).
pub fn symlinkat(k: &mut Kernel, target: u64, dirfd: i32, path: u64) -> SysResult {
    let target = k.read_cstr(target, 4096)?;
    let path = k.read_cstr(path, 4096)?;
    let start = k.start_dir(dirfd, &path)?;
    let now = k.m.clock.boot_epoch_ns() + k.now_ns();
    let cred = k.fs_cred();
    k.vfs.fs_mut().symlink_at(&cred, &target, start, &path, now)?;
    Ok(0)
}

/// linkat(2) (and link(2)): AT_SYMLINK_FOLLOW and AT_EMPTY_PATH.
pub fn linkat(k: &mut Kernel, olddir: i32, old: u64, newdir: i32, new: u64, flags: u32) -> SysResult {
    const AT_SYMLINK_FOLLOW: u32 = 0x400;
    if flags & !(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(EINVAL);
    }
    let old = k.read_cstr(old, 4096)?;
    let new = k.read_cstr(new, 4096)?;
    let mut lf = Lookup::empty();
    if flags & AT_SYMLINK_FOLLOW != 0 {
        lf |= Lookup::FOLLOW;
    }
    if flags & AT_EMPTY_PATH != 0 {
        lf |= Lookup::EMPTY;
    }
    let (os, ns) = (k.start_dir(olddir, &old)?, k.start_dir(newdir, &new)?);
    let now = k.m.clock.boot_epoch_ns() + k.now_ns();
    let cred = k.fs_cred();
    k.vfs.fs_mut().link_at(&cred, os, &old, lf, ns, &new, now)?;
    Ok(0)
}

/// renameat2(2) (and rename, renameat).
pub fn renameat2(k: &mut Kernel, olddir: i32, old: u64, newdir: i32, new: u64, flags: u32) -> SysResult {
    let old = k.read_cstr(old, 4096)?;
    let new = k.read_cstr(new, 4096)?;
    let (os, ns) = (k.start_dir(olddir, &old)?, k.start_dir(newdir, &new)?);
    let now = k.m.clock.boot_epoch_ns() + k.now_ns();
    let cred = k.fs_cred();
    k.vfs.fs_mut().rename_at(&cred, os, &old, ns, &new, flags, now)?;
    Ok(0)
}

/// Linux: do_utimes(): set access and modification times. NULL times (or
/// both UTIME_NOW) means now, which needs ownership, CAP_FOWNER or write
/// permission (EACCES); any other times need ownership or CAP_FOWNER
/// (EPERM), even UTIME_NOW for one of them (Linux: ATTR_TIMES_SET).
pub fn utimensat(k: &mut Kernel, dirfd: i32, path: u64, times: u64, flags: u32) -> SysResult {
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(EINVAL);
    }
    let now = k.m.clock.boot_epoch_ns() + k.now_ns();
    let (atime, mtime, explicit) = if times == 0 {
        (Some(now), Some(now), false)
    } else {
        let mut b = [0u8; 32];
        k.copy_in(times, &mut b)?;
        let field = |i: usize| -> SysResult<(Option<u64>, bool)> {
            let sec = i64::from_le_bytes(b[i * 16..i * 16 + 8].try_into().expect("8 bytes"));
            let nsec = i64::from_le_bytes(b[i * 16 + 8..i * 16 + 16].try_into().expect("8 bytes"));
            match nsec {
                UTIME_OMIT => Ok((None, false)),
                UTIME_NOW => Ok((Some(now), false)),
                n if (0..1_000_000_000).contains(&n) && sec >= 0 => {
                    Ok((Some(sec as u64 * 1_000_000_000 + n as u64), true))
                }
                _ => Err(EINVAL),
            }
        };
        let (a, _) = field(0)?;
        let (m, _) = field(1)?;
        let both_now = [0, 1]
            .iter()
            .all(|&i| i64::from_le_bytes(b[i * 16 + 8..i * 16 + 16].try_into().expect("8 bytes")) == UTIME_NOW);
        (a, m, !both_now)
    };
    // Linux: a NULL path means the descriptor itself (the glibc futimens case).
    let (mnt, ino) = if path == 0 {
        let id = k.fd_file(dirfd)?;
        file_place(k, k.vfs.files().get(id).ino.ok_or(EINVAL)?)
    } else {
        let p = k.read_cstr(path, 4096)?;
        if p.is_empty() && flags & AT_EMPTY_PATH == 0 {
            return Err(ENOENT);
        }
        let start = k.start_dir(dirfd, &p)?;
        let mut lf = Lookup::empty();
        if flags & AT_SYMLINK_NOFOLLOW == 0 {
            lf |= Lookup::FOLLOW;
        }
        if p.is_empty() {
            lf |= Lookup::EMPTY;
        }
        k.vfs.fs().lookup_mnt(&k.fs_cred(), start, &p, lf)?
    };
    if atime.is_none() && mtime.is_none() {
        return Ok(0);
    }
    // Linux: vfs_utimes() → mnt_want_write().
    k.vfs.fs().mnt_want_write(mnt)?;
    let cred = k.fs_cred();
    let inode = k.vfs.fs().inode(ino)?;
    if !cred.owner_or_capable(inode) {
        if explicit {
            return Err(EPERM);
        }
        perm::inode_permission(&cred, inode, MAY_WRITE)?;
    }
    k.vfs.fs_mut().set_times(ino, atime, mtime, now)?;
    Ok(0)
}

/// Linux: chown_common() with setattr_prepare()'s chown_ok() and
/// chgrp_ok(): only CAP_CHOWN gives a file away (the owner may "change"
/// it to itself); the owner may change the group to one of its own
/// groups. -1 leaves an id alone. On a non-directory the set-user-ID bit
/// goes, and the set-group-ID bit when it is group-executable or the
/// caller could not have set it (not in the old group, no CAP_FSETID):
/// setattr_should_drop_sgid().
fn chown_inode(k: &mut Kernel, (mnt, ino): (MountId, Ino), uid: u32, gid: u32) -> SysResult {
    // Linux: chown_common() runs under mnt_want_write().
    k.vfs.fs().mnt_want_write(mnt)?;
    // The ids as the caller's user namespace names them, EINVAL for one
    // without a mapping (Linux: make_kuid() in chown_common()).
    let ns = k.cur().cred.user_ns;
    let kid = |kind, id: u32| match id {
        u32::MAX => Ok(id),
        _ => k.ns.user.make_kid(ns, kind, id).ok_or(EINVAL),
    };
    let (uid, gid) = (kid(IdKind::Uid, uid)?, kid(IdKind::Gid, gid)?);
    let cred = k.fs_cred();
    let inode = k.vfs.fs().inode(ino)?;
    let uid = (uid != u32::MAX).then_some(uid);
    let gid = (gid != u32::MAX).then_some(gid);
    let owner = cred.uid == inode.uid();
    let may_chown = cred.capable_wrt(CAP_CHOWN, inode.uid(), inode.gid());
    let uid_ok = uid.is_none_or(|u| (owner && u == inode.uid()) || may_chown);
    let gid_ok = gid.is_none_or(|g| (owner && (g == inode.gid() || cred.in_group(g))) || may_chown);
    if !uid_ok || !gid_ok {
        return Err(EPERM);
    }
    let mode = inode.mode();
    let drop_sgid = mode & S_ISGID != 0 && (mode & S_IXGRP != 0 || !cred.in_group_or_capable(inode));
    let now = k.m.clock.boot_epoch_ns() + k.now_ns();
    k.vfs.fs_mut().chown(ino, uid, gid, now)?;
    let after = k.vfs.fs().inode(ino)?;
    if drop_sgid && !after.is_dir() {
        let m = after.mode();
        k.vfs.fs_mut().chmod(ino, m & !S_ISGID & S_IALLUGO, now)?;
    }
    Ok(0)
}

/// fchownat(2) (and chown, lchown).
pub fn fchownat(k: &mut Kernel, dirfd: i32, path: u64, uid: u32, gid: u32, flags: u32) -> SysResult {
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(EINVAL);
    }
    let p = k.read_cstr(path, 4096)?;
    let at = if p.is_empty() && flags & AT_EMPTY_PATH != 0 {
        let id = k.fd_file(dirfd)?;
        file_place(k, k.vfs.files().get(id).ino.ok_or(EINVAL)?)
    } else {
        let start = k.start_dir(dirfd, &p)?;
        let lf = if flags & AT_SYMLINK_NOFOLLOW == 0 { Lookup::FOLLOW } else { Lookup::empty() };
        k.vfs.fs().lookup_mnt(&k.fs_cred(), start, &p, lf)?
    };
    chown_inode(k, at, uid, gid)
}

/// fchown(2).
pub fn fchown(k: &mut Kernel, fd: i32, uid: u32, gid: u32) -> SysResult {
    let id = k.fd_file(fd)?;
    let ino = k.vfs.files().get(id).ino.ok_or(EINVAL)?;
    chown_inode(k, file_place(k, ino), uid, gid)
}
