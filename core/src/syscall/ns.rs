//! Namespaces: unshare(2), setns(2), and the calls that change what a
//! namespace holds (sethostname, setdomainname). Linux: kernel/fork.c
//! ksys_unshare(), kernel/nsproxy.c setns(), kernel/sys.c
//! sethostname()/setdomainname().

use crate::abi::*;
use crate::kernel::Kernel;
use crate::ns::UTS_LEN;
use crate::proc::capability::{CAP_SYS_ADMIN, CAP_SYS_CHROOT};
use crate::proc::fork::{copy_fs, new_namespaces};

/// sethostname(2) and setdomainname(2): the name of the caller's UTS
/// namespace. EPERM without CAP_SYS_ADMIN in the user namespace that owns
/// it, EINVAL past 64 bytes, EFAULT for a bad buffer, in Linux's order.
pub fn set_uts_name(k: &mut Kernel, domain: bool, name: u64, len: u64) -> SysResult {
    let owner = k.ns.uts_owner(k.cur().nsproxy);
    if !k.ns.user.ns_capable(&k.cur().cred, owner, CAP_SYS_ADMIN) {
        return Err(EPERM);
    }
    // Linux takes `int len`: a negative one is EINVAL too.
    let len = usize::try_from(len as i32).ok().filter(|&l| l <= UTS_LEN).ok_or(EINVAL)?;
    let mut buf = [0u8; UTS_LEN];
    k.copy_in(name, &mut buf[..len])?;
    let p = k.cur().nsproxy;
    if domain {
        k.ns.set_domainname(p, &buf[..len]);
    } else {
        k.ns.set_nodename(p, &buf[..len]);
    }
    Ok(0)
}

/// unshare(2) (Linux: ksys_unshare()): give the caller its own copy of
/// what `flags` names and it shares today: its file-system context
/// (CLONE_FS), its descriptor table (CLONE_FILES), new namespaces
/// (CLONE_NEW*). CLONE_THREAD, CLONE_SIGHAND and CLONE_VM are accepted
/// only when there is nothing to unshare (a single-threaded process that
/// does not share its handlers or memory).
pub fn unshare(k: &mut Kernel, flags: u64) -> SysResult {
    use CloneFlags as F;
    const ALLOWED: F = F::THREAD
        .union(F::FS)
        .union(F::NEWNS)
        .union(F::SIGHAND)
        .union(F::VM)
        .union(F::FILES)
        .union(F::SYSVSEM)
        .union(F::NEWUTS)
        .union(F::NEWIPC)
        .union(F::NEWNET)
        .union(F::NEWUSER)
        .union(F::NEWPID)
        .union(F::NEWCGROUP)
        .union(F::NEWTIME);
    let mut f = F::from_bits_retain(flags);
    // What each flag implies (Linux: the head of ksys_unshare()).
    if f.contains(F::NEWUSER) {
        f |= F::THREAD | F::FS;
    }
    if f.contains(F::VM) {
        f |= F::SIGHAND;
    }
    if f.contains(F::SIGHAND) {
        f |= F::THREAD;
    }
    if f.contains(F::NEWNS) {
        f |= F::FS;
    }
    // Linux: check_unshare_flags().
    if !(f - ALLOWED).is_empty() || flags >> 32 != 0 {
        return Err(EINVAL);
    }
    let t = k.cur();
    if f.intersects(F::THREAD | F::SIGHAND | F::VM) && k.sig.signals().get(t.signal).threads.len() > 1 {
        return Err(EINVAL);
    }
    if f.intersects(F::SIGHAND | F::VM) && k.sig.sighands().users(t.sighand) > 1 {
        return Err(EINVAL);
    }
    if f.contains(F::VM) && k.mem.mms().users(t.mm) > 1 {
        return Err(EINVAL);
    }
    let (tid, old_fs, old_ns, old_cred) = (t.tid, t.fs, t.nsproxy, t.cred);
    // Linux: unshare_userns(): new credentials in a new user namespace,
    // which the other new namespaces then belong to.
    let mut cred = old_cred;
    if f.contains(F::NEWUSER) {
        let ns = crate::proc::fork::new_user_ns(k, &old_cred)?;
        crate::ns::user::enter(&mut cred, ns);
    }
    let new_ns = match f.intersects(F::NEW_NAMESPACES) {
        true => Some(new_namespaces(k, f, &cred).inspect_err(|_| {
            if f.contains(F::NEWUSER) {
                k.ns.user.put(cred.user_ns);
            }
        })?),
        false => None,
    };
    // Only copies of memory can fail from here on (ENOMEM), taking back
    // the new user namespace.
    let undo = |k: &mut Kernel, e: Errno| {
        if f.contains(F::NEWUSER) {
            k.ns.user.put(cred.user_ns);
        }
        e
    };
    if f.contains(F::FS) && k.vfs.fs_structs().users(old_fs) > 1 {
        let fs = copy_fs(k, F::empty()).map_err(|e| undo(k, e))?;
        k.cur_mut().fs = fs;
        k.put_fs(old_fs);
    }
    if f.contains(F::FILES) {
        crate::proc::exec::unshare_files(k, tid);
    }
    // A new IPC namespace leaves the old one's semaphores behind: the
    // caller's undo list is applied first (Linux: CLONE_NEWIPC implies
    // CLONE_SYSVSEM, whose unshare is exit_sem()).
    if f.intersects(F::NEWIPC | F::SYSVSEM) {
        k.ipc_switch();
        k.exit_sem(tid);
    }
    if let Some(new) = new_ns {
        let mounts = if new.mnt { Some(k.copy_mounts().map_err(|e| undo(k, e))?) } else { None };
        let p = k.ns.copy(old_ns, new, mounts);
        k.cur_mut().nsproxy = p;
        k.put_nsproxy(old_ns);
    }
    if f.contains(F::NEWUSER) {
        k.cur_mut().cred = cred;
        k.ns.user.put(old_cred.user_ns);
    }
    Ok(0)
}

/// The namespace kinds setns(2) takes from a pidfd (Linux:
/// check_setns_flags()).
const SETNS_FLAGS: CloneFlags = CloneFlags::NEWNS
    .union(CloneFlags::NEWUTS)
    .union(CloneFlags::NEWIPC)
    .union(CloneFlags::NEWNET)
    .union(CloneFlags::NEWUSER)
    .union(CloneFlags::NEWTIME)
    .union(CloneFlags::NEWCGROUP)
    .union(CloneFlags::NEWPID);

/// setns(2) (Linux: kernel/nsproxy.c): join the namespace a
/// /proc/PID/ns descriptor names (`nstype` 0 or its CLONE_NEW* flag), or
/// the namespaces `nstype` names of the process a pidfd refers to, all
/// at once or none. EBADF, EINVAL for another kind of descriptor or a
/// mismatched or empty type, ESRCH for a process that has exited; a user
/// namespace first (`userns_may_install`), then EPERM without
/// CAP_SYS_ADMIN over each other namespace, then each namespace's own
/// rules (`Namespaces::install`). A PID namespace is where the caller's later
/// children go (pid_for_children); the caller keeps its own.
pub fn setns(k: &mut Kernel, fd: i32, nstype: i32) -> SysResult {
    use crate::fs::file::FileKind;
    use crate::fs::procfs::Node;
    use crate::ns::{NsRef, NsType};
    let id = k.fd_file(fd)?;
    let flags = CloneFlags::from_bits_retain(nstype as u32 as u64);
    let targets: alloc::vec::Vec<NsRef> = match k.vfs.files().get(id).kind {
        FileKind::Proc(Node::NsFile(r), _) => {
            if nstype != 0 && flags != r.ty.flag() {
                return Err(EINVAL);
            }
            alloc::vec![r]
        }
        FileKind::Pidfd { .. } => {
            if flags.is_empty() || !(flags - SETNS_FLAGS).is_empty() {
                return Err(EINVAL);
            }
            let pid = k.pidfd_target(id)?.ok_or(ESRCH)?;
            let t = &k.proc.tasks()[&pid];
            if t.is_zombie() {
                return Err(ESRCH);
            }
            let (proxy, active, user) = (t.nsproxy, k.pid_ns_of(pid), t.cred.user_ns);
            // In Linux's order of commit_nsset(): user first, then the rest.
            let kinds = [
                NsType::User,
                NsType::Mnt,
                NsType::Uts,
                NsType::Ipc,
                NsType::Pid,
                NsType::Cgroup,
                NsType::Net,
                NsType::Time,
            ];
            let mut v = alloc::vec::Vec::new();
            for ty in kinds.into_iter().filter(|ty| flags.contains(ty.flag())) {
                // The target's own PID namespace becomes the caller's
                // pid_for_children.
                v.push(k.ns.of_task(proxy, active, user, ty)?);
            }
            v
        }
        _ => return Err(EINVAL),
    };
    // The user namespace first: the others are checked with the
    // credentials it gives (Linux: commit_nsset()'s order, nsset->cred).
    let old_cred = k.cur().cred;
    let mut cred = old_cred;
    if let Some(r) = targets.iter().find(|r| r.ty == NsType::User) {
        let ns = k.ns.user.handle_of(r.id).ok_or(EINVAL)?;
        userns_may_install(k, ns)?;
        crate::ns::user::enter(&mut cred, ns);
    }
    // Every other namespace needs CAP_SYS_ADMIN in the user namespace
    // that owns it and in the caller's (Linux: each kind's install()).
    for r in targets.iter().filter(|r| r.ty != NsType::User) {
        let owner = k.ns.owner_of(r).ok_or(EINVAL)?;
        if !k.ns.user.ns_capable(&cred, owner, CAP_SYS_ADMIN) || !cred.has_cap(CAP_SYS_ADMIN) {
            return Err(EPERM);
        }
    }
    // Linux: mntns_install(): only with CAP_SYS_CHROOT too, and not while
    // the cwd and root are shared with another task (EINVAL).
    let mnt = targets.iter().any(|r| r.ty == NsType::Mnt);
    if mnt {
        if !cred.has_cap(CAP_SYS_CHROOT) {
            return Err(EPERM);
        }
        if k.vfs.fs_structs().users(k.cur().fs) > 1 {
            return Err(EINVAL);
        }
    }
    // Build the new nsproxy step by step, dropping each intermediate one;
    // a failure leaves the caller's as it was.
    // Leaving an IPC namespace applies the caller's semaphore undo list
    // (Linux: ipcns_install() → exit_sem()).
    if targets.iter().any(|r| r.ty == NsType::Ipc) {
        k.ipc_switch();
        let me = k.cur().tid;
        k.exit_sem(me);
    }
    let (old, active) = (k.cur().nsproxy, k.active_pid_ns());
    let mut p = old;
    k.ns.hold(p);
    for r in targets.into_iter().filter(|r| r.ty != NsType::User) {
        match k.ns.install(p, active, r) {
            Ok(next) => {
                k.put_nsproxy(p);
                p = next;
            }
            Err(e) => {
                k.put_nsproxy(p);
                return Err(e);
            }
        }
    }
    k.cur_mut().nsproxy = p;
    k.put_nsproxy(old);
    if cred.user_ns != old_cred.user_ns {
        k.ns.user.hold(cred.user_ns);
        k.cur_mut().cred = cred;
        k.ns.user.put(old_cred.user_ns);
    }
    if mnt {
        enter_mnt_root(k);
    }
    Ok(0)
}

/// Linux: userns_install(): not the caller's own user namespace (which
/// would give back capabilities it dropped), not from a process with
/// other threads or a shared file-system context (EINVAL), and only with
/// CAP_SYS_ADMIN in the namespace joined (EPERM).
fn userns_may_install(k: &Kernel, ns: crate::ns::UserNsId) -> SysResult<()> {
    let t = k.cur();
    if ns == t.cred.user_ns || k.sig.signals().get(t.signal).threads.len() > 1 || k.vfs.fs_structs().users(t.fs) > 1 {
        return Err(EINVAL);
    }
    if !k.ns.user.ns_capable(&t.cred, ns, CAP_SYS_ADMIN) {
        return Err(EPERM);
    }
    Ok(())
}

/// After joining a mount namespace the caller's root and cwd are that
/// namespace's root (Linux: the end of mntns_install()).
fn enter_mnt_root(k: &mut Kernel) {
    k.mnt_switch();
    let root = k.vfs.fs().mounts.root_mount().root;
    let fs = k.cur().fs;
    for _ in 0..2 {
        if k.vfs.fs_mut().ihold(root).is_err() {
            return;
        }
    }
    let cwd = crate::fs::namei::Held::ram(crate::fs::root::root_pos(k.vfs.fs(), &k.vfs.fs().mounts, root).into());
    let info = k.vfs.fs_structs_mut().get_mut(fs);
    let (old_cwd, old_root) = (info.cwd, info.root);
    (info.cwd, info.root) = (cwd, root);
    k.vfs.fs_mut().iput(old_cwd.ino);
    k.vfs.fs_mut().iput(old_root);
}

/// The nsfs ioctls (Linux: fs/nsfs.c ns_ioctl()).
const NS_GET_USERNS: u32 = 0xb701;
const NS_GET_PARENT: u32 = 0xb702;
const NS_GET_NSTYPE: u32 = 0xb703;
const NS_GET_OWNER_UID: u32 = 0xb704;

/// ioctl(2) on a /proc/PID/ns descriptor open on namespace `r`: its kind
/// (NS_GET_NSTYPE), a descriptor for the user namespace that owns it
/// (NS_GET_USERNS) or for the namespace above it (NS_GET_PARENT: PID and
/// user namespaces only, EINVAL for the others), each EPERM when that
/// namespace lies outside the caller's; a user namespace's creator's uid
/// (NS_GET_OWNER_UID). Linux: ns_ioctl(), open_related_ns().
pub fn ns_ioctl(k: &mut Kernel, r: crate::ns::NsRef, view: crate::ns::PidNsId, cmd: u32, arg: u64) -> SysResult {
    use crate::ns::{NsRef, NsType};
    let me = k.cur().cred.user_ns;
    let user_ref = |k: &Kernel, ns: crate::ns::UserNsId| -> SysResult<NsRef> {
        if !k.ns.user.is_within(ns, me) {
            return Err(EPERM);
        }
        Ok(NsRef { ty: NsType::User, id: ns.raw(), inum: k.ns.user.inum(ns) })
    };
    let related = match cmd {
        NS_GET_NSTYPE => return Ok(r.ty.flag().bits() as usize),
        NS_GET_OWNER_UID => {
            let ns = k.ns.user.handle_of(r.id).filter(|_| r.ty == NsType::User).ok_or(EINVAL)?;
            let uid = k.id_to_user(crate::ns::user::IdKind::Uid, k.ns.user.owner(ns));
            k.write_val(arg, &uid)?;
            return Ok(0);
        }
        NS_GET_USERNS => user_ref(k, k.ns.owner_of(&r).ok_or(EPERM)?)?,
        NS_GET_PARENT => match r.ty {
            NsType::User => {
                let ns = k.ns.user.handle_of(r.id).ok_or(EINVAL)?;
                user_ref(k, k.ns.user.parent(ns).ok_or(EPERM)?)?
            }
            NsType::Pid | NsType::PidForChildren => {
                let ns = k.ns.pid.handle_of(r.id).ok_or(EINVAL)?;
                let parent = k.ns.pid.get(ns).parent();
                if parent.is_unset() || !k.ns.pid.is_within(parent, k.active_pid_ns()) {
                    return Err(EPERM);
                }
                NsRef { ty: NsType::Pid, id: parent.raw(), inum: k.ns.pid.get(parent).inum() }
            }
            _ => return Err(EINVAL),
        },
        _ => return Err(ENOTTY),
    };
    k.ns.hold_ref(&related);
    let node = crate::fs::procfs::Node::NsFile(related);
    let f = k.vfs.files_mut().open(crate::fs::file::FileKind::Proc(node, view), O_RDONLY, None);
    k.install_fd(f, true, 0)
}
