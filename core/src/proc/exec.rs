//! execve: replace the calling task's program (Linux: fs/exec.c,
//! do_execveat_common() → bprm_execve() → load_elf_binary()).
//!
//! Everything that can fail happens before the point of no return, on a
//! new address space, so a failed exec leaves the caller exactly as it was.

use crate::trace::{Event, Payload};
use alloc::string::String;
use alloc::vec::Vec;

use crate::abi::*;
use crate::fs::mount::MountId;
use crate::fs::ramfs::Ino;
use crate::fs::Lookup;
use crate::kernel::Kernel;
use crate::proc::kstack::FpuState;
use crate::proc::{Pid, SigAction, TaskState};

/// The top of the user stack (Linux: STACK_TOP = TASK_SIZE, without
/// randomisation).
pub const STACK_TOP: u64 = 0x7fff_ffff_f000;
/// Linux: MAX_ARG_STRLEN, the longest single argument or variable.
const MAX_ARG_STRLEN: usize = 32 * 4096;
/// Linux: MAX_ARG_STRINGS.
const MAX_ARG_STRINGS: usize = 0x7fff_ffff;
/// Linux: BINPRM_BUF_SIZE, how much of the file exec reads to recognise
/// its format (and all of a `#!` line it looks at).
const BINPRM_BUF_SIZE: usize = 256;

/// The program arguments as the new program will see them, and the files
/// exec opened on the way (Linux: the part of `struct linux_binprm` that
/// outlives the format loader).
pub struct ExecArgs {
    pub argv: Vec<Vec<u8>>,
    pub envp: Vec<Vec<u8>>,
    /// The files the new program runs from: the ELF program (for a
    /// script, its interpreter's) and its ELF interpreter; not the scripts
    /// on the way, which their interpreters must read themselves. Which of
    /// them the caller may read decides who may inspect the new program
    /// ([`would_dump`]).
    pub(super) opened: Vec<Ino>,
}

impl ExecArgs {
    pub fn new(argv: Vec<Vec<u8>>, envp: Vec<Vec<u8>>) -> Self {
        ExecArgs { argv, envp, opened: Vec::new() }
    }

    /// Linux: bprm_stack_limits() and the checks in copy_strings(): the
    /// strings (with the file name) and the argv/envp pointers may use a
    /// quarter of the stack limit, at most 6 MiB and at least ARG_MAX
    /// (128 KiB); more is E2BIG.
    fn check_size(&self, filename: &[u8], stack_limit: u64) -> SysResult<()> {
        let mut budget = string_budget(self.argv.len(), self.envp.len(), stack_limit)?;
        for s in self.argv.iter().chain(&self.envp).map(|s| s.as_slice()).chain([filename]) {
            take_budget(&mut budget, s.len() as u64 + 1)?;
        }
        Ok(())
    }
}

/// Linux: bprm_stack_limits(): what the strings may use once the argv and
/// envp pointers are counted, E2BIG when the pointers alone do not fit.
pub(crate) fn string_budget(argc: usize, envc: usize, stack_limit: u64) -> SysResult<u64> {
    const ARG_MAX: u64 = 32 * 4096;
    const STK_LIM: u64 = 8 << 20;
    let limit = (STK_LIM / 4 * 3).min(stack_limit / 4).max(ARG_MAX);
    // argc counts as at least 1: Linux adds an empty argv[0] for argc 0.
    let ptrs = (argc.max(1) as u64 + envc as u64) * 8;
    limit.checked_sub(ptrs).filter(|&b| b > 0).ok_or(E2BIG)
}

/// One string of `len` bytes (its NUL included) out of the budget, or E2BIG.
pub(crate) fn take_budget(budget: &mut u64, len: u64) -> SysResult<()> {
    *budget = budget.checked_sub(len).ok_or(E2BIG)?;
    Ok(())
}

/// Count a NULL-terminated array of string pointers (argv or envp)
/// without copying anything (Linux: count()): EFAULT for a bad pointer,
/// E2BIG past MAX_ARG_STRINGS.
pub(crate) fn count_strv(k: &mut Kernel, ptr: u64) -> SysResult<usize> {
    if ptr == 0 {
        return Ok(0); // Linux treats a NULL argv/envp as empty.
    }
    let mut n = 0;
    loop {
        let at = ptr.checked_add(n as u64 * 8).ok_or(EFAULT)?;
        if k.read_u64(at)? == 0 {
            return Ok(n);
        }
        n += 1;
        if n >= MAX_ARG_STRINGS {
            return Err(E2BIG);
        }
    }
}

/// Copy the `n` strings `ptr` points to, the last first as Linux's
/// copy_strings() does (so the same error wins), each taken from the
/// budget as it is copied: nothing beyond the limit is ever allocated.
pub(crate) fn copy_strv(k: &mut Kernel, ptr: u64, n: usize, budget: &mut u64) -> SysResult<Vec<Vec<u8>>> {
    let mut out = crate::mm::kheap::try_vec(n)?;
    for i in (0..n).rev() {
        let p = k.read_u64(ptr + i as u64 * 8)?;
        let s = k.read_cstr(p, MAX_ARG_STRLEN).map_err(|e| if e == ENAMETOOLONG { E2BIG } else { e })?;
        take_budget(budget, s.len() as u64 + 1)?;
        out.push(s);
    }
    out.reverse();
    Ok(out)
}

/// A file opened to be executed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ExecFile {
    pub ino: Ino,
    /// The mount it was reached through (MS_NOSUID there ignores its
    /// set-id bits).
    pub mnt: MountId,
    /// Its path went through proc (/proc/self/exe, /proc/PID/fd/N): the
    /// name given is a link's, not the file's, so /proc/PID/exe shows
    /// the file's own name.
    pub by_magic_link: bool,
}

/// Open what execveat names: a path from the cwd or a directory
/// descriptor, or with AT_EMPTY_PATH the descriptor's own file
/// (Linux: do_open_execat()).
pub(crate) fn open_exec_at(k: &mut Kernel, dirfd: i32, name: &[u8], flags: u32) -> SysResult<ExecFile> {
    if name.is_empty() {
        if flags & AT_EMPTY_PATH == 0 || dirfd == AT_FDCWD {
            return Err(ENOENT);
        }
        let ino = k.vfs.files().get(k.fd_file(dirfd)?).ino.ok_or(EACCES)?;
        may_open_exec(k, &k.fs_cred(), ino)?;
        // An open file keeps no mount: the one that shows it.
        let mnt = k.vfs.fs().mount_at(ino);
        k.vfs.fs().mnt_may_exec(mnt)?;
        return Ok(ExecFile { ino, mnt, by_magic_link: false });
    }
    // /proc/self/exe and /proc/<pid>/fd/N lead to the file itself.
    if let Some(found) = crate::fs::procfs::resolve(k, dirfd, name, flags & AT_SYMLINK_NOFOLLOW == 0) {
        let found = found?;
        let crate::fs::procfs::Target::Ino(ino) = found.target else { return Err(EACCES) };
        may_open_exec(k, &k.fs_cred(), ino)?;
        k.vfs.fs().mnt_may_exec(found.at.mnt)?;
        return Ok(ExecFile { ino, mnt: found.at.mnt, by_magic_link: true });
    }
    let start = k.start_dir(dirfd, name)?;
    let mut lf = Lookup::empty();
    if flags & AT_SYMLINK_NOFOLLOW == 0 {
        lf |= Lookup::FOLLOW;
    }
    let cred = k.fs_cred();
    let (mnt, ino) = k.vfs.fs().lookup_mnt(&cred, start, name, lf)?;
    if k.vfs.fs().inode(ino)?.file_type() == crate::fs::ramfs::FileType::Symlink {
        return Err(ELOOP);
    }
    may_open_exec(k, &cred, ino)?;
    k.vfs.fs().mnt_may_exec(mnt)?;
    Ok(ExecFile { ino, mnt, by_magic_link: false })
}

/// What opening a file to execute it checks: execute permission for
/// `cred`, then that no description may write it (ETXTBSY). Linux:
/// do_open_execat(), may_open() then exe_file_deny_write_access(); the
/// denial itself is taken when the program's address space is installed
/// (`exec_image`).
pub(super) fn may_open_exec(k: &Kernel, cred: &crate::fs::FsCred, ino: Ino) -> SysResult<()> {
    k.vfs.fs().may_exec(cred, ino)?;
    k.vfs.fs().write_access_error(ino, false)?;
    // A mapping made through a descriptor open for writing keeps that
    // write access after the descriptor is closed.
    if k.mem.pagecache().mapped_for_write(ino) {
        return Err(ETXTBSY);
    }
    Ok(())
}

/// A script's interpreter and its optional argument.
type Shebang = (Vec<u8>, Option<Vec<u8>>);

/// Linux: binfmt_script's load_script(): a file starting with `#!` names
/// an interpreter and at most one argument on its first line. Like Linux,
/// this looks at the first 256 bytes only, NUL-padded when the file is
/// shorter, and refuses a line that might hold a truncated interpreter
/// name. Returns them, or None if this is not a script.
fn parse_shebang(image: &[u8]) -> Option<SysResult<Shebang>> {
    if !image.starts_with(b"#!") {
        return None;
    }
    let mut buf = [0u8; BINPRM_BUF_SIZE];
    let n = image.len().min(BINPRM_BUF_SIZE);
    buf[..n].copy_from_slice(&image[..n]);
    let spacetab = |b: u8| b == b' ' || b == b'\t';
    let terminator = |b: u8| spacetab(b) || b == 0;
    // The last byte stays out of reach, as Linux's buf_end.
    let buf_end = BINPRM_BUF_SIZE - 1;
    let mut i_end = match buf.iter().position(|&b| b == b'\n') {
        Some(nl) => nl,
        None => {
            let Some(start) = (2..buf_end).find(|&i| !spacetab(buf[i])) else { return Some(Err(ENOEXEC)) };
            if !(start..buf_end).any(|i| terminator(buf[i])) {
                return Some(Err(ENOEXEC));
            }
            buf_end
        }
    };
    while i_end > 2 && spacetab(buf[i_end - 1]) {
        i_end -= 1;
    }
    let Some(i_name) = (2..i_end).find(|&i| !spacetab(buf[i])) else { return Some(Err(ENOEXEC)) };
    let i_sep = (i_name..i_end).find(|&i| terminator(buf[i])).unwrap_or(i_end);
    let cstr = |from: usize, to: usize| {
        let end = (from..to).find(|&i| buf[i] == 0).unwrap_or(to);
        buf[from..end].to_vec()
    };
    let interp = cstr(i_name, i_sep);
    let arg = if i_sep < i_end && buf[i_sep] != 0 {
        (i_sep..i_end).find(|&i| !spacetab(buf[i])).map(|i| cstr(i, i_end))
    } else {
        None
    };
    Some(Ok((interp, arg)))
}

/// Replace task `pid`'s program with file `ino` (Linux: bprm_execve() →
/// exec_binprm()): scripts hand over to their interpreter, at most five
/// deep (ELOOP beyond), until an ELF image loads.
pub(crate) fn bprm_execve(
    k: &mut Kernel,
    pid: Pid,
    regs: &mut PtRegs,
    file: ExecFile,
    filename: Vec<u8>,
    mut args: ExecArgs,
) -> SysResult {
    let stack_limit = k.sig.signals().get(k.proc.tasks[&pid].signal).rlimits[RLIMIT_STACK as usize].cur;
    args.check_size(&filename, stack_limit)?;
    // The name interpreters are given for the script: the path as passed.
    let mut script_name = filename.clone();
    let mut depth = 0;
    let (mut ino, mut mnt) = (file.ino, file.mnt);
    loop {
        // Only the first bytes: enough for a `#!` line or the ELF header;
        // the loader reads the program headers and maps the rest.
        // Linux: prepare_binprm() → kernel_read() into bprm->buf.
        // On the heap: the exec's frame is deep enough (see exec_image).
        let mut head = alloc::vec![0u8; BINPRM_BUF_SIZE];
        let n = k.file_read(ino, 0, &mut head)?;
        let head = &head[..n];
        let Some(script) = parse_shebang(head) else {
            let mut exe = absolute_path(k, pid, &script_name);
            // Run through a /proc link (/proc/self/exe): the file's own name.
            if depth == 0 && file.by_magic_link {
                exe = k.vfs.fs().path_of(ino).unwrap_or(exe);
            }
            return exec_image(k, pid, regs, (mnt, ino), head, exe, &filename, args);
        };
        depth += 1;
        if depth > 5 {
            return Err(ELOOP);
        }
        let (interp, arg) = script?;
        // argv becomes: interpreter, its optional argument, the script,
        // then the original arguments after argv[0].
        let mut argv = Vec::with_capacity(args.argv.len() + 2);
        argv.push(interp.clone());
        argv.extend(arg);
        argv.push(script_name);
        argv.extend(core::mem::take(&mut args.argv).into_iter().skip(1));
        args.argv = argv;
        args.check_size(&filename, stack_limit)?;
        let cwd = k.vfs.fs_structs().get(k.proc.tasks[&pid].fs).cwd.at;
        let cred = k.fs_cred_of(pid);
        (mnt, ino) = k.vfs.fs().lookup_mnt(&cred, cwd, &interp, Lookup::FOLLOW)?;
        may_open_exec(k, &cred, ino)?;
        k.vfs.fs().mnt_may_exec(mnt)?;
        script_name = interp;
    }
}

/// `name` as an absolute path, with `.` and `..` resolved by name: what
/// /proc/<pid>/exe shows for the file really run (for a script, its
/// interpreter). Linux: d_path() of bprm->file.
fn absolute_path(k: &Kernel, pid: Pid, name: &[u8]) -> Vec<u8> {
    let mut full = if name.first() == Some(&b'/') {
        Vec::new()
    } else {
        let cwd = k.vfs.fs_structs().get(k.proc.tasks[&pid].fs).cwd.at;
        crate::fs::procfs::place_path(k, cwd).map(|(p, _)| p).unwrap_or_default()
    };
    full.push(b'/');
    full.extend_from_slice(name);
    let mut parts: Vec<&[u8]> = Vec::new();
    for c in full.split(|&b| b == b'/') {
        match c {
            b"" | b"." => {}
            b".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    let mut out = Vec::new();
    for c in parts {
        out.push(b'/');
        out.extend_from_slice(c);
    }
    out
}

/// Replace task `pid`'s program with the program at `path` (relative to
/// its cwd): how the kernel starts init.
pub fn do_execve(k: &mut Kernel, pid: Pid, regs: &mut PtRegs, path: &str, args: ExecArgs) -> SysResult {
    let cwd = k.vfs.fs_structs().get(k.proc.tasks[&pid].fs).cwd.at;
    let cred = k.fs_cred_of(pid);
    let (mnt, ino) = k.vfs.fs().lookup_mnt(&cred, cwd, path.as_bytes(), Lookup::FOLLOW)?;
    may_open_exec(k, &cred, ino)?;
    bprm_execve(k, pid, regs, ExecFile { ino, mnt, by_magic_link: false }, path.as_bytes().to_vec(), args)
}

/// Load the ELF program in file `ino` (whose first bytes are `head`) into a
/// new address space and switch task `pid` over to it. `regs` are its user
/// registers (the caller's syscall frame). Linux: load_elf_binary() →
/// begin_new_exec() → start_thread().
///
/// Exec runs deep on a 16 KiB kernel stack (the loader under it reads
/// files and maps pages): each big step is a function of its own, never
/// inlined, so that their frames follow each other instead of adding up
/// in one (see `docs/architecture.md`, "Kernel stacks").
#[allow(clippy::too_many_arguments)]
#[inline(never)]
fn exec_image(
    k: &mut Kernel,
    pid: Pid,
    regs: &mut PtRegs,
    (mnt, ino): (MountId, Ino),
    head: &[u8],
    exe_path: Vec<u8>,
    filename: &[u8],
    mut args: ExecArgs,
) -> SysResult {
    let stack_limit = k.sig.signals().get(k.proc.tasks[&pid].signal).rlimits[RLIMIT_STACK as usize].cur;
    // The new credentials come from the file finally run (for a script,
    // its interpreter: Linux ignores set-id bits on scripts). Linux:
    // bprm_creds_from_file(), applied in begin_new_exec().
    let inode = k.vfs.fs().inode(ino)?;
    let cred = &k.proc.tasks[&pid].cred;
    let ns = crate::proc::capability::ExecNs {
        root: k.ns.user.make_kid(cred.user_ns, crate::ns::user::IdKind::Uid, 0),
        file_ids_mapped: k.ns.user.maps_owner(cred.user_ns, inode.uid(), inode.gid()),
    };
    // Linux: bprm_fill_uid() stops at !mnt_may_suid(): a nosuid mount's
    // set-id bits are not there for exec.
    let nosuid = k.vfs.fs().mounts.get(mnt).is_some_and(|m| m.flags.contains(crate::fs::mount::MntFlags::NOSUID));
    let mode = if nosuid { inode.mode() & !(S_ISUID | S_ISGID) } else { inode.mode() };
    let (new_cred, secure) =
        crate::proc::capability::bprm_creds(cred, &k.proc.tasks[&pid].groups, inode.uid(), inode.gid(), mode, ns);
    if !gather_threads(k, pid) {
        return Err(ERESTARTNOINTR);
    }
    args.opened.push(ino);
    let (aspace, entry, sp) = step(k, "build_mm", |k| {
        super::exec_mm::build_mm(k, pid, ino, head, filename, &mut args, stack_limit, (new_cred, secure))
    })?;
    begin_new_exec(k, pid, regs, ino, aspace, (entry, sp), exe_path, filename, args, new_cred)
}

/// Past the point of no return (Linux: begin_new_exec(), setup_new_exec()
/// and start_thread()): from here on the old program is gone whatever
/// happens.
#[allow(clippy::too_many_arguments)]
#[inline(never)]
fn begin_new_exec(
    k: &mut Kernel,
    pid: Pid,
    regs: &mut PtRegs,
    ino: Ino,
    mut aspace: crate::mm::aspace::AddressSpace,
    (entry, sp): (u64, u64),
    exe_path: Vec<u8>,
    filename: &[u8],
    args: ExecArgs,
    new_cred: crate::proc::Cred,
) -> SysResult {
    let old_tid = pid;
    let pid = step(k, "de_thread", |k| Ok(de_thread(k, pid)))?;
    // Linux: exec_mm_release(): robust futexes and the CLEARTID word of the
    // old program, while its memory is still ours.
    k.exit_robust_list(pid);
    k.clear_child_tid(pid);
    // The new mm runs this file: no writer until it goes (put_mm allows
    // again). may_open_exec() saw no writer, and nothing opened one since.
    aspace.exe = Some(ino);
    let _ = k.vfs.fs_mut().deny_write_access(ino);
    let new_mm = k.mem.mms_mut().insert(aspace);
    k.note_maxrss(pid, k.proc.tasks[&pid].mm);
    let old_mm = core::mem::replace(&mut k.proc.tasks.get_mut(&pid).expect("task").mm, new_mm);
    if k.sched.current() == Some(pid) {
        // Linux: exec_mmap() → activate_mm(), before the old one goes.
        k.switch_mm(Some(pid));
    }
    let _ = step(k, "exec_mmap", |k| {
        k.put_mm(old_mm);
        Ok(())
    });
    // The vfork parent may run again: we no longer use its memory.
    k.complete_vfork_done(pid);
    // A descriptor table or handler table shared with another process
    // (CLONE_FILES, CLONE_SIGHAND without CLONE_THREAD) is copied first,
    // so that closing and resetting here do not reach into the other
    // (Linux: unshare_files(), and de_thread()'s sighand copy).
    unshare_files(k, pid);
    let _ = step(k, "close_on_exec", |k| {
        k.close_on_exec(pid);
        Ok(())
    });
    // POSIX timers go; alarm and the interval timers stay.
    k.exec_timers(pid);
    flush_signal_handlers(k, pid);
    k.proc.ucounts.move_nproc(k.proc.tasks[&pid].cred.uid, new_cred.uid);
    // The reference of the new memory's user namespace (set below).
    let (unreadable, mm_user_ns) = would_dump(k, pid, &args.opened, new_cred.user_ns);
    let old_mm_ns = k.proc.tasks[&pid].cred.mm_user_ns;
    if old_mm_ns != mm_user_ns {
        k.ns.user.hold(mm_user_ns);
        k.ns.user.put(old_mm_ns);
    }
    let t = k.proc.tasks.get_mut(&pid).expect("task");
    t.cmdline = args.argv.iter().flat_map(|a| a.iter().copied().chain([0])).collect();
    // Linux: flush_thread() → flush_ptrace_hw_breakpoint(): the new
    // program starts without the old one's hardware breakpoints.
    if let Some(p) = t.ptrace.tracee.as_deref_mut() {
        p.debugreg = [0; 8];
    }
    t.did_exec = true;
    // Linux: commit_creds() of the new program's credentials; a program
    // whose effective ids differ from the real ones may not be inspected
    // by its user (begin_new_exec()'s set_dumpable(suid_dumpable), 0 by
    // default), nor may one run from a file its caller could not read;
    // any other starts dumpable again. The new memory belongs to the
    // user namespace the program runs in, or the one above it that can
    // see an unreadable file's owner (Linux: bprm_mm_init() → mm_alloc()
    // with current_user_ns(), then would_dump()).
    t.cred = new_cred;
    t.cred.dumpable = !unreadable && new_cred.euid == new_cred.uid && new_cred.egid == new_cred.gid;
    t.cred.mm_user_ns = mm_user_ns;
    t.exe = String::from_utf8_lossy(&exe_path).into_owned();
    let base = filename.rsplit(|&b| b == b'/').next().unwrap_or(filename);
    let old_comm = core::mem::replace(&mut t.comm, base[..base.len().min(15)].to_vec());
    t.kstack.set_owner(t.tid, &t.comm);
    if k.strace_comm.as_deref().is_some_and(|c| c == t.comm.as_slice()) {
        t.straced = true;
    }
    t.fs_base = 0;
    t.clear_child_tid = 0;
    t.robust_list = (0, 0);
    t.rseq = None;
    t.resume.clear_deadline();
    // Linux: setup_new_exec() forgets the alternate signal stack.
    t.sigstate.exec();
    t.kstack.set_fpu(&FpuState::initial());
    // Linux: start_thread() leaves orig_ax, which a tracer reads as the
    // call that made this program (execve).
    *regs = PtRegs { orig_rax: regs.orig_rax, ..PtRegs::for_new_program(entry, sp) };
    trace_exec(k, pid, old_tid, &old_comm, filename);
    // The new program's few pages; the old ones no longer shared.
    if k.trace.enabled(Event::MmRss) {
        k.trace_mm_rss_and_parent(pid);
    }
    if k.sched.current() == Some(pid) {
        k.sched.set_load_fs(Some(0));
    }
    // An entry point outside user space: the old program is gone, so the
    // process dies of SIGSEGV before its first instruction (Linux:
    // load_elf_binary()'s BAD_ADDR(elf_entry) test, after the point of no
    // return, then bprm_execve()'s force_fatal_sig()).
    if entry >= crate::mm::consts::TASK_SIZE {
        k.force_sig_info(pid, crate::signal::SigInfo::kernel(SIGSEGV), true);
    }
    // Linux: exec_binprm()'s ptrace_event(PTRACE_EVENT_EXEC, old_vpid):
    // the id the thread had before de_thread() gave it the leader's.
    if k.sched.current() == Some(pid) {
        k.ptrace_event(PTRACE_EVENT_EXEC, old_tid as u64);
    }
    Ok(0)
}

/// The new program's signal handlers: a table shared with another
/// process is copied first (Linux: de_thread()'s sighand copy); caught
/// signals go back to the default, ignored ones stay ignored, and flags,
/// mask and restorer are cleared for all (Linux: flush_signal_handlers()).
/// Apart, so that the table's copy (64 actions) takes no room in the
/// Linux: would_dump() over every file exec opened. A file the caller
/// (with its credentials before the exec) may not read must not be read
/// through the new program either: the program is not dumpable, so only
/// a tracer with CAP_SYS_PTRACE in the memory's user namespace may look
/// into it; and that namespace moves up from `ns` to the nearest one that
/// maps the file's owner and group, so that a namespace the caller made
/// does not grant that capability over a file from outside it.
/// Returns (some file was unreadable, the memory's user namespace).
fn would_dump(k: &Kernel, pid: Pid, files: &[Ino], mut ns: crate::ns::UserNsId) -> (bool, crate::ns::UserNsId) {
    let cred = k.fs_cred_of(pid);
    let users = &k.ns.user;
    let mut unreadable = false;
    for inode in files.iter().filter_map(|&ino| k.vfs.fs().inode(ino).ok()) {
        if crate::fs::perm::inode_permission(&cred, inode, crate::fs::perm::MAY_READ).is_ok() {
            continue;
        }
        unreadable = true;
        while !users.maps_owner(ns, inode.uid(), inode.gid()) {
            let Some(up) = users.parent(ns) else { break };
            ns = up;
        }
    }
    (unreadable, ns)
}

/// exec's frame.
#[inline(never)]
fn flush_signal_handlers(k: &mut Kernel, pid: Pid) {
    let hand = k.proc.tasks[&pid].sighand;
    if k.sig.sighands().users(hand) > 1 {
        let copy = alloc::boxed::Box::new(k.sig.sighands().get(hand).clone());
        k.put(hand);
        let new = k.sig.sighands_mut().insert(*copy);
        k.proc.tasks.get_mut(&pid).expect("task").sighand = new;
    }
    let hand = k.proc.tasks[&pid].sighand;
    for a in k.sig.sighands_mut().get_mut(hand).action.iter_mut() {
        let handler = if a.handler == SIG_IGN { SIG_IGN } else { SIG_DFL };
        *a = SigAction { handler, ..SigAction::default() };
    }
}

/// The trace events of an exec: the new name (Linux: __set_task_comm()
/// in begin_new_exec()), then the exec itself (exec_binprm()). Apart, so
/// that their payloads take no room in the exec's frame.
#[inline(never)]
fn trace_exec(k: &mut Kernel, pid: Pid, old_tid: Pid, old_comm: &[u8], filename: &[u8]) {
    crate::trace!(
        k,
        TaskRename,
        Payload::Rename {
            pid: pid as i32,
            oldcomm: crate::trace::event::comm(old_comm),
            newcomm: k.trace_comm(pid),
            oom_score_adj: 0,
        }
    );
    crate::trace!(
        k,
        SchedProcessExec,
        Payload::Exec { filename: filename.to_vec(), pid: pid as i32, old_pid: old_tid as i32 }
    );
}

/// Run one step of the exec, seen by `tine:exec_step`.
fn step<T>(k: &mut Kernel, name: &'static str, f: impl FnOnce(&mut Kernel) -> SysResult<T>) -> SysResult<T> {
    crate::proc::tracepoint::step(k, Event::ExecStep, name, f)
}

/// Give task `pid` a descriptor table of its own if it shares one
/// (Linux: unshare_files()).
pub fn unshare_files(k: &mut Kernel, pid: Pid) {
    let id = k.proc.tasks[&pid].files;
    if k.vfs.fdtables().users(id) < 2 {
        return;
    }
    let new = k.dup_fd_table(id);
    k.proc.tasks.get_mut(&pid).expect("task").files = new;
    k.put_files(id);
}

/// Whether every other thread of `pid`'s process is off the CPUs, as
/// de_thread needs to end them at once. If one runs on another CPU, all
/// are held off the CPUs (`Task::held_for_exec`), the CPUs running them
/// reschedule, and the exec is run again, until none runs (Linux: the
/// wait in de_thread(), where the others are killed instead, after the
/// point of no return). The hold ends with the exec (`release_threads`).
fn gather_threads(k: &mut Kernel, pid: Pid) -> bool {
    if k.sched.online() == 1 {
        return true;
    }
    let others: Vec<Pid> = k.threads_of(k.proc.tasks[&pid].tgid).into_iter().filter(|&t| t != pid).collect();
    let running: Vec<usize> = others.iter().filter_map(|&t| k.sched.running_cpu(t)).collect();
    if running.is_empty() {
        return true;
    }
    for t in others {
        if let Some(t) = k.proc.tasks.get_mut(&t) {
            t.held_for_exec = true;
        }
    }
    for c in running {
        k.sched.resched_cpu(c);
    }
    false
}

/// The exec of `pid` has ended, done or failed: its other threads may run
/// again (those it ended are gone).
pub fn release_threads(k: &mut Kernel, pid: Pid) {
    if k.sched.online() == 1 {
        return;
    }
    let Some(tgid) = k.proc.tasks.get(&pid).map(|t| t.tgid) else { return };
    for t in k.threads_of(tgid) {
        if let Some(t) = k.proc.tasks.get_mut(&t).filter(|t| t.held_for_exec) {
            t.held_for_exec = false;
            // It waited on its queue, passed over; an idle CPU there
            // takes it now.
            let cpu = t.cpu as usize;
            if t.on_rq && k.sched.current_on(cpu).is_none() {
                k.sched.resched_cpu(cpu);
            }
        }
    }
}

/// Linux: de_thread(). The exec'ing thread becomes the only thread of its
/// process: every other thread is ended at once (none of them is running:
/// `gather_threads` waited for that), and if the caller was not the leader it takes over
/// the leader's PID, parent and children, so the process keeps its PID.
/// Returns the caller's TID from now on.
fn de_thread(k: &mut Kernel, pid: Pid) -> Pid {
    let (tgid, signal) = (k.proc.tasks[&pid].tgid, k.proc.tasks[&pid].signal);
    let others: Vec<Pid> = k
        .sig
        .signals()
        .get(signal)
        .threads
        .iter()
        .copied()
        .filter(|&t| t != pid && k.proc.tasks.get(&t).is_some_and(|t| t.state != TaskState::Dead))
        // A traced zombie stays for its tracer to reap (Linux: de_thread()
        // waits for the other threads to exit, not to be released).
        // The leader goes whatever: its id is the exec'ing thread's now.
        .filter(|t| t == &tgid || !(k.proc.tasks[t].is_zombie() && k.tracer_of(*t).is_some()))
        .collect();
    if others.is_empty() {
        return pid;
    }
    for &t in &others {
        k.zap_thread(t, pid);
    }
    if pid == tgid {
        return pid;
    }
    // Take over the leader: its PID, its parent, its place in the tree.
    let mut leader = k.proc.tasks.remove(&tgid).expect("thread-group leader");
    k.drop_sigqueue(core::mem::take(&mut leader.pending_info));
    k.ns.user.put(leader.cred.user_ns);
    k.ns.user.put(leader.cred.mm_user_ns);
    let mut me = k.proc.tasks.remove(&pid).expect("task");
    me.tid = tgid;
    me.parent = leader.parent;
    me.exit_signal = SIGCHLD;
    me.start_ns = leader.start_ns;
    me.children.extend(leader.children.iter().copied());
    for &c in &me.children {
        if let Some(ct) = k.proc.tasks.get_mut(&c) {
            ct.parent = tgid;
        }
    }
    let threads = &mut k.sig.signals_mut().get_mut(me.signal).threads;
    threads.remove(&pid);
    threads.insert(tgid);
    k.proc.tasks.insert(tgid, me);
    k.ptrace_rename(pid, tgid);
    k.put_pid(pid);
    if k.sched.current() == Some(pid) {
        k.sched.set_current(Some(tgid));
    }
    tgid
}
