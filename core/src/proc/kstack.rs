//! A task's kernel stack, with the saved user state at its top.
//!
//! As in Linux, entering the kernel from user mode pushes the user registers
//! (`struct pt_regs`) at the very top of the running task's kernel stack;
//! right below them is the user's FPU/SSE state in the 512-byte `fxsave`
//! format. The kernel's own call frames grow down from there.
//!
//! Rust code in the kernel may use the SSE registers (xmm0-15), but never
//! the x87 registers or MXCSR (it does no floating-point arithmetic). So a
//! trap saves only the xmm registers into the area and marks it *partial*
//! (the word between the area and `pt_regs`); the rest of the user's FPU
//! state stays live in the CPU, and the return restores only the xmm
//! registers. This is Linux's rule that the user FPU registers stay live
//! across a system call that does not switch tasks (TIF_NEED_FPU_LOAD
//! clear). Whoever needs the whole image first completes it: the
//! context switch, and core through `Machine::fpu` (Linux:
//! fpu_sync_fpstate()) before reading the running task's state. Writing
//! the area ([`KernelStack::set_fpu`]) makes it complete, so the return
//! loads all of it with `fxrstor`. A new task's stack gets a
//! copy of its parent's frame (Linux: `copy_thread()`), so returning from
//! the kernel on it lands in user mode as the child.
//!
//! Layout, in 16-byte units from the bottom (top 16-byte aligned, as the CPU
//! wants for `rsp0`):
//!
//! ```text
//! [ kernel call frames ... | fxsave area (512) | partial (8) | pt_regs (168) ] top
//! ```

use alloc::boxed::Box;
use alloc::vec;

use crate::abi::{PtRegs, PT_REGS_WORDS};

/// Total size of a kernel stack (Linux's THREAD_SIZE is 16 KiB too).
pub const KSTACK_BYTES: usize = 16 * 1024;
const WORDS: usize = KSTACK_BYTES / 8;
/// Words from the top of the stack to the start of `pt_regs`.
const REGS_AT: usize = WORDS - PT_REGS_WORDS;
/// Words from the top to the start of the fxsave area (the 8-byte
/// partial flag keeps it 16-byte aligned).
const FPU_AT: usize = REGS_AT - 1 - FPU_WORDS;
const FPU_WORDS: usize = 512 / 8;
/// The word after the fxsave area: nonzero when the area holds only the
/// xmm registers and the rest of the user's FPU state is in the CPU.
const FPU_PARTIAL_AT: usize = FPU_AT + FPU_WORDS;
/// Byte offset of the partial flag from the start of the fxsave area: the
/// entry code and `tine-hal` agree on this number.
pub const FPU_PARTIAL_OFFSET: usize = FPU_WORDS * 8;

/// Bytes from the stack's top down to the fxsave area: the entry code and
/// `tine-hal` agree on this number.
pub const FPU_AREA_FROM_TOP: usize = (WORDS - FPU_AT) * 8;
/// Words the context switch pops: rbp, rbx, r12-r15 and the return address.
pub const SWITCH_FRAME_WORDS: usize = 7;
/// Bytes from the stack's top down to `pt_regs`.
pub const REGS_FROM_TOP: usize = PT_REGS_WORDS * 8;

#[derive(Clone, Copy)]
#[repr(C, align(16))]
struct Chunk([u64; 2]);

/// One task's kernel stack. Owned by the task; never moved while in use
/// (it lives in its own heap allocation).
pub struct KernelStack {
    chunks: Box<[Chunk]>,
}

/// The user FPU/SSE state in `fxsave` format.
#[derive(Clone, PartialEq, Eq)]
pub struct FpuState(pub [u64; FPU_WORDS]);

impl FpuState {
    /// The state `execve` starts a program with: x87 control word 0x37f,
    /// MXCSR 0x1f80 (all exceptions masked), as after Linux's `fpu__clear`.
    pub fn initial() -> Self {
        let mut w = [0u64; FPU_WORDS];
        w[0] = 0x037f; // FCW in bytes 0..2
        w[3] = 0x1f80 | (0xffbf << 32); // MXCSR at byte 24, MXCSR_MASK at 28
        FpuState(w)
    }
}

impl KernelStack {
    pub fn new() -> Self {
        KernelStack { chunks: vec![Chunk([0; 2]); WORDS / 2].into_boxed_slice() }
    }

    /// A stack, or ENOMEM when the kernel heap cannot hold one
    /// (Linux: alloc_thread_stack_node() in dup_task_struct()).
    pub fn try_new() -> Result<Self, crate::abi::Errno> {
        let mut v = alloc::vec::Vec::new();
        v.try_reserve_exact(WORDS / 2).map_err(|_| crate::abi::ENOMEM)?;
        v.resize(WORDS / 2, Chunk([0; 2]));
        Ok(KernelStack { chunks: v.into_boxed_slice() })
    }

    /// How deep the stack has ever been used, from the first non-zero word
    /// above the bottom (the stack starts zeroed): a high-water mark. For a
    /// stack reused through [`StackCache`], the deepest of its users.
    pub fn high_water(&self) -> usize {
        let untouched = (0..WORDS).take_while(|&i| self.word(i) == 0).count();
        KSTACK_BYTES - untouched * 8
    }

    /// Whether the high-water mark is above `bytes`: a look at the words
    /// below that depth only, not the whole stack.
    pub fn deeper_than(&self, bytes: usize) -> bool {
        let below = WORDS.saturating_sub(bytes / 8);
        self.chunks[..below / 2].iter().any(|c| c.0 != [0, 0]) || (below % 2 == 1 && self.word(below - 1) != 0)
    }

    fn word(&self, i: usize) -> u64 {
        self.chunks[i / 2].0[i % 2]
    }

    fn set_word(&mut self, i: usize, v: u64) {
        self.chunks[i / 2].0[i % 2] = v;
    }

    /// The address one past the top: what `rsp0` is set to while the task runs.
    pub fn top(&self) -> u64 {
        self.chunks.as_ptr() as u64 + KSTACK_BYTES as u64
    }

    /// The user registers saved on this (not running) task's stack.
    pub fn regs(&self) -> PtRegs {
        let mut w = [0u64; PT_REGS_WORDS];
        for (i, x) in w.iter_mut().enumerate() {
            *x = self.word(REGS_AT + i);
        }
        PtRegs::from_words(&w)
    }

    pub fn set_regs(&mut self, regs: &PtRegs) {
        for (i, x) in regs.to_words().iter().enumerate() {
            self.set_word(REGS_AT + i, *x);
        }
    }

    /// The saved FPU image. For the running task, only complete after
    /// `Machine::fpu.sync()` (see `Kernel::cur_fpu`).
    pub fn fpu(&self) -> FpuState {
        let mut f = FpuState([0; FPU_WORDS]);
        for (i, x) in f.0.iter_mut().enumerate() {
            *x = self.word(FPU_AT + i);
        }
        f
    }

    /// Replace the saved FPU image; the return to user mode loads all of
    /// it (the area is no longer partial).
    pub fn set_fpu(&mut self, f: &FpuState) {
        for (i, x) in f.0.iter().enumerate() {
            self.set_word(FPU_AT + i, *x);
        }
        self.set_word(FPU_PARTIAL_AT, 0);
    }

    /// Whether the area holds only the xmm registers (a trap saved them and
    /// nothing has completed it since).
    pub fn fpu_partial(&self) -> bool {
        self.word(FPU_PARTIAL_AT) != 0
    }

    /// Lay out the frame the context switch expects on a stack it has never
    /// run on: six callee-saved registers (zero) and a return address,
    /// just below the fxsave area. The hardware layer's `ret_to_user`
    /// restores the FPU state and `pt_regs` and enters user mode (Linux:
    /// copy_thread() pointing the child at ret_from_fork). Returns the
    /// stack pointer to switch to.
    pub fn prepare_first_switch(&mut self, ret_to_user: u64) -> u64 {
        for depth in 2..=SWITCH_FRAME_WORDS {
            self.set_word(FPU_AT - depth, 0);
        }
        self.set_word(FPU_AT - 1, ret_to_user);
        self.chunks.as_ptr() as u64 + ((FPU_AT - SWITCH_FRAME_WORDS) * 8) as u64
    }
}

/// Freed kernel stacks kept for the next fork, which then needs neither a
/// 16 KiB heap allocation nor zeroing it (Linux: the per-CPU
/// `cached_stacks` of kernel/fork.c, NR_CACHED_STACKS of them, in
/// alloc_thread_stack_node() and free_thread_stack()).
///
/// A cached stack is not zeroed again: nothing reads a stack before
/// writing it (a new task's `pt_regs`, FPU image and first-switch frame
/// are all set by fork). Only stacks whose users stayed above the depth
/// `free_task` warns at are kept, so that a reused stack going past that
/// depth can only be its new user's doing, and the warning stays right.
#[derive(Default)]
pub struct StackCache {
    stacks: alloc::vec::Vec<KernelStack>,
}

impl StackCache {
    /// Linux: NR_CACHED_STACKS.
    pub const MAX: usize = 2;

    /// A cached stack, else a new one (ENOMEM when the heap cannot hold it).
    pub fn get(&mut self) -> Result<KernelStack, crate::abi::Errno> {
        match self.stacks.pop() {
            Some(s) => Ok(s),
            None => KernelStack::try_new(),
        }
    }

    /// Keep a freed stack for reuse if there is room; else it is freed.
    pub fn put(&mut self, stack: KernelStack) {
        if self.stacks.len() < Self::MAX {
            self.stacks.push(stack);
        }
    }

    pub fn len(&self) -> usize {
        self.stacks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.stacks.is_empty()
    }
}

impl Default for KernelStack {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deeper_than_agrees_with_high_water() {
        let mut s = KernelStack::new();
        assert_eq!(s.high_water(), 0);
        assert!(!s.deeper_than(0));
        for depth_words in [1, 2, 3, 64, 511, 512, 513, 1536, 1537, WORDS] {
            let mut s2 = KernelStack::new();
            s2.set_word(WORDS - depth_words, 0xdead);
            let hw = s2.high_water();
            assert_eq!(hw, depth_words * 8);
            for bytes in [0, 8, 16, hw - 8, hw, hw + 8, KSTACK_BYTES * 3 / 4, KSTACK_BYTES] {
                assert_eq!(s2.deeper_than(bytes), hw > bytes, "depth {hw}, asked {bytes}");
            }
        }
        s.set_fpu(&FpuState::initial());
        assert!(!s.fpu_partial());
    }

    #[test]
    fn stack_cache_keeps_at_most_max() {
        let mut c = StackCache::default();
        let stacks: alloc::vec::Vec<_> = (0..StackCache::MAX + 1).map(|_| KernelStack::new()).collect();
        let tops: alloc::vec::Vec<u64> = stacks.iter().map(|s| s.top()).collect();
        for s in stacks {
            c.put(s);
        }
        assert_eq!(c.len(), StackCache::MAX);
        // The most recently freed comes back first (still warm in cache).
        assert_eq!(c.get().unwrap().top(), tops[StackCache::MAX - 1]);
        c.get().unwrap();
        assert!(c.is_empty());
        assert!(c.get().is_ok(), "an empty cache allocates");
    }
}
