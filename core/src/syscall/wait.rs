//! wait4(2) and waitid(2): decode the caller's arguments, wait in
//! `proc::wait`, write the status, rusage and siginfo back (Linux:
//! kernel/exit.c, the SYSCALL_DEFINEs).

use crate::abi::*;
use crate::kernel::Kernel;
use crate::proc::wait::*;
use crate::proc::Pid;

/// Linux: wait4(2) (waitpid is wait4 with no rusage).
pub fn sys_wait4(k: &mut Kernel, upid: i32, stat_addr: u64, options: u32, ru: u64) -> SysResult {
    if options & !(WNOHANG | WUNTRACED | WCONTINUED | WNOTHREAD | WCLONE | WALL) != 0 {
        return Err(EINVAL);
    }
    // -INT_MIN has no meaning (Linux returns ESRCH).
    if upid == i32::MIN {
        return Err(ESRCH);
    }
    let who = match upid {
        -1 => WaitWho::Any,
        p if p < 0 => WaitWho::Pgid(k.find_vpid((-p) as Pid)),
        0 => WaitWho::Pgid(k.cur_signal().pgid),
        p => WaitWho::Pid(k.find_vpid(p as Pid)),
    };
    let Some(r) = k.do_wait(who, options | WEXITED)? else {
        return Ok(0);
    };
    // As in Linux, the child is already reaped when a bad pointer is found.
    if stat_addr != 0 {
        k.write_val(stat_addr, &r.status)?;
    }
    if ru != 0 {
        k.write_val(ru, &rusage(r.utime_ns, r.stime_ns, r.min_flt, (r.nvcsw, r.nivcsw)))?;
    }
    Ok(r.pid as usize)
}

/// Linux: waitid(2). The siginfo is written even when WNOHANG found
/// nothing (all zeros then).
pub fn sys_waitid(k: &mut Kernel, which: u32, upid: i32, infop: u64, options: u32, ru: u64) -> SysResult {
    if options & !(WNOHANG | WNOWAIT | WEXITED | WSTOPPED | WCONTINUED | WNOTHREAD | WCLONE | WALL) != 0 {
        return Err(EINVAL);
    }
    if options & (WEXITED | WSTOPPED | WCONTINUED) == 0 {
        return Err(EINVAL);
    }
    let who = match which {
        P_ALL => WaitWho::Any,
        P_PID if upid > 0 => WaitWho::Pid(k.find_vpid(upid as Pid)),
        P_PGID if upid > 0 => WaitWho::Pgid(k.find_vpid(upid as Pid)),
        P_PGID if upid == 0 => WaitWho::Pgid(k.cur_signal().pgid),
        P_PIDFD => WaitWho::Pid(k.pidfd_pid(upid)?),
        _ => return Err(EINVAL),
    };
    // A non-blocking pidfd makes the wait non-blocking, and finding
    // nothing then is EAGAIN unless WNOHANG was asked for (Linux:
    // kernel_waitid()).
    let nonblock_pidfd = which == P_PIDFD
        && options & WNOHANG == 0
        && k.fd_file(upid).is_ok_and(|id| k.vfs.files().get(id).flags & O_NONBLOCK != 0);
    let options = if nonblock_pidfd { options | WNOHANG } else { options };
    let found = k.do_wait(who, options)?;
    if nonblock_pidfd && found.is_none() {
        return Err(EAGAIN);
    }
    if let (Some(r), true) = (found, ru != 0) {
        k.write_val(ru, &rusage(r.utime_ns, r.stime_ns, r.min_flt, (r.nvcsw, r.nivcsw)))?;
    }
    if infop != 0 {
        let mut si = Siginfo::default();
        if let Some(r) = found {
            let (code, status) = r.cause_and_status();
            (si.si_signo, si.si_code, si.si_status) = (SIGCHLD, code, status);
            (si.si_pid, si.si_uid) = (r.pid, r.uid);
        }
        // Linux writes only the header and the SIGCHLD fields (its
        // unsafe_put_user()s), not the whole 128 bytes.
        k.copy_out(infop, &zerocopy::IntoBytes::as_bytes(&si)[..32])?;
    }
    Ok(0)
}
