//! execve(2) and execveat(2): the path and argument vectors read from
//! user memory, then `proc::exec` (Linux: fs/exec.c, the SYSCALL_DEFINEs).

use crate::abi::*;
use crate::kernel::Kernel;
use crate::proc::exec::*;
use alloc::vec::Vec;

/// Linux: execve(2).
pub fn sys_execve(k: &mut Kernel, regs: &mut PtRegs, path: u64, argv: u64, envp: u64) -> SysResult {
    sys_execveat(k, regs, AT_FDCWD, path, argv, envp, 0)
}

/// Linux: execveat(2), in do_execveat_common()'s order: the file name,
/// then the file is opened (ENOENT, EACCES, ... come before any fault in
/// argv), then argv and envp are copied in.
pub fn sys_execveat(
    k: &mut Kernel,
    regs: &mut PtRegs,
    dirfd: i32,
    path: u64,
    argv: u64,
    envp: u64,
    flags: u32,
) -> SysResult {
    if flags & !(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) != 0 {
        return Err(EINVAL);
    }
    let name = k.read_cstr(path, 4096)?;
    let file = open_exec_at(k, dirfd, &name, flags)?;
    // Linux: the name the new program sees as AT_EXECFN, /dev/fd/N/... for
    // a path relative to a descriptor.
    let filename = if name.first() == Some(&b'/') || dirfd == AT_FDCWD {
        name
    } else if name.is_empty() {
        alloc::format!("/dev/fd/{dirfd}").into_bytes()
    } else {
        let mut f = alloc::format!("/dev/fd/{dirfd}/").into_bytes();
        f.extend_from_slice(&name);
        f
    };
    // Linux's order: count both arrays, check the pointers fit, then copy
    // the file name, the environment and the arguments against the limit.
    let argc = count_strv(k, argv)?;
    let envc = count_strv(k, envp)?;
    let stack_limit = k.sig.signals().get(k.cur().signal).rlimits[RLIMIT_STACK as usize].cur;
    let mut budget = string_budget(argc, envc, stack_limit)?;
    take_budget(&mut budget, filename.len() as u64 + 1)?;
    let envp = copy_strv(k, envp, envc, &mut budget)?;
    let argv = copy_strv(k, argv, argc, &mut budget)?;
    let mut args = ExecArgs::new(argv, envp);
    if args.argv.is_empty() {
        args.argv.push(Vec::new());
    }
    let pid = k.sched.current().expect("execve from a task");
    let r = bprm_execve(k, pid, regs, file, filename, args);
    if r != Err(ERESTARTNOINTR) {
        // Its TID may be the leader's now.
        let tid = k.sched.current().expect("execve from a task");
        crate::proc::exec::release_threads(k, tid);
    }
    r
}
