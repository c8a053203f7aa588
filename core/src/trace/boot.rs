//! Tracing asked for on the kernel command line, so that a program run as
//! init is traced from its first instruction (Linux: the `trace_event=`
//! and `trace_buf_size=` boot parameters, kernel/trace/trace_events.c
//! setup_trace_event() and trace.c set_buf_size()), and Tine's
//! `tine.trace_drain=1`: the kernel streams the trace to the third serial
//! port as its buffer fills, and the rest at power-off, a channel apart
//! from the console and the kernel log (`cargo xtask trace` reads it
//! there; see [`super::Tracer::drain`]).

use super::Tracer;

/// What the command line asked of the tracer.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct BootTrace {
    /// `tine.trace_drain=1`: stream the trace to COM3.
    pub drain: bool,
    /// `trace_event=` words that matched no event (logged, then ignored,
    /// as Linux does).
    pub unknown: alloc::vec::Vec<alloc::string::String>,
}

/// Apply `trace_buf_size=SIZE` (bytes per CPU; `k`, `m`, `g` suffixes as
/// Linux's memparse()) and `trace_event=LIST` (comma-separated
/// `set_event` words) from `cmdline` to `t`.
pub fn apply(t: &mut Tracer, cmdline: &str) -> BootTrace {
    let mut out = BootTrace::default();
    let words = || cmdline.split_whitespace().filter_map(|w| w.split_once('='));
    for (key, value) in words() {
        match key {
            "trace_buf_size" => {
                if let Some(bytes) = memparse(value).filter(|&b| b > 0) {
                    t.size = bytes;
                    if t.expanded {
                        t.resize(bytes);
                    }
                }
            }
            "tine.trace_drain" => out.drain = value == "1",
            _ => {}
        }
    }
    for (key, value) in words() {
        if key == "trace_event" {
            for w in value.split(',').filter(|w| !w.is_empty()) {
                if t.set_event(w).is_err() {
                    out.unknown.push(w.into());
                }
            }
        }
    }
    out
}

/// `1440k`, `4M`, `8388608` -> bytes (Linux: memparse()).
fn memparse(s: &str) -> Option<usize> {
    let (digits, shift) = match s.as_bytes().last()? {
        b'k' | b'K' => (&s[..s.len() - 1], 10),
        b'm' | b'M' => (&s[..s.len() - 1], 20),
        b'g' | b'G' => (&s[..s.len() - 1], 30),
        _ => (s, 0),
    };
    digits.parse::<usize>().ok()?.checked_mul(1 << shift)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::Event;

    #[test]
    fn boot_words_enable_events_and_size_the_buffer() {
        let mut t = Tracer::new();
        let b = apply(
            &mut t,
            "tine.stdio=pipe trace_event=sched:*,tine:cow_copy,nosuch trace_buf_size=4M tine.trace_drain=1",
        );
        assert!(b.drain);
        assert_eq!(b.unknown, ["nosuch"]);
        assert!(t.enabled(Event::SchedProcessFork) && t.enabled(Event::CowCopy));
        assert!(!t.enabled(Event::CowReuse) && !t.enabled(Event::SysEnter));
        assert_eq!(t.size, 4 << 20);
        assert!(t.expanded);
    }

    #[test]
    fn nothing_asked_nothing_changes() {
        let mut t = Tracer::new();
        assert_eq!(apply(&mut t, "tine.stdio=tty trace_buf_size=x"), BootTrace::default());
        assert_eq!(t.enabled_events().count(), 0);
        assert_eq!(t.size, crate::trace::TRACE_BUF_SIZE_DEFAULT);
        assert_eq!(memparse("1440k"), Some(1440 << 10));
    }
}
