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

fn rd32(pa: u64) -> u32 {
    // SAFETY: `pa` lies inside the multiboot information structures, which
    // the loader placed in low RAM, all of which is in the boot direct map.
    unsafe { core::ptr::read_unaligned(phys_to_virt(pa) as *const u32) }
}

fn rd64(pa: u64) -> u64 {
    rd32(pa) as u64 | ((rd32(pa + 4) as u64) << 32)
}

fn cstr(pa: u64) -> String {
    let mut s = String::new();
    let mut p = pa;
    loop {
        // SAFETY: as in `rd32`; the string is NUL-terminated by the loader.
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
pub fn memory_map(info: u64, mut f: impl FnMut(Region)) {
    let flags = rd32(info);
    if flags & (1 << 6) == 0 {
        // Only mem_lower/mem_upper: RAM above 1 MiB.
        let upper_kib = rd32(info + 8) as u64;
        f(Region { start: 0x100000, end: 0x100000 + upper_kib * 1024 });
        return;
    }
    let len = rd32(info + 44) as u64;
    let addr = rd32(info + 48) as u64;
    let mut p = addr;
    while p < addr + len {
        let size = rd32(p) as u64;
        let base = rd64(p + 4);
        let length = rd64(p + 12);
        let kind = rd32(p + 20);
        if kind == 1 {
            f(Region { start: base, end: base + length });
        }
        p += size + 4;
    }
}

pub fn modules(info: u64, mut f: impl FnMut(Region, u64)) {
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

pub fn parse(info: u64) -> Info {
    let mut ram = Vec::new();
    memory_map(info, |r| ram.push(r));
    let mut mods = Vec::new();
    let mut reserved = Vec::new();
    modules(info, |r, name| {
        mods.push(r);
        let _ = name;
    });
    let flags = rd32(info);
    let cmdline = if flags & (1 << 2) != 0 { cstr(rd32(info + 16) as u64) } else { String::new() };
    // The info structure and what it points to sit in the first MiB or just
    // above the modules; keep the page holding it out of the allocator.
    reserved.push(Region { start: info & !0xfff, end: (info & !0xfff) + 0x1000 });
    if flags & (1 << 3) != 0 {
        let a = rd32(info + 24) as u64;
        reserved.push(Region { start: a & !0xfff, end: (a & !0xfff) + 0x1000 });
    }
    Info { ram, modules: mods, cmdline, reserved }
}
