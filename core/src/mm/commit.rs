//! Overcommit accounting (Linux: mm/util.c __vm_enough_memory(),
//! vm_committed_as, and the vm.overcommit_* sysctls).
//!
//! Memory a process could dirty privately is "committed" when it is
//! mapped, not when it is touched: a private writable mapping, the heap,
//! a stack's growth, and each such mapping again in a forked child
//! (Linux: VMAs with VM_ACCOUNT). `vm.overcommit_memory` decides how much
//! may be promised:
//! - 0, the heuristic (default): any one request larger than all of RAM
//!   (and swap, of which Tine has none) is refused;
//! - 1: everything is granted;
//! - 2: the total may not pass the commit limit, `overcommit_ratio`
//!   percent of RAM (or `overcommit_kbytes`), less a reserve for root's
//!   rescue (`admin_reserve_kbytes`, kept from non-root callers) and a
//!   reserve per process (`user_reserve_kbytes`, at most 1/32 of its size).
//!
//! A refused request is ENOMEM: mmap, brk, mprotect making memory
//! writable, a stack that cannot grow (SIGSEGV), fork.

use crate::abi::{Errno, ENOMEM};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overcommit {
    Guess = 0,
    Always = 1,
    Never = 2,
}

/// The committed total and the policy.
#[derive(Clone, Debug)]
pub struct VmCommit {
    /// Pages promised (Linux: vm_committed_as), shown as Committed_AS.
    committed: u64,
    pub mode: Overcommit,
    /// vm.overcommit_ratio, percent of RAM; used when `kbytes` is 0.
    pub ratio: u64,
    /// vm.overcommit_kbytes.
    pub kbytes: u64,
    /// vm.admin_reserve_kbytes and vm.user_reserve_kbytes.
    pub admin_reserve_kbytes: u64,
    pub user_reserve_kbytes: u64,
}

impl VmCommit {
    /// The defaults Linux computes at boot for `free_pages` free pages
    /// (init_admin_reserve(): 3% of free memory up to 8 MiB;
    /// init_user_reserve(): 3% up to 128 MiB).
    pub fn new(free_pages: u64) -> Self {
        let three_percent_kb = free_pages / 32 * 4;
        VmCommit {
            committed: 0,
            mode: Overcommit::Guess,
            ratio: 50,
            kbytes: 0,
            admin_reserve_kbytes: three_percent_kb.min(8 << 10),
            user_reserve_kbytes: three_percent_kb.min(128 << 10),
        }
    }

    /// Pages committed now.
    pub fn committed(&self) -> u64 {
        self.committed
    }

    /// CommitLimit in pages for `totalram` pages (Linux: vm_commit_limit()).
    pub fn limit(&self, totalram: u64) -> u64 {
        if self.kbytes != 0 {
            self.kbytes / 4
        } else {
            totalram * self.ratio / 100
        }
    }

    /// Commit `pages` more if the policy allows (Linux:
    /// __vm_enough_memory()). `admin`: the caller has CAP_SYS_ADMIN;
    /// `total_vm`: the size of its address space in pages.
    pub fn charge(&mut self, pages: u64, totalram: u64, admin: bool, total_vm: u64) -> Result<(), Errno> {
        self.committed += pages;
        let ok = match self.mode {
            Overcommit::Always => true,
            Overcommit::Guess => pages <= totalram,
            Overcommit::Never => {
                let mut allowed = self.limit(totalram);
                if !admin {
                    allowed = allowed.saturating_sub(self.admin_reserve_kbytes / 4);
                }
                allowed = allowed.saturating_sub((total_vm / 32).min(self.user_reserve_kbytes / 4));
                self.committed < allowed
            }
        };
        if ok {
            Ok(())
        } else {
            self.committed -= pages;
            Err(ENOMEM)
        }
    }

    /// Give back `pages` (Linux: vm_unacct_memory()).
    pub fn uncharge(&mut self, pages: u64) {
        self.committed = self.committed.checked_sub(pages).expect("commit accounting underflow");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heuristic_refuses_only_more_than_ram() {
        let mut c = VmCommit::new(1000);
        assert_eq!(c.charge(1000, 1000, false, 0), Ok(()));
        assert_eq!(c.charge(1000, 1000, false, 0), Ok(()), "the heuristic does not add up");
        assert_eq!(c.charge(1001, 1000, false, 0), Err(ENOMEM));
        assert_eq!(c.committed(), 2000);
        c.uncharge(2000);
        assert_eq!(c.committed(), 0);
    }

    #[test]
    fn strict_mode_keeps_the_limit_and_the_admin_reserve() {
        let mut c = VmCommit::new(100_000);
        c.mode = Overcommit::Never;
        let limit = c.limit(100_000);
        assert_eq!(limit, 50_000);
        let reserve = c.admin_reserve_kbytes / 4;
        assert!(reserve > 0);
        // Non-root stops short of the admin reserve; root may use it.
        assert_eq!(c.charge(limit - reserve, 100_000, false, 0), Err(ENOMEM));
        assert_eq!(c.charge(limit - reserve - 1, 100_000, false, 0), Ok(()));
        assert_eq!(c.charge(reserve - 1, 100_000, false, 0), Err(ENOMEM));
        assert_eq!(c.charge(reserve - 1, 100_000, true, 0), Ok(()));
        c.mode = Overcommit::Always;
        assert_eq!(c.charge(1 << 40, 100_000, false, 0), Ok(()));
    }
}
