//! Calls that change names and attributes rather than contents: chmod,
//! symlink, link, rename (Linux: fs/namei.c, fs/open.c).

use crate::abi::*;
use crate::fs::{Ino, Lookup};
use crate::kernel::Kernel;

/// Linux: chmod_common() with inode_change_ok()'s rules: only the owner
/// or root may change the mode; a non-root owner outside the file's group
/// loses S_ISGID.
fn chmod_inode(k: &mut Kernel, ino: Ino, mode: u32) -> SysResult {
    let c = k.cur().cred;
    let inode = k.fs.inode(ino)?;
    if c.fsuid != 0 && c.fsuid != inode.uid() {
        return Err(EPERM);
    }
    let mut mode = mode & 0o7777;
    if c.fsuid != 0 && c.fsgid != inode.gid() && !k.cur().groups.contains(&inode.gid()) {
        mode &= !S_ISGID;
    }
    let now = k.m.clock.boot_epoch_ns() + k.now_ns();
    k.fs.chmod(ino, mode, now)?;
    Ok(0)
}

/// fchmodat(2) (and chmod(2) with AT_FDCWD).
pub fn fchmodat(k: &mut Kernel, dirfd: i32, path: u64, mode: u32) -> SysResult {
    let path = k.read_cstr(path, 4096)?;
    let start = k.start_dir(dirfd, &path)?;
    let ino = k.fs.lookup(start, &path, Lookup::FOLLOW)?;
    chmod_inode(k, ino, mode)
}

/// fchmod(2).
pub fn fchmod(k: &mut Kernel, fd: i32, mode: u32) -> SysResult {
    let id = k.fd_file(fd)?;
    let ino = k.files.get(id).ino.ok_or(EINVAL)?;
    chmod_inode(k, ino, mode)
}

/// symlinkat(2) (and symlink(2)).
pub fn symlinkat(k: &mut Kernel, target: u64, dirfd: i32, path: u64) -> SysResult {
    let target = k.read_cstr(target, 4096)?;
    let path = k.read_cstr(path, 4096)?;
    let start = k.start_dir(dirfd, &path)?;
    let now = k.m.clock.boot_epoch_ns() + k.now_ns();
    let ino = k.fs.symlink_at(&target, start, &path, now)?;
    let c = k.cur().cred;
    k.fs.chown(ino, Some(c.fsuid), Some(c.fsgid), now)?;
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
    k.fs.link_at(os, &old, lf, ns, &new, now)?;
    Ok(0)
}

/// renameat2(2) (and rename, renameat).
pub fn renameat2(k: &mut Kernel, olddir: i32, old: u64, newdir: i32, new: u64, flags: u32) -> SysResult {
    let old = k.read_cstr(old, 4096)?;
    let new = k.read_cstr(new, 4096)?;
    let (os, ns) = (k.start_dir(olddir, &old)?, k.start_dir(newdir, &new)?);
    let now = k.m.clock.boot_epoch_ns() + k.now_ns();
    k.fs.rename_at(os, &old, ns, &new, flags, now)?;
    Ok(0)
}
