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
pub const MSG_STAT: i32 = 11;
pub const MSG_INFO: i32 = 12;
pub const MSG_STAT_ANY: i32 = 13;

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
pub fn finish(k: &mut Kernel, r: SysResult) -> SysResult {
    if r != Err(ERESTARTNOINTR) {
        if let Resume::Ipc { .. } = k.cur().resume {
            k.cur_mut().resume = Resume::None;
        }
    }
    r
}

/// Sleep until queue `id` changes; EIDRM if it was removed meanwhile.
fn wait_on<T>(k: &mut Kernel, id: i32) -> SysResult<T> {
    k.cur_mut().resume = Resume::Ipc { deadline: None, removed: false };
    Err(k.block_current(WaitReason::Msg { id }))
}

/// A msgsnd/msgrcv re-run after its queue was removed while it slept
/// answers EIDRM before it reads anything (Linux returns from its wait
/// loop with the message already copied in).
pub fn removed_while_asleep(k: &Kernel) -> SysResult<()> {
    match k.cur().resume {
        Resume::Ipc { removed: true, .. } => Err(EIDRM),
        _ => Ok(()),
    }
}

/// The limits msgsnd checks before it copies the text (Linux: the top of
/// do_msgsnd()).
pub fn check_send(k: &Kernel, id: i32, size: i64, mtype: i64) -> SysResult<()> {
    if size < 0 || size > k.ipc.msg.limits.max as i64 || id < 0 || mtype < 1 {
        return Err(EINVAL);
    }
    Ok(())
}

/// The most bytes a MSG_COPY receive reads of its buffer (Linux:
/// prepare_copy()).
pub fn copy_limit(k: &Kernel, size: i64) -> usize {
    (size.max(0) as usize).min(k.ipc.msg.limits.max.max(0) as usize)
}

/// msgget(2) (Linux: ksys_msgget() → newque()).
pub fn get(k: &mut Kernel, key: i32, flags: u32) -> SysResult {
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

/// Queue a message whose text is already in the kernel, or sleep until
/// there is room (Linux: do_msgsnd() after load_msg()).
pub fn send(k: &mut Kernel, id: i32, mtype: i64, text: Vec<u8>, flags: u32) -> SysResult {
    let slot = k.ipc.msg.ids.find(id)?;
    k.ipc.msg.ids.by_slot[&slot].perm.check(k, 2)?;
    let size = text.len() as u64;
    let q = &k.ipc.msg.ids.by_slot[&slot];
    // Linux: msg_fits_inqueue(): the bytes, and the messages counted
    // against the same limit.
    if q.cbytes + size > q.qbytes || q.msgs.len() as u64 + 1 > q.qbytes {
        if flags & IPC_NOWAIT != 0 {
            return Err(EAGAIN);
        }
        return wait_on(k, id);
    }
    let (tgid, now) = (k.cur().tgid, now_secs(k));
    let q = k.ipc.msg.ids.by_slot.get_mut(&slot).expect("queue");
    q.cbytes += size;
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

/// The message msgrcv chose, still queued: the caller copies it out and
/// only then takes it, so that a bad buffer leaves it queued.
pub struct Picked {
    slot: usize,
    index: usize,
    pub mtype: i64,
    pub text: Vec<u8>,
}

/// MSG_COPY and its rules (Linux: prepare_copy()): a copy of the message
/// at index `msgtyp`, left queued; never waits.
pub fn is_copy(flags: u32) -> SysResult<bool> {
    if flags & MSG_COPY == 0 {
        return Ok(false);
    }
    if flags & MSG_EXCEPT != 0 || flags & IPC_NOWAIT == 0 {
        return Err(EINVAL);
    }
    Ok(true)
}

/// Choose the message msgrcv returns, its text cut to `size` bytes, or
/// sleep until one comes (Linux: do_msgrcv()). `copy_limit`: MSG_COPY's
/// buffer size.
pub fn pick(
    k: &mut Kernel,
    id: i32,
    size: usize,
    msgtyp: i64,
    flags: u32,
    copy_limit: Option<usize>,
) -> SysResult<Picked> {
    let slot = k.ipc.msg.ids.find(id)?;
    k.ipc.msg.ids.by_slot[&slot].perm.check(k, 4)?;
    let q = &k.ipc.msg.ids.by_slot[&slot];
    let found = match copy_limit {
        Some(_) => usize::try_from(msgtyp).ok().filter(|&i| i < q.msgs.len()),
        None => find_msg(&q.msgs, msgtyp, flags),
    };
    let Some(index) = found else {
        if flags & IPC_NOWAIT != 0 {
            return Err(ENOMSG);
        }
        return wait_on(k, id);
    };
    let m = &q.msgs[index];
    if m.text.len() > size && flags & MSG_NOERROR == 0 {
        return Err(E2BIG);
    }
    // Linux: copy_msg() into a copy no larger than the buffer (even with
    // MSG_NOERROR).
    if copy_limit.is_some_and(|limit| m.text.len() > limit) {
        return Err(EINVAL);
    }
    let text = m.text[..m.text.len().min(size)].to_vec();
    Ok(Picked { slot, index, mtype: m.mtype, text })
}

/// Take the message `pick` chose off its queue, now that it is copied out.
pub fn take(k: &mut Kernel, id: i32, p: Picked) {
    let (tgid, now) = (k.cur().tgid, now_secs(k));
    let q = k.ipc.msg.ids.by_slot.get_mut(&p.slot).expect("queue");
    let m = q.msgs.remove(p.index).expect("message");
    q.cbytes -= m.text.len() as u64;
    q.lrpid = tgid;
    q.rtime = now;
    k.wake_queue(WaitKey::Msg(id));
}

/// IPC_INFO and MSG_INFO: the limits, or with `usage` what is in use; and
/// the highest slot in use.
pub fn info(k: &Kernel, usage: bool) -> (Msginfo, usize) {
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
    if usage {
        let qs = k.ipc.msg.ids.by_slot.values();
        info.msgpool = k.ipc.msg.ids.by_slot.len() as i32;
        info.msgmap = qs.clone().map(|q| q.msgs.len()).sum::<usize>() as i32;
        info.msgtql = qs.map(|q| q.cbytes).sum::<u64>() as i32;
    }
    (info, k.ipc.msg.ids.max_slot())
}

/// MSG_STAT and MSG_STAT_ANY: the queue in slot `slot` (checked for read
/// unless `any`), and its full id.
pub fn stat_slot(k: &Kernel, slot: i32, any: bool) -> SysResult<(MsqidDs, usize)> {
    let slot = usize::try_from(slot).map_err(|_| EINVAL)?;
    let q = k.ipc.msg.ids.by_slot.get(&slot).ok_or(EINVAL)?;
    if !any {
        q.perm.check(k, 4)?;
    }
    Ok((msqid_ds(k, q), IpcIds::id_of(slot, q) as usize))
}

/// IPC_STAT (Linux: msgctl_stat()).
pub fn stat(k: &Kernel, id: i32) -> SysResult<MsqidDs> {
    let slot = k.ipc.msg.ids.find(id)?;
    let q = &k.ipc.msg.ids.by_slot[&slot];
    q.perm.check(k, 4)?;
    Ok(msqid_ds(k, q))
}

/// IPC_SET (Linux: msgctl_down()).
pub fn set(k: &mut Kernel, id: i32, ds: &MsqidDs) -> SysResult {
    let slot = k.ipc.msg.ids.find(id)?;
    k.ipc.msg.ids.by_slot[&slot].perm.check_owner(k)?;
    // Raising qbytes past msgmnb needs CAP_SYS_RESOURCE.
    if ds.msg_qbytes > k.ipc.msg.limits.mnb as u64 && !k.cur().cred.capable(crate::proc::capability::CAP_SYS_RESOURCE) {
        return Err(EPERM);
    }
    let perm = IpcPerm::from_user(k, &ds.msg_perm)?;
    let now = now_secs(k);
    let q = k.ipc.msg.ids.by_slot.get_mut(&slot).expect("queue");
    q.perm.set(&perm);
    q.qbytes = ds.msg_qbytes;
    q.ctime = now;
    // More room may let senders in.
    k.wake_queue(WaitKey::Msg(id));
    Ok(0)
}

/// IPC_RMID (Linux: msgctl_down() → freeque()): every sleeper wakes to
/// EIDRM.
pub fn remove(k: &mut Kernel, id: i32) -> SysResult {
    let slot = k.ipc.msg.ids.find(id)?;
    k.ipc.msg.ids.by_slot[&slot].perm.check_owner(k)?;
    k.ipc.msg.ids.by_slot.remove(&slot);
    k.mark_ipc_sleepers_removed(WaitKey::Msg(id));
    k.wake_queue(WaitKey::Msg(id));
    Ok(0)
}

fn msqid_ds(k: &Kernel, q: &MsgQueue) -> MsqidDs {
    MsqidDs {
        msg_perm: q.perm.to_user(k),
        msg_stime: q.stime,
        msg_rtime: q.rtime,
        msg_ctime: q.ctime,
        msg_cbytes: q.cbytes,
        msg_qnum: q.msgs.len() as u64,
        msg_qbytes: q.qbytes,
        msg_lspid: q.lspid as i32,
        msg_lrpid: q.lrpid as i32,
        ..Default::default()
    }
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
