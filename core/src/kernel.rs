//! The kernel's state, the scheduler and wake-ups.
//!
//! `tine-kernel` owns one [`Kernel`] and hands every trap to the trap loop
//! in `entry`, which calls into it: [`Kernel::syscall`] for the `syscall`
//! instruction, [`Kernel::user_exception`] for a CPU exception in user
//! mode, [`Kernel::timer_tick`] and [`Kernel::console_irq`] for
//! interrupts, and after each [`Kernel::schedule`], to know whether to
//! switch tasks ([`Kernel::switch_info`] says what to switch to).
//!
//! Blocking: the kernel runs with interrupts off and never switches stacks
//! in the middle of a system call. A call that must wait (nanosleep, wait4,
//! a read with no data) records what it waits for in the task's state and
//! returns `ERESTARTNOINTR` ([`Kernel::block_current`]), as Linux's
//! handlers return `-ERESTARTSYS`. The task is switched out; when it is
//! woken and runs again, the trap loop makes the same call again from the
//! start with the same registers, and this time it finds what it waited
//! for. Each such call is written so that running it again is correct: it
//! keeps what it needs in the task (`proc::task::Resume`, e.g. a
//! deadline). If a signal is pending when it would sleep again,
//! `block_current` returns EINTR and `Kernel::syscall` ends the call with
//! its restart code (`syscall::restart_policy`), which signal delivery
//! acts on.

use alloc::collections::BTreeSet;
use alloc::string::String;
use alloc::vec::Vec;

use crate::abi::*;
use crate::fs::file::FdTable;
use crate::machine::Machine;
use crate::mm::aspace::{AddressSpace, MemCtx};
use crate::mm::frame::FrameAllocator;
use crate::mm::tlb::TlbGather;
use crate::proc::{FsInfo, Rlimit, SigHand, SignalStruct, Task};

pub use crate::fs::StdioMode;
pub use crate::proc::sched::{Resched, SwitchTo};

/// Linux: MIN_THREADS and MAX_THREADS (FUTEX_TID_MASK), the bounds of
/// /proc/sys/kernel/threads-max.
pub const MIN_THREADS: u32 = 20;
pub const MAX_THREADS: u32 = 0x3fff_ffff;

pub struct Kernel {
    pub m: Machine,
    /// Namespaces and the tasks' nsproxies (`ns`).
    pub ns: crate::ns::Namespaces,
    /// `tine.strace=COMM`: the comm whose programs' system calls are
    /// logged (`syscall::strace`).
    pub strace_comm: Option<Vec<u8>>,
    /// The boot CPU's capabilities: AT_HWCAP, /proc/cpuinfo's flags.
    pub caps: crate::cpufeature::CpuCaps,
    enosys_logged: BTreeSet<u64>,
    /// The kernel log (see `log`): a cell, since the kernel logs from
    /// places that hold it shared.
    pub klog: core::cell::RefCell<crate::log::LogBuf>,
    /// Trace events and their ring buffer (see `trace`).
    pub trace: crate::trace::Tracer,
    rng: u64,
    /// Tasks, PIDs, process groups, futexes, process limits (`proc`).
    pub proc: crate::proc::Processes,
    /// The running task, the run queue, wait queues (`proc::sched`).
    pub sched: crate::proc::sched::Scheduler,
    /// Frames, the page cache, address spaces (`mm`).
    pub mem: crate::mm::Memory,
    /// Files, descriptors, pipes, locks, the tty (`fs`).
    pub vfs: crate::fs::Vfs,
    /// Signal handlers and thread-group signal state (`signal`).
    pub sig: crate::signal::Signals,
    /// Ticks, timers, CPU-time accounting (`time`).
    pub time: crate::time::Timekeeping,
    /// System V IPC objects (`ipc`).
    pub ipc: crate::ipc::Ipc,
}

impl Kernel {
    pub fn new(
        m: Machine,
        free: &[(u64, u64)],
        kernel_root: u64,
        stdio: StdioMode,
        caps: crate::cpufeature::CpuCaps,
    ) -> Self {
        let seed = m.clock.monotonic_ns() ^ m.clock.boot_epoch_ns() ^ 0x9e37_79b9_7f4a_7c15;
        let mem = crate::mm::Memory::new(FrameAllocator::new(free, m.mem), kernel_root);
        let mut k = Kernel {
            proc: crate::proc::Processes::new(mem.frames().stats().total),
            sched: crate::proc::sched::Scheduler::new(&m),
            mem,
            vfs: crate::fs::Vfs::new(stdio),
            sig: crate::signal::Signals::default(),
            time: crate::time::Timekeeping::new(m.clock),
            ipc: crate::ipc::Ipc::default(),
            ns: crate::ns::Namespaces::new(),
            strace_comm: None,
            caps,
            enosys_logged: BTreeSet::new(),
            klog: Default::default(),
            trace: Default::default(),
            rng: seed | 1,
            m,
        };
        // Files opened from boot on are in the initial mount namespace.
        k.vfs.files_mut().set_mnt_ns(k.ns.mnt_loaded.raw());
        k
    }

    /// Start the kernel log: the console level from the command line
    /// (`quiet`, `loglevel=`), then the first lines Linux's start_kernel()
    /// logs that Tine has an answer for, with the hardware layer's own
    /// boot lines (`early`) after the banner, where Linux logs its
    /// command line and memory map.
    pub fn start_log(&mut self, cmdline: &str, early: &[u8]) {
        self.klog.get_mut().apply_cmdline(cmdline);
        self.log_level(crate::log::KERN_NOTICE, format_args!("{}", crate::fs::procfs::banner()));
        self.adopt_boot_log(early);
        let st = self.mem.frames().stats();
        self.log(format_args!("Memory: {}K/{}K available", st.free * 4, st.total * 4));
        self.log(format_args!("pid_max: default: {} minimum: 301", self.proc.pids().pid_max()));
    }

    /// Log a line at KERN_INFO: into the kernel log, which syslog(2) and
    /// /dev/kmsg read, and to the host's log (Linux: printk()).
    pub fn log(&self, args: core::fmt::Arguments) {
        self.log_level(crate::log::KERN_INFO, args);
    }

    /// Log a line at `level` (KERN_ERR ... KERN_DEBUG; Linux: printk()
    /// with a KERN_* prefix).
    /// Every record goes to the log device (COM2, the whole log); those
    /// below console_loglevel are also shown on the console, with their
    /// time, as Linux's console=ttyS0 shows them (console_emit_next_record()).
    pub fn log_level(&self, level: u8, args: core::fmt::Arguments) {
        let text = alloc::fmt::format(args);
        let ts = self.m.clock.monotonic_ns() / 1000;
        self.log_record(ts, 0, level, text.as_bytes());
        self.m.log.log(args);
    }

    /// Keep a record and show it on the console if its level passes
    /// (with its time unless `printk.time=0`).
    pub(crate) fn log_record(&self, ts_us: u64, facility: u8, level: u8, text: &[u8]) {
        let mut log = self.klog.borrow_mut();
        log.push(ts_us, facility, level, text);
        if log.on_console(level) {
            let mut line = Vec::with_capacity(text.len() + 16);
            if log.console_time {
                line.extend_from_slice(
                    alloc::format!("[{:5}.{:06}] ", ts_us / 1_000_000, ts_us % 1_000_000).as_bytes(),
                );
            }
            // The serial console driver turns each newline into CR LF
            // (Linux: uart_console_write()).
            for &c in text.strip_suffix(b"\n").unwrap_or(text) {
                if c == b'\n' {
                    line.push(b'\r');
                }
                line.push(c);
            }
            line.extend_from_slice(b"\r\n");
            self.m.console.write(&line);
        }
    }

    /// The lines the hardware layer logged before this kernel existed
    /// (one per line of `early`), into the ring and, past the level, onto
    /// the console; they already went to the log device. Linux keeps
    /// early printk output in its buffer from the start and replays it to
    /// a console when that registers.
    pub fn adopt_boot_log(&self, early: &[u8]) {
        for line in early.split(|&c| c == b'\n').filter(|l| !l.is_empty()) {
            self.log_record(0, 0, crate::log::KERN_INFO, line);
        }
    }

    /// Wake what waits for new log records: syslog and /dev/kmsg readers
    /// and pollers (Linux: wake_up_klogd()).
    pub fn wake_log_readers(&mut self) {
        if core::mem::take(&mut self.klog.get_mut().wake_pending) {
            self.wake_queue(crate::proc::waitqueue::WaitKey::Syslog);
            self.wake_pollers();
        }
    }

    /// The running task. Only called while one runs.
    pub fn cur(&self) -> &Task {
        &self.proc.tasks()[&self.sched.current().expect("no current task")]
    }

    pub fn cur_mut(&mut self) -> &mut Task {
        let pid = self.sched.current().expect("no current task");
        self.proc.tasks_mut().get_mut(&pid).expect("current task exists")
    }

    /// The running task's user FPU state, completed from the CPU first
    /// (a trap saves only part of it: see `proc::kstack`).
    pub fn cur_fpu(&self) -> crate::proc::kstack::FpuState {
        self.m.fpu.sync();
        self.cur().kstack.fpu()
    }

    /// The running task's file-system context (cwd, root, umask).
    #[track_caller]
    pub fn cur_fs(&self) -> &FsInfo {
        self.vfs.fs_structs().get(self.cur().fs)
    }

    #[track_caller]
    pub fn cur_fs_mut(&mut self) -> &mut FsInfo {
        let id = self.cur().fs;
        self.vfs.fs_structs_mut().get_mut(id)
    }

    /// The running task's process-wide state (limits, groups).
    #[track_caller]
    pub fn cur_signal(&self) -> &SignalStruct {
        self.sig.signals().get(self.cur().signal)
    }

    #[track_caller]
    pub fn cur_signal_mut(&mut self) -> &mut SignalStruct {
        let id = self.cur().signal;
        self.sig.signals_mut().get_mut(id)
    }

    #[track_caller]
    pub fn cur_sighand_mut(&mut self) -> &mut SigHand {
        let id = self.cur().sighand;
        self.sig.sighands_mut().get_mut(id)
    }

    #[track_caller]
    pub fn cur_files(&self) -> &FdTable {
        self.vfs.fdtables().get(self.cur().files)
    }

    #[track_caller]
    pub fn cur_files_mut(&mut self) -> &mut FdTable {
        let id = self.cur().files;
        self.vfs.fdtables_mut().get_mut(id)
    }

    /// One of the running process's resource limits.
    #[track_caller]
    pub fn rlimit(&self, resource: u32) -> Rlimit {
        self.cur_signal().rlimits[resource as usize]
    }

    /// A memory context for an address space no CPU has loaded (one being
    /// built or torn down): no TLB to flush.
    pub fn mem_ctx(&mut self) -> MemCtx<'_> {
        let Kernel { mem, proc, sched, m, trace, .. } = self;
        let crate::mm::MemParts { frames, pagecache, .. } = mem.parts();
        let (tasks, current) = (proc.tasks(), sched.current());
        MemCtx {
            frames,
            phys: m.mem,
            tlb: TlbGather::none(),
            pagecache,
            trace: crate::trace::Probe::new(trace, m.clock, || {
                current.and_then(|c| tasks.get(&c)).map(|t| (t.tid, &t.comm[..]))
            }),
        }
    }

    /// Run `f` on the current task's address space with a memory context.
    pub fn with_mm<R>(&mut self, f: impl FnOnce(&mut AddressSpace, &mut MemCtx) -> R) -> R {
        let mm = self.cur().mm;
        self.with_mm_of(mm, f)
    }

    /// Run `f` on address space `mm` (any task's); TLB flushes go to the
    /// CPUs it is loaded on, when `f` is done.
    pub fn with_mm_of<R>(&mut self, mm: crate::proc::MmId, f: impl FnOnce(&mut AddressSpace, &mut MemCtx) -> R) -> R {
        let Kernel { mem, proc, sched, m, trace, .. } = self;
        let crate::mm::MemParts { mms, frames, pagecache, .. } = mem.parts();
        let (tasks, current) = (proc.tasks(), sched.current());
        let aspace = mms.get_mut(mm);
        let trace = crate::trace::Probe::new(trace, m.clock, || {
            current.and_then(|c| tasks.get(&c)).map(|t| (t.tid, &t.comm[..]))
        });
        let tlb = TlbGather::new(m.mmu, aspace.cpus());
        let mut ctx = MemCtx { frames, phys: m.mem, tlb, pagecache, trace };
        f(aspace, &mut ctx)
    }

    /// Load task `next`'s address space on this CPU (None: the kernel's
    /// own table, for the idle context or an exiting task), keeping the
    /// address spaces' CPU masks true (see `mm::tlb`).
    pub fn switch_mm(&mut self, next: Option<crate::proc::Pid>) {
        let mm = next.map(|p| self.proc.tasks()[&p].mm);
        self.mem.switch_mm(self.m.mmu, mm);
    }

    /// Copy from the current task's memory (Linux: copy_from_user()).
    /// A fault that found no frame is tried again once the page cache is
    /// dropped, as a user-mode fault is.
    pub fn copy_in(&mut self, addr: u64, buf: &mut [u8]) -> SysResult<()> {
        match self.with_mm(|a, ctx| a.copy_from_user(ctx, addr, buf)) {
            Err(crate::abi::ENOMEM) => {
                self.drop_page_caches();
                self.with_mm(|a, ctx| a.copy_from_user(ctx, addr, buf))
            }
            r => r,
        }
    }

    /// Copy to the current task's memory (Linux: copy_to_user()).
    /// Retried once after dropping the page cache, as [`copy_in`](Self::copy_in).
    pub fn copy_out(&mut self, addr: u64, data: &[u8]) -> SysResult<()> {
        match self.with_mm(|a, ctx| a.copy_to_user(ctx, addr, data)) {
            Err(crate::abi::ENOMEM) => {
                self.drop_page_caches();
                self.with_mm(|a, ctx| a.copy_to_user(ctx, addr, data))
            }
            r => r,
        }
    }

    /// One typed ABI value from the current task's memory (see
    /// `AddressSpace::read_val`), retried as [`copy_in`](Self::copy_in).
    pub fn read_val<T: zerocopy::FromBytes + zerocopy::IntoBytes>(&mut self, addr: u64) -> SysResult<T> {
        let mut v = T::new_zeroed();
        self.copy_in(addr, v.as_mut_bytes())?;
        Ok(v)
    }

    /// One typed ABI value to the current task's memory (see
    /// `AddressSpace::write_val`), retried as [`copy_out`](Self::copy_out).
    pub fn write_val<T: zerocopy::IntoBytes + zerocopy::Immutable>(&mut self, addr: u64, v: &T) -> SysResult<()> {
        self.copy_out(addr, zerocopy::IntoBytes::as_bytes(v))
    }

    /// An array of `n` typed ABI values from the current task's memory.
    pub fn read_vals<T: zerocopy::FromBytes + zerocopy::IntoBytes + Clone>(
        &mut self,
        addr: u64,
        n: usize,
    ) -> SysResult<Vec<T>> {
        let mut v = alloc::vec![T::new_zeroed(); n];
        self.copy_in(addr, zerocopy::IntoBytes::as_mut_bytes(v.as_mut_slice()))?;
        Ok(v)
    }

    /// An array of typed ABI values to the current task's memory.
    pub fn write_vals<T: zerocopy::IntoBytes + zerocopy::Immutable>(&mut self, addr: u64, v: &[T]) -> SysResult<()> {
        self.copy_out(addr, zerocopy::IntoBytes::as_bytes(v))
    }

    pub fn read_u64(&mut self, addr: u64) -> SysResult<u64> {
        self.read_val(addr)
    }

    pub fn write_u64(&mut self, addr: u64, v: u64) -> SysResult<()> {
        self.write_val(addr, &v)
    }

    /// A `struct timespec` from user memory: EFAULT, or EINVAL when out of range.
    pub fn read_timespec(&mut self, addr: u64) -> SysResult<(i64, i64)> {
        let ts: Timespec = self.read_val(addr)?;
        if !ts.is_valid() {
            return Err(EINVAL);
        }
        Ok((ts.tv_sec, ts.tv_nsec))
    }

    /// A NUL-terminated string from user memory (Linux: strncpy_from_user()).
    pub fn read_cstr(&mut self, addr: u64, max: usize) -> SysResult<Vec<u8>> {
        self.with_mm(|a, ctx| a.read_cstr(ctx, addr, max))
    }

    /// A path argument: EFAULT for a bad pointer, ENAMETOOLONG past PATH_MAX.
    pub fn read_path(&mut self, addr: u64) -> SysResult<String> {
        let bytes = self.read_cstr(addr, 4096)?;
        String::from_utf8(bytes).map_err(|_| EINVAL)
    }

    /// A pseudo-random u64 (xorshift; for AT_RANDOM and getrandom).
    pub fn random_u64(&mut self) -> u64 {
        let mut x = self.rng;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.rng = x;
        x ^ self.m.clock.monotonic_ns().rotate_left(32)
    }

    pub fn now_ns(&self) -> u64 {
        self.m.clock.monotonic_ns()
    }

    /// Make the vDSO's objects if they do not exist yet, publishing the
    /// clock's parameters in [vvar]. Linux: init_vdso_image() and the
    /// timekeeper's first update_vsyscall().
    pub fn vdso_setup(&mut self) -> Result<crate::mm::vdso::Vdso, crate::abi::Errno> {
        use crate::mm::vdso::{VdsoData, CLOCK_NONE, CLOCK_TSC};
        if let Some(v) = *self.mem.vdso() {
            return Ok(v);
        }
        let (clock_mode, tsc_base, mult) = match self.m.clock.tsc_params() {
            Some((base, mult)) => (CLOCK_TSC, base, mult),
            None => (CLOCK_NONE, 0, 0),
        };
        let data = VdsoData {
            seq: 0,
            clock_mode,
            tsc_base,
            mult,
            epoch_ns: self.m.clock.boot_epoch_ns(),
            tick_ns: crate::time::TICK_NS,
        };
        self.mem.make_vdso(self.m.mem, &data)
    }

    /// Log an unimplemented system call once per number.
    pub fn log_enosys(&mut self, nr: u64) {
        if self.enosys_logged.insert(nr) {
            let comm = String::from_utf8_lossy(&self.cur().comm).into_owned();
            // Linux has no such message; a debugging aid, so at KERN_DEBUG,
            // below the console's level.
            self.log_level(
                crate::log::KERN_DEBUG,
                format_args!("tine: unimplemented syscall {nr} (first called by {comm}), returning ENOSYS"),
            );
        }
    }

    /// The console interrupt: take what the device has received into the
    /// terminal's line discipline, which echoes, signals the foreground
    /// process group and wakes readers and pollers (Linux: the UART's
    /// receive interrupt, tty_flip_buffer_push(), n_tty_receive_buf()).
    pub fn console_irq(&mut self) {
        let mut data = Vec::new();
        let mut chunk = [0u8; 64];
        loop {
            let n = self.m.console.read(&mut chunk);
            if n == 0 {
                break;
            }
            data.extend_from_slice(&chunk[..n]);
        }
        if !data.is_empty() {
            self.tty_receive(&data);
        }
    }
}
