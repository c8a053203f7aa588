//! The lookup side of /proc: the entries of its directories, where its
//! links lead, and the attributes (owner, mode, `stat`,
//! `access`) of what it finds (Linux: fs/proc/base.c, fs/proc/root.c).

#[allow(unused_imports)]
use super::*;

// ---------------------------------------------------------------------------
// Path resolution

/// What a path in /proc leads to once links are followed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// A node of /proc.
    Proc(Node),
    /// An inode of the RAM file system (through `exe`, `cwd`, `root`, or
    /// an `fd/N` open on a file), not held.
    Ino(Ino),
    /// An open file description with no name to open again by (an `fd/N`
    /// open on a pipe).
    File(FileId),
}

/// The entry `name` of directory `dir`, in a proc instance showing PID
/// namespace `view`.
pub(super) fn child(k: &Kernel, view: View, dir: Node, name: &[u8]) -> SysResult<Node> {
    if name.len() > NAME_MAX {
        return Err(ENAMETOOLONG);
    }
    match dir {
        Node::Root => {
            if let Some(&(_, n)) = ROOT_ENTRIES.iter().find(|(n, _)| *n == name) {
                return Ok(n);
            }
            // By its number in the instance's PID namespace.
            let tid = k.ns.pid.find(parse_num(name).ok_or(ENOENT)?, view).ok_or(ENOENT)?;
            task(k, tid)?;
            Ok(Node::PidDir { tid, whole: true })
        }
        Node::SysDir => SYS_DIRS.iter().find(|&&(n, _, _)| n == name).map(|&(_, d, _)| d).ok_or(ENOENT),
        Node::SysvipcDir => {
            SYSVIPC_ENTRIES.iter().find(|(n, _)| *n == name).map(|&(_, f)| Node::Sysvipc(f)).ok_or(ENOENT)
        }
        Node::SysFs | Node::SysKernel | Node::SysVm | Node::SysUser => {
            let table = sys_table(dir).expect("a sysctl directory");
            table.iter().find(|(n, _)| *n == name).map(|&(_, s)| Node::Sysctl(s)).ok_or(ENOENT)
        }
        Node::PidDir { tid, whole } => {
            task(k, tid)?;
            PID_ENTRIES
                .iter()
                .filter(|(_, e)| whole || *e != PidEntry::Task)
                .find(|(n, _)| *n == name)
                .map(|&(_, entry)| Node::Pid { tid, whole, entry })
                .ok_or(ENOENT)
        }
        Node::Pid { tid, whole, entry: PidEntry::Fd } => {
            let t = task(k, tid)?;
            may_inspect(k, t)?;
            let fd = parse_num(name).ok_or(ENOENT)? as i32;
            if !has_resources(t) || k.vfs.fdtables.get(t.files).get(fd).is_err() {
                return Err(ENOENT);
            }
            Ok(Node::Fd { tid, whole, fd })
        }
        // Linux: proc_fdinfo_permission() and tid_fd_revalidate() make
        // the same checks as fd/.
        Node::Pid { tid, whole, entry: PidEntry::FdInfo } => {
            let t = task(k, tid)?;
            may_inspect(k, t)?;
            let fd = parse_num(name).ok_or(ENOENT)? as i32;
            if !has_resources(t) || k.vfs.fdtables.get(t.files).get(fd).is_err() {
                return Err(ENOENT);
            }
            Ok(Node::FdInfo { tid, whole, fd })
        }
        Node::Pid { tid, whole, entry: PidEntry::Ns } => {
            task(k, tid)?;
            let ty = crate::ns::NsType::ENTRIES.iter().find(|e| e.0 == name).ok_or(ENOENT)?.1;
            Ok(Node::NsLink { tid, whole, ty })
        }
        Node::Pid { tid, entry: PidEntry::Task, .. } => {
            let leader = task(k, tid)?;
            let th = k.ns.pid.find(parse_num(name).ok_or(ENOENT)?, view).ok_or(ENOENT)?;
            if task(k, th)?.tgid != leader.tgid {
                return Err(ENOENT);
            }
            Ok(Node::PidDir { tid: th, whole: false })
        }
        d if d.is_dir() => Err(ENOENT),
        _ => Err(ENOTDIR),
    }
}

/// Where a link node leads. /proc/self and thread-self lead nowhere for
/// a caller outside the instance's PID namespace (Linux:
/// proc_self_get_link(): ENOENT).
pub(super) fn follow(k: &Kernel, view: View, link: Node) -> SysResult<Target> {
    let cur = k.cur();
    match link {
        Node::SelfLink | Node::ThreadSelf if nr(k, view, cur.tid) == 0 => Err(ENOENT),
        Node::SelfLink => Ok(Target::Proc(Node::PidDir { tid: cur.tgid, whole: true })),
        Node::ThreadSelf => Ok(Target::Proc(Node::PidDir { tid: cur.tid, whole: false })),
        Node::MountsLink => Ok(Target::Proc(Node::Pid { tid: cur.tgid, whole: true, entry: PidEntry::Mounts })),
        Node::Pid { tid, entry, .. } => {
            let t = link_task(k, tid)?;
            let fs = k.vfs.fs_structs.get(t.fs);
            match entry {
                PidEntry::Cwd => cwd_target(k, fs.cwd.at),
                PidEntry::Root => Ok(Target::Ino(fs.root)),
                PidEntry::Exe if !t.exe.is_empty() => Ok(Target::Ino(k.vfs.fs.lookup(
                    &crate::fs::FsCred::ROOT,
                    k.vfs.fs.root(),
                    t.exe.as_bytes(),
                    Lookup::FOLLOW,
                )?)),
                _ => Err(ENOENT),
            }
        }
        Node::NsLink { tid, ty, .. } => Ok(Target::Proc(Node::NsFile(ns_of(k, tid, ty)?))),
        Node::Fd { tid, fd, .. } => {
            let t = task(k, tid)?;
            may_inspect(k, t)?;
            if !has_resources(t) {
                return Err(ENOENT);
            }
            let id = k.vfs.fdtables.get(t.files).get(fd).map_err(|_| ENOENT)?.file;
            if let Some(node) = node_of_file(k, id) {
                return Ok(Target::Proc(node));
            }
            // A file with a name (a FIFO too) is reached through it; a
            // pipe or the console pipe is the description itself.
            Ok(match k.vfs.files.get(id).ino {
                Some(ino) => Target::Ino(ino),
                None => Target::File(id),
            })
        }
        _ => Err(EINVAL),
    }
}

/// What a cwd is, RAM directory or proc directory (a cwd in proc is held
/// by the directory its mount covers, see `namei::Held`).
pub fn cwd_target(k: &Kernel, at: Path) -> SysResult<Target> {
    if is_proc_mount(k, at.mnt) {
        return Ok(Target::Proc(super::walk::node_at(at.node)?));
    }
    Ok(Target::Ino(at.node))
}

/// Resolve `path` from `dirfd` if its walk goes through /proc: `None` if
/// it does not (see [`resolve`]).
pub fn lookup_at(k: &Kernel, dirfd: i32, path: &[u8], follow_last: bool) -> SysResult<Option<Target>> {
    resolve(k, dirfd, path, follow_last).map(|r| r.map(|f| f.target)).transpose()
}

// ---------------------------------------------------------------------------
// Attributes

pub(super) fn owner(k: &Kernel, node: Node) -> (u32, u32) {
    match node {
        // Linux: task_dump_owner(): the files of a process that may not be
        // inspected by its user (after a set-id exec or a change of ids)
        // belong to the root of its memory's user namespace (real root
        // if that maps no 0); its directory keeps its effective owner.
        Node::Pid { tid, .. } | Node::Fd { tid, .. } | Node::FdInfo { tid, .. }
            if k.proc.tasks().get(&tid).is_some_and(|t| !t.cred.dumpable) =>
        {
            let ns = k.proc.tasks()[&tid].cred.mm_user_ns;
            let root = |kind| k.ns.user.make_kid(ns, kind, 0).unwrap_or(0);
            (root(crate::ns::user::IdKind::Uid), root(crate::ns::user::IdKind::Gid))
        }
        Node::PidDir { tid, .. } | Node::Pid { tid, .. } | Node::Fd { tid, .. } | Node::FdInfo { tid, .. } => {
            k.proc.tasks().get(&tid).map_or((0, 0), |t| (t.cred.euid, t.cred.egid))
        }
        _ => (0, 0),
    }
}

/// `st_mode` of a node (Linux: the modes in fs/proc/base.c and root.c).
pub(super) fn mode(k: &Kernel, node: Node) -> u32 {
    match node {
        Node::Sysctl(Sysctl::NsLastPid) => S_IFREG | 0o666,
        Node::Sysctl(
            Sysctl::PidMax
            | Sysctl::ThreadsMax
            | Sysctl::FailPageAlloc
            | Sysctl::Failslab
            | Sysctl::CorePattern
            | Sysctl::CoreUsesPid
            | Sysctl::DmesgRestrict
            | Sysctl::HungTaskTimeoutSecs
            | Sysctl::Tainted
            | Sysctl::AdminReserveKbytes
            | Sysctl::OvercommitKbytes
            | Sysctl::OvercommitMemory
            | Sysctl::OvercommitRatio
            | Sysctl::UserReserveKbytes
            | Sysctl::PipeMaxSize
            | Sysctl::PipeUserPagesHard
            | Sysctl::PipeUserPagesSoft
            | Sysctl::Printk
            | Sysctl::LeaseBreakTime
            | Sysctl::Sem
            | Sysctl::Msgmax
            | Sysctl::Msgmnb
            | Sysctl::Msgmni,
        ) => S_IFREG | 0o644,
        Node::Sysctl(Sysctl::DropCaches) => S_IFREG | 0o200,
        // Writable by CAP_SYS_RESOURCE in the reader's user namespace, by
        // anyone then (Linux: kernel/ucount.c's set_permissions()).
        Node::Sysctl(s) if s.ucount().is_some() => {
            let writable = k.cur().cred.has_cap(crate::proc::capability::CAP_SYS_RESOURCE);
            S_IFREG | if writable { 0o666 } else { 0o444 }
        }
        Node::Pid { entry: PidEntry::Comm | PidEntry::UidMap | PidEntry::GidMap | PidEntry::Setgroups, .. } => {
            S_IFREG | 0o644
        }
        Node::Pid { entry: PidEntry::Mem, .. } => S_IFREG | 0o600,
        Node::Pid { entry: PidEntry::Environ | PidEntry::Auxv | PidEntry::Personality | PidEntry::Pagemap, .. } => {
            S_IFREG | 0o400
        }
        Node::Pid { entry: PidEntry::Fd, .. } => S_IFDIR | 0o500,
        // Linux: proc_ns_dir_operations' directory, 0511.
        Node::Pid { entry: PidEntry::Ns, .. } => S_IFDIR | 0o511,
        // Linux: proc_fd_link inodes carry the descriptor's access mode.
        Node::Fd { tid, fd, .. } => {
            let f = k
                .proc
                .tasks()
                .get(&tid)
                .filter(|t| has_resources(t))
                .and_then(|t| k.vfs.fdtables.get(t.files).get(fd).ok())
                .map(|d| k.vfs.files.get(d.file).flags & O_ACCMODE);
            let mut m = S_IFLNK;
            if matches!(f, Some(O_RDONLY | O_RDWR)) {
                m |= 0o500;
            }
            if matches!(f, Some(O_WRONLY | O_RDWR)) {
                m |= 0o300;
            }
            m
        }
        n => match n.kind() {
            Kind::Dir => S_IFDIR | 0o555,
            Kind::Link => S_IFLNK | 0o777,
            Kind::File => S_IFREG | 0o444,
        },
    }
}

/// `stat` of a node (Linux: proc_getattr(), pid_getattr()). Never fails:
/// a descriptor may outlive the process its file showed.
pub fn stat(k: &Kernel, node: Node) -> Stat {
    let (uid, gid) = owner(k, node);
    let boot = k.m.clock.boot_epoch_ns();
    let time = match node {
        Node::PidDir { tid, .. } | Node::Pid { tid, .. } | Node::Fd { tid, .. } | Node::FdInfo { tid, .. } => {
            boot + k.proc.tasks().get(&tid).map_or(0, |t| t.start_ns)
        }
        _ => boot,
    };
    let live_task = |tid: Pid| k.proc.tasks().get(&tid).filter(|t| has_resources(t));
    let (nlink, size) = match node {
        Node::Root => {
            (3 + k.proc.tasks().values().filter(|t| t.is_leader() && t.state != TaskState::Dead).count() as u64, 0)
        }
        Node::SysDir => (5, 0),
        Node::PidDir { whole, .. } => (if whole { 4 } else { 3 }, 0),
        Node::Pid { tid, entry: PidEntry::Task, .. } => (2 + threads_of(k, tgid_of(k, tid)).count() as u64, 0),
        // Linux 6.2+: the size of fd/ is the number of open descriptors.
        Node::Pid { tid, entry: PidEntry::Fd, .. } => {
            (2, live_task(tid).map_or(0, |t| k.vfs.fdtables.get(t.files).iter().count() as i64))
        }
        Node::Fd { .. } => (1, 64),
        n if n.is_dir() => (2, 0),
        _ => (1, 0),
    };
    let (sec, nsec) = ((time / 1_000_000_000) as i64, (time % 1_000_000_000) as i64);
    Stat {
        st_dev: PROC_DEV,
        st_ino: node.ino(),
        st_nlink: nlink,
        st_mode: mode(k, node),
        st_uid: uid,
        st_gid: gid,
        st_size: size,
        st_blksize: 1024,
        st_atime: sec,
        st_atime_nsec: nsec,
        st_mtime: sec,
        st_mtime_nsec: nsec,
        st_ctime: sec,
        st_ctime_nsec: nsec,
        ..Stat::default()
    }
}

/// May the caller access `node` as `want` (R_OK 4, W_OK 2, X_OK 1)?
/// The ordinary rules (`perm::mode_permission`), except for sysctl
/// files: Linux's proc_sys_permission() compares the effective uid with
/// 0 and the file's bits, whatever the capabilities, and never executes.
pub(super) fn permission(k: &Kernel, node: Node, want: u32) -> SysResult<()> {
    let m = mode(k, node);
    if let Node::Sysctl(_) = node {
        let c = k.cur().cred;
        let bits = if c.euid == 0 {
            m >> 6
        } else if c.egid == 0 || k.cur().groups.binary_search(&0).is_ok() {
            m >> 3
        } else {
            m
        };
        return if want & 1 == 0 && want & !bits & 7 == 0 { Ok(()) } else { Err(EACCES) };
    }
    let (uid, gid) = owner(k, node);
    crate::fs::perm::mode_permission(&k.fs_cred(), m, uid, gid, want)
}

/// faccessat() of a node.
pub fn access(k: &Kernel, node: Node, mode: u32) -> SysResult<usize> {
    permission(k, node, mode & 7)?;
    Ok(0)
}

/// Task `tid`'s namespace of kind `ty`, for the caller that may inspect
/// it (Linux: proc_ns_get_link() with ptrace_may_access()).
pub(super) fn ns_of(k: &Kernel, tid: Pid, ty: crate::ns::NsType) -> SysResult<crate::ns::NsRef> {
    let t = task(k, tid)?;
    may_inspect(k, t)?;
    k.ns.of_task(t.nsproxy, k.pid_ns_of(tid), t.cred.user_ns, ty)
}
