//! Loading a static ELF64 executable into a new address space
//! (Linux: fs/binfmt_elf.c, load_elf_binary(), for programs without an
//! interpreter: ET_EXEC, and static-pie ET_DYN).

use alloc::vec::Vec;

use xmas_elf::header::{Class, Machine, Type as ElfType};
use xmas_elf::program::{ProgramHeader, Type as PhType};
use xmas_elf::ElfFile;

use crate::abi::*;
use crate::mm::aspace::{AddressSpace, MemCtx};
use crate::mm::consts::{MAP_ANONYMOUS, MAP_FIXED, MAP_PRIVATE, PROT_EXEC, PROT_READ, PROT_WRITE};

pub const PAGE: u64 = 4096;
/// Linux: PT_GNU_STACK, whose flags say whether the stack is executable.
const PT_GNU_STACK: u32 = 0x6474_e551;
/// Where a static-pie program is placed (Linux: ELF_ET_DYN_BASE, 2/3 of
/// TASK_SIZE, page aligned, without randomisation).
const ET_DYN_BASE: u64 = 0x5555_5555_4000;

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

fn page_down(x: u64) -> u64 {
    x & !(PAGE - 1)
}

fn page_up(x: u64) -> u64 {
    (x + PAGE - 1) & !(PAGE - 1)
}

/// Check the headers without touching memory: ENOEXEC for anything that is
/// not a 64-bit little-endian x86_64 static executable we can run.
pub fn check(image: &[u8]) -> SysResult<ElfFile<'_>> {
    if image.len() < 64 || &image[..4] != b"\x7fELF" {
        return Err(ENOEXEC);
    }
    let elf = ElfFile::new(image).map_err(|_| ENOEXEC)?;
    let h = &elf.header;
    if h.pt1.class() != Class::SixtyFour || h.pt2.machine().as_machine() != Machine::X86_64 {
        return Err(ENOEXEC);
    }
    match h.pt2.type_().as_type() {
        ElfType::Executable | ElfType::SharedObject => {}
        _ => return Err(ENOEXEC),
    }
    // Linux rejects a program header table that does not fit (and xmas-elf
    // would index past the end on one).
    let phoff = h.pt2.ph_offset();
    let phent = h.pt2.ph_entry_size() as u64;
    let phnum = h.pt2.ph_count() as u64;
    if phent != 56 || phnum == 0 || phnum > 65536 / 56 || phoff.checked_add(phent * phnum).is_none_or(|e| e > image.len() as u64) {
        return Err(ENOEXEC);
    }
    for ph in elf.program_iter() {
        if let ProgramHeader::Ph64(p) = ph {
            if p.get_type() == Ok(PhType::Interp) {
                // A dynamically linked program: Tine has no dynamic loader.
                return Err(ENOEXEC);
            }
            if p.get_type() == Ok(PhType::Load)
                && (p.offset.checked_add(p.file_size).is_none_or(|e| e > image.len() as u64)
                    || p.file_size > p.mem_size
                    || (p.virtual_addr % PAGE) != (p.offset % PAGE))
            {
                return Err(ENOEXEC);
            }
        }
    }
    Ok(elf)
}

/// Map every PT_LOAD segment of `image` into `aspace` (Linux:
/// elf_load()/elf_map() and padzero for the .bss).
pub fn load(aspace: &mut AddressSpace, ctx: &mut MemCtx, image: &[u8]) -> SysResult<LoadedImage> {
    let elf = check(image)?;
    let h = &elf.header;
    let bias = if h.pt2.type_().as_type() == ElfType::SharedObject { ET_DYN_BASE } else { 0 };
    let mut phdr = None;
    let mut first_load: Option<(u64, u64)> = None; // (vaddr, offset) of the lowest segment
    let mut brk = 0;
    let mut exec_stack = false;

    let mut segs: Vec<(u64, u64, u64, u64, u64)> = Vec::new(); // vaddr, memsz, offset, filesz, prot
    for ph in elf.program_iter() {
        let ProgramHeader::Ph64(p) = ph else { return Err(ENOEXEC) };
        match p.get_type() {
            Ok(PhType::Load) if p.mem_size > 0 => {
                let mut prot = 0;
                if p.flags.is_read() {
                    prot |= PROT_READ;
                }
                if p.flags.is_write() {
                    prot |= PROT_WRITE;
                }
                if p.flags.is_execute() {
                    prot |= PROT_EXEC;
                }
                segs.push((p.virtual_addr + bias, p.mem_size, p.offset, p.file_size, prot as u64));
                if first_load.is_none_or(|(v, _)| p.virtual_addr + bias < v) {
                    first_load = Some((p.virtual_addr + bias, p.offset));
                }
            }
            Ok(PhType::Phdr) => phdr = Some(p.virtual_addr + bias),
            Ok(PhType::OsSpecific(PT_GNU_STACK)) => exec_stack = p.flags.is_execute(),
            _ => {}
        }
    }
    if segs.is_empty() {
        return Err(ENOEXEC);
    }
    for &(vaddr, memsz, offset, filesz, prot) in &segs {
        let start = page_down(vaddr);
        let end = page_up(vaddr.checked_add(memsz).ok_or(ENOEXEC)?);
        if end > crate::mm::consts::TASK_SIZE {
            return Err(ENOEXEC);
        }
        aspace.mmap(ctx, start, end - start, prot as u32, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED)?;
        // Like a file mapping, the first page also shows the file's bytes
        // before the segment's start; the .bss part stays zero.
        let file_start = offset - (vaddr - start);
        let file_end = offset + filesz;
        if file_end > file_start {
            aspace.write_forced(ctx, start, &image[file_start as usize..file_end as usize])?;
        }
        brk = brk.max(vaddr + memsz);
    }
    let (lo_vaddr, lo_off) = first_load.expect("a PT_LOAD segment");
    let phdr = phdr.unwrap_or(lo_vaddr - lo_off + h.pt2.ph_offset());
    Ok(LoadedImage {
        entry: h.pt2.entry_point() + bias,
        phdr,
        phent: 56,
        phnum: h.pt2.ph_count() as u64,
        brk,
        exec_stack,
    })
}
