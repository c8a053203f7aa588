//! /proc/<pid>/maps and limits (Linux: fs/proc/task_mmu.c, base.c's
//! proc_pid_limits()).

#[allow(unused_imports)]
use super::*;

// ---- /proc/<pid>/maps and limits -------------------------------------------

/// One line of a maps file (Linux: show_map_vma()): the name, if any,
/// starts in column 73.
#[allow(clippy::too_many_arguments)]
pub fn format_maps_line(
    out: &mut Vec<u8>,
    start: u64,
    end: u64,
    perms: &str,
    pgoff: u64,
    dev: (u32, u32),
    ino: u64,
    name: Option<&[u8]>,
) {
    let line_start = out.len();
    let mut o = Out(core::mem::take(out));
    let _ = write!(o, "{start:08x}-{end:08x} {perms} {pgoff:08x} {:02x}:{:02x} {ino} ", dev.0, dev.1);
    *out = o.0;
    if let Some(name) = name {
        let used = out.len() - line_start;
        let pad = 72usize.saturating_sub(used);
        out.resize(out.len() + pad, b' ');
        out.push(b' ');
        out.extend_from_slice(name);
    }
    out.push(b'\n');
}

pub(super) fn maps(k: &Kernel, mm: &AddressSpace, out: &mut Vec<u8>) {
    let (start_brk, brk) = (mm.start_brk(), mm.current_brk());
    for v in mm.vmas() {
        let perms: String = [
            if v.prot.contains(Prot::READ) { 'r' } else { '-' },
            if v.prot.contains(Prot::WRITE) { 'w' } else { '-' },
            if v.prot.contains(Prot::EXEC) { 'x' } else { '-' },
            if v.is_shared() { 's' } else { 'p' },
        ]
        .iter()
        .collect();
        let special = v.file.and_then(|f| k.mem.vdso().and_then(|d| d.name(f.ino)));
        let (pgoff, dev, ino, name): (u64, (u32, u32), u64, Option<Vec<u8>>) = match v.file {
            // Linux's special mappings: no file, offset 0.
            Some(_) if special.is_some() => (0, (0, 0), 0, special.map(<[u8]>::to_vec)),
            Some(f) if f.ino >= crate::mm::pagecache::SHMEM_KEY_BASE => {
                // Linux backs shared anonymous memory with an unlinked
                // shmem file named /dev/zero.
                (f.pgoff, (0, 1), f.ino - crate::mm::pagecache::SHMEM_KEY_BASE, Some(b"/dev/zero (deleted)".to_vec()))
            }
            Some(f) => (f.pgoff, (dev_major(RAMFS_DEV), dev_minor(RAMFS_DEV)), f.ino, Some(inode_path(k, f.ino))),
            None if v.flags.contains(VmFlags::GROWSDOWN) => (0, (0, 0), 0, Some(b"[stack]".to_vec())),
            None if start_brk != 0 && v.start <= brk && v.end >= start_brk => (0, (0, 0), 0, Some(b"[heap]".to_vec())),
            None => (0, (0, 0), 0, None),
        };
        format_maps_line(out, v.start, v.end, &perms, pgoff * 4096, dev, ino, name.as_deref());
    }
}

/// /proc/<pid>/limits (Linux: proc_pid_limits()).
pub(super) fn limits(k: &Kernel, t: &Task, o: &mut Out) {
    const NAMES: [(&str, &str); 16] = [
        ("Max cpu time", "seconds"),
        ("Max file size", "bytes"),
        ("Max data size", "bytes"),
        ("Max stack size", "bytes"),
        ("Max core file size", "bytes"),
        ("Max resident set", "bytes"),
        ("Max processes", "processes"),
        ("Max open files", "files"),
        ("Max locked memory", "bytes"),
        ("Max address space", "bytes"),
        ("Max file locks", "locks"),
        ("Max pending signals", "signals"),
        ("Max msgqueue size", "bytes"),
        ("Max nice priority", ""),
        ("Max realtime priority", ""),
        ("Max realtime timeout", "us"),
    ];
    let _ = writeln!(o, "{:<25} {:<20} {:<20} {:<10}", "Limit", "Soft Limit", "Hard Limit", "Units");
    let rl = &k.sig.signals().get(t.signal).rlimits;
    let show = |v: u64| if v == RLIM_INFINITY { String::from("unlimited") } else { format!("{v}") };
    for (i, (name, unit)) in NAMES.iter().enumerate() {
        let _ = write!(o, "{:<25} {:<20} {:<20} ", name, show(rl[i].cur), show(rl[i].max));
        if unit.is_empty() {
            let _ = writeln!(o);
        } else {
            let _ = writeln!(o, "{unit:<10}");
        }
    }
}
