//! The proc file system (Linux: fs/proc/): directories and files whose
//! contents the kernel makes up from its own state when they are read.
//!
//! # How /proc is reached
//!
//! Tine has one file system and no mount table, so `/proc` is a mount point
//! in spirit only: the RAM file system holds an empty `/proc` directory (so
//! that `ls /` shows it), and the path calls of the syscall layer first ask
//! [`route`] whether a path, taken from its starting directory, lies below
//! `/proc`. If it does, this module resolves it (`open`, the `stat` family,
//! `access`, `readlink`, `chdir`) instead of the RAM file system. The test is
//! lexical: the starting directory's path and the path are joined and `.`
//! and `..` are folded before anything is looked up. (Linux walks `..` after
//! following symbolic links; the two differ only for paths such as
//! `/proc/self/cwd/..`, which this reads as `/proc/self`.)
//!
//! # Nodes
//!
//! Every name in /proc is a [`Node`], a small `Copy` value naming what it
//! shows (a process and an entry of its directory, a global file...). Nodes
//! are made up again on every lookup, as Linux makes up proc inodes: a
//! directory's entries are listed when `getdents64` asks, from the kernel's
//! state at that moment.
//!
//! # Files
//!
//! An open proc file is an open file description of kind
//! [`FileKind::Proc`]; its contents are generated into a snapshot when it is
//! opened, and `read`, `pread` and `lseek` work on the snapshot, so that a
//! program reading in small pieces sees one consistent text. A read from
//! offset 0 after the first read generates it again (Linux's `seq_file`
//! starts over the same way), which is what `top` and `free` rely on when
//! they `lseek(fd, 0, SEEK_SET)` and read an open file again.
//!
//! # Symbolic links
//!
//! `/proc/self`, `/proc/thread-self` and `/proc/mounts` point elsewhere in
//! /proc. `exe`, `cwd`, `root` and `fd/N` are Linux's "magic" links: their
//! text (what `readlink` returns) is for people, and following one leads to
//! the object itself (an inode of the RAM file system, a pipe, another proc
//! file), not to whatever its text names ([`Target`]).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write as _;

use crate::abi::*;
use crate::fs::file::{FileId, FileKind};
use crate::fs::ramfs::{FileType, Ino, Lookup, RAMFS_DEV};
use crate::kernel::Kernel;
use crate::mm::aspace::AddressSpace;
use crate::mm::vma::{Prot, VmFlags};
use crate::proc::{Pid, Task, TaskState, WaitReason};

/// The device number `stat` reports for proc files (an anonymous device,
/// as Linux gives procfs).
pub const PROC_DEV: u64 = makedev(0, 21);
/// The inode number of the /proc directory (Linux: PROC_ROOT_INO).
pub const PROC_ROOT_INO: u64 = 1;
/// Entries that exist once, in /proc and below /proc/sys, get inode
/// numbers from here on (Linux: proc_alloc_inum()'s range).
const FIXED_INO_BASE: u64 = 0xF000_0000;
/// Per-process entries get inode numbers from here on.
const PID_INO_BASE: u64 = 1 << 48;
/// Readdir positions of the process directories in /proc: this plus the
/// PID (Linux: TGID_OFFSET), so that a listing resumed later neither
/// repeats nor skips a process when others come and go.
const PID_POS_BASE: u64 = 0x1000;
/// Clock ticks per second for user space (Linux: USER_HZ).
pub const USER_HZ: u64 = 100;
const NS_PER_TICK: u64 = 1_000_000_000 / USER_HZ;
/// Linux: the `TASK_COMM_LEN` - 1 bytes a comm holds.
const COMM_MAX: usize = 15;
/// The release and OS name `uname` reports (syscall/info.rs).
const OSRELEASE: &str = "6.1.0-tine";
const OSTYPE: &str = "Linux";
const UTS_VERSION: &str = "#1 SMP Tine";

// ---------------------------------------------------------------------------
// Nodes

/// Files directly in /proc.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Global {
    Meminfo,
    Uptime,
    Loadavg,
    Stat,
    Filesystems,
    Cpuinfo,
    Version,
}

/// Files in /proc/sys/kernel (Linux: kernel/sysctl.c's kern_table).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sysctl {
    PidMax,
    ThreadsMax,
    Osrelease,
    Ostype,
    /// Tine's fault injection into frame allocations (Linux keeps its
    /// fail_page_alloc in debugfs); the text of [`FailMode`](crate::mm::kheap::FailMode).
    FailPageAlloc,
    /// The same for the fallible heap allocations (Linux: failslab).
    Failslab,
    /// What core files are called, and whether ".PID" is added.
    CorePattern,
    CoreUsesPid,
    /// Why the kernel is not pristine: a bit mask, 0 here.
    Tainted,
    // /proc/sys/vm (Linux: mm/util.c, fs/drop_caches.c).
    AdminReserveKbytes,
    DropCaches,
    OvercommitKbytes,
    OvercommitMemory,
    OvercommitRatio,
    UserReserveKbytes,
    /// /proc/sys/fs: the pipe limits (Linux: fs/pipe.c's fs_pipe_sysctls).
    PipeMaxSize,
    PipeUserPagesHard,
    PipeUserPagesSoft,
}

impl Sysctl {
    /// The /proc/sys directory it lives in, and its name there.
    fn place(self) -> (Node, &'static [u8]) {
        SYS_DIRS
            .iter()
            .find_map(|&(_, dir, table)| table.iter().find(|&&(_, s)| s == self).map(|&(name, _)| (dir, name)))
            .expect("every sysctl has a directory")
    }
}

/// Entries of a process (or thread) directory (Linux: tgid_base_stuff,
/// tid_base_stuff in fs/proc/base.c).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PidEntry {
    /// `task/`: one directory per thread (process directories only).
    Task,
    /// `fd/`: one link per open descriptor.
    Fd,
    Status,
    Limits,
    Comm,
    Cmdline,
    Stat,
    Statm,
    Maps,
    Cwd,
    Root,
    Exe,
    Mounts,
    /// The auxiliary vector exec gave the program (0400).
    Auxv,
    /// The execution domain, `%08x` (0400).
    Personality,
    /// One 64-bit word per virtual page: present, frame, file, shared
    /// (0400). Linux: pagemap_read().
    Pagemap,
}

/// One name in /proc.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Node {
    /// /proc itself.
    Root,
    /// /proc/self → the caller's process directory.
    SelfLink,
    /// /proc/thread-self → the caller's thread directory.
    ThreadSelf,
    /// /proc/mounts → self/mounts.
    MountsLink,
    Global(Global),
    /// /proc/sys, /proc/sys/fs and /proc/sys/kernel.
    SysDir,
    SysFs,
    SysKernel,
    SysVm,
    Sysctl(Sysctl),
    /// /proc/<tid> (`whole`: what the process shows, Linux's tgid entries)
    /// or /proc/<tgid>/task/<tid> (not `whole`: one thread's view).
    PidDir {
        tid: Pid,
        whole: bool,
    },
    /// An entry of such a directory.
    Pid {
        tid: Pid,
        whole: bool,
        entry: PidEntry,
    },
    /// fd/<fd> in such a directory.
    Fd {
        tid: Pid,
        whole: bool,
        fd: i32,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Dir,
    File,
    Link,
}

const ROOT_ENTRIES: [(&[u8], Node); 11] = [
    (b"self", Node::SelfLink),
    (b"thread-self", Node::ThreadSelf),
    (b"sys", Node::SysDir),
    (b"meminfo", Node::Global(Global::Meminfo)),
    (b"uptime", Node::Global(Global::Uptime)),
    (b"loadavg", Node::Global(Global::Loadavg)),
    (b"stat", Node::Global(Global::Stat)),
    (b"filesystems", Node::Global(Global::Filesystems)),
    (b"mounts", Node::MountsLink),
    (b"cpuinfo", Node::Global(Global::Cpuinfo)),
    (b"version", Node::Global(Global::Version)),
];

const SYS_KERNEL_ENTRIES: [(&[u8], Sysctl); 9] = [
    (b"core_pattern", Sysctl::CorePattern),
    (b"core_uses_pid", Sysctl::CoreUsesPid),
    (b"osrelease", Sysctl::Osrelease),
    (b"ostype", Sysctl::Ostype),
    (b"pid_max", Sysctl::PidMax),
    (b"tainted", Sysctl::Tainted),
    (b"threads-max", Sysctl::ThreadsMax),
    (b"tine_fail_page_alloc", Sysctl::FailPageAlloc),
    (b"tine_failslab", Sysctl::Failslab),
];

const SYS_VM_ENTRIES: [(&[u8], Sysctl); 6] = [
    (b"admin_reserve_kbytes", Sysctl::AdminReserveKbytes),
    (b"drop_caches", Sysctl::DropCaches),
    (b"overcommit_kbytes", Sysctl::OvercommitKbytes),
    (b"overcommit_memory", Sysctl::OvercommitMemory),
    (b"overcommit_ratio", Sysctl::OvercommitRatio),
    (b"user_reserve_kbytes", Sysctl::UserReserveKbytes),
];

const SYS_FS_ENTRIES: [(&[u8], Sysctl); 3] = [
    (b"pipe-max-size", Sysctl::PipeMaxSize),
    (b"pipe-user-pages-hard", Sysctl::PipeUserPagesHard),
    (b"pipe-user-pages-soft", Sysctl::PipeUserPagesSoft),
];

/// The directories of /proc/sys, in readdir order, with their sysctls.
type SysTable = &'static [(&'static [u8], Sysctl)];
const SYS_DIRS: [(&[u8], Node, SysTable); 3] = [
    (b"fs", Node::SysFs, &SYS_FS_ENTRIES),
    (b"kernel", Node::SysKernel, &SYS_KERNEL_ENTRIES),
    (b"vm", Node::SysVm, &SYS_VM_ENTRIES),
];

/// The sysctls of /proc/sys directory `dir` (None for other nodes).
fn sys_table(dir: Node) -> Option<SysTable> {
    SYS_DIRS.iter().find(|&&(_, d, _)| d == dir).map(|&(_, _, t)| t)
}

/// The entries of a process directory, in Linux's order; `task` only in
/// a process's directory, not in a thread's.
const PID_ENTRIES: [(&[u8], PidEntry); 16] = [
    (b"task", PidEntry::Task),
    (b"fd", PidEntry::Fd),
    (b"auxv", PidEntry::Auxv),
    (b"status", PidEntry::Status),
    (b"personality", PidEntry::Personality),
    (b"limits", PidEntry::Limits),
    (b"comm", PidEntry::Comm),
    (b"cmdline", PidEntry::Cmdline),
    (b"stat", PidEntry::Stat),
    (b"statm", PidEntry::Statm),
    (b"maps", PidEntry::Maps),
    (b"cwd", PidEntry::Cwd),
    (b"root", PidEntry::Root),
    (b"exe", PidEntry::Exe),
    (b"mounts", PidEntry::Mounts),
    (b"pagemap", PidEntry::Pagemap),
];

impl Node {
    fn kind(self) -> Kind {
        match self {
            Node::Root | Node::SysDir | Node::SysFs | Node::SysKernel | Node::SysVm | Node::PidDir { .. } => Kind::Dir,
            Node::Pid { entry: PidEntry::Task | PidEntry::Fd, .. } => Kind::Dir,
            Node::SelfLink | Node::ThreadSelf | Node::MountsLink | Node::Fd { .. } => Kind::Link,
            Node::Pid { entry: PidEntry::Cwd | PidEntry::Root | PidEntry::Exe, .. } => Kind::Link,
            Node::Global(_) | Node::Sysctl(_) | Node::Pid { .. } => Kind::File,
        }
    }

    pub fn is_dir(self) -> bool {
        self.kind() == Kind::Dir
    }

    /// The directory holding this node.
    fn parent(self, k: &Kernel) -> Node {
        match self {
            Node::Root
            | Node::SelfLink
            | Node::ThreadSelf
            | Node::MountsLink
            | Node::Global(_)
            | Node::SysDir
            | Node::PidDir { whole: true, .. } => Node::Root,
            Node::SysKernel | Node::SysFs | Node::SysVm => Node::SysDir,
            Node::Sysctl(s) => s.place().0,
            Node::PidDir { tid, whole: false } => {
                Node::Pid { tid: tgid_of(k, tid), whole: true, entry: PidEntry::Task }
            }
            Node::Pid { tid, whole, .. } => Node::PidDir { tid, whole },
            Node::Fd { tid, whole, .. } => Node::Pid { tid, whole, entry: PidEntry::Fd },
        }
    }

    /// The inode number `stat` and `getdents64` report.
    fn ino(self) -> u64 {
        let fixed = |i: usize| FIXED_INO_BASE + i as u64;
        let per_pid =
            |tid: Pid, whole: bool, code: u64| PID_INO_BASE | (tid as u64) << 22 | (whole as u64) << 21 | code;
        let entry_code = |e: PidEntry| 1 + PID_ENTRIES.iter().position(|(_, x)| *x == e).unwrap_or(0) as u64;
        match self {
            Node::Root => PROC_ROOT_INO,
            Node::SelfLink => fixed(0),
            Node::ThreadSelf => fixed(1),
            Node::SysDir => fixed(2),
            Node::SysKernel => fixed(3),
            Node::SysFs => fixed(5),
            Node::MountsLink => fixed(4),
            Node::SysVm => fixed(6),
            Node::Global(g) => fixed(8 + g as usize),
            Node::Sysctl(s) => fixed(32 + s as usize),
            Node::PidDir { tid, whole } => per_pid(tid, whole, 0),
            Node::Pid { tid, whole, entry } => per_pid(tid, whole, entry_code(entry)),
            Node::Fd { tid, whole, fd } => per_pid(tid, whole, 64 + fd as u64),
        }
    }
}

/// The TGID of task `tid` (itself if it is gone).
fn tgid_of(k: &Kernel, tid: Pid) -> Pid {
    k.tasks.get(&tid).map_or(tid, |t| t.tgid)
}

/// The absolute path of a node, for `readlink` of a descriptor open on it
/// and for resolving paths relative to a directory descriptor.
pub fn node_path(k: &Kernel, node: Node) -> Vec<u8> {
    let mut p = match node {
        Node::Root => return b"/proc".to_vec(),
        Node::SelfLink => return b"/proc/self".to_vec(),
        Node::ThreadSelf => return b"/proc/thread-self".to_vec(),
        Node::MountsLink => return b"/proc/mounts".to_vec(),
        Node::SysDir => return b"/proc/sys".to_vec(),
        Node::SysKernel => return b"/proc/sys/kernel".to_vec(),
        Node::SysVm => return b"/proc/sys/vm".to_vec(),
        Node::SysFs => return b"/proc/sys/fs".to_vec(),
        Node::PidDir { tid, whole: true } => return format!("/proc/{tid}").into_bytes(),
        Node::PidDir { tid, whole: false } => return format!("/proc/{}/task/{tid}", tgid_of(k, tid)).into_bytes(),
        _ => node_path(k, node.parent(k)),
    };
    p.push(b'/');
    match node {
        Node::Global(g) => p.extend_from_slice(name_in(&ROOT_ENTRIES, Node::Global(g))),
        Node::Sysctl(s) => p.extend_from_slice(s.place().1),
        Node::Pid { entry, .. } => {
            p.extend_from_slice(PID_ENTRIES.iter().find(|(_, x)| *x == entry).map_or(&b""[..], |(n, _)| n))
        }
        Node::Fd { fd, .. } => p.extend_from_slice(format!("{fd}").as_bytes()),
        _ => {}
    }
    p
}

fn name_in<'a>(table: &'a [(&'a [u8], Node)], node: Node) -> &'a [u8] {
    table.iter().find(|(_, n)| *n == node).map_or(&b""[..], |(name, _)| name)
}

// ---------------------------------------------------------------------------
// Tasks as /proc sees them

/// A task that a /proc name may refer to: alive or zombie, not released.
fn task(k: &Kernel, tid: Pid) -> SysResult<&Task> {
    match k.tasks.get(&tid) {
        Some(t) if t.state != TaskState::Dead => Ok(t),
        _ => Err(ENOENT),
    }
}

/// Whether the task still holds its address space, descriptors and
/// file-system context (a zombie has given them back).
fn has_resources(t: &Task) -> bool {
    !matches!(t.state, TaskState::Zombie | TaskState::Dead)
}

fn task_mm<'k>(k: &'k Kernel, t: &Task) -> Option<&'k AddressSpace> {
    has_resources(t).then(|| k.mms.get(t.mm))
}

/// Threads of process `tgid` not yet released (Linux: get_nr_threads()).
fn threads_of(k: &Kernel, tgid: Pid) -> impl Iterator<Item = &Task> + '_ {
    k.tasks.values().map(|t| &**t).filter(move |t| t.tgid == tgid && t.state != TaskState::Dead)
}

/// Linux: the task_state_array entry of a task.
fn state_name(t: &Task) -> &'static str {
    match t.state {
        TaskState::Runnable => "R (running)",
        // A vfork parent waits uninterruptibly (Linux: wait_for_vfork_done()).
        TaskState::Blocked(WaitReason::Vfork) => "D (disk sleep)",
        TaskState::Blocked(_) => "S (sleeping)",
        TaskState::Stopped => "T (stopped)",
        TaskState::Zombie => "Z (zombie)",
        TaskState::Dead => "X (dead)",
    }
}

/// The TGID of a task's parent, 0 for init (Linux: task->real_parent).
fn ppid_of(k: &Kernel, t: &Task) -> Pid {
    k.tasks.get(&t.parent).map_or(0, |p| p.tgid)
}

/// Whether the caller may look behind a task's links (exe, cwd, fd/) or
/// into its memory map: a thread of the same process always, another
/// only as `ptrace_may_access()` allows. EACCES otherwise, as Linux's
/// proc_fd_access_allowed() and mm_access() give.
fn may_inspect(k: &Kernel, t: &Task) -> SysResult<()> {
    let me = k.cur();
    if me.tgid == t.tgid || crate::proc::capability::ptrace_may_access(&me.cred, &t.cred) {
        Ok(())
    } else {
        Err(EACCES)
    }
}

/// Parse a PID or descriptor number as Linux's name_to_int(): digits only,
/// no leading zero.
fn parse_num(name: &[u8]) -> Option<u32> {
    if name.is_empty() || name.len() > 10 || (name.len() > 1 && name[0] == b'0') {
        return None;
    }
    let mut v: u64 = 0;
    for &c in name {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + (c - b'0') as u64;
    }
    u32::try_from(v).ok().filter(|&v| v <= i32::MAX as u32)
}

// ---------------------------------------------------------------------------
// Path resolution

/// A path that lies in /proc: its components below /proc, `.` and `..`
/// folded away.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcPath {
    comps: Vec<Vec<u8>>,
    trailing_slash: bool,
}

impl ProcPath {
    /// Whether the path names /proc itself.
    pub fn is_root(&self) -> bool {
        self.comps.is_empty()
    }
}

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

/// Does `path`, from `dirfd` as the `*at()` calls read it, lie in /proc?
/// `None` sends the caller on to the RAM file system, which also reports
/// a bad `dirfd` or an empty path.
pub fn route(k: &Kernel, dirfd: i32, path: &[u8]) -> Option<ProcPath> {
    if path.is_empty() || path.len() >= PATH_MAX {
        return None;
    }
    // A path reaches /proc only by naming it, or by starting there (the
    // RAM file system's /proc stays empty: nothing can be made in it).
    let mentions_proc = path.windows(4).any(|w| w == b"proc");
    let base: Vec<u8> = if path[0] == b'/' {
        if !mentions_proc {
            return None;
        }
        Vec::new()
    } else {
        let dir = if dirfd == AT_FDCWD {
            k.cur_fs().cwd
        } else {
            let f = k.files.get(k.cur_files().get(dirfd).ok()?.file);
            if let FileKind::Proc(node) = f.kind {
                return join(&node_path(k, node), path);
            }
            let ino = f.ino?;
            if !k.fs.inode(ino).ok()?.is_dir() {
                return None;
            }
            ino
        };
        if !mentions_proc && k.fs.lookup_child(k.fs.root(), b"proc").ok() != Some(dir) {
            return None;
        }
        k.fs.path_of_dir(dir).ok()?
    };
    join(&base, path)
}

/// `path` taken from directory `base` (an absolute path), if it lands in
/// /proc.
fn join(base: &[u8], path: &[u8]) -> Option<ProcPath> {
    let mut comps: Vec<&[u8]> = Vec::new();
    for c in base.split(|&b| b == b'/').chain(path.split(|&b| b == b'/')) {
        match c {
            b"" | b"." => {}
            b".." => {
                comps.pop();
            }
            c => comps.push(c),
        }
    }
    if comps.first() != Some(&&b"proc"[..]) {
        return None;
    }
    // A final `/`, `.` or `..` asks for a directory.
    let last = path.rsplit(|&b| b == b'/').next().unwrap_or(b"");
    let trailing_slash = matches!(last, b"" | b"." | b"..");
    Some(ProcPath { comps: comps[1..].iter().map(|c| c.to_vec()).collect(), trailing_slash })
}

/// The entry `name` of directory `dir`.
fn child(k: &Kernel, dir: Node, name: &[u8]) -> SysResult<Node> {
    if name.len() > NAME_MAX {
        return Err(ENAMETOOLONG);
    }
    match dir {
        Node::Root => {
            if let Some(&(_, n)) = ROOT_ENTRIES.iter().find(|(n, _)| *n == name) {
                return Ok(n);
            }
            let tid = parse_num(name).ok_or(ENOENT)?;
            task(k, tid)?;
            Ok(Node::PidDir { tid, whole: true })
        }
        Node::SysDir => SYS_DIRS.iter().find(|&&(n, _, _)| n == name).map(|&(_, d, _)| d).ok_or(ENOENT),
        Node::SysFs | Node::SysKernel | Node::SysVm => {
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
            if !has_resources(t) || k.fdtables.get(t.files).get(fd).is_err() {
                return Err(ENOENT);
            }
            Ok(Node::Fd { tid, whole, fd })
        }
        Node::Pid { tid, entry: PidEntry::Task, .. } => {
            let leader = task(k, tid)?;
            let th = parse_num(name).ok_or(ENOENT)?;
            if task(k, th)?.tgid != leader.tgid {
                return Err(ENOENT);
            }
            Ok(Node::PidDir { tid: th, whole: false })
        }
        d if d.is_dir() => Err(ENOENT),
        _ => Err(ENOTDIR),
    }
}

/// Where a link node leads.
fn follow(k: &Kernel, link: Node) -> SysResult<Target> {
    let cur = k.cur();
    match link {
        Node::SelfLink => Ok(Target::Proc(Node::PidDir { tid: cur.tgid, whole: true })),
        Node::ThreadSelf => Ok(Target::Proc(Node::PidDir { tid: cur.tid, whole: false })),
        Node::MountsLink => Ok(Target::Proc(Node::Pid { tid: cur.tgid, whole: true, entry: PidEntry::Mounts })),
        Node::Pid { tid, entry, .. } => {
            let t = task(k, tid)?;
            may_inspect(k, t)?;
            if !has_resources(t) {
                return Err(ENOENT);
            }
            let fs = k.fs_structs.get(t.fs);
            match entry {
                PidEntry::Cwd => Ok(Target::Ino(fs.cwd)),
                PidEntry::Root => Ok(Target::Ino(fs.root)),
                PidEntry::Exe if !t.exe.is_empty() => Ok(Target::Ino(k.fs.lookup(
                    &crate::fs::FsCred::ROOT,
                    k.fs.root(),
                    t.exe.as_bytes(),
                    Lookup::FOLLOW,
                )?)),
                _ => Err(ENOENT),
            }
        }
        Node::Fd { tid, fd, .. } => {
            let t = task(k, tid)?;
            may_inspect(k, t)?;
            if !has_resources(t) {
                return Err(ENOENT);
            }
            let id = k.fdtables.get(t.files).get(fd).map_err(|_| ENOENT)?.file;
            let f = k.files.get(id);
            Ok(match (f.kind, f.ino) {
                (FileKind::Proc(node), _) => Target::Proc(node),
                // A FIFO is reached through its name, as any file.
                (FileKind::Pipe { .. }, Some(ino)) => Target::Ino(ino),
                (FileKind::Pipe { .. } | FileKind::ConsolePipe, _) | (_, None) => Target::File(id),
                (_, Some(ino)) => Target::Ino(ino),
            })
        }
        _ => Err(EINVAL),
    }
}

/// Resolve a path in /proc, following links on the way and the last one
/// too when `follow_last`. Linux: the path walk through proc_root_lookup(),
/// proc_pident_lookup() and proc_pid_get_link().
pub fn walk(k: &Kernel, p: &ProcPath, follow_last: bool) -> SysResult<Target> {
    let mut cur = Node::Root;
    let n = p.comps.len();
    for (i, name) in p.comps.iter().enumerate() {
        let last = i + 1 == n;
        let next = child(k, cur, name)?;
        if next.kind() != Kind::Link || (last && !follow_last && !p.trailing_slash) {
            cur = next;
            continue;
        }
        match follow(k, next)? {
            Target::Proc(node) => cur = node,
            Target::Ino(ino) => {
                let rest = &p.comps[i + 1..];
                if rest.is_empty() {
                    if p.trailing_slash && !k.fs.inode(ino)?.is_dir() {
                        return Err(ENOTDIR);
                    }
                    return Ok(Target::Ino(ino));
                }
                let mut path = rest.join(&b'/');
                if p.trailing_slash {
                    path.push(b'/');
                }
                let flags = if follow_last { Lookup::FOLLOW } else { Lookup::empty() };
                return k.fs.lookup(&k.fs_cred(), ino, &path, flags).map(Target::Ino);
            }
            Target::File(id) => {
                if !last || p.trailing_slash {
                    return Err(ENOTDIR);
                }
                return Ok(Target::File(id));
            }
        }
    }
    if p.trailing_slash && !cur.is_dir() {
        return Err(ENOTDIR);
    }
    Ok(Target::Proc(cur))
}

/// Resolve `path` from `dirfd` if it lies in /proc: `None` if it does not.
pub fn lookup_at(k: &Kernel, dirfd: i32, path: &[u8], follow_last: bool) -> SysResult<Option<Target>> {
    match route(k, dirfd, path) {
        Some(p) => walk(k, &p, follow_last).map(Some),
        None => Ok(None),
    }
}

// ---------------------------------------------------------------------------
// Attributes

fn owner(k: &Kernel, node: Node) -> (u32, u32) {
    match node {
        // Linux: task_dump_owner(): the files of a process that may not be
        // inspected by its user (after a set-id exec or a change of ids)
        // belong to root; its directory keeps its effective owner.
        Node::Pid { tid, .. } | Node::Fd { tid, .. } if k.tasks.get(&tid).is_some_and(|t| !t.cred.dumpable) => (0, 0),
        Node::PidDir { tid, .. } | Node::Pid { tid, .. } | Node::Fd { tid, .. } => {
            k.tasks.get(&tid).map_or((0, 0), |t| (t.cred.euid, t.cred.egid))
        }
        _ => (0, 0),
    }
}

/// `st_mode` of a node (Linux: the modes in fs/proc/base.c and root.c).
fn mode(k: &Kernel, node: Node) -> u32 {
    match node {
        Node::Sysctl(
            Sysctl::PidMax
            | Sysctl::ThreadsMax
            | Sysctl::FailPageAlloc
            | Sysctl::Failslab
            | Sysctl::CorePattern
            | Sysctl::CoreUsesPid
            | Sysctl::Tainted
            | Sysctl::AdminReserveKbytes
            | Sysctl::OvercommitKbytes
            | Sysctl::OvercommitMemory
            | Sysctl::OvercommitRatio
            | Sysctl::UserReserveKbytes
            | Sysctl::PipeMaxSize
            | Sysctl::PipeUserPagesHard
            | Sysctl::PipeUserPagesSoft,
        ) => S_IFREG | 0o644,
        Node::Sysctl(Sysctl::DropCaches) => S_IFREG | 0o200,
        Node::Pid { entry: PidEntry::Comm, .. } => S_IFREG | 0o644,
        Node::Pid { entry: PidEntry::Auxv | PidEntry::Personality | PidEntry::Pagemap, .. } => S_IFREG | 0o400,
        Node::Pid { entry: PidEntry::Fd, .. } => S_IFDIR | 0o500,
        // Linux: proc_fd_link inodes carry the descriptor's access mode.
        Node::Fd { tid, fd, .. } => {
            let f = k
                .tasks
                .get(&tid)
                .filter(|t| has_resources(t))
                .and_then(|t| k.fdtables.get(t.files).get(fd).ok())
                .map(|d| k.files.get(d.file).flags & O_ACCMODE);
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
        Node::PidDir { tid, .. } | Node::Pid { tid, .. } | Node::Fd { tid, .. } => {
            boot + k.tasks.get(&tid).map_or(0, |t| t.start_ns)
        }
        _ => boot,
    };
    let live_task = |tid: Pid| k.tasks.get(&tid).filter(|t| has_resources(t));
    let (nlink, size) = match node {
        Node::Root => (3 + k.tasks.values().filter(|t| t.is_leader() && t.state != TaskState::Dead).count() as u64, 0),
        Node::SysDir => (5, 0),
        Node::PidDir { whole, .. } => (if whole { 4 } else { 3 }, 0),
        Node::Pid { tid, entry: PidEntry::Task, .. } => (2 + threads_of(k, tgid_of(k, tid)).count() as u64, 0),
        // Linux 6.2+: the size of fd/ is the number of open descriptors.
        Node::Pid { tid, entry: PidEntry::Fd, .. } => {
            (2, live_task(tid).map_or(0, |t| k.fdtables.get(t.files).iter().count() as i64))
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
fn permission(k: &Kernel, node: Node, want: u32) -> SysResult<()> {
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
    let Some(p) = route(k, dirfd, path) else { return Ok(None) };
    if flags & O_TMPFILE == O_TMPFILE {
        return Err(EOPNOTSUPP);
    }
    let creating = flags & O_CREAT != 0;
    if creating && flags & O_DIRECTORY != 0 {
        return Err(EINVAL);
    }
    let excl = creating && flags & O_EXCL != 0;
    let follow = flags & O_NOFOLLOW == 0 && !excl;
    // Nothing can be created in /proc: a missing name stays ENOENT.
    let target = walk(k, &p, follow)?;
    if excl {
        return Err(EEXIST);
    }
    match target {
        Target::Ino(ino) => open_inode(k, ino, flags).map(|i| Some(Opened::Ino(i))),
        Target::File(id) => reopen(k, id, flags).map(|f| Some(Opened::File(f))),
        Target::Proc(node) => open_node(k, node, flags).map(|f| Some(Opened::File(f))),
    }
}

/// The checks RamFs::open makes, for an inode reached through a magic
/// link; takes a reference for the open file.
fn open_inode(k: &mut Kernel, ino: Ino, flags: u32) -> SysResult<Ino> {
    let inode = k.fs.inode(ino)?;
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
    k.fs.ihold(ino)?;
    Ok(ino)
}

/// Open again the description behind an fd/N link that has no name: a
/// pipe gets a new description of the end the access mode asks for
/// (Linux: fifo_open() on the pipe's inode).
fn reopen(k: &mut Kernel, id: FileId, flags: u32) -> SysResult<FileId> {
    if flags & O_DIRECTORY != 0 {
        return Err(ENOTDIR);
    }
    let keep = flags & (O_ACCMODE | O_APPEND | O_NONBLOCK | O_LARGEFILE | O_PATH);
    match k.files.get(id).kind {
        FileKind::Pipe { pipe, .. } => {
            // Linux: fifo_open() on a pipe counts each side the access
            // mode asks for and never waits.
            let acc = flags & O_ACCMODE;
            let p = k.pipes.get_mut(pipe);
            if acc != O_WRONLY {
                p.readers += 1;
                p.r_counter += 1;
            }
            if acc != O_RDONLY {
                p.writers += 1;
                p.w_counter += 1;
            }
            Ok(k.files.open(FileKind::Pipe { pipe, version: 0 }, keep, None))
        }
        FileKind::ConsolePipe => Ok(k.files.open(FileKind::ConsolePipe, keep, None)),
        _ => Err(ENXIO),
    }
}

fn open_node(k: &mut Kernel, node: Node, flags: u32) -> SysResult<FileId> {
    let keep = flags & (O_ACCMODE | O_APPEND | O_NONBLOCK | O_DIRECTORY | O_NOFOLLOW | O_PATH | O_LARGEFILE);
    let kind = node.kind();
    if flags & O_DIRECTORY != 0 && kind != Kind::Dir {
        return Err(ENOTDIR);
    }
    if flags & O_PATH != 0 {
        return Ok(k.files.open(FileKind::Proc(node), keep, None));
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
        tid, entry: PidEntry::Maps | PidEntry::Auxv | PidEntry::Personality | PidEntry::Pagemap, ..
    } = node
    {
        may_inspect(k, task(k, tid)?)?;
    }
    // pagemap is read where asked, not made up at open: it is as long as
    // the address space (2^47 / 4096 words).
    let pagemap = matches!(node, Node::Pid { entry: PidEntry::Pagemap, .. });
    let snapshot = if kind == Kind::File && acc != O_WRONLY && !pagemap { Some(generate(k, node)?) } else { None };
    let id = k.files.open(FileKind::Proc(node), keep, None);
    if let Some(data) = snapshot {
        k.files.set_proc_snapshot(id, data);
    }
    Ok(id)
}

/// The contents of a proc file once read: the text generated at open (or
/// at the last read from offset 0), and whether a read has used it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    pub data: Vec<u8>,
    pub used: bool,
}

fn node_of(k: &Kernel, id: FileId) -> SysResult<Node> {
    match k.files.get(id).kind {
        FileKind::Proc(node) => Ok(node),
        _ => Err(EBADF),
    }
}

/// read()/pread() of an open proc file at `pos` (Linux: seq_read_iter()).
pub fn read(k: &mut Kernel, id: FileId, pos: u64, buf: &mut [u8]) -> SysResult<usize> {
    let node = node_of(k, id)?;
    match node.kind() {
        Kind::Dir => return Err(EISDIR),
        Kind::Link => return Err(EINVAL),
        Kind::File => {}
    }
    if let Node::Pid { tid, entry: PidEntry::Pagemap, .. } = node {
        return pagemap_read(k, tid, pos, buf);
    }
    let fresh = k.files.proc_snapshot(id).is_some_and(|s| !s.used);
    if pos == 0 && !fresh {
        // The process may be gone by now (Linux: ESRCH from proc_single_show()).
        let data = generate(k, node).map_err(|e| if e == ENOENT { ESRCH } else { e })?;
        k.files.set_proc_snapshot(id, data);
    }
    let Some(snap) = k.files.proc_snapshot_mut(id) else { return Ok(0) };
    snap.used = true;
    let Ok(start) = usize::try_from(pos) else { return Ok(0) };
    if start >= snap.data.len() {
        return Ok(0);
    }
    let n = buf.len().min(snap.data.len() - start);
    buf[..n].copy_from_slice(&snap.data[start..start + n]);
    Ok(n)
}

/// /proc/<pid>/pagemap at `pos`: a word per page from page `pos / 8`,
/// to the end of user space (Linux: pagemap_read(): EINVAL unless the
/// offset and the length are whole words; frames only for CAP_SYS_ADMIN).
fn pagemap_read(k: &mut Kernel, tid: Pid, pos: u64, buf: &mut [u8]) -> SysResult<usize> {
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
    let node = node_of(k, id)?;
    let n = match node {
        Node::Sysctl(
            s @ (Sysctl::PidMax
            | Sysctl::ThreadsMax
            | Sysctl::CoreUsesPid
            | Sysctl::AdminReserveKbytes
            | Sysctl::DropCaches
            | Sysctl::OvercommitKbytes
            | Sysctl::OvercommitMemory
            | Sysctl::OvercommitRatio
            | Sysctl::UserReserveKbytes
            | Sysctl::PipeMaxSize
            | Sysctl::PipeUserPagesHard
            | Sysctl::PipeUserPagesSoft),
        ) => sysctl_write(k, s, pos, data)?,
        // Linux: proc_dostring_coredump(): the text up to a newline or NUL,
        // at most CORENAME_MAX_SIZE - 1 bytes; root only.
        Node::Sysctl(Sysctl::CorePattern) => {
            if k.cur().cred.euid != 0 {
                return Err(EPERM);
            }
            if pos == 0 {
                let end = data.iter().position(|&c| c == b'\n' || c == 0).unwrap_or(data.len());
                let max = crate::proc::coredump::CORENAME_MAX_SIZE - 1;
                k.core.pattern = data[..end.min(max)].to_vec();
            }
            data.len()
        }
        Node::Sysctl(s @ (Sysctl::FailPageAlloc | Sysctl::Failslab)) => {
            if pos == 0 && !data.is_empty() {
                let mode = crate::mm::kheap::FailMode::parse(data).ok_or(EINVAL)?;
                if s == Sysctl::Failslab {
                    *crate::mm::kheap::FAILSLAB.lock() = mode;
                } else {
                    k.frames.set_injection(mode);
                }
            }
            data.len()
        }
        Node::Pid { tid, entry: PidEntry::Comm, .. } => {
            let me = k.cur().tgid;
            let t = k.tasks.get_mut(&tid).filter(|t| t.state != TaskState::Dead).ok_or(ESRCH)?;
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
    if let Some(s) = k.files.proc_snapshot_mut(id) {
        s.used = true;
    }
    Ok(n)
}

/// A write to an integer sysctl (Linux: proc_dointvec_minmax() under
/// sysctl_writes_strict = 1: a write past offset 0 is ignored).
fn sysctl_write(k: &mut Kernel, s: Sysctl, pos: u64, data: &[u8]) -> SysResult<usize> {
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
            k.pids.set_pid_max(v)?;
        }
        Sysctl::CoreUsesPid => k.core.uses_pid = v != 0,
        // Linux: overcommit_policy_handler(), proc_dointvec_minmax 0..=2.
        Sysctl::OvercommitMemory => {
            use crate::mm::commit::Overcommit;
            k.frames.commit.mode = match v {
                0 => Overcommit::Guess,
                1 => Overcommit::Always,
                2 => Overcommit::Never,
                _ => return Err(EINVAL),
            };
        }
        // Setting one of ratio and kbytes clears the other (Linux:
        // overcommit_ratio_handler(), overcommit_kbytes_handler()).
        Sysctl::OvercommitRatio => {
            k.frames.commit.ratio = u64::try_from(v).map_err(|_| EINVAL)?;
            k.frames.commit.kbytes = 0;
        }
        Sysctl::OvercommitKbytes => {
            k.frames.commit.kbytes = u64::try_from(v).map_err(|_| EINVAL)?;
            k.frames.commit.ratio = 0;
        }
        Sysctl::AdminReserveKbytes => k.frames.commit.admin_reserve_kbytes = u64::try_from(v).map_err(|_| EINVAL)?,
        Sysctl::UserReserveKbytes => k.frames.commit.user_reserve_kbytes = u64::try_from(v).map_err(|_| EINVAL)?,
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
        Sysctl::ThreadsMax => {
            // Linux: sysctl_max_threads() accepts 1..=MAX_THREADS (since
            // 5.4 the boot-time MIN_THREADS floor no longer applies).
            let v = u32::try_from(v).map_err(|_| EINVAL)?;
            if !(1..=crate::kernel::MAX_THREADS).contains(&v) {
                return Err(EINVAL);
            }
            k.max_threads = v;
        }
        // Linux: proc_dopipe_max_size(): rounded as F_SETPIPE_SZ rounds,
        // EINVAL for what does not round (negative, above 2 GiB).
        Sysctl::PipeMaxSize => {
            let v = u32::try_from(v).map_err(|_| EINVAL)?;
            match crate::syscall::round_pipe_size(v as u64) {
                0 => return Err(EINVAL),
                size => k.pipes.limits.max_size = size,
            }
        }
        Sysctl::PipeUserPagesHard => k.pipes.limits.user_pages_hard = u64::try_from(v).map_err(|_| EINVAL)?,
        Sysctl::PipeUserPagesSoft => k.pipes.limits.user_pages_soft = u64::try_from(v).map_err(|_| EINVAL)?,
        _ => return Err(EIO),
    }
    Ok(consumed)
}

fn is_space(c: u8) -> bool {
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

/// Linux's strtoul with base 0 (_parse_integer_fixup_radix() and
/// _parse_integer()): the value and the bytes used; `None` on overflow.
fn parse_c_ulong(s: &[u8]) -> Option<(u64, usize)> {
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
    let cur = k.files.get(id).offset as i64;
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
struct Entry {
    pos: u64,
    ino: u64,
    d_type: u8,
    name: Vec<u8>,
}

fn d_type(node: Node) -> u8 {
    match node.kind() {
        Kind::Dir => DT_DIR,
        Kind::File => DT_REG,
        Kind::Link => DT_LNK,
    }
}

/// The entries of directory `dir`, `.` and `..` first, by readdir
/// position. Linux: proc_root_readdir(), proc_pident_readdir(),
/// proc_readfd(), proc_task_readdir().
fn list(k: &Kernel, dir: Node) -> SysResult<Vec<Entry>> {
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
            for t in k.tasks.values().filter(|t| t.is_leader() && t.state != TaskState::Dead) {
                let node = Node::PidDir { tid: t.tid, whole: true };
                add(PID_POS_BASE + t.tid as u64, node, format!("{}", t.tid).as_bytes());
            }
        }
        Node::SysDir => {
            for (i, (name, d, _)) in SYS_DIRS.iter().enumerate() {
                add(2 + i as u64, *d, name);
            }
        }
        Node::SysFs | Node::SysKernel | Node::SysVm => {
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
        Node::Pid { tid, whole, entry: PidEntry::Fd } => {
            let t = task(k, tid)?;
            may_inspect(k, t)?;
            if has_resources(t) {
                for (fd, _) in k.fdtables.get(t.files).iter() {
                    add(2 + fd as u64, Node::Fd { tid, whole, fd }, format!("{fd}").as_bytes());
                }
            }
        }
        Node::Pid { tid, entry: PidEntry::Task, .. } => {
            let tgid = task(k, tid)?.tgid;
            for t in threads_of(k, tgid) {
                add(2 + t.tid as u64, Node::PidDir { tid: t.tid, whole: false }, format!("{}", t.tid).as_bytes());
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
    let node = node_of(k, id)?;
    if !node.is_dir() {
        return Err(ENOTDIR);
    }
    let pos = k.files.get(id).offset;
    let entries = list(k, node)?;
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
    k.files.get_mut(id).offset = next;
    Ok(out.len())
}

/// The text of a link node (Linux: proc_self_get_link(),
/// proc_pid_readlink() → d_path()).
pub fn link_text(k: &Kernel, node: Node) -> SysResult<Vec<u8>> {
    let cur = k.cur();
    match node {
        Node::SelfLink => Ok(format!("{}", cur.tgid).into_bytes()),
        Node::ThreadSelf => Ok(format!("{}/task/{}", cur.tgid, cur.tid).into_bytes()),
        Node::MountsLink => Ok(b"self/mounts".to_vec()),
        Node::Pid { tid, entry: entry @ (PidEntry::Exe | PidEntry::Cwd | PidEntry::Root), .. } => {
            let t = task(k, tid)?;
            may_inspect(k, t)?;
            if !has_resources(t) {
                return Err(ENOENT);
            }
            let fs = k.fs_structs.get(t.fs);
            match entry {
                PidEntry::Exe if t.exe.is_empty() => Err(ENOENT),
                PidEntry::Exe => Ok(t.exe.as_bytes().to_vec()),
                PidEntry::Cwd => Ok(dir_path(k, fs.cwd)),
                _ => Ok(dir_path(k, fs.root)),
            }
        }
        Node::Fd { tid, fd, .. } => {
            let t = task(k, tid)?;
            may_inspect(k, t)?;
            if !has_resources(t) {
                return Err(ENOENT);
            }
            let id = k.fdtables.get(t.files).get(fd).map_err(|_| ENOENT)?.file;
            Ok(file_path(k, id))
        }
        _ => Err(EINVAL),
    }
}

/// A directory's path, "... (deleted)" style when it has been removed.
fn dir_path(k: &Kernel, ino: Ino) -> Vec<u8> {
    k.fs.path_of_dir(ino).unwrap_or_else(|_| b"/ (deleted)".to_vec())
}

/// What /proc/<pid>/fd/N says about an open file (Linux: d_path() of the
/// file, "pipe:[ino]" for a pipe, pipefs's d_dname()).
pub fn file_path(k: &Kernel, id: FileId) -> Vec<u8> {
    let f = k.files.get(id);
    match (f.kind, f.ino) {
        (FileKind::Proc(node), _) => node_path(k, node),
        (FileKind::Pipe { .. }, Some(ino)) => inode_path(k, ino),
        // Linux: anon_inode_getfd("[signalfd]").
        (FileKind::Signalfd { .. }, _) => b"anon_inode:[signalfd]".to_vec(),
        (FileKind::Pipe { .. } | FileKind::ConsolePipe, _) | (_, None) => {
            format!("pipe:[{}]", crate::fs::file::anon_ino(id)).into_bytes()
        }
        (_, Some(ino)) => inode_path(k, ino),
    }
}

/// A RAM file system inode's path, " (deleted)" once it has no name left.
fn inode_path(k: &Kernel, ino: Ino) -> Vec<u8> {
    k.fs.path_of(ino).unwrap_or_else(|| b"/ (deleted)".to_vec())
}

/// readlinkat() of a path in /proc: the link's text, or `None` if the
/// path is not in /proc. EINVAL for what is not a link.
pub fn readlink(k: &Kernel, dirfd: i32, path: &[u8]) -> SysResult<Option<Vec<u8>>> {
    let Some(p) = route(k, dirfd, path) else { return Ok(None) };
    match walk(k, &p, false)? {
        Target::Proc(node) if node.kind() == Kind::Link => link_text(k, node).map(Some),
        Target::Ino(ino) => Ok(Some(k.fs.readlink(ino)?.to_vec())),
        _ => Err(EINVAL),
    }
}

/// chdir() to a path in /proc: the RAM file system directory to make the
/// cwd, or `None` if the path is not in /proc. /proc itself is the RAM
/// file system's (empty) /proc directory, so relative paths from it come
/// back here; a directory reached through `cwd` or `root` is itself. Tine
/// cannot keep a cwd inside /proc (a task's cwd is a RAM file system
/// inode), so the directories of /proc/<pid> and /proc/sys are refused
/// with EOPNOTSUPP, which Linux never returns here.
pub fn chdir_target(k: &Kernel, path: &[u8]) -> SysResult<Option<Ino>> {
    let Some(p) = route(k, AT_FDCWD, path) else { return Ok(None) };
    match walk(k, &p, true)? {
        Target::Ino(ino) if k.fs.inode(ino)?.is_dir() => Ok(Some(ino)),
        Target::Proc(Node::Root) => Ok(Some(k.fs.lookup(
            &crate::fs::FsCred::ROOT,
            k.fs.root(),
            b"/proc",
            Lookup::FOLLOW | Lookup::DIRECTORY,
        )?)),
        Target::Proc(n) if n.is_dir() => Err(EOPNOTSUPP),
        _ => Err(ENOTDIR),
    }
}

/// What mkdir, unlink and rmdir of a path in /proc get: nothing there can
/// be created or removed (Linux: proc has no mkdir/unlink/rmdir inode
/// operations, EPERM; a missing name is ENOENT; /proc itself is a mount
/// point, EBUSY). `None` if the path is not in /proc.
pub fn refuse_change(k: &Kernel, dirfd: i32, path: &[u8], op: Change) -> Option<Errno> {
    let p = route(k, dirfd, path)?;
    let found = walk(k, &p, false);
    Some(match (op, found) {
        (_, Err(e)) => e,
        (Change::Mkdir, Ok(_)) => EEXIST,
        (Change::Rmdir, Ok(_)) if p.is_root() => EBUSY,
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

// ---------------------------------------------------------------------------
// Contents

/// Generate a proc file's text.
fn generate(k: &Kernel, node: Node) -> SysResult<Vec<u8>> {
    let mut o = Out(Vec::new());
    match node {
        Node::Global(Global::Meminfo) => o.0 = format_meminfo(&mem_info(k)).into_bytes(),
        Node::Global(Global::Uptime) => {
            let up = k.now_ns();
            let (user, system) = cpu_time_ns(k);
            let idle = up.saturating_sub(user + system);
            let secs = |ns: u64| (ns / 1_000_000_000, ns / 10_000_000 % 100);
            let ((us, uc), (is, ic)) = (secs(up), secs(idle));
            let _ = writeln!(o, "{us}.{uc:02} {is}.{ic:02}");
        }
        Node::Global(Global::Loadavg) => {
            let running = k.tasks.values().filter(|t| t.state == TaskState::Runnable).count();
            let total = k.tasks.values().filter(|t| t.state != TaskState::Dead).count();
            let _ = writeln!(o, "0.00 0.00 0.00 {running}/{total} {}", k.pids.last());
        }
        Node::Global(Global::Stat) => proc_stat(k, &mut o),
        Node::Global(Global::Filesystems) => o.0 = b"nodev\trootfs\nnodev\tramfs\nnodev\tproc\n".to_vec(),
        Node::Global(Global::Cpuinfo) => cpuinfo(k, &mut o),
        Node::Global(Global::Version) => {
            let _ = writeln!(o, "{OSTYPE} version {OSRELEASE} (tine@tine) (rustc) {UTS_VERSION}");
        }
        Node::Sysctl(s) => {
            let _ = match s {
                Sysctl::PidMax => writeln!(o, "{}", k.pids.pid_max()),
                Sysctl::ThreadsMax => writeln!(o, "{}", k.max_threads),
                Sysctl::Osrelease => writeln!(o, "{OSRELEASE}"),
                Sysctl::Ostype => writeln!(o, "{OSTYPE}"),
                Sysctl::FailPageAlloc => writeln!(o, "{}", k.frames.injection().describe()),
                Sysctl::Failslab => writeln!(o, "{}", crate::mm::kheap::FAILSLAB.lock().describe()),
                Sysctl::CorePattern => {
                    o.0.extend_from_slice(&k.core.pattern);
                    writeln!(o)
                }
                Sysctl::CoreUsesPid => writeln!(o, "{}", k.core.uses_pid as u8),
                Sysctl::Tainted => writeln!(o, "0"),
                Sysctl::AdminReserveKbytes => writeln!(o, "{}", k.frames.commit.admin_reserve_kbytes),
                Sysctl::OvercommitKbytes => writeln!(o, "{}", k.frames.commit.kbytes),
                Sysctl::OvercommitMemory => writeln!(o, "{}", k.frames.commit.mode as u8),
                Sysctl::OvercommitRatio => writeln!(o, "{}", k.frames.commit.ratio),
                Sysctl::UserReserveKbytes => writeln!(o, "{}", k.frames.commit.user_reserve_kbytes),
                // Write-only (mode 0200): reading it is EACCES at open.
                Sysctl::DropCaches => Ok(()),
                Sysctl::PipeMaxSize => writeln!(o, "{}", k.pipes.limits.max_size),
                Sysctl::PipeUserPagesHard => writeln!(o, "{}", k.pipes.limits.user_pages_hard),
                Sysctl::PipeUserPagesSoft => writeln!(o, "{}", k.pipes.limits.user_pages_soft),
            };
        }
        Node::Pid { tid, whole, entry } => {
            let t = task(k, tid)?;
            match entry {
                PidEntry::Stat => o.0 = format_stat(&task_stat(k, t, whole)).into_bytes(),
                PidEntry::Status => status(k, t, &mut o),
                PidEntry::Statm => {
                    let v = task_mm(k, t).map(|mm| vm_stats(k, mm)).unwrap_or_default();
                    let _ = writeln!(o, "{} {} 0 {} 0 {} 0", v.total, v.rss, v.exec, v.data + v.stack);
                }
                PidEntry::Cmdline => {
                    if has_resources(t) {
                        o.0 = t.cmdline.clone();
                    }
                }
                PidEntry::Comm => {
                    o.0 = t.comm.clone();
                    o.0.push(b'\n');
                }
                PidEntry::Maps => {
                    if let Some(mm) = task_mm(k, t) {
                        maps(k, mm, &mut o.0);
                    }
                }
                PidEntry::Limits => limits(k, t, &mut o),
                PidEntry::Mounts => o.0 = b"rootfs / rootfs rw 0 0\nproc /proc proc rw,relatime 0 0\n".to_vec(),
                PidEntry::Auxv => {
                    if let Some(mm) = task_mm(k, t) {
                        o.0 = mm.saved_auxv.iter().flat_map(|w| w.to_le_bytes()).collect();
                    }
                }
                PidEntry::Personality => {
                    let _ = writeln!(o, "{:08x}", t.personality);
                }
                PidEntry::Pagemap => {}
                _ => return Err(EISDIR),
            }
        }
        _ => return Err(EISDIR),
    }
    Ok(o.0)
}

/// A byte buffer `write!` can format into.
struct Out(Vec<u8>);

impl core::fmt::Write for Out {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// CPU time used by every process so far, user and system, in ns: the
/// tasks not yet released, and what their processes were credited for
/// children reaped (Linux sums the per-CPU kernel_cpustat instead).
fn cpu_time_ns(k: &Kernel) -> (u64, u64) {
    let mut user: u64 = k.tasks.values().filter(|t| t.state != TaskState::Dead).map(|t| t.utime_ns).sum();
    let mut system: u64 = k.tasks.values().filter(|t| t.state != TaskState::Dead).map(|t| t.stime_ns).sum();
    for (_, s) in k.signals.iter() {
        user += s.cutime_ns;
        system += s.cstime_ns;
    }
    (user, system)
}

/// /proc/stat (Linux: fs/proc/stat.c show_stat()), for one CPU.
fn proc_stat(k: &Kernel, o: &mut Out) {
    let up = k.now_ns();
    let (user, system) = cpu_time_ns(k);
    let idle = up.saturating_sub(user + system);
    let (u, s, i) = (user / NS_PER_TICK, system / NS_PER_TICK, idle / NS_PER_TICK);
    let _ = writeln!(o, "cpu  {u} 0 {s} {i} 0 0 0 0 0 0");
    let _ = writeln!(o, "cpu0 {u} 0 {s} {i} 0 0 0 0 0 0");
    // The timer is IRQ 0, the only interrupt Tine counts.
    let _ = writeln!(o, "intr {} {}", k.ticks, k.ticks);
    let _ = writeln!(o, "ctxt 0");
    let _ = writeln!(o, "btime {}", k.m.clock.boot_epoch_ns() / 1_000_000_000);
    let _ = writeln!(o, "processes {}", k.forks);
    let running = k.tasks.values().filter(|t| t.state == TaskState::Runnable).count();
    let _ = writeln!(o, "procs_running {running}");
    let _ = writeln!(o, "procs_blocked 0");
    let _ = writeln!(o, "softirq 0 0 0 0 0 0 0 0 0 0 0");
}

/// /proc/cpuinfo, from what CPUID leaf 1 EDX said (Linux: show_cpuinfo(),
/// the x86_cap_flags names of word 0).
fn cpuinfo(k: &Kernel, o: &mut Out) {
    const EDX: [&str; 32] = [
        "fpu", "vme", "de", "pse", "tsc", "msr", "pae", "mce", "cx8", "apic", "", "sep", "mtrr", "pge", "mca", "cmov",
        "pat", "pse36", "pn", "clflush", "", "dts", "acpi", "mmx", "fxsr", "sse", "sse2", "ss", "ht", "tm", "ia64",
        "pbe",
    ];
    let flags: Vec<&str> = (0..32).filter(|b| k.hwcap & (1 << b) != 0 && !EDX[*b].is_empty()).map(|b| EDX[b]).collect();
    let _ = write!(
        o,
        "processor\t: 0\nphysical id\t: 0\nsiblings\t: 1\ncore id\t\t: 0\ncpu cores\t: 1\nflags\t\t: {}\n\n",
        flags.join(" ")
    );
}

// ---- /proc/meminfo --------------------------------------------------------

/// What /proc/meminfo reports, in kB.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemInfo {
    pub total: u64,
    pub free: u64,
    pub available: u64,
    pub cached: u64,
    pub anon: u64,
    pub kernel_stack: u64,
    pub page_tables: u64,
    pub committed: u64,
    pub commit_limit: u64,
}

/// Memory accounting from the frame allocator (Linux: si_meminfo() and
/// the vmstat counters). Every frame is either free, a page table, a page
/// of the page cache, the zero frame or process memory.
fn mem_info(k: &Kernel) -> MemInfo {
    let st = k.frames.stats();
    let kb = |pages: u64| pages * 4;
    let page_tables: u64 = k.mms.iter().map(|(_, mm)| mm.table_frames(k.m.mem) as u64).sum();
    let cached = k.pagecache.frames_held() as u64;
    let used = st.total.saturating_sub(st.free) as u64;
    let anon = used.saturating_sub(page_tables + cached + 1);
    let committed = k.frames.commit.committed();
    let commit_limit = k.frames.commit.limit(st.total as u64);
    let tasks = k.tasks.values().filter(|t| t.state != TaskState::Dead).count() as u64;
    MemInfo {
        total: kb(st.total as u64),
        free: kb(st.free as u64),
        available: kb(st.free as u64),
        cached: kb(cached),
        anon: kb(anon),
        kernel_stack: tasks * (crate::proc::kstack::KSTACK_BYTES as u64 / 1024),
        page_tables: kb(page_tables),
        committed: kb(committed),
        commit_limit: kb(commit_limit),
    }
}

/// The text of /proc/meminfo, in Linux's order (fs/proc/meminfo.c),
/// without the lines of features Tine lacks (swap caches, huge pages).
pub fn format_meminfo(m: &MemInfo) -> String {
    let rows: [(&str, u64); 36] = [
        ("MemTotal:", m.total),
        ("MemFree:", m.free),
        ("MemAvailable:", m.available),
        ("Buffers:", 0),
        ("Cached:", m.cached),
        ("SwapCached:", 0),
        ("Active:", m.anon + m.cached),
        ("Inactive:", 0),
        ("Active(anon):", m.anon),
        ("Inactive(anon):", 0),
        ("Active(file):", m.cached),
        ("Inactive(file):", 0),
        ("Unevictable:", 0),
        ("Mlocked:", 0),
        ("SwapTotal:", 0),
        ("SwapFree:", 0),
        ("Dirty:", 0),
        ("Writeback:", 0),
        ("AnonPages:", m.anon),
        ("Mapped:", m.cached),
        ("Shmem:", 0),
        ("KReclaimable:", 0),
        ("Slab:", 0),
        ("SReclaimable:", 0),
        ("SUnreclaim:", 0),
        ("KernelStack:", m.kernel_stack),
        ("PageTables:", m.page_tables),
        ("SecPageTables:", 0),
        ("NFS_Unstable:", 0),
        ("Bounce:", 0),
        ("WritebackTmp:", 0),
        // Linux: vm_commit_limit() with overcommit_ratio 50 and no swap.
        ("CommitLimit:", m.commit_limit),
        ("Committed_AS:", m.committed),
        ("VmallocTotal:", 34_359_738_367),
        ("VmallocUsed:", 0),
        ("VmallocChunk:", 0),
    ];
    let mut s = String::new();
    for (label, kb) in rows {
        // Linux: show_val_kb(): a 16-column label, the value in 8 columns.
        let _ = writeln!(s, "{label:<16}{kb:>8} kB");
    }
    s
}

// ---- /proc/<pid>/stat -----------------------------------------------------

/// The fields of /proc/<pid>/stat (Linux: do_task_stat()). Times are in
/// clock ticks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TaskStat {
    pub pid: Pid,
    pub comm: Vec<u8>,
    pub state: u8,
    pub ppid: Pid,
    pub pgrp: Pid,
    pub session: Pid,
    pub flags: u64,
    pub minflt: u64,
    pub cminflt: u64,
    pub utime: u64,
    pub stime: u64,
    pub cutime: u64,
    pub cstime: u64,
    pub num_threads: u64,
    pub starttime: u64,
    pub vsize: u64,
    pub rss: u64,
    pub rsslim: u64,
    pub start_code: u64,
    pub end_code: u64,
    pub signal: u64,
    pub blocked: u64,
    pub sigignore: u64,
    pub sigcatch: u64,
    pub wchan: u64,
    pub exit_signal: i64,
    pub start_brk: u64,
    pub exit_code: i64,
}

/// Linux: PF_EXITING and PF_FORKNOEXEC.
const PF_EXITING: u64 = 0x4;
const PF_FORKNOEXEC: u64 = 0x40;

fn task_stat(k: &Kernel, t: &Task, whole: bool) -> TaskStat {
    let sig = k.signals.get(t.signal);
    let hand = k.sighands.get(t.sighand);
    let (ign, catch) = ign_catch(&hand.action);
    let (utime, stime) = if whole {
        // Every thread's, exited ones included (Linux: do_task_stat()
        // with thread_group_cputime_adjusted()).
        k.process_cputime(t.signal)
    } else {
        k.thread_cputime(t.tid)
    };
    let mm = task_mm(k, t);
    let exec = mm.and_then(|mm| mm.vmas().find(|v| v.prot.contains(Prot::EXEC)).copied());
    let mut flags = 0;
    if !t.did_exec {
        flags |= PF_FORKNOEXEC;
    }
    if !has_resources(t) {
        flags |= PF_EXITING;
    }
    TaskStat {
        pid: t.tid,
        comm: t.comm.clone(),
        state: state_name(t).as_bytes()[0],
        ppid: ppid_of(k, t),
        pgrp: sig.pgid,
        session: sig.sid,
        flags,
        minflt: if whole { sig.min_flt } else { t.min_flt },
        cminflt: sig.cmin_flt,
        utime: utime / NS_PER_TICK,
        stime: stime / NS_PER_TICK,
        cutime: sig.cutime_ns / NS_PER_TICK,
        cstime: sig.cstime_ns / NS_PER_TICK,
        num_threads: threads_of(k, t.tgid).count() as u64,
        starttime: t.start_ns / NS_PER_TICK,
        vsize: mm.map_or(0, |mm| mm.vmas().map(|v| v.size()).sum()),
        rss: mm.map_or(0, |mm| mm.resident_pages() as u64),
        rsslim: sig.rlimits[5].cur,
        start_code: exec.map_or(0, |v| v.start),
        end_code: exec.map_or(0, |v| v.end),
        signal: t.sigpending.bits() & 0x7fff_ffff,
        blocked: t.sigmask.bits() & 0x7fff_ffff,
        sigignore: ign & 0x7fff_ffff,
        sigcatch: catch & 0x7fff_ffff,
        wchan: (t.state != TaskState::Runnable) as u64,
        exit_signal: if t.is_leader() { t.exit_signal as i64 } else { -1 },
        start_brk: mm.map_or(0, |mm| mm.start_brk()),
        exit_code: if has_resources(t) { 0 } else { t.exit_code as i64 },
    }
}

/// The ignored and caught signal sets (Linux: collect_sigign_sigcatch()).
fn ign_catch(actions: &[crate::proc::SigAction; 64]) -> (u64, u64) {
    let (mut ign, mut catch) = (0, 0);
    for (i, a) in actions.iter().enumerate() {
        if a.handler == SIG_IGN {
            ign |= 1 << i;
        } else if a.handler != SIG_DFL {
            catch |= 1 << i;
        }
    }
    (ign, catch)
}

/// The 52 fields of a stat line, in Linux's order and format.
pub fn format_stat(s: &TaskStat) -> String {
    let mut o = String::new();
    let _ = write!(o, "{} (", s.pid);
    o.push_str(&String::from_utf8_lossy(&s.comm));
    let _ = write!(o, ") {} {} {} {}", s.state as char, s.ppid, s.pgrp, s.session);
    // tty_nr, tpgid (no controlling terminal), flags, minflt, cminflt,
    // majflt, cmajflt (no fault here waits for a disk).
    let _ = write!(o, " 0 -1 {} {} {} 0 0", s.flags, s.minflt, s.cminflt);
    let _ = write!(o, " {} {} {} {}", s.utime, s.stime, s.cutime, s.cstime);
    // priority, nice (Linux: task_prio() of a SCHED_NORMAL nice-0 task is 20).
    let _ = write!(o, " 20 0 {} 0 {} {} {} {}", s.num_threads, s.starttime, s.vsize, s.rss, s.rsslim);
    // startcode endcode startstack kstkesp kstkeip.
    let _ = write!(o, " {} {} 0 0 0", s.start_code, s.end_code);
    let _ = write!(o, " {} {} {} {} {}", s.signal, s.blocked, s.sigignore, s.sigcatch, s.wchan);
    // nswap cnswap exit_signal processor rt_priority policy
    // delayacct_blkio_ticks guest_time cguest_time.
    let _ = write!(o, " 0 0 {} 0 0 0 0 0 0", s.exit_signal);
    // start_data end_data start_brk arg_start arg_end env_start env_end.
    let _ = write!(o, " 0 0 {} 0 0 0 0", s.start_brk);
    let _ = writeln!(o, " {}", s.exit_code);
    o
}

// ---- /proc/<pid>/status ---------------------------------------------------

/// Page counts of an address space (Linux: mm->total_vm, data_vm,
/// stack_vm, exec_vm and the RSS counters).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VmStats {
    pub total: u64,
    pub rss: u64,
    pub data: u64,
    pub stack: u64,
    pub exec: u64,
    pub pte_kb: u64,
    /// Pages of locked mappings (mlock): VmLck.
    pub locked: u64,
    /// The most pages ever resident: VmHWM.
    pub hwm: u64,
}

fn vm_stats(k: &Kernel, mm: &AddressSpace) -> VmStats {
    let mut v = VmStats {
        rss: mm.resident_pages() as u64,
        locked: mm.locked_pages(),
        hwm: mm.hiwater_pages() as u64,
        ..VmStats::default()
    };
    for vma in mm.vmas() {
        let pages = vma.size() / 4096;
        v.total += pages;
        let stack = vma.flags.contains(VmFlags::GROWSDOWN);
        let write = vma.prot.contains(Prot::WRITE);
        if stack {
            v.stack += pages;
        } else if write && !vma.is_shared() {
            v.data += pages;
        } else if vma.prot.contains(Prot::EXEC) && !write {
            v.exec += pages;
        }
    }
    v.pte_kb = mm.table_frames(k.m.mem) as u64 * 4;
    v
}

/// The Vm lines of a status file (Linux: task_mem()).
pub fn format_vm(o: &mut String, v: &VmStats) {
    let kb = |pages: u64| pages * 4;
    let rows: [(&str, u64); 16] = [
        ("VmPeak", kb(v.total)),
        ("VmSize", kb(v.total)),
        ("VmLck", kb(v.locked)),
        ("VmPin", 0),
        ("VmHWM", kb(v.hwm.max(v.rss))),
        ("VmRSS", kb(v.rss)),
        ("RssAnon", kb(v.rss)),
        ("RssFile", 0),
        ("RssShmem", 0),
        ("VmData", kb(v.data)),
        ("VmStk", kb(v.stack)),
        ("VmExe", kb(v.exec)),
        ("VmLib", 0),
        ("VmPTE", v.pte_kb),
        ("VmSwap", 0),
        ("HugetlbPages", 0),
    ];
    for (name, val) in rows {
        let _ = writeln!(o, "{name}:\t{val:>8} kB");
    }
}

/// Linux: proc_task_name() with escaping: `\` and newline are escaped.
fn escaped_name(comm: &[u8]) -> String {
    let mut s = String::new();
    for &c in comm {
        match c {
            b'\\' => s.push_str("\\\\"),
            b'\n' => s.push_str("\\n"),
            c => s.push(c as char),
        }
    }
    s
}

/// Linux: the FDSize of a table with `slots` slots: 64 at first, then
/// grown in powers of two times 128 descriptors (alloc_fdtable()).
pub fn fd_size(slots: usize) -> usize {
    if slots <= 64 {
        return 64;
    }
    let nr = slots - 1;
    128 * (nr / 128 + 1).next_power_of_two()
}

/// /proc/<pid>/status (Linux: proc_pid_status()).
fn status(k: &Kernel, t: &Task, out: &mut Out) {
    let mut o = String::new();
    let sig = k.signals.get(t.signal);
    let c = t.cred;
    let _ = writeln!(o, "Name:\t{}", escaped_name(&t.comm));
    if has_resources(t) {
        let _ = writeln!(o, "Umask:\t{:04o}", k.fs_structs.get(t.fs).umask);
    }
    let _ = writeln!(o, "State:\t{}", state_name(t));
    let _ = writeln!(o, "Tgid:\t{}\nNgid:\t0\nPid:\t{}\nPPid:\t{}\nTracerPid:\t0", t.tgid, t.tid, ppid_of(k, t));
    let _ = writeln!(o, "Uid:\t{}\t{}\t{}\t{}", c.uid, c.euid, c.suid, c.fsuid);
    let _ = writeln!(o, "Gid:\t{}\t{}\t{}\t{}", c.gid, c.egid, c.sgid, c.fsgid);
    let fds = if has_resources(t) { fd_size(k.fdtables.get(t.files).slots()) } else { 0 };
    let groups: Vec<String> = t.groups.iter().map(|g| format!("{g}")).collect();
    // Linux keeps a trailing space after the list, even an empty one.
    let _ = writeln!(o, "FDSize:\t{fds}\nGroups:\t{} ", groups.join(" "));
    let _ =
        writeln!(o, "NStgid:\t{}\nNSpid:\t{}\nNSpgid:\t{}\nNSsid:\t{}\nKthread:\t0", t.tgid, t.tid, sig.pgid, sig.sid);
    if let Some(mm) = task_mm(k, t) {
        format_vm(&mut o, &vm_stats(k, mm));
        let _ = writeln!(o, "CoreDumping:\t0\nTHP_enabled:\t0\nuntag_mask:\t{:#x}", u64::MAX);
    }
    let threads = threads_of(k, t.tgid).count();
    let queued = (t.sigpending.bits().count_ones() + sig.shared_pending.bits().count_ones()) as u64;
    let _ = writeln!(o, "Threads:\t{threads}\nSigQ:\t{queued}/{}", sig.rlimits[11].cur);
    let (ign, catch) = ign_catch(&k.sighands.get(t.sighand).action);
    for (name, set) in [
        ("SigPnd", t.sigpending.bits()),
        ("ShdPnd", sig.shared_pending.bits()),
        ("SigBlk", t.sigmask.bits()),
        ("SigIgn", ign),
        ("SigCgt", catch),
    ] {
        let _ = writeln!(o, "{name}:\t{set:016x}");
    }
    let caps = c.caps;
    let _ = writeln!(
        o,
        "CapInh:\t{:016x}\nCapPrm:\t{:016x}\nCapEff:\t{:016x}",
        caps.inheritable, caps.permitted, caps.effective
    );
    let _ = writeln!(o, "CapBnd:\t{:016x}\nCapAmb:\t{:016x}", caps.bset, caps.ambient);
    let _ = writeln!(o, "NoNewPrivs:\t0\nSeccomp:\t0\nSeccomp_filters:\t0");
    let _ = writeln!(o, "Speculation_Store_Bypass:\tunknown\nSpeculationIndirectBranch:\tunsupported");
    let _ = writeln!(o, "Cpus_allowed:\t1\nCpus_allowed_list:\t0");
    // MAX_NUMNODES = 1024 (CONFIG_NODES_SHIFT=10, as distribution kernels).
    let _ = write!(o, "Mems_allowed:\t");
    for _ in 0..31 {
        o.push_str("00000000,");
    }
    let _ = writeln!(o, "00000001\nMems_allowed_list:\t0");
    let _ = writeln!(o, "voluntary_ctxt_switches:\t{}\nnonvoluntary_ctxt_switches:\t{}", t.nvcsw, t.nivcsw);
    out.0 = o.into_bytes();
}

// ---- /proc/<pid>/maps and limits -------------------------------------------

/// One line of a maps file (Linux: show_map_vma()): the name, if any,
/// starts in column 73.
#[allow(clippy::too_many_arguments)]
pub fn format_maps_line(
    out: &mut Vec<u8>,
    start: u64,
    end: u64,
    perms: &str,
    pgoff: u64,
    dev: (u32, u32),
    ino: u64,
    name: Option<&[u8]>,
) {
    let line_start = out.len();
    let mut o = Out(core::mem::take(out));
    let _ = write!(o, "{start:08x}-{end:08x} {perms} {pgoff:08x} {:02x}:{:02x} {ino} ", dev.0, dev.1);
    *out = o.0;
    if let Some(name) = name {
        let used = out.len() - line_start;
        let pad = 72usize.saturating_sub(used);
        out.resize(out.len() + pad, b' ');
        out.push(b' ');
        out.extend_from_slice(name);
    }
    out.push(b'\n');
}

fn maps(k: &Kernel, mm: &AddressSpace, out: &mut Vec<u8>) {
    let (start_brk, brk) = (mm.start_brk(), mm.current_brk());
    for v in mm.vmas() {
        let perms: String = [
            if v.prot.contains(Prot::READ) { 'r' } else { '-' },
            if v.prot.contains(Prot::WRITE) { 'w' } else { '-' },
            if v.prot.contains(Prot::EXEC) { 'x' } else { '-' },
            if v.is_shared() { 's' } else { 'p' },
        ]
        .iter()
        .collect();
        let (pgoff, dev, ino, name): (u64, (u32, u32), u64, Option<Vec<u8>>) = match v.file {
            Some(f) if f.ino >= crate::fs::pagecache::SHMEM_KEY_BASE => {
                // Linux backs shared anonymous memory with an unlinked
                // shmem file named /dev/zero.
                (f.pgoff, (0, 1), f.ino - crate::fs::pagecache::SHMEM_KEY_BASE, Some(b"/dev/zero (deleted)".to_vec()))
            }
            Some(f) => (f.pgoff, (dev_major(RAMFS_DEV), dev_minor(RAMFS_DEV)), f.ino, Some(inode_path(k, f.ino))),
            None if v.flags.contains(VmFlags::GROWSDOWN) => (0, (0, 0), 0, Some(b"[stack]".to_vec())),
            None if start_brk != 0 && v.start <= brk && v.end >= start_brk => (0, (0, 0), 0, Some(b"[heap]".to_vec())),
            None => (0, (0, 0), 0, None),
        };
        format_maps_line(out, v.start, v.end, &perms, pgoff * 4096, dev, ino, name.as_deref());
    }
}

/// /proc/<pid>/limits (Linux: proc_pid_limits()).
fn limits(k: &Kernel, t: &Task, o: &mut Out) {
    const NAMES: [(&str, &str); 16] = [
        ("Max cpu time", "seconds"),
        ("Max file size", "bytes"),
        ("Max data size", "bytes"),
        ("Max stack size", "bytes"),
        ("Max core file size", "bytes"),
        ("Max resident set", "bytes"),
        ("Max processes", "processes"),
        ("Max open files", "files"),
        ("Max locked memory", "bytes"),
        ("Max address space", "bytes"),
        ("Max file locks", "locks"),
        ("Max pending signals", "signals"),
        ("Max msgqueue size", "bytes"),
        ("Max nice priority", ""),
        ("Max realtime priority", ""),
        ("Max realtime timeout", "us"),
    ];
    let _ = writeln!(o, "{:<25} {:<20} {:<20} {:<10}", "Limit", "Soft Limit", "Hard Limit", "Units");
    let rl = &k.signals.get(t.signal).rlimits;
    let show = |v: u64| if v == RLIM_INFINITY { String::from("unlimited") } else { format!("{v}") };
    for (i, (name, unit)) in NAMES.iter().enumerate() {
        let _ = write!(o, "{:<25} {:<20} {:<20} ", name, show(rl[i].cur), show(rl[i].max));
        if unit.is_empty() {
            let _ = writeln!(o);
        } else {
            let _ = writeln!(o, "{unit:<10}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;
    use std::vec;

    #[test]
    fn stat_line_has_52_fields() {
        let s =
            TaskStat { pid: 7, comm: b"a b) c".to_vec(), state: b'R', ppid: 1, exit_signal: 17, ..TaskStat::default() };
        let line = format_stat(&s);
        assert!(line.ends_with('\n'));
        assert!(line.starts_with("7 (a b) c) R 1 "));
        // After the last ')', 50 fields follow pid and comm.
        let rest = &line[line.rfind(')').unwrap() + 2..line.len() - 1];
        assert_eq!(rest.split(' ').count(), 50, "{line}");
        let fields: Vec<&str> = rest.split(' ').collect();
        assert_eq!(fields[0], "R");
        assert_eq!(fields[5], "-1", "tpgid");
        assert_eq!(fields[35], "17", "exit_signal is field 38");
    }

    #[test]
    fn meminfo_lines_follow_linux_format() {
        let m = MemInfo { total: 1_234_567, free: 1000, available: 1000, ..MemInfo::default() };
        let text = format_meminfo(&m);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "MemTotal:        1234567 kB");
        assert_eq!(lines[1], "MemFree:            1000 kB");
        assert_eq!(lines[2], "MemAvailable:       1000 kB");
        assert!(lines.contains(&"SwapTotal:             0 kB"));
        assert!(lines.contains(&"VmallocTotal:   34359738367 kB"));
        for l in lines {
            assert!(l.ends_with(" kB") && l.find(':').unwrap() < 16, "{l}");
        }
    }

    #[test]
    fn maps_lines_pad_names_to_column_73() {
        let mut out = Vec::new();
        format_maps_line(&mut out, 0x400000, 0x401000, "r-xp", 0, (0, 0), 0, None);
        format_maps_line(&mut out, 0x5579830c4000, 0x5579830e5000, "rw-p", 0, (0, 0), 0, Some(b"[heap]"));
        format_maps_line(&mut out, 0x5579564eb000, 0x5579564ed000, "r--p", 0, (0xfe, 0), 247030, Some(b"/usr/bin/cat"));
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.split_inclusive('\n').collect();
        assert_eq!(lines[0], "00400000-00401000 r-xp 00000000 00:00 0 \n");
        assert_eq!(lines[1], "5579830c4000-5579830e5000 rw-p 00000000 00:00 0                          [heap]\n");
        assert_eq!(lines[2], "5579564eb000-5579564ed000 r--p 00000000 fe:00 247030                     /usr/bin/cat\n");
    }

    #[test]
    fn dointvec_parses_like_linux() {
        assert_eq!(parse_dointvec(b"12345\n"), Ok((12345, 6)));
        assert_eq!(parse_dointvec(b"  42"), Ok((42, 4)));
        assert_eq!(parse_dointvec(b"0x8000"), Ok((32768, 6)));
        assert_eq!(parse_dointvec(b"010"), Ok((8, 3)));
        assert_eq!(parse_dointvec(b"-5\n"), Ok((-5, 3)));
        // A second value is left unconsumed.
        assert_eq!(parse_dointvec(b"32768 1"), Ok((32768, 6)));
        for bad in [&b""[..], b" ", b"\n", b"abc", b"12345x", b"-", b"2147483648", b"99999999999999999999999", b"0x"] {
            assert_eq!(parse_dointvec(bad), Err(EINVAL), "{:?}", core::str::from_utf8(bad));
        }
        assert_eq!(parse_dointvec(b"-2147483648"), Ok((i32::MIN, 11)));
    }

    #[test]
    fn fd_size_grows_like_linux() {
        assert_eq!(fd_size(0), 64);
        assert_eq!(fd_size(64), 64);
        assert_eq!(fd_size(65), 128);
        assert_eq!(fd_size(128), 128);
        assert_eq!(fd_size(256), 256);
        assert_eq!(fd_size(257), 512);
    }

    #[test]
    fn vm_lines_are_right_aligned() {
        let mut s = String::new();
        format_vm(&mut s, &VmStats { total: 3, rss: 2, ..VmStats::default() });
        assert!(s.starts_with("VmPeak:\t      12 kB\nVmSize:\t      12 kB\nVmLck:\t       0 kB\n"), "{s}");
        assert!(s.contains("VmRSS:\t       8 kB\n"));
    }

    /// A kernel with no task yet, on simulated memory.
    fn bare_kernel(frames: usize) -> Kernel {
        use crate::machine::{Clock, Console, Log, Machine};
        use crate::mm::sim::{SimMem, SimMmu};
        struct Dev;
        impl Console for Dev {
            fn write(&self, _: &[u8]) {}
            fn read(&self, _: &mut [u8]) -> usize {
                0
            }
        }
        impl Clock for Dev {
            fn monotonic_ns(&self) -> u64 {
                12_340_000_000
            }
            fn boot_epoch_ns(&self) -> u64 {
                1_700_000_000_000_000_000
            }
        }
        impl Log for Dev {
            fn log(&self, _: core::fmt::Arguments) {}
        }
        let mem: &'static SimMem = std::boxed::Box::leak(std::boxed::Box::new(SimMem::new(frames)));
        let mmu: &'static SimMmu = std::boxed::Box::leak(std::boxed::Box::new(SimMmu::default()));
        let m = Machine { mem, mmu, console: &Dev, clock: &Dev, log: &Dev, fpu: &crate::machine::FpuSaved };
        Kernel::new(m, &[(4096, frames as u64 * 4096)], 0, crate::kernel::StdioMode::Pipe, 1, 0)
    }

    #[test]
    fn global_files_from_the_kernel_state() {
        let mut k = bare_kernel(64);
        let text = |k: &Kernel, g| String::from_utf8(generate(k, Node::Global(g)).unwrap()).unwrap();
        let mem = text(&k, Global::Meminfo);
        // 63 frames managed, one of them the zero frame.
        assert!(mem.starts_with("MemTotal:            252 kB\nMemFree:             248 kB\n"), "{mem}");
        let f = k.frames.alloc().unwrap();
        assert!(text(&k, Global::Meminfo).contains("MemFree:             244 kB\n"), "live");
        k.frames.put(f);
        assert_eq!(text(&k, Global::Meminfo), mem, "back to the same text");
        assert_eq!(text(&k, Global::Uptime), "12.34 12.34\n");
        assert_eq!(text(&k, Global::Loadavg), "0.00 0.00 0.00 0/0 0\n");
        let st = text(&k, Global::Stat);
        assert!(st.starts_with("cpu  0 0 0 1234 0 0 0 0 0 0\ncpu0 "), "{st}");
        assert!(st.contains("\nbtime 1700000000\nprocesses 0\n"), "{st}");
        assert!(text(&k, Global::Cpuinfo).contains("flags\t\t: fpu\n"));
        let pid_max = generate(&k, Node::Sysctl(Sysctl::PidMax)).unwrap();
        assert_eq!(pid_max, b"32768\n");
        assert_eq!(stat(&k, Node::Root).st_mode, S_IFDIR | 0o555);
    }

    #[test]
    fn paths_land_in_proc_lexically() {
        let comps = |p: Option<ProcPath>| {
            p.map(|p| {
                (p.comps.iter().map(|c| String::from_utf8(c.clone()).unwrap()).collect::<Vec<_>>(), p.trailing_slash)
            })
        };
        let v = |xs: &[&str]| xs.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(comps(join(b"", b"/proc/self/stat")), Some((v(&["self", "stat"]), false)));
        assert_eq!(comps(join(b"/", b"proc")), Some((v(&[]), false)));
        assert_eq!(comps(join(b"/tmp/x", b"../../proc/./1/")), Some((v(&["1"]), true)));
        assert_eq!(comps(join(b"/proc/1", b"..")), Some((v(&[]), true)));
        assert_eq!(comps(join(b"/proc", b"../tmp")), None);
        assert_eq!(comps(join(b"", b"/procfs/x")), None);
        assert_eq!(comps(join(b"", b"//proc//meminfo")), Some((v(&["meminfo"]), false)));
    }

    #[test]
    fn pid_names_as_linux_reads_them() {
        assert_eq!(parse_num(b"1"), Some(1));
        assert_eq!(parse_num(b"32768"), Some(32768));
        assert_eq!(parse_num(b"01"), None);
        assert_eq!(parse_num(b"1a"), None);
        assert_eq!(parse_num(b""), None);
        assert_eq!(parse_num(b"99999999999"), None);
    }

    #[test]
    fn names_are_escaped_in_status() {
        assert_eq!(escaped_name(b"a\nb\\c"), "a\\nb\\\\c".to_string());
        assert_eq!(vec![escaped_name(b"sh")], vec!["sh".to_string()]);
    }
}
