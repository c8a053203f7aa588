//! chroot(2) and pivot_root(2) through the system calls, on the test
//! kit's machine: where paths lead, and that every inode reference the
//! roots take is given back.

use crate::abi::*;
use crate::kernel::Kernel;
use crate::testkit::{boot, exit, fork, reap, scratch, syscall, write_user, Baseline};

fn cstr(k: &mut Kernel, pid: u32, off: u64, s: &str) -> u64 {
    let a = scratch(k, pid) + off;
    let mut b = s.as_bytes().to_vec();
    b.push(0);
    write_user(k, pid, a, &b).unwrap();
    a
}

fn call1(k: &mut Kernel, pid: u32, nr: u64, path: &str) -> i64 {
    let p = cstr(k, pid, 0x400, path);
    syscall(k, pid, nr, &[p, 0o755])
}

fn exists(k: &mut Kernel, pid: u32, path: &str) -> bool {
    let p = cstr(k, pid, 0x400, path);
    syscall(k, pid, nr::ACCESS, &[p, 0]) == 0
}

fn mount_tmpfs(k: &mut Kernel, pid: u32, at: &str) -> i64 {
    let (src, dst, ty) = (cstr(k, pid, 0x100, "none"), cstr(k, pid, 0x200, at), cstr(k, pid, 0x300, "tmpfs"));
    syscall(k, pid, nr::MOUNT, &[src, dst, ty, 0, 0])
}

fn pivot(k: &mut Kernel, pid: u32, new: &str, old: &str) -> i64 {
    let (a, b) = (cstr(k, pid, 0x100, new), cstr(k, pid, 0x200, old));
    syscall(k, pid, nr::PIVOT_ROOT, &[a, b])
}

#[test]
fn chroot_confines_absolute_paths_and_dotdot() {
    let (mut k, _hw) = boot(2048);
    assert_eq!(call1(&mut k, 1, nr::MKDIR, "/jail"), 0);
    assert_eq!(call1(&mut k, 1, nr::MKDIR, "/jail/in"), 0);
    let base = Baseline::take(&k);
    let c = fork(&mut k, 1);
    assert_eq!(call1(&mut k, c, nr::CHROOT, "/missing"), -(ENOENT.0 as i64));
    assert_eq!(call1(&mut k, c, nr::CHROOT, "/jail"), 0);
    assert!(exists(&mut k, c, "/in"));
    assert!(exists(&mut k, c, "/../../in"));
    assert!(!exists(&mut k, c, "/jail"));
    // The cwd stays outside: relative paths still reach there.
    assert!(exists(&mut k, c, "jail/in"));
    // The parent is not confined; a grandchild is.
    assert!(exists(&mut k, 1, "/jail/in"));
    let g = fork(&mut k, c);
    assert!(exists(&mut k, g, "/in"));
    exit(&mut k, g, 0);
    reap(&mut k, c, g);
    exit(&mut k, c, 0);
    reap(&mut k, 1, c);
    base.check(&k, "after the chrooted processes ended");
}

#[test]
fn pivot_root_moves_the_root_mount_and_the_processes() {
    let (mut k, _hw) = boot(2048);
    assert_eq!(call1(&mut k, 1, nr::MKDIR, "/top"), 0);
    let base = Baseline::take(&k);
    let c = fork(&mut k, 1);
    assert_eq!(syscall(&mut k, c, nr::UNSHARE, &[crate::abi::CloneFlags::NEWNS.bits()]), 0);
    assert_eq!(mount_tmpfs(&mut k, c, "/top"), 0);
    assert_eq!(call1(&mut k, c, nr::MKDIR, "/top/new"), 0);
    assert_eq!(mount_tmpfs(&mut k, c, "/top/new"), 0);
    assert_eq!(call1(&mut k, c, nr::MKDIR, "/top/new/old"), 0);
    assert_eq!(call1(&mut k, c, nr::MKDIR, "/top/new/marker"), 0);
    // The boot root is rootfs, which has no parent mount.
    assert_eq!(pivot(&mut k, c, "/top/new", "/top/new/old"), -(EINVAL.0 as i64));
    assert_eq!(call1(&mut k, c, nr::CHROOT, "/top"), 0);
    assert_eq!(call1(&mut k, c, nr::CHDIR, "/"), 0);
    let g = fork(&mut k, c);
    assert_eq!(pivot(&mut k, c, "/new", "/"), -(EBUSY.0 as i64));
    assert_eq!(pivot(&mut k, c, "/new", "/new/old"), 0);
    assert!(exists(&mut k, c, "/marker"));
    assert!(exists(&mut k, c, "/old/new"));
    // The other process whose root was the old one moved too.
    assert!(exists(&mut k, g, "/marker"));
    let p = cstr(&mut k, c, 0x400, "/old");
    assert_eq!(syscall(&mut k, c, nr::UMOUNT2, &[p, 2]), 0);
    assert!(!exists(&mut k, c, "/old/new"));
    exit(&mut k, g, 0);
    reap(&mut k, c, g);
    exit(&mut k, c, 0);
    reap(&mut k, 1, c);
    assert!(exists(&mut k, 1, "/top"));
    base.check(&k, "after the pivoted namespace ended");
}
