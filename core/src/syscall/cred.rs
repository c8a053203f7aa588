//! Credentials: the set*id and get*id calls (Linux: kernel/sys.c). Root
//! (effective uid 0, Linux's CAP_SETUID / CAP_SETGID) may set any id;
//! others may only move between the real, effective and saved ids they
//! already have. Each call builds the new credentials and installs them
//! only if every check passed, as Linux's prepare_creds()/commit_creds().

use alloc::vec::Vec;

use crate::abi::*;
use crate::kernel::Kernel;
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

fn privileged(c: &Cred) -> bool {
    c.euid == 0
}

/// Linux: __sys_setuid() / __sys_setgid().
pub fn setid(k: &mut Kernel, ids: Ids, id: u32) -> SysResult {
    if id == KEEP {
        return Err(EINVAL);
    }
    let mut c = k.cur().cred;
    let (r, _e, s, _f) = ids.get(&c);
    let new = if privileged(&c) {
        (id, id, id, id)
    } else if id == r || id == s {
        (r, id, s, id)
    } else {
        return Err(EPERM);
    };
    ids.set(&mut c, new);
    k.cur_mut().cred = c;
    Ok(0)
}

/// Linux: __sys_setreuid() / __sys_setregid().
pub fn setreid(k: &mut Kernel, ids: Ids, rid: u32, eid: u32) -> SysResult {
    let mut c = k.cur().cred;
    let (or, oe, os, _) = ids.get(&c);
    let root = privileged(&c);
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
    k.cur_mut().cred = c;
    Ok(0)
}

/// Linux: __sys_setresuid() / __sys_setresgid().
pub fn setresid(k: &mut Kernel, ids: Ids, rid: u32, eid: u32, sid: u32) -> SysResult {
    let mut c = k.cur().cred;
    let old = ids.get(&c);
    if !privileged(&c) {
        let allowed = |v: u32| v == KEEP || v == old.0 || v == old.1 || v == old.2;
        if !(allowed(rid) && allowed(eid) && allowed(sid)) {
            return Err(EPERM);
        }
    }
    let pick = |v: u32, o: u32| if v == KEEP { o } else { v };
    let e = pick(eid, old.1);
    ids.set(&mut c, (pick(rid, old.0), e, pick(sid, old.2), e));
    k.cur_mut().cred = c;
    Ok(0)
}

/// Linux: getresuid() / getresgid(): three ids written as u32s.
pub fn getresid(k: &mut Kernel, ids: Ids, rp: u64, ep: u64, sp: u64) -> SysResult {
    let (r, e, s, _) = ids.get(&k.cur().cred);
    k.copy_out(rp, &r.to_le_bytes())?;
    k.copy_out(ep, &e.to_le_bytes())?;
    k.copy_out(sp, &s.to_le_bytes())?;
    Ok(0)
}

/// Linux: setfsuid() / setfsgid(): always returns the old fs id.
pub fn setfsid(k: &mut Kernel, ids: Ids, id: u32) -> SysResult {
    let mut c = k.cur().cred;
    let (r, e, s, f) = ids.get(&c);
    if id != KEEP && (privileged(&c) || id == r || id == e || id == s || id == f) {
        ids.set(&mut c, (r, e, s, id));
        k.cur_mut().cred = c;
    }
    Ok(f as usize)
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
    let bytes: Vec<u8> = groups.iter().flat_map(|g| g.to_le_bytes()).collect();
    k.copy_out(list, &bytes)?;
    Ok(groups.len())
}

/// Linux: setgroups(): root only (CAP_SETGID); the list is kept sorted.
/// The count is an `int`: only the register's low 32 bits count, and as
/// an unsigned number it may not pass NGROUPS_MAX (EINVAL).
pub fn setgroups(k: &mut Kernel, size: u64, list: u64) -> SysResult {
    if !privileged(&k.cur().cred) {
        return Err(EPERM);
    }
    let size = size as u32;
    if u64::from(size) > NGROUPS_MAX {
        return Err(EINVAL);
    }
    let mut raw = crate::mm::kheap::try_zeroed(size as usize * 4)?;
    k.copy_in(list, &mut raw)?;
    let mut groups: Vec<u32> = crate::mm::kheap::try_vec(size as usize)?;
    groups.extend(raw.chunks(4).map(|c| u32::from_le_bytes(c.try_into().expect("4 bytes"))));
    drop(raw);
    groups.sort_unstable();
    k.cur_mut().groups = alloc::sync::Arc::new(groups);
    Ok(0)
}
