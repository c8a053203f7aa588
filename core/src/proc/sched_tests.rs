//! The scheduler with several CPUs, on the simulated machine: each CPU's
//! state swapped in with the lock (`Kernel::enter_cpu`), idle CPUs kicked
//! for new work, affinity masks, getcpu (Linux: kernel/sched/core.c).

use crate::abi::*;
use crate::kernel::Resched;
use crate::testkit::*;

const FRAMES: usize = 2048;

#[test]
fn each_cpu_has_its_own_current_task_and_flags() {
    let (mut k, _hw) = boot(FRAMES);
    k.sched.set_online(2);
    k.sched.set_need_resched(true);
    k.enter_cpu(1);
    assert_eq!(k.sched.this_cpu(), 1);
    assert_eq!(k.sched.current(), None, "CPU 1 is idle");
    assert!(!k.sched.need_resched(), "CPU 0's flag stays CPU 0's");
    assert_eq!(k.sched.current_on(0), Some(1));
    assert_eq!(k.sched.running_cpu(1), Some(0));
    k.enter_cpu(0);
    assert_eq!((k.sched.current(), k.sched.need_resched()), (Some(1), true));
}

#[test]
fn new_work_kicks_an_idle_cpu_once() {
    let (mut k, _hw) = boot(FRAMES);
    let a = fork(&mut k, 1);
    assert_eq!(k.sched.take_kicks(), 0, "one CPU: nobody to kick");
    k.sched.set_online(2);
    let b = fork(&mut k, 1);
    assert_eq!(k.sched.take_kicks(), 0b10, "the idle CPU 1 is kicked");
    let _c = fork(&mut k, 1);
    assert_eq!(k.sched.take_kicks(), 0, "already kicked, not yet scheduled");
    // CPU 1 takes the lock from its idle loop and picks the first task.
    k.enter_cpu(1);
    assert_eq!(k.schedule(), Resched::Switch { prev: None, next: Some(a) });
    assert_eq!(k.proc.tasks()[&a].cpu, 1);
    assert_eq!(k.sched.running_cpu(a), Some(1));
    k.enter_cpu(0);
    // CPU 0 never picks the task CPU 1 runs.
    k.sched.set_need_resched(true);
    assert_eq!(k.schedule(), Resched::Switch { prev: Some(1), next: Some(b) });
}

#[test]
fn affinity_masks_are_kept_and_honoured() {
    let (mut k, _hw) = boot(FRAMES);
    k.sched.set_online(2);
    let s = scratch(&mut k, 1);
    assert_eq!(syscall(&mut k, 1, nr::SCHED_GETAFFINITY, &[0, 8, s]), 8);
    assert_eq!(read_u32(&mut k, 1, s), Ok(0b11));
    write_user(&mut k, 1, s, &0b100u64.to_le_bytes()).unwrap();
    assert_eq!(syscall(&mut k, 1, nr::SCHED_SETAFFINITY, &[0, 8, s]), err(EINVAL), "no CPU online in it");
    assert_eq!(syscall(&mut k, 1, nr::SCHED_GETAFFINITY, &[0, 4, s]), err(EINVAL));
    assert_eq!(syscall(&mut k, 1, nr::GETCPU, &[s, 0, 0]), 0);
    assert_eq!(read_u32(&mut k, 1, s), Ok(0));
    // A child of a task pinned to CPU 1 is pinned too; CPU 0 leaves it.
    write_user(&mut k, 1, s, &0b10u64.to_le_bytes()).unwrap();
    let child = fork(&mut k, 1);
    k.proc.tasks_mut().get_mut(&child).unwrap().cpus_allowed = 0b10;
    k.sched.set_need_resched(true);
    assert_eq!(k.schedule(), Resched::Stay, "the child may not run on CPU 0");
    k.enter_cpu(1);
    assert_eq!(k.schedule(), Resched::Switch { prev: None, next: Some(child) });
    k.enter_cpu(0);
    // Pinning the running task to CPU 1: the mask reads back, and CPU 0
    // gives it up at its next schedule() even with nothing else to run.
    assert_eq!(syscall(&mut k, 1, nr::SCHED_SETAFFINITY, &[0, 8, s]), 0);
    assert_eq!(syscall(&mut k, 1, nr::SCHED_GETAFFINITY, &[0, 8, s]), 8);
    assert_eq!(read_u32(&mut k, 1, s), Ok(0b10));
    k.sched.set_need_resched(true);
    assert_eq!(k.schedule(), Resched::Switch { prev: Some(1), next: None });
    assert!(k.sched.runq().contains(&1), "queued for CPU 1");
}
