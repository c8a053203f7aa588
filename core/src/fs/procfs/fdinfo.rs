//! /proc/<pid>/fdinfo/<fd>: where a descriptor's open file stands
//! (Linux: fs/proc/fd.c seq_show()): its offset, its status flags with
//! the descriptor's close-on-exec, the mount and inode it is, then what
//! its kind adds (`FileOps::show_fdinfo`: a pidfd's process, an eventfd's
//! counter, a signalfd's mask, a timerfd's timer, an epoll's items).

#[allow(unused_imports)]
use super::*;

/// The text of fdinfo/`fd` of task `tid`, processes numbered as `view`
/// shows them. EACCES for a caller that may not inspect the task
/// (Linux: proc_fdinfo_access_allowed()); ENOENT once the descriptor is
/// closed or the task has given its table back.
pub(super) fn fdinfo_text(k: &Kernel, view: View, tid: Pid, fd: i32) -> SysResult<Vec<u8>> {
    let t = task(k, tid)?;
    may_inspect(k, t)?;
    if !has_resources(t) {
        return Err(ENOENT);
    }
    let slot = k.vfs.fdtables.get(t.files).get(fd).map_err(|_| ENOENT)?;
    let id = slot.file;
    let f = k.vfs.files.get(id);
    let mut flags = f_flags(f);
    if slot.cloexec {
        flags |= O_CLOEXEC;
    }
    let ops = f.kind.ops();
    let ino = ops.stat(k, id).map_or(0, |s| s.st_ino);
    let mut out =
        format!("pos:\t{}\nflags:\t0{flags:o}\nmnt_id:\t{}\nino:\t{ino}\n", f.offset, mnt_id(k, f)).into_bytes();
    ops.show_fdinfo(k, id, view, &mut out);
    Ok(out)
}

/// The description's flags as F_GETFL and fdinfo show them (Linux:
/// `file->f_flags`): O_LARGEFILE where open(2) forced it (not with
/// O_PATH, which keeps only its own few flags).
pub(crate) fn f_flags(f: &crate::fs::file::OpenFile) -> u32 {
    if opened_by_path(f) && f.flags & O_PATH == 0 {
        f.flags | O_LARGEFILE
    } else {
        f.flags
    }
}

/// Whether the description came from open(2) of a name, which Linux
/// gives O_LARGEFILE on a 64-bit kernel (force_o_largefile()); pipe2,
/// eventfd, socket and the other calls that make a nameless file do not.
fn opened_by_path(f: &crate::fs::file::OpenFile) -> bool {
    match f.kind {
        FileKind::Pipe { .. } => f.ino.is_some(),
        FileKind::ConsolePipe
        | FileKind::Signalfd { .. }
        | FileKind::Pidfd { .. }
        | FileKind::Eventfd { .. }
        | FileKind::Epoll { .. }
        | FileKind::Timerfd { .. }
        | FileKind::Socket { .. } => false,
        _ => true,
    }
}

/// The mount the file was opened through, as mountinfo numbers it: the
/// one showing its inode, or for a /proc file the first proc mount of
/// the PID namespace its instance shows.
/// Tine has no internal mounts (Linux's pipefs, anon_inodefs, sockfs),
/// so a nameless file shows 0, which no mount has.
fn mnt_id(k: &Kernel, f: &crate::fs::file::OpenFile) -> u32 {
    match (f.kind, f.ino) {
        (FileKind::Proc(_, view), _) => {
            let mounts = proc_mounts(k);
            let mine = mounts.iter().find(|(m, _)| view_of_mount(k, *m) == live(k, view));
            mine.or(mounts.first()).map_or(0, |(m, _)| *m)
        }
        (_, Some(ino)) => k.vfs.fs.mount_at(ino),
        (_, None) => 0,
    }
}
