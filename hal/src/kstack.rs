//! Kernel stacks with guard pages (Linux: CONFIG_VMAP_STACK, stacks from
//! vmalloc in alloc_thread_stack_node()).
//!
//! `core` allocates a stack's frames and asks here for a mapping
//! ([`tine_core::machine::KernelStacks`]). Every stack gets a slot of
//! [`SLOT_BYTES`] in one PML4 slot of the kernel half reserved for them
//! ([`AREA_BASE`], where Linux's vmalloc area starts): the top
//! [`KSTACK_BYTES`] of the slot map the frames, the rest below stays
//! unmapped as a guard. The PML4 entry is installed at boot ([`init`])
//! before any address space copies the kernel half, so every address space
//! sees every stack through the page tables below it, which only grow.
//!
//! A stack overflowing runs into its guard: the page fault cannot be
//! delivered on the overflowed stack either, so the CPU raises a double
//! fault, which runs on its own IST stack (see `cpu`), and
//! [`check_overflow`] turns it into a panic naming the guard page and the
//! task (recorded with [`KernelStacks::set_owner`]).
//!
//! # Switching between stacks
//!
//! The stack pointer a context was left at is kept here, per slot, not by
//! the caller: [`switch`] names the stack to resume by its top (or the idle
//! context), and this module finds its saved pointer, which only
//! [`KernelStacks::prepare_first_switch`] or an earlier switch away from it
//! can have put there. A stack with nothing saved (running, never prepared,
//! unmapped) cannot be switched to, so no safe caller can make the CPU
//! resume at an address of its choosing (Linux keeps `thread.sp` in the
//! task struct, trusted by its scheduler).
//!
//! TLB: a slot's translations are dropped with `invlpg` when it is
//! unmapped, before `core` frees its frames, so a slot reused later can
//! never reach the old frames. That is enough on one CPU, with the area's
//! entries not global (a CR3 load flushes them for every other address
//! space anyway); several CPUs would need a shootdown here (Linux batches
//! them lazily in vfree()).

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::arch::asm;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use spin::Mutex;
use tine_core::machine::KernelStacks;
use tine_core::proc::kstack::{FPU_AREA_FROM_TOP, KSTACK_BYTES, KSTACK_PAGES, SWITCH_FRAME_WORDS};

use crate::boot::BOOT_DIRECT_MAP_BYTES;
use crate::region::{Region, NO_EXECUTE, PRESENT, WRITABLE};
use crate::smp::MAX_CPUS;

/// Start of the stack area: PML4 slot 402, Linux's VMALLOC_START with
/// 4-level paging.
pub const AREA_BASE: u64 = 0xFFFF_C900_0000_0000;
pub(crate) const AREA_PML4_INDEX: usize = ((AREA_BASE >> 39) & 511) as usize;
/// One stack and its guard: 16 KiB of guard below 16 KiB of stack, so that
/// a frame larger than a page still lands in the guard.
pub const SLOT_BYTES: u64 = 2 * KSTACK_BYTES as u64;
/// Slots in the area's 512 GiB.
const SLOTS: u64 = (1 << 39) / SLOT_BYTES;
const GUARD_PAGES: usize = (SLOT_BYTES as usize - KSTACK_BYTES) / 4096;

/// The area's tables: its page directories and page tables come from the
/// frames the heap grows from as slots are first used, and stay.
static REGION: Region = Region::new(AREA_BASE);

/// Who owns a slot, for the overflow message.
#[derive(Clone, Copy)]
struct Owner {
    pid: u32,
    comm: [u8; 16],
    comm_len: u8,
}

/// Where a context's stack pointer is saved while it is not running:
/// zero while it runs or has nothing to resume. Boxed and never freed, so
/// its address stays valid for the switch code whatever happens to the
/// slot table meanwhile.
type Saved = &'static AtomicU64;

struct Area {
    /// Per slot ever used: its saved stack pointer.
    saved: Vec<Saved>,
    /// The context running now on each CPU: 0 for its idle context (the
    /// boot stack on the boot CPU, its idle stack on the others), else the
    /// top of its stack.
    current: [u64; MAX_CPUS],
    /// Slots never used yet start here.
    next: u64,
    /// Slots given back, reused first.
    free: Vec<u64>,
    /// Per slot ever used: `Some` while mapped.
    owners: Vec<Option<Owner>>,
}

static AREA: Mutex<Area> =
    Mutex::new(Area { saved: Vec::new(), current: [0; MAX_CPUS], next: 0, free: Vec::new(), owners: Vec::new() });
/// Each CPU's idle context's saved stack pointer.
static IDLE_SAVED: [AtomicU64; MAX_CPUS] = [const { AtomicU64::new(0) }; MAX_CPUS];
static READY: AtomicBool = AtomicBool::new(false);

/// Install the area's PML4 entry in the kernel's page table `kernel_pml4`
/// (physical). Must run before any address space is made from it, since
/// they copy the kernel half once.
///
/// # Safety
/// `kernel_pml4` is the kernel's live PML4; called once.
pub(crate) unsafe fn init(kernel_pml4: u64) {
    // SAFETY: per the contract, the live PML4 before any address space;
    // slot 402 is unused by the boot mappings (0, 256, 511).
    unsafe { REGION.install(kernel_pml4) };
    READY.store(true, Ordering::Release);
}

/// The page-table entry that maps virtual address `va` of the area,
/// creating the tables above it; None when the heap is out.
///
/// # Safety
/// `va` is inside the area, [`init`] has run, and the caller holds
/// [`AREA`]'s lock.
unsafe fn pte(va: u64) -> Option<*mut u64> {
    // SAFETY: the caller's contract is the region's; the lock serializes.
    unsafe { REGION.pte(va, &mut crate::heap::heap_frame) }
}

fn slot_base(slot: u64) -> u64 {
    AREA_BASE + slot * SLOT_BYTES
}

/// Whether `top` is the top of a mapped kernel stack.
pub fn is_stack_top(top: u64) -> bool {
    mapped_slot(&lock_area(), top).is_some()
}

/// The slot of a stack top this module handed out, if it is mapped.
fn mapped_slot(area: &Area, top: u64) -> Option<u64> {
    if top <= AREA_BASE || !(top - AREA_BASE).is_multiple_of(SLOT_BYTES) {
        return None;
    }
    let slot = (top - AREA_BASE) / SLOT_BYTES - 1;
    matches!(area.owners.get(slot as usize), Some(Some(_))).then_some(slot)
}

/// The machine's kernel stacks (`Machine::kstacks`).
pub struct GuardedStacks;

pub static STACKS: GuardedStacks = GuardedStacks;

impl KernelStacks for GuardedStacks {
    fn map(&self, frames: &[u64]) -> Option<u64> {
        // Only whole frames of RAM below the direct map's end: never MMIO
        // or an address the kernel cannot reach otherwise.
        if !READY.load(Ordering::Acquire)
            || frames.len() != KSTACK_PAGES
            || frames.iter().any(|&pa| !pa.is_multiple_of(4096) || pa == 0 || pa >= BOOT_DIRECT_MAP_BYTES)
        {
            return None;
        }
        let mut area = lock_area();
        let slot = match area.free.pop() {
            Some(s) => s,
            None if area.next < SLOTS => {
                if area.saved.try_reserve(1).is_err() || area.owners.try_reserve(1).is_err() {
                    return None;
                }
                area.saved.push(Box::leak(Box::new(AtomicU64::new(0))));
                area.next += 1;
                area.owners.push(None);
                area.next - 1
            }
            None => return None,
        };
        let stack = slot_base(slot) + (GUARD_PAGES * 4096) as u64;
        for (i, &pa) in frames.iter().enumerate() {
            // SAFETY: the address is in this slot of the area, `init` ran
            // (READY), and the lock is held.
            match unsafe { pte(stack + i as u64 * 4096) } {
                // SAFETY: `e` is the entry for an unmapped page of a free
                // slot: nothing translates through it yet.
                Some(e) => unsafe { core::ptr::write_volatile(e, pa | PRESENT | WRITABLE | NO_EXECUTE) },
                None => {
                    // Out of heap for a table: undo the pages mapped so far.
                    for j in 0..i {
                        // SAFETY: as above; these entries exist (mapped
                        // just now) and nothing runs on this stack yet.
                        unsafe { unmap_page(stack + j as u64 * 4096) };
                    }
                    area.free.push(slot);
                    return None;
                }
            }
        }
        area.owners[slot as usize] = Some(Owner { pid: 0, comm: [0; 16], comm_len: 0 });
        crate::phys::take_for_stack(frames);
        Some(slot_base(slot) + SLOT_BYTES)
    }

    fn unmap(&self, top: u64) {
        let mut area = lock_area();
        let slot = mapped_slot(&area, top).unwrap_or_else(|| panic!("unmap of a kernel stack never mapped: {top:#x}"));
        // Unmapping the stack we run on would fault on the next push: a
        // clean double fault, but a bug in the caller worth naming.
        let rsp: u64;
        // SAFETY: reads the stack pointer only.
        unsafe { asm!("mov {}, rsp", out(reg) rsp, options(nomem, nostack, preserves_flags)) };
        assert!(!(slot_base(slot)..top).contains(&rsp), "unmap of the running kernel stack {top:#x}");
        assert!(!area.current.contains(&top), "unmap of a kernel stack that runs: {top:#x}");
        assert!(
            area.saved[slot as usize].load(Ordering::Acquire) != SWITCHING,
            "unmap of a kernel stack still being switched away from: {top:#x}"
        );
        let stack = top - KSTACK_BYTES as u64;
        let mut frames = [0; KSTACK_PAGES];
        for (i, pa) in frames.iter_mut().enumerate() {
            // SAFETY: the slot is mapped (checked above), so these entries
            // exist; the lock is held; nothing runs on the stack.
            *pa = unsafe { unmap_page(stack + i as u64 * 4096) };
        }
        // Whatever was saved there will never run.
        area.saved[slot as usize].store(0, Ordering::Relaxed);
        area.owners[slot as usize] = None;
        area.free.push(slot);
        drop(area);
        // Another CPU that ran on this stack may still cache its
        // translations (a switch between threads of one process reloads
        // no CR3): they go before the frames can be reused.
        let others = crate::smp::all_cpus() & !(1 << crate::percpu::cpu());
        if others != 0 {
            crate::smp::flush_tlb_others(others);
        }
        crate::phys::return_from_stack(&frames);
    }

    fn prepare_first_switch(&self, top: u64) -> bool {
        let area = lock_area();
        let Some(slot) = mapped_slot(&area, top) else { return false };
        if area.current.contains(&top) || area.saved[slot as usize].load(Ordering::Acquire) == SWITCHING {
            return false;
        }
        // The frame `tine_context_switch` pops: rbp, rbx, r12-r15 (zero),
        // then the return address, the return-to-user path; right below
        // the fxsave area, so that the path finds it and pt_regs above.
        let sp = top - (FPU_AREA_FROM_TOP + SWITCH_FRAME_WORDS * 8) as u64;
        let frame = sp as *mut u64;
        // SAFETY: the slot is mapped (checked) and does not run (checked
        // above and: only `switch`, under this lock, makes a stack run), so
        // these words of its stack are writable memory nothing else uses.
        unsafe {
            for i in 0..SWITCH_FRAME_WORDS - 1 {
                core::ptr::write_volatile(frame.add(i), 0);
            }
            core::ptr::write_volatile(frame.add(SWITCH_FRAME_WORDS - 1), crate::trap::ret_to_user_addr());
        }
        area.saved[slot as usize].store(sp, Ordering::Relaxed);
        true
    }

    fn in_use(&self, top: u64) -> bool {
        in_use(top)
    }

    fn set_owner(&self, top: u64, pid: u32, comm: &[u8]) {
        let mut area = lock_area();
        if let Some(slot) = mapped_slot(&area, top) {
            let mut o = Owner { pid, comm: [0; 16], comm_len: comm.len().min(16) as u8 };
            o.comm[..o.comm_len as usize].copy_from_slice(&comm[..o.comm_len as usize]);
            area.owners[slot as usize] = Some(o);
        }
    }
}

/// A saved-pointer cell's value from the moment its CPU decides to switch
/// away from the context until `tine_context_switch` stores the real
/// pointer (never a stack pointer: those are 8-byte aligned).
const SWITCHING: u64 = 1;

/// The area, locked; a CPU waiting for it does the TLB flushes asked of
/// it meanwhile, as for every lock waited for with interrupts off.
fn lock_area() -> spin::MutexGuard<'static, Area> {
    loop {
        if let Some(a) = AREA.try_lock() {
            return a;
        }
        crate::smp::service_flush();
        core::hint::spin_loop();
    }
}

/// Whether the stack at `top` runs on another CPU than `me`, or is being
/// switched away from: its saved pointer is not there yet.
fn busy(area: &Area, cell: Saved, top: u64, me: usize) -> bool {
    let v = cell.load(Ordering::Acquire);
    v == SWITCHING || (v == 0 && area.current.iter().enumerate().any(|(c, &t)| c != me && t == top))
}

/// Prepare a switch from the running context to the stack whose top is
/// `next` (None: the idle context): where to save the running one's stack
/// pointer, and the one to load. Panics when `next` has no saved context
/// (not mapped, never prepared), or is the running one.
///
/// A stack another CPU runs on, or is switching away from, is waited for
/// until that CPU has saved its context (Linux: the wait for `on_cpu` in
/// try_to_wake_up()): the kernel lock is dropped before the switch, so
/// the scheduler of another CPU may pick the task at once.
pub(crate) fn begin_switch(next: Option<u64>) -> (*mut u64, u64) {
    let cell = |area: &Area, top: u64| -> Saved {
        if top == 0 {
            return &IDLE_SAVED[crate::percpu::cpu()];
        }
        match mapped_slot(area, top) {
            Some(slot) => area.saved[slot as usize],
            None => panic!("switch to {top:#x}, which is not a mapped kernel stack"),
        }
    };
    let next_top = next.unwrap_or(0);
    let me = crate::percpu::cpu();
    let mut area = lock_area();
    while next_top != 0 && busy(&area, cell(&area, next_top), next_top, me) {
        drop(area);
        crate::smp::service_flush();
        core::hint::spin_loop();
        area = lock_area();
    }
    assert!(next_top != area.current[me], "switch to the running context {next_top:#x}");
    let prev = cell(&area, area.current[me]);
    let to = cell(&area, next_top).swap(0, Ordering::Relaxed);
    assert!(to != 0, "switch to kernel stack {next_top:#x}, which has no saved context");
    prev.store(SWITCHING, Ordering::Relaxed);
    area.current[me] = next_top;
    (prev.as_ptr(), to)
}

/// Whether the stack at `top` is in use (`KernelStacks::in_use`).
fn in_use(top: u64) -> bool {
    let area = lock_area();
    let Some(slot) = mapped_slot(&area, top) else { return false };
    area.current.contains(&top) || area.saved[slot as usize].load(Ordering::Acquire) == SWITCHING
}

/// Clear the entry for `va` and drop its TLB entry; the frame it mapped.
///
/// # Safety
/// `va` is a mapped page of the area, nothing will use it again, and the
/// caller holds [`AREA`]'s lock.
unsafe fn unmap_page(va: u64) -> u64 {
    // SAFETY: the caller's contract is the region's.
    unsafe { REGION.unmap(va) }.expect("a mapped page of the stack area")
}

/// If `addr` (a fault address) lies in a stack's guard, panic naming the
/// guard page and the stack's task: called for a double fault and a
/// kernel-mode page fault, before anything else.
pub fn check_overflow(addr: u64) {
    if !(AREA_BASE..AREA_BASE + SLOTS * SLOT_BYTES).contains(&addr) {
        return;
    }
    let slot = (addr - AREA_BASE) / SLOT_BYTES;
    let guard_end = slot_base(slot) + (GUARD_PAGES * 4096) as u64;
    if addr >= guard_end {
        return;
    }
    // Never wait for the lock here: the fault may have hit while it was held.
    let owner = AREA.try_lock().and_then(|a| a.owners.get(slot as usize).copied().flatten());
    let page = addr & !0xfff;
    match owner {
        Some(o) if o.pid != 0 => panic!(
            "kernel stack overflow: hit the guard page {page:#x} below the kernel stack of task pid {} ({}) (stack {:#x}..{:#x})",
            o.pid,
            core::str::from_utf8(&o.comm[..o.comm_len as usize]).unwrap_or("?"),
            guard_end,
            guard_end + KSTACK_BYTES as u64
        ),
        _ => panic!(
            "kernel stack overflow: hit the guard page {page:#x} below kernel stack {:#x}..{:#x} (task unknown)",
            guard_end,
            guard_end + KSTACK_BYTES as u64
        ),
    }
}

static OVERFLOW_ON_SYSCALL: AtomicBool = AtomicBool::new(false);

/// `tine.test=kstack_overflow`: the next system call recurses without end
/// on its task's kernel stack, to check that the guard page catches it
/// (Linux: lkdtm's EXHAUST_STACK).
pub fn arm_test_overflow() {
    OVERFLOW_ON_SYSCALL.store(true, Ordering::Relaxed);
}

/// Called at every system call entry: the test overflow, if armed.
pub(crate) fn maybe_test_overflow() {
    if OVERFLOW_ON_SYSCALL.load(Ordering::Relaxed) && OVERFLOW_ON_SYSCALL.swap(false, Ordering::Relaxed) {
        recurse(0);
    }
}

#[inline(never)]
#[allow(unconditional_recursion)]
fn recurse(depth: u64) -> u64 {
    // A frame of 256 bytes that the compiler can neither drop nor turn
    // into a loop.
    let mut pad = [depth; 32];
    core::hint::black_box(&mut pad);
    recurse(core::hint::black_box(depth + 1)).wrapping_add(pad[(depth % 32) as usize])
}
