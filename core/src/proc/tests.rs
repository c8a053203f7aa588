//! The process lifecycle at the kernel level: fork, exit, wait4, execve,
//! re-parenting, PID allocation and RLIMIT_NPROC, driven through
//! `Kernel::syscall` on simulated hardware (see `crate::testkit`). Expected
//! results are Linux's (kernel/fork.c, kernel/exit.c, kernel/pid.c).

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::vec;
use alloc::vec::Vec;

use crate::abi::*;
use crate::kernel::Kernel;
use crate::mm::consts::{MAP_FIXED, MAP_PRIVATE, MAP_SHARED, PAGE_SIZE, PROT_READ, PROT_WRITE};
use crate::proc::{Pid, TaskState};
use crate::testkit::*;

const FRAMES: usize = 2048;
const P: u64 = PAGE_SIZE;
const PU: usize = P as usize;
const RW: u32 = PROT_READ | PROT_WRITE;
const PR_SET_CHILD_SUBREAPER: u64 = 36;
const PR_GET_CHILD_SUBREAPER: u64 = 37;

fn prctl(k: &mut Kernel, pid: Pid, option: u64, arg: u64) -> i64 {
    syscall(k, pid, nr::PRCTL, &[option, arg])
}

fn children_of(k: &Kernel, pid: Pid) -> BTreeSet<Pid> {
    k.proc.tasks[&pid].children.clone()
}

// ---------------------------------------------------------------------------
// 1. fork, exit, wait4

#[test]
fn fork_exit_wait4_reaps_and_returns_to_baseline() {
    let (mut k, _) = boot(FRAMES);
    let base = Baseline::take(&k);
    let c = fork(&mut k, 1);
    assert_eq!(c, 2);
    assert_eq!(getppid(&mut k, c), 1);
    assert_eq!(syscall(&mut k, c, nr::GETPID, &[]), c as i64);
    assert_eq!(children_of(&k, 1), BTreeSet::from([c]));
    // The child has its own copy of the parent's memory.
    let s = scratch(&mut k, c);
    write_user(&mut k, c, s, b"child").unwrap();
    assert_ne!(read_user(&mut k, 1, s, 5).unwrap(), b"child");
    // Nothing to reap while it runs.
    assert_eq!(wait4(&mut k, 1, -1, WNOHANG), (0, None));
    assert_eq!(wait4(&mut k, 1, c as i32, WNOHANG), (0, None));
    exit(&mut k, c, 3);
    assert_eq!(state(&k, c), Some(TaskState::Zombie));
    // A zombie holds its PID and little else.
    assert!(k.proc.pids.is_busy(c));
    let (r, status) = wait4(&mut k, 1, -1, WNOHANG);
    assert_eq!(r, c as i64);
    assert_eq!(status, Some(0x300), "WIFEXITED, WEXITSTATUS 3");
    assert_eq!(state(&k, c), None, "reaped");
    assert!(!k.proc.pids.is_busy(c));
    assert_eq!(wait4(&mut k, 1, -1, WNOHANG).0, err(ECHILD));
    base.check(&k, "after fork, exit and wait4");

    // Only the low byte of the exit code is kept; exit_group reports the
    // same way.
    let c = fork(&mut k, 1);
    syscall(&mut k, c, nr::EXIT_GROUP, &[0x1ff]);
    assert_eq!(reap(&mut k, 1, c), 0xff00);
    // A status pointer that faults: the child is reaped all the same (Linux).
    let c = fork(&mut k, 1);
    exit(&mut k, c, 1);
    assert_eq!(syscall(&mut k, 1, nr::WAIT4, &[c as u64, 8, WNOHANG as u64, 0]), err(EFAULT));
    assert_eq!(state(&k, c), None);
    base.check(&k, "after three children");
}

#[test]
fn blocking_wait4_sleeps_until_a_child_exits() {
    let (mut k, _) = boot(FRAMES);
    let base = Baseline::take(&k);
    let c = fork(&mut k, 1);
    let s = scratch(&mut k, 1);
    assert_eq!(try_syscall(&mut k, 1, nr::WAIT4, &[u64::MAX, s, 0, 0]), Err(Blocked), "blocks while the child runs");
    assert_eq!(state(&k, 1), Some(TaskState::Blocked(crate::proc::WaitReason::ChildExit { tgid: 1 })));
    exit(&mut k, c, 9);
    assert_eq!(state(&k, 1), Some(TaskState::Runnable), "the child's exit wakes the parent");
    // SIGCHLD is ignored by default, so Linux discards it: the wait is not
    // interrupted, it finds the child.
    assert_eq!(resume(&mut k, 1), Ok(c as i64));
    assert_eq!(read_u32(&mut k, 1, s).unwrap(), 0x900);
    base.check(&k, "after a blocking wait4");
}

#[test]
fn vfork_parent_sleeps_until_the_child_execs_or_exits() {
    let (mut k, _) = boot(FRAMES);
    let base = Baseline::take(&k);
    for exec in [true, false] {
        assert_eq!(try_syscall(&mut k, 1, nr::VFORK, &[]), Err(Blocked), "the vfork parent sleeps");
        assert_eq!(state(&k, 1), Some(TaskState::Blocked(crate::proc::WaitReason::Vfork)));
        let c = *children_of(&k, 1).iter().next().unwrap();
        assert_eq!(k.proc.tasks[&c].mm, k.proc.tasks[&1].mm, "the child borrows the parent's memory");
        let s = scratch(&mut k, c);
        write_user(&mut k, c, s, b"vfork").unwrap();
        assert_eq!(read_user(&mut k, 1, s, 5).unwrap(), b"vfork");
        if exec {
            assert_eq!(execve(&mut k, c, INIT_PATH, &["init"], &[]), 0);
            assert_ne!(k.proc.tasks[&c].mm, k.proc.tasks[&1].mm);
        } else {
            exit(&mut k, c, 0);
        }
        assert_eq!(state(&k, 1), Some(TaskState::Runnable));
        assert_eq!(resume(&mut k, 1), Ok(c as i64), "vfork returns the child's PID");
        if exec {
            exit(&mut k, c, 0);
        }
        assert_eq!(reap(&mut k, 1, c), 0);
    }
    base.check(&k, "after vfork children");
}

// ---------------------------------------------------------------------------
// 2. Fork under memory exhaustion at every allocation

/// A process's memory as the test knows it: (address, bytes).
struct Mem(Vec<(u64, Vec<u8>)>);

impl Mem {
    fn write_all(&self, k: &mut Kernel, pid: Pid) {
        for (addr, data) in &self.0 {
            write_user(k, pid, *addr, data).unwrap();
        }
    }
    #[track_caller]
    fn check(&self, k: &mut Kernel, pid: Pid, what: &str) {
        for (addr, data) in &self.0 {
            assert!(
                read_user(k, pid, *addr, data.len()).unwrap() == *data,
                "{what}: {pid}'s memory at {addr:#x} differs"
            );
        }
    }
    fn fill(&mut self, seed: u8) {
        for (i, (_, data)) in self.0.iter_mut().enumerate() {
            for (j, b) in data.iter_mut().enumerate() {
                *b = seed.wrapping_add((i * 7 + j / PU * 13 + j % 251) as u8);
            }
        }
    }
}

#[test]
fn fork_fails_cleanly_at_every_frame_allocation() {
    let (mut k, hw) = boot(FRAMES);
    // Private pages in page tables of their own (different PDPT, PD and PT
    // entries), shared memory, and a mapping never touched.
    let a = mmap_anon(&mut k, 1, 0x1000_0000, 4 * P, RW, MAP_PRIVATE | MAP_FIXED) as u64;
    let b = mmap_anon(&mut k, 1, 0x40_0020_0000, 2 * P, RW, MAP_PRIVATE | MAP_FIXED) as u64;
    let untouched = mmap_anon(&mut k, 1, 0x2000_0000, 8 * P, RW, MAP_PRIVATE | MAP_FIXED);
    assert!(untouched > 0);
    let sh = mmap_anon(&mut k, 1, 0, 2 * P, RW, MAP_SHARED);
    assert!(sh > 0);
    let sh = sh as u64;
    let mut private = Mem(vec![(a, vec![0; 4 * PU]), (b, vec![0; 2 * PU])]);
    let mut shared = Mem(vec![(sh, vec![0; 2 * PU])]);
    private.fill(1);
    shared.fill(2);
    private.write_all(&mut k, 1);
    shared.write_all(&mut k, 1);
    let base = Baseline::take(&k);

    let mut attempt = 0usize;
    let child = loop {
        assert!(attempt < 1000, "fork never succeeds");
        // The parent's writable translations are in the TLB: a fork that
        // write-protects them (even one that then fails) must flush them.
        let pages =
            private.0.iter().chain(&shared.0).flat_map(|(a, d)| (0..d.len() / PU).map(move |i| a + (i * PU) as u64));
        touch_tlb(&k, &hw, 1, pages);
        k.mem.frames_mut().fail_after(Some(attempt));
        let r = try_fork(&mut k, 1);
        k.mem.frames_mut().fail_after(None);
        check_tlb(&k, &hw, 1);
        if r > 0 {
            break r as Pid;
        }
        assert_eq!(r, err(ENOMEM), "fork with {attempt} frames to spare");
        base.check(&k, &alloc::format!("fork failing after {attempt} allocations"));
        private.check(&mut k, 1, "after a failed fork");
        shared.check(&mut k, 1, "after a failed fork");
        // The parent can still write: its pages are not shared with
        // anyone, so even a write-protected one is reused, not copied.
        private.fill(attempt as u8 + 10);
        private.write_all(&mut k, 1);
        shared.fill(attempt as u8 + 20);
        shared.write_all(&mut k, 1);
        private.check(&mut k, 1, "after writing");
        base.check(&k, &alloc::format!("parent writes after fork failing at {attempt}"));
        attempt += 1;
    };
    std::println!("fork (4 address-space regions, 8 written pages) has {attempt} frame allocation points");
    let now = Baseline::take(&k);
    // The first attempts that got as far as a kernel stack returned it to
    // the cache, where the successful one found it: its frames were
    // allocated then, not counted in `attempt`.
    assert_eq!(
        now.frames_used - base.frames_used,
        attempt + crate::proc::kstack::KSTACK_PAGES,
        "a successful fork allocates exactly that many frames, and a cached kernel stack"
    );
    assert!(attempt >= 4, "at least the child's PML4 and a table per level");

    // The child sees the parent's memory; its writes are its own, except
    // in shared memory.
    private.check(&mut k, child, "child after fork");
    shared.check(&mut k, child, "child after fork");
    let mut child_private = Mem(private.0.clone());
    child_private.fill(99);
    child_private.write_all(&mut k, child);
    private.check(&mut k, 1, "parent after the child's writes");
    shared.fill(77);
    shared.write_all(&mut k, child);
    shared.check(&mut k, 1, "shared memory seen by the parent");
    private.fill(55);
    private.write_all(&mut k, 1);
    child_private.check(&mut k, child, "child after the parent's writes");

    exit(&mut k, child, 0);
    assert_eq!(reap(&mut k, 1, child), 0);
    base.check(&k, "after the child is reaped");
}

// ---------------------------------------------------------------------------
// 3. Many processes against a model

#[derive(Clone)]
enum Kind {
    Private(Vec<u8>),
    /// Index into `Model::shared`.
    Shared(usize),
}

#[derive(Clone)]
struct Region {
    addr: u64,
    pages: usize,
    kind: Kind,
}

struct MProc {
    parent: Pid,
    alive: bool,
    status: i32,
    regions: Vec<Region>,
    subreaper: bool,
    has_subreaper: bool,
}

struct Model {
    procs: BTreeMap<Pid, MProc>,
    shared: Vec<Vec<u8>>,
}

impl Model {
    fn alive(&self, include_init: bool) -> Vec<Pid> {
        self.procs.iter().filter(|(p, m)| m.alive && (include_init || **p != 1)).map(|(p, _)| *p).collect()
    }
    fn zombies(&self) -> Vec<Pid> {
        self.procs.iter().filter(|(_, m)| !m.alive).map(|(p, _)| *p).collect()
    }
    fn children(&self, of: Pid) -> Vec<Pid> {
        self.procs.iter().filter(|(_, m)| m.parent == of).map(|(p, _)| *p).collect()
    }
    /// Linux: find_new_reaper(), for a single-threaded `father`.
    fn reaper(&self, father: Pid) -> Pid {
        let f = &self.procs[&father];
        if f.has_subreaper {
            let mut p = f.parent;
            while p != 0 && p != 1 {
                let a = &self.procs[&p];
                if a.subreaper && a.alive {
                    return p;
                }
                p = a.parent;
            }
        }
        1
    }
    /// Linux: PR_SET_CHILD_SUBREAPER's walk_process_tree() with
    /// propagate_has_child_subreaper().
    fn set_subreaper(&mut self, pid: Pid) {
        self.procs.get_mut(&pid).unwrap().subreaper = true;
        let mut todo = self.children(pid);
        while let Some(c) = todo.pop() {
            self.procs.get_mut(&c).unwrap().has_subreaper = true;
            todo.extend(self.children(c));
        }
    }
    fn bytes<'a>(&'a self, r: &'a Region) -> &'a [u8] {
        match &r.kind {
            Kind::Private(v) => v,
            Kind::Shared(i) => &self.shared[*i][..r.pages * PU],
        }
    }
}

#[derive(Clone, Copy)]
struct ModelOpts {
    seed: u64,
    steps: usize,
    max_procs: usize,
    /// The first process under init becomes a child subreaper before it
    /// forks anything.
    root_subreaper: bool,
    /// Processes become subreapers at random times, after some of their
    /// descendants exist.
    late_subreapers: bool,
}

/// Compare the kernel's process tree with the model's.
fn check_tree(k: &Kernel, m: &Model, step: usize) {
    let kp: BTreeSet<Pid> = k.proc.tasks.keys().collect();
    let mp: BTreeSet<Pid> = m.procs.keys().copied().collect();
    assert_eq!(kp, mp, "step {step}: task list");
    for (&p, mp) in &m.procs {
        let t = &k.proc.tasks[&p];
        let want = if mp.alive { TaskState::Runnable } else { TaskState::Zombie };
        assert_eq!(t.state, want, "step {step}: state of {p}");
        assert_eq!(t.parent, mp.parent, "step {step}: parent of {p}");
        let kids: BTreeSet<Pid> = m.children(p).into_iter().collect();
        assert_eq!(t.children, kids, "step {step}: children of {p}");
    }
    // Every process is in init's group and session, so the busy numbers
    // are exactly the tasks.
    assert_eq!(k.proc.pids.in_use(), k.proc.tasks.len(), "step {step}: busy PIDs");
    let f = k.mem.frames().stats();
    assert_eq!(f.free + f.used, f.total);
}

/// Reap zombie `z` from its parent, checking what wait4 reports.
fn model_reap(k: &mut Kernel, m: &mut Model, z: Pid) {
    let parent = m.procs[&z].parent;
    let st = reap(k, parent, z);
    assert_eq!(st, m.procs[&z].status, "status of {z}");
    m.procs.remove(&z);
}

fn model_exit(k: &mut Kernel, m: &mut Model, p: Pid, code: i32) {
    exit(k, p, code);
    let reaper = m.reaper(p);
    for c in m.children(p) {
        m.procs.get_mut(&c).unwrap().parent = reaper;
    }
    let mp = m.procs.get_mut(&p).unwrap();
    mp.alive = false;
    mp.status = (code & 0xff) << 8;
    mp.regions.clear();
}

fn run_model(o: ModelOpts) {
    let (mut k, _) = boot(4096);
    let base = Baseline::take(&k);
    let mut rng = Rng::new(o.seed);
    let mut m = Model { procs: BTreeMap::new(), shared: Vec::new() };
    m.procs.insert(
        1,
        MProc { parent: 0, alive: true, status: 0, regions: Vec::new(), subreaper: false, has_subreaper: false },
    );
    let root = fork(&mut k, 1);
    m.procs.insert(
        root,
        MProc { parent: 1, alive: true, status: 0, regions: Vec::new(), subreaper: false, has_subreaper: false },
    );
    if o.root_subreaper {
        assert_eq!(prctl(&mut k, root, PR_SET_CHILD_SUBREAPER, 1), 0);
        m.set_subreaper(root);
    }
    let mut counts = [0usize; 13];

    for step in 0..o.steps {
        let alive = m.alive(false);
        let action = rng.below(100);
        match action {
            // fork
            0..=11 => {
                if m.alive(true).len() >= o.max_procs {
                    continue;
                }
                // Init forks now and then: fresh processes outside the tree.
                let p = if alive.is_empty() || rng.chance(5) { 1 } else { *rng.pick(&alive).unwrap() };
                let c = fork(&mut k, p);
                assert!(!m.procs.contains_key(&c), "step {step}: PID {c} reused while in use");
                let mp = &m.procs[&p];
                let child = MProc {
                    parent: p,
                    alive: true,
                    status: 0,
                    regions: mp.regions.clone(),
                    subreaper: false,
                    has_subreaper: mp.has_subreaper || mp.subreaper,
                };
                m.procs.insert(c, child);
                assert_eq!(getppid(&mut k, c), p);
                counts[0] += 1;
            }
            // mmap
            12..=19 => {
                let Some(&p) = rng.pick(&alive) else { continue };
                if m.procs[&p].regions.len() >= 4 {
                    continue;
                }
                let pages = 1 + rng.below(4) as usize;
                let shared = rng.chance(40);
                let flags = if shared { MAP_SHARED } else { MAP_PRIVATE };
                let addr = mmap_anon(&mut k, p, 0, (pages * PU) as u64, RW, flags);
                assert!(addr > 0, "step {step}: mmap in {p}: {addr}");
                let kind = if shared {
                    m.shared.push(vec![0; pages * PU]);
                    Kind::Shared(m.shared.len() - 1)
                } else {
                    Kind::Private(vec![0; pages * PU])
                };
                m.procs.get_mut(&p).unwrap().regions.push(Region { addr: addr as u64, pages, kind });
                counts[1] += 1;
            }
            // write
            20..=49 => {
                let Some(&p) = rng.pick(&alive) else { continue };
                let nreg = m.procs[&p].regions.len();
                if nreg == 0 {
                    continue;
                }
                let ri = rng.below(nreg as u64) as usize;
                let r = m.procs[&p].regions[ri].clone();
                let len = r.pages * PU;
                let n = if rng.chance(80) { 1 } else { 1 + rng.below(300) as usize };
                let off = rng.below((len - n.min(len) + 1) as u64) as usize;
                let n = n.min(len - off);
                let data: Vec<u8> = (0..n).map(|_| rng.next_u64() as u8).collect();
                write_user(&mut k, p, r.addr + off as u64, &data)
                    .unwrap_or_else(|e| panic!("step {step}: write in {p}: {e:?}"));
                match &r.kind {
                    Kind::Private(_) => {
                        let Kind::Private(v) = &mut m.procs.get_mut(&p).unwrap().regions[ri].kind else {
                            unreachable!()
                        };
                        v[off..off + n].copy_from_slice(&data);
                    }
                    Kind::Shared(i) => m.shared[*i][off..off + n].copy_from_slice(&data),
                }
                counts[2] += 1;
            }
            // read
            50..=67 => {
                let Some(&p) = rng.pick(&alive) else { continue };
                let nreg = m.procs[&p].regions.len();
                if nreg == 0 {
                    continue;
                }
                let r = m.procs[&p].regions[rng.below(nreg as u64) as usize].clone();
                let want = m.bytes(&r);
                let (off, n) = if rng.chance(5) {
                    (0, want.len())
                } else {
                    let off = rng.below(want.len() as u64) as usize;
                    (off, (1 + rng.below(256) as usize).min(want.len() - off))
                };
                let got = read_user(&mut k, p, r.addr + off as u64, n).unwrap();
                assert!(
                    got == want[off..off + n],
                    "step {step}: {p} reads {n} bytes at {:#x}+{off:#x}: differs from the model",
                    r.addr
                );
                counts[3] += 1;
            }
            // exit
            68..=73 => {
                let Some(&p) = rng.pick(&alive) else { continue };
                let code = rng.below(256) as i32;
                model_exit(&mut k, &mut m, p, code);
                counts[4] += 1;
            }
            // reap a given zombie
            74..=81 => {
                let z = m.zombies();
                let Some(&z) = rng.pick(&z) else { continue };
                model_reap(&mut k, &mut m, z);
                counts[5] += 1;
            }
            // wait4(-1, WNOHANG) by anyone
            82..=85 => {
                let all = m.alive(true);
                let p = *rng.pick(&all).unwrap();
                let kids = m.children(p);
                let zombies: Vec<Pid> = kids.iter().copied().filter(|c| !m.procs[c].alive).collect();
                let (r, st) = wait4(&mut k, p, -1, WNOHANG);
                if kids.is_empty() {
                    assert_eq!(r, err(ECHILD), "step {step}: {p} has no children");
                } else if zombies.is_empty() {
                    assert_eq!(r, 0, "step {step}: {p}'s children all run");
                } else {
                    let z = r as Pid;
                    assert!(zombies.contains(&z), "step {step}: {p} reaped {r}, zombies {zombies:?}");
                    assert_eq!(st, Some(m.procs[&z].status));
                    m.procs.remove(&z);
                }
                counts[6] += 1;
            }
            // getppid
            86..=88 => {
                let all = m.alive(true);
                let p = *rng.pick(&all).unwrap();
                assert_eq!(getppid(&mut k, p), m.procs[&p].parent, "step {step}: getppid of {p}");
                counts[7] += 1;
            }
            // execve: the memory is replaced
            89..=91 => {
                let Some(&p) = rng.pick(&alive) else { continue };
                assert_eq!(execve(&mut k, p, INIT_PATH, &["init", "again"], &["A=1"]), 0, "step {step}: execve in {p}");
                assert_eq!(regs_of(&k, p).rip, ELF_BASE + 120);
                let old = core::mem::take(&mut m.procs.get_mut(&p).unwrap().regions);
                if let Some(r) = old.first() {
                    assert_eq!(read_user(&mut k, p, r.addr, 1), Err(EFAULT), "step {step}: old mapping survived exec");
                }
                counts[8] += 1;
            }
            // munmap a region, or its last page
            92..=94 => {
                let Some(&p) = rng.pick(&alive) else { continue };
                let nreg = m.procs[&p].regions.len();
                if nreg == 0 {
                    continue;
                }
                let ri = rng.below(nreg as u64) as usize;
                let regions = &mut m.procs.get_mut(&p).unwrap().regions;
                let r = regions[ri].clone();
                if r.pages > 1 && rng.chance(50) {
                    let last = r.addr + (r.pages as u64 - 1) * P;
                    assert_eq!(syscall(&mut k, p, nr::MUNMAP, &[last, P]), 0);
                    let reg = &mut regions[ri];
                    reg.pages -= 1;
                    if let Kind::Private(v) = &mut reg.kind {
                        v.truncate(reg.pages * PU);
                    }
                    assert_eq!(read_user(&mut k, p, last, 1), Err(EFAULT));
                } else {
                    assert_eq!(syscall(&mut k, p, nr::MUNMAP, &[r.addr, (r.pages * PU) as u64]), 0);
                    regions.remove(ri);
                    assert_eq!(read_user(&mut k, p, r.addr, 1), Err(EFAULT));
                }
                counts[9] += 1;
            }
            // mprotect read-only: writes fault, reads see the same; then back
            95..=97 => {
                let Some(&p) = rng.pick(&alive) else { continue };
                let nreg = m.procs[&p].regions.len();
                if nreg == 0 {
                    continue;
                }
                let r = m.procs[&p].regions[rng.below(nreg as u64) as usize].clone();
                let len = (r.pages * PU) as u64;
                assert_eq!(syscall(&mut k, p, nr::MPROTECT, &[r.addr, len, PROT_READ as u64]), 0);
                let off = rng.below(len);
                assert_eq!(
                    write_user(&mut k, p, r.addr + off, &[1]),
                    Err(EFAULT),
                    "step {step}: write to read-only memory"
                );
                let got = read_user(&mut k, p, r.addr, len as usize).unwrap();
                assert!(got == m.bytes(&r), "step {step}: read-only region of {p} differs");
                assert_eq!(syscall(&mut k, p, nr::MPROTECT, &[r.addr, len, RW as u64]), 0);
                counts[10] += 1;
            }
            // a process becomes a subreaper
            _ => {
                if !o.late_subreapers {
                    continue;
                }
                let Some(&p) = rng.pick(&alive) else { continue };
                assert_eq!(prctl(&mut k, p, PR_SET_CHILD_SUBREAPER, 1), 0);
                m.set_subreaper(p);
                counts[11] += 1;
            }
        }
        if step % 50 == 0 {
            check_tree(&k, &m, step);
        }
    }
    check_tree(&k, &m, o.steps);

    // Everyone but init exits, and is reaped by whoever it belongs to then.
    loop {
        for z in m.zombies() {
            model_reap(&mut k, &mut m, z);
        }
        let alive = m.alive(false);
        let Some(&p) = rng.pick(&alive) else { break };
        model_exit(&mut k, &mut m, p, 0);
    }
    check_tree(&k, &m, o.steps + 1);
    assert_eq!(k.proc.tasks.len(), 1);
    std::println!(
        "model seed {:#x}: {} forks, {} mmaps, {} writes, {} reads, {} exits, {} reaps, {} waits, {} getppids, {} execs, {} munmaps, {} mprotects, {} subreapers",
        o.seed, counts[0], counts[1], counts[2], counts[3], counts[4], counts[5], counts[6], counts[7], counts[8], counts[9], counts[10], counts[11]
    );
    base.check(&k, "after every process but init is gone");
}

#[test]
fn random_process_trees_match_the_model() {
    for (seed, root_subreaper) in [(0x5eed_0001, false), (0x5eed_0002, true)] {
        run_model(ModelOpts { seed, steps: 2500, max_procs: 10, root_subreaper, late_subreapers: false });
    }
}

/// Linux's PR_SET_CHILD_SUBREAPER marks every existing descendant as
/// having a subreaper above it (walk_process_tree() with
/// propagate_has_child_subreaper()); the model does the same.
#[test]
fn random_process_trees_with_late_subreapers_match_the_model() {
    for seed in 0x5eed_0003..0x5eed_000b {
        run_model(ModelOpts { seed, steps: 2500, max_procs: 10, root_subreaper: false, late_subreapers: true });
    }
}

// ---------------------------------------------------------------------------
// 4. PID allocation through fork

/// Linux's idr_alloc_cyclic() as kernel/pid.c uses it: the lowest free
/// number after the last one, wrapping to RESERVED_PIDS (300).
fn next_pid(busy: &BTreeSet<Pid>, last: Pid, max: Pid) -> Option<Pid> {
    let min = if last >= 300 { 300 } else { 1 };
    ((last + 1)..max).chain(min..=last).find(|p| !busy.contains(p))
}

#[test]
fn pids_wrap_to_300_and_never_collide() {
    let (mut k, _) = boot(4096);
    k.proc.pids.set_pid_max(400).unwrap();
    let base = Baseline::take(&k);
    let mut busy: BTreeSet<Pid> = BTreeSet::from([1]);
    let keep = [2, 305, 350, 399];
    let mut kept = Vec::new();
    let mut last = 1;
    let mut wraps = 0;
    for i in 0..700 {
        let want = next_pid(&busy, last, 400).unwrap();
        let c = fork(&mut k, 1);
        assert_eq!(c, want, "fork {i}");
        assert!(!busy.contains(&c));
        if c < last {
            wraps += 1;
            assert_eq!(c, 300, "wraps to RESERVED_PIDS");
        }
        last = c;
        if keep.contains(&c) && !kept.contains(&c) {
            kept.push(c);
            busy.insert(c);
            continue;
        }
        exit(&mut k, c, i & 0xff);
        assert_eq!(reap(&mut k, 1, c), (i & 0xff) << 8);
    }
    assert!(wraps >= 2, "wrapped {wraps} times");
    assert!(busy.iter().all(|p| k.proc.tasks.contains_key(p)));

    // Fill every number: then fork fails with EAGAIN and leaks nothing
    // (the PID is allocated late in copy_process: everything before it is
    // undone).
    let mut filled = Vec::new();
    let err_at = loop {
        let before = Baseline::take(&k);
        let want = next_pid(&busy, last, 400);
        let r = try_fork(&mut k, 1);
        if r < 0 {
            assert_eq!(want, None, "fork failed with {r} while {want:?} was free");
            assert_eq!(r, err(EAGAIN));
            before.check(&k, "fork with every PID busy");
            break r;
        }
        assert_eq!(Some(r as Pid), want);
        busy.insert(r as Pid);
        filled.push(r as Pid);
        last = r as Pid;
    };
    assert_eq!(err_at, err(EAGAIN));
    assert_eq!(busy.iter().filter(|&&p| p >= 300).count(), 100, "300..399 all busy");
    assert!(!k.proc.pids.is_busy(3), "numbers below 300 are not used after the wrap");

    // One number comes free: the next fork gets exactly it.
    let freed = filled[filled.len() / 2];
    exit(&mut k, freed, 0);
    assert_eq!(try_fork(&mut k, 1), err(EAGAIN), "a zombie keeps its PID");
    reap(&mut k, 1, freed);
    busy.remove(&freed);
    let again = fork(&mut k, 1);
    assert_eq!(again, freed);
    busy.insert(again);

    for &p in busy.iter().filter(|&&p| p != 1) {
        exit(&mut k, p, 0);
        reap(&mut k, 1, p);
    }
    base.check(&k, "after every child is reaped");
}

// ---------------------------------------------------------------------------
// 5. RLIMIT_NPROC

#[test]
fn rlimit_nproc_counts_the_users_processes() {
    let (mut k, _) = boot(FRAMES);
    let base = Baseline::take(&k);
    let u = fork(&mut k, 1);
    assert_eq!(set_rlimit(&mut k, u, RLIMIT_NPROC, 3, 3), 0);
    assert_eq!(syscall(&mut k, u, nr::SETUID, &[1000]), 0);
    assert_eq!(syscall(&mut k, u, nr::GETUID, &[]), 1000);
    assert_eq!(syscall(&mut k, u, nr::GETEUID, &[]), 1000);
    // Linux: the count includes the caller, and fork fails when count + 1
    // would exceed the limit: with 3, the caller and two children.
    let g1 = fork(&mut k, u);
    let g2 = fork(&mut k, u);
    let before = Baseline::take(&k);
    assert_eq!(try_fork(&mut k, u), err(EAGAIN));
    assert_eq!(try_fork(&mut k, g1), err(EAGAIN), "the limit is per user, not per process");
    before.check(&k, "after forks refused by RLIMIT_NPROC");
    // A zombie still counts until it is reaped (Linux decrements the
    // count in release_task()).
    exit(&mut k, g1, 0);
    assert_eq!(try_fork(&mut k, u), err(EAGAIN), "a zombie still counts");
    reap(&mut k, u, g1);
    let g3 = fork(&mut k, u);
    assert_eq!(try_fork(&mut k, g3), err(EAGAIN));

    // Another user has a count of its own.
    let v = fork(&mut k, 1);
    assert_eq!(set_rlimit(&mut k, v, RLIMIT_NPROC, 2, 2), 0);
    assert_eq!(syscall(&mut k, v, nr::SETUID, &[2000]), 0);
    let h = fork(&mut k, v);
    assert_eq!(try_fork(&mut k, v), err(EAGAIN));

    // Root is exempt, whatever its limit.
    assert_eq!(set_rlimit(&mut k, 1, RLIMIT_NPROC, 1, 1), 0);
    let mut roots = Vec::new();
    for _ in 0..3 {
        roots.push(fork(&mut k, 1));
    }
    // ... and so is a root child with the same limit.
    let r2 = fork(&mut k, roots[0]);

    for (p, parent) in [(g2, u), (g3, u), (h, v), (r2, roots[0])] {
        exit(&mut k, p, 0);
        reap(&mut k, parent, p);
    }
    for p in [u, v].into_iter().chain(roots) {
        exit(&mut k, p, 0);
        reap(&mut k, 1, p);
    }
    base.check(&k, "after the NPROC test");
}

// ---------------------------------------------------------------------------
// 6. Orphans

#[test]
fn orphans_go_to_init() {
    let (mut k, _) = boot(FRAMES);
    let base = Baseline::take(&k);
    let a = fork(&mut k, 1);
    let b = fork(&mut k, a);
    assert_eq!(getppid(&mut k, b), a);
    exit(&mut k, a, 4);
    assert_eq!(getppid(&mut k, b), 1, "re-parented to init");
    assert_eq!(children_of(&k, 1), BTreeSet::from([a, b]));
    assert_eq!(reap(&mut k, 1, a), 0x400);
    assert_eq!(wait4(&mut k, 1, b as i32, WNOHANG), (0, None), "b still runs");
    exit(&mut k, b, 7);
    assert_eq!(reap(&mut k, 1, b), 0x700);
    base.check(&k, "orphan reaped by init");

    // A zombie orphan: b exits unreaped, then its parent exits; init gets
    // both and reaps them.
    let a = fork(&mut k, 1);
    let b = fork(&mut k, a);
    exit(&mut k, b, 5);
    exit(&mut k, a, 6);
    assert_eq!(k.proc.tasks[&b].parent, 1);
    let mut got = BTreeMap::new();
    for _ in 0..2 {
        let (r, st) = wait4(&mut k, 1, -1, WNOHANG);
        got.insert(r as Pid, st.unwrap());
    }
    assert_eq!(got, BTreeMap::from([(a, 0x600), (b, 0x500)]));
    assert_eq!(wait4(&mut k, 1, -1, WNOHANG).0, err(ECHILD));
    base.check(&k, "zombie orphan reaped by init");
}

#[test]
fn orphans_go_to_the_nearest_subreaper() {
    let (mut k, _) = boot(FRAMES);
    let base = Baseline::take(&k);
    let s = fork(&mut k, 1);
    assert_eq!(prctl(&mut k, s, PR_SET_CHILD_SUBREAPER, 1), 0);
    let sc = scratch(&mut k, s);
    assert_eq!(prctl(&mut k, s, PR_GET_CHILD_SUBREAPER, sc), 0);
    assert_eq!(read_u32(&mut k, s, sc).unwrap(), 1);
    let a = fork(&mut k, s);
    let b = fork(&mut k, a);
    exit(&mut k, a, 1);
    assert_eq!(getppid(&mut k, b), s, "adopted by the subreaper");
    assert_eq!(wait4(&mut k, 1, b as i32, WNOHANG).0, err(ECHILD), "not init's child");
    assert_eq!(reap(&mut k, s, a), 0x100);
    exit(&mut k, b, 2);
    assert_eq!(reap(&mut k, s, b), 0x200);

    // Two subreapers, and a plain process between: the nearest one
    // adopts; when it goes, the next one up; then init.
    let s2 = fork(&mut k, s);
    assert_eq!(prctl(&mut k, s2, PR_SET_CHILD_SUBREAPER, 1), 0);
    let x = fork(&mut k, s2);
    let a = fork(&mut k, x);
    let b = fork(&mut k, a);
    exit(&mut k, a, 0);
    assert_eq!(getppid(&mut k, b), s2, "skips the plain process x");
    exit(&mut k, s2, 0);
    assert_eq!(getppid(&mut k, b), s);
    assert_eq!(getppid(&mut k, x), s);
    // a stayed x's zombie child; s2 is s's.
    assert_eq!(reap(&mut k, x, a), 0);
    assert_eq!(k.proc.tasks[&s2].parent, s);
    exit(&mut k, s, 0);
    assert_eq!(getppid(&mut k, b), 1);
    assert_eq!(getppid(&mut k, x), 1);
    reap(&mut k, 1, s);
    reap(&mut k, 1, s2);
    for p in [b, x] {
        exit(&mut k, p, 0);
        reap(&mut k, 1, p);
    }
    base.check(&k, "after the subreaper test");
}

/// Linux: prctl(PR_SET_CHILD_SUBREAPER) walks the caller's existing
/// descendants and sets has_child_subreaper on them, so a process forked
/// before the call still has its orphans adopted by the subreaper.
#[test]
fn subreaper_set_after_fork_still_adopts() {
    let (mut k, _) = boot(FRAMES);
    let s = fork(&mut k, 1);
    let a = fork(&mut k, s);
    assert_eq!(prctl(&mut k, s, PR_SET_CHILD_SUBREAPER, 1), 0);
    let b = fork(&mut k, a);
    exit(&mut k, a, 0);
    assert_eq!(getppid(&mut k, b), s, "Linux: b is adopted by subreaper s");
}

/// rt_sigaction(sig, {handler}, NULL, 8) as `pid`.
fn set_handler(k: &mut Kernel, pid: Pid, sig: u32, handler: u64, flags: u64) -> i64 {
    let s = scratch(k, pid) + 128;
    let mut act = [0u8; 32];
    act[..8].copy_from_slice(&handler.to_le_bytes());
    act[8..16].copy_from_slice(&flags.to_le_bytes());
    write_user(k, pid, s, &act).unwrap();
    syscall(k, pid, nr::RT_SIGACTION, &[sig as u64, s, 0, 8])
}

/// Linux: a parent that ignores SIGCHLD (or sets SA_NOCLDWAIT) has its
/// children released at exit (do_notify_parent() → autoreap); wait4 then
/// finds no child: ECHILD.
#[test]
fn children_of_a_parent_ignoring_sigchld_are_reaped_at_exit() {
    let (mut k, _) = boot(FRAMES);
    let base = Baseline::take(&k);
    assert_eq!(set_handler(&mut k, 1, SIGCHLD, SIG_IGN, 0), 0);
    let c = fork(&mut k, 1);
    let g = fork(&mut k, c);
    exit(&mut k, c, 0);
    assert_eq!(state(&k, c), None, "released at once, no zombie");
    assert!(!k.proc.pids.is_busy(c));
    assert_eq!(getppid(&mut k, g), 1);
    assert_eq!(wait4(&mut k, 1, c as i32, WNOHANG).0, err(ECHILD));
    exit(&mut k, g, 0);
    assert_eq!(state(&k, g), None, "an adopted child is auto-reaped too");
    assert_eq!(wait4(&mut k, 1, -1, WNOHANG).0, err(ECHILD));
    // SA_NOCLDWAIT with a default SIGCHLD disposition does the same.
    assert_eq!(set_handler(&mut k, 1, SIGCHLD, SIG_DFL, SA_NOCLDWAIT), 0);
    let c = fork(&mut k, 1);
    exit(&mut k, c, 0);
    assert_eq!(state(&k, c), None);
    assert_eq!(set_handler(&mut k, 1, SIGCHLD, SIG_DFL, 0), 0);
    base.check(&k, "after auto-reaped children");
}

/// Linux: when a process's exit orphans a process group that has a
/// stopped member, the group gets SIGHUP then SIGCONT (exit_notify() →
/// forget_original_parent() → reparent_leader() → kill_orphaned_pgrp()),
/// so that it does not stay stopped forever with nobody to continue it.
#[test]
fn orphaned_stopped_process_group_gets_sighup_and_sigcont() {
    let (mut k, _) = boot(FRAMES);
    let a = fork(&mut k, 1);
    assert_eq!(syscall(&mut k, a, nr::SETSID, &[]), a as i64);
    let b = fork(&mut k, a);
    assert_eq!(syscall(&mut k, b, nr::SETPGID, &[0, 0]), 0);
    assert_eq!(syscall(&mut k, a, nr::KILL, &[b as u64, SIGSTOP as u64]), 0);
    // b acts on the signal on its way back to user mode.
    syscall(&mut k, b, nr::GETPID, &[]);
    assert_eq!(state(&k, b), Some(TaskState::Stopped));
    // a was the only link of b's group to its session: its exit orphans
    // the group (b's new parent, init, is in another session).
    exit(&mut k, a, 0);
    assert_eq!(getppid_of(&k, b), 1);
    assert_eq!(state(&k, b), Some(TaskState::Runnable), "SIGCONT resumed the orphaned group");
    syscall(&mut k, b, nr::GETPID, &[]);
    assert_eq!(state(&k, b), Some(TaskState::Zombie), "SIGHUP killed it");
    assert_eq!(reap(&mut k, 1, a), 0);
    assert_eq!(reap(&mut k, 1, b), SIGHUP as i32, "WIFSIGNALED, WTERMSIG SIGHUP");
}

fn getppid_of(k: &Kernel, pid: Pid) -> Pid {
    k.proc.tasks[&pid].parent
}

/// Linux: will_become_orphaned_pgrp() does not count a member whose parent
/// is init as a link to the session (`is_global_init(p->real_parent)`), so
/// a group whose members are all init's children is orphaned, and a
/// SIGTSTP sent to it is discarded (get_signal(): is_current_pgrp_orphaned()).
#[test]
fn sigtstp_is_discarded_in_a_group_of_inits_children() {
    let (mut k, _) = boot(FRAMES);
    let a = fork(&mut k, 1);
    assert_eq!(syscall(&mut k, a, nr::SETPGID, &[0, 0]), 0);
    assert_eq!(syscall(&mut k, 1, nr::KILL, &[a as u64, SIGTSTP as u64]), 0);
    syscall(&mut k, a, nr::GETPID, &[]);
    assert_eq!(state(&k, a), Some(TaskState::Runnable), "Linux discards the stop: the group is orphaned");
}

// ---------------------------------------------------------------------------
// /proc/meminfo across a process tree's life (the lifecycle issue's
// acceptance: MemFree comes back once every child has exited)

/// MemFree in kB, read by `pid` through open/read of /proc/meminfo.
fn memfree_kb(k: &mut Kernel, pid: Pid) -> u64 {
    let s = scratch(k, pid);
    write_user(k, pid, s, b"/proc/meminfo\0").unwrap();
    let fd = syscall(k, pid, nr::OPEN, &[s, O_RDONLY as u64, 0]);
    assert!(fd >= 0, "open /proc/meminfo: {fd}");
    let buf = s + 256;
    let n = syscall(k, pid, nr::READ, &[fd as u64, buf, 2048]);
    assert!(n > 0, "read /proc/meminfo: {n}");
    assert_eq!(syscall(k, pid, nr::CLOSE, &[fd as u64]), 0);
    let text = read_user(k, pid, buf, n as usize).unwrap();
    let text = core::str::from_utf8(&text).unwrap();
    let line = text.lines().find(|l| l.starts_with("MemFree:")).expect("a MemFree line");
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn memfree_returns_to_its_value_before_the_first_fork() {
    let (mut k, _) = boot(FRAMES);
    // The parent has memory worth copying: 16 written private pages.
    let region = mmap_anon(&mut k, 1, 0, 16 * P, RW, MAP_PRIVATE) as u64;
    for i in 0..16 {
        write_user(&mut k, 1, region + i * P, b"parent").unwrap();
    }
    // Kernel stacks the cache keeps for the next fork are memory in
    // waiting, not a leak: count them as free on both sides.
    let free_kb = |k: &mut Kernel| memfree_kb(k, 1) + (k.sched.kstacks().cached_frames() * 4) as u64;
    let before = free_kb(&mut k);
    // A small tree: children that write (copy-on-write), one grandchild
    // orphaned to init, one child that execs.
    let mut kids = Vec::new();
    for n in 0..4u64 {
        let c = fork(&mut k, 1);
        for i in 0..n * 4 {
            write_user(&mut k, c, region + i * P, b"child").unwrap();
        }
        kids.push(c);
    }
    let g = fork(&mut k, kids[0]);
    write_user(&mut k, g, region, b"grandchild").unwrap();
    // Exec maps the program from the page cache, where it stays after the
    // child is gone; /bin/init is there already (init runs it), so the
    // exec adds no cached page and MemFree must come all the way back.
    assert_eq!(execve(&mut k, kids[1], "/bin/init", &["init"], &[]), 0);
    assert!(memfree_kb(&mut k, 1) < before, "children use memory");
    for &c in &kids {
        exit(&mut k, c, 0);
    }
    exit(&mut k, g, 0);
    while wait4(&mut k, 1, -1, WNOHANG).0 > 0 {}
    assert_eq!(free_kb(&mut k), before, "MemFree after every child has exited and been reaped");
}

#[test]
fn a_thread_clone_failing_late_leaves_the_process_as_it_was() {
    let (mut k, _) = boot(FRAMES);
    let c = fork(&mut k, 1);
    let base = Baseline::take(&k);
    // A TLS base in kernel space: copy_thread() refuses it, after
    // copy_signal() has joined the child to the process.
    let flags = CloneFlags::VM | CloneFlags::SIGHAND | CloneFlags::THREAD | CloneFlags::SETTLS;
    assert_eq!(syscall(&mut k, c, nr::CLONE, &[flags.bits(), 0, 0, 0, 0xffff_8000_0000_0000]), err(EPERM));
    base.check(&k, "after the failed clone");
    assert_eq!(k.sig.signals().get(k.proc.tasks[&c].signal).live, 1, "still one live thread");
    // So its only thread's exit ends the process, which the parent reaps.
    exit(&mut k, c, 3);
    assert_eq!(reap(&mut k, 1, c), 0x300);
}
