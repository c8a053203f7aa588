//! proc as a file system the one path walk (`fs::namei`) goes through:
//! each proc mount answers lookups, types and links for its nodes
//! (Linux: proc_root_lookup(), proc_pident_lookup(), proc_pid_get_link(),
//! proc_fd_link()), and the RAM file system answers for every other
//! mount, so that a magic link leading out of /proc (`cwd`, `root`, `exe`,
//! an `fd/N` open on a file) is walked on by the same code.
//!
//! Proc nodes are made up on each lookup; the walk (and a cwd) holds one
//! as its own inode number with [`SYNTHETIC`] set, which
//! `Node::from_ino` turns back into the node. A proc mount's root is the
//! RAM directory it covers (a number without that bit).

use core::cell::Cell;

use super::*;
use crate::fs::namei::{self, FileSystem, Link, NodeRef, Path, Tree, SYNTHETIC};
use crate::fs::perm::FsCred;

/// `node` as a place in a proc mount whose root is `root`: the root by
/// the mount table's number (the directory it covers), so that `..`
/// there leaves the mount; any other node by its own inode number, marked
/// [`SYNTHETIC`] (a namespace file, which has none of its own, is never a
/// place: the walk stops at its link, see `get_link`).
pub(crate) fn node_ref(root: NodeRef, node: Node) -> NodeRef {
    if node == Node::Root {
        return root;
    }
    SYNTHETIC | node.ino()
}

/// The node place `r` names in a proc mount: a number without the mark is
/// the mount's root. `ENOENT` for a number no node has.
pub(crate) fn node_at(r: NodeRef) -> SysResult<Node> {
    if r & SYNTHETIC == 0 {
        return Ok(Node::Root);
    }
    Node::from_ino(r & !SYNTHETIC).ok_or(ENOENT)
}

/// One proc mount, as a file system of the walk.
struct ProcMount<'a> {
    k: &'a Kernel,
    mnt: MountId,
    /// The mount's root: the number of the directory it covers.
    root: NodeRef,
    view: View,
    /// Set once the walk asks proc anything.
    used: &'a Cell<bool>,
}

impl ProcMount<'_> {
    fn node(&self, r: NodeRef) -> SysResult<Node> {
        self.used.set(true);
        node_at(r)
    }

    fn node_ref(&self, node: Node) -> NodeRef {
        node_ref(self.root, node)
    }
}

impl FileSystem for ProcMount<'_> {
    fn file_type(&self, node: NodeRef) -> Result<FileType, Errno> {
        Ok(match self.node(node)?.kind() {
            Kind::Dir => FileType::Directory,
            Kind::Link => FileType::Symlink,
            Kind::File => FileType::Regular,
        })
    }

    fn lookup(&self, dir: NodeRef, name: &[u8]) -> Result<NodeRef, Errno> {
        let node = self.node(dir)?;
        match name {
            b"." => Ok(dir),
            b".." => Ok(self.node_ref(node.parent(self.k))),
            _ => Ok(self.node_ref(child(self.k, self.view, node, name)?)),
        }
    }

    fn may_lookup(&self, cred: &FsCred, dir: NodeRef) -> Result<(), Errno> {
        let node = self.node(dir)?;
        if !node.is_dir() {
            return Err(ENOTDIR);
        }
        search_permission(self.k, cred, node)
    }

    fn get_link(&self, node: NodeRef) -> Result<Option<Link<'_>>, Errno> {
        let node = self.node(node)?;
        if node.kind() != Kind::Link {
            return Ok(None);
        }
        // A namespace has no place in the tree: the walk ends at its link,
        // which `found` follows to the namespace file.
        if let Node::NsLink { .. } = node {
            return Ok(None);
        }
        // A cwd is a place of its own, in whichever mount it was taken.
        if let Node::Pid { tid, entry: PidEntry::Cwd, .. } = node {
            let t = link_task(self.k, tid)?;
            return Ok(Some(Link::Magic(self.k.vfs.fs_structs.get(t.fs).cwd.at)));
        }
        Ok(match follow(self.k, self.view, node)? {
            Target::Proc(to) => Some(Link::Magic(Path::new(self.mnt, self.node_ref(to)))),
            Target::Ino(ino) => Some(Link::Magic(Path::new(self.k.vfs.fs.mount_at(ino), ino))),
            // A pipe has no place in the tree: the walk ends at the link,
            // which `found` follows to the description.
            Target::File(_) => None,
        })
    }
}

/// May `cred` search proc directory `dir`? Its mode and owner decide
/// (fd/ is dr-x------, owned by the task's user), except that a thread
/// may always search its own process's fd/ (Linux: proc_fd_permission())
/// and the directories of /proc/sys are r-x for all (proc_sys_permission()).
fn search_permission(k: &Kernel, cred: &FsCred, dir: Node) -> SysResult<()> {
    use crate::fs::perm::{mode_permission, MAY_EXEC};
    if matches!(dir, Node::SysDir | Node::SysFs | Node::SysKernel | Node::SysVm | Node::SysUser) {
        return Ok(());
    }
    let (uid, gid) = owner(k, dir);
    let denied = mode_permission(cred, mode(k, dir), uid, gid, MAY_EXEC);
    match dir {
        Node::Pid { tid, entry: PidEntry::Fd, .. } if denied.is_err() => {
            let own = k.proc.tasks().get(&tid).is_some_and(|t| t.tgid == k.cur().tgid);
            if own {
                Ok(())
            } else {
                denied
            }
        }
        _ => denied,
    }
}

/// The tree as a walk starting in proc sees it: the loaded mount table
/// and root, proc's mounts answered by proc, the others by the RAM store.
struct ProcTree<'a> {
    k: &'a Kernel,
    procs: Vec<ProcMount<'a>>,
}

impl<'a> ProcTree<'a> {
    fn new(k: &'a Kernel, used: &'a Cell<bool>) -> Self {
        let fs = &k.vfs.fs;
        let procs = fs
            .mounts
            .iter()
            .filter(|m| fs.supers.get(m.sb).is_some_and(|sb| sb.fstype == FsType::Proc))
            .map(|m| ProcMount { k, mnt: m.id, root: m.root, view: view_of_mount(k, m.id), used })
            .collect();
        ProcTree { k, procs }
    }

    /// Where a walk from RAM directory `ino` (an open directory) starts.
    /// An open file keeps an inode, not a place, so the mount is guessed
    /// (`RamFs::mount_at`); only bind mounts make that ambiguous.
    fn start_at(&self, ino: Ino) -> Path {
        Path::new(self.k.vfs.fs.mount_at(ino), ino)
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

/// The place of proc node `node` of instance `view` opened without a
/// mount of its own: in the first proc mount of that instance, as a
/// descriptor open on it is walked from.
pub(super) fn file_place(k: &Kernel, node: Node, view: View) -> Option<Path> {
    let fs = &k.vfs.fs;
    let m = fs.mounts.iter().find(|m| is_proc_mount(k, m.id) && view_of_mount(k, m.id) == view)?;
    Some(Path::new(m.id, node_ref(m.root, node)))
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
    let used = Cell::new(false);
    let tree = ProcTree::new(k, &used);
    let start = if path[0] == b'/' || dirfd == AT_FDCWD {
        k.cur_fs().cwd.at
    } else {
        let id = k.cur_files().get(dirfd).ok()?.file;
        match node_view_of(k, id) {
            // A proc directory: in the first proc mount of its instance.
            Ok((node, view)) => file_place(k, node, view)?,
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
    if !used.get() && !ends_in_proc {
        return None;
    }
    Some(walked.and_then(|at| found(k, &tree, at, path.ends_with(b"/") || follow_last)))
}

/// What the walk's end `at` is. An fd/N link to a pipe or an ns/ link,
/// where the walk stopped (neither a pipe nor a namespace has a place),
/// leads to the description or the namespace file when followed.
fn found(k: &Kernel, tree: &ProcTree, at: Path, follow_last: bool) -> SysResult<Found> {
    let Some(proc) = tree.proc(at.mnt) else { return Ok(Found { at, target: Target::Ino(at.node) }) };
    let node = node_at(at.node)?;
    if node.kind() == Kind::Link && follow_last {
        match follow(k, proc.view, node)? {
            Target::File(id) => return Ok(Found { at, target: Target::File(id) }),
            Target::Proc(ns @ Node::NsFile(_)) => return Ok(Found { at, target: Target::Proc(ns) }),
            _ => {}
        }
    }
    Ok(Found { at, target: Target::Proc(node) })
}
