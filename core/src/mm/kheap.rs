//! Fallible kernel-heap allocation for everything a user program can size
//! or repeat (Linux: `kmalloc(GFP_KERNEL)` returning NULL, `-ENOMEM`), and
//! fault injection for it and for frames (Linux: `failslab`,
//! `fail_page_alloc`).
//!
//! The heap itself is `tine-hal`'s: a virtual region that starts small and
//! grows, page by page, from the frame allocator's free list
//! ([`take_heap_frame`], the list the kernel registers with
//! [`set_frame_source`]) whenever an allocation finds it full. It reports
//! its mapped size and use here ([`note_size`], [`note_alloc`],
//! [`note_free`]), and the fallible paths ([`try_vec`], [`try_reserve`],
//! [`try_copy`]) refuse, with `ENOMEM`, an allocation that the heap could
//! not hold even grown by every free frame above the heap floor (see
//! `frame::FreeFrames`), or that would leave less than
//! [`RESERVE_DIVISOR`]th of the mapped heap free. The floor and that
//! reserve are for the kernel's own small, bounded allocations (tasks,
//! descriptors, VMAs), which stay infallible: so however much a program
//! piles into files, symlinks or argument copies, the kernel keeps room to
//! run, to kill and to clean up. Without a reported size (host tests) only
//! injection limits.

use core::sync::atomic::{AtomicUsize, Ordering};

use alloc::sync::Arc;
use alloc::vec::Vec;
use spin::{Mutex, Once};

use super::consts::PAGE_SIZE;
use super::frame::FreeFrames;
use crate::abi::{Errno, ENOMEM};

/// A fallible allocation may not leave less than size / RESERVE_DIVISOR
/// of the mapped heap free.
pub const RESERVE_DIVISOR: usize = 16;

static HEAP_SIZE: AtomicUsize = AtomicUsize::new(0);
static HEAP_USED: AtomicUsize = AtomicUsize::new(0);
static FRAME_SOURCE: Once<Arc<Mutex<FreeFrames>>> = Once::new();

/// The heap's mapped size in bytes (hal, at boot and after each growth).
pub fn note_size(bytes: usize) {
    HEAP_SIZE.store(bytes, Ordering::Relaxed);
}

/// `bytes` were handed out (hal's global allocator).
pub fn note_alloc(bytes: usize) {
    HEAP_USED.fetch_add(bytes, Ordering::Relaxed);
}

/// `bytes` were given back (hal's global allocator).
pub fn note_free(bytes: usize) {
    HEAP_USED.fetch_sub(bytes, Ordering::Relaxed);
}

/// Bytes in use and the heap's mapped size (0: unknown).
pub fn usage() -> (usize, usize) {
    (HEAP_USED.load(Ordering::Relaxed), HEAP_SIZE.load(Ordering::Relaxed))
}

/// The free list the heap grows from (the kernel's main, once, right
/// after it made the frame allocator).
pub fn set_frame_source(free: Arc<Mutex<FreeFrames>>) {
    FRAME_SOURCE.call_once(|| free);
}

/// A frame for the heap to grow by (a page or a page table), taken from
/// the free list for good; None when there is none, or no list yet. Never
/// waits: the list's lock is only ever held for a push or a pop, and an
/// allocation cannot happen inside one.
pub fn take_heap_frame() -> Option<u64> {
    FRAME_SOURCE.get()?.try_lock()?.take_for_heap()
}

/// The free list the heap gives frames back to, if it can be had without
/// waiting: hal's heap returns its free tail through it.
pub fn frame_source() -> Option<spin::MutexGuard<'static, FreeFrames>> {
    FRAME_SOURCE.get()?.try_lock()
}

/// Free frames an ordinary allocation could still take: what the heap may
/// grow by for a fallible allocation.
fn growable_frames() -> usize {
    FRAME_SOURCE.get().and_then(|f| f.try_lock().map(|f| f.available())).unwrap_or(0)
}

/// The free frames only the heap may take, on a machine of `total`
/// frames: twice Linux's `min_free_kbytes` (4 * sqrt(KiB of RAM) KiB, see
/// init_per_zone_wmark_min()), at least 4 MiB and at most 64 MiB. Room for
/// the kernel to go on (and to kill) when programs have taken every other
/// frame.
pub fn heap_floor(total: usize) -> usize {
    let kib = total as u64 * (PAGE_SIZE / 1024);
    let linux_kib = (kib * 16).isqrt();
    let pages = (2 * linux_kib / (PAGE_SIZE / 1024)) as usize;
    pages.clamp((4 << 20) / PAGE_SIZE as usize, (64 << 20) / PAGE_SIZE as usize)
}

/// Whether `bytes` more fit in a heap of `mapped` bytes with `used` in
/// use that may grow by `growable` frames (one in 512 of them becomes a
/// page table), keeping the reserve.
pub fn fits(used: usize, mapped: usize, growable: usize, bytes: usize) -> bool {
    let grow = growable.saturating_mul(PAGE_SIZE as usize) / 512 * 511;
    used.saturating_add(bytes).saturating_add(mapped / RESERVE_DIVISOR) <= mapped.saturating_add(grow)
}

/// Whether a fallible allocation of `bytes` may go ahead: the injection
/// says yes and the reserve stays whole.
pub fn may_alloc(bytes: usize) -> bool {
    if FAILSLAB.lock().should_fail() {
        return false;
    }
    let (used, size) = usage();
    size == 0 || fits(used, size, growable_frames(), bytes)
}

/// A vector with room for `n` elements, or ENOMEM.
pub fn try_vec<T>(n: usize) -> Result<Vec<T>, Errno> {
    let mut v = Vec::new();
    try_reserve(&mut v, n)?;
    Ok(v)
}

/// `n` zero bytes, or ENOMEM.
pub fn try_zeroed(n: usize) -> Result<Vec<u8>, Errno> {
    let mut v = try_vec(n)?;
    v.resize(n, 0);
    Ok(v)
}

/// A copy of `data`, or ENOMEM.
pub fn try_copy<T: Clone>(data: &[T]) -> Result<Vec<T>, Errno> {
    let mut v = try_vec(data.len())?;
    v.extend_from_slice(data);
    Ok(v)
}

/// Room for `extra` more elements in `v`, or ENOMEM (Linux: a failed
/// `krealloc`).
pub fn try_reserve<T>(v: &mut Vec<T>, extra: usize) -> Result<(), Errno> {
    if v.capacity() - v.len() >= extra {
        return Ok(());
    }
    let bytes = extra.checked_mul(core::mem::size_of::<T>()).ok_or(ENOMEM)?;
    if !may_alloc(bytes) {
        return Err(ENOMEM);
    }
    v.try_reserve(extra).map_err(|_| ENOMEM)
}

/// What an injection does (Linux's fault_attr, reduced to what a test
/// needs; the text form is the `tine.failslab=` / `tine.fail_page_alloc=`
/// command-line value and what `/proc/sys/tine/{failslab,fail_page_alloc}`
/// read and accept):
///
/// | text | meaning |
/// |------|---------|
/// | `off` (or `0`) | nothing fails |
/// | `nth:N` | the Nth allocation from now fails, once; then `off` (Linux: `/proc/<pid>/fail-nth`) |
/// | `after:N` | N allocations succeed, every later one fails until reset: memory "runs out" there |
/// | `random:P:SEED` | each allocation fails with probability P percent (1-100), pseudo-random from SEED (Linux: `probability`) |
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FailMode {
    #[default]
    Off,
    Nth(u64),
    After(u64),
    Random {
        percent: u8,
        state: u64,
    },
}

impl FailMode {
    /// Parse the text form; None when it is not one.
    pub fn parse(text: &[u8]) -> Option<FailMode> {
        let text = core::str::from_utf8(text).ok()?.trim();
        let mut parts = text.split(':');
        let kind = parts.next()?;
        let mut num = || -> Option<u64> { parts.next()?.parse().ok() };
        let mode = match kind {
            "off" | "0" => FailMode::Off,
            "nth" => FailMode::Nth(num().filter(|&n| n > 0)?),
            "after" => FailMode::After(num()?),
            "random" => {
                let percent = num().filter(|&p| (1..=100).contains(&p))? as u8;
                // xorshift needs a non-zero state.
                let state = num()? | 1 << 63;
                FailMode::Random { percent, state }
            }
            _ => return None,
        };
        if parts.next().is_some() {
            return None;
        }
        Some(mode)
    }

    /// One allocation asks: true if it must fail.
    pub fn should_fail(&mut self) -> bool {
        match *self {
            FailMode::Off => false,
            FailMode::Nth(1) => {
                *self = FailMode::Off;
                true
            }
            FailMode::Nth(n) => {
                *self = FailMode::Nth(n - 1);
                false
            }
            FailMode::After(0) => true,
            FailMode::After(n) => {
                *self = FailMode::After(n - 1);
                false
            }
            FailMode::Random { percent, ref mut state } => {
                let mut x = *state;
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                *state = x;
                x % 100 < u64::from(percent)
            }
        }
    }

    /// The text form (for Random, the current state stands for the seed).
    pub fn describe(&self) -> alloc::string::String {
        match *self {
            FailMode::Off => "off".into(),
            FailMode::Nth(n) => alloc::format!("nth:{n}"),
            FailMode::After(n) => alloc::format!("after:{n}"),
            FailMode::Random { percent, state } => alloc::format!("random:{percent}:{}", state & !(1 << 63)),
        }
    }
}

/// Injection into the fallible heap allocations (Linux: failslab).
pub static FAILSLAB: Mutex<FailMode> = Mutex::new(FailMode::Off);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_describe() {
        assert_eq!(FailMode::parse(b"off"), Some(FailMode::Off));
        assert_eq!(FailMode::parse(b"0\n"), Some(FailMode::Off));
        assert_eq!(FailMode::parse(b"nth:3"), Some(FailMode::Nth(3)));
        assert_eq!(FailMode::parse(b"nth:0"), None);
        assert_eq!(FailMode::parse(b"after:0"), Some(FailMode::After(0)));
        assert_eq!(FailMode::parse(b"random:101:1"), None);
        assert_eq!(FailMode::parse(b"random:50"), None);
        assert_eq!(FailMode::parse(b"nth:3:4"), None);
        assert_eq!(FailMode::parse(b"bogus"), None);
        for t in ["off", "nth:7", "after:2", "random:30:12345"] {
            assert_eq!(FailMode::parse(t.as_bytes()).unwrap().describe(), t);
        }
    }

    #[test]
    fn nth_fails_once() {
        let mut m = FailMode::parse(b"nth:3").unwrap();
        let got: Vec<bool> = (0..6).map(|_| m.should_fail()).collect();
        assert_eq!(got, [false, false, true, false, false, false]);
        assert_eq!(m, FailMode::Off);
    }

    #[test]
    fn after_fails_for_good() {
        let mut m = FailMode::After(2);
        let got: Vec<bool> = (0..5).map(|_| m.should_fail()).collect();
        assert_eq!(got, [false, false, true, true, true]);
    }

    #[test]
    fn random_is_seeded_and_about_right() {
        let run = |seed| {
            let mut m = FailMode::parse(alloc::format!("random:25:{seed}").as_bytes()).unwrap();
            (0..4000).map(|_| m.should_fail()).collect::<Vec<bool>>()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
        let n = run(7).iter().filter(|&&f| f).count();
        assert!((800..1200).contains(&n), "{n} of 4000 at 25%");
    }

    #[test]
    fn heap_floor_follows_linux_watermark_within_bounds() {
        let mib = |frames: usize| (frames * 4096) >> 20;
        assert_eq!(mib(heap_floor(256 << 8)), 4, "256 MiB: at least 4 MiB");
        // 1 GiB: Linux's min_free_kbytes is 4096 KiB; twice that.
        assert_eq!(mib(heap_floor(1 << 18)), 8);
        assert_eq!(mib(heap_floor(16 << 18)), 32);
        assert_eq!(mib(heap_floor(1 << 30)), 64, "at most 64 MiB");
    }

    #[test]
    fn fits_counts_growth_and_reserve() {
        let mib = 1 << 20;
        // 16 MiB mapped, 1 reserved, 10 in use: 5 fit without growth.
        assert!(fits(10 * mib, 16 * mib, 0, 5 * mib));
        assert!(!fits(10 * mib, 16 * mib, 0, 5 * mib + 1));
        // With 300 MiB of free frames the heap may grow past them, less
        // the page tables.
        let frames = 300 * mib / 4096;
        assert!(fits(10 * mib, 16 * mib, frames, 300 * mib));
        assert!(!fits(10 * mib, 16 * mib, frames, 306 * mib));
        assert!(!fits(usize::MAX, 16 * mib, usize::MAX, usize::MAX), "no overflow");
    }

    #[test]
    fn try_helpers_give_enomem_on_impossible_sizes() {
        assert_eq!(try_vec::<u64>(usize::MAX / 4).err(), Some(ENOMEM));
        let mut v: Vec<u8> = try_copy(b"abc").unwrap();
        assert_eq!(try_reserve(&mut v, usize::MAX - 8), Err(ENOMEM));
        assert_eq!(try_zeroed(5).unwrap(), [0u8; 5]);
    }
}
