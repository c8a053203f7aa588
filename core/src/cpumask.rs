//! Sets of CPUs, one bit per CPU number (Linux: `struct cpumask`): the
//! CPUs an address space is loaded on ([`crate::mm::AddressSpace::cpus`],
//! Linux's mm_cpumask) and the targets of a TLB shootdown. Neither mm nor
//! the scheduler owns it, so both can name it.

/// How many CPUs a mask can name.
pub const MASK_CPUS: usize = u64::BITS as usize;

#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct CpuMask(u64);

impl CpuMask {
    pub const EMPTY: CpuMask = CpuMask(0);

    pub const fn from_bits(bits: u64) -> Self {
        CpuMask(bits)
    }

    /// Just `cpu`.
    pub const fn one(cpu: usize) -> Self {
        CpuMask(1 << cpu)
    }

    pub const fn bits(self) -> u64 {
        self.0
    }

    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub const fn contains(self, cpu: usize) -> bool {
        cpu < MASK_CPUS && self.0 & (1 << cpu) != 0
    }

    pub fn set(&mut self, cpu: usize) {
        debug_assert!(cpu < MASK_CPUS, "CPU {cpu} beyond a CPU mask");
        self.0 |= 1 << cpu;
    }

    pub fn clear(&mut self, cpu: usize) {
        debug_assert!(cpu < MASK_CPUS, "CPU {cpu} beyond a CPU mask");
        self.0 &= !(1 << cpu);
    }

    /// The set without `cpu`: the other CPUs a shootdown must reach.
    pub const fn without(self, cpu: usize) -> Self {
        CpuMask(self.0 & !(1 << cpu))
    }

    pub const fn count(self) -> u32 {
        self.0.count_ones()
    }

    /// The CPUs in the set, lowest first.
    pub fn iter(self) -> impl Iterator<Item = usize> {
        let mut rest = self.0;
        core::iter::from_fn(move || {
            (rest != 0).then(|| {
                let cpu = rest.trailing_zeros() as usize;
                rest &= rest - 1;
                cpu
            })
        })
    }
}

impl core::fmt::Debug for CpuMask {
    /// As Linux's cpulist format: `0-1,3`.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let mut first = true;
        let mut cpus = self.iter().peekable();
        while let Some(lo) = cpus.next() {
            let mut hi = lo;
            while cpus.peek() == Some(&(hi + 1)) {
                hi = cpus.next().unwrap_or(hi);
            }
            if !first {
                f.write_str(",")?;
            }
            first = false;
            if hi == lo {
                write!(f, "{lo}")?;
            } else {
                write!(f, "{lo}-{hi}")?;
            }
        }
        if first {
            f.write_str("(none)")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_clear_without_iter() {
        let mut m = CpuMask::EMPTY;
        assert!(m.is_empty());
        m.set(0);
        m.set(3);
        m.set(63);
        assert!(m.contains(3) && !m.contains(1) && !m.contains(64));
        assert_eq!(m.count(), 3);
        assert_eq!(m.iter().collect::<alloc::vec::Vec<_>>(), [0, 3, 63]);
        assert_eq!(m.without(3), CpuMask::from_bits(1 | 1 << 63));
        m.clear(0);
        assert_eq!(m.bits(), 1 << 3 | 1 << 63);
    }

    #[test]
    fn debug_is_a_cpulist() {
        assert_eq!(alloc::format!("{:?}", CpuMask::from_bits(0b1011)), "0-1,3");
        assert_eq!(alloc::format!("{:?}", CpuMask::EMPTY), "(none)");
    }
}
