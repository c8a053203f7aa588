//! The scheduler: the run queue, sleeping and waking, and the switch
//! between tasks.

use crate::abi::*;
use crate::kernel::Kernel;
use alloc::vec::Vec;

use crate::proc::{Pid, TaskState, WaitReason};

/// The most CPUs the scheduler keeps state for (the hardware layer's
/// `smp::MAX_CPUS`).
pub const MAX_CPUS: usize = 8;

/// What the scheduler keeps of each CPU while another CPU holds the
/// kernel lock: the holder's own are the room's plain fields
/// (`Scheduler::current` and the rest), so that a trap on the CPU that
/// held the lock last, always the case with one CPU, pays for one compare
/// (see [`Kernel::enter_cpu`]).
#[derive(Clone, Copy, Debug, Default)]
struct CpuState {
    current: Option<Pid>,
    need_resched: bool,
    user_clean: Option<Pid>,
    load_fs: Option<u64>,
    load_tsd: Option<bool>,
}

/// What the hardware layer loads to run a task: the top of its kernel
/// stack (TSS.rsp0, and the stack the switch resumes: the hardware layer
/// keeps each stack's saved pointer), its FS base, and whether `rdtsc` is
/// denied it (CR4.TSD). Its page table is loaded before, by
/// `Kernel::switch_mm`, the one place a user CR3 is loaded.
#[derive(Clone, Copy, Debug)]
pub struct SwitchTo {
    pub kstack_top: u64,
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
    /// The CPU holding the kernel lock, whose state the fields below
    /// (`current`, `need_resched`, `user_clean`, `load_fs`, `load_tsd`)
    /// are; every other CPU's waits in `parked` (Linux: this_rq()).
    cpu: usize,
    parked: [CpuState; MAX_CPUS],
    /// CPUs that run tasks: 1 until the hardware layer says how many.
    online: usize,
    /// Each CPU's scheduler ticks (its local timer's), for its time slice.
    local_ticks: [u64; MAX_CPUS],
    /// CPUs to interrupt with the reschedule IPI once the lock is dropped
    /// (`take_kicks`): idle ones that have work now, ones whose running
    /// task is preempted, and ones running a task that was sent a signal.
    kicks: u64,
    current: Option<super::Pid>,
    /// Released tasks whose kernel stack may still be in use: freed by the
    /// next schedule() that does not run on them (Linux: the final
    /// put_task_struct() in finish_task_switch()).
    dead: alloc::vec::Vec<super::Pid>,
    /// Kernel stacks of freed tasks, for the next fork.
    kstacks: super::kstack::StackCache,
    /// Each CPU's run queue: every runnable task that does not run is on
    /// exactly one, its CPU's (`Task::cpu`, `Task::on_rq`); see
    /// `proc::sched_fair` for which and where.
    pub(super) rqs: [super::sched_rq::RunQueue; MAX_CPUS],
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
                if let Some(key) = why.queue() {
                    self.sched.waitqueues.remove(key, pid);
                }
                self.activate(pid);
                self.trace_wakeup(crate::trace::Event::SchedWakeup, pid);
            }
        }
    }

    /// Take a task off the queue it is on, before something other than a
    /// wake-up or its CPU ends its sleep or its wait to run (a stop, its
    /// death): its wait queue if it sleeps, its run queue if it is
    /// runnable.
    pub(crate) fn unqueue_task(&mut self, pid: Pid) {
        self.dequeue_task(pid);
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
                self.activate(pid);
            }
        }
        self.sched.waitqueues.recycle(sleepers);
    }

    /// Tasks not yet released (Linux: nr_threads), counted without a
    /// walk so that /proc/loadavg, sysinfo and fork's threads-max check
    /// cost the same with thousands of tasks: the released ones waiting
    /// to be freed are exactly those on `dead`.
    pub fn nr_threads(&self) -> u64 {
        (self.proc.tasks.len() - self.sched.dead().len()) as u64
    }

    /// Runnable tasks, the running ones included (Linux: nr_running()):
    /// every CPU's queue, and the tasks the CPUs run that may go on.
    pub fn nr_running(&self) -> u64 {
        let runnable = |p: &Pid| self.proc.tasks.get(p).is_some_and(|t| t.state == TaskState::Runnable);
        let running = (0..self.sched.online).filter_map(|c| self.sched.current_on(c)).filter(runnable).count();
        let queued: usize = (0..self.sched.online).map(|c| self.sched.rqs[c].len()).sum();
        (running + queued) as u64
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
    /// tasks, then keep the current task or pick the next one: the first
    /// of this CPU's queue (the smallest virtual runtime), when it has had
    /// less than the current task; with nothing queued here, a task pulled
    /// from the busiest CPU (`pull_for_idle`).
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
        // sched_setaffinity() took this CPU from the running task, or an
        // exec holds it: it goes, even with nothing else to run here
        // (Linux: the migration stop of __set_cpus_allowed_ptr()).
        let me = self.sched.cpu;
        let prev_leaves = prev_runnable
            && self.sched.online > 1
            && prev.is_some_and(|p| {
                let t = &self.proc.tasks[&p];
                t.cpus_allowed & (1 << me) == 0 || t.held_for_exec
            });
        self.sched.need_resched = false;
        let stays = prev.filter(|_| prev_runnable && !prev_leaves);
        let next = self.take_next(stays);
        // Only a real switch counts (and aborts an rseq critical section):
        // prev picked again stays without one (Linux: __schedule() counts
        // when prev != next).
        let switches = next.is_some() || !prev_runnable || prev_leaves;
        if let (Some(p), true) = (prev, switches) {
            self.count_switch(p, prev_runnable);
        }
        if next.is_none() && (stays.is_some() || prev.is_none()) {
            self.update_min_vruntime();
            return Resched::Stay;
        }
        // prev's time up to the switch is its own (and its virtual
        // runtime, before it is queued by it); from here on it is next's,
        // which resumes in the kernel.
        self.account_flush();
        if let (Some(p), true) = (prev, prev_runnable) {
            self.requeue_prev(p, prev_leaves);
        }
        if self.trace.recording_cmdlines() {
            self.trace_switch(prev, next);
        }
        self.time.acct_mut().in_user = false;
        self.sched.current = next;
        self.update_min_vruntime();
        self.time.kstat_mut().ctxt += 1;
        Resched::Switch { prev, next }
    }

    /// The running task `prev`, still runnable, leaves this CPU: back on
    /// its queue, or, when it may not run here any more, on the least
    /// loaded CPU it may use. A task held for an exec waits on its queue,
    /// not picked, until the exec ends.
    fn requeue_prev(&mut self, prev: Pid, leaves: bool) {
        let me = self.sched.cpu;
        let t = &self.proc.tasks[&prev];
        if leaves && t.cpus_allowed & (1 << me) == 0 {
            self.migrate_queued(prev, me);
        } else {
            let (vruntime, allowed) = (t.vruntime, t.cpus_allowed);
            self.queue_on(prev, me, vruntime);
            // It waits here: an idle CPU may take it.
            if self.sched.online > 1 {
                self.preempt_or_kick(me, vruntime, allowed);
            }
        }
    }

    /// The task this CPU runs next instead of `stays` (the running task if
    /// it may go on), taken off its queue: the first of this CPU's queue
    /// not held for an exec, if it has had less CPU time than `stays`
    /// (Linux: pick_next_task_fair()); None when `stays` goes on, or when
    /// nothing is left to run. With nothing queued here and nothing
    /// running, a task from another CPU's queue.
    /// The task taken records this CPU as its own (`Task::cpu`).
    fn take_next(&mut self, stays: Option<Pid>) -> Option<Pid> {
        let me = self.sched.cpu;
        let rq = &self.sched.rqs[me];
        let first = (0..rq.len()).find(|&i| {
            let p = rq.get(i).expect("in range").1;
            let t = &self.proc.tasks[&p];
            debug_assert!(t.state == TaskState::Runnable && t.on_rq, "task {p} on the run queue cannot run");
            !t.held_for_exec
        });
        let Some(i) = first else {
            return if stays.is_some() { None } else { self.pull_for_idle(me) };
        };
        let vruntime = rq.get(i).expect("in range").0;
        if stays.is_some_and(|p| self.proc.tasks[&p].vruntime < vruntime) {
            return None;
        }
        let (_, next) = self.sched.rqs[me].take(i).expect("in range");
        self.proc.tasks.get_mut(&next).expect("queued task").on_rq = false;
        Some(next)
    }

    /// Free released tasks, except those whose kernel stack is in use: by
    /// a CPU running it, or one still switching away from it (Linux: the
    /// final put_task_struct() in finish_task_switch(), on the CPU that
    /// switched away, once its `on_cpu` is clear).
    pub(crate) fn free_dead_tasks(&mut self) {
        if self.sched.dead.is_empty() {
            return;
        }
        let mut dead = core::mem::take(&mut self.sched.dead);
        dead.retain(|&p| {
            if self.stack_busy(p) {
                return true;
            }
            self.free_task(p);
            false
        });
        self.sched.dead.append(&mut dead);
    }

    /// Whether task `pid`'s kernel stack may be in use: it is some CPU's
    /// current task, or a CPU has not finished switching away from it.
    pub(crate) fn stack_busy(&self, pid: Pid) -> bool {
        self.sched.running_cpu(pid).is_some()
            || self.proc.tasks.get(&pid).is_some_and(|t| self.m.kstacks.in_use(t.kstack.top()))
    }

    /// Free a released task now, or once its stack is no longer in use
    /// (Linux: release_task()'s put_task_struct(), the last reference
    /// then dropped by finish_task_switch()).
    pub(crate) fn free_or_defer(&mut self, pid: Pid) {
        if self.stack_busy(pid) {
            self.sched.dead.push(pid);
        } else {
            self.free_task(pid);
        }
    }

    /// CPU `cpu` (the hardware layer's number) takes the kernel lock: make
    /// its state the scheduler's and the accounting's live one. One compare
    /// when it is the CPU that held the lock last (always, with one CPU).
    #[inline]
    pub fn enter_cpu(&mut self, cpu: usize) {
        if cpu != self.sched.cpu {
            self.change_cpu(cpu);
        }
    }

    #[cold]
    fn change_cpu(&mut self, cpu: usize) {
        let old = self.sched.cpu;
        self.sched.change_cpu(cpu);
        self.time.change_cpu(old, cpu);
    }

    /// The running CPU's local timer (the APIC timer of a CPU other than
    /// the boot CPU, whose tick is `timer_tick`): charge the running
    /// task's time, check its CPU-time timers, and end its time slice
    /// every `SLICE_TICKS` (Linux: update_process_times() from the local
    /// tick of each CPU).
    pub fn local_tick(&mut self) {
        if self.sched.current.is_some() {
            self.account_flush();
            self.run_cpu_timers();
        }
        let c = self.sched.cpu;
        self.sched.local_ticks[c] += 1;
        if self.sched.local_ticks[c].is_multiple_of(crate::time::SLICE_TICKS) {
            self.slice_end();
        }
    }

    /// The running task's time slice is over (every CPU's tick, every
    /// `SLICE_TICKS`): the CPU reschedules, which lets the next task in
    /// if it has had less CPU time, and the queues are balanced (Linux:
    /// scheduler_tick() → task_tick_fair(), trigger_load_balance()).
    pub(crate) fn slice_end(&mut self) {
        self.sched.need_resched = true;
        self.update_min_vruntime();
        self.balance_tick();
    }

    /// Everything the hardware layer needs to run task `pid`: its kernel
    /// stack, page table root and TLS base.
    pub fn switch_info(&self, pid: Pid) -> SwitchTo {
        let t = &self.proc.tasks[&pid];
        SwitchTo {
            kstack_top: t.kstack.top(),
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
            cpu: 0,
            parked: [CpuState::default(); MAX_CPUS],
            online: 1,
            local_ticks: [0; MAX_CPUS],
            kicks: 0,
            current: None,
            dead: Vec::new(),
            kstacks: super::kstack::StackCache::new(m),
            rqs: Default::default(),
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
    /// The CPU holding the kernel lock (Linux: smp_processor_id()).
    pub fn this_cpu(&self) -> usize {
        self.cpu
    }

    /// How many CPUs run tasks.
    pub fn online(&self) -> usize {
        self.online
    }

    /// Set at boot, once the hardware layer has started the CPUs.
    pub fn set_online(&mut self, n: usize) {
        self.online = n.clamp(1, MAX_CPUS);
    }

    /// Every CPU that runs tasks, as an affinity mask.
    pub fn online_mask(&self) -> u64 {
        (1u64 << self.online) - 1
    }

    /// The task CPU `cpu` runs (None: its idle context).
    pub fn current_on(&self, cpu: usize) -> Option<super::Pid> {
        if cpu == self.cpu {
            self.current
        } else {
            self.parked.get(cpu).and_then(|s| s.current)
        }
    }

    /// The CPU running task `pid`, if one does (Linux: task_cpu() with
    /// task_on_cpu()).
    pub fn running_cpu(&self, pid: super::Pid) -> Option<usize> {
        if self.current == Some(pid) {
            return Some(self.cpu);
        }
        if self.online == 1 {
            return None;
        }
        (0..self.online).find(|&c| c != self.cpu && self.parked[c].current == Some(pid))
    }

    /// Make the state of `cpu`, which now holds the lock, the live one.
    fn change_cpu(&mut self, cpu: usize) {
        let old = self.cpu;
        self.parked[old] = CpuState {
            current: self.current,
            need_resched: self.need_resched,
            user_clean: self.user_clean,
            load_fs: self.load_fs,
            load_tsd: self.load_tsd,
        };
        let s = self.parked[cpu];
        self.current = s.current;
        self.need_resched = s.need_resched;
        self.user_clean = s.user_clean;
        self.load_fs = s.load_fs;
        self.load_tsd = s.load_tsd;
        self.cpu = cpu;
    }

    /// Something happened to task `pid` that it must see before it goes
    /// on in user mode (a signal queued): it is no longer clean on any
    /// CPU, and a CPU running it elsewhere is interrupted so that it
    /// enters the kernel and finds it (Linux: signal_wake_up() →
    /// kick_process()).
    pub fn kick_task(&mut self, pid: super::Pid) {
        self.user_clean = None;
        if self.online == 1 {
            return;
        }
        for c in 0..self.online {
            if c != self.cpu && (self.parked[c].current == Some(pid) || self.parked[c].user_clean == Some(pid)) {
                self.parked[c].user_clean = None;
                if self.parked[c].current == Some(pid) {
                    self.kicks |= 1 << c;
                }
            }
        }
    }

    /// Make CPU `cpu` reschedule soon: its need_resched, and the IPI.
    pub fn resched_cpu(&mut self, cpu: usize) {
        if cpu == self.cpu {
            self.need_resched = true;
        } else if cpu < self.online {
            self.parked[cpu].need_resched = true;
            self.kicks |= 1 << cpu;
        }
    }

    /// The CPUs to send the reschedule IPI to, once: the lock's holder
    /// sends them as it unlocks.
    #[inline]
    pub fn take_kicks(&mut self) -> u64 {
        if self.kicks == 0 {
            return 0;
        }
        core::mem::take(&mut self.kicks)
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
