//! File metadata and file-system flags as Linux x86_64 user space sees them:
//! `struct stat`, `struct statx`, `struct linux_dirent64`, the `S_IF*`,
//! `DT_*`, `O_*`, `AT_*` and `RENAME_*` numbers
//! (include/uapi/asm-generic/fcntl.h, arch/x86/include/uapi/asm/stat.h,
//! include/uapi/linux/stat.h, include/linux/dirent.h).
//!
//! `core` forbids `unsafe`, so a struct cannot be copied to user memory by
//! reinterpreting it as bytes. Each one instead has a `to_bytes()` that writes
//! every field little-endian at its C offset; the tests check those offsets
//! against the compiler's `#[repr(C)]` layout and against Linux's numbers.

use alloc::vec::Vec;

// ---------------------------------------------------------------------------
// Mode bits (include/uapi/linux/stat.h)

/// The file-type part of a mode.
pub const S_IFMT: u32 = 0o170000;
pub const S_IFSOCK: u32 = 0o140000;
pub const S_IFLNK: u32 = 0o120000;
pub const S_IFREG: u32 = 0o100000;
pub const S_IFBLK: u32 = 0o060000;
pub const S_IFDIR: u32 = 0o040000;
pub const S_IFCHR: u32 = 0o020000;
pub const S_IFIFO: u32 = 0o010000;
pub const S_ISUID: u32 = 0o4000;
pub const S_ISGID: u32 = 0o2000;
pub const S_ISVTX: u32 = 0o1000;
pub const S_IRWXU: u32 = 0o700;
pub const S_IRWXG: u32 = 0o070;
pub const S_IRWXO: u32 = 0o007;
pub const S_IXGRP: u32 = 0o010;
/// Any execute bit. Linux: `S_IXUGO`.
pub const S_IXUGO: u32 = 0o111;
/// The permission part of a mode, with set-id and sticky bits. Linux: `S_IALLUGO`.
pub const S_IALLUGO: u32 = 0o7777;

// ---------------------------------------------------------------------------
// Device numbers

/// A device number in the 32-bit encoding `stat` reports and `mknod`
/// takes, which glibc's `makedev()` agrees with for majors below 4096.
/// Linux: `new_encode_dev(MKDEV(major, minor))`.
pub const fn makedev(major: u32, minor: u32) -> u64 {
    ((minor & 0xff) | ((major & 0xfff) << 8) | ((minor & !0xff) << 12)) as u64
}

/// Linux: `MAJOR(new_decode_dev(dev))`.
pub const fn dev_major(dev: u64) -> u32 {
    ((dev as u32) & 0xfff00) >> 8
}

/// Linux: `MINOR(new_decode_dev(dev))`.
pub const fn dev_minor(dev: u64) -> u32 {
    ((dev as u32) & 0xff) | (((dev as u32) >> 12) & 0xfff00)
}

// ---------------------------------------------------------------------------
// open(2) flags (include/uapi/asm-generic/fcntl.h, as used on x86_64)

pub const O_ACCMODE: u32 = 0o3;
pub const O_RDONLY: u32 = 0o0;
pub const O_WRONLY: u32 = 0o1;
pub const O_RDWR: u32 = 0o2;
pub const O_CREAT: u32 = 0o100;
pub const O_EXCL: u32 = 0o200;
pub const O_NOCTTY: u32 = 0o400;
pub const O_TRUNC: u32 = 0o1000;
pub const O_APPEND: u32 = 0o2000;
pub const O_NONBLOCK: u32 = 0o4000;
pub const O_DSYNC: u32 = 0o10000;
pub const FASYNC: u32 = 0o20000;
pub const O_DIRECT: u32 = 0o40000;
pub const O_LARGEFILE: u32 = 0o100000;
pub const O_DIRECTORY: u32 = 0o200000;
pub const O_NOFOLLOW: u32 = 0o400000;
pub const O_NOATIME: u32 = 0o1000000;
pub const O_CLOEXEC: u32 = 0o2000000;
pub const O_SYNC: u32 = 0o4010000;
pub const O_PATH: u32 = 0o10000000;
/// `O_TMPFILE` includes `O_DIRECTORY`, so that kernels which do not know it
/// fail the open instead of creating a file named after the directory.
pub const O_TMPFILE: u32 = 0o20000000 | O_DIRECTORY;

// ---------------------------------------------------------------------------
// *at(2) flags (include/uapi/linux/fcntl.h)

/// The `dirfd` meaning "the current working directory".
pub const AT_FDCWD: i32 = -100;
pub const AT_SYMLINK_NOFOLLOW: u32 = 0x100;
/// `unlinkat`: behave as `rmdir`.
pub const AT_REMOVEDIR: u32 = 0x200;
/// `linkat`: follow a symbolic link given as the old path.
pub const AT_SYMLINK_FOLLOW: u32 = 0x400;
pub const AT_NO_AUTOMOUNT: u32 = 0x800;
/// An empty path names `dirfd` itself.
pub const AT_EMPTY_PATH: u32 = 0x1000;
pub const AT_STATX_SYNC_TYPE: u32 = 0x6000;
pub const AT_STATX_SYNC_AS_STAT: u32 = 0x0000;
pub const AT_STATX_FORCE_SYNC: u32 = 0x2000;
pub const AT_STATX_DONT_SYNC: u32 = 0x4000;
/// `faccessat`: check with the effective, not the real, ids.
pub const AT_EACCESS: u32 = 0x200;

// renameat2(2) flags.
pub const RENAME_NOREPLACE: u32 = 1 << 0;
pub const RENAME_EXCHANGE: u32 = 1 << 1;
pub const RENAME_WHITEOUT: u32 = 1 << 2;

/// `utimensat`: set this time to now / leave it alone.
pub const UTIME_NOW: i64 = (1 << 30) - 1;
pub const UTIME_OMIT: i64 = (1 << 30) - 2;

// ---------------------------------------------------------------------------
// Limits (include/uapi/linux/limits.h)

/// Longest path, counting its terminating NUL.
pub const PATH_MAX: usize = 4096;
/// Longest path component.
pub const NAME_MAX: usize = 255;
/// How many symbolic links one lookup may follow. Linux: `MAXSYMLINKS`.
pub const MAXSYMLINKS: u32 = 40;

// ---------------------------------------------------------------------------
// Serialization helper

/// Writes fields at fixed offsets of a C struct image. Offsets are constants
/// in the callers, so an out-of-range write is a bug caught by any test.
struct Image<const N: usize>([u8; N]);

impl<const N: usize> Image<N> {
    fn new() -> Self {
        Image([0; N])
    }
    fn put(&mut self, offset: usize, bytes: &[u8]) -> &mut Self {
        self.0[offset..offset + bytes.len()].copy_from_slice(bytes);
        self
    }
}

// ---------------------------------------------------------------------------
// struct stat

/// Linux x86_64 `struct stat` (arch/x86/include/uapi/asm/stat.h), as filled
/// by `stat`, `fstat`, `lstat` and `newfstatat`. 144 bytes.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stat {
    pub st_dev: u64,
    pub st_ino: u64,
    pub st_nlink: u64,
    pub st_mode: u32,
    pub st_uid: u32,
    pub st_gid: u32,
    pub __pad0: u32,
    pub st_rdev: u64,
    pub st_size: i64,
    pub st_blksize: i64,
    /// In 512-byte units, whatever `st_blksize` is.
    pub st_blocks: i64,
    pub st_atime: i64,
    pub st_atime_nsec: i64,
    pub st_mtime: i64,
    pub st_mtime_nsec: i64,
    pub st_ctime: i64,
    pub st_ctime_nsec: i64,
    pub __unused: [i64; 3],
}

impl Stat {
    pub const SIZE: usize = 144;

    /// The bytes user space expects, little-endian at the C offsets.
    pub fn to_bytes(&self) -> [u8; Self::SIZE] {
        let mut b = Image::<{ Self::SIZE }>::new();
        b.put(0, &self.st_dev.to_le_bytes())
            .put(8, &self.st_ino.to_le_bytes())
            .put(16, &self.st_nlink.to_le_bytes())
            .put(24, &self.st_mode.to_le_bytes())
            .put(28, &self.st_uid.to_le_bytes())
            .put(32, &self.st_gid.to_le_bytes())
            .put(36, &self.__pad0.to_le_bytes())
            .put(40, &self.st_rdev.to_le_bytes())
            .put(48, &self.st_size.to_le_bytes())
            .put(56, &self.st_blksize.to_le_bytes())
            .put(64, &self.st_blocks.to_le_bytes())
            .put(72, &self.st_atime.to_le_bytes())
            .put(80, &self.st_atime_nsec.to_le_bytes())
            .put(88, &self.st_mtime.to_le_bytes())
            .put(96, &self.st_mtime_nsec.to_le_bytes())
            .put(104, &self.st_ctime.to_le_bytes())
            .put(112, &self.st_ctime_nsec.to_le_bytes());
        for (i, w) in self.__unused.iter().enumerate() {
            b.put(120 + 8 * i, &w.to_le_bytes());
        }
        b.0
    }
}

// ---------------------------------------------------------------------------
// struct statx (include/uapi/linux/stat.h)

/// Linux: `struct statx_timestamp`. 16 bytes.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StatxTimestamp {
    pub tv_sec: i64,
    pub tv_nsec: u32,
    pub __reserved: i32,
}

impl StatxTimestamp {
    /// From nanoseconds since the epoch.
    pub const fn from_ns(ns: u64) -> Self {
        StatxTimestamp { tv_sec: (ns / 1_000_000_000) as i64, tv_nsec: (ns % 1_000_000_000) as u32, __reserved: 0 }
    }
    fn to_bytes(self) -> [u8; 16] {
        let mut b = Image::<16>::new();
        b.put(0, &self.tv_sec.to_le_bytes())
            .put(8, &self.tv_nsec.to_le_bytes())
            .put(12, &self.__reserved.to_le_bytes());
        b.0
    }
}

// statx(2) mask bits: which fields the caller wants / the kernel filled.
pub const STATX_TYPE: u32 = 0x0001;
pub const STATX_MODE: u32 = 0x0002;
pub const STATX_NLINK: u32 = 0x0004;
pub const STATX_UID: u32 = 0x0008;
pub const STATX_GID: u32 = 0x0010;
pub const STATX_ATIME: u32 = 0x0020;
pub const STATX_MTIME: u32 = 0x0040;
pub const STATX_CTIME: u32 = 0x0080;
pub const STATX_INO: u32 = 0x0100;
pub const STATX_SIZE: u32 = 0x0200;
pub const STATX_BLOCKS: u32 = 0x0400;
/// Everything `struct stat` has.
pub const STATX_BASIC_STATS: u32 = 0x07ff;
pub const STATX_BTIME: u32 = 0x0800;
pub const STATX_MNT_ID: u32 = 0x1000;
/// Reserved for a future, larger `struct statx`: `EINVAL` if asked for.
pub const STATX__RESERVED: u32 = 0x8000_0000;

/// Linux: `struct statx`. 256 bytes; the tail is reserved for growth.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Statx {
    pub stx_mask: u32,
    pub stx_blksize: u32,
    pub stx_attributes: u64,
    pub stx_nlink: u32,
    pub stx_uid: u32,
    pub stx_gid: u32,
    pub stx_mode: u16,
    pub __spare0: u16,
    pub stx_ino: u64,
    pub stx_size: u64,
    pub stx_blocks: u64,
    pub stx_attributes_mask: u64,
    pub stx_atime: StatxTimestamp,
    pub stx_btime: StatxTimestamp,
    pub stx_ctime: StatxTimestamp,
    pub stx_mtime: StatxTimestamp,
    pub stx_rdev_major: u32,
    pub stx_rdev_minor: u32,
    pub stx_dev_major: u32,
    pub stx_dev_minor: u32,
    pub stx_mnt_id: u64,
    pub stx_dio_mem_align: u32,
    pub stx_dio_offset_align: u32,
    pub stx_subvol: u64,
    pub __spare3: [u64; 11],
}

impl Statx {
    pub const SIZE: usize = 256;

    /// The `statx` view of a `stat` result, with `stx_mask` set to
    /// `STATX_BASIC_STATS`. Linux fills both from one `struct kstat`; here
    /// `Stat` plays that role.
    pub fn from_stat(st: &Stat) -> Self {
        let ts = |sec: i64, nsec: i64| StatxTimestamp { tv_sec: sec, tv_nsec: nsec as u32, __reserved: 0 };
        Statx {
            stx_mask: STATX_BASIC_STATS,
            stx_blksize: st.st_blksize as u32,
            stx_nlink: st.st_nlink as u32,
            stx_uid: st.st_uid,
            stx_gid: st.st_gid,
            stx_mode: st.st_mode as u16,
            stx_ino: st.st_ino,
            stx_size: st.st_size as u64,
            stx_blocks: st.st_blocks as u64,
            stx_atime: ts(st.st_atime, st.st_atime_nsec),
            stx_ctime: ts(st.st_ctime, st.st_ctime_nsec),
            stx_mtime: ts(st.st_mtime, st.st_mtime_nsec),
            stx_rdev_major: dev_major(st.st_rdev),
            stx_rdev_minor: dev_minor(st.st_rdev),
            stx_dev_major: dev_major(st.st_dev),
            stx_dev_minor: dev_minor(st.st_dev),
            ..Statx::default()
        }
    }

    /// The bytes user space expects, little-endian at the C offsets.
    pub fn to_bytes(&self) -> [u8; Self::SIZE] {
        let mut b = Image::<{ Self::SIZE }>::new();
        b.put(0, &self.stx_mask.to_le_bytes())
            .put(4, &self.stx_blksize.to_le_bytes())
            .put(8, &self.stx_attributes.to_le_bytes())
            .put(16, &self.stx_nlink.to_le_bytes())
            .put(20, &self.stx_uid.to_le_bytes())
            .put(24, &self.stx_gid.to_le_bytes())
            .put(28, &self.stx_mode.to_le_bytes())
            .put(30, &self.__spare0.to_le_bytes())
            .put(32, &self.stx_ino.to_le_bytes())
            .put(40, &self.stx_size.to_le_bytes())
            .put(48, &self.stx_blocks.to_le_bytes())
            .put(56, &self.stx_attributes_mask.to_le_bytes())
            .put(64, &self.stx_atime.to_bytes())
            .put(80, &self.stx_btime.to_bytes())
            .put(96, &self.stx_ctime.to_bytes())
            .put(112, &self.stx_mtime.to_bytes())
            .put(128, &self.stx_rdev_major.to_le_bytes())
            .put(132, &self.stx_rdev_minor.to_le_bytes())
            .put(136, &self.stx_dev_major.to_le_bytes())
            .put(140, &self.stx_dev_minor.to_le_bytes())
            .put(144, &self.stx_mnt_id.to_le_bytes())
            .put(152, &self.stx_dio_mem_align.to_le_bytes())
            .put(156, &self.stx_dio_offset_align.to_le_bytes())
            .put(160, &self.stx_subvol.to_le_bytes());
        for (i, w) in self.__spare3.iter().enumerate() {
            b.put(168 + 8 * i, &w.to_le_bytes());
        }
        b.0
    }
}

// ---------------------------------------------------------------------------
// struct linux_dirent64 (include/linux/dirent.h), for getdents64(2)

// d_type values. Linux: `fs_umode_to_dtype()` is `(mode & S_IFMT) >> 12`.
pub const DT_UNKNOWN: u8 = 0;
pub const DT_FIFO: u8 = 1;
pub const DT_CHR: u8 = 2;
pub const DT_DIR: u8 = 4;
pub const DT_BLK: u8 = 6;
pub const DT_REG: u8 = 8;
pub const DT_LNK: u8 = 10;
pub const DT_SOCK: u8 = 12;

/// The `d_type` for a file of this mode. Linux: `fs_umode_to_dtype()`.
pub const fn dt_from_mode(mode: u32) -> u8 {
    ((mode & S_IFMT) >> 12) as u8
}

/// One `struct linux_dirent64` record:
///
/// ```text
/// 0  u64 d_ino
/// 8  i64 d_off      position of the *next* record, for lseek
/// 16 u16 d_reclen   this record's length, a multiple of 8
/// 18 u8  d_type
/// 19 char d_name[]  NUL-terminated, then zero padding
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dirent64<'a> {
    pub d_ino: u64,
    pub d_off: i64,
    pub d_type: u8,
    pub d_name: &'a [u8],
}

impl Dirent64<'_> {
    /// Offset of `d_name` in the record.
    pub const NAME_OFFSET: usize = 19;

    /// The record length for a name of `name_len` bytes: header, name, NUL,
    /// rounded up to 8. Linux: `ALIGN(offsetof(struct linux_dirent64,
    /// d_name) + namlen + 1, sizeof(u64))`.
    pub const fn reclen_for(name_len: usize) -> usize {
        (Self::NAME_OFFSET + name_len + 1 + 7) & !7
    }

    pub fn reclen(&self) -> usize {
        Self::reclen_for(self.d_name.len())
    }

    /// Append the record to `out`.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        let start = out.len();
        out.extend_from_slice(&self.d_ino.to_le_bytes());
        out.extend_from_slice(&self.d_off.to_le_bytes());
        out.extend_from_slice(&(self.reclen() as u16).to_le_bytes());
        out.push(self.d_type);
        out.extend_from_slice(self.d_name);
        // The NUL terminator and the padding are both zeros.
        out.resize(start + self.reclen(), 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::{offset_of, size_of};

    /// Where `bytes` first occurs in `image`, for finding a marker value.
    fn find(image: &[u8], bytes: &[u8]) -> usize {
        image.windows(bytes.len()).position(|w| w == bytes).expect("marker not found")
    }

    #[test]
    fn stat_layout_matches_linux() {
        assert_eq!(size_of::<Stat>(), 144);
        assert_eq!(offset_of!(Stat, st_ino), 8);
        assert_eq!(offset_of!(Stat, st_nlink), 16);
        assert_eq!(offset_of!(Stat, st_mode), 24);
        assert_eq!(offset_of!(Stat, st_uid), 28);
        assert_eq!(offset_of!(Stat, st_gid), 32);
        assert_eq!(offset_of!(Stat, st_rdev), 40);
        assert_eq!(offset_of!(Stat, st_size), 48);
        assert_eq!(offset_of!(Stat, st_blksize), 56);
        assert_eq!(offset_of!(Stat, st_blocks), 64);
        assert_eq!(offset_of!(Stat, st_atime), 72);
        assert_eq!(offset_of!(Stat, st_mtime), 88);
        assert_eq!(offset_of!(Stat, st_ctime), 104);
        assert_eq!(offset_of!(Stat, __unused), 120);
    }

    #[test]
    fn stat_bytes_put_each_field_at_its_offset() {
        // Distinct values per field, so that a misplaced one is visible.
        let st = Stat {
            st_dev: 0x1111_1111_1111_1101,
            st_ino: 0x1111_1111_1111_1102,
            st_nlink: 0x1111_1111_1111_1103,
            st_mode: 0x2222_2204,
            st_uid: 0x2222_2205,
            st_gid: 0x2222_2206,
            __pad0: 0,
            st_rdev: 0x1111_1111_1111_1107,
            st_size: 0x1111_1111_1111_1108,
            st_blksize: 0x1111_1111_1111_1109,
            st_blocks: 0x1111_1111_1111_110a,
            st_atime: 0x1111_1111_1111_110b,
            st_atime_nsec: 0x1111_1111_1111_110c,
            st_mtime: 0x1111_1111_1111_110d,
            st_mtime_nsec: 0x1111_1111_1111_110e,
            st_ctime: 0x1111_1111_1111_110f,
            st_ctime_nsec: 0x1111_1111_1111_1110,
            __unused: [0; 3],
        };
        let b = st.to_bytes();
        let at = |v: u64| find(&b, &v.to_le_bytes());
        let at32 = |v: u32| find(&b, &v.to_le_bytes());
        assert_eq!(at(st.st_dev), offset_of!(Stat, st_dev));
        assert_eq!(at(st.st_ino), offset_of!(Stat, st_ino));
        assert_eq!(at(st.st_nlink), offset_of!(Stat, st_nlink));
        assert_eq!(at32(st.st_mode), 24);
        assert_eq!(at32(st.st_uid), 28);
        assert_eq!(at32(st.st_gid), 32);
        assert_eq!(at(st.st_rdev), 40);
        assert_eq!(at(st.st_size as u64), 48);
        assert_eq!(at(st.st_blksize as u64), 56);
        assert_eq!(at(st.st_blocks as u64), 64);
        assert_eq!(at(st.st_atime as u64), 72);
        assert_eq!(at(st.st_atime_nsec as u64), 80);
        assert_eq!(at(st.st_mtime as u64), 88);
        assert_eq!(at(st.st_mtime_nsec as u64), 96);
        assert_eq!(at(st.st_ctime as u64), 104);
        assert_eq!(at(st.st_ctime_nsec as u64), 112);
        assert!(b[120..].iter().all(|&x| x == 0));
    }

    #[test]
    fn statx_layout_matches_linux() {
        assert_eq!(size_of::<StatxTimestamp>(), 16);
        assert_eq!(size_of::<Statx>(), 256);
        assert_eq!(offset_of!(Statx, stx_nlink), 16);
        assert_eq!(offset_of!(Statx, stx_mode), 28);
        assert_eq!(offset_of!(Statx, stx_ino), 32);
        assert_eq!(offset_of!(Statx, stx_size), 40);
        assert_eq!(offset_of!(Statx, stx_blocks), 48);
        assert_eq!(offset_of!(Statx, stx_atime), 64);
        assert_eq!(offset_of!(Statx, stx_btime), 80);
        assert_eq!(offset_of!(Statx, stx_ctime), 96);
        assert_eq!(offset_of!(Statx, stx_mtime), 112);
        assert_eq!(offset_of!(Statx, stx_rdev_major), 128);
        assert_eq!(offset_of!(Statx, stx_dev_major), 136);
        assert_eq!(offset_of!(Statx, stx_mnt_id), 144);
        assert_eq!(offset_of!(Statx, stx_subvol), 160);
    }

    #[test]
    fn statx_bytes_put_each_field_at_its_offset() {
        let st = Stat {
            st_dev: makedev(0, 0x1b),
            st_ino: 0xabcdef,
            st_nlink: 3,
            st_mode: S_IFCHR | 0o620,
            st_uid: 1000,
            st_gid: 5,
            st_rdev: makedev(136, 300),
            st_size: 0x0102_0304_0506,
            st_blksize: 4096,
            st_blocks: 16,
            st_atime: 1_700_000_001,
            st_atime_nsec: 11,
            st_mtime: 1_700_000_002,
            st_mtime_nsec: 22,
            st_ctime: 1_700_000_003,
            st_ctime_nsec: 33,
            ..Stat::default()
        };
        let b = Statx::from_stat(&st).to_bytes();
        let u32_at = |o: usize| u32::from_le_bytes(b[o..o + 4].try_into().unwrap());
        let u64_at = |o: usize| u64::from_le_bytes(b[o..o + 8].try_into().unwrap());
        assert_eq!(u32_at(0), STATX_BASIC_STATS);
        assert_eq!(u32_at(4), 4096);
        assert_eq!(u32_at(16), 3);
        assert_eq!(u32_at(20), 1000);
        assert_eq!(u32_at(24), 5);
        assert_eq!(u16::from_le_bytes([b[28], b[29]]) as u32, S_IFCHR | 0o620);
        assert_eq!(u64_at(32), 0xabcdef);
        assert_eq!(u64_at(40), 0x0102_0304_0506);
        assert_eq!(u64_at(48), 16);
        assert_eq!(u64_at(64), 1_700_000_001);
        assert_eq!(u32_at(72), 11);
        assert_eq!(u64_at(80), 0, "no birth time");
        assert_eq!(u64_at(96), 1_700_000_003);
        assert_eq!(u32_at(104), 33);
        assert_eq!(u64_at(112), 1_700_000_002);
        assert_eq!(u32_at(120), 22);
        assert_eq!((u32_at(128), u32_at(132)), (136, 300));
        assert_eq!((u32_at(136), u32_at(140)), (0, 0x1b));
    }

    #[test]
    fn device_numbers_round_trip_like_glibc_makedev() {
        // The values glibc's makedev() gives.
        assert_eq!(makedev(1, 3), 0x103);
        assert_eq!(makedev(5, 1), 0x501);
        assert_eq!(makedev(136, 300), 0x10882c);
        for (ma, mi) in [(0, 0), (1, 3), (4095, 0xfffff), (136, 300)] {
            let d = makedev(ma, mi);
            assert_eq!((dev_major(d), dev_minor(d)), (ma, mi));
        }
    }

    #[test]
    fn dirent64_records_are_padded_to_eight() {
        assert_eq!(Dirent64::reclen_for(1), 24);
        assert_eq!(Dirent64::reclen_for(4), 24);
        assert_eq!(Dirent64::reclen_for(5), 32);
        let mut out = Vec::new();
        let d = Dirent64 { d_ino: 7, d_off: 3, d_type: DT_REG, d_name: b"hello" };
        d.write_to(&mut out);
        assert_eq!(out.len(), 32);
        assert_eq!(u64::from_le_bytes(out[0..8].try_into().unwrap()), 7);
        assert_eq!(i64::from_le_bytes(out[8..16].try_into().unwrap()), 3);
        assert_eq!(u16::from_le_bytes([out[16], out[17]]), 32);
        assert_eq!(out[18], DT_REG);
        assert_eq!(&out[19..24], b"hello");
        assert!(out[24..].iter().all(|&x| x == 0));
        assert_eq!(dt_from_mode(S_IFDIR | 0o755), DT_DIR);
        assert_eq!(dt_from_mode(S_IFLNK | 0o777), DT_LNK);
        assert_eq!(dt_from_mode(S_IFCHR), DT_CHR);
    }

    #[test]
    fn open_flags_have_linux_values() {
        assert_eq!(O_TMPFILE, 0o20200000);
        assert_eq!(O_SYNC & O_DSYNC, O_DSYNC);
        assert_eq!(AT_REMOVEDIR, AT_EACCESS, "Linux overloads 0x200");
    }
}
