//! Signal structures as user space lays them out (asm-generic/siginfo.h,
//! linux/signalfd.h, asm/signal.h), read and written whole through
//! `read_val`/`write_val`.

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// `siginfo_t` (128 bytes): the header, then the union, of which Tine
/// fills the first four words (what `signal::SigInfo` carries: for kill
/// the pid and uid, for SIGCHLD also the status, for a fault the address
/// in the first two, for a timer its id, overrun and value).
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct Siginfo {
    pub si_signo: u32,
    pub si_errno: i32,
    pub si_code: i32,
    /// The union is 8-aligned.
    pub pad0: u32,
    pub si_pid: u32,
    pub si_uid: u32,
    pub si_status: i32,
    pub si_value_hi: u32,
    pub rest: [u32; 24],
}

/// `struct signalfd_siginfo` (128 bytes).
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct SignalfdSiginfo {
    pub ssi_signo: u32,
    pub ssi_errno: i32,
    pub ssi_code: i32,
    pub ssi_pid: u32,
    pub ssi_uid: u32,
    pub ssi_fd: i32,
    pub ssi_tid: u32,
    pub ssi_band: u32,
    pub ssi_overrun: u32,
    pub ssi_trapno: u32,
    pub ssi_status: i32,
    pub ssi_int: i32,
    pub ssi_ptr: u64,
    pub ssi_utime: u64,
    pub ssi_stime: u64,
    pub ssi_addr: u64,
    pub ssi_addr_lsb: u16,
    pub pad2: u16,
    pub ssi_syscall: i32,
    pub ssi_call_addr: u64,
    pub ssi_arch: u32,
    pub pad: [u8; 28],
}

/// The `struct sigaction` rt_sigaction takes (the kernel's layout:
/// handler, flags, restorer, then the 8-byte mask).
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct KSigaction {
    pub sa_handler: u64,
    pub sa_flags: u64,
    pub sa_restorer: u64,
    pub sa_mask: u64,
}

/// `stack_t` (sigaltstack, and `uc_stack` in a signal frame).
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct StackT {
    pub ss_sp: u64,
    pub ss_flags: i32,
    pub pad: u32,
    pub ss_size: u64,
}

/// `struct sigcontext` (x86_64, 256 bytes), in field order.
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct SigContext {
    pub r8: u64,
    pub r9: u64,
    pub r10: u64,
    pub r11: u64,
    pub r12: u64,
    pub r13: u64,
    pub r14: u64,
    pub r15: u64,
    pub rdi: u64,
    pub rsi: u64,
    pub rbp: u64,
    pub rbx: u64,
    pub rdx: u64,
    pub rax: u64,
    pub rcx: u64,
    pub rsp: u64,
    pub rip: u64,
    pub eflags: u64,
    pub cs: u16,
    pub gs: u16,
    pub fs: u16,
    pub ss: u16,
    pub err: u64,
    pub trapno: u64,
    pub oldmask: u64,
    pub cr2: u64,
    pub fpstate: u64,
    pub reserved1: [u64; 8],
}

/// `struct ucontext` (asm-generic/ucontext.h, x86_64: 304 bytes).
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct UContext {
    pub uc_flags: u64,
    pub uc_link: u64,
    pub uc_stack: StackT,
    pub uc_mcontext: SigContext,
    pub uc_sigmask: super::SigSet,
}

/// The head of `struct rt_sigframe`: the handler's return address, then
/// the ucontext; the siginfo follows (written only for SA_SIGINFO).
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct RtSigframeHead {
    pub pretcode: u64,
    pub uc: UContext,
}

/// The software-reserved bytes at the end of a signal frame's fxsave
/// image (`struct _fpx_sw_bytes`, 48 bytes).
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct FpxSwBytes {
    pub magic1: u32,
    pub extended_size: u32,
    pub xfeatures: u64,
    pub xstate_size: u32,
    pub padding: [u32; 7],
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::{offset_of, size_of};

    #[test]
    fn layouts_are_linuxs() {
        assert_eq!(size_of::<Siginfo>(), 128);
        assert_eq!(offset_of!(Siginfo, si_pid), 16);
        assert_eq!(size_of::<SignalfdSiginfo>(), 128);
        assert_eq!(offset_of!(SignalfdSiginfo, ssi_status), 40);
        assert_eq!(offset_of!(SignalfdSiginfo, ssi_ptr), 48);
        assert_eq!(offset_of!(SignalfdSiginfo, ssi_addr), 72);
        assert_eq!(offset_of!(SignalfdSiginfo, ssi_arch), 96);
        assert_eq!(size_of::<KSigaction>(), 32);
        assert_eq!(size_of::<StackT>(), 24);
        assert_eq!(size_of::<SigContext>(), 256);
        assert_eq!(offset_of!(SigContext, cs), 144);
        assert_eq!(offset_of!(SigContext, fpstate), 184);
        assert_eq!(size_of::<UContext>(), 304);
        assert_eq!(offset_of!(UContext, uc_stack), 16);
        assert_eq!(offset_of!(UContext, uc_mcontext), 40);
        assert_eq!(offset_of!(UContext, uc_sigmask), 296);
        assert_eq!(size_of::<RtSigframeHead>(), 312);
        assert_eq!(size_of::<FpxSwBytes>(), 48);
    }
}
