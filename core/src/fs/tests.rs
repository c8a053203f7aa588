//! Host tests for the RAM file system and the initramfs unpacker. Expected
//! errnos are what Linux gives for the same call (checked against its
//! fs/namei.c and, where noted, against a real system).

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use super::cpio::unpack;
use super::mount::ROOT_MOUNT;
use super::namei::Path;
use super::perm::FsCred;
use super::ramfs::*;
use super::{make_standard_nodes, DEV_CONSOLE, DEV_NULL, DEV_TTYS0};
use crate::abi::*;

const T0: u64 = 1_000_000_000;

/// Inode `ino` of the root mount.
fn at(ino: Ino) -> Path {
    Path::new(ROOT_MOUNT, ino)
}

fn fs() -> RamFs {
    let mut fs = RamFs::new();
    fs.set_times(fs.root(), Some(T0), Some(T0), T0).unwrap();
    fs
}

fn follow() -> Lookup {
    Lookup::FOLLOW
}

/// Build `/a/b/c` (dirs), `/a/file` (regular, "hello"), `/a/link -> b`,
/// `/abs -> /a/b/c`, `/dangling -> nowhere`.
fn sample() -> RamFs {
    let mut fs = fs();
    let r = fs.root();
    let a = fs.mkdir(&FsCred::ROOT, r, b"a", 0o755, T0).unwrap();
    let b = fs.mkdir(&FsCred::ROOT, a, b"b", 0o755, T0).unwrap();
    fs.mkdir(&FsCred::ROOT, b, b"c", 0o700, T0).unwrap();
    let f = fs.create(&FsCred::ROOT, a, b"file", 0o644, T0).unwrap();
    fs.write_at(f, 0, b"hello", T0).unwrap();
    fs.symlink(&FsCred::ROOT, a, b"link", b"b", T0).unwrap();
    fs.symlink(&FsCred::ROOT, r, b"abs", b"/a/b/c", T0).unwrap();
    fs.symlink(&FsCred::ROOT, r, b"dangling", b"nowhere", T0).unwrap();
    fs
}

fn look(fs: &RamFs, path: &str) -> Result<Ino, Errno> {
    fs.lookup(&FsCred::ROOT, fs.root(), path.as_bytes(), follow())
}

fn read_all(fs: &RamFs, ino: Ino) -> Vec<u8> {
    fs.file_data(ino).unwrap().to_vec()
}

// ---------------------------------------------------------------------------
// Path walk

#[test]
fn root_and_dots() {
    let fs = sample();
    let r = fs.root();
    for p in ["/", "//", "///.", "/.", "/..", "/../..", ".", "./", "a/..", "/a/b/../.."] {
        assert_eq!(look(&fs, p), Ok(r), "{p}");
    }
    assert_eq!(fs.lookup(&FsCred::ROOT, r, b"", follow()), Err(ENOENT));
    let a = look(&fs, "a").unwrap();
    assert_eq!(fs.lookup(&FsCred::ROOT, a, b"", Lookup::EMPTY), Ok(a));
    let file = look(&fs, "/a/file").unwrap();
    assert_eq!(fs.lookup(&FsCred::ROOT, file, b"", Lookup::EMPTY), Ok(file), "AT_EMPTY_PATH on a file");
    assert_eq!(fs.lookup(&FsCred::ROOT, file, b"", Lookup::EMPTY | Lookup::DIRECTORY), Err(ENOTDIR));
}

#[test]
fn relative_absolute_and_repeated_slashes() {
    let fs = sample();
    let c = look(&fs, "/a/b/c").unwrap();
    let a = look(&fs, "/a").unwrap();
    assert_eq!(look(&fs, "a//b///c"), Ok(c));
    assert_eq!(look(&fs, "./a/./b/../b/c/"), Ok(c));
    assert_eq!(fs.lookup(&FsCred::ROOT, a, b"b/c", follow()), Ok(c));
    assert_eq!(fs.lookup(&FsCred::ROOT, a, b"/a/b/c", follow()), Ok(c), "absolute ignores cwd");
    assert_eq!(fs.lookup(&FsCred::ROOT, c, b"../../file", follow()), look(&fs, "/a/file"));
}

#[test]
fn walk_errors() {
    let fs = sample();
    assert_eq!(look(&fs, "/missing"), Err(ENOENT));
    assert_eq!(look(&fs, "/missing/x"), Err(ENOENT));
    assert_eq!(look(&fs, "/a/file/x"), Err(ENOTDIR));
    assert_eq!(look(&fs, "/a/file/."), Err(ENOTDIR));
    assert_eq!(look(&fs, "/a/file/.."), Err(ENOTDIR));
    assert_eq!(look(&fs, "/a/file/"), Err(ENOTDIR), "trailing slash wants a directory");
    assert_eq!(look(&fs, "/a/file//"), Err(ENOTDIR));
    assert!(look(&fs, "/a/b/").is_ok());
    assert_eq!(look(&fs, "/a/missing/"), Err(ENOENT));
    let file = look(&fs, "/a/file").unwrap();
    assert_eq!(fs.lookup(&FsCred::ROOT, file, b"x", follow()), Err(ENOTDIR), "cwd not a directory");
    assert_eq!(fs.lookup(&FsCred::ROOT, fs.root(), b"/a/file", Lookup::DIRECTORY), Err(ENOTDIR));
}

#[test]
fn name_and_path_length_limits() {
    let fs = sample();
    let name255 = "n".repeat(255);
    let name256 = "n".repeat(256);
    assert_eq!(look(&fs, &name255), Err(ENOENT));
    assert_eq!(look(&fs, &name256), Err(ENAMETOOLONG));
    assert_eq!(look(&fs, &alloc::format!("/a/{name256}")), Err(ENAMETOOLONG));
    // A missing directory is found missing before the long name is looked at.
    assert_eq!(look(&fs, &alloc::format!("/missing/{name256}")), Err(ENOENT));
    // 4095 bytes is the longest path (PATH_MAX counts the NUL).
    let mut p = "./".repeat(2047);
    p.push('.');
    assert_eq!(p.len(), 4095);
    assert_eq!(look(&fs, &p), Ok(fs.root()));
    p.push('/');
    assert_eq!(look(&fs, &p), Err(ENAMETOOLONG));
    assert_eq!(fs.lookup_parent(&FsCred::ROOT, fs.root(), p.as_bytes()), Err(ENAMETOOLONG));
}

#[test]
fn symlinks_are_followed_where_linux_follows_them() {
    let fs = sample();
    let b = look(&fs, "/a/b").unwrap();
    let c = look(&fs, "/a/b/c").unwrap();
    let link = fs.lookup(&FsCred::ROOT, fs.root(), b"/a/link", Lookup::empty()).unwrap();
    assert_eq!(fs.inode(link).unwrap().file_type(), FileType::Symlink);
    assert_eq!(fs.readlink(link), Ok(&b"b"[..]));
    assert_eq!(look(&fs, "/a/link"), Ok(b), "relative target, from the link's directory");
    assert_eq!(look(&fs, "/a/link/c"), Ok(c), "intermediate links always followed");
    assert_eq!(fs.lookup(&FsCred::ROOT, fs.root(), b"/a/link/c", Lookup::empty()), Ok(c));
    assert_eq!(look(&fs, "/abs"), Ok(c), "absolute target");
    assert_eq!(look(&fs, "/abs/../.."), look(&fs, "/a"), ".. after a link is physical");
    // A trailing slash follows even under NOFOLLOW (lstat("link/")).
    assert_eq!(fs.lookup(&FsCred::ROOT, fs.root(), b"/a/link/", Lookup::empty()), Ok(b));
    assert_eq!(look(&fs, "/dangling"), Err(ENOENT));
    assert!(fs.lookup(&FsCred::ROOT, fs.root(), b"/dangling", Lookup::empty()).is_ok());
    assert_eq!(fs.readlink(b), Err(EINVAL));
    // A link to a file, then used as a directory.
    let mut fs = fs;
    fs.symlink(&FsCred::ROOT, fs.root(), b"tofile", b"a/file", T0).unwrap();
    assert_eq!(look(&fs, "/tofile/x"), Err(ENOTDIR));
    assert_eq!(look(&fs, "/tofile/"), Err(ENOTDIR));
    assert_eq!(look(&fs, "/tofile"), look(&fs, "/a/file"));
}

#[test]
fn symlink_loops_and_the_limit_of_forty() {
    let mut fs = fs();
    let r = fs.root();
    fs.symlink(&FsCred::ROOT, r, b"self", b"self", T0).unwrap();
    fs.symlink(&FsCred::ROOT, r, b"ping", b"pong", T0).unwrap();
    fs.symlink(&FsCred::ROOT, r, b"pong", b"ping", T0).unwrap();
    assert_eq!(look(&fs, "/self"), Err(ELOOP));
    assert_eq!(look(&fs, "/ping/x"), Err(ELOOP));
    assert!(fs.lookup(&FsCred::ROOT, r, b"/self", Lookup::empty()).is_ok(), "not followed, no loop");
    // A chain l1 -> l2 -> ... -> l40 -> target: 40 links is allowed, 41 not.
    let target = fs.create(&FsCred::ROOT, r, b"target", 0o644, T0).unwrap();
    for i in 1..=41 {
        let to = if i == 41 { String::from("target") } else { alloc::format!("l{}", i + 1) };
        fs.symlink(&FsCred::ROOT, r, alloc::format!("l{i}").as_bytes(), to.as_bytes(), T0).unwrap();
    }
    assert_eq!(look(&fs, "/l2"), Ok(target), "40 links");
    assert_eq!(look(&fs, "/l1"), Err(ELOOP), "41 links");
    // Nested: a link whose target goes through other links counts them all.
    let d = fs.mkdir(&FsCred::ROOT, r, b"d", 0o755, T0).unwrap();
    fs.symlink(&FsCred::ROOT, d, b"up", b"../l2", T0).unwrap();
    assert_eq!(look(&fs, "/d/up"), Err(ELOOP), "41 in total over two levels");
}

#[test]
fn lookup_parent_classifies_the_last_component() {
    let fs = sample();
    let r = fs.root();
    let a = look(&fs, "/a").unwrap();
    let b = look(&fs, "/a/b").unwrap();
    let p = |path: &'static str| fs.lookup_parent(&FsCred::ROOT, r, path.as_bytes());
    // Everything here is on the root mount.
    let (r, a, b) = (at(r), at(a), at(b));
    assert_eq!(p("/"), Ok(Parent { dir: r, last: Last::Root, trailing_slash: false }));
    assert_eq!(p("//"), Ok(Parent { dir: r, last: Last::Root, trailing_slash: false }));
    assert_eq!(p("/a/new"), Ok(Parent { dir: a, last: Last::Name(b"new"), trailing_slash: false }));
    assert_eq!(p("a/new//"), Ok(Parent { dir: a, last: Last::Name(b"new"), trailing_slash: true }));
    assert_eq!(p("new"), Ok(Parent { dir: r, last: Last::Name(b"new"), trailing_slash: false }));
    assert_eq!(p("/a/."), Ok(Parent { dir: a, last: Last::Dot, trailing_slash: false }));
    assert_eq!(p("/a/.."), Ok(Parent { dir: a, last: Last::DotDot, trailing_slash: false }));
    assert_eq!(p("/a/link/x"), Ok(Parent { dir: b, last: Last::Name(b"x"), trailing_slash: false }));
    assert_eq!(p("/missing/x"), Err(ENOENT));
    assert_eq!(p("/a/file/x"), Err(ENOTDIR));
    assert_eq!(p(""), Err(ENOENT));
    let file = look(&fs, "/a/file").unwrap();
    assert_eq!(fs.lookup_parent(&FsCred::ROOT, file, b"x"), Err(ENOTDIR));
}

// ---------------------------------------------------------------------------
// Names

#[test]
fn create_and_mkdir_refuse_existing_names() {
    let mut fs = sample();
    let r = fs.root();
    let a = look(&fs, "/a").unwrap();
    assert_eq!(fs.create(&FsCred::ROOT, a, b"file", 0o644, T0), Err(EEXIST));
    assert_eq!(fs.create(&FsCred::ROOT, a, b"b", 0o644, T0), Err(EEXIST));
    assert_eq!(fs.mkdir(&FsCred::ROOT, a, b"file", 0o755, T0), Err(EEXIST));
    assert_eq!(fs.mkdir(&FsCred::ROOT, a, b".", 0o755, T0), Err(EEXIST));
    assert_eq!(fs.create(&FsCred::ROOT, a, "x".repeat(256).as_bytes(), 0o644, T0), Err(ENAMETOOLONG));
    assert!(fs.create(&FsCred::ROOT, a, "x".repeat(255).as_bytes(), 0o644, T0).is_ok());
    let file = look(&fs, "/a/file").unwrap();
    assert_eq!(fs.create(&FsCred::ROOT, file, b"x", 0o644, T0), Err(ENOTDIR));
    // Path level, with Linux's answers for odd last components.
    assert_eq!(fs.mkdir_at(&FsCred::ROOT, r, b"/", 0o755, T0), Err(EEXIST));
    assert_eq!(fs.mkdir_at(&FsCred::ROOT, r, b"/a/.", 0o755, T0), Err(EEXIST));
    assert_eq!(fs.mkdir_at(&FsCred::ROOT, r, b"/a/..", 0o755, T0), Err(EEXIST));
    assert_eq!(fs.mkdir_at(&FsCred::ROOT, r, b"/dangling", 0o755, T0), Err(EEXIST), "even a dangling link");
    assert_eq!(fs.mkdir_at(&FsCred::ROOT, r, b"/x/y", 0o755, T0), Err(ENOENT));
    let d = fs.mkdir_at(&FsCred::ROOT, r, b"/a/new/", 0o750, T0).unwrap();
    assert_eq!(fs.stat(d).unwrap().st_mode, S_IFDIR | 0o750);
    assert_eq!(fs.symlink_at(&FsCred::ROOT, b"t", r, b"/a/sl/", T0), Err(ENOENT), "trailing slash, not a dir");
    assert_eq!(fs.symlink_at(&FsCred::ROOT, b"t", r, b"/a/file/", T0), Err(EEXIST));
    assert_eq!(fs.symlink_at(&FsCred::ROOT, b"", r, b"/a/sl", T0), Err(ENOENT));
    assert_eq!(fs.mknod_at(&FsCred::ROOT, r, b"/a/d", S_IFDIR | 0o755, 0, T0), Err(EPERM));
    assert_eq!(fs.mknod_at(&FsCred::ROOT, r, b"/a/d", S_IFLNK | 0o755, 0, T0), Err(EINVAL));
    let n = fs.mknod_at(&FsCred::ROOT, r, b"/a/reg", 0o600, 0, T0).unwrap();
    assert_eq!(fs.stat(n).unwrap().st_mode, S_IFREG | 0o600, "type 0 is a regular file");
    let p = fs.mknod_at(&FsCred::ROOT, r, b"/a/fifo", S_IFIFO | 0o640 | 0o1_000_000, 99, T0).unwrap();
    let st = fs.stat(p).unwrap();
    assert_eq!((st.st_mode, st.st_rdev), (S_IFIFO | 0o640, 0), "stray bits dropped");
    assert_eq!(fs.inode(p).unwrap().file_type(), FileType::Fifo);
}

#[test]
fn directory_link_counts() {
    let mut fs = fs();
    let r = fs.root();
    assert_eq!(fs.stat(r).unwrap().st_nlink, 2);
    let a = fs.mkdir(&FsCred::ROOT, r, b"a", 0o755, T0).unwrap();
    fs.mkdir(&FsCred::ROOT, a, b"x", 0o755, T0).unwrap();
    fs.mkdir(&FsCred::ROOT, a, b"y", 0o755, T0).unwrap();
    fs.create(&FsCred::ROOT, a, b"f", 0o644, T0).unwrap();
    assert_eq!(fs.stat(r).unwrap().st_nlink, 3);
    assert_eq!(fs.stat(a).unwrap().st_nlink, 4, "2 + two subdirectories");
    fs.rmdir(&FsCred::ROOT, a, b"x", T0).unwrap();
    assert_eq!(fs.stat(a).unwrap().st_nlink, 3);
    // tmpfs's nominal directory size: 20 bytes per entry with . and ..
    assert_eq!(fs.stat(a).unwrap().st_size, 20 * 4);
}

#[test]
fn unlink_and_rmdir_errnos() {
    let mut fs = sample();
    let r = fs.root();
    assert_eq!(fs.unlink_at(&FsCred::ROOT, r, b"/a/b", T0), Err(EISDIR));
    assert_eq!(fs.unlink_at(&FsCred::ROOT, r, b"/a/b/", T0), Err(EISDIR));
    assert_eq!(fs.unlink_at(&FsCred::ROOT, r, b"/a/file/", T0), Err(ENOTDIR));
    assert_eq!(fs.unlink_at(&FsCred::ROOT, r, b"/a/missing/", T0), Err(ENOENT));
    assert_eq!(fs.unlink_at(&FsCred::ROOT, r, b"/", T0), Err(EISDIR));
    assert_eq!(fs.unlink_at(&FsCred::ROOT, r, b"/a/.", T0), Err(EISDIR));
    assert_eq!(fs.unlink_at(&FsCred::ROOT, r, b"/a/missing", T0), Err(ENOENT));
    assert_eq!(fs.rmdir_at(&FsCred::ROOT, r, b"/", T0), Err(EBUSY));
    assert_eq!(fs.rmdir_at(&FsCred::ROOT, r, b"/a/.", T0), Err(EINVAL));
    assert_eq!(fs.rmdir_at(&FsCred::ROOT, r, b"/a/..", T0), Err(ENOTEMPTY));
    assert_eq!(fs.rmdir_at(&FsCred::ROOT, r, b"/a", T0), Err(ENOTEMPTY));
    assert_eq!(fs.rmdir_at(&FsCred::ROOT, r, b"/a/file", T0), Err(ENOTDIR));
    assert_eq!(fs.rmdir_at(&FsCred::ROOT, r, b"/a/link", T0), Err(ENOTDIR), "rmdir does not follow");
    assert_eq!(fs.rmdir_at(&FsCred::ROOT, r, b"/a/missing", T0), Err(ENOENT));
    // Unlinking a symlink removes the link, not its target.
    fs.unlink_at(&FsCred::ROOT, r, b"/a/link", T0).unwrap();
    assert!(look(&fs, "/a/b").is_ok());
    fs.rmdir_at(&FsCred::ROOT, r, b"/a/b/c/", T0).unwrap();
    fs.rmdir_at(&FsCred::ROOT, r, b"/a/b", T0).unwrap();
    fs.unlink_at(&FsCred::ROOT, r, b"a/file", T0).unwrap();
    fs.rmdir_at(&FsCred::ROOT, r, b"a", T0).unwrap();
    fs.unlink_at(&FsCred::ROOT, r, b"abs", T0).unwrap();
    fs.unlink_at(&FsCred::ROOT, r, b"dangling", T0).unwrap();
    assert_eq!(fs.inode_count(), 1, "only the root is left");
    assert_eq!(fs.stat(r).unwrap().st_nlink, 2);
}

#[test]
fn unlinked_file_lives_while_referenced() {
    let mut fs = sample();
    let r = fs.root();
    let before = fs.inode_count();
    let ino = fs.open(&FsCred::ROOT, r, b"/a/file", O_RDWR, 0, T0).unwrap();
    fs.unlink_at(&FsCred::ROOT, r, b"/a/file", T0).unwrap();
    assert_eq!(look(&fs, "/a/file"), Err(ENOENT));
    assert_eq!(fs.stat(ino).unwrap().st_nlink, 0);
    assert_eq!(fs.write_at(ino, 5, b" world", T0), Ok(6));
    assert_eq!(read_all(&fs, ino), b"hello world");
    assert_eq!(fs.link(&FsCred::ROOT, ino, r, b"again", T0), Err(ENOENT), "no resurrection");
    fs.iput(ino);
    assert_eq!(fs.inode(ino).err(), Some(ESTALE));
    assert_eq!(fs.inode_count(), before - 1);
}

#[test]
fn removed_directory_as_cwd() {
    let mut fs = sample();
    let r = fs.root();
    let d = fs.mkdir(&FsCred::ROOT, r, b"gone", 0o755, T0).unwrap();
    fs.ihold(d).unwrap();
    assert_eq!(fs.path_of_dir(d), Ok(b"/gone".to_vec()));
    fs.rmdir(&FsCred::ROOT, r, b"gone", T0).unwrap();
    assert_eq!(fs.create(&FsCred::ROOT, d, b"f", 0o644, T0), Err(ENOENT));
    assert_eq!(fs.mkdir_at(&FsCred::ROOT, d, b"sub", 0o755, T0), Err(ENOENT));
    assert_eq!(fs.lookup(&FsCred::ROOT, d, b".", follow()), Ok(d));
    assert_eq!(fs.getdents64(d, 0, 4096), Err(ENOENT));
    assert_eq!(fs.path_of_dir(d), Err(ENOENT));
    fs.iput(d);
    assert!(fs.inode(d).is_err());
}

#[test]
fn path_of_dir_names_the_way_up() {
    let fs = sample();
    assert_eq!(fs.path_of_dir(fs.root()), Ok(b"/".to_vec()));
    assert_eq!(fs.path_of_dir(look(&fs, "/a/b/c").unwrap()), Ok(b"/a/b/c".to_vec()));
}

#[test]
fn hard_links() {
    let mut fs = sample();
    let r = fs.root();
    let f = look(&fs, "/a/file").unwrap();
    fs.link_at(&FsCred::ROOT, r, b"/a/file", Lookup::empty(), r, b"/hard", T0 + 1).unwrap();
    assert_eq!(look(&fs, "/hard"), Ok(f));
    assert_eq!(fs.stat(f).unwrap().st_nlink, 2);
    assert_eq!(fs.stat(f).unwrap().st_ctime, 1, "ctime changes on link");
    fs.unlink_at(&FsCred::ROOT, r, b"/a/file", T0).unwrap();
    assert_eq!(read_all(&fs, f), b"hello");
    assert_eq!(fs.link_at(&FsCred::ROOT, r, b"/a", Lookup::empty(), r, b"/dirlink", T0), Err(EPERM));
    assert_eq!(fs.link_at(&FsCred::ROOT, r, b"/hard", Lookup::empty(), r, b"/a/b", T0), Err(EEXIST));
    // linkat without AT_SYMLINK_FOLLOW links the symlink itself.
    fs.link_at(&FsCred::ROOT, r, b"/abs", Lookup::empty(), r, b"/abs2", T0).unwrap();
    assert_eq!(fs.readlink(fs.lookup(&FsCred::ROOT, r, b"/abs2", Lookup::empty()).unwrap()), Ok(&b"/a/b/c"[..]));
    assert_eq!(fs.link_at(&FsCred::ROOT, r, b"/abs", Lookup::FOLLOW, r, b"/a/cc", T0), Err(EPERM), "/a/b/c is a dir");
}

#[test]
fn rename_moves_and_replaces() {
    let mut fs = sample();
    let r = fs.root();
    let f = look(&fs, "/a/file").unwrap();
    fs.rename_at(&FsCred::ROOT, r, b"/a/file", r, b"/moved", 0, T0).unwrap();
    assert_eq!(look(&fs, "/a/file"), Err(ENOENT));
    assert_eq!(look(&fs, "/moved"), Ok(f));
    // Replace an existing file: the old one is gone.
    let count = fs.inode_count();
    let g = fs.create(&FsCred::ROOT, r, b"g", 0o644, T0).unwrap();
    fs.rename_at(&FsCred::ROOT, r, b"/g", r, b"/moved", 0, T0).unwrap();
    assert_eq!(look(&fs, "/moved"), Ok(g));
    assert_eq!(fs.inode_count(), count, "replaced inode freed");
    // NOREPLACE.
    fs.create(&FsCred::ROOT, r, b"h", 0o644, T0).unwrap();
    assert_eq!(fs.rename_at(&FsCred::ROOT, r, b"/h", r, b"/moved", RENAME_NOREPLACE, T0), Err(EEXIST));
    assert_eq!(fs.rename_at(&FsCred::ROOT, r, b"/h", r, b"/moved", RENAME_EXCHANGE, T0), Err(EINVAL));
    // Renaming onto another name of the same inode does nothing.
    fs.link_at(&FsCred::ROOT, r, b"/h", Lookup::empty(), r, b"/h2", T0).unwrap();
    fs.rename_at(&FsCred::ROOT, r, b"/h", r, b"/h2", 0, T0).unwrap();
    assert!(look(&fs, "/h").is_ok() && look(&fs, "/h2").is_ok());
}

#[test]
fn rename_directories() {
    let mut fs = sample();
    let r = fs.root();
    let a = look(&fs, "/a").unwrap();
    let b = look(&fs, "/a/b").unwrap();
    fs.mkdir(&FsCred::ROOT, r, b"empty", 0o755, T0).unwrap();
    fs.mkdir(&FsCred::ROOT, r, b"full", 0o755, T0).unwrap();
    fs.create(&FsCred::ROOT, look(&fs, "/full").unwrap(), b"x", 0o644, T0).unwrap();
    assert_eq!(fs.rename_at(&FsCred::ROOT, r, b"/a/b", r, b"/full", 0, T0), Err(ENOTEMPTY));
    assert_eq!(fs.rename_at(&FsCred::ROOT, r, b"/a/b", r, b"/a/file", 0, T0), Err(ENOTDIR));
    assert_eq!(fs.rename_at(&FsCred::ROOT, r, b"/a/file", r, b"/empty", 0, T0), Err(EISDIR));
    assert_eq!(fs.rename_at(&FsCred::ROOT, r, b"/a", r, b"/a/b/c/a", 0, T0), Err(EINVAL), "into itself");
    assert_eq!(fs.rename_at(&FsCred::ROOT, r, b"/a", r, b"/a/new", 0, T0), Err(EINVAL));
    assert_eq!(fs.rename_at(&FsCred::ROOT, r, b"/a/b/c", r, b"/a", 0, T0), Err(ENOTEMPTY), "onto an ancestor");
    assert_eq!(fs.rename_at(&FsCred::ROOT, r, b"/", r, b"/x", 0, T0), Err(EBUSY));
    assert_eq!(fs.rename_at(&FsCred::ROOT, r, b"/a/.", r, b"/x", 0, T0), Err(EBUSY));
    assert_eq!(fs.rename_at(&FsCred::ROOT, r, b"/a/b", r, b"/a/..", 0, T0), Err(EBUSY));
    assert_eq!(fs.rename_at(&FsCred::ROOT, r, b"/a/file", r, b"/x/", 0, T0), Err(ENOTDIR));
    assert_eq!(fs.rename_at(&FsCred::ROOT, r, b"/a/file/", r, b"/x", 0, T0), Err(ENOTDIR));
    assert_eq!(fs.rename_at(&FsCred::ROOT, r, b"/nope", r, b"/x", 0, T0), Err(ENOENT));
    // Move /a/b over the empty /empty: link counts and `..` follow.
    let root_links = fs.stat(r).unwrap().st_nlink;
    fs.rename_at(&FsCred::ROOT, r, b"/a/b/", r, b"/empty/", 0, 5 * T0).unwrap();
    assert_eq!(look(&fs, "/empty"), Ok(b));
    assert_eq!(look(&fs, "/empty/c/../.."), Ok(r));
    assert_eq!(fs.stat(a).unwrap().st_nlink, 2);
    assert_eq!(fs.stat(r).unwrap().st_nlink, root_links, "one subdir replaced another");
    assert_eq!(fs.path_of_dir(look(&fs, "/empty/c").unwrap()), Ok(b"/empty/c".to_vec()));
    assert_eq!(fs.stat(a).unwrap().st_mtime, 5, "both parents' mtime");
    assert_eq!(fs.stat(r).unwrap().st_mtime, 5);
    // Rename within one directory keeps its link count.
    fs.rename_at(&FsCred::ROOT, r, b"/empty", r, b"/renamed", 0, T0).unwrap();
    assert_eq!(fs.stat(r).unwrap().st_nlink, root_links);
}

// ---------------------------------------------------------------------------
// Contents

#[test]
fn read_write_truncate() {
    let mut fs = fs();
    let r = fs.root();
    let f = fs.create(&FsCred::ROOT, r, b"f", 0o644, T0).unwrap();
    let mut buf = [0xffu8; 16];
    assert_eq!(fs.read_at(f, 0, &mut buf), Ok(0));
    assert_eq!(fs.write_at(f, 4, b"abc", 2 * T0), Ok(3));
    assert_eq!(read_all(&fs, f), b"\0\0\0\0abc", "the hole reads as zeros");
    let st = fs.stat(f).unwrap();
    assert_eq!((st.st_size, st.st_mtime, st.st_ctime, st.st_atime), (7, 2, 2, 1));
    assert_eq!(fs.write_at(f, 1, b"XY", T0), Ok(2));
    assert_eq!(read_all(&fs, f), b"\0XY\0abc");
    assert_eq!(fs.read_at(f, 5, &mut buf), Ok(2));
    assert_eq!(&buf[..2], b"bc");
    assert_eq!(fs.read_at(f, 7, &mut buf), Ok(0));
    assert_eq!(fs.read_at(f, u64::MAX, &mut buf), Ok(0));
    let mut small = [0u8; 3];
    assert_eq!(fs.read_at(f, 0, &mut small), Ok(3));
    assert_eq!(fs.write_at(f, 0, b"", 9 * T0), Ok(0));
    assert_eq!(fs.stat(f).unwrap().st_mtime, 1, "empty write changes nothing");
    fs.truncate(f, 2, T0).unwrap();
    assert_eq!(read_all(&fs, f), b"\0X");
    fs.truncate(f, 5, T0).unwrap();
    assert_eq!(read_all(&fs, f), b"\0X\0\0\0", "growing adds zeros, not old bytes");
    let st = fs.stat(f).unwrap();
    assert_eq!((st.st_size, st.st_blocks, st.st_blksize), (5, 8, 4096));
    assert_eq!(fs.write_at(f, u64::MAX - 1, b"abc", T0), Err(EFBIG));
    assert_eq!(fs.write_at(f, MAX_FILE_SIZE, b"a", T0), Err(EFBIG));
    assert_eq!(fs.truncate(f, MAX_FILE_SIZE + 1, T0), Err(EFBIG));
    // Other types.
    assert_eq!(fs.read_at(r, 0, &mut buf), Err(EISDIR));
    assert_eq!(fs.write_at(r, 0, b"x", T0), Err(EISDIR));
    assert_eq!(fs.truncate(r, 0, T0), Err(EISDIR));
    let l = fs.symlink(&FsCred::ROOT, r, b"l", b"f", T0).unwrap();
    assert_eq!(fs.read_at(l, 0, &mut buf), Err(EINVAL));
    assert_eq!(fs.stat(l).unwrap().st_size, 1);
}

#[test]
fn large_file_round_trip() {
    let mut fs = fs();
    let f = fs.create(&FsCred::ROOT, fs.root(), b"big", 0o755, T0).unwrap();
    let data: Vec<u8> = (0..300_000u32).map(|i| (i * 7 + i / 256) as u8).collect();
    for (i, chunk) in data.chunks(4096 + 13).enumerate() {
        fs.write_at(f, (i * (4096 + 13)) as u64, chunk, T0).unwrap();
    }
    assert_eq!(fs.file_data(f).unwrap(), &data[..]);
    let mut back = vec![0u8; data.len() + 10];
    assert_eq!(fs.read_at(f, 0, &mut back), Ok(data.len()));
    assert_eq!(&back[..data.len()], &data[..]);
    assert_eq!(fs.stat(f).unwrap().st_blocks, (300_000u64.div_ceil(4096) * 8) as i64);
}

#[test]
fn attributes() {
    let mut fs = sample();
    let f = look(&fs, "/a/file").unwrap();
    assert_eq!(fs.read_all(f), Ok(b"hello".to_vec()));
    fs.chmod(f, 0o4755 | S_IFDIR, 3 * T0).unwrap();
    let st = fs.stat(f).unwrap();
    assert_eq!(st.st_mode, S_IFREG | 0o4755, "type bits are not chmod's");
    assert_eq!(st.st_ctime, 3);
    fs.chown(f, Some(1000), None, 4 * T0).unwrap();
    let st = fs.stat(f).unwrap();
    assert_eq!((st.st_uid, st.st_gid, st.st_mode), (1000, 0, S_IFREG | 0o755), "chown drops setuid");
    fs.set_times(f, Some(5 * T0 + 7), None, 6 * T0).unwrap();
    let st = fs.stat(f).unwrap();
    assert_eq!((st.st_atime, st.st_atime_nsec, st.st_ctime), (5, 7, 6));
    assert_eq!(st.st_dev, RAMFS_DEV);
    assert_eq!(st.st_ino, f);
    let x = fs.statx(f).unwrap();
    assert_eq!((x.stx_size, x.stx_uid, x.stx_mode as u32), (5, 1000, S_IFREG | 0o755));
    assert_eq!(fs.may_exec(&FsCred::ROOT, f), Ok(()));
    fs.chmod(f, 0o644, T0).unwrap();
    assert_eq!(fs.may_exec(&FsCred::ROOT, f), Err(EACCES), "root needs an x bit too");
    assert_eq!(fs.may_exec(&FsCred::ROOT, look(&fs, "/a").unwrap()), Err(EACCES));
}

// ---------------------------------------------------------------------------
// open(2)

#[test]
fn open_flags() {
    let mut fs = sample();
    let r = fs.root();
    let before = fs.inode_count();
    let f = fs.open(&FsCred::ROOT, r, b"/new", O_WRONLY | O_CREAT, 0o640, T0).unwrap();
    assert_eq!(fs.stat(f).unwrap().st_mode, S_IFREG | 0o640);
    assert_eq!(fs.open(&FsCred::ROOT, r, b"/new", O_WRONLY | O_CREAT | O_EXCL, 0o640, T0), Err(EEXIST));
    assert_eq!(fs.open(&FsCred::ROOT, r, b"/new", O_RDONLY | O_CREAT, 0o640, T0), Ok(f), "O_CREAT alone opens");
    assert_eq!(fs.open(&FsCred::ROOT, r, b"/missing", O_RDONLY, 0, T0), Err(ENOENT));
    assert_eq!(fs.open(&FsCred::ROOT, r, b"/new/", O_RDONLY | O_CREAT, 0o640, T0), Err(EISDIR));
    assert_eq!(fs.open(&FsCred::ROOT, r, b"/newer/", O_RDONLY | O_CREAT, 0o640, T0), Err(EISDIR));
    assert_eq!(fs.open(&FsCred::ROOT, r, b"/a", O_RDONLY | O_CREAT, 0o640, T0), Err(EISDIR));
    assert_eq!(fs.open(&FsCred::ROOT, r, b"/", O_RDONLY | O_CREAT, 0o640, T0), Err(EISDIR));
    assert_eq!(fs.open(&FsCred::ROOT, r, b"/", O_RDONLY | O_CREAT | O_EXCL, 0o640, T0), Err(EEXIST));
    assert_eq!(fs.open(&FsCred::ROOT, r, b"/a", O_WRONLY, 0, T0), Err(EISDIR));
    assert_eq!(fs.open(&FsCred::ROOT, r, b"/a", O_RDONLY | O_TRUNC, 0, T0), Err(EISDIR));
    assert_eq!(fs.open(&FsCred::ROOT, r, b"/a/file", O_RDONLY | O_DIRECTORY, 0, T0), Err(ENOTDIR));
    assert_eq!(fs.open(&FsCred::ROOT, r, b"/x", O_CREAT | O_DIRECTORY, 0o644, T0), Err(EINVAL));
    let d = fs.open(&FsCred::ROOT, r, b"/a/link", O_RDONLY | O_DIRECTORY, 0, T0).unwrap();
    assert_eq!(Ok(d), look(&fs, "/a/b"));
    // Symlinks and O_NOFOLLOW / O_PATH.
    assert_eq!(fs.open(&FsCred::ROOT, r, b"/a/link", O_RDONLY | O_NOFOLLOW, 0, T0), Err(ELOOP));
    assert_eq!(fs.open(&FsCred::ROOT, r, b"/a/link", O_RDONLY | O_NOFOLLOW | O_DIRECTORY, 0, T0), Err(ENOTDIR));
    let l = fs.open(&FsCred::ROOT, r, b"/a/link", O_PATH | O_NOFOLLOW, 0, T0).unwrap();
    assert_eq!(fs.inode(l).unwrap().file_type(), FileType::Symlink);
    assert_eq!(fs.open(&FsCred::ROOT, r, b"/a/link/c", O_RDONLY | O_NOFOLLOW, 0, T0), look(&fs, "/a/b/c"));
    // O_CREAT through a dangling symlink creates its target...
    let t = fs.open(&FsCred::ROOT, r, b"/dangling", O_WRONLY | O_CREAT, 0o600, T0).unwrap();
    assert_eq!(look(&fs, "/nowhere"), Ok(t));
    // ...but O_EXCL does not follow it.
    fs.symlink(&FsCred::ROOT, r, b"dangling2", b"nowhere2", T0).unwrap();
    assert_eq!(fs.open(&FsCred::ROOT, r, b"/dangling2", O_WRONLY | O_CREAT | O_EXCL, 0o600, T0), Err(EEXIST));
    assert_eq!(look(&fs, "/nowhere2"), Err(ENOENT));
    // O_TRUNC empties a regular file, even opened read-only (as Linux).
    let file = look(&fs, "/a/file").unwrap();
    assert_eq!(fs.open(&FsCred::ROOT, r, b"/a/file", O_RDONLY | O_TRUNC, 0, 7 * T0), Ok(file));
    assert_eq!(fs.stat(file).unwrap().st_size, 0);
    assert_eq!(fs.stat(file).unwrap().st_mtime, 7);
    // Every successful open took a reference; dropping them frees nothing
    // that still has a name.
    for ino in [f, f, d, l, t, file] {
        fs.iput(ino);
    }
    assert_eq!(fs.inode_count(), before + 3, "/new, /nowhere, /dangling2");
}

#[test]
fn open_tmpfile() {
    let mut fs = sample();
    let r = fs.root();
    let before = fs.inode_count();
    assert_eq!(fs.open(&FsCred::ROOT, r, b"/a", O_TMPFILE | O_RDONLY, 0o600, T0), Err(EINVAL));
    assert_eq!(fs.open(&FsCred::ROOT, r, b"/a/file", O_TMPFILE | O_RDWR, 0o600, T0), Err(ENOTDIR));
    let t = fs.open(&FsCred::ROOT, r, b"/a", O_TMPFILE | O_RDWR, 0o600, T0).unwrap();
    fs.write_at(t, 0, b"scratch", T0).unwrap();
    assert_eq!(fs.stat(t).unwrap().st_nlink, 0);
    assert_eq!(fs.inode_count(), before + 1);
    fs.iput(t);
    assert_eq!(fs.inode_count(), before);
}

// ---------------------------------------------------------------------------
// getdents64

/// Decode a getdents64 buffer into (ino, d_off, d_type, name).
fn parse_dirents(buf: &[u8]) -> Vec<(u64, i64, u8, Vec<u8>)> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < buf.len() {
        let ino = u64::from_le_bytes(buf[at..at + 8].try_into().unwrap());
        let off = i64::from_le_bytes(buf[at + 8..at + 16].try_into().unwrap());
        let reclen = u16::from_le_bytes([buf[at + 16], buf[at + 17]]) as usize;
        assert_eq!(reclen % 8, 0);
        let ty = buf[at + 18];
        let name_area = &buf[at + 19..at + reclen];
        let len = name_area.iter().position(|&c| c == 0).expect("NUL");
        out.push((ino, off, ty, name_area[..len].to_vec()));
        at += reclen;
    }
    assert_eq!(at, buf.len());
    out
}

fn list_all(fs: &RamFs, dir: Ino, buf_len: usize) -> Vec<(u64, i64, u8, Vec<u8>)> {
    let mut all = Vec::new();
    let mut pos = 0;
    loop {
        let (buf, next) = fs.getdents64(dir, pos, buf_len).unwrap();
        if buf.is_empty() {
            return all;
        }
        all.extend(parse_dirents(&buf));
        pos = next;
    }
}

#[test]
fn getdents_lists_dot_dotdot_and_entries_with_types() {
    let mut fs = sample();
    make_standard_nodes(&mut fs, T0).unwrap();
    let r = fs.root();
    let a = look(&fs, "/a").unwrap();
    let entries = list_all(&fs, a, 4096);
    let names: Vec<(&[u8], u8)> = entries.iter().map(|e| (e.3.as_slice(), e.2)).collect();
    assert_eq!(names, [(&b"."[..], DT_DIR), (b"..", DT_DIR), (b"b", DT_DIR), (b"file", DT_REG), (b"link", DT_LNK)]);
    assert_eq!(entries[0].0, a);
    assert_eq!(entries[1].0, r);
    assert_eq!(entries[3].0, look(&fs, "/a/file").unwrap());
    let dev = list_all(&fs, look(&fs, "/dev").unwrap(), 4096);
    assert!(dev.iter().skip(2).all(|e| e.2 == DT_CHR));
    // Root's `..` is itself.
    assert_eq!(list_all(&fs, r, 4096)[1].0, r);
    // The same listing through tiny buffers, one record at a time.
    assert_eq!(list_all(&fs, a, 24), entries);
    // A buffer too small for the next record.
    assert_eq!(fs.getdents64(a, 0, 23), Err(EINVAL));
    assert_eq!(fs.getdents64(look(&fs, "/a/file").unwrap(), 0, 4096), Err(ENOTDIR));
    // d_off of each record resumes right after it.
    for e in &entries {
        let (buf, _) = fs.getdents64(a, e.1 as u64, 4096).unwrap();
        let rest = parse_dirents(&buf);
        let i = entries.iter().position(|x| x == e).unwrap();
        assert_eq!(rest, entries[i + 1..]);
    }
}

#[test]
fn getdents_survives_changes_between_calls() {
    let mut fs = fs();
    let r = fs.root();
    let d = fs.mkdir(&FsCred::ROOT, r, b"d", 0o755, T0).unwrap();
    for i in 0..100 {
        fs.create(&FsCred::ROOT, d, alloc::format!("f{i:03}").as_bytes(), 0o644, T0).unwrap();
    }
    // Read part of the listing, delete everything seen and some unseen,
    // then go on: nothing is repeated and every survivor is seen once.
    let (buf, pos) = fs.getdents64(d, 0, 600).unwrap();
    let first = parse_dirents(&buf);
    assert!(first.len() > 5 && first.len() < 50);
    for e in first.iter().skip(2) {
        fs.unlink(&FsCred::ROOT, d, &e.3, T0).unwrap();
    }
    fs.unlink(&FsCred::ROOT, d, b"f099", T0).unwrap();
    fs.create(&FsCred::ROOT, d, b"late", 0o644, T0).unwrap();
    let mut rest = Vec::new();
    let mut pos = pos;
    loop {
        let (buf, next) = fs.getdents64(d, pos, 600).unwrap();
        if buf.is_empty() {
            break;
        }
        rest.extend(parse_dirents(&buf));
        pos = next;
    }
    let mut seen: Vec<Vec<u8>> = first.iter().chain(rest.iter()).map(|e| e.3.clone()).collect();
    let total = seen.len();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), total, "no entry twice");
    assert_eq!(total, 2 + 100 - 1 + 1, "all but f099, plus late");
}

#[test]
fn standard_nodes() {
    let mut fs = fs();
    make_standard_nodes(&mut fs, T0).unwrap();
    make_standard_nodes(&mut fs, T0).unwrap(); // Idempotent.
    let null = look(&fs, "/dev/null").unwrap();
    let st = fs.stat(null).unwrap();
    assert_eq!((st.st_mode, st.st_rdev), (S_IFCHR | 0o666, DEV_NULL));
    assert_eq!(fs.inode(null).unwrap().file_type(), FileType::CharDevice);
    assert_eq!(fs.stat(look(&fs, "/dev/console").unwrap()).unwrap().st_rdev, DEV_CONSOLE);
    assert_eq!(fs.stat(look(&fs, "/dev/ttyS0").unwrap()).unwrap().st_rdev, DEV_TTYS0);
    assert_eq!(fs.stat(look(&fs, "/tmp").unwrap()).unwrap().st_mode, S_IFDIR | 0o1777);
    assert_eq!(fs.stat(look(&fs, "/proc").unwrap()).unwrap().st_mode, S_IFDIR | 0o555);
    // Names found back from inodes, for /proc/<pid>/fd.
    assert_eq!(fs.path_of(null).as_deref(), Some(&b"/dev/null"[..]));
    assert_eq!(fs.path_of(look(&fs, "/dev").unwrap()).as_deref(), Some(&b"/dev"[..]));
    let r = fs.root();
    let f = fs.create(&FsCred::ROOT, r, b"gone", 0o644, T0).unwrap();
    fs.ihold(f).unwrap();
    fs.unlink(&FsCred::ROOT, r, b"gone", T0).unwrap();
    assert_eq!(fs.path_of(f), None);
    fs.iput(f);
}

// ---------------------------------------------------------------------------
// cpio

/// One entry for the test archive writer.
struct E<'a> {
    name: &'a str,
    mode: u32,
    data: &'a [u8],
    ino: u32,
    nlink: u32,
    mtime: u32,
    rdev: (u32, u32),
}

fn e<'a>(name: &'a str, mode: u32, data: &'a [u8]) -> E<'a> {
    E { name, mode, data, ino: 0, nlink: 1, mtime: 1_600_000_000, rdev: (0, 0) }
}

/// A minimal newc writer, as `cpio -o -H newc` lays archives out: header,
/// name + NUL padded to 4, data padded to 4, a trailer, then zeros to a
/// 512-byte block.
fn newc(entries: &[E<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut next_ino = 100;
    let mut put = |out: &mut Vec<u8>, e: &E<'_>| {
        next_ino += 1;
        let ino = if e.ino != 0 { e.ino } else { next_ino };
        let fields = [
            ino,
            e.mode,
            0,
            0,
            e.nlink,
            e.mtime,
            e.data.len() as u32,
            8,
            1,
            e.rdev.0,
            e.rdev.1,
            e.name.len() as u32 + 1,
            0,
        ];
        out.extend_from_slice(b"070701");
        for f in fields {
            out.extend_from_slice(alloc::format!("{f:08X}").as_bytes());
        }
        out.extend_from_slice(e.name.as_bytes());
        out.push(0);
        out.resize(out.len().next_multiple_of(4), 0);
        out.extend_from_slice(e.data);
        out.resize(out.len().next_multiple_of(4), 0);
    };
    for e in entries {
        put(&mut out, e);
    }
    put(&mut out, &E { nlink: 1, ..e("TRAILER!!!", 0, b"") });
    out.resize(out.len().next_multiple_of(512), 0);
    out
}

#[test]
fn cpio_unpacks_files_dirs_links_and_devices() {
    let binary: Vec<u8> = (0..=255u8).cycle().take(1000 + 3).collect();
    let archive = newc(&[
        e(".", S_IFDIR | 0o700, b""),
        e("bin", S_IFDIR | 0o755, b""),
        e("bin/busybox", S_IFREG | 0o755, &binary),
        e("bin/sh", S_IFLNK | 0o777, b"busybox"),
        // No "etc" entry: the parent is made.
        e("etc/passwd", S_IFREG | 0o644, b"root:x:0:0::/root:/bin/sh\n"),
        e("./etc/empty", S_IFREG | 0o600, b""),
        E { rdev: (1, 3), ..e("dev/null", S_IFCHR | 0o666, b"") },
        e("odd-name-length", S_IFREG | 0o4711, b"x"),
    ]);
    let mut fs = fs();
    assert_eq!(unpack(&mut fs, &archive), Ok(7));
    let r = fs.root();
    assert_eq!(fs.stat(r).unwrap().st_mode, S_IFDIR | 0o755, "'.' leaves the root alone");
    let bb = look(&fs, "/bin/busybox").unwrap();
    assert_eq!(fs.file_data(bb).unwrap(), &binary[..]);
    let st = fs.stat(bb).unwrap();
    assert_eq!(st.st_mode, S_IFREG | 0o755);
    assert_eq!((st.st_mtime, st.st_atime), (1_600_000_000, 1_600_000_000));
    assert_eq!(fs.may_exec(&FsCred::ROOT, bb), Ok(()));
    assert_eq!(look(&fs, "/bin/sh"), Ok(bb));
    let sh = fs.lookup(&FsCred::ROOT, r, b"/bin/sh", Lookup::empty()).unwrap();
    assert_eq!(fs.readlink(sh), Ok(&b"busybox"[..]));
    assert_eq!(fs.read_at(look(&fs, "/etc/passwd").unwrap(), 0, &mut [0; 64]), Ok(26));
    assert_eq!(fs.stat(look(&fs, "/etc").unwrap()).unwrap().st_mode, S_IFDIR | 0o755);
    assert_eq!(fs.stat(look(&fs, "/etc/empty").unwrap()).unwrap().st_mode, S_IFREG | 0o600);
    let null = fs.stat(look(&fs, "/dev/null").unwrap()).unwrap();
    assert_eq!((null.st_mode, null.st_rdev), (S_IFCHR | 0o666, DEV_NULL));
    let odd = fs.stat(look(&fs, "/odd-name-length").unwrap()).unwrap();
    assert_eq!(odd.st_mode, S_IFREG | 0o4711, "set-id bits survive");
    assert_eq!(fs.stat(look(&fs, "/bin").unwrap()).unwrap().st_mtime, 1_600_000_000, "dir mtime kept");
}

#[test]
fn cpio_hard_links_share_an_inode() {
    // GNU cpio's newc writes the data with the last name of a link group.
    let archive = newc(&[
        E { ino: 7, nlink: 2, ..e("a", S_IFREG | 0o644, b"") },
        E { ino: 7, nlink: 2, ..e("b", S_IFREG | 0o644, b"shared") },
    ]);
    let mut fs = fs();
    assert_eq!(unpack(&mut fs, &archive), Ok(2));
    let a = look(&fs, "/a").unwrap();
    assert_eq!(look(&fs, "/b"), Ok(a));
    assert_eq!(fs.file_data(a).unwrap(), b"shared");
    assert_eq!(fs.stat(a).unwrap().st_nlink, 2);
}

#[test]
fn cpio_over_existing_tree_and_concatenated_archives() {
    let mut fs = fs();
    make_standard_nodes(&mut fs, T0).unwrap();
    let r = fs.root();
    let old = fs.create(&FsCred::ROOT, r, b"replace-me", 0o644, T0).unwrap();
    fs.write_at(old, 0, b"old contents, longer", T0).unwrap();
    let mut image = newc(&[e("dev", S_IFDIR | 0o755, b""), e("replace-me", S_IFREG | 0o600, b"new")]);
    image.extend(newc(&[e("second/file", S_IFREG | 0o644, b"2")]));
    assert_eq!(unpack(&mut fs, &image), Ok(3));
    assert!(look(&fs, "/dev/null").is_ok(), "existing directory keeps its contents");
    assert_eq!(fs.file_data(look(&fs, "/replace-me").unwrap()).unwrap(), b"new");
    assert_eq!(fs.file_data(look(&fs, "/second/file").unwrap()).unwrap(), b"2");
}

#[test]
fn cpio_rejects_corruption() {
    let good = newc(&[e("f", S_IFREG | 0o644, b"data")]);
    let mut fs = fs();
    assert_eq!(unpack(&mut fs, &[]), Ok(0));
    assert_eq!(unpack(&mut fs, &[0; 512]), Ok(0), "only padding");
    assert_eq!(unpack(&mut fs, b"not an archive at all"), Err(EINVAL));
    let mut bad_magic = good.clone();
    bad_magic[5] = b'7'; // 070707 is the odc format, not newc.
    assert_eq!(unpack(&mut fs, &bad_magic), Err(EINVAL));
    let mut bad_hex = good.clone();
    bad_hex[60] = b'G'; // In the file size.
    assert_eq!(unpack(&mut fs, &bad_hex), Err(EINVAL));
    // Cut inside the data of the first entry.
    assert_eq!(unpack(&mut fs, &good[..114]), Err(EINVAL));
    // An archive may end right after an entry, without a trailer.
    assert_eq!(unpack(&mut fs, &good[..116]), Ok(1));
    // Misaligned junk after the trailer.
    let mut junk = good.clone();
    junk.extend_from_slice(b"\0x");
    assert_eq!(unpack(&mut fs, &junk), Err(EINVAL));
    // A good archive still unpacks afterwards.
    assert_eq!(unpack(&mut fs, &good), Ok(1));
}
