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
            if self.with_mm(|a, ctx| a.handle_fault(ctx, cr2, access)).is_ok() {
                return;
            }
        }
        let sig = signal_for_vector(vector);
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
        crate::proc::exit::do_exit(self, sig as i32);
    }
}
