//! Each process's root directory (Linux: `fs_struct.root`, fs/fs_struct.c
//! set_fs_root(), chroot_fs_refs()).
//!
//! The root lives in the fs_struct (`proc::FsInfo::root`, an inode
//! reference), so fork copies it and CLONE_FS shares it. The path walk
//! reads the *loaded* root (`RamFs::walk_root`): absolute paths start
//! there and `..` stops there. Until some process's root first moves
//! (chroot(2), pivot_root(2)), every root is the top of the tree and
//! nothing is loaded; after that each system call loads the caller's,
//! as it loads the caller's mount table (`Kernel::mnt_switch`).

use alloc::vec::Vec;

use super::mount::{MountId, MountTable, ROOT_MOUNT};
use super::ramfs::{Ino, ROOT_INO};
use crate::kernel::Kernel;
use crate::proc::FsId;

/// Where root directory `root` is seen in `table`: the top of the tree,
/// or the mount that shows it (the walk's guess for a cwd too, see
/// `MountTable::mount_of`).
pub fn root_pos(fs: &super::RamFs, table: &MountTable, root: Ino) -> (MountId, Ino) {
    if root == ROOT_INO {
        return (ROOT_MOUNT, ROOT_INO);
    }
    let sb = fs.inode(root).map_or(super::mount::ROOT_SB, |i| i.sb());
    (table.mount_of(sb, root), root)
}

impl Kernel {
    /// Load the running task's root into the path walk. Nothing to do
    /// while no root has ever moved.
    pub fn root_switch(&mut self) {
        if !self.vfs.roots_moved() {
            return;
        }
        let Some(cur) = self.sched.current() else { return };
        let Some(t) = self.proc.tasks().get(&cur) else { return };
        let Some(info) = self.vfs.fs_structs().try_get(t.fs) else { return };
        let pos = root_pos(self.vfs.fs(), &self.vfs.fs().mounts, info.root);
        self.vfs.fs_mut().set_walk_root(pos);
    }

    /// Make directory `dir` (a walk's result, held by the caller for the
    /// new root) the root of fs_struct `fs`, dropping the old one's
    /// reference. Linux: set_fs_root().
    pub(crate) fn set_fs_root(&mut self, fs: FsId, dir: Ino) {
        self.vfs.note_root_moved();
        let old = core::mem::replace(&mut self.vfs.fs_structs_mut().get_mut(fs).root, dir);
        self.vfs.fs_mut().iput(old);
        self.root_switch();
    }

    /// After pivot_root(2): every process of the caller's mount namespace
    /// whose root or cwd was the old root directory now has the new one.
    /// Linux: chroot_fs_refs().
    pub(crate) fn chroot_fs_refs(&mut self, old: Ino, new: Ino) {
        let Some(me) = self.cur_nsproxy() else { return };
        let mnt = self.ns.mnt_of(me);
        let mut structs: Vec<FsId> = Vec::new();
        for t in self.proc.tasks().values() {
            let same_ns = !t.nsproxy.is_unset() && self.ns.mnt_of(t.nsproxy) == mnt;
            if same_ns && self.vfs.fs_structs().try_get(t.fs).is_some() && !structs.contains(&t.fs) {
                structs.push(t.fs);
            }
        }
        self.vfs.note_root_moved();
        let new_cwd = crate::fs::namei::Held::ram(root_pos(self.vfs.fs(), &self.vfs.fs().mounts, new).into());
        for fs in structs {
            let info = self.vfs.fs_structs().get(fs);
            let (root_was, cwd_was) = (info.root == old, info.cwd.ino == old);
            // `new` is held by the caller, so taking references cannot fail.
            for _ in 0..(root_was as u32 + cwd_was as u32) {
                if self.vfs.fs_mut().ihold(new).is_ok() {
                    self.vfs.fs_mut().iput(old);
                }
            }
            let info = self.vfs.fs_structs_mut().get_mut(fs);
            if root_was {
                info.root = new;
            }
            if cwd_was {
                info.cwd = new_cwd;
            }
        }
        self.root_switch();
    }
}
