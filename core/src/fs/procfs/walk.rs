//! proc as a file system the one path walk (`fs::namei`) goes through:
//! each proc mount answers lookups, types and links for its nodes
//! (Linux: proc_root_lookup(), proc_pident_lookup(), proc_pid_get_link(),
//! proc_fd_link()), and the RAM file system answers for every other
//! mount, so that a magic link leading out of /proc (`cwd`, `root`, `exe`,
//! an `fd/N` open on a file) is walked on by the same code.
//!
//! Proc nodes are made up on each lookup and are not numbered for good:
//! during one walk, a node the walk holds is a [`NodeRef`] with
//! [`PROC_REF`] set and an index into the walk's [`Nodes`]. A proc mount's
//! root is the RAM directory it covers (a number without that bit).

use core::cell::{Cell, RefCell};

use super::*;
use crate::fs::namei::{self, FileSystem, Link, NodeRef, Path, Tree};
use crate::fs::perm::FsCred;

/// The bit that marks a walk's proc node among the RAM file system's
/// inode numbers (which never reach it).
const PROC_REF: NodeRef = 1 << 63;

/// The proc nodes one walk has reached, by index, and whether it asked
/// proc anything.
#[derive(Default)]
struct Nodes {
    nodes: RefCell<Vec<Node>>,
    used: Cell<bool>,
}

impl Nodes {
    fn add(&self, node: Node) -> NodeRef {
        let mut v = self.nodes.borrow_mut();
        v.push(node);
        PROC_REF | (v.len() - 1) as NodeRef
    }

    /// The node `r` names in a proc mount: a number without the mark is
    /// the mount's root.
    fn get(&self, r: NodeRef) -> Node {
        self.used.set(true);
        if r & PROC_REF == 0 {
            return Node::Root;
        }
        self.nodes.borrow().get((r & !PROC_REF) as usize).copied().unwrap_or(Node::Root)
    }
}

/// One proc mount, as a file system of the walk.
struct ProcMount<'a> {
    k: &'a Kernel,
    mnt: MountId,
    /// The mount's root: the number of the directory it covers.
    root: NodeRef,
    view: View,
    nodes: &'a Nodes,
}

impl ProcMount<'_> {
    /// `node` as the walk holds it in this mount: its root by the mount
    /// table's number, so that `..` there leaves the mount.
    fn node_ref(&self, node: Node) -> NodeRef {
        if node == Node::Root {
            return self.root;
        }
        self.nodes.add(node)
    }
}

impl FileSystem for ProcMount<'_> {
    fn file_type(&self, node: NodeRef) -> Result<FileType, Errno> {
        Ok(match self.nodes.get(node).kind() {
            Kind::Dir => FileType::Directory,
            Kind::Link => FileType::Symlink,
            Kind::File => FileType::Regular,
        })
    }

    fn lookup(&self, dir: NodeRef, name: &[u8]) -> Result<NodeRef, Errno> {
        let node = self.nodes.get(dir);
        match name {
            b"." => Ok(dir),
            b".." => Ok(self.node_ref(node.parent(self.k))),
            _ => Ok(self.node_ref(child(self.k, self.view, node, name)?)),
        }
    }

    fn may_lookup(&self, _cred: &FsCred, dir: NodeRef) -> Result<(), Errno> {
        // The checks proc makes are in `child` (who may look into fd/).
        if !self.nodes.get(dir).is_dir() {
            return Err(ENOTDIR);
        }
        Ok(())
    }

    fn get_link(&self, node: NodeRef) -> Result<Option<Link<'_>>, Errno> {
        let node = self.nodes.get(node);
        if node.kind() != Kind::Link {
            return Ok(None);
        }
        Ok(match follow(self.k, self.view, node)? {
            Target::Proc(to) => Some(Link::Magic(Path::new(self.mnt, self.node_ref(to)))),
            Target::Ino(ino) => Some(Link::Magic(Path::new(self.k.vfs.fs.mount_at(ino), ino))),
            // A pipe has no place in the tree: the walk ends at the link,
            // which `walk` follows to the description.
            Target::File(_) => None,
        })
    }
}

/// The tree as a walk starting in proc sees it: the loaded mount table
/// and root, proc's mounts answered by proc, the others by the RAM store.
struct ProcTree<'a> {
    k: &'a Kernel,
    procs: Vec<ProcMount<'a>>,
}

impl<'a> ProcTree<'a> {
    fn new(k: &'a Kernel, nodes: &'a Nodes) -> Self {
        let fs = &k.vfs.fs;
        let procs = fs
            .mounts
            .iter()
            .filter(|m| fs.supers.get(m.sb).is_some_and(|sb| sb.fstype == FsType::Proc))
            .map(|m| ProcMount { k, mnt: m.id, root: m.root, view: view_of_mount(k, m.id), nodes })
            .collect();
        ProcTree { k, procs }
    }

    /// Where a walk from RAM directory `ino` (a cwd, a descriptor)
    /// starts. Both keep an inode, not a place, so the mount is guessed
    /// (`RamFs::mount_at`); a directory proc is mounted on is taken as
    /// proc's root, as chdir("/proc") meant it.
    fn start_at(&self, ino: Ino) -> Path {
        let at = Path::new(self.k.vfs.fs.mount_at(ino), ino);
        let top = namei::cross_down(&self.k.vfs.fs.mounts, at);
        if self.proc(top.mnt).is_some() {
            return top;
        }
        at
    }

    fn proc(&self, mnt: MountId) -> Option<&ProcMount<'a>> {
        self.procs.iter().find(|p| p.mnt == mnt)
    }
}

impl Tree for ProcTree<'_> {
    fn mounts(&self) -> &crate::fs::mount::MountTable {
        &self.k.vfs.fs.mounts
    }

    fn root(&self) -> Path {
        self.k.vfs.fs.walk_root().into()
    }

    fn fs(&self, mnt: MountId) -> &dyn FileSystem {
        match self.proc(mnt) {
            Some(p) => p,
            None => &self.k.vfs.fs,
        }
    }
}

/// Where a path leads whose walk went through a proc mount: the place
/// it ended at, and what is there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Found {
    /// For a proc node, the proc mount it was reached in (its root is the
    /// covered directory's number); else the RAM file system's place.
    pub at: Path,
    pub target: Target,
}

impl Found {
    /// The PID namespace the proc instance it was found in shows.
    pub(super) fn view(&self, k: &Kernel) -> View {
        view_of_mount(k, self.at.mnt)
    }
}

/// Resolve `path` from `dirfd` as the `*at()` calls read it, through
/// `fs::namei`, following the last link when `follow_last`. `None` when
/// the walk never went through a proc mount (the path is the RAM file
/// system's alone, and its own walk, with the caller's credentials, says
/// where it leads or why not), and for an empty or overlong path or a
/// `dirfd` that names no directory (which the RAM walk reports).
/// Linux: path_lookupat() through proc's inode operations.
pub fn resolve(k: &Kernel, dirfd: i32, path: &[u8], follow_last: bool) -> Option<SysResult<Found>> {
    if path.is_empty() || path.len() >= PATH_MAX {
        return None;
    }
    let nodes = Nodes::default();
    let tree = ProcTree::new(k, &nodes);
    let start = if path[0] == b'/' || dirfd == AT_FDCWD {
        tree.start_at(k.cur_fs().cwd)
    } else {
        let id = k.cur_files().get(dirfd).ok()?.file;
        match node_view_of(k, id) {
            // A proc directory: in the first proc mount of its instance.
            Ok((node, view)) => {
                let proc = tree.procs.iter().find(|p| p.view == view)?;
                Path::new(proc.mnt, proc.node_ref(node))
            }
            Err(_) => {
                let ino = k.vfs.files.get(id).ino?;
                if !k.vfs.fs.inode(ino).ok()?.is_dir() {
                    return None;
                }
                tree.start_at(ino)
            }
        }
    };
    let flags = if follow_last { Lookup::FOLLOW } else { Lookup::empty() };
    let walked = namei::lookup(&tree, &k.fs_cred(), start, path, flags);
    // `lstat("/proc")` ends in proc without asking it anything.
    let ends_in_proc = walked.as_ref().is_ok_and(|at| tree.proc(at.mnt).is_some());
    if !nodes.used.get() && !ends_in_proc {
        return None;
    }
    Some(walked.and_then(|at| found(k, &tree, &nodes, at, path.ends_with(b"/") || follow_last)))
}

/// What the walk's end `at` is. An fd/N link to a pipe, where the walk
/// stopped (the pipe has no place), leads to the description when
/// followed.
fn found(k: &Kernel, tree: &ProcTree, nodes: &Nodes, at: Path, follow_last: bool) -> SysResult<Found> {
    let Some(proc) = tree.proc(at.mnt) else { return Ok(Found { at, target: Target::Ino(at.node) }) };
    let node = nodes.get(at.node);
    if node.kind() == Kind::Link && follow_last {
        if let Target::File(id) = follow(k, proc.view, node)? {
            return Ok(Found { at, target: Target::File(id) });
        }
    }
    Ok(Found { at, target: Target::Proc(node) })
}
