//! Host tests for tracefs: the files at /sys/kernel/tracing, used through
//! system calls as a program would.

use std::format;
use std::string::String;
use std::vec::Vec;

use crate::abi::*;
use crate::kernel::Kernel;
use crate::testkit::*;

const BUF: u64 = SCRATCH + 2048;

fn open(k: &mut Kernel, path: &str, flags: u32) -> i64 {
    let mut p = path.as_bytes().to_vec();
    p.push(0);
    write_user(k, 1, SCRATCH, &p).unwrap();
    syscall(k, 1, nr::OPENAT, &[AT_FDCWD as u64, SCRATCH, flags as u64, 0])
}

fn write_file(k: &mut Kernel, path: &str, flags: u32, data: &str) -> i64 {
    let fd = open(k, path, O_WRONLY | flags);
    assert!(fd >= 0, "open {path}: {fd}");
    write_user(k, 1, BUF, data.as_bytes()).unwrap();
    let r = syscall(k, 1, nr::WRITE, &[fd as u64, BUF, data.len() as u64]);
    syscall(k, 1, nr::CLOSE, &[fd as u64]);
    r
}

fn read_file(k: &mut Kernel, path: &str) -> String {
    let fd = open(k, path, O_RDONLY | O_NONBLOCK);
    assert!(fd >= 0, "open {path}: {fd}");
    let mut out = Vec::new();
    loop {
        let n = syscall(k, 1, nr::READ, &[fd as u64, BUF, 1024]);
        if n <= 0 {
            break;
        }
        out.extend(read_user(k, 1, BUF, n as usize).unwrap());
    }
    syscall(k, 1, nr::CLOSE, &[fd as u64]);
    String::from_utf8(out).unwrap()
}

const T: &str = "/sys/kernel/tracing";

#[test]
fn tracefs_is_mounted_at_boot_with_linuxs_files() {
    let (mut k, _hw) = boot(512);
    assert!(read_file(&mut k, &format!("{T}/available_events")).contains("sched:sched_process_fork\n"));
    assert_eq!(read_file(&mut k, &format!("{T}/tracing_on")), "1\n");
    assert_eq!(read_file(&mut k, &format!("{T}/buffer_size_kb")), "7 (expanded: 1408)\n");
    assert_eq!(
        read_file(&mut k, &format!("{T}/trace_clock")),
        "[local] global counter uptime perf mono mono_raw boot tai x86-tsc\n"
    );
    let st =
        k.vfs.fs.stat(k.vfs.fs.lookup(&crate::fs::FsCred::ROOT, 2, T.as_bytes(), crate::fs::Lookup::FOLLOW).unwrap());
    assert_eq!(st.unwrap().st_mode & 0o7777, 0o700);
}

#[test]
fn enabling_through_files_records_forks() {
    let (mut k, _hw) = boot(512);
    assert_eq!(write_file(&mut k, &format!("{T}/events/sched/sched_process_fork/enable"), O_TRUNC, "1\n"), 2);
    assert_eq!(read_file(&mut k, &format!("{T}/events/sched/enable")), "X\n");
    assert_eq!(read_file(&mut k, &format!("{T}/set_event")), "sched:sched_process_fork\n");
    let child = fork(&mut k, 1);
    let trace = read_file(&mut k, &format!("{T}/trace"));
    assert!(trace.contains("# entries-in-buffer/entries-written: 1/1   #P:1\n"), "{trace}");
    assert!(
        trace.contains(&format!(": sched_process_fork: comm=init pid=1 child_comm=init child_pid={child}\n")),
        "{trace}"
    );
    // O_TRUNC empties it; set_event opened with O_TRUNC clears the events.
    write_file(&mut k, &format!("{T}/trace"), O_TRUNC, "");
    assert!(read_file(&mut k, &format!("{T}/trace")).contains("entries-written: 0/0"));
    write_file(&mut k, &format!("{T}/set_event"), O_TRUNC, "");
    assert_eq!(read_file(&mut k, &format!("{T}/events/enable")), "0\n");
    assert_eq!(write_file(&mut k, &format!("{T}/set_event"), O_APPEND, "nonesuch"), err(EINVAL));
}

#[test]
fn set_event_takes_one_word_per_write() {
    let (mut k, _hw) = boot(512);
    let se = format!("{T}/set_event");
    // "  sched:sched_switch " and the space after it: 21 of the 39 bytes.
    assert_eq!(write_file(&mut k, &se, O_TRUNC, "  sched:sched_switch sched:sched_wakeup"), 21);
    assert_eq!(read_file(&mut k, &se), "sched:sched_switch\n");
    assert_eq!(write_file(&mut k, &se, O_APPEND, "sched:sched_wakeup"), 18);
    assert!(read_file(&mut k, &se).contains("sched:sched_wakeup\n"));
    assert_eq!(write_file(&mut k, &se, O_APPEND, "   \n"), 4);
    assert_eq!(write_file(&mut k, &se, O_APPEND, &"x".repeat(128)), err(EINVAL));
}

#[test]
fn a_trace_pipe_reader_wakes_at_the_write_not_the_tick() {
    let (mut k, _hw) = boot(512);
    let child = fork(&mut k, 1);
    let fd = open(&mut k, &format!("{T}/trace_pipe"), O_RDONLY);
    assert!(fd >= 0);
    // The child (sharing the descriptor table's copy from before: open
    // its own) sleeps in read.
    let cfd = {
        write_user(&mut k, child, BUF, format!("{T}/trace_pipe\0").as_bytes()).unwrap();
        syscall(&mut k, child, nr::OPENAT, &[AT_FDCWD as u64, BUF, O_RDONLY as u64])
    };
    assert!(cfd >= 0);
    assert_eq!(try_syscall(&mut k, child, nr::READ, &[cfd as u64, BUF + 512, 1024]), Err(Blocked));
    // The parent's marker: the reader is runnable when the write returns,
    // with no timer tick in between.
    assert_eq!(write_file(&mut k, &format!("{T}/trace_marker"), 0, "now"), 3);
    assert_eq!(k.proc.tasks()[&child].state, crate::proc::TaskState::Runnable);
    let n = resume(&mut k, child).expect("the read ends");
    let text = String::from_utf8(read_user(&mut k, child, BUF + 512, n as usize).unwrap()).unwrap();
    assert!(text.ends_with(": tracing_mark_write: now\n"), "{text}");
}

#[test]
fn the_filter_file_keeps_matching_records() {
    let (mut k, _hw) = boot(512);
    let ev = format!("{T}/events/sched/sched_process_fork");
    assert_eq!(read_file(&mut k, &format!("{ev}/filter")), "none\n");
    write_file(&mut k, &format!("{ev}/enable"), O_TRUNC, "1");
    let first = fork(&mut k, 1);
    let filter = format!("common_pid == 1 && child_pid > {first}\n");
    assert_eq!(write_file(&mut k, &format!("{ev}/filter"), O_TRUNC, &filter), filter.len() as i64);
    assert_eq!(read_file(&mut k, &format!("{ev}/filter")), format!("common_pid == 1 && child_pid > {first}\n"));
    write_file(&mut k, &format!("{T}/trace"), O_TRUNC, "");
    let second = fork(&mut k, 1);
    let _other = fork(&mut k, first);
    let trace = read_file(&mut k, &format!("{T}/trace"));
    assert_eq!(trace.matches("sched_process_fork:").count(), 1, "{trace}");
    assert!(trace.contains(&format!("child_pid={second}\n")), "{trace}");
    assert_eq!(write_file(&mut k, &format!("{ev}/filter"), O_TRUNC, "child_pid === 3"), err(EINVAL));
    assert_eq!(read_file(&mut k, &format!("{ev}/filter")), "none\n");
    assert_eq!(write_file(&mut k, &format!("{ev}/filter"), O_TRUNC, "0"), 1);
}

#[test]
fn fork_samples_both_address_spaces_and_setpgid_names_the_group() {
    let (mut k, _hw) = boot(512);
    assert_eq!(write_file(&mut k, &format!("{T}/set_event"), O_TRUNC, "tine:mm_rss"), 11);
    assert_eq!(write_file(&mut k, &format!("{T}/set_event"), O_APPEND, "tine:setpgid"), 12);
    let child = fork(&mut k, 1);
    assert_eq!(syscall(&mut k, child, nr::SETPGID, &[0, 0]), 0);
    let trace = read_file(&mut k, &format!("{T}/trace"));
    let rss: Vec<Vec<(String, u64)>> = trace
        .lines()
        .filter_map(|l| l.split_once(" mm_rss: "))
        .map(|(_, f)| {
            f.split(' ')
                .map(|kv| {
                    let (key, v) = kv.split_once('=').unwrap();
                    (key.into(), v.parse().unwrap())
                })
                .collect()
        })
        .collect();
    assert_eq!(rss.len(), 2, "the parent's and the child's: {trace}");
    let field = |r: &Vec<(String, u64)>, name: &str| r.iter().find(|f| f.0 == name).unwrap().1;
    assert_eq!((field(&rss[0], "pid"), field(&rss[1], "pid")), (1, child as u64));
    for r in &rss {
        // Right after fork every anonymous page is shared with the other.
        assert!(field(r, "anon") > 0, "{trace}");
        assert_eq!(field(r, "shared"), field(r, "anon"), "{trace}");
    }
    assert_eq!(field(&rss[0], "anon"), field(&rss[1], "anon"));
    let sid = syscall(&mut k, 1, nr::GETSID, &[0]);
    assert!(trace.contains(&format!(" setpgid: pid={child} pgid={child} sid={sid}\n")), "{trace}");
}
