//! `cargo xtask trace`: run a program as `exec` does with the
//! process-creation events on, and draw what happened.
//!
//! The trace leaves the machine on a channel of its own, so that the
//! program's console output stays byte-exact: Tine streams it to COM3 as
//! its ring buffer fills (`tine.trace_drain=1`, [`stream`]), having had
//! its events enabled from boot by `trace_event=` on the command line, as
//! Linux's boot parameter does. Under `--linux`, a small init
//! (user/trace/traceinit.c) enables the same events in Linux's tracefs,
//! runs the program, and copies Linux's `trace` to /dev/ttyS2 (COM3).
//!
//! - [`model`]: trace.txt parsed into processes, states and marks;
//! - [`chrome`]: trace.json in the Chrome trace-event format (Perfetto);
//! - [`html`]: index.html, compare.html and the SVG panels.

mod browser;
mod check;
mod chrome;
mod html;
mod linux;
mod model;
mod stream;

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::qemu::{self, Boot, Console};
use crate::{build, Payload, Result, TempDir};

pub const AFTER_HELP: &str = "\
Writes to build/trace/<name>/ (or --out DIR):
  trace.txt     the trace in Linux's text format (as /sys/kernel/tracing/trace)
  trace.json    Chrome trace-event format: open it in https://ui.perfetto.dev
                or chrome://tracing
  index.html    the process tree, the copy-on-write panel and the
                copy_process waterfall in one self-contained page
  *.svg         the same panels as images (--svg)
  linux/        the same for Debian's Linux, and compare.html (--linux)
  kernel.log    Tine's kernel log of the run";

/// The events traced unless `--events` says otherwise. Linux knows no
/// `tine:` events; its init skips them.
pub const DEFAULT_EVENTS: &str = "sched:sched_process_fork,sched:sched_process_exec,sched:sched_process_exit,\
sched:sched_process_wait,sched:sched_process_free,sched:sched_wakeup_new,sched:sched_wakeup,sched:sched_switch,\
task:*,signal:*,tine:*,raw_syscalls:sys_enter,exceptions:page_fault_user";

/// The ring buffer per CPU: big enough that a demo loses nothing even
/// where the buffer cannot drain while the program runs (Linux's, read
/// once at the end).
pub const BUF_SIZE: &str = "8M";

#[derive(clap::Args)]
pub struct Args {
    /// The events to enable, comma-separated `set_event` words (default:
    /// sched's process events and sched_switch/wakeup, task:*, signal:*,
    /// tine:*, raw_syscalls:sys_enter for the exit statuses,
    /// exceptions:page_fault_user)
    #[arg(long, value_name = "LIST")]
    events: Option<String>,
    /// Also run PROGRAM under Debian's Linux in the same QEMU machine,
    /// write its files to OUT/linux/ and compare.html beside index.html
    #[arg(long)]
    linux: bool,
    /// Also write the panels as SVG images (tree.svg, cow.svg, steps.svg)
    #[arg(long)]
    svg: bool,
    /// Boot nothing: draw again from the trace.txt files already in the
    /// output directory (and linux/ with --linux)
    #[arg(long)]
    redraw: bool,
    /// Check the pages with headless Chromium (installed when missing):
    /// each loads with the network off and no script error, shows a lane
    /// per process and a mark per COW fault; writes a PNG screenshot of each
    #[arg(long)]
    browser_check: bool,
    /// Check the known process tree of user/demo/forktree.c or
    /// user/demo/pgroups.c in each trace (processes, parents, groups,
    /// forks, exec, exit statuses, COW faults) and, with --browser-check,
    /// that the COW panel shows a copy per page written after fork and,
    /// with --linux, that compare.html lists no difference
    #[arg(long)]
    check: bool,
    /// Each CPU's ring buffer (`trace_buf_size=`: bytes, with k, M or G;
    /// default 8M). Tine drains it as pages fill, so a small one loses
    /// nothing; Linux's is read once at the end
    #[arg(long, value_name = "SIZE", default_value = BUF_SIZE)]
    buffer_size: String,
    /// Where to write (default build/trace/<name of PROGRAM>)
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// PROGRAM (a host path, or the name of a program in user/demo or
    /// user/tests), then its arguments
    #[arg(value_names = ["PROGRAM", "ARGS"], required = true, num_args = 1.., trailing_var_arg = true)]
    command: Vec<OsString>,
}

pub fn main(a: Args) -> Result<i32> {
    let (program, args) = crate::split_command(a.command);
    build::ensure_host_tools()?;
    let program = crate::resolve_program(&program.expect("clap requires PROGRAM"))?;
    let name = crate::basename(&program)?;
    let out = a.out.unwrap_or_else(|| crate::root().join("build/trace").join(&name));
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let events = a.events.unwrap_or_else(|| DEFAULT_EVENTS.to_string());
    if events.contains(char::is_whitespace) {
        return Err("--events: a comma-separated list without spaces".into());
    }

    if a.check && !(name == "forktree" || name == "pgroups" && args.is_empty()) {
        return Err("--check knows the trees of forktree and of pgroups without arguments only".into());
    }
    let check = |t: &model::Trace, kernel: &str| -> Result<()> {
        if a.check {
            let buffer = check::FORKTREE_BUFFER;
            let r = if name == "forktree" { check::forktree(t, buffer) } else { check::pgroups(t, buffer) };
            r.map_err(|e| format!("{kernel}'s trace: {e}"))?;
            eprintln!("xtask: {kernel}'s trace holds {name}'s known tree, statuses and COW faults");
        }
        Ok(())
    };
    // The pages the known programs write after fork, each a COW copy
    // that the COW panel must show.
    let cow_writes = a.check.then(|| {
        let writes = if name == "forktree" { check::FORKTREE_WRITES } else { check::PGROUPS.0 * check::PGROUPS.1 };
        (check::FORKTREE_BUFFER..check::FORKTREE_BUFFER + check::PAGES * 4096, writes)
    });
    let code = if a.redraw { 0 } else { run_tine(&program, &args, &events, &a.buffer_size, &out)? };
    let text = read(&out.join("trace.txt"))?;
    let tine = model::Trace::parse(&text, model::Root::Init)?;
    write_outputs(&tine, &out, "Tine", a.svg)?;
    eprint!("{}", summary_lines(&tine, "Tine"));
    check(&tine, "Tine")?;

    if a.linux {
        let dir = out.join("linux");
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        if !a.redraw {
            linux::run(&program, &args, &events, &a.buffer_size, &dir)?;
        }
        let text = read(&dir.join("trace.txt"))?;
        let lx = model::Trace::parse(&text, model::Root::ChildOfInit)?;
        write_outputs(&lx, &dir, "Linux", a.svg)?;
        eprint!("{}", summary_lines(&lx, "Linux"));
        check(&lx, "Linux")?;
        let page = html::compare(&tine, &lx);
        write(&out.join("compare.html"), page.as_bytes())?;
        eprintln!("xtask: wrote {}", out.join("compare.html").display());
        if a.browser_check {
            browser::check_index(&dir.join("index.html"), &lx, cow_writes.clone())?;
            browser::check_compare(&out.join("compare.html"), a.check)?;
        }
    }
    if a.browser_check {
        browser::check_index(&out.join("index.html"), &tine, cow_writes)?;
    }
    Ok(code)
}

fn read(p: &Path) -> Result<String> {
    let bytes = std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

fn write(p: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(p, bytes).map_err(|e| format!("{}: {e}", p.display()))
}

/// Boots Tine with PROGRAM as init and the trace drained to
/// OUT/trace.txt; the program's output on our stdout, the kernel log in
/// OUT/kernel.log. Returns `exec`'s exit code.
fn run_tine(program: &Path, args: &[OsString], events: &str, buf_size: &str, out: &Path) -> Result<i32> {
    let kernel = build::kernel()?;
    let tmp = TempDir::new("trace")?;
    let initrd = crate::write_initramfs(&Payload::program(program.to_path_buf(), args.to_vec()), &tmp)?;
    let timeout = qemu::timeout()?;
    let trace = out.join("trace.txt");
    let _ = std::fs::remove_file(&trace);
    let piped = tmp.path().join("trace.pipe");
    let follower = stream::Follower::start(piped.clone());
    let boot = Boot {
        kernel: &kernel,
        initrd: &initrd,
        cmdline: format!(
            "{} tine.trace_drain=1 trace_buf_size={buf_size} trace_event={events}",
            crate::cmdline(crate::GuestStdio::Pipe)
        ),
        accel: qemu::accel(&kernel),
        timeout,
        console: Console::Stream,
        stream_log: false,
        stop_on: None,
        com3: Some(&piped),
        cpu: None,
        log_file: None,
    };
    let run = boot.run();
    let counts = follower.finish();
    let run = run?;
    stream::write_trace(&piped, counts, &trace)?;
    write(&out.join("kernel.log"), &run.log)?;
    Ok(qemu::exit_code(&run, timeout))
}

/// trace.json, index.html and, with `svg`, the panels as images.
fn write_outputs(t: &model::Trace, out: &Path, kernel: &str, svg: bool) -> Result<()> {
    write(&out.join("trace.json"), chrome::json(t).as_bytes())?;
    write(&out.join("index.html"), html::index(t, kernel).as_bytes())?;
    if svg {
        for (file, image) in html::svgs(t) {
            write(&out.join(file), image.as_bytes())?;
        }
    }
    eprintln!("xtask: wrote {}/{{trace.txt,trace.json,index.html}}", out.display());
    Ok(())
}

/// The terminal summary: processes, execs, COW, page tables, slowest step.
pub fn summary_lines(t: &model::Trace, kernel: &str) -> String {
    let s = t.summary();
    let mut o = format!(
        "{kernel}: {} processes created, {} execs, {} COW copies, {} COW reuses, {} zero-page maps, \
         {} page-table shares ({} unshared)\n",
        s.created, s.execs, s.cow_copies, s.cow_reuses, s.zero_pages, s.pt_shares, s.pt_unshares
    );
    o.push_str(&format!(
        "{kernel}: {} events traced, {} lost; {} process group{}\n",
        s.events,
        s.lost,
        s.groups,
        if s.groups == 1 { "" } else { "s" }
    ));
    match &s.slowest_step {
        Some((step, ns, pid)) => {
            o.push_str(&format!("{kernel}: slowest copy_process step: {step}, {ns} ns (fork of pid {pid})\n"))
        }
        None if kernel == "Tine" => o.push_str(&format!("{kernel}: no copy_process steps traced\n")),
        None => {}
    }
    if s.write_faults > 0 {
        o.push_str(&format!(
            "{kernel}: {} write faults on present pages (COW faults, exceptions:page_fault_user)\n",
            s.write_faults
        ));
    }
    if s.lost > 0 {
        o.push_str(&format!("{kernel}: {} events LOST (the ring buffer overflowed)\n", s.lost));
    }
    o
}
