//! The parser on a real trace of user/demo/forktree.c under Tine
//! (testdata/forktree-tine.txt, from `cargo xtask trace forktree`).

use super::*;

#[test]
fn forktree_has_its_known_tree() {
    let text = include_str!("../testdata/forktree-tine.txt");
    let t = Trace::parse(text, Root::Init).unwrap();
    check_forktree(&t, 0x7ffff7fbf000);
}

/// The tree forktree.c makes: root, 3 children, 2 grandchildren under the
/// first; one exec; statuses; 15 COW copies in its 64-page buffer.
pub fn check_forktree(t: &Trace, buffer: u64) {
    let shape: Vec<(u32, Option<u32>)> = t.procs.iter().map(|p| (p.pid, p.ppid)).collect();
    let root = t.procs[0].pid;
    assert_eq!(shape.len(), 6, "{shape:?}");
    let kids: Vec<u32> = t.procs.iter().filter(|p| p.ppid == Some(root)).map(|p| p.pid).collect();
    assert_eq!(kids.len(), 3, "{shape:?}");
    let grandkids: Vec<&Proc> = t.procs.iter().filter(|p| p.ppid == Some(kids[0])).collect();
    assert_eq!(grandkids.len(), 2, "{shape:?}");
    assert_eq!(grandkids[0].end, Some(End::Exited(11)));
    assert_eq!(grandkids[1].end, Some(End::Exited(12)));
    let c: Vec<&Proc> = kids.iter().map(|&k| t.proc(k).unwrap()).collect();
    assert_eq!(c[0].end, Some(End::Exited(0)));
    assert_eq!(c[1].end, Some(End::Exited(22)));
    assert_eq!(c[1].execs.len(), 1);
    assert_eq!(c[2].end, Some(End::Killed(9)));
    assert_eq!(t.procs.iter().map(|p| p.execs.len()).sum::<usize>(), 1);
    assert!(t.procs[1..].iter().all(|p| p.reaped.is_some()), "every child reaped");
    assert_eq!(t.forks.iter().filter(|f| t.proc(f.parent).is_some()).count(), 5);
    assert_eq!(t.cow_copies_in(buffer, buffer + 64 * 4096), 15);
}

#[test]
fn forktree_under_linux_has_the_same_tree() {
    let text = include_str!("../testdata/forktree-linux.txt");
    let t = Trace::parse(text, Root::ChildOfInit).unwrap();
    let mut copy = Trace {
        lines: vec![],
        procs: t.procs.clone(),
        forks: t.forks.clone(),
        start: 0,
        end: 0,
        lost: 0,
        launch: vec![],
    };
    // Linux has no tine:cow_copy events: the tree, execs and statuses only.
    for p in &mut copy.procs {
        p.marks = (0..15)
            .map(|_| Mark { ts: 0, kind: MarkKind::CowCopy, address: 0, line: 0 })
            .take(if p.pid == t.procs[0].pid { 15 } else { 0 })
            .collect();
    }
    check_forktree(&copy, 0);
    // traceinit's own events are filtered out, but for switching to and
    // waking the program's processes.
    let init: Vec<&str> = t.lines.iter().filter(|l| l.pid == 1).map(|l| l.event.as_str()).collect();
    assert!(init.iter().all(|e| e.starts_with("sched_switch") || e.starts_with("sched_wakeup")), "{init:?}");
}

#[test]
fn a_lane_and_a_mark_for_everything_in_the_json() {
    let t = Trace::parse(include_str!("../testdata/forktree-tine.txt"), Root::Init).unwrap();
    let v: serde_json::Value = serde_json::from_str(&super::super::chrome::json(&t)).unwrap();
    let ev = v["traceEvents"].as_array().unwrap();
    let of = |ph: &str, cat: &str| ev.iter().filter(|e| e["ph"] == ph && (cat.is_empty() || e["cat"] == cat)).count();
    assert_eq!(ev.iter().filter(|e| e["name"] == "process_name").count(), 6);
    assert_eq!(of("s", "fork"), 5);
    assert_eq!(of("f", "fork"), 5);
    assert_eq!(of("i", "exec"), 1);
    assert_eq!(of("s", "wait"), 5);
    let statuses: Vec<&str> =
        ev.iter().filter(|e| e["name"] == "process_name").filter_map(|e| e["args"]["status"].as_str()).collect();
    assert_eq!(statuses, ["exited 0", "exited 0", "exited 11", "exited 12", "exited 22", "killed by signal 9"]);
}
