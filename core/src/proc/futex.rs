//! Fast user-space mutexes (Linux: kernel/futex/).
//!
//! A futex is a 32-bit word in user memory; the kernel only keeps queues
//! of tasks sleeping on words. A word is named by a key: for a private
//! futex (FUTEX_PRIVATE_FLAG, or a word in private memory) the address
//! space and the virtual address; for a word in shared memory the physical
//! address, so that processes mapping the same page meet on the same
//! queue (Linux: get_futex_key()).
//!
//! FUTEX_WAIT checks the word and sleeps in one step (the kernel runs with
//! interrupts off, so nothing can slip in between). Under Tine's blocking
//! model the call runs again after every wake-up; the task's `futex`
//! record says whether a waker took it off the queue (return 0), its
//! deadline passed (ETIMEDOUT), or it must sleep on.

use alloc::vec::Vec;

use crate::abi::*;
use crate::kernel::Kernel;
use crate::proc::{MmId, Pid, WaitReason};

pub const FUTEX_WAIT: u32 = 0;
pub const FUTEX_WAKE: u32 = 1;
pub const FUTEX_REQUEUE: u32 = 3;
pub const FUTEX_CMP_REQUEUE: u32 = 4;
pub const FUTEX_WAKE_OP: u32 = 5;
pub const FUTEX_WAIT_BITSET: u32 = 9;
pub const FUTEX_WAKE_BITSET: u32 = 10;
pub const FUTEX_PRIVATE_FLAG: u32 = 128;
pub const FUTEX_CLOCK_REALTIME: u32 = 256;
pub const FUTEX_BITSET_MATCH_ANY: u32 = u32::MAX;

/// Robust futex word bits (Linux: FUTEX_OWNER_DIED, FUTEX_WAITERS, FUTEX_TID_MASK).
const FUTEX_WAITERS: u32 = 0x8000_0000;
const FUTEX_OWNER_DIED: u32 = 0x4000_0000;
const FUTEX_TID_MASK: u32 = 0x3fff_ffff;
/// Linux: ROBUST_LIST_LIMIT, a guard against circular lists.
const ROBUST_LIST_LIMIT: usize = 2048;

/// What names a futex word (Linux: `union futex_key`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FutexKey {
    /// A word in private memory. `mm_shared` tells a non-private futex op
    /// on private memory from a FUTEX_PRIVATE_FLAG one: Linux keys them
    /// apart (FUT_OFF_MMSHARED), so they never meet.
    Private {
        mm: MmId,
        addr: u64,
        mm_shared: bool,
    },
    Shared {
        phys: u64,
    },
}

/// A task sleeping on a futex (Linux: `struct futex_q`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FutexWaiter {
    pub key: FutexKey,
    pub tid: Pid,
    pub bitset: u32,
    /// Which of a futex_waitv call's words this entry waits on (0 for
    /// FUTEX_WAIT): the call returns the index that woke it.
    pub index: u32,
}

/// A task's FUTEX_WAIT in progress, kept across the call's restarts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FutexWait {
    pub deadline: Option<u64>,
    /// Set by a waker when it takes the task off the queue.
    pub woken: bool,
    /// The index of the futex_waitv word that woke it.
    pub woken_index: u32,
}

impl Kernel {
    /// The key of the word at `uaddr` of the current task: EFAULT if it
    /// cannot be read, EINVAL if misaligned (Linux: get_futex_key()).
    pub(crate) fn futex_key(&mut self, uaddr: u64, private: bool) -> SysResult<FutexKey> {
        if !uaddr.is_multiple_of(4) {
            return Err(EINVAL);
        }
        if uaddr >= crate::mm::consts::TASK_SIZE {
            return Err(EFAULT);
        }
        let mm = self.cur().mm;
        // A private key is the address alone: Linux reads nothing here.
        if private {
            return Ok(FutexKey::Private { mm, addr: uaddr, mm_shared: false });
        }
        let mut b = [0u8; 4];
        self.copy_in(uaddr, &mut b)?;
        let aspace = self.mem.mms().get(mm);
        let shared = aspace.find_vma(uaddr).is_some_and(|v| v.is_shared());
        match (shared, aspace.translate(self.m.mem, uaddr)) {
            (true, Some(pa)) => Ok(FutexKey::Shared { phys: pa }),
            _ => Ok(FutexKey::Private { mm, addr: uaddr, mm_shared: true }),
        }
    }

    pub(crate) fn futex_read(&mut self, uaddr: u64) -> SysResult<u32> {
        self.read_val(uaddr)
    }

    /// Wake up to `n` waiters on `key` whose bitset meets `bitset`
    /// (Linux: futex_wake()). Returns how many.
    pub(crate) fn futex_wake_key(&mut self, key: FutexKey, n: u32, bitset: u32) -> usize {
        let mut woken: Vec<(Pid, u32)> = Vec::new();
        self.proc.futexes.retain(|w| {
            if woken.len() < n as usize
                && w.key == key
                && w.bitset & bitset != 0
                && !woken.iter().any(|&(t, _)| t == w.tid)
            {
                woken.push((w.tid, w.index));
                false
            } else {
                true
            }
        });
        // A futex_waitv sleeper is woken once: its other words let go too.
        if !woken.is_empty() {
            self.proc.futexes.retain(|w| !woken.iter().any(|&(t, _)| t == w.tid));
        }
        for &(tid, index) in &woken {
            if let Some(t) = self.proc.tasks.get_mut(&tid) {
                if let Some(f) = t.resume.futex_mut() {
                    f.woken = true;
                    f.woken_index = index;
                }
            }
            self.wake(tid);
        }
        woken.len()
    }

    /// Wake one waiter on the current task's word at `uaddr`, ignoring
    /// faults: thread exit (CLEARTID) and robust-list cleanup.
    pub fn futex_wake_addr(&mut self, uaddr: u64, n: u32) {
        if let Ok(key) = self.futex_key(uaddr, false) {
            self.futex_wake_key(key, n, FUTEX_BITSET_MATCH_ANY);
        }
    }

    /// Take the current task off any futex queue: its wait ended some other
    /// way (a signal, a timeout, exit).
    pub fn futex_cancel(&mut self, tid: Pid) {
        self.proc.futexes.retain(|w| w.tid != tid);
        if let Some(t) = self.proc.tasks.get_mut(&tid) {
            t.resume.clear_futex();
        }
    }

    /// Linux: futex_wait(). `deadline` is an absolute monotonic time.
    pub(crate) fn futex_wait(
        &mut self,
        uaddr: u64,
        private: bool,
        val: u32,
        deadline: Option<u64>,
        bitset: u32,
    ) -> SysResult {
        let tid = self.cur().tid;
        if let Some(w) = self.cur().resume.futex() {
            // Running again after a wake-up.
            if w.woken {
                self.futex_cancel(tid);
                return Ok(0);
            }
            if w.deadline.is_some_and(|d| self.now_ns() >= d) {
                self.futex_cancel(tid);
                return Err(ETIMEDOUT);
            }
            return Err(self.block_futex(w.deadline));
        }
        if bitset == 0 {
            return Err(EINVAL);
        }
        let key = self.futex_key(uaddr, private)?;
        if self.futex_read(uaddr)? != val {
            return Err(EAGAIN);
        }
        if deadline.is_some_and(|d| self.now_ns() >= d) {
            return Err(ETIMEDOUT);
        }
        self.proc.futexes.push(FutexWaiter { key, tid, bitset, index: 0 });
        self.cur_mut().resume = crate::proc::Resume::Futex(FutexWait { deadline, woken: false, woken_index: 0 });
        let e = self.block_futex(deadline);
        if e != ERESTARTNOINTR {
            self.futex_cancel(tid); // a signal was already pending
        }
        Err(e)
    }

    pub(crate) fn block_futex(&mut self, deadline: Option<u64>) -> Errno {
        self.block_current(WaitReason::Futex { until_ns: deadline })
    }

    /// Linux: futex_requeue(): wake `nr_wake` waiters on `uaddr`, move up to
    /// `nr_requeue` more to `uaddr2`; with `cmp`, only if `*uaddr == cmp`.
    pub(crate) fn futex_requeue(
        &mut self,
        uaddr: u64,
        uaddr2: u64,
        private: bool,
        nr_wake: u32,
        nr_requeue: u32,
        cmp: Option<u32>,
    ) -> SysResult {
        if (nr_wake as i32) < 0 || (nr_requeue as i32) < 0 {
            return Err(EINVAL);
        }
        let key1 = self.futex_key(uaddr, private)?;
        let key2 = self.futex_key(uaddr2, private)?;
        if let Some(c) = cmp {
            if self.futex_read(uaddr)? != c {
                return Err(EAGAIN);
            }
        }
        let woken = self.futex_wake_key(key1, nr_wake, FUTEX_BITSET_MATCH_ANY);
        let mut moved = 0;
        for w in self.proc.futexes.iter_mut().filter(|w| w.key == key1) {
            if moved == nr_requeue as usize {
                break;
            }
            w.key = key2;
            moved += 1;
        }
        // Both count the woken and the requeued (Linux: futex_requeue()).
        Ok(woken + moved)
    }

    /// Linux: futex_wake_op(): change `*uaddr2` by the operation encoded
    /// in `val3`, wake `nr_wake` on `uaddr`, and `nr_wake2` on `uaddr2` if
    /// the old value of `*uaddr2` passes the encoded comparison.
    pub(crate) fn futex_wake_op(
        &mut self,
        uaddr: u64,
        uaddr2: u64,
        private: bool,
        nr_wake: u32,
        nr_wake2: u32,
        val3: u32,
    ) -> SysResult {
        let key1 = self.futex_key(uaddr, private)?;
        let key2 = self.futex_key(uaddr2, private)?;
        let op = (val3 >> 28) & 7;
        let cmp = (val3 >> 24) & 15;
        // Both arguments are signed 12-bit numbers (Linux: sign_extend32()).
        let mut oparg = sign_extend_12((val3 >> 12) & 0xfff) as u32;
        let cmparg = val3 & 0xfff;
        if val3 & (8 << 28) != 0 {
            // FUTEX_OP_OPARG_SHIFT: the argument is a shift count; Linux
            // masks an out-of-range one to five bits.
            oparg = 1 << (oparg & 31);
        }
        let old = self.futex_read(uaddr2)?;
        let new = match op {
            0 => oparg,                   // FUTEX_OP_SET
            1 => old.wrapping_add(oparg), // FUTEX_OP_ADD
            2 => old | oparg,             // FUTEX_OP_OR
            3 => old & !oparg,            // FUTEX_OP_ANDN
            4 => old ^ oparg,             // FUTEX_OP_XOR
            _ => return Err(ENOSYS),
        };
        self.write_val(uaddr2, &new)?;
        let (o, c) = (old as i32, sign_extend_12(cmparg));
        let pass = match cmp {
            0 => o == c,
            1 => o != c,
            2 => o < c,
            3 => o <= c,
            4 => o > c,
            5 => o >= c,
            _ => return Err(ENOSYS),
        };
        let mut n = self.futex_wake_key(key1, nr_wake, FUTEX_BITSET_MATCH_ANY);
        if pass {
            n += self.futex_wake_key(key2, nr_wake2, FUTEX_BITSET_MATCH_ANY);
        }
        Ok(n)
    }

    /// Linux: exit_robust_list(): for every lock in the exiting thread's
    /// robust list still held by it, mark the owner dead and wake a waiter,
    /// so another thread can recover the lock.
    pub fn exit_robust_list(&mut self, tid: Pid) {
        let (head, _) = self.proc.tasks[&tid].robust_list;
        if head == 0 {
            return;
        }
        // struct robust_list_head { next; long futex_offset; list_op_pending; }
        let Ok(mut entry) = self.read_u64(head) else { return };
        let Ok(offset) = self.read_u64(head + 8) else { return };
        let pending = self.read_u64(head + 16).unwrap_or(0);
        let mut seen = 0;
        while entry != head && seen < ROBUST_LIST_LIMIT {
            let next = self.read_u64(entry);
            if entry != pending {
                self.handle_futex_death(entry.wrapping_add(offset), tid);
            }
            let Ok(n) = next else { return };
            entry = n;
            seen += 1;
        }
        if pending != 0 {
            self.handle_futex_death(pending.wrapping_add(offset), tid);
        }
    }

    /// Linux: handle_futex_death().
    fn handle_futex_death(&mut self, uaddr: u64, tid: Pid) {
        let Ok(word) = self.futex_read(uaddr) else { return };
        if word & FUTEX_TID_MASK != tid {
            return;
        }
        let new = (word & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
        if self.write_val(uaddr, &new).is_ok() && word & FUTEX_WAITERS != 0 {
            self.futex_wake_addr(uaddr, 1);
        }
    }
}

fn sign_extend_12(v: u32) -> i32 {
    ((v << 20) as i32) >> 20
}
