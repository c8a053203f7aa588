//! The signal set (Linux: `sigset_t`, 64 bits on x86_64; bit `n - 1` is
//! signal `n`).

use bitflags::bitflags;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use super::misc::{SIGKILL, SIGSTOP};

/// A set of signals 1..=64, as `sigset_t` carries it across the ABI:
/// masks, pending sets, sa_mask. Its own struct (bitflags' `impl` form)
/// so that it can be read and written whole with `read_val`/`write_val`.
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[repr(transparent)]
pub struct SigSet(u64);

bitflags! {
    impl SigSet: u64 {
        /// Every bit is a signal: a set read from user space keeps all.
        const _ = !0;
    }
}

impl SigSet {
    /// The set holding only `sig` (Linux: sigmask(sig)).
    pub const fn of(sig: u32) -> Self {
        SigSet::from_bits_retain(1 << (sig - 1))
    }

    /// Whether `sig` is in the set (Linux: sigismember()).
    pub const fn has(self, sig: u32) -> bool {
        self.contains(SigSet::of(sig))
    }

    /// SIGKILL and SIGSTOP: never blocked, caught or ignored.
    pub const UNBLOCKABLE: Self = SigSet::of(SIGKILL).union(SigSet::of(SIGSTOP));

    /// The lowest signal in the set, if any.
    pub fn first(self) -> Option<u32> {
        (!self.is_empty()).then(|| self.bits().trailing_zeros() + 1)
    }

    /// The signals in the set, lowest first.
    pub fn signals(self) -> impl Iterator<Item = u32> {
        (1..=64).filter(move |&s| self.has(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_n_minus_one_is_signal_n() {
        assert_eq!(SigSet::of(1).bits(), 1);
        assert_eq!(SigSet::of(64).bits(), 1 << 63);
        assert_eq!(SigSet::UNBLOCKABLE.bits(), (1 << 8) | (1 << 18));
        let s = SigSet::of(10) | SigSet::of(3);
        assert!(s.has(3) && !s.has(4));
        assert_eq!(s.first(), Some(3));
        assert_eq!(s.signals().collect::<alloc::vec::Vec<_>>(), [3, 10]);
        // The complement keeps the upper bits (all are signals).
        assert_eq!((!SigSet::of(1)).bits(), !1);
    }
}
