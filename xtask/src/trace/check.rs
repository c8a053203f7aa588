//! `trace --check`: the known tree of user/demo/forktree.c, checked on
//! the trace of either kernel (and by the unit tests on stored traces).

use super::model::{End, Proc, Trace};

/// Where forktree.c maps its 64-page buffer (MAP_FIXED).
pub const FORKTREE_BUFFER: u64 = 0x2000_0000;
const PAGES: u64 = 64;
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
    let range = buffer..buffer + PAGES * 4096;
    let faults = if t.lines.iter().any(|l| l.event == "cow_copy") {
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
    };
    ensure(faults == FORKTREE_WRITES, || {
        format!("{FORKTREE_WRITES} COW faults in the buffer expected, {faults} traced")
    })
}
