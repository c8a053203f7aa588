//! The CPU files of sysfs: `devices/system/cpu/online`, `possible`,
//! `present`, `offline`, `kernel_max` and a `cpuN` directory per CPU
//! (Linux: drivers/base/cpu.c, its cpu_subsys attributes and
//! register_cpu()). glibc's get_nprocs() reads `online`, and
//! get_nprocs_conf() counts the `cpuN` directories.
//!
//! Tine has no sysfs of its own yet: the files are written once, as plain
//! read-only RAM files, into each sysfs instance when it is mounted, and
//! at boot into the root file system's /sys (where Linux's init would
//! mount sysfs), after the CPUs are up.

use crate::abi::*;
use crate::fs::ramfs::{Ino, Lookup, RamFs};
use crate::fs::FsCred;
use alloc::format;
use alloc::vec::Vec;

/// Linux: NR_CPUS - 1, what `kernel_max` says (the scheduler's
/// `MAX_CPUS`).
const KERNEL_MAX: usize = crate::proc::sched::MAX_CPUS - 1;

/// A CPU list as Linux prints it (cpumap_print_list_to_buf()): ranges
/// "0-1", a single "0", and an empty line for none.
pub fn cpu_list(n: usize) -> Vec<u8> {
    match n {
        0 => b"\n".to_vec(),
        1 => b"0\n".to_vec(),
        _ => format!("0-{}\n", n - 1).into_bytes(),
    }
}

/// Write the CPU files for `online` CPUs under `dir` (an instance's root,
/// or the root file system's /sys), making `devices/system/cpu` as
/// needed. Files already there are left as they are.
pub fn populate_cpus(fs: &mut RamFs, dir: Ino, online: usize, now: u64) -> Result<(), Errno> {
    let c = &FsCred::ROOT;
    let mut at = dir;
    for name in [&b"devices"[..], b"system", b"cpu"] {
        at = match fs.lookup(c, at, name, Lookup::DIRECTORY) {
            Ok(ino) => ino,
            Err(ENOENT) => fs.mkdir(c, at, name, 0o755, now)?,
            Err(e) => return Err(e),
        };
    }
    let list = cpu_list(online);
    let files: [(&[u8], Vec<u8>); 5] = [
        (b"online", list.clone()),
        // Every CPU the machine has is up: none can be added later.
        (b"possible", list.clone()),
        (b"present", list),
        (b"offline", cpu_list(0)),
        (b"kernel_max", format!("{KERNEL_MAX}\n").into_bytes()),
    ];
    for (name, text) in files {
        match fs.create(c, at, name, 0o444, now) {
            Ok(ino) => {
                fs.write_at(ino, 0, &text, now)?;
            }
            Err(EEXIST) => {}
            Err(e) => return Err(e),
        }
    }
    for n in 0..online {
        match fs.mkdir(c, at, format!("cpu{n}").as_bytes(), 0o755, now) {
            Ok(_) | Err(EEXIST) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

impl crate::fs::Vfs {
    /// The CPUs are up: write their files into the root file system's
    /// /sys, as a sysfs mounted there would show them.
    pub fn publish_cpus(&mut self, online: usize, now: u64) -> Result<(), Errno> {
        let root = self.fs.root();
        let sys = self.fs.lookup(&FsCred::ROOT, root, b"/sys", Lookup::FOLLOW | Lookup::DIRECTORY)?;
        populate_cpus(&mut self.fs, sys, online, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_linux_ranges() {
        assert_eq!(cpu_list(0), b"\n");
        assert_eq!(cpu_list(1), b"0\n");
        assert_eq!(cpu_list(2), b"0-1\n");
        assert_eq!(cpu_list(8), b"0-7\n");
    }
}
