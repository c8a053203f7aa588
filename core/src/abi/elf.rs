//! ELF structures (linux/elf.h, and the core-file notes of
//! asm/elf.h / linux/elfcore.h) as they lie in files: programs read by
//! exec, core files written by the dump. All little-endian x86_64 layouts.

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use super::time::Timeval;

/// `Elf64_Ehdr`.
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct Elf64Ehdr {
    pub e_ident: [u8; 16],
    pub e_type: u16,
    pub e_machine: u16,
    pub e_version: u32,
    pub e_entry: u64,
    pub e_phoff: u64,
    pub e_shoff: u64,
    pub e_flags: u32,
    pub e_ehsize: u16,
    pub e_phentsize: u16,
    pub e_phnum: u16,
    pub e_shentsize: u16,
    pub e_shnum: u16,
    pub e_shstrndx: u16,
}

/// `Elf64_Phdr`.
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct Elf64Phdr {
    pub p_type: u32,
    pub p_flags: u32,
    pub p_offset: u64,
    pub p_vaddr: u64,
    pub p_paddr: u64,
    pub p_filesz: u64,
    pub p_memsz: u64,
    pub p_align: u64,
}

/// `Elf64_Nhdr`: a note's header; name and descriptor follow, each
/// padded to 4 bytes.
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct Elf64Nhdr {
    pub n_namesz: u32,
    pub n_descsz: u32,
    pub n_type: u32,
}

/// `struct user_regs_struct` (x86_64), as ptrace and core dumps give it.
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct UserRegs {
    pub r15: u64,
    pub r14: u64,
    pub r13: u64,
    pub r12: u64,
    pub rbp: u64,
    pub rbx: u64,
    pub r11: u64,
    pub r10: u64,
    pub r9: u64,
    pub r8: u64,
    pub rax: u64,
    pub rcx: u64,
    pub rdx: u64,
    pub rsi: u64,
    pub rdi: u64,
    pub orig_rax: u64,
    pub rip: u64,
    pub cs: u64,
    pub eflags: u64,
    pub rsp: u64,
    pub ss: u64,
    pub fs_base: u64,
    pub gs_base: u64,
    pub ds: u64,
    pub es: u64,
    pub fs: u64,
    pub gs: u64,
}

impl UserRegs {
    /// The registers of a `pt_regs` frame with the task's FS and GS bases
    /// (Linux: the `user_regs_struct` view of `struct pt_regs` that
    /// ptrace's getreg() and the core dump's elf_core_copy_regs() give);
    /// the selectors Tine does not keep (ds, es, fs, gs) are left 0.
    pub fn from_pt_regs(r: &super::PtRegs, fs_base: u64, gs_base: u64) -> Self {
        UserRegs {
            r15: r.r15,
            r14: r.r14,
            r13: r.r13,
            r12: r.r12,
            rbp: r.rbp,
            rbx: r.rbx,
            r11: r.r11,
            r10: r.r10,
            r9: r.r9,
            r8: r.r8,
            rax: r.rax,
            rcx: r.rcx,
            rdx: r.rdx,
            rsi: r.rsi,
            rdi: r.rdi,
            orig_rax: r.orig_rax,
            rip: r.rip,
            cs: r.cs,
            eflags: r.rflags,
            rsp: r.rsp,
            ss: r.ss,
            fs_base,
            gs_base,
            ..Default::default()
        }
    }
}

/// `struct elf_prstatus` (NT_PRSTATUS, 336 bytes).
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct ElfPrstatus {
    /// `struct elf_siginfo`: si_signo, si_code, si_errno.
    pub si_signo: i32,
    pub si_code: i32,
    pub si_errno: i32,
    pub pr_cursig: u16,
    pub pad0: u16,
    pub pr_sigpend: u64,
    pub pr_sighold: u64,
    pub pr_pid: i32,
    pub pr_ppid: i32,
    pub pr_pgrp: i32,
    pub pr_sid: i32,
    pub pr_utime: Timeval,
    pub pr_stime: Timeval,
    pub pr_cutime: Timeval,
    pub pr_cstime: Timeval,
    pub pr_reg: UserRegs,
    pub pr_fpvalid: i32,
    pub pad1: u32,
}

/// `struct elf_prpsinfo` (NT_PRPSINFO, 136 bytes).
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub struct ElfPrpsinfo {
    pub pr_state: u8,
    pub pr_sname: u8,
    pub pr_zomb: u8,
    pub pr_nice: i8,
    pub pad0: u32,
    pub pr_flag: u64,
    pub pr_uid: u32,
    pub pr_gid: u32,
    pub pr_pid: i32,
    pub pr_ppid: i32,
    pub pr_pgrp: i32,
    pub pr_sid: i32,
    pub pr_fname: [u8; 16],
    pub pr_psargs: [u8; 80],
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::{offset_of, size_of};

    #[test]
    fn layouts_are_linuxs() {
        assert_eq!(size_of::<Elf64Ehdr>(), 64);
        assert_eq!(offset_of!(Elf64Ehdr, e_phnum), 56);
        assert_eq!(size_of::<Elf64Phdr>(), 56);
        assert_eq!(size_of::<Elf64Nhdr>(), 12);
        assert_eq!(size_of::<UserRegs>(), 216);
        assert_eq!(size_of::<ElfPrstatus>(), 336);
        assert_eq!(offset_of!(ElfPrstatus, pr_sigpend), 16);
        assert_eq!(offset_of!(ElfPrstatus, pr_pid), 32);
        assert_eq!(offset_of!(ElfPrstatus, pr_utime), 48);
        assert_eq!(offset_of!(ElfPrstatus, pr_reg), 112);
        assert_eq!(offset_of!(ElfPrstatus, pr_fpvalid), 328);
        assert_eq!(size_of::<ElfPrpsinfo>(), 136);
        assert_eq!(offset_of!(ElfPrpsinfo, pr_uid), 16);
        assert_eq!(offset_of!(ElfPrpsinfo, pr_fname), 40);
        assert_eq!(offset_of!(ElfPrpsinfo, pr_psargs), 56);
    }
}
