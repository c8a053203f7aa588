//! Each kind's operations, and the defaults for what a kind lacks, as the
//! system calls see them (Linux's errnos: fs/read_write.c, fs/ioctl.c,
//! fs/readdir.c, fs/sync.c, fs/pipe.c, drivers/char/mem.c).

use crate::abi::*;
use crate::kernel::Kernel;
use crate::proc::Pid;
use crate::testkit::*;

const TCGETS: u64 = 0x5401;

fn open(k: &mut Kernel, pid: Pid, path: &str, flags: u32) -> i64 {
    let s = scratch(k, pid);
    let mut p = path.as_bytes().to_vec();
    p.push(0);
    write_user(k, pid, s, &p).unwrap();
    syscall(k, pid, nr::OPENAT, &[AT_FDCWD as i64 as u64, s, flags as u64, 0o644])
}

/// A pipe's two descriptors, read end first.
fn pipe(k: &mut Kernel, pid: Pid) -> (u64, u64) {
    let s = scratch(k, pid) + 512;
    assert_eq!(syscall(k, pid, nr::PIPE2, &[s, O_NONBLOCK as u64]), 0);
    let b = read_user(k, pid, s, 8).unwrap();
    (u32::from_le_bytes(b[0..4].try_into().unwrap()) as u64, u32::from_le_bytes(b[4..8].try_into().unwrap()) as u64)
}

#[test]
fn pipes_are_streams() {
    let (mut k, _hw) = boot(2048);
    let buf = scratch(&mut k, 1) + 1024;
    let (r, w) = pipe(&mut k, 1);
    assert_eq!(syscall(&mut k, 1, nr::LSEEK, &[r, 0, 0]), err(ESPIPE));
    assert_eq!(syscall(&mut k, 1, nr::PREAD64, &[r, buf, 1, 0]), err(ESPIPE));
    assert_eq!(syscall(&mut k, 1, nr::FSYNC, &[w]), err(EINVAL));
    assert_eq!(syscall(&mut k, 1, nr::GETDENTS64, &[r, buf, 512]), err(ENOTDIR));
    assert_eq!(syscall(&mut k, 1, nr::IOCTL, &[r, TCGETS, buf]), err(ENOTTY));
    assert_eq!(syscall(&mut k, 1, nr::READ, &[r, buf, 4]), err(EAGAIN), "empty, O_NONBLOCK");
    write_user(&mut k, 1, buf, b"abc").unwrap();
    assert_eq!(syscall(&mut k, 1, nr::WRITE, &[w, buf, 3]), 3);
    assert_eq!(syscall(&mut k, 1, nr::IOCTL, &[r, FIONREAD as u64, buf]), 0);
    assert_eq!(read_u32(&mut k, 1, buf), Ok(3));
    assert_eq!(syscall(&mut k, 1, nr::READ, &[r, buf + 8, 8]), 3, "a pipe read gives what it holds");
    assert_eq!(read_user(&mut k, 1, buf + 8, 3).unwrap(), b"abc");
    assert_eq!(syscall(&mut k, 1, nr::FSTAT, &[r, buf]), 0);
    let mode = read_u32(&mut k, 1, buf + 24).unwrap();
    assert_eq!(mode & S_IFMT, S_IFIFO);
}

#[test]
fn devices_and_ramfs_files() {
    let (mut k, _hw) = boot(2048);
    let buf = scratch(&mut k, 1) + 1024;
    let null = open(&mut k, 1, "/dev/null", O_RDWR) as u64;
    assert_eq!(syscall(&mut k, 1, nr::LSEEK, &[null, 100, 2]), 0, "every seek lands at 0");
    assert_eq!(syscall(&mut k, 1, nr::LSEEK, &[null, 0, 5]), err(EINVAL));
    assert_eq!(syscall(&mut k, 1, nr::IOCTL, &[null, TCGETS, buf]), err(ENOTTY));
    assert_eq!(syscall(&mut k, 1, nr::READ, &[null, buf, 8]), 0);
    let zero = open(&mut k, 1, "/dev/zero", O_RDONLY) as u64;
    write_user(&mut k, 1, buf, &[7; 8]).unwrap();
    assert_eq!(syscall(&mut k, 1, nr::READ, &[zero, buf, 8]), 8);
    assert_eq!(read_user(&mut k, 1, buf, 8).unwrap(), [0; 8]);
    assert_eq!(syscall(&mut k, 1, nr::FSYNC, &[zero]), err(EINVAL));
    let dir = open(&mut k, 1, "/tmp", O_RDONLY | O_DIRECTORY) as u64;
    assert_eq!(syscall(&mut k, 1, nr::READ, &[dir, buf, 8]), err(EISDIR));
    assert_eq!(syscall(&mut k, 1, nr::FSYNC, &[dir]), 0);
    let f = open(&mut k, 1, "/tmp/f", O_RDWR | O_CREAT) as u64;
    write_user(&mut k, 1, buf, b"hello").unwrap();
    assert_eq!(syscall(&mut k, 1, nr::WRITE, &[f, buf, 5]), 5);
    assert_eq!(syscall(&mut k, 1, nr::GETDENTS64, &[f, buf, 512]), err(ENOTDIR));
    assert_eq!(syscall(&mut k, 1, nr::LSEEK, &[f, 1, 0]), 1);
    assert_eq!(syscall(&mut k, 1, nr::IOCTL, &[f, FIONREAD as u64, buf]), 0);
    assert_eq!(read_u32(&mut k, 1, buf), Ok(4));
    assert_eq!(syscall(&mut k, 1, nr::LSEEK, &[f, 0, 4]), 5, "SEEK_HOLE: at the end");
    assert_eq!(syscall(&mut k, 1, nr::PREAD64, &[f, buf, 16, 1]), 4);
    assert_eq!(read_user(&mut k, 1, buf, 4).unwrap(), b"ello");
}

/// eventfd and epoll (as timerfd and signalfd) keep no position: lseek
/// answers the offset unchanged (Linux: noop_llseek()), pread is ESPIPE.
#[test]
fn event_files_have_no_position() {
    let (mut k, _hw) = boot(2048);
    let buf = scratch(&mut k, 1) + 1024;
    let efd = syscall(&mut k, 1, nr::EVENTFD2, &[0, 0]);
    let ep = syscall(&mut k, 1, nr::EPOLL_CREATE1, &[0]);
    assert!(efd >= 0 && ep >= 0);
    for fd in [efd as u64, ep as u64] {
        assert_eq!(syscall(&mut k, 1, nr::LSEEK, &[fd, 5, 0]), 0);
        assert_eq!(syscall(&mut k, 1, nr::PREAD64, &[fd, buf, 8, 0]), err(ESPIPE));
    }
}
