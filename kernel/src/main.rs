//! The bootable Tine image: wires the hardware layer (`tine-hal`) to the
//! kernel proper (`tine-core`). It holds the one `Kernel`, routes every trap
//! into it, and performs the context switches the scheduler asks for.
//! No logic of its own lives here.
#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::vec::Vec;

use spin::Mutex;
use tine_core::abi::PtRegs;
use tine_core::kernel::{Kernel, Resched, StdioMode};
use tine_core::machine::Machine;
use tine_core::mm::kheap::FailMode;
use tine_core::syscall::SyscallOutcome;
use tine_hal::trap::Trap;
use tine_hal::{cpu, klog, phys, qemu, timer, BootInfo};

tine_hal::kernel_main!(main);

/// The kernel. Interrupts are off whenever it is locked, and the lock is
/// dropped before every context switch.
static KERNEL: Mutex<Option<Kernel>> = Mutex::new(None);

const TIMER_IRQ: u8 = 0;
const COM1_IRQ: u8 = 4;

fn main(info: BootInfo) -> ! {
    if info.cmdline.split_whitespace().any(|w| w == "tine.probe=1") {
        klog!("tine: probe ok");
        qemu::exit(qemu::EXIT_OK);
    }
    let stdio =
        if info.cmdline.split_whitespace().any(|w| w == "tine.stdio=pipe") { StdioMode::Pipe } else { StdioMode::Tty };
    let machine = Machine {
        mem: &phys::DIRECT_MAP,
        mmu: &phys::TLB,
        console: &phys::CONSOLE,
        clock: &timer::CLOCK,
        log: &phys::LOG,
        fpu: &tine_hal::trap::FPU,
        kstacks: &tine_hal::kstack::STACKS,
    };
    let free: Vec<(u64, u64)> = info.free.iter().map(|r| (r.start, r.end)).collect();
    let mut k = Kernel::new(machine, &free, info.kernel_pml4, stdio, cpu::hwcap(), tine_hal::trap::ret_to_user_addr());
    let stats = k.frames.stats();
    klog!("tine: {} frames free of {}", stats.free, stats.total);

    match k.load_initramfs(info.initrd) {
        Ok(n) => klog!("tine: initramfs: {n} entries"),
        Err(e) => panic!("initramfs unreadable: {}", e.name()),
    }
    let argv = k.read_nul_list(b"/tine/argv").unwrap_or_else(|| alloc::vec![b"/init".to_vec()]);
    let envp = k.read_nul_list(b"/tine/envp").unwrap_or_default();
    if k.spawn_init(argv, envp).is_err() {
        klog!("tine: init exited status=32512");
        qemu::exit(qemu::EXIT_OK);
    }
    fault_injection(&mut k, &info.cmdline);
    *KERNEL.lock() = Some(k);
    tine_hal::trap::init(user_trap, kernel_trap);
    idle_loop()
}

/// `tine.fail_page_alloc=MODE` and `tine.failslab=MODE` (the text of
/// `FailMode`: `off`, `nth:N`, `after:N`, `random:PCT:SEED`): fault
/// injection armed once init is set up, so that it counts the allocations
/// of user programs only, never the boot's.
fn fault_injection(k: &mut Kernel, cmdline: &str) {
    for w in cmdline.split_whitespace() {
        let Some((key, value)) = w.split_once('=') else { continue };
        let Some(mode) = FailMode::parse(value.as_bytes()) else {
            if key == "tine.fail_page_alloc" || key == "tine.failslab" {
                klog!("tine: {key}: cannot parse \"{value}\"; ignored");
            }
            continue;
        };
        match key {
            "tine.fail_page_alloc" => k.frames.set_injection(mode),
            "tine.failslab" => *tine_core::mm::kheap::FAILSLAB.lock() = mode,
            _ => continue,
        }
        klog!("tine: {key}={}", mode.describe());
    }
}

/// The idle context (Linux: the swapper, PID 0): runs whenever no task is
/// runnable, halting until an interrupt makes one so.
fn idle_loop() -> ! {
    loop {
        let mut guard = KERNEL.lock();
        let k = guard.as_mut().expect("kernel");
        if let Some(status) = k.shutdown {
            klog!("tine: halting (init status {status})");
            qemu::exit(qemu::EXIT_OK);
        }
        match k.schedule() {
            Resched::Switch { prev: None, next: Some(next) } => switch(guard, None, next),
            _ => {
                drop(guard);
                cpu::idle_wait();
            }
        }
    }
}

/// Switch from `prev` (None: idle) to the task `next`, releasing the lock.
/// Returns when `prev` is switched back to.
fn switch(mut guard: spin::MutexGuard<'_, Option<Kernel>>, prev: Option<u32>, next: u32) {
    if prev.is_some() {
        // The next task's registers replace prev's user FPU state, which
        // must be whole in its kernel stack first.
        tine_hal::trap::fpu_sync();
    }
    let k = guard.as_mut().expect("kernel");
    let prev_slot = k.ksp_slot(prev);
    let to = k.switch_info(next);
    cpu::set_kernel_stack(to.kstack_top);
    cpu::load_cr3(to.root);
    cpu::set_fs_base(to.fs_base);
    cpu::set_tsc_disabled(to.tsc_disabled);
    drop(guard);
    tine_hal::trap::switch(prev_slot, to.ksp);
}

/// Switch to the idle context (nothing runnable), releasing the lock.
fn switch_to_idle(mut guard: spin::MutexGuard<'_, Option<Kernel>>, prev: u32) {
    // Whatever task runs next replaces prev's user FPU registers, which
    // must be whole in its kernel stack first.
    tine_hal::trap::fpu_sync();
    let k = guard.as_mut().expect("kernel");
    let prev_slot = k.ksp_slot(Some(prev));
    let idle = k.idle_ksp;
    drop(guard);
    tine_hal::trap::switch(prev_slot, idle);
}

/// Give the CPU away if the scheduler says so, releasing the lock; returns
/// once this task runs again, and whether it was switched out meanwhile.
/// `leaving`: the task returns to user mode next if it stays, so the CPU
/// time from here on is its user time.
fn reschedule(mut guard: spin::MutexGuard<'_, Option<Kernel>>, leaving: bool) -> bool {
    let k = guard.as_mut().expect("kernel");
    match k.schedule() {
        Resched::Stay => {
            if leaving {
                k.account_exit();
            }
            false
        }
        Resched::Switch { prev: Some(p), next: Some(n) } => {
            switch(guard, Some(p), n);
            true
        }
        Resched::Switch { prev: Some(p), next: None } => {
            switch_to_idle(guard, p);
            true
        }
        Resched::Switch { prev: None, .. } => unreachable!("a trap from user mode has a current task"),
    }
}

/// Every trap from user mode. CPU time is accounted on the way in (the
/// first time the kernel is locked: `account_enter`) and on the way out
/// (the last: `account_exit`, in `reschedule` or `return_to_user`), from
/// the TSC (Linux: enter_from_user_mode() and exit_to_user_mode() with
/// VIRT_CPU_ACCOUNTING_GEN).
fn user_trap(trap: Trap, regs: &mut PtRegs) {
    // Whether the signal work before user mode is done: it is when the
    // kernel did it (Kernel::syscall and irq_common end with it) and the
    // task then ran on without being switched out, since nothing that
    // could post a signal ran in between.
    let signal_work_done = match trap {
        Trap::Syscall => {
            let mut entered = false;
            loop {
                let mut guard = KERNEL.lock();
                let k = guard.as_mut().expect("kernel");
                if !entered {
                    k.account_enter();
                    entered = true;
                }
                let outcome = k.syscall(regs);
                if let Some(fs) = k.load_fs.take() {
                    cpu::set_fs_base(fs);
                }
                if let Some(off) = k.load_tsd.take() {
                    cpu::set_tsc_disabled(off);
                }
                let done = outcome == SyscallOutcome::Done;
                let switched = reschedule(guard, done);
                // A blocked call runs again now that the task was woken.
                if done {
                    break !switched;
                }
            }
        }
        Trap::Exception { vector, error, info } => {
            // The stub left the error code in orig_rax: no system call to
            // restart (Linux sets orig_ax to -1 the same way).
            regs.orig_rax = u64::MAX;
            let mut guard = KERNEL.lock();
            let k = guard.as_mut().expect("kernel");
            k.account_enter();
            k.user_exception(vector, error, info, regs);
            reschedule(guard, false);
            false
        }
        Trap::Irq(irq) => {
            let guard = irq_common(irq, Some(&mut *regs));
            !reschedule(guard, true)
        }
        // A new task about to enter user mode for the first time: only the
        // signal work below (signals sent before it ever ran).
        Trap::FirstReturn => false,
    };
    if !signal_work_done {
        return_to_user(regs);
    }
}

/// Signals may have arrived while this task was switched out, or a stop
/// may just have ended: act on them before user mode runs again (Linux:
/// the loop in exit_to_user_mode_loop()).
fn return_to_user(regs: &mut PtRegs) {
    loop {
        let mut guard = KERNEL.lock();
        let k = guard.as_mut().expect("kernel");
        if !k.exit_work_pending(regs) {
            k.account_exit();
            return;
        }
        k.exit_to_user_mode(regs);
        reschedule(guard, false);
    }
}

/// An interrupt; `user` holds the interrupted user registers when it came
/// from user mode, for the signal work on the way back. Returns the lock,
/// still held.
fn irq_common(irq: u8, user: Option<&mut PtRegs>) -> spin::MutexGuard<'static, Option<Kernel>> {
    let mut guard = KERNEL.lock();
    let k = guard.as_mut().expect("kernel");
    if user.is_some() {
        k.account_enter();
    }
    match irq {
        TIMER_IRQ => k.timer_tick(),
        COM1_IRQ => k.console_irq(),
        _ => {}
    }
    if let Some(regs) = user {
        k.exit_to_user_mode(regs);
    }
    guard
}

/// Traps from kernel mode: interrupts while idle are normal; an exception
/// is a kernel bug.
fn kernel_trap(trap: Trap, regs: &PtRegs) {
    match trap {
        Trap::Irq(irq) => drop(irq_common(irq, None)),
        Trap::Exception { vector, error, info } => panic!(
            "CPU exception {vector} in kernel mode: error {error:#x}, rip {:#x}, rsp {:#x}, cr2/dr6 {info:#x}",
            regs.rip, regs.rsp
        ),
        Trap::Syscall | Trap::FirstReturn => unreachable!(),
    }
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    klog!("KERNEL PANIC: {info}");
    // The lock may be held by the code that panicked; never wait for it.
    if let Some(guard) = KERNEL.try_lock() {
        if let Some(k) = guard.as_ref() {
            match k.current {
                Some(pid) => {
                    let t = &k.tasks[&pid];
                    klog!("KERNEL PANIC: current task pid {pid} ({})", alloc::string::String::from_utf8_lossy(&t.comm));
                }
                None => klog!("KERNEL PANIC: in the idle context"),
            }
        }
    } else {
        klog!("KERNEL PANIC: (kernel state locked; current task unknown)");
    }
    qemu::exit(qemu::EXIT_PANIC)
}
