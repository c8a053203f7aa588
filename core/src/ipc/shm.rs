//! System V shared memory (Linux: ipc/shm.c, ipc/util.c): shmget,
//! shmat, shmdt, shmctl.
//!
//! A segment is an anonymous shared-memory object of the page cache (the
//! same kind MAP_SHARED|MAP_ANONYMOUS makes) with an IPC identity: a key,
//! an id, an owner and a mode. The segment table holds one user reference
//! on the object; each address space that attaches it holds another, so
//! an attachment lives on across fork, and goes at munmap, exec and exit
//! like any mapping. `shm_nattch` is the object's users less the table's.
//! IPC_RMID with attachments left only marks the segment (SHM_DEST) and
//! gives up the table's reference: the object goes with the last
//! detachment, and the segment's entry is dropped when it is next seen
//! without its object.

use alloc::collections::BTreeMap;

use crate::abi::*;
use crate::kernel::Kernel;
use crate::mm::consts::{MAP_FIXED, MAP_SHARED, PAGE_SIZE, PROT_EXEC, PROT_READ, PROT_WRITE};
use crate::mm::mmap::{MapFile, MapTarget};

const IPC_PRIVATE: i32 = 0;
const IPC_CREAT: u32 = 0o1000;
const IPC_EXCL: u32 = 0o2000;
const IPC_RMID: i32 = 0;
const IPC_SET: i32 = 1;
const IPC_STAT: i32 = 2;
const IPC_INFO: i32 = 3;
/// shmctl's commands may carry IPC_64 (0x100); x86_64 has one layout.
const IPC_64: i32 = 0x100;
const SHM_RDONLY: u32 = 0o10000;
const SHM_RND: u32 = 0o20000;
const SHM_REMAP: u32 = 0o40000;
const SHM_EXEC: u32 = 0o100000;
/// Mode bits the kernel keeps beside the permissions.
const SHM_DEST: u32 = 0o1000;
/// Linux's defaults (include/uapi/linux/shm.h): the largest segment, the
/// pages of all of them, the number of ids.
const SHMMAX: u64 = u64::MAX - (1 << 24);
const SHMALL: u64 = u64::MAX - (1 << 24);
const SHMMNI: usize = 4096;
const SHMMIN: u64 = 1;
/// ipc_buildid(): an id is the slot plus a sequence number times this.
const SEQ_MULTIPLIER: i32 = 32768;

/// One segment (Linux: `struct shmid_kernel`).
#[derive(Clone, Debug)]
struct Segment {
    key: i32,
    /// The page-cache object holding the memory.
    object: u64,
    size: u64,
    uid: u32,
    gid: u32,
    cuid: u32,
    cgid: u32,
    /// Permission bits and SHM_DEST.
    mode: u32,
    seq: u16,
    cpid: u32,
    lpid: u32,
    atime: u64,
    dtime: u64,
    ctime: u64,
}

/// The IPC namespace's segments (Linux: `ipc_namespace.ids[IPC_SHM_IDS]`).
#[derive(Debug, Default)]
pub struct ShmTable {
    by_slot: BTreeMap<usize, Segment>,
    seq: u16,
}

impl ShmTable {
    fn slot_of(id: i32) -> usize {
        (id % SEQ_MULTIPLIER) as usize
    }

    fn id_of(slot: usize, seg: &Segment) -> i32 {
        seg.seq as i32 * SEQ_MULTIPLIER + slot as i32
    }
}

impl Kernel {
    /// Forget segments marked for removal whose memory has gone with its
    /// last attachment.
    fn shm_reap(&mut self) {
        let pagecache = self.mem.pagecache();
        self.ipc.shm.by_slot.retain(|_, s| s.mode & SHM_DEST == 0 || pagecache.contains(s.object));
    }

    /// The segment with id `id`: EINVAL if there is none (Linux:
    /// shm_obtain_object_check()).
    fn shm_find(&mut self, id: i32) -> SysResult<usize> {
        self.shm_reap();
        let slot = if id < 0 { return Err(EINVAL) } else { ShmTable::slot_of(id) };
        match self.ipc.shm.by_slot.get(&slot) {
            Some(s) if ShmTable::id_of(slot, s) == id => Ok(slot),
            _ => Err(EINVAL),
        }
    }

    /// Linux: ipcperms(): the owner's, group's or others' bits of the
    /// segment's mode must grant `want` (4 read, 2 write), unless the
    /// caller has CAP_IPC_OWNER.
    fn shm_perms(&self, slot: usize, want: u32) -> SysResult<()> {
        let s = &self.ipc.shm.by_slot[&slot];
        let t = self.cur();
        let c = t.cred;
        let bits = if c.euid == s.cuid || c.euid == s.uid {
            s.mode >> 6
        } else if c.egid == s.cgid || c.egid == s.gid || t.groups.iter().any(|&g| g == s.gid || g == s.cgid) {
            s.mode >> 3
        } else {
            s.mode
        };
        if want & !bits & 7 == 0 || c.capable(crate::proc::capability::CAP_IPC_OWNER) {
            Ok(())
        } else {
            Err(EACCES)
        }
    }

    /// The current process detached the segments among `objects` (an
    /// address space going at exit or exec): they note who and when
    /// (Linux: shm_close()).
    pub fn shm_note_detach(&mut self, objects: impl Iterator<Item = u64>) {
        if self.ipc.shm.by_slot.is_empty() || self.sched.current().is_none() {
            return;
        }
        let (now, tgid) = (self.now_real() / 1_000_000_000, self.cur().tgid);
        for object in objects {
            if let Some(s) = self.ipc.shm.by_slot.values_mut().find(|s| s.object == object) {
                s.dtime = now;
                s.lpid = tgid;
            }
        }
    }

    /// Destroy every segment: the namespace is going (Linux:
    /// shm_exit_ns()). Segments still attached somewhere lose only the
    /// table's reference.
    pub fn shm_exit_ns(&mut self) {
        for (_, s) in core::mem::take(&mut self.ipc.shm.by_slot) {
            if s.mode & SHM_DEST == 0 {
                self.mem.release_object(s.object);
            }
        }
    }

    /// The attachments of segment `slot` (Linux: shm_nattch).
    fn shm_nattch(&self, slot: usize) -> u64 {
        let s = &self.ipc.shm.by_slot[&slot];
        let users = self.mem.pagecache().users(s.object) as u64;
        if s.mode & SHM_DEST != 0 {
            users
        } else {
            users.saturating_sub(1)
        }
    }
}

/// shmget(2) (Linux: ksys_shmget() → ipcget()).
pub fn sys_shmget(k: &mut Kernel, key: i32, size: u64, flags: u32) -> SysResult {
    k.shm_reap();
    if key != IPC_PRIVATE {
        if let Some((&slot, s)) = k.ipc.shm.by_slot.iter().find(|(_, s)| s.key == key) {
            if flags & IPC_CREAT != 0 && flags & IPC_EXCL != 0 {
                return Err(EEXIST);
            }
            let (id, segsz) = (ShmTable::id_of(slot, s), s.size);
            k.shm_perms(slot, (flags >> 6) & 7)?;
            // Linux: shm_more_checks().
            if segsz < size {
                return Err(EINVAL);
            }
            return Ok(id as usize);
        }
        if flags & IPC_CREAT == 0 {
            return Err(ENOENT);
        }
    }
    // Linux: newseg().
    if !(SHMMIN..=SHMMAX).contains(&size) {
        return Err(EINVAL);
    }
    let pages = size.div_ceil(PAGE_SIZE);
    let total: u64 = k.ipc.shm.by_slot.values().map(|s| s.size.div_ceil(PAGE_SIZE)).sum();
    if total + pages > SHMALL {
        return Err(ENOSPC);
    }
    let Some(slot) = (0..SHMMNI).find(|i| !k.ipc.shm.by_slot.contains_key(i)) else { return Err(ENOSPC) };
    let object = k.mem.pagecache_mut().create_shmem(pages * PAGE_SIZE, false);
    k.mem.pagecache_mut().hold(object, false);
    let now = k.now_real() / 1_000_000_000;
    k.ipc.shm.seq = k.ipc.shm.seq.wrapping_add(1);
    let t = k.cur();
    let seg = Segment {
        key,
        object,
        size,
        uid: t.cred.euid,
        gid: t.cred.egid,
        cuid: t.cred.euid,
        cgid: t.cred.egid,
        mode: flags & 0o777,
        seq: k.ipc.shm.seq,
        cpid: t.tgid,
        lpid: 0,
        atime: 0,
        dtime: 0,
        ctime: now,
    };
    let id = ShmTable::id_of(slot, &seg);
    k.ipc.shm.by_slot.insert(slot, seg);
    Ok(id as usize)
}

/// shmat(2) (Linux: do_shmat()): map the segment shared, read-only with
/// SHM_RDONLY; at `addr` (rounded down with SHM_RND, else page aligned),
/// replacing mappings there only with SHM_REMAP.
pub fn sys_shmat(k: &mut Kernel, id: i32, addr: u64, flags: u32) -> SysResult {
    let slot = k.shm_find(id)?;
    let mut addr = addr;
    if addr != 0 {
        if addr & (PAGE_SIZE - 1) != 0 {
            if flags & SHM_RND == 0 {
                return Err(EINVAL);
            }
            addr &= !(PAGE_SIZE - 1);
            if addr == 0 && flags & SHM_REMAP != 0 {
                return Err(EINVAL);
            }
        }
    } else if flags & SHM_REMAP != 0 {
        return Err(EINVAL);
    }
    let (want, mut prot) = if flags & SHM_RDONLY != 0 { (4, PROT_READ) } else { (6, PROT_READ | PROT_WRITE) };
    if flags & SHM_EXEC != 0 {
        prot |= PROT_EXEC;
    }
    k.shm_perms(slot, want)?;
    let (object, size) = (k.ipc.shm.by_slot[&slot].object, k.ipc.shm.by_slot[&slot].size);
    let len = size.div_ceil(PAGE_SIZE) * PAGE_SIZE;
    // Without SHM_REMAP a fixed address must be free (Linux: find_vma_intersection() → EINVAL).
    if addr != 0 && flags & SHM_REMAP == 0 && k.with_mm(|a, _| a.vmas().any(|v| v.start < addr + len && addr < v.end)) {
        return Err(EINVAL);
    }
    let file = MapFile { target: MapTarget::File(object), readable: true, writable: flags & SHM_RDONLY == 0, pgoff: 0 };
    let map_flags = MAP_SHARED | if addr != 0 { MAP_FIXED } else { 0 };
    k.refresh_vm_limits();
    let at = k.with_mm(|a, ctx| a.mmap_file(ctx, addr, len, prot, map_flags, &file))?;
    let now = k.now_real() / 1_000_000_000;
    let tgid = k.cur().tgid;
    let s = k.ipc.shm.by_slot.get_mut(&slot).expect("segment");
    s.atime = now;
    s.lpid = tgid;
    Ok(at as usize)
}

/// shmdt(2) (Linux: ksys_shmdt()): unmap the attachment that starts at
/// `addr`; EINVAL if no segment is attached there.
pub fn sys_shmdt(k: &mut Kernel, addr: u64) -> SysResult {
    if addr & (PAGE_SIZE - 1) != 0 {
        return Err(EINVAL);
    }
    k.shm_reap();
    let objects: alloc::vec::Vec<u64> = k.ipc.shm.by_slot.values().map(|s| s.object).collect();
    let found = k.with_mm(|a, _| {
        a.find_vma(addr)
            .filter(|v| v.start == addr)
            .and_then(|v| v.file_key().filter(|key| objects.contains(key)).map(|key| (key, v.end)))
    });
    let Some((object, mut end)) = found else { return Err(EINVAL) };
    // The attachment may have been split (mprotect): every piece of the
    // same segment that follows without a gap.
    while let Some(next) =
        k.with_mm(|a, _| a.find_vma(end).filter(|v| v.start == end && v.file_key() == Some(object)).map(|v| v.end))
    {
        end = next;
    }
    k.with_mm(|a, ctx| a.munmap(ctx, addr, end - addr))?;
    let now = k.now_real() / 1_000_000_000;
    let tgid = k.cur().tgid;
    if let Some(s) = k.ipc.shm.by_slot.values_mut().find(|s| s.object == object) {
        s.dtime = now;
        s.lpid = tgid;
    }
    k.shm_reap();
    Ok(0)
}

/// shmctl(2): IPC_STAT, IPC_SET, IPC_RMID and IPC_INFO (Linux:
/// ksys_shmctl()).
pub fn sys_shmctl(k: &mut Kernel, id: i32, cmd: i32, buf: u64) -> SysResult {
    let cmd = cmd & !IPC_64;
    if cmd == IPC_INFO {
        let info = Shminfo64 {
            shmmax: SHMMAX,
            shmmin: SHMMIN,
            shmmni: SHMMNI as u64,
            shmseg: SHMMNI as u64,
            shmall: SHMALL,
            unused: [0; 4],
        };
        k.write_val(buf, &info)?;
        return Ok(k.ipc.shm.by_slot.keys().next_back().copied().unwrap_or(0));
    }
    if !matches!(cmd, IPC_STAT | IPC_SET | IPC_RMID) {
        return Err(EINVAL);
    }
    let slot = k.shm_find(id)?;
    match cmd {
        IPC_STAT => {
            k.shm_perms(slot, 4)?;
            let nattch = k.shm_nattch(slot);
            let s = &k.ipc.shm.by_slot[&slot];
            let ds = ShmidDs {
                shm_perm: Ipc64Perm {
                    key: s.key,
                    uid: s.uid,
                    gid: s.gid,
                    cuid: s.cuid,
                    cgid: s.cgid,
                    mode: s.mode,
                    seq: s.seq,
                    ..Default::default()
                },
                shm_segsz: s.size,
                shm_atime: s.atime as i64,
                shm_dtime: s.dtime as i64,
                shm_ctime: s.ctime as i64,
                shm_cpid: s.cpid as i32,
                shm_lpid: s.lpid as i32,
                shm_nattch: nattch,
                ..Default::default()
            };
            k.write_val(buf, &ds)?;
            Ok(0)
        }
        IPC_SET | IPC_RMID => {
            // Linux: ipcctl_obtain_check(): the owner, the creator or
            // CAP_SYS_ADMIN.
            let c = k.cur().cred;
            let s = &k.ipc.shm.by_slot[&slot];
            if c.euid != s.uid && c.euid != s.cuid && !c.capable(crate::proc::capability::CAP_SYS_ADMIN) {
                return Err(EPERM);
            }
            if cmd == IPC_SET {
                // Linux: copy_shmid_from_user(), the whole shmid64_ds.
                let ds: ShmidDs = k.read_val(buf)?;
                let now = k.now_real() / 1_000_000_000;
                let s = k.ipc.shm.by_slot.get_mut(&slot).expect("segment");
                s.uid = ds.shm_perm.uid;
                s.gid = ds.shm_perm.gid;
                s.mode = (s.mode & !0o777) | (ds.shm_perm.mode & 0o777);
                s.ctime = now;
                return Ok(0);
            }
            // IPC_RMID: the key is free at once; the memory goes with the
            // last attachment (Linux: do_shm_rmid()).
            let attached = k.shm_nattch(slot) > 0;
            let s = k.ipc.shm.by_slot.get_mut(&slot).expect("segment");
            let object = s.object;
            if attached {
                s.mode |= SHM_DEST;
                s.key = IPC_PRIVATE;
            } else {
                k.ipc.shm.by_slot.remove(&slot);
            }
            k.mem.release_object(object);
            Ok(0)
        }
        _ => Err(EINVAL),
    }
}
