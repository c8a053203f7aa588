//! trace.json: the Chrome trace-event format ("JSON Object Format"),
//! which Perfetto's UI (ui.perfetto.dev) and chrome://tracing open.
//!
//! One track per process, named by comm and PID with its parent, sorted
//! in tree order so that children sit under their parent; complete
//! events (`X`) for its running/runnable/blocked/zombie stretches;
//! instant events (`i`) for fork, exec, exit, wait, signals and memory
//! events; flow arrows (`s`/`f`) from each fork to the child's first run
//! and from each exit to the reap; a counter track (`C`) of each
//! process's pages (private, shared, zero, file). Times are microseconds.

use serde_json::{json, Value};

use super::model::{MarkKind, Trace};

fn us(ns: u64) -> f64 {
    ns as f64 / 1000.0
}

pub fn json(t: &Trace) -> String {
    let mut ev: Vec<Value> = Vec::new();
    for (order, p) in t.procs.iter().enumerate() {
        let parent = p.ppid.filter(|pp| t.proc(*pp).is_some());
        let name = match parent {
            Some(pp) => format!("{} (pid {}, child of {pp})", p.comm(), p.pid),
            None => format!("{} (pid {})", p.comm(), p.pid),
        };
        let status = p.end.map(|e| e.text());
        ev.push(json!({"ph": "M", "name": "process_name", "pid": p.pid, "tid": p.pid,
            "args": {"name": name, "ppid": parent, "pgid": p.pgid, "comm": p.comm(), "thread": p.thread, "status": status}}));
        ev.push(
            json!({"ph": "M", "name": "process_sort_index", "pid": p.pid, "tid": p.pid, "args": {"sort_index": order}}),
        );
        ev.push(json!({"ph": "M", "name": "thread_name", "pid": p.pid, "tid": p.pid, "args": {"name": p.label()}}));
        for &(a, b, s) in &p.slices {
            ev.push(json!({"ph": "X", "cat": "state", "name": s.name(), "pid": p.pid, "tid": p.pid,
                "ts": us(a), "dur": us(b - a)}));
        }
        let instant = |name: &str, cat: &str, ts: u64, line: usize, extra: Value| {
            let mut args = json!({"line": t.lines[line].text.trim()});
            if let (Value::Object(a), Value::Object(x)) = (&mut args, extra) {
                a.extend(x);
            }
            json!({"ph": "i", "s": "t", "cat": cat, "name": name, "pid": p.pid, "tid": p.pid, "ts": us(ts), "args": args})
        };
        for (ts, file, line) in &p.execs {
            ev.push(instant("exec", "exec", *ts, *line, json!({"filename": file})));
        }
        if let Some((ts, line)) = p.exit {
            ev.push(instant("exit", "exit", ts, line, json!({"status": status})));
        }
        if let Some((ts, line)) = p.reaped {
            ev.push(instant("reaped", "wait", ts, line, json!({})));
        }
        for &(ts, sig, line) in &p.signals {
            ev.push(instant(&format!("signal {sig}"), "signal", ts, line, json!({"sig": sig})));
        }
        for (ts, g) in &p.pages {
            ev.push(json!({"ph": "C", "cat": "pages", "name": "pages", "pid": p.pid, "tid": p.pid, "ts": us(*ts),
                "args": {"private": g.private, "shared": g.shared, "zero": g.zero, "file": g.file}}));
        }
        for m in &p.marks {
            let cat = if matches!(m.kind, MarkKind::PtShare | MarkKind::PtUnshare) { "pagetable" } else { "cow" };
            ev.push(instant(m.kind.name(), cat, m.ts, m.line, json!({"address": format!("{:#x}", m.address)})));
        }
    }
    for (id, f) in t.forks.iter().enumerate() {
        let Some(child) = t.proc(f.child) else { continue };
        if t.proc(f.parent).is_none() {
            continue;
        }
        let line = t.lines[f.line].text.trim();
        ev.push(json!({"ph": "i", "s": "t", "cat": "fork", "name": "fork", "pid": f.parent, "tid": f.parent,
            "ts": us(f.ts), "args": {"child": f.child, "line": line}}));
        let to = child.first_run.unwrap_or(f.ts).max(f.ts);
        ev.push(json!({"ph": "s", "cat": "fork", "name": "fork", "id": id, "pid": f.parent, "tid": f.parent, "ts": us(f.ts)}));
        ev.push(json!({"ph": "f", "bp": "e", "cat": "fork", "name": "fork", "id": id, "pid": f.child, "tid": f.child, "ts": us(to)}));
    }
    let base = t.forks.len();
    for (n, p) in t.procs.iter().enumerate() {
        let (Some((exit, _)), Some((reap, _)), Some(parent)) = (p.exit, p.reaped, p.ppid) else { continue };
        if t.proc(parent).is_none() || p.thread {
            continue;
        }
        let id = base + n;
        ev.push(
            json!({"ph": "s", "cat": "wait", "name": "wait", "id": id, "pid": p.pid, "tid": p.pid, "ts": us(exit)}),
        );
        ev.push(json!({"ph": "f", "bp": "e", "cat": "wait", "name": "wait", "id": id, "pid": parent, "tid": parent, "ts": us(reap.max(exit))}));
    }
    let doc = json!({"traceEvents": ev, "displayTimeUnit": "ns",
        "otherData": {"source": "cargo xtask trace", "lost_events": t.lost}});
    serde_json::to_string_pretty(&doc).expect("JSON")
}
