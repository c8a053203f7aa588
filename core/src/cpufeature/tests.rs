use alloc::string::String;
use alloc::vec::Vec;

use super::*;

/// A CPU answering from a table of (leaf, subleaf, [eax, ebx, ecx, edx]),
/// zeros elsewhere.
fn cpu(table: &'static [(u32, u32, [u32; 4])]) -> impl Fn(u32, u32) -> [u32; 4] {
    move |leaf, sub| table.iter().find(|e| e.0 == leaf && e.1 == sub).map_or([0; 4], |e| e.2)
}

fn flags(c: &CpuCaps) -> String {
    c.flags().collect::<Vec<_>>().join(" ")
}

const GENUINE_INTEL: [u32; 3] = [0x756e_6547, 0x6c65_746e, 0x4965_6e69]; // ebx, ecx, edx

/// An Intel family 6 CPU with SSE to AVX2, XSAVE, SMEP, FSGSBASE, PKU
/// and LA57.
const INTEL: &[(u32, u32, [u32; 4])] = &[
    (0, 0, [0xd, GENUINE_INTEL[0], GENUINE_INTEL[1], GENUINE_INTEL[2]]),
    // family 6 model 0x55; ECX: sse3 ssse3 fma sse4_1 sse4_2 x2apic xsave osxsave avx; EDX: fpu vme fxsr sse sse2
    (
        1,
        0,
        [
            0x0005_0654,
            0,
            1 | 1 << 9 | 1 << 12 | 1 << 19 | 1 << 20 | 1 << 21 | 1 << 26 | 1 << 27 | 1 << 28,
            1 | 2 | 1 << 24 | 1 << 25 | 1 << 26,
        ],
    ),
    // EBX: fsgsbase avx2 smep; ECX: pku ospke la57
    (7, 0, [0, 1 | 1 << 5 | 1 << 7, 1 << 3 | 1 << 4 | 1 << 16, 0]),
    (0xd, 1, [1, 0, 0, 0]), // xsaveopt
    (0x8000_0000, 0, [0x8000_0008, 0, 0, 0]),
    (0x8000_0001, 0, [0, 0, 1, 1 << 11 | 1 << 20 | 1 << 29]), // lahf_lm; syscall nx lm
    (0x8000_0007, 0, [0, 0, 0, 1 << 8]),                      // invariant TSC
];

#[test]
fn intel_with_xsave_on() {
    let c = CpuCaps::probe(&cpu(INTEL), 0b111);
    // vme, fsgsbase, smep, ospke, la57 and x2apic are left off (pku
    // stays, as under Linux's nopku); osxsave is never listed; the
    // synthesised bits are in word 3's place.
    assert_eq!(
        flags(&c),
        "fpu fxsr sse sse2 syscall nx lm constant_tsc rep_good nopl nonstop_tsc cpuid pni ssse3 fma sse4_1 sse4_2 \
         xsave avx lahf_lm avx2 xsaveopt pku"
    );
    assert!(c.has(OSXSAVE));
    assert_eq!(c.hwcap(), 1 | 1 << 24 | 1 << 25 | 1 << 26);
}

#[test]
fn xsave_off_takes_what_needs_it() {
    // XCR0 = 0: the boot code did not turn XSAVE on (noxsave).
    let c = CpuCaps::probe(&cpu(INTEL), 0);
    let f = flags(&c);
    for gone in ["xsave", "avx", "avx2", "fma", "xsaveopt"] {
        assert!(!f.split(' ').any(|w| w == gone), "{gone} in {f}");
    }
    assert!(f.contains(" sse4_2 "), "{f}");
}

#[test]
fn xstate_not_in_xcr0_takes_the_feature() {
    // XCR0 without AVX (bit 2): avx and what needs it go.
    let c = CpuCaps::probe(&cpu(INTEL), 0b11);
    let f = flags(&c);
    assert!(f.contains(" xsave ") && !f.contains("avx") && !f.contains("fma"), "{f}");
}

const AUTHENTIC_AMD: [u32; 3] = [0x6874_7541, 0x444d_4163, 0x6974_6e65];

const AMD_K8: &[(u32, u32, [u32; 4])] = &[
    (0, 0, [1, AUTHENTIC_AMD[0], AUTHENTIC_AMD[1], AUTHENTIC_AMD[2]]),
    // family 0xf model 0x6b stepping 1; EDX: fpu apic pbe(bit 31)
    (1, 0, [0x0006_0fb1, 0, 0, 1 | 1 << 9 | 1 << 31]),
    (0x8000_0000, 0, [0x8000_0001, 0, 0, 0]),
    (0x8000_0001, 0, [0, 0, 0, 1 << 29]), // lm
];

#[test]
fn amd_synthesised_bits() {
    let c = CpuCaps::probe(&cpu(AMD_K8), 0);
    assert_eq!(flags(&c), "fpu apic lm rep_good nopl cpuid extd_apicid 3dnowprefetch vmmcall");
}

#[test]
fn clearing_follows_the_dependencies() {
    let mut c = CpuCaps::probe(&cpu(INTEL), 0b111);
    c.clear(FXSR);
    let f = flags(&c);
    assert_eq!(f.split(' ').take(1).collect::<String>(), "fpu");
    for gone in ["fxsr", "sse", "sse2", "pni", "xsave", "avx", "avx2", "fma"] {
        assert!(!f.split(' ').any(|w| w == gone), "{gone} in {f}");
    }
}
