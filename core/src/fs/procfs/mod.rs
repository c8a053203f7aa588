//! The proc file system (Linux: fs/proc/): directories and files whose
//! contents the kernel makes up from its own state when they are read.
//!
//! # How /proc is reached
//!
//! proc is mounted like any file system (at boot on `/proc`, and wherever
//! mount(2) puts another instance), but it stores nothing: a proc mount's
//! root in the mount table ([`super::mount`]) is the RAM file system
//! directory it covers. Each proc mount answers the questions of the one
//! path walk (`fs::namei`) about its nodes (`walk`), and the path calls of
//! the syscall layer ask [`resolve`] whether a path's walk, from its real
//! start, goes through a proc mount. If it does, this module opens or
//! describes what it found (`open`, the `stat` family, `access`,
//! `readlink`, `chdir`); if not, the RAM file system's own call does.
//!
//! # Files
//!
//! This file names the nodes and the tasks as /proc sees them; `base`
//! finds entries, follows links and gives attributes; `walk` is proc as
//! the walk's file system; `inode` opens, reads,
//! writes and lists; `contents` generates texts, with `meminfo`, `array`
//! (stat, status) and `task_mmu` (maps, limits) for the larger ones.
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
use crate::fs::mount::{FsType, MntFlags, MountId};
use crate::fs::namei::{Held, Path};
use crate::fs::ramfs::{FileType, Ino, Lookup, RAMFS_DEV};
use crate::kernel::Kernel;
use crate::mm::aspace::AddressSpace;
use crate::mm::vma::{Prot, VmFlags};
use crate::proc::{Pid, Task, TaskState, WaitReason};

mod array;
mod base;
mod cmdline;
mod contents;
pub(crate) mod fdinfo;
pub(crate) mod id_map;
mod inode;
mod meminfo;
mod task_mmu;
#[cfg(test)]
mod tests;
mod walk;

pub use array::*;
pub use base::*;
use contents::*;
use fdinfo::*;
pub use inode::*;
pub use meminfo::*;
pub use task_mmu::*;
pub use walk::{resolve, Found};

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
/// Set in the inode numbers of fdinfo files, which otherwise share their
/// descriptor's code with fd/ links: above the bits of the TID.
const FDINFO_INO_BIT: u64 = 1 << 47;
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

/// /proc/version, and the first line of the kernel log (Linux:
/// `linux_proc_banner` and `linux_banner`).
pub fn banner() -> alloc::string::String {
    alloc::format!("{OSTYPE} version {OSRELEASE} (tine@tine) (rustc) {UTS_VERSION}")
}

// ---------------------------------------------------------------------------
// Nodes

/// Files directly in /proc.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Global {
    Meminfo,
    Uptime,
    Loadavg,
    Stat,
    Vmstat,
    Filesystems,
    Cpuinfo,
    Version,
}

/// Files in /proc/sysvipc: one line per object, under a header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sysvipc {
    Msg,
    Sem,
    Shm,
}

const SYSVIPC_ENTRIES: [(&[u8], Sysvipc); 3] = [(b"msg", Sysvipc::Msg), (b"sem", Sysvipc::Sem), (b"shm", Sysvipc::Shm)];

/// Files in /proc/sys/kernel (Linux: kernel/sysctl.c's kern_table).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sysctl {
    PidMax,
    /// The last PID handed out in the reader's PID namespace.
    NsLastPid,
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
    /// Whether reading the kernel log needs CAP_SYSLOG (see `log`).
    DmesgRestrict,
    /// Why the kernel is not pristine: a bit mask, 0 here.
    Tainted,
    /// The hung-task detector's timeout (`proc::hung_task`).
    HungTaskTimeoutSecs,
    /// The console's log level and the three others (Linux:
    /// console_printk[4], see `log`).
    Printk,
    /// System V IPC limits (Linux: ipc/ipc_sysctl.c): the four semaphore
    /// limits, and the message queues' (`ipc::sem`, `ipc::msg`).
    Sem,
    Msgmax,
    Msgmnb,
    Msgmni,
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
    /// /proc/sys/fs/lease-break-time (`fs::lease`).
    LeaseBreakTime,
    /// /proc/sys/user/max_*_namespaces of the reader's user namespace
    /// (Linux: kernel/ucount.c's user_table; `ns::user`).
    MaxIpcNamespaces,
    MaxMntNamespaces,
    MaxPidNamespaces,
    MaxUserNamespaces,
    MaxUtsNamespaces,
}

impl Sysctl {
    /// The kind of namespace a /proc/sys/user file limits.
    pub(super) fn ucount(self) -> Option<crate::ns::user::Ucount> {
        use crate::ns::user::Ucount;
        Some(match self {
            Sysctl::MaxIpcNamespaces => Ucount::Ipc,
            Sysctl::MaxMntNamespaces => Ucount::Mnt,
            Sysctl::MaxPidNamespaces => Ucount::Pid,
            Sysctl::MaxUserNamespaces => Ucount::User,
            Sysctl::MaxUtsNamespaces => Ucount::Uts,
            _ => return None,
        })
    }

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
    /// `fdinfo/`: one file per open descriptor.
    FdInfo,
    Status,
    Limits,
    Comm,
    Cmdline,
    /// The environment strings in the process's memory (0400, opened
    /// only with the right to inspect it). Linux: environ_read().
    Environ,
    Stat,
    Statm,
    Maps,
    Cwd,
    Root,
    Exe,
    Mounts,
    /// The mounts with ids, parents and roots (Linux: show_mountinfo()).
    Mountinfo,
    /// The auxiliary vector exec gave the program (0400).
    Auxv,
    /// The execution domain, `%08x` (0400).
    Personality,
    /// One 64-bit word per virtual page: present, frame, file, shared
    /// (0400). Linux: pagemap_read().
    Pagemap,
    /// The process's memory at the file offset, read and written as a
    /// debugger does (0600; opened only with the right to ptrace it).
    /// Linux: mem_rw().
    Mem,
    /// `ns/`: one link per namespace kind.
    Ns,
    /// The id maps and setgroups policy of the task's user namespace
    /// (`id_map`).
    UidMap,
    GidMap,
    Setgroups,
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
    /// /proc/sys/user: the caller's user namespace's limits.
    SysUser,
    Sysctl(Sysctl),
    /// /proc/sysvipc, and its files (Linux: ipc/util.c's sysvipc_proc).
    SysvipcDir,
    Sysvipc(Sysvipc),
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
    /// fdinfo/<fd> in such a directory.
    FdInfo {
        tid: Pid,
        whole: bool,
        fd: i32,
    },
    /// ns/<kind> in such a directory: a link to the task's namespace.
    NsLink {
        tid: Pid,
        whole: bool,
        ty: crate::ns::NsType,
    },
    /// What an ns link leads to: the namespace itself (Linux: an nsfs
    /// inode; `setns` takes a descriptor open on one).
    NsFile(crate::ns::NsRef),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Dir,
    File,
    Link,
}

const ROOT_ENTRIES: [(&[u8], Node); 13] = [
    (b"sysvipc", Node::SysvipcDir),
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
    (b"vmstat", Node::Global(Global::Vmstat)),
];

const SYS_KERNEL_ENTRIES: [(&[u8], Sysctl); 17] = [
    (b"core_pattern", Sysctl::CorePattern),
    (b"core_uses_pid", Sysctl::CoreUsesPid),
    (b"dmesg_restrict", Sysctl::DmesgRestrict),
    (b"hung_task_timeout_secs", Sysctl::HungTaskTimeoutSecs),
    (b"msgmax", Sysctl::Msgmax),
    (b"msgmnb", Sysctl::Msgmnb),
    (b"msgmni", Sysctl::Msgmni),
    (b"ns_last_pid", Sysctl::NsLastPid),
    (b"osrelease", Sysctl::Osrelease),
    (b"ostype", Sysctl::Ostype),
    (b"pid_max", Sysctl::PidMax),
    (b"printk", Sysctl::Printk),
    (b"sem", Sysctl::Sem),
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

const SYS_FS_ENTRIES: [(&[u8], Sysctl); 4] = [
    (b"lease-break-time", Sysctl::LeaseBreakTime),
    (b"pipe-max-size", Sysctl::PipeMaxSize),
    (b"pipe-user-pages-hard", Sysctl::PipeUserPagesHard),
    (b"pipe-user-pages-soft", Sysctl::PipeUserPagesSoft),
];

const SYS_USER_ENTRIES: [(&[u8], Sysctl); 5] = [
    (b"max_ipc_namespaces", Sysctl::MaxIpcNamespaces),
    (b"max_mnt_namespaces", Sysctl::MaxMntNamespaces),
    (b"max_pid_namespaces", Sysctl::MaxPidNamespaces),
    (b"max_user_namespaces", Sysctl::MaxUserNamespaces),
    (b"max_uts_namespaces", Sysctl::MaxUtsNamespaces),
];

/// The directories of /proc/sys, in readdir order, with their sysctls.
type SysTable = &'static [(&'static [u8], Sysctl)];
const SYS_DIRS: [(&[u8], Node, SysTable); 4] = [
    (b"fs", Node::SysFs, &SYS_FS_ENTRIES),
    (b"kernel", Node::SysKernel, &SYS_KERNEL_ENTRIES),
    (b"user", Node::SysUser, &SYS_USER_ENTRIES),
    (b"vm", Node::SysVm, &SYS_VM_ENTRIES),
];

/// The sysctls of /proc/sys directory `dir` (None for other nodes).
fn sys_table(dir: Node) -> Option<SysTable> {
    SYS_DIRS.iter().find(|&&(_, d, _)| d == dir).map(|&(_, _, t)| t)
}

/// The entries of a process directory, in Linux's order; `task` only in
/// a process's directory, not in a thread's.
const PID_ENTRIES: [(&[u8], PidEntry); 24] = [
    (b"task", PidEntry::Task),
    (b"fd", PidEntry::Fd),
    (b"fdinfo", PidEntry::FdInfo),
    (b"environ", PidEntry::Environ),
    (b"auxv", PidEntry::Auxv),
    (b"status", PidEntry::Status),
    (b"personality", PidEntry::Personality),
    (b"limits", PidEntry::Limits),
    (b"comm", PidEntry::Comm),
    (b"cmdline", PidEntry::Cmdline),
    (b"stat", PidEntry::Stat),
    (b"statm", PidEntry::Statm),
    (b"maps", PidEntry::Maps),
    (b"mem", PidEntry::Mem),
    (b"cwd", PidEntry::Cwd),
    (b"root", PidEntry::Root),
    (b"exe", PidEntry::Exe),
    (b"mounts", PidEntry::Mounts),
    (b"mountinfo", PidEntry::Mountinfo),
    (b"pagemap", PidEntry::Pagemap),
    (b"ns", PidEntry::Ns),
    (b"uid_map", PidEntry::UidMap),
    (b"gid_map", PidEntry::GidMap),
    (b"setgroups", PidEntry::Setgroups),
];

impl Node {
    fn kind(self) -> Kind {
        match self {
            Node::Root
            | Node::SysDir
            | Node::SysFs
            | Node::SysKernel
            | Node::SysVm
            | Node::SysUser
            | Node::SysvipcDir
            | Node::PidDir { .. } => Kind::Dir,
            Node::Pid { entry: PidEntry::Task | PidEntry::Fd | PidEntry::FdInfo | PidEntry::Ns, .. } => Kind::Dir,
            Node::SelfLink | Node::ThreadSelf | Node::MountsLink | Node::Fd { .. } | Node::NsLink { .. } => Kind::Link,
            Node::NsFile(_) | Node::FdInfo { .. } => Kind::File,
            Node::Pid { entry: PidEntry::Cwd | PidEntry::Root | PidEntry::Exe, .. } => Kind::Link,
            Node::Global(_) | Node::Sysctl(_) | Node::Sysvipc(_) | Node::Pid { .. } => Kind::File,
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
            | Node::SysvipcDir
            | Node::NsFile(_)
            | Node::PidDir { whole: true, .. } => Node::Root,
            Node::Sysvipc(_) => Node::SysvipcDir,
            Node::SysKernel | Node::SysFs | Node::SysVm | Node::SysUser => Node::SysDir,
            Node::Sysctl(s) => s.place().0,
            Node::PidDir { tid, whole: false } => {
                Node::Pid { tid: tgid_of(k, tid), whole: true, entry: PidEntry::Task }
            }
            Node::Pid { tid, whole, .. } => Node::PidDir { tid, whole },
            Node::Fd { tid, whole, .. } => Node::Pid { tid, whole, entry: PidEntry::Fd },
            Node::FdInfo { tid, whole, .. } => Node::Pid { tid, whole, entry: PidEntry::FdInfo },
            Node::NsLink { tid, whole, .. } => Node::Pid { tid, whole, entry: PidEntry::Ns },
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
            Node::SysUser => fixed(27),
            Node::SysvipcDir => fixed(7),
            Node::Sysvipc(f) => fixed(29 + f as usize),
            Node::Global(g) => fixed(8 + g as usize),
            Node::Sysctl(s) => fixed(32 + s as usize),
            Node::PidDir { tid, whole } => per_pid(tid, whole, 0),
            Node::Pid { tid, whole, entry } => per_pid(tid, whole, entry_code(entry)),
            Node::Fd { tid, whole, fd } => per_pid(tid, whole, 64 + fd as u64),
            Node::FdInfo { tid, whole, fd } => per_pid(tid, whole, 64 + fd as u64) | FDINFO_INO_BIT,
            Node::NsLink { tid, whole, ty } => {
                per_pid(tid, whole, 40 + crate::ns::NsType::ENTRIES.iter().position(|e| e.1 == ty).unwrap_or(0) as u64)
            }
            // Linux: the namespace's own inode number (ns_common.inum).
            Node::NsFile(r) => r.inum as u64,
        }
    }

    /// The node whose [`ino`](Self::ino) is `ino`: every node but /proc
    /// itself and a namespace file has one number of its own, so that a
    /// place in proc can be kept (a cwd, a walk's nodes) as that number.
    /// `None` for a number no node has.
    pub(super) fn from_ino(ino: u64) -> Option<Node> {
        if ino & PID_INO_BASE == 0 {
            let fixed = ROOT_ENTRIES
                .iter()
                .map(|&(_, n)| n)
                .chain(SYS_DIRS.iter().map(|&(_, d, _)| d))
                .chain(SYS_DIRS.iter().flat_map(|&(_, _, t)| t.iter().map(|&(_, s)| Node::Sysctl(s))))
                .chain(SYSVIPC_ENTRIES.iter().map(|&(_, f)| Node::Sysvipc(f)));
            return fixed.into_iter().find(|n| n.ino() == ino);
        }
        let tid = ((ino & !(PID_INO_BASE | FDINFO_INO_BIT)) >> 22) as Pid;
        let whole = ino & (1 << 21) != 0;
        let code = ino & ((1 << 21) - 1);
        let node = match code {
            _ if ino & FDINFO_INO_BIT != 0 => Node::FdInfo { tid, whole, fd: code.checked_sub(64)? as i32 },
            0 => Node::PidDir { tid, whole },
            1..=39 => Node::Pid { tid, whole, entry: PID_ENTRIES.get(code as usize - 1)?.1 },
            40..=63 => Node::NsLink { tid, whole, ty: crate::ns::NsType::ENTRIES.get(code as usize - 40)?.1 },
            _ => Node::Fd { tid, whole, fd: (code - 64) as i32 },
        };
        (node.ino() == ino).then_some(node)
    }
}

/// The TGID of task `tid` (itself if it is gone).
fn tgid_of(k: &Kernel, tid: Pid) -> Pid {
    k.proc.tasks().get(&tid).map_or(tid, |t| t.tgid)
}

/// The proc mounts of the mount table below the caller's root, with the
/// path each is seen at, in mount order: where a proc file opened without
/// a mount of its own is named (Linux: the vfsmount a file keeps).
pub(super) fn proc_mounts(k: &Kernel) -> Vec<(MountId, Vec<u8>)> {
    let fs = &k.vfs.fs;
    fs.mounts
        .iter()
        .filter(|m| fs.supers.get(m.sb).is_some_and(|sb| sb.fstype == FsType::Proc))
        .filter_map(|m| match fs.path_from(&fs.mounts, fs.walk_root(), m.id, m.root) {
            Ok((path, true)) => Some((m.id, path)),
            _ => None,
        })
        .collect()
}

/// Whether mount `mnt` shows a proc instance.
pub(crate) fn is_proc_mount(k: &Kernel, mnt: MountId) -> bool {
    let fs = &k.vfs.fs;
    fs.mounts.get(mnt).and_then(|m| fs.supers.get(m.sb)).is_some_and(|sb| sb.fstype == FsType::Proc)
}

/// The path of place `at` from the caller's root, and whether it is
/// below that root (getcwd's "(unreachable)"): a RAM directory's own, or
/// a proc node's below the path of the proc mount it is in (Linux:
/// d_path() of a `struct path`).
pub fn place_path(k: &Kernel, at: Path) -> SysResult<(Vec<u8>, bool)> {
    let fs = &k.vfs.fs;
    if !is_proc_mount(k, at.mnt) {
        return fs.path_from(&fs.mounts, fs.walk_root(), at.mnt, at.node);
    }
    let node = walk::node_at(at.node)?;
    let m = fs.mounts.get(at.mnt).ok_or(ENOENT)?;
    let (mut p, reached) = fs.path_from(&fs.mounts, fs.walk_root(), m.id, m.root)?;
    if p == b"/" {
        p.clear();
    }
    p.extend_from_slice(&node_rel_path(k, node));
    if p.is_empty() {
        p.push(b'/');
    }
    Ok((p, reached))
}

/// The absolute path of a node, for `readlink` of a descriptor open on it
/// and for resolving paths relative to a directory descriptor: below the
/// first proc mount of its PID namespace (Linux: d_path() through the
/// mount it was opened by).
pub fn node_path(k: &Kernel, view: View, node: Node) -> Vec<u8> {
    let view = live(k, view);
    let mounts = proc_mounts(k);
    let mine = mounts.iter().find(|(m, _)| view_of_mount(k, *m) == view);
    let mut p = mine.or(mounts.first()).map(|(_, p)| p.clone()).unwrap_or_default();
    if p == b"/" {
        p.clear();
    }
    p.extend_from_slice(&node_rel_path(k, node));
    if p.is_empty() {
        p.push(b'/');
    }
    p
}

/// A node's path below its proc mount's root: empty for the root.
fn node_rel_path(k: &Kernel, node: Node) -> Vec<u8> {
    let mut p = match node {
        Node::Root => return Vec::new(),
        Node::SelfLink => return b"/self".to_vec(),
        Node::ThreadSelf => return b"/thread-self".to_vec(),
        Node::MountsLink => return b"/mounts".to_vec(),
        Node::SysDir => return b"/sys".to_vec(),
        Node::SysKernel => return b"/sys/kernel".to_vec(),
        Node::SysVm => return b"/sys/vm".to_vec(),
        Node::SysUser => return b"/sys/user".to_vec(),
        Node::SysFs => return b"/sys/fs".to_vec(),
        Node::SysvipcDir => return b"/sysvipc".to_vec(),
        Node::PidDir { tid, whole: true } => return format!("/{tid}").into_bytes(),
        Node::PidDir { tid, whole: false } => return format!("/{}/task/{tid}", tgid_of(k, tid)).into_bytes(),
        Node::NsFile(r) => return format!("/{}:[{}]", r.ty.name(), r.inum).into_bytes(),
        _ => node_rel_path(k, node.parent(k)),
    };
    p.push(b'/');
    match node {
        Node::Global(g) => p.extend_from_slice(name_in(&ROOT_ENTRIES, Node::Global(g))),
        Node::Sysctl(s) => p.extend_from_slice(s.place().1),
        Node::Sysvipc(f) => {
            p.extend_from_slice(SYSVIPC_ENTRIES.iter().find(|(_, x)| *x == f).map_or(&b""[..], |(n, _)| n))
        }
        Node::Pid { entry, .. } => {
            p.extend_from_slice(PID_ENTRIES.iter().find(|(_, x)| *x == entry).map_or(&b""[..], |(n, _)| n))
        }
        Node::Fd { fd, .. } | Node::FdInfo { fd, .. } => p.extend_from_slice(format!("{fd}").as_bytes()),
        Node::NsLink { ty, .. } => {
            p.extend_from_slice(crate::ns::NsType::ENTRIES.iter().find(|e| e.1 == ty).map_or(&b""[..], |e| e.0))
        }
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
    match k.proc.tasks().get(&tid) {
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
    has_resources(t).then(|| k.mem.mms().get(t.mm))
}

/// Threads of process `tgid` not yet released (Linux: get_nr_threads()).
fn threads_of(k: &Kernel, tgid: Pid) -> impl Iterator<Item = &Task> + '_ {
    let threads = k.proc.tasks().get(&tgid).map(|l| &k.sig.signals().get(l.signal).threads);
    threads.into_iter().flatten().filter_map(|t| k.proc.tasks().get(t)).filter(|t| t.state != TaskState::Dead)
}

/// Linux: the task_state_array entry of a task.
fn state_name(t: &Task) -> &'static str {
    match t.state {
        TaskState::Runnable => "R (running)",
        // A vfork parent waits uninterruptibly (Linux: wait_for_vfork_done()).
        TaskState::Blocked(WaitReason::Vfork) => "D (disk sleep)",
        TaskState::Blocked(_) => "S (sleeping)",
        TaskState::Stopped => "T (stopped)",
        TaskState::Traced => "t (tracing stop)",
        TaskState::Zombie => "Z (zombie)",
        TaskState::Dead => "X (dead)",
    }
}

/// The TGID of a task's parent, 0 for init (Linux: task->real_parent).
fn ppid_of(k: &Kernel, view: View, t: &Task) -> Pid {
    // Linux: task_ppid_nr_ns(): 0 for a parent outside the namespace.
    k.proc.tasks().get(&t.parent).map_or(0, |p| k.ns.pid.nr_in(p.tgid, view))
}

/// The PID namespace a proc instance shows (Linux: the superblock's
/// pid_ns, the mounter's active one when it was made): its processes
/// only, each by its number there.
pub type View = crate::ns::PidNsId;

/// `view` if that namespace still exists, else the initial one (an open
/// file of a proc instance unmounted since, whose namespace has ended).
pub(super) fn live(k: &Kernel, view: View) -> View {
    k.ns.pid.handle_of(view.raw()).unwrap_or(k.ns.pid.init())
}

/// The PID namespace proc mount `mount` shows.
pub(super) fn view_of_mount(k: &Kernel, mount: MountId) -> View {
    let sb = k.vfs.fs.mounts.get(mount).and_then(|m| k.vfs.fs.supers.get(m.sb));
    match sb.map(|s| s.pid_ns) {
        Some(raw) if raw != 0 => k.ns.pid.handle_of(raw).unwrap_or(k.ns.pid.init()),
        _ => k.ns.pid.init(),
    }
}

/// Global `pid` as proc instance `view` shows it; 0 when it is not in it.
pub(super) fn nr(k: &Kernel, view: View, pid: Pid) -> Pid {
    k.ns.pid.nr_in(pid, view)
}

/// Whether the caller may look behind a task's links (exe, cwd, fd/) or
/// into its memory map: a thread of the same process always, another
/// only as `ptrace_may_access()` allows. EACCES otherwise, as Linux's
/// proc_fd_access_allowed() and mm_access() give.
fn may_inspect(k: &Kernel, t: &Task) -> SysResult<()> {
    let me = k.cur();
    use crate::proc::capability::{ptrace_may_access, PtraceCreds};
    if me.tgid == t.tgid || ptrace_may_access(&me.cred, &t.cred, &k.ns.user, PtraceCreds::Fs) {
        Ok(())
    } else {
        Err(EACCES)
    }
}

/// The task behind a /proc/<pid> link (cwd, root, exe): it must be
/// inspectable by the caller and still hold its resources, else ENOENT
/// (Linux: proc_pid_get_link()'s ptrace check and get_task_*()).
fn link_task(k: &Kernel, tid: Pid) -> SysResult<&Task> {
    let t = task(k, tid)?;
    may_inspect(k, t)?;
    if !has_resources(t) {
        return Err(ENOENT);
    }
    Ok(t)
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
