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
/// A process group of more processes than this starts collapsed in
/// index.html (a click on its band opens it), so that a program of
/// hundreds of processes still makes a page of a few screens.
pub const BAND_OPEN_MAX: usize = 8;
/// Waterfalls of more forks than this start collapsed.
pub const WATERFALL_OPEN_MAX: usize = 40;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
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
.zombie { fill: url(#hatch); } .lane-bg { fill: #f5f5f5; } .life { fill: #90a4ae; }
.fork { stroke: #37474f; stroke-width: 1.2; marker-end: url(#arrow); }
.wait { stroke: #ad1457; stroke-width: 1.2; stroke-dasharray: 3 2; marker-end: url(#arrow); }
.exec-mark { fill: #1e88e5; } .cow-copy { stroke: #e53935; stroke-width: 1.5; }
.cow-reuse { stroke: #1e88e5; stroke-width: 1.5; } .pt-mark { fill: #6a1b9a; }
.private { fill: #ef9a9a; } .shared { fill: #90caf9; } .zero { fill: #fff59d; } .file { fill: #c5e1a5; }
.step { stroke: #fff; stroke-width: 0.5; }
</style>"#;

fn svg_open(s: &mut String, class: &str, h: f64) {
    let _ = write!(s, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"{class}\" width=\"{WIDTH}\" height=\"{h}\" viewBox=\"0 0 {WIDTH} {h}\">{DEFS}{STYLE}");
}

/// The lanes of `procs` (every process, or one group's) over time: one
/// per process, from its fork to its reaping. Arrows whose other end is
/// in another group are drawn as a stub into this lane.
fn tree_lanes(t: &Trace, procs: &[&Proc], class: &str, title: Option<String>) -> String {
    let sc = Scale::new(t);
    let top = if title.is_some() { 30.0 } else { 4.0 };
    let h = top + procs.len() as f64 * LANE + 6.0;
    let mut s = String::new();
    svg_open(&mut s, class, h);
    if let Some(title) = title {
        let _ = write!(s, "<text x=\"4\" y=\"14\" font-weight=\"bold\">{}</text>", esc(&title));
    }
    let y_of = |pid: u32| procs.iter().position(|p| p.pid == pid).map(|i| top + i as f64 * LANE);
    for (i, p) in procs.iter().enumerate() {
        let y = top + i as f64 * LANE;
        let _ = write!(
            s,
            "<g class=\"lane\" data-pid=\"{}\" data-pgid=\"{}\"><text x=\"{}\" y=\"{}\">{}</text>",
            p.pid,
            p.pgid,
            4.0 + p.depth.min(12) as f64 * 10.0,
            y + 14.0,
            esc(&p.label())
        );
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
        s.push_str("</g>");
    }
    for f in &t.forks {
        let Some(y1) = y_of(f.child) else { continue };
        let y0 = y_of(f.parent).map_or(y1 - 8.0, |y| y + LANE / 2.0);
        let x = sc.x(f.ts);
        let _ = write!(
            s,
            "<line class=\"fork\" data-child=\"{}\" x1=\"{x:.1}\" y1=\"{y0:.1}\" x2=\"{x:.1}\" y2=\"{y1:.1}\"{}></line>",
            f.child,
            line_attr(t, f.line)
        );
    }
    for p in procs {
        let (Some((ts, line)), Some(pp)) = (p.reaped, p.ppid) else { continue };
        if p.thread || t.proc(pp).is_none() {
            continue;
        }
        let Some(y0) = y_of(p.pid) else { continue };
        let y1 = y_of(pp).map_or(y0 - 6.0, |y| y + LANE - 4.0);
        let x = sc.x(ts);
        let _ = write!(
            s,
            "<line class=\"wait\" x1=\"{x:.1}\" y1=\"{y0:.1}\" x2=\"{x:.1}\" y2=\"{y1:.1}\"{}></line>",
            line_attr(t, line)
        );
    }
    s.push_str("</svg>");
    s
}

/// The process tree over time, every process in one picture.
pub fn tree_svg(t: &Trace) -> String {
    let all: Vec<&Proc> = t.procs.iter().collect();
    let ms = (t.end.max(t.start + 1) - t.start) as f64 / 1e6;
    tree_lanes(t, &all, "panel tree", Some(format!("Processes over time ({ms:.3} ms)")))
}

/// The most pages any process had at once: the COW lanes' full height.
fn most_pages(t: &Trace) -> usize {
    t.procs.iter().flat_map(|p| &p.pages).map(|(_, g)| g.private + g.shared + g.zero + g.file).max().unwrap_or(1).max(1)
}

const COW_LEGEND: &str = "<tspan class=\"private\">■</tspan> private <tspan class=\"shared\">■</tspan> shared <tspan class=\"zero\">■</tspan> zero page <tspan class=\"file\">■</tspan> file; marks: <tspan fill=\"#e53935\">|</tspan> COW copy <tspan fill=\"#1e88e5\">|</tspan> COW reuse <tspan fill=\"#6a1b9a\">▲</tspan> leaf table shared/▼ unshared";

/// Copy-on-write lanes of `procs`: each one's pages over time (stacked:
/// private, shared, zero page, file) and its memory events as marks.
fn cow_lanes(t: &Trace, procs: &[&Proc], class: &str, title: Option<String>) -> String {
    let sc = Scale::new(t);
    let most = most_pages(t);
    let top = if title.is_some() { 36.0 } else { 4.0 };
    let h = top + procs.len() as f64 * COW_LANE + 8.0;
    let mut s = String::new();
    svg_open(&mut s, class, h);
    if let Some(title) = title {
        let _ = write!(s, "<text x=\"4\" y=\"14\" font-weight=\"bold\">{title}</text>");
    }
    for (i, p) in procs.iter().enumerate() {
        let y = top + i as f64 * COW_LANE;
        let base = y + COW_LANE - 8.0;
        let hgt = COW_LANE - 12.0;
        let _ = write!(
            s,
            "<g class=\"cow-lane\" data-pid=\"{}\"><text x=\"{}\" y=\"{:.1}\">{}</text>",
            p.pid,
            4.0 + p.depth.min(12) as f64 * 10.0,
            y + 16.0,
            esc(&p.label())
        );
        let gone = p.reaped.or(p.exit).map_or(t.end, |r| r.0);
        for (k, &(ts, g)) in p.pages.iter().enumerate() {
            let until = p.pages.get(k + 1).map_or(gone, |n| n.0).max(ts);
            let (a, b) = (sc.x(ts), sc.x(until));
            let w = (b - a).max(0.3);
            let mut top = base;
            let tip = if p.sampled {
                format!(
                    "{}: {} private, {} shared, {} zero page, {} file; {} leaf tables shared",
                    p.label(),
                    g.private,
                    g.shared,
                    g.zero,
                    g.file,
                    g.pt_shared
                )
            } else {
                format!(
                    "{}: {} private, {} zero-filled, {} shared (pages its memory events touched)",
                    p.label(),
                    g.private,
                    g.zero,
                    g.shared
                )
            };
            for (n, class) in [(g.private, "private"), (g.shared, "shared"), (g.zero, "zero"), (g.file, "file")] {
                let dh = n as f64 / most as f64 * hgt;
                if dh > 0.0 {
                    top -= dh;
                    let _ = write!(s, "<rect class=\"{class}\" x=\"{a:.2}\" y=\"{top:.2}\" width=\"{w:.2}\" height=\"{dh:.2}\"><title>{}</title></rect>", esc(&tip));
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
                        "<line class=\"cow-mark {c}\" data-address=\"{:#x}\" x1=\"{x:.1}\" y1=\"{:.1}\" x2=\"{x:.1}\" y2=\"{:.1}\"{}></line>",
                        m.address,
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

/// Copy-on-write: every process's pages over time and its memory events.
pub fn cow_svg(t: &Trace) -> String {
    let procs: Vec<&Proc> = t.procs.iter().filter(|p| !p.thread).collect();
    let title = format!("Pages of each process (height: up to {}): {COW_LEGEND}", most_pages(t));
    cow_lanes(t, &procs, "panel cow", Some(title))
}

/// One band per process group, open when it is small: `<details>`, which
/// the browser opens and closes on a click with no script; a collapsed
/// band's summary still shows when its processes lived.
fn bands(t: &Trace, panel: &str, draw: impl Fn(&[&Proc]) -> String) -> String {
    let sc = Scale::new(t);
    let mut s = String::new();
    for (pgid, members) in t.groups() {
        let members: Vec<&Proc> = members.into_iter().filter(|p| panel == "tree" || !p.thread).collect();
        if members.is_empty() {
            continue;
        }
        let open = if members.len() <= BAND_OPEN_MAX { " open" } else { "" };
        let mut names: Vec<(String, usize)> = Vec::new();
        for p in &members {
            match names.iter_mut().find(|n| n.0 == p.comm()) {
                Some(n) => n.1 += 1,
                None => names.push((p.comm().to_string(), 1)),
            }
        }
        let names: Vec<String> =
            names.iter().map(|(n, k)| if *k > 1 { format!("{n} ×{k}") } else { n.clone() }).collect();
        let _ = write!(
            s,
            "<details class=\"band {panel}-band\" data-pgid=\"{pgid}\" data-members=\"{}\"{open}><summary>process group {pgid}: {} process{} ({})",
            members.len(),
            members.len(),
            if members.len() == 1 { "" } else { "es" },
            esc(&names.join(", "))
        );
        // When each member lived, one thin bar each, all on one row.
        let _ =
            write!(s, "<br><svg class=\"overview\" width=\"{WIDTH}\" height=\"8\" viewBox=\"0 0 {WIDTH} 8\">{STYLE}");
        for p in &members {
            let (a, b) = (sc.x(p.born), sc.x(p.reaped.map_or(t.end, |r| r.0)));
            let _ = write!(
                s,
                "<rect class=\"life\" opacity=\"0.35\" x=\"{a:.1}\" y=\"1\" width=\"{:.1}\" height=\"6\"/>",
                (b - a).max(0.5)
            );
        }
        s.push_str("</svg></summary>");
        s.push_str(&draw(&members));
        s.push_str("</details>");
    }
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
  var q = function (sel) { return document.querySelectorAll(sel).length; };
  document.getElementById('counts').textContent =
    q('g.lane') + ' lanes, ' + q('.cow-mark') + ' COW marks, ' +
    q('details.band') + ' bands (' + q('details.band:not([open])') + ' collapsed), page height ' +
    document.documentElement.scrollHeight + ' px';
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
    let ms = (t.end.max(t.start + 1) - t.start) as f64 / 1e6;
    let _ = write!(s, "<h2>The process tree ({ms:.3} ms)</h2><p>A lane per process from its fork to its reaping: green running, yellow runnable, grey blocked, hatched zombie; arrows from each fork to the child, dashed arrows from each reaped child to the parent that waited for it; blue marks at exec. Processes are banded by process group; a group of more than {BAND_OPEN_MAX} starts collapsed: click it to open.</p>");
    s.push_str(&bands(t, "tree", |m| tree_lanes(t, m, "panel tree", None)));
    let (what, legend) = if t.procs.iter().any(|p| p.sampled) {
        ("the address space's counters at each fork, exec, exit and copy-on-write fault (<code>tine:mm_rss</code>): anonymous pages private to it, anonymous pages another process maps too, entries on the zero page, file pages", "a write to a shared page copies it (red mark) or, when no one else maps it any more, reuses it (blue mark); purple triangles: a leaf page table shared by fork, or unshared")
    } else {
        (
            "the pages its memory events touched (this kernel has no <code>tine:mm_rss</code>)",
            "a write fault on a present page is a COW fault (red mark)",
        )
    };
    let _ = write!(s, "<h2>Copy-on-write</h2><p>Each process's pages over time, from {what}; {legend}.</p><p><svg width=\"700\" height=\"16\">{STYLE}<text x=\"0\" y=\"12\">{COW_LEGEND}</text></svg></p>");
    s.push_str(&bands(t, "cow", |m| cow_lanes(t, m, "panel cow", None)));
    let rows = t.forks.iter().filter(|f| !f.steps.is_empty()).count();
    let open = if rows <= WATERFALL_OPEN_MAX { " open" } else { "" };
    let _ = write!(s, "<h2>copy_process, step by step</h2><details class=\"waterfall\" data-rows=\"{rows}\"{open}><summary>{rows} forks</summary>");
    s.push_str(&steps_svg(t));
    s.push_str("</details>");
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
                    | "setpgid"
                    | "mm_rss"
            )
        })
        .count();
    let _ = write!(s, "<p class=\"tine-only\">{tine_only} events of Tine's own <code>tine:</code> system (COW, page tables, RSS samples, process groups, copy_process and exec steps, vfork) exist only on Tine: they are in Tine's panels and index.html, not in this comparison.</p>");
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
