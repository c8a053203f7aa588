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
use crate::signal::{SigInfo, SI_USER};

/// pidfd_open's flags: PIDFD_NONBLOCK is O_NONBLOCK, PIDFD_THREAD (6.9+)
/// O_EXCL.
const PIDFD_NONBLOCK: u32 = O_NONBLOCK;
const PIDFD_THREAD: u32 = O_EXCL;

impl Kernel {
    /// A new pidfd for process `pid`, installed close-on-exec
    /// (Linux: pidfd_prepare() + fd_install()).
    pub fn pidfd_create(&mut self, pid: Pid, flags: u32) -> SysResult<i32> {
        let start = self.tasks[&pid].start_ns;
        let id = self.files.open(FileKind::Pidfd { pid, start }, O_RDWR | (flags & PIDFD_NONBLOCK), None);
        self.install_fd(id, true, 0).map(|fd| fd as i32)
    }

    /// The process a pidfd names, if it still exists (not yet reaped).
    pub fn pidfd_target(&self, id: FileId) -> SysResult<Option<Pid>> {
        let FileKind::Pidfd { pid, start } = self.files.get(id).kind else { return Err(EBADF) };
        Ok(self.tasks.get(&pid).filter(|t| t.start_ns == start && t.state != TaskState::Dead).map(|_| pid))
    }

    /// The PID behind descriptor `fd` for waitid(P_PIDFD): EBADF if it is
    /// not a pidfd (Linux: pidfd_get_pid()).
    pub fn pidfd_pid(&self, fd: i32) -> SysResult<Pid> {
        let id = self.fd_file(fd)?;
        let FileKind::Pidfd { pid, .. } = self.files.get(id).kind else { return Err(EBADF) };
        Ok(pid)
    }
}

/// pidfd_open(2).
pub fn sys_pidfd_open(k: &mut Kernel, pid: i32, flags: u32) -> SysResult {
    if flags & !(PIDFD_NONBLOCK | PIDFD_THREAD) != 0 || pid <= 0 {
        return Err(EINVAL);
    }
    match k.tasks.get(&(pid as Pid)) {
        Some(t) if t.state != TaskState::Dead && (t.is_leader() || flags & PIDFD_THREAD != 0) => {}
        // A thread needs PIDFD_THREAD (Linux 6.9: pidfd_prepare() → ENOENT).
        Some(t) if t.state != TaskState::Dead => return Err(ENOENT),
        _ => return Err(ESRCH),
    }
    k.pidfd_create(pid as Pid, flags & PIDFD_NONBLOCK).map(|fd| fd as usize)
}

/// pidfd_getfd(2): a duplicate, close-on-exec, of descriptor `targetfd`
/// of the process behind `pidfd`. Needs the right to ptrace it: root, or
/// the same user (Linux: __pidfd_fget() with PTRACE_MODE_ATTACH_REALCREDS).
pub fn sys_pidfd_getfd(k: &mut Kernel, pidfd: i32, targetfd: i32, flags: u32) -> SysResult {
    if flags != 0 {
        return Err(EINVAL);
    }
    let id = k.fd_file(pidfd)?;
    let target = k.pidfd_target(id)?.ok_or(ESRCH)?;
    let (me, them) = (k.cur().cred, k.tasks[&target].cred);
    if me.euid != 0 && !(me.uid == them.uid && me.uid == them.euid && me.uid == them.suid) {
        return Err(EPERM);
    }
    if k.tasks[&target].is_zombie() {
        return Err(ESRCH);
    }
    let files = k.tasks[&target].files;
    let file = k.fdtables.get(files).get(targetfd).map_err(|_| EBADF)?.file;
    k.files.get_ref(file);
    k.install_fd(file, true, 0)
}

/// The process that pidfd_send_signal() aims at through description
/// `id`: a pidfd's, or the one whose /proc/<pid> directory is open there
/// (Linux: pidfd_to_pid() → tgid_pidfd_to_pid(); a thread's
/// /proc/<pid>/task/<tid> directory does not count). None once it is gone.
fn signal_target(k: &Kernel, id: FileId) -> SysResult<Option<Pid>> {
    match crate::fs::procfs::node_of_file(k, id) {
        Some(crate::fs::procfs::Node::PidDir { tid, whole: true }) => {
            Ok(k.tasks.get(&tid).filter(|t| t.state != TaskState::Dead && t.tgid == tid).map(|_| tid))
        }
        _ => k.pidfd_target(id),
    }
}

/// pidfd_send_signal's scope flags (Linux 6.9+).
const PIDFD_SIGNAL_THREAD: u32 = 1;
const PIDFD_SIGNAL_THREAD_GROUP: u32 = 2;
const PIDFD_SIGNAL_PROCESS_GROUP: u32 = 4;

/// pidfd_send_signal(2): kill(2) aimed through a pidfd, at the thread, its
/// process (the default) or its process group.
pub fn sys_pidfd_send_signal(k: &mut Kernel, fd: i32, sig: u32, info: u64, flags: u32) -> SysResult {
    let scopes = PIDFD_SIGNAL_THREAD | PIDFD_SIGNAL_THREAD_GROUP | PIDFD_SIGNAL_PROCESS_GROUP;
    if flags & !scopes != 0 || flags.count_ones() > 1 {
        return Err(EINVAL);
    }
    if sig > NSIG {
        return Err(EINVAL);
    }
    let id = k.fd_file(fd)?;
    let target = signal_target(k, id)?.ok_or(ESRCH)?;
    let mut si = SigInfo { signo: sig, code: SI_USER, pid: k.cur().tgid, uid: k.cur().cred.uid, ..Default::default() };
    if info != 0 {
        let u = k.copy_siginfo_from_user(info)?;
        let (signo, code) = (u.si_signo, u.si_code);
        if signo != sig {
            return Err(EINVAL);
        }
        // Only the kernel may claim to be the kernel or kill(2) for another
        // process (Linux: the si_code test in do_pidfd_send_signal()).
        if (code >= 0 || code == crate::signal::SI_TKILL) && target != k.cur().tgid {
            return Err(EPERM);
        }
        // The caller's siginfo goes through as given (Linux:
        // copy_siginfo_from_user()): its pid, uid and value.
        si = SigInfo { signo, code, pid: u.si_pid, uid: u.si_uid, status: u.si_status, value_hi: u.si_value_hi };
    }
    if flags == PIDFD_SIGNAL_PROCESS_GROUP {
        let pgid = k.signals.get(k.tasks[&target].signal).pgid;
        return k.kill(crate::signal::KillTarget::Group(pgid), sig);
    }
    if !k.may_signal(target) {
        return Err(EPERM);
    }
    if sig != 0 && !k.tasks[&target].is_zombie() {
        if flags == PIDFD_SIGNAL_THREAD {
            k.send_signal_thread(target, si)?;
        } else {
            k.send_signal_process(target, si)?;
        }
    }
    Ok(0)
}
