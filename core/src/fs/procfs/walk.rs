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

use core::cell::RefCell;

use super::*;
use crate::fs::namei::{self, FileSystem, Link, NodeRef, Path, Tree};
use crate::fs::perm::FsCred;

/// The bit that marks a walk's proc node among the RAM file system's
/// inode numbers (which never reach it).
const PROC_REF: NodeRef = 1 << 63;

/// The proc nodes one walk has reached, by index.
#[derive(Default)]
struct Nodes(RefCell<Vec<Node>>);

impl Nodes {
    fn add(&self, node: Node) -> NodeRef {
        let mut v = self.0.borrow_mut();
        v.push(node);
        PROC_REF | (v.len() - 1) as NodeRef
    }

    /// The node `r` names in a proc mount: a number without the mark is
    /// the mount's root.
    fn get(&self, r: NodeRef) -> Node {
        if r & PROC_REF == 0 {
            return Node::Root;
        }
        self.0.borrow().get((r & !PROC_REF) as usize).copied().unwrap_or(Node::Root)
    }
}

/// One proc mount, as a file system of the walk.
struct ProcMount<'a> {
    k: &'a Kernel,
    mnt: MountId,
    view: View,
    nodes: &'a Nodes,
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
            b".." => Ok(self.nodes.add(node.parent(self.k))),
            _ => Ok(self.nodes.add(child(self.k, self.view, node, name)?)),
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
            Target::Proc(to) => Some(Link::Magic(Path::new(self.mnt, self.nodes.add(to)))),
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
            .map(|m| ProcMount { k, mnt: m.id, view: view_of_mount(k, m.id), nodes })
            .collect();
        ProcTree { k, procs }
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

/// Resolve a path in /proc, following links on the way and the last one
/// too when `follow_last`, through `fs::namei`.
pub fn walk(k: &Kernel, p: &ProcPath, follow_last: bool) -> SysResult<Target> {
    let nodes = Nodes::default();
    let tree = ProcTree::new(k, &nodes);
    let root = k.vfs.fs.mounts.get(p.mount).ok_or(ENOENT)?.root;
    let start = Path::new(p.mount, root);
    let mut path = p.comps.join(&b'/');
    if p.trailing_slash {
        path.push(b'/');
    }
    let flags = if follow_last { Lookup::FOLLOW } else { Lookup::empty() };
    let at = if p.comps.is_empty() {
        start
    } else {
        let mut links = 0;
        namei::walk(&tree, &k.fs_cred(), start, &path, flags, &mut links)?
    };
    let Some(proc) = tree.proc(at.mnt) else { return Ok(Target::Ino(at.node)) };
    let node = nodes.get(at.node);
    // An fd/N link to a pipe, where the walk stopped: the description.
    if node.kind() == Kind::Link && (follow_last || p.trailing_slash) {
        if let Target::File(id) = follow(k, proc.view, node)? {
            return if p.trailing_slash { Err(ENOTDIR) } else { Ok(Target::File(id)) };
        }
    }
    Ok(Target::Proc(node))
}
