//! Waiting for children (Linux: kernel/exit.c, do_wait() and
//! wait_task_zombie()).
//!
//! A waiter looks at the children of every thread of its process (only its
//! own with __WNOTHREAD). If an eligible child is a zombie, its status is
//! reported and, unless WNOWAIT, the child is released. If eligible
//! children exist but none is ready, the waiter sleeps on its process's
//! "child exited" queue (or returns 0 with WNOHANG); with no eligible child
//! at all the answer is ECHILD.

use alloc::vec::Vec;

use crate::abi::*;
use crate::kernel::Kernel;
use crate::proc::{Pid, WaitReason};

pub const WNOHANG: u32 = 0x1;
pub const WUNTRACED: u32 = 0x2;
pub const WSTOPPED: u32 = WUNTRACED;
pub const WEXITED: u32 = 0x4;
pub const WCONTINUED: u32 = 0x8;
pub const WNOWAIT: u32 = 0x0100_0000;
pub const WNOTHREAD: u32 = 0x2000_0000;
pub const WALL: u32 = 0x4000_0000;
pub const WCLONE: u32 = 0x8000_0000;

pub const P_ALL: u32 = 0;
pub const P_PID: u32 = 1;
pub const P_PGID: u32 = 2;
pub const P_PIDFD: u32 = 3;

/// Which children a wait call is about (Linux: `wo_type` and `wo_pid`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitWho {
    Any,
    Pid(Pid),
    Pgid(Pid),
}

/// Which state change a wait found.
enum Report {
    /// `ptrace`: the waiter reaps it as its tracer.
    Exited {
        ptrace: bool,
    },
    Stopped(u32),
    Continued,
    /// A ptrace stop, with its code (the status's bits 8..24).
    Traced(u32),
}

/// What a successful wait reports (Linux: `struct waitid_info` plus the
/// wait4 status word).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WaitResult {
    /// The child's id; from `do_wait`, as the waiter's PID namespace
    /// numbers it.
    pub pid: Pid,
    pub uid: u32,
    /// The wait4 status word (WIFEXITED/WEXITSTATUS/WTERMSIG encoding).
    pub status: i32,
    pub utime_ns: u64,
    pub stime_ns: u64,
    /// Minor faults of the process and its reaped children.
    pub min_flt: u64,
    /// Its context switches and its reaped children's.
    pub nvcsw: u64,
    pub nivcsw: u64,
    /// A ptrace stop (waitid: CLD_TRAPPED, and the whole stop code).
    pub traced: bool,
}

impl WaitResult {
    /// waitid's si_code and si_status.
    pub fn cause_and_status(&self) -> (i32, i32) {
        if self.traced {
            (CLD_TRAPPED, self.status >> 8)
        } else if self.status == 0xffff {
            (CLD_CONTINUED, SIGCONT as i32)
        } else if self.status & 0xff == 0x7f {
            (CLD_STOPPED, (self.status >> 8) & 0xff)
        } else if self.status & 0x7f == 0 {
            (CLD_EXITED, (self.status >> 8) & 0xff)
        } else if self.status & 0x80 != 0 {
            (CLD_DUMPED, self.status & 0x7f)
        } else {
            (CLD_KILLED, self.status & 0x7f)
        }
    }
}

impl Kernel {
    /// Whether child `c` matches the selector and the clone-child options
    /// (Linux: eligible_pid() and eligible_child()).
    /// A tracee is named by its own id and waited for whatever its exit
    /// signal (Linux 4.7 on: __WALL assumed for a traced child).
    fn eligible_child(&self, c: Pid, who: WaitWho, options: u32, ptrace: bool) -> bool {
        let t = &self.proc.tasks[&c];
        let pid_ok = match who {
            WaitWho::Any => true,
            WaitWho::Pid(p) => t.tid == p || (!ptrace && t.tgid == p),
            WaitWho::Pgid(g) => self.sig.signals().get(t.signal).pgid == g,
        };
        // A "clone" child is one whose exit signal is not SIGCHLD: only
        // __WCLONE waits for those, and only for those; __WALL for all.
        pid_ok && (ptrace || options & WALL != 0 || ((t.exit_signal == SIGCHLD) ^ (options & WCLONE != 0)))
    }

    /// Whether a thread of process `tgid` traces task `c`.
    fn traced_by_process(&self, c: Pid, tgid: Pid) -> bool {
        let tracer = self.proc.tasks[&c].ptrace.tracer();
        tracer.and_then(|tr| self.proc.tasks.get(&tr)).is_some_and(|tr| tr.tgid == tgid)
    }

    /// Whether zombie `c` may be reported: a leader only once its other
    /// threads are gone (Linux: delay_group_leader()).
    fn zombie_ready(&self, c: Pid) -> bool {
        let t = &self.proc.tasks[&c];
        if !t.is_zombie() {
            return false;
        }
        if !t.is_leader() {
            return true;
        }
        // A dying PID namespace's init is not done until its namespace is
        // empty (Linux: it is still in zap_pid_ns_processes()).
        let others_alive = self
            .sig
            .signals()
            .get(t.signal)
            .threads
            .iter()
            .any(|&o| o != c && self.proc.tasks.get(&o).is_some_and(|o| o.state != crate::proc::TaskState::Dead));
        !others_alive && !self.pid_ns_holds_report(c)
    }

    /// What child or tracee `c` has to report to its waiter (Linux:
    /// wait_consider_task()). `ptrace`: seen as a tracee, by its tracer's
    /// process (a child that process traces too): ptrace stops instead of
    /// group-stops, and the zombie is the tracer's to reap first. A
    /// zombie traced by another process is not the real parent's to see
    /// yet.
    fn consider(&self, c: Pid, options: u32, ptrace: bool) -> Option<Report> {
        let t = &self.proc.tasks[&c];
        let tracer_tgid = t.ptrace.tracer().and_then(|tr| self.proc.tasks.get(&tr)).map(|tr| tr.tgid);
        if t.is_zombie() {
            let visible = ptrace || tracer_tgid.is_none();
            return (options & WEXITED != 0 && visible && self.zombie_ready(c)).then_some(Report::Exited { ptrace });
        }
        if ptrace {
            let p = t.ptrace.traced().expect("traced");
            if t.state == crate::proc::TaskState::Traced && p.report != 0 && !p.listening {
                return Some(Report::Traced(p.report));
            }
        }
        let s = self.sig.signals().get(t.signal);
        if options & WSTOPPED != 0 && !ptrace {
            if let Some(sig) = s.stop_report {
                return Some(Report::Stopped(sig));
            }
        }
        (options & WCONTINUED != 0 && s.continue_report).then_some(Report::Continued)
    }

    /// Linux: do_wait(). `Ok(None)` means eligible children exist but none
    /// is ready and WNOHANG was given.
    pub fn do_wait(&mut self, who: WaitWho, options: u32) -> SysResult<Option<WaitResult>> {
        // Once per call: not again when the call runs again after a sleep
        // (Linux fires it before do_wait()'s own retry loop).
        if !self.cur().restarting {
            crate::trace!(self, SchedProcessWait, {
                let me = self.cur().tid;
                let pid = match who {
                    WaitWho::Any => 0,
                    WaitWho::Pid(p) | WaitWho::Pgid(p) => p as i32,
                };
                crate::trace::Payload::Process { comm: self.trace_comm(me), pid, prio: self.trace_prio(me) }
            });
        }
        let me = self.cur().tid;
        let tgid = self.cur().tgid;
        let waiters: Vec<Pid> = if options & WNOTHREAD != 0 {
            alloc::vec![me]
        } else {
            self.sig.signals().get(self.cur().signal).threads.iter().copied().collect()
        };
        let mut any = false;
        let mut ready = None;
        'search: for w in waiters {
            // Its children, then its tracees that are not children of the
            // waiting process (Linux: do_wait_thread(), ptrace_do_wait()).
            let task = &self.proc.tasks[&w];
            let tracees = task.ptrace.tracees.iter().filter(|&&c| {
                let t = &self.proc.tasks[&c];
                !t.is_leader() || self.proc.tasks.get(&t.parent).map(|p| p.tgid) != Some(tgid)
            });
            let candidates = task.children.iter().map(|&c| (c, false)).chain(tracees.map(|&c| (c, true)));
            for (c, ptrace) in candidates {
                let ptrace = ptrace || self.traced_by_process(c, tgid);
                if !self.eligible_child(c, who, options, ptrace) {
                    continue;
                }
                any = true;
                if let Some(r) = self.consider(c, options, ptrace) {
                    ready = Some((c, r));
                    break 'search;
                }
            }
        }
        let Some((child, report)) = ready else {
            if !any {
                return Err(ECHILD);
            }
            if options & WNOHANG != 0 {
                return Ok(None);
            }
            return Err(self.block_current(WaitReason::ChildExit { tgid }));
        };
        // The waiter's numbers for the child, taken before a reap frees them
        // (Linux: task_pid_vnr() at the top of wait_task_zombie()).
        let (vtid, vtgid) = (self.pid_vnr(child), self.pid_vnr(self.proc.tasks[&child].tgid));
        let mut r = match report {
            Report::Exited { ptrace } => self.wait_task_zombie(child, options, ptrace),
            Report::Stopped(sig) => self.wait_task_stopped(child, sig, options),
            Report::Continued => self.wait_task_continued(child, options),
            Report::Traced(code) => self.wait_task_traced(child, code, options),
        };
        r.pid = if r.pid == child { vtid } else { vtgid };
        Ok(Some(r))
    }

    /// Report a ptrace stop once (Linux: wait_task_stopped() with
    /// ptrace): status `code << 8 | 0x7f`, the tracee's own id.
    fn wait_task_traced(&mut self, child: Pid, code: u32, options: u32) -> WaitResult {
        let t = &self.proc.tasks[&child];
        let (pid, uid) = (t.tid, t.cred.uid);
        if options & WNOWAIT == 0 {
            if let Some(p) = self.tracee_mut(child) {
                p.report = 0;
            }
        }
        WaitResult {
            pid,
            uid,
            status: ((code as i32) << 8) | 0x7f,
            utime_ns: 0,
            stime_ns: 0,
            min_flt: 0,
            nvcsw: 0,
            nivcsw: 0,
            traced: true,
        }
    }

    /// Report a stop once (Linux: wait_task_stopped()): status
    /// `sig << 8 | 0x7f`; WNOWAIT leaves it reportable.
    fn wait_task_stopped(&mut self, child: Pid, sig: u32, options: u32) -> WaitResult {
        let t = &self.proc.tasks[&child];
        let (signal, pid, uid) = (t.signal, t.tgid, t.cred.uid);
        if options & WNOWAIT == 0 {
            self.sig.signals_mut().get_mut(signal).stop_report = None;
        }
        WaitResult {
            pid,
            uid,
            status: ((sig as i32) << 8) | 0x7f,
            utime_ns: 0,
            stime_ns: 0,
            min_flt: 0,
            nvcsw: 0,
            nivcsw: 0,
            traced: false,
        }
    }

    /// Report a continue once (Linux: wait_task_continued()): status 0xffff.
    fn wait_task_continued(&mut self, child: Pid, options: u32) -> WaitResult {
        let t = &self.proc.tasks[&child];
        let (signal, pid, uid) = (t.signal, t.tgid, t.cred.uid);
        if options & WNOWAIT == 0 {
            self.sig.signals_mut().get_mut(signal).continue_report = false;
        }
        WaitResult {
            pid,
            uid,
            status: 0xffff,
            utime_ns: 0,
            stime_ns: 0,
            min_flt: 0,
            nvcsw: 0,
            nivcsw: 0,
            traced: false,
        }
    }

    /// Report zombie `child` and, unless WNOWAIT, release it
    /// (Linux: wait_task_zombie()).
    /// Reaped by a tracer that is not its real parent, a process's leader
    /// is handed on to that parent, which may reap it next (Linux: the
    /// EXIT_TRACE step of wait_task_zombie()).
    fn wait_task_zombie(&mut self, child: Pid, options: u32, ptrace: bool) -> WaitResult {
        let t = &self.proc.tasks[&child];
        let cs = self.sig.signals().get(t.signal);
        let result = WaitResult {
            pid: if ptrace { t.tid } else { t.tgid },
            uid: t.cred.uid,
            // Linux: the group's exit code when the process ended by
            // exit_group or a fatal signal, else the leader's own.
            status: cs.group_exit.unwrap_or(t.exit_code),
            // The whole process's times and its reaped children's (Linux:
            // wait_task_zombie(): thread_group_cputime_adjusted() + cutime).
            utime_ns: cs.timers.cpu_user_ns + cs.cutime_ns,
            stime_ns: cs.timers.cpu_total_ns - cs.timers.cpu_user_ns + cs.cstime_ns,
            min_flt: cs.min_flt + cs.cmin_flt,
            nvcsw: cs.nvcsw + cs.cnvcsw,
            nivcsw: cs.nivcsw + cs.cnivcsw,
            traced: false,
        };
        if options & WNOWAIT == 0 {
            let hand_on = ptrace && self.proc.tasks[&child].is_leader() && self.ptrace_reparented(child);
            if hand_on {
                self.ptrace_unlink(child, 0);
                if self.notify_parent(child) {
                    self.release_task(child);
                }
            } else {
                self.release_task(child);
            }
        }
        result
    }
}

/// `struct rusage` with CPU times, minor faults and context switches
/// (the caller adds ru_maxrss where it has one).
pub fn rusage(utime_ns: u64, stime_ns: u64, min_flt: u64, csw: (u64, u64)) -> Rusage {
    Rusage {
        ru_utime: Timeval::from_ns(utime_ns),
        ru_stime: Timeval::from_ns(stime_ns),
        ru_minflt: min_flt as i64,
        ru_nvcsw: csw.0 as i64,
        ru_nivcsw: csw.1 as i64,
        ..Default::default()
    }
}
