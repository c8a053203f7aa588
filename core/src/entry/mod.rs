//! The trap loop: everything between a trap from user mode and the return
//! to it (Linux: arch/x86/entry/common.c do_syscall_64(),
//! kernel/entry/common.c syscall_exit_to_user_mode(), irqentry_enter()/
//! irqentry_exit_to_user_mode(), exit_to_user_mode_loop()).
//!
//! `tine-kernel` calls one function here per trap ([`syscall`],
//! [`exception`], [`irq`], [`first_return`], [`irq_in_kernel`]) and runs
//! [`idle`] on the boot stack; the host test kit calls the same functions.
//! What the loop needs from the machine, taking the kernel lock and
//! switching stacks, is the [`Cpu`] trait: `tine-kernel` implements it
//! with `tine-hal`, the test kit with its simulated machine. The loop is
//! generic over it, so that on the machine every call is static, with no
//! dynamic dispatch or allocation per trap.
//!
//! The loop, for a system call:
//!
//! 1. Lock the kernel, account the user time up to here
//!    (`Kernel::account_enter`).
//! 2. Run the call once ([`Kernel::syscall`], `syscall.rs`): dispatch,
//!    the restart protocol, and the signal work at its end
//!    (`Kernel::exit_to_user_mode`). Before that, a call that can leave
//!    no work behind (getpid and the other plain reads of the task,
//!    `syscall::quick`), made by a task that had none when it entered
//!    (`Kernel::user_clean`), is answered and returns at once.
//! 3. Load what the call asked of the CPU (a new FS base, CR4.TSD).
//! 4. Ask the scheduler (`Kernel::schedule`); switch away if it says so,
//!    releasing the lock. A call that blocked has put its task to sleep,
//!    so it switches; when the task is woken and switched back, go to 2:
//!    the same call runs again from the same registers (see
//!    `proc::task::Resume` for what it keeps meanwhile). A call that asked
//!    to run again while its task stayed runnable runs again at once.
//! 5. If the task was switched out after its call ended, signals may have
//!    come meanwhile, or a stop ended: [`exit_to_user_mode_loop`] acts on
//!    them (rescheduling in between) until nothing is left. If it was not,
//!    the signal work of step 2 stands: nothing could post a signal in
//!    between.
//! 6. Account the system time (`Kernel::account_exit`) and return; `hal`
//!    restores the registers and leaves by `sysretq` or `iretq`.
//!
//! Exceptions and interrupts from user mode take the same path from
//! step 4 on.

mod syscall;

pub use syscall::SyscallOutcome;

use core::ops::DerefMut;

use crate::abi::PtRegs;
use crate::kernel::{Kernel, Resched, SwitchTo};
use crate::proc::Pid;

/// What the trap loop needs from the CPU it runs on (Linux: the arch
/// hooks of the entry code and of `context_switch()`).
pub trait Cpu {
    /// The kernel, locked: on the machine, the spin lock, taken with
    /// interrupts off; dropped to unlock.
    type Locked<'a>: DerefMut<Target = Kernel>
    where
        Self: 'a;

    /// Take the kernel lock. The loop never holds it across a switch.
    /// The loop takes it through [`lock`], which tells the kernel which
    /// CPU holds it.
    fn lock(&self) -> Self::Locked<'_>;

    /// This CPU's number (0: the boot CPU), which indexes the scheduler's
    /// per-CPU state (`Kernel::enter_cpu`).
    fn id(&self) -> usize;

    /// How long this CPU waited for the lock `k`, in clock cycles
    /// (`Clock::cycles`; 0: it was free): time no task is charged with
    /// (`Kernel::lock_waited`). The host test kit never waits.
    fn lock_waited(&self, k: &Self::Locked<'_>) -> u64 {
        let _ = k;
        0
    }

    /// Complete the running task's user FPU image on its kernel stack
    /// from the CPU's registers, before another task's registers replace
    /// them (Linux: switch_fpu_prepare()).
    fn fpu_sync(&self);

    /// Make `to` the CPU's task context: its kernel stack top (TSS.rsp0
    /// and the `syscall` stack), FS base and CR4.TSD (Linux: load_sp0(),
    /// x86_fsbase_load(), switch_to_extra()). Its page table is already
    /// loaded (`Kernel::switch_mm`, Linux's switch_mm_irqs_off()).
    fn load_task(&self, to: &SwitchTo);

    /// Load the running task's new FS base (arch_prctl(ARCH_SET_FS), exec).
    fn load_fs_base(&self, base: u64);

    /// Load the running task's new CR4.TSD setting (PR_SET_TSC).
    fn load_tsc_disabled(&self, disabled: bool);

    /// Release the lock and switch stacks as `sw` says (Linux:
    /// switch_to()). On the machine it returns when `sw.prev` is switched
    /// back to: [`Resumed::Here`].
    fn switch(&self, k: Self::Locked<'_>, sw: Switch) -> Resumed;

    /// Nothing to run: wait for an interrupt (Linux: the idle loop's
    /// default_idle()), the lock released.
    fn wait_for_interrupt(&self);

    /// Init has ended or reboot(2) was called: stop the machine.
    fn power_off(&self) -> !;
}

/// A context switch the scheduler asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Switch {
    /// The task leaving (None: the idle context) and the one coming.
    pub prev: Option<Pid>,
    pub next: Option<Pid>,
    /// The coming task's kernel stack, by its top (None: the idle
    /// context): the machine keeps each context's saved stack pointer.
    pub next_stack: Option<u64>,
}

/// What became of the context that switched away.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resumed {
    /// It was switched back to and goes on (always, on the machine).
    Here,
    /// It stays switched out and the trap loop returns to its caller: a
    /// simulated CPU that cannot run another context (the host test kit),
    /// which continues it later with [`resume`].
    Parked,
}

/// How a trap ended for the task that made it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub enum Exit {
    /// Return to user mode with the registers as they are.
    ToUser,
    /// The task was switched out and [`Cpu::switch`] parked it: it goes
    /// on at `Step` when continued ([`resume`]). Never on the machine.
    Parked(Step),
}

/// Where a task switched out by the trap loop goes on when switched back
/// to: what the machine keeps on the task's kernel stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Its system call blocked: run it again.
    Syscall,
    /// The work before user mode ([`exit_to_user_mode_loop`]).
    ExitWork,
}

/// A hardware interrupt, as the wiring names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Irq {
    /// The timer (`Kernel::timer_tick`).
    Timer,
    /// A CPU's own timer, on every CPU but the boot CPU
    /// (`Kernel::local_tick`).
    LocalTimer,
    /// The console's receiver (`Kernel::console_irq`).
    Console,
    /// The log device's receiver: a break asks for a task dump
    /// (`Kernel::log_port_irq`).
    LogPort,
    /// Anything else, by line: acknowledged by `hal`, only counted.
    Other(u8),
}

impl Irq {
    /// The PIC line it came on: the PC's timer is IRQ 0, COM1 IRQ 4, COM2
    /// (the log) IRQ 3.
    pub fn line(self) -> u8 {
        match self {
            Irq::Timer => 0,
            Irq::LocalTimer => LOCAL_TIMER_LINE,
            Irq::Console => 4,
            Irq::LogPort => 3,
            Irq::Other(line) => line,
        }
    }
}

/// The line number [`Irq::LocalTimer`] is counted under: its vector
/// (0xef, Linux's LOCAL_TIMER_VECTOR is 0xec) less the 32 exceptions.
pub const LOCAL_TIMER_LINE: u8 = 0xef - 32;

/// Take the kernel lock on `cpu` and make that CPU's scheduler state the
/// live one: every lock the loop takes goes through here.
#[inline]
fn lock<C: Cpu>(cpu: &C) -> C::Locked<'_> {
    let mut k = cpu.lock();
    k.enter_cpu(cpu.id());
    let waited = cpu.lock_waited(&k);
    if waited != 0 {
        k.lock_waited(waited);
    }
    k
}

/// The scheduler's answer, once acted on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Switched {
    /// The task stays on the CPU.
    No,
    /// It was switched out and is back.
    Back,
    /// It was switched out and parked (see [`Resumed::Parked`]).
    Parked,
}

/// The `syscall` instruction (Linux: do_syscall_64()): run the call in
/// `regs`, again after each wake-up while it blocks, then the work before
/// user mode.
pub fn syscall<C: Cpu>(cpu: &C, regs: &mut PtRegs) -> Exit {
    let mut k = lock(cpu);
    // Linux: enter_from_user_mode(), with VIRT_CPU_ACCOUNTING_GEN.
    let clean = k.enter_from_user_mode();
    // Linux: syscall_trace_enter(); once, not when the call runs again
    // after a sleep.
    crate::trace!(k, SysEnter, crate::trace::Payload::SysEnter { id: regs.orig_rax as i64, args: regs.syscall_args() });
    // A call that can leave no work, made by a task that has none: the
    // answer, and back to user mode with nothing to load, schedule or
    // deliver (Linux: syscall_exit_to_user_mode() finding no work flag).
    // No task is made clean while something watches every call
    // (`Kernel::syscall_work`: a tracer, sys_exit); the event is tested
    // here too, as it can be turned on while a task is clean.
    if clean && !k.sched.need_resched() && !k.trace.enabled(crate::trace::Event::SysExit) {
        if let Some(r) = crate::syscall::quick(&mut k, regs) {
            regs.rax = crate::syscall::to_rax(r);
            // Still clean: nothing happened.
            k.account_exit();
            let cur = k.sched.current();
            k.sched.set_user_clean(cur);
            return Exit::ToUser;
        }
    }
    run_syscall(cpu, k, regs, false, Some(false))
}

/// `int $0x80` (Linux with IA32 emulation: do_int80_emulation()): an
/// i386 system call from a 64-bit program (`syscall::ia32`). The entry
/// stub left no number in orig_rax: it is eax, as a 32-bit value.
pub fn int80<C: Cpu>(cpu: &C, regs: &mut PtRegs) -> Exit {
    regs.orig_rax = regs.rax & 0xffff_ffff;
    regs.rax = (-(crate::abi::ENOSYS.0 as i64)) as u64;
    let mut k = lock(cpu);
    k.enter_from_user_mode();
    run_syscall(cpu, k, regs, false, Some(true))
}

/// Continue a task that [`Cpu::switch`] parked, once it is switched back
/// to (the host test kit; on the machine the loop simply goes on).
pub fn resume<C: Cpu>(cpu: &C, regs: &mut PtRegs, step: Step) -> Exit {
    match step {
        Step::Syscall => run_syscall(cpu, lock(cpu), regs, true, None),
        Step::ExitWork => exit_to_user_mode_loop(cpu, regs),
    }
}

/// Steps 2 to 5 of a system call (see the module's description), the
/// kernel locked. `rerun`: the call blocked before and runs again.
/// `compat`: for a new call, whether it came by `int $0x80` (None: a call
/// running again keeps what its task recorded).
fn run_syscall<'c, C: Cpu>(
    cpu: &'c C,
    mut k: C::Locked<'c>,
    regs: &mut PtRegs,
    mut rerun: bool,
    mut compat: Option<bool>,
) -> Exit {
    loop {
        let outcome = k.syscall(regs, compat.take());
        let done = outcome == SyscallOutcome::Done;
        if rerun && done {
            // Only here, so that a call that never blocks pays nothing
            // for the flag. It stays set while the call runs again, so
            // that the call can tell (sched_process_wait fires once).
            if let Some(t) = k.sched.current().and_then(|c| k.proc.tasks_mut().get_mut(&c)) {
                t.restarting = false;
            }
        }
        load_requested(cpu, &mut k);
        match (reschedule(cpu, k, done), done) {
            // The signal work at the end of the call stands: nothing that
            // could post a signal ran since.
            (Switched::No, true) => return Exit::ToUser,
            (Switched::Back, true) => return exit_to_user_mode_loop(cpu, regs),
            (Switched::Parked, true) => return Exit::Parked(Step::ExitWork),
            (Switched::Parked, false) => return Exit::Parked(Step::Syscall),
            // Woken (or never asleep: a call asked to run again at once):
            // the same call runs again.
            (Switched::No | Switched::Back, false) => {}
        }
        rerun = true;
        k = lock(cpu);
    }
}

/// A CPU exception in user mode (Linux: the idtentry handlers with
/// irqentry_enter()/irqentry_exit_to_user_mode()): a page fault resolved,
/// or a signal forced on the task.
pub fn exception<C: Cpu>(cpu: &C, vector: u8, error: u64, info: u64, regs: &mut PtRegs) -> Exit {
    // The entry stub left the error code in orig_rax: no system call to
    // restart (Linux sets orig_ax to -1 the same way).
    regs.orig_rax = u64::MAX;
    let mut k = lock(cpu);
    k.enter_from_user_mode();
    k.user_exception(vector, error, info, regs);
    match reschedule(cpu, k, false) {
        Switched::Parked => Exit::Parked(Step::ExitWork),
        Switched::No | Switched::Back => exit_to_user_mode_loop(cpu, regs),
    }
}

/// A hardware interrupt that came from user mode (Linux:
/// irqentry_enter() ... irqentry_exit_to_user_mode()). The time slice may
/// end here (need_resched).
pub fn irq<C: Cpu>(cpu: &C, irq: Irq, regs: &mut PtRegs) -> Exit {
    let mut k = lock(cpu);
    k.enter_from_user_mode();
    handle_irq(&mut k, irq);
    k.exit_to_user_mode(regs);
    match reschedule(cpu, k, true) {
        Switched::No => Exit::ToUser,
        Switched::Back => exit_to_user_mode_loop(cpu, regs),
        Switched::Parked => Exit::Parked(Step::ExitWork),
    }
}

/// A hardware interrupt in kernel mode: only the idle context runs with
/// interrupts on, so nothing is interrupted but the wait; the idle loop
/// schedules what it made runnable.
pub fn irq_in_kernel<C: Cpu>(cpu: &C, irq: Irq) {
    handle_irq(&mut lock(cpu), irq);
}

fn handle_irq(k: &mut Kernel, irq: Irq) {
    k.time.kstat_mut().count_irq(irq.line());
    match irq {
        Irq::Timer => k.timer_tick(),
        Irq::LocalTimer => k.local_tick(),
        Irq::Console => k.console_irq(),
        Irq::LogPort => k.log_port_irq(),
        Irq::Other(_) => {}
    }
}

/// A new task about to enter user mode for the first time (Linux:
/// ret_from_fork()): signals sent before it ever ran.
pub fn first_return<C: Cpu>(cpu: &C, regs: &mut PtRegs) -> Exit {
    exit_to_user_mode_loop(cpu, regs)
}

/// The work before user mode, for a task that was switched out since its
/// trap's own signal work: signals may have arrived meanwhile, or a stop
/// may just have ended. Act on them, rescheduling in between, until none
/// is left (Linux: exit_to_user_mode_loop()); then account the exit.
pub fn exit_to_user_mode_loop<C: Cpu>(cpu: &C, regs: &mut PtRegs) -> Exit {
    loop {
        let mut k = lock(cpu);
        if !k.exit_work_pending(regs) {
            // Linux: exit_to_user_mode() → vtime_user_enter().
            k.exit_to_user_clean();
            return Exit::ToUser;
        }
        k.exit_to_user_mode(regs);
        if reschedule(cpu, k, false) == Switched::Parked {
            return Exit::Parked(Step::ExitWork);
        }
    }
}

/// What the last system call asked the CPU to load before user mode.
fn load_requested<C: Cpu>(cpu: &C, k: &mut Kernel) {
    if let Some(fs) = k.sched.take_load_fs() {
        cpu.load_fs_base(fs);
    }
    if let Some(off) = k.sched.take_load_tsd() {
        cpu.load_tsc_disabled(off);
    }
}

/// Give the CPU away if the scheduler says so (Linux: schedule() from
/// exit_to_user_mode_loop() or a sleeping call), releasing the lock.
/// `leaving`: the task returns to user mode next if it stays, so the CPU
/// time from here on is its user time.
fn reschedule<C: Cpu>(cpu: &C, mut k: C::Locked<'_>, leaving: bool) -> Switched {
    // trace_pipe readers woken by what this trap recorded (Linux: the
    // ring buffer's irq_work, run as soon as interrupts are on again).
    k.wake_trace_readers();
    match k.schedule() {
        Resched::Stay => {
            if leaving {
                k.exit_to_user_clean();
            }
            Switched::No
        }
        Resched::Switch { prev: Some(p), next } => match switch(cpu, k, Some(p), next) {
            Resumed::Here => Switched::Back,
            Resumed::Parked => Switched::Parked,
        },
        Resched::Switch { prev: None, .. } => unreachable!("a trap from user mode has a current task"),
    }
}

/// Switch from `prev` (None: the idle context) to `next` (None: idle),
/// releasing the lock (Linux: context_switch()).
fn switch<C: Cpu>(cpu: &C, mut k: C::Locked<'_>, prev: Option<Pid>, next: Option<Pid>) -> Resumed {
    // CR3 and the address spaces' CPU masks (mm::tlb), only when the
    // address space changes; idle runs on the kernel's own table, so that
    // an address space freed by another CPU is never the one it walks
    // (Linux keeps a lazy mm pinned instead).
    k.switch_mm(next);
    if prev.is_some() {
        // Whatever runs next replaces prev's user FPU registers, which
        // must be whole in its kernel stack first.
        cpu.fpu_sync();
    }
    let to = next.map(|n| k.switch_info(n));
    if let Some(to) = &to {
        cpu.load_task(to);
    }
    let next_stack = to.map(|t| t.kstack_top);
    cpu.switch(k, Switch { prev, next, next_stack })
}

/// The idle context (Linux: the swapper, PID 0, and do_idle()): runs
/// whenever no task is runnable, waiting for an interrupt to make one so;
/// stops the machine once init has ended.
pub fn idle<C: Cpu>(cpu: &C) -> ! {
    loop {
        let mut k = lock(cpu);
        if let Some(status) = k.proc.shutdown() {
            k.log(format_args!("tine: halting (init status {status})"));
            // Unlocked: powering off may read the kernel (the trace drain).
            drop(k);
            cpu.power_off();
        }
        // What the last task recorded as it went (sched_switch) wakes the
        // readers before the CPU waits.
        k.wake_trace_readers();
        match k.schedule() {
            Resched::Switch { prev: None, next: Some(next) } => {
                // The idle context is never parked: only the machine runs it.
                let _ = switch(cpu, k, None, Some(next));
            }
            _ => {
                drop(k);
                cpu.wait_for_interrupt();
            }
        }
    }
}

#[cfg(test)]
mod tests;
