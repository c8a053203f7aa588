//! The kernel lock: a ticket lock (fair: CPUs get it in the order they
//! asked) that knows which CPU holds it (Linux had its big kernel lock,
//! lock_kernel(), until 2.6.39; its ticket spinlocks are
//! arch_spin_lock() before qspinlocks).
//!
//! It is taken with interrupts off (the kernel always runs so, but for the
//! idle loop's wait) and never held across a context switch; see
//! docs/architecture.md, "Several CPUs", for what it protects.

use core::cell::UnsafeCell;
use core::ops::{Deref, DerefMut};
use core::sync::atomic::{AtomicU32, Ordering};

/// A value that one CPU at a time may use.
pub struct TicketLock<T> {
    /// The next ticket to hand out.
    next: AtomicU32,
    /// The ticket allowed in.
    serving: AtomicU32,
    /// The holder's CPU number plus one; 0 when free.
    holder: AtomicU32,
    value: UnsafeCell<T>,
}

// SAFETY: the value is reached only through a guard, and one guard exists
// at a time (the ticket protocol below), so moving `T` between CPUs is all
// that sharing the lock does: `T: Send` suffices, as for std's Mutex.
unsafe impl<T: Send> Sync for TicketLock<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Send for TicketLock<T> {}

impl<T> TicketLock<T> {
    pub const fn new(value: T) -> Self {
        TicketLock {
            next: AtomicU32::new(0),
            serving: AtomicU32::new(0),
            holder: AtomicU32::new(0),
            value: UnsafeCell::new(value),
        }
    }

    /// Wait for our turn. Taking it twice on one CPU would wait for ever:
    /// that is a bug, caught in debug builds.
    pub fn lock(&self) -> TicketGuard<'_, T> {
        debug_assert!(!self.held_here(), "kernel lock taken twice on CPU {}", crate::percpu::cpu());
        debug_assert!(!crate::cpu::interrupts_enabled(), "kernel lock taken with interrupts on");
        let ticket = self.next.fetch_add(1, Ordering::Relaxed);
        let mut waited = 0;
        // The clock is read only when the lock was not free at once, so
        // that one CPU never pays for it.
        if self.serving.load(Ordering::Acquire) != ticket {
            let start = crate::timer::rdtsc();
            while self.serving.load(Ordering::Acquire) != ticket {
                // The holder may be waiting for this CPU's TLB flush.
                crate::smp::service_flush();
                core::hint::spin_loop();
            }
            waited = crate::timer::rdtsc().saturating_sub(start);
        }
        self.holder.store(crate::percpu::cpu() as u32 + 1, Ordering::Relaxed);
        TicketGuard { lock: self, waited }
    }

    /// The lock if nobody holds it or waits for it (the panic's look at
    /// the kernel).
    pub fn try_lock(&self) -> Option<TicketGuard<'_, T>> {
        let serving = self.serving.load(Ordering::Acquire);
        self.next.compare_exchange(serving, serving.wrapping_add(1), Ordering::Acquire, Ordering::Relaxed).ok()?;
        self.holder.store(crate::percpu::cpu() as u32 + 1, Ordering::Relaxed);
        Some(TicketGuard { lock: self, waited: 0 })
    }

    /// Whether the running CPU holds the lock: for the assertions of code
    /// that must run under it.
    pub fn held_here(&self) -> bool {
        self.holder.load(Ordering::Relaxed) == crate::percpu::cpu() as u32 + 1
    }
}

/// The lock, held: the value through `Deref`; dropped to unlock.
pub struct TicketGuard<'a, T> {
    lock: &'a TicketLock<T>,
    /// How long this CPU waited for the lock, in TSC cycles (0: it was
    /// free).
    waited: u64,
}

impl<T> TicketGuard<'_, T> {
    /// How long this CPU waited for the lock, in TSC cycles (0 when it
    /// was free at once).
    pub fn waited(&self) -> u64 {
        self.waited
    }
}

impl<T> Deref for TicketGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: this guard is the only one (the ticket protocol), so no
        // `&mut T` exists elsewhere while it lives.
        unsafe { &*self.lock.value.get() }
    }
}

impl<T> DerefMut for TicketGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`, and `&mut self` makes this borrow unique.
        unsafe { &mut *self.lock.value.get() }
    }
}

impl<T> Drop for TicketGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.holder.store(0, Ordering::Relaxed);
        // Only the holder moves `serving`: the next ticket may go in.
        let s = self.lock.serving.load(Ordering::Relaxed);
        self.lock.serving.store(s.wrapping_add(1), Ordering::Release);
    }
}
