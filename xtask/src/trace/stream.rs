//! The trace as Tine streams it on COM3 (`tine.trace_drain=1`): the
//! kernel drains its ring buffer each time a page fills, in
//! `trace_pipe`'s text, so a long run loses nothing to overwriting. QEMU
//! appends it to a file, which a thread follows while the program runs
//! (counting events and losses, and saying how far it got on a long
//! run); at the end it becomes trace.txt under the header Linux's `trace`
//! file has.

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::Result;

/// What the stream held.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Event lines.
    pub events: u64,
    /// Events the ring lost before the drain took them (`[LOST N EVENTS]`).
    pub lost: u64,
}

impl Counts {
    /// Count the whole lines of `text`.
    fn add(&mut self, text: &str) {
        for l in text.lines() {
            match l.split_once("[LOST ").and_then(|(_, r)| r.split_once(' ')) {
                Some((n, _)) => self.lost += n.parse::<u64>().unwrap_or(0),
                None => self.events += 1,
            }
        }
    }
}

/// A thread following the stream's file as QEMU writes it.
pub struct Follower {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<Counts>,
}

/// How often a long run says how far the stream got.
const PROGRESS: Duration = Duration::from_secs(5);

impl Follower {
    pub fn start(path: PathBuf) -> Follower {
        let stop = Arc::new(AtomicBool::new(false));
        let done = stop.clone();
        let thread = std::thread::spawn(move || {
            let (mut counts, mut pos, mut partial) = (Counts::default(), 0u64, String::new());
            let mut said = Instant::now();
            loop {
                // Read what the last look left before deciding to stop.
                let last = done.load(Ordering::Acquire);
                if let Ok(mut f) = std::fs::File::open(&path) {
                    let mut buf = Vec::new();
                    if f.seek(SeekFrom::Start(pos)).is_ok() && f.read_to_end(&mut buf).is_ok() {
                        pos += buf.len() as u64;
                        partial.push_str(&String::from_utf8_lossy(&buf));
                        if let Some(end) = partial.rfind('\n') {
                            counts.add(&partial[..=end]);
                            partial.drain(..=end);
                        }
                    }
                }
                if last {
                    counts.add(&partial);
                    return counts;
                }
                if said.elapsed() >= PROGRESS && counts.events > 0 {
                    eprintln!("xtask: trace: {} events streamed so far, {} lost", counts.events, counts.lost);
                    said = Instant::now();
                }
                std::thread::sleep(Duration::from_millis(200));
            }
        });
        Follower { stop, thread }
    }

    /// Stop following (QEMU has exited) and say what the stream held.
    pub fn finish(self) -> Counts {
        self.stop.store(true, Ordering::Release);
        self.thread.join().unwrap_or_default()
    }
}

/// trace.txt: the header of Linux's `trace` file, then the stream.
pub fn write_trace(stream: &Path, counts: Counts, out: &Path) -> Result<()> {
    let body = std::fs::read(stream).unwrap_or_default();
    let mut text = format!(
        "# tracer: nop\n#\n# entries-in-buffer/entries-written: {}/{}   #P:1\n#\n",
        counts.events,
        counts.events + counts.lost
    );
    text.push_str(
        "#                                _-----=> irqs-off/BH-disabled\n\
         #                               / _----=> need-resched\n\
         #                              | / _---=> hardirq/softirq\n\
         #                              || / _--=> preempt-depth\n\
         #                              ||| / _-=> migrate-disable\n\
         #                              |||| /     delay\n\
         #           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION\n\
         #              | |         |   |||||     |         |\n",
    );
    let mut bytes = text.into_bytes();
    bytes.extend_from_slice(&body);
    std::fs::write(out, bytes).map_err(|e| format!("{}: {e}", out.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lost_lines_are_counted_apart() {
        let mut c = Counts::default();
        c.add("CPU:0 [LOST 7 EVENTS]\n  a-1 [000] ..... 0.1: x: y\n  a-1 [000] ..... 0.2: x: y\n");
        assert_eq!(c, Counts { events: 2, lost: 7 });
    }
}
