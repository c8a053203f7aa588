//! /proc/<pid>/stat and status (Linux: fs/proc/array.c).

#[allow(unused_imports)]
use super::*;

// ---- /proc/<pid>/stat -----------------------------------------------------

/// The fields of /proc/<pid>/stat (Linux: do_task_stat()). Times are in
/// clock ticks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TaskStat {
    pub pid: Pid,
    pub comm: Vec<u8>,
    pub state: u8,
    pub ppid: Pid,
    pub pgrp: Pid,
    pub session: Pid,
    /// The controlling terminal's device number (new_encode_dev()) and
    /// foreground process group, if the session has one.
    pub ctty: Option<(u64, Pid)>,
    pub flags: u64,
    pub minflt: u64,
    pub cminflt: u64,
    pub utime: u64,
    pub stime: u64,
    pub cutime: u64,
    pub cstime: u64,
    pub num_threads: u64,
    pub starttime: u64,
    pub vsize: u64,
    pub rss: u64,
    pub rsslim: u64,
    pub start_code: u64,
    pub end_code: u64,
    pub signal: u64,
    pub blocked: u64,
    pub sigignore: u64,
    pub sigcatch: u64,
    pub wchan: u64,
    pub exit_signal: i64,
    /// The CPU it runs or last ran on (Linux: task_cpu()).
    pub processor: u32,
    pub start_brk: u64,
    /// Where the argument and environment strings are; zero for a
    /// reader without the right to inspect the process.
    pub args: crate::mm::aspace::ArgArea,
    pub exit_code: i64,
}

/// The device number of process `tgid`'s controlling terminal (session
/// `sid`): the console's, for its session unless the process gave it up
/// (Linux: `signal->tty`, tty_devnum()).
fn ctty_of(k: &Kernel, tgid: Pid, sid: Pid) -> Option<u64> {
    (k.vfs.tty.session == Some(sid) && !k.vfs.tty.detached.contains(&tgid)).then_some(crate::fs::DEV_TTYS0)
}

/// Linux: PF_EXITING and PF_FORKNOEXEC.
pub(super) const PF_EXITING: u64 = 0x4;
pub(super) const PF_FORKNOEXEC: u64 = 0x40;

/// Process ids as PID namespace `view` numbers them (Linux:
/// do_task_stat() with the proc sb's pid_ns).
pub(super) fn task_stat(k: &Kernel, view: View, t: &Task, whole: bool) -> TaskStat {
    let sig = k.sig.signals().get(t.signal);
    let hand = k.sig.sighands().get(t.sighand);
    let (ign, catch) = ign_catch(&hand.action);
    let (utime, stime) = if whole {
        // Every thread's, exited ones included (Linux: do_task_stat()
        // with thread_group_cputime_adjusted()).
        k.process_cputime(t.signal)
    } else {
        k.thread_cputime(t.tid)
    };
    let mm = task_mm(k, t);
    let exec = mm.and_then(|mm| mm.vmas().find(|v| v.prot.contains(Prot::EXEC)).copied());
    // Linux: the layout only to a reader who may ptrace-read the process
    // (do_task_stat()'s `permitted`); code bounds show as 1 otherwise.
    let permitted = may_inspect(k, t).is_ok();
    let code = |addr: u64| if permitted { addr } else { 1 };
    let mut flags = 0;
    if !t.did_exec {
        flags |= PF_FORKNOEXEC;
    }
    if !has_resources(t) {
        flags |= PF_EXITING;
    }
    TaskStat {
        pid: nr(k, view, t.tid),
        comm: t.comm.clone(),
        state: state_name(t).as_bytes()[0],
        ppid: ppid_of(k, view, t),
        pgrp: nr(k, view, sig.pgid),
        session: nr(k, view, sig.sid),
        ctty: ctty_of(k, t.tgid, sig.sid).map(|dev| (dev, nr(k, view, k.vfs.tty.pgrp.unwrap_or(0)))),
        flags,
        minflt: if whole { sig.min_flt } else { t.min_flt },
        cminflt: sig.cmin_flt,
        utime: utime / NS_PER_TICK,
        stime: stime / NS_PER_TICK,
        cutime: sig.cutime_ns / NS_PER_TICK,
        cstime: sig.cstime_ns / NS_PER_TICK,
        num_threads: threads_of(k, t.tgid).count() as u64,
        starttime: t.start_ns / NS_PER_TICK,
        vsize: mm.map_or(0, |mm| mm.vmas().map(|v| v.size()).sum()),
        rss: mm.map_or(0, |mm| mm.resident_pages() as u64),
        rsslim: sig.rlimits[5].cur,
        start_code: mm.map_or(0, |_| code(exec.map_or(0, |v| v.start))),
        end_code: mm.map_or(0, |_| code(exec.map_or(0, |v| v.end))),
        signal: t.sigpending.bits() & 0x7fff_ffff,
        blocked: t.sigmask.bits() & 0x7fff_ffff,
        sigignore: ign & 0x7fff_ffff,
        sigcatch: catch & 0x7fff_ffff,
        wchan: (t.state != TaskState::Runnable) as u64,
        exit_signal: if t.is_leader() { t.exit_signal as i64 } else { -1 },
        processor: t.cpu,
        start_brk: mm.filter(|_| permitted).map_or(0, |mm| mm.start_brk()),
        args: mm.filter(|_| permitted).map(|mm| mm.args).unwrap_or_default(),
        exit_code: if has_resources(t) { 0 } else { t.exit_code as i64 },
    }
}

/// The ignored and caught signal sets (Linux: collect_sigign_sigcatch()).
pub(super) fn ign_catch(actions: &[crate::proc::SigAction; 64]) -> (u64, u64) {
    let (mut ign, mut catch) = (0, 0);
    for (i, a) in actions.iter().enumerate() {
        if a.handler == SIG_IGN {
            ign |= 1 << i;
        } else if a.handler != SIG_DFL {
            catch |= 1 << i;
        }
    }
    (ign, catch)
}

/// The 52 fields of a stat line, in Linux's order and format.
pub fn format_stat(s: &TaskStat) -> String {
    let mut o = String::new();
    let _ = write!(o, "{} (", s.pid);
    o.push_str(&String::from_utf8_lossy(&s.comm));
    let _ = write!(o, ") {} {} {} {}", s.state as char, s.ppid, s.pgrp, s.session);
    // tty_nr and tpgid (0 and -1 without a controlling terminal; the
    // terminal's foreground group, 0 if it has none: Linux's
    // do_task_stat()).
    match s.ctty {
        Some((dev, tpgid)) => write!(o, " {dev} {tpgid}"),
        None => write!(o, " 0 -1"),
    }
    .expect("a String takes any write");
    // flags, minflt, cminflt, majflt, cmajflt (no fault here waits for a
    // disk).
    let _ = write!(o, " {} {} {} 0 0", s.flags, s.minflt, s.cminflt);
    let _ = write!(o, " {} {} {} {}", s.utime, s.stime, s.cutime, s.cstime);
    // priority, nice (Linux: task_prio() of a SCHED_NORMAL nice-0 task is 20).
    let _ = write!(o, " 20 0 {} 0 {} {} {} {}", s.num_threads, s.starttime, s.vsize, s.rss, s.rsslim);
    // startcode endcode startstack kstkesp kstkeip.
    let _ = write!(o, " {} {} 0 0 0", s.start_code, s.end_code);
    let _ = write!(o, " {} {} {} {} {}", s.signal, s.blocked, s.sigignore, s.sigcatch, s.wchan);
    // nswap cnswap exit_signal processor rt_priority policy
    // delayacct_blkio_ticks guest_time cguest_time.
    let _ = write!(o, " 0 0 {} {} 0 0 0 0 0", s.exit_signal, s.processor);
    // start_data end_data start_brk arg_start arg_end env_start env_end.
    let a = &s.args;
    let _ = write!(o, " 0 0 {} {} {} {} {}", s.start_brk, a.arg_start, a.arg_end, a.env_start, a.env_end);
    let _ = writeln!(o, " {}", s.exit_code);
    o
}

// ---- /proc/<pid>/status ---------------------------------------------------

/// Page counts of an address space (Linux: mm->total_vm, data_vm,
/// stack_vm, exec_vm and the RSS counters).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VmStats {
    pub total: u64,
    /// Resident pages: anonymous, file and shared-memory ones (VmRSS is
    /// their sum).
    pub anon: u64,
    pub file: u64,
    pub shmem: u64,
    pub data: u64,
    pub stack: u64,
    pub exec: u64,
    pub pte_kb: u64,
    /// Pages of locked mappings (mlock): VmLck.
    pub locked: u64,
    /// The most pages ever resident: VmHWM.
    pub hwm: u64,
}

impl VmStats {
    /// Every resident page. Linux: get_mm_rss().
    pub fn rss(&self) -> u64 {
        self.anon + self.file + self.shmem
    }

    /// Resident pages that may be shared with other processes: file and
    /// shared-memory ones (statm's third field). Linux: task_statm().
    pub fn shared(&self) -> u64 {
        self.file + self.shmem
    }
}

pub(super) fn vm_stats(k: &Kernel, mm: &AddressSpace) -> VmStats {
    let rss = mm.resident();
    let mut v = VmStats {
        anon: rss.anon as u64,
        file: rss.file as u64,
        shmem: rss.shmem as u64,
        locked: mm.locked_pages(),
        hwm: mm.hiwater_pages() as u64,
        ..VmStats::default()
    };
    for vma in mm.vmas() {
        let pages = vma.size() / 4096;
        v.total += pages;
        let stack = vma.flags.contains(VmFlags::GROWSDOWN);
        let write = vma.prot.contains(Prot::WRITE);
        if stack {
            v.stack += pages;
        } else if write && !vma.is_shared() {
            v.data += pages;
        } else if vma.prot.contains(Prot::EXEC) && !write {
            v.exec += pages;
        }
    }
    v.pte_kb = mm.table_frames(k.m.mem) as u64 * 4;
    v
}

/// The Vm lines of a status file (Linux: task_mem()).
pub fn format_vm(o: &mut String, v: &VmStats) {
    let kb = |pages: u64| pages * 4;
    let rows: [(&str, u64); 16] = [
        ("VmPeak", kb(v.total)),
        ("VmSize", kb(v.total)),
        ("VmLck", kb(v.locked)),
        ("VmPin", 0),
        ("VmHWM", kb(v.hwm.max(v.rss()))),
        ("VmRSS", kb(v.rss())),
        ("RssAnon", kb(v.anon)),
        ("RssFile", kb(v.file)),
        ("RssShmem", kb(v.shmem)),
        ("VmData", kb(v.data)),
        ("VmStk", kb(v.stack)),
        ("VmExe", kb(v.exec)),
        ("VmLib", 0),
        ("VmPTE", v.pte_kb),
        ("VmSwap", 0),
        ("HugetlbPages", 0),
    ];
    for (name, val) in rows {
        let _ = writeln!(o, "{name}:\t{val:>8} kB");
    }
}

/// Linux: proc_task_name() with escaping: `\` and newline are escaped.
pub(super) fn escaped_name(comm: &[u8]) -> String {
    let mut s = String::new();
    for &c in comm {
        match c {
            b'\\' => s.push_str("\\\\"),
            b'\n' => s.push_str("\\n"),
            c => s.push(c as char),
        }
    }
    s
}

/// Linux: the FDSize of a table with `slots` slots: 64 at first, then
/// grown in powers of two times 128 descriptors (alloc_fdtable()).
pub fn fd_size(slots: usize) -> usize {
    if slots <= 64 {
        return 64;
    }
    let nr = slots - 1;
    128 * (nr / 128 + 1).next_power_of_two()
}

/// /proc/<pid>/status (Linux: proc_pid_status()).
pub(super) fn status(k: &Kernel, view: View, t: &Task, out: &mut Out) {
    let mut o = String::new();
    let sig = k.sig.signals().get(t.signal);
    let c = t.cred;
    let _ = writeln!(o, "Name:\t{}", escaped_name(&t.comm));
    if has_resources(t) {
        let _ = writeln!(o, "Umask:\t{:04o}", k.vfs.fs_structs.get(t.fs).umask);
    }
    let _ = writeln!(o, "State:\t{}", state_name(t));
    // Linux: the tracing thread's id (task_pid_nr_ns(), not its
    // process's), in the proc's PID namespace; 0 when not traced, or when
    // the tracer has no number there.
    let tracer = t.ptrace.tracer().map_or(0, |tr| nr(k, view, tr));
    let (tgid, pid, ppid) = (nr(k, view, t.tgid), nr(k, view, t.tid), ppid_of(k, view, t));
    let _ = writeln!(
        o,
        "Tgid:	{tgid}
Ngid:	0
Pid:	{pid}
PPid:	{ppid}
TracerPid:	{tracer}"
    );
    // The ids as the reader's user namespace names them.
    use crate::ns::user::IdKind::{Gid, Uid};
    let (u, g) = (|id| k.id_to_user(Uid, id), |id| k.id_to_user(Gid, id));
    let _ = writeln!(o, "Uid:\t{}\t{}\t{}\t{}", u(c.uid), u(c.euid), u(c.suid), u(c.fsuid));
    let _ = writeln!(o, "Gid:\t{}\t{}\t{}\t{}", g(c.gid), g(c.egid), g(c.sgid), g(c.fsgid));
    let fds = if has_resources(t) { fd_size(k.vfs.fdtables.get(t.files).slots()) } else { 0 };
    let groups: Vec<String> = t.groups.iter().map(|&id| format!("{}", g(id))).collect();
    // Linux keeps a trailing space after the list, even an empty one.
    let _ = writeln!(o, "FDSize:\t{fds}\nGroups:\t{} ", groups.join(" "));
    // Each number in every PID namespace the task has one in, from the
    // proc instance's down to the task's own (Linux: the NS* lines of
    // proc_pid_status()).
    let from = k.ns.pid.get(view).level() as usize;
    let levels = k.ns.pid.levels(t.tid);
    let line = |pid: Pid| -> String {
        let nrs: Vec<String> = levels.iter().skip(from).map(|&ns| format!("{}", k.ns.pid.nr_in(pid, ns))).collect();
        nrs.join("\t")
    };
    let _ = writeln!(
        o,
        "NStgid:\t{}\nNSpid:\t{}\nNSpgid:\t{}\nNSsid:\t{}\nKthread:\t0",
        line(t.tgid),
        line(t.tid),
        line(sig.pgid),
        line(sig.sid)
    );
    if let Some(mm) = task_mm(k, t) {
        format_vm(&mut o, &vm_stats(k, mm));
        let _ = writeln!(o, "CoreDumping:\t0\nTHP_enabled:\t0\nuntag_mask:\t{:#x}", u64::MAX);
    }
    let threads = threads_of(k, t.tgid).count();
    let queued = (t.sigpending.bits().count_ones() + sig.shared_pending.bits().count_ones()) as u64;
    let _ = writeln!(o, "Threads:\t{threads}\nSigQ:\t{queued}/{}", sig.rlimits[11].cur);
    let (ign, catch) = ign_catch(&k.sig.sighands().get(t.sighand).action);
    for (name, set) in [
        ("SigPnd", t.sigpending.bits()),
        ("ShdPnd", sig.shared_pending.bits()),
        ("SigBlk", t.sigmask.bits()),
        ("SigIgn", ign),
        ("SigCgt", catch),
    ] {
        let _ = writeln!(o, "{name}:\t{set:016x}");
    }
    let caps = c.caps;
    let _ = writeln!(
        o,
        "CapInh:\t{:016x}\nCapPrm:\t{:016x}\nCapEff:\t{:016x}",
        caps.inheritable, caps.permitted, caps.effective
    );
    let _ = writeln!(o, "CapBnd:\t{:016x}\nCapAmb:\t{:016x}", caps.bset, caps.ambient);
    let _ = writeln!(o, "NoNewPrivs:\t0\nSeccomp:\t0\nSeccomp_filters:\t0");
    let _ = writeln!(o, "Speculation_Store_Bypass:\tunknown\nSpeculationIndirectBranch:\tunsupported");
    let _ = writeln!(o, "Cpus_allowed:\t1\nCpus_allowed_list:\t0");
    // MAX_NUMNODES = 1024 (CONFIG_NODES_SHIFT=10, as distribution kernels).
    let _ = write!(o, "Mems_allowed:\t");
    for _ in 0..31 {
        o.push_str("00000000,");
    }
    let _ = writeln!(o, "00000001\nMems_allowed_list:\t0");
    let _ = writeln!(o, "voluntary_ctxt_switches:\t{}\nnonvoluntary_ctxt_switches:\t{}", t.nvcsw, t.nivcsw);
    out.0 = o.into_bytes();
}
