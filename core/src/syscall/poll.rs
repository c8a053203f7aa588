//! Waiting for descriptors to become ready: poll, ppoll, select and
//! pselect6 (Linux: fs/select.c).
//!
//! Readiness is asked of each file's `FileOps::poll` (Linux: `->poll`):
//! pipes, the console (a line or bytes typed, see `fs::tty`), pidfds;
//! files without a poll of their own (regular files, /dev/null, /proc)
//! are always ready both ways. select is poll over bitmaps. A caller with
//! nothing ready sleeps until pipe or console activity (or its deadline)
//! wakes it, then runs the whole call again; the deadline is kept in the
//! task across those runs.

use alloc::vec;
use alloc::vec::Vec;

use crate::abi::*;
use crate::fs::file::FileId;
use crate::kernel::Kernel;
use crate::proc::WaitReason;

/// What makes select count a descriptor readable, writable or
/// exceptional (Linux: POLLIN_SET, POLLOUT_SET, POLLEX_SET).
const POLLIN_SET: u16 = POLLRDNORM | POLLRDBAND | POLLIN | POLLHUP | POLLERR;
const POLLOUT_SET: u16 = POLLWRBAND | POLLWRNORM | POLLOUT | POLLERR;
const POLLEX_SET: u16 = POLLPRI;

impl Kernel {
    /// What descriptor `fd` is ready for now; POLLNVAL when it is not
    /// open (or is an O_PATH descriptor) (Linux: vfs_poll()).
    pub fn poll_fd(&mut self, fd: i32) -> u16 {
        let Ok(id) = self.fd_file(fd) else { return POLLNVAL };
        if self.vfs.files().get(id).flags & O_PATH != 0 {
            return POLLNVAL;
        }
        self.poll_file(id)
    }

    /// What open file description `id` is ready for.
    pub fn poll_file(&mut self, id: FileId) -> u16 {
        self.vfs.files().get(id).kind.ops().poll(self, id)
    }

    /// Wake every task sleeping in poll or select: something it may wait
    /// for changed.
    pub fn wake_pollers(&mut self) {
        self.vfs.epolls_mut().wakeups += 1;
        self.wake_queue(crate::proc::waitqueue::WaitKey::Poll);
    }
}

/// The call is over unless it went to sleep: forget the deadline it kept
/// across its runs. When a signal interrupted it (EINTR) the deadline is
/// the syscall layer's to keep, for a call that goes on, or to drop.
pub(super) fn finish(k: &mut Kernel, r: SysResult) -> SysResult {
    if r != Err(ERESTARTNOINTR) && r != Err(EINTR) {
        k.cur_mut().resume.clear_deadline();
    }
    r
}

/// The deadline of a call that may run several times: the one it chose
/// on its first run, else `first()` (None: no timeout). `first` also says
/// whether the timeout was zero.
pub(super) fn deadline(
    k: &mut Kernel,
    first: impl FnOnce(&mut Kernel) -> SysResult<Option<(u64, u64)>>,
) -> SysResult<(Option<u64>, bool)> {
    if let Some(d) = k.cur().resume.deadline() {
        return Ok((Some(d), false));
    }
    Ok(match first(k)? {
        Some((sec, nsec)) => {
            let d = k.now_ns().saturating_add(sec.saturating_mul(1_000_000_000)).saturating_add(nsec);
            k.cur_mut().resume = crate::proc::Resume::Deadline(d);
            (Some(d), sec == 0 && nsec == 0)
        }
        None => (None, false),
    })
}

/// The time left until `deadline`, written back to a select timeval
/// (`usec`) or a pselect6/ppoll timespec. Not for a zero timeout, and a
/// fault is ignored (Linux: poll_select_finish()).
fn write_back_remaining(k: &mut Kernel, addr: u64, deadline: Option<u64>, zero: bool, usec: bool) {
    let Some(d) = deadline else { return };
    if addr == 0 || zero {
        return;
    }
    let left = d.saturating_sub(k.now_ns());
    let _ = if usec { k.write_val(addr, &Timeval::from_ns(left)) } else { k.write_val(addr, &Timespec::from_ns(left)) };
}

/// A signal mask argument: EINVAL for a size other than a sigset_t's,
/// EFAULT if unreadable. It is the mask while the call waits (Linux:
/// set_user_sigmask()); see [`restore_sigmask`].
pub(super) fn check_sigmask(k: &mut Kernel, sigmask: u64, sigsetsize: u64) -> SysResult<()> {
    if sigmask == 0 {
        return Ok(());
    }
    if sigsetsize != 8 {
        return Err(EINVAL);
    }
    let m: SigSet = k.read_val(sigmask)?;
    k.set_user_sigmask(m);
    Ok(())
}

/// The old mask comes back when the call is over, except when a signal
/// interrupted it: then the handler's frame records the old mask, and
/// sigreturn restores it (Linux: restore_saved_sigmask_unless(ret ==
/// -ERESTARTNOHAND)).
pub(super) fn restore_sigmask(k: &mut Kernel, r: SysResult) -> SysResult {
    let sleeping = r == Err(ERESTARTNOINTR);
    let interrupted = r == Err(EINTR) && k.deliverable(k.cur().tid) != 0;
    if !sleeping && !interrupted {
        k.restore_saved_sigmask();
    }
    r
}

/// Linux: do_sys_poll(). `deadline`: None waits forever.
fn do_poll(k: &mut Kernel, fds: u64, nfds: u32, deadline: Option<u64>) -> SysResult {
    if nfds as u64 > k.rlimit(RLIMIT_NOFILE).cur {
        return Err(EINVAL);
    }
    let mut raw: Vec<Pollfd> = k.read_vals(fds, nfds as usize)?;
    let mut count = 0;
    for e in raw.iter_mut() {
        let revents = if e.fd < 0 { 0 } else { k.poll_fd(e.fd) & (e.events | POLLERR | POLLHUP | POLLNVAL) };
        e.revents = revents;
        if revents != 0 {
            count += 1;
        }
    }
    let expired = deadline.is_some_and(|d| k.now_ns() >= d);
    if count > 0 || expired {
        k.write_vals(fds, &raw)?;
        return Ok(count);
    }
    Err(k.block_current(WaitReason::Poll { until_ns: deadline }))
}

/// poll(2): `timeout` in milliseconds, negative for none.
pub fn poll(k: &mut Kernel, fds: u64, nfds: u64, timeout: i32) -> SysResult {
    let (d, _) =
        deadline(k, |_| Ok((timeout >= 0).then(|| (timeout as u64 / 1000, (timeout as u64 % 1000) * 1_000_000))))?;
    let r = do_poll(k, fds, nfds as u32, d);
    finish(k, r)
}

/// ppoll(2): a timespec timeout (NULL for none), written back with the
/// time left, and a signal mask to hold while waiting.
pub fn ppoll(k: &mut Kernel, fds: u64, nfds: u64, tsp: u64, sigmask: u64, sigsetsize: u64) -> SysResult {
    let (d, zero) =
        deadline(
            k,
            |k| if tsp == 0 { Ok(None) } else { k.read_timespec(tsp).map(|(s, ns)| Some((s as u64, ns as u64))) },
        )?;
    let r = check_sigmask(k, sigmask, sigsetsize).and_then(|()| do_poll(k, fds, nfds as u32, d));
    let r = finish(k, r);
    let r = restore_sigmask(k, r);
    if r != Err(ERESTARTNOINTR) {
        write_back_remaining(k, tsp, d, zero, false);
    }
    r
}

/// Linux: the fdtable's max_fds, which select clamps `nfds` to: 64 in a
/// new table, then sizes of 128 << k as it grows (alloc_fdtable()).
fn max_fds(slots: usize) -> usize {
    if slots <= 64 {
        return 64;
    }
    ((slots - 1) / 128 + 1).next_power_of_two() * 128
}

/// Linux: core_sys_select(): `n` descriptors' bits in up to three
/// fd_set bitmaps (a NULL one is empty); EBADF if a set bit names a
/// descriptor that is not open; the ready ones are written back.
fn do_select(k: &mut Kernel, n: i32, ptrs: [u64; 3], deadline: Option<u64>) -> SysResult {
    if n < 0 {
        return Err(EINVAL);
    }
    let n = (n as usize).min(max_fds(k.cur_files().slots()));
    let words = n.div_ceil(64);
    let mut sets = [vec![0u64; words], vec![0u64; words], vec![0u64; words]];
    for (set, &p) in sets.iter_mut().zip(&ptrs) {
        if p == 0 {
            continue;
        }
        *set = k.read_vals(p, words)?;
    }
    let bit = |s: &[u64], fd: usize| s[fd / 64] >> (fd % 64) & 1 != 0;
    // Linux: max_select_fd(): every named descriptor must be open.
    let mut max = 0;
    for fd in 0..n {
        if sets.iter().any(|s| bit(s, fd)) {
            k.cur_files().get(fd as i32)?;
            max = fd + 1;
        }
    }
    let mut res = [vec![0u64; words], vec![0u64; words], vec![0u64; words]];
    let mut count = 0;
    for fd in 0..max {
        let want = [bit(&sets[0], fd), bit(&sets[1], fd), bit(&sets[2], fd)];
        if !want.iter().any(|&w| w) {
            continue;
        }
        let mask = match k.poll_fd(fd as i32) {
            POLLNVAL => 0,
            m => m,
        };
        for (i, filter) in [POLLIN_SET, POLLOUT_SET, POLLEX_SET].into_iter().enumerate() {
            if want[i] && mask & filter != 0 {
                res[i][fd / 64] |= 1 << (fd % 64);
                count += 1;
            }
        }
    }
    let expired = deadline.is_some_and(|d| k.now_ns() >= d);
    if count == 0 && !expired {
        return Err(k.block_current(WaitReason::Poll { until_ns: deadline }));
    }
    for (set, &p) in res.iter().zip(&ptrs) {
        if p == 0 {
            continue;
        }
        k.write_vals(p, set)?;
    }
    Ok(count)
}

/// select(2): a `struct timeval` timeout (NULL for none), written back
/// with the time left, as Linux does.
pub fn select(k: &mut Kernel, n: i32, inp: u64, outp: u64, exp: u64, tvp: u64) -> SysResult {
    let (d, zero) = deadline(k, |k| {
        if tvp == 0 {
            return Ok(None);
        }
        let Timeval { tv_sec: sec, tv_usec: usec } = k.read_val(tvp)?;
        // Microseconds past a second carry into the seconds.
        let s = sec.checked_add(usec / 1_000_000).ok_or(EINVAL)?;
        let ns = (usec % 1_000_000) * 1000;
        if s < 0 || ns < 0 {
            return Err(EINVAL);
        }
        Ok(Some((s as u64, ns as u64)))
    })?;
    let r = do_select(k, n, [inp, outp, exp], d);
    let r = finish(k, r);
    if r != Err(ERESTARTNOINTR) {
        write_back_remaining(k, tvp, d, zero, true);
    }
    r
}

/// pselect6(2): a timespec timeout, and a `{ sigset_t *, size_t }` pair
/// for the signal mask to hold while waiting.
pub fn pselect6(k: &mut Kernel, n: i32, inp: u64, outp: u64, exp: u64, tsp: u64, sig: u64) -> SysResult {
    let (mask, masksize) = if sig == 0 { (0, 0) } else { (k.read_u64(sig)?, k.read_u64(sig + 8)?) };
    let (d, zero) =
        deadline(
            k,
            |k| if tsp == 0 { Ok(None) } else { k.read_timespec(tsp).map(|(s, ns)| Some((s as u64, ns as u64))) },
        )?;
    let r = check_sigmask(k, mask, masksize).and_then(|()| do_select(k, n, [inp, outp, exp], d));
    let r = finish(k, r);
    let r = restore_sigmask(k, r);
    if r != Err(ERESTARTNOINTR) {
        write_back_remaining(k, tsp, d, zero, false);
    }
    r
}
