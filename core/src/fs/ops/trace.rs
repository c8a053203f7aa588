//! Open tracefs files (see `fs::tracefs`): text files read from the
//! offset, trace_pipe consumed as a stream.

use super::FileOps;
use crate::abi::*;
use crate::fs::file::{FileId, FileKind, OpenFile};
use crate::fs::tracefs::{files, Node};
use crate::kernel::Kernel;

pub struct Trace;
pub static TRACE: Trace = Trace;

fn node(k: &Kernel, id: FileId) -> Node {
    match k.vfs.files.get(id).kind {
        FileKind::Trace(n) => n,
        other => unreachable!("trace ops on {other:?}"),
    }
}

impl FileOps for Trace {
    fn read(&self, k: &mut Kernel, id: FileId, pos: u64, buf: &mut [u8]) -> SysResult {
        let n = node(k, id);
        files::read(k, id, n, pos, buf)
    }

    /// trace_pipe gives one read's worth at a time, as a pipe does.
    fn read_more(&self, k: &mut Kernel, id: FileId) -> bool {
        node(k, id) != Node::TracePipe
    }

    fn write(&self, k: &mut Kernel, id: FileId, _pos: u64, data: &[u8]) -> SysResult {
        let n = node(k, id);
        files::write(k, n, data)
    }

    // trace_pipe and trace_marker are streams (Linux: nonseekable_open()),
    // but every file here keeps an offset; trace_pipe's read ignores it.
    fn seekable(&self) -> bool {
        true
    }

    /// Linux: seq_lseek() on the text files, generic for the others.
    fn llseek(&self, k: &mut Kernel, id: FileId, off: i64, whence: u32) -> SysResult {
        if node(k, id) == Node::TracePipe {
            return Err(ESPIPE);
        }
        let base = match whence {
            0 => 0,
            1 => k.vfs.files.get(id).offset as i64,
            2 => files::len(k, id) as i64,
            _ => return Err(EINVAL),
        };
        let pos = base.checked_add(off).filter(|&p| p >= 0).ok_or(EINVAL)?;
        k.vfs.files.get_mut(id).offset = pos as u64;
        Ok(pos as usize)
    }

    fn can_poll(&self) -> bool {
        true
    }

    fn poll(&self, k: &mut Kernel, id: FileId) -> u16 {
        let n = node(k, id);
        files::poll(k, id, n)
    }

    fn release(&self, k: &mut Kernel, id: FileId, _f: &OpenFile) {
        k.vfs.tracefs.open.remove(&id);
    }
}
