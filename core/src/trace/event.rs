//! The trace events: their names, their record layouts as the `format`
//! files show them, and the text each prints (Linux: the TRACE_EVENT()
//! definitions of include/trace/events/sched.h, task.h, signal.h,
//! raw_syscalls.h and arch/x86/include/asm/trace/exceptions.h, and
//! Tine's own `tine` system for the steps Linux has no event for).
//!
//! Layouts are those of Linux 6.1 on x86_64: every record starts with the
//! four common fields (8 bytes), then the event's fields at their C
//! offsets. `char` is signed on x86 before Linux 6.2, so `char` arrays
//! say `signed:1`. The layout only decides what `format` says and how
//! much room a record takes in the ring buffer: records are kept as
//! [`Payload`] values, not as bytes.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write as _;

/// One field of a record, as a `format` file lists it.
#[derive(Debug)]
pub struct Field {
    /// The C type, with an array's brackets after the name (`char comm[16]`
    /// is type `char[16]`, printed as `char comm[16]`).
    pub ty: &'static str,
    pub name: &'static str,
    pub offset: u16,
    pub size: u16,
    pub signed: bool,
}

const fn f(ty: &'static str, name: &'static str, offset: u16, size: u16, signed: bool) -> Field {
    Field { ty, name, offset, size, signed }
}

/// The fields every record starts with (Linux: `struct trace_entry`).
pub const COMMON: [Field; 4] = [
    f("unsigned short", "common_type", 0, 2, false),
    f("unsigned char", "common_flags", 2, 1, false),
    f("unsigned char", "common_preempt_count", 3, 1, false),
    f("int", "common_pid", 4, 4, true),
];

/// What describes one event.
#[derive(Debug)]
pub struct EventDef {
    pub system: &'static str,
    pub name: &'static str,
    pub fields: &'static [Field],
    /// `print fmt:` of the format file (Linux: the stringified TP_printk).
    pub print_fmt: &'static str,
    /// The irqs-off/need-resched/hardirq/preempt/migrate column Linux
    /// shows for this event's usual context (Tine runs the kernel with
    /// interrupts off and no preemption, so its own state says nothing).
    pub flags: &'static str,
    /// sizeof the C record (without dynamic data).
    pub size: u16,
}

macro_rules! events {
    ($($var:ident = $sys:literal : $name:literal, $size:literal, $flags:literal, [$($field:expr),* $(,)?], $fmt:literal;)*) => {
        /// Every event, in `available_events` order.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
        #[repr(u8)]
        pub enum Event { $($var),* }

        impl Event {
            pub const ALL: &'static [Event] = &[$(Event::$var),*];

            pub fn def(self) -> &'static EventDef {
                const DEFS: &[EventDef] = &[$(EventDef {
                    system: $sys,
                    name: $name,
                    fields: &[$($field),*],
                    print_fmt: $fmt,
                    flags: $flags,
                    size: $size,
                }),*];
                &DEFS[self as usize]
            }
        }
    };
}

const COMM: u16 = 16;

events! {
    SchedProcessFork = "sched":"sched_process_fork", 48, ".....", [
        f("char[16]", "parent_comm", 8, COMM, true), f("pid_t", "parent_pid", 24, 4, true),
        f("char[16]", "child_comm", 28, COMM, true), f("pid_t", "child_pid", 44, 4, true),
    ], "\"comm=%s pid=%d child_comm=%s child_pid=%d\", REC->parent_comm, REC->parent_pid, REC->child_comm, REC->child_pid";
    SchedProcessExec = "sched":"sched_process_exec", 20, ".....", [
        f("__data_loc char[]", "filename", 8, 4, true), f("pid_t", "pid", 12, 4, true),
        f("pid_t", "old_pid", 16, 4, true),
    ], "\"filename=%s pid=%d old_pid=%d\", __get_str(filename), REC->pid, REC->old_pid";
    SchedProcessExit = "sched":"sched_process_exit", 32, ".....", [
        f("char[16]", "comm", 8, COMM, true), f("pid_t", "pid", 24, 4, true), f("int", "prio", 28, 4, true),
    ], "\"comm=%s pid=%d prio=%d\", REC->comm, REC->pid, REC->prio";
    SchedProcessWait = "sched":"sched_process_wait", 32, ".....", [
        f("char[16]", "comm", 8, COMM, true), f("pid_t", "pid", 24, 4, true), f("int", "prio", 28, 4, true),
    ], "\"comm=%s pid=%d prio=%d\", REC->comm, REC->pid, REC->prio";
    SchedProcessFree = "sched":"sched_process_free", 32, "..s1.", [
        f("char[16]", "comm", 8, COMM, true), f("pid_t", "pid", 24, 4, true), f("int", "prio", 28, 4, true),
    ], "\"comm=%s pid=%d prio=%d\", REC->comm, REC->pid, REC->prio";
    SchedWakeupNew = "sched":"sched_wakeup_new", 36, "d..2.", [
        f("char[16]", "comm", 8, COMM, true), f("pid_t", "pid", 24, 4, true), f("int", "prio", 28, 4, true),
        f("int", "target_cpu", 32, 4, true),
    ], "\"comm=%s pid=%d prio=%d target_cpu=%03d\", REC->comm, REC->pid, REC->prio, REC->target_cpu";
    SchedWakeup = "sched":"sched_wakeup", 36, "d..3.", [
        f("char[16]", "comm", 8, COMM, true), f("pid_t", "pid", 24, 4, true), f("int", "prio", 28, 4, true),
        f("int", "target_cpu", 32, 4, true),
    ], "\"comm=%s pid=%d prio=%d target_cpu=%03d\", REC->comm, REC->pid, REC->prio, REC->target_cpu";
    SchedSwitch = "sched":"sched_switch", 64, "d..2.", [
        f("char[16]", "prev_comm", 8, COMM, true), f("pid_t", "prev_pid", 24, 4, true),
        f("int", "prev_prio", 28, 4, true), f("long", "prev_state", 32, 8, true),
        f("char[16]", "next_comm", 40, COMM, true), f("pid_t", "next_pid", 56, 4, true),
        f("int", "next_prio", 60, 4, true),
    ], "\"prev_comm=%s prev_pid=%d prev_prio=%d prev_state=%s%s ==> next_comm=%s next_pid=%d next_prio=%d\", REC->prev_comm, REC->prev_pid, REC->prev_prio, (REC->prev_state & ((((0x00000000 | 0x00000001 | 0x00000002 | 0x00000004 | 0x00000008 | 0x00000010 | 0x00000020 | 0x00000040) + 1) << 1) - 1)) ? __print_flags(REC->prev_state & ((((0x00000000 | 0x00000001 | 0x00000002 | 0x00000004 | 0x00000008 | 0x00000010 | 0x00000020 | 0x00000040) + 1) << 1) - 1), \"|\", { 0x00000001, \"S\" }, { 0x00000002, \"D\" }, { 0x00000004, \"T\" }, { 0x00000008, \"t\" }, { 0x00000010, \"X\" }, { 0x00000020, \"Z\" }, { 0x00000040, \"P\" }, { 0x00000080, \"I\" }) : \"R\", REC->prev_state & (((0x00000000 | 0x00000001 | 0x00000002 | 0x00000004 | 0x00000008 | 0x00000010 | 0x00000020 | 0x00000040) + 1) << 1) ? \"+\" : \"\", REC->next_comm, REC->next_pid, REC->next_prio";
    TaskNewtask = "task":"task_newtask", 48, ".....", [
        f("pid_t", "pid", 8, 4, true), f("char[16]", "comm", 12, COMM, true),
        f("unsigned long", "clone_flags", 32, 8, false), f("short", "oom_score_adj", 40, 2, true),
    ], "\"pid=%d comm=%s clone_flags=%lx oom_score_adj=%hd\", REC->pid, REC->comm, REC->clone_flags, REC->oom_score_adj";
    TaskRename = "task":"task_rename", 48, ".....", [
        f("pid_t", "pid", 8, 4, true), f("char[16]", "oldcomm", 12, COMM, true),
        f("char[16]", "newcomm", 28, COMM, true), f("short", "oom_score_adj", 44, 2, true),
    ], "\"pid=%d oldcomm=%s newcomm=%s oom_score_adj=%hd\", REC->pid, REC->oldcomm, REC->newcomm, REC->oom_score_adj";
    SignalGenerate = "signal":"signal_generate", 48, "d..1.", [
        f("int", "sig", 8, 4, true), f("int", "errno", 12, 4, true), f("int", "code", 16, 4, true),
        f("char[16]", "comm", 20, COMM, true), f("pid_t", "pid", 36, 4, true), f("int", "group", 40, 4, true),
        f("int", "result", 44, 4, true),
    ], "\"sig=%d errno=%d code=%d comm=%s pid=%d grp=%d res=%d\", REC->sig, REC->errno, REC->code, REC->comm, REC->pid, REC->group, REC->result";
    SignalDeliver = "signal":"signal_deliver", 40, "d..1.", [
        f("int", "sig", 8, 4, true), f("int", "errno", 12, 4, true), f("int", "code", 16, 4, true),
        f("unsigned long", "sa_handler", 24, 8, false), f("unsigned long", "sa_flags", 32, 8, false),
    ], "\"sig=%d errno=%d code=%d sa_handler=%lx sa_flags=%lx\", REC->sig, REC->errno, REC->code, REC->sa_handler, REC->sa_flags";
    SysEnter = "raw_syscalls":"sys_enter", 64, ".....", [
        f("long", "id", 8, 8, true), f("unsigned long[6]", "args", 16, 48, false),
    ], "\"NR %ld (%lx, %lx, %lx, %lx, %lx, %lx)\", REC->id, REC->args[0], REC->args[1], REC->args[2], REC->args[3], REC->args[4], REC->args[5]";
    SysExit = "raw_syscalls":"sys_exit", 24, ".....", [
        f("long", "id", 8, 8, true), f("long", "ret", 16, 8, true),
    ], "\"NR %ld = %ld\", REC->id, REC->ret";
    PageFaultUser = "exceptions":"page_fault_user", 32, "d....", [
        f("unsigned long", "address", 8, 8, false), f("unsigned long", "ip", 16, 8, false),
        f("unsigned long", "error_code", 24, 8, false),
    ], "\"address=%ps ip=%ps error_code=0x%lx\", (void *)REC->address, (void *)REC->ip, REC->error_code";
    CopyProcessStep = "tine":"copy_process_step", 40, ".....", [
        f("char[16]", "step", 8, 16, true), f("int", "ret", 24, 4, true), f("u64", "ns", 32, 8, false),
    ], "\"step=%s ret=%d ns=%llu\", REC->step, REC->ret, REC->ns";
    ExecStep = "tine":"exec_step", 40, ".....", [
        f("char[16]", "step", 8, 16, true), f("int", "ret", 24, 4, true), f("u64", "ns", 32, 8, false),
    ], "\"step=%s ret=%d ns=%llu\", REC->step, REC->ret, REC->ns";
    CowCopy = "tine":"cow_copy", 32, ".....", [
        f("unsigned long", "address", 8, 8, false), f("unsigned long", "old_pfn", 16, 8, false),
        f("unsigned long", "new_pfn", 24, 8, false),
    ], "\"address=0x%lx old_pfn=0x%lx new_pfn=0x%lx\", REC->address, REC->old_pfn, REC->new_pfn";
    CowReuse = "tine":"cow_reuse", 32, ".....", [
        f("unsigned long", "address", 8, 8, false), f("unsigned long", "old_pfn", 16, 8, false),
        f("unsigned long", "new_pfn", 24, 8, false),
    ], "\"address=0x%lx old_pfn=0x%lx new_pfn=0x%lx\", REC->address, REC->old_pfn, REC->new_pfn";
    ZeroPage = "tine":"zero_page", 24, ".....", [
        f("unsigned long", "address", 8, 8, false), f("unsigned long", "pfn", 16, 8, false),
    ], "\"address=0x%lx pfn=0x%lx\", REC->address, REC->pfn";
    PtShare = "tine":"pt_share", 24, ".....", [
        f("unsigned long", "address", 8, 8, false), f("unsigned long", "pfn", 16, 8, false),
    ], "\"address=0x%lx pfn=0x%lx\", REC->address, REC->pfn";
    PtUnshare = "tine":"pt_unshare", 32, ".....", [
        f("unsigned long", "address", 8, 8, false), f("unsigned long", "old_pfn", 16, 8, false),
        f("unsigned long", "new_pfn", 24, 8, false),
    ], "\"address=0x%lx old_pfn=0x%lx new_pfn=0x%lx\", REC->address, REC->old_pfn, REC->new_pfn";
    VforkWait = "tine":"vfork_wait", 16, ".....", [
        f("pid_t", "parent_pid", 8, 4, true), f("pid_t", "child_pid", 12, 4, true),
    ], "\"parent_pid=%d child_pid=%d\", REC->parent_pid, REC->child_pid";
    VforkDone = "tine":"vfork_done", 16, ".....", [
        f("pid_t", "parent_pid", 8, 4, true), f("pid_t", "child_pid", 12, 4, true),
    ], "\"parent_pid=%d child_pid=%d\", REC->parent_pid, REC->child_pid";
    Reparent = "tine":"reparent", 20, ".....", [
        f("pid_t", "pid", 8, 4, true), f("pid_t", "old_parent", 12, 4, true), f("pid_t", "new_parent", 16, 4, true),
    ], "\"pid=%d old_parent=%d new_parent=%d\", REC->pid, REC->old_parent, REC->new_parent";
    SetPgid = "tine":"setpgid", 20, ".....", [
        f("pid_t", "pid", 8, 4, true), f("pid_t", "pgid", 12, 4, true), f("pid_t", "sid", 16, 4, true),
    ], "\"pid=%d pgid=%d sid=%d\", REC->pid, REC->pgid, REC->sid";
    MmRss = "tine":"mm_rss", 64, ".....", [
        f("pid_t", "pid", 8, 4, true), f("unsigned long", "anon", 16, 8, false),
        f("unsigned long", "file", 24, 8, false), f("unsigned long", "shmem", 32, 8, false),
        f("unsigned long", "shared", 40, 8, false), f("unsigned long", "zero", 48, 8, false),
        f("unsigned long", "pt_shared", 56, 8, false),
    ], "\"pid=%d anon=%lu file=%lu shmem=%lu shared=%lu zero=%lu pt_shared=%lu\", REC->pid, REC->anon, REC->file, REC->shmem, REC->shared, REC->zero, REC->pt_shared";
}

/// The first event's ID (Linux numbers events as it registers them,
/// after its own fixed types; the numbers differ between builds).
pub const FIRST_ID: u16 = 300;

/// The type of a trace_marker record (Linux: TRACE_PRINT, a fixed type).
pub const PRINT_ID: u16 = 5;

/// The systems, in `events/` order, each with its events.
pub fn systems() -> impl Iterator<Item = &'static str> {
    let mut seen: Vec<&'static str> = Vec::new();
    for e in Event::ALL {
        if !seen.contains(&e.def().system) {
            seen.push(e.def().system);
        }
    }
    seen.into_iter()
}

impl Event {
    pub fn id(self) -> u16 {
        FIRST_ID + self as u16
    }

    /// The event's bit in the enabled mask.
    pub const fn bit(self) -> u64 {
        1 << self as u8
    }

    pub fn by_name(system: &str, name: &str) -> Option<Event> {
        Event::ALL.iter().copied().find(|e| e.def().system == system && e.def().name == name)
    }

    /// Linux's `format` file (trace_format_seq_ops).
    pub fn format(self) -> String {
        let d = self.def();
        let mut s = String::new();
        let _ = write!(s, "name: {}\nID: {}\nformat:\n", d.name, self.id());
        let field = |s: &mut String, x: &Field| {
            let (ty, arr) = match x.ty.find('[') {
                Some(i) => (&x.ty[..i], &x.ty[i..]),
                None => (x.ty, ""),
            };
            // `__data_loc char[]` keeps its brackets on the type.
            let (ty, arr) = if ty.starts_with("__data_loc") { (x.ty, "") } else { (ty, arr) };
            let _ = writeln!(
                s,
                "\tfield:{ty} {}{arr};\toffset:{};\tsize:{};\tsigned:{};",
                x.name, x.offset, x.size, x.signed as u8
            );
        };
        for x in &COMMON {
            field(&mut s, x);
        }
        s.push('\n');
        for x in d.fields {
            field(&mut s, x);
        }
        let _ = writeln!(s, "\nprint fmt: {}", d.print_fmt);
        s
    }
}

/// A task's comm as records keep it: 16 bytes, NUL-padded.
pub type Comm = [u8; 16];

pub fn comm(name: &[u8]) -> Comm {
    let mut c = [0u8; 16];
    let n = name.len().min(15);
    c[..n].copy_from_slice(&name[..n]);
    c
}

fn comm_str(c: &Comm) -> &str {
    let n = c.iter().position(|&b| b == 0).unwrap_or(16);
    core::str::from_utf8(&c[..n]).unwrap_or("?")
}

/// What a record holds besides the common fields: one variant per
/// record layout (Linux: the `TP_STRUCT__entry` of each event class).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Payload {
    /// sched_process_exit/free/wait (Linux: sched_process_template).
    Process {
        comm: Comm,
        pid: i32,
        prio: i32,
    },
    Fork {
        parent_comm: Comm,
        parent_pid: i32,
        child_comm: Comm,
        child_pid: i32,
    },
    Exec {
        filename: Vec<u8>,
        pid: i32,
        old_pid: i32,
    },
    /// sched_wakeup, sched_wakeup_new (Linux: sched_wakeup_template).
    Wakeup {
        comm: Comm,
        pid: i32,
        prio: i32,
        target_cpu: i32,
    },
    Switch {
        prev_comm: Comm,
        prev_pid: i32,
        prev_prio: i32,
        prev_state: i64,
        next_comm: Comm,
        next_pid: i32,
        next_prio: i32,
    },
    NewTask {
        pid: i32,
        comm: Comm,
        clone_flags: u64,
        oom_score_adj: i16,
    },
    Rename {
        pid: i32,
        oldcomm: Comm,
        newcomm: Comm,
        oom_score_adj: i16,
    },
    SignalGenerate {
        sig: i32,
        errno: i32,
        code: i32,
        comm: Comm,
        pid: i32,
        group: i32,
        result: i32,
    },
    SignalDeliver {
        sig: i32,
        errno: i32,
        code: i32,
        sa_handler: u64,
        sa_flags: u64,
    },
    SysEnter {
        id: i64,
        args: [u64; 6],
    },
    SysExit {
        id: i64,
        ret: i64,
    },
    PageFault {
        address: u64,
        ip: u64,
        error_code: u64,
    },
    /// copy_process_step, exec_step.
    Step {
        step: &'static str,
        ret: i32,
        ns: u64,
    },
    /// cow_copy, cow_reuse, pt_unshare: an address and the frame before and after.
    Frames {
        address: u64,
        old_pfn: u64,
        new_pfn: u64,
    },
    /// zero_page, pt_share: an address and its frame.
    Frame {
        address: u64,
        pfn: u64,
    },
    Vfork {
        parent_pid: i32,
        child_pid: i32,
    },
    Reparent {
        pid: i32,
        old_parent: i32,
        new_parent: i32,
    },
    /// setpgid: a process's group and session after setpgid() or setsid().
    Pgid {
        pid: i32,
        pgid: i32,
        sid: i32,
    },
    /// mm_rss: an address space's resident pages (the RSS counters) and
    /// how many of them it shares.
    MmRss {
        pid: i32,
        anon: u64,
        file: u64,
        shmem: u64,
        shared: u64,
        zero: u64,
        pt_shared: u64,
    },
    /// A trace_marker write (Linux: TRACE_PRINT, `struct print_entry`).
    Print {
        text: Vec<u8>,
    },
}

/// sched_switch's prev_state values (Linux: the TASK_REPORT bits).
pub mod state {
    pub const RUNNING: i64 = 0;
    pub const INTERRUPTIBLE: i64 = 0x1;
    pub const UNINTERRUPTIBLE: i64 = 0x2;
    pub const STOPPED: i64 = 0x4;
    /// In a ptrace stop (Linux: __TASK_TRACED): "t".
    pub const TRACED: i64 = 0x8;
    pub const DEAD: i64 = 0x10;
    pub const ZOMBIE: i64 = 0x20;
    /// Preempted while runnable (Linux: TASK_REPORT_MAX): "R+".
    pub const PREEMPTED: i64 = 0x100;
}

impl Payload {
    /// Bytes of the record's data (sizeof the C record plus its dynamic
    /// part), which is what the ring buffer charges for it.
    pub fn data_len(&self, ev: Option<Event>) -> usize {
        match self {
            Payload::Exec { filename, .. } => 20 + filename.len() + 1,
            Payload::Print { text } => 16 + text.len() + 1,
            _ => ev.map_or(8, |e| e.def().size as usize),
        }
    }

    /// The value of field `name` (as the `format` file names it), for
    /// the event filters.
    pub fn field(&self, name: &str) -> Option<super::filter::Value<'_>> {
        use super::filter::Value::{Int, Str};
        let i = |v: i64| Some(Int(v));
        match (self, name) {
            (Payload::Process { comm, .. }, "comm") => Some(Str(comm)),
            (Payload::Process { pid, .. }, "pid") => i(*pid as i64),
            (Payload::Process { prio, .. }, "prio") => i(*prio as i64),
            (Payload::Fork { parent_comm, .. }, "parent_comm") => Some(Str(parent_comm)),
            (Payload::Fork { parent_pid, .. }, "parent_pid") => i(*parent_pid as i64),
            (Payload::Fork { child_comm, .. }, "child_comm") => Some(Str(child_comm)),
            (Payload::Fork { child_pid, .. }, "child_pid") => i(*child_pid as i64),
            (Payload::Exec { filename, .. }, "filename") => Some(Str(filename)),
            (Payload::Exec { pid, .. }, "pid") => i(*pid as i64),
            (Payload::Exec { old_pid, .. }, "old_pid") => i(*old_pid as i64),
            (Payload::Wakeup { comm, .. }, "comm") => Some(Str(comm)),
            (Payload::Wakeup { pid, .. }, "pid") => i(*pid as i64),
            (Payload::Wakeup { prio, .. }, "prio") => i(*prio as i64),
            (Payload::Wakeup { target_cpu, .. }, "target_cpu") => i(*target_cpu as i64),
            (Payload::Switch { prev_comm, .. }, "prev_comm") => Some(Str(prev_comm)),
            (Payload::Switch { prev_pid, .. }, "prev_pid") => i(*prev_pid as i64),
            (Payload::Switch { prev_prio, .. }, "prev_prio") => i(*prev_prio as i64),
            (Payload::Switch { prev_state, .. }, "prev_state") => i(*prev_state),
            (Payload::Switch { next_comm, .. }, "next_comm") => Some(Str(next_comm)),
            (Payload::Switch { next_pid, .. }, "next_pid") => i(*next_pid as i64),
            (Payload::Switch { next_prio, .. }, "next_prio") => i(*next_prio as i64),
            (Payload::NewTask { pid, .. } | Payload::Rename { pid, .. }, "pid") => i(*pid as i64),
            (Payload::NewTask { comm, .. }, "comm") => Some(Str(comm)),
            (Payload::NewTask { clone_flags, .. }, "clone_flags") => i(*clone_flags as i64),
            (Payload::NewTask { oom_score_adj, .. } | Payload::Rename { oom_score_adj, .. }, "oom_score_adj") => {
                i(*oom_score_adj as i64)
            }
            (Payload::Rename { oldcomm, .. }, "oldcomm") => Some(Str(oldcomm)),
            (Payload::Rename { newcomm, .. }, "newcomm") => Some(Str(newcomm)),
            (Payload::SignalGenerate { sig, .. } | Payload::SignalDeliver { sig, .. }, "sig") => i(*sig as i64),
            (Payload::SignalGenerate { errno, .. } | Payload::SignalDeliver { errno, .. }, "errno") => i(*errno as i64),
            (Payload::SignalGenerate { code, .. } | Payload::SignalDeliver { code, .. }, "code") => i(*code as i64),
            (Payload::SignalGenerate { comm, .. }, "comm") => Some(Str(comm)),
            (Payload::SignalGenerate { pid, .. }, "pid") => i(*pid as i64),
            (Payload::SignalGenerate { group, .. }, "group") => i(*group as i64),
            (Payload::SignalGenerate { result, .. }, "result") => i(*result as i64),
            (Payload::SignalDeliver { sa_handler, .. }, "sa_handler") => i(*sa_handler as i64),
            (Payload::SignalDeliver { sa_flags, .. }, "sa_flags") => i(*sa_flags as i64),
            (Payload::SysEnter { id, .. } | Payload::SysExit { id, .. }, "id") => i(*id),
            (Payload::SysExit { ret, .. }, "ret") => i(*ret),
            (Payload::PageFault { address, .. }, "address") => i(*address as i64),
            (Payload::PageFault { ip, .. }, "ip") => i(*ip as i64),
            (Payload::PageFault { error_code, .. }, "error_code") => i(*error_code as i64),
            (Payload::Step { step, .. }, "step") => Some(Str(step.as_bytes())),
            (Payload::Step { ret, .. }, "ret") => i(*ret as i64),
            (Payload::Step { ns, .. }, "ns") => i(*ns as i64),
            (Payload::Frames { address, .. } | Payload::Frame { address, .. }, "address") => i(*address as i64),
            (Payload::Frames { old_pfn, .. }, "old_pfn") => i(*old_pfn as i64),
            (Payload::Frames { new_pfn, .. }, "new_pfn") => i(*new_pfn as i64),
            (Payload::Frame { pfn, .. }, "pfn") => i(*pfn as i64),
            (Payload::Vfork { parent_pid, .. }, "parent_pid") => i(*parent_pid as i64),
            (Payload::Vfork { child_pid, .. }, "child_pid") => i(*child_pid as i64),
            (Payload::Reparent { pid, .. }, "pid") => i(*pid as i64),
            (Payload::Reparent { old_parent, .. }, "old_parent") => i(*old_parent as i64),
            (Payload::Reparent { new_parent, .. }, "new_parent") => i(*new_parent as i64),
            (Payload::Pgid { pid, .. } | Payload::MmRss { pid, .. }, "pid") => i(*pid as i64),
            (Payload::Pgid { pgid, .. }, "pgid") => i(*pgid as i64),
            (Payload::Pgid { sid, .. }, "sid") => i(*sid as i64),
            (Payload::MmRss { anon, .. }, "anon") => i(*anon as i64),
            (Payload::MmRss { file, .. }, "file") => i(*file as i64),
            (Payload::MmRss { shmem, .. }, "shmem") => i(*shmem as i64),
            (Payload::MmRss { shared, .. }, "shared") => i(*shared as i64),
            (Payload::MmRss { zero, .. }, "zero") => i(*zero as i64),
            (Payload::MmRss { pt_shared, .. }, "pt_shared") => i(*pt_shared as i64),
            _ => None,
        }
    }

    /// The text after `name: ` (Linux: the event's TP_printk output).
    pub fn write_fields(&self, s: &mut String) {
        let _ = match self {
            Payload::Process { comm, pid, prio } => write!(s, "comm={} pid={pid} prio={prio}", comm_str(comm)),
            Payload::Fork { parent_comm, parent_pid, child_comm, child_pid } => write!(
                s,
                "comm={} pid={parent_pid} child_comm={} child_pid={child_pid}",
                comm_str(parent_comm),
                comm_str(child_comm)
            ),
            Payload::Exec { filename, pid, old_pid } => {
                write!(s, "filename={} pid={pid} old_pid={old_pid}", String::from_utf8_lossy(filename))
            }
            Payload::Wakeup { comm, pid, prio, target_cpu } => {
                write!(s, "comm={} pid={pid} prio={prio} target_cpu={target_cpu:03}", comm_str(comm))
            }
            Payload::Switch { prev_comm, prev_pid, prev_prio, prev_state, next_comm, next_pid, next_prio } => {
                let _ = write!(
                    s,
                    "prev_comm={} prev_pid={prev_pid} prev_prio={prev_prio} prev_state=",
                    comm_str(prev_comm)
                );
                write_state(s, *prev_state);
                write!(s, " ==> next_comm={} next_pid={next_pid} next_prio={next_prio}", comm_str(next_comm))
            }
            Payload::NewTask { pid, comm, clone_flags, oom_score_adj } => {
                write!(s, "pid={pid} comm={} clone_flags={clone_flags:x} oom_score_adj={oom_score_adj}", comm_str(comm))
            }
            Payload::Rename { pid, oldcomm, newcomm, oom_score_adj } => write!(
                s,
                "pid={pid} oldcomm={} newcomm={} oom_score_adj={oom_score_adj}",
                comm_str(oldcomm),
                comm_str(newcomm)
            ),
            Payload::SignalGenerate { sig, errno, code, comm, pid, group, result } => write!(
                s,
                "sig={sig} errno={errno} code={code} comm={} pid={pid} grp={group} res={result}",
                comm_str(comm)
            ),
            Payload::SignalDeliver { sig, errno, code, sa_handler, sa_flags } => {
                write!(s, "sig={sig} errno={errno} code={code} sa_handler={sa_handler:x} sa_flags={sa_flags:x}")
            }
            Payload::SysEnter { id, args: a } => {
                write!(s, "NR {id} ({:x}, {:x}, {:x}, {:x}, {:x}, {:x})", a[0], a[1], a[2], a[3], a[4], a[5])
            }
            Payload::SysExit { id, ret } => write!(s, "NR {id} = {ret}"),
            // %ps of a user address: no symbol, so its value in hex.
            Payload::PageFault { address, ip, error_code } => {
                write!(s, "address={address:#x} ip={ip:#x} error_code={error_code:#x}")
            }
            Payload::Step { step, ret, ns } => write!(s, "step={step} ret={ret} ns={ns}"),
            Payload::Frames { address, old_pfn, new_pfn } => {
                write!(s, "address={address:#x} old_pfn={old_pfn:#x} new_pfn={new_pfn:#x}")
            }
            Payload::Frame { address, pfn } => write!(s, "address={address:#x} pfn={pfn:#x}"),
            Payload::Vfork { parent_pid, child_pid } => write!(s, "parent_pid={parent_pid} child_pid={child_pid}"),
            Payload::Reparent { pid, old_parent, new_parent } => {
                write!(s, "pid={pid} old_parent={old_parent} new_parent={new_parent}")
            }
            Payload::Pgid { pid, pgid, sid } => write!(s, "pid={pid} pgid={pgid} sid={sid}"),
            Payload::MmRss { pid, anon, file, shmem, shared, zero, pt_shared } => write!(
                s,
                "pid={pid} anon={anon} file={file} shmem={shmem} shared={shared} zero={zero} pt_shared={pt_shared}"
            ),
            Payload::Print { text } => {
                s.push_str(&String::from_utf8_lossy(text));
                Ok(())
            }
        };
    }
}

/// sched_switch's `%s%s` of prev_state: the state letters joined by `|`
/// (or `R`), then `+` for a preempted task.
fn write_state(s: &mut String, v: i64) {
    const NAMES: [(i64, &str); 8] =
        [(0x1, "S"), (0x2, "D"), (0x4, "T"), (0x8, "t"), (0x10, "X"), (0x20, "Z"), (0x40, "P"), (0x80, "I")];
    let bits = v & (state::PREEMPTED - 1);
    if bits == 0 {
        s.push('R');
    } else {
        let mut first = true;
        for (b, n) in NAMES {
            if bits & b != 0 {
                if !first {
                    s.push('|');
                }
                s.push_str(n);
                first = false;
            }
        }
    }
    if v & state::PREEMPTED != 0 {
        s.push('+');
    }
}
