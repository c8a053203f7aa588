//! Namespaces through the system calls, on the test kit's machine.

use crate::abi::*;
use crate::testkit::{boot, exit, fork, read_user, reap, scratch, syscall, write_user, Baseline};

/// uname(2)'s node name as `pid` sees it.
fn nodename(k: &mut crate::kernel::Kernel, pid: u32) -> alloc::vec::Vec<u8> {
    let s = scratch(k, pid);
    assert_eq!(syscall(k, pid, nr::UNAME, &[s]), 0);
    let raw = read_user(k, pid, s + UTSNAME_FIELD as u64, UTSNAME_FIELD).unwrap();
    raw.iter().copied().take_while(|&b| b != 0).collect()
}

fn sethostname(k: &mut crate::kernel::Kernel, pid: u32, name: &[u8]) -> i64 {
    let s = scratch(k, pid) + 0x800;
    write_user(k, pid, s, name).unwrap();
    syscall(k, pid, nr::SETHOSTNAME, &[s, name.len() as u64])
}

#[test]
fn a_new_uts_namespace_keeps_its_host_name_to_itself() {
    let (mut k, _hw) = boot(2048);
    let base = Baseline::take(&k);
    let c = fork(&mut k, 1);
    let g = fork(&mut k, c);
    assert_eq!(syscall(&mut k, c, nr::UNSHARE, &[CloneFlags::NEWUTS.bits()]), 0);
    // The new namespace starts as a copy of the old one.
    assert_eq!(nodename(&mut k, c), b"tine");
    assert_eq!(sethostname(&mut k, c, b"inner"), 0);
    assert_eq!(nodename(&mut k, c), b"inner");
    // Neither the parent nor the child forked before the unshare sees it.
    assert_eq!(nodename(&mut k, 1), b"tine");
    assert_eq!(nodename(&mut k, g), b"tine");
    // A child forked after it shares it.
    let h = fork(&mut k, c);
    assert_eq!(nodename(&mut k, h), b"inner");
    assert_eq!(sethostname(&mut k, h, b"x"), 0);
    assert_eq!(nodename(&mut k, c), b"x");
    // Two nsproxies: the initial one (1, g) and c's (shared by h).
    assert_eq!(k.ns.counts(), (2, 2, 1, 1));
    for (p, ch) in [(c, h), (c, g)] {
        exit(&mut k, ch, 0);
        reap(&mut k, p, ch);
    }
    exit(&mut k, c, 0);
    reap(&mut k, 1, c);
    assert_eq!(k.ns.counts(), (1, 1, 1, 1), "only the initial namespaces are left");
    base.check(&k, "after the namespace's processes ended");
}

#[test]
fn namespace_calls_check_privilege_and_flags_as_linux() {
    let (mut k, _hw) = boot(2048);
    let c = fork(&mut k, 1);
    // Names longer than 64 bytes, or negative lengths.
    let s = scratch(&mut k, c);
    assert_eq!(syscall(&mut k, c, nr::SETHOSTNAME, &[s, 65]), -(EINVAL.0 as i64));
    assert_eq!(syscall(&mut k, c, nr::SETHOSTNAME, &[s, u32::MAX as u64]), -(EINVAL.0 as i64));
    assert_eq!(syscall(&mut k, c, nr::SETHOSTNAME, &[0, 4]), -(EFAULT.0 as i64));
    // Bits unshare does not take, and namespaces Tine does not have yet.
    assert_eq!(syscall(&mut k, c, nr::UNSHARE, &[CloneFlags::PARENT.bits()]), -(EINVAL.0 as i64));
    // CLONE_VM from a process that shares nothing: nothing to do.
    assert_eq!(syscall(&mut k, c, nr::UNSHARE, &[CloneFlags::VM.bits()]), 0);
    assert_eq!(syscall(&mut k, c, nr::UNSHARE, &[CloneFlags::NEWNET.bits()]), -(EINVAL.0 as i64));
    assert_eq!(syscall(&mut k, c, nr::UNSHARE, &[CloneFlags::NEWUSER.bits()]), -(EINVAL.0 as i64));
    // CLONE_FILES and CLONE_FS alone are always allowed.
    assert_eq!(syscall(&mut k, c, nr::UNSHARE, &[(CloneFlags::FILES | CloneFlags::FS).bits()]), 0);
    // As uid 1000: EPERM for the names and for new namespaces.
    assert_eq!(syscall(&mut k, c, nr::SETUID, &[1000]), 0);
    assert_eq!(syscall(&mut k, c, nr::SETHOSTNAME, &[s, 4]), -(EPERM.0 as i64));
    assert_eq!(syscall(&mut k, c, nr::UNSHARE, &[CloneFlags::NEWUTS.bits()]), -(EPERM.0 as i64));
    assert_eq!(
        syscall(&mut k, c, nr::CLONE, &[CloneFlags::NEWUTS.bits() | SIGCHLD as u64, 0, 0, 0, 0]),
        -(EPERM.0 as i64)
    );
}
