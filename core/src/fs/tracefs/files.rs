//! What tracefs files do when opened, read, written and polled (Linux:
//! the file_operations of kernel/trace/trace.c and trace_events.c).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write as _;

use super::Node;
use crate::abi::*;
use crate::fs::file::FileId;
use crate::kernel::Kernel;
use crate::proc::WaitReason;
use crate::trace::{output, Event, CLOCKS, TRACE_BUF_SIZE_DEFAULT};

/// Linux: TRACE_BUF_SIZE, the most one trace_marker write records.
const MARKER_MAX: usize = 1024;
/// Linux: a trace_pipe read gives at most a page less one byte.
const PIPE_READ_MAX: usize = 4095;

/// Opening: O_TRUNC with write access empties `trace` and clears
/// `set_event` and `set_event_pid` (Linux: tracing_open(),
/// ftrace_event_set_open(), ftrace_event_set_pid_open()).
pub fn open(k: &mut Kernel, node: Node, flags: u32) {
    if flags & O_TRUNC == 0 || flags & O_ACCMODE == O_RDONLY {
        return;
    }
    match node {
        Node::Trace => k.trace.reset(),
        Node::SetEvent => k.trace.clear_events(),
        Node::SetEventPid => k.trace.pids.clear(),
        _ => {}
    }
}

/// The text of a file that reads as one (all but trace_pipe and
/// trace_marker).
fn text(k: &Kernel, node: Node) -> SysResult<Vec<u8>> {
    let t = &k.trace;
    let mut s = String::new();
    match node {
        Node::Trace => s = output::trace_text(t),
        Node::AvailableEvents => {
            for e in Event::ALL {
                let _ = writeln!(s, "{}:{}", e.def().system, e.def().name);
            }
        }
        Node::SetEvent => {
            // Newest registered first, as Linux walks its ftrace_events
            // list (each event is added at its head).
            for e in t.enabled_events().collect::<Vec<_>>().into_iter().rev() {
                let _ = writeln!(s, "{}:{}", e.def().system, e.def().name);
            }
        }
        Node::SetEventPid => {
            for p in &t.pids {
                let _ = writeln!(s, "{p}");
            }
        }
        Node::TracingOn => s = format!("{}\n", t.on as u8),
        // Linux: tracing_entries_read(): the size asked for; before the
        // buffer's first use, the minimal buffer's whole pages and the
        // size it will take.
        Node::Filter(e) => {
            let _ = writeln!(s, "{}", t.filter_text(e).unwrap_or("none"));
        }
        Node::BufferSizeKb => {
            // What the buffer holds, in whole pages of BUF_PAGE_SIZE
            // (Linux: the entries of tracing_entries_read(), set from
            // ring_buffer_size()): 4 KiB asked for reads back as 7.
            s = if t.expanded {
                format!("{}\n", t.cpus[0].size() >> 10)
            } else {
                format!("{} (expanded: {})\n", t.cpus[0].size() >> 10, TRACE_BUF_SIZE_DEFAULT >> 10)
            };
        }
        Node::TraceClock => {
            for (i, c) in CLOCKS.iter().enumerate() {
                let sep = if i > 0 { " " } else { "" };
                if i == t.clock {
                    let _ = write!(s, "{sep}[{c}]");
                } else {
                    let _ = write!(s, "{sep}{c}");
                }
            }
            s.push('\n');
        }
        Node::EventsEnable => s.push_str(t.enable_state(Event::ALL.iter())),
        Node::SystemEnable(sys) => s.push_str(t.enable_state(Event::ALL.iter().filter(|e| e.def().system == sys))),
        Node::Enable(e) => s = format!("{}\n", t.enabled(e) as u8),
        Node::Format(e) => s = e.format(),
        Node::Id(e) => s = format!("{}\n", e.id()),
        Node::TracePipe | Node::TraceMarker => return Err(EINVAL),
    }
    Ok(s.into_bytes())
}

/// Read at `pos`: the file's text, made again at offset 0.
pub fn read(k: &mut Kernel, id: FileId, node: Node, pos: u64, buf: &mut [u8]) -> SysResult {
    if node == Node::TracePipe {
        return read_pipe(k, id, buf);
    }
    if pos == 0 || !k.vfs.tracefs.open.contains_key(&id) {
        let t = text(k, node)?;
        k.vfs.tracefs.open.insert(id, t);
    }
    let t = &k.vfs.tracefs.open[&id];
    let start = (pos as usize).min(t.len());
    let n = (t.len() - start).min(buf.len());
    buf[..n].copy_from_slice(&t[start..start + n]);
    Ok(n)
}

/// The size lseek(SEEK_END) measures against.
pub fn len(k: &Kernel, id: FileId) -> u64 {
    k.vfs.tracefs.open.get(&id).map_or(0, |t| t.len() as u64)
}

/// trace_pipe: take whole lines, oldest first, as many as fit; sleep
/// while there are none (Linux: tracing_read_pipe(), tracing_wait_pipe()).
fn read_pipe(k: &mut Kernel, id: FileId, buf: &mut [u8]) -> SysResult {
    let max = buf.len().min(PIPE_READ_MAX);
    let mut out = k.vfs.tracefs.open.remove(&id).unwrap_or_default();
    if out.is_empty() && !k.trace.has_data() {
        if k.vfs.files.get(id).flags & O_NONBLOCK != 0 {
            return Err(EAGAIN);
        }
        return Err(k.block_current(WaitReason::TracePipe));
    }
    while out.len() < max {
        let Some(line) = output::consume_line(&mut k.trace) else { break };
        out.extend_from_slice(line.as_bytes());
    }
    let n = out.len().min(max);
    buf[..n].copy_from_slice(&out[..n]);
    out.drain(..n);
    if !out.is_empty() {
        k.vfs.tracefs.open.insert(id, out);
    }
    Ok(n)
}

/// Whether trace_pipe has something to read (Linux: trace_poll()).
pub fn poll(k: &Kernel, id: FileId, node: Node) -> u16 {
    match node {
        Node::TracePipe if k.vfs.tracefs.open.contains_key(&id) || k.trace.has_data() => POLLIN | POLLRDNORM,
        Node::TracePipe => 0,
        _ => crate::fs::ops::DEFAULT_POLLMASK,
    }
}

/// A number written to a control file (Linux: kstrtoul_from_user(),
/// which takes one trailing newline).
fn number(data: &[u8]) -> SysResult<u64> {
    let s = core::str::from_utf8(data).map_err(|_| EINVAL)?;
    let s = s.strip_suffix('\n').unwrap_or(s);
    s.parse().map_err(|_| EINVAL)
}

fn words(data: &[u8]) -> SysResult<impl Iterator<Item = &str>> {
    Ok(core::str::from_utf8(data).map_err(|_| EINVAL)?.split_ascii_whitespace())
}

/// The longest word `set_event` takes (Linux: EVENT_BUF_SIZE).
const EVENT_WORD_MAX: usize = 127;

/// The first word of a `set_event` write and how many bytes it takes:
/// leading white space, the word and the one white-space byte after it
/// (Linux: trace_get_user()). Each write acts on one word, so a write of
/// `a b` returns 2 and a writer that loops on short writes (`echo`) sends
/// `b` next.
fn first_word(data: &[u8]) -> (&[u8], usize) {
    let start = data.iter().position(|c| !c.is_ascii_whitespace()).unwrap_or(data.len());
    let len = data[start..].iter().position(|c| c.is_ascii_whitespace() || *c == 0).unwrap_or(data.len() - start);
    let end = start + len;
    (&data[start..end], (end + 1).min(data.len()))
}

pub fn write(k: &mut Kernel, node: Node, data: &[u8]) -> SysResult {
    match node {
        // Linux: tracing_write_stub(): writing `trace` does nothing.
        Node::Trace => {}
        Node::TraceMarker => return write_marker(k, data),
        Node::SetEvent => {
            let (word, taken) = first_word(data);
            if word.len() > EVENT_WORD_MAX {
                return Err(EINVAL);
            }
            if !word.is_empty() {
                k.trace.set_event(core::str::from_utf8(word).map_err(|_| EINVAL)?)?;
            }
            return Ok(taken);
        }
        Node::SetEventPid => {
            let pids = words(data)?.map(|w| w.parse::<u32>().map_err(|_| EINVAL)).collect::<SysResult<Vec<_>>>()?;
            k.trace.pids.extend(pids);
        }
        Node::Filter(e) => k.trace.set_filter(e, core::str::from_utf8(data).map_err(|_| EINVAL)?)?,
        Node::TracingOn => k.trace.on = number(data)? != 0,
        Node::BufferSizeKb => {
            let kb = number(data)?;
            if kb == 0 || kb > (1 << 30) {
                return Err(EINVAL);
            }
            k.trace.resize(kb as usize * 1024);
        }
        Node::TraceClock => {
            let name = core::str::from_utf8(data).map_err(|_| EINVAL)?.trim();
            k.trace.clock = CLOCKS.iter().position(|c| *c == name).ok_or(EINVAL)?;
            // Records on two clocks cannot be ordered (Linux:
            // tracing_set_clock() resets the buffers).
            k.trace.reset();
        }
        Node::EventsEnable | Node::SystemEnable(_) | Node::Enable(_) => {
            let on = match number(data)? {
                0 => false,
                1 => true,
                _ => return Err(EINVAL),
            };
            for &e in Event::ALL.iter().filter(|e| match node {
                Node::SystemEnable(sys) => e.def().system == sys,
                Node::Enable(one) => **e == one,
                _ => true,
            }) {
                k.trace.set_enabled(e, on);
            }
        }
        Node::TracePipe | Node::AvailableEvents | Node::Format(_) | Node::Id(_) => return Err(EINVAL),
    }
    Ok(data.len())
}

/// trace_marker: one `tracing_mark_write: TEXT` record, with a newline
/// added when the text has none; EBADF while tracing is off (Linux:
/// tracing_mark_write(), the ring buffer refusing the reservation).
fn write_marker(k: &mut Kernel, data: &[u8]) -> SysResult {
    if !k.trace.on {
        return Err(EBADF);
    }
    let n = data.len().min(MARKER_MAX);
    let mut text = data[..n].to_vec();
    if text.last() != Some(&b'\n') {
        text.push(b'\n');
    }
    k.trace_print(text);
    Ok(n)
}
