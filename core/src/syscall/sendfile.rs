//! sendfile(2): copy between two descriptors inside the kernel (Linux:
//! fs/read_write.c do_sendfile() → do_splice_direct()).
//!
//! The source must be a file with an offset (a regular file, /dev/zero:
//! what has Linux's splice_read here); the destination anything that can
//! be written, except in append mode. The bytes go through a kernel
//! buffer a chunk at a time: the source's offset moves only by what the
//! destination took, so a destination that must wait (a full pipe) makes
//! the call wait and run again from where it was.

use alloc::vec;

use crate::abi::*;
use crate::fs::ops::CHUNK;
use crate::kernel::Kernel;

/// Linux: MAX_RW_COUNT.
const MAX_RW: u64 = 0x7fff_f000;

/// sendfile(out_fd, in_fd, offset, count), `offset` a user `loff_t *` or
/// NULL (then the source's own offset is used and moved). Errors in
/// Linux's order: EFAULT for the offset pointer; EBADF for a source not
/// open for reading; ESPIPE for an offset on a file without one; EINVAL
/// for a negative offset; EBADF for a destination not open for writing;
/// EOVERFLOW at the largest file size; EINVAL for an append-mode
/// destination or a source that cannot be spliced (a pipe, a terminal).
pub fn sendfile(k: &mut Kernel, out_fd: i32, in_fd: i32, offset: u64, count: u64) -> SysResult {
    let mut pos_in_user = None;
    if offset != 0 {
        pos_in_user = Some(k.read_val::<i64>(offset)?);
    }
    let in_id = k.fd_file(in_fd)?;
    let inf = k.vfs.files().get(in_id);
    if !inf.readable() || inf.flags & O_PATH != 0 {
        return Err(EBADF);
    }
    let in_ops = inf.kind.ops();
    let pos = match pos_in_user {
        Some(_) if !in_ops.seekable() => return Err(ESPIPE),
        Some(p) => p,
        None => inf.offset as i64,
    };
    if pos < 0 {
        return Err(EINVAL);
    }
    let mut pos = pos as u64;
    let mut count = count.min(MAX_RW);
    let out_id = k.fd_file(out_fd)?;
    let outf = k.vfs.files().get(out_id).clone();
    if !outf.writable() || outf.flags & O_PATH != 0 {
        return Err(EBADF);
    }
    let max = crate::mm::consts::MAX_FILE_SIZE;
    if pos.saturating_add(count) > max {
        if pos >= max {
            return Err(EOVERFLOW);
        }
        count = max - pos;
    }
    // Linux: do_splice_direct() refuses append mode; a source without
    // splice_read is refused by the splice itself.
    if outf.flags & O_APPEND != 0 || !in_ops.seekable() {
        return Err(EINVAL);
    }
    let out_ops = outf.kind.ops();
    let mut done = 0usize;
    let mut buf = vec![0u8; (count as usize).min(CHUNK)];
    while (done as u64) < count {
        let want = ((count - done as u64) as usize).min(CHUNK);
        let n = match in_ops.read(k, in_id, pos, &mut buf[..want]) {
            Ok(n) => n,
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        };
        if n == 0 {
            break;
        }
        let out_off = k.vfs.files().get(out_id).offset;
        let n = match k.fsize_limit(outf.kind, out_off, n, done) {
            Ok(n) => n,
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        };
        if n == 0 {
            break;
        }
        let w = match out_ops.write(k, out_id, out_off, &buf[..n]) {
            Ok(w) => w,
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        };
        if out_ops.seekable() {
            k.vfs.files_mut().get_mut(out_id).offset = out_off + w as u64;
        }
        pos += w as u64;
        done += w;
        if w < n {
            break;
        }
    }
    match pos_in_user {
        Some(_) => k.write_val(offset, &(pos as i64))?,
        None => k.vfs.files_mut().get_mut(in_id).offset = pos,
    }
    Ok(done)
}
