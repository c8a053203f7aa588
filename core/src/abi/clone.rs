//! clone(2) flags (linux/sched.h).

use bitflags::bitflags;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// The low byte of clone's flags is the child's exit signal, not flags
/// (clone3 takes the signal in its own field and refuses these bits,
/// except CLONE_NEWTIME, which reuses one of them).
pub const CSIGNAL: u64 = 0xff;

bitflags! {
    /// What clone/clone3 share or set up (Linux: the `CLONE_*` bits of
    /// `kernel_clone_args.flags`, with their ABI values).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
    pub struct CloneFlags: u64 {
        const NEWTIME = 0x80;
        const VM = 0x100;
        const FS = 0x200;
        const FILES = 0x400;
        const SIGHAND = 0x800;
        const PIDFD = 0x1000;
        const PTRACE = 0x2000;
        const VFORK = 0x4000;
        const PARENT = 0x8000;
        const THREAD = 0x10000;
        const NEWNS = 0x20000;
        const SYSVSEM = 0x40000;
        const SETTLS = 0x80000;
        const PARENT_SETTID = 0x100000;
        const CHILD_CLEARTID = 0x200000;
        const DETACHED = 0x400000;
        const UNTRACED = 0x800000;
        const CHILD_SETTID = 0x1000000;
        const NEWCGROUP = 0x2000000;
        const NEWUTS = 0x4000000;
        const NEWIPC = 0x8000000;
        const NEWUSER = 0x10000000;
        const NEWPID = 0x20000000;
        const NEWNET = 0x40000000;
        const IO = 0x80000000;
        /// clone3 only.
        const CLEAR_SIGHAND = 0x1_0000_0000;
        /// clone3 only.
        const INTO_CGROUP = 0x2_0000_0000;
    }
}

impl CloneFlags {
    /// The namespace flags copy_namespaces() acts on (Linux: the
    /// CLONE_NEW* bits but CLONE_NEWUSER, which copy_creds() handles).
    pub const NEW_NAMESPACES: Self = Self::NEWNS
        .union(Self::NEWUTS)
        .union(Self::NEWIPC)
        .union(Self::NEWPID)
        .union(Self::NEWNET)
        .union(Self::NEWCGROUP)
        .union(Self::NEWTIME);
}

/// `struct clone_args` as clone3 reads it, up to CLONE_ARGS_SIZE_VER2
/// (88 bytes): every field a u64.
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct CloneArgsAbi {
    pub flags: u64,
    pub pidfd: u64,
    pub child_tid: u64,
    pub parent_tid: u64,
    pub exit_signal: u64,
    pub stack: u64,
    pub stack_size: u64,
    pub tls: u64,
    pub set_tid: u64,
    pub set_tid_size: u64,
    pub cgroup: u64,
}
