//! Files: the RAM file system, initramfs, open files (Linux: fs/).
//!
//! - [`namei`]: the one path walk, over the [`namei::FileSystem`] each
//!   mount shows (Linux: fs/namei.c, `struct path`).
//! - [`ramfs`]: the inode store (Linux: fs/ramfs and tmpfs), a
//!   `FileSystem`, with its path-level operations in `ramfs::namei` and
//!   file contents and attributes in `ramfs::data`.
//! - [`cpio`]: unpacking the initramfs into it (Linux: init/initramfs.c).
//! - [`file`]: open file descriptions and descriptor tables.
//! - [`ops`]: what each kind of open file does (Linux: `file_operations`).
//! - [`file_cache`]: regular files' data through mm's page cache.
//! - [`lock`]: POSIX record locks and flock() locks (Linux: fs/locks.c).
//! - [`perm`]: who may read, write, search, create and delete (Linux:
//!   generic_permission(), may_create(), may_delete() in fs/namei.c).
//! - [`mount`]: the mount table and file system instances (Linux:
//!   fs/namespace.c, fs/super.c); [`mount_ns`]: a table per mount
//!   namespace.
//! - [`procfs`]: /proc, made up from the kernel's state (Linux: fs/proc/).
//! - [`tracefs`]: the trace control files (Linux: fs/tracefs/).
//! - [`tty`]: the console as a terminal: line discipline, job control
//!   (Linux: drivers/tty/).
pub mod cpio;
pub mod file;
pub mod file_cache;
pub mod lease;
pub mod lock;
pub mod memfd;
pub mod mount;
pub mod mount_ns;
pub mod namei;
#[cfg(test)]
mod namei_tests;
pub mod ops;
pub mod perm;
pub mod pipe;
pub mod procfs;
pub mod ramfs;
pub mod root;
#[cfg(test)]
mod root_tests;
pub mod sysfs;
#[cfg(test)]
mod tests;
pub mod tracefs;
pub mod tty;
pub mod xattr;

pub use perm::FsCred;
pub use ramfs::{DirEntry, FileType, Ino, Inode, Last, Lookup, Parent, RamFs, ROOT_INO};

use crate::abi::{makedev, Errno, EEXIST, S_IFCHR};

/// Device numbers of the character devices the file layer implements
/// (Documentation/admin-guide/devices.txt).
pub const DEV_NULL: u64 = makedev(1, 3);
pub const DEV_ZERO: u64 = makedev(1, 5);
pub const DEV_TTY: u64 = makedev(5, 0);
pub const DEV_CONSOLE: u64 = makedev(5, 1);
/// The terminal behind /dev/console: the first serial port, as for Linux
/// booted with console=ttyS0 (the device a session's controlling
/// terminal is, `tty_devnum()`, and what ps shows).
pub const DEV_TTYS0: u64 = makedev(4, 64);

/// Create the directories and device nodes every Linux program expects:
/// `/dev` with `null`, `zero`, `tty`, `console`, `ttyS0` and `kmsg`, a world-writable,
/// sticky `/tmp`, and `/proc`, with [`procfs`] mounted on it. Whatever already
/// exists (from the initramfs) is kept.
/// Linux gets these from devtmpfs and the init scripts; the console node is
/// what `init/noinitramfs.c` makes.
pub fn make_standard_nodes(fs: &mut RamFs, now: u64) -> Result<(), Errno> {
    let ok_if_exists = |r: Result<Ino, Errno>| match r {
        Ok(_) | Err(EEXIST) => Ok(()),
        Err(e) => Err(e),
    };
    let root = fs.root();
    ok_if_exists(fs.mkdir_at(&FsCred::ROOT, root, b"/dev", 0o755, now))?;
    ok_if_exists(fs.mkdir_at(&FsCred::ROOT, root, b"/tmp", 0o1777, now))?;
    ok_if_exists(fs.mkdir_at(&FsCred::ROOT, root, b"/proc", 0o555, now))?;
    let nodes: [(&[u8], u32, u64); 6] = [
        (b"/dev/null", 0o666, DEV_NULL),
        (b"/dev/zero", 0o666, DEV_ZERO),
        (b"/dev/tty", 0o666, DEV_TTY),
        (b"/dev/console", 0o600, DEV_CONSOLE),
        // The console's own name: procps finds a process's terminal by the
        // tty_nr of /proc/PID/stat (4:64) and a node of that number.
        (b"/dev/ttyS0", 0o660, DEV_TTYS0),
        (b"/dev/kmsg", 0o644, crate::log::kmsg::DEV_KMSG),
    ];
    for (path, perm, rdev) in nodes {
        ok_if_exists(fs.mknod_at(&FsCred::ROOT, root, path, S_IFCHR | perm, rdev, now))?;
    }
    // /proc is mounted at boot, as init scripts do on Linux.
    let (parent, proc_dir) = fs.lookup_mnt(&FsCred::ROOT, root, b"/proc", Lookup::FOLLOW | Lookup::DIRECTORY)?;
    if fs.mounts.child_on(parent, proc_dir).is_none() {
        mount::mount_proc(fs, (parent, proc_dir), b"proc", mount::MntFlags::RELATIME, Some(procfs::PROC_DEV), 0)?;
    }
    Ok(())
}

/// How the first process's standard streams look (chosen by the command line).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StdioMode {
    /// The console as a terminal, as on a real system.
    Tty,
    /// stdin reads as /dev/null and stdout/stderr are one pipe to the
    /// console: what a program sees when run natively with `2>&1 | ...`,
    /// so that its output can be compared byte for byte with Linux.
    Pipe,
}

/// The file room: the RAM file system and its mounts, open file
/// descriptions and descriptor tables, pipes, eventfds, locks and
/// leases, the console terminal and tracefs (Linux: the VFS's state).
pub struct Vfs {
    fs: ramfs::RamFs,
    fdtables: crate::object::shared::SharedTable<file::FdTable>,
    fs_structs: crate::object::shared::SharedTable<crate::proc::FsInfo>,
    files: file::FileTable,
    pipes: pipe::PipeTable,
    /// The counters of the eventfds (see `fs::ops::eventfd`).
    eventfds: ops::eventfd::EventfdTable,
    /// POSIX record locks and flock() locks (Linux: each inode's
    /// `file_lock_context`).
    locks: lock::LockTable,
    /// /proc/sys/fs/lease-break-time, in seconds (`fs::lease`).
    lease_break_time: i32,
    /// Descriptions holding a lease: opens look for leases to break only
    /// while there is one.
    lease_holders: usize,
    /// The console as a terminal: line discipline, settings, controlling
    /// session and foreground process group (see `fs::tty`).
    tty: tty::Tty,
    stdio: StdioMode,
    /// tracefs's instance and open files (see `fs::tracefs`).
    tracefs: tracefs::TraceFs,
    /// The epoll instances (see `fs::ops::epoll`).
    epolls: ops::epoll::EpollTable,
    /// The timerfds' timers (see `fs::ops::timerfd`).
    timerfds: ops::timerfd::TimerfdTable,
    /// The AF_UNIX sockets (see `net::unix`).
    unix: crate::net::unix::UnixTable,
    /// Whether some process's root has ever moved from the top of the
    /// tree: until then path walks need not load the caller's (`fs::root`).
    roots_moved: bool,
}

/// What the rest of the kernel reaches of this room: each table (itself a
/// type with private state), and the settings it reads or sets.
impl Vfs {
    pub fn fs(&self) -> &ramfs::RamFs {
        &self.fs
    }

    pub fn fs_mut(&mut self) -> &mut ramfs::RamFs {
        &mut self.fs
    }

    pub fn fdtables(&self) -> &crate::object::shared::SharedTable<file::FdTable> {
        &self.fdtables
    }

    pub fn fdtables_mut(&mut self) -> &mut crate::object::shared::SharedTable<file::FdTable> {
        &mut self.fdtables
    }

    pub fn fs_structs(&self) -> &crate::object::shared::SharedTable<crate::proc::FsInfo> {
        &self.fs_structs
    }

    pub fn fs_structs_mut(&mut self) -> &mut crate::object::shared::SharedTable<crate::proc::FsInfo> {
        &mut self.fs_structs
    }

    pub fn files(&self) -> &file::FileTable {
        &self.files
    }

    pub fn files_mut(&mut self) -> &mut file::FileTable {
        &mut self.files
    }

    pub fn pipes(&self) -> &pipe::PipeTable {
        &self.pipes
    }

    pub fn pipes_mut(&mut self) -> &mut pipe::PipeTable {
        &mut self.pipes
    }

    pub fn eventfds(&self) -> &ops::eventfd::EventfdTable {
        &self.eventfds
    }

    pub fn eventfds_mut(&mut self) -> &mut ops::eventfd::EventfdTable {
        &mut self.eventfds
    }

    pub fn lease_holders(&self) -> usize {
        self.lease_holders
    }

    /// A description took a lease: opens now look for leases to break.
    pub fn lease_taken(&mut self) {
        self.lease_holders += 1;
    }

    /// A description gave its lease up.
    pub fn lease_dropped(&mut self) {
        self.lease_holders = self.lease_holders.saturating_sub(1);
    }

    /// The nodes every boot starts with (/dev, /proc, /tmp...) and tracefs
    /// mounted under them.
    pub fn make_boot_tree(&mut self, now: u64) -> Result<(), crate::abi::Errno> {
        make_standard_nodes(&mut self.fs, now)?;
        tracefs::mount_at_boot(&mut self.tracefs, &mut self.fs, now)
    }

    pub fn stdio(&self) -> StdioMode {
        self.stdio
    }

    pub fn tracefs(&self) -> &tracefs::TraceFs {
        &self.tracefs
    }

    pub fn epolls(&self) -> &ops::epoll::EpollTable {
        &self.epolls
    }

    pub fn epolls_mut(&mut self) -> &mut ops::epoll::EpollTable {
        &mut self.epolls
    }

    pub fn timerfds(&self) -> &ops::timerfd::TimerfdTable {
        &self.timerfds
    }

    pub fn timerfds_mut(&mut self) -> &mut ops::timerfd::TimerfdTable {
        &mut self.timerfds
    }

    pub fn unix(&self) -> &crate::net::unix::UnixTable {
        &self.unix
    }

    pub fn unix_mut(&mut self) -> &mut crate::net::unix::UnixTable {
        &mut self.unix
    }

    pub fn roots_moved(&self) -> bool {
        self.roots_moved
    }

    /// A root moved (chroot, pivot_root): from now on each system call
    /// loads its caller's root into the walk.
    pub fn note_root_moved(&mut self) {
        self.roots_moved = true;
    }
}

impl Vfs {
    /// mount -t tracefs: a new view of the one tracefs instance.
    pub fn mount_tracefs(
        &mut self,
        at: (mount::MountId, ramfs::Ino),
        source: &[u8],
        mnt_flags: mount::MntFlags,
        now: u64,
    ) -> Result<mount::MountId, crate::abi::Errno> {
        tracefs::mount(&mut self.tracefs, &mut self.fs, at, source, mnt_flags, now)
    }
}

impl Vfs {
    /// The room at boot: an empty RAM file system; in tty mode init's
    /// session (PID 1's) has the console as its controlling terminal from
    /// the start.
    pub fn new(stdio: StdioMode) -> Self {
        let mut tty = tty::Tty::new();
        if stdio == StdioMode::Tty {
            tty.session = Some(crate::proc::exit::INIT_PID);
            tty.pgrp = Some(crate::proc::exit::INIT_PID);
        }
        Vfs {
            fs: ramfs::RamFs::new(),
            fdtables: Default::default(),
            fs_structs: Default::default(),
            files: file::FileTable::new(),
            pipes: Default::default(),
            eventfds: Default::default(),
            locks: Default::default(),
            lease_break_time: lease::LEASE_BREAK_TIME,
            lease_holders: 0,
            stdio,
            tty,
            tracefs: Default::default(),
            epolls: Default::default(),
            timerfds: Default::default(),
            unix: Default::default(),
            roots_moved: false,
        }
    }
}
