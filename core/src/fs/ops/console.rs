//! The console as a terminal (/dev/console, /dev/tty; the line
//! discipline is `fs::tty`) and as the write end of a pipe
//! (StdioMode::Pipe).

use super::FileOps;
use crate::abi::*;
use crate::fs::file::FileId;
use crate::kernel::Kernel;

pub struct Console;
pub static CONSOLE: Console = Console;
pub struct ConsolePipe;
pub static CONSOLE_PIPE: ConsolePipe = ConsolePipe;

impl FileOps for Console {
    fn read(&self, k: &mut Kernel, id: FileId, _pos: u64, buf: &mut [u8]) -> SysResult {
        k.console_read(id, buf)
    }

    fn write(&self, k: &mut Kernel, id: FileId, _pos: u64, data: &[u8]) -> SysResult {
        k.console_write(id, data)
    }

    fn seekable(&self) -> bool {
        false
    }

    fn can_poll(&self) -> bool {
        true
    }

    fn poll(&self, k: &mut Kernel, _id: FileId) -> u16 {
        k.console_poll()
    }

    fn ioctl(&self, k: &mut Kernel, id: FileId, cmd: u32, arg: u64) -> SysResult {
        k.console_ioctl(id, cmd, arg)
    }
}

impl FileOps for ConsolePipe {
    fn read(&self, _k: &mut Kernel, _id: FileId, _pos: u64, _buf: &mut [u8]) -> SysResult {
        Ok(0)
    }

    /// Byte for byte, as into a pipe: no output processing.
    fn write(&self, k: &mut Kernel, _id: FileId, _pos: u64, data: &[u8]) -> SysResult {
        k.m.console.write(data);
        Ok(data.len())
    }

    fn seekable(&self) -> bool {
        false
    }

    fn reopen(&self, k: &mut Kernel, _id: FileId, flags: u32) -> SysResult<FileId> {
        Ok(k.vfs.files.open(crate::fs::file::FileKind::ConsolePipe, flags, None))
    }

    fn can_poll(&self) -> bool {
        true
    }

    /// The write end of a pipe whose reader stays.
    fn poll(&self, _k: &mut Kernel, _id: FileId) -> u16 {
        POLLOUT | POLLWRNORM
    }
}
