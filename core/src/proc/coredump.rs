//! Core dumps (Linux: fs/coredump.c, fs/binfmt_elf.c elf_core_dump()).
//!
//! A process killed by a signal whose default action is "core" (SIGQUIT,
//! SIGSEGV, SIGABRT, ...) leaves an ELF core file in its working
//! directory, named by `/proc/sys/kernel/core_pattern` (default `core`),
//! when RLIMIT_CORE allows a page and the process is dumpable; its wait
//! status then has the core-dump bit (0x80, WCOREDUMP). The file is what
//! gdb reads: an ELF header of type ET_CORE, a PT_NOTE segment with each
//! thread's registers (NT_PRSTATUS, NT_PRFPREG, and NT_X86_XSTATE with
//! XSAVE), the process's
//! description (NT_PRPSINFO), the fatal siginfo (NT_SIGINFO), the
//! auxiliary vector (NT_AUXV) and the mapped files (NT_FILE), then a
//! PT_LOAD segment per mapping with the memory that Linux's default
//! coredump_filter keeps: anonymous memory and written private file
//! pages whole, the first page of a file mapping that holds an ELF
//! header, nothing of other file mappings (gdb reads those from the
//! files).

use alloc::vec;
use alloc::vec::Vec;

use core::mem::size_of;

use zerocopy::IntoBytes;

use crate::abi::*;
use crate::kernel::Kernel;
use crate::mm::consts::PAGE_SIZE;
use crate::mm::vma::{Prot, VmFlags, Vma};
use crate::proc::xstate::FXSAVE_BYTES;
use crate::proc::{Pid, Task};
use crate::signal::SigInfo;

const ET_CORE: u16 = 4;
const EM_X86_64: u16 = 62;
const PT_LOAD: u32 = 1;
const PT_NOTE: u32 = 4;
const NT_PRSTATUS: u32 = 1;
const NT_PRFPREG: u32 = 2;
const NT_PRPSINFO: u32 = 3;
const NT_AUXV: u32 = 6;
const NT_SIGINFO: u32 = 0x5349_4749;
const NT_FILE: u32 = 0x4649_4c45;
const NT_X86_XSTATE: u32 = 0x202;
/// Linux: CORENAME_MAX_SIZE, the longest core_pattern.
pub const CORENAME_MAX_SIZE: usize = 128;
/// Linux: ELF_PRARGSZ, the command line kept in NT_PRPSINFO.
const ELF_PRARGSZ: usize = 80;

/// `/proc/sys/kernel/core_pattern` and `core_uses_pid`.
#[derive(Clone, Debug)]
pub struct CoreSettings {
    pub pattern: Vec<u8>,
    pub uses_pid: bool,
}

impl Default for CoreSettings {
    fn default() -> Self {
        CoreSettings { pattern: b"core".to_vec(), uses_pid: false }
    }
}

/// One segment of memory to dump.
struct Segment {
    vma: Vma,
    /// Bytes of it written to the file (0, a page, or all).
    dump: u64,
}

/// Write a core file for the current process, killed by `info`; true when
/// one was started, so that the wait status gets WCOREDUMP (Linux:
/// do_coredump() → binfmt->core_dump(), coredump_finish()). As on Linux,
/// a dump cut short by RLIMIT_CORE still counts.
pub fn do_coredump(k: &mut Kernel, info: &SigInfo, regs: &PtRegs) -> bool {
    let limit = k.rlimit(RLIMIT_CORE).cur;
    // Linux: binfmt_elf's min_coredump, one page.
    if limit < PAGE_SIZE || !k.cur().cred.dumpable {
        return false;
    }
    let name = core_name(k, info.signo);
    if name.is_empty() || name[0] == b'|' {
        return false; // a pipe to a helper: there is none to run
    }
    let Some(image) = CoreImage::build(k, info, regs) else { return false };
    image.write(k, &name, limit)
}

/// The file name core_pattern gives (Linux: format_corename()): %p pid,
/// %P the same, %i/%I tid, %u uid, %g gid, %s signal, %t seconds since
/// the epoch, %h host name, %e command name, %E executable path with /
/// as !, %c RLIMIT_CORE, %% a %. With core_uses_pid and no %p, ".PID".
fn core_name(k: &Kernel, sig: u32) -> Vec<u8> {
    let t = k.cur();
    let settings = &k.proc.core;
    let mut out = Vec::new();
    let mut has_pid = false;
    let mut it = settings.pattern.iter().copied();
    while let Some(c) = it.next() {
        if c != b'%' {
            out.push(c);
            continue;
        }
        let s: Vec<u8> = match it.next() {
            Some(b'%') => b"%".to_vec(),
            Some(b'p') | Some(b'P') => {
                has_pid = true;
                alloc::format!("{}", t.tgid).into_bytes()
            }
            Some(b'i') | Some(b'I') => alloc::format!("{}", t.tid).into_bytes(),
            Some(b'u') => alloc::format!("{}", t.cred.uid).into_bytes(),
            Some(b'g') => alloc::format!("{}", t.cred.gid).into_bytes(),
            Some(b's') => alloc::format!("{sig}").into_bytes(),
            Some(b't') => alloc::format!("{}", k.now_real() / 1_000_000_000).into_bytes(),
            Some(b'h') => k.ns.uts(t.nsproxy).nodename().to_vec(),
            Some(b'e') => t.comm.iter().map(|&c| if c == b'/' { b'!' } else { c }).collect(),
            Some(b'E') => t.exe.bytes().map(|c| if c == b'/' { b'!' } else { c }).collect(),
            Some(b'c') => alloc::format!("{}", k.rlimit(RLIMIT_CORE).cur).into_bytes(),
            _ => Vec::new(),
        };
        out.extend_from_slice(&s);
    }
    if settings.uses_pid && !has_pid {
        out.extend_from_slice(alloc::format!(".{}", t.tgid).as_bytes());
    }
    out
}

/// The headers and notes of a core file, with the segments to copy.
struct CoreImage {
    head: Vec<u8>,
    segments: Vec<Segment>,
    /// File offset of the first segment's data (page aligned).
    data_at: u64,
}

impl CoreImage {
    fn build(k: &mut Kernel, info: &SigInfo, regs: &PtRegs) -> Option<Self> {
        let me = k.cur().tid;
        let tgid = k.cur().tgid;
        let mm = k.cur().mm;
        // The dumping thread first, then the others (Linux:
        // fill_note_info()).
        let mut threads: Vec<Pid> = k.threads_of(tgid);
        threads.retain(|&t| t != me);
        threads.insert(0, me);
        let fpu = k.cur_fpu();
        let xfeatures = k.m.fpu.xfeatures();

        let mut notes = Vec::new();
        for (n, &tid) in threads.iter().enumerate() {
            let t = &k.proc.tasks[&tid];
            let (r, f) = if tid == me { (*regs, fpu.clone()) } else { (t.kstack.regs(), t.kstack.fpu()) };
            note(&mut notes, b"CORE", NT_PRSTATUS, prstatus(k, t, &r, info).as_bytes());
            if n == 0 {
                note(&mut notes, b"CORE", NT_PRPSINFO, prpsinfo(k, t).as_bytes());
                note(&mut notes, b"CORE", NT_SIGINFO, info.to_user().as_bytes());
                note(&mut notes, b"CORE", NT_AUXV, k.mem.mms().get(mm).saved_auxv.as_bytes());
                note(&mut notes, b"CORE", NT_FILE, &file_note(k, mm));
            }
            note(&mut notes, b"CORE", NT_PRFPREG, &f.as_bytes()[..FXSAVE_BYTES]);
            // Linux: the xstate regset's note, named as the regsets past
            // the first two are, where the CPU has XSAVE.
            if xfeatures != 0 {
                note(&mut notes, b"LINUX", NT_X86_XSTATE, &f.to_uabi(xfeatures));
            }
        }

        let vmas: Vec<Vma> = k.mem.mms().get(mm).vmas().copied().collect();
        let mut segments = Vec::with_capacity(vmas.len());
        for vma in vmas {
            let dump = dump_size(k, mm, &vma);
            segments.push(Segment { vma, dump });
        }
        let phnum = 1 + segments.len();
        let notes_at = 64 + 56 * phnum as u64;
        let data_at = (notes_at + notes.len() as u64).next_multiple_of(PAGE_SIZE);

        let mut head = Vec::with_capacity(notes_at as usize + notes.len());
        // The ELF header (Linux: fill_elf_header()).
        let ehdr = Elf64Ehdr {
            e_ident: [0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            e_type: ET_CORE,
            e_machine: EM_X86_64,
            e_version: 1,
            e_phoff: size_of::<Elf64Ehdr>() as u64,
            e_ehsize: size_of::<Elf64Ehdr>() as u16,
            e_phentsize: size_of::<Elf64Phdr>() as u16,
            e_phnum: phnum as u16,
            e_shentsize: 64,
            ..Default::default()
        };
        head.extend_from_slice(ehdr.as_bytes());
        // PT_NOTE, then a PT_LOAD per mapping.
        phdr(&mut head, PT_NOTE, 0, notes_at, 0, notes.len() as u64, 0, 4);
        let mut at = data_at;
        for s in &segments {
            let v = &s.vma;
            let flags = (v.prot.contains(Prot::READ) as u32) << 2
                | (v.prot.contains(Prot::WRITE) as u32) << 1
                | v.prot.contains(Prot::EXEC) as u32;
            phdr(&mut head, PT_LOAD, flags, at, v.start, s.dump, v.end - v.start, PAGE_SIZE);
            at += s.dump;
        }
        head.extend_from_slice(&notes);
        Some(CoreImage { head, segments, data_at })
    }

    /// Create the file (an old one of the name goes first) and fill it,
    /// stopping before the first piece that would pass `limit` bytes
    /// (Linux: dump_emit()). False when the file cannot be made.
    fn write(&self, k: &mut Kernel, name: &[u8], limit: u64) -> bool {
        let cred = k.fs_cred();
        let cwd = k.cur_fs().cwd.at;
        let now = k.now_real();
        let _ = k.vfs.fs_mut().unlink_at(&cred, cwd, name, now);
        let Ok(ino) = k.vfs.fs_mut().open(&cred, cwd, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW, 0o600, now)
        else {
            return false;
        };
        let _ = self.fill(k, ino, limit);
        k.vfs.fs_mut().iput(ino);
        true
    }

    fn fill(&self, k: &mut Kernel, ino: crate::fs::Ino, limit: u64) -> SysResult<()> {
        let now = k.now_real();
        let emit = |k: &mut Kernel, at: u64, data: &[u8]| -> SysResult<()> {
            if at + data.len() as u64 > limit {
                return Err(EFBIG);
            }
            k.file_write(ino, at, data, now).map(|_| ())
        };
        emit(k, 0, &self.head)?;
        let pad = vec![0u8; (self.data_at as usize).saturating_sub(self.head.len())];
        emit(k, self.head.len() as u64, &pad)?;
        let mut at = self.data_at;
        let mm = k.cur().mm;
        let mut page = vec![0u8; PAGE_SIZE as usize];
        for s in &self.segments {
            let mut va = s.vma.start;
            while va < s.vma.start + s.dump {
                // A page never touched reads as zeros, without faulting
                // one in (Linux: get_dump_page() skips it).
                let present =
                    k.with_mm_of(mm, |a, ctx| a.translate(ctx.phys, va).map(|pa| ctx.phys.read(pa, &mut page)));
                if present.is_none() {
                    page.fill(0);
                }
                emit(k, at, &page)?;
                at += PAGE_SIZE;
                va += PAGE_SIZE;
            }
        }
        Ok(())
    }
}

/// How much of `vma` Linux's default coredump_filter (0x33) keeps
/// (Linux: vma_dump_size()).
fn dump_size(k: &mut Kernel, mm: crate::proc::MmId, vma: &Vma) -> u64 {
    let whole = vma.end - vma.start;
    if !vma.prot.contains(Prot::READ) {
        return 0;
    }
    let Some(f) = vma.file else { return whole };
    if vma.flags.contains(VmFlags::ANONYMOUS) || (vma.is_shared() && f.ino >= crate::mm::pagecache::SHMEM_KEY_BASE) {
        return whole; // shared anonymous memory
    }
    // A private file mapping that has been written holds anonymous pages.
    if !vma.is_shared() && vma.prot.contains(Prot::WRITE) {
        return whole;
    }
    // The ELF header page, for the build id (MMF_DUMP_ELF_HEADERS).
    if f.pgoff == 0 {
        let mut magic = [0u8; 4];
        let head = k.with_mm_of(mm, |a, ctx| a.translate(ctx.phys, vma.start).map(|pa| ctx.phys.read(pa, &mut magic)));
        if head.is_some() && magic == *b"\x7fELF" {
            return PAGE_SIZE;
        }
    }
    0
}

/// Append an ELF note: name and descriptor, each padded to 4 bytes.
fn note(out: &mut Vec<u8>, name: &[u8], kind: u32, desc: &[u8]) {
    let nhdr = Elf64Nhdr { n_namesz: name.len() as u32 + 1, n_descsz: desc.len() as u32, n_type: kind };
    out.extend_from_slice(nhdr.as_bytes());
    out.extend_from_slice(name);
    out.push(0);
    out.resize(out.len().next_multiple_of(4), 0);
    out.extend_from_slice(desc);
    out.resize(out.len().next_multiple_of(4), 0);
}

#[allow(clippy::too_many_arguments)]
fn phdr(out: &mut Vec<u8>, kind: u32, flags: u32, offset: u64, vaddr: u64, filesz: u64, memsz: u64, align: u64) {
    let p = Elf64Phdr {
        p_type: kind,
        p_flags: flags,
        p_offset: offset,
        p_vaddr: vaddr,
        p_paddr: 0,
        p_filesz: filesz,
        p_memsz: memsz,
        p_align: align,
    };
    out.extend_from_slice(p.as_bytes());
}

/// `struct elf_prstatus` for thread `t`.
fn prstatus(k: &Kernel, t: &Task, r: &PtRegs, info: &SigInfo) -> ElfPrstatus {
    let s = k.sig.signals().get(t.signal);
    ElfPrstatus {
        si_signo: info.signo as i32,
        si_code: info.code,
        pr_cursig: info.signo as u16,
        pr_sigpend: (t.sigpending | s.shared_pending).bits(),
        pr_sighold: t.sigmask.bits(),
        pr_pid: t.tid as i32,
        pr_ppid: k.proc.tasks.get(&t.parent).map_or(0, |p| p.tgid) as i32,
        pr_pgrp: s.pgid as i32,
        pr_sid: s.sid as i32,
        pr_utime: Timeval::from_ns(t.utime_ns),
        pr_stime: Timeval::from_ns(t.stime_ns),
        pr_cutime: Timeval::from_ns(s.cutime_ns),
        pr_cstime: Timeval::from_ns(s.cstime_ns),
        pr_reg: UserRegs { ds: USER_DS, es: USER_DS, ..UserRegs::from_pt_regs(r, t.fs_base, t.gs_base) },
        pr_fpvalid: 1,
        ..Default::default()
    }
}

/// `struct elf_prpsinfo` of the process.
fn prpsinfo(k: &Kernel, t: &Task) -> ElfPrpsinfo {
    let s = k.sig.signals().get(t.signal);
    let mut p = ElfPrpsinfo {
        pr_state: 0,
        pr_sname: b'R', // the dumping task runs
        pr_zomb: 0,
        pr_nice: t.nice as i8,
        pad0: 0,
        pr_flag: 0,
        pr_uid: t.cred.uid,
        pr_gid: t.cred.gid,
        pr_pid: t.tgid as i32,
        pr_ppid: k.proc.tasks.get(&t.parent).map_or(0, |p| p.tgid) as i32,
        pr_pgrp: s.pgid as i32,
        pr_sid: s.sid as i32,
        pr_fname: [0; 16],
        pr_psargs: [0; ELF_PRARGSZ],
    };
    let n = t.comm.len().min(15);
    p.pr_fname[..n].copy_from_slice(&t.comm[..n]);
    let n = t.cmdline.len().min(ELF_PRARGSZ - 1);
    for (d, &c) in p.pr_psargs.iter_mut().zip(&t.cmdline[..n]) {
        *d = if c == 0 { b' ' } else { c };
    }
    // The command line ends without the space its last NUL became.
    if n > 0 && p.pr_psargs[n - 1] == b' ' {
        p.pr_psargs[n - 1] = 0;
    }
    p
}

/// NT_FILE: the file mappings (start, end, offset in pages) and names.
fn file_note(k: &Kernel, mm: crate::proc::MmId) -> Vec<u8> {
    let files: Vec<(u64, u64, u64, Vec<u8>)> = k
        .mem
        .mms()
        .get(mm)
        .vmas()
        .filter_map(|v| {
            let f = v.file?;
            let path = k.vfs.fs().path_of(f.ino)?;
            Some((v.start, v.end, f.pgoff, path))
        })
        .collect();
    // A count and the page size, then (start, end, pgoff) per mapping.
    let mut words = alloc::vec![files.len() as u64, PAGE_SIZE];
    words.extend(files.iter().flat_map(|&(start, end, pgoff, _)| [start, end, pgoff]));
    let mut b = words.as_bytes().to_vec();
    for (_, _, _, name) in &files {
        b.extend_from_slice(name);
        b.push(0);
    }
    b
}
