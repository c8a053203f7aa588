//! The kernel's state, the scheduler and wake-ups.
//!
//! `tine-kernel` owns one [`Kernel`] and hands every trap to the trap loop
//! in `entry`, which calls into it: [`Kernel::syscall`] for the `syscall`
//! instruction, [`Kernel::user_exception`] for a CPU exception in user
//! mode, [`Kernel::timer_tick`] and [`Kernel::console_irq`] for
//! interrupts, and after each [`Kernel::schedule`], to know whether to
//! switch tasks ([`Kernel::switch_info`] and [`Kernel::ksp_slot`] say what
//! to switch to).
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

use alloc::collections::{BTreeSet, VecDeque};
use alloc::string::String;
use alloc::vec::Vec;

use crate::abi::*;
use crate::fs::file::{FdTable, FileTable};
use crate::fs::ramfs::RamFs;
use crate::machine::Machine;
use crate::mm::aspace::{AddressSpace, MemCtx};
use crate::mm::frame::FrameAllocator;
use crate::mm::pagecache::PageCache;
use crate::proc::pid::PidMap;
use crate::proc::shared::SharedTable;
use crate::proc::{FsInfo, Pid, Rlimit, SigHand, SignalStruct, Task, TaskState, WaitReason};
use crate::time::hrtimer::HrTimer;

/// How the first process's standard streams look (chosen by the command line).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StdioMode {
    /// The console as a terminal, as on a real system.
    Tty,
    /// stdin reads as /dev/null and stdout/stderr are one pipe to the
    /// console: what a program sees when run natively with `2>&1 | ...`,
    /// so that its output can be compared byte for byte with Linux.
    Pipe,
}

/// What the hardware layer loads to run a task: its saved kernel stack
/// pointer, the top of its kernel stack (TSS.rsp0), its page table, its
/// FS base, and whether `rdtsc` is denied it (CR4.TSD).
#[derive(Clone, Copy, Debug)]
pub struct SwitchTo {
    pub ksp: u64,
    pub kstack_top: u64,
    pub root: u64,
    pub fs_base: u64,
    pub tsc_disabled: bool,
    /// The hardware breakpoints its tracer set: DR0-DR3 (user addresses)
    /// and DR7 (0: none; `proc::ptrace::Tracee::hw_breakpoints`).
    pub debugreg: [u64; 5],
}

/// What the scheduler decided: keep running the current task, or switch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resched {
    Stay,
    /// Switch to `next` (or to the idle context when `None`).
    Switch {
        prev: Option<Pid>,
        next: Option<Pid>,
    },
}

/// Linux: MIN_THREADS and MAX_THREADS (FUTEX_TID_MASK), the bounds of
/// /proc/sys/kernel/threads-max.
pub const MIN_THREADS: u32 = 20;
pub const MAX_THREADS: u32 = 0x3fff_ffff;

pub struct Kernel {
    pub m: Machine,
    pub frames: FrameAllocator,
    /// The kernel's own page table; its upper half is in every address space.
    pub kernel_root: u64,
    pub fs: RamFs,
    /// File pages in frames, for mappings (Linux: the page cache).
    pub pagecache: PageCache,
    /// Every task, alive or zombie, by TID (see `proc::table`).
    pub tasks: crate::proc::table::TaskTable,
    pub pids: PidMap,
    /// Linux: max_threads (/proc/sys/kernel/threads-max).
    pub max_threads: u32,
    /// The shareable parts of tasks (see `proc::shared`).
    pub mms: SharedTable<AddressSpace>,
    pub fdtables: SharedTable<FdTable>,
    pub fs_structs: SharedTable<FsInfo>,
    /// Namespaces and the tasks' nsproxies (`ns`).
    pub ns: crate::ns::Namespaces,
    pub sighands: SharedTable<SigHand>,
    pub signals: SharedTable<SignalStruct>,
    pub files: FileTable,
    pub pipes: crate::fs::pipe::PipeTable,
    /// The counters of the eventfds (see `fs::ops::eventfd`).
    pub eventfds: crate::fs::ops::eventfd::EventfdTable,
    /// POSIX record locks and flock() locks (Linux: each inode's
    /// `file_lock_context`).
    pub locks: crate::fs::lock::LockTable,
    pub current: Option<Pid>,
    /// Released tasks whose kernel stack may still be in use: freed by the
    /// next schedule() that does not run on them (Linux: the final
    /// put_task_struct() in finish_task_switch()).
    pub dead: Vec<Pid>,
    /// Kernel stacks of freed tasks, for the next fork.
    pub kstacks: crate::proc::kstack::StackCache,
    pub runq: VecDeque<Pid>,
    /// The sleepers of each thing that can be waited for (see
    /// `proc::waitqueue`). Tasks go to sleep only through
    /// [`Kernel::sleep_current`], which queues them.
    pub waitqueues: crate::proc::waitqueue::WaitQueues,
    /// The members of each process group (see `proc::pgrp`).
    pub pgrps: crate::proc::pgrp::ProcessGroups,
    /// The idle context's saved kernel stack pointer (Linux: the swapper).
    pub idle_ksp: u64,
    pub need_resched: bool,
    /// The task that last returned to user mode with nothing left to do
    /// (no signal to act on, no restart, no reschedule), as long as
    /// nothing has happened since that could give it work: every trap
    /// from user mode takes it (`enter_from_user_mode`), a context switch
    /// and every signal queued clear it. A system call that can leave no
    /// work (`syscall::quick`) made by that task may then return at once
    /// (Linux: a task whose thread-info work flags are all clear).
    pub user_clean: Option<Pid>,
    /// Frames in use just before init was created: what must be in use
    /// again once every process has gone.
    pub boot_frames_used: usize,
    /// Tasks sleeping in FUTEX_WAIT (Linux: the futex hash buckets).
    pub futexes: Vec<crate::proc::futex::FutexWaiter>,
    /// A new FS base (TLS) for the trap loop to load before the return to
    /// user mode (`entry::Cpu::load_fs_base`).
    pub load_fs: Option<u64>,
    /// A new CR4.TSD setting for the running thread (PR_SET_TSC), loaded
    /// the same way (`entry::Cpu::load_tsc_disabled`).
    pub load_tsd: Option<bool>,
    /// Scheduler ticks since boot (Linux: jiffies).
    pub ticks: u64,
    /// Every deadline: sleepers' timeouts, ITIMER_REAL, POSIX timers
    /// (Linux: the CPU's hrtimer bases).
    pub hrtimers: crate::time::hrtimer::TimerQueue,
    /// When the next scheduler tick is due (Linux: the tick_sched hrtimer).
    pub next_tick: u64,
    /// The timer interrupt asked of the hardware (u64::MAX: none pending).
    pub programmed: u64,
    /// CPU-time accounting: when the clock was last read, in which mode.
    pub acct: crate::time::cputime::CpuAcct,
    /// Tasks created by clone/fork/vfork since boot (Linux: total_forks,
    /// the `processes` line of /proc/stat).
    pub forks: u64,
    /// /proc/stat's counters: CPU time by kind, interrupts, context
    /// switches (`time::kstat`).
    pub kstat: crate::time::kstat::KernelStat,
    /// `tine.strace=COMM`: the comm whose programs' system calls are
    /// logged (`syscall::strace`).
    pub strace_comm: Option<Vec<u8>>,
    /// /proc/sys/fs/lease-break-time, in seconds (`fs::lease`).
    pub lease_break_time: i32,
    /// Descriptions holding a lease: opens look for leases to break only
    /// while there is one.
    pub lease_holders: usize,
    /// System V shared memory segments (one IPC namespace).
    pub shm: crate::ipc::shm::ShmTable,
    /// System V semaphore sets and undo lists (`ipc::sem`).
    pub sem: crate::ipc::sem::SemTable,
    /// System V message queues (`ipc::msg`).
    pub msg: crate::ipc::msg::MsgTable,
    /// What a core dump is called (/proc/sys/kernel/core_pattern, ...).
    pub core: crate::proc::coredump::CoreSettings,
    /// Per-user counts for the limits that bound them (Linux: ucounts).
    pub ucounts: crate::proc::ucounts::UCounts,
    /// Init's wait status once it has exited: the machine can stop.
    pub shutdown: Option<i32>,
    /// reboot(2) asked to power off, halt or restart (its LINUX_REBOOT_CMD):
    /// nothing runs any more, and the idle loop stops the machine
    /// (`shutdown` is set too).
    pub reboot: Option<u32>,
    /// Ctrl-Alt-Del reboots at once (LINUX_REBOOT_CMD_CAD_ON) rather than
    /// signalling init (Linux: C_A_D).
    pub ctrl_alt_del: bool,
    pub stdio: StdioMode,
    /// The console as a terminal: line discipline, settings, controlling
    /// session and foreground process group (see `fs::tty`).
    pub tty: crate::fs::tty::Tty,
    /// CPUID.1:EDX, for AT_HWCAP.
    pub hwcap: u64,
    /// The vDSO and [vvar] objects every exec maps (made before init's
    /// first exec, see [`Kernel::vdso_setup`]).
    pub vdso: Option<crate::mm::vdso::Vdso>,
    /// Where a new task's first context switch returns to: the hardware
    /// layer's path back to user mode.
    pub ret_to_user: u64,
    enosys_logged: BTreeSet<u64>,
    /// The kernel log (see `log`): a cell, since the kernel logs from
    /// places that hold it shared.
    pub klog: core::cell::RefCell<crate::log::LogBuf>,
    /// /proc/loadavg's averages (Linux: avenrun[]).
    pub loadavg: crate::time::loadavg::LoadAvg,
    /// Tasks asleep in an uninterruptible (killable) wait, the vfork
    /// parents: they count in the load (Linux: nr_uninterruptible).
    pub nr_uninterruptible: u64,
    /// The process the OOM killer last chose, while it exits.
    pub oom_victim: Option<crate::proc::Pid>,
    /// Trace events and their ring buffer (see `trace`).
    pub trace: crate::trace::Tracer,
    /// tracefs's instance and open files (see `fs::tracefs`).
    pub tracefs: crate::fs::tracefs::TraceFs,
    rng: u64,
}

impl Kernel {
    pub fn new(
        m: Machine,
        free: &[(u64, u64)],
        kernel_root: u64,
        stdio: StdioMode,
        hwcap: u64,
        ret_to_user: u64,
    ) -> Self {
        let seed = m.clock.monotonic_ns() ^ m.clock.boot_epoch_ns() ^ 0x9e37_79b9_7f4a_7c15;
        let frames = FrameAllocator::new(free, m.mem);
        // Linux: set_max_threads(): thread structures may use at most an
        // eighth of memory, at THREAD_SIZE (16 KiB, four pages) each.
        let max_threads = (frames.stats().total as u64 / (8 * 4)).clamp(MIN_THREADS as u64, MAX_THREADS as u64) as u32;
        Kernel {
            frames,
            kernel_root,
            fs: RamFs::new(),
            pagecache: PageCache::new(),
            tasks: crate::proc::table::TaskTable::new(),
            pids: PidMap::default(),
            max_threads,
            mms: SharedTable::default(),
            fdtables: SharedTable::default(),
            fs_structs: SharedTable::default(),
            ns: crate::ns::Namespaces::new(),
            sighands: SharedTable::default(),
            signals: SharedTable::default(),
            files: FileTable::new(),
            pipes: Default::default(),
            eventfds: Default::default(),
            locks: Default::default(),
            current: None,
            dead: Vec::new(),
            kstacks: crate::proc::kstack::StackCache::new(&m),
            runq: VecDeque::new(),
            waitqueues: Default::default(),
            pgrps: Default::default(),
            idle_ksp: 0,
            need_resched: false,
            user_clean: None,
            boot_frames_used: 0,
            vdso: None,
            futexes: Vec::new(),
            load_fs: None,
            load_tsd: None,
            ticks: 0,
            hrtimers: Default::default(),
            next_tick: m.clock.monotonic_ns() + crate::time::TICK_NS,
            programmed: u64::MAX,
            acct: crate::time::cputime::CpuAcct { stamp: m.clock.cycles(), ..Default::default() },
            forks: 0,
            kstat: Default::default(),
            strace_comm: None,
            lease_break_time: crate::fs::lease::LEASE_BREAK_TIME,
            lease_holders: 0,
            shm: Default::default(),
            sem: Default::default(),
            msg: Default::default(),
            core: Default::default(),
            ucounts: Default::default(),
            shutdown: None,
            reboot: None,
            ctrl_alt_del: true,
            stdio,
            tty: {
                // In tty mode init's session (PID 1's) has the console as
                // its controlling terminal from the start.
                let mut tty = crate::fs::tty::Tty::new();
                if stdio == StdioMode::Tty {
                    tty.session = Some(crate::proc::exit::INIT_PID);
                    tty.pgrp = Some(crate::proc::exit::INIT_PID);
                }
                tty
            },
            hwcap,
            ret_to_user,
            enosys_logged: BTreeSet::new(),
            klog: Default::default(),
            loadavg: crate::time::loadavg::LoadAvg::new(m.clock.monotonic_ns()),
            nr_uninterruptible: 0,
            oom_victim: None,
            trace: Default::default(),
            tracefs: Default::default(),
            rng: seed | 1,
            m,
        }
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
        let st = self.frames.stats();
        self.log(format_args!("Memory: {}K/{}K available", st.free * 4, st.total * 4));
        self.log(format_args!("pid_max: default: {} minimum: 301", self.pids.pid_max()));
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
        &self.tasks[&self.current.expect("no current task")]
    }

    pub fn cur_mut(&mut self) -> &mut Task {
        let pid = self.current.expect("no current task");
        self.tasks.get_mut(&pid).expect("current task exists")
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
        self.fs_structs.get(self.cur().fs)
    }

    #[track_caller]
    pub fn cur_fs_mut(&mut self) -> &mut FsInfo {
        let id = self.cur().fs;
        self.fs_structs.get_mut(id)
    }

    /// The running task's process-wide state (limits, groups).
    #[track_caller]
    pub fn cur_signal(&self) -> &SignalStruct {
        self.signals.get(self.cur().signal)
    }

    #[track_caller]
    pub fn cur_signal_mut(&mut self) -> &mut SignalStruct {
        let id = self.cur().signal;
        self.signals.get_mut(id)
    }

    #[track_caller]
    pub fn cur_sighand_mut(&mut self) -> &mut SigHand {
        let id = self.cur().sighand;
        self.sighands.get_mut(id)
    }

    #[track_caller]
    pub fn cur_files(&self) -> &FdTable {
        self.fdtables.get(self.cur().files)
    }

    #[track_caller]
    pub fn cur_files_mut(&mut self) -> &mut FdTable {
        let id = self.cur().files;
        self.fdtables.get_mut(id)
    }

    /// One of the running process's resource limits.
    #[track_caller]
    pub fn rlimit(&self, resource: u32) -> Rlimit {
        self.cur_signal().rlimits[resource as usize]
    }

    /// A memory context for address space `mm`, with TLB flushes only when
    /// it is the live one.
    pub fn mem_ctx(&mut self, live: bool) -> MemCtx<'_> {
        let Kernel { frames, m, pagecache, trace, tasks, current, .. } = self;
        MemCtx {
            frames,
            phys: m.mem,
            mmu: if live { Some(m.mmu) } else { None },
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

    /// Run `f` on address space `mm` (any task's); TLB flushes only when it
    /// is the one the CPU is running on.
    pub fn with_mm_of<R>(&mut self, mm: crate::proc::MmId, f: impl FnOnce(&mut AddressSpace, &mut MemCtx) -> R) -> R {
        let live = self.current.is_some_and(|c| self.tasks.get(&c).is_some_and(|t| t.mm == mm));
        let Kernel { mms, frames, m, pagecache, trace, tasks, current, .. } = self;
        let aspace = mms.get_mut(mm);
        let trace = crate::trace::Probe::new(trace, m.clock, || {
            current.and_then(|c| tasks.get(&c)).map(|t| (t.tid, &t.comm[..]))
        });
        let mut ctx = MemCtx { frames, phys: m.mem, mmu: if live { Some(m.mmu) } else { None }, pagecache, trace };
        f(aspace, &mut ctx)
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
        use crate::mm::vdso::{Vdso, VdsoData, CLOCK_NONE, CLOCK_TSC};
        if let Some(v) = self.vdso {
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
        let v = Vdso::new(&mut self.pagecache, &mut self.frames, self.m.mem, &data)?;
        self.vdso = Some(v);
        Ok(v)
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

    /// Make a task runnable and queue it (Linux: try_to_wake_up()).
    pub fn wake(&mut self, pid: Pid) {
        if let Some(t) = self.tasks.get_mut(&pid) {
            if let TaskState::Blocked(why) = t.state {
                t.state = TaskState::Runnable;
                if why == WaitReason::Vfork {
                    self.nr_uninterruptible = self.nr_uninterruptible.saturating_sub(1);
                }
                self.runq.push_back(pid);
                if let Some(key) = why.queue() {
                    self.waitqueues.remove(key, pid);
                }
                self.trace_wakeup(crate::trace::Event::SchedWakeup, pid);
            }
        }
    }

    /// Take a sleeping task off its wait queue, before something other
    /// than a wake-up ends its sleep (a stop, its death).
    pub(crate) fn unqueue_sleeper(&mut self, pid: Pid) {
        if let Some(TaskState::Blocked(why)) = self.tasks.get(&pid).map(|t| t.state) {
            if why == WaitReason::Vfork {
                self.nr_uninterruptible = self.nr_uninterruptible.saturating_sub(1);
            }
            if let Some(key) = why.queue() {
                self.waitqueues.remove(key, pid);
            }
        }
    }

    /// Put the current task to sleep; the system call returns
    /// `ERESTARTNOINTR` so it runs again when the task is woken.
    pub fn block_current(&mut self, why: WaitReason) -> Errno {
        // A signal already waiting interrupts the sleep before it starts
        // (Linux: signal_pending() in the wait loop). The call returns
        // EINTR, which `Kernel::syscall` turns into the call's restart
        // code; what it kept for running again (a deadline) is its to
        // keep or drop there.
        if self.deliverable(self.cur().tid) != 0 {
            return EINTR;
        }
        self.sleep_current(why);
        ERESTARTNOINTR
    }

    /// Mark the current task asleep for `why`, where wake-ups will find it
    /// (Linux: set_current_state() after joining a wait queue).
    pub fn sleep_current(&mut self, why: WaitReason) {
        let tid = self.current.expect("a running task goes to sleep");
        self.cur_mut().state = TaskState::Blocked(why);
        if why == WaitReason::Vfork {
            self.nr_uninterruptible += 1;
        }
        if let Some(key) = why.queue() {
            self.waitqueues.add(key, tid);
        }
        if let Some(d) = why.deadline() {
            self.arm_sleeper(tid, d);
        }
    }

    /// Queue task `tid`'s timeout at `deadline`, replacing the one it had
    /// (Linux: hrtimer_sleeper_start_expires()).
    fn arm_sleeper(&mut self, tid: Pid, deadline: u64) {
        let t = self.tasks.get_mut(&tid).expect("sleeping task");
        if t.hrtimer == Some(deadline) {
            return;
        }
        let old = t.hrtimer.replace(deadline);
        if let Some(old) = old {
            self.hrtimers.remove(old, HrTimer::Sleeper(tid));
        }
        self.hrtimer_start(deadline, HrTimer::Sleeper(tid));
    }

    /// Queue a deadline, reprogramming the timer interrupt if it is now
    /// the first (Linux: hrtimer_start_range_ns() → hrtimer_reprogram()).
    pub fn hrtimer_start(&mut self, at: u64, t: HrTimer) {
        self.hrtimers.insert(at, t);
        if at < self.programmed {
            self.programmed = at;
            self.m.clock.set_next_event(at);
        }
    }

    /// Ask for the timer interrupt at the next deadline or tick (Linux:
    /// hrtimer_interrupt()'s final tick_program_event()).
    fn program_next_event(&mut self) {
        let at = crate::time::hrtimer::next_event(&self.hrtimers, self.next_tick);
        if at != self.programmed {
            self.programmed = at;
            self.m.clock.set_next_event(at);
        }
    }

    /// Run every deadline that has passed (Linux: __hrtimer_run_queues()).
    fn run_hrtimers(&mut self, now: u64) {
        while let Some((at, t)) = self.hrtimers.pop_expired(now) {
            match t {
                HrTimer::Sleeper(tid) => {
                    let Some(task) = self.tasks.get_mut(&tid) else { continue };
                    if task.hrtimer == Some(at) {
                        task.hrtimer = None;
                    }
                    // Still asleep for a deadline that has come (Linux:
                    // hrtimer_wakeup()); else a wake-up came first.
                    if let TaskState::Blocked(why) = task.state {
                        if why.deadline().is_some_and(|d| d <= now) {
                            self.wake(tid);
                        }
                    }
                }
                HrTimer::Real(signal) => self.real_timer_expired(signal, at),
                HrTimer::Posix(signal, id) => self.posix_timer_expired(signal, id, at),
            }
        }
    }

    /// Wake every sleeper on `key`'s wait queue, in TID order (Linux:
    /// wake_up_all()).
    pub(crate) fn wake_queue(&mut self, key: crate::proc::waitqueue::WaitKey) {
        let sleepers = self.waitqueues.take(key);
        for &pid in &sleepers {
            if let Some(t) = self.tasks.get_mut(&pid) {
                // Every task on the queue sleeps for it: whatever else
                // ended a sleep took the task off first.
                debug_assert!(matches!(t.state, TaskState::Blocked(why) if why.queue() == Some(key)));
                t.state = TaskState::Runnable;
                self.runq.push_back(pid);
            }
        }
        self.waitqueues.recycle(sleepers);
    }

    /// The timer interrupt (Linux: hrtimer_interrupt()): run the deadlines
    /// that have come, then, when the scheduler tick is due, check the
    /// running process's CPU-time timers and end its time slice every
    /// `SLICE_TICKS` ticks (Linux: tick_sched_timer() →
    /// update_process_times() → scheduler_tick(), run_posix_cpu_timers()),
    /// and program the interrupt for whatever comes next. An interrupt
    /// with nothing due (an early or stale one) only reprograms.
    pub fn timer_tick(&mut self) {
        use crate::time::{hrtimer::forward_tick, SLICE_TICKS, TICK_NS};
        let now = self.now_ns();
        // The event that raised this interrupt is spent.
        self.programmed = u64::MAX;
        // Records logged where tasks could not be woken (Linux: the
        // deferred wake_up_klogd_work).
        self.wake_log_readers();
        self.wake_trace_readers();
        self.run_hrtimers(now);
        if self.loadavg.due(now) {
            let active = self.nr_running() + self.nr_uninterruptible;
            self.loadavg.update(now, active);
        }
        if now >= self.next_tick {
            let (next, n) = forward_tick(self.next_tick, now, TICK_NS);
            self.next_tick = next;
            let before = self.ticks;
            self.ticks += n;
            if self.current.is_some() {
                self.account_flush();
                self.run_cpu_timers();
            }
            if self.ticks / SLICE_TICKS != before / SLICE_TICKS {
                self.need_resched = true;
            }
        }
        self.program_next_event();
    }

    /// Runnable tasks, the running one included (Linux: nr_running()):
    /// those queued, counted once each, and the current one. The queue
    /// may hold tasks that stopped or died since they were queued, and one
    /// queued twice; it is short next to the task table.
    pub fn nr_running(&self) -> u64 {
        let mut seen = BTreeSet::new();
        let queued = self
            .runq
            .iter()
            .filter(|&&p| Some(p) != self.current)
            .filter(|p| self.tasks.get(p).is_some_and(|t| t.state == TaskState::Runnable))
            .filter(|&&p| seen.insert(p))
            .count() as u64;
        let cur = self.current.is_some_and(|p| self.tasks.get(&p).is_some_and(|t| t.state == TaskState::Runnable));
        queued + cur as u64
    }

    /// Wake every task sleeping for `why` (Linux: wake_up_all() on a wait queue).
    pub fn wake_all(&mut self, why: WaitReason) {
        if matches!(why, WaitReason::Pipe(_) | WaitReason::ConsoleInput { .. } | WaitReason::Eventfd(_)) {
            self.wake_pollers();
        }
        if let Some(key) = why.queue() {
            self.wake_queue(key);
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

    /// `prev` leaves the CPU: a voluntary switch when it sleeps or ends,
    /// an involuntary one when it could have run on (Linux: __schedule()'s
    /// switch_count).
    /// A released task (its process state already let go) counts nothing.
    fn count_switch(&mut self, prev: Pid, preempted: bool) {
        let Some(t) = self.tasks.get_mut(&prev).filter(|t| t.state != TaskState::Dead) else { return };
        let signal = t.signal;
        if preempted {
            t.nivcsw += 1;
            self.signals.get_mut(signal).nivcsw += 1;
        } else {
            t.nvcsw += 1;
            self.signals.get_mut(signal).nvcsw += 1;
        }
    }

    /// Pick what runs next (Linux: schedule(), round robin here). The
    /// trap loop (`entry`) performs the switch the answer names, with
    /// [`Kernel::switch_info`] and [`Kernel::ksp_slot`].
    #[inline]
    pub fn schedule(&mut self) -> Resched {
        // Nearly every trap returns to the task that made it: say so with
        // a few tests (the same ones the full pass below would make first),
        // so that a system call pays for no more.
        if !self.need_resched && self.dead.is_empty() && self.reboot.is_none() {
            if let Some(p) = self.current {
                if self.tasks.get(&p).is_some_and(|t| t.state == TaskState::Runnable) {
                    return Resched::Stay;
                }
            }
        }
        self.pick_next()
    }

    /// The scheduler's full pass (Linux: __schedule()): free released
    /// tasks, then keep the current task or pick the next runnable one.
    #[inline(never)]
    fn pick_next(&mut self) -> Resched {
        self.user_clean = None;
        self.free_dead_tasks();
        let prev = self.current;
        // After reboot(2) nothing runs: the idle context stops the machine.
        if self.reboot.is_some() && prev.is_some() {
            self.account_flush();
            self.current = None;
            return Resched::Switch { prev, next: None };
        }
        let prev_runnable = prev.map(|p| self.tasks[&p].state == TaskState::Runnable).unwrap_or(false);
        if prev_runnable && !self.need_resched {
            return Resched::Stay;
        }
        self.need_resched = false;
        let next = loop {
            match self.runq.pop_front() {
                Some(p) if self.tasks.get(&p).map(|t| t.state == TaskState::Runnable) == Some(true) => break Some(p),
                Some(_) => continue,
                None => break None,
            }
        };
        if let Some(p) = prev {
            self.count_switch(p, prev_runnable);
        }
        match next {
            Some(n) => {
                if let (Some(p), true) = (prev, prev_runnable) {
                    self.runq.push_back(p);
                }
                if self.trace.enabled(crate::trace::Event::SchedSwitch) {
                    self.trace_switch(prev, next);
                }
                // prev's time up to the switch is its own; from here on
                // it is n's, which resumes in the kernel.
                self.account_flush();
                self.acct.in_user = false;
                self.current = Some(n);
                self.kstat.ctxt += 1;
                Resched::Switch { prev, next: Some(n) }
            }
            None if prev_runnable => Resched::Stay,
            None if prev.is_none() => Resched::Stay,
            None => {
                if self.trace.enabled(crate::trace::Event::SchedSwitch) {
                    self.trace_switch(prev, None);
                }
                self.account_flush();
                self.acct.in_user = false;
                self.current = None;
                self.kstat.ctxt += 1;
                Resched::Switch { prev, next: None }
            }
        }
    }

    /// Free released tasks, except the one whose stack we are on.
    pub(crate) fn free_dead_tasks(&mut self) {
        if self.dead.is_empty() {
            return;
        }
        let cur = self.current;
        let (keep, free): (Vec<Pid>, Vec<Pid>) = self.dead.iter().partition(|&&p| Some(p) == cur);
        self.dead = keep;
        for p in free {
            self.free_task(p);
        }
    }

    /// Everything the hardware layer needs to run task `pid`: its saved
    /// kernel stack pointer, kernel stack top, page table root and TLS base.
    pub fn switch_info(&self, pid: Pid) -> SwitchTo {
        let t = &self.tasks[&pid];
        SwitchTo {
            ksp: t.ksp,
            kstack_top: t.kstack.top(),
            root: self.mms.get(t.mm).root(),
            fs_base: t.fs_base,
            tsc_disabled: t.tsc_disabled,
            debugreg: t.ptrace.tracee.as_deref().map_or([0; 5], |p| p.hw_breakpoints()),
        }
    }

    /// Address of the slot where a switched-out context's stack pointer is
    /// saved: the task's, or the idle context's.
    pub fn ksp_slot(&mut self, pid: Option<Pid>) -> u64 {
        match pid {
            Some(p) => &mut self.tasks.get_mut(&p).expect("task").ksp as *mut u64 as u64,
            None => &mut self.idle_ksp as *mut u64 as u64,
        }
    }
}
