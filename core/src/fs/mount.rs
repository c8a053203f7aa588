//! The mount table and the file system instances it mounts (Linux:
//! fs/namespace.c's `struct mount`, fs/super.c's `struct super_block`).
//!
//! A [`SuperBlock`] is one instance of a file system: the RAM file system
//! `/` lives on, each tmpfs mounted later, each proc or sysfs. A [`Mount`]
//! attaches (part of) one instance at a directory of its parent mount. The
//! RAM-backed instances (rootfs, tmpfs, the sysfs placeholder) keep their
//! inodes in the one inode store of [`RamFs`](super::RamFs); every inode
//! records its instance, so an inode is named by (instance, number) and
//! `st_dev` tells instances apart. Inode numbers are unique across the
//! store (Linux numbers each tmpfs from its own counter; nothing that can
//! be observed depends on it here).
//!
//! The path walk (`ramfs::namei`) goes down into a mount's root when it
//! reaches a directory something is mounted on, and `..` at a mount's
//! root goes up to the directory it is mounted on. A position in the tree
//! is therefore a (mount, inode) pair, as Linux's `struct path`.
//!
//! [`MountTable`] is a plain value: each mount namespace has its own
//! copy (Linux: copy_mnt_ns(); see `fs::mount_ns`). The superblocks are
//! shared by every table.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use bitflags::bitflags;

use super::ramfs::Ino;
use crate::abi::makedev;

/// A mount's id, as /proc/<pid>/mountinfo shows it (Linux: `mnt_id`).
pub type MountId = u32;
/// A file system instance (Linux: a `struct super_block`).
pub type SbId = u32;

/// The instance `/` lives on.
pub const ROOT_SB: SbId = 0;
/// The mount of `/` (its own parent, as Linux's namespace root).
pub const ROOT_MOUNT: MountId = 1;

/// The file system types mount(2) knows (Linux: /proc/filesystems).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FsType {
    /// The RAM file system of `/` (Linux: rootfs, a tmpfs or ramfs).
    Rootfs,
    /// A new RAM file system instance per mount (Linux: mm/shmem.c).
    Tmpfs,
    /// /proc (Linux: fs/proc/); its contents are made up, not stored.
    Proc,
    /// A placeholder for /sys: an empty, read-only directory.
    Sysfs,
    /// The trace control files, one instance however often mounted
    /// (Linux: fs/tracefs/; see `fs::tracefs`).
    Tracefs,
}

impl FsType {
    pub fn name(self) -> &'static str {
        match self {
            FsType::Rootfs => "rootfs",
            FsType::Tmpfs => "tmpfs",
            FsType::Proc => "proc",
            FsType::Sysfs => "sysfs",
            FsType::Tracefs => "tracefs",
        }
    }

    /// The types a mount(2) can ask for by name (not rootfs: ENODEV).
    pub fn by_name(name: &[u8]) -> Option<Self> {
        match name {
            b"tmpfs" => Some(FsType::Tmpfs),
            b"proc" => Some(FsType::Proc),
            b"sysfs" => Some(FsType::Sysfs),
            b"tracefs" => Some(FsType::Tracefs),
            _ => None,
        }
    }

    /// Whether the RAM inode store holds its files.
    pub fn in_ram(self) -> bool {
        self != FsType::Proc
    }
}

bitflags! {
    /// Per-mount flags (Linux: `MNT_*` in include/linux/mount.h).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct MntFlags: u32 {
        const RDONLY = 1 << 0;
        const NOSUID = 1 << 1;
        const NODEV = 1 << 2;
        const NOEXEC = 1 << 3;
        const NOATIME = 1 << 4;
        const NODIRATIME = 1 << 5;
        const RELATIME = 1 << 6;
        /// Locks on the flags above that a mount namespace's owner cannot
        /// lift, set on the mounts copied into a namespace of a less
        /// privileged user namespace (Linux: MNT_LOCK_*).
        const LOCK_ATIME = 1 << 7;
        const LOCK_READONLY = 1 << 8;
        const LOCK_NODEV = 1 << 9;
        const LOCK_NOSUID = 1 << 10;
        const LOCK_NOEXEC = 1 << 11;
        /// Such a copied mount cannot be unmounted there, nor bound
        /// without the mounts that hide what lies below them (Linux:
        /// MNT_LOCKED).
        const LOCKED = 1 << 12;
    }
}

impl MntFlags {
    /// The atime rule (Linux: MNT_ATIME_MASK).
    pub const ATIME: MntFlags = MntFlags::NOATIME.union(MntFlags::NODIRATIME).union(MntFlags::RELATIME);
    /// What mount(2) sets; the rest stays across a remount (Linux:
    /// MNT_USER_SETTABLE_MASK).
    pub const SETTABLE: MntFlags =
        MntFlags::RDONLY.union(MntFlags::NOSUID).union(MntFlags::NODEV).union(MntFlags::NOEXEC).union(MntFlags::ATIME);

    /// These flags with every one that is set locked, and the mount
    /// locked in place (Linux: lock_mnt_tree()'s per-mount step).
    pub fn locked(self) -> MntFlags {
        let mut f = self | MntFlags::LOCK_ATIME | MntFlags::LOCKED;
        for (flag, lock) in [
            (MntFlags::RDONLY, MntFlags::LOCK_READONLY),
            (MntFlags::NODEV, MntFlags::LOCK_NODEV),
            (MntFlags::NOSUID, MntFlags::LOCK_NOSUID),
            (MntFlags::NOEXEC, MntFlags::LOCK_NOEXEC),
        ] {
            if self.contains(flag) {
                f |= lock;
            }
        }
        f
    }

    /// Whether a remount may replace these flags by `new`: no locked
    /// flag cleared, a locked atime rule unchanged (Linux:
    /// can_change_locked_flags()).
    pub fn may_become(self, new: MntFlags) -> bool {
        let kept = [
            (MntFlags::LOCK_READONLY, MntFlags::RDONLY),
            (MntFlags::LOCK_NODEV, MntFlags::NODEV),
            (MntFlags::LOCK_NOSUID, MntFlags::NOSUID),
            (MntFlags::LOCK_NOEXEC, MntFlags::NOEXEC),
        ];
        if kept.iter().any(|&(lock, flag)| self.contains(lock) && !new.contains(flag)) {
            return false;
        }
        !self.contains(MntFlags::LOCK_ATIME) || self & MntFlags::ATIME == new & MntFlags::ATIME
    }

    /// The mount options as /proc/<pid>/mountinfo's sixth field shows
    /// them, without the leading `rw`/`ro` (Linux: show_mnt_opts()).
    pub fn show(self, out: &mut Vec<u8>) {
        let names: [(MntFlags, &[u8]); 6] = [
            (MntFlags::NOSUID, b",nosuid"),
            (MntFlags::NODEV, b",nodev"),
            (MntFlags::NOEXEC, b",noexec"),
            (MntFlags::NOATIME, b",noatime"),
            (MntFlags::NODIRATIME, b",nodiratime"),
            (MntFlags::RELATIME, b",relatime"),
        ];
        for (flag, name) in names {
            if self.contains(flag) {
                out.extend_from_slice(name);
            }
        }
    }
}

/// One file system instance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SuperBlock {
    pub fstype: FsType,
    /// `st_dev` of its files: an anonymous device (major 0).
    pub dev: u64,
    /// Its root directory in the RAM inode store; for proc, which stores
    /// nothing, the directory it was first mounted on.
    pub root: Ino,
    /// Read-only (Linux: `SB_RDONLY`).
    pub readonly: bool,
    /// tmpfs `size=`, in bytes, as given (shown, not enforced).
    pub size: Option<u64>,
    /// tmpfs `mode=`, `uid=`, `gid=` of the root directory.
    pub mode: Option<u32>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    /// proc: the raw handle of the PID namespace it shows, held while the
    /// instance lives (Linux: `proc_fs_info.pid_ns`); 0 for the initial
    /// namespace, which is never held.
    pub pid_ns: u32,
    /// The user namespace it belongs to, whose CAP_SYS_ADMIN changes it
    /// (Linux: `s_user_ns`), as its handle number and inode number; (0, 0)
    /// for the initial one. Not held, unlike Linux's: an instance may
    /// outlive its last mount, and the inode number tells a namespace
    /// that reuses the handle number apart.
    pub user_ns: (u32, u32),
}

impl SuperBlock {
    pub fn new(fstype: FsType, dev: u64, root: Ino) -> Self {
        SuperBlock {
            fstype,
            dev,
            root,
            readonly: false,
            size: None,
            mode: None,
            uid: None,
            gid: None,
            pid_ns: 0,
            user_ns: (0, 0),
        }
    }

    /// The file system's own options after `rw`/`ro` (Linux:
    /// `s_op->show_options`, shmem_show_options() for tmpfs).
    pub fn show_options(&self, out: &mut Vec<u8>) {
        use core::fmt::Write as _;
        let mut s = alloc::string::String::new();
        if let Some(size) = self.size {
            // Whole pages, shown in KiB.
            let _ = write!(s, ",size={}k", size.div_ceil(4096) * 4);
        }
        // tmpfs's default root mode, 1777, is not shown.
        if let Some(mode) = self.mode.filter(|&m| m != 0o1777) {
            let _ = write!(s, ",mode={mode:03o}");
        }
        if let Some(uid) = self.uid.filter(|&u| u != 0) {
            let _ = write!(s, ",uid={uid}");
        }
        if let Some(gid) = self.gid.filter(|&g| g != 0) {
            let _ = write!(s, ",gid={gid}");
        }
        out.extend_from_slice(s.as_bytes());
    }
}

/// One mount: where an instance (or a directory of it, for a bind mount)
/// is attached. Linux: `struct mount`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mount {
    pub id: MountId,
    /// The mount it is attached to; the root mount is its own parent.
    pub parent: MountId,
    /// The directory of the parent mount it covers.
    pub mountpoint: Ino,
    /// The directory shown at the mount point: the instance's root, or
    /// any directory of it for a bind mount.
    pub root: Ino,
    pub sb: SbId,
    /// What mount(2) was given as the source (Linux: `mnt_devname`).
    pub source: Vec<u8>,
    pub flags: MntFlags,
}

/// The file system instances, by id (shared by all mount tables).
#[derive(Clone, Debug)]
pub struct SuperBlocks {
    map: BTreeMap<SbId, SuperBlock>,
    next: SbId,
    /// Minor numbers of anonymous devices handed out so far.
    next_minor: u32,
}

impl SuperBlocks {
    /// The instance of `/` (rootfs) with device `dev`.
    pub fn new(root_dev: u64, root: Ino) -> Self {
        let mut map = BTreeMap::new();
        map.insert(ROOT_SB, SuperBlock::new(FsType::Rootfs, root_dev, root));
        SuperBlocks { map, next: ROOT_SB + 1, next_minor: 40 }
    }

    /// A new instance with a fresh anonymous device, or the given one.
    /// Linux: sget_fc() → set_anon_super().
    pub fn add(&mut self, fstype: FsType, dev: Option<u64>, root: Ino) -> SbId {
        let dev = dev.unwrap_or_else(|| {
            self.next_minor += 1;
            makedev(0, self.next_minor)
        });
        let id = self.next;
        self.next += 1;
        self.map.insert(id, SuperBlock::new(fstype, dev, root));
        id
    }

    pub fn get(&self, sb: SbId) -> Option<&SuperBlock> {
        self.map.get(&sb)
    }

    pub fn get_mut(&mut self, sb: SbId) -> Option<&mut SuperBlock> {
        self.map.get_mut(&sb)
    }

    pub fn remove(&mut self, sb: SbId) {
        if sb != ROOT_SB {
            self.map.remove(&sb);
        }
    }
}

/// The mounts of one namespace, in the order they were made (which is the
/// order /proc/<pid>/mountinfo lists them, as Linux's namespace list).
#[derive(Clone, Debug)]
pub struct MountTable {
    mounts: Vec<Mount>,
    next_id: MountId,
}

impl MountTable {
    /// A table holding only `/`: instance [`ROOT_SB`] with root `root`.
    pub fn new(root: Ino) -> Self {
        let m = Mount {
            id: ROOT_MOUNT,
            parent: ROOT_MOUNT,
            mountpoint: root,
            root,
            sb: ROOT_SB,
            source: b"rootfs".to_vec(),
            flags: MntFlags::empty(),
        };
        MountTable { mounts: alloc::vec![m], next_id: ROOT_MOUNT + 1 }
    }

    /// Attach `root` of instance `sb` at `mountpoint` of mount `parent`,
    /// on top of whatever is mounted there already. Linux: graft_tree().
    pub fn add(
        &mut self,
        parent: MountId,
        mountpoint: Ino,
        root: Ino,
        sb: SbId,
        source: &[u8],
        flags: MntFlags,
    ) -> MountId {
        let id = self.next_id;
        self.next_id += 1;
        self.mounts.push(Mount { id, parent, mountpoint, root, sb, source: source.to_vec(), flags });
        id
    }

    /// The mount of `/`: the one that is its own parent.
    pub fn root_mount(&self) -> &Mount {
        self.mounts.iter().find(|m| m.id == m.parent).expect("a mount table has a root")
    }

    pub fn get(&self, id: MountId) -> Option<&Mount> {
        self.mounts.iter().find(|m| m.id == id)
    }

    pub fn get_mut(&mut self, id: MountId) -> Option<&mut Mount> {
        self.mounts.iter_mut().find(|m| m.id == id)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Mount> {
        self.mounts.iter()
    }

    /// Lock every mount of a table copied for a less privileged user
    /// namespace (Linux: lock_mnt_tree()).
    pub fn lock_all(&mut self) {
        for m in &mut self.mounts {
            m.flags = m.flags.locked();
        }
    }

    /// The mount on top at directory `ino` of mount `parent`, if any
    /// (the last one made there). Linux: __lookup_mnt().
    pub fn child_on(&self, parent: MountId, ino: Ino) -> Option<&Mount> {
        self.mounts.iter().rev().find(|m| m.id != m.parent && m.parent == parent && m.mountpoint == ino)
    }

    /// Whether some mount covers directory (or file) `ino`: it may not be
    /// removed or renamed (EBUSY, Linux: d_mountpoint() in vfs_rmdir()).
    pub fn is_mountpoint(&self, ino: Ino) -> bool {
        self.mounts.iter().any(|m| m.id != m.parent && m.mountpoint == ino)
    }

    /// Whether mount `id` has mounts attached below it.
    pub fn has_children(&self, id: MountId) -> bool {
        self.mounts.iter().any(|m| m.parent == id && m.id != id)
    }

    /// A mount that shows inode `ino` of instance `sb`: one whose root is
    /// `ino`, else the first of the instance. Tine's cwd and open files
    /// keep an inode, not Linux's (mount, dentry) pair, so a walk that
    /// starts from them guesses its mount; only bind mounts make the guess
    /// ambiguous.
    pub fn mount_of(&self, sb: SbId, ino: Ino) -> MountId {
        self.mounts
            .iter()
            .rev()
            .find(|m| m.sb == sb && m.root == ino)
            .or_else(|| self.mounts.iter().find(|m| m.sb == sb))
            .map_or(ROOT_MOUNT, |m| m.id)
    }

    /// Move mount `id` (with what is mounted below it) to directory
    /// `mountpoint` of mount `parent`. Linux: umount_mnt() + attach_mnt().
    pub fn reattach(&mut self, id: MountId, parent: MountId, mountpoint: Ino) {
        if let Some(m) = self.get_mut(id) {
            (m.parent, m.mountpoint) = (parent, mountpoint);
        }
    }

    /// Every mount, the table gone (a mount namespace's end).
    pub fn into_mounts(self) -> Vec<Mount> {
        self.mounts
    }

    /// Detach mount `id` and everything mounted below it; returns them.
    /// Linux: umount_tree().
    pub fn remove_tree(&mut self, id: MountId) -> Vec<Mount> {
        let mut gone: Vec<MountId> = alloc::vec![id];
        let mut i = 0;
        while i < gone.len() {
            let p = gone[i];
            gone.extend(self.mounts.iter().filter(|m| m.parent == p && m.id != p).map(|m| m.id));
            i += 1;
        }
        let (out, keep): (Vec<Mount>, Vec<Mount>) = self.mounts.drain(..).partition(|m| gone.contains(&m.id));
        self.mounts = keep;
        out
    }
}

/// Mount a new proc instance on directory `dir` of mount `parent`,
/// showing PID namespace `pid_ns` (a raw handle the caller holds for it,
/// 0 for the initial one). proc stores nothing, so its root is `dir`
/// itself (held while mounted) and /proc's code finds paths below it
/// through the table ([`procfs::route`](super::procfs::route)). Linux:
/// proc_get_tree().
pub fn mount_proc(
    fs: &mut super::RamFs,
    (parent, dir): (MountId, Ino),
    source: &[u8],
    flags: MntFlags,
    dev: Option<u64>,
    pid_ns: u32,
) -> Result<MountId, crate::abi::Errno> {
    fs.ihold(dir)?;
    let sb = fs.supers.add(FsType::Proc, dev, dir);
    if let Some(s) = fs.supers.get_mut(sb) {
        s.pid_ns = pid_ns;
    }
    Ok(fs.mounts.add(parent, dir, dir, sb, source, flags))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::*;
    use crate::fs::perm::FsCred;
    use crate::fs::ramfs::{Lookup, RamFs, ROOT_INO};

    const C: &FsCred = &FsCred::ROOT;

    /// `/mnt` with a file `under`, then a tmpfs on `/mnt` holding `/mnt/d`
    /// with a file `f`.
    fn mounted() -> (RamFs, Ino, Ino, MountId) {
        let mut fs = RamFs::new();
        let mnt = fs.mkdir(C, ROOT_INO, b"mnt", 0o755, 0).unwrap();
        fs.create(C, mnt, b"under", 0o644, 0).unwrap();
        let (sb, root) = fs.new_instance(FsType::Tmpfs, (0, 0), 0o1777, 0);
        let id = fs.mounts.add(ROOT_MOUNT, mnt, root, sb, b"none", MntFlags::RELATIME);
        let d = fs.mkdir_at(C, ROOT_INO, b"/mnt/d", 0o755, 0).unwrap();
        fs.create(C, d, b"f", 0o644, 0).unwrap();
        (fs, mnt, root, id)
    }

    #[test]
    fn locked_flags_stay() {
        let f = (MntFlags::RDONLY | MntFlags::NOSUID | MntFlags::RELATIME).locked();
        assert!(f.contains(MntFlags::LOCKED | MntFlags::LOCK_READONLY | MntFlags::LOCK_NOSUID | MntFlags::LOCK_ATIME));
        assert!(!f.contains(MntFlags::LOCK_NODEV), "only what was set is locked");
        assert!(!f.may_become(MntFlags::NOSUID | MntFlags::RELATIME), "clears read-only");
        assert!(!f.may_become(MntFlags::RDONLY | MntFlags::RELATIME), "clears nosuid");
        assert!(!f.may_become(MntFlags::RDONLY | MntFlags::NOSUID | MntFlags::NOATIME), "another atime rule");
        assert!(f.may_become(MntFlags::RDONLY | MntFlags::NOSUID | MntFlags::NODEV | MntFlags::RELATIME));
        let rw = MntFlags::RELATIME.locked();
        assert!(rw.may_become(MntFlags::RDONLY | MntFlags::RELATIME) && rw.may_become(MntFlags::RELATIME));
    }

    #[test]
    fn the_walk_crosses_mount_points_both_ways() {
        let (fs, mnt, root, id) = mounted();
        assert_eq!(fs.lookup(C, ROOT_INO, b"/mnt", Lookup::FOLLOW), Ok(root));
        assert_eq!(fs.lookup(C, ROOT_INO, b"/mnt/under", Lookup::FOLLOW), Err(ENOENT));
        assert_eq!(fs.lookup_mnt(C, ROOT_INO, b"/mnt/d/f", Lookup::FOLLOW).map(|(m, _)| m), Ok(id));
        assert_eq!(fs.lookup(C, ROOT_INO, b"/mnt/..", Lookup::FOLLOW), Ok(ROOT_INO));
        assert_eq!(fs.lookup(C, root, b"../mnt/d/../..", Lookup::FOLLOW), Ok(ROOT_INO));
        assert_eq!(fs.lookup(C, ROOT_INO, b"/..", Lookup::FOLLOW), Ok(ROOT_INO));
        let d = fs.lookup(C, ROOT_INO, b"/mnt/d", Lookup::FOLLOW).unwrap();
        assert_eq!(fs.path_of_dir(d).unwrap(), b"/mnt/d");
        assert_eq!(fs.path_of_dir(root).unwrap(), b"/mnt");
        let f = fs.lookup(C, ROOT_INO, b"/mnt/d/f", Lookup::FOLLOW).unwrap();
        assert_eq!(fs.path_of(f).unwrap(), b"/mnt/d/f");
        assert_ne!(fs.stat(f).unwrap().st_dev, fs.stat(mnt).unwrap().st_dev);
    }

    #[test]
    fn mount_points_and_instances_limit_changes() {
        let (mut fs, _, _, _) = mounted();
        assert_eq!(fs.rmdir_at(C, ROOT_INO, b"/mnt", 0), Err(EBUSY));
        assert_eq!(fs.rename_at(C, ROOT_INO, b"/mnt/d/f", ROOT_INO, b"/f", 0, 0), Err(EXDEV));
        let f = fs.lookup(C, ROOT_INO, b"/mnt/d/f", Lookup::FOLLOW).unwrap();
        assert_eq!(fs.link(C, f, ROOT_INO, b"f", 0), Err(EXDEV));
    }

    #[test]
    fn umount_uncovers_and_frees() {
        let (mut fs, mnt, _, id) = mounted();
        let before = fs.inode_count();
        let f = fs.lookup(C, ROOT_INO, b"/mnt/d/f", Lookup::FOLLOW).unwrap();
        fs.ihold(f).unwrap();
        assert!(fs.tree_in_use(fs.mounts.get(id).unwrap().root, |_| 0));
        let gone = fs.mounts.remove_tree(id);
        assert_eq!(gone.len(), 1);
        assert!(!fs.free_instance(gone[0].sb), "an open file keeps it");
        fs.iput(f);
        assert!(fs.free_instance(gone[0].sb));
        assert_eq!(fs.inode_count(), before - 3);
        let under = fs.lookup(C, ROOT_INO, b"/mnt/under", Lookup::FOLLOW).unwrap();
        assert_eq!(fs.lookup(C, ROOT_INO, b"/mnt", Lookup::FOLLOW), Ok(mnt));
        assert!(fs.inode(under).is_ok());
    }

    #[test]
    fn a_read_only_instance_refuses_changes() {
        let (mut fs, _, root, _) = mounted();
        fs.supers.get_mut(fs.inode(root).unwrap().sb()).unwrap().readonly = true;
        assert_eq!(fs.mkdir_at(C, ROOT_INO, b"/mnt/e", 0o755, 0), Err(EROFS));
        assert_eq!(fs.mkdir_at(C, ROOT_INO, b"/mnt/d", 0o755, 0), Err(EEXIST));
        assert_eq!(fs.unlink_at(C, ROOT_INO, b"/mnt/d/f", 0), Err(EROFS));
        assert_eq!(fs.open(C, ROOT_INO, b"/mnt/d/f", O_WRONLY, 0, 0), Err(EROFS));
        assert!(fs.open(C, ROOT_INO, b"/mnt/d/f", O_RDONLY, 0, 0).is_ok());
    }

    #[test]
    fn a_read_only_mount_refuses_changes_through_it_only() {
        let (mut fs, _, root, id) = mounted();
        // A second, read-only mount of the same directory, on /ro.
        let ro = fs.mkdir(C, ROOT_INO, b"ro", 0o755, 0).unwrap();
        let sb = fs.inode(root).unwrap().sb();
        fs.ihold(root).unwrap();
        let bind = fs.mounts.add(ROOT_MOUNT, ro, root, sb, b"none", MntFlags::RDONLY | MntFlags::RELATIME);
        assert_eq!(fs.mnt_want_write(bind), Err(EROFS));
        assert_eq!(fs.mnt_want_write(id), Ok(()));
        assert_eq!(fs.mkdir_at(C, ROOT_INO, b"/ro/e", 0o755, 0), Err(EROFS));
        assert_eq!(fs.mkdir_at(C, ROOT_INO, b"/ro/d", 0o755, 0), Err(EEXIST), "EEXIST before EROFS");
        assert_eq!(fs.unlink_at(C, ROOT_INO, b"/ro/d/missing", 0), Err(EROFS), "EROFS before ENOENT");
        assert_eq!(fs.open(C, ROOT_INO, b"/ro/d/f", O_WRONLY, 0, 0), Err(EROFS));
        assert_eq!(fs.open(C, ROOT_INO, b"/ro/d/new", O_CREAT | O_WRONLY, 0o644, 0), Err(EROFS));
        assert!(fs.open(C, ROOT_INO, b"/ro/d/f", O_RDONLY, 0, 0).is_ok());
        assert!(fs.mkdir_at(C, ROOT_INO, b"/mnt/e", 0o755, 0).is_ok(), "the other mount stays writable");
    }

    #[test]
    fn options_are_shown_as_linux_shows_them() {
        let mut sb = SuperBlock::new(FsType::Tmpfs, makedev(0, 40), 2);
        sb.mode = Some(0o1777);
        sb.uid = Some(0);
        let mut out = Vec::new();
        sb.show_options(&mut out);
        assert_eq!(out, b"");
        sb.size = Some(1 << 20);
        sb.mode = Some(0o700);
        sb.gid = Some(5);
        sb.show_options(&mut out);
        assert_eq!(out, b",size=1024k,mode=700,gid=5");
        let mut f = Vec::new();
        (MntFlags::NOSUID | MntFlags::RELATIME).show(&mut f);
        assert_eq!(f, b",nosuid,relatime");
    }
}
