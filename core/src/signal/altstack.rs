//! The alternate signal stack (Linux: sigaltstack(2), do_sigaltstack() in
//! kernel/signal.c and the sas_ss_* helpers of include/linux/sched/signal.h).
//!
//! A thread may name a region where handlers installed with SA_ONSTACK
//! run. It is per thread: a fork child keeps a copy, a CLONE_VM child
//! without CLONE_VFORK starts without one (`reset`), execve forgets it
//! (`SigState::exec`). With SS_AUTODISARM, entering a handler on it
//! disables it until that handler's rt_sigreturn restores the setting
//! from its frame.

use crate::abi::*;
use crate::kernel::Kernel;

pub const SS_ONSTACK: u32 = 1;
pub const SS_DISABLE: u32 = 2;
pub const SS_AUTODISARM: u32 = 1 << 31;
/// Linux: SS_FLAG_BITS, the flags besides the mode.
pub const SS_FLAG_BITS: u32 = SS_AUTODISARM;
/// The smallest stack sigaltstack accepts (uapi asm/signal.h).
pub const MINSIGSTKSZ: u64 = 2048;

/// A thread's alternate stack: `flags` as the thread set them (0 in a
/// process that never called sigaltstack, SS_DISABLE after a reset).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AltStack {
    pub sp: u64,
    pub size: u64,
    pub flags: u32,
}

impl AltStack {
    /// Linux: __on_sig_stack(): `sp` is within the region (the top
    /// included, the bottom not, as a full descending stack).
    pub fn contains(&self, sp: u64) -> bool {
        sp > self.sp && sp.wrapping_sub(self.sp) <= self.size
    }

    /// Linux: on_sig_stack(). With SS_AUTODISARM the thread is never
    /// considered on it: that is what lets a handler that overflowed it
    /// still be handled.
    pub fn on_stack(&self, sp: u64) -> bool {
        self.flags & SS_AUTODISARM == 0 && self.contains(sp)
    }

    /// Linux: sas_ss_flags(): SS_DISABLE without a stack, SS_ONSTACK while
    /// running on it, else 0.
    pub fn mode(&self, sp: u64) -> u32 {
        if self.size == 0 {
            SS_DISABLE
        } else if self.on_stack(sp) {
            SS_ONSTACK
        } else {
            0
        }
    }

    /// Linux: sas_ss_reset().
    pub fn reset(&mut self) {
        *self = AltStack { sp: 0, size: 0, flags: SS_DISABLE };
    }

    /// The `stack_t` a signal frame records (Linux: __save_altstack():
    /// the flags as set, not the mode).
    pub fn to_stack_t(&self) -> StackT {
        stack_t(self.sp, self.flags, self.size)
    }
}

/// A `stack_t` as user space sees it.
pub fn stack_t(sp: u64, flags: u32, size: u64) -> StackT {
    StackT { ss_sp: sp, ss_flags: flags as i32, pad: 0, ss_size: size }
}

impl Kernel {
    /// Linux: do_sigaltstack(). `sp` is the user stack pointer the thread
    /// has now; changing the stack while running on it is EPERM. Returns
    /// the old setting as sigaltstack reports it (mode and flag bits).
    pub fn do_sigaltstack(&mut self, new: Option<(u64, u32, u64)>, sp: u64) -> SysResult<(u64, u32, u64)> {
        let cur = self.cur().sigstate.altstack;
        let old = (cur.sp, cur.mode(sp) | (cur.flags & SS_FLAG_BITS), cur.size);
        if let Some((ss_sp, ss_flags, ss_size)) = new {
            if cur.on_stack(sp) {
                return Err(EPERM);
            }
            let mode = ss_flags & !SS_FLAG_BITS;
            if mode != SS_DISABLE && mode != SS_ONSTACK && mode != 0 {
                return Err(EINVAL);
            }
            let set = if mode == SS_DISABLE {
                AltStack { sp: 0, size: 0, flags: ss_flags }
            } else {
                if ss_size < MINSIGSTKSZ {
                    return Err(ENOMEM);
                }
                AltStack { sp: ss_sp, size: ss_size, flags: ss_flags }
            };
            self.cur_mut().sigstate.altstack = set;
        }
        Ok(old)
    }
}
