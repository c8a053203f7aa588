//! Small calls busybox and libc use that need little state: sync, CPU
//! affinity, scheduling priority (nice), file system statistics.

use crate::abi::*;
use crate::kernel::Kernel;

/// sync(2), syncfs(2), fdatasync(2): the RAM file system has nothing to
/// write back.
pub fn sync(_k: &mut Kernel) -> SysResult {
    Ok(0)
}

/// Linux: sched_getaffinity(): the task's mask, of the CPUs online. The
/// length must hold a whole number of longs and at least the CPUs there
/// are; the answer is the size of the kernel's mask (one long).
pub fn sched_getaffinity(k: &mut Kernel, pid: i32, len: u64, mask: u64) -> SysResult {
    if len < 8 || !len.is_multiple_of(8) {
        return Err(EINVAL);
    }
    if pid < 0 {
        return Err(ESRCH);
    }
    let tid = if pid == 0 { k.cur().tid } else { k.find_vpid(pid as u32) };
    let Some(t) = k.proc.tasks().get(&tid) else { return Err(ESRCH) };
    let m = t.cpus_allowed & k.sched.online_mask();
    k.write_val(mask, &m)?;
    Ok(8)
}

/// Linux: getcpu(): the CPU running the caller, of node 0, each written
/// only if asked for (the third argument, a cache, has been ignored since
/// 2.6.24).
pub fn getcpu(k: &mut Kernel, cpu: u64, node: u64) -> SysResult {
    if cpu != 0 {
        let c = k.sched.this_cpu() as u32;
        k.write_val(cpu, &c)?;
    }
    if node != 0 {
        k.write_val(node, &0u32)?;
    }
    Ok(0)
}

/// Linux: sched_setaffinity(): the mask is read first (EFAULT; a shorter
/// one is taken as zeros beyond its end, a longer one cut to the kernel's
/// long), then the target found (ESRCH); another user's process needs
/// CAP_SYS_NICE (check_same_owner(): the caller's effective uid is its
/// real or effective uid). A mask with no CPU online is EINVAL. A task
/// running on a CPU it no longer may leaves it at once (its CPU
/// reschedules), one waiting for such a CPU moves to another's queue
/// (`Kernel::affinity_changed`).
pub fn sched_setaffinity(k: &mut Kernel, pid: i32, len: u64, mask: u64) -> SysResult {
    let mut b = [0u8; 8];
    let n = (len as usize).min(8);
    k.copy_in(mask, &mut b[..n])?;
    if pid < 0 || (pid > 0 && !k.proc.tasks().contains_key(&k.find_vpid(pid as u32))) {
        return Err(ESRCH);
    }
    let me = k.cur().cred;
    let tid = if pid == 0 { k.cur().tid } else { k.find_vpid(pid as u32) };
    let them = k.proc.tasks()[&tid].cred;
    if me.euid != them.euid && me.euid != them.uid && !me.capable(crate::proc::capability::CAP_SYS_NICE) {
        return Err(EPERM);
    }
    let m = u64::from_le_bytes(b) & k.sched.online_mask();
    if m == 0 {
        return Err(EINVAL);
    }
    k.proc.tasks_mut().get_mut(&tid).expect("target").cpus_allowed = m;
    k.affinity_changed(tid);
    Ok(0)
}

const PRIO_PROCESS: i32 = 0;
const PRIO_PGRP: i32 = 1;
const PRIO_USER: i32 = 2;

/// The tasks getpriority/setpriority address.
fn prio_targets(k: &Kernel, which: i32, who: i32) -> SysResult<alloc::vec::Vec<u32>> {
    let me = k.cur();
    let tasks = k.proc.tasks().values().filter(|t| !t.is_zombie() && t.state != crate::proc::TaskState::Dead);
    let v: alloc::vec::Vec<u32> = match which {
        PRIO_PROCESS => {
            let pid = if who == 0 { me.tid } else { k.find_vpid(who as u32) };
            tasks.filter(|t| t.tid == pid).map(|t| t.tid).collect()
        }
        PRIO_PGRP => {
            let g = if who == 0 { k.cur_signal().pgid } else { k.find_vpid(who as u32) };
            let procs = k.proc.pgrps().members(g).filter_map(|p| k.proc.tasks().get(&p));
            let threads =
                procs.flat_map(|l| k.sig.signals().get(l.signal).threads.iter().filter_map(|t| k.proc.tasks().get(t)));
            threads.filter(|t| !t.is_zombie() && t.state != crate::proc::TaskState::Dead).map(|t| t.tid).collect()
        }
        PRIO_USER => {
            let u = if who == 0 { me.cred.uid } else { who as u32 };
            tasks.filter(|t| t.cred.uid == u).map(|t| t.tid).collect()
        }
        _ => return Err(EINVAL),
    };
    if v.is_empty() {
        return Err(ESRCH);
    }
    Ok(v)
}

/// Linux: getpriority(): 20 - nice of the most favoured target (the
/// raw syscall's encoding; libc turns it back into a nice value).
pub fn getpriority(k: &mut Kernel, which: i32, who: i32) -> SysResult {
    let targets = prio_targets(k, which, who)?;
    let best = targets.iter().map(|t| k.proc.tasks()[t].nice).min().unwrap_or(0);
    Ok((20 - best) as usize)
}

/// Linux: setpriority(): nice clamped to -20..19; lowering it needs root
/// (or RLIMIT_NICE); others' tasks need a matching uid.
pub fn setpriority(k: &mut Kernel, which: i32, who: i32, nice: i32) -> SysResult {
    let targets = prio_targets(k, which, who)?;
    let nice = nice.clamp(-20, 19);
    let me = k.cur().cred;
    let rlim_nice = 20 - k.rlimit(13).cur.min(40) as i32;
    for t in targets {
        let task = &k.proc.tasks()[&t];
        // Linux: set_one_prio_perm().
        if !me.capable(crate::proc::capability::CAP_SYS_NICE) && me.euid != task.cred.uid && me.euid != task.cred.euid {
            return Err(EPERM);
        }
        if nice < task.nice && !me.capable(crate::proc::capability::CAP_SYS_NICE) && nice < rlim_nice {
            return Err(EACCES);
        }
        k.proc.tasks_mut().get_mut(&t).expect("task").nice = nice;
    }
    Ok(0)
}

/// File system magic numbers (linux/magic.h).
const RAMFS_MAGIC: u64 = 0x858458f6;
const PROC_SUPER_MAGIC: u64 = 0x9fa0;

/// `struct statfs` for the RAM file system or /proc.
fn statfs_of(k: &Kernel, proc: bool) -> Statfs {
    let st = k.mem.frames().stats();
    let (ty, blocks, free) =
        if proc { (PROC_SUPER_MAGIC, 0, 0) } else { (RAMFS_MAGIC, st.total as u64, st.free as u64) };
    Statfs {
        f_type: ty,
        f_bsize: 4096,
        f_blocks: blocks,
        f_bfree: free,
        f_bavail: free,
        f_namelen: 255,
        f_frsize: 4096,
        ..Default::default()
    }
}

/// statfs(2).
pub fn statfs(k: &mut Kernel, path: u64, buf: u64) -> SysResult {
    let p = k.read_cstr(path, 4096)?;
    let start = k.start_dir(AT_FDCWD, &p)?;
    let proc = match crate::fs::procfs::resolve(k, AT_FDCWD, &p, true) {
        Some(found) => matches!(found?.target, crate::fs::procfs::Target::Proc(_)),
        None => false,
    };
    if !proc {
        k.vfs.fs().lookup(&k.fs_cred(), start, &p, crate::fs::Lookup::FOLLOW)?;
    }
    let st = statfs_of(k, proc);
    k.write_val(buf, &st)?;
    Ok(0)
}

/// fstatfs(2).
pub fn fstatfs(k: &mut Kernel, fd: i32, buf: u64) -> SysResult {
    let id = k.fd_file(fd)?;
    let proc = crate::fs::procfs::node_of_file(k, id).is_some();
    let st = statfs_of(k, proc);
    k.write_val(buf, &st)?;
    Ok(0)
}
