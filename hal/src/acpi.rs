//! The CPUs, from ACPI's MADT (Linux: acpi_boot_init(),
//! acpi_parse_madt_lapic_entries(); xv6: mp.c, which reads the older MP
//! table instead).
//!
//! The firmware leaves the RSDP (the root pointer) on a 16-byte boundary
//! in the first KiB of the EBDA or in the BIOS area 0xE0000..0x100000; it
//! names the RSDT (32-bit table addresses) or, from ACPI 2.0, the XSDT
//! (64-bit ones), whose entries include the MADT ("APIC"): the local APIC's
//! address and one entry per processor with its APIC ID and whether it can
//! be used. QEMU's SeaBIOS provides all of these.
//!
//! Read once, at boot, before the frame allocator exists: the tables lie
//! in memory the firmware reserved (or in the low MiB, never given out).

use alloc::vec::Vec;

use crate::boot::BOOT_DIRECT_MAP_BYTES;
use crate::mem::phys_to_virt;

/// What the MADT says about the processors.
#[derive(Clone, Debug)]
pub struct Madt {
    /// Physical address of every CPU's local APIC registers.
    pub lapic_base: u64,
    /// The APIC IDs of the usable processors, in the table's order (the
    /// boot CPU first on every firmware Tine has met, but not promised).
    pub apic_ids: Vec<u32>,
}

/// `len` bytes of physical memory at `pa`, through the direct map; None
/// when they are not all inside it.
fn phys_bytes(pa: u64, len: usize) -> Option<&'static [u8]> {
    let end = pa.checked_add(len as u64)?;
    if pa == 0 || end > BOOT_DIRECT_MAP_BYTES {
        return None;
    }
    // SAFETY: the range lies in the direct map (checked), which maps all
    // of the first 4 GiB; only firmware areas and ACPI tables are read,
    // at boot, and nothing writes them (the frame allocator never has
    // them: the low MiB and the firmware's reserved ranges are kept out).
    Some(unsafe { core::slice::from_raw_parts(phys_to_virt(pa) as *const u8, len) })
}

fn u16_at(b: &[u8], off: usize) -> u16 {
    u16::from_le_bytes([b[off], b[off + 1]])
}

fn u32_at(b: &[u8], off: usize) -> u32 {
    u32::from_le_bytes(b[off..off + 4].try_into().unwrap())
}

fn u64_at(b: &[u8], off: usize) -> u64 {
    u64::from_le_bytes(b[off..off + 8].try_into().unwrap())
}

fn checksum_ok(b: &[u8]) -> bool {
    b.iter().fold(0u8, |a, &x| a.wrapping_add(x)) == 0
}

/// The RSDP in `[start, end)`: its signature on a 16-byte boundary and
/// its first 20 bytes summing to 0.
fn scan_rsdp(start: u64, end: u64) -> Option<u64> {
    let area = phys_bytes(start, (end - start) as usize)?;
    (0..area.len().saturating_sub(20))
        .step_by(16)
        .find(|&i| &area[i..i + 8] == b"RSD PTR " && checksum_ok(&area[i..i + 20]))
        .map(|i| start + i as u64)
}

/// Linux: acpi_find_root_pointer(): the EBDA's first KiB, then the BIOS
/// read-only area.
fn find_rsdp() -> Option<u64> {
    let ebda = (u16_at(phys_bytes(0x40e, 2)?, 0) as u64) << 4;
    let in_ebda = if (0x80000..0xa0000).contains(&ebda) { scan_rsdp(ebda, ebda + 1024) } else { None };
    in_ebda.or_else(|| scan_rsdp(0xe0000, 0x100000))
}

/// A whole system description table at `pa` with signature `sig`, its
/// checksum good.
fn table(pa: u64, sig: &[u8; 4]) -> Option<&'static [u8]> {
    let header = phys_bytes(pa, 36)?;
    let len = u32_at(header, 4) as usize;
    if &header[0..4] != sig || !(36..=1 << 20).contains(&len) {
        return None;
    }
    let t = phys_bytes(pa, len)?;
    checksum_ok(t).then_some(t)
}

/// The MADT, through the XSDT when the RSDP (revision 2 and later) names
/// one, else through the RSDT.
fn find_madt() -> Option<&'static [u8]> {
    let rsdp_pa = find_rsdp()?;
    let rsdp = phys_bytes(rsdp_pa, 36)?;
    let (entries, width) = match rsdp[15] {
        r if r >= 2 && u64_at(rsdp, 24) != 0 => (table(u64_at(rsdp, 24), b"XSDT")?, 8),
        _ => (table(u32_at(rsdp, 16) as u64, b"RSDT")?, 4),
    };
    entries[36..].chunks_exact(width).find_map(|e| {
        let pa = if width == 8 { u64_at(e, 0) } else { u32_at(e, 0) as u64 };
        table(pa, b"APIC")
    })
}

/// The processors the firmware describes as usable now (an entry that is
/// only online-capable is a CPU that may be hot-added later, which Tine
/// does not do); None without an MADT (then the boot CPU is the only one).
pub fn madt() -> Option<Madt> {
    const LOCAL_APIC: u8 = 0;
    const LAPIC_ADDRESS_OVERRIDE: u8 = 5;
    const LOCAL_X2APIC: u8 = 9;
    const ENABLED: u32 = 1;
    let t = find_madt()?;
    let mut m = Madt { lapic_base: u32_at(t, 36) as u64, apic_ids: Vec::new() };
    let mut at = 44;
    while at + 2 <= t.len() {
        let (kind, len) = (t[at], t[at + 1] as usize);
        if len < 2 || at + len > t.len() {
            break;
        }
        let e = &t[at..at + len];
        match kind {
            LOCAL_APIC if len >= 8 && u32_at(e, 4) & ENABLED != 0 => m.apic_ids.push(e[3] as u32),
            LOCAL_X2APIC if len >= 16 && u32_at(e, 8) & ENABLED != 0 => m.apic_ids.push(u32_at(e, 4)),
            LAPIC_ADDRESS_OVERRIDE if len >= 12 => m.lapic_base = u64_at(e, 4),
            _ => {}
        }
        at += len;
    }
    Some(m)
}
