//! CPU capabilities as Linux keeps them: words of feature bits, most of
//! them CPUID registers copied as they are, some filled by the kernel
//! itself, minus what the kernel does not turn on; /proc/cpuinfo's
//! `flags` names the bits that are left (Linux: `x86_capability` of
//! `struct cpuinfo_x86`, filled by get_cpu_cap(),
//! init_scattered_cpuid_features(), early_init_amd()/init_amd(),
//! early_init_intel()/init_intel(), init_speculation_control(), and
//! cleared by the DISABLED_MASK words and do_clear_cpu_cap()).
//!
//! hal reads CPUID (the [`Cpuid`] it passes) and says which XSAVE
//! features it enabled; everything else is decided here, so the host
//! tests run it on made-up CPUs.

mod names;
#[cfg(test)]
mod tests;

use names::NAMES;

/// Words of capability bits (Linux: NCAPINTS of 6.1).
pub const NCAPINTS: usize = 22;

/// One capability bit: `word * 32 + bit` (Linux: `X86_FEATURE_*`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Feature(u16);

const fn f(word: u16, bit: u16) -> Feature {
    Feature(word * 32 + bit)
}

/// The bits this module sets or clears by name.
pub mod feat {
    use super::{f, Feature};
    pub const FPU: Feature = f(0, 0);
    pub const VME: Feature = f(0, 1);
    pub const APIC: Feature = f(0, 9);
    pub const CMOV: Feature = f(0, 15);
    pub const MMX: Feature = f(0, 23);
    pub const FXSR: Feature = f(0, 24);
    pub const XMM: Feature = f(0, 25);
    pub const XMM2: Feature = f(0, 26);
    pub const PBE: Feature = f(0, 31);
    pub const MMXEXT: Feature = f(1, 22);
    pub const FXSR_OPT: Feature = f(1, 25);
    pub const LM: Feature = f(1, 29);
    pub const THREEDNOW: Feature = f(1, 31);
    pub const K6_MTRR: Feature = f(3, 1);
    pub const CYRIX_ARR: Feature = f(3, 2);
    pub const CENTAUR_MCR: Feature = f(3, 3);
    pub const CONSTANT_TSC: Feature = f(3, 8);
    pub const ARCH_PERFMON: Feature = f(3, 11);
    pub const REP_GOOD: Feature = f(3, 16);
    pub const ACC_POWER: Feature = f(3, 19);
    pub const NOPL: Feature = f(3, 20);
    pub const XTOPOLOGY: Feature = f(3, 22);
    pub const NONSTOP_TSC: Feature = f(3, 24);
    pub const CPUID: Feature = f(3, 25);
    pub const EXTD_APICID: Feature = f(3, 26);
    pub const RAPL: Feature = f(3, 29);
    pub const XMM3: Feature = f(4, 0);
    pub const PCLMULQDQ: Feature = f(4, 1);
    pub const SSSE3: Feature = f(4, 9);
    pub const FMA: Feature = f(4, 12);
    pub const XMM4_1: Feature = f(4, 19);
    pub const XMM4_2: Feature = f(4, 20);
    pub const X2APIC: Feature = f(4, 21);
    pub const AES: Feature = f(4, 25);
    pub const XSAVE: Feature = f(4, 26);
    pub const OSXSAVE: Feature = f(4, 27);
    pub const AVX: Feature = f(4, 28);
    pub const F16C: Feature = f(4, 29);
    pub const THREEDNOWPREFETCH: Feature = f(6, 8);
    pub const TOPOEXT: Feature = f(6, 22);
    pub const PTI: Feature = f(7, 11);
    pub const SSBD: Feature = f(7, 17);
    pub const IBRS: Feature = f(7, 25);
    pub const IBPB: Feature = f(7, 26);
    pub const STIBP: Feature = f(7, 27);
    pub const MSR_SPEC_CTRL: Feature = f(7, 16);
    pub const VMMCALL: Feature = f(8, 15);
    pub const TDX_GUEST: Feature = f(8, 22);
    pub const FSGSBASE: Feature = f(9, 0);
    pub const SGX: Feature = f(9, 2);
    pub const AVX2: Feature = f(9, 5);
    pub const SMEP: Feature = f(9, 7);
    pub const MPX: Feature = f(9, 14);
    pub const AVX512F: Feature = f(9, 16);
    pub const AVX512DQ: Feature = f(9, 17);
    pub const SMAP: Feature = f(9, 20);
    pub const AVX512IFMA: Feature = f(9, 21);
    pub const AVX512PF: Feature = f(9, 26);
    pub const AVX512ER: Feature = f(9, 27);
    pub const AVX512CD: Feature = f(9, 28);
    pub const SHA_NI: Feature = f(9, 29);
    pub const AVX512BW: Feature = f(9, 30);
    pub const AVX512VL: Feature = f(9, 31);
    pub const XSAVEOPT: Feature = f(10, 0);
    pub const XSAVEC: Feature = f(10, 1);
    pub const XGETBV1: Feature = f(10, 2);
    pub const XSAVES: Feature = f(10, 3);
    pub const XFD: Feature = f(10, 4);
    pub const AVX512_BF16: Feature = f(12, 5);
    pub const AMD_IBPB: Feature = f(13, 12);
    pub const AMD_IBRS: Feature = f(13, 14);
    pub const AMD_STIBP: Feature = f(13, 15);
    pub const AMD_SSBD: Feature = f(13, 24);
    pub const VIRT_SSBD: Feature = f(13, 25);
    pub const ARAT: Feature = f(14, 2);
    pub const AVX512VBMI: Feature = f(16, 1);
    pub const PKU: Feature = f(16, 3);
    pub const OSPKE: Feature = f(16, 4);
    pub const AVX512_VBMI2: Feature = f(16, 6);
    pub const GFNI: Feature = f(16, 8);
    pub const VAES: Feature = f(16, 9);
    pub const VPCLMULQDQ: Feature = f(16, 10);
    pub const AVX512_VNNI: Feature = f(16, 11);
    pub const AVX512_BITALG: Feature = f(16, 12);
    pub const AVX512_VPOPCNTDQ: Feature = f(16, 14);
    pub const LA57: Feature = f(16, 16);
    pub const ENQCMD: Feature = f(16, 29);
    pub const AVX512_4VNNIW: Feature = f(18, 2);
    pub const AVX512_4FMAPS: Feature = f(18, 3);
    pub const AVX512_VP2INTERSECT: Feature = f(18, 8);
    pub const AMX_BF16: Feature = f(18, 22);
    pub const AVX512_FP16: Feature = f(18, 23);
    pub const AMX_TILE: Feature = f(18, 24);
    pub const AMX_INT8: Feature = f(18, 25);
    pub const SPEC_CTRL: Feature = f(18, 26);
    pub const INTEL_STIBP: Feature = f(18, 27);
    pub const SPEC_CTRL_SSBD: Feature = f(18, 31);
    pub const SME: Feature = f(19, 0);
    pub const SEV: Feature = f(19, 1);
    pub const SEV_ES: Feature = f(19, 3);
}
use feat::*;

/// CPUID as hal reads it: `(leaf, subleaf) -> [eax, ebx, ecx, edx]`.
pub trait Cpuid {
    fn cpuid(&self, leaf: u32, subleaf: u32) -> [u32; 4];
}

impl<F: Fn(u32, u32) -> [u32; 4]> Cpuid for F {
    fn cpuid(&self, leaf: u32, subleaf: u32) -> [u32; 4] {
        self(leaf, subleaf)
    }
}

const EAX: usize = 0;
const EBX: usize = 1;
const ECX: usize = 2;
const EDX: usize = 3;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Vendor {
    Intel,
    Amd,
    Hygon,
    Other,
}

/// A feature needs another: clearing the second clears the first (Linux:
/// cpuid_deps[] in arch/x86/kernel/cpu/cpuid-deps.c, the entries whose
/// bits this module knows).
const DEPS: &[(Feature, Feature)] = &[
    (FXSR, FPU),
    (XSAVEOPT, XSAVE),
    (XSAVEC, XSAVE),
    (XSAVES, XSAVE),
    (AVX, XSAVE),
    (PKU, XSAVE),
    (MPX, XSAVE),
    (XGETBV1, XSAVE),
    (CMOV, FXSR),
    (MMX, FXSR),
    (MMXEXT, MMX),
    (FXSR_OPT, FXSR),
    (XSAVE, FXSR),
    (XMM, FXSR),
    (XMM2, XMM),
    (XMM3, XMM2),
    (XMM4_1, XMM2),
    (XMM4_2, XMM2),
    (PCLMULQDQ, XMM2),
    (SSSE3, XMM2),
    (F16C, XMM2),
    (AES, XMM2),
    (SHA_NI, XMM2),
    (GFNI, XMM2),
    (FMA, AVX),
    (VAES, AVX),
    (VPCLMULQDQ, AVX),
    (AVX2, AVX),
    (AVX512F, AVX),
    (AVX512IFMA, AVX512F),
    (AVX512PF, AVX512F),
    (AVX512ER, AVX512F),
    (AVX512CD, AVX512F),
    (AVX512DQ, AVX512F),
    (AVX512BW, AVX512F),
    (AVX512VL, AVX512F),
    (AVX512VBMI, AVX512F),
    (AVX512_VBMI2, AVX512VL),
    (AVX512_VNNI, AVX512VL),
    (AVX512_BITALG, AVX512VL),
    (AVX512_4VNNIW, AVX512F),
    (AVX512_4FMAPS, AVX512F),
    (AVX512_VPOPCNTDQ, AVX512F),
    (AVX512_VP2INTERSECT, AVX512VL),
    (AVX512_BF16, AVX512VL),
    (AVX512_FP16, AVX512BW),
    (ENQCMD, XSAVES),
    (XFD, XSAVES),
    (XFD, XGETBV1),
    (AMX_TILE, XFD),
];

/// What Tine never turns on, though a CPU may offer it, cleared as Linux
/// clears a feature it does not use: VME and the old MTRR variants (off
/// in every 64-bit Linux, DISABLED_MASK0/3), page-table isolation,
/// protection keys (CR4.PKE stays clear, so CPUID's OSPKE bit does too;
/// `pku` stays listed, as under Linux's `nopku`: the CPU has them, the
/// kernel did not turn them on), 5-level paging (`no5lvl`),
/// the FS/GS base instructions (CR4.FSGSBASE clear: `nofsgsbase`), SMEP
/// and SMAP (CR4 bits 20 and 21 clear), x2APIC mode, SGX, ENQCMD, TDX and
/// AMD's memory encryption.
const LEFT_OFF: &[Feature] = &[
    VME,
    K6_MTRR,
    CYRIX_ARR,
    CENTAUR_MCR,
    PTI,
    OSPKE,
    LA57,
    FSGSBASE,
    SMEP,
    SMAP,
    X2APIC,
    SGX,
    ENQCMD,
    TDX_GUEST,
    SME,
    SEV,
    SEV_ES,
];

/// A feature whose registers live in XSAVE state components: with XSAVE
/// on, the feature is off unless XCR0 enables all of them (Tine enables
/// x87, SSE and AVX only).
const XSTATE: &[(Feature, u64)] = &[(AVX, 1 << 2), (AVX512F, 0b111 << 5), (AMX_TILE, 0b11 << 17)];

/// Bits Linux gathers from CPUID leaves other than the whole-register
/// ones: (feature, leaf, subleaf, register, bit) (Linux: cpuid_bits[] in
/// arch/x86/kernel/cpu/scattered.c).
const SCATTERED: &[(Feature, u32, u32, usize, u32)] = &[
    (f(3, 28), 0x6, 0, ECX, 0),         // aperfmperf
    (f(7, 3), 0x6, 0, ECX, 3),          // epb
    (f(11, 0), 0xf, 0, EDX, 1),         // cqm_llc
    (f(11, 1), 0xf, 1, EDX, 0),         // cqm_occup_llc
    (f(11, 2), 0xf, 1, EDX, 1),         // cqm_mbm_total
    (f(11, 3), 0xf, 1, EDX, 2),         // cqm_mbm_local
    (f(7, 4), 0x10, 0, EBX, 1),         // cat_l3
    (f(7, 5), 0x10, 0, EBX, 2),         // cat_l2
    (f(7, 6), 0x10, 1, ECX, 2),         // cdp_l3
    (f(7, 15), 0x10, 2, ECX, 2),        // cdp_l2
    (f(7, 18), 0x10, 0, EBX, 3),        // mba
    (f(7, 8), 0x8000_0007, 0, EDX, 7),  // hw_pstate
    (f(7, 2), 0x8000_0007, 0, EDX, 9),  // cpb
    (f(7, 9), 0x8000_0007, 0, EDX, 11), // proc_feedback
    (f(7, 18), 0x8000_0008, 0, EBX, 6), // mba
    (f(7, 19), 0x8000_0022, 0, EAX, 0), // perfmon_v2
    (f(3, 17), 0x8000_0022, 0, EAX, 1), // amd_lbr_v2
];

/// The capability words of the boot CPU.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct CpuCaps {
    words: [u32; NCAPINTS],
}

impl Default for CpuCaps {
    /// A CPU with an FPU and nothing else (the host tests' machine).
    fn default() -> Self {
        let mut c = CpuCaps { words: [0; NCAPINTS] };
        c.set(FPU);
        c
    }
}

impl CpuCaps {
    /// What Linux would keep for a CPU that answers CPUID as `cpuid`
    /// does, with XCR0 = `xcr0` (0: XSAVE off, so fxsave).
    pub fn probe(cpuid: &impl Cpuid, xcr0: u64) -> CpuCaps {
        let mut c = CpuCaps { words: [0; NCAPINTS] };
        let leaf0 = cpuid.cpuid(0, 0);
        let level = leaf0[EAX];
        let vendor = match (leaf0[EBX], leaf0[EDX], leaf0[ECX]) {
            (0x756e_6547, 0x4965_6e69, 0x6c65_746e) => Vendor::Intel,
            (0x6874_7541, 0x6974_6e65, 0x444d_4163) => Vendor::Amd,
            (0x6f67_7948, 0x6e65_476e, 0x656e_6975) => Vendor::Hygon,
            _ => Vendor::Other,
        };
        let eax1 = if level >= 1 { cpuid.cpuid(1, 0)[EAX] } else { 0 };
        let (family, model) = family_model(eax1);
        // get_cpu_cap(): whole registers.
        if level >= 1 {
            let r = cpuid.cpuid(1, 0);
            c.words[0] = r[EDX];
            c.words[4] = r[ECX];
        }
        if level >= 6 {
            c.words[14] = cpuid.cpuid(6, 0)[EAX];
        }
        if level >= 7 {
            let r = cpuid.cpuid(7, 0);
            c.words[9] = r[EBX];
            c.words[16] = r[ECX];
            c.words[18] = r[EDX];
            if r[EAX] >= 1 {
                c.words[12] = cpuid.cpuid(7, 1)[EAX];
            }
        }
        if level >= 0xd {
            c.words[10] = cpuid.cpuid(0xd, 1)[EAX];
        }
        let ext = cpuid.cpuid(0x8000_0000, 0)[EAX];
        let ext = if ext & 0xffff_0000 == 0x8000_0000 { ext } else { 0 };
        if ext >= 0x8000_0001 {
            let r = cpuid.cpuid(0x8000_0001, 0);
            c.words[6] = r[ECX];
            c.words[1] = r[EDX];
        }
        // CPUID 0x80000007 EDX, Linux's x86_power.
        let mut power = 0;
        if ext >= 0x8000_0007 {
            let r = cpuid.cpuid(0x8000_0007, 0);
            c.words[17] = r[EBX];
            power = r[EDX];
        }
        if ext >= 0x8000_0008 {
            c.words[13] = cpuid.cpuid(0x8000_0008, 0)[EBX];
        }
        if ext >= 0x8000_000a {
            c.words[15] = cpuid.cpuid(0x8000_000a, 0)[EDX];
        }
        if ext >= 0x8000_001f {
            c.words[19] = cpuid.cpuid(0x8000_001f, 0)[EAX];
        }
        if ext >= 0x8000_0021 {
            c.words[20] = cpuid.cpuid(0x8000_0021, 0)[EAX];
        }
        for &(feature, leaf, sub, reg, bit) in SCATTERED {
            let max = if leaf >= 0x8000_0000 { ext } else { level };
            if leaf <= max && cpuid.cpuid(leaf, sub)[reg] & (1 << bit) != 0 {
                c.set(feature);
            }
        }
        // Synthesised: every CPU this kernel boots on has CPUID and the
        // long NOP (Linux: early_identify_cpu(), detect_nopl()).
        c.set(CPUID);
        c.set(NOPL);
        if power & (1 << 8) != 0 {
            c.set(CONSTANT_TSC);
            c.set(NONSTOP_TSC);
        }
        match vendor {
            Vendor::Amd | Vendor::Hygon => c.amd(vendor, family, eax1, power, cpuid, level),
            Vendor::Intel => c.intel(family, model, cpuid, level),
            Vendor::Other => {}
        }
        c.speculation_control();
        // What Tine leaves off.
        for &feature in LEFT_OFF {
            c.clear(feature);
        }
        if xcr0 == 0 {
            // XSAVE offered but not turned on (Linux's `noxsave`), or not
            // offered: either way nothing that needs it is usable.
            if c.has(XSAVE) {
                c.clear(XSAVE);
            }
        } else {
            for &(feature, mask) in XSTATE {
                if xcr0 & mask != mask {
                    c.clear(feature);
                }
            }
        }
        c
    }

    /// The vendor parts of early_init_amd()/init_amd() and
    /// early_init_hygon()/init_hygon() that set or clear listed bits.
    fn amd(&mut self, vendor: Vendor, family: u32, eax1: u32, power: u32, cpuid: &impl Cpuid, level: u32) {
        if power & (1 << 12) != 0 {
            self.set(ACC_POWER);
        }
        if power & (1 << 14) != 0 {
            self.set(RAPL);
        }
        // Bit 31 of CPUID 1 EDX is not PBE on these CPUs.
        self.clear(PBE);
        if vendor == Vendor::Hygon {
            self.set(REP_GOOD);
        } else if family >= 0x10 || (family == 0xf && ((0xf48..0xf50).contains(&eax1) || eax1 >= 0xf58)) {
            // K8 from stepping C on (init_amd_k8()), and every later
            // family, has fast string instructions.
            self.set(REP_GOOD);
        }
        if family > 0x11 {
            self.set(ARAT);
        }
        if !self.has(THREEDNOWPREFETCH) && (self.has(THREEDNOW) || self.has(LM)) {
            self.set(THREEDNOWPREFETCH);
        }
        // 8-bit APIC IDs: every family from 0xf on (Linux reads a
        // northbridge register for 0xf to 0x16, which a machine without
        // that device answers with all ones, so "yes" as well).
        if self.has(APIC) && (vendor == Vendor::Hygon || family >= 0xf) {
            self.set(EXTD_APICID);
        }
        if self.has(TOPOEXT) && level >= 0xb && cpuid.cpuid(0xb, 0)[EBX] != 0 {
            self.set(XTOPOLOGY);
        }
        self.set(VMMCALL);
    }

    /// The parts of early_init_intel()/init_intel() that set listed bits.
    fn intel(&mut self, family: u32, model: u32, cpuid: &impl Cpuid, level: u32) {
        if (family == 0xf && model >= 0x03) || (family == 0x6 && model >= 0x0e) {
            self.set(CONSTANT_TSC);
        }
        if family == 6 {
            self.set(REP_GOOD);
        }
        if level > 9 {
            let eax = cpuid.cpuid(0xa, 0)[EAX];
            if eax & 0xff != 0 && (eax >> 8) & 0xff > 1 {
                self.set(ARCH_PERFMON);
            }
        }
        if level >= 0xb && cpuid.cpuid(0xb, 0)[EBX] != 0 {
            self.set(XTOPOLOGY);
        }
    }

    /// The speculation-control bits named the same for both vendors
    /// (Linux: init_speculation_control()).
    fn speculation_control(&mut self) {
        if self.has(SPEC_CTRL) {
            self.set(IBRS);
            self.set(IBPB);
            self.set(MSR_SPEC_CTRL);
        }
        if self.has(INTEL_STIBP) {
            self.set(STIBP);
        }
        if self.has(SPEC_CTRL_SSBD) || self.has(VIRT_SSBD) {
            self.set(SSBD);
        }
        if self.has(AMD_IBRS) {
            self.set(IBRS);
            self.set(MSR_SPEC_CTRL);
        }
        if self.has(AMD_IBPB) {
            self.set(IBPB);
        }
        if self.has(AMD_STIBP) {
            self.set(STIBP);
            self.set(MSR_SPEC_CTRL);
        }
        if self.has(AMD_SSBD) {
            self.set(SSBD);
            self.set(MSR_SPEC_CTRL);
        }
    }

    pub fn has(&self, f: Feature) -> bool {
        self.words[f.0 as usize / 32] & (1 << (f.0 % 32)) != 0
    }

    fn set(&mut self, f: Feature) {
        self.words[f.0 as usize / 32] |= 1 << (f.0 % 32);
    }

    /// Clears `f` and, until nothing changes, every feature that needs a
    /// cleared one (Linux: do_clear_cpu_cap()).
    fn clear(&mut self, f: Feature) {
        self.words[f.0 as usize / 32] &= !(1 << (f.0 % 32));
        let mut gone = [0u32; NCAPINTS];
        gone[f.0 as usize / 32] |= 1 << (f.0 % 32);
        let is_gone = |g: &[u32; NCAPINTS], f: Feature| g[f.0 as usize / 32] & (1 << (f.0 % 32)) != 0;
        loop {
            let mut changed = false;
            for &(feature, needs) in DEPS {
                if is_gone(&gone, needs) && !is_gone(&gone, feature) {
                    gone[feature.0 as usize / 32] |= 1 << (feature.0 % 32);
                    self.words[feature.0 as usize / 32] &= !(1 << (feature.0 % 32));
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
    }

    /// AT_HWCAP: word 0, CPUID 1 EDX as the kernel kept it (Linux:
    /// ELF_HWCAP).
    pub fn hwcap(&self) -> u64 {
        self.words[0] as u64
    }

    /// The names /proc/cpuinfo's `flags` line lists, in bit order (Linux:
    /// show_cpuinfo(), x86_cap_flags[]).
    pub fn flags(&self) -> impl Iterator<Item = &'static str> + '_ {
        (0..NCAPINTS * 32)
            .filter(|&i| self.words[i / 32] & (1 << (i % 32)) != 0)
            .map(|i| NAMES[i / 32][i % 32])
            .filter(|n| !n.is_empty())
    }
}

/// Family and model from CPUID 1 EAX, the extended fields added where
/// they count (Linux: x86_family(), x86_model()).
fn family_model(eax: u32) -> (u32, u32) {
    let mut family = (eax >> 8) & 0xf;
    if family == 0xf {
        family += (eax >> 20) & 0xff;
    }
    let mut model = (eax >> 4) & 0xf;
    if family >= 6 {
        model += ((eax >> 16) & 0xf) << 4;
    }
    (family, model)
}
