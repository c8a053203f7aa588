//! /proc/meminfo (Linux: fs/proc/meminfo.c).

#[allow(unused_imports)]
use super::*;

// ---- /proc/meminfo --------------------------------------------------------

/// What /proc/meminfo reports, in kB.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemInfo {
    pub total: u64,
    pub free: u64,
    pub available: u64,
    pub cached: u64,
    pub anon: u64,
    pub kernel_stack: u64,
    /// The kernel heap's frames (Linux: the slab caches, unreclaimable).
    pub slab: u64,
    pub page_tables: u64,
    pub committed: u64,
    pub commit_limit: u64,
}

/// Memory accounting from the frame allocator (Linux: si_meminfo() and
/// the vmstat counters). Every frame is either free, a page table, a page
/// of the page cache, the kernel heap's, the zero frame or process memory.
pub(super) fn mem_info(k: &Kernel) -> MemInfo {
    let st = k.mem.frames().stats();
    let kb = |pages: u64| pages * 4;
    let page_tables: u64 = k.mem.mms().iter().map(|(_, mm)| mm.table_frames(k.m.mem) as u64).sum();
    let cached = k.mem.pagecache().frames_held() as u64;
    let used = st.total.saturating_sub(st.free) as u64;
    let slab = k.mem.frames().heap_frames() as u64;
    let anon = used.saturating_sub(page_tables + cached + slab + 1);
    let committed = k.mem.frames().commit.committed();
    let commit_limit = k.mem.frames().commit.limit(st.total as u64);
    let tasks = k.proc.tasks().values().filter(|t| t.state != TaskState::Dead).count() as u64;
    MemInfo {
        total: kb(st.total as u64),
        free: kb(st.free as u64),
        available: kb(st.free as u64),
        cached: kb(cached),
        anon: kb(anon),
        kernel_stack: tasks * (crate::proc::kstack::KSTACK_BYTES as u64 / 1024),
        slab: kb(slab),
        page_tables: kb(page_tables),
        committed: kb(committed),
        commit_limit: kb(commit_limit),
    }
}

/// The text of /proc/meminfo, in Linux's order (fs/proc/meminfo.c),
/// without the lines of features Tine lacks (swap caches, huge pages).
pub fn format_meminfo(m: &MemInfo) -> String {
    let rows: [(&str, u64); 36] = [
        ("MemTotal:", m.total),
        ("MemFree:", m.free),
        ("MemAvailable:", m.available),
        ("Buffers:", 0),
        ("Cached:", m.cached),
        ("SwapCached:", 0),
        ("Active:", m.anon + m.cached),
        ("Inactive:", 0),
        ("Active(anon):", m.anon),
        ("Inactive(anon):", 0),
        ("Active(file):", m.cached),
        ("Inactive(file):", 0),
        ("Unevictable:", 0),
        ("Mlocked:", 0),
        ("SwapTotal:", 0),
        ("SwapFree:", 0),
        ("Dirty:", 0),
        ("Writeback:", 0),
        ("AnonPages:", m.anon),
        ("Mapped:", m.cached),
        ("Shmem:", 0),
        ("KReclaimable:", 0),
        ("Slab:", m.slab),
        ("SReclaimable:", 0),
        ("SUnreclaim:", m.slab),
        ("KernelStack:", m.kernel_stack),
        ("PageTables:", m.page_tables),
        ("SecPageTables:", 0),
        ("NFS_Unstable:", 0),
        ("Bounce:", 0),
        ("WritebackTmp:", 0),
        // Linux: vm_commit_limit() with overcommit_ratio 50 and no swap.
        ("CommitLimit:", m.commit_limit),
        ("Committed_AS:", m.committed),
        ("VmallocTotal:", 34_359_738_367),
        ("VmallocUsed:", 0),
        ("VmallocChunk:", 0),
    ];
    let mut s = String::new();
    for (label, kb) in rows {
        // Linux: show_val_kb(): a 16-column label, the value in 8 columns.
        let _ = writeln!(s, "{label:<16}{kb:>8} kB");
    }
    s
}
