//! The user register frame, laid out exactly as Linux's x86_64
//! `struct pt_regs` (arch/x86/include/asm/ptrace.h). The trap and syscall
//! entry code push it on the task's kernel stack in this order.

/// Linux: `struct pt_regs`.
#[repr(C)]
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub struct PtRegs {
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
    /// The syscall number on syscall entry; the error code (or -1) on a trap.
    pub orig_rax: u64,
    pub rip: u64,
    pub cs: u64,
    pub rflags: u64,
    pub rsp: u64,
    pub ss: u64,
}

/// Number of 64-bit words in [`PtRegs`].
pub const PT_REGS_WORDS: usize = 21;

/// Linux's `__USER_CS` and `__USER_DS` (the GDT is laid out as Linux's).
pub const USER_CS: u64 = 0x33;
pub const USER_DS: u64 = 0x2b;
/// RFLAGS for a fresh user thread: IF set, and the always-one bit 1.
pub const USER_RFLAGS: u64 = 0x202;

impl PtRegs {
    /// Registers for a new program entering at `rip` with stack `rsp`,
    /// as Linux's `start_thread()`.
    pub fn for_new_program(rip: u64, rsp: u64) -> Self {
        PtRegs { rip, rsp, cs: USER_CS, ss: USER_DS, rflags: USER_RFLAGS, ..Default::default() }
    }

    /// The syscall arguments in x86_64 order: rdi, rsi, rdx, r10, r8, r9.
    pub fn syscall_args(&self) -> [u64; 6] {
        [self.rdi, self.rsi, self.rdx, self.r10, self.r8, self.r9]
    }

    pub fn to_words(&self) -> [u64; PT_REGS_WORDS] {
        [
            self.r15,
            self.r14,
            self.r13,
            self.r12,
            self.rbp,
            self.rbx,
            self.r11,
            self.r10,
            self.r9,
            self.r8,
            self.rax,
            self.rcx,
            self.rdx,
            self.rsi,
            self.rdi,
            self.orig_rax,
            self.rip,
            self.cs,
            self.rflags,
            self.rsp,
            self.ss,
        ]
    }

    pub fn from_words(w: &[u64; PT_REGS_WORDS]) -> Self {
        PtRegs {
            r15: w[0],
            r14: w[1],
            r13: w[2],
            r12: w[3],
            rbp: w[4],
            rbx: w[5],
            r11: w[6],
            r10: w[7],
            r9: w[8],
            r8: w[9],
            rax: w[10],
            rcx: w[11],
            rdx: w[12],
            rsi: w[13],
            rdi: w[14],
            orig_rax: w[15],
            rip: w[16],
            cs: w[17],
            rflags: w[18],
            rsp: w[19],
            ss: w[20],
        }
    }
}
