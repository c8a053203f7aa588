//! Tests of the page cache ([`crate::mm::pagecache`]) over the RAM file system.

use crate::abi::{Errno, ENOMEM, ENOSPC};
use crate::abi::{EACCES, EINVAL, ENODEV, EOPNOTSUPP, EOVERFLOW, EPERM};
use crate::fs::ramfs::RamFs;
use crate::mm::aspace::AddressSpace;
use crate::mm::consts::*;
use crate::mm::fault::FaultError;
use crate::mm::mmap::{MapFile, MapTarget};
use crate::mm::pagecache::*;

const P: u64 = PAGE_SIZE;
use crate::mm::sim::Env;
use crate::mm::vma::VmFlags;
use std::vec;

const RW: u32 = PROT_READ | PROT_WRITE;

struct T {
    env: Env,
    fs: RamFs,
}

impl T {
    /// A RAM file system with file `/f` holding `data`.
    fn new(data: &[u8]) -> (T, Ino) {
        let mut fs = RamFs::new();
        let ino = fs.create(&crate::fs::FsCred::ROOT, fs.root(), b"f", 0o644, 0).unwrap();
        fs.write_at(ino, 0, data, 0).unwrap();
        (T { env: Env::new(512), fs }, ino)
    }

    fn map(
        &mut self,
        a: &mut AddressSpace,
        ino: Ino,
        len: u64,
        prot: u32,
        flags: u32,
        pgoff: u64,
    ) -> Result<u64, Errno> {
        let Env { frames, mem, pagecache: pc, .. } = &mut self.env;
        attach(&self.fs, pc, frames, mem, ino)?;
        let f = MapFile::file(ino, pgoff);
        a.mmap_file(&mut self.env.ctx(), 0, len, prot, flags, &f)
    }

    fn read(&self, ino: Ino, off: u64, len: usize) -> std::vec::Vec<u8> {
        let mut buf = vec![0u8; len];
        let n = read(&self.fs, &self.env.pagecache, &self.env.mem, ino, off, &mut buf).unwrap();
        buf.truncate(n);
        buf
    }

    fn write(&mut self, ino: Ino, off: u64, data: &[u8]) -> Result<usize, Errno> {
        let Env { frames, mem, pagecache: pc, .. } = &mut self.env;
        write(&mut self.fs, pc, frames, mem, ino, off, data, 7)
    }

    fn truncate(&mut self, spaces: &mut [&mut AddressSpace], ino: Ino, len: u64) -> Result<(), Errno> {
        let Env { frames, mem, pagecache: pc, mmu, .. } = &mut self.env;
        truncate(&mut self.fs, pc, frames, mem, mmu, spaces.iter_mut().map(|a| &mut **a), ino, len, 8)
    }

    fn reclaim(&mut self) {
        let Env { frames, mem, pagecache: pc, .. } = &mut self.env;
        reclaim(&mut self.fs, pc, frames, mem, 9);
    }

    fn byte(&mut self, a: &mut AddressSpace, va: u64) -> Result<u8, FaultError> {
        let mut b = [0];
        a.user_read(&mut self.env.ctx(), va, &mut b).map(|()| b[0])
    }

    fn finish(mut self, spaces: std::vec::Vec<AddressSpace>) {
        for a in spaces {
            a.release(&mut self.env.ctx());
        }
        self.reclaim();
        self.env.check_baseline();
    }
}

fn pattern(len: usize) -> std::vec::Vec<u8> {
    (0..len).map(|i| (i % 251) as u8 + 1).collect()
}

#[test]
fn shared_file_mapping_is_seen_across_fork_and_by_read() {
    let (mut t, ino) = T::new(&pattern(2 * P as usize));
    let mut a = t.env.aspace();
    let x = t.map(&mut a, ino, 2 * P, RW, MAP_SHARED, 0).unwrap();
    assert_eq!(t.byte(&mut a, x + 5), Ok(6), "the file's data");
    // A read fault maps the cache page read-only: the first write
    // faults and marks it dirty (write-notify).
    assert!(!a.pte(&t.env.mem, x).is_writable());
    let mut b = a.fork(&mut t.env.ctx()).unwrap();
    b.user_write(&mut t.env.ctx(), x + 1, &[0xc1]).unwrap();
    assert_eq!(t.byte(&mut a, x + 1), Ok(0xc1), "child to parent");
    a.user_write(&mut t.env.ctx(), x + P, &[0xa1]).unwrap();
    assert_eq!(t.byte(&mut b, x + P), Ok(0xa1), "parent to child, on a page untouched at fork");
    assert_eq!(a.pte(&t.env.mem, x + P).addr(), b.pte(&t.env.mem, x + P).addr());
    assert_eq!(t.read(ino, 0, 2), [1, 0xc1], "read() sees the mapping's writes");
    assert_eq!(t.read(ino, P, 1), [0xa1]);
    // write() is seen through the mapping.
    t.write(ino, 3, &[0x77]).unwrap();
    assert_eq!(t.byte(&mut b, x + 3), Ok(0x77));
    // The file system's own copy catches up once nothing maps the file.
    a.munmap(&mut t.env.ctx(), x, 2 * P).unwrap();
    b.munmap(&mut t.env.ctx(), x, 2 * P).unwrap();
    assert!(t.env.pagecache.contains(ino));
    t.reclaim();
    assert!(!t.env.pagecache.contains(ino));
    assert_eq!(&t.fs.file_data(ino).unwrap()[..4], [1, 0xc1, 3, 0x77]);
    assert_eq!(t.fs.file_data(ino).unwrap()[P as usize], 0xa1);
    t.finish(vec![a, b]);
}

#[test]
fn private_file_mapping_copies_on_write() {
    let (mut t, ino) = T::new(&pattern(P as usize));
    let mut a = t.env.aspace();
    let x = t.map(&mut a, ino, P, RW, MAP_PRIVATE, 0).unwrap();
    assert_eq!(t.byte(&mut a, x), Ok(1));
    let cache = a.pte(&t.env.mem, x).addr();
    assert_eq!(t.env.frames.refcount(cache), 2, "the cache's reference and the PTE's");
    // Before the process writes, it sees writes to the file.
    t.write(ino, 0, &[0x42]).unwrap();
    assert_eq!(t.byte(&mut a, x), Ok(0x42));
    a.user_write(&mut t.env.ctx(), x + 1, &[0x99]).unwrap();
    assert_ne!(a.pte(&t.env.mem, x).addr(), cache, "copied");
    assert_eq!(t.env.frames.refcount(cache), 1);
    assert_eq!(t.read(ino, 0, 2), [0x42, 2], "the file is untouched");
    // After, it does not.
    t.write(ino, 0, &[0x43]).unwrap();
    assert_eq!(t.byte(&mut a, x), Ok(0x42));
    assert_eq!(t.byte(&mut a, x + 1), Ok(0x99));
    // MADV_DONTNEED drops the copy: the file shows through again.
    a.madvise(&mut t.env.ctx(), x, P, MADV_DONTNEED).unwrap();
    assert_eq!(t.byte(&mut a, x + 1), Ok(2));
    t.finish(vec![a]);
}

#[test]
fn fault_past_eof_is_sigbus_and_ftruncate_grow_makes_room() {
    let (mut t, ino) = T::new(&pattern(100));
    let mut a = t.env.aspace();
    let x = t.map(&mut a, ino, 3 * P, RW, MAP_SHARED, 0).unwrap();
    assert_eq!(t.byte(&mut a, x + 99), Ok(100));
    assert_eq!(t.byte(&mut a, x + 100), Ok(0), "the rest of the last page reads as zeros");
    assert_eq!(t.byte(&mut a, x + P), Err(FaultError::Bus));
    assert_eq!(a.user_write(&mut t.env.ctx(), x + 2 * P, &[1]), Err(FaultError::Bus));
    assert_eq!(a.copy_to_user(&mut t.env.ctx(), x + P, &[1]), Err(crate::abi::EFAULT));
    assert_eq!(FaultError::Bus.signal(), Some((crate::abi::SIGBUS, crate::mm::fault::BUS_ADRERR)));
    // A store past the end within the last page is not part of the file.
    a.user_write(&mut t.env.ctx(), x + 200, &[0xee]).unwrap();
    assert_eq!(t.read(ino, 0, 4096).len(), 100);
    t.truncate(&mut [&mut a], ino, 2 * P + 1).unwrap();
    assert_eq!(t.byte(&mut a, x + 200), Ok(0), "grown: the old tail reads as zeros");
    a.user_write(&mut t.env.ctx(), x + 2 * P, &[0x55]).unwrap();
    assert_eq!(t.read(ino, 2 * P, 10), [0x55]);
    assert_eq!(t.fs.inode(ino).unwrap().size(), 2 * P + 1);
    t.finish(vec![a]);
}

#[test]
fn truncate_unmaps_every_process_including_private_copies() {
    let (mut t, ino) = T::new(&pattern(3 * P as usize));
    let mut a = t.env.aspace();
    let x = t.map(&mut a, ino, 3 * P, RW, MAP_SHARED, 0).unwrap();
    let mut b = t.env.aspace();
    let y = t.map(&mut b, ino, 3 * P, RW, MAP_PRIVATE, 0).unwrap();
    a.user_write(&mut t.env.ctx(), x + 2 * P, &[1]).unwrap();
    b.user_write(&mut t.env.ctx(), y + 2 * P, &[2]).unwrap();
    b.user_write(&mut t.env.ctx(), y + P + 10, &[3]).unwrap();
    let (cached, copy) = (a.pte(&t.env.mem, x + 2 * P).addr(), b.pte(&t.env.mem, y + 2 * P).addr());
    assert_ne!(cached, copy);
    t.truncate(&mut [&mut a, &mut b], ino, P + 10).unwrap();
    // Page 2 went from the cache, from `a` and (a private copy) from `b`.
    assert_eq!((t.env.frames.refcount(cached), t.env.frames.refcount(copy)), (0, 0), "both freed");
    assert_eq!(t.env.pagecache.frames_held(), 2, "pages 0 and 1 stay");
    assert_eq!(t.byte(&mut a, x + 2 * P), Err(FaultError::Bus));
    assert_eq!(t.byte(&mut b, y + 2 * P), Err(FaultError::Bus));
    // The partial page: zeroed past the end in the cache; the private
    // copy of it is left alone, as Linux leaves it.
    assert_eq!(t.byte(&mut a, x + P + 9), Ok(pattern(3 * P as usize)[P as usize + 9]));
    assert_eq!(t.byte(&mut a, x + P + 10), Ok(0));
    assert_eq!(t.byte(&mut b, y + P + 10), Ok(3));
    // Growing again brings zeros, not the old data.
    t.truncate(&mut [&mut a, &mut b], ino, 3 * P).unwrap();
    assert_eq!(t.byte(&mut a, x + 2 * P), Ok(0));
    assert_eq!(t.byte(&mut b, y + 2 * P), Ok(0));
    t.finish(vec![a, b]);
}

#[test]
fn write_and_read_through_the_cache() {
    let (mut t, ino) = T::new(&[]);
    let mut a = t.env.aspace();
    let x = t.map(&mut a, ino, 2 * P, RW, MAP_SHARED, 0).unwrap();
    assert_eq!(t.byte(&mut a, x), Err(FaultError::Bus), "empty file");
    assert_eq!(t.write(ino, P + 1, b"hi"), Ok(2));
    assert_eq!(t.fs.inode(ino).unwrap().size(), P + 3);
    assert_eq!(t.byte(&mut a, x + P + 2), Ok(b'i'));
    assert_eq!(t.byte(&mut a, x + 5), Ok(0), "the gap is a hole");
    assert_eq!(t.read(ino, P, 10), [0, b'h', b'i']);
    assert_eq!(t.write(ino, u64::MAX - 1, b"xx"), Err(crate::abi::EFBIG));
    // Memory for new pages runs out: nothing changes.
    t.env.frames.fail_after(Some(0));
    assert_eq!(t.write(ino, 5 * P, b"z"), Err(ENOSPC));
    t.env.frames.fail_after(None);
    assert_eq!(t.fs.inode(ino).unwrap().size(), P + 3);
    assert_eq!(t.read(ino, 0, 2 * P as usize).len() as u64, P + 3);
    t.finish(vec![a]);
}

#[test]
fn unlinked_file_lives_while_mapped() {
    let (mut t, ino) = T::new(&pattern(P as usize));
    let mut a = t.env.aspace();
    let x = t.map(&mut a, ino, P, RW, MAP_SHARED, 0).unwrap();
    let root = t.fs.root();
    t.fs.unlink(&crate::fs::FsCred::ROOT, root, b"f", 1).unwrap();
    assert!(t.fs.inode(ino).is_err(), "freed: no name, no open file");
    t.reclaim();
    a.user_write(&mut t.env.ctx(), x, &[9]).unwrap();
    assert_eq!(t.byte(&mut a, x), Ok(9));
    let mut b = a.fork(&mut t.env.ctx()).unwrap();
    a.munmap(&mut t.env.ctx(), x, P).unwrap();
    assert_eq!(t.byte(&mut b, x), Ok(9));
    b.munmap(&mut t.env.ctx(), x, P).unwrap();
    assert!(!t.env.pagecache.contains(ino), "gone with its last mapping");
    t.finish(vec![a, b]);
}

#[test]
fn mmap_of_a_descriptor_checks_like_linux() {
    let (mut t, ino) = T::new(&pattern(P as usize));
    let mut a = t.env.aspace();
    let Env { frames, mem, pagecache: pc, .. } = &mut t.env;
    attach(&t.fs, pc, frames, mem, ino).unwrap();
    let file = |readable, writable| MapFile { readable, writable, ..MapFile::file(ino, 0) };
    let mut ctx = t.env.ctx();
    let c = &mut ctx;
    assert_eq!(
        a.mmap_file(c, 0, P, RW, MAP_SHARED, &file(true, false)),
        Err(EACCES),
        "shared write needs a writable fd"
    );
    assert_eq!(
        a.mmap_file(c, 0, P, PROT_READ, MAP_SHARED, &file(false, true)),
        Err(EACCES),
        "every mapping needs a readable fd"
    );
    assert_eq!(a.mmap_file(c, 0, P, RW, MAP_SHARED_VALIDATE | MAP_SYNC, &file(true, true)), Err(EOPNOTSUPP));
    assert!(a.mmap_file(c, 0, P, RW, MAP_SHARED | MAP_SYNC, &file(true, true)).is_ok(), "MAP_SHARED ignores it");
    assert_eq!(a.mmap_file(c, 0, P, RW, MAP_PRIVATE | MAP_GROWSDOWN, &file(true, true)), Err(EINVAL));
    assert_eq!(a.mmap_file(c, 0, P, RW, 0, &file(true, true)), Err(EINVAL));
    let far = MapFile { pgoff: MAX_FILE_SIZE >> PAGE_SHIFT, ..file(true, true) };
    assert_eq!(a.mmap_file(c, 0, P, RW, MAP_PRIVATE, &far), Err(EOVERFLOW));
    let pipe = MapFile { target: MapTarget::NoMmap, ..file(true, true) };
    assert_eq!(a.mmap_file(c, 0, P, PROT_READ, MAP_PRIVATE, &pipe), Err(ENODEV));
    let wronly_pipe = MapFile { readable: false, ..pipe };
    assert_eq!(a.mmap_file(c, 0, P, PROT_READ, MAP_PRIVATE, &wronly_pipe), Err(EACCES), "EACCES comes first");
    // Private writable mappings of a read-only fd are fine.
    let p = a.mmap_file(c, 0, P, RW, MAP_PRIVATE, &file(true, false)).unwrap();
    a.user_write(c, p, &[1]).unwrap();
    // A shared read-only mapping of a read-only fd can never be made
    // writable.
    let s = a.mmap_file(c, 0, 2 * P, PROT_READ, MAP_SHARED, &file(true, false)).unwrap();
    assert!(a.find_vma(s).unwrap().flags.contains(VmFlags::NO_MAYWRITE));
    assert_eq!(a.mprotect(c, s, P, RW), Err(EACCES));
    assert_eq!(a.mprotect(c, s, P, PROT_READ | PROT_EXEC), Ok(()));
    assert_eq!(a.madvise(c, s, P, MADV_REMOVE), Err(EACCES));
    assert_eq!(a.madvise(c, s, P, MADV_WIPEONFORK), Err(EINVAL), "not anonymous");
    assert_eq!(a.madvise(c, s, P, MADV_FREE), Err(EINVAL), "not anonymous");
    // A file from a noexec mount: EPERM for PROT_EXEC after the fd's
    // EACCES, and a mapping made without it never gains it.
    let noexec = MapFile { noexec: true, ..file(true, true) };
    assert_eq!(a.mmap_file(c, 0, P, PROT_READ | PROT_EXEC, MAP_PRIVATE, &noexec), Err(EPERM));
    let unreadable = MapFile { readable: false, ..noexec };
    assert_eq!(a.mmap_file(c, 0, P, PROT_EXEC, MAP_PRIVATE, &unreadable), Err(EACCES), "EACCES comes first");
    let x = a.mmap_file(c, 0, P, PROT_READ, MAP_PRIVATE, &noexec).unwrap();
    assert_eq!(a.mprotect(c, x, P, PROT_READ | PROT_EXEC), Err(EACCES));
    assert_eq!(a.mprotect(c, x, P, RW), Ok(()), "only exec is withheld");
    drop(ctx);
    t.finish(vec![a]);
}

#[test]
fn dev_zero_is_anonymous_memory() {
    let mut env = Env::new(256);
    let mut a = env.aspace();
    let zero = |pgoff| MapFile {
        target: MapTarget::Zero,
        readable: true,
        writable: true,
        pgoff,
        write_sealed: false,
        noexec: false,
    };
    let p = a.mmap_file(&mut env.ctx(), 0, P, RW, MAP_PRIVATE, &zero(3)).unwrap();
    assert!(a.find_vma(p).unwrap().file.is_none() && a.find_vma(p).unwrap().flags.contains(VmFlags::ANONYMOUS));
    let s = a.mmap_file(&mut env.ctx(), 0, P, RW, MAP_SHARED, &zero(0)).unwrap();
    a.user_write(&mut env.ctx(), s, &[4]).unwrap();
    let mut b = a.fork(&mut env.ctx()).unwrap();
    b.user_write(&mut env.ctx(), s + 1, &[5]).unwrap();
    let mut x = [0u8; 2];
    a.user_read(&mut env.ctx(), s, &mut x).unwrap();
    assert_eq!(x, [4, 5]);
    a.release(&mut env.ctx());
    b.release(&mut env.ctx());
    env.check_baseline();
}

#[test]
fn attach_copies_data_skips_zero_pages_and_undoes_on_enomem() {
    let mut data = pattern(3 * P as usize);
    data[P as usize..2 * P as usize].fill(0);
    let (mut t, ino) = T::new(&data);
    let used = t.env.used();
    let Env { frames, mem, pagecache: pc, .. } = &mut t.env;
    frames.fail_after(Some(1));
    assert_eq!(attach(&t.fs, pc, frames, mem, ino), Err(ENOMEM));
    frames.fail_after(None);
    assert_eq!(t.env.used(), used);
    assert!(!t.env.pagecache.contains(ino));
    let Env { frames, mem, pagecache: pc, .. } = &mut t.env;
    attach(&t.fs, pc, frames, mem, ino).unwrap();
    assert_eq!(t.env.pagecache.frames_held(), 2, "the zero page is a hole");
    assert_eq!(t.read(ino, 0, 3 * P as usize), data);
    let dir = t.fs.mkdir(&crate::fs::FsCred::ROOT, t.fs.root(), b"d", 0o755, 0).unwrap();
    let Env { frames, mem, pagecache: pc, .. } = &mut t.env;
    assert_eq!(attach(&t.fs, pc, frames, mem, dir), Err(crate::abi::EISDIR));
    t.finish(vec![]);
}

/// File faults out of memory: a hole needing a cache page, and a
/// private write needing a copy, fail with Oom and leave nothing.
#[test]
fn file_faults_out_of_memory() {
    let mut data = pattern(2 * P as usize);
    data[..P as usize].fill(0);
    let (mut t, ino) = T::new(&data);
    let mut a = t.env.aspace();
    let s = t.map(&mut a, ino, 2 * P, RW, MAP_SHARED, 0).unwrap();
    let p = t.map(&mut a, ino, 2 * P, RW, MAP_PRIVATE, 0).unwrap();
    // Page tables for both mappings first, so that only the page
    // itself is left to allocate.
    t.byte(&mut a, s + P).unwrap();
    t.byte(&mut a, p + P).unwrap();
    let before = t.env.frames.stats();
    t.env.frames.fail_after(Some(0));
    assert_eq!(t.byte(&mut a, s), Err(FaultError::Oom), "page 0 is a hole: no frame for it");
    assert_eq!(a.user_write(&mut t.env.ctx(), p + P, &[1]), Err(FaultError::Oom), "no frame for the copy");
    t.env.frames.fail_after(None);
    assert_eq!(t.env.frames.stats(), before);
    assert_eq!(t.byte(&mut a, p + P), Ok(data[P as usize]));
    a.user_write(&mut t.env.ctx(), p + P, &[1]).unwrap();
    assert_eq!(t.byte(&mut a, s), Ok(0));
    assert_eq!(t.read(ino, P, 1), [data[P as usize]]);
    t.finish(vec![a]);
}

/// The file system truncating a file by itself (open with O_TRUNC) is
/// caught up with by [`resize`].
#[test]
fn resize_after_the_file_system_truncated() {
    let (mut t, ino) = T::new(&pattern(2 * P as usize));
    let mut a = t.env.aspace();
    let x = t.map(&mut a, ino, 2 * P, RW, MAP_SHARED, 0).unwrap();
    assert_eq!(t.byte(&mut a, x + P), Ok(pattern(2 * P as usize)[P as usize]));
    let root = t.fs.root();
    t.fs.open(&crate::fs::FsCred::ROOT, root, b"f", crate::abi::O_RDWR | crate::abi::O_TRUNC, 0, 1).unwrap();
    let Env { frames, mem, pagecache: pc, .. } = &mut t.env;
    assert_eq!(resize(pc, frames, mem, ino, 0), Some(0));
    a.unmap_object_pages(&mut t.env.ctx(), ino, 0);
    assert_eq!(t.byte(&mut a, x), Err(FaultError::Bus));
    assert_eq!(t.read(ino, 0, 10), []);
    t.fs.iput(ino);
    t.finish(vec![a]);
}

#[test]
fn resident_pages_are_counted_by_kind() {
    use crate::mm::rss::Rss;
    let rss = |anon, file, shmem| Rss { anon, file, shmem };
    let (mut t, ino) = T::new(&pattern(4 * P as usize));
    let mut a = t.env.aspace();
    let f = t.map(&mut a, ino, 4 * P, RW, MAP_PRIVATE, 0).unwrap();
    for i in 0..3 {
        t.byte(&mut a, f + i * P).unwrap();
    }
    assert_eq!(a.resident(), rss(0, 3, 0), "read faults map the file's pages");
    a.user_write(&mut t.env.ctx(), f, &[1]).unwrap();
    assert_eq!(a.resident(), rss(1, 2, 0), "a private write turns a file page into an anonymous one");
    let anon = a.mmap(&mut t.env.ctx(), 0, 2 * P, RW, MAP_PRIVATE | MAP_ANONYMOUS).unwrap();
    t.byte(&mut a, anon).unwrap();
    assert_eq!(a.resident(), rss(1, 2, 0), "the zero page is not counted");
    a.user_write(&mut t.env.ctx(), anon, &[1]).unwrap();
    let shm = a.mmap(&mut t.env.ctx(), 0, 2 * P, RW, MAP_SHARED | MAP_ANONYMOUS).unwrap();
    t.byte(&mut a, shm + P).unwrap();
    assert_eq!(a.resident(), rss(2, 2, 1));
    let b = a.fork(&mut t.env.ctx()).unwrap();
    assert_eq!(b.resident(), a.resident(), "fork copies the counts with the tables");
    assert_eq!(a.resident_pages(), 5);
    a.munmap(&mut t.env.ctx(), f, 4 * P).unwrap();
    assert_eq!(a.resident(), rss(1, 0, 1));
    a.munmap(&mut t.env.ctx(), shm, 2 * P).unwrap();
    a.munmap(&mut t.env.ctx(), anon, 2 * P).unwrap();
    assert_eq!(a.resident(), Rss::default());
    assert_eq!(b.resident(), rss(2, 2, 1), "the child's counts are its own");
    t.finish(vec![a, b]);
}
