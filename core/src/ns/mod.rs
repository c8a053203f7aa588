//! Namespaces (Linux: kernel/nsproxy.c, kernel/utsname.c,
//! kernel/utsname_sysctl.c, fs/nsfs.c).
//!
//! A task's namespaces are gathered in one shared object, its *nsproxy*:
//! tasks that share all their namespaces share one nsproxy (a fork without
//! CLONE_NEW* flags takes another reference to its parent's), and a task
//! that gets a new namespace (clone with a CLONE_NEW* flag, unshare, setns)
//! gets a new nsproxy naming the new namespace and the old other ones.
//! Each namespace is itself counted by the nsproxies that name it, and
//! has the inode number /proc/PID/ns/* shows (Linux's ns_common.inum).
//!
//! Built so far: the UTS namespace (host and domain name), PID
//! namespaces ([`pid`]), IPC namespaces (their tables: `ipc::ns`), mount
//! namespaces (their mount tables: `fs::mount_ns`) and user namespaces
//! ([`user`]: not in the nsproxy but in each task's credentials, as in
//! Linux; every other namespace records the user namespace that owns
//! it). The network, cgroup and time namespaces are still the one
//! system-wide instance each, and a request for a new one is EINVAL, as
//! on a kernel built without them.

pub mod pid;
#[cfg(test)]
mod pid_tests;
#[cfg(test)]
mod tests;
pub mod user;

pub use pid::{PidNamespaces, PidNsId};
pub use user::{UserNamespaces, UserNsId, INIT_USER_NS};

use crate::abi::UTSNAME_FIELD;
use crate::fs::mount::MountTable;
use crate::ipc::ns::IpcTables;
use crate::object::shared::{Handle, SharedTable};
use user::Ucount;

/// Linux: __NEW_UTS_LEN, the longest host or domain name.
pub const UTS_LEN: usize = UTSNAME_FIELD - 1;

/// Linux: PROC_UTS_INIT_INO, the initial UTS namespace's inode number.
const UTS_INIT_INO: u32 = 0xEFFF_FFFE;
/// The first inode number handed to a new namespace (Linux: the ida of
/// proc_alloc_inum() starts at PROC_DYNAMIC_FIRST).
const DYNAMIC_FIRST_INO: u32 = 0xF000_0000;

/// Tine's initial host name, as `uname -n` shows it (Linux: "(none)"
/// until init sets one; Tine names itself, as a booted system would).
pub const INIT_NODENAME: &[u8] = b"tine";
/// Linux: UTS_DOMAINNAME's default.
pub const INIT_DOMAINNAME: &[u8] = b"(none)";

/// One UTS namespace: the host and NIS domain names uname(2) reports
/// (Linux: struct uts_namespace; the rest of utsname is the kernel's and
/// the same in every namespace).
#[derive(Clone, Debug)]
pub struct UtsNamespace {
    nodename: [u8; UTS_LEN],
    nodename_len: usize,
    domainname: [u8; UTS_LEN],
    domainname_len: usize,
    inum: u32,
    /// The user namespace that owns it, held by it (Linux: user_ns).
    owner: UserNsId,
}

impl UtsNamespace {
    fn new(nodename: &[u8], domainname: &[u8], inum: u32) -> Self {
        let mut u = UtsNamespace {
            nodename: [0; UTS_LEN],
            nodename_len: 0,
            domainname: [0; UTS_LEN],
            domainname_len: 0,
            inum,
            owner: INIT_USER_NS,
        };
        u.set_nodename(nodename);
        u.set_domainname(domainname);
        u
    }

    pub fn nodename(&self) -> &[u8] {
        &self.nodename[..self.nodename_len]
    }

    pub fn domainname(&self) -> &[u8] {
        &self.domainname[..self.domainname_len]
    }

    /// The caller checked the length against [`UTS_LEN`].
    fn set_nodename(&mut self, name: &[u8]) {
        self.nodename = [0; UTS_LEN];
        self.nodename[..name.len()].copy_from_slice(name);
        self.nodename_len = name.len();
    }

    fn set_domainname(&mut self, name: &[u8]) {
        self.domainname = [0; UTS_LEN];
        self.domainname[..name.len()].copy_from_slice(name);
        self.domainname_len = name.len();
    }

    /// The inode number of /proc/PID/ns/uts.
    pub fn inum(&self) -> u32 {
        self.inum
    }
}

pub type UtsId = Handle<UtsNamespace>;

/// One IPC namespace (Linux: struct ipc_namespace): its tables while
/// another namespace's are loaded in the kernel (see `ipc::ns`).
#[derive(Debug)]
pub struct IpcNamespace {
    tables: Option<IpcTables>,
    inum: u32,
    owner: UserNsId,
}

pub type IpcId = Handle<IpcNamespace>;

/// One mount namespace (Linux: struct mnt_namespace): its mount table
/// while another namespace's is loaded in the file room (see
/// `fs::mount_ns`).
#[derive(Debug)]
pub struct MntNamespace {
    table: Option<MountTable>,
    inum: u32,
    owner: UserNsId,
}

pub type MntId = Handle<MntNamespace>;

/// The namespaces of one or more tasks (Linux: struct nsproxy).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NsProxy {
    uts: UtsId,
    /// The PID namespace of the children this task makes (Linux:
    /// pid_ns_for_children); its own is that of its pid.
    pid_for_children: PidNsId,
    ipc: IpcId,
    mnt: MntId,
}

pub type NsProxyId = Handle<NsProxy>;

/// What the last put of an nsproxy left to destroy: an IPC namespace and
/// a mount namespace, each with its tables unless they are the loaded
/// ones.
#[derive(Default)]
pub struct Dropped {
    pub ipc: Option<(IpcId, Option<IpcTables>)>,
    pub mnt: Option<(MntId, Option<MountTable>)>,
}

/// Which namespaces a new nsproxy gets fresh (Linux: the CLONE_NEW* bits
/// that create_new_namespaces() acts on).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NewNamespaces {
    pub uts: bool,
    pub pid: bool,
    pub ipc: bool,
    pub mnt: bool,
    /// The user namespace that owns the new ones: the creator's, after a
    /// CLONE_NEWUSER in the same call the new one (Linux: the user_ns of
    /// the credentials create_new_namespaces() is given).
    pub owner: UserNsId,
    /// The creator's effective uid, which the new namespaces count for
    /// (`ns::user`'s max_*_namespaces).
    pub maker: u32,
}

/// Every namespace and nsproxy (the namespace subsystem's state: only its
/// methods change it).
#[derive(Default)]
pub struct Namespaces {
    proxies: SharedTable<NsProxy>,
    /// The initial nsproxy, whose first reference is the kernel's own, so
    /// that it outlives every task (Linux: the static init_nsproxy).
    init: NsProxyId,
    uts: SharedTable<UtsNamespace>,
    /// The PID namespaces and the numbers of pids below the initial one.
    pub pid: PidNamespaces,
    /// The user namespaces below the initial one (`user`).
    pub user: UserNamespaces,
    ipc: SharedTable<IpcNamespace>,
    /// The IPC namespace whose tables are the kernel's (`ipc::ns`).
    pub ipc_loaded: IpcId,
    mnt: SharedTable<MntNamespace>,
    /// The mount namespace whose table is the file room's (`fs::mount_ns`).
    pub mnt_loaded: MntId,
    /// The next inode number for a new namespace; numbers are not reused
    /// (Linux reuses freed ones; a difference no program can rely on).
    next_inum: u32,
}

impl Namespaces {
    /// The initial namespaces (Linux: init_nsproxy and init_uts_ns).
    pub fn new() -> Self {
        let mut ns = Namespaces { next_inum: DYNAMIC_FIRST_INO, pid: PidNamespaces::new(), ..Default::default() };
        let uts = ns.uts.insert(UtsNamespace::new(INIT_NODENAME, INIT_DOMAINNAME, UTS_INIT_INO));
        let pid_for_children = ns.pid.init();
        let ipc = ns.ipc.insert(IpcNamespace { tables: None, inum: IPC_INIT_INO, owner: INIT_USER_NS });
        ns.ipc_loaded = ipc;
        // The initial table is the file room's from the start.
        let mnt = ns.mnt.insert(MntNamespace { table: None, inum: MNT_INIT_INO, owner: INIT_USER_NS });
        ns.mnt_loaded = mnt;
        ns.init = ns.proxies.insert(NsProxy { uts, pid_for_children, ipc, mnt });
        ns
    }

    /// The initial nsproxy, with a reference for the caller (init).
    pub fn get_init(&mut self) -> NsProxyId {
        self.proxies.hold(self.init);
        self.init
    }

    /// Another user of nsproxy `p` (Linux: get_nsproxy()).
    pub fn hold(&mut self, p: NsProxyId) {
        self.proxies.hold(p);
    }

    /// Drop one user of nsproxy `p`; the last one drops its namespaces
    /// (Linux: put_nsproxy() → free_nsproxy()). An IPC or mount namespace
    /// that goes with it is returned, with its tables unless they are the
    /// loaded ones, for the kernel to empty (`Kernel::put_nsproxy`).
    #[must_use]
    pub fn put(&mut self, p: NsProxyId) -> Dropped {
        let Some(proxy) = self.proxies.put(p) else { return Dropped::default() };
        self.put_uts(proxy.uts);
        self.put_pid_ns(proxy.pid_for_children);
        Dropped { ipc: self.put_ipc(proxy.ipc), mnt: self.put_mnt_ns(proxy.mnt) }
    }

    fn put_uts(&mut self, id: UtsId) {
        if let Some(gone) = self.uts.put(id) {
            self.user.release(Ucount::Uts, gone.inum);
            self.user.put(gone.owner);
        }
    }

    fn put_ipc(&mut self, id: IpcId) -> Option<(IpcId, Option<IpcTables>)> {
        let gone = self.ipc.put(id)?;
        self.user.release(Ucount::Ipc, gone.inum);
        self.user.put(gone.owner);
        Some((id, gone.tables))
    }

    fn put_mnt_ns(&mut self, id: MntId) -> Option<(MntId, Option<MountTable>)> {
        let gone = self.mnt.put(id)?;
        self.user.release(Ucount::Mnt, gone.inum);
        self.user.put(gone.owner);
        Some((id, gone.table))
    }

    /// Drop one user of PID namespace `id`, and the owners of the PID
    /// namespaces that went (with it or before, through a pid's last put).
    pub fn put_pid_ns(&mut self, id: PidNsId) {
        self.pid.put(id);
        self.release_pid_owners();
    }

    /// Let go of the owners of PID namespaces that have gone.
    pub fn release_pid_owners(&mut self) {
        for (owner, inum) in self.pid.take_gone_owners() {
            self.user.release(Ucount::Pid, inum);
            self.user.put(owner);
        }
    }

    /// Another user of mount namespace `id` (an open /proc/PID/ns/mnt).
    pub fn hold_mnt(&mut self, id: MntId) {
        self.mnt.hold(id);
    }

    /// Drop one user of mount namespace `id`; the last one gives back its
    /// table (`None` if it is the loaded one) for the kernel to release.
    #[must_use]
    pub fn put_mnt(&mut self, id: MntId) -> Option<Option<MountTable>> {
        self.put_mnt_ns(id).map(|(_, table)| table)
    }

    /// The mount namespace of nsproxy `p`.
    pub fn mnt_of(&self, p: NsProxyId) -> MntId {
        self.proxies.get(p).mnt
    }

    /// Mount namespace `id`'s table while it is not the loaded one.
    pub fn stashed_mounts(&self, id: MntId) -> Option<&MountTable> {
        self.mnt.get(id).table.as_ref()
    }

    /// Every table that is not loaded (to ask whether an instance is
    /// still mounted somewhere).
    pub fn stashed_mount_tables(&self) -> impl Iterator<Item = &MountTable> {
        self.mnt.iter().filter_map(|(_, n)| n.table.as_ref())
    }

    /// Keep the loaded table in namespace `id` (dropped if it is gone).
    pub fn stash_mounts(&mut self, id: MntId, table: MountTable) {
        if let Some(h) = self.mnt.handle_of(id.raw()) {
            self.mnt.get_mut(h).table = Some(table);
        }
    }

    /// Take namespace `id`'s table to load it.
    pub fn unstash_mounts(&mut self, id: MntId) -> Option<MountTable> {
        self.mnt.get_mut(id).table.take()
    }

    /// The IPC namespace of nsproxy `p`.
    pub fn ipc_of(&self, p: NsProxyId) -> IpcId {
        self.proxies.get(p).ipc
    }

    /// Keep the loaded tables in namespace `id` (dropped if it is gone).
    pub fn stash_ipc(&mut self, id: IpcId, tables: IpcTables) {
        if let Some(h) = self.ipc.handle_of(id.raw()) {
            self.ipc.get_mut(h).tables = Some(tables);
        }
    }

    /// Take namespace `id`'s tables to load them.
    pub fn unstash_ipc(&mut self, id: IpcId) -> IpcTables {
        self.ipc.get_mut(id).tables.take().unwrap_or_default()
    }

    /// A new nsproxy with fresh copies of the namespaces `new` names and
    /// `from`'s others (Linux: create_new_namespaces()). A new UTS
    /// namespace starts with its creator's names (copy_utsname()); a new
    /// PID namespace lies below `from`'s pid_for_children (copy_pid_ns(),
    /// whose checks [`Namespaces::may_new_pid`] made).
    /// A new mount namespace gets `mounts`, the copy of its creator's
    /// table the caller made (copy_mnt_ns()).
    pub fn copy(&mut self, from: NsProxyId, new: NewNamespaces, mounts: Option<MountTable>) -> NsProxyId {
        let mut proxy = *self.proxies.get(from);
        let owner = new.owner;
        let charge = |ns: &mut Self, kind, inum| ns.user.charge_ns(kind, inum, owner, new.maker);
        if let Some(mut table) = mounts {
            // Copied for another user namespace (a less privileged one:
            // the caller's, which it just made or joined), its mounts are
            // locked as they are (Linux: copy_mnt_ns() → lock_mnt_tree()).
            if owner != self.mnt.get(proxy.mnt).owner {
                table.lock_all();
            }
            let inum = self.alloc_inum();
            self.user.hold(owner);
            charge(self, Ucount::Mnt, inum);
            proxy.mnt = self.mnt.insert(MntNamespace { table: Some(table), inum, owner });
        } else {
            self.mnt.hold(proxy.mnt);
        }
        if new.uts {
            let mut u = self.uts.get(proxy.uts).clone();
            u.inum = self.alloc_inum();
            u.owner = owner;
            self.user.hold(owner);
            charge(self, Ucount::Uts, u.inum);
            proxy.uts = self.uts.insert(u);
        } else {
            self.uts.hold(proxy.uts);
        }
        if new.ipc {
            let inum = self.alloc_inum();
            self.user.hold(owner);
            charge(self, Ucount::Ipc, inum);
            proxy.ipc = self.ipc.insert(IpcNamespace { tables: Some(IpcTables::default()), inum, owner });
        } else {
            self.ipc.hold(proxy.ipc);
        }
        if new.pid {
            let inum = self.alloc_inum();
            self.user.hold(owner);
            charge(self, Ucount::Pid, inum);
            proxy.pid_for_children =
                self.pid.create(proxy.pid_for_children, inum, owner).expect("may_new_pid checked the level");
        } else {
            self.pid.hold(proxy.pid_for_children);
        }
        self.proxies.insert(proxy)
    }

    /// Whether the namespaces `new` asks for may be made: each below its
    /// max_*_namespaces for the maker (Linux: the inc_*_namespaces() of
    /// copy_mnt_ns(), copy_utsname(), copy_ipcs(), copy_pid_ns(), in that
    /// order; ENOSPC).
    pub fn may_make(&self, new: &NewNamespaces) -> Result<(), crate::abi::Errno> {
        for (wanted, kind) in
            [(new.mnt, Ucount::Mnt), (new.uts, Ucount::Uts), (new.ipc, Ucount::Ipc), (new.pid, Ucount::Pid)]
        {
            if wanted {
                self.user.may_charge(new.owner, new.maker, kind)?;
            }
        }
        Ok(())
    }

    /// Whether a task whose own PID namespace is `active` and whose
    /// nsproxy is `p` may make a new PID namespace: only from its own
    /// (EINVAL after an unshare(CLONE_NEWPID) or setns made
    /// pid_for_children another), and not past the deepest level (ENOSPC).
    /// Linux: copy_pid_ns(), create_pid_namespace().
    pub fn may_new_pid(&self, p: NsProxyId, active: PidNsId) -> Result<(), crate::abi::Errno> {
        let children = self.proxies.get(p).pid_for_children;
        if children != active {
            return Err(crate::abi::EINVAL);
        }
        if self.pid.get(children).level() >= pid::MAX_PID_NS_LEVEL {
            return Err(crate::abi::ENOSPC);
        }
        Ok(())
    }

    /// The PID namespace nsproxy `p`'s children go to.
    pub fn pid_for_children(&self, p: NsProxyId) -> PidNsId {
        self.proxies.get(p).pid_for_children
    }

    /// A new user namespace below credentials `c`'s (`user::create`),
    /// with its inode number.
    pub fn new_user_ns(&mut self, c: &crate::proc::Cred, chrooted: bool) -> Result<UserNsId, crate::abi::Errno> {
        let inum = self.alloc_inum();
        self.user.create(c, chrooted, inum)
    }

    fn alloc_inum(&mut self) -> u32 {
        let n = self.next_inum;
        self.next_inum = self.next_inum.wrapping_add(1).max(DYNAMIC_FIRST_INO);
        n
    }

    /// The UTS namespace of nsproxy `p`.
    pub fn uts(&self, p: NsProxyId) -> &UtsNamespace {
        self.uts.get(self.proxies.get(p).uts)
    }

    /// sethostname(2) in `p`'s UTS namespace; `name` at most [`UTS_LEN`]
    /// bytes (the caller answers EINVAL otherwise).
    pub fn set_nodename(&mut self, p: NsProxyId, name: &[u8]) {
        let u = self.proxies.get(p).uts;
        self.uts.get_mut(u).set_nodename(name);
    }

    /// setdomainname(2), as [`Namespaces::set_nodename`].
    pub fn set_domainname(&mut self, p: NsProxyId, name: &[u8]) {
        let u = self.proxies.get(p).uts;
        self.uts.get_mut(u).set_domainname(name);
    }

    /// The user namespace that owns namespace `r`, None if it is gone
    /// (Linux: the ns_common's owner(), a user namespace's parent; the
    /// initial one for the kinds Tine
    /// has one of).
    pub fn owner_of(&self, r: &NsRef) -> Option<UserNsId> {
        Some(match r.ty {
            NsType::Uts => self.uts.get(self.uts.handle_of(r.id)?).owner,
            NsType::Ipc => self.ipc.get(self.ipc.handle_of(r.id)?).owner,
            NsType::Mnt => self.mnt.get(self.mnt.handle_of(r.id)?).owner,
            NsType::Pid | NsType::PidForChildren => self.pid.get(self.pid.handle_of(r.id)?).owner,
            NsType::User => self.user.parent(self.user.handle_of(r.id)?)?,
            _ => INIT_USER_NS,
        })
    }

    /// The owner of nsproxy `p`'s UTS namespace (for sethostname).
    pub fn uts_owner(&self, p: NsProxyId) -> UserNsId {
        self.uts.get(self.proxies.get(p).uts).owner
    }

    /// The owner of nsproxy `p`'s IPC namespace (for System V IPC's
    /// permission checks).
    pub fn ipc_owner(&self, p: NsProxyId) -> UserNsId {
        self.ipc.get(self.proxies.get(p).ipc).owner
    }

    /// The owner of nsproxy `p`'s mount namespace (for mount).
    pub fn mnt_owner(&self, p: NsProxyId) -> UserNsId {
        self.mnt.get(self.proxies.get(p).mnt).owner
    }

    /// Live nsproxies, UTS, PID and IPC namespaces, for the leak checks.
    pub fn counts(&self) -> (usize, usize, usize, usize) {
        (self.proxies.len(), self.uts.len(), self.pid.count(), self.ipc.len())
    }

    /// Live mount namespaces, for the leak checks.
    pub fn mnt_count(&self) -> usize {
        self.mnt.len()
    }
}

/// The entries of /proc/PID/ns (Linux: ns_entries[] in fs/proc/namespaces.c,
/// in its order).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NsType {
    Net,
    Uts,
    Ipc,
    Pid,
    PidForChildren,
    User,
    Mnt,
    Cgroup,
    Time,
    TimeForChildren,
}

/// Linux: the PROC_*_INIT_INO numbers of the namespaces Tine has one of.
const IPC_INIT_INO: u32 = 0xEFFF_FFFF;
const CGROUP_INIT_INO: u32 = 0xEFFF_FFFB;
const TIME_INIT_INO: u32 = 0xEFFF_FFFA;
const NET_INIT_INO: u32 = 0xEFFF_FFF9;
const MNT_INIT_INO: u32 = 0xEFFF_FFF8;

impl NsType {
    pub const ENTRIES: [(&'static [u8], NsType); 10] = [
        (b"net", NsType::Net),
        (b"uts", NsType::Uts),
        (b"ipc", NsType::Ipc),
        (b"pid", NsType::Pid),
        (b"pid_for_children", NsType::PidForChildren),
        (b"user", NsType::User),
        (b"mnt", NsType::Mnt),
        (b"cgroup", NsType::Cgroup),
        (b"time", NsType::Time),
        (b"time_for_children", NsType::TimeForChildren),
    ];

    /// The namespace kind, the *_for_children entries folded into theirs.
    pub fn kind(self) -> NsType {
        match self {
            NsType::PidForChildren => NsType::Pid,
            NsType::TimeForChildren => NsType::Time,
            t => t,
        }
    }

    /// The prefix of a link's text (Linux: proc_ns_operations.name).
    pub fn name(self) -> &'static str {
        match self.kind() {
            NsType::Net => "net",
            NsType::Uts => "uts",
            NsType::Ipc => "ipc",
            NsType::Pid => "pid",
            NsType::User => "user",
            NsType::Mnt => "mnt",
            NsType::Cgroup => "cgroup",
            _ => "time",
        }
    }

    /// The CLONE_NEW* flag of its kind (Linux: proc_ns_operations.type).
    pub fn flag(self) -> crate::abi::CloneFlags {
        use crate::abi::CloneFlags as F;
        match self.kind() {
            NsType::Net => F::NEWNET,
            NsType::Uts => F::NEWUTS,
            NsType::Ipc => F::NEWIPC,
            NsType::Pid => F::NEWPID,
            NsType::User => F::NEWUSER,
            NsType::Mnt => F::NEWNS,
            NsType::Cgroup => F::NEWCGROUP,
            _ => F::NEWTIME,
        }
    }
}

/// One namespace, as an open /proc/PID/ns file names it: its kind, the
/// raw handle of a UTS, PID, IPC or mount namespace (0 for the kinds
/// Tine has one of), and its inode number. An open file holds the
/// namespace ([`Namespaces::hold_ref`]), as Linux's nsfs dentry does, so
/// that `setns` can still join it after its last process has gone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NsRef {
    pub ty: NsType,
    pub id: u32,
    pub inum: u32,
}

impl Namespaces {
    /// An open /proc/PID/ns file takes a reference on the namespace it
    /// names (Linux: nsfs's dentry holds the ns_common).
    pub fn hold_ref(&mut self, r: &NsRef) {
        match r.ty {
            NsType::Uts => {
                if let Some(h) = self.uts.handle_of(r.id) {
                    self.uts.hold(h)
                }
            }
            NsType::Pid => {
                if let Some(h) = self.pid.handle_of(r.id) {
                    self.pid.hold(h)
                }
            }
            NsType::Ipc => {
                if let Some(h) = self.ipc.handle_of(r.id) {
                    self.ipc.hold(h)
                }
            }
            NsType::Mnt => {
                if let Some(h) = self.mnt.handle_of(r.id) {
                    self.mnt.hold(h)
                }
            }
            NsType::User => {
                if let Some(h) = self.user.handle_of(r.id) {
                    self.user.hold(h)
                }
            }
            _ => {}
        }
    }

    /// The file's reference goes; what a last one leaves to destroy is
    /// returned as [`Namespaces::put`] returns it.
    #[must_use]
    pub fn put_ref(&mut self, r: &NsRef) -> Dropped {
        let mut out = Dropped::default();
        match r.ty {
            NsType::Uts => {
                if let Some(h) = self.uts.handle_of(r.id) {
                    self.put_uts(h);
                }
            }
            NsType::Pid => {
                if let Some(h) = self.pid.handle_of(r.id) {
                    self.put_pid_ns(h);
                }
            }
            NsType::Ipc => {
                if let Some(h) = self.ipc.handle_of(r.id) {
                    out.ipc = self.put_ipc(h);
                }
            }
            NsType::Mnt => {
                if let Some(h) = self.mnt.handle_of(r.id) {
                    out.mnt = self.put_mnt_ns(h);
                }
            }
            NsType::User => {
                if let Some(h) = self.user.handle_of(r.id) {
                    self.user.put(h);
                }
            }
            _ => {}
        }
        out
    }

    /// The namespace of kind `ty` of a task whose nsproxy is `p` (unset
    /// for a zombie: ENOENT, except for its own PID namespace) and whose
    /// own PID namespace is `active` and user namespace `user` (Linux: the
    /// proc_ns_operations' get()).
    pub fn of_task(
        &self,
        p: NsProxyId,
        active: PidNsId,
        user: UserNsId,
        ty: NsType,
    ) -> Result<NsRef, crate::abi::Errno> {
        let one = |inum| Ok(NsRef { ty: ty.kind(), id: 0, inum });
        if p.is_unset() && ty != NsType::Pid {
            return Err(crate::abi::ENOENT);
        }
        let pid = |ns: PidNsId| Ok(NsRef { ty: NsType::Pid, id: ns.raw(), inum: self.pid.get(ns).inum() });
        match ty {
            NsType::Uts => {
                let u = self.proxies.get(p).uts;
                Ok(NsRef { ty: NsType::Uts, id: u.raw(), inum: self.uts.get(u).inum })
            }
            NsType::Pid => pid(active),
            NsType::PidForChildren => pid(self.proxies.get(p).pid_for_children),
            NsType::Net => one(NET_INIT_INO),
            NsType::Ipc => {
                let i = self.proxies.get(p).ipc;
                Ok(NsRef { ty: NsType::Ipc, id: i.raw(), inum: self.ipc.get(i).inum })
            }
            NsType::User => Ok(NsRef { ty: NsType::User, id: user.raw(), inum: self.user.inum(user) }),
            NsType::Mnt => {
                let m = self.proxies.get(p).mnt;
                Ok(NsRef { ty: NsType::Mnt, id: m.raw(), inum: self.mnt.get(m).inum })
            }
            NsType::Cgroup => one(CGROUP_INIT_INO),
            NsType::Time | NsType::TimeForChildren => one(TIME_INIT_INO),
        }
    }

    /// setns(2)'s change to a task's nsproxy `p` for namespace `r`, with
    /// the caller's own PID namespace `active`; the new nsproxy, or
    /// Linux's errno: EINVAL for a namespace that is gone, a PID namespace
    /// that is not the caller's or below it, or the caller's own user
    /// namespace (Linux: the proc_ns_operations' install()).
    pub fn install(&mut self, p: NsProxyId, active: PidNsId, r: NsRef) -> Result<NsProxyId, crate::abi::Errno> {
        use crate::abi::EINVAL;
        let mut proxy = *self.proxies.get(p);
        match r.ty {
            NsType::Uts => proxy.uts = self.uts.handle_of(r.id).ok_or(EINVAL)?,
            NsType::Pid => {
                let n = self.pid.handle_of(r.id).ok_or(EINVAL)?;
                // Linux: pidns_install(): only into the caller's own PID
                // namespace or one below it.
                if !self.pid.is_within(n, active) {
                    return Err(EINVAL);
                }
                proxy.pid_for_children = n;
            }
            NsType::Ipc => proxy.ipc = self.ipc.handle_of(r.id).ok_or(EINVAL)?,
            NsType::Mnt => proxy.mnt = self.mnt.handle_of(r.id).ok_or(EINVAL)?,
            // Linux: userns_install(): not the caller's own.
            NsType::User => return Err(EINVAL),
            // One of each: joining it changes nothing.
            _ => {}
        }
        // The new nsproxy's own references; the caller drops the old one.
        self.uts.hold(proxy.uts);
        self.pid.hold(proxy.pid_for_children);
        self.ipc.hold(proxy.ipc);
        self.mnt.hold(proxy.mnt);
        Ok(self.proxies.insert(proxy))
    }
}
