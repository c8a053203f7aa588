//! Trace events and their ring buffer (Linux: kernel/trace/: trace.c,
//! trace_events.c, ring_buffer.c). tracefs (`fs::tracefs`) is how user
//! space turns events on and reads what they recorded.
//!
//! An event costs nothing but one test of a bit while it is disabled:
//! every place that fires one asks [`Tracer::enabled`] (a load and a
//! branch) before it builds the record, and only then calls the
//! out-of-line [`Tracer::record`]. Tine's kernel runs with interrupts off
//! and never preempts itself, so recording needs no lock.
//!
//! - [`event`]: the events, their `format` and their text.
//! - [`ring`]: one CPU's ring buffer, overwriting its oldest records.
//! - [`output`]: the `trace` and `trace_pipe` texts.
//!
//! This module knows nothing of tasks or files: callers pass the PID and
//! comm of the task an event belongs to, and the time.

pub mod boot;
pub mod event;
pub mod filter;
pub mod output;
pub mod ring;
#[cfg(test)]
mod tests;

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::vec::Vec;

pub use event::{Event, Payload};
use ring::{CpuBuffer, Record};

/// Linux: TRACE_BUF_SIZE_DEFAULT, each CPU's buffer once expanded.
pub const TRACE_BUF_SIZE_DEFAULT: usize = 1_441_792;
/// CPUs with a buffer (Tine runs on one; the SMP work will add more).
pub const NR_CPUS: usize = 1;

/// The clocks `trace_clock` offers (Linux: trace_clocks[]); all but
/// `counter` and `uptime` read Tine's one monotonic nanosecond clock.
pub const CLOCKS: [&str; 10] =
    ["local", "global", "counter", "uptime", "perf", "mono", "mono_raw", "boot", "tai", "x86-tsc"];

/// Where a drained trace goes (`tine.trace_drain=1`): a channel of its
/// own, apart from the console and the kernel log (the machine's third
/// serial port). Linux has no such thing; its `trace_pipe` read by a
/// program does the same job.
pub trait Sink: Sync {
    fn write(&self, bytes: &[u8]);
}

/// The tracing state: which events are on, the buffers, the filters.
pub struct Tracer {
    /// One bit per [`Event`]: the only thing a disabled event reads.
    enabled: u64,
    /// `tracing_on`: records are dropped while it is 0 (Linux:
    /// tracer_tracing_is_on(), the ring buffer's record_disabled).
    pub on: bool,
    /// `set_event_pid`: when not empty, only these tasks' events.
    pub pids: BTreeSet<u32>,
    pub cpus: Vec<CpuBuffer>,
    /// The buffer starts minimal and takes its full size when first used
    /// (Linux: ring_buffer_expanded, tracing_update_buffers()).
    pub expanded: bool,
    /// Bytes per CPU asked for once expanded (`buffer_size_kb`).
    pub size: usize,
    /// Index into [`CLOCKS`].
    pub clock: usize,
    /// The `counter` clock's last value.
    counter: u64,
    /// The last comm seen for each PID (Linux: saved_cmdlines).
    cmdlines: BTreeMap<u32, event::Comm>,
    /// A record arrived: trace_pipe readers and pollers are to be woken.
    pub wake_pending: bool,
    /// One bit per [`Event`] with a filter (Linux: EVENT_FILE_FL_FILTERED),
    /// so that an unfiltered record pays one test.
    filtered: u64,
    /// The events' filters (the `filter` files).
    filters: BTreeMap<Event, filter::Filter>,
    /// Where the records stream out as pages fill, if anywhere.
    sink: Option<&'static dyn Sink>,
    /// A page filled while draining: [`Tracer::drain`] is due (with
    /// `wake_pending`, so that the trap return's one test covers both).
    pub drain_pending: bool,
}

impl Default for Tracer {
    fn default() -> Self {
        Self::new()
    }
}

impl Tracer {
    pub fn new() -> Self {
        Tracer {
            enabled: 0,
            on: true,
            pids: BTreeSet::new(),
            cpus: (0..NR_CPUS).map(|_| CpuBuffer::new(1)).collect(),
            expanded: false,
            size: TRACE_BUF_SIZE_DEFAULT,
            clock: 0,
            counter: 0,
            cmdlines: BTreeMap::new(),
            wake_pending: false,
            filtered: 0,
            filters: BTreeMap::new(),
            sink: None,
            drain_pending: false,
        }
    }

    /// Stream the records to `sink` from now on: as `trace_pipe` gives
    /// them, each time a page fills (taken at the next trap return, idle
    /// wait or tick, [`Tracer::drain`]), so that a long run loses nothing
    /// to overwriting as long as no single trap records a whole buffer.
    pub fn set_sink(&mut self, sink: &'static dyn Sink) {
        self.sink = Some(sink);
    }

    /// Write every record to the sink, consuming them, with a `[LOST N
    /// EVENTS]` line where the ring overwrote some first. Nothing without
    /// a sink.
    pub fn drain(&mut self) {
        self.drain_pending = false;
        let Some(sink) = self.sink else { return };
        let mut chunk = alloc::string::String::new();
        while let Some(line) = output::consume_line(self) {
            chunk.push_str(&line);
            if chunk.len() >= 4096 {
                sink.write(chunk.as_bytes());
                chunk.clear();
            }
        }
        sink.write(chunk.as_bytes());
    }

    /// Whether `ev` records: the test every firing site makes first.
    #[inline(always)]
    pub fn enabled(&self, ev: Event) -> bool {
        self.enabled & ev.bit() != 0
    }

    /// Whether any of `evs` is enabled, in one test.
    #[inline(always)]
    pub fn any_enabled(&self, mask: u64) -> bool {
        self.enabled & mask != 0
    }

    pub fn set_enabled(&mut self, ev: Event, on: bool) {
        if on {
            self.expand();
            self.enabled |= ev.bit();
        } else {
            self.enabled &= !ev.bit();
        }
    }

    /// Give the buffers their full size (Linux: tracing_update_buffers()).
    pub fn expand(&mut self) {
        if !self.expanded {
            self.expanded = true;
            let size = self.size;
            for c in &mut self.cpus {
                c.resize(size);
            }
        }
    }

    /// `buffer_size_kb` written: every CPU's buffer becomes `bytes`.
    pub fn resize(&mut self, bytes: usize) {
        self.size = bytes;
        self.expanded = true;
        for c in &mut self.cpus {
            c.resize(bytes);
        }
    }

    /// Empty every buffer (Linux: tracing_reset_online_cpus()).
    pub fn reset(&mut self) {
        for c in &mut self.cpus {
            c.reset();
        }
    }

    /// Record `payload` for task `pid` (comm `comm`) at `ns` on `cpu`, if
    /// tracing is on and the PID filter lets it through. `also` is a
    /// second task the event concerns (the task switched to, the one
    /// woken), which the PID filter lets through too.
    #[cold]
    #[inline(never)]
    #[allow(clippy::too_many_arguments)]
    pub fn record(
        &mut self,
        ns: u64,
        cpu: usize,
        pid: u32,
        comm: &[u8],
        ev: Option<Event>,
        also: Option<u32>,
        payload: Payload,
    ) {
        if !self.on {
            return;
        }
        if !self.pids.is_empty() && !self.pids.contains(&pid) && !also.is_some_and(|p| self.pids.contains(&p)) {
            return;
        }
        if let Some(e) = ev.filter(|e| self.filtered & e.bit() != 0) {
            if !self.filters.get(&e).is_some_and(|f| f.matches(pid, &payload)) {
                return;
            }
        }
        // Comms are saved only while some event is on (Linux records them
        // through the sched_switch/sched_wakeup probes that enabling an
        // event registers): a marker of a task never seen then shows as
        // `<...>`.
        if self.recording_cmdlines() {
            self.save_cmdline(pid, comm);
        }
        let ts = self.timestamp(ns);
        let Some(buf) = self.cpus.get_mut(cpu) else { return };
        buf.push(Record { ts, pid, event: ev, payload });
        self.wake_pending = true;
        if self.sink.is_some() && buf.full_pages() > 0 {
            self.drain_pending = true;
        }
    }

    /// Whether comms are being saved for the output: while some event is
    /// on (Linux: sched_cmdline_ref, taken by enabling an event).
    #[inline(always)]
    pub fn recording_cmdlines(&self) -> bool {
        self.enabled != 0
    }

    /// Remember `comm` as `pid`'s (Linux: trace_save_cmdline()).
    pub fn save_cmdline(&mut self, pid: u32, comm: &[u8]) {
        if pid == 0 {
            return;
        }
        let c = event::comm(comm);
        if self.cmdlines.get(&pid) != Some(&c) {
            if self.cmdlines.len() >= 8192 {
                self.cmdlines.pop_first();
            }
            self.cmdlines.insert(pid, c);
        }
    }

    /// `ev`'s filter, as its `filter` file reads.
    pub fn filter_text(&self, ev: Event) -> Option<&str> {
        self.filters.get(&ev).map(|f| f.text.as_str())
    }

    /// Write `ev`'s `filter` file: `0` (or nothing) removes the filter, else
    /// it is parsed. On EINVAL the event is left unfiltered (Linux swaps in
    /// the failed filter disabled: every record passes).
    pub fn set_filter(&mut self, ev: Event, text: &str) -> Result<(), crate::abi::Errno> {
        self.filters.remove(&ev);
        self.filtered &= !ev.bit();
        let text = text.trim();
        if text.is_empty() || text == "0" {
            return Ok(());
        }
        let f = filter::Filter::parse(ev, text)?;
        self.filters.insert(ev, f);
        self.filtered |= ev.bit();
        Ok(())
    }

    /// A record's time stamp on the selected clock.
    fn timestamp(&mut self, ns: u64) -> u64 {
        match CLOCKS[self.clock] {
            "counter" => {
                self.counter += 1;
                self.counter
            }
            // jiffies (HZ = 250)
            "uptime" => ns / 4_000_000,
            _ => ns,
        }
    }

    /// Whether the selected clock counts nanoseconds (the output prints
    /// seconds and microseconds) or something else (a plain number).
    pub fn clock_in_ns(&self) -> bool {
        !matches!(CLOCKS[self.clock], "counter" | "uptime" | "x86-tsc")
    }

    /// The comm shown for `pid` (Linux: trace_find_cmdline()).
    pub fn comm_of(&self, pid: u32) -> &str {
        if pid == 0 {
            return "<idle>";
        }
        match self.cmdlines.get(&pid) {
            Some(c) => {
                let n = c.iter().position(|&b| b == 0).unwrap_or(16);
                core::str::from_utf8(&c[..n]).unwrap_or("<...>")
            }
            None => "<...>",
        }
    }

    /// Records in the buffers and records written since the last reset,
    /// lost ones included (Linux: get_total_entries()).
    pub fn totals(&self) -> (u64, u64) {
        let entries: u64 = self.cpus.iter().map(|c| c.entries()).sum();
        let overrun: u64 = self.cpus.iter().map(|c| c.overrun).sum();
        (entries, entries + overrun)
    }

    /// Whether a consuming reader has a record to take.
    pub fn has_data(&self) -> bool {
        self.cpus.iter().any(|c| c.peek().is_some())
    }

    /// Turn events on or off by a `set_event` word: `system:event`,
    /// `system:*` or `system:`, `*:event`, a bare system or event name,
    /// `*`, with `!` in front to turn off. EINVAL if nothing matches.
    /// Linux: ftrace_set_clr_event().
    pub fn set_event(&mut self, word: &str) -> Result<(), crate::abi::Errno> {
        let (set, word) = match word.strip_prefix('!') {
            Some(w) => (false, w),
            None => (true, word),
        };
        let any = |s: &str| s.is_empty() || s == "*";
        let matches: Vec<Event> = match word.split_once(':') {
            Some((sys, name)) => Event::ALL
                .iter()
                .copied()
                .filter(|e| (any(sys) || e.def().system == sys) && (any(name) || e.def().name == name))
                .collect(),
            None => Event::ALL
                .iter()
                .copied()
                .filter(|e| word == "*" || e.def().system == word || e.def().name == word)
                .collect(),
        };
        if matches.is_empty() {
            return Err(crate::abi::EINVAL);
        }
        for e in matches {
            self.set_enabled(e, set);
        }
        Ok(())
    }

    /// Turn every event off (Linux: ftrace_clear_events(), `set_event`
    /// opened with O_TRUNC).
    pub fn clear_events(&mut self) {
        self.enabled = 0;
    }

    /// The enabled events, as `set_event` lists them.
    pub fn enabled_events(&self) -> impl Iterator<Item = Event> + '_ {
        Event::ALL.iter().copied().filter(|&e| self.enabled(e))
    }

    /// `0`, `1` or `X` (some on, some off) for a set of events, as the
    /// `enable` files of `events/` and `events/<system>/` show it.
    pub fn enable_state<'a>(&self, evs: impl Iterator<Item = &'a Event>) -> &'static str {
        let (mut on, mut off) = (false, false);
        for &e in evs {
            if self.enabled(e) {
                on = true;
            } else {
                off = true;
            }
        }
        match (on, off) {
            (true, true) => "X\n",
            (true, false) => "1\n",
            _ => "0\n",
        }
    }
}

/// The bits of the events the memory manager fires.
pub const MM_EVENTS: u64 = Event::CowCopy.bit()
    | Event::CowReuse.bit()
    | Event::ZeroPage.bit()
    | Event::PtShare.bit()
    | Event::PtUnshare.bit();

/// What the memory manager needs to record an event: the tracer, the
/// clock, and the task it works for. A `MemCtx` carries one only while
/// one of [`MM_EVENTS`] is enabled.
pub struct Probe<'a> {
    pub tracer: &'a mut Tracer,
    pub clock: &'a dyn crate::machine::Clock,
    pub pid: u32,
    pub comm: &'a [u8],
}

impl<'a> Probe<'a> {
    /// A probe for the task `who` names (PID, comm; `None`: the idle
    /// context), or none while no memory-manager event is enabled. `who`
    /// is asked only then: every copy to or from user memory makes a
    /// memory context, and a task lookup there is measurable.
    #[inline]
    pub fn new(
        tracer: &'a mut Tracer,
        clock: &'a dyn crate::machine::Clock,
        who: impl FnOnce() -> Option<(u32, &'a [u8])>,
    ) -> Option<Self> {
        if !tracer.any_enabled(MM_EVENTS) {
            return None;
        }
        let (pid, comm) = who().unwrap_or((0, b"swapper/0"));
        Some(Probe { tracer, clock, pid, comm })
    }

    pub fn reborrow(&mut self) -> Probe<'_> {
        Probe { tracer: &mut *self.tracer, clock: self.clock, pid: self.pid, comm: self.comm }
    }

    pub fn emit(&mut self, ev: Event, payload: impl FnOnce() -> Payload) {
        if self.tracer.enabled(ev) {
            let ns = self.clock.monotonic_ns();
            self.tracer.record(ns, 0, self.pid, self.comm, Some(ev), None, payload());
        }
    }
}
