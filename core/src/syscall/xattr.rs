//! Extended attributes, read side: getxattr, lgetxattr, fgetxattr and the
//! listxattr family (Linux: fs/xattr.c). Tine's file systems store no
//! extended attributes, so every file has none: a name in a namespace
//! tmpfs serves (security., system.posix_acl_*, trusted., user.) is
//! ENODATA, any other EOPNOTSUPP, and a list is empty. `ls -l` asks for
//! security.selinux and system.posix_acl_access of every file; ENOSYS
//! made it fail.

use super::fs::{resolve_at, At};
use crate::abi::*;
use crate::kernel::Kernel;

/// Linux: XATTR_NAME_MAX.
const XATTR_NAME_MAX: usize = 255;

/// Copy and check an attribute name (Linux: import_xattr_name()): ERANGE
/// when empty or longer than XATTR_NAME_MAX, EFAULT for a bad pointer.
fn xattr_name(k: &mut Kernel, name: u64) -> SysResult<alloc::vec::Vec<u8>> {
    match k.read_cstr(name, XATTR_NAME_MAX + 1) {
        Ok(n) if n.is_empty() => Err(ERANGE),
        Ok(n) => Ok(n),
        Err(ENAMETOOLONG) => Err(ERANGE),
        Err(e) => Err(e),
    }
}

/// The answer for a name on a file without attributes (Linux:
/// xattr_resolve_name() finding tmpfs's handler or none).
fn no_such_attribute(name: &[u8]) -> Errno {
    const SERVED: [&[u8]; 5] =
        [b"security.", b"trusted.", b"user.", b"system.posix_acl_access", b"system.posix_acl_default"];
    let served =
        SERVED.iter().any(|p| if p.ends_with(b".") { name.len() > p.len() && name.starts_with(p) } else { name == *p });
    if served {
        ENODATA
    } else {
        EOPNOTSUPP
    }
}

/// getxattr(2) (`follow`) and lgetxattr(2).
pub fn getxattr(k: &mut Kernel, path: u64, name: u64, follow: bool) -> SysResult {
    let name = xattr_name(k, name)?;
    let flags = if follow { 0 } else { AT_SYMLINK_NOFOLLOW };
    resolve_at(k, AT_FDCWD, path, flags)?;
    Err(no_such_attribute(&name))
}

/// fgetxattr(2).
pub fn fgetxattr(k: &mut Kernel, fd: i32, name: u64) -> SysResult {
    let name = xattr_name(k, name)?;
    let id = k.fd_file(fd)?;
    if k.vfs.files().get(id).flags & O_PATH != 0 {
        return Err(EBADF);
    }
    Err(no_such_attribute(&name))
}

/// listxattr(2) (`follow`) and llistxattr(2): no names, length 0.
pub fn listxattr(k: &mut Kernel, path: u64, follow: bool) -> SysResult {
    let flags = if follow { 0 } else { AT_SYMLINK_NOFOLLOW };
    match resolve_at(k, AT_FDCWD, path, flags)? {
        At::Ino(_) | At::File(_) | At::Proc(_) => Ok(0),
    }
}

/// flistxattr(2).
pub fn flistxattr(k: &mut Kernel, fd: i32) -> SysResult {
    let id = k.fd_file(fd)?;
    if k.vfs.files().get(id).flags & O_PATH != 0 {
        return Err(EBADF);
    }
    Ok(0)
}
