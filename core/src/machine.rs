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

/// The MMU operations `core` asks for when it changes a live page table.
pub trait Mmu: Sync {
    /// Drop any TLB entry for `va` in the current address space.
    fn flush_page(&self, va: u64);
    /// Drop all non-global TLB entries.
    fn flush_all(&self);
    /// Make the page table rooted at physical address `root` the live one.
    fn activate(&self, root: u64);
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
    /// Raise the timer interrupt at monotonic time `at_ns` (at once if it
    /// has passed), replacing the previous request: the one-shot clock
    /// event device (Linux: clockevents_program_event()).
    fn set_next_event(&self, _at_ns: u64) {}
}

/// The kernel log: lines for the person running Tine, never mixed into a
/// program's output.
pub trait Log: Sync {
    fn log(&self, args: core::fmt::Arguments);
}

/// The running task's user FPU state, which traps save only in part (see
/// `proc::kstack`).
pub trait Fpu: Sync {
    /// Complete the running task's saved FPU image on its kernel stack
    /// from the CPU's registers, so that `KernelStack::fpu` reads all of
    /// it (Linux: fpu_sync_fpstate()). Only called while a task runs.
    fn sync(&self);
}

/// For machines whose trap saves the whole FPU image (the host tests):
/// nothing to complete.
pub struct FpuSaved;

impl Fpu for FpuSaved {
    fn sync(&self) {}
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
}
