//! The new program's memory (Linux: load_elf_binary() from the mapping of
//! the segments to create_elf_tables()): the program's segments, its
//! interpreter's, and the stack with argv, envp and the auxiliary vector.

use alloc::vec::Vec;

use zerocopy::IntoBytes;

use super::elf::{self, Elf, LoadedImage, PAGE};
use super::exec::{may_open_exec, ExecArgs, STACK_TOP};
use crate::abi::*;
use crate::fs::ramfs::Ino;
use crate::fs::Lookup;
use crate::kernel::Kernel;
use crate::mm::aspace::{AddressSpace, MemCtx};
use crate::mm::consts::{MAP_ANONYMOUS, MAP_FIXED, MAP_GROWSDOWN, MAP_PRIVATE, PROT_READ, PROT_WRITE};
use crate::proc::Pid;

/// What the auxiliary vector says about the new program's memory.
struct AuxInfo {
    /// The program's headers and entry.
    img: LoadedImage,
    /// Where the interpreter was loaded (AT_BASE), 0 without one.
    base: u64,
    /// Where the vDSO is (AT_SYSINFO_EHDR).
    sysinfo_ehdr: u64,
    /// The largest signal frame (AT_MINSIGSTKSZ).
    minsigstksz: u64,
}

/// Open and check the interpreter `name` (from PT_INTERP) for task `pid`:
/// as exec opens a program (ENOENT, EACCES, ETXTBSY...), then EIO when it
/// is shorter than an ELF header, and [`elf::parse_interp`]'s errors.
/// Linux: open_exec(elf_interpreter) and the interpreter checks of
/// load_elf_binary().
#[inline(never)]
fn open_interp(k: &Kernel, pid: Pid, name: &[u8]) -> SysResult<(Ino, Elf)> {
    let cwd = k.vfs.fs_structs().get(k.proc.tasks[&pid].fs).cwd.at;
    let cred = k.fs_cred_of(pid);
    let (mnt, ino) = k.vfs.fs().lookup_mnt(&cred, cwd, name, Lookup::FOLLOW)?;
    may_open_exec(k, &cred, ino)?;
    k.vfs.fs().mnt_may_exec(mnt)?;
    let mut head = [0u8; core::mem::size_of::<Elf64Ehdr>()];
    if k.file_read(ino, 0, &mut head)? != head.len() {
        return Err(EIO);
    }
    let size = k.vfs.fs().inode(ino)?.size();
    let elf = elf::parse_interp(&head, size, |off, buf| k.file_read(ino, off, buf))?;
    Ok((ino, elf))
}

/// Build a new address space for the program in file `ino`, whose first
/// bytes are `head`, with its stack (Linux: load_elf_binary() up to
/// start_thread()). Returns it, the entry point and the initial stack
/// pointer; on failure nothing is left allocated, and the files are cached
/// only if they were before. A program that names an interpreter (task
/// `pid` opens it, from its cwd) starts in the interpreter. `creds` are the credentials the program will
/// run with and whether it runs in secure mode, for the auxiliary vector.
#[allow(clippy::too_many_arguments)]
pub(super) fn build_mm(
    k: &mut Kernel,
    pid: Pid,
    ino: Ino,
    head: &[u8],
    execfn: &[u8],
    args: &mut ExecArgs,
    stack_limit: u64,
    creds: (crate::proc::Cred, bool),
) -> SysResult<(AddressSpace, u64, u64)> {
    let size = k.vfs.fs().inode(ino)?.size();
    let elf = {
        let k = &*k;
        elf::parse(head, size, |off, buf| k.file_read(ino, off, buf))?
    };
    let interp = match &elf.interp {
        Some(name) => Some(open_interp(k, pid, name)?),
        None => None,
    };
    args.opened.extend(interp.as_ref().map(|(ino, _)| *ino));
    // The segments map the files from the page cache, as mmap does.
    k.attach_file(ino)?;
    if let Some((interp_ino, _)) = &interp {
        if let Err(e) = k.attach_file(*interp_ino) {
            k.reclaim_page_cache();
            return Err(e);
        }
    }
    let vdso = match k.vdso_setup() {
        Ok(v) => v,
        Err(e) => {
            k.reclaim_page_cache();
            return Err(e);
        }
    };
    let root = k.mem.kernel_root();
    let random: [u64; 2] = [k.random_u64(), k.random_u64()];
    let hwcap = k.caps.hwcap();
    let minsigstksz = crate::signal::frame::max_frame_size(k.m.fpu.xfeatures());
    let mut ctx = k.mem_ctx();
    let result = AddressSpace::new(&mut ctx, root).and_then(|mut aspace| {
        let r = (|| {
            let img = elf::load(&mut aspace, &mut ctx, &elf, ino)?;
            aspace.set_brk_base(page_up(img.brk));
            // Linux maps the interpreter after the program's .bss, so
            // that it cannot take the room the heap starts in.
            let (base, entry) = match &interp {
                Some((interp_ino, interp_elf)) => elf::load_interp(&mut aspace, &mut ctx, interp_elf, *interp_ino)?,
                None => (0, img.entry),
            };
            // Linux: arch_setup_additional_pages(), after the interpreter.
            let sysinfo_ehdr = vdso.map(&mut aspace, &mut ctx)?;
            let aux = AuxInfo { img, base, sysinfo_ehdr, minsigstksz };
            let sp = setup_stack(&mut aspace, &mut ctx, &aux, execfn, args, random, creds, hwcap, stack_limit)?;
            Ok((entry, sp))
        })();
        match r {
            Ok((entry, sp)) => Ok((aspace, entry, sp)),
            Err(e) => {
                aspace.release(&mut ctx);
                Err(e)
            }
        }
    });
    drop(ctx);
    if result.is_ok() {
        // The next exec of this program maps the same pages.
        k.mem.pagecache_mut().keep(ino);
        if let Some((interp_ino, _)) = interp {
            k.mem.pagecache_mut().keep(interp_ino);
        }
    } else {
        // A file attached for this exec alone leaves the cache again.
        k.reclaim_page_cache();
    }
    result
}

fn page_up(x: u64) -> u64 {
    (x + PAGE - 1) & !(PAGE - 1)
}

/// Lay out argc, argv, envp, the auxiliary vector and the strings at the
/// top of a new stack, exactly as Linux's create_elf_tables() does.
#[allow(clippy::too_many_arguments)]
#[inline(never)]
fn setup_stack(
    aspace: &mut AddressSpace,
    ctx: &mut MemCtx,
    aux: &AuxInfo,
    execfn: &[u8],
    args: &ExecArgs,
    random: [u64; 2],
    (cred, secure): (crate::proc::Cred, bool),
    hwcap: u64,
    stack_limit: u64,
) -> SysResult<u64> {
    let img = &aux.img;
    let size = stack_limit.clamp(128 * 1024, 8 << 20) & !(PAGE - 1);
    let prot = PROT_READ | PROT_WRITE | if img.exec_stack { crate::mm::consts::PROT_EXEC } else { 0 };
    aspace.mmap(ctx, STACK_TOP - size, size, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_GROWSDOWN)?;

    // Strings, highest first: an 8-byte NUL end marker, the file name,
    // then envp and argv strings (so argv[0] ends up lowest).
    let mut p = STACK_TOP - 8;
    let mut put = |aspace: &mut AddressSpace, ctx: &mut MemCtx, bytes: &[u8]| -> SysResult<u64> {
        p -= bytes.len() as u64 + 1;
        aspace.write_forced(ctx, p, bytes)?;
        aspace.write_forced(ctx, p + bytes.len() as u64, &[0])?;
        Ok(p)
    };
    let execfn_at = put(aspace, ctx, execfn)?;
    let mut env_at = Vec::with_capacity(args.envp.len());
    for s in args.envp.iter().rev() {
        env_at.push(put(aspace, ctx, s)?);
    }
    env_at.reverse();
    let mut arg_at = Vec::with_capacity(args.argv.len());
    for s in args.argv.iter().rev() {
        arg_at.push(put(aspace, ctx, s)?);
    }
    arg_at.reverse();
    // The strings lie end to end: argv's, then envp's, then the file
    // name (Linux's order too, so that arg_end == env_start).
    let env_start = env_at.first().copied().unwrap_or(execfn_at);
    aspace.args = crate::mm::aspace::ArgArea {
        arg_start: arg_at.first().copied().unwrap_or(env_start),
        arg_end: env_start,
        env_start,
        env_end: execfn_at,
    };
    let platform_at = put(aspace, ctx, b"x86_64")?;
    let mut p = platform_at & !15;
    p -= 16;
    let random_at = p;
    aspace.write_forced(ctx, random_at, random.as_bytes())?;

    let auxv: [(u64, u64); 21] = [
        // Linux: ARCH_DLINFO first.
        (AT_SYSINFO_EHDR, aux.sysinfo_ehdr),
        (AT_MINSIGSTKSZ, aux.minsigstksz),
        (AT_HWCAP, hwcap),
        (AT_PAGESZ, PAGE),
        (AT_CLKTCK, 100),
        (AT_PHDR, img.phdr),
        (AT_PHENT, img.phent),
        (AT_PHNUM, img.phnum),
        (AT_BASE, aux.base),
        (AT_FLAGS, 0),
        (AT_ENTRY, img.entry),
        (AT_UID, cred.uid as u64),
        (AT_EUID, cred.euid as u64),
        (AT_GID, cred.gid as u64),
        (AT_EGID, cred.egid as u64),
        // Linux (commoncap): a program run with effective ids other than
        // the real ones, or with capabilities its caller lacked, runs in
        // secure mode (the libc then ignores LD_* and the like).
        (AT_SECURE, secure as u64),
        (AT_RANDOM, random_at),
        (AT_HWCAP2, 0),
        (AT_EXECFN, execfn_at),
        (AT_PLATFORM, platform_at),
        (AT_NULL, 0),
    ];
    let words = 1 + arg_at.len() + 1 + env_at.len() + 1 + auxv.len() * 2;
    let sp = (p - words as u64 * 8) & !15;
    // argc, argv[], NULL, envp[], NULL, auxv pairs: one u64 each.
    let mut table: Vec<u64> = Vec::with_capacity(words);
    let mut push = |v: u64| table.push(v);
    push(arg_at.len() as u64);
    arg_at.iter().for_each(|&a| push(a));
    push(0);
    env_at.iter().for_each(|&e| push(e));
    push(0);
    for (key, val) in auxv {
        push(key);
        push(val);
    }
    aspace.write_forced(ctx, sp, table.as_bytes())?;
    aspace.saved_auxv = auxv.iter().flat_map(|&(k, v)| [k, v]).collect();
    Ok(sp)
}
