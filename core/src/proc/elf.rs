//! Loading an ELF64 executable, and the interpreter (dynamic loader) it
//! names, into a new address space (Linux: fs/binfmt_elf.c,
//! load_elf_binary() and load_elf_interp()).
//!
//! As in Linux, exec reads only the first bytes of the file (where the ELF
//! header is) and the program headers ([`parse`]); each PT_LOAD segment is
//! then mapped privately from the page cache ([`load`]), so that every
//! process running a program shares its pages until one writes to them,
//! and an exec costs page-table work rather than a copy of the program.
//!
//! A dynamically linked program names its interpreter in PT_INTERP
//! ([`Elf::interp`]); exec opens that file, checks it with
//! [`parse_interp`] and maps it with [`load_interp`] where mmap would put
//! a mapping of its size (below the mmap base, top down), and starts the
//! new program there; the auxiliary vector tells the interpreter where
//! the program is (AT_PHDR, AT_ENTRY) and where it is itself (AT_BASE).

use alloc::vec;
use alloc::vec::Vec;

use zerocopy::FromBytes;

use crate::abi::*;
use crate::mm::aspace::{AddressSpace, MemCtx};
use crate::mm::consts::{MAP_ANONYMOUS, MAP_FIXED, MAP_PRIVATE, PROT_EXEC, PROT_READ, PROT_WRITE, TASK_SIZE};
use crate::mm::mmap::MapFile;

pub const PAGE: u64 = 4096;
const ELFCLASS64: u8 = 2;
const ET_EXEC: u16 = 2;
const ET_DYN: u16 = 3;
const EM_X86_64: u16 = 62;
const PT_LOAD: u32 = 1;
const PT_INTERP: u32 = 3;
const PT_PHDR: u32 = 6;
/// Linux: PT_GNU_STACK, whose flags say whether the stack is executable.
const PT_GNU_STACK: u32 = 0x6474_e551;
const PF_X: u32 = 1;
const PF_W: u32 = 2;
const PF_R: u32 = 4;
/// Linux: sizeof(struct elf64_hdr) and sizeof(struct elf64_phdr).
const EHDR_SIZE: usize = core::mem::size_of::<Elf64Ehdr>();
const PHDR_SIZE: usize = core::mem::size_of::<Elf64Phdr>();
/// Linux: ELF_MIN_ALIGN, the most program-header bytes load_elf_phdrs()
/// accepts.
const MAX_PHDRS_SIZE: usize = 4096;
/// Where a position-independent program is placed (Linux: ELF_ET_DYN_BASE,
/// 2/3 of TASK_SIZE, page aligned, without randomisation: what Linux does
/// under `setarch -R`, as Tine does not randomise its layout).
const ET_DYN_BASE: u64 = 0x5555_5555_4000;
/// Linux: PATH_MAX, the longest interpreter name PT_INTERP may hold
/// (its NUL included).
const PATH_MAX: u64 = 4096;

/// What the stack builder needs to know about a loaded image.
#[derive(Clone, Copy, Debug)]
pub struct LoadedImage {
    pub entry: u64,
    pub phdr: u64,
    pub phent: u64,
    pub phnum: u64,
    /// End of the highest segment: where the heap (brk) starts.
    pub brk: u64,
    /// PT_GNU_STACK asked for an executable stack.
    pub exec_stack: bool,
}

/// One program header (Linux: struct elf64_phdr, without p_paddr and
/// p_align, which a static program's loader does not use).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Phdr {
    pub p_type: u32,
    pub flags: u32,
    pub offset: u64,
    pub vaddr: u64,
    pub filesz: u64,
    pub memsz: u64,
}

/// A checked executable: its header fields and program headers, all that
/// [`load`] needs besides the file itself.
#[derive(Clone, Debug)]
pub struct Elf {
    /// Position independent (ET_DYN): loaded at [`ET_DYN_BASE`], or where
    /// mmap finds room for an interpreter.
    pie: bool,
    entry: u64,
    phoff: u64,
    phdrs: Vec<Phdr>,
    /// The interpreter named by the first PT_INTERP, without its NUL.
    pub interp: Option<Vec<u8>>,
}

/// Which file [`parse_with`] checks: the program exec was asked to run, or
/// the interpreter it names, for which Linux answers differently.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Program,
    Interp,
}

fn page_down(x: u64) -> u64 {
    x & !(PAGE - 1)
}

fn page_up(x: u64) -> u64 {
    (x + PAGE - 1) & !(PAGE - 1)
}

/// Check the ELF header at the start of `head` (the file's first bytes as
/// exec read them; missing bytes count as zeros, as in Linux's zeroed
/// bprm->buf), read the program headers with `read_at(offset, buf)` and
/// check the segments, without touching memory. ENOEXEC for anything that
/// is not a 64-bit x86_64 executable Tine can run, including a
/// program-header table the file does not hold in full; for a PT_INTERP
/// too short, too long or not NUL-terminated; EIO when the file does not
/// hold the interpreter's name.
/// Linux: the checks of load_elf_binary() and load_elf_phdrs().
///
/// The headers are copied out of the bytes (zerocopy's `read_from_bytes`)
/// rather than referenced in place, so that a table at an odd e_phoff
/// needs no alignment (xmas-elf's zero-copy reads assert it and would
/// panic the kernel instead of failing the exec).
pub fn parse(head: &[u8], file_size: u64, read_at: impl FnMut(u64, &mut [u8]) -> SysResult<usize>) -> SysResult<Elf> {
    parse_with(Role::Program, head, file_size, read_at)
}

/// Check the interpreter a program names, as [`parse`] checks a program
/// but with Linux's answers for an interpreter: ELIBBAD when it is not an
/// x86_64 ELF64 file or its program headers cannot be read (Linux:
/// load_elf_binary()'s checks of interp_elf_ex), EINVAL when it is neither
/// ET_EXEC nor ET_DYN or maps nothing, ENOMEM for a segment that does not
/// fit below TASK_SIZE (Linux: load_elf_interp(), where these come after
/// the point of no return: Tine refuses before it). `head` is the file's
/// first bytes, at least the ELF header: the caller answers EIO for a file
/// shorter than that, as Linux's elf_read().
pub fn parse_interp(
    head: &[u8],
    file_size: u64,
    read_at: impl FnMut(u64, &mut [u8]) -> SysResult<usize>,
) -> SysResult<Elf> {
    parse_with(Role::Interp, head, file_size, read_at)
}

fn parse_with(
    role: Role,
    head: &[u8],
    file_size: u64,
    mut read_at: impl FnMut(u64, &mut [u8]) -> SysResult<usize>,
) -> SysResult<Elf> {
    let interp = role == Role::Interp;
    // Errors that depend on which file this is.
    let (not_elf, bad_type, bad_segment, too_big) =
        if interp { (ELIBBAD, EINVAL, EINVAL, ENOMEM) } else { (ENOEXEC, ENOEXEC, ENOEXEC, ENOEXEC) };
    let mut h = [0u8; EHDR_SIZE];
    let n = head.len().min(EHDR_SIZE);
    h[..n].copy_from_slice(&head[..n]);
    if h[..4] != *b"\x7fELF" {
        return Err(not_elf);
    }
    let eh = Elf64Ehdr::read_from_bytes(&h).map_err(|_| not_elf)?;
    let e_type = eh.e_type;
    // Linux checks a program's type first, an interpreter's architecture
    // first (the type only in load_elf_interp()).
    if !interp && e_type != ET_EXEC && e_type != ET_DYN {
        return Err(bad_type);
    }
    // Linux's x86_64 elf_check_arch() looks at e_machine; the class
    // decides how the rest of the header reads.
    if eh.e_machine != EM_X86_64 || h[4] != ELFCLASS64 {
        return Err(not_elf);
    }
    let (entry, phoff) = (eh.e_entry, eh.e_phoff);
    let (phentsize, phnum) = (eh.e_phentsize as usize, eh.e_phnum as usize);
    let size = phnum * PHDR_SIZE;
    if phentsize != PHDR_SIZE || size == 0 || size > MAX_PHDRS_SIZE {
        return Err(not_elf);
    }
    // Linux: elf_read() of the table; a short read fails the exec.
    let mut raw = vec![0u8; size];
    if read_at(phoff, &mut raw) != Ok(size) {
        return Err(not_elf);
    }
    if interp && e_type != ET_EXEC && e_type != ET_DYN {
        return Err(bad_type);
    }
    let phdrs: Vec<Phdr> = raw
        .chunks_exact(PHDR_SIZE)
        .map(|p| {
            let p = Elf64Phdr::read_from_bytes(p).expect("PHDR_SIZE bytes");
            Phdr {
                p_type: p.p_type,
                flags: p.p_flags,
                offset: p.p_offset,
                vaddr: p.p_vaddr,
                filesz: p.p_filesz,
                memsz: p.p_memsz,
            }
        })
        .collect();
    // Linux: the PT_INTERP loop of load_elf_binary(), which stops at the
    // first one (an interpreter's own PT_INTERP means nothing).
    let interp_name = match phdrs.iter().find(|p| p.p_type == PT_INTERP) {
        Some(p) if !interp => Some(read_interp_name(p, file_size, &mut read_at)?),
        _ => None,
    };
    let mut elf = Elf { pie: e_type == ET_DYN, entry, phoff, phdrs, interp: interp_name };
    if interp && elf.pie {
        // Where mmap puts it is known only at load time: check the
        // segments against the lowest possible bias, 0.
        elf.pie = false;
    }
    let bias = elf.bias();
    let mut loads = 0;
    for p in &elf.phdrs {
        if p.p_type != PT_LOAD || p.memsz == 0 {
            continue;
        }
        // Linux maps what lies beyond the end of the file and lets
        // the access raise SIGBUS; Tine refuses such a file here.
        if p.offset.checked_add(p.filesz).is_none_or(|e| e > file_size) {
            return Err(bad_segment);
        }
        if p.filesz > p.memsz {
            return Err(too_big);
        }
        // elf_map() maps the file from page_down(p_offset) at
        // page_down(p_vaddr), which only works when the two agree
        // within the page. Linux finds out in vm_mmap() (EINVAL
        // for an unaligned offset), after the point of no return,
        // and the caller dies of SIGSEGV; Tine refuses before it.
        if p.vaddr % PAGE != p.offset % PAGE {
            return Err(bad_segment);
        }
        // Linux: the TASK_SIZE checks of load_elf_binary() (there
        // EINVAL after the point of no return, too) and load_elf_interp().
        if p.vaddr.checked_add(bias).and_then(|v| v.checked_add(p.memsz)).is_none_or(|e| page_up(e) > TASK_SIZE) {
            return Err(too_big);
        }
        loads += 1;
    }
    if loads == 0 {
        return Err(bad_type);
    }
    if interp {
        elf.pie = e_type == ET_DYN;
    }
    Ok(elf)
}

/// The interpreter's name from PT_INTERP `p`: ENOEXEC unless it is 2 to
/// PATH_MAX bytes ending in a NUL, EIO when the file does not hold it all.
/// Linux: the PT_INTERP loop of load_elf_binary().
fn read_interp_name(
    p: &Phdr,
    file_size: u64,
    read_at: &mut impl FnMut(u64, &mut [u8]) -> SysResult<usize>,
) -> SysResult<Vec<u8>> {
    if p.filesz > PATH_MAX || p.filesz < 2 {
        return Err(ENOEXEC);
    }
    let mut name = vec![0u8; p.filesz as usize];
    if p.offset.checked_add(p.filesz).is_none_or(|e| e > file_size) || read_at(p.offset, &mut name)? != name.len() {
        return Err(EIO);
    }
    if name.last() != Some(&0) {
        return Err(ENOEXEC);
    }
    // Linux opens it as a C string: up to the first NUL.
    let end = name.iter().position(|&b| b == 0).expect("ends in a NUL");
    name.truncate(end);
    Ok(name)
}

impl Elf {
    /// Linux: load_bias, without randomisation: a position-independent
    /// program goes to ELF_ET_DYN_BASE, less its first segment's page.
    fn bias(&self) -> u64 {
        if self.pie {
            let first = self.loads().next().map_or(0, |p| page_down(p.vaddr));
            ET_DYN_BASE.wrapping_sub(first)
        } else {
            0
        }
    }

    /// Linux: total_mapping_size(): from the first PT_LOAD's page to the
    /// end of the last one, the room an interpreter needs in one piece.
    fn total_size(&self) -> u64 {
        let mut loads = self.loads();
        let first = loads.next().map_or(0, |p| page_down(p.vaddr));
        let last = self.loads().last().map_or(0, |p| p.vaddr + p.memsz);
        page_up(last).saturating_sub(first)
    }

    fn loads(&self) -> impl Iterator<Item = &Phdr> {
        self.phdrs.iter().filter(|p| p.p_type == PT_LOAD && p.memsz > 0)
    }
}

/// Map every PT_LOAD segment of `elf`, the contents of regular file `ino`,
/// into `aspace`. The caller has attached the file to the page cache
/// ([`crate::mm::pagecache::attach`]); the segments map its pages
/// privately, and the address space holds the object until it is released.
/// Linux: the PT_LOAD loop of load_elf_binary().
pub fn load(aspace: &mut AddressSpace, ctx: &mut MemCtx, elf: &Elf, ino: u64) -> SysResult<LoadedImage> {
    let bias = elf.bias();
    let brk = map_segments(aspace, ctx, elf, ino, bias)?;
    let phdr = match elf.phdrs.iter().find(|p| p.p_type == PT_PHDR) {
        Some(p) => p.vaddr + bias,
        None => {
            // The table as the lowest segment maps it.
            let lo = elf.loads().min_by_key(|p| p.vaddr).expect("parse() found a PT_LOAD segment");
            (lo.vaddr + bias).wrapping_sub(lo.offset).wrapping_add(elf.phoff)
        }
    };
    let exec_stack = elf.phdrs.iter().find(|p| p.p_type == PT_GNU_STACK).is_some_and(|p| p.flags & PF_X != 0);
    Ok(LoadedImage {
        entry: elf.entry.wrapping_add(bias),
        phdr,
        phent: PHDR_SIZE as u64,
        phnum: elf.phdrs.len() as u64,
        brk,
        exec_stack,
    })
}

/// Map the interpreter `elf` (checked by [`parse_interp`]), file `ino`,
/// attached to the page cache by the caller. A position-independent one
/// goes where mmap would put a mapping of its whole size (top down from
/// the mmap base, as Linux's first elf_map() with total_size); an ET_EXEC
/// one at its own addresses. Returns its load address, AT_BASE (0 for
/// ET_EXEC, as in Linux), and its entry point.
/// Linux: load_elf_interp().
pub fn load_interp(aspace: &mut AddressSpace, ctx: &mut MemCtx, elf: &Elf, ino: u64) -> SysResult<(u64, u64)> {
    let bias = if elf.pie {
        let first = elf.loads().next().map_or(0, |p| page_down(p.vaddr));
        // Find the room as mmap would, then give it back for the
        // segments to take with MAP_FIXED: the holes between them stay
        // unmapped, as after Linux's vm_munmap() of the rest.
        let size = elf.total_size();
        let at = aspace.mmap(ctx, 0, size, 0, MAP_PRIVATE | MAP_ANONYMOUS)?;
        aspace.munmap(ctx, at, size)?;
        at.wrapping_sub(first)
    } else {
        0
    };
    map_segments(aspace, ctx, elf, ino, bias)?;
    Ok((bias, elf.entry.wrapping_add(bias)))
}

/// Map each PT_LOAD segment of `elf` at its address plus `bias`; returns
/// the end of the highest one.
fn map_segments(aspace: &mut AddressSpace, ctx: &mut MemCtx, elf: &Elf, ino: u64, bias: u64) -> SysResult<u64> {
    let mut end = 0;
    for p in elf.loads() {
        let mut prot = 0;
        if p.flags & PF_R != 0 {
            prot |= PROT_READ;
        }
        if p.flags & PF_W != 0 {
            prot |= PROT_WRITE;
        }
        if p.flags & PF_X != 0 {
            prot |= PROT_EXEC;
        }
        let vaddr = p.vaddr.wrapping_add(bias);
        elf_load(aspace, ctx, ino, p, vaddr, prot)?;
        end = end.max(vaddr + p.memsz);
    }
    Ok(end)
}

/// Map segment `p` at `vaddr`: its file bytes privately from the page
/// cache, the rest (.bss) as anonymous memory.
/// Linux: elf_load() → elf_map(), padzero(), vm_brk_flags().
fn elf_load(aspace: &mut AddressSpace, ctx: &mut MemCtx, ino: u64, p: &Phdr, vaddr: u64, prot: u32) -> SysResult<()> {
    let start = page_down(vaddr);
    let file_end = vaddr + p.filesz;
    let mut zero_start = start;
    if p.filesz > 0 {
        // Like any file mapping, the first page also shows the file's bytes
        // before the segment, and the last those after it.
        // parse() checked that p_offset and p_vaddr agree within the page.
        let pgoff = (p.offset - (vaddr - start)) / PAGE;
        let file = MapFile { writable: false, ..MapFile::file(ino, pgoff) };
        aspace.mmap_file(ctx, start, page_up(file_end) - start, prot, MAP_PRIVATE | MAP_FIXED, &file)?;
        zero_start = file_end;
        // Linux: padzero(). The bytes after p_filesz in the last file page
        // belong to the .bss and must read as zeros: a forced write gives
        // this one page a private copy; the others stay the cache's. Linux
        // zeroes with clear_user(), which fails on a segment without write
        // permission, and ignores that: the file's bytes then stay.
        if p.memsz > p.filesz && prot & PROT_WRITE != 0 && !file_end.is_multiple_of(PAGE) {
            static ZEROS: [u8; PAGE as usize] = [0; PAGE as usize];
            aspace.write_forced(ctx, file_end, &ZEROS[..(PAGE - file_end % PAGE) as usize])?;
        }
    }
    if p.memsz > p.filesz {
        // The rest of the .bss, from the page after the file's bytes: what
        // vm_brk_flags() maps, read-write (executable if the segment is)
        // whatever the segment's own protection.
        let (lo, hi) = (page_up(zero_start), page_up(vaddr + p.memsz));
        if hi > lo {
            let prot = PROT_READ | PROT_WRITE | (prot & PROT_EXEC);
            aspace.mmap(ctx, lo, hi - lo, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED)?;
        }
    }
    Ok(())
}
