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
