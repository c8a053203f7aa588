//! Randomised test: thousands of steps over up to eight processes (address
//! spaces) and a few files of the RAM file system: mmap (anonymous private
//! and shared, files shared and private, various protections), munmap,
//! mprotect, madvise (DONTFORK/DOFORK, WIPEONFORK/KEEPONFORK, DONTNEED),
//! user reads and writes, forced writes, fork, exec (a fresh address
//! space), exit, and read/write/truncate of the files through the page
//! cache, with page-cache reclaim now and then.
//!
//! Every outcome is checked against a model that knows nothing of frames
//! or page tables: per process, "page → (protection, flags, backing)",
//! where shared memory is a byte array shared between processes, private
//! memory a copy, a shared file page a page of the model file, and a
//! private file page the file's page until the process writes it. Along
//! the way it checks the invariants the design depends on: a frame's
//! refcount is the number of PTEs mapping it plus the page cache's own
//! reference, frame accounting balances, a shared file page is writable
//! only once dirty, a page-cache frame is never writable in a private
//! mapping, no TLB entry outlives a permission it granted, and at the end,
//! once everything is released, every frame comes back.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;
use std::vec::Vec;

use super::aspace::{AddressSpace, MemCtx};
use super::consts::*;
use super::fault::FaultError;
use super::mmap::MapFile;
use super::sim::Env;
use super::vma::Prot;
use crate::abi::{Errno, EFAULT, EINVAL, ENOMEM};
use crate::fs::ramfs::RamFs;
use crate::machine::Mmu;
use crate::mm::pagecache;

const P: u64 = PAGE_SIZE;
const PU: usize = P as usize;
/// The window most operations aim at; it straddles a 1 GiB boundary so
/// that several page-table levels are exercised.
const WINDOW: u64 = 0x4000_0000 - 24 * P;
const WINDOW_PAGES: u64 = 48;
const MAX_PROCS: usize = 8;
const FILES: usize = 3;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// A file as the model sees it: its size, and its pages in full (the
/// bytes past the end of the last page are what a shared mapping may have
/// stored there, which the file itself never shows).
struct ModelFile {
    ino: u64,
    size: u64,
    data: Vec<u8>,
    unlinked: bool,
}

impl ModelFile {
    fn pages(&self) -> u64 {
        self.size.div_ceil(P)
    }

    /// The size changes to `new`: bytes of the old last page beyond the
    /// old size read as zeros from now on, and whole pages come and go.
    fn resize(&mut self, new: u64) {
        let old = self.size;
        if new == old {
            return; // Linux: shmem_setattr() changes nothing then
        }
        let zero_from = old.min(new) as usize;
        let zero_to = (zero_from.div_ceil(PU) * PU).min(self.data.len());
        self.data[zero_from..zero_to].fill(0);
        self.data.resize((new.div_ceil(P) * P) as usize, 0);
        self.size = new;
    }
}

#[derive(Clone)]
enum Backing {
    /// Anonymous memory; the buffer is shared between processes for a
    /// shared mapping, copied at fork for a private one.
    Anon(Rc<RefCell<Vec<u8>>>),
    /// Page `idx` of file `file` through a shared mapping.
    FileShared { file: usize, idx: u64 },
    /// Page `idx` of file `file` through a private mapping: the file's own
    /// page until this process writes it, then a private copy.
    FilePrivate { file: usize, idx: u64, own: Option<Vec<u8>> },
}

#[derive(Clone)]
struct ModelPage {
    prot: Prot,
    shared: bool,
    dontfork: bool,
    wipe: bool,
    backing: Backing,
}

impl ModelPage {
    fn file_page(&self) -> Option<(usize, u64)> {
        match self.backing {
            Backing::FileShared { file, idx } | Backing::FilePrivate { file, idx, .. } => Some((file, idx)),
            Backing::Anon(_) => None,
        }
    }
}

struct Proc {
    a: AddressSpace,
    pages: BTreeMap<u64, ModelPage>,
}

struct World {
    env: Env,
    fs: RamFs,
    files: Vec<ModelFile>,
    procs: Vec<Proc>,
    live: usize,
    rng: Rng,
    /// Every address space shares all the leaf tables fork may share.
    share_all: bool,
}

fn random_prot(rng: &mut Rng) -> (u32, Prot) {
    let bits =
        [PROT_NONE, PROT_READ, PROT_READ | PROT_WRITE, PROT_READ | PROT_WRITE, PROT_READ | PROT_EXEC, PROT_WRITE]
            [rng.below(6) as usize];
    (bits, Prot::from_bits_truncate(bits))
}

fn zeros() -> Rc<RefCell<Vec<u8>>> {
    Rc::new(RefCell::new(std::vec![0; PU]))
}

impl World {
    fn new(seed: u64) -> World {
        let mut env = Env::new(4096);
        // Half the seeds (bit 1) make fork share every leaf table it may (ptshare), so
        // that the random operations run into shared tables everywhere;
        // even seeds keep the kernel's policy (only tables of large
        // mappings, which these small mappings never are).
        let share_all = seed & 2 != 0;
        let mut a = env.aspace();
        if share_all {
            a.share_small_tables();
        }
        // The live process's address space is loaded on the MMU's CPU.
        a.mark_active(0);
        let mut w = World {
            share_all,
            env,
            fs: RamFs::new(),
            files: Vec::new(),
            procs: std::vec![Proc { a, pages: BTreeMap::new() }],
            live: 0,
            rng: Rng(seed | 1),
        };
        for n in 0..FILES {
            let root = w.fs.root();
            let ino = w.fs.create(&crate::fs::FsCred::ROOT, root, std::format!("f{n}").as_bytes(), 0o644, 0).unwrap();
            // Some all-zero pages, so that holes are exercised.
            let size = w.rng.below(5 * P);
            let data: Vec<u8> = (0..size).map(|i| if (i / P) % 2 == 1 { 0 } else { w.rng.next() as u8 }).collect();
            w.fs.write_at(ino, 0, &data, 0).unwrap();
            let mut f = ModelFile { ino, size: 0, data: Vec::new(), unlinked: false };
            f.resize(size);
            f.data[..size as usize].copy_from_slice(&data);
            w.files.push(f);
        }
        w
    }

    /// Run `f` on process `i`'s address space, flushing the MMU's TLB when
    /// it is the live one (loaded on the MMU's CPU).
    fn with<R>(&mut self, i: usize, f: impl FnOnce(&mut AddressSpace, &mut MemCtx<'_>) -> R) -> R {
        let mut ctx = self.env.loaded_on(self.procs[i].a.cpus());
        f(&mut self.procs[i].a, &mut ctx)
    }

    /// A page-aligned address: mostly in the window, sometimes near a page
    /// the process already has (which may be far from the window).
    fn pick_addr(&mut self, i: usize) -> u64 {
        let pages = &self.procs[i].pages;
        if !pages.is_empty() && self.rng.chance(60) {
            let k = self.rng.below(pages.len() as u64) as usize;
            let base = *pages.keys().nth(k).unwrap();
            return base - P + self.rng.below(3) * P;
        }
        WINDOW + self.rng.below(WINDOW_PAGES) * P
    }

    fn pick_file(&mut self) -> Option<usize> {
        let f = self.rng.below(FILES as u64) as usize;
        (!self.files[f].unlinked).then_some(f)
    }

    fn step(&mut self) {
        let i = self.rng.below(self.procs.len() as u64) as usize;
        match self.rng.below(120) {
            0..=9 => self.op_mmap_fixed(i),
            10..=13 => self.op_mmap_hint(i),
            14..=22 => self.op_mmap_file(i),
            23..=27 => self.op_munmap(i),
            28..=33 => self.op_mprotect(i),
            34..=41 => self.op_madvise(i),
            42..=59 => self.op_write(i),
            60..=74 => self.op_read(i),
            75..=77 => self.op_write_forced(i),
            78..=82 if self.procs.len() < MAX_PROCS => self.op_fork(i),
            83..=84 => self.op_exec(i),
            85..=87 if self.procs.len() > 1 => self.op_exit(i),
            88..=90 => {
                // Context switch: the TLB is flushed with CR3.
                self.procs[self.live].a.mark_inactive(0);
                self.live = i;
                self.procs[i].a.mark_active(0);
                self.env.mmu.tlb.lock().unwrap().clear();
            }
            91..=95 => self.op_file_write(),
            96..=99 => self.op_file_read(),
            100..=103 => self.op_truncate(),
            104..=105 => self.op_reclaim(),
            106 => self.op_unlink(),
            _ => self.check_all(),
        }
        let live = &self.procs[self.live].a;
        let mem = &self.env.mem;
        self.env.mmu.check_tlb(|va| live.pte(mem, va));
        self.env.check_accounting();
    }

    // ---- mappings --------------------------------------------------------

    fn op_mmap_fixed(&mut self, i: usize) {
        let addr = self.pick_addr(i);
        let n = 1 + self.rng.below(6);
        let (bits, prot) = random_prot(&mut self.rng);
        let shared = self.rng.chance(25);
        let ty = if shared { MAP_SHARED } else { MAP_PRIVATE };
        let r = self.with(i, |a, c| a.mmap(c, addr, n * P, bits, ty | MAP_ANONYMOUS | MAP_FIXED));
        assert_eq!(r, Ok(addr));
        // A shared mapping is one object: its pages share nothing with
        // other mappings, but all processes mapping it share each page.
        for k in 0..n {
            let page = ModelPage { prot, shared, dontfork: false, wipe: false, backing: Backing::Anon(zeros()) };
            self.procs[i].pages.insert(addr + k * P, page);
        }
    }

    fn op_mmap_hint(&mut self, i: usize) {
        if self.procs[i].pages.len() > 150 {
            return;
        }
        let hint = self.pick_addr(i);
        let n = 1 + self.rng.below(6);
        let (bits, prot) = random_prot(&mut self.rng);
        let addr = self.with(i, |a, c| a.mmap(c, hint, n * P, bits, MAP_PRIVATE | MAP_ANONYMOUS)).unwrap();
        let pages = &self.procs[i].pages;
        assert!(pages.range(addr..addr + n * P).next().is_none(), "mmap returned an occupied range");
        if pages.range(hint..hint + n * P).next().is_none() {
            assert_eq!(addr, hint, "a free hint is honoured");
        }
        for k in 0..n {
            let page = ModelPage { prot, shared: false, dontfork: false, wipe: false, backing: Backing::Anon(zeros()) };
            self.procs[i].pages.insert(addr + k * P, page);
        }
    }

    fn op_mmap_file(&mut self, i: usize) {
        let Some(file) = self.pick_file() else { return };
        let addr = self.pick_addr(i);
        let n = 1 + self.rng.below(4);
        let pgoff = self.rng.below(6);
        let (bits, prot) = random_prot(&mut self.rng);
        let shared = self.rng.chance(60);
        let ty = if shared { MAP_SHARED } else { MAP_PRIVATE };
        let ino = self.files[file].ino;
        {
            let Env { frames, mem, pagecache: pc, .. } = &mut self.env;
            pagecache::attach(&self.fs, pc, frames, mem, ino).unwrap();
        }
        let mf = MapFile::file(ino, pgoff);
        let r = self.with(i, |a, c| a.mmap_file(c, addr, n * P, bits, ty | MAP_FIXED, &mf));
        assert_eq!(r, Ok(addr));
        for k in 0..n {
            let idx = pgoff + k;
            let backing =
                if shared { Backing::FileShared { file, idx } } else { Backing::FilePrivate { file, idx, own: None } };
            self.procs[i].pages.insert(addr + k * P, ModelPage { prot, shared, dontfork: false, wipe: false, backing });
        }
    }

    fn op_munmap(&mut self, i: usize) {
        let addr = self.pick_addr(i);
        let n = 1 + self.rng.below(4);
        self.with(i, |a, c| a.munmap(c, addr, n * P)).unwrap();
        for k in 0..n {
            self.procs[i].pages.remove(&(addr + k * P));
        }
    }

    fn op_mprotect(&mut self, i: usize) {
        let addr = self.pick_addr(i);
        let n = 1 + self.rng.below(8);
        let (bits, prot) = random_prot(&mut self.rng);
        let r = self.with(i, |a, c| a.mprotect(c, addr, n * P, bits));
        // Linux changes pages up to the first hole, then says ENOMEM.
        let mut expect = Ok(());
        for k in 0..n {
            match self.procs[i].pages.get_mut(&(addr + k * P)) {
                Some(p) => p.prot = prot,
                None => {
                    expect = Err(ENOMEM);
                    break;
                }
            }
        }
        assert_eq!(r, expect, "mprotect({addr:#x}, {n} pages)");
    }

    fn op_madvise(&mut self, i: usize) {
        let addr = self.pick_addr(i);
        let n = 1 + self.rng.below(5);
        let advice = [MADV_DONTFORK, MADV_DOFORK, MADV_WIPEONFORK, MADV_KEEPONFORK, MADV_DONTNEED, MADV_DONTNEED]
            [self.rng.below(6) as usize];
        // A length a little short of whole pages: madvise rounds it up.
        let len = n * P - self.rng.below(3) * 7;
        let r = self.with(i, |a, c| a.madvise(c, addr, len, advice));
        // Linux applies the advice VMA by VMA; a hole is ENOMEM at the
        // end, an unsuitable VMA EINVAL at once.
        let mut unmapped = false;
        let mut expect: Result<(), Errno> = Ok(());
        for k in 0..n {
            let Some(p) = self.procs[i].pages.get_mut(&(addr + k * P)) else {
                unmapped = true;
                continue;
            };
            match advice {
                MADV_DONTFORK => p.dontfork = true,
                MADV_DOFORK => p.dontfork = false,
                MADV_WIPEONFORK if p.shared || p.file_page().is_some() => {
                    expect = Err(EINVAL);
                    break;
                }
                MADV_WIPEONFORK => p.wipe = true,
                MADV_KEEPONFORK => p.wipe = false,
                _ => match &mut p.backing {
                    Backing::Anon(data) if !p.shared => *data = zeros(),
                    Backing::FilePrivate { own, .. } => *own = None,
                    _ => {}
                },
            }
        }
        if expect.is_ok() && unmapped {
            expect = Err(ENOMEM);
        }
        assert_eq!(r, expect, "madvise({addr:#x}, {n} pages, {advice})");
    }

    // ---- user access -----------------------------------------------------

    /// The bytes of a model page as the process sees them.
    fn page_bytes(&self, p: &ModelPage) -> Vec<u8> {
        match &p.backing {
            Backing::Anon(d) => d.borrow().clone(),
            Backing::FilePrivate { own: Some(own), .. } => own.clone(),
            Backing::FileShared { file, idx } | Backing::FilePrivate { file, idx, own: None } => {
                let f = &self.files[*file];
                f.data[(*idx * P) as usize..((*idx + 1) * P) as usize].to_vec()
            }
        }
    }

    /// Whether touching the page raises SIGBUS: a file page beyond the end
    /// of the file (a private copy cannot be, truncation took those).
    fn is_beyond_eof(&self, p: &ModelPage) -> bool {
        match p.backing {
            Backing::FileShared { file, idx } | Backing::FilePrivate { file, idx, own: None } => {
                idx >= self.files[file].pages()
            }
            _ => false,
        }
    }

    /// A random range and the outcome the model predicts for it: how many
    /// bytes are accessible from the start, and the fault after them.
    fn pick_range(&mut self, i: usize, need: impl Fn(Prot) -> bool) -> (u64, usize, usize, Option<FaultError>) {
        let off = self.rng.below(P);
        let addr = self.pick_addr(i) + off;
        // Mostly within the page, sometimes across two or three.
        let len =
            if self.rng.chance(60) { 1 + self.rng.below(P - off) } else { 1 + self.rng.below(2 * P + 100) } as usize;
        let mut ok = 0usize;
        let mut va = addr;
        let end = addr + len as u64;
        while va < end {
            let chunk_end = (page_floor(va) + P).min(end);
            match self.procs[i].pages.get(&page_floor(va)) {
                None => return (addr, len, ok, Some(FaultError::MapErr)),
                Some(p) if !need(p.prot) => return (addr, len, ok, Some(FaultError::AccErr)),
                Some(p) if self.is_beyond_eof(p) => return (addr, len, ok, Some(FaultError::Bus)),
                Some(_) => ok += (chunk_end - va) as usize,
            }
            va = chunk_end;
        }
        (addr, len, ok, None)
    }

    fn model_write(&mut self, i: usize, addr: u64, data: &[u8]) {
        let mut done = 0;
        while done < data.len() {
            let va = addr + done as u64;
            let (page, off) = (page_floor(va), (va % P) as usize);
            let k = (PU - off).min(data.len() - done);
            let bytes = &data[done..done + k];
            let p = self.procs[i].pages.get(&page).unwrap().clone();
            match p.backing {
                Backing::Anon(d) => d.borrow_mut()[off..off + k].copy_from_slice(bytes),
                Backing::FileShared { file, idx } => {
                    let at = (idx * P) as usize + off;
                    self.files[file].data[at..at + k].copy_from_slice(bytes);
                }
                Backing::FilePrivate { file, idx, own } => {
                    // Copy on write: the file's page as it is now.
                    let mut own = own.unwrap_or_else(|| {
                        let f = &self.files[file];
                        f.data[(idx * P) as usize..((idx + 1) * P) as usize].to_vec()
                    });
                    own[off..off + k].copy_from_slice(bytes);
                    self.procs[i].pages.get_mut(&page).unwrap().backing =
                        Backing::FilePrivate { file, idx, own: Some(own) };
                }
            }
            done += k;
        }
    }

    fn model_read(&self, i: usize, addr: u64, len: usize) -> Vec<u8> {
        let mut out = Vec::new();
        let mut va = addr;
        while out.len() < len {
            let (page, off) = (page_floor(va), (va % P) as usize);
            let k = (PU - off).min(len - out.len());
            let bytes = self.page_bytes(&self.procs[i].pages[&page]);
            out.extend_from_slice(&bytes[off..off + k]);
            va += k as u64;
        }
        out
    }

    /// Record in the TLB model the translations a user access just used.
    fn cache_tlb(&mut self, i: usize, addr: u64, len: usize) {
        if i != self.live {
            return;
        }
        let mut page = page_floor(addr);
        while page < addr + len as u64 {
            let pte = self.procs[i].a.pte(&self.env.mem, page);
            if pte.is_present() {
                self.env.mmu.cache(page, pte);
            }
            page += P;
        }
    }

    fn op_write(&mut self, i: usize) {
        let (addr, len, ok, fault) = self.pick_range(i, |p| p.contains(Prot::WRITE));
        let data: Vec<u8> = (0..len).map(|_| self.rng.next() as u8).collect();
        let syscall = self.rng.chance(30);
        let r = if syscall {
            self.with(i, |a, c| a.copy_to_user(c, addr, &data)).map_err(|e| {
                assert_eq!(e, EFAULT);
                FaultError::MapErr
            })
        } else {
            self.with(i, |a, c| a.user_write(c, addr, &data))
        };
        match fault {
            Some(f) if !syscall => assert_eq!(r, Err(f)),
            Some(_) => assert!(r.is_err()),
            None => assert_eq!(r, Ok(())),
        }
        self.model_write(i, addr, &data[..ok]);
        self.cache_tlb(i, addr, ok);
    }

    fn op_read(&mut self, i: usize) {
        let (addr, len, ok, fault) = self.pick_range(i, |p| p.is_accessible());
        let mut buf = std::vec![0u8; len];
        let r = self.with(i, |a, c| a.user_read(c, addr, &mut buf));
        assert_eq!(r, fault.map_or(Ok(()), Err));
        assert_eq!(buf[..ok], self.model_read(i, addr, ok)[..], "read at {addr:#x}");
        self.cache_tlb(i, addr, ok);
    }

    fn op_write_forced(&mut self, i: usize) {
        let (addr, len, ok, fault) = self.pick_range(i, |_| true);
        let data: Vec<u8> = (0..len).map(|_| self.rng.next() as u8).collect();
        let r = self.with(i, |a, c| a.write_forced(c, addr, &data));
        assert_eq!(r, if fault.is_some() { Err(EFAULT) } else { Ok(()) });
        self.model_write(i, addr, &data[..ok]);
    }

    // ---- processes -------------------------------------------------------

    fn op_fork(&mut self, i: usize) {
        let child = self.with(i, |a, c| a.fork(c)).unwrap();
        let pages = self.procs[i]
            .pages
            .iter()
            .filter(|(_, p)| !p.dontfork)
            .map(|(&va, p)| {
                let backing = match &p.backing {
                    Backing::Anon(_) if p.wipe => Backing::Anon(zeros()),
                    Backing::Anon(d) if !p.shared => Backing::Anon(Rc::new(RefCell::new(d.borrow().clone()))),
                    b => b.clone(),
                };
                (va, ModelPage { backing, ..p.clone() })
            })
            .collect();
        self.procs.push(Proc { a: child, pages });
    }

    /// execve: the old address space goes, a new empty one takes its place.
    fn op_exec(&mut self, i: usize) {
        let mut fresh = self.env.aspace();
        if self.share_all {
            fresh.share_small_tables();
        }
        let mut old = std::mem::replace(&mut self.procs[i].a, fresh);
        if i == self.live {
            // As exec activates the new one before the old one goes.
            old.mark_inactive(0);
            self.procs[i].a.mark_active(0);
        }
        old.release(&mut self.env.ctx());
        self.procs[i].pages.clear();
        if i == self.live {
            self.env.mmu.tlb.lock().unwrap().clear();
        }
    }

    fn op_exit(&mut self, i: usize) {
        let mut p = self.procs.swap_remove(i);
        p.a.mark_inactive(0);
        p.a.release(&mut self.env.ctx());
        if i == self.live {
            self.live = 0;
            self.procs[0].a.mark_active(0);
            self.env.mmu.tlb.lock().unwrap().clear();
        } else if self.live == self.procs.len() {
            self.live = i; // swap_remove moved it into slot i
        }
    }

    // ---- files -----------------------------------------------------------

    fn op_file_write(&mut self) {
        let Some(file) = self.pick_file() else { return };
        let off = self.rng.below(self.files[file].size + 2 * P);
        let len = 1 + self.rng.below(P + 100) as usize;
        let data: Vec<u8> = (0..len).map(|_| self.rng.next() as u8).collect();
        let ino = self.files[file].ino;
        let Env { frames, mem, pagecache: pc, .. } = &mut self.env;
        let r = pagecache::write(&mut self.fs, pc, frames, mem, ino, off, &data, 1);
        assert_eq!(r, Ok(len));
        let f = &mut self.files[file];
        let end = off + len as u64;
        if end > f.size {
            f.resize(end);
        }
        f.data[off as usize..end as usize].copy_from_slice(&data);
    }

    fn op_file_read(&mut self) {
        let Some(file) = self.pick_file() else { return };
        let f = &self.files[file];
        let off = self.rng.below(f.size + P);
        let len = self.rng.below(2 * P) as usize;
        let mut buf = std::vec![0u8; len];
        let n = pagecache::read(&self.fs, &self.env.pagecache, &self.env.mem, f.ino, off, &mut buf).unwrap();
        let expect =
            if off >= f.size { &[][..] } else { &f.data[off as usize..(off + len as u64).min(f.size) as usize] };
        assert_eq!(&buf[..n], expect, "read() of file {file} at {off}");
        if self.rng.chance(20) {
            let mut all = std::vec![0u8; f.size as usize];
            let n = pagecache::read(&self.fs, &self.env.pagecache, &self.env.mem, f.ino, 0, &mut all).unwrap();
            assert_eq!(all[..n], f.data[..f.size as usize], "the whole of file {file}");
        }
    }

    fn op_truncate(&mut self) {
        let Some(file) = self.pick_file() else { return };
        let len = self.rng.below(6 * P);
        let ino = self.files[file].ino;
        let Env { frames, mem, pagecache: pc, mmu, .. } = &mut self.env;
        let mmu: &dyn Mmu = mmu;
        let spaces = self.procs.iter_mut().map(|p| &mut p.a);
        pagecache::truncate(&mut self.fs, pc, frames, mem, mmu, spaces, ino, len, 2).unwrap();
        self.files[file].resize(len);
        // Every process loses its private copies of the pages now beyond
        // the end: a later grow shows the file's zeros there.
        let pages = self.files[file].pages();
        for p in self.procs.iter_mut() {
            for page in p.pages.values_mut() {
                if let Backing::FilePrivate { file: f, idx, own } = &mut page.backing {
                    if *f == file && *idx >= pages {
                        *own = None;
                    }
                }
            }
        }
    }

    fn op_reclaim(&mut self) {
        let Env { frames, mem, pagecache: pc, .. } = &mut self.env;
        pagecache::reclaim(&mut self.fs, pc, frames, mem, 3);
        for (n, f) in self.files.iter_mut().enumerate() {
            let mapped =
                self.procs.iter().any(|p| p.pages.values().any(|pg| pg.file_page().is_some_and(|(file, _)| file == n)));
            if !mapped {
                // Written back and dropped: what lay past the end is gone,
                // and the file system's copy is the whole truth again.
                assert!(!self.env.pagecache.contains(f.ino));
                let size = f.size as usize;
                f.data[size..].fill(0);
                if !f.unlinked {
                    assert_eq!(self.fs.file_data(f.ino).unwrap(), &f.data[..size], "write-back of file {n}");
                }
            }
        }
    }

    /// Remove a file's name: it lives on while mapped.
    fn op_unlink(&mut self) {
        let Some(file) = self.pick_file() else { return };
        let root = self.fs.root();
        self.fs.unlink(&crate::fs::FsCred::ROOT, root, std::format!("f{file}").as_bytes(), 4).unwrap();
        self.files[file].unlinked = true;
    }

    // ---- checks ----------------------------------------------------------

    /// Compare everything: contents, layout, resident counts, refcounts.
    fn check_all(&mut self) {
        for i in 0..self.procs.len() {
            // Layout: VMAs cover exactly the model's pages, with their
            // protection, flags and backing.
            let mut covered = 0;
            for v in self.procs[i].a.vmas() {
                for va in (v.start..v.end).step_by(PU) {
                    let p = self.procs[i].pages.get(&va).unwrap_or_else(|| panic!("VMA page {va:#x} not in model"));
                    assert_eq!((p.prot, p.shared), (v.prot, v.is_shared()), "at {va:#x}");
                    assert_eq!(p.dontfork, v.flags.contains(super::vma::VmFlags::DONTFORK), "at {va:#x}");
                    assert_eq!(p.wipe, v.flags.contains(super::vma::VmFlags::WIPEONFORK), "at {va:#x}");
                    if let Some((file, idx)) = p.file_page() {
                        assert_eq!(
                            (v.file_key(), v.page_index(va)),
                            (Some(self.files[file].ino), Some(idx)),
                            "at {va:#x}"
                        );
                    }
                    covered += 1;
                }
            }
            assert_eq!(covered, self.procs[i].pages.len());
            // Contents.
            let pages: Vec<(u64, ModelPage)> = self.procs[i].pages.iter().map(|(&va, p)| (va, p.clone())).collect();
            for (va, p) in pages {
                let mut buf = std::vec![0u8; PU];
                let r = self.with(i, |a, c| a.user_read(c, va, &mut buf));
                if !p.prot.is_accessible() {
                    assert_eq!(r, Err(FaultError::AccErr));
                } else if self.is_beyond_eof(&p) {
                    assert_eq!(r, Err(FaultError::Bus), "at {va:#x}");
                } else {
                    assert_eq!(r, Ok(()));
                    assert!(buf == self.page_bytes(&p), "contents differ at {va:#x}");
                }
            }
        }
        // Every mapped PTE holds one reference on its frame, the page
        // cache one on each of its frames, and nothing else does (the zero
        // frame has one more, the allocator's own).
        let zero = self.env.frames.zero_frame();
        let mut refs: HashMap<u64, u32> = HashMap::from([(zero, 1)]);
        let cached: std::collections::HashSet<u64> = self.env.pagecache.frames().collect();
        for &f in &cached {
            *refs.entry(f).or_default() += 1;
        }
        let pc = &self.env.pagecache;
        // A leaf table fork left shared is one set of PTEs: its frames have
        // one reference for it, the table one per address space using it,
        // reached read-only from each (ptshare).
        let mut seen_ptes: std::collections::HashSet<(u64, u64)> = Default::default();
        let mut table_users: HashMap<u64, (u32, bool)> = HashMap::new();
        for proc in &self.procs {
            let tables: std::collections::HashSet<u64> =
                proc.pages.keys().filter_map(|&va| proc.a.leaf_table(&self.env.mem, va)).collect();
            for t in tables {
                let e = table_users.entry(t).or_default();
                e.0 += 1;
                let va = *proc.pages.keys().find(|&&va| proc.a.leaf_table(&self.env.mem, va) == Some(t)).unwrap();
                e.1 |= !proc.a.leaf_table_readonly(&self.env.mem, va);
            }
        }
        let mut reserved = 0;
        for (&t, &(users, writable)) in &table_users {
            if users > 1 {
                assert!(!writable, "shared leaf table {t:#x} reached through a writable PMD");
                assert_eq!(self.env.frames.refcount(t), users, "users of leaf table {t:#x}");
                reserved += users as usize - 1;
            }
        }
        assert_eq!(self.env.frames.reserved(), reserved, "one reserved frame per extra sharer of a leaf table");
        for proc in &self.procs {
            let mut rss = crate::mm::rss::Rss::default();
            for (&va, p) in &proc.pages {
                let pte = proc.a.pte(&self.env.mem, va);
                if !pte.is_mapped() {
                    continue;
                }
                let table = proc.a.leaf_table(&self.env.mem, va).expect("mapped without a table");
                if seen_ptes.insert((table, va)) {
                    *refs.entry(pte.addr()).or_default() += 1;
                }
                match crate::mm::rss::kind_of(&self.env.frames, pte.addr()) {
                    Some(crate::mm::rss::RssKind::Anon) => rss.anon += 1,
                    Some(crate::mm::rss::RssKind::File) => rss.file += 1,
                    Some(crate::mm::rss::RssKind::Shmem) => rss.shmem += 1,
                    None => {}
                }
                assert!(!pte.is_writable() || pte.addr() != zero, "zero frame mapped writable");
                match p.backing {
                    Backing::FileShared { file, idx } => {
                        assert!(cached.contains(&pte.addr()), "shared file page at {va:#x} is not the cache's");
                        assert!(
                            !pte.is_writable() || pc.is_dirty(self.files[file].ino, idx),
                            "clean shared file page writable at {va:#x}"
                        );
                    }
                    _ if !p.shared => assert!(
                        !pte.is_writable() || !cached.contains(&pte.addr()),
                        "cache frame writable in a private mapping"
                    ),
                    _ => {}
                }
            }
            assert_eq!(proc.a.resident(), rss, "counters by kind");
        }
        for (frame, n) in refs {
            assert_eq!(self.env.frames.refcount(frame), n, "refcount of {frame:#x}");
        }
    }
}

fn run(seed: u64, steps: usize) {
    let mut w = World::new(seed);
    for _ in 0..steps {
        w.step();
    }
    w.check_all();
    let World { mut env, procs, mut fs, .. } = w;
    for mut p in procs {
        p.a.mark_inactive(0);
        p.a.release(&mut env.ctx());
    }
    let Env { frames, mem, pagecache: pc, .. } = &mut env;
    pagecache::reclaim(&mut fs, pc, frames, mem, 5);
    env.check_baseline();
}

#[test]
fn random_operations_match_the_model() {
    for seed in 1..=32u64 {
        run(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15), 2000);
    }
}
