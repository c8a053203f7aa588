//! System V IPC (Linux: ipc/): shared memory segments, semaphore sets
//! and message queues, with the identity and permissions they share
//! (`util`).

pub mod msg;
pub mod ns;
pub mod sem;
pub mod shm;
pub mod util;

/// The System V IPC room: shared memory segments, semaphore sets and
/// message queues (one IPC namespace).
#[derive(Default)]
pub struct Ipc {
    /// System V shared memory segments (one IPC namespace).
    shm: shm::ShmTable,
    /// System V semaphore sets and undo lists (`ipc::sem`).
    sem: sem::SemTable,
    /// System V message queues (`ipc::msg`).
    msg: msg::MsgTable,
}

/// What the rest of the kernel reaches of this room: each table (itself a
/// type with private state), and the settings it reads or sets.
impl Ipc {
    pub fn sem(&self) -> &sem::SemTable {
        &self.sem
    }

    pub fn sem_mut(&mut self) -> &mut sem::SemTable {
        &mut self.sem
    }

    pub fn msg(&self) -> &msg::MsgTable {
        &self.msg
    }

    pub fn msg_mut(&mut self) -> &mut msg::MsgTable {
        &mut self.msg
    }
}
