//! PID namespaces: the number translation alone, then through the system
//! calls on the test kit's machine.

use crate::abi::*;
use crate::ns::pid::PidNamespaces;
use crate::proc::pid::PidMap;
use crate::testkit::{boot, exit, fork, getppid, reap, syscall, wait4, Baseline, WNOHANG};

#[test]
fn a_pid_has_one_number_per_level_and_is_invisible_above_its_reach() {
    let mut p = PidNamespaces::new();
    let mut global = PidMap::default();
    let init = p.init();
    for _ in 0..10 {
        global.alloc().unwrap();
    }
    let a = p.create(init, 100, crate::ns::INIT_USER_NS).unwrap();
    let b = p.create(a, 101, crate::ns::INIT_USER_NS).unwrap();
    // First in `b`: 1 there, 1 in `a`, 11 globally.
    let g1 = p.alloc(b, &mut global, &[]).unwrap();
    assert_eq!(g1, 11);
    assert_eq!((p.nr_in(g1, b), p.nr_in(g1, a), p.nr_in(g1, init)), (1, 1, 11));
    assert_eq!(p.ns_of(g1), b);
    // (the kernel makes it their init as it links the task in)
    p.get_mut(a).reaper = g1;
    p.get_mut(b).reaper = g1;
    // One in `a` only: 2 in `a`, not visible in `b`.
    let g2 = p.alloc(a, &mut global, &[]).unwrap();
    assert_eq!((p.nr_in(g2, a), p.nr_in(g2, b)), (2, 0));
    assert_eq!(p.find(2, a), Some(g2));
    assert_eq!(p.find(2, b), None);
    assert_eq!(p.find(1, b), Some(g1));
    // A global-only pid is nobody's in `a`.
    assert_eq!(p.nr_in(5, a), 0);
    // set_tid: innermost first; too many entries is EINVAL, a taken
    // number EEXIST, and nothing is kept from a failed attempt.
    assert_eq!(p.alloc(b, &mut global, &[7, 9, 500, 1]), Err(EINVAL));
    assert_eq!(p.alloc(b, &mut global, &[7, 2, 500]), Err(EEXIST));
    let g3 = p.alloc(b, &mut global, &[7, 9, 500]).unwrap();
    assert_eq!(g3, 500);
    assert_eq!((p.nr_in(g3, b), p.nr_in(g3, a)), (7, 9));
    assert_eq!(p.levels(g3), [init, a, b]);
    // Freed numbers are free at every level.
    p.release(g3);
    assert_eq!(p.find(7, b), None);
    assert_eq!(p.find(9, a), None);
    // Closed to newcomers once its init died: ENOMEM.
    p.disable_alloc(b);
    let before = global.in_use();
    assert_eq!(p.alloc(b, &mut global, &[]), Err(ENOMEM));
    assert_eq!(global.in_use(), before, "the global number went back");
    // A namespace's first process must be its init.
    let c = p.create(a, 102, crate::ns::INIT_USER_NS).unwrap();
    assert_eq!(p.alloc(c, &mut global, &[5]), Err(EINVAL));
    // The namespaces go with their last user.
    p.release(g1);
    p.release(g2);
    p.put(c);
    p.put(b);
    assert_eq!(p.count(), 2, "a is still held by its creator");
    p.put(a);
    assert_eq!(p.count(), 1);
}

#[test]
fn nesting_stops_at_32_levels() {
    let mut p = PidNamespaces::new();
    let mut ns = p.init();
    for i in 0..32 {
        ns = p.create(ns, 200 + i, crate::ns::INIT_USER_NS).unwrap();
    }
    assert_eq!(p.get(ns).level(), 32);
    assert_eq!(p.create(ns, 300, crate::ns::INIT_USER_NS).map(|_| ()), Err(ENOSPC));
}

/// The global number of `nr` as `viewer` names it.
fn global_of(k: &crate::kernel::Kernel, viewer: u32, nr: i64) -> u32 {
    k.ns.pid.find(nr as u32, k.pid_ns_of(viewer)).expect("visible")
}

#[test]
fn a_new_pid_namespace_has_its_own_init_and_dies_with_it() {
    let (mut k, _hw) = boot(2048);
    let base = Baseline::take(&k);
    let c = fork(&mut k, 1);
    assert_eq!(syscall(&mut k, c, nr::UNSHARE, &[CloneFlags::NEWPID.bits()]), 0);
    // unshare changes where children go, not the caller.
    assert_eq!(syscall(&mut k, c, nr::GETPID, &[]), c as i64);
    // A second one before a child exists is EINVAL (pid_for_children is
    // not the caller's own any more); so is a thread.
    assert_eq!(syscall(&mut k, c, nr::UNSHARE, &[CloneFlags::NEWPID.bits()]), err(EINVAL));
    let g = fork(&mut k, c);
    assert_eq!(syscall(&mut k, g, nr::GETPID, &[]), 1);
    assert_eq!(syscall(&mut k, g, nr::GETTID, &[]), 1);
    assert_eq!(getppid(&mut k, g), 0, "its parent is outside");
    // g's children: numbers in g's namespace, g their parent.
    let h_nr = syscall(&mut k, g, nr::FORK, &[]);
    assert_eq!(h_nr, 2);
    let h = global_of(&k, g, h_nr);
    assert_eq!(getppid(&mut k, h), 1);
    let i_nr = syscall(&mut k, h, nr::FORK, &[]);
    let i = global_of(&k, h, i_nr);
    // The outside sees the outer numbers; the inside cannot see out.
    assert_eq!(syscall(&mut k, g, nr::KILL, &[h as u64 + 40, 0]), err(ESRCH));
    assert_eq!(syscall(&mut k, g, nr::GETPGID, &[2]), 0, "h's group is outside");
    assert_eq!(syscall(&mut k, c, nr::KILL, &[h as u64, 0]), 0);
    // An orphan goes to the namespace's init, not to global init.
    exit(&mut k, h, 0);
    assert_eq!(k.proc.tasks()[&i].parent, g);
    assert_eq!(getppid(&mut k, i), 1);
    let (r, _) = wait4(&mut k, g, -1, WNOHANG);
    assert_eq!(r, 2, "g reaps h by its number in g's namespace");
    // The init ignores SIGKILL from inside, not from outside.
    assert_eq!(syscall(&mut k, i, nr::KILL, &[1, SIGKILL as u64]), 0);
    assert!(k.proc.tasks()[&g].state != crate::proc::TaskState::Zombie);
    // g exits: i is killed, and g is reported only once i is gone.
    exit(&mut k, g, 0);
    assert!(k.deliverable_set(i).has(SIGKILL));
    assert_eq!(wait4(&mut k, c, g as i32, WNOHANG).0, 0, "g waits for its namespace to empty");
    // Nobody can join a dead namespace.
    assert_eq!(syscall(&mut k, c, nr::FORK, &[]), err(ENOMEM));
    exit(&mut k, i, SIGKILL as i32);
    assert_eq!(reap(&mut k, c, g), 0);
    exit(&mut k, c, 0);
    reap(&mut k, 1, c);
    assert_eq!(k.ns.counts(), (1, 1, 1, 1), "only the initial namespaces are left");
    base.check(&k, "after the namespace's processes ended");
}

fn err(e: Errno) -> i64 {
    -(e.0 as i64)
}
