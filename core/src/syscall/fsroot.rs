//! chroot(2) and pivot_root(2): moving a process's root (Linux:
//! fs/open.c ksys_chroot(), fs/namespace.c pivot_root). The root itself
//! is kept by `fs::root`.

use crate::abi::*;
use crate::fs::mount::MountId;
use crate::fs::perm::{self, MAY_EXEC};
use crate::fs::procfs;
use crate::fs::{Ino, Lookup};
use crate::kernel::Kernel;
use crate::proc::capability::{CAP_SYS_ADMIN, CAP_SYS_CHROOT};

/// A place in the tree: a mount and a directory it shows.
type At = (MountId, Ino);

/// The directory `addr` names, followed to the end, as chdir(2) finds it.
fn user_dir(k: &mut Kernel, addr: u64) -> SysResult<At> {
    let path = k.read_cstr(addr, PATH_MAX)?;
    if let Some(held) = procfs::chdir_target(k, &path)? {
        // A root is still an inode of the RAM store: proc's own
        // directories cannot be one yet (Linux never refuses this).
        if held.at.node & crate::fs::namei::SYNTHETIC != 0 {
            return Err(EOPNOTSUPP);
        }
        return Ok(held.at.into());
    }
    let start = k.start_dir(AT_FDCWD, &path)?;
    k.vfs.fs().lookup_mnt(&k.fs_cred(), start, &path, Lookup::FOLLOW | Lookup::DIRECTORY)
}

/// Linux: ksys_chroot(): the walk's errors, then search permission on
/// the directory itself (EACCES), then CAP_SYS_CHROOT (EPERM). The cwd
/// stays where it is, even outside the new root.
pub fn chroot(k: &mut Kernel, path: u64) -> SysResult {
    let (_, dir) = user_dir(k, path)?;
    perm::inode_permission(&k.fs_cred(), k.vfs.fs().inode(dir)?, MAY_EXEC)?;
    if !k.cur().cred.capable(CAP_SYS_CHROOT) {
        return Err(EPERM);
    }
    k.vfs.fs_mut().ihold(dir)?;
    let fs = k.cur().fs;
    k.set_fs_root(fs, dir);
    Ok(0)
}

/// Whether `inner` is `outer` or lies below it, walking up directories
/// and from mount roots to their mount points. Linux: is_path_reachable().
fn reachable(k: &Kernel, inner: At, outer: At) -> bool {
    let fs = k.vfs.fs();
    let (mut mnt, mut dir) = inner;
    // Each step goes up a directory or a mount: the table and the tree
    // bound the walk; the counter guards against a corrupt table.
    for _ in 0..100_000 {
        if (mnt, dir) == outer {
            return true;
        }
        let Some(m) = fs.mounts.get(mnt) else { return false };
        if dir == m.root {
            if m.parent == m.id {
                return false;
            }
            (mnt, dir) = (m.parent, m.mountpoint);
            continue;
        }
        match fs.lookup_child(dir, b"..") {
            Ok(up) if up != dir => dir = up,
            _ => return false,
        }
    }
    false
}

/// Linux: pivot_root(2): `new_root` (a mount's root, attached, below the
/// caller's root) becomes the root of the caller's mount namespace as
/// seen from here, and the old root's mount moves to `put_old` (at or
/// below `new_root`). Processes of the namespace whose root or cwd was
/// the old root move to the new one.
pub fn pivot_root(k: &mut Kernel, new_root: u64, put_old: u64) -> SysResult {
    if !k.cur().cred.capable(CAP_SYS_ADMIN) {
        return Err(EPERM);
    }
    let new = user_dir(k, new_root)?;
    let old = user_dir(k, put_old)?;
    let root = k.vfs.fs().walk_root();
    let mounts = &k.vfs.fs().mounts;
    if k.vfs.fs().inode(new.1)?.nlink() == 0 {
        return Err(ENOENT);
    }
    // Both on the root's own mount: nothing would move.
    if new.0 == root.0 || old.0 == root.0 {
        return Err(EBUSY);
    }
    let attached_root = |at: At| mounts.get(at.0).is_some_and(|m| m.root == at.1 && m.parent != m.id);
    if !attached_root(root) || !attached_root(new) {
        return Err(EINVAL);
    }
    if !reachable(k, old, new) || !reachable(k, new, root) {
        return Err(EINVAL);
    }
    let (root_parent, root_mp) = mounts.get(root.0).map(|m| (m.parent, m.mountpoint)).ok_or(EINVAL)?;
    let table = &mut k.vfs.fs_mut().mounts;
    // The new root takes the old one's place; the old root goes on put_old.
    table.reattach(new.0, root_parent, root_mp);
    table.reattach(root.0, old.0, old.1);
    k.chroot_fs_refs(root.1, new.1);
    Ok(0)
}
