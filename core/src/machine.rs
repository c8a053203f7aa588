//! What `core` needs from the machine, as traits `tine-hal` implements on
//! x86_64 and the host tests implement with plain memory.

/// Physical memory, addressed by physical address. On the machine this is
/// the direct map; in host tests a `Vec` of frames.
pub trait PhysMem: Sync {
    fn read(&self, pa: u64, buf: &mut [u8]);
    fn write(&self, pa: u64, data: &[u8]);
    fn read_u64(&self, pa: u64) -> u64;
    fn write_u64(&self, pa: u64, v: u64);
    /// Fill one 4 KiB frame with zeros.
    fn zero_frame(&self, pa: u64);
    /// Copy one 4 KiB frame.
    fn copy_frame(&self, dst: u64, src: u64);
}

/// The MMU operations `core` asks for when it changes a live page table
/// (see `mm::tlb`).
pub trait Mmu: Sync {
    /// Drop any TLB entry for `va` in the current address space, on this
    /// CPU.
    fn flush_page(&self, va: u64);
    /// Drop all non-global TLB entries of this CPU.
    fn flush_all(&self);
    /// Make the page table rooted at physical address `root` the live one
    /// on this CPU.
    fn activate(&self, root: u64);
    /// The number of the CPU this runs on (below
    /// [`crate::cpumask::MASK_CPUS`]).
    fn this_cpu(&self) -> usize;
    /// Make every CPU of `cpus` but this one drop its TLB entries as
    /// `flush` says, for the address space it has loaded, with one
    /// interrupt each, and return once all have (Linux:
    /// flush_tlb_multi()). The caller flushes its own TLB.
    fn flush_others(&self, cpus: crate::cpumask::CpuMask, flush: Flush<'_>);
}

/// What a TLB shootdown drops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flush<'a> {
    /// The entries of these pages (at most `mm::tlb::FLUSH_CEILING`).
    Pages(&'a [u64]),
    /// Every non-global entry.
    All,
}

/// The console device: bytes out, bytes in (non-blocking).
pub trait Console: Sync {
    fn write(&self, data: &[u8]);
    /// Take up to `buf.len()` bytes that have arrived; 0 if none.
    fn read(&self, buf: &mut [u8]) -> usize;
}

/// Time sources.
pub trait Clock: Sync {
    /// Nanoseconds since boot (CLOCK_MONOTONIC).
    fn monotonic_ns(&self) -> u64;
    /// Nanoseconds since the Unix epoch at boot (added to the monotonic clock
    /// to give CLOCK_REALTIME).
    fn boot_epoch_ns(&self) -> u64;
    /// A raw count that grows with time and is cheap to read (the TSC),
    /// for the CPU-time accounting at every kernel entry and exit, which
    /// keeps differences of readings and converts them only when it
    /// charges a task ([`Clock::cycles_to_ns`]). By default, nanoseconds.
    fn cycles(&self) -> u64 {
        self.monotonic_ns()
    }
    /// Nanoseconds in `cycles` units of [`Clock::cycles`].
    fn cycles_to_ns(&self, cycles: u64) -> u64 {
        cycles
    }
    /// Raise the timer interrupt at monotonic time `at_ns` (at once if it
    /// has passed), replacing the previous request: the one-shot clock
    /// event device (Linux: clockevents_program_event()).
    fn set_next_event(&self, _at_ns: u64) {}
    /// How user mode may read the monotonic clock as this one does: the
    /// TSC at boot and the multiplier of `((rdtsc - base) * mult) >> 32`,
    /// for the vDSO; None where user mode cannot (it makes the system call).
    fn tsc_params(&self) -> Option<(u64, u64)> {
        None
    }
}

/// The kernel log: lines for the person running Tine, never mixed into a
/// program's output.
pub trait Log: Sync {
    fn log(&self, args: core::fmt::Arguments);

    /// What came in on the log device since the last call, once its
    /// interrupt fired (`Irq::LogPort`): whether it was a break, the
    /// request for a task dump (see `proc::show_state`). Bytes are
    /// dropped: nothing types on the log.
    fn take_break(&self) -> bool {
        false
    }
}

/// The running task's user FPU state, which traps save only in part (see
/// `proc::kstack`).
pub trait Fpu: Sync {
    /// Complete the running task's saved FPU image on its kernel stack
    /// from the CPU's registers, so that `KernelStack::fpu` reads all of
    /// it (Linux: fpu_sync_fpstate()). Only called while a task runs.
    fn sync(&self);

    /// The XSAVE features (XCR0) the saved image holds, in the standard
    /// XSAVE format; 0 when the CPU has no XSAVE and the image is fxsave's
    /// 512 bytes (Linux: fpu_user_cfg.max_features, use_xsave()).
    fn xfeatures(&self) -> u64;
}

/// For machines whose trap saves the whole FPU image (the host tests):
/// nothing to complete. Its XSAVE features are x87, SSE and AVX.
pub struct FpuSaved;

impl Fpu for FpuSaved {
    fn sync(&self) {}

    fn xfeatures(&self) -> u64 {
        crate::proc::xstate::XFEATURE_MASK_USER
    }
}

/// Where kernel stacks live (see `proc::kstack`): the machine maps the
/// frames core gives it into a kernel virtual area that every address
/// space shares, with unmapped guard pages below each stack, so that an
/// overflow faults (and the machine panics naming the stack's task)
/// instead of overwriting the memory below. Linux: CONFIG_VMAP_STACK.
pub trait KernelStacks: Sync {
    /// Map `frames` (bottom first; `proc::kstack::KSTACK_PAGES` of them,
    /// owned by the caller until [`unmap`](Self::unmap)) as one stack.
    /// Returns its top, one past its highest byte, or `None` when the
    /// area has no room (Linux: vmalloc failing).
    fn map(&self, frames: &[u64]) -> Option<u64>;
    /// Unmap the stack whose top is `top` and drop every TLB entry for it,
    /// so that its frames can be reused. Only for a stack nothing runs
    /// on, nor will again.
    fn unmap(&self, top: u64);
    /// Record the task that owns the stack at `top`, for the panic message
    /// if it overflows.
    fn set_owner(&self, top: u64, pid: u32, comm: &[u8]);
    /// Make the mapped, not running stack at `top` start, when it is first
    /// switched to, on the machine's path back to user mode, which
    /// restores the FPU state and `pt_regs` at its top (Linux:
    /// copy_thread() pointing the child at ret_from_fork). False for a
    /// stack that is not mapped or runs.
    fn prepare_first_switch(&self, top: u64) -> bool;
    /// Whether the stack at `top` is in use: a CPU runs on it, or has not
    /// yet finished switching away from it (its saved context is not
    /// complete). Such a stack is neither freed nor switched to (Linux:
    /// `task_struct.on_cpu`). Nothing runs on the host tests' stacks.
    fn in_use(&self, _top: u64) -> bool {
        false
    }
}

/// Kernel stacks for machines where nothing runs on them (the host
/// tests): distinct made-up addresses in Linux's vmalloc area, never
/// dereferenced.
pub struct SimStacks(core::sync::atomic::AtomicU64);

impl SimStacks {
    pub const fn new() -> Self {
        SimStacks(core::sync::atomic::AtomicU64::new(0))
    }
}

impl Default for SimStacks {
    fn default() -> Self {
        Self::new()
    }
}

impl KernelStacks for SimStacks {
    fn map(&self, _frames: &[u64]) -> Option<u64> {
        let n = self.0.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
        Some(0xffff_c900_0000_0000 + (n + 1) * 0x8000)
    }

    fn unmap(&self, _top: u64) {}

    fn set_owner(&self, _top: u64, _pid: u32, _comm: &[u8]) {}

    fn prepare_first_switch(&self, _top: u64) -> bool {
        true
    }
}

/// Everything `core` reaches the machine through.
#[derive(Clone, Copy)]
pub struct Machine {
    pub mem: &'static dyn PhysMem,
    pub mmu: &'static dyn Mmu,
    pub console: &'static dyn Console,
    pub clock: &'static dyn Clock,
    pub log: &'static dyn Log,
    pub fpu: &'static dyn Fpu,
    pub kstacks: &'static dyn KernelStacks,
}
