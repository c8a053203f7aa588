//! Linux's memory-management numbers and the x86_64 user address layout.
//!
//! Values from include/uapi/asm-generic/mman-common.h, mman.h,
//! arch/x86/include/uapi/asm/mman.h, and the layout constants of
//! arch/x86/include/asm/page_64_types.h and arch/x86/mm/mmap.c, so that a
//! program sees the same addresses it would see on Linux without ASLR.

pub const PAGE_SHIFT: u32 = 12;
pub const PAGE_SIZE: u64 = 1 << PAGE_SHIFT;

/// Largest file size, which bounds a file mapping's offset too. Linux:
/// `MAX_LFS_FILESIZE`, tmpfs's `s_maxbytes`.
pub const MAX_FILE_SIZE: u64 = i64::MAX as u64;

// mmap/mprotect `prot`.
pub const PROT_NONE: u32 = 0x0;
pub const PROT_READ: u32 = 0x1;
pub const PROT_WRITE: u32 = 0x2;
pub const PROT_EXEC: u32 = 0x4;
/// Accepted by mprotect and ignored, as on x86.
pub const PROT_SEM: u32 = 0x8;
pub const PROT_GROWSDOWN: u32 = 0x0100_0000;
pub const PROT_GROWSUP: u32 = 0x0200_0000;

// mmap `flags`.
pub const MAP_SHARED: u32 = 0x01;
pub const MAP_PRIVATE: u32 = 0x02;
pub const MAP_SHARED_VALIDATE: u32 = 0x03;
pub const MAP_TYPE: u32 = 0x0f;
pub const MAP_FIXED: u32 = 0x10;
pub const MAP_ANONYMOUS: u32 = 0x20;
/// x86: place the mapping in the first 2 GiB.
pub const MAP_32BIT: u32 = 0x40;
pub const MAP_GROWSDOWN: u32 = 0x0100;
pub const MAP_DENYWRITE: u32 = 0x0800;
pub const MAP_EXECUTABLE: u32 = 0x1000;
pub const MAP_LOCKED: u32 = 0x2000;
pub const MAP_NORESERVE: u32 = 0x4000;
pub const MAP_POPULATE: u32 = 0x8000;
pub const MAP_NONBLOCK: u32 = 0x1_0000;
pub const MAP_STACK: u32 = 0x2_0000;
pub const MAP_HUGETLB: u32 = 0x4_0000;
pub const MAP_SYNC: u32 = 0x8_0000;
pub const MAP_FIXED_NOREPLACE: u32 = 0x10_0000;
pub const MAP_UNINITIALIZED: u32 = 0x400_0000;
/// x86: place the mapping above 4 GiB (a hint; Linux 6.4).
pub const MAP_ABOVE4G: u32 = 0x80;
pub const MAP_HUGE_2MB: u32 = 21 << 26;
pub const MAP_HUGE_1GB: u32 = 30 << 26;
/// Linux: LEGACY_MAP_MASK (include/linux/mman.h), the flags MAP_SHARED
/// silently accepts and MAP_SHARED_VALIDATE checks against.
pub const LEGACY_MAP_MASK: u32 = MAP_SHARED
    | MAP_PRIVATE
    | MAP_FIXED
    | MAP_ANONYMOUS
    | MAP_DENYWRITE
    | MAP_EXECUTABLE
    | MAP_UNINITIALIZED
    | MAP_GROWSDOWN
    | MAP_LOCKED
    | MAP_NORESERVE
    | MAP_POPULATE
    | MAP_NONBLOCK
    | MAP_STACK
    | MAP_HUGETLB
    | MAP_32BIT
    | MAP_ABOVE4G
    | MAP_HUGE_2MB
    | MAP_HUGE_1GB;

// madvise `advice` (include/uapi/asm-generic/mman-common.h).
pub const MADV_NORMAL: i32 = 0;
pub const MADV_RANDOM: i32 = 1;
pub const MADV_SEQUENTIAL: i32 = 2;
pub const MADV_WILLNEED: i32 = 3;
pub const MADV_DONTNEED: i32 = 4;
pub const MADV_FREE: i32 = 8;
pub const MADV_REMOVE: i32 = 9;
pub const MADV_DONTFORK: i32 = 10;
pub const MADV_DOFORK: i32 = 11;
pub const MADV_MERGEABLE: i32 = 12;
pub const MADV_UNMERGEABLE: i32 = 13;
pub const MADV_HUGEPAGE: i32 = 14;
pub const MADV_NOHUGEPAGE: i32 = 15;
pub const MADV_DONTDUMP: i32 = 16;
pub const MADV_DODUMP: i32 = 17;
pub const MADV_WIPEONFORK: i32 = 18;
pub const MADV_KEEPONFORK: i32 = 19;
pub const MADV_COLD: i32 = 20;
pub const MADV_PAGEOUT: i32 = 21;
pub const MADV_POPULATE_READ: i32 = 22;
pub const MADV_POPULATE_WRITE: i32 = 23;
pub const MADV_DONTNEED_LOCKED: i32 = 24;
pub const MADV_COLLAPSE: i32 = 25;
pub const MADV_HWPOISON: i32 = 100;
pub const MADV_SOFT_OFFLINE: i32 = 101;
pub const MADV_GUARD_INSTALL: i32 = 102;
pub const MADV_GUARD_REMOVE: i32 = 103;

/// Linux: TASK_SIZE_MAX with 4-level paging, `(1 << 47) - PAGE_SIZE`. Every
/// user mapping lies below it; the last page below 2^47 is never mapped so
/// that no user access can run into the non-canonical hole.
pub const TASK_SIZE: u64 = (1 << 47) - PAGE_SIZE;
/// Linux: STACK_TOP without randomisation, the top of the initial stack.
pub const STACK_TOP: u64 = TASK_SIZE;
/// Linux: the vm.mmap_min_addr default; nothing is mapped below it.
pub const MMAP_MIN_ADDR: u64 = 0x1_0000;
/// Linux: stack_guard_gap (256 pages), kept free below a grows-down VMA.
pub const STACK_GUARD_GAP: u64 = 256 * PAGE_SIZE;
/// Linux: _STK_LIM, the default RLIMIT_STACK, the most a stack may grow to.
pub const STACK_RLIMIT: u64 = 8 << 20;
/// Linux: mmap_base() without randomisation. The stack rlimit plus guard gap
/// is below the 128 MiB minimum, so the gap is 128 MiB and the base is the
/// familiar 0x7ffff7fff000.
pub const MMAP_BASE: u64 = TASK_SIZE - (128 << 20);
/// Linux: TASK_UNMAPPED_BASE, where the bottom-up fallback search starts.
pub const TASK_UNMAPPED_BASE: u64 = page_align_up_const(TASK_SIZE / 3);
/// Linux: sysctl vm.max_map_count default.
pub const MAX_MAP_COUNT: usize = 65530;

const fn page_align_up_const(v: u64) -> u64 {
    (v + PAGE_SIZE - 1) & !(PAGE_SIZE - 1)
}

/// Round down to a page boundary.
pub const fn page_floor(v: u64) -> u64 {
    v & !(PAGE_SIZE - 1)
}

/// Round up to a page boundary; `None` on overflow (Linux's PAGE_ALIGN
/// silently wraps to 0, which callers then treat as an error).
pub const fn page_ceil(v: u64) -> Option<u64> {
    match v.checked_add(PAGE_SIZE - 1) {
        Some(x) => Some(x & !(PAGE_SIZE - 1)),
        None => None,
    }
}

pub const fn is_page_aligned(v: u64) -> bool {
    v & (PAGE_SIZE - 1) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_matches_linux() {
        assert_eq!(TASK_SIZE, 0x7fff_ffff_f000);
        assert_eq!(MMAP_BASE, 0x7fff_f7ff_f000);
        assert_eq!(TASK_UNMAPPED_BASE, 0x2aaa_aaaa_b000);
        assert_eq!(page_ceil(u64::MAX), None);
        assert_eq!(page_ceil(1), Some(PAGE_SIZE));
    }
}
