//! The hung-task detector (Linux: kernel/hung_task.c, the khungtaskd
//! thread): with `tine.hung_task_timeout=SECONDS` on the kernel command
//! line, or that many written to /proc/sys/kernel/hung_task_timeout_secs
//! (the same setting; 0 turns it off), a task in uninterruptible sleep (Tine's D state: a vfork parent
//! waiting for its child) that has not been switched to for that long is
//! reported in the kernel log, with its task-dump lines, so that a
//! machine stuck on one says which.
//!
//! Linux's thread wakes every timeout and looks at each D task's switch
//! count: one that has not moved since the last look, and has not for a
//! whole timeout, is reported, again at each look while it stays stuck,
//! ten reports in all (hung_task_warnings). Tine makes the same look from
//! the timer tick once an interval has passed, and keeps each D task's
//! count and the time it last moved here rather than in the task (Linux:
//! `last_switch_count`, `last_switch_time` in task_struct).

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use crate::kernel::Kernel;
use crate::proc::{Pid, TaskState, WaitReason};

const NS_PER_SEC: u64 = 1_000_000_000;

/// Linux: the default of sysctl_hung_task_warnings.
const WARNINGS: u32 = 10;

/// The detector's settings and what it saw at its last look.
#[derive(Debug)]
pub struct HungTask {
    /// Linux: sysctl_hung_task_timeout_secs; 0 turns the detector off.
    timeout_secs: u64,
    /// When the next look is due (`u64::MAX`: never).
    next_check_ns: u64,
    /// Reports left (Linux: sysctl_hung_task_warnings).
    warnings: u32,
    /// Each D task's switch count at the last look, and when it was last
    /// seen to change.
    seen: BTreeMap<Pid, (u64, u64)>,
}

impl Default for HungTask {
    fn default() -> Self {
        HungTask { timeout_secs: 0, next_check_ns: u64::MAX, warnings: WARNINGS, seen: BTreeMap::new() }
    }
}

impl HungTask {
    /// Whether a look is due at `now` (one compare: the timer tick asks).
    #[inline]
    pub fn due(&self, now: u64) -> bool {
        now >= self.next_check_ns
    }

    /// The timeout in seconds; 0 when the detector is off.
    pub fn timeout_secs(&self) -> u64 {
        self.timeout_secs
    }

    /// Turn the detector on with `secs` (0: off), the first look one
    /// interval after `now`.
    pub fn set_timeout(&mut self, secs: u64, now: u64) {
        self.timeout_secs = secs;
        self.next_check_ns = match secs {
            0 => u64::MAX,
            s => now.saturating_add(s.saturating_mul(NS_PER_SEC)),
        };
    }
}

/// Whether a task in `state` sleeps uninterruptibly (the tasks /proc shows
/// in state D).
fn uninterruptible(state: TaskState) -> bool {
    state == TaskState::Blocked(WaitReason::Vfork)
}

impl Kernel {
    /// `tine.hung_task_timeout=SECONDS` from the kernel command line
    /// (Linux: the hung_task_timeout_secs sysctl, whose default is a
    /// build option; Tine's is off).
    pub fn set_hung_task_timeout(&mut self, cmdline: &str) {
        let Some(v) = cmdline.split_whitespace().find_map(|w| w.strip_prefix("tine.hung_task_timeout=")) else {
            return;
        };
        match v.parse::<u64>() {
            Ok(secs) => {
                let now = self.m.clock.monotonic_ns();
                self.proc.hung.set_timeout(secs, now);
            }
            Err(_) => self.log(format_args!("tine: tine.hung_task_timeout: cannot parse \"{v}\"; ignored")),
        }
    }

    /// What /proc/sys/kernel/hung_task_timeout_secs reads.
    pub fn hung_task_timeout_secs(&self) -> u64 {
        self.proc.hung.timeout_secs()
    }

    /// A write to /proc/sys/kernel/hung_task_timeout_secs: the new
    /// timeout counts from now, as Linux's write wakes khungtaskd to start
    /// a new interval (Linux: proc_dohung_task_timeout_secs()).
    pub fn set_hung_task_timeout_secs(&mut self, secs: u64) {
        let now = self.m.clock.monotonic_ns();
        self.proc.hung.set_timeout(secs, now);
    }

    /// From the timer tick: look for hung tasks if a look is due.
    #[inline]
    pub(crate) fn hung_task_tick(&mut self, now: u64) {
        if self.proc.hung.due(now) {
            self.check_hung_uninterruptible_tasks(now);
        }
    }

    /// Linux: check_hung_uninterruptible_tasks() and check_hung_task().
    fn check_hung_uninterruptible_tasks(&mut self, now: u64) {
        let hung = &mut self.proc.hung;
        let timeout_ns = hung.timeout_secs * NS_PER_SEC;
        hung.next_check_ns = now.saturating_add(timeout_ns);
        let before = core::mem::take(&mut hung.seen);
        let mut seen = BTreeMap::new();
        let mut stuck: Vec<(Pid, u64)> = Vec::new();
        for (tid, t) in self.proc.tasks.iter() {
            if !uninterruptible(t.state) {
                continue;
            }
            let count = t.nvcsw + t.nivcsw;
            // Never switched out: it has not slept yet (Linux skips such
            // a task the same way).
            if count == 0 {
                continue;
            }
            let since = match before.get(&tid) {
                Some(&(c, since)) if c == count => since,
                _ => now,
            };
            seen.insert(tid, (count, since));
            if now - since >= timeout_ns {
                stuck.push((tid, now - since));
            }
        }
        self.proc.hung.seen = seen;
        for (tid, blocked_ns) in stuck {
            if self.proc.hung.warnings == 0 {
                break;
            }
            self.proc.hung.warnings -= 1;
            self.report_hung_task(tid, blocked_ns / NS_PER_SEC);
            if self.proc.hung.warnings == 0 {
                self.log(format_args!("Future hung task reports are suppressed, see sysctl kernel.hung_task_warnings"));
            }
        }
    }

    /// Linux's report: three lines at KERN_ERR, then the task as SysRq-t
    /// shows it (Linux: sched_show_task()).
    fn report_hung_task(&mut self, tid: Pid, secs: u64) {
        use crate::log::KERN_ERR;
        let comm = alloc::string::String::from_utf8_lossy(&self.proc.tasks[&tid].comm).into_owned();
        self.log_level(KERN_ERR, format_args!("INFO: task {comm}:{tid} blocked for more than {secs} seconds."));
        // The release and the version's first word, from the banner
        // ("Linux version RELEASE (...) (...) #1 SMP ...").
        let banner = crate::fs::procfs::banner();
        let release = banner.split(' ').nth(2).unwrap_or("");
        let build = banner.split(' ').find(|w| w.starts_with('#')).unwrap_or("");
        self.log_level(KERN_ERR, format_args!("      Not tainted {release} {build}"));
        self.log_level(
            KERN_ERR,
            format_args!("\"echo 0 > /proc/sys/kernel/hung_task_timeout_secs\" disables this message."),
        );
        self.show_task(tid);
    }
}

#[cfg(test)]
mod tests {
    use super::NS_PER_SEC;
    use crate::abi::nr;
    use crate::proc::{TaskState, WaitReason};
    use crate::testkit::*;
    use alloc::string::String;
    use alloc::vec::Vec;

    fn reports(hw: &TestMachine) -> Vec<String> {
        hw.log.lines().into_iter().filter(|l| l.starts_with("INFO: task ")).collect()
    }

    fn tick_after(k: &mut crate::kernel::Kernel, hw: &TestMachine, secs: u64) {
        hw.clock.advance(secs * NS_PER_SEC);
        k.timer_tick();
    }

    #[test]
    fn a_vfork_parent_stuck_for_the_timeout_is_reported_at_each_look() {
        let (mut k, hw) = boot(2048);
        k.set_hung_task_timeout("quiet tine.hung_task_timeout=2");
        assert_eq!(try_syscall(&mut k, 1, nr::VFORK, &[]), Err(Blocked));
        assert_eq!(state(&k, 1), Some(TaskState::Blocked(WaitReason::Vfork)));
        let c = *k.proc.tasks[&1].children.iter().next().expect("the vfork child");
        // It has been switched out (a task never switched out is skipped).
        k.proc.tasks.get_mut(&1).unwrap().nvcsw += 1;
        // The first look only notes it; the next, a timeout later, reports.
        tick_after(&mut k, &hw, 2);
        assert!(reports(&hw).is_empty());
        tick_after(&mut k, &hw, 1);
        assert!(reports(&hw).is_empty(), "no look before the interval");
        tick_after(&mut k, &hw, 1);
        assert_eq!(reports(&hw), ["INFO: task init:1 blocked for more than 2 seconds."]);
        let lines = hw.log.lines();
        let at = lines.iter().position(|l| l.starts_with("INFO: task")).unwrap();
        assert_eq!(lines[at + 1], "      Not tainted 6.1.0-tine #1");
        assert!(lines[at + 3].starts_with("task:init            state:D pid:1 "), "{}", lines[at + 3]);
        tick_after(&mut k, &hw, 2);
        assert_eq!(reports(&hw).len(), 2, "reported again while stuck");
        // Released: no more reports.
        exit(&mut k, c, 0);
        tick_after(&mut k, &hw, 2);
        tick_after(&mut k, &hw, 2);
        assert_eq!(reports(&hw).len(), 2);
    }

    #[test]
    fn the_sysctl_is_the_same_setting_and_zero_turns_it_off() {
        let (mut k, hw) = boot(2048);
        k.set_hung_task_timeout("tine.hung_task_timeout=100");
        assert_eq!(k.hung_task_timeout_secs(), 100);
        tick_after(&mut k, &hw, 50);
        // The write starts a new interval from now.
        k.set_hung_task_timeout_secs(2);
        assert_eq!(k.hung_task_timeout_secs(), 2);
        assert_eq!(try_syscall(&mut k, 1, nr::VFORK, &[]), Err(Blocked));
        k.proc.tasks.get_mut(&1).unwrap().nvcsw += 1;
        tick_after(&mut k, &hw, 2);
        tick_after(&mut k, &hw, 2);
        assert_eq!(reports(&hw).len(), 1);
        k.set_hung_task_timeout_secs(0);
        assert_eq!(k.hung_task_timeout_secs(), 0);
        for _ in 0..5 {
            tick_after(&mut k, &hw, 100);
        }
        assert_eq!(reports(&hw).len(), 1, "off");
    }

    #[test]
    fn off_without_the_argument_and_bad_values_ignored() {
        let (mut k, hw) = boot(2048);
        k.set_hung_task_timeout("tine.hung_task_timeout=soon");
        assert!(hw.log.lines().iter().any(|l| l.contains("cannot parse \"soon\"")));
        assert_eq!(try_syscall(&mut k, 1, nr::VFORK, &[]), Err(Blocked));
        k.proc.tasks.get_mut(&1).unwrap().nvcsw += 1;
        for _ in 0..5 {
            tick_after(&mut k, &hw, 100);
        }
        assert!(reports(&hw).is_empty());
    }
}
