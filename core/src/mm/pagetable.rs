//! x86_64 four-level page tables in the hardware format (Linux:
//! arch/x86/include/asm/pgtable_types.h for the bits, mm/memory.c and
//! mm/pgtable-generic.c for the walkers).
//!
//! Tables live in ordinary frames from the [`FrameAllocator`] and are only
//! ever touched through [`PhysMem::read_u64`]/[`PhysMem::write_u64`], so
//! the same code drives the real MMU and the host tests. User memory is
//! always mapped with 4 KiB leaves; the upper half of every root (PML4
//! entries 256..512) is the kernel's, copied from the kernel root and never
//! modified or freed here. A leaf table may be shared by several trees
//! after fork, reached read-only from each ([`super::ptshare`]); freeing
//! such a table ([`free_table`]) only drops one tree's reference.

use bitflags::bitflags;
use core::fmt;

use super::consts::PAGE_SIZE;
use super::frame::{FrameAllocator, FrameFlags};
use super::tlb::TlbGather;
use crate::abi::{Errno, ENOMEM};
use crate::machine::PhysMem;

bitflags! {
    /// Page-table entry bits. Linux: `_PAGE_*`.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct PteFlags: u64 {
        const PRESENT = 1 << 0;
        const WRITABLE = 1 << 1;
        const USER = 1 << 2;
        const PWT = 1 << 3;
        const PCD = 1 << 4;
        const ACCESSED = 1 << 5;
        const DIRTY = 1 << 6;
        /// PS: a 2 MiB / 1 GiB leaf at the PD / PDPT level. Never used for
        /// user memory.
        const HUGE = 1 << 7;
        const GLOBAL = 1 << 8;
        const NO_EXECUTE = 1 << 63;
    }
}

impl PteFlags {
    /// Linux: `_PAGE_PROTNONE`. A PROT_NONE page keeps its frame but must
    /// fault on every access, so its PTE has PRESENT clear and this bit set;
    /// like Linux it reuses the GLOBAL bit, which the hardware ignores in a
    /// non-present entry.
    pub const PROTNONE: PteFlags = PteFlags::GLOBAL;
    /// What an entry pointing at a lower-level table carries: the leaf
    /// decides the real permissions.
    pub const TABLE: PteFlags = PteFlags::PRESENT.union(PteFlags::WRITABLE).union(PteFlags::USER);
}

/// One 64-bit page-table entry. Linux: `pte_t` (and `pgd_t`..`pmd_t`, which
/// share the format).
#[derive(Clone, Copy, Default, PartialEq, Eq)]
#[repr(transparent)]
pub struct Pte(u64);

impl Pte {
    /// Physical-address bits 12..52.
    pub const ADDR_MASK: u64 = 0x000f_ffff_ffff_f000;

    pub const fn empty() -> Pte {
        Pte(0)
    }

    pub fn new(pa: u64, flags: PteFlags) -> Pte {
        debug_assert_eq!(pa & !Self::ADDR_MASK, 0, "bad frame address {pa:#x}");
        Pte(pa | flags.bits())
    }

    pub const fn from_bits(raw: u64) -> Pte {
        Pte(raw)
    }

    pub const fn bits(self) -> u64 {
        self.0
    }

    pub fn addr(self) -> u64 {
        self.0 & Self::ADDR_MASK
    }

    pub fn flags(self) -> PteFlags {
        PteFlags::from_bits_retain(self.0 & !Self::ADDR_MASK)
    }

    pub fn with_flags(self, flags: PteFlags) -> Pte {
        Pte::new(self.addr(), flags)
    }

    pub fn set(self, flags: PteFlags) -> Pte {
        Pte(self.0 | flags.bits())
    }

    pub fn clear(self, flags: PteFlags) -> Pte {
        Pte(self.0 & !flags.bits())
    }

    /// Linux: pte_none(). Nothing here at all.
    pub fn is_none(self) -> bool {
        self.0 == 0
    }

    /// The hardware's P bit.
    pub fn is_present(self) -> bool {
        self.flags().contains(PteFlags::PRESENT)
    }

    /// Holds a frame: present, or PROT_NONE. Linux: pte_present(), which
    /// also counts PROT_NONE entries.
    pub fn is_mapped(self) -> bool {
        self.flags().intersects(PteFlags::PRESENT | PteFlags::PROTNONE)
    }

    pub fn is_writable(self) -> bool {
        self.flags().contains(PteFlags::WRITABLE)
    }

    pub fn is_user(self) -> bool {
        self.flags().contains(PteFlags::USER)
    }

    pub fn is_executable(self) -> bool {
        !self.flags().contains(PteFlags::NO_EXECUTE)
    }
}

impl fmt::Debug for Pte {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pte({:#x} {:?})", self.addr(), self.flags())
    }
}

/// PML4 entries `0..USER_PML4_ENTRIES` are user space, the rest the kernel's.
pub const USER_PML4_ENTRIES: usize = 256;
/// The end of the user half: 2^47.
pub const USER_HALF_END: u64 = 1 << 47;
pub(super) const ENTRIES: u64 = 512;
/// The address space one leaf table maps. Linux: PMD_SIZE.
pub const PMD_SIZE: u64 = 1 << 21;
/// The whole user half, for [`PageTable::destroy`].
pub const ALL_USER: &[(u64, u64)] = &[(0, USER_HALF_END)];

/// The VA bits that select an entry at `level` (4 = PML4 .. 1 = PT).
const fn level_shift(level: u32) -> u32 {
    12 + 9 * (level - 1)
}

const fn index(va: u64, level: u32) -> u64 {
    (va >> level_shift(level)) & (ENTRIES - 1)
}

/// A user address space's page-table tree, named by its root (PML4) frame.
/// Linux: `mm->pgd`. A plain handle: the frames are owned by whoever holds
/// it and are freed only by [`PageTable::destroy`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageTable {
    root: u64,
}

impl PageTable {
    /// A new root whose kernel half is copied from `kernel_root`.
    /// Linux: pgd_alloc() / pgd_ctor().
    pub fn new(frames: &mut FrameAllocator, phys: &dyn PhysMem, kernel_root: u64) -> Result<Self, Errno> {
        let root = alloc_table(frames, phys)?;
        // The kernel half in one copy: two checked accesses of the
        // machine's memory instead of one per entry.
        let half = USER_PML4_ENTRIES as u64 * 8;
        let mut entries = [0u8; (ENTRIES as usize - USER_PML4_ENTRIES) * 8];
        phys.read(kernel_root + half, &mut entries);
        phys.write(root + half, &entries);
        Ok(PageTable { root })
    }

    pub fn root(self) -> u64 {
        self.root
    }

    /// Physical address of the leaf PTE slot for `va`, if every table on
    /// the way exists. Linux: the pgd/p4d/pud/pmd/pte_offset_map() walk.
    pub fn walk(self, phys: &dyn PhysMem, va: u64) -> Option<u64> {
        self.walk_path(phys, va).map(|(slot, _)| slot)
    }

    /// [`walk`](Self::walk), also saying whether the entries on the way
    /// allow writes, as the MMU combines them: a leaf table shared after
    /// fork is reached through a read-only PMD (see [`super::ptshare`]).
    pub fn walk_path(self, phys: &dyn PhysMem, va: u64) -> Option<(u64, bool)> {
        let pmd = Pte(phys.read_u64(self.pmd_slot(phys, va)?));
        if !pmd.is_present() {
            return None;
        }
        debug_assert!(!pmd.flags().contains(PteFlags::HUGE), "huge page in user half at {va:#x}");
        Some((slot(pmd.addr(), va, 1), pmd.is_writable()))
    }

    /// The PMD slot for `va`, the entry that points at its leaf table, if
    /// the tables above it exist. Linux: pmd_offset().
    pub fn pmd_slot(self, phys: &dyn PhysMem, va: u64) -> Option<u64> {
        debug_assert!(va < USER_HALF_END);
        let mut table = self.root;
        for level in [4, 3] {
            let e = Pte(phys.read_u64(slot(table, va, level)));
            if !e.is_present() {
                return None;
            }
            table = e.addr();
        }
        Some(slot(table, va, 2))
    }

    /// Like [`pmd_slot`](Self::pmd_slot), allocating the missing tables
    /// above it. Linux: pmd_alloc().
    pub(super) fn pmd_slot_alloc(self, frames: &mut FrameAllocator, phys: &dyn PhysMem, va: u64) -> Result<u64, Errno> {
        debug_assert!(va < USER_HALF_END);
        let mut table = self.root;
        for level in [4, 3] {
            table = lower_table_alloc(frames, phys, slot(table, va, level))?;
        }
        Ok(slot(table, va, 2))
    }

    /// Like [`walk`](Self::walk), allocating missing tables.
    /// Linux: pte_alloc_map() and its __p*d_alloc() helpers.
    pub fn walk_alloc(self, frames: &mut FrameAllocator, phys: &dyn PhysMem, va: u64) -> Result<u64, Errno> {
        let pmd = self.pmd_slot_alloc(frames, phys, va)?;
        debug_assert!(
            Pte(phys.read_u64(pmd)).is_writable() || !Pte(phys.read_u64(pmd)).is_present(),
            "leaf table at {va:#x} is still shared"
        );
        Ok(slot(lower_table_alloc(frames, phys, pmd)?, va, 1))
    }

    /// The leaf PTE for `va`, empty if there is none.
    pub fn get(self, phys: &dyn PhysMem, va: u64) -> Pte {
        self.walk(phys, va).map_or(Pte::empty(), |s| read_pte(phys, s))
    }

    /// Install a leaf for `va` in an empty slot. The PTE takes over the
    /// caller's reference on `pa`.
    pub fn map(
        self,
        frames: &mut FrameAllocator,
        phys: &dyn PhysMem,
        va: u64,
        pa: u64,
        flags: PteFlags,
    ) -> Result<(), Errno> {
        let s = self.walk_alloc(frames, phys, va)?;
        debug_assert!(read_pte(phys, s).is_none(), "map over a live PTE at {va:#x}");
        write_pte(phys, s, Pte::new(pa, flags));
        Ok(())
    }

    /// Clear the leaf for `va` and return what it held; the caller now owns
    /// its frame reference and must flush the TLB.
    pub fn unmap(self, phys: &dyn PhysMem, va: u64) -> Option<Pte> {
        let s = self.walk(phys, va)?;
        let old = read_pte(phys, s);
        write_pte(phys, s, Pte::empty());
        (!old.is_none()).then_some(old)
    }

    /// The physical address `va` reaches through a present leaf.
    pub fn translate(self, phys: &dyn PhysMem, va: u64) -> Option<u64> {
        let pte = self.get(phys, va);
        pte.is_present().then(|| pte.addr() + (va & (PAGE_SIZE - 1)))
    }

    /// Call `f(va, slot, pte)` for every non-empty leaf in the page-aligned
    /// range `[start, end)`, in address order, skipping missing tables
    /// wholesale. `f` may rewrite the leaf through `slot`, but must not
    /// change this tree's intermediate tables. Stops at the first error.
    /// Linux: the walk shared by copy_page_range(), zap_pte_range() and
    /// change_pte_range().
    pub fn for_each_leaf<E>(
        self,
        phys: &dyn PhysMem,
        start: u64,
        end: u64,
        f: &mut impl FnMut(u64, u64, Pte) -> Result<(), E>,
    ) -> Result<(), E> {
        debug_assert!(start.is_multiple_of(PAGE_SIZE) && end.is_multiple_of(PAGE_SIZE) && end <= USER_HALF_END);
        visit(phys, self.root, 4, start, end, f)
    }

    /// Free the tables below the root that cover any of `[start, end)` and
    /// are now empty. Linux: free_pgtables() after an unmap, simplified to
    /// "free what is empty", which is safe whatever VMAs remain.
    /// A freed table goes through `tlb`, which keeps it until no CPU's
    /// paging-structure cache can reach it.
    pub fn prune(self, frames: &mut FrameAllocator, phys: &dyn PhysMem, tlb: &mut TlbGather, start: u64, end: u64) {
        debug_assert!(end <= USER_HALF_END);
        if start < end {
            prune(frames, phys, tlb, self.root, 4, start, end);
        }
    }

    /// Tear down the user half: hand every leaf to `on_leaf` (which owns its
    /// frame reference from then on), free every user table and the root.
    /// Only `ranges` (disjoint, page aligned) are walked, so they must
    /// cover every table: an address space passes its VMAs, since tables
    /// are only made for addresses inside a VMA and pruned when it goes.
    /// That keeps an exit from reading the 256 root slots and 512 slots of
    /// every table below. [`ALL_USER`] walks everything.
    /// Linux: unmap_vmas(), then free_pgtables() over the VMAs, then
    /// pgd_free().
    pub fn destroy(
        self,
        frames: &mut FrameAllocator,
        phys: &dyn PhysMem,
        ranges: &[(u64, u64)],
        on_leaf: &mut impl FnMut(&mut FrameAllocator, Pte),
    ) {
        let mut tables = alloc::collections::BTreeSet::new();
        for &(start, end) in ranges {
            teardown(frames, phys, self.root, 4, start, end, &mut tables, on_leaf);
        }
        for t in tables {
            free_table(frames, t);
        }
        free_table(frames, self.root);
    }

    /// Number of page-table frames in the user half, root included.
    pub fn table_frames(self, phys: &dyn PhysMem) -> usize {
        fn count(phys: &dyn PhysMem, table: u64, level: u32) -> usize {
            let n = if level == 4 { USER_PML4_ENTRIES as u64 } else { ENTRIES };
            1 + if level == 1 {
                0
            } else {
                (0..n)
                    .map(|i| Pte(phys.read_u64(table + i * 8)))
                    .filter(|e| e.is_present())
                    .map(|e| count(phys, e.addr(), level - 1))
                    .sum()
            }
        }
        count(phys, self.root, 4)
    }
}

pub fn read_pte(phys: &dyn PhysMem, slot: u64) -> Pte {
    Pte(phys.read_u64(slot))
}

pub fn write_pte(phys: &dyn PhysMem, slot: u64, pte: Pte) {
    phys.write_u64(slot, pte.bits());
}

pub(super) fn slot(table: u64, va: u64, level: u32) -> u64 {
    table + index(va, level) * 8
}

/// The table the entry at `slot` points to, allocating it if missing.
fn lower_table_alloc(frames: &mut FrameAllocator, phys: &dyn PhysMem, slot: u64) -> Result<u64, Errno> {
    let e = Pte(phys.read_u64(slot));
    if e.is_present() {
        return Ok(e.addr());
    }
    let t = alloc_table(frames, phys)?;
    phys.write_u64(slot, Pte::new(t, PteFlags::TABLE).bits());
    Ok(t)
}

pub(super) fn alloc_table(frames: &mut FrameAllocator, phys: &dyn PhysMem) -> Result<u64, Errno> {
    let t = frames.alloc_zeroed(phys).ok_or(ENOMEM)?;
    frames.set_flags(t, FrameFlags::PAGE_TABLE);
    Ok(t)
}

/// Drop one reference to a table: free it, or for a leaf table shared
/// after fork drop this sharer's reference and the frame reserved for it.
pub(super) fn free_table(frames: &mut FrameAllocator, table: u64) {
    debug_assert!(frames.flags(table).contains(FrameFlags::PAGE_TABLE));
    if frames.refcount(table) > 1 {
        frames.put(table);
        frames.unreserve();
        return;
    }
    let freed = frames.put(table);
    debug_assert!(freed, "page table {table:#x} had extra references");
}

/// The sub-range of `[start, end)` that entry-aligned chunks at `level`
/// cover, one chunk at a time: yields (chunk start, chunk end).
fn chunks(start: u64, end: u64, level: u32) -> impl Iterator<Item = (u64, u64)> {
    let span = 1u64 << level_shift(level);
    let mut va = start;
    core::iter::from_fn(move || {
        (va < end).then(|| {
            let next = ((va & !(span - 1)) + span).min(end);
            let chunk = (va, next);
            va = next;
            chunk
        })
    })
}

fn visit<E>(
    phys: &dyn PhysMem,
    table: u64,
    level: u32,
    start: u64,
    end: u64,
    f: &mut impl FnMut(u64, u64, Pte) -> Result<(), E>,
) -> Result<(), E> {
    for (lo, hi) in chunks(start, end, level) {
        let s = slot(table, lo, level);
        let e = Pte(phys.read_u64(s));
        if level == 1 {
            if !e.is_none() {
                f(lo, s, e)?;
            }
        } else if e.is_present() {
            debug_assert!(!e.flags().contains(PteFlags::HUGE));
            visit(phys, e.addr(), level - 1, lo, hi, f)?;
        }
    }
    Ok(())
}

/// Returns whether `table` is empty afterwards.
fn prune(
    frames: &mut FrameAllocator,
    phys: &dyn PhysMem,
    tlb: &mut TlbGather,
    table: u64,
    level: u32,
    start: u64,
    end: u64,
) -> bool {
    if level > 1 {
        for (lo, hi) in chunks(start, end, level) {
            let s = slot(table, lo, level);
            let e = Pte(phys.read_u64(s));
            if e.is_present() && prune(frames, phys, tlb, e.addr(), level - 1, lo, hi) {
                phys.write_u64(s, 0);
                tlb.put_table(frames, e.addr());
            }
        }
    }
    let n = if level == 4 { USER_PML4_ENTRIES } else { ENTRIES as usize };
    table_is_empty(phys, table, n)
}

/// Whether the first `n` entries of `table` are all zero, read 64 at a
/// time (one access of the machine's memory for each).
fn table_is_empty(phys: &dyn PhysMem, table: u64, n: usize) -> bool {
    let mut chunk = [0u8; 64 * 8];
    (0..n).step_by(64).all(|first| {
        let len = (n - first).min(64) * 8;
        phys.read(table + first as u64 * 8, &mut chunk[..len]);
        chunk[..len].iter().all(|&b| b == 0)
    })
}

/// The walk of [`PageTable::destroy`] over `[start, end)`: leaves to
/// `on_leaf`, every table met into `tables` (a table under two ranges is
/// met twice, and freed once).
#[allow(clippy::too_many_arguments)]
fn teardown(
    frames: &mut FrameAllocator,
    phys: &dyn PhysMem,
    table: u64,
    level: u32,
    start: u64,
    end: u64,
    tables: &mut alloc::collections::BTreeSet<u64>,
    on_leaf: &mut impl FnMut(&mut FrameAllocator, Pte),
) {
    for (lo, hi) in chunks(start, end, level) {
        let e = Pte(phys.read_u64(slot(table, lo, level)));
        if level == 1 {
            if !e.is_none() {
                on_leaf(frames, e);
            }
        } else if e.is_present() {
            tables.insert(e.addr());
            // Another address space still uses a shared leaf table, and
            // with it the references on its frames: only ours goes.
            if !(level == 2 && frames.refcount(e.addr()) > 1) {
                teardown(frames, phys, e.addr(), level - 1, lo, hi, tables, on_leaf);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mm::sim::{Env, KERNEL_PML4E};
    use std::vec::Vec;

    const USER_RW: PteFlags = PteFlags::PRESENT.union(PteFlags::WRITABLE).union(PteFlags::USER);

    #[test]
    fn pte_bits_are_the_hardware_ones() {
        let p = Pte::new(0x1234_5000, USER_RW | PteFlags::NO_EXECUTE);
        assert_eq!(p.bits(), 0x8000_0000_1234_5007);
        assert_eq!(p.addr(), 0x1234_5000);
        assert!(p.is_present() && p.is_writable() && p.is_user() && !p.is_executable());
        let none = Pte::new(0x1000, PteFlags::PROTNONE);
        assert!(none.is_mapped() && !none.is_present());
        assert_eq!(p.clear(PteFlags::WRITABLE).bits(), 0x8000_0000_1234_5005);
    }

    #[test]
    fn new_root_copies_kernel_half_only() {
        let mut env = Env::new(64);
        let pt = PageTable::new(&mut env.frames, &env.mem, env.kernel_root).unwrap();
        for i in 0..512u64 {
            let e = env.mem.read_u64(pt.root() + i * 8);
            if i < 256 {
                assert_eq!(e, 0);
            } else {
                assert_eq!(e, KERNEL_PML4E + (i << 12));
            }
        }
        pt.destroy(&mut env.frames, &env.mem, ALL_USER, &mut |_, _| panic!("no leaves"));
        env.check_baseline();
    }

    #[test]
    fn map_translate_unmap_and_table_accounting() {
        let mut env = Env::new(128);
        let pt = PageTable::new(&mut env.frames, &env.mem, env.kernel_root).unwrap();
        let used0 = env.used();
        let data = env.frames.alloc().unwrap();
        let va = 0x0000_7fff_1234_5000;
        pt.map(&mut env.frames, &env.mem, va, data, USER_RW).unwrap();
        // PDPT + PD + PT, plus the data frame.
        assert_eq!(env.used(), used0 + 4);
        assert_eq!(pt.table_frames(&env.mem), 4);
        assert_eq!(pt.translate(&env.mem, va + 0x123), Some(data + 0x123));
        assert_eq!(pt.translate(&env.mem, va + PAGE_SIZE), None);
        assert_eq!(pt.translate(&env.mem, 0x1000), None);

        // A neighbour in the same PT needs no new table.
        let data2 = env.frames.alloc().unwrap();
        pt.map(&mut env.frames, &env.mem, va + PAGE_SIZE, data2, USER_RW).unwrap();
        assert_eq!(env.used(), used0 + 5);

        // The entries follow the hardware layout: PML4[255] -> ... -> PT.
        let l4 = Pte(env.mem.read_u64(pt.root() + 255 * 8));
        assert_eq!(l4.flags(), PteFlags::TABLE);

        let mut seen = Vec::new();
        pt.for_each_leaf::<()>(&env.mem, 0, USER_HALF_END, &mut |va, _, pte| {
            seen.push((va, pte.addr()));
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, [(va, data), (va + PAGE_SIZE, data2)]);

        let old = pt.unmap(&env.mem, va).unwrap();
        assert_eq!(old.addr(), data);
        assert!(env.frames.put(data));
        assert_eq!(pt.translate(&env.mem, va), None);
        assert_eq!(pt.unmap(&env.mem, va), None);
        // Still one leaf in the PT: pruning must keep the tables.
        pt.prune(&mut env.frames, &env.mem, &mut TlbGather::none(), va, va + PAGE_SIZE);
        assert_eq!(pt.table_frames(&env.mem), 4);
        let old2 = pt.unmap(&env.mem, va + PAGE_SIZE).unwrap();
        env.frames.put(old2.addr());
        pt.prune(&mut env.frames, &env.mem, &mut TlbGather::none(), va, va + 2 * PAGE_SIZE);
        assert_eq!(pt.table_frames(&env.mem), 1);
        assert_eq!(env.used(), used0);

        pt.destroy(&mut env.frames, &env.mem, ALL_USER, &mut |_, _| panic!("no leaves"));
        env.check_baseline();
    }

    #[test]
    fn destroy_frees_leaves_and_tables_out_of_memory_safe() {
        let mut env = Env::new(64);
        let pt = PageTable::new(&mut env.frames, &env.mem, env.kernel_root).unwrap();
        // Spread over several PML4 / PDPT / PD entries.
        let vas = [0x1000u64, 0x20_0000, 0x4000_0000, 0x80_0000_0000, 0x7fff_ffff_e000];
        for &va in &vas {
            let f = env.frames.alloc().unwrap();
            pt.map(&mut env.frames, &env.mem, va, f, USER_RW).unwrap();
        }
        // Exhaust memory: a map needing a new table fails cleanly.
        let mut hog = Vec::new();
        while let Some(f) = env.frames.alloc() {
            hog.push(f);
        }
        let f = hog.pop().unwrap();
        assert_eq!(pt.map(&mut env.frames, &env.mem, 0x100_0000_0000, f, USER_RW), Err(ENOMEM));
        hog.push(f);
        for f in hog {
            env.frames.put(f);
        }
        let mut n = 0;
        pt.destroy(&mut env.frames, &env.mem, ALL_USER, &mut |fa, pte| {
            n += 1;
            assert!(fa.put(pte.addr()));
        });
        assert_eq!(n, vas.len());
        env.check_baseline();
    }
}
