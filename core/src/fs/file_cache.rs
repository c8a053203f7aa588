//! Regular files' data through the page cache: the kernel's file calls
//! (read, write, truncate, mmap's and exec's attach, reclaim) and the RAM
//! file system as the cache's backing store (Linux: the generic file
//! operations of mm/filemap.c over shmem's address space).
//!
//! The cache itself is mm's ([`crate::mm::pagecache`]), which knows the
//! file system only through [`Backing`].

use alloc::vec::Vec;

use crate::abi::Errno;
use crate::fs::ramfs::{Ino, RamFs};
use crate::kernel::Kernel;
use crate::mm::pagecache::{attach, drop_caches, read, reclaim, resize, truncate_cache, write, Backing};
use crate::mm::tlb::TlbGather;
use crate::mm::MemCtx;

impl Backing for RamFs {
    fn file_data(&self, ino: Ino) -> Result<&[u8], Errno> {
        RamFs::file_data(self, ino)
    }

    fn read_at(&self, ino: Ino, offset: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        RamFs::read_at(self, ino, offset, buf)
    }

    fn write_at(&mut self, ino: Ino, offset: u64, data: &[u8], now: u64) -> Result<usize, Errno> {
        RamFs::write_at(self, ino, offset, data, now)
    }

    fn truncate(&mut self, ino: Ino, len: u64, now: u64) -> Result<(), Errno> {
        RamFs::truncate(self, ino, len, now)
    }

    fn exists(&self, ino: Ino) -> bool {
        self.inode(ino).is_ok()
    }

    fn is_shmem(&self, ino: Ino) -> bool {
        self.memfds.get(ino).is_some()
    }
}

/// The same operations for the kernel: the syscall layer calls these in
/// place of the [`RamFs`] ones for regular files.
impl Kernel {
    /// read() of regular file `ino`: [`read`].
    pub fn file_read(&self, ino: Ino, offset: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        read(&self.vfs.fs, self.mem.pagecache(), self.m.mem, ino, offset, buf)
    }

    /// write() to regular file `ino`: [`write()`].
    pub fn file_write(&mut self, ino: Ino, offset: u64, data: &[u8], now: u64) -> Result<usize, Errno> {
        let crate::mm::MemParts { pagecache, frames, .. } = self.mem.parts();
        let (fs, m) = (&mut self.vfs.fs, &self.m);
        write(fs, pagecache, frames, m.mem, ino, offset, data, now)
    }

    /// truncate()/ftruncate() of regular file `ino`: [`truncate`], over
    /// every address space, the current one being the live one.
    pub fn file_truncate(&mut self, ino: Ino, len: u64, now: u64) -> Result<(), Errno> {
        let first = {
            let crate::mm::MemParts { pagecache, frames, .. } = self.mem.parts();
            let (fs, m) = (&mut self.vfs.fs, &self.m);
            truncate_cache(fs, pagecache, frames, m.mem, ino, len, now)?
        };
        self.unmap_file_pages(ino, first);
        Ok(())
    }

    /// The file system has changed the size of `ino` by itself (`open`
    /// with O_TRUNC): bring the page cache and the mappings in line.
    /// Nothing to do, and cheap, for a file that is not cached.
    pub fn file_truncated(&mut self, ino: Ino) {
        let Ok(size) = self.vfs.fs.inode(ino).map(|i| i.size()) else { return };
        let crate::mm::MemParts { pagecache, frames, .. } = self.mem.parts();
        let m = &self.m;
        let first = resize(pagecache, frames, m.mem, ino, size);
        self.unmap_file_pages(ino, first);
    }

    /// Unmap pages `first..` of `ino` from every address space.
    fn unmap_file_pages(&mut self, ino: Ino, first: Option<u64>) {
        let Some(first) = first else { return };
        let ids: Vec<_> = self.mem.mms().iter().map(|(id, _)| id).collect();
        for id in ids {
            let crate::mm::MemParts { mms, pagecache, frames, .. } = self.mem.parts();
            let m = &self.m;
            let aspace = mms.get_mut(id);
            let tlb = TlbGather::new(m.mmu, aspace.cpus());
            aspace.unmap_object_pages(&mut MemCtx { frames, phys: m.mem, tlb, pagecache, trace: None }, ino, first);
        }
    }

    /// Bring regular file `ino` into the page cache before it is mapped
    /// (by mmap or exec): [`attach`].
    pub fn attach_file(&mut self, ino: Ino) -> Result<(), Errno> {
        let crate::mm::MemParts { pagecache, frames, .. } = self.mem.parts();
        let (fs, m) = (&mut self.vfs.fs, &self.m);
        attach(fs, pagecache, frames, m.mem, ino)
    }

    /// Write back and free page-cache objects nothing maps: [`reclaim`].
    pub fn reclaim_page_cache(&mut self) {
        let now = self.m.clock.boot_epoch_ns() + self.m.clock.monotonic_ns();
        let crate::mm::MemParts { pagecache, frames, .. } = self.mem.parts();
        let (fs, m) = (&mut self.vfs.fs, &self.m);
        reclaim(fs, pagecache, frames, m.mem, now);
    }

    /// Write back and free every page-cache object nothing maps,
    /// executables included: [`drop_caches`].
    pub fn drop_page_caches(&mut self) {
        let now = self.m.clock.boot_epoch_ns() + self.m.clock.monotonic_ns();
        let crate::mm::MemParts { pagecache, frames, .. } = self.mem.parts();
        let (fs, m) = (&mut self.vfs.fs, &self.m);
        drop_caches(fs, pagecache, frames, m.mem, now);
    }
}
