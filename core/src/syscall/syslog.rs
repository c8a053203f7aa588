//! syslog(2), the kernel log as `dmesg` reads it (Linux: do_syslog() in
//! kernel/printk/printk.c). The log itself is `crate::log`.

use crate::abi::*;
use crate::kernel::Kernel;
use crate::proc::capability::{CAP_SYSLOG, CAP_SYS_ADMIN};
use crate::proc::WaitReason;

pub const SYSLOG_ACTION_CLOSE: u32 = 0;
pub const SYSLOG_ACTION_OPEN: u32 = 1;
pub const SYSLOG_ACTION_READ: u32 = 2;
pub const SYSLOG_ACTION_READ_ALL: u32 = 3;
pub const SYSLOG_ACTION_READ_CLEAR: u32 = 4;
pub const SYSLOG_ACTION_CLEAR: u32 = 5;
pub const SYSLOG_ACTION_CONSOLE_OFF: u32 = 6;
pub const SYSLOG_ACTION_CONSOLE_ON: u32 = 7;
pub const SYSLOG_ACTION_CONSOLE_LEVEL: u32 = 8;
pub const SYSLOG_ACTION_SIZE_UNREAD: u32 = 9;
pub const SYSLOG_ACTION_SIZE_BUFFER: u32 = 10;

/// Every action but reading the whole log and asking its size is
/// privileged; with dmesg_restrict those two are as well (Linux:
/// syslog_action_restricted() and check_syslog_permissions()). Unknown
/// actions count as privileged, so an unprivileged caller gets EPERM
/// before EINVAL, as on Linux.
pub fn check_permissions(k: &Kernel, action: u32) -> SysResult<()> {
    let restricted =
        k.klog.borrow().dmesg_restrict || (action != SYSLOG_ACTION_READ_ALL && action != SYSLOG_ACTION_SIZE_BUFFER);
    let cred = &k.cur().cred;
    if restricted && !cred.capable(CAP_SYSLOG) && !cred.capable(CAP_SYS_ADMIN) {
        return Err(EPERM);
    }
    Ok(())
}

/// Check a read's buffer as Linux does before sleeping or copying:
/// EINVAL for a null pointer or negative length, then nothing to do for
/// length 0 (false), then EFAULT for one that is not user memory
/// (access_ok()).
fn check_buf(buf: u64, len: i32) -> SysResult<bool> {
    if buf == 0 || len < 0 {
        return Err(EINVAL);
    }
    if len == 0 {
        return Ok(false);
    }
    if buf.checked_add(len as u64).is_none_or(|end| end > crate::mm::consts::TASK_SIZE) {
        return Err(EFAULT);
    }
    Ok(true)
}

/// Linux: do_syslog() for the syslog(2) caller (SYSLOG_FROM_READER).
pub fn syslog(k: &mut Kernel, action: u32, buf: u64, len: i32) -> SysResult {
    check_permissions(k, action)?;
    match action {
        SYSLOG_ACTION_CLOSE | SYSLOG_ACTION_OPEN => Ok(0),
        SYSLOG_ACTION_READ => {
            if !check_buf(buf, len)? {
                return Ok(0);
            }
            if !k.klog.borrow().syslog_ready() {
                return Err(k.block_current(WaitReason::Syslog));
            }
            let text = k.klog.borrow_mut().syslog_read(len as usize);
            k.copy_out(buf, &text)?;
            Ok(text.len())
        }
        SYSLOG_ACTION_READ_ALL | SYSLOG_ACTION_READ_CLEAR => {
            if !check_buf(buf, len)? {
                return Ok(0);
            }
            let text = k.klog.borrow_mut().read_all(len as usize, action == SYSLOG_ACTION_READ_CLEAR);
            k.copy_out(buf, &text)?;
            Ok(text.len())
        }
        SYSLOG_ACTION_CLEAR => {
            k.klog.borrow_mut().clear();
            Ok(0)
        }
        SYSLOG_ACTION_CONSOLE_OFF => {
            k.klog.borrow_mut().console_off();
            Ok(0)
        }
        SYSLOG_ACTION_CONSOLE_ON => {
            k.klog.borrow_mut().console_on();
            Ok(0)
        }
        SYSLOG_ACTION_CONSOLE_LEVEL => {
            if !(1..=8).contains(&len) {
                return Err(EINVAL);
            }
            k.klog.borrow_mut().set_console_level(len);
            Ok(0)
        }
        SYSLOG_ACTION_SIZE_UNREAD => Ok(k.klog.borrow_mut().size_unread()),
        SYSLOG_ACTION_SIZE_BUFFER => Ok(k.klog.borrow().capacity()),
        _ => Err(EINVAL),
    }
}
