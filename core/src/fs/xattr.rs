//! Extended attributes of RAM file system inodes (Linux: the
//! `simple_xattrs` of tmpfs, fs/xattr.c xattr_permission()).
//!
//! Every RAM-backed instance keeps attributes in the `user.`, `trusted.`
//! and `security.` namespaces, as tmpfs does; `system.` (POSIX ACLs) is
//! read as absent and cannot be set (EOPNOTSUPP: Tine has no ACLs). The
//! values live here by inode; the ramfs drops them when it frees it.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use crate::abi::*;
use crate::fs::perm::{self, FsCred, MAY_WRITE};
use crate::fs::ramfs::Inode;
use crate::fs::Ino;

/// Linux: XATTR_SIZE_MAX.
pub const SIZE_MAX: usize = 65536;

/// Every inode's attributes, by name (listed in name order, as tmpfs's
/// rbtree of them).
#[derive(Default, Debug)]
pub struct Xattrs {
    by_ino: BTreeMap<Ino, BTreeMap<Vec<u8>, Vec<u8>>>,
}

/// Which handler a name goes to (Linux: xattr_resolve_name() over
/// tmpfs's handlers).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Namespace {
    User,
    Trusted,
    Security,
    /// system.posix_acl_access or system.posix_acl_default.
    Acl,
    /// Nothing serves it: EOPNOTSUPP.
    None,
}

pub fn namespace(name: &[u8]) -> Namespace {
    let under = |p: &[u8]| name.len() > p.len() && name.starts_with(p);
    if under(b"user.") {
        Namespace::User
    } else if under(b"trusted.") {
        Namespace::Trusted
    } else if under(b"security.") {
        Namespace::Security
    } else if name == b"system.posix_acl_access" || name == b"system.posix_acl_default" {
        Namespace::Acl
    } else {
        Namespace::None
    }
}

/// Linux: xattr_permission() (and, for writes of security.*, the
/// capability LSM's cap_inode_setxattr()).
pub fn permission(cred: &FsCred, inode: &Inode, name: &[u8], mask: u32) -> Result<(), Errno> {
    use crate::proc::capability::CAP_SYS_ADMIN;
    let write = mask & MAY_WRITE != 0;
    if name.starts_with(b"security.") || name.starts_with(b"system.") {
        if write && name.starts_with(b"security.") && !cred.capable(CAP_SYS_ADMIN) {
            return Err(EPERM);
        }
        return Ok(());
    }
    if name.starts_with(b"trusted.") {
        return match cred.capable(CAP_SYS_ADMIN) {
            true => Ok(()),
            false if write => Err(EPERM),
            false => Err(ENODATA),
        };
    }
    if name.starts_with(b"user.") {
        let t = inode.mode() & S_IFMT;
        if t != S_IFREG && t != S_IFDIR {
            return Err(if write { EPERM } else { ENODATA });
        }
        if t == S_IFDIR && inode.mode() & S_ISVTX != 0 && write && !cred.owner_or_capable(inode) {
            return Err(EPERM);
        }
    }
    perm::inode_permission(cred, inode, mask)
}

impl Xattrs {
    pub fn get(&self, ino: Ino, name: &[u8]) -> Option<&[u8]> {
        self.by_ino.get(&ino)?.get(name).map(Vec::as_slice)
    }

    /// Linux: simple_xattr_set() with XATTR_CREATE / XATTR_REPLACE.
    pub fn set(&mut self, ino: Ino, name: &[u8], value: Vec<u8>, create: bool, replace: bool) -> Result<(), Errno> {
        let attrs = self.by_ino.entry(ino).or_default();
        match (attrs.contains_key(name), create, replace) {
            (true, true, _) => return Err(EEXIST),
            (false, _, true) => return Err(ENODATA),
            _ => {}
        }
        attrs.insert(name.to_vec(), value);
        Ok(())
    }

    pub fn remove(&mut self, ino: Ino, name: &[u8]) -> Result<(), Errno> {
        let attrs = self.by_ino.get_mut(&ino).ok_or(ENODATA)?;
        attrs.remove(name).ok_or(ENODATA)?;
        if attrs.is_empty() {
            self.by_ino.remove(&ino);
        }
        Ok(())
    }

    /// The names, NUL-terminated, that `trusted` allows (Linux:
    /// simple_xattr_list() hides trusted.* from the unprivileged).
    pub fn list(&self, ino: Ino, trusted: bool) -> Vec<u8> {
        let mut out = Vec::new();
        for name in self.by_ino.get(&ino).into_iter().flat_map(|a| a.keys()) {
            if !trusted && name.starts_with(b"trusted.") {
                continue;
            }
            out.extend_from_slice(name);
            out.push(0);
        }
        out
    }

    /// The inode is freed.
    pub fn forget(&mut self, ino: Ino) {
        self.by_ino.remove(&ino);
    }
}
