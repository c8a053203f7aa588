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

use tine_core::acpi::{self as parse, Madt, RSDP_LEN, SDT_HEADER_LEN};

use crate::boot::BOOT_DIRECT_MAP_BYTES;
use crate::mem::phys_to_virt;

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

/// The RSDP's address in `[start, end)`.
fn scan_rsdp(start: u64, end: u64) -> Option<u64> {
    parse::find_rsdp(phys_bytes(start, (end - start) as usize)?).map(|off| start + off as u64)
}

/// Linux: acpi_find_root_pointer(): the EBDA's first KiB, then the BIOS
/// read-only area.
fn find_rsdp() -> Option<u64> {
    let segment = phys_bytes(0x40e, 2)?;
    let ebda = (u16::from_le_bytes([segment[0], segment[1]]) as u64) << 4;
    let in_ebda = if (0x80000..0xa0000).contains(&ebda) { scan_rsdp(ebda, ebda + 1024) } else { None };
    in_ebda.or_else(|| scan_rsdp(0xe0000, 0x100000))
}

/// A whole system description table at `pa` with signature `sig`, its
/// checksum good.
fn table(pa: u64, sig: &[u8; 4]) -> Option<&'static [u8]> {
    let len = parse::table_len(phys_bytes(pa, SDT_HEADER_LEN)?, sig)?;
    let t = phys_bytes(pa, len)?;
    parse::checksum_ok(t).then_some(t)
}

/// The MADT, through the XSDT or the RSDT the RSDP names.
fn find_madt() -> Option<&'static [u8]> {
    let (pa, sig, width) = parse::rsdp_root(phys_bytes(find_rsdp()?, RSDP_LEN)?)?.table();
    parse::sdt_entries(table(pa, sig)?, width).find_map(|pa| table(pa, b"APIC"))
}

/// The processors the firmware describes as usable now; None without an
/// MADT (then the boot CPU is the only one).
pub fn madt() -> Option<Madt> {
    find_madt().map(parse::parse_madt)
}
