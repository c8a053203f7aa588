//! One CPU's ring buffer of trace records (Linux: kernel/trace/ring_buffer.c,
//! `struct ring_buffer_per_cpu`), in overwrite mode.
//!
//! Linux keeps records in pages of `BUF_PAGE_SIZE` (a page less its
//! 16-byte header); a full buffer makes room by dropping its oldest page
//! whole, and counts what it dropped as the overrun. This keeps the same
//! accounting with records as values: each is charged the bytes Linux's
//! would take (a 4-byte header, the data rounded up to 4 bytes, 4 more for
//! long records), pages fill up to `BUF_PAGE_SIZE`, and the oldest page
//! goes when the buffer has no page left. So the same records fit in the
//! same buffer size, overwrite the same oldest ones, and report the same
//! loss as on Linux.

use alloc::collections::VecDeque;

use super::event::{Event, Payload};

/// Bytes of records one page holds (Linux: BUF_PAGE_SIZE, 4096 - 16).
pub const BUF_PAGE_SIZE: usize = 4080;

/// Linux: RB_MAX_SMALL_DATA: longer records need a length word.
const MAX_SMALL_DATA: usize = 28 * 4;

/// One record (Linux: a ring_buffer_event holding a trace_entry).
#[derive(Clone, Debug)]
pub struct Record {
    pub ts: u64,
    pub pid: u32,
    /// `None` for a trace_marker write (Linux: TRACE_PRINT).
    pub event: Option<Event>,
    pub payload: Payload,
}

impl Record {
    /// What the record costs in a page (Linux: rb_calculate_event_length()).
    pub fn charge(&self) -> usize {
        let len = 8 + self.payload.data_len(self.event).saturating_sub(8);
        let len = len.div_ceil(4) * 4;
        4 + len + if len > MAX_SMALL_DATA { 4 } else { 0 }
    }
}

#[derive(Debug, Default)]
struct Page {
    records: VecDeque<Record>,
    used: usize,
}

/// One CPU's buffer.
#[derive(Debug)]
pub struct CpuBuffer {
    pages: VecDeque<Page>,
    nr_pages: usize,
    /// Records overwritten since the buffer was last reset (Linux:
    /// `overrun`).
    pub overrun: u64,
    /// Overwritten records no consuming reader has been told of (Linux:
    /// the reader page's missed events).
    pub lost_unreported: u64,
}

impl CpuBuffer {
    /// A buffer of `bytes`, in whole pages, at least two (Linux:
    /// rb_allocate_cpu_buffer() with DIV_ROUND_UP(size, BUF_PAGE_SIZE)).
    pub fn new(bytes: usize) -> Self {
        CpuBuffer { pages: VecDeque::new(), nr_pages: pages_for(bytes), overrun: 0, lost_unreported: 0 }
    }

    /// The size Linux reports for it: whole pages of records.
    pub fn size(&self) -> usize {
        self.nr_pages * BUF_PAGE_SIZE
    }

    /// Change the size; records that no longer fit are dropped, oldest
    /// first (Linux: ring_buffer_resize() removes pages from the head).
    pub fn resize(&mut self, bytes: usize) {
        self.nr_pages = pages_for(bytes);
        while self.pages.len() > self.nr_pages {
            self.drop_oldest_page();
        }
    }

    /// Forget everything (Linux: ring_buffer_reset_cpu()).
    pub fn reset(&mut self) {
        self.pages.clear();
        self.overrun = 0;
        self.lost_unreported = 0;
    }

    /// Records in the buffer.
    pub fn entries(&self) -> u64 {
        self.pages.iter().map(|p| p.records.len() as u64).sum()
    }

    /// Add a record at the tail, dropping the oldest page if none is free.
    pub fn push(&mut self, r: Record) {
        let charge = r.charge().min(BUF_PAGE_SIZE);
        let fits = self.pages.back().is_some_and(|p| p.used + charge <= BUF_PAGE_SIZE);
        if !fits {
            if self.pages.len() >= self.nr_pages {
                self.drop_oldest_page();
            }
            self.pages.push_back(Page::default());
        }
        let page = self.pages.back_mut().expect("a tail page");
        page.used += charge;
        page.records.push_back(r);
    }

    fn drop_oldest_page(&mut self) {
        if let Some(p) = self.pages.pop_front() {
            self.overrun += p.records.len() as u64;
            self.lost_unreported += p.records.len() as u64;
        }
    }

    /// Pages that are full (all but the one being written).
    pub fn full_pages(&self) -> usize {
        self.pages.len().saturating_sub(1)
    }

    /// The oldest record.
    pub fn peek(&self) -> Option<&Record> {
        self.pages.iter().find_map(|p| p.records.front())
    }

    /// Take the oldest record (Linux: ring_buffer_consume()).
    pub fn pop(&mut self) -> Option<Record> {
        while let Some(p) = self.pages.front_mut() {
            if let Some(r) = p.records.pop_front() {
                // A consumed record gives its room back only with its page,
                // as Linux's reader page does.
                if p.records.is_empty() && self.pages.len() > 1 {
                    self.pages.pop_front();
                }
                return Some(r);
            }
            if self.pages.len() == 1 {
                // Keep the tail page's fill: the writer is still on it.
                return None;
            }
            self.pages.pop_front();
        }
        None
    }

    /// Every record, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &Record> {
        self.pages.iter().flat_map(|p| p.records.iter())
    }
}

fn pages_for(bytes: usize) -> usize {
    bytes.div_ceil(BUF_PAGE_SIZE).max(2)
}
