//! `cargo xtask test`: host unit tests, then every `user/tests/*.c` and
//! `user/tests/*.sh` run natively (the reference) and under Tine; output
//! bytes and status must match.
//!
//! A C test runs as `/bin/<name> [ARGS]`. A shell test `<name>.sh` runs as
//! `/bin/busybox sh <name>.sh [ARGS]` with the script in the cwd (a temp
//! dir natively, `/` under Tine) and Debian's static busybox at
//! /bin/busybox in both worlds (the very same binary), its applets linked
//! in /bin under Tine.
//!
//! A `// linux-ref` test's reference is Debian's Linux running it
//! (`linuxref`), both outputs normalised.
//!
//! A session test `<name>.session` has no native run: Tine boots as `run`
//! boots it and a script types on the console and waits for output (see
//! `session.rs`).

use std::ffi::OsString;
use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::thread;
use std::time::Duration;

use crate::build::{self, UserProgram};
use crate::child;
use crate::qemu::{self, Accel, Boot, Console, Outcome, Status};
use crate::rootfs::{self, Rootfs};
use crate::session;
use crate::{Payload, Result, TempDir};

const PARALLEL: usize = 2;
const LOG_TAIL: usize = 30;
/// What a session with `rootfs NAME` gets on top of `TINE_TIMEOUT`.
const ROOTFS_EXTRA_TIME: Duration = Duration::from_secs(120);

struct Case {
    name: String,
    kind: Kind,
    args: Vec<String>,
    /// Busybox and its applet links in /bin under Tine.
    busybox: bool,
    /// `// tine-only`: no native run; the output must be this file's
    /// contents and the exit status 0.
    expected: Option<PathBuf>,
    /// `// linux-ref`: the test's source; the reference is Debian's Linux
    /// running it (`linuxref`), both outputs normalised.
    linux_ref: Option<PathBuf>,
    /// `// gdb-core: FUNCTION`: no native run; the output is a core file
    /// in hex, and `gdb -batch -ex bt` on it must show FUNCTION.
    gdb_core: Option<String>,
    /// `// kernel-args: WORD...`: more words on Tine's command line.
    kernel_args: Vec<String>,
    /// `// expect-panic: REGEX`: no native run; Tine must panic with a
    /// `KERNEL PANIC:` log line matching REGEX.
    expect_panic: Option<String>,
    /// `// dlopen: LIB...`: libraries the (dynamically linked) test opens.
    dlopen: Vec<String>,
    /// `// host: PATH...`: host files and trees at the same paths.
    host: Vec<String>,
    /// A session's `rootfs NAME`: it boots that root file system.
    rootfs: Option<Rootfs>,
    /// `// linux-args: WORD...`: more words on a `linux-ref` Linux's
    /// command line.
    linux_args: Vec<String>,
    /// `// qemu-cpu: MODEL`: QEMU's `-cpu` for this case's machines.
    qemu_cpu: Option<String>,
}

enum Kind {
    /// A C test's binary, run as /bin/<name>.
    C(PathBuf),
    /// A shell test's script, run as /bin/busybox sh <name>.sh.
    Shell(PathBuf),
    /// A session script, played on the console of `run`'s machine.
    Session(PathBuf),
}

/// Every `user/tests/*.<ext>`, sorted by name: (name, path).
fn tests_with_ext(ext: &str) -> Result<Vec<(String, PathBuf)>> {
    let dir = crate::root().join("user/tests");
    let Ok(rd) = std::fs::read_dir(&dir) else {
        return Ok(vec![]);
    };
    let mut v = Vec::new();
    for e in rd {
        let path = e.map_err(|e| format!("{}: {e}", dir.display()))?.path();
        if path.extension().is_some_and(|x| x == ext) {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            v.push((name, path));
        }
    }
    v.sort();
    Ok(v)
}

/// `cargo xtask test`.
#[derive(clap::Args)]
pub struct Args {
    /// Use TCG, without probing KVM
    #[arg(long)]
    tcg: bool,
    /// How many QEMUs (tests) run at once
    #[arg(short = 'j', long = "jobs", value_name = "N", default_value_t = PARALLEL,
          value_parser = jobs)]
    jobs: usize,
    /// Run every chosen case N times (a stress run: a race that shows once
    /// in many runs); each failure names its round
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = jobs)]
    repeat: usize,
    /// Run only the tests whose name contains one of the FILTERs (and skip
    /// the host unit tests)
    #[arg(value_name = "FILTER")]
    filter: Vec<String>,
}

/// `-j N`: 1 or more.
fn jobs(s: &str) -> std::result::Result<usize, String> {
    match s.parse() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err("N must be a whole number, 1 or more".into()),
    }
}

pub fn main(a: Args) -> Result<i32> {
    let Args { tcg, jobs, repeat, filter } = a;
    if tcg {
        qemu::force_accel(Accel::Tcg);
    }

    // (1) Host unit tests (skipped when a filter picks cases).
    let mut unit_ok = true;
    if filter.is_empty() {
        eprintln!("xtask: cargo test -p tine-core -p xtask");
        let status = build::cargo()
            .current_dir(crate::root())
            .args(["test", "-p", "tine-core", "-p", "xtask"])
            .stdin(Stdio::null())
            .status()
            .map_err(|e| format!("cargo test: {e}"))?;
        if !status.success() {
            eprintln!("xtask: host unit tests failed ({status})");
            unit_ok = false;
        }
    }

    // (2) Build.
    build::ensure_host_tools()?;
    let kernel = build::kernel()?;
    let progs = build::user_programs()?;
    let mut cases: Vec<Case> = progs
        .into_iter()
        .filter(|p: &UserProgram| p.is_test)
        .map(|p| {
            let d = build::directives(&p.source);
            Case {
                args: d.args,
                busybox: d.busybox,
                expected: d.tine_only.then(|| p.source.with_extension("expected")),
                linux_ref: d.linux_ref.then(|| p.source.clone()),
                gdb_core: d.gdb_core,
                kernel_args: d.kernel_args,
                expect_panic: d.expect_panic,
                dlopen: d.dlopen,
                host: d.host,
                rootfs: None,
                linux_args: d.linux_args,
                qemu_cpu: d.qemu_cpu,
                name: p.name,
                kind: Kind::C(p.binary),
            }
        })
        .collect();
    for (name, script) in tests_with_ext("sh")? {
        if cases.iter().any(|c| c.name == name) {
            return Err(format!("user/tests has both {name}.c and {name}.sh"));
        }
        cases.push(Case {
            args: build::directives(&script).args,
            busybox: true,
            expected: None,
            linux_ref: None,
            gdb_core: None,
            kernel_args: vec![],
            expect_panic: None,
            dlopen: vec![],
            host: vec![],
            rootfs: None,
            linux_args: vec![],
            qemu_cpu: None,
            name,
            kind: Kind::Shell(script),
        });
    }
    for (name, script) in tests_with_ext("session")? {
        if cases.iter().any(|c| c.name == name) {
            return Err(format!("user/tests has another test named {name}"));
        }
        // (A script that does not parse fails when it runs.)
        let rootfs = session::Script::load(&script).ok().and_then(|s| s.rootfs);
        cases.push(Case {
            args: vec![],
            busybox: true,
            expected: None,
            linux_ref: None,
            gdb_core: None,
            kernel_args: vec![],
            expect_panic: None,
            dlopen: vec![],
            host: vec![],
            rootfs,
            linux_args: vec![],
            qemu_cpu: None,
            name,
            kind: Kind::Session(script),
        });
    }
    cases.retain(|c| filter.is_empty() || filter.iter().any(|f| c.name.contains(f.as_str())));
    // The sessions' machine: `run`'s initramfs, written once.
    let session_dir = TempDir::new("session")?;
    let session_initrd = if cases.iter().any(|c| matches!(c.kind, Kind::Session(_)) && c.rootfs.is_none()) {
        Some(crate::write_initramfs(&crate::run_payload(None, vec![], vec![])?, &session_dir)?)
    } else {
        None
    };
    // `run --rootfs debian`'s, for the sessions that ask for it (built
    // with mmdebstrap first if it is not cached: about a minute and a half).
    let debian_dir = TempDir::new("debian")?;
    let debian_initrd = if cases.iter().any(|c| c.rootfs == Some(Rootfs::Debian)) {
        Some(rootfs::write_initramfs(Rootfs::Debian, &[], &debian_dir)?)
    } else {
        None
    };
    let busybox = if cases.iter().any(|c| c.busybox) { Some(build::busybox()?) } else { None };

    // (3) Run the cases, `jobs` at a time (two by default).
    let launcher = build::native_launcher()?;
    let timeout = qemu::timeout()?;
    let accel = if cases.is_empty() { Accel::Tcg } else { qemu::accel(&kernel) };
    if !cases.is_empty() {
        let rounds = if repeat > 1 { format!(", {repeat} times each") } else { String::new() };
        eprintln!("xtask: {} case(s) under Tine ({}){rounds}", cases.len(), accel.name());
    }
    let ctx = Ctx {
        kernel: &kernel,
        launcher: &launcher,
        accel,
        timeout,
        busybox,
        session_initrd: session_initrd.as_deref(),
        debian_initrd: debian_initrd.as_deref(),
    };
    let next = AtomicUsize::new(0);
    let passed = AtomicUsize::new(0);
    let failed = AtomicUsize::new(0);
    let print = Mutex::new(());
    thread::scope(|s| {
        for _ in 0..jobs.min(cases.len() * repeat) {
            s.spawn(|| loop {
                // Round by round: every case once, then every case again.
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= cases.len() * repeat {
                    break;
                }
                let case = &cases[i % cases.len()];
                let round =
                    if repeat > 1 { format!(" (round {} of {repeat})", i / cases.len() + 1) } else { String::new() };
                let report = run_case(case, &ctx);
                let _guard = print.lock().unwrap();
                let mut out = std::io::stdout().lock();
                match report {
                    Ok(()) => {
                        passed.fetch_add(1, Ordering::Relaxed);
                        let _ = writeln!(out, "PASS {}{round}", case.name);
                    }
                    Err(why) => {
                        failed.fetch_add(1, Ordering::Relaxed);
                        let _ = writeln!(out, "FAIL {}{round}", case.name);
                        let _ = out.write_all(why.as_bytes());
                    }
                }
                let _ = out.flush();
            });
        }
    });
    let (passed, failed) = (passed.into_inner(), failed.into_inner());
    println!("{passed} passed, {failed} failed");
    Ok(if failed == 0 && unit_ok { 0 } else { 1 })
}

/// What every case runs with.
struct Ctx<'a> {
    kernel: &'a Path,
    launcher: &'a Path,
    accel: Accel,
    timeout: Option<Duration>,
    busybox: Option<&'static build::Busybox>,
    /// The initramfs of the session tests (`run`'s).
    session_initrd: Option<&'a Path>,
    /// The initramfs of the sessions with `rootfs debian`.
    debian_initrd: Option<&'a Path>,
}

impl Case {
    /// The program (a host path, also its path on Tine, /bin/<basename>)
    /// and its argv after argv[0].
    fn command(&self) -> (PathBuf, Vec<String>) {
        match &self.kind {
            Kind::C(binary) => (binary.clone(), self.args.clone()),
            Kind::Session(_) => unreachable!("a session has no program"),
            Kind::Shell(_) => {
                let mut args = vec!["sh".to_string(), self.script_name()];
                args.extend(self.args.iter().cloned());
                (PathBuf::from(build::BUSYBOX), args)
            }
        }
    }

    /// `<name>.sh`, the script's path relative to the cwd.
    fn script_name(&self) -> String {
        format!("{}.sh", self.name)
    }
}

/// Runs one case both ways; `Err` holds the failure report.
fn run_case(case: &Case, ctx: &Ctx) -> std::result::Result<(), String> {
    if let Kind::Session(script) = &case.kind {
        return run_session(script, ctx);
    }
    if let (Some(function), Kind::C(binary)) = (&case.gdb_core, &case.kind) {
        return run_gdb_core(case, binary, function, ctx);
    }
    if let Some(re) = &case.expect_panic {
        return run_expect_panic(case, re, ctx);
    }
    let native = match (&case.expected, &case.linux_ref) {
        (Some(path), _) => std::fs::read(path)
            .map(|out| (out, Some(Status::Exited(0))))
            .map_err(|e| format!("{}: {e}", path.display())),
        (None, Some(source)) => crate::linuxref::reference(
            source,
            payload(case, ctx),
            ctx.accel,
            case.qemu_cpu.as_deref(),
            &case.linux_args,
        )
        .map(|(out, status)| (out, Some(status)))
        .map_err(|e| format!("under Linux: {e}")),
        (None, None) => run_native(case, ctx),
    };
    let tine = run_tine(case, ctx).map(|mut run| {
        if case.linux_ref.is_some() {
            run.console = crate::linuxref::normalize(&run.console);
        }
        run
    });
    let mut report = String::new();
    let (n_out, n_status) = match native {
        Ok(n) => n,
        Err(e) => {
            report.push_str(&format!("  native run: {e}\n"));
            (Vec::new(), None)
        }
    };
    let tine = match tine {
        Ok(t) => t,
        Err(e) => return Err(format!("{report}  tine run: {e}\n")),
    };
    let t_status = match tine.outcome {
        Outcome::Exited(ws) => Status::from_wait(ws),
        _ => None,
    };
    let same_status = n_status.is_some() && n_status == t_status;
    let same_output = n_out == tine.console;
    if let Some(leak) = leak_report(&tine.log) {
        report.push_str(&format!("  leak: {leak}\n"));
    }
    if report.is_empty() && same_status && same_output {
        return Ok(());
    }
    if !same_status {
        let native = n_status.map_or("no status".to_string(), |s| s.to_string());
        report.push_str(&format!("  status: native {native}, tine {}\n", qemu::outcome_text(tine.outcome)));
    }
    if !same_output {
        report.push_str(&diff(&n_out, &tine.console));
    }
    report.push_str(&log_tail(&tine.log));
    Err(report)
}

/// An `expect-panic` case: Tine alone; it must end in a kernel panic (QEMU
/// exited by the panic handler, not killed at the timeout) whose
/// panic's lines (from the first `KERNEL PANIC:` on) include one matching
/// `re`.
fn run_expect_panic(case: &Case, re: &str, ctx: &Ctx) -> std::result::Result<(), String> {
    let re = regex::Regex::new(re).map_err(|e| format!("  expect-panic: bad regex: {e}\n"))?;
    let tine = run_tine(case, ctx).map_err(|e| format!("  tine run: {e}\n"))?;
    let log = String::from_utf8_lossy(&tine.log);
    // The panic's lines: from the first `KERNEL PANIC:` on (the message
    // of a Rust panic starts on the line after its location).
    let panics: Vec<&str> = log
        .lines()
        .skip_while(|l| !l.starts_with("KERNEL PANIC: "))
        .map(|l| l.strip_prefix("KERNEL PANIC: ").unwrap_or(l))
        .collect();
    if matches!(tine.outcome, Outcome::Panic) && panics.iter().any(|m| re.is_match(m)) {
        return Ok(());
    }
    let mut report = format!("  expected a kernel panic matching /{re}/; {}\n", qemu::outcome_text(tine.outcome));
    for m in &panics {
        report.push_str(&format!("  panic: {m}\n"));
    }
    report.push_str(&log_tail(&tine.log));
    Err(report)
}

/// The last `LOG_TAIL` lines of the kernel log, for a report; then, for
/// a boot that timed out, the kernel's task dump in full (see
/// `qemu::task_dump`).
fn log_tail(log: &[u8]) -> String {
    let mut report = format!("  kernel log (last {LOG_TAIL} lines):\n");
    let dump = qemu::task_dump(log);
    let log = String::from_utf8_lossy(log);
    let mut lines: Vec<&str> = log.lines().collect();
    if let Some(start) = lines.iter().rposition(|l| l.contains(qemu::DUMP_START)).filter(|_| !dump.is_empty()) {
        lines.truncate(start);
    }
    for l in &lines[lines.len().saturating_sub(LOG_TAIL)..] {
        report.push_str(&format!("    {l}\n"));
    }
    if !dump.is_empty() {
        report.push_str("  task dump at the timeout (kernel log):\n");
        for l in &dump {
            report.push_str(&format!("    {l}\n"));
        }
    }
    report
}

/// Boots `run`'s machine and plays a session script on its console.
fn run_session(path: &Path, ctx: &Ctx) -> std::result::Result<(), String> {
    let script = session::Script::load(path).map_err(|e| format!("  {e}\n"))?;
    // A root file system's archive is big: QEMU alone takes ~10 s to load
    // Debian's under TCG, more on a busy machine.
    let timeout = match script.rootfs {
        Some(_) => ctx.timeout.map(|t| t + ROOTFS_EXTRA_TIME),
        None => ctx.timeout,
    };
    let boot = Boot {
        kernel: ctx.kernel,
        initrd: match script.rootfs {
            None => ctx.session_initrd.expect("the sessions' initramfs"),
            Some(Rootfs::Debian) => ctx.debian_initrd.expect("the Debian sessions' initramfs"),
        },
        cmdline: crate::cmdline(crate::GuestStdio::Tty),
        accel: ctx.accel,
        timeout,
        console: Console::Driven,
        stream_log: false,
        log_file: None,
        stop_on: None,
        com3: None,
        cpu: None,
    };
    let mut typed = Vec::new();
    let (run, played) = boot.run_driven(|d| script.play(d, &mut typed)).map_err(|e| format!("  tine run: {e}\n"))?;
    let mut report = String::new();
    match played {
        Err(why) => report.push_str(&format!("  {why}\n")),
        Ok(()) => {
            if let Err(why) = session::check_outcome(&script, run.outcome) {
                report.push_str(&format!("  {why}\n"));
            }
        }
    }
    if let Some(leak) = leak_report(&run.log) {
        report.push_str(&format!("  leak: {leak}\n"));
    }
    if report.is_empty() {
        return Ok(());
    }
    report.push_str(&format!("  outcome: {}\n", qemu::outcome_text(run.outcome)));
    report.push_str("  console (what was typed in «»):\n");
    report.push_str(&session::transcript(&run.console, &typed));
    report.push_str(&log_tail(&run.log));
    Err(report)
}

/// The kernel's accounting line at init's exit: when no task is left, every
/// frame, open file and PID must be back (issue: "no frame, PID or
/// descriptor is leaked after a test's processes have all exited").
pub fn leak_report(log: &[u8]) -> Option<String> {
    let log = String::from_utf8_lossy(log);
    let line = log.lines().find_map(|l| l.split_once("tine: accounting at init exit: ").map(|(_, rest)| rest))?;
    let field = |name: &str| -> Option<u64> {
        line.split_whitespace().find_map(|w| w.strip_prefix(name)?.strip_prefix('=')?.parse().ok())
    };
    let (tasks, used, boot, files, pids) =
        (field("tasks")?, field("frames_used")?, field("boot_frames_used")?, field("open_files")?, field("pids_busy")?);
    let sigqueued = field("sigqueued").unwrap_or(0);
    let committed = field("committed").unwrap_or(0);
    // Counts kept on the side of the tasks: nothing left once they are gone.
    let counts = ["nproc", "waitqueued", "pgrp_members"].iter().all(|f| field(f).unwrap_or(0) == 0);
    if tasks != 0 || (used == boot && files == 0 && pids == 0 && sigqueued == 0 && committed == 0 && counts) {
        return None;
    }
    Some(format!(
        "{line} (expected frames_used=boot_frames_used and open_files, pids_busy, sigqueued, committed, nproc, waitqueued, pgrp_members 0)"
    ))
}

/// A `// gdb-core:` case: the program, run on Tine, prints the core file
/// a crash of its own left, in hex; the host's gdb must read it and show
/// `function` in the backtrace, with the program's own binary as symbols.
/// Without gdb on the host the case fails, saying how to install it.
fn run_gdb_core(case: &Case, binary: &Path, function: &str, ctx: &Ctx) -> std::result::Result<(), String> {
    let tine = run_tine(case, ctx).map_err(|e| format!("  tine run: {e}\n"))?;
    if let Some(leak) = leak_report(&tine.log) {
        return Err(format!("  leak: {leak}\n"));
    }
    let hex: Vec<u8> = tine.console.iter().copied().filter(u8::is_ascii_hexdigit).collect();
    let core: Vec<u8> = hex
        .chunks_exact(2)
        .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap_or("00"), 16).unwrap_or(0))
        .collect();
    if !core.starts_with(b"\x7fELF") {
        let head = String::from_utf8_lossy(&tine.console[..tine.console.len().min(200)]).into_owned();
        return Err(format!("  no core file in the output (it began {head:?})\n"));
    }
    let tmp = TempDir::new("gdbcore").map_err(|e| format!("  {e}\n"))?;
    let path = tmp.path().join("core");
    std::fs::write(&path, &core).map_err(|e| format!("  {}: {e}\n", path.display()))?;
    let out = Command::new("gdb")
        .args(["-nx", "-batch", "-ex", "bt"])
        .arg(binary)
        .arg(&path)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("  gdb: {e} (install it: apt-get install gdb)\n"))?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    let frame0 = text.lines().find(|l| l.starts_with("#0"));
    match frame0 {
        Some(l) if l.contains(function) => Ok(()),
        _ => Err(format!("  gdb's backtrace of Tine's core does not start in {function}:\n{text}\n")),
    }
}

/// `diff -u` of the two outputs.
fn diff(native: &[u8], tine: &[u8]) -> String {
    let go = || -> Result<String> {
        let tmp = TempDir::new("diff")?;
        let (a, b) = (tmp.path().join("native"), tmp.path().join("tine"));
        std::fs::write(&a, native).map_err(|e| e.to_string())?;
        std::fs::write(&b, tine).map_err(|e| e.to_string())?;
        let out = Command::new("diff")
            .args(["-u", "--label", "native", "--label", "tine", "-a"])
            .arg(&a)
            .arg(&b)
            .output()
            .map_err(|e| format!("diff: {e}"))?;
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    };
    match go() {
        Ok(d) => d,
        Err(e) => format!("  outputs differ ({e})\n"),
    }
}

/// The reference: the same static binary on the host, argv[0] = /bin/<name>
/// (/bin/busybox for a shell test), the guest's environment (in order, set
/// by `launcher`), a fresh empty cwd (but for a shell test's script),
/// stdin /dev/null, stdout and stderr on one pipe.
fn run_native(case: &Case, ctx: &Ctx) -> Result<(Vec<u8>, Option<Status>)> {
    let cwd = TempDir::new("native")?;
    if let Kind::Shell(script) = &case.kind {
        let to = cwd.path().join(case.script_name());
        std::fs::copy(script, &to).map_err(|e| format!("{}: {e}", to.display()))?;
    }
    let (program, args) = case.command();
    let mut cmd = Command::new(ctx.launcher);
    let argv0 = Path::new("/bin").join(program.file_name().ok_or("no program name")?);
    cmd.arg(&program).arg(argv0).args(&args).env_clear().current_dir(cwd.path());
    let run = child::output_merged(&mut cmd, &program.display().to_string(), ctx.timeout)?;
    let (Some(status), out) = (run.status, run.out) else {
        return Err("timeout (TINE_TIMEOUT)".into());
    };
    let status = match (status.code(), status.signal()) {
        (Some(c), _) => Status::Exited(c),
        (None, Some(s)) => Status::Signaled(s),
        _ => return Err(format!("odd status {status}")),
    };
    Ok((out, Some(status)))
}

/// What the case's machine holds: the program and its arguments, and
/// busybox, libraries, host files and a shell test's script.
fn payload(case: &Case, ctx: &Ctx) -> Payload {
    let (program, args) = case.command();
    let mut payload = Payload::program(program, args.iter().map(OsString::from).collect());
    if case.busybox {
        payload.busybox = ctx.busybox.cloned();
    }
    payload.dlopen = case.dlopen.clone();
    payload.host = case.host.clone();
    if let Kind::Shell(script) = &case.kind {
        payload.adds.push((script.clone(), format!("/{}", case.script_name())));
    }
    payload
}

/// The same binary as Tine's first process, exactly as `exec` runs it.
fn run_tine(case: &Case, ctx: &Ctx) -> Result<qemu::Run> {
    let tmp = TempDir::new("test")?;
    let initrd = crate::write_initramfs(&payload(case, ctx), &tmp)?;
    Boot {
        kernel: ctx.kernel,
        initrd: &initrd,
        cmdline: [crate::cmdline(crate::GuestStdio::Pipe)]
            .into_iter()
            .chain(case.kernel_args.iter().cloned())
            .collect::<Vec<_>>()
            .join(" "),
        accel: ctx.accel,
        timeout: ctx.timeout,
        console: Console::Capture,
        stream_log: false,
        log_file: None,
        stop_on: None,
        com3: None,
        cpu: case.qemu_cpu.as_deref(),
    }
    .run()
}
