//! The contents and attributes of the RAM file system's inodes: file data,
//! directory listings, `stat` and the changes `chmod`, `chown` and
//! `utimensat` make (Linux: mm/shmem.c's file and inode operations,
//! fs/libfs.c's dcache_readdir(), fs/stat.c, fs/attr.c).

use alloc::vec::Vec;

use super::*;

impl RamFs {
    // -----------------------------------------------------------------------
    // Contents

    /// Read from a regular file at `offset`; 0 at or past the end.
    /// `EISDIR` for a directory, `EINVAL` for anything else (devices are
    /// the file layer's). Linux: `generic_file_read_iter()`.
    pub fn read_at(&self, ino: Ino, offset: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        let data = self.file_data(ino)?;
        let Ok(start) = usize::try_from(offset) else {
            return Ok(0);
        };
        if start >= data.len() {
            return Ok(0);
        }
        let n = buf.len().min(data.len() - start);
        buf[..n].copy_from_slice(&data[start..start + n]);
        Ok(n)
    }

    /// Write to a regular file at `offset`, growing it; a gap between the
    /// old end and `offset` reads as zeros. `EFBIG` past the maximum file
    /// size, `ENOSPC` when memory runs out. `O_APPEND` is the caller's:
    /// pass the current size as `offset`.
    /// Linux: `generic_perform_write()`.
    pub fn write_at(&mut self, ino: Ino, offset: u64, data: &[u8], now: u64) -> Result<usize, Errno> {
        let end = offset.checked_add(data.len() as u64).ok_or(EFBIG)?;
        if end > MAX_FILE_SIZE {
            return Err(EFBIG);
        }
        let inode = self.inode_mut(ino)?;
        let file = file_vec(inode)?;
        if data.is_empty() {
            return Ok(0);
        }
        let (start, end) = (offset as usize, end as usize);
        if end > file.len() {
            grow(file, end)?;
        }
        file[start..end].copy_from_slice(data);
        let inode = self.inode_mut(ino)?;
        inode.mtime = now;
        inode.ctime = now;
        Ok(data.len())
    }

    /// Set a regular file's size: shrinking drops the tail, growing adds
    /// zeros. Linux: `do_truncate()` → `shmem_setattr()`.
    pub fn truncate(&mut self, ino: Ino, len: u64, now: u64) -> Result<(), Errno> {
        if len > MAX_FILE_SIZE {
            return Err(EFBIG);
        }
        let inode = self.inode_mut(ino)?;
        let file = file_vec(inode)?;
        let len = usize::try_from(len).map_err(|_| EFBIG)?;
        if len > file.len() {
            grow(file, len)?;
        } else {
            file.truncate(len);
            // Give memory back when most of it is no longer used.
            if file.capacity() > 2 * len + BLOCK_SIZE as usize {
                file.shrink_to_fit();
            }
        }
        let inode = self.inode_mut(ino)?;
        inode.mtime = now;
        inode.ctime = now;
        Ok(())
    }

    /// A regular file's whole contents, for the ELF loader and other
    /// in-kernel readers that want no copy. Errors as [`read_at`](Self::read_at).
    pub fn file_data(&self, ino: Ino) -> Result<&[u8], Errno> {
        match &self.inode(ino)?.data {
            Data::File(v) => Ok(v),
            Data::Dir(_) => Err(EISDIR),
            _ => Err(EINVAL),
        }
    }

    /// A copy of a regular file's contents, for a caller that must let go
    /// of the file system while it uses them (exec builds an address space).
    pub fn read_all(&self, ino: Ino) -> Result<Vec<u8>, Errno> {
        Ok(self.file_data(ino)?.to_vec())
    }

    /// A symlink's target. `EINVAL` if `ino` is not a symlink.
    /// Linux: `vfs_readlink()`.
    pub fn readlink(&self, ino: Ino) -> Result<&[u8], Errno> {
        match &self.inode(ino)?.data {
            Data::Symlink(target) => Ok(target),
            _ => Err(EINVAL),
        }
    }

    /// May `cred` execute `ino`? A regular file it has execute permission
    /// on (root needs at least one execute bit); `EACCES` otherwise.
    /// Linux: `do_open_execat()` and `may_open(MAY_EXEC)`.
    pub fn may_exec(&self, cred: &FsCred, ino: Ino) -> Result<(), Errno> {
        let inode = self.inode(ino)?;
        if inode.file_type() != FileType::Regular {
            return Err(EACCES);
        }
        perm::inode_permission(cred, inode, MAY_EXEC)
    }

    // -----------------------------------------------------------------------
    // Directories

    /// List directory `dir` from readdir position `pos`, calling `emit` for
    /// each entry in turn (`.` and `..` first) until it returns `false`
    /// (no room: that entry is not consumed) or the directory ends.
    /// Returns the position to resume from. `ENOTDIR` for a non-directory,
    /// `ENOENT` for a removed one. Linux: `iterate_dir()` with a
    /// `dir_context` whose actor is `emit`.
    pub fn readdir(&self, dir: Ino, pos: u64, mut emit: impl FnMut(DirEntry<'_>) -> bool) -> Result<u64, Errno> {
        let d = self.dir(dir)?;
        if self.inode(dir)?.nlink == 0 {
            return Err(ENOENT);
        }
        let mut pos = pos;
        if pos == 0 {
            if !emit(DirEntry { ino: dir, next_pos: 1, d_type: DT_DIR, name: b"." }) {
                return Ok(0);
            }
            pos = 1;
        }
        if pos == 1 {
            if !emit(DirEntry { ino: d.parent, next_pos: 2, d_type: DT_DIR, name: b".." }) {
                return Ok(1);
            }
            pos = 2;
        }
        for (&p, name) in d.by_pos.range(pos..) {
            let ino = d.entries[name].ino;
            let d_type = dt_from_mode(self.inode(ino)?.mode);
            if !emit(DirEntry { ino, next_pos: p + 1, d_type, name }) {
                return Ok(p);
            }
            pos = p + 1;
        }
        Ok(pos)
    }

    /// `getdents64`: as many `struct linux_dirent64` records from `pos` as
    /// fit in `buf_len` bytes, and the position to resume from. An empty
    /// result means the end; `EINVAL` if even one record does not fit.
    /// Linux: `getdents64()` + `filldir64()`.
    pub fn getdents64(&self, dir: Ino, pos: u64, buf_len: usize) -> Result<(Vec<u8>, u64), Errno> {
        let mut out = Vec::new();
        let mut full = false;
        let next = self.readdir(dir, pos, |e| {
            let rec = Dirent64 { d_ino: e.ino, d_off: e.next_pos as i64, d_type: e.d_type, d_name: e.name };
            if out.len() + rec.reclen() > buf_len {
                full = true;
                return false;
            }
            rec.write_to(&mut out);
            true
        })?;
        if full && out.is_empty() {
            return Err(EINVAL);
        }
        Ok((out, next))
    }

    // -----------------------------------------------------------------------
    // Attributes

    /// Linux: `vfs_getattr()` → `generic_fillattr()` → `cp_new_stat()`.
    pub fn stat(&self, ino: Ino) -> Result<Stat, Errno> {
        let i = self.inode(ino)?;
        let size = i.size();
        // Whole pages for file data, like tmpfs; directories and symlinks
        // live in the inode and take no blocks.
        let blocks = match i.data {
            Data::File(_) => size.div_ceil(BLOCK_SIZE) * (BLOCK_SIZE / 512),
            _ => 0,
        };
        let sec = |ns: u64| (ns / 1_000_000_000) as i64;
        let nsec = |ns: u64| (ns % 1_000_000_000) as i64;
        Ok(Stat {
            st_dev: self.supers.get(i.sb).map_or(RAMFS_DEV, |sb| sb.dev),
            st_ino: i.ino,
            st_nlink: i.nlink as u64,
            st_mode: i.mode,
            st_uid: i.uid,
            st_gid: i.gid,
            st_rdev: i.rdev,
            st_size: size as i64,
            st_blksize: BLOCK_SIZE as i64,
            st_blocks: blocks as i64,
            st_atime: sec(i.atime),
            st_atime_nsec: nsec(i.atime),
            st_mtime: sec(i.mtime),
            st_mtime_nsec: nsec(i.mtime),
            st_ctime: sec(i.ctime),
            st_ctime_nsec: nsec(i.ctime),
            ..Stat::default()
        })
    }

    /// Linux: `do_statx()`; every basic field is always filled, whatever
    /// the mask asked for, which Linux allows.
    pub fn statx(&self, ino: Ino) -> Result<Statx, Errno> {
        Ok(Statx::from_stat(&self.stat(ino)?))
    }

    /// Set the permission bits (the type bits stay). Linux: `chmod_common()`.
    pub fn chmod(&mut self, ino: Ino, mode: u32, now: u64) -> Result<(), Errno> {
        let i = self.inode_mut(ino)?;
        i.mode = (i.mode & S_IFMT) | (mode & S_IALLUGO);
        i.ctime = now;
        Ok(())
    }

    /// Set owner and/or group (`None` leaves one alone). As in Linux, this
    /// clears set-user-ID, and set-group-ID when group-executable, on
    /// non-directories. Linux: `chown_common()`.
    pub fn chown(&mut self, ino: Ino, uid: Option<u32>, gid: Option<u32>, now: u64) -> Result<(), Errno> {
        let i = self.inode_mut(ino)?;
        if let Some(uid) = uid {
            i.uid = uid;
        }
        if let Some(gid) = gid {
            i.gid = gid;
        }
        if !i.is_dir() {
            i.mode &= !S_ISUID;
            if i.mode & S_IXGRP != 0 {
                i.mode &= !S_ISGID;
            }
        }
        i.ctime = now;
        Ok(())
    }

    /// Set access and/or modification time (`None` leaves one alone); the
    /// change time becomes `now`. `UTIME_NOW` and `UTIME_OMIT` are the
    /// caller's to translate. Linux: `vfs_utimes()`.
    pub fn set_times(&mut self, ino: Ino, atime: Option<u64>, mtime: Option<u64>, now: u64) -> Result<(), Errno> {
        let i = self.inode_mut(ino)?;
        if let Some(t) = atime {
            i.atime = t;
        }
        if let Some(t) = mtime {
            i.mtime = t;
        }
        i.ctime = now;
        Ok(())
    }
}

/// The data of a regular file, with `read_at`'s errnos for other types.
fn file_vec(inode: &mut Inode) -> Result<&mut Vec<u8>, Errno> {
    match &mut inode.data {
        Data::File(v) => Ok(v),
        Data::Dir(_) => Err(EISDIR),
        _ => Err(EINVAL),
    }
}

/// Extend a file to `len` bytes with zeros, failing with `ENOSPC` rather
/// than aborting when the allocator cannot deliver (tmpfs reports a full
/// file system the same way).
fn grow(file: &mut Vec<u8>, len: usize) -> Result<(), Errno> {
    crate::mm::kheap::try_reserve(file, len - file.len()).map_err(|_| ENOSPC)?;
    file.resize(len, 0);
    Ok(())
}
