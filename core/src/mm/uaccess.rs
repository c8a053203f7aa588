//! Reading and writing user memory without ever dereferencing a user
//! pointer (Linux: copy_from_user(), copy_to_user(), strncpy_from_user(),
//! and access_process_vm() with FOLL_FORCE for the loader).
//!
//! Every byte goes through [`AddressSpace::simulate_access`]: the same
//! check the MMU makes, with demand-zero and copy-on-write faults resolved
//! on the way, then a copy through [`PhysMem`](crate::machine::PhysMem).
//! A bad pointer is EFAULT. As on Linux, a copy that faults part-way has
//! already transferred the bytes before the fault.

use alloc::vec::Vec;

use zerocopy::{FromBytes, Immutable, IntoBytes};

use super::aspace::{leaf_flags, AddressSpace, MemCtx};
use super::consts::*;
use super::fault::{Access, FaultError};
use super::pagetable::Pte;
use super::vma::{Prot, Vma};
use crate::abi::{Errno, EFAULT, ENAMETOOLONG, ENOMEM};

/// Linux: access_ok(). The whole range must lie below TASK_SIZE, which
/// also rules out kernel addresses and wrap-around; even an empty range
/// must start there. It says nothing of what is mapped: system calls that
/// take a buffer check it first, so that a kernel address is EFAULT
/// before any work is done (vfs_read(), vfs_write(), import_iovec()).
pub fn access_ok(addr: u64, len: usize) -> Result<(), Errno> {
    match addr.checked_add(len as u64) {
        Some(end) if end <= TASK_SIZE => Ok(()),
        _ => Err(EFAULT),
    }
}

/// Split `[addr, addr + len)` at page boundaries: (address, offset, length).
fn page_chunks(addr: u64, len: usize) -> impl Iterator<Item = (u64, usize, usize)> {
    let mut done = 0usize;
    core::iter::from_fn(move || {
        (done < len).then(|| {
            let va = addr + done as u64;
            let n = ((PAGE_SIZE - (va & (PAGE_SIZE - 1))) as usize).min(len - done);
            let chunk = (va, done, n);
            done += n;
            chunk
        })
    })
}

impl AddressSpace {
    /// Load `buf.len()` bytes as user code would: faults the user program
    /// would take become the signal they would raise.
    pub fn user_read(&mut self, ctx: &mut MemCtx<'_>, addr: u64, buf: &mut [u8]) -> Result<(), FaultError> {
        addr.checked_add(buf.len() as u64).ok_or(FaultError::MapErr)?;
        for (va, off, n) in page_chunks(addr, buf.len()) {
            let pa = self.simulate_access(ctx, va, Access::Read)?;
            ctx.phys.read(pa, &mut buf[off..off + n]);
        }
        Ok(())
    }

    /// Store `data` as user code would.
    pub fn user_write(&mut self, ctx: &mut MemCtx<'_>, addr: u64, data: &[u8]) -> Result<(), FaultError> {
        addr.checked_add(data.len() as u64).ok_or(FaultError::MapErr)?;
        for (va, off, n) in page_chunks(addr, data.len()) {
            let pa = self.simulate_access(ctx, va, Access::Write)?;
            ctx.phys.write(pa, &data[off..off + n]);
        }
        Ok(())
    }

    /// Linux: copy_from_user().
    /// Copying nothing succeeds at any address, as on Linux (whose
    /// access_ok() refuses it, and the "not copied" count is then 0).
    pub fn copy_from_user(&mut self, ctx: &mut MemCtx<'_>, addr: u64, buf: &mut [u8]) -> Result<(), Errno> {
        if buf.is_empty() {
            return Ok(());
        }
        access_ok(addr, buf.len())?;
        self.user_read(ctx, addr, buf).map_err(FaultError::errno)
    }

    /// Linux: copy_to_user(); nothing copied is success, as above.
    pub fn copy_to_user(&mut self, ctx: &mut MemCtx<'_>, addr: u64, data: &[u8]) -> Result<(), Errno> {
        if data.is_empty() {
            return Ok(());
        }
        access_ok(addr, data.len())?;
        self.user_write(ctx, addr, data).map_err(FaultError::errno)
    }

    /// One `#[repr(C)]` ABI value from user memory (Linux:
    /// copy_from_user() into a struct). Its bytes are taken as they are:
    /// `FromBytes` says every pattern is a valid `T`, so nothing is decoded
    /// by hand.
    pub fn read_val<T: FromBytes + IntoBytes>(&mut self, ctx: &mut MemCtx<'_>, addr: u64) -> Result<T, Errno> {
        let mut v = T::new_zeroed();
        self.copy_from_user(ctx, addr, v.as_mut_bytes())?;
        Ok(v)
    }

    /// One `#[repr(C)]` ABI value to user memory (Linux: copy_to_user() of
    /// a struct). `IntoBytes` rules out padding, so no kernel bytes leak.
    pub fn write_val<T: IntoBytes + Immutable>(&mut self, ctx: &mut MemCtx<'_>, addr: u64, v: &T) -> Result<(), Errno> {
        self.copy_to_user(ctx, addr, v.as_bytes())
    }

    /// Linux: get_user() of a u64.
    pub fn read_u64(&mut self, ctx: &mut MemCtx<'_>, addr: u64) -> Result<u64, Errno> {
        self.read_val(ctx, addr)
    }

    /// Linux: put_user() of a u64.
    pub fn write_u64(&mut self, ctx: &mut MemCtx<'_>, addr: u64, v: u64) -> Result<(), Errno> {
        self.write_val(ctx, addr, &v)
    }

    /// A NUL-terminated string of at most `max_len` bytes including the
    /// NUL, returned without it. ENAMETOOLONG when there is no NUL within
    /// `max_len` bytes; pages after the NUL are never touched.
    /// Linux: strncpy_from_user() as used by getname() (with PATH_MAX).
    pub fn read_cstr(&mut self, ctx: &mut MemCtx<'_>, addr: u64, max_len: usize) -> Result<Vec<u8>, Errno> {
        let mut out = Vec::new();
        let mut va = addr;
        while out.len() < max_len {
            if va >= TASK_SIZE {
                return Err(EFAULT);
            }
            let n = ((PAGE_SIZE - (va & (PAGE_SIZE - 1))) as usize).min(max_len - out.len());
            let pa = self.simulate_access(ctx, va, Access::Read).map_err(FaultError::errno)?;
            let old = out.len();
            super::kheap::try_reserve(&mut out, n)?;
            out.resize(old + n, 0);
            ctx.phys.read(pa, &mut out[old..]);
            if let Some(nul) = out[old..].iter().position(|&b| b == 0) {
                out.truncate(old + nul);
                return Ok(out);
            }
            va += n as u64;
        }
        Err(ENAMETOOLONG)
    }

    /// Write `data` at `addr` whatever the mapping's write permission, as
    /// the ELF loader filling read-only text needs: pages get private
    /// frames (copy-on-write is broken) but keep their VMA's protection.
    /// EFAULT outside any VMA. Linux: access_process_vm() with
    /// FOLL_FORCE | FOLL_WRITE.
    pub fn write_forced(&mut self, ctx: &mut MemCtx<'_>, addr: u64, data: &[u8]) -> Result<(), Errno> {
        access_ok(addr, data.len())?;
        for (va, off, n) in page_chunks(addr, data.len()) {
            let vma = *self.vmas.find(va).ok_or(EFAULT)?;
            let frame = self.own_page(ctx, &vma, page_floor(va))?;
            ctx.phys.write(frame + (va & (PAGE_SIZE - 1)), &data[off..off + n]);
        }
        Ok(())
    }

    /// A frame at `va` that this address space alone may modify (or, for a
    /// shared mapping, the shared one), allocating or copying as needed.
    /// Linux: the FAULT_FLAG_WRITE | FAULT_FLAG_UNSHARE path of a forced
    /// get_user_pages().
    fn own_page(&mut self, ctx: &mut MemCtx<'_>, vma: &Vma, va: u64) -> Result<u64, Errno> {
        // The refcount test below means "mapped only here" only in a leaf
        // table of our own.
        self.unshare_range(ctx, va, va + PAGE_SIZE);
        let old = self.pt.get(ctx.phys, va);
        if let Some(f) = vma.file {
            return self.own_file_page(ctx, vma, va, old, f.ino);
        }
        let zero = ctx.frames.zero_frame();
        let has_data = old.is_mapped() && old.addr() != zero;
        if has_data && (vma.is_shared() || ctx.frames.refcount(old.addr()) == 1) {
            return Ok(old.addr());
        }
        let frame = if has_data {
            ctx.frames.alloc().inspect(|&f| ctx.phys.copy_frame(f, old.addr()))
        } else {
            ctx.frames.alloc_zeroed(ctx.phys)
        }
        .ok_or(ENOMEM)?;
        self.replace_pte(ctx, va, Pte::new(frame, leaf_flags(vma, vma.prot.contains(Prot::WRITE))))?;
        Ok(frame)
    }

    /// [`own_page`](Self::own_page) for a page-cache backed VMA: the cache
    /// page itself (marked dirty) in a shared mapping, a private copy of it
    /// in a private one. EFAULT beyond the end of the file.
    fn own_file_page(&mut self, ctx: &mut MemCtx<'_>, vma: &Vma, va: u64, old: Pte, key: u64) -> Result<u64, Errno> {
        let idx = vma.page_index(va).expect("file VMA");
        if vma.is_shared() {
            let page = if old.is_mapped() {
                old.addr()
            } else {
                let page = ctx.pagecache.get_page(ctx.frames, ctx.phys, key, idx).map_err(FaultError::errno)?;
                ctx.frames.get(page);
                // Read-only until a write fault: the PTE's rights follow
                // the VMA, not this forced write.
                self.replace_pte(ctx, va, Pte::new(page, leaf_flags(vma, false)))?;
                page
            };
            ctx.pagecache.mark_dirty(key, idx);
            return Ok(page);
        }
        if old.is_mapped() && ctx.frames.refcount(old.addr()) == 1 {
            return Ok(old.addr()); // already a private copy
        }
        let src = if old.is_mapped() {
            old.addr()
        } else {
            ctx.pagecache.get_page(ctx.frames, ctx.phys, key, idx).map_err(FaultError::errno)?
        };
        let frame = ctx.frames.alloc().ok_or(ENOMEM)?;
        ctx.phys.copy_frame(frame, src);
        self.replace_pte(ctx, va, Pte::new(frame, leaf_flags(vma, vma.prot.contains(Prot::WRITE))))?;
        Ok(frame)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mm::sim::{finish, Env, ANON, BASE, P, RW};
    use crate::mm::vma::VmFlags;

    fn setup() -> (Env, AddressSpace) {
        let mut env = Env::new(256);
        let mut a = env.aspace();
        a.mmap(&mut env.ctx(), BASE, 2 * P, RW, ANON | MAP_FIXED).unwrap();
        a.mmap(&mut env.ctx(), BASE + 2 * P, P, PROT_READ, ANON | MAP_FIXED).unwrap();
        (env, a)
    }

    #[test]
    fn round_trip_across_pages() {
        let (mut env, mut a) = setup();
        let data: Vec<u8> = (0..300u32).map(|i| i as u8).collect();
        a.copy_to_user(&mut env.ctx(), BASE + P - 100, &data).unwrap();
        let mut back = [0u8; 300];
        a.copy_from_user(&mut env.ctx(), BASE + P - 100, &mut back).unwrap();
        assert_eq!(&back[..], &data[..]);
        a.write_u64(&mut env.ctx(), BASE + 8, 0x1122_3344_5566_7788).unwrap();
        assert_eq!(a.read_u64(&mut env.ctx(), BASE + 8), Ok(0x1122_3344_5566_7788));
        // Reading the read-only, untouched page gives zeros via the zero frame.
        assert_eq!(a.read_u64(&mut env.ctx(), BASE + 2 * P), Ok(0));
        finish(env, a);
    }

    #[test]
    fn efault_cases() {
        let (mut env, mut a) = setup();
        let mut ctx = env.ctx();
        let c = &mut ctx;
        let mut b = [0u8; 16];
        assert_eq!(a.copy_to_user(c, BASE + 2 * P, &[1]), Err(EFAULT), "read-only mapping");
        assert_eq!(a.copy_to_user(c, BASE + 2 * P - 1, &[1, 2]), Err(EFAULT), "crosses into read-only");
        assert_eq!(a.copy_from_user(c, BASE + 3 * P, &mut b), Err(EFAULT), "unmapped");
        assert_eq!(a.copy_from_user(c, BASE - 8, &mut b), Err(EFAULT), "starts unmapped");
        assert_eq!(a.copy_from_user(c, 0, &mut b), Err(EFAULT), "NULL");
        assert_eq!(a.copy_from_user(c, 0x0000_8000_0000_0000, &mut b), Err(EFAULT), "non-canonical");
        assert_eq!(a.copy_from_user(c, 0xffff_8000_0000_0000, &mut b), Err(EFAULT), "kernel half");
        assert_eq!(a.copy_from_user(c, TASK_SIZE - 8, &mut b), Err(EFAULT), "runs past TASK_SIZE");
        assert_eq!(a.copy_from_user(c, u64::MAX - 4, &mut b), Err(EFAULT), "wraps");
        assert_eq!(a.read_u64(c, BASE + 3 * P), Err(EFAULT));
        assert_eq!(a.write_u64(c, BASE + 2 * P, 0), Err(EFAULT));
        assert_eq!(a.copy_from_user(c, 0xffff_8000_0000_0000, &mut []), Ok(()), "empty copies check nothing");
        // The partial write before the fault is visible, as on Linux.
        assert_eq!(a.copy_to_user(c, BASE + 2 * P - 2, &[7, 7, 7]), Err(EFAULT));
        assert_eq!(a.read_u64(c, BASE + 2 * P - 8), Ok(0x0707_0000_0000_0000));
        drop(ctx);
        finish(env, a);
    }

    #[test]
    fn read_cstr_stops_at_nul_and_limits() {
        let (mut env, mut a) = setup();
        let mut ctx = env.ctx();
        let c = &mut ctx;
        // "hello" ending right before the read-only page, NUL on it.
        let s = BASE + 2 * P - 5;
        a.copy_to_user(c, s, b"hello").unwrap();
        assert_eq!(a.read_cstr(c, s, 4096), Ok(b"hello".to_vec()));
        assert_eq!(a.read_cstr(c, s, 6), Ok(b"hello".to_vec()), "NUL is the 6th byte");
        assert_eq!(a.read_cstr(c, s, 5), Err(ENAMETOOLONG));
        assert_eq!(a.read_cstr(c, BASE + 3 * P, 10), Err(EFAULT));
        // No NUL before an unmapped page: EFAULT, not ENAMETOOLONG.
        a.mmap(c, BASE + 3 * P, P, RW, ANON | MAP_FIXED).unwrap();
        a.copy_to_user(c, BASE + 4 * P - 3, b"abc").unwrap();
        assert_eq!(a.read_cstr(c, BASE + 4 * P - 3, 4096), Err(EFAULT));
        // A string ending on a page boundary never touches the next page.
        a.copy_to_user(c, BASE + 4 * P - 3, b"ab\0").unwrap();
        assert_eq!(a.read_cstr(c, BASE + 4 * P - 3, 4096), Ok(b"ab".to_vec()));
        assert_eq!(a.read_cstr(c, TASK_SIZE - 1, 4096), Err(EFAULT));
        drop(ctx);
        finish(env, a);
    }

    #[test]
    fn write_forced_fills_readonly_text_and_breaks_cow() {
        let (mut env, mut a) = setup();
        let text = 0x40_0000;
        a.map_fixed_region(&mut env.ctx(), text, 2 * P, Prot::READ | Prot::EXEC, VmFlags::empty()).unwrap();
        let code: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
        a.write_forced(&mut env.ctx(), text + 10, &code).unwrap();
        let pte = a.pte(&env.mem, text);
        assert!(pte.is_present() && !pte.is_writable() && pte.is_executable());
        let mut back = std::vec![0u8; 5000];
        a.copy_from_user(&mut env.ctx(), text + 10, &mut back).unwrap();
        assert_eq!(back, code);
        assert_eq!(a.copy_to_user(&mut env.ctx(), text, &[0]), Err(EFAULT));
        assert_eq!(a.write_forced(&mut env.ctx(), 0x80_0000, &[0]), Err(EFAULT), "no VMA");

        // Over a zero-frame page: gets a frame of its own.
        let zero = env.frames.zero_frame();
        a.read_u64(&mut env.ctx(), BASE + 2 * P).unwrap();
        assert_eq!(a.pte(&env.mem, BASE + 2 * P).addr(), zero);
        a.write_forced(&mut env.ctx(), BASE + 2 * P, &[9]).unwrap();
        assert_ne!(a.pte(&env.mem, BASE + 2 * P).addr(), zero);

        // After fork, a forced write in the child does not reach the parent.
        let mut b = a.fork(&mut env.ctx()).unwrap();
        b.write_forced(&mut env.ctx(), text + 10, &[0xff]).unwrap();
        let mut x = [0u8];
        a.copy_from_user(&mut env.ctx(), text + 10, &mut x).unwrap();
        assert_eq!(x, [0]);
        b.copy_from_user(&mut env.ctx(), text + 10, &mut x).unwrap();
        assert_eq!(x, [0xff]);
        b.release(&mut env.ctx());
        finish(env, a);
    }

    /// What exec does to a new address space (mmap the segments, fill them
    /// with forced writes, map and fill the stack), failing at each frame
    /// allocation in turn: ENOMEM, and releasing the half-built address
    /// space gives every frame back, as exec's error path relies on.
    #[test]
    fn exec_style_loading_out_of_memory_leaks_nothing() {
        let mut env = Env::new(256);
        let text: Vec<u8> = (0..10_000u32).map(|i| i as u8).collect();
        let load = |a: &mut AddressSpace, c: &mut MemCtx<'_>| -> Result<(), Errno> {
            a.mmap(c, 0x40_0000, 3 * P, PROT_READ | PROT_EXEC, ANON | MAP_FIXED)?;
            a.write_forced(c, 0x40_0000, &text)?;
            a.mmap(c, 0x60_3000, 3 * P, PROT_READ | PROT_WRITE, ANON | MAP_FIXED)?;
            a.write_forced(c, 0x60_3100, &text[..5000])?;
            a.mmap(c, STACK_TOP - 32 * P, 32 * P, PROT_READ | PROT_WRITE, ANON | MAP_FIXED | MAP_GROWSDOWN)?;
            a.write_forced(c, STACK_TOP - 100, b"argv0\0env=1\0")?;
            a.write_u64(c, STACK_TOP - 2 * P, 3)
        };
        for n in 0.. {
            let mut a = env.aspace();
            env.frames.fail_after(Some(n));
            let r = load(&mut a, &mut env.ctx());
            env.frames.fail_after(None);
            let done = r.is_ok();
            if !done {
                assert_eq!(r, Err(ENOMEM), "allocation {n}");
            } else {
                let mut b = [0u8; 5];
                a.copy_from_user(&mut env.ctx(), 0x40_0000 + 9000, &mut b).unwrap();
                assert_eq!(b, text[9000..9005]);
            }
            a.release(&mut env.ctx());
            env.check_baseline();
            if done {
                assert!(n > 8);
                break;
            }
        }
    }
}
