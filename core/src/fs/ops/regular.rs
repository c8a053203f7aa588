//! Regular files and directories of the RAM file system (Linux:
//! shmem_file_operations, simple_dir_operations).

use super::FileOps;
use crate::abi::*;
use crate::fs::file::{FileId, FileKind};
use crate::fs::{FileType, Ino};
use crate::kernel::Kernel;
use crate::mm::mmap::MapTarget;

pub struct Regular;
pub static REGULAR: Regular = Regular;

/// The inode behind description `id`, one of ours.
fn ino(k: &Kernel, id: FileId) -> Ino {
    match k.vfs.files.get(id).kind {
        FileKind::Inode(ino) => ino,
        other => unreachable!("regular ops on {other:?}"),
    }
}

impl FileOps for Regular {
    fn read(&self, k: &mut Kernel, id: FileId, pos: u64, buf: &mut [u8]) -> SysResult {
        let ino = ino(k, id);
        if k.vfs.fs.inode(ino)?.is_dir() {
            return Err(EISDIR);
        }
        k.file_read(ino, pos, buf)
    }

    fn write(&self, k: &mut Kernel, id: FileId, pos: u64, data: &[u8]) -> SysResult {
        let ino = ino(k, id);
        k.seal_check_write(ino, pos, data.len() as u64)?;
        let now = k.now_real();
        k.file_write(ino, pos, data, now)
    }

    /// Linux: generic_file_llseek(); SEEK_DATA finds data everywhere in
    /// the file and SEEK_HOLE only at its end.
    fn llseek(&self, k: &mut Kernel, id: FileId, off: i64, whence: u32) -> SysResult {
        let size = k.vfs.fs.inode(ino(k, id))?.size() as i64;
        let cur = k.vfs.files.get(id).offset as i64;
        let new = match whence {
            0 => Some(off),
            1 => cur.checked_add(off),
            2 => size.checked_add(off),
            3 if off >= 0 && off < size => Some(off),
            4 if off >= 0 && off < size => Some(size),
            3 | 4 => return Err(ENXIO),
            _ => return Err(EINVAL),
        };
        crate::syscall::set_offset(k, id, new)
    }

    /// FIONREAD on a regular file: the bytes past the offset.
    fn ioctl(&self, k: &mut Kernel, id: FileId, cmd: u32, arg: u64) -> SysResult {
        let ino = ino(k, id);
        if cmd != FIONREAD || k.vfs.fs.inode(ino)?.file_type() != FileType::Regular {
            return Err(ENOTTY);
        }
        let n = (k.vfs.fs.inode(ino)?.size() as i64 - k.vfs.files.get(id).offset as i64) as i32;
        k.copy_out(arg, &n.to_le_bytes())?;
        Ok(0)
    }

    /// Linux: dcache_readdir(); the file offset is the directory position.
    fn getdents(&self, k: &mut Kernel, id: FileId, buf: u64, count: u64) -> SysResult {
        let ino = ino(k, id);
        if !k.vfs.fs.inode(ino)?.is_dir() {
            return Err(ENOTDIR);
        }
        let (bytes, next) = k.vfs.fs.getdents64(ino, k.vfs.files.get(id).offset, count.min(1 << 20) as usize)?;
        k.copy_out(buf, &bytes)?;
        k.vfs.files.get_mut(id).offset = next;
        Ok(bytes.len())
    }

    /// Nothing to write back: the data is in memory.
    fn fsync(&self, _k: &mut Kernel, _id: FileId) -> SysResult {
        Ok(0)
    }

    /// A regular file's data moves into the page cache before the first
    /// mapping; if the mapping then fails, reclaim undoes that.
    fn mmap(&self, k: &mut Kernel, id: FileId) -> SysResult<MapTarget> {
        let ino = ino(k, id);
        if k.vfs.fs.inode(ino)?.file_type() != FileType::Regular {
            return Ok(MapTarget::NoMmap);
        }
        k.attach_file(ino)?;
        Ok(MapTarget::File(ino))
    }
}
