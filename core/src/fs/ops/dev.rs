//! /dev/null and /dev/zero (Linux: drivers/char/mem.c).

use super::FileOps;
use crate::abi::*;
use crate::fs::file::FileId;
use crate::kernel::Kernel;
use crate::mm::mmap::MapTarget;

pub struct Null;
pub static NULL: Null = Null;
pub struct Zero;
pub static ZERO: Zero = Zero;

/// Linux: null_lseek(): every seek succeeds and lands at 0.
fn null_lseek(whence: u32) -> SysResult {
    if whence > 4 {
        return Err(EINVAL);
    }
    Ok(0)
}

impl FileOps for Null {
    fn read(&self, _k: &mut Kernel, _id: FileId, _pos: u64, _buf: &mut [u8]) -> SysResult {
        Ok(0)
    }

    fn write(&self, _k: &mut Kernel, _id: FileId, _pos: u64, data: &[u8]) -> SysResult {
        Ok(data.len())
    }

    fn llseek(&self, _k: &mut Kernel, _id: FileId, _off: i64, whence: u32) -> SysResult {
        null_lseek(whence)
    }
}

impl FileOps for Zero {
    fn read(&self, _k: &mut Kernel, _id: FileId, _pos: u64, buf: &mut [u8]) -> SysResult {
        buf.fill(0);
        Ok(buf.len())
    }

    fn write(&self, _k: &mut Kernel, _id: FileId, _pos: u64, data: &[u8]) -> SysResult {
        Ok(data.len())
    }

    fn llseek(&self, _k: &mut Kernel, _id: FileId, _off: i64, whence: u32) -> SysResult {
        null_lseek(whence)
    }

    /// Linux: mmap_zero(): anonymous memory.
    fn mmap(&self, _k: &mut Kernel, _id: FileId) -> SysResult<MapTarget> {
        Ok(MapTarget::Zero)
    }
}
