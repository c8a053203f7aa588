//! The OOM killer (Linux: mm/oom_kill.c). When a page fault finds no free
//! frame and dropping the page cache did not free one, the process with
//! the most memory is killed with SIGKILL so that the machine goes on.
//!
//! Badness is Linux's `oom_badness()` without the parts Tine lacks: the
//! resident pages plus the page-table pages (no swap; `oom_score_adj` is
//! always 0 here, so it adds nothing). Init is never chosen, nor a process
//! already exiting. While a victim chosen earlier is still alive, no other
//! is killed (Linux: `oom_evaluate_task()` aborts on a TIF_MEMDIE task):
//! the faulting task returns to user mode and takes the fault again, and
//! the victim's exit frees its memory meanwhile.

use alloc::string::String;

use crate::abi::SIGKILL;
use crate::kernel::Kernel;
use crate::proc::task::TaskState;
use crate::proc::Pid;
use crate::signal::SigInfo;

/// What [`Kernel::out_of_memory`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OomOutcome {
    /// The process `Pid` was sent SIGKILL.
    Killed(Pid),
    /// An earlier victim is still exiting: wait for it.
    Waiting,
    /// Nothing may be killed (init alone has memory).
    NoVictim,
}

impl Kernel {
    /// Whether process `tgid` is alive and not on its way out.
    fn oom_candidate(&self, tgid: Pid) -> bool {
        self.proc.tasks.get(&tgid).is_some_and(|t| {
            !matches!(t.state, TaskState::Zombie | TaskState::Dead)
                && self.sig.signals().get(t.signal).group_exit.is_none()
        })
    }

    /// Pages process `tgid` would give back: resident plus page tables
    /// (Linux: oom_badness()).
    fn oom_badness(&self, tgid: Pid) -> u64 {
        let mm = self.mem.mms().get(self.proc.tasks[&tgid].mm);
        (mm.resident_pages() + mm.table_frames(self.m.mem)) as u64
    }

    /// Linux: out_of_memory() → select_bad_process() → oom_kill_process().
    pub fn out_of_memory(&mut self) -> OomOutcome {
        if let Some(v) = self.proc.oom_victim {
            if self.proc.tasks.get(&v).is_some_and(|t| !matches!(t.state, TaskState::Zombie | TaskState::Dead)) {
                return OomOutcome::Waiting;
            }
            self.proc.oom_victim = None;
        }
        let mut chosen: Option<(Pid, u64)> = None;
        for t in self.proc.tasks.values() {
            let pid = t.tid;
            if t.tid != t.tgid || t.tgid == 1 || !self.oom_candidate(pid) {
                continue;
            }
            let points = self.oom_badness(pid);
            if chosen.is_none_or(|(_, best)| points > best) {
                chosen = Some((pid, points));
            }
        }
        let Some((victim, _)) = chosen else { return OomOutcome::NoVictim };
        let t = &self.proc.tasks[&victim];
        let mm = self.mem.mms().get(t.mm);
        let total_vm: u64 = mm.vmas().map(|v| v.size() / 4096).sum();
        let rss = mm.resident_pages() as u64;
        let pgtables = mm.table_frames(self.m.mem) as u64;
        let comm = String::from_utf8_lossy(&t.comm).into_owned();
        let uid = t.cred.uid;
        // Linux's line; Tine does not split the RSS by kind, so it all
        // shows as anonymous.
        self.log(format_args!(
            "Out of memory: Killed process {victim} ({comm}) total-vm:{}kB, anon-rss:{}kB, file-rss:0kB, shmem-rss:0kB, UID:{uid} pgtables:{}kB oom_score_adj:0",
            total_vm * 4,
            rss * 4,
            pgtables * 4
        ));
        let _ = self.send_signal_process(victim, SigInfo::kernel(SIGKILL));
        self.proc.oom_victim = Some(victim);
        OomOutcome::Killed(victim)
    }
}
