//! `trace --linux`: the same program under Debian's Linux in bench's
//! QEMU machine, with user/trace/traceinit.c as /init enabling the same
//! events in Linux's tracefs and copying its `trace` to COM3.

use std::ffi::OsString;
use std::path::Path;
use std::time::Duration;

use crate::bench::{self, Measure, Target};
use crate::{build, qemu, Payload, Result};

/// How long the machine may print nothing before it is given up.
const SILENCE: Duration = Duration::from_secs(120);

/// Boots Linux with PROGRAM traced; writes DIR/trace.txt, DIR/console.txt
/// (the program's output) and DIR/kernel.log (COM2: traceinit's status).
pub fn run(program: &Path, args: &[OsString], events: &str, buf_size: &str, dir: &Path) -> Result<()> {
    let image = bench::linux_image()?;
    let init = crate::root().join("build/trace-init");
    build::compile(&crate::root().join("user/trace/traceinit.c"), &init)?;
    let mut payload = Payload::program(program.to_path_buf(), args.to_vec());
    payload.init = Some(init);
    let mut fs = crate::make_initramfs(&payload)?;
    fs.dir("/trace", 0o755)?;
    fs.file("/trace/events", 0o644, format!("{events}\n").into_bytes())?;
    let initrd = dir.join("initramfs.cpio");
    std::fs::write(&initrd, fs.to_bytes()).map_err(|e| format!("{}: {e}", initrd.display()))?;

    let trace = dir.join("trace.txt");
    let log = dir.join("kernel.log");
    let _ = std::fs::remove_file(&trace);
    let target = Target {
        id: "linux",
        label: "Linux".into(),
        image,
        cmdline: format!("console=ttyS0 quiet panic=-1 rdinit=/init trace_buf_size={buf_size}"),
    };
    // Tine's accelerator answer: the same machine for both kernels.
    let accel = qemu::accel(&build::kernel()?);
    eprintln!("xtask: booting Debian's Linux ({}) for the same trace", accel.name());
    let child = bench::qemu_machine(accel, Measure::Wall, &target, &initrd, &log).com3(Some(&trace)).spawn()?;
    let boot = bench::collect(child, SILENCE, false);
    let console: String = boot.lines.iter().map(|(_, l)| format!("{l}\n")).collect();
    std::fs::write(dir.join("console.txt"), console).map_err(|e| format!("{}: {e}", dir.display()))?;
    let status = std::fs::read_to_string(&log).unwrap_or_default();
    match status.lines().find_map(|l| l.strip_prefix("traceinit: status=")) {
        Some(s) => eprintln!("xtask: under Linux the program ended with wait status {s}"),
        None => return Err(format!("Linux's run ended without traceinit's status (see {})", log.display())),
    }
    Ok(())
}
