//! Host tests for /proc.

use super::*;
use std::string::ToString;
use std::vec;

#[test]
fn stat_line_has_52_fields() {
    let s = TaskStat { pid: 7, comm: b"a b) c".to_vec(), state: b'R', ppid: 1, exit_signal: 17, ..TaskStat::default() };
    let line = format_stat(&s);
    assert!(line.ends_with('\n'));
    assert!(line.starts_with("7 (a b) c) R 1 "));
    // After the last ')', 50 fields follow pid and comm.
    let rest = &line[line.rfind(')').unwrap() + 2..line.len() - 1];
    assert_eq!(rest.split(' ').count(), 50, "{line}");
    let fields: Vec<&str> = rest.split(' ').collect();
    assert_eq!(fields[0], "R");
    assert_eq!(fields[5], "-1", "tpgid");
    assert_eq!(fields[35], "17", "exit_signal is field 38");
}

#[test]
fn meminfo_lines_follow_linux_format() {
    let m = MemInfo { total: 1_234_567, free: 1000, available: 1000, ..MemInfo::default() };
    let text = format_meminfo(&m);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "MemTotal:        1234567 kB");
    assert_eq!(lines[1], "MemFree:            1000 kB");
    assert_eq!(lines[2], "MemAvailable:       1000 kB");
    assert!(lines.contains(&"SwapTotal:             0 kB"));
    assert!(lines.contains(&"VmallocTotal:   34359738367 kB"));
    for l in lines {
        assert!(l.ends_with(" kB") && l.find(':').unwrap() < 16, "{l}");
    }
}

#[test]
fn maps_lines_pad_names_to_column_73() {
    let mut out = Vec::new();
    format_maps_line(&mut out, 0x400000, 0x401000, "r-xp", 0, (0, 0), 0, None);
    format_maps_line(&mut out, 0x5579830c4000, 0x5579830e5000, "rw-p", 0, (0, 0), 0, Some(b"[heap]"));
    format_maps_line(&mut out, 0x5579564eb000, 0x5579564ed000, "r--p", 0, (0xfe, 0), 247030, Some(b"/usr/bin/cat"));
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    assert_eq!(lines[0], "00400000-00401000 r-xp 00000000 00:00 0 \n");
    assert_eq!(lines[1], "5579830c4000-5579830e5000 rw-p 00000000 00:00 0                          [heap]\n");
    assert_eq!(lines[2], "5579564eb000-5579564ed000 r--p 00000000 fe:00 247030                     /usr/bin/cat\n");
}

#[test]
fn dointvec_parses_like_linux() {
    assert_eq!(parse_dointvec(b"12345\n"), Ok((12345, 6)));
    assert_eq!(parse_dointvec(b"  42"), Ok((42, 4)));
    assert_eq!(parse_dointvec(b"0x8000"), Ok((32768, 6)));
    assert_eq!(parse_dointvec(b"010"), Ok((8, 3)));
    assert_eq!(parse_dointvec(b"-5\n"), Ok((-5, 3)));
    // A second value is left unconsumed.
    assert_eq!(parse_dointvec(b"32768 1"), Ok((32768, 6)));
    for bad in [&b""[..], b" ", b"\n", b"abc", b"12345x", b"-", b"2147483648", b"99999999999999999999999", b"0x"] {
        assert_eq!(parse_dointvec(bad), Err(EINVAL), "{:?}", core::str::from_utf8(bad));
    }
    assert_eq!(parse_dointvec(b"-2147483648"), Ok((i32::MIN, 11)));
}

#[test]
fn fd_size_grows_like_linux() {
    assert_eq!(fd_size(0), 64);
    assert_eq!(fd_size(64), 64);
    assert_eq!(fd_size(65), 128);
    assert_eq!(fd_size(128), 128);
    assert_eq!(fd_size(256), 256);
    assert_eq!(fd_size(257), 512);
}

#[test]
fn vm_lines_are_right_aligned() {
    let mut s = String::new();
    format_vm(&mut s, &VmStats { total: 3, anon: 2, ..VmStats::default() });
    assert!(s.starts_with("VmPeak:\t      12 kB\nVmSize:\t      12 kB\nVmLck:\t       0 kB\n"), "{s}");
    assert!(s.contains("VmRSS:\t       8 kB\n"));
}

#[test]
fn vm_rss_is_the_sum_of_the_kinds() {
    let mut s = String::new();
    format_vm(&mut s, &VmStats { total: 9, anon: 1, file: 2, shmem: 4, ..VmStats::default() });
    assert!(
        s.contains("VmRSS:\t      28 kB\nRssAnon:\t       4 kB\nRssFile:\t       8 kB\nRssShmem:\t      16 kB\n"),
        "{s}"
    );
}

/// A kernel with no task yet, on simulated memory.
fn bare_kernel(frames: usize) -> Kernel {
    use crate::machine::{Clock, Console, Log, Machine};
    use crate::mm::sim::{SimMem, SimMmu};
    struct Dev;
    impl Console for Dev {
        fn write(&self, _: &[u8]) {}
        fn read(&self, _: &mut [u8]) -> usize {
            0
        }
    }
    impl Clock for Dev {
        fn monotonic_ns(&self) -> u64 {
            12_340_000_000
        }
        fn boot_epoch_ns(&self) -> u64 {
            1_700_000_000_000_000_000
        }
    }
    impl Log for Dev {
        fn log(&self, _: core::fmt::Arguments) {}
    }
    let mem: &'static SimMem = std::boxed::Box::leak(std::boxed::Box::new(SimMem::new(frames)));
    let mmu: &'static SimMmu = std::boxed::Box::leak(std::boxed::Box::new(SimMmu::default()));
    static STACKS: crate::machine::SimStacks = crate::machine::SimStacks::new();
    let m =
        Machine { mem, mmu, console: &Dev, clock: &Dev, log: &Dev, fpu: &crate::machine::FpuSaved, kstacks: &STACKS };
    Kernel::new(m, &[(4096, frames as u64 * 4096)], 0, crate::kernel::StdioMode::Pipe, Default::default())
}

#[test]
fn global_files_from_the_kernel_state() {
    let mut k = bare_kernel(64);
    let text = |k: &Kernel, g| String::from_utf8(generate(k, k.ns.pid.init(), Node::Global(g)).unwrap()).unwrap();
    let mem = text(&k, Global::Meminfo);
    // 63 frames managed, one of them the zero frame.
    assert!(mem.starts_with("MemTotal:            252 kB\nMemFree:             248 kB\n"), "{mem}");
    let f = k.mem.frames_mut().alloc().unwrap();
    assert!(text(&k, Global::Meminfo).contains("MemFree:             244 kB\n"), "live");
    k.mem.frames_mut().put(f);
    assert_eq!(text(&k, Global::Meminfo), mem, "back to the same text");
    // The clock has not moved since the kernel was made: no idle time yet.
    assert_eq!(text(&k, Global::Uptime), "12.34 0.00\n");
    assert_eq!(text(&k, Global::Loadavg), "0.00 0.00 0.00 0/0 0\n");
    let st = text(&k, Global::Stat);
    assert!(st.starts_with("cpu  0 0 0 0 0 0 0 0 0 0\ncpu0 "), "{st}");
    assert!(st.contains("\nbtime 1700000000\nprocesses 0\n"), "{st}");
    assert!(st.contains("\nintr 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\nctxt 0\n"), "{st}");
    assert!(st.contains("\nprocs_running 0\nprocs_blocked 0\n"), "{st}");
    // Counters kept as things happen, read back as they are.
    k.time.kstat_mut().count_irq(0);
    k.time.kstat_mut().count_irq(4);
    k.time.kstat_mut().ctxt = 7;
    k.time.kstat_mut().user_ns = 30_000_000;
    k.time.kstat_mut().system_ns = 20_000_000;
    k.time.kstat_mut().idle_ns = 1_000_000_000;
    let st = text(&k, Global::Stat);
    assert!(st.starts_with("cpu  3 0 2 100 0 0 0 0 0 0\ncpu0 3 0 2 100 "), "{st}");
    assert!(st.contains("\nintr 2 1 0 0 0 1 0 0 0 0 0 0 0 0 0 0 0\nctxt 7\n"), "{st}");
    assert_eq!(text(&k, Global::Uptime), "12.34 1.00\n");
    let vm = text(&k, Global::Vmstat);
    assert!(vm.starts_with("nr_free_pages 62\npgalloc_normal "), "{vm}");
    for name in ["pgfree", "pgfault", "pgmajfault", "cow_copy", "cow_reuse", "pt_share", "pt_unshare", "zero_page"] {
        assert!(vm.contains(&format!("\n{name} ")), "{name} in {vm}");
    }
    assert!(text(&k, Global::Cpuinfo).contains("flags\t\t: fpu\n"));
    let pid_max = generate(&k, k.ns.pid.init(), Node::Sysctl(Sysctl::PidMax)).unwrap();
    assert_eq!(pid_max, b"32768\n");
    assert_eq!(stat(&k, Node::Root).st_mode, S_IFDIR | 0o555);
}

#[test]
fn paths_reach_proc_through_the_one_walk() {
    let (k, _hw) = crate::testkit::boot(256);
    let at = |path: &str, follow: bool| resolve(&k, AT_FDCWD, path.as_bytes(), follow).map(|r| r.map(|f| f.target));
    let status = Node::Pid { tid: 1, whole: true, entry: PidEntry::Status };
    assert_eq!(at("/proc/self/status", true), Some(Ok(Target::Proc(status))));
    assert_eq!(at("//proc//1/./status", true), Some(Ok(Target::Proc(status))));
    assert_eq!(at("/tmp/../proc/1/", true), Some(Ok(Target::Proc(Node::PidDir { tid: 1, whole: true }))));
    assert_eq!(at("/proc", false), Some(Ok(Target::Proc(Node::Root))), "lstat of the mount point is proc's root");
    assert_eq!(at("/proc/self", false), Some(Ok(Target::Proc(Node::SelfLink))));
    assert_eq!(at("/proc/1/status/", true), Some(Err(ENOTDIR)));
    assert_eq!(at("/proc/nothing", true), Some(Err(ENOENT)));
    // `..` at proc's root goes up into the RAM file system; a magic link
    // leads to the directory itself, and `..` is walked from there.
    assert_eq!(at("/proc/..", true), Some(Ok(Target::Ino(k.vfs.fs.root()))));
    let root = k.vfs.fs.root();
    assert_eq!(at("/proc/self/cwd", true), Some(Ok(Target::Ino(root))));
    assert_eq!(at("/proc/self/cwd/..", true), Some(Ok(Target::Ino(root))));
    let tmp = k.vfs.fs.lookup(&crate::fs::FsCred::ROOT, root, b"/tmp", Lookup::FOLLOW).unwrap();
    assert_eq!(at("/proc/self/root/tmp/", true), Some(Ok(Target::Ino(tmp))));
    assert_eq!(at("/tmp", true), None, "a path proc has no part in");
    assert_eq!(at("/procfs/x", true), None);
}

#[test]
fn pid_names_as_linux_reads_them() {
    assert_eq!(parse_num(b"1"), Some(1));
    assert_eq!(parse_num(b"32768"), Some(32768));
    assert_eq!(parse_num(b"01"), None);
    assert_eq!(parse_num(b"1a"), None);
    assert_eq!(parse_num(b""), None);
    assert_eq!(parse_num(b"99999999999"), None);
}

#[test]
fn names_are_escaped_in_status() {
    assert_eq!(escaped_name(b"a\nb\\c"), "a\\nb\\\\c".to_string());
    assert_eq!(vec![escaped_name(b"sh")], vec!["sh".to_string()]);
}

#[test]
fn stat_names_the_console_as_controlling_terminal() {
    // In tty mode init's session has the console (ttyS0, 4:64) as its
    // controlling terminal, init's group in the foreground.
    let (mut k, _hw) = crate::testkit::boot(256);
    let s = super::array::task_stat(&k, k.ns.pid.init(), &k.proc.tasks()[&1], true);
    assert_eq!(s.ctty, Some((1088, 1)));
    let line = format_stat(&s);
    let fields: Vec<&str> = line[line.rfind(')').unwrap() + 2..].split(' ').collect();
    assert_eq!((fields[4], fields[5]), ("1088", "1"), "tty_nr, tpgid");
    // A process that gives it up has none.
    k.vfs.tty.detached.insert(1);
    assert_eq!(super::array::task_stat(&k, k.ns.pid.init(), &k.proc.tasks()[&1], true).ctty, None);
}

#[test]
fn fdinfo_files_have_their_own_inode_numbers() {
    let max_fd = crate::syscall::info::NR_OPEN as i32 - 1;
    let pid_max = crate::proc::pid::PID_MAX_LIMIT;
    for (tid, fd) in [(1, 0), (pid_max, max_fd), (4242, 7)] {
        let info = Node::FdInfo { tid, whole: true, fd };
        let link = Node::Fd { tid, whole: true, fd };
        assert_ne!(info.ino(), link.ino());
        assert_ne!(info.ino(), Node::FdInfo { tid, whole: false, fd }.ino());
        assert_eq!(info.kind(), Kind::File);
        assert!(!info.is_dir());
    }
    assert!(Node::Pid { tid: 1, whole: true, entry: PidEntry::FdInfo }.is_dir());
}

#[test]
fn every_node_but_root_and_ns_files_comes_back_from_its_number() {
    use crate::ns::NsType;
    let mut nodes: Vec<Node> = ROOT_ENTRIES.iter().map(|&(_, n)| n).collect();
    nodes.extend(SYS_DIRS.iter().map(|&(_, d, _)| d));
    nodes.extend(SYS_DIRS.iter().flat_map(|&(_, _, t)| t.iter().map(|&(_, s)| Node::Sysctl(s))));
    nodes.extend(SYSVIPC_ENTRIES.iter().map(|&(_, f)| Node::Sysvipc(f)));
    for tid in [1, 2, 4_194_303] {
        for whole in [true, false] {
            nodes.push(Node::PidDir { tid, whole });
            nodes.extend(PID_ENTRIES.iter().map(|&(_, entry)| Node::Pid { tid, whole, entry }));
            nodes.extend(NsType::ENTRIES.iter().map(|&(_, ty)| Node::NsLink { tid, whole, ty }));
            for fd in [0, 1, 63, 64, 1 << 20] {
                nodes.push(Node::Fd { tid, whole, fd });
                nodes.push(Node::FdInfo { tid, whole, fd });
            }
        }
    }
    for n in nodes {
        assert_eq!(Node::from_ino(n.ino()), Some(n), "{n:?} ({:#x})", n.ino());
    }
    assert_eq!(Node::from_ino(FIXED_INO_BASE + 999), None);
    assert_eq!(Node::from_ino(PID_INO_BASE | 2 << 22 | 30), None, "an entry code no entry has");
}
