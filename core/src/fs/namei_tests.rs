//! Host tests for the path walk over a file system other than the RAM
//! one: two instances of a toy file system, one mounted on the other,
//! with symbolic and magic links.

use alloc::borrow::Cow;

use super::mount::{MntFlags, MountId, MountTable, ROOT_MOUNT};
use super::namei::{self, FileSystem, Link, Lookup, NodeRef, Path, Tree};
use super::perm::FsCred;
use super::ramfs::FileType;
use crate::abi::*;
use crate::proc::capability::CAP_DAC_READ_SEARCH;

/// A fixed tree: 1 `/` with 2 `dir/`, 3 `magic` (→ the place `dir`),
/// 4 `loop` (→ `loop`), 5 `up` (→ `dir/..`), 6 `file`, 7 `locked/` (mode 0).
struct Toy;

const ENTRIES: [(NodeRef, &[u8], NodeRef); 6] =
    [(1, b"dir", 2), (1, b"magic", 3), (1, b"loop", 4), (1, b"up", 5), (1, b"file", 6), (1, b"locked", 7)];

impl FileSystem for Toy {
    fn file_type(&self, node: NodeRef) -> Result<FileType, Errno> {
        Ok(match node {
            1 | 2 | 7 => FileType::Directory,
            3..=5 => FileType::Symlink,
            _ => FileType::Regular,
        })
    }

    fn lookup(&self, dir: NodeRef, name: &[u8]) -> Result<NodeRef, Errno> {
        match name {
            b"." => Ok(dir),
            b".." => Ok(1),
            _ => ENTRIES.iter().find(|e| e.0 == dir && e.1 == name).map(|e| e.2).ok_or(ENOENT),
        }
    }

    fn may_lookup(&self, cred: &FsCred, dir: NodeRef) -> Result<(), Errno> {
        match dir {
            _ if self.file_type(dir)? != FileType::Directory => Err(ENOTDIR),
            7 if !cred.capable(CAP_DAC_READ_SEARCH) => Err(EACCES),
            _ => Ok(()),
        }
    }

    fn get_link(&self, node: NodeRef) -> Result<Option<Link<'_>>, Errno> {
        Ok(match node {
            3 => Some(Link::Magic(Path::new(ROOT_MOUNT, 2))),
            4 => Some(Link::Text(Cow::Borrowed(b"loop"))),
            5 => Some(Link::Text(Cow::Borrowed(b"dir/.."))),
            _ => None,
        })
    }
}

/// The toy at `/` and a second toy mounted on `/dir`.
struct Two {
    mounts: MountTable,
    root: Path,
}

impl Two {
    fn new() -> (Self, MountId) {
        let mut mounts = MountTable::new(1);
        let child = mounts.add(ROOT_MOUNT, 2, 1, 1, b"toy", MntFlags::empty());
        (Two { mounts, root: Path::new(ROOT_MOUNT, 1) }, child)
    }

    fn look(&self, path: &str, flags: Lookup) -> Result<Path, Errno> {
        namei::lookup(self, &FsCred::ROOT, self.root, path.as_bytes(), flags)
    }
}

impl Tree for Two {
    fn mounts(&self) -> &MountTable {
        &self.mounts
    }
    fn root(&self) -> Path {
        self.root
    }
    fn fs(&self, _mnt: MountId) -> &dyn FileSystem {
        &Toy
    }
}

#[test]
fn the_walk_crosses_mounts_both_ways() {
    let (t, child) = Two::new();
    assert_eq!(t.look("/dir", Lookup::FOLLOW), Ok(Path::new(child, 1)));
    assert_eq!(t.look("/dir/dir/..", Lookup::FOLLOW), Ok(Path::new(child, 1)));
    assert_eq!(t.look("/dir/..", Lookup::FOLLOW), Ok(Path::new(ROOT_MOUNT, 1)));
    assert_eq!(t.look("/../..", Lookup::FOLLOW), Ok(Path::new(ROOT_MOUNT, 1)), "`..` stops at the root");
}

#[test]
fn a_magic_link_is_a_place_not_a_name() {
    let (t, child) = Two::new();
    // The link names the covered directory itself, not what is mounted on it.
    assert_eq!(t.look("/magic", Lookup::FOLLOW), Ok(Path::new(ROOT_MOUNT, 2)));
    assert_eq!(t.look("/magic", Lookup::empty()), Ok(Path::new(ROOT_MOUNT, 3)));
    assert_eq!(t.look("/magic/", Lookup::empty()), Ok(Path::new(ROOT_MOUNT, 2)), "a trailing slash follows");
    assert_eq!(t.look("/up", Lookup::FOLLOW), Ok(Path::new(ROOT_MOUNT, 1)));
    let _ = child;
}

#[test]
fn the_walk_reports_linux_errnos() {
    let (t, _) = Two::new();
    assert_eq!(t.look("/loop", Lookup::FOLLOW), Err(ELOOP));
    assert_eq!(t.look("/loop", Lookup::empty()), Ok(Path::new(ROOT_MOUNT, 4)));
    assert_eq!(t.look("/file/x", Lookup::FOLLOW), Err(ENOTDIR));
    assert_eq!(t.look("/file/", Lookup::FOLLOW), Err(ENOTDIR));
    assert_eq!(t.look("/file", Lookup::DIRECTORY), Err(ENOTDIR));
    assert_eq!(t.look("/nothing", Lookup::FOLLOW), Err(ENOENT));
    assert_eq!(t.look("", Lookup::FOLLOW), Err(ENOENT));
    assert_eq!(t.look("", Lookup::EMPTY), Ok(t.root));
    let long = "/".repeat(PATH_MAX);
    assert_eq!(t.look(&long, Lookup::FOLLOW), Err(ENAMETOOLONG));
    let user = FsCred { uid: 1000, gid: 1000, groups: None, caps: 0, scope: None };
    assert_eq!(namei::lookup(&t, &user, t.root, b"/locked/x", Lookup::FOLLOW), Err(EACCES));
    assert_eq!(namei::lookup(&t, &FsCred::ROOT, t.root, b"/locked/x", Lookup::FOLLOW), Err(ENOENT));
}
