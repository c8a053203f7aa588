//! The pages in a real browser: headless Chromium (Debian's `chromium`,
//! installed when missing) loads each page from disk with the network
//! off; the rendered DOM must have the structure of the trace (lanes,
//! bands, arrows, marks, waterfall rows: [`check_index`]), and the
//! console no script error. A PNG screenshot of each page
//! is written next to it.

use std::path::Path;
use std::process::Command;

use regex::Regex;

use super::html::{BAND_OPEN_MAX, WATERFALL_OPEN_MAX};
use super::model::{MarkKind, Trace};
use crate::{build, Result};

const CHROMIUM: &str = "chromium";

fn chromium(page: &Path, what: &[&str]) -> Result<std::process::Output> {
    if Command::new(CHROMIUM).arg("--version").output().is_err() {
        build::apt_install("headless Chromium (to check the trace pages)", &[CHROMIUM])?;
    }
    let url =
        format!("file://{}", std::fs::canonicalize(page).map_err(|e| format!("{}: {e}", page.display()))?.display());
    let profile = crate::TempDir::new("chromium")?;
    let mut cmd = Command::new(CHROMIUM);
    cmd.args(["--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", "--enable-logging=stderr", "--v=0"])
        // The network off: every host resolves nowhere, no proxy fallback.
        .args([
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--proxy-server=127.0.0.1:9",
            "--disable-background-networking",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(what)
        .arg(&url);
    cmd.output().map_err(|e| format!("{CHROMIUM}: {e}"))
}

/// The DOM of `page` after its scripts ran; fails on a logged script error.
fn dom(page: &Path) -> Result<String> {
    let out = chromium(page, &["--dump-dom"])?;
    let log = String::from_utf8_lossy(&out.stderr);
    let errors: Vec<&str> =
        log.lines().filter(|l| l.contains("CONSOLE") && (l.contains("Error") || l.contains("error"))).collect();
    if !errors.is_empty() {
        return Err(format!("{}: script errors:\n{}", page.display(), errors.join("\n")));
    }
    if !out.status.success() {
        return Err(format!("{}: chromium failed: {}", page.display(), log.lines().last().unwrap_or("")));
    }
    let png = page.with_extension("png");
    let shot = chromium(page, &["--window-size=1200,1600", &format!("--screenshot={}", png.display())])?;
    if !png.exists() {
        return Err(format!("{}: no screenshot: {}", png.display(), String::from_utf8_lossy(&shot.stderr)));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn count(dom: &str, re: &str) -> usize {
    Regex::new(re).unwrap().find_iter(dom).count()
}

/// What the page's own script counted (`#counts`), which shows it ran.
fn script_counts(d: &str) -> Option<(usize, usize, u64)> {
    let c = Regex::new(r"(\d+) lanes, (\d+) COW marks, \d+ bands \(\d+ collapsed\), page height (\d+) px")
        .unwrap()
        .captures(d)?;
    Some((c[1].parse().ok()?, c[2].parse().ok()?, c[3].parse().ok()?))
}

/// index.html's rendered structure against the trace it was drawn from:
/// a lane per process, a band per process group (collapsed beyond
/// [`BAND_OPEN_MAX`]), a fork arrow per fork, an exec mark per exec, a
/// COW mark per COW fault in each process's lane, a waterfall row per
/// traced fork, the page's script run and its height bounded; with
/// `cow_writes` (a range and a count), that many COW copies in the range.
pub fn check_index(page: &Path, t: &Trace, cow_writes: Option<(std::ops::Range<u64>, usize)>) -> Result<()> {
    let d = dom(page)?;
    let fail = |what: String| Err(format!("{}: {what}", page.display()));
    let lanes: Vec<u32> = Regex::new(r#"<g class="lane" data-pid="(\d+)""#)
        .unwrap()
        .captures_iter(&d)
        .map(|c| c[1].parse().unwrap())
        .collect();
    let mut want: Vec<u32> = t.procs.iter().map(|p| p.pid).collect();
    let mut got = lanes.clone();
    want.sort_unstable();
    got.sort_unstable();
    if got != want {
        return fail(format!("lanes for {got:?}, processes {want:?}"));
    }
    let groups = t.groups();
    let bands: Vec<(u32, usize, bool)> =
        Regex::new(r#"<details class="band tree-band" data-pgid="(\d+)" data-members="(\d+)"( open="")?>"#)
            .unwrap()
            .captures_iter(&d)
            .map(|c| (c[1].parse().unwrap(), c[2].parse().unwrap(), c.get(3).is_some()))
            .collect();
    let want: Vec<(u32, usize, bool)> = groups.iter().map(|(g, m)| (*g, m.len(), m.len() <= BAND_OPEN_MAX)).collect();
    if bands != want {
        return fail(format!("process-group bands (pgid, members, open) {bands:?}, expected {want:?}"));
    }
    let forks = t.forks.iter().filter(|f| t.proc(f.child).is_some()).count();
    let arrows = count(&d, r#"<line class="fork" "#);
    let execs: usize = t.procs.iter().map(|p| p.execs.len()).sum();
    let exec_marks = count(&d, r#"<g class="exec" "#);
    let rows = t.forks.iter().filter(|f| !f.steps.is_empty()).count();
    let fork_rows = count(&d, r#"<g class="fork-row">"#);
    if arrows != forks || exec_marks != execs || fork_rows != rows {
        return fail(format!(
            "{arrows} fork arrows, {exec_marks} exec marks, {fork_rows} waterfall rows drawn; \
             the trace has {forks} forks, {execs} execs, {rows} forks with copy_process steps"
        ));
    }
    // Each process's COW marks in its own lane of the COW panel.
    let mut marks = 0;
    for part in d.split(r#"<g class="cow-lane" data-pid=""#).skip(1) {
        let pid: u32 = part[..part.find('"').unwrap_or(0)].parse().unwrap_or(0);
        let lane = &part[..part.find("</g>").unwrap_or(part.len())];
        let drawn = count(lane, r#"class="cow-mark "#);
        let want = t
            .proc(pid)
            .map_or(0, |p| p.marks.iter().filter(|m| matches!(m.kind, MarkKind::CowCopy | MarkKind::CowReuse)).count());
        if drawn != want {
            return fail(format!("{drawn} COW marks in the lane of {pid}, which had {want} COW faults"));
        }
        marks += drawn;
    }
    let faults = t
        .procs
        .iter()
        .flat_map(|p| &p.marks)
        .filter(|m| matches!(m.kind, MarkKind::CowCopy | MarkKind::CowReuse))
        .count();
    if marks != faults {
        return fail(format!("{marks} COW marks in the COW lanes; the trace has {faults} COW faults"));
    }
    if let Some((range, want)) = cow_writes {
        let copies = Regex::new(r#"class="cow-mark cow-copy" data-address="0x([0-9a-f]+)""#)
            .unwrap()
            .captures_iter(&d)
            .filter(|c| u64::from_str_radix(&c[1], 16).is_ok_and(|a| range.contains(&a)))
            .count();
        if copies != want {
            return fail(format!(
                "the COW panel shows {copies} copies in {:#x}-{:#x}, the program writes {want} pages there after fork",
                range.start, range.end
            ));
        }
        eprintln!("xtask: the COW panel's copies in the buffer: {copies}, the pages written after fork");
    }
    let Some((n_lanes, n_marks, height)) = script_counts(&d) else {
        return fail("the page's script did not run (no counts)".into());
    };
    if (n_lanes, n_marks) != (lanes.len(), marks) {
        return fail(format!("the script counted {n_lanes} lanes and {n_marks} marks"));
    }
    // Bounded: the collapsed groups take a line each, whatever their size.
    let shown: usize = groups.iter().map(|(_, m)| if m.len() <= BAND_OPEN_MAX { m.len() } else { 0 }).sum();
    let bound = 2500
        + 70 * shown as u64
        + 60 * groups.len() as u64
        + if rows <= WATERFALL_OPEN_MAX { 20 * rows as u64 } else { 0 };
    if height > bound {
        return fail(format!("the page is {height} px high, more than the {bound} px its open lanes need"));
    }
    let collapsed = bands.iter().filter(|b| !b.2).count();
    eprintln!(
        "xtask: browser check of {}: {} lanes in {} bands ({collapsed} collapsed), {forks} fork arrows, {execs} exec marks, \
         {marks} COW marks, {rows} waterfall rows, {height} px high, no script error; screenshot beside it",
        page.display(),
        lanes.len(),
        bands.len()
    );
    Ok(())
}

/// compare.html: both trees drawn, and its list of differences, which
/// must be empty when `same` is asked for.
pub fn check_compare(page: &Path, want_same: bool) -> Result<()> {
    let d = dom(page)?;
    if count(&d, r#"<svg [^>]*class="panel tree""#) != 2 {
        return Err(format!("{}: not two process trees", page.display()));
    }
    let same = d.contains("class=\"no-diff\"");
    if want_same && !same {
        return Err(format!("{}: the sched/task sequences of Tine and Linux differ (listed there)", page.display()));
    }
    eprintln!(
        "xtask: browser check of {}: two trees, {}",
        page.display(),
        if same { "no difference in the sched/task sequences" } else { "differences listed" }
    );
    Ok(())
}
