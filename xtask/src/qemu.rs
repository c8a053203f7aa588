//! Booting Tine in QEMU: the accelerator choice, the serial plumbing and
//! reading the outcome off the kernel log.
//!
//! COM1 (the first `-serial`) is the console: QEMU writes it to its stdout,
//! which is a pipe that xtask copies or captures. COM2 (the second) is the
//! kernel log: QEMU writes it to its stderr, a pipe that xtask reads line by
//! line, scanning for the lines below.

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::child::{Child, Wait};
use crate::{Result, TempDir};

pub const QEMU: &str = "qemu-system-x86_64";
/// Logged on COM2 when PID 1 ends; followed by the Linux wait status.
const STATUS_LINE: &str = "tine: init exited status=";
const PANIC_LINE: &str = "KERNEL PANIC";
/// Logged by reboot(2) (power off, halt, restart), which ends the machine
/// without a status line.
const REBOOT_LINE: &str = "tine: reboot: ";
pub(crate) const PROBE_OK: &str = "tine: probe ok";
pub(crate) const KVM_ERROR: &str = "KVM internal error";
/// The first and last lines of the kernel's task dump (core's
/// `proc::show_state`), which a break on COM2 asks for.
pub const DUMP_START: &str = "sysrq: Show State";
const DUMP_END: &str = "sysrq: end of task dump";
/// How long a timed-out boot is given to finish its task dump.
const DUMP_WAIT: Duration = Duration::from_secs(5);
pub(crate) const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

pub use crate::accel::{accel, force_accel, parse_smp, set_smp, smp, Accel};

pub(crate) fn describe(s: Option<ExitStatus>) -> String {
    match s.and_then(|s| s.code()) {
        Some(c) => format!("exited with code {c}"),
        None => "was killed".into(),
    }
}

/// Where COM1 goes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Console {
    /// Copied byte for byte to xtask's stdout; QEMU's stdin is /dev/null.
    Stream,
    /// Kept in memory (`Run::console`).
    Capture,
    /// Kept in memory, and each line containing this marker copied to
    /// xtask's stdout from the marker on, as it comes (`fuzz`'s progress
    /// amid its workers' noise).
    Lines(&'static str),
    /// The terminal, both ways (QEMU's stdio chardev; Ctrl-A X quits).
    Interactive,
    /// Pipes to xtask, both ways (QEMU's stdio chardev): `run_driven`.
    Driven,
}

pub struct Boot<'a> {
    pub kernel: &'a Path,
    pub initrd: &'a Path,
    pub cmdline: String,
    pub accel: Accel,
    pub timeout: Option<Duration>,
    pub console: Console,
    /// Copy the kernel log to xtask's stderr as it comes.
    pub stream_log: bool,
    /// Write the kernel log to this file as it comes (`run`: the whole
    /// log, while the console shows only what passes console_loglevel).
    pub log_file: Option<PathBuf>,
    /// Stop QEMU as soon as a log line contains this.
    pub stop_on: Option<&'static str>,
    /// Where COM3 goes (`cargo xtask trace`'s drain), if anywhere.
    pub com3: Option<&'a Path>,
    /// QEMU's `-cpu` model instead of the accelerator's (a test's
    /// `// qemu-cpu:`).
    pub cpu: Option<&'a str>,
}

/// How a boot ended.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Outcome {
    /// `tine: init exited status=N`: N is the Linux wait status.
    Exited(u32),
    /// A `KERNEL PANIC` line (wins over a status line).
    Panic,
    /// A process ended the machine with reboot(2) (`tine: reboot: ...`),
    /// e.g. /init powering off when the shell exits.
    Reboot,
    /// QEMU reported a KVM internal error (and was killed).
    KvmError,
    /// `timeout` elapsed (QEMU was killed).
    Timeout,
    /// QEMU ended without any of the above.
    NoStatus,
    /// Still running when a driven boot's driver was done (QEMU killed).
    Running,
}

pub struct Run {
    pub outcome: Outcome,
    pub qemu_status: Option<ExitStatus>,
    /// COM1, if captured.
    pub console: Vec<u8>,
    /// COM2 and QEMU's own messages.
    pub log: Vec<u8>,
    /// The `stop_on` line was seen.
    pub stopped: bool,
}

#[derive(Default)]
struct LogScan {
    status: Option<u32>,
    panic: bool,
    reboot: bool,
    kvm_error: bool,
    stopped: bool,
    text: Vec<u8>,
}

enum Event {
    KvmError,
    Stop,
    /// The kernel finished a task dump.
    DumpEnd,
}

/// Where COM1 (the console) goes, as QEMU sees it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Com1 {
    /// A file chardev on QEMU's stdout, which is a pipe to xtask; stdin is
    /// /dev/null.
    Stdout,
    /// QEMU's stdio chardev on pipes to xtask, both ways, with no mux (so no
    /// Ctrl-A escapes: every byte goes to the guest) and no signals from ^C.
    Pipes,
    /// QEMU's stdio chardev on xtask's terminal, muxed (Ctrl-A X quits).
    Terminal,
}

/// Where COM2 (Tine's kernel log; Linux leaves it unused) goes.
#[derive(Clone, Debug)]
pub enum Com2 {
    /// QEMU's stderr, a pipe to xtask (with QEMU's own messages).
    Stderr,
    /// A file.
    File(PathBuf),
}

/// The one qemu-system-x86_64 command line of xtask: the machine every
/// command boots (Tine's, and Debian's Linux for `bench`). Only the
/// kernel, initrd, command line, memory, CPUs, accelerator, the serial
/// ports and extra arguments (`bench --profile`'s gdbstub) vary.
#[derive(Clone, Debug)]
pub struct Qemu {
    kernel: PathBuf,
    initrd: PathBuf,
    append: String,
    memory: String,
    smp: u32,
    accel: Accel,
    com1: Com1,
    com2: Com2,
    /// COM3, when wanted: the trace drain of `cargo xtask trace`.
    com3: Option<PathBuf>,
    /// QEMU's human monitor on this Unix socket (else none): how a
    /// timed-out boot asks the kernel for its task dump.
    monitor: Option<PathBuf>,
    /// `-cpu`, when not the accelerator's own model.
    cpu: Option<String>,
    extra: Vec<OsString>,
}

impl Qemu {
    /// `-m 1G -smp N` ([`smp`]), COM1 on stdout, COM2 on stderr.
    pub fn new(kernel: &Path, initrd: &Path, append: &str, accel: Accel) -> Qemu {
        Qemu {
            kernel: kernel.to_path_buf(),
            initrd: initrd.to_path_buf(),
            append: append.to_string(),
            memory: "1G".into(),
            smp: smp(),
            accel,
            com1: Com1::Stdout,
            com2: Com2::Stderr,
            com3: None,
            monitor: None,
            cpu: None,
            extra: vec![],
        }
    }

    /// `-m`: "1G", "2G", ...
    pub fn memory(mut self, m: &str) -> Qemu {
        self.memory = m.to_string();
        self
    }

    pub fn smp(mut self, n: u32) -> Qemu {
        self.smp = n;
        self
    }

    pub fn com1(mut self, c: Com1) -> Qemu {
        self.com1 = c;
        self
    }

    pub fn com2(mut self, c: Com2) -> Qemu {
        self.com2 = c;
        self
    }

    /// A third serial port (COM3, 0x3e8) written to the file `f`.
    pub fn com3(mut self, f: Option<&Path>) -> Qemu {
        self.com3 = f.map(Path::to_path_buf);
        self
    }

    /// QEMU's monitor on the Unix socket `sock` (see [`ask_task_dump`]).
    pub fn monitor(mut self, sock: Option<&Path>) -> Qemu {
        self.monitor = sock.map(Path::to_path_buf);
        self
    }

    /// `-cpu MODEL` (e.g. `max,-xsave`) instead of the accelerator's
    /// (`max` under TCG, `host,...` under KVM); None keeps that.
    pub fn cpu(mut self, model: Option<&str>) -> Qemu {
        self.cpu = model.map(str::to_string);
        self
    }

    /// More arguments at the end.
    pub fn arg(mut self, a: impl Into<OsString>) -> Qemu {
        self.extra.push(a.into());
        self
    }

    /// Whether QEMU needs xtask's terminal (and so must stay in its
    /// process group).
    pub fn on_terminal(&self) -> bool {
        self.com1 == Com1::Terminal
    }

    /// The command, with its stdin, stdout and stderr set up (stderr is
    /// always a pipe).
    pub fn command(&self) -> Result<Command> {
        let mut paths = vec![self.kernel.as_path(), self.initrd.as_path()];
        if let Com2::File(f) = &self.com2 {
            paths.push(f);
        }
        if let Some(f) = &self.com3 {
            paths.push(f);
        }
        if let Some(f) = &self.monitor {
            paths.push(f);
        }
        for p in paths {
            // -initrd is a list of multiboot modules ("path args,path
            // args"), and chardev options are comma-separated.
            let s = p.to_str().ok_or_else(|| format!("{}: path is not UTF-8", p.display()))?;
            if s.contains([',', ' ', '\t']) {
                return Err(format!("{s}: QEMU cannot take a path with commas or spaces"));
            }
        }
        let mut cmd = Command::new(QEMU);
        cmd.arg("-kernel").arg(&self.kernel);
        cmd.arg("-initrd").arg(&self.initrd);
        cmd.arg("-append").arg(&self.append);
        cmd.arg("-m").arg(&self.memory);
        cmd.arg("-smp").arg(self.smp.to_string());
        cmd.args(["-no-reboot", "-display", "none", "-vga", "none"]);
        cmd.args(["-nic", "none", "-monitor"]);
        match &self.monitor {
            Some(sock) => {
                let mut a = OsString::from("unix:");
                a.push(sock);
                a.push(",server=on,wait=off");
                cmd.arg(a);
            }
            None => {
                cmd.arg("none");
            }
        }
        cmd.args(["-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]);
        match self.com1 {
            Com1::Terminal => {
                cmd.args(["-chardev", "stdio,id=con,mux=on,signal=off"]);
                cmd.stdin(Stdio::inherit()).stdout(Stdio::inherit());
            }
            Com1::Pipes => {
                cmd.args(["-chardev", "stdio,id=con,signal=off"]);
                cmd.stdin(Stdio::piped()).stdout(Stdio::piped());
            }
            Com1::Stdout => {
                // A file chardev opened on QEMU's stdout, which is our pipe.
                cmd.args(["-chardev", "file,id=con,path=/dev/stdout"]);
                cmd.stdin(Stdio::null()).stdout(Stdio::piped());
            }
        }
        cmd.args(["-serial", "chardev:con"]);
        let log = match &self.com2 {
            Com2::Stderr => OsString::from("file,id=log,path=/dev/stderr"),
            Com2::File(f) => {
                let mut a = OsString::from("file,id=log,path=");
                a.push(f);
                a
            }
        };
        cmd.arg("-chardev").arg(log).args(["-serial", "chardev:log"]);
        if let Some(f) = &self.com3 {
            let mut a = OsString::from("file,id=trace,path=");
            a.push(f);
            cmd.arg("-chardev").arg(a).args(["-serial", "chardev:trace"]);
        }
        cmd.stderr(Stdio::piped());
        cmd.args(self.accel_args());
        cmd.args(&self.extra);
        Ok(cmd)
    }

    /// The accelerator's arguments: TCG runs one host thread per vCPU
    /// (`thread=multi`) when there are several, so that they really run
    /// in parallel, except under `-icount`, which needs one thread.
    fn accel_args(&self) -> Vec<&str> {
        let mut a = self.accel.args().to_vec();
        let icount = self.extra.iter().any(|e| e == "-icount");
        if self.accel == Accel::Tcg && self.smp > 1 && !icount {
            a[1] = "tcg,thread=multi";
        }
        if let Some(model) = &self.cpu {
            a[3] = model;
        }
        a
    }

    /// Starts QEMU (in a process group of its own unless it is on the
    /// terminal).
    pub fn spawn(&self) -> Result<Child> {
        Child::spawn_with(&mut self.command()?, QEMU, !self.on_terminal())
    }
}

/// The memory of a machine booting `initrd`: 1 GiB, or for a big archive
/// (`run --rootfs debian`) what its files need: the archive itself, stays
/// where the boot loader put it, a kernel heap of twice its size (its files
/// are copied there, see hal's start.rs) and the 768 MiB of frames a 1 GiB
/// machine has, rounded up to 128 MiB.
pub fn memory_for(initrd: &Path) -> String {
    let size = std::fs::metadata(initrd).map(|m| m.len()).unwrap_or(0) >> 20;
    let mib = (3 * size + 768).max(1024).next_multiple_of(128);
    if mib.is_multiple_of(1024) {
        format!("{}G", mib / 1024)
    } else {
        format!("{mib}M")
    }
}

impl Boot<'_> {
    fn qemu(&self) -> Qemu {
        Qemu::new(self.kernel, self.initrd, &self.cmdline, self.accel)
            .memory(&memory_for(self.initrd))
            .com1(match self.console {
                Console::Interactive => Com1::Terminal,
                Console::Driven => Com1::Pipes,
                Console::Stream | Console::Capture | Console::Lines(_) => Com1::Stdout,
            })
            .com3(self.com3)
            .cpu(self.cpu)
    }

    pub fn run(&self) -> Result<Run> {
        assert!(self.console != Console::Driven, "use run_driven");
        // A boot that may time out gets a monitor, to ask for the task
        // dump first.
        let monitor_dir = match self.timeout {
            Some(_) => Some(TempDir::new("monitor")?),
            None => None,
        };
        let sock = monitor_dir.as_ref().map(|d| d.path().join("sock"));
        let mut child = self.qemu().monitor(sock.as_deref()).spawn()?;
        let (tx, rx) = mpsc::channel();

        let console = child.inner.stdout.take().map(|out| {
            let mode = self.console;
            thread::spawn(move || copy_console(out, mode))
        });
        let log = self.spawn_log(&mut child, tx);

        let (qemu_status, killed) = wait(&mut child, &rx, self.timeout, sock.as_deref())?;
        let console = console.map(|t| t.join().unwrap_or_default()).unwrap_or_default();
        let scan = log.join().unwrap_or_default();
        Ok(finish(scan, console, qemu_status, killed))
    }

    /// Boots with the console on pipes (`Console::Driven`) and calls
    /// `drive`, which types on the console and watches its output through
    /// the [`Driver`]. When `drive` returns, QEMU is given 5 s to exit if it
    /// has already closed the console (the machine ended), and is killed
    /// otherwise (`Outcome::Running`, unless the log says more). `timeout`
    /// bounds the driver's waits (`Driver::wait_until`).
    pub fn run_driven<R>(&self, drive: impl FnOnce(&mut Driver) -> R) -> Result<(Run, R)> {
        assert!(self.console == Console::Driven);
        let mut child = self.qemu().spawn()?;
        let (tx, rx) = mpsc::channel();
        let screen = Arc::new(Screen::default());
        let console = {
            let out = child.inner.stdout.take().unwrap();
            let screen = screen.clone();
            thread::spawn(move || screen.fill(out))
        };
        let log = self.spawn_log(&mut child, tx);
        let mut driver = Driver {
            stdin: child.inner.stdin.take(),
            screen: screen.clone(),
            deadline: self.timeout.map(|t| Instant::now() + t),
        };
        let r = drive(&mut driver);
        drop(driver); // QEMU's stdin: EOF
        let ended = screen.state.lock().unwrap().eof;
        let (qemu_status, killed) = if ended {
            // QEMU closed its stdout: it is exiting.
            wait(&mut child, &rx, Some(Duration::from_secs(5)), None)?
        } else {
            child.kill();
            (None, Some(Killed::Done))
        };
        let _ = console.join();
        let scan = log.join().unwrap_or_default();
        let bytes = std::mem::take(&mut screen.state.lock().unwrap().bytes);
        Ok((finish(scan, bytes, qemu_status, killed), r))
    }

    fn spawn_log(&self, child: &mut Child, tx: mpsc::Sender<Event>) -> thread::JoinHandle<LogScan> {
        let err = child.inner.stderr.take().unwrap();
        let stream = self.stream_log;
        let stop_on = self.stop_on;
        let file = self.log_file.as_ref().and_then(|p| std::fs::File::create(p).ok());
        thread::spawn(move || scan_log(err, stream, file, stop_on, tx))
    }
}

/// The outcome of a boot from what the log said and how QEMU ended.
fn finish(scan: LogScan, console: Vec<u8>, qemu_status: Option<ExitStatus>, killed: Option<Killed>) -> Run {
    let outcome = if scan.panic {
        Outcome::Panic
    } else if let Some(s) = scan.status {
        Outcome::Exited(s)
    } else if scan.reboot {
        Outcome::Reboot
    } else if scan.kvm_error {
        Outcome::KvmError
    } else if killed == Some(Killed::Timeout) {
        Outcome::Timeout
    } else if killed == Some(Killed::Done) {
        Outcome::Running
    } else {
        Outcome::NoStatus
    };
    Run { outcome, qemu_status, console, log: scan.text, stopped: scan.stopped }
}

/// The console output of a driven boot so far, filled by a reader thread.
#[derive(Default)]
struct Screen {
    state: Mutex<ScreenState>,
    grew: Condvar,
}

#[derive(Default)]
struct ScreenState {
    bytes: Vec<u8>,
    /// QEMU closed its stdout (it has ended).
    eof: bool,
}

impl Screen {
    fn fill(&self, mut from: impl Read) {
        let mut buf = [0u8; 8192];
        loop {
            let n = match from.read(&mut buf) {
                Ok(0) => 0,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => 0,
            };
            let mut st = self.state.lock().unwrap();
            if n == 0 {
                st.eof = true;
                self.grew.notify_all();
                return;
            }
            st.bytes.extend_from_slice(&buf[..n]);
            self.grew.notify_all();
        }
    }
}

/// The console of a driven boot, as `run_driven` hands it to the driver.
pub struct Driver {
    stdin: Option<ChildStdin>,
    screen: Arc<Screen>,
    /// The boot's overall time limit (`Boot::timeout`).
    deadline: Option<Instant>,
}

/// Why [`Driver::wait_until`] gave up.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum WaitEnd {
    /// The step's own time limit.
    Timeout,
    /// The boot's time limit (`TINE_TIMEOUT`).
    BootTimeout,
}

impl Driver {
    /// Types `bytes` on the console.
    pub fn send(&mut self, bytes: &[u8]) -> Result<()> {
        let stdin = self.stdin.as_mut().ok_or("the console is closed")?;
        stdin
            .write_all(bytes)
            .and_then(|_| stdin.flush())
            .map_err(|e| format!("typing on the console: {e} (QEMU has ended?)"))
    }

    /// Whether QEMU has closed the console (it has ended).
    pub fn ended(&self) -> bool {
        self.screen.state.lock().unwrap().eof
    }

    /// How many bytes of console output there are so far.
    pub fn output_len(&self) -> usize {
        self.screen.state.lock().unwrap().bytes.len()
    }

    /// The console output so far.
    pub fn output(&self) -> Vec<u8> {
        self.screen.state.lock().unwrap().bytes.clone()
    }

    /// Waits until `done(output, ended)` says yes (`ended`: QEMU has closed
    /// the console, no more output will come), for at most `limit` (and
    /// never past the boot's time limit). `done` is called at once and
    /// again whenever output arrives.
    pub fn wait_until<T>(
        &self,
        limit: Duration,
        mut done: impl FnMut(&[u8], bool) -> Option<T>,
    ) -> std::result::Result<T, WaitEnd> {
        let mut deadline = Instant::now() + limit;
        let mut end = WaitEnd::Timeout;
        if let Some(d) = self.deadline.filter(|d| *d < deadline) {
            deadline = d;
            end = WaitEnd::BootTimeout;
        }
        let mut st = self.screen.state.lock().unwrap();
        loop {
            if let Some(t) = done(&st.bytes, st.eof) {
                return Ok(t);
            }
            let now = Instant::now();
            if now >= deadline || st.eof {
                return Err(end);
            }
            st = self.screen.grew.wait_timeout(st, deadline - now).unwrap().0;
        }
    }
}

/// Waits for QEMU for at most `timeout`, killing it on timeout or on an
/// event from the log. With a `monitor`, a timeout first asks the kernel
/// for its task dump ([`ask_task_dump`]) and waits for it, for at most
/// `DUMP_WAIT`.
fn wait(
    child: &mut Child,
    events: &mpsc::Receiver<Event>,
    timeout: Option<Duration>,
    monitor: Option<&Path>,
) -> Result<(Option<ExitStatus>, Option<Killed>)> {
    let deadline = timeout.map(|t| Instant::now() + t);
    let mut dumping: Option<Instant> = None;
    let waited = child.wait_or_kill(Some(events), |event| match event {
        Some(Event::KvmError) => Some(Killed::KvmError),
        Some(Event::Stop) => Some(Killed::Stop),
        Some(Event::DumpEnd) => dumping.map(|_| Killed::Timeout),
        None => {
            let now = Instant::now();
            if let Some(until) = dumping {
                return (now >= until).then_some(Killed::Timeout);
            }
            if deadline.is_none_or(|d| now < d) {
                return None;
            }
            match monitor.map(ask_task_dump) {
                Some(Ok(())) => {
                    dumping = Some(now + DUMP_WAIT);
                    None
                }
                _ => Some(Killed::Timeout),
            }
        }
    })?;
    // QEMU's own status says nothing once we have killed it.
    Ok(match waited {
        Wait::Exited(status) => (Some(status), None),
        Wait::Killed(why) => (None, Some(why)),
    })
}

/// Sends a break to COM2 through QEMU's monitor on `sock`: the kernel
/// answers with its task dump on the log (Linux: a serial console's
/// break and SysRq-t).
fn ask_task_dump(sock: &Path) -> std::io::Result<()> {
    use std::os::unix::net::UnixStream;
    let mut s = UnixStream::connect(sock)?;
    s.set_read_timeout(Some(Duration::from_secs(1)))?;
    s.write_all(b"chardev-send-break log\n")?;
    // Read until the monitor's prompt comes back after the command (the
    // first one ends its banner), so that the command has run before
    // the connection closes.
    let mut seen = Vec::new();
    let mut buf = [0u8; 512];
    while seen.windows(6).filter(|w| *w == b"(qemu)").count() < 2 {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => seen.extend_from_slice(&buf[..n]),
        }
    }
    Ok(())
}

/// The kernel's task dump in `log`, the last one, header to end; empty
/// if there is none.
pub fn task_dump(log: &[u8]) -> Vec<String> {
    let log = String::from_utf8_lossy(log);
    let lines: Vec<&str> = log.lines().collect();
    let Some(start) = lines.iter().rposition(|l| l.contains(DUMP_START)) else { return vec![] };
    let end = lines[start..].iter().position(|l| l.contains(DUMP_END)).map_or(lines.len(), |e| start + e + 1);
    lines[start..end].iter().map(|l| l.to_string()).collect()
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Killed {
    Timeout,
    KvmError,
    Stop,
    /// A driven boot whose driver was done while the guest still ran.
    Done,
}

fn copy_console(mut from: impl Read, mode: Console) -> Vec<u8> {
    let stream = mode == Console::Stream;
    let mut kept = Vec::new();
    let mut buf = [0u8; 8192];
    let stdout = std::io::stdout();
    let mut ok = true;
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        };
        if stream {
            // Keep draining even if our stdout went away, so QEMU never blocks.
            if ok {
                let mut out = stdout.lock();
                ok = out.write_all(&buf[..n]).and_then(|_| out.flush()).is_ok();
            }
        } else {
            let start = kept.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
            kept.extend_from_slice(&buf[..n]);
            if let Console::Lines(marker) = mode {
                show_lines(&kept[start..], marker);
            }
        }
    }
    kept
}

/// Copies to stdout the complete lines of `text` that contain `marker`,
/// from the marker on.
fn show_lines(text: &[u8], marker: &str) {
    let mut out = std::io::stdout().lock();
    let mut lines = text.split(|&b| b == b'\n');
    lines.next_back(); // what follows the last newline: not a line yet
    for line in lines {
        let line = String::from_utf8_lossy(line);
        if let Some(i) = line.find(marker) {
            let _ = writeln!(out, "{}", &line[i..]);
        }
    }
    let _ = out.flush();
}

fn scan_log(
    from: impl Read,
    stream: bool,
    mut file: Option<std::fs::File>,
    stop_on: Option<&str>,
    tx: mpsc::Sender<Event>,
) -> LogScan {
    let mut scan = LogScan::default();
    let mut from = BufReader::new(from);
    let mut line = Vec::new();
    let stderr = std::io::stderr();
    loop {
        line.clear();
        match from.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        if stream {
            let mut err = stderr.lock();
            // (QEMU's stdio chardev leaves OPOST on, so a terminal still
            // turns LF into CR LF: write the bytes as they are.)
            let _ = err.write_all(&line);
            let _ = err.flush();
        }
        if let Some(f) = file.as_mut() {
            let _ = f.write_all(&line);
            let _ = f.flush();
        }
        scan.text.extend_from_slice(&line);
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\n', '\r']);
        if let Some(i) = text.find(STATUS_LINE) {
            let n = &text[i + STATUS_LINE.len()..];
            if let Ok(n) = n.trim().parse::<u32>() {
                scan.status.get_or_insert(n);
            }
        }
        if text.contains(PANIC_LINE) {
            scan.panic = true;
        }
        if text.contains(REBOOT_LINE) {
            scan.reboot = true;
        }
        if text.contains(KVM_ERROR) {
            scan.kvm_error = true;
            let _ = tx.send(Event::KvmError);
        }
        if text.contains(DUMP_END) {
            let _ = tx.send(Event::DumpEnd);
        }
        if stop_on.is_some_and(|s| text.contains(s)) {
            scan.stopped = true;
            let _ = tx.send(Event::Stop);
        }
    }
    scan
}

/// How a process ended, as `wait` reports it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Status {
    Exited(i32),
    Signaled(i32),
}

impl Status {
    /// Decodes a Linux wait status; `None` for a stopped/continued one.
    pub fn from_wait(ws: u32) -> Option<Status> {
        match ws & 0x7f {
            0 => Some(Status::Exited(((ws >> 8) & 0xff) as i32)),
            0x7f => None,
            sig => Some(Status::Signaled(sig as i32)),
        }
    }

    /// The shell convention: the exit code, or 128 + the signal number.
    pub fn code(self) -> i32 {
        match self {
            Status::Exited(c) => c,
            Status::Signaled(s) => 128 + s,
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self {
            Status::Exited(c) => write!(f, "exit status {c}"),
            Status::Signaled(s) => write!(f, "killed by signal {s}"),
        }
    }
}

/// Exit codes of `exec` and `run` when there is no program status.
pub const EXIT_PANIC: i32 = 250;
pub const EXIT_NO_STATUS: i32 = 251;
pub const EXIT_TIMEOUT: i32 = 252;

/// Maps a boot's outcome to xtask's exit code, explaining on stderr when it
/// is not the program's own.
pub fn exit_code(run: &Run, timeout: Option<Duration>) -> i32 {
    match run.outcome {
        Outcome::Exited(ws) => match Status::from_wait(ws) {
            Some(s) => s.code(),
            None => {
                eprintln!("xtask: init exited with an odd wait status {ws:#x}");
                EXIT_NO_STATUS
            }
        },
        Outcome::Panic => {
            eprintln!("xtask: kernel panic");
            EXIT_PANIC
        }
        Outcome::Reboot => 0,
        Outcome::KvmError => {
            eprintln!("xtask: KVM internal error (QEMU killed); try TINE_ACCEL=tcg");
            EXIT_NO_STATUS
        }
        Outcome::Timeout => {
            let t = timeout.map(|t| t.as_secs_f64()).unwrap_or(0.0);
            eprintln!("xtask: timeout after {t} s (TINE_TIMEOUT); QEMU killed");
            EXIT_TIMEOUT
        }
        Outcome::Running => {
            eprintln!("xtask: QEMU killed while the guest was still running");
            EXIT_NO_STATUS
        }
        Outcome::NoStatus => {
            eprintln!("xtask: QEMU {} without a \"{STATUS_LINE}N\" line", describe(run.qemu_status));
            EXIT_NO_STATUS
        }
    }
}

/// Describes an outcome in a few words (for test reports).
pub fn outcome_text(o: Outcome) -> String {
    match o {
        Outcome::Exited(ws) => match Status::from_wait(ws) {
            Some(s) => s.to_string(),
            None => format!("odd wait status {ws:#x}"),
        },
        Outcome::Panic => "kernel panic".into(),
        Outcome::Reboot => "reboot(2) ended the machine".into(),
        Outcome::KvmError => "KVM internal error".into(),
        Outcome::Timeout => "timeout".into(),
        Outcome::NoStatus => "QEMU ended without a status line".into(),
        Outcome::Running => "still running (QEMU killed)".into(),
    }
}

/// `TINE_TIMEOUT` (seconds; 0 means none). The default is 60 s on one
/// CPU and 120 s on several: their vCPU threads compete for the host's
/// cores under TCG, and a CPU waiting for another (a TLB shootdown, a
/// lock whose holder's thread the host descheduled) waits for the host's
/// scheduler; tlb_fork_snapshot took from 4 s to 60 s with the host's load.
pub fn timeout() -> Result<Option<Duration>> {
    match std::env::var("TINE_TIMEOUT") {
        Err(_) => Ok(Some(Duration::from_secs(if crate::accel::smp() > 1 { 120 } else { 60 }))),
        Ok(s) => {
            let secs: f64 = s
                .trim()
                .parse()
                .ok()
                .filter(|v: &f64| v.is_finite() && *v >= 0.0)
                .ok_or_else(|| format!("TINE_TIMEOUT={s} is not a number of seconds"))?;
            Ok((secs > 0.0).then(|| Duration::from_secs_f64(secs)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_dump_is_the_last_one_from_its_header_to_its_end() {
        let log = b"tine: booting\nsysrq: Show State\nold\nsysrq: end of task dump (1 of 1 tasks)\n\
                    more\nsysrq: Show State\ntask:a state:S pid:1\n  waits: pipe 1\n\
                    sysrq: end of task dump (1 of 1 tasks)\nafter\n";
        assert_eq!(
            task_dump(log),
            ["sysrq: Show State", "task:a state:S pid:1", "  waits: pipe 1", "sysrq: end of task dump (1 of 1 tasks)"]
        );
        assert!(task_dump(b"no dump here\n").is_empty());
        // Cut short (QEMU killed mid-dump): what there is.
        assert_eq!(task_dump(b"sysrq: Show State\ntask:a\n"), ["sysrq: Show State", "task:a"]);
    }
}
