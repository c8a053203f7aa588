//! Capabilities: root's powers split into bits, held per task in five
//! sets, and the rules by which set*id calls and execve change them
//! (Linux: kernel/capability.c, security/commoncap.c, capabilities(7)).
//!
//! Tine has no file capabilities (no security.capability attributes), so
//! an exec grants capabilities only through root's special case: running
//! as (or set-user-ID to) the root of the task's user namespace. Which
//! namespace a capability holds in is `ns::user`'s (`ns_capable`).

use super::Cred;

pub const CAP_CHOWN: u32 = 0;
pub const CAP_DAC_OVERRIDE: u32 = 1;
pub const CAP_DAC_READ_SEARCH: u32 = 2;
pub const CAP_FOWNER: u32 = 3;
pub const CAP_FSETID: u32 = 4;
pub const CAP_KILL: u32 = 5;
pub const CAP_SETGID: u32 = 6;
pub const CAP_SETUID: u32 = 7;
pub const CAP_SETPCAP: u32 = 8;
pub const CAP_LINUX_IMMUTABLE: u32 = 9;
pub const CAP_IPC_LOCK: u32 = 14;
pub const CAP_IPC_OWNER: u32 = 15;
pub const CAP_SYS_CHROOT: u32 = 18;
pub const CAP_SYS_PTRACE: u32 = 19;
pub const CAP_SYS_ADMIN: u32 = 21;
pub const CAP_SYS_BOOT: u32 = 22;
pub const CAP_SYS_NICE: u32 = 23;
pub const CAP_SYS_RESOURCE: u32 = 24;
pub const CAP_SYS_TTY_CONFIG: u32 = 26;
pub const CAP_MKNOD: u32 = 27;
pub const CAP_LEASE: u32 = 28;
pub const CAP_SETFCAP: u32 = 31;
pub const CAP_SYSLOG: u32 = 34;
pub const CAP_CHECKPOINT_RESTORE: u32 = 40;
/// The highest capability number (Linux 5.9 on: CAP_CHECKPOINT_RESTORE).
pub const CAP_LAST_CAP: u32 = 40;
/// Every capability. Linux: `CAP_FULL_SET`.
pub const CAP_FULL_SET: u64 = (1 << (CAP_LAST_CAP + 1)) - 1;

/// The capabilities a change of the fs uid between 0 and non-zero adds or
/// takes away. Linux: `CAP_FS_MASK` (include/linux/capability.h).
pub const CAP_FS_MASK: u64 = 1 << CAP_CHOWN
    | 1 << CAP_DAC_OVERRIDE
    | 1 << CAP_DAC_READ_SEARCH
    | 1 << CAP_FOWNER
    | 1 << CAP_FSETID
    | 1 << CAP_LINUX_IMMUTABLE
    | 1 << CAP_MKNOD;

/// securebits (prctl PR_SET_SECUREBITS); only KEEP_CAPS is used, through
/// PR_SET_KEEPCAPS. Linux: include/uapi/linux/securebits.h.
pub const SECBIT_KEEP_CAPS: u32 = 1 << 4;
pub const SECBIT_KEEP_CAPS_LOCKED: u32 = 1 << 5;
pub const SECBIT_NO_SETUID_FIXUP: u32 = 1 << 2;

/// The capability sets of a task. Linux: the `cap_*` fields of `struct cred`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Caps {
    pub inheritable: u64,
    pub permitted: u64,
    pub effective: u64,
    pub bset: u64,
    pub ambient: u64,
    pub securebits: u32,
}

impl Caps {
    /// init's: everything permitted and effective. Linux: `init_cred`.
    pub const ROOT: Caps = Caps {
        inheritable: 0,
        permitted: CAP_FULL_SET,
        effective: CAP_FULL_SET,
        bset: CAP_FULL_SET,
        ambient: 0,
        securebits: 0,
    };
}

/// Does a capability set hold `cap`?
pub fn has(set: u64, cap: u32) -> bool {
    set & (1 << cap) != 0
}

impl Cred {
    /// Linux: `capable()`: the capability in the initial user namespace,
    /// which only a task of that namespace can hold; the effective set
    /// decides, not the uid. Checks on what a namespace owns ask
    /// `UserNamespaces::ns_capable` instead.
    pub fn capable(&self, cap: u32) -> bool {
        self.user_ns == crate::ns::INIT_USER_NS && has(self.caps.effective, cap)
    }

    /// Linux: `ns_capable(current_user_ns(), cap)`: the capability in the
    /// task's own user namespace (set*id, setgroups, capset), which its
    /// effective set alone decides.
    pub fn has_cap(&self, cap: u32) -> bool {
        has(self.caps.effective, cap)
    }

    /// Is `gid` the fs group or a supplementary one? Linux: `in_group_p()`
    /// takes the groups from `current_cred()`; Tine keeps them in the task.
    pub fn in_group(&self, gid: u32, groups: &[u32]) -> bool {
        self.fsgid == gid || groups.binary_search(&gid).is_ok()
    }
}

/// Which ids a set*id call changed, for [`fix_setuid`]. Linux: the
/// `LSM_SETID_*` flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetId {
    /// setuid, setreuid, setresuid: real, effective and saved ids.
    Res,
    /// setfsuid.
    Fs,
}

/// Capabilities follow uid changes, so that a root process that becomes an
/// ordinary user stops being root in every sense. Linux:
/// cap_task_fix_setuid() with cap_emulate_setxuid(), called on the new
/// credentials after the ids are in place.
///
/// `root` is the kernel uid of the root of the task's user namespace
/// (None if it has none), which plays uid 0's part here.
pub fn fix_setuid(new: &mut Cred, old: &Cred, how: SetId, root: Option<u32>) {
    if new.caps.securebits & SECBIT_NO_SETUID_FIXUP != 0 {
        return;
    }
    let root = root.unwrap_or(u32::MAX);
    // An id that is not a valid uid never matches.
    let is_root = |id: u32| root != u32::MAX && id == root;
    match how {
        SetId::Res => {
            let had_root = is_root(old.uid) || is_root(old.euid) || is_root(old.suid);
            let has_root = is_root(new.uid) || is_root(new.euid) || is_root(new.suid);
            // Losing uid 0 in all three drops permitted and effective
            // capabilities (and ambient), unless KEEP_CAPS asks to keep
            // the permitted ones.
            if had_root && !has_root {
                if new.caps.securebits & SECBIT_KEEP_CAPS == 0 {
                    new.caps.permitted = 0;
                    new.caps.effective = 0;
                }
                new.caps.ambient = 0;
            }
            // An effective uid leaving 0 clears the effective set even
            // with KEEP_CAPS; coming back to 0 restores it from permitted.
            if is_root(old.euid) && !is_root(new.euid) {
                new.caps.effective = 0;
            }
            if !is_root(old.euid) && is_root(new.euid) {
                new.caps.effective = new.caps.permitted;
            }
        }
        SetId::Fs => {
            // Only the file-system capabilities follow the fs uid.
            if is_root(old.fsuid) && !is_root(new.fsuid) {
                new.caps.effective &= !CAP_FS_MASK;
            }
            if !is_root(old.fsuid) && is_root(new.fsuid) {
                new.caps.effective |= new.caps.permitted & CAP_FS_MASK;
            }
        }
    }
}

/// The credentials a program starts with. `old` are the caller's and
/// `groups` its supplementary groups; `file_uid`, `file_gid` and
/// `file_mode` describe the program file.
/// Returns them and whether the program runs in secure mode (AT_SECURE).
///
/// Linux: bprm_fill_uid() (set-user-ID and set-group-ID bits) then
/// cap_bprm_creds_from_file() without file capabilities: uid 0 (real, or
/// effective after the set-user-ID bit) gets every capability in the
/// bounding set permitted, effective when the effective uid is 0;
/// anyone else keeps only the ambient set. The saved and fs ids follow
/// the effective ones. `no_new_privs` and ptrace, which may refuse the
/// id change, do not exist in Tine.
///
/// In a user namespace, "root" is the kernel uid its uid 0 maps to
/// (`ns.root`, None without one), and the set-id bits count only when the
/// file's owner and group both have a mapping there (`ns.file_ids_mapped`).
pub fn bprm_creds(
    old: &Cred,
    groups: &[u32],
    file_uid: u32,
    file_gid: u32,
    file_mode: u32,
    ns: ExecNs,
) -> (Cred, bool) {
    use crate::abi::{S_ISGID, S_ISUID, S_IXGRP};
    let mut new = *old;
    if ns.file_ids_mapped && file_mode & S_ISUID != 0 {
        new.euid = file_uid;
    }
    // Set-group-ID without group execute marks mandatory locking, not a
    // set-group-ID program.
    if ns.file_ids_mapped && file_mode & (S_ISGID | S_IXGRP) == S_ISGID | S_IXGRP {
        new.egid = file_gid;
    }
    let is_root = |id: u32| ns.root == Some(id);
    // Without file capabilities the file grants nothing, except to root.
    let mut caps = new.caps;
    caps.permitted = 0;
    let mut effective = false;
    if is_root(new.uid) || is_root(new.euid) {
        // Root runs every program as if it had every capability, up to
        // the bounding set. Linux: handle_privileged_root().
        caps.permitted = caps.bset | caps.inheritable;
        effective = is_root(new.euid);
    }
    let setid = new.euid != old.uid || new.egid != old.gid;
    // A set-id program starts without ambient capabilities.
    if setid {
        caps.ambient = 0;
    }
    caps.permitted |= caps.ambient;
    caps.effective = if effective { caps.permitted } else { caps.ambient };
    // PR_SET_KEEPCAPS lasts until the next exec.
    caps.securebits &= !SECBIT_KEEP_CAPS;
    new.caps = caps;
    new.suid = new.euid;
    new.fsuid = new.euid;
    new.sgid = new.egid;
    new.fsgid = new.egid;
    // Secure mode when the ids change (from the real ones, or the
    // effective uid at all, or to a group the caller is not in), or when a
    // caller that is not real root gains capabilities beyond the ambient
    // ones; so even root with effective uid 1000 running a set-user-ID
    // root program.
    let id_changed = new.euid != old.euid || !old.in_group(new.egid, groups);
    let grew = caps.permitted & !caps.ambient != 0;
    (new, id_changed || setid || (!is_root(new.uid) && (effective || grew)))
}

/// What exec needs to know of the user namespace of the credentials it
/// changes (see [`bprm_creds`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExecNs {
    /// The kernel uid of the namespace's root, None if it maps no uid 0.
    pub root: Option<u32>,
    /// Whether the program file's owner and group have mappings there.
    pub file_ids_mapped: bool,
}

impl ExecNs {
    /// The initial user namespace: uid 0 is root, every id is mapped.
    pub const INIT: ExecNs = ExecNs { root: Some(0), file_ids_mapped: true };
}

/// Which of the caller's credentials a ptrace access check compares
/// (Linux: PTRACE_MODE_FSCREDS and PTRACE_MODE_REALCREDS). Reading and
/// attaching (PTRACE_MODE_READ, _ATTACH) differ only to security modules,
/// which Tine does not have, so the mode is only this.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PtraceCreds {
    /// The fs ids and the effective set: /proc/PID files.
    Fs,
    /// The real ids and the permitted set: ptrace(2), process_vm_*,
    /// kcmp(2).
    Real,
}

/// May a task with credentials `me` look inside one with `them` (its
/// memory, environment, descriptors, or attach to it), when they are not
/// threads of one process? The caller must be the target's user in all of
/// its real, effective and saved ids (compared with the caller's fs or
/// real ids, as `creds` says), or hold CAP_SYS_PTRACE in the target's
/// user namespace; a target that is not dumpable needs that capability
/// too, in the user namespace of the target's memory (the one it last
/// ran execve in, which an unshare or setns since has not changed); and
/// a target in the caller's own namespace may hold no capability the
/// caller lacks (effective or permitted set), unless the caller has
/// that capability again. The creator of a user namespace holds it over
/// every process inside.
///
/// Linux: __ptrace_may_access() (ptrace_has_cap(mm->user_ns) for a
/// non-dumpable target) and cap_ptrace_access_check() (no YAMA).
pub fn ptrace_may_access(me: &Cred, them: &Cred, users: &crate::ns::UserNamespaces, creds: PtraceCreds) -> bool {
    let has_cap = || users.ns_capable(me, them.user_ns, CAP_SYS_PTRACE);
    let (uid, gid, caps) = match creds {
        PtraceCreds::Fs => (me.fsuid, me.fsgid, me.caps.effective),
        PtraceCreds::Real => (me.uid, me.gid, me.caps.permitted),
    };
    let same_user = [them.uid, them.euid, them.suid].iter().all(|&u| u == uid)
        && [them.gid, them.egid, them.sgid].iter().all(|&g| g == gid);
    if !same_user && !has_cap() {
        return false;
    }
    if !them.dumpable && !users.ns_capable(me, them.mm_user_ns, CAP_SYS_PTRACE) {
        return false;
    }
    (me.user_ns == them.user_ns && them.caps.permitted & !caps == 0) || has_cap()
}

/// Host tests: the credentials of an ordinary user `uid` (group `uid`,
/// no capabilities).
#[cfg(test)]
pub(crate) fn test_user(uid: u32) -> Cred {
    let mut c = Cred::default();
    (c.uid, c.euid, c.suid, c.fsuid) = (uid, uid, uid, uid);
    (c.gid, c.egid, c.sgid, c.fsgid) = (uid, uid, uid, uid);
    c.caps.permitted = 0;
    c.caps.effective = 0;
    c
}

#[cfg(test)]
mod tests {
    use super::test_user as user;
    use super::*;

    #[test]
    fn dropping_root_clears_caps_unless_keepcaps() {
        let old = Cred::default();
        let mut new = user(1000);
        new.caps = old.caps;
        fix_setuid(&mut new, &old, SetId::Res, Some(0));
        assert_eq!((new.caps.permitted, new.caps.effective), (0, 0));

        let mut old = Cred::default();
        old.caps.securebits = SECBIT_KEEP_CAPS;
        let mut new = user(1000);
        new.caps = old.caps;
        fix_setuid(&mut new, &old, SetId::Res, Some(0));
        assert_eq!((new.caps.permitted, new.caps.effective), (CAP_FULL_SET, 0));
    }

    #[test]
    fn seteuid_round_trip_restores_effective() {
        let old = Cred::default();
        let mut mid = old;
        mid.euid = 1000;
        mid.fsuid = 1000;
        fix_setuid(&mut mid, &old, SetId::Res, Some(0));
        assert_eq!(mid.caps.effective, 0);
        assert_eq!(mid.caps.permitted, CAP_FULL_SET, "real uid 0 keeps permitted");
        let mut back = mid;
        back.euid = 0;
        back.fsuid = 0;
        fix_setuid(&mut back, &mid, SetId::Res, Some(0));
        assert_eq!(back.caps.effective, CAP_FULL_SET);
    }

    #[test]
    fn setfsuid_moves_only_fs_caps() {
        let old = Cred::default();
        let mut new = old;
        new.fsuid = 1000;
        fix_setuid(&mut new, &old, SetId::Fs, Some(0));
        assert_eq!(new.caps.effective, CAP_FULL_SET & !CAP_FS_MASK);
        assert!(!new.capable(CAP_DAC_OVERRIDE) && new.capable(CAP_KILL));
    }

    #[test]
    fn exec_of_setuid_root_gives_full_caps_and_secure() {
        let (new, secure) = bprm_creds(&user(1000), &[], 0, 0, crate::abi::S_ISUID | 0o755, ExecNs::INIT);
        assert_eq!((new.uid, new.euid, new.suid, new.fsuid), (1000, 0, 0, 0));
        assert_eq!(new.caps.effective, CAP_FULL_SET);
        assert!(secure);
    }

    #[test]
    fn exec_by_non_root_has_no_caps_and_setuid_other_changes_ids() {
        let (new, secure) = bprm_creds(&user(1000), &[], 1234, 0, crate::abi::S_ISUID | 0o755, ExecNs::INIT);
        assert_eq!((new.euid, new.suid, new.caps.permitted), (1234, 1234, 0));
        assert!(secure);
        let (plain, secure) = bprm_creds(&user(1000), &[], 0, 0, 0o755, ExecNs::INIT);
        assert_eq!((plain.euid, secure), (1000, false));
    }

    #[test]
    fn ptrace_access_needs_same_user_or_cap() {
        let users = crate::ns::UserNamespaces::default();
        let may = |me: &Cred, them: &Cred| ptrace_may_access(me, them, &users, PtraceCreds::Fs);
        let root = Cred::default();
        let u = user(1000);
        assert!(!may(&u, &root));
        assert!(may(&root, &u));
        assert!(may(&u, &u));
        let mut nondump = u;
        nondump.dumpable = false;
        assert!(!may(&u, &nondump));
        let mut other = u;
        other.suid = 2000;
        assert!(!may(&u, &other), "saved uid differs");
        // Real ids for attaching: an fs uid of the target's is not enough.
        let mut fs_only = user(2000);
        fs_only.fsuid = 1000;
        fs_only.fsgid = 1000;
        assert!(ptrace_may_access(&fs_only, &u, &users, PtraceCreds::Fs));
        assert!(!ptrace_may_access(&fs_only, &u, &users, PtraceCreds::Real));
    }

    #[test]
    fn ptrace_in_user_namespaces() {
        use crate::ns::user::{enter, IdKind, UserNamespaces};
        let mut users = UserNamespaces::default();
        let mut creator = Cred::default();
        let u = user(1000);
        let ns = users.create(&u, false, 1).unwrap();
        users.write_map(ns, IdKind::Uid, &creator, b"0 1000 2").unwrap();
        users.write_map(ns, IdKind::Gid, &creator, b"0 1000 2").unwrap();
        let mut ns_root = u;
        enter(&mut ns_root, ns);
        let may = |me: &Cred, them: &Cred| ptrace_may_access(me, them, &users, PtraceCreds::Real);
        // Its own uid outside, but another namespace and no capability
        // in the initial one.
        assert!(!may(&ns_root, &u));
        assert!(!may(&ns_root, &Cred::default()));
        // Another uid inside, even not dumpable when it ran execve
        // inside: CAP_SYS_PTRACE there.
        let mut child = user(1001);
        child.user_ns = ns;
        child.mm_user_ns = ns;
        child.dumpable = false;
        assert!(may(&ns_root, &child));
        // The creator outside holds it there too; another user does not.
        assert!(may(&u, &child));
        assert!(!may(&user(1002), &child));
        // Not dumpable, its memory from before it entered the namespace:
        // the capability counts in the namespace of the memory.
        let mut unshared = ns_root;
        assert_eq!(unshared.mm_user_ns, crate::ns::INIT_USER_NS);
        assert!(may(&ns_root, &unshared), "dumpable: same user, same capabilities");
        unshared.dumpable = false;
        assert!(!may(&ns_root, &unshared));
        assert!(may(&Cred::default(), &unshared));
        unshared.mm_user_ns = ns;
        assert!(may(&ns_root, &unshared), "exec'd inside");
        // A capability in the initial namespace reaches everything.
        creator.user_ns = crate::ns::INIT_USER_NS;
        assert!(may(&creator, &ns_root));
        users.put(ns);
    }

    #[test]
    fn exec_by_root_with_nonroot_euid_keeps_permitted_not_effective() {
        let mut c = Cred { euid: 1000, ..Cred::default() };
        c.caps.effective = 0;
        let (new, _) = bprm_creds(&c, &[], 0, 0, 0o755, ExecNs::INIT);
        assert_eq!((new.caps.permitted, new.caps.effective), (CAP_FULL_SET, 0));
    }
}
