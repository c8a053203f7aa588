//! Firing trace events from the kernel (Linux: the `trace_*()` calls the
//! TRACE_EVENT() macros define). `crate::trace` keeps the records; this
//! adds what it does not know: the current task, the clock, tasks' comms
//! and priorities.
//!
//! A firing site is written
//!
//! ```ignore
//! trace!(k, SchedProcessFork, Payload::Fork { .. });
//! ```
//!
//! which tests the event's bit and builds the payload only when it is
//! set: a disabled event costs one load and one predictable branch.

use crate::abi::SysResult;
use crate::kernel::Kernel;
use crate::proc::Pid;
use crate::trace::event::{comm, Comm};
use crate::trace::{Event, Payload};

/// Record `$payload` (an expression evaluated only when the event is
/// enabled) for event `Event::$ev`, attributed to the current task.
#[macro_export]
macro_rules! trace {
    ($k:expr, $ev:ident, $payload:expr) => {
        if $k.trace.enabled($crate::trace::Event::$ev) {
            let p = $payload;
            $k.trace_event($crate::trace::Event::$ev, None, p);
        }
    };
    ($k:expr, $ev:ident, also $also:expr, $payload:expr) => {
        if $k.trace.enabled($crate::trace::Event::$ev) {
            let (a, p) = ($also, $payload);
            $k.trace_event($crate::trace::Event::$ev, Some(a), p);
        }
    };
}

/// Run `f`, one step of fork or exec; while `ev` (`tine:copy_process_step`,
/// `tine:exec_step`) is enabled, record the step's name, its outcome (0 or
/// -errno) and how long it took.
pub fn step<T>(
    k: &mut Kernel,
    ev: Event,
    name: &'static str,
    f: impl FnOnce(&mut Kernel) -> SysResult<T>,
) -> SysResult<T> {
    if !k.trace.enabled(ev) {
        return f(k);
    }
    let t0 = k.now_ns();
    let r = f(k);
    let ns = k.now_ns().saturating_sub(t0);
    let ret = r.as_ref().map_or_else(|e| -e.0, |_| 0);
    k.trace_event(ev, None, Payload::Step { step: name, ret, ns });
    r
}

/// Linux's priority of a normal task: 120 + nice (`p->prio`).
const DEFAULT_PRIO: i32 = 120;

impl Kernel {
    /// Record `payload` for event `ev`, attributed to the current task
    /// (the idle context: PID 0). `also`: another task the event is
    /// about, which `set_event_pid` lets through too.
    #[cold]
    #[inline(never)]
    pub fn trace_event(&mut self, ev: Event, also: Option<Pid>, payload: Payload) {
        let ns = self.m.clock.monotonic_ns();
        let (pid, name) = match self.sched.current().and_then(|c| self.proc.tasks.get(&c)) {
            Some(t) => (t.tid, &t.comm[..]),
            None => (0, &b"swapper/0"[..]),
        };
        self.trace.record(ns, 0, pid, name, Some(ev), also, payload);
    }

    /// A trace_marker write (Linux: the TRACE_PRINT record of
    /// tracing_mark_write()).
    pub fn trace_print(&mut self, text: alloc::vec::Vec<u8>) {
        let ns = self.m.clock.monotonic_ns();
        let (pid, name) = match self.sched.current().and_then(|c| self.proc.tasks.get(&c)) {
            Some(t) => (t.tid, &t.comm[..]),
            None => (0, &b""[..]),
        };
        self.trace.record(ns, 0, pid, name, None, None, Payload::Print { text });
    }

    /// Wake trace_pipe readers and pollers if something was recorded:
    /// before each trap's return to user mode reschedules, before the idle
    /// loop waits, and at the timer tick (events fire where tasks cannot
    /// be woken, so the wake-up is deferred to those points). The trace's
    /// drain (`tine.trace_drain=1`) runs there too, once a page filled.
    pub fn wake_trace_readers(&mut self) {
        if core::mem::take(&mut self.trace.wake_pending) {
            if self.trace.drain_pending {
                self.trace.drain();
            }
            self.wake_queue(crate::proc::waitqueue::WaitKey::TracePipe);
            self.wake_pollers();
        }
    }

    /// `tine:mm_rss` for the address space of process `pid` (not a
    /// zombie): its RSS counters and what of it another address space
    /// maps too, counted by a walk of its page table, made only while the
    /// event is enabled.
    pub fn trace_mm_rss(&mut self, pid: Pid) {
        if !self.trace.enabled(Event::MmRss) {
            return;
        }
        let Some(t) = self.proc.tasks.get(&pid) else { return };
        let live = !matches!(t.state, crate::proc::TaskState::Zombie | crate::proc::TaskState::Dead);
        let (mm, tgid) = (t.mm, t.tgid);
        if !live || self.mem.mms().try_get(mm).is_none() {
            return;
        }
        let (rss, sh) = self.with_mm_of(mm, |a, ctx| (a.resident(), a.sharing(ctx.frames, ctx.phys)));
        let p = Payload::MmRss {
            pid: tgid as i32,
            anon: rss.anon as u64,
            file: rss.file as u64,
            shmem: rss.shmem as u64,
            shared: sh.shared as u64,
            zero: sh.zero as u64,
            pt_shared: sh.pt_shared as u64,
        };
        self.trace_event(Event::MmRss, None, p);
    }

    /// `tine:mm_rss` for `pid` and its parent, the address space it most
    /// likely shares pages with: a copy-on-write fault in one changes what
    /// the other shares too.
    pub fn trace_mm_rss_and_parent(&mut self, pid: Pid) {
        if !self.trace.enabled(Event::MmRss) {
            return;
        }
        let parent = self.proc.tasks.get(&pid).map(|t| t.parent);
        self.trace_mm_rss(pid);
        if let Some(pp) = parent.filter(|&pp| pp != 0 && pp != pid) {
            self.trace_mm_rss(pp);
        }
    }

    /// The memory manager's count of the faults `tine:mm_rss` samples
    /// after: copy-on-write copies and reuses (not the first touches of
    /// fresh pages: a walk after each of those would make filling a
    /// buffer quadratic).
    pub fn cow_fault_count(&self) -> u64 {
        use crate::mm::vmstat::VmEvent;
        let e = &self.mem.frames().events;
        e.get(VmEvent::CowCopy) + e.get(VmEvent::CowReuse)
    }

    /// After a page fault: `tine:mm_rss` for the faulting process and its
    /// parent if the fault copied or reused a page (`before`:
    /// [`Kernel::cow_fault_count`] before it, taken while the event is on).
    #[inline]
    pub fn trace_rss_after_fault(&mut self, before: Option<u64>) {
        if before.is_some_and(|b| b != self.cow_fault_count()) {
            let me = self.cur().tgid;
            self.trace_mm_rss_and_parent(me);
        }
    }

    /// `tine:setpgid`: process `pid`'s group and session, as the kernel
    /// numbers them (the trace's PIDs).
    pub fn trace_pgid(&self, pid: Pid) -> Payload {
        let (pgid, sid) = self.proc.tasks.get(&pid).map_or((0, 0), |t| {
            let s = self.sig.signals().get(t.signal);
            (s.pgid, s.sid)
        });
        Payload::Pgid { pid: pid as i32, pgid: pgid as i32, sid: sid as i32 }
    }

    /// A task's comm as records keep it (the idle context's: swapper/0).
    pub fn trace_comm(&self, pid: Pid) -> Comm {
        match self.proc.tasks.get(&pid) {
            Some(t) if pid != 0 => comm(&t.comm),
            _ => comm(b"swapper/0"),
        }
    }

    /// A task's priority as Linux reports it (`p->prio`: 120 + nice).
    pub fn trace_prio(&self, pid: Pid) -> i32 {
        DEFAULT_PRIO + self.proc.tasks.get(&pid).map_or(0, |t| t.nice)
    }

    /// sched_process_exit/free: a task's comm, PID and priority.
    pub fn trace_process(&self, pid: Pid) -> Payload {
        Payload::Process { comm: self.trace_comm(pid), pid: pid as i32, prio: self.trace_prio(pid) }
    }

    /// sched_wakeup and sched_wakeup_new for task `pid`.
    #[inline]
    pub fn trace_wakeup(&mut self, ev: Event, pid: Pid) {
        if self.trace.enabled(ev) {
            let p = Payload::Wakeup {
                comm: self.trace_comm(pid),
                pid: pid as i32,
                prio: self.trace_prio(pid),
                target_cpu: 0,
            };
            self.trace_event(ev, Some(pid), p);
        }
    }

    /// sched_switch from `prev` to `next` (`None`: the idle context,
    /// Linux's swapper/0), recorded as `prev`'s last event before the
    /// switch. Linux: __schedule().
    ///
    /// Called at every switch while some event is on.
    #[cold]
    pub fn trace_switch(&mut self, prev: Option<Pid>, next: Option<Pid>) {
        use crate::proc::{TaskState, WaitReason};
        use crate::trace::event::state;
        let prev_state = match prev.and_then(|p| self.proc.tasks.get(&p)).map(|t| t.state) {
            None | Some(TaskState::Runnable) if prev.is_none() => state::RUNNING,
            None => state::DEAD,
            Some(TaskState::Runnable) => state::PREEMPTED,
            Some(TaskState::Blocked(WaitReason::Vfork)) => state::UNINTERRUPTIBLE,
            Some(TaskState::Blocked(_)) => state::INTERRUPTIBLE,
            Some(TaskState::Stopped) => state::STOPPED,
            Some(TaskState::Traced) => state::TRACED,
            Some(TaskState::Zombie) => state::ZOMBIE,
            Some(TaskState::Dead) => state::DEAD,
        };
        let (p, n) = (prev.unwrap_or(0), next.unwrap_or(0));
        // Linux's sched_switch probe saves both comms for the output
        // whenever some event is on (tracing_record_taskinfo_sched_switch()).
        for pid in [p, n] {
            if let Some(t) = self.proc.tasks.get(&pid) {
                self.trace.save_cmdline(pid, &t.comm);
            }
        }
        if !self.trace.enabled(Event::SchedSwitch) {
            return;
        }
        let payload = Payload::Switch {
            prev_comm: self.trace_comm(p),
            prev_pid: p as i32,
            prev_prio: self.trace_prio(p),
            prev_state,
            next_comm: self.trace_comm(n),
            next_pid: n as i32,
            next_prio: self.trace_prio(n),
        };
        self.trace_event(Event::SchedSwitch, Some(n), payload);
    }
}
