//! flock(2): whole-file advisory locks owned by the open file description
//! (the locks themselves: `fs::lock`).

use crate::abi::*;
use crate::kernel::Kernel;

/// flock(2): LOCK_SH, LOCK_EX or LOCK_UN, with LOCK_NB not to wait;
/// LOCK_MAND is accepted and does nothing, as since Linux 5.15.
pub fn sys_flock(k: &mut Kernel, fd: i32, cmd: u32) -> SysResult {
    if cmd & LOCK_MAND != 0 {
        return Ok(0);
    }
    let write = match cmd & !LOCK_NB {
        LOCK_SH => Some(false),
        LOCK_EX => Some(true),
        LOCK_UN => None,
        _ => return Err(EINVAL),
    };
    let file = k.fd_file(fd)?;
    crate::fs::lock::flock_file(k, file, write, cmd & LOCK_NB != 0)
}
