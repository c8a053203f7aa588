//! Files: the RAM file system, initramfs, open files (Linux: fs/).
//!
//! - [`ramfs`]: the inode store (Linux: fs/ramfs and tmpfs), with the
//!   path walk over it, across mounts, in `ramfs::namei` (Linux:
//!   fs/namei.c) and file contents and attributes in `ramfs::data`.
//! - [`cpio`]: unpacking the initramfs into it (Linux: init/initramfs.c).
//! - [`file`]: open file descriptions and descriptor tables.
//! - [`ops`]: what each kind of open file does (Linux: `file_operations`).
//! - [`file_cache`]: regular files' data through mm's page cache.
//! - [`lock`]: POSIX record locks and flock() locks (Linux: fs/locks.c).
//! - [`perm`]: who may read, write, search, create and delete (Linux:
//!   generic_permission(), may_create(), may_delete() in fs/namei.c).
//! - [`mount`]: the mount table and file system instances (Linux:
//!   fs/namespace.c, fs/super.c).
//! - [`procfs`]: /proc, made up from the kernel's state (Linux: fs/proc/).
//! - [`tracefs`]: the trace control files (Linux: fs/tracefs/).
//! - [`tty`]: the console as a terminal: line discipline, job control
//!   (Linux: drivers/tty/).
pub mod cpio;
pub mod file;
pub mod file_cache;
pub mod lease;
pub mod lock;
pub mod mount;
pub mod ops;
pub mod perm;
pub mod pipe;
pub mod procfs;
pub mod ramfs;
#[cfg(test)]
mod tests;
pub mod tracefs;
pub mod tty;

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
        mount::mount_proc(fs, parent, proc_dir, b"proc", mount::MntFlags::RELATIME, Some(procfs::PROC_DEV))?;
    }
    Ok(())
}
