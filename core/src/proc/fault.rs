//! CPU exceptions raised by user programs (Linux: arch/x86/kernel/traps.c
//! and arch/x86/mm/fault.c). A page fault the address space can resolve
//! (demand-zero, copy-on-write) is fixed and the instruction retried;
//! anything else kills the task with the signal Linux would send.

use crate::abi::*;
use crate::kernel::Kernel;
use crate::mm::fault::Access;

/// The x86 page-fault error code bits.
const PF_WRITE: u64 = 1 << 1;
const PF_INSTR: u64 = 1 << 4;

/// The signal Linux sends for an exception vector it does not fix up.
pub fn signal_for_vector(vector: u8) -> u32 {
    match vector {
        0 | 16 | 19 => SIGFPE,   // #DE, #MF, #XM
        1 | 3 => SIGTRAP,        // #DB, #BP
        6 | 7 => SIGILL,         // #UD, #NM
        12 | 17 => SIGBUS,       // #SS, #AC
        _ => SIGSEGV,            // #GP, #PF, #OF, #BR, ...
    }
}

impl Kernel {
    /// An exception in user mode.
    pub fn user_exception(&mut self, vector: u8, error: u64, cr2: u64, regs: &PtRegs) {
        if vector == 14 {
            let access = if error & PF_INSTR != 0 {
                Access::Exec
            } else if error & PF_WRITE != 0 {
                Access::Write
            } else {
                Access::Read
            };
            match self.with_mm(|a, ctx| a.handle_fault(ctx, cr2, access)) {
                Ok(()) => return,
                // No frame for the page: Linux's OOM path kills the task.
                Err(crate::mm::fault::FaultError::Oom) => return self.fatal_exception(SIGKILL, vector, error, cr2, regs),
                // A file page beyond the end of the file (Linux: VM_FAULT_SIGBUS).
                Err(crate::mm::fault::FaultError::Bus) => return self.fatal_exception(SIGBUS, vector, error, cr2, regs),
                Err(_) => {}
            }
        }
        self.fatal_exception(signal_for_vector(vector), vector, error, cr2, regs);
    }

    /// Log an exception the kernel cannot fix and force its signal on the
    /// task (acted on before it returns to user mode).
    fn fatal_exception(&mut self, sig: u32, vector: u8, error: u64, cr2: u64, regs: &PtRegs) {
        let t = self.cur();
        self.log(format_args!(
            "tine: pid {} ({}) killed by {}: user exception {} error {:#x} at rip {:#x}, address {:#x}",
            t.tid,
            alloc::string::String::from_utf8_lossy(&t.comm),
            signal_name(sig),
            vector,
            error,
            regs.rip,
            cr2
        ));
        let tid = t.tid;
        self.force_sig(tid, sig);
        self.exit_to_user_mode();
    }
}
