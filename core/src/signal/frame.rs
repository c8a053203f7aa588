//! Signal frames: what a handler finds on its stack, and rt_sigreturn
//! (Linux: arch/x86/kernel/signal.c get_sigframe(), signal_64.c
//! x64_setup_rt_frame() and rt_sigreturn, fpu/signal.c).
//!
//! Below the interrupted stack pointer (less the 128-byte red zone), or at
//! the top of the alternate stack for SA_ONSTACK, Linux puts:
//!
//! ```text
//! fpstate   64-aligned: the XSAVE image (legacy 512 bytes, header, AVX),
//!           the software bytes (FP_XSTATE_MAGIC1 ...) in the legacy
//!           area's last 48, FP_XSTATE_MAGIC2 right after the image
//! frame     struct rt_sigframe, with frame + 8 aligned to 16:
//!   +0      pretcode: sa_restorer, the handler's return address
//!   +8      struct ucontext: uc_flags, uc_link, uc_stack,
//!           uc_mcontext (struct sigcontext, 256 bytes), uc_sigmask
//!   +312    siginfo_t (128 bytes), written only for SA_SIGINFO
//! ```
//!
//! The handler starts with rsp = frame, rdi = the signal, rsi = &info,
//! rdx = &uc, rax = 0, a clean FPU state and DF clear. Its `ret` lands in
//! the restorer, which calls rt_sigreturn with rsp = frame + 8: the
//! registers, mask, FPU state and alternate-stack setting come back from
//! the frame, as the handler may have changed them.
//!
//! With XSAVE the image is `xstate::user_size` bytes (832 with AVX) and
//! uc_flags has UC_FP_XSTATE; rt_sigreturn takes the extended state only
//! when the magics and sizes are sound, else the legacy part alone, as
//! Linux's check_xstate_in_sigframe(). On a CPU without XSAVE the frame
//! is Linux's for that case: a 512-byte fpstate (the software bytes
//! still written), no FP_XSTATE_MAGIC2, no UC_FP_XSTATE.

use crate::abi::*;
use crate::kernel::Kernel;
use crate::proc::kstack::FpuState;
use crate::proc::xstate::{self, XFEATURE_MASK_FPSSE};
use crate::proc::SigAction;

use super::{SigInfo, UNBLOCKABLE};

/// uc_flags bits (asm/ucontext.h).
pub const UC_FP_XSTATE: u64 = 0x1;
pub const UC_SIGCONTEXT_SS: u64 = 0x2;
pub const UC_STRICT_RESTORE_SS: u64 = 0x4;

/// The software-reserved bytes of the fxsave image (struct _fpx_sw_bytes).
pub const FP_XSTATE_MAGIC1: u32 = 0x4650_5853;
/// The word after the XSAVE image in a frame.
pub const FP_XSTATE_MAGIC2: u32 = 0x4650_5845;
const FP_XSTATE_MAGIC2_SIZE: u32 = 4;
const SW_BYTES_AT: usize = xstate::SW_BYTES_AT;

/// Sizes and offsets of struct rt_sigframe.
pub const UCONTEXT_SIZE: u64 = core::mem::size_of::<UContext>() as u64;
pub const SIGINFO_SIZE: u64 = core::mem::size_of::<Siginfo>() as u64;
pub const RT_SIGFRAME_SIZE: u64 = 8 + UCONTEXT_SIZE + SIGINFO_SIZE;
pub const UC_AT: u64 = 8;
pub const INFO_AT: u64 = UC_AT + UCONTEXT_SIZE;

/// RFLAGS bits.
const X86_EFLAGS_CF: u64 = 1 << 0;
const X86_EFLAGS_PF: u64 = 1 << 2;
const X86_EFLAGS_AF: u64 = 1 << 4;
const X86_EFLAGS_ZF: u64 = 1 << 6;
const X86_EFLAGS_SF: u64 = 1 << 7;
const X86_EFLAGS_TF: u64 = 1 << 8;
const X86_EFLAGS_DF: u64 = 1 << 10;
const X86_EFLAGS_OF: u64 = 1 << 11;
const X86_EFLAGS_RF: u64 = 1 << 16;
const X86_EFLAGS_AC: u64 = 1 << 18;
/// The flags rt_sigreturn takes from the frame (Linux: FIX_EFLAGS).
/// The rest (IF, IOPL, ...) stays the kernel's.
const FIX_EFLAGS: u64 = X86_EFLAGS_AC
    | X86_EFLAGS_OF
    | X86_EFLAGS_DF
    | X86_EFLAGS_TF
    | X86_EFLAGS_SF
    | X86_EFLAGS_ZF
    | X86_EFLAGS_AF
    | X86_EFLAGS_PF
    | X86_EFLAGS_CF
    | X86_EFLAGS_RF;

/// The highest canonical user address + 1 (x86_64 4-level paging).
const USER_CANONICAL_END: u64 = 0x0000_8000_0000_0000;

/// The size of the fpstate in a frame with `xfeatures` (Linux:
/// xstate_sigframe_size()): the image, and MAGIC2 with XSAVE.
pub fn fpstate_size(xfeatures: u64) -> u64 {
    let size = xstate::user_size(xfeatures) as u64;
    if xfeatures != 0 {
        size + FP_XSTATE_MAGIC2_SIZE as u64
    } else {
        size
    }
}

/// The most a signal frame takes on a stack, for AT_MINSIGSTKSZ (Linux:
/// init_sigframe_size(): struct rt_sigframe and the fpstate, each with
/// its worst alignment padding, rounded up to 16).
pub fn max_frame_size(xfeatures: u64) -> u64 {
    (RT_SIGFRAME_SIZE + 15 + fpstate_size(xfeatures) + 63).next_multiple_of(16)
}

impl Kernel {
    /// Where the frame and the FPU image go (Linux: get_sigframe()):
    /// (frame, fpstate), or None when the alternate stack would overflow,
    /// which Linux answers with SIGSEGV.
    fn get_sigframe(&self, regs: &PtRegs, act: &SigAction) -> Option<(u64, u64)> {
        let alt = self.cur().sigstate.altstack;
        let nested = alt.on_stack(regs.rsp);
        let mut entering = false;
        // The x86_64 ABI's red zone below rsp belongs to the interrupted code.
        let mut sp = regs.rsp.wrapping_sub(128);
        if act.flags & SA_ONSTACK != 0 && alt.mode(sp) == 0 {
            sp = alt.sp.wrapping_add(alt.size);
            entering = true;
        }
        // Linux: fpu__alloc_mathframe().
        let fp = sp.wrapping_sub(fpstate_size(self.m.fpu.xfeatures())) & !63;
        // Linux: align_sigframe(): rsp + 8 is 16-aligned at handler entry,
        // as after a call.
        let frame = (fp.wrapping_sub(RT_SIGFRAME_SIZE) & !15).wrapping_sub(8);
        if (nested || entering) && !alt.contains(frame) {
            return None;
        }
        Some((frame, fp))
    }

    /// Build the handler's frame on the user stack and point the
    /// registers at the handler (Linux: x64_setup_rt_frame()). False if
    /// there is no SA_RESTORER or the frame cannot be written.
    pub(super) fn setup_rt_frame(&mut self, regs: &mut PtRegs, info: &SigInfo, act: &SigAction) -> bool {
        // x86_64 programs always bring their own return trampoline.
        if act.flags & SA_RESTORER == 0 {
            return false;
        }
        let Some((frame, fp)) = self.get_sigframe(regs, act) else { return false };
        let fpu = self.cur_fpu();
        let t = self.cur();
        let set = t.sigstate.saved_mask.unwrap_or(t.sigmask);
        let st = t.sigstate;

        // The FPU image, with the software bytes and MAGIC2 (Linux:
        // copy_fpstate_to_sigframe(), save_xstate_epilog()). Without
        // XSAVE the software bytes are zeros: Linux copies its
        // fx_sw_reserved, which only the XSAVE set-up fills in.
        let xfeatures = self.m.fpu.xfeatures();
        let size = xstate::user_size(xfeatures);
        let mut fx = fpu;
        let sw = if xfeatures != 0 {
            FpxSwBytes {
                magic1: FP_XSTATE_MAGIC1,
                extended_size: size as u32 + FP_XSTATE_MAGIC2_SIZE,
                xfeatures,
                xstate_size: size as u32,
                padding: [0; 7],
            }
        } else {
            FpxSwBytes { magic1: 0, extended_size: 0, xfeatures: 0, xstate_size: 0, padding: [0; 7] }
        };
        let sw: [u64; 6] = zerocopy::transmute!(sw);
        fx.0[SW_BYTES_AT / 8..xstate::FXSAVE_BYTES / 8].copy_from_slice(&sw);
        if xfeatures != 0 {
            // The header as XSAVE writes it into a cleared one, with x87
            // and SSE always marked (for an FXRSTOR of the legacy part).
            let bv = fx.xstate_bv() | XFEATURE_MASK_FPSSE;
            fx.0[xstate::XSAVE_HDR_OFFSET / 8..xstate::YMM_OFFSET / 8].fill(0);
            fx.0[xstate::XSAVE_HDR_OFFSET / 8] = bv;
        }
        if self.copy_out(fp, &fx.as_bytes()[..size]).is_err() {
            return false;
        }
        if xfeatures != 0 && self.write_val(fp.wrapping_add(size as u64), &FP_XSTATE_MAGIC2).is_err() {
            return false;
        }

        let sc = SigContext {
            r8: regs.r8,
            r9: regs.r9,
            r10: regs.r10,
            r11: regs.r11,
            r12: regs.r12,
            r13: regs.r13,
            r14: regs.r14,
            r15: regs.r15,
            rdi: regs.rdi,
            rsi: regs.rsi,
            rbp: regs.rbp,
            rbx: regs.rbx,
            rdx: regs.rdx,
            rax: regs.rax,
            rcx: regs.rcx,
            rsp: regs.rsp,
            rip: regs.rip,
            eflags: regs.rflags,
            cs: regs.cs as u16,
            gs: 0,
            fs: 0,
            ss: regs.ss as u16,
            err: st.error_code,
            trapno: st.trap_nr,
            oldmask: set.bits(),
            cr2: st.cr2,
            fpstate: fp,
            reserved1: [0; 8],
        };
        // pretcode and struct ucontext (uc_link stays 0).
        let head = RtSigframeHead {
            pretcode: act.restorer,
            uc: UContext {
                // Linux: frame_uc_flags().
                uc_flags: UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS | if xfeatures != 0 { UC_FP_XSTATE } else { 0 },
                uc_link: 0,
                uc_stack: st.altstack.to_stack_t(),
                uc_mcontext: sc,
                uc_sigmask: set,
            },
        };
        if self.write_val(frame, &head).is_err() {
            return false;
        }
        if act.flags & SA_SIGINFO != 0 && self.write_val(frame.wrapping_add(INFO_AT), &info.to_user()).is_err() {
            return false;
        }

        regs.rdi = info.signo as u64;
        // For handlers declared without a prototype (varargs: al = 0).
        regs.rax = 0;
        regs.rsi = frame.wrapping_add(INFO_AT);
        regs.rdx = frame.wrapping_add(UC_AT);
        regs.rip = act.handler;
        regs.rsp = frame;
        regs.cs = USER_CS;
        regs.ss = USER_DS;
        // Linux: handle_signal(): the ABI's clear direction flag at function
        // entry, no single-stepping or resume flag carried into the handler.
        regs.rflags &= !(X86_EFLAGS_DF | X86_EFLAGS_RF | X86_EFLAGS_TF);
        // The handler starts with a clean FPU (Linux: fpu__clear_user_states()).
        self.cur_mut().kstack.set_fpu(&FpuState::initial());
        true
    }
}

pub(crate) fn restore_frame(k: &mut Kernel, regs: &mut PtRegs, frame: u64, entry_sp: u64) -> Result<(), ()> {
    if frame >= USER_CANONICAL_END || frame.checked_add(RT_SIGFRAME_SIZE).is_none_or(|e| e > USER_CANONICAL_END) {
        return Err(());
    }
    let uc: UContext = k.read_val(frame.wrapping_add(UC_AT)).map_err(|_| ())?;
    let uc_flags = uc.uc_flags;
    k.set_current_blocked(uc.uc_sigmask - UNBLOCKABLE);

    // Linux: restore_sigcontext().
    let sc = uc.uc_mcontext;
    regs.rbx = sc.rbx;
    regs.rcx = sc.rcx;
    regs.rdx = sc.rdx;
    regs.rsi = sc.rsi;
    regs.rdi = sc.rdi;
    regs.rbp = sc.rbp;
    regs.rax = sc.rax;
    regs.rsp = sc.rsp;
    regs.rip = sc.rip;
    regs.r8 = sc.r8;
    regs.r9 = sc.r9;
    regs.r10 = sc.r10;
    regs.r11 = sc.r11;
    regs.r12 = sc.r12;
    regs.r13 = sc.r13;
    regs.r14 = sc.r14;
    regs.r15 = sc.r15;
    regs.rflags = (regs.rflags & !FIX_EFLAGS) | (sc.eflags & FIX_EFLAGS);
    // No system call to restart any more.
    regs.orig_rax = u64::MAX;
    let cs = sc.cs as u64 | 3;
    let mut ss = sc.ss as u64 | 3;
    // Linux: force_valid_ss() for frames that did not record SS.
    if uc_flags & UC_STRICT_RESTORE_SS == 0 && ss != USER_DS {
        ss = USER_DS;
    }
    // Linux would return with any selector and let a bad one fault in
    // IRET (SIGSEGV). Tine enters only its 64-bit user segments, so any
    // other is that SIGSEGV now; the same for a non-canonical rip, which
    // IRET refuses as well.
    regs.cs = USER_CS;
    regs.ss = USER_DS;
    let non_canonical = (USER_CANONICAL_END..0xffff_8000_0000_0000).contains(&regs.rip);
    let bad_return = cs != USER_CS || ss != USER_DS || non_canonical;

    let fpu_ok = restore_fpu(k, sc.fpstate);
    if !fpu_ok {
        k.cur_mut().kstack.set_fpu(&FpuState::initial());
        return Err(());
    }

    // Linux: restore_altstack(): the setting the handler found, as far as
    // sigaltstack allows it now; only a fault is an error. "Now" is the
    // stack pointer rt_sigreturn was called with, the handler's: Linux
    // refuses (EPERM, ignored) to change an alternate stack the handler
    // installed and runs on.
    let st = uc.uc_stack;
    let _ = k.do_sigaltstack(Some((st.ss_sp, st.ss_flags as u32, st.ss_size)), entry_sp);

    if bad_return {
        // As the general-protection fault IRET would take in user mode.
        let tid = k.cur().tid;
        let st = &mut k.cur_mut().sigstate;
        st.trap_nr = 13;
        st.error_code = 0;
        k.force_sig(tid, SIGSEGV);
    }
    Ok(())
}

/// Restore the FPU state from the frame's fpstate pointer (0: a clean
/// state). False when it cannot be read, or holds what XRSTOR (FXRSTOR)
/// faults on: misaligned, a bad XSAVE header, reserved MXCSR bits
/// (Linux: fpu__restore_sig(), where the restore faults and the frame is
/// bad). The extended state is taken only from a frame whose software
/// bytes and MAGIC2 are sound, else the legacy part alone with the other
/// features reset (Linux: check_xstate_in_sigframe(), fx_only).
fn restore_fpu(k: &mut Kernel, fp: u64) -> bool {
    if fp == 0 {
        k.cur_mut().kstack.set_fpu(&FpuState::initial());
        return true;
    }
    let mut image = [0u8; xstate::XSTATE_AREA_BYTES];
    if k.copy_in(fp, &mut image[..xstate::FXSAVE_BYTES]).is_err() {
        return false;
    }
    let xfeatures = k.m.fpu.xfeatures();
    let mut ufeatures = XFEATURE_MASK_FPSSE;
    let mut fx_only = true;
    if xfeatures != 0 {
        let sw: FpxSwBytes = zerocopy::FromBytes::read_from_prefix(&image[SW_BYTES_AT..]).expect("48 bytes").0;
        let size = sw.xstate_size as usize;
        if sw.magic1 == FP_XSTATE_MAGIC1
            && size >= xstate::YMM_OFFSET
            && size <= xstate::user_size(xfeatures)
            && sw.xstate_size <= sw.extended_size
        {
            let Ok(magic2) = k.read_val::<u32>(fp.wrapping_add(size as u64)) else { return false };
            if magic2 == FP_XSTATE_MAGIC2 {
                fx_only = false;
                ufeatures = sw.xfeatures;
            }
        }
    }
    let cur = k.cur_fpu();
    let new = if fx_only {
        if !fp.is_multiple_of(16) {
            return false;
        }
        cur.fxrstor(&FpuState::from_prefix(&image[..xstate::FXSAVE_BYTES]))
    } else {
        if !fp.is_multiple_of(64) {
            return false;
        }
        // XRSTOR reads the header, and AVX's part when asked for it.
        let end = if ufeatures & xfeatures & xstate::XFEATURE_MASK_YMM != 0 {
            xstate::XSTATE_AREA_BYTES
        } else {
            xstate::YMM_OFFSET
        };
        let from = xstate::FXSAVE_BYTES;
        if k.copy_in(fp + from as u64, &mut image[from..end]).is_err() {
            return false;
        }
        cur.xrstor(&FpuState::from_prefix(&image[..end]), ufeatures, xfeatures)
    };
    let Ok(new) = new else { return false };
    k.cur_mut().kstack.set_fpu(&new);
    true
}
