//! The task dump (Linux: show_state_filter(), which SysRq-t and SysRq-w
//! print; sched_show_task() for each task): every task to the kernel
//! log with what it waits for, so that a machine that hangs says why.
//!
//! Linux prints each task's kernel stack; Tine's kernel never sleeps in
//! the middle of a function, so what a sleeper waits for is all in its
//! task: the `WaitReason` of its state, the system call it will run
//! again (`Task::blocked_call`), its ptrace stop, its signals. The dump
//! also checks what a lost wake-up would break: a sleeper whose reason
//! has a wait queue must be on it, and a runnable task must be on the
//! run queue or running.
//!
//! Trigger: a break on the log port (COM2), which xtask sends through
//! QEMU's monitor when a boot times out (Linux: the break and `t` of a
//! serial console's magic SysRq).

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;

use crate::abi::SigSet;
use crate::kernel::Kernel;
use crate::proc::ptrace::Stop;
use crate::proc::{Pid, Task, TaskState, WaitReason};

/// The header line of a dump (Linux's sysrq handler logs the same).
pub const SHOW_STATE: &str = "sysrq: Show State";
/// The header line of a dump of the sleepers only (SysRq-w).
pub const SHOW_BLOCKED: &str = "sysrq: Show Blocked State";
/// The last line of every dump (Tine's: `cargo xtask test` waits for it).
pub const DUMP_END: &str = "sysrq: end of task dump";

impl Kernel {
    /// The log device's interrupt: a break on it is SysRq-t (Linux's
    /// serial console takes a break and then the key).
    pub fn log_port_irq(&mut self) {
        if self.m.log.take_break() {
            self.sysrq(b't');
        }
    }

    /// A magic SysRq key (Linux: __handle_sysrq()): `t` dumps every task,
    /// `w` the sleeping ones; other keys are logged and ignored, as
    /// Linux's help line would.
    pub fn sysrq(&mut self, key: u8) {
        match key {
            b't' => self.show_state(false),
            b'w' => self.show_state(true),
            _ => self.log(format_args!("sysrq: HELP : show-blocked-tasks(w) show-task-states(t)")),
        }
    }

    /// Log every task (only those not runnable when `blocked_only`), in
    /// TID order, each as a line `task:COMM state:S pid:N tgid:N ppid:N`
    /// followed by indented lines: what it waits for, the call it sleeps
    /// in, its signals and its ptrace state.
    pub fn show_state(&self, blocked_only: bool) {
        self.log(format_args!("{}", if blocked_only { SHOW_BLOCKED } else { SHOW_STATE }));
        let mut shown = 0;
        for (tid, t) in self.proc.tasks().iter() {
            if blocked_only && matches!(t.state, TaskState::Runnable | TaskState::Zombie | TaskState::Dead) {
                continue;
            }
            shown += 1;
            for line in self.describe_task(tid, t) {
                self.log(format_args!("{line}"));
            }
        }
        self.log(format_args!("{DUMP_END} ({shown} of {} tasks)", self.proc.tasks().len()));
    }

    /// Log one task's dump lines (Linux: sched_show_task()).
    pub(crate) fn show_task(&self, tid: Pid) {
        let Some(t) = self.proc.tasks().get(&tid) else { return };
        for line in self.describe_task(tid, t) {
            self.log(format_args!("{line}"));
        }
    }

    /// The dump's lines for one task.
    fn describe_task(&self, tid: Pid, t: &Task) -> Vec<String> {
        let mut lines = Vec::new();
        // Running here or on another CPU (whose state is parked).
        let on_cpu = self.sched.running_cpu(tid);
        let current = on_cpu.is_some();
        let mut head = String::new();
        let _ = write!(
            head,
            "task:{:<15} state:{} pid:{:<5} tgid:{:<5} ppid:{}",
            String::from_utf8_lossy(&t.comm),
            state_letter(t.state),
            tid,
            t.tgid,
            t.parent
        );
        if let Some(cpu) = on_cpu {
            let _ = write!(head, " (current on CPU {cpu})");
        }
        lines.push(head);

        // What it waits for, and whether the wake-up can find it.
        let mut wait = String::from("  ");
        match t.state {
            TaskState::Runnable => {
                let queued = t.on_rq && self.sched.rq(t.cpu as usize).contains(tid);
                let _ = write!(
                    wait,
                    "runnable, {}",
                    if current || queued { "on the CPU or run queue" } else { "ON NO RUN QUEUE" }
                );
            }
            TaskState::Blocked(why) => {
                let _ = write!(wait, "waits: {}", wait_text(why, t));
                if let Some(key) = why.queue() {
                    let on = self.sched.waitqueues().sleepers(key).contains(&tid);
                    let _ = write!(wait, "; {}", if on { "on its wait queue" } else { "ON NO WAIT QUEUE" });
                }
                if let WaitReason::Futex { .. } = why {
                    let on = self.proc.futexes().iter().any(|w| w.tid == tid);
                    let _ = write!(wait, "; {}", if on { "on a futex queue" } else { "ON NO FUTEX QUEUE" });
                }
                if let Some(d) = why.deadline() {
                    let _ = write!(wait, "; deadline {d} ns");
                }
            }
            TaskState::Stopped => wait.push_str("stopped (job control)"),
            TaskState::Traced => wait.push_str("in a ptrace stop"),
            TaskState::Zombie => {
                let _ = write!(wait, "zombie, exit code {:#x}", t.exit_code);
            }
            TaskState::Dead => wait.push_str("dead, not yet freed"),
        }
        if let Some((child, released)) = t.resume.vfork() {
            let _ = write!(wait, "; vfork child {child}{}", if released { " (released)" } else { "" });
        }
        if let Some(p) = t.vfork_parent {
            let _ = write!(wait, "; vfork parent {p} waits for it");
        }
        lines.push(wait);

        if t.restarting && !matches!(t.state, TaskState::Zombie | TaskState::Dead) {
            lines.push(alloc::format!("  syscall: {}", call_text(t.blocked_call.0, &t.blocked_call.1)));
        }

        let signal = self.sig.signals().get(t.signal);
        let mut sig = String::new();
        let _ = write!(
            sig,
            "  signals: pending {} shared {} blocked {}",
            set_text(t.sigpending),
            set_text(signal.shared_pending),
            set_text(t.sigmask)
        );
        if signal.stopped {
            sig.push_str("; process stopped");
        }
        if let Some(code) = signal.group_exit {
            let _ = write!(sig, "; group exit {code:#x}");
        }
        lines.push(sig);

        if let Some(p) = t.ptrace.tracee.as_deref() {
            let mut l = String::new();
            match p.tracer {
                Some(tr) => {
                    let _ = write!(l, "  ptrace: tracer {tr}{}", if p.seized { " (seized)" } else { "" });
                }
                None => l.push_str("  ptrace: detached, finishing its stop"),
            }
            let _ = write!(l, " mode {:?} stop {} report {:#x}", p.mode, stop_text(p.stop), p.report);
            if p.options != 0 {
                let _ = write!(l, " options {:#x}", p.options);
            }
            for (set, what) in [
                (p.listening, "listening"),
                (p.trap_stop, "trap_stop"),
                (p.trap_notify, "trap_notify"),
                (p.in_syscall, "in_syscall"),
                (p.exit_reported, "exit_reported"),
            ] {
                if set {
                    let _ = write!(l, " {what}");
                }
            }
            if let Some((event, msg)) = p.pending_event {
                let _ = write!(l, " pending_event {event}:{msg}");
            }
            if p.resume_sig != 0 {
                let _ = write!(l, " resume_sig {}", p.resume_sig);
            }
            lines.push(l);
        }
        if !t.ptrace.tracees.is_empty() {
            let list: Vec<String> = t.ptrace.tracees.iter().map(|p| alloc::format!("{p}")).collect();
            lines.push(alloc::format!("  traces: {}", list.join(" ")));
        }
        lines
    }
}

/// Linux's one-letter states (task_state_to_char()): R, S, D (a vfork
/// parent: Linux's killable wait counts as uninterruptible), T, t, Z, X.
fn state_letter(s: TaskState) -> char {
    match s {
        TaskState::Runnable => 'R',
        TaskState::Blocked(WaitReason::Vfork) => 'D',
        TaskState::Blocked(_) => 'S',
        TaskState::Stopped => 'T',
        TaskState::Traced => 't',
        TaskState::Zombie => 'Z',
        TaskState::Dead => 'X',
    }
}

fn wait_text(why: WaitReason, t: &Task) -> String {
    match why {
        WaitReason::ChildExit { tgid } => alloc::format!("a child of process {tgid} (wait4/waitid)"),
        WaitReason::Pipe(n) => alloc::format!("pipe {n}"),
        WaitReason::Futex { .. } => match t.resume.futex() {
            Some(w) if w.woken => String::from("futex (woken)"),
            _ => String::from("futex"),
        },
        WaitReason::Vfork => String::from("its vfork child's exec or exit"),
        other => alloc::format!("{other:?}"),
    }
}

/// `wait4(0xffffffff, 0x7ffe..., 0x40000000, 0x0)`: every argument the
/// call takes, in hex (the name and count from strace's table, else
/// `syscall_N` and all six).
fn call_text(nr: u64, args: &[u64; 6]) -> String {
    let (mut s, n) = match crate::syscall::strace::call_shape(nr) {
        Some((name, n)) => (String::from(name), n),
        None => (alloc::format!("syscall_{nr}"), args.len()),
    };
    s.push('(');
    for (i, a) in args[..n].iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        let _ = write!(s, "{a:#x}");
    }
    s.push(')');
    s
}

fn set_text(s: SigSet) -> String {
    alloc::format!("{:016x}", s.bits())
}

fn stop_text(s: Option<Stop>) -> String {
    match s {
        None => String::from("-"),
        Some(s) => alloc::format!("{s:?}"),
    }
}

#[cfg(test)]
mod tests {
    use crate::abi::*;
    use crate::proc::wait::WALL;
    use crate::testkit::*;
    use alloc::string::String;
    use alloc::vec::Vec;

    /// The dump's lines, from its header to its end.
    fn dump(k: &mut crate::kernel::Kernel, hw: &TestMachine) -> Vec<String> {
        let before = hw.log.lines().len();
        k.sysrq(b't');
        hw.log.lines()[before..].to_vec()
    }

    #[test]
    fn a_parent_in_wait4_and_a_traced_child_show_what_they_wait_for() {
        let (mut k, hw) = boot(2048);
        let c = fork(&mut k, 1);
        assert_eq!(syscall(&mut k, c, nr::PTRACE, &[PTRACE_TRACEME]), 0);
        assert_eq!(syscall(&mut k, 1, nr::KILL, &[c as u64, SIGSTOP as u64]), 0);
        syscall(&mut k, c, nr::GETPID, &[]);
        assert_eq!(wait4(&mut k, 1, c as i32, WALL).0, c as i64);
        // Init waits for another change, which does not come.
        assert_eq!(try_syscall(&mut k, 1, nr::WAIT4, &[u64::MAX, 0, WALL as u64, 0]), Err(Blocked));
        let lines = dump(&mut k, &hw);
        assert_eq!(lines[0], super::SHOW_STATE);
        let init = lines.iter().position(|l| l.starts_with("task:") && l.contains(" pid:1 ")).expect("init");
        assert!(lines[init].contains("state:S"), "{}", lines[init]);
        assert_eq!(lines[init + 1], "  waits: a child of process 1 (wait4/waitid); on its wait queue");
        assert_eq!(lines[init + 2], "  syscall: wait4(0xffffffffffffffff, 0x0, 0x40000000, 0x0)");
        assert!(lines[init + 3].starts_with("  signals: pending 0000000000000000"), "{}", lines[init + 3]);
        assert_eq!(lines[init + 4], alloc::format!("  traces: {c}"));
        let child =
            lines.iter().position(|l| l.starts_with("task:") && l.contains(&alloc::format!(" pid:{c} "))).unwrap();
        assert!(lines[child].contains("state:t"), "{}", lines[child]);
        assert_eq!(lines[child + 1], "  in a ptrace stop");
        let ptrace = &lines[child + 3];
        assert!(ptrace.starts_with("  ptrace: tracer 1 mode Cont stop Signal report 0x0"), "{ptrace}");
        assert_eq!(lines.last().unwrap(), &alloc::format!("{} (2 of 2 tasks)", super::DUMP_END));
    }

    #[test]
    fn a_lost_wakeup_shows_as_a_sleeper_on_no_queue() {
        let (mut k, hw) = boot(2048);
        let c = fork(&mut k, 1);
        // What a sleep that forgot its queue would leave behind.
        let t = k.proc.tasks_mut().get_mut(&c).unwrap();
        t.state = crate::proc::TaskState::Blocked(crate::proc::WaitReason::ChildExit { tgid: c });
        let lines = dump(&mut k, &hw);
        assert!(
            lines
                .iter()
                .any(|l| *l == alloc::format!("  waits: a child of process {c} (wait4/waitid); ON NO WAIT QUEUE")),
            "{lines:#?}"
        );
    }
}
