//! The CPU's own tables and registers: GDT (laid out as Linux's, so user
//! programs see the same selectors), TSS with IST stacks, IDT, the syscall
//! MSRs, CR3, and the legacy interrupt controller.

use core::arch::asm;
use core::ptr::addr_of;

use x86_64::instructions::port::Port;
use x86_64::registers::model_specific::Msr;
use x86_64::structures::tss::TaskStateSegment;

/// Linux's GDT order: __KERNEL_CS = 0x10, __KERNEL_DS = 0x18,
/// __USER32_CS = 0x23, __USER_DS = 0x2b, __USER_CS = 0x33, TSS at 0x40.
pub const KERNEL_CS: u16 = 0x10;
pub const KERNEL_DS: u16 = 0x18;
const TSS_SEL: u16 = 0x40;

const GDT_TEMPLATE: [u64; 10] = [
    0,
    0x00cf9a000000ffff, // 0x08 kernel 32-bit code (unused)
    0x00af9a000000ffff, // 0x10 kernel code
    0x00cf92000000ffff, // 0x18 kernel data
    0x00cffa000000ffff, // 0x23 user 32-bit code (for SYSRET's layout)
    0x00cff2000000ffff, // 0x2b user data
    0x00affa000000ffff, // 0x33 user code
    0,
    0, // 0x40 TSS, low half
    0, // TSS, high half
];

/// The boot CPU's GDT (the other CPUs have copies: [`init_ap_tables`]).
static mut GDT: [u64; 10] = GDT_TEMPLATE;

static mut TSS: TaskStateSegment = TaskStateSegment::new();

const IST_SIZE: usize = 16 * 1024;
#[repr(align(16))]
struct IstStack(#[allow(dead_code)] [u8; IST_SIZE]);
static mut IST_STACKS: [IstStack; 3] = [const { IstStack([0; IST_SIZE]) }; 3];

/// IST slots (1-based as the IDT names them) for the exceptions that must
/// never run on a possibly broken stack.
pub const IST_DOUBLE_FAULT: u8 = 1;
pub const IST_NMI: u8 = 2;
pub const IST_MACHINE_CHECK: u8 = 3;

#[repr(C, packed)]
struct DescriptorPointer {
    limit: u16,
    base: u64,
}

/// The boot CPU's GDT, TSS and IST stacks (the statics above), loaded.
pub fn init_gdt() {
    static DONE: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);
    assert!(!DONE.swap(true, core::sync::atomic::Ordering::Relaxed), "init_gdt runs once");
    // SAFETY: runs once (checked above) on the boot CPU before anything else
    // reads the GDT, TSS or IST stacks; afterwards only `set_kernel_stack`
    // writes the TSS.
    unsafe {
        let stacks = &*addr_of!(IST_STACKS);
        let ist = core::array::from_fn(|i| &stacks[i] as *const IstStack as u64 + IST_SIZE as u64);
        load_tables(&mut *core::ptr::addr_of_mut!(GDT), &mut *core::ptr::addr_of_mut!(TSS), ist);
    }
    crate::percpu::init_boot(core::ptr::addr_of_mut!(TSS));
}

/// Another CPU's own GDT, TSS and IST stacks (Linux: the per-CPU
/// gdt_page, cpu_tss_rw and exception stacks), made from the heap for
/// good, and loaded on the CPU that calls this: each CPU needs its own
/// TSS (its busy bit, its rsp0) and its own stacks for NMI, double fault
/// and machine check, which may hit several CPUs at once.
pub fn init_ap_tables(cpu: usize) {
    let gdt = alloc::boxed::Box::leak(alloc::boxed::Box::new(GDT_TEMPLATE));
    let tss = alloc::boxed::Box::leak(alloc::boxed::Box::new(TaskStateSegment::new()));
    let stacks = alloc::boxed::Box::leak(alloc::boxed::Box::new([const { IstStack([0; IST_SIZE]) }; 3]));
    let ist = core::array::from_fn(|i| &stacks[i] as *const IstStack as u64 + IST_SIZE as u64);
    let tss_ptr: *mut TaskStateSegment = tss;
    // SAFETY: all three are new, leaked (so they live for ever) and only
    // this CPU will use them.
    unsafe { load_tables(gdt, &mut *tss_ptr, ist) }
    crate::percpu::init_ap(cpu, tss_ptr);
}

/// Fill `tss` (IST stack tops `ist`) and its descriptor in `gdt`, and load
/// both on this CPU, with the kernel's code and data selectors.
///
/// # Safety
/// `gdt` and `tss` live for ever and no other CPU uses them; `ist` are
/// the tops of three stacks of [`IST_SIZE`] that live for ever and only
/// this CPU uses.
unsafe fn load_tables(gdt: &'static mut [u64; 10], tss: &'static mut TaskStateSegment, ist: [u64; 3]) {
    for (i, top) in ist.into_iter().enumerate() {
        tss.interrupt_stack_table[i] = x86_64::VirtAddr::new(top);
    }
    tss.iomap_base = core::mem::size_of::<TaskStateSegment>() as u16;
    let base = tss as *const TaskStateSegment as u64;
    let limit = (core::mem::size_of::<TaskStateSegment>() - 1) as u64;
    gdt[8] = limit | ((base & 0xff_ffff) << 16) | (0x89 << 40) | (((base >> 24) & 0xff) << 56);
    gdt[9] = base >> 32;

    let ptr = DescriptorPointer { limit: (8 * 10 - 1) as u16, base: gdt.as_ptr() as u64 };
    // SAFETY: the GDT holds the kernel's code and data descriptors at the
    // selectors loaded here and a valid, unbusy TSS descriptor (per the
    // contract, no other CPU loaded it), so execution continues on the
    // same flat segments.
    unsafe {
        asm!(
            "lgdt [{ptr}]",
            "push {cs}",
            "lea {tmp}, [rip + 2f]",
            "push {tmp}",
            "retfq",
            "2:",
            "mov ds, {ds:x}",
            "mov es, {ds:x}",
            "mov ss, {ds:x}",
            "ltr {tss:x}",
            ptr = in(reg) &ptr,
            cs = in(reg) KERNEL_CS as u64,
            tmp = lateout(reg) _,
            ds = in(reg) KERNEL_DS as u64,
            tss = in(reg) TSS_SEL as u64,
        );
    }
}

/// The stack this CPU switches to when user mode traps: the top of the
/// running task's kernel stack (a mapped one: anything else would have the
/// next trap write wherever it points), or 0 before any task runs.
pub fn set_kernel_stack(top: u64) {
    assert!(top == 0 || crate::kstack::is_stack_top(top), "not a kernel stack top: {top:#x}");
    crate::percpu::set_kernel_rsp(top);
}

#[repr(C)]
#[derive(Clone, Copy)]
struct IdtEntry {
    offset_low: u16,
    selector: u16,
    ist: u8,
    flags: u8,
    offset_mid: u16,
    offset_high: u32,
    zero: u32,
}

static mut IDT: [IdtEntry; 256] =
    [IdtEntry { offset_low: 0, selector: 0, ist: 0, flags: 0, offset_mid: 0, offset_high: 0, zero: 0 }; 256];

/// Point IDT vector `v` at `handler`, with an IST slot (0 for none).
///
/// # Safety
/// `handler` is an entry stub of this kernel that handles vector `v` (with
/// or without an error code as the CPU pushes one), and `ist` is 0 or one
/// of the IST slots set up by [`init_gdt`]; boot only, before [`load_idt`].
/// `int3` (#BP) and `into` (#OF) may be raised by user code with `int n`,
/// so their gates have DPL 3, as Linux's system gates: a debugger's
/// breakpoint is SIGTRAP, not the #GP that a DPL 0 gate gives; so does
/// `int $0x80`, the i386 system call (Linux: IA32_SYSCALL_VECTOR with
/// CONFIG_IA32_EMULATION). Every other `int n` from user mode is a #GP
/// (SIGSEGV).
pub unsafe fn set_idt_entry(v: usize, handler: u64, ist: u8) {
    let dpl: u8 = if v == 3 || v == 4 || v == 0x80 { 3 } else { 0 };
    let e = IdtEntry {
        offset_low: handler as u16,
        selector: KERNEL_CS,
        ist,
        flags: 0x8e | dpl << 5, // present, DPL, 64-bit interrupt gate (IF cleared)
        offset_mid: (handler >> 16) as u16,
        offset_high: (handler >> 32) as u32,
        zero: 0,
    };
    // SAFETY: per the contract, boot-time only, single CPU, before `lidt`
    // makes it live.
    unsafe { (*core::ptr::addr_of_mut!(IDT))[v] = e }
}

pub fn load_idt() {
    let ptr = DescriptorPointer { limit: (16 * 256 - 1) as u16, base: addr_of!(IDT) as u64 };
    // SAFETY: the IDT is a static with valid gates for every vector we enable.
    unsafe { asm!("lidt [{}]", in(reg) &ptr, options(nostack)) }
}

/// Linux's SYSCALL_MASK: the RFLAGS bits `syscall` clears on entry. Beyond
/// IF (the kernel runs with interrupts off), DF and AC (the ABI and SMAP
/// want them clear) and TF (no single-step into the kernel), NT must go:
/// an `iretq` with NT set faults in ring 0, and user code may set it.
const SYSCALL_MASK: u64 = 0x0001 // CF
    | 0x0004 // PF
    | 0x0010 // AF
    | 0x0040 // ZF
    | 0x0080 // SF
    | 0x0100 // TF
    | 0x0200 // IF
    | 0x0400 // DF
    | 0x0800 // OF
    | 0x3000 // IOPL
    | 0x4000 // NT
    | 0x1_0000 // RF
    | 0x4_0000 // AC
    | 0x20_0000; // ID

/// SYSCALL/SYSRET: STAR selectors as Linux (kernel CS 0x10, user base 0x23),
/// LSTAR = the entry point, FMASK = [`SYSCALL_MASK`]. Tine runs no 32-bit
/// programs: `syscall` from compatibility mode (CSTAR) answers -ENOSYS
/// at once, and `sysenter` is disabled by a null SYSENTER_CS, as Linux
/// without IA32 emulation (its `ignore_sysret`). An unset CSTAR would
/// enter ring 0 at address 0.
///
/// # Safety
/// `entry` and `compat_entry` are this kernel's `syscall` entry points
/// for 64-bit and compatibility mode, written for the state `syscall`
/// leaves (user stack, user GS, interrupts masked by [`SYSCALL_MASK`]).
pub unsafe fn init_syscall(entry: u64, compat_entry: u64) {
    // SAFETY: these MSRs only configure the syscall and sysenter
    // instructions; both entry points are code of this kernel (contract).
    unsafe {
        Msr::new(0xC000_0081).write((0x23u64 << 48) | ((KERNEL_CS as u64) << 32));
        Msr::new(0xC000_0082).write(entry);
        Msr::new(0xC000_0083).write(compat_entry);
        Msr::new(0xC000_0084).write(SYSCALL_MASK);
        Msr::new(0x174).write(0); // IA32_SYSENTER_CS: a null selector, #GP
        Msr::new(0x175).write(0);
        Msr::new(0x176).write(0);
    }
}

/// Set CR4.UMIP where the CPU has it (CPUID 7.0:ECX bit 2), so that user
/// code cannot read the GDT, IDT, LDT or TR addresses with sgdt/sidt/sldt/
/// str/smsw (a #GP instead), as Linux does.
pub fn enable_umip() {
    let leaf7 = if core::arch::x86_64::__cpuid(0).eax >= 7 { core::arch::x86_64::__cpuid_count(7, 0).ecx } else { 0 };
    if leaf7 & (1 << 2) != 0 {
        // SAFETY: setting CR4.UMIP only makes those instructions fault in
        // user mode; the kernel never uses them from ring 3.
        unsafe {
            asm!("mov {0}, cr4", "or {0}, {1}", "mov cr4, {0}", out(reg) _, in(reg) 1u64 << 11, options(nostack));
        }
    }
}

/// IA32_TSC_AUX, which `rdtscp` and `rdpid` return: the CPU's number, as
/// Linux sets it for the vDSO's getcpu (node 0 above bit 12).
pub fn set_tsc_aux(v: u64) {
    let has_rdtscp = core::arch::x86_64::__cpuid(0x8000_0000).eax >= 0x8000_0001
        && core::arch::x86_64::__cpuid(0x8000_0001).edx & (1 << 27) != 0;
    if has_rdtscp {
        // SAFETY: TSC_AUX only holds the value those instructions return.
        unsafe { Msr::new(0xC000_0103).write(v) }
    }
}

/// Read the user FS base (for arch_prctl and context switches).
pub fn fs_base() -> u64 {
    // SAFETY: reading IA32_FS_BASE has no side effects.
    unsafe { Msr::new(0xC000_0100).read() }
}

/// Set the user FS base (TLS).
pub fn set_fs_base(v: u64) {
    // SAFETY: FS base only affects user-mode %fs accesses; the kernel never uses %fs.
    unsafe { Msr::new(0xC000_0100).write(v) }
}

/// DR6's status bits (B0-B3, BD, BS, BT) as positive bits, and DR6 reset
/// for the next debug exception, which the CPU never clears by itself
/// (Linux: debug_read_clear_dr6()).
pub fn read_clear_dr6() -> u64 {
    const DR6_RESERVED: u64 = 0xffff_0ff0;
    let v: u64;
    // SAFETY: DR6 only reports debug-exception status; writing its reset
    // value has no other effect.
    unsafe {
        asm!("mov {0}, dr6", "mov dr6, {1}", out(reg) v, in(reg) DR6_RESERVED, options(nomem, nostack, preserves_flags));
    }
    v ^ DR6_RESERVED
}

/// DR7 as last loaded on each CPU: tasks without hardware breakpoints
/// (all but a debugger's tracees) cost no debug-register write at a switch.
static LOADED_DR7: [core::sync::atomic::AtomicU64; crate::smp::MAX_CPUS] =
    [const { core::sync::atomic::AtomicU64::new(0) }; crate::smp::MAX_CPUS];

/// The hardware breakpoints of the task about to run (Linux: the ptrace
/// perf events, installed by arch_install_hw_breakpoint()): DR0-DR3 and
/// DR7 in `d[4]`, 0 for none. core hands over only user addresses and
/// DR7's enable, type and length bits (never GD).
pub fn set_debug_registers(d: &[u64; 5]) {
    use core::sync::atomic::Ordering::Relaxed;
    let loaded = &LOADED_DR7[crate::percpu::cpu()];
    if d[4] == 0 && loaded.load(Relaxed) == 0 {
        return;
    }
    // SAFETY: DR7 = 0 disables every breakpoint while the addresses change.
    unsafe { asm!("mov dr7, {}", in(reg) 0u64, options(nomem, nostack, preserves_flags)) };
    if d[4] != 0 {
        // SAFETY: DR0-DR3 only hold breakpoint addresses. They are user
        // addresses, which the kernel never uses as such (it reaches user
        // memory through the direct map), so no breakpoint fires in
        // kernel mode.
        unsafe {
            asm!(
                "mov dr0, {}", "mov dr1, {}", "mov dr2, {}", "mov dr3, {}",
                in(reg) d[0], in(reg) d[1], in(reg) d[2], in(reg) d[3],
                options(nomem, nostack, preserves_flags)
            )
        };
        // SAFETY: enable, type and length bits for the addresses above,
        // without GD; bit 10 is reserved as 1.
        unsafe { asm!("mov dr7, {}", in(reg) d[4] | 1 << 10, options(nomem, nostack, preserves_flags)) };
    }
    loaded.store(d[4], Relaxed);
}

/// CR4.TSD: with it set, `rdtsc` in user mode is a #GP (PR_SET_TSC).
/// Written only when it changes: a CR4 write is slow.
pub fn set_tsc_disabled(off: bool) {
    const TSD: u64 = 1 << 2;
    let cr4: u64;
    // SAFETY: reading CR4 has no side effects.
    unsafe { asm!("mov {}, cr4", out(reg) cr4, options(nomem, nostack, preserves_flags)) };
    let new = if off { cr4 | TSD } else { cr4 & !TSD };
    if new != cr4 {
        // SAFETY: TSD only decides whether user mode may read the TSC.
        unsafe { asm!("mov cr4, {}", in(reg) new, options(nostack, preserves_flags)) };
    }
}

pub fn cr2() -> u64 {
    let v: u64;
    // SAFETY: reading CR2 has no side effects.
    unsafe { asm!("mov {}, cr2", out(reg) v, options(nomem, nostack, preserves_flags)) }
    v
}

pub fn cr3() -> u64 {
    let v: u64;
    // SAFETY: reading CR3 has no side effects.
    unsafe { asm!("mov {}, cr3", out(reg) v, options(nomem, nostack, preserves_flags)) }
    v
}

/// Switch to the page table rooted at physical address `root` (whose
/// kernel half is the shared kernel mapping).
pub fn load_cr3(root: u64) {
    if cr3() != root {
        assert!(maps_the_kernel(root), "not an address space of this kernel: {root:#x}");
        // SAFETY: `root` is a page table whose upper half maps the kernel
        // (its code, the direct map and the kernel stacks) exactly as the
        // current one does (checked above), so execution continues.
        unsafe { asm!("mov cr3, {}", in(reg) root, options(nostack, preserves_flags)) }
    }
}

/// Whether the PML4 at physical `root` (a page of RAM) has the kernel
/// half's entries of the live one: the direct map, the kernel stacks and
/// the image. User halves differ, and the kernel reaches user memory only
/// through the direct map, so those three are what it runs on.
fn maps_the_kernel(root: u64) -> bool {
    if !root.is_multiple_of(4096) || root >= crate::boot::BOOT_DIRECT_MAP_BYTES {
        return false;
    }
    let (new, cur) =
        (crate::mem::phys_to_virt(root) as *const u64, crate::mem::phys_to_virt(cr3() & !0xfff) as *const u64);
    [256, crate::kstack::AREA_PML4_INDEX, 511].iter().all(|&i| {
        // The CPU sets the accessed bit (5) in each copy on its own.
        // SAFETY: both are page-aligned pages of RAM in the direct map
        // (the live root, and `root` checked above); index below 512.
        let (a, b) = unsafe { (core::ptr::read_volatile(new.add(i)), core::ptr::read_volatile(cur.add(i))) };
        (a ^ b) & !(1 << 5) == 0 && a & 1 != 0
    })
}

/// Drop this CPU's TLB entry for `va` in the current address space, and
/// every paging-structure cache entry.
pub fn invlpg(va: u64) {
    // SAFETY: invlpg only drops TLB entries; `va` is never dereferenced.
    unsafe { asm!("invlpg [{}]", in(reg) va, options(nostack, preserves_flags)) }
}

pub fn reload_cr3() {
    // SAFETY: reloading the same root only flushes non-global TLB entries.
    unsafe { asm!("mov {0}, cr3", "mov cr3, {0}", out(reg) _, options(nostack, preserves_flags)) }
}

/// Remap the 8259 PICs to vectors 32..48 and unmask the timer (IRQ 0),
/// COM1 (IRQ 4) and COM2 (IRQ 3: a break on the log asks for a task dump).
pub fn init_pic() {
    let w = |port: u16, v: u8| {
        // SAFETY: the 8259 PIC's ports; the standard ICW1-4 sequence.
        unsafe { Port::new(port).write(v) };
        // SAFETY: port 0x80 is the traditional I/O delay port.
        unsafe { Port::<u8>::new(0x80).write(0) };
    };
    w(0x20, 0x11);
    w(0xa0, 0x11);
    w(0x21, 32);
    w(0xa1, 40);
    w(0x21, 4);
    w(0xa1, 2);
    w(0x21, 1);
    w(0xa1, 1);
    w(0x21, !((1 << 0) | (1 << 3) | (1 << 4)));
    w(0xa1, 0xff);
}

pub fn end_of_interrupt(irq: u8) {
    // SAFETY: non-specific EOI to the PIC(s) that raised `irq`.
    unsafe {
        if irq >= 8 {
            Port::new(0xa0).write(0x20u8);
        }
        Port::new(0x20).write(0x20u8);
    }
}

/// Whether maskable interrupts are on (RFLAGS.IF).
pub fn interrupts_enabled() -> bool {
    let flags: u64;
    // SAFETY: pushes and pops RFLAGS to read it; changes nothing.
    unsafe { asm!("pushfq", "pop {}", out(reg) flags, options(nomem, preserves_flags)) };
    flags & (1 << 9) != 0
}

/// Wait for an interrupt with interrupts enabled, then disable them again:
/// the only place the kernel runs with IF set (the idle loop).
pub fn idle_wait() {
    // SAFETY: `sti; hlt` is atomic with respect to interrupts (the STI shadow),
    // so a wake-up cannot be lost between the check and the halt.
    unsafe { asm!("sti", "hlt", "cli", options(nomem, nostack)) }
}

/// The boot CPU's capabilities as Linux would keep them: CPUID, with the
/// XSAVE features the boot code enabled.
pub fn caps() -> tine_core::cpufeature::CpuCaps {
    // (It only reads what the boot code set, so `trap::init` may run it
    // again.)
    crate::fpu::init();
    let cpuid = |leaf, sub| {
        let r = core::arch::x86_64::__cpuid_count(leaf, sub);
        [r.eax, r.ebx, r.ecx, r.edx]
    };
    tine_core::cpufeature::CpuCaps::probe(&cpuid, crate::fpu::xfeatures())
}
