//! The scheduler: the run queue, sleeping and waking, and the switch
//! between tasks.

use crate::abi::*;
use crate::kernel::Kernel;
use alloc::collections::BTreeSet;
use alloc::vec::Vec;

use crate::proc::{Pid, TaskState, WaitReason};

/// What the hardware layer loads to run a task: the top of its kernel
/// stack (TSS.rsp0, and the stack the switch resumes: the hardware layer
/// keeps each stack's saved pointer), its page table, its FS base, and
/// whether `rdtsc` is denied it (CR4.TSD).
#[derive(Clone, Copy, Debug)]
pub struct SwitchTo {
    pub kstack_top: u64,
    pub root: u64,
    pub fs_base: u64,
    pub tsc_disabled: bool,
    /// The hardware breakpoints its tracer set: DR0-DR3 (user addresses)
    /// and DR7 (0: none; `proc::ptrace::Tracee::hw_breakpoints`).
    pub debugreg: [u64; 5],
}

/// What the scheduler decided: keep running the current task, or switch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resched {
    Stay,
    /// Switch to `next` (or to the idle context when `None`).
    Switch {
        prev: Option<Pid>,
        next: Option<Pid>,
    },
}

/// The scheduler room: which task runs, which are runnable, who sleeps
/// on what, and what the CPU must load on the way back to user mode
/// (Linux: the run queue, `current`, the wait queues).
pub struct Scheduler {
    current: Option<super::Pid>,
    /// Released tasks whose kernel stack may still be in use: freed by the
    /// next schedule() that does not run on them (Linux: the final
    /// put_task_struct() in finish_task_switch()).
    dead: alloc::vec::Vec<super::Pid>,
    /// Kernel stacks of freed tasks, for the next fork.
    kstacks: super::kstack::StackCache,
    runq: alloc::collections::VecDeque<super::Pid>,
    /// The sleepers of each thing that can be waited for (see
    /// `proc::waitqueue`). Tasks go to sleep only through
    /// [`Kernel::sleep_current`], which queues them.
    waitqueues: super::waitqueue::WaitQueues,
    need_resched: bool,
    /// The task that last returned to user mode with nothing left to do
    /// (no signal to act on, no restart, no reschedule), as long as
    /// nothing has happened since that could give it work: every trap
    /// from user mode takes it (`enter_from_user_mode`), a context switch
    /// and every signal queued clear it. A system call that can leave no
    /// work (`syscall::quick`) made by that task may then return at once
    /// (Linux: a task whose thread-info work flags are all clear).
    user_clean: Option<super::Pid>,
    /// A new FS base (TLS) for the trap loop to load before the return to
    /// user mode (`entry::Cpu::load_fs_base`).
    load_fs: Option<u64>,
    /// A new CR4.TSD setting for the running thread (PR_SET_TSC), loaded
    /// the same way (`entry::Cpu::load_tsc_disabled`).
    load_tsd: Option<bool>,
    /// Tasks asleep in an uninterruptible (killable) wait, the vfork
    /// parents: they count in the load (Linux: nr_uninterruptible).
    nr_uninterruptible: u64,
}

impl Kernel {
    /// Make a task runnable and queue it (Linux: try_to_wake_up()).
    pub fn wake(&mut self, pid: Pid) {
        if let Some(t) = self.proc.tasks.get_mut(&pid) {
            if let TaskState::Blocked(why) = t.state {
                t.state = TaskState::Runnable;
                if why == WaitReason::Vfork {
                    self.sched.nr_uninterruptible = self.sched.nr_uninterruptible.saturating_sub(1);
                }
                self.sched.runq.push_back(pid);
                if let Some(key) = why.queue() {
                    self.sched.waitqueues.remove(key, pid);
                }
                self.trace_wakeup(crate::trace::Event::SchedWakeup, pid);
            }
        }
    }

    /// Take a sleeping task off its wait queue, before something other
    /// than a wake-up ends its sleep (a stop, its death).
    pub(crate) fn unqueue_sleeper(&mut self, pid: Pid) {
        if let Some(TaskState::Blocked(why)) = self.proc.tasks.get(&pid).map(|t| t.state) {
            if why == WaitReason::Vfork {
                self.sched.nr_uninterruptible = self.sched.nr_uninterruptible.saturating_sub(1);
            }
            if let Some(key) = why.queue() {
                self.sched.waitqueues.remove(key, pid);
            }
        }
    }

    /// Put the current task to sleep; the system call returns
    /// `ERESTARTNOINTR` so it runs again when the task is woken.
    pub fn block_current(&mut self, why: WaitReason) -> Errno {
        // A signal already waiting interrupts the sleep before it starts
        // (Linux: signal_pending() in the wait loop). The call returns
        // EINTR, which `Kernel::syscall` turns into the call's restart
        // code; what it kept for running again (a deadline) is its to
        // keep or drop there.
        if self.deliverable(self.cur().tid) != 0 {
            return EINTR;
        }
        self.sleep_current(why);
        ERESTARTNOINTR
    }

    /// Mark the current task asleep for `why`, where wake-ups will find it
    /// (Linux: set_current_state() after joining a wait queue).
    pub fn sleep_current(&mut self, why: WaitReason) {
        let tid = self.sched.current.expect("a running task goes to sleep");
        self.cur_mut().state = TaskState::Blocked(why);
        if why == WaitReason::Vfork {
            self.sched.nr_uninterruptible += 1;
        }
        if let Some(key) = why.queue() {
            self.sched.waitqueues.add(key, tid);
        }
        if let Some(d) = why.deadline() {
            self.arm_sleeper(tid, d);
        }
    }

    /// Wake every sleeper on `key`'s wait queue, in TID order (Linux:
    /// wake_up_all()).
    pub(crate) fn wake_queue(&mut self, key: crate::proc::waitqueue::WaitKey) {
        let sleepers = self.sched.waitqueues.take(key);
        for &pid in &sleepers {
            if let Some(t) = self.proc.tasks.get_mut(&pid) {
                // Every task on the queue sleeps for it: whatever else
                // ended a sleep took the task off first.
                debug_assert!(matches!(t.state, TaskState::Blocked(why) if why.queue() == Some(key)));
                t.state = TaskState::Runnable;
                self.sched.runq.push_back(pid);
            }
        }
        self.sched.waitqueues.recycle(sleepers);
    }

    /// Runnable tasks, the running one included (Linux: nr_running()):
    /// those queued, counted once each, and the current one. The queue
    /// may hold tasks that stopped or died since they were queued, and one
    /// queued twice; it is short next to the task table.
    pub fn nr_running(&self) -> u64 {
        let mut seen = BTreeSet::new();
        let queued = self
            .sched
            .runq
            .iter()
            .filter(|&&p| Some(p) != self.sched.current)
            .filter(|p| self.proc.tasks.get(p).is_some_and(|t| t.state == TaskState::Runnable))
            .filter(|&&p| seen.insert(p))
            .count() as u64;
        let cur =
            self.sched.current.is_some_and(|p| self.proc.tasks.get(&p).is_some_and(|t| t.state == TaskState::Runnable));
        queued + cur as u64
    }

    /// Wake every task sleeping for `why` (Linux: wake_up_all() on a wait queue).
    pub fn wake_all(&mut self, why: WaitReason) {
        if matches!(
            why,
            WaitReason::Pipe(_)
                | WaitReason::ConsoleInput { .. }
                | WaitReason::Eventfd(_)
                | WaitReason::Timerfd(_)
                | WaitReason::Socket(_)
        ) {
            self.wake_pollers();
        }
        if let Some(key) = why.queue() {
            self.wake_queue(key);
        }
    }

    /// `prev` leaves the CPU: a voluntary switch when it sleeps or ends,
    /// an involuntary one when it could have run on (Linux: __schedule()'s
    /// switch_count).
    /// A released task (its process state already let go) counts nothing.
    fn count_switch(&mut self, prev: Pid, preempted: bool) {
        self.rseq_preempt(prev);
        let Some(t) = self.proc.tasks.get_mut(&prev).filter(|t| t.state != TaskState::Dead) else { return };
        let signal = t.signal;
        if preempted {
            t.nivcsw += 1;
            self.sig.signals_mut().get_mut(signal).nivcsw += 1;
        } else {
            t.nvcsw += 1;
            self.sig.signals_mut().get_mut(signal).nvcsw += 1;
        }
    }

    /// Pick what runs next (Linux: schedule(), round robin here). The
    /// trap loop (`entry`) performs the switch the answer names, with
    /// [`Kernel::switch_info`].
    #[inline]
    pub fn schedule(&mut self) -> Resched {
        // Nearly every trap returns to the task that made it: say so with
        // a few tests (the same ones the full pass below would make first),
        // so that a system call pays for no more.
        if !self.sched.need_resched && self.sched.dead.is_empty() && self.proc.reboot.is_none() {
            if let Some(p) = self.sched.current {
                if self.proc.tasks.get(&p).is_some_and(|t| t.state == TaskState::Runnable) {
                    return Resched::Stay;
                }
            }
        }
        self.pick_next()
    }

    /// The scheduler's full pass (Linux: __schedule()): free released
    /// tasks, then keep the current task or pick the next runnable one.
    #[inline(never)]
    fn pick_next(&mut self) -> Resched {
        self.sched.user_clean = None;
        self.free_dead_tasks();
        let prev = self.sched.current;
        // After reboot(2) nothing runs: the idle context stops the machine.
        if self.proc.reboot.is_some() && prev.is_some() {
            self.account_flush();
            self.sched.current = None;
            return Resched::Switch { prev, next: None };
        }
        let prev_runnable = prev.map(|p| self.proc.tasks[&p].state == TaskState::Runnable).unwrap_or(false);
        if prev_runnable && !self.sched.need_resched {
            return Resched::Stay;
        }
        self.sched.need_resched = false;
        let next = loop {
            match self.sched.runq.pop_front() {
                Some(p) if self.proc.tasks.get(&p).map(|t| t.state == TaskState::Runnable) == Some(true) => {
                    break Some(p)
                }
                Some(_) => continue,
                None => break None,
            }
        };
        if let Some(p) = prev {
            self.count_switch(p, prev_runnable);
        }
        match next {
            Some(n) => {
                if let (Some(p), true) = (prev, prev_runnable) {
                    self.sched.runq.push_back(p);
                }
                if self.trace.recording_cmdlines() {
                    self.trace_switch(prev, next);
                }
                // prev's time up to the switch is its own; from here on
                // it is n's, which resumes in the kernel.
                self.account_flush();
                self.time.acct_mut().in_user = false;
                self.sched.current = Some(n);
                self.time.kstat_mut().ctxt += 1;
                Resched::Switch { prev, next: Some(n) }
            }
            None if prev_runnable => Resched::Stay,
            None if prev.is_none() => Resched::Stay,
            None => {
                if self.trace.recording_cmdlines() {
                    self.trace_switch(prev, None);
                }
                self.account_flush();
                self.time.acct_mut().in_user = false;
                self.sched.current = None;
                self.time.kstat_mut().ctxt += 1;
                Resched::Switch { prev, next: None }
            }
        }
    }

    /// Free released tasks, except the one whose stack we are on.
    pub(crate) fn free_dead_tasks(&mut self) {
        if self.sched.dead.is_empty() {
            return;
        }
        let cur = self.sched.current;
        let (keep, free): (Vec<Pid>, Vec<Pid>) = self.sched.dead.iter().partition(|&&p| Some(p) == cur);
        self.sched.dead = keep;
        for p in free {
            self.free_task(p);
        }
    }

    /// Everything the hardware layer needs to run task `pid`: its kernel
    /// stack, page table root and TLS base.
    pub fn switch_info(&self, pid: Pid) -> SwitchTo {
        let t = &self.proc.tasks[&pid];
        SwitchTo {
            kstack_top: t.kstack.top(),
            root: self.mem.mms().get(t.mm).root(),
            fs_base: t.fs_base,
            tsc_disabled: t.tsc_disabled,
            debugreg: t.ptrace.tracee.as_deref().map_or([0; 5], |p| p.hw_breakpoints()),
        }
    }
}

/// What the rest of the kernel reaches of this room: each table (itself a
/// type with private state), and the settings it reads or sets.
impl Scheduler {
    pub fn current(&self) -> Option<super::Pid> {
        self.current
    }

    pub fn set_current(&mut self, v: Option<super::Pid>) {
        self.current = v;
    }

    pub fn dead(&self) -> &alloc::vec::Vec<super::Pid> {
        &self.dead
    }

    pub fn dead_mut(&mut self) -> &mut alloc::vec::Vec<super::Pid> {
        &mut self.dead
    }

    pub fn kstacks(&self) -> &super::kstack::StackCache {
        &self.kstacks
    }

    pub fn kstacks_mut(&mut self) -> &mut super::kstack::StackCache {
        &mut self.kstacks
    }

    pub fn runq(&self) -> &alloc::collections::VecDeque<super::Pid> {
        &self.runq
    }

    pub fn runq_mut(&mut self) -> &mut alloc::collections::VecDeque<super::Pid> {
        &mut self.runq
    }

    pub fn waitqueues(&self) -> &super::waitqueue::WaitQueues {
        &self.waitqueues
    }

    pub fn need_resched(&self) -> bool {
        self.need_resched
    }

    pub fn set_need_resched(&mut self, v: bool) {
        self.need_resched = v;
    }

    pub fn user_clean(&self) -> Option<super::Pid> {
        self.user_clean
    }

    pub fn set_user_clean(&mut self, v: Option<super::Pid>) {
        self.user_clean = v;
    }

    pub fn load_fs(&self) -> Option<u64> {
        self.load_fs
    }

    pub fn set_load_fs(&mut self, v: Option<u64>) {
        self.load_fs = v;
    }

    pub fn load_tsd(&self) -> Option<bool> {
        self.load_tsd
    }

    pub fn set_load_tsd(&mut self, v: Option<bool>) {
        self.load_tsd = v;
    }

    pub fn nr_uninterruptible(&self) -> u64 {
        self.nr_uninterruptible
    }
}

impl Scheduler {
    /// The room at boot: nothing runs yet.
    pub fn new(m: &crate::machine::Machine) -> Self {
        Scheduler {
            current: None,
            dead: Vec::new(),
            kstacks: super::kstack::StackCache::new(m),
            runq: Default::default(),
            waitqueues: Default::default(),
            need_resched: false,
            user_clean: None,
            load_fs: None,
            load_tsd: None,
            nr_uninterruptible: 0,
        }
    }
}

impl Scheduler {
    /// Put a task that has become runnable at the end of the run queue
    /// (Linux: enqueue_task()). The queue may hold a task twice or one that
    /// stopped since: `pick_next` skips what cannot run.
    pub fn enqueue(&mut self, pid: super::Pid) {
        self.runq.push_back(pid);
    }

    /// The FS base to load before the return to user mode, once.
    pub fn take_load_fs(&mut self) -> Option<u64> {
        self.load_fs.take()
    }

    /// The CR4.TSD setting to load before the return to user mode, once.
    pub fn take_load_tsd(&mut self) -> Option<bool> {
        self.load_tsd.take()
    }

    /// The task that returned to user mode clean, which a trap from user
    /// mode takes: whatever it does next may leave work.
    pub fn take_user_clean(&mut self) -> Option<super::Pid> {
        self.user_clean.take()
    }
}
