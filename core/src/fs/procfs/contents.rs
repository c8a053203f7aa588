//! What the files of /proc say: the dispatch over nodes, /proc/mounts and
//! mountinfo from the mount table, /proc/stat and cpuinfo (Linux:
//! fs/proc/proc_namespace.c, fs/proc/stat.c, arch/x86/kernel/cpu/proc.c).

#[allow(unused_imports)]
use super::*;

// ---------------------------------------------------------------------------
// Contents

/// /proc/<pid>/mounts (`info` false) or mountinfo (`info` true) from the
/// mount table of task `t`'s mount namespace (empty for a zombie). Linux:
/// show_vfsmnt(), show_mountinfo() in fs/proc_namespace.c. Mounts no path
/// leads to are left out, as Linux leaves out what lies outside the
/// reader's root. All mounts are private (no peer groups): the optional
/// fields are empty, as Linux shows them for a private mount.
pub(super) fn mounts_text(k: &Kernel, t: &Task, info: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let Some(table) = k.mounts_of(t.nsproxy) else { return out };
    // Mount points are named from the task's root; mounts outside it
    // are left out (Linux: seq_path_root() → SEQ_SKIP).
    let Some(root) = k.vfs.fs_structs.try_get(t.fs).map(|f| crate::fs::root::root_pos(&k.vfs.fs, table, f.root)) else {
        return out;
    };
    for m in table.iter() {
        let Some(sb) = k.vfs.fs.supers.get(m.sb) else { continue };
        let Ok((at, true)) = k.vfs.fs.path_from(table, root, m.id, m.root) else { continue };
        let ro = if m.flags.contains(MntFlags::RDONLY) || sb.readonly { "ro" } else { "rw" };
        if info {
            let mnt_ro = if m.flags.contains(MntFlags::RDONLY) { "ro" } else { "rw" };
            let sb_ro = if sb.readonly { "ro" } else { "rw" };
            // The root of the mount within its file system (a bind mount
            // of a directory shows that directory).
            let root = if sb.fstype.in_ram() { k.vfs.fs.path_below(sb.root, m.root) } else { b"/".to_vec() };
            let ids = format!("{} {} {}:{} ", m.id, m.parent, dev_major(sb.dev), dev_minor(sb.dev));
            out.extend_from_slice(ids.as_bytes());
            mangle(&mut out, &root);
            out.push(b' ');
            mangle(&mut out, &at);
            out.extend_from_slice(b" ");
            out.extend_from_slice(mnt_ro.as_bytes());
            m.flags.show(&mut out);
            out.extend_from_slice(b" - ");
            out.extend_from_slice(sb.fstype.name().as_bytes());
            out.push(b' ');
            mangle(&mut out, &m.source);
            out.push(b' ');
            out.extend_from_slice(sb_ro.as_bytes());
            sb.show_options(&mut out);
        } else {
            mangle(&mut out, &m.source);
            out.push(b' ');
            mangle(&mut out, &at);
            out.push(b' ');
            out.extend_from_slice(sb.fstype.name().as_bytes());
            out.push(b' ');
            out.extend_from_slice(ro.as_bytes());
            m.flags.show(&mut out);
            sb.show_options(&mut out);
            out.extend_from_slice(b" 0 0");
        }
        out.push(b'\n');
    }
    out
}

/// Linux: mangle(): space, tab, newline and backslash as octal escapes.
pub(super) fn mangle(out: &mut Vec<u8>, s: &[u8]) {
    for &c in s {
        if matches!(c, b' ' | b'\t' | b'\n' | b'\\') {
            out.extend_from_slice(format!("\\{c:03o}").as_bytes());
        } else {
            out.push(c);
        }
    }
}

/// Generate a proc file's text.
pub(super) fn generate(k: &Kernel, view: View, node: Node) -> SysResult<Vec<u8>> {
    let mut o = Out(Vec::new());
    match node {
        Node::Global(Global::Meminfo) => o.0 = format_meminfo(&mem_info(k)).into_bytes(),
        Node::Global(Global::Uptime) => {
            let up = k.now_ns();
            let (_, _, idle) = cpu_time_ns(k);
            let secs = |ns: u64| (ns / 1_000_000_000, ns / 10_000_000 % 100);
            let ((us, uc), (is, ic)) = (secs(up), secs(idle));
            let _ = writeln!(o, "{us}.{uc:02} {is}.{ic:02}");
        }
        Node::Global(Global::Loadavg) => {
            // Linux: loadavg_proc_show(): the averages, nr_running(),
            // nr_threads and the last PID handed out.
            let total = k.nr_threads();
            let _ = writeln!(o, "{} {}/{total} {}", k.time.loadavg().show(), k.nr_running(), k.proc.pids().last());
        }
        Node::Global(Global::Stat) => proc_stat(k, &mut o),
        Node::Global(Global::Vmstat) => vmstat(k, &mut o),
        Node::Sysvipc(Sysvipc::Sem) => k.ipc.sem().proc_text(&mut o.0),
        Node::Sysvipc(Sysvipc::Msg) => k.ipc.msg().proc_text(&mut o.0),
        Node::Sysvipc(Sysvipc::Shm) => k.shm_proc_text(&mut o.0),
        Node::Global(Global::Filesystems) => {
            o.0 = b"nodev\trootfs\nnodev\tramfs\nnodev\tproc\nnodev\ttracefs\n".to_vec()
        }
        Node::Global(Global::Cpuinfo) => cpuinfo(k, &mut o),
        Node::Global(Global::Version) => {
            let _ = writeln!(o, "{}", super::banner());
        }
        Node::Sysctl(s) => {
            let _ = match s {
                Sysctl::PidMax => writeln!(o, "{}", k.proc.pids().pid_max()),
                Sysctl::NsLastPid => {
                    let ns = k.active_pid_ns();
                    let last = if ns == k.ns.pid.init() { k.proc.pids().last() } else { k.ns.pid.last(ns) };
                    writeln!(o, "{last}")
                }
                Sysctl::ThreadsMax => writeln!(o, "{}", k.proc.max_threads()),
                Sysctl::MaxIpcNamespaces
                | Sysctl::MaxMntNamespaces
                | Sysctl::MaxPidNamespaces
                | Sysctl::MaxUserNamespaces
                | Sysctl::MaxUtsNamespaces => {
                    let kind = s.ucount().expect("a /proc/sys/user file");
                    writeln!(o, "{}", k.ns.user.max(k.cur().cred.user_ns, kind))
                }
                Sysctl::Osrelease => writeln!(o, "{OSRELEASE}"),
                Sysctl::Ostype => writeln!(o, "{OSTYPE}"),
                Sysctl::FailPageAlloc => writeln!(o, "{}", k.mem.frames().injection().describe()),
                Sysctl::Failslab => writeln!(o, "{}", crate::mm::kheap::FAILSLAB.lock().describe()),
                Sysctl::CorePattern => {
                    o.0.extend_from_slice(&k.proc.core().pattern);
                    writeln!(o)
                }
                Sysctl::CoreUsesPid => writeln!(o, "{}", k.proc.core().uses_pid as u8),
                Sysctl::DmesgRestrict => writeln!(o, "{}", k.klog.borrow().dmesg_restrict as u8),
                Sysctl::HungTaskTimeoutSecs => writeln!(o, "{}", k.hung_task_timeout_secs()),
                Sysctl::Printk => write!(o, "{}", k.klog.borrow().printk_text()),
                Sysctl::Sem => {
                    let l = k.ipc.sem().limits;
                    writeln!(o, "{}\t{}\t{}\t{}", l.msl, l.mns, l.opm, l.mni)
                }
                Sysctl::Msgmax => writeln!(o, "{}", k.ipc.msg().limits.max),
                Sysctl::LeaseBreakTime => writeln!(o, "{}", k.vfs.lease_break_time),
                Sysctl::Msgmnb => writeln!(o, "{}", k.ipc.msg().limits.mnb),
                Sysctl::Msgmni => writeln!(o, "{}", k.ipc.msg().limits.mni),
                Sysctl::Tainted => writeln!(o, "0"),
                Sysctl::AdminReserveKbytes => writeln!(o, "{}", k.mem.frames().commit.admin_reserve_kbytes),
                Sysctl::OvercommitKbytes => writeln!(o, "{}", k.mem.frames().commit.kbytes),
                Sysctl::OvercommitMemory => writeln!(o, "{}", k.mem.frames().commit.mode as u8),
                Sysctl::OvercommitRatio => writeln!(o, "{}", k.mem.frames().commit.ratio),
                Sysctl::UserReserveKbytes => writeln!(o, "{}", k.mem.frames().commit.user_reserve_kbytes),
                // Write-only (mode 0200): reading it is EACCES at open.
                Sysctl::DropCaches => Ok(()),
                Sysctl::PipeMaxSize => writeln!(o, "{}", k.vfs.pipes.limits.max_size),
                Sysctl::PipeUserPagesHard => writeln!(o, "{}", k.vfs.pipes.limits.user_pages_hard),
                Sysctl::PipeUserPagesSoft => writeln!(o, "{}", k.vfs.pipes.limits.user_pages_soft),
            };
        }
        Node::Pid { tid, whole, entry } => {
            let t = task(k, tid)?;
            match entry {
                PidEntry::Stat => o.0 = format_stat(&task_stat(k, view, t, whole)).into_bytes(),
                PidEntry::Status => status(k, view, t, &mut o),
                PidEntry::Statm => {
                    let v = task_mm(k, t).map(|mm| vm_stats(k, mm)).unwrap_or_default();
                    let _ = writeln!(o, "{} {} {} {} 0 {} 0", v.total, v.rss(), v.shared(), v.exec, v.data + v.stack);
                }
                PidEntry::Comm => {
                    o.0 = t.comm.clone();
                    o.0.push(b'\n');
                }
                PidEntry::Maps => {
                    if let Some(mm) = task_mm(k, t) {
                        maps(k, mm, &mut o.0);
                    }
                }
                PidEntry::Limits => limits(k, t, &mut o),
                PidEntry::Mounts => o.0 = mounts_text(k, t, false),
                PidEntry::Mountinfo => o.0 = mounts_text(k, t, true),
                PidEntry::Auxv => {
                    if let Some(mm) = task_mm(k, t) {
                        o.0 = mm.saved_auxv.iter().flat_map(|w| w.to_le_bytes()).collect();
                    }
                }
                PidEntry::Personality => {
                    let _ = writeln!(o, "{:08x}", t.personality);
                }
                // Read from the process's memory where asked (`inode::read`).
                PidEntry::Cmdline | PidEntry::Environ | PidEntry::Pagemap | PidEntry::Mem => {}
                e @ (PidEntry::UidMap | PidEntry::GidMap | PidEntry::Setgroups) => o.0 = id_map::show(k, t, e),
                _ => return Err(EISDIR),
            }
        }
        Node::FdInfo { tid, fd, .. } => o.0 = fdinfo_text(k, view, tid, fd)?,
        // A namespace has no text; a descriptor on it is for setns(2).
        Node::NsFile(_) => {}
        _ => return Err(EISDIR),
    }
    Ok(o.0)
}

/// A byte buffer `write!` can format into.
pub(super) struct Out(pub(super) Vec<u8>);

impl core::fmt::Write for Out {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// The machine's CPU time so far, in ns: (user, system, idle), with the
/// stretch in progress (the reader's own, or the idle context's) added
/// where it belongs (Linux: the per-CPU kernel_cpustat, which
/// get_idle_time() and the vtime readers bring up to date the same way).
pub(super) fn cpu_time_ns(k: &Kernel) -> (u64, u64, u64) {
    let s = k.time.kstat();
    let (pu, ps) = k.uncharged_ns();
    match k.sched.current() {
        Some(_) => (s.user_ns + pu, s.system_ns + ps, s.idle_ns),
        None => (s.user_ns, s.system_ns, s.idle_ns + pu + ps),
    }
}

/// /proc/stat (Linux: fs/proc/stat.c show_stat()), a `cpuN` line per CPU: every
/// number from a counter kept as things happen, none from a scan.
pub(super) fn proc_stat(k: &Kernel, o: &mut Out) {
    let (user, system, idle) = cpu_time_ns(k);
    let (u, s, i) = (user / NS_PER_TICK, system / NS_PER_TICK, idle / NS_PER_TICK);
    // Steal: what a CPU spent waiting for the kernel lock, charged to no
    // task (`Kernel::lock_waited`); Linux counts there the time a
    // hypervisor ran something else, which a CPU of Tine's spinning at
    // the lock is, from its own point of view.
    let steal_ns = &k.time.kstat().steal_ns;
    let st = steal_ns.iter().sum::<u64>() / NS_PER_TICK;
    // user nice system idle iowait irq softirq steal guest guest_nice
    let _ = writeln!(o, "cpu  {u} 0 {s} {i} 0 0 0 {st} 0 0");
    if k.sched.online() == 1 {
        let _ = writeln!(o, "cpu0 {u} 0 {s} {i} 0 0 0 {st} 0 0");
    }
    for c in (0..k.sched.online()).filter(|_| k.sched.online() > 1) {
        let [mut user, mut system, mut idle] = k.time.kstat().cpu_ns[c];
        if c == k.sched.this_cpu() {
            let (pu, ps) = k.uncharged_ns();
            match k.sched.current() {
                Some(_) => (user, system) = (user + pu, system + ps),
                None => idle += pu + ps,
            }
        }
        let (u, s, i) = (user / NS_PER_TICK, system / NS_PER_TICK, idle / NS_PER_TICK);
        let st = steal_ns[c] / NS_PER_TICK;
        let _ = writeln!(o, "cpu{c} {u} 0 {s} {i} 0 0 0 {st} 0 0");
    }
    let _ = write!(o, "intr {}", k.time.kstat().irqs_sum());
    for n in k.time.kstat().irqs {
        let _ = write!(o, " {n}");
    }
    let _ = writeln!(o);
    let _ = writeln!(o, "ctxt {}", k.time.kstat().ctxt);
    let _ = writeln!(o, "btime {}", k.m.clock.boot_epoch_ns() / 1_000_000_000);
    let _ = writeln!(o, "processes {}", k.proc.forks());
    let _ = writeln!(o, "procs_running {}", k.nr_running());
    // Linux shows nr_iowait(); a Tine task waits for no device, and its
    // only uninterruptible sleep is a vfork parent's.
    let _ = writeln!(o, "procs_blocked {}", k.sched.nr_uninterruptible());
    // Tine has no softirqs: the total and the ten kinds, all 0.
    let _ = writeln!(o, "softirq 0 0 0 0 0 0 0 0 0 0 0");
}

/// /proc/vmstat (Linux: vmstat_start()/vmstat_show() in mm/vmstat.c):
/// `name value` lines, the zone counters first, then the events.
pub(super) fn vmstat(k: &Kernel, o: &mut Out) {
    let _ = writeln!(o, "nr_free_pages {}", k.mem.frames().stats().free);
    for (name, n) in k.mem.frames().events.iter() {
        let _ = writeln!(o, "{name} {n}");
    }
}

/// /proc/cpuinfo, a block per CPU, its flags those the boot CPU's
/// capabilities name (Linux: show_cpuinfo(); see `cpufeature`).
pub(super) fn cpuinfo(k: &Kernel, o: &mut Out) {
    let flags: Vec<&str> = k.caps.flags().collect();
    let n = k.sched.online();
    for c in 0..n {
        let _ = write!(
            o,
            "processor\t: {c}\nphysical id\t: 0\nsiblings\t: {n}\ncore id\t\t: {c}\ncpu cores\t: {n}\nflags\t\t: {}\n\n",
            flags.join(" ")
        );
    }
}
