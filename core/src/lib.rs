//! Tine's kernel proper: processes, memory, files and system calls, written
//! without `unsafe` and without touching hardware, so that it can be read
//! next to Linux and tested on the host. `tine-hal` supplies the machine
//! through the traits in [`machine`].
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(test)]
extern crate std;

pub mod abi;
pub mod acpi;
pub mod cpufeature;
pub mod cpumask;
pub mod entry;
pub mod fs;
pub mod hashmap;
pub mod ipc;
pub mod kernel;
pub mod log;
pub mod machine;
pub mod mm;
pub mod net;
pub mod ns;
pub mod object;
pub mod proc;
pub mod signal;
pub mod syscall;
#[cfg(test)]
pub mod testkit;
pub mod time;
pub mod trace;
