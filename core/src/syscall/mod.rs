//! The x86_64 Linux system call table: one handler per call, grouped by
//! subsystem. Every handler returns `SysResult`; the dispatcher turns an
//! error into `-errno` in rax, as Linux's syscall exit does.

mod fs;
mod info;
mod mem;
mod process;

use crate::abi::{nr, PtRegs, SysResult, ENOSYS, ERESTARTNOINTR};
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
    pub fn syscall(&mut self, regs: &mut PtRegs) -> SyscallOutcome {
        match dispatch(self, regs) {
            Ok(v) => regs.rax = v as u64,
            Err(ERESTARTNOINTR) => return SyscallOutcome::Blocked,
            Err(e) => regs.rax = (-(e.0 as i64)) as u64,
        }
        SyscallOutcome::Done
    }
}

fn dispatch(k: &mut Kernel, regs: &mut PtRegs) -> SysResult {
    let [a0, a1, a2, a3, a4, a5] = regs.syscall_args();
    let _ = a5;
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
        nr::GETPPID => Ok(k.cur().parent as usize),
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
        nr::EXECVE => crate::proc::exec::sys_execve(k, regs, a0, a1, a2),
        n => {
            k.log_enosys(n);
            Err(ENOSYS)
        }
    }
}
