//! Calls about the running task itself: exit, TLS, TID pointers, signal
//! dispositions and masks (recorded; delivery comes with the signal
//! subsystem), yielding and sleeping.

use alloc::vec::Vec;

use crate::abi::*;
use crate::kernel::Kernel;
use crate::proc::{SigAction, WaitReason};

/// exit(2): this thread ends (the process, when it is the last).
pub fn exit(k: &mut Kernel, code: i32) -> SysResult {
    crate::proc::exit::do_exit(k, (code & 0xff) << 8);
    Ok(0)
}

/// exit_group(2): every thread of the process ends.
pub fn exit_group(k: &mut Kernel, code: i32) -> SysResult {
    crate::proc::exit::do_group_exit(k, (code & 0xff) << 8);
    Ok(0)
}

/// getppid(2): the PID of the process that will be told of our exit.
#[inline]
pub fn getppid(k: &mut Kernel) -> SysResult {
    let parent = k.cur().parent;
    // Linux: task_tgid_vnr(): 0 for a namespace's init, whose parent is
    // outside it.
    Ok(k.proc.tasks().get(&parent).map_or(0, |p| k.pid_vnr(p.tgid)) as usize)
}

const PR_SET_PDEATHSIG: u64 = 1;
const PR_GET_PDEATHSIG: u64 = 2;
const PR_SET_NAME: u64 = 15;
const PR_GET_NAME: u64 = 16;
const PR_SET_CHILD_SUBREAPER: u64 = 36;
const PR_GET_CHILD_SUBREAPER: u64 = 37;
const PR_GET_DUMPABLE: u64 = 3;
const PR_SET_DUMPABLE: u64 = 4;
const PR_GET_KEEPCAPS: u64 = 7;
const PR_SET_KEEPCAPS: u64 = 8;
const PR_CAPBSET_READ: u64 = 23;
const PR_CAPBSET_DROP: u64 = 24;
const PR_GET_SECUREBITS: u64 = 27;
const PR_CAP_AMBIENT: u64 = 47;
const PR_GET_TSC: u64 = 25;
const PR_SET_TSC: u64 = 26;
const PR_TSC_ENABLE: u64 = 1;
const PR_TSC_SIGSEGV: u64 = 2;
const PR_GET_TIMERSLACK: u64 = 30;
const PR_SET_TIMERSLACK: u64 = 29;

/// Linux: prctl(2), the options about the process's life and name, and
/// the capability ones of security/commoncap.c (cap_task_prctl()).
pub fn prctl(k: &mut Kernel, option: u64, arg2: u64, arg3: u64, arg4: u64, arg5: u64) -> SysResult {
    use crate::proc::capability::{has, CAP_LAST_CAP, CAP_SETPCAP, SECBIT_KEEP_CAPS, SECBIT_KEEP_CAPS_LOCKED};
    let cap_valid = |c: u64| c <= CAP_LAST_CAP as u64;
    match option {
        PR_GET_DUMPABLE => Ok(k.cur().cred.dumpable as usize),
        PR_SET_DUMPABLE => {
            if arg2 > 1 {
                return Err(EINVAL);
            }
            k.cur_mut().cred.dumpable = arg2 == 1;
            Ok(0)
        }
        PR_GET_KEEPCAPS => Ok((k.cur().cred.caps.securebits & SECBIT_KEEP_CAPS != 0) as usize),
        PR_SET_KEEPCAPS => {
            if arg2 > 1 {
                return Err(EINVAL);
            }
            let caps = &mut k.cur_mut().cred.caps;
            if caps.securebits & SECBIT_KEEP_CAPS_LOCKED != 0 {
                return Err(EPERM);
            }
            caps.securebits =
                if arg2 == 1 { caps.securebits | SECBIT_KEEP_CAPS } else { caps.securebits & !SECBIT_KEEP_CAPS };
            Ok(0)
        }
        PR_GET_SECUREBITS => Ok(k.cur().cred.caps.securebits as usize),
        PR_CAPBSET_READ => {
            if !cap_valid(arg2) {
                return Err(EINVAL);
            }
            Ok(has(k.cur().cred.caps.bset, arg2 as u32) as usize)
        }
        PR_CAPBSET_DROP => {
            if !k.cur().cred.has_cap(CAP_SETPCAP) {
                return Err(EPERM);
            }
            if !cap_valid(arg2) {
                return Err(EINVAL);
            }
            k.cur_mut().cred.caps.bset &= !(1 << arg2);
            Ok(0)
        }
        PR_CAP_AMBIENT => {
            const IS_SET: u64 = 1;
            const RAISE: u64 = 2;
            const LOWER: u64 = 3;
            const CLEAR_ALL: u64 = 4;
            let caps = &mut k.cur_mut().cred.caps;
            if arg2 == CLEAR_ALL {
                if arg3 | arg4 | arg5 != 0 {
                    return Err(EINVAL);
                }
                caps.ambient = 0;
                return Ok(0);
            }
            if !cap_valid(arg3) || arg4 | arg5 != 0 {
                return Err(EINVAL);
            }
            let bit = 1u64 << arg3;
            match arg2 {
                IS_SET => Ok((caps.ambient & bit != 0) as usize),
                RAISE => {
                    // Only what is both permitted and inheritable.
                    if caps.permitted & bit == 0 || caps.inheritable & bit == 0 {
                        return Err(EPERM);
                    }
                    caps.ambient |= bit;
                    Ok(0)
                }
                LOWER => {
                    caps.ambient &= !bit;
                    Ok(0)
                }
                _ => Err(EINVAL),
            }
        }
        PR_GET_TIMERSLACK => Ok(k.cur().timer_slack_ns as usize),
        PR_SET_TIMERSLACK => {
            let t = k.cur_mut();
            t.timer_slack_ns = if arg2 == 0 { t.default_timer_slack_ns } else { arg2 };
            Ok(0)
        }
        // Linux: get_tscr_mode() / set_tsc_mode(); the hardware layer sets
        // CR4.TSD while the thread runs, and `rdtsc` is then a #GP, SIGSEGV.
        PR_GET_TSC => {
            let mode = if k.cur().tsc_disabled { PR_TSC_SIGSEGV } else { PR_TSC_ENABLE } as i32;
            k.write_val(arg2, &mode)?;
            Ok(0)
        }
        PR_SET_TSC => {
            let off = match arg2 {
                PR_TSC_ENABLE => false,
                PR_TSC_SIGSEGV => true,
                _ => return Err(EINVAL),
            };
            k.cur_mut().tsc_disabled = off;
            k.sched.set_load_tsd(Some(off));
            Ok(0)
        }
        PR_SET_PDEATHSIG => {
            if arg2 > NSIG as u64 {
                return Err(EINVAL);
            }
            k.cur_mut().pdeathsig = arg2 as u32;
            Ok(0)
        }
        PR_GET_PDEATHSIG => {
            let v = k.cur().pdeathsig as i32;
            k.write_val(arg2, &v)?;
            Ok(0)
        }
        PR_SET_NAME => {
            let mut name = [0u8; 16];
            k.copy_in(arg2, &mut name)?;
            let len = name.iter().position(|&b| b == 0).unwrap_or(15).min(15);
            // Linux: __set_task_comm().
            crate::trace!(k, TaskRename, {
                let pid = k.cur().tid;
                crate::trace::Payload::Rename {
                    pid: pid as i32,
                    oldcomm: k.trace_comm(pid),
                    newcomm: crate::trace::event::comm(&name[..len]),
                    oom_score_adj: 0,
                }
            });
            let t = k.cur_mut();
            t.comm = name[..len].to_vec();
            t.kstack.set_owner(t.tid, &t.comm);
            Ok(0)
        }
        PR_GET_NAME => {
            let mut name = [0u8; 16];
            let comm = k.cur().comm.clone();
            name[..comm.len()].copy_from_slice(&comm);
            k.copy_out(arg2, &name)?;
            Ok(0)
        }
        PR_SET_CHILD_SUBREAPER => {
            k.cur_signal_mut().is_child_subreaper = arg2 != 0;
            if arg2 != 0 {
                propagate_has_child_subreaper(k);
            }
            Ok(0)
        }
        PR_GET_CHILD_SUBREAPER => {
            let v = k.cur_signal().is_child_subreaper as i32;
            k.write_val(arg2, &v)?;
            Ok(0)
        }
        _ => Err(EINVAL),
    }
}

/// Mark every existing descendant as having a subreaper above it, so that
/// orphans find it (Linux: walk_process_tree(propagate_has_child_subreaper)).
/// A subtree already marked is not walked again.
fn propagate_has_child_subreaper(k: &mut Kernel) {
    let children_of = |k: &Kernel, signal| -> Vec<crate::proc::Pid> {
        let threads = &k.sig.signals().get(signal).threads;
        threads.iter().filter_map(|t| k.proc.tasks().get(t)).flat_map(|t| t.children.iter().copied()).collect()
    };
    let mut todo = children_of(k, k.cur().signal);
    while let Some(p) = todo.pop() {
        let Some(t) = k.proc.tasks().get(&p) else { continue };
        let sig = t.signal;
        if k.sig.signals().get(sig).has_child_subreaper {
            continue;
        }
        k.sig.signals_mut().get_mut(sig).has_child_subreaper = true;
        todo.extend(children_of(k, sig));
    }
}

/// kill(2): pid > 0 a process, 0 the caller's group, -1 everyone it may
/// signal, < -1 the group -pid.
pub fn kill(k: &mut Kernel, pid: i32, sig: u64) -> SysResult {
    use crate::signal::KillTarget;
    if sig > NSIG as u64 {
        return Err(EINVAL);
    }
    let target = match pid {
        i32::MIN => return Err(ESRCH),
        -1 => KillTarget::All,
        0 => KillTarget::Group(k.cur_signal().pgid),
        p if p < 0 => KillTarget::Group(k.find_vpid((-p) as u32)),
        p => KillTarget::Process(k.find_vpid(p as u32)),
    };
    k.kill(target, sig as u32)
}

/// tgkill(2) / tkill(2): one thread. `tgid` None for tkill.
pub fn tgkill(k: &mut Kernel, tgid: Option<i32>, tid: i32, sig: u64) -> SysResult {
    if tid <= 0 || tgid.is_some_and(|g| g <= 0) || sig > NSIG as u64 {
        return Err(EINVAL);
    }
    let t = match k.proc.tasks().get(&k.find_vpid(tid as u32)) {
        Some(t) if tgid.is_none_or(|g| k.find_vpid(g as u32) == t.tgid) && t.state != crate::proc::TaskState::Dead => {
            t.tid
        }
        _ => return Err(ESRCH),
    };
    let (me, them) = (k.cur().cred, k.proc.tasks()[&t].cred);
    if me.euid != 0 && me.euid != them.suid && me.euid != them.uid && me.uid != them.suid && me.uid != them.uid {
        return Err(EPERM);
    }
    let info = crate::signal::SigInfo {
        signo: sig as u32,
        code: crate::signal::SI_TKILL,
        pid: if k.signal_from_outside(k.proc.tasks()[&t].tgid) { 0 } else { k.pid_vnr(k.cur().tgid) },
        uid: me.uid,
        ..Default::default()
    };
    k.send_signal_thread(t, info)?;
    Ok(0)
}

/// pause(2): sleep until a signal is delivered; then EINTR.
pub fn pause(k: &mut Kernel) -> SysResult {
    Err(k.block_current(WaitReason::Pause))
}

/// The process `pid` names (0: the caller), for the group and session calls.
fn process_of(k: &Kernel, pid: i32) -> SysResult<crate::proc::Pid> {
    match pid {
        0 => Ok(k.cur().tgid),
        p if p < 0 => Err(EINVAL),
        p => match k.proc.tasks().get(&k.find_vpid(p as u32)) {
            Some(t) if t.is_leader() && t.state != crate::proc::TaskState::Dead => Ok(t.tgid),
            _ => Err(ESRCH),
        },
    }
}

/// getpgid(2).
pub fn getpgid(k: &mut Kernel, pid: i32) -> SysResult {
    let p = process_of(k, pid).map_err(|_| ESRCH)?;
    Ok(k.pid_vnr(k.sig.signals().get(k.proc.tasks()[&p].signal).pgid) as usize)
}

/// getsid(2).
pub fn getsid(k: &mut Kernel, pid: i32) -> SysResult {
    let p = process_of(k, pid).map_err(|_| ESRCH)?;
    Ok(k.pid_vnr(k.sig.signals().get(k.proc.tasks()[&p].signal).sid) as usize)
}

/// Linux: setpgid(2). A process may move itself or a child that has not
/// yet exec'd, within its session, to a new group named after the target
/// or to an existing group of the same session.
pub fn setpgid(k: &mut Kernel, pid: i32, pgid: i32) -> SysResult {
    if pgid < 0 {
        return Err(EINVAL);
    }
    let me = k.cur().tgid;
    let target = if pid == 0 { me } else { k.find_vpid(pid as u32) };
    let pgid = if pgid == 0 { target } else { k.find_vpid(pgid as u32) };
    let t = match k.proc.tasks().get(&target) {
        Some(t) if t.is_leader() && t.state != crate::proc::TaskState::Dead => t,
        _ => return Err(ESRCH),
    };
    let my_sid = k.cur_signal().sid;
    if target != me {
        let parent_tgid = k.proc.tasks().get(&t.parent).map(|p| p.tgid);
        if parent_tgid != Some(me) {
            return Err(ESRCH);
        }
        if k.sig.signals().get(t.signal).sid != my_sid {
            return Err(EPERM);
        }
        if t.did_exec {
            return Err(EACCES);
        }
    }
    let tsig = t.signal;
    if k.sig.signals().get(tsig).sid == target {
        return Err(EPERM); // a session leader stays in its group
    }
    if pgid != target {
        // Linux: a group of that id in the caller's session.
        let exists = k
            .proc
            .pgrps()
            .members(pgid)
            .any(|p| k.proc.tasks().get(&p).is_some_and(|o| k.sig.signals().get(o.signal).sid == my_sid));
        if !exists {
            return Err(EPERM);
        }
    }
    let old = core::mem::replace(&mut k.sig.signals_mut().get_mut(tsig).pgid, pgid);
    if old != pgid {
        k.proc.pgrps_mut().leave(old, target);
        k.proc.pgrps_mut().join(pgid, target);
        k.proc.pids_mut().hold(pgid);
        k.put_pid(old);
    }
    crate::trace!(k, SetPgid, k.trace_pgid(target));
    Ok(0)
}

/// getpgrp(2).
pub fn getpgrp(k: &mut Kernel) -> SysResult {
    Ok(k.pid_vnr(k.cur_signal().pgid) as usize)
}

/// Linux: setsid(2): a new session and group named after the caller;
/// EPERM if a group of that id already exists.
pub fn setsid(k: &mut Kernel) -> SysResult {
    let me = k.cur().tgid;
    // Linux: pid_task(find_vpid(me), PIDTYPE_PGID): a group of that id.
    if k.proc.pgrps().members(me).next().is_some() {
        return Err(EPERM);
    }
    let sig = k.cur().signal;
    let s = k.sig.signals_mut().get_mut(sig);
    let (old_pgid, old_sid) = (s.pgid, s.sid);
    s.pgid = me;
    s.sid = me;
    k.proc.pgrps_mut().leave(old_pgid, me);
    k.proc.pgrps_mut().join(me, me);
    k.proc.pids_mut().hold(me);
    k.proc.pids_mut().hold(me);
    k.put_pid(old_pgid);
    k.put_pid(old_sid);
    crate::trace!(k, SetPgid, k.trace_pgid(me));
    Ok(k.pid_vnr(me) as usize)
}

/// getrusage(2): the caller (RUSAGE_SELF 0, RUSAGE_THREAD 1) or its
/// reaped children (RUSAGE_CHILDREN -1); CPU times only.
pub fn getrusage(k: &mut Kernel, who: i32, ru: u64) -> SysResult {
    let (u, s) = match who {
        0 => process_times(k),
        1 => k.thread_cputime(k.cur().tid),
        -1 => (k.cur_signal().cutime_ns, k.cur_signal().cstime_ns),
        _ => return Err(EINVAL),
    };
    // ru_maxrss, in KiB: the peak RSS of the process (its current
    // memory and what exited threads and earlier programs reached), or
    // of its largest reaped child (Linux: getrusage()'s maxrss).
    let sig = k.cur_signal();
    let pages = if who == -1 {
        sig.cmaxrss
    } else {
        let mm = k.cur().mm;
        sig.maxrss.max(k.mem.mms().get(mm).hiwater_pages() as u64)
    };
    let (min_flt, csw) = match who {
        0 => {
            let s = k.cur_signal();
            (s.min_flt, (s.nvcsw, s.nivcsw))
        }
        1 => {
            let t = k.cur();
            (t.min_flt, (t.nvcsw, t.nivcsw))
        }
        _ => {
            let s = k.cur_signal();
            (s.cmin_flt, (s.cnvcsw, s.cnivcsw))
        }
    };
    let r = Rusage { ru_maxrss: (pages * 4) as i64, ..crate::proc::wait::rusage(u, s, min_flt, csw) };
    k.write_val(ru, &r)?;
    Ok(0)
}

/// The CPU time of the whole process, exited threads included (Linux:
/// thread_group_cputime()): user and system, as accounted at kernel
/// entry and exit.
fn process_times(k: &Kernel) -> (u64, u64) {
    k.process_cputime(k.cur().signal)
}

/// times(2): CPU times in clock ticks (USER_HZ 100); returns ticks since boot.
pub fn times(k: &mut Kernel, buf: u64) -> SysResult {
    let (u, s) = process_times(k);
    let (cu, cs) = (k.cur_signal().cutime_ns, k.cur_signal().cstime_ns);
    if buf != 0 {
        let ticks = |ns: u64| (ns / 10_000_000) as i64;
        k.write_val(
            buf,
            &Tms { tms_utime: ticks(u), tms_stime: ticks(s), tms_cutime: ticks(cu), tms_cstime: ticks(cs) },
        )?;
    }
    Ok((k.now_ns() / 10_000_000) as usize)
}

/// arch_prctl(2) of the calling task.
pub fn arch_prctl(k: &mut Kernel, code: u64, addr: u64) -> SysResult {
    let tid = k.cur().tid;
    arch_prctl_of(k, tid, code, addr)
}

/// Linux: do_arch_prctl_64() on task `tid`: the caller itself, or a
/// tracee in a ptrace stop (PTRACE_ARCH_PRCTL). The GET codes write the
/// base into the caller's memory; a new FS base of the caller is loaded
/// before it returns to user mode, a tracee's by the switch to it.
pub fn arch_prctl_of(k: &mut Kernel, tid: crate::proc::Pid, code: u64, addr: u64) -> SysResult {
    let current = k.sched.current() == Some(tid);
    match code {
        ARCH_SET_FS | ARCH_SET_GS => {
            crate::proc::check_user_base(addr)?;
            let t = k.proc.tasks_mut().get_mut(&tid).expect("arch_prctl's task");
            if code == ARCH_SET_FS {
                t.fs_base = addr;
                if current {
                    k.sched.set_load_fs(Some(addr));
                }
            } else {
                t.gs_base = addr;
            }
            Ok(0)
        }
        ARCH_GET_FS | ARCH_GET_GS => {
            let t = &k.proc.tasks()[&tid];
            let v = if code == ARCH_GET_FS { t.fs_base } else { t.gs_base };
            k.write_u64(addr, v)?;
            Ok(0)
        }
        _ => Err(EINVAL),
    }
}

/// Linux: set_tid_address(): remember where to clear the TID at exit.
pub fn set_tid_address(k: &mut Kernel, tidptr: u64) -> SysResult {
    let t = k.cur_mut();
    t.clear_child_tid = tidptr;
    let tid = t.tid;
    Ok(k.pid_vnr(tid) as usize)
}

/// Linux: set_robust_list(): the head is recorded, and its size must be
/// that of `struct robust_list_head` (24 bytes).
pub fn set_robust_list(k: &mut Kernel, head: u64, len: u64) -> SysResult {
    if len != 24 {
        return Err(EINVAL);
    }
    k.cur_mut().robust_list = (head, len);
    Ok(0)
}

pub fn get_robust_list(k: &mut Kernel, pid: i32, head_ptr: u64, len_ptr: u64) -> SysResult {
    if pid != 0 && k.find_vpid(pid as u32) != k.cur().tid {
        return Err(ESRCH);
    }
    let (head, len) = k.cur().robust_list;
    k.write_u64(head_ptr, head)?;
    k.write_u64(len_ptr, len)?;
    Ok(0)
}

const SIGSET_SIZE: u64 = 8;
use crate::signal::UNBLOCKABLE;

/// The sigaction flags Linux knows; others are dropped (Linux:
/// UAPI_SA_FLAGS, with x86's SA_RESTORER and SA_EXPOSE_TAGBITS).
const UAPI_SA_FLAGS: u64 = SA_NOCLDSTOP
    | SA_NOCLDWAIT
    | SA_SIGINFO
    | SA_ONSTACK
    | SA_RESTART
    | SA_NODEFER
    | SA_RESETHAND
    | 0x800
    | SA_RESTORER;

/// Linux: rt_sigaction() → do_sigaction().
pub fn rt_sigaction(k: &mut Kernel, sig: u64, act: u64, oact: u64, sigsetsize: u64) -> SysResult {
    if sigsetsize != SIGSET_SIZE {
        return Err(EINVAL);
    }
    let new = if act != 0 {
        let a: KSigaction = k.read_val(act)?;
        Some(SigAction {
            handler: a.sa_handler,
            flags: a.sa_flags & UAPI_SA_FLAGS,
            restorer: a.sa_restorer,
            mask: SigSet::from_bits_retain(a.sa_mask) - UNBLOCKABLE,
        })
    } else {
        None
    };
    if sig == 0 || sig > NSIG as u64 || (new.is_some() && (sig == SIGKILL as u64 || sig == SIGSTOP as u64)) {
        return Err(EINVAL);
    }
    let sig = sig as u32;
    let idx = sig as usize - 1;
    let old = k.cur_sighand_mut().action[idx];
    if let Some(a) = new {
        k.cur_sighand_mut().action[idx] = a;
        // POSIX: a pending signal whose action becomes "ignore" (SIG_IGN,
        // or SIG_DFL with an ignoring default) is discarded, blocked or not.
        if a.handler == SIG_IGN || (a.handler == SIG_DFL && crate::signal::sig_default_ignored(sig)) {
            k.flush_signal(sig);
        }
    }
    if oact != 0 {
        let a = KSigaction {
            sa_handler: old.handler,
            sa_flags: old.flags,
            sa_restorer: old.restorer,
            sa_mask: old.mask.bits(),
        };
        k.write_val(oact, &a)?;
    }
    Ok(0)
}

/// Linux: rt_sigprocmask(). The new mask applies even if the old one
/// cannot be written back.
pub fn rt_sigprocmask(k: &mut Kernel, how: u64, set: u64, oset: u64, sigsetsize: u64) -> SysResult {
    if sigsetsize != SIGSET_SIZE {
        return Err(EINVAL);
    }
    let old = k.cur().sigmask;
    if set != 0 {
        let s = k.read_val::<SigSet>(set)? - UNBLOCKABLE;
        let new = match how {
            0 => old | s,
            1 => old - s,
            2 => s,
            _ => return Err(EINVAL),
        };
        k.set_current_blocked(new);
    }
    if oset != 0 {
        k.write_val(oset, &old)?;
    }
    Ok(0)
}

/// Linux: rt_sigsuspend(): wait for a signal with `set` as the mask. The
/// call ends with -ERESTARTNOHAND: a handler runs (with the old mask in
/// its frame, so sigreturn puts it back) and the call returns EINTR; with
/// no handler (an ignored signal, a stop) it waits again.
pub fn rt_sigsuspend(k: &mut Kernel, set: u64, sigsetsize: u64) -> SysResult {
    if sigsetsize != SIGSET_SIZE {
        return Err(EINVAL);
    }
    let mask: SigSet = k.read_val(set)?;
    k.set_user_sigmask(mask);
    Err(k.block_current(WaitReason::Pause))
}

/// The siginfo an rt_sigqueueinfo caller gives: its code and union (the
/// signal number is the call's), EPERM when it pretends to be the kernel
/// or kill(2) towards another process (Linux: do_rt_sigqueueinfo()).
fn queued_info(k: &mut Kernel, sig: i32, uinfo: u64, to_self: bool) -> SysResult<crate::signal::SigInfo> {
    let si = k.copy_siginfo_from_user(uinfo)?;
    let code = si.si_code;
    if (code >= 0 || code == crate::signal::SI_TKILL) && !to_self {
        return Err(EPERM);
    }
    Ok(crate::signal::SigInfo {
        signo: sig as u32,
        code,
        pid: si.si_pid,
        uid: si.si_uid,
        status: si.si_status,
        value_hi: si.si_value_hi,
    })
}

/// rt_sigqueueinfo(2) (sigqueue): a signal with the caller's siginfo to
/// the process of `pid` (Linux: do_rt_sigqueueinfo() → kill_proc_info()).
pub fn rt_sigqueueinfo(k: &mut Kernel, pid: i32, sig: i32, uinfo: u64) -> SysResult {
    let target = k.find_vpid(pid as u32);
    let info = queued_info(k, sig, uinfo, target == k.cur().tid)?;
    let tgid = match k.proc.tasks().get(&target) {
        Some(t) if pid > 0 && t.state != crate::proc::TaskState::Dead => t.tgid,
        _ => return Err(ESRCH),
    };
    k.kill_info(crate::signal::KillTarget::Process(tgid), info)
}

/// rt_tgsigqueueinfo(2): the same for thread `tid` of process `tgid`
/// (Linux: do_rt_tgsigqueueinfo() → do_send_specific()).
pub fn rt_tgsigqueueinfo(k: &mut Kernel, tgid: i32, tid: i32, sig: i32, uinfo: u64) -> SysResult {
    let mut b = [0u8; 48];
    k.copy_in(uinfo, &mut b)?;
    if tgid <= 0 || tid <= 0 {
        return Err(EINVAL);
    }
    let (tgid, tid) = (k.find_vpid(tgid as u32), k.find_vpid(tid as u32));
    let to_self = tid == k.cur().tid;
    let info = queued_info(k, sig, uinfo, to_self)?;
    let t = match k.proc.tasks().get(&tid) {
        Some(t) if t.tgid == tgid && t.state != crate::proc::TaskState::Dead => t.tid,
        _ => return Err(ESRCH),
    };
    if sig < 0 || sig as u32 > NSIG {
        return Err(EINVAL);
    }
    if !k.may_signal(t) {
        return Err(EPERM);
    }
    if sig != 0 && !k.proc.tasks()[&t].is_zombie() {
        k.send_signal_thread(t, info)?;
    }
    Ok(0)
}

/// Linux: rt_sigtimedwait() (sigwaitinfo, sigtimedwait): take one of the
/// signals in `set` from the pending sets, waiting for one if none is
/// there. While waiting, those signals are unblocked so that sending one
/// wakes the task (Linux: `real_blocked`); the mask is restored after.
pub fn rt_sigtimedwait(k: &mut Kernel, set: u64, info: u64, timeout: u64, sigsetsize: u64) -> SysResult {
    if sigsetsize != SIGSET_SIZE {
        return Err(EINVAL);
    }
    let want = k.read_val::<SigSet>(set)? - UNBLOCKABLE;
    let (real_blocked, deadline) = match k.cur().resume.sigwait() {
        Some(w) => w,
        None => {
            let deadline = if timeout != 0 {
                let (s, ns) = k.read_timespec(timeout)?;
                Some(k.now_ns().saturating_add((s as u64).saturating_mul(1_000_000_000)).saturating_add(ns as u64))
            } else {
                None
            };
            (k.cur().sigmask, deadline)
        }
    };
    let finish = |k: &mut Kernel| {
        let t = k.cur_mut();
        t.sigmask = real_blocked;
        t.resume.clear_sigwait();
    };
    if let Some(si) = k.dequeue_from(want) {
        finish(k);
        if info != 0 {
            k.write_val(info, &si.to_user())?;
        }
        return Ok(si.signo as usize);
    }
    let tid = k.cur().tid;
    // Another signal that is not blocked interrupts the wait.
    let other = k.deliverable_set(tid) - want;
    if !other.is_empty() && k.cur().resume.sigwait().is_some() {
        finish(k);
        return Err(EINTR);
    }
    if deadline.is_some_and(|d| k.now_ns() >= d) {
        finish(k);
        return Err(EAGAIN);
    }
    let t = k.cur_mut();
    t.resume = crate::proc::Resume::SigWait { real_blocked, deadline };
    t.sigmask = real_blocked - want;
    k.sleep_current(WaitReason::SigWait { until_ns: deadline });
    Err(ERESTARTNOINTR)
}

/// Linux: rt_sigpending(): signals pending for the thread or its process
/// that are blocked (the others have been delivered).
pub fn rt_sigpending(k: &mut Kernel, set: u64, sigsetsize: u64) -> SysResult {
    if sigsetsize > SIGSET_SIZE {
        return Err(EINVAL);
    }
    let t = k.cur();
    let pending = (t.sigpending | k.cur_signal().shared_pending) & t.sigmask;
    k.copy_out(set, &zerocopy::IntoBytes::as_bytes(&pending)[..sigsetsize as usize])?;
    Ok(0)
}

pub fn sched_yield(k: &mut Kernel) -> SysResult {
    k.yield_current();
    Ok(0)
}

/// Sleep until `deadline` (monotonic ns). The first call records the
/// deadline in the task; the restarted call after wake-up finds it passed.
fn sleep_until(k: &mut Kernel, deadline: u64) -> SysResult {
    if k.now_ns() >= deadline {
        k.cur_mut().resume.clear_deadline();
        return Ok(0);
    }
    k.cur_mut().resume = crate::proc::Resume::Deadline(deadline);
    Err(k.block_current(WaitReason::Sleep { until_ns: deadline }))
}

/// A relative nanosleep or clock_nanosleep interrupted by a signal: the
/// time left goes to `rem` (if given) and the call ends with a restart
/// block (EINTR once a handler runs; a stopped sleeper sleeps on to the
/// same deadline). Already past its deadline, it simply succeeded
/// (Linux: do_nanosleep(), nanosleep_copyout()).
pub fn nanosleep_interrupted(k: &mut Kernel, rem: u64) -> SysResult {
    let Some(deadline) = k.cur().resume.deadline() else { return Err(ERESTART_RESTARTBLOCK) };
    let now = k.now_ns();
    if now >= deadline {
        k.cur_mut().resume.clear_deadline();
        return Ok(0);
    }
    if rem != 0 && k.write_val(rem, &Timespec::from_ns(deadline - now)).is_err() {
        k.cur_mut().resume.clear_deadline();
        return Err(EFAULT);
    }
    Err(ERESTART_RESTARTBLOCK)
}

pub fn nanosleep(k: &mut Kernel, req: u64, _rem: u64) -> SysResult {
    if let Some(d) = k.cur().resume.deadline() {
        return sleep_until(k, d);
    }
    let (s, ns) = k.read_timespec(req)?;
    let deadline = k.now_ns().saturating_add((s as u64).saturating_mul(1_000_000_000)).saturating_add(ns as u64);
    sleep_until(k, deadline)
}

/// Linux: clock_nanosleep(); TIMER_ABSTIME is flag 1.
pub fn clock_nanosleep(k: &mut Kernel, clock: u64, flags: u64, req: u64, _rem: u64) -> SysResult {
    if let Some(d) = k.cur().resume.deadline() {
        return sleep_until(k, d);
    }
    let (s, ns) = k.read_timespec(req)?;
    let dur = (s as u64).saturating_mul(1_000_000_000).saturating_add(ns as u64);
    let now = k.now_ns();
    let deadline = match (clock, flags & 1) {
        (CLOCK_MONOTONIC | CLOCK_BOOTTIME, 1) => dur,
        (CLOCK_REALTIME, 1) => dur.saturating_sub(k.m.clock.boot_epoch_ns()),
        (CLOCK_MONOTONIC | CLOCK_BOOTTIME | CLOCK_REALTIME, _) => now.saturating_add(dur),
        (CLOCK_PROCESS_CPUTIME_ID | CLOCK_THREAD_CPUTIME_ID, _) => return Err(EINVAL),
        _ => return Err(EINVAL),
    };
    sleep_until(k, deadline)
}

/// personality(2): set the execution domain unless asked only to read it
/// (0xffffffff); returns the old one. Linux: sys_personality().
pub fn personality(k: &mut Kernel, persona: u32) -> SysResult {
    let old = k.cur().personality;
    if persona != 0xffff_ffff {
        k.cur_mut().personality = persona;
    }
    Ok(old as usize)
}

/// kcmp(2): whether two tasks share a resource. 0 means the same object;
/// different objects are ordered 1 (first below) or 2, as Linux orders
/// its obfuscated pointers. The caller must be allowed to inspect both
/// (Linux: ptrace_may_access(PTRACE_MODE_READ_REALCREDS)); KCMP_IO and
/// KCMP_SYSVSEM compare objects Tine does not have, which are absent
/// (equal) for every task. Linux: kernel/kcmp.c.
pub fn kcmp(k: &mut Kernel, pid1: i32, pid2: i32, kind: u32, idx1: u64, idx2: u64) -> SysResult {
    const KCMP_FILE: u32 = 0;
    const KCMP_VM: u32 = 1;
    const KCMP_FILES: u32 = 2;
    const KCMP_FS: u32 = 3;
    const KCMP_SIGHAND: u32 = 4;
    const KCMP_IO: u32 = 5;
    const KCMP_SYSVSEM: u32 = 6;
    const KCMP_EPOLL_TFD: u32 = 7;
    let find = |pid: i32| -> SysResult<crate::proc::Pid> {
        let pid = k.find_vpid(u32::try_from(pid).map_err(|_| ESRCH)?);
        k.proc.tasks().get(&pid).filter(|t| t.state != crate::proc::TaskState::Dead).map(|t| t.tid).ok_or(ESRCH)
    };
    let (t1, t2) = (find(pid1)?, find(pid2)?);
    if !may_inspect(k, t1) || !may_inspect(k, t2) {
        return Err(EPERM);
    }
    let order = |a: u64, b: u64| {
        Ok(if a == b {
            0
        } else if a < b {
            1
        } else {
            2
        })
    };
    let (a, b) = (&k.proc.tasks()[&t1], &k.proc.tasks()[&t2]);
    match kind {
        KCMP_FILE => {
            let file = |t: &crate::proc::Task, fd: u64| -> SysResult<u64> {
                let fd = i32::try_from(fd).map_err(|_| EBADF)?;
                Ok(k.vfs.fdtables().get(t.files).get(fd)?.file as u64)
            };
            order(file(a, idx1)?, file(b, idx2)?)
        }
        KCMP_VM => order(a.mm.raw().into(), b.mm.raw().into()),
        KCMP_FILES => order(a.files.raw().into(), b.files.raw().into()),
        KCMP_FS => order(a.fs.raw().into(), b.fs.raw().into()),
        KCMP_SIGHAND => order(a.sighand.raw().into(), b.sighand.raw().into()),
        KCMP_IO | KCMP_SYSVSEM => Ok(0),
        KCMP_EPOLL_TFD => Err(EBADF),
        _ => Err(EINVAL),
    }
}

/// Whether the current task may look at `target`'s resources: its own
/// process, or as ptrace allows with the real ids (Linux:
/// ptrace_may_access(PTRACE_MODE_READ_REALCREDS)).
fn may_inspect(k: &Kernel, target: crate::proc::Pid) -> bool {
    use crate::proc::capability::{ptrace_may_access, PtraceCreds};
    let t = &k.proc.tasks()[&target];
    k.cur().tgid == t.tgid || ptrace_may_access(&k.cur().cred, &t.cred, &k.ns.user, PtraceCreds::Real)
}
