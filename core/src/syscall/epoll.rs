//! epoll_create, epoll_create1, epoll_ctl, epoll_wait, epoll_pwait and
//! epoll_pwait2 (Linux: fs/eventpoll.c); the instance is
//! `fs::ops::epoll`. A wait with nothing ready sleeps with the pollers
//! (`WaitReason::Poll`) and runs again at each wake-up, its deadline kept
//! across the runs as poll's is.

use crate::abi::*;
use crate::fs::file::{FileId, FileKind};
use crate::fs::ops::epoll::{self, Item, MAX_NESTS};
use crate::kernel::Kernel;
use crate::proc::WaitReason;

/// Linux: EP_MAX_EVENTS, INT_MAX / sizeof(struct epoll_event).
const MAX_EVENTS: i32 = i32::MAX / 12;
/// The events an EPOLLEXCLUSIVE item may ask for (Linux:
/// EPOLLEXCLUSIVE_OK_BITS).
const EXCLUSIVE_OK: u32 =
    (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM | POLLERR | POLLHUP) as u32 | EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE;
/// Linux: CAP_BLOCK_SUSPEND, which EPOLLWAKEUP needs (else it is dropped).
const CAP_BLOCK_SUSPEND: u32 = 36;

/// epoll_create(2): `size` is only checked (Linux: > 0).
pub fn epoll_create(k: &mut Kernel, size: i32) -> SysResult {
    if size <= 0 {
        return Err(EINVAL);
    }
    epoll_create1(k, 0)
}

/// epoll_create1(2): EINVAL for flags other than EPOLL_CLOEXEC.
pub fn epoll_create1(k: &mut Kernel, flags: u32) -> SysResult {
    if flags & !EPOLL_CLOEXEC != 0 {
        return Err(EINVAL);
    }
    let ep = k.vfs.epolls_mut().create();
    let id = k.vfs.files_mut().open(FileKind::Epoll { ep }, O_RDWR, None);
    k.install_fd(id, flags & EPOLL_CLOEXEC != 0, 0)
}

/// Whether instance `from` reaches instance `to` through its items, or
/// nests deeper than Linux allows (Linux: ep_loop_check()).
fn loops(k: &Kernel, from: u32, to: u32, depth: usize) -> bool {
    if from == to || depth > MAX_NESTS {
        return true;
    }
    k.vfs
        .epolls()
        .get(from)
        .items
        .iter()
        .filter_map(|it| epoll::instance_of(k, it.file))
        .any(|inner| loops(k, inner, to, depth + 1))
}

/// epoll_ctl(2) (Linux: do_epoll_ctl(), with its order of errors).
pub fn epoll_ctl(k: &mut Kernel, epfd: i32, op: i32, fd: i32, event: u64) -> SysResult {
    let mut ev = EpollEvent::default();
    if op != EPOLL_CTL_DEL {
        ev = k.read_val(event)?;
    }
    let ep_file = k.fd_file(epfd)?;
    let target = k.fd_file(fd)?;
    if !k.vfs.files().get(target).kind.ops().can_poll() {
        return Err(EPERM);
    }
    let mut events = ev.events;
    if events & EPOLLWAKEUP != 0 && !k.cur_cred().capable(CAP_BLOCK_SUSPEND) {
        events &= !EPOLLWAKEUP;
    }
    let Some(ep) = epoll::instance_of(k, ep_file).filter(|_| ep_file != target) else {
        return Err(EINVAL);
    };
    if op != EPOLL_CTL_DEL && events & EPOLLEXCLUSIVE != 0 {
        if op == EPOLL_CTL_MOD {
            return Err(EINVAL);
        }
        if op == EPOLL_CTL_ADD && (epoll::instance_of(k, target).is_some() || events & !EXCLUSIVE_OK != 0) {
            return Err(EINVAL);
        }
    }
    if op == EPOLL_CTL_ADD {
        if let Some(inner) = epoll::instance_of(k, target) {
            if loops(k, inner, ep, 1) {
                return Err(ELOOP);
            }
        }
    }
    let at = k.vfs.epolls().get(ep).items.iter().position(|it| it.file == target && it.fd == fd);
    match (op, at) {
        (EPOLL_CTL_ADD, None) => {
            let events = events | (POLLERR | POLLHUP) as u32;
            k.vfs.epolls_mut().get_mut(ep).items.push(Item {
                fd,
                file: target,
                events,
                data: ev.data,
                seen: 0,
                seen_wakeups: 0,
            });
        }
        (EPOLL_CTL_ADD, Some(_)) => return Err(EEXIST),
        (EPOLL_CTL_DEL, Some(i)) => {
            k.vfs.epolls_mut().get_mut(ep).items.remove(i);
        }
        (EPOLL_CTL_MOD, Some(i)) => {
            let it = &mut k.vfs.epolls_mut().get_mut(ep).items[i];
            if it.events & EPOLLEXCLUSIVE != 0 {
                return Err(EINVAL);
            }
            it.events = events | (POLLERR | POLLHUP) as u32;
            it.data = ev.data;
            // A re-armed item reports what is ready now (Linux:
            // ep_modify() polls it again).
            it.seen = 0;
            it.seen_wakeups = 0;
        }
        (EPOLL_CTL_DEL | EPOLL_CTL_MOD, None) => return Err(ENOENT),
        _ => return Err(EINVAL),
    }
    // Whoever waits on this instance looks again.
    k.wake_pollers();
    Ok(0)
}

/// The checks every wait makes first (Linux: do_epoll_wait()): the
/// instance behind `epfd`.
fn wait_target(k: &mut Kernel, epfd: i32, events: u64, maxevents: i32) -> SysResult<u32> {
    if maxevents <= 0 || maxevents > MAX_EVENTS {
        return Err(EINVAL);
    }
    crate::mm::uaccess::access_ok(events, maxevents as usize * core::mem::size_of::<EpollEvent>())?;
    let id: FileId = k.fd_file(epfd)?;
    epoll::instance_of(k, id).ok_or(EINVAL)
}

/// Linux: ep_poll(): the ready events copied out, or sleep until the
/// deadline (None: forever).
fn do_wait(k: &mut Kernel, ep: u32, events: u64, maxevents: i32, deadline: Option<u64>) -> SysResult {
    let ready = epoll::collect(k, ep, maxevents as usize);
    if !ready.is_empty() {
        k.write_vals(events, &ready)?;
        return Ok(ready.len());
    }
    if deadline.is_some_and(|d| k.now_ns() >= d) {
        return Ok(0);
    }
    Err(k.block_current(WaitReason::Poll { until_ns: deadline }))
}

/// A millisecond timeout (negative: none) as poll's first-run deadline.
fn ms_timeout(timeout: i32) -> Option<(u64, u64)> {
    (timeout >= 0).then(|| (timeout as u64 / 1000, (timeout as u64 % 1000) * 1_000_000))
}

/// epoll_wait(2).
pub fn epoll_wait(k: &mut Kernel, epfd: i32, events: u64, maxevents: i32, timeout: i32) -> SysResult {
    epoll_pwait(k, epfd, events, maxevents, timeout, 0, 0)
}

/// epoll_pwait(2): with a signal mask held while waiting.
pub fn epoll_pwait(
    k: &mut Kernel,
    epfd: i32,
    events: u64,
    maxevents: i32,
    timeout: i32,
    sigmask: u64,
    sigsetsize: u64,
) -> SysResult {
    let r = super::poll::deadline(k, |_| Ok(ms_timeout(timeout))).and_then(|(d, _)| {
        let ep = wait_target(k, epfd, events, maxevents)?;
        super::poll::check_sigmask(k, sigmask, sigsetsize)?;
        do_wait(k, ep, events, maxevents, d)
    });
    let r = super::poll::finish(k, r);
    super::poll::restore_sigmask(k, r)
}

/// epoll_pwait2(2): a timespec timeout (NULL: none).
pub fn epoll_pwait2(
    k: &mut Kernel,
    epfd: i32,
    events: u64,
    maxevents: i32,
    tsp: u64,
    sigmask: u64,
    sigsetsize: u64,
) -> SysResult {
    let r = super::poll::deadline(k, |k| {
        if tsp == 0 {
            return Ok(None);
        }
        let (s, ns) = k.read_timespec(tsp)?;
        if s < 0 {
            return Err(EINVAL);
        }
        Ok(Some((s as u64, ns as u64)))
    })
    .and_then(|(d, _)| {
        let ep = wait_target(k, epfd, events, maxevents)?;
        super::poll::check_sigmask(k, sigmask, sigsetsize)?;
        do_wait(k, ep, events, maxevents, d)
    });
    let r = super::poll::finish(k, r);
    super::poll::restore_sigmask(k, r)
}
