//! `tine.strace=COMM` on the kernel command line: every system call of
//! the programs named COMM (matched by comm at exec) and of their
//! descendants goes to the kernel log, one line each, in strace(1)'s
//! format: `[pid N] openat(AT_FDCWD, "/etc/passwd", O_RDONLY) = 3`, or
//! `= -1 ENOENT (No such file or directory)`. Linux has no such option
//! (strace uses ptrace); this is a debugging aid.
//!
//! Decoding is table-driven: each call's name and the kind of each
//! argument (a string, a file descriptor, open/mmap/clone flags, a
//! number). Arguments are decoded before the call runs (an execve's path
//! is gone after it), buffers a call fills (read) after it; a call that
//! blocks is logged once, when it finishes. A call Tine knows (it has a
//! number in `abi::nr`) but whose arguments the table does not describe
//! shows by name with its six arguments in hex; any other as
//! `syscall_N(...)`.

use alloc::string::String;
use core::fmt::Write;

use crate::abi::{nr, Errno, PtRegs, SysResult};
use crate::kernel::Kernel;

/// How one argument is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Arg {
    /// A signed int.
    Int,
    /// A number shown in hex (a pointer: NULL for 0).
    Ptr,
    /// An unsigned size or count.
    Size,
    /// A NUL-terminated string.
    Str,
    /// A buffer written to the kernel, its length the next argument.
    BufIn,
    /// A buffer the kernel fills, its length the call's result.
    BufOut,
    /// A directory descriptor: AT_FDCWD by name.
    Dirfd,
    /// open's flags.
    OpenFlags,
    /// O_CLOEXEC and friends without an access mode (pipe2, dup3).
    FdFlags,
    /// An `int[2]` the call fills (pipe): `[3, 4]` after it.
    FdPair,
    /// A file mode, in octal; after open flags, shown only with O_CREAT
    /// or O_TMPFILE, as strace does.
    Mode,
    /// mmap/mprotect's protection.
    Prot,
    /// mmap's flags.
    MapFlags,
    /// clone's flags (the exit signal in the low byte).
    CloneFlags,
    /// A signal number.
    Signal,
}

use Arg::*;

/// How the result is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ret {
    Dec,
    Hex,
    /// Never returns (exit, exit_group): `= ?`, logged before the call.
    None,
}

struct Call {
    nr: u64,
    name: &'static str,
    args: &'static [Arg],
    ret: Ret,
}

const fn c(nr: u64, name: &'static str, args: &'static [Arg]) -> Call {
    Call { nr, name, args, ret: Ret::Dec }
}

const CALLS: &[Call] = &[
    c(nr::READ, "read", &[Int, BufOut, Size]),
    c(nr::WRITE, "write", &[Int, BufIn, Size]),
    c(nr::OPEN, "open", &[Str, OpenFlags, Mode]),
    c(nr::CLOSE, "close", &[Int]),
    c(nr::STAT, "stat", &[Str, Ptr]),
    c(nr::FSTAT, "fstat", &[Int, Ptr]),
    c(nr::LSTAT, "lstat", &[Str, Ptr]),
    c(nr::LSEEK, "lseek", &[Int, Int, Int]),
    Call { nr: nr::MMAP, name: "mmap", args: &[Ptr, Size, Prot, MapFlags, Int, Size], ret: Ret::Hex },
    c(nr::MPROTECT, "mprotect", &[Ptr, Size, Prot]),
    c(nr::MUNMAP, "munmap", &[Ptr, Size]),
    Call { nr: nr::BRK, name: "brk", args: &[Ptr], ret: Ret::Hex },
    c(nr::RT_SIGACTION, "rt_sigaction", &[Signal, Ptr, Ptr, Size]),
    c(nr::RT_SIGPROCMASK, "rt_sigprocmask", &[Int, Ptr, Ptr, Size]),
    c(nr::IOCTL, "ioctl", &[Int, Ptr, Ptr]),
    c(nr::PREAD64, "pread64", &[Int, BufOut, Size, Int]),
    c(nr::PWRITE64, "pwrite64", &[Int, BufIn, Size, Int]),
    c(nr::READV, "readv", &[Int, Ptr, Int]),
    c(nr::WRITEV, "writev", &[Int, Ptr, Int]),
    c(nr::ACCESS, "access", &[Str, Int]),
    c(nr::PIPE, "pipe", &[FdPair]),
    c(nr::PIPE2, "pipe2", &[FdPair, FdFlags]),
    c(nr::DUP, "dup", &[Int]),
    c(nr::DUP2, "dup2", &[Int, Int]),
    c(nr::DUP3, "dup3", &[Int, Int, FdFlags]),
    c(nr::NANOSLEEP, "nanosleep", &[Ptr, Ptr]),
    c(nr::GETPID, "getpid", &[]),
    c(nr::CLONE, "clone", &[CloneFlags, Ptr, Ptr, Ptr, Ptr]),
    c(nr::FORK, "fork", &[]),
    c(nr::VFORK, "vfork", &[]),
    c(nr::EXECVE, "execve", &[Str, Ptr, Ptr]),
    Call { nr: nr::EXIT, name: "exit", args: &[Int], ret: Ret::None },
    c(nr::WAIT4, "wait4", &[Int, Ptr, Int, Ptr]),
    c(nr::KILL, "kill", &[Int, Signal]),
    c(nr::UNAME, "uname", &[Ptr]),
    c(nr::FCNTL, "fcntl", &[Int, Int, Ptr]),
    c(nr::GETCWD, "getcwd", &[Ptr, Size]),
    c(nr::CHDIR, "chdir", &[Str]),
    c(nr::MKDIR, "mkdir", &[Str, Mode]),
    c(nr::RMDIR, "rmdir", &[Str]),
    c(nr::UNLINK, "unlink", &[Str]),
    c(nr::READLINK, "readlink", &[Str, Ptr, Size]),
    c(nr::GETUID, "getuid", &[]),
    c(nr::GETGID, "getgid", &[]),
    c(nr::GETEUID, "geteuid", &[]),
    c(nr::GETEGID, "getegid", &[]),
    c(nr::GETPPID, "getppid", &[]),
    c(nr::SETPGID, "setpgid", &[Int, Int]),
    c(nr::GETPGRP, "getpgrp", &[]),
    c(nr::SETSID, "setsid", &[]),
    c(nr::ARCH_PRCTL, "arch_prctl", &[Int, Ptr]),
    c(nr::GETTID, "gettid", &[]),
    c(nr::GETDENTS64, "getdents64", &[Int, Ptr, Size]),
    c(nr::SET_TID_ADDRESS, "set_tid_address", &[Ptr]),
    c(nr::CLOCK_GETTIME, "clock_gettime", &[Int, Ptr]),
    c(nr::CLOCK_NANOSLEEP, "clock_nanosleep", &[Int, Int, Ptr, Ptr]),
    Call { nr: nr::EXIT_GROUP, name: "exit_group", args: &[Int], ret: Ret::None },
    c(nr::OPENAT, "openat", &[Dirfd, Str, OpenFlags, Mode]),
    c(nr::MKDIRAT, "mkdirat", &[Dirfd, Str, Mode]),
    c(nr::NEWFSTATAT, "newfstatat", &[Dirfd, Str, Ptr, Int]),
    c(nr::UNLINKAT, "unlinkat", &[Dirfd, Str, Int]),
    c(nr::READLINKAT, "readlinkat", &[Dirfd, Str, Ptr, Size]),
    c(nr::FACCESSAT, "faccessat", &[Dirfd, Str, Int]),
    c(nr::PRLIMIT64, "prlimit64", &[Int, Int, Ptr, Ptr]),
    c(nr::CLONE3, "clone3", &[Ptr, Size]),
    c(nr::FACCESSAT2, "faccessat2", &[Dirfd, Str, Int, Int]),
    c(nr::STATX, "statx", &[Dirfd, Str, Ptr, Ptr, Ptr]),
    c(nr::FUTEX, "futex", &[Ptr, Int, Int, Ptr, Ptr, Int]),
    c(nr::SET_ROBUST_LIST, "set_robust_list", &[Ptr, Size]),
    c(nr::GETRANDOM, "getrandom", &[Ptr, Size, Ptr]),
    c(nr::RSEQ, "rseq", &[Ptr, Size, Int, Ptr]),
    Call { nr: nr::MREMAP, name: "mremap", args: &[Ptr, Size, Size, Ptr, Ptr], ret: Ret::Hex },
    c(nr::MADVISE, "madvise", &[Ptr, Size, Int]),
    c(nr::MSYNC, "msync", &[Ptr, Size, Ptr]),
    c(nr::SENDFILE, "sendfile", &[Int, Int, Ptr, Size]),
    c(nr::FTRUNCATE, "ftruncate", &[Int, Size]),
    c(nr::SCHED_GETAFFINITY, "sched_getaffinity", &[Int, Size, Ptr]),
    c(nr::PRCTL, "prctl", &[Int, Ptr, Ptr, Ptr, Ptr]),
    c(nr::EVENTFD2, "eventfd2", &[Int, FdFlags]),
    c(nr::SIGNALFD4, "signalfd4", &[Int, Ptr, Size, FdFlags]),
    c(nr::MEMFD_CREATE, "memfd_create", &[Str, Int]),
    c(nr::EPOLL_CREATE, "epoll_create", &[Int]),
    c(nr::EPOLL_CREATE1, "epoll_create1", &[FdFlags]),
    c(nr::EPOLL_CTL, "epoll_ctl", &[Int, Int, Int, Ptr]),
    c(nr::EPOLL_WAIT, "epoll_wait", &[Int, Ptr, Int, Int]),
    c(nr::EPOLL_PWAIT, "epoll_pwait", &[Int, Ptr, Int, Int, Ptr, Size]),
    c(nr::EPOLL_PWAIT2, "epoll_pwait2", &[Int, Ptr, Int, Ptr, Ptr, Size]),
    c(nr::TIMERFD_CREATE, "timerfd_create", &[Int, FdFlags]),
    c(nr::TIMERFD_SETTIME, "timerfd_settime", &[Int, Int, Ptr, Ptr]),
    c(nr::TIMERFD_GETTIME, "timerfd_gettime", &[Int, Ptr]),
    c(nr::SOCKET, "socket", &[Int, Int, Int]),
    c(nr::SOCKETPAIR, "socketpair", &[Int, Int, Int, FdPair]),
    c(nr::BIND, "bind", &[Int, Ptr, Int]),
    c(nr::LISTEN, "listen", &[Int, Int]),
    c(nr::CONNECT, "connect", &[Int, Ptr, Int]),
    c(nr::ACCEPT, "accept", &[Int, Ptr, Ptr]),
    c(nr::ACCEPT4, "accept4", &[Int, Ptr, Ptr, FdFlags]),
    c(nr::SENDTO, "sendto", &[Int, BufIn, Size, Int, Ptr, Int]),
    c(nr::RECVFROM, "recvfrom", &[Int, BufOut, Size, Int, Ptr, Ptr]),
    c(nr::SENDMSG, "sendmsg", &[Int, Ptr, Int]),
    c(nr::RECVMSG, "recvmsg", &[Int, Ptr, Int]),
    c(nr::SHUTDOWN, "shutdown", &[Int, Int]),
    c(nr::GETSOCKNAME, "getsockname", &[Int, Ptr, Ptr]),
    c(nr::GETPEERNAME, "getpeername", &[Int, Ptr, Ptr]),
    c(nr::SETSOCKOPT, "setsockopt", &[Int, Int, Int, Ptr, Int]),
    c(nr::GETSOCKOPT, "getsockopt", &[Int, Int, Int, Ptr, Ptr]),
    c(nr::SETXATTR, "setxattr", &[Str, Str, BufIn, Size, Int]),
    c(nr::LSETXATTR, "lsetxattr", &[Str, Str, BufIn, Size, Int]),
    c(nr::FSETXATTR, "fsetxattr", &[Int, Str, BufIn, Size, Int]),
    c(nr::GETXATTR, "getxattr", &[Str, Str, BufOut, Size]),
    c(nr::LGETXATTR, "lgetxattr", &[Str, Str, BufOut, Size]),
    c(nr::FGETXATTR, "fgetxattr", &[Int, Str, BufOut, Size]),
    c(nr::LISTXATTR, "listxattr", &[Str, Ptr, Size]),
    c(nr::LLISTXATTR, "llistxattr", &[Str, Ptr, Size]),
    c(nr::FLISTXATTR, "flistxattr", &[Int, Ptr, Size]),
    c(nr::REMOVEXATTR, "removexattr", &[Str, Str]),
    c(nr::LREMOVEXATTR, "lremovexattr", &[Str, Str]),
    c(nr::FREMOVEXATTR, "fremovexattr", &[Int, Str]),
    c(nr::POLL, "poll", &[Ptr, Size, Int]),
    c(nr::PAUSE, "pause", &[]),
    c(nr::PTRACE, "ptrace", &[Int, Int, Ptr, Ptr]),
    c(nr::RT_SIGTIMEDWAIT, "rt_sigtimedwait", &[Ptr, Ptr, Ptr, Size]),
    c(nr::RT_SIGSUSPEND, "rt_sigsuspend", &[Ptr, Size]),
    c(nr::WAITID, "waitid", &[Int, Int, Ptr, Int, Ptr]),
    c(nr::PPOLL, "ppoll", &[Ptr, Size, Ptr, Ptr, Size]),
];

/// The name of call `nr` from `abi::nr`, the one list of numbers the
/// dispatcher matches on, so that a call added there is named here too
/// (`FOO_BAR` is Linux's `foo_bar`). Read from its source, and only when
/// a call is logged that the table above does not describe.
fn nr_name(nr: u64) -> Option<&'static str> {
    include_str!("../abi/nr.rs").lines().find_map(|l| {
        let (name, num) = l.strip_prefix("pub const ")?.strip_suffix(';')?.split_once(": u64 = ")?;
        (num.parse() == Ok(nr)).then_some(name)
    })
}

/// The name of system call `nr` and how many arguments it takes, if the
/// table has it (the task dump of `proc::show_state` shows the call a
/// task sleeps in).
pub fn call_shape(nr: u64) -> Option<(&'static str, usize)> {
    CALLS.iter().find(|c| c.nr == nr).map(|c| (c.name, c.args.len()))
}

/// strace's default string limit (-s 32).
const STR_MAX: usize = 32;

const OPEN_FLAGS: &[(u64, &str)] = &[
    (0o100, "O_CREAT"),
    (0o200, "O_EXCL"),
    (0o400, "O_NOCTTY"),
    (0o1000, "O_TRUNC"),
    (0o2000, "O_APPEND"),
    (0o4000, "O_NONBLOCK"),
    (0o4010000, "O_SYNC"),
    (0o10000, "O_DSYNC"),
    (0o40000, "O_DIRECT"),
    (0o100000, "O_LARGEFILE"),
    (0o200000, "O_DIRECTORY"),
    (0o400000, "O_NOFOLLOW"),
    (0o1000000, "O_NOATIME"),
    (0o2000000, "O_CLOEXEC"),
    (0o10000000, "O_PATH"),
];

const PROT_FLAGS: &[(u64, &str)] = &[(1, "PROT_READ"), (2, "PROT_WRITE"), (4, "PROT_EXEC")];

const MAP_FLAGS: &[(u64, &str)] = &[
    (0x10, "MAP_FIXED"),
    (0x20, "MAP_ANONYMOUS"),
    (0x100, "MAP_GROWSDOWN"),
    (0x800, "MAP_DENYWRITE"),
    (0x1000, "MAP_EXECUTABLE"),
    (0x2000, "MAP_LOCKED"),
    (0x4000, "MAP_NORESERVE"),
    (0x8000, "MAP_POPULATE"),
    (0x10000, "MAP_NONBLOCK"),
    (0x20000, "MAP_STACK"),
    (0x100000, "MAP_FIXED_NOREPLACE"),
];

const CLONE_FLAGS: &[(u64, &str)] = &[
    (0x100, "CLONE_VM"),
    (0x200, "CLONE_FS"),
    (0x400, "CLONE_FILES"),
    (0x800, "CLONE_SIGHAND"),
    (0x1000, "CLONE_PIDFD"),
    (0x2000, "CLONE_PTRACE"),
    (0x4000, "CLONE_VFORK"),
    (0x8000, "CLONE_PARENT"),
    (0x10000, "CLONE_THREAD"),
    (0x20000, "CLONE_NEWNS"),
    (0x40000, "CLONE_SYSVSEM"),
    (0x80000, "CLONE_SETTLS"),
    (0x100000, "CLONE_PARENT_SETTID"),
    (0x200000, "CLONE_CHILD_CLEARTID"),
    (0x1000000, "CLONE_CHILD_SETTID"),
];

const SIGNALS: [&str; 32] = [
    "0",
    "SIGHUP",
    "SIGINT",
    "SIGQUIT",
    "SIGILL",
    "SIGTRAP",
    "SIGABRT",
    "SIGBUS",
    "SIGFPE",
    "SIGKILL",
    "SIGUSR1",
    "SIGSEGV",
    "SIGUSR2",
    "SIGPIPE",
    "SIGALRM",
    "SIGTERM",
    "SIGSTKFLT",
    "SIGCHLD",
    "SIGCONT",
    "SIGSTOP",
    "SIGTSTP",
    "SIGTTIN",
    "SIGTTOU",
    "SIGURG",
    "SIGXCPU",
    "SIGXFSZ",
    "SIGVTALRM",
    "SIGPROF",
    "SIGWINCH",
    "SIGIO",
    "SIGPWR",
    "SIGSYS",
];

/// `A|B|0x..` for the bits of `v` named in `names`; `zero` when none.
fn flags(out: &mut String, mut v: u64, names: &[(u64, &str)], zero: &str) {
    let mut first = true;
    for &(bit, name) in names {
        if v & bit == bit {
            let _ = write!(out, "{}{name}", if first { "" } else { "|" });
            v &= !bit;
            first = false;
        }
    }
    if v != 0 || first {
        if v == 0 {
            out.push_str(zero);
        } else {
            let _ = write!(out, "{}{v:#x}", if first { "" } else { "|" });
        }
    }
}

/// A string as strace quotes it: C escapes, at most `STR_MAX` bytes, and
/// `...` after the quote when there was more.
fn quoted(out: &mut String, bytes: &[u8], more: bool) {
    out.push('"');
    for &b in bytes.iter().take(STR_MAX) {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\t' => out.push_str("\\t"),
            b'\r' => out.push_str("\\r"),
            0x20..=0x7e => out.push(b as char),
            _ => {
                let _ = write!(out, "\\{b:o}");
            }
        }
    }
    out.push('"');
    if more || bytes.len() > STR_MAX {
        out.push_str("...");
    }
}

/// A user buffer of `len` bytes at `addr`, quoted; its address if unreadable.
fn buffer(k: &mut Kernel, out: &mut String, addr: u64, len: u64) {
    let n = (len as usize).min(STR_MAX);
    let mut b = alloc::vec![0u8; n];
    if k.copy_in(addr, &mut b).is_ok() {
        quoted(out, &b, len as usize > STR_MAX);
    } else {
        let _ = write!(out, "{addr:#x}");
    }
}

fn one_arg(k: &mut Kernel, out: &mut String, kind: Arg, v: u64, next: u64) {
    match kind {
        Int => {
            let _ = write!(out, "{}", v as i64 as i32);
        }
        Size => {
            let _ = write!(out, "{v}");
        }
        Ptr if v == 0 => out.push_str("NULL"),
        Ptr | BufOut | FdPair => {
            let _ = write!(out, "{v:#x}");
        }
        FdFlags => flags(out, v, OPEN_FLAGS, "0"),
        Str => match k.read_cstr(v, 4096) {
            Ok(s) => quoted(out, &s, false),
            Err(_) => {
                let _ = write!(out, "{v:#x}");
            }
        },
        BufIn => buffer(k, out, v, next),
        Dirfd if v as i32 == crate::abi::AT_FDCWD => out.push_str("AT_FDCWD"),
        Dirfd => {
            let _ = write!(out, "{}", v as i32);
        }
        OpenFlags => {
            out.push_str(["O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"][(v & 3) as usize]);
            if v & !3 != 0 {
                out.push('|');
                flags(out, v & !3, OPEN_FLAGS, "0");
            }
        }
        Mode => {
            let _ = write!(out, "0{:o}", v as u32);
        }
        Prot => flags(out, v, PROT_FLAGS, "PROT_NONE"),
        MapFlags => {
            out.push_str(match v & 3 {
                1 => "MAP_SHARED",
                2 => "MAP_PRIVATE",
                3 => "MAP_SHARED_VALIDATE",
                _ => "0",
            });
            if v & !3 != 0 {
                out.push('|');
                flags(out, v & !3, MAP_FLAGS, "0");
            }
        }
        CloneFlags => {
            let sig = v & 0xff;
            flags(out, v & !0xff, CLONE_FLAGS, "0");
            if sig != 0 {
                let _ = write!(out, "|{}", SIGNALS.get(sig as usize).copied().unwrap_or("SIG?"));
            }
        }
        Signal => match SIGNALS.get(v as usize) {
            Some(name) => out.push_str(name),
            None => {
                let _ = write!(out, "{}", v as i32);
            }
        },
    }
}

/// A call being traced: the line up to its closing parenthesis, and what
/// the result needs.
pub struct Pending {
    line: String,
    call: Option<&'static Call>,
    args: [u64; 6],
}

/// Decode the call in `regs` (x86_64 layout) before it runs. A call that
/// never returns is logged now.
pub fn enter(k: &mut Kernel, regs: &PtRegs) -> Pending {
    let args = regs.syscall_args();
    let call = CALLS.iter().find(|c| c.nr == regs.orig_rax);
    let mut line = String::new();
    let _ = write!(line, "[pid {}] ", k.cur().tid);
    match call {
        Some(c) => {
            line.push_str(c.name);
            line.push('(');
            for (i, &kind) in c.args.iter().enumerate() {
                const O_CREAT: u64 = 0o100;
                const O_TMPFILE: u64 = 0o20000000;
                if kind == Mode && i > 0 && c.args[i - 1] == OpenFlags && args[i - 1] & (O_CREAT | O_TMPFILE) == 0 {
                    break;
                }
                if i > 0 {
                    line.push_str(", ");
                }
                let next = args.get(i + 1).copied().unwrap_or(0);
                one_arg(k, &mut line, kind, args[i], next);
            }
        }
        None => {
            match nr_name(regs.orig_rax) {
                Some(name) => line.extend(name.chars().map(|c| c.to_ascii_lowercase()).chain(['('])),
                None => {
                    let _ = write!(line, "syscall_{}(", regs.orig_rax);
                }
            }
            for (i, a) in args.iter().enumerate() {
                let _ = write!(line, "{}{a:#x}", if i > 0 { ", " } else { "" });
            }
        }
    }
    line.push(')');
    if call.is_some_and(|c| c.ret == Ret::None) {
        k.log_level(crate::log::KERN_DEBUG, format_args!("strace: {line} = ?"));
    }
    Pending { line, call, args }
}

/// Log the finished call with its result.
pub fn exit(k: &mut Kernel, p: Pending, result: &SysResult) {
    let Pending { mut line, call, args } = p;
    if call.is_some_and(|c| c.ret == Ret::None) {
        return;
    }
    // What the call filled in (read's buffer, pipe's descriptors) in
    // place of the address shown before it.
    if let (Some(c), Ok(n)) = (call, result) {
        for (i, &kind) in c.args.iter().enumerate() {
            let mut shown = String::new();
            match kind {
                BufOut => buffer(k, &mut shown, args[i], *n as u64),
                FdPair => match (k.read_val::<i32>(args[i]), k.read_val::<i32>(args[i] + 4)) {
                    (Ok(a), Ok(b)) => {
                        let _ = write!(shown, "[{a}, {b}]");
                    }
                    _ => continue,
                },
                _ => continue,
            }
            let addr = alloc::format!("{:#x}", args[i]);
            if let Some(pos) = line.find(&addr) {
                line.replace_range(pos..pos + addr.len(), &shown);
            }
        }
    }
    match result {
        Ok(v) if call.is_some_and(|c| c.ret == Ret::Hex) => {
            let _ = write!(line, " = {v:#x}");
        }
        Ok(v) => {
            let _ = write!(line, " = {}", *v as i64);
        }
        Err(e) => {
            let _ = write!(line, " = {}", error_text(*e));
        }
    }
    k.log_level(crate::log::KERN_DEBUG, format_args!("strace: {line}"));
}

/// `-1 ENOENT (No such file or directory)`, or strace's `? ERESTARTSYS
/// (...)` for the codes a signal turns into EINTR or a restart.
fn error_text(e: Errno) -> String {
    let (prefix, msg) = match e.0 {
        512 => ("?", "To be restarted if SA_RESTART is set"),
        513 => ("?", "To be restarted"),
        514 => ("?", "To be restarted if no handler"),
        516 => ("?", "Interrupted by signal"),
        _ => ("-1", strerror(e)),
    };
    alloc::format!("{prefix} {} ({msg})", e.name())
}

/// glibc's strerror() text for the errors Tine returns.
fn strerror(e: Errno) -> &'static str {
    const TEXT: [&str; 41] = [
        "Success",
        "Operation not permitted",
        "No such file or directory",
        "No such process",
        "Interrupted system call",
        "Input/output error",
        "No such device or address",
        "Argument list too long",
        "Exec format error",
        "Bad file descriptor",
        "No child processes",
        "Resource temporarily unavailable",
        "Cannot allocate memory",
        "Permission denied",
        "Bad address",
        "Block device required",
        "Device or resource busy",
        "File exists",
        "Invalid cross-device link",
        "No such device",
        "Not a directory",
        "Is a directory",
        "Invalid argument",
        "Too many open files in system",
        "Too many open files",
        "Inappropriate ioctl for device",
        "Text file busy",
        "File too large",
        "No space left on device",
        "Illegal seek",
        "Read-only file system",
        "Too many links",
        "Broken pipe",
        "Numerical argument out of domain",
        "Numerical result out of range",
        "Resource deadlock avoided",
        "File name too long",
        "No locks available",
        "Function not implemented",
        "Directory not empty",
        "Too many levels of symbolic links",
    ];
    match e.0 {
        n @ 0..=40 => TEXT[n as usize],
        42 => "No message of desired type",
        43 => "Identifier removed",
        61 => "No data available",
        62 => "Timer expired",
        75 => "Value too large for defined data type",
        95 => "Operation not supported",
        110 => "Connection timed out",
        _ => "Unknown error",
    }
}

impl Kernel {
    /// `tine.strace=COMM` from the kernel command line.
    pub fn set_strace(&mut self, cmdline: &str) {
        self.strace_comm =
            cmdline.split_whitespace().find_map(|w| w.strip_prefix("tine.strace=")).map(|c| c.as_bytes().to_vec());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_and_strings_as_strace_shows_them() {
        let mut s = String::new();
        flags(&mut s, 0o2000000 | 0o100, OPEN_FLAGS, "0");
        assert_eq!(s, "O_CREAT|O_CLOEXEC");
        s.clear();
        flags(&mut s, 0, PROT_FLAGS, "PROT_NONE");
        assert_eq!(s, "PROT_NONE");
        s.clear();
        flags(&mut s, 0x3 | 0x8000_0000, PROT_FLAGS, "PROT_NONE");
        assert_eq!(s, "PROT_READ|PROT_WRITE|0x80000000");
        s.clear();
        quoted(&mut s, b"a\"b\n\x01", false);
        assert_eq!(s, "\"a\\\"b\\n\\1\"");
        s.clear();
        quoted(&mut s, &[b'x'; 40], false);
        assert_eq!(s.len(), 32 + 2 + 3, "32 bytes, quotes, ...");
        assert_eq!(error_text(crate::abi::ENOENT), "-1 ENOENT (No such file or directory)");
        assert_eq!(error_text(crate::abi::ERESTARTSYS), "? ERESTARTSYS (To be restarted if SA_RESTART is set)");
    }

    /// The table's names are the numbers' own, each number appears once,
    /// and every number the dispatcher knows has a name.
    #[test]
    fn the_table_agrees_with_the_numbers() {
        for c in CALLS {
            let name = nr_name(c.nr).unwrap_or_else(|| panic!("{} has no number in abi::nr", c.name));
            assert_eq!(name.to_ascii_lowercase(), c.name, "call {}", c.nr);
            assert_eq!(CALLS.iter().filter(|d| d.nr == c.nr).count(), 1, "{} twice", c.name);
        }
        assert_eq!(nr_name(nr::EPOLL_PWAIT2), Some("EPOLL_PWAIT2"));
        assert_eq!(nr_name(nr::PROCESS_VM_WRITEV), Some("PROCESS_VM_WRITEV"));
        assert_eq!(nr_name(nr::READ), Some("READ"));
        assert_eq!(nr_name(100_000), None);
        let named = include_str!("../abi/nr.rs").lines().filter(|l| l.starts_with("pub const ")).count();
        assert_eq!((0..1024).filter(|&n| nr_name(n).is_some()).count(), named, "a line of abi::nr not understood");
    }
}
