//! fork(2), vfork(2), clone(2) and clone3(2): each turned into the
//! `CloneArgs` of `proc::fork::kernel_clone` (Linux: kernel/fork.c, the
//! SYSCALL_DEFINEs and copy_clone_args_from_user()).

use crate::abi::*;
use crate::kernel::Kernel;
use crate::proc::fork::*;
use zerocopy::FromBytes;

/// fork(2).
pub fn sys_fork(k: &mut Kernel, regs: &PtRegs) -> SysResult {
    kernel_clone(k, regs, &CloneArgs::fork())
}

/// vfork(2): CLONE_VM | CLONE_VFORK | SIGCHLD.
pub fn sys_vfork(k: &mut Kernel, regs: &PtRegs) -> SysResult {
    if let Some(r) = resume_vfork(k) {
        return r;
    }
    kernel_clone(
        k,
        regs,
        &CloneArgs { flags: CloneFlags::VM | CloneFlags::VFORK, exit_signal: SIGCHLD, ..Default::default() },
    )
}

/// clone(2), x86_64 argument order: flags, stack, parent_tid, child_tid,
/// tls. Only the low 32 bits are flags; the low byte is the exit signal,
/// taken as given (Linux does not check it here). CLONE_PIDFD returns the
/// pidfd through parent_tid.
pub fn sys_clone(
    k: &mut Kernel,
    regs: &PtRegs,
    flags: u64,
    stack: u64,
    parent_tid: u64,
    child_tid: u64,
    tls: u64,
) -> SysResult {
    if let Some(r) = resume_vfork(k) {
        return r;
    }
    let flags = flags & 0xffff_ffff;
    let args = CloneArgs {
        // Bits 8..31 are all known flags: nothing to refuse.
        flags: CloneFlags::from_bits_retain(flags & !CSIGNAL),
        exit_signal: (flags & CSIGNAL) as u32,
        stack,
        parent_tid,
        child_tid,
        tls,
        pidfd: parent_tid,
        ..Default::default()
    };
    kernel_clone(k, regs, &args)
}

/// clone3(2): the arguments come in a versioned structure (Linux:
/// copy_clone_args_from_user() then clone3_args_valid()).
pub fn sys_clone3(k: &mut Kernel, regs: &PtRegs, uargs: u64, size: u64) -> SysResult {
    if let Some(r) = resume_vfork(k) {
        return r;
    }
    if size > 4096 {
        return Err(E2BIG);
    }
    if size < CLONE_ARGS_SIZE_VER0 {
        return Err(EINVAL);
    }
    // Linux: copy_struct_from_user(): a newer, larger structure is fine as
    // long as the fields this kernel does not know are zero.
    let mut raw = alloc::vec![0u8; size as usize];
    k.copy_in(uargs, &mut raw)?;
    let known = CLONE_ARGS_SIZE_VER2 as usize;
    if raw.len() > known && raw[known..].iter().any(|&b| b != 0) {
        return Err(E2BIG);
    }
    // An older, smaller structure: the fields it lacks are zero.
    raw.resize(known.max(raw.len()), 0);
    let (a, _) = CloneArgsAbi::read_from_prefix(&raw).map_err(|_| EINVAL)?;
    let CloneArgsAbi { flags: raw_flags, pidfd, child_tid, parent_tid, exit_signal, .. } = a;
    let flags = CloneFlags::from_bits_retain(raw_flags);
    let CloneArgsAbi { stack, stack_size, tls, set_tid, set_tid_size, cgroup, .. } = a;
    if set_tid_size > MAX_PID_NS_LEVEL || (set_tid == 0 && set_tid_size > 0) || (set_tid != 0 && set_tid_size == 0) {
        return Err(EINVAL);
    }
    if exit_signal & !CSIGNAL != 0 || exit_signal > NSIG as u64 {
        return Err(EINVAL);
    }
    if flags.contains(CloneFlags::INTO_CGROUP) && (cgroup > i32::MAX as u64 || size < CLONE_ARGS_SIZE_VER2) {
        return Err(EINVAL);
    }
    let mut tids = alloc::vec![0u8; set_tid_size as usize * 4];
    if set_tid != 0 {
        k.copy_in(set_tid, &mut tids)?;
    }
    // Linux: clone3_args_valid().
    // Unknown bits, and CSIGNAL's bits (the exit signal has its own
    // field), which are not flags except CLONE_NEWTIME.
    if CloneFlags::from_bits(raw_flags).is_none() {
        return Err(EINVAL);
    }
    if flags.contains(CloneFlags::DETACHED) {
        return Err(EINVAL);
    }
    if flags.contains(CloneFlags::SIGHAND | CloneFlags::CLEAR_SIGHAND) {
        return Err(EINVAL);
    }
    if flags.intersects(CloneFlags::THREAD | CloneFlags::PARENT) && exit_signal != 0 {
        return Err(EINVAL);
    }
    // The stack is given as its lowest address and size; it grows down.
    let stack = match (stack, stack_size) {
        (0, 0) => 0,
        (0, _) | (_, 0) => return Err(EINVAL),
        (s, n) => s.checked_add(n).filter(|&top| top <= crate::mm::consts::TASK_SIZE).ok_or(EINVAL)?,
    };
    if flags.contains(CloneFlags::INTO_CGROUP) {
        return Err(EINVAL); // Tine has no cgroup file system to name one
    }
    let mut set_tid = [0i32; MAX_PID_NS_LEVEL as usize];
    for (t, b) in set_tid.iter_mut().zip(tids.chunks_exact(4)) {
        *t = i32::from_ne_bytes([b[0], b[1], b[2], b[3]]);
    }
    let args = CloneArgs {
        flags,
        exit_signal: exit_signal as u32,
        stack,
        parent_tid,
        child_tid,
        tls,
        pidfd,
        set_tid,
        set_tid_size,
    };
    kernel_clone(k, regs, &args)
}
