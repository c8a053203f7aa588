//! Memory calls: mmap, munmap, mprotect, brk, madvise (Linux: mm/mmap.c,
//! mm/mprotect.c, mm/madvise.c). The rules live in `mm::aspace`; these
//! handlers only check what Linux checks at the syscall boundary.

use crate::abi::*;
use crate::kernel::Kernel;
use crate::mm::consts::{MAP_ANONYMOUS, PAGE_SIZE};

/// Linux: ksys_mmap_pgoff(). Only anonymous memory so far: mapping a file
/// descriptor is ENODEV, which Linux gives for a file that cannot be mapped.
pub fn mmap(k: &mut Kernel, addr: u64, len: u64, prot: u64, flags: u64, fd: i32, off: u64) -> SysResult {
    if off % PAGE_SIZE != 0 {
        return Err(EINVAL);
    }
    if flags as u32 & MAP_ANONYMOUS == 0 {
        k.fd_file(fd)?;
        return Err(ENODEV);
    }
    k.with_mm(|a, ctx| a.mmap(ctx, addr, len, prot as _, flags as _)).map(|v| v as usize)
}

pub fn munmap(k: &mut Kernel, addr: u64, len: u64) -> SysResult {
    k.with_mm(|a, ctx| a.munmap(ctx, addr, len))?;
    Ok(0)
}

pub fn mprotect(k: &mut Kernel, addr: u64, len: u64, prot: u64) -> SysResult {
    k.with_mm(|a, ctx| a.mprotect(ctx, addr, len, prot as _))?;
    Ok(0)
}

/// Linux: brk() returns the new break, or the old one when it cannot move.
pub fn brk(k: &mut Kernel, new: u64) -> SysResult {
    Ok(k.with_mm(|a, ctx| a.brk(ctx, new)) as usize)
}

/// Linux: madvise(). Advice is accepted and, for now, ignored, after the
/// argument checks Linux makes.
pub fn madvise(_k: &mut Kernel, addr: u64, len: u64, advice: u64) -> SysResult {
    if addr % PAGE_SIZE != 0 {
        return Err(EINVAL);
    }
    match advice {
        0..=4 | 8..=21 | 100..=101 => {}
        _ => return Err(EINVAL),
    }
    let _ = len;
    Ok(0)
}
