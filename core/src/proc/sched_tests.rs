//! The scheduler with several CPUs, on the simulated machine: each CPU's
//! state swapped in with the lock (`Kernel::enter_cpu`), placement of new
//! and woken tasks, wake-up preemption, balancing, affinity masks, getcpu
//! (Linux: kernel/sched/core.c, fair.c).

use crate::abi::*;
use crate::kernel::{Kernel, Resched};
use crate::proc::{Pid, TaskState, WaitReason};
use crate::testkit::*;
use alloc::vec;
use alloc::vec::Vec;

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

const MS: u64 = 1_000_000;

/// Take runnable `pid` off its run queue and put it to sleep, as if it
/// had run and blocked.
fn put_to_sleep(k: &mut Kernel, pid: Pid) {
    assert!(k.dequeue_task(pid), "task {pid} was queued");
    k.proc.tasks_mut().get_mut(&pid).unwrap().state = TaskState::Blocked(WaitReason::Pause);
}

fn set_vruntime(k: &mut Kernel, pid: Pid, ns: u64) {
    let t = k.proc.tasks_mut().get_mut(&pid).unwrap();
    assert!(!t.on_rq, "a queued task's virtual runtime is its place in the queue");
    t.vruntime = ns;
}

fn queued(k: &Kernel, cpu: usize) -> Vec<Pid> {
    k.sched.rq(cpu).iter().map(|(_, p)| p).collect()
}

#[test]
fn a_new_child_goes_to_the_least_loaded_cpu() {
    let (mut k, _hw) = boot(FRAMES);
    set_vruntime(&mut k, 1, 0);
    let a = fork(&mut k, 1);
    assert_eq!(k.proc.tasks()[&a].cpu, 0, "one CPU");
    assert_eq!(k.sched.take_kicks(), 0, "one CPU: nobody to kick");
    k.sched.set_online(2);
    // CPU 0 runs init and has `a` waiting: CPU 1, idle, gets the child
    // and the IPI.
    let b = fork(&mut k, 1);
    assert_eq!((k.proc.tasks()[&b].cpu, queued(&k, 1)), (1, vec![b]));
    assert_eq!(k.sched.take_kicks(), 0b10);
    // CPU 1 has one task to CPU 0's two: c goes there too.
    let c = fork(&mut k, 1);
    assert_eq!(queued(&k, 1), vec![b, c]);
    k.sched.take_kicks();
    // Two tasks each: a tie goes to the parent's CPU, which is busy, and
    // CPU 1 has work already: no IPI.
    let d = fork(&mut k, 1);
    assert_eq!(queued(&k, 0), vec![a, d]);
    assert_eq!(k.sched.take_kicks(), 0);
    // CPU 1 takes the lock from its idle loop and runs its own task.
    k.enter_cpu(1);
    assert_eq!(k.schedule(), Resched::Switch { prev: None, next: Some(b) });
    assert_eq!(k.sched.running_cpu(b), Some(1));
    k.enter_cpu(0);
    // The children start a slice behind: the parent's slice ending does
    // not hand them CPU 0 before it has had as much.
    k.sched.set_need_resched(true);
    assert_eq!(k.schedule(), Resched::Stay);
    set_vruntime(&mut k, 1, 100 * MS);
    k.sched.set_need_resched(true);
    assert_eq!(k.schedule(), Resched::Switch { prev: Some(1), next: Some(a) });
    assert_eq!(queued(&k, 0), vec![d, 1], "init waits behind d, which has had less");
    assert_eq!(queued(&k, 1), vec![c]);
}

#[test]
fn a_woken_task_goes_to_its_idle_cpu_or_an_idle_one_or_its_own() {
    let (mut k, _hw) = boot(FRAMES);
    k.sched.set_online(3);
    let a = fork(&mut k, 1);
    let b = fork(&mut k, 1);
    assert_eq!((k.proc.tasks()[&a].cpu, k.proc.tasks()[&b].cpu), (1, 2));
    put_to_sleep(&mut k, a);
    put_to_sleep(&mut k, b);
    k.sched.take_kicks();
    // Its previous CPU is idle: there.
    k.wake(a);
    assert_eq!(queued(&k, 1), vec![a]);
    assert_eq!(k.sched.take_kicks(), 0b10);
    // Its previous CPU (1) is busy now: the idle one (2)...
    put_to_sleep(&mut k, a);
    k.wake(b);
    put_to_sleep(&mut k, b);
    k.proc.tasks_mut().get_mut(&a).unwrap().cpu = 1;
    let c = fork(&mut k, 1);
    assert_eq!(k.proc.tasks()[&c].cpu, 1, "the least loaded, after CPU 0");
    k.wake(a);
    assert_eq!(queued(&k, 2), vec![a], "CPU 1 has c: a goes to the idle CPU 2");
    // ...and with none idle, its previous CPU, not the waker's.
    k.wake(b);
    assert_eq!(k.proc.tasks()[&b].cpu, 2, "b last ran on CPU 2");
    assert_eq!(queued(&k, 2), vec![a, b]);
    assert!(queued(&k, 0).is_empty());
}

#[test]
fn a_woken_sleeper_preempts_a_cpu_hog() {
    let (mut k, _hw) = boot(FRAMES);
    // Init has had 50 ms of CPU; twenty CPU hogs wait.
    set_vruntime(&mut k, 1, 50 * MS);
    let hogs: Vec<Pid> = (0..20).map(|_| fork(&mut k, 1)).collect();
    let shell = fork(&mut k, 1);
    put_to_sleep(&mut k, shell);
    set_vruntime(&mut k, shell, 0);
    k.slice_end();
    k.sched.set_need_resched(false);
    // Woken, it gets a head start of half a slice on the queue's least
    // virtual runtime (50 ms, init's): 4 ms ahead, not its whole sleep.
    k.wake(shell);
    assert_eq!(k.proc.tasks()[&shell].vruntime, 46 * MS);
    assert_eq!(queued(&k, 0)[0], shell, "first in the queue, before every hog");
    assert!(k.sched.need_resched(), "and it preempts init");
    assert_eq!(k.schedule(), Resched::Switch { prev: Some(1), next: Some(shell) });
    // The hogs started at init's virtual runtime (a child starts at its
    // parent's when that is larger than the queue's): init, preempted,
    // waits behind them.
    assert_eq!(&queued(&k, 0)[..20], &hogs[..]);
    assert_eq!(queued(&k, 0)[20], 1);
}

#[test]
fn a_woken_task_close_to_the_running_one_waits_for_the_tick() {
    let (mut k, _hw) = boot(FRAMES);
    set_vruntime(&mut k, 1, 50 * MS);
    let a = fork(&mut k, 1);
    put_to_sleep(&mut k, a);
    set_vruntime(&mut k, a, 49 * MS + MS / 2);
    k.wake(a);
    assert_eq!(k.proc.tasks()[&a].vruntime, 49 * MS + MS / 2, "it keeps its own, above the head start");
    assert!(!k.sched.need_resched(), "half a millisecond less is under the granularity");
    k.slice_end();
    assert_eq!(k.schedule(), Resched::Switch { prev: Some(1), next: Some(a) });
}

#[test]
fn an_idle_cpu_pulls_a_task_it_may_run_from_the_busiest() {
    let (mut k, _hw) = boot(FRAMES);
    let a = fork(&mut k, 1);
    let b = fork(&mut k, 1);
    assert_eq!(queued(&k, 0), vec![a, b]);
    k.sched.set_online(2);
    k.proc.tasks_mut().get_mut(&a).unwrap().cpus_allowed = 0b01;
    k.enter_cpu(1);
    assert_eq!(k.schedule(), Resched::Switch { prev: None, next: Some(b) }, "a may not run on CPU 1");
    assert_eq!(k.proc.tasks()[&b].cpu, 1);
    assert_eq!(queued(&k, 0), vec![a]);
    assert_eq!(k.nr_running(), 3);
}

#[test]
fn the_tick_moves_tasks_until_the_loads_differ_by_less_than_two() {
    let (mut k, _hw) = boot(FRAMES);
    let kids: Vec<Pid> = (0..4).map(|_| fork(&mut k, 1)).collect();
    k.sched.set_online(2);
    let loads = |k: &Kernel| (k.cpu_load(0), k.cpu_load(1));
    assert_eq!(loads(&k), (5, 0));
    k.slice_end();
    assert_eq!(loads(&k), (4, 1));
    assert_eq!(queued(&k, 1), vec![kids[0]], "the first waiting");
    assert_eq!(k.sched.take_kicks(), 0b10, "the idle CPU is told");
    k.slice_end();
    assert_eq!(loads(&k), (3, 2));
    k.slice_end();
    assert_eq!(loads(&k), (3, 2), "one apart: left alone");
    assert_eq!(k.nr_running(), 5);
}

#[test]
fn an_affinity_change_moves_a_waiting_task() {
    let (mut k, _hw) = boot(FRAMES);
    let a = fork(&mut k, 1);
    k.sched.set_online(2);
    let s = scratch(&mut k, 1);
    write_user(&mut k, 1, s, &0b10u64.to_le_bytes()).unwrap();
    assert_eq!(syscall(&mut k, 1, nr::SCHED_SETAFFINITY, &[a as u64, 8, s]), 0);
    assert_eq!((queued(&k, 0), queued(&k, 1)), (vec![], vec![a]));
    assert_eq!(k.proc.tasks()[&a].cpu, 1);
    assert_eq!(k.sched.take_kicks(), 0b10);
}

#[test]
fn sched_yield_lets_the_waiting_tasks_run_first() {
    let (mut k, _hw) = boot(FRAMES);
    set_vruntime(&mut k, 1, 0);
    let a = fork(&mut k, 1);
    let b = fork(&mut k, 1);
    assert!(k.proc.tasks()[&1].vruntime < k.proc.tasks()[&a].vruntime, "the children start behind");
    k.yield_current();
    assert_eq!(k.proc.tasks()[&1].vruntime, k.proc.tasks()[&b].vruntime, "init behind b");
    assert_eq!(k.schedule(), Resched::Switch { prev: Some(1), next: Some(a) });
    assert_eq!(queued(&k, 0), vec![b, 1]);
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
    assert!(k.sched.rq(1).contains(1), "queued for CPU 1");
}
