//! Anonymous-inode files: signalfd (Linux: fs/signalfd.c) and pidfd
//! (Linux: kernel/pid.c, pidfd_fops).

use super::FileOps;
use crate::abi::*;
use crate::fs::file::{FileId, FileKind};
use crate::kernel::Kernel;

pub struct Signalfd;
pub static SIGNALFD: Signalfd = Signalfd;
pub struct Pidfd;
pub static PIDFD: Pidfd = Pidfd;

impl FileOps for Signalfd {
    event_file_ops!();

    /// Whole `signalfd_siginfo`s straight into user memory.
    fn read_iter(&self, k: &mut Kernel, id: FileId, buf: u64, len: usize, _pos: Option<u64>) -> SysResult {
        crate::syscall::signalfd_read(k, id, buf, len)
    }

    /// Linux: anon_inode_getfd("[signalfd]").
    fn d_path(&self, _k: &Kernel, _id: FileId) -> alloc::vec::Vec<u8> {
        b"anon_inode:[signalfd]".to_vec()
    }

    fn poll(&self, k: &mut Kernel, id: FileId) -> u16 {
        match k.vfs.files.get(id).kind {
            FileKind::Signalfd { mask } => k.signalfd_poll(mask),
            other => unreachable!("signalfd ops on {other:?}"),
        }
    }
}

impl FileOps for Pidfd {
    fn can_poll(&self) -> bool {
        true
    }

    /// Readable once the process has exited (Linux: pidfd_poll()).
    fn poll(&self, k: &mut Kernel, id: FileId) -> u16 {
        match k.pidfd_target(id) {
            Ok(Some(p)) if !k.proc.tasks()[&p].is_zombie() => 0,
            _ => POLLIN | POLLRDNORM,
        }
    }

    /// An anonymous-inode file, not a FIFO.
    fn stat(&self, k: &Kernel, id: FileId) -> SysResult<Stat> {
        Ok(super::anon_stat(k, id, S_IFREG | 0o600))
    }
}
