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

use alloc::vec::Vec;

use super::util::*;
use crate::abi::*;
use crate::kernel::Kernel;
use crate::mm::consts::{MAP_FIXED, MAP_SHARED, PAGE_SIZE, PROT_EXEC, PROT_READ, PROT_WRITE};
use crate::mm::mmap::{MapFile, MapTarget};

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

/// One segment (Linux: `struct shmid_kernel`).
#[derive(Clone, Debug)]
pub struct Segment {
    /// The identity; its mode keeps SHM_DEST beside the permission bits.
    perm: IpcPerm,
    /// The page-cache object holding the memory.
    object: u64,
    size: u64,
    cpid: u32,
    lpid: u32,
    atime: i64,
    dtime: i64,
    ctime: i64,
}

impl IpcObject for Segment {
    fn perm(&self) -> &IpcPerm {
        &self.perm
    }
}

/// The IPC namespace's segments (Linux: `ipc_namespace.ids[IPC_SHM_IDS]`).
#[derive(Debug, Default)]
pub struct ShmTable {
    ids: IpcIds<Segment>,
}

impl Kernel {
    /// Forget segments marked for removal whose memory has gone with its
    /// last attachment.
    fn shm_reap(&mut self) {
        let pagecache = self.mem.pagecache();
        self.ipc.shm.ids.by_slot.retain(|_, s| s.perm.mode & SHM_DEST == 0 || pagecache.contains(s.object));
    }

    /// The segment with id `id`: EINVAL if there is none (Linux:
    /// shm_obtain_object_check()).
    fn shm_find(&mut self, id: i32) -> SysResult<usize> {
        self.shm_reap();
        self.ipc.shm.ids.find(id)
    }

    fn shm_seg(&self, slot: usize) -> &Segment {
        &self.ipc.shm.ids.by_slot[&slot]
    }

    fn shm_seg_mut(&mut self, slot: usize) -> &mut Segment {
        self.ipc.shm.ids.by_slot.get_mut(&slot).expect("segment")
    }

    /// The current process detached the segments among `objects` (an
    /// address space going at exit or exec): they note who and when
    /// (Linux: shm_close()).
    pub fn shm_note_detach(&mut self, objects: impl Iterator<Item = u64>) {
        if self.ipc.shm.ids.by_slot.is_empty() || self.sched.current().is_none() {
            return;
        }
        let (now, tgid) = (now_secs(self), self.cur().tgid);
        for object in objects {
            if let Some(s) = self.ipc.shm.ids.by_slot.values_mut().find(|s| s.object == object) {
                s.dtime = now;
                s.lpid = tgid;
            }
        }
    }

    /// Destroy every segment: the namespace is going (Linux:
    /// shm_exit_ns()). Segments still attached somewhere lose only the
    /// table's reference.
    pub fn shm_exit_ns(&mut self) {
        for (_, s) in core::mem::take(&mut self.ipc.shm.ids.by_slot) {
            if s.perm.mode & SHM_DEST == 0 {
                self.mem.release_object(s.object);
            }
        }
    }

    /// The attachments of segment `slot` (Linux: shm_nattch).
    fn shm_nattch(&self, slot: usize) -> u64 {
        let s = self.shm_seg(slot);
        let users = self.mem.pagecache().users(s.object) as u64;
        if s.perm.mode & SHM_DEST != 0 {
            users
        } else {
            users.saturating_sub(1)
        }
    }

    /// /proc/sysvipc/shm (Linux: sysvipc_shm_proc_show()): sizes, rss and
    /// swap in bytes, in 21 columns on 64-bit.
    pub fn shm_proc_text(&self, out: &mut Vec<u8>) {
        use core::fmt::Write;
        let mut s = alloc::string::String::from(
            "       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  cgid      atime      dtime      ctime                   rss                  swap\n",
        );
        // Segments gone with their last attachment are not reaped yet.
        let live = self
            .ipc
            .shm
            .ids
            .by_slot
            .iter()
            .filter(|(_, s)| s.perm.mode & SHM_DEST == 0 || self.mem.pagecache().contains(s.object));
        for (&slot, seg) in live {
            let p = &seg.perm;
            let rss = self.mem.pagecache().pages_of(seg.object) as u64 * PAGE_SIZE;
            let _ = writeln!(
                s,
                "{:10} {:10}  {:4o} {:21} {:5} {:5}  {:5} {:5} {:5} {:5} {:5} {:10} {:10} {:10} {:21} {:21}",
                p.key,
                IpcIds::id_of(slot, seg),
                p.mode,
                seg.size,
                seg.cpid,
                seg.lpid,
                self.shm_nattch(slot),
                p.uid,
                p.gid,
                p.cuid,
                p.cgid,
                seg.atime,
                seg.dtime,
                seg.ctime,
                rss,
                0
            );
        }
        out.extend_from_slice(s.as_bytes());
    }
}

/// shmget(2) (Linux: ksys_shmget() → ipcget()).
pub fn get(k: &mut Kernel, key: i32, size: u64, flags: u32) -> SysResult {
    k.shm_reap();
    if let Some((slot, id)) = k.ipc.shm.ids.lookup(k, key, flags)? {
        // Linux: shm_more_checks().
        if k.shm_seg(slot).size < size {
            return Err(EINVAL);
        }
        return Ok(id as usize);
    }
    // Linux: newseg().
    if !(SHMMIN..=SHMMAX).contains(&size) {
        return Err(EINVAL);
    }
    let pages = size.div_ceil(PAGE_SIZE);
    let total: u64 = k.ipc.shm.ids.by_slot.values().map(|s| s.size.div_ceil(PAGE_SIZE)).sum();
    if total + pages > SHMALL {
        return Err(ENOSPC);
    }
    let Some(slot) = k.ipc.shm.ids.free_slot(SHMMNI) else { return Err(ENOSPC) };
    let object = k.mem.pagecache_mut().create_shmem(pages * PAGE_SIZE, false);
    k.mem.pagecache_mut().hold(object, false);
    let seq = k.ipc.shm.ids.next_seq();
    let seg = Segment {
        perm: IpcPerm::new(k, key, flags, seq),
        object,
        size,
        cpid: k.cur().tgid,
        lpid: 0,
        atime: 0,
        dtime: 0,
        ctime: now_secs(k),
    };
    let id = IpcIds::id_of(slot, &seg);
    k.ipc.shm.ids.by_slot.insert(slot, seg);
    Ok(id as usize)
}

/// shmat(2) (Linux: do_shmat()): map the segment shared, read-only with
/// SHM_RDONLY; at `addr` (rounded down with SHM_RND, else page aligned),
/// replacing mappings there only with SHM_REMAP.
pub fn attach(k: &mut Kernel, id: i32, addr: u64, flags: u32) -> SysResult {
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
    k.shm_seg(slot).perm.check(k, want)?;
    let (object, size) = (k.shm_seg(slot).object, k.shm_seg(slot).size);
    let len = size.div_ceil(PAGE_SIZE) * PAGE_SIZE;
    // Without SHM_REMAP a fixed address must be free (Linux: find_vma_intersection() → EINVAL).
    if addr != 0 && flags & SHM_REMAP == 0 && k.with_mm(|a, _| a.vmas().any(|v| v.start < addr + len && addr < v.end)) {
        return Err(EINVAL);
    }
    let file = MapFile {
        target: MapTarget::File(object),
        readable: true,
        writable: flags & SHM_RDONLY == 0,
        pgoff: 0,
        write_sealed: false,
        noexec: false,
    };
    let map_flags = MAP_SHARED | if addr != 0 { MAP_FIXED } else { 0 };
    k.refresh_vm_limits();
    let at = k.with_mm(|a, ctx| a.mmap_file(ctx, addr, len, prot, map_flags, &file))?;
    let (now, tgid) = (now_secs(k), k.cur().tgid);
    let s = k.shm_seg_mut(slot);
    s.atime = now;
    s.lpid = tgid;
    Ok(at as usize)
}

/// shmdt(2) (Linux: ksys_shmdt()): unmap the attachment that starts at
/// `addr`; EINVAL if no segment is attached there.
pub fn detach(k: &mut Kernel, addr: u64) -> SysResult {
    if addr & (PAGE_SIZE - 1) != 0 {
        return Err(EINVAL);
    }
    k.shm_reap();
    let objects: Vec<u64> = k.ipc.shm.ids.by_slot.values().map(|s| s.object).collect();
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
    let (now, tgid) = (now_secs(k), k.cur().tgid);
    if let Some(s) = k.ipc.shm.ids.by_slot.values_mut().find(|s| s.object == object) {
        s.dtime = now;
        s.lpid = tgid;
    }
    k.shm_reap();
    Ok(0)
}

/// IPC_INFO: the limits, and the highest slot in use.
pub fn info(k: &Kernel) -> (Shminfo64, usize) {
    let info = Shminfo64 {
        shmmax: SHMMAX,
        shmmin: SHMMIN,
        shmmni: SHMMNI as u64,
        shmseg: SHMMNI as u64,
        shmall: SHMALL,
        unused: [0; 4],
    };
    (info, k.ipc.shm.ids.max_slot())
}

/// IPC_STAT (Linux: shmctl_stat()).
pub fn stat(k: &mut Kernel, id: i32) -> SysResult<ShmidDs> {
    let slot = k.shm_find(id)?;
    k.shm_seg(slot).perm.check(k, 4)?;
    let nattch = k.shm_nattch(slot);
    let s = k.shm_seg(slot);
    Ok(ShmidDs {
        shm_perm: s.perm.to_user(k),
        shm_segsz: s.size,
        shm_atime: s.atime,
        shm_dtime: s.dtime,
        shm_ctime: s.ctime,
        shm_cpid: s.cpid as i32,
        shm_lpid: s.lpid as i32,
        shm_nattch: nattch,
        ..Default::default()
    })
}

/// IPC_SET (Linux: shmctl_down()).
pub fn set(k: &mut Kernel, id: i32, ds: &ShmidDs) -> SysResult {
    let slot = k.shm_find(id)?;
    k.shm_seg(slot).perm.check_owner(k)?;
    let perm = IpcPerm::from_user(k, &ds.shm_perm)?;
    let now = now_secs(k);
    let s = k.shm_seg_mut(slot);
    s.perm.set(&perm);
    s.ctime = now;
    Ok(0)
}

/// IPC_RMID: the key is free at once; the memory goes with the last
/// attachment (Linux: shmctl_down() → do_shm_rmid()).
pub fn remove(k: &mut Kernel, id: i32) -> SysResult {
    let slot = k.shm_find(id)?;
    k.shm_seg(slot).perm.check_owner(k)?;
    let attached = k.shm_nattch(slot) > 0;
    let s = k.shm_seg_mut(slot);
    let object = s.object;
    if attached {
        s.perm.mode |= SHM_DEST;
        s.perm.key = IPC_PRIVATE;
    } else {
        k.ipc.shm.ids.by_slot.remove(&slot);
    }
    k.mem.release_object(object);
    Ok(0)
}
