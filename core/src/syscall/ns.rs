//! Namespaces: unshare(2), and the calls that change what a namespace
//! holds (sethostname, setdomainname). Linux: kernel/fork.c ksys_unshare(),
//! kernel/sys.c sethostname()/setdomainname().

use crate::abi::*;
use crate::kernel::Kernel;
use crate::ns::UTS_LEN;
use crate::proc::capability::CAP_SYS_ADMIN;
use crate::proc::fork::{copy_fs, new_namespaces};

/// sethostname(2) and setdomainname(2): the name of the caller's UTS
/// namespace. EPERM without CAP_SYS_ADMIN, EINVAL past 64 bytes, EFAULT
/// for a bad buffer, in Linux's order.
pub fn set_uts_name(k: &mut Kernel, domain: bool, name: u64, len: u64) -> SysResult {
    if !k.cur().cred.capable(CAP_SYS_ADMIN) {
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
    let (tid, old_fs, old_ns) = (t.tid, t.fs, t.nsproxy);
    // A kernel without user namespaces (Linux: unshare_userns() with
    // CONFIG_USER_NS=n).
    if f.contains(F::NEWUSER) {
        return Err(EINVAL);
    }
    let new_ns = if f.intersects(F::NEW_NAMESPACES) { Some(new_namespaces(k, f)?) } else { None };
    // Nothing can fail from here on.
    if f.contains(F::FS) && k.vfs.fs_structs().users(old_fs) > 1 {
        let fs = copy_fs(k, F::empty())?;
        k.cur_mut().fs = fs;
        k.put_fs(old_fs);
    }
    if f.contains(F::FILES) {
        crate::proc::exec::unshare_files(k, tid);
    }
    if let Some(new) = new_ns {
        let p = k.ns.copy(old_ns, new);
        k.cur_mut().nsproxy = p;
        k.ns.put(old_ns);
    }
    Ok(0)
}
