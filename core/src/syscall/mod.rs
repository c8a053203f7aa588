//! The x86_64 Linux system call table: one handler per call, grouped by
//! subsystem. Every handler returns `SysResult`; the dispatcher turns an
//! error into `-errno` in rax, as Linux's syscall exit does.

mod cred;
mod fs;
pub use fs::close as close_fd;
mod fsmeta;
mod info;
mod mem;
mod poll;
mod process;

use crate::abi::{nr, PtRegs, SysResult, EINTR, ENOSYS, ERESTARTNOINTR};
use crate::kernel::Kernel;

/// What became of a system call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyscallOutcome {
    /// rax holds the result; return to user mode.
    Done,
    /// The task went to sleep; run the same call again once it is woken.
    Blocked,
}

impl Kernel {
    /// Handle the `syscall` instruction of the current task
    /// (Linux: do_syscall_64()).
    ///
    /// A call that blocked runs again once its task is woken; if a signal
    /// is what woke it, the call returns EINTR instead (Linux: the
    /// `signal_pending()` test in every interruptible sleep). Before
    /// returning to user mode, pending signals are acted on.
    pub fn syscall(&mut self, regs: &mut PtRegs) -> SyscallOutcome {
        let tid = self.cur().tid;
        let restarting = core::mem::replace(&mut self.cur_mut().restarting, false);
        // vfork and sigtimedwait sleeps decide for themselves what a
        // signal means to them.
        let own_wakeups = self.cur().vfork_wait.is_some() || self.cur().sigwait.is_some();
        let result = if restarting && self.deliverable(tid) != 0 && !own_wakeups {
            // The wait is abandoned: forget what it kept across restarts.
            self.cur_mut().sleep_deadline = None;
            self.futex_cancel(tid);
            Err(EINTR)
        } else {
            dispatch(self, regs)
        };
        match result {
            Ok(v) => regs.rax = v as u64,
            Err(ERESTARTNOINTR) => {
                self.cur_mut().restarting = true;
                return SyscallOutcome::Blocked;
            }
            Err(e) => regs.rax = (-(e.0 as i64)) as u64,
        }
        self.exit_to_user_mode();
        SyscallOutcome::Done
    }

    /// The last step before any return to user mode: act on signals
    /// (Linux: exit_to_user_mode_prepare()). A task that has exited just
    /// waits to be switched away.
    pub fn exit_to_user_mode(&mut self) {
        let Some(pid) = self.current else { return };
        if matches!(self.tasks[&pid].state, crate::proc::TaskState::Zombie | crate::proc::TaskState::Dead) {
            return;
        }
        self.do_signal();
    }
}

fn dispatch(k: &mut Kernel, regs: &mut PtRegs) -> SysResult {
    let [a0, a1, a2, a3, a4, a5] = regs.syscall_args();
    match regs.orig_rax {
        nr::READ => fs::read(k, a0 as i32, a1, a2),
        nr::WRITE => fs::write(k, a0 as i32, a1, a2),
        nr::OPEN => fs::openat(k, crate::abi::AT_FDCWD, a0, a1 as u32, a2 as u32),
        nr::CLOSE => fs::close(k, a0 as i32),
        nr::STAT => fs::fstatat(k, crate::abi::AT_FDCWD, a0, a1, 0),
        nr::FSTAT => fs::fstat(k, a0 as i32, a1),
        nr::LSTAT => fs::fstatat(k, crate::abi::AT_FDCWD, a0, a1, crate::abi::AT_SYMLINK_NOFOLLOW),
        nr::LSEEK => fs::lseek(k, a0 as i32, a1 as i64, a2 as u32),
        nr::MMAP => mem::mmap(k, a0, a1, a2, a3, a4 as i32, a5),
        nr::MPROTECT => mem::mprotect(k, a0, a1, a2),
        nr::MUNMAP => mem::munmap(k, a0, a1),
        nr::BRK => mem::brk(k, a0),
        nr::MADVISE => mem::madvise(k, a0, a1, a2),
        nr::RT_SIGACTION => process::rt_sigaction(k, a0, a1, a2, a3),
        nr::RT_SIGPROCMASK => process::rt_sigprocmask(k, a0, a1, a2, a3),
        nr::IOCTL => fs::ioctl(k, a0 as i32, a1, a2),
        nr::PREAD64 => fs::pread(k, a0 as i32, a1, a2, a3 as i64),
        nr::PWRITE64 => fs::pwrite(k, a0 as i32, a1, a2, a3 as i64),
        nr::READV => fs::readv(k, a0 as i32, a1, a2),
        nr::PIPE => fs::pipe2(k, a0, 0),
        nr::PIPE2 => fs::pipe2(k, a0, a1 as u32),
        nr::WRITEV => fs::writev(k, a0 as i32, a1, a2),
        nr::ACCESS => fs::faccessat(k, crate::abi::AT_FDCWD, a0, a1 as u32, 0),
        nr::SCHED_YIELD => process::sched_yield(k),
        nr::DUP => fs::dup(k, a0 as i32),
        nr::DUP2 => fs::dup2(k, a0 as i32, a1 as i32),
        nr::DUP3 => fs::dup3(k, a0 as i32, a1 as i32, a2 as u32),
        nr::RT_SIGTIMEDWAIT => process::rt_sigtimedwait(k, a0, a1, a2, a3),
        nr::RT_SIGPENDING => process::rt_sigpending(k, a0, a1),
        nr::NANOSLEEP => process::nanosleep(k, a0, a1),
        nr::GETPID => Ok(k.cur().tgid as usize),
        nr::EXIT => process::exit(k, a0 as i32),
        nr::EXIT_GROUP => process::exit_group(k, a0 as i32),
        nr::UNAME => info::uname(k, a0),
        nr::FCNTL => fs::fcntl(k, a0 as i32, a1 as u32, a2),
        nr::FSYNC => fs::fsync(k, a0 as i32),
        nr::TRUNCATE => fs::truncate(k, a0, a1 as i64),
        nr::FTRUNCATE => fs::ftruncate(k, a0 as i32, a1 as i64),
        nr::GETCWD => fs::getcwd(k, a0, a1),
        nr::CHDIR => fs::chdir(k, a0),
        nr::MKDIR => fs::mkdirat(k, crate::abi::AT_FDCWD, a0, a1 as u32),
        nr::RMDIR => fs::unlinkat(k, crate::abi::AT_FDCWD, a0, crate::abi::AT_REMOVEDIR),
        nr::UNLINK => fs::unlinkat(k, crate::abi::AT_FDCWD, a0, 0),
        nr::READLINK => fs::readlinkat(k, crate::abi::AT_FDCWD, a0, a1, a2),
        nr::UMASK => fs::umask(k, a0 as u32),
        nr::GETTIMEOFDAY => info::gettimeofday(k, a0, a1),
        nr::GETRLIMIT => info::prlimit64(k, 0, a0 as u32, 0, a1),
        nr::SETRLIMIT => info::prlimit64(k, 0, a0 as u32, a1, 0),
        nr::GETUID => Ok(k.cur().cred.uid as usize),
        nr::GETGID => Ok(k.cur().cred.gid as usize),
        nr::GETEUID => Ok(k.cur().cred.euid as usize),
        nr::GETEGID => Ok(k.cur().cred.egid as usize),
        nr::GETPPID => process::getppid(k),
        nr::FORK => crate::proc::fork::sys_fork(k, regs),
        nr::VFORK => crate::proc::fork::sys_vfork(k, regs),
        nr::CLONE3 => crate::proc::fork::sys_clone3(k, regs, a0, a1),
        nr::CLONE => crate::proc::fork::sys_clone(k, regs, a0, a1, a2, a3, a4),
        nr::WAIT4 => crate::proc::wait::sys_wait4(k, a0 as i32, a1, a2 as u32, a3),
        nr::WAITID => crate::proc::wait::sys_waitid(k, a0 as u32, a1 as i32, a2, a3 as u32, a4),
        nr::KILL => process::kill(k, a0 as i32, a1),
        nr::TKILL => process::tgkill(k, None, a0 as i32, a1),
        nr::TGKILL => process::tgkill(k, Some(a0 as i32), a1 as i32, a2),
        nr::PAUSE => process::pause(k),
        nr::PRCTL => process::prctl(k, a0, a1),
        nr::SETPGID => process::setpgid(k, a0 as i32, a1 as i32),
        nr::GETPGID => process::getpgid(k, a0 as i32),
        nr::GETPGRP => process::getpgrp(k),
        nr::SETSID => process::setsid(k),
        nr::GETSID => process::getsid(k, a0 as i32),
        nr::GETRUSAGE => process::getrusage(k, a0 as i32, a1),
        nr::TIMES => process::times(k, a0),
        nr::SETUID => cred::setid(k, cred::Ids::User, a0 as u32),
        nr::SETGID => cred::setid(k, cred::Ids::Group, a0 as u32),
        nr::SETREUID => cred::setreid(k, cred::Ids::User, a0 as u32, a1 as u32),
        nr::SETREGID => cred::setreid(k, cred::Ids::Group, a0 as u32, a1 as u32),
        nr::SETRESUID => cred::setresid(k, cred::Ids::User, a0 as u32, a1 as u32, a2 as u32),
        nr::SETRESGID => cred::setresid(k, cred::Ids::Group, a0 as u32, a1 as u32, a2 as u32),
        nr::GETRESUID => cred::getresid(k, cred::Ids::User, a0, a1, a2),
        nr::GETRESGID => cred::getresid(k, cred::Ids::Group, a0, a1, a2),
        nr::SETFSUID => cred::setfsid(k, cred::Ids::User, a0 as u32),
        nr::SETFSGID => cred::setfsid(k, cred::Ids::Group, a0 as u32),
        nr::GETGROUPS => cred::getgroups(k, a0 as i32, a1),
        nr::SETGROUPS => cred::setgroups(k, a0, a1),
        nr::ARCH_PRCTL => process::arch_prctl(k, a0, a1),
        nr::GETTID => Ok(k.cur().tid as usize),
        nr::TIME => info::time(k, a0),
        nr::GETDENTS64 => fs::getdents64(k, a0 as i32, a1, a2),
        nr::SET_TID_ADDRESS => process::set_tid_address(k, a0),
        nr::CLOCK_GETTIME => info::clock_gettime(k, a0, a1),
        nr::CLOCK_GETRES => info::clock_getres(k, a0, a1),
        nr::CLOCK_NANOSLEEP => process::clock_nanosleep(k, a0, a1, a2, a3),
        nr::OPENAT => fs::openat(k, a0 as i32, a1, a2 as u32, a3 as u32),
        nr::MKDIRAT => fs::mkdirat(k, a0 as i32, a1, a2 as u32),
        nr::NEWFSTATAT => fs::fstatat(k, a0 as i32, a1, a2, a3 as u32),
        nr::UNLINKAT => fs::unlinkat(k, a0 as i32, a1, a2 as u32),
        nr::READLINKAT => fs::readlinkat(k, a0 as i32, a1, a2, a3),
        nr::FACCESSAT => fs::faccessat(k, a0 as i32, a1, a2 as u32, 0),
        nr::FACCESSAT2 => fs::faccessat(k, a0 as i32, a1, a2 as u32, a3 as u32),
        nr::SET_ROBUST_LIST => process::set_robust_list(k, a0, a1),
        nr::GET_ROBUST_LIST => process::get_robust_list(k, a0 as i32, a1, a2),
        nr::PRLIMIT64 => info::prlimit64(k, a0 as i32, a1 as u32, a2, a3),
        nr::GETRANDOM => info::getrandom(k, a0, a1, a2 as u32),
        nr::STATX => fs::statx(k, a0 as i32, a1, a2 as u32, a3 as u32, a4),
        nr::POLL => poll::poll(k, a0, a1, a2 as i32),
        nr::PPOLL => poll::ppoll(k, a0, a1, a2, a3, a4),
        nr::CHMOD => fsmeta::fchmodat(k, crate::abi::AT_FDCWD, a0, a1 as u32),
        nr::FCHMOD => fsmeta::fchmod(k, a0 as i32, a1 as u32),
        nr::FCHMODAT => fsmeta::fchmodat(k, a0 as i32, a1, a2 as u32),
        nr::SYMLINK => fsmeta::symlinkat(k, a0, crate::abi::AT_FDCWD, a1),
        nr::SYMLINKAT => fsmeta::symlinkat(k, a0, a1 as i32, a2),
        nr::LINK => fsmeta::linkat(k, crate::abi::AT_FDCWD, a0, crate::abi::AT_FDCWD, a1, 0),
        nr::LINKAT => fsmeta::linkat(k, a0 as i32, a1, a2 as i32, a3, a4 as u32),
        nr::RENAME => fsmeta::renameat2(k, crate::abi::AT_FDCWD, a0, crate::abi::AT_FDCWD, a1, 0),
        nr::RENAMEAT => fsmeta::renameat2(k, a0 as i32, a1, a2 as i32, a3, 0),
        nr::RENAMEAT2 => fsmeta::renameat2(k, a0 as i32, a1, a2 as i32, a3, a4 as u32),
        nr::PIDFD_OPEN => crate::proc::pidfd::sys_pidfd_open(k, a0 as i32, a1 as u32),
        nr::PIDFD_SEND_SIGNAL => crate::proc::pidfd::sys_pidfd_send_signal(k, a0 as i32, a1 as u32, a2, a3 as u32),
        nr::FUTEX => crate::proc::futex::sys_futex(k, a0, a1 as u32, a2 as u32, a3, a4, a5 as u32),
        nr::EXECVE => crate::proc::exec::sys_execve(k, regs, a0, a1, a2),
        nr::EXECVEAT => crate::proc::exec::sys_execveat(k, regs, a0 as i32, a1, a2, a3, a4 as u32),
        n => {
            k.log_enosys(n);
            Err(ENOSYS)
        }
    }
}
