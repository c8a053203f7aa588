//! File permissions: who may read, write, search, create in and delete
//! from what (Linux: fs/namei.c, fs/attr.c, fs/inode.c; path_resolution(7)).
//!
//! Every check takes an [`FsCred`], the part of the caller's credentials
//! that file access looks at: the fs uid and gid, the supplementary groups
//! and the effective capabilities. Root is not special here; its
//! capabilities are (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER,
//! CAP_FSETID), as in Linux, so that a root process that drops them is
//! refused like anyone else. Capabilities held in a user namespace count
//! over the files whose owner and group that namespace maps, and over no
//! other (Linux: capable_wrt_inode_uidgid()).

use alloc::vec::Vec;

use alloc::sync::Arc;

use super::ramfs::Inode;
use crate::abi::*;
use crate::ns::user::IdScope;
use crate::proc::capability::{has, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER, CAP_FSETID, CAP_FULL_SET};

/// Access wanted, as the low bits of `access(2)`'s mode. Linux: `MAY_*`.
pub const MAY_EXEC: u32 = 1;
pub const MAY_WRITE: u32 = 2;
pub const MAY_READ: u32 = 4;

/// The credentials file access is checked against. Linux: the fs ids,
/// `group_info` and `cap_effective` of `current_cred()`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FsCred {
    pub uid: u32,
    pub gid: u32,
    /// Sorted, as `setgroups` keeps them; shared with the task (None: no
    /// supplementary groups).
    pub groups: Option<alloc::sync::Arc<Vec<u32>>>,
    /// The effective capability set, held in the caller's user namespace.
    pub caps: u64,
    /// The kernel ids that namespace maps; None for the initial one.
    pub scope: Option<Arc<IdScope>>,
}

impl FsCred {
    /// The kernel's own credentials (unpacking the initramfs, making
    /// /dev): root with every capability. Linux: `init_cred`.
    pub const ROOT: FsCred = FsCred { uid: 0, gid: 0, groups: None, caps: CAP_FULL_SET, scope: None };

    /// Linux: `capable()`: the capability in the initial user namespace
    /// (making device nodes, trusted extended attributes).
    pub fn capable(&self, cap: u32) -> bool {
        self.scope.is_none() && has(self.caps, cap)
    }

    /// Linux: `capable_wrt_inode_uidgid()`: the capability in the caller's
    /// own user namespace, over a file owned by `uid` and `gid` which both
    /// have a name there (privileged_wrt_inode_uidgid()).
    pub fn capable_wrt(&self, cap: u32, uid: u32, gid: u32) -> bool {
        has(self.caps, cap) && self.maps_uid(uid) && self.scope.as_ref().is_none_or(|s| s.maps_gid(gid))
    }

    /// Whether kernel uid `uid` has a name in the caller's user namespace.
    fn maps_uid(&self, uid: u32) -> bool {
        self.scope.as_ref().is_none_or(|s| s.maps_uid(uid))
    }

    /// Linux: `in_group_p()`.
    pub fn in_group(&self, gid: u32) -> bool {
        self.gid == gid || self.groups.as_ref().is_some_and(|g| g.binary_search(&gid).is_ok())
    }

    /// Linux: `inode_owner_or_capable()`: the owner, or CAP_FOWNER over
    /// an owner with a name in the caller's user namespace (its group
    /// does not matter here).
    pub fn owner_or_capable(&self, inode: &Inode) -> bool {
        self.uid == inode.uid() || (has(self.caps, CAP_FOWNER) && self.maps_uid(inode.uid()))
    }

    /// Linux: `in_group_or_capable()`: may keep a set-group-ID bit for
    /// `inode`'s group.
    pub fn in_group_or_capable(&self, inode: &Inode) -> bool {
        self.in_group(inode.gid()) || self.capable_wrt(CAP_FSETID, inode.uid(), inode.gid())
    }
}

/// May `cred` access `inode` as `mask` (MAY_READ | MAY_WRITE | MAY_EXEC)?
/// `EACCES` if not.
///
/// The owner's bits apply to the owner, the group's to a member of the
/// file's group, the others' to everyone else; only one class is
/// consulted, so an owner with `---` is refused even when others may.
/// Then capabilities: CAP_DAC_READ_SEARCH reads anything and searches any
/// directory, CAP_DAC_OVERRIDE reads and writes anything, searches any
/// directory, and executes a file only if some execute bit is set.
/// Linux: generic_permission() with acl_permission_check() (no ACLs here).
pub fn generic_permission(cred: &FsCred, inode: &Inode, mask: u32) -> Result<(), Errno> {
    mode_permission(cred, inode.mode(), inode.uid(), inode.gid(), mask)
}

/// [`generic_permission`] for a file described by its mode (type bits
/// included) and owner, for files that are not inodes of the RAM file
/// system (/proc's).
pub fn mode_permission(cred: &FsCred, mode: u32, uid: u32, gid: u32, mask: u32) -> Result<(), Errno> {
    let mask = mask & (MAY_READ | MAY_WRITE | MAY_EXEC);
    let bits = if cred.uid == uid {
        mode >> 6
    } else if cred.in_group(gid) {
        mode >> 3
    } else {
        mode
    };
    if mask & !bits & 7 == 0 {
        return Ok(());
    }
    if mode & S_IFMT == S_IFDIR {
        // Directories: reading and searching are CAP_DAC_READ_SEARCH's,
        // anything is CAP_DAC_OVERRIDE's.
        if mask & MAY_WRITE == 0 && cred.capable_wrt(CAP_DAC_READ_SEARCH, uid, gid) {
            return Ok(());
        }
        if cred.capable_wrt(CAP_DAC_OVERRIDE, uid, gid) {
            return Ok(());
        }
        return Err(EACCES);
    }
    if mask == MAY_READ && cred.capable_wrt(CAP_DAC_READ_SEARCH, uid, gid) {
        return Ok(());
    }
    // Even root may not execute what nobody may: that file is not a program.
    if (mask & MAY_EXEC == 0 || mode & S_IXUGO != 0) && cred.capable_wrt(CAP_DAC_OVERRIDE, uid, gid) {
        return Ok(());
    }
    Err(EACCES)
}

/// Linux: `inode_permission()`. A RAM file system is never read-only and
/// has no immutable files, so this is [`generic_permission`].
pub fn inode_permission(cred: &FsCred, inode: &Inode, mask: u32) -> Result<(), Errno> {
    generic_permission(cred, inode, mask)
}

/// May `cred` look names up in directory `dir` (the search, `x`, bit)?
/// Asked of every directory a path walk goes through. Linux: `may_lookup()`.
pub fn may_lookup(cred: &FsCred, dir: &Inode) -> Result<(), Errno> {
    inode_permission(cred, dir, MAY_EXEC)
}

/// May `cred` add a name to directory `dir`? It needs write and search
/// permission there. Linux: `may_create()` (its `ENOENT` for a removed
/// directory is the caller's).
pub fn may_create(cred: &FsCred, dir: &Inode) -> Result<(), Errno> {
    inode_permission(cred, dir, MAY_WRITE | MAY_EXEC)
}

/// May `cred` remove `victim`'s name from directory `dir`? Write and
/// search permission on `dir` (`EACCES`); in a sticky directory (`/tmp`)
/// only the victim's owner, the directory's owner or CAP_FOWNER may
/// (`EPERM`). Linux: `may_delete()` with `check_sticky()`.
pub fn may_delete(cred: &FsCred, dir: &Inode, victim: &Inode) -> Result<(), Errno> {
    inode_permission(cred, dir, MAY_WRITE | MAY_EXEC)?;
    if dir.mode() & S_ISVTX != 0 && cred.uid != victim.uid() && cred.uid != dir.uid() && !cred.owner_or_capable(victim)
    {
        return Err(EPERM);
    }
    Ok(())
}

/// Owner, group and mode of a new inode made by `cred` in directory `dir`
/// with mode `mode` (type bits included). The owner is the fs uid. The
/// group is the fs gid, or in a set-group-ID directory the directory's
/// group, and there a new directory inherits the set-group-ID bit while a
/// new group-executable file made by an outsider loses it.
/// Linux: inode_init_owner() with mode_strip_sgid().
pub fn inode_init_owner(cred: &FsCred, dir: &Inode, mode: u32) -> (u32, u32, u32) {
    let mut mode = mode;
    let gid = if dir.mode() & S_ISGID != 0 {
        if mode & S_IFMT == S_IFDIR {
            mode |= S_ISGID;
        } else if mode & (S_ISGID | S_IXGRP) == S_ISGID | S_IXGRP && !cred.in_group_or_capable(dir) {
            mode &= !S_ISGID;
        }
        dir.gid()
    } else {
        cred.gid
    };
    (cred.uid, gid, mode)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::{Lookup, RamFs};

    fn user(uid: u32, gid: u32, groups: &[u32]) -> FsCred {
        FsCred { uid, gid, groups: Some(alloc::sync::Arc::new(groups.to_vec())), caps: 0, scope: None }
    }

    /// A file of `mode` owned by 1000:100, in a fresh file system.
    fn file(mode: u32) -> (RamFs, crate::fs::Ino) {
        let mut fs = RamFs::new();
        let root = fs.root();
        let ino = fs.create(&FsCred::ROOT, root, b"f", mode, 0).unwrap();
        fs.chown(ino, Some(1000), Some(100), 0).unwrap();
        (fs, ino)
    }

    #[test]
    fn owner_group_other_classes() {
        let (fs, ino) = file(0o640);
        let i = fs.inode(ino).unwrap();
        assert_eq!(generic_permission(&user(1000, 1, &[]), i, MAY_READ | MAY_WRITE), Ok(()));
        assert_eq!(generic_permission(&user(1000, 1, &[]), i, MAY_EXEC), Err(EACCES));
        assert_eq!(generic_permission(&user(2000, 100, &[]), i, MAY_READ), Ok(()));
        assert_eq!(generic_permission(&user(2000, 5, &[7, 100]), i, MAY_READ), Ok(()), "supplementary group");
        assert_eq!(generic_permission(&user(2000, 100, &[]), i, MAY_WRITE), Err(EACCES));
        assert_eq!(generic_permission(&user(2000, 5, &[]), i, MAY_READ), Err(EACCES));
    }

    #[test]
    fn owner_class_is_not_widened_by_others_bits() {
        let (fs, ino) = file(0o007);
        let i = fs.inode(ino).unwrap();
        assert_eq!(generic_permission(&user(1000, 100, &[]), i, MAY_READ), Err(EACCES));
        assert_eq!(generic_permission(&user(3000, 3000, &[]), i, MAY_READ), Ok(()));
    }

    #[test]
    fn root_capabilities() {
        let (fs, ino) = file(0o000);
        let i = fs.inode(ino).unwrap();
        let root = FsCred::ROOT;
        assert_eq!(generic_permission(&root, i, MAY_READ | MAY_WRITE), Ok(()));
        assert_eq!(generic_permission(&root, i, MAY_EXEC), Err(EACCES), "no x bit at all");
        let (fs, ino) = file(0o001);
        assert_eq!(generic_permission(&root, fs.inode(ino).unwrap(), MAY_EXEC), Ok(()));
        // CAP_DAC_READ_SEARCH alone reads but does not write.
        let reader = FsCred { caps: 1 << CAP_DAC_READ_SEARCH, ..user(5, 5, &[]) };
        let (fs, ino) = file(0o000);
        assert_eq!(generic_permission(&reader, fs.inode(ino).unwrap(), MAY_READ), Ok(()));
        assert_eq!(generic_permission(&reader, fs.inode(ino).unwrap(), MAY_WRITE), Err(EACCES));
        // Root without capabilities is an ordinary user.
        let powerless = user(0, 0, &[]);
        assert_eq!(generic_permission(&powerless, fs.inode(ino).unwrap(), MAY_READ), Err(EACCES));
    }

    #[test]
    fn namespace_root_overrides_only_mapped_files() {
        use crate::ns::user::{enter, IdKind, UserNamespaces};
        let mut users = UserNamespaces::default();
        let u = crate::proc::capability::test_user(1000);
        let ns = users.create(&u, false, 1).unwrap();
        users.write_map(ns, IdKind::Uid, &u, b"0 1000 1").unwrap();
        users.write_setgroups(ns, b"deny").unwrap();
        users.write_map(ns, IdKind::Gid, &u, b"0 1000 1").unwrap();
        let mut inside = u;
        enter(&mut inside, ns);
        let root = FsCred { caps: inside.caps.effective, scope: users.scope(ns), ..user(1000, 1000, &[]) };
        // 1000:100, group not mapped: no override; 1000:1000 is.
        let (mut fs, ino) = file(0o000);
        assert_eq!(generic_permission(&root, fs.inode(ino).unwrap(), MAY_READ), Err(EACCES));
        assert!(root.owner_or_capable(fs.inode(ino).unwrap()), "the owner");
        fs.chown(ino, Some(1000), Some(1000), 0).unwrap();
        assert_eq!(generic_permission(&root, fs.inode(ino).unwrap(), MAY_READ | MAY_WRITE), Ok(()));
        fs.chown(ino, Some(0), Some(1000), 0).unwrap();
        let i = fs.inode(ino).unwrap();
        assert_eq!(generic_permission(&root, i, MAY_READ), Err(EACCES), "owner not mapped");
        assert!(!root.owner_or_capable(i));
        assert!(!root.capable(crate::proc::capability::CAP_MKNOD), "the initial namespace's only");
        users.put(ns);
    }

    #[test]
    fn directories_are_searchable_by_root_without_x() {
        let mut fs = RamFs::new();
        let d = fs.mkdir(&FsCred::ROOT, fs.root(), b"d", 0o000, 0).unwrap();
        let dir = fs.inode(d).unwrap();
        assert_eq!(may_lookup(&FsCred::ROOT, dir), Ok(()));
        assert_eq!(may_lookup(&user(1000, 1000, &[]), dir), Err(EACCES));
    }

    #[test]
    fn path_walk_needs_search_on_every_directory() {
        let mut fs = RamFs::new();
        let root = fs.root();
        let r = FsCred::ROOT;
        let a = fs.mkdir(&r, root, b"a", 0o700, 0).unwrap();
        fs.mkdir(&r, a, b"b", 0o777, 0).unwrap();
        let u = user(1000, 1000, &[]);
        assert_eq!(fs.lookup(&u, root, b"/a/b", Lookup::FOLLOW), Err(EACCES));
        assert_eq!(fs.lookup(&u, root, b"/a", Lookup::FOLLOW), Ok(a), "the last component's own bits do not matter");
        assert!(fs.lookup(&r, root, b"/a/b", Lookup::FOLLOW).is_ok());
        assert_eq!(fs.mkdir_at(&u, root, b"/a/b/c", 0o777, 0), Err(EACCES));
    }

    #[test]
    fn sticky_directory_deletion() {
        let mut fs = RamFs::new();
        let root = fs.root();
        let r = FsCred::ROOT;
        let tmp = fs.mkdir(&r, root, b"tmp", 0o1777, 0).unwrap();
        let alice = user(1000, 1000, &[]);
        let bob = user(2000, 2000, &[]);
        fs.create(&alice, tmp, b"a", 0o666, 0).unwrap();
        fs.create(&alice, tmp, b"a2", 0o666, 0).unwrap();
        assert_eq!(fs.unlink_at(&bob, root, b"/tmp/a", 0), Err(EPERM));
        assert_eq!(fs.rename_at(&bob, root, b"/tmp/a", root, b"/tmp/z", 0, 0), Err(EPERM));
        assert_eq!(fs.unlink_at(&alice, root, b"/tmp/a", 0), Ok(()));
        assert_eq!(fs.unlink_at(&r, root, b"/tmp/a2", 0), Ok(()), "CAP_FOWNER");
    }

    #[test]
    fn create_needs_write_and_search_and_owns_by_fsuid() {
        let mut fs = RamFs::new();
        let root = fs.root();
        let r = FsCred::ROOT;
        let d = fs.mkdir(&r, root, b"d", 0o755, 0).unwrap();
        let u = user(1000, 1000, &[]);
        assert_eq!(fs.create(&u, d, b"x", 0o644, 0), Err(EACCES));
        assert_eq!(fs.open(&u, root, b"/d/x", O_CREAT | O_WRONLY, 0o644, 0), Err(EACCES));
        let w = fs.mkdir(&r, root, b"w", 0o777, 0).unwrap();
        let f = fs.create(&u, w, b"x", 0o644, 0).unwrap();
        assert_eq!((fs.inode(f).unwrap().uid(), fs.inode(f).unwrap().gid()), (1000, 1000));
    }

    #[test]
    fn setgid_directory_passes_its_group_on() {
        let mut fs = RamFs::new();
        let root = fs.root();
        let r = FsCred::ROOT;
        let d = fs.mkdir(&r, root, b"d", 0o2777, 0).unwrap();
        fs.chown(d, None, Some(50), 0).unwrap();
        fs.chmod(d, 0o2777, 0).unwrap();
        let u = user(1000, 1000, &[]);
        let sub = fs.mkdir(&u, d, b"sub", 0o755, 0).unwrap();
        let s = fs.inode(sub).unwrap();
        assert_eq!((s.uid(), s.gid(), s.mode() & 0o7777), (1000, 50, 0o2755));
        // A group-executable set-group-ID file by a non-member loses the bit.
        let f = fs.create(&u, d, b"f", 0o2755, 0).unwrap();
        assert_eq!((fs.inode(f).unwrap().gid(), fs.inode(f).unwrap().mode() & 0o7777), (50, 0o755));
    }

    #[test]
    fn open_checks_the_access_mode() {
        let (mut fs, _) = file(0o600);
        let root = fs.root();
        let other = user(2000, 2000, &[]);
        assert_eq!(fs.open(&other, root, b"/f", O_RDONLY, 0, 0), Err(EACCES));
        assert_eq!(fs.open(&other, root, b"/f", O_PATH, 0, 0).map(|_| ()), Ok(()), "O_PATH asks for nothing");
        let owner = user(1000, 1000, &[]);
        let ino = fs.open(&owner, root, b"/f", O_RDWR, 0, 0).unwrap();
        fs.iput(ino);
        fs.chmod(ino, 0o400, 0).unwrap();
        assert_eq!(fs.open(&owner, root, b"/f", O_RDONLY | O_TRUNC, 0, 0), Err(EACCES), "O_TRUNC needs write");
    }
}
