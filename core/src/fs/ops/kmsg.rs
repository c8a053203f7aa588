//! /dev/kmsg: the kernel log one record per read (Linux:
//! kernel/printk/printk.c, `kmsg_fops`). The records and their format are
//! `log::kmsg`'s; this only plugs them into the open-file operations.

use super::FileOps;
use crate::abi::*;
use crate::fs::file::FileId;
use crate::kernel::Kernel;

pub struct Kmsg;
pub static KMSG: Kmsg = Kmsg;

impl FileOps for Kmsg {
    fn read(&self, k: &mut Kernel, id: FileId, _pos: u64, buf: &mut [u8]) -> SysResult {
        crate::log::kmsg::read(k, id, buf)
    }

    /// One record per read(2), however large the buffer.
    fn read_more(&self, _k: &mut Kernel, _id: FileId) -> bool {
        false
    }

    fn write(&self, k: &mut Kernel, _id: FileId, _pos: u64, data: &[u8]) -> SysResult {
        crate::log::kmsg::write(k, data)
    }

    /// The description's offset is the reader's next record number, which
    /// the read moves itself.
    fn seekable(&self) -> bool {
        false
    }

    fn llseek(&self, k: &mut Kernel, id: FileId, off: i64, whence: u32) -> SysResult {
        crate::log::kmsg::lseek(k, id, off, whence)
    }

    fn can_poll(&self) -> bool {
        true
    }

    fn poll(&self, k: &mut Kernel, id: FileId) -> u16 {
        crate::log::kmsg::poll(k, id)
    }
}
