//! CPU exceptions raised by user programs (Linux: arch/x86/kernel/traps.c
//! and arch/x86/mm/fault.c). A page fault the address space can resolve
//! (demand-zero, copy-on-write) is fixed and the instruction retried;
//! anything else kills the task with the signal Linux would send.

use crate::abi::*;
use crate::kernel::Kernel;
use crate::mm::fault::{Access, FaultError};
use crate::proc::umip;

/// The x86 page-fault error code bits.
const PF_WRITE: u64 = 1 << 1;
const PF_INSTR: u64 = 1 << 4;

/// The signal Linux sends for an exception vector it does not fix up.
pub fn signal_for_vector(vector: u8) -> u32 {
    match vector {
        0 | 9 | 16 | 19 => SIGFPE, // #DE, coprocessor overrun, #MF, #XM
        1 | 3 => SIGTRAP,          // #DB, #BP
        6 | 7 => SIGILL,           // #UD, #NM
        11 | 12 | 17 => SIGBUS,    // #NP, #SS, #AC
        _ => SIGSEGV,              // #GP, #PF, #OF, #BR, #TS, ...
    }
}

/// Linux: TASK_SIZE_MAX, the end of the user half.
const TASK_SIZE_MAX: u64 = 0x0000_7fff_ffff_f000;
const PF_PROT: u64 = 1 << 0;
const PF_USER: u64 = 1 << 2;
/// si_code of a single-step SIGTRAP (Linux: TRAP_TRACE).
const TRAP_TRACE: i32 = 2;

/// The si_code of a floating-point exception from the status the FPU
/// recorded: x87's status word against its control word for #MF, MXCSR's
/// flags against its masks for #XM; 0 when none is pending (Linux:
/// fpu__exception_code()).
fn fpe_code(fpu: &crate::proc::kstack::FpuState, vector: u8) -> i32 {
    use crate::signal::{FPE_FLTDIV, FPE_FLTINV, FPE_FLTOVF, FPE_FLTRES, FPE_FLTUND};
    let err = if vector == 16 {
        let (cwd, swd) = (fpu.0[0] as u16, (fpu.0[0] >> 16) as u16);
        swd & !cwd
    } else {
        let mxcsr = fpu.0[3] as u16;
        !(mxcsr >> 7) & mxcsr
    };
    if err & 0x001 != 0 {
        FPE_FLTINV
    } else if err & 0x004 != 0 {
        FPE_FLTDIV
    } else if err & 0x008 != 0 {
        FPE_FLTOVF
    } else if err & 0x012 != 0 {
        FPE_FLTUND
    } else if err & 0x020 != 0 {
        FPE_FLTRES
    } else {
        0
    }
}

/// si_codes of SIGTRAP (Linux: TRAP_BRKPT, TRAP_HWBKPT).
const TRAP_BRKPT: i32 = 1;
const TRAP_HWBKPT: i32 = 4;
/// DR6 status bits: B0-B3 (a hardware breakpoint hit) and BS (single step).
const DR6_TRAP_BITS: u64 = 0xf;
const DR6_STEP: u64 = 1 << 14;

impl Kernel {
    /// A fault found no frame (Linux: __alloc_pages_slowpath() then
    /// VM_FAULT_OOM): drop the page cache and try again; failing that,
    /// the OOM killer. Ok when the task should go back to user mode (the
    /// fault was resolved, or another process dies to make room and the
    /// fault will be taken again); Err(Oom) when the task itself must die.
    fn fault_out_of_memory(&mut self, cr2: u64, access: Access) -> Result<(), FaultError> {
        self.drop_page_caches();
        match self.with_mm(|a, ctx| a.handle_fault(ctx, cr2, access)) {
            Err(FaultError::Oom) => {}
            r => return r,
        }
        let me = self.cur().tgid;
        match self.out_of_memory() {
            super::oom::OomOutcome::Killed(v) if v != me => Ok(()),
            super::oom::OomOutcome::Waiting if self.proc.oom_victim != Some(me) => Ok(()),
            _ => Err(FaultError::Oom),
        }
    }

    /// An exception in user mode. `info` is CR2 for a page fault, DR6 for
    /// a debug exception, else 0.
    pub fn user_exception(&mut self, vector: u8, error: u64, info: u64, regs: &mut PtRegs) {
        use crate::signal::SigInfo;
        let cr2 = if vector == 14 { info } else { 0 };
        // `icebp` (int1, 0xf1) is a debug trap on every x86 CPU, but some
        // emulators (QEMU's TCG) raise #UD for it: take it for what the
        // hardware does, a #DB after the instruction.
        if vector == 6 && self.user_insn(regs.rip).first() == Some(&0xf1) {
            regs.rip += 1;
            return self.user_exception(1, 0, 0, regs);
        }
        // #GP from an instruction UMIP forbids: Linux's spoofed answer.
        if vector == 13 && error == 0 && self.fixup_umip(regs) {
            return;
        }
        if vector == 14 {
            // Linux: trace_page_fault_entries() in handle_page_fault().
            crate::trace!(
                self,
                PageFaultUser,
                crate::trace::Payload::PageFault { address: cr2, ip: regs.rip, error_code: error }
            );
            let access = if error & PF_INSTR != 0 {
                Access::Exec
            } else if error & PF_WRITE != 0 {
                Access::Write
            } else {
                Access::Read
            };
            let cows = self.trace.enabled(crate::trace::Event::MmRss).then(|| self.cow_fault_count());
            let e = match self.with_mm(|a, ctx| a.handle_fault(ctx, cr2, access)) {
                Ok(()) => {
                    self.trace_rss_after_fault(cows);
                    return self.count_minor_fault();
                }
                Err(FaultError::Oom) => match self.fault_out_of_memory(cr2, access) {
                    Ok(()) => return self.count_minor_fault(),
                    Err(e) => e,
                },
                Err(e) => e,
            };
            // Linux: set_signal_archinfo(): what the handler's sigcontext
            // shows; user accesses to the kernel half look like protection
            // faults.
            let st = &mut self.cur_mut().sigstate;
            st.trap_nr = 14;
            st.error_code = error | PF_USER | if cr2 >= TASK_SIZE_MAX { PF_PROT } else { 0 };
            st.cr2 = cr2;
            // No frame for the page: Linux's OOM path kills the task.
            let info = match e.signal() {
                Some((sig, code)) => SigInfo::fault(sig, code, cr2),
                None => SigInfo::kernel(SIGKILL),
            };
            return self.user_fault_signal(info, vector, error, cr2, regs);
        }
        let sig = signal_for_vector(vector);
        // Linux: do_trap() and friends record the trap for the sigcontext;
        // #GP and the others that push one keep the error code.
        let st = &mut self.cur_mut().sigstate;
        st.trap_nr = vector as u64;
        st.error_code = error;
        let info = match vector {
            0 => SigInfo::fault(SIGFPE, crate::signal::FPE_INTDIV, regs.rip),
            // Linux: exc_debug_user(): a signal for a single step, a
            // hardware breakpoint, or no reason at all (icebp); nothing
            // for other DR6 bits.
            1 => {
                self.ptrace_debug_trap(info & DR6_TRAP_BITS, regs);
                let code = if info & DR6_STEP != 0 {
                    TRAP_TRACE
                } else if info & DR6_TRAP_BITS != 0 {
                    TRAP_HWBKPT
                } else if info == 0 {
                    TRAP_BRKPT
                } else {
                    return;
                };
                SigInfo::fault(SIGTRAP, code, regs.rip)
            }
            6 => SigInfo::fault(SIGILL, crate::signal::ILL_ILLOPN, regs.rip),
            17 => SigInfo::fault(SIGBUS, crate::signal::BUS_ADRALN, 0),
            16 | 19 => {
                self.cur_mut().sigstate.error_code = 0;
                match fpe_code(&self.cur_fpu(), vector) {
                    // A spurious exception: nothing to report (Linux:
                    // math_error() returns).
                    0 => return,
                    code => SigInfo::fault(SIGFPE, code, regs.rip),
                }
            }
            _ => SigInfo::kernel(sig),
        };
        self.user_fault_signal(info, vector, error, cr2, regs);
    }

    /// A fault the address space resolved: a minor fault of the thread
    /// and its process, for getrusage, wait4 and /proc (Linux:
    /// mm_account_fault()).
    fn count_minor_fault(&mut self) {
        let t = self.cur_mut();
        t.min_flt += 1;
        let signal = t.signal;
        self.sig.signals_mut().get_mut(signal).min_flt += 1;
    }

    /// Up to [`umip::MAX_INSN`] bytes of the current task's code at
    /// `rip`: fewer where the page after it is not readable, none when
    /// rip's own page is not.
    fn user_insn(&mut self, rip: u64) -> alloc::vec::Vec<u8> {
        let mut buf = [0u8; umip::MAX_INSN];
        let to_page_end = (crate::mm::consts::PAGE_SIZE - (rip & (crate::mm::consts::PAGE_SIZE - 1))) as usize;
        for len in [umip::MAX_INSN, to_page_end.min(umip::MAX_INSN)] {
            if self.copy_in(rip, &mut buf[..len]).is_ok() {
                return buf[..len].to_vec();
            }
        }
        alloc::vec::Vec::new()
    }

    /// Emulate an instruction that UMIP made fault, as Linux does; true
    /// when it was one (rip moves on, or SIGSEGV when the result cannot
    /// be stored). Linux: fixup_umip_exception().
    fn fixup_umip(&mut self, regs: &mut PtRegs) -> bool {
        let code = self.user_insn(regs.rip);
        let (fs, gs) = (self.cur().fs_base, self.cur().gs_base);
        let Some(e) = umip::emulate(&code, regs, fs, gs) else { return false };
        match e.dest {
            umip::Dest::Reg(n) => {
                let slot = umip::reg_slot(regs, n);
                let mut bytes = slot.to_le_bytes();
                bytes[..e.size].copy_from_slice(&e.data[..e.size]);
                *slot = u64::from_le_bytes(bytes);
            }
            umip::Dest::Mem(addr) => {
                if self.copy_out(addr, &e.data[..e.size]).is_err() {
                    // Linux: force_sig_info_umip_fault(), as a user write fault.
                    let st = &mut self.cur_mut().sigstate;
                    st.trap_nr = 14;
                    st.error_code = PF_USER | PF_WRITE;
                    st.cr2 = addr;
                    let info = crate::signal::SigInfo::fault(SIGSEGV, crate::mm::fault::SEGV_MAPERR, addr);
                    self.user_fault_signal(info, 14, PF_USER | PF_WRITE, addr, regs);
                    return true;
                }
            }
        }
        regs.rip += e.len;
        true
    }

    /// Log an exception the kernel cannot fix and force its signal on the
    /// task: its handler runs, or the default action ends the process,
    /// before it returns to user mode.
    fn user_fault_signal(&mut self, info: crate::signal::SigInfo, vector: u8, error: u64, cr2: u64, regs: &mut PtRegs) {
        let t = self.cur();
        let sig = info.signo;
        let hand = self.sig.sighands().get(t.sighand).action[sig as usize - 1].handler;
        // Linux: unhandled_signal(), which leaves a traced task's signal
        // to its tracer (gdb's breakpoints and steps are SIGTRAPs).
        let unhandled = hand == SIG_DFL || hand == SIG_IGN || t.sigmask.has(sig) || sig == SIGKILL;
        if unhandled && t.ptrace.traced().is_none() {
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
        }
        let tid = t.tid;
        self.force_sig_info(tid, info, false);
        self.exit_to_user_mode(regs);
    }
}
