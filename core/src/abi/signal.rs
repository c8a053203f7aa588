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
    }
}
