//! System V IPC structures (asm-generic/ipcbuf.h, asm/shmbuf.h, the
//! IPC_64 layouts x86_64 uses), read and written whole.

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// `struct ipc64_perm`.
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct Ipc64Perm {
    pub key: i32,
    pub uid: u32,
    pub gid: u32,
    pub cuid: u32,
    pub cgid: u32,
    pub mode: u32,
    pub seq: u16,
    pub pad2: u16,
    pub pad3: u32,
    pub unused1: u64,
    pub unused2: u64,
}

/// `struct shmid64_ds` (x86_64).
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct ShmidDs {
    pub shm_perm: Ipc64Perm,
    pub shm_segsz: u64,
    pub shm_atime: i64,
    pub shm_dtime: i64,
    pub shm_ctime: i64,
    pub shm_cpid: i32,
    pub shm_lpid: i32,
    pub shm_nattch: u64,
    pub unused4: u64,
    pub unused5: u64,
}

/// `struct shminfo64` (IPC_INFO).
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct Shminfo64 {
    pub shmmax: u64,
    pub shmmin: u64,
    pub shmmni: u64,
    pub shmseg: u64,
    pub shmall: u64,
    pub unused: [u64; 4],
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::{offset_of, size_of};

    #[test]
    fn layouts_are_linuxs() {
        assert_eq!(size_of::<Ipc64Perm>(), 48);
        assert_eq!(offset_of!(Ipc64Perm, seq), 24);
        assert_eq!(size_of::<ShmidDs>(), 112);
        assert_eq!(offset_of!(ShmidDs, shm_segsz), 48);
        assert_eq!(offset_of!(ShmidDs, shm_cpid), 80);
        assert_eq!(offset_of!(ShmidDs, shm_nattch), 88);
        assert_eq!(size_of::<Shminfo64>(), 72);
    }
}
