//! Anonymous-inode files: signalfd (Linux: fs/signalfd.c) and pidfd
//! (Linux: kernel/pid.c, pidfd_fops).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::FileOps;
use crate::abi::*;
use crate::fs::file::{FileId, FileKind};
use crate::kernel::Kernel;
use crate::ns::PidNsId;

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
    fn d_path(&self, _k: &Kernel, _id: FileId) -> Vec<u8> {
        b"anon_inode:[signalfd]".to_vec()
    }

    fn poll(&self, k: &mut Kernel, id: FileId) -> u16 {
        match k.vfs.files.get(id).kind {
            FileKind::Signalfd { mask } => k.signalfd_poll(mask),
            other => unreachable!("signalfd ops on {other:?}"),
        }
    }

    /// The signals it reads, as the `Sig*` lines of status show a set
    /// (Linux: signalfd_show_fdinfo() → render_sigset_t()).
    fn show_fdinfo(&self, k: &Kernel, id: FileId, _view: PidNsId, out: &mut Vec<u8>) {
        if let FileKind::Signalfd { mask } = k.vfs.files.get(id).kind {
            out.extend_from_slice(format!("sigmask:\t{mask:016x}\n").as_bytes());
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

    /// The process's number in `view` and in each namespace below it
    /// down to its own, 0 when `view` cannot see it, -1 once it has been
    /// reaped (Linux: pidfd_show_fdinfo()).
    fn show_fdinfo(&self, k: &Kernel, id: FileId, view: PidNsId, out: &mut Vec<u8>) {
        let nrs: Vec<i64> = match k.pidfd_target(id) {
            Ok(Some(pid)) => {
                let from = k.ns.pid.get(view).level() as usize;
                match k.ns.pid.nr_in(pid, view) {
                    0 => alloc::vec![0],
                    _ => k.ns.pid.levels(pid).iter().skip(from).map(|&ns| k.ns.pid.nr_in(pid, ns) as i64).collect(),
                }
            }
            _ => alloc::vec![-1],
        };
        let ns: Vec<String> = nrs.iter().map(|n| format!("{n}")).collect();
        out.extend_from_slice(format!("Pid:\t{}\nNSpid:\t{}\n", nrs[0], ns.join("\t")).as_bytes());
    }
}
