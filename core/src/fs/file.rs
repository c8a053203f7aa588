//! Open file descriptions and descriptor tables (Linux: `struct file`,
//! `struct files_struct`, fs/file.c).
//!
//! A descriptor table maps small integers to open file descriptions; an
//! open file description holds the offset and status flags. `dup` and
//! `fork` make several descriptors share one description (and so one
//! offset), which is why descriptions live in their own table with a
//! reference count.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use crate::abi::{Errno, EBADF, EMFILE};
use crate::fs::procfs::Snapshot;
use crate::hashmap::HashMap;

pub type FileId = u32;

/// What an open file description refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// The console as a terminal (/dev/console, /dev/tty).
    Console,
    /// The console seen as the write end of a pipe (StdioMode::Pipe).
    ConsolePipe,
    /// /dev/null.
    Null,
    /// /dev/zero.
    Zero,
    /// A regular file or directory of the RAM file system.
    Inode(u64),
    /// A pipe or FIFO, read, written or both as the access mode says.
    /// `version`: the FIFO's `w_counter` when a non-blocking reader
    /// opened it with no writer, which keeps poll from reporting POLLHUP
    /// until a writer has come (Linux: `f_version` in fifo_open()).
    Pipe { pipe: u32, version: u32 },
    /// A signalfd: the signals it reads (Linux: `signalfd_ctx.sigmask`).
    Signalfd { mask: u64 },
    /// A process file descriptor (pidfd): the process and its start time.
    Pidfd { pid: u32, start: u64 },
    /// A file or directory of /proc (its contents: `FileTable::proc_snapshot`),
    /// and the PID namespace of the proc instance it was opened through.
    Proc(crate::fs::procfs::Node, crate::fs::procfs::View),
    /// /dev/kmsg; its reader's next record is the offset (see `log::kmsg`).
    Kmsg,
    /// A tracefs control file (see `fs::tracefs`).
    Trace(crate::fs::tracefs::Node),
    /// An eventfd: its counter in `Kernel::eventfds`.
    Eventfd { counter: u32 },
    /// An epoll instance: its interest list in `Kernel::epolls`.
    Epoll { ep: u32 },
    /// A timerfd: its timer in `Kernel::timerfds`.
    Timerfd { timer: u32 },
    /// An AF_UNIX socket: its state in `Kernel::unix`.
    Socket { sock: u32 },
}

impl FileKind {
    /// The ramfs inode whose data and entries this description reads and
    /// writes: a regular file or directory (Linux: a file whose `f_op` is
    /// tmpfs's), not a device or FIFO opened through an inode.
    pub fn data_ino(&self) -> Option<u64> {
        match *self {
            FileKind::Inode(ino) => Some(ino),
            _ => None,
        }
    }

    /// The pipe behind a pipe or FIFO end (Linux: get_pipe_info()).
    pub fn pipe(&self) -> Option<crate::fs::pipe::PipeId> {
        match *self {
            FileKind::Pipe { pipe, .. } => Some(pipe),
            _ => None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct OpenFile {
    pub kind: FileKind,
    /// Status flags (O_APPEND, O_NONBLOCK, access mode, ...).
    pub flags: u32,
    pub offset: u64,
    /// Descriptors (in any table) that refer to this description.
    pub refs: u32,
    /// The inode it was opened through (devices included), holding a
    /// reference; `None` for the console pipe, which has no name.
    pub ino: Option<u64>,
    /// Who gets SIGIO and lease-break signals: F_SETOWN(_EX)'s pid and
    /// its type (Linux: `f_owner.pid`, `pid_type`).
    pub owner: Owner,
    /// F_SETSIG's signal, 0 for SIGIO (Linux: `f_owner.signum`).
    pub signum: u32,
    /// The lease this description holds: F_RDLCK, F_WRLCK or F_UNLCK
    /// (Linux: its `file_lease` on the inode's `flc_lease` list).
    pub lease: u32,
    /// The lease is being broken (`fs::lease`).
    pub lease_break: Option<crate::fs::lease::LeaseBreak>,
    /// The mount namespace (a raw `ns::MntId`) it was opened in: its place
    /// is in that namespace's copy of a mount, which only that namespace's
    /// umount finds busy (Linux: `file->f_path.mnt`).
    pub mnt_ns: u32,
}

/// Linux: `enum pid_type` as F_SETOWN_EX names it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OwnerType {
    /// F_OWNER_TID (PIDTYPE_PID), what a description starts with.
    #[default]
    Tid,
    /// F_OWNER_PID (PIDTYPE_TGID), what F_SETOWN with a positive pid sets.
    Pid,
    /// F_OWNER_PGRP (PIDTYPE_PGID), F_SETOWN with a negative one.
    Pgrp,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Owner {
    pub pid: u32,
    pub kind: OwnerType,
}

impl OpenFile {
    pub fn readable(&self) -> bool {
        self.flags & 3 != crate::abi::O_WRONLY
    }

    pub fn writable(&self) -> bool {
        self.flags & 3 != crate::abi::O_RDONLY
    }
}

/// All open file descriptions in the system.
#[derive(Default)]
pub struct FileTable {
    files: HashMap<FileId, OpenFile>,
    next: FileId,
    /// What the open /proc files read: generated at open, kept with the
    /// description (Linux: the `seq_file` buffer in `file->private_data`).
    proc: BTreeMap<FileId, Snapshot>,
    /// The loaded mount namespace, which new descriptions are opened in
    /// (`Kernel::mnt_switch` keeps it).
    mnt_ns: u32,
}

impl FileTable {
    pub fn new() -> Self {
        FileTable { files: HashMap::default(), next: 1, proc: BTreeMap::new(), mnt_ns: 0 }
    }

    /// A new description with one reference.
    pub fn open(&mut self, kind: FileKind, flags: u32, ino: Option<u64>) -> FileId {
        let id = self.next;
        self.next += 1;
        let (owner, signum, lease) = (Owner::default(), 0, 2);
        let lease_break = None;
        let mnt_ns = self.mnt_ns;
        let f = OpenFile { kind, flags, offset: 0, refs: 1, ino, owner, signum, lease, lease_break, mnt_ns };
        self.files.insert(id, f);
        id
    }

    /// Descriptions opened from now on are in mount namespace `raw`.
    pub fn set_mnt_ns(&mut self, raw: u32) {
        self.mnt_ns = raw;
    }

    pub fn get(&self, id: FileId) -> &OpenFile {
        &self.files[&id]
    }

    /// Description `id`, if it is still open.
    pub fn try_get(&self, id: FileId) -> Option<&OpenFile> {
        self.files.get(&id)
    }

    pub fn get_mut(&mut self, id: FileId) -> &mut OpenFile {
        self.files.get_mut(&id).expect("open file exists")
    }

    /// One more descriptor refers to `id` (Linux: get_file()).
    pub fn get_ref(&mut self, id: FileId) {
        self.get_mut(id).refs += 1;
    }

    /// One descriptor fewer; returns the description when it was the last
    /// (Linux: fput()), so the caller can release what it refers to.
    pub fn put(&mut self, id: FileId) -> Option<OpenFile> {
        let f = self.get_mut(id);
        f.refs -= 1;
        if f.refs == 0 {
            self.proc.remove(&id);
            self.files.remove(&id)
        } else {
            None
        }
    }

    /// Every open description with its id, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (FileId, &OpenFile)> + '_ {
        self.files.iter().map(|(&id, f)| (id, f))
    }

    /// How many descriptions are open (tests check nothing leaks).
    pub fn count(&self) -> usize {
        self.files.len()
    }

    /// The contents of open /proc file `id`, once generated.
    pub fn proc_snapshot(&self, id: FileId) -> Option<&Snapshot> {
        self.proc.get(&id)
    }

    pub fn proc_snapshot_mut(&mut self, id: FileId) -> Option<&mut Snapshot> {
        self.proc.get_mut(&id)
    }

    /// Keep freshly generated contents for open /proc file `id`.
    pub fn set_proc_snapshot(&mut self, id: FileId, data: Vec<u8>) {
        self.proc.insert(id, Snapshot { data, used: false });
    }
}

/// The inode number `fstat` reports for a description without an inode
/// (a pipe end), and /proc/<pid>/fd shows as `pipe:[N]`.
pub fn anon_ino(id: FileId) -> u64 {
    1_000_000 + id as u64
}

/// One descriptor slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fd {
    pub file: FileId,
    pub cloexec: bool,
}

/// A task's descriptor table (Linux: `struct fdtable`). Two bitmaps find
/// the lowest free descriptor without looking at every open one: `open`
/// has a bit per descriptor, `full` a bit per 64-bit word of `open` that
/// has no free bit left (Linux: open_fds and full_fds_bits), so a search
/// skips 4096 open descriptors per word it reads.
#[derive(Clone, Default)]
pub struct FdTable {
    fds: Vec<Option<Fd>>,
    open: Vec<u64>,
    full: Vec<u64>,
}

impl FdTable {
    pub fn new() -> Self {
        FdTable::default()
    }

    pub fn get(&self, fd: i32) -> Result<Fd, Errno> {
        if fd < 0 {
            return Err(EBADF);
        }
        self.fds.get(fd as usize).copied().flatten().ok_or(EBADF)
    }

    /// Install at the lowest free descriptor >= `min` (POSIX's rule),
    /// below `limit` (RLIMIT_NOFILE): EMFILE otherwise.
    pub fn install(&mut self, fd: Fd, min: usize, limit: usize) -> Result<i32, Errno> {
        let slot = self.first_free(min);
        if slot >= limit {
            return Err(EMFILE);
        }
        self.put_at(slot, fd);
        Ok(slot as i32)
    }

    /// Put `fd` at exactly `n`, returning what was there (dup2's close).
    pub fn replace(&mut self, n: usize, fd: Fd) -> Option<Fd> {
        let old = self.fds.get_mut(n).and_then(|s| s.take());
        self.put_at(n, fd);
        old
    }

    pub fn remove(&mut self, fd: i32) -> Result<Fd, Errno> {
        if fd < 0 {
            return Err(EBADF);
        }
        let f = self.fds.get_mut(fd as usize).and_then(|s| s.take()).ok_or(EBADF)?;
        self.mark(fd as usize, false);
        Ok(f)
    }

    fn put_at(&mut self, n: usize, fd: Fd) {
        if n >= self.fds.len() {
            self.fds.resize(n + 1, None);
        }
        self.fds[n] = Some(fd);
        self.mark(n, true);
    }

    /// Keep the bitmaps in step with slot `n`.
    fn mark(&mut self, n: usize, used: bool) {
        let (w, b) = (n / 64, n % 64);
        if w >= self.open.len() {
            self.open.resize(w + 1, 0);
            self.full.resize(self.open.len().div_ceil(64), 0);
        }
        if used {
            self.open[w] |= 1 << b;
        } else {
            self.open[w] &= !(1 << b);
        }
        let full_bit = 1u64 << (w % 64);
        if self.open[w] == u64::MAX {
            self.full[w / 64] |= full_bit;
        } else {
            self.full[w / 64] &= !full_bit;
        }
    }

    /// The lowest descriptor >= `min` that is not open (Linux:
    /// find_next_fd()); past the end of the table when all below are.
    fn first_free(&self, min: usize) -> usize {
        let mut w = min / 64;
        // Bits below `min` in its own word count as taken.
        let mut below = (1u64 << (min % 64)) - 1;
        loop {
            let Some(&word) = self.open.get(w) else { return (w * 64).max(min) };
            let word = word | below;
            if word != u64::MAX {
                return w * 64 + (!word).trailing_zeros() as usize;
            }
            below = 0;
            // The next word of `open` with a free bit, by `full`.
            w += 1;
            loop {
                let Some(&f) = self.full.get(w / 64) else { return w * 64 };
                let f = f | ((1u64 << (w % 64)) - 1);
                if f != u64::MAX {
                    w = (w / 64) * 64 + (!f).trailing_zeros() as usize;
                    break;
                }
                w = (w / 64 + 1) * 64;
            }
        }
    }

    pub fn set_cloexec(&mut self, fd: i32, on: bool) -> Result<(), Errno> {
        match self.fds.get_mut(fd as usize) {
            Some(Some(f)) if fd >= 0 => {
                f.cloexec = on;
                Ok(())
            }
            _ => Err(EBADF),
        }
    }

    /// Slots the table has grown to (for /proc/<pid>/status FDSize).
    pub fn slots(&self) -> usize {
        self.fds.len()
    }

    /// Every open descriptor with its number.
    pub fn iter(&self) -> impl Iterator<Item = (i32, Fd)> + '_ {
        self.fds.iter().enumerate().filter_map(|(i, f)| f.map(|f| (i as i32, f)))
    }

    /// Remove and return all descriptors (exit) or only close-on-exec ones.
    pub fn drain(&mut self, only_cloexec: bool) -> Vec<Fd> {
        let mut out = Vec::new();
        for n in 0..self.fds.len() {
            if let Some(f) = self.fds[n] {
                if !only_cloexec || f.cloexec {
                    out.push(f);
                    self.fds[n] = None;
                    self.mark(n, false);
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod fd_tests {
    use super::*;

    fn fd() -> Fd {
        Fd { file: 1, cloexec: false }
    }

    /// The bitmaps agree with a plain scan of the slots, after installs,
    /// removals and replacements across several words.
    #[test]
    fn lowest_free_matches_a_scan() {
        let mut t = FdTable::new();
        let scan = |t: &FdTable, min: usize| (min..).find(|&i| t.get(i as i32).is_err()).unwrap();
        for _ in 0..5000 {
            t.install(fd(), 0, usize::MAX).unwrap();
        }
        let mut x = 12345u64;
        for step in 0..20000 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let n = (x >> 33) as usize % 6000;
            match step % 3 {
                0 => {
                    let _ = t.remove(n as i32);
                }
                1 => {
                    t.replace(n, fd());
                }
                _ => {
                    let want = scan(&t, n);
                    assert_eq!(t.install(fd(), n, usize::MAX), Ok(want as i32));
                }
            }
            assert_eq!(t.first_free(0), scan(&t, 0));
        }
        assert_eq!(t.install(fd(), 0, 0), Err(EMFILE));
        let all = t.drain(false).len();
        assert!(all > 0);
        assert_eq!(t.first_free(0), 0);
        assert_eq!(t.first_free(4097), 4097);
    }
}
