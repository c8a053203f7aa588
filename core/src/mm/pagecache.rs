//! The page cache: file pages in frames, so that `mmap` can map them
//! (Linux: mm/filemap.c, and mm/shmem.c for tmpfs and shared anonymous
//! memory).
//!
//! # Design
//!
//! The RAM file system keeps a regular file's bytes in a `Vec<u8>`, which
//! cannot be mapped into an address space. A mapping needs the file's data
//! in frames that every process mapping the file shares, as Linux's page
//! cache provides. Tine keeps both, with one rule deciding which is the
//! truth:
//!
//! - A file that has never been mapped lives in its `Vec` only; `read`,
//!   `write` and `truncate` go straight to [`Backing`] and cost nothing extra.
//! - The first `mmap` of a file *attaches* it ([`attach`]): its data is
//!   copied into one refcounted frame per page (all-zero pages are left as
//!   holes and get a zeroed frame when first needed). From then on the
//!   cached object is the authority for the file's contents **and** size:
//!   page faults map its frames, and `read`/`write`/`truncate` of the inode
//!   must go through [`read`], [`write()`] and [`truncate`] here, which keep
//!   the two in step.
//! - The `Vec` is kept as a write-through copy: [`write()`] writes both, and
//!   [`truncate`] resizes both, so the file's size, `st_size`, `st_blocks`,
//!   `SEEK_END` and `O_APPEND` keep working through [`Backing`] unchanged.
//!   Only bytes stored through a shared writable *mapping* reach the frames
//!   alone; those pages are marked dirty when the write fault maps them
//!   writable (Linux's write-notify: shared file pages are mapped read-only
//!   first, so the first write faults) and are copied back into the `Vec`
//!   when the object is dropped ([`reclaim`]).
//! - An object stays cached while any address space maps it (each address
//!   space holds one *user* reference per object, whatever its number of
//!   VMAs; see [`PageCache::hold`]). Once unmapped, [`reclaim`] writes its
//!   dirty pages back and frees it, so that a file that is no longer mapped
//!   costs one copy again. A file that is unlinked and closed while mapped
//!   lives on in the cache alone, as Linux keeps the inode alive through
//!   `vma->vm_file`, and disappears with its last mapping.
//! - Executables are the exception ([`PageCache::keep`]): exec maps a
//!   program's segments from here, and the next exec of the same program
//!   (a shell running `ls` again and again) should find its pages cached
//!   rather than copy the file in again. So an object an exec has mapped
//!   stays cached when idle, as every file's pages stay in Linux's page
//!   cache until memory pressure. [`reclaim`] drops it only when free
//!   frames run low ([`LOW_WATERMARK_DIV`]), and [`drop_caches`] drops it
//!   on request (the kernel does so before its no-leak accounting).
//!
//! Shared anonymous memory (MAP_SHARED | MAP_ANONYMOUS, and MAP_SHARED of
//! /dev/zero) is an object here too, with a key above [`SHMEM_KEY_BASE`]
//! and no file behind it, as Linux backs it with an unlinked shmem file
//! (shmem_zero_setup()). That is what lets parent and child share pages
//! touched only after fork, and lets MADV_DONTNEED drop a shared mapping's
//! PTEs without losing its contents. Such an object is freed with its last
//! user.
//!
//! Frame ownership follows the rest of `mm`: the cache holds one reference
//! on each of its frames, and every PTE mapping one holds another. So a
//! private mapping's PTE on a cache frame always sees a refcount of at
//! least 2 and copies on write (Linux: do_cow_fault() / wp_page_copy()),
//! while a shared mapping writes the cache frame itself.
//!
//! Truncation follows Linux's truncate_pagecache(): pages wholly beyond the
//! new end are unmapped from every address space (private copies
//! included) and dropped, and the tail of a partial last page is zeroed; a
//! later access beyond the end of the file raises SIGBUS
//! ([`FaultError::Bus`]).
//!
//! # Where the kernel calls in
//!
//! The file system is behind the [`Backing`] trait (Linux: the inode's
//! `address_space_operations` and `i_size`), which the RAM file system
//! implements, so that mm needs nothing from fs/. The `Kernel` methods in
//! `fs::file_cache` wrap these functions: `file_read`,
//! `file_write` and `file_truncate` replace `RamFs::read_at`,
//! `RamFs::write_at` and `RamFs::truncate` for regular files in the
//! file calls, and exec reads a program's headers with `file_read`;
//! `file_truncated` follows an `open` (O_TRUNC truncates inside
//! `RamFs::open`); `reclaim_page_cache` runs after unmapping (munmap, and
//! best after an address space is released). `mmap` of a regular file, and
//! exec of a program, [`attach`] it first (`attach_file`); exec then
//! [`keep`](PageCache::keep)s it. `drop_page_caches` empties the cache of
//! everything unmapped.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use crate::abi::{Errno, EFBIG, ENOMEM, ENOSPC};
use crate::machine::{Mmu, PhysMem};
use crate::mm::aspace::{AddressSpace, MemCtx};
use crate::mm::consts::{MAX_FILE_SIZE, PAGE_SIZE};
use crate::mm::fault::FaultError;
use crate::mm::frame::{FrameAllocator, FrameFlags};
use crate::mm::tlb::TlbGather;

/// A page-cache key: an inode number, or a shared-memory object's id
/// (from [`SHMEM_KEY_BASE`] up).
pub type Ino = u64;

/// The file system that holds a regular file's bytes besides the cache
/// (the write-through copy, see the module's documentation). Linux: the
/// inode's `address_space_operations` and `i_size`; Tine's RAM file
/// system implements it (`fs::file_cache`).
pub trait Backing {
    /// Regular file `ino`'s bytes: its size is their length. EISDIR or
    /// EINVAL for an inode that is not a regular file, ESTALE for a freed one.
    fn file_data(&self, ino: Ino) -> Result<&[u8], Errno>;
    /// read() of an uncached file.
    fn read_at(&self, ino: Ino, offset: u64, buf: &mut [u8]) -> Result<usize, Errno>;
    /// write() at `offset`, growing the file as needed (EFBIG beyond the
    /// maximum file size, ENOSPC when memory runs out).
    fn write_at(&mut self, ino: Ino, offset: u64, data: &[u8], now: u64) -> Result<usize, Errno>;
    /// Set the file's size to `len`.
    fn truncate(&mut self, ino: Ino, len: u64, now: u64) -> Result<(), Errno>;
    /// Whether inode `ino` still exists (it is freed when unlinked and
    /// closed, behind the cache's back).
    fn exists(&self, ino: Ino) -> bool;
    /// Whether `ino`'s pages are shared memory rather than a file's (a
    /// memfd): they count in RssShmem. Linux: shmem_mapping().
    fn is_shmem(&self, _ino: Ino) -> bool {
        false
    }
}

/// Keys at and above this name anonymous shared-memory objects; below it
/// they are inode numbers of the RAM file system (which never get near it).
pub const SHMEM_KEY_BASE: u64 = 1 << 63;

const P: u64 = PAGE_SIZE;

/// One cached page. Linux: a `struct folio` in `mapping->i_pages`.
#[derive(Clone, Copy, Debug)]
struct CachedPage {
    frame: u64,
    /// Written through a shared mapping since it was cached: its bytes are
    /// newer than the file system's copy. Linux: PG_dirty.
    dirty: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// A RAM file system inode, with its `Vec` as write-through copy.
    File,
    /// Anonymous shared memory: the cache is all there is. `accounted`:
    /// its size is committed under the overcommit policy until it goes
    /// (Linux: shmem_acct_size() unless VM_NORESERVE).
    Shmem { accounted: bool },
}

/// A cached object. Linux: `struct address_space` plus `i_size`.
#[derive(Debug)]
struct Object {
    kind: Kind,
    /// Bytes; pages at or beyond `size.div_ceil(P)` do not exist.
    size: u64,
    /// Sparse: a missing page within the size is a hole that reads as zeros.
    pages: BTreeMap<u64, CachedPage>,
    /// Address spaces mapping the object.
    users: u32,
    /// Those of them that map it through a descriptor open for writing,
    /// holding the file's write access (see VmFlags::WRITER).
    writers: u32,
    /// The inode is gone: drop the object with its last user, no write-back.
    orphan: bool,
    /// An exec has mapped it: it stays cached when idle, until memory runs
    /// low or [`drop_caches`]. Linux keeps every file's pages so.
    keep: bool,
    /// The mark its frames carry, by which a mapped one counts in RssFile
    /// or RssShmem (see [`super::rss`]): SHMEM for shared memory and
    /// memfds, FILE for other files.
    mark: FrameFlags,
}

impl Object {
    fn page_count(&self) -> u64 {
        self.size.div_ceil(P)
    }
}

/// Every cached object, by key. Linux: the page cache of all inodes.
#[derive(Debug)]
pub struct PageCache {
    objs: BTreeMap<u64, Object>,
    next_shmem: u64,
}

impl Default for PageCache {
    fn default() -> Self {
        Self::new()
    }
}

impl PageCache {
    pub fn new() -> Self {
        PageCache { objs: BTreeMap::new(), next_shmem: SHMEM_KEY_BASE }
    }

    /// Whether `key` is cached (for an inode: whether its data lives here).
    pub fn contains(&self, key: u64) -> bool {
        self.objs.contains_key(&key)
    }

    /// The cached object's size in bytes.
    pub fn size(&self, key: u64) -> Option<u64> {
        self.objs.get(&key).map(|o| o.size)
    }

    /// Objects cached, and frames they hold (tests check these for leaks).
    pub fn object_count(&self) -> usize {
        self.objs.len()
    }

    /// Pages of object `key` in the cache (Linux: `i_mapping->nrpages`).
    pub fn pages_of(&self, key: u64) -> usize {
        self.objs.get(&key).map_or(0, |o| o.pages.len())
    }

    pub fn frames_held(&self) -> usize {
        self.objs.values().map(|o| o.pages.len()).sum()
    }

    /// Every frame the cache holds a reference on.
    pub fn frames(&self) -> impl Iterator<Item = u64> + '_ {
        self.objs.values().flat_map(|o| o.pages.values().map(|p| p.frame))
    }

    /// A new anonymous shared-memory object of `size` bytes, with no user
    /// yet (the address space mapping it takes one with [`hold`](Self::hold)).
    /// Linux: shmem_zero_setup() → shmem_kernel_file_setup().
    pub fn create_shmem(&mut self, size: u64, accounted: bool) -> u64 {
        let key = self.next_shmem;
        self.next_shmem += 1;
        let kind = Kind::Shmem { accounted };
        self.objs.insert(
            key,
            Object {
                kind,
                size,
                pages: BTreeMap::new(),
                users: 0,
                writers: 0,
                orphan: false,
                keep: false,
                mark: FrameFlags::SHMEM,
            },
        );
        key
    }

    /// Mark the frames `key` gets from now on with `mark` in place of
    /// their kind's (the vDSO's objects: see [`super::rss`]).
    pub fn set_mark(&mut self, key: u64, mark: FrameFlags) {
        let o = self.objs.get_mut(&key).expect("mark of an uncached object");
        debug_assert!(o.pages.is_empty(), "frames already marked");
        o.mark = mark;
    }

    /// An address space starts mapping `key`. Linux: get_file() for
    /// vma->vm_file (per VMA there; per address space here).
    /// With `writer`, the address space also holds the write access.
    pub fn hold(&mut self, key: u64, writer: bool) {
        let o = self.objs.get_mut(&key).expect("hold of an uncached object");
        o.users += 1;
        o.writers += writer as u32;
    }

    /// An address space that maps `key` now holds its write access too.
    pub fn hold_writer(&mut self, key: u64) {
        self.objs.get_mut(&key).expect("hold of an uncached object").writers += 1;
    }

    /// An address space that maps `key` no longer holds its write access.
    pub fn release_writer(&mut self, key: u64) {
        let o = self.objs.get_mut(&key).expect("release of an uncached object");
        o.writers = o.writers.checked_sub(1).expect("page-cache writer count underflow");
    }

    /// Whether some mapping holds `key`'s write access: exec refuses the
    /// file then (ETXTBSY), as Linux's i_writecount counts the struct file
    /// a mapping keeps.
    pub fn mapped_for_write(&self, key: u64) -> bool {
        self.objs.get(&key).is_some_and(|o| o.writers > 0)
    }

    /// Keep file `key` cached when nothing maps it any more: an exec has
    /// mapped it, and the next exec of the same program will map the same
    /// pages instead of copying the file in again. Linux needs no such
    /// mark: a file's pages stay in its page cache until memory pressure.
    pub fn keep(&mut self, key: u64) {
        if let Some(o) = self.objs.get_mut(&key).filter(|o| o.kind == Kind::File) {
            o.keep = true;
        }
    }

    /// Whether `key` is cached and kept when idle ([`keep`](Self::keep)).
    pub fn is_kept(&self, key: u64) -> bool {
        self.objs.get(&key).is_some_and(|o| o.keep)
    }

    /// An address space no longer maps `key`. Shared memory and orphaned
    /// files go with their last user; a live file's object stays until
    /// [`reclaim`] writes it back. Linux: fput() of vm_file.
    pub fn release(&mut self, frames: &mut FrameAllocator, key: u64, writer: bool) {
        let o = self.objs.get_mut(&key).expect("release of an uncached object");
        o.users = o.users.checked_sub(1).expect("page-cache user count underflow");
        o.writers = o.writers.checked_sub(writer as u32).expect("page-cache writer count underflow");
        if o.users == 0 && (matches!(o.kind, Kind::Shmem { .. }) || o.orphan) {
            self.drop_object(frames, key);
        }
    }

    /// The inode `key` has been freed: drop its object now if nothing maps
    /// it, else when the last mapping goes. Linux: evict() →
    /// truncate_inode_pages_final(), which the last iput() reaches only
    /// after the mappings' file references are gone.
    pub fn evict(&mut self, frames: &mut FrameAllocator, key: u64) {
        let Some(o) = self.objs.get_mut(&key) else { return };
        if o.users == 0 {
            self.drop_object(frames, key);
        } else {
            o.orphan = true;
        }
    }

    /// The frame holding page `idx` of `key`, creating a zeroed one for a
    /// hole. The cache keeps its reference; a caller that maps the frame
    /// takes its own. `Bus` for a page at or beyond the end of the object,
    /// `Oom` when no frame is left.
    /// Linux: filemap_fault() / shmem_fault() → shmem_get_folio().
    pub fn get_page(
        &mut self,
        frames: &mut FrameAllocator,
        phys: &dyn PhysMem,
        key: u64,
        idx: u64,
    ) -> Result<u64, FaultError> {
        let o = self.objs.get_mut(&key).expect("fault on an uncached object");
        if idx >= o.page_count() {
            return Err(FaultError::Bus);
        }
        if let Some(p) = o.pages.get(&idx) {
            return Ok(p.frame);
        }
        let frame = frames.alloc_zeroed(phys).ok_or(FaultError::Oom)?;
        frames.set_flags(frame, o.mark);
        o.pages.insert(idx, CachedPage { frame, dirty: false });
        Ok(frame)
    }

    /// Address spaces (and other holders) of `key`.
    pub fn users(&self, key: u64) -> u32 {
        self.objs.get(&key).map_or(0, |o| o.users)
    }

    /// The frame caching page `idx` of `key`, if it is in the cache.
    pub fn cached_frame(&self, key: u64, idx: u64) -> Option<u64> {
        self.objs.get(&key)?.pages.get(&idx).map(|p| p.frame)
    }

    /// Whether shared mappings of `key` must map its pages read-only until
    /// the first write, to learn which pages to write back. Only files
    /// have somewhere to write back to. Linux: vma_wants_writenotify().
    pub fn tracks_dirty(&self, key: u64) -> bool {
        self.objs.get(&key).is_some_and(|o| o.kind == Kind::File)
    }

    /// Whether page `idx` of `key` has been written through a mapping.
    pub fn is_dirty(&self, key: u64, idx: u64) -> bool {
        self.objs.get(&key).and_then(|o| o.pages.get(&idx)).is_some_and(|p| p.dirty)
    }

    /// Page `idx` of `key` is about to be written through a mapping.
    /// Linux: folio_mark_dirty() from fault_dirty_shared_page().
    pub fn mark_dirty(&mut self, key: u64, idx: u64) {
        if let Some(p) = self.objs.get_mut(&key).and_then(|o| o.pages.get_mut(&idx)) {
            p.dirty = true;
        }
    }

    fn drop_object(&mut self, frames: &mut FrameAllocator, key: u64) {
        if let Some(o) = self.objs.remove(&key) {
            for p in o.pages.into_values() {
                frames.put(p.frame);
            }
            if o.kind == (Kind::Shmem { accounted: true }) {
                frames.commit.uncharge(o.size.div_ceil(P));
            }
        }
    }

    /// Drop pages `idx >= first` of `key`. Linux: truncate_inode_pages_range().
    fn drop_pages_from(&mut self, frames: &mut FrameAllocator, key: u64, first: u64) {
        let o = self.objs.get_mut(&key).expect("cached object");
        for (_, p) in o.pages.split_off(&first) {
            frames.put(p.frame);
        }
    }

    /// The object's size changes from `old` to `new` bytes: the bytes of
    /// the old last page beyond `old` (which a shared mapping may have
    /// written; they were never part of the file) must read as zeros in
    /// the file's new extent. Linux: pagecache_isize_extended() and the
    /// zeroing of truncate_inode_partial_folio().
    fn zero_partial_page(&self, phys: &dyn PhysMem, key: u64, from: u64) {
        if from.is_multiple_of(P) {
            return;
        }
        if let Some(p) = self.objs[&key].pages.get(&(from / P)) {
            let off = from % P;
            phys.write(p.frame + off, &ZEROS[..(P - off) as usize]);
        }
    }
}

static ZEROS: [u8; PAGE_SIZE as usize] = [0; PAGE_SIZE as usize];

fn is_file_cached(pc: &PageCache, ino: Ino) -> bool {
    pc.objs.get(&ino).is_some_and(|o| o.kind == Kind::File)
}

/// Bring regular file `ino` into the page cache (nothing to do if it is
/// there already), before its first mapping: from now on the cache is the
/// authority for its contents. All-zero pages become holes. On ENOMEM
/// nothing is left behind. Errors of [`Backing::file_data`] otherwise
/// (EISDIR, EINVAL for a non-regular inode).
/// Linux has no such step: a file's pages are always in its page cache.
pub fn attach(
    fs: &dyn Backing,
    pc: &mut PageCache,
    frames: &mut FrameAllocator,
    phys: &dyn PhysMem,
    ino: Ino,
) -> Result<(), Errno> {
    debug_assert!(ino < SHMEM_KEY_BASE);
    if pc.contains(ino) {
        return Ok(());
    }
    let data = fs.file_data(ino)?;
    let mark = if fs.is_shmem(ino) { FrameFlags::SHMEM } else { FrameFlags::FILE };
    let mut pages = BTreeMap::new();
    for (idx, chunk) in data.chunks(P as usize).enumerate() {
        if chunk.iter().all(|&b| b == 0) {
            continue;
        }
        let Some(frame) = frames.alloc_zeroed(phys) else {
            for p in pages.into_values() {
                let CachedPage { frame, .. } = p;
                frames.put(frame);
            }
            return Err(ENOMEM);
        };
        phys.write(frame, chunk);
        frames.set_flags(frame, mark);
        pages.insert(idx as u64, CachedPage { frame, dirty: false });
    }
    pc.objs.insert(
        ino,
        Object {
            kind: Kind::File,
            size: data.len() as u64,
            pages,
            users: 0,
            writers: 0,
            orphan: false,
            keep: false,
            mark,
        },
    );
    Ok(())
}

/// read() of regular file `ino` at `offset`. Linux: filemap_read().
pub fn read(
    fs: &dyn Backing,
    pc: &PageCache,
    phys: &dyn PhysMem,
    ino: Ino,
    offset: u64,
    buf: &mut [u8],
) -> Result<usize, Errno> {
    if !is_file_cached(pc, ino) {
        return fs.read_at(ino, offset, buf);
    }
    let o = &pc.objs[&ino];
    if offset >= o.size {
        return Ok(0);
    }
    let n = (buf.len() as u64).min(o.size - offset) as usize;
    let mut done = 0;
    while done < n {
        let pos = offset + done as u64;
        let k = ((P - pos % P) as usize).min(n - done);
        match o.pages.get(&(pos / P)) {
            Some(p) => phys.read(p.frame + pos % P, &mut buf[done..done + k]),
            None => buf[done..done + k].fill(0),
        }
        done += k;
    }
    Ok(n)
}

/// write() to regular file `ino` at `offset` (the caller resolves
/// O_APPEND as for [`RamFs::write_at`]). Errors as that function; ENOSPC
/// also when no frame is left for a cached file's new pages.
/// Linux: generic_perform_write() (shmem_write_begin/end).
#[allow(clippy::too_many_arguments)]
pub fn write(
    fs: &mut dyn Backing,
    pc: &mut PageCache,
    frames: &mut FrameAllocator,
    phys: &dyn PhysMem,
    ino: Ino,
    offset: u64,
    data: &[u8],
    now: u64,
) -> Result<usize, Errno> {
    let end = match offset.checked_add(data.len() as u64) {
        Some(end) if end <= MAX_FILE_SIZE => end,
        _ => return Err(EFBIG),
    };
    if !is_file_cached(pc, ino) || data.is_empty() {
        return fs.write_at(ino, offset, data, now);
    }
    // Every page written needs a frame; get them all first so that a
    // failure changes nothing.
    let mut fresh = Vec::new();
    let first = offset / P;
    let last = (end - 1) / P;
    for idx in first..=last {
        if pc.objs[&ino].pages.contains_key(&idx) {
            continue;
        }
        match frames.alloc_zeroed(phys) {
            Some(f) => fresh.push((idx, f)),
            None => {
                fresh.into_iter().for_each(|(_, f)| {
                    frames.put(f);
                });
                return Err(ENOSPC);
            }
        }
    }
    if let Err(e) = fs.write_at(ino, offset, data, now) {
        fresh.into_iter().for_each(|(_, f)| {
            frames.put(f);
        });
        return Err(e);
    }
    let old = pc.objs[&ino].size;
    if end > old {
        pc.zero_partial_page(phys, ino, old);
    }
    let o = pc.objs.get_mut(&ino).expect("cached");
    for (idx, frame) in fresh {
        frames.set_flags(frame, o.mark);
        o.pages.insert(idx, CachedPage { frame, dirty: false });
    }
    o.size = o.size.max(end);
    let mut done = 0;
    while done < data.len() {
        let pos = offset + done as u64;
        let k = ((P - pos % P) as usize).min(data.len() - done);
        phys.write(o.pages[&(pos / P)].frame + pos % P, &data[done..done + k]);
        done += k;
    }
    Ok(data.len())
}

/// truncate() / ftruncate() of regular file `ino` to `len` bytes. For a
/// cached file, pages wholly beyond the new end are unmapped from every
/// address space in `spaces` (flushed through `mmu` on the CPUs each is
/// loaded on), private copies included, and freed; the tail of a partial
/// last page is zeroed. Errors as [`Backing::truncate`], before any change.
/// Linux: do_truncate() → shmem_setattr() → truncate_setsize() +
/// truncate_pagecache() (unmap_mapping_range(), truncate_inode_pages()).
#[allow(clippy::too_many_arguments)]
pub fn truncate<'a>(
    fs: &mut dyn Backing,
    pc: &mut PageCache,
    frames: &mut FrameAllocator,
    phys: &dyn PhysMem,
    mmu: &'a dyn Mmu,
    spaces: impl IntoIterator<Item = &'a mut AddressSpace>,
    ino: Ino,
    len: u64,
    now: u64,
) -> Result<(), Errno> {
    if let Some(first) = truncate_cache(fs, pc, frames, phys, ino, len, now)? {
        for aspace in spaces {
            aspace.unmap_object_pages(
                &mut MemCtx {
                    frames: &mut *frames,
                    phys,
                    tlb: TlbGather::new(mmu, aspace.cpus()),
                    pagecache: &mut *pc,
                    trace: None,
                },
                ino,
                first,
            );
        }
    }
    Ok(())
}

/// The file-system half of [`truncate`], for a caller that cannot hand
/// over all address spaces at once: resize the file and its cached pages.
/// When it returns `Some(first)`, the caller must then call
/// [`AddressSpace::unmap_object_pages`]`(ctx, ino, first)` on every
/// address space before anything else runs: until then, mappings still
/// reach the dropped pages (which their PTEs keep alive).
pub fn truncate_cache(
    fs: &mut dyn Backing,
    pc: &mut PageCache,
    frames: &mut FrameAllocator,
    phys: &dyn PhysMem,
    ino: Ino,
    len: u64,
    now: u64,
) -> Result<Option<u64>, Errno> {
    fs.truncate(ino, len, now)?;
    Ok(resize(pc, frames, phys, ino, len))
}

/// File `ino`'s size has become `len` in the file system (truncated by
/// [`Backing`] itself, as `open` with O_TRUNC does): make the cached object
/// agree. Returns what [`truncate_cache`] returns, with the same duty.
pub fn resize(pc: &mut PageCache, frames: &mut FrameAllocator, phys: &dyn PhysMem, ino: Ino, len: u64) -> Option<u64> {
    if !is_file_cached(pc, ino) || pc.objs[&ino].size == len {
        return None;
    }
    let old = pc.objs[&ino].size;
    let unmap = if len < old {
        let first_gone = len.div_ceil(P);
        pc.drop_pages_from(frames, ino, first_gone);
        pc.zero_partial_page(phys, ino, len);
        Some(first_gone)
    } else {
        pc.zero_partial_page(phys, ino, old);
        None
    };
    pc.objs.get_mut(&ino).expect("cached").size = len;
    unmap
}

/// Below one free frame in this many, [`reclaim`] drops the executables it
/// otherwise keeps cached. Linux: the zone's low watermark, below which
/// kswapd reclaims page cache.
pub const LOW_WATERMARK_DIV: usize = 16;

/// Write back and free every cached file no address space maps any more,
/// and forget orphans; executables ([`PageCache::keep`]) stay unless free
/// frames are below the low watermark. Cheap when nothing is unmapped; the
/// kernel calls it after unmapping (munmap, exit, exec). Linux: writeback
/// plus page reclaim, which Linux leaves to memory pressure.
pub fn reclaim(fs: &mut dyn Backing, pc: &mut PageCache, frames: &mut FrameAllocator, phys: &dyn PhysMem, now: u64) {
    let st = frames.stats();
    let low = st.free < st.total / LOW_WATERMARK_DIV;
    shrink(fs, pc, frames, phys, now, low);
}

/// Write back and free every cached file nothing maps, executables
/// included: what is left cached is mapped somewhere. The kernel does this
/// before its no-leak accounting, where a kept executable is not a leak.
/// Linux: `echo 1 > /proc/sys/vm/drop_caches` (drop_pagecache_sb()).
pub fn drop_caches(
    fs: &mut dyn Backing,
    pc: &mut PageCache,
    frames: &mut FrameAllocator,
    phys: &dyn PhysMem,
    now: u64,
) {
    shrink(fs, pc, frames, phys, now, true);
}

/// [`reclaim`], dropping kept objects too when `all`.
fn shrink(
    fs: &mut dyn Backing,
    pc: &mut PageCache,
    frames: &mut FrameAllocator,
    phys: &dyn PhysMem,
    now: u64,
    all: bool,
) {
    // A mapped file whose inode has been freed (unlinked and closed) goes
    // with its last mapping.
    for (&ino, o) in pc.objs.iter_mut() {
        if o.kind == Kind::File && o.users > 0 && !fs.exists(ino) {
            o.orphan = true;
        }
    }
    // A kept executable whose file is gone has no next exec to serve.
    let idle: Vec<u64> = pc
        .objs
        .iter()
        .filter(|&(&ino, o)| o.users == 0 && o.kind == Kind::File && (all || !o.keep || !fs.exists(ino)))
        .map(|(&k, _)| k)
        .collect();
    for ino in idle {
        let o = &pc.objs[&ino];
        // An inode freed behind the cache's back (unlinked and closed)
        // has nothing to write back to.
        if fs.exists(ino) && !o.orphan {
            let mut buf = [0u8; PAGE_SIZE as usize];
            for (&idx, p) in o.pages.iter().filter(|(_, p)| p.dirty) {
                let n = (o.size - idx * P).min(P) as usize;
                phys.read(p.frame, &mut buf[..n]);
                // Within the file's size, so the Vec does not grow and
                // this cannot fail for want of memory.
                let _ = fs.write_at(ino, idx * P, &buf[..n], now);
            }
        }
        pc.drop_object(frames, ino);
    }
}
