//! The names /proc/cpuinfo gives each capability bit, word by word, as
//! Linux 6.1 (Debian's 6.1.192) names them in
//! arch/x86/include/asm/cpufeatures.h: the quoted name of a bit's
//! comment, else its macro's name in lower case; "" for a bit Linux
//! does not define or hides (a comment starting with `""`).

use super::NCAPINTS;

#[rustfmt::skip]
pub(super) const NAMES: [[&str; 32]; NCAPINTS] = [
    // 0: CPUID 1 EDX
    [
        "fpu", "vme", "de", "pse", "tsc", "msr", "pae", "mce",
        "cx8", "apic", "", "sep", "mtrr", "pge", "mca", "cmov",
        "pat", "pse36", "pn", "clflush", "", "dts", "acpi", "mmx",
        "fxsr", "sse", "sse2", "ss", "ht", "tm", "ia64", "pbe",
    ],
    // 1: CPUID 0x80000001 EDX
    [
        "", "", "", "", "", "", "", "",
        "", "", "", "syscall", "", "", "", "",
        "", "", "", "mp", "nx", "", "mmxext", "",
        "", "fxsr_opt", "pdpe1gb", "rdtscp", "", "lm", "3dnowext", "3dnow",
    ],
    // 2: Transmeta, CPUID 0x80860001
    [
        "recovery", "longrun", "", "lrti", "", "", "", "",
        "", "", "", "", "", "", "", "",
        "", "", "", "", "", "", "", "",
        "", "", "", "", "", "", "", "",
    ],
    // 3: Linux-defined, synthesised
    [
        "cxmmx", "k6_mtrr", "cyrix_arr", "centaur_mcr", "", "", "", "",
        "constant_tsc", "up", "art", "arch_perfmon", "pebs", "bts", "", "",
        "rep_good", "amd_lbr_v2", "", "acc_power", "nopl", "", "xtopology", "tsc_reliable",
        "nonstop_tsc", "cpuid", "extd_apicid", "amd_dcm", "aperfmperf", "rapl", "nonstop_tsc_s3", "tsc_known_freq",
    ],
    // 4: CPUID 1 ECX
    [
        "pni", "pclmulqdq", "dtes64", "monitor", "ds_cpl", "vmx", "smx", "est",
        "tm2", "ssse3", "cid", "sdbg", "fma", "cx16", "xtpr", "pdcm",
        "", "pcid", "dca", "sse4_1", "sse4_2", "x2apic", "movbe", "popcnt",
        "tsc_deadline_timer", "aes", "xsave", "", "avx", "f16c", "rdrand", "hypervisor",
    ],
    // 5: Centaur, CPUID 0xc0000001
    [
        "", "", "rng", "rng_en", "", "", "ace", "ace_en",
        "ace2", "ace2_en", "phe", "phe_en", "pmm", "pmm_en", "", "",
        "", "", "", "", "", "", "", "",
        "", "", "", "", "", "", "", "",
    ],
    // 6: CPUID 0x80000001 ECX
    [
        "lahf_lm", "cmp_legacy", "svm", "extapic", "cr8_legacy", "abm", "sse4a", "misalignsse",
        "3dnowprefetch", "osvw", "ibs", "xop", "skinit", "wdt", "", "lwp",
        "fma4", "tce", "", "nodeid_msr", "", "tbm", "topoext", "perfctr_core",
        "perfctr_nb", "", "bpext", "ptsc", "perfctr_llc", "mwaitx", "", "",
    ],
    // 7: Linux-defined, scattered
    [
        "ring3mwait", "cpuid_fault", "cpb", "epb", "cat_l3", "cat_l2", "cdp_l3", "invpcid_single",
        "hw_pstate", "proc_feedback", "", "pti", "", "", "intel_ppin", "cdp_l2",
        "", "ssbd", "mba", "", "perfmon_v2", "", "", "",
        "", "ibrs", "ibpb", "stibp", "", "", "ibrs_enhanced", "",
    ],
    // 8: virtualisation, Linux-defined
    [
        "tpr_shadow", "vnmi", "flexpriority", "ept", "vpid", "", "", "",
        "", "", "", "", "", "", "", "vmmcall",
        "", "ept_ad", "", "", "", "", "tdx_guest", "",
        "", "", "", "", "", "", "", "",
    ],
    // 9: CPUID 7.0 EBX
    [
        "fsgsbase", "tsc_adjust", "sgx", "bmi1", "hle", "avx2", "", "smep",
        "bmi2", "erms", "invpcid", "rtm", "cqm", "", "mpx", "rdt_a",
        "avx512f", "avx512dq", "rdseed", "adx", "smap", "avx512ifma", "", "clflushopt",
        "clwb", "intel_pt", "avx512pf", "avx512er", "avx512cd", "sha_ni", "avx512bw", "avx512vl",
    ],
    // 10: CPUID 0xd.1 EAX
    [
        "xsaveopt", "xsavec", "xgetbv1", "xsaves", "", "", "", "",
        "", "", "", "", "", "", "", "",
        "", "", "", "", "", "", "", "",
        "", "", "", "", "", "", "", "",
    ],
    // 11: Linux-defined, scattered
    [
        "cqm_llc", "cqm_occup_llc", "cqm_mbm_total", "cqm_mbm_local", "", "", "split_lock_detect", "",
        "", "", "", "", "", "", "", "",
        "", "", "", "", "", "", "", "",
        "", "", "", "", "", "", "", "",
    ],
    // 12: CPUID 7.1 EAX
    [
        "", "", "", "", "avx_vnni", "avx512_bf16", "", "",
        "", "", "", "", "", "", "", "",
        "", "", "", "", "", "", "", "",
        "", "", "", "", "", "", "", "",
    ],
    // 13: CPUID 0x80000008 EBX
    [
        "clzero", "irperf", "xsaveerptr", "", "rdpru", "", "", "",
        "", "wbnoinvd", "", "", "", "", "", "",
        "", "", "", "", "", "", "", "amd_ppin",
        "", "virt_ssbd", "", "cppc", "", "", "", "brs",
    ],
    // 14: CPUID 6 EAX
    [
        "dtherm", "ida", "arat", "", "pln", "", "pts", "hwp",
        "hwp_notify", "hwp_act_window", "hwp_epp", "hwp_pkg_req", "", "", "", "",
        "", "", "", "hfi", "", "", "", "",
        "", "", "", "", "", "", "", "",
    ],
    // 15: CPUID 0x8000000a EDX
    [
        "npt", "lbrv", "svm_lock", "nrip_save", "tsc_scale", "vmcb_clean", "flushbyasid", "decodeassists",
        "", "", "pausefilter", "", "pfthreshold", "avic", "", "v_vmsave_vmload",
        "vgif", "", "x2avic", "", "v_spec_ctrl", "", "", "",
        "", "", "", "", "", "", "", "",
    ],
    // 16: CPUID 7.0 ECX
    [
        "", "avx512vbmi", "umip", "pku", "ospke", "waitpkg", "avx512_vbmi2", "",
        "gfni", "vaes", "vpclmulqdq", "avx512_vnni", "avx512_bitalg", "tme", "avx512_vpopcntdq", "",
        "la57", "", "", "", "", "", "rdpid", "",
        "bus_lock_detect", "cldemote", "", "movdiri", "movdir64b", "enqcmd", "sgx_lc", "",
    ],
    // 17: CPUID 0x80000007 EBX
    [
        "overflow_recov", "succor", "", "smca", "", "", "", "",
        "", "", "", "", "", "", "", "",
        "", "", "", "", "", "", "", "",
        "", "", "", "", "", "", "", "",
    ],
    // 18: CPUID 7.0 EDX
    [
        "", "", "avx512_4vnniw", "avx512_4fmaps", "fsrm", "", "", "",
        "avx512_vp2intersect", "", "md_clear", "", "", "", "serialize", "",
        "tsxldtrk", "", "pconfig", "arch_lbr", "ibt", "", "amx_bf16", "avx512_fp16",
        "amx_tile", "amx_int8", "", "", "flush_l1d", "arch_capabilities", "", "",
    ],
    // 19: CPUID 0x8000001f EAX
    [
        "sme", "sev", "", "sev_es", "", "", "", "",
        "", "", "", "", "", "", "", "",
        "", "", "", "", "", "", "", "",
        "", "", "", "", "", "", "", "",
    ],
    // 20: CPUID 0x80000021 EAX
    [
        "", "", "", "", "", "", "", "",
        "", "", "", "", "", "", "", "",
        "", "", "", "", "", "", "", "",
        "", "", "", "", "", "", "", "",
    ],
    // 21: Linux-defined, scattered
    [
        "amd_lbr_pmc_freeze", "", "", "", "", "", "", "",
        "", "", "", "", "", "", "ibpb_exit_to_user", "",
        "", "", "", "", "", "", "", "",
        "", "", "", "", "", "", "", "",
    ],
];
