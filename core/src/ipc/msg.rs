//! System V message queues (Linux: ipc/msg.c): msgget, msgsnd, msgrcv,
//! msgctl.
//!
//! A queue holds typed messages, oldest first, up to `qbytes` bytes of
//! text and as many messages. A sender that finds no room, and a receiver
//! that finds no message of the type it asks for, sleep on the queue's
//! wait queue and try again when it changes; removing the queue wakes
//! them with EIDRM. Message text lives on the kernel heap, allocated
//! fallibly (ENOMEM), as Linux's load_msg() allocates it.

use alloc::collections::VecDeque;
use alloc::vec::Vec;

use super::util::*;
use crate::abi::*;
use crate::kernel::Kernel;
use crate::proc::waitqueue::WaitKey;
use crate::proc::{Pid, Resume, WaitReason};

const MSG_NOERROR: u32 = 0o10000;
const MSG_EXCEPT: u32 = 0o20000;
const MSG_COPY: u32 = 0o40000;
const MSG_STAT: i32 = 11;
const MSG_INFO: i32 = 12;
const MSG_STAT_ANY: i32 = 13;

/// /proc/sys/kernel/msgmax, msgmnb, msgmni (Linux: `ns->msg_ctlmax`,
/// `msg_ctlmnb`, `msg_ctlmni`), with Linux's defaults (MSGMAX 8192,
/// MSGMNB 16384, MSGMNI 32000).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MsgLimits {
    pub max: i32,
    pub mnb: i32,
    pub mni: i32,
}

impl Default for MsgLimits {
    fn default() -> Self {
        MsgLimits { max: 8192, mnb: 16384, mni: 32000 }
    }
}

#[derive(Debug)]
struct Message {
    mtype: i64,
    text: Vec<u8>,
}

/// One queue (Linux: `struct msg_queue`).
#[derive(Debug)]
pub struct MsgQueue {
    perm: IpcPerm,
    msgs: VecDeque<Message>,
    cbytes: u64,
    qbytes: u64,
    lspid: Pid,
    lrpid: Pid,
    stime: i64,
    rtime: i64,
    ctime: i64,
}

impl IpcObject for MsgQueue {
    fn perm(&self) -> &IpcPerm {
        &self.perm
    }
}

/// The IPC namespace's queues.
#[derive(Debug, Default)]
pub struct MsgTable {
    ids: IpcIds<MsgQueue>,
    pub limits: MsgLimits,
}

impl MsgTable {
    /// /proc/sysvipc/msg (Linux: sysvipc_msg_proc_show()).
    pub fn proc_text(&self, out: &mut Vec<u8>) {
        use core::fmt::Write;
        let mut s = alloc::string::String::from(
            "       key      msqid perms      cbytes       qnum lspid lrpid   uid   gid  cuid  cgid      stime      rtime      ctime\n",
        );
        for (&slot, q) in &self.ids.by_slot {
            let p = &q.perm;
            let _ = writeln!(
                s,
                "{:10} {:10}  {:4o}  {:10} {:10} {:5} {:5} {:5} {:5} {:5} {:5} {:10} {:10} {:10}",
                p.key,
                IpcIds::id_of(slot, q),
                p.mode,
                q.cbytes,
                q.msgs.len(),
                q.lspid,
                q.lrpid,
                p.uid,
                p.gid,
                p.cuid,
                p.cgid,
                q.stime,
                q.rtime,
                q.ctime
            );
        }
        out.extend_from_slice(s.as_bytes());
    }
}

impl Kernel {
    /// The namespace goes (Linux: msg_exit_ns()).
    pub fn msg_exit_ns(&mut self) {
        self.ipc.msg.ids.by_slot.clear();
    }
}

/// Forget what a blocked msgsnd/msgrcv kept, once the call is over.
fn finish(k: &mut Kernel, r: SysResult) -> SysResult {
    if r != Err(ERESTARTNOINTR) {
        if let Resume::Ipc { .. } = k.cur().resume {
            k.cur_mut().resume = Resume::None;
        }
    }
    r
}

/// Sleep until queue `id` changes; EIDRM if it was removed meanwhile.
fn wait_on(k: &mut Kernel, id: i32) -> SysResult {
    k.cur_mut().resume = Resume::Ipc { deadline: None, removed: false };
    Err(k.block_current(WaitReason::Msg { id }))
}

fn removed_while_asleep(k: &Kernel) -> bool {
    matches!(k.cur().resume, Resume::Ipc { removed: true, .. })
}

/// msgget(2) (Linux: ksys_msgget() → newque()).
pub fn sys_msgget(k: &mut Kernel, key: i32, flags: u32) -> SysResult {
    if let Some((_, id)) = k.ipc.msg.ids.lookup(k, key, flags)? {
        return Ok(id as usize);
    }
    let Some(slot) = k.ipc.msg.ids.free_slot(k.ipc.msg.limits.mni.max(0) as usize) else { return Err(ENOSPC) };
    let seq = k.ipc.msg.ids.next_seq();
    let q = MsgQueue {
        perm: IpcPerm::new(k, key, flags, seq),
        msgs: VecDeque::new(),
        cbytes: 0,
        qbytes: k.ipc.msg.limits.mnb as u64,
        lspid: 0,
        lrpid: 0,
        stime: 0,
        rtime: 0,
        ctime: now_secs(k),
    };
    let id = IpcIds::id_of(slot, &q);
    k.ipc.msg.ids.by_slot.insert(slot, q);
    Ok(id as usize)
}

/// msgsnd(2) (Linux: do_msgsnd()).
pub fn sys_msgsnd(k: &mut Kernel, id: i32, msgp: u64, size: i64, flags: u32) -> SysResult {
    let r = msgsnd(k, id, msgp, size, flags);
    finish(k, r)
}

fn msgsnd(k: &mut Kernel, id: i32, msgp: u64, size: i64, flags: u32) -> SysResult {
    if removed_while_asleep(k) {
        return Err(EIDRM);
    }
    let mtype: i64 = k.read_val(msgp)?;
    if size < 0 || size > k.ipc.msg.limits.max as i64 || id < 0 {
        return Err(EINVAL);
    }
    if mtype < 1 {
        return Err(EINVAL);
    }
    let mut text = crate::mm::kheap::try_zeroed(size as usize)?;
    k.copy_in(msgp + 8, &mut text)?;
    let slot = k.ipc.msg.ids.find(id)?;
    k.ipc.msg.ids.by_slot[&slot].perm.check(k, 2)?;
    let q = &k.ipc.msg.ids.by_slot[&slot];
    // Linux: msg_fits_inqueue(): the bytes, and the messages counted
    // against the same limit.
    if q.cbytes + size as u64 > q.qbytes || q.msgs.len() as u64 + 1 > q.qbytes {
        if flags & IPC_NOWAIT != 0 {
            return Err(EAGAIN);
        }
        return wait_on(k, id);
    }
    let (tgid, now) = (k.cur().tgid, now_secs(k));
    let q = k.ipc.msg.ids.by_slot.get_mut(&slot).expect("queue");
    q.cbytes += size as u64;
    q.msgs.push_back(Message { mtype, text });
    q.lspid = tgid;
    q.stime = now;
    k.wake_queue(WaitKey::Msg(id));
    Ok(0)
}

/// Which message msgrcv takes (Linux: find_msg() with convert_mode()):
/// the first; the first of type `t` (or, with MSG_EXCEPT, of another
/// type); for t < 0 the first of the lowest type not above |t|.
fn find_msg(msgs: &VecDeque<Message>, t: i64, flags: u32) -> Option<usize> {
    match t {
        0 => (!msgs.is_empty()).then_some(0),
        t if t > 0 && flags & MSG_EXCEPT != 0 => msgs.iter().position(|m| m.mtype != t),
        t if t > 0 => msgs.iter().position(|m| m.mtype == t),
        t => {
            let limit = t.checked_neg().unwrap_or(i64::MAX);
            let mut best: Option<usize> = None;
            for (i, m) in msgs.iter().enumerate() {
                if m.mtype <= limit && best.is_none_or(|b| m.mtype < msgs[b].mtype) {
                    best = Some(i);
                }
            }
            best
        }
    }
}

/// msgrcv(2) (Linux: do_msgrcv()).
pub fn sys_msgrcv(k: &mut Kernel, id: i32, msgp: u64, size: i64, msgtyp: i64, flags: u32) -> SysResult {
    let r = msgrcv(k, id, msgp, size, msgtyp, flags);
    finish(k, r)
}

fn msgrcv(k: &mut Kernel, id: i32, msgp: u64, size: i64, msgtyp: i64, flags: u32) -> SysResult {
    if removed_while_asleep(k) {
        return Err(EIDRM);
    }
    if size < 0 {
        return Err(EINVAL);
    }
    // MSG_COPY: a copy of the message at index `msgtyp`, left queued, for
    // checkpoint/restore; never waits. Linux: prepare_copy() reads the
    // buffer (at most msgmax bytes) before anything else.
    let copy_limit = if flags & MSG_COPY != 0 {
        if flags & MSG_EXCEPT != 0 || flags & IPC_NOWAIT == 0 {
            return Err(EINVAL);
        }
        let limit = (size as usize).min(k.ipc.msg.limits.max.max(0) as usize);
        let mut scratch = crate::mm::kheap::try_zeroed(limit)?;
        k.copy_in(msgp, &mut scratch)?;
        Some(limit)
    } else {
        None
    };
    let slot = k.ipc.msg.ids.find(id)?;
    k.ipc.msg.ids.by_slot[&slot].perm.check(k, 4)?;
    let q = &k.ipc.msg.ids.by_slot[&slot];
    let found = match copy_limit {
        Some(_) => usize::try_from(msgtyp).ok().filter(|&i| i < q.msgs.len()),
        None => find_msg(&q.msgs, msgtyp, flags),
    };
    let Some(i) = found else {
        if flags & IPC_NOWAIT != 0 {
            return Err(ENOMSG);
        }
        return wait_on(k, id);
    };
    let len = q.msgs[i].text.len();
    if len > size as usize && flags & MSG_NOERROR == 0 {
        return Err(E2BIG);
    }
    // Linux: copy_msg() into a copy no larger than the buffer (even with
    // MSG_NOERROR).
    if copy_limit.is_some_and(|limit| len > limit) {
        return Err(EINVAL);
    }
    let n = len.min(size as usize);
    let mtype = q.msgs[i].mtype;
    // Copied out before it is taken: a bad buffer leaves it queued.
    let text = q.msgs[i].text[..n].to_vec();
    k.write_val(msgp, &mtype)?;
    k.copy_out(msgp + 8, &text)?;
    if copy_limit.is_some() {
        return Ok(n);
    }
    let (tgid, now) = (k.cur().tgid, now_secs(k));
    let q = k.ipc.msg.ids.by_slot.get_mut(&slot).expect("queue");
    let m = q.msgs.remove(i).expect("message");
    q.cbytes -= m.text.len() as u64;
    q.lrpid = tgid;
    q.rtime = now;
    k.wake_queue(WaitKey::Msg(id));
    Ok(n)
}

/// msgctl(2) (Linux: ksys_msgctl()).
pub fn sys_msgctl(k: &mut Kernel, id: i32, cmd: i32, buf: u64) -> SysResult {
    let cmd = cmd & !IPC_64;
    match cmd {
        IPC_INFO | MSG_INFO => {
            let l = k.ipc.msg.limits;
            let mut info = Msginfo {
                msgpool: ((l.mni as i64 * l.mnb as i64) / 1024) as i32,
                msgmap: l.mnb,
                msgmax: l.max,
                msgmnb: l.mnb,
                msgmni: l.mni,
                msgssz: 16,
                msgtql: l.mnb,
                msgseg: 0xffff,
                pad: 0,
            };
            if cmd == MSG_INFO {
                let qs = k.ipc.msg.ids.by_slot.values();
                info.msgpool = k.ipc.msg.ids.by_slot.len() as i32;
                info.msgmap = qs.clone().map(|q| q.msgs.len()).sum::<usize>() as i32;
                info.msgtql = qs.map(|q| q.cbytes).sum::<u64>() as i32;
            }
            k.write_val(buf, &info)?;
            return Ok(k.ipc.msg.ids.max_slot());
        }
        MSG_STAT | MSG_STAT_ANY => {
            let slot = usize::try_from(id).map_err(|_| EINVAL)?;
            let q = k.ipc.msg.ids.by_slot.get(&slot).ok_or(EINVAL)?;
            if cmd == MSG_STAT {
                q.perm.check(k, 4)?;
            }
            let full = IpcIds::id_of(slot, q);
            write_msqid_ds(k, slot, buf)?;
            return Ok(full as usize);
        }
        _ => {}
    }
    let slot = k.ipc.msg.ids.find(id)?;
    match cmd {
        IPC_STAT => {
            k.ipc.msg.ids.by_slot[&slot].perm.check(k, 4)?;
            write_msqid_ds(k, slot, buf)?;
            Ok(0)
        }
        IPC_SET => {
            let ds: MsqidDs = k.read_val(buf)?;
            k.ipc.msg.ids.by_slot[&slot].perm.check_owner(k)?;
            // Linux: msgctl_down(): raising qbytes past msgmnb needs
            // CAP_SYS_RESOURCE.
            if ds.msg_qbytes > k.ipc.msg.limits.mnb as u64
                && !k.cur().cred.capable(crate::proc::capability::CAP_SYS_RESOURCE)
            {
                return Err(EPERM);
            }
            let now = now_secs(k);
            let q = k.ipc.msg.ids.by_slot.get_mut(&slot).expect("queue");
            q.perm.set(&ds.msg_perm);
            q.qbytes = ds.msg_qbytes;
            q.ctime = now;
            // More room may let senders in.
            k.wake_queue(WaitKey::Msg(id));
            Ok(0)
        }
        IPC_RMID => {
            k.ipc.msg.ids.by_slot[&slot].perm.check_owner(k)?;
            k.ipc.msg.ids.by_slot.remove(&slot);
            for p in k.sched.waitqueues().sleepers(WaitKey::Msg(id)).to_vec() {
                if let Some(t) = k.proc.tasks_mut().get_mut(&p) {
                    if let Resume::Ipc { removed, .. } = &mut t.resume {
                        *removed = true;
                    }
                }
            }
            k.wake_queue(WaitKey::Msg(id));
            Ok(0)
        }
        _ => Err(EINVAL),
    }
}

fn write_msqid_ds(k: &mut Kernel, slot: usize, buf: u64) -> SysResult<()> {
    let q = &k.ipc.msg.ids.by_slot[&slot];
    let ds = MsqidDs {
        msg_perm: q.perm.to_user(),
        msg_stime: q.stime,
        msg_rtime: q.rtime,
        msg_ctime: q.ctime,
        msg_cbytes: q.cbytes,
        msg_qnum: q.msgs.len() as u64,
        msg_qbytes: q.qbytes,
        msg_lspid: q.lspid as i32,
        msg_lrpid: q.lrpid as i32,
        ..Default::default()
    };
    k.write_val(buf, &ds)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(types: &[i64]) -> VecDeque<Message> {
        types.iter().map(|&mtype| Message { mtype, text: Vec::new() }).collect()
    }

    #[test]
    fn message_selection_by_type() {
        let m = q(&[3, 1, 2, 1]);
        assert_eq!(find_msg(&m, 0, 0), Some(0));
        assert_eq!(find_msg(&m, 1, 0), Some(1));
        assert_eq!(find_msg(&m, 5, 0), None);
        assert_eq!(find_msg(&m, 3, MSG_EXCEPT), Some(1));
        assert_eq!(find_msg(&m, -2, 0), Some(1), "lowest type <= 2, first of them");
        assert_eq!(find_msg(&m, -3, 0), Some(1));
        assert_eq!(find_msg(&q(&[3, 2]), -2, 0), Some(1));
        assert_eq!(find_msg(&q(&[3]), -2, 0), None);
        assert_eq!(find_msg(&q(&[]), 0, 0), None);
        assert_eq!(find_msg(&q(&[5]), i64::MIN, 0), Some(0));
    }
}
