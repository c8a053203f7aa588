//! ptrace at the kernel level, driven through `Kernel::syscall` on the
//! simulated machine (see `crate::testkit`): stops, what the tracer's
//! wait reports, resuming, detaching and the tracer's exit. Expected
//! results are Linux's (kernel/ptrace.c, kernel/signal.c).

use crate::abi::*;
use crate::entry;
use crate::kernel::Kernel;
use crate::proc::wait::{WALL, WNOHANG};
use crate::proc::{Pid, TaskState};
use crate::testkit::*;

const FRAMES: usize = 2048;

fn ptrace(k: &mut Kernel, tracer: Pid, req: u64, pid: Pid, addr: u64, data: u64) -> i64 {
    syscall(k, tracer, nr::PTRACE, &[req, pid as u64, addr, data])
}

/// Let `pid`, just resumed from a stop made on its way to user mode, do
/// that work (the machine's trap loop does it when it switches back).
fn run_exit_work(k: &mut Kernel, pid: Pid) {
    switch_to(k, pid);
    let mut regs = regs_of(k, pid);
    let _ = entry::resume(&SimCpu::new(k), &mut regs, entry::Step::ExitWork);
    if let Some(t) = k.proc.tasks.get_mut(&pid).filter(|t| !t.is_zombie() && t.state != TaskState::Dead) {
        t.kstack.set_regs(&regs);
    }
}

/// A child of init that asked to be traced and stopped for a SIGSTOP.
fn traced_child(k: &mut Kernel) -> Pid {
    let c = fork(k, 1);
    assert_eq!(syscall(k, c, nr::PTRACE, &[PTRACE_TRACEME]), 0);
    assert_eq!(syscall(k, c, nr::PTRACE, &[PTRACE_TRACEME]), err(EPERM), "already traced");
    assert_eq!(ptrace(k, 1, PTRACE_CONT, c, 0, 0), err(ESRCH), "not stopped");
    assert_eq!(syscall(k, 1, nr::KILL, &[c as u64, SIGSTOP as u64]), 0);
    // Its next return to user mode shows the signal to the tracer.
    syscall(k, c, nr::GETPID, &[]);
    assert_eq!(state(k, c), Some(TaskState::Traced));
    c
}

#[test]
fn signal_delivery_stop_is_reported_and_suppressed() {
    let (mut k, _) = boot(FRAMES);
    let base = Baseline::take(&k);
    let c = traced_child(&mut k);
    assert_eq!(wait4(&mut k, 1, c as i32, 0), (c as i64, Some((SIGSTOP as i32) << 8 | 0x7f)));
    assert_eq!(wait4(&mut k, 1, c as i32, WNOHANG), (0, None), "reported once");
    // Continued without the signal: it runs on, not stopped.
    assert_eq!(ptrace(&mut k, 1, PTRACE_CONT, c, 0, 0), 0);
    run_exit_work(&mut k, c);
    assert_eq!(state(&k, c), Some(TaskState::Runnable));
    assert!(!k.cur_signal().stopped);
    exit(&mut k, c, 4);
    assert_eq!(reap(&mut k, 1, c), 0x400);
    base.check(&k, "after a traced child");
}

#[test]
fn syscall_stops_show_orig_rax_and_let_the_tracer_change_the_result() {
    let (mut k, _) = boot(FRAMES);
    let base = Baseline::take(&k);
    let c = traced_child(&mut k);
    wait4(&mut k, 1, c as i32, 0);
    assert_eq!(ptrace(&mut k, 1, PTRACE_SETOPTIONS, c, 0, PTRACE_O_TRACESYSGOOD as u64), 0);
    assert_eq!(ptrace(&mut k, 1, PTRACE_SYSCALL, c, 0, 0), 0);
    run_exit_work(&mut k, c);
    // The entry stop: the call waits, rax shows -ENOSYS.
    assert_eq!(try_syscall(&mut k, c, nr::GETPPID, &[]), Err(Blocked));
    assert_eq!(wait4(&mut k, 1, c as i32, 0).1, Some(0x857f));
    let s = scratch(&mut k, 1);
    assert_eq!(ptrace(&mut k, 1, PTRACE_PEEKUSR, c, 15 * 8, s), 0);
    assert_eq!(read_user(&mut k, 1, s, 8).unwrap(), nr::GETPPID.to_le_bytes());
    assert_eq!(ptrace(&mut k, 1, PTRACE_PEEKUSR, c, 10 * 8, s), 0);
    assert_eq!(read_user(&mut k, 1, s, 8).unwrap(), (-38i64).to_le_bytes());
    // Then the exit stop, with the result, which the tracer replaces.
    assert_eq!(ptrace(&mut k, 1, PTRACE_SYSCALL, c, 0, 0), 0);
    assert_eq!(resume(&mut k, c), Ok(1), "the exit stop holds getppid's result");
    assert_eq!(state(&k, c), Some(TaskState::Traced));
    assert_eq!(wait4(&mut k, 1, c as i32, 0).1, Some(0x857f));
    assert_eq!(ptrace(&mut k, 1, PTRACE_POKEUSR, c, 10 * 8, 4242), 0);
    assert_eq!(ptrace(&mut k, 1, PTRACE_POKEUSR, c, 10 * 8 + 1, 0), err(EIO), "unaligned");
    assert_eq!(ptrace(&mut k, 1, PTRACE_CONT, c, 0, 0), 0);
    run_exit_work(&mut k, c);
    assert_eq!(regs_of(&k, c).rax, 4242);
    exit(&mut k, c, 0);
    reap(&mut k, 1, c);
    base.check(&k, "after syscall stops");
}

#[test]
fn a_tracer_that_is_not_the_parent_reaps_first_and_its_exit_detaches() {
    let (mut k, _) = boot(FRAMES);
    let base = Baseline::take(&k);
    let tracer = fork(&mut k, 1);
    let victim = fork(&mut k, 1);
    assert_eq!(ptrace(&mut k, tracer, PTRACE_SEIZE, victim, 0, 0), 0);
    assert_eq!(ptrace(&mut k, tracer, PTRACE_SEIZE, victim, 0, 0), err(EPERM), "already traced");
    assert_eq!(ptrace(&mut k, victim, PTRACE_SEIZE, victim, 0, 0), err(EPERM), "itself");
    // The victim exits: only its tracer sees it at first.
    exit(&mut k, victim, 2);
    assert_eq!(wait4(&mut k, 1, victim as i32, WNOHANG), (0, None), "the real parent waits for the tracer");
    assert_eq!(wait4(&mut k, tracer, victim as i32, WALL), (victim as i64, Some(0x200)));
    assert_eq!(reap(&mut k, 1, victim), 0x200, "then the real parent reaps it");
    exit(&mut k, tracer, 0);
    reap(&mut k, 1, tracer);

    // A stopped tracee runs on when its tracer exits; with EXITKILL it dies.
    for (options, alive) in [(0u32, true), (PTRACE_O_EXITKILL, false)] {
        let tracer = fork(&mut k, 1);
        let victim = fork(&mut k, 1);
        assert_eq!(ptrace(&mut k, tracer, PTRACE_SEIZE, victim, 0, options as u64), 0);
        assert_eq!(ptrace(&mut k, tracer, PTRACE_INTERRUPT, victim, 0, 0), 0);
        syscall(&mut k, victim, nr::GETPID, &[]);
        assert_eq!(state(&k, victim), Some(TaskState::Traced));
        let status = (SIGTRAP as i32 | (PTRACE_EVENT_STOP as i32) << 8) << 8 | 0x7f;
        assert_eq!(wait4(&mut k, tracer, victim as i32, 0), (victim as i64, Some(status)));
        exit(&mut k, tracer, 0);
        reap(&mut k, 1, tracer);
        assert!(k.proc.tasks[&victim].ptrace.tracee.is_none() || k.tracer_of(victim).is_none());
        run_exit_work(&mut k, victim);
        if alive {
            assert_eq!(state(&k, victim), Some(TaskState::Runnable));
            exit(&mut k, victim, 0);
            assert_eq!(reap(&mut k, 1, victim), 0);
        } else {
            assert_eq!(reap(&mut k, 1, victim), SIGKILL as i32);
        }
    }
    base.check(&k, "after tracers came and went");
}

/// NT_X86_XSTATE as gdb reads it: the XSAVE image (x87, SSE, AVX: the
/// test machine's XCR0) with XCR0 at byte 464 and XSTATE_BV in the
/// header; SETREGSET takes only a whole image whose header names no other
/// feature, and a clear XSTATE_BV bit puts that state back to its init.
#[test]
fn xstate_regset_names_the_features_kept() {
    let (mut k, _) = boot(FRAMES);
    let c = traced_child(&mut k);
    wait4(&mut k, 1, c as i32, 0);
    let buf = scratch(&mut k, 1);
    let iov = buf + 2048;
    let iovec = |k: &mut Kernel, len: u64| {
        let mut v = buf.to_le_bytes().to_vec();
        v.extend_from_slice(&len.to_le_bytes());
        write_user(k, 1, iov, &v).unwrap();
    };
    iovec(&mut k, 2048);
    assert_eq!(ptrace(&mut k, 1, PTRACE_GETREGSET, c, NT_X86_XSTATE, iov), 0);
    assert_eq!(read_user(&mut k, 1, iov + 8, 8).unwrap(), 832u64.to_le_bytes(), "fxsave + header + AVX");
    let image = read_user(&mut k, 1, buf, 832).unwrap();
    assert_eq!(image[464..472], 7u64.to_le_bytes(), "XCR0");
    assert!(image[472..512].iter().all(|&b| b == 0));
    assert_eq!(image[512..520], 0u64.to_le_bytes(), "XSTATE_BV: all initial after exec");
    assert_eq!(image[0..2], 0x37fu16.to_le_bytes(), "FCW's initial value");
    // Set: a short image is EFAULT, an unknown feature or a compacted
    // header EINVAL.
    iovec(&mut k, 576);
    assert_eq!(ptrace(&mut k, 1, PTRACE_SETREGSET, c, NT_X86_XSTATE, iov), err(EFAULT));
    iovec(&mut k, 832);
    write_user(&mut k, 1, buf + 512, &0xfu64.to_le_bytes()).unwrap();
    assert_eq!(ptrace(&mut k, 1, PTRACE_SETREGSET, c, NT_X86_XSTATE, iov), err(EINVAL), "MPX");
    write_user(&mut k, 1, buf + 512, &7u64.to_le_bytes()).unwrap();
    write_user(&mut k, 1, buf + 520, &(1u64 << 63).to_le_bytes()).unwrap();
    assert_eq!(ptrace(&mut k, 1, PTRACE_SETREGSET, c, NT_X86_XSTATE, iov), err(EINVAL), "compacted");
    write_user(&mut k, 1, buf + 520, &0u64.to_le_bytes()).unwrap();
    // XMM0 and YMM0's upper half set with SSE and AVX in XSTATE_BV are
    // taken; then SSE and AVX clear zero them.
    write_user(&mut k, 1, buf + 160, &[0xab; 16]).unwrap();
    write_user(&mut k, 1, buf + 576, &[0xcd; 16]).unwrap();
    assert_eq!(ptrace(&mut k, 1, PTRACE_SETREGSET, c, NT_X86_XSTATE, iov), 0);
    assert_eq!(k.tracee_fpu(c).0[20], 0xabab_abab_abab_abab);
    assert_eq!(k.tracee_fpu(c).ymm_high(0), [0xcdcd_cdcd_cdcd_cdcd; 2]);
    assert_eq!(k.tracee_fpu(c).xstate_bv(), 7);
    write_user(&mut k, 1, buf + 512, &1u64.to_le_bytes()).unwrap();
    assert_eq!(ptrace(&mut k, 1, PTRACE_SETREGSET, c, NT_X86_XSTATE, iov), 0);
    assert_eq!(k.tracee_fpu(c).0[20], 0, "SSE at its init state");
    assert_eq!(k.tracee_fpu(c).ymm_high(0), [0, 0], "AVX at its init state");
    assert_eq!(k.tracee_fpu(c).0[XSTATE_SW_WORD], 0, "the software bytes are not the tracee's");
    syscall(&mut k, 1, nr::KILL, &[c as u64, SIGKILL as u64]);
    run_exit_work(&mut k, c);
}

const XSTATE_SW_WORD: usize = 464 / 8;

#[test]
fn a_group_stop_stops_each_traced_thread_for_its_tracer() {
    let (mut k, _) = boot(FRAMES);
    let c = fork(&mut k, 1);
    let flags = CloneFlags::VM | CloneFlags::SIGHAND | CloneFlags::THREAD;
    let t2 = syscall(&mut k, c, nr::CLONE, &[flags.bits(), 0, 0, 0, 0]) as Pid;
    assert_eq!(ptrace(&mut k, 1, PTRACE_SEIZE, c, 0, 0), 0);
    assert_eq!(ptrace(&mut k, 1, PTRACE_SEIZE, t2, 0, 0), 0);
    // The second thread sleeps in pause(); the first takes the SIGSTOP.
    assert_eq!(try_syscall(&mut k, t2, nr::PAUSE, &[]), Err(Blocked));
    assert_eq!(syscall(&mut k, 1, nr::KILL, &[c as u64, SIGSTOP as u64]), 0);
    syscall(&mut k, c, nr::GETPID, &[]);
    assert_eq!(wait4(&mut k, 1, c as i32, WALL), (c as i64, Some((SIGSTOP as i32) << 8 | 0x7f)));
    // Let it go with the SIGSTOP: the group-stop begins.
    assert_eq!(ptrace(&mut k, 1, PTRACE_CONT, c, 0, SIGSTOP as u64), 0);
    run_exit_work(&mut k, c);
    let group = ((SIGSTOP | PTRACE_EVENT_STOP << 8) as i32) << 8 | 0x7f;
    assert_eq!(state(&k, c), Some(TaskState::Traced));
    assert_eq!(wait4(&mut k, 1, c as i32, WALL), (c as i64, Some(group)));
    // The other thread was not stopped in passing: its sleep was
    // interrupted, and it stops for its tracer on its way out.
    assert_ne!(state(&k, t2), Some(TaskState::Stopped));
    assert_eq!(wait4(&mut k, 1, t2 as i32, WALL | WNOHANG), (0, None), "not yet");
    let _ = resume(&mut k, t2);
    assert_eq!(state(&k, t2), Some(TaskState::Traced));
    assert_eq!(wait4(&mut k, 1, t2 as i32, WALL), (t2 as i64, Some(group)));
    // Seized, PTRACE_CONT lets each run again (ptrace(2): only LISTEN
    // keeps a seized tracee in its group-stop).
    assert_eq!(ptrace(&mut k, 1, PTRACE_CONT, c, 0, 0), 0);
    assert_eq!(ptrace(&mut k, 1, PTRACE_CONT, t2, 0, 0), 0);
    run_exit_work(&mut k, c);
    run_exit_work(&mut k, t2);
    assert_eq!((state(&k, c), state(&k, t2)), (Some(TaskState::Runnable), Some(TaskState::Runnable)));
}

#[test]
fn attaching_to_a_stopped_task_traps_it_before_the_request_returns() {
    let (mut k, _) = boot(FRAMES);
    let base = Baseline::take(&k);
    let c = fork(&mut k, 1);
    assert_eq!(syscall(&mut k, 1, nr::KILL, &[c as u64, SIGSTOP as u64]), 0);
    syscall(&mut k, c, nr::GETPID, &[]);
    assert_eq!(state(&k, c), Some(TaskState::Stopped));
    let sig = SIGSTOP;
    // The parent takes the stop's report first.
    assert_eq!(wait4(&mut k, 1, c as i32, crate::proc::wait::WUNTRACED), (c as i64, Some((sig as i32) << 8 | 0x7f)));
    assert_eq!(ptrace(&mut k, 1, PTRACE_SEIZE, c, 0, 0), 0);
    // Trapped already, without having run: the first wait sees it, with
    // the group-stop's signal.
    assert_eq!(state(&k, c), Some(TaskState::Traced));
    let event = ((sig | PTRACE_EVENT_STOP << 8) as i32) << 8 | 0x7f;
    assert_eq!(wait4(&mut k, 1, c as i32, WNOHANG), (c as i64, Some(event)));
    // LISTEN, then SIGCONT: the trap again, with SIGTRAP.
    assert_eq!(ptrace(&mut k, 1, PTRACE_LISTEN, c, 0, 0), 0);
    assert_eq!(wait4(&mut k, 1, c as i32, WNOHANG), (0, None));
    assert_eq!(syscall(&mut k, 1, nr::KILL, &[c as u64, SIGCONT as u64]), 0);
    let trap = ((SIGTRAP | PTRACE_EVENT_STOP << 8) as i32) << 8 | 0x7f;
    assert_eq!(wait4(&mut k, 1, c as i32, WNOHANG), (c as i64, Some(trap)));
    assert_eq!(syscall(&mut k, 1, nr::KILL, &[c as u64, SIGKILL as u64]), 0);
    run_exit_work(&mut k, c);
    assert_eq!(reap(&mut k, 1, c), SIGKILL as i32);
    base.check(&k, "after attaching to a stopped task");
}
