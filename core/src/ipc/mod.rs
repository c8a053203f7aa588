//! System V IPC (Linux: ipc/): shared memory segments, semaphore sets
//! and message queues, with the identity and permissions they share
//! (`util`).

pub mod msg;
pub mod ns;
pub mod sem;
pub mod shm;
pub mod util;
