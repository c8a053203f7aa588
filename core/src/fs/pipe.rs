//! Pipes (Linux: fs/pipe.c): a bounded byte queue with a read end and a
//! write end, each an open file description. A reader of an empty pipe
//! sleeps while a writer exists and sees end-of-file once none does; a
//! writer with no reader left gets EPIPE.

use alloc::collections::{BTreeMap, VecDeque};

/// Linux: PIPE_DEF_BUFFERS * PAGE_SIZE.
pub const PIPE_CAPACITY: usize = 65536;

/// Linux: PIPE_BUF, the largest write a pipe never splits.
pub const PIPE_BUF: usize = 4096;

pub type PipeId = u32;

#[derive(Default)]
pub struct Pipe {
    pub buf: VecDeque<u8>,
    /// Open descriptions of each end.
    pub readers: u32,
    pub writers: u32,
}

#[derive(Default)]
pub struct PipeTable {
    pipes: BTreeMap<PipeId, Pipe>,
    next: PipeId,
}

impl PipeTable {
    pub fn create(&mut self) -> PipeId {
        self.next += 1;
        self.pipes.insert(self.next, Pipe { buf: VecDeque::new(), readers: 1, writers: 1 });
        self.next
    }

    pub fn get_mut(&mut self, id: PipeId) -> &mut Pipe {
        self.pipes.get_mut(&id).expect("pipe exists")
    }

    /// One end's last description closed; the pipe goes with its last end.
    pub fn close_end(&mut self, id: PipeId, write_end: bool) {
        let p = self.get_mut(id);
        if write_end {
            p.writers -= 1;
        } else {
            p.readers -= 1;
        }
        if p.readers == 0 && p.writers == 0 {
            self.pipes.remove(&id);
        }
    }

    pub fn count(&self) -> usize {
        self.pipes.len()
    }
}
