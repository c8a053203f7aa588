//! `trace --check`: the known trees of user/demo/forktree.c and
//! user/demo/pgroups.c, checked on the trace of either kernel (and by the
//! unit tests on stored traces).

use super::model::{End, Proc, Trace};

/// Where forktree.c and pgroups.c map their 64-page buffer (MAP_FIXED).
pub const FORKTREE_BUFFER: u64 = 0x2000_0000;
pub const PAGES: u64 = 64;
/// Pages forktree's processes write after fork: 8 + 4 + 2 + 1.
pub const FORKTREE_WRITES: usize = 15;

fn ensure(ok: bool, what: impl FnOnce() -> String) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(what())
    }
}

/// The root, 3 children, 2 grandchildren under the first; one fork flow
/// per child; one exec; the exit statuses; and `FORKTREE_WRITES` COW
/// faults in the buffer at `buffer`: `tine:cow_copy` events on Tine,
/// write faults on present pages (exceptions:page_fault_user) on Linux.
pub fn forktree(t: &Trace, buffer: u64) -> Result<(), String> {
    let shape: Vec<(u32, Option<u32>)> = t.procs.iter().map(|p| (p.pid, p.ppid)).collect();
    ensure(shape.len() == 6, || format!("6 processes expected: {shape:?}"))?;
    let root = t.procs[0].pid;
    let kids: Vec<&Proc> = t.procs.iter().filter(|p| p.ppid == Some(root)).collect();
    ensure(kids.len() == 3, || format!("3 children of {root} expected: {shape:?}"))?;
    let grandkids: Vec<&Proc> = t.procs.iter().filter(|p| p.ppid == Some(kids[0].pid)).collect();
    ensure(grandkids.len() == 2, || format!("2 grandchildren under {} expected: {shape:?}", kids[0].pid))?;
    let ends: Vec<Option<End>> =
        [kids[0], kids[1], kids[2], grandkids[0], grandkids[1]].iter().map(|p| p.end).collect();
    let want = [End::Exited(0), End::Exited(22), End::Killed(9), End::Exited(11), End::Exited(12)].map(Some);
    ensure(ends == want, || format!("exit statuses {ends:?}, expected {want:?}"))?;
    let execs: Vec<usize> = t.procs.iter().map(|p| p.execs.len()).collect();
    ensure(execs == [0, 0, 0, 0, 1, 0], || format!("one exec, by the second child, expected: {execs:?}"))?;
    ensure(t.procs[1..].iter().all(|p| p.reaped.is_some()), || "a child was not reaped".into())?;
    let flows = t.forks.iter().filter(|f| t.proc(f.parent).is_some()).count();
    ensure(flows == 5, || format!("5 forks expected, {flows} traced"))?;
    let faults = cow_faults(t, buffer..buffer + PAGES * 4096);
    ensure(faults == FORKTREE_WRITES, || {
        format!("{FORKTREE_WRITES} COW faults in the buffer expected, {faults} traced")
    })
}

/// The COW faults in `range`: `tine:cow_copy` events on Tine, write
/// faults on present pages (exceptions:page_fault_user) on Linux.
fn cow_faults(t: &Trace, range: std::ops::Range<u64>) -> usize {
    if t.lines.iter().any(|l| l.event == "cow_copy") {
        t.procs
            .iter()
            .flat_map(|p| &p.marks)
            .filter(|m| m.kind == super::model::MarkKind::CowCopy && range.contains(&m.address))
            .count()
    } else {
        t.lines
            .iter()
            .filter(|l| l.event == "page_fault_user")
            .filter(|l| l.hex("error_code").is_some_and(|e| e & 3 == 3))
            .filter(|l| l.hex("address").is_some_and(|a| range.contains(&a)))
            .count()
    }
}

/// user/demo/pgroups.c with its default arguments: groups of workers.
pub const PGROUPS: (usize, usize) = (4, 50);

/// The root, `PGROUPS.0` leaders each in a group of its own with its
/// `PGROUPS.1` workers, every one reaped with its status, one COW copy
/// per worker in the buffer, and no event lost.
pub fn pgroups(t: &Trace, buffer: u64) -> Result<(), String> {
    let (groups, workers) = PGROUPS;
    ensure(t.lost == 0, || format!("{} events lost", t.lost))?;
    let n = t.procs.iter().filter(|p| !p.thread).count();
    ensure(n == 1 + groups * (1 + workers), || {
        format!("{} processes expected, {n} traced", 1 + groups * (1 + workers))
    })?;
    let root = &t.procs[0];
    let bands: Vec<(u32, usize)> = t.groups().iter().map(|(g, m)| (*g, m.len())).collect();
    ensure(bands.len() == 1 + groups && bands[0] == (root.pgid, 1), || {
        format!("the root's group and {groups} more expected: {bands:?}")
    })?;
    for (pgid, members) in t.groups().into_iter().skip(1) {
        let leader = members[0];
        ensure(leader.pid == pgid && leader.ppid == Some(root.pid), || {
            format!("group {pgid} is not led by a child of the root")
        })?;
        ensure(leader.end == Some(End::Exited(workers as i64)), || format!("leader {pgid}: {:?}", leader.end))?;
        let ends: Vec<Option<End>> = members[1..].iter().map(|p| p.end).collect();
        let want: Vec<Option<End>> = (0..workers).map(|w| Some(End::Exited((w % 100) as i64))).collect();
        ensure(ends == want, || format!("the workers of group {pgid} ended {ends:?}"))?;
    }
    ensure(t.procs[1..].iter().all(|p| p.reaped.is_some()), || "a process was not reaped".into())?;
    let faults = cow_faults(t, buffer..buffer + PAGES * 4096);
    ensure(faults == groups * workers, || {
        format!("{} COW faults in the buffer expected, {faults} traced", groups * workers)
    })
}
