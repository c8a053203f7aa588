//! Which accelerator and how many CPUs QEMU gets: KVM when a probe boot
//! shows it can run Tine (the answer cached per kernel image and host),
//! else TCG; `--smp N` / `TINE_SMP`.

use crate::initramfs::Initramfs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use crate::qemu::*;
use crate::{Result, TempDir};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Accel {
    Kvm,
    Tcg,
}

impl Accel {
    pub fn args(self) -> &'static [&'static str] {
        match self {
            Accel::Kvm => &["-accel", "kvm", "-cpu", "host,-arch-capabilities"],
            Accel::Tcg => &["-accel", "tcg", "-cpu", "max"],
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Accel::Kvm => "KVM",
            Accel::Tcg => "TCG",
        }
    }
}

static ACCEL: OnceLock<Accel> = OnceLock::new();

/// The most CPUs Tine boots with (its per-CPU tables are sized for them).
pub const MAX_SMP: u32 = 8;

static SMP: OnceLock<u32> = OnceLock::new();

/// Sets the CPU count of every machine this invocation boots (`--smp N`).
pub fn set_smp(n: u32) {
    let _ = SMP.set(n);
}

/// The CPU count of the machines this invocation boots: `--smp N`, else
/// `TINE_SMP`, else 1.
pub fn smp() -> u32 {
    *SMP.get_or_init(|| match std::env::var("TINE_SMP") {
        Ok(v) if !v.is_empty() => match parse_smp(&v) {
            Ok(n) => n,
            Err(e) => {
                eprintln!("xtask: TINE_SMP: {e}; using 1");
                1
            }
        },
        _ => 1,
    })
}

/// A CPU count, 1 to [`MAX_SMP`] (`--smp`'s parser).
pub fn parse_smp(s: &str) -> std::result::Result<u32, String> {
    match s.parse::<u32>() {
        Ok(n) if (1..=MAX_SMP).contains(&n) => Ok(n),
        _ => Err(format!("{s:?} is not a CPU count from 1 to {MAX_SMP}")),
    }
}

/// Forces an accelerator for the rest of this invocation (`test --tcg`).
pub fn force_accel(a: Accel) {
    let _ = ACCEL.set(a);
}

/// The accelerator to use: `TINE_ACCEL` if set, else KVM if a probe boot
/// under KVM works, else TCG. Decided once per invocation.
pub fn accel(kernel: &Path) -> Accel {
    *ACCEL.get_or_init(|| match std::env::var("TINE_ACCEL").as_deref() {
        Ok("kvm") => Accel::Kvm,
        Ok("tcg") => Accel::Tcg,
        Ok(other) if !other.is_empty() => {
            eprintln!("xtask: TINE_ACCEL={other} is neither kvm nor tcg; ignoring it");
            probe(kernel)
        }
        _ => probe(kernel),
    })
}

/// Boots the kernel once under KVM with `tine.probe=1`: KVM is usable when
/// the kernel logs `tine: probe ok`. (/dev/kvm may be kvm_pvm, which cannot
/// run Tine.) The answer of a probe boot is kept in `build/kvm-probe-<key>`
/// (see [`probe_cache`]), so that it costs the boot once per kernel image
/// and host, not on every command.
fn probe(kernel: &Path) -> Accel {
    let tcg = |why: &str| {
        eprintln!("xtask: KVM cannot run Tine here ({why}); using TCG");
        Accel::Tcg
    };
    if let Err(e) = std::fs::OpenOptions::new().read(true).write(true).open("/dev/kvm") {
        return tcg(&format!("/dev/kvm: {e}"));
    }
    let cache = probe_cache(kernel);
    let shown = cache.as_deref().map(|c| c.strip_prefix(crate::root()).unwrap_or(c).display().to_string());
    let forget =
        |file: &str| format!("answer cached in {file}: delete it to probe again, or set TINE_ACCEL=kvm or tcg");
    if let (Some(path), Some(file)) = (&cache, &shown) {
        if let Ok(text) = std::fs::read_to_string(path) {
            let (answer, why) = text.split_once('\n').unwrap_or((text.as_str(), ""));
            match answer {
                "kvm" => return Accel::Kvm,
                "tcg" => return tcg(&format!("{}; {}", why.trim(), forget(file))),
                _ => {}
            }
        }
    }
    eprintln!("xtask: probing whether KVM can run Tine (one boot, at most {} s)", PROBE_TIMEOUT.as_secs());
    let failed = probe_kvm(kernel).err();
    let mut note = String::new();
    if let (Some(path), Some(file)) = (&cache, &shown) {
        let text = match &failed {
            None => "kvm\n".to_string(),
            Some(why) => format!("tcg\n{why}\n"),
        };
        if write_probe_cache(path, &text).is_ok() {
            note = format!("; {}", forget(file));
        }
    }
    match failed {
        None => Accel::Kvm,
        Some(why) => tcg(&format!("{why}{note}")),
    }
}

/// `build/kvm-probe-<key>`: the key hashes what the probe's answer
/// depends on: the kernel image, the host CPU's model, the host kernel
/// release and QEMU's version. `None` if the image cannot be read.
fn probe_cache(kernel: &Path) -> Option<PathBuf> {
    use std::hash::{DefaultHasher, Hasher};
    let mut h = DefaultHasher::new();
    h.write(&std::fs::read(kernel).ok()?);
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo.lines().find(|l| l.starts_with("model name")).unwrap_or_default();
    h.write(model.as_bytes());
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    h.write(release.as_bytes());
    let version = Command::new(QEMU)
        .arg("--version")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .map(|o| o.stdout)
        .unwrap_or_default();
    h.write(&version);
    Some(crate::root().join(format!("build/kvm-probe-{:016x}", h.finish())))
}

/// Writes the probe's answer (atomically: other xtasks may read it), and
/// removes the answers for other kernel images.
fn write_probe_cache(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = path.parent().expect("build/");
    std::fs::create_dir_all(dir)?;
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            if e.file_name().to_string_lossy().starts_with("kvm-probe-") {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}

fn probe_kvm(kernel: &Path) -> Result<()> {
    let tmp = TempDir::new("probe")?;
    let initrd = tmp.path().join("empty.cpio");
    std::fs::write(&initrd, Initramfs::new().to_bytes()).map_err(|e| e.to_string())?;
    let boot = Boot {
        kernel,
        initrd: &initrd,
        cmdline: "tine.probe=1".into(),
        accel: Accel::Kvm,
        timeout: Some(PROBE_TIMEOUT),
        console: Console::Capture,
        stream_log: false,
        log_file: None,
        stop_on: Some(PROBE_OK),
        com3: None,
        cpu: None,
    };
    let run = boot.run()?;
    if run.stopped {
        return Ok(());
    }
    Err(match run.outcome {
        Outcome::KvmError => "KVM internal error".into(),
        Outcome::Timeout => format!("no \"{PROBE_OK}\" within {} s", PROBE_TIMEOUT.as_secs()),
        Outcome::Panic => "the kernel panicked".into(),
        _ => format!("no \"{PROBE_OK}\" line; QEMU {}", describe(run.qemu_status)),
    })
}
