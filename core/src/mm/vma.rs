//! Virtual memory areas (Linux: `struct vm_area_struct`, and the VMA tree
//! operations of mm/mmap.c and mm/vma.c: find_vma, split_vma, vma_merge,
//! unmapped_area{,_topdown}).

use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use bitflags::bitflags;

use super::consts::{PAGE_SIZE, PROT_EXEC, PROT_READ, PROT_WRITE, STACK_GUARD_GAP};

bitflags! {
    /// Access a mapping allows. Linux: VM_READ / VM_WRITE / VM_EXEC, which
    /// have the PROT_* values.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct Prot: u32 {
        const READ = PROT_READ;
        const WRITE = PROT_WRITE;
        const EXEC = PROT_EXEC;
    }
}

impl Prot {
    /// RW for data, RX for text...
    pub const RW: Prot = Prot::READ.union(Prot::WRITE);

    /// Linux: vma_is_accessible(). On x86 any access right implies read:
    /// the hardware has no write-only or (without PKU) execute-only pages.
    pub fn is_accessible(self) -> bool {
        !self.is_empty()
    }
}

bitflags! {
    /// Mapping properties other than access. Linux: the other VM_* flags.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
    pub struct VmFlags: u32 {
        /// MAP_SHARED: writes are seen by every process mapping the pages;
        /// fork shares rather than copies. Linux: VM_SHARED.
        const SHARED = 1 << 0;
        /// Not backed by a file (MAP_ANONYMOUS, brk, stack).
        const ANONYMOUS = 1 << 1;
        /// A stack: a fault just below it grows it. Linux: VM_GROWSDOWN.
        const GROWSDOWN = 1 << 2;
        /// madvise(MADV_DONTFORK): not copied into a child. Linux: VM_DONTCOPY.
        const DONTFORK = 1 << 3;
        /// madvise(MADV_WIPEONFORK): the child gets fresh zero pages.
        const WIPEONFORK = 1 << 4;
        /// The mapping may never become writable: a MAP_SHARED mapping of
        /// a file descriptor not open for writing. Linux: VM_MAYWRITE
        /// clear (Tine keeps the inverse so that the usual case is empty).
        const NO_MAYWRITE = 1 << 5;
        /// mlock(), mlockall() or MAP_LOCKED: the pages stay in memory
        /// and count in VmLck. Linux: VM_LOCKED.
        const LOCKED = 1 << 6;
        /// mlock2(MLOCK_ONFAULT) / MCL_ONFAULT: locked as they are
        /// faulted in, not populated up front. Linux: VM_LOCKONFAULT.
        const LOCKONFAULT = 1 << 7;
        /// Private writable memory counted in the overcommit total
        /// (`mm::commit`); given back when the pages go. Linux: VM_ACCOUNT.
        const ACCOUNT = 1 << 8;
        /// MAP_NORESERVE under a lenient overcommit policy: never
        /// counted, even when made writable later. Linux: VM_NORESERVE.
        const NORESERVE = 1 << 9;
        /// Mapped through a descriptor open for writing: like Linux's
        /// vm_file of such a descriptor, the mapping keeps the file's
        /// write access, so that it cannot be executed (ETXTBSY) while
        /// the mapping lasts, whatever the mapping's own protection.
        const WRITER = 1 << 10;
        /// A mapping the kernel installs itself ([vdso], [vvar]): never
        /// locked, never grown by mremap. Linux: VM_SPECIAL
        /// (VM_DONTEXPAND of install_special_mapping()).
        const SPECIAL = 1 << 11;
        /// The mapping may never become executable: a file from a noexec
        /// mount. Linux: VM_MAYEXEC clear (path_noexec() in do_mmap()).
        const NO_MAYEXEC = 1 << 12;
    }
}

/// What backs a mapping that is not plain anonymous memory: an object in
/// the page cache and the page of it the mapping starts at. Linux: the
/// `vm_file` and `vm_pgoff` of a VMA.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct VmFile {
    /// The page-cache key: an inode number for a file, or the id of the
    /// anonymous shared-memory object behind MAP_SHARED | MAP_ANONYMOUS
    /// (see [`crate::mm::pagecache`]).
    pub ino: u64,
    /// The page of the object at the VMA's start. Linux: vm_pgoff.
    pub pgoff: u64,
}

/// One mapping `[start, end)`, page aligned. Linux: `vm_area_struct`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Vma {
    pub start: u64,
    pub end: u64,
    pub prot: Prot,
    pub flags: VmFlags,
    /// The object mapped, if any; `None` for private anonymous memory.
    pub file: Option<VmFile>,
}

impl Vma {
    /// Size in bytes (never 0).
    pub fn size(&self) -> u64 {
        self.end - self.start
    }

    pub fn contains(&self, addr: u64) -> bool {
        self.start <= addr && addr < self.end
    }

    pub fn is_shared(&self) -> bool {
        self.flags.contains(VmFlags::SHARED)
    }

    /// The page of the backing object that `va` (inside the VMA) maps.
    /// Linux: linear_page_index().
    pub fn page_index(&self, va: u64) -> Option<u64> {
        self.file.map(|f| f.pgoff + (va - self.start) / PAGE_SIZE)
    }

    /// The backing object's key, if any.
    pub fn file_key(&self) -> Option<u64> {
        self.file.map(|f| f.ino)
    }

    /// Linux: vm_start_gap(). Nothing may be placed within the guard gap
    /// below a stack, so that it can grow and still hit a guard.
    pub fn start_gap(&self) -> u64 {
        if self.flags.contains(VmFlags::GROWSDOWN) {
            self.start.saturating_sub(STACK_GUARD_GAP)
        } else {
            self.start
        }
    }

    /// Whether `next`, starting where this ends, can join it into one VMA:
    /// same rights and flags, and the same object at contiguous offsets.
    /// Linux: can_vma_merge_after().
    fn can_merge(&self, next: &Vma) -> bool {
        let file_ok = match (self.file, next.file) {
            (None, None) => true,
            (Some(a), Some(b)) => a.ino == b.ino && a.pgoff + self.size() / PAGE_SIZE == b.pgoff,
            _ => false,
        };
        self.end == next.start && self.prot == next.prot && self.flags == next.flags && file_ok
    }
}

/// The VMAs of one address space, keyed by start address, never
/// overlapping. Linux: the mm's maple tree.
#[derive(Clone, Default, Debug)]
pub struct VmaMap {
    map: BTreeMap<u64, Vma>,
}

impl VmaMap {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Vma> + '_ {
        self.map.values()
    }

    /// The VMA containing `addr`.
    pub fn find(&self, addr: u64) -> Option<&Vma> {
        self.map.range(..=addr).next_back().map(|(_, v)| v).filter(|v| v.contains(addr))
    }

    /// The first VMA ending above `addr` (it may start above it).
    /// Linux: find_vma().
    pub fn find_from(&self, addr: u64) -> Option<&Vma> {
        self.find(addr).or_else(|| self.map.range(addr..).next().map(|(_, v)| v))
    }

    /// The last VMA starting below `addr`. Linux: find_vma_prev()'s prev.
    pub fn prev(&self, addr: u64) -> Option<&Vma> {
        self.map.range(..addr).next_back().map(|(_, v)| v)
    }

    /// VMAs overlapping `[start, end)`, in order.
    pub fn overlapping(&self, start: u64, end: u64) -> impl Iterator<Item = &Vma> + '_ {
        let first = self.find(start).map_or(start, |v| v.start);
        self.map.range(first..end).map(|(_, v)| v).filter(move |v| v.end > start)
    }

    /// Linux: find_vma_intersection().
    pub fn intersects(&self, start: u64, end: u64) -> bool {
        self.overlapping(start, end).next().is_some()
    }

    /// Split the VMA containing `addr` (if any, and if `addr` is inside it)
    /// into `[start, addr)` and `[addr, end)`. Linux: split_vma().
    pub fn split_at(&mut self, addr: u64) {
        if let Some(v) = self.find(addr).copied() {
            if v.start < addr {
                self.map.get_mut(&v.start).unwrap().end = addr;
                let file = v.file.map(|f| VmFile { pgoff: f.pgoff + (addr - v.start) / PAGE_SIZE, ..f });
                self.map.insert(addr, Vma { start: addr, file, ..v });
            }
        }
    }

    /// Remove and return everything in `[start, end)`, splitting VMAs that
    /// straddle either end.
    pub fn remove_range(&mut self, start: u64, end: u64) -> Vec<Vma> {
        self.split_at(start);
        self.split_at(end);
        let keys: Vec<u64> = self.map.range(start..end).map(|(&k, _)| k).collect();
        keys.into_iter().map(|k| self.map.remove(&k).unwrap()).collect()
    }

    /// Add a VMA over free space and merge it with compatible neighbours.
    /// Linux: vma_merge_new_range() / vma_link().
    pub fn insert(&mut self, vma: Vma) {
        debug_assert!(vma.start < vma.end);
        assert!(!self.intersects(vma.start, vma.end), "VMA {vma:?} overlaps an existing one");
        self.map.insert(vma.start, vma);
        self.merge_at(vma.end);
        self.merge_at(vma.start);
    }

    /// Add a VMA without merging (fork copies an already merged layout).
    pub fn insert_unmerged(&mut self, vma: Vma) {
        debug_assert!(!self.intersects(vma.start, vma.end));
        self.map.insert(vma.start, vma);
    }

    /// Apply `f` to every VMA inside `[start, end)`, after splitting at both
    /// ends, then merge what became compatible. Linux: mprotect_fixup()'s
    /// split/modify/merge sequence.
    pub fn update(&mut self, start: u64, end: u64, mut f: impl FnMut(&mut Vma)) {
        self.split_at(start);
        self.split_at(end);
        for (_, v) in self.map.range_mut(start..end) {
            f(v);
        }
        let starts: Vec<u64> = self.map.range(start..end).map(|(&k, _)| k).collect();
        self.merge_at(end);
        for s in starts.into_iter().rev() {
            self.merge_at(s);
        }
    }

    /// Move the start of the VMA at `old_start` down to `new_start` (stack
    /// growth). Linux: expand_downwards().
    pub fn extend_down(&mut self, old_start: u64, new_start: u64) {
        let mut v = self.map.remove(&old_start).expect("no VMA to extend");
        debug_assert!(new_start < v.start && !self.intersects(new_start, v.start));
        debug_assert!(v.file.is_none(), "only anonymous stacks grow");
        v.start = new_start;
        self.map.insert(new_start, v);
    }

    /// Join the VMA ending at `addr` with the one starting there, if they
    /// are compatible.
    fn merge_at(&mut self, addr: u64) {
        let Some(prev) = self.prev(addr).copied() else { return };
        let Some(next) = self.map.get(&addr).copied() else { return };
        if prev.can_merge(&next) {
            self.map.remove(&addr);
            self.map.get_mut(&prev.start).unwrap().end = next.end;
        }
    }

    /// Whether `[addr, addr + len)` is free, guard gaps included.
    pub fn is_free(&self, addr: u64, len: u64) -> bool {
        let end = addr + len;
        let below_ok = self.prev(end).is_none_or(|p| p.end <= addr);
        let above_ok = self.find_from(addr).is_none_or(|n| end <= n.start_gap());
        below_ok && above_ok
    }

    /// The highest `len`-byte free gap in `[low, high)`; returns its start.
    /// Linux: unmapped_area_topdown(), as a linear scan instead of an
    /// augmented tree.
    pub fn gap_topdown(&self, len: u64, low: u64, high: u64) -> Option<u64> {
        // A stack starting at or above `high` may still claim a guard gap
        // below it.
        let mut ceiling = self.map.range(high..).next().map_or(high, |(_, n)| high.min(n.start_gap()));
        for v in self.map.range(..high).rev().map(|(_, v)| v) {
            // The gap between `v` and whatever lies above it.
            if let Some(addr) = ceiling.checked_sub(len) {
                if addr >= v.end && addr >= low {
                    return Some(addr);
                }
            }
            ceiling = ceiling.min(v.start_gap());
            if ceiling < low.saturating_add(len) {
                return None;
            }
        }
        ceiling.checked_sub(len).filter(|&a| a >= low)
    }

    /// The lowest `len`-byte free gap in `[low, high)`. Linux: unmapped_area().
    pub fn gap_bottomup(&self, len: u64, low: u64, high: u64) -> Option<u64> {
        let mut floor = low;
        for v in self.map.values() {
            if v.end <= floor {
                continue;
            }
            if floor.checked_add(len).is_some_and(|e| e <= v.start_gap() && e <= high) {
                return Some(floor);
            }
            floor = floor.max(v.end);
            if floor >= high {
                return None;
            }
        }
        floor.checked_add(len).filter(|&e| e <= high).map(|_| floor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec;

    const P: u64 = PAGE_SIZE;

    fn anon(start: u64, end: u64, prot: Prot) -> Vma {
        Vma { start, end, prot, flags: VmFlags::ANONYMOUS, file: None }
    }

    fn layout(m: &VmaMap) -> Vec<(u64, u64, Prot)> {
        m.iter().map(|v| (v.start, v.end, v.prot)).collect()
    }

    #[test]
    fn insert_merges_compatible_neighbours_only() {
        let mut m = VmaMap::new();
        m.insert(anon(10 * P, 20 * P, Prot::RW));
        m.insert(anon(30 * P, 40 * P, Prot::RW));
        m.insert(anon(20 * P, 30 * P, Prot::RW));
        assert_eq!(layout(&m), vec![(10 * P, 40 * P, Prot::RW)]);
        m.insert(anon(40 * P, 41 * P, Prot::READ));
        assert_eq!(m.len(), 2);
        assert_eq!(m.find(40 * P).unwrap().prot, Prot::READ);
        assert!(m.find(41 * P).is_none());
        assert_eq!(m.find_from(41 * P), None);
        assert_eq!(m.find_from(5 * P).unwrap().start, 10 * P);
    }

    #[test]
    fn remove_and_update_split() {
        let mut m = VmaMap::new();
        m.insert(anon(10 * P, 20 * P, Prot::RW));
        let removed = m.remove_range(12 * P, 14 * P);
        assert_eq!(removed, vec![anon(12 * P, 14 * P, Prot::RW)]);
        assert_eq!(layout(&m), vec![(10 * P, 12 * P, Prot::RW), (14 * P, 20 * P, Prot::RW)]);
        m.update(15 * P, 16 * P, |v| v.prot = Prot::READ);
        assert_eq!(
            layout(&m),
            vec![
                (10 * P, 12 * P, Prot::RW),
                (14 * P, 15 * P, Prot::RW),
                (15 * P, 16 * P, Prot::READ),
                (16 * P, 20 * P, Prot::RW)
            ]
        );
        // Changing it back merges the three pieces again.
        m.update(15 * P, 16 * P, |v| v.prot = Prot::RW);
        assert_eq!(layout(&m), vec![(10 * P, 12 * P, Prot::RW), (14 * P, 20 * P, Prot::RW)]);
        assert!(m.intersects(11 * P, 13 * P) && !m.intersects(12 * P, 14 * P));
    }

    #[test]
    fn file_vmas_split_with_offsets_and_merge_only_when_contiguous() {
        let file = |start: u64, end: u64, pgoff: u64| Vma {
            start,
            end,
            prot: Prot::READ,
            flags: VmFlags::empty(),
            file: Some(VmFile { ino: 7, pgoff }),
        };
        let mut m = VmaMap::new();
        m.insert(file(10 * P, 20 * P, 100));
        m.split_at(13 * P);
        assert_eq!(m.find(15 * P).unwrap().file, Some(VmFile { ino: 7, pgoff: 103 }));
        assert_eq!(m.find(15 * P).unwrap().page_index(15 * P), Some(105));
        m.update(10 * P, 20 * P, |_| {});
        assert_eq!(m.len(), 1, "contiguous pieces of one file merge back");
        // The same file at a different offset, or another file, does not.
        m.insert(file(20 * P, 21 * P, 0));
        m.insert(Vma { file: Some(VmFile { ino: 8, pgoff: 111 }), ..file(21 * P, 22 * P, 0) });
        m.insert(file(9 * P, 10 * P, 99));
        assert_eq!(m.len(), 3);
        assert_eq!(m.find(9 * P).unwrap().end, 20 * P);
        assert!(!anon(22 * P, 23 * P, Prot::READ).can_merge(&file(23 * P, 24 * P, 0)));
    }

    #[test]
    fn gap_searches() {
        let mut m = VmaMap::new();
        m.insert(anon(100 * P, 110 * P, Prot::RW));
        m.insert(anon(115 * P, 120 * P, Prot::READ));
        assert_eq!(m.gap_topdown(5 * P, 0, 130 * P), Some(125 * P));
        assert_eq!(m.gap_topdown(5 * P, 0, 120 * P), Some(110 * P));
        assert_eq!(m.gap_topdown(6 * P, 0, 120 * P), Some(94 * P));
        assert_eq!(m.gap_topdown(6 * P, 95 * P, 120 * P), None);
        assert_eq!(m.gap_bottomup(5 * P, 100 * P, 200 * P), Some(110 * P));
        assert_eq!(m.gap_bottomup(6 * P, 100 * P, 200 * P), Some(120 * P));
        assert_eq!(m.gap_bottomup(6 * P, 100 * P, 125 * P), None);
        assert!(m.is_free(110 * P, 5 * P) && !m.is_free(110 * P, 6 * P));
    }

    #[test]
    fn stack_guard_gap_is_kept_free() {
        let mut m = VmaMap::new();
        let top = 1000 * P;
        m.insert(Vma {
            start: top - 10 * P,
            end: top,
            prot: Prot::RW,
            flags: VmFlags::ANONYMOUS | VmFlags::GROWSDOWN,
            file: None,
        });
        let below = top - 10 * P - STACK_GUARD_GAP;
        assert_eq!(m.gap_topdown(P, 0, top), Some(below - P));
        assert_eq!(m.gap_topdown(P, 0, top - 12 * P), Some(below - P), "stack above the search window");
        assert!(!m.is_free(below, P) && m.is_free(below - P, P));
    }
}
