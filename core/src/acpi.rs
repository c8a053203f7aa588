//! The few ACPI tables the kernel reads to find the CPUs, parsed from
//! bytes: the RSDP, the RSDT/XSDT and the MADT (Linux:
//! drivers/acpi/tables.c, arch/x86/kernel/acpi/boot.c
//! acpi_parse_lapic()/acpi_parse_x2apic()). `tine-hal` reads the bytes
//! from physical memory and hands them here, so that the parsing is
//! tested on the host.

use alloc::vec::Vec;

/// The length of a system description table's header.
pub const SDT_HEADER_LEN: usize = 36;
/// The length of an ACPI 2.0 RSDP (revision 0's is the first 20 bytes).
pub const RSDP_LEN: usize = 36;

/// What the MADT says about the processors.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Madt {
    /// Physical address of every CPU's local APIC registers.
    pub lapic_base: u64,
    /// The APIC IDs of the processors usable now, in the table's order.
    pub apic_ids: Vec<u32>,
}

/// Where the RSDP points to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Root {
    /// The XSDT: 64-bit table addresses (ACPI 2.0 and later).
    Xsdt(u64),
    /// The RSDT: 32-bit ones.
    Rsdt(u64),
}

impl Root {
    /// The table's address, signature and entry width.
    pub fn table(self) -> (u64, &'static [u8; 4], usize) {
        match self {
            Root::Xsdt(pa) => (pa, b"XSDT", 8),
            Root::Rsdt(pa) => (pa, b"RSDT", 4),
        }
    }
}

fn u32_at(b: &[u8], off: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(off..off + 4)?.try_into().ok()?))
}

fn u64_at(b: &[u8], off: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(off..off + 8)?.try_into().ok()?))
}

/// Whether the bytes sum to 0 (mod 256), as every ACPI table's do.
pub fn checksum_ok(b: &[u8]) -> bool {
    b.iter().fold(0u8, |a, &x| a.wrapping_add(x)) == 0
}

/// The offset in `area` of an RSDP: its signature on a 16-byte boundary
/// and its first 20 bytes summing to 0 (Linux: acpi_tb_scan_memory_for_rsdp()).
pub fn find_rsdp(area: &[u8]) -> Option<usize> {
    (0..area.len().saturating_sub(19))
        .step_by(16)
        .find(|&i| area.get(i..i + 8) == Some(b"RSD PTR ") && checksum_ok(&area[i..i + 20]))
}

/// The root table an RSDP names: the XSDT when its revision (2 and later)
/// has one, else the RSDT (Linux: acpi_tb_parse_root_table()).
pub fn rsdp_root(rsdp: &[u8]) -> Option<Root> {
    let revision = *rsdp.get(15)?;
    match u64_at(rsdp, 24) {
        Some(x) if revision >= 2 && x != 0 && checksum_ok(rsdp.get(..RSDP_LEN)?) => Some(Root::Xsdt(x)),
        _ => Some(Root::Rsdt(u32_at(rsdp, 16)? as u64)),
    }
}

/// A table's length from its header, if the signature is `sig` and the
/// length at least a header's (and at most 1 MiB: nothing bigger is
/// plausible, and the caller maps what this says).
pub fn table_len(header: &[u8], sig: &[u8; 4]) -> Option<usize> {
    let len = u32_at(header, 4)? as usize;
    (header.get(..4)? == sig && (SDT_HEADER_LEN..=1 << 20).contains(&len)).then_some(len)
}

/// The table addresses in a whole RSDT (`width` 4) or XSDT (8).
pub fn sdt_entries(table: &[u8], width: usize) -> impl Iterator<Item = u64> + '_ {
    table.get(SDT_HEADER_LEN..).unwrap_or(&[]).chunks_exact(width).map(move |e| {
        if width == 8 {
            u64::from_le_bytes(e.try_into().unwrap())
        } else {
            u32::from_le_bytes(e.try_into().unwrap()) as u64
        }
    })
}

/// The processors of a whole MADT, usable now: entries marked enabled.
/// One marked only "online capable" is a CPU that may be added later,
/// which Tine does not do (Linux boots only enabled ones too). A
/// malformed entry (length under 2, or past the table) ends the list.
pub fn parse_madt(t: &[u8]) -> Madt {
    const LOCAL_APIC: u8 = 0;
    const LAPIC_ADDRESS_OVERRIDE: u8 = 5;
    const LOCAL_X2APIC: u8 = 9;
    const ENABLED: u32 = 1;
    let mut m = Madt { lapic_base: u32_at(t, 36).unwrap_or(0) as u64, apic_ids: Vec::new() };
    let mut at = 44;
    while at + 2 <= t.len() {
        let (kind, len) = (t[at], t[at + 1] as usize);
        if len < 2 || at + len > t.len() {
            break;
        }
        let e = &t[at..at + len];
        match kind {
            LOCAL_APIC if len >= 8 && u32_at(e, 4).unwrap() & ENABLED != 0 => m.apic_ids.push(e[3] as u32),
            LOCAL_X2APIC if len >= 16 && u32_at(e, 8).unwrap() & ENABLED != 0 => m.apic_ids.push(u32_at(e, 4).unwrap()),
            LAPIC_ADDRESS_OVERRIDE if len >= 12 => m.lapic_base = u64_at(e, 4).unwrap(),
            _ => {}
        }
        at += len;
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    /// A table with signature `sig`, the body `body` after the header,
    /// and its checksum fixed.
    fn table(sig: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut t = vec![0u8; SDT_HEADER_LEN];
        t[..4].copy_from_slice(sig);
        t.extend_from_slice(body);
        let len = t.len() as u32;
        t[4..8].copy_from_slice(&len.to_le_bytes());
        let sum = t.iter().fold(0u8, |a, &x| a.wrapping_add(x));
        t[9] = 0u8.wrapping_sub(sum);
        t
    }

    fn lapic(acpi_id: u8, apic_id: u8, flags: u32) -> Vec<u8> {
        let mut e = vec![0, 8, acpi_id, apic_id];
        e.extend_from_slice(&flags.to_le_bytes());
        e
    }

    fn madt_body(entries: &[Vec<u8>]) -> Vec<u8> {
        let mut b = 0xfee0_0000u32.to_le_bytes().to_vec();
        b.extend_from_slice(&1u32.to_le_bytes()); // PCAT_COMPAT
        for e in entries {
            b.extend_from_slice(e);
        }
        b
    }

    #[test]
    fn madt_lists_the_enabled_cpus_in_order() {
        let t = table(b"APIC", &madt_body(&[lapic(0, 0, 1), lapic(1, 2, 1), lapic(2, 4, 0), lapic(3, 6, 2)]));
        assert!(checksum_ok(&t));
        let m = parse_madt(&t);
        assert_eq!(m, Madt { lapic_base: 0xfee0_0000, apic_ids: vec![0, 2] });
    }

    #[test]
    fn madt_x2apic_entries_and_the_address_override() {
        let mut x2 = vec![9, 16, 0, 0];
        x2.extend_from_slice(&300u32.to_le_bytes());
        x2.extend_from_slice(&1u32.to_le_bytes());
        x2.extend_from_slice(&7u32.to_le_bytes());
        let mut ovr = vec![5, 12, 0, 0];
        ovr.extend_from_slice(&0x1_0000_0000u64.to_le_bytes());
        let t = table(b"APIC", &madt_body(&[lapic(0, 1, 1), x2, ovr]));
        assert_eq!(parse_madt(&t), Madt { lapic_base: 0x1_0000_0000, apic_ids: vec![1, 300] });
    }

    #[test]
    fn madt_stops_at_a_malformed_entry() {
        // A zero length would loop for ever; one past the end would read
        // beyond the table.
        for bad in [vec![0u8, 0, 0, 0], vec![0u8, 200, 0, 0]] {
            let t = table(b"APIC", &madt_body(&[lapic(0, 3, 1), bad, lapic(1, 5, 1)]));
            assert_eq!(parse_madt(&t).apic_ids, vec![3]);
        }
        assert_eq!(parse_madt(&[0u8; 10]).apic_ids, Vec::<u32>::new());
    }

    #[test]
    fn rsdp_found_on_a_paragraph_with_a_good_checksum() {
        let mut rsdp = vec![0u8; RSDP_LEN];
        rsdp[..8].copy_from_slice(b"RSD PTR ");
        rsdp[16..20].copy_from_slice(&0x3ffe_0000u32.to_le_bytes());
        let sum = rsdp[..20].iter().fold(0u8, |a, &x| a.wrapping_add(x));
        rsdp[8] = 0u8.wrapping_sub(sum);
        let mut area = vec![0u8; 256];
        // Off a 16-byte boundary: not looked at.
        area[40..40 + RSDP_LEN].copy_from_slice(&rsdp);
        assert_eq!(find_rsdp(&area), None);
        area[96..96 + RSDP_LEN].copy_from_slice(&rsdp);
        assert_eq!(find_rsdp(&area), Some(96));
        assert_eq!(rsdp_root(&area[96..]), Some(Root::Rsdt(0x3ffe_0000)));
        // A bad checksum is not an RSDP.
        area[96 + 9] ^= 1;
        assert_eq!(find_rsdp(&area), None);
    }

    #[test]
    fn rsdp_revision_2_names_the_xsdt() {
        let mut rsdp = vec![0u8; RSDP_LEN];
        rsdp[..8].copy_from_slice(b"RSD PTR ");
        rsdp[15] = 2;
        rsdp[16..20].copy_from_slice(&0x1000u32.to_le_bytes());
        rsdp[24..32].copy_from_slice(&0x2000u64.to_le_bytes());
        let sum = rsdp.iter().fold(0u8, |a, &x| a.wrapping_add(x));
        rsdp[32] = 0u8.wrapping_sub(sum);
        assert_eq!(rsdp_root(&rsdp), Some(Root::Xsdt(0x2000)));
        // Its extended checksum wrong: the RSDT, as revision 0.
        rsdp[33] = 1;
        assert_eq!(rsdp_root(&rsdp), Some(Root::Rsdt(0x1000)));
    }

    #[test]
    fn root_tables_entries_by_width() {
        let mut body = 0x1234u32.to_le_bytes().to_vec();
        body.extend_from_slice(&0x5678u32.to_le_bytes());
        let rsdt = table(b"RSDT", &body);
        assert_eq!(table_len(&rsdt, b"RSDT"), Some(rsdt.len()));
        assert_eq!(table_len(&rsdt, b"XSDT"), None);
        assert_eq!(sdt_entries(&rsdt, 4).collect::<Vec<_>>(), vec![0x1234, 0x5678]);
        let xsdt = table(b"XSDT", &0xdead_beef_0000u64.to_le_bytes());
        assert_eq!(sdt_entries(&xsdt, 8).collect::<Vec<_>>(), vec![0xdead_beef_0000]);
        let mut short = rsdt.clone();
        short[4..8].copy_from_slice(&10u32.to_le_bytes());
        assert_eq!(table_len(&short, b"RSDT"), None);
    }
}
