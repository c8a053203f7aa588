//! futex(2) and futex_waitv(2): the operation decoded, then the wait
//! queues of `proc::futex` (Linux: kernel/futex/syscalls.c).

use crate::abi::*;
use crate::kernel::Kernel;
use crate::proc::futex::*;
use alloc::vec::Vec;

/// futex(2): uaddr, op, val, timeout (or val2), uaddr2, val3.
pub fn sys_futex(k: &mut Kernel, uaddr: u64, op: u32, val: u32, timeout: u64, uaddr2: u64, val3: u32) -> SysResult {
    let private = op & FUTEX_PRIVATE_FLAG != 0;
    let realtime = op & FUTEX_CLOCK_REALTIME != 0;
    let cmd = op & !(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
    // Only the bitset wait takes FUTEX_CLOCK_REALTIME (Linux: futex_cmd_has_timeout()
    // and the check in do_futex()).
    if realtime && cmd != FUTEX_WAIT_BITSET {
        return Err(ENOSYS);
    }
    match cmd {
        FUTEX_WAIT | FUTEX_WAIT_BITSET => {
            let bitset = if cmd == FUTEX_WAIT { FUTEX_BITSET_MATCH_ANY } else { val3 };
            // Only the first run reads the timeout; restarts use the
            // deadline kept in the task.
            let deadline = if k.cur().resume.futex().is_none() && timeout != 0 {
                let (sec, nsec) = k.read_timespec(timeout)?;
                let ns = (sec as u64).saturating_mul(1_000_000_000).saturating_add(nsec as u64);
                Some(if cmd == FUTEX_WAIT {
                    // Relative to now.
                    k.now_ns().saturating_add(ns)
                } else if realtime {
                    ns.saturating_sub(k.m.clock.boot_epoch_ns())
                } else {
                    ns
                })
            } else {
                None
            };
            k.futex_wait(uaddr, private, val, deadline, bitset)
        }
        FUTEX_WAKE | FUTEX_WAKE_BITSET => {
            let bitset = if cmd == FUTEX_WAKE { FUTEX_BITSET_MATCH_ANY } else { val3 };
            if bitset == 0 {
                return Err(EINVAL);
            }
            let key = k.futex_key(uaddr, private)?;
            Ok(k.futex_wake_key(key, val, bitset))
        }
        FUTEX_REQUEUE => k.futex_requeue(uaddr, uaddr2, private, val, timeout as u32, None),
        FUTEX_CMP_REQUEUE => k.futex_requeue(uaddr, uaddr2, private, val, timeout as u32, Some(val3)),
        FUTEX_WAKE_OP => k.futex_wake_op(uaddr, uaddr2, private, val, timeout as u32, val3),
        _ => Err(ENOSYS),
    }
}

/// futex_waitv(2) (Linux 5.16: kernel/futex/syscalls.c and waitwake.c
/// futex_wait_multiple()): sleep on up to 128 32-bit words at once, each
/// given as `struct futex_waitv { u64 val; u64 uaddr; u32 flags; u32
/// __reserved; }`, until one is woken; the call returns that word's
/// index. EAGAIN when a word no longer holds its value, ETIMEDOUT at the
/// absolute `timeout` on `clockid` (MONOTONIC or REALTIME).
pub fn sys_futex_waitv(k: &mut Kernel, waiters: u64, nr: u32, flags: u32, timeout: u64, clockid: u64) -> SysResult {
    const FUTEX_WAITV_MAX: u32 = 128;
    const FUTEX2_SIZE_U32: u32 = 2;
    const FUTEX2_PRIVATE: u32 = FUTEX_PRIVATE_FLAG;
    let tid = k.cur().tid;
    if let Some(w) = k.cur().resume.futex() {
        // Running again after a wake-up, as futex_wait().
        if w.woken {
            k.futex_cancel(tid);
            return Ok(w.woken_index as usize);
        }
        if w.deadline.is_some_and(|d| k.now_ns() >= d) {
            k.futex_cancel(tid);
            return Err(ETIMEDOUT);
        }
        return Err(k.block_futex(w.deadline));
    }
    if flags != 0 || nr == 0 || nr > FUTEX_WAITV_MAX || waiters == 0 {
        return Err(EINVAL);
    }
    let deadline = if timeout != 0 {
        if clockid != CLOCK_REALTIME && clockid != CLOCK_MONOTONIC {
            return Err(EINVAL);
        }
        let (sec, nsec) = k.read_timespec(timeout)?;
        let ns = (sec as u64).saturating_mul(1_000_000_000).saturating_add(nsec as u64);
        Some(if clockid == CLOCK_REALTIME { ns.saturating_sub(k.m.clock.boot_epoch_ns()) } else { ns })
    } else {
        None
    };
    // futex_parse_waitv(): every entry is read and checked first.
    let mut words = Vec::with_capacity(nr as usize);
    for i in 0..nr as u64 {
        let w: FutexWaitv = k.read_val(waiters + i * core::mem::size_of::<FutexWaitv>() as u64)?;
        let FutexWaitv { val, uaddr, flags: wflags, reserved } = w;
        if wflags & !(FUTEX2_SIZE_U32 | FUTEX2_PRIVATE) != 0 || reserved != 0 || wflags & FUTEX2_SIZE_U32 == 0 {
            return Err(EINVAL);
        }
        words.push((uaddr, val, wflags & FUTEX2_PRIVATE != 0));
    }
    // futex_wait_multiple_setup(): the keys, then each value compared.
    let mut keys = Vec::with_capacity(words.len());
    for &(uaddr, val, private) in &words {
        let key = k.futex_key(uaddr, private)?;
        if u64::from(k.futex_read(uaddr)?) != val {
            return Err(EAGAIN);
        }
        keys.push(key);
    }
    if deadline.is_some_and(|d| k.now_ns() >= d) {
        return Err(ETIMEDOUT);
    }
    for (i, key) in keys.into_iter().enumerate() {
        k.proc.futexes_mut().push(FutexWaiter { key, tid, bitset: FUTEX_BITSET_MATCH_ANY, index: i as u32 });
    }
    k.cur_mut().resume = crate::proc::Resume::Futex(FutexWait { deadline, woken: false, woken_index: 0 });
    let e = k.block_futex(deadline);
    if e != ERESTARTNOINTR {
        k.futex_cancel(tid);
    }
    Err(e)
}
