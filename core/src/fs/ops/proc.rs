//! Open /proc files: a snapshot generated at open (see `fs::procfs`).

use super::FileOps;
use crate::abi::*;
use crate::fs::file::{FileId, FileKind};
use crate::fs::procfs;
use crate::kernel::Kernel;

pub struct Proc;
pub static PROC: Proc = Proc;

impl FileOps for Proc {
    fn read(&self, k: &mut Kernel, id: FileId, pos: u64, buf: &mut [u8]) -> SysResult {
        procfs::read(k, id, pos, buf)
    }

    fn write(&self, k: &mut Kernel, id: FileId, pos: u64, data: &[u8]) -> SysResult {
        procfs::write(k, id, pos, data)
    }

    fn llseek(&self, k: &mut Kernel, id: FileId, off: i64, whence: u32) -> SysResult {
        procfs::lseek(k, id, off, whence)
    }

    fn stat(&self, k: &Kernel, id: FileId) -> SysResult<Stat> {
        match k.vfs.files.get(id).kind {
            FileKind::Proc(node, _) => Ok(procfs::stat(k, node)),
            other => unreachable!("proc ops on {other:?}"),
        }
    }

    fn d_path(&self, k: &Kernel, id: FileId) -> alloc::vec::Vec<u8> {
        match k.vfs.files.get(id).kind {
            FileKind::Proc(node, view) => procfs::node_path(k, view, node),
            other => unreachable!("proc ops on {other:?}"),
        }
    }

    fn getdents(&self, k: &mut Kernel, id: FileId, buf: u64, count: u64) -> SysResult {
        procfs::getdents64(k, id, buf, count)
    }

    /// Only an nsfs file has ioctls (`syscall::ns::ns_ioctl`).
    fn ioctl(&self, k: &mut Kernel, id: FileId, cmd: u32, arg: u64) -> SysResult {
        match k.vfs.files.get(id).kind {
            FileKind::Proc(procfs::Node::NsFile(r), view) => crate::syscall::ns::ns_ioctl(k, r, view, cmd, arg),
            _ => Err(ENOTTY),
        }
    }

    /// An nsfs file lets go of its namespace, a uid_map or gid_map of
    /// its opener's credentials.
    fn release(&self, k: &mut Kernel, id: FileId, f: &crate::fs::file::OpenFile) {
        match f.kind {
            FileKind::Proc(procfs::Node::NsFile(r), _) => k.put_ns_ref(&r),
            FileKind::Proc(procfs::Node::Pid { entry, .. }, _) => procfs::id_map::released(k, id, entry),
            _ => {}
        }
    }
}
