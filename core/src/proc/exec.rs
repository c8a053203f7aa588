//! execve: replace the calling task's program (Linux: fs/exec.c,
//! do_execveat_common() → bprm_execve() → load_elf_binary()).
//!
//! Everything that can fail happens before the point of no return, on a
//! new address space, so a failed exec leaves the caller exactly as it was.

use alloc::string::String;
use alloc::vec::Vec;

use super::elf::{self, LoadedImage, PAGE};
use crate::abi::*;
use crate::kernel::Kernel;
use crate::mm::aspace::{AddressSpace, MemCtx};
use crate::mm::consts::{MAP_ANONYMOUS, MAP_FIXED, MAP_GROWSDOWN, MAP_PRIVATE, PROT_READ, PROT_WRITE};
use crate::proc::kstack::FpuState;
use crate::proc::{Pid, SigAction};

/// The top of the user stack (Linux: STACK_TOP = TASK_SIZE, without
/// randomisation).
pub const STACK_TOP: u64 = 0x7fff_ffff_f000;
/// Linux: MAX_ARG_STRLEN, the longest single argument or variable.
const MAX_ARG_STRLEN: usize = 32 * 4096;
/// Linux: MAX_ARG_STRINGS.
const MAX_ARG_STRINGS: usize = 0x7fff_ffff;

/// The program arguments as the new program will see them.
pub struct ExecArgs {
    pub argv: Vec<Vec<u8>>,
    pub envp: Vec<Vec<u8>>,
}

impl ExecArgs {
    /// Bytes of strings and pointers: Linux refuses more than a quarter of
    /// the stack limit with E2BIG (bprm_stack_limits()).
    fn check_size(&self, stack_limit: u64) -> SysResult<()> {
        let strings: usize = self.argv.iter().chain(&self.envp).map(|s| s.len() + 1).sum();
        let ptrs = (self.argv.len() + self.envp.len() + 2) * 8;
        let limit = (stack_limit / 4).max(32 * 4096).min(6 * (1 << 30) / 4) as usize;
        if strings + ptrs > limit {
            return Err(E2BIG);
        }
        Ok(())
    }
}

/// Read a NULL-terminated array of string pointers (argv or envp).
fn read_strv(k: &mut Kernel, mut ptr: u64) -> SysResult<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    if ptr == 0 {
        return Ok(out); // Linux treats a NULL argv/envp as empty.
    }
    loop {
        let p = k.read_u64(ptr)?;
        if p == 0 {
            return Ok(out);
        }
        if out.len() >= MAX_ARG_STRINGS {
            return Err(E2BIG);
        }
        let s = k.read_cstr(p, MAX_ARG_STRLEN).map_err(|e| if e == ENAMETOOLONG { E2BIG } else { e })?;
        out.push(s);
        ptr += 8;
    }
}

/// Linux: execve(2).
pub fn sys_execve(k: &mut Kernel, regs: &mut PtRegs, path: u64, argv: u64, envp: u64) -> SysResult {
    let path = k.read_path(path)?;
    let args = ExecArgs { argv: read_strv(k, argv)?, envp: read_strv(k, envp)? };
    let pid = k.current.expect("execve from a task");
    do_execve(k, pid, regs, &path, args)
}

/// Resolve `path` to an executable's bytes: ENOENT, ENOTDIR, EACCES (not
/// a regular file or no execute bit) as Linux's do_open_execat().
fn read_executable(k: &mut Kernel, pid: Pid, path: &str) -> SysResult<Vec<u8>> {
    let cwd = k.fs_structs.get(k.tasks[&pid].fs).cwd;
    let ino = k.fs.lookup(cwd, path.as_bytes(), crate::fs::Lookup::FOLLOW)?;
    k.fs.may_exec(ino)?;
    k.fs.read_all(ino)
}

/// Build a new address space for `image` with its stack (Linux:
/// load_elf_binary() up to start_thread()). Returns it, the entry point and
/// the initial stack pointer; on failure nothing is left allocated.
fn build_mm(k: &mut Kernel, image: &[u8], execfn: &[u8], args: &ExecArgs, stack_limit: u64) -> SysResult<(AddressSpace, u64, u64)> {
    let root = k.kernel_root;
    let random: [u64; 2] = [k.random_u64(), k.random_u64()];
    let cred = k.cur_cred();
    let hwcap = k.hwcap;
    let mut ctx = k.mem_ctx(false);
    let mut aspace = AddressSpace::new(&mut ctx, root)?;
    let result = (|| {
        let img = elf::load(&mut aspace, &mut ctx, image)?;
        aspace.set_brk_base(page_up(img.brk));
        let sp = setup_stack(&mut aspace, &mut ctx, &img, execfn, args, random, cred, hwcap, stack_limit)?;
        Ok((img.entry, sp))
    })();
    match result {
        Ok((entry, sp)) => Ok((aspace, entry, sp)),
        Err(e) => {
            aspace.release(&mut ctx);
            Err(e)
        }
    }
}

fn page_up(x: u64) -> u64 {
    (x + PAGE - 1) & !(PAGE - 1)
}

/// Lay out argc, argv, envp, the auxiliary vector and the strings at the
/// top of a new stack, exactly as Linux's create_elf_tables() does.
#[allow(clippy::too_many_arguments)]
fn setup_stack(
    aspace: &mut AddressSpace,
    ctx: &mut MemCtx,
    img: &LoadedImage,
    execfn: &[u8],
    args: &ExecArgs,
    random: [u64; 2],
    cred: crate::proc::Cred,
    hwcap: u64,
    stack_limit: u64,
) -> SysResult<u64> {
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
    let platform_at = put(aspace, ctx, b"x86_64")?;
    let mut p = platform_at & !15;
    p -= 16;
    let random_at = p;
    let mut rb = [0u8; 16];
    rb[..8].copy_from_slice(&random[0].to_le_bytes());
    rb[8..].copy_from_slice(&random[1].to_le_bytes());
    aspace.write_forced(ctx, random_at, &rb)?;

    let auxv: [(u64, u64); 19] = [
        (AT_HWCAP, hwcap),
        (AT_PAGESZ, PAGE),
        (AT_CLKTCK, 100),
        (AT_PHDR, img.phdr),
        (AT_PHENT, img.phent),
        (AT_PHNUM, img.phnum),
        (AT_BASE, 0),
        (AT_FLAGS, 0),
        (AT_ENTRY, img.entry),
        (AT_UID, cred.uid as u64),
        (AT_EUID, cred.euid as u64),
        (AT_GID, cred.gid as u64),
        (AT_EGID, cred.egid as u64),
        (AT_SECURE, 0),
        (AT_RANDOM, random_at),
        (AT_HWCAP2, 0),
        (AT_EXECFN, execfn_at),
        (AT_PLATFORM, platform_at),
        (AT_NULL, 0),
    ];
    let words = 1 + arg_at.len() + 1 + env_at.len() + 1 + auxv.len() * 2;
    let sp = (p - words as u64 * 8) & !15;
    let mut table: Vec<u8> = Vec::with_capacity(words * 8);
    let mut push = |v: u64| table.extend_from_slice(&v.to_le_bytes());
    push(arg_at.len() as u64);
    arg_at.iter().for_each(|&a| push(a));
    push(0);
    env_at.iter().for_each(|&e| push(e));
    push(0);
    for (key, val) in auxv {
        push(key);
        push(val);
    }
    aspace.write_forced(ctx, sp, &table)?;
    Ok(sp)
}

/// Replace task `pid`'s program. `regs` are its user registers (the
/// caller's syscall frame). Linux: do_execveat_common().
pub fn do_execve(k: &mut Kernel, pid: Pid, regs: &mut PtRegs, path: &str, args: ExecArgs) -> SysResult {
    let stack_limit = k.signals.get(k.tasks[&pid].signal).rlimits[RLIMIT_STACK as usize].cur;
    args.check_size(stack_limit)?;
    let image = read_executable(k, pid, path)?;
    let (aspace, entry, sp) = build_mm(k, &image, path.as_bytes(), &args, stack_limit)?;

    // Point of no return (Linux: begin_new_exec()).
    let new_mm = k.mms.insert(aspace);
    let old_mm = core::mem::replace(&mut k.tasks.get_mut(&pid).expect("task").mm, new_mm);
    if k.current == Some(pid) {
        // Linux: exec_mmap() → activate_mm(), before the old one goes.
        k.m.mmu.activate(k.mms.get(new_mm).root());
    }
    k.put_mm(old_mm);
    k.close_on_exec(pid);
    // Caught signals go back to the default; ignored ones stay ignored
    // (Linux: flush_signal_handlers()).
    let hand = k.tasks[&pid].sighand;
    for a in k.sighands.get_mut(hand).action.iter_mut() {
        if a.handler != SIG_IGN {
            *a = SigAction::default();
        }
    }
    let t = k.tasks.get_mut(&pid).expect("task");
    t.cmdline = args.argv.iter().flat_map(|a| a.iter().copied().chain([0])).collect();
    t.did_exec = true;
    t.exe = String::from(path);
    let base = path.rsplit('/').next().unwrap_or(path).as_bytes();
    t.comm = base[..base.len().min(15)].to_vec();
    t.fs_base = 0;
    t.clear_child_tid = 0;
    t.robust_list = (0, 0);
    t.sleep_deadline = None;
    t.kstack.set_fpu(&FpuState::initial());
    *regs = PtRegs::for_new_program(entry, sp);
    if k.current == Some(pid) {
        k.load_fs = Some(0);
    }
    Ok(0)
}
