//! System V IPC (Linux: ipc/): shared memory segments for now.

pub mod shm;
