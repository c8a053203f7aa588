//! Sockets. Only the local family, AF_UNIX (`unix`): Tine has no network
//! device.

pub mod unix;
mod unix_gc;
