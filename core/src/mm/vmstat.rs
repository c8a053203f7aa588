//! Event counters of the memory manager, shown by /proc/vmstat (Linux:
//! `enum vm_event_item` in include/linux/vm_event_item.h, counted with
//! count_vm_event() and shown by vmstat_show() in mm/vmstat.c). Each is
//! bumped where the event happens; none is computed by a scan.
//!
//! Besides Linux's names, Tine counts the outcomes of its copy-on-write
//! and page-table-sharing paths, which Linux has no counter for.

/// One kind of event (Linux: `enum vm_event_item`, and Tine's own).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VmEvent {
    /// A frame left the free list (Linux: PGALLOC_NORMAL; one zone here).
    PgAlloc,
    /// A frame went back to it (Linux: PGFREE).
    PgFree,
    /// A page fault the memory manager was asked to resolve, resolved or
    /// not (Linux: PGFAULT, counted in handle_mm_fault()).
    PgFault,
    /// A fault that had to wait for I/O (Linux: PGMAJFAULT). Every page is
    /// in RAM here, so this stays 0, as it does on Linux for tmpfs.
    PgMajFault,
    /// A write fault copied a shared page (Linux has no counter:
    /// wp_page_copy(), do_cow_fault()).
    CowCopy,
    /// A write fault found the page its own and made it writable in place
    /// (wp_page_reuse()).
    CowReuse,
    /// A fork gave the child a leaf page table instead of copying it
    /// (`mm::ptshare`).
    PtShare,
    /// A shared leaf table was copied when one side first changed it.
    PtUnshare,
    /// A read fault mapped the shared zero frame (do_anonymous_page()'s
    /// read path).
    ZeroPage,
}

/// Every counter, in the order /proc/vmstat shows them, with its name.
pub const EVENTS: [(VmEvent, &str); 9] = [
    (VmEvent::PgAlloc, "pgalloc_normal"),
    (VmEvent::PgFree, "pgfree"),
    (VmEvent::PgFault, "pgfault"),
    (VmEvent::PgMajFault, "pgmajfault"),
    (VmEvent::CowCopy, "cow_copy"),
    (VmEvent::CowReuse, "cow_reuse"),
    (VmEvent::PtShare, "pt_share"),
    (VmEvent::PtUnshare, "pt_unshare"),
    (VmEvent::ZeroPage, "zero_page"),
];

/// The counters (Linux: the per-CPU `vm_event_states`, one CPU here).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VmEvents([u64; EVENTS.len()]);

impl VmEvents {
    /// Linux: count_vm_event().
    pub fn count(&mut self, e: VmEvent) {
        self.0[e as usize] += 1;
    }

    /// Linux: the sum all_vm_events() gives for one item.
    pub fn get(&self, e: VmEvent) -> u64 {
        self.0[e as usize]
    }

    /// `(name, value)` for each counter, in /proc/vmstat's order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, u64)> + '_ {
        EVENTS.iter().map(|&(e, name)| (name, self.get(e)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_order_matches_the_enum() {
        for (i, (e, _)) in EVENTS.iter().enumerate() {
            assert_eq!(*e as usize, i);
        }
    }

    #[test]
    fn counts_one_at_a_time() {
        let mut v = VmEvents::default();
        v.count(VmEvent::CowCopy);
        v.count(VmEvent::CowCopy);
        v.count(VmEvent::PgFault);
        assert_eq!(v.get(VmEvent::CowCopy), 2);
        assert_eq!(v.iter().find(|(n, _)| *n == "pgfault"), Some(("pgfault", 1)));
        assert_eq!(v.get(VmEvent::PtShare), 0);
    }
}
