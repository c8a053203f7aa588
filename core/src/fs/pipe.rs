//! Pipes (Linux: fs/pipe.c): a bounded byte queue with a read end and a
//! write end, each an open file description. A reader of an empty pipe
//! sleeps while a writer exists and sees end-of-file once none does; a
//! writer with no reader left gets EPIPE.
//!
//! The data lives in page frames, as Linux's `pipe_buffer`s do, not in the
//! kernel heap: a pipe holds at most [`PIPE_CAPACITY`] bytes in at most 17
//! frames (16 full ones and a partly read one), taken from the frame
//! allocator as writes need them and given back as reads empty them, so
//! thousands of full pipes cost what they would on Linux, and running out
//! of frames is ENOMEM for the write (Linux: pipe_write()'s alloc_page()).

use alloc::collections::{BTreeMap, VecDeque};

use crate::abi::{Errno, ENOMEM};
use crate::machine::PhysMem;
use crate::mm::consts::PAGE_SIZE;
use crate::mm::FrameAllocator;

/// Linux: PIPE_DEF_BUFFERS * PAGE_SIZE.
pub const PIPE_CAPACITY: usize = 65536;

/// Linux: PIPE_BUF, the largest write a pipe never splits.
pub const PIPE_BUF: usize = 4096;

const PAGE: usize = PAGE_SIZE as usize;

pub type PipeId = u32;

/// One frame of data, `start..end` of it unread (Linux: `pipe_buffer`).
struct PipeBuf {
    pa: u64,
    start: usize,
    end: usize,
}

#[derive(Default)]
pub struct Pipe {
    bufs: VecDeque<PipeBuf>,
    len: usize,
    /// Open descriptions of each end.
    pub readers: u32,
    pub writers: u32,
}

impl Pipe {
    /// Bytes waiting to be read.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes a write may add now.
    pub fn room(&self) -> usize {
        PIPE_CAPACITY - self.len
    }

    /// Append `data` (at most [`room`](Self::room) bytes), all of it or,
    /// when frames run out, what fits in the frames there are; a write of
    /// at most PIPE_BUF bytes is all or nothing. ENOMEM when nothing could
    /// be written.
    pub fn write(&mut self, frames: &mut FrameAllocator, phys: &dyn PhysMem, data: &[u8]) -> Result<usize, Errno> {
        debug_assert!(data.len() <= self.room());
        let tail_room = self.bufs.back().map_or(0, |b| PAGE - b.end);
        let need = data.len().saturating_sub(tail_room).div_ceil(PAGE);
        let mut new = take_frames(frames, need);
        let fits = tail_room + new.len() * PAGE;
        if new.len() < need && (fits == 0 || data.len() <= PIPE_BUF) {
            for pa in new.drain(..) {
                frames.put(pa);
            }
            return Err(ENOMEM);
        }
        let data = &data[..data.len().min(fits)];
        let mut done = 0;
        if let Some(b) = self.bufs.back_mut().filter(|_| tail_room > 0) {
            let n = tail_room.min(data.len());
            phys.write(b.pa + b.end as u64, &data[..n]);
            b.end += n;
            done = n;
        }
        for pa in new {
            let n = PAGE.min(data.len() - done);
            phys.write(pa, &data[done..done + n]);
            self.bufs.push_back(PipeBuf { pa, start: 0, end: n });
            done += n;
        }
        self.len += done;
        Ok(done)
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
                frames.put(b.pa);
                self.bufs.pop_front();
            }
        }
    }

    fn release(&mut self, frames: &mut FrameAllocator) {
        for b in self.bufs.drain(..) {
            frames.put(b.pa);
        }
        self.len = 0;
    }
}

/// Up to `n` fresh frames (fewer when they run out).
fn take_frames(frames: &mut FrameAllocator, n: usize) -> alloc::vec::Vec<u64> {
    let mut v = alloc::vec::Vec::with_capacity(n);
    while v.len() < n {
        match frames.alloc() {
            Some(pa) => v.push(pa),
            None => break,
        }
    }
    v
}

#[derive(Default)]
pub struct PipeTable {
    pipes: BTreeMap<PipeId, Pipe>,
    next: PipeId,
}

impl PipeTable {
    pub fn create(&mut self) -> PipeId {
        self.next += 1;
        self.pipes.insert(self.next, Pipe { readers: 1, writers: 1, ..Pipe::default() });
        self.next
    }

    pub fn get_mut(&mut self, id: PipeId) -> &mut Pipe {
        self.pipes.get_mut(&id).expect("pipe exists")
    }

    /// One end's last description closed; the pipe, and its frames, go
    /// with its last end.
    pub fn close_end(&mut self, id: PipeId, write_end: bool, frames: &mut FrameAllocator) {
        let p = self.get_mut(id);
        if write_end {
            p.writers -= 1;
        } else {
            p.readers -= 1;
        }
        if p.readers == 0 && p.writers == 0 {
            if let Some(mut p) = self.pipes.remove(&id) {
                p.release(frames);
            }
        }
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
        let id = t.create();
        let data: alloc::vec::Vec<u8> = (0..PIPE_CAPACITY).map(|i| (i * 7 % 251) as u8).collect();
        let p = t.get_mut(id);
        assert_eq!(p.write(&mut fa, &mem, &data[..100]), Ok(100));
        assert_eq!(p.write(&mut fa, &mem, &data[100..PIPE_CAPACITY]), Ok(PIPE_CAPACITY - 100));
        assert_eq!(p.room(), 0);
        assert_eq!(fa.stats().used, base + 16);
        let mut out = alloc::vec![0u8; PIPE_CAPACITY];
        assert_eq!(p.read(&mut fa, &mem, &mut out[..5000]), 5000);
        assert_eq!(fa.stats().used, base + 15);
        assert_eq!(p.write(&mut fa, &mem, &data[..3000]), Ok(3000));
        assert_eq!(p.read(&mut fa, &mem, &mut out[5000..]), PIPE_CAPACITY - 5000);
        assert_eq!(out, data);
        t.close_end(id, true, &mut fa);
        t.close_end(id, false, &mut fa);
        assert_eq!(fa.stats().used, base);
    }

    #[test]
    fn out_of_frames_is_enomem_and_small_writes_stay_whole() {
        let mem = SimMem::new(64);
        let mut fa = FrameAllocator::new(&[(PAGE_SIZE, 64 * PAGE_SIZE)], &mem);
        let base = fa.stats().used;
        let mut t = PipeTable::default();
        let id = t.create();
        let p = t.get_mut(id);
        fa.fail_after(Some(0));
        assert_eq!(p.write(&mut fa, &mem, b"x"), Err(ENOMEM));
        fa.fail_after(Some(1));
        assert_eq!(p.write(&mut fa, &mem, &[1u8; 4000]), Ok(4000));
        // 96 bytes fit in the frame there is: a PIPE_BUF write does not split...
        assert_eq!(p.write(&mut fa, &mem, &[2u8; 200]), Err(ENOMEM));
        // ...a larger one does.
        assert_eq!(p.write(&mut fa, &mem, &[3u8; 5000]), Ok(96));
        fa.fail_after(None);
        t.close_end(id, false, &mut fa);
        t.close_end(id, true, &mut fa);
        assert_eq!(fa.stats().used, base);
    }
}
