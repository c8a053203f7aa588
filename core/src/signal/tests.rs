//! Host tests of signal delivery: frames, rt_sigreturn, the restart of
//! interrupted calls, sigsuspend, sigaltstack. The "user program" is the
//! test: it makes system calls as a task and reads its memory; a handler
//! "runs" by making calls with the registers delivery left.

use super::frame::{FP_XSTATE_MAGIC1, INFO_AT, UC_AT};
use super::*;
use crate::proc::kstack::FpuState;
use crate::syscall::SyscallOutcome;
use crate::testkit::*;
use zerocopy::{FromBytes, IntoBytes};

const FRAMES: usize = 4096;
const HANDLER: u64 = 0x40_1000;
const RESTORER: u64 = 0x40_2000;

/// rt_sigaction(sig, {handler, flags, restorer, mask}) as `pid`.
fn sigaction(k: &mut Kernel, pid: Pid, sig: u32, handler: u64, flags: u64, mask: u64) -> i64 {
    let s = scratch(k, pid) + 0x200;
    let act = KSigaction { sa_handler: handler, sa_flags: flags, sa_restorer: RESTORER, sa_mask: mask };
    write_user(k, pid, s, act.as_bytes()).unwrap();
    syscall(k, pid, nr::RT_SIGACTION, &[sig as u64, s, 0, 8])
}

/// Make system call `nr` as `pid` from its saved registers; the registers
/// it returns to user mode with.
#[track_caller]
fn call(k: &mut Kernel, pid: Pid, nr: u64, args: &[u64]) -> PtRegs {
    let mut regs = regs_of(k, pid);
    regs.orig_rax = nr;
    let mut a = [0u64; 6];
    a[..args.len()].copy_from_slice(args);
    (regs.rdi, regs.rsi, regs.rdx, regs.r10, regs.r8, regs.r9) = (a[0], a[1], a[2], a[3], a[4], a[5]);
    assert_eq!(run_syscall(k, pid, &mut regs), SyscallOutcome::Done, "syscall {nr} of {pid} blocked");
    regs
}

/// Resume `pid`'s blocked call; the registers it returns with.
#[track_caller]
fn resume_regs(k: &mut Kernel, pid: Pid) -> PtRegs {
    let mut regs = regs_of(k, pid);
    assert_eq!(run_syscall(k, pid, &mut regs), SyscallOutcome::Done, "{pid} blocked again");
    regs
}

fn u64_at(k: &mut Kernel, pid: Pid, addr: u64) -> u64 {
    u64::from_le_bytes(read_user(k, pid, addr, 8).unwrap().try_into().unwrap())
}

/// The sigcontext of the frame a handler entered with `regs`.
fn frame_context(k: &mut Kernel, pid: Pid, regs: &PtRegs) -> SigContext {
    SigContext::read_from_bytes(&read_user(k, pid, regs.rsp + UC_AT + 40, 256).unwrap()).unwrap()
}

fn frame_mask(k: &mut Kernel, pid: Pid, regs: &PtRegs) -> u64 {
    u64_at(k, pid, regs.rsp + UC_AT + 296)
}

/// What the restorer does: `ret` pops the return address, then
/// rt_sigreturn.
fn sigreturn(k: &mut Kernel, pid: Pid, handler_regs: &PtRegs) -> PtRegs {
    let mut regs = *handler_regs;
    regs.rsp += 8;
    regs.rip = RESTORER + 7;
    regs.orig_rax = nr::RT_SIGRETURN;
    assert_eq!(run_syscall(k, pid, &mut regs), SyscallOutcome::Done);
    regs
}

fn fpu_with_marker(marker: u64) -> FpuState {
    let mut f = FpuState::initial();
    f.0[20] = marker; // xmm0, bytes 160..168
    f
}

#[test]
fn a_handler_gets_a_frame_and_sigreturn_restores_everything() {
    let (mut k, _) = boot(FRAMES);
    assert_eq!(sigaction(&mut k, 1, SIGUSR1, HANDLER, SA_SIGINFO | SA_RESTORER, sigbit(SIGUSR2).bits()), 0);
    k.proc.tasks_mut().get_mut(&1).unwrap().kstack.set_fpu(&fpu_with_marker(0x1234_5678));
    let before = regs_of(&k, 1);
    let mut regs = before;
    regs.orig_rax = nr::KILL;
    (regs.rdi, regs.rsi, regs.rbx, regs.r12, regs.rflags) = (1, SIGUSR1 as u64, 0xb0b, 0xc0c, 0x202 | 0x400);
    assert_eq!(run_syscall(&mut k, 1, &mut regs), SyscallOutcome::Done);
    let h = regs;
    assert_eq!(h.rip, HANDLER);
    assert_eq!(h.rdi, SIGUSR1 as u64);
    assert_eq!(h.rsi, h.rsp + INFO_AT);
    assert_eq!(h.rdx, h.rsp + UC_AT);
    assert_eq!(h.rax, 0);
    assert_eq!((h.rsp + 8) % 16, 0, "rsp + 8 aligned as after a call");
    assert!(h.rsp + 440 + 512 <= before.rsp - 128, "below the red zone");
    assert_eq!(h.rflags & 0x400, 0, "DF clear in the handler");
    assert_eq!(u64_at(&mut k, 1, h.rsp), RESTORER, "return address");
    assert_eq!(k.proc.tasks()[&1].sigmask, sigbit(SIGUSR1) | sigbit(SIGUSR2));
    assert!(k.proc.tasks()[&1].kstack.fpu() == FpuState::initial(), "a clean FPU for the handler");
    let sc = frame_context(&mut k, 1, &h);
    assert_eq!((sc.rip, sc.rsp, sc.rax, sc.rbx, sc.r12), (before.rip, before.rsp, 0, 0xb0b, 0xc0c));
    assert_eq!((sc.cs, sc.ss), (USER_CS as u16, USER_DS as u16));
    assert_eq!(sc.fpstate % 64, 0);
    assert_eq!(frame_mask(&mut k, 1, &h), 0);
    let fx = read_user(&mut k, 1, sc.fpstate, 512).unwrap();
    assert_eq!(u64::from_le_bytes(fx[160..168].try_into().unwrap()), 0x1234_5678, "xmm0 saved");
    assert_eq!(u32::from_le_bytes(fx[464..468].try_into().unwrap()), FP_XSTATE_MAGIC1);
    let info = read_user(&mut k, 1, h.rsi, 128).unwrap();
    let w = |i: usize| i32::from_le_bytes(info[i..i + 4].try_into().unwrap());
    assert_eq!((w(0), w(8), w(16), w(20)), (SIGUSR1 as i32, SI_USER, 1, 0));

    // The handler changes a register in its context; sigreturn takes it.
    let mut sc2 = sc;
    sc2.rbx = 0xbeef;
    write_user(&mut k, 1, h.rsp + UC_AT + 40, sc2.as_bytes()).unwrap();
    k.proc.tasks_mut().get_mut(&1).unwrap().kstack.set_fpu(&fpu_with_marker(0x9999));
    let r = sigreturn(&mut k, 1, &h);
    assert_eq!((r.rip, r.rsp, r.rax, r.rbx, r.r12), (before.rip, before.rsp, 0, 0xbeef, 0xc0c));
    assert_eq!(r.rflags & 0x400, 0x400, "DF back");
    assert_eq!(r.orig_rax, u64::MAX);
    assert!(k.proc.tasks()[&1].sigmask.is_empty());
    assert_eq!(k.proc.tasks()[&1].kstack.fpu().0[20], 0x1234_5678, "the interrupted FPU state is back");
}

#[test]
fn without_sa_restorer_the_task_dies_of_sigsegv() {
    let (mut k, _) = boot(FRAMES);
    let c = fork(&mut k, 1);
    assert_eq!(sigaction(&mut k, c, SIGUSR1, HANDLER, 0, 0), 0);
    syscall(&mut k, c, nr::KILL, &[c as u64, SIGUSR1 as u64]);
    assert_eq!(state(&k, c), Some(TaskState::Zombie));
    assert_eq!(reap(&mut k, 1, c), SIGSEGV as i32);
}

#[test]
fn a_bad_sigreturn_frame_is_sigsegv() {
    let (mut k, _) = boot(FRAMES);
    let c = fork(&mut k, 1);
    let mut regs = regs_of(&k, c);
    regs.rsp = 0x10;
    regs.orig_rax = nr::RT_SIGRETURN;
    run_syscall(&mut k, c, &mut regs);
    assert_eq!(state(&k, c), Some(TaskState::Zombie));
    assert_eq!(reap(&mut k, 1, c), SIGSEGV as i32);
}

#[test]
fn sa_resethand_and_sa_nodefer() {
    let (mut k, _) = boot(FRAMES);
    assert_eq!(sigaction(&mut k, 1, SIGUSR1, HANDLER, SA_RESTORER | SA_RESETHAND | SA_NODEFER, 0), 0);
    let h = call(&mut k, 1, nr::KILL, &[1, SIGUSR1 as u64]);
    assert_eq!(h.rip, HANDLER);
    assert!(k.proc.tasks()[&1].sigmask.is_empty(), "SA_NODEFER: not blocked in its handler");
    assert_eq!(k.sig.sighands.get(k.proc.tasks()[&1].sighand).action[SIGUSR1 as usize - 1].handler, SIG_DFL);
}

#[test]
fn setting_sig_ign_discards_a_pending_signal() {
    let (mut k, _) = boot(FRAMES);
    let s = scratch(&mut k, 1);
    write_user(&mut k, 1, s, sigbit(SIGUSR1).as_bytes()).unwrap();
    assert_eq!(syscall(&mut k, 1, nr::RT_SIGPROCMASK, &[0, s, 0, 8]), 0);
    syscall(&mut k, 1, nr::KILL, &[1, SIGUSR1 as u64]);
    assert!(k.cur_signal().shared_pending.has(SIGUSR1));
    assert_eq!(sigaction(&mut k, 1, SIGUSR1, SIG_IGN, SA_RESTORER, 0), 0);
    assert!(!k.cur_signal().shared_pending.has(SIGUSR1));
}

/// A read on an empty pipe, interrupted by a handled signal: EINTR
/// without SA_RESTART; with it, the frame returns to the `syscall`
/// instruction with the call's number in rax.
#[test]
fn interrupted_read_is_eintr_or_restarted() {
    for restart in [false, true] {
        let (mut k, _) = boot(FRAMES);
        let flags = SA_RESTORER | if restart { SA_RESTART } else { 0 };
        assert_eq!(sigaction(&mut k, 1, SIGUSR1, HANDLER, flags, 0), 0);
        let s = scratch(&mut k, 1);
        assert_eq!(syscall(&mut k, 1, nr::PIPE2, &[s, 0]), 0);
        let rfd = read_u32(&mut k, 1, s).unwrap() as u64;
        let c = fork(&mut k, 1);
        let before = regs_of(&k, 1);
        assert_eq!(try_syscall(&mut k, 1, nr::READ, &[rfd, s + 64, 16]), Err(Blocked));
        syscall(&mut k, c, nr::KILL, &[1, SIGUSR1 as u64]);
        assert_eq!(state(&k, 1), Some(TaskState::Runnable), "the signal woke the reader");
        let h = resume_regs(&mut k, 1);
        assert_eq!(h.rip, HANDLER);
        let sc = frame_context(&mut k, 1, &h);
        if restart {
            assert_eq!((sc.rip, sc.rax), (before.rip - 2, nr::READ), "back on the syscall instruction");
        } else {
            assert_eq!((sc.rip, sc.rax as i64), (before.rip, err(EINTR)));
        }
    }
}

#[test]
fn stopped_in_read_the_call_restarts_after_sigcont() {
    let (mut k, _) = boot(FRAMES);
    let c = fork(&mut k, 1);
    let s = scratch(&mut k, c);
    assert_eq!(syscall(&mut k, c, nr::PIPE2, &[s, 0]), 0);
    let rfd = read_u32(&mut k, c, s).unwrap() as u64;
    let before = regs_of(&k, c);
    assert_eq!(try_syscall(&mut k, c, nr::READ, &[rfd, s + 64, 16]), Err(Blocked));
    syscall(&mut k, 1, nr::KILL, &[c as u64, SIGSTOP as u64]);
    let r = resume_regs(&mut k, c);
    assert_eq!(state(&k, c), Some(TaskState::Stopped));
    syscall(&mut k, 1, nr::KILL, &[c as u64, SIGCONT as u64]);
    assert_eq!(state(&k, c), Some(TaskState::Runnable));
    // What the trap path does after the switch back: signal work.
    let mut r = r;
    switch_to(&mut k, c);
    assert!(k.signal_work_pending(&r));
    k.exit_to_user_mode(&mut r);
    assert_eq!((r.rip, r.rax), (before.rip - 2, nr::READ), "the read runs again");
}

#[test]
fn nanosleep_interrupted_by_a_handler_writes_the_time_left() {
    let (mut k, hw) = boot(FRAMES);
    assert_eq!(sigaction(&mut k, 1, SIGUSR1, HANDLER, SA_RESTORER | SA_RESTART, 0), 0);
    let c = fork(&mut k, 1);
    let s = scratch(&mut k, 1);
    write_user(&mut k, 1, s, Timespec { tv_sec: 5, tv_nsec: 0 }.as_bytes()).unwrap();
    let before = regs_of(&k, 1);
    assert_eq!(try_syscall(&mut k, 1, nr::NANOSLEEP, &[s, s + 16]), Err(Blocked));
    hw.clock.advance(2_000_000_000);
    syscall(&mut k, c, nr::KILL, &[1, SIGUSR1 as u64]);
    let h = resume_regs(&mut k, 1);
    assert_eq!(h.rip, HANDLER);
    let sc = frame_context(&mut k, 1, &h);
    assert_eq!((sc.rip, sc.rax as i64), (before.rip, err(EINTR)), "EINTR even with SA_RESTART");
    assert_eq!(u64_at(&mut k, 1, s + 16), 3, "3 s left");
    assert_eq!(k.proc.tasks()[&1].resume.deadline(), None);
}

#[test]
fn sigsuspend_returns_eintr_with_the_old_mask_in_the_frame() {
    let (mut k, _) = boot(FRAMES);
    assert_eq!(sigaction(&mut k, 1, SIGUSR1, HANDLER, SA_RESTORER, 0), 0);
    let s = scratch(&mut k, 1);
    write_user(&mut k, 1, s, (sigbit(SIGUSR1) | sigbit(SIGUSR2)).as_bytes()).unwrap();
    assert_eq!(syscall(&mut k, 1, nr::RT_SIGPROCMASK, &[0, s, 0, 8]), 0);
    syscall(&mut k, 1, nr::KILL, &[1, SIGUSR1 as u64]);
    write_user(&mut k, 1, s, sigbit(SIGUSR2).as_bytes()).unwrap();
    let before = regs_of(&k, 1);
    let h = call(&mut k, 1, nr::RT_SIGSUSPEND, &[s, 8]);
    assert_eq!(h.rip, HANDLER);
    assert_eq!(frame_mask(&mut k, 1, &h), (sigbit(SIGUSR1) | sigbit(SIGUSR2)).bits(), "the mask before sigsuspend");
    assert_eq!(k.proc.tasks()[&1].sigmask, sigbit(SIGUSR1) | sigbit(SIGUSR2), "sigsuspend's mask plus the signal");
    let sc = frame_context(&mut k, 1, &h);
    assert_eq!((sc.rip, sc.rax as i64), (before.rip, err(EINTR)));
    let r = sigreturn(&mut k, 1, &h);
    assert_eq!(r.rax as i64, err(EINTR));
    assert_eq!(k.proc.tasks()[&1].sigmask, sigbit(SIGUSR1) | sigbit(SIGUSR2));
}

#[test]
fn sigaltstack_rules_and_sa_onstack_frames() {
    let (mut k, _) = boot(FRAMES);
    let s = scratch(&mut k, 1);
    let stk = mmap_anon(&mut k, 1, 0, 0x4000, 3, 2) as u64;
    let set = |k: &mut Kernel, sp: u64, flags: u32, size: u64| {
        write_user(k, 1, s, altstack::stack_t(sp, flags, size).as_bytes()).unwrap();
        syscall(k, 1, nr::SIGALTSTACK, &[s, s + 32])
    };
    let old = |k: &mut Kernel| {
        let st = StackT::read_from_bytes(&read_user(k, 1, s + 32, 24).unwrap()).unwrap();
        (st.ss_sp, st.ss_flags as u32, st.ss_size)
    };
    assert_eq!(set(&mut k, stk, 0, 2047), err(ENOMEM));
    assert_eq!(set(&mut k, stk, 4, 0x4000), err(EINVAL));
    assert_eq!(set(&mut k, stk, 0, 0x4000), 0);
    assert_eq!(old(&mut k), (0, altstack::SS_DISABLE, 0));
    assert_eq!(set(&mut k, stk, 0, 0x4000), 0);
    assert_eq!(old(&mut k), (stk, 0, 0x4000));

    assert_eq!(sigaction(&mut k, 1, SIGUSR1, HANDLER, SA_RESTORER | SA_ONSTACK, 0), 0);
    let h = call(&mut k, 1, nr::KILL, &[1, SIGUSR1 as u64]);
    assert!(h.rsp > stk && h.rsp < stk + 0x4000, "the frame is on the alternate stack");
    // On it, the handler cannot change it; sigaltstack reports SS_ONSTACK.
    assert_eq!(set(&mut k, stk, 0, 0x2000), err(EPERM));
    assert_eq!(syscall(&mut k, 1, nr::SIGALTSTACK, &[0, s + 32]), 0);
    assert_eq!(old(&mut k), (stk, altstack::SS_ONSTACK, 0x4000));
    let h = regs_of(&k, 1);
    let r = sigreturn(&mut k, 1, &h);
    assert!(r.rsp < stk || r.rsp >= stk + 0x4000);

    // SS_AUTODISARM: disabled while in the handler, back after sigreturn.
    assert_eq!(set(&mut k, stk, altstack::SS_AUTODISARM, 0x4000), 0);
    let h = call(&mut k, 1, nr::KILL, &[1, SIGUSR1 as u64]);
    assert!(h.rsp > stk && h.rsp < stk + 0x4000);
    assert_eq!(k.proc.tasks()[&1].sigstate.altstack.size, 0);
    sigreturn(&mut k, 1, &h);
    assert_eq!(
        k.proc.tasks()[&1].sigstate.altstack,
        altstack::AltStack { sp: stk, size: 0x4000, flags: altstack::SS_AUTODISARM }
    );

    // A thread sharing the memory starts without one; a fork child keeps it.
    let c = fork(&mut k, 1);
    assert_eq!(k.proc.tasks()[&c].sigstate.altstack.size, 0x4000);
}

#[test]
fn fault_signals_carry_code_and_address() {
    let (mut k, _) = boot(FRAMES);
    assert_eq!(sigaction(&mut k, 1, SIGSEGV, HANDLER, SA_RESTORER | SA_SIGINFO, 0), 0);
    let mut regs = regs_of(&k, 1);
    switch_to(&mut k, 1);
    regs.orig_rax = u64::MAX;
    k.user_exception(14, 6, 0x10, &mut regs);
    assert_eq!(regs.rip, HANDLER);
    let info = read_user(&mut k, 1, regs.rsi, 32).unwrap();
    let w = |i: usize| i32::from_le_bytes(info[i..i + 4].try_into().unwrap());
    assert_eq!((w(0), w(8)), (SIGSEGV as i32, crate::mm::fault::SEGV_MAPERR));
    assert_eq!(u64::from_le_bytes(info[16..24].try_into().unwrap()), 0x10, "si_addr");
    let sc = frame_context(&mut k, 1, &regs);
    assert_eq!((sc.trapno, sc.err, sc.cr2), (14, 6, 0x10));
}

/// Real-time signals queue one per sending, each charged to the user's
/// RLIMIT_SIGPENDING count; the charges come back when they are taken,
/// and when the thread holding them is zapped by another thread's exec
/// (a leak the fuzzer found: de_thread() freed the thread's queue without
/// giving its charges back).
#[test]
fn queued_signal_charges_come_back_on_dequeue_and_on_exec_from_another_thread() {
    let (mut k, _hw) = boot(FRAMES);
    use CloneFlags as F;
    let flags = F::VM | F::FS | F::FILES | F::SIGHAND | F::THREAD;
    let t = syscall(&mut k, 1, nr::CLONE, &[flags.bits(), 0, 0, 0, 0]);
    assert!(t > 1, "clone: {t}");
    let t = t as Pid;
    let rt = SIGRTMIN + 8;
    k.proc.tasks_mut().get_mut(&t).unwrap().sigmask = sigbit(rt);
    k.proc.tasks_mut().get_mut(&1).unwrap().sigmask = sigbit(rt);
    let info = SigInfo { signo: rt, code: -1, pid: 1, ..Default::default() };
    for _ in 0..3 {
        k.send_signal_thread(t, info).unwrap();
        k.send_signal_thread(1, info).unwrap();
    }
    assert_eq!(k.proc.ucounts().sigpending_total(), 6);
    // The caller's own: taken one at a time, the bit cleared with the last.
    switch_to(&mut k, 1);
    for left in [2, 1, 0] {
        assert_eq!(k.dequeue_from(sigbit(rt)).map(|i| i.signo), Some(rt));
        assert_eq!(k.cur().sigpending.has(rt), left > 0);
    }
    assert_eq!(k.proc.ucounts().sigpending_total(), 3);
    // exec from PID 1 ends the other thread, and its queue with it.
    assert_eq!(execve(&mut k, 1, INIT_PATH, &["init"], &[]), 0);
    assert!(k.proc.tasks().get(&t).is_none_or(|x| x.state == TaskState::Dead));
    assert_eq!(k.proc.ucounts().sigpending_total(), 0);
}

#[test]
fn sigqueueinfo_reads_only_the_kernel_part_of_siginfo() {
    let (mut k, _) = boot(FRAMES);
    let m = mmap_anon(&mut k, 1, 0, 0x2000, 3, 2) as u64;
    assert_eq!(syscall(&mut k, 1, nr::MUNMAP, &[m + 0x1000, 0x1000]), 0);
    // The siginfo's last 80 bytes would lie in the unmapped page: Linux
    // reads only struct kernel_siginfo (48 bytes), so this works.
    let at = m + 0x1000 - 48;
    let si = Siginfo { si_signo: SIGUSR1, si_code: SI_QUEUE, si_pid: 1, si_status: 5, ..Default::default() };
    write_user(&mut k, 1, at, &si.as_bytes()[..48]).unwrap();
    k.proc.tasks_mut().get_mut(&1).unwrap().sigmask = sigbit(SIGUSR1);
    assert_eq!(syscall(&mut k, 1, nr::RT_SIGQUEUEINFO, &[1, SIGUSR1 as u64, at]), 0);
    let info = k.dequeue_from(sigbit(SIGUSR1)).unwrap();
    assert_eq!((info.code, info.status), (SI_QUEUE, 5));
    // One byte less: EFAULT.
    assert_eq!(syscall(&mut k, 1, nr::RT_SIGQUEUEINFO, &[1, SIGUSR1 as u64, at + 1]), err(EFAULT));
}
