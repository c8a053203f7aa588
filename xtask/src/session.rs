//! Session tests, `user/tests/<name>.session`: Tine booted as `cargo xtask
//! run` boots it (/init, busybox's shell on the console, `tine.stdio=tty`),
//! with the console driven by a script that types and waits for output, as
//! a person (or expect(1)) at the terminal would. There is no native
//! reference: they test the console itself.
//!
//! A script is one step per line; blank lines and lines starting with `#`
//! are ignored:
//!
//! | step | meaning |
//! |------|---------|
//! | `send TEXT`      | type TEXT, then Enter (a carriage return, as a terminal sends) |
//! | `type TEXT`      | type TEXT (no Enter) |
//! | `expect TEXT`    | wait until the output since the last match contains TEXT |
//! | `expect /REGEX/` | the same with a regular expression ([`regex`], below) |
//! | `sleep MS`       | wait MS milliseconds |
//! | `timeout SECS`   | the limit of the `expect` and `end` steps that follow (default 10) |
//! | `end`            | wait until the machine ends; it must power off (reboot(2)) or init exit 0 |
//! | `rootfs debian`  | (before any step) boot `run --rootfs debian`'s machine instead: Debian's userland, a login bash |
//!
//! TEXT is the rest of the line after one space, with escapes `\r`, `\n`,
//! `\t`, `\e` (ESC), `\xNN` and `\\` (so ^C is `\x03`, ^Z `\x1a`, ^D
//! `\x04`, Backspace `\x7f`, ^U `\x15`). Matching sees the output with
//! every CR LF turned into LF (what the line discipline's ONLCR makes of
//! a newline), and a match consumes the output up to its end, so the next
//! `expect` only looks at what came after (in a regex, `^` matches there
//! too: `/^x/` means x comes right after the previous match). A session that does not `end`
//! must leave the machine running (the shell survived); QEMU is then
//! killed.
//!
//! A REGEX has the syntax of the `regex` crate, matched on bytes (not
//! Unicode: `.` is any byte but a newline, `\d \s \w` are ASCII) in
//! multi-line mode (`^` and `$` match at line starts and ends too), plus
//! the escape `\e` for ESC.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::qemu::{self, Driver, Outcome, Status, WaitEnd};
use crate::rootfs::Rootfs;
use crate::Result;
use regex::bytes::Regex;

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

enum Step {
    Type(Vec<u8>),
    Expect(Pattern),
    Sleep(Duration),
    Timeout(Duration),
    End,
}

enum Pattern {
    Literal(Vec<u8>),
    Regex(Regex),
}

impl Pattern {
    fn find(&self, text: &[u8]) -> Option<(usize, usize)> {
        match self {
            Pattern::Literal(l) => text.windows(l.len().max(1)).position(|w| w == &l[..]).map(|i| (i, i + l.len())),
            Pattern::Regex(r) => r.find(text).map(|m| (m.start(), m.end())),
        }
    }
}

struct Line {
    number: usize,
    text: String,
    step: Step,
}

pub struct Script {
    lines: Vec<Line>,
    /// `rootfs NAME`: the root file system to boot instead of busybox's.
    pub rootfs: Option<Rootfs>,
}

/// Turns `\r \n \t \e \xNN \\` into bytes.
fn unescape(s: &str) -> Result<Vec<u8>> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            out.push(b[i]);
            i += 1;
            continue;
        }
        let c = *b.get(i + 1).ok_or("trailing \\")?;
        i += 2;
        out.push(match c {
            b'r' => b'\r',
            b'n' => b'\n',
            b't' => b'\t',
            b'e' => 0x1b,
            b'\\' => b'\\',
            b'x' => {
                let v = b
                    .get(i..i + 2)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or("\\x needs two hex digits")?;
                i += 2;
                v
            }
            c => return Err(format!("unknown escape \\{}", c as char)),
        });
    }
    Ok(out)
}

/// An `expect /REGEX/` pattern: bytes, multi-line, and `\e` for ESC
/// (which the `regex` crate lacks; a `\` before it must not be escaped
/// itself).
fn regex(pattern: &str) -> Result<Regex> {
    let mut p = String::from("(?m-u)");
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            p.push(c);
            continue;
        }
        match chars.next() {
            Some('e') => p.push_str("\\x1b"),
            Some(n) => {
                p.push(c);
                p.push(n);
            }
            None => p.push(c),
        }
    }
    Regex::new(&p).map_err(|e| format!("regex /{pattern}/: {e}"))
}

impl Script {
    pub fn parse(text: &str) -> Result<Script> {
        let mut lines = Vec::new();
        let mut rootfs = None;
        for (n, line) in text.lines().enumerate() {
            let number = n + 1;
            let trimmed = line.trim_start();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let (word, arg) = match trimmed.split_once(' ') {
                Some((w, a)) => (w, a),
                None => (trimmed, ""),
            };
            let at = |e: String| format!("line {number}: {e}");
            let number_arg = || -> Result<f64> {
                arg.trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite() && *v >= 0.0)
                    .ok_or_else(|| at(format!("{word} needs a number, not {arg:?}")))
            };
            let step = match word {
                "send" => {
                    let mut b = unescape(arg).map_err(at)?;
                    b.push(b'\r');
                    Step::Type(b)
                }
                "type" => Step::Type(unescape(arg).map_err(at)?),
                "expect" if arg.len() >= 2 && arg.starts_with('/') && arg.ends_with('/') => {
                    Step::Expect(Pattern::Regex(regex(&arg[1..arg.len() - 1]).map_err(at)?))
                }
                "expect" if !arg.is_empty() => Step::Expect(Pattern::Literal(unescape(arg).map_err(at)?)),
                "sleep" => Step::Sleep(Duration::from_secs_f64(number_arg()? / 1000.0)),
                "timeout" => Step::Timeout(Duration::from_secs_f64(number_arg()?)),
                "end" if arg.trim().is_empty() => Step::End,
                "rootfs" if lines.is_empty() && rootfs.is_none() => {
                    rootfs = Some(
                        <Rootfs as clap::ValueEnum>::from_str(arg.trim(), false)
                            .map_err(|_| at(format!("no root file system {arg:?} (there is: debian)")))?,
                    );
                    continue;
                }
                _ => return Err(at(format!("cannot parse {trimmed:?}"))),
            };
            lines.push(Line { number, text: trimmed.to_string(), step });
        }
        Ok(Script { lines, rootfs })
    }

    pub fn load(path: &Path) -> Result<Script> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Script::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Whether the script waits for the machine to end.
    pub fn ends(&self) -> bool {
        self.lines.iter().any(|l| matches!(l.step, Step::End))
    }

    /// Plays the script on `d`. `Err`: the step that failed, and why.
    pub fn play(&self, d: &mut Driver, typed: &mut Vec<(usize, Vec<u8>)>) -> std::result::Result<(), String> {
        let mut limit = DEFAULT_TIMEOUT;
        // How much of the (normalized) output earlier matches consumed.
        let mut pos = 0;
        for line in &self.lines {
            let fail = |why: String| format!("line {}: {}: {why}", line.number, line.text);
            match &line.step {
                Step::Type(bytes) => {
                    typed.push((d.output_len(), bytes.clone()));
                    d.send(bytes).map_err(fail)?;
                }
                Step::Sleep(t) => std::thread::sleep(*t),
                Step::Timeout(t) => limit = *t,
                Step::Expect(p) => {
                    let start = Instant::now();
                    let found = d.wait_until(limit, |raw, ended| {
                        let view = normalize(raw, ended);
                        p.find(&view[pos.min(view.len())..]).map(|(_, end)| pos + end)
                    });
                    match found {
                        Ok(end) => pos = end,
                        Err(why) => {
                            let view = normalize(&d.output(), true);
                            let rest = &view[pos.min(view.len())..];
                            return Err(fail(format!(
                                "{} after {:.1} s; the output since the last match was\n      \"{}\"",
                                match why {
                                    WaitEnd::Timeout if d.ended() => "the console closed (QEMU ended)",
                                    WaitEnd::Timeout => "not seen",
                                    WaitEnd::BootTimeout => "not seen before TINE_TIMEOUT",
                                },
                                start.elapsed().as_secs_f64(),
                                escape(rest, false)
                            )));
                        }
                    }
                }
                Step::End => {
                    if let Err(why) = d.wait_until(limit, |_, ended| ended.then_some(())) {
                        return Err(fail(format!(
                            "the machine was still running after {} s{}",
                            limit.as_secs_f64(),
                            if why == WaitEnd::BootTimeout { " (TINE_TIMEOUT)" } else { "" }
                        )));
                    }
                }
            }
        }
        Ok(())
    }
}

/// The output as matched: CR LF -> LF; a CR at the very end is held back
/// until the next byte shows whether it starts a CR LF (or the output ends).
fn normalize(raw: &[u8], ended: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'\r' {
            if raw.get(i + 1) == Some(&b'\n') {
                i += 1;
                continue;
            }
            if i + 1 == raw.len() && !ended {
                break;
            }
        }
        out.push(raw[i]);
        i += 1;
    }
    out
}

/// Printable text: CR LF and LF as newlines (when `newlines`), other
/// control bytes escaped.
fn escape(b: &[u8], newlines: bool) -> String {
    let mut s = String::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        i += 1;
        match c {
            b'\r' if newlines && b.get(i) == Some(&b'\n') => {}
            b'\n' if newlines => s.push('\n'),
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            b'\t' => s.push_str("\\t"),
            0x1b => s.push_str("\\e"),
            b'\\' => s.push_str("\\\\"),
            b'"' if !newlines => s.push_str("\\\""),
            0x20..=0x7e => s.push(c as char),
            _ => s.push_str(&format!("\\x{c:02x}")),
        }
    }
    s
}

/// The console output with what was typed shown where it was typed, as
/// `«...»`, each line indented.
pub fn transcript(console: &[u8], typed: &[(usize, Vec<u8>)]) -> String {
    let mut text = String::new();
    let mut at = 0;
    for (offset, bytes) in typed {
        let offset = (*offset).min(console.len()).max(at);
        text.push_str(&escape(&console[at..offset], true));
        text.push_str(&format!("«{}»", escape(bytes, false)));
        at = offset;
    }
    text.push_str(&escape(&console[at..], true));
    let mut out = String::new();
    for l in text.lines() {
        out.push_str(&format!("    | {l}\n"));
    }
    out
}

/// Whether a session's boot ended as it should: powered off (or init's
/// exit status 0) for a script that `end`s, still running otherwise.
pub fn check_outcome(script: &Script, outcome: Outcome) -> std::result::Result<(), String> {
    let ok = if script.ends() {
        match outcome {
            Outcome::Reboot => true,
            Outcome::Exited(ws) => Status::from_wait(ws) == Some(Status::Exited(0)),
            _ => false,
        }
    } else {
        outcome == Outcome::Running
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "the machine {}: {}",
            if script.ends() { "should have powered off" } else { "should still have been running" },
            qemu::outcome_text(outcome)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_match() {
        let s =
            Script::parse("# c\n\nsend echo a\\x03\ntype \\x7f\nexpect /^A+$/\nexpect x y\ntimeout 2\nsleep 10\nend\n")
                .unwrap();
        assert_eq!(s.lines.len(), 7);
        assert!(matches!(&s.lines[0].step, Step::Type(b) if b == b"echo a\x03\r"));
        assert!(matches!(&s.lines[1].step, Step::Type(b) if b == b"\x7f"));
        assert!(s.ends());
        assert!(Script::parse("bogus").is_err());
        assert!(Script::parse("expect").is_err());
        assert_eq!(Script::parse("rootfs debian\nsend x\n").unwrap().rootfs, Some(Rootfs::Debian));
        assert!(Script::parse("send x\nrootfs debian\n").is_err());
        assert!(Script::parse("rootfs gentoo\n").is_err());
        assert_eq!(normalize(b"a\r\nb\r", false), b"a\nb");
        assert_eq!(normalize(b"a\r\nb\r", true), b"a\nb\r");
        assert_eq!(escape(b"a\r\nb\x1b[K\x03", true), "a\nb\\e[K\\x03");
    }

    fn find(p: &str, t: &str) -> Option<(usize, usize)> {
        Pattern::Regex(regex(p).unwrap()).find(t.as_bytes())
    }

    /// The dialect the session scripts were written for (xtask's own
    /// matcher before the `regex` crate).
    #[test]
    fn regex_dialect() {
        assert_eq!(find("abc", "xxabcx"), Some((2, 5)));
        assert_eq!(find("a.c", "abc"), Some((0, 3)));
        assert_eq!(find("a.c", "a\nc"), None);
        assert_eq!(find("a.c", "a\u{e9}c"), None); // é is two bytes
        assert_eq!(find("ab*c", "ac abbbc"), Some((0, 2)));
        assert_eq!(find("ab+c", "ac abbbc"), Some((3, 8)));
        assert_eq!(find("colou?r", "color"), Some((0, 5)));
        assert_eq!(find("[0-9]+", "pid 123 x"), Some((4, 7)));
        assert_eq!(find("[^ ]+$", "a bc"), Some((2, 4)));
        assert_eq!(find("\\d{3}", "12 345"), Some((3, 6)));
        assert_eq!(find("\\d{2,}", "1 22 333"), Some((2, 4)));
        assert_eq!(find("(ab|cd)+e", "xabcdabe"), Some((1, 8)));
        assert_eq!(find("^b", "ab\nb"), Some((3, 4)));
        assert_eq!(find("a$", "ba\nc"), Some((1, 2)));
        assert_eq!(find("\\[1\\]\\+", "[1]+ Stopped"), Some((0, 4)));
        assert_eq!(find("\\x41\\s", "A B"), Some((0, 2)));
        assert_eq!(find("\\e\\[K", "a\x1b[K"), Some((1, 4)));
        assert_eq!(find("\\\\e", "\\e"), Some((0, 2)));
        assert_eq!(find("\\/ #", "/ # "), Some((0, 3)));
        assert_eq!(find("\\{ps\\} \\(tty input\\)", "{ps} (tty input)"), Some((0, 16)));
        assert_eq!(find("(a*)*b", "aaab"), Some((0, 4)));
        assert_eq!(find("x()*y", "xy"), Some((0, 2)));
        assert_eq!(find("[]a]", "]"), Some((0, 1)));
        assert_eq!(find("[a-]", "-"), Some((0, 1)));
        assert_eq!(find("a{2}", "a aa"), Some((2, 4)));
        assert_eq!(find("a\\ b\\:", "a b:"), Some((0, 4)));
        assert_eq!(find("\\n(Terminated\\n)?143\\n", "x\nTerminated\n143\n"), Some((1, 17)));
        for bad in ["(a", "a)", "*a", "[a"] {
            assert!(regex(bad).is_err(), "{bad}");
        }
    }
}
