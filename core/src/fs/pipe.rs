//! Pipes (Linux: fs/pipe.c): a bounded byte queue with a read end and a
//! write end, each an open file description. A reader of an empty pipe
//! sleeps while a writer exists and sees end-of-file once none does; a
//! writer with no reader left gets EPIPE.
//!
//! The data lives in page frames, as Linux's `pipe_buffer`s do, not in the
//! kernel heap: a pipe holds at most `pages` frames (16 by default, 65536
//! bytes; F_SETPIPE_SZ changes it), each a slot of Linux's ring, taken
//! from the frame allocator as writes need them and given back as reads
//! empty them (but one, kept for the next write), so thousands of full
//! pipes cost what they would on Linux, and running out of frames is
//! ENOMEM for the write (Linux: pipe_write()'s alloc_page()).
//!
//! A FIFO (a named pipe) is the same object, found through its inode:
//! every open of the inode shares the one pipe, which lives while anyone
//! has it open (Linux: `inode->i_pipe`, fifo_open()).

use alloc::collections::{BTreeMap, VecDeque};

use crate::abi::{Errno, ENOMEM};
use crate::hashmap::HashMap;
use crate::machine::PhysMem;
use crate::mm::consts::PAGE_SIZE;
use crate::mm::FrameAllocator;

/// Linux: PIPE_DEF_BUFFERS, the slots (pages) of a new pipe.
pub const PIPE_DEF_BUFFERS: usize = 16;

/// Linux: PIPE_MIN_DEF_BUFFERS, the slots of a new pipe whose user is
/// over its soft limit of pipe pages.
pub const PIPE_MIN_DEF_BUFFERS: usize = 2;

/// Linux: PIPE_DEF_BUFFERS * PAGE_SIZE.
pub const PIPE_CAPACITY: usize = PIPE_DEF_BUFFERS * PAGE;

/// Linux: PIPE_BUF, the largest write a pipe never splits.
pub const PIPE_BUF: usize = 4096;

const PAGE: usize = PAGE_SIZE as usize;

pub type PipeId = u32;

/// A FIFO open waiting for its partner, counted in the pipe's readers or
/// writers meanwhile, holding a reference to the inode (kept in the task
/// across the call's runs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FifoWait {
    pub ino: u64,
    pub pipe: PipeId,
    /// Waiting as a writer (for a reader), else as a reader.
    pub write: bool,
    /// The partner's open counter when the wait began.
    pub counter: u32,
}

/// The /proc/sys/fs limits on pipes (Linux: pipe_max_size,
/// pipe_user_pages_soft, pipe_user_pages_hard).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PipeLimits {
    pub max_size: u64,
    pub user_pages_soft: u64,
    pub user_pages_hard: u64,
}

impl Default for PipeLimits {
    fn default() -> Self {
        // Linux: 1 MiB, PIPE_DEF_BUFFERS * INR_OPEN_CUR, no hard limit.
        PipeLimits { max_size: 1 << 20, user_pages_soft: 16 * 1024, user_pages_hard: 0 }
    }
}

/// One frame of data, `start..end` of it unread (Linux: `pipe_buffer`).
struct PipeBuf {
    pa: u64,
    start: usize,
    end: usize,
}

pub struct Pipe {
    bufs: VecDeque<PipeBuf>,
    len: usize,
    /// An emptied frame kept for the next write (Linux: `tmp_page`).
    spare: Option<u64>,
    /// Slots (frames) the pipe may fill (Linux: `max_usage`, `ring_size`).
    pages: usize,
    /// Open descriptions of each end, with the FIFO openers that wait for
    /// a partner.
    pub readers: u32,
    pub writers: u32,
    /// Opens of each end ever (Linux: `r_counter`, `w_counter`): a FIFO
    /// opener waits for the other one to change.
    pub r_counter: u32,
    pub w_counter: u32,
    /// The FIFO inode the pipe belongs to.
    fifo: Option<u64>,
    /// Who its pages are charged to and how many (Linux: `pipe->user`,
    /// `nr_accounted`).
    pub user: u32,
    pub accounted: usize,
}

impl Pipe {
    fn new(pages: usize, user: u32) -> Pipe {
        Pipe {
            bufs: VecDeque::new(),
            len: 0,
            spare: None,
            pages,
            readers: 0,
            writers: 0,
            r_counter: 0,
            w_counter: 0,
            fifo: None,
            user,
            accounted: pages,
        }
    }

    /// The capacity in bytes (F_GETPIPE_SZ).
    pub fn capacity(&self) -> usize {
        self.pages * PAGE
    }

    /// Slots holding data (Linux: pipe_occupancy()).
    pub fn occupancy(&self) -> usize {
        self.bufs.len()
    }

    /// Change the number of slots; EBUSY when the data needs more
    /// (Linux: pipe_resize_ring()).
    pub fn resize(&mut self, pages: usize) -> Result<(), Errno> {
        if pages < self.occupancy() {
            return Err(crate::abi::EBUSY);
        }
        self.pages = pages;
        Ok(())
    }

    /// Bytes waiting to be read.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes a write may add now: the rest of the last frame and the free
    /// slots (Linux: pipe_write() merges into the last buffer, then takes
    /// a slot per page until pipe_full()).
    pub fn room(&self) -> usize {
        let tail_room = self.bufs.back().map_or(0, |b| PAGE - b.end);
        tail_room + self.pages.saturating_sub(self.bufs.len()) * PAGE
    }

    /// A slot is free (Linux: !pipe_full(), what makes a pipe writable
    /// for poll).
    pub fn has_free_slot(&self) -> bool {
        self.bufs.len() < self.pages
    }

    /// Append `data` (at most [`room`](Self::room) bytes), all of it or,
    /// when frames run out, what fits in the frames there are; a write of
    /// at most PIPE_BUF bytes is all or nothing. ENOMEM when nothing could
    /// be written.
    pub fn write(&mut self, frames: &mut FrameAllocator, phys: &dyn PhysMem, data: &[u8]) -> Result<usize, Errno> {
        debug_assert!(data.len() <= self.room());
        let tail_room = self.bufs.back().map_or(0, |b| PAGE - b.end);
        // A write of at most PIPE_BUF bytes needs at most one new frame:
        // it is taken before anything is written, so that such a write is
        // all or nothing.
        let mut first = None;
        if data.len() > tail_room {
            first = self.take_frame(frames);
            if first.is_none() && (tail_room == 0 || data.len() <= PIPE_BUF) {
                return Err(ENOMEM);
            }
        }
        let mut done = 0;
        if let Some(b) = self.bufs.back_mut().filter(|_| tail_room > 0) {
            let n = tail_room.min(data.len());
            phys.write(b.pa + b.end as u64, &data[..n]);
            b.end += n;
            done = n;
        }
        // Then a frame per page, as long as there are frames.
        while done < data.len() {
            let Some(pa) = first.take().or_else(|| self.take_frame(frames)) else { break };
            let n = PAGE.min(data.len() - done);
            phys.write(pa, &data[done..done + n]);
            self.bufs.push_back(PipeBuf { pa, start: 0, end: n });
            done += n;
        }
        self.len += done;
        Ok(done)
    }

    /// A frame for new data: the one kept from the last emptied buffer,
    /// else a fresh one.
    fn take_frame(&mut self, frames: &mut FrameAllocator) -> Option<u64> {
        self.spare.take().or_else(|| frames.alloc())
    }

    /// Take up to `buf.len()` bytes from the front; frames emptied go back.
    pub fn read(&mut self, frames: &mut FrameAllocator, phys: &dyn PhysMem, buf: &mut [u8]) -> usize {
        let n = self.peek(phys, buf);
        self.consume(frames, n);
        n
    }

    /// Copy up to `buf.len()` bytes from the front, leaving them there: a
    /// read takes them ([`consume`](Self::consume)) only once they have
    /// reached the reader (Linux: pipe_read() moves a buffer's offset
    /// after copy_page_to_iter() succeeds).
    pub fn peek(&self, phys: &dyn PhysMem, buf: &mut [u8]) -> usize {
        let mut done = 0;
        for b in &self.bufs {
            if done == buf.len() {
                break;
            }
            let n = (b.end - b.start).min(buf.len() - done);
            phys.read(b.pa + b.start as u64, &mut buf[done..done + n]);
            done += n;
        }
        done
    }

    /// Drop `n` bytes from the front; frames emptied go back.
    pub fn consume(&mut self, frames: &mut FrameAllocator, n: usize) {
        let mut left = n.min(self.len);
        self.len -= left;
        while left > 0 {
            let Some(b) = self.bufs.front_mut() else { break };
            let k = (b.end - b.start).min(left);
            b.start += k;
            left -= k;
            if b.start == b.end {
                // One emptied frame stays with the pipe for the next
                // write: a pipe that is written and read in turn takes
                // no frame from the allocator each time (Linux:
                // anon_pipe_buf_release() keeping `pipe->tmp_page`).
                if self.spare.is_none() && frames.refcount(b.pa) == 1 {
                    self.spare = Some(b.pa);
                } else {
                    frames.put(b.pa);
                }
                self.bufs.pop_front();
            }
        }
    }

    fn release(&mut self, frames: &mut FrameAllocator) {
        for b in self.bufs.drain(..) {
            frames.put(b.pa);
        }
        if let Some(pa) = self.spare.take() {
            frames.put(pa);
        }
        self.len = 0;
    }
}

#[derive(Default)]
pub struct PipeTable {
    pipes: HashMap<PipeId, Pipe>,
    next: PipeId,
    /// The pipe of each FIFO inode someone has open.
    fifos: BTreeMap<u64, PipeId>,
    /// /proc/sys/fs/pipe-*.
    pub limits: PipeLimits,
}

impl PipeTable {
    /// A new pipe of `pages` slots charged to `user`, with no end open
    /// yet.
    pub fn create(&mut self, pages: usize, user: u32) -> PipeId {
        self.next += 1;
        self.pipes.insert(self.next, Pipe::new(pages, user));
        self.next
    }

    /// The pipe of FIFO inode `ino`, if someone has it open.
    pub fn fifo(&self, ino: u64) -> Option<PipeId> {
        self.fifos.get(&ino).copied()
    }

    /// Make `id` the pipe of FIFO inode `ino`.
    pub fn set_fifo(&mut self, ino: u64, id: PipeId) {
        self.get_mut(id).fifo = Some(ino);
        self.fifos.insert(ino, id);
    }

    pub fn get_mut(&mut self, id: PipeId) -> &mut Pipe {
        self.pipes.get_mut(&id).expect("pipe exists")
    }

    pub fn get(&self, id: PipeId) -> &Pipe {
        &self.pipes[&id]
    }

    /// A description (or a waiting FIFO opener) of the read side, the
    /// write side or both went away. When nobody is left the pipe goes,
    /// with its frames; the pipe is returned then so that its pages can
    /// be uncharged (Linux: pipe_release() → put_pipe_info()).
    pub fn close_end(&mut self, id: PipeId, read: bool, write: bool, frames: &mut FrameAllocator) -> Option<Pipe> {
        let p = self.get_mut(id);
        if read {
            p.readers -= 1;
        }
        if write {
            p.writers -= 1;
        }
        if p.readers == 0 && p.writers == 0 {
            let mut p = self.pipes.remove(&id)?;
            p.release(frames);
            if let Some(ino) = p.fifo {
                self.fifos.remove(&ino);
            }
            return Some(p);
        }
        None
    }

    pub fn count(&self) -> usize {
        self.pipes.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mm::sim::SimMem;

    #[test]
    fn data_in_frames_round_trips_and_frees() {
        let mem = SimMem::new(64);
        let mut fa = FrameAllocator::new(&[(PAGE_SIZE, 64 * PAGE_SIZE)], &mem);
        let base = fa.stats().used;
        let mut t = PipeTable::default();
        let id = t.create(PIPE_DEF_BUFFERS, 0);
        t.get_mut(id).readers = 1;
        t.get_mut(id).writers = 1;
        let data: alloc::vec::Vec<u8> = (0..PIPE_CAPACITY).map(|i| (i * 7 % 251) as u8).collect();
        let p = t.get_mut(id);
        assert_eq!(p.write(&mut fa, &mem, &data[..100]), Ok(100));
        assert_eq!(p.write(&mut fa, &mem, &data[100..PIPE_CAPACITY]), Ok(PIPE_CAPACITY - 100));
        assert_eq!(p.room(), 0);
        assert_eq!(fa.stats().used, base + 16);
        let mut out = alloc::vec![0u8; PIPE_CAPACITY];
        // The emptied first frame stays as the pipe's spare...
        assert_eq!(p.read(&mut fa, &mem, &mut out[..5000]), 5000);
        assert_eq!(fa.stats().used, base + 16);
        // ...and takes the next write.
        assert_eq!(p.write(&mut fa, &mem, &data[..3000]), Ok(3000));
        assert_eq!(fa.stats().used, base + 16);
        assert_eq!(p.read(&mut fa, &mem, &mut out[5000..]), PIPE_CAPACITY - 5000);
        assert_eq!(out, data);
        // The 3,000 bytes left, and the spare.
        assert_eq!(fa.stats().used, base + 2);
        t.close_end(id, false, true, &mut fa);
        t.close_end(id, true, false, &mut fa);
        assert_eq!(fa.stats().used, base);
    }

    #[test]
    fn out_of_frames_is_enomem_and_small_writes_stay_whole() {
        let mem = SimMem::new(64);
        let mut fa = FrameAllocator::new(&[(PAGE_SIZE, 64 * PAGE_SIZE)], &mem);
        let base = fa.stats().used;
        let mut t = PipeTable::default();
        let id = t.create(PIPE_DEF_BUFFERS, 0);
        let p = t.get_mut(id);
        p.readers = 1;
        p.writers = 1;
        fa.fail_after(Some(0));
        assert_eq!(p.write(&mut fa, &mem, b"x"), Err(ENOMEM));
        fa.fail_after(Some(1));
        assert_eq!(p.write(&mut fa, &mem, &[1u8; 4000]), Ok(4000));
        // 96 bytes fit in the frame there is: a PIPE_BUF write does not split...
        assert_eq!(p.write(&mut fa, &mem, &[2u8; 200]), Err(ENOMEM));
        // ...a larger one does.
        assert_eq!(p.write(&mut fa, &mem, &[3u8; 5000]), Ok(96));
        fa.fail_after(None);
        t.close_end(id, true, false, &mut fa);
        t.close_end(id, false, true, &mut fa);
        assert_eq!(fa.stats().used, base);
    }
}
