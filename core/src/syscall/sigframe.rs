//! sigaltstack(2) and rt_sigreturn(2): the calls around signal frames
//! (Linux: kernel/signal.c, arch/x86/kernel/signal_64.c).

use crate::abi::*;
use crate::kernel::Kernel;
use crate::signal::altstack::*;
use crate::signal::frame::*;

/// sigaltstack(2): set the alternate stack from `uss`, report the old one
/// in `uoss` (either may be NULL).
pub fn sys_sigaltstack(k: &mut Kernel, regs: &PtRegs, uss: u64, uoss: u64) -> SysResult {
    let new = if uss != 0 {
        let st: StackT = k.read_val(uss)?;
        Some((st.ss_sp, st.ss_flags as u32, st.ss_size))
    } else {
        None
    };
    let (sp, flags, size) = k.do_sigaltstack(new, regs.rsp)?;
    if uoss != 0 {
        k.write_val(uoss, &stack_t(sp, flags, size))?;
    }
    Ok(0)
}

/// rt_sigreturn(2): back from a handler to what it interrupted, as
/// recorded (and maybe changed) in its frame at rsp - 8 (Linux:
/// SYSCALL_DEFINE0(rt_sigreturn)). Returns the restored rax, which the
/// system call return leaves in place. A frame that cannot be read or
/// restored gets the task SIGSEGV.
pub fn sys_rt_sigreturn(k: &mut Kernel, regs: &mut PtRegs) -> SysResult {
    let frame = regs.rsp.wrapping_sub(8);
    match restore_frame(k, regs, frame, regs.rsp) {
        Ok(()) => Ok(regs.rax as usize),
        Err(()) => {
            let t = k.cur();
            k.log(format_args!(
                "tine: pid {} ({}) bad frame in rt_sigreturn frame:{:#x} ip:{:#x} sp:{:#x}",
                t.tid,
                alloc::string::String::from_utf8_lossy(&t.comm),
                frame,
                regs.rip,
                regs.rsp
            ));
            let tid = t.tid;
            k.force_sig(tid, SIGSEGV);
            Ok(0)
        }
    }
}
