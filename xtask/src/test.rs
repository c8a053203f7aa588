//! `cargo xtask test`: host unit tests, then every `user/tests/*.c` run
//! natively (the reference) and under Tine; output bytes and status must match.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::build::{self, UserProgram};
use crate::qemu::{self, Accel, Boot, Console, Outcome, Status};
use crate::{Payload, Result, TempDir};

const PARALLEL: usize = 2;
const LOG_TAIL: usize = 30;

struct Case {
    name: String,
    binary: PathBuf,
    args: Vec<String>,
}

pub fn main(args: &[OsString]) -> Result<i32> {
    let mut filter = None;
    for a in args {
        match a.to_str() {
            Some("--tcg") => qemu::force_accel(Accel::Tcg),
            Some(f) if !f.starts_with('-') && filter.is_none() => filter = Some(f.to_string()),
            _ => {
                return Err(format!(
                    "usage: cargo xtask test [--tcg] [FILTER] (got {a:?})"
                ))
            }
        }
    }

    // (1) Host unit tests (skipped when a filter picks cases).
    let mut unit_ok = true;
    if filter.is_none() {
        eprintln!("xtask: cargo test -p tine-core");
        let status = build::cargo()
            .current_dir(crate::root())
            .args(["test", "-p", "tine-core"])
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
    let cases: Vec<Case> = progs
        .into_iter()
        .filter(|p: &UserProgram| p.is_test)
        .filter(|p| filter.as_deref().is_none_or(|f| p.name.contains(f)))
        .map(|p| Case {
            args: build::directives(&p.source).args,
            name: p.name,
            binary: p.binary,
        })
        .collect();

    // (3) Run the cases, two at a time.
    let launcher = build::native_launcher()?;
    let timeout = qemu::timeout()?;
    let accel = if cases.is_empty() {
        Accel::Tcg
    } else {
        qemu::accel(&kernel)
    };
    if !cases.is_empty() {
        eprintln!(
            "xtask: {} case(s) under Tine ({})",
            cases.len(),
            accel.name()
        );
    }
    let ctx = Ctx {
        kernel: &kernel,
        launcher: &launcher,
        accel,
        timeout,
    };
    let next = AtomicUsize::new(0);
    let passed = AtomicUsize::new(0);
    let failed = AtomicUsize::new(0);
    let print = Mutex::new(());
    thread::scope(|s| {
        for _ in 0..PARALLEL.min(cases.len()) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(case) = cases.get(i) else { break };
                let report = run_case(case, &ctx);
                let _guard = print.lock().unwrap();
                let mut out = std::io::stdout().lock();
                match report {
                    Ok(()) => {
                        passed.fetch_add(1, Ordering::Relaxed);
                        let _ = writeln!(out, "PASS {}", case.name);
                    }
                    Err(why) => {
                        failed.fetch_add(1, Ordering::Relaxed);
                        let _ = writeln!(out, "FAIL {}", case.name);
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
}

/// Runs one case both ways; `Err` holds the failure report.
fn run_case(case: &Case, ctx: &Ctx) -> std::result::Result<(), String> {
    let native = run_native(case, ctx);
    let tine = run_tine(case, ctx);
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
    if report.is_empty() && same_status && same_output {
        return Ok(());
    }
    if !same_status {
        let native = n_status.map_or("no status".to_string(), |s| s.to_string());
        report.push_str(&format!(
            "  status: native {native}, tine {}\n",
            qemu::outcome_text(tine.outcome)
        ));
    }
    if !same_output {
        report.push_str(&diff(&n_out, &tine.console));
    }
    report.push_str(&format!("  kernel log (last {LOG_TAIL} lines):\n"));
    let log = String::from_utf8_lossy(&tine.log);
    let lines: Vec<&str> = log.lines().collect();
    for l in &lines[lines.len().saturating_sub(LOG_TAIL)..] {
        report.push_str(&format!("    {l}\n"));
    }
    Err(report)
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

/// The reference: the same static binary on the host, argv[0] = /bin/<name>,
/// the guest's environment (in order, set by `launcher`), a fresh empty cwd,
/// stdin /dev/null, stdout and stderr on one pipe.
fn run_native(case: &Case, ctx: &Ctx) -> Result<(Vec<u8>, Option<Status>)> {
    let cwd = TempDir::new("native")?;
    let (mut reader, writer) = std::io::pipe().map_err(|e| e.to_string())?;
    let writer2 = writer.try_clone().map_err(|e| e.to_string())?;
    let mut cmd = Command::new(ctx.launcher);
    cmd.arg(&case.binary)
        .arg(format!("/bin/{}", case.name))
        .args(&case.args)
        .env_clear()
        .current_dir(cwd.path())
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(writer2);
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("{}: {e}", case.binary.display()))?;
    drop(cmd); // closes our copies of the pipe's write end
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut out = Vec::new();
        let _ = reader.read_to_end(&mut out);
        let _ = tx.send(out);
    });
    let start = Instant::now();
    let status: ExitStatus = loop {
        if let Some(s) = child.try_wait().map_err(|e| e.to_string())? {
            break s;
        }
        if ctx.timeout.is_some_and(|t| start.elapsed() >= t) {
            let _ = child.kill();
            let _ = child.wait();
            return Err("timeout (TINE_TIMEOUT)".into());
        }
        thread::sleep(Duration::from_millis(5));
    };
    let out = rx
        .recv_timeout(Duration::from_secs(5))
        .map_err(|_| "output pipe still open 5 s after exit (a background process?)")?;
    let status = match (status.code(), status.signal()) {
        (Some(c), _) => Status::Exited(c),
        (None, Some(s)) => Status::Signaled(s),
        _ => return Err(format!("odd status {status}")),
    };
    Ok((out, Some(status)))
}

/// The same binary as Tine's first process, exactly as `exec` runs it.
fn run_tine(case: &Case, ctx: &Ctx) -> Result<qemu::Run> {
    let tmp = TempDir::new("test")?;
    let payload = Payload {
        program: case.binary.clone(),
        args: case.args.iter().map(OsString::from).collect(),
        adds: vec![],
        extra_bin: vec![],
    };
    let initrd = crate::write_initramfs(&payload, &tmp)?;
    Boot {
        kernel: ctx.kernel,
        initrd: &initrd,
        cmdline: crate::cmdline(crate::GuestStdio::Pipe),
        accel: ctx.accel,
        timeout: ctx.timeout,
        console: Console::Capture,
        stream_log: false,
        stop_on: None,
    }
    .run()
}
