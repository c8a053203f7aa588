//! Process file descriptors (Linux: kernel/pid.c pidfd_open(),
//! kernel/signal.c pidfd_send_signal(), CLONE_PIDFD in kernel/fork.c).
//!
//! A pidfd names one process for as long as it is open, even after the
//! PID is reused: the file records the process's PID and start time, and a
//! PID whose task started at another time is not that process any more.

use crate::abi::*;
use crate::fs::file::{FileId, FileKind};
use crate::kernel::Kernel;
use crate::proc::{Pid, TaskState};

/// pidfd_open's flags: PIDFD_NONBLOCK is O_NONBLOCK, PIDFD_THREAD (6.9+)
/// O_EXCL.
pub(crate) const PIDFD_NONBLOCK: u32 = O_NONBLOCK;
pub(crate) const PIDFD_THREAD: u32 = O_EXCL;

impl Kernel {
    /// A new pidfd for process `pid`, installed close-on-exec
    /// (Linux: pidfd_prepare() + fd_install()).
    pub fn pidfd_create(&mut self, pid: Pid, flags: u32) -> SysResult<i32> {
        let start = self.proc.tasks[&pid].start_ns;
        let id = self.vfs.files_mut().open(FileKind::Pidfd { pid, start }, O_RDWR | (flags & PIDFD_NONBLOCK), None);
        self.install_fd(id, true, 0).map(|fd| fd as i32)
    }

    /// The process a pidfd names, if it still exists (not yet reaped).
    pub fn pidfd_target(&self, id: FileId) -> SysResult<Option<Pid>> {
        let FileKind::Pidfd { pid, start } = self.vfs.files().get(id).kind else { return Err(EBADF) };
        Ok(self.proc.tasks.get(&pid).filter(|t| t.start_ns == start && t.state != TaskState::Dead).map(|_| pid))
    }

    /// The PID behind descriptor `fd` for waitid(P_PIDFD): EBADF if it is
    /// not a pidfd (Linux: pidfd_get_pid()).
    pub fn pidfd_pid(&self, fd: i32) -> SysResult<Pid> {
        let id = self.fd_file(fd)?;
        let FileKind::Pidfd { pid, .. } = self.vfs.files().get(id).kind else { return Err(EBADF) };
        Ok(pid)
    }
}

/// The process that pidfd_send_signal() aims at through description
/// `id`: a pidfd's, or the one whose /proc/<pid> directory is open there
/// (Linux: pidfd_to_pid() → tgid_pidfd_to_pid(); a thread's
/// /proc/<pid>/task/<tid> directory does not count). None once it is gone.
pub(crate) fn signal_target(k: &Kernel, id: FileId) -> SysResult<Option<Pid>> {
    match crate::fs::procfs::node_of_file(k, id) {
        Some(crate::fs::procfs::Node::PidDir { tid, whole: true }) => {
            Ok(k.proc.tasks.get(&tid).filter(|t| t.state != TaskState::Dead && t.tgid == tid).map(|_| tid))
        }
        _ => k.pidfd_target(id),
    }
}

/// pidfd_send_signal's scope flags (Linux 6.9+).
pub(crate) const PIDFD_SIGNAL_THREAD: u32 = 1;
pub(crate) const PIDFD_SIGNAL_THREAD_GROUP: u32 = 2;
pub(crate) const PIDFD_SIGNAL_PROCESS_GROUP: u32 = 4;
