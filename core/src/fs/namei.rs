//! One path walk for every file system (Linux: fs/namei.c).
//!
//! A place in the tree is a [`Path`]: a mount and a node of the file
//! system instance that mount shows (Linux's `struct path`). A file system
//! answers the walk's questions through the [`FileSystem`] trait (Linux:
//! `inode_operations`); the mounts, the walk's root and which file system
//! each mount shows come from a [`Tree`]. The walk itself, here, knows no
//! file system: it splits the path, asks for search permission on each
//! directory, looks each name up, crosses mounts down (into what is mounted
//! on the entry found) and up (`..` at a mount's root, stopping at the
//! caller's root), and follows symbolic links (40 at most over all nesting
//! levels) and magic links (a [`Link::Magic`] is a place, not text: Linux's
//! `nd_jump_link()`).

use alloc::borrow::Cow;

use bitflags::bitflags;

use super::mount::{MountId, MountTable};
use super::perm::FsCred;
use super::ramfs::{FileType, Ino};
use crate::abi::*;

/// A node of one file system instance, by its inode number there.
pub type NodeRef = Ino;

/// Marks the node of a file system that stores nothing (proc): a number
/// it makes the node up from again at each lookup, which the RAM store's
/// inode numbers never reach. Such a node is held by holding its mount's
/// root (see [`Held`]).
pub const SYNTHETIC: NodeRef = 1 << 63;

/// A place in the tree: a mount and a node of the instance it shows.
/// Linux: `struct path` (vfsmount, dentry).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Path {
    pub mnt: MountId,
    pub node: NodeRef,
}

impl Path {
    pub const fn new(mnt: MountId, node: NodeRef) -> Self {
        Path { mnt, node }
    }
}

impl From<(MountId, NodeRef)> for Path {
    fn from((mnt, node): (MountId, NodeRef)) -> Self {
        Path { mnt, node }
    }
}

impl From<Path> for (MountId, NodeRef) {
    fn from(p: Path) -> Self {
        (p.mnt, p.node)
    }
}

/// A place a task keeps (its cwd): where it is, and the RAM inode whose
/// reference keeps it there, the node itself or, for a [`SYNTHETIC`] node
/// or a proc mount's root, the directory the mount covers (Linux: a
/// `struct path` holds its mount and dentry; proc's dentries pin their
/// mount).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Held {
    pub at: Path,
    pub ino: Ino,
}

impl Held {
    /// A place of the RAM store, held by its own inode.
    pub const fn ram(at: Path) -> Self {
        Held { at, ino: at.node }
    }
}

bitflags! {
    /// How a path walk treats the last component. Linux: `LOOKUP_*`
    /// (include/linux/namei.h).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct Lookup: u32 {
        /// Follow a symbolic link in the last component (intermediate ones
        /// are always followed). Linux: `LOOKUP_FOLLOW`; `lstat` and
        /// `AT_SYMLINK_NOFOLLOW` leave it out.
        const FOLLOW = 1 << 0;
        /// The result must be a directory, else `ENOTDIR`.
        /// Linux: `LOOKUP_DIRECTORY` (`O_DIRECTORY`, a trailing slash).
        const DIRECTORY = 1 << 1;
        /// An empty path names the starting directory instead of failing
        /// with `ENOENT`. Linux: `LOOKUP_EMPTY` (`AT_EMPTY_PATH`).
        const EMPTY = 1 << 2;
    }
}

/// Where a path's last component would go. Linux: the result of
/// `filename_parentat()`, with `last_type` as [`Last`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Parent<'p> {
    /// The directory that holds (or would hold) the last component.
    pub dir: Path,
    pub last: Last<'p>,
    /// The path ended in `/`: the last component must be a directory.
    pub trailing_slash: bool,
}

/// The last component of a path. Linux: `LAST_NORM`, `LAST_DOT`,
/// `LAST_DOTDOT`, `LAST_ROOT`; each syscall has its own errno for the
/// three that name no entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Last<'p> {
    Name(&'p [u8]),
    Dot,
    DotDot,
    /// The path was `/` (or `//...`).
    Root,
}

/// Where a link leads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Link<'a> {
    /// A path, walked from the directory holding the link (a symbolic
    /// link's body). Never empty.
    Text(Cow<'a, [u8]>),
    /// A place itself, whatever its name (Linux: a `get_link` that calls
    /// `nd_jump_link()`: /proc/PID/fd/N, cwd, root, exe).
    Magic(Path),
}

/// What the walk asks of a file system instance about its nodes (Linux:
/// the lookup half of `inode_operations`). Errors are the file system's
/// to choose, as Linux's `->lookup` and `->permission` do.
pub trait FileSystem {
    /// The type of `node`.
    fn file_type(&self, node: NodeRef) -> Result<FileType, Errno>;

    /// The entry `name` of directory `dir`; `..` is the directory above
    /// (the instance's root is its own parent), `.` the directory itself.
    /// Links are not followed. Linux: `->lookup`.
    fn lookup(&self, dir: NodeRef, name: &[u8]) -> Result<NodeRef, Errno>;

    /// May `cred` look names up in `dir`? `ENOTDIR` for a non-directory,
    /// then search permission. Linux: `may_lookup()` → `->permission`.
    fn may_lookup(&self, cred: &FsCred, dir: NodeRef) -> Result<(), Errno>;

    /// Where `node` leads if it is a link; `None` for anything else.
    /// Linux: `->get_link`.
    fn get_link(&self, node: NodeRef) -> Result<Option<Link<'_>>, Errno>;
}

/// What a walk moves through: the mount table, the caller's root, and the
/// file system each mount shows.
pub trait Tree {
    /// The loaded mount table (the caller's mount namespace's).
    fn mounts(&self) -> &MountTable;
    /// Where absolute paths start and `..` stops (Linux: `nd->root`).
    fn root(&self) -> Path;
    /// The file system instance mount `mnt` shows.
    fn fs(&self, mnt: MountId) -> &dyn FileSystem;
}

/// Resolve `path` from `start` (absolute paths start at the tree's root).
/// Linux: `filename_lookup()` → `path_lookupat()`.
///
/// Errors as Linux: `ENOENT` for a missing component or an empty path
/// (unless [`Lookup::EMPTY`]), `ENOTDIR` when a non-directory is walked
/// through or a trailing `/` or [`Lookup::DIRECTORY`] is not met,
/// `ENAMETOOLONG` for a component over 255 bytes or a path over 4095,
/// `ELOOP` past 40 symbolic links, `EACCES` when `cred` may not search a
/// directory on the way.
pub fn lookup<T: Tree + ?Sized>(t: &T, cred: &FsCred, start: Path, path: &[u8], flags: Lookup) -> Result<Path, Errno> {
    check_path_len(path)?;
    if path.is_empty() {
        if !flags.contains(Lookup::EMPTY) {
            return Err(ENOENT);
        }
        if flags.contains(Lookup::DIRECTORY) && t.fs(start.mnt).file_type(start.node)? != FileType::Directory {
            return Err(ENOTDIR);
        }
        return Ok(start);
    }
    let mut links = 0;
    walk(t, cred, start, path, flags, &mut links)
}

/// The walk itself. A symbolic link's target is walked by a recursive call
/// from the directory holding the link, sharing `links`, so the total over
/// all nesting levels is bounded by `MAXSYMLINKS` and so is the recursion.
/// Linux: `link_path_walk()` + `walk_component()` + `pick_link()`.
pub fn walk<T: Tree + ?Sized>(
    t: &T,
    cred: &FsCred,
    start: Path,
    path: &[u8],
    flags: Lookup,
    links: &mut u32,
) -> Result<Path, Errno> {
    if path.is_empty() {
        // Only a symlink body can get here empty; Linux refuses those too.
        return Err(ENOENT);
    }
    // An absolute walk starts at the root itself, not at what is mounted
    // on top of it (after pivot_root(".", "."), the old root): only `..`
    // there, or umount's last step, goes up into it. Linux: path_init()
    // sets the start without handle_mounts().
    let mut cur = if path[0] == b'/' { t.root() } else { start };
    // A trailing slash asks for a directory, and so follows a final
    // symlink even without FOLLOW: `lstat("link-to-dir/")` stats the dir.
    let trailing_slash = path.ends_with(b"/");
    let follow_last = flags.contains(Lookup::FOLLOW) || trailing_slash;
    let mut names = components(path).peekable();
    while let Some(name) = names.next() {
        let is_last = names.peek().is_none();
        let fs = t.fs(cur.mnt);
        fs.may_lookup(cred, cur.node)?;
        let next = step(t, cur, name)?;
        if is_last && !follow_last {
            cur = next;
            continue;
        }
        cur = match t.fs(next.mnt).get_link(next.node)? {
            None => next,
            Some(link) => {
                *links += 1;
                if *links > MAXSYMLINKS {
                    return Err(ELOOP);
                }
                match link {
                    Link::Text(target) => walk(t, cred, cur, &target, Lookup::FOLLOW, links)?,
                    Link::Magic(to) => to,
                }
            }
        };
    }
    let want_dir = trailing_slash || flags.contains(Lookup::DIRECTORY);
    if want_dir && t.fs(cur.mnt).file_type(cur.node)? != FileType::Directory {
        return Err(ENOTDIR);
    }
    Ok(cur)
}

/// One component from directory `dir`: down into what is mounted on the
/// entry found, or, for `..` at a mount's root, up to the directory it is
/// mounted on first. `..` at the caller's root (`/`, or where chroot(2)
/// put it) stays there, before any mount is crossed: a chrooted walk
/// cannot climb out through a mount point. Links are not followed.
/// Linux: `walk_component()` → `handle_mounts()`, `follow_dotdot()`.
pub fn step<T: Tree + ?Sized>(t: &T, mut dir: Path, name: &[u8]) -> Result<Path, Errno> {
    let mounts = t.mounts();
    match name {
        b"." => Ok(dir),
        b".." => {
            let root = t.root();
            loop {
                if dir == root {
                    return Ok(cross_down(mounts, dir));
                }
                match mounts.get(dir.mnt).filter(|m| m.root == dir.node && m.parent != m.id) {
                    Some(m) => dir = Path::new(m.parent, m.mountpoint),
                    None => break,
                }
            }
            let up = t.fs(dir.mnt).lookup(dir.node, b"..")?;
            Ok(cross_down(mounts, Path::new(dir.mnt, up)))
        }
        _ => Ok(cross_down(mounts, Path::new(dir.mnt, t.fs(dir.mnt).lookup(dir.node, name)?))),
    }
}

/// What is seen at `at`: the root of the mount on top there, if any.
/// Linux: `__follow_mount_rcu()`.
pub fn cross_down(mounts: &MountTable, mut at: Path) -> Path {
    while let Some(m) = mounts.child_on(at.mnt, at.node) {
        at = Path::new(m.id, m.root);
    }
    at
}

/// Walk all but the last component of `path` and classify the last.
/// The directory part must exist and be a directory; the last component
/// need not exist. Trailing slashes are stripped and reported. The parent
/// must be searchable by `cred` (`EACCES`), as Linux's walk checks the
/// directory holding every component, the last included.
/// Linux: `filename_parentat()`.
pub fn parent<'p, T: Tree + ?Sized>(
    t: &T,
    cred: &FsCred,
    start: Path,
    path: &'p [u8],
    links: &mut u32,
) -> Result<Parent<'p>, Errno> {
    check_path_len(path)?;
    if path.is_empty() {
        return Err(ENOENT);
    }
    let end = path.iter().rposition(|&c| c != b'/').map_or(0, |i| i + 1);
    let trimmed = &path[..end];
    let trailing_slash = end < path.len();
    if trimmed.is_empty() {
        return Ok(Parent { dir: t.root(), last: Last::Root, trailing_slash: false });
    }
    let (dir, last) = match trimmed.iter().rposition(|&c| c == b'/') {
        None => (start, trimmed),
        Some(slash) => {
            let (prefix, last) = (&trimmed[..=slash], &trimmed[slash + 1..]);
            (walk(t, cred, start, prefix, Lookup::FOLLOW | Lookup::DIRECTORY, links)?, last)
        }
    };
    t.fs(dir.mnt).may_lookup(cred, dir.node)?;
    let last = match last {
        b"." => Last::Dot,
        b".." => Last::DotDot,
        name => Last::Name(name),
    };
    Ok(Parent { dir, last, trailing_slash })
}

/// The non-empty components of a path: `a//b/` gives `a`, `b`.
fn components(path: &[u8]) -> impl Iterator<Item = &[u8]> {
    path.split(|&c| c == b'/').filter(|c| !c.is_empty())
}

/// Linux: `getname()` refuses a path of `PATH_MAX` bytes or more, counting
/// the terminating NUL.
pub fn check_path_len(path: &[u8]) -> Result<(), Errno> {
    if path.len() >= PATH_MAX {
        return Err(ENAMETOOLONG);
    }
    Ok(())
}
