//! Leaving QEMU: the `isa-debug-exit` device turns a write of `v` to port
//! 0xf4 into QEMU's exit status `(v << 1) | 1`.

use x86_64::instructions::port::Port;

/// Exit value for a clean shutdown (QEMU exits 1).
pub const EXIT_OK: u32 = 0;
/// Exit value for a kernel panic (QEMU exits 0x7f << 1 | 1 = 255).
pub const EXIT_PANIC: u32 = 0x7f;

pub fn exit(value: u32) -> ! {
    // SAFETY: port 0xf4 is QEMU's debug-exit device; writing it ends the VM.
    unsafe { Port::new(0xf4).write(value) };
    // Without the device (another machine), stop here.
    loop {
        x86_64::instructions::interrupts::disable();
        x86_64::instructions::hlt();
    }
}
