//! The initramfs: a cpio archive in the "newc" format (`cpio -o -H newc`)
//! unpacked into the RAM file system at boot.
//! Linux: init/initramfs.c, `unpack_to_rootfs()`.
//!
//! The `cpio_reader` crate parses one entry at a time; this module walks the
//! image itself so that it can tell a clean end (the `TRAILER!!!` entry) from
//! a corrupt header, which the crate's iterator reports the same way, and so
//! that it can go on past the trailer: Linux accepts several archives one
//! after another, separated by zero padding, and `cpio` pads its output to a
//! 512-byte block with zeros.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use cpio_reader::Entry;

use super::perm::FsCred;
use super::ramfs::{Ino, Lookup, RamFs};
use crate::abi::*;

/// Size of a newc header: the magic and 13 eight-digit hex fields.
const HEADER_LEN: usize = 110;
const TRAILER: &[u8] = b"TRAILER!!!";

/// Unpack the newc archive(s) in `image` into `fs`, relative to its root.
/// Returns how many entries were created. Directories, regular files (with
/// their exact bytes and modes), symbolic links, device nodes, FIFOs and
/// hard links are supported; missing parent directories are made (mode
/// 0755); an existing non-directory of the same name is replaced and an
/// existing directory keeps its contents and takes the archive's mode.
/// The `.` entry and the trailer create nothing.
///
/// `EINVAL` for a corrupt or non-newc archive (including names that are not
/// UTF-8, which the parser refuses); other errnos as the file system gives
/// them. Linux: `unpack_to_rootfs()`, `do_name()`, `do_copy()`,
/// `do_symlink()`, `maybe_link()`.
pub fn unpack(fs: &mut RamFs, image: &[u8]) -> Result<usize, Errno> {
    let mut unpacker = Unpacker { fs, hard_links: BTreeMap::new(), dir_times: Vec::new() };
    let mut pos = 0;
    let mut created = 0;
    while pos < image.len() {
        if image[pos] == 0 {
            // Padding after a trailer (or at the very start, as Linux allows).
            pos += 1;
            continue;
        }
        if pos % 4 != 0 {
            // Linux: "broken padding". Headers start on 4-byte boundaries.
            return Err(EINVAL);
        }
        let rest = &image[pos..];
        match cpio_reader::iter_files(rest).next() {
            Some(entry) => {
                // The crate also reads the old binary and odc formats; Linux
                // takes only newc (and its CRC variant), and so do we.
                if entry.devmajor().is_none() {
                    return Err(EINVAL);
                }
                pos += entry_len(&entry);
                if unpacker.extract(&entry)? {
                    created += 1;
                }
            }
            // The crate ends on the trailer and on garbage alike.
            None => pos += trailer_len(rest).ok_or(EINVAL)?,
        }
    }
    unpacker.finish()?;
    Ok(created)
}

/// The bytes a (non-trailer) entry takes: header and name padded to 4,
/// then the data padded to 4.
fn entry_len(entry: &Entry<'_>) -> usize {
    let name_size = entry.name().len() + 1; // The NUL is counted.
    align4(HEADER_LEN + name_size) + align4(entry.file().len())
}

/// If `rest` starts with a trailer entry, the bytes it takes.
fn trailer_len(rest: &[u8]) -> Option<usize> {
    let header = rest.get(..HEADER_LEN)?;
    if &header[..6] != b"070701" && &header[..6] != b"070702" {
        return None;
    }
    let field = |i: usize| {
        let digits = core::str::from_utf8(&header[6 + 8 * i..14 + 8 * i]).ok()?;
        usize::from_str_radix(digits, 16).ok()
    };
    let (file_size, name_size) = (field(6)?, field(11)?);
    let name = rest.get(HEADER_LEN..HEADER_LEN + name_size)?;
    if name.strip_suffix(b"\0")? != TRAILER {
        return None;
    }
    Some(align4(HEADER_LEN + name_size) + align4(file_size))
}

const fn align4(n: usize) -> usize {
    (n + 3) & !3
}

struct Unpacker<'fs> {
    fs: &'fs mut RamFs,
    /// Regular files with nlink ≥ 2, by (device major, minor, inode) in
    /// the archive: later entries become links to the first.
    /// Linux: `find_link()`.
    hard_links: BTreeMap<(u32, u32, u32), Ino>,
    /// Directory mtimes, applied at the end because creating each child
    /// would bump them. Linux: `dir_add()`, `dir_utime()`.
    dir_times: Vec<(Ino, u64)>,
}

impl Unpacker<'_> {
    /// Create one entry; `false` if it named nothing to create (`.`).
    fn extract(&mut self, entry: &Entry<'_>) -> Result<bool, Errno> {
        // Names are relative to the root; tolerate "./" and "/" prefixes.
        let mut name = entry.name().as_bytes();
        loop {
            if let Some(rest) = name.strip_prefix(b"./") {
                name = rest;
            } else if let Some(rest) = name.strip_prefix(b"/") {
                name = rest;
            } else {
                break;
            }
        }
        let name = trim_trailing_slashes(name);
        if name.is_empty() || name == b"." {
            return Ok(false);
        }
        let mode = entry.mode().bits();
        let time = entry.mtime().saturating_mul(1_000_000_000);
        let (dir, last) = self.make_parents(name, time)?;

        let ino = match mode & S_IFMT {
            S_IFDIR => {
                let ino = match self.fs.lookup_child(dir, last) {
                    Ok(ino) if self.fs.inode(ino)?.is_dir() => ino,
                    Ok(_) => {
                        self.fs.unlink(&FsCred::ROOT, dir, last, time)?;
                        self.fs.mkdir(&FsCred::ROOT, dir, last, mode, time)?
                    }
                    Err(ENOENT) => self.fs.mkdir(&FsCred::ROOT, dir, last, mode, time)?,
                    Err(e) => return Err(e),
                };
                self.dir_times.push((ino, time));
                ino
            }
            S_IFREG => {
                let key = (entry.devmajor().unwrap_or(0), entry.devminor().unwrap_or(0), entry.ino());
                let linked = match self.hard_links.get(&key) {
                    Some(&first) if entry.nlink() >= 2 && self.fs.inode(first).is_ok() => Some(first),
                    _ => None,
                };
                self.remove_existing(dir, last, time)?;
                let ino = match linked {
                    Some(first) => {
                        self.fs.link(&FsCred::ROOT, first, dir, last, time)?;
                        first
                    }
                    None => self.fs.create(&FsCred::ROOT, dir, last, mode, time)?,
                };
                if entry.nlink() >= 2 {
                    self.hard_links.entry(key).or_insert(ino);
                }
                // newc stores a hard-linked file's data with one of its names
                // (GNU cpio: the last), the others with none.
                if !entry.file().is_empty() {
                    self.fs.write_at(ino, 0, entry.file(), time)?;
                }
                ino
            }
            S_IFLNK => {
                self.remove_existing(dir, last, time)?;
                self.fs.symlink(&FsCred::ROOT, dir, last, entry.file(), time)?
            }
            S_IFCHR | S_IFBLK | S_IFIFO | S_IFSOCK => {
                let rdev = makedev(entry.rdevmajor().unwrap_or(0), entry.rdevminor().unwrap_or(0));
                self.remove_existing(dir, last, time)?;
                self.fs.mknod(&FsCred::ROOT, dir, last, mode, rdev, time)?
            }
            _ => return Err(EINVAL),
        };
        // Owner first, then mode: chown clears set-id bits, as in Linux,
        // which does vfs_fchown() then vfs_fchmod().
        self.fs.chown(ino, Some(entry.uid()), Some(entry.gid()), time)?;
        self.fs.chmod(ino, mode, time)?;
        self.fs.set_times(ino, Some(time), Some(time), time)?;
        Ok(true)
    }

    /// The directory that `path`'s last component goes in, making any
    /// missing directory on the way. Linux's initramfs expects parents to
    /// come first in the archive; making them is kinder to hand-built ones.
    fn make_parents<'p>(&mut self, path: &'p [u8], time: u64) -> Result<(Ino, &'p [u8]), Errno> {
        let mut dir = self.fs.root();
        let mut names = path.split(|&c| c == b'/').filter(|c| !c.is_empty()).peekable();
        while let Some(name) = names.next() {
            if names.peek().is_none() {
                return Ok((dir, name));
            }
            dir = match self.fs.lookup(&FsCred::ROOT, dir, name, Lookup::FOLLOW | Lookup::DIRECTORY) {
                Ok(ino) => ino,
                Err(ENOENT) => self.fs.mkdir(&FsCred::ROOT, dir, name, 0o755, time)?,
                Err(e) => return Err(e),
            };
        }
        Err(ENOENT) // Unreachable: `path` is not empty.
    }

    /// Make room for a new non-directory `name`. Linux: `clean_path()`.
    fn remove_existing(&mut self, dir: Ino, name: &[u8], time: u64) -> Result<(), Errno> {
        match self.fs.lookup_child(dir, name) {
            Ok(ino) if self.fs.inode(ino)?.is_dir() => self.fs.rmdir(&FsCred::ROOT, dir, name, time),
            Ok(_) => self.fs.unlink(&FsCred::ROOT, dir, name, time),
            Err(ENOENT) => Ok(()),
            Err(e) => Err(e),
        }
    }

    fn finish(self) -> Result<(), Errno> {
        for (ino, time) in self.dir_times {
            // A later entry may have replaced the directory.
            if self.fs.inode(ino).is_ok() {
                self.fs.set_times(ino, Some(time), Some(time), time)?;
            }
        }
        Ok(())
    }
}

fn trim_trailing_slashes(mut name: &[u8]) -> &[u8] {
    while let Some(rest) = name.strip_suffix(b"/") {
        name = rest;
    }
    name
}
