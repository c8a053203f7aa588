//! `cargo xtask bench`: the same benchmark binaries (`user/bench`) under Tine
//! and under Debian's Linux kernel, in identical QEMU machines, side by side.
//!
//! One initramfs serves both kernels: `/init` is `user/bench/init.c`, which
//! runs `/bin/bench all <the words of /bench/args>` and powers off;
//! `/bin/bench` (user/bench/bench.c) runs each benchmark in a fresh process
//! and prints one line per result on the console (COM1):
//!
//! ```text
//! bench NAME UNIT MEDIAN_NS MIN_NS MAX_NS ITERS_PER_BATCH BATCHES
//! ```
//!
//! Each kernel boots in the same machine (`-m 2G -smp 1`, the same `-cpu`
//! and accelerator; only `-kernel` and `-append` differ). Linux boots twice:
//! as Debian ships it (transparent huge pages `always`) and with
//! `transparent_hugepage=never`. xtask timestamps the guest's `clock start`
//! and `clock end` lines on arrival, to check the guest clock against the
//! host's for the whole run. Results: a table on stdout, and
//! build/bench/results.json, results.md and fork-memory.svg. See docs/bench.md.

mod profile;
mod report;

use report::{count, human, merge_json, qemu_version, utc_date, with_sub_rows, Report};

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use crate::build;

use crate::child::{read_all, Child, Wait};
use crate::qemu::{self, Accel, Com1, Com2, Qemu};
use crate::{root, GuestStdio, Payload, Result};

/// Shown after `bench --help`.
pub const AFTER_HELP: &str = "\
A FILTER selects the benchmarks whose name contains it. Linux is Debian's
linux-image-amd64 (installed when missing). See docs/bench.md.

Environment:
  TINE_BENCH_LINUX=IMAGE  the Linux image (default: the newest /boot/vmlinuz-*)
  TINE_ACCEL=kvm          as --kvm
  TINE_KERNEL, TINE_CMDLINE as for the other commands";

/// `cargo xtask bench`.
#[derive(clap::Args)]
pub struct Args {
    /// Short batches: a one-minute check that it all works (CI)
    #[arg(long)]
    quick: bool,
    /// KVM for both kernels if both boot under it (else TCG for both); the
    /// default is TCG for both
    #[arg(long, overrides_with = "tcg")]
    kvm: bool,
    /// TCG for both kernels (the default; overrides TINE_ACCEL=kvm)
    #[arg(long, overrides_with = "kvm")]
    tcg: bool,
    /// Count instructions instead of time: both kernels under TCG with
    /// `-icount shift=0,sleep=off`, where one guest nanosecond is one
    /// executed instruction, so that the numbers are the same on every run
    /// whatever the host's load
    #[arg(long, conflicts_with_all = ["kvm", "profile"])]
    icount: bool,
    /// Boot each kernel N times, alternating
    #[arg(long, value_name = "N", default_value_t = 1)]
    rounds: usize,
    /// Length of one batch in the guest, in milliseconds [default: 300, 10
    /// with --quick]
    #[arg(long = "time", value_name = "MS")]
    time_ms: Option<f64>,
    /// Batches per benchmark [default: 5, 1 with --quick]
    #[arg(long, value_name = "N")]
    batches: Option<u32>,
    /// Do not boot Linux
    #[arg(long)]
    tine_only: bool,
    /// Do not boot Linux a second time with transparent_hugepage=never
    #[arg(long)]
    no_nothp: bool,
    /// Sample Tine's kernel with QEMU's gdbstub while the benchmarks run
    /// (default FILTER: fork_exit_wait) and print where the time goes, by
    /// function and by phase
    #[arg(long)]
    profile: bool,
    /// Run only the benchmarks whose name contains one of these
    #[arg(value_name = "FILTER")]
    filters: Vec<String>,
}

/// The machine both kernels run in.
pub const MEMORY: &str = "2G";
/// `--quick` skips the rows that need more processes alive than this.
const QUICK_MAXPROCS: u32 = 1000;

/// Give up on a boot when the console has been silent this long.
const SILENCE: Duration = Duration::from_secs(900);
const SILENCE_QUICK: Duration = Duration::from_secs(300);
const PROBE_SILENCE: Duration = Duration::from_secs(60);

struct Options {
    quick: bool,
    kvm: bool,
    icount: bool,
    rounds: usize,
    time_ms: Option<f64>,
    batches: Option<u32>,
    linux: bool,
    nothp: bool,
    profile: bool,
    filters: Vec<String>,
}

impl From<Args> for Options {
    fn from(a: Args) -> Options {
        Options {
            quick: a.quick,
            kvm: !a.icount && (a.kvm || (!a.tcg && std::env::var("TINE_ACCEL").as_deref() == Ok("kvm"))),
            icount: a.icount,
            rounds: a.rounds.max(1),
            time_ms: a.time_ms,
            batches: a.batches.map(|b| b.max(1)),
            linux: !a.tine_only,
            nothp: !a.no_nothp,
            profile: a.profile,
            filters: a.filters,
        }
    }
}

/// The benchmark programs, built into build/bench/.
pub struct Programs {
    pub init: PathBuf,
    pub bench: PathBuf,
    pub tiny: PathBuf,
}

pub fn programs() -> Result<Programs> {
    let root = root();
    let out = root.join("build/bench");
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let src = root.join("user/bench");
    let one = |name: &str, bin: &str| -> Result<PathBuf> {
        let b = out.join(bin);
        build::compile(&src.join(format!("{name}.c")), &b)?;
        Ok(b)
    };
    Ok(Programs { init: one("init", "init")?, bench: one("bench", "bench")?, tiny: one("tiny", "tiny")? })
}

/// The initramfs both kernels boot: /init, /bin/bench, /bin/tiny, busybox
/// (when there is one: the sh_c row), /bench/args.
pub fn initramfs(p: &Programs, busybox: Option<&build::Busybox>, args: &str, out: &Path) -> Result<()> {
    let mut payload = Payload::program(p.init.clone(), vec![]);
    payload.program = None;
    payload.init = Some(p.init.clone());
    payload.extra_bin = vec![p.bench.clone(), p.tiny.clone()];
    payload.busybox = busybox.cloned();
    let mut fs = crate::make_initramfs(&payload)?;
    fs.file("/bench/args", 0o644, format!("{args}\n").into_bytes())?;
    std::fs::write(out, fs.to_bytes()).map_err(|e| format!("{}: {e}", out.display()))
}

/// Debian's Linux image: TINE_BENCH_LINUX, else the newest /boot/vmlinuz-*,
/// installing linux-image-amd64 when there is none.
pub fn linux_image() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os("TINE_BENCH_LINUX").filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        return if p.is_file() { Ok(p) } else { Err(format!("TINE_BENCH_LINUX={}: no such file", p.display())) };
    }
    let find = || -> Option<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir("/boot")
            .ok()?
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("vmlinuz-")))
            .collect();
        v.sort_by_key(|p| version_key(&p.file_name().unwrap().to_string_lossy()));
        v.pop()
    };
    let image = match find() {
        Some(p) => p,
        None => {
            build::apt_install("a Linux kernel image in /boot (for the side-by-side bench)", &["linux-image-amd64"])?;
            find().ok_or("no /boot/vmlinuz-* after apt-get install linux-image-amd64")?
        }
    };
    if std::fs::File::open(&image).is_err() {
        return Err(format!("{} is not readable; run: sudo chmod a+r {0}", image.display()));
    }
    Ok(image)
}

/// "vmlinuz-6.1.0-56-amd64" -> [6, 1, 0, 56, ...] for sorting.
fn version_key(name: &str) -> Vec<u64> {
    name.split(|c: char| !c.is_ascii_digit()).filter(|s| !s.is_empty()).map(|s| s.parse().unwrap_or(0)).collect()
}

/// A kernel configuration to boot.
#[derive(Clone)]
pub struct Target {
    /// "tine", "linux", "linux_nothp": the JSON keys.
    pub id: &'static str,
    pub label: String,
    pub image: PathBuf,
    pub cmdline: String,
}

pub fn tine_target(image: PathBuf) -> Target {
    Target { id: "tine", label: "Tine".into(), image, cmdline: crate::cmdline(GuestStdio::Pipe) }
}

fn linux_targets(image: &Path, nothp: bool) -> Vec<Target> {
    // quiet: only our lines on the console; panic=-1: a failing /init
    // reboots, which -no-reboot turns into QEMU exiting.
    let base = "console=ttyS0 quiet panic=-1 rdinit=/init";
    let mut v = vec![Target { id: "linux", label: "Linux".into(), image: image.to_path_buf(), cmdline: base.into() }];
    if nothp {
        v.push(Target {
            id: "linux_nothp",
            label: "Linux THP=never".into(),
            image: image.to_path_buf(),
            cmdline: format!("{base} transparent_hugepage=never"),
        });
    }
    v
}

/// What a benchmark's nanoseconds are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Measure {
    /// Time, as the guest's clock shows it.
    Wall,
    /// Executed instructions: QEMU's `-icount shift=0` makes the guest's
    /// clock advance one nanosecond per instruction, and `sleep=off` lets
    /// an idle guest skip to its next timer at once instead of waiting in
    /// real time, so that nothing of the host shows in the numbers.
    Icount,
}

impl Measure {
    const ICOUNT_ARGS: [&'static str; 2] = ["-icount", "shift=0,sleep=off"];

    fn args(self) -> &'static [&'static str] {
        match self {
            Measure::Wall => &[],
            Measure::Icount => &Self::ICOUNT_ARGS,
        }
    }

    /// The key of this measure's section in results.json.
    fn key(self) -> &'static str {
        match self {
            Measure::Wall => "wall",
            Measure::Icount => "icount",
        }
    }

    /// A value of this measure: "12.3 µs" or "12.3 k" (instructions);
    /// a row in bytes (`mem_per_proc`) is shown in KiB whatever the measure.
    pub fn show(self, v: f64, unit: &str) -> String {
        match (self, unit) {
            (_, "byte") if v.is_finite() => format!("{:.1} KiB", v / 1024.0),
            (Measure::Wall, _) => human(v),
            (Measure::Icount, _) => count(v),
        }
    }
}

/// The QEMU machine: identical for every kernel but for -kernel and -append.
/// COM1 (the console) is on QEMU's stdout, our pipe; COM2 (the kernel log:
/// Tine's; Linux leaves it unused) goes to the file `log`.
pub fn qemu_machine(accel: Accel, measure: Measure, t: &Target, initrd: &Path, log: &Path) -> Qemu {
    let mut q = Qemu::new(&t.image, initrd, &t.cmdline, accel)
        .memory(MEMORY)
        .smp(qemu::smp())
        .com1(Com1::Stdout)
        .com2(Com2::File(log.to_path_buf()));
    for a in measure.args() {
        q = q.arg(*a);
    }
    q
}

pub fn machine_text(accel: Accel, measure: Measure) -> String {
    let mut words: Vec<&str> = accel.args().to_vec();
    if accel == Accel::Tcg && qemu::smp() > 1 && measure.args().is_empty() {
        words[1] = "tcg,thread=multi";
    }
    words.extend(measure.args());
    format!("-m {MEMORY} -smp {} {}", qemu::smp(), words.join(" "))
}

/// What one boot printed, each console line with the host time (seconds
/// since QEMU started) it arrived at.
pub struct Boot {
    pub lines: Vec<(f64, String)>,
    /// QEMU's stderr.
    pub qemu_err: String,
    /// Why the boot did not end with `bench-done` (None: it did).
    pub error: Option<String>,
    pub wall: f64,
}

/// Collects a boot's console until `bench-done` and QEMU's exit, or
/// silence for `silence`, or QEMU's exit.
pub fn collect(child: Child, silence: Duration, echo: bool) -> Boot {
    collect_with(child, silence, echo, &|_| {})
}

/// Why [`collect_with`] killed QEMU.
enum Stop {
    /// `bench-done`, but the kernel did not power off.
    Lingered,
    /// No console output for the limit.
    Silent,
}

/// [`collect`], calling `on_line` with each console line as it arrives.
pub fn collect_with(mut child: Child, silence: Duration, echo: bool, on_line: &dyn Fn(&str)) -> Boot {
    let start = Instant::now();
    let (tx, rx) = mpsc::channel::<(f64, String)>();
    let out = child.inner.stdout.take().unwrap();
    let reader = thread::spawn(move || {
        let mut r = BufReader::new(out);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match r.read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    let t = start.elapsed().as_secs_f64();
                    let line = String::from_utf8_lossy(&buf).trim_end_matches(['\n', '\r']).to_string();
                    if tx.send((t, line)).is_err() {
                        break;
                    }
                }
            }
        }
    });
    let err_reader = read_all(child.inner.stderr.take().unwrap());
    let mut lines = Vec::new();
    let mut error = None;
    let mut done_at: Option<Instant> = None;
    let mut last = Instant::now();
    let waited = child.wait_or_kill(Some(&rx), |event| {
        if let Some((t, line)) = event {
            last = Instant::now();
            if echo {
                eprintln!("  | {line}");
            }
            on_line(&line);
            if line.starts_with("bench-done") {
                done_at = Some(Instant::now());
            }
            if line.contains("Kernel panic") && error.is_none() {
                error = Some(format!("Linux: {line}"));
            }
            lines.push((t, line));
        }
        if done_at.is_some_and(|d| d.elapsed() > Duration::from_secs(20)) {
            Some(Stop::Lingered)
        } else if last.elapsed() > silence {
            Some(Stop::Silent)
        } else {
            None
        }
    });
    let status = match waited {
        Ok(Wait::Exited(s)) => Some(s),
        Ok(Wait::Killed(Stop::Lingered)) | Err(_) => None,
        Ok(Wait::Killed(Stop::Silent)) => {
            error = Some(format!("no console output for {} s; QEMU killed", silence.as_secs()));
            None
        }
    };
    // Drain what is left.
    while let Ok((t, line)) = rx.recv_timeout(Duration::from_millis(200)) {
        lines.push((t, line));
    }
    let wall = start.elapsed().as_secs_f64();
    let _ = reader.join();
    let qemu_err = err_reader.recv().map(|e| String::from_utf8_lossy(&e).into_owned()).unwrap_or_default();
    if error.is_none() && !lines.iter().any(|(_, l)| l.starts_with("bench-done")) {
        error = Some(format!(
            "QEMU ended ({}) without a bench-done line",
            status.map(|s| s.to_string()).unwrap_or_else(|| "killed".into())
        ));
    }
    Boot { lines, qemu_err, error, wall }
}

/// One result line.
#[derive(Clone, Debug)]
pub struct Row {
    pub unit: String,
    pub median: f64,
    pub min: f64,
    pub max: f64,
    pub iters: u64,
    pub batches: u64,
}

/// A boot's parsed output.
#[derive(Default)]
pub struct Parsed {
    pub rows: BTreeMap<String, Row>,
    /// The rows' names in the order they came.
    pub order: Vec<String>,
    pub skips: Vec<(String, String)>,
    pub fails: Vec<String>,
    pub info: Vec<String>,
    /// (guest seconds, host seconds) between `clock start` and `clock end`.
    pub clock: Option<(f64, f64)>,
}

pub fn parse_boot(b: &Boot) -> Parsed {
    let mut p = Parsed::default();
    let mut start = None;
    for (t, line) in &b.lines {
        let w: Vec<&str> = line.split_whitespace().collect();
        match w.as_slice() {
            ["bench", name, unit, med, min, max, iters, batches] => {
                let f = |s: &str| s.parse::<f64>().unwrap_or(f64::NAN);
                p.order.push(name.to_string());
                p.rows.insert(
                    name.to_string(),
                    Row {
                        unit: unit.to_string(),
                        median: f(med),
                        min: f(min),
                        max: f(max),
                        iters: iters.parse().unwrap_or(0),
                        batches: batches.parse().unwrap_or(0),
                    },
                );
            }
            ["skip", name, rest @ ..] => p.skips.push((name.to_string(), rest.join(" "))),
            ["fail", ..] => p.fails.push(line.clone()),
            ["info", rest @ ..] => p.info.push(rest.join(" ")),
            ["clock", "start", ns] => start = ns.parse::<f64>().ok().map(|ns| (ns, *t)),
            ["clock", "end", ns] => {
                if let (Some((g0, h0)), Ok(g1)) = (start, ns.parse::<f64>()) {
                    p.clock = Some(((g1 - g0) / 1e9, t - h0));
                }
            }
            _ => {}
        }
    }
    p
}

/// A target's rounds combined: median of the medians, min of the minima,
/// max of the maxima.
fn combine(runs: &[Parsed], name: &str) -> Option<Row> {
    let rows: Vec<&Row> = runs.iter().filter_map(|r| r.rows.get(name)).collect();
    let first = rows.first()?;
    let mut meds: Vec<f64> = rows.iter().map(|r| r.median).collect();
    meds.sort_by(|a, b| a.total_cmp(b));
    let n = meds.len();
    let median = if n % 2 == 1 { meds[n / 2] } else { (meds[n / 2 - 1] + meds[n / 2]) / 2.0 };
    Some(Row {
        unit: first.unit.clone(),
        median,
        min: rows.iter().map(|r| r.min).fold(f64::INFINITY, f64::min),
        max: rows.iter().map(|r| r.max).fold(0.0, f64::max),
        iters: first.iters,
        batches: rows.iter().map(|r| r.batches).sum(),
    })
}

/// The benchmark names in order, from the bench binary itself (it is
/// static, so it runs on the host).
fn bench_names(bench: &Path) -> Result<Vec<String>> {
    let out = Command::new(bench)
        .arg("list")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{} list: {e}", bench.display()))?;
    Ok(String::from_utf8_lossy(&out.stdout).lines().map(str::to_string).collect())
}

pub fn guest_args(o_quick: bool, time_ms: Option<f64>, batches: Option<u32>, filters: &[String]) -> String {
    let (t, b) = if o_quick { (10.0, 1) } else { (300.0, 5) };
    let mut words = vec![format!("time={}", time_ms.unwrap_or(t)), format!("batches={}", batches.unwrap_or(b))];
    if o_quick {
        // The +10k rows, 10,000-process creation and the fork bomb take
        // minutes under TCG: not for a one-minute check.
        words.push(format!("maxprocs={QUICK_MAXPROCS}"));
    }
    words.extend(filters.iter().cloned());
    words.join(" ")
}

fn bench_dir() -> Result<PathBuf> {
    let d = root().join("build/bench");
    std::fs::create_dir_all(&d).map_err(|e| format!("{}: {e}", d.display()))?;
    Ok(d)
}

/// Boots `t` once with the benchmark initramfs; saves its console and log.
fn run_target(
    accel: Accel,
    measure: Measure,
    t: &Target,
    initrd: &Path,
    silence: Duration,
    tag: &str,
) -> Result<(Boot, Parsed)> {
    let dir = bench_dir()?;
    let log = dir.join(format!("{}{tag}.log", t.id));
    let how = if measure == Measure::Icount { ", counting instructions" } else { "" };
    eprintln!("xtask: bench: booting {} ({}{how})", t.label, t.image.display());
    let child = qemu_machine(accel, measure, t, initrd, &log).spawn()?;
    let boot = collect(child, silence, false);
    let console: String = boot.lines.iter().map(|(t, l)| format!("{t:9.3} {l}\n")).collect();
    let _ = std::fs::write(dir.join(format!("{}{tag}.console", t.id)), console);
    let parsed = parse_boot(&boot);
    match &boot.error {
        None => eprintln!("xtask: bench: {} done in {:.1} s, {} results", t.label, boot.wall, parsed.rows.len()),
        Some(e) => {
            eprintln!("xtask: bench: {}: {e}", t.label);
            if !boot.qemu_err.trim().is_empty() {
                eprintln!("{}", boot.qemu_err.trim_end());
            }
            if t.id == "tine" {
                let text = std::fs::read_to_string(&log).unwrap_or_default();
                let tail: Vec<&str> = text.lines().rev().take(20).collect();
                for l in tail.iter().rev() {
                    eprintln!("  log| {l}");
                }
            }
        }
    }
    for f in &parsed.fails {
        eprintln!("xtask: bench: {}: {f}", t.label);
    }
    Ok((boot, parsed))
}

/// Whether `t` boots under KVM and runs /init (Debian's Linux hangs early
/// under some KVMs).
fn linux_boots_under_kvm(t: &Target, p: &Programs, busybox: Option<&build::Busybox>) -> Result<bool> {
    let dir = bench_dir()?;
    let initrd = dir.join("probe.cpio");
    initramfs(p, busybox, "probe", &initrd)?;
    let child = qemu_machine(Accel::Kvm, Measure::Wall, t, &initrd, &dir.join("probe.log")).spawn()?;
    let boot = collect(child, PROBE_SILENCE, false);
    Ok(boot.error.is_none())
}

pub fn main(args: Args) -> Result<i32> {
    let o = Options::from(args);
    build::ensure_host_tools()?;
    let kernel = build::kernel()?;
    let progs = programs()?;
    // Busybox only for the sh_c row: optional.
    let busybox =
        if build::is_root() || Path::new(build::BUSYBOX).exists() { build::busybox().ok().cloned() } else { None };
    if o.profile {
        return profile::main(&kernel, &progs, busybox.as_ref(), &o.filters, o.quick, o.time_ms, o.batches);
    }
    let names = bench_names(&progs.bench)?;
    let selected: Vec<String> = names
        .iter()
        .filter(|n| o.filters.is_empty() || o.filters.iter().any(|f| n.contains(f.as_str())))
        .cloned()
        .collect();
    if selected.is_empty() {
        return Err(format!("no benchmark matches {:?}; there are: {}", o.filters, names.join(" ")));
    }

    let mut targets = vec![tine_target(kernel.clone())];
    let mut linux_release = None;
    if o.linux {
        let image = linux_image()?;
        linux_release = image.file_name().map(|n| n.to_string_lossy().trim_start_matches("vmlinuz-").to_string());
        targets.extend(linux_targets(&image, o.nothp));
    }

    let mut accel = Accel::Tcg;
    if o.kvm {
        accel = if qemu::accel(&kernel) != Accel::Kvm {
            eprintln!("xtask: bench: Tine cannot use KVM here; both kernels under TCG");
            Accel::Tcg
        } else if o.linux && !linux_boots_under_kvm(&targets[1], &progs, busybox.as_ref())? {
            eprintln!("xtask: bench: Linux does not boot under KVM here; both kernels under TCG");
            Accel::Tcg
        } else {
            Accel::Kvm
        };
    }

    let measure = if o.icount { Measure::Icount } else { Measure::Wall };
    let dir = bench_dir()?;
    let initrd = dir.join("bench.cpio");
    let gargs = guest_args(o.quick, o.time_ms, o.batches, &o.filters);
    initramfs(&progs, busybox.as_ref(), &gargs, &initrd)?;
    let silence = if o.quick { SILENCE_QUICK } else { SILENCE };

    let started = SystemTime::now();
    let host_start = Instant::now();
    let mut runs: BTreeMap<&'static str, Vec<Parsed>> = BTreeMap::new();
    let mut boots: BTreeMap<&'static str, Vec<(f64, Option<String>)>> = BTreeMap::new();
    for round in 0..o.rounds {
        // Alternate the order each round, so that a drifting host load
        // does not always favour the same kernel.
        let mut order: Vec<&Target> = targets.iter().collect();
        if round % 2 == 1 {
            order.reverse();
        }
        for t in order {
            let tag = if o.rounds > 1 { format!("-{round}") } else { String::new() };
            let (boot, parsed) = run_target(accel, measure, t, &initrd, silence, &tag)?;
            boots.entry(t.id).or_default().push((boot.wall, boot.error.clone()));
            runs.entry(t.id).or_default().push(parsed);
        }
    }
    let host_total = host_start.elapsed().as_secs_f64();
    let selected = with_sub_rows(selected, &runs);

    let report = Report {
        date: utc_date(started),
        accel,
        measure,
        qemu: qemu_version(),
        linux_release,
        targets: targets.clone(),
        selected,
        runs,
        boots,
        gargs,
        rounds: o.rounds,
        host_total,
        loadavg: std::fs::read_to_string("/proc/loadavg").unwrap_or_default().trim().to_string(),
    };
    let table = report.table();
    println!("{table}");
    let write = |name: &str, text: String| std::fs::write(dir.join(name), text).map_err(|e| format!("{name}: {e}"));
    // results.json keeps the other measure's section from its last run.
    let json_path = dir.join("results.json");
    let previous = std::fs::read_to_string(&json_path).ok();
    write("results.json", merge_json(previous.as_deref(), measure, &report.json()))?;
    let written = match measure {
        Measure::Wall => {
            write("results.md", report.markdown())?;
            write("fork-memory.svg", report.svg())?;
            "results.json, results.md, fork-memory.svg"
        }
        Measure::Icount => {
            write("results-icount.md", report.markdown())?;
            "results.json (its \"icount\" section), results-icount.md"
        }
    };
    eprintln!("xtask: bench: wrote build/bench/{written} ({host_total:.0} s in all)");
    let failed = report.boots.values().flatten().any(|(_, e)| e.is_some())
        || report.runs.values().flatten().any(|p| !p.fails.is_empty());
    Ok(if failed { 1 } else { 0 })
}
