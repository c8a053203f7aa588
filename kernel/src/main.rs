//! The bootable Tine image: wires the hardware layer (`tine-hal`) to the
//! kernel proper (`tine-core`). It holds the one `Kernel` behind its lock,
//! hands every trap to the trap loop (`tine_core::entry`), and gives that
//! loop the CPU operations it needs (`entry::Cpu`: the lock, context
//! switch, CR3, TSS.rsp0, FS base, CR4.TSD, FPU) from `tine-hal`.
//! No logic of its own lives here.
#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::vec::Vec;
use core::ops::{Deref, DerefMut};

use core::sync::atomic::{AtomicBool, Ordering};

use spin::Once;
use tine_core::abi::PtRegs;
use tine_core::entry;
use tine_core::kernel::{Kernel, StdioMode, SwitchTo};
use tine_core::machine::Machine;
use tine_core::mm::kheap::FailMode;
use tine_hal::klock::{TicketGuard, TicketLock};
use tine_hal::trap::Trap;
use tine_hal::{cpu, klog, phys, qemu, timer, BootInfo};

tine_hal::kernel_main!(main);

/// The kernel, set once at boot, behind the kernel lock (a ticket lock,
/// one CPU at a time; see docs/architecture.md, "Several CPUs").
/// Interrupts are off whenever it is locked, and the lock is dropped
/// before every context switch. (A `Once` around the lock rather than an
/// `Option` inside it: every trap then pays one check when it locks, not
/// one at each use of the guard.)
static KERNEL: Once<TicketLock<Kernel>> = Once::new();

/// `tine.trace_drain=1`: stream the trace to COM3 as it fills, and the
/// rest at power-off.
static TRACE_DRAIN: AtomicBool = AtomicBool::new(false);

/// COM3, the trace's own channel (`cargo xtask trace` reads it).
struct TracePort;

impl tine_core::trace::Sink for TracePort {
    fn write(&self, bytes: &[u8]) {
        tine_hal::serial::Uart::new(tine_hal::serial::COM3).write_bytes(bytes);
    }
}

static TRACE_PORT: TracePort = TracePort;

const TIMER_IRQ: u8 = 0;
const COM1_IRQ: u8 = 4;
/// COM2, the kernel log: a break on it asks for a task dump.
const COM2_IRQ: u8 = 3;

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
    let mut k = Kernel::new(machine, &free, info.kernel_pml4, stdio, cpu::caps());
    // From here on the heap grows from the free frames, keeping a floor of
    // them that user memory cannot take.
    let floor = tine_core::mm::kheap::heap_floor(k.mem.frames().stats().total);
    k.mem.frames_mut().set_heap_floor(floor);
    tine_core::mm::kheap::set_frame_source(k.mem.frames().shared_free());
    k.start_log(&info.cmdline, &tine_hal::serial::take_early_log());
    k.set_strace(&info.cmdline);
    k.set_hung_task_timeout(&info.cmdline);
    let stats = k.mem.frames().stats();
    k.log(format_args!("tine: {} frames free of {}", stats.free, stats.total));

    match k.load_initramfs(info.initrd) {
        Ok(n) => k.log(format_args!("tine: initramfs: {n} entries")),
        Err(e) => panic!("initramfs unreadable: {}", e.name()),
    }
    let argv = k.read_nul_list(b"/tine/argv").unwrap_or_else(|| alloc::vec![b"/init".to_vec()]);
    let envp = k.read_nul_list(b"/tine/envp").unwrap_or_default();
    if k.spawn_init(argv, envp).is_err() {
        k.log(format_args!("tine: init exited status=32512"));
        qemu::exit(qemu::EXIT_OK);
    }
    fault_injection(&mut k, &info.cmdline);
    let boot_trace = tine_core::trace::boot::apply(&mut k.trace, &info.cmdline);
    for w in &boot_trace.unknown {
        klog!("tine: trace_event: no event {w}; ignored");
    }
    if boot_trace.drain {
        k.trace.set_sink(&TRACE_PORT);
    }
    TRACE_DRAIN.store(boot_trace.drain, Ordering::Relaxed);
    k.sched.set_online(tine_hal::smp::online());
    let now = k.now_real();
    if let Err(e) = k.vfs.publish_cpus(k.sched.online(), now) {
        k.log(format_args!("tine: /sys/devices/system/cpu: {}", e.name()));
    }
    KERNEL.call_once(|| TicketLock::new(k));
    tine_hal::trap::init(user_trap, syscall_trap, kernel_trap);
    tine_hal::smp::self_test();
    tine_hal::smp::run_aps(ap_idle, tine_core::time::HZ);
    entry::idle(&Hal)
}

/// What every other CPU runs once the kernel is set up: the same idle
/// loop, taking tasks from the run queue.
fn ap_idle() -> ! {
    entry::idle(&Hal)
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
                k.log(format_args!("tine: {key}: cannot parse \"{value}\"; ignored"));
            }
            continue;
        };
        match key {
            "tine.fail_page_alloc" => k.mem.frames_mut().set_injection(mode),
            "tine.failslab" => *tine_core::mm::kheap::FAILSLAB.lock() = mode,
            _ => continue,
        }
        k.log(format_args!("tine: {key}={}", mode.describe()));
    }
}

/// The kernel, locked (`entry::Cpu::Locked`).
struct Locked(TicketGuard<'static, Kernel>);

impl Deref for Locked {
    type Target = Kernel;
    fn deref(&self) -> &Kernel {
        &self.0
    }
}

impl DerefMut for Locked {
    fn deref_mut(&mut self) -> &mut Kernel {
        &mut self.0
    }
}

impl Drop for Locked {
    /// The CPUs the scheduler asked to interrupt (work for an idle CPU, a
    /// signal for a task running elsewhere) get the reschedule IPI as the
    /// lock goes.
    fn drop(&mut self) {
        let mut kicks = self.0.sched.take_kicks();
        while kicks != 0 {
            tine_hal::smp::send_reschedule(kicks.trailing_zeros() as usize);
            kicks &= kicks - 1;
        }
    }
}

/// The CPU, as the trap loop in `tine_core::entry` needs it.
struct Hal;

impl entry::Cpu for Hal {
    type Locked<'a> = Locked;

    fn lock(&self) -> Locked {
        // Traps are enabled only after the kernel is set (`main`).
        Locked(KERNEL.get().expect("trap before the kernel was set up").lock())
    }

    fn id(&self) -> usize {
        tine_hal::percpu::cpu()
    }

    fn lock_waited(&self, k: &Locked) -> u64 {
        k.0.waited()
    }

    fn fpu_sync(&self) {
        assert_locked();
        tine_hal::trap::fpu_sync();
    }

    fn load_task(&self, to: &SwitchTo) {
        assert_locked();
        cpu::set_kernel_stack(to.kstack_top);
        cpu::set_fs_base(to.fs_base);
        cpu::set_tsc_disabled(to.tsc_disabled);
        cpu::set_debug_registers(&to.debugreg);
    }

    fn load_fs_base(&self, base: u64) {
        assert_locked();
        cpu::set_fs_base(base);
    }

    fn load_tsc_disabled(&self, disabled: bool) {
        assert_locked();
        cpu::set_tsc_disabled(disabled);
    }

    fn switch(&self, k: Locked, sw: entry::Switch) -> entry::Resumed {
        assert_locked();
        drop(k);
        tine_hal::trap::switch(sw.next_stack);
        entry::Resumed::Here
    }

    fn wait_for_interrupt(&self) {
        cpu::idle_wait();
    }

    fn power_off(&self) -> ! {
        if TRACE_DRAIN.load(Ordering::Relaxed) {
            drain_trace();
        }
        qemu::exit(qemu::EXIT_OK)
    }
}

/// What runs on behalf of the running task and changes its CPU (the
/// context switch, its registers' loads) runs under the kernel lock: the
/// task table it reads them from may change under any other CPU's hands
/// otherwise. Checked in debug builds.
fn assert_locked() {
    debug_assert!(
        KERNEL.get().is_some_and(|k| k.held_here()),
        "kernel lock not held on CPU {}",
        tine_hal::percpu::cpu()
    );
}

/// What the trace still holds, to COM3 (the rest went as pages filled).
fn drain_trace() {
    let Some(mut guard) = KERNEL.get().map(|m| m.lock()) else { return };
    guard.trace.drain();
}

/// The hardware's interrupt lines, as the kernel names them.
fn irq_of(line: u8) -> entry::Irq {
    match line {
        TIMER_IRQ => entry::Irq::Timer,
        entry::LOCAL_TIMER_LINE => entry::Irq::LocalTimer,
        COM1_IRQ => entry::Irq::Console,
        COM2_IRQ => entry::Irq::LogPort,
        other => entry::Irq::Other(other),
    }
}

/// The `syscall` instruction, into the trap loop.
fn syscall_trap(regs: &mut PtRegs) {
    let exit = entry::syscall(&Hal, regs);
    // `Hal::switch` always comes back.
    debug_assert_eq!(exit, entry::Exit::ToUser);
}

/// Every other trap from user mode, into the trap loop.
fn user_trap(trap: Trap, regs: &mut PtRegs) {
    let exit = match trap {
        Trap::Int80 => entry::int80(&Hal, regs),
        Trap::Exception { vector, error, info } => entry::exception(&Hal, vector, error, info, regs),
        Trap::Irq(line) => entry::irq(&Hal, irq_of(line), regs),
        Trap::FirstReturn => entry::first_return(&Hal, regs),
    };
    // `Hal::switch` always comes back.
    debug_assert_eq!(exit, entry::Exit::ToUser);
}

/// Traps from kernel mode: interrupts while idle are normal; an exception
/// is a kernel bug.
fn kernel_trap(trap: Trap, regs: &PtRegs) {
    match trap {
        Trap::Irq(line) => entry::irq_in_kernel(&Hal, irq_of(line)),
        Trap::Exception { vector, error, info } => panic!(
            "CPU exception {vector} in kernel mode: error {error:#x}, rip {:#x}, rsp {:#x}, cr2/dr6 {info:#x}",
            regs.rip, regs.rsp
        ),
        Trap::Int80 | Trap::FirstReturn => unreachable!(),
    }
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    tine_hal::smp::stop_others();
    klog!("KERNEL PANIC: {info}");
    // The lock may be held by the code that panicked; never wait for it.
    if let Some(k) = KERNEL.get().and_then(|m| m.try_lock()) {
        match k.sched.current() {
            Some(pid) => {
                let t = &k.proc.tasks()[&pid];
                klog!("KERNEL PANIC: current task pid {pid} ({})", alloc::string::String::from_utf8_lossy(&t.comm));
            }
            None => klog!("KERNEL PANIC: in the idle context"),
        }
    } else if KERNEL.get().is_some() {
        klog!("KERNEL PANIC: (kernel state locked; current task unknown)");
    }
    qemu::exit(qemu::EXIT_PANIC)
}
