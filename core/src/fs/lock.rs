//! File locks (Linux: fs/locks.c): POSIX record locks (fcntl F_GETLK,
//! F_SETLK, F_SETLKW and the open-file-description F_OFD_* variants) and
//! BSD locks (flock(2)).
//!
//! Who owns a lock is what decides inheritance:
//! - a POSIX record lock belongs to the descriptor table of the process
//!   that set it (Linux: `fl_owner = current->files`). A forked child has
//!   a table of its own, so it holds none of its parent's locks; and the
//!   owner loses every lock on a file when it closes *any* descriptor of
//!   that file (Linux: filp_close() → locks_remove_posix()), which is
//!   also how they go at exit and exec (close-on-exec);
//! - an OFD lock and a flock() lock belong to the open file description,
//!   which fork shares: parent and child hold it together, and it goes
//!   when the description's last descriptor is closed (Linux: __fput() →
//!   locks_remove_file()).
//!
//! Locks are kept per file (an inode, or a pipe), sorted by start. A
//! waiter (F_SETLKW, flock without LOCK_NB) sleeps in
//! `WaitReason::FileLock` and tries again whenever a lock goes.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use crate::abi::*;
use crate::fs::file::{FileId, OpenFile};
use crate::kernel::Kernel;
use crate::proc::{FilesId, Pid, TaskState, WaitReason};

pub const F_GETLK: u32 = 5;
pub const F_SETLK: u32 = 6;
pub const F_SETLKW: u32 = 7;
pub const F_OFD_GETLK: u32 = 36;
pub const F_OFD_SETLK: u32 = 37;
pub const F_OFD_SETLKW: u32 = 38;

pub const F_RDLCK: i16 = 0;
pub const F_WRLCK: i16 = 1;
pub const F_UNLCK: i16 = 2;

/// The end of a lock that runs to the end of any file (Linux: OFFSET_MAX).
pub const OFFSET_MAX: u64 = i64::MAX as u64;
/// Linux: MAX_DEADLK_ITERATIONS.
const MAX_DEADLK_ITERATIONS: usize = 10;

/// Which file a lock is on: an inode number, or a pipe (which has no
/// inode in Tine's file system).
pub type LockKey = u64;

/// Who holds a record lock (Linux: `fl_owner`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Owner {
    /// A classic POSIX lock: the descriptor table of the process.
    Files(FilesId),
    /// An OFD lock: the open file description.
    Ofd(FileId),
}

/// A record lock on the bytes `start..=end` (Linux: `struct file_lock`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordLock {
    pub owner: Owner,
    pub write: bool,
    pub start: u64,
    /// Inclusive; OFFSET_MAX for "to the end of the file, however long".
    pub end: u64,
    /// The process that set it, which F_GETLK reports (-1 for OFD locks).
    pub pid: Pid,
}

impl RecordLock {
    fn overlaps(&self, start: u64, end: u64) -> bool {
        self.start <= end && start <= self.end
    }

    /// Whether `other`, held by someone else, stands in its way
    /// (Linux: posix_locks_conflict()).
    fn conflicts(&self, other: &RecordLock) -> bool {
        self.owner != other.owner && self.overlaps(other.start, other.end) && (self.write || other.write)
    }
}

/// A flock() lock, held by an open file description.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlockLock {
    pub file: FileId,
    pub write: bool,
}

/// Every lock in the system.
#[derive(Default)]
pub struct LockTable {
    posix: BTreeMap<LockKey, Vec<RecordLock>>,
    flocks: BTreeMap<LockKey, Vec<FlockLock>>,
    /// Tasks sleeping in F_SETLKW: as whom they wait and for whom
    /// (Linux: the blocked_hash that posix_locks_deadlock() walks).
    waiters: BTreeMap<Pid, (Owner, Owner)>,
}

impl LockTable {
    /// The first lock on `key` that `req` conflicts with (Linux:
    /// posix_test_lock()).
    pub fn test(&self, key: LockKey, req: &RecordLock) -> Option<RecordLock> {
        self.posix.get(&key)?.iter().find(|l| req.conflicts(l)).copied()
    }

    /// The locks on `key`, in order (for tests and /proc).
    pub fn record_locks(&self, key: LockKey) -> &[RecordLock] {
        self.posix.get(&key).map_or(&[], |v| v.as_slice())
    }

    /// Set (`write` Some) or clear (None) `owner`'s lock over
    /// `start..=end`, once no conflict stands in the way: the owner's
    /// locks there are replaced, split around the range or merged with
    /// the new one when of the same type and touching (Linux:
    /// posix_lock_inode()). Returns whether a lock went away or became
    /// weaker, which may let waiters in.
    pub fn set(&mut self, key: LockKey, owner: Owner, write: Option<bool>, start: u64, end: u64, pid: Pid) -> bool {
        let list = self.posix.entry(key).or_default();
        let mut new = write.map(|w| RecordLock { owner, write: w, start, end, pid });
        let mut out = Vec::with_capacity(list.len() + 2);
        let mut released = false;
        for l in list.drain(..) {
            if l.owner != owner {
                out.push(l);
                continue;
            }
            if let Some(n) = new.as_mut() {
                let touches = l.end.saturating_add(1) >= n.start && n.end.saturating_add(1) >= l.start;
                if l.write == n.write && touches {
                    n.start = n.start.min(l.start);
                    n.end = n.end.max(l.end);
                    continue;
                }
            }
            if !l.overlaps(start, end) {
                out.push(l);
                continue;
            }
            // Replaced (or unlocked) where the request covers it.
            if new.is_none_or(|n| l.write && !n.write) {
                released = true;
            }
            if l.start < start {
                out.push(RecordLock { end: start - 1, ..l });
            }
            if l.end > end {
                out.push(RecordLock { start: end + 1, ..l });
            }
        }
        out.extend(new);
        out.sort_by_key(|l| (l.start, l.end));
        if out.is_empty() {
            self.posix.remove(&key);
        } else {
            *self.posix.get_mut(&key).expect("entry") = out;
        }
        released
    }

    /// Remove every lock `owner` holds on `key`; returns whether any went.
    pub fn remove_owner(&mut self, key: LockKey, owner: Owner) -> bool {
        let Some(list) = self.posix.get_mut(&key) else { return false };
        let before = list.len();
        list.retain(|l| l.owner != owner);
        let gone = list.len() != before;
        if list.is_empty() {
            self.posix.remove(&key);
        }
        gone
    }

    /// Would `me`, about to wait for a lock held by `blocker`, close a
    /// circle of waiters (Linux: posix_locks_deadlock())? `sleeping` says
    /// whether a recorded waiter is really still asleep on a lock.
    pub fn would_deadlock(&self, me: Owner, mut blocker: Owner, sleeping: impl Fn(Pid) -> bool) -> bool {
        for _ in 0..=MAX_DEADLK_ITERATIONS {
            let Some(&(_, next)) =
                self.waiters.iter().find(|(tid, (who, _))| *who == blocker && sleeping(**tid)).map(|(_, w)| w)
            else {
                return false;
            };
            if next == me {
                return true;
            }
            blocker = next;
        }
        false
    }

    /// Whether description `file` may take a flock() lock of this kind on
    /// `key`: no other description holds one that conflicts.
    fn flock_free(&self, key: LockKey, file: FileId, write: bool) -> bool {
        self.flocks.get(&key).is_none_or(|v| v.iter().all(|l| l.file == file || (!l.write && !write)))
    }

    /// Drop `file`'s flock() lock on `key`; returns whether it had one.
    fn flock_remove(&mut self, key: LockKey, file: FileId) -> bool {
        let Some(list) = self.flocks.get_mut(&key) else { return false };
        let before = list.len();
        list.retain(|l| l.file != file);
        let gone = list.len() != before;
        if list.is_empty() {
            self.flocks.remove(&key);
        }
        gone
    }

    /// How many locks of either kind exist (tests check nothing leaks).
    pub fn count(&self) -> usize {
        self.posix.values().map(Vec::len).sum::<usize>() + self.flocks.values().map(Vec::len).sum::<usize>()
    }
}

/// The file an open description's locks are on.
fn lock_key(f: &OpenFile, id: FileId) -> LockKey {
    match (f.ino, f.kind.pipe()) {
        (Some(ino), _) => ino,
        (None, Some(pipe)) => (1 << 62) | pipe as u64,
        (None, None) => (1 << 63) | id as u64,
    }
}

/// `struct flock` on x86_64: l_type and l_whence (shorts), l_start and
/// l_len (off_t, at 8 and 16), l_pid (at 24); 32 bytes.
struct Flock {
    raw: [u8; 32],
}

impl Flock {
    fn l_type(&self) -> i16 {
        i16::from_le_bytes([self.raw[0], self.raw[1]])
    }
    fn l_whence(&self) -> i16 {
        i16::from_le_bytes([self.raw[2], self.raw[3]])
    }
    fn l_start(&self) -> i64 {
        i64::from_le_bytes(self.raw[8..16].try_into().expect("8 bytes"))
    }
    fn l_len(&self) -> i64 {
        i64::from_le_bytes(self.raw[16..24].try_into().expect("8 bytes"))
    }
    fn l_pid(&self) -> i32 {
        i32::from_le_bytes(self.raw[24..28].try_into().expect("4 bytes"))
    }

    /// Report lock `l` (Linux: posix_lock_to_flock()).
    fn set_from(&mut self, l: &RecordLock) {
        let ty = if l.write { F_WRLCK } else { F_RDLCK };
        self.raw[0..2].copy_from_slice(&ty.to_le_bytes());
        self.raw[2..4].copy_from_slice(&0i16.to_le_bytes());
        self.raw[8..16].copy_from_slice(&(l.start as i64).to_le_bytes());
        let len = if l.end == OFFSET_MAX { 0 } else { (l.end - l.start + 1) as i64 };
        self.raw[16..24].copy_from_slice(&len.to_le_bytes());
        let pid = if matches!(l.owner, Owner::Ofd(_)) { -1 } else { l.pid as i32 };
        self.raw[24..28].copy_from_slice(&pid.to_le_bytes());
    }
}

impl Kernel {
    /// The range a `struct flock` names, as start..=end (Linux:
    /// flock_to_posix_lock()): EINVAL for a bad whence or a range
    /// starting before 0, EOVERFLOW past the largest offset.
    fn flock_range(&self, file: FileId, fl: &Flock) -> SysResult<(u64, u64)> {
        let f = self.vfs.files.get(file);
        let base: i64 = match fl.l_whence() {
            0 => 0,
            1 => f.offset as i64,
            2 => match f.kind.data_ino() {
                Some(ino) => self.vfs.fs.inode(ino)?.size() as i64,
                None => 0,
            },
            _ => return Err(EINVAL),
        };
        let start = base.wrapping_add(fl.l_start());
        if start < 0 {
            return Err(EINVAL);
        }
        let len = fl.l_len();
        let (start, end) = if len > 0 {
            if len - 1 > i64::MAX - start {
                return Err(EOVERFLOW);
            }
            (start, start + len - 1)
        } else if len < 0 {
            if start.wrapping_add(len) < 0 {
                return Err(EINVAL);
            }
            (start + len, start - 1)
        } else {
            (start, OFFSET_MAX as i64)
        };
        Ok((start as u64, end as u64))
    }

    /// Linux: locks_remove_posix(): the descriptor table `owner` closed a
    /// descriptor of `file`, so it loses its record locks on that file.
    pub fn locks_remove_posix(&mut self, file: FileId, owner: FilesId) {
        let key = lock_key(self.vfs.files.get(file), file);
        if self.vfs.locks.remove_owner(key, Owner::Files(owner)) {
            self.wake_all(WaitReason::FileLock);
        }
    }

    /// Linux: locks_remove_file(): the last descriptor of description
    /// `id` is gone: its OFD locks and its flock() lock go with it.
    pub fn locks_remove_file(&mut self, id: FileId, f: &OpenFile) {
        let key = lock_key(f, id);
        let a = self.vfs.locks.remove_owner(key, Owner::Ofd(id));
        let b = self.vfs.locks.flock_remove(key, id);
        // Its lease goes too: an open waiting for it may go on.
        let lease = f.lease != crate::fs::lease::F_UNLCK;
        if lease {
            self.vfs.lease_dropped();
        }
        if a || b || lease {
            self.wake_all(WaitReason::FileLock);
        }
    }

    /// Close one descriptor of `table`, referring to `file` (Linux:
    /// filp_close()): the table's record locks on the file go, then the
    /// descriptor's reference to the description.
    pub fn filp_close(&mut self, file: FileId, table: FilesId) {
        self.locks_remove_posix(file, table);
        self.release_file(file);
    }

    /// Whether task `tid` is asleep waiting for a lock.
    fn lock_sleeping(&self, tid: Pid) -> bool {
        self.proc.tasks().get(&tid).is_some_and(|t| t.state == TaskState::Blocked(WaitReason::FileLock))
    }
}

/// fcntl(2) F_GETLK, F_SETLK, F_SETLKW and their F_OFD_ forms on
/// descriptor `fd` (description `file`) with a `struct flock` at `arg`
/// (Linux: fcntl_getlk(), fcntl_setlk()).
pub fn fcntl_lock(k: &mut Kernel, file: FileId, cmd: u32, arg: u64) -> SysResult {
    let mut fl = Flock { raw: [0; 32] };
    k.copy_in(arg, &mut fl.raw)?;
    let f = k.vfs.files.get(file).clone();
    let key = lock_key(&f, file);
    let ofd = matches!(cmd, F_OFD_GETLK | F_OFD_SETLK | F_OFD_SETLKW);
    let (tid, tgid, files) = (k.cur().tid, k.cur().tgid, k.cur().files);
    let owner = if ofd { Owner::Ofd(file) } else { Owner::Files(files) };
    if matches!(cmd, F_GETLK | F_OFD_GETLK) {
        let ty = fl.l_type();
        if ty != F_RDLCK && ty != F_WRLCK {
            return Err(EINVAL);
        }
        let (start, end) = k.flock_range(file, &fl)?;
        if ofd && fl.l_pid() != 0 {
            return Err(EINVAL);
        }
        let req = RecordLock { owner, write: ty == F_WRLCK, start, end, pid: tgid };
        match k.vfs.locks.test(key, &req) {
            Some(l) => fl.set_from(&l),
            None => fl.raw[0..2].copy_from_slice(&F_UNLCK.to_le_bytes()),
        }
        k.copy_out(arg, &fl.raw)?;
        return Ok(0);
    }
    let (start, end) = k.flock_range(file, &fl)?;
    let write = match fl.l_type() {
        F_RDLCK => Some(false),
        F_WRLCK => Some(true),
        F_UNLCK => None,
        _ => return Err(EINVAL),
    };
    // Linux: check_fmode_for_setlk().
    match write {
        Some(false) if !f.readable() => return Err(EBADF),
        Some(true) if !f.writable() => return Err(EBADF),
        _ => {}
    }
    if ofd && fl.l_pid() != 0 {
        return Err(EINVAL);
    }
    if let Some(w) = write {
        let req = RecordLock { owner, write: w, start, end, pid: tgid };
        if let Some(blocker) = k.vfs.locks.test(key, &req) {
            if !matches!(cmd, F_SETLKW | F_OFD_SETLKW) {
                k.vfs.locks.waiters.remove(&tid);
                return Err(EAGAIN);
            }
            // Linux: posix_locks_deadlock(), for classic locks only.
            if !ofd && k.vfs.locks.would_deadlock(owner, blocker.owner, |t| t != tid && k.lock_sleeping(t)) {
                k.vfs.locks.waiters.remove(&tid);
                return Err(EDEADLK);
            }
            k.vfs.locks.waiters.insert(tid, (owner, blocker.owner));
            let e = k.block_current(WaitReason::FileLock);
            if e != ERESTARTNOINTR {
                k.vfs.locks.waiters.remove(&tid);
            }
            return Err(e);
        }
    }
    k.vfs.locks.waiters.remove(&tid);
    if k.vfs.locks.set(key, owner, write, start, end, tgid) {
        k.wake_all(WaitReason::FileLock);
    }
    Ok(0)
}

/// flock(2) on open file description `file`: a shared (`Some(false)`) or
/// exclusive (`Some(true)`) lock, or none; `nonblock` not to wait. The
/// lock belongs to the description. Changing a lock's kind first drops
/// the old one, so a conversion that has to wait holds nothing meanwhile
/// (Linux: flock_lock_inode()).
pub fn flock_file(k: &mut Kernel, file: FileId, write: Option<bool>, nonblock: bool) -> SysResult {
    let f = k.vfs.files.get(file).clone();
    if f.flags & O_PATH != 0 {
        return Err(EBADF);
    }
    let key = lock_key(&f, file);
    let held = k.vfs.locks.flocks.get(&key).and_then(|v| v.iter().find(|l| l.file == file)).map(|l| l.write);
    if held.is_some() && held == write {
        return Ok(0);
    }
    if held.is_some() && k.vfs.locks.flock_remove(key, file) {
        k.wake_all(WaitReason::FileLock);
    }
    let Some(w) = write else { return Ok(0) };
    if !k.vfs.locks.flock_free(key, file, w) {
        if nonblock {
            return Err(EAGAIN); // EWOULDBLOCK
        }
        return Err(k.block_current(WaitReason::FileLock));
    }
    k.vfs.locks.flocks.entry(key).or_default().push(FlockLock { file, write: w });
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: Owner = Owner::Files(crate::proc::Handle::test(1));
    const B: Owner = Owner::Files(crate::proc::Handle::test(2));

    fn ranges(t: &LockTable) -> Vec<(Owner, bool, u64, u64)> {
        t.record_locks(7).iter().map(|l| (l.owner, l.write, l.start, l.end)).collect()
    }

    #[test]
    fn set_merges_splits_and_unlocks() {
        let mut t = LockTable::default();
        t.set(7, A, Some(true), 0, 9, 1);
        t.set(7, A, Some(true), 10, 19, 1);
        assert_eq!(ranges(&t), [(A, true, 0, 19)], "adjacent locks of one kind merge");
        t.set(7, A, Some(false), 5, 9, 1);
        assert_eq!(ranges(&t), [(A, true, 0, 4), (A, false, 5, 9), (A, true, 10, 19)]);
        assert!(t.set(7, A, None, 3, 12, 1));
        assert_eq!(ranges(&t), [(A, true, 0, 2), (A, true, 13, 19)]);
        t.set(7, B, Some(false), 5, OFFSET_MAX, 2);
        let req = RecordLock { owner: A, write: true, start: 6, end: 6, pid: 1 };
        assert_eq!(t.test(7, &req).map(|l| l.owner), Some(B));
        let read = RecordLock { write: false, ..req };
        assert_eq!(t.test(7, &read), None, "read locks share");
        assert!(t.remove_owner(7, A));
        assert_eq!(ranges(&t), [(B, false, 5, OFFSET_MAX)]);
        assert!(t.remove_owner(7, B));
        assert_eq!(t.count(), 0);
    }

    mod syscalls {
        use super::super::*;
        use crate::abi::nr;
        use crate::testkit::*;

        /// Write a `struct flock` into scratch and call fcntl(cmd) as `pid`.
        fn lk(k: &mut Kernel, pid: Pid, fd: u64, cmd: u32, ty: i16, start: i64, len: i64) -> i64 {
            let s = scratch(k, pid) + 256;
            let mut b = [0u8; 32];
            b[0..2].copy_from_slice(&ty.to_le_bytes());
            b[8..16].copy_from_slice(&start.to_le_bytes());
            b[16..24].copy_from_slice(&len.to_le_bytes());
            write_user(k, pid, s, &b).unwrap();
            syscall(k, pid, nr::FCNTL, &[fd, cmd as u64, s])
        }

        fn open(k: &mut Kernel, pid: Pid, path: &str) -> u64 {
            let s = scratch(k, pid);
            let mut p = path.as_bytes().to_vec();
            p.push(0);
            write_user(k, pid, s, &p).unwrap();
            let fd = syscall(k, pid, nr::OPEN, &[s, (O_RDWR | O_CREAT) as u64, 0o600]);
            assert!(fd >= 0, "open {path}: {fd}");
            fd as u64
        }

        #[test]
        fn record_locks_stay_with_the_process_and_go_on_any_close() {
            let (mut k, _hw) = boot(4096);
            let fd = open(&mut k, 1, "/tmp/f");
            assert_eq!(lk(&mut k, 1, fd, F_SETLK, F_WRLCK, 0, 10), 0);
            let child = fork(&mut k, 1);
            assert_eq!(lk(&mut k, child, fd, F_SETLK, F_RDLCK, 5, 1), err(EAGAIN), "not inherited");
            // F_SETLKW sleeps; the parent closing another descriptor of
            // the file releases the lock and wakes it.
            let fl = scratch(&mut k, child) + 256;
            assert_eq!(try_syscall(&mut k, child, nr::FCNTL, &[fd, F_SETLKW as u64, fl]), Err(Blocked));
            let fd2 = open(&mut k, 1, "/tmp/f");
            assert_eq!(syscall(&mut k, 1, nr::CLOSE, &[fd2]), 0);
            assert_eq!(state(&k, child), Some(TaskState::Runnable));
            assert_eq!(resume(&mut k, child), Ok(0));
            assert_eq!(lk(&mut k, 1, fd, F_SETLK, F_WRLCK, 0, 10), err(EAGAIN));
            exit(&mut k, child, 0);
            reap(&mut k, 1, child);
            assert_eq!(k.vfs.locks.count(), 0, "the child's lock went at exit");
            // flock: shared through the description fork shares.
            assert_eq!(syscall(&mut k, 1, nr::FLOCK, &[fd, LOCK_EX as u64]), 0);
            let child = fork(&mut k, 1);
            assert_eq!(syscall(&mut k, child, nr::FLOCK, &[fd, (LOCK_EX | LOCK_NB) as u64]), 0);
            let own = open(&mut k, child, "/tmp/f");
            assert_eq!(syscall(&mut k, child, nr::FLOCK, &[own, (LOCK_SH | LOCK_NB) as u64]), err(EAGAIN));
            exit(&mut k, child, 0);
            reap(&mut k, 1, child);
            assert_eq!(k.vfs.locks.count(), 1);
            assert_eq!(syscall(&mut k, 1, nr::CLOSE, &[fd]), 0);
            assert_eq!(k.vfs.locks.count(), 0, "the last descriptor took the flock lock");
        }
    }

    #[test]
    fn deadlock_is_a_circle_of_waiters() {
        let mut t = LockTable::default();
        // Task 10 (owner A) waits for B; B asking to wait for A closes it.
        t.waiters.insert(10, (A, B));
        assert!(t.would_deadlock(B, A, |_| true));
        assert!(!t.would_deadlock(B, A, |_| false), "a waiter that woke up does not count");
        assert!(!t.would_deadlock(Owner::Files(crate::proc::Handle::test(3)), A, |_| true));
    }
}
