//! The text of `trace` and `trace_pipe` (Linux: kernel/trace/trace.c
//! print_trace_header()/print_func_help_header_irq(), and
//! trace_output.c trace_print_context()).

use alloc::string::String;
use core::fmt::Write as _;

use super::ring::Record;
use super::{Tracer, NR_CPUS};

/// The `# tracer: nop` block `trace` starts with, exactly as Linux 6.1
/// prints it for the nop tracer with the default options (irq-info on,
/// record-tgid off).
pub fn header(t: &Tracer, s: &mut String) {
    let (entries, written) = t.totals();
    s.push_str("# tracer: nop\n#\n");
    let _ = write!(s, "# entries-in-buffer/entries-written: {entries}/{written}   #P:{NR_CPUS}\n#\n");
    s.push_str(
        "#                                _-----=> irqs-off/BH-disabled\n\
         #                               / _----=> need-resched\n\
         #                              | / _---=> hardirq/softirq\n\
         #                              || / _--=> preempt-depth\n\
         #                              ||| / _-=> migrate-disable\n\
         #                              |||| /     delay\n\
         #           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION\n\
         #              | |         |   |||||     |         |\n",
    );
}

/// One record as a line: `comm-pid [cpu] flags secs.usecs: name: fields`.
pub fn line(t: &Tracer, cpu: usize, r: &Record, s: &mut String) {
    let flags = r.event.map_or(".....", |e| e.def().flags);
    let _ = write!(s, "{:>16}-{:<7} [{cpu:03}] {flags} ", t.comm_of(r.pid), r.pid);
    if t.clock_in_ns() {
        // Linux: ns2usecs() rounds to the nearest microsecond.
        let us = (r.ts + 500) / 1000;
        let _ = write!(s, "{:>5}.{:06}: ", us / 1_000_000, us % 1_000_000);
    } else {
        let _ = write!(s, "{:>12}: ", r.ts);
    }
    match r.event {
        Some(e) => {
            let _ = write!(s, "{}: ", e.def().name);
            r.payload.write_fields(s);
            s.push('\n');
        }
        None => {
            // A trace_marker record keeps the newline it was given.
            s.push_str("tracing_mark_write: ");
            r.payload.write_fields(s);
        }
    }
}

/// The whole `trace` file: the header, then every record oldest first,
/// the CPUs' records merged by time (Linux: s_show() over a
/// non-consuming iterator, which reports no loss of its own).
pub fn trace_text(t: &Tracer) -> String {
    let mut s = String::new();
    header(t, &mut s);
    let mut iters: alloc::vec::Vec<_> = t.cpus.iter().map(|c| c.iter().peekable()).collect();
    loop {
        let next = iters.iter_mut().enumerate().filter_map(|(i, it)| it.peek().map(|r| (r.ts, i))).min();
        let Some((_, cpu)) = next else { break };
        let r = iters[cpu].next().expect("peeked");
        line(t, cpu, r, &mut s);
    }
    s
}

/// Take the oldest record of any CPU as a `trace_pipe` line, preceded by
/// `CPU:N [LOST M EVENTS]` when records were overwritten before a reader
/// saw them (Linux: tracing_read_pipe() → print_trace_line()).
pub fn consume_line(t: &mut Tracer) -> Option<String> {
    let cpu = (0..t.cpus.len()).filter_map(|c| t.cpus[c].peek().map(|r| (r.ts, c))).min()?.1;
    let mut s = String::new();
    let lost = core::mem::take(&mut t.cpus[cpu].lost_unreported);
    if lost > 0 {
        let _ = writeln!(s, "CPU:{cpu} [LOST {lost} EVENTS]");
    }
    let r = t.cpus[cpu].pop()?;
    line(t, cpu, &r, &mut s);
    Some(s)
}
