//! A stopped tracee's registers as the tracer reads and writes them: the
//! `struct user_regs_struct` of GETREGS/SETREGS and NT_PRSTATUS, the
//! word-addressed `struct user` of PEEKUSER/POKEUSER, the fxsave image of
//! GETFPREGS/SETFPREGS and NT_PRFPREG, the XSAVE image of NT_X86_XSTATE
//! (Linux: arch/x86/kernel/ptrace.c getreg(), putreg(),
//! genregs_get/set(), and fpu/regset.c).

use super::X86_EFLAGS_TF;
use crate::abi::*;
use crate::kernel::Kernel;
use crate::proc::kstack::FpuState;
use crate::proc::xstate;
use crate::proc::Pid;

/// The RFLAGS bits a tracer may change (Linux: FLAG_MASK).
const FLAG_MASK: u64 = 0x1 | 0x4 | 0x10 | 0x40 | 0x80 | X86_EFLAGS_TF | 0x400 | 0x800 | 0x1_0000 | 0x4_0000;
/// The 32-bit user code segment (Linux: __USER32_CS).
const USER32_CS: u64 = 0x23;
/// The end of user space (Linux: TASK_SIZE_MAX).
const TASK_SIZE_MAX: u64 = 0x0000_7fff_ffff_f000;
/// RFLAGS.RF: the next instruction's breakpoint does not trap.
const X86_EFLAGS_RF: u64 = 1 << 16;
/// DR6's bits that read as 1 (Linux: DR6_RESERVED): the virtual DR6 is
/// kept with them flipped to 0, as Linux keeps it.
const DR6_RESERVED: u64 = 0xffff_0ff0;

/// Linux: invalid_selector(): a null selector or one of ring 3.
fn valid_selector(v: u64) -> bool {
    v == 0 || (v & 3 == 3 && v <= 0xffff)
}

impl Kernel {
    /// The tracee's registers as GETREGS shows them.
    pub(crate) fn user_regs(&self, tid: Pid) -> UserRegs {
        let t = &self.proc.tasks[&tid];
        let p = t.ptrace.traced().expect("stopped tracee");
        let r = &p.regs;
        let mut eflags = r.rflags;
        if p.forced_tf {
            eflags &= !X86_EFLAGS_TF;
        }
        UserRegs { eflags, ..UserRegs::from_pt_regs(r, t.fs_base, t.gs_base) }
    }

    /// Linux: getreg(): one word of `user_regs_struct` at byte `off`.
    pub(crate) fn getreg(&self, tid: Pid, off: u64) -> u64 {
        let regs = self.user_regs(tid);
        let words: &[u64] = zerocopy::FromBytes::ref_from_bytes(zerocopy::IntoBytes::as_bytes(&regs)).expect("words");
        words[(off / 8) as usize]
    }

    /// Linux: putreg(): one word at byte `off`, checked as Linux checks
    /// it. The segment selectors other than cs and ss are not kept (a
    /// 64-bit task's are 0). EIO for a value Linux refuses.
    pub(crate) fn putreg(&mut self, tid: Pid, off: u64, value: u64) -> SysResult<()> {
        const FS_BASE: u64 = 21 * 8;
        const GS_BASE: u64 = 22 * 8;
        const CS: u64 = 17 * 8;
        const SS: u64 = 20 * 8;
        const EFLAGS: u64 = 18 * 8;
        match off {
            FS_BASE | GS_BASE => {
                if value >= TASK_SIZE_MAX {
                    return Err(EIO);
                }
                let t = self.proc.tasks.get_mut(&tid).expect("tracee");
                if off == FS_BASE {
                    t.fs_base = value;
                } else {
                    t.gs_base = value;
                }
                return Ok(());
            }
            // ds, es, fs, gs.
            o if o >= 23 * 8 => return if valid_selector(value) { Ok(()) } else { Err(EIO) },
            _ => {}
        }
        let p = self.tracee_mut(tid).expect("stopped tracee");
        let r = &mut p.regs;
        match off {
            // Only the user code segments: anything else would make the
            // return to user mode fault in the kernel.
            CS => {
                if value != USER_CS && value != USER32_CS {
                    return Err(EIO);
                }
                r.cs = value;
            }
            SS => {
                if value != USER_DS {
                    return Err(EIO);
                }
                r.ss = value;
            }
            // Linux: set_flags(): only the arithmetic and trap flags; a TF
            // the tracer writes is its own, not single-stepping's.
            EFLAGS => {
                let mut v = value;
                if p.forced_tf {
                    if v & X86_EFLAGS_TF != 0 {
                        p.forced_tf = false;
                    } else {
                        v |= X86_EFLAGS_TF;
                    }
                }
                r.rflags = (r.rflags & !FLAG_MASK) | (v & FLAG_MASK);
            }
            _ => {
                let mut words = r.to_words();
                words[(off / 8) as usize] = value;
                *r = PtRegs::from_words(&words);
            }
        }
        Ok(())
    }

    /// Linux: genregs_set(): SETREGS and NT_PRSTATUS, word by word,
    /// stopping at the first refused.
    pub(crate) fn set_user_regs(&mut self, tid: Pid, regs: &UserRegs) -> SysResult<()> {
        let words: &[u64] = zerocopy::FromBytes::ref_from_bytes(zerocopy::IntoBytes::as_bytes(regs)).expect("words");
        for (i, &w) in words.iter().enumerate() {
            let off = i as u64 * 8;
            if self.getreg(tid, off) != w {
                self.putreg(tid, off, w)?;
            }
        }
        Ok(())
    }

    /// PEEKUSER: a word of `struct user` (EIO when unaligned or past it;
    /// the a.out fields read as 0).
    pub(crate) fn peek_user(&self, tid: Pid, off: u64) -> SysResult<u64> {
        if off & 7 != 0 || off >= USER_SIZE {
            return Err(EIO);
        }
        if off < USER_REGS_SIZE {
            return Ok(self.getreg(tid, off));
        }
        if off >= USER_DEBUGREG_OFFSET {
            let n = ((off - USER_DEBUGREG_OFFSET) / 8) as usize;
            let v = self.tracee(tid).expect("stopped tracee").debugreg[n];
            return Ok(if n == 6 { v ^ DR6_RESERVED } else { v });
        }
        Ok(0)
    }

    /// POKEUSER: the registers, and the debug registers (Linux:
    /// ptrace_set_debugreg(): DR0-3 below TASK_SIZE, DR4/DR5 EIO, DR7's
    /// reserved types and lengths EINVAL). EIO elsewhere. DR0-DR3 and
    /// DR7 go into the CPU while the tracee runs (`hw_breakpoints`); DR6
    /// is the virtual one, in Linux's polarity.
    pub(crate) fn poke_user(&mut self, tid: Pid, off: u64, value: u64) -> SysResult<()> {
        if off & 7 != 0 || off >= USER_SIZE {
            return Err(EIO);
        }
        if off < USER_REGS_SIZE {
            return self.putreg(tid, off, value);
        }
        if off < USER_DEBUGREG_OFFSET {
            return Err(EIO);
        }
        let n = ((off - USER_DEBUGREG_OFFSET) / 8) as usize;
        match n {
            0..=3 if value >= TASK_SIZE_MAX => return Err(EIO),
            4 | 5 => return Err(EIO),
            7 => {
                // Each enabled breakpoint: R/W 10 (I/O) is refused, and
                // an execute breakpoint must have length 1.
                for i in 0..4 {
                    let ctl = (value >> (16 + i * 4)) & 0xf;
                    let enabled = value >> (i * 2) & 3 != 0;
                    if enabled && (ctl & 3 == 2 || (ctl & 3 == 0 && ctl >> 2 != 0)) {
                        return Err(EINVAL);
                    }
                }
            }
            _ => {}
        }
        let value = if n == 6 { value ^ DR6_RESERVED } else { value };
        self.tracee_mut(tid).expect("stopped tracee").debugreg[n] = value;
        Ok(())
    }

    /// A debug exception in user mode with DR6's breakpoint bits `hit`
    /// (Linux: exc_debug_user() resetting the virtual DR6, then
    /// ptrace_triggered() and hw_breakpoint_handler()): a tracee's
    /// virtual DR6 (what PEEKUSER reads) shows which breakpoints hit, and
    /// an instruction breakpoint returns with RF so that the instruction
    /// runs instead of trapping again.
    pub(crate) fn ptrace_debug_trap(&mut self, hit: u64, regs: &mut PtRegs) {
        let Some(p) = self.cur_mut().ptrace.tracee.as_deref_mut() else { return };
        p.debugreg[6] = hit;
        let dr7 = p.debugreg[7];
        if (0..4).any(|i| hit & 1 << i != 0 && (dr7 >> (16 + 4 * i)) & 3 == 0) {
            regs.rflags |= X86_EFLAGS_RF;
        }
    }

    /// The tracee's FPU image (complete: it is switched out).
    pub(crate) fn tracee_fpu(&self, tid: Pid) -> FpuState {
        self.proc.tasks[&tid].kstack.fpu()
    }

    /// SETFPREGS: an image with MXCSR bits the CPU refuses is EINVAL
    /// (Linux: xfpregs_set()), so that fxrstor cannot fault. The image
    /// replaces the x87 and SSE state, which XSTATE_BV then marks (Linux:
    /// `xsave->header.xfeatures |= XFEATURE_MASK_FPSSE`); AVX stays.
    pub(crate) fn set_tracee_fpu(&mut self, tid: Pid, legacy: &[u8]) -> SysResult<()> {
        let old = self.tracee_fpu(tid);
        let image = FpuState::from_prefix(&legacy[..xstate::FXSAVE_BYTES]);
        let mask = old.mxcsr_mask();
        if image.mxcsr() & !mask != 0 {
            return Err(EINVAL);
        }
        let mut f = old.clone();
        f.0[..xstate::SW_BYTES_AT / 8].copy_from_slice(&image.0[..xstate::SW_BYTES_AT / 8]);
        f.normalize(old.xstate_bv() | xstate::XFEATURE_MASK_FPSSE);
        f.set_mxcsr(image.mxcsr(), mask);
        self.proc.tasks.get_mut(&tid).expect("tracee").kstack.set_fpu(&f);
        Ok(())
    }

    /// NT_X86_XSTATE (Linux: xstateregs_get()): the XSAVE image as
    /// `FpuState::to_uabi` gives it; ENODEV on a CPU without XSAVE.
    pub(crate) fn tracee_xstate(&self, tid: Pid) -> SysResult<alloc::vec::Vec<u8>> {
        match self.m.fpu.xfeatures() {
            0 => Err(ENODEV),
            x => Ok(self.tracee_fpu(tid).to_uabi(x)),
        }
    }

    /// SETREGSET NT_X86_XSTATE (Linux: xstateregs_set() through
    /// copy_uabi_to_xstate()): EINVAL for a header naming features the
    /// CPU does not keep, with its reserved words set, or MXCSR with
    /// reserved bits; the features XSTATE_BV leaves out are reset.
    pub(crate) fn set_tracee_xstate(&mut self, tid: Pid, image: &[u8]) -> SysResult<()> {
        let xfeatures = self.m.fpu.xfeatures();
        let new = self.tracee_fpu(tid).from_uabi(&FpuState::from_prefix(image), xfeatures).map_err(|_| EINVAL)?;
        self.proc.tasks.get_mut(&tid).expect("tracee").kstack.set_fpu(&new);
        Ok(())
    }
}
