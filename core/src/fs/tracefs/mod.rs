//! tracefs, the trace control files (Linux: fs/tracefs/, with the files
//! of kernel/trace/trace.c and trace_events.c).
//!
//! tracefs is one instance however often it is mounted (Linux:
//! get_tree_single()): the first mount builds its tree of directories and
//! files in the RAM inode store, and every later mount shows the same
//! tree. Directories, names, modes and `stat` are the RAM file system's;
//! what a file *does* is decided when it is opened: each regular file's
//! inode is a [`Node`], and an open of it gets a description of kind
//! `FileKind::Trace(node)` whose reads and writes are [`files`]'. The
//! events, the ring buffer and the output are `crate::trace`'s.
//!
//! At boot, `/sys/kernel/tracing` is made and tracefs mounted there
//! ([`mount_at_boot`]), so that `ls /sys/kernel/tracing` works as it does
//! on a Linux whose init mounts it (systemd's sys-kernel-tracing.mount);
//! `mount -t tracefs nodev DIR` shows the same files elsewhere.

pub mod files;
#[cfg(test)]
mod tests;

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use crate::abi::Errno;
use crate::fs::file::FileId;
use crate::fs::mount::{FsType, MntFlags, MountId, SbId};
use crate::fs::perm::FsCred;
use crate::fs::ramfs::{Ino, RamFs};
use crate::trace::Event;

/// What one tracefs file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Node {
    Trace,
    TracePipe,
    TraceMarker,
    AvailableEvents,
    SetEvent,
    SetEventPid,
    TracingOn,
    BufferSizeKb,
    TraceClock,
    /// events/enable: every event.
    EventsEnable,
    /// events/<system>/enable, by the system's name.
    SystemEnable(&'static str),
    Enable(Event),
    Format(Event),
    Id(Event),
    /// events/SYS/EVENT/filter.
    Filter(Event),
}

/// Linux: TRACE_MODE_WRITE and TRACE_MODE_READ (kernel/trace/trace.h),
/// the modes of its directories and of its root (TRACEFS_DEFAULT_MODE).
const MODE_WRITE: u32 = 0o640;
const MODE_READ: u32 = 0o440;
const MODE_DIR: u32 = 0o750;
const MODE_ROOT: u32 = 0o700;

/// The files at the top, in Linux's order of creation.
const TOP: [(&[u8], u32, Node); 9] = [
    (b"available_events", MODE_READ, Node::AvailableEvents),
    (b"set_event", MODE_WRITE, Node::SetEvent),
    (b"set_event_pid", MODE_WRITE, Node::SetEventPid),
    (b"trace", MODE_WRITE, Node::Trace),
    (b"trace_pipe", MODE_READ, Node::TracePipe),
    (b"buffer_size_kb", MODE_WRITE, Node::BufferSizeKb),
    (b"trace_marker", 0o220, Node::TraceMarker),
    (b"trace_clock", MODE_WRITE, Node::TraceClock),
    (b"tracing_on", MODE_WRITE, Node::TracingOn),
];

/// The tracefs instance and what its open files hold.
#[derive(Default)]
pub struct TraceFs {
    /// The instance and its root, once first mounted.
    pub sb: Option<(SbId, Ino)>,
    nodes: BTreeMap<Ino, Node>,
    /// Per open description: the text a read goes through, generated at
    /// the first read from offset 0 (Linux: the seq_file buffer), and for
    /// trace_pipe the part of a line a short read left.
    pub open: BTreeMap<FileId, Vec<u8>>,
}

impl TraceFs {
    /// The tracefs file inode `ino` is, if it is one.
    pub fn node(&self, ino: Ino) -> Option<Node> {
        if self.nodes.is_empty() {
            return None;
        }
        self.nodes.get(&ino).copied()
    }

    /// The instance, built at its first mount (Linux: tracer_init_tracefs()
    /// and event_trace_init() create the files once).
    pub fn instance(&mut self, fs: &mut RamFs, now: u64) -> Result<(SbId, Ino), Errno> {
        if let Some(sb) = self.sb {
            return Ok(sb);
        }
        let (sb, root) = fs.new_instance(FsType::Tracefs, (0, 0), MODE_ROOT, now);
        let c = &FsCred::ROOT;
        for (name, mode, node) in TOP {
            let ino = fs.create(c, root, name, mode, now)?;
            self.nodes.insert(ino, node);
        }
        let events = fs.mkdir(c, root, b"events", MODE_DIR, now)?;
        self.nodes.insert(fs.create(c, events, b"enable", MODE_WRITE, now)?, Node::EventsEnable);
        for sys in crate::trace::event::systems() {
            let dir = fs.mkdir(c, events, sys.as_bytes(), MODE_DIR, now)?;
            self.nodes.insert(fs.create(c, dir, b"enable", MODE_WRITE, now)?, Node::SystemEnable(sys));
            for &e in Event::ALL.iter().filter(|e| e.def().system == sys) {
                let d = fs.mkdir(c, dir, e.def().name.as_bytes(), MODE_DIR, now)?;
                self.nodes.insert(fs.create(c, d, b"enable", MODE_WRITE, now)?, Node::Enable(e));
                self.nodes.insert(fs.create(c, d, b"filter", MODE_WRITE, now)?, Node::Filter(e));
                self.nodes.insert(fs.create(c, d, b"format", MODE_READ, now)?, Node::Format(e));
                self.nodes.insert(fs.create(c, d, b"id", MODE_READ, now)?, Node::Id(e));
            }
        }
        self.sb = Some((sb, root));
        Ok((sb, root))
    }
}

/// Mount tracefs on directory `dir` of mount `parent` (Linux:
/// trace_mount() → get_tree_single()).
pub fn mount(
    tfs: &mut TraceFs,
    fs: &mut RamFs,
    (parent, dir): (MountId, Ino),
    source: &[u8],
    flags: MntFlags,
    now: u64,
) -> Result<MountId, Errno> {
    let (sb, root) = tfs.instance(fs, now)?;
    fs.ihold(root)?;
    Ok(fs.mounts.add(parent, dir, root, sb, source, flags))
}

/// Make `/sys/kernel/tracing` and mount tracefs there, as a Linux init
/// does at boot. Whatever exists already is kept.
pub fn mount_at_boot(tfs: &mut TraceFs, fs: &mut RamFs, now: u64) -> Result<(), Errno> {
    use crate::fs::ramfs::Lookup;
    let c = &FsCred::ROOT;
    let root = fs.root();
    for (path, mode) in [(&b"/sys"[..], 0o555), (b"/sys/kernel", 0o755), (b"/sys/kernel/tracing", MODE_ROOT)] {
        match fs.mkdir_at(c, root, path, mode, now) {
            Ok(_) | Err(crate::abi::EEXIST) => {}
            Err(e) => return Err(e),
        }
    }
    let at = fs.lookup_mnt(c, root, b"/sys/kernel/tracing", Lookup::FOLLOW | Lookup::DIRECTORY)?;
    if fs.mounts.child_on(at.0, at.1).is_none() {
        let flags = MntFlags::NOSUID | MntFlags::NODEV | MntFlags::NOEXEC | MntFlags::RELATIME;
        mount(tfs, fs, at, b"tracefs", flags, now)?;
    }
    Ok(())
}
