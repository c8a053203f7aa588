//! eventfd(2) and eventfd2(2) (Linux: fs/eventfd.c do_eventfd()); the
//! file itself is `fs::ops::eventfd`.

use crate::abi::*;
use crate::fs::file::FileKind;
use crate::kernel::Kernel;

/// Linux: EFD_SEMAPHORE.
const EFD_SEMAPHORE: u32 = 1;

/// A new eventfd counting from `initval`, open for reading and writing.
/// EINVAL for flags other than EFD_SEMAPHORE, EFD_CLOEXEC, EFD_NONBLOCK.
pub fn eventfd2(k: &mut Kernel, initval: u32, flags: u32) -> SysResult {
    if flags & !(EFD_SEMAPHORE | O_CLOEXEC | O_NONBLOCK) != 0 {
        return Err(EINVAL);
    }
    let counter = k.vfs.eventfds_mut().create(initval as u64, flags & EFD_SEMAPHORE != 0);
    let id = k.vfs.files_mut().open(FileKind::Eventfd { counter }, O_RDWR | (flags & O_NONBLOCK), None);
    k.install_fd(id, flags & O_CLOEXEC != 0, 0)
}
