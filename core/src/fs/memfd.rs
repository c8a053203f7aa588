//! memfd_create(2) and file seals (Linux: mm/memfd.c, the shmem file
//! of mm/shmem.c).
//!
//! A memfd is a regular RAM file with no name (link count 0) of the root
//! instance, opened for reading and writing: reads, writes, ftruncate and
//! mmap (shared across fork through the page cache) are a regular file's.
//! What makes it a memfd is kept here, by inode: the name /proc shows
//! (`/memfd:NAME (deleted)`) and its seals (F_ADD_SEALS, F_GET_SEALS).
//! The ramfs drops the entry when it frees the inode.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use crate::abi::*;
use crate::fs::file::FileKind;
use crate::fs::Ino;
use crate::kernel::Kernel;

pub const MFD_CLOEXEC: u32 = 1;
pub const MFD_ALLOW_SEALING: u32 = 2;
pub const MFD_HUGETLB: u32 = 4;
pub const MFD_NOEXEC_SEAL: u32 = 8;
pub const MFD_EXEC: u32 = 0x10;

pub const F_ADD_SEALS: u32 = 1033;
pub const F_GET_SEALS: u32 = 1034;
pub const F_SEAL_SEAL: u32 = 1;
pub const F_SEAL_SHRINK: u32 = 2;
pub const F_SEAL_GROW: u32 = 4;
pub const F_SEAL_WRITE: u32 = 8;
pub const F_SEAL_FUTURE_WRITE: u32 = 0x10;
pub const F_SEAL_EXEC: u32 = 0x20;
const ALL_SEALS: u32 = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_FUTURE_WRITE | F_SEAL_EXEC;

/// Linux: MFD_NAME_MAX_LEN, NAME_MAX minus "memfd:".
const NAME_MAX: usize = 255 - 6;

/// What makes an inode a memfd.
#[derive(Clone, Debug)]
pub struct Memfd {
    pub name: Vec<u8>,
    /// Linux: `shmem_inode_info.seals`.
    pub seals: u32,
}

/// Every memfd's name and seals, by inode.
#[derive(Default, Debug)]
pub struct Memfds {
    by_ino: BTreeMap<Ino, Memfd>,
}

impl Memfds {
    pub fn get(&self, ino: Ino) -> Option<&Memfd> {
        self.by_ino.get(&ino)
    }

    /// The inode is freed.
    pub fn forget(&mut self, ino: Ino) {
        self.by_ino.remove(&ino);
    }

    /// The seals on `ino` (none on a file that is not a memfd).
    pub fn seals(&self, ino: Ino) -> u32 {
        self.by_ino.get(&ino).map_or(0, |m| m.seals)
    }
}

/// memfd_create(2).
pub fn memfd_create(k: &mut Kernel, uname: u64, flags: u32) -> SysResult {
    if flags & !(MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB | MFD_NOEXEC_SEAL | MFD_EXEC) != 0 {
        return Err(EINVAL);
    }
    if flags & MFD_HUGETLB != 0 && flags & (MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL) != 0 {
        return Err(EINVAL);
    }
    if flags & MFD_EXEC != 0 && flags & MFD_NOEXEC_SEAL != 0 {
        return Err(EINVAL);
    }
    if flags & MFD_HUGETLB != 0 {
        // No hugetlbfs here (Linux without CONFIG_HUGETLBFS: EINVAL).
        return Err(EINVAL);
    }
    let name = match k.read_cstr(uname, NAME_MAX + 1) {
        Ok(n) if n.len() <= NAME_MAX => n,
        Ok(_) | Err(ENAMETOOLONG) => return Err(EINVAL),
        Err(e) => return Err(e),
    };
    let mut seals = if flags & (MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL) != 0 { 0 } else { F_SEAL_SEAL };
    let mut mode = S_IFREG | 0o777;
    if flags & MFD_NOEXEC_SEAL != 0 {
        mode &= !0o111;
        seals |= F_SEAL_EXEC;
    }
    let cred = k.fs_cred();
    let now = k.now_real();
    let ino = k.vfs.fs.create_unlinked(&cred, mode, now);
    let mut full = b"memfd:".to_vec();
    full.extend_from_slice(&name);
    k.vfs.fs.memfds.by_ino.insert(ino, Memfd { name: full, seals });
    k.vfs.fs.ihold(ino)?;
    k.vfs.fs.get_write_access(ino)?;
    let id = k.vfs.files.open(FileKind::Inode(ino), O_RDWR | O_LARGEFILE, Some(ino));
    k.install_fd(id, flags & MFD_CLOEXEC != 0, 0)
}

/// fcntl's F_ADD_SEALS and F_GET_SEALS on description `file` (Linux:
/// memfd_fcntl()): EINVAL for a file that is not a memfd.
pub fn seal_fcntl(k: &mut Kernel, file: crate::fs::file::FileId, cmd: u32, arg: u64) -> SysResult {
    let f = k.vfs.files.get(file);
    let Some(ino) = f.kind.data_ino().filter(|&i| k.vfs.fs.memfds.get(i).is_some()) else {
        return Err(EINVAL);
    };
    if cmd == F_GET_SEALS {
        return Ok(k.vfs.fs.memfds.seals(ino) as usize);
    }
    // Linux: memfd_add_seals().
    if !f.writable() {
        return Err(EPERM);
    }
    let seals = arg as u32;
    if arg > u32::MAX as u64 || seals & !ALL_SEALS != 0 {
        return Err(EINVAL);
    }
    let m = k.vfs.fs.memfds.by_ino.get_mut(&ino).expect("a memfd");
    if m.seals & F_SEAL_SEAL != 0 {
        return Err(EPERM);
    }
    if seals & F_SEAL_WRITE != 0 && m.seals & F_SEAL_WRITE == 0 && k.shared_writable_mappings(ino) {
        return Err(EBUSY);
    }
    let m = k.vfs.fs.memfds.by_ino.get_mut(&ino).expect("a memfd");
    m.seals |= seals;
    Ok(0)
}

impl Kernel {
    /// A write of `len` bytes at `pos` into `ino`, against its seals
    /// (Linux: shmem_write_begin()): EPERM past F_SEAL_WRITE or
    /// F_SEAL_FUTURE_WRITE, or past the end under F_SEAL_GROW.
    pub fn seal_check_write(&self, ino: Ino, pos: u64, len: u64) -> SysResult<()> {
        let seals = self.vfs.fs.memfds.seals(ino);
        if seals == 0 {
            return Ok(());
        }
        if seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE) != 0 {
            return Err(EPERM);
        }
        let size = self.vfs.fs.inode(ino)?.size();
        if seals & F_SEAL_GROW != 0 && pos.saturating_add(len) > size {
            return Err(EPERM);
        }
        Ok(())
    }

    /// Whether `ino` is sealed against writes, so that it may not be
    /// mapped shared and writable (Linux: memfd_check_seals_mmap()).
    pub fn write_sealed(&self, ino: Ino) -> bool {
        self.vfs.fs.memfds.seals(ino) & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE) != 0
    }

    /// A change of `ino`'s size to `len` (Linux: shmem_setattr()).
    pub fn seal_check_truncate(&self, ino: Ino, len: u64) -> SysResult<()> {
        let seals = self.vfs.fs.memfds.seals(ino);
        if seals == 0 {
            return Ok(());
        }
        let size = self.vfs.fs.inode(ino)?.size();
        if (len < size && seals & F_SEAL_SHRINK != 0) || (len > size && seals & F_SEAL_GROW != 0) {
            return Err(EPERM);
        }
        Ok(())
    }

    /// Whether some address space maps `ino` shared and may write it,
    /// whatever the mapping's protection now (Linux:
    /// mapping_writably_mapped()).
    fn shared_writable_mappings(&self, ino: Ino) -> bool {
        self.mem.mms().iter().any(|(_, a)| a.maps_shared_writable(ino))
    }
}
