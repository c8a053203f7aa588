//! /proc/PID/uid_map, gid_map and setgroups: a process's user namespace's
//! id maps and setgroups policy, read in the reader's namespace and
//! written once (Linux: kernel/user_namespace.c's proc_*_map_* and
//! proc_setgroups_*; the rules themselves are `ns::user`'s).

use super::*;
use crate::ns::user::IdKind;

/// The kind of map an entry shows (None for setgroups).
fn kind(entry: PidEntry) -> Option<IdKind> {
    match entry {
        PidEntry::UidMap => Some(IdKind::Uid),
        _ => Some(IdKind::Gid).filter(|_| entry == PidEntry::GidMap),
    }
}

/// The text of the entry for task `t`.
pub(super) fn show(k: &Kernel, t: &Task, entry: PidEntry) -> Vec<u8> {
    let ns = t.cred.user_ns;
    match kind(entry) {
        Some(kind) => k.ns.user.show_map(ns, kind, k.cur().cred.user_ns).into_bytes(),
        None => k.ns.user.show_setgroups(ns).as_bytes().to_vec(),
    }
}

/// An open of setgroups for writing needs CAP_SYS_ADMIN in the
/// namespace (Linux: proc_setgroups_open(), EACCES).
pub(super) fn may_open(k: &Kernel, tid: Pid, entry: PidEntry, acc: u32) -> SysResult<()> {
    if entry == PidEntry::Setgroups && acc != O_RDONLY {
        let ns = task(k, tid)?.cred.user_ns;
        if !k.ns.user.ns_capable(&k.cur().cred, ns, crate::proc::capability::CAP_SYS_ADMIN) {
            return Err(EACCES);
        }
    }
    Ok(())
}

/// A map was opened as open file `id`: its writes are checked against
/// the opener's credentials too (Linux: file->f_cred in map_write()).
pub(super) fn opened(k: &mut Kernel, id: FileId, entry: PidEntry) {
    if kind(entry).is_some() {
        let cred = k.cur().cred;
        k.ns.user.remember_opener(id, &cred);
    }
}

/// Open file `id` of `entry` is gone.
pub(crate) fn released(k: &mut Kernel, id: FileId, entry: PidEntry) {
    if kind(entry).is_some() {
        k.ns.user.forget_opener(id);
    }
}

/// A write of `data` at `pos` through open file `id`: one write from the
/// start, shorter than a page (a map) or than 8 bytes (setgroups), else
/// EINVAL.
pub(super) fn write(k: &mut Kernel, id: FileId, tid: Pid, entry: PidEntry, pos: u64, data: &[u8]) -> SysResult<usize> {
    let limit = if kind(entry).is_some() { crate::mm::consts::PAGE_SIZE as usize } else { 8 };
    if pos != 0 || data.len() >= limit {
        return Err(EINVAL);
    }
    let ns = task(k, tid)?.cred.user_ns;
    // The text ends at a NUL, as the C string Linux parses.
    let text = &data[..data.iter().position(|&b| b == 0).unwrap_or(data.len())];
    let cred = k.cur().cred;
    match kind(entry) {
        Some(kind) => {
            let opener = k.ns.user.opener(id).unwrap_or(cred);
            k.ns.user.write_map_as(ns, kind, &opener, &cred, text)?
        }
        None => k.ns.user.write_setgroups(ns, text)?,
    }
    Ok(data.len())
}
