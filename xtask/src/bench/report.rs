//! The side-by-side report of `cargo xtask bench`: the table on stdout,
//! results.md, results.json and fork-memory.svg.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::process::Command;
use std::time::SystemTime;

use serde::Serialize;

use super::{combine, machine_text, Measure, Parsed, Row, Target, MEMORY};
use crate::qemu::{self, Accel};

pub(super) struct Report {
    pub(super) date: String,
    pub(super) accel: Accel,
    pub(super) measure: Measure,
    pub(super) qemu: String,
    pub(super) linux_release: Option<String>,
    pub(super) targets: Vec<Target>,
    pub(super) selected: Vec<String>,
    pub(super) runs: BTreeMap<&'static str, Vec<Parsed>>,
    pub(super) boots: BTreeMap<&'static str, Vec<(f64, Option<String>)>>,
    pub(super) gargs: String,
    pub(super) rounds: usize,
    pub(super) host_total: f64,
    pub(super) loadavg: String,
}

/// The rows to show: each selected benchmark, or in its place the rows it
/// printed under longer names (`forkbomb` prints `forkbomb_fill` and
/// `forkbomb_recover`), in the order they came.
pub(super) fn with_sub_rows(selected: Vec<String>, runs: &BTreeMap<&'static str, Vec<Parsed>>) -> Vec<String> {
    let mut out = Vec::new();
    for name in &selected {
        let prefix = format!("{name}_");
        let mut subs: Vec<String> = Vec::new();
        for row in runs.values().flatten().flat_map(|p| p.order.iter()) {
            if row.starts_with(&prefix) && !selected.contains(row) && !subs.contains(row) {
                subs.push(row.clone());
            }
        }
        if subs.is_empty() {
            out.push(name.clone());
        } else {
            out.extend(subs);
        }
    }
    out
}

/// Instructions: "563", "12.3 k", "4.56 M".
pub fn count(n: f64) -> String {
    if !n.is_finite() {
        return "-".into();
    }
    let (v, u) = if n < 1e3 {
        return format!("{n:.0}");
    } else if n < 1e6 {
        (n / 1e3, "k")
    } else if n < 1e9 {
        (n / 1e6, "M")
    } else {
        (n / 1e9, "G")
    };
    let digits = if v < 10.0 {
        2
    } else if v < 100.0 {
        1
    } else {
        0
    };
    format!("{v:.digits$} {u}")
}

/// results.json: `{"wall": RUN, "icount": RUN}`, this run's `text` in its
/// measure's section and the other section as `previous` had it (null
/// when there is none).
pub(super) fn merge_json(previous: Option<&str>, measure: Measure, text: &str) -> String {
    let this: serde_json::Value = serde_json::from_str(text).expect("our own JSON parses");
    let mut all = previous
        .and_then(|p| serde_json::from_str::<serde_json::Value>(p).ok())
        .filter(|v| v.get("wall").is_some() || v.get("icount").is_some())
        .unwrap_or_else(|| serde_json::json!({"wall": null, "icount": null}));
    all[measure.key()] = this;
    let mut s = serde_json::to_string_pretty(&all).expect("plain data serializes");
    s.push('\n');
    s
}

/// "12.3 µs" etc.
pub fn human(ns: f64) -> String {
    if !ns.is_finite() {
        return "-".into();
    }
    let (v, u) = if ns < 1e3 {
        (ns, "ns")
    } else if ns < 1e6 {
        (ns / 1e3, "µs")
    } else if ns < 1e9 {
        (ns / 1e6, "ms")
    } else {
        (ns / 1e9, "s")
    };
    let digits = if v < 10.0 {
        2
    } else if v < 100.0 {
        1
    } else {
        0
    };
    format!("{v:.digits$} {u}")
}

impl Report {
    fn row(&self, id: &str, name: &str) -> Option<Row> {
        combine(self.runs.get(id)?, name)
    }

    fn ratio(&self, name: &str, linux: &str) -> Option<f64> {
        let t = self.row("tine", name)?;
        let l = self.row(linux, name)?;
        (l.median > 0.0).then(|| t.median / l.median)
    }

    fn settings(&self) -> String {
        format!(
            "{} QEMU {} ({}{}), {}; guest args: {}; {} round(s)",
            self.date,
            self.qemu,
            self.accel.name(),
            if self.measure == Measure::Icount { ", instruction counts" } else { "" },
            machine_text(self.accel, self.measure),
            self.gargs,
            self.rounds
        )
    }

    fn clock_notes(&self) -> Vec<String> {
        let mut v = Vec::new();
        for t in &self.targets {
            for (i, p) in self.runs.get(t.id).into_iter().flatten().enumerate() {
                // Under icount the guest's clock counts instructions.
                if let Some((g, h)) = p.clock.filter(|_| self.measure == Measure::Wall) {
                    let drift = if h > 0.0 { (g - h) / h * 100.0 } else { 0.0 };
                    let warn = if drift.abs() > 2.0 { "  <-- clock off by more than 2%" } else { "" };
                    v.push(format!(
                        "{} run {}: guest clock {:.2} s, host {:.2} s ({drift:+.2}%){warn}",
                        t.label,
                        i + 1,
                        g,
                        h
                    ));
                }
            }
            for (i, (wall, err)) in self.boots.get(t.id).into_iter().flatten().enumerate() {
                if let Some(e) = err {
                    v.push(format!("{} run {}: FAILED after {wall:.0} s: {e}", t.label, i + 1));
                }
            }
        }
        v
    }

    fn cols(&self) -> Vec<(&str, String)> {
        self.targets.iter().map(|t| (t.id, t.label.clone())).collect()
    }

    pub(super) fn table(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "{}", self.settings());
        if let Some(r) = &self.linux_release {
            let _ = writeln!(s, "Linux: Debian {r}");
        }
        let what = match self.measure {
            Measure::Wall => "time",
            Measure::Icount => "instructions",
        };
        let _ = writeln!(
            s,
            "{what} per operation (page for fault_*; the whole run for forkbomb_*): median [min..max] of the batches; T/L = Tine / Linux (< 1: Tine faster)"
        );
        let _ = writeln!(s);
        let mut head = format!("{:<22} ", "benchmark");
        for (_, label) in self.cols() {
            let _ = write!(head, "{:<30} ", label);
        }
        let linuxes: Vec<&Target> = self.targets.iter().filter(|t| t.id != "tine").collect();
        for l in &linuxes {
            let _ = write!(head, "{:>9} ", if l.id == "linux" { "T/L" } else { "T/L(never)" });
        }
        let _ = writeln!(s, "{}", head.trim_end());
        for name in &self.selected {
            let mut line = format!("{name:<22} ");
            for (id, _) in self.cols() {
                let cell = match self.row(id, name) {
                    Some(r) => {
                        let m = self.measure;
                        let u = r.unit.as_str();
                        format!("{} [{}..{}]", m.show(r.median, u), m.show(r.min, u), m.show(r.max, u))
                    }
                    None => self.missing(id, name),
                };
                let _ = write!(line, "{cell:<30} ");
            }
            for l in &linuxes {
                let cell = self.ratio(name, l.id).map(|r| format!("{r:.2}")).unwrap_or("-".into());
                let _ = write!(line, "{cell:>9} ");
            }
            let _ = writeln!(s, "{}", line.trim_end());
        }
        let _ = writeln!(s);
        for n in self.clock_notes() {
            let _ = writeln!(s, "{n}");
        }
        let _ = writeln!(s, "host load average at the end: {}", self.loadavg);
        s
    }

    fn missing(&self, id: &str, name: &str) -> String {
        for p in self.runs.get(id).into_iter().flatten() {
            if let Some((_, why)) = p.skips.iter().find(|(n, _)| n == name) {
                return format!("skipped ({why})");
            }
            if p.fails.iter().any(|f| f.split_whitespace().nth(1) == Some(name)) {
                return "FAILED".into();
            }
        }
        "-".into()
    }

    pub(super) fn markdown(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "Settings: {}.", self.settings());
        if let Some(r) = &self.linux_release {
            let _ = writeln!(s, "Linux: Debian `{r}`.");
        }
        let _ = writeln!(s);
        let linuxes: Vec<&Target> = self.targets.iter().filter(|t| t.id != "tine").collect();
        let mut head = "| benchmark | unit |".to_string();
        let mut rule = "|---|---|".to_string();
        for (_, label) in self.cols() {
            let _ = write!(head, " {label} |");
            rule.push_str("---:|");
        }
        for l in &linuxes {
            let _ = write!(head, " {} |", if l.id == "linux" { "Tine ÷ Linux" } else { "Tine ÷ Linux (THP never)" });
            rule.push_str("---:|");
        }
        let _ = writeln!(s, "{head}\n{rule}");
        for name in &self.selected {
            let unit = self
                .cols()
                .iter()
                .find_map(|(id, _)| self.row(id, name).map(|r| r.unit))
                .unwrap_or_else(|| "op".into());
            let mut line = format!("| {name} | {unit} |");
            for (id, _) in self.cols() {
                let cell = match self.row(id, name) {
                    Some(r) => {
                        let m = self.measure;
                        let u = r.unit.as_str();
                        format!("{} ({}–{})", m.show(r.median, u), m.show(r.min, u), m.show(r.max, u))
                    }
                    None => self.missing(id, name),
                };
                let _ = write!(line, " {cell} |");
            }
            for l in &linuxes {
                let cell = self.ratio(name, l.id).map(|r| format!("{r:.2}")).unwrap_or("-".into());
                let _ = write!(line, " {cell} |");
            }
            let _ = writeln!(s, "{line}");
        }
        let _ = writeln!(s);
        for n in self.clock_notes() {
            let _ = writeln!(s, "- {n}");
        }
        let _ = writeln!(s, "- host load average at the end: {}", self.loadavg);
        s
    }

    pub(super) fn json(&self) -> String {
        let kernels = self
            .targets
            .iter()
            .map(|t| {
                let runs = self.runs.get(t.id).map(Vec::as_slice).unwrap_or_default();
                KernelJson {
                    id: t.id,
                    label: &t.label,
                    image: t.image.display().to_string(),
                    cmdline: &t.cmdline,
                    info: runs.first().map(|p| p.info.as_slice()).unwrap_or_default(),
                    clock: runs
                        .iter()
                        .filter_map(|p| p.clock)
                        .map(|(g, h)| ClockJson { guest_s: round(g, 3), host_s: round(h, 3) })
                        .collect(),
                    errors: self.boots.get(t.id).into_iter().flatten().filter_map(|(_, e)| e.as_deref()).collect(),
                }
            })
            .collect();
        let results = self
            .selected
            .iter()
            .map(|name| {
                let mut by_kernel = BTreeMap::new();
                for t in &self.targets {
                    let row = self.row(t.id, name).map(|r| RowJson {
                        unit: r.unit,
                        median_ns: round(r.median, 1),
                        min_ns: round(r.min, 1),
                        max_ns: round(r.max, 1),
                        iters_per_batch: r.iters,
                        batches: r.batches,
                    });
                    by_kernel.insert(t.id.to_string(), Cell::Row(row));
                    if t.id != "tine" {
                        let ratio = self.ratio(name, t.id).map(|r| round(r, 4));
                        by_kernel.insert(format!("ratio_tine_over_{}", t.id), Cell::Ratio(ratio));
                    }
                }
                ResultJson { name, by_kernel }
            })
            .collect();
        let json = ResultsJson {
            date: &self.date,
            settings: SettingsJson {
                accel: self.accel.name(),
                qemu: &self.qemu,
                machine: machine_text(self.accel, self.measure),
                measure: self.measure.key(),
                memory: MEMORY,
                smp: crate::qemu::smp(),
                guest_args: &self.gargs,
                rounds: self.rounds,
            },
            host_seconds: round(self.host_total, 1),
            host_loadavg: &self.loadavg,
            kernels,
            results,
        };
        let mut s = serde_json::to_string_pretty(&json).expect("plain data serializes");
        s.push('\n');
        s
    }

    /// Fork latency against the parent's touched memory, log scale.
    pub(super) fn svg(&self) -> String {
        let sizes: [(&str, &str); 4] = [("", "~0"), ("_16m", "16 MiB"), ("_256m", "256 MiB"), ("_1g", "1 GiB")];
        let series_kinds = [("fork_exit_wait", "fork+exit+wait", ""), ("fork_only", "fork alone", "6,4")];
        let colors = [("tine", "#1f77b4"), ("linux", "#d62728"), ("linux_nothp", "#ff9f0e")];
        let (w, h) = (760.0f64, 460.0f64);
        let (left, right, top, bottom) = (80.0, 200.0, 40.0, 60.0);
        let pw = w - left - right;
        let ph = h - top - bottom;
        let mut pts: Vec<Series> = Vec::new();
        for t in &self.targets {
            let color = colors.iter().find(|(id, _)| *id == t.id).map(|c| c.1).unwrap_or("#555");
            for (base, label, dash) in series_kinds {
                let v: Vec<(usize, f64)> = sizes
                    .iter()
                    .enumerate()
                    .filter_map(|(i, (suf, _))| self.row(t.id, &format!("{base}{suf}")).map(|r| (i, r.median)))
                    .filter(|(_, v)| *v > 0.0 && v.is_finite())
                    .collect();
                if !v.is_empty() {
                    pts.push((format!("{} {label}", t.label), color, dash, v));
                }
            }
        }
        let all: Vec<f64> = pts.iter().flat_map(|p| p.3.iter().map(|x| x.1)).collect();
        let lo = all.iter().cloned().fold(f64::INFINITY, f64::min);
        let hi = all.iter().cloned().fold(0.0, f64::max);
        let (lo_e, hi_e) = if all.is_empty() {
            (3.0, 9.0)
        } else {
            (lo.log10().floor(), hi.log10().ceil().max(lo.log10().floor() + 1.0))
        };
        let y = |v: f64| top + ph - (v.log10() - lo_e) / (hi_e - lo_e) * ph;
        let x = |i: usize| left + pw * (i as f64 + 0.5) / sizes.len() as f64;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"12\">"
        );
        let _ = writeln!(s, "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>");
        let _ = writeln!(
            s,
            "<text x=\"{}\" y=\"22\" text-anchor=\"middle\" font-size=\"14\">Fork latency against the parent's touched memory ({}, -m {MEMORY})</text>",
            left + pw / 2.0,
            self.accel.name()
        );
        let mut e = lo_e;
        while e <= hi_e + 0.01 {
            let yy = y(10f64.powf(e));
            let _ = writeln!(
                s,
                "<line x1=\"{left}\" x2=\"{}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\" stroke=\"#ddd\"/><text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
                left + pw,
                left - 6.0,
                yy + 4.0,
                human(10f64.powf(e))
            );
            e += 1.0;
        }
        for (i, (_, label)) in sizes.iter().enumerate() {
            let _ =
                writeln!(s, "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{label}</text>", x(i), top + ph + 18.0);
        }
        let _ = writeln!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">anonymous memory touched by the parent</text>",
            left + pw / 2.0,
            top + ph + 40.0
        );
        let _ = writeln!(
            s,
            "<rect x=\"{left}\" y=\"{top}\" width=\"{pw}\" height=\"{ph}\" fill=\"none\" stroke=\"#333\"/>"
        );
        for (k, (label, color, dash, v)) in pts.iter().enumerate() {
            let path: Vec<String> = v.iter().map(|(i, val)| format!("{:.1},{:.1}", x(*i), y(*val))).collect();
            let _ = writeln!(
                s,
                "<polyline points=\"{}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" stroke-dasharray=\"{dash}\"/>",
                path.join(" ")
            );
            for (i, val) in v {
                let _ = writeln!(
                    s,
                    "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"{color}\"><title>{label}: {}</title></circle>",
                    x(*i),
                    y(*val),
                    human(*val)
                );
            }
            let ly = top + 10.0 + 20.0 * k as f64;
            let lx = left + pw + 12.0;
            let _ = writeln!(
                s,
                "<line x1=\"{lx}\" x2=\"{}\" y1=\"{ly}\" y2=\"{ly}\" stroke=\"{color}\" stroke-width=\"2\" stroke-dasharray=\"{dash}\"/><text x=\"{}\" y=\"{}\">{label}</text>",
                lx + 24.0,
                lx + 30.0,
                ly + 4.0
            );
        }
        s.push_str("</svg>\n");
        s
    }
}

/// A plot line: label, colour, dash pattern, (x index, value) points.
type Series<'a> = (String, &'a str, &'a str, Vec<(usize, f64)>);

/// `v` rounded to `digits` decimals, for the JSON file.
fn round(v: f64, digits: i32) -> f64 {
    let scale = 10f64.powi(digits);
    (v * scale).round() / scale
}

/// build/bench/results.json.
#[derive(Serialize)]
struct ResultsJson<'a> {
    date: &'a str,
    settings: SettingsJson<'a>,
    host_seconds: f64,
    host_loadavg: &'a str,
    kernels: Vec<KernelJson<'a>>,
    results: Vec<ResultJson<'a>>,
}

#[derive(Serialize)]
struct SettingsJson<'a> {
    accel: &'a str,
    /// "wall": nanoseconds; "icount": instructions (the `_ns` fields hold
    /// them: one guest nanosecond is one instruction).
    measure: &'a str,
    qemu: &'a str,
    machine: String,
    memory: &'a str,
    smp: u32,
    guest_args: &'a str,
    rounds: usize,
}

#[derive(Serialize)]
struct KernelJson<'a> {
    id: &'a str,
    label: &'a str,
    image: String,
    cmdline: &'a str,
    info: &'a [String],
    clock: Vec<ClockJson>,
    errors: Vec<&'a str>,
}

#[derive(Serialize)]
struct ClockJson {
    guest_s: f64,
    host_s: f64,
}

/// One benchmark: `name`, then for each kernel id its row (or null) and,
/// for each Linux, `ratio_tine_over_<id>` (or null).
#[derive(Serialize)]
struct ResultJson<'a> {
    name: &'a str,
    #[serde(flatten)]
    by_kernel: BTreeMap<String, Cell>,
}

/// A kernel's row, or a ratio; `null` when missing.
#[derive(Serialize)]
#[serde(untagged)]
enum Cell {
    Row(Option<RowJson>),
    Ratio(Option<f64>),
}

#[derive(Serialize)]
struct RowJson {
    unit: String,
    median_ns: f64,
    min_ns: f64,
    max_ns: f64,
    iters_per_batch: u64,
    batches: u64,
}

pub(super) fn qemu_version() -> String {
    Command::new(qemu::QEMU)
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| {
            let s = String::from_utf8_lossy(&o.stdout).to_string();
            s.lines().next().map(|l| l.trim_start_matches("QEMU emulator version ").to_string())
        })
        .unwrap_or_else(|| "?".into())
}

/// "2025-01-31 12:34 UTC".
pub(super) fn utc_date(t: SystemTime) -> String {
    let secs = t.duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0) as i64;
    let days = secs.div_euclid(86400);
    let rem = secs.rem_euclid(86400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02} UTC", rem / 3600, rem % 3600 / 60)
}

#[cfg(test)]
mod tests {
    use super::super::tine_target;
    use super::*;

    #[test]
    fn results_json() {
        let mut p = Parsed::default();
        p.rows.insert(
            "getppid".into(),
            Row { unit: "op".into(), median: 692.04, min: 600.0, max: 700.0, iters: 1000, batches: 5 },
        );
        p.info.push("a \"quoted\"\nline".into());
        p.clock = Some((1.23456, 1.2));
        let l = Parsed { rows: p.rows.clone(), ..Default::default() };
        let targets = vec![
            tine_target("build/tine.bin".into()),
            Target { id: "linux", label: "Linux".into(), image: "/boot/vmlinuz".into(), cmdline: "quiet".into() },
        ];
        let report = Report {
            date: "2026-01-01 00:00 UTC".into(),
            accel: Accel::Tcg,
            measure: Measure::Wall,
            qemu: "7.2".into(),
            linux_release: None,
            targets,
            selected: vec!["getppid".into(), "fork_only".into()],
            runs: BTreeMap::from([("tine", vec![p]), ("linux", vec![l])]),
            boots: BTreeMap::from([("tine", vec![(1.0, None)]), ("linux", vec![(2.0, Some("boom".into()))])]),
            gargs: "time=10".into(),
            rounds: 1,
            host_total: 12.345,
            loadavg: "0.1".into(),
        };
        let text = merge_json(Some("{\"wall\": 1, \"icount\": {\"kept\": true}}"), Measure::Wall, &report.json());
        let all: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(all["icount"]["kept"], true);
        let text = serde_json::to_string_pretty(&all["wall"]).unwrap();
        // A row's fields in their order, not sorted.
        assert!(text.find("\"unit\"").unwrap() < text.find("\"median_ns\"").unwrap());
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["settings"]["smp"], 1);
        assert_eq!(v["host_seconds"], 12.3);
        assert_eq!(v["kernels"][0]["info"][0], "a \"quoted\"\nline");
        assert_eq!(v["kernels"][0]["clock"][0]["guest_s"], 1.235);
        assert_eq!(v["kernels"][1]["errors"][0], "boom");
        let r = &v["results"][0];
        assert_eq!(r["name"], "getppid");
        assert_eq!(r["tine"]["median_ns"], 692.0);
        assert_eq!(r["ratio_tine_over_linux"], 1.0);
        assert!(v["results"][1]["tine"].is_null());
    }
}
