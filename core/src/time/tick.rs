//! The tick and the deadlines: what a timer interrupt does.

use crate::kernel::Kernel;
use crate::proc::{Pid, TaskState};
use crate::time::hrtimer::HrTimer;

impl Kernel {
    /// Queue task `tid`'s timeout at `deadline`, replacing the one it had
    /// (Linux: hrtimer_sleeper_start_expires()).
    pub(crate) fn arm_sleeper(&mut self, tid: Pid, deadline: u64) {
        let t = self.proc.tasks_mut().get_mut(&tid).expect("sleeping task");
        if t.hrtimer == Some(deadline) {
            return;
        }
        let old = t.hrtimer.replace(deadline);
        if let Some(old) = old {
            self.time.hrtimers.remove(old, HrTimer::Sleeper(tid));
        }
        self.hrtimer_start(deadline, HrTimer::Sleeper(tid));
    }

    /// Queue a deadline, reprogramming the timer interrupt if it is now
    /// the first (Linux: hrtimer_start_range_ns() → hrtimer_reprogram()).
    pub fn hrtimer_start(&mut self, at: u64, t: HrTimer) {
        self.time.hrtimers.insert(at, t);
        if at < self.time.programmed {
            self.time.programmed = at;
            self.m.clock.set_next_event(at);
        }
    }

    /// Ask for the timer interrupt at the next deadline or tick (Linux:
    /// hrtimer_interrupt()'s final tick_program_event()).
    fn program_next_event(&mut self) {
        let at = crate::time::hrtimer::next_event(&self.time.hrtimers, self.time.next_tick);
        if at != self.time.programmed {
            self.time.programmed = at;
            self.m.clock.set_next_event(at);
        }
    }

    /// Run every deadline that has passed (Linux: __hrtimer_run_queues()).
    fn run_hrtimers(&mut self, now: u64) {
        while let Some((at, t)) = self.time.hrtimers.pop_expired(now) {
            match t {
                HrTimer::Sleeper(tid) => {
                    let Some(task) = self.proc.tasks_mut().get_mut(&tid) else { continue };
                    if task.hrtimer == Some(at) {
                        task.hrtimer = None;
                    }
                    // Still asleep for a deadline that has come (Linux:
                    // hrtimer_wakeup()); else a wake-up came first.
                    if let TaskState::Blocked(why) = task.state {
                        if why.deadline().is_some_and(|d| d <= now) {
                            self.wake(tid);
                        }
                    }
                }
                HrTimer::Real(signal) => self.real_timer_expired(signal, at),
                HrTimer::Posix(signal, id) => self.posix_timer_expired(signal, id, at),
                HrTimer::Timerfd(n) => self.timerfd_expired(n, at),
            }
        }
    }

    /// The timer interrupt (Linux: hrtimer_interrupt()): run the deadlines
    /// that have come, then, when the scheduler tick is due, check the
    /// running process's CPU-time timers and end its time slice every
    /// `SLICE_TICKS` ticks (Linux: tick_sched_timer() →
    /// update_process_times() → scheduler_tick(), run_posix_cpu_timers()),
    /// and program the interrupt for whatever comes next. An interrupt
    /// with nothing due (an early or stale one) only reprograms.
    pub fn timer_tick(&mut self) {
        use crate::time::{hrtimer::forward_tick, SLICE_TICKS, TICK_NS};
        let now = self.now_ns();
        // The event that raised this interrupt is spent.
        self.time.programmed = u64::MAX;
        // Records logged where tasks could not be woken (Linux: the
        // deferred wake_up_klogd_work).
        self.wake_log_readers();
        self.wake_trace_readers();
        self.run_hrtimers(now);
        self.hung_task_tick(now);
        if self.time.loadavg.due(now) {
            let active = self.nr_running() + self.sched.nr_uninterruptible();
            self.time.loadavg.update(now, active);
        }
        if now >= self.time.next_tick {
            let (next, n) = forward_tick(self.time.next_tick, now, TICK_NS);
            self.time.next_tick = next;
            let before = self.time.ticks;
            self.time.ticks += n;
            if self.sched.current().is_some() {
                self.account_flush();
                self.run_cpu_timers();
            }
            if self.time.ticks / SLICE_TICKS != before / SLICE_TICKS {
                self.slice_end();
            }
        }
        self.program_next_event();
    }
}
