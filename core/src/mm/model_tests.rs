//! Randomised test: sequences of mmap / munmap / mprotect / fork / exit and
//! user reads and writes over a few address spaces, checked against a
//! model that is just "page -> (protection, bytes)" per process. Along the
//! way it checks the invariants the design depends on: frame refcounts
//! equal the number of PTEs mapping each frame, frame accounting balances,
//! no TLB entry outlives a permission it granted, and every frame comes
//! back at the end.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;
use std::vec::Vec;

use super::aspace::{AddressSpace, MemCtx};
use super::consts::*;
use super::fault::FaultError;
use super::sim::Env;
use super::vma::Prot;
use crate::abi::{EFAULT, ENOMEM};

const P: u64 = PAGE_SIZE;
/// The window most operations aim at; it straddles a 1 GiB boundary so
/// that several page-table levels are exercised.
const WINDOW: u64 = 0x4000_0000 - 24 * P;
const WINDOW_PAGES: u64 = 48;

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

#[derive(Clone)]
struct ModelPage {
    prot: Prot,
    shared: bool,
    /// Shared pages share the buffer between processes.
    data: Rc<RefCell<Vec<u8>>>,
}

struct Proc {
    a: AddressSpace,
    pages: BTreeMap<u64, ModelPage>,
}

struct World {
    env: Env,
    procs: Vec<Proc>,
    live: usize,
    rng: Rng,
}

fn random_prot(rng: &mut Rng) -> (u32, Prot) {
    let bits = [PROT_NONE, PROT_READ, PROT_READ | PROT_WRITE, PROT_READ | PROT_WRITE, PROT_READ | PROT_EXEC, PROT_WRITE][rng.below(6) as usize];
    (bits, Prot::from_bits_truncate(bits))
}

impl World {
    /// Run `f` on process `i`'s address space, with the MMU attached when
    /// it is the live one.
    fn with<R>(&mut self, i: usize, f: impl FnOnce(&mut AddressSpace, &mut MemCtx<'_>) -> R) -> R {
        let mut ctx = if i == self.live { self.env.live() } else { self.env.ctx() };
        f(&mut self.procs[i].a, &mut ctx)
    }

    /// A page-aligned address: mostly in the window, sometimes near a page
    /// the process already has (which may be far from the window).
    fn pick_addr(&mut self, i: usize) -> u64 {
        let pages = &self.procs[i].pages;
        if !pages.is_empty() && self.rng.chance(25) {
            let k = self.rng.below(pages.len() as u64) as usize;
            let base = *pages.keys().nth(k).unwrap();
            return base - 2 * P + self.rng.below(4) * P;
        }
        WINDOW + self.rng.below(WINDOW_PAGES) * P
    }

    fn step(&mut self) {
        let i = self.rng.below(self.procs.len() as u64) as usize;
        match self.rng.below(100) {
            0..=11 => self.op_mmap_fixed(i),
            12..=17 => self.op_mmap_hint(i),
            18..=27 => self.op_munmap(i),
            28..=37 => self.op_mprotect(i),
            38..=59 => self.op_write(i),
            60..=79 => self.op_read(i),
            80..=84 => self.op_write_forced(i),
            85..=89 if self.procs.len() < 4 => self.op_fork(i),
            90..=92 if self.procs.len() > 1 => self.op_exit(i),
            93..=95 => {
                // Context switch: the TLB is flushed with CR3.
                self.live = i;
                self.env.mmu.tlb.lock().unwrap().clear();
            }
            _ => self.check_all(),
        }
        let live = &self.procs[self.live].a;
        let mem = &self.env.mem;
        self.env.mmu.check_tlb(|va| live.pte(mem, va));
        self.env.check_accounting();
    }

    fn op_mmap_fixed(&mut self, i: usize) {
        let addr = self.pick_addr(i);
        let n = 1 + self.rng.below(6);
        let (bits, prot) = random_prot(&mut self.rng);
        let shared = self.rng.chance(20);
        let ty = if shared { MAP_SHARED } else { MAP_PRIVATE };
        let r = self.with(i, |a, c| a.mmap(c, addr, n * P, bits, ty | MAP_ANONYMOUS | MAP_FIXED));
        assert_eq!(r, Ok(addr));
        self.model_map(i, addr, n, prot, shared);
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
        self.model_map(i, addr, n, prot, false);
    }

    fn model_map(&mut self, i: usize, addr: u64, n: u64, prot: Prot, shared: bool) {
        for k in 0..n {
            let page = ModelPage { prot, shared, data: Rc::new(RefCell::new(std::vec![0; P as usize])) };
            self.procs[i].pages.insert(addr + k * P, page);
        }
    }

    fn op_munmap(&mut self, i: usize) {
        let addr = self.pick_addr(i);
        let n = 1 + self.rng.below(8);
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

    /// A random range and the outcome the model predicts for it: how many
    /// bytes are accessible from the start, and the fault after them.
    fn pick_range(&mut self, i: usize, need: impl Fn(Prot) -> bool) -> (u64, usize, usize, Option<FaultError>) {
        let addr = self.pick_addr(i) + self.rng.below(P);
        let len = 1 + self.rng.below(2 * P + 100) as usize;
        let mut ok = 0usize;
        let mut va = addr;
        let end = addr + len as u64;
        while va < end {
            let chunk_end = (page_floor(va) + P).min(end);
            match self.procs[i].pages.get(&page_floor(va)) {
                None => return (addr, len, ok, Some(FaultError::MapErr)),
                Some(p) if !need(p.prot) => return (addr, len, ok, Some(FaultError::AccErr)),
                Some(_) => ok += (chunk_end - va) as usize,
            }
            va = chunk_end;
        }
        (addr, len, ok, None)
    }

    fn model_write(&mut self, i: usize, addr: u64, data: &[u8]) {
        for (k, &b) in data.iter().enumerate() {
            let va = addr + k as u64;
            let p = &self.procs[i].pages[&page_floor(va)];
            p.data.borrow_mut()[(va % P) as usize] = b;
        }
    }

    fn model_read(&self, i: usize, addr: u64, len: usize) -> Vec<u8> {
        (0..len as u64)
            .map(|k| {
                let va = addr + k;
                self.procs[i].pages[&page_floor(va)].data.borrow()[(va % P) as usize]
            })
            .collect()
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

    fn op_fork(&mut self, i: usize) {
        let child = self.with(i, |a, c| a.fork(c)).unwrap();
        let pages = self.procs[i]
            .pages
            .iter()
            .map(|(&va, p)| {
                let data = if p.shared { p.data.clone() } else { Rc::new(RefCell::new(p.data.borrow().clone())) };
                (va, ModelPage { data, ..p.clone() })
            })
            .collect();
        self.procs.push(Proc { a: child, pages });
    }

    fn op_exit(&mut self, i: usize) {
        let p = self.procs.swap_remove(i);
        p.a.release(&mut self.env.ctx());
        if i == self.live {
            self.live = 0;
            self.env.mmu.tlb.lock().unwrap().clear();
        } else if self.live == self.procs.len() {
            self.live = i; // swap_remove moved it into slot i
        }
    }

    /// Compare everything: contents, layout, resident counts, refcounts.
    fn check_all(&mut self) {
        for i in 0..self.procs.len() {
            // Layout: VMAs cover exactly the model's pages, with their prot.
            let mut covered = 0;
            for v in self.procs[i].a.vmas() {
                for va in (v.start..v.end).step_by(P as usize) {
                    let p = self.procs[i].pages.get(&va).unwrap_or_else(|| panic!("VMA page {va:#x} not in model"));
                    assert_eq!((p.prot, p.shared), (v.prot, v.is_shared()), "at {va:#x}");
                    covered += 1;
                }
            }
            assert_eq!(covered, self.procs[i].pages.len());
            // Contents.
            let pages: Vec<(u64, Prot)> = self.procs[i].pages.iter().map(|(&va, p)| (va, p.prot)).collect();
            for (va, prot) in pages {
                let mut buf = std::vec![0u8; P as usize];
                let r = self.with(i, |a, c| a.user_read(c, va, &mut buf));
                if prot.is_accessible() {
                    assert_eq!(r, Ok(()));
                    assert!(buf == *self.procs[i].pages[&va].data.borrow(), "contents differ at {va:#x}");
                } else {
                    assert_eq!(r, Err(FaultError::AccErr));
                }
            }
        }
        // Every mapped PTE holds one reference on its frame, and only those
        // (the zero frame has one more, the allocator's own).
        let zero = self.env.frames.zero_frame();
        let mut refs: HashMap<u64, u32> = HashMap::from([(zero, 1)]);
        for proc in &self.procs {
            let mut rss = 0;
            for &va in proc.pages.keys() {
                let pte = proc.a.pte(&self.env.mem, va);
                if pte.is_mapped() {
                    *refs.entry(pte.addr()).or_default() += 1;
                    rss += usize::from(pte.addr() != zero);
                    assert!(!pte.is_writable() || pte.addr() != zero, "zero frame mapped writable");
                }
            }
            assert_eq!(proc.a.resident_pages(), rss);
        }
        for (frame, n) in refs {
            assert_eq!(self.env.frames.refcount(frame), n, "refcount of {frame:#x}");
        }
    }
}

fn run(seed: u64, steps: usize) {
    let mut env = Env::new(4096);
    let a = env.aspace();
    let mut w = World { env, procs: std::vec![Proc { a, pages: BTreeMap::new() }], live: 0, rng: Rng(seed | 1) };
    for _ in 0..steps {
        w.step();
    }
    w.check_all();
    let World { mut env, procs, .. } = w;
    for p in procs {
        p.a.release(&mut env.ctx());
    }
    env.check_baseline();
}

#[test]
fn random_operations_match_the_model() {
    for seed in 1..=40u64 {
        run(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15), 500);
    }
}
