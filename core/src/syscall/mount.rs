//! mount(2) and umount2(2) (Linux: fs/namespace.c): new instances of
//! tmpfs, proc and a sysfs placeholder, bind mounts of directories,
//! remounts that change flags, and unmounting with Linux's EBUSY rules.

use alloc::vec::Vec;

use crate::abi::*;
use crate::fs::mount::{FsType, MntFlags, MountId, SbId, ROOT_MOUNT};
use crate::fs::procfs::{self, Node, Target};
use crate::fs::{Ino, Lookup};
use crate::kernel::Kernel;
use crate::proc::capability::CAP_SYS_ADMIN;

// mount(2) flags (include/uapi/linux/mount.h).
const MS_RDONLY: u64 = 1;
const MS_NOSUID: u64 = 2;
const MS_NODEV: u64 = 4;
const MS_NOEXEC: u64 = 8;
const MS_REMOUNT: u64 = 32;
const MS_NOATIME: u64 = 1024;
const MS_NODIRATIME: u64 = 2048;
const MS_BIND: u64 = 4096;
const MS_MOVE: u64 = 8192;
const MS_REC: u64 = 16384;
const MS_UNBINDABLE: u64 = 1 << 17;
const MS_PRIVATE: u64 = 1 << 18;
const MS_SLAVE: u64 = 1 << 19;
const MS_SHARED: u64 = 1 << 20;
const MS_RELATIME: u64 = 1 << 21;
const MS_NOUSER: u64 = 1 << 31;
const MS_STRICTATIME: u64 = 1 << 24;
const MS_MGC_MSK: u64 = 0xffff_0000;
const MS_MGC_VAL: u64 = 0xC0ED_0000;
const MS_PROPAGATION: u64 = MS_UNBINDABLE | MS_PRIVATE | MS_SLAVE | MS_SHARED;

// umount2(2) flags.
const MNT_FORCE: u32 = 1;
const MNT_DETACH: u32 = 2;
const MNT_EXPIRE: u32 = 4;
const UMOUNT_NOFOLLOW: u32 = 8;

/// A place in the tree: a mount and a directory (or file) it shows.
type At = (MountId, Ino);

/// Resolve a mount(2)/umount2(2) path. A path into a proc mount names the
/// mount's root only when it is that root; proc's other directories
/// cannot be mounted on here (EINVAL; Linux allows it).
fn resolve(k: &mut Kernel, addr: u64, follow: bool) -> SysResult<At> {
    let path = k.read_cstr(addr, PATH_MAX)?;
    if let Some(found) = procfs::resolve(k, AT_FDCWD, &path, follow) {
        let found = found?;
        return match found.target {
            Target::Proc(Node::Root) | Target::Ino(_) => Ok(found.at.into()),
            _ => Err(EINVAL),
        };
    }
    let start = k.start_dir(AT_FDCWD, &path)?;
    let flags = if follow { Lookup::FOLLOW } else { Lookup::empty() };
    k.vfs.fs().lookup_mnt(&k.fs_cred(), start, &path, flags)
}

/// An optional user string (the source, the type), `None` for NULL.
fn opt_string(k: &mut Kernel, addr: u64) -> SysResult<Option<Vec<u8>>> {
    if addr == 0 {
        return Ok(None);
    }
    k.read_cstr(addr, 4096).map(Some)
}

/// Whether `at` is the root of its mount (Linux: path_mounted()).
fn is_mount_root(k: &Kernel, (mnt, ino): At) -> bool {
    k.vfs.fs().mounts.get(mnt).is_some_and(|m| m.root == ino)
}

/// Linux: do_mount() → path_mount().
pub fn mount(k: &mut Kernel, source: u64, target: u64, fstype: u64, flags: u64, data: u64) -> SysResult {
    let fstype = opt_string(k, fstype)?;
    let source = opt_string(k, source)?;
    let data = opt_string(k, data)?.unwrap_or_default();
    let at = resolve(k, target, true)?;
    let mut flags = flags;
    if flags & MS_MGC_MSK == MS_MGC_VAL {
        flags &= !MS_MGC_MSK;
    }
    if flags & MS_NOUSER != 0 {
        return Err(EINVAL);
    }
    if !may_mount(k) {
        return Err(EPERM);
    }
    let mnt_flags = mnt_flags_of(flags);
    if flags & MS_REMOUNT != 0 {
        return remount(k, at, flags, mnt_flags);
    }
    if flags & MS_BIND != 0 {
        return bind(k, at, source.as_deref().unwrap_or(b""), flags & MS_REC != 0);
    }
    if flags & MS_PROPAGATION != 0 {
        // One mount table, no peers: propagation has nothing to change.
        return if is_mount_root(k, at) { Ok(0) } else { Err(EINVAL) };
    }
    if flags & MS_MOVE != 0 {
        // Linux: do_move_mount_old(); not supported yet.
        return Err(EINVAL);
    }
    let fstype = fstype.ok_or(EINVAL)?;
    let fstype = FsType::by_name(&fstype).ok_or(ENODEV)?;
    if !mount_capable(k, fstype) {
        return Err(EPERM);
    }
    new_mount(k, at, fstype, source.as_deref().unwrap_or(b"none"), flags, mnt_flags, &data)
}

/// Linux: may_mount(): CAP_SYS_ADMIN in the user namespace that owns the
/// caller's mount namespace.
fn may_mount(k: &Kernel) -> bool {
    let owner = k.ns.mnt_owner(k.cur().nsproxy);
    k.ns.user.ns_capable(&k.cur().cred, owner, CAP_SYS_ADMIN)
}

/// Linux: mount_capable(): a new tmpfs belongs to the caller's user
/// namespace and a proc to the user namespace of the PID namespace it
/// shows (FS_USERNS_MOUNT), which need CAP_SYS_ADMIN there; any other
/// kind, in the initial one.
fn mount_capable(k: &Kernel, fstype: FsType) -> bool {
    let c = k.cur().cred;
    match fstype {
        FsType::Tmpfs => c.has_cap(CAP_SYS_ADMIN),
        FsType::Proc => k.ns.user.ns_capable(&c, k.ns.pid.get(k.active_pid_ns()).owner, CAP_SYS_ADMIN),
        _ => c.capable(CAP_SYS_ADMIN),
    }
}

/// Whether the caller may change instance `sb` itself (its read-only
/// state): CAP_SYS_ADMIN in the user namespace it belongs to; none over
/// the instance of a namespace that has gone (Linux:
/// ns_capable(sb->s_user_ns, CAP_SYS_ADMIN) in do_remount()).
fn sb_capable(k: &Kernel, sb: SbId) -> bool {
    let Some((raw, inum)) = k.vfs.fs().supers.get(sb).map(|s| s.user_ns) else { return false };
    let users = &k.ns.user;
    let owner = users.handle_of(raw).filter(|&ns| raw == 0 || users.inum(ns) == inum);
    owner.is_some_and(|ns| users.ns_capable(&k.cur().cred, ns, CAP_SYS_ADMIN))
}

/// The user namespace a new instance belongs to, as
/// `SuperBlock::user_ns` records it.
fn sb_owner(k: &Kernel, ns: crate::ns::UserNsId) -> (u32, u32) {
    if ns == crate::ns::INIT_USER_NS {
        (0, 0)
    } else {
        (ns.raw(), k.ns.user.inum(ns))
    }
}

/// The per-mount flags a mount(2) asks for; `relatime` unless the caller
/// chose another atime rule. Linux: the MS_* → MNT_* part of path_mount().
fn mnt_flags_of(flags: u64) -> MntFlags {
    let mut f = MntFlags::empty();
    for (ms, mnt) in [
        (MS_RDONLY, MntFlags::RDONLY),
        (MS_NOSUID, MntFlags::NOSUID),
        (MS_NODEV, MntFlags::NODEV),
        (MS_NOEXEC, MntFlags::NOEXEC),
        (MS_NOATIME, MntFlags::NOATIME),
        (MS_NODIRATIME, MntFlags::NODIRATIME),
    ] {
        if flags & ms != 0 {
            f |= mnt;
        }
    }
    if flags & (MS_NOATIME | MS_STRICTATIME) == 0 || flags & MS_RELATIME != 0 {
        f |= MntFlags::RELATIME;
    }
    f
}

/// Options a file system accepts in mount(2)'s data, parsed. Unknown
/// ones are refused with EINVAL, as Linux's fs_context parsers do.
#[derive(Default)]
struct Options {
    readonly: bool,
    size: Option<u64>,
    mode: Option<u32>,
    uid: Option<u32>,
    gid: Option<u32>,
}

fn parse_options(fstype: FsType, data: &[u8]) -> SysResult<Options> {
    let mut o = Options::default();
    for opt in data.split(|&c| c == b',').filter(|o| !o.is_empty()) {
        let (key, val) = match opt.iter().position(|&c| c == b'=') {
            Some(i) => (&opt[..i], Some(&opt[i + 1..])),
            None => (opt, None),
        };
        let num = |base: u32| -> SysResult<u64> {
            let s = core::str::from_utf8(val.ok_or(EINVAL)?).map_err(|_| EINVAL)?;
            u64::from_str_radix(s, base).map_err(|_| EINVAL)
        };
        // Linux: vfs_parse_sb_flag(), for every file system.
        match key {
            b"ro" => o.readonly = true,
            b"rw" => o.readonly = false,
            b"sync" | b"async" | b"dirsync" | b"lazytime" | b"nolazytime" | b"mand" | b"nomand" | b"silent" => {}
            _ => match fstype {
                // Linux: shmem_fs_parameters.
                FsType::Tmpfs => match key {
                    b"size" => o.size = Some(parse_size(val.ok_or(EINVAL)?)?),
                    b"mode" => o.mode = Some(num(8)? as u32 & 0o7777),
                    b"uid" => o.uid = Some(u32::try_from(num(10)?).map_err(|_| EINVAL)?),
                    b"gid" => o.gid = Some(u32::try_from(num(10)?).map_err(|_| EINVAL)?),
                    b"nr_inodes" | b"nr_blocks" | b"huge" | b"inode32" | b"inode64" | b"noswap" | b"mpol" => {}
                    _ => return Err(EINVAL),
                },
                // Linux: proc_fs_parameters.
                FsType::Proc => match key {
                    b"hidepid" | b"gid" | b"subset" => {}
                    _ => return Err(EINVAL),
                },
                _ => {}
            },
        }
    }
    Ok(o)
}

/// tmpfs `size=`: bytes with an optional k, m, g suffix (Linux:
/// memparse(); the `%` form is not supported).
fn parse_size(v: &[u8]) -> SysResult<u64> {
    let (digits, shift) = match v.last() {
        Some(b'k' | b'K') => (&v[..v.len() - 1], 10),
        Some(b'm' | b'M') => (&v[..v.len() - 1], 20),
        Some(b'g' | b'G') => (&v[..v.len() - 1], 30),
        _ => (v, 0),
    };
    let s = core::str::from_utf8(digits).map_err(|_| EINVAL)?;
    let n: u64 = s.parse().map_err(|_| EINVAL)?;
    n.checked_shl(shift).filter(|&b| b >> shift == n).ok_or(EINVAL)
}

/// A new instance of `fstype` mounted at `at`. Linux: do_new_mount() →
/// vfs_get_tree() → do_add_mount() → graft_tree().
fn new_mount(
    k: &mut Kernel,
    (parent, dir): At,
    fstype: FsType,
    source: &[u8],
    flags: u64,
    mnt_flags: MntFlags,
    data: &[u8],
) -> SysResult {
    let opts = parse_options(fstype, data)?;
    // Linux: graft_tree(): a directory goes only on a directory.
    if !k.vfs.fs().inode(dir)?.is_dir() {
        return Err(ENOTDIR);
    }
    let readonly = flags & MS_RDONLY != 0 || opts.readonly;
    let mnt_flags = if readonly { mnt_flags | MntFlags::RDONLY } else { mnt_flags };
    let now = k.now_real();
    let (sb, root) = match fstype {
        FsType::Proc => {
            // The mounter's PID namespace, held by the instance (Linux:
            // proc_fill_super() takes task_active_pid_ns(current)).
            let ns = k.active_pid_ns();
            let raw = if ns == k.ns.pid.init() { 0 } else { ns.raw() };
            let id = crate::fs::mount::mount_proc(k.vfs.fs_mut(), (parent, dir), source, mnt_flags, None, raw)?;
            if raw != 0 {
                k.ns.pid.hold(ns);
            }
            let sb = k.vfs.fs().mounts.get(id).map(|m| m.sb).ok_or(EINVAL)?;
            set_readonly(k, sb, readonly);
            // Linux: proc_fill_super() gives it the PID namespace's owner.
            let owner = sb_owner(k, k.ns.pid.get(ns).owner);
            if let Some(s) = k.vfs.fs_mut().supers.get_mut(sb) {
                s.user_ns = owner;
            }
            return Ok(0);
        }
        FsType::Tmpfs => {
            let cred = k.fs_cred();
            let owner = (opts.uid.unwrap_or(cred.uid), opts.gid.unwrap_or(cred.gid));
            let mode = opts.mode.unwrap_or(0o1777);
            let user_ns = sb_owner(k, k.cur().cred.user_ns);
            let (sb, root) = k.vfs.fs_mut().new_instance(FsType::Tmpfs, owner, mode, now);
            if let Some(s) = k.vfs.fs_mut().supers.get_mut(sb) {
                s.user_ns = user_ns;
                s.size = opts.size;
                s.mode = Some(mode);
                s.uid = Some(owner.0);
                s.gid = Some(owner.1);
            }
            (sb, root)
        }
        FsType::Tracefs => {
            let now = k.now_real();
            k.vfs.mount_tracefs((parent, dir), source, mnt_flags, now)?;
            return Ok(0);
        }
        // The placeholder has nothing in it but the CPU files
        // (`fs::sysfs`), and nothing can be made in it.
        FsType::Sysfs | FsType::Rootfs => {
            let (sb, root) = k.vfs.fs_mut().new_instance(fstype, (0, 0), 0o555, now);
            if fstype == FsType::Sysfs {
                let online = k.sched.online();
                crate::fs::sysfs::populate_cpus(k.vfs.fs_mut(), root, online, now)?;
            }
            if let Some(s) = k.vfs.fs_mut().supers.get_mut(sb) {
                s.readonly = true;
            }
            (sb, root)
        }
    };
    set_readonly(k, sb, readonly || fstype == FsType::Sysfs);
    k.vfs.fs_mut().ihold(root)?;
    k.vfs.fs_mut().mounts.add(parent, dir, root, sb, source, mnt_flags);
    Ok(0)
}

fn set_readonly(k: &mut Kernel, sb: SbId, readonly: bool) {
    if let Some(s) = k.vfs.fs_mut().supers.get_mut(sb) {
        s.readonly = readonly;
    }
}

/// MS_REMOUNT: new per-mount flags, and with them (unless MS_BIND) the
/// instance's read-only state. A remount that names no atime rule keeps
/// the mount's; locked flags stay set (EPERM), and changing the instance
/// needs CAP_SYS_ADMIN in its user namespace (EPERM). Linux:
/// path_mount()'s atime default, do_reconfigure_mnt(), do_remount().
fn remount(k: &mut Kernel, at: At, flags: u64, mnt_flags: MntFlags) -> SysResult {
    if !is_mount_root(k, at) {
        return Err(EINVAL);
    }
    let m = k.vfs.fs().mounts.get(at.0).ok_or(EINVAL)?;
    let (old, sb) = (m.flags, m.sb);
    let mut mnt_flags = mnt_flags;
    if flags & (MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME) == 0 {
        mnt_flags = (mnt_flags - MntFlags::ATIME) | (old & MntFlags::ATIME);
    }
    if !old.may_become(mnt_flags) {
        return Err(EPERM);
    }
    if flags & MS_BIND == 0 && !sb_capable(k, sb) {
        return Err(EPERM);
    }
    let m = k.vfs.fs_mut().mounts.get_mut(at.0).ok_or(EINVAL)?;
    m.flags = mnt_flags | (old - MntFlags::SETTABLE);
    if flags & MS_BIND == 0 {
        let fixed_ro = k.vfs.fs().supers.get(sb).is_some_and(|s| s.fstype == FsType::Sysfs);
        set_readonly(k, sb, flags & MS_RDONLY != 0 || fixed_ro);
    }
    Ok(0)
}

/// MS_BIND: show directory (or file) `source` at `at` too; with MS_REC
/// the mounts below the source come along, copied in the same shape.
/// Linux: do_loopback() → clone_mnt(), or copy_tree() for MS_REC.
fn bind(k: &mut Kernel, (parent, dir): At, source: &[u8], rec: bool) -> SysResult {
    let start = k.start_dir(AT_FDCWD, source)?;
    if procfs::resolve(k, AT_FDCWD, source, true).is_some() {
        // proc keeps no inodes to show elsewhere.
        return Err(EINVAL);
    }
    let (smnt, sino) = k.vfs.fs().lookup_mnt(&k.fs_cred(), start, source, Lookup::FOLLOW)?;
    if k.vfs.fs().inode(dir)?.is_dir() != k.vfs.fs().inode(sino)?.is_dir() {
        return Err(ENOTDIR);
    }
    // What a locked mount hides stays hidden: a bind without its
    // submounts may not show a directory one covers (Linux:
    // has_locked_children()).
    let fs = k.vfs.fs();
    let hides = |m: &crate::fs::mount::Mount| fs.is_ancestor(sino, m.mountpoint).unwrap_or(true);
    let locked_below =
        fs.mounts.iter().any(|m| m.parent == smnt && m.id != smnt && m.flags.contains(MntFlags::LOCKED) && hides(m));
    if locked_below && !rec {
        return Err(EINVAL);
    }
    // What comes along, taken before anything is attached (a tree bound
    // below itself is copied as it was). Parents come before children.
    let below = if rec { submounts(k, smnt, sino) } else { Vec::new() };
    let old = k.vfs.fs().mounts.get(smnt).ok_or(EINVAL)?.clone();
    k.vfs.fs_mut().ihold(sino)?;
    // The copy keeps the locks on its flags but is itself free to go
    // (Linux: __do_loopback()).
    let top = k.vfs.fs_mut().mounts.add(parent, dir, sino, old.sb, &old.source, old.flags - MntFlags::LOCKED);
    let mut copies: Vec<(MountId, MountId)> = alloc::vec![(smnt, top)];
    for m in below {
        let Some(&(_, copy_parent)) = copies.iter().find(|(orig, _)| *orig == m.parent) else { continue };
        if k.vfs.fs_mut().ihold(m.root).is_err() {
            continue;
        }
        // Below the top, a copy keeps its original's locks (Linux:
        // copy_tree() clears MNT_LOCKED only on the root of the copy).
        let id = k.vfs.fs_mut().mounts.add(copy_parent, m.mountpoint, m.root, m.sb, &m.source, m.flags);
        copies.push((m.id, id));
    }
    Ok(0)
}

/// The mounts below directory `dir` of mount `mnt`, and below those, each
/// after its parent. Linux: the walk of copy_tree().
fn submounts(k: &Kernel, mnt: MountId, dir: Ino) -> Vec<crate::fs::mount::Mount> {
    let fs = k.vfs.fs();
    let mut out: Vec<crate::fs::mount::Mount> = fs
        .mounts
        .iter()
        .filter(|m| m.parent == mnt && m.id != mnt && fs.is_ancestor(dir, m.mountpoint).unwrap_or(false))
        .cloned()
        .collect();
    let mut i = 0;
    while i < out.len() {
        let p = out[i].id;
        out.extend(fs.mounts.iter().filter(|m| m.parent == p && m.id != p).cloned());
        i += 1;
    }
    out
}

/// Linux: ksys_umount() → path_umount() → do_umount().
pub fn umount2(k: &mut Kernel, target: u64, flags: u32) -> SysResult {
    if flags & !(MNT_FORCE | MNT_DETACH | MNT_EXPIRE | UMOUNT_NOFOLLOW) != 0 {
        return Err(EINVAL);
    }
    if flags & MNT_EXPIRE != 0 && flags & (MNT_FORCE | MNT_DETACH) != 0 {
        return Err(EINVAL);
    }
    let at = resolve(k, target, flags & UMOUNT_NOFOLLOW == 0)?;
    // The topmost mount there, also where the walk did not cross into it
    // (".", "/", a root with the old root stacked on it by pivot_root(".",
    // ".")). Linux: LOOKUP_MOUNTPOINT → handle_lookup_down().
    let at = k.vfs.fs().cross_down(at.0, at.1);
    // Linux: can_umount(): permission, then whether it is a mount.
    if !may_mount(k) {
        return Err(EPERM);
    }
    if !is_mount_root(k, at) {
        return Err(EINVAL);
    }
    let id = at.0;
    if k.vfs.fs().mounts.get(id).is_some_and(|m| m.flags.contains(MntFlags::LOCKED)) {
        return Err(EINVAL);
    }
    if flags & MNT_FORCE != 0 && !k.cur().cred.capable(CAP_SYS_ADMIN) {
        return Err(EPERM);
    }
    if id == ROOT_MOUNT {
        return Err(EBUSY);
    }
    if flags & MNT_EXPIRE != 0 {
        // Linux marks the mount and asks to be called again.
        return Err(EAGAIN);
    }
    if flags & MNT_DETACH == 0 && busy(k, id) {
        return Err(EBUSY);
    }
    let gone = k.vfs.fs_mut().mounts.remove_tree(id);
    k.release_mounts(gone);
    Ok(0)
}

/// Whether mount `id` may not go: mounts below it, or open files and
/// working or root directories in what it shows. Linux:
/// propagate_mount_busy() counts references to the mount; Tine counts
/// them on the inodes, leaving out the mounts that show the directory and
/// the places other mount namespaces' processes hold in their own copies.
/// So a bind mount is busy when the tree it shows is in use through any
/// path of this namespace.
fn busy(k: &Kernel, id: MountId) -> bool {
    if k.vfs.fs().mounts.has_children(id) {
        return true;
    }
    let Some(m) = k.vfs.fs().mounts.get(id) else { return false };
    // Mounts of other namespaces showing the same directory hold it too.
    let showing = k.mounts_showing(m.root);
    let elsewhere = k.places_elsewhere();
    let own = |ino: Ino| elsewhere.get(&ino).copied().unwrap_or(0) + if ino == m.root { showing } else { 0 };
    if !k.vfs.fs().supers.get(m.sb).is_some_and(|s| s.fstype.in_ram()) {
        // proc: only a working directory at its root holds it.
        return k.vfs.fs().inode(m.root).is_ok_and(|i| i.refs() > own(m.root));
    }
    k.vfs.fs().tree_in_use(m.root, own)
}
