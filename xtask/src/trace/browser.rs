//! The pages in a real browser: headless Chromium (Debian's `chromium`,
//! installed when missing) loads each page from disk with the network
//! off; the rendered DOM must hold a lane per process and a mark per COW
//! fault, and the console no script error. A PNG screenshot of each page
//! is written next to it.

use std::path::Path;
use std::process::Command;

use regex::Regex;

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

/// index.html: a lane per process (or collapsed group), a mark per COW
/// fault, and the script's own count of both in `#counts`.
pub fn check_index(page: &Path, t: &Trace) -> Result<()> {
    let d = dom(page)?;
    let lanes = count(&d, r#"<g class="lane" data-pid="#);
    let pids: usize = Regex::new(r#"<g class="lane" data-pid="([0-9 ]+)""#)
        .unwrap()
        .captures_iter(&d)
        .map(|c| c[1].split(' ').count())
        .sum();
    let faults = t
        .procs
        .iter()
        .flat_map(|p| &p.marks)
        .filter(|m| matches!(m.kind, MarkKind::CowCopy | MarkKind::CowReuse))
        .count();
    let marks = count(&d, r#"class="cow-mark "#);
    if pids != t.procs.len() || marks != faults {
        return Err(format!(
            "{}: {pids} processes in {lanes} lanes and {marks} COW marks rendered; the trace has {} processes and {faults} COW faults",
            page.display(),
            t.procs.len()
        ));
    }
    let counted = format!("{lanes} lanes, {marks} COW marks");
    if !d.contains(&counted) {
        return Err(format!("{}: the page's script did not run (no \"{counted}\")", page.display()));
    }
    eprintln!("xtask: browser check of {}: {counted}, no script error; screenshot beside it", page.display());
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
