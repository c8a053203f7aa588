//! `// linux-ref` tests: the reference is the same program run by Debian's
//! Linux, booted in bench's QEMU machine with user/trace/refinit.c as
//! /init, for what the host cannot run (tracefs needs root and a mounted
//! tracefs; the host runs the tests as a user).
//!
//! Both outputs are normalised the same way before they are compared
//! ([`normalize`]): trace time stamps, PIDs (numbered by first
//! appearance) and addresses differ from run to run and between kernels.
//!
//! Linux boots only under TCG on some machines (a minute or so), so its
//! normalised output is cached in `user/tests/NAME.linux`, keyed by the
//! SHA-256 of the test's source and the headers of user/include: a test
//! whose source is unchanged uses the committed file and boots nothing;
//! one whose source changed boots Linux and rewrites the file (commit it
//! with the change). `TINE_LINUX_REF=boot` boots Linux even when the cache
//! is current (and rewrites it).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::Duration;

use regex::bytes::{Captures, Regex};

use crate::bench::{self, Measure, Target};
use crate::qemu::{Accel, Status};
use crate::{build, Payload, Result, TempDir};

/// How long Linux's machine may print nothing before it is given up.
const SILENCE: Duration = Duration::from_secs(180);

/// The first line of a cache file: `# linux-ref HASH status CODE`.
const MAGIC: &str = "# linux-ref";

/// One Linux boot at a time builds refinit (the workers share build/).
static BUILD: Mutex<()> = Mutex::new(());

/// The reference output of `source`'s test (`payload` as Tine runs it):
/// normalised, with the program's status.
pub fn reference(
    source: &Path,
    payload: Payload,
    accel: Accel,
    cpu: Option<&str>,
    args: &[String],
) -> Result<(Vec<u8>, Status)> {
    let cache = source.with_extension("linux");
    let hash = source_hash(source)?;
    let forced = std::env::var("TINE_LINUX_REF").is_ok_and(|v| v == "boot");
    if !forced {
        if let Some(hit) = read_cache(&cache, &hash) {
            return Ok(hit);
        }
    }
    let (out, status) = boot_linux(payload, accel, cpu, args)?;
    let out = normalize(&out);
    let mut file = format!("{MAGIC} {hash} status {}\n", status_word(status)).into_bytes();
    file.extend_from_slice(&out);
    std::fs::write(&cache, file).map_err(|e| format!("{}: {e}", cache.display()))?;
    eprintln!("xtask: wrote {} (Linux's output; commit it with the test)", cache.display());
    Ok((out, status))
}

/// SHA-256 of the source and every header of user/include (what the
/// program's text depends on), by `sha256sum`.
fn source_hash(source: &Path) -> Result<String> {
    let inc = crate::root().join("user/include");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&inc)
        .map_err(|e| format!("{}: {e}", inc.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "h"))
        .collect();
    files.sort();
    let mut data = std::fs::read(source).map_err(|e| format!("{}: {e}", source.display()))?;
    for f in files {
        data.extend(std::fs::read(&f).map_err(|e| format!("{}: {e}", f.display()))?);
    }
    let tmp = TempDir::new("linuxref")?;
    let all = tmp.path().join("all");
    std::fs::write(&all, &data).map_err(|e| e.to_string())?;
    let out = Command::new("sha256sum").arg(&all).output().map_err(|e| format!("sha256sum: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.split_whitespace().next().map(str::to_string).ok_or_else(|| "sha256sum printed nothing".into())
}

fn status_word(s: Status) -> String {
    match s {
        Status::Exited(c) => format!("exit:{c}"),
        Status::Signaled(n) => format!("signal:{n}"),
    }
}

fn parse_status(w: &str) -> Option<Status> {
    let (kind, n) = w.split_once(':')?;
    let n = n.parse().ok()?;
    match kind {
        "exit" => Some(Status::Exited(n)),
        "signal" => Some(Status::Signaled(n)),
        _ => None,
    }
}

/// The cached output, if the file is there and for this source.
fn read_cache(path: &Path, hash: &str) -> Option<(Vec<u8>, Status)> {
    let data = std::fs::read(path).ok()?;
    let nl = data.iter().position(|&b| b == b'\n')?;
    let head = std::str::from_utf8(&data[..nl]).ok()?;
    let mut w = head.strip_prefix(MAGIC)?.split_whitespace();
    if w.next()? != hash || w.next()? != "status" {
        return None;
    }
    let status = parse_status(w.next()?)?;
    Some((data[nl + 1..].to_vec(), status))
}

/// Boots Debian's Linux with refinit as /init running the payload's
/// program, on QEMU's `cpu` model if given and with `args` on its
/// command line: its output (stdout and stderr) and wait status.
fn boot_linux(mut payload: Payload, accel: Accel, cpu: Option<&str>, args: &[String]) -> Result<(Vec<u8>, Status)> {
    let image = bench::linux_image()?;
    let init = crate::root().join("build/ref-init");
    {
        let _one = BUILD.lock().unwrap();
        build::compile(&crate::root().join("user/trace/refinit.c"), &init)?;
    }
    payload.init = Some(init);
    let tmp = TempDir::new("linuxref")?;
    let initrd = tmp.path().join("initramfs.cpio");
    std::fs::write(&initrd, crate::make_initramfs(&payload)?.to_bytes()).map_err(|e| e.to_string())?;
    let out = tmp.path().join("out");
    let log = tmp.path().join("log");
    let target = Target {
        id: "linux",
        label: "Linux".into(),
        image,
        cmdline: ["console=ttyS0 quiet panic=-1 rdinit=/init".to_string()]
            .into_iter()
            .chain(args.iter().cloned())
            .collect::<Vec<_>>()
            .join(" "),
    };
    eprintln!("xtask: booting Debian's Linux ({}) for the reference output", accel.name());
    let child = bench::qemu_machine(accel, Measure::Wall, &target, &initrd, &log).com3(Some(&out)).cpu(cpu).spawn()?;
    let boot = bench::collect(child, SILENCE, false);
    let status_text = std::fs::read_to_string(&log).unwrap_or_default();
    let Some(ws) = status_text.lines().find_map(|l| l.strip_prefix("refinit: status=")?.trim().parse::<u32>().ok())
    else {
        let console: Vec<&str> = boot.lines.iter().map(|(_, l)| l.as_str()).collect();
        return Err(format!(
            "Linux's run ended without refinit's status ({}); its console:\n{}",
            boot.error.unwrap_or_default(),
            console.join("\n")
        ));
    };
    let status = Status::from_wait(ws).ok_or_else(|| format!("odd wait status {ws:#x} under Linux"))?;
    let output = std::fs::read(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    Ok((output, status))
}

/// What differs between two runs of one program and between kernels,
/// replaced by what stays: trace time stamps (`N.NNNNNN:`), PIDs (`P1`,
/// `P2`, ... by first appearance, in the trace's TASK-PID column and in
/// `...pid=N` fields; 0, the idle task, stays) and addresses (`0xADDR`:
/// hexadecimal numbers of 6 digits or more).
pub fn normalize(text: &[u8]) -> Vec<u8> {
    static RE: std::sync::OnceLock<[Regex; 3]> = std::sync::OnceLock::new();
    let [stamp, pid, addr] = RE.get_or_init(|| {
        [
            Regex::new(r"\b\d+\.\d{6}:").unwrap(),
            Regex::new(r"(?P<pre>-|\b[a-z_]*pid(?:=|: ?| ))(?P<n>\d+)(?P<post>\s+\[\d{3}\]|\b)").unwrap(),
            Regex::new(r"\b0x[0-9a-f]{6,}\b").unwrap(),
        ]
    });
    let text = stamp.replace_all(text, &b"N.NNNNNN:"[..]);
    let mut seen: HashMap<Vec<u8>, usize> = HashMap::new();
    let text = pid.replace_all(&text, |c: &Captures| {
        let pre = &c["pre"];
        let post = &c["post"];
        let n = &c["n"];
        // The TASK-PID column wants what follows it; a `-` elsewhere is
        // a minus sign.
        if pre == b"-" && post.is_empty() {
            return c[0].to_vec();
        }
        let name = if n == b"0" {
            "0".to_string()
        } else {
            let next = seen.len() + 1;
            format!("P{}", *seen.entry(n.to_vec()).or_insert(next))
        };
        if pre == b"-" {
            // The TASK-PID column, `%-7d ` again for the new width.
            let cpu = String::from_utf8_lossy(post.trim_ascii_start()).into_owned();
            return format!("-{name:<7} {cpu}").into_bytes();
        }
        let mut out = pre.to_vec();
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(post);
        out
    });
    addr.replace_all(&text, &b"0xADDR"[..]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn pids_by_first_appearance() {
        let t = b"     trace_files-71      [000] .....     3.141592: sched_process_fork: comm=a pid=71 child_comm=a child_pid=75\n\
                  x-75 [000] d..2.: prev_pid=75 next_pid=0 next_pid=71 ret -1 0x7fff12345678\n";
        let n = String::from_utf8(normalize(t)).unwrap();
        assert_eq!(
            n,
            "     trace_files-P1      [000] .....     N.NNNNNN: sched_process_fork: comm=a pid=P1 child_comm=a child_pid=P2\n\
             x-P2      [000] d..2.: prev_pid=P2 next_pid=0 next_pid=P1 ret -1 0xADDR\n"
        );
    }
}
