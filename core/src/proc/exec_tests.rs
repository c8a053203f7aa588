//! execve's loader on simulated hardware: segments mapped privately from
//! the page cache (Linux: fs/binfmt_elf.c elf_load()/elf_map()/padzero()),
//! the program kept cached for the next exec, malformed images refused
//! with ENOEXEC without a leak, and the interpreter of a dynamically
//! linked program loaded below the mmap base (load_elf_interp()).

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
    k.vfs.fs().lookup(&crate::fs::FsCred::ROOT, k.vfs.fs().root(), path.as_bytes(), Lookup::FOLLOW).unwrap()
}

/// The frame mapped at `va` in `pid` after a read of it.
fn frame_at(k: &mut Kernel, pid: Pid, va: u64) -> u64 {
    read_user(k, pid, va, 1).unwrap();
    let mm = k.proc.tasks[&pid].mm;
    let pte = k.mem.mms().get(mm).pte(k.m.mem, va);
    assert!(pte.is_present(), "{va:#x} mapped in {pid}");
    pte.addr()
}

/// The page cache's frame for page `idx` of `ino`.
fn cache_frame(k: &mut Kernel, ino: Ino, idx: u64) -> u64 {
    let phys = k.m.mem;
    let crate::mm::MemParts { pagecache, frames, .. } = k.mem.parts();
    pagecache.get_page(frames, phys, ino, idx).unwrap()
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
    assert!(k.mem.pagecache().contains(ino), "exec attached the file");
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
    assert!(k.mem.pagecache().is_kept(ino));
    let cached = k.mem.pagecache().frames_held();
    let c = spawn(&mut k, PROG);
    assert_eq!(frame_at(&mut k, c, TEXT), text);
    assert_eq!(k.mem.pagecache().frames_held(), cached);
    finish(&mut k, c);

    // Dropping the cache gives everything back.
    k.drop_page_caches();
    assert!(!k.mem.pagecache().contains(ino));
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
    k.vfs.fs_mut().unlink(&crate::fs::FsCred::ROOT, bin, b"prog", 1).unwrap();
    assert_eq!(read_user(&mut k, a, TEXT + 0x100, 1).unwrap(), [filler(0x100)], "still runs");
    finish(&mut k, a);
    assert!(!k.mem.pagecache().contains(ino), "kept for no one");
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
    let mm = k.proc.tasks[&a].mm;
    let v = *k.mem.mms().get(mm).find_vma(DATA + 2 * P).unwrap();
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
            "PT_INTERP without a NUL",
            image(
                &[Seg { p_type: 3, ..load(PF_R, 0x100, TEXT, 0x10, 0x10) }, load(PF_R, 0, TEXT, 0x800, 0x800)],
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
        k.mem.frames_mut().fail_after(Some(attempt));
        let r = execve(&mut k, c, PROG, &["prog"], &[]);
        k.mem.frames_mut().fail_after(None);
        if r == 0 {
            break;
        }
        assert_eq!(r, err(ENOMEM), "exec with {attempt} frames to spare");
        // Nothing is left, not even the file in the cache.
        base.check(&k, &std::format!("exec failing after {attempt} allocations"));
        assert!(!k.mem.pagecache().contains(ino));
        attempt += 1;
    }
    assert!(attempt >= 3, "the file's pages, the PML4, the stack: {attempt}");
    finish(&mut k, c);
    k.drop_page_caches();
    before.check(&k, "after the exec'd child is gone and the cache dropped");
}

const LDSO: &str = "/lib/ld.so";
const PT_INTERP: u32 = 3;

/// An ET_DYN interpreter: text at 0 (entry 0x200), data at 0x1000 with a
/// .bss page after it.
fn interpreter() -> Vec<u8> {
    let mut e =
        image(&[load(PF_R | PF_X, 0, 0, 0x800, 0x800), load(PF_R | PF_W, P, P, 0x100, 2 * P)], 2 * P as usize, 64);
    e[16] = 3; // ET_DYN
    e[24..32].copy_from_slice(&0x200u64.to_le_bytes());
    e
}

/// [`program`] with a PT_INTERP naming `interp` (NUL-terminated), the
/// name stored at file offset 0x700.
fn dynamic_program(interp: &[u8]) -> Vec<u8> {
    let name_at = 0x700;
    let seg =
        Seg { p_type: PT_INTERP, ..load(PF_R, name_at, TEXT + name_at, interp.len() as u64, interp.len() as u64) };
    let mut e = image(
        &[seg, load(PF_R | PF_X, 0, TEXT, 0x800, 0x800), load(PF_R | PF_W, P, DATA, P + 0x100, 3 * P)],
        3 * P as usize,
        64,
    );
    e[name_at as usize..name_at as usize + interp.len()].copy_from_slice(interp);
    e
}

/// The auxiliary vector value for `key` of `pid`'s program.
fn auxv(k: &Kernel, pid: Pid, key: u64) -> Option<u64> {
    let v = &k.mem.mms().get(k.proc.tasks[&pid].mm).saved_auxv;
    v.chunks(2).find(|p| p[0] == key).map(|p| p[1])
}

#[test]
fn a_dynamic_program_starts_in_its_interpreter_below_the_mmap_base() {
    let (mut k, _) = boot(FRAMES);
    install_file(&mut k, LDSO, &interpreter(), 0o755);
    install_file(&mut k, PROG, &dynamic_program(b"/lib/ld.so\0"), 0o755);
    let a = spawn(&mut k, PROG);
    let base = auxv(&k, a, AT_BASE).expect("AT_BASE");
    // The interpreter's two pages of file and one of .bss, top down from
    // the mmap base (Linux without randomisation: ld.so ends there).
    assert_eq!(base, crate::mm::consts::MMAP_BASE - 3 * P, "AT_BASE {base:#x}");
    assert_eq!(regs_of(&k, a).rip, base + 0x200, "entry: the interpreter's");
    assert_eq!(auxv(&k, a, AT_ENTRY), Some(TEXT + 0x200), "AT_ENTRY: the program's");
    assert_eq!(auxv(&k, a, AT_PHDR), Some(TEXT + 64));
    assert_eq!(auxv(&k, a, AT_PHNUM), Some(3));
    // The interpreter's pages are the cache's, its .bss is zeros.
    let ld = ino_of(&k, LDSO);
    assert_eq!(frame_at(&mut k, a, base), cache_frame(&mut k, ld, 0));
    assert_eq!(read_user(&mut k, a, base + P + 0x100, 16).unwrap(), [0u8; 16]);
    let m = maps(&mut k, a);
    assert!(m.contains("/lib/ld.so"), "{m}");
    finish(&mut k, a);
}

#[test]
fn a_missing_or_bad_interpreter_fails_the_exec_as_in_linux() {
    let (mut k, _) = boot(FRAMES);
    let c = fork(&mut k, 1);
    let s = scratch(&mut k, c);
    write_user(&mut k, c, s, b"c").unwrap();
    install_file(&mut k, LDSO, &interpreter(), 0o755);
    install_file(&mut k, "/lib/script", &[b"#!/bin/sh\n".as_slice(), &[b'#'; 100]].concat(), 0o755);
    install_file(&mut k, "/lib/short", b"\x7fELF", 0o755);
    let mut rel = interpreter();
    rel[16] = 1;
    install_file(&mut k, "/lib/rel", &rel, 0o755);
    let mut arm = interpreter();
    arm[18] = 40;
    install_file(&mut k, "/lib/arm", &arm, 0o755);
    install_file(&mut k, "/lib/noexec", &interpreter(), 0o644);
    let long = [b'a'; 5000];
    let cases: Vec<(&str, Vec<u8>, Errno)> = vec![
        ("missing", dynamic_program(b"/lib/nothere\0"), ENOENT),
        ("not ELF", dynamic_program(b"/lib/script\0"), ELIBBAD),
        ("shorter than an ELF header", dynamic_program(b"/lib/short\0"), EIO),
        ("another machine", dynamic_program(b"/lib/arm\0"), ELIBBAD),
        ("ET_REL", dynamic_program(b"/lib/rel\0"), EINVAL),
        ("not executable", dynamic_program(b"/lib/noexec\0"), EACCES),
        ("a directory", dynamic_program(b"/lib\0"), EACCES),
        ("a one-byte name", dynamic_program(b"\0"), ENOEXEC),
        ("no NUL", dynamic_program(b"/lib/ld.so"), ENOEXEC),
    ];
    for (i, (what, data, e)) in cases.iter().enumerate() {
        let path = std::format!("/bin/dyn{i}");
        install_file(&mut k, &path, data, 0o755);
        let base = Baseline::take(&k);
        assert_eq!(execve(&mut k, c, &path, &["dyn"], &[]), err(*e), "{what}");
        base.check(&k, what);
    }
    // Longer than PATH_MAX: ENOEXEC before anything is read.
    let mut e = image(
        &[
            Seg { p_type: PT_INTERP, ..load(PF_R, 0x100, 0, long.len() as u64, long.len() as u64) },
            load(PF_R | PF_X, 0, TEXT, 0x800, 0x800),
        ],
        2 * P as usize,
        64,
    );
    e[0x100..0x100 + long.len()].copy_from_slice(&long);
    install_file(&mut k, "/bin/long", &e, 0o755);
    assert_eq!(execve(&mut k, c, "/bin/long", &["long"], &[]), err(ENOEXEC));
    // Two PT_INTERP: the first one counts, as in Linux.
    let mut two = dynamic_program(b"/lib/ld.so\0");
    let second = 64 + 3 * 56;
    two[56..58].copy_from_slice(&4u16.to_le_bytes());
    two.copy_within(64..64 + 56, second);
    two[second + 8..second + 16].copy_from_slice(&0x720u64.to_le_bytes());
    install_file(&mut k, "/bin/two", &two, 0o755);
    assert_eq!(execve(&mut k, c, "/bin/two", &["two"], &[]), 0);
    // The name ends at its first NUL, whatever PT_INTERP's size.
    install_file(&mut k, "/bin/nuls", &dynamic_program(b"/lib/ld.so\0\0\0\0"), 0o755);
    assert_eq!(execve(&mut k, c, "/bin/nuls", &["nuls"], &[]), 0);
    assert!(auxv(&k, c, AT_BASE).unwrap() > 0);
    finish(&mut k, c);
}

#[test]
fn every_program_gets_the_vdso_with_vvar_below_it() {
    let (mut k, _) = boot(FRAMES);
    install_file(&mut k, PROG, &program(), 0o755);
    let a = spawn(&mut k, PROG);
    let ehdr = auxv(&k, a, AT_SYSINFO_EHDR).expect("AT_SYSINFO_EHDR");
    assert_eq!(read_user(&mut k, a, ehdr, 4).unwrap(), b"\x7fELF", "the image is mapped there");
    let vvar = ehdr - crate::mm::vdso::VVAR_PAGES * P;
    let m = maps(&mut k, a);
    assert!(m.contains(&std::format!("{vvar:x}-{ehdr:x} r--p 00000000 00:00 0")), "{m}");
    assert!(m.contains("[vvar]") && m.contains("[vdso]"), "{m}");
    // [vvar] can never become writable; the vDSO can (copied on write).
    assert_eq!(syscall(&mut k, a, nr::MPROTECT, &[vvar, P, 3]), err(EACCES));
    assert_eq!(syscall(&mut k, a, nr::MPROTECT, &[ehdr, P, 7]), 0);
    // fork keeps both where they are.
    let b = fork(&mut k, a);
    assert_eq!(auxv(&k, b, AT_SYSINFO_EHDR), Some(ehdr));
    assert_eq!(read_user(&mut k, b, ehdr, 4).unwrap(), b"\x7fELF");
    assert!(maps(&mut k, b).contains("[vdso]"));
    exit(&mut k, b, 0);
    assert_eq!(reap(&mut k, a, b), 0);
    // munmap takes it away as any mapping.
    assert_eq!(syscall(&mut k, a, nr::MUNMAP, &[vvar, (crate::mm::vdso::VVAR_PAGES + 1) * P]), 0);
    assert!(!maps(&mut k, a).contains("[vdso]"));
    finish(&mut k, a);
}
