//! Tine's x86_64 hardware layer. Every `unsafe` block of the project lives
//! in this crate, each with a `// SAFETY:` line saying why it holds.
//!
//! What it gives the rest of the kernel:
//! - boot ([`boot`], [`start`]): multiboot entry, long mode, early set-up;
//! - the CPU tables ([`cpu`]): GDT, TSS with IST stacks, IDT, syscall MSRs;
//! - traps ([`trap`]): exception, interrupt and `syscall` entry and exit,
//!   with the user frame on the task's kernel stack, and context switch;
//! - the user FPU state ([`fpu`]): XSAVE features, xsave/fxsave completion;
//! - memory ([`mem`], [`phys`]): the direct map, `core`'s `PhysMem` and `Mmu`;
//! - kernel stacks ([`kstack`]): mapped with guard pages below, overflow caught;
//! - the other CPUs ([`acpi`], [`lapic`], [`smp`]): found in the MADT,
//!   started through the local APIC, halted by the panic's NMI;
//! - devices: [`serial`] ports, the [`timer`] (PIT ticks, TSC clock), [`qemu`] exit.
#![no_std]
#![deny(clippy::undocumented_unsafe_blocks)]

extern crate alloc;

pub mod acpi;
#[macro_use]
mod asm_steps;
pub mod boot;
pub mod cpu;
pub mod fpu;
pub mod heap;
pub mod klock;
pub mod kstack;
pub mod lapic;
pub mod mem;
pub mod multiboot;
pub mod percpu;
pub mod phys;
pub mod qemu;
mod region;
pub mod serial;
pub mod smp;
pub mod start;
pub mod timer;
pub mod trap;

pub use start::BootInfo;
