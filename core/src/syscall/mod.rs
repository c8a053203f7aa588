//! The x86_64 Linux system call table: one handler per call, grouped by
//! subsystem. Every handler returns `SysResult`; the dispatcher turns an
//! error into `-errno` in rax, as Linux's syscall exit does.

mod clone;
mod cred;
mod epoll;
mod eventfd;
mod execve;
mod fcntl;
mod flock;
mod fs;
pub use fs::close as close_fd;
pub(crate) use fs::set_offset;
pub(crate) use signalfd::read as signalfd_read;
pub(crate) use socket::{unix_recv, unix_send};
mod fsmeta;
mod fsroot;
mod futex;
pub mod ia32;
pub mod info;
mod ipc;
mod mem;
mod misc;
mod mount;
pub(crate) mod ns;
mod pidfd;
mod pipe;
pub use pipe::round_pipe_size;
mod poll;
mod process;
pub mod ptrace;
mod sendfile;
mod sigframe;
mod signalfd;
mod socket;
pub mod strace;
pub mod syslog;
mod system;
mod timer;
mod timerfd;
mod wait;
mod xattr;

use crate::abi::{
    nr, PtRegs, SysResult, EINTR, ENOSYS, ERESTARTNOHAND, ERESTARTNOINTR, ERESTARTSYS, ERESTART_RESTARTBLOCK,
};
use crate::kernel::Kernel;

pub use crate::entry::SyscallOutcome;

/// What Linux does with a blocking call a signal interrupted: the code
/// its handler returns (Linux: -ERESTARTNOINTR, -ERESTARTSYS, ...), which
/// signal delivery turns into EINTR or a restart (signal(7),
/// "Interruption of system calls and library functions by signal
/// handlers").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Restart {
    /// -ERESTARTNOINTR: made again after the handler, whatever its flags.
    Always,
    /// -ERESTARTSYS: made again if the handler has SA_RESTART or no
    /// handler runs; EINTR otherwise.
    IfSaRestart,
    /// -ERESTARTNOHAND: EINTR if a handler runs; made again otherwise
    /// (a stop and continue, an ignored signal).
    NoHandler,
    /// -ERESTART_RESTARTBLOCK: EINTR if a handler runs; otherwise it goes
    /// on where it was (Linux's restart_syscall with the restart_block;
    /// Tine keeps the deadline in the task and makes the same call again).
    Continue,
    /// -EINTR whatever happens.
    Never,
}

/// Linux's answer for each call that can block, with its arguments.
pub fn restart_policy(nr: u64, args: &[u64; 6]) -> Restart {
    use crate::proc::futex::{FUTEX_CLOCK_REALTIME, FUTEX_PRIVATE_FLAG, FUTEX_WAIT, FUTEX_WAIT_BITSET};
    const TIMER_ABSTIME: u64 = 1;
    match nr {
        // pipe_read/pipe_write, n_tty_read/n_tty_write, do_wait(),
        // fcntl(F_SETLKW) and flock(), opening a FIFO: -ERESTARTSYS.
        nr::READ | nr::WRITE | nr::READV | nr::WRITEV | nr::PREAD64 | nr::PWRITE64 => Restart::IfSaRestart,
        nr::WAIT4 | nr::WAITID => Restart::IfSaRestart,
        nr::FCNTL | nr::FLOCK | nr::OPEN | nr::OPENAT => Restart::IfSaRestart,
        // futex_wait(): -ERESTARTSYS without a timeout, a restart block
        // (futex_wait_restart) with one.
        nr::FUTEX => {
            let cmd = args[1] as u32 & !(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
            if (cmd == FUTEX_WAIT || cmd == FUTEX_WAIT_BITSET) && args[3] != 0 {
                Restart::Continue
            } else {
                Restart::IfSaRestart
            }
        }
        // hrtimer_nanosleep(): a restart block for a relative sleep,
        // -ERESTARTNOHAND for an absolute one.
        nr::NANOSLEEP => Restart::Continue,
        nr::CLOCK_NANOSLEEP if args[1] & TIMER_ABSTIME != 0 => Restart::NoHandler,
        nr::CLOCK_NANOSLEEP => Restart::Continue,
        // poll(): do_restart_poll; ppoll, select, pselect6 write the time
        // left back and return -ERESTARTNOHAND; sigsuspend and pause too.
        nr::POLL => Restart::Continue,
        nr::PPOLL | nr::SELECT | nr::PSELECT6 | nr::PAUSE | nr::RT_SIGSUSPEND => Restart::NoHandler,
        // System V IPC is never restarted after a handler (signal(7)):
        // semop's sleep returns -EINTR, msgsnd's and msgrcv's
        // -ERESTARTNOHAND.
        nr::SEMOP | nr::SEMTIMEDOP => Restart::Never,
        nr::MSGSND | nr::MSGRCV => Restart::NoHandler,
        // do_sigtimedwait() and ep_poll(): -EINTR.
        nr::RT_SIGTIMEDWAIT | nr::EPOLL_WAIT | nr::EPOLL_PWAIT | nr::EPOLL_PWAIT2 => Restart::Never,
        // copy_process() with a signal arriving: -ERESTARTNOINTR.
        nr::FORK | nr::VFORK | nr::CLONE | nr::CLONE3 => Restart::Always,
        // Linux's interruptible sleeps return -ERESTARTSYS unless said otherwise.
        _ => Restart::IfSaRestart,
    }
}

/// A blocking call found a signal pending (`Kernel::syscall`): its result per
/// [`restart_policy`]. A call that starts over or ends forgets what it
/// kept for running again; one that may go on keeps it (the signal may
/// only stop the task).
pub(crate) fn interrupted(k: &mut Kernel, regs: &PtRegs) -> SysResult {
    let args = regs.syscall_args();
    let policy = restart_policy(regs.orig_rax, &args);
    if !matches!(policy, Restart::Continue | Restart::NoHandler) {
        k.abandon_wait();
    }
    match policy {
        Restart::Always => Err(ERESTARTNOINTR),
        Restart::IfSaRestart => Err(ERESTARTSYS),
        Restart::NoHandler => Err(ERESTARTNOHAND),
        Restart::Continue => match regs.orig_rax {
            nr::NANOSLEEP => process::nanosleep_interrupted(k, args[1]),
            nr::CLOCK_NANOSLEEP => process::nanosleep_interrupted(k, args[3]),
            _ => Err(ERESTART_RESTARTBLOCK),
        },
        Restart::Never => Err(EINTR),
    }
}

/// The system call table (Linux: x64_sys_call()).
/// Run the call in `regs` if it is one that can leave no work for the
/// return to user mode, and return its result; `None` for every other
/// call. [`dispatch`] runs these first, and so does the trap loop's quick
/// return (`entry::syscall`). (These calls are only here.)
///
/// These calls read a field of the calling task and touch nothing else,
/// not even user memory (whose faults could allocate, and so choose an
/// OOM victim). The caller had no pending work when it entered the kernel
/// (every return to user mode made sure), and nothing else ran since, so
/// after one of these there is still none: no signal, no reschedule, no
/// state change, the same return address. The trap loop then returns at
/// once (Linux gets the same effect by testing the task's work flags,
/// which no such call sets: exit_to_user_mode_prepare() finding no
/// _TIF_WORK bits).
///
/// Anything that must see every call (a tracer's syscall stops, a
/// tracepoint) has to run before the trap loop looks at this.
#[inline]
pub(crate) fn quick(k: &mut Kernel, regs: &PtRegs) -> Option<SysResult> {
    use crate::ns::user::IdKind;
    let result = match regs.orig_rax {
        nr::GETPID => Ok(k.pid_vnr(k.cur().tgid) as usize),
        nr::GETPPID => process::getppid(k),
        nr::GETTID => Ok(k.pid_vnr(k.cur().tid) as usize),
        nr::GETUID => Ok(k.id_to_user(IdKind::Uid, k.cur().cred.uid) as usize),
        nr::GETGID => Ok(k.id_to_user(IdKind::Gid, k.cur().cred.gid) as usize),
        nr::GETEUID => Ok(k.id_to_user(IdKind::Uid, k.cur().cred.euid) as usize),
        nr::GETEGID => Ok(k.id_to_user(IdKind::Gid, k.cur().cred.egid) as usize),
        nr::GETPGRP => process::getpgrp(k),
        nr::GETPGID => process::getpgid(k, regs.rdi as i32),
        nr::GETSID => process::getsid(k, regs.rdi as i32),
        _ => return None,
    };
    Some(result)
}

/// A handler's result as the user sees it in rax: the value, or -errno.
#[inline]
pub(crate) fn to_rax(result: SysResult) -> u64 {
    match result {
        Ok(v) => v as u64,
        Err(e) => (-(e.0 as i64)) as u64,
    }
}

pub(crate) fn dispatch(k: &mut Kernel, regs: &mut PtRegs) -> SysResult {
    if let Some(r) = quick(k, regs) {
        return r;
    }
    let [a0, a1, a2, a3, a4, a5] = regs.syscall_args();
    // Paths are walked in the caller's mount namespace.
    k.mnt_switch();
    k.root_switch();
    // System V IPC works on the caller's IPC namespace's tables.
    if matches!(regs.orig_rax, nr::SHMGET..=nr::SHMCTL | nr::SEMGET..=nr::MSGCTL | nr::SEMTIMEDOP) {
        k.ipc_switch();
    }
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
        nr::GETXATTR => xattr::getxattr(k, a0, a1, a2, a3, true),
        nr::LGETXATTR => xattr::getxattr(k, a0, a1, a2, a3, false),
        nr::FGETXATTR => xattr::fgetxattr(k, a0 as i32, a1, a2, a3),
        nr::LISTXATTR => xattr::listxattr(k, a0, a1, a2, true),
        nr::LLISTXATTR => xattr::listxattr(k, a0, a1, a2, false),
        nr::FLISTXATTR => xattr::flistxattr(k, a0 as i32, a1, a2),
        nr::SETXATTR => xattr::setxattr(k, a0, a1, a2, a3, a4 as u32, true),
        nr::LSETXATTR => xattr::setxattr(k, a0, a1, a2, a3, a4 as u32, false),
        nr::FSETXATTR => xattr::fsetxattr(k, a0 as i32, a1, a2, a3, a4 as u32),
        nr::REMOVEXATTR => xattr::removexattr(k, a0, a1, true),
        nr::LREMOVEXATTR => xattr::removexattr(k, a0, a1, false),
        nr::FREMOVEXATTR => xattr::fremovexattr(k, a0 as i32, a1),
        nr::FADVISE64 => fs::fadvise64(k, a0 as i32, a1 as i64, a2 as i64, a3 as i32),
        nr::RSEQ => k.rseq_register(a0, a1 as u32, a2 as u32, a3 as u32),
        nr::TIMERFD_CREATE => timerfd::timerfd_create(k, a0 as u32, a1 as u32),
        nr::TIMERFD_SETTIME => timerfd::timerfd_settime(k, a0 as i32, a1 as u32, a2, a3),
        nr::TIMERFD_GETTIME => timerfd::timerfd_gettime(k, a0 as i32, a1),
        nr::SOCKET => socket::socket(k, a0 as u32, a1 as u32, a2 as u32),
        nr::SOCKETPAIR => socket::socketpair(k, a0 as u32, a1 as u32, a2 as u32, a3),
        nr::BIND => socket::bind(k, a0 as i32, a1, a2 as u32),
        nr::LISTEN => socket::listen(k, a0 as i32, a1 as i32),
        nr::CONNECT => socket::connect(k, a0 as i32, a1, a2 as u32),
        nr::ACCEPT => socket::accept4(k, a0 as i32, a1, a2, 0),
        nr::ACCEPT4 => socket::accept4(k, a0 as i32, a1, a2, a3 as u32),
        nr::SENDTO => socket::sendto(k, a0 as i32, a1, a2, a3 as u32, a4, a5 as u32),
        nr::RECVFROM => socket::recvfrom(k, a0 as i32, a1, a2, a3 as u32, a4, a5),
        nr::SENDMSG => socket::sendmsg(k, a0 as i32, a1, a2 as u32),
        nr::RECVMSG => socket::recvmsg(k, a0 as i32, a1, a2 as u32),
        nr::SHUTDOWN => socket::shutdown(k, a0 as i32, a1 as u32),
        nr::GETSOCKNAME => socket::getname(k, a0 as i32, a1, a2, false),
        nr::GETPEERNAME => socket::getname(k, a0 as i32, a1, a2, true),
        nr::GETSOCKOPT => socket::getsockopt(k, a0 as i32, a1 as i32, a2 as i32, a3, a4),
        nr::SETSOCKOPT => socket::setsockopt(k, a0 as i32, a1 as i32, a2 as i32, a3, a4 as u32),
        nr::MEMFD_CREATE => crate::fs::memfd::memfd_create(k, a0, a1 as u32),
        nr::EPOLL_CREATE => epoll::epoll_create(k, a0 as i32),
        nr::EPOLL_CREATE1 => epoll::epoll_create1(k, a0 as u32),
        nr::EPOLL_CTL => epoll::epoll_ctl(k, a0 as i32, a1 as i32, a2 as i32, a3),
        nr::EPOLL_WAIT => epoll::epoll_wait(k, a0 as i32, a1, a2 as i32, a3 as i32),
        nr::EPOLL_PWAIT => epoll::epoll_pwait(k, a0 as i32, a1, a2 as i32, a3 as i32, a4, a5),
        nr::EPOLL_PWAIT2 => epoll::epoll_pwait2(k, a0 as i32, a1, a2 as i32, a3, a4, a5),
        nr::EVENTFD => eventfd::eventfd2(k, a0 as u32, 0),
        nr::EVENTFD2 => eventfd::eventfd2(k, a0 as u32, a1 as u32),
        nr::SENDFILE => sendfile::sendfile(k, a0 as i32, a1 as i32, a2, a3),
        nr::MREMAP => mem::mremap(k, a0, a1, a2, a3, a4),
        nr::BRK => mem::brk(k, a0),
        nr::MADVISE => mem::madvise(k, a0, a1, a2),
        nr::RT_SIGACTION => process::rt_sigaction(k, a0, a1, a2, a3),
        nr::RT_SIGPROCMASK => process::rt_sigprocmask(k, a0, a1, a2, a3),
        nr::RT_SIGRETURN => sigframe::sys_rt_sigreturn(k, regs),
        nr::RT_SIGSUSPEND => process::rt_sigsuspend(k, a0, a1),
        nr::RT_SIGQUEUEINFO => process::rt_sigqueueinfo(k, a0 as i32, a1 as i32, a2),
        nr::RT_TGSIGQUEUEINFO => process::rt_tgsigqueueinfo(k, a0 as i32, a1 as i32, a2 as i32, a3),
        nr::SIGALTSTACK => sigframe::sys_sigaltstack(k, regs, a0, a1),
        nr::IOCTL => fs::ioctl(k, a0 as i32, a1, a2),
        nr::PREAD64 => fs::pread(k, a0 as i32, a1, a2, a3 as i64),
        nr::PWRITE64 => fs::pwrite(k, a0 as i32, a1, a2, a3 as i64),
        nr::READV => fs::readv(k, a0 as i32, a1, a2),
        nr::PIPE => pipe::pipe2(k, a0, 0),
        nr::PIPE2 => pipe::pipe2(k, a0, a1 as u32),
        nr::WRITEV => fs::writev(k, a0 as i32, a1, a2),
        nr::ACCESS => fs::faccessat(k, crate::abi::AT_FDCWD, a0, a1 as u32, 0),
        nr::SCHED_YIELD => process::sched_yield(k),
        nr::DUP => fs::dup(k, a0 as i32),
        nr::DUP2 => fs::dup2(k, a0 as i32, a1 as i32),
        nr::DUP3 => fs::dup3(k, a0 as i32, a1 as i32, a2 as u32),
        nr::RT_SIGTIMEDWAIT => process::rt_sigtimedwait(k, a0, a1, a2, a3),
        nr::RT_SIGPENDING => process::rt_sigpending(k, a0, a1),
        nr::NANOSLEEP => process::nanosleep(k, a0, a1),
        nr::EXIT => process::exit(k, a0 as i32),
        nr::EXIT_GROUP => process::exit_group(k, a0 as i32),
        nr::UNAME => info::uname(k, a0),
        nr::SETHOSTNAME => ns::set_uts_name(k, false, a0, a1),
        nr::SETDOMAINNAME => ns::set_uts_name(k, true, a0, a1),
        nr::UNSHARE => ns::unshare(k, a0),
        nr::SETNS => ns::setns(k, a0 as i32, a1 as i32),
        nr::FCNTL => fs::fcntl(k, a0 as i32, a1 as u32, a2),
        nr::FSYNC => fs::fsync(k, a0 as i32),
        nr::TRUNCATE => fs::truncate(k, a0, a1 as i64),
        nr::FTRUNCATE => fs::ftruncate(k, a0 as i32, a1 as i64),
        nr::GETCWD => fs::getcwd(k, a0, a1),
        nr::CHDIR => fs::chdir(k, a0),
        nr::FCHDIR => fs::fchdir(k, a0 as i32),
        nr::MKDIR => fs::mkdirat(k, crate::abi::AT_FDCWD, a0, a1 as u32),
        nr::RMDIR => fs::unlinkat(k, crate::abi::AT_FDCWD, a0, crate::abi::AT_REMOVEDIR),
        nr::UNLINK => fs::unlinkat(k, crate::abi::AT_FDCWD, a0, 0),
        nr::READLINK => fs::readlinkat(k, crate::abi::AT_FDCWD, a0, a1, a2),
        nr::UMASK => fs::umask(k, a0 as u32),
        nr::GETTIMEOFDAY => info::gettimeofday(k, a0, a1),
        nr::GETRLIMIT => info::getrlimit(k, a0 as u32, a1),
        nr::SETRLIMIT => info::setrlimit(k, a0 as u32, a1),
        nr::FORK => clone::sys_fork(k, regs),
        nr::VFORK => clone::sys_vfork(k, regs),
        nr::CLONE3 => clone::sys_clone3(k, regs, a0, a1),
        nr::CLONE => clone::sys_clone(k, regs, a0, a1, a2, a3, a4),
        nr::WAIT4 => wait::sys_wait4(k, a0 as i32, a1, a2 as u32, a3),
        nr::WAITID => wait::sys_waitid(k, a0 as u32, a1 as i32, a2, a3 as u32, a4),
        nr::KILL => process::kill(k, a0 as i32, a1),
        nr::TKILL => process::tgkill(k, None, a0 as i32, a1),
        nr::TGKILL => process::tgkill(k, Some(a0 as i32), a1 as i32, a2),
        nr::PAUSE => process::pause(k),
        nr::PRCTL => process::prctl(k, a0, a1, a2, a3, a4),
        nr::CAPGET => cred::capget(k, a0, a1),
        nr::CAPSET => cred::capset(k, a0, a1),
        nr::SETPGID => process::setpgid(k, a0 as i32, a1 as i32),
        nr::SETSID => process::setsid(k),
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
        nr::SELECT => poll::select(k, a0 as i32, a1, a2, a3, a4),
        nr::PSELECT6 => poll::pselect6(k, a0 as i32, a1, a2, a3, a4, a5),
        nr::SYNC | nr::SYNCFS => misc::sync(k),
        nr::MOUNT => mount::mount(k, a0, a1, a2, a3, a4),
        nr::UMOUNT2 => mount::umount2(k, a0, a1 as u32),
        nr::CHROOT => fsroot::chroot(k, a0),
        nr::PIVOT_ROOT => fsroot::pivot_root(k, a0, a1),
        nr::FDATASYNC => fs::fsync(k, a0 as i32),
        nr::SCHED_GETAFFINITY => misc::sched_getaffinity(k, a0 as i32, a1, a2),
        nr::GETCPU => misc::getcpu(k, a0, a1),
        nr::SCHED_SETAFFINITY => misc::sched_setaffinity(k, a0 as i32, a1, a2),
        nr::GETPRIORITY => misc::getpriority(k, a0 as i32, a1 as i32),
        nr::SETPRIORITY => misc::setpriority(k, a0 as i32, a1 as i32, a2 as i32),
        nr::STATFS => misc::statfs(k, a0, a1),
        nr::FSTATFS => misc::fstatfs(k, a0 as i32, a1),
        nr::UTIMENSAT => fsmeta::utimensat(k, a0 as i32, a1, a2, a3 as u32),
        nr::CHOWN => fsmeta::fchownat(k, crate::abi::AT_FDCWD, a0, a1 as u32, a2 as u32, 0),
        nr::LCHOWN => {
            fsmeta::fchownat(k, crate::abi::AT_FDCWD, a0, a1 as u32, a2 as u32, crate::abi::AT_SYMLINK_NOFOLLOW)
        }
        nr::FCHOWN => fsmeta::fchown(k, a0 as i32, a1 as u32, a2 as u32),
        nr::FCHOWNAT => fsmeta::fchownat(k, a0 as i32, a1, a2 as u32, a3 as u32, a4 as u32),
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
        nr::PIDFD_GETFD => pidfd::sys_pidfd_getfd(k, a0 as i32, a1 as i32, a2 as u32),
        nr::PIDFD_OPEN => pidfd::sys_pidfd_open(k, a0 as i32, a1 as u32),
        nr::PIDFD_SEND_SIGNAL => pidfd::sys_pidfd_send_signal(k, a0 as i32, a1 as u32, a2, a3 as u32),
        nr::FUTEX => futex::sys_futex(k, a0, a1 as u32, a2 as u32, a3, a4, a5 as u32),
        nr::EXECVE => execve::sys_execve(k, regs, a0, a1, a2),
        nr::EXECVEAT => execve::sys_execveat(k, regs, a0 as i32, a1, a2, a3, a4 as u32),
        nr::ALARM => timer::alarm(k, a0 as u32),
        nr::GETITIMER => timer::getitimer(k, a0 as i32, a1),
        nr::SETITIMER => timer::setitimer(k, a0 as i32, a1, a2),
        nr::TIMER_CREATE => timer::timer_create(k, a0 as i32, a1, a2),
        nr::TIMER_SETTIME => timer::timer_settime(k, a0 as i32, a1 as i32, a2, a3),
        nr::TIMER_GETTIME => timer::timer_gettime(k, a0 as i32, a1),
        nr::TIMER_GETOVERRUN => timer::timer_getoverrun(k, a0 as i32),
        nr::TIMER_DELETE => timer::timer_delete(k, a0 as i32),
        nr::FLOCK => flock::sys_flock(k, a0 as i32, a1 as u32),
        nr::SYSINFO => system::sysinfo(k, a0),
        nr::SYSLOG => syslog::syslog(k, a0 as u32, a1, a2 as i32),
        nr::REBOOT => system::reboot(k, a0 as u32, a1 as u32, a2 as u32, a3),
        nr::MLOCK => system::mlock(k, a0, a1),
        nr::MUNLOCK => system::munlock(k, a0, a1),
        nr::MLOCKALL => system::mlockall(k, a0),
        nr::MUNLOCKALL => system::munlockall(k),
        nr::MLOCK2 => system::mlock2(k, a0, a1, a2),
        nr::SHMGET => ipc::sys_shmget(k, a0 as i32, a1, a2 as u32),
        nr::SHMAT => ipc::sys_shmat(k, a0 as i32, a1, a2 as u32),
        nr::SHMDT => ipc::sys_shmdt(k, a0),
        nr::SHMCTL => ipc::sys_shmctl(k, a0 as i32, a1 as i32, a2),
        nr::SEMGET => ipc::sys_semget(k, a0 as i32, a1 as i32, a2 as u32),
        nr::SEMOP => ipc::sys_semtimedop(k, a0 as i32, a1, a2 as u32 as u64, 0),
        nr::SEMTIMEDOP => ipc::sys_semtimedop(k, a0 as i32, a1, a2 as u32 as u64, a3),
        nr::SEMCTL => ipc::sys_semctl(k, a0 as i32, a1 as i32, a2 as i32, a3),
        nr::MSGGET => ipc::sys_msgget(k, a0 as i32, a1 as u32),
        nr::MSGSND => ipc::sys_msgsnd(k, a0 as i32, a1, a2 as i64, a3 as u32),
        nr::MSGRCV => ipc::sys_msgrcv(k, a0 as i32, a1, a2 as i64, a3 as i64, a4 as u32),
        nr::MSGCTL => ipc::sys_msgctl(k, a0 as i32, a1 as i32, a2),
        nr::FUTEX_WAITV => futex::sys_futex_waitv(k, a0, a1 as u32, a2 as u32, a3, a4),
        nr::CREAT => fs::openat(
            k,
            crate::abi::AT_FDCWD,
            a0,
            crate::abi::O_CREAT | crate::abi::O_WRONLY | crate::abi::O_TRUNC,
            a1 as u32,
        ),
        nr::CLOSE_RANGE => fs::close_range(k, a0 as u32, a1 as u32, a2 as u32),
        nr::FALLOCATE => fs::fallocate(k, a0 as i32, a1 as u32, a2 as i64, a3 as i64),
        nr::MSYNC => mem::msync(k, a0, a1, a2),
        nr::PERSONALITY => process::personality(k, a0 as u32),
        nr::SIGNALFD => signalfd::signalfd4(k, a0 as i32, a1, a2, 0),
        nr::SIGNALFD4 => signalfd::signalfd4(k, a0 as i32, a1, a2, a3 as u32),
        nr::MKNOD => fs::mknodat(k, crate::abi::AT_FDCWD, a0, a1 as u32, a2),
        nr::MKNODAT => fs::mknodat(k, a0 as i32, a1, a2 as u32, a3),
        nr::KCMP => process::kcmp(k, a0 as i32, a1 as i32, a2 as u32, a3, a4),
        nr::PTRACE => ptrace::sys_ptrace(k, a0, a1, a2, a3),
        nr::PROCESS_VM_READV => ptrace::process_vm_rw(k, [a0, a1, a2, a3, a4, a5], false),
        nr::PROCESS_VM_WRITEV => ptrace::process_vm_rw(k, [a0, a1, a2, a3, a4, a5], true),
        n => {
            k.log_enosys(n);
            Err(ENOSYS)
        }
    }
}
