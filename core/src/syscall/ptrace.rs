//! ptrace(2)'s requests, and process_vm_readv/writev, over the tracee
//! state of `proc::ptrace` (Linux:
//! kernel/ptrace.c ptrace_attach(), ptrace_traceme(), ptrace_check_attach(),
//! ptrace_request(), ptrace_resume(), arch/x86/kernel/ptrace.c
//! arch_ptrace(); mm/process_vm_access.c).

use alloc::vec;
use alloc::vec::Vec;

use crate::abi::*;
use crate::kernel::Kernel;
use crate::proc::capability::{ptrace_may_access, PtraceCreds};
use crate::proc::ptrace::{Mode, Stop, X86_EFLAGS_TF};
use crate::proc::xstate::FXSAVE_BYTES;
use crate::proc::{Pid, TaskState};
use crate::signal::{SigInfo, UNBLOCKABLE};

/// Linux: check_ptrace_options(): unknown bits EINVAL, and
/// PTRACE_O_SUSPEND_SECCOMP EINVAL as on a kernel without seccomp.
fn check_options(data: u64) -> SysResult<u32> {
    if data & !(PTRACE_O_MASK as u64) != 0 || data as u32 & PTRACE_O_SUSPEND_SECCOMP != 0 {
        return Err(EINVAL);
    }
    Ok(data as u32)
}

/// Whether the current task may read and write `target`'s memory: its
/// own process, or as `ptrace_may_access` allows with the real ids for
/// process_vm_* (Linux: mm_access() with PTRACE_MODE_ATTACH_REALCREDS)
/// and the fs ids for /proc/PID/mem (proc_mem_open() adds
/// PTRACE_MODE_FSCREDS).
pub fn tracer_may_access_mem(k: &Kernel, target: Pid, creds: PtraceCreds) -> bool {
    let t = &k.proc.tasks()[&target];
    k.cur().tgid == t.tgid || ptrace_may_access(&k.cur().cred, &t.cred, &k.ns.user, creds)
}

/// Linux: the ptrace(2) system call.
pub fn sys_ptrace(k: &mut Kernel, req: u64, pid: u64, addr: u64, data: u64) -> SysResult {
    if req == PTRACE_TRACEME {
        return traceme(k);
    }
    let pid = pid as i32;
    let tid = k.find_vpid(pid as Pid);
    if pid <= 0 || k.proc.tasks().get(&tid).is_none_or(|t| t.state == TaskState::Dead) {
        return Err(ESRCH);
    }
    if req == PTRACE_ATTACH || req == PTRACE_SEIZE {
        return attach(k, tid, req == PTRACE_SEIZE, addr, data);
    }
    check_attach(k, tid, req == PTRACE_KILL || req == PTRACE_INTERRUPT)?;
    request(k, tid, req, addr, data)
}

/// Linux: ptrace_traceme(): the real parent becomes the tracer.
fn traceme(k: &mut Kernel) -> SysResult {
    let (me, parent) = (k.cur().tid, k.cur().parent);
    if k.cur().ptrace.traced().is_some() || !k.proc.tasks().contains_key(&parent) {
        return Err(EPERM);
    }
    k.ptrace_link(me, parent, false, 0);
    Ok(0)
}

/// Linux: ptrace_attach(). ATTACH stops the tracee with SIGSTOP; SEIZE
/// leaves it running, with its options in `data`. A task already in a
/// group-stop traps again so that the tracer hears of it.
fn attach(k: &mut Kernel, tid: Pid, seize: bool, addr: u64, data: u64) -> SysResult {
    let options = if seize {
        // Unknown options are EIO here, EINVAL for SETOPTIONS (Linux keeps
        // both answers).
        if addr != 0 || data & !(PTRACE_O_MASK as u64) != 0 {
            return Err(EIO);
        }
        check_options(data)?
    } else {
        0
    };
    let t = &k.proc.tasks()[&tid];
    if t.tgid == k.cur().tgid || !ptrace_may_access(&k.cur().cred, &t.cred, &k.ns.user, PtraceCreds::Real) {
        return Err(EPERM);
    }
    if t.is_zombie() || t.ptrace.traced().is_some() {
        return Err(EPERM);
    }
    let me = k.cur().tid;
    k.ptrace_link(tid, me, seize, options);
    if !seize {
        k.send_sig_priv(tid, SIGSTOP);
    }
    if k.proc.tasks()[&tid].state == TaskState::Stopped {
        k.ptrace_attach_stopped(tid);
    }
    Ok(0)
}

/// Linux: ptrace_check_attach(): the caller traces `tid`, and (unless
/// the request works on a running tracee) `tid` is in a ptrace stop and
/// not listening. ESRCH otherwise.
fn check_attach(k: &Kernel, tid: Pid, ignore_state: bool) -> SysResult<()> {
    let me = k.cur().tid;
    let Some(p) = k.tracee(tid).filter(|p| p.tracer == Some(me)) else { return Err(ESRCH) };
    if ignore_state || (k.proc.tasks()[&tid].state == TaskState::Traced && !p.listening) {
        Ok(())
    } else {
        Err(ESRCH)
    }
}

/// A signal number a tracer may resume with: 0 to 64 (Linux: valid_signal()).
fn resume_signal(data: u64) -> SysResult<u32> {
    if data > NSIG as u64 {
        return Err(EIO);
    }
    Ok(data as u32)
}

fn request(k: &mut Kernel, tid: Pid, req: u64, addr: u64, data: u64) -> SysResult {
    match req {
        PTRACE_PEEKTEXT | PTRACE_PEEKDATA => {
            let mut word = [0u8; 8];
            let mm = k.proc.tasks()[&tid].mm;
            k.with_mm_of(mm, |a, ctx| a.user_read(ctx, addr, &mut word)).map_err(|_| EIO)?;
            k.write_val(data, &u64::from_le_bytes(word))?;
            Ok(0)
        }
        PTRACE_POKETEXT | PTRACE_POKEDATA => {
            // Linux: FOLL_FORCE: text pages get a private copy, the file
            // stays as it is.
            let mm = k.proc.tasks()[&tid].mm;
            k.with_mm_of(mm, |a, ctx| a.write_forced(ctx, addr, &data.to_le_bytes())).map_err(|_| EIO)?;
            Ok(0)
        }
        PTRACE_PEEKUSR => {
            let v = k.peek_user(tid, addr)?;
            k.write_val(data, &v)?;
            Ok(0)
        }
        PTRACE_POKEUSR => k.poke_user(tid, addr, data).map(|_| 0),
        PTRACE_GETREGS => {
            let regs = k.user_regs(tid);
            k.write_val(data, &regs)?;
            Ok(0)
        }
        PTRACE_SETREGS => {
            let regs: UserRegs = k.read_val(data)?;
            k.set_user_regs(tid, &regs).map(|_| 0)
        }
        PTRACE_GETFPREGS => {
            let f = k.tracee_fpu(tid);
            k.copy_out(data, &f.as_bytes()[..FXSAVE_BYTES])?;
            Ok(0)
        }
        PTRACE_SETFPREGS => {
            let mut f = [0u8; FXSAVE_BYTES];
            k.copy_in(data, &mut f)?;
            k.set_tracee_fpu(tid, &f).map(|_| 0)
        }
        PTRACE_GETREGSET | PTRACE_SETREGSET => regset(k, tid, req == PTRACE_SETREGSET, addr, data),
        PTRACE_GETSIGINFO => {
            let si = k.tracee(tid).and_then(|p| p.siginfo).ok_or(EINVAL)?;
            k.write_val(data, &si.to_user())?;
            Ok(0)
        }
        PTRACE_SETSIGINFO => {
            let si = k.copy_siginfo_from_user(data)?;
            let p = k.tracee_mut(tid).expect("tracee");
            let slot = p.siginfo.as_mut().ok_or(EINVAL)?;
            *slot = SigInfo {
                signo: si.si_signo,
                code: si.si_code,
                pid: si.si_pid,
                uid: si.si_uid,
                status: si.si_status,
                value_hi: si.si_value_hi,
            };
            Ok(0)
        }
        PTRACE_GETSIGMASK => {
            if addr != 8 {
                return Err(EINVAL);
            }
            let mask = k.proc.tasks()[&tid].sigmask.bits();
            k.write_val(data, &mask)?;
            Ok(0)
        }
        PTRACE_SETSIGMASK => {
            if addr != 8 {
                return Err(EINVAL);
            }
            let mask: u64 = k.read_val(data)?;
            k.proc.tasks_mut().get_mut(&tid).expect("tracee").sigmask = SigSet::from_bits_retain(mask) - UNBLOCKABLE;
            Ok(0)
        }
        PTRACE_SETOPTIONS => {
            let options = check_options(data)?;
            k.tracee_mut(tid).expect("tracee").options = options;
            Ok(0)
        }
        PTRACE_GETEVENTMSG => {
            let msg = k.tracee(tid).expect("tracee").message;
            k.write_val(data, &msg)?;
            Ok(0)
        }
        PTRACE_GET_SYSCALL_INFO => get_syscall_info(k, tid, addr, data),
        PTRACE_PEEKSIGINFO => peek_siginfo(k, tid, addr, data),
        PTRACE_CONT => resume(k, tid, Mode::Cont, data),
        PTRACE_SYSCALL => resume(k, tid, Mode::Syscall, data),
        PTRACE_SINGLESTEP => resume(k, tid, Mode::Step, data),
        PTRACE_SYSEMU => resume(k, tid, Mode::Sysemu, data),
        PTRACE_SYSEMU_SINGLESTEP => resume(k, tid, Mode::SysemuStep, data),
        PTRACE_KILL => {
            if !k.proc.tasks()[&tid].is_zombie() {
                k.send_sig_priv(tid, SIGKILL);
            }
            Ok(0)
        }
        PTRACE_DETACH => {
            let sig = resume_signal(data)?;
            k.ptrace_unlink(tid, sig);
            Ok(0)
        }
        // Linux: arch_ptrace() → do_arch_prctl_64(child, data, addr).
        PTRACE_ARCH_PRCTL => super::process::arch_prctl_of(k, tid, data, addr),
        PTRACE_INTERRUPT => interrupt(k, tid),
        PTRACE_LISTEN => {
            let p = k.tracee_mut(tid).expect("tracee");
            let event_stop = p.siginfo.is_some_and(|si| (si.code >> 8) as u32 == PTRACE_EVENT_STOP);
            if !p.seized || !event_stop {
                return Err(EIO);
            }
            p.listening = true;
            p.report = 0;
            // A SIGCONT since the stop began: the tracee traps again at
            // once (Linux: JOBCTL_TRAP_NOTIFY seen by PTRACE_LISTEN).
            if p.trap_notify {
                k.ptrace_retrap_listening(tid);
            }
            Ok(0)
        }
        _ => Err(EIO),
    }
}

/// Linux: ptrace_resume(): run on as `mode` says, with signal `data`
/// (what the stop does with it: see `stop.rs`).
fn resume(k: &mut Kernel, tid: Pid, mode: Mode, data: u64) -> SysResult {
    let sig = resume_signal(data)?;
    let p = k.tracee_mut(tid).expect("tracee");
    p.mode = mode;
    p.resume_sig = sig;
    p.report = 0;
    p.listening = false;
    // Linux: user_enable_single_step(): TF, remembered as ours unless
    // the program had set it; user_disable_single_step() clears only ours.
    if mode.steps() {
        if p.regs.rflags & X86_EFLAGS_TF == 0 {
            p.regs.rflags |= X86_EFLAGS_TF;
            p.forced_tf = true;
        }
    } else if p.forced_tf {
        p.regs.rflags &= !X86_EFLAGS_TF;
        p.forced_tf = false;
    }
    let t = k.proc.tasks_mut().get_mut(&tid).expect("tracee");
    t.state = TaskState::Runnable;
    k.activate(tid);
    Ok(0)
}

/// Linux: ptrace_interrupt(): a seized tracee traps with
/// PTRACE_EVENT_STOP at its next chance: at once if asleep in a call
/// (which is interrupted as by a signal), or again if listening.
fn interrupt(k: &mut Kernel, tid: Pid) -> SysResult {
    let p = k.tracee_mut(tid).expect("tracee");
    if !p.seized {
        return Err(EIO);
    }
    p.trap_stop = true;
    let listening = core::mem::take(&mut p.listening);
    let t = k.proc.tasks_mut().get_mut(&tid).expect("tracee");
    match t.state {
        TaskState::Traced if listening => {
            t.state = TaskState::Runnable;
            k.activate(tid);
        }
        TaskState::Blocked(_) => k.signal_wake_up(tid),
        _ => {}
    }
    Ok(0)
}

/// PTRACE_GETREGSET / SETREGSET (Linux: ptrace_regset()): `iov` says
/// where and how much; the length must be a whole number of words and
/// comes back as what was moved.
fn regset(k: &mut Kernel, tid: Pid, set: bool, note: u64, iov: u64) -> SysResult {
    let v: IoVec = k.read_val(iov)?;
    // An unknown note or a length in part words is EINVAL before the
    // regset is asked (NT_X86_XSTATE's ENODEV without XSAVE comes after).
    if !matches!(note, NT_PRSTATUS | NT_PRFPREG | NT_X86_XSTATE) || !v.len.is_multiple_of(8) {
        return Err(EINVAL);
    }
    let full: Vec<u8> = match note {
        NT_PRSTATUS => zerocopy::IntoBytes::as_bytes(&k.user_regs(tid)).to_vec(),
        NT_PRFPREG => k.tracee_fpu(tid).as_bytes()[..FXSAVE_BYTES].to_vec(),
        _ => k.tracee_xstate(tid)?,
    };
    let n = (v.len as usize).min(full.len());
    if set && note == NT_X86_XSTATE && n != full.len() {
        // Linux: xstateregs_set() takes a whole XSAVE image only.
        return Err(EFAULT);
    }
    if !set {
        k.copy_out(v.base, &full[..n])?;
    } else {
        let mut new = full.clone();
        k.copy_in(v.base, &mut new[..n])?;
        match note {
            NT_PRSTATUS => {
                let regs = <UserRegs as zerocopy::FromBytes>::read_from_bytes(&new).expect("size");
                k.set_user_regs(tid, &regs)?;
            }
            NT_X86_XSTATE => k.set_tracee_xstate(tid, &new)?,
            _ => k.set_tracee_fpu(tid, &new)?,
        }
    }
    k.write_val(iov, &IoVec { base: v.base, len: n as u64 })?;
    Ok(0)
}

/// Linux: ptrace_peek_siginfo(): up to `nr` queued siginfos from entry
/// `off` of the tracee's own queue, or with PTRACE_PEEKSIGINFO_SHARED its
/// process's; how many were copied (an error only when none was).
fn peek_siginfo(k: &mut Kernel, tid: Pid, args: u64, data: u64) -> SysResult {
    const PTRACE_PEEKSIGINFO_SHARED: u32 = 1;
    let a: PeekSiginfoArgs = k.read_val(args)?;
    if a.flags & !PTRACE_PEEKSIGINFO_SHARED != 0 || a.nr < 0 {
        return Err(EINVAL);
    }
    let t = &k.proc.tasks()[&tid];
    let queue = if a.flags & PTRACE_PEEKSIGINFO_SHARED != 0 {
        &k.sig.signals().get(t.signal).shared_info
    } else {
        &t.pending_info
    };
    let found: Vec<Siginfo> =
        queue.iter().skip(a.off.min(usize::MAX as u64) as usize).take(a.nr as usize).map(|i| i.to_user()).collect();
    for (i, si) in found.iter().enumerate() {
        if let Err(e) = k.write_val(data + i as u64 * 128, si) {
            return if i > 0 { Ok(i) } else { Err(e) };
        }
    }
    Ok(found.len())
}

/// Linux: ptrace_get_syscall_info(): at a syscall stop under
/// PTRACE_O_TRACESYSGOOD, the call's number and arguments (entry) or its
/// result (exit); else only the header. Returns the full size, copies
/// what fits in `size`.
fn get_syscall_info(k: &mut Kernel, tid: Pid, size: u64, data: u64) -> SysResult {
    let p = k.tracee(tid).expect("tracee");
    let r = p.regs;
    let sysgood = p.siginfo.is_some_and(|si| si.code == (SIGTRAP | 0x80) as i32);
    let op = match (sysgood, p.stop, p.message) {
        (true, Some(Stop::SyscallEntry { .. }), PTRACE_EVENTMSG_SYSCALL_ENTRY) => PTRACE_SYSCALL_INFO_ENTRY,
        (true, Some(Stop::SyscallExit), PTRACE_EVENTMSG_SYSCALL_EXIT) => PTRACE_SYSCALL_INFO_EXIT,
        _ => PTRACE_SYSCALL_INFO_NONE,
    };
    let mut info = PtraceSyscallInfo {
        op,
        arch: AUDIT_ARCH_X86_64,
        instruction_pointer: r.rip,
        stack_pointer: r.rsp,
        ..Default::default()
    };
    let actual = match op {
        PTRACE_SYSCALL_INFO_ENTRY => {
            info.data[0] = r.orig_rax;
            info.data[1..7].copy_from_slice(&r.syscall_args());
            SYSCALL_INFO_ENTRY_END
        }
        PTRACE_SYSCALL_INFO_EXIT => {
            info.data[0] = r.rax;
            info.data[1] = ((r.rax as i64) < 0 && (r.rax as i64) >= -4095) as u64;
            SYSCALL_INFO_EXIT_END
        }
        _ => SYSCALL_INFO_HEADER,
    };
    let n = actual.min(size as usize);
    k.copy_out(data, &zerocopy::IntoBytes::as_bytes(&info)[..n])?;
    Ok(actual)
}

/// Linux: UIO_MAXIOV.
const IOV_MAX: u64 = 1024;

/// Read an iovec array of at most IOV_MAX entries (Linux: import_iovec()).
fn read_iov(k: &mut Kernel, iov: u64, cnt: u64) -> SysResult<Vec<IoVec>> {
    if cnt > IOV_MAX {
        return Err(EINVAL);
    }
    let v: Vec<IoVec> = k.read_vals(iov, cnt as usize)?;
    let mut total: u64 = 0;
    for e in &v {
        total = total.checked_add(e.len).filter(|t| *t <= isize::MAX as u64).ok_or(EINVAL)?;
    }
    Ok(v)
}

/// Move `buf` to or from the caller's iovecs at logical offset `at`.
fn local_copy(k: &mut Kernel, local: &[IoVec], mut at: u64, buf: &mut [u8], to_user: bool) -> SysResult<()> {
    let mut done = 0usize;
    for e in local {
        if at >= e.len {
            at -= e.len;
            continue;
        }
        let n = ((e.len - at) as usize).min(buf.len() - done);
        let part = &mut buf[done..done + n];
        if to_user {
            k.copy_out(e.base + at, part)?;
        } else {
            k.copy_in(e.base + at, part)?;
        }
        done += n;
        at = 0;
        if done == buf.len() {
            break;
        }
    }
    Ok(())
}

/// process_vm_readv(2) / process_vm_writev(2): copy between the caller's
/// iovecs and another process's, a page at a time, until either side
/// ends or faults. The bytes moved, or EFAULT when none were.
/// The arguments: pid, local iovecs and their count, remote iovecs and
/// their count, flags.
pub fn process_vm_rw(k: &mut Kernel, args: [u64; 6], write: bool) -> SysResult {
    let [pid, lvec, lcnt, rvec, rcnt, flags] = args;
    if flags != 0 {
        return Err(EINVAL);
    }
    let local = read_iov(k, lvec, lcnt)?;
    let remote = read_iov(k, rvec, rcnt)?;
    let total_local: u64 = local.iter().map(|e| e.len).sum();
    if total_local == 0 {
        return Ok(0);
    }
    let tid = k.find_vpid(pid as i32 as Pid);
    let Some(t) = k.proc.tasks().get(&tid).filter(|t| (pid as i32) > 0 && t.state != TaskState::Dead) else {
        return Err(ESRCH);
    };
    if t.is_zombie() {
        return Err(ESRCH);
    }
    if !tracer_may_access_mem(k, tid, PtraceCreds::Real) {
        return Err(EPERM);
    }
    let mm = k.proc.tasks()[&tid].mm;
    let mut done: u64 = 0;
    let mut err = None;
    'outer: for r in remote {
        let mut off = 0;
        while off < r.len && done < total_local {
            let addr = r.base.wrapping_add(off);
            let page_left = 4096 - (addr & 4095);
            let n = page_left.min(r.len - off).min(total_local - done) as usize;
            let mut buf = vec![0u8; n];
            let res = if write {
                local_copy(k, &local, done, &mut buf, false)
                    .and_then(|_| k.with_mm_of(mm, |a, ctx| a.copy_to_user(ctx, addr, &buf)).map_err(|_| EFAULT))
            } else {
                k.with_mm_of(mm, |a, ctx| a.copy_from_user(ctx, addr, &mut buf))
                    .map_err(|_| EFAULT)
                    .and_then(|_| local_copy(k, &local, done, &mut buf, true))
            };
            if let Err(e) = res {
                err = Some(e);
                break 'outer;
            }
            done += n as u64;
            off += n as u64;
        }
    }
    match (done, err) {
        (0, Some(e)) => Err(e),
        (n, _) => Ok(n as usize),
    }
}
