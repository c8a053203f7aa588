//! `cargo xtask bench --profile`: where Tine's time goes while benchmarks
//! run, without changing the kernel.
//!
//! QEMU runs Tine with its gdbstub on a local TCP port; a sampler thread
//! stops the virtual CPU every millisecond or so (a gdb "interrupt"), reads
//! the registers, scans the kernel stack upwards from `rsp` for return
//! addresses, and lets it continue. (The guest's TSC stands still while
//! QEMU is stopped, so the benchmark's own numbers are barely disturbed.)
//! Addresses are named with `nm` on the kernel ELF. A stack word counts as
//! a return address only if it points into the kernel's text just after a
//! call instruction; stale words from earlier calls can still slip in, so
//! the "on stack" view is a (good) heuristic, the self view is exact.
//!
//! Output: the share of samples in user mode and in each phase of the
//! process lifecycle (fork's page-table copy, its other copy_process steps,
//! exit's address-space teardown, wait, exec, page faults, the scheduler),
//! each phase split by what the CPU was doing (frame allocator, zeroing and
//! copying frames, heap, B-tree maps, TLB), then the top functions by self
//! and by on-stack samples.

use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use super::{collect_with, guest_args, initramfs, parse_boot, qemu_machine, tine_target, Programs};
use crate::build::Busybox;
use crate::qemu::Accel;
use crate::{root, Result};

const KERNEL_BASE: u64 = 0xffff_8000_0000_0000;
/// How far above rsp the sampler looks for return addresses.
const STACK_SCAN: usize = 4096;
const INTERVAL: Duration = Duration::from_micros(700);

struct Symbols {
    /// (start address, name), sorted.
    syms: Vec<(u64, String)>,
    /// The ELF's loadable segments: (vaddr, bytes).
    segs: Vec<(u64, Vec<u8>)>,
    text: (u64, u64),
}

impl Symbols {
    fn load(elf: &Path) -> Result<Symbols> {
        let out = Command::new("nm")
            .args(["-C", "--defined-only", "-n"])
            .arg(elf)
            .output()
            .map_err(|e| format!("nm: {e}"))?;
        let mut syms = Vec::new();
        for l in String::from_utf8_lossy(&out.stdout).lines() {
            let mut it = l.splitn(3, ' ');
            let (Some(a), Some(t), Some(n)) = (it.next(), it.next(), it.next()) else {
                continue;
            };
            if !matches!(t, "t" | "T" | "w" | "W") {
                continue;
            }
            if let Ok(a) = u64::from_str_radix(a, 16) {
                syms.push((a, n.to_string()));
            }
        }
        syms.sort();
        let bytes = std::fs::read(elf).map_err(|e| format!("{}: {e}", elf.display()))?;
        let segs = load_segments(&bytes);
        // The higher-half text: from the first kernel symbol to the end of
        // the segment holding the last one.
        let lo = syms.iter().map(|s| s.0).find(|&a| a >= KERNEL_BASE).unwrap_or(u64::MAX);
        let last = syms.last().map(|s| s.0).unwrap_or(0);
        let hi = segs
            .iter()
            .filter(|(a, b)| *a <= last && last < a + b.len() as u64)
            .map(|(a, b)| a + b.len() as u64)
            .max()
            .unwrap_or(last);
        Ok(Symbols { syms, segs, text: (lo, hi) })
    }

    fn name(&self, addr: u64) -> Option<&str> {
        let i = self.syms.partition_point(|(a, _)| *a <= addr);
        (i > 0).then(|| self.syms[i - 1].1.as_str())
    }

    fn byte(&self, addr: u64) -> Option<u8> {
        self.segs.iter().find(|(a, b)| addr >= *a && addr < a + b.len() as u64).map(|(a, b)| b[(addr - a) as usize])
    }

    /// Whether `addr` directly follows a call instruction in kernel text.
    fn after_call(&self, addr: u64) -> bool {
        if addr < KERNEL_BASE || addr < self.text.0 || addr >= self.text.1 {
            return false;
        }
        if self.byte(addr - 5) == Some(0xe8) {
            return true;
        }
        // call r/m64: FF /2, 2 to 7 bytes long.
        (2..=7).any(|len| {
            self.byte(addr - len) == Some(0xff) && self.byte(addr - len + 1).is_some_and(|m| (m >> 3) & 7 == 2)
        })
    }
}

fn load_segments(b: &[u8]) -> Vec<(u64, Vec<u8>)> {
    let u16_at = |i: usize| u16::from_le_bytes([b[i], b[i + 1]]) as usize;
    let u64_at = |i: usize| u64::from_le_bytes(b[i..i + 8].try_into().unwrap());
    if b.len() < 64 || &b[..4] != b"\x7fELF" {
        return vec![];
    }
    let (phoff, phentsize, phnum) = (u64_at(0x20) as usize, u16_at(0x36), u16_at(0x38));
    let mut v = Vec::new();
    for i in 0..phnum {
        let p = phoff + i * phentsize;
        if p + 56 > b.len() || u32::from_le_bytes(b[p..p + 4].try_into().unwrap()) != 1 {
            continue;
        }
        let (off, vaddr, filesz) = (u64_at(p + 8) as usize, u64_at(p + 16), u64_at(p + 32) as usize);
        if let Some(data) = b.get(off..off + filesz) {
            v.push((vaddr, data.to_vec()));
        }
    }
    v
}

/// A minimal gdb remote-protocol client (no-ack mode).
struct Gdb {
    s: TcpStream,
    buf: Vec<u8>,
}

impl Gdb {
    fn connect(port: u16) -> Result<Gdb> {
        for _ in 0..200 {
            if let Ok(s) = TcpStream::connect(("127.0.0.1", port)) {
                s.set_nodelay(true).ok();
                s.set_read_timeout(Some(Duration::from_secs(10))).ok();
                let mut g = Gdb { s, buf: vec![] };
                g.send("QStartNoAckMode")?;
                let _ = g.reply()?;
                return Ok(g);
            }
            thread::sleep(Duration::from_millis(50));
        }
        Err("cannot connect to QEMU's gdbstub".into())
    }

    fn send(&mut self, data: &str) -> Result<()> {
        let sum = data.bytes().fold(0u8, |a, c| a.wrapping_add(c));
        let pkt = format!("${data}#{sum:02x}");
        self.s.write_all(pkt.as_bytes()).map_err(|e| format!("gdbstub: {e}"))
    }

    fn reply(&mut self) -> Result<String> {
        loop {
            if let Some(start) = self.buf.iter().position(|&c| c == b'$') {
                if let Some(end) = self.buf[start..].iter().position(|&c| c == b'#') {
                    let end = start + end;
                    if self.buf.len() >= end + 3 {
                        let body = String::from_utf8_lossy(&self.buf[start + 1..end]).to_string();
                        self.buf.drain(..end + 3);
                        return Ok(body);
                    }
                }
            }
            let mut tmp = [0u8; 8192];
            let n = self.s.read(&mut tmp).map_err(|e| format!("gdbstub: {e}"))?;
            if n == 0 {
                return Err("gdbstub closed".into());
            }
            self.buf.extend_from_slice(&tmp[..n]);
        }
    }

    fn interrupt(&mut self) -> Result<String> {
        self.s.write_all(&[3]).map_err(|e| format!("gdbstub: {e}"))?;
        self.reply()
    }

    fn request(&mut self, data: &str) -> Result<String> {
        self.send(data)?;
        self.reply()
    }
}

fn hex_bytes(s: &str) -> Vec<u8> {
    (0..s.len() / 2).filter_map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()).collect()
}

fn le64(b: &[u8]) -> u64 {
    u64::from_le_bytes(b[..8].try_into().unwrap())
}

/// One sample: the benchmark running (its `begin` line seen, its result
/// not yet), rip, then the return addresses found on the stack.
type Sample = (String, Vec<u64>);

const SETUP: &str = "(setup, between benchmarks)";

fn sampler(port: u16, syms: Arc<Symbols>, stop: Arc<AtomicBool>, label: Arc<Mutex<String>>) -> Result<Vec<Sample>> {
    let mut g = Gdb::connect(port)?;
    let mut samples = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        thread::sleep(INTERVAL);
        let Ok(_) = g.interrupt() else { break };
        let regs = hex_bytes(&g.request("g")?);
        if regs.len() < 17 * 8 {
            g.send("c")?;
            continue;
        }
        let rsp = le64(&regs[7 * 8..]);
        let rip = le64(&regs[16 * 8..]);
        let mut sample = vec![rip];
        if rip >= KERNEL_BASE {
            // (The gdbstub's packets hold a few KiB: read in pieces.)
            'scan: for off in (0..STACK_SCAN).step_by(1024) {
                let mem = g.request(&format!("m{:x},400", rsp + off as u64))?;
                if mem.starts_with('E') || mem.is_empty() {
                    break;
                }
                for w in hex_bytes(&mem).chunks_exact(8) {
                    let a = le64(w);
                    if syms.after_call(a) {
                        sample.push(a);
                        if sample.len() > 64 {
                            break 'scan;
                        }
                    }
                }
            }
        }
        let now = label.lock().map(|l| l.clone()).unwrap_or_default();
        samples.push((now, sample));
        g.send("c")?;
    }
    let _ = g.interrupt();
    let _ = g.send("k");
    Ok(samples)
}

/// Lifecycle phases, matched against the functions on the stack (the
/// first phase whose pattern appears wins).
const PHASES: &[(&str, &[&str])] = &[
    ("fork: page-table copy (AddressSpace::fork)", &["mm::fork::"]),
    ("fork: kernel stack", &["KernelStack::new", "KernelStack::try_new"]),
    ("fork: rest of copy_process", &["copy_process", "kernel_clone", "sys_clone", "sys_fork", "sys_vfork"]),
    ("exit: mm teardown (put_mm)", &["put_mm", "exit_mm", "exit_mmap"]),
    ("exit: rest of do_exit/release", &["do_exit", "do_group_exit", "release_task", "exit_notify"]),
    ("wait", &["do_wait", "sys_wait4", "sys_waitid"]),
    ("execve", &["do_execve", "bprm_execve", "sys_execve"]),
    ("page fault", &["handle_fault", "user_exception", "page_fault"]),
    ("scheduler, context switch", &["schedule", "reschedule", "switch", "context_switch"]),
    ("other syscalls, entry/exit", &["syscall", "exit_to_user_mode"]),
];

/// What the innermost function is doing.
const KINDS: &[(&str, &[&str])] = &[
    ("zero/copy frame", &["zero_frame", "copy_frame", "memset", "memcpy", "memmove", "compiler_builtins::mem"]),
    ("frame allocator", &["FrameAllocator", "mm::frame::"]),
    ("page-table walk", &["pagetable::", "PageTable"]),
    ("TLB/CR3", &["flush_page", "flush_all", "activate", "Tlb"]),
    (
        "heap",
        &[
            "__rust_alloc",
            "__rust_dealloc",
            "__rust_realloc",
            "heap::",
            "alloc::alloc",
            "linked_list_allocator",
            "talc",
            "buddy",
        ],
    ),
    ("BTreeMap", &["btree"]),
    ("VMA", &["vma::", "Vma"]),
];

fn classify<'a>(names: &[&str], table: &'a [(&'a str, &'a [&'a str])]) -> Option<&'a str> {
    for (label, pats) in table {
        if names.iter().any(|n| pats.iter().any(|p| n.contains(p))) {
            return Some(label);
        }
    }
    None
}

fn short(name: &str) -> String {
    // Drop "<impl ... for ...>" noise and generic arguments a little.
    let n = name
        .replace("tine_core::", "")
        .replace("tine_hal::", "hal::")
        .replace("<impl tine_core::kernel::Kernel>", "Kernel");
    if n.len() > 90 {
        format!("{}…", &n[..n.char_indices().nth(89).map(|c| c.0).unwrap_or(n.len())])
    } else {
        n
    }
}

fn report(samples: &[&Vec<u64>], syms: &Symbols, top: usize) -> String {
    use std::fmt::Write as _;
    let total = samples.len().max(1) as f64;
    let pct = |n: usize| 100.0 * n as f64 / total;
    let mut user = 0;
    let mut phase: BTreeMap<&str, (usize, BTreeMap<&str, usize>)> = BTreeMap::new();
    let mut selfc: HashMap<String, usize> = HashMap::new();
    let mut onstack: HashMap<String, usize> = HashMap::new();
    let mut pairs: HashMap<String, usize> = HashMap::new();
    let mut chains: HashMap<String, usize> = HashMap::new();
    for s in samples {
        let rip = s[0];
        if rip < KERNEL_BASE {
            user += 1;
            continue;
        }
        let names: Vec<&str> = s.iter().map(|a| syms.name(*a).unwrap_or("?")).collect();
        *selfc.entry(names[0].to_string()).or_default() += 1;
        // The nearest return address: exact for leaf functions such as
        // memset and memcpy, which push nothing.
        if names[0] == "memset" || names[0] == "memcpy" {
            let chain: Vec<String> = names.iter().take(4).map(|n| short(n)).collect();
            *chains.entry(chain.join("  <-  ")).or_default() += 1;
        }
        let caller = names.get(1).copied().unwrap_or("?");
        *pairs.entry(format!("{}  <-  {}", short(names[0]), short(caller))).or_default() += 1;
        let mut seen: Vec<&str> = names.clone();
        seen.sort();
        seen.dedup();
        for n in seen {
            *onstack.entry(n.to_string()).or_default() += 1;
        }
        let p = classify(&names, PHASES).unwrap_or("other kernel");
        let k = classify(&names[..1], KINDS).unwrap_or("other");
        let e = phase.entry(p).or_default();
        e.0 += 1;
        *e.1.entry(k).or_default() += 1;
    }
    let mut s = String::new();
    let _ = writeln!(s, "{} samples; user mode {:.1}%, kernel {:.1}%", samples.len(), pct(user), 100.0 - pct(user));
    let _ = writeln!(s, "kernel time by phase (share of all samples), split by what the innermost function does:");
    let mut ph: Vec<_> = phase.iter().collect();
    ph.sort_by_key(|p| std::cmp::Reverse(p.1 .0));
    for (p, (n, kinds)) in ph {
        let mut ks: Vec<_> = kinds.iter().collect();
        ks.sort_by(|a, b| b.1.cmp(a.1));
        let split: Vec<String> = ks.iter().map(|(k, c)| format!("{k} {:.1}%", pct(**c))).collect();
        let _ = writeln!(s, "  {:>5.1}%  {p:<44} [{}]", pct(*n), split.join(", "));
    }
    for (title, map) in [
        ("self (innermost function)", &selfc),
        ("self, with the nearest caller found on the stack", &pairs),
        ("on stack (inclusive, heuristic)", &onstack),
        ("memset and memcpy with three callers found on the stack", &chains),
    ] {
        let _ = writeln!(s, "\ntop functions, {title}:");
        let mut v: Vec<_> = map.iter().collect();
        v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        for (n, c) in v.into_iter().take(top) {
            let _ = writeln!(s, "  {:>5.1}%  {}", pct(*c), short(n));
        }
    }
    s
}

pub fn main(
    kernel: &Path,
    progs: &Programs,
    busybox: Option<&Busybox>,
    filters: &[String],
    quick: bool,
    time_ms: Option<f64>,
    batches: Option<u32>,
) -> Result<i32> {
    if std::env::var_os("TINE_KERNEL").is_some_and(|k| !k.is_empty()) {
        return Err("--profile needs the kernel built here (its ELF symbols), not TINE_KERNEL".into());
    }
    let elf: PathBuf = root().join("target/kernel/x86_64-unknown-linux-gnu/release/tine");
    let syms = Arc::new(Symbols::load(&elf)?);
    let filters: Vec<String> = if filters.is_empty() { vec!["fork_exit_wait".into()] } else { filters.to_vec() };
    let dir = root().join("build/bench");
    let initrd = dir.join("profile.cpio");
    let gargs = guest_args(quick, time_ms, batches, &filters);
    initramfs(progs, busybox, &gargs, &initrd)?;
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| format!("no free TCP port: {e}"))?
        .port();
    let t = tine_target(kernel.to_path_buf());

    eprintln!("xtask: bench --profile: Tine (TCG) with {gargs}, sampling through the gdbstub");
    let child = qemu_machine(Accel::Tcg, super::Measure::Wall, &t, &initrd, &dir.join("profile.log"))
        .arg("-gdb")
        .arg(format!("tcp:127.0.0.1:{port}"))
        .spawn()?;
    let stop = Arc::new(AtomicBool::new(false));
    let label = Arc::new(Mutex::new(SETUP.to_string()));
    let sampler = {
        let (syms, stop, label) = (syms.clone(), stop.clone(), label.clone());
        thread::spawn(move || sampler(port, syms, stop, label))
    };
    let on_line = |line: &str| {
        let w: Vec<&str> = line.split_whitespace().collect();
        let next = match w.as_slice() {
            ["begin", name] => name.to_string(),
            ["bench" | "skip" | "fail", ..] => SETUP.to_string(),
            _ => return,
        };
        if let Ok(mut l) = label.lock() {
            *l = next;
        }
    };
    let boot = collect_with(child, super::SILENCE, true, &on_line);
    stop.store(true, Ordering::Relaxed);
    let samples = sampler.join().map_err(|_| "sampler panicked")??;
    let parsed = parse_boot(&boot);
    if let Some(e) = &boot.error {
        eprintln!("xtask: bench --profile: {e}");
    }
    println!("Tine under the sampler (numbers are a little slower than without it):");
    for (name, r) in &parsed.rows {
        println!("  {name:<22} {} per {}", super::human(r.median), r.unit);
    }
    println!();
    use std::fmt::Write as _;
    let mut text = String::new();
    let all: Vec<&Vec<u64>> = samples.iter().map(|s| &s.1).collect();
    let _ = writeln!(text, "== all samples ==\n{}", report(&all, &syms, 25));
    let mut labels: Vec<&str> = samples.iter().map(|s| s.0.as_str()).collect();
    labels.dedup();
    let mut seen = std::collections::BTreeSet::new();
    for l in labels {
        if !seen.insert(l) {
            continue;
        }
        let these: Vec<&Vec<u64>> = samples.iter().filter(|s| s.0 == l).map(|s| &s.1).collect();
        let _ = writeln!(text, "== {l} ==\n{}", report(&these, &syms, 15));
    }
    println!("{text}");
    std::fs::write(dir.join("profile.txt"), &text).map_err(|e| format!("profile.txt: {e}"))?;
    eprintln!("xtask: bench --profile: wrote build/bench/profile.txt");
    Ok(if boot.error.is_some() { 1 } else { 0 })
}
