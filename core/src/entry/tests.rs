//! The trap loop on the test kit's simulated CPU, with a recording CPU
//! around it: which machine operations the loop asks for, and when.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;

use super::*;
use crate::abi::*;
use crate::proc::TaskState;
use crate::signal::SigInfo;
use crate::testkit::{self, boot, fork, read_u32, read_user, reap, regs_of, scratch, switch_to, write_user, SimCpu};

type Hook = Box<dyn FnMut(&mut Kernel, &Switch)>;

/// [`SimCpu`] that records the operations the loop asks for, and runs a
/// hook at each switch, while the task is away.
struct Recorder<'k> {
    sim: SimCpu<'k>,
    log: RefCell<Vec<String>>,
    on_switch: RefCell<Option<Hook>>,
}

impl<'k> Recorder<'k> {
    fn new(k: &'k mut Kernel) -> Self {
        Recorder { sim: SimCpu::new(k), log: RefCell::default(), on_switch: RefCell::default() }
    }
    fn note(&self, s: String) {
        self.log.borrow_mut().push(s);
    }
    fn log(&self) -> Vec<String> {
        self.log.borrow().clone()
    }
}

impl<'k> Cpu for Recorder<'k> {
    type Locked<'a>
        = <SimCpu<'k> as Cpu>::Locked<'a>
    where
        Self: 'a;
    fn lock(&self) -> Self::Locked<'_> {
        self.sim.lock()
    }
    fn id(&self) -> usize {
        0
    }
    fn fpu_sync(&self) {
        self.note("fpu_sync".into());
    }
    fn load_task(&self, to: &SwitchTo) {
        self.note(alloc::format!("load_task fs={:#x} tsd={}", to.fs_base, to.tsc_disabled));
        self.sim.load_task(to);
    }
    fn load_fs_base(&self, base: u64) {
        self.note(alloc::format!("load_fs_base {base:#x}"));
    }
    fn load_tsc_disabled(&self, disabled: bool) {
        self.note(alloc::format!("load_tsc_disabled {disabled}"));
    }
    fn switch(&self, mut k: Self::Locked<'_>, sw: Switch) -> Resumed {
        self.note(alloc::format!("switch {:?} -> {:?}", sw.prev, sw.next));
        if let Some(hook) = self.on_switch.borrow_mut().as_mut() {
            hook(&mut k, &sw);
        }
        self.sim.switch(k, sw)
    }
    fn wait_for_interrupt(&self) {
        unreachable!()
    }
    fn power_off(&self) -> ! {
        unreachable!()
    }
}

/// Registers for system call `nr` of `pid`, as the `syscall` instruction
/// leaves them.
fn regs_for(k: &mut Kernel, pid: Pid, nr: u64, args: &[u64]) -> PtRegs {
    switch_to(k, pid);
    let mut r = regs_of(k, pid);
    let mut a = [0u64; 6];
    a[..args.len()].copy_from_slice(args);
    (r.rdi, r.rsi, r.rdx, r.r10, r.r8, r.r9) = (a[0], a[1], a[2], a[3], a[4], a[5]);
    (r.orig_rax, r.rax, r.rcx, r.r11) = (nr, nr, r.rip, r.rflags);
    r
}

/// Where [`install_handler`] points SIGUSR1.
const HANDLER: u64 = 0x40_1000;

/// A SIGUSR1 handler at [`HANDLER`] for `pid` (the code there is never
/// run: the tests look at the registers delivery leaves).
fn install_handler(k: &mut Kernel, pid: Pid) {
    let s = scratch(k, pid) + 0x200;
    let mut act = [0u8; 32];
    for (i, v) in [HANDLER, SA_RESTORER, 0x40_2000, 0].iter().enumerate() {
        act[i * 8..i * 8 + 8].copy_from_slice(&v.to_le_bytes());
    }
    write_user(k, pid, s, &act).unwrap();
    assert_eq!(testkit::syscall(k, pid, nr::RT_SIGACTION, &[SIGUSR1 as u64, s, 0, 8]), 0);
}

/// A pipe made by `pid`: (read end, write end).
fn pipe(k: &mut Kernel, pid: Pid) -> (u64, u64) {
    let s = scratch(k, pid);
    assert_eq!(testkit::syscall(k, pid, nr::PIPE2, &[s, 0]), 0);
    (read_u32(k, pid, s).unwrap() as u64, read_u32(k, pid, s + 4).unwrap() as u64)
}

#[test]
fn a_call_that_blocks_switches_away_and_runs_again_when_switched_back() {
    let (mut k, _hw) = boot(1024);
    let (r, w) = pipe(&mut k, 1);
    let c = fork(&mut k, 1);
    let buf = scratch(&mut k, 1) + 64;
    let mut regs = regs_for(&mut k, 1, nr::READ, &[r, buf, 8]);
    let cpu = Recorder::new(&mut k);
    // The read finds the pipe empty: the task sleeps, the loop switches
    // to the child (the FPU state saved first) and the CPU parks it.
    assert_eq!(super::syscall(&cpu, &mut regs), Exit::Parked(Step::Syscall));
    assert_eq!(cpu.log(), ["fpu_sync", "load_task fs=0x0 tsd=false", &alloc::format!("switch Some(1) -> Some({c})")]);
    drop(cpu);
    assert_eq!(k.sched.current(), Some(c), "the scheduler picked the child");
    assert!(matches!(k.proc.tasks()[&1].state, TaskState::Blocked(_)));
    assert!(k.proc.tasks()[&1].restarting);
    k.proc.tasks_mut().get_mut(&1).unwrap().kstack.set_regs(&regs);
    // The child writes; the parent is woken.
    let s = scratch(&mut k, c);
    write_user(&mut k, c, s, b"hello").unwrap();
    assert_eq!(testkit::syscall(&mut k, c, nr::WRITE, &[w, s, 5]), 5);
    assert_eq!(k.proc.tasks()[&1].state, TaskState::Runnable);
    // Switched back, the same call runs again and finds the data.
    switch_to(&mut k, 1);
    let mut regs = regs_of(&k, 1);
    let cpu = Recorder::new(&mut k);
    assert_eq!(super::resume(&cpu, &mut regs, Step::Syscall), Exit::ToUser);
    assert_eq!(cpu.log(), Vec::<String>::new(), "no switch: the parent stays");
    drop(cpu);
    assert_eq!(regs.rax, 5);
    assert_eq!(read_user(&mut k, 1, buf, 5).unwrap(), b"hello");
    assert!(!k.proc.tasks()[&1].restarting);
}

#[test]
fn a_signal_sent_while_the_task_was_switched_out_is_delivered_before_user_mode() {
    let (mut k, _hw) = boot(1024);
    install_handler(&mut k, 1);
    let c = fork(&mut k, 1);
    // The time slice is over: getppid ends, and the task is preempted on
    // its way out. While it is away, SIGUSR1 comes.
    k.sched.set_need_resched(true);
    let mut regs = regs_for(&mut k, 1, nr::GETPPID, &[]);
    let cpu = Recorder::new(&mut k);
    *cpu.on_switch.borrow_mut() = Some(Box::new(|k: &mut Kernel, sw: &Switch| {
        if sw.prev == Some(1) {
            k.send_signal_thread(1, SigInfo::kernel(SIGUSR1)).unwrap();
        }
    }));
    assert_eq!(super::syscall(&cpu, &mut regs), Exit::ToUser);
    assert_eq!(cpu.log()[2], alloc::format!("switch Some(1) -> Some({c})"));
    drop(cpu);
    assert_eq!(k.sched.current(), Some(1), "switched back");
    assert_eq!(k.proc.tasks()[&1].nivcsw, 1, "an involuntary switch");
    assert_eq!(regs.rip, HANDLER, "the exit work after the switch ran the handler");
    assert_eq!(regs.rdi, SIGUSR1 as u64);
}

#[test]
fn without_a_switch_the_work_at_the_end_of_the_call_stands() {
    let (mut k, _hw) = boot(1024);
    // arch_prctl(ARCH_SET_FS): the loop loads the new base before user
    // mode, and nothing else.
    let mut regs = regs_for(&mut k, 1, nr::ARCH_PRCTL, &[0x1002, 0x7000_0000]);
    let cpu = Recorder::new(&mut k);
    assert_eq!(super::syscall(&cpu, &mut regs), Exit::ToUser);
    assert_eq!(cpu.log(), ["load_fs_base 0x70000000"]);
    drop(cpu);
    assert_eq!(regs.rax, 0);
    assert_eq!(k.proc.tasks()[&1].fs_base, 0x7000_0000);
}

#[test]
fn cpu_time_is_user_time_between_traps() {
    let (mut k, hw) = boot(1024);
    let mut regs = regs_for(&mut k, 1, nr::GETPPID, &[]);
    assert_eq!(super::syscall(&SimCpu::new(&mut k), &mut regs), Exit::ToUser);
    let before = k.thread_cputime(1);
    hw.clock.advance(3_000_000);
    // The next trap (an interrupt) charges the 3 ms since the last one's
    // exit to user mode as user time.
    let mut regs = regs_of(&k, 1);
    assert_eq!(irq(&SimCpu::new(&mut k), Irq::Other(7), &mut regs), Exit::ToUser);
    let after = k.thread_cputime(1);
    assert_eq!((after.0 - before.0, after.1 - before.1), (3_000_000, 0));
}

#[test]
fn an_exiting_task_is_parked_for_good() {
    let (mut k, _hw) = boot(1024);
    let c = fork(&mut k, 1);
    let mut regs = regs_for(&mut k, c, nr::EXIT, &[3]);
    assert_eq!(super::syscall(&SimCpu::new(&mut k), &mut regs), Exit::Parked(Step::ExitWork));
    assert_eq!(k.proc.tasks()[&c].state, TaskState::Zombie);
    assert_eq!(k.sched.current(), None, "nothing else is runnable: to the idle context");
    assert_eq!(reap(&mut k, 1, c), 3 << 8);
}

#[test]
fn a_call_that_leaves_no_work_returns_at_once_only_while_its_task_is_clean() {
    let (mut k, _hw) = boot(1024);
    install_handler(&mut k, 1);
    // A full return to user mode leaves the task clean; the quick call
    // keeps it so, and answers.
    assert_eq!(k.sched.user_clean(), Some(1));
    let mut regs = regs_for(&mut k, 1, nr::GETTID, &[]);
    assert_eq!(super::syscall(&SimCpu::new(&mut k), &mut regs), Exit::ToUser);
    assert_eq!((regs.rax, k.sched.user_clean()), (1, Some(1)));
    // A signal queued while it runs in user mode (an interrupt's, say)
    // makes it unclean: the next quick call takes the whole way out, and
    // the handler runs.
    k.send_signal_thread(1, SigInfo::kernel(SIGUSR1)).unwrap();
    assert_eq!(k.sched.user_clean(), None);
    let mut regs = regs_for(&mut k, 1, nr::GETTID, &[]);
    assert_eq!(super::syscall(&SimCpu::new(&mut k), &mut regs), Exit::ToUser);
    assert_eq!(regs.rip, HANDLER, "the signal work ran");
    assert_eq!(regs.rdi, SIGUSR1 as u64);
}

#[test]
fn while_sys_exit_is_traced_no_call_takes_the_quick_way_out() {
    let (mut k, _hw) = boot(1024);
    assert_eq!(testkit::syscall(&mut k, 1, nr::GETPID, &[]), 1);
    assert_eq!(k.sched.user_clean(), Some(1));
    // Turned on while the task is clean: its next quick call is seen.
    k.trace.set_enabled(crate::trace::Event::SysExit, true);
    let before = k.trace.totals();
    assert_eq!(testkit::syscall(&mut k, 1, nr::GETPPID, &[]), 0);
    assert!(k.trace.totals().1 > before.1, "getppid's sys_exit was recorded: {before:?} -> {:?}", k.trace.totals());
    // And after it the task is not marked clean.
    assert_eq!(k.sched.user_clean(), None, "every exit must be seen");
    let before = k.trace.totals();
    assert_eq!(testkit::syscall(&mut k, 1, nr::GETPID, &[]), 1);
    assert!(k.trace.totals().1 > before.1, "getpid's sys_exit was recorded: {before:?} -> {:?}", k.trace.totals());
}
