//! An in-memory inode file system, the one Tine's `/` lives on
//! (Linux: fs/ramfs/, and tmpfs in mm/shmem.c, over the VFS in fs/namei.c).
//!
//! Linux splits this into the VFS (path walk, dentries, `struct file`) and a
//! file system under it. Here [`RamFs`] holds both: inodes in a map keyed
//! by inode number, directories as name → inode maps, the mount table and
//! the walk's root; the walk itself is `fs::namei`'s, to which this store
//! is a `FileSystem` (`namei`: the path-level operations). Every RAM-backed instance (`/`, each
//! tmpfs mount, the sysfs placeholder) keeps its inodes in this one store,
//! each inode naming its instance ([`super::mount`]). There is no dentry
//! cache: a directory's entries *are* its dentries, and a directory records
//! its one parent (an instance's root is its own), which is what `..` and
//! `getcwd` need.
//!
//! Lifetime follows Linux's two counters. `nlink` counts names; `refs`
//! counts everything else that keeps an inode alive (open files, a task's
//! cwd: Linux's `i_count`, taken with [`RamFs::ihold`] and dropped with
//! [`RamFs::iput`]). An inode is freed when both reach zero, so an unlinked
//! file stays readable through descriptors opened before the unlink.
//!
//! Timestamps are nanoseconds since the epoch, passed in by the caller as
//! `now` (Linux: `current_time()`). Reads do not update `atime`, as with the
//! `noatime` mount option. Every operation a task asks for carries its
//! credentials ([`FsCred`]) and is checked as Linux checks it: search
//! permission on each directory walked, write permission where names are
//! added or removed, the access mode at open (rules in [`super::perm`]).
//! The kernel's own work (the initramfs) passes [`FsCred::ROOT`].

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

mod data;
mod namei;

use super::mount::{FsType, MntFlags, MountId, MountTable, SbId, SuperBlocks, ROOT_MOUNT, ROOT_SB};
pub use super::namei::{Last, Lookup, Parent};
use super::perm::{self, FsCred, MAY_EXEC, MAY_READ, MAY_WRITE};
use crate::abi::*;

/// An inode number, unique within one [`RamFs`] and never reused.
pub type Ino = u64;

/// The root directory's inode number.
pub const ROOT_INO: Ino = 1;

/// The device number `stat` reports in `st_dev` for this file system: an
/// anonymous device (major 0), as Linux gives tmpfs.
pub const RAMFS_DEV: u64 = makedev(0, 1);

pub use crate::mm::consts::MAX_FILE_SIZE;

/// A directory's `st_size` grows by this much per entry, `.` and `..`
/// included. Linux: `BOGO_DIRENT_SIZE` in mm/shmem.c.
const BOGO_DIRENT_SIZE: u64 = 20;

/// `st_blksize`: the page size, like tmpfs.
const BLOCK_SIZE: u64 = 4096;

/// The type of an inode, from the `S_IFMT` bits of its mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileType {
    Regular,
    Directory,
    Symlink,
    CharDevice,
    BlockDevice,
    Fifo,
    Socket,
}

impl FileType {
    fn of_mode(mode: u32) -> Self {
        match mode & S_IFMT {
            S_IFDIR => FileType::Directory,
            S_IFLNK => FileType::Symlink,
            S_IFCHR => FileType::CharDevice,
            S_IFBLK => FileType::BlockDevice,
            S_IFIFO => FileType::Fifo,
            S_IFSOCK => FileType::Socket,
            _ => FileType::Regular,
        }
    }
}

/// One inode. Linux: `struct inode` plus the file system's private part.
#[derive(Debug)]
pub struct Inode {
    ino: Ino,
    /// The file system instance it belongs to ([`super::mount`]).
    sb: SbId,
    /// Type and permission bits, as `st_mode`.
    mode: u32,
    uid: u32,
    gid: u32,
    /// Names referring to this inode; for a directory, 2 + subdirectories
    /// (its name, its `.`, and each child's `..`), 0 once removed.
    nlink: u32,
    /// Holders other than names. Linux: `i_count`.
    refs: u32,
    /// Open file descriptions that may write it (> 0), or address spaces
    /// running it as their program (< 0); never both. Linux: `i_writecount`.
    writecount: i32,
    /// The device a device node stands for (`st_rdev`).
    rdev: u64,
    atime: u64,
    mtime: u64,
    ctime: u64,
    data: Data,
}

#[derive(Debug)]
enum Data {
    File(Vec<u8>),
    Dir(Dir),
    /// The link's target, never empty.
    Symlink(Vec<u8>),
    /// Devices, FIFOs and sockets: the inode only names them; what they do
    /// is the business of the file layer, which dispatches on `rdev`.
    Special,
}

/// A directory's entries.
///
/// Each entry gets a readdir position when it is linked, which never
/// changes and is never reused, so a `getdents64` loop that resumes from a
/// saved position neither skips nor repeats an entry when others are added
/// or removed in between. Positions 0 and 1 are `.` and `..`.
/// Linux: the `simple_offset` map tmpfs keeps per directory (fs/libfs.c).
#[derive(Debug)]
struct Dir {
    entries: BTreeMap<Vec<u8>, Dentry>,
    by_pos: BTreeMap<u64, Vec<u8>>,
    next_pos: u64,
    /// Where `..` leads; the root is its own parent.
    parent: Ino,
}

#[derive(Clone, Copy, Debug)]
struct Dentry {
    ino: Ino,
    pos: u64,
}

impl Dir {
    fn new(parent: Ino) -> Self {
        Dir { entries: BTreeMap::new(), by_pos: BTreeMap::new(), next_pos: 2, parent }
    }

    fn get(&self, name: &[u8]) -> Option<Ino> {
        self.entries.get(name).map(|d| d.ino)
    }

    fn insert(&mut self, name: &[u8], ino: Ino) {
        let pos = self.next_pos;
        self.next_pos += 1;
        self.by_pos.insert(pos, name.to_vec());
        self.entries.insert(name.to_vec(), Dentry { ino, pos });
    }

    fn remove(&mut self, name: &[u8]) -> Option<Ino> {
        let d = self.entries.remove(name)?;
        self.by_pos.remove(&d.pos);
        Some(d.ino)
    }
}

impl Inode {
    pub fn ino(&self) -> Ino {
        self.ino
    }
    /// The file system instance it belongs to.
    pub fn sb(&self) -> SbId {
        self.sb
    }
    pub fn mode(&self) -> u32 {
        self.mode
    }
    pub fn file_type(&self) -> FileType {
        FileType::of_mode(self.mode)
    }
    pub fn is_dir(&self) -> bool {
        matches!(self.data, Data::Dir(_))
    }
    pub fn nlink(&self) -> u32 {
        self.nlink
    }
    /// Holders other than names (open files, working directories, mounts).
    pub fn refs(&self) -> u32 {
        self.refs
    }
    pub fn uid(&self) -> u32 {
        self.uid
    }
    pub fn gid(&self) -> u32 {
        self.gid
    }
    /// The device number of a device node.
    pub fn rdev(&self) -> u64 {
        self.rdev
    }
    /// `st_size`: bytes for a file, target length for a symlink, a
    /// nominal size for a directory (as tmpfs reports).
    pub fn size(&self) -> u64 {
        match &self.data {
            Data::File(v) | Data::Symlink(v) => v.len() as u64,
            Data::Dir(d) => BOGO_DIRENT_SIZE * (d.entries.len() as u64 + 2),
            Data::Special => 0,
        }
    }
}

/// One directory entry as `getdents64` reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DirEntry<'a> {
    pub ino: Ino,
    /// The position to resume from after this entry (`d_off`).
    pub next_pos: u64,
    pub d_type: u8,
    pub name: &'a [u8],
}

/// The file system. Not internally locked: the caller serializes access.
#[derive(Debug)]
pub struct RamFs {
    inodes: BTreeMap<Ino, Inode>,
    next_ino: Ino,
    /// The file system instances whose inodes live here, and proc's.
    pub supers: SuperBlocks,
    /// What is mounted where: the path walk crosses these. One table for
    /// now; mount namespaces will each hold a copy.
    pub mounts: MountTable,
    /// The memfds' names and seals (`fs::memfd`).
    pub memfds: crate::fs::memfd::Memfds,
    /// Extended attributes (`fs::xattr`).
    pub xattrs: crate::fs::xattr::Xattrs,
    /// Where absolute paths start and `..` stops: the calling process's
    /// root directory (its fs_struct's, after chroot(2) or
    /// pivot_root(2)), loaded as the mount table is (`Kernel::root_switch`).
    /// Linux: `nd->root`, taken from `current->fs->root`.
    walk_root: (MountId, Ino),
}

impl Default for RamFs {
    fn default() -> Self {
        Self::new()
    }
}

impl RamFs {
    /// An empty file system: a root directory, mode 0755, owned by root,
    /// its times at the epoch (boot code may [`set_times`](Self::set_times)).
    pub fn new() -> Self {
        let mut fs = RamFs {
            inodes: BTreeMap::new(),
            next_ino: ROOT_INO,
            supers: SuperBlocks::new(RAMFS_DEV, ROOT_INO),
            mounts: MountTable::new(ROOT_INO),
            memfds: Default::default(),
            xattrs: Default::default(),
            walk_root: (ROOT_MOUNT, ROOT_INO),
        };
        let root = fs.new_inode(ROOT_SB, (0, 0), S_IFDIR | 0o755, 0, Data::Dir(Dir::new(ROOT_INO)), 0);
        debug_assert_eq!(root, ROOT_INO);
        fs
    }

    /// The root directory of the whole tree (the rootfs's root).
    pub fn root(&self) -> Ino {
        ROOT_INO
    }

    /// The loaded root of path walks: the caller's root directory and the
    /// mount it is seen through.
    pub fn walk_root(&self) -> (MountId, Ino) {
        self.walk_root
    }

    /// Load the root path walks start absolute paths at and stop `..` at.
    pub fn set_walk_root(&mut self, root: (MountId, Ino)) {
        self.walk_root = root;
    }

    /// The inode `ino`. `ESTALE` means the caller kept a number without a
    /// reference ([`ihold`](Self::ihold)): a kernel bug, reported, not a panic.
    pub fn inode(&self, ino: Ino) -> Result<&Inode, Errno> {
        self.inodes.get(&ino).ok_or(ESTALE)
    }

    fn inode_mut(&mut self, ino: Ino) -> Result<&mut Inode, Errno> {
        self.inodes.get_mut(&ino).ok_or(ESTALE)
    }

    /// How many inodes exist, for leak checks in tests.
    pub fn inode_count(&self) -> usize {
        self.inodes.len()
    }

    // -----------------------------------------------------------------------
    // References

    /// Take a reference that keeps `ino` alive after its last name goes
    /// (an open file, a cwd). Linux: `ihold()`.
    pub fn ihold(&mut self, ino: Ino) -> Result<(), Errno> {
        self.inode_mut(ino)?.refs += 1;
        Ok(())
    }

    /// One more description that may write `ino`; ETXTBSY while a
    /// process runs it. Linux: get_write_access().
    pub fn get_write_access(&mut self, ino: Ino) -> Result<(), Errno> {
        let inode = self.inode_mut(ino)?;
        if inode.writecount < 0 {
            return Err(ETXTBSY);
        }
        inode.writecount += 1;
        Ok(())
    }

    /// Linux: put_write_access().
    pub fn put_write_access(&mut self, ino: Ino) {
        if let Ok(inode) = self.inode_mut(ino) {
            debug_assert!(inode.writecount > 0, "put_write_access without a writer on inode {ino}");
            inode.writecount -= 1;
        }
    }

    /// One more address space runs `ino`: nobody may open it for writing
    /// until it stops; ETXTBSY if a description may write it now.
    /// Linux: exe_file_deny_write_access() (deny_write_access()).
    pub fn deny_write_access(&mut self, ino: Ino) -> Result<(), Errno> {
        let inode = self.inode_mut(ino)?;
        if inode.writecount > 0 {
            return Err(ETXTBSY);
        }
        inode.writecount -= 1;
        Ok(())
    }

    /// Linux: exe_file_allow_write_access() (allow_write_access()).
    pub fn allow_write_access(&mut self, ino: Ino) {
        if let Ok(inode) = self.inode_mut(ino) {
            debug_assert!(inode.writecount < 0, "allow_write_access without a denial on inode {ino}");
            inode.writecount += 1;
        }
    }

    /// Whether a running program makes writes to `ino` fail with ETXTBSY
    /// (and, as Linux, whether a writer makes exec of it fail).
    pub fn write_access_error(&self, ino: Ino, writing: bool) -> Result<(), Errno> {
        let w = self.inode(ino)?.writecount;
        if (writing && w < 0) || (!writing && w > 0) {
            return Err(ETXTBSY);
        }
        Ok(())
    }

    /// Drop a reference taken by [`ihold`](Self::ihold) or
    /// [`open`](Self::open); frees the inode if nothing else names it.
    /// Linux: `iput()`.
    pub fn iput(&mut self, ino: Ino) {
        if let Ok(inode) = self.inode_mut(ino) {
            debug_assert!(inode.refs > 0, "iput without ihold on inode {ino}");
            inode.refs = inode.refs.saturating_sub(1);
            self.maybe_free(ino);
        }
    }

    /// Free `ino` once no name and no reference keeps it. Linux:
    /// `iput_final()` → `evict()`.
    fn maybe_free(&mut self, ino: Ino) {
        if ino == ROOT_INO {
            return;
        }
        if let Some(i) = self.inodes.get(&ino) {
            if i.nlink == 0 && i.refs == 0 {
                self.inodes.remove(&ino);
                self.memfds.forget(ino);
                self.xattrs.forget(ino);
            }
        }
    }

    fn dir(&self, ino: Ino) -> Result<&Dir, Errno> {
        match &self.inode(ino)?.data {
            Data::Dir(d) => Ok(d),
            _ => Err(ENOTDIR),
        }
    }

    fn dir_mut(&mut self, ino: Ino) -> Result<&mut Dir, Errno> {
        match &mut self.inode_mut(ino)?.data {
            Data::Dir(d) => Ok(d),
            _ => Err(ENOTDIR),
        }
    }

    // -----------------------------------------------------------------------
    // Creating and removing names (inode level: a parent and one name)

    /// Create an empty regular file `name` in `parent`. `EEXIST` if the
    /// name is taken, by anything. `mode`'s permission bits are used as
    /// given: the caller has applied the umask. The new inode belongs to
    /// `cred` ([`perm::inode_init_owner`]), which must be allowed to write
    /// in `parent`. Linux: `vfs_create()`.
    pub fn create(&mut self, cred: &FsCred, parent: Ino, name: &[u8], mode: u32, now: u64) -> Result<Ino, Errno> {
        self.mknod(cred, parent, name, S_IFREG | (mode & S_IALLUGO), 0, now)
    }

    /// A regular file with no name in the root instance, owned by `cred`
    /// (a memfd); the caller takes a reference at once. Linux:
    /// shmem_file_setup() on the internal shm mount, with clear_nlink().
    pub fn create_unlinked(&mut self, cred: &FsCred, mode: u32, now: u64) -> Ino {
        let sb = self.inodes[&ROOT_INO].sb;
        let ino = self.new_inode(sb, (cred.uid, cred.gid), mode, 0, Data::File(Vec::new()), now);
        self.inodes.get_mut(&ino).expect("new inode").nlink = 0;
        ino
    }

    /// Create directory `name` in `parent`. Linux: `vfs_mkdir()`.
    pub fn mkdir(&mut self, cred: &FsCred, parent: Ino, name: &[u8], mode: u32, now: u64) -> Result<Ino, Errno> {
        self.check_new_entry(cred, parent, name)?;
        let (owner, mode) = self.init_owner(cred, parent, S_IFDIR | (mode & S_IALLUGO))?;
        let ino = self.new_inode(self.inode(parent)?.sb, owner, mode, 0, Data::Dir(Dir::new(parent)), now);
        self.link_entry(parent, name, ino, now)?;
        // The new directory's `..` links its parent.
        self.inode_mut(parent)?.nlink += 1;
        Ok(ino)
    }

    /// Create a file of any non-directory type: `mode & S_IFMT` is
    /// `S_IFREG` (or 0), `S_IFCHR`, `S_IFBLK`, `S_IFIFO` or `S_IFSOCK`;
    /// `rdev` is the device number for the device types.
    /// Linux: `vfs_mknod()` (`EPERM` for directories, as `may_mknod()`).
    pub fn mknod(
        &mut self,
        cred: &FsCred,
        parent: Ino,
        name: &[u8],
        mode: u32,
        rdev: u64,
        now: u64,
    ) -> Result<Ino, Errno> {
        check_mknod_type(mode)?;
        let perm = mode & S_IALLUGO;
        let (mode, data, rdev) = match mode & S_IFMT {
            0 | S_IFREG => (S_IFREG | perm, Data::File(Vec::new()), 0),
            ty @ (S_IFCHR | S_IFBLK) => (ty | perm, Data::Special, rdev),
            ty => (ty | perm, Data::Special, 0),
        };
        self.check_new_entry(cred, parent, name)?;
        // Linux: vfs_mknod(): a device node needs CAP_MKNOD, except a
        // whiteout (character device 0:0).
        let whiteout = mode & S_IFMT == S_IFCHR && rdev == 0;
        if matches!(mode & S_IFMT, S_IFCHR | S_IFBLK) && !whiteout && !cred.capable(crate::proc::capability::CAP_MKNOD)
        {
            return Err(EPERM);
        }
        let (owner, mode) = self.init_owner(cred, parent, mode)?;
        let ino = self.new_inode(self.inode(parent)?.sb, owner, mode, rdev, data, now);
        self.link_entry(parent, name, ino, now)?;
        Ok(ino)
    }

    /// Create symbolic link `name` in `parent` pointing at `target`.
    /// Linux: `vfs_symlink()`; `ENOENT` for an empty target, as
    /// `getname()` gives.
    pub fn symlink(&mut self, cred: &FsCred, parent: Ino, name: &[u8], target: &[u8], now: u64) -> Result<Ino, Errno> {
        if target.is_empty() {
            return Err(ENOENT);
        }
        if target.len() >= PATH_MAX {
            return Err(ENAMETOOLONG);
        }
        self.check_new_entry(cred, parent, name)?;
        let (owner, mode) = self.init_owner(cred, parent, S_IFLNK | 0o777)?;
        let target = crate::mm::kheap::try_copy(target).map_err(|_| ENOSPC)?;
        let sb = self.inode(parent)?.sb;
        let ino = self.new_inode(sb, owner, mode, 0, Data::Symlink(target), now);
        self.link_entry(parent, name, ino, now)?;
        Ok(ino)
    }

    /// Give inode `ino` another name. `EPERM` for a directory, `ENOENT` if
    /// it has no name left. Linux: `vfs_link()`.
    pub fn link(&mut self, cred: &FsCred, ino: Ino, parent: Ino, name: &[u8], now: u64) -> Result<(), Errno> {
        self.check_new_entry(cred, parent, name)?;
        let inode = self.inode(ino)?;
        // Linux: do_linkat() compares mounts; instances are close enough.
        if inode.sb != self.inode(parent)?.sb {
            return Err(EXDEV);
        }
        if inode.is_dir() {
            return Err(EPERM);
        }
        if inode.nlink == 0 {
            return Err(ENOENT);
        }
        self.link_entry(parent, name, ino, now)?;
        let inode = self.inode_mut(ino)?;
        inode.nlink += 1;
        inode.ctime = now;
        Ok(())
    }

    /// Remove the non-directory entry `name` from `parent`. The inode lives
    /// on while referenced. Linux: `vfs_unlink()`, whose `may_delete()`
    /// refuses before it looks at the type.
    pub fn unlink(&mut self, cred: &FsCred, parent: Ino, name: &[u8], now: u64) -> Result<(), Errno> {
        if is_dot_or_dotdot(name) {
            return Err(EISDIR);
        }
        self.check_writable(parent)?;
        let ino = self.lookup_child(parent, name)?;
        perm::may_delete(cred, self.inode(parent)?, self.inode(ino)?)?;
        if self.inode(ino)?.is_dir() {
            return Err(EISDIR);
        }
        if self.mounts.is_mountpoint(ino) {
            return Err(EBUSY);
        }
        self.unlink_entry(parent, name, now)?;
        let inode = self.inode_mut(ino)?;
        inode.nlink -= 1;
        inode.ctime = now;
        self.maybe_free(ino);
        Ok(())
    }

    /// Remove the empty directory `name` from `parent`. Linux:
    /// `vfs_rmdir()`, with `do_rmdir()`'s errnos for `.` and `..`.
    pub fn rmdir(&mut self, cred: &FsCred, parent: Ino, name: &[u8], now: u64) -> Result<(), Errno> {
        match name {
            b"." => return Err(EINVAL),
            b".." => return Err(ENOTEMPTY),
            _ => {}
        }
        self.check_writable(parent)?;
        let ino = self.lookup_child(parent, name)?;
        perm::may_delete(cred, self.inode(parent)?, self.inode(ino)?)?;
        self.dir(ino)?;
        if ino == ROOT_INO || self.mounts.is_mountpoint(ino) {
            return Err(EBUSY);
        }
        if !self.dir(ino)?.entries.is_empty() {
            return Err(ENOTEMPTY);
        }
        self.unlink_entry(parent, name, now)?;
        self.inode_mut(parent)?.nlink -= 1;
        let inode = self.inode_mut(ino)?;
        inode.nlink = 0;
        inode.ctime = now;
        self.maybe_free(ino);
        Ok(())
    }

    /// Move entry `old_name` of `old_parent` to `new_name` in `new_parent`,
    /// replacing what is there if the types allow. `flags` may hold
    /// `RENAME_NOREPLACE`; `RENAME_EXCHANGE` and `RENAME_WHITEOUT` are not
    /// supported (`EINVAL`). Linux: `vfs_rename()` + `simple_rename()`.
    #[allow(clippy::too_many_arguments)]
    pub fn rename(
        &mut self,
        cred: &FsCred,
        old_parent: Ino,
        old_name: &[u8],
        new_parent: Ino,
        new_name: &[u8],
        flags: u32,
        now: u64,
    ) -> Result<(), Errno> {
        if flags & !RENAME_NOREPLACE != 0 {
            return Err(EINVAL);
        }
        // Linux: do_renameat2() refuses two mounts before any name.
        if self.inode(old_parent)?.sb != self.inode(new_parent)?.sb {
            return Err(EXDEV);
        }
        if is_dot_or_dotdot(old_name) || is_dot_or_dotdot(new_name) {
            return Err(EBUSY);
        }
        self.check_writable(old_parent)?;
        let src = self.lookup_child(old_parent, old_name)?;
        if new_name.len() > NAME_MAX {
            return Err(ENAMETOOLONG);
        }
        let dst_dir = self.dir(new_parent)?;
        if self.inode(new_parent)?.nlink == 0 {
            return Err(ENOENT);
        }
        let dst = dst_dir.get(new_name);
        if dst.is_some() && flags & RENAME_NOREPLACE != 0 {
            return Err(EEXIST);
        }
        if dst == Some(src) {
            // Two names of one inode: POSIX says do nothing.
            return Ok(());
        }
        let src_is_dir = self.inode(src)?.is_dir();
        if src_is_dir && self.is_ancestor(src, new_parent)? {
            // Moving a directory under itself would cut it off from `/`.
            return Err(EINVAL);
        }
        // Linux: vfs_rename(): the name may go from the old directory and
        // come to (or replace one in) the new; a directory that changes
        // parent must itself be writable, for its `..`.
        perm::may_delete(cred, self.inode(old_parent)?, self.inode(src)?)?;
        match dst {
            Some(dst) => perm::may_delete(cred, self.inode(new_parent)?, self.inode(dst)?)?,
            None => perm::may_create(cred, self.inode(new_parent)?)?,
        }
        if src_is_dir && old_parent != new_parent {
            perm::inode_permission(cred, self.inode(src)?, MAY_WRITE)?;
        }
        if self.mounts.is_mountpoint(src) || dst.is_some_and(|d| self.mounts.is_mountpoint(d)) {
            return Err(EBUSY);
        }
        if let Some(dst) = dst {
            match (src_is_dir, self.inode(dst)?.is_dir()) {
                (true, false) => return Err(ENOTDIR),
                (false, true) => return Err(EISDIR),
                (true, true) if !self.dir(dst)?.entries.is_empty() => return Err(ENOTEMPTY),
                _ => {}
            }
        }

        // Checks done: from here on nothing fails.
        if let Some(dst) = dst {
            self.unlink_entry(new_parent, new_name, now)?;
            let victim = self.inode_mut(dst)?;
            victim.ctime = now;
            if src_is_dir {
                victim.nlink = 0;
                self.inode_mut(new_parent)?.nlink -= 1;
            } else {
                victim.nlink -= 1;
            }
            self.maybe_free(dst);
        }
        self.unlink_entry(old_parent, old_name, now)?;
        self.link_entry(new_parent, new_name, src, now)?;
        if src_is_dir {
            self.dir_mut(src)?.parent = new_parent;
            self.inode_mut(old_parent)?.nlink -= 1;
            self.inode_mut(new_parent)?.nlink += 1;
        }
        self.inode_mut(src)?.ctime = now;
        Ok(())
    }

    /// Is directory `dir` equal to `ino` or below it?
    pub(crate) fn is_ancestor(&self, ino: Ino, mut dir: Ino) -> Result<bool, Errno> {
        loop {
            if dir == ino {
                return Ok(true);
            }
            let parent = self.dir(dir)?.parent;
            // The root of an instance is its own parent.
            if parent == dir {
                return Ok(false);
            }
            dir = parent;
        }
    }

    /// The checks every new name goes through, made before anything is
    /// allocated so that no error path has to undo work. Linux:
    /// `may_create()` and the lookup in `filename_create()`.
    fn check_new_entry(&self, cred: &FsCred, parent: Ino, name: &[u8]) -> Result<(), Errno> {
        let dir = self.dir(parent)?;
        if self.inode(parent)?.nlink == 0 {
            // Creating in a removed directory (a cwd that was rmdir'ed).
            return Err(ENOENT);
        }
        if name.is_empty() {
            return Err(ENOENT);
        }
        if is_dot_or_dotdot(name) {
            return Err(EEXIST);
        }
        if name.len() > NAME_MAX {
            return Err(ENAMETOOLONG);
        }
        if name.contains(&b'/') || name.contains(&0) {
            return Err(EINVAL);
        }
        if dir.entries.contains_key(name) {
            return Err(EEXIST);
        }
        // Linux: filename_create() reports mnt_want_write()'s EROFS only
        // for a name that does not exist.
        self.check_writable(parent)?;
        // Permission next: Linux's lookup finds an existing name (EEXIST)
        // before may_create() asks for write and search permission.
        perm::may_create(cred, self.inode(parent)?)?;
        // An inode, a name and a directory entry: tmpfs is full when the
        // kernel heap is down to its reserve (Linux: nr_inodes, size).
        if !crate::mm::kheap::may_alloc(INODE_COST + 2 * name.len()) {
            return Err(ENOSPC);
        }
        Ok(())
    }

    /// `EROFS` if `ino`'s file system instance is read-only (Linux:
    /// mnt_want_write(), IS_RDONLY()).
    pub fn check_writable(&self, ino: Ino) -> Result<(), Errno> {
        let sb = self.inode(ino)?.sb;
        if self.supers.get(sb).is_some_and(|s| s.readonly) {
            return Err(EROFS);
        }
        Ok(())
    }

    /// `EROFS` if a change through mount `mnt` is refused: the mount is
    /// read-only (mounted or remounted so, a read-only bind) or the
    /// instance it shows is. Linux: mnt_want_write() → mnt_is_readonly().
    pub fn mnt_want_write(&self, mnt: MountId) -> Result<(), Errno> {
        let Some(m) = self.mounts.get(mnt) else { return Ok(()) };
        if m.flags.contains(MntFlags::RDONLY) || self.supers.get(m.sb).is_some_and(|s| s.readonly) {
            return Err(EROFS);
        }
        Ok(())
    }

    /// `EACCES` if programs may not run from mount `mnt` (MS_NOEXEC).
    /// Linux: path_noexec() in do_open_execat().
    pub fn mnt_may_exec(&self, mnt: MountId) -> Result<(), Errno> {
        if self.mounts.get(mnt).is_some_and(|m| m.flags.contains(MntFlags::NOEXEC)) {
            return Err(EACCES);
        }
        Ok(())
    }

    /// A new, empty instance of a RAM-backed file system: its root
    /// directory, owned by `owner` with `mode`, which is its own parent.
    /// The caller mounts it. Linux: shmem_fill_super(), sysfs_fill_super().
    pub fn new_instance(&mut self, fstype: FsType, owner: (u32, u32), mode: u32, now: u64) -> (SbId, Ino) {
        let ino = self.next_ino;
        let sb = self.supers.add(fstype, None, ino);
        let root = self.new_inode(sb, owner, S_IFDIR | (mode & 0o7777), 0, Data::Dir(Dir::new(ino)), now);
        debug_assert_eq!(root, ino);
        (sb, root)
    }

    /// Free every inode of instance `sb` once nothing holds any of them
    /// (after its last mount is gone); else keep them, as a lazily
    /// unmounted file system lives on while its files are open.
    /// Linux: deactivate_super() → kill_litter_super().
    pub fn free_instance(&mut self, sb: SbId) -> bool {
        if self.inodes.values().any(|i| i.sb == sb && i.refs > 0) {
            return false;
        }
        self.inodes.retain(|_, i| i.sb != sb);
        self.supers.remove(sb);
        true
    }

    /// Whether anything but names holds an inode of the tree below
    /// directory `top` (not crossing into other instances): an open file,
    /// a cwd. `own(ino)` references on each inode are not counted (the
    /// mounts showing `top`, places held in other mount namespaces).
    pub fn tree_in_use(&self, top: Ino, own: impl Fn(Ino) -> u32) -> bool {
        let mut stack = alloc::vec![top];
        let mut seen = alloc::collections::BTreeSet::new();
        while let Some(ino) = stack.pop() {
            if !seen.insert(ino) {
                continue;
            }
            let Ok(i) = self.inode(ino) else { continue };
            if i.refs > own(ino) {
                return true;
            }
            if let Data::Dir(d) = &i.data {
                stack.extend(d.entries.values().map(|d| d.ino));
            }
        }
        false
    }

    /// Owner and mode of a new inode `cred` makes in `parent`.
    fn init_owner(&self, cred: &FsCred, parent: Ino, mode: u32) -> Result<((u32, u32), u32), Errno> {
        let (uid, gid, mode) = perm::inode_init_owner(cred, self.inode(parent)?, mode);
        Ok(((uid, gid), mode))
    }

    /// A new inode owned by `(uid, gid)` with the link count of one name
    /// (plus, for a directory, its own `.`): callers link it into a
    /// directory at once.
    fn new_inode(&mut self, sb: SbId, (uid, gid): (u32, u32), mode: u32, rdev: u64, data: Data, now: u64) -> Ino {
        let ino = self.next_ino;
        self.next_ino += 1;
        let nlink = if matches!(data, Data::Dir(_)) { 2 } else { 1 };
        let inode = Inode {
            ino,
            sb,
            mode,
            uid,
            gid,
            nlink,
            refs: 0,
            writecount: 0,
            rdev,
            atime: now,
            mtime: now,
            ctime: now,
            data,
        };
        self.inodes.insert(ino, inode);
        ino
    }

    /// Add the entry; link counts are the caller's. Linux: `d_add()` plus
    /// the parent's time update.
    fn link_entry(&mut self, parent: Ino, name: &[u8], ino: Ino, now: u64) -> Result<(), Errno> {
        self.dir_mut(parent)?.insert(name, ino);
        let p = self.inode_mut(parent)?;
        p.mtime = now;
        p.ctime = now;
        Ok(())
    }

    fn unlink_entry(&mut self, parent: Ino, name: &[u8], now: u64) -> Result<(), Errno> {
        self.dir_mut(parent)?.remove(name).ok_or(ENOENT)?;
        let p = self.inode_mut(parent)?;
        p.mtime = now;
        p.ctime = now;
        Ok(())
    }
}

/// The file types `mknod` makes. Linux: `may_mknod()`.
fn check_mknod_type(mode: u32) -> Result<(), Errno> {
    match mode & S_IFMT {
        0 | S_IFREG | S_IFCHR | S_IFBLK | S_IFIFO | S_IFSOCK => Ok(()),
        S_IFDIR => Err(EPERM),
        _ => Err(EINVAL),
    }
}

/// About what one inode with its directory entry takes of the heap.
const INODE_COST: usize = 256;

fn is_dot_or_dotdot(name: &[u8]) -> bool {
    name == b"." || name == b".."
}
