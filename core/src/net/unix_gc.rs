//! Collecting AF_UNIX sockets that only descriptors in flight keep alive
//! (Linux: net/unix/garbage.c, unix_gc()).
//!
//! A socket sent over a socket with SCM_RIGHTS is held by the message
//! until it is received. When every reference to a socket's description
//! is such a message (its descriptors closed), and those messages sit in
//! queues that nothing outside can read either, as when each end of a
//! pair is sent through itself and both are closed, nothing will ever
//! receive them: the sockets are garbage, and so is what their queues
//! hold.
//!
//! The collector finds the candidates, descriptions whose every reference
//! is in flight; marks as reachable those whose messages lie in the queue
//! of a socket that is not a candidate, or of a reachable one; and drops
//! the queued messages of the rest, which frees them. A connection not
//! yet accepted belongs to its listener. Linux runs it when a socket is
//! released; Tine also runs it whenever a socket description loses a
//! reference while descriptors are in flight, which only collects the
//! same garbage sooner (nothing can observe it in between).

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::vec::Vec;

use crate::fs::file::{FileId, FileKind};
use crate::kernel::Kernel;

impl Kernel {
    /// Collect unreachable sockets in flight (Linux: unix_gc()).
    pub fn unix_gc(&mut self) {
        if self.vfs.unix().gc_running || !self.vfs.unix().any_in_flight() {
            return;
        }
        let garbage = self.unix_garbage();
        if garbage.is_empty() {
            return;
        }
        // Drop what the garbage queues hold; the references those
        // messages held are the last ones, so the sockets go with them.
        let mut fds = Vec::new();
        let unix = self.vfs.unix_mut();
        for s in garbage {
            for q in unix.queues_of(s) {
                let sock = unix.get_mut(q);
                for m in sock.rx.iter_mut() {
                    fds.append(&mut m.fds);
                }
            }
        }
        unix.gc_running = true;
        for f in fds {
            self.release_file(f);
        }
        self.vfs.unix_mut().gc_running = false;
    }

    /// The sockets only unreachable messages hold.
    fn unix_garbage(&self) -> Vec<u32> {
        let unix = self.vfs.unix();
        let files = self.vfs.files();
        let sock_file = |f: FileId| match files.try_get(f).map(|o| &o.kind) {
            Some(FileKind::Socket { sock }) => Some(*sock),
            _ => None,
        };
        // How often each socket's description is in flight.
        let mut in_flight: BTreeMap<FileId, u32> = BTreeMap::new();
        for (_, sock) in unix.iter() {
            for f in sock.rx.iter().flat_map(|m| m.fds.iter()) {
                if sock_file(*f).is_some() {
                    *in_flight.entry(*f).or_default() += 1;
                }
            }
        }
        // Candidates: every reference in flight.
        let candidates: BTreeMap<u32, FileId> = in_flight
            .iter()
            .filter(|&(&f, &n)| files.try_get(f).is_some_and(|o| o.refs == n))
            .filter_map(|(&f, _)| sock_file(f).map(|s| (s, f)))
            .collect();
        if candidates.is_empty() {
            return Vec::new();
        }
        // Whose queue a socket's messages count as: its own, or its
        // listener's for a connection not yet accepted.
        let mut owner: BTreeMap<u32, u32> = BTreeMap::new();
        for (id, sock) in unix.iter() {
            for &c in &sock.pending {
                owner.insert(c, id);
            }
        }
        // Mark: start from every queue a live socket owns.
        let mut reachable: BTreeSet<u32> = BTreeSet::new();
        let mut work: Vec<u32> =
            unix.iter().map(|(id, _)| id).filter(|id| !candidates.contains_key(owner.get(id).unwrap_or(id))).collect();
        while let Some(q) = work.pop() {
            let Some(sock) = unix.get(q) else { continue };
            for f in sock.rx.iter().flat_map(|m| m.fds.iter()) {
                if let Some(s) = sock_file(*f) {
                    if candidates.contains_key(&s) && reachable.insert(s) {
                        work.extend(unix.queues_of(s));
                    }
                }
            }
        }
        candidates.keys().copied().filter(|s| !reachable.contains(s)).collect()
    }
}

#[cfg(test)]
mod tests {
    use crate::abi::nr;
    use crate::testkit::*;

    /// sendmsg(2) of one byte with `fd` in SCM_RIGHTS, built in scratch.
    fn send_fd(k: &mut crate::kernel::Kernel, s: i32, fd: i32) -> i64 {
        let base = scratch(k, 1);
        let (hdr, iov, ctl, byte) = (base + 0x100, base + 0x200, base + 0x300, base + 0x400);
        write_user(k, 1, byte, b"f").unwrap();
        write_user(k, 1, iov, &[byte.to_ne_bytes(), 1u64.to_ne_bytes()].concat()).unwrap();
        let mut c = 20u64.to_ne_bytes().to_vec();
        c.extend_from_slice(&1i32.to_ne_bytes());
        c.extend_from_slice(&1i32.to_ne_bytes());
        c.extend_from_slice(&fd.to_ne_bytes());
        c.resize(24, 0);
        write_user(k, 1, ctl, &c).unwrap();
        let mut h = [0u64; 7];
        (h[2], h[3], h[4], h[5]) = (iov, 1, ctl, 24);
        write_user(k, 1, hdr, &h.iter().flat_map(|v| v.to_ne_bytes()).collect::<alloc::vec::Vec<u8>>()).unwrap();
        syscall(k, 1, nr::SENDMSG, &[s as u64, hdr, 0])
    }

    #[test]
    fn a_pair_sent_through_itself_is_collected() {
        let (mut k, _hw) = boot(512);
        let files = k.vfs.files().count();
        let sv = scratch(&mut k, 1) + 0x800;
        for ty in [1u64, 2] {
            assert_eq!(syscall(&mut k, 1, nr::SOCKETPAIR, &[1, ty, 0, sv]), 0);
            let v = read_user(&mut k, 1, sv, 8).unwrap();
            let (a, b) =
                (i32::from_ne_bytes(v[..4].try_into().unwrap()), i32::from_ne_bytes(v[4..].try_into().unwrap()));
            assert_eq!(send_fd(&mut k, a, a), 1);
            assert_eq!(send_fd(&mut k, b, b), 1);
            assert_eq!(syscall(&mut k, 1, nr::CLOSE, &[a as u64]), 0);
            assert_eq!(k.vfs.files().count(), files + 2, "one end still open: nothing collected");
            assert_eq!(syscall(&mut k, 1, nr::CLOSE, &[b as u64]), 0);
            assert_eq!(k.vfs.files().count(), files);
            assert!(k.vfs.unix().is_empty());
        }
    }
}
