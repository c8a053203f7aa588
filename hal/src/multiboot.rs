//! Reading the multiboot (v1) information the boot loader left in memory:
//! the memory map, the command line and the modules (our initramfs).

use alloc::string::String;
use alloc::vec::Vec;

use crate::mem::phys_to_virt;

/// A range of physical memory.
#[derive(Clone, Copy, Debug)]
pub struct Region {
    pub start: u64,
    pub end: u64,
}

pub struct Info {
    pub ram: Vec<Region>,
    pub modules: Vec<Region>,
    pub cmdline: String,
    /// Physical ranges the loader used for its own data.
    pub reserved: Vec<Region>,
}

/// The multiboot information structure at a physical address: a token
/// that only the boot path, which got the address from the loader, can
/// make, so that reading it is safe afterwards.
#[derive(Clone, Copy)]
pub struct MbInfo(u64);

impl MbInfo {
    /// # Safety
    /// `pa` is the physical address of the multiboot information the boot
    /// loader passed in `ebx`, and the loader's structures (in low RAM,
    /// inside the boot direct map) are still intact.
    pub unsafe fn from_phys(pa: u64) -> Self {
        MbInfo(pa)
    }
}

/// # Safety
/// `pa` lies inside the multiboot information structures of an [`MbInfo`]
/// (the info itself, the memory map, the module list or the command
/// line it points to).
unsafe fn rd32(pa: u64) -> u32 {
    // SAFETY: per the contract, inside the loader's structures, which lie
    // in low RAM, all of it in the boot direct map.
    unsafe { core::ptr::read_unaligned(phys_to_virt(pa) as *const u32) }
}

/// # Safety
/// As [`rd32`], for 8 bytes.
unsafe fn rd64(pa: u64) -> u64 {
    // SAFETY: the caller's contract covers both halves.
    unsafe { rd32(pa) as u64 | ((rd32(pa + 4) as u64) << 32) }
}

/// # Safety
/// `pa` is a NUL-terminated string of the loader's structures.
unsafe fn cstr(pa: u64) -> String {
    let mut s = String::new();
    let mut p = pa;
    loop {
        // SAFETY: per the contract; the string is NUL-terminated by the loader.
        let b = unsafe { *(phys_to_virt(p) as *const u8) };
        if b == 0 || s.len() > 4096 {
            break;
        }
        s.push(b as char);
        p += 1;
    }
    s
}

/// Parse the information at physical address `info`. Needs the heap, so it
/// is read in two steps by `start`: memory map first (no allocation), then
/// the rest.
pub fn memory_map(info: MbInfo, f: impl FnMut(Region)) {
    // SAFETY: every address read is the token's info structure or the
    // memory map it points to, walked within its stated length.
    unsafe { memory_map_at(info.0, f) }
}

/// # Safety
/// `info` is the address of an [`MbInfo`].
unsafe fn memory_map_at(info: u64, mut f: impl FnMut(Region)) {
    // SAFETY: per the contract (for this and every read below).
    let flags = unsafe { rd32(info) };
    if flags & (1 << 6) == 0 {
        // Only mem_lower/mem_upper: RAM above 1 MiB.
        // SAFETY: a field of the info structure.
        let upper_kib = unsafe { rd32(info + 8) } as u64;
        f(Region { start: 0x100000, end: 0x100000 + upper_kib * 1024 });
        return;
    }
    // SAFETY: fields of the info structure, then entries of the memory
    // map it points to, within its stated length.
    let (len, addr) = unsafe { (rd32(info + 44) as u64, rd32(info + 48) as u64) };
    let mut p = addr;
    while p < addr + len {
        // SAFETY: as above: one entry of the memory map.
        let (size, base, length, kind) = unsafe { (rd32(p) as u64, rd64(p + 4), rd64(p + 12), rd32(p + 20)) };
        if kind == 1 {
            f(Region { start: base, end: base + length });
        }
        p += size + 4;
    }
}

pub fn modules(info: MbInfo, mut f: impl FnMut(Region, u64)) {
    let info = info.0;
    // SAFETY: fields of the token's info structure, then the entries of
    // the module list it points to, `count` of them.
    unsafe {
        let flags = rd32(info);
        if flags & (1 << 3) == 0 {
            return;
        }
        let count = rd32(info + 20) as u64;
        let addr = rd32(info + 24) as u64;
        for i in 0..count {
            let m = addr + i * 16;
            f(Region { start: rd32(m) as u64, end: rd32(m + 4) as u64 }, rd32(m + 8) as u64);
        }
    }
}

pub fn parse(token: MbInfo) -> Info {
    let info = token.0;
    let mut ram = Vec::new();
    memory_map(token, |r| ram.push(r));
    let mut mods = Vec::new();
    let mut reserved = Vec::new();
    modules(token, |r, name| {
        mods.push(r);
        let _ = name;
    });
    // SAFETY: fields of the token's info structure, and the command line
    // it points to when its flag says there is one.
    let flags = unsafe { rd32(info) };
    let cmdline = if flags & (1 << 2) != 0 {
        // SAFETY: the flag says the field points to the command line.
        unsafe { cstr(rd32(info + 16) as u64) }
    } else {
        String::new()
    };
    // The info structure and what it points to sit in the first MiB or just
    // above the modules; keep the page holding it out of the allocator.
    reserved.push(Region { start: info & !0xfff, end: (info & !0xfff) + 0x1000 });
    if flags & (1 << 3) != 0 {
        // SAFETY: a field of the info structure.
        let a = unsafe { rd32(info + 24) } as u64;
        reserved.push(Region { start: a & !0xfff, end: (a & !0xfff) + 0x1000 });
    }
    Info { ram, modules: mods, cmdline, reserved }
}
