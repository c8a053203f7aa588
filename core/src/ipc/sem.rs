//! System V semaphores (Linux: ipc/sem.c): semget, semop, semtimedop,
//! semctl, SEM_UNDO.
//!
//! A set is an array of values in 0..=SEMVMX. semop applies all of its
//! operations or none: when one cannot proceed (a decrement below zero,
//! a wait for zero on a non-zero value) the caller sleeps on the set's
//! wait queue, recording which semaphore stopped it (GETNCNT and GETZCNT
//! count those sleepers), and runs the whole semop again when anything in
//! the set changes. Removing a set wakes its sleepers with EIDRM.
//!
//! SEM_UNDO keeps, per undo list, an adjustment per semaphore that
//! cancels the operations made with it; the list belongs to a process's
//! tasks that share it (CLONE_SYSVSEM; Linux: `sysvsem.undo_list`) and is
//! applied when the last of them exits (Linux: exit_sem()).

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use super::util::*;
use crate::abi::*;
use crate::kernel::Kernel;
use crate::proc::waitqueue::WaitKey;
use crate::proc::{Pid, Resume, TaskState, WaitReason};

/// The largest value (Linux: SEMVMX) and adjustment (SEMAEM).
pub const SEMVMX: i32 = 32767;
pub const SEMAEM: i32 = SEMVMX;
const SEM_UNDO: i16 = 0x1000;
pub const GETPID: i32 = 11;
pub const GETVAL: i32 = 12;
pub const GETALL: i32 = 13;
pub const GETNCNT: i32 = 14;
pub const GETZCNT: i32 = 15;
pub const SETVAL: i32 = 16;
pub const SETALL: i32 = 17;
pub const SEM_STAT: i32 = 18;
pub const SEM_INFO: i32 = 19;
pub const SEM_STAT_ANY: i32 = 20;

/// /proc/sys/kernel/sem (Linux: `ns->sem_ctls`): semaphores per set,
/// semaphores in all, operations per semop, sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SemLimits {
    pub msl: i32,
    pub mns: i32,
    pub opm: i32,
    pub mni: i32,
}

impl Default for SemLimits {
    /// Linux's defaults (include/uapi/linux/sem.h): SEMMSL 32000,
    /// SEMMNS = SEMMNI * SEMMSL, SEMOPM 500, SEMMNI 32000.
    fn default() -> Self {
        SemLimits { msl: 32000, mns: 32000 * 32000, opm: 500, mni: 32000 }
    }
}

#[derive(Clone, Copy, Debug, Default)]
struct Sem {
    val: i32,
    /// The process that last changed it (GETPID).
    pid: Pid,
}

/// One set (Linux: `struct sem_array`).
#[derive(Clone, Debug)]
pub struct SemSet {
    perm: IpcPerm,
    sems: Vec<Sem>,
    otime: i64,
    ctime: i64,
}

impl IpcObject for SemSet {
    fn perm(&self) -> &IpcPerm {
        &self.perm
    }
}

/// One undo list: the adjustments per set id, and the tasks sharing it.
#[derive(Debug, Default)]
struct UndoList {
    users: usize,
    adj: BTreeMap<i32, Vec<i32>>,
}

/// The IPC namespace's semaphore sets and the undo lists.
#[derive(Debug, Default)]
pub struct SemTable {
    ids: IpcIds<SemSet>,
    undo: BTreeMap<u32, UndoList>,
    next_undo: u32,
    pub limits: SemLimits,
}

impl SemTable {
    fn total_sems(&self) -> usize {
        self.ids.by_slot.values().map(|s| s.sems.len()).sum()
    }

    /// /proc/sysvipc/sem (Linux: sysvipc_sem_proc_show()).
    pub fn proc_text(&self, out: &mut Vec<u8>) {
        use core::fmt::Write;
        let mut s = alloc::string::String::from(
            "       key      semid perms      nsems   uid   gid  cuid  cgid      otime      ctime\n",
        );
        for (&slot, set) in &self.ids.by_slot {
            let p = &set.perm;
            let _ = writeln!(
                s,
                "{:10} {:10}  {:4o} {:10} {:5} {:5} {:5} {:5} {:10} {:10}",
                p.key,
                IpcIds::id_of(slot, set),
                p.mode,
                set.sems.len(),
                p.uid,
                p.gid,
                p.cuid,
                p.cgid,
                set.otime,
                set.ctime
            );
        }
        out.extend_from_slice(s.as_bytes());
    }
}

impl Kernel {
    /// Wake every semop sleeping on set `id`.
    fn sem_wake(&mut self, id: i32) {
        self.wake_queue(WaitKey::Sem(id));
    }

    /// The sleepers on set `id` stopped by semaphore `num`: waiting for
    /// zero (`zero`) or for an increase (Linux: count_semzcnt(),
    /// count_semncnt()).
    fn sem_count_waiters(&self, id: i32, num: u16, zero: bool) -> usize {
        self.sched
            .waitqueues()
            .sleepers(WaitKey::Sem(id))
            .iter()
            .filter(|p| {
                matches!(self.proc.tasks().get(p).map(|t| t.state),
                    Some(TaskState::Blocked(WaitReason::Sem { num: n, zero: z, .. })) if n == num && z == zero)
            })
            .count()
    }

    /// Drop the adjustments every undo list holds for semaphore `num` of
    /// set `id` (all of them when None): SETVAL and SETALL make them
    /// meaningless (Linux: the semadj reset in semctl_setval/SETALL).
    fn sem_clear_undo(&mut self, id: i32, num: Option<usize>) {
        for list in self.ipc.sem.undo.values_mut() {
            if let Some(adj) = list.adj.get_mut(&id) {
                match num {
                    Some(n) => adj[n] = 0,
                    None => adj.iter_mut().for_each(|a| *a = 0),
                }
            }
        }
    }

    /// The current task's undo list, made on first use (Linux:
    /// get_undo_list()).
    fn sem_undo_list(&mut self) -> u32 {
        if let Some(u) = self.cur().sem_undo {
            return u;
        }
        self.ipc.sem.next_undo += 1;
        let u = self.ipc.sem.next_undo;
        self.ipc.sem.undo.insert(u, UndoList { users: 1, adj: BTreeMap::new() });
        self.cur_mut().sem_undo = Some(u);
        u
    }

    /// A task created with CLONE_SYSVSEM shares its parent's undo list
    /// (Linux: copy_semundo()).
    pub fn sem_share_undo(&mut self, list: Option<u32>) -> Option<u32> {
        let u = list?;
        self.ipc.sem.undo.get_mut(&u)?.users += 1;
        Some(u)
    }

    /// A task exits: when it was the last user of its undo list, every
    /// adjustment is applied, each value kept within 0..=SEMVMX (Linux:
    /// exit_sem()).
    pub fn exit_sem(&mut self, tid: Pid) {
        let Some(u) = self.proc.tasks_mut().get_mut(&tid).and_then(|t| t.sem_undo.take()) else { return };
        let tgid = self.proc.tasks()[&tid].tgid;
        let list = self.ipc.sem.undo.get_mut(&u).expect("undo list");
        list.users -= 1;
        if list.users > 0 {
            return;
        }
        let list = self.ipc.sem.undo.remove(&u).expect("undo list");
        let now = now_secs(self);
        for (id, adj) in list.adj {
            let Ok(slot) = self.ipc.sem.ids.find(id) else { continue };
            let set = self.ipc.sem.ids.by_slot.get_mut(&slot).expect("set");
            let mut changed = false;
            for (s, &a) in set.sems.iter_mut().zip(&adj) {
                if a != 0 {
                    s.val = (s.val + a).clamp(0, SEMVMX);
                    s.pid = tgid;
                    changed = true;
                }
            }
            if changed {
                set.otime = now;
                self.sem_wake(id);
            }
        }
    }

    /// The namespace goes (Linux: sem_exit_ns()).
    pub fn sem_exit_ns(&mut self) {
        self.ipc.sem.ids.by_slot.clear();
    }
}

/// semget(2) (Linux: ksys_semget() → newary()).
pub fn get(k: &mut Kernel, key: i32, nsems: i32, flags: u32) -> SysResult {
    let lim = k.ipc.sem.limits;
    if nsems < 0 || nsems > lim.msl {
        return Err(EINVAL);
    }
    if let Some((slot, id)) = k.ipc.sem.ids.lookup(k, key, flags)? {
        // Linux: sem_more_checks().
        if nsems as usize > k.ipc.sem.ids.by_slot[&slot].sems.len() {
            return Err(EINVAL);
        }
        return Ok(id as usize);
    }
    if nsems == 0 {
        return Err(EINVAL);
    }
    if k.ipc.sem.total_sems() + nsems as usize > lim.mns as usize {
        return Err(ENOSPC);
    }
    let Some(slot) = k.ipc.sem.ids.free_slot(lim.mni.max(0) as usize) else { return Err(ENOSPC) };
    let sems = crate::mm::kheap::try_vec(nsems as usize)?;
    let seq = k.ipc.sem.ids.next_seq();
    let mut set = SemSet { perm: IpcPerm::new(k, key, flags, seq), sems, otime: 0, ctime: now_secs(k) };
    set.sems.resize(nsems as usize, Sem::default());
    let id = IpcIds::id_of(slot, &set);
    k.ipc.sem.ids.by_slot.insert(slot, set);
    Ok(id as usize)
}

/// Why semop cannot go on now.
enum Stop {
    /// Operation on semaphore `num` must wait (for zero when `zero`);
    /// `nowait`: that operation has IPC_NOWAIT.
    Block {
        num: u16,
        zero: bool,
        nowait: bool,
    },
    Err(Errno),
}

/// Apply `sops` in order to a copy of the values, with their undo
/// adjustments (Linux: perform_atomic_semop_slow(), which handles an
/// operation on the same semaphore twice).
fn try_ops(vals: &mut [i32], adj: &mut [i32], sops: &[Sembuf]) -> Result<(), Stop> {
    for op in sops {
        let n = op.sem_num as usize;
        let cur = vals[n];
        if op.sem_op == 0 && cur != 0 || cur + (op.sem_op as i32) < 0 {
            return Err(Stop::Block {
                num: op.sem_num,
                zero: op.sem_op == 0,
                nowait: op.sem_flg as u32 & IPC_NOWAIT != 0,
            });
        }
        let result = cur + op.sem_op as i32;
        if result > SEMVMX {
            return Err(Stop::Err(ERANGE));
        }
        if op.sem_flg & SEM_UNDO != 0 {
            let undo = adj[n] - op.sem_op as i32;
            if !(-SEMAEM - 1..=SEMAEM).contains(&undo) {
                return Err(Stop::Err(ERANGE));
            }
            adj[n] = undo;
        }
        vals[n] = result;
    }
    Ok(())
}

/// Forget what a blocked semop kept, once the call is over.
pub fn finish(k: &mut Kernel, r: SysResult) -> SysResult {
    if r != Err(ERESTARTNOINTR) {
        if let Resume::Ipc { .. } = k.cur().resume {
            k.cur_mut().resume = Resume::None;
        }
    }
    r
}

/// The checks semop makes before it reads the operations (Linux: the top
/// of do_semtimedop()).
pub fn check_nsops(k: &Kernel, id: i32, nsops: u64) -> SysResult<()> {
    if nsops < 1 || id < 0 {
        return Err(EINVAL);
    }
    if nsops > k.ipc.sem.limits.opm as u64 {
        return Err(E2BIG);
    }
    Ok(())
}

/// A semop re-run after it slept keeps its first deadline: the caller
/// reads the timeout only on the first run.
pub fn resuming(k: &Kernel) -> bool {
    matches!(k.cur().resume, Resume::Ipc { .. })
}

/// semop(2) and semtimedop(2) on operations already read in (Linux:
/// do_semtimedop()): all of them at once, or sleep until the set changes.
/// `timeout`: the first run's relative timeout, in nanoseconds.
pub fn semop(k: &mut Kernel, id: i32, sops: &[Sembuf], timeout: Option<u64>) -> SysResult {
    let kept = match k.cur().resume {
        Resume::Ipc { deadline, removed } => Some((deadline, removed)),
        _ => None,
    };
    if let Some((_, true)) = kept {
        return Err(EIDRM);
    }
    let deadline = match kept {
        Some((d, _)) => d,
        None => timeout.map(|t| k.now_ns().saturating_add(t)),
    };
    let slot = k.ipc.sem.ids.find(id)?;
    let nsems = k.ipc.sem.ids.by_slot[&slot].sems.len();
    if sops.iter().any(|op| op.sem_num as usize >= nsems) {
        return Err(EFBIG);
    }
    let alter = sops.iter().any(|op| op.sem_op != 0);
    k.ipc.sem.ids.by_slot[&slot].perm.check(k, if alter { 2 } else { 4 })?;
    let undo = if sops.iter().any(|op| op.sem_flg & SEM_UNDO != 0) { Some(k.sem_undo_list()) } else { None };

    let set = &k.ipc.sem.ids.by_slot[&slot];
    let mut vals: Vec<i32> = set.sems.iter().map(|s| s.val).collect();
    let mut adj = match undo {
        Some(u) => k.ipc.sem.undo[&u].adj.get(&id).cloned().unwrap_or_else(|| alloc::vec![0; nsems]),
        None => alloc::vec![0; nsems],
    };
    match try_ops(&mut vals, &mut adj, sops) {
        Ok(()) => {
            let (tgid, now) = (k.cur().tgid, now_secs(k));
            let set = k.ipc.sem.ids.by_slot.get_mut(&slot).expect("set");
            for op in sops {
                set.sems[op.sem_num as usize].pid = tgid;
            }
            for (s, v) in set.sems.iter_mut().zip(vals) {
                s.val = v;
            }
            set.otime = now;
            if let Some(u) = undo {
                k.ipc.sem.undo.get_mut(&u).expect("undo list").adj.insert(id, adj);
            }
            if alter {
                k.sem_wake(id);
            }
            Ok(0)
        }
        Err(Stop::Err(e)) => Err(e),
        Err(Stop::Block { nowait: true, .. }) => Err(EAGAIN),
        Err(Stop::Block { num, zero, .. }) => {
            if deadline.is_some_and(|d| k.now_ns() >= d) {
                return Err(EAGAIN);
            }
            k.cur_mut().resume = Resume::Ipc { deadline, removed: false };
            Err(k.block_current(WaitReason::Sem { id, num, zero, until_ns: deadline }))
        }
    }
}

/// IPC_INFO and SEM_INFO: the limits, with `usage` what is in use; and
/// the highest slot in use.
pub fn info(k: &Kernel, usage: bool) -> (Seminfo, usize) {
    let l = k.ipc.sem.limits;
    let (usz, aem) =
        if usage { (k.ipc.sem.ids.by_slot.len() as i32, k.ipc.sem.total_sems() as i32) } else { (20, SEMAEM) };
    let info = Seminfo {
        semmap: l.mns,
        semmni: l.mni,
        semmns: l.mns,
        semmnu: l.mns,
        semmsl: l.msl,
        semopm: l.opm,
        semume: l.opm,
        semusz: usz,
        semvmx: SEMVMX,
        semaem: aem,
    };
    (info, k.ipc.sem.ids.max_slot())
}

/// SEM_STAT and SEM_STAT_ANY: the set in slot `slot` (checked for read
/// unless `any`), and its full id (Linux: semctl_stat() with
/// ipc_obtain_object_idr()).
pub fn stat_slot(k: &Kernel, slot: i32, any: bool) -> SysResult<(SemidDs, usize)> {
    let slot = usize::try_from(slot).map_err(|_| EINVAL)?;
    let set = k.ipc.sem.ids.by_slot.get(&slot).ok_or(EINVAL)?;
    if !any {
        set.perm.check(k, 4)?;
    }
    Ok((semid_ds(k, set), IpcIds::id_of(slot, set) as usize))
}

/// The set `id`, checked for `want` (4 read, 2 alter): its slot and how
/// many semaphores it has.
fn find_checked(k: &Kernel, id: i32, want: u32) -> SysResult<(usize, usize)> {
    let slot = k.ipc.sem.ids.find(id)?;
    let set = &k.ipc.sem.ids.by_slot[&slot];
    set.perm.check(k, want)?;
    Ok((slot, set.sems.len()))
}

/// IPC_STAT.
pub fn stat(k: &Kernel, id: i32) -> SysResult<SemidDs> {
    let (slot, _) = find_checked(k, id, 4)?;
    Ok(semid_ds(k, &k.ipc.sem.ids.by_slot[&slot]))
}

/// IPC_SET (Linux: semctl_down()).
pub fn set(k: &mut Kernel, id: i32, ds: &SemidDs) -> SysResult {
    let slot = k.ipc.sem.ids.find(id)?;
    k.ipc.sem.ids.by_slot[&slot].perm.check_owner(k)?;
    let perm = IpcPerm::from_user(k, &ds.sem_perm)?;
    let now = now_secs(k);
    let set = k.ipc.sem.ids.by_slot.get_mut(&slot).expect("set");
    set.perm.set(&perm);
    set.ctime = now;
    Ok(0)
}

/// IPC_RMID (Linux: semctl_down() → freeary()): every sleeper gets EIDRM.
pub fn remove(k: &mut Kernel, id: i32) -> SysResult {
    let slot = k.ipc.sem.ids.find(id)?;
    k.ipc.sem.ids.by_slot[&slot].perm.check_owner(k)?;
    k.ipc.sem.ids.by_slot.remove(&slot);
    for list in k.ipc.sem.undo.values_mut() {
        list.adj.remove(&id);
    }
    k.mark_ipc_sleepers_removed(WaitKey::Sem(id));
    k.sem_wake(id);
    Ok(0)
}

/// What GETVAL, GETPID, GETNCNT and GETZCNT ask of one semaphore.
#[derive(Clone, Copy)]
pub enum SemQuery {
    Val,
    Pid,
    WaitingForMore,
    WaitingForZero,
}

/// GETVAL, GETPID, GETNCNT, GETZCNT (Linux: semctl_main()).
pub fn query(k: &Kernel, id: i32, semnum: i32, q: SemQuery) -> SysResult {
    let (slot, nsems) = find_checked(k, id, 4)?;
    let n = usize::try_from(semnum).ok().filter(|&n| n < nsems).ok_or(EINVAL)?;
    let s = k.ipc.sem.ids.by_slot[&slot].sems[n];
    Ok(match q {
        SemQuery::Val => s.val as usize,
        SemQuery::Pid => s.pid as usize,
        SemQuery::WaitingForMore => k.sem_count_waiters(id, n as u16, false),
        SemQuery::WaitingForZero => k.sem_count_waiters(id, n as u16, true),
    })
}

/// GETALL: every value, for the caller to copy out.
pub fn get_all(k: &Kernel, id: i32) -> SysResult<Vec<u16>> {
    let (slot, _) = find_checked(k, id, 4)?;
    Ok(k.ipc.sem.ids.by_slot[&slot].sems.iter().map(|s| s.val as u16).collect())
}

/// SETALL's checks before the caller reads the values: the set exists
/// and may be altered; how many values to read.
pub fn set_all_len(k: &Kernel, id: i32) -> SysResult<usize> {
    Ok(find_checked(k, id, 2)?.1)
}

/// SETVAL (one semaphore) or SETALL (`num` None): set the values, drop
/// every undo adjustment for them, wake the sleepers.
pub fn set_values(k: &mut Kernel, id: i32, num: Option<i32>, vals: &[i32]) -> SysResult {
    let slot = k.ipc.sem.ids.find(id)?;
    let nsems = k.ipc.sem.ids.by_slot[&slot].sems.len();
    let one = match num {
        Some(n) => Some(usize::try_from(n).ok().filter(|&n| n < nsems).ok_or(EINVAL)?),
        None => None,
    };
    if vals.iter().any(|v| !(0..=SEMVMX).contains(v)) {
        return Err(ERANGE);
    }
    k.ipc.sem.ids.by_slot[&slot].perm.check(k, 2)?;
    k.sem_clear_undo(id, one);
    let (tgid, now) = (k.cur().tgid, now_secs(k));
    let set = k.ipc.sem.ids.by_slot.get_mut(&slot).expect("set");
    match one {
        Some(n) => set.sems[n] = Sem { val: vals[0], pid: tgid },
        None => {
            for (s, &v) in set.sems.iter_mut().zip(vals) {
                *s = Sem { val: v, pid: tgid };
            }
        }
    }
    set.ctime = now;
    k.sem_wake(id);
    Ok(0)
}

fn semid_ds(k: &Kernel, set: &SemSet) -> SemidDs {
    SemidDs {
        sem_perm: set.perm.to_user(k),
        sem_otime: set.otime,
        sem_ctime: set.ctime,
        sem_nsems: set.sems.len() as u64,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(num: u16, op: i16, flg: i16) -> Sembuf {
        Sembuf { sem_num: num, sem_op: op, sem_flg: flg }
    }

    #[test]
    fn all_or_nothing_in_order() {
        let mut vals = [1, 0];
        let mut adj = [0, 0];
        assert!(try_ops(&mut vals, &mut adj, &[op(0, -1, SEM_UNDO), op(1, 2, 0)]).is_ok());
        assert_eq!((vals, adj), ([0, 2], [1, 0]));
        // The same semaphore twice: the second sees the first's result.
        assert!(try_ops(&mut vals, &mut adj, &[op(1, -1, 0), op(1, -1, 0)]).is_ok());
        assert_eq!(vals, [0, 0]);
        let r = try_ops(&mut [0, 5], &mut [0, 0], &[op(1, -1, 0), op(0, -1, IPC_NOWAIT as i16)]);
        assert!(matches!(r, Err(Stop::Block { num: 0, zero: false, nowait: true })));
        let r = try_ops(&mut [0, 5], &mut [0, 0], &[op(1, 0, 0)]);
        assert!(matches!(r, Err(Stop::Block { num: 1, zero: true, nowait: false })));
        let r = try_ops(&mut [SEMVMX, 0], &mut [0, 0], &[op(0, 1, 0)]);
        assert!(matches!(r, Err(Stop::Err(ERANGE))));
    }
}
