//! Linux's user-visible numbers and structures for x86_64: no logic here.
mod regs;
pub use regs::*;
