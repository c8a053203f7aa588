//! Linux's user-visible numbers and structures for x86_64: no logic here.
mod clone;
mod errno;
mod misc;
pub mod nr;
mod poll;
mod regs;
mod sigset;
mod stat;
mod termios;
pub use clone::*;
pub use errno::*;
pub use misc::*;
pub use poll::*;
pub use regs::*;
pub use sigset::*;
pub use stat::*;
pub use termios::*;
