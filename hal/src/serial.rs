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

    /// Also interrupt on a line-status event (IER.RLSI): a break, which
    /// with the FIFO's 14-byte trigger would otherwise raise nothing
    /// (used on COM2, the log; see [`Uart::drain_for_break`]).
    pub fn enable_break_interrupt(&self) {
        self.outb(1, 0x05);
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

    /// Empties the receiver, saying whether a break came in (LSR.BI; the
    /// 16550 also queues a NUL byte for it). Used on COM2, the log, where
    /// a break asks for a task dump.
    pub fn drain_for_break(&self) -> bool {
        let mut brk = false;
        // Bounded: the FIFO holds 16 bytes; a stuck line must not hang
        // the interrupt.
        for _ in 0..64 {
            let lsr = self.inb(5);
            brk |= lsr & 0x10 != 0;
            if lsr & 1 == 0 {
                break;
            }
            self.inb(0);
        }
        brk
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

/// The lines logged before core's kernel log exists, kept for it
/// (`take_early_log`): the boot's own account of RAM, heap and clock.
/// A fixed array, since the first lines come before the heap exists.
struct EarlyLog {
    buf: [u8; EARLY_LOG_LEN],
    len: usize,
    /// Taken: later lines (the panic handler's) go to COM2 only.
    closed: bool,
}

const EARLY_LOG_LEN: usize = 2048;

static EARLY_LOG: spin::Mutex<EarlyLog> = spin::Mutex::new(EarlyLog { buf: [0; EARLY_LOG_LEN], len: 0, closed: false });

/// COM2, and the early log while it is open: what `klog!` writes to.
pub struct KlogWriter;

impl fmt::Write for KlogWriter {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        Uart::new(COM2).write_bytes(s.as_bytes());
        // A panic while the lock is held must still reach COM2.
        if let Some(mut e) = EARLY_LOG.try_lock() {
            if !e.closed {
                let len = e.len;
                let n = s.len().min(EARLY_LOG_LEN - len);
                e.buf[len..len + n].copy_from_slice(&s.as_bytes()[..n]);
                e.len += n;
            }
        }
        Ok(())
    }
}

/// The lines `klog!` wrote so far, one per line, for core's kernel log
/// to adopt (`Kernel::start_log`); later lines are no longer kept.
pub fn take_early_log() -> alloc::vec::Vec<u8> {
    let mut e = EARLY_LOG.lock();
    e.closed = true;
    e.buf[..e.len].to_vec()
}

/// Print to the kernel log (COM2); before core's log exists, the line is
/// also kept for it (see [`take_early_log`]).
#[macro_export]
macro_rules! klog {
    ($($arg:tt)*) => {{
        use core::fmt::Write as _;
        let _ = writeln!($crate::serial::KlogWriter, $($arg)*);
    }};
}
