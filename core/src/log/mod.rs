//! The kernel log buffer (Linux: kernel/printk/printk_ringbuffer.c and
//! printk.c): every line the kernel logs becomes a record with a sequence
//! number, a timestamp and a facility/level, kept in a ring of bounded size
//! that drops its oldest records when full. `syslog(2)`
//! (`syscall::syslog`) and `/dev/kmsg` ([`kmsg`]) read it.
//!
//! Linux keeps records in a fixed byte array (the data ring) with a
//! descriptor ring beside it; here a queue of records whose total size,
//! counted as Linux's `struct printk_info` plus the text, is bounded by
//! [`LOG_BUF_LEN`] gives the same behaviour to readers: the oldest records
//! are lost first, and a reader that fell behind sees the gap.

pub mod kmsg;
#[cfg(test)]
mod tests;

use alloc::collections::VecDeque;
use alloc::vec::Vec;

/// The buffer's size (Linux: `log_buf_len`, 1 << CONFIG_LOG_BUF_SHIFT;
/// Debian's amd64 kernels use 17), what SYSLOG_ACTION_SIZE_BUFFER returns.
pub const LOG_BUF_LEN: usize = 1 << 17;
/// What each record costs besides its text (Linux: its descriptor and
/// `struct printk_info`, about this size on 64-bit).
const RECORD_OVERHEAD: usize = 88;
/// The longest text one record keeps (Linux: PRINTKRB_RECORD_MAX /
/// LOG_LINE_MAX, 1024 less the room for a prefix).
pub const LOG_LINE_MAX: usize = 1024 - 32;

/// Levels (Linux: include/linux/kern_levels.h).
pub const KERN_ERR: u8 = 3;
pub const KERN_WARNING: u8 = 4;
pub const KERN_NOTICE: u8 = 5;
pub const KERN_INFO: u8 = 6;
pub const KERN_DEBUG: u8 = 7;
/// The facility of messages written from user space without one
/// (Linux: LOG_USER).
pub const LOG_USER: u8 = 1;

/// Linux: CONSOLE_LOGLEVEL_DEFAULT, MINIMUM_CONSOLE_LOGLEVEL,
/// MESSAGE_LOGLEVEL_DEFAULT and CONSOLE_LOGLEVEL_MIN, the four fields of
/// /proc/sys/kernel/printk.
pub const CONSOLE_LOGLEVEL_DEFAULT: i32 = 7;
pub const MINIMUM_CONSOLE_LOGLEVEL: i32 = 1;
pub const MESSAGE_LOGLEVEL_DEFAULT: u8 = 4;
/// The console level `quiet` sets (Linux: CONSOLE_LOGLEVEL_QUIET).
pub const CONSOLE_LOGLEVEL_QUIET: i32 = 4;

/// One logged line (Linux: `struct printk_info` and its text).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub seq: u64,
    /// Microseconds since boot (Linux keeps ns; every reader shows µs).
    pub ts_us: u64,
    pub facility: u8,
    pub level: u8,
    pub text: Vec<u8>,
}

impl Record {
    /// The syslog priority: facility and level in one number.
    pub fn prio(&self) -> u32 {
        (self.facility as u32) << 3 | self.level as u32
    }

    fn cost(&self) -> usize {
        RECORD_OVERHEAD + self.text.len()
    }

    /// The record as syslog(2) and /proc/kmsg show it, every line of its
    /// text prefixed by `<prio>[seconds.micros] ` (Linux:
    /// record_print_text() with printk_time on).
    pub fn syslog_text(&self, out: &mut Vec<u8>) {
        use core::fmt::Write;
        let mut prefix = alloc::string::String::new();
        let _ = write!(prefix, "<{}>[{:5}.{:06}] ", self.prio(), self.ts_us / 1_000_000, self.ts_us % 1_000_000);
        for line in self.text.split(|&b| b == b'\n') {
            out.extend_from_slice(prefix.as_bytes());
            out.extend_from_slice(line);
            out.push(b'\n');
        }
    }

    fn syslog_len(&self) -> usize {
        let mut v = Vec::new();
        self.syslog_text(&mut v);
        v.len()
    }

    /// The record as one read(2) of /dev/kmsg returns it:
    /// `prio,seq,usecs,-;text\n`, bytes outside printable ASCII and the
    /// backslash escaped as `\xNN` (Linux: info_print_ext_header() and
    /// msg_print_ext_body()).
    pub fn kmsg_text(&self) -> Vec<u8> {
        use core::fmt::Write;
        let mut s = alloc::string::String::new();
        let _ = write!(s, "{},{},{},-;", self.prio(), self.seq, self.ts_us);
        for &c in &self.text {
            if !(b' '..127).contains(&c) || c == b'\\' {
                let _ = write!(s, "\\x{c:02x}");
            } else {
                s.push(c as char);
            }
        }
        s.push('\n');
        s.into_bytes()
    }
}

/// The log and the state of its syslog(2) reader (Linux: `prb`,
/// `syslog_seq`, `syslog_partial`, `clear_seq` and `console_loglevel`).
#[derive(Debug)]
pub struct LogBuf {
    records: VecDeque<Record>,
    bytes: usize,
    cap: usize,
    next_seq: u64,
    /// Where SYSLOG_ACTION_READ_ALL starts: after the last CLEAR.
    pub clear_seq: u64,
    /// Where SYSLOG_ACTION_READ goes on, and how much of that record it
    /// has already returned.
    syslog_seq: u64,
    syslog_partial: usize,
    /// Records below this level are shown on the console as they are
    /// logged (Linux: console_printk[0], the first of the four numbers of
    /// /proc/sys/kernel/printk; the other three follow).
    pub console_loglevel: i32,
    pub default_message_loglevel: i32,
    pub minimum_console_loglevel: i32,
    pub default_console_loglevel: i32,
    /// Console lines start with the record's time (Linux: printk.time,
    /// on in Debian's kernels).
    pub console_time: bool,
    /// `console=ttyS0` was given: records go to the serial console
    /// (COM1). Without it, as Linux on a machine whose only terminal is
    /// a serial port, they reach no console (COM2, the log device, still
    /// has them all).
    pub console_ttys0: bool,
    saved_console_loglevel: Option<i32>,
    /// /proc/sys/kernel/dmesg_restrict: reading the log needs
    /// CAP_SYSLOG too. On as Debian builds Linux
    /// (CONFIG_SECURITY_DMESG_RESTRICT=y).
    pub dmesg_restrict: bool,
    /// Records came since readers were last woken: logging happens where
    /// the kernel cannot wake tasks, so the next timer tick does.
    pub wake_pending: bool,
}

impl Default for LogBuf {
    fn default() -> Self {
        Self::new(LOG_BUF_LEN)
    }
}

impl LogBuf {
    pub fn new(cap: usize) -> Self {
        LogBuf {
            records: VecDeque::new(),
            bytes: 0,
            cap,
            next_seq: 0,
            clear_seq: 0,
            syslog_seq: 0,
            syslog_partial: 0,
            console_loglevel: CONSOLE_LOGLEVEL_DEFAULT,
            default_message_loglevel: MESSAGE_LOGLEVEL_DEFAULT as i32,
            minimum_console_loglevel: MINIMUM_CONSOLE_LOGLEVEL,
            default_console_loglevel: CONSOLE_LOGLEVEL_DEFAULT,
            console_time: true,
            console_ttys0: false,
            saved_console_loglevel: None,
            dmesg_restrict: true,
            wake_pending: false,
        }
    }

    pub fn capacity(&self) -> usize {
        self.cap
    }

    /// Append a record, dropping the oldest ones it needs room from
    /// (Linux: vprintk_store()). Text past LOG_LINE_MAX and one trailing
    /// newline are dropped. Returns its sequence number.
    pub fn push(&mut self, ts_us: u64, facility: u8, level: u8, text: &[u8]) -> u64 {
        let text = text.strip_suffix(b"\n").unwrap_or(text);
        let text = &text[..text.len().min(LOG_LINE_MAX)];
        let r = Record { seq: self.next_seq, ts_us, facility, level: level & 7, text: text.to_vec() };
        self.next_seq += 1;
        self.bytes += r.cost();
        self.records.push_back(r);
        while self.bytes > self.cap {
            let old = self.records.pop_front().expect("over budget means non-empty");
            self.bytes -= old.cost();
        }
        self.wake_pending = true;
        self.next_seq - 1
    }

    /// The oldest record still kept, or the next to come if none is
    /// (Linux: prb_first_valid_seq()).
    pub fn first_seq(&self) -> u64 {
        self.records.front().map_or(self.next_seq, |r| r.seq)
    }

    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// The record numbered `seq`, or the first kept after it when it has
    /// been overwritten (Linux: prb_read_valid()); None at the end.
    pub fn read_valid(&self, seq: u64) -> Option<&Record> {
        let first = self.first_seq();
        let i = seq.saturating_sub(first) as usize;
        self.records.get(i)
    }

    /// SYSLOG_ACTION_READ_ALL and READ_CLEAR: the newest records since
    /// the last CLEAR that fit in `size` bytes, whole, oldest first,
    /// without consuming them (Linux: syslog_print_all()).
    pub fn read_all(&mut self, size: usize, clear: bool) -> Vec<u8> {
        let start = self.clear_seq.max(self.first_seq());
        let lens: Vec<usize> = self.records.iter().filter(|r| r.seq >= start).map(Record::syslog_len).collect();
        let mut total: usize = lens.iter().sum();
        let mut skip = 0;
        while total > size && skip < lens.len() {
            total -= lens[skip];
            skip += 1;
        }
        let mut out = Vec::with_capacity(total);
        for r in self.records.iter().filter(|r| r.seq >= start).skip(skip) {
            let mut line = Vec::new();
            r.syslog_text(&mut line);
            if out.len() + line.len() > size {
                break;
            }
            out.extend_from_slice(&line);
        }
        if clear {
            self.clear_seq = self.next_seq;
        }
        out
    }

    /// SYSLOG_ACTION_CLEAR.
    pub fn clear(&mut self) {
        self.clear_seq = self.next_seq;
    }

    /// Has SYSLOG_ACTION_READ something to return?
    pub fn syslog_ready(&self) -> bool {
        self.syslog_seq.max(self.first_seq()) < self.next_seq
    }

    fn syslog_skip_lost(&mut self) {
        if self.syslog_seq < self.first_seq() {
            self.syslog_seq = self.first_seq();
            self.syslog_partial = 0;
        }
    }

    /// SYSLOG_ACTION_READ: up to `size` bytes of the records not yet
    /// read this way, consuming them; a record longer than `size` is
    /// returned in parts (Linux: syslog_print()).
    pub fn syslog_read(&mut self, size: usize) -> Vec<u8> {
        self.syslog_skip_lost();
        let mut out = Vec::new();
        while let Some(r) = self.read_valid(self.syslog_seq) {
            let mut text = Vec::new();
            r.syslog_text(&mut text);
            let rest = &text[self.syslog_partial..];
            let room = size - out.len();
            if rest.len() <= room {
                out.extend_from_slice(rest);
                self.syslog_seq += 1;
                self.syslog_partial = 0;
            } else {
                if out.is_empty() {
                    out.extend_from_slice(&rest[..room]);
                    self.syslog_partial += room;
                }
                break;
            }
            if out.len() == size {
                break;
            }
        }
        out
    }

    /// SYSLOG_ACTION_SIZE_UNREAD: the bytes SYSLOG_ACTION_READ would
    /// still return.
    pub fn size_unread(&mut self) -> usize {
        self.syslog_skip_lost();
        let total: usize = self.records.iter().filter(|r| r.seq >= self.syslog_seq).map(Record::syslog_len).sum();
        total - self.syslog_partial
    }

    /// SYSLOG_ACTION_CONSOLE_OFF: only the most urgent messages reach the
    /// console, until CONSOLE_ON.
    pub fn console_off(&mut self) {
        if self.saved_console_loglevel.is_none() {
            self.saved_console_loglevel = Some(self.console_loglevel);
        }
        self.console_loglevel = self.minimum_console_loglevel;
    }

    pub fn console_on(&mut self) {
        if let Some(l) = self.saved_console_loglevel.take() {
            self.console_loglevel = l;
        }
    }

    /// SYSLOG_ACTION_CONSOLE_LEVEL (1..=8, checked by the caller); it also
    /// forgets a CONSOLE_OFF's saved level.
    pub fn set_console_level(&mut self, level: i32) {
        self.console_loglevel = level.max(self.minimum_console_loglevel);
        self.saved_console_loglevel = None;
    }

    /// Whether a record at `level` goes to the console (Linux:
    /// suppress_message_printing()).
    pub fn on_console(&self, level: u8) -> bool {
        self.console_ttys0 && i32::from(level) < self.console_loglevel
    }

    /// The kernel command line's `console=ttyS0`, `quiet`, `loglevel=N`
    /// (in order, the later winning; Linux: the early params
    /// quiet_kernel() and loglevel()) and `printk.time=`.
    pub fn apply_cmdline(&mut self, cmdline: &str) {
        for w in cmdline.split_whitespace() {
            if w == "console=ttyS0" || w.starts_with("console=ttyS0,") {
                self.console_ttys0 = true;
            } else if w == "quiet" {
                self.console_loglevel = CONSOLE_LOGLEVEL_QUIET;
            } else if let Some(n) = w.strip_prefix("loglevel=").and_then(|n| n.parse().ok()) {
                self.console_loglevel = n;
            } else if let Some(v) = w.strip_prefix("printk.time=") {
                // Linux: param_set_bool(): 0/1, n/y, N/Y.
                match v {
                    "0" | "n" | "N" => self.console_time = false,
                    "1" | "y" | "Y" => self.console_time = true,
                    _ => {}
                }
            }
        }
    }

    /// /proc/sys/kernel/printk: the four numbers, tab-separated.
    pub fn printk_text(&self) -> alloc::string::String {
        alloc::format!(
            "{}\t{}\t{}\t{}\n",
            self.console_loglevel,
            self.default_message_loglevel,
            self.minimum_console_loglevel,
            self.default_console_loglevel
        )
    }

    /// A write of up to four numbers to /proc/sys/kernel/printk, each
    /// setting its field in order (Linux: proc_dointvec on console_printk,
    /// no bounds).
    pub fn set_printk(&mut self, values: &[i32]) {
        let fields = [
            &mut self.console_loglevel,
            &mut self.default_message_loglevel,
            &mut self.minimum_console_loglevel,
            &mut self.default_console_loglevel,
        ];
        for (f, &v) in fields.into_iter().zip(values) {
            *f = v;
        }
    }
}

/// Split an optional `<N>` prefix from text written by user space: the
/// level and facility it names (LOG_USER when it names none, and
/// MESSAGE_LOGLEVEL_DEFAULT when there is no prefix), and the rest
/// (Linux: devkmsg_write()).
pub fn parse_prefix(text: &[u8]) -> (u8, u8, &[u8]) {
    if let Some(rest) = text.strip_prefix(b"<") {
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits > 0 && rest.get(digits) == Some(&b'>') {
            let n = rest[..digits].iter().fold(0u64, |n, &d| n.saturating_mul(10).saturating_add((d - b'0') as u64));
            let level = (n & 7) as u8;
            let fac = ((n >> 3) & 0xff) as u8;
            return (if fac != 0 { fac } else { LOG_USER }, level, &rest[digits + 1..]);
        }
    }
    (LOG_USER, MESSAGE_LOGLEVEL_DEFAULT, text)
}
