//! User namespaces (Linux: kernel/user_namespace.c, the namespace half of
//! kernel/capability.c; user_namespaces(7)).
//!
//! Credentials keep *kernel* ids, the ids of the initial user namespace
//! (Linux's kuid_t and kgid_t), so that every comparison inside the kernel
//! (file owners, signal permission, IPC owners) needs no translation. A
//! user namespace maps ranges of its own ids onto kernel ids (uid_map and
//! gid_map, written once through /proc/PID/*_map); ids cross the system
//! call boundary through the caller's namespace: `from_kuid` going out
//! (an id with no mapping reads as the overflow id 65534), `make_kuid`
//! coming in (an id with no mapping is EINVAL).
//!
//! A task's capabilities hold in its own user namespace and in those its
//! namespace's user created below it ([`UserNamespaces::ns_capable`]);
//! every other namespace (UTS, IPC, mount, PID) records the user namespace
//! that owns it, in which a change to it asks for CAP_SYS_ADMIN.
//!
//! The initial user namespace is not in the table: it is the unset handle
//! ([`INIT_USER_NS`]), so that the default credentials name it and holding
//! or dropping it costs nothing, as Linux's static init_user_ns.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt::Write;

use crate::abi::{Errno, EINVAL, ENOSPC, EPERM};
use crate::object::shared::{Handle, SharedTable};
use crate::proc::capability::{has, CAP_SETGID, CAP_SETUID, CAP_SYS_ADMIN};
use crate::proc::Cred;

/// How deep user namespaces nest: a namespace at this level may still
/// have children (Linux: create_user_ns()'s `parent_ns->level > 32`).
pub const MAX_USER_NS_LEVEL: u32 = 32;
/// The most lines a map may have (Linux: UID_GID_MAP_MAX_EXTENTS).
pub const MAP_MAX_EXTENTS: usize = 340;
/// Maps with more extents than this are kept sorted, and shown so
/// (Linux: UID_GID_MAP_MAX_BASE_EXTENTS).
const MAP_MAX_BASE_EXTENTS: usize = 5;
/// What an id without a mapping reads as (Linux: overflowuid and
/// overflowgid, /proc/sys/kernel/overflow{u,g}id).
pub const OVERFLOW_ID: u32 = 65534;
/// "No id": the one number no map may name (Linux: (u32)-1).
const INVALID: u32 = u32::MAX;
/// Linux: PROC_USER_INIT_INO.
pub const USER_INIT_INO: u32 = 0xEFFF_FFFD;

/// One line of a map: `count` ids from `first` in the namespace are the
/// kernel ids from `lower` (Linux: struct uid_gid_extent, whose
/// lower_first is stored translated to the kernel's ids).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Extent {
    first: u32,
    lower: u32,
    count: u32,
}

/// A uid_map or gid_map (Linux: struct uid_gid_map); empty until written.
#[derive(Clone, Debug, Default)]
struct IdMap {
    extents: Vec<Extent>,
}

impl IdMap {
    /// The kernel id of namespace id `id` (Linux: map_id_down()).
    fn down(&self, id: u32) -> Option<u32> {
        self.range_down(id, 1)
    }

    /// The kernel id of the first of `count` ids from `id`, all inside
    /// one extent (Linux: map_id_range_down()).
    fn range_down(&self, id: u32, count: u32) -> Option<u32> {
        let last = id.checked_add(count - 1)?;
        self.extents.iter().find(|e| id >= e.first && last <= e.first + (e.count - 1)).map(|e| id - e.first + e.lower)
    }

    /// The namespace id of kernel id `kid` (Linux: map_id_up()).
    fn up(&self, kid: u32) -> Option<u32> {
        self.extents.iter().find(|e| kid >= e.lower && kid <= e.lower + (e.count - 1)).map(|e| kid - e.lower + e.first)
    }

    /// Whether some extent of `extents` maps kernel id `kid`.
    fn reaches(extents: &[Extent], kid: u32) -> bool {
        extents.iter().any(|e| kid >= e.lower && kid <= e.lower + (e.count - 1))
    }
}

/// Which of a namespace's maps (and the capability that writes it freely).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdKind {
    Uid,
    Gid,
}

/// One user namespace (Linux: struct user_namespace).
#[derive(Debug)]
pub struct UserNamespace {
    /// The namespace above, held by this one.
    parent: UserNsId,
    level: u32,
    /// The effective uid of its creator, as a kernel id (Linux: owner).
    owner: u32,
    uid_map: IdMap,
    gid_map: IdMap,
    /// /proc/PID/setgroups: "allow" until "deny" is written (Linux:
    /// USERNS_SETGROUPS_ALLOWED, inherited from the parent).
    setgroups_allowed: bool,
    inum: u32,
    /// The kernel ids both maps reach, shared with every file-access
    /// credential made in the namespace; rebuilt when a map is written.
    scope: Arc<IdScope>,
    /// /proc/sys/user/max_*_namespaces as seen inside: how many
    /// namespaces of each kind each user may have made in it (Linux:
    /// ucount_max[]).
    max: [u32; UCOUNTS],
}

/// The kinds of namespace /proc/sys/user limits, in Linux's order
/// (enum ucount_type; Tine has no network, cgroup or time namespaces to
/// make).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Ucount {
    User,
    Pid,
    Uts,
    Ipc,
    Mnt,
}

const UCOUNTS: usize = 5;

/// The kernel ids a user namespace maps, as file access asks about them:
/// a capability held there counts over an inode only when its owner and
/// group are in here (Linux: privileged_wrt_inode_uidgid()). Every map
/// line keeps its lower ids as kernel ids, so a nested namespace's scope
/// is its own maps' lower ranges.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct IdScope {
    uids: Vec<Extent>,
    gids: Vec<Extent>,
}

impl IdScope {
    /// Whether kernel uid `kuid` has a name in the namespace (Linux:
    /// kuid_has_mapping()).
    pub fn maps_uid(&self, kuid: u32) -> bool {
        IdMap::reaches(&self.uids, kuid)
    }

    /// Whether kernel gid `kgid` has a name in the namespace.
    pub fn maps_gid(&self, kgid: u32) -> bool {
        IdMap::reaches(&self.gids, kgid)
    }
}

pub type UserNsId = Handle<UserNamespace>;

/// The initial user namespace (Linux: init_user_ns).
pub const INIT_USER_NS: UserNsId = Handle::UNSET;

/// Every user namespace below the initial one.
#[derive(Default)]
pub struct UserNamespaces {
    table: SharedTable<UserNamespace>,
    /// The credentials each open uid_map and gid_map was opened with, by
    /// open file; each holds its user namespace.
    openers: BTreeMap<u32, Cred>,
    /// The initial namespace's limits; None until the boot sets them
    /// (Linux: init_user_ns.ucount_max[], max_threads / 2).
    init_max: Option<[u32; UCOUNTS]>,
    /// How many namespaces of a kind live that each (namespace, kernel
    /// uid) made, by the namespace's handle number, counted in every
    /// ancestor too (Linux: struct ucounts).
    made: BTreeMap<(u32, u32, Ucount), u32>,
    /// Who each live namespace but a user namespace is charged to, by its
    /// kind and inode number: the user namespace that owns it and its
    /// maker's euid (Linux: e.g. uts_namespace.ucounts).
    charged: BTreeMap<(Ucount, u32), (UserNsId, u32)>,
}

/// The limit a new namespace starts with (Linux: INT_MAX).
pub const MAX_USER_NS_UNLIMITED: u32 = i32::MAX as u32;

impl UserNamespaces {
    /// Another user of `ns` (Linux: get_user_ns()).
    pub fn hold(&mut self, ns: UserNsId) {
        if ns != INIT_USER_NS {
            self.table.hold(ns);
        }
    }

    /// Drop one user of `ns`; the last one lets go of its parent too
    /// (Linux: put_user_ns() → free_user_ns()).
    pub fn put(&mut self, mut ns: UserNsId) {
        while ns != INIT_USER_NS {
            match self.table.put(ns) {
                Some(gone) => {
                    // Its parent is alive still: the last put follows.
                    self.uncharge(gone.parent, gone.owner, Ucount::User);
                    ns = gone.parent;
                }
                None => break,
            }
        }
    }

    /// The counts a namespace made in `ns` by kernel uid `uid` charges:
    /// (`ns`, `uid`), then the namespace that made `ns` and its owner, up
    /// to the initial one (Linux: inc_ucount()'s walk).
    fn charges(&self, mut ns: UserNsId, mut uid: u32) -> Vec<(UserNsId, u32)> {
        let mut keys = Vec::new();
        loop {
            keys.push((ns, uid));
            if ns == INIT_USER_NS {
                return keys;
            }
            let n = self.table.get(ns);
            (ns, uid) = (n.parent, n.owner);
        }
    }

    /// Whether kernel uid `uid` may make one more namespace of `kind` in
    /// `ns`: below the limit there and, for the makers of the namespaces
    /// above, in theirs (Linux: inc_ucount(); ENOSPC).
    pub fn may_charge(&self, ns: UserNsId, uid: u32, kind: Ucount) -> Result<(), Errno> {
        for (at, who) in self.charges(ns, uid) {
            if self.made.get(&(at.raw(), who, kind)).copied().unwrap_or(0) >= self.max(at, kind) {
                return Err(ENOSPC);
            }
        }
        Ok(())
    }

    /// Count one more namespace of `kind` made in `ns` by `uid` (the
    /// caller asked [`Self::may_charge`]).
    fn charge(&mut self, ns: UserNsId, uid: u32, kind: Ucount) {
        for (at, who) in self.charges(ns, uid) {
            *self.made.entry((at.raw(), who, kind)).or_insert(0) += 1;
        }
    }

    fn uncharge(&mut self, ns: UserNsId, uid: u32, kind: Ucount) {
        for (at, who) in self.charges(ns, uid) {
            let key = (at.raw(), who, kind);
            if let Some(n) = self.made.get_mut(&key) {
                *n -= 1;
                if *n == 0 {
                    self.made.remove(&key);
                }
            }
        }
    }

    /// A namespace of `kind` (not a user namespace) with inode number
    /// `inum` was made in `ns` by kernel uid `uid`: count it until
    /// [`Self::release`] (the caller asked [`Self::may_charge`]).
    pub fn charge_ns(&mut self, kind: Ucount, inum: u32, ns: UserNsId, uid: u32) {
        self.charge(ns, uid, kind);
        self.charged.insert((kind, inum), (ns, uid));
    }

    /// The namespace of `kind` with inode number `inum` has gone. Its
    /// owner is alive still (the namespace held it until now).
    pub fn release(&mut self, kind: Ucount, inum: u32) {
        if let Some((ns, uid)) = self.charged.remove(&(kind, inum)) {
            self.uncharge(ns, uid, kind);
        }
    }

    /// max_<kind>_namespaces in `ns`.
    pub fn max(&self, ns: UserNsId, kind: Ucount) -> u32 {
        if ns == INIT_USER_NS {
            self.init_max.map_or(MAX_USER_NS_UNLIMITED, |m| m[kind as usize])
        } else {
            self.table.get(ns).max[kind as usize]
        }
    }

    /// Set max_<kind>_namespaces in `ns` (the caller checked the range
    /// and CAP_SYS_RESOURCE there).
    pub fn set_max(&mut self, ns: UserNsId, kind: Ucount, max: u32) {
        if ns == INIT_USER_NS {
            self.init_max.get_or_insert([MAX_USER_NS_UNLIMITED; UCOUNTS])[kind as usize] = max;
        } else {
            self.table.get_mut(ns).max[kind as usize] = max;
        }
    }

    /// The boot's default for the initial namespace, unless set already.
    pub fn init_limits(&mut self, max: u32) {
        self.init_max.get_or_insert([max; UCOUNTS]);
    }

    /// The namespace whose handle number is `raw`, if it is alive (0 is
    /// the initial one).
    pub fn handle_of(&self, raw: u32) -> Option<UserNsId> {
        if raw == 0 {
            Some(INIT_USER_NS)
        } else {
            self.table.handle_of(raw)
        }
    }

    /// Live user namespaces below the initial one, for the leak checks.
    pub fn count(&self) -> usize {
        self.table.len()
    }

    pub fn level(&self, ns: UserNsId) -> u32 {
        if ns == INIT_USER_NS {
            0
        } else {
            self.table.get(ns).level
        }
    }

    /// The namespace above `ns` (None for the initial one).
    pub fn parent(&self, ns: UserNsId) -> Option<UserNsId> {
        (ns != INIT_USER_NS).then(|| self.table.get(ns).parent)
    }

    /// The kernel uid of `ns`'s creator (0 for the initial one).
    pub fn owner(&self, ns: UserNsId) -> u32 {
        if ns == INIT_USER_NS {
            0
        } else {
            self.table.get(ns).owner
        }
    }

    /// The kernel ids namespace `ns` maps, None for the initial one
    /// (which maps them all).
    pub fn scope(&self, ns: UserNsId) -> Option<Arc<IdScope>> {
        (ns != INIT_USER_NS).then(|| self.table.get(ns).scope.clone())
    }

    /// The inode number of /proc/PID/ns/user.
    pub fn inum(&self, ns: UserNsId) -> u32 {
        if ns == INIT_USER_NS {
            USER_INIT_INO
        } else {
            self.table.get(ns).inum
        }
    }

    /// Whether `ns` is `ancestor` or lies below it (Linux:
    /// in_userns(ancestor, ns)).
    pub fn is_within(&self, mut ns: UserNsId, ancestor: UserNsId) -> bool {
        loop {
            if ns == ancestor {
                return true;
            }
            match self.parent(ns) {
                Some(p) => ns = p,
                None => return false,
            }
        }
    }

    fn map(&self, ns: UserNsId, kind: IdKind) -> &IdMap {
        let n = self.table.get(ns);
        match kind {
            IdKind::Uid => &n.uid_map,
            IdKind::Gid => &n.gid_map,
        }
    }

    /// The kernel id of `id` as namespace `ns` names it, None without a
    /// mapping (Linux: make_kuid(), make_kgid()).
    pub fn make_kid(&self, ns: UserNsId, kind: IdKind, id: u32) -> Option<u32> {
        if ns == INIT_USER_NS {
            return (id != INVALID).then_some(id);
        }
        self.map(ns, kind).down(id)
    }

    /// Kernel id `kid` as namespace `ns` names it, None without a mapping
    /// (Linux: from_kuid(), from_kgid()).
    pub fn from_kid(&self, ns: UserNsId, kind: IdKind, kid: u32) -> Option<u32> {
        if ns == INIT_USER_NS {
            return (kid != INVALID).then_some(kid);
        }
        self.map(ns, kind).up(kid)
    }

    /// Whether namespace `ns` names both the owner `uid` and the group
    /// `gid` of a file (Linux: privileged_wrt_inode_uidgid()).
    pub fn maps_owner(&self, ns: UserNsId, uid: u32, gid: u32) -> bool {
        self.from_kid(ns, IdKind::Uid, uid).is_some() && self.from_kid(ns, IdKind::Gid, gid).is_some()
    }

    /// As [`Self::from_kid`], the overflow id for one without a mapping
    /// (Linux: from_kuid_munged()).
    pub fn from_kid_munged(&self, ns: UserNsId, kind: IdKind, kid: u32) -> u32 {
        self.from_kid(ns, kind, kid).unwrap_or(OVERFLOW_ID)
    }

    /// Does a task with credentials `c` hold `cap` in namespace `target`?
    /// In its own namespace its effective set decides; in one below it,
    /// created by its effective user from its own, it holds every
    /// capability; elsewhere none (Linux: cap_capable()).
    pub fn ns_capable(&self, c: &Cred, mut target: UserNsId, cap: u32) -> bool {
        let mine = self.level(c.user_ns);
        loop {
            if target == c.user_ns {
                return has(c.caps.effective, cap);
            }
            if self.level(target) <= mine {
                return false;
            }
            let n = self.table.get(target);
            if n.parent == c.user_ns && n.owner == c.euid {
                return true;
            }
            target = n.parent;
        }
    }

    /// A new user namespace below the one of credentials `c`, owned by
    /// their effective ids (Linux: create_user_ns()): ENOSPC past the
    /// deepest level or past max_user_namespaces for the creator in its
    /// namespace or for the makers of the namespaces above in theirs,
    /// EPERM for a creator whose ids have no mapping in its own
    /// namespace, or in a chroot (`chrooted`). Maps start empty.
    pub fn create(&mut self, c: &Cred, chrooted: bool, inum: u32) -> Result<UserNsId, Errno> {
        let parent = c.user_ns;
        let level = self.level(parent);
        if level > MAX_USER_NS_LEVEL {
            return Err(ENOSPC);
        }
        // Every namespace up the chain counts it for the user that made
        // the one below (Linux: inc_user_namespaces(), ENOSPC).
        self.may_charge(parent, c.euid, Ucount::User)?;
        if chrooted {
            return Err(EPERM);
        }
        if self.from_kid(parent, IdKind::Uid, c.euid).is_none() || self.from_kid(parent, IdKind::Gid, c.egid).is_none()
        {
            return Err(EPERM);
        }
        self.charge(parent, c.euid, Ucount::User);
        let setgroups_allowed = parent == INIT_USER_NS || self.table.get(parent).setgroups_allowed;
        self.hold(parent);
        Ok(self.table.insert(UserNamespace {
            parent,
            level: level + 1,
            owner: c.euid,
            uid_map: IdMap::default(),
            gid_map: IdMap::default(),
            setgroups_allowed,
            inum,
            scope: Arc::default(),
            max: [MAX_USER_NS_UNLIMITED; UCOUNTS],
        }))
    }

    /// Whether setgroups(2) may run in `ns`: its gid map is written and
    /// setgroups was not denied (Linux: userns_may_setgroups()).
    pub fn may_setgroups(&self, ns: UserNsId) -> bool {
        if ns == INIT_USER_NS {
            return true;
        }
        let n = self.table.get(ns);
        !n.gid_map.extents.is_empty() && n.setgroups_allowed
    }

    /// The text of /proc/PID/uid_map or gid_map of namespace `ns` for a
    /// reader in namespace `reader`: each line's lower ids as the reader
    /// names them, or as `ns`'s parent does when the reader is inside `ns`
    /// (Linux: uid_m_show(), gid_m_show()).
    pub fn show_map(&self, ns: UserNsId, kind: IdKind, reader: UserNsId) -> String {
        let mut out = String::new();
        if ns == INIT_USER_NS {
            let _ = writeln!(out, "{:>10} {:>10} {:>10}", 0, 0, INVALID);
            return out;
        }
        let lower_ns = if reader == ns { self.table.get(ns).parent } else { reader };
        for e in &self.map(ns, kind).extents {
            let lower = self.from_kid(lower_ns, kind, e.lower).unwrap_or(INVALID);
            let _ = writeln!(out, "{:>10} {:>10} {:>10}", e.first, lower, e.count);
        }
        out
    }

    /// /proc/PID/setgroups: "allow" or "deny".
    pub fn show_setgroups(&self, ns: UserNsId) -> &'static str {
        if ns == INIT_USER_NS || self.table.get(ns).setgroups_allowed {
            "allow\n"
        } else {
            "deny\n"
        }
    }

    /// A write of `text` to /proc/PID/setgroups of namespace `ns`
    /// (Linux: proc_setgroups_write()): "allow" or "deny" with nothing
    /// after but white space (EINVAL); EPERM to allow again once denied,
    /// or to deny once the gid map is written. The caller checked the
    /// offset and length.
    pub fn write_setgroups(&mut self, ns: UserNsId, text: &[u8]) -> Result<(), Errno> {
        let (allow, rest) = if let Some(r) = text.strip_prefix(b"allow") {
            (true, r)
        } else if let Some(r) = text.strip_prefix(b"deny") {
            (false, r)
        } else {
            return Err(EINVAL);
        };
        if !skip_spaces(rest).is_empty() {
            return Err(EINVAL);
        }
        if ns == INIT_USER_NS {
            return if allow { Ok(()) } else { Err(EPERM) };
        }
        let n = self.table.get_mut(ns);
        if allow {
            if !n.setgroups_allowed {
                return Err(EPERM);
            }
        } else {
            if !n.gid_map.extents.is_empty() {
                return Err(EPERM);
            }
            n.setgroups_allowed = false;
        }
        Ok(())
    }

    /// A write of `text` to /proc/PID/uid_map or gid_map of namespace
    /// `ns`, through a file opened with credentials `c` by a task with
    /// credentials `c`: [`Self::write_map_as`].
    pub fn write_map(&mut self, ns: UserNsId, kind: IdKind, c: &Cred, text: &[u8]) -> Result<(), Errno> {
        self.write_map_as(ns, kind, c, c, text)
    }

    /// A write of `text` to /proc/PID/uid_map or gid_map of namespace
    /// `ns`, through a file opened with credentials `opener` by a task
    /// with credentials `writer` (Linux: proc_uid_map_write() and
    /// map_write(), which ask the file's f_cred as well as the writer, so
    /// that a descriptor opened by an unprivileged user and handed to a
    /// privileged writer grants nothing). EPERM for the initial
    /// namespace, an opener outside `ns` and its parent, a map already
    /// written, or an opener without CAP_SYS_ADMIN in `ns`; EINVAL for a
    /// malformed line, an empty or wrapping range, ranges that overlap,
    /// or more than 340 lines; EPERM for ids that may not be mapped:
    /// without CAP_SETUID (CAP_SETGID) in the parent for both writer and
    /// opener, only the namespace's owner (as opener) mapping its own
    /// effective id in one line of one id (a gid only after setgroups is
    /// denied), and every lower id must be mapped in the parent. The
    /// caller checked the offset and the length.
    pub fn write_map_as(
        &mut self,
        ns: UserNsId,
        kind: IdKind,
        opener: &Cred,
        writer: &Cred,
        text: &[u8],
    ) -> Result<(), Errno> {
        let Some(parent) = self.parent(ns) else { return Err(EPERM) };
        if opener.user_ns != ns && opener.user_ns != parent {
            return Err(EPERM);
        }
        if !self.map(ns, kind).extents.is_empty() || !self.ns_capable(opener, ns, CAP_SYS_ADMIN) {
            return Err(EPERM);
        }
        let mut new = parse_map(text)?;
        if !self.idmap_permitted(ns, kind, opener, writer, &new) {
            return Err(EPERM);
        }
        // The lower ids as the kernel's (Linux: map_id_range_down() over
        // the parent's map).
        for e in &mut new.extents {
            e.lower = self.parent_range_down(parent, kind, e.lower, e.count).ok_or(EPERM)?;
        }
        if new.extents.len() > MAP_MAX_BASE_EXTENTS {
            new.extents.sort_unstable_by_key(|e| e.first);
        }
        let n = self.table.get_mut(ns);
        match kind {
            IdKind::Uid => n.uid_map = new,
            IdKind::Gid => n.gid_map = new,
        }
        n.scope = Arc::new(IdScope { uids: n.uid_map.extents.clone(), gids: n.gid_map.extents.clone() });
        Ok(())
    }

    /// Remember the credentials open file `file` (a uid_map or gid_map)
    /// was opened with, holding their user namespace until
    /// [`Self::forget_opener`] (Linux: file->f_cred).
    pub fn remember_opener(&mut self, file: u32, c: &Cred) {
        self.hold(c.user_ns);
        if let Some(old) = self.openers.insert(file, *c) {
            self.put(old.user_ns);
        }
    }

    /// The credentials open file `file` was opened with, if remembered.
    pub fn opener(&self, file: u32) -> Option<Cred> {
        self.openers.get(&file).copied()
    }

    /// Open file `file` is gone: let go of its opener's credentials.
    pub fn forget_opener(&mut self, file: u32) {
        if let Some(c) = self.openers.remove(&file) {
            self.put(c.user_ns);
        }
    }

    fn parent_range_down(&self, parent: UserNsId, kind: IdKind, id: u32, count: u32) -> Option<u32> {
        if parent == INIT_USER_NS {
            // The initial map is "0 0 4294967295": every id but -1, which
            // parse_map() already refused.
            return Some(id);
        }
        self.map(parent, kind).range_down(id, count)
    }

    /// Linux: new_idmap_permitted() (without file capabilities, so
    /// verify_root_map() has nothing to refuse): the single-id case asks
    /// the opener, the capability case both.
    fn idmap_permitted(&self, ns: UserNsId, kind: IdKind, opener: &Cred, writer: &Cred, new: &IdMap) -> bool {
        let n = self.table.get(ns);
        let c = opener;
        if let [e] = new.extents[..] {
            if e.count == 1 && n.owner == c.euid {
                let mine = match kind {
                    IdKind::Uid => self.make_kid(n.parent, kind, e.lower) == Some(c.euid),
                    IdKind::Gid => !n.setgroups_allowed && self.make_kid(n.parent, kind, e.lower) == Some(c.egid),
                };
                if mine {
                    return true;
                }
            }
        }
        let cap = match kind {
            IdKind::Uid => CAP_SETUID,
            IdKind::Gid => CAP_SETGID,
        };
        self.ns_capable(writer, n.parent, cap) && self.ns_capable(opener, n.parent, cap)
    }
}

/// Linux's isspace(): space, \t, \n, \v, \f, \r.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn skip_spaces(s: &[u8]) -> &[u8] {
    let n = s.iter().take_while(|&&b| is_space(b)).count();
    &s[n..]
}

/// Linux's simple_strtoul(s, &end, 10) truncated to u32: the digits at
/// the start (none reads as 0) and the rest.
fn strtou32(s: &[u8]) -> (u32, &[u8]) {
    let n = s.iter().take_while(|b| b.is_ascii_digit()).count();
    let v = s[..n].iter().fold(0u64, |v, &d| v.wrapping_mul(10).wrapping_add(u64::from(d - b'0')));
    (v as u32, &s[n..])
}

/// The lines of a map write, each "first lower count" (Linux: the parse
/// loop of map_write()); lower ids still as the parent names them.
fn parse_map(text: &[u8]) -> Result<IdMap, Errno> {
    let mut map = IdMap::default();
    let mut rest = Some(text);
    while let Some(s) = rest {
        let (line, next) = match s.iter().position(|&b| b == b'\n') {
            Some(i) => (&s[..i], Some(&s[i + 1..]).filter(|n| !n.is_empty())),
            None => (s, None),
        };
        rest = next;
        let mut vals = [0u32; 3];
        let mut p = line;
        for (i, v) in vals.iter_mut().enumerate() {
            let (n, after) = strtou32(skip_spaces(p));
            *v = n;
            p = after;
            // The first two numbers end at white space, the last at the
            // end of the line or white space.
            let ok = match p.first() {
                Some(&b) => is_space(b),
                None => i == 2,
            };
            if !ok {
                return Err(EINVAL);
            }
        }
        if !skip_spaces(p).is_empty() {
            return Err(EINVAL);
        }
        let e = Extent { first: vals[0], lower: vals[1], count: vals[2] };
        if e.first == INVALID || e.lower == INVALID {
            return Err(EINVAL);
        }
        if e.first.wrapping_add(e.count) <= e.first || e.lower.wrapping_add(e.count) <= e.lower {
            return Err(EINVAL);
        }
        let overlaps = |a: u32, b: u32, n: u32, m: u32| a <= b + (m - 1) && b <= a + (n - 1);
        if map
            .extents
            .iter()
            .any(|p| overlaps(p.first, e.first, p.count, e.count) || overlaps(p.lower, e.lower, p.count, e.count))
        {
            return Err(EINVAL);
        }
        if map.extents.len() + 1 == MAP_MAX_EXTENTS && rest.is_some() {
            return Err(EINVAL);
        }
        map.extents.push(e);
    }
    if map.extents.is_empty() {
        return Err(EINVAL);
    }
    Ok(map)
}

/// The credentials of a task that enters user namespace `ns` (creates it,
/// or joins it with setns): every capability there, none inheritable or
/// ambient, the default securebits (Linux: set_cred_user_ns()).
pub fn enter(c: &mut Cred, ns: UserNsId) {
    use crate::proc::capability::CAP_FULL_SET;
    c.user_ns = ns;
    c.caps.securebits = 0;
    c.caps.inheritable = 0;
    c.caps.permitted = CAP_FULL_SET;
    c.caps.effective = CAP_FULL_SET;
    c.caps.bset = CAP_FULL_SET;
    c.caps.ambient = 0;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proc::capability::test_user as user;

    #[test]
    fn unprivileged_user_maps_itself_once() {
        let mut t = UserNamespaces::default();
        let c = user(1000);
        let ns = t.create(&c, false, 1).unwrap();
        let mut inside = c;
        enter(&mut inside, ns);
        // Its own uid, once.
        assert_eq!(t.write_map(ns, IdKind::Uid, &c, b"0 2000 1\n"), Err(EPERM), "another uid");
        assert_eq!(t.write_map(ns, IdKind::Uid, &c, b"0 1000 2\n"), Err(EPERM), "more than one id");
        assert_eq!(t.write_map(ns, IdKind::Uid, &c, b"0 1000 1\n"), Ok(()));
        assert_eq!(t.write_map(ns, IdKind::Uid, &c, b"0 1000 1\n"), Err(EPERM), "second write");
        assert_eq!(t.make_kid(ns, IdKind::Uid, 0), Some(1000));
        assert_eq!(t.from_kid_munged(ns, IdKind::Uid, 0), OVERFLOW_ID);
        // Its gid only after setgroups is denied.
        assert_eq!(t.write_map(ns, IdKind::Gid, &c, b"0 1000 1"), Err(EPERM));
        assert!(t.write_setgroups(ns, b"deny\n").is_ok());
        assert_eq!(t.write_setgroups(ns, b"allow"), Err(EPERM));
        assert_eq!(t.write_map(ns, IdKind::Gid, &c, b"0 1000 1"), Ok(()));
        assert!(!t.may_setgroups(ns));
        // Full capabilities inside, none outside.
        assert!(t.ns_capable(&inside, ns, CAP_SYS_ADMIN));
        assert!(!inside.capable(CAP_SYS_ADMIN));
        // The owner holds every capability in it from outside too.
        assert!(t.ns_capable(&c, ns, CAP_SYS_ADMIN));
        assert!(!t.ns_capable(&user(1001), ns, CAP_SYS_ADMIN));
        assert_eq!(t.show_map(ns, IdKind::Uid, INIT_USER_NS), "         0       1000          1\n");
        assert_eq!(t.show_map(ns, IdKind::Uid, ns), "         0       1000          1\n");
        t.put(ns);
        assert_eq!(t.count(), 0);
    }

    #[test]
    fn map_writes_ask_the_opener_too() {
        let mut t = UserNamespaces::default();
        let u = user(1000);
        let root = Cred::default();
        let ns = t.create(&u, false, 1).unwrap();
        // Opened by the unprivileged owner, written by root: root's
        // CAP_SETUID alone does not map real root.
        assert_eq!(t.write_map_as(ns, IdKind::Uid, &u, &root, b"0 0 1"), Err(EPERM));
        assert_eq!(t.write_map_as(ns, IdKind::Uid, &u, &root, b"0 1000 1"), Ok(()));
        // Opened by root, written by the owner: the writer lacks CAP_SETGID.
        let ns2 = t.create(&u, false, 2).unwrap();
        assert_eq!(t.write_map_as(ns2, IdKind::Gid, &root, &u, b"0 0 1"), Err(EPERM));
        assert_eq!(t.write_map_as(ns2, IdKind::Gid, &root, &root, b"0 0 1"), Ok(()));
        // An opener inside another namespace may not write at all.
        let mut inside = u;
        enter(&mut inside, ns);
        assert_eq!(t.write_map_as(ns2, IdKind::Uid, &inside, &root, b"0 0 1"), Err(EPERM));
        t.remember_opener(7, &inside);
        assert_eq!(t.opener(7), Some(inside));
        t.put(ns);
        assert_eq!(t.count(), 2, "the opener holds its namespace");
        t.forget_opener(7);
        t.put(ns2);
        assert_eq!(t.count(), 0);
    }

    #[test]
    fn max_user_namespaces_counts_per_user_up_the_chain() {
        let mut t = UserNamespaces::default();
        t.init_limits(2);
        let u = user(1000);
        let a = t.create(&u, false, 1).unwrap();
        let b = t.create(&u, false, 2).unwrap();
        assert_eq!(t.create(&u, false, 3), Err(ENOSPC));
        assert!(t.create(&user(1001), false, 3).is_ok_and(|n| {
            t.put(n);
            true
        }));
        // Inside `a`, its owner's count in the initial namespace is full
        // too: a nested namespace counts there as well.
        t.write_map(a, IdKind::Uid, &u, b"0 1000 1").unwrap();
        t.write_setgroups(a, b"deny").unwrap();
        t.write_map(a, IdKind::Gid, &u, b"0 1000 1").unwrap();
        let mut inside = u;
        enter(&mut inside, a);
        assert_eq!(t.create(&inside, false, 4), Err(ENOSPC));
        t.put(b);
        let c = t.create(&inside, false, 4).unwrap();
        assert_eq!(t.max(c, Ucount::User), MAX_USER_NS_UNLIMITED);
        t.set_max(a, Ucount::User, 0);
        // Other kinds count apart.
        assert_eq!(t.may_charge(a, 1000, Ucount::Uts), Ok(()));
        t.charge_ns(Ucount::Uts, 77, a, 1000);
        t.charge_ns(Ucount::Uts, 78, INIT_USER_NS, 1000);
        assert_eq!(t.may_charge(INIT_USER_NS, 1000, Ucount::Uts), Err(ENOSPC), "two in the initial one");
        t.release(Ucount::Uts, 77);
        t.release(Ucount::Uts, 78);
        assert_eq!(t.create(&inside, false, 5), Err(ENOSPC), "a's own limit");
        t.put(c);
        t.put(a);
        assert_eq!((t.count(), t.made.len()), (0, 0));
    }

    #[test]
    fn map_syntax_and_overlap() {
        assert_eq!(parse_map(b"0 0 1\n1 0 1").map(|_| ()), Err(EINVAL), "lower ranges overlap");
        assert_eq!(parse_map(b"0 0 10\n5 100 1").map(|_| ()), Err(EINVAL), "upper ranges overlap");
        assert_eq!(parse_map(b"0 0 0").map(|_| ()), Err(EINVAL), "empty range");
        assert_eq!(parse_map(b"0 0").map(|_| ()), Err(EINVAL));
        assert_eq!(parse_map(b"0 0 1 x").map(|_| ()), Err(EINVAL));
        assert_eq!(parse_map(b"\n").map(|_| ()), Err(EINVAL));
        assert_eq!(parse_map(b"4294967295 0 1").map(|_| ()), Err(EINVAL));
        assert_eq!(parse_map(b"  0  100  10  \n20 200 5\n").unwrap().extents.len(), 2);
        let many: String = (0..340).map(|i| alloc::format!("{i} {i} 1\n")).collect();
        assert_eq!(parse_map(many.as_bytes()).unwrap().extents.len(), 340);
        let too_many: String = (0..341).map(|i| alloc::format!("{i} {i} 1\n")).collect();
        assert_eq!(parse_map(too_many.as_bytes()).map(|_| ()), Err(EINVAL));
    }

    #[test]
    fn nesting_stops_past_level_32() {
        let mut t = UserNamespaces::default();
        let mut c = Cred::default();
        let mut made = Vec::new();
        loop {
            match t.create(&c, false, 1) {
                Ok(ns) => {
                    // Root maps itself so that the next level may be made.
                    t.write_map(ns, IdKind::Uid, &c, b"0 0 1").unwrap();
                    t.write_map(ns, IdKind::Gid, &c, b"0 0 1").unwrap();
                    enter(&mut c, ns);
                    made.push(ns);
                }
                Err(e) => {
                    assert_eq!(e, ENOSPC);
                    break;
                }
            }
        }
        assert_eq!(made.len(), 33);
        // Only the innermost is held by its user; the chain goes with it.
        for &ns in &made[..32] {
            t.put(ns);
        }
        assert_eq!(t.count(), 33);
        t.put(made[32]);
        assert_eq!(t.count(), 0);
    }

    #[test]
    fn creator_without_mapping_is_refused() {
        let mut t = UserNamespaces::default();
        let c = user(1000);
        let ns = t.create(&c, false, 1).unwrap();
        let mut inside = c;
        enter(&mut inside, ns);
        // No map yet: its euid has no name inside.
        assert_eq!(t.create(&inside, false, 2), Err(EPERM));
        assert_eq!(t.create(&c, true, 2), Err(EPERM), "chrooted");
        t.put(ns);
    }
}
