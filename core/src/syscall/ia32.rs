//! `int $0x80` from a 64-bit program. Debian's Linux is built with
//! CONFIG_IA32_EMULATION, so the gate is open to user mode and runs the
//! i386 system call table (Linux: do_int80_emulation() →
//! do_int80_syscall_32() → ia32_sys_call()): the number in eax, the
//! arguments in ebx, ecx, edx, esi, edi and ebp, each cut to 32 bits (a
//! pointer above 4 GiB becomes another address, usually EFAULT), the
//! result in rax. The process stays a 64-bit one: its signal frames,
//! sigaction and every other state are the 64-bit ones.
//!
//! Tine runs the i386 calls whose arguments mean the same in both ABIs
//! (integers, and pointers to byte buffers or `int` arrays), through the
//! x86_64 handlers; any other i386 number is ENOSYS. Calls that replace
//! the registers (execve, sigreturn, clone, fork) and those whose restart
//! goes through restart_syscall (nanosleep) are not among them: the
//! handler runs on a copy of the frame in the x86_64 layout, and only
//! its result goes back.

use crate::abi::{nr, PtRegs};

/// i386 number → x86_64 number, for the calls Tine runs from `int $0x80`
/// (arch/x86/entry/syscalls/syscall_32.tbl against syscall_64.tbl).
const TABLE: [(u32, u64); 18] = [
    (1, nr::EXIT),
    (3, nr::READ),
    (4, nr::WRITE),
    (6, nr::CLOSE),
    (20, nr::GETPID),
    (37, nr::KILL),
    (41, nr::DUP),
    (42, nr::PIPE),
    (63, nr::DUP2),
    (64, nr::GETPPID),
    (158, nr::SCHED_YIELD),
    // getuid32 and friends: the 32-bit IDs (the old 24, 47, ... give
    // 16-bit ones).
    (199, nr::GETUID),
    (200, nr::GETGID),
    (201, nr::GETEUID),
    (202, nr::GETEGID),
    (224, nr::GETTID),
    (252, nr::EXIT_GROUP),
    (60, nr::UMASK),
];

/// The x86_64 number of i386 call `nr32`, if Tine runs it.
pub fn to_x86_64(nr32: u32) -> Option<u64> {
    TABLE.iter().find(|&&(n, _)| n == nr32).map(|&(_, n)| n)
}

/// The frame an x86_64 handler reads for the `int $0x80` call in `regs`
/// (number in orig_rax's low 32 bits): the x86_64 number and the six
/// i386 argument registers, zero-extended, where the x86_64 ABI has
/// them. None for a call Tine does not run.
pub fn native_frame(regs: &PtRegs) -> Option<PtRegs> {
    let nr64 = to_x86_64(regs.orig_rax as u32)?;
    let lo = |r: u64| r & 0xffff_ffff;
    Some(PtRegs {
        orig_rax: nr64,
        rdi: lo(regs.rbx),
        rsi: lo(regs.rcx),
        rdx: lo(regs.rdx),
        r10: lo(regs.rsi),
        r8: lo(regs.rdi),
        r9: lo(regs.rbp),
        ..*regs
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn i386_registers_become_x86_64_arguments() {
        let regs = PtRegs {
            orig_rax: 4,
            rbx: 0xffff_ffff_0000_0001,
            rcx: 0x1234_5678_9abc,
            rdx: 17,
            rsi: 4,
            rdi: 5,
            rbp: 6,
            ..Default::default()
        };
        let f = native_frame(&regs).expect("write");
        assert_eq!(f.orig_rax, nr::WRITE);
        assert_eq!(f.syscall_args(), [1, 0x5678_9abc, 17, 4, 5, 6], "cut to 32 bits");
        assert_eq!(native_frame(&PtRegs { orig_rax: 11, ..Default::default() }), None, "execve: not run");
        assert_eq!(to_x86_64(20), Some(nr::GETPID));
        assert_eq!(to_x86_64(252), Some(nr::EXIT_GROUP));
    }
}
