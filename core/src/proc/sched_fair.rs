//! Which CPU's queue a runnable task joins, and where in it: placement on
//! wake-up and fork, wake-up preemption, and the balancing of the queues
//! (Linux: kernel/sched/fair.c, much simplified).
//!
//! Each task has a virtual runtime, the CPU time it has had (Linux's
//! vruntime, unweighted: nice does not scale it here). A CPU runs the task
//! of its queue with the smallest one; a task that has run a slice goes
//! back behind those that have had less. Each queue's `min_vruntime`
//! follows its smallest, and tasks arriving are placed relative to it:
//!
//! - a woken task gets at most half a slice of head start
//!   (`SLEEPER_CREDIT_NS`) on the queue's minimum, whatever it slept, and
//!   keeps its own virtual runtime if that is larger: a task that sleeps
//!   often runs soon after each wake-up, but cannot bank its sleep;
//! - a new task starts a slice behind the minimum (or at its parent's
//!   virtual runtime if that is larger), so that forking cannot buy
//!   CPU time (Linux: place_entity() with START_DEBIT);
//! - a task moved between queues keeps its distance to the minimum.
//!
//! A woken task whose virtual runtime is below the running task's by more
//! than `WAKEUP_GRAN_NS` preempts it (Linux: check_preempt_wakeup()): a
//! shell woken by a key does not wait behind a queue of CPU hogs.

use super::sched_rq::RunQueue;
use super::{Pid, TaskState};
use crate::kernel::Kernel;
use crate::time::{SLICE_TICKS, TICK_NS};

/// A time slice: how long a CPU-bound task runs before the tick lets the
/// next one in.
const SLICE_NS: u64 = SLICE_TICKS * TICK_NS;

/// The most head start a woken task gets on its queue's minimum virtual
/// runtime (Linux: half of sched_latency with GENTLE_FAIR_SLEEPERS).
const SLEEPER_CREDIT_NS: u64 = SLICE_NS / 2;

/// How far below the running task's virtual runtime a woken one must be
/// to preempt it: less, and it waits for the tick (Linux:
/// sysctl_sched_wakeup_granularity, 1 ms).
const WAKEUP_GRAN_NS: u64 = 1_000_000;

impl Kernel {
    /// How many tasks CPU `cpu` has, running or waiting (Linux:
    /// rq->nr_running).
    pub(crate) fn cpu_load(&self, cpu: usize) -> usize {
        self.sched.rq(cpu).len() + usize::from(self.sched.current_on(cpu).is_some())
    }

    /// Whether CPU `cpu` has nothing to run (Linux: available_idle_cpu()).
    fn cpu_idle(&self, cpu: usize) -> bool {
        self.sched.current_on(cpu).is_none() && self.sched.rq(cpu).is_empty()
    }

    fn vruntime(&self, pid: Pid) -> u64 {
        self.proc.tasks.get(&pid).map_or(0, |t| t.vruntime)
    }

    /// `vruntime` measured on CPU `from`'s queue, moved to CPU `to`'s: the
    /// same distance to its minimum.
    fn rebase(&self, vruntime: u64, from: usize, to: usize) -> u64 {
        if from == to {
            return vruntime;
        }
        (vruntime + self.sched.rq(to).min_vruntime()).saturating_sub(self.sched.rq(from).min_vruntime())
    }

    /// Put runnable task `pid` on CPU `cpu`'s queue at `vruntime` (Linux:
    /// enqueue_task()); `cpu` becomes its CPU.
    pub(super) fn queue_on(&mut self, pid: Pid, cpu: usize, vruntime: u64) {
        let Some(t) = self.proc.tasks.get_mut(&pid) else { return };
        debug_assert!(!t.on_rq && t.state == TaskState::Runnable, "task {pid} queued twice or not runnable");
        t.cpu = cpu as u32;
        t.vruntime = vruntime;
        t.on_rq = true;
        self.sched.rq_mut(cpu).insert(vruntime, pid);
    }

    /// Take `pid` off the run queue it waits on, if any (Linux:
    /// dequeue_task()): it stops, dies or moves.
    pub(crate) fn dequeue_task(&mut self, pid: Pid) -> bool {
        let Some(t) = self.proc.tasks.get_mut(&pid).filter(|t| t.on_rq) else { return false };
        t.on_rq = false;
        let (cpu, vruntime) = (t.cpu as usize, t.vruntime);
        let found = self.sched.rq_mut(cpu).remove(vruntime, pid);
        debug_assert!(found, "task {pid} marked queued is not on CPU {cpu}'s queue");
        found
    }

    /// Put a task picked and then not run back where it was (the host
    /// test kit undoing a switch).
    #[cfg(test)]
    pub(crate) fn requeue(&mut self, pid: Pid) {
        let (cpu, vruntime) = (self.proc.tasks[&pid].cpu as usize, self.proc.tasks[&pid].vruntime);
        self.queue_on(pid, cpu, vruntime);
    }

    /// A task that has just become runnable again (woken, continued,
    /// resumed by its tracer) joins a run queue, with a sleeper's head
    /// start, and preempts or wakes that CPU if it should (Linux:
    /// try_to_wake_up(): select_task_rq(), ttwu_do_activate(),
    /// check_preempt_curr()). A task still running on its CPU (stopped and
    /// continued before that CPU got to switch away) stays there.
    pub(crate) fn activate(&mut self, pid: Pid) {
        let Some(t) = self.proc.tasks.get(&pid) else { return };
        if t.on_rq || t.state != TaskState::Runnable || self.sched.running_cpu(pid).is_some() {
            return;
        }
        let (prev, allowed, own) = (t.cpu as usize, t.cpus_allowed, t.vruntime);
        let cpu = self.select_wake_cpu(prev, allowed);
        let floor = self.sched.rq(cpu).min_vruntime().saturating_sub(SLEEPER_CREDIT_NS);
        let vruntime = self.rebase(own, prev.min(self.sched.online() - 1), cpu).max(floor);
        self.queue_on(pid, cpu, vruntime);
        self.preempt_or_kick(cpu, vruntime, allowed);
    }

    /// Where a woken task goes (Linux: select_task_rq_fair(), reduced to
    /// its idle-CPU search): its previous CPU if that is idle, else an idle
    /// CPU it may run on, looking from the waker's on, else its previous
    /// CPU. Not the waker's when all are busy: with the one kernel lock the
    /// waker's CPU is always busy (running the waker), and piling wakees
    /// there would leave the balancing to undo it; the previous CPU is
    /// where the balancing last put the task.
    fn select_wake_cpu(&self, prev: usize, allowed: u64) -> usize {
        let online = self.sched.online();
        if online == 1 {
            return 0;
        }
        let allowed = allowed & self.sched.online_mask();
        let prev = if prev < online && allowed & (1 << prev) != 0 { prev } else { allowed.trailing_zeros() as usize };
        if self.cpu_idle(prev) {
            return prev;
        }
        let me = self.sched.this_cpu();
        (0..online).map(|i| (me + i) % online).find(|&c| allowed & (1 << c) != 0 && self.cpu_idle(c)).unwrap_or(prev)
    }

    /// The CPU with the fewest tasks among `allowed`, this one first on a
    /// tie, then the lowest (Linux: find_idlest_cpu() of
    /// select_task_rq_fair() for a fork or exec).
    fn select_idlest_cpu(&self, allowed: u64) -> usize {
        let online = self.sched.online();
        if online == 1 {
            return 0;
        }
        let allowed = allowed & self.sched.online_mask();
        let me = self.sched.this_cpu();
        let mut best: Option<(usize, usize)> = None;
        for c in core::iter::once(me).chain(0..online) {
            if allowed & (1 << c) == 0 {
                continue;
            }
            let load = self.cpu_load(c);
            if best.is_none_or(|(_, l)| load < l) {
                best = Some((c, load));
            }
        }
        best.map_or(me, |(c, _)| c)
    }

    /// Linux: wake_up_new_task(): a new task joins the queue of the CPU
    /// with the fewest tasks among those it may use (the parent's CPU
    /// unless another has fewer), a slice behind that queue's minimum
    /// virtual runtime, or at its parent's if that is larger. The parent
    /// keeps its CPU (Linux's default, sched_child_runs_first = 0).
    pub(crate) fn wake_up_new_task(&mut self, pid: Pid) {
        let me = self.sched.this_cpu();
        let parent = self.sched.current().map_or(0, |p| self.vruntime(p));
        let Some(t) = self.proc.tasks.get_mut(&pid) else { return };
        t.state = TaskState::Runnable;
        let allowed = t.cpus_allowed;
        let cpu = self.select_idlest_cpu(allowed);
        let start = self.sched.rq(cpu).min_vruntime() + SLICE_NS;
        let vruntime = self.rebase(parent, me, cpu).max(start);
        self.queue_on(pid, cpu, vruntime);
        self.preempt_or_kick(cpu, vruntime, allowed);
    }

    /// A task was queued on CPU `cpu` at `vruntime`, allowed on the CPUs
    /// of `allowed`: make the CPU reschedule if it is idle (the IPI, when
    /// it is another) or if the task should preempt the one it runs;
    /// otherwise, if another CPU the task may use is idle, kick that one,
    /// which pulls a task when it schedules.
    pub(super) fn preempt_or_kick(&mut self, cpu: usize, vruntime: u64, allowed: u64) {
        let me = self.sched.this_cpu();
        let Some(cur) = self.sched.current_on(cpu) else {
            if cpu != me {
                self.sched.resched_cpu(cpu);
            }
            return;
        };
        if vruntime + WAKEUP_GRAN_NS < self.vruntime(cur) {
            self.sched.resched_cpu(cpu);
        } else if self.sched.online() > 1 {
            let idle = (0..self.sched.online()).find(|&c| c != cpu && allowed & (1 << c) != 0 && self.cpu_idle(c));
            if let Some(c) = idle.filter(|&c| c != me) {
                self.sched.resched_cpu(c);
            }
        }
    }

    /// The first task on CPU `from`'s queue that may move to CPU `to`
    /// (allowed there, not held for an exec), taken off the queue, with
    /// its virtual runtime rebased to `to`'s queue (Linux: detach_tasks()
    /// of one task, can_migrate_task()).
    fn steal(&mut self, from: usize, to: usize) -> Option<(Pid, u64)> {
        let rq = self.sched.rq(from);
        let i = (0..rq.len()).find(|&i| {
            let (_, p) = rq.get(i).expect("in range");
            self.proc.tasks.get(&p).is_some_and(|t| t.cpus_allowed & (1 << to) != 0 && !t.held_for_exec)
        })?;
        let (vruntime, pid) = self.sched.rq_mut(from).take(i)?;
        self.proc.tasks.get_mut(&pid).expect("queued task").on_rq = false;
        Some((pid, self.rebase(vruntime, from, to)))
    }

    /// CPU `me` found nothing to run on its own queue: take a waiting
    /// task from the CPU with the longest queue that has one it may run
    /// (Linux: newidle_balance()). The task is not queued: it runs next.
    pub(crate) fn pull_for_idle(&mut self, me: usize) -> Option<Pid> {
        let online = self.sched.online();
        if online == 1 {
            return None;
        }
        let mut order: [usize; super::sched::MAX_CPUS] = core::array::from_fn(|c| c);
        order[..online].sort_by_key(|&c| core::cmp::Reverse(self.sched.rq(c).len()));
        for &from in order[..online].iter().filter(|&&c| c != me) {
            if self.sched.rq(from).is_empty() {
                break;
            }
            if let Some((pid, vruntime)) = self.steal(from, me) {
                let t = self.proc.tasks.get_mut(&pid).expect("queued task");
                t.vruntime = vruntime;
                t.cpu = me as u32;
                return Some(pid);
            }
        }
        None
    }

    /// The periodic balance, at the end of a time slice (Linux:
    /// load_balance() from the scheduler tick, one task at a time): when
    /// the CPU with the most tasks has two or more than the one with the
    /// fewest, one waiting task that may move goes from the first to the
    /// second.
    pub(crate) fn balance_tick(&mut self) {
        let online = self.sched.online();
        if online == 1 {
            return;
        }
        let load = |c: usize| self.cpu_load(c);
        let busiest = (0..online).max_by_key(|&c| load(c)).expect("a CPU");
        let idlest = (0..online).min_by_key(|&c| load(c)).expect("a CPU");
        if load(busiest) < load(idlest) + 2 {
            return;
        }
        if let Some((pid, vruntime)) = self.steal(busiest, idlest) {
            self.queue_on(pid, idlest, vruntime);
            let allowed = self.proc.tasks[&pid].cpus_allowed;
            self.preempt_or_kick(idlest, vruntime, allowed);
        }
    }

    /// Bring this CPU's minimum virtual runtime up to date (from the
    /// scheduler tick and each pick).
    pub(crate) fn update_min_vruntime(&mut self) {
        let running = self.sched.current().map(|p| self.vruntime(p));
        let me = self.sched.this_cpu();
        self.sched.rq_mut(me).update_min(running);
    }

    /// Task `pid`'s affinity changed: if it waits on a CPU it may no
    /// longer use, it moves to the least loaded one it may; if it runs on
    /// one, that CPU reschedules, and `pick_next` moves it (Linux:
    /// __set_cpus_allowed_ptr() → move_queued_task(), or the migration
    /// stop for a running task).
    pub(crate) fn affinity_changed(&mut self, pid: Pid) {
        let Some(t) = self.proc.tasks.get(&pid) else { return };
        let (cpu, allowed) = (t.cpu as usize, t.cpus_allowed);
        if allowed & (1 << cpu) != 0 {
            return;
        }
        if let Some(c) = self.sched.running_cpu(pid) {
            self.sched.resched_cpu(c);
        } else if self.dequeue_task(pid) {
            self.migrate_queued(pid, cpu);
        }
    }

    /// Queue `pid`, taken off CPU `from` (its queue, or its CPU), on the
    /// least loaded CPU it may use, keeping its distance to the minimum.
    pub(crate) fn migrate_queued(&mut self, pid: Pid, from: usize) {
        let allowed = self.proc.tasks[&pid].cpus_allowed;
        let to = self.select_idlest_cpu(allowed);
        let vruntime = self.rebase(self.vruntime(pid), from, to);
        self.queue_on(pid, to, vruntime);
        self.preempt_or_kick(to, vruntime, allowed);
    }

    /// sched_yield(): the running task goes behind every task waiting
    /// for its CPU, its virtual runtime raised to theirs, and the CPU
    /// reschedules (Linux's CFS yield skips the task once instead; the
    /// effect asked for is the same: the others run first).
    pub(crate) fn yield_current(&mut self) {
        let me = self.sched.this_cpu();
        if let (Some(cur), Some(last)) = (self.sched.current(), self.sched.rq(me).max_vruntime()) {
            if let Some(t) = self.proc.tasks.get_mut(&cur) {
                t.vruntime = t.vruntime.max(last);
            }
        }
        self.sched.set_need_resched(true);
    }
}

/// The queues, for the scheduler's own modules.
impl super::sched::Scheduler {
    pub fn rq(&self, cpu: usize) -> &RunQueue {
        &self.rqs[cpu]
    }

    pub(crate) fn rq_mut(&mut self, cpu: usize) -> &mut RunQueue {
        &mut self.rqs[cpu]
    }
}
