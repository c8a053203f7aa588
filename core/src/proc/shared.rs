//! Kernel objects that several tasks can share.
//!
//! Linux keeps each shareable part of a task (`mm_struct`, `files_struct`,
//! `fs_struct`, `sighand_struct`, `signal_struct`) in its own refcounted
//! object, so that `clone` flags decide per part whether the child shares
//! the parent's object or gets a copy. Tine does the same with a table per
//! kind of object: a task names its objects by id, and each object counts
//! its users. The last `put` hands the object back for tearing down.

use alloc::boxed::Box;
use alloc::collections::BTreeMap;

/// Id of an object in a [`SharedTable`].
pub type ObjId = u32;

pub struct Shared<T> {
    pub users: u32,
    pub obj: T,
}

/// All the live objects of one kind.
pub struct SharedTable<T> {
    /// Boxed, so that large objects (a sighand is 2 KiB) are not moved
    /// around on the 16 KiB kernel stack when the map rebalances.
    objs: BTreeMap<ObjId, Box<Shared<T>>>,
    next: ObjId,
}

impl<T> Default for SharedTable<T> {
    fn default() -> Self {
        SharedTable { objs: BTreeMap::new(), next: 1 }
    }
}

impl<T> SharedTable<T> {
    /// Add a new object with one user.
    pub fn insert(&mut self, obj: T) -> ObjId {
        while self.objs.contains_key(&self.next) || self.next == 0 {
            self.next = self.next.wrapping_add(1);
        }
        let id = self.next;
        self.next = self.next.wrapping_add(1);
        self.objs.insert(id, Box::new(Shared { users: 1, obj }));
        id
    }

    #[track_caller]
    pub fn get(&self, id: ObjId) -> &T {
        &self.objs.get(&id).expect("live shared object").obj
    }

    #[track_caller]
    pub fn get_mut(&mut self, id: ObjId) -> &mut T {
        &mut self.objs.get_mut(&id).expect("live shared object").obj
    }

    /// The object, if it is still alive (for references that may outlive
    /// it, such as a deadline queued for a process that has gone).
    pub fn try_get(&self, id: ObjId) -> Option<&T> {
        self.objs.get(&id).map(|e| &e.obj)
    }

    /// One more task uses the object (Linux: e.g. `refcount_inc(&fs->users)`).
    #[track_caller]
    pub fn hold(&mut self, id: ObjId) {
        self.objs.get_mut(&id).expect("live shared object").users += 1;
    }

    /// One task stops using the object; the last one gets it back to tear down.
    #[must_use = "the last user must release the object's resources"]
    #[track_caller]
    pub fn put(&mut self, id: ObjId) -> Option<T> {
        let e = self.objs.get_mut(&id).expect("live shared object");
        e.users -= 1;
        if e.users == 0 {
            self.objs.remove(&id).map(|e| e.obj)
        } else {
            None
        }
    }

    pub fn users(&self, id: ObjId) -> u32 {
        self.objs.get(&id).map_or(0, |e| e.users)
    }

    pub fn len(&self) -> usize {
        self.objs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.objs.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (ObjId, &T)> {
        self.objs.iter().map(|(id, e)| (*id, &e.obj))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_put_returns_the_object() {
        let mut t = SharedTable::default();
        let id = t.insert(7u32);
        t.hold(id);
        assert_eq!(t.users(id), 2);
        assert_eq!(t.put(id), None);
        assert_eq!(t.put(id), Some(7));
        assert!(t.is_empty());
    }
}
