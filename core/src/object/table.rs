//! Boxed values by a small number: every task by TID (`proc::TaskTable`),
//! and every shared part of a task by its handle (`object::shared`), found
//! in constant time.
//!
//! Linux finds a task from a number through the PID's IDR (a radix tree)
//! and keeps `current` as a pointer, so neither `getppid` nor `kill` gets
//! slower as processes are added. This is the same idea in its simplest
//! form: a two-level radix table indexed by the TID's bits, 1,024 slots a
//! chunk, a chunk allocated when its first TID is used and freed when its
//! last goes. A lookup is two array indexings; a walk over every task
//! (`/proc`'s listing) visits the chunks in use in TID order.
//!
//! Tasks are boxed so that a task never moves: the context switch saves
//! its stack pointer straight into `Task::ksp`.

use alloc::boxed::Box;
use alloc::vec::Vec;

/// The number a table is indexed by: a TID or a handle's id.
type Id = u32;

const CHUNK_BITS: u32 = 10;
const CHUNK: usize = 1 << CHUNK_BITS;

struct Chunk<T> {
    slots: [Option<Box<T>>; CHUNK],
    used: usize,
}

/// Boxed values by a small number (a TID, a handle).
pub struct TidTable<T> {
    chunks: Vec<Option<Box<Chunk<T>>>>,
    len: usize,
}

impl<T> Default for TidTable<T> {
    fn default() -> Self {
        TidTable { chunks: Vec::new(), len: 0 }
    }
}

fn split(tid: Id) -> (usize, usize) {
    ((tid >> CHUNK_BITS) as usize, tid as usize & (CHUNK - 1))
}

impl<T> TidTable<T> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn get(&self, tid: &Id) -> Option<&T> {
        let (c, s) = split(*tid);
        self.chunks.get(c)?.as_ref()?.slots[s].as_deref()
    }

    pub fn get_mut(&mut self, tid: &Id) -> Option<&mut T> {
        let (c, s) = split(*tid);
        self.chunks.get_mut(c)?.as_mut()?.slots[s].as_deref_mut()
    }

    pub fn contains_key(&self, tid: &Id) -> bool {
        self.get(tid).is_some()
    }

    /// Add `task` as `tid`, returning the task that had the number.
    pub fn insert(&mut self, tid: Id, task: Box<T>) -> Option<Box<T>> {
        let (c, s) = split(tid);
        if self.chunks.len() <= c {
            self.chunks.resize_with(c + 1, || None);
        }
        let chunk = self.chunks[c].get_or_insert_with(|| Box::new(Chunk { slots: [const { None }; CHUNK], used: 0 }));
        let old = chunk.slots[s].replace(task);
        if old.is_none() {
            chunk.used += 1;
            self.len += 1;
        }
        old
    }

    pub fn remove(&mut self, tid: &Id) -> Option<Box<T>> {
        let (c, s) = split(*tid);
        let chunk = self.chunks.get_mut(c)?.as_mut()?;
        let old = chunk.slots[s].take()?;
        chunk.used -= 1;
        self.len -= 1;
        if chunk.used == 0 {
            self.chunks[c] = None;
        }
        Some(old)
    }

    /// Every TID in use and its value, in TID order.
    pub fn iter(&self) -> impl Iterator<Item = (Id, &T)> + '_ {
        self.chunks.iter().enumerate().filter_map(|(c, chunk)| Some((c, chunk.as_ref()?))).flat_map(|(c, chunk)| {
            let base = (c << CHUNK_BITS) as Id;
            chunk.slots.iter().enumerate().filter_map(move |(s, v)| Some((base + s as Id, &**v.as_ref()?)))
        })
    }

    /// Every value, in TID order.
    pub fn values(&self) -> impl Iterator<Item = &T> + '_ {
        self.iter().map(|(_, v)| v)
    }

    /// Every TID in use, in order.
    pub fn keys(&self) -> impl Iterator<Item = Id> + '_ {
        self.iter().map(|(tid, _)| tid)
    }
}

impl<T> core::ops::Index<&Id> for TidTable<T> {
    type Output = T;

    #[track_caller]
    fn index(&self, tid: &Id) -> &T {
        self.get(tid).expect("nothing with this number in the table")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(tid: Id) -> Box<u64> {
        Box::new(tid as u64 * 10)
    }

    #[test]
    fn insert_find_remove_in_tid_order() {
        let mut t = TidTable::new();
        for tid in [4_000_000, 1, 1025, 300, 1024] {
            assert!(t.insert(tid, task(tid)).is_none());
        }
        assert_eq!(t.len(), 5);
        assert_eq!(t.keys().collect::<Vec<_>>(), [1, 300, 1024, 1025, 4_000_000]);
        assert_eq!(t[&1025], 10250);
        assert!(t.get(&2).is_none() && t.get(&5_000_000).is_none());
        *t.get_mut(&300).unwrap() = 7;
        assert_eq!(t[&300], 7);
        assert_eq!(t.remove(&1024).map(|x| *x), Some(10240));
        assert!(t.remove(&1024).is_none());
        // The chunk of 1024..2047 is still there for 1025, then goes.
        assert_eq!(t.remove(&1025).map(|x| *x), Some(10250));
        assert!(t.chunks[1].is_none());
        assert_eq!(t.keys().collect::<Vec<_>>(), [1, 300, 4_000_000]);
        assert_eq!(t.len(), 3);
    }
}
