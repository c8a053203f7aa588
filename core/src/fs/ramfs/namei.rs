//! The name side of the RAM file system: the store as a file system of
//! `fs::namei`'s walk, and the path-level operations the `*at()` syscalls
//! call (Linux: fs/namei.c).
//! The inodes and the per-directory operations they use are in the
//! parent module, the inode store.

use alloc::borrow::Cow;
use alloc::vec::Vec;

use super::*;
use crate::fs::namei::{self, check_path_len, FileSystem, Link, NodeRef, Path, Tree};

/// The RAM file system answers the walk's questions about its inodes.
impl FileSystem for RamFs {
    fn file_type(&self, node: NodeRef) -> Result<FileType, Errno> {
        Ok(self.inode(node)?.file_type())
    }

    fn lookup(&self, dir: NodeRef, name: &[u8]) -> Result<NodeRef, Errno> {
        self.lookup_child(dir, name)
    }

    fn may_lookup(&self, cred: &FsCred, dir: NodeRef) -> Result<(), Errno> {
        self.dir(dir)?;
        perm::may_lookup(cred, self.inode(dir)?)
    }

    fn get_link(&self, node: NodeRef) -> Result<Option<Link<'_>>, Errno> {
        Ok(match &self.inode(node)?.data {
            Data::Symlink(target) => Some(Link::Text(Cow::Borrowed(target))),
            _ => None,
        })
    }
}

/// Until /proc is a file system of its own, every mount shows a RAM
/// instance, and the store holds the mount table and the walk's root.
impl Tree for RamFs {
    fn mounts(&self) -> &MountTable {
        &self.mounts
    }

    fn root(&self) -> Path {
        self.walk_root.into()
    }

    fn fs(&self, _mnt: MountId) -> &dyn FileSystem {
        self
    }
}

/// Where a walk of the RAM store starts: a place (mount and directory:
/// a cwd, the walk's own result), or a bare directory inode, taken in the
/// mount that shows it (`RamFs::mount_at`: the kernel's own lookups, an
/// open directory, which keeps no mount yet; only bind mounts make that
/// ambiguous).
pub trait StartAt: Copy {
    fn place(self, fs: &RamFs) -> Path;
}

impl StartAt for Ino {
    fn place(self, fs: &RamFs) -> Path {
        fs.at(self)
    }
}

impl StartAt for Path {
    fn place(self, _: &RamFs) -> Path {
        self
    }
}

impl RamFs {
    // -----------------------------------------------------------------------
    // Path walk: `fs::namei` over this store

    /// Resolve `path` from the directory `cwd` (absolute paths start at the
    /// root): [`namei::lookup`] from the mount that shows `cwd`.
    pub fn lookup(&self, cred: &FsCred, cwd: impl StartAt, path: &[u8], flags: Lookup) -> Result<Ino, Errno> {
        self.lookup_mnt(cred, cwd, path, flags).map(|(_, ino)| ino)
    }

    /// [`lookup`](Self::lookup), also naming the mount the result was
    /// reached through (for mount(2), umount2(2) and /proc's routing).
    pub fn lookup_mnt(
        &self,
        cred: &FsCred,
        cwd: impl StartAt,
        path: &[u8],
        flags: Lookup,
    ) -> Result<(MountId, Ino), Errno> {
        namei::lookup(self, cred, cwd.place(self), path, flags).map(Into::into)
    }

    /// The mount a walk starting at `ino` (a cwd, a directory descriptor)
    /// is in: see [`MountTable::mount_of`].
    pub fn mount_at(&self, ino: Ino) -> MountId {
        let sb = self.inode(ino).map_or(ROOT_SB, |i| i.sb);
        self.mounts.mount_of(sb, ino)
    }

    /// Directory `ino` as a place in the tree, through the mount that
    /// shows it.
    fn at(&self, ino: Ino) -> Path {
        Path::new(self.mount_at(ino), ino)
    }

    /// What is seen at `ino` of mount `mnt`: the root of the mount on top
    /// there, if any. Linux: `__follow_mount_rcu()`.
    pub fn cross_down(&self, mnt: MountId, ino: Ino) -> (MountId, Ino) {
        namei::cross_down(&self.mounts, Path::new(mnt, ino)).into()
    }

    /// One name in one directory, `.` and `..` included, symlinks not
    /// followed. Linux: `lookup_one()`, `follow_dotdot()`.
    pub fn lookup_child(&self, dir: Ino, name: &[u8]) -> Result<Ino, Errno> {
        let d = self.dir(dir)?;
        match name {
            b"." => Ok(dir),
            // A removed directory may outlive its parent (as a cwd).
            b".." if self.inodes.contains_key(&d.parent) => Ok(d.parent),
            b".." => Err(ENOENT),
            _ if name.len() > NAME_MAX => Err(ENAMETOOLONG),
            _ => d.get(name).ok_or(ENOENT),
        }
    }

    /// [`namei::parent`] from directory `cwd`.
    pub fn lookup_parent<'p>(&self, cred: &FsCred, cwd: impl StartAt, path: &'p [u8]) -> Result<Parent<'p>, Errno> {
        let mut links = 0;
        namei::parent(self, cred, cwd.place(self), path, &mut links)
    }

    /// The absolute path of directory `dir`, for `getcwd`. `ENOENT` if it
    /// has been removed, as Linux. Linux: `d_path()`.
    pub fn path_of_dir(&self, dir: Ino) -> Result<Vec<u8>, Errno> {
        self.path_in_mount(self.mount_at(dir), dir)
    }

    /// The absolute path of directory `dir` seen through mount `mnt`:
    /// up the directories, and from a mount's root to the directory it is
    /// mounted on. `ENOENT` for a removed directory or one no mount shows
    /// (a lazily unmounted file system). Linux: `d_path()` → `prepend_path()`.
    pub fn path_in_mount(&self, mnt: MountId, dir: Ino) -> Result<Vec<u8>, Errno> {
        self.path_in_table(&self.mounts, mnt, dir)
    }

    /// [`RamFs::path_in_mount`] in the mount table `table` (another mount
    /// namespace's), from the loaded root.
    pub fn path_in_table(&self, table: &MountTable, mnt: MountId, dir: Ino) -> Result<Vec<u8>, Errno> {
        self.path_from(table, self.walk_root, mnt, dir).map(|(path, _)| path)
    }

    /// The path of directory `dir` of mount `mnt` as a process whose
    /// root is `root` names it, and whether it lies below that root
    /// (false: the path is from the top of the tree, where the walk up
    /// ended without meeting `root`; getcwd(2) then says
    /// "(unreachable)", /proc/PID/mountinfo leaves the mount out).
    /// Linux: `prepend_path()`.
    pub fn path_from(
        &self,
        table: &MountTable,
        root: (MountId, Ino),
        mut mnt: MountId,
        dir: Ino,
    ) -> Result<(Vec<u8>, bool), Errno> {
        let mut parts: Vec<&[u8]> = Vec::new();
        let mut cur = dir;
        let mut reached = false;
        loop {
            if (mnt, cur) == root {
                reached = true;
                break;
            }
            let m = table.get(mnt).ok_or(ENOENT)?;
            if cur == m.root {
                if m.parent == m.id {
                    break;
                }
                (mnt, cur) = (m.parent, m.mountpoint);
                continue;
            }
            let inode = self.inode(cur)?;
            if inode.nlink == 0 {
                return Err(ENOENT);
            }
            let parent = self.dir(cur)?.parent;
            if parent == cur {
                // An instance's root that this mount does not show.
                return Err(ENOENT);
            }
            let name = self
                .dir(parent)?
                .entries
                .iter()
                .find(|(_, d)| d.ino == cur)
                .map(|(name, _)| name.as_slice())
                .ok_or(ENOENT)?;
            parts.push(name);
            cur = parent;
        }
        if parts.is_empty() {
            return Ok((b"/".to_vec(), reached));
        }
        let mut path = Vec::new();
        for name in parts.iter().rev() {
            path.push(b'/');
            path.extend_from_slice(name);
        }
        Ok((path, reached))
    }

    /// The path of directory `dir` below directory `top` of the same
    /// instance, `/` for `top` itself (mountinfo's root field; Linux:
    /// the dentry path within the super block).
    pub fn path_below(&self, top: Ino, dir: Ino) -> Vec<u8> {
        let mut parts: Vec<&[u8]> = Vec::new();
        let mut cur = dir;
        while cur != top {
            let Ok(parent) = self.dir(cur).map(|d| d.parent) else { break };
            let name = self.dir(parent).ok().and_then(|d| d.entries.iter().find(|(_, e)| e.ino == cur));
            let Some((name, _)) = name.filter(|_| parent != cur) else { break };
            parts.push(name);
            cur = parent;
        }
        let mut path = Vec::new();
        for name in parts.iter().rev() {
            path.push(b'/');
            path.extend_from_slice(name);
        }
        if path.is_empty() {
            path.push(b'/');
        }
        path
    }

    /// A path naming inode `ino`, of any type, for /proc/<pid>/fd and
    /// maps: a directory's own path, else the first name found searching
    /// from the root, through mounts (a file with several links has
    /// several). `None` once no name leads to it. Linux: d_path() of the
    /// dentry a file was opened through; Tine keeps no dentries, so it
    /// searches.
    pub fn path_of(&self, ino: Ino) -> Option<Vec<u8>> {
        let inode = self.inodes.get(&ino)?;
        if inode.is_dir() {
            return self.path_of_dir(ino).ok();
        }
        if inode.nlink == 0 {
            return None;
        }
        // From the caller's root first; a file only reachable from above
        // it is named from the top of the tree, as d_path() does.
        self.path_below_mount(self.walk_root, ino).or_else(|| self.path_below_mount((ROOT_MOUNT, ROOT_INO), ino))
    }

    /// A name of `ino` found searching down from `top`.
    fn path_below_mount(&self, top: (MountId, Ino), ino: Ino) -> Option<Vec<u8>> {
        let (m0, d0) = self.cross_down(top.0, top.1);
        let mut stack: Vec<(MountId, Ino, Vec<u8>)> = alloc::vec![(m0, d0, Vec::new())];
        // A directory bound below itself would be listed forever.
        let mut seen = alloc::collections::BTreeSet::new();
        while let Some((mnt, dir, path)) = stack.pop() {
            if !seen.insert(dir) {
                continue;
            }
            let Ok(d) = self.dir(dir) else { continue };
            for (name, dentry) in &d.entries {
                let mut p = path.clone();
                p.push(b'/');
                p.extend_from_slice(name);
                let (m, seen_ino) = self.cross_down(mnt, dentry.ino);
                if seen_ino == ino {
                    return Some(p);
                }
                if self.inodes.get(&seen_ino).is_some_and(|i| i.is_dir()) {
                    stack.push((m, seen_ino, p));
                }
            }
        }
        None
    }

    // -----------------------------------------------------------------------
    // Path-level operations: what the *at() syscalls need, with Linux's
    // errnos for `/`, `.`, `..` and trailing slashes (fs/namei.c).

    /// Open `path` as `open(2)` would with `flags` (`O_*`) and, when
    /// creating, `mode` (umask already applied). Returns the inode with a
    /// reference taken: the caller must [`iput`](Self::iput) it on close.
    ///
    /// Handles `O_CREAT`, `O_EXCL` (which implies `O_NOFOLLOW`), `O_TRUNC`,
    /// `O_DIRECTORY`, `O_NOFOLLOW` (`ELOOP` on a symlink), `O_PATH` and
    /// `O_TMPFILE`; a dangling symlink with `O_CREAT` creates its target.
    /// Access-mode and status flags are the caller's to keep.
    /// Linux: `do_filp_open()` → `path_openat()`, `open_last_lookups()`,
    /// `do_open()`, `may_open()`.
    pub fn open(
        &mut self,
        cred: &FsCred,
        cwd: impl StartAt,
        path: &[u8],
        flags: u32,
        mode: u32,
        now: u64,
    ) -> Result<Ino, Errno> {
        check_path_len(path)?;
        if flags & O_TMPFILE == O_TMPFILE {
            return self.open_tmpfile(cred, cwd, path, flags, mode, now);
        }
        let mut follow = if flags & O_NOFOLLOW == 0 { Lookup::FOLLOW } else { Lookup::empty() };
        let dir_flag = if flags & O_DIRECTORY != 0 { Lookup::DIRECTORY } else { Lookup::empty() };
        if flags & O_PATH != 0 {
            // O_PATH ignores everything but O_DIRECTORY, O_NOFOLLOW, O_CLOEXEC
            // and opens even a symlink itself.
            let ino = self.lookup(cred, cwd, path, follow | dir_flag)?;
            self.ihold(ino)?;
            return Ok(ino);
        }
        let creating = flags & O_CREAT != 0;
        if creating && flags & O_DIRECTORY != 0 {
            // Linux 6.4 made this combination an error rather than guess.
            return Err(EINVAL);
        }
        let (at, created) = if creating {
            if flags & O_EXCL != 0 {
                follow = Lookup::empty();
            }
            let mut links = 0;
            self.open_create(cred, cwd.place(self), path, flags, follow, mode, now, &mut links)?
        } else {
            (self.lookup_mnt(cred, cwd, path, follow | dir_flag)?.into(), false)
        };
        let ino = at.node;

        let inode = self.inode(ino)?;
        if creating {
            if flags & O_EXCL != 0 && !created {
                return Err(EEXIST);
            }
            if inode.is_dir() {
                return Err(EISDIR);
            }
        }
        if flags & O_DIRECTORY != 0 && !inode.is_dir() {
            return Err(ENOTDIR);
        }
        // O_TRUNC asks for write permission even with O_RDONLY.
        let wants_write = flags & O_ACCMODE != O_RDONLY || flags & O_TRUNC != 0;
        match inode.file_type() {
            FileType::Symlink => return Err(ELOOP),
            FileType::Directory if wants_write => return Err(EISDIR),
            // Linux: may_open() → may_open_dev(): no device through a
            // nodev mount.
            FileType::CharDevice | FileType::BlockDevice
                if self.mounts.get(at.mnt).is_some_and(|m| m.flags.contains(MntFlags::NODEV)) =>
            {
                return Err(EACCES)
            }
            _ => {}
        }
        // Linux: may_open(). A file this call created is opened without a
        // check: its mode may deny its creator what it asked for.
        if !created {
            let mut want = match flags & O_ACCMODE {
                O_RDONLY => MAY_READ,
                O_WRONLY => MAY_WRITE,
                _ => MAY_READ | MAY_WRITE,
            };
            if flags & O_TRUNC != 0 {
                want |= MAY_WRITE;
            }
            // Linux: inode_permission(): a read-only file system first.
            if want & MAY_WRITE != 0 && matches!(inode.file_type(), FileType::Regular | FileType::Directory) {
                self.check_writable(ino)?;
                self.mnt_want_write(at.mnt)?;
            }
            perm::inode_permission(cred, inode, want)?;
        }
        // Not updating the access time is for the owner to ask.
        if flags & O_NOATIME != 0 && !cred.owner_or_capable(inode) {
            return Err(EPERM);
        }
        match inode.file_type() {
            // A running program's file: Linux's do_dentry_open() fails
            // get_write_access(), or handle_truncate() does, before any
            // truncation.
            FileType::Regular if wants_write => {
                self.write_access_error(ino, true)?;
                if flags & O_TRUNC != 0 && !created {
                    self.truncate(ino, 0, now)?;
                }
            }
            _ => {}
        }
        self.ihold(ino)?;
        Ok(ino)
    }

    /// The `O_CREAT` half of `open`: find or create the last component.
    /// Returns the inode and whether it was created. A symlink found there
    /// is followed (unless `follow` is empty) by resolving its target from
    /// the link's directory the same way, so that `open("dangling",
    /// O_CREAT)` creates the file the link points to, as Linux does.
    #[allow(clippy::too_many_arguments)]
    fn open_create(
        &mut self,
        cred: &FsCred,
        start: Path,
        path: &[u8],
        flags: u32,
        follow: Lookup,
        mode: u32,
        now: u64,
        links: &mut u32,
    ) -> Result<(Path, bool), Errno> {
        let parent = namei::parent(self, cred, start, path, links)?;
        let name = match parent.last {
            Last::Name(name) => name,
            // `/`, `.`, `..` name directories that exist.
            _ if flags & O_EXCL != 0 => return Err(EEXIST),
            _ => return Err(EISDIR),
        };
        if parent.trailing_slash {
            return Err(EISDIR);
        }
        let existing = match self.lookup_child(parent.dir.node, name) {
            Ok(ino) => namei::cross_down(&self.mounts, Path::new(parent.dir.mnt, ino)),
            Err(ENOENT) => {
                // Linux: lookup_open(): EROFS for a name that is not there.
                self.mnt_want_write(parent.dir.mnt)?;
                let ino = self.create(cred, parent.dir.node, name, mode, now)?;
                return Ok((Path::new(parent.dir.mnt, ino), true));
            }
            Err(e) => return Err(e),
        };
        if let Data::Symlink(target) = &self.inode(existing.node)?.data {
            if follow.contains(Lookup::FOLLOW) {
                *links += 1;
                if *links > MAXSYMLINKS {
                    return Err(ELOOP);
                }
                let target = target.clone();
                return self.open_create(cred, parent.dir, &target, flags, follow, mode, now, links);
            }
        }
        Ok((existing, false))
    }

    /// `O_TMPFILE`: an unnamed regular file in directory `path`, alive only
    /// while open. Linux: `do_tmpfile()`.
    fn open_tmpfile(
        &mut self,
        cred: &FsCred,
        cwd: impl StartAt,
        path: &[u8],
        flags: u32,
        mode: u32,
        now: u64,
    ) -> Result<Ino, Errno> {
        let follow = if flags & O_NOFOLLOW == 0 { Lookup::FOLLOW } else { Lookup::empty() };
        // The file gets no name in the directory, but making it there takes
        // the permission a name would. Linux: vfs_tmpfile().
        let dir = self.lookup(cred, cwd, path, follow | Lookup::DIRECTORY)?;
        if flags & O_ACCMODE == O_RDONLY {
            return Err(EINVAL);
        }
        perm::may_create(cred, self.inode(dir)?)?;
        let (owner, mode) = self.init_owner(cred, dir, S_IFREG | (mode & S_IALLUGO))?;
        let ino = self.new_inode(self.inode(dir)?.sb, owner, mode, 0, Data::File(Vec::new()), now);
        self.inode_mut(ino)?.nlink = 0;
        self.ihold(ino)?;
        Ok(ino)
    }

    /// Linux: `filename_create()`: where a new name `path` goes. `EEXIST`
    /// if it exists (even as a dangling symlink) or is `/`, `.` or `..`;
    /// `ENOENT` for a trailing slash unless a directory is being made.
    fn create_target<'p>(
        &self,
        cred: &FsCred,
        cwd: impl StartAt,
        path: &'p [u8],
        want_dir: bool,
    ) -> Result<(namei::Path, &'p [u8]), Errno> {
        let parent = self.lookup_parent(cred, cwd, path)?;
        let Last::Name(name) = parent.last else {
            return Err(EEXIST);
        };
        match self.lookup_child(parent.dir.node, name) {
            Ok(_) => Err(EEXIST),
            Err(ENOENT) if parent.trailing_slash && !want_dir => Err(ENOENT),
            Err(ENOENT) => {
                self.mnt_want_write(parent.dir.mnt)?;
                Ok((parent.dir, name))
            }
            Err(e) => Err(e),
        }
    }

    /// Linux: `do_mkdirat()`.
    pub fn mkdir_at(
        &mut self,
        cred: &FsCred,
        cwd: impl StartAt,
        path: &[u8],
        mode: u32,
        now: u64,
    ) -> Result<Ino, Errno> {
        let (dir, name) = self.create_target(cred, cwd, path, true)?;
        self.mkdir(cred, dir.node, name, mode, now)
    }

    /// Linux: `do_mknodat()`.
    pub fn mknod_at(
        &mut self,
        cred: &FsCred,
        cwd: impl StartAt,
        path: &[u8],
        mode: u32,
        rdev: u64,
        now: u64,
    ) -> Result<Ino, Errno> {
        // The type is checked before the path is looked at, as Linux does.
        check_mknod_type(mode)?;
        let (dir, name) = self.create_target(cred, cwd, path, false)?;
        self.mknod(cred, dir.node, name, mode, rdev, now)
    }

    /// Linux: `do_symlinkat()`.
    pub fn symlink_at(
        &mut self,
        cred: &FsCred,
        target: &[u8],
        cwd: impl StartAt,
        path: &[u8],
        now: u64,
    ) -> Result<Ino, Errno> {
        if target.is_empty() {
            return Err(ENOENT);
        }
        let (dir, name) = self.create_target(cred, cwd, path, false)?;
        self.symlink(cred, dir.node, name, target, now)
    }

    /// Linux: `do_linkat()`. `old_flags` may hold [`Lookup::FOLLOW`]
    /// (`AT_SYMLINK_FOLLOW`) and [`Lookup::EMPTY`] (`AT_EMPTY_PATH`).
    ///
    /// With Linux's default `fs.protected_hardlinks = 1`, someone else's
    /// file may be linked only if it is a plain regular file (not
    /// set-user-ID, not set-group-ID and group-executable) that the caller
    /// may read and write; else `EPERM`. Linux: `may_linkat()`.
    #[allow(clippy::too_many_arguments)]
    pub fn link_at(
        &mut self,
        cred: &FsCred,
        old_cwd: impl StartAt,
        old_path: &[u8],
        old_flags: Lookup,
        new_cwd: impl StartAt,
        new_path: &[u8],
        now: u64,
    ) -> Result<(), Errno> {
        let (old_mnt, ino) = self.lookup_mnt(cred, old_cwd, old_path, old_flags)?;
        let (dir, name) = self.create_target(cred, new_cwd, new_path, false)?;
        // Not across mounts, even two of one file system (a bind mount).
        if dir.mnt != old_mnt {
            return Err(EXDEV);
        }
        let inode = self.inode(ino)?;
        let safe = inode.file_type() == FileType::Regular
            && inode.mode & S_ISUID == 0
            && inode.mode & (S_ISGID | S_IXGRP) != S_ISGID | S_IXGRP
            && perm::inode_permission(cred, inode, MAY_READ | MAY_WRITE).is_ok();
        if !safe && !cred.owner_or_capable(inode) {
            return Err(EPERM);
        }
        self.link(cred, ino, dir.node, name, now)
    }

    /// Linux: `do_unlinkat()`.
    pub fn unlink_at(&mut self, cred: &FsCred, cwd: impl StartAt, path: &[u8], now: u64) -> Result<(), Errno> {
        let parent = self.lookup_parent(cred, cwd, path)?;
        let Last::Name(name) = parent.last else {
            return Err(EISDIR);
        };
        self.mnt_want_write(parent.dir.mnt)?;
        let ino = self.lookup_child(parent.dir.node, name)?;
        if parent.trailing_slash {
            // "file/" names a directory that is not there.
            return Err(if self.inode(ino)?.is_dir() { EISDIR } else { ENOTDIR });
        }
        self.unlink(cred, parent.dir.node, name, now)
    }

    /// Linux: `do_rmdir()`.
    pub fn rmdir_at(&mut self, cred: &FsCred, cwd: impl StartAt, path: &[u8], now: u64) -> Result<(), Errno> {
        let parent = self.lookup_parent(cred, cwd, path)?;
        match parent.last {
            Last::Name(name) => {
                self.mnt_want_write(parent.dir.mnt)?;
                self.rmdir(cred, parent.dir.node, name, now)
            }
            Last::Dot => Err(EINVAL),
            Last::DotDot => Err(ENOTEMPTY),
            Last::Root => Err(EBUSY),
        }
    }

    /// Linux: `do_renameat2()`.
    #[allow(clippy::too_many_arguments)]
    pub fn rename_at(
        &mut self,
        cred: &FsCred,
        old_cwd: impl StartAt,
        old_path: &[u8],
        new_cwd: impl StartAt,
        new_path: &[u8],
        flags: u32,
        now: u64,
    ) -> Result<(), Errno> {
        if flags & !(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT) != 0
            || flags & RENAME_NOREPLACE != 0 && flags & RENAME_EXCHANGE != 0
        {
            return Err(EINVAL);
        }
        let old = self.lookup_parent(cred, old_cwd, old_path)?;
        let new = self.lookup_parent(cred, new_cwd, new_path)?;
        // Not across mounts, even two of one file system (a bind mount),
        // before anything about the names.
        if old.dir.mnt != new.dir.mnt {
            return Err(EXDEV);
        }
        let Last::Name(old_name) = old.last else {
            return Err(EBUSY);
        };
        let Last::Name(new_name) = new.last else {
            return Err(if flags & RENAME_NOREPLACE != 0 { EEXIST } else { EBUSY });
        };
        self.mnt_want_write(old.dir.mnt)?;
        let src = self.lookup_child(old.dir.node, old_name)?;
        if (old.trailing_slash || new.trailing_slash) && !self.inode(src)?.is_dir() {
            return Err(ENOTDIR);
        }
        self.rename(cred, old.dir.node, old_name, new.dir.node, new_name, flags, now)
    }
}
