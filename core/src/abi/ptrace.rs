//! ptrace(2)'s numbers and the structures it exchanges
//! (include/uapi/linux/ptrace.h, arch/x86/include/asm/user_64.h,
//! include/uapi/linux/elf.h's note types).

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

pub const PTRACE_TRACEME: u64 = 0;
pub const PTRACE_PEEKTEXT: u64 = 1;
pub const PTRACE_PEEKDATA: u64 = 2;
pub const PTRACE_PEEKUSR: u64 = 3;
pub const PTRACE_POKETEXT: u64 = 4;
pub const PTRACE_POKEDATA: u64 = 5;
pub const PTRACE_POKEUSR: u64 = 6;
pub const PTRACE_CONT: u64 = 7;
pub const PTRACE_KILL: u64 = 8;
pub const PTRACE_SINGLESTEP: u64 = 9;
pub const PTRACE_GETREGS: u64 = 12;
pub const PTRACE_SETREGS: u64 = 13;
pub const PTRACE_GETFPREGS: u64 = 14;
/// x86: arch_prctl(2) on a tracee (`data` the code, `addr` the argument).
pub const PTRACE_ARCH_PRCTL: u64 = 30;
pub const PTRACE_SETFPREGS: u64 = 15;
pub const PTRACE_ATTACH: u64 = 16;
pub const PTRACE_DETACH: u64 = 17;
pub const PTRACE_SYSCALL: u64 = 24;
pub const PTRACE_SYSEMU: u64 = 31;
pub const PTRACE_SYSEMU_SINGLESTEP: u64 = 32;
pub const PTRACE_SETOPTIONS: u64 = 0x4200;
pub const PTRACE_GETEVENTMSG: u64 = 0x4201;
pub const PTRACE_GETSIGINFO: u64 = 0x4202;
pub const PTRACE_SETSIGINFO: u64 = 0x4203;
pub const PTRACE_GETREGSET: u64 = 0x4204;
pub const PTRACE_SETREGSET: u64 = 0x4205;
pub const PTRACE_SEIZE: u64 = 0x4206;
pub const PTRACE_INTERRUPT: u64 = 0x4207;
pub const PTRACE_LISTEN: u64 = 0x4208;
pub const PTRACE_PEEKSIGINFO: u64 = 0x4209;
pub const PTRACE_GETSIGMASK: u64 = 0x420a;
pub const PTRACE_SETSIGMASK: u64 = 0x420b;
pub const PTRACE_SECCOMP_GET_FILTER: u64 = 0x420c;
pub const PTRACE_GET_SYSCALL_INFO: u64 = 0x420e;

/// Wait-status events (status >> 16).
pub const PTRACE_EVENT_FORK: u32 = 1;
pub const PTRACE_EVENT_VFORK: u32 = 2;
pub const PTRACE_EVENT_CLONE: u32 = 3;
pub const PTRACE_EVENT_EXEC: u32 = 4;
pub const PTRACE_EVENT_VFORK_DONE: u32 = 5;
pub const PTRACE_EVENT_EXIT: u32 = 6;
pub const PTRACE_EVENT_SECCOMP: u32 = 7;
pub const PTRACE_EVENT_STOP: u32 = 128;

/// PTRACE_SETOPTIONS bits: one per event (1 << event), and the others.
pub const PTRACE_O_TRACESYSGOOD: u32 = 1;
pub const PTRACE_O_TRACEFORK: u32 = 1 << PTRACE_EVENT_FORK;
pub const PTRACE_O_TRACEVFORK: u32 = 1 << PTRACE_EVENT_VFORK;
pub const PTRACE_O_TRACECLONE: u32 = 1 << PTRACE_EVENT_CLONE;
pub const PTRACE_O_TRACEEXEC: u32 = 1 << PTRACE_EVENT_EXEC;
pub const PTRACE_O_TRACEVFORKDONE: u32 = 1 << PTRACE_EVENT_VFORK_DONE;
pub const PTRACE_O_TRACEEXIT: u32 = 1 << PTRACE_EVENT_EXIT;
pub const PTRACE_O_TRACESECCOMP: u32 = 1 << PTRACE_EVENT_SECCOMP;
pub const PTRACE_O_EXITKILL: u32 = 1 << 20;
pub const PTRACE_O_SUSPEND_SECCOMP: u32 = 1 << 21;
pub const PTRACE_O_MASK: u32 = 0x0000_00ff | PTRACE_O_EXITKILL | PTRACE_O_SUSPEND_SECCOMP;

/// GETEVENTMSG at a syscall stop (Linux: PTRACE_EVENTMSG_SYSCALL_*).
pub const PTRACE_EVENTMSG_SYSCALL_ENTRY: u64 = 1;
pub const PTRACE_EVENTMSG_SYSCALL_EXIT: u64 = 2;

/// `struct ptrace_syscall_info`'s op.
pub const PTRACE_SYSCALL_INFO_NONE: u8 = 0;
pub const PTRACE_SYSCALL_INFO_ENTRY: u8 = 1;
pub const PTRACE_SYSCALL_INFO_EXIT: u8 = 2;
pub const PTRACE_SYSCALL_INFO_SECCOMP: u8 = 3;

/// Regset note types (include/uapi/linux/elf.h).
pub const NT_PRSTATUS: u64 = 1;
pub const NT_PRFPREG: u64 = 2;
pub const NT_X86_XSTATE: u64 = 0x202;

/// AUDIT_ARCH_X86_64, the arch of `ptrace_syscall_info`.
pub const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;

/// Byte offsets in `struct user` (asm/user_64.h) that PEEKUSER and
/// POKEUSER address: the registers, then (after the FPU image and the
/// a.out fields) the eight debug registers.
pub const USER_REGS_SIZE: u64 = core::mem::size_of::<super::UserRegs>() as u64;
pub const USER_DEBUGREG_OFFSET: u64 = 848;
pub const USER_SIZE: u64 = 912;

/// `struct ptrace_syscall_info` with the largest member of its union
/// (entry: nr and six arguments; exit: rval and is_error; seccomp: nr,
/// args, ret_data).
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct PtraceSyscallInfo {
    pub op: u8,
    pub pad: [u8; 3],
    pub arch: u32,
    pub instruction_pointer: u64,
    pub stack_pointer: u64,
    /// entry: nr, args[6]; exit: rval (s64), is_error (u8).
    pub data: [u64; 8],
}

/// Where each union ends: what GET_SYSCALL_INFO copies out (Linux:
/// offsetofend of the member the op fills).
pub const SYSCALL_INFO_HEADER: usize = 24;
pub const SYSCALL_INFO_ENTRY_END: usize = SYSCALL_INFO_HEADER + 7 * 8;
pub const SYSCALL_INFO_EXIT_END: usize = SYSCALL_INFO_HEADER + 8 + 1;

/// `struct iovec`.
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct IoVec {
    pub base: u64,
    pub len: u64,
}

/// `struct ptrace_peeksiginfo_args`.
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct PeekSiginfoArgs {
    pub off: u64,
    pub flags: u32,
    pub nr: i32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_match_linux() {
        assert_eq!(USER_REGS_SIZE, 27 * 8);
        assert_eq!(core::mem::size_of::<PtraceSyscallInfo>(), 88);
        assert_eq!(SYSCALL_INFO_ENTRY_END, 80);
        assert_eq!(SYSCALL_INFO_EXIT_END, 33);
    }
}
