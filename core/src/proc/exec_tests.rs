//! execve's loader on simulated hardware: segments mapped privately from
//! the page cache (Linux: fs/binfmt_elf.c elf_load()/elf_map()/padzero()),
//! the program kept cached for the next exec, and malformed images refused
//! with ENOEXEC without a leak.

use alloc::vec;
use alloc::vec::Vec;

use crate::abi::*;
use crate::fs::ramfs::Ino;
use crate::fs::Lookup;
use crate::kernel::Kernel;
use crate::mm::consts::PAGE_SIZE;
use crate::proc::Pid;
use crate::testkit::*;

const FRAMES: usize = 2048;
const P: u64 = PAGE_SIZE;
const PF_X: u32 = 1;
const PF_W: u32 = 2;
const PF_R: u32 = 4;
const PROG: &str = "/bin/prog";
const TEXT: u64 = 0x40_0000;
const DATA: u64 = 0x60_1000;

/// A program header as the tests write it.
#[derive(Clone, Copy)]
struct Seg {
    p_type: u32,
    flags: u32,
    offset: u64,
    vaddr: u64,
    filesz: u64,
    memsz: u64,
}

fn load(flags: u32, offset: u64, vaddr: u64, filesz: u64, memsz: u64) -> Seg {
    Seg { p_type: 1, flags, offset, vaddr, filesz, memsz }
}

/// The byte at file offset `i` of [`image`]'s filler: never zero, so that
/// no page becomes a hole of the cache.
fn filler(i: u64) -> u8 {
    (i % 251) as u8 + 1
}

/// An ET_EXEC image of `len` bytes: the ELF header, `segs` as program
/// headers at `phoff`, and [`filler`] bytes everywhere else.
fn image(segs: &[Seg], len: usize, phoff: u64) -> Vec<u8> {
    let mut e: Vec<u8> = (0..len as u64).map(filler).collect();
    let mut put = |at: usize, bytes: &[u8]| e[at..at + bytes.len()].copy_from_slice(bytes);
    put(0, &[0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    put(16, &2u16.to_le_bytes()); // ET_EXEC
    put(18, &62u16.to_le_bytes()); // EM_X86_64
    put(20, &1u32.to_le_bytes());
    put(24, &(TEXT + 0x200).to_le_bytes()); // e_entry
    put(32, &phoff.to_le_bytes());
    put(40, &0u64.to_le_bytes());
    put(48, &0u32.to_le_bytes());
    put(52, &64u16.to_le_bytes());
    put(54, &56u16.to_le_bytes());
    put(56, &(segs.len() as u16).to_le_bytes());
    put(58, &[64, 0, 0, 0, 0, 0]);
    for (i, s) in segs.iter().enumerate() {
        let at = phoff as usize + i * 56;
        put(at, &s.p_type.to_le_bytes());
        put(at + 4, &s.flags.to_le_bytes());
        put(at + 8, &s.offset.to_le_bytes());
        put(at + 16, &s.vaddr.to_le_bytes());
        put(at + 24, &s.vaddr.to_le_bytes());
        put(at + 32, &s.filesz.to_le_bytes());
        put(at + 40, &s.memsz.to_le_bytes());
        put(at + 48, &P.to_le_bytes());
    }
    e
}

/// Text (r-x, file page 0) and data (rw-, file pages 1 and 2, of which
/// 0x100 bytes of page 2, then .bss to the end of the page after).
fn program() -> Vec<u8> {
    image(&[load(PF_R | PF_X, 0, TEXT, 0x800, 0x800), load(PF_R | PF_W, P, DATA, P + 0x100, 3 * P)], 3 * P as usize, 64)
}

fn ino_of(k: &Kernel, path: &str) -> Ino {
    k.fs.lookup(&crate::fs::FsCred::ROOT, k.fs.root(), path.as_bytes(), Lookup::FOLLOW).unwrap()
}

/// The frame mapped at `va` in `pid` after a read of it.
fn frame_at(k: &mut Kernel, pid: Pid, va: u64) -> u64 {
    read_user(k, pid, va, 1).unwrap();
    let mm = k.tasks[&pid].mm;
    let pte = k.mms.get(mm).pte(k.m.mem, va);
    assert!(pte.is_present(), "{va:#x} mapped in {pid}");
    pte.addr()
}

/// The page cache's frame for page `idx` of `ino`.
fn cache_frame(k: &mut Kernel, ino: Ino, idx: u64) -> u64 {
    let Kernel { pagecache, frames, m, .. } = k;
    pagecache.get_page(frames, m.mem, ino, idx).unwrap()
}

/// A child of init that has exec'd `path`.
fn spawn(k: &mut Kernel, path: &str) -> Pid {
    let c = fork(k, 1);
    assert_eq!(execve(k, c, path, &["prog"], &[]), 0, "exec {path}");
    c
}

fn finish(k: &mut Kernel, pid: Pid) {
    exit(k, pid, 0);
    assert_eq!(reap(k, 1, pid), 0);
}

/// /proc/<pid>/maps as `pid` reads it.
fn maps(k: &mut Kernel, pid: Pid) -> std::string::String {
    let s = scratch(k, pid);
    write_user(k, pid, s, b"/proc/self/maps\0").unwrap();
    let fd = syscall(k, pid, nr::OPEN, &[s, O_RDONLY as u64, 0]);
    assert!(fd >= 0, "open maps: {fd}");
    let n = syscall(k, pid, nr::READ, &[fd as u64, s + 64, P - 64]);
    assert!(n > 0, "read maps: {n}");
    assert_eq!(syscall(k, pid, nr::CLOSE, &[fd as u64]), 0);
    std::string::String::from_utf8(read_user(k, pid, s + 64, n as usize).unwrap()).unwrap()
}

#[test]
fn two_execs_share_the_text_frames_of_the_page_cache() {
    let (mut k, _) = boot(FRAMES);
    install_file(&mut k, PROG, &program(), 0o755);
    let ino = ino_of(&k, PROG);
    let base = Baseline::take(&k);

    let a = spawn(&mut k, PROG);
    assert!(k.pagecache.contains(ino), "exec attached the file");
    let b = spawn(&mut k, PROG);
    let text = cache_frame(&mut k, ino, 0);
    assert_eq!(frame_at(&mut k, a, TEXT), text, "a's text is the cache's frame");
    assert_eq!(frame_at(&mut k, b, TEXT), text, "so is b's");
    assert_eq!(read_user(&mut k, a, TEXT + 0x100, 4).unwrap(), [0x100, 0x101, 0x102, 0x103].map(filler));
    // The first data page is shared until written; a write copies it for
    // the writer alone.
    let data = cache_frame(&mut k, ino, 1);
    assert_eq!(frame_at(&mut k, a, DATA), data);
    write_user(&mut k, a, DATA, b"mine").unwrap();
    assert_ne!(frame_at(&mut k, a, DATA), data);
    assert_eq!(frame_at(&mut k, b, DATA), data);
    assert_eq!(read_user(&mut k, b, DATA, 4).unwrap(), [P, P + 1, P + 2, P + 3].map(filler));

    // The file shows in maps with its path, as in Linux.
    let m = maps(&mut k, a);
    let lines: Vec<&str> = m.lines().filter(|l| l.ends_with(PROG)).collect();
    assert_eq!(lines.len(), 2, "text and data lines in\n{m}");
    assert!(lines[0].starts_with("00400000-00401000 r-xp 00000000 "), "{}", lines[0]);
    assert!(lines[1].starts_with("00601000-00603000 rw-p 00001000 "), "{}", lines[1]);

    // The program stays cached after its last process: the next exec
    // maps the same frames and copies nothing.
    finish(&mut k, a);
    finish(&mut k, b);
    assert!(k.pagecache.is_kept(ino));
    let cached = k.pagecache.frames_held();
    let c = spawn(&mut k, PROG);
    assert_eq!(frame_at(&mut k, c, TEXT), text);
    assert_eq!(k.pagecache.frames_held(), cached);
    finish(&mut k, c);

    // Dropping the cache gives everything back.
    k.drop_page_caches();
    assert!(!k.pagecache.contains(ino));
    base.check(&k, "after the processes and the cache are gone");
}

#[test]
fn a_removed_program_leaves_the_cache_with_its_last_process() {
    let (mut k, _) = boot(FRAMES);
    let base = Baseline::take(&k);
    install_file(&mut k, PROG, &program(), 0o755);
    let ino = ino_of(&k, PROG);
    let a = spawn(&mut k, PROG);
    let bin = ino_of(&k, "/bin");
    k.fs.unlink(&crate::fs::FsCred::ROOT, bin, b"prog", 1).unwrap();
    assert_eq!(read_user(&mut k, a, TEXT + 0x100, 1).unwrap(), [filler(0x100)], "still runs");
    finish(&mut k, a);
    assert!(!k.pagecache.contains(ino), "kept for no one");
    base.check(&k, "after the program and its file are gone");
}

#[test]
fn bss_tail_is_zeroed_in_a_private_copy_of_the_last_file_page() {
    let (mut k, _) = boot(FRAMES);
    install_file(&mut k, PROG, &program(), 0o755);
    let ino = ino_of(&k, PROG);
    let a = spawn(&mut k, PROG);
    let end = DATA + P + 0x100; // p_vaddr + p_filesz
    assert_eq!(
        read_user(&mut k, a, end - 2, 2).unwrap(),
        [2 * P + 0xfe, 2 * P + 0xff].map(filler),
        "the file's last bytes"
    );
    assert!(
        read_user(&mut k, a, end, (DATA + 3 * P - end) as usize).unwrap().iter().all(|&b| b == 0),
        ".bss reads zeros"
    );
    // padzero gave that page a copy of its own: the cache keeps the file's
    // bytes, the other data page is still the cache's.
    assert_ne!(frame_at(&mut k, a, DATA + P), cache_frame(&mut k, ino, 2));
    let mut b = [0u8; 1];
    k.file_read(ino, 2 * P + 0x100, &mut b).unwrap();
    assert_eq!(b[0], filler(2 * P + 0x100), "the file is unchanged");
    assert_eq!(frame_at(&mut k, a, DATA), cache_frame(&mut k, ino, 1));
    // The page after the file's bytes is anonymous memory.
    let mm = k.tasks[&a].mm;
    let v = *k.mms.get(mm).find_vma(DATA + 2 * P).unwrap();
    assert!(v.file.is_none() && v.start == DATA + 2 * P && v.end == DATA + 3 * P, "{v:?}");
    finish(&mut k, a);
}

#[test]
fn a_write_to_the_file_leaves_copied_pages_alone() {
    let (mut k, _) = boot(FRAMES);
    install_file(&mut k, PROG, &program(), 0o755);
    let ino = ino_of(&k, PROG);
    let a = spawn(&mut k, PROG);
    write_user(&mut k, a, DATA, b"mine").unwrap();
    read_user(&mut k, a, TEXT, 1).unwrap();
    k.file_write(ino, 0x100, b"new!", 1).unwrap();
    k.file_write(ino, P, b"file", 1).unwrap();
    assert_eq!(read_user(&mut k, a, DATA, 4).unwrap(), b"mine", "a private copy stays");
    // A page not yet copied is the file's, as with any MAP_PRIVATE mapping.
    assert_eq!(read_user(&mut k, a, TEXT + 0x100, 4).unwrap(), b"new!");
    finish(&mut k, a);
}

#[test]
fn malformed_images_fail_with_enoexec_and_leave_nothing_behind() {
    let (mut k, _) = boot(FRAMES);
    let good = program();
    let mut cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("bare magic", b"\x7fELF".to_vec()),
        ("header only: the program headers are missing", good[..64].to_vec()),
        ("program headers cut short", good[..64 + 56 + 20].to_vec()),
        ("file shorter than a segment", good[..2 * P as usize].to_vec()),
        (
            "vaddr and offset disagree within the page",
            image(&[load(PF_R | PF_X, 0, TEXT + 0x10, 0x800, 0x800)], P as usize, 64),
        ),
        ("filesz > memsz", image(&[load(PF_R, 0, TEXT, 0x800, 0x400)], P as usize, 64)),
        ("no PT_LOAD", image(&[Seg { p_type: 4, ..load(PF_R, 0, TEXT, 0x10, 0x10) }], P as usize, 64)),
        (
            "PT_INTERP",
            image(
                &[Seg { p_type: 3, ..load(PF_R, 0, TEXT, 0x10, 0x10) }, load(PF_R, 0, TEXT, 0x800, 0x800)],
                P as usize,
                64,
            ),
        ),
        ("beyond TASK_SIZE", image(&[load(PF_R, 0, 0x7fff_ffff_f000, 0x800, 0x2000)], P as usize, 64)),
    ];
    let mut bad_phent = good.clone();
    bad_phent[54] = 32;
    cases.push(("e_phentsize 32", bad_phent));
    let mut rel = good.clone();
    rel[16] = 1;
    cases.push(("ET_REL", rel));
    let mut too_many = good.clone();
    too_many[56..58].copy_from_slice(&74u16.to_le_bytes()); // 74 * 56 > 4096
    cases.push(("more than a page of program headers", too_many));
    let c = fork(&mut k, 1);
    // execve() writes its arguments there: give c its own copy first.
    let s = scratch(&mut k, c);
    write_user(&mut k, c, s, b"c").unwrap();
    for (i, (what, data)) in cases.iter().enumerate() {
        let path = std::format!("/bin/bad{i}");
        install_file(&mut k, &path, data, 0o755);
        let base = Baseline::take(&k);
        assert_eq!(execve(&mut k, c, &path, &["bad"], &[]), err(ENOEXEC), "{what}");
        base.check(&k, what);
    }
    // An odd e_phoff is fine (Linux reads the table wherever it is).
    let odd = image(&[load(PF_R | PF_X, 0, TEXT, 0x800, 0x800)], P as usize, 65);
    install_file(&mut k, "/bin/odd", &odd, 0o755);
    assert_eq!(execve(&mut k, c, "/bin/odd", &["odd"], &[]), 0);
    finish(&mut k, c);
}

#[test]
fn exec_fails_cleanly_at_every_frame_allocation() {
    let (mut k, _) = boot(FRAMES);
    install_file(&mut k, PROG, &program(), 0o755);
    let ino = ino_of(&k, PROG);
    let before = Baseline::take(&k);
    let c = fork(&mut k, 1);
    // execve() writes its arguments there: give c its own copy first.
    let s = scratch(&mut k, c);
    write_user(&mut k, c, s, b"c").unwrap();
    let base = Baseline::take(&k);
    let mut attempt = 0;
    loop {
        assert!(attempt < 1000, "exec never succeeds");
        k.frames.fail_after(Some(attempt));
        let r = execve(&mut k, c, PROG, &["prog"], &[]);
        k.frames.fail_after(None);
        if r == 0 {
            break;
        }
        assert_eq!(r, err(ENOMEM), "exec with {attempt} frames to spare");
        // Nothing is left, not even the file in the cache.
        base.check(&k, &std::format!("exec failing after {attempt} allocations"));
        assert!(!k.pagecache.contains(ino));
        attempt += 1;
    }
    assert!(attempt >= 3, "the file's pages, the PML4, the stack: {attempt}");
    finish(&mut k, c);
    k.drop_page_caches();
    before.check(&k, "after the exec'd child is gone and the cache dropped");
}
