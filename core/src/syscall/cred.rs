//! Credentials: the set*id and get*id calls (Linux: kernel/sys.c). A
//! task with CAP_SETUID (CAP_SETGID for groups) may set any id; others
//! may only move between the real, effective and saved ids they already
//! have. Each call builds the new credentials and installs them only if
//! every check passed, as Linux's prepare_creds()/commit_creds(); user id
//! changes carry the capabilities along (`capability::fix_setuid`).

use alloc::vec::Vec;

use crate::abi::*;
use crate::kernel::Kernel;
use crate::ns::user::IdKind;
use crate::proc::capability::{fix_setuid, SetId, CAP_SETGID, CAP_SETUID};
use crate::proc::Cred;

/// -1: "leave this id unchanged".
const KEEP: u32 = u32::MAX;

/// The user or group half of a credential, so one set of rules serves both.
#[derive(Clone, Copy)]
pub enum Ids {
    User,
    Group,
}

impl Ids {
    /// (real, effective, saved, fs)
    fn get(self, c: &Cred) -> (u32, u32, u32, u32) {
        match self {
            Ids::User => (c.uid, c.euid, c.suid, c.fsuid),
            Ids::Group => (c.gid, c.egid, c.sgid, c.fsgid),
        }
    }

    fn set(self, c: &mut Cred, (r, e, s, f): (u32, u32, u32, u32)) {
        match self {
            Ids::User => (c.uid, c.euid, c.suid, c.fsuid) = (r, e, s, f),
            Ids::Group => (c.gid, c.egid, c.sgid, c.fsgid) = (r, e, s, f),
        }
    }
}

impl Ids {
    /// The capability that lets this half set any id, in the caller's
    /// own user namespace (Linux: ns_capable_setid()).
    fn privileged(self, c: &Cred) -> bool {
        c.has_cap(match self {
            Ids::User => CAP_SETUID,
            Ids::Group => CAP_SETGID,
        })
    }

    fn kind(self) -> IdKind {
        match self {
            Ids::User => IdKind::Uid,
            Ids::Group => IdKind::Gid,
        }
    }
}

impl Kernel {
    /// Kernel id `kid` of kind `kind` as the caller's user namespace
    /// names it, 65534 without a mapping (Linux: from_kuid_munged(), the
    /// way every id leaves the kernel).
    pub fn id_to_user(&self, kind: IdKind, kid: u32) -> u32 {
        self.ns.user.from_kid_munged(self.cur().cred.user_ns, kind, kid)
    }

    /// The kernel id of `id` as the caller names it; EINVAL without a
    /// mapping (Linux: make_kuid() then uid_valid()).
    pub fn id_from_user(&self, kind: IdKind, id: u32) -> SysResult<u32> {
        self.ns.user.make_kid(self.cur().cred.user_ns, kind, id).ok_or(EINVAL)
    }

    /// A file's owner as stat(2) shows it to the caller (Linux:
    /// cp_new_stat()'s from_kuid_munged(current_user_ns(), ...)).
    pub fn stat_ids_to_user(&self, uid: &mut u32, gid: &mut u32) {
        *uid = self.id_to_user(IdKind::Uid, *uid);
        *gid = self.id_to_user(IdKind::Gid, *gid);
    }

    /// As [`Kernel::id_from_user`], -1 ("unchanged") kept as it is.
    fn id_or_keep(&self, kind: IdKind, id: u32) -> SysResult<u32> {
        if id == KEEP {
            Ok(KEEP)
        } else {
            self.id_from_user(kind, id)
        }
    }
}

/// Install `new` as the current task's credentials after a set*id call
/// changed `how`: user id changes adjust capabilities, and a change of
/// effective or fs ids, or a loss of capabilities, makes the process
/// non-dumpable (the default `fs.suid_dumpable = 0`), so that the user it
/// became cannot look into what it held as the old one.
/// Linux: security_task_fix_setuid() then commit_creds().
fn commit_creds(k: &mut Kernel, ids: Ids, mut new: Cred, how: SetId) {
    let old = k.cur().cred;
    if let Ids::User = ids {
        let root = k.ns.user.make_kid(old.user_ns, IdKind::Uid, 0);
        fix_setuid(&mut new, &old, how, root);
    }
    if old.euid != new.euid
        || old.egid != new.egid
        || old.fsuid != new.fsuid
        || old.fsgid != new.fsgid
        || old.caps.permitted & !new.caps.permitted != 0
    {
        new.dumpable = false;
    }
    k.proc.ucounts_mut().move_nproc(old.uid, new.uid);
    k.cur_mut().cred = new;
}

/// Linux: __sys_setuid() / __sys_setgid().
pub fn setid(k: &mut Kernel, ids: Ids, id: u32) -> SysResult {
    let id = k.id_from_user(ids.kind(), id)?;
    let mut c = k.cur().cred;
    let (r, _e, s, _f) = ids.get(&c);
    let new = if ids.privileged(&c) {
        (id, id, id, id)
    } else if id == r || id == s {
        (r, id, s, id)
    } else {
        return Err(EPERM);
    };
    ids.set(&mut c, new);
    commit_creds(k, ids, c, SetId::Res);
    Ok(0)
}

/// Linux: __sys_setreuid() / __sys_setregid().
pub fn setreid(k: &mut Kernel, ids: Ids, rid: u32, eid: u32) -> SysResult {
    let (rid, eid) = (k.id_or_keep(ids.kind(), rid)?, k.id_or_keep(ids.kind(), eid)?);
    let mut c = k.cur().cred;
    let (or, oe, os, _) = ids.get(&c);
    let root = ids.privileged(&c);
    let (mut r, mut e, mut s) = (or, oe, os);
    if rid != KEEP {
        if !(root || rid == or || rid == oe) {
            return Err(EPERM);
        }
        r = rid;
    }
    if eid != KEEP {
        if !(root || eid == or || eid == oe || eid == os) {
            return Err(EPERM);
        }
        e = eid;
    }
    // The saved id follows the effective one when the real id is set or
    // the effective id moves away from the old real id.
    if rid != KEEP || (eid != KEEP && eid != or) {
        s = e;
    }
    ids.set(&mut c, (r, e, s, e));
    commit_creds(k, ids, c, SetId::Res);
    Ok(0)
}

/// Linux: __sys_setresuid() / __sys_setresgid().
pub fn setresid(k: &mut Kernel, ids: Ids, rid: u32, eid: u32, sid: u32) -> SysResult {
    let kind = ids.kind();
    let (rid, eid, sid) = (k.id_or_keep(kind, rid)?, k.id_or_keep(kind, eid)?, k.id_or_keep(kind, sid)?);
    let mut c = k.cur().cred;
    let old = ids.get(&c);
    if !ids.privileged(&c) {
        let allowed = |v: u32| v == KEEP || v == old.0 || v == old.1 || v == old.2;
        if !(allowed(rid) && allowed(eid) && allowed(sid)) {
            return Err(EPERM);
        }
    }
    let pick = |v: u32, o: u32| if v == KEEP { o } else { v };
    let e = pick(eid, old.1);
    ids.set(&mut c, (pick(rid, old.0), e, pick(sid, old.2), e));
    commit_creds(k, ids, c, SetId::Res);
    Ok(0)
}

/// Linux: getresuid() / getresgid(): three ids written as u32s.
pub fn getresid(k: &mut Kernel, ids: Ids, rp: u64, ep: u64, sp: u64) -> SysResult {
    let (r, e, s, _) = ids.get(&k.cur().cred);
    let (r, e, s) = (k.id_to_user(ids.kind(), r), k.id_to_user(ids.kind(), e), k.id_to_user(ids.kind(), s));
    k.write_val(rp, &r)?;
    k.write_val(ep, &e)?;
    k.write_val(sp, &s)?;
    Ok(0)
}

/// Linux: setfsuid() / setfsgid(): always returns the old fs id.
pub fn setfsid(k: &mut Kernel, ids: Ids, id: u32) -> SysResult {
    let mut c = k.cur().cred;
    let (r, e, s, f) = ids.get(&c);
    let old = k.id_to_user(ids.kind(), f);
    let Ok(id) = k.id_from_user(ids.kind(), id) else { return Ok(old as usize) };
    if id != f && (ids.privileged(&c) || id == r || id == e || id == s) {
        ids.set(&mut c, (r, e, s, id));
        commit_creds(k, ids, c, SetId::Fs);
    }
    Ok(old as usize)
}

/// Linux: NGROUPS_MAX.
const NGROUPS_MAX: u64 = 65536;

/// Linux: getgroups(): with size 0 just the count; EINVAL if the buffer
/// is too small.
pub fn getgroups(k: &mut Kernel, size: i32, list: u64) -> SysResult {
    if size < 0 {
        return Err(EINVAL);
    }
    let groups = k.cur().groups.clone();
    if size == 0 {
        return Ok(groups.len());
    }
    if (size as usize) < groups.len() {
        return Err(EINVAL);
    }
    let shown: Vec<u32> = groups.iter().map(|&g| k.id_to_user(IdKind::Gid, g)).collect();
    k.write_vals(list, &shown)?;
    Ok(groups.len())
}

/// Linux: setgroups(): CAP_SETGID in the caller's user namespace, where
/// the gid map must be written and setgroups not denied (may_setgroups());
/// the list is kept sorted, as kernel ids (EINVAL for a gid without a
/// mapping). The count is an `int`: only the register's low 32 bits
/// count, and as an unsigned number it may not pass NGROUPS_MAX (EINVAL).
pub fn setgroups(k: &mut Kernel, size: u64, list: u64) -> SysResult {
    let c = k.cur().cred;
    if !c.has_cap(CAP_SETGID) || !k.ns.user.may_setgroups(c.user_ns) {
        return Err(EPERM);
    }
    let size = size as u32;
    if u64::from(size) > NGROUPS_MAX {
        return Err(EINVAL);
    }
    let mut groups: Vec<u32> = crate::mm::kheap::try_vec(size as usize)?;
    groups.resize(size as usize, 0);
    k.copy_in(list, zerocopy::IntoBytes::as_mut_bytes(groups.as_mut_slice()))?;
    for g in groups.iter_mut() {
        *g = k.id_from_user(IdKind::Gid, *g)?;
    }
    groups.sort_unstable();
    k.cur_mut().groups = alloc::sync::Arc::new(groups);
    Ok(0)
}

/// Capability header versions (Linux: include/uapi/linux/capability.h):
/// version 1 has one 32-bit word per set, versions 2 and 3 two.
const CAP_V1: u32 = 0x1998_0330;
const CAP_V2: u32 = 0x2007_1026;
const CAP_V3: u32 = 0x2008_0522;

/// The number of `__user_cap_data_struct`s the header's version uses;
/// for an unknown version, the preferred one is written back and EINVAL.
/// Linux: cap_validate_magic().
fn cap_words(k: &mut Kernel, header: u64) -> SysResult<usize> {
    // Linux: get_user(version, &header->version), the pid later.
    match k.read_val::<u32>(header)? {
        CAP_V1 => Ok(1),
        CAP_V2 | CAP_V3 => Ok(2),
        _ => {
            k.write_val(header, &CAP_V3)?;
            Err(EINVAL)
        }
    }
}

fn cap_pid(k: &mut Kernel, header: u64) -> SysResult<i32> {
    k.read_val(header + 4)
}

/// Linux: capget(2). A NULL data pointer probes the version: 0 even for
/// an unknown one (which is written back). pid 0 is the caller.
pub fn capget(k: &mut Kernel, header: u64, data: u64) -> SysResult {
    let words = match cap_words(k, header) {
        Err(EINVAL) if data == 0 => return Ok(0),
        r => r?,
    };
    if data == 0 {
        return Ok(0);
    }
    let pid = cap_pid(k, header)?;
    if pid < 0 {
        return Err(EINVAL);
    }
    let caps = if pid == 0 {
        k.cur().cred.caps
    } else {
        k.proc
            .tasks()
            .get(&(pid as crate::proc::Pid))
            .filter(|t| t.state != crate::proc::TaskState::Dead)
            .ok_or(ESRCH)?
            .cred
            .caps
    };
    let word = |set: u64, w: usize| (set >> (32 * w)) as u32;
    let out: Vec<CapUserData> = (0..words)
        .map(|w| CapUserData {
            effective: word(caps.effective, w),
            permitted: word(caps.permitted, w),
            inheritable: word(caps.inheritable, w),
        })
        .collect();
    k.write_vals(data, &out)?;
    Ok(0)
}

/// Linux: capset(2) with cap_capset()'s rules: only the caller (EPERM
/// for another pid); the new permitted set within the old, effective
/// within the new permitted, inheritable within old inheritable plus
/// bounding set, and without CAP_SETPCAP within old inheritable plus
/// permitted. Ambient capabilities no longer permitted and inheritable go.
pub fn capset(k: &mut Kernel, header: u64, data: u64) -> SysResult {
    use crate::proc::capability::{CAP_FULL_SET, CAP_SETPCAP};
    let words = cap_words(k, header)?;
    let pid = cap_pid(k, header)?;
    if pid != 0 && pid as u32 != k.cur().tid {
        return Err(EPERM);
    }
    let raw: Vec<CapUserData> = k.read_vals(data, words)?;
    let set = |f: fn(&CapUserData) -> u32| {
        raw.iter().enumerate().fold(0u64, |acc, (w, d)| acc | (f(d) as u64) << (32 * w)) & CAP_FULL_SET
    };
    let (effective, permitted, inheritable) = (set(|d| d.effective), set(|d| d.permitted), set(|d| d.inheritable));
    let old = k.cur().cred;
    let subset = |a: u64, b: u64| a & !b == 0;
    if !old.has_cap(CAP_SETPCAP) && !subset(inheritable, old.caps.inheritable | old.caps.permitted) {
        return Err(EPERM);
    }
    if !subset(inheritable, old.caps.inheritable | old.caps.bset)
        || !subset(permitted, old.caps.permitted)
        || !subset(effective, permitted)
    {
        return Err(EPERM);
    }
    let mut new = old;
    new.caps.effective = effective;
    new.caps.permitted = permitted;
    new.caps.inheritable = inheritable;
    new.caps.ambient &= permitted & inheritable;
    if !subset(old.caps.permitted, permitted) {
        new.dumpable = false;
    }
    k.cur_mut().cred = new;
    Ok(0)
}
