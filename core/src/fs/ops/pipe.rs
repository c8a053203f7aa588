//! Pipes and FIFOs (Linux: pipefifo_fops in fs/pipe.c); the buffer
//! itself is `fs::pipe`.

use super::FileOps;
use crate::abi::*;
use crate::fs::file::{FileId, FileKind, OpenFile};
use crate::fs::pipe::PipeId;
use crate::kernel::Kernel;
use crate::proc::WaitReason;

pub struct Pipe;
pub static PIPE: Pipe = Pipe;

/// The pipe behind description `id` and the FIFO's open version.
fn pipe_of(k: &Kernel, id: FileId) -> (PipeId, u32) {
    match k.vfs.files.get(id).kind {
        FileKind::Pipe { pipe, version } => (pipe, version),
        other => unreachable!("pipe ops on {other:?}"),
    }
}

impl FileOps for Pipe {
    /// A look only: [`consume`](FileOps::consume) takes the bytes once
    /// they are copied. Empty: end of file without writers, else EAGAIN
    /// or a wait.
    fn read(&self, k: &mut Kernel, id: FileId, _pos: u64, buf: &mut [u8]) -> SysResult {
        let (pipe, _) = pipe_of(k, id);
        let nonblock = k.vfs.files.get(id).flags & O_NONBLOCK != 0;
        let p = k.vfs.pipes.get_mut(pipe);
        if p.is_empty() {
            return match (p.writers, nonblock) {
                (0, _) => Ok(0),
                (_, true) => Err(EAGAIN),
                (_, false) => Err(k.block_current(WaitReason::Pipe(pipe))),
            };
        }
        Ok(p.peek(k.m.mem, buf))
    }

    fn consume(&self, k: &mut Kernel, id: FileId, n: usize) {
        let (pipe, _) = pipe_of(k, id);
        k.vfs.pipes.get_mut(pipe).consume(k.mem.frames_mut(), n);
        k.wake_all(WaitReason::Pipe(pipe));
    }

    /// A pipe read gives all the pipe holds.
    fn read_more(&self, k: &mut Kernel, id: FileId) -> bool {
        let (pipe, _) = pipe_of(k, id);
        !k.vfs.pipes.get_mut(pipe).is_empty()
    }

    /// Linux: pipe_write(): SIGPIPE and EPIPE without readers; writes of
    /// at most PIPE_BUF bytes are never split.
    fn write(&self, k: &mut Kernel, id: FileId, _pos: u64, data: &[u8]) -> SysResult {
        let (pipe, _) = pipe_of(k, id);
        let nonblock = k.vfs.files.get(id).flags & O_NONBLOCK != 0;
        let p = k.vfs.pipes.get_mut(pipe);
        if p.readers == 0 {
            k.send_sigpipe();
            return Err(EPIPE);
        }
        let room = p.room();
        let need = if data.len() <= crate::fs::pipe::PIPE_BUF { data.len() } else { 1 };
        if room < need {
            return if nonblock { Err(EAGAIN) } else { Err(k.block_current(WaitReason::Pipe(pipe))) };
        }
        let n = p.write(k.mem.frames_mut(), k.m.mem, &data[..data.len().min(room)])?;
        k.wake_all(WaitReason::Pipe(pipe));
        Ok(n)
    }

    fn seekable(&self) -> bool {
        false
    }

    fn can_poll(&self) -> bool {
        true
    }

    /// Linux: pipe_poll().
    fn poll(&self, k: &mut Kernel, id: FileId) -> u16 {
        let (pipe, version) = pipe_of(k, id);
        let f = k.vfs.files.get(id);
        let (readable, writable) = (f.readable(), f.writable());
        let p = k.vfs.pipes.get_mut(pipe);
        let mut m = 0;
        if readable {
            if !p.is_empty() {
                m |= POLLIN | POLLRDNORM;
            }
            // A FIFO opened without a writer hangs up only once a writer
            // has come and gone.
            if p.writers == 0 && version != p.w_counter {
                m |= POLLHUP;
            }
        }
        if writable {
            if p.has_free_slot() {
                m |= POLLOUT | POLLWRNORM;
            }
            if p.readers == 0 {
                m |= POLLERR;
            }
        }
        m
    }

    /// FIONREAD: the bytes in the pipe.
    fn ioctl(&self, k: &mut Kernel, id: FileId, cmd: u32, arg: u64) -> SysResult {
        if cmd != FIONREAD {
            return Err(ENOTTY);
        }
        let (pipe, _) = pipe_of(k, id);
        let n = k.vfs.pipes.get_mut(pipe).len() as i32;
        k.copy_out(arg, &n.to_le_bytes())?;
        Ok(0)
    }

    /// Linux: fifo_open() on the pipe's inode counts each side the
    /// access mode asks for and never waits.
    fn reopen(&self, k: &mut Kernel, id: FileId, flags: u32) -> SysResult<FileId> {
        let (pipe, _) = pipe_of(k, id);
        let acc = flags & O_ACCMODE;
        let p = k.vfs.pipes.get_mut(pipe);
        if acc != O_WRONLY {
            p.readers += 1;
            p.r_counter += 1;
        }
        if acc != O_RDONLY {
            p.writers += 1;
            p.w_counter += 1;
        }
        Ok(k.vfs.files.open(FileKind::Pipe { pipe, version: 0 }, flags, None))
    }

    /// Linux: pipe_release().
    fn release(&self, k: &mut Kernel, _id: FileId, f: &OpenFile) {
        if let FileKind::Pipe { pipe, .. } = f.kind {
            k.pipe_release(pipe, f.readable(), f.writable());
        }
    }
}
