//! Pipes and FIFOs as files (Linux: fs/pipe.c): pipe2, opening a FIFO,
//! the pipe-size fcntls and the per-user accounting of pipe pages.
//!
//! A pipe's pages are charged to the real uid of its creator (Linux's
//! `user_struct.pipe_bufs`); past `pipe-user-pages-soft` a new pipe of an
//! unprivileged user gets PIPE_MIN_DEF_BUFFERS pages, past
//! `pipe-user-pages-hard` none at all, and F_SETPIPE_SZ may not grow a
//! pipe beyond either or beyond `pipe-max-size`.

use crate::abi::*;
use crate::fs::file::{FileId, FileKind};
use crate::fs::pipe::{FifoWait, PipeId, PIPE_DEF_BUFFERS, PIPE_MIN_DEF_BUFFERS};
use crate::fs::Ino;
use crate::kernel::Kernel;
use crate::proc::capability::{CAP_SYS_ADMIN, CAP_SYS_RESOURCE};
use crate::proc::WaitReason;

const PAGE: usize = 4096;

pub const F_SETPIPE_SZ: u32 = 1031;
pub const F_GETPIPE_SZ: u32 = 1032;

/// Linux: round_pipe_size(): a page at least, else the next power of two;
/// 0 (invalid) above 2 GiB.
pub fn round_pipe_size(size: u64) -> u64 {
    if size > 1 << 31 {
        0
    } else if size < PAGE as u64 {
        PAGE as u64
    } else {
        size.next_power_of_two()
    }
}

impl Kernel {
    /// Linux: pipe_is_unprivileged_user().
    fn pipe_unprivileged(&self) -> bool {
        let c = &self.cur().cred;
        !c.capable(CAP_SYS_RESOURCE) && !c.capable(CAP_SYS_ADMIN)
    }

    /// A new pipe with no end open, its pages charged to the caller's
    /// user; None when the user is over the hard limit (Linux:
    /// alloc_pipe_info()).
    fn alloc_pipe(&mut self) -> Option<PipeId> {
        let lim = self.vfs.pipes().limits;
        let uid = self.cur().cred.uid;
        let mut pages = PIPE_DEF_BUFFERS as u64;
        if pages * PAGE as u64 > lim.max_size && !self.cur().cred.capable(CAP_SYS_RESOURCE) {
            pages = lim.max_size / PAGE as u64;
        }
        let mut user_bufs = self.proc.ucounts_mut().account_pipe_buffers(uid, 0, pages);
        if too_many(lim.user_pages_soft, user_bufs) && self.pipe_unprivileged() {
            user_bufs = self.proc.ucounts_mut().account_pipe_buffers(uid, pages, PIPE_MIN_DEF_BUFFERS as u64);
            pages = PIPE_MIN_DEF_BUFFERS as u64;
        }
        if too_many(lim.user_pages_hard, user_bufs) && self.pipe_unprivileged() {
            self.proc.ucounts_mut().account_pipe_buffers(uid, pages, 0);
            return None;
        }
        Some(self.vfs.pipes_mut().create(pages as usize, uid))
    }

    /// A description (or a waiting FIFO opener) of pipe `pipe` went away:
    /// the other side is told, and the pipe's pages are uncharged when it
    /// goes (Linux: pipe_release(), free_pipe_info()).
    pub(crate) fn pipe_release(&mut self, pipe: PipeId, read: bool, write: bool) {
        if let Some(p) = self.vfs.pipes_mut().close_end(pipe, read, write, self.mem.frames_mut()) {
            self.proc.ucounts_mut().account_pipe_buffers(p.user, p.accounted as u64, 0);
        }
        self.wake_all(WaitReason::Pipe(pipe));
    }

    /// Forget a FIFO open the task was waiting in: it no longer counts as
    /// a reader or writer (Linux: fifo_open()'s err_rd/err_wr).
    pub fn fifo_wait_cancel(&mut self) {
        let tid = self.cur().tid;
        self.fifo_wait_cancel_of(tid);
    }

    /// [`fifo_wait_cancel`](Self::fifo_wait_cancel) for task `tid` (which
    /// exits, or is zapped by an exec).
    pub fn fifo_wait_cancel_of(&mut self, tid: crate::proc::Pid) {
        let Some(t) = self.proc.tasks_mut().get_mut(&tid) else { return };
        if let Some(w) = t.resume.take_fifo_open() {
            self.pipe_release(w.pipe, !w.write, w.write);
            self.vfs.fs_mut().iput(w.ino);
        }
    }

    /// Linux: get_pipe_info(): the pipe behind description `id`.
    pub fn pipe_of(&self, id: FileId) -> Option<PipeId> {
        self.vfs.files().get(id).kind.pipe()
    }
}

/// Linux: too_many_pipe_buffers_soft() and _hard(): 0 is no limit.
fn too_many(limit: u64, user_bufs: u64) -> bool {
    limit != 0 && user_bufs > limit
}

/// Linux: pipe2(). Both descriptors are installed or neither.
pub fn pipe2(k: &mut Kernel, fds: u64, flags: u32) -> SysResult {
    if flags & !(O_CLOEXEC | O_NONBLOCK | O_DIRECT) != 0 {
        return Err(EINVAL);
    }
    // Linux: create_pipe_files() fails with ENFILE without a pipe.
    let pipe = k.alloc_pipe().ok_or(ENFILE)?;
    let p = k.vfs.pipes_mut().get_mut(pipe);
    p.readers = 1;
    p.writers = 1;
    p.r_counter = 1;
    p.w_counter = 1;
    let status = flags & O_NONBLOCK;
    let r = k.vfs.files_mut().open(FileKind::Pipe { pipe, version: 0 }, O_RDONLY | status, None);
    let w = k.vfs.files_mut().open(FileKind::Pipe { pipe, version: 0 }, O_WRONLY | status, None);
    let cloexec = flags & O_CLOEXEC != 0;
    let rfd = match k.install_fd(r, cloexec, 0) {
        Ok(fd) => fd,
        Err(e) => {
            k.release_file(w);
            return Err(e);
        }
    };
    let wfd = match k.install_fd(w, cloexec, 0) {
        Ok(fd) => fd,
        Err(e) => {
            super::close_fd(k, rfd as i32)?;
            return Err(e);
        }
    };
    if let Err(e) = k.write_val(fds, &[rfd as i32, wfd as i32]) {
        super::close_fd(k, rfd as i32)?;
        super::close_fd(k, wfd as i32)?;
        return Err(e);
    }
    Ok(0)
}

/// Open FIFO inode `ino` (whose reference the caller holds and this
/// takes): the pipe every opener of the inode shares, with a new
/// description counted as a reader, a writer or both. O_RDONLY waits for
/// a writer unless O_NONBLOCK; O_WRONLY waits for a reader, or is ENXIO
/// with O_NONBLOCK; O_RDWR never waits. A waiting open stays counted (a
/// partner opening meanwhile sees it) and runs again when woken; a
/// signal ends it with -ERESTARTSYS and uncounts it (Linux: fifo_open(),
/// wait_for_partner()).
pub fn fifo_open(k: &mut Kernel, ino: Ino, flags: u32) -> SysResult<FileId> {
    let acc = flags & O_ACCMODE;
    let nonblock = flags & O_NONBLOCK != 0;
    let mut version = 0;
    // A wait for this inode that a wake-up brought back here.
    let waiting = match k.cur().resume.fifo_open() {
        Some(w) if w.ino == ino => {
            k.vfs.fs_mut().iput(ino);
            Some(w)
        }
        Some(_) => {
            k.fifo_wait_cancel();
            None
        }
        None => None,
    };
    let pipe = match waiting {
        Some(w) => {
            let p = k.vfs.pipes().get(w.pipe);
            let now = if w.write { p.r_counter } else { p.w_counter };
            if now == w.counter {
                return Err(k.block_current(WaitReason::Pipe(w.pipe)));
            }
            k.cur_mut().resume.take_fifo_open();
            w.pipe
        }
        None => {
            let pipe = match k.vfs.pipes().fifo(ino) {
                Some(p) => p,
                None => {
                    let Some(p) = k.alloc_pipe() else {
                        k.vfs.fs_mut().iput(ino);
                        return Err(ENOMEM);
                    };
                    k.vfs.pipes_mut().set_fifo(ino, p);
                    p
                }
            };
            let p = k.vfs.pipes_mut().get_mut(pipe);
            let wait = match acc {
                O_RDONLY => {
                    p.r_counter += 1;
                    p.readers += 1;
                    if p.writers == 0 && nonblock {
                        // POLLHUP only once a writer has come.
                        version = p.w_counter;
                    }
                    (p.writers == 0 && !nonblock).then_some(FifoWait { ino, pipe, write: false, counter: p.w_counter })
                }
                O_WRONLY => {
                    if nonblock && p.readers == 0 {
                        // No reader: the pipe goes again if nobody has it.
                        if p.writers == 0 {
                            p.readers = 1;
                            k.pipe_release(pipe, true, false);
                        }
                        k.vfs.fs_mut().iput(ino);
                        return Err(ENXIO);
                    }
                    p.w_counter += 1;
                    p.writers += 1;
                    (p.readers == 0).then_some(FifoWait { ino, pipe, write: true, counter: p.r_counter })
                }
                O_RDWR => {
                    p.readers += 1;
                    p.writers += 1;
                    p.r_counter += 1;
                    p.w_counter += 1;
                    None
                }
                _ => {
                    if p.readers == 0 && p.writers == 0 {
                        p.readers = 1;
                        k.pipe_release(pipe, true, false);
                    }
                    k.vfs.fs_mut().iput(ino);
                    return Err(EINVAL);
                }
            };
            // The partner waiting for this side to open.
            k.wake_all(WaitReason::Pipe(pipe));
            if let Some(w) = wait {
                k.cur_mut().resume = crate::proc::Resume::FifoOpen(w);
                // A signal: the syscall layer's abandon_wait() uncounts it.
                return Err(k.block_current(WaitReason::Pipe(pipe)));
            }
            pipe
        }
    };
    let keep = O_ACCMODE | O_APPEND | O_NONBLOCK | O_NOFOLLOW | O_LARGEFILE;
    Ok(k.vfs.files_mut().open(FileKind::Pipe { pipe, version }, flags & keep, Some(ino)))
}

/// fcntl F_GETPIPE_SZ and F_SETPIPE_SZ (Linux: pipe_fcntl(),
/// pipe_set_size()).
pub fn pipe_fcntl(k: &mut Kernel, id: FileId, cmd: u32, arg: u64) -> SysResult {
    let pipe = k.pipe_of(id).ok_or(EBADF)?;
    if cmd == F_GETPIPE_SZ {
        return Ok(k.vfs.pipes().get(pipe).capacity());
    }
    let size = round_pipe_size(arg as u32 as u64);
    let pages = (size / PAGE as u64) as usize;
    if pages == 0 {
        return Err(EINVAL);
    }
    let lim = k.vfs.pipes().limits;
    let p = k.vfs.pipes().get(pipe);
    let (user, accounted, cur) = (p.user, p.accounted, p.capacity() / PAGE);
    if pages > cur && size > lim.max_size && !k.cur().cred.capable(CAP_SYS_RESOURCE) {
        return Err(EPERM);
    }
    let user_bufs = k.proc.ucounts_mut().account_pipe_buffers(user, accounted as u64, pages as u64);
    let over = too_many(lim.user_pages_hard, user_bufs) || too_many(lim.user_pages_soft, user_bufs);
    let r = if pages > cur && over && k.pipe_unprivileged() {
        Err(EPERM)
    } else {
        k.vfs.pipes_mut().get_mut(pipe).resize(pages)
    };
    if let Err(e) = r {
        k.proc.ucounts_mut().account_pipe_buffers(user, pages as u64, accounted as u64);
        return Err(e);
    }
    k.vfs.pipes_mut().get_mut(pipe).accounted = pages;
    // More room may let a writer go on.
    k.wake_all(WaitReason::Pipe(pipe));
    Ok(pages * PAGE)
}
