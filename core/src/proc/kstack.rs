//! A task's kernel stack, with the saved user state at its top.
//!
//! As in Linux, entering the kernel from user mode pushes the user registers
//! (`struct pt_regs`) at the very top of the running task's kernel stack;
//! right below them is the user's FPU state, an XSAVE area in the
//! standard format (x87, SSE, AVX: [`FPU_AREA_BYTES`]; see
//! [`super::xstate`]), of which a CPU without XSAVE uses the first 512
//! bytes, the `fxsave` format. The kernel's own call frames grow down
//! from there.
//!
//! Rust code in the kernel may use the SSE registers (xmm0-15), with
//! legacy encodings only, but never the x87 registers, MXCSR or the ymm
//! upper halves (it does no floating-point arithmetic). So a trap saves
//! only the xmm registers into the area and marks it *partial* (the word
//! between the area and `pt_regs`); the rest of the user's FPU state
//! stays live in the CPU, and the return restores only the xmm
//! registers. This is Linux's rule that the user FPU registers stay live
//! across a system call that does not switch tasks (TIF_NEED_FPU_LOAD
//! clear). Whoever needs the whole image first completes it: the
//! context switch, and core through `Machine::fpu` (Linux:
//! fpu_sync_fpstate()) before reading the running task's state. Writing
//! the area ([`KernelStack::set_fpu`]) makes it complete, so the return
//! loads all of it with `xrstor` (`fxrstor`). A new task's stack gets a
//! copy of its parent's frame (Linux: `copy_thread()`), so returning from
//! the kernel on it lands in user mode as the child.
//!
//! Layout from the bottom (top page-aligned; the FPU area 64-byte
//! aligned, as `xsave` wants, by 16 bytes of padding):
//!
//! ```text
//! [ kernel call frames ... | FPU area (832) | partial (8) | pad (16) | pt_regs (168) ] top
//! ```
//!
//! The area lives here rather than on the heap because the entry code
//! finds it at a fixed offset from the stack top (no pointer to load), it
//! comes and goes with the stack (nothing to allocate or leak at fork),
//! and its size is bounded: Tine enables only the XSAVE features whose
//! layout is fixed (x87, SSE, AVX), never AVX-512's 2 KiB more.
//!
//! # Where the memory is
//!
//! A stack is [`KSTACK_PAGES`] frames from the frame allocator, so that
//! it counts as used memory like any other kernel allocation, which the
//! machine maps ([`KernelStacks`]) into a kernel virtual area that every
//! address space shares, with unmapped guard pages below it: a kernel
//! stack overflow faults there and the machine panics naming the task,
//! instead of overwriting whatever lies below (Linux:
//! CONFIG_VMAP_STACK, alloc_thread_stack_node() with vmalloc). The CPU
//! uses the stack through that mapping; core reads and writes the saved
//! state on it through [`PhysMem`], by the frames, and never
//! dereferences the mapped address.
//!
//! A stack is returned by dropping it: it goes back to its [`StackCache`]
//! (so a fork that fails half-way cannot leak one), which keeps a few
//! for the next fork and gives the rest back to the machine and the frame
//! allocator at its next [`StackCache::trim`].

use alloc::sync::Arc;
use alloc::vec::Vec;

use spin::Mutex;

use crate::abi::{Errno, PtRegs, ENOMEM, PT_REGS_WORDS};
use crate::machine::{KernelStacks, Machine, PhysMem};
use crate::mm::consts::PAGE_SIZE;
use crate::mm::frame::FrameAllocator;

/// Total size of a kernel stack (Linux's THREAD_SIZE is 16 KiB too).
pub const KSTACK_BYTES: usize = 16 * 1024;
/// Frames per kernel stack.
pub const KSTACK_PAGES: usize = KSTACK_BYTES / PAGE_SIZE as usize;
const WORDS: usize = KSTACK_BYTES / 8;
const WORDS_PER_PAGE: usize = PAGE_SIZE as usize / 8;
/// Words from the top of the stack to the start of `pt_regs`.
const REGS_AT: usize = WORDS - PT_REGS_WORDS;
/// Bytes of the FPU area: the standard-format XSAVE image of x87, SSE and
/// AVX (legacy 512, header 64, AVX's upper halves 256).
pub const FPU_AREA_BYTES: usize = super::xstate::XSTATE_AREA_BYTES;
const FPU_WORDS: usize = FPU_AREA_BYTES / 8;
/// Words from the top to the start of the FPU area: the partial flag and
/// two words of padding keep it 64-byte aligned.
const FPU_AT: usize = REGS_AT - 3 - FPU_WORDS;
const _: () = assert!((FPU_AT * 8).is_multiple_of(64), "xsave needs a 64-byte aligned area");
/// The word after the FPU area: nonzero when the area holds only the
/// xmm registers and the rest of the user's FPU state is in the CPU.
const FPU_PARTIAL_AT: usize = FPU_AT + FPU_WORDS;
/// Byte offset of the partial flag from the start of the FPU area: the
/// entry code and `tine-hal` agree on this number.
pub const FPU_PARTIAL_OFFSET: usize = FPU_WORDS * 8;

/// Bytes from the stack's top down to the FPU area: the entry code and
/// `tine-hal` agree on this number.
pub const FPU_AREA_FROM_TOP: usize = (WORDS - FPU_AT) * 8;
/// Words the context switch pops: rbp, rbx, r12-r15 and the return
/// address; `tine-hal` lays them out right below the FPU area.
pub const SWITCH_FRAME_WORDS: usize = 7;
/// Bytes from the stack's top down to `pt_regs`.
pub const REGS_FROM_TOP: usize = PT_REGS_WORDS * 8;

/// A mapped stack: its frames, bottom first, and the top of its mapping.
#[derive(Clone, Copy)]
struct Mapped {
    frames: [u64; KSTACK_PAGES],
    top: u64,
}

/// What a stack and its cache share: the machine, and the stacks dropped
/// since the cache last looked.
struct Shared {
    phys: &'static dyn PhysMem,
    map: &'static dyn KernelStacks,
    freed: Mutex<Vec<Mapped>>,
}

/// One task's kernel stack. Owned by the task; dropping it returns it to
/// the [`StackCache`] it came from.
pub struct KernelStack {
    s: Mapped,
    shared: Arc<Shared>,
    /// False once [`StackCache::discard`] has taken it apart.
    recycle: bool,
}

/// The user FPU state: an XSAVE image in the standard format, whose
/// first 512 bytes are the `fxsave` image (see [`super::xstate`]).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct FpuState(pub [u64; FPU_WORDS]);

impl FpuState {
    /// The state `execve` starts a program with: x87 control word 0x37f,
    /// MXCSR 0x1f80 (all exceptions masked), as after Linux's `fpu__clear`;
    /// XSTATE_BV 0: every feature at its initial state.
    pub fn initial() -> Self {
        let mut w = [0u64; FPU_WORDS];
        w[0] = 0x037f; // FCW in bytes 0..2
        w[3] = 0x1f80 | (0xffbf << 32); // MXCSR at byte 24, MXCSR_MASK at 28
        FpuState(w)
    }
}

impl KernelStack {
    /// Physical address of word `i` (0 = the bottom).
    fn word_pa(&self, i: usize) -> u64 {
        self.s.frames[i / WORDS_PER_PAGE] + (i % WORDS_PER_PAGE) as u64 * 8
    }

    fn word(&self, i: usize) -> u64 {
        self.shared.phys.read_u64(self.word_pa(i))
    }

    fn set_word(&mut self, i: usize, v: u64) {
        self.shared.phys.write_u64(self.word_pa(i), v);
    }

    /// Words `first..first + out.len()`, read a frame's part at a time.
    fn read_words(&self, first: usize, out: &mut [u64]) {
        let mut buf = [0u8; 512];
        let mut i = 0;
        while i < out.len() {
            let w = first + i;
            let n = (out.len() - i).min(WORDS_PER_PAGE - w % WORDS_PER_PAGE).min(buf.len() / 8);
            self.shared.phys.read(self.word_pa(w), &mut buf[..n * 8]);
            for (o, b) in out[i..i + n].iter_mut().zip(buf.chunks_exact(8)) {
                *o = u64::from_le_bytes(b.try_into().expect("8 bytes"));
            }
            i += n;
        }
    }

    /// Words `first..` from `words`, written a frame's part at a time.
    fn write_words(&mut self, first: usize, words: &[u64]) {
        let mut buf = [0u8; 512];
        let mut i = 0;
        while i < words.len() {
            let w = first + i;
            let n = (words.len() - i).min(WORDS_PER_PAGE - w % WORDS_PER_PAGE).min(buf.len() / 8);
            for (b, x) in buf.chunks_exact_mut(8).zip(&words[i..i + n]) {
                b.copy_from_slice(&x.to_le_bytes());
            }
            self.shared.phys.write(self.word_pa(w), &buf[..n * 8]);
            i += n;
        }
    }

    /// The lowest non-zero word below word `limit`, if any.
    fn first_used_below(&self, limit: usize) -> Option<usize> {
        let mut chunk = [0u64; 32];
        let mut i = 0;
        while i < limit {
            let n = (limit - i).min(chunk.len());
            self.read_words(i, &mut chunk[..n]);
            if let Some(j) = chunk[..n].iter().position(|&w| w != 0) {
                return Some(i + j);
            }
            i += n;
        }
        None
    }

    /// How deep the stack has ever been used, from the first non-zero word
    /// above the bottom (the stack starts zeroed): a high-water mark. For a
    /// stack reused through [`StackCache`], the deepest of its users.
    pub fn high_water(&self) -> usize {
        let untouched = self.first_used_below(WORDS).unwrap_or(WORDS);
        KSTACK_BYTES - untouched * 8
    }

    /// Whether the high-water mark is above `bytes`: a look at the words
    /// below that depth only, not the whole stack.
    pub fn deeper_than(&self, bytes: usize) -> bool {
        self.first_used_below(WORDS.saturating_sub(bytes / 8)).is_some()
    }

    /// The address one past the top: what `rsp0` is set to while the task runs.
    pub fn top(&self) -> u64 {
        self.s.top
    }

    /// Tell the machine whose stack this is, for its message if the stack
    /// overflows into its guard page.
    pub fn set_owner(&self, pid: u32, comm: &[u8]) {
        self.shared.map.set_owner(self.s.top, pid, comm);
    }

    /// The user registers saved on this (not running) task's stack.
    pub fn regs(&self) -> PtRegs {
        let mut w = [0u64; PT_REGS_WORDS];
        self.read_words(REGS_AT, &mut w);
        PtRegs::from_words(&w)
    }

    pub fn set_regs(&mut self, regs: &PtRegs) {
        self.write_words(REGS_AT, &regs.to_words());
    }

    /// The saved FPU image. For the running task, only complete after
    /// `Machine::fpu.sync()` (see `Kernel::cur_fpu`).
    pub fn fpu(&self) -> FpuState {
        let mut f = FpuState([0; FPU_WORDS]);
        self.read_words(FPU_AT, &mut f.0);
        f
    }

    /// Replace the saved FPU image; the return to user mode loads all of
    /// it (the area is no longer partial).
    pub fn set_fpu(&mut self, f: &FpuState) {
        self.write_words(FPU_AT, &f.0);
        self.set_word(FPU_PARTIAL_AT, 0);
    }

    /// Whether the area holds only the xmm registers (a trap saved them and
    /// nothing has completed it since).
    pub fn fpu_partial(&self) -> bool {
        self.word(FPU_PARTIAL_AT) != 0
    }

    /// Make this stack, which has never run, start on the machine's path
    /// back to user mode when first switched to (its `pt_regs` and FPU
    /// image must be set first): see `KernelStacks::prepare_first_switch`.
    pub fn prepare_first_switch(&mut self) {
        assert!(self.shared.map.prepare_first_switch(self.s.top), "a new task's stack is mapped and idle");
    }
}

impl Drop for KernelStack {
    fn drop(&mut self) {
        if self.recycle {
            self.shared.freed.lock().push(self.s);
        }
    }
}

/// Every kernel stack comes from here and returns here when dropped. Freed
/// stacks are kept for the next fork, which then needs neither frames, a
/// mapping nor zeroing (Linux: the per-CPU `cached_stacks` of
/// kernel/fork.c, NR_CACHED_STACKS of them, in alloc_thread_stack_node()
/// and free_thread_stack()); the others are unmapped and their frames
/// freed by [`trim`](Self::trim).
///
/// A cached stack is not zeroed again: nothing reads a stack before
/// writing it (a new task's `pt_regs`, FPU image and first-switch frame
/// are all set by fork). Only stacks whose users stayed above the depth
/// `free_task` warns at are kept ([`discard`](Self::discard) the others),
/// so that a reused stack going past that depth can only be its new
/// user's doing, and the warning stays right.
pub struct StackCache {
    shared: Arc<Shared>,
    /// Stacks mapped, in use or cached.
    mapped: usize,
}

impl StackCache {
    /// Linux: NR_CACHED_STACKS.
    pub const MAX: usize = 2;

    pub fn new(m: &Machine) -> Self {
        StackCache {
            shared: Arc::new(Shared { phys: m.mem, map: m.kstacks, freed: Mutex::new(Vec::new()) }),
            mapped: 0,
        }
    }

    /// A cached stack, else a new one: zeroed frames, mapped. ENOMEM when
    /// frames or the machine's stack area run out (Linux:
    /// alloc_thread_stack_node() failing in dup_task_struct()).
    pub fn get(&mut self, frames: &mut FrameAllocator) -> Result<KernelStack, Errno> {
        let cached = self.shared.freed.lock().pop();
        let s = match cached {
            Some(s) => s,
            None => self.map_new(frames)?,
        };
        Ok(KernelStack { s, shared: self.shared.clone(), recycle: true })
    }

    fn map_new(&mut self, frames: &mut FrameAllocator) -> Result<Mapped, Errno> {
        let mut s = Mapped { frames: [0; KSTACK_PAGES], top: 0 };
        for i in 0..KSTACK_PAGES {
            match frames.alloc_zeroed(self.shared.phys) {
                Some(pa) => s.frames[i] = pa,
                None => {
                    for &pa in &s.frames[..i] {
                        frames.put(pa);
                    }
                    return Err(ENOMEM);
                }
            }
        }
        match self.shared.map.map(&s.frames) {
            Some(top) => s.top = top,
            None => {
                for pa in s.frames {
                    frames.put(pa);
                }
                return Err(ENOMEM);
            }
        }
        self.mapped += 1;
        Ok(s)
    }

    fn unmap(&mut self, s: Mapped, frames: &mut FrameAllocator) {
        self.shared.map.unmap(s.top);
        for pa in s.frames {
            frames.put(pa);
        }
        self.mapped -= 1;
    }

    /// Give back to the machine and the frame allocator every freed stack
    /// beyond the [`MAX`](Self::MAX) kept for reuse, oldest first.
    pub fn trim(&mut self, frames: &mut FrameAllocator) {
        self.trim_to(Self::MAX, frames);
    }

    /// Give back every freed stack (before the no-leak accounting, as
    /// dropping the page cache).
    pub fn drain(&mut self, frames: &mut FrameAllocator) {
        self.trim_to(0, frames);
    }

    fn trim_to(&mut self, keep: usize, frames: &mut FrameAllocator) {
        loop {
            let s = {
                let mut freed = self.shared.freed.lock();
                if freed.len() <= keep {
                    return;
                }
                freed.remove(0)
            };
            self.unmap(s, frames);
        }
    }

    /// Free `stack` at once instead of keeping it for reuse.
    pub fn discard(&mut self, mut stack: KernelStack, frames: &mut FrameAllocator) {
        stack.recycle = false;
        self.unmap(stack.s, frames);
    }

    /// Freed stacks waiting for reuse (or for [`trim`](Self::trim)).
    pub fn len(&self) -> usize {
        self.shared.freed.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Frames held by freed stacks: memory that is not in use.
    pub fn cached_frames(&self) -> usize {
        self.len() * KSTACK_PAGES
    }

    /// Stacks in use by tasks (/proc/meminfo's KernelStack, in stacks).
    pub fn in_use(&self) -> usize {
        self.mapped - self.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::TestMachine;

    fn setup() -> (StackCache, FrameAllocator) {
        let tm = TestMachine::new(256);
        let m = tm.machine();
        let frames = FrameAllocator::new(&[(2 * PAGE_SIZE, 256 * PAGE_SIZE)], m.mem);
        (StackCache::new(&m), frames)
    }

    #[test]
    fn deeper_than_agrees_with_high_water() {
        let (mut c, mut fa) = setup();
        let mut s = c.get(&mut fa).unwrap();
        assert_eq!(s.high_water(), 0);
        assert!(!s.deeper_than(0));
        for depth_words in [1, 2, 3, 64, 511, 512, 513, 1536, 1537, WORDS] {
            let mut s2 = c.get(&mut fa).unwrap();
            s2.set_word(WORDS - depth_words, 0xdead);
            let hw = s2.high_water();
            assert_eq!(hw, depth_words * 8);
            for bytes in [0, 8, 16, hw - 8, hw, hw + 8, KSTACK_BYTES * 3 / 4, KSTACK_BYTES] {
                assert_eq!(s2.deeper_than(bytes), hw > bytes, "depth {hw}, asked {bytes}");
            }
            c.discard(s2, &mut fa);
        }
        s.set_fpu(&FpuState::initial());
        assert!(!s.fpu_partial());
    }

    #[test]
    fn saved_state_round_trips_through_the_frames() {
        let (mut c, mut fa) = setup();
        let mut s = c.get(&mut fa).unwrap();
        let mut w = [0u64; PT_REGS_WORDS];
        for (i, x) in w.iter_mut().enumerate() {
            *x = 0x1000 + i as u64;
        }
        let regs = PtRegs::from_words(&w);
        s.set_regs(&regs);
        assert_eq!(s.regs().to_words(), w);
        let mut f = FpuState::initial();
        f.0[FPU_WORDS - 1] = 0xfeed;
        s.set_fpu(&f);
        assert!(s.fpu() == f);
    }

    #[test]
    fn stack_cache_keeps_at_most_max_and_frames_balance() {
        let (mut c, mut fa) = setup();
        let used = fa.stats().used;
        let stacks: Vec<_> = (0..StackCache::MAX + 1).map(|_| c.get(&mut fa).unwrap()).collect();
        assert_eq!(fa.stats().used, used + (StackCache::MAX + 1) * KSTACK_PAGES);
        assert_eq!(c.in_use(), StackCache::MAX + 1);
        let tops: Vec<u64> = stacks.iter().map(|s| s.top()).collect();
        drop(stacks);
        assert_eq!(c.len(), StackCache::MAX + 1, "dropping returns a stack to its cache");
        c.trim(&mut fa);
        assert_eq!(c.len(), StackCache::MAX);
        assert_eq!(c.in_use(), 0);
        assert_eq!(fa.stats().used, used + StackCache::MAX * KSTACK_PAGES);
        // The most recently freed comes back first (still warm in cache).
        let again = c.get(&mut fa).unwrap();
        assert_eq!(again.top(), tops[StackCache::MAX]);
        drop(again);
        c.drain(&mut fa);
        assert!(c.is_empty());
        assert_eq!(fa.stats().used, used, "every frame back");
    }

    #[test]
    fn out_of_frames_is_enomem_without_a_leak() {
        let (mut c, mut fa) = setup();
        let used = fa.stats().used;
        fa.fail_after(Some(KSTACK_PAGES - 1));
        assert!(matches!(c.get(&mut fa), Err(ENOMEM)));
        assert_eq!(fa.stats().used, used);
        fa.fail_after(None);
        assert!(c.get(&mut fa).is_ok());
    }
}
