//! Mount namespaces (Linux: fs/namespace.c copy_mnt_ns(), put_mnt_ns(),
//! mntns_install()).
//!
//! Each mount namespace has its own [`MountTable`]; the file system
//! instances (superblocks) and the RAM inode store are shared by all. The
//! path walk reads the table of the file room (`RamFs::mounts`), which is
//! the *loaded* namespace's; the others keep theirs in their
//! `ns::MntNamespace`. Every system call first loads the caller's
//! ([`Kernel::mnt_switch`]: a comparison of two handles unless the
//! namespace changed), as IPC namespaces load their tables (`ipc::ns`).
//! (Linux reaches the table through `current->nsproxy->mnt_ns`.)
//!
//! Every mount but a table's root mount holds a reference on the inode it
//! shows, so a copied table takes one more on each; an instance is freed
//! when no table mounts it any more and no open file holds its inodes.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use super::mount::{FsType, Mount, MountTable, SbId};
use super::ramfs::{Ino, ROOT_INO};
use crate::abi::SysResult;
use crate::kernel::Kernel;
use crate::ns::{MntId, NsProxyId};
use crate::proc::FsId;

impl Kernel {
    /// Load the running task's mount namespace into the file room,
    /// keeping the loaded one's table in its namespace.
    pub fn mnt_switch(&mut self) {
        // With one mount namespace alive and loaded (a freed namespace is
        // never left loaded), it is the caller's: every system call pays
        // this compare, not the nsproxy lookup.
        if self.ns.mnt_count() == 1 && !self.ns.mnt_loaded.is_unset() {
            return;
        }
        let Some(p) = self.cur_nsproxy() else { return };
        let want = self.ns.mnt_of(p);
        let loaded = self.ns.mnt_loaded;
        if want == loaded {
            return;
        }
        let Some(table) = self.ns.unstash_mounts(want) else { return };
        let old = core::mem::replace(&mut self.vfs.fs_mut().mounts, table);
        if !loaded.is_unset() {
            self.ns.stash_mounts(loaded, old);
        }
        self.ns.mnt_loaded = want;
        self.vfs.files_mut().set_mnt_ns(want.raw());
    }

    /// The mount table of nsproxy `p`'s mount namespace, loaded or not.
    pub fn mounts_of(&self, p: NsProxyId) -> Option<&MountTable> {
        if p.is_unset() {
            return None;
        }
        let id = self.ns.mnt_of(p);
        if id == self.ns.mnt_loaded {
            Some(&self.vfs.fs().mounts)
        } else {
            self.ns.stashed_mounts(id)
        }
    }

    /// A copy of the caller's mount table for a new namespace, each mount
    /// holding what it shows once more. Linux: copy_mnt_ns() →
    /// copy_tree() (Tine keeps the mount ids: they are unique within a
    /// table, which is all /proc/PID/mountinfo shows).
    pub(crate) fn copy_mounts(&mut self) -> SysResult<MountTable> {
        self.mnt_switch();
        let table = self.vfs.fs().mounts.clone();
        let roots: Vec<Ino> = table.iter().filter(|m| m.id != m.parent).map(|m| m.root).collect();
        for (i, &root) in roots.iter().enumerate() {
            if let Err(e) = self.vfs.fs_mut().ihold(root) {
                for &r in &roots[..i] {
                    self.vfs.fs_mut().iput(r);
                }
                return Err(e);
            }
        }
        Ok(table)
    }

    /// Whether any mount namespace's table mounts instance `sb`.
    fn sb_mounted(&self, sb: SbId) -> bool {
        let mut tables = core::iter::once(&self.vfs.fs().mounts).chain(self.ns.stashed_mount_tables());
        tables.any(|t| t.iter().any(|m| m.sb == sb))
    }

    /// How many mounts, in every namespace, show directory `root` (each
    /// holds a reference on it).
    pub(crate) fn mounts_showing(&self, root: Ino) -> u32 {
        let tables = core::iter::once(&self.vfs.fs().mounts).chain(self.ns.stashed_mount_tables());
        tables.map(|t| t.iter().filter(|m| m.id != m.parent && m.root == root).count() as u32).sum()
    }

    /// The references on inodes that places in other mount namespaces
    /// hold: the working and root directories of their processes, and the
    /// files opened there. Each is a place in its own namespace's copy of
    /// a mount, never in a mount of the loaded table (an fs_struct is never
    /// shared across mount namespaces: unshare and setns of CLONE_NEWNS
    /// give the caller its own). Linux keeps the count on each `struct
    /// mount`, so these never make a mount here busy.
    pub(crate) fn places_elsewhere(&self) -> BTreeMap<Ino, u32> {
        let mut held = BTreeMap::new();
        if self.ns.mnt_count() <= 1 {
            return held;
        }
        let here = self.ns.mnt_loaded;
        let mut seen: Vec<FsId> = Vec::new();
        for t in self.proc.tasks().values() {
            if t.nsproxy.is_unset() || self.ns.mnt_of(t.nsproxy) == here || seen.contains(&t.fs) {
                continue;
            }
            seen.push(t.fs);
            if let Some(info) = self.vfs.fs_structs().try_get(t.fs) {
                *held.entry(info.cwd.ino).or_insert(0) += 1;
                *held.entry(info.root).or_insert(0) += 1;
            }
        }
        for (_, f) in self.vfs.files().iter() {
            if let Some(ino) = f.ino.filter(|_| f.mnt_ns != here.raw()) {
                *held.entry(ino).or_insert(0) += 1;
            }
        }
        held
    }

    /// Mounts taken out of a table (umount, or a namespace's end): drop
    /// what each holds, and free the instances no table mounts any more
    /// (a RAM instance stays while files of it are open). Linux:
    /// umount_tree() → mntput() → deactivate_super().
    pub(crate) fn release_mounts(&mut self, gone: Vec<Mount>) {
        for m in &gone {
            if m.id != m.parent {
                self.vfs.fs_mut().iput(m.root);
            }
        }
        for m in gone {
            if self.sb_mounted(m.sb) {
                continue;
            }
            let fstype = self.vfs.fs().supers.get(m.sb).map(|s| s.fstype);
            match fstype {
                // One instance for good, shown again by the next mount.
                Some(FsType::Tracefs) | Some(FsType::Rootfs) | None => {}
                Some(t) if t.in_ram() => {
                    self.vfs.fs_mut().free_instance(m.sb);
                }
                Some(_) => {
                    // proc: let go of the PID namespace it showed.
                    let pid_ns = self.vfs.fs().supers.get(m.sb).map_or(0, |s| s.pid_ns);
                    if let Some(ns) = self.ns.pid.handle_of(pid_ns).filter(|_| pid_ns != 0) {
                        self.ns.put_pid_ns(ns);
                    }
                    self.vfs.fs_mut().supers.remove(m.sb);
                }
            }
        }
    }

    /// Mount namespace `id` has lost its last user: take its mounts down
    /// (Linux: put_mnt_ns() → umount_tree() of the whole namespace).
    /// `stashed` is its table, `None` when it is the loaded one: the file
    /// room then keeps a bare root until the next switch.
    pub(crate) fn free_mnt_ns(&mut self, id: MntId, stashed: Option<MountTable>) {
        let table = match stashed {
            Some(t) => t,
            None => {
                debug_assert_eq!(self.ns.mnt_loaded, id);
                self.ns.mnt_loaded = MntId::UNSET;
                self.vfs.files_mut().set_mnt_ns(0);
                core::mem::replace(&mut self.vfs.fs_mut().mounts, MountTable::new(ROOT_INO))
            }
        };
        self.release_mounts(table.into_mounts());
    }
}
