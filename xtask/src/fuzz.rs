//! `cargo xtask fuzz`: random system calls against Tine, from a seed.
//!
//! Boots Tine with `user/fuzz/fuzz.c` as PID 1 (see that file for what it
//! calls and what it never calls) and judges the run: a kernel panic, a
//! hang (QEMU's timeout, or a process that outlives SIGKILL), a failed
//! liveness check or a leak at init's exit (the accounting line
//! `cargo xtask test` checks) is a failure. On a failure xtask runs the
//! same seed again with every call traced on the console, prints the last
//! calls, then narrows them down to a reproducer: the traced calls, in
//! the order they ran, replayed one after the other by a single worker
//! after the same set-up (`user/fuzz/fuzz_common.h`, pasted into the
//! file). It bisects the length of the tail of the trace that still fails
//! the same way, then removes calls while it still does (ddmin), and
//! writes build/fuzz/repro-SEED.c and its binary build/fuzz/repro-SEED.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::build;
use crate::qemu::{self, Boot, Console, Outcome, Status};
use crate::{Payload, Result, TempDir};

/// Shown after `fuzz --help`.
pub const AFTER_HELP: &str = "\
Boots Tine with user/fuzz/fuzz.c as init, which makes N random system calls
from the seed S in P forked workers at a time, each with up to T threads, K
calls per worker per batch. Fails on a kernel panic, a hang, a failed
liveness check or a leak at init's exit; then runs the seed again traced,
prints the last calls, and writes a minimal reproducer to
build/fuzz/repro-SEED.c (and its binary: cargo xtask exec build/fuzz/repro-SEED).

Environment: TINE_TIMEOUT=SECONDS overrides the time limit (default 120 s +
20 ms per call); TINE_ACCEL, TINE_CMDLINE, TINE_KERNEL as for the other
commands.";

/// `cargo xtask fuzz`.
#[derive(clap::Args)]
pub struct Args {
    /// How many system calls in all
    #[arg(long, value_name = "N", default_value_t = 10000)]
    calls: u64,
    /// The seed [default: from the clock, printed]
    #[arg(long, value_name = "S")]
    seed: Option<u64>,
    /// Forked workers at a time (1 to 64)
    #[arg(long, value_name = "P", default_value_t = 4)]
    procs: u64,
    /// Threads per worker, at most (0 to 2)
    #[arg(long, value_name = "T", default_value_t = 2)]
    threads: u64,
    /// Calls per worker per batch (1 to 100000)
    #[arg(long, value_name = "K", default_value_t = 200)]
    per_worker: u64,
    /// Trace every call on the console from the start
    #[arg(long)]
    trace: bool,
    /// Stop after the traced run of a failure (no reproducer)
    #[arg(long)]
    no_minimize: bool,
}

/// Every line of the fuzzer's own starts with this.
const MARK: &str = "FUZZ| ";
/// A traced call.
const TRACE: &str = "FZT|";
/// How long one reproducer run may take.
const REPRO_TIMEOUT: Duration = Duration::from_secs(40);
/// Trials of the minimisation, at most.
const MAX_TRIALS: usize = 80;

struct Opts {
    calls: u64,
    seed: u64,
    procs: u32,
    threads: u32,
    per_worker: u32,
    trace: bool,
    minimize: bool,
}

impl Opts {
    fn guest_args(&self, trace: bool) -> Vec<OsString> {
        let mut v: Vec<String> = vec![
            "--seed".into(),
            self.seed.to_string(),
            "--calls".into(),
            self.calls.to_string(),
            "--procs".into(),
            self.procs.to_string(),
            "--threads".into(),
            self.threads.to_string(),
            "--per-worker".into(),
            self.per_worker.to_string(),
        ];
        if trace {
            v.push("--trace".into());
        }
        v.into_iter().map(OsString::from).collect()
    }

    fn command(&self) -> String {
        let mut s = format!("cargo xtask fuzz --seed {} --calls {} --procs {}", self.seed, self.calls, self.procs);
        if self.threads != 2 {
            let _ = write!(s, " --threads {}", self.threads);
        }
        if self.per_worker != 200 {
            let _ = write!(s, " --per-worker {}", self.per_worker);
        }
        s
    }
}

impl From<Args> for Opts {
    fn from(a: Args) -> Opts {
        let clock = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() ^ (d.subsec_nanos() as u64) << 20)
            .unwrap_or(1);
        Opts {
            calls: a.calls,
            seed: a.seed.unwrap_or(clock % 1_000_000_007),
            procs: a.procs.clamp(1, 64) as u32,
            threads: a.threads.min(2) as u32,
            per_worker: a.per_worker.clamp(1, 100_000) as u32,
            trace: a.trace,
            minimize: !a.no_minimize,
        }
    }
}

/// What went wrong in a run.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Failure {
    /// The first `KERNEL PANIC: ` line's text.
    Panic(String),
    /// QEMU's time limit, or a process that outlived SIGKILL.
    Hang(String),
    /// The accounting line at init's exit.
    Leak(String),
    /// The fuzzer (or reproducer) said FAIL or exited non-zero.
    Other(String),
}

impl Failure {
    fn same_kind(&self, other: &Failure) -> bool {
        match (self, other) {
            (Failure::Panic(a), Failure::Panic(b)) => a == b,
            (Failure::Hang(_), Failure::Hang(_)) | (Failure::Leak(_), Failure::Leak(_)) => true,
            (Failure::Other(a), Failure::Other(b)) => a == b,
            _ => false,
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self {
            Failure::Panic(s) => write!(f, "kernel panic: {s}"),
            Failure::Hang(s) => write!(f, "hang: {s}"),
            Failure::Leak(s) => write!(f, "leak: {s}"),
            Failure::Other(s) => write!(f, "{s}"),
        }
    }
}

/// The verdict on a boot of the fuzzer or of a reproducer.
fn judge(run: &qemu::Run) -> Option<Failure> {
    let log = String::from_utf8_lossy(&run.log);
    let console = String::from_utf8_lossy(&run.console);
    if run.outcome == Outcome::Panic {
        let first = log
            .lines()
            .find_map(|l| l.split_once("KERNEL PANIC: ").map(|(_, m)| m.trim().to_string()))
            .unwrap_or_default();
        return Some(Failure::Panic(first));
    }
    if let Some(l) = console.lines().find(|l| l.contains("outlived SIGKILL")) {
        return Some(Failure::Hang(l.trim().to_string()));
    }
    if run.outcome == Outcome::Timeout {
        return Some(Failure::Hang("QEMU's time limit expired".into()));
    }
    if let Some(leak) = crate::test::leak_report(&run.log) {
        return Some(Failure::Leak(leak));
    }
    if let Some(l) = console.lines().find_map(|l| l.find(&format!("{MARK}FAIL")).map(|i| &l[i..])) {
        return Some(Failure::Other(l.trim().to_string()));
    }
    match run.outcome {
        Outcome::Exited(ws) if Status::from_wait(ws) == Some(Status::Exited(0)) => None,
        o => Some(Failure::Other(format!("init ended: {}", qemu::outcome_text(o)))),
    }
}

/// One traced call: its id (batch.worker.thread.index) and raw values.
#[derive(Clone)]
struct Call {
    id: String,
    batch: u64,
    worker: u64,
    /// The thread of its worker: 0 (the first), 1 or 2.
    thread: u64,
    v: [u64; 7],
}

impl Call {
    /// As a reproducer's table row: thread, number, arguments.
    fn row(&self) -> Row {
        let mut r = [0; 8];
        r[0] = self.thread;
        r[1..].copy_from_slice(&self.v);
        r
    }
}

/// A reproducer's call: thread, number, six arguments.
type Row = [u64; 8];

fn parse_trace(console: &[u8]) -> Vec<Call> {
    let text = String::from_utf8_lossy(console);
    let mut calls = Vec::new();
    for line in text.lines() {
        let Some(i) = line.find(TRACE) else { continue };
        let mut words = line[i + TRACE.len()..].split_whitespace();
        let Some(id) = words.next() else { continue };
        let parts: Vec<u64> = id.split('.').filter_map(|w| u64::from_str_radix(w, 16).ok()).collect();
        let v: Vec<u64> = words.take(7).filter_map(|w| u64::from_str_radix(w, 16).ok()).collect();
        if let (Ok(v), &[batch, worker, thread, _]) = (<[u64; 7]>::try_from(v), &parts[..]) {
            calls.push(Call { id: id.to_string(), batch, worker, thread: thread.min(2), v });
        }
    }
    calls
}

/// Syscall names from core's table (Tine's own calls; others by number).
fn names() -> std::collections::HashMap<u64, String> {
    let text = std::fs::read_to_string(crate::root().join("core/src/abi/nr.rs")).unwrap_or_default();
    text.lines()
        .filter_map(|l| {
            let rest = l.trim().strip_prefix("pub const ")?;
            let (name, rest) = rest.split_once(": u64 = ")?;
            let n = rest.trim_end_matches(';').trim().parse().ok()?;
            Some((n, name.to_lowercase()))
        })
        .collect()
}

fn describe(c: &[u64], names: &std::collections::HashMap<u64, String>) -> String {
    let name = names.get(&c[0]).cloned().unwrap_or_else(|| format!("syscall_{}", c[0]));
    let args: Vec<String> = c[1..].iter().map(|a| format!("{a:#x}")).collect();
    format!("{name}({})", args.join(", "))
}

fn fuzz_program() -> Result<PathBuf> {
    let root = crate::root();
    let dir = root.join("build/fuzz");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let bin = dir.join("fuzz");
    build::compile(&root.join("user/fuzz/fuzz.c"), &bin)?;
    Ok(bin)
}

fn boot(
    kernel: &Path,
    program: &Path,
    args: Vec<OsString>,
    timeout: Option<Duration>,
    show: bool,
) -> Result<qemu::Run> {
    let tmp = TempDir::new("fuzz")?;
    let initrd = crate::write_initramfs(&Payload::program(program.to_path_buf(), args), &tmp)?;
    Boot {
        kernel,
        initrd: &initrd,
        cmdline: crate::cmdline(crate::GuestStdio::Pipe),
        accel: qemu::accel(kernel),
        timeout,
        console: if show { Console::Lines(MARK) } else { Console::Capture },
        stream_log: false,
        log_file: None,
        stop_on: None,
        com3: None,
        cpu: None,
    }
    .run()
}

fn log_tail(log: &[u8], n: usize) -> String {
    let log = String::from_utf8_lossy(log);
    let lines: Vec<&str> = log.lines().filter(|l| !l.contains("unimplemented syscall")).collect();
    lines[lines.len().saturating_sub(n)..].iter().map(|l| format!("    {l}\n")).collect()
}

pub fn main(args: Args) -> Result<i32> {
    let o = Opts::from(args);
    build::ensure_host_tools()?;
    let kernel = build::kernel()?;
    let program = fuzz_program()?;
    let timeout = match std::env::var_os("TINE_TIMEOUT") {
        Some(_) => qemu::timeout()?,
        None => Some(Duration::from_secs(120) + Duration::from_millis(20) * o.calls as u32),
    };
    let accel = qemu::accel(&kernel);
    eprintln!(
        "xtask: fuzzing Tine ({}): seed {}, {} calls, {} workers; again with: {}",
        accel.name(),
        o.seed,
        o.calls,
        o.procs,
        o.command()
    );
    let start = Instant::now();
    let run = boot(&kernel, &program, o.guest_args(o.trace), timeout, true)?;
    let secs = start.elapsed().as_secs_f64();
    let Some(failure) = judge(&run) else {
        println!(
            "fuzz: passed: seed {}, {} calls, {} workers, {secs:.0} s; kernel accounting back to its baseline",
            o.seed, o.calls, o.procs
        );
        return Ok(0);
    };
    println!("fuzz: FAILED after {secs:.0} s: {failure}");
    println!("fuzz: seed {} (again with: {})", o.seed, o.command());
    println!("  kernel log (last 25 lines):\n{}", log_tail(&run.log, 25));

    // The same seed with every call traced, unless it already was.
    let traced = if o.trace {
        run
    } else {
        eprintln!("xtask: running seed {} again with every call traced", o.seed);
        let again = boot(&kernel, &program, o.guest_args(true), timeout, false)?;
        match judge(&again) {
            Some(f) if f.same_kind(&failure) => again,
            other => {
                let what = other.map_or("passed".to_string(), |f| f.to_string());
                println!("fuzz: the traced run did not fail the same way ({what}); no reproducer");
                return Ok(1);
            }
        }
    };
    let calls = parse_trace(&traced.console);
    let names = names();
    println!("fuzz: the last calls of the traced run (of {}), oldest first:", calls.len());
    for c in &calls[calls.len().saturating_sub(20)..] {
        println!("    {} {}", c.id, describe(&c.v, &names));
    }
    if !o.minimize || calls.is_empty() {
        return Ok(1);
    }

    // Narrow down: the failing batch alone, then one worker of it, all
    // traced; then the traced calls replayed by a reproducer, fewer and
    // fewer of them.
    let mut m = Minimizer { kernel: &kernel, target: &failure, trials: 0, tmp: TempDir::new("repro")? };
    let last = calls.last().unwrap();
    let console = String::from_utf8_lossy(&traced.console);
    let batch = console
        .lines()
        .find_map(|l| l.split_once("FAIL: batch ").and_then(|(_, r)| r.split(':').next()?.parse().ok()))
        .unwrap_or(last.batch);
    let mut rows: Vec<Row> = Vec::new();
    let mut narrowed = String::from("the calls of the whole run");
    let single = |extra: Vec<String>, what: String, m: &mut Minimizer| -> Result<Option<Vec<Call>>> {
        let mut args = o.guest_args(true);
        args.extend(extra.into_iter().map(OsString::from));
        eprintln!("xtask: does {what} alone fail the same way?");
        m.trials += 1;
        let run = boot(&kernel, &program, args, Some(REPRO_TIMEOUT * 2), false)?;
        Ok(judge(&run).filter(|f| f.same_kind(&failure)).map(|_| parse_trace(&run.console)))
    };
    if let Some(batch_calls) = single(vec!["--batch".into(), batch.to_string()], format!("batch {batch}"), &mut m)? {
        narrowed = format!("batch {batch}");
        let mut workers: Vec<u64> = batch_calls.iter().rev().map(|c| c.worker).collect();
        workers.dedup();
        workers.extend(0..o.procs as u64);
        let mut tried = Vec::new();
        for w in workers {
            if tried.contains(&w) {
                continue;
            }
            tried.push(w);
            let extra = vec!["--batch".into(), batch.to_string(), "--worker".into(), w.to_string()];
            if let Some(c) = single(extra, format!("worker {w} of batch {batch}"), &mut m)? {
                narrowed = format!("worker {w} of batch {batch}");
                rows = c.iter().map(Call::row).collect();
                break;
            }
        }
        if rows.is_empty() {
            rows = batch_calls.iter().map(Call::row).collect();
        }
    }
    let mut found = None;
    if !rows.is_empty() {
        eprintln!("xtask: does replaying the {} calls of {narrowed} fail the same way?", rows.len());
        if m.fails(&rows)? {
            found = Some(rows.clone());
        }
    }
    let all: Vec<Row> = calls.iter().map(Call::row).collect();
    let mut n = 32;
    while found.is_none() {
        let n_now = n.min(all.len());
        let tail = all[all.len() - n_now..].to_vec();
        eprintln!("xtask: does replaying the last {n_now} calls of the run fail the same way?");
        if m.fails(&tail)? {
            narrowed = format!("the last {n_now} calls of the run");
            found = Some(tail);
            break;
        }
        if n_now == all.len() || m.trials >= MAX_TRIALS / 2 {
            break;
        }
        n *= 4;
    }
    println!("fuzz: narrowed to {narrowed}");
    let (list, reproduces) = match found {
        Some(tail) => {
            let min = m.ddmin(tail)?;
            (min, true)
        }
        None if !rows.is_empty() => (rows, false),
        None => (all[all.len().saturating_sub(256)..].to_vec(), false),
    };
    let c_path = crate::root().join(format!("build/fuzz/repro-{}.c", o.seed));
    let bin = crate::root().join(format!("build/fuzz/repro-{}", o.seed));
    std::fs::write(&c_path, repro_source(&list, &o, &failure, reproduces)?)
        .map_err(|e| format!("{}: {e}", c_path.display()))?;
    build::compile(&c_path, &bin)?;
    println!(
        "fuzz: reproducer ({} calls, {}; {} trial boots):",
        list.len(),
        if reproduces { "fails the same way" } else { "did NOT fail the same way when replayed" },
        m.trials
    );
    for c in &list {
        println!("    [thread {}] {}", c[0], describe(&c[1..], &names));
    }
    println!("fuzz: wrote {}", c_path.display());
    println!("fuzz: run it with: cargo xtask exec build/fuzz/repro-{}", o.seed);
    Ok(1)
}

struct Minimizer<'a> {
    kernel: &'a Path,
    target: &'a Failure,
    trials: usize,
    tmp: TempDir,
}

impl Minimizer<'_> {
    /// Whether replaying `calls` fails as the fuzzing run did.
    fn fails(&mut self, calls: &[Row]) -> Result<bool> {
        self.trials += 1;
        let c = self.tmp.path().join("repro.c");
        let bin = self.tmp.path().join("repro");
        std::fs::write(&c, repro_source(calls, &DUMMY, self.target, true)?).map_err(|e| e.to_string())?;
        build::compile_now(&c, &bin)?;
        let run = boot(self.kernel, &bin, vec![], Some(REPRO_TIMEOUT), false)?;
        Ok(judge(&run).is_some_and(|f| f.same_kind(self.target)))
    }

    /// Zeller's ddmin: a 1-minimal sublist (in the trial budget) that
    /// still fails.
    fn ddmin(&mut self, mut list: Vec<Row>) -> Result<Vec<Row>> {
        let mut n = 2;
        while list.len() >= 2 && self.trials < MAX_TRIALS {
            let chunk = list.len().div_ceil(n);
            let mut reduced = false;
            for i in 0..n {
                let (lo, hi) = (i * chunk, ((i + 1) * chunk).min(list.len()));
                if lo >= hi || self.trials >= MAX_TRIALS {
                    continue;
                }
                let complement: Vec<_> = list[..lo].iter().chain(&list[hi..]).copied().collect();
                eprintln!(
                    "xtask: minimising: {} calls, trying {} ({} trials)",
                    list.len(),
                    complement.len(),
                    self.trials
                );
                if self.fails(&complement)? {
                    list = complement;
                    reduced = true;
                    break;
                }
            }
            if reduced {
                n = (n - 1).max(2);
                continue;
            }
            if n >= list.len() {
                break;
            }
            n = (2 * n).min(list.len());
        }
        Ok(list)
    }
}

const DUMMY: Opts = Opts { calls: 0, seed: 0, procs: 0, threads: 0, per_worker: 0, trace: false, minimize: false };

/// A standalone C program: fuzz_common.h, the calls, a main.
fn repro_source(calls: &[Row], o: &Opts, failure: &Failure, reproduces: bool) -> Result<String> {
    let common_path = crate::root().join("user/fuzz/fuzz_common.h");
    let common = std::fs::read_to_string(&common_path).map_err(|e| format!("{}: {e}", common_path.display()))?;
    let names = names();
    let mut s = String::new();
    let _ = writeln!(s, "/*");
    let _ = writeln!(s, " * Reproducer written by `cargo xtask fuzz` ({}).", o.command());
    let _ = writeln!(s, " * The fuzzing run failed with: {}", failure.to_string().replace("*/", "* /"));
    if !reproduces {
        let _ = writeln!(s, " * (These calls alone did not fail the same way when tried.)");
    }
    let _ = writeln!(s, " * Build and run: cargo xtask exec build/fuzz/repro-{}", o.seed);
    let _ = writeln!(
        s,
        " * (xtask compiles it: musl-gcc -static -O2 -o build/fuzz/repro-{0} build/fuzz/repro-{0}.c)",
        o.seed
    );
    let _ = writeln!(s, " */\n");
    let clone_path = crate::root().join("user/include/raw_clone.h");
    let clone = std::fs::read_to_string(&clone_path).map_err(|e| format!("{}: {e}", clone_path.display()))?;
    s.push_str(&common.replace("#include \"raw_clone.h\"\n", &clone));
    let _ = writeln!(s, "\n/* {{ thread, number, arguments }}: thread 0 is the worker's first thread. */");
    let _ = writeln!(s, "static const uint64_t calls[][8] = {{");
    for c in calls {
        let vals: Vec<String> = c.iter().map(|v| format!("{v:#x}")).collect();
        let _ = writeln!(s, "\t{{ {} }}, /* {} */", vals.join(", "), describe(&c[1..], &names).replace("*/", "* /"));
    }
    let _ = writeln!(s, "}};\n");
    let _ = writeln!(s, "int main(void)\n{{\n\treturn fz_replay(calls, sizeof calls / sizeof calls[0]);\n}}");
    Ok(s)
}
