//! 16550 UARTs. COM1 is the console that user programs read and write;
//! COM2 carries the kernel log, so the two never mix on the host side.
//! COM3 carries the trace when the command line asks for its drain.

use core::fmt;
use x86_64::instructions::port::Port;

pub const COM1: u16 = 0x3f8;
pub const COM2: u16 = 0x2f8;
/// The trace drain (`tine.trace_drain=1`): `cargo xtask trace` reads it.
pub const COM3: u16 = 0x3e8;

pub struct Uart {
    base: u16,
}

impl Uart {
    pub const fn new(base: u16) -> Self {
        Uart { base }
    }

    fn outb(&self, off: u16, v: u8) {
        // SAFETY: the UART's registers are I/O ports with no memory effects.
        unsafe { Port::new(self.base + off).write(v) }
    }

    fn inb(&self, off: u16) -> u8 {
        // SAFETY: as above; reading a UART register has no memory effects.
        unsafe { Port::new(self.base + off).read() }
    }

    /// 115200 baud, 8N1, FIFOs on, receive interrupt enabled (used on COM1).
    pub fn init(&self) {
        self.outb(1, 0x00);
        self.outb(3, 0x80);
        self.outb(0, 0x01);
        self.outb(1, 0x00);
        self.outb(3, 0x03);
        self.outb(2, 0xc7);
        self.outb(4, 0x0b);
        self.outb(1, 0x01);
    }

    pub fn write_byte(&self, b: u8) {
        while self.inb(5) & 0x20 == 0 {
            core::hint::spin_loop();
        }
        self.outb(0, b);
    }

    pub fn write_bytes(&self, data: &[u8]) {
        for &b in data {
            self.write_byte(b);
        }
    }

    /// A received byte, if one is waiting.
    pub fn try_read(&self) -> Option<u8> {
        if self.inb(5) & 1 != 0 {
            Some(self.inb(0))
        } else {
            None
        }
    }
}

impl fmt::Write for Uart {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.write_bytes(s.as_bytes());
        Ok(())
    }
}

/// Print to the kernel log (COM2).
#[macro_export]
macro_rules! klog {
    ($($arg:tt)*) => {{
        use core::fmt::Write as _;
        let _ = writeln!($crate::serial::Uart::new($crate::serial::COM2), $($arg)*);
    }};
}
