//! The initramfs: a cpio "newc" archive built in memory.
//!
//! Entry names are relative ("bin/hello", never "/bin/hello" or
//! "./bin/hello"). Every directory is emitted before anything inside it, and
//! missing parent directories are created with mode 0755. The archive ends
//! with the usual `TRAILER!!!` entry. Everything is root's unless given an
//! owner: a host path copied to the same path keeps the host's (as does a
//! Debian tree's entry), so that `ls -l` shows what it shows there.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use crate::Result;

const S_IFDIR: u32 = 0o040000;
const S_IFREG: u32 = 0o100000;
const S_IFLNK: u32 = 0o120000;

enum Node {
    Dir { mode: u32 },
    File { mode: u32, mtime: u32, data: Vec<u8> },
    Symlink { target: Vec<u8> },
}

/// A file tree to be written as a cpio newc archive.
#[derive(Default)]
pub struct Initramfs {
    // Sorted by path: a prefix sorts before its extensions, so a directory
    // always comes before its contents.
    nodes: BTreeMap<String, Node>,
    /// (uid, gid) of the nodes not root's.
    owners: BTreeMap<String, (u32, u32)>,
}

/// Turns "/a/b/", "a//b" or "./a/b" into "a/b"; rejects "..".
pub fn normalize(path: &str) -> Result<String> {
    let mut parts = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => return Err(format!("guest path {path:?} must not contain \"..\"")),
            p => parts.push(p),
        }
    }
    if parts.is_empty() {
        return Err(format!("guest path {path:?} names the root"));
    }
    Ok(parts.join("/"))
}

impl Initramfs {
    pub fn new() -> Self {
        Self::default()
    }

    /// Creates the parents of `path` that do not exist yet.
    fn parents(&mut self, path: &str) -> Result<()> {
        let mut end = 0;
        while let Some(i) = path[end..].find('/') {
            end += i;
            let dir = &path[..end];
            match self.nodes.get(dir) {
                None => {
                    self.nodes.insert(dir.to_string(), Node::Dir { mode: 0o755 });
                }
                Some(Node::Dir { .. }) => {}
                Some(_) => return Err(format!("initramfs: /{dir} is not a directory")),
            }
            end += 1;
        }
        Ok(())
    }

    fn insert(&mut self, path: &str, node: Node) -> Result<()> {
        let path = normalize(path)?;
        self.parents(&path)?;
        let is_dir = matches!(node, Node::Dir { .. });
        if let Some(old) = self.nodes.get(&path) {
            if matches!(old, Node::Dir { .. }) != is_dir {
                return Err(format!("initramfs: /{path} added both as a directory and not"));
            }
        }
        self.nodes.insert(path, node);
        Ok(())
    }

    /// Give the node at `path` an owner (root's otherwise).
    pub fn chown(&mut self, path: &str, uid: u32, gid: u32) -> Result<()> {
        let path = normalize(path)?;
        if (uid, gid) == (0, 0) {
            self.owners.remove(&path);
        } else {
            self.owners.insert(path, (uid, gid));
        }
        Ok(())
    }

    /// Removes `path` and everything below it, if there.
    pub fn remove_tree(&mut self, path: &str) -> Result<()> {
        let path = normalize(path)?;
        let below = format!("{path}/");
        self.nodes.retain(|p, _| *p != path && !p.starts_with(&below));
        self.owners.retain(|p, _| *p != path && !p.starts_with(&below));
        Ok(())
    }

    /// A directory with the given permission bits (e.g. 0o1777).
    pub fn dir(&mut self, path: &str, mode: u32) -> Result<()> {
        self.insert(path, Node::Dir { mode: mode & 0o7777 })
    }

    /// A regular file with the given permission bits.
    pub fn file(&mut self, path: &str, mode: u32, data: Vec<u8>) -> Result<()> {
        self.insert(path, Node::File { mode: mode & 0o7777, mtime: 0, data })
    }

    /// A regular file with the given permission bits and modification time.
    pub fn file_with_mtime(&mut self, path: &str, mode: u32, mtime: u32, data: Vec<u8>) -> Result<()> {
        self.insert(path, Node::File { mode: mode & 0o7777, mtime, data })
    }

    /// A regular file already in the archive: its mode bits, modification
    /// time and bytes.
    pub fn file_entry(&self, path: &str) -> Option<(u32, u32, &[u8])> {
        match self.nodes.get(&normalize(path).ok()?)? {
            Node::File { mode, mtime, data } => Some((*mode, *mtime, data)),
            _ => None,
        }
    }

    /// A symbolic link to `target`.
    pub fn symlink(&mut self, path: &str, target: Vec<u8>) -> Result<()> {
        self.insert(path, Node::Symlink { target })
    }

    /// Copies a host file, symlink or directory tree (recursively) to `guest`,
    /// keeping permission bits and modification times.
    pub fn add_host(&mut self, host: &Path, guest: &str) -> Result<()> {
        self.add_host_owned(host, guest, false)
    }

    /// [`add_host`](Self::add_host), with the host's owners if `owners`.
    fn add_host_owned(&mut self, host: &Path, guest: &str, owners: bool) -> Result<()> {
        let meta = fs::symlink_metadata(host).map_err(|e| format!("{}: {e}", host.display()))?;
        if owners {
            // Recorded before the node, which replaces nothing of it.
            self.chown(guest, meta.uid(), meta.gid())?;
        }
        let mode = meta.permissions().mode();
        let ft = meta.file_type();
        if ft.is_symlink() {
            let target = fs::read_link(host).map_err(|e| format!("{}: {e}", host.display()))?;
            self.insert(guest, Node::Symlink { target: target.as_os_str().as_bytes().to_vec() })
        } else if ft.is_dir() {
            self.dir(guest, mode)?;
            let mut children: Vec<_> = fs::read_dir(host)
                .map_err(|e| format!("{}: {e}", host.display()))?
                .collect::<std::io::Result<_>>()
                .map_err(|e| format!("{}: {e}", host.display()))?;
            children.sort_by_key(|e| e.file_name());
            for child in children {
                let name = child.file_name();
                let name =
                    name.to_str().ok_or_else(|| format!("{}: file name is not UTF-8", child.path().display()))?;
                self.add_host_owned(&child.path(), &format!("{guest}/{name}"), owners)?;
            }
            Ok(())
        } else if ft.is_file() {
            let data = fs::read(host).map_err(|e| format!("{}: {e}", host.display()))?;
            let mtime = meta.mtime().clamp(0, u32::MAX as i64) as u32;
            self.insert(guest, Node::File { mode: mode & 0o7777, mtime, data })
        } else {
            Err(format!("{}: only files, directories and symlinks can be added", host.display()))
        }
    }

    /// Copies the host file at absolute `path` to the same path, with the
    /// host's symbolic links on the way as links too (/lib64 -> usr/lib64
    /// and so on), so that a program opens it by the same names and finds
    /// the same file as on the host. Where a link would replace a
    /// directory already in the archive, the file is copied through it.
    pub fn add_host_path(&mut self, path: &Path) -> Result<()> {
        self.add_host_path_depth(path, path, 0)
    }

    fn add_host_path_depth(&mut self, original: &Path, path: &Path, depth: usize) -> Result<()> {
        if depth > 40 {
            return Err(format!("{}: too many levels of symbolic links", original.display()));
        }
        let parts: Vec<_> = path.components().skip(1).map(|c| c.as_os_str().to_owned()).collect();
        let mut cur = std::path::PathBuf::from("/");
        for (i, part) in parts.iter().enumerate() {
            let next = cur.join(part);
            let meta = fs::symlink_metadata(&next).map_err(|e| format!("{}: {e}", next.display()))?;
            if meta.file_type().is_symlink() {
                let guest = normalize(&next.to_string_lossy())?;
                if matches!(self.nodes.get(&guest), Some(Node::Dir { .. })) {
                    return self.add_host_owned(original, &original.to_string_lossy(), true);
                }
                let target = fs::read_link(&next).map_err(|e| format!("{}: {e}", next.display()))?;
                self.insert(&guest, Node::Symlink { target: target.as_os_str().as_bytes().to_vec() })?;
                self.chown(&guest, meta.uid(), meta.gid())?;
                // `cur` holds no links, so ".." in the target is lexical.
                let mut resolved = cur.clone();
                for c in target.components().chain(parts[i + 1..].iter().map(|p| std::path::Component::Normal(p))) {
                    match c {
                        std::path::Component::RootDir => resolved = std::path::PathBuf::from("/"),
                        std::path::Component::ParentDir => {
                            resolved.pop();
                        }
                        std::path::Component::CurDir | std::path::Component::Prefix(_) => {}
                        std::path::Component::Normal(n) => resolved.push(n),
                    }
                }
                return self.add_host_path_depth(original, &resolved, depth + 1);
            }
            cur = next;
        }
        self.add_host_owned(&cur, &cur.to_string_lossy(), true)
    }

    /// The archive bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for (ino, (name, node)) in self.nodes.iter().enumerate() {
            let ino = ino as u32 + 1;
            let (mode, nlink, mtime, data): (u32, u32, u32, &[u8]) = match node {
                Node::Dir { mode } => (S_IFDIR | mode, 2, 0, &[]),
                Node::File { mode, mtime, data } => (S_IFREG | mode, 1, *mtime, data),
                Node::Symlink { target } => (S_IFLNK | 0o777, 1, 0, target),
            };
            let owner = self.owners.get(name).copied().unwrap_or_default();
            entry(&mut out, ino, mode, owner, nlink, mtime, name.as_bytes(), data);
        }
        entry(&mut out, 0, 0, (0, 0), 1, 0, b"TRAILER!!!", &[]);
        out
    }
}

fn pad4(out: &mut Vec<u8>) {
    while !out.len().is_multiple_of(4) {
        out.push(0);
    }
}

/// One newc record: a 110-byte ASCII header, the NUL-terminated name padded
/// to a multiple of 4, the data padded to a multiple of 4.
#[allow(clippy::too_many_arguments)]
fn entry(
    out: &mut Vec<u8>,
    ino: u32,
    mode: u32,
    (uid, gid): (u32, u32),
    nlink: u32,
    mtime: u32,
    name: &[u8],
    data: &[u8],
) {
    let fields = [
        ino,
        mode,
        uid,
        gid,
        nlink,
        mtime,
        data.len() as u32,
        0, // devmajor
        0, // devminor
        0, // rdevmajor
        0, // rdevminor
        name.len() as u32 + 1,
        0, // check
    ];
    out.extend_from_slice(b"070701");
    for f in fields {
        out.extend_from_slice(format!("{f:08X}").as_bytes());
    }
    out.extend_from_slice(name);
    out.push(0);
    pad4(out);
    out.extend_from_slice(data);
    pad4(out);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal newc reader: (name, mode, data) per entry, trailer excluded.
    fn parse(mut b: &[u8]) -> Vec<(String, u32, Vec<u8>)> {
        let start = b.len();
        let mut v = Vec::new();
        loop {
            assert_eq!(&b[..6], b"070701");
            let field =
                |i: usize| u32::from_str_radix(std::str::from_utf8(&b[6 + 8 * i..14 + 8 * i]).unwrap(), 16).unwrap();
            let (mode, size, namesize) = (field(1), field(6) as usize, field(11) as usize);
            let name = String::from_utf8(b[110..110 + namesize - 1].to_vec()).unwrap();
            assert_eq!(b[110 + namesize - 1], 0);
            let data_at = (110 + namesize + 3) & !3;
            let data = b[data_at..data_at + size].to_vec();
            let next = (data_at + size + 3) & !3;
            assert_eq!((start - b.len() + next) % 4, 0);
            b = &b[next..];
            if name == "TRAILER!!!" {
                assert!(b.is_empty());
                return v;
            }
            v.push((name, mode, data));
        }
    }

    #[test]
    fn layout_and_order() {
        let mut fs = Initramfs::new();
        fs.file("/tine/argv", 0o644, b"/bin/x\0".to_vec()).unwrap();
        fs.file("/bin/x", 0o755, vec![1, 2, 3, 4, 5]).unwrap();
        fs.dir("/tmp", 0o1777).unwrap();
        fs.dir("/dev/", 0o755).unwrap();
        let entries = parse(&fs.to_bytes());
        let names: Vec<_> = entries.iter().map(|e| e.0.as_str()).collect();
        assert_eq!(names, ["bin", "bin/x", "dev", "tine", "tine/argv", "tmp"]);
        assert_eq!(entries[0].1, 0o040755);
        assert_eq!(entries[1].1, 0o100755);
        assert_eq!(entries[1].2, [1, 2, 3, 4, 5]);
        assert_eq!(entries[5].1, 0o041777);
    }

    #[test]
    fn symlinks() {
        let mut fs = Initramfs::new();
        fs.file("/bin/busybox", 0o755, vec![7]).unwrap();
        fs.symlink("/bin/sh", b"busybox".to_vec()).unwrap();
        let entries = parse(&fs.to_bytes());
        assert_eq!(entries[2].0, "bin/sh");
        assert_eq!(entries[2].1, 0o120777);
        assert_eq!(entries[2].2, b"busybox");
    }

    #[test]
    fn bad_paths() {
        assert!(normalize("/a/../b").is_err());
        assert!(normalize("/").is_err());
        assert_eq!(normalize("./a//b/").unwrap(), "a/b");
        let mut fs = Initramfs::new();
        fs.file("a", 0o644, vec![]).unwrap();
        assert!(fs.file("a/b", 0o644, vec![]).is_err());
        assert!(fs.dir("a", 0o755).is_err());
    }

    #[test]
    fn host_paths_keep_their_symbolic_links() {
        let dir = std::env::temp_dir().join(format!("tine-initramfs-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("real/lib")).unwrap();
        fs::write(dir.join("real/lib/libx.so"), b"x").unwrap();
        std::os::unix::fs::symlink("real", dir.join("alias")).unwrap();
        std::os::unix::fs::symlink("libx.so", dir.join("real/lib/libx.so.1")).unwrap();
        let mut ifs = Initramfs::new();
        ifs.add_host_path(&dir.join("alias/lib/libx.so.1")).unwrap();
        let entries = parse(&ifs.to_bytes());
        let find = |p: &Path| {
            let name = normalize(&p.to_string_lossy()).unwrap();
            entries.iter().find(|e| e.0 == name).map(|e| (e.1, e.2.clone()))
        };
        assert_eq!(find(&dir.join("alias")), Some((0o120777, b"real".to_vec())));
        assert_eq!(find(&dir.join("real/lib/libx.so.1")), Some((0o120777, b"libx.so".to_vec())));
        assert_eq!(find(&dir.join("real/lib/libx.so")).map(|e| e.1), Some(b"x".to_vec()));
        fs::remove_dir_all(&dir).unwrap();
    }

    /// (uid, gid) of each entry, by name.
    fn owners(mut b: &[u8]) -> BTreeMap<String, (u32, u32)> {
        let mut m = BTreeMap::new();
        for (name, _, data) in parse(b) {
            let field =
                |i: usize| u32::from_str_radix(std::str::from_utf8(&b[6 + 8 * i..14 + 8 * i]).unwrap(), 16).unwrap();
            m.insert(name.clone(), (field(2), field(3)));
            let data_at = (110 + name.len() + 1 + 3) & !3;
            b = &b[(data_at + data.len() + 3) & !3..];
        }
        m
    }

    #[test]
    fn owners_are_kept_where_given_and_root_elsewhere() {
        let mut fs = Initramfs::new();
        fs.file("/usr/bin/chage", 0o2755, vec![1]).unwrap();
        fs.chown("/usr/bin/chage", 0, 42).unwrap();
        fs.dir("/home/user", 0o700).unwrap();
        fs.chown("/home/user", 1000, 1000).unwrap();
        fs.file("/bin/x", 0o755, vec![]).unwrap();
        let o = owners(&fs.to_bytes());
        assert_eq!(o["usr/bin/chage"], (0, 42));
        assert_eq!(o["home/user"], (1000, 1000));
        assert_eq!(o["bin/x"], (0, 0));
        assert_eq!(o["home"], (0, 0));
        assert_eq!(parse(&fs.to_bytes()).iter().find(|e| e.0 == "usr/bin/chage").unwrap().1, 0o102755);
        fs.remove_tree("/home").unwrap();
        assert!(!owners(&fs.to_bytes()).contains_key("home/user"));
    }

    #[test]
    fn empty_archive_is_just_the_trailer() {
        assert!(parse(&Initramfs::new().to_bytes()).is_empty());
    }
}
