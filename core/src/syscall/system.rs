//! The machine and the process's hold on memory: sysinfo, reboot, and
//! the mlock family (Linux: kernel/sys.c do_sysinfo(), kernel/reboot.c,
//! mm/mlock.c).

use crate::abi::*;
use crate::kernel::Kernel;
use crate::mm::mlock::{page_range, VmLimits, MLOCK_ONFAULT};
use crate::mm::VmFlags;

const RLIMIT_FSIZE: u32 = 1;
const RLIMIT_DATA: usize = 2;
const RLIMIT_MEMLOCK: usize = 8;
const RLIMIT_AS: usize = 9;

impl Kernel {
    /// The running process's memory limits, for its address space to
    /// check (see `mm::mlock`). Root has CAP_IPC_LOCK.
    pub fn vm_limits(&self) -> VmLimits {
        let r = &self.cur_signal().rlimits;
        VmLimits {
            as_bytes: r[RLIMIT_AS].cur,
            data_cur: r[RLIMIT_DATA].cur,
            data_max: r[RLIMIT_DATA].max,
            memlock: r[RLIMIT_MEMLOCK].cur,
            ipc_lock: self.cur().cred.capable(crate::proc::capability::CAP_IPC_LOCK),
            sys_admin: self.cur().cred.capable(crate::proc::capability::CAP_SYS_ADMIN),
        }
    }

    /// RLIMIT_FSIZE for writing `n` bytes at `off` through a description
    /// of kind `kind`: how many may be written. At or past the limit the
    /// call fails with EFBIG and the thread gets SIGXFSZ, unless `done`
    /// bytes of it were already written (a short write then). Only
    /// regular files have the limit. Linux: generic_write_check_limits().
    pub fn fsize_limit(
        &mut self,
        kind: crate::fs::file::FileKind,
        off: u64,
        n: usize,
        done: usize,
    ) -> SysResult<usize> {
        if kind.data_ino().is_none() {
            return Ok(n);
        }
        let limit = self.rlimit(RLIMIT_FSIZE).cur;
        if limit == RLIM_INFINITY {
            return Ok(n);
        }
        if off >= limit {
            if done > 0 {
                return Ok(0);
            }
            self.send_sigxfsz();
            return Err(EFBIG);
        }
        Ok(n.min((limit - off).min(usize::MAX as u64) as usize))
    }

    /// truncate() growing file `ino` to `len` past RLIMIT_FSIZE: EFBIG and
    /// SIGXFSZ (Linux: inode_newsize_ok()).
    pub fn fsize_truncate_check(&mut self, ino: crate::fs::Ino, len: u64) -> SysResult<()> {
        let limit = self.rlimit(RLIMIT_FSIZE).cur;
        if limit != RLIM_INFINITY && len > limit && self.vfs.fs().inode(ino)?.size() < len {
            self.send_sigxfsz();
            return Err(EFBIG);
        }
        Ok(())
    }

    /// Linux: send_sig(SIGXFSZ, current, 0): to the thread, as from itself.
    fn send_sigxfsz(&mut self) {
        let t = self.cur();
        let info = crate::signal::SigInfo {
            signo: SIGXFSZ,
            code: crate::signal::SI_USER,
            pid: t.tgid,
            uid: t.cred.uid,
            ..Default::default()
        };
        let tid = t.tid;
        let _ = self.send_signal_thread(tid, info);
    }

    /// EMFILE if the running process has no descriptor free below
    /// RLIMIT_NOFILE (Linux: get_unused_fd_flags()).
    pub fn check_fd_free(&self) -> SysResult<()> {
        let limit = self.rlimit(RLIMIT_NOFILE).cur.min(crate::syscall::info::NR_OPEN) as i32;
        let table = self.cur_files();
        if (0..limit).any(|fd| table.get(fd).is_err()) {
            Ok(())
        } else {
            Err(EMFILE)
        }
    }

    /// Refresh the current address space's copy of the limits before an
    /// operation that checks them.
    pub fn refresh_vm_limits(&mut self) {
        let lim = self.vm_limits();
        self.with_mm(|a, _| a.limits = lim);
    }
}

/// sysinfo(2): `struct sysinfo` (112 bytes). Memory is given in bytes
/// (mem_unit 1, as Linux does on 64-bit machines), load averages are 0,
/// `procs` counts threads (Linux: nr_threads), uptime is rounded up.
pub fn sysinfo(k: &mut Kernel, info: u64) -> SysResult {
    let st = k.mem.frames().stats();
    let ns = k.now_ns();
    let uptime = ns.div_ceil(1_000_000_000);
    let procs = k.nr_threads().min(u16::MAX as u64) as u16;
    // Loads, shared and buffer memory, swap and high memory: 0.
    let si = Sysinfo {
        uptime: uptime as i64,
        totalram: st.total as u64 * 4096,
        freeram: st.free as u64 * 4096,
        procs,
        mem_unit: 1,
        ..Default::default()
    };
    k.write_val(info, &si)?;
    Ok(0)
}

/// reboot(2) magic numbers and commands (linux/reboot.h).
const LINUX_REBOOT_MAGIC1: u32 = 0xfee1_dead;
const LINUX_REBOOT_MAGIC2: u32 = 672_274_793;
const LINUX_REBOOT_MAGIC2A: u32 = 85_072_278;
const LINUX_REBOOT_MAGIC2B: u32 = 369_367_448;
const LINUX_REBOOT_MAGIC2C: u32 = 537_993_216;
pub const LINUX_REBOOT_CMD_RESTART: u32 = 0x0123_4567;
pub const LINUX_REBOOT_CMD_HALT: u32 = 0xcdef_0123;
pub const LINUX_REBOOT_CMD_CAD_ON: u32 = 0x89ab_cdef;
pub const LINUX_REBOOT_CMD_CAD_OFF: u32 = 0;
pub const LINUX_REBOOT_CMD_POWER_OFF: u32 = 0x4321_fedc;
pub const LINUX_REBOOT_CMD_RESTART2: u32 = 0xa1b2_c3d4;

/// reboot(2): EPERM unless root (CAP_SYS_BOOT), EINVAL for wrong magic
/// numbers or an unknown command. Power off, halt and restart (with or
/// without a command string) end the machine: the request is recorded,
/// nothing runs any more, and the idle loop makes QEMU exit (a restart
/// exits QEMU too: Tine does not reboot itself). Ctrl-Alt-Del on/off is
/// recorded. Linux: SYSCALL_DEFINE4(reboot).
pub fn reboot(k: &mut Kernel, magic1: u32, magic2: u32, cmd: u32, arg: u64) -> SysResult {
    if !k.cur().cred.capable(crate::proc::capability::CAP_SYS_BOOT) {
        return Err(EPERM);
    }
    if magic1 != LINUX_REBOOT_MAGIC1
        || ![LINUX_REBOOT_MAGIC2, LINUX_REBOOT_MAGIC2A, LINUX_REBOOT_MAGIC2B, LINUX_REBOOT_MAGIC2C].contains(&magic2)
    {
        return Err(EINVAL);
    }
    let what = match cmd {
        LINUX_REBOOT_CMD_CAD_ON | LINUX_REBOOT_CMD_CAD_OFF => {
            k.proc.set_ctrl_alt_del(cmd == LINUX_REBOOT_CMD_CAD_ON);
            return Ok(0);
        }
        LINUX_REBOOT_CMD_RESTART => "Restarting system",
        LINUX_REBOOT_CMD_RESTART2 => {
            // The command string is read (EFAULT) though Tine has no use for it.
            match k.read_cstr(arg, 255) {
                Ok(_) | Err(ENAMETOOLONG) => {}
                Err(e) => return Err(e),
            }
            "Restarting system"
        }
        LINUX_REBOOT_CMD_HALT => "System halted",
        LINUX_REBOOT_CMD_POWER_OFF => "Power down",
        _ => return Err(EINVAL),
    };
    k.log(format_args!("tine: reboot: {what}"));
    k.proc.set_reboot(Some(cmd));
    if k.proc.shutdown().is_none() {
        k.proc.set_shutdown(Some(0));
    }
    Ok(0)
}

/// mlock(2).
pub fn mlock(k: &mut Kernel, start: u64, len: u64) -> SysResult {
    do_mlock(k, start, len, VmFlags::LOCKED)
}

/// mlock2(2): MLOCK_ONFAULT locks pages as they are touched.
pub fn mlock2(k: &mut Kernel, start: u64, len: u64, flags: u64) -> SysResult {
    let flags = flags as u32; // a C int
    if flags & !MLOCK_ONFAULT != 0 {
        return Err(EINVAL);
    }
    let onfault = if flags != 0 { VmFlags::LOCKONFAULT } else { VmFlags::empty() };
    do_mlock(k, start, len, VmFlags::LOCKED | onfault)
}

/// Linux: do_mlock(): EPERM without RLIMIT_MEMLOCK (unless root).
fn do_mlock(k: &mut Kernel, start: u64, len: u64, lock: VmFlags) -> SysResult {
    let lim = k.vm_limits();
    if !lim.can_do_mlock() {
        return Err(EPERM);
    }
    let (start, len) = page_range(start, len);
    k.with_mm(|a, ctx| {
        a.limits = lim;
        a.mlock(ctx, start, len, lock)
    })?;
    Ok(0)
}

/// munlock(2).
pub fn munlock(k: &mut Kernel, start: u64, len: u64) -> SysResult {
    let (start, len) = page_range(start, len);
    k.with_mm(|a, ctx| a.mlock(ctx, start, len, VmFlags::empty()))?;
    Ok(0)
}

/// mlockall(2).
pub fn mlockall(k: &mut Kernel, flags: u64) -> SysResult {
    let lim = k.vm_limits();
    let flags = flags as u32; // a C int
    k.with_mm(|a, ctx| {
        a.limits = lim;
        a.mlockall(ctx, flags)
    })?;
    Ok(0)
}

/// munlockall(2).
pub fn munlockall(k: &mut Kernel) -> SysResult {
    k.with_mm(|a, _| a.munlockall());
    Ok(0)
}
