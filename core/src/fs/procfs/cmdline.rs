//! /proc/<pid>/cmdline and environ: the argument and environment strings
//! read from the process's own memory, where exec put them (Linux:
//! fs/proc/base.c get_mm_cmdline(), environ_read()).
//!
//! Reading the memory rather than a copy made at exec is what lets a
//! program rename itself for `ps` by rewriting its argv strings in place
//! (setproctitle). A program that writes over the NUL ending its last
//! argument says its title is one string that may run on into the
//! environment area: the reader then gets that string up to its first
//! NUL, from the first page only.

use super::inode::{mem_rw, MemIo};
use super::*;

/// read() of cmdline or environ of task `tid` at `pos`: 0 at the end, and
/// for a process without memory (a zombie, a kernel thread).
pub(super) fn read(k: &mut Kernel, tid: Pid, entry: PidEntry, pos: u64, buf: &mut [u8]) -> SysResult<usize> {
    let t = task(k, tid)?;
    let Some(a) = task_mm(k, t).map(|mm| mm.args) else { return Ok(0) };
    let n = match entry {
        PidEntry::Environ => area(k, tid, a.env_start, a.env_end, pos, buf),
        _ => cmdline(k, tid, a, pos, buf),
    };
    Ok(n)
}

/// The bytes of `[start, end)` from offset `pos` on, as many as can be
/// read (none past an unmapped page).
fn area(k: &mut Kernel, tid: Pid, start: u64, end: u64, pos: u64, buf: &mut [u8]) -> usize {
    let len = end.saturating_sub(start);
    if pos >= len {
        return 0;
    }
    let n = buf.len().min((len - pos) as usize);
    mem_rw(k, tid, start + pos, MemIo::Read(&mut buf[..n])).unwrap_or(0)
}

fn cmdline(k: &mut Kernel, tid: Pid, a: crate::mm::aspace::ArgArea, pos: u64, buf: &mut [u8]) -> usize {
    if a.arg_end == 0 {
        return 0;
    }
    // The title may run on only into an environment that follows the
    // arguments directly.
    let env_end = if a.env_start == a.arg_end && a.env_end >= a.env_start { a.env_end } else { a.arg_end };
    if pos >= env_end.saturating_sub(a.arg_start) {
        return 0;
    }
    let mut last = [0u8];
    let retitled = mem_rw(k, tid, a.arg_end - 1, MemIo::Read(&mut last)) == Ok(1) && last[0] != 0;
    if !retitled {
        return area(k, tid, a.arg_start, a.arg_end, pos, buf);
    }
    // Linux: get_mm_proctitle().
    let page = crate::mm::consts::PAGE_SIZE;
    if pos >= page {
        return 0;
    }
    let mut title = alloc::vec![0u8; page as usize];
    let got = mem_rw(k, tid, a.arg_start, MemIo::Read(&mut title)).unwrap_or(0);
    let len = title[..got].iter().position(|&c| c == 0).map_or(got, |nul| nul + 1);
    let pos = pos as usize;
    if len <= pos {
        return 0;
    }
    let n = (len - pos).min(buf.len());
    buf[..n].copy_from_slice(&title[pos..pos + n]);
    n
}
