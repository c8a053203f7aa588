//! Building: host packages, the kernel image, the user programs.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::SystemTime;

use crate::{root, stderr_stdio, Result};

/// Host tools and the Debian packages that provide them.
const TOOLS: [(&str, &str); 3] =
    [("qemu-system-x86_64", "qemu-system-x86"), ("musl-gcc", "musl-tools"), ("objcopy", "binutils")];
const APT_PACKAGES: [&str; 3] = ["qemu-system-x86", "musl-tools", "binutils"];

/// Debian's statically linked busybox (package busybox-static): the shell
/// of `cargo xtask run` and of the shell tests, at the same path on the
/// host and in Tine's initramfs.
pub const BUSYBOX: &str = "/bin/busybox";
const BUSYBOX_PACKAGE: &str = "busybox-static";

const KERNEL_RUSTFLAGS: [&str; 6] =
    ["-C", "code-model=kernel", "-C", "relocation-model=static", "-C", "no-redzone=yes"];
const KERNEL_TARGET: &str = "x86_64-unknown-linux-gnu";

pub fn on_path(tool: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .any(|dir| fs::metadata(dir.join(tool)).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0))
}

pub fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .stderr(Stdio::null())
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// `what` is missing: installs `packages` with apt-get when running as
/// root, else prints the command to run and exits.
pub fn apt_install(what: &str, packages: &[&str]) -> Result<()> {
    let list = packages.join(" ");
    if !is_root() {
        eprintln!("xtask: missing {what}. Install with:");
        eprintln!("    sudo apt-get install -y {list}");
        std::process::exit(1);
    }
    eprintln!("xtask: missing {what}; installing {list} (apt-get update, apt-get install -y {list})");
    let install: Vec<&str> = ["install", "-y"].into_iter().chain(packages.iter().copied()).collect();
    for args in [&["update"][..], &install] {
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
    Ok(())
}

/// Checks for qemu-system-x86_64, musl-gcc and objcopy; installs them with
/// apt-get when running as root, else says which command to run.
pub fn ensure_host_tools() -> Result<()> {
    let missing = || -> Vec<&str> { TOOLS.iter().filter(|(t, _)| !on_path(t)).map(|(t, _)| *t).collect() };
    let first = missing();
    if first.is_empty() {
        return Ok(());
    }
    apt_install(&format!("host tools: {}", first.join(", ")), &APT_PACKAGES)?;
    let still = missing();
    if !still.is_empty() {
        return Err(format!("still missing after apt-get install: {}", still.join(", ")));
    }
    Ok(())
}

/// Whether `path` is an x86_64 ELF executable without a program
/// interpreter (statically linked).
fn is_static_elf(path: &Path) -> bool {
    let Ok(b) = fs::read(path) else { return false };
    if b.len() < 64 || &b[..4] != b"\x7fELF" || b[4] != 2 || b[5] != 1 {
        return false;
    }
    let u16_at = |i: usize| u16::from_le_bytes([b[i], b[i + 1]]) as usize;
    let machine = u16_at(0x12);
    let phoff = u64::from_le_bytes(b[0x20..0x28].try_into().unwrap()) as usize;
    let (phentsize, phnum) = (u16_at(0x36), u16_at(0x38));
    if machine != 62 || phentsize < 4 {
        return false;
    }
    (0..phnum).all(|i| {
        let at = phoff.saturating_add(i * phentsize);
        // PT_INTERP (3) means dynamically linked.
        b.get(at..at + 4).is_some_and(|t| u32::from_le_bytes(t.try_into().unwrap()) != 3)
    })
}

/// A busybox binary and the applets it was built with.
#[derive(Clone)]
pub struct Busybox {
    pub binary: PathBuf,
    /// `busybox --list`: the names to link to it in /bin.
    pub applets: Vec<String>,
}

/// The applets of the busybox binary at `binary` (it runs on the host).
pub fn busybox_applets(binary: &Path) -> Result<Vec<String>> {
    let out = Command::new(binary)
        .arg("--list")
        .env_clear()
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .map_err(|e| format!("{} --list: {e}", binary.display()))?;
    if !out.status.success() {
        return Err(format!("{} --list failed ({})", binary.display(), out.status));
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::trim)
        .filter(|a| !a.is_empty() && !a.contains('/') && *a != "busybox")
        .map(str::to_string)
        .collect())
}

/// Debian's static busybox at /bin/busybox, installed (package
/// busybox-static) with apt-get when missing and running as root.
pub fn busybox() -> Result<&'static Busybox> {
    static BB: std::sync::OnceLock<Busybox> = std::sync::OnceLock::new();
    if let Some(bb) = BB.get() {
        return Ok(bb);
    }
    let binary = PathBuf::from(BUSYBOX);
    if !is_static_elf(&binary) {
        let what = if binary.exists() {
            format!("a static {BUSYBOX} ({BUSYBOX} is not a static x86_64 executable)")
        } else {
            BUSYBOX.to_string()
        };
        apt_install(&what, &[BUSYBOX_PACKAGE])?;
        if !is_static_elf(&binary) {
            return Err(format!("{BUSYBOX} is still not a static executable after apt-get install {BUSYBOX_PACKAGE}"));
        }
    }
    let applets = busybox_applets(&binary)?;
    Ok(BB.get_or_init(|| Busybox { binary, applets }))
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
        return if k.is_file() { Ok(k) } else { Err(format!("TINE_KERNEL={}: no such file", k.display())) };
    }
    let root = root();
    let mut cmd = cargo();
    let args = ["build", "--quiet", "--release", "-p", "tine-kernel", "--target", KERNEL_TARGET];
    eprintln!("xtask: building the kernel (cargo {} --target-dir target/kernel)", args.join(" "));
    cmd.current_dir(&root)
        .args(args)
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

    let elf = root.join("target/kernel").join(KERNEL_TARGET).join("release/tine");
    let bin = root.join("build/tine.bin");
    fs::create_dir_all(root.join("build")).map_err(|e| format!("build/: {e}"))?;
    if mtime(&bin).is_none() || mtime(&bin) < mtime(&elf) {
        eprintln!("xtask: checking the kernel for FPU instructions (objdump) and writing build/tine.bin (objcopy)");
        check_user_fpu_untouched(&elf)?;
        run(Command::new("objcopy").arg("-O").arg("binary").arg(&elf).arg(&bin).stdout(stderr_stdio()), "objcopy")?;
    }
    Ok(bin)
}

/// The kernel leaves the user's x87 registers and MXCSR live across a
/// trap and saves only xmm0-15 (see hal/src/trap.rs and
/// core/src/proc/kstack.rs), which is right only while no kernel code
/// touches them: no x87 or MMX instruction, no floating-point SSE
/// arithmetic or conversion (their results depend on the user's MXCSR),
/// and no MXCSR access. Rust code with no `f32`/`f64` compiles to none of
/// these, but a float slipped in (or a dependency's) would corrupt user
/// state only now and then; refuse such an image instead. `objdump` comes
/// with objcopy (binutils).
fn check_user_fpu_untouched(elf: &Path) -> Result<()> {
    let out = Command::new("objdump")
        .args(["-d", "--no-show-raw-insn", "-M", "intel"])
        .arg(elf)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("objdump: {e}"))?;
    if !out.status.success() {
        return Err(format!("objdump -d {} failed ({})", elf.display(), out.status));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut func = "";
    let mut bad = Vec::new();
    for line in text.lines() {
        if let Some(name) = line.strip_suffix(">:").and_then(|l| l.split_once(" <")).map(|(_, n)| n) {
            func = name;
            continue;
        }
        let Some((_, insn)) = line.split_once(":\t") else {
            continue;
        };
        let mut words = insn.split_whitespace();
        let mut mnemonic = words.next().unwrap_or("");
        while matches!(
            mnemonic,
            "rep"
                | "repz"
                | "repnz"
                | "repe"
                | "repne"
                | "lock"
                | "data16"
                | "addr32"
                | "cs"
                | "ds"
                | "notrack"
                | "bnd"
        ) {
            mnemonic = words.next().unwrap_or("");
        }
        let operands: String = words.collect::<Vec<_>>().join(" ");
        if touches_user_fpu(mnemonic, &operands) {
            bad.push(format!("  {func}: {}", insn.trim()));
        }
    }
    if bad.is_empty() {
        return Ok(());
    }
    bad.truncate(20);
    Err(format!(
        "the kernel uses x87, MMX, MXCSR or floating-point SSE instructions, which would clobber the \
         user FPU state the trap path leaves live (see hal/src/trap.rs):\n{}",
        bad.join("\n")
    ))
}

/// Whether an instruction reads or changes FPU state that the trap path
/// does not save (everything but the xmm registers' contents).
fn touches_user_fpu(mnemonic: &str, operands: &str) -> bool {
    let m = mnemonic.strip_prefix('v').unwrap_or(mnemonic);
    // The trap path's and fpu_sync's own saves and restores.
    if matches!(mnemonic, "fxsave64" | "fxrstor64" | "xsave64" | "xrstor64") {
        return false;
    }
    // Any VEX-encoded vector instruction: a 128-bit one zeroes the ymm
    // upper halves, which the trap path leaves live (hal/src/fpu.rs).
    if operands.contains("ymm") || operands.contains("zmm") || matches!(mnemonic, "vzeroupper" | "vzeroall") {
        return true;
    }
    if mnemonic.starts_with('v') && operands.contains("xmm") {
        return true;
    }
    // x87 (every mnemonic starting with f, fwait included), and EMMS.
    if mnemonic.starts_with('f') || mnemonic == "wait" || mnemonic == "emms" {
        return true;
    }
    if matches!(m, "ldmxcsr" | "stmxcsr" | "xrstor" | "xrstor64" | "xsave" | "xsave64" | "fxrstor" | "fxsave") {
        return true;
    }
    // Floating-point arithmetic, comparisons, rounding and conversions.
    if m.starts_with("cvt") || m.starts_with("comis") || m.starts_with("ucomis") {
        return true;
    }
    // cmpss and the like print with their predicate: cmpltsd, cmpunordps.
    let float_type = |ty: &str| ty.ends_with("ss") || ty.ends_with("sd") || ty.ends_with("ps") || ty.ends_with("pd");
    if m.starts_with("cmp") && m != "cmps" && float_type(m) {
        return true;
    }
    for op in
        ["add", "sub", "mul", "div", "sqrt", "min", "max", "round", "rcp", "rsqrt", "hadd", "hsub", "dp", "addsub"]
    {
        if let Some(ty) = m.strip_prefix(op) {
            if matches!(ty, "ss" | "sd" | "ps" | "pd") {
                return true;
            }
        }
    }
    // MMX registers (mm0-mm7 alias the x87 stack).
    operands
        .split(|c: char| !c.is_ascii_alphanumeric())
        .any(|w| w.len() == 3 && w.starts_with("mm") && w.as_bytes()[2].is_ascii_digit())
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
    for (dir, out, is_test) in [("user/demo", "build/user", false), ("user/tests", "build/user/tests", true)] {
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
            these.push(UserProgram { name, is_test, source: path, binary });
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

/// Per-program settings from comments on the first four lines of a source
/// (`// ...` in C, `# ...` in a shell test): `// cc: <command>` replaces
/// `musl-gcc -static -O2` (the command gets `-o <out> <source>` appended);
/// `// args: a b c` adds arguments (tests); `// busybox` puts busybox and
/// its applet links in /bin under Tine (shell tests always have them);
/// `// tine-only` runs a test under Tine alone, against the fixed output
/// in `user/tests/<name>.expected` and exit status 0 (for what Linux can
/// not be asked to do the same way: fault injection, running out of memory).
/// A test built without `-static` (`// cc: gcc -O2`) is dynamically
/// linked: Tine's initramfs gets its interpreter and libraries, and those
/// of `// dlopen: LIB...`, from the host. `// host: PATH...` copies
/// host programs (with their libraries) or directory trees into Tine's
/// initramfs at the same paths, for a test that runs a host tool (strace)
/// in both worlds.
pub struct Directives {
    pub cc: Vec<String>,
    pub args: Vec<String>,
    pub busybox: bool,
    pub tine_only: bool,
    /// `// gdb-core: FUNCTION`: the program prints a core file Tine wrote,
    /// in hex; gdb's backtrace of it must name FUNCTION.
    pub gdb_core: Option<String>,
    /// `// kernel-args: WORD...`: appended to Tine's kernel command line
    /// (test-only options such as `tine.test=kstack_overflow`).
    pub kernel_args: Vec<String>,
    /// `// expect-panic: REGEX`: no native run; Tine must panic (and exit
    /// QEMU, not hang) with a `KERNEL PANIC:` line matching REGEX.
    pub expect_panic: Option<String>,
    /// `// dlopen: LIB...`: libraries a dynamically linked test opens at
    /// run time, put in Tine's initramfs where the loader finds them.
    pub dlopen: Vec<String>,
    /// `// host: PATH... -PATH...`: host files and directory trees the
    /// test runs (python3, bash, coreutils) or reads, put at the same
    /// paths in Tine's initramfs, a program with its libraries; a `-PATH`
    /// leaves that part of a tree out.
    pub host: Vec<String>,
    /// `// linux-ref`: the reference output is Debian's Linux's, booted
    /// (or cached in NAME.linux), not the host's (`linuxref`).
    pub linux_ref: bool,
    /// `// linux-args: WORD...`: appended to that Linux's command line,
    /// to turn off what Tine does not turn on (`nopku`, `no5lvl`, ...).
    pub linux_args: Vec<String>,
    /// `// qemu-cpu: MODEL`: QEMU's `-cpu` for the test's machines,
    /// Tine's and a `linux-ref` Linux's (e.g. `max,-xsave,-avx` for a
    /// CPU without XSAVE).
    pub qemu_cpu: Option<String>,
}

pub fn directives(source: &Path) -> Directives {
    let mut d = Directives {
        cc: vec!["musl-gcc".into(), "-static".into(), "-O2".into()],
        args: vec![],
        busybox: false,
        tine_only: false,
        gdb_core: None,
        kernel_args: vec![],
        expect_panic: None,
        dlopen: vec![],
        host: vec![],
        linux_ref: false,
        linux_args: vec![],
        qemu_cpu: None,
    };
    let text = fs::read_to_string(source).unwrap_or_default();
    // The comment lines at the top (at most a few).
    for line in text.lines().take(4) {
        let line = line.trim();
        let comment = match line.strip_prefix("//") {
            Some(c) => c,
            None if !line.starts_with("#!") => match line.strip_prefix('#') {
                Some(c) => c,
                None => continue,
            },
            None => continue,
        };
        let comment = comment.trim();
        if let Some(cc) = comment.strip_prefix("cc:") {
            let words: Vec<String> = cc.split_whitespace().map(str::to_string).collect();
            if !words.is_empty() {
                d.cc = words;
            }
        } else if let Some(args) = comment.strip_prefix("args:") {
            d.args = args.split_whitespace().map(str::to_string).collect();
        } else if comment == "busybox" {
            d.busybox = true;
        } else if comment == "tine-only" {
            d.tine_only = true;
        } else if comment == "linux-ref" {
            d.linux_ref = true;
        } else if let Some(f) = comment.strip_prefix("gdb-core:") {
            d.gdb_core = Some(f.trim().to_string());
        } else if let Some(args) = comment.strip_prefix("kernel-args:") {
            d.kernel_args = args.split_whitespace().map(str::to_string).collect();
        } else if let Some(re) = comment.strip_prefix("expect-panic:") {
            d.expect_panic = Some(re.trim().to_string());
        } else if let Some(libs) = comment.strip_prefix("dlopen:") {
            d.dlopen = libs.split_whitespace().map(str::to_string).collect();
        } else if let Some(paths) = comment.strip_prefix("host:") {
            d.host = paths.split_whitespace().map(str::to_string).collect();
        } else if let Some(args) = comment.strip_prefix("linux-args:") {
            d.linux_args = args.split_whitespace().map(str::to_string).collect();
        } else if let Some(model) = comment.strip_prefix("qemu-cpu:") {
            d.qemu_cpu = Some(model.trim().to_string()).filter(|m| !m.is_empty());
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
    let stale: Vec<&UserProgram> = progs.iter().filter(|p| is_stale(&p.source, &p.binary)).collect();
    if !stale.is_empty() {
        eprintln!(
            "xtask: building {} user program(s) with musl-gcc (user/demo, user/tests -> build/user)",
            stale.len()
        );
    }
    for p in stale {
        compile_now(&p.source, &p.binary)?;
    }
    Ok(progs)
}

/// Whether `binary` is missing, or older than `source` or a header under
/// user/.
fn is_stale(source: &Path, binary: &Path) -> bool {
    let built = mtime(binary);
    built.is_none() || built < mtime(source) || built < newest_header(&root().join("user"))
}

/// `path` relative to the workspace root, for messages.
fn shown(path: &Path) -> String {
    let root = root();
    path.strip_prefix(&root).unwrap_or(path).display().to_string()
}

/// Compiles `source` into `binary` (saying so) unless the binary is newer
/// than the source and every header under user/.
pub fn compile(source: &Path, binary: &Path) -> Result<()> {
    if is_stale(source, binary) {
        eprintln!("xtask: building {} ({} {})", shown(binary), directives(source).cc[0], shown(source));
        compile_now(source, binary)?;
    }
    Ok(())
}

/// Compiles `source` into `binary`, silently.
pub fn compile_now(source: &Path, binary: &Path) -> Result<()> {
    let root = root();
    let cc = directives(source).cc;
    let mut cmd = Command::new(&cc[0]);
    cmd.args(&cc[1..]);
    if root.join("user/include").is_dir() {
        cmd.arg("-I").arg(root.join("user/include"));
    }
    cmd.arg("-o").arg(binary).arg(source).stdout(stderr_stdio());
    run(&mut cmd, &format!("{} {}", cc[0], source.display()))
}

/// build/init, from user/init/init.c: the /init of `cargo xtask run`
/// (sets up the console, runs /bin/sh, reaps orphans, powers off).
pub fn init_program() -> Result<PathBuf> {
    let root = root();
    let out = root.join("build/init");
    fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let binary = out.join("init");
    compile(&root.join("user/init/init.c"), &binary)?;
    Ok(binary)
}

/// A tiny static program that runs `argv[1]` with `argv[2..]` as its argv
/// (so argv[0] can be /bin/<name>) and exactly the guest environment, in
/// order: std's `Command` sorts environment variables, Tine does not.
/// It closes every descriptor above 2 first, as Tine's first process has
/// only 0, 1 and 2 (whatever ran xtask may have leaked some).
/// Returns build/launch, compiled from a generated build/launch.c.
pub fn native_launcher() -> Result<PathBuf> {
    let root = root();
    let envp: String = crate::GUEST_ENV.iter().map(|(k, v)| format!("\"{k}={v}\", ")).collect();
    let source = format!(
        "/* Generated by xtask: execve(argv[1], argv + 2, <the guest environment>). */\n\
         #include <stdio.h>\n\
         #include <sys/syscall.h>\n\
         #include <unistd.h>\n\
         #ifndef SYS_close_range\n\
         #define SYS_close_range 436\n\
         #endif\n\
         int main(int argc, char **argv)\n\
         {{\n\
         \tstatic char *envp[] = {{ {envp}NULL }};\n\
         \tif (argc < 3)\n\
         \t\treturn 127;\n\
         \tif (syscall(SYS_close_range, 3, ~0u, 0) != 0)\n\
         \t\tfor (int fd = 3; fd < 4096; fd++)\n\
         \t\t\tclose(fd);\n\
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
        eprintln!("xtask: building build/launch (musl-gcc build/launch.c), the native tests' launcher");
        let mut cmd = Command::new("musl-gcc");
        cmd.args(["-static", "-O2", "-o"]).arg(&bin).arg(&c).stdout(stderr_stdio());
        run(&mut cmd, "musl-gcc build/launch.c")?;
    }
    Ok(bin)
}
