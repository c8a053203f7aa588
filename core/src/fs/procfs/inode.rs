//! Open proc files: `open`, `read`, `write`, `lseek`, `getdents64` and
//! `readlink`, and the sysctl writes (Linux: fs/proc/inode.c,
//! fs/proc/generic.c, fs/proc/proc_sysctl.c).

#[allow(unused_imports)]
use super::*;

// ---------------------------------------------------------------------------
// open, read, write, lseek, getdents64, readlink

/// What `open` of a /proc path produced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Opened {
    /// A new open file description (a proc file, or a pipe opened again
    /// through fd/N), not yet installed in the descriptor table.
    File(FileId),
    /// An inode of the RAM file system reached through a magic link, held
    /// and checked against the flags: the caller opens it as usual.
    Ino(Ino),
}

/// openat() of a path in /proc; `None` if the path is not in /proc.
/// Linux: do_filp_open() through proc, with may_open()'s checks.
pub fn open(k: &mut Kernel, dirfd: i32, path: &[u8], flags: u32) -> SysResult<Option<Opened>> {
    let creating = flags & O_CREAT != 0;
    let excl = creating && flags & O_EXCL != 0;
    let follow = flags & O_NOFOLLOW == 0 && !excl;
    // Nothing can be created in /proc: a missing name stays ENOENT.
    let Some(found) = resolve(k, dirfd, path, follow) else { return Ok(None) };
    if flags & O_TMPFILE == O_TMPFILE {
        return Err(EOPNOTSUPP);
    }
    if creating && flags & O_DIRECTORY != 0 {
        return Err(EINVAL);
    }
    let found = found?;
    if excl {
        return Err(EEXIST);
    }
    match found.target {
        Target::Ino(ino) => {
            let wants_write = flags & O_PATH == 0 && (flags & O_ACCMODE != O_RDONLY || flags & O_TRUNC != 0);
            if wants_write && k.vfs.fs.inode(ino)?.file_type() == FileType::Regular {
                k.vfs.fs.mnt_want_write(found.at.mnt)?;
            }
            open_inode(k, ino, flags).map(|i| Some(Opened::Ino(i)))
        }
        Target::File(id) => reopen(k, id, flags).map(|f| Some(Opened::File(f))),
        Target::Proc(node) => open_node(k, node, found.view(k), flags).map(|f| Some(Opened::File(f))),
    }
}

/// The checks RamFs::open makes, for an inode reached through a magic
/// link; takes a reference for the open file.
pub(super) fn open_inode(k: &mut Kernel, ino: Ino, flags: u32) -> SysResult<Ino> {
    let inode = k.vfs.fs.inode(ino)?;
    let is_dir = inode.is_dir();
    if flags & O_DIRECTORY != 0 && !is_dir {
        return Err(ENOTDIR);
    }
    if flags & O_PATH == 0 {
        let wants_write = flags & O_ACCMODE != O_RDONLY || flags & O_TRUNC != 0;
        match inode.file_type() {
            FileType::Symlink => return Err(ELOOP),
            FileType::Directory if wants_write => return Err(EISDIR),
            _ => {}
        }
        // Linux: may_open(): the file's own permission, whatever the link.
        let mut want = match flags & O_ACCMODE {
            O_RDONLY => crate::fs::perm::MAY_READ,
            O_WRONLY => crate::fs::perm::MAY_WRITE,
            _ => crate::fs::perm::MAY_READ | crate::fs::perm::MAY_WRITE,
        };
        if flags & O_TRUNC != 0 {
            want |= crate::fs::perm::MAY_WRITE;
        }
        crate::fs::perm::inode_permission(&k.fs_cred(), inode, want)?;
        match inode.file_type() {
            FileType::Regular if flags & O_TRUNC != 0 => {
                let now = k.m.clock.boot_epoch_ns() + k.now_ns();
                k.file_truncate(ino, 0, now)?;
            }
            _ => {}
        }
    }
    k.vfs.fs.ihold(ino)?;
    Ok(ino)
}

/// Open again the description behind an fd/N link that has no name: a
/// pipe gets a new description of the end the access mode asks for
/// (Linux: fifo_open() on the pipe's inode).
pub(super) fn reopen(k: &mut Kernel, id: FileId, flags: u32) -> SysResult<FileId> {
    if flags & O_DIRECTORY != 0 {
        return Err(ENOTDIR);
    }
    let keep = flags & (O_ACCMODE | O_APPEND | O_NONBLOCK | O_LARGEFILE | O_PATH);
    k.vfs.files.get(id).kind.ops().reopen(k, id, keep)
}

pub(super) fn open_node(k: &mut Kernel, node: Node, view: View, flags: u32) -> SysResult<FileId> {
    // /proc/sysvipc and the IPC sysctls show the caller's IPC namespace.
    k.ipc_switch();
    let keep = flags & (O_ACCMODE | O_APPEND | O_NONBLOCK | O_DIRECTORY | O_NOFOLLOW | O_PATH | O_LARGEFILE);
    let kind = node.kind();
    if flags & O_DIRECTORY != 0 && kind != Kind::Dir {
        return Err(ENOTDIR);
    }
    if flags & O_PATH != 0 {
        return Ok(open_file(k, node, view, keep));
    }
    let acc = flags & O_ACCMODE;
    match kind {
        Kind::Link => return Err(ELOOP),
        Kind::Dir if acc != O_RDONLY || flags & O_TRUNC != 0 => return Err(EISDIR),
        _ => {}
    }
    let want = match acc {
        O_RDONLY => 4,
        O_WRONLY => 2,
        _ => 6,
    };
    permission(k, node, want)?;
    // Linux: proc_maps_open() → proc_mem_open() → mm_access(), and
    // proc_pid_personality()'s lock_trace().
    if let Node::Pid {
        tid,
        entry: PidEntry::Maps | PidEntry::Environ | PidEntry::Auxv | PidEntry::Personality | PidEntry::Pagemap,
        ..
    } = node
    {
        may_inspect(k, task(k, tid)?)?;
    }
    if let Node::Pid { tid, entry: e @ PidEntry::Setgroups, .. } = node {
        id_map::may_open(k, tid, e, acc)?;
    }
    // Linux: mem_open() → proc_mem_open(PTRACE_MODE_ATTACH), with the fs
    // ids (PTRACE_MODE_FSCREDS).
    if let Node::Pid { tid, entry: PidEntry::Mem, .. } = node {
        task(k, tid)?;
        if !crate::syscall::ptrace::tracer_may_access_mem(k, tid, crate::proc::capability::PtraceCreds::Fs) {
            return Err(EACCES);
        }
    }
    // What is read from the process's memory is read where asked, not
    // made up at open: pagemap and mem are as long as the address space,
    // and the process may rewrite its arguments at any time.
    let live = matches!(
        node,
        Node::Pid { entry: PidEntry::Pagemap | PidEntry::Mem | PidEntry::Cmdline | PidEntry::Environ, .. }
    );
    let snapshot = if kind == Kind::File && acc != O_WRONLY && !live { Some(generate(k, view, node)?) } else { None };
    let id = open_file(k, node, view, keep);
    if let Node::Pid { entry: e @ (PidEntry::UidMap | PidEntry::GidMap), .. } = node {
        id_map::opened(k, id, e);
    }
    if let Some(data) = snapshot {
        k.vfs.files.set_proc_snapshot(id, data);
    }
    Ok(id)
}

/// A new description of `node`; an nsfs file holds its namespace.
fn open_file(k: &mut Kernel, node: Node, view: View, flags: u32) -> FileId {
    if let Node::NsFile(r) = node {
        k.ns.hold_ref(&r);
    }
    k.vfs.files.open(FileKind::Proc(node, view), flags, None)
}

/// The contents of a proc file once read: the text generated at open (or
/// at the last read from offset 0), and whether a read has used it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    pub data: Vec<u8>,
    pub used: bool,
}

pub(super) fn node_of(k: &Kernel, id: FileId) -> SysResult<Node> {
    node_view_of(k, id).map(|(node, _)| node)
}

/// The node of an open proc file and the PID namespace its instance shows.
pub(super) fn node_view_of(k: &Kernel, id: FileId) -> SysResult<(Node, View)> {
    match k.vfs.files.get(id).kind {
        FileKind::Proc(node, view) => Ok((node, live(k, view))),
        _ => Err(EBADF),
    }
}

/// The /proc node open file description `id` is, if it is one.
pub fn node_of_file(k: &Kernel, id: FileId) -> Option<Node> {
    node_of(k, id).ok()
}

/// read()/pread() of an open proc file at `pos` (Linux: seq_read_iter()).
pub fn read(k: &mut Kernel, id: FileId, pos: u64, buf: &mut [u8]) -> SysResult<usize> {
    let (node, view) = node_view_of(k, id)?;
    match node.kind() {
        Kind::Dir => return Err(EISDIR),
        Kind::Link => return Err(EINVAL),
        Kind::File => {}
    }
    if let Node::Pid { tid, entry: PidEntry::Pagemap, .. } = node {
        return pagemap_read(k, tid, pos, buf);
    }
    if let Node::Pid { tid, entry: PidEntry::Mem, .. } = node {
        return mem_rw(k, tid, pos, MemIo::Read(buf));
    }
    if let Node::Pid { tid, entry: e @ (PidEntry::Cmdline | PidEntry::Environ), .. } = node {
        return super::cmdline::read(k, tid, e, pos, buf);
    }
    let fresh = k.vfs.files.proc_snapshot(id).is_some_and(|s| !s.used);
    if pos == 0 && !fresh {
        // The process may be gone by now (Linux: ESRCH from proc_single_show()).
        let data = generate(k, view, node).map_err(|e| if e == ENOENT { ESRCH } else { e })?;
        k.vfs.files.set_proc_snapshot(id, data);
    }
    let Some(snap) = k.vfs.files.proc_snapshot_mut(id) else { return Ok(0) };
    snap.used = true;
    let Ok(start) = usize::try_from(pos) else { return Ok(0) };
    if start >= snap.data.len() {
        return Ok(0);
    }
    let n = buf.len().min(snap.data.len() - start);
    buf[..n].copy_from_slice(&snap.data[start..start + n]);
    Ok(n)
}

/// Which way /proc/<pid>/mem moves bytes.
pub(super) enum MemIo<'a> {
    Read(&'a mut [u8]),
    Write(&'a [u8]),
}

/// /proc/<pid>/mem at address `pos`, a page at a time, as a debugger's
/// access (writes to read-only text get a private copy of the page):
/// the bytes moved, EIO when none could be; nothing for a process that
/// has given back its memory (Linux: mem_rw() → access_remote_vm()
/// with FOLL_FORCE).
pub(super) fn mem_rw(k: &mut Kernel, tid: Pid, pos: u64, io: MemIo) -> SysResult<usize> {
    let Some(mm) = task(k, tid).ok().filter(|t| has_resources(t)).map(|t| t.mm) else { return Ok(0) };
    let len = match &io {
        MemIo::Read(b) => b.len(),
        MemIo::Write(d) => d.len(),
    };
    let mut done = 0usize;
    let mut io = io;
    while done < len {
        let addr = pos.wrapping_add(done as u64);
        let n = ((crate::mm::consts::PAGE_SIZE - (addr & (crate::mm::consts::PAGE_SIZE - 1))) as usize).min(len - done);
        let ok = k.with_mm_of(mm, |a, ctx| match &mut io {
            MemIo::Read(b) => a.user_read(ctx, addr, &mut b[done..done + n]).is_ok(),
            MemIo::Write(d) => a.write_forced(ctx, addr, &d[done..done + n]).is_ok(),
        });
        if !ok {
            break;
        }
        done += n;
    }
    if done == 0 && len > 0 {
        return Err(EIO);
    }
    Ok(done)
}

/// /proc/<pid>/pagemap at `pos`: a word per page from page `pos / 8`,
/// to the end of user space (Linux: pagemap_read(): EINVAL unless the
/// offset and the length are whole words; frames only for CAP_SYS_ADMIN).
pub(super) fn pagemap_read(k: &mut Kernel, tid: Pid, pos: u64, buf: &mut [u8]) -> SysResult<usize> {
    if !pos.is_multiple_of(8) || !buf.len().is_multiple_of(8) {
        return Err(EINVAL);
    }
    let show_pfn = k.cur().cred.capable(crate::proc::capability::CAP_SYS_ADMIN);
    let Some(mm) = task(k, tid).ok().filter(|t| has_resources(t)).map(|t| t.mm) else { return Ok(0) };
    let first = pos / 8;
    let pages = crate::mm::consts::TASK_SIZE >> crate::mm::consts::PAGE_SHIFT;
    let n = (buf.len() as u64 / 8).min(pages.saturating_sub(first)) as usize;
    k.with_mm_of(mm, |a, ctx| {
        for i in 0..n {
            let va = (first + i as u64) << crate::mm::consts::PAGE_SHIFT;
            buf[i * 8..i * 8 + 8].copy_from_slice(&a.pagemap_entry(ctx, va, show_pfn).to_le_bytes());
        }
    });
    Ok(n * 8)
}

/// write()/pwrite() of an open proc file (Linux: proc_sys_write(),
/// comm_write(); EIO from pde_write() for a global file without a write
/// method, EINVAL from vfs_write() for a per-process one).
pub fn write(k: &mut Kernel, id: FileId, pos: u64, data: &[u8]) -> SysResult<usize> {
    k.ipc_switch();
    let node = node_of(k, id)?;
    let n = match node {
        Node::Sysctl(
            s @ (Sysctl::PidMax
            | Sysctl::NsLastPid
            | Sysctl::ThreadsMax
            | Sysctl::CoreUsesPid
            | Sysctl::DmesgRestrict
            | Sysctl::HungTaskTimeoutSecs
            | Sysctl::AdminReserveKbytes
            | Sysctl::DropCaches
            | Sysctl::OvercommitKbytes
            | Sysctl::OvercommitMemory
            | Sysctl::OvercommitRatio
            | Sysctl::UserReserveKbytes
            | Sysctl::PipeMaxSize
            | Sysctl::PipeUserPagesHard
            | Sysctl::PipeUserPagesSoft
            | Sysctl::Msgmax
            | Sysctl::Msgmnb
            | Sysctl::Msgmni
            | Sysctl::LeaseBreakTime
            | Sysctl::MaxIpcNamespaces
            | Sysctl::MaxMntNamespaces
            | Sysctl::MaxPidNamespaces
            | Sysctl::MaxUserNamespaces
            | Sysctl::MaxUtsNamespaces),
        ) => sysctl_write(k, s, pos, data)?,
        // Linux: proc_ipc_sem_dointvec(): four ints, semmni at most
        // IPCMNI, none negative.
        Node::Sysctl(Sysctl::Sem) => {
            if pos == 0 && !data.is_empty() {
                let (v, _) = parse_dointvec_array(data, 4)?;
                let mut l = k.ipc.sem().limits;
                for (f, &x) in [&mut l.msl, &mut l.mns, &mut l.opm, &mut l.mni].into_iter().zip(&v) {
                    *f = x;
                }
                if l.msl < 0 || l.mns < 0 || l.opm < 0 || !(0..=crate::ipc::util::IPCMNI as i32).contains(&l.mni) {
                    return Err(EINVAL);
                }
                k.ipc.sem_mut().limits = l;
            }
            data.len()
        }
        // Linux: proc_dostring_coredump(): the text up to a newline or NUL,
        // at most CORENAME_MAX_SIZE - 1 bytes; root only.
        Node::Sysctl(Sysctl::CorePattern) => {
            if k.cur().cred.euid != 0 {
                return Err(EPERM);
            }
            if pos == 0 {
                let end = data.iter().position(|&c| c == b'\n' || c == 0).unwrap_or(data.len());
                let max = crate::proc::coredump::CORENAME_MAX_SIZE - 1;
                k.proc.core_mut().pattern = data[..end.min(max)].to_vec();
            }
            data.len()
        }
        // Linux: proc_dointvec on console_printk[4]; root only by its mode.
        Node::Sysctl(Sysctl::Printk) => {
            if pos == 0 && !data.is_empty() {
                let (vals, _) = parse_dointvec_array(data, 4)?;
                k.klog.get_mut().set_printk(&vals);
            }
            data.len()
        }
        Node::Sysctl(s @ (Sysctl::FailPageAlloc | Sysctl::Failslab)) => {
            if pos == 0 && !data.is_empty() {
                let mode = crate::mm::kheap::FailMode::parse(data).ok_or(EINVAL)?;
                if s == Sysctl::Failslab {
                    *crate::mm::kheap::FAILSLAB.lock() = mode;
                } else {
                    k.mem.frames_mut().set_injection(mode);
                }
            }
            data.len()
        }
        Node::Pid { tid, entry: PidEntry::Mem, .. } => mem_rw(k, tid, pos, MemIo::Write(data))?,
        Node::Pid { tid, entry: e @ (PidEntry::UidMap | PidEntry::GidMap | PidEntry::Setgroups), .. } => {
            id_map::write(k, id, tid, e, pos, data)?
        }
        Node::Pid { tid, entry: PidEntry::Comm, .. } => {
            let me = k.cur().tgid;
            let t = k.proc.tasks_mut().get_mut(&tid).filter(|t| t.state != TaskState::Dead).ok_or(ESRCH)?;
            if t.tgid != me {
                return Err(EINVAL);
            }
            let len = data.len().min(COMM_MAX);
            let name = &data[..len];
            let name = &name[..name.iter().position(|&c| c == 0).unwrap_or(len)];
            t.comm = name.to_vec();
            data.len()
        }
        Node::Global(_) | Node::Sysctl(_) => return Err(EIO),
        _ => return Err(EINVAL),
    };
    // What a later read from the start shows must include the change.
    if let Some(s) = k.vfs.files.proc_snapshot_mut(id) {
        s.used = true;
    }
    Ok(n)
}

/// A write to an integer sysctl (Linux: proc_dointvec_minmax() under
/// sysctl_writes_strict = 1: a write past offset 0 is ignored).
pub(super) fn sysctl_write(k: &mut Kernel, s: Sysctl, pos: u64, data: &[u8]) -> SysResult<usize> {
    if data.is_empty() {
        return Ok(0);
    }
    if pos != 0 {
        return Ok(data.len());
    }
    let (v, consumed) = parse_dointvec(data)?;
    match s {
        Sysctl::PidMax => {
            let v = u32::try_from(v).map_err(|_| EINVAL)?;
            k.proc.pids_mut().set_pid_max(v)?;
        }
        // Linux: pid_ns_ctl_handler(): the caller's namespace, 0 up to
        // pid_max, CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE.
        Sysctl::NsLastPid => {
            use crate::proc::capability::{CAP_CHECKPOINT_RESTORE, CAP_SYS_ADMIN};
            let c = k.cur().cred;
            if !c.capable(CAP_SYS_ADMIN) && !c.capable(CAP_CHECKPOINT_RESTORE) {
                return Err(EPERM);
            }
            let v = u32::try_from(v).ok().filter(|&v| v <= k.proc.pids().pid_max()).ok_or(EINVAL)?;
            let ns = k.active_pid_ns();
            if ns == k.ns.pid.init() {
                k.proc.pids_mut().set_last(v);
            } else {
                k.ns.pid.set_last(ns, v);
            }
        }
        Sysctl::CoreUsesPid => k.proc.core_mut().uses_pid = v != 0,
        // Linux: proc_dohung_task_timeout_secs(), no negative value.
        Sysctl::HungTaskTimeoutSecs => k.set_hung_task_timeout_secs(u64::try_from(v).map_err(|_| EINVAL)?),
        // Linux: proc_dointvec_minmax_sysadmin(), 0..=1.
        Sysctl::DmesgRestrict => {
            if !k.cur().cred.capable(crate::proc::capability::CAP_SYS_ADMIN) {
                return Err(EPERM);
            }
            if !(0..=1).contains(&v) {
                return Err(EINVAL);
            }
            k.klog.get_mut().dmesg_restrict = v == 1;
        }
        // Linux: overcommit_policy_handler(), proc_dointvec_minmax 0..=2.
        Sysctl::OvercommitMemory => {
            use crate::mm::commit::Overcommit;
            k.mem.frames_mut().commit.mode = match v {
                0 => Overcommit::Guess,
                1 => Overcommit::Always,
                2 => Overcommit::Never,
                _ => return Err(EINVAL),
            };
        }
        // Setting one of ratio and kbytes clears the other (Linux:
        // overcommit_ratio_handler(), overcommit_kbytes_handler()).
        Sysctl::OvercommitRatio => {
            k.mem.frames_mut().commit.ratio = u64::try_from(v).map_err(|_| EINVAL)?;
            k.mem.frames_mut().commit.kbytes = 0;
        }
        Sysctl::OvercommitKbytes => {
            k.mem.frames_mut().commit.kbytes = u64::try_from(v).map_err(|_| EINVAL)?;
            k.mem.frames_mut().commit.ratio = 0;
        }
        Sysctl::AdminReserveKbytes => {
            k.mem.frames_mut().commit.admin_reserve_kbytes = u64::try_from(v).map_err(|_| EINVAL)?
        }
        Sysctl::UserReserveKbytes => {
            k.mem.frames_mut().commit.user_reserve_kbytes = u64::try_from(v).map_err(|_| EINVAL)?
        }
        // Linux: drop_caches_sysctl_handler(), 1..=4; 1 and 3 drop the
        // page cache (Tine has no slab caches to drop for 2).
        Sysctl::DropCaches => {
            if !(1..=4).contains(&v) {
                return Err(EINVAL);
            }
            if v & 1 != 0 {
                k.drop_page_caches();
            }
        }
        Sysctl::MaxIpcNamespaces
        | Sysctl::MaxMntNamespaces
        | Sysctl::MaxPidNamespaces
        | Sysctl::MaxUserNamespaces
        | Sysctl::MaxUtsNamespaces => {
            // Linux: proc_dointvec_minmax() over 0..=INT_MAX.
            let v = u32::try_from(v).ok().filter(|&v| v <= crate::ns::user::MAX_USER_NS_UNLIMITED).ok_or(EINVAL)?;
            let ns = k.cur().cred.user_ns;
            k.ns.user.set_max(ns, s.ucount().expect("a /proc/sys/user file"), v);
        }
        Sysctl::ThreadsMax => {
            // Linux: sysctl_max_threads() accepts 1..=MAX_THREADS (since
            // 5.4 the boot-time MIN_THREADS floor no longer applies).
            let v = u32::try_from(v).map_err(|_| EINVAL)?;
            if !(1..=crate::kernel::MAX_THREADS).contains(&v) {
                return Err(EINVAL);
            }
            k.proc.set_max_threads(v);
        }
        // Linux: proc_dopipe_max_size(): rounded as F_SETPIPE_SZ rounds,
        // EINVAL for what does not round (negative, above 2 GiB).
        Sysctl::PipeMaxSize => {
            let v = u32::try_from(v).map_err(|_| EINVAL)?;
            match crate::syscall::round_pipe_size(v as u64) {
                0 => return Err(EINVAL),
                size => k.vfs.pipes.limits.max_size = size,
            }
        }
        Sysctl::PipeUserPagesHard => k.vfs.pipes.limits.user_pages_hard = u64::try_from(v).map_err(|_| EINVAL)?,
        Sysctl::PipeUserPagesSoft => k.vfs.pipes.limits.user_pages_soft = u64::try_from(v).map_err(|_| EINVAL)?,
        // Linux: proc_dointvec_minmax with 0..=INT_MAX; msgmni at most IPCMNI.
        // Linux: proc_dointvec, no bounds.
        Sysctl::LeaseBreakTime => k.vfs.lease_break_time = v,
        Sysctl::Msgmax => k.ipc.msg_mut().limits.max = if v < 0 { return Err(EINVAL) } else { v },
        Sysctl::Msgmnb => k.ipc.msg_mut().limits.mnb = if v < 0 { return Err(EINVAL) } else { v },
        Sysctl::Msgmni => {
            if !(0..=crate::ipc::util::IPCMNI as i32).contains(&v) {
                return Err(EINVAL);
            }
            k.ipc.msg_mut().limits.mni = v;
        }
        _ => return Err(EIO),
    }
    Ok(consumed)
}

pub(super) fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// Parse one integer written to a sysctl file, as Linux's
/// __do_proc_dointvec() with one value: leading white space, an optional
/// `-`, a number in C notation (`0x` hex, leading `0` octal), then white
/// space or the end. Returns the value and how many bytes the write
/// consumed (what follows the value and its trailing white space is left).
pub fn parse_dointvec(buf: &[u8]) -> SysResult<(i32, usize)> {
    const TMPBUFLEN: usize = 22;
    let total = buf.len().min(4095);
    let s = &buf[..total];
    let mut i = 0;
    while i < total && is_space(s[i]) {
        i += 1;
    }
    if i == total {
        return Err(EINVAL);
    }
    // proc_get_long() on at most TMPBUFLEN - 1 bytes.
    let size = total - i;
    let tmp = &s[i..i + size.min(TMPBUFLEN - 1)];
    let mut j = 0;
    let neg = tmp[0] == b'-' && size > 1;
    if neg {
        j = 1;
    }
    if !tmp.get(j).is_some_and(|c| c.is_ascii_digit()) {
        return Err(EINVAL);
    }
    let (val, n) = parse_c_ulong(&tmp[j..]).ok_or(EINVAL)?;
    let len = j + n;
    if len == TMPBUFLEN - 1 {
        return Err(EINVAL);
    }
    if len < size && !matches!(s[i + len], b' ' | b'\t' | b'\n') {
        return Err(EINVAL);
    }
    i += len;
    let v = if neg {
        if val > i32::MAX as u64 + 1 {
            return Err(EINVAL);
        }
        (-(val as i64)) as i32
    } else {
        if val > i32::MAX as u64 {
            return Err(EINVAL);
        }
        val as i32
    };
    while i < total && is_space(s[i]) {
        i += 1;
    }
    Ok((v, buf.len() - (total - i)))
}

/// Up to `max` integers written to a vector sysctl, as
/// __do_proc_dointvec() parses them for an array: the values and the
/// bytes used. EINVAL when there is none or one is malformed.
pub(super) fn parse_dointvec_array(buf: &[u8], max: usize) -> SysResult<(Vec<i32>, usize)> {
    let mut vals = Vec::new();
    let mut used = 0;
    while vals.len() < max && buf[used..].iter().any(|&c| !is_space(c)) {
        let (v, n) = parse_dointvec(&buf[used..])?;
        vals.push(v);
        used += n;
    }
    if vals.is_empty() {
        return Err(EINVAL);
    }
    Ok((vals, used))
}

/// Linux's strtoul with base 0 (_parse_integer_fixup_radix() and
/// _parse_integer()): the value and the bytes used; `None` on overflow.
pub(super) fn parse_c_ulong(s: &[u8]) -> Option<(u64, usize)> {
    let (base, skip) = match s {
        [b'0', b'x' | b'X', c, ..] if c.is_ascii_hexdigit() => (16, 2),
        [b'0', ..] => (8, 0),
        _ => (10, 0),
    };
    let mut v: u64 = 0;
    let mut n = skip;
    while let Some(&c) = s.get(n) {
        let d = match c {
            b'0'..=b'9' => (c - b'0') as u64,
            b'a'..=b'f' => (c - b'a' + 10) as u64,
            b'A'..=b'F' => (c - b'A' + 10) as u64,
            _ => break,
        };
        if d >= base {
            break;
        }
        v = v.checked_mul(base)?.checked_add(d)?;
        n += 1;
    }
    Some((v, n))
}

/// lseek() on an open proc file: seq files move with SEEK_SET and
/// SEEK_CUR only (Linux: seq_lseek()); sysctl files and directories also
/// take SEEK_END against their size of 0 (default_llseek()).
pub fn lseek(k: &mut Kernel, id: FileId, off: i64, whence: u32) -> SysResult<usize> {
    let node = node_of(k, id)?;
    let cur = k.vfs.files.get(id).offset as i64;
    let end_ok = node.is_dir() || matches!(node, Node::Sysctl(_));
    let new = match whence {
        0 => Some(off),
        1 => cur.checked_add(off),
        2 if end_ok => Some(off),
        _ => return Err(EINVAL),
    };
    crate::syscall::set_offset(k, id, new)
}

/// One directory entry of a proc directory.
pub(super) struct Entry {
    pos: u64,
    ino: u64,
    d_type: u8,
    name: Vec<u8>,
}

pub(super) fn d_type(node: Node) -> u8 {
    match node.kind() {
        Kind::Dir => DT_DIR,
        Kind::File => DT_REG,
        Kind::Link => DT_LNK,
    }
}

/// The entries of directory `dir`, `.` and `..` first, by readdir
/// position. Linux: proc_root_readdir(), proc_pident_readdir(),
/// proc_readfd(), proc_task_readdir().
pub(super) fn list(k: &Kernel, view: View, dir: Node) -> SysResult<Vec<Entry>> {
    let mut out = Vec::new();
    let parent_ino = if dir == Node::Root { crate::fs::ROOT_INO } else { dir.parent(k).ino() };
    out.push(Entry { pos: 0, ino: dir.ino(), d_type: DT_DIR, name: b".".to_vec() });
    out.push(Entry { pos: 1, ino: parent_ino, d_type: DT_DIR, name: b"..".to_vec() });
    let mut add = |pos: u64, node: Node, name: &[u8]| {
        out.push(Entry { pos, ino: node.ino(), d_type: d_type(node), name: name.to_vec() });
    };
    match dir {
        Node::Root => {
            for (i, (name, node)) in ROOT_ENTRIES.iter().enumerate() {
                add(2 + i as u64, *node, name);
            }
            // The instance's namespace's processes, by their numbers there
            // (Linux: proc_pid_readdir() → next_tgid() in the sb's pid_ns).
            for t in k.proc.tasks().values().filter(|t| t.is_leader() && t.state != TaskState::Dead) {
                let n = nr(k, view, t.tid);
                if n == 0 {
                    continue;
                }
                let node = Node::PidDir { tid: t.tid, whole: true };
                add(PID_POS_BASE + n as u64, node, format!("{n}").as_bytes());
            }
        }
        Node::SysDir => {
            for (i, (name, d, _)) in SYS_DIRS.iter().enumerate() {
                add(2 + i as u64, *d, name);
            }
        }
        Node::SysvipcDir => {
            for (i, (name, f)) in SYSVIPC_ENTRIES.iter().enumerate() {
                add(2 + i as u64, Node::Sysvipc(*f), name);
            }
        }
        Node::SysFs | Node::SysKernel | Node::SysVm | Node::SysUser => {
            for (i, (name, s)) in sys_table(dir).expect("a sysctl directory").iter().enumerate() {
                add(2 + i as u64, Node::Sysctl(*s), name);
            }
        }
        Node::PidDir { tid, whole } => {
            task(k, tid)?;
            for (i, (name, entry)) in PID_ENTRIES.iter().enumerate() {
                if whole || *entry != PidEntry::Task {
                    add(2 + i as u64, Node::Pid { tid, whole, entry: *entry }, name);
                }
            }
        }
        Node::Pid { tid, whole, entry: entry @ (PidEntry::Fd | PidEntry::FdInfo) } => {
            let t = task(k, tid)?;
            may_inspect(k, t)?;
            if has_resources(t) {
                for (fd, _) in k.vfs.fdtables.get(t.files).iter() {
                    let node = if entry == PidEntry::Fd {
                        Node::Fd { tid, whole, fd }
                    } else {
                        Node::FdInfo { tid, whole, fd }
                    };
                    add(2 + fd as u64, node, format!("{fd}").as_bytes());
                }
            }
        }
        Node::Pid { tid, whole, entry: PidEntry::Ns } => {
            task(k, tid)?;
            for (i, (name, ty)) in crate::ns::NsType::ENTRIES.iter().enumerate() {
                add(2 + i as u64, Node::NsLink { tid, whole, ty: *ty }, name);
            }
        }
        Node::Pid { tid, entry: PidEntry::Task, .. } => {
            let tgid = task(k, tid)?.tgid;
            for t in threads_of(k, tgid) {
                let n = nr(k, view, t.tid);
                add(2 + n as u64, Node::PidDir { tid: t.tid, whole: false }, format!("{n}").as_bytes());
            }
        }
        _ => return Err(ENOTDIR),
    }
    out.sort_by_key(|e| e.pos);
    Ok(out)
}

/// getdents64() of an open proc directory: records from the file offset
/// (a readdir position), at most `count` bytes of them; the offset moves
/// past what was returned.
pub fn getdents64(k: &mut Kernel, id: FileId, buf: u64, count: u64) -> SysResult<usize> {
    let (node, view) = node_view_of(k, id)?;
    if !node.is_dir() {
        return Err(ENOTDIR);
    }
    let pos = k.vfs.files.get(id).offset;
    let entries = list(k, view, node)?;
    let limit = count.min(1 << 20) as usize;
    let mut out = Vec::new();
    let mut next = pos;
    for e in entries.iter().filter(|e| e.pos >= pos) {
        let rec = Dirent64 { d_ino: e.ino, d_off: (e.pos + 1) as i64, d_type: e.d_type, d_name: &e.name };
        if out.len() + rec.reclen() > limit {
            if out.is_empty() {
                return Err(EINVAL);
            }
            break;
        }
        rec.write_to(&mut out);
        next = e.pos + 1;
    }
    k.copy_out(buf, &out)?;
    k.vfs.files.get_mut(id).offset = next;
    Ok(out.len())
}

/// The text of a link node (Linux: proc_self_get_link(),
/// proc_pid_readlink() → d_path()).
pub fn link_text(k: &Kernel, view: View, node: Node) -> SysResult<Vec<u8>> {
    let cur = k.cur();
    let (tgid, tid) = (nr(k, view, cur.tgid), nr(k, view, cur.tid));
    match node {
        Node::SelfLink | Node::ThreadSelf if tid == 0 => Err(ENOENT),
        Node::SelfLink => Ok(format!("{tgid}").into_bytes()),
        Node::ThreadSelf => Ok(format!("{tgid}/task/{tid}").into_bytes()),
        Node::MountsLink => Ok(b"self/mounts".to_vec()),
        Node::Pid { tid, entry: entry @ (PidEntry::Exe | PidEntry::Cwd | PidEntry::Root), .. } => {
            let t = link_task(k, tid)?;
            let fs = k.vfs.fs_structs.get(t.fs);
            match entry {
                PidEntry::Exe if t.exe.is_empty() => Err(ENOENT),
                PidEntry::Exe => Ok(t.exe.as_bytes().to_vec()),
                PidEntry::Cwd => Ok(place_path(k, fs.cwd.at).map_or_else(|_| b"/ (deleted)".to_vec(), |(p, _)| p)),
                _ => Ok(dir_path(k, fs.root)),
            }
        }
        Node::Fd { tid, fd, .. } => {
            let t = task(k, tid)?;
            may_inspect(k, t)?;
            if !has_resources(t) {
                return Err(ENOENT);
            }
            let id = k.vfs.fdtables.get(t.files).get(fd).map_err(|_| ENOENT)?.file;
            Ok(file_path(k, id))
        }
        Node::NsLink { tid, ty, .. } => {
            let r = ns_of(k, tid, ty)?;
            Ok(format!("{}:[{}]", r.ty.name(), r.inum).into_bytes())
        }
        _ => Err(EINVAL),
    }
}

/// A directory's path, "... (deleted)" style when it has been removed.
pub(super) fn dir_path(k: &Kernel, ino: Ino) -> Vec<u8> {
    k.vfs.fs.path_of_dir(ino).unwrap_or_else(|_| b"/ (deleted)".to_vec())
}

/// What /proc/<pid>/fd/N says about an open file (Linux: d_path() of the
/// file, "pipe:[ino]" for a pipe, pipefs's d_dname()).
pub fn file_path(k: &Kernel, id: FileId) -> Vec<u8> {
    k.vfs.files.get(id).kind.ops().d_path(k, id)
}

/// A RAM file system inode's path, " (deleted)" once it has no name left.
pub fn inode_path(k: &Kernel, ino: Ino) -> Vec<u8> {
    if let Some(m) = k.vfs.fs.memfds.get(ino) {
        // Linux: the memfd's dentry name under the internal shm mount.
        let mut p = b"/".to_vec();
        p.extend_from_slice(&m.name);
        p.extend_from_slice(b" (deleted)");
        return p;
    }
    k.vfs.fs.path_of(ino).unwrap_or_else(|| b"/ (deleted)".to_vec())
}

/// readlinkat() of a path in /proc: the link's text, or `None` if the
/// path is not in /proc. EINVAL for what is not a link.
pub fn readlink(k: &Kernel, dirfd: i32, path: &[u8]) -> SysResult<Option<Vec<u8>>> {
    let Some(found) = resolve(k, dirfd, path, false) else { return Ok(None) };
    let found = found?;
    match found.target {
        Target::Proc(node) if node.kind() == Kind::Link => link_text(k, found.view(k), node).map(Some),
        Target::Ino(ino) => Ok(Some(k.vfs.fs.readlink(ino)?.to_vec())),
        _ => Err(EINVAL),
    }
}

/// chdir() to a path whose walk goes through /proc: the place to make
/// the cwd (a RAM directory reached through `cwd` or `root`, /proc's root,
/// or one of its directories), or `None` if the path is not in /proc.
/// Linux: the walk, then path_permission(MAY_EXEC | MAY_CHDIR).
pub fn chdir_target(k: &Kernel, path: &[u8]) -> SysResult<Option<Held>> {
    let Some(found) = resolve(k, AT_FDCWD, path, true) else { return Ok(None) };
    let found = found?;
    match found.target {
        Target::Ino(ino) if k.vfs.fs.inode(ino)?.is_dir() => {
            crate::fs::perm::inode_permission(&k.fs_cred(), k.vfs.fs.inode(ino)?, crate::fs::perm::MAY_EXEC)?;
            Ok(Some(Held::ram(found.at)))
        }
        Target::Proc(n) if n.is_dir() => {
            permission(k, n, 1)?;
            proc_held(k, found.at).map(Some)
        }
        _ => Err(ENOTDIR),
    }
}

/// Place `at` of a proc mount as a cwd holds it: by the directory the
/// mount covers, which keeps the mount busy (proc stores nothing to hold).
pub(crate) fn proc_held(k: &Kernel, at: Path) -> SysResult<Held> {
    let root = k.vfs.fs.mounts.get(at.mnt).ok_or(ENOENT)?.root;
    Ok(Held { at, ino: root })
}

/// fchdir() to an open proc directory: its place in the first proc mount
/// of its instance, checked for search permission. Linux:
/// file_permission(MAY_EXEC | MAY_CHDIR).
pub fn fchdir_target(k: &Kernel, id: FileId) -> SysResult<Held> {
    let (node, view) = node_view_of(k, id)?;
    if !node.is_dir() {
        return Err(ENOTDIR);
    }
    permission(k, node, 1)?;
    let at = walk::file_place(k, node, view).ok_or(ENOENT)?;
    proc_held(k, at)
}

/// What mkdir, unlink and rmdir of a path in /proc get: nothing there can
/// be created or removed (Linux: proc has no mkdir/unlink/rmdir inode
/// operations, EPERM; a missing name is ENOENT; /proc itself is a mount
/// point, EBUSY). `None` if the path is not in /proc.
pub fn refuse_change(k: &Kernel, dirfd: i32, path: &[u8], op: Change) -> Option<Errno> {
    let found = resolve(k, dirfd, path, false)?.map(|f| f.target);
    Some(match (op, found) {
        (_, Err(e)) => e,
        (Change::Mkdir, Ok(_)) => EEXIST,
        (Change::Rmdir, Ok(Target::Proc(Node::Root))) => EBUSY,
        (Change::Unlink, Ok(Target::Proc(n))) if n.is_dir() => EISDIR,
        (Change::Rmdir, Ok(Target::Proc(n))) if !n.is_dir() => ENOTDIR,
        (_, Ok(_)) => EPERM,
    })
}

/// A name-changing call, for [`refuse_change`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    Mkdir,
    Unlink,
    Rmdir,
}
