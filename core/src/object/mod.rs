//! Kernel objects by number: the tables that find a task by TID and a
//! task's shareable parts by typed handle, in constant time whatever the
//! number of processes. Generic, so that every subsystem can own one
//! without importing another (`mm` keeps the address spaces in a
//! `SharedTable` without depending on `proc`).

pub mod shared;
pub mod table;
