//! Memory calls: mmap, munmap, mprotect, brk, madvise (Linux: mm/mmap.c,
//! mm/mprotect.c, mm/madvise.c). The rules live in `mm::aspace`; these
//! handlers only check what Linux checks at the syscall boundary and find
//! what a descriptor maps.

use crate::abi::*;
use crate::kernel::Kernel;
use crate::mm::consts::{MAP_ANONYMOUS, PAGE_SHIFT, PAGE_SIZE};
use crate::mm::mmap::MapFile;

/// Linux: sys_mmap() (arch/x86/kernel/sys_x86_64.c) → ksys_mmap_pgoff().
/// Anonymous memory, or what descriptor `fd` refers to: a regular file
/// through the page cache, /dev/zero as anonymous memory; anything else is
/// ENODEV. EBADF for a bad descriptor (O_PATH ones included, which Linux's
/// fget() does not return).
pub fn mmap(k: &mut Kernel, addr: u64, len: u64, prot: u64, flags: u64, fd: i32, off: u64) -> SysResult {
    if !off.is_multiple_of(PAGE_SIZE) {
        return Err(EINVAL);
    }
    let (prot, flags) = (prot as u32, flags as u32);
    // RLIMIT_AS, RLIMIT_DATA and RLIMIT_MEMLOCK, checked by do_mmap.
    k.refresh_vm_limits();
    if flags & MAP_ANONYMOUS != 0 {
        return k.with_mm(|a, ctx| a.mmap(ctx, addr, len, prot, flags)).map(|v| v as usize);
    }
    let id = k.fd_file(fd)?;
    let f = k.vfs.files().get(id).clone();
    if f.flags & O_PATH != 0 {
        return Err(EBADF);
    }
    // What the file maps (Linux: `->mmap`): a regular file's data through
    // the page cache, /dev/zero's anonymous memory, else nothing.
    let target = f.kind.ops().mmap(k, id)?;
    // A file from a noexec mount (an open file keeps no mount: the one
    // that shows it) maps without exec, now or later.
    let noexec = f.ino.is_some_and(|ino| k.vfs.fs().mnt_may_exec(k.vfs.fs().mount_at(ino)).is_err());
    let write_sealed = f.kind.data_ino().is_some_and(|ino| k.write_sealed(ino));
    let file = MapFile {
        target,
        readable: f.readable(),
        writable: f.writable(),
        pgoff: off >> PAGE_SHIFT,
        write_sealed,
        noexec,
    };
    let r = k.with_mm(|a, ctx| a.mmap_file(ctx, addr, len, prot, flags, &file));
    if r.is_err() {
        k.reclaim_page_cache();
    }
    r.map(|v| v as usize)
}

/// Linux: munmap(); a file nothing maps any more leaves the page cache.
pub fn munmap(k: &mut Kernel, addr: u64, len: u64) -> SysResult {
    k.with_mm(|a, ctx| a.munmap(ctx, addr, len))?;
    k.reclaim_page_cache();
    Ok(0)
}

/// Linux: mremap(); `flags` is a C unsigned long, of which only the
/// MREMAP_* bits may be set.
pub fn mremap(k: &mut Kernel, addr: u64, old_len: u64, new_len: u64, flags: u64, new_addr: u64) -> SysResult {
    let flags = u32::try_from(flags).map_err(|_| crate::abi::EINVAL)?;
    k.refresh_vm_limits();
    let at = k.with_mm(|a, ctx| a.mremap(ctx, addr, old_len, new_len, flags, new_addr))?;
    k.reclaim_page_cache();
    Ok(at as usize)
}

pub fn mprotect(k: &mut Kernel, addr: u64, len: u64, prot: u64) -> SysResult {
    k.with_mm(|a, ctx| a.mprotect(ctx, addr, len, prot as _))?;
    Ok(0)
}

/// Linux: brk() returns the new break, or the old one when it cannot move.
pub fn brk(k: &mut Kernel, new: u64) -> SysResult {
    k.refresh_vm_limits();
    Ok(k.with_mm(|a, ctx| a.brk(ctx, new)) as usize)
}

/// Linux: madvise(); `advice` is a C int.
pub fn madvise(k: &mut Kernel, addr: u64, len: u64, advice: u64) -> SysResult {
    k.with_mm(|a, ctx| a.madvise(ctx, addr, len, advice as i32))?;
    Ok(0)
}

/// msync(2). The RAM file system reads and writes through the page cache,
/// so a shared mapping's data is already what read(2) sees: what is left
/// is Linux's checking (sys_msync()): EINVAL for bad flags or an unaligned
/// start, EBUSY for MS_INVALIDATE over locked pages, and ENOMEM when part
/// of the range is not mapped (after going over the rest).
pub fn msync(k: &mut Kernel, start: u64, len: u64, flags: u64) -> SysResult {
    const MS_ASYNC: u64 = 1;
    const MS_INVALIDATE: u64 = 2;
    const MS_SYNC: u64 = 4;
    if flags & !(MS_ASYNC | MS_INVALIDATE | MS_SYNC) != 0
        || !start.is_multiple_of(PAGE_SIZE)
        || flags & (MS_ASYNC | MS_SYNC) == MS_ASYNC | MS_SYNC
    {
        return Err(EINVAL);
    }
    let len = len.checked_add(PAGE_SIZE - 1).ok_or(ENOMEM)? & !(PAGE_SIZE - 1);
    let end = start.checked_add(len).ok_or(ENOMEM)?;
    if end == start {
        return Ok(0);
    }
    k.with_mm(|a, _| {
        let mut at = start;
        let mut unmapped = false;
        for v in a.vmas().filter(|v| v.end > start && v.start < end) {
            if v.start > at {
                unmapped = true;
            }
            if flags & MS_INVALIDATE != 0 && v.flags.contains(crate::mm::vma::VmFlags::LOCKED) {
                return Err(EBUSY);
            }
            at = v.end;
        }
        if unmapped || at < end {
            return Err(ENOMEM);
        }
        Ok(0)
    })
}
