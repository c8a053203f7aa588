//! Calls about the running task itself: exit, TLS, TID pointers, signal
//! dispositions and masks (recorded; delivery comes with the signal
//! subsystem), yielding and sleeping.

use crate::abi::*;
use crate::kernel::Kernel;
use crate::proc::{SigAction, WaitReason};

pub fn exit(k: &mut Kernel, code: i32) -> SysResult {
    // One thread ends; with no thread groups yet, that is the process.
    crate::proc::exit::do_exit(k, (code & 0xff) << 8);
    Ok(0)
}

pub fn exit_group(k: &mut Kernel, code: i32) -> SysResult {
    crate::proc::exit::do_exit(k, (code & 0xff) << 8);
    Ok(0)
}

/// Linux: do_arch_prctl_64().
pub fn arch_prctl(k: &mut Kernel, code: u64, addr: u64) -> SysResult {
    const TASK_SIZE_MAX: u64 = 0x0000_7fff_ffff_f000;
    match code {
        ARCH_SET_FS | ARCH_SET_GS => {
            if addr >= TASK_SIZE_MAX {
                return Err(EPERM);
            }
            if code == ARCH_SET_FS {
                k.cur_mut().fs_base = addr;
                k.load_fs = Some(addr);
            } else {
                k.cur_mut().gs_base = addr;
            }
            Ok(0)
        }
        ARCH_GET_FS => {
            let v = k.cur().fs_base;
            k.write_u64(addr, v)?;
            Ok(0)
        }
        ARCH_GET_GS => {
            let v = k.cur().gs_base;
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
    Ok(t.tid as usize)
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
    if pid != 0 && pid as u32 != k.cur().tid {
        return Err(ESRCH);
    }
    let (head, len) = k.cur().robust_list;
    k.write_u64(head_ptr, head)?;
    k.write_u64(len_ptr, len)?;
    Ok(0)
}

const SIGSET_SIZE: u64 = 8;
/// SIGKILL and SIGSTOP can be neither caught nor blocked.
const UNBLOCKABLE: u64 = (1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1));

/// Linux: rt_sigaction().
pub fn rt_sigaction(k: &mut Kernel, sig: u64, act: u64, oact: u64, sigsetsize: u64) -> SysResult {
    if sigsetsize != SIGSET_SIZE {
        return Err(EINVAL);
    }
    if sig == 0 || sig > NSIG as u64 || (act != 0 && (sig == SIGKILL as u64 || sig == SIGSTOP as u64)) {
        return Err(EINVAL);
    }
    let new = if act != 0 {
        let mut b = [0u8; 32];
        k.copy_in(act, &mut b)?;
        let w = |i: usize| u64::from_le_bytes(b[i * 8..i * 8 + 8].try_into().unwrap());
        Some(SigAction { handler: w(0), flags: w(1), restorer: w(2), mask: w(3) & !UNBLOCKABLE })
    } else {
        None
    };
    let idx = sig as usize - 1;
    if oact != 0 {
        let o = k.cur().sigactions[idx];
        let mut b = [0u8; 32];
        for (i, v) in [o.handler, o.flags, o.restorer, o.mask].iter().enumerate() {
            b[i * 8..i * 8 + 8].copy_from_slice(&v.to_le_bytes());
        }
        k.copy_out(oact, &b)?;
    }
    if let Some(a) = new {
        k.cur_mut().sigactions[idx] = a;
    }
    Ok(0)
}

/// Linux: rt_sigprocmask().
pub fn rt_sigprocmask(k: &mut Kernel, how: u64, set: u64, oset: u64, sigsetsize: u64) -> SysResult {
    if sigsetsize != SIGSET_SIZE {
        return Err(EINVAL);
    }
    let old = k.cur().sigmask;
    let new = if set != 0 {
        let s = k.read_u64(set)?;
        Some(match how {
            0 => old | s,
            1 => old & !s,
            2 => s,
            _ => return Err(EINVAL),
        } & !UNBLOCKABLE)
    } else {
        None
    };
    if oset != 0 {
        k.write_u64(oset, old)?;
    }
    if let Some(m) = new {
        k.cur_mut().sigmask = m;
    }
    Ok(0)
}

pub fn sched_yield(k: &mut Kernel) -> SysResult {
    k.need_resched = true;
    Ok(0)
}

fn read_timespec(k: &mut Kernel, addr: u64) -> SysResult<(i64, i64)> {
    let mut b = [0u8; 16];
    k.copy_in(addr, &mut b)?;
    let sec = i64::from_le_bytes(b[..8].try_into().unwrap());
    let nsec = i64::from_le_bytes(b[8..].try_into().unwrap());
    if sec < 0 || !(0..1_000_000_000).contains(&nsec) {
        return Err(EINVAL);
    }
    Ok((sec, nsec))
}

/// Sleep until `deadline` (monotonic ns). The first call records the
/// deadline in the task; the restarted call after wake-up finds it passed.
fn sleep_until(k: &mut Kernel, deadline: u64) -> SysResult {
    if k.now_ns() >= deadline {
        k.cur_mut().sleep_deadline = None;
        return Ok(0);
    }
    k.cur_mut().sleep_deadline = Some(deadline);
    Err(k.block_current(WaitReason::Sleep { until_ns: deadline }))
}

pub fn nanosleep(k: &mut Kernel, req: u64, _rem: u64) -> SysResult {
    if let Some(d) = k.cur().sleep_deadline {
        return sleep_until(k, d);
    }
    let (s, ns) = read_timespec(k, req)?;
    let deadline = k.now_ns().saturating_add((s as u64).saturating_mul(1_000_000_000)).saturating_add(ns as u64);
    sleep_until(k, deadline)
}

/// Linux: clock_nanosleep(); TIMER_ABSTIME is flag 1.
pub fn clock_nanosleep(k: &mut Kernel, clock: u64, flags: u64, req: u64, _rem: u64) -> SysResult {
    if let Some(d) = k.cur().sleep_deadline {
        return sleep_until(k, d);
    }
    let (s, ns) = read_timespec(k, req)?;
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
