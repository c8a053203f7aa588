//! `cargo xtask`: Tine's host tool. See README.md for the commands.

mod accel;
mod bench;
mod build;
mod child;
mod dynlink;
mod fuzz;
mod initramfs;
mod linuxref;
mod qemu;
mod rootfs;
mod session;
mod test;
mod trace;

use std::ffi::{OsStr, OsString};
use std::io::IsTerminal;
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};

use clap::{Parser, Subcommand};

use build::Busybox;
use initramfs::Initramfs;
use qemu::{Boot, Console};

pub type Result<T> = std::result::Result<T, String>;

/// The environment of every program run on Tine (and of the native
/// reference runs in `test`).
pub const GUEST_ENV: [(&str, &str); 3] = [("PATH", "/bin"), ("HOME", "/"), ("TERM", "linux")];

/// The environment variables, shown after every command's help.
pub const ENV_HELP: &str = "\
Environment:
  TINE_ACCEL=kvm|tcg    force QEMU's accelerator (default: KVM if a probe boot
                        works, else TCG; the answer is cached in build/kvm-probe-*)
  TINE_TIMEOUT=SECONDS  limit of exec and of each test run (default 60, 120 at --smp >1; 0: none)
  TINE_CMDLINE=TEXT     more kernel command line (e.g. tine.fail_page_alloc=...)
  TINE_KERNEL=IMAGE     boot this prebuilt kernel image instead of building one
  TINE_SMP=N            CPUs of every machine booted (1 to 8; default 1; --smp wins)";

/// `cargo xtask`: Tine's host tool (README.md, "Use", has the details).
#[derive(Parser)]
#[command(
    name = "xtask",
    bin_name = "cargo xtask",
    about = "Tine's host tool: build, boot, run and test Tine in QEMU",
    after_help = ENV_HELP,
    arg_required_else_help = true
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
    /// CPUs of every machine booted (QEMU's -smp, 1 to 8; default
    /// TINE_SMP, else 1); TCG runs them in parallel (thread=multi)
    #[arg(long, global = true, value_name = "N", value_parser = qemu::parse_smp)]
    smp: Option<u32>,
}

#[derive(Subcommand)]
enum Cmd {
    /// Build build/tine.bin, the demos (build/user/*) and the tests
    /// (build/user/tests/*)
    #[command(after_help = ENV_HELP)]
    Build,
    /// Boot Tine with the console on this terminal: /init starts busybox's
    /// shell, or PROGRAM runs as init; busybox and the demos are in /bin;
    /// with --rootfs debian, a Debian userland and bash; Ctrl-A X quits
    #[command(after_help = ENV_HELP)]
    Run(RunArgs),
    /// Run PROGRAM as Tine's first process: its output on stdout, the
    /// kernel log on stderr; exits with its status (128+N: killed by signal
    /// N; 250: kernel panic, 251: no status, 252: timeout)
    #[command(after_help = ENV_HELP)]
    Exec(ExecArgs),
    /// Host unit tests, then user/tests/*.c and *.sh natively and under
    /// Tine with their outputs compared, and user/tests/*.session typed on
    /// the console of run's machine
    #[command(after_help = ENV_HELP)]
    Test(test::Args),
    /// user/bench under Tine and under Debian's Linux in identical QEMU
    /// machines, side by side; writes build/bench/results.{json,md} and
    /// fork-memory.svg
    #[command(after_help = bench::AFTER_HELP)]
    Bench(bench::Args),
    /// Random system calls from a seed (user/fuzz/fuzz.c as init); fails on
    /// a kernel panic, hang or leak and then writes a reproducer
    #[command(after_help = fuzz::AFTER_HELP)]
    Fuzz(fuzz::Args),
    /// Run PROGRAM as exec does with the process-creation events traced;
    /// writes trace.txt, trace.json (Perfetto) and index.html (the process
    /// tree, copy-on-write and copy_process steps) to build/trace/<name>/
    #[command(after_help = trace::AFTER_HELP)]
    Trace(trace::Args),
    /// Write the initramfs that exec would boot to OUT (inspect it with
    /// `cpio -itv < OUT`)
    #[command(after_help = ENV_HELP)]
    Initramfs(InitramfsArgs),
    /// Build the Debian userland `run --rootfs debian` boots (mmdebstrap:
    /// bash, coreutils, procps, psmisc, strace, gdb, python3, less), cached
    /// in target/rootfs/debian/
    #[command(after_help = rootfs::AFTER_HELP)]
    Rootfs(rootfs::Args),
}

/// `--add HOST:GUEST`: a host file or directory tree and where it goes.
fn parse_add(spec: &str) -> std::result::Result<(PathBuf, String), String> {
    let (host, guest) = spec
        .split_once(':')
        .filter(|(h, g)| !h.is_empty() && !g.is_empty())
        .ok_or_else(|| format!("{spec:?} is not HOST:GUEST (e.g. --add notes.txt:/tmp/notes.txt)"))?;
    initramfs::normalize(guest)?;
    Ok((PathBuf::from(host), guest.to_string()))
}

/// The options of `exec` and `initramfs`, and the program with its
/// arguments. Options go before PROGRAM: everything after it, options
/// included (`-c`, `--help`), is the program's.
#[derive(clap::Args)]
struct ProgramArgs {
    /// Copy a host file, or a directory tree, to GUEST in the initramfs
    /// (repeatable)
    #[arg(long = "add", value_name = "HOST:GUEST", value_parser = parse_add)]
    adds: Vec<(PathBuf, String)>,
    /// Also /bin/busybox and a /bin/<applet> link for each of its applets
    /// (automatic when PROGRAM is named busybox)
    #[arg(long)]
    busybox: bool,
    /// PROGRAM: a host path, or the name of a program in user/demo or
    /// user/tests (a demo wins when both have it; built when needed), put at
    /// /bin/<basename>; then its arguments (everything after PROGRAM,
    /// options included, is the program's)
    #[arg(
        value_names = ["PROGRAM", "ARGS"],
        required = true,
        num_args = 1..,
        trailing_var_arg = true
    )]
    command: Vec<OsString>,
}

#[derive(clap::Args)]
struct ExecArgs {
    #[command(flatten)]
    program: ProgramArgs,
}

#[derive(clap::Args)]
struct InitramfsArgs {
    /// Where to write the cpio archive
    #[arg(value_name = "OUT")]
    out: PathBuf,
    #[command(flatten)]
    program: ProgramArgs,
}

#[derive(clap::Args)]
struct RunArgs {
    /// Copy a host file, or a directory tree, to GUEST in the initramfs
    /// (repeatable)
    #[arg(long = "add", value_name = "HOST:GUEST", value_parser = parse_add)]
    adds: Vec<(PathBuf, String)>,
    /// Boot this root file system instead of busybox's: `debian` is the
    /// userland of `cargo xtask rootfs` (built first when needed), where
    /// /init starts a login bash; the demos are in /usr/local/bin
    #[arg(long, value_name = "NAME", conflicts_with = "command")]
    rootfs: Option<rootfs::Rootfs>,
    /// PROGRAM runs as PID 1 instead of /init (a host path, or the name of
    /// a program in user/demo or user/tests); then its arguments (everything
    /// after PROGRAM, options included, is the program's)
    #[arg(value_names = ["PROGRAM", "ARGS"], num_args = 1.., trailing_var_arg = true)]
    command: Vec<OsString>,
}

/// Splits `PROGRAM [ARGS]...`.
pub fn split_command(mut command: Vec<OsString>) -> (Option<OsString>, Vec<OsString>) {
    if command.is_empty() {
        return (None, command);
    }
    let program = command.remove(0);
    (Some(program), command)
}

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// A `Stdio` writing to our stderr (for tools whose stdout would otherwise
/// mix with a program's output on ours).
pub fn stderr_stdio() -> Stdio {
    match std::io::stderr().as_fd().try_clone_to_owned() {
        Ok(fd) => Stdio::from(fd),
        Err(_) => Stdio::inherit(),
    }
}

/// A directory under $TMPDIR, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Result<TempDir> {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("tine-xtask-{}-{tag}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        Ok(TempDir(dir))
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What goes into an initramfs besides the fixed skeleton.
pub struct Payload {
    /// The first process, put at /bin/<basename> (its argv[0], written to
    /// /tine/argv). `None`: no /tine/argv, so the kernel runs /init.
    pub program: Option<PathBuf>,
    /// Its arguments after argv[0].
    pub args: Vec<OsString>,
    /// `--add HOST:GUEST` pairs.
    pub adds: Vec<(PathBuf, String)>,
    /// Other programs to put in /bin (for `run`).
    pub extra_bin: Vec<PathBuf>,
    /// A busybox to put at /bin/busybox, with a symlink
    /// /bin/<applet> -> busybox for each of its applets.
    pub busybox: Option<Busybox>,
    /// A program to put at /init (for `run`).
    pub init: Option<PathBuf>,
    /// Libraries a dynamically linked program will dlopen (names, found
    /// as its loader would): added with their own libraries.
    pub dlopen: Vec<String>,
    /// Host paths put at the same paths (a test's `// host:`): files
    /// (programs with their libraries) and directory trees; `-PATH` leaves
    /// PATH out of a tree.
    pub host: Vec<String>,
}

impl Payload {
    /// Just `program` and its arguments, as `exec` and the tests boot it.
    pub fn program(program: PathBuf, args: Vec<OsString>) -> Payload {
        Payload {
            program: Some(program),
            args,
            adds: vec![],
            extra_bin: vec![],
            busybox: None,
            init: None,
            dlopen: vec![],
            host: vec![],
        }
    }
}

pub fn basename(p: &Path) -> Result<String> {
    p.file_name()
        .and_then(OsStr::to_str)
        .map(str::to_string)
        .ok_or_else(|| format!("{}: no usable file name", p.display()))
}

/// Adds a host file (following symlinks: /bin/busybox may be one) at
/// `guest`, which must be a regular file.
fn add_program(fs: &mut Initramfs, host: &Path, guest: &str) -> Result<()> {
    let meta = std::fs::metadata(host).map_err(|e| format!("{}: {e}", host.display()))?;
    if !meta.is_file() {
        return Err(format!("{}: not a file", host.display()));
    }
    let host = std::fs::canonicalize(host).map_err(|e| format!("{}: {e}", host.display()))?;
    fs.add_host(&host, guest)
}

/// Lays out the initramfs: /dev, /tmp (1777), busybox and its applet
/// links in /bin, the other /bin programs, /init, /bin/<program>, the
/// --add files, and /tine/argv (unless there is no program) and
/// /tine/envp (NUL-terminated strings). Later entries replace earlier
/// ones of the same name.
pub fn make_initramfs(p: &Payload) -> Result<Initramfs> {
    let mut fs = Initramfs::new();
    fs.dir("/bin", 0o755)?;
    fs.dir("/dev", 0o755)?;
    fs.dir("/tmp", 0o1777)?;
    // Where POSIX shared memory and named semaphores live (Linux systems
    // mount a tmpfs there): multiprocessing's locks are sem_open()s.
    fs.dir("/dev/shm", 0o1777)?;
    fs.dir("/tine", 0o755)?;
    if let Some(bb) = &p.busybox {
        for applet in &bb.applets {
            fs.symlink(&format!("/bin/{applet}"), b"busybox".to_vec())?;
        }
        add_program(&mut fs, &bb.binary, "/bin/busybox")?;
        // Names for the ids (ps's USER column, id, ls -l), as on the host.
        fs.dir("/etc", 0o755)?;
        fs.file("/etc/passwd", 0o644, b"root:x:0:0:root:/root:/bin/sh\n".to_vec())?;
        fs.file("/etc/group", 0o644, b"root:x:0:\n".to_vec())?;
    }
    for extra in &p.extra_bin {
        fs.add_host(extra, &format!("/bin/{}", basename(extra)?))?;
    }
    if let Some(init) = &p.init {
        add_program(&mut fs, init, "/init")?;
    }
    let mut argv = None;
    if let Some(program) = &p.program {
        let argv0 = format!("/bin/{}", basename(program)?);
        add_program(&mut fs, program, &argv0)?;
        add_shared_libraries(&mut fs, program, &p.dlopen)?;
        let mut list = Vec::new();
        for arg in std::iter::once(OsStr::new(&argv0)).chain(p.args.iter().map(|a| a.as_os_str())) {
            if arg.as_bytes().contains(&0) {
                return Err("an argument contains a NUL byte".into());
            }
            list.extend_from_slice(arg.as_bytes());
            list.push(0);
        }
        argv = Some(list);
    }
    for (host, guest) in &p.adds {
        fs.add_host(host, guest)?;
        // A dynamically linked program added next to the first one (for
        // it to run) brings its libraries too.
        if std::fs::metadata(host).is_ok_and(|m| m.is_file()) {
            add_shared_libraries(&mut fs, host, &[])?;
        }
    }
    for path in p.host.iter().filter(|h| !h.starts_with('-')) {
        let host = Path::new(path);
        if std::fs::metadata(host).map_err(|e| format!("{path}: {e}"))?.is_dir() {
            fs.add_host(host, path)?;
        } else {
            // A file through its links: /bin/sh -> dash puts dash's bytes
            // at /bin/sh, as the program finds it natively.
            let real = std::fs::canonicalize(host).map_err(|e| format!("{path}: {e}"))?;
            if real == host {
                fs.add_host_path(host)?;
            } else {
                fs.add_host(&real, path)?;
            }
            add_shared_libraries(&mut fs, &real, &[])?;
        }
    }
    for path in p.host.iter().filter_map(|h| h.strip_prefix('-')) {
        fs.remove_tree(path)?;
    }
    if let Some(argv) = argv {
        fs.file("/tine/argv", 0o644, argv)?;
    }
    let mut envp = Vec::new();
    for (k, v) in GUEST_ENV {
        envp.extend_from_slice(format!("{k}={v}\0").as_bytes());
    }
    fs.file("/tine/envp", 0o644, envp)?;
    Ok(fs)
}

/// A dynamically linked `program`'s interpreter and libraries (and those
/// of the `dlopen` names), at their host paths, with the file its loader
/// reads to find them (/etc/ld.so.cache). Nothing for a static program.
fn add_shared_libraries(fs: &mut Initramfs, program: &Path, dlopen: &[String]) -> Result<()> {
    let files = dynlink::closure(program, dlopen)?;
    let Some(interp) = files.first() else { return Ok(()) };
    for f in dynlink::loader_files(dynlink::interp_is_musl(interp)).iter().chain(&files) {
        fs.add_host_path(f)?;
    }
    Ok(())
}

/// Writes the initramfs for `p` into `dir` and returns its path.
pub fn write_initramfs(p: &Payload, dir: &TempDir) -> Result<PathBuf> {
    let path = dir.path().join("initramfs.cpio");
    std::fs::write(&path, make_initramfs(p)?.to_bytes()).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path)
}

/// How the first process's standard streams look: `tty` (the console is
/// a terminal, as when typing at it) or `pipe` (stdout and stderr are one
/// pipe, stdin is /dev/null: what a program sees when the host runs it as
/// `prog 2>&1 | cat`, so its output can be compared with Linux's).
#[derive(Clone, Copy)]
pub enum GuestStdio {
    Tty,
    Pipe,
}

/// The kernel command line for a normal boot, plus `TINE_CMDLINE`.
pub fn cmdline(stdio: GuestStdio) -> String {
    // `quiet` (console_loglevel 4, as Debian boots) and no `console=`:
    // kernel messages reach no console, only the log (COM2), so the
    // console stays the program's output. `run` asks for console=ttyS0
    // at the default level instead.
    let mode = match stdio {
        GuestStdio::Tty => "tine.stdio=tty quiet",
        GuestStdio::Pipe => "tine.stdio=pipe quiet",
    };
    match std::env::var("TINE_CMDLINE") {
        Ok(extra) if !extra.is_empty() => format!("{mode} {extra}"),
        _ => mode.to_string(),
    }
}

/// The busybox to install in /bin with its applet links: Debian's
/// (/bin/busybox) with `--busybox`, or the program itself when it is
/// named `busybox` (its applets from running `PROGRAM --list` on the host).
fn busybox_for(program: Option<&Path>, flag: bool) -> Result<Option<Busybox>> {
    if flag {
        return Ok(Some(build::busybox()?.clone()));
    }
    match program {
        Some(p) if basename(p)? == "busybox" => {
            Ok(build::busybox_applets(p).ok().map(|applets| Busybox { binary: p.to_path_buf(), applets }))
        }
        _ => Ok(None),
    }
}

/// A host path, or the name of a user program (built if needed).
pub fn resolve_program(name: &OsStr) -> Result<PathBuf> {
    let path = PathBuf::from(name);
    if path.exists() {
        return Ok(path);
    }
    let s = name.to_string_lossy();
    if !s.contains('/') && build::user_sources()?.iter().any(|p| p.name == s) {
        let progs = build::user_programs()?;
        return Ok(progs.into_iter().find(|p| p.name == s).unwrap().binary);
    }
    Err(format!("{s}: no such file, and no user/demo/{s}.c or user/tests/{s}.c"))
}

fn cmd_build() -> Result<i32> {
    build::ensure_host_tools()?;
    build::kernel()?;
    build::user_programs()?;
    Ok(0)
}

fn cmd_exec(a: ExecArgs) -> Result<i32> {
    let ProgramArgs { adds, busybox, command } = a.program;
    let (program, args) = split_command(command);
    build::ensure_host_tools()?;
    let program = resolve_program(&program.expect("clap requires PROGRAM"))?;
    let busybox = busybox_for(Some(&program), busybox)?;
    let kernel = build::kernel()?;
    let tmp = TempDir::new("exec")?;
    let initrd = write_initramfs(&Payload { adds, busybox, ..Payload::program(program, args) }, &tmp)?;
    let timeout = qemu::timeout()?;
    let boot = Boot {
        kernel: &kernel,
        initrd: &initrd,
        cmdline: cmdline(if std::io::stdout().is_terminal() { GuestStdio::Tty } else { GuestStdio::Pipe }),
        accel: qemu::accel(&kernel),
        timeout,
        console: Console::Stream,
        stream_log: true,
        log_file: None,
        stop_on: None,
        com3: None,
        cpu: None,
    };
    let run = boot.run()?;
    Ok(qemu::exit_code(&run, timeout))
}

/// `initramfs OUT [--add HOST:GUEST]... PROGRAM [ARGS]...`: writes the
/// archive `exec` would boot, for inspection (`cpio -itv < OUT`).
fn cmd_initramfs(a: InitramfsArgs) -> Result<i32> {
    let out = a.out;
    let ProgramArgs { adds, busybox, command } = a.program;
    let (program, args) = split_command(command);
    let program = resolve_program(&program.expect("clap requires PROGRAM"))?;
    let busybox = busybox_for(Some(&program), busybox)?;
    let bytes = make_initramfs(&Payload { adds, busybox, ..Payload::program(program, args) })?.to_bytes();
    std::fs::write(&out, bytes).map_err(|e| format!("{}: {e}", out.display()))?;
    Ok(0)
}

/// What `run` boots: busybox and its applet links, the demos in /bin,
/// /init (user/init), the --add files; `program` (if any) runs as PID 1
/// instead of /init. Builds what it needs.
pub fn run_payload(program: Option<PathBuf>, args: Vec<OsString>, adds: Vec<(PathBuf, String)>) -> Result<Payload> {
    let busybox = build::busybox()?.clone();
    let progs = build::user_programs()?;
    let init = build::init_program()?;
    let extra_bin =
        progs.into_iter().filter(|p| !p.is_test).map(|p| p.binary).filter(|b| Some(b) != program.as_ref()).collect();
    Ok(Payload {
        program,
        args,
        adds,
        extra_bin,
        busybox: Some(busybox),
        init: Some(init),
        dlopen: vec![],
        host: vec![],
    })
}

/// `run`: busybox and its applets, the demos in /bin, /init (user/init);
/// without PROGRAM the kernel runs /init, which starts /bin/sh.
fn cmd_run(a: RunArgs) -> Result<i32> {
    let adds = a.adds;
    let (program, args) = split_command(a.command);
    build::ensure_host_tools()?;
    let kernel = build::kernel()?;
    let program = match program {
        Some(p) => Some(resolve_program(&p)?),
        None => None,
    };
    let tmp = TempDir::new("run")?;
    let initrd = match a.rootfs {
        Some(which) => rootfs::write_initramfs(which, &adds, &tmp)?,
        None => write_initramfs(&run_payload(program, args, adds)?, &tmp)?,
    };
    let accel = qemu::accel(&kernel);
    // The console shows what passes console_loglevel (7: all but debug
    // messages), as Linux's; the whole log goes to a file.
    let log_file = root().join("build/run-kernel.log");
    eprintln!("xtask: booting Tine ({}); Ctrl-A X quits; the kernel log goes to {}", accel.name(), log_file.display());
    let boot = Boot {
        kernel: &kernel,
        initrd: &initrd,
        cmdline: cmdline(GuestStdio::Tty).replace(" quiet", " console=ttyS0"),
        accel,
        timeout: None,
        console: Console::Interactive,
        stream_log: false,
        log_file: Some(log_file.clone()),
        stop_on: None,
        com3: None,
        cpu: None,
    };
    let run = boot.run()?;
    eprintln!("xtask: the kernel log is in {}", log_file.display());
    Ok(qemu::exit_code(&run, None))
}

fn real_main() -> Result<i32> {
    let cli = Cli::parse();
    if let Some(n) = cli.smp {
        qemu::set_smp(n);
    }
    match cli.command {
        Cmd::Build => cmd_build(),
        Cmd::Run(a) => cmd_run(a),
        Cmd::Exec(a) => cmd_exec(a),
        Cmd::Test(a) => test::main(a),
        Cmd::Bench(a) => bench::main(a),
        Cmd::Fuzz(a) => fuzz::main(a),
        Cmd::Trace(a) => trace::main(a),
        Cmd::Initramfs(a) => cmd_initramfs(a),
        Cmd::Rootfs(a) => rootfs::main(a),
    }
}

fn main() {
    let code = real_main().unwrap_or_else(|e| {
        eprintln!("xtask: {e}");
        1
    });
    std::process::exit(code);
}
