//! File calls (Linux: fs/open.c, fs/read_write.c, fs/stat.c, fs/namei.c,
//! fs/fcntl.c, fs/ioctl.c, fs/readdir.c, fs/d_path.c).
//!
//! Paths are resolved by `fs::RamFs`; these handlers turn descriptors into
//! open file descriptions, check what every file shares (access mode,
//! O_PATH, user buffers), and leave the rest to the file's `fs::ops::FileOps`.

use alloc::vec;
use alloc::vec::Vec;

use crate::abi::*;
use crate::fs::file::{Fd, FileId, FileKind};
use crate::fs::namei::{Held, Path};
use crate::fs::ops::CHUNK;
use crate::fs::perm::{self, MAY_EXEC, MAY_READ, MAY_WRITE};
use crate::fs::procfs;
use crate::fs::{FileType, FsCred, Ino, Lookup, DEV_CONSOLE, DEV_NULL, DEV_TTY, DEV_TTYS0, DEV_ZERO};
use crate::kernel::Kernel;

/// Linux: MAX_RW_COUNT, the most one read or write moves.
const MAX_RW: u64 = 0x7fff_f000;
/// Linux: UIO_MAXIOV.
const IOV_MAX: u64 = 1024;

impl Kernel {
    /// The description behind descriptor `fd` of the current task.
    pub fn fd_file(&self, fd: i32) -> SysResult<FileId> {
        Ok(self.cur_files().get(fd)?.file)
    }

    /// Drop a descriptor's reference to an open file description; the last
    /// one releases its inode (Linux: fput() → __fput()).
    pub fn release_file(&mut self, id: FileId) {
        let socket = matches!(self.vfs.files().try_get(id).map(|f| &f.kind), Some(FileKind::Socket { .. }));
        if let Some(f) = self.vfs.files_mut().put(id) {
            self.locks_remove_file(id, &f);
            if let Some(ino) = self.holds_write_access(&f) {
                self.vfs.fs_mut().put_write_access(ino);
            }
            if let Some(ino) = f.ino {
                self.vfs.fs_mut().iput(ino);
            }
            f.kind.ops().release(self, id, &f);
        }
        // A socket with a reference less may leave others only in flight.
        if socket {
            self.unix_gc();
        }
    }

    /// The regular file whose write count description `f` holds: one
    /// opened for writing (not O_PATH). Linux: FMODE_WRITER.
    fn holds_write_access(&self, f: &crate::fs::file::OpenFile) -> Option<Ino> {
        f.kind.data_ino().filter(|&ino| {
            f.writable()
                && f.flags & O_PATH == 0
                && self.vfs.fs().inode(ino).is_ok_and(|i| i.file_type() == FileType::Regular)
        })
    }

    /// Install a new descriptor for `file` at the lowest free number.
    pub(crate) fn install_fd(&mut self, file: FileId, cloexec: bool, min: usize) -> SysResult {
        let limit = self.rlimit(RLIMIT_NOFILE).cur.min(1 << 20) as usize;
        let files = self.cur().files;
        let table = self.vfs.fdtables_mut().get_mut(files);
        match table.install(Fd { file, cloexec }, min, limit) {
            Ok(fd) => Ok(fd as usize),
            Err(e) => {
                self.release_file(file);
                Err(e)
            }
        }
    }

    /// What the current task's file accesses are checked against: its fs
    /// ids, groups and effective capabilities (Linux: current_cred()).
    pub fn fs_cred(&self) -> FsCred {
        self.fs_cred_of(self.sched.current().expect("a current task"))
    }

    /// [`fs_cred`](Self::fs_cred) of task `pid`.
    pub fn fs_cred_of(&self, pid: crate::proc::Pid) -> FsCred {
        let t = &self.proc.tasks()[&pid];
        // The capabilities hold over the files whose owner and group the
        // task's user namespace maps (`scope`; Linux:
        // capable_wrt_inode_uidgid()).
        let scope = self.ns.user.scope(t.cred.user_ns);
        FsCred {
            uid: t.cred.fsuid,
            gid: t.cred.fsgid,
            groups: Some(t.groups.clone()),
            caps: t.cred.caps.effective,
            scope,
        }
    }

    pub fn now_real(&self) -> u64 {
        self.m.clock.boot_epoch_ns() + self.now_ns()
    }

    /// The place a `*at()` path starts from, for the RAM file system's
    /// own walk (Linux: path_init()): the cwd, or a descriptor's
    /// directory in the mount that shows it (an open file keeps no mount
    /// yet). A cwd in proc is a node the RAM store does not have, so that
    /// a relative path from there (which only the calls proc does not
    /// answer yet get) finds nothing.
    pub(crate) fn start_dir(&self, dirfd: i32, path: &[u8]) -> SysResult<Path> {
        if path.first() == Some(&b'/') || dirfd == AT_FDCWD {
            return Ok(self.cur_fs().cwd.at);
        }
        let f = self.vfs.files().get(self.fd_file(dirfd)?);
        let at = |ino: Ino| Path::new(self.vfs.fs().mount_at(ino), ino);
        match f.ino {
            Some(ino) if self.vfs.fs().inode(ino)?.is_dir() => Ok(at(ino)),
            _ if path.is_empty() => Ok(at(f.ino.unwrap_or(0))),
            _ => Err(ENOTDIR),
        }
    }

    fn user_path(&mut self, addr: u64) -> SysResult<Vec<u8>> {
        self.read_cstr(addr, 4096)
    }
}

/// Linux: do_sys_openat2().
pub fn openat(k: &mut Kernel, dirfd: i32, path: u64, flags: u32, mode: u32) -> SysResult {
    let path = k.user_path(path)?;
    // Linux: get_unused_fd_flags() comes before the file is opened (or
    // created): EMFILE leaves the file system untouched.
    k.check_fd_free()?;
    match procfs::open(k, dirfd, &path, flags)? {
        Some(procfs::Opened::File(id)) => return k.install_fd(id, flags & O_CLOEXEC != 0, 0),
        Some(procfs::Opened::Ino(ino)) => return open_inode(k, ino, flags),
        None => {}
    }
    let start = k.start_dir(dirfd, &path)?;
    let umask = k.cur_fs().umask;
    let now = k.now_real();
    let cred = k.fs_cred();
    if k.vfs.lease_holders() > 0 {
        // Linux: do_dentry_open() → break_lease(), before O_TRUNC
        // truncates.
        let follow = if flags & O_NOFOLLOW != 0 { Lookup::empty() } else { Lookup::FOLLOW };
        if let Ok(ino) = k.vfs.fs().lookup(&cred, start, &path, follow) {
            if k.vfs.fs().inode(ino)?.file_type() == FileType::Regular && flags & O_PATH == 0 {
                let write = flags & O_ACCMODE != O_RDONLY || flags & O_TRUNC != 0;
                k.break_lease(ino, write, flags & O_NONBLOCK != 0)?;
            }
        }
    }
    let ino = k.vfs.fs_mut().open(&cred, start, &path, flags, mode & 0o7777 & !umask, now)?;
    k.file_truncated(ino);
    open_inode(k, ino, flags)
}

/// Give opened inode `ino` (holding its reference) an open file
/// description and a descriptor.
fn open_inode(k: &mut Kernel, ino: Ino, flags: u32) -> SysResult {
    let inode = k.vfs.fs().inode(ino)?;
    let kind = match (inode.file_type(), inode.rdev()) {
        (FileType::CharDevice, DEV_NULL) => FileKind::Null,
        (FileType::CharDevice, DEV_ZERO) => FileKind::Zero,
        (FileType::CharDevice, crate::log::kmsg::DEV_KMSG) => match crate::log::kmsg::open(k, flags) {
            Ok(_) => FileKind::Kmsg,
            Err(e) => {
                k.vfs.fs_mut().iput(ino);
                return Err(e);
            }
        },
        // /dev/tty is the caller's controlling terminal (Linux:
        // tty_open_current_tty()); ENXIO without one.
        (FileType::CharDevice, DEV_TTY) if !k.has_ctty() => {
            k.vfs.fs_mut().iput(ino);
            return Err(ENXIO);
        }
        // /dev/console and /dev/ttyS0 are the one terminal Tine has.
        (FileType::CharDevice, DEV_TTY | DEV_CONSOLE | DEV_TTYS0) => FileKind::Console,
        (FileType::CharDevice, _) => {
            k.vfs.fs_mut().iput(ino);
            return Err(ENXIO);
        }
        (FileType::Fifo, _) if flags & O_PATH == 0 => {
            let id = super::pipe::fifo_open(k, ino, flags)?;
            return k.install_fd(id, flags & O_CLOEXEC != 0, 0);
        }
        (FileType::Regular, _) if flags & O_PATH == 0 && k.vfs.tracefs().node(ino).is_some() => {
            let node = k.vfs.tracefs().node(ino).expect("checked");
            crate::fs::tracefs::files::open(k, node, flags);
            FileKind::Trace(node)
        }
        _ => FileKind::Inode(ino),
    };
    // Linux: build_open_flags(): O_PATH keeps only its own few flags.
    let keep = if flags & O_PATH != 0 {
        O_PATH | O_DIRECTORY | O_NOFOLLOW
    } else {
        O_ACCMODE | O_APPEND | O_NONBLOCK | O_DIRECTORY | O_NOFOLLOW | O_LARGEFILE
    };
    let id = k.vfs.files_mut().open(kind, flags & keep, Some(ino));
    if let Some(ino) = k.holds_write_access(k.vfs.files().get(id)) {
        // Also reached from /proc/self/exe, which ramfs::open never saw.
        if let Err(e) = k.vfs.fs_mut().get_write_access(ino) {
            let _ = k.vfs.files_mut().put(id);
            k.vfs.fs_mut().iput(ino);
            return Err(e);
        }
    }
    k.install_fd(id, flags & O_CLOEXEC != 0, 0)
}

pub fn close(k: &mut Kernel, fd: i32) -> SysResult {
    let files = k.cur().files;
    let entry = k.vfs.fdtables_mut().get_mut(files).remove(fd)?;
    k.filp_close(entry.file, files);
    Ok(0)
}

/// close_range(2): close descriptors `first..=last` (as far as the table
/// goes), or mark them close-on-exec with CLOSE_RANGE_CLOEXEC; with
/// CLOSE_RANGE_UNSHARE a table shared by CLONE_FILES is copied first, so
/// that the other sharers keep theirs. Linux: __close_range().
pub fn close_range(k: &mut Kernel, first: u32, last: u32, flags: u32) -> SysResult {
    const CLOSE_RANGE_UNSHARE: u32 = 1 << 1;
    const CLOSE_RANGE_CLOEXEC: u32 = 1 << 2;
    if flags & !(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC) != 0 || first > last {
        return Err(EINVAL);
    }
    if flags & CLOSE_RANGE_UNSHARE != 0 {
        let tid = k.cur().tid;
        crate::proc::exec::unshare_files(k, tid);
    }
    let files = k.cur().files;
    let end = (last as usize).min(k.vfs.fdtables().get(files).slots().saturating_sub(1));
    for fd in first as usize..=end {
        let fd = fd as i32;
        if flags & CLOSE_RANGE_CLOEXEC != 0 {
            let _ = k.vfs.fdtables_mut().get_mut(files).set_cloexec(fd, true);
        } else if let Ok(entry) = k.vfs.fdtables_mut().get_mut(files).remove(fd) {
            k.filp_close(entry.file, files);
        }
    }
    Ok(0)
}

/// fallocate(2) on the RAM file system, as tmpfs's shmem_fallocate():
/// mode 0 makes the file at least `off + len` long, KEEP_SIZE reserves
/// nothing it would not anyway, PUNCH_HOLE (with KEEP_SIZE) zeroes the
/// range inside the file; the other modes are EOPNOTSUPP. The checks come
/// in vfs_fallocate()'s order.
/// Linux: fadvise64() on tmpfs-like files (generic_fadvise() with a
/// backing device that does no I/O): the advice is checked and otherwise
/// ignored. ESPIPE for a pipe, EINVAL for a negative length or unknown
/// advice.
pub fn fadvise64(k: &mut Kernel, fd: i32, _off: i64, len: i64, advice: i32) -> SysResult {
    const POSIX_FADV_NOREUSE: i32 = 5;
    let id = k.fd_file(fd)?;
    let f = k.vfs.files().get(id);
    if f.flags & O_PATH != 0 {
        return Err(EBADF);
    }
    if matches!(f.kind, FileKind::Pipe { .. } | FileKind::ConsolePipe) {
        return Err(ESPIPE);
    }
    if len < 0 || !(0..=POSIX_FADV_NOREUSE).contains(&advice) {
        return Err(EINVAL);
    }
    Ok(0)
}

pub fn fallocate(k: &mut Kernel, fd: i32, mode: u32, off: i64, len: i64) -> SysResult {
    const KEEP_SIZE: u32 = 0x01;
    const PUNCH_HOLE: u32 = 0x02;
    const COLLAPSE_RANGE: u32 = 0x08;
    const ZERO_RANGE: u32 = 0x10;
    const INSERT_RANGE: u32 = 0x20;
    const UNSHARE_RANGE: u32 = 0x40;
    const SUPPORTED: u32 = KEEP_SIZE | PUNCH_HOLE | COLLAPSE_RANGE | ZERO_RANGE | INSERT_RANGE | UNSHARE_RANGE;
    let id = k.fd_file(fd)?;
    if off < 0 || len <= 0 {
        return Err(EINVAL);
    }
    if mode & !SUPPORTED != 0
        || mode & (PUNCH_HOLE | ZERO_RANGE) == PUNCH_HOLE | ZERO_RANGE
        || (mode & PUNCH_HOLE != 0 && mode & KEEP_SIZE == 0)
    {
        return Err(EOPNOTSUPP);
    }
    if mode & (COLLAPSE_RANGE | INSERT_RANGE) != 0 && mode != COLLAPSE_RANGE && mode != INSERT_RANGE {
        return Err(EINVAL);
    }
    let f = k.vfs.files().get(id).clone();
    if !f.writable() || f.flags & O_PATH != 0 {
        return Err(EBADF);
    }
    let ino = match (f.kind.data_ino(), f.kind.pipe()) {
        (_, Some(_)) => return Err(ESPIPE),
        (Some(ino), _) => ino,
        _ => return Err(ENODEV),
    };
    match k.vfs.fs().inode(ino)?.file_type() {
        FileType::Regular => {}
        FileType::Directory => return Err(EISDIR),
        FileType::Fifo => return Err(ESPIPE),
        _ => return Err(ENODEV),
    }
    let end = off.checked_add(len).ok_or(EFBIG)?;
    if end as u64 > crate::fs::ramfs::MAX_FILE_SIZE {
        return Err(EFBIG);
    }
    // shmem_fallocate() knows only these.
    if mode & !(KEEP_SIZE | PUNCH_HOLE) != 0 {
        return Err(EOPNOTSUPP);
    }
    let size = k.vfs.fs().inode(ino)?.size();
    let now = k.now_real();
    if mode & PUNCH_HOLE != 0 {
        // Zeroes where the file has data; never past its end.
        let (lo, hi) = (off as u64, (end as u64).min(size));
        if lo < hi {
            let zeros = vec![0u8; (hi - lo).min(CHUNK as u64) as usize];
            let mut at = lo;
            while at < hi {
                let n = ((hi - at) as usize).min(zeros.len());
                k.file_write(ino, at, &zeros[..n], now)?;
                at += n as u64;
            }
        }
    } else if mode & KEEP_SIZE == 0 && end as u64 > size {
        k.fsize_truncate_check(ino, end as u64)?;
        k.file_truncate(ino, end as u64, now)?;
    }
    Ok(0)
}

/// Read `len` bytes into user memory at `buf` (at `pos`, or the file
/// offset when `None`) through the file's `read_iter` (Linux: vfs_read()).
fn do_read(k: &mut Kernel, fd: i32, buf: u64, len: u64, pos: Option<u64>) -> SysResult {
    let id = k.fd_file(fd)?;
    // Linux: vfs_read(): EBADF, then EFAULT, before anything is read.
    let f = k.vfs.files().get(id);
    if !f.readable() || f.flags & O_PATH != 0 {
        return Err(EBADF);
    }
    crate::mm::uaccess::access_ok(buf, len as usize)?;
    let len = len.min(MAX_RW) as usize;
    f.kind.ops().read_iter(k, id, buf, len, pos)
}

fn do_write(k: &mut Kernel, fd: i32, buf: u64, len: u64, pos: Option<u64>) -> SysResult {
    let id = k.fd_file(fd)?;
    let f = k.vfs.files().get(id);
    if !f.writable() {
        return Err(EBADF);
    }
    crate::mm::uaccess::access_ok(buf, len as usize)?;
    let len = len.min(MAX_RW) as usize;
    // A blocking write that had written part of its data when it had to
    // sleep runs again from where it stopped (Linux's pipe_write() keeps
    // going until all is written).
    let mut done = k.cur_mut().resume.take_written();
    // A signal that ends the wait ends the call with what was written.
    let tid = k.cur().tid;
    if done > 0 && k.deliverable(tid) != 0 {
        return Ok(done);
    }
    let mut chunk = crate::fs::ops::Bounce::new(len);
    while done < len {
        let n = (len - done).min(CHUNK);
        if let Err(e) = k.copy_in(buf + done as u64, &mut chunk[..n]) {
            return if done == 0 { Err(e) } else { Ok(done) };
        }
        let f = k.vfs.files().get(id).clone();
        let ops = f.kind.ops();
        let off = match (pos, f.kind.data_ino()) {
            (Some(p), _) => p + done as u64,
            (None, Some(ino)) if f.flags & O_APPEND != 0 => k.vfs.fs().inode(ino)?.size(),
            (None, _) => f.offset,
        };
        // RLIMIT_FSIZE: a short write up to the limit, EFBIG past it.
        let n = k.fsize_limit(f.kind, off, n, done)?;
        if n == 0 {
            break;
        }
        // After some progress an error (or a wait) ends the call with the
        // count so far: running it again would write those bytes twice.
        if f.flags & O_PATH != 0 {
            return Err(EBADF);
        }
        let w = match ops.write(k, id, off, &chunk[..n]) {
            Ok(w) => w,
            Err(ERESTARTNOINTR) if done > 0 => {
                k.cur_mut().resume = crate::proc::Resume::Written(done);
                return Err(ERESTARTNOINTR);
            }
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        };
        if pos.is_none() && ops.seekable() {
            k.vfs.files_mut().get_mut(id).offset = off + w as u64;
        }
        done += w;
        if w < n {
            break;
        }
    }
    Ok(done)
}

pub fn read(k: &mut Kernel, fd: i32, buf: u64, len: u64) -> SysResult {
    do_read(k, fd, buf, len, None)
}

pub fn write(k: &mut Kernel, fd: i32, buf: u64, len: u64) -> SysResult {
    do_write(k, fd, buf, len, None)
}

fn positional(k: &mut Kernel, fd: i32, off: i64) -> SysResult<u64> {
    let id = k.fd_file(fd)?;
    if off < 0 {
        return Err(EINVAL);
    }
    if !k.vfs.files().get(id).kind.ops().seekable() {
        return Err(ESPIPE);
    }
    Ok(off as u64)
}

pub fn pread(k: &mut Kernel, fd: i32, buf: u64, len: u64, off: i64) -> SysResult {
    let pos = positional(k, fd, off)?;
    do_read(k, fd, buf, len, Some(pos))
}

pub fn pwrite(k: &mut Kernel, fd: i32, buf: u64, len: u64, off: i64) -> SysResult {
    let pos = positional(k, fd, off)?;
    do_write(k, fd, buf, len, Some(pos))
}

/// Read and check an iovec array (Linux: import_iovec()).
fn read_iovecs(k: &mut Kernel, iov: u64, cnt: u64) -> SysResult<Vec<(u64, u64)>> {
    if cnt > IOV_MAX {
        return Err(EINVAL);
    }
    let mut out = Vec::with_capacity(cnt as usize);
    let mut total: u64 = 0;
    for i in 0..cnt {
        let base = k.read_u64(iov + i * 16)?;
        let len = k.read_u64(iov + i * 16 + 8)?;
        if len as i64 <= -1 {
            return Err(EINVAL);
        }
        total = total.checked_add(len).filter(|t| *t <= i64::MAX as u64).ok_or(EINVAL)?;
        crate::mm::uaccess::access_ok(base, len as usize)?;
        out.push((base, len));
    }
    Ok(out)
}

/// The loop readv and writev share (Linux: do_iter_readv_writev()): one
/// segment after another until one comes up short.
fn vectored(
    k: &mut Kernel,
    fd: i32,
    iov: u64,
    cnt: u64,
    io: fn(&mut Kernel, i32, u64, u64, Option<u64>) -> SysResult,
) -> SysResult {
    k.fd_file(fd)?;
    let v = read_iovecs(k, iov, cnt)?;
    let mut done = 0;
    for (base, len) in v {
        let n = match io(k, fd, base, len, None) {
            Ok(n) => n,
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        };
        done += n;
        if (n as u64) < len {
            break;
        }
    }
    Ok(done)
}

pub fn readv(k: &mut Kernel, fd: i32, iov: u64, cnt: u64) -> SysResult {
    vectored(k, fd, iov, cnt, do_read)
}

pub fn writev(k: &mut Kernel, fd: i32, iov: u64, cnt: u64) -> SysResult {
    vectored(k, fd, iov, cnt, do_write)
}

/// Linux: vfs_llseek(): the file's own llseek.
pub fn lseek(k: &mut Kernel, fd: i32, off: i64, whence: u32) -> SysResult {
    let id = k.fd_file(fd)?;
    k.vfs.files().get(id).kind.ops().llseek(k, id, off, whence)
}

/// The end of every lseek: the new offset, EINVAL if it overflowed or is
/// negative (Linux: vfs_setpos()).
pub(crate) fn set_offset(k: &mut Kernel, id: FileId, new: Option<i64>) -> SysResult {
    match new {
        Some(n) if n >= 0 => {
            k.vfs.files_mut().get_mut(id).offset = n as u64;
            Ok(n as usize)
        }
        _ => Err(EINVAL),
    }
}

/// The stat of an open description (Linux: vfs_getattr()).
fn stat_file(k: &Kernel, id: FileId) -> SysResult<Stat> {
    k.vfs.files().get(id).kind.ops().stat(k, id)
}

pub fn fstat(k: &mut Kernel, fd: i32, buf: u64) -> SysResult {
    let mut st = stat_file(k, k.fd_file(fd)?)?;
    k.stat_ids_to_user(&mut st.st_uid, &mut st.st_gid);
    k.copy_out(buf, &st.to_bytes())?;
    Ok(0)
}

/// What a `*at()` path names.
pub(super) enum At {
    /// A RAM inode, and the mount the walk reached it through.
    Ino(Path),
    /// An open file description (AT_EMPTY_PATH, or /proc/<pid>/fd/N on a pipe).
    File(FileId),
    Proc(procfs::Node),
}

/// Resolve a `*at()` path with AT_SYMLINK_NOFOLLOW / AT_EMPTY_PATH.
pub(super) fn resolve_at(k: &mut Kernel, dirfd: i32, path: u64, flags: u32) -> SysResult<At> {
    let cred = k.fs_cred();
    resolve_at_as(k, &cred, dirfd, path, flags)
}

/// [`resolve_at`] with the directories searched as `cred`.
fn resolve_at_as(k: &mut Kernel, cred: &FsCred, dirfd: i32, path: u64, flags: u32) -> SysResult<At> {
    let path = k.user_path(path)?;
    if path.is_empty() && flags & AT_EMPTY_PATH != 0 {
        if dirfd == AT_FDCWD {
            return Ok(match procfs::cwd_target(k, k.cur_fs().cwd.at)? {
                procfs::Target::Proc(node) => At::Proc(node),
                _ => At::Ino(k.cur_fs().cwd.at),
            });
        }
        let id = k.fd_file(dirfd)?;
        if let Some(node) = procfs::node_of_file(k, id) {
            return Ok(At::Proc(node));
        }
        return Ok(At::File(id));
    }
    match procfs::lookup_at(k, dirfd, &path, flags & AT_SYMLINK_NOFOLLOW == 0)? {
        Some(procfs::Target::Ino(ino)) => return Ok(At::Ino(Path::new(k.vfs.fs().mount_at(ino), ino))),
        Some(procfs::Target::File(id)) => return Ok(At::File(id)),
        Some(procfs::Target::Proc(node)) => return Ok(At::Proc(node)),
        None => {}
    }
    let start = k.start_dir(dirfd, &path)?;
    let mut lf = Lookup::empty();
    if flags & AT_SYMLINK_NOFOLLOW == 0 {
        lf |= Lookup::FOLLOW;
    }
    Ok(At::Ino(k.vfs.fs().lookup_mnt(cred, start, &path, lf)?.into()))
}

pub fn fstatat(k: &mut Kernel, dirfd: i32, path: u64, buf: u64, flags: u32) -> SysResult {
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT) != 0 {
        return Err(EINVAL);
    }
    let mut st = match resolve_at(k, dirfd, path, flags)? {
        At::Ino(at) => k.vfs.fs().stat(at.node)?,
        At::File(id) => stat_file(k, id)?,
        At::Proc(node) => procfs::stat(k, node),
    };
    k.stat_ids_to_user(&mut st.st_uid, &mut st.st_gid);
    k.copy_out(buf, &st.to_bytes())?;
    Ok(0)
}

/// Linux: statx(). All basic fields are always filled.
pub fn statx(k: &mut Kernel, dirfd: i32, path: u64, flags: u32, mask: u32, buf: u64) -> SysResult {
    const AT_STATX_SYNC_TYPE: u32 = 0x6000;
    const STATX_RESERVED: u32 = 0x8000_0000;
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE) != 0
        || flags & AT_STATX_SYNC_TYPE == AT_STATX_SYNC_TYPE
        || mask & STATX_RESERVED != 0
    {
        return Err(EINVAL);
    }
    let mut stx = match resolve_at(k, dirfd, path, flags)? {
        At::Ino(at) => k.vfs.fs().statx(at.node)?,
        At::File(id) => match k.vfs.files().get(id).ino {
            Some(ino) => k.vfs.fs().statx(ino)?,
            None => Statx::from_stat(&stat_file(k, id)?),
        },
        At::Proc(node) => Statx::from_stat(&procfs::stat(k, node)),
    };
    k.stat_ids_to_user(&mut stx.stx_uid, &mut stx.stx_gid);
    k.copy_out(buf, &stx.to_bytes())?;
    Ok(0)
}

/// Linux: faccessat2(). The question is asked for the real ids, as a
/// set-user-ID program wants to know what its user may do, unless
/// AT_EACCESS asks for the effective ones; the path is walked with the
/// same ids.
pub fn faccessat(k: &mut Kernel, dirfd: i32, path: u64, mode: u32, flags: u32) -> SysResult {
    const AT_EACCESS: u32 = 0x200;
    if mode & !7 != 0 || flags & !(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(EINVAL);
    }
    let mut cred = k.fs_cred();
    if flags & AT_EACCESS == 0 {
        cred = access_cred(k);
    }
    let ino = match resolve_at_as(k, &cred, dirfd, path, flags)? {
        At::Ino(at) => at.node,
        At::File(id) => k.vfs.files().get(id).ino.ok_or(EACCES)?,
        At::Proc(node) => return procfs::access(k, node, mode),
    };
    perm::inode_permission(&cred, k.vfs.fs().inode(ino)?, mode & (MAY_READ | MAY_WRITE | MAY_EXEC))?;
    Ok(0)
}

/// The credentials access(2) checks with: the real uid and gid as fs ids,
/// and root's capabilities only for a real uid that is the root of the
/// caller's user namespace (its permitted set), none for anyone else.
/// Linux: access_override_creds().
fn access_cred(k: &Kernel) -> FsCred {
    use crate::ns::user::IdKind;
    use crate::proc::capability::SECBIT_NO_SETUID_FIXUP;
    let c = k.cur().cred;
    let mut cred = k.fs_cred();
    cred.uid = c.uid;
    cred.gid = c.gid;
    if c.caps.securebits & SECBIT_NO_SETUID_FIXUP == 0 {
        let root = k.ns.user.make_kid(c.user_ns, IdKind::Uid, 0);
        cred.caps = if root == Some(c.uid) { c.caps.permitted } else { 0 };
    }
    cred
}

/// Linux: do_vfs_ioctl(): the requests every descriptor takes, then the
/// file's own: the terminal ioctls on the console (see `fs::tty`),
/// FIONREAD on pipes and regular files; ENOTTY for anything else.
pub fn ioctl(k: &mut Kernel, fd: i32, req: u64, arg: u64) -> SysResult {
    let id = k.fd_file(fd)?;
    // The request number is an unsigned int.
    let cmd = req as u32;
    let f = k.vfs.files().get(id).clone();
    if f.flags & O_PATH != 0 {
        return Err(EBADF);
    }
    match cmd {
        FIOCLEX | FIONCLEX => {
            let files = k.cur().files;
            k.vfs.fdtables_mut().get_mut(files).set_cloexec(fd, cmd == FIOCLEX)?;
            return Ok(0);
        }
        FIONBIO => {
            let mut b = [0u8; 4];
            k.copy_in(arg, &mut b)?;
            let on = i32::from_le_bytes(b) != 0;
            let f = k.vfs.files_mut().get_mut(id);
            f.flags = if on { f.flags | O_NONBLOCK } else { f.flags & !O_NONBLOCK };
            return Ok(0);
        }
        _ => {}
    }
    f.kind.ops().ioctl(k, id, cmd, arg)
}

pub fn dup(k: &mut Kernel, fd: i32) -> SysResult {
    let id = k.fd_file(fd)?;
    k.vfs.files_mut().get_ref(id);
    k.install_fd(id, false, 0)
}

pub fn dup2(k: &mut Kernel, old: i32, new: i32) -> SysResult {
    if old == new {
        // Linux: dup2 to itself only checks that the descriptor is open.
        k.fd_file(old)?;
        return Ok(new as usize);
    }
    dup3(k, old, new, 0)
}

/// Linux: dup3(): like dup2 but EINVAL for equal descriptors or flags
/// other than O_CLOEXEC.
pub fn dup3(k: &mut Kernel, old: i32, new: i32, flags: u32) -> SysResult {
    if flags & !O_CLOEXEC != 0 || old == new {
        return Err(EINVAL);
    }
    let limit = k.rlimit(RLIMIT_NOFILE).cur;
    if new < 0 || new as u64 >= limit {
        return Err(EBADF);
    }
    let id = k.fd_file(old)?;
    k.vfs.files_mut().get_ref(id);
    let files = k.cur().files;
    let prev =
        k.vfs.fdtables_mut().get_mut(files).replace(new as usize, Fd { file: id, cloexec: flags & O_CLOEXEC != 0 });
    if let Some(p) = prev {
        k.filp_close(p.file, files);
    }
    Ok(new as usize)
}

/// Linux: do_fcntl(), the descriptor and status-flag commands.
pub fn fcntl(k: &mut Kernel, fd: i32, cmd: u32, arg: u64) -> SysResult {
    const F_DUPFD: u32 = 0;
    const F_GETFD: u32 = 1;
    const F_SETFD: u32 = 2;
    const F_GETFL: u32 = 3;
    const F_SETFL: u32 = 4;
    const F_DUPFD_CLOEXEC: u32 = 1030;
    use crate::fs::lock::{F_GETLK, F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW, F_SETLK, F_SETLKW};
    let id = k.fd_file(fd)?;
    let files = k.cur().files;
    // An O_PATH descriptor only takes the descriptor commands (Linux:
    // check_fcntl_cmd()).
    if k.vfs.files().get(id).flags & O_PATH != 0
        && !matches!(cmd, F_DUPFD | F_DUPFD_CLOEXEC | F_GETFD | F_SETFD | F_GETFL)
    {
        return Err(EBADF);
    }
    match cmd {
        F_GETLK | F_SETLK | F_SETLKW | F_OFD_GETLK | F_OFD_SETLK | F_OFD_SETLKW => {
            crate::fs::lock::fcntl_lock(k, id, cmd, arg)
        }
        super::pipe::F_SETPIPE_SZ | super::pipe::F_GETPIPE_SZ => super::pipe::pipe_fcntl(k, id, cmd, arg),
        crate::fs::memfd::F_ADD_SEALS | crate::fs::memfd::F_GET_SEALS => crate::fs::memfd::seal_fcntl(k, id, cmd, arg),
        super::fcntl::F_SETOWN
        | super::fcntl::F_GETOWN
        | super::fcntl::F_SETSIG
        | super::fcntl::F_GETSIG
        | super::fcntl::F_SETOWN_EX
        | super::fcntl::F_GETOWN_EX
        | super::fcntl::F_SETLEASE
        | super::fcntl::F_GETLEASE => super::fcntl::fcntl_owner(k, id, cmd, arg),
        F_DUPFD | F_DUPFD_CLOEXEC => {
            let limit = k.rlimit(RLIMIT_NOFILE).cur;
            if arg >= limit {
                return Err(EINVAL);
            }
            k.vfs.files_mut().get_ref(id);
            k.install_fd(id, cmd == F_DUPFD_CLOEXEC, arg as usize)
        }
        F_GETFD => Ok(k.vfs.fdtables().get(files).get(fd)?.cloexec as usize),
        F_SETFD => {
            k.vfs.fdtables_mut().get_mut(files).set_cloexec(fd, arg & 1 != 0)?;
            Ok(0)
        }
        F_GETFL => Ok(crate::fs::procfs::fdinfo::f_flags(k.vfs.files().get(id)) as usize),
        F_SETFL => {
            let settable = O_APPEND | O_NONBLOCK | O_DIRECT | O_NOATIME | FASYNC;
            let f = k.vfs.files_mut().get_mut(id);
            f.flags = (f.flags & !settable) | (arg as u32 & settable);
            Ok(0)
        }
        _ => Err(EINVAL),
    }
}

pub fn fsync(k: &mut Kernel, fd: i32) -> SysResult {
    let id = k.fd_file(fd)?;
    k.vfs.files().get(id).kind.ops().fsync(k, id)
}

pub fn ftruncate(k: &mut Kernel, fd: i32, len: i64) -> SysResult {
    let id = k.fd_file(fd)?;
    let f = k.vfs.files().get(id).clone();
    if len < 0 {
        return Err(EINVAL);
    }
    match f.kind.data_ino() {
        Some(ino) if f.writable() && !k.vfs.fs().inode(ino)?.is_dir() => {
            k.fsize_truncate_check(ino, len as u64)?;
            k.seal_check_truncate(ino, len as u64)?;
            let now = k.now_real();
            k.file_truncate(ino, len as u64, now)?;
            Ok(0)
        }
        _ => Err(EINVAL),
    }
}

pub fn truncate(k: &mut Kernel, path: u64, len: i64) -> SysResult {
    let path = k.user_path(path)?;
    if len < 0 {
        return Err(EINVAL);
    }
    let cwd = k.cur_fs().cwd.at;
    let (mnt, ino) = k.vfs.fs().lookup_mnt(&k.fs_cred(), cwd, &path, Lookup::FOLLOW)?;
    if k.vfs.fs().inode(ino)?.is_dir() {
        return Err(EISDIR);
    }
    k.vfs.fs().mnt_want_write(mnt)?;
    // Linux: vfs_truncate() → inode_permission(MAY_WRITE).
    perm::inode_permission(&k.fs_cred(), k.vfs.fs().inode(ino)?, MAY_WRITE)?;
    // Linux: vfs_truncate() → break_lease(inode, O_WRONLY).
    if k.vfs.lease_holders() > 0 {
        k.break_lease(ino, true, false)?;
    }
    // Linux: vfs_truncate() → get_write_access().
    k.vfs.fs().write_access_error(ino, true)?;
    k.fsize_truncate_check(ino, len as u64)?;
    let now = k.now_real();
    k.file_truncate(ino, len as u64, now)?;
    Ok(0)
}

pub fn mkdirat(k: &mut Kernel, dirfd: i32, path: u64, mode: u32) -> SysResult {
    let path = k.user_path(path)?;
    if let Some(e) = procfs::refuse_change(k, dirfd, &path, procfs::Change::Mkdir) {
        return Err(e);
    }
    let start = k.start_dir(dirfd, &path)?;
    let umask = k.cur_fs().umask;
    let now = k.now_real();
    let cred = k.fs_cred();
    k.vfs.fs_mut().mkdir_at(&cred, start, &path, mode & 0o7777 & !umask, now)?;
    Ok(0)
}

/// Linux: do_mknodat(): the type is checked first (EPERM for a
/// directory, EINVAL for an unknown type), then the name is created with
/// the umask applied; devices need CAP_MKNOD (ramfs checks that).
pub fn mknodat(k: &mut Kernel, dirfd: i32, path: u64, mode: u32, dev: u64) -> SysResult {
    // The mode is a umode_t, the device an unsigned int.
    let mode = mode & 0xffff;
    match mode & S_IFMT {
        0 | S_IFREG | S_IFCHR | S_IFBLK | S_IFIFO | S_IFSOCK => {}
        S_IFDIR => return Err(EPERM),
        _ => return Err(EINVAL),
    }
    let path = k.user_path(path)?;
    if let Some(e) = procfs::refuse_change(k, dirfd, &path, procfs::Change::Mkdir) {
        return Err(e);
    }
    let start = k.start_dir(dirfd, &path)?;
    let umask = k.cur_fs().umask;
    let now = k.now_real();
    let mode = mode & !(umask & 0o777);
    let cred = k.fs_cred();
    k.vfs.fs_mut().mknod_at(&cred, start, &path, mode, dev as u32 as u64, now)?;
    Ok(0)
}

pub fn unlinkat(k: &mut Kernel, dirfd: i32, path: u64, flags: u32) -> SysResult {
    if flags & !AT_REMOVEDIR != 0 {
        return Err(EINVAL);
    }
    let path = k.user_path(path)?;
    let change = if flags & AT_REMOVEDIR != 0 { procfs::Change::Rmdir } else { procfs::Change::Unlink };
    if let Some(e) = procfs::refuse_change(k, dirfd, &path, change) {
        return Err(e);
    }
    let start = k.start_dir(dirfd, &path)?;
    let now = k.now_real();
    if flags & AT_REMOVEDIR != 0 {
        let cred = k.fs_cred();
        k.vfs.fs_mut().rmdir_at(&cred, start, &path, now)?;
    } else {
        let cred = k.fs_cred();
        k.vfs.fs_mut().unlink_at(&cred, start, &path, now)?;
    }
    Ok(0)
}

/// Linux: readlinkat(); `/proc/self/exe` names the running executable.
pub fn readlinkat(k: &mut Kernel, dirfd: i32, path: u64, buf: u64, size: u64) -> SysResult {
    let path = k.user_path(path)?;
    if (size as i64) <= 0 {
        return Err(EINVAL);
    }
    let target: Vec<u8> = match procfs::readlink(k, dirfd, &path)? {
        Some(text) => text,
        None => {
            let start = k.start_dir(dirfd, &path)?;
            let ino = k.vfs.fs().lookup(&k.fs_cred(), start, &path, Lookup::empty())?;
            k.vfs.fs().readlink(ino)?.to_vec()
        }
    };
    let n = target.len().min(size as usize);
    k.copy_out(buf, &target[..n])?;
    Ok(n)
}

/// Linux: getcwd(): the length including the NUL, ERANGE if it does not
/// fit; a cwd outside the caller's root (left there by chroot) is named
/// from the top of the tree after "(unreachable)".
pub fn getcwd(k: &mut Kernel, buf: u64, size: u64) -> SysResult {
    let (path, reached) = procfs::place_path(k, k.cur_fs().cwd.at)?;
    let mut path = if reached { path } else { [b"(unreachable)".as_slice(), &path].concat() };
    path.push(0);
    if (size as usize) < path.len() {
        return Err(ERANGE);
    }
    k.copy_out(buf, &path)?;
    Ok(path.len())
}

pub fn chdir(k: &mut Kernel, path: u64) -> SysResult {
    let path = k.user_path(path)?;
    let cwd = k.cur_fs().cwd.at;
    let held = match procfs::chdir_target(k, &path)? {
        Some(held) => held,
        None => {
            let cred = k.fs_cred();
            let at = k.vfs.fs().lookup_mnt(&cred, cwd, &path, Lookup::FOLLOW | Lookup::DIRECTORY)?;
            // Linux: path_permission(MAY_EXEC | MAY_CHDIR).
            perm::inode_permission(&cred, k.vfs.fs().inode(at.1)?, MAY_EXEC)?;
            Held::ram(at.into())
        }
    };
    set_cwd(k, held)
}

/// Make `held` the cwd, taking its reference and dropping the old one's.
/// Linux: set_fs_pwd().
fn set_cwd(k: &mut Kernel, held: Held) -> SysResult {
    k.vfs.fs_mut().ihold(held.ino)?;
    let old = core::mem::replace(&mut k.cur_fs_mut().cwd, held);
    k.vfs.fs_mut().iput(old.ino);
    Ok(0)
}

/// fchdir(2): the directory an open descriptor names.
pub fn fchdir(k: &mut Kernel, fd: i32) -> SysResult {
    let id = k.fd_file(fd)?;
    let f = k.vfs.files().get(id);
    let held = match f.kind.data_ino() {
        Some(ino) if k.vfs.fs().inode(ino)?.is_dir() => {
            // Linux: file_permission(MAY_EXEC | MAY_CHDIR): the descriptor
            // does not carry the right to search, even one opened with
            // O_PATH.
            perm::inode_permission(&k.fs_cred(), k.vfs.fs().inode(ino)?, MAY_EXEC)?;
            // An open file keeps its inode, not its place: the mount is
            // the one that shows it (only bind mounts make that ambiguous).
            Held::ram(Path::new(k.vfs.fs().mount_at(ino), ino))
        }
        _ if procfs::node_of_file(k, id).is_some() => procfs::fchdir_target(k, id)?,
        _ => return Err(ENOTDIR),
    };
    set_cwd(k, held)
}

pub fn umask(k: &mut Kernel, mask: u32) -> SysResult {
    let old = core::mem::replace(&mut k.cur_fs_mut().umask, mask & 0o777);
    Ok(old as usize)
}

/// Linux: getdents64(); the file offset is the directory position.
pub fn getdents64(k: &mut Kernel, fd: i32, buf: u64, count: u64) -> SysResult {
    let id = k.fd_file(fd)?;
    k.vfs.files().get(id).kind.ops().getdents(k, id, buf, count)
}
