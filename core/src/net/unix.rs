//! AF_UNIX sockets (Linux: net/unix/af_unix.c): stream, datagram and
//! seqpacket sockets, made in pairs or bound to a file system path or an
//! abstract name and connected through it; data queued at the receiver
//! as messages that may carry descriptors (SCM_RIGHTS) and the sender's
//! credentials. The sockets live in `Kernel::unix`, by the number the
//! description's kind names; the description's release closes one.
//!
//! A stream read takes bytes across messages but stops before a message
//! that carries descriptors, as Linux's unix_stream_read_generic() stops
//! at an skb with other credentials or files. A descriptor in flight
//! holds its open file description until it is received or its message
//! dropped.

use alloc::collections::{BTreeMap, VecDeque};
use alloc::vec::Vec;

use crate::abi::*;
use crate::fs::file::{FileId, FileKind, OpenFile};
use crate::fs::ops::FileOps;
use crate::kernel::Kernel;
use crate::proc::WaitReason;

pub const AF_UNIX: u32 = 1;
pub const SOCK_STREAM: u32 = 1;
pub const SOCK_DGRAM: u32 = 2;
pub const SOCK_RAW: u32 = 3;
pub const SOCK_SEQPACKET: u32 = 5;
/// What a socket may queue at its receiver (Linux: the default
/// sk_sndbuf, net.core.wmem_default).
pub const BUF: usize = 212_992;

/// The credentials a message or a connection carries (Linux: `struct
/// ucred`, SCM_CREDENTIALS, SO_PEERCRED).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ucred {
    pub pid: u32,
    pub uid: u32,
    pub gid: u32,
}

/// One queued message (Linux: an skb on the receiver's queue).
#[derive(Debug, Default)]
pub struct Msg {
    pub data: Vec<u8>,
    /// Bytes of `data` a stream reader has taken.
    pub taken: usize,
    /// Descriptions in flight, each holding a reference.
    pub fds: Vec<FileId>,
    pub cred: Ucred,
    /// The sender's address, for a datagram.
    pub from: Option<Vec<u8>>,
}

#[derive(Debug, Default)]
pub struct Sock {
    pub ty: u32,
    /// The peer (connected sockets), or the default destination of a
    /// connected datagram socket.
    pub peer: Option<u32>,
    /// listen() was called: connections waiting for accept().
    pub listening: bool,
    pub backlog: usize,
    pub pending: VecDeque<u32>,
    pub rx: VecDeque<Msg>,
    pub rx_bytes: usize,
    /// shutdown(SHUT_RD) here, or the peer's SHUT_WR (Linux: RCV_SHUTDOWN).
    pub rcv_shutdown: bool,
    /// shutdown(SHUT_WR) here, or the peer's SHUT_RD.
    pub snd_shutdown: bool,
    /// The peer was closed (a stream or seqpacket peer is gone).
    pub peer_gone: bool,
    /// The address bound: a path's bytes or an abstract name with its
    /// leading NUL.
    pub addr: Option<Vec<u8>>,
    /// The inode a path address made, for unbinding on close.
    pub ino: Option<u64>,
    /// The credentials of whoever made the socket (pairs) or connected it
    /// (Linux: `sk_peer_cred` of the other end).
    pub cred: Ucred,
    /// The peer's credentials as SO_PEERCRED reports them.
    pub peer_cred: Option<Ucred>,
    /// SO_PASSCRED.
    pub passcred: bool,
}

/// Every AF_UNIX socket, and the names they are bound to.
#[derive(Default)]
pub struct UnixTable {
    socks: BTreeMap<u32, Sock>,
    next: u32,
    /// Bound names: abstract ones by name, path ones by inode.
    pub abstract_names: BTreeMap<Vec<u8>, u32>,
    pub by_ino: BTreeMap<u64, u32>,
    /// Where the search for a free autobind name starts (Linux: a random
    /// `ordernum`).
    autobind_next: u32,
    /// The garbage collector is dropping messages (`unix_gc`): the
    /// releases it causes do not start it again.
    pub(super) gc_running: bool,
}

impl UnixTable {
    pub fn create(&mut self, ty: u32, cred: Ucred) -> u32 {
        let id = self.next;
        self.next = self.next.wrapping_add(1);
        self.socks.insert(id, Sock { ty, cred, ..Default::default() });
        id
    }

    pub fn get(&self, s: u32) -> Option<&Sock> {
        self.socks.get(&s)
    }

    pub fn get_mut(&mut self, s: u32) -> &mut Sock {
        self.socks.get_mut(&s).expect("unix socket")
    }

    pub fn is_empty(&self) -> bool {
        self.socks.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (u32, &Sock)> + '_ {
        self.socks.iter().map(|(&id, s)| (id, s))
    }

    /// Whether any queued message carries descriptors.
    pub fn any_in_flight(&self) -> bool {
        self.socks.values().any(|s| s.rx.iter().any(|m| !m.fds.is_empty()))
    }

    /// The queues socket `s` owns: its own, and those of the connections
    /// waiting for it to accept them.
    pub fn queues_of(&self, s: u32) -> Vec<u32> {
        let mut q = alloc::vec![s];
        if let Some(sock) = self.get(s) {
            q.extend(sock.pending.iter().copied());
        }
        q
    }

    /// Bind `s` to a free abstract name, a NUL and five hex digits, if it
    /// has no name yet (Linux: unix_autobind()): ENOSPC when all 2^20 are
    /// taken.
    pub fn autobind(&mut self, s: u32) -> SysResult<()> {
        if self.get(s).is_none_or(|x| x.addr.is_some()) {
            return Ok(());
        }
        const NAMES: u32 = 1 << 20;
        for _ in 0..NAMES {
            let n = self.autobind_next;
            self.autobind_next = (n + 1) % NAMES;
            let name = alloc::format!("\0{n:05x}").into_bytes();
            if !self.abstract_names.contains_key(&name) {
                self.abstract_names.insert(name.clone(), s);
                self.get_mut(s).addr = Some(name);
                return Ok(());
            }
        }
        Err(ENOSPC)
    }
}

/// The socket behind description `id`, if it is one.
pub fn sock_of(k: &Kernel, id: FileId) -> Option<u32> {
    match k.vfs.files().try_get(id)?.kind {
        FileKind::Socket { sock } => Some(sock),
        _ => None,
    }
}

impl Kernel {
    /// The current task's credentials as a socket carries them.
    pub fn cur_ucred(&self) -> Ucred {
        let t = self.cur();
        Ucred { pid: t.tgid, uid: t.cred.euid, gid: t.cred.egid }
    }

    /// Something changed for socket `s`'s readers, writers or pollers.
    pub fn wake_sock(&mut self, s: u32) {
        self.wake_all(WaitReason::Socket(s));
    }

    /// Queue `msg` at socket `to`; the descriptions it carries are then
    /// the queue's.
    pub fn unix_queue(&mut self, to: u32, msg: Msg) {
        let r = self.vfs.unix_mut().get_mut(to);
        r.rx_bytes += msg.data.len();
        r.rx.push_back(msg);
        self.wake_sock(to);
    }

    /// Room at socket `to` for `len` more bytes (a stream's writer waits
    /// for room; a datagram must fit whole).
    pub fn unix_room(&self, to: u32) -> usize {
        self.vfs.unix().get(to).map_or(0, |r| BUF.saturating_sub(r.rx_bytes))
    }

    /// Drop a message's descriptors (an unread message, a closed queue).
    fn drop_msg(&mut self, m: Msg) {
        for f in m.fds {
            self.release_file(f);
        }
    }

    /// Close socket `s` (Linux: unix_release_sock()): its peer sees the
    /// end, connections waiting to be accepted are dropped, its name goes.
    pub fn unix_release(&mut self, s: u32) {
        let Some(mut sock) = self.vfs.unix_mut().socks.remove(&s) else { return };
        if let Some(a) = sock.addr.take() {
            if a.first() == Some(&0) {
                self.vfs.unix_mut().abstract_names.remove(&a);
            }
        }
        if let Some(ino) = sock.ino.take() {
            self.vfs.unix_mut().by_ino.remove(&ino);
        }
        if let Some(p) = sock.peer {
            if let Some(peer) = self.vfs.unix_mut().socks.get_mut(&p) {
                if peer.peer == Some(s) && sock.ty != SOCK_DGRAM {
                    peer.peer_gone = true;
                    peer.rcv_shutdown = true;
                    peer.snd_shutdown = true;
                }
                self.wake_sock(p);
            }
        }
        for m in core::mem::take(&mut sock.rx) {
            self.drop_msg(m);
        }
        for c in core::mem::take(&mut sock.pending) {
            self.unix_release(c);
        }
        // Datagram sockets connected to this one lose their destination
        // only when they next send (ECONNREFUSED), as Linux finds the dead
        // peer then.
    }
}

pub struct UnixSocket;
pub static UNIX_SOCKET: UnixSocket = UnixSocket;

impl FileOps for UnixSocket {
    fn read_iter(&self, k: &mut Kernel, id: FileId, buf: u64, len: usize, _pos: Option<u64>) -> SysResult {
        let nonblock = k.vfs.files().get(id).flags & O_NONBLOCK != 0;
        crate::syscall::unix_recv(k, id, &[(buf, len as u64)], 0, nonblock).map(|r| r.len)
    }

    fn write(&self, k: &mut Kernel, id: FileId, _pos: u64, data: &[u8]) -> SysResult {
        let nonblock = k.vfs.files().get(id).flags & O_NONBLOCK != 0;
        crate::syscall::unix_send(k, id, data, Vec::new(), None, 0, nonblock)
    }

    fn seekable(&self) -> bool {
        false
    }

    fn read_more(&self, _k: &mut Kernel, _id: FileId) -> bool {
        false
    }

    fn can_poll(&self) -> bool {
        true
    }

    /// Linux: unix_poll() and unix_dgram_poll().
    fn poll(&self, k: &mut Kernel, id: FileId) -> u16 {
        let s = sock_of(k, id).expect("socket ops");
        let Some(sock) = k.vfs.unix().get(s) else { return POLLNVAL };
        let mut ev = 0;
        if sock.listening {
            return if sock.pending.is_empty() { 0 } else { POLLIN | POLLRDNORM };
        }
        if !sock.rx.is_empty() || sock.rcv_shutdown {
            ev |= POLLIN | POLLRDNORM;
        }
        if sock.rcv_shutdown {
            ev |= EPOLLRDHUP as u16;
        }
        if sock.rcv_shutdown && sock.snd_shutdown {
            ev |= POLLHUP;
        }
        let connected_stream = sock.ty != SOCK_DGRAM && sock.peer.is_some();
        let writable = match sock.peer {
            Some(p) if !sock.snd_shutdown => k.unix_room(p) > 0 || sock.peer_gone,
            None if sock.ty == SOCK_DGRAM => true,
            _ => false,
        };
        if writable || (connected_stream && sock.peer_gone) {
            ev |= POLLOUT | POLLWRNORM;
        }
        ev
    }

    /// A socket inode's stat (Linux: sockfs), S_IFSOCK 0777.
    fn stat(&self, k: &Kernel, id: FileId) -> SysResult<Stat> {
        let mut st = crate::fs::ops::anon_stat(k, id, S_IFSOCK | 0o777);
        st.st_dev = makedev(0, 8);
        Ok(st)
    }

    /// Linux: sockfs_dname(), "socket:[ino]".
    fn d_path(&self, _k: &Kernel, id: FileId) -> Vec<u8> {
        alloc::format!("socket:[{}]", crate::fs::file::anon_ino(id)).into_bytes()
    }

    fn release(&self, k: &mut Kernel, _id: FileId, f: &OpenFile) {
        if let FileKind::Socket { sock } = f.kind {
            k.unix_release(sock);
        }
    }
}
