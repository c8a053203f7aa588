//! Time structures as user space lays them out (linux/time_types.h,
//! linux/time.h), read and written whole through `read_val`/`write_val`.

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

const NSEC_PER_SEC: u64 = 1_000_000_000;

/// `struct timespec` (`__kernel_timespec` on x86_64).
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct Timespec {
    pub tv_sec: i64,
    pub tv_nsec: i64,
}

impl Timespec {
    /// A non-negative duration or time in nanoseconds.
    pub fn from_ns(ns: u64) -> Self {
        Timespec { tv_sec: (ns / NSEC_PER_SEC) as i64, tv_nsec: (ns % NSEC_PER_SEC) as i64 }
    }

    /// Linux: timespec64_valid() with a non-negative second count.
    pub fn is_valid(&self) -> bool {
        self.tv_sec >= 0 && (0..NSEC_PER_SEC as i64).contains(&self.tv_nsec)
    }
}

/// `struct timeval` (`__kernel_old_timeval`).
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct Timeval {
    pub tv_sec: i64,
    pub tv_usec: i64,
}

impl Timeval {
    /// Whole microseconds of `ns` (the rest is dropped, as Linux's
    /// ns_to_kernel_old_timeval()).
    pub fn from_ns(ns: u64) -> Self {
        Timeval { tv_sec: (ns / NSEC_PER_SEC) as i64, tv_usec: ((ns % NSEC_PER_SEC) / 1000) as i64 }
    }

    /// Linux: timeval_valid().
    pub fn is_valid(&self) -> bool {
        self.tv_sec >= 0 && (0..1_000_000).contains(&self.tv_usec)
    }
}

/// `struct itimerval`.
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct Itimerval {
    pub it_interval: Timeval,
    pub it_value: Timeval,
}

/// `struct itimerspec` (`__kernel_itimerspec`).
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct Itimerspec {
    pub it_interval: Timespec,
    pub it_value: Timespec,
}

/// `struct sigevent` (64 bytes) as timer_create reads it: the value, the
/// signal, how to notify, and the thread for SIGEV_THREAD_ID (the union's
/// other members are for user space).
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct Sigevent {
    pub sigev_value: u64,
    pub sigev_signo: i32,
    pub sigev_notify: i32,
    pub sigev_tid: i32,
    pub pad: [i32; 11],
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_are_linuxs() {
        assert_eq!(core::mem::size_of::<Timespec>(), 16);
        assert_eq!(core::mem::size_of::<Itimerval>(), 32);
        assert_eq!(core::mem::size_of::<Itimerspec>(), 32);
        assert_eq!(core::mem::size_of::<Sigevent>(), 64);
        assert_eq!(Timespec::from_ns(3_000_000_007), Timespec { tv_sec: 3, tv_nsec: 7 });
        assert_eq!(Timeval::from_ns(1_234_567_890), Timeval { tv_sec: 1, tv_usec: 234_567 });
    }
}
