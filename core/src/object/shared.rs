//! Kernel objects that several tasks can share.
//!
//! Linux keeps each shareable part of a task (`mm_struct`, `files_struct`,
//! `fs_struct`, `sighand_struct`, `signal_struct`) in its own refcounted
//! object, so that `clone` flags decide per part whether the child shares
//! the parent's object or gets a copy. Tine does the same with a table per
//! kind of object: a task names its objects by [`Handle`], and each object
//! counts its users. The last `put` hands the object back for tearing down.
//!
//! A handle is typed by the kind of object it names (`Handle<FdTable>` is
//! `FilesId`, `Handle<AddressSpace>` is `MmId`, ...), so that a files id
//! given where an mm id belongs does not compile, and a table only accepts
//! its own handles.

use alloc::boxed::Box;
use core::fmt;
use core::marker::PhantomData;

/// Names one live object in a [`SharedTable<T>`]. Copying a handle does not
/// take a reference: the table's `hold` and `put` count users.
pub struct Handle<T> {
    id: u32,
    /// `fn() -> T`: the handle names a `T` without owning one, and is
    /// Send/Sync/Copy whatever `T` is.
    kind: PhantomData<fn() -> T>,
}

impl<T> Handle<T> {
    /// A handle that names nothing: a task's parts before `copy_process`
    /// (or init) fills them in. No table hands it out.
    pub const UNSET: Self = Handle::from_raw(0);

    const fn from_raw(id: u32) -> Self {
        Handle { id, kind: PhantomData }
    }

    /// A handle made up by a unit test that needs some handle, not a live
    /// object.
    #[cfg(test)]
    pub const fn test(id: u32) -> Self {
        Handle::from_raw(id)
    }

    /// The number behind the handle, for messages and /proc.
    pub fn raw(self) -> u32 {
        self.id
    }

    pub fn is_unset(self) -> bool {
        self.id == 0
    }
}

// Derives would demand `T: Clone` etc.; a handle is a number whatever `T` is.
impl<T> Clone for Handle<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Handle<T> {}
impl<T> PartialEq for Handle<T> {
    fn eq(&self, o: &Self) -> bool {
        self.id == o.id
    }
}
impl<T> Eq for Handle<T> {}
impl<T> PartialOrd for Handle<T> {
    fn partial_cmp(&self, o: &Self) -> Option<core::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl<T> Ord for Handle<T> {
    fn cmp(&self, o: &Self) -> core::cmp::Ordering {
        self.id.cmp(&o.id)
    }
}
impl<T> core::hash::Hash for Handle<T> {
    fn hash<H: core::hash::Hasher>(&self, h: &mut H) {
        self.id.hash(h)
    }
}
impl<T> fmt::Debug for Handle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = core::any::type_name::<T>().rsplit("::").next().unwrap_or("?");
        write!(f, "Handle<{kind}>({})", self.id)
    }
}
impl<T> Default for Handle<T> {
    fn default() -> Self {
        Self::UNSET
    }
}

pub struct Shared<T> {
    pub users: u32,
    pub obj: T,
}

/// Handles are numbers below this, handed out in increasing order and
/// then again from 1 (skipping live ones), so that a stale handle is not
/// soon mistaken for a new object and the radix table stays small.
const ID_LIMIT: u32 = 1 << 24;

/// All the live objects of one kind, found in constant time: a radix
/// table by handle number, as the task table (`proc::table`), so that a
/// lookup costs the same with ten thousand processes as with three.
/// Objects are boxed: a large one (a sighand is 2 KiB) never moves.
pub struct SharedTable<T> {
    objs: super::table::TidTable<Shared<T>>,
    next: u32,
}

impl<T> Default for SharedTable<T> {
    fn default() -> Self {
        SharedTable { objs: Default::default(), next: 1 }
    }
}

impl<T> SharedTable<T> {
    /// Add a new object with one user.
    pub fn insert(&mut self, obj: T) -> Handle<T> {
        while self.next == 0 || self.next >= ID_LIMIT || self.objs.contains_key(&self.next) {
            self.next = if self.next >= ID_LIMIT { 1 } else { self.next + 1 };
        }
        let id = self.next;
        self.next += 1;
        self.objs.insert(id, Box::new(Shared { users: 1, obj }));
        Handle::from_raw(id)
    }

    #[track_caller]
    pub fn get(&self, h: Handle<T>) -> &T {
        &self.objs.get(&h.id).expect("live shared object").obj
    }

    #[track_caller]
    pub fn get_mut(&mut self, h: Handle<T>) -> &mut T {
        &mut self.objs.get_mut(&h.id).expect("live shared object").obj
    }

    /// The object, if it is still alive (for references that may outlive
    /// it, such as a deadline queued for a process that has gone).
    pub fn try_get(&self, h: Handle<T>) -> Option<&T> {
        self.objs.get(&h.id).map(|e| &e.obj)
    }

    pub fn try_get_mut(&mut self, h: Handle<T>) -> Option<&mut T> {
        self.objs.get_mut(&h.id).map(|e| &mut e.obj)
    }

    /// The handle whose number is `raw`, if it names a live object (for
    /// references kept as numbers, such as an open /proc/PID/ns file).
    pub fn handle_of(&self, raw: u32) -> Option<Handle<T>> {
        self.objs.contains_key(&raw).then_some(Handle::from_raw(raw))
    }

    /// One more task uses the object (Linux: e.g. `refcount_inc(&fs->users)`).
    #[track_caller]
    pub fn hold(&mut self, h: Handle<T>) {
        self.objs.get_mut(&h.id).expect("live shared object").users += 1;
    }

    /// One task stops using the object; the last one gets it back to tear
    /// down. Callers outside the kernel's `put_*` teardown functions want
    /// `Kernel::put`, which also tears down.
    #[must_use = "the last user must release the object's resources"]
    #[track_caller]
    pub fn put(&mut self, h: Handle<T>) -> Option<T> {
        let e = self.objs.get_mut(&h.id).expect("live shared object");
        e.users -= 1;
        if e.users == 0 {
            self.objs.remove(&h.id).map(|e| e.obj)
        } else {
            None
        }
    }

    pub fn users(&self, h: Handle<T>) -> u32 {
        self.objs.get(&h.id).map_or(0, |e| e.users)
    }

    pub fn len(&self) -> usize {
        self.objs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.objs.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (Handle<T>, &T)> {
        self.objs.iter().map(|(id, e)| (Handle::from_raw(id), &e.obj))
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

    #[test]
    fn unset_is_never_handed_out() {
        let mut t = SharedTable { next: ID_LIMIT - 1, ..Default::default() };
        let a = t.insert(1u8);
        let b = t.insert(2u8);
        assert!(!a.is_unset() && !b.is_unset());
        assert_eq!(t.try_get(Handle::UNSET), None);
    }
}
