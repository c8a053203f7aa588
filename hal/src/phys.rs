//! `core`'s view of the machine's memory: physical frames through the
//! direct map, TLB flushes, and the console and log devices.

use core::arch::asm;

use tine_core::machine::{Console, Log, Mmu, PhysMem};

use crate::mem::phys_to_virt;
use crate::serial::{Uart, COM1, COM2};

pub struct DirectMap;

impl PhysMem for DirectMap {
    fn read(&self, pa: u64, buf: &mut [u8]) {
        // SAFETY: `core` only names physical addresses of RAM frames it owns,
        // all of which lie in the direct map.
        unsafe { core::ptr::copy_nonoverlapping(phys_to_virt(pa) as *const u8, buf.as_mut_ptr(), buf.len()) }
    }

    fn write(&self, pa: u64, data: &[u8]) {
        // SAFETY: as in `read`.
        unsafe { core::ptr::copy_nonoverlapping(data.as_ptr(), phys_to_virt(pa) as *mut u8, data.len()) }
    }

    fn read_u64(&self, pa: u64) -> u64 {
        // SAFETY: as in `read`; page-table entries are 8-byte aligned.
        unsafe { core::ptr::read_volatile(phys_to_virt(pa) as *const u64) }
    }

    fn write_u64(&self, pa: u64, v: u64) {
        // SAFETY: as in `read_u64`.
        unsafe { core::ptr::write_volatile(phys_to_virt(pa) as *mut u64, v) }
    }

    fn zero_frame(&self, pa: u64) {
        // SAFETY: a whole frame of RAM owned by the caller.
        unsafe { crate::mem::clear_page(phys_to_virt(pa) as *mut u8) }
    }

    fn copy_frame(&self, dst: u64, src: u64) {
        // SAFETY: two distinct whole frames of RAM.
        unsafe { crate::mem::copy_page(phys_to_virt(dst) as *mut u8, phys_to_virt(src) as *const u8) }
    }
}

pub struct Tlb;

impl Mmu for Tlb {
    fn flush_page(&self, va: u64) {
        // SAFETY: invlpg only drops a TLB entry.
        unsafe { asm!("invlpg [{}]", in(reg) va, options(nostack, preserves_flags)) }
    }

    fn flush_all(&self) {
        crate::cpu::reload_cr3();
    }

    fn activate(&self, root: u64) {
        crate::cpu::load_cr3(root);
    }
}

pub struct SerialConsole;

impl Console for SerialConsole {
    fn write(&self, data: &[u8]) {
        Uart::new(COM1).write_bytes(data);
    }

    fn read(&self, buf: &mut [u8]) -> usize {
        let uart = Uart::new(COM1);
        let mut n = 0;
        while n < buf.len() {
            match uart.try_read() {
                Some(b) => {
                    buf[n] = b;
                    n += 1;
                }
                None => break,
            }
        }
        n
    }
}

pub struct SerialLog;

impl Log for SerialLog {
    fn log(&self, args: core::fmt::Arguments) {
        use core::fmt::Write;
        let mut u = Uart::new(COM2);
        let _ = u.write_fmt(args);
        let _ = u.write_str("\n");
    }

    fn take_break(&self) -> bool {
        Uart::new(COM2).drain_for_break()
    }
}

pub static DIRECT_MAP: DirectMap = DirectMap;
pub static TLB: Tlb = Tlb;
pub static CONSOLE: SerialConsole = SerialConsole;
pub static LOG: SerialLog = SerialLog;
