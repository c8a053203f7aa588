//! index.html and compare.html: self-contained pages (inline SVG, inline
//! CSS, one small inline script; nothing from the network) and the same
//! panels as SVG files for the docs.
//!
//! Every drawn event carries its trace line: as an SVG `<title>` (the
//! browser's tooltip) and as `data-line`, which the page's script shows
//! in a status bar on hover.

use std::fmt::Write as _;

use super::model::{MarkKind, Proc, Trace};

const WIDTH: f64 = 1100.0;
/// Left column for the lane labels.
const LEFT: f64 = 190.0;
const LANE: f64 = 22.0;
const COW_LANE: f64 = 34.0;
/// Beyond this many processes, leaf siblings of one name share a lane.
const COLLAPSE_OVER: usize = 40;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A lane: one process, or several leaf siblings of one name.
struct Lane<'a> {
    label: String,
    depth: usize,
    members: Vec<&'a Proc>,
}

fn lanes(t: &Trace) -> Vec<Lane<'_>> {
    let mut out: Vec<Lane> = Vec::new();
    let collapse = t.procs.len() > COLLAPSE_OVER;
    for p in &t.procs {
        let leaf = !t.procs.iter().any(|q| q.ppid == Some(p.pid) && q.pid != p.pid);
        if collapse && leaf {
            if let Some(l) = out.iter_mut().find(|l| {
                !l.members.is_empty()
                    && l.members[0].ppid == p.ppid
                    && l.members[0].comm() == p.comm()
                    && !t.procs.iter().any(|q| q.ppid == Some(l.members[0].pid))
            }) {
                l.members.push(p);
                l.label = format!("{} × {} (children of {})", l.members.len(), p.comm(), p.ppid.unwrap_or(0));
                continue;
            }
        }
        out.push(Lane { label: p.label(), depth: p.depth, members: vec![p] });
    }
    out
}

struct Scale {
    start: u64,
    end: u64,
}

impl Scale {
    fn new(t: &Trace) -> Scale {
        Scale { start: t.start, end: t.end.max(t.start + 1) }
    }
    fn x(&self, ts: u64) -> f64 {
        LEFT + (ts.saturating_sub(self.start)) as f64 / (self.end - self.start) as f64 * (WIDTH - LEFT - 10.0)
    }
}

fn line_attr(t: &Trace, i: usize) -> String {
    format!(" data-line=\"{i}\"><title>{}</title", esc(t.lines[i].text.trim()))
}

const DEFS: &str = r##"<defs>
<pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
<rect width="6" height="6" fill="#fce4ec"/><line x1="0" y1="0" x2="0" y2="6" stroke="#ad1457" stroke-width="2"/></pattern>
<marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse">
<path d="M0,0 L10,5 L0,10 z" fill="#37474f"/></marker>
</defs>"##;

const STYLE: &str = r#"<style>
svg text { font: 11px sans-serif; fill: #263238; }
.running { fill: #43a047; } .runnable { fill: #fdd835; } .blocked { fill: #b0bec5; }
.zombie { fill: url(#hatch); } .lane-bg { fill: #f5f5f5; }
.fork { stroke: #37474f; stroke-width: 1.2; marker-end: url(#arrow); }
.wait { stroke: #ad1457; stroke-width: 1.2; stroke-dasharray: 3 2; marker-end: url(#arrow); }
.exec-mark { fill: #1e88e5; } .cow-copy { stroke: #e53935; stroke-width: 1.5; }
.cow-reuse { stroke: #1e88e5; stroke-width: 1.5; } .pt-mark { fill: #6a1b9a; }
.private { fill: #ef9a9a; } .shared { fill: #90caf9; } .zero { fill: #fff59d; }
.step { stroke: #fff; stroke-width: 0.5; }
</style>"#;

/// The process tree over time.
pub fn tree_svg(t: &Trace) -> String {
    let sc = Scale::new(t);
    let ls = lanes(t);
    let h = 30.0 + ls.len() as f64 * LANE + 10.0;
    let mut s = String::new();
    let _ = write!(s, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"panel tree\" width=\"{WIDTH}\" height=\"{h}\" viewBox=\"0 0 {WIDTH} {h}\">{DEFS}{STYLE}");
    let _ = write!(
        s,
        "<text x=\"4\" y=\"14\" font-weight=\"bold\">Processes over time ({:.3} ms)</text>",
        (sc.end - sc.start) as f64 / 1e6
    );
    let y_of =
        |pid: u32| ls.iter().position(|l| l.members.iter().any(|m| m.pid == pid)).map(|i| 30.0 + i as f64 * LANE);
    for (i, l) in ls.iter().enumerate() {
        let y = 30.0 + i as f64 * LANE;
        let pids: Vec<String> = l.members.iter().map(|m| m.pid.to_string()).collect();
        let _ = write!(
            s,
            "<g class=\"lane\" data-pid=\"{}\"><text x=\"{}\" y=\"{}\">{}</text>",
            pids.join(" "),
            4.0 + l.depth as f64 * 10.0,
            y + 14.0,
            esc(&l.label)
        );
        for p in &l.members {
            let (a, b) = (sc.x(p.born), sc.x(p.reaped.map_or(t.end, |r| r.0)));
            let _ = write!(
                s,
                "<rect class=\"lane-bg\" x=\"{a:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{}\"/>",
                (b - a).max(1.0),
                LANE - 4.0
            );
            for &(from, to, st) in &p.slices {
                let (a, b) = (sc.x(from), sc.x(to));
                let _ = write!(s, "<rect class=\"{}\" x=\"{a:.1}\" y=\"{y:.1}\" width=\"{:.2}\" height=\"{}\"><title>{} {}: {} for {} µs</title></rect>", st.name(), (b - a).max(0.5), LANE - 4.0, p.comm(), p.pid, st.name(), (to - from) / 1000);
            }
            for &(ts, ref file, line) in &p.execs {
                let x = sc.x(ts);
                let _ = write!(s, "<g class=\"exec\"{}><rect class=\"exec-mark\" x=\"{:.1}\" y=\"{:.1}\" width=\"3\" height=\"{}\"/><text x=\"{:.1}\" y=\"{:.1}\">exec {}</text></g>", line_attr(t, line), x - 1.0, y - 1.0, LANE - 2.0, x + 3.0, y + 12.0, esc(file));
            }
            if let (Some((ts, line)), Some(end)) = (p.exit, p.end) {
                let _ = write!(
                    s,
                    "<g class=\"exit\"{}><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"9\">{}</text></g>",
                    line_attr(t, line),
                    sc.x(ts) + 2.0,
                    y + 8.0,
                    esc(&end.text())
                );
            }
        }
        s.push_str("</g>");
    }
    for f in &t.forks {
        let (Some(y0), Some(y1)) = (y_of(f.parent), y_of(f.child)) else { continue };
        let x = sc.x(f.ts);
        let _ = write!(
            s,
            "<line class=\"fork\" x1=\"{x:.1}\" y1=\"{:.1}\" x2=\"{x:.1}\" y2=\"{:.1}\"{}></line>",
            y0 + LANE / 2.0,
            y1,
            line_attr(t, f.line)
        );
    }
    for p in &t.procs {
        let (Some((ts, line)), Some(pp)) = (p.reaped, p.ppid) else { continue };
        let (Some(y0), Some(y1)) = (y_of(p.pid), y_of(pp)) else { continue };
        if p.thread {
            continue;
        }
        let x = sc.x(ts);
        let _ = write!(
            s,
            "<line class=\"wait\" x1=\"{x:.1}\" y1=\"{:.1}\" x2=\"{x:.1}\" y2=\"{:.1}\"{}></line>",
            y0,
            y1 + LANE - 4.0,
            line_attr(t, line)
        );
    }
    s.push_str("</svg>");
    s
}

/// Copy-on-write: each process's pages over time and its memory events.
pub fn cow_svg(t: &Trace) -> String {
    let sc = Scale::new(t);
    let procs: Vec<&Proc> = t.procs.iter().filter(|p| !p.thread).collect();
    let most =
        procs.iter().flat_map(|p| &p.pages).map(|(_, g)| g.private + g.shared + g.zero).max().unwrap_or(1).max(1);
    let h = 44.0 + procs.len() as f64 * COW_LANE;
    let mut s = String::new();
    let _ = write!(s, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"panel cow\" width=\"{WIDTH}\" height=\"{h}\" viewBox=\"0 0 {WIDTH} {h}\">{DEFS}{STYLE}");
    let _ = write!(s, "<text x=\"4\" y=\"14\" font-weight=\"bold\">Pages each process touched (height: up to {most}): <tspan class=\"private\">■</tspan> private <tspan class=\"zero\">■</tspan> zero-filled <tspan class=\"shared\">■</tspan> shared; marks: <tspan fill=\"#e53935\">|</tspan> COW copy <tspan fill=\"#1e88e5\">|</tspan> COW reuse <tspan fill=\"#6a1b9a\">▲</tspan> leaf table shared/▼ unshared</text>");
    for (i, p) in procs.iter().enumerate() {
        let y = 36.0 + i as f64 * COW_LANE;
        let base = y + COW_LANE - 8.0;
        let hgt = COW_LANE - 12.0;
        let _ = write!(
            s,
            "<g class=\"cow-lane\" data-pid=\"{}\"><text x=\"{}\" y=\"{:.1}\">{}</text>",
            p.pid,
            4.0 + p.depth as f64 * 10.0,
            y + 16.0,
            esc(&p.label())
        );
        let gone = p.reaped.or(p.exit).map_or(t.end, |r| r.0);
        for (k, &(ts, g)) in p.pages.iter().enumerate() {
            let until = p.pages.get(k + 1).map_or(gone, |n| n.0);
            let (a, b) = (sc.x(ts), sc.x(until));
            let w = (b - a).max(0.3);
            let mut top = base;
            for (n, class) in [(g.private, "private"), (g.zero, "zero"), (g.shared, "shared")] {
                let dh = n as f64 / most as f64 * hgt;
                if dh > 0.0 {
                    top -= dh;
                    let _ = write!(s, "<rect class=\"{class}\" x=\"{a:.2}\" y=\"{top:.2}\" width=\"{w:.2}\" height=\"{dh:.2}\"><title>{}: {} private, {} zero-filled, {} shared</title></rect>", p.label(), g.private, g.zero, g.shared);
                }
            }
        }
        for m in &p.marks {
            let x = sc.x(m.ts);
            match m.kind {
                MarkKind::CowCopy | MarkKind::CowReuse => {
                    let c = if m.kind == MarkKind::CowCopy { "cow-copy" } else { "cow-reuse" };
                    let _ = write!(
                        s,
                        "<line class=\"cow-mark {c}\" x1=\"{x:.1}\" y1=\"{:.1}\" x2=\"{x:.1}\" y2=\"{:.1}\"{}></line>",
                        y + 2.0,
                        y + 9.0,
                        line_attr(t, m.line)
                    );
                }
                MarkKind::PtShare | MarkKind::PtUnshare => {
                    let d = if m.kind == MarkKind::PtShare {
                        format!("M{:.1},{:.1} l4,-6 l4,6 z", x - 4.0, y + 9.0)
                    } else {
                        format!("M{:.1},{:.1} l4,6 l4,-6 z", x - 4.0, y + 3.0)
                    };
                    let _ = write!(s, "<path class=\"pt-mark\" d=\"{d}\"{}></path>", line_attr(t, m.line));
                }
                MarkKind::ZeroPage => {}
            }
        }
        s.push_str("</g>");
    }
    s.push_str("</svg>");
    s
}

/// copy_process's steps for every fork, as a waterfall.
pub fn steps_svg(t: &Trace) -> String {
    let forks: Vec<_> = t.forks.iter().filter(|f| !f.steps.is_empty()).collect();
    let longest = forks.iter().map(|f| f.steps.iter().map(|s| s.1).sum::<u64>()).max().unwrap_or(1).max(1);
    let h = 50.0 + forks.len().max(1) as f64 * 18.0;
    let mut s = String::new();
    let _ = write!(s, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"panel steps\" width=\"{WIDTH}\" height=\"{h}\" viewBox=\"0 0 {WIDTH} {h}\">{STYLE}");
    let _ = write!(
        s,
        "<text x=\"4\" y=\"14\" font-weight=\"bold\">copy_process, step by step (full width: {} µs)</text>",
        longest / 1000
    );
    if forks.is_empty() {
        s.push_str("<text x=\"4\" y=\"36\">no tine:copy_process_step events in this trace</text>");
    }
    let names: Vec<&str> =
        forks.iter().flat_map(|f| f.steps.iter().map(|s| s.0.as_str())).fold(Vec::new(), |mut v, n| {
            if !v.contains(&n) {
                v.push(n);
            }
            v
        });
    let color = |n: &str| {
        let i = names.iter().position(|x| *x == n).unwrap_or(0);
        format!("hsl({}, 60%, 55%)", (i * 360 / names.len().max(1) + 200) % 360)
    };
    for (r, f) in forks.iter().enumerate() {
        let y = 26.0 + r as f64 * 18.0;
        let _ = write!(
            s,
            "<g class=\"fork-row\"><text x=\"4\" y=\"{:.1}\">fork {} → {}</text>",
            y + 11.0,
            f.parent,
            f.child
        );
        let mut x = LEFT;
        for (name, ns, ret) in &f.steps {
            let w = *ns as f64 / longest as f64 * (WIDTH - LEFT - 10.0);
            let _ = write!(s, "<rect class=\"step\" x=\"{x:.2}\" y=\"{y:.1}\" width=\"{:.2}\" height=\"14\" fill=\"{}\"><title>fork {} → {}: {name} {ns} ns ret={ret}</title></rect>", w.max(0.3), color(name), f.parent, f.child);
            x += w;
        }
        s.push_str("</g>");
    }
    let y = h - 10.0;
    let mut x = LEFT;
    for n in &names {
        let _ = write!(s, "<rect x=\"{x:.0}\" y=\"{:.0}\" width=\"10\" height=\"10\" fill=\"{}\"/><text x=\"{:.0}\" y=\"{y:.0}\">{n}</text>", y - 9.0, color(n), x + 12.0);
        x += 14.0 + n.len() as f64 * 6.5;
    }
    s.push_str("</svg>");
    s
}

/// The SVG files of `--svg`.
pub fn svgs(t: &Trace) -> Vec<(&'static str, String)> {
    vec![("tree.svg", tree_svg(t)), ("cow.svg", cow_svg(t)), ("steps.svg", steps_svg(t))]
}

const SCRIPT: &str = r#"<script>
(function () {
  var bar = document.getElementById('status');
  document.addEventListener('mouseover', function (e) {
    var el = e.target.closest ? e.target.closest('[data-line]') : null;
    var title = el && el.querySelector('title');
    if (title) bar.textContent = title.textContent;
  });
  document.getElementById('counts').textContent =
    document.querySelectorAll('g.lane').length + ' lanes, ' +
    document.querySelectorAll('.cow-mark').length + ' COW marks';
})();
</script>"#;

fn page_head(title: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title>\n<style>\
body {{ font: 14px sans-serif; margin: 16px; color: #263238; }} h1 {{ font-size: 18px; }} h2 {{ font-size: 15px; margin-top: 24px; }}\
#status {{ position: sticky; top: 0; background: #263238; color: #fff; font: 12px monospace; padding: 4px 8px; min-height: 16px; white-space: pre; overflow: hidden; }}\
table {{ border-collapse: collapse; font: 12px monospace; }} td, th {{ border: 1px solid #cfd8dc; padding: 2px 6px; }}\
.diff {{ background: #ffebee; }} .tine-only {{ color: #6a1b9a; }}\
</style></head><body>\n",
        esc(title)
    )
}

/// The summary as a list.
fn summary_html(t: &Trace, kernel: &str) -> String {
    let text = super::summary_lines(t, kernel);
    let mut s = String::from("<ul class=\"summary\">");
    for l in text.lines() {
        let _ = write!(s, "<li>{}</li>", esc(l));
    }
    s.push_str("</ul>");
    s
}

pub fn index(t: &Trace, kernel: &str) -> String {
    let root = t.procs.first().map_or("?".to_string(), |p| p.label());
    let mut s = page_head(&format!("{root} on {kernel}: cargo xtask trace"));
    let _ = write!(s, "<h1>{} on {kernel}</h1>", esc(&root));
    s.push_str("<div id=\"status\">hover over an event to see its trace line</div><p id=\"counts\"></p>");
    s.push_str(&summary_html(t, kernel));
    s.push_str("<h2>The process tree</h2><p>A lane per process from its fork to its reaping: green running, yellow runnable, grey blocked, hatched zombie; arrows from each fork to the child, dashed arrows from each reaped child to the parent that waited for it; blue marks at exec.</p>");
    s.push_str(&tree_svg(t));
    s.push_str("<h2>Copy-on-write</h2><p>The pages each process touched while traced, as the trace saw them: after fork every page is shared (blue); a first write copies it (red mark, the page becomes private) or reuses it when no one else maps it any more (blue mark).</p>");
    s.push_str(&cow_svg(t));
    s.push_str("<h2>copy_process, step by step</h2>");
    s.push_str(&steps_svg(t));
    let _ = writeln!(s, "{SCRIPT}</body></html>");
    s
}

/// Each process's sched/task events in its own order, the processes
/// named by order of creation (P0 the program, P1 its first child, ...):
/// the scheduler may interleave processes differently on two kernels, but
/// each process's own story must be the same.
fn sequences(t: &Trace) -> Vec<Vec<(String, String)>> {
    let mut order: Vec<u32> = t.procs.first().map(|p| vec![p.pid]).unwrap_or_default();
    for f in &t.forks {
        if !order.contains(&f.child) {
            order.push(f.child);
        }
    }
    let name = |pid: i64| order.iter().position(|&p| p as i64 == pid).map_or(format!("pid{pid}"), |i| format!("P{i}"));
    let mut out = vec![Vec::new(); order.len()];
    for (i, l) in t.lines.iter().enumerate() {
        if t.launch.contains(&i) {
            continue;
        }
        let (who, e) = match l.event.as_str() {
            "sched_process_fork" => (l.pid as i64, format!("fork {}", name(l.num("child_pid").unwrap_or(-1)))),
            "sched_process_exec" => {
                (l.pid as i64, format!("exec {}", l.get("filename").unwrap_or("?").rsplit('/').next().unwrap_or("?")))
            }
            "sched_process_exit" => (l.num("pid").unwrap_or(-1), "exit".to_string()),
            "task_newtask" => (l.pid as i64, format!("newtask {}", name(l.num("pid").unwrap_or(-1)))),
            "task_rename" => (l.num("pid").unwrap_or(-1), format!("rename {}", l.get("newcomm").unwrap_or("?"))),
            _ => continue,
        };
        if let Some(k) = order.iter().position(|&p| p as i64 == who) {
            out[k].push((format!("P{k} {e}"), l.text.trim().to_string()));
        }
    }
    out
}

/// Both runs one above the other, their sched/task sequences aligned.
pub fn compare(tine: &Trace, linux: &Trace) -> String {
    let root = tine.procs.first().map_or("?".to_string(), |p| p.label());
    let mut s = page_head(&format!("{root}: Tine and Linux"));
    let _ = write!(s, "<h1>{}: Tine above, Linux below</h1>", esc(&root));
    s.push_str("<div id=\"status\">hover over an event to see its trace line</div><p id=\"counts\"></p>");
    let (a, b) = (sequences(tine), sequences(linux));
    let none = (String::from("(none)"), String::new());
    let mut rows = Vec::new();
    for k in 0..a.len().max(b.len()) {
        let (x, y) = (a.get(k).cloned().unwrap_or_default(), b.get(k).cloned().unwrap_or_default());
        for i in 0..x.len().max(y.len()) {
            let (p, q) = (x.get(i).unwrap_or(&none).clone(), y.get(i).unwrap_or(&none).clone());
            rows.push((p.0 != q.0, p, q));
        }
    }
    let diffs: Vec<_> = rows.iter().filter(|r| r.0).collect();
    s.push_str("<h2>Differences in the sched/task event sequences</h2>");
    if diffs.is_empty() {
        let _ = write!(s, "<p class=\"no-diff\">None: the {} fork, exec, exit, newtask and rename events match one for one, process by process (PIDs mapped by order of creation).</p>", rows.len());
    } else {
        s.push_str("<ul class=\"diffs\">");
        for (_, p, q) in &diffs {
            let _ = write!(s, "<li>Tine <code>{}</code>, Linux <code>{}</code></li>", esc(&p.0), esc(&q.0));
        }
        s.push_str("</ul>");
    }
    let tine_only: usize = tine
        .lines
        .iter()
        .filter(|l| {
            matches!(
                l.event.as_str(),
                "copy_process_step"
                    | "exec_step"
                    | "cow_copy"
                    | "cow_reuse"
                    | "zero_page"
                    | "pt_share"
                    | "pt_unshare"
                    | "vfork_wait"
                    | "vfork_done"
                    | "reparent"
            )
        })
        .count();
    let _ = write!(s, "<p class=\"tine-only\">{tine_only} events of Tine's own <code>tine:</code> system (COW, page tables, copy_process and exec steps, vfork) exist only on Tine: they are in Tine's panels and index.html, not in this comparison.</p>");
    s.push_str("<table class=\"aligned\"><tr><th>Tine</th><th>Linux</th></tr>");
    for (d, p, q) in &rows {
        let class = if *d { " class=\"diff\"" } else { "" };
        let cell = |x: &(String, String)| format!("<span title=\"{}\">{}</span>", esc(&x.1), esc(&x.0));
        let _ = write!(s, "<tr{class}><td>{}</td><td>{}</td></tr>", cell(p), cell(q));
    }
    s.push_str("</table>");
    s.push_str("<h2>Tine</h2>");
    s.push_str(&summary_html(tine, "Tine"));
    s.push_str(&tree_svg(tine));
    s.push_str("<h2>Linux</h2>");
    s.push_str(&summary_html(linux, "Linux"));
    s.push_str(&tree_svg(linux));
    let _ = writeln!(s, "{SCRIPT}</body></html>");
    s
}
