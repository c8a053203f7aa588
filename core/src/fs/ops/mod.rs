//! What each kind of open file does (Linux: `struct file_operations`).
//!
//! An open file description keeps what it refers to as data
//! ([`FileKind`]); its behaviour is a [`FileOps`] chosen once per kind by
//! [`FileKind::ops`]. The syscall layer checks the access mode and moves
//! bytes to and from user memory, then asks the file's ops; no syscall
//! matches on the kind. A method a kind does not have answers with the
//! errno Linux gives for a file without that operation.
//!
//! Who implements it: [`regular`] (ramfs files and directories),
//! [`pipe`] (pipes and FIFOs), [`dev`] (/dev/null, /dev/zero),
//! [`console`] (the console as a terminal, and as a pipe),
//! [`proc`] (/proc files), [`anon`] (signalfd, pidfd), [`kmsg`]
//! (/dev/kmsg), [`trace`] (tracefs files).

/// The methods Linux's anonymous-inode event files (eventfd, timerfd,
/// signalfd, epoll) share instead of the [`FileOps`] defaults: no file
/// position (pread is ESPIPE), an lseek that leaves the offset as it is
/// (Linux: noop_llseek()), and a poll of their own that epoll may watch.
/// Written once here, expanded inside each `impl FileOps`.
macro_rules! event_file_ops {
    () => {
        fn seekable(&self) -> bool {
            false
        }

        /// Linux: noop_llseek().
        fn llseek(&self, k: &mut Kernel, id: FileId, _off: i64, _whence: u32) -> SysResult {
            Ok(k.vfs.files.get(id).offset as usize)
        }

        fn can_poll(&self) -> bool {
            true
        }
    };
}

pub mod anon;
pub mod console;
pub mod dev;
pub mod epoll;
pub mod eventfd;
pub mod kmsg;
pub mod pipe;
pub mod proc;
pub mod regular;
#[cfg(test)]
mod tests;
pub mod timerfd;
pub mod trace;

use alloc::format;
use alloc::vec;
use alloc::vec::Vec;

use crate::abi::*;
use crate::fs::file::{FileId, FileKind, OpenFile};
use crate::kernel::Kernel;
use crate::mm::mmap::MapTarget;

/// Bytes moved per copy between user memory and a file.
pub const CHUNK: usize = 4096;

/// The kernel's copy of one chunk of a read or write, between user memory
/// and the file. A small transfer (a pipe's byte, a terminal's line) uses
/// a buffer on the kernel stack, so that it costs no heap allocation; a
/// larger one a heap buffer of up to [`CHUNK`] bytes. Linux needs neither:
/// its `copy_to_user()` reaches user memory from the file's own pages.
pub enum Bounce {
    Stack([u8; Bounce::STACK]),
    Heap(Vec<u8>),
}

impl Bounce {
    /// The largest chunk kept on the stack.
    const STACK: usize = 128;

    /// A zeroed buffer for chunks of up to `len` bytes (at most [`CHUNK`]).
    pub fn new(len: usize) -> Bounce {
        if len <= Self::STACK {
            Bounce::Stack([0; Self::STACK])
        } else {
            Bounce::Heap(vec![0; len.min(CHUNK)])
        }
    }
}

impl core::ops::Deref for Bounce {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Bounce::Stack(b) => b,
            Bounce::Heap(v) => v,
        }
    }
}

impl core::ops::DerefMut for Bounce {
    fn deref_mut(&mut self) -> &mut [u8] {
        match self {
            Bounce::Stack(b) => b,
            Bounce::Heap(v) => v,
        }
    }
}

/// What a file without a poll method of its own is ready for (Linux:
/// DEFAULT_POLLMASK).
pub const DEFAULT_POLLMASK: u16 = POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;

/// The operations of one kind of open file. Each takes the kernel and the
/// description's id (the kind's data is in `k.vfs.files.get(id).kind`); the
/// access-mode and O_PATH checks are the caller's.
pub trait FileOps: Sync {
    /// Read at `pos` into `buf` (Linux: `->read`). A file that must wait
    /// blocks the task and returns the restart errno. Default: EINVAL, as
    /// Linux's vfs_read() for a file without read.
    fn read(&self, _k: &mut Kernel, _id: FileId, _pos: u64, _buf: &mut [u8]) -> SysResult {
        Err(EINVAL)
    }

    /// Read `len` bytes into user memory at `buf` (Linux: `->read_iter`).
    /// Default: [`read_chunks`], `read` a chunk at a time.
    fn read_iter(&self, k: &mut Kernel, id: FileId, buf: u64, len: usize, pos: Option<u64>) -> SysResult {
        read_chunks(k, id, buf, len, pos)
    }

    /// `n` bytes that `read` gave reached the user: a file that only
    /// looked at them (a pipe) takes them now.
    fn consume(&self, _k: &mut Kernel, _id: FileId, _n: usize) {}

    /// After a full chunk, whether reading goes on: a seekable file's
    /// next chunk may be there; a stream's read gives what it had.
    fn read_more(&self, _k: &mut Kernel, _id: FileId) -> bool {
        self.seekable()
    }

    /// Write `data` at `pos` (Linux: `->write`). Default: EINVAL.
    fn write(&self, _k: &mut Kernel, _id: FileId, _pos: u64, _data: &[u8]) -> SysResult {
        Err(EINVAL)
    }

    /// Whether the file has an offset that reads and writes move and
    /// pread/pwrite may name (Linux: FMODE_LSEEK | FMODE_PREAD); pread on
    /// one that has not is ESPIPE.
    fn seekable(&self) -> bool {
        true
    }

    /// lseek(2) (Linux: `->llseek`). Default: ESPIPE, as no_llseek().
    fn llseek(&self, _k: &mut Kernel, _id: FileId, _off: i64, _whence: u32) -> SysResult {
        Err(ESPIPE)
    }

    /// Whether the file has a poll of its own, so that epoll may watch
    /// it (Linux: file_can_poll()). Default: no (EPERM from epoll_ctl).
    fn can_poll(&self) -> bool {
        false
    }

    /// What the file is ready for (Linux: `->poll`). Default: both ways.
    fn poll(&self, _k: &mut Kernel, _id: FileId) -> u16 {
        DEFAULT_POLLMASK
    }

    /// The file's own ioctls, after the generic ones (Linux:
    /// `->unlocked_ioctl`). Default: ENOTTY.
    fn ioctl(&self, _k: &mut Kernel, _id: FileId, _cmd: u32, _arg: u64) -> SysResult {
        Err(ENOTTY)
    }

    /// fstat(2) (Linux: `->getattr` of the file's inode). Default: the
    /// inode it was opened through, or an anonymous FIFO owned by the
    /// caller (Linux: pipefs inodes).
    fn stat(&self, k: &Kernel, id: FileId) -> SysResult<Stat> {
        match k.vfs.files.get(id).ino {
            Some(ino) => k.vfs.fs.stat(ino),
            None => Ok(anon_stat(k, id, S_IFIFO | 0o600)),
        }
    }

    /// getdents64(2) into user memory (Linux: `->iterate_shared`).
    /// Default: ENOTDIR.
    fn getdents(&self, _k: &mut Kernel, _id: FileId, _buf: u64, _count: u64) -> SysResult {
        Err(ENOTDIR)
    }

    /// fsync(2) (Linux: `->fsync`). Default: EINVAL.
    fn fsync(&self, _k: &mut Kernel, _id: FileId) -> SysResult {
        Err(EINVAL)
    }

    /// What mmap maps (Linux: `->mmap`). Default: nothing (ENODEV once
    /// the access checks pass).
    fn mmap(&self, _k: &mut Kernel, _id: FileId) -> SysResult<MapTarget> {
        Ok(MapTarget::NoMmap)
    }

    /// What /proc/<pid>/fd/N says the file is (Linux: d_path(), or the
    /// dentry's `->d_dname` for a file without a name). Default: the path
    /// of the inode it was opened through, else "pipe:[N]" (pipefs).
    fn d_path(&self, k: &Kernel, id: FileId) -> Vec<u8> {
        match k.vfs.files.get(id).ino {
            Some(ino) => crate::fs::procfs::inode_path(k, ino),
            None => format!("pipe:[{}]", crate::fs::file::anon_ino(id)).into_bytes(),
        }
    }

    /// A new description of the same nameless file, with status flags
    /// `flags`, for an open of its /proc/<pid>/fd/N link. Default: ENXIO,
    /// as for a file that cannot be opened that way.
    fn reopen(&self, _k: &mut Kernel, _id: FileId, _flags: u32) -> SysResult<FileId> {
        Err(ENXIO)
    }

    /// The kind's own lines of /proc/<pid>/fdinfo/N, after the generic
    /// four (Linux: `->show_fdinfo`), numbers of processes as PID
    /// namespace `view` shows them. Default: none.
    fn show_fdinfo(&self, _k: &Kernel, _id: FileId, _view: crate::ns::PidNsId, _out: &mut Vec<u8>) {}

    /// The last reference to description `id`, `f`, is gone (Linux:
    /// `->release`).
    fn release(&self, _k: &mut Kernel, _id: FileId, _f: &OpenFile) {}
}

impl FileKind {
    /// The operations of this kind of file.
    pub fn ops(&self) -> &'static dyn FileOps {
        match self {
            FileKind::Console => &console::CONSOLE,
            FileKind::ConsolePipe => &console::CONSOLE_PIPE,
            FileKind::Null => &dev::NULL,
            FileKind::Zero => &dev::ZERO,
            FileKind::Inode(_) => &regular::REGULAR,
            FileKind::Pipe { .. } => &pipe::PIPE,
            FileKind::Signalfd { .. } => &anon::SIGNALFD,
            FileKind::Pidfd { .. } => &anon::PIDFD,
            FileKind::Proc(..) => &proc::PROC,
            FileKind::Kmsg => &kmsg::KMSG,
            FileKind::Trace(_) => &trace::TRACE,
            FileKind::Eventfd { .. } => &eventfd::EVENTFD,
            FileKind::Epoll { .. } => &epoll::EPOLL,
            FileKind::Timerfd { .. } => &timerfd::TIMERFD,
            FileKind::Socket { .. } => &crate::net::unix::UNIX_SOCKET,
        }
    }
}

/// The stat of a file without an inode: mode `mode`, owned by the caller.
pub fn anon_stat(k: &Kernel, id: FileId, mode: u32) -> Stat {
    let cred = k.cur_cred();
    Stat {
        st_dev: makedev(0, 14),
        st_ino: crate::fs::file::anon_ino(id),
        st_nlink: 1,
        st_mode: mode,
        st_uid: cred.euid,
        st_gid: cred.egid,
        st_blksize: 4096,
        ..Default::default()
    }
}

/// Read `len` bytes into user memory at `buf` (at `pos`, or the file
/// offset when `None`), a chunk at a time through the file's `read`.
pub fn read_chunks(k: &mut Kernel, id: FileId, buf: u64, len: usize, pos: Option<u64>) -> SysResult {
    let ops = k.vfs.files.get(id).kind.ops();
    let mut done = 0usize;
    let mut chunk = Bounce::new(len);
    while done < len {
        let want = (len - done).min(CHUNK);
        let off = pos.unwrap_or(k.vfs.files.get(id).offset) + if pos.is_some() { done as u64 } else { 0 };
        let n = match ops.read(k, id, off, &mut chunk[..want]) {
            Ok(n) => n,
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        };
        if let Err(e) = k.copy_out(buf + done as u64, &chunk[..n]) {
            return if done == 0 { Err(e) } else { Ok(done) };
        }
        if pos.is_none() && ops.seekable() {
            k.vfs.files.get_mut(id).offset += n as u64;
        }
        // Only what reached the user leaves a pipe: a buffer that faults
        // leaves the data for the next read (Linux: pipe_read() moves a
        // buffer's offset after the copy succeeds).
        ops.consume(k, id, n);
        done += n;
        // A short read (end of file, or what the console had) ends the
        // call; a pipe gives all it holds (Linux: pipe_read()).
        if n < want || !ops.read_more(k, id) {
            break;
        }
    }
    Ok(done)
}
