#![no_std]
#![no_main]
#![forbid(unsafe_code)]
extern crate alloc;
use tine_hal::{klog, BootInfo};

tine_hal::kernel_main!(main);

fn main(info: BootInfo) -> ! {
    klog!("tine: main, {} free regions", info.free.len());
    tine_hal::qemu::exit(0)
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    klog!("KERNEL PANIC: {}", info);
    tine_hal::qemu::exit(tine_hal::qemu::EXIT_PANIC)
}
