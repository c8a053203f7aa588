//! Waiting for descriptors to become ready: poll and ppoll (Linux:
//! fs/select.c, do_sys_poll()).
//!
//! Readiness is asked of each file kind (Linux: each file's `->poll`).
//! A poller with nothing ready sleeps until pipe or console activity (or
//! its deadline) wakes it, then runs the whole call again.

use alloc::vec::Vec;

use crate::abi::*;
use crate::fs::file::FileKind;
use crate::fs::pipe::PIPE_CAPACITY;
use crate::kernel::Kernel;
use crate::proc::WaitReason;

pub const POLLIN: u16 = 0x001;
pub const POLLOUT: u16 = 0x004;
pub const POLLERR: u16 = 0x008;
pub const POLLHUP: u16 = 0x010;
pub const POLLNVAL: u16 = 0x020;
pub const POLLRDNORM: u16 = 0x040;
pub const POLLWRNORM: u16 = 0x100;

impl Kernel {
    /// What descriptor `fd` is ready for now (Linux: vfs_poll()).
    pub fn poll_fd(&mut self, fd: i32) -> u16 {
        let Ok(id) = self.fd_file(fd) else { return POLLNVAL };
        let f = self.files.get(id);
        let (readable, writable) = (f.readable(), f.writable());
        let mut ready = match f.kind {
            FileKind::Pipe { pipe, write_end } => {
                let p = self.pipes.get_mut(pipe);
                if write_end {
                    if p.readers == 0 {
                        POLLOUT | POLLWRNORM | POLLERR
                    } else if PIPE_CAPACITY - p.buf.len() >= 4096 {
                        POLLOUT | POLLWRNORM
                    } else {
                        0
                    }
                } else {
                    let mut r = if p.buf.is_empty() { 0 } else { POLLIN | POLLRDNORM };
                    if p.writers == 0 {
                        r |= POLLHUP;
                    }
                    r
                }
            }
            // The console's input is not buffered in the kernel yet, so it
            // cannot be asked whether a read would block: it reports only
            // that writing never blocks.
            FileKind::Console => POLLOUT | POLLWRNORM,
            // Readable once the process has exited (Linux: pidfd_poll()).
            FileKind::Pidfd { .. } => match self.pidfd_target(id) {
                Ok(Some(p)) if !self.tasks[&p].is_zombie() => 0,
                _ => POLLIN | POLLRDNORM,
            },
            _ => POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM,
        };
        if !readable {
            ready &= !(POLLIN | POLLRDNORM);
        }
        if !writable {
            ready &= !(POLLOUT | POLLWRNORM);
        }
        ready
    }

    /// Wake every task sleeping in poll: something it may wait for changed.
    pub fn wake_pollers(&mut self) {
        let sleeping: Vec<_> =
            self.tasks.values().filter(|t| matches!(t.state, crate::proc::TaskState::Blocked(WaitReason::Poll { .. }))).map(|t| t.tid).collect();
        for t in sleeping {
            self.wake(t);
        }
    }
}

/// Linux: do_sys_poll(). `deadline`: None waits forever.
fn do_poll(k: &mut Kernel, fds: u64, nfds: u64, deadline: Option<u64>) -> SysResult {
    if nfds > k.rlimit(RLIMIT_NOFILE).cur {
        return Err(EINVAL);
    }
    let mut raw = alloc::vec![0u8; nfds as usize * 8];
    k.copy_in(fds, &mut raw)?;
    let mut count = 0;
    for e in raw.chunks_mut(8) {
        let fd = i32::from_le_bytes(e[0..4].try_into().expect("4 bytes"));
        let events = u16::from_le_bytes(e[4..6].try_into().expect("2 bytes"));
        let revents = if fd < 0 { 0 } else { k.poll_fd(fd) & (events | POLLERR | POLLHUP | POLLNVAL) };
        e[6..8].copy_from_slice(&revents.to_le_bytes());
        if revents != 0 {
            count += 1;
        }
    }
    let expired = deadline.is_some_and(|d| k.now_ns() >= d);
    if count > 0 || expired {
        k.cur_mut().sleep_deadline = None;
        k.copy_out(fds, &raw)?;
        return Ok(count);
    }
    Err(k.block_current(WaitReason::Poll { until_ns: deadline }))
}

/// poll(2): `timeout` in milliseconds, negative for none.
pub fn poll(k: &mut Kernel, fds: u64, nfds: u64, timeout: i32) -> SysResult {
    let deadline = match k.cur().sleep_deadline {
        Some(d) => Some(d),
        None if timeout >= 0 => Some(k.now_ns() + timeout as u64 * 1_000_000),
        None => None,
    };
    k.cur_mut().sleep_deadline = deadline;
    do_poll(k, fds, nfds, deadline)
}

/// ppoll(2): a timespec timeout (NULL for none) and a signal mask to hold
/// while waiting (recorded; handlers arrive with the signal subsystem).
pub fn ppoll(k: &mut Kernel, fds: u64, nfds: u64, tsp: u64, sigmask: u64, sigsetsize: u64) -> SysResult {
    if sigmask != 0 && sigsetsize != 8 {
        return Err(EINVAL);
    }
    let deadline = match k.cur().sleep_deadline {
        Some(d) => Some(d),
        None if tsp != 0 => {
            let (s, ns) = k.read_timespec(tsp)?;
            Some(k.now_ns().saturating_add((s as u64).saturating_mul(1_000_000_000)).saturating_add(ns as u64))
        }
        None => None,
    };
    k.cur_mut().sleep_deadline = deadline;
    do_poll(k, fds, nfds, deadline)
}
