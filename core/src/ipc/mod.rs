//! System V IPC (Linux: ipc/): shared memory segments, semaphore sets
//! and message queues, with the identity and permissions they share
//! (`util`).

pub mod msg;
pub mod sem;
pub mod shm;
pub mod util;

/// The System V IPC room: shared memory segments, semaphore sets and
/// message queues (one IPC namespace).
pub struct Ipc {
    /// System V shared memory segments (one IPC namespace).
    pub shm: shm::ShmTable,
    /// System V semaphore sets and undo lists (`ipc::sem`).
    pub sem: sem::SemTable,
    /// System V message queues (`ipc::msg`).
    pub msg: msg::MsgTable,
}
