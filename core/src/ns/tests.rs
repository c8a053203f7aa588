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

#[test]
fn a_user_namespace_lets_an_unprivileged_user_make_the_others() {
    let (mut k, _hw) = boot(2048);
    let base = Baseline::take(&k);
    let c = fork(&mut k, 1);
    assert_eq!(syscall(&mut k, c, nr::SETUID, &[1000]), 0);
    assert_eq!(syscall(&mut k, c, nr::UNSHARE, &[CloneFlags::NEWUSER.bits()]), 0);
    assert_eq!(k.ns.user.count(), 1);
    // No map yet: the overflow id.
    assert_eq!(syscall(&mut k, c, nr::GETUID, &[]), 65534);
    let ns = k.proc.tasks()[&c].cred.user_ns;
    let cred = k.proc.tasks()[&c].cred;
    assert_eq!(k.ns.user.write_map(ns, crate::ns::user::IdKind::Uid, &cred, b"0 1000 1"), Ok(()));
    assert_eq!(syscall(&mut k, c, nr::GETUID, &[]), 0);
    // The UTS namespace it is in belongs to the initial user namespace.
    assert_eq!(sethostname(&mut k, c, b"inner"), -(EPERM.0 as i64));
    assert_eq!(syscall(&mut k, c, nr::UNSHARE, &[CloneFlags::NEWUTS.bits()]), 0);
    assert_eq!(sethostname(&mut k, c, b"inner"), 0);
    assert_eq!(nodename(&mut k, c), b"inner");
    assert_eq!(nodename(&mut k, 1), b"tine");
    // A child shares the user namespace; the new UTS one holds it too.
    let g = fork(&mut k, c);
    assert_eq!(syscall(&mut k, g, nr::GETUID, &[]), 0);
    exit(&mut k, g, 0);
    reap(&mut k, c, g);
    exit(&mut k, c, 0);
    reap(&mut k, 1, c);
    assert_eq!(k.ns.user.count(), 0, "the user namespace went with its last user");
    assert_eq!(k.ns.counts(), (1, 1, 1, 1));
    base.check(&k, "after the user namespace's processes ended");
}

/// A NUL-terminated string in `pid`'s scratch memory at `off`.
fn cstr(k: &mut crate::kernel::Kernel, pid: u32, off: u64, s: &str) -> u64 {
    let a = scratch(k, pid) + off;
    let mut b = s.as_bytes().to_vec();
    b.push(0);
    write_user(k, pid, a, &b).unwrap();
    a
}

fn mount_tmpfs(k: &mut crate::kernel::Kernel, pid: u32, at: &str) -> i64 {
    let (src, dst, ty) = (cstr(k, pid, 0x100, "none"), cstr(k, pid, 0x200, at), cstr(k, pid, 0x300, "tmpfs"));
    syscall(k, pid, nr::MOUNT, &[src, dst, ty, 0, 0])
}

fn mkdir(k: &mut crate::kernel::Kernel, pid: u32, path: &str) -> i64 {
    let p = cstr(k, pid, 0x400, path);
    syscall(k, pid, nr::MKDIR, &[p, 0o755])
}

fn stat_dev(k: &mut crate::kernel::Kernel, pid: u32, path: &str) -> u64 {
    let p = cstr(k, pid, 0x400, path);
    let buf = scratch(k, pid) + 0x800;
    assert_eq!(syscall(k, pid, nr::STAT, &[p, buf]), 0, "stat {path}");
    u64::from_le_bytes(read_user(k, pid, buf, 8).unwrap().try_into().unwrap())
}

#[test]
fn mounts_after_clone_newns_stay_in_the_namespace() {
    let (mut k, _hw) = boot(2048);
    assert_eq!(mkdir(&mut k, 1, "/mnt"), 0);
    let base = Baseline::take(&k);
    let outside = stat_dev(&mut k, 1, "/mnt");
    let c = fork(&mut k, 1);
    // CLONE_NEWNS with CLONE_FS: EINVAL (copy_process()).
    assert_eq!(
        syscall(&mut k, c, nr::CLONE, &[(CloneFlags::NEWNS | CloneFlags::FS).bits() | SIGCHLD as u64, 0, 0, 0, 0]),
        -(EINVAL.0 as i64)
    );
    assert_eq!(syscall(&mut k, c, nr::UNSHARE, &[CloneFlags::NEWNS.bits()]), 0);
    assert_eq!(k.ns.mnt_count(), 2);
    assert_eq!(mount_tmpfs(&mut k, c, "/mnt"), 0);
    let inside = stat_dev(&mut k, c, "/mnt");
    assert_ne!(inside, outside, "a new instance inside");
    assert_eq!(stat_dev(&mut k, 1, "/mnt"), outside, "invisible outside");
    // A child forked inside shares the namespace.
    let g = fork(&mut k, c);
    assert_eq!(stat_dev(&mut k, g, "/mnt"), inside);
    // A mount made outside afterwards is not seen inside.
    assert_eq!(mkdir(&mut k, 1, "/mnt/out"), 0);
    assert_eq!(mount_tmpfs(&mut k, 1, "/mnt/out"), 0);
    assert_ne!(stat_dev(&mut k, 1, "/mnt/out"), outside);
    let p = cstr(&mut k, g, 0x400, "/mnt/out");
    assert_eq!(syscall(&mut k, g, nr::ACCESS, &[p, 0]), -(ENOENT.0 as i64));
    // Umount outside while the copy still mounts the same /tmp tree.
    let p = cstr(&mut k, 1, 0x400, "/mnt/out");
    assert_eq!(syscall(&mut k, 1, nr::UMOUNT2, &[p, 0]), 0);
    assert_eq!(mkdir(&mut k, 1, "/mnt/out"), -(EEXIST.0 as i64));
    let p = cstr(&mut k, 1, 0x400, "/mnt/out");
    assert_eq!(syscall(&mut k, 1, nr::RMDIR, &[p]), 0);
    exit(&mut k, g, 0);
    reap(&mut k, c, g);
    exit(&mut k, c, 0);
    reap(&mut k, 1, c);
    assert_eq!(k.ns.mnt_count(), 1, "the namespace went with its last process");
    assert_eq!(stat_dev(&mut k, 1, "/mnt"), outside);
    base.check(&k, "after the namespace's processes ended");
}

fn readlink(k: &mut crate::kernel::Kernel, pid: u32, path: &str) -> Result<alloc::string::String, i64> {
    let p = cstr(k, pid, 0x400, path);
    let buf = scratch(k, pid) + 0x800;
    let n = syscall(k, pid, nr::READLINK, &[p, buf, 256]);
    if n < 0 {
        return Err(n);
    }
    Ok(alloc::string::String::from_utf8(read_user(k, pid, buf, n as usize).unwrap()).unwrap())
}

/// The names getdents64 lists in directory `path` that are numbers.
fn pid_names(k: &mut crate::kernel::Kernel, pid: u32, path: &str) -> alloc::vec::Vec<u32> {
    let p = cstr(k, pid, 0x400, path);
    let fd = syscall(k, pid, nr::OPENAT, &[AT_FDCWD as i64 as u64, p, (O_RDONLY | O_DIRECTORY) as u64, 0]);
    assert!(fd >= 0, "open {path}: {fd}");
    let buf = scratch(k, pid) + 0x800;
    let mut out = alloc::vec::Vec::new();
    loop {
        let n = syscall(k, pid, nr::GETDENTS64, &[fd as u64, buf, 2048]);
        assert!(n >= 0, "getdents64 {path}: {n}");
        if n == 0 {
            break;
        }
        let raw = read_user(k, pid, buf, n as usize).unwrap();
        let mut off = 0;
        while off < raw.len() {
            let reclen = u16::from_le_bytes([raw[off + 16], raw[off + 17]]) as usize;
            let name: alloc::vec::Vec<u8> =
                raw[off + 19..off + reclen].iter().copied().take_while(|&b| b != 0).collect();
            if let Some(n) = core::str::from_utf8(&name).ok().and_then(|s| s.parse().ok()) {
                out.push(n);
            }
            off += reclen;
        }
    }
    assert_eq!(syscall(k, pid, nr::CLOSE, &[fd as u64]), 0);
    out
}

/// Linux: a proc instance shows the PID namespace of whoever mounted it
/// (proc_fill_super() takes task_active_pid_ns()), whoever reads it.
#[test]
fn a_proc_mounted_in_a_pid_namespace_shows_its_pids() {
    let (mut k, _hw) = boot(2048);
    let base = Baseline::take(&k);
    let c = fork(&mut k, 1);
    let flags = CloneFlags::NEWPID | CloneFlags::NEWNS;
    assert_eq!(syscall(&mut k, c, nr::UNSHARE, &[flags.bits()]), 0);
    let g = fork(&mut k, c);
    assert_eq!(syscall(&mut k, g, nr::GETPID, &[]), 1);
    // The old /proc still shows global numbers, even inside.
    assert_eq!(readlink(&mut k, g, "/proc/self"), Ok(alloc::format!("{g}")));
    let (src, dst, ty) =
        (cstr(&mut k, g, 0x100, "proc"), cstr(&mut k, g, 0x200, "/proc"), cstr(&mut k, g, 0x300, "proc"));
    assert_eq!(syscall(&mut k, g, nr::MOUNT, &[src, dst, ty, 0, 0]), 0);
    let h_nr = syscall(&mut k, g, nr::FORK, &[]);
    assert_eq!(h_nr, 2);
    assert_eq!(readlink(&mut k, g, "/proc/self"), Ok("1".into()));
    assert_eq!(pid_names(&mut k, g, "/proc"), [1, 2]);
    // stat's pid and ppid fields in the namespace's numbers.
    let p = cstr(&mut k, g, 0x400, "/proc/2/stat");
    let fd = syscall(&mut k, g, nr::OPENAT, &[AT_FDCWD as i64 as u64, p, 0, 0]);
    assert!(fd >= 0);
    let buf = scratch(&mut k, g) + 0x800;
    let n = syscall(&mut k, g, nr::READ, &[fd as u64, buf, 200]);
    let text = read_user(&mut k, g, buf, n as usize).unwrap();
    let fields: alloc::vec::Vec<&[u8]> = text.split(|&b| b == b' ').collect();
    assert_eq!((fields[0], fields[3]), (&b"2"[..], &b"1"[..]), "pid 2, parent 1");
    assert_eq!(syscall(&mut k, g, nr::CLOSE, &[fd as u64]), 0);
    // The outside keeps its /proc, with global numbers.
    let outside = pid_names(&mut k, 1, "/proc");
    assert!(outside.contains(&c) && outside.contains(&g));
    let h = k.ns.pid.find(2, k.pid_ns_of(g)).unwrap();
    exit(&mut k, h, 0);
    assert_eq!(crate::testkit::wait4(&mut k, g, -1, 0).0, 2);
    exit(&mut k, g, 0);
    reap(&mut k, c, g);
    exit(&mut k, c, 0);
    reap(&mut k, 1, c);
    assert_eq!(k.ns.counts(), (1, 1, 1, 1), "the proc instance let its namespace go");
    assert_eq!(k.ns.mnt_count(), 1);
    base.check(&k, "after the namespace's processes ended");
}

/// Linux: an open /proc/PID/ns file holds its namespace (nsfs), so a
/// namespace whose processes are all gone can still be joined through it.
#[test]
fn an_open_ns_file_keeps_its_namespace_for_setns() {
    let (mut k, _hw) = boot(2048);
    assert_eq!(mkdir(&mut k, 1, "/mnt"), 0);
    let base = Baseline::take(&k);
    let outside = stat_dev(&mut k, 1, "/mnt");
    let c = fork(&mut k, 1);
    let flags = CloneFlags::NEWUTS | CloneFlags::NEWNS;
    assert_eq!(syscall(&mut k, c, nr::UNSHARE, &[flags.bits()]), 0);
    assert_eq!(sethostname(&mut k, c, b"kept"), 0);
    assert_eq!(mount_tmpfs(&mut k, c, "/mnt"), 0);
    let inside = stat_dev(&mut k, c, "/mnt");
    let j = fork(&mut k, 1);
    let mut fds = alloc::vec::Vec::new();
    for ty in ["uts", "mnt"] {
        let p = cstr(&mut k, j, 0x400, &alloc::format!("/proc/{c}/ns/{ty}"));
        let fd = syscall(&mut k, j, nr::OPENAT, &[AT_FDCWD as i64 as u64, p, O_RDONLY as u64, 0]);
        assert!(fd >= 0, "open ns/{ty}: {fd}");
        fds.push(fd as u64);
    }
    exit(&mut k, c, 0);
    reap(&mut k, 1, c);
    assert_eq!(k.ns.mnt_count(), 2, "the open file holds the mount namespace");
    assert_eq!(syscall(&mut k, j, nr::SETNS, &[fds[0], CloneFlags::NEWUTS.bits()]), 0);
    assert_eq!(nodename(&mut k, j), b"kept");
    assert_eq!(syscall(&mut k, j, nr::SETNS, &[fds[1], 0]), 0);
    assert_eq!(stat_dev(&mut k, j, "/mnt"), inside, "the tmpfs mounted there");
    assert_eq!(stat_dev(&mut k, 1, "/mnt"), outside);
    for fd in fds {
        assert_eq!(syscall(&mut k, j, nr::CLOSE, &[fd]), 0);
    }
    exit(&mut k, j, 0);
    reap(&mut k, 1, j);
    assert_eq!(k.ns.mnt_count(), 1);
    assert_eq!(k.ns.counts(), (1, 1, 1, 1));
    base.check(&k, "after the last file and process let the namespaces go");
}
