//! Restartable sequences: rseq(2) registration and the work on the way
//! back to user mode (Linux: kernel/rseq.c).
//!
//! A thread registers a `struct rseq` area; the kernel keeps the number of
//! the CPU it runs on there (`cpu_id`, refreshed after each migration or
//! preemption) and, when the thread was
//! preempted inside a critical section that `rseq_cs` describes, sends it
//! to the section's abort handler. glibc 2.35 and later register an area
//! for every thread at start and read `cpu_id` for sched_getcpu().
//! The area goes to a forked child (not to a thread or a vfork child,
//! which share the memory) and is forgotten by execve. A signal delivered
//! inside a critical section aborts it too, before the handler's frame is
//! built, so that the frame returns to the abort handler.

use crate::abi::*;
use crate::kernel::Kernel;

/// Linux: RSEQ_FLAG_UNREGISTER.
const FLAG_UNREGISTER: u32 = 1;
/// The size and alignment of the original `struct rseq` (Linux:
/// ORIG_RSEQ_SIZE).
const ORIG_SIZE: u32 = 32;
/// Linux: offsetofend(struct rseq, mm_cid), the least a longer area holds.
const MIN_EXTENDED: u32 = 24;
/// Linux: RSEQ_CPU_ID_UNINITIALIZED.
const CPU_ID_UNINITIALIZED: u32 = u32::MAX;
/// Offsets in `struct rseq`.
const CPU_ID_START: u64 = 0;
const CPU_ID: u64 = 4;
const RSEQ_CS: u64 = 8;
const NODE_ID: u64 = 16;
const MM_CID: u64 = 20;

/// A thread's registration (Linux: `task_struct`'s rseq, rseq_len,
/// rseq_sig and the TIF_NOTIFY_RESUME it sets for rseq).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rseq {
    pub addr: u64,
    pub len: u32,
    pub sig: u32,
    /// The area must be brought up to date (and a critical section
    /// checked) before the thread next runs user code.
    pub notify: bool,
}

/// cpu_id_start and cpu_id (the CPU returning to user mode), then
/// node_id and mm_cid (both 0 here).
fn write_ids(k: &mut Kernel, addr: u64, [start, cpu]: [u32; 2]) -> SysResult<()> {
    k.write_val(addr + CPU_ID_START, &start)?;
    k.write_val(addr + CPU_ID, &cpu)?;
    k.write_val(addr + NODE_ID, &0u32)?;
    k.write_val(addr + MM_CID, &0u32)
}

/// `struct rseq_cs`.
#[derive(
    zerocopy::FromBytes, zerocopy::IntoBytes, zerocopy::Immutable, zerocopy::KnownLayout, Clone, Copy, Default,
)]
#[repr(C)]
struct RseqCs {
    version: u32,
    flags: u32,
    start_ip: u64,
    post_commit_offset: u64,
    abort_ip: u64,
}

impl Kernel {
    /// Register or unregister the current thread's area (Linux: the
    /// rseq(2) system call, sys_rseq()).
    pub fn rseq_register(&mut self, addr: u64, len: u32, flags: u32, sig: u32) -> SysResult {
        let cur = self.cur().rseq;
        if flags & FLAG_UNREGISTER != 0 {
            if flags & !FLAG_UNREGISTER != 0 {
                return Err(EINVAL);
            }
            let Some(r) = cur.filter(|r| r.addr == addr) else { return Err(EINVAL) };
            if r.len != len {
                return Err(EINVAL);
            }
            if r.sig != sig {
                return Err(EPERM);
            }
            write_ids(self, addr, [0, CPU_ID_UNINITIALIZED])?;
            self.cur_mut().rseq = None;
            return Ok(0);
        }
        if flags != 0 {
            return Err(EINVAL);
        }
        if let Some(r) = cur {
            if r.addr != addr || r.len != len {
                return Err(EINVAL);
            }
            if r.sig != sig {
                return Err(EPERM);
            }
            return Err(EBUSY);
        }
        let misaligned = |a: u64| !addr.is_multiple_of(a);
        if len < ORIG_SIZE
            || (len == ORIG_SIZE && misaligned(ORIG_SIZE as u64))
            || (len != ORIG_SIZE && (misaligned(32) || len < MIN_EXTENDED))
        {
            return Err(EINVAL);
        }
        crate::mm::uaccess::access_ok(addr, len as usize)?;
        self.cur_mut().rseq = Some(Rseq { addr, len, sig, notify: true });
        Ok(0)
    }

    /// Whether the current thread's rseq area needs the work before user
    /// mode.
    pub fn rseq_work_pending(&self) -> bool {
        // Not for a thread on its way out (a fatal signal): its memory may
        // be gone already.
        self.sched.current().is_some_and(|c| {
            self.proc
                .tasks
                .get(&c)
                .is_some_and(|t| t.state == crate::proc::TaskState::Runnable && t.rseq.is_some_and(|r| r.notify))
        })
    }

    /// Thread `prev` leaves the CPU: a critical section it is in must be
    /// checked before it runs again (Linux: rseq_preempt()).
    pub fn rseq_preempt(&mut self, prev: crate::proc::Pid) {
        if let Some(r) = self.proc.tasks.get_mut(&prev).and_then(|t| t.rseq.as_mut()) {
            r.notify = true;
        }
    }

    /// The work before user mode (Linux: __rseq_handle_notify_resume()):
    /// abort a critical section the thread was stopped in, then store the
    /// CPU number. A bad area or descriptor is SIGSEGV.
    pub fn rseq_handle_notify_resume(&mut self, regs: &mut PtRegs) {
        let Some(mut r) = self.cur().rseq else { return };
        r.notify = false;
        self.cur_mut().rseq = Some(r);
        let cpu = self.sched.this_cpu() as u32;
        if self.rseq_ip_fixup(r, regs).and_then(|()| write_ids(self, r.addr, [cpu, cpu])).is_err() {
            let tid = self.cur().tid;
            self.force_sig(tid, SIGSEGV);
        }
    }

    /// A signal is about to be delivered to the current thread (Linux:
    /// rseq_signal_deliver()): a critical section it interrupts is aborted
    /// now, so the handler's frame saves `abort_ip`. Err for a bad area or
    /// descriptor, which the caller makes SIGSEGV.
    pub fn rseq_signal_deliver(&mut self, regs: &mut PtRegs) -> SysResult<()> {
        let Some(r) = self.cur().rseq else { return Ok(()) };
        self.rseq_ip_fixup(r, regs)?;
        let cpu = self.sched.this_cpu() as u32;
        write_ids(self, r.addr, [cpu, cpu])
    }

    /// Linux: rseq_ip_fixup().
    fn rseq_ip_fixup(&mut self, r: Rseq, regs: &mut PtRegs) -> SysResult<()> {
        let ptr: u64 = self.read_val(r.addr + RSEQ_CS)?;
        if ptr == 0 {
            return Ok(());
        }
        crate::mm::uaccess::access_ok(ptr, core::mem::size_of::<RseqCs>())?;
        let cs: RseqCs = self.read_val(ptr)?;
        let end = cs.start_ip.checked_add(cs.post_commit_offset).ok_or(EINVAL)?;
        if cs.version > 0
            || end >= crate::mm::consts::TASK_SIZE
            || cs.abort_ip >= crate::mm::consts::TASK_SIZE
            || cs.abort_ip.wrapping_sub(cs.start_ip) < cs.post_commit_offset
        {
            return Err(EINVAL);
        }
        // The abort handler's signature is checked whether or not the
        // thread is in the section (Linux: rseq_get_rseq_cs()).
        let sig: u32 = self.read_val(cs.abort_ip.checked_sub(4).ok_or(EINVAL)?)?;
        if sig != r.sig {
            return Err(EINVAL);
        }
        if regs.rip < cs.start_ip || regs.rip >= end {
            // Outside the section: the descriptor is spent.
            return self.write_val(r.addr + RSEQ_CS, &0u64);
        }
        self.write_val(r.addr + RSEQ_CS, &0u64)?;
        regs.rip = cs.abort_ip;
        Ok(())
    }
}
