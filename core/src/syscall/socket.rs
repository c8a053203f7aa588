//! The socket calls for AF_UNIX (Linux: net/socket.c over
//! net/unix/af_unix.c); the sockets themselves are `net::unix`. Other
//! families are EAFNOSUPPORT: Tine has no network.

use alloc::vec;
use alloc::vec::Vec;

use crate::abi::*;
use crate::fs::file::{FileId, FileKind};
use crate::fs::Lookup;
use crate::kernel::Kernel;
use crate::net::unix::{sock_of, Msg, Ucred, AF_UNIX, BUF, SOCK_DGRAM, SOCK_RAW, SOCK_SEQPACKET, SOCK_STREAM};
use crate::proc::WaitReason;

const SOL_SOCKET: i32 = 1;
const SCM_RIGHTS: i32 = 1;
const SCM_CREDENTIALS: i32 = 2;
const SO_TYPE: i32 = 3;
const SO_ERROR: i32 = 4;
const SO_SNDBUF: i32 = 7;
const SO_RCVBUF: i32 = 8;
const SO_PASSCRED: i32 = 16;
const SO_PEERCRED: i32 = 17;
const SO_ACCEPTCONN: i32 = 30;
const SO_PROTOCOL: i32 = 38;
const SO_DOMAIN: i32 = 39;
const MSG_PEEK: u32 = 2;
const MSG_CTRUNC: u32 = 8;
const MSG_TRUNC: u32 = 0x20;
const MSG_DONTWAIT: u32 = 0x40;
const MSG_NOSIGNAL: u32 = 0x4000;
const MSG_CMSG_CLOEXEC: u32 = 0x4000_0000;
/// Linux: SCM_MAX_FD.
const SCM_MAX_FD: usize = 253;
/// The room a blocking stream send waits for before it queues more (a
/// page: what write(2) hands a socket at a time).
const STREAM_WAIT: usize = 4096;
/// The most a stream send copies in at a time.
const STREAM_STEP: usize = 64 * 1024;
/// Linux: offsetof(struct sockaddr_un, sun_path) and its size.
const SUN_PATH: usize = 2;
const SUN_LEN: usize = 110;
/// Linux: overflowuid/overflowgid, SO_PEERCRED's ids with no peer.
const OVERFLOW_ID: u32 = 65534;

/// `struct msghdr`.
#[derive(
    zerocopy::FromBytes, zerocopy::IntoBytes, zerocopy::Immutable, zerocopy::KnownLayout, Clone, Copy, Default,
)]
#[repr(C)]
struct MsgHdr {
    name: u64,
    namelen: u32,
    pad1: u32,
    iov: u64,
    iovlen: u64,
    control: u64,
    controllen: u64,
    flags: u32,
    pad2: u32,
}

/// The socket behind `fd`: EBADF, or ENOTSOCK for another file.
fn sock_fd(k: &Kernel, fd: i32) -> SysResult<(FileId, u32)> {
    let id = k.fd_file(fd)?;
    sock_of(k, id).map(|s| (id, s)).ok_or(ENOTSOCK)
}

/// A new socket's description and descriptor.
fn install(k: &mut Kernel, sock: u32, flags: u32) -> SysResult {
    let id = k.vfs.files_mut().open(FileKind::Socket { sock }, O_RDWR | (flags & O_NONBLOCK), None);
    k.install_fd(id, flags & O_CLOEXEC != 0, 0)
}

/// socket(2)'s type argument: the type and SOCK_NONBLOCK/SOCK_CLOEXEC.
fn sock_type(domain: u32, ty: u32, protocol: u32) -> SysResult<(u32, u32)> {
    let flags = ty & (O_NONBLOCK | O_CLOEXEC);
    let ty = ty & !(O_NONBLOCK | O_CLOEXEC);
    if ty & !0xf != 0 {
        return Err(EINVAL);
    }
    if domain != AF_UNIX {
        return Err(EAFNOSUPPORT);
    }
    if protocol != 0 && protocol != AF_UNIX {
        return Err(EPROTONOSUPPORT);
    }
    let ty = match ty {
        SOCK_STREAM | SOCK_DGRAM | SOCK_SEQPACKET => ty,
        SOCK_RAW => SOCK_DGRAM,
        _ => return Err(ESOCKTNOSUPPORT),
    };
    Ok((ty, flags))
}

/// socket(2).
pub fn socket(k: &mut Kernel, domain: u32, ty: u32, protocol: u32) -> SysResult {
    let (ty, flags) = sock_type(domain, ty, protocol)?;
    let cred = k.cur_ucred();
    let s = k.vfs.unix_mut().create(ty, cred);
    install(k, s, flags)
}

/// socketpair(2): two sockets connected to each other.
pub fn socketpair(k: &mut Kernel, domain: u32, ty: u32, protocol: u32, sv: u64) -> SysResult {
    let (ty, flags) = sock_type(domain, ty, protocol)?;
    crate::mm::uaccess::access_ok(sv, 8)?;
    let cred = k.cur_ucred();
    let (a, b) = (k.vfs.unix_mut().create(ty, cred), k.vfs.unix_mut().create(ty, cred));
    for (x, y) in [(a, b), (b, a)] {
        let s = k.vfs.unix_mut().get_mut(x);
        s.peer = Some(y);
        s.peer_cred = Some(cred);
    }
    let fa = match install(k, a, flags) {
        Ok(fd) => fd,
        Err(e) => {
            k.unix_release(b);
            return Err(e);
        }
    };
    let fb = match install(k, b, flags) {
        Ok(fd) => fd,
        Err(e) => {
            let _ = super::fs::close(k, fa as i32);
            return Err(e);
        }
    };
    if let Err(e) = k.write_vals(sv, &[fa as i32, fb as i32]) {
        let _ = super::fs::close(k, fa as i32);
        let _ = super::fs::close(k, fb as i32);
        return Err(e);
    }
    Ok(0)
}

/// A `sockaddr_un` from user memory (Linux: unix_validate_addr() and
/// unix_mkname()): the path's bytes up to its NUL, or an abstract name
/// with its leading NUL; None for an address of the family alone.
fn read_addr(k: &mut Kernel, addr: u64, len: u32) -> SysResult<Option<Vec<u8>>> {
    let len = len as usize;
    if !(SUN_PATH..=SUN_LEN).contains(&len) {
        return Err(EINVAL);
    }
    let mut raw = vec![0u8; len];
    k.copy_in(addr, &mut raw)?;
    if u16::from_ne_bytes([raw[0], raw[1]]) as u32 != AF_UNIX {
        return Err(EINVAL);
    }
    let path = &raw[SUN_PATH..];
    if path.is_empty() {
        return Ok(None);
    }
    if path[0] == 0 {
        return Ok(Some(path.to_vec()));
    }
    let end = path.iter().position(|&b| b == 0).unwrap_or(path.len());
    Ok(Some(path[..end].to_vec()))
}

/// Write an address out as getsockname/accept do: the family and the
/// name, truncated to the caller's length, whose full length is written
/// back.
fn write_addr(k: &mut Kernel, addr: u64, lenp: u64, name: Option<&[u8]>) -> SysResult<()> {
    if addr == 0 {
        return Ok(());
    }
    let room: i32 = k.read_val(lenp)?;
    if room < 0 {
        return Err(EINVAL);
    }
    let mut full = (AF_UNIX as u16).to_ne_bytes().to_vec();
    if let Some(n) = name {
        full.extend_from_slice(n);
        if n.first() != Some(&0) {
            full.push(0);
        }
    }
    let n = full.len().min(room as usize);
    k.copy_out(addr, &full[..n])?;
    k.write_val(lenp, &(full.len() as i32))
}

/// The socket a name is bound to (Linux: unix_find_other()): ENOENT and
/// the path walk's errors for a path, ECONNREFUSED for nobody there.
fn find(k: &mut Kernel, name: &[u8]) -> SysResult<u32> {
    if name.first() == Some(&0) {
        return k.vfs.unix().abstract_names.get(name).copied().ok_or(ECONNREFUSED);
    }
    let cred = k.fs_cred();
    let start = k.start_dir(AT_FDCWD, name)?;
    let ino = k.vfs.fs().lookup(&cred, start, name, Lookup::FOLLOW)?;
    crate::fs::perm::inode_permission(&cred, k.vfs.fs().inode(ino)?, crate::fs::perm::MAY_WRITE)?;
    if k.vfs.fs().inode(ino)?.mode() & S_IFMT != S_IFSOCK {
        return Err(ECONNREFUSED);
    }
    k.vfs.unix().by_ino.get(&ino).copied().ok_or(ECONNREFUSED)
}

/// A socket with SO_PASSCRED that connects or sends a datagram unnamed
/// gets a name first, so its peer can tell who sent (Linux:
/// unix_may_passcred() before unix_autobind()).
fn passcred_autobind(k: &mut Kernel, s: u32) -> SysResult<()> {
    if k.vfs.unix().get(s).is_some_and(|x| x.passcred) {
        k.vfs.unix_mut().autobind(s)?;
    }
    Ok(())
}

/// bind(2).
pub fn bind(k: &mut Kernel, fd: i32, addr: u64, len: u32) -> SysResult {
    let (_, s) = sock_fd(k, fd)?;
    // An address of the family alone asks for a name (Linux: unix_bind()
    // calls unix_autobind(), which is content with a name already bound).
    let Some(name) = read_addr(k, addr, len)? else {
        k.vfs.unix_mut().autobind(s)?;
        return Ok(0);
    };
    if k.vfs.unix().get(s).is_some_and(|x| x.addr.is_some()) {
        return Err(EINVAL);
    }
    if name[0] == 0 {
        if k.vfs.unix().abstract_names.contains_key(&name) {
            return Err(EADDRINUSE);
        }
        k.vfs.unix_mut().abstract_names.insert(name.clone(), s);
    } else {
        let start = k.start_dir(AT_FDCWD, &name)?;
        let umask = k.cur_fs().umask;
        let now = k.now_real();
        let cred = k.fs_cred();
        let ino = match k.vfs.fs_mut().mknod_at(&cred, start, &name, S_IFSOCK | (0o777 & !umask), 0, now) {
            Err(EEXIST) => return Err(EADDRINUSE),
            r => r?,
        };
        k.vfs.unix_mut().by_ino.insert(ino, s);
        k.vfs.unix_mut().get_mut(s).ino = Some(ino);
    }
    k.vfs.unix_mut().get_mut(s).addr = Some(name);
    Ok(0)
}

/// listen(2): EOPNOTSUPP for a datagram socket, EINVAL unbound or
/// connected.
pub fn listen(k: &mut Kernel, fd: i32, backlog: i32) -> SysResult {
    let (_, s) = sock_fd(k, fd)?;
    let cred = k.cur_ucred();
    let sock = k.vfs.unix_mut().get_mut(s);
    if sock.ty == SOCK_DGRAM {
        return Err(EOPNOTSUPP);
    }
    if sock.addr.is_none() || sock.peer.is_some() {
        return Err(EINVAL);
    }
    sock.listening = true;
    sock.backlog = backlog.clamp(0, 4096) as usize;
    sock.cred = cred;
    Ok(0)
}

/// connect(2).
pub fn connect(k: &mut Kernel, fd: i32, addr: u64, len: u32) -> SysResult {
    let (id, s) = sock_fd(k, fd)?;
    let name = read_addr(k, addr, len)?.ok_or(EINVAL)?;
    let ty = k.vfs.unix_mut().get_mut(s).ty;
    if ty != SOCK_DGRAM {
        let me = k.vfs.unix_mut().get_mut(s);
        if me.peer.is_some() || me.peer_gone {
            return Err(EISCONN);
        }
        if me.listening {
            return Err(EINVAL);
        }
    }
    passcred_autobind(k, s)?;
    let target = find(k, &name)?;
    let t = k.vfs.unix_mut().get_mut(target);
    if t.ty != ty {
        // An abstract name is looked up with the type (Linux:
        // unix_find_abstract()); a path is found, then refused.
        return Err(if name[0] == 0 { ECONNREFUSED } else { EPROTOTYPE });
    }
    if ty == SOCK_DGRAM {
        k.vfs.unix_mut().get_mut(s).peer = Some(target);
        return Ok(0);
    }
    if !t.listening {
        return Err(ECONNREFUSED);
    }
    if t.pending.len() > t.backlog {
        if k.vfs.files().get(id).flags & O_NONBLOCK != 0 {
            return Err(EAGAIN);
        }
        return Err(k.block_current(WaitReason::Socket(target)));
    }
    let (listener_cred, listener_addr) = (t.cred, t.addr.clone());
    let me = k.cur_ucred();
    let server = k.vfs.unix_mut().create(ty, listener_cred);
    let sv = k.vfs.unix_mut().get_mut(server);
    sv.peer = Some(s);
    sv.peer_cred = Some(me);
    sv.addr = listener_addr;
    let c = k.vfs.unix_mut().get_mut(s);
    c.peer = Some(server);
    c.peer_cred = Some(listener_cred);
    k.vfs.unix_mut().get_mut(target).pending.push_back(server);
    k.wake_sock(target);
    Ok(0)
}

/// accept4(2) (accept(2) with no flags).
pub fn accept4(k: &mut Kernel, fd: i32, addr: u64, lenp: u64, flags: u32) -> SysResult {
    if flags & !(O_NONBLOCK | O_CLOEXEC) != 0 {
        return Err(EINVAL);
    }
    let (id, s) = sock_fd(k, fd)?;
    let sock = k.vfs.unix_mut().get_mut(s);
    if sock.ty == SOCK_DGRAM {
        return Err(EOPNOTSUPP);
    }
    if !sock.listening {
        return Err(EINVAL);
    }
    let Some(&new) = sock.pending.front() else {
        if k.vfs.files().get(id).flags & O_NONBLOCK != 0 {
            return Err(EAGAIN);
        }
        return Err(k.block_current(WaitReason::Socket(s)));
    };
    let peer_addr =
        k.vfs.unix().get(new).and_then(|n| n.peer).and_then(|p| k.vfs.unix().get(p)).and_then(|p| p.addr.clone());
    if addr != 0 {
        // The address is written before the descriptor exists, so that a
        // fault leaves the connection queued.
        write_addr(k, addr, lenp, peer_addr.as_deref())?;
    }
    k.vfs.unix_mut().get_mut(s).pending.pop_front();
    // Room in the backlog for a connecting task.
    k.wake_sock(s);
    install(k, new, flags)
}

/// Send `data` with `fds` (each holding a reference, given back here on
/// failure) from description `id` to `to` (a datagram's destination) or
/// the peer (Linux: unix_stream_sendmsg(), unix_dgram_sendmsg()).
pub fn unix_send(
    k: &mut Kernel,
    id: FileId,
    data: &[u8],
    fds: Vec<FileId>,
    to: Option<Vec<u8>>,
    flags: u32,
    nonblock: bool,
) -> SysResult {
    let r = send_inner(k, id, data, &fds, to, flags, nonblock || flags & MSG_DONTWAIT != 0);
    match r {
        Ok(_) => {}
        Err(_) => {
            for f in fds {
                k.release_file(f);
            }
        }
    }
    r
}

fn send_inner(
    k: &mut Kernel,
    id: FileId,
    data: &[u8],
    fds: &[FileId],
    to: Option<Vec<u8>>,
    flags: u32,
    nonblock: bool,
) -> SysResult {
    let s = sock_of(k, id).expect("a socket");
    let sock = k.vfs.unix_mut().get_mut(s);
    let ty = sock.ty;
    let dest = if ty == SOCK_DGRAM {
        match to {
            Some(name) => find(k, &name)?,
            None => k.vfs.unix_mut().get_mut(s).peer.ok_or(ENOTCONN)?,
        }
    } else {
        if to.is_some() && sock.peer.is_none() {
            return Err(EOPNOTSUPP);
        }
        if sock.snd_shutdown || sock.peer_gone {
            if flags & MSG_NOSIGNAL == 0 {
                k.send_sigpipe();
            }
            return Err(EPIPE);
        }
        sock.peer.ok_or(ENOTCONN)?
    };
    if ty == SOCK_DGRAM {
        passcred_autobind(k, s)?;
    }
    let from = k.vfs.unix().get(s).and_then(|x| x.addr.clone());
    let Some(d) = k.vfs.unix().get(dest) else { return Err(ECONNREFUSED) };
    if ty == SOCK_DGRAM && d.ty != SOCK_DGRAM {
        return Err(ECONNREFUSED);
    }
    if ty != SOCK_STREAM && data.len() > BUF {
        return Err(EMSGSIZE);
    }
    let room = k.unix_room(dest);
    // A blocking stream writer waits for room for a page's worth, as
    // Linux's for its next skb, and then takes what room there is; a
    // nonblocking one takes any room.
    let need = match ty {
        SOCK_STREAM if nonblock => data.len().min(1),
        SOCK_STREAM => data.len().min(STREAM_WAIT),
        _ => data.len(),
    };
    let fits = room >= need;
    if !fits {
        if nonblock {
            return Err(EAGAIN);
        }
        return Err(k.block_current(WaitReason::Socket(dest)));
    }
    let n = if ty == SOCK_STREAM { data.len().min(room) } else { data.len() };
    let cred = k.cur_ucred();
    k.unix_queue(dest, Msg { data: data[..n].to_vec(), taken: 0, fds: fds.to_vec(), cred, from });
    Ok(n)
}

/// What a receive took.
pub struct Recv {
    pub len: usize,
    pub fds: Vec<FileId>,
    pub cred: Ucred,
    pub from: Option<Vec<u8>>,
    /// A datagram's bytes past the buffer were dropped.
    pub trunc: usize,
}

/// Receive into the user buffers `iovs` (Linux: unix_stream_recvmsg(),
/// unix_dgram_recvmsg()); the descriptors come back with their
/// references, for the caller to install or drop.
pub fn unix_recv(k: &mut Kernel, id: FileId, iovs: &[(u64, u64)], flags: u32, nonblock: bool) -> SysResult<Recv> {
    let s = sock_of(k, id).expect("a socket");
    let peek = flags & MSG_PEEK != 0;
    let sock = k.vfs.unix_mut().get_mut(s);
    if sock.listening || (sock.ty != SOCK_DGRAM && sock.peer.is_none() && !sock.peer_gone) {
        return Err(EINVAL);
    }
    if sock.rx.is_empty() {
        if sock.rcv_shutdown {
            return Ok(Recv { len: 0, fds: vec![], cred: Ucred::default(), from: None, trunc: 0 });
        }
        if nonblock || flags & MSG_DONTWAIT != 0 {
            return Err(EAGAIN);
        }
        return Err(k.block_current(WaitReason::Socket(s)));
    }
    let want: usize = iovs.iter().map(|&(_, l)| l as usize).sum();
    let ty = sock.ty;
    let mut out = Vec::new();
    let mut fds = Vec::new();
    let first = &sock.rx[0];
    let (cred, from) = (first.cred, first.from.clone());
    let mut trunc = 0;
    if ty == SOCK_STREAM {
        let mut i = 0;
        while out.len() < want && i < sock.rx.len() {
            let m = &sock.rx[i];
            if i > 0 && (!m.fds.is_empty() || m.cred != cred) {
                break;
            }
            let n = (m.data.len() - m.taken).min(want - out.len());
            out.extend_from_slice(&m.data[m.taken..m.taken + n]);
            if i == 0 {
                fds = m.fds.clone();
            }
            i += 1;
        }
    } else {
        let m = &sock.rx[0];
        let n = m.data.len().min(want);
        out.extend_from_slice(&m.data[..n]);
        trunc = m.data.len() - n;
        fds = m.fds.clone();
    }
    // Copy out first: a fault leaves the data queued.
    let mut done = 0;
    for &(base, len) in iovs {
        if done == out.len() {
            break;
        }
        let n = (len as usize).min(out.len() - done);
        k.copy_out(base, &out[done..done + n])?;
        done += n;
    }
    if peek {
        for &f in &fds {
            k.vfs.files_mut().get_ref(f);
        }
    } else {
        let sock = k.vfs.unix_mut().get_mut(s);
        if ty == SOCK_STREAM {
            let mut left = out.len();
            let mut first = true;
            while let Some(m) = sock.rx.front_mut() {
                if !first && left == 0 {
                    break;
                }
                let n = (m.data.len() - m.taken).min(left);
                m.taken += n;
                left -= n;
                first = false;
                m.fds.clear();
                if m.taken < m.data.len() {
                    break;
                }
                sock.rx.pop_front();
            }
        } else {
            let mut m = sock.rx.pop_front().expect("a message");
            m.fds.clear();
        }
        sock.rx_bytes -= out.len() + trunc;
        k.wake_sock(s);
    }
    Ok(Recv { len: out.len(), fds, cred, from, trunc })
}

/// sendto(2) (send(2) with no address).
pub fn sendto(k: &mut Kernel, fd: i32, buf: u64, len: u64, flags: u32, addr: u64, alen: u32) -> SysResult {
    let (id, s) = sock_fd(k, fd)?;
    let len = len.min(0x7fff_f000) as usize;
    crate::mm::uaccess::access_ok(buf, len)?;
    let to = if addr != 0 { read_addr(k, addr, alen)? } else { None };
    let nonblock = k.vfs.files().get(id).flags & O_NONBLOCK != 0;
    if is_stream(k, s) {
        return stream_send(k, id, &[(buf, len as u64)], vec![], to, flags, nonblock);
    }
    let data = gather(k, &[(buf, len as u64)], 0, BUF + 1)?;
    unix_send(k, id, &data, vec![], to, flags, nonblock)
}

fn is_stream(k: &Kernel, s: u32) -> bool {
    k.vfs.unix().get(s).is_some_and(|x| x.ty == SOCK_STREAM)
}

/// A stream send of everything in `iov` (Linux: unix_stream_sendmsg()'s
/// loop): the descriptors go with the first bytes; a blocking sender
/// waits for room as often as it must, and a signal that ends the wait
/// ends the call with the count sent so far, or EINTR (or a restart)
/// when nothing was. What was sent when it slept is kept in the task's
/// `Resume::Written`, since the call runs again from the start.
fn stream_send(
    k: &mut Kernel,
    id: FileId,
    iov: &[(u64, u64)],
    fds: Vec<FileId>,
    to: Option<Vec<u8>>,
    flags: u32,
    nonblock: bool,
) -> SysResult {
    let total = iov.iter().fold(0usize, |t, &(_, len)| t.saturating_add(len as usize));
    let mut done = k.cur_mut().resume.take_written();
    let mut fds = Some(fds);
    if done > 0 {
        // Running again after a wait: the descriptors went with the
        // first bytes already.
        for f in fds.take().unwrap_or_default() {
            k.release_file(f);
        }
        let tid = k.cur().tid;
        if k.deliverable(tid) != 0 {
            return Ok(done);
        }
    }
    loop {
        let data = match gather(k, iov, done, STREAM_STEP) {
            Ok(d) => d,
            Err(e) if done == 0 => {
                for f in fds.take().unwrap_or_default() {
                    k.release_file(f);
                }
                return Err(e);
            }
            Err(_) => return Ok(done),
        };
        let fds = fds.take().unwrap_or_default();
        match unix_send(k, id, &data, fds, to.clone(), flags, nonblock) {
            Ok(n) => done += n,
            Err(ERESTARTNOINTR) if done > 0 => {
                k.cur_mut().resume = crate::proc::Resume::Written(done);
                return Err(ERESTARTNOINTR);
            }
            Err(e) if done == 0 => return Err(e),
            Err(_) => return Ok(done),
        }
        if done >= total {
            return Ok(done);
        }
    }
}

/// recvfrom(2) (recv(2) with no address).
pub fn recvfrom(k: &mut Kernel, fd: i32, buf: u64, len: u64, flags: u32, addr: u64, lenp: u64) -> SysResult {
    let (id, _) = sock_fd(k, fd)?;
    crate::mm::uaccess::access_ok(buf, len as usize)?;
    let nonblock = k.vfs.files().get(id).flags & O_NONBLOCK != 0;
    let r = unix_recv(k, id, &[(buf, len)], flags, nonblock)?;
    for f in r.fds.iter().copied() {
        k.release_file(f);
    }
    if addr != 0 {
        match r.from.as_deref() {
            Some(from) => write_addr(k, addr, lenp, Some(from))?,
            // An unnamed sender: no address at all (Linux: unix_copy_addr()).
            None => k.write_val(lenp, &0i32)?,
        }
    }
    Ok(if flags & MSG_TRUNC != 0 { r.len + r.trunc } else { r.len })
}

/// The bytes a send takes from `iov`, past the first `skip`: no more than
/// `max`, one past a socket's buffer for a datagram (a longer one is
/// EMSGSIZE: Linux: unix_dgram_sendmsg()'s sk_sndbuf check) and a step
/// for a stream, so that a huge length never sizes a kernel allocation.
fn gather(k: &mut Kernel, iov: &[(u64, u64)], skip: usize, max: usize) -> SysResult<Vec<u8>> {
    let total = iov.iter().fold(0usize, |t, &(_, len)| t.saturating_add(len as usize));
    let mut data = crate::mm::kheap::try_zeroed(total.saturating_sub(skip).min(max))?;
    let (mut at, mut skip) = (0, skip);
    for &(base, len) in iov {
        let len = len as usize;
        if skip >= len {
            skip -= len;
            continue;
        }
        let n = (len - skip).min(data.len() - at);
        k.copy_in(base + skip as u64, &mut data[at..at + n])?;
        at += n;
        skip = 0;
    }
    Ok(data)
}

/// The iovecs of a msghdr.
fn iovecs(k: &mut Kernel, h: &MsgHdr) -> SysResult<Vec<(u64, u64)>> {
    if h.iovlen > 1024 {
        return Err(EMSGSIZE);
    }
    let mut v = Vec::new();
    for i in 0..h.iovlen {
        let base = k.read_u64(h.iov + i * 16)?;
        let len = k.read_u64(h.iov + i * 16 + 8)?;
        crate::mm::uaccess::access_ok(base, len as usize)?;
        v.push((base, len));
    }
    Ok(v)
}

/// sendmsg(2): the gathered bytes, SCM_RIGHTS descriptors and
/// SCM_CREDENTIALS (checked against the sender's own, EPERM otherwise).
pub fn sendmsg(k: &mut Kernel, fd: i32, msg: u64, flags: u32) -> SysResult {
    let (id, s) = sock_fd(k, fd)?;
    let h: MsgHdr = k.read_val(msg)?;
    let iov = iovecs(k, &h)?;
    let stream = is_stream(k, s);
    let data = if stream { Vec::new() } else { gather(k, &iov, 0, BUF + 1)? };
    let to = if h.name != 0 && h.namelen != 0 { read_addr(k, h.name, h.namelen)? } else { None };
    let mut fds: Vec<FileId> = Vec::new();
    let mut off = 0u64;
    let r: SysResult<()> = (|| {
        while off + 16 <= h.controllen {
            let len = k.read_u64(h.control + off)?;
            let level: i32 = k.read_val(h.control + off + 8)?;
            let ty: i32 = k.read_val(h.control + off + 12)?;
            if len < 16 || off + len > h.controllen {
                return Err(EINVAL);
            }
            match (level, ty) {
                (SOL_SOCKET, SCM_RIGHTS) => {
                    let n = (len as usize - 16) / 4;
                    if n == 0 || fds.len() + n > SCM_MAX_FD {
                        return Err(EINVAL);
                    }
                    let nums: Vec<i32> = k.read_vals(h.control + off + 16, n)?;
                    for nfd in nums {
                        let f = k.fd_file(nfd)?;
                        k.vfs.files_mut().get_ref(f);
                        fds.push(f);
                    }
                }
                (SOL_SOCKET, SCM_CREDENTIALS) => {
                    let c: [u32; 3] = k.read_val(h.control + off + 16)?;
                    let me = k.cur_ucred();
                    let root = k.cur_cred().capable(crate::proc::capability::CAP_SYS_ADMIN);
                    // The ids as the sender names them (Linux:
                    // scm_check_creds(): EINVAL without a mapping).
                    use crate::ns::user::IdKind::{Gid, Uid};
                    let (uid, gid) = (k.id_from_user(Uid, c[1])?, k.id_from_user(Gid, c[2])?);
                    if !root && (c[0] != me.pid || uid != k.cur().cred.uid || gid != k.cur().cred.gid) {
                        return Err(EPERM);
                    }
                }
                (SOL_SOCKET, _) => return Err(EINVAL),
                _ => {}
            }
            off += (len + 7) & !7;
        }
        Ok(())
    })();
    if let Err(e) = r {
        for f in fds {
            k.release_file(f);
        }
        return Err(e);
    }
    let nonblock = k.vfs.files().get(id).flags & O_NONBLOCK != 0;
    if stream {
        return stream_send(k, id, &iov, fds, to, flags, nonblock);
    }
    unix_send(k, id, &data, fds, to, flags, nonblock)
}

/// recvmsg(2): the bytes, the sender's address, and in the control
/// buffer the descriptors received (installed here; MSG_CTRUNC and
/// closed when they do not fit) and the credentials under SO_PASSCRED.
pub fn recvmsg(k: &mut Kernel, fd: i32, msg: u64, flags: u32) -> SysResult {
    let (id, s) = sock_fd(k, fd)?;
    let mut h: MsgHdr = k.read_val(msg)?;
    let iovs = iovecs(k, &h)?;
    let nonblock = k.vfs.files().get(id).flags & O_NONBLOCK != 0;
    let r = unix_recv(k, id, &iovs, flags, nonblock)?;
    let mut out_flags = 0;
    if r.trunc > 0 {
        out_flags |= MSG_TRUNC;
    }
    let mut control = Vec::new();
    if k.vfs.unix().get(s).is_some_and(|x| x.passcred) {
        control.extend_from_slice(&28u64.to_ne_bytes());
        control.extend_from_slice(&SOL_SOCKET.to_ne_bytes());
        control.extend_from_slice(&SCM_CREDENTIALS.to_ne_bytes());
        use crate::ns::user::IdKind::{Gid, Uid};
        let (uid, gid) = (k.id_to_user(Uid, r.cred.uid), k.id_to_user(Gid, r.cred.gid));
        for v in [r.cred.pid, uid, gid] {
            control.extend_from_slice(&v.to_ne_bytes());
        }
        control.resize(32, 0);
    }
    let mut fds = r.fds;
    if !fds.is_empty() {
        let room = (h.controllen as usize).saturating_sub(control.len());
        let fit = if room >= 16 { ((room - 16) / 4).min(fds.len()) } else { 0 };
        if fit < fds.len() {
            out_flags |= MSG_CTRUNC;
        }
        let mut nums = Vec::new();
        for f in fds.drain(..) {
            if nums.len() < fit {
                match k.install_fd(f, flags & MSG_CMSG_CLOEXEC != 0, 0) {
                    Ok(n) => nums.push(n as i32),
                    Err(_) => out_flags |= MSG_CTRUNC,
                }
            } else {
                k.release_file(f);
            }
        }
        if !nums.is_empty() {
            control.extend_from_slice(&(16 + 4 * nums.len() as u64).to_ne_bytes());
            control.extend_from_slice(&SOL_SOCKET.to_ne_bytes());
            control.extend_from_slice(&SCM_RIGHTS.to_ne_bytes());
            for n in nums {
                control.extend_from_slice(&n.to_ne_bytes());
            }
        }
    }
    let clen = control.len().min(h.controllen as usize);
    if clen < control.len() {
        out_flags |= MSG_CTRUNC;
    }
    if clen > 0 {
        k.copy_out(h.control, &control[..clen])?;
    }
    h.controllen = clen as u64;
    if h.name != 0 {
        let mut name = Vec::new();
        if let Some(a) = &r.from {
            name.extend_from_slice(&(AF_UNIX as u16).to_ne_bytes());
            name.extend_from_slice(a);
            if a.first() != Some(&0) {
                name.push(0);
            }
        }
        let n = name.len().min(h.namelen as usize);
        k.copy_out(h.name, &name[..n])?;
        h.namelen = name.len() as u32;
    }
    h.flags = out_flags;
    k.write_val(msg, &h)?;
    Ok(if flags & MSG_TRUNC != 0 { r.len + r.trunc } else { r.len })
}

/// shutdown(2) (Linux: unix_shutdown()).
pub fn shutdown(k: &mut Kernel, fd: i32, how: u32) -> SysResult {
    let (_, s) = sock_fd(k, fd)?;
    if how > 2 {
        return Err(EINVAL);
    }
    let sock = k.vfs.unix_mut().get_mut(s);
    let (rd, wr) = (how != 1, how != 0);
    sock.rcv_shutdown |= rd;
    sock.snd_shutdown |= wr;
    // Linux: unix_shutdown() asks for no connection; the peer, if any,
    // sees the other half.
    let Some(peer) = sock.peer.filter(|_| !sock.peer_gone) else {
        k.wake_sock(s);
        return Ok(0);
    };
    if sock.ty != SOCK_DGRAM {
        let p = k.vfs.unix_mut().get_mut(peer);
        p.snd_shutdown |= rd;
        p.rcv_shutdown |= wr;
    }
    k.wake_sock(s);
    k.wake_sock(peer);
    Ok(0)
}

/// getsockname(2) and getpeername(2) (`peer`).
pub fn getname(k: &mut Kernel, fd: i32, addr: u64, lenp: u64, peer: bool) -> SysResult {
    let (_, s) = sock_fd(k, fd)?;
    let sock = k.vfs.unix().get(s).expect("socket");
    let name = if peer {
        let p = sock.peer.filter(|_| !sock.peer_gone).ok_or(ENOTCONN)?;
        k.vfs.unix().get(p).and_then(|p| p.addr.clone())
    } else {
        sock.addr.clone()
    };
    write_addr(k, addr, lenp, name.as_deref())?;
    Ok(0)
}

/// getsockopt(2) at SOL_SOCKET.
pub fn getsockopt(k: &mut Kernel, fd: i32, level: i32, name: i32, val: u64, lenp: u64) -> SysResult {
    let (_, s) = sock_fd(k, fd)?;
    let len: i32 = k.read_val(lenp)?;
    if len < 0 {
        return Err(EINVAL);
    }
    if level != SOL_SOCKET {
        return Err(EOPNOTSUPP);
    }
    let sock = k.vfs.unix().get(s).expect("socket");
    let int = |v: u32| v.to_ne_bytes().to_vec();
    let bytes = match name {
        SO_TYPE => int(sock.ty),
        SO_DOMAIN => int(AF_UNIX),
        SO_PROTOCOL | SO_ERROR => int(0),
        SO_ACCEPTCONN => int(sock.listening as u32),
        SO_PASSCRED => int(sock.passcred as u32),
        SO_SNDBUF | SO_RCVBUF => int(BUF as u32),
        SO_PEERCRED => {
            let c = sock.peer_cred.unwrap_or(Ucred { pid: 0, uid: OVERFLOW_ID, gid: OVERFLOW_ID });
            use crate::ns::user::IdKind::{Gid, Uid};
            [c.pid, k.id_to_user(Uid, c.uid), k.id_to_user(Gid, c.gid)].iter().flat_map(|v| v.to_ne_bytes()).collect()
        }
        _ => return Err(ENOPROTOOPT),
    };
    let n = bytes.len().min(len as usize);
    k.copy_out(val, &bytes[..n])?;
    k.write_val(lenp, &(n as i32))?;
    Ok(0)
}

/// setsockopt(2) at SOL_SOCKET: SO_PASSCRED; the buffer sizes are taken
/// and ignored.
pub fn setsockopt(k: &mut Kernel, fd: i32, level: i32, name: i32, val: u64, len: u32) -> SysResult {
    let (_, s) = sock_fd(k, fd)?;
    if level != SOL_SOCKET {
        return Err(EOPNOTSUPP);
    }
    if (len as usize) < 4 {
        return Err(EINVAL);
    }
    let v: i32 = k.read_val(val)?;
    match name {
        SO_PASSCRED => k.vfs.unix_mut().get_mut(s).passcred = v != 0,
        SO_SNDBUF | SO_RCVBUF => {}
        _ => return Err(ENOPROTOOPT),
    }
    Ok(0)
}
