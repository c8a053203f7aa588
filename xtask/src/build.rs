//! Building: host packages, the kernel image, the user programs.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::SystemTime;

use crate::{root, stderr_stdio, Result};

/// Host tools and the Debian packages that provide them.
const TOOLS: [(&str, &str); 3] = [
    ("qemu-system-x86_64", "qemu-system-x86"),
    ("musl-gcc", "musl-tools"),
    ("objcopy", "binutils"),
];
const APT_PACKAGES: &str = "qemu-system-x86 musl-tools binutils";

const KERNEL_RUSTFLAGS: [&str; 6] = [
    "-C",
    "code-model=kernel",
    "-C",
    "relocation-model=static",
    "-C",
    "no-redzone=yes",
];
const KERNEL_TARGET: &str = "x86_64-unknown-linux-gnu";

fn on_path(tool: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path).any(|dir| {
        fs::metadata(dir.join(tool))
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .stderr(Stdio::null())
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Checks for qemu-system-x86_64, musl-gcc and objcopy; installs them with
/// apt-get when running as root, else says which command to run.
pub fn ensure_host_tools() -> Result<()> {
    let missing = || -> Vec<&str> {
        TOOLS
            .iter()
            .filter(|(t, _)| !on_path(t))
            .map(|(t, _)| *t)
            .collect()
    };
    let first = missing();
    if first.is_empty() {
        return Ok(());
    }
    let list = first.join(", ");
    if !is_root() {
        eprintln!("xtask: missing host tools: {list}. Install them with:");
        eprintln!("    sudo apt-get install -y {APT_PACKAGES}");
        std::process::exit(1);
    }
    eprintln!("xtask: missing host tools: {list}; installing {APT_PACKAGES}");
    for args in [
        &["update"][..],
        &["install", "-y", "qemu-system-x86", "musl-tools", "binutils"],
    ] {
        // apt's chatter goes to stderr: stdout may be a program's output.
        let status = Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdin(Stdio::null())
            .stdout(stderr_stdio())
            .status()
            .map_err(|e| format!("apt-get: {e}"))?;
        if !status.success() {
            return Err(format!("apt-get {} failed ({status})", args.join(" ")));
        }
    }
    let still = missing();
    if !still.is_empty() {
        return Err(format!(
            "still missing after apt-get install: {}",
            still.join(", ")
        ));
    }
    Ok(())
}

pub fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

fn mtime(p: &Path) -> Option<SystemTime> {
    fs::metadata(p).and_then(|m| m.modified()).ok()
}

fn run(cmd: &mut Command, what: &str) -> Result<()> {
    let status = cmd.status().map_err(|e| format!("{what}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{what} failed ({status})"))
    }
}

/// Builds the kernel and returns the path of the multiboot image
/// `build/tine.bin` (or returns `TINE_KERNEL`, a prebuilt image, if set).
pub fn kernel() -> Result<PathBuf> {
    if let Some(k) = std::env::var_os("TINE_KERNEL").filter(|k| !k.is_empty()) {
        let k = std::path::absolute(PathBuf::from(k)).map_err(|e| format!("TINE_KERNEL: {e}"))?;
        return if k.is_file() {
            Ok(k)
        } else {
            Err(format!("TINE_KERNEL={}: no such file", k.display()))
        };
    }
    let root = root();
    let mut cmd = cargo();
    cmd.current_dir(&root)
        .args([
            "build",
            "--quiet",
            "--release",
            "-p",
            "tine-kernel",
            "--target",
            KERNEL_TARGET,
        ])
        .arg("--target-dir")
        .arg(root.join("target/kernel"))
        // Our flags, and only ours, for the kernel crates (the explicit
        // --target keeps them off build scripts).
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_BUILD_RUSTFLAGS")
        .env("CARGO_ENCODED_RUSTFLAGS", KERNEL_RUSTFLAGS.join("\x1f"))
        .stdin(Stdio::null())
        .stdout(stderr_stdio());
    run(&mut cmd, "cargo build -p tine-kernel")?;

    let elf = root
        .join("target/kernel")
        .join(KERNEL_TARGET)
        .join("release/tine");
    let bin = root.join("build/tine.bin");
    fs::create_dir_all(root.join("build")).map_err(|e| format!("build/: {e}"))?;
    if mtime(&bin).is_none() || mtime(&bin) < mtime(&elf) {
        run(
            Command::new("objcopy")
                .arg("-O")
                .arg("binary")
                .arg(&elf)
                .arg(&bin)
                .stdout(stderr_stdio()),
            "objcopy",
        )?;
    }
    Ok(bin)
}

/// A C program under user/demo or user/tests.
pub struct UserProgram {
    pub name: String,
    /// From user/tests (a differential test), not user/demo.
    pub is_test: bool,
    pub source: PathBuf,
    /// build/user/<name> for a demo, build/user/tests/<name> for a test
    /// (a test and a demo may share a name; the basename stays <name>).
    pub binary: PathBuf,
}

/// Every `user/demo/*.c` then every `user/tests/*.c`, each sorted by name.
pub fn user_sources() -> Result<Vec<UserProgram>> {
    let root = root();
    let mut progs: Vec<UserProgram> = Vec::new();
    for (dir, out, is_test) in [
        ("user/demo", "build/user", false),
        ("user/tests", "build/user/tests", true),
    ] {
        let Ok(rd) = fs::read_dir(root.join(dir)) else {
            continue;
        };
        let mut these = Vec::new();
        for e in rd {
            let path = e.map_err(|e| format!("{dir}: {e}"))?.path();
            if path.extension().is_none_or(|x| x != "c") {
                continue;
            }
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            let binary = root.join(out).join(&name);
            these.push(UserProgram {
                name,
                is_test,
                source: path,
                binary,
            });
        }
        these.sort_by(|a, b| a.name.cmp(&b.name));
        progs.extend(these);
    }
    Ok(progs)
}

/// The newest modification time of any header under user/.
fn newest_header(dir: &Path) -> Option<SystemTime> {
    let mut newest = None;
    for e in fs::read_dir(dir).ok()?.flatten() {
        let p = e.path();
        let t = if p.is_dir() {
            newest_header(&p)
        } else if p.extension().is_some_and(|x| x == "h") {
            mtime(&p)
        } else {
            None
        };
        newest = newest.max(t);
    }
    newest
}

/// Per-program settings from comments on the first two lines of a source:
/// `// cc: <command>` replaces `musl-gcc -static -O2` (the command gets
/// `-o <out> <source>` appended); `// args: a b c` adds arguments (tests).
pub struct Directives {
    pub cc: Vec<String>,
    pub args: Vec<String>,
}

pub fn directives(source: &Path) -> Directives {
    let mut d = Directives {
        cc: vec!["musl-gcc".into(), "-static".into(), "-O2".into()],
        args: vec![],
    };
    let text = fs::read_to_string(source).unwrap_or_default();
    for line in text.lines().take(2) {
        let Some(comment) = line.trim().strip_prefix("//") else {
            continue;
        };
        let comment = comment.trim();
        if let Some(cc) = comment.strip_prefix("cc:") {
            let words: Vec<String> = cc.split_whitespace().map(str::to_string).collect();
            if !words.is_empty() {
                d.cc = words;
            }
        } else if let Some(args) = comment.strip_prefix("args:") {
            d.args = args.split_whitespace().map(str::to_string).collect();
        }
    }
    d
}

/// Compiles every user program whose binary is older than its source (or
/// than any header under user/) with `musl-gcc -static -O2` (or its
/// `// cc:` command).
pub fn user_programs() -> Result<Vec<UserProgram>> {
    let root = root();
    let progs = user_sources()?;
    let out_dir = root.join("build/user/tests");
    fs::create_dir_all(&out_dir).map_err(|e| format!("{}: {e}", out_dir.display()))?;
    let headers = newest_header(&root.join("user"));
    for p in &progs {
        let built = mtime(&p.binary);
        if built.is_some() && built >= mtime(&p.source) && built >= headers {
            continue;
        }
        let cc = directives(&p.source).cc;
        let mut cmd = Command::new(&cc[0]);
        cmd.args(&cc[1..]);
        if root.join("user/include").is_dir() {
            cmd.arg("-I").arg(root.join("user/include"));
        }
        cmd.arg("-o")
            .arg(&p.binary)
            .arg(&p.source)
            .stdout(stderr_stdio());
        run(&mut cmd, &format!("musl-gcc {}", p.source.display()))?;
    }
    Ok(progs)
}

/// A tiny static program that runs `argv[1]` with `argv[2..]` as its argv
/// (so argv[0] can be /bin/<name>) and exactly the guest environment, in
/// order: std's `Command` sorts environment variables, Tine does not.
/// Returns build/launch, compiled from a generated build/launch.c.
pub fn native_launcher() -> Result<PathBuf> {
    let root = root();
    let envp: String = crate::GUEST_ENV
        .iter()
        .map(|(k, v)| format!("\"{k}={v}\", "))
        .collect();
    let source = format!(
        "/* Generated by xtask: execve(argv[1], argv + 2, <the guest environment>). */\n\
         #include <stdio.h>\n\
         #include <unistd.h>\n\
         int main(int argc, char **argv)\n\
         {{\n\
         \tstatic char *envp[] = {{ {envp}NULL }};\n\
         \tif (argc < 3)\n\
         \t\treturn 127;\n\
         \texecve(argv[1], argv + 2, envp);\n\
         \tperror(argv[1]);\n\
         \treturn 127;\n\
         }}\n"
    );
    let c = root.join("build/launch.c");
    let bin = root.join("build/launch");
    fs::create_dir_all(root.join("build")).map_err(|e| format!("build/: {e}"))?;
    if fs::read_to_string(&c).ok().as_deref() != Some(source.as_str()) {
        fs::write(&c, &source).map_err(|e| format!("{}: {e}", c.display()))?;
    }
    if mtime(&bin).is_none() || mtime(&bin) < mtime(&c) {
        let mut cmd = Command::new("musl-gcc");
        cmd.args(["-static", "-O2", "-o"])
            .arg(&bin)
            .arg(&c)
            .stdout(stderr_stdio());
        run(&mut cmd, "musl-gcc build/launch.c")?;
    }
    Ok(bin)
}
