//! pidfd_open(2), pidfd_getfd(2), pidfd_send_signal(2) (Linux:
//! kernel/pid.c, kernel/signal.c).

use crate::abi::*;
use crate::kernel::Kernel;
use crate::proc::pidfd::*;
use crate::proc::{Pid, TaskState};
use crate::signal::{SigInfo, SI_USER};

/// pidfd_open(2).
pub fn sys_pidfd_open(k: &mut Kernel, pid: i32, flags: u32) -> SysResult {
    if flags & !(PIDFD_NONBLOCK | PIDFD_THREAD) != 0 || pid <= 0 {
        return Err(EINVAL);
    }
    // The number is the caller's, in its PID namespace.
    let pid = k.find_vpid(pid as Pid);
    match k.proc.tasks().get(&pid) {
        Some(t) if t.state != TaskState::Dead && (t.is_leader() || flags & PIDFD_THREAD != 0) => {}
        // A thread needs PIDFD_THREAD (Linux 6.9: pidfd_prepare() → ENOENT).
        Some(t) if t.state != TaskState::Dead => return Err(ENOENT),
        _ => return Err(ESRCH),
    }
    k.pidfd_create(pid, flags & PIDFD_NONBLOCK).map(|fd| fd as usize)
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
    let (me, them) = (k.cur().cred, k.proc.tasks()[&target].cred);
    if me.euid != 0 && !(me.uid == them.uid && me.uid == them.euid && me.uid == them.suid) {
        return Err(EPERM);
    }
    if k.proc.tasks()[&target].is_zombie() {
        return Err(ESRCH);
    }
    let files = k.proc.tasks()[&target].files;
    let file = k.vfs.fdtables().get(files).get(targetfd).map_err(|_| EBADF)?.file;
    k.vfs.files_mut().get_ref(file);
    k.install_fd(file, true, 0)
}

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
        let pgid = k.sig.signals().get(k.proc.tasks()[&target].signal).pgid;
        return k.kill(crate::signal::KillTarget::Group(pgid), sig);
    }
    if !k.may_signal(target) {
        return Err(EPERM);
    }
    if sig != 0 && !k.proc.tasks()[&target].is_zombie() {
        if flags == PIDFD_SIGNAL_THREAD {
            k.send_signal_thread(target, si)?;
        } else {
            k.send_signal_process(target, si)?;
        }
    }
    Ok(0)
}
