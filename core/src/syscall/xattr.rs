//! Extended attributes: the getxattr, setxattr, listxattr and
//! removexattr families (Linux: fs/xattr.c). RAM file system inodes keep
//! them (`fs::xattr`, tmpfs's namespaces); a file without an inode of its
//! own (a pipe, an anonymous file, /proc) has none and takes none, as
//! pipefs, anon_inodefs and proc have no handlers. `ls -l` asks for
//! security.selinux and system.posix_acl_access of every file.

use alloc::vec::Vec;

use super::fs::{resolve_at, At};
use crate::abi::*;
use crate::fs::mount::MountId;
use crate::fs::perm::{MAY_READ, MAY_WRITE};
use crate::fs::xattr::{self, Namespace};
use crate::fs::Ino;
use crate::kernel::Kernel;

/// Linux: XATTR_NAME_MAX.
const XATTR_NAME_MAX: usize = 255;
/// Linux: XATTR_LIST_MAX.
const XATTR_LIST_MAX: usize = 65536;
const XATTR_CREATE: u32 = 1;
const XATTR_REPLACE: u32 = 2;

/// Copy and check an attribute name (Linux: import_xattr_name()): ERANGE
/// when empty or longer than XATTR_NAME_MAX, EFAULT for a bad pointer.
fn xattr_name(k: &mut Kernel, name: u64) -> SysResult<Vec<u8>> {
    match k.read_cstr(name, XATTR_NAME_MAX + 1) {
        Ok(n) if n.is_empty() => Err(ERANGE),
        Ok(n) => Ok(n),
        Err(ENAMETOOLONG) => Err(ERANGE),
        Err(e) => Err(e),
    }
}

/// What a call names: a RAM inode, or a file without attributes.
#[derive(Clone, Copy)]
enum Target {
    /// A RAM inode and the mount it is reached through (a descriptor's:
    /// the mount that shows it).
    Ino(Ino, MountId),
    Bare,
}

/// A RAM inode reached through a descriptor.
fn file_target(k: &Kernel, ino: Option<Ino>) -> Target {
    ino.map_or(Target::Bare, |ino| Target::Ino(ino, k.vfs.fs().mount_at(ino)))
}

fn path_target(k: &mut Kernel, path: u64, follow: bool) -> SysResult<Target> {
    let flags = if follow { 0 } else { AT_SYMLINK_NOFOLLOW };
    Ok(match resolve_at(k, AT_FDCWD, path, flags)? {
        At::Ino(at) => Target::Ino(at.node, at.mnt),
        At::File(id) => file_target(k, k.vfs.files().get(id).ino),
        At::Proc(_) => Target::Bare,
    })
}

/// EBADF for an O_PATH descriptor, as fdget() refuses it.
fn fd_target(k: &mut Kernel, fd: i32) -> SysResult<Target> {
    let id = k.fd_file(fd)?;
    let f = k.vfs.files().get(id);
    if f.flags & O_PATH != 0 {
        return Err(EBADF);
    }
    let ino = f.ino;
    Ok(file_target(k, ino))
}

/// Linux: vfs_getxattr() and getxattr()'s copy-out.
fn do_get(k: &mut Kernel, t: Target, name: &[u8], value: u64, size: u64) -> SysResult {
    let ns = xattr::namespace(name);
    let Target::Ino(ino, _) = t else {
        return Err(if ns == Namespace::None { EOPNOTSUPP } else { ENODATA });
    };
    let cred = k.fs_cred();
    xattr::permission(&cred, k.vfs.fs().inode(ino)?, name, MAY_READ)?;
    if ns == Namespace::None {
        return Err(EOPNOTSUPP);
    }
    let v = k.vfs.fs().xattrs.get(ino, name).ok_or(ENODATA)?.to_vec();
    if size == 0 {
        return Ok(v.len());
    }
    if (size as usize) < v.len() {
        return Err(ERANGE);
    }
    k.copy_out(value, &v)?;
    Ok(v.len())
}

/// getxattr(2) (`follow`) and lgetxattr(2).
pub fn getxattr(k: &mut Kernel, path: u64, name: u64, value: u64, size: u64, follow: bool) -> SysResult {
    let name = xattr_name(k, name)?;
    let t = path_target(k, path, follow)?;
    do_get(k, t, &name, value, size)
}

/// fgetxattr(2).
pub fn fgetxattr(k: &mut Kernel, fd: i32, name: u64, value: u64, size: u64) -> SysResult {
    let name = xattr_name(k, name)?;
    let t = fd_target(k, fd)?;
    do_get(k, t, &name, value, size)
}

/// The name and value a set call copies in first (Linux:
/// setxattr_copy()): EINVAL for unknown flags, E2BIG past XATTR_SIZE_MAX.
fn set_args(k: &mut Kernel, name: u64, value: u64, size: u64, flags: u32) -> SysResult<(Vec<u8>, Vec<u8>)> {
    if flags & !(XATTR_CREATE | XATTR_REPLACE) != 0 {
        return Err(EINVAL);
    }
    let name = xattr_name(k, name)?;
    if size as usize > xattr::SIZE_MAX {
        return Err(E2BIG);
    }
    let mut v = alloc::vec![0u8; size as usize];
    k.copy_in(value, &mut v)?;
    Ok((name, v))
}

/// Linux: vfs_setxattr() on tmpfs; `None` removes (vfs_removexattr()).
fn do_set(k: &mut Kernel, t: Target, name: &[u8], value: Option<Vec<u8>>, flags: u32) -> SysResult {
    let ns = xattr::namespace(name);
    let Target::Ino(ino, mnt) = t else {
        return Err(if ns == Namespace::User { EPERM } else { EOPNOTSUPP });
    };
    k.vfs.fs().check_writable(ino)?;
    k.vfs.fs().mnt_want_write(mnt)?;
    let cred = k.fs_cred();
    xattr::permission(&cred, k.vfs.fs().inode(ino)?, name, MAY_WRITE)?;
    match ns {
        Namespace::User | Namespace::Trusted | Namespace::Security => {}
        Namespace::Acl | Namespace::None => return Err(EOPNOTSUPP),
    }
    match value {
        Some(v) => k.vfs.fs_mut().xattrs.set(ino, name, v, flags & XATTR_CREATE != 0, flags & XATTR_REPLACE != 0)?,
        None => k.vfs.fs_mut().xattrs.remove(ino, name)?,
    }
    let now = k.now_real();
    k.vfs.fs_mut().set_times(ino, None, None, now)?;
    Ok(0)
}

/// setxattr(2) (`follow`) and lsetxattr(2).
pub fn setxattr(k: &mut Kernel, path: u64, name: u64, value: u64, size: u64, flags: u32, follow: bool) -> SysResult {
    let (name, v) = set_args(k, name, value, size, flags)?;
    let t = path_target(k, path, follow)?;
    do_set(k, t, &name, Some(v), flags)
}

/// fsetxattr(2).
pub fn fsetxattr(k: &mut Kernel, fd: i32, name: u64, value: u64, size: u64, flags: u32) -> SysResult {
    let (name, v) = set_args(k, name, value, size, flags)?;
    let t = fd_target(k, fd)?;
    do_set(k, t, &name, Some(v), flags)
}

/// removexattr(2) (`follow`) and lremovexattr(2).
pub fn removexattr(k: &mut Kernel, path: u64, name: u64, follow: bool) -> SysResult {
    let name = xattr_name(k, name)?;
    let t = path_target(k, path, follow)?;
    do_set(k, t, &name, None, 0)
}

/// fremovexattr(2).
pub fn fremovexattr(k: &mut Kernel, fd: i32, name: u64) -> SysResult {
    let name = xattr_name(k, name)?;
    let t = fd_target(k, fd)?;
    do_set(k, t, &name, None, 0)
}

/// Linux: vfs_listxattr() and listxattr()'s copy-out.
fn do_list(k: &mut Kernel, t: Target, list: u64, size: u64) -> SysResult {
    let Target::Ino(ino, _) = t else { return Ok(0) };
    let trusted = k.cur_cred().capable(crate::proc::capability::CAP_SYS_ADMIN);
    let names = k.vfs.fs().xattrs.list(ino, trusted);
    if size == 0 {
        return Ok(names.len());
    }
    if (size as usize).min(XATTR_LIST_MAX) < names.len() {
        return Err(ERANGE);
    }
    k.copy_out(list, &names)?;
    Ok(names.len())
}

/// listxattr(2) (`follow`) and llistxattr(2).
pub fn listxattr(k: &mut Kernel, path: u64, list: u64, size: u64, follow: bool) -> SysResult {
    let t = path_target(k, path, follow)?;
    do_list(k, t, list, size)
}

/// flistxattr(2).
pub fn flistxattr(k: &mut Kernel, fd: i32, list: u64, size: u64) -> SysResult {
    let t = fd_target(k, fd)?;
    do_list(k, t, list, size)
}
