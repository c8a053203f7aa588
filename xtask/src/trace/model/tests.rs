//! The parser on real traces of user/demo/forktree.c (testdata/, from
//! `cargo xtask trace --linux forktree`), checked against the tree the
//! program makes.

use super::*;
use crate::trace::check::{forktree, FORKTREE_BUFFER};

#[test]
fn forktree_has_its_known_tree() {
    let t = Trace::parse(include_str!("../testdata/forktree-tine.txt"), Root::Init).unwrap();
    forktree(&t, FORKTREE_BUFFER).unwrap();
}

#[test]
fn forktree_under_linux_has_the_same_tree() {
    let t = Trace::parse(include_str!("../testdata/forktree-linux.txt"), Root::ChildOfInit).unwrap();
    forktree(&t, FORKTREE_BUFFER).unwrap();
    // traceinit's own events are filtered out, but for switching to and
    // waking the program's processes.
    let init: Vec<&str> = t.lines.iter().filter(|l| l.pid == 1).map(|l| l.event.as_str()).collect();
    assert!(init.iter().all(|e| e.starts_with("sched_switch") || e.starts_with("sched_wakeup")), "{init:?}");
}

#[test]
fn a_wrong_tree_fails_the_check() {
    let mut t = Trace::parse(include_str!("../testdata/forktree-tine.txt"), Root::Init).unwrap();
    t.procs.pop();
    assert!(forktree(&t, FORKTREE_BUFFER).is_err());
    let t = Trace::parse(include_str!("../testdata/forktree-tine.txt"), Root::Init).unwrap();
    assert!(forktree(&t, FORKTREE_BUFFER + 4096).unwrap_err().contains("COW faults"));
}

#[test]
fn a_lane_and_a_mark_for_everything_in_the_json() {
    let t = Trace::parse(include_str!("../testdata/forktree-tine.txt"), Root::Init).unwrap();
    let v: serde_json::Value = serde_json::from_str(&super::super::chrome::json(&t)).unwrap();
    let ev = v["traceEvents"].as_array().unwrap();
    let of = |ph: &str, cat: &str| ev.iter().filter(|e| e["ph"] == ph && e["cat"] == cat).count();
    assert_eq!(ev.iter().filter(|e| e["name"] == "process_name").count(), 6);
    assert_eq!(of("s", "fork"), 5);
    assert_eq!(of("f", "fork"), 5);
    assert_eq!(of("i", "exec"), 1);
    assert_eq!(of("s", "wait"), 5);
    let statuses: Vec<&str> =
        ev.iter().filter(|e| e["name"] == "process_name").filter_map(|e| e["args"]["status"].as_str()).collect();
    assert_eq!(statuses, ["exited 0", "exited 0", "exited 11", "exited 12", "exited 22", "killed by signal 9"]);
}

/// A made-up trace: `root` (PID 1) forks `n` children that exit and are
/// reaped; the children from `group_from` on move to a process group led
/// by the first of them (`tine:setpgid`).
fn wide(n: u32, group_from: u32) -> String {
    let mut s = String::new();
    let mut us = 1000;
    let mut line = |pid: u32, comm: &str, ev: &str, rest: String| {
        us += 10;
        s.push_str(&format!(
            "{comm:>16}-{pid:<7} [000] ..... {:>5}.{:06}: {ev}: {rest}\n",
            us / 1_000_000,
            us % 1_000_000
        ));
    };
    let leader = group_from + 2;
    for c in 2..n + 2 {
        line(1, "root", "sched_process_fork", format!("comm=root pid=1 child_comm=worker child_pid={c}"));
        if c >= leader {
            line(c, "worker", "setpgid", format!("pid={c} pgid={leader} sid=1"));
        }
    }
    for c in 2..n + 2 {
        line(c, "worker", "mm_rss", format!("pid={c} anon=9 file=30 shmem=0 shared=4 zero=2 pt_shared=1"));
        line(c, "worker", "sched_process_exit", format!("comm=worker pid={c} prio=120"));
        line(1, "root", "sched_process_wait", format!("comm=root pid={c} prio=120"));
        line(1, "root", "sched_process_free", format!("comm=worker pid={c} prio=120"));
    }
    s
}

#[test]
fn two_hundred_processes_band_by_group_and_the_big_band_collapses() {
    let t = Trace::parse(&wide(200, 5), Root::Init).unwrap();
    assert_eq!(t.procs.len(), 201);
    assert!(t.procs[1..].iter().all(|p| p.reaped.is_some()));
    let groups: Vec<(u32, usize)> = t.groups().iter().map(|(g, m)| (*g, m.len())).collect();
    assert_eq!(groups, [(1, 6), (7, 195)]);
    let page = crate::trace::html::index(&t, "Tine");
    assert_eq!(page.matches("<g class=\"lane\"").count(), 201, "a lane per process");
    assert!(page.contains("<details class=\"band tree-band\" data-pgid=\"1\" data-members=\"6\" open>"));
    assert!(page.contains("<details class=\"band tree-band\" data-pgid=\"7\" data-members=\"195\">"));
    assert!(page.contains("process group 7: 195 processes (worker ×195)"));
    // The samples of tine:mm_rss make the COW panel's pages.
    let w = t.proc(9).unwrap();
    assert!(w.sampled);
    assert_eq!(w.pages[0].1, Pages { private: 5, shared: 4, zero: 2, file: 30, pt_shared: 1 });
    assert_eq!(t.summary().groups, 2);
}
