//! The hash map for tables that hot paths look up by number or key (open
//! file descriptions, pipes, wait queues).
//!
//! Linux reaches these objects through pointers (`fdtable` to `struct
//! file`, `file` to `pipe_inode_info` and its wait queues), so finding one
//! costs the same however many exist. Tine names them by number, and a
//! B-tree's lookup grows a level deeper as entries are added: the pipe
//! round trip cost 11% more with a thousand processes alive than with
//! none, from a few more open files. A hash map's lookup does not grow.
//!
//! The hasher is foldhash's with a fixed seed, so that the same lookups
//! execute the same instructions on every boot (`bench --icount`).

/// A hash map with the kernel's fixed hasher.
pub type HashMap<K, V> = hashbrown::HashMap<K, V, foldhash::fast::FixedState>;
