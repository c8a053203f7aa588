//! The first process (Linux: kernel_init() → run_init_process()).

use alloc::string::String;
use alloc::vec::Vec;

use crate::abi::*;
use crate::fs::file::{Fd, FdTable, FileKind};
use crate::fs::mount::ROOT_MOUNT;
use crate::fs::namei::{Held, Path};
use crate::fs::Lookup;
use crate::kernel::{Kernel, StdioMode};
use crate::mm::aspace::AddressSpace;
use crate::proc::exec::{do_execve, ExecArgs};
use crate::proc::exit::INIT_PID;
use crate::proc::kstack::FpuState;
use crate::proc::{default_rlimits, Cred, FsInfo, Pid, Rlimit, SigHand, SignalStruct, Task};

impl Kernel {
    /// Create PID 1 running `argv[0]` with its standard streams on the
    /// console, and queue it to run.
    pub fn spawn_init(&mut self, argv: Vec<Vec<u8>>, envp: Vec<Vec<u8>>) -> SysResult<Pid> {
        let path = String::from_utf8(argv.first().ok_or(EINVAL)?.clone()).map_err(|_| EINVAL)?;
        // Init's kernel stack is still in use when the accounting at its
        // exit compares with this baseline, so it belongs in it.
        let kstack = self.sched.kstacks_mut().get(self.mem.frames_mut())?;
        kstack.set_owner(INIT_PID, b"init");
        // The vDSO's pages are the kernel's for as long as it runs.
        self.vdso_setup()?;
        // The kernel heap's frames are left out of both sides: the heap
        // grows as it needs and keeps what it took, which is no leak.
        self.mem.set_boot_frames_used(self.mem.frames().stats().used - self.mem.frames().heap_frames());
        let pid = self.proc.pids.alloc()?;
        debug_assert_eq!(pid, INIT_PID);

        let root = self.mem.kernel_root();
        let empty = AddressSpace::new(&mut self.mem_ctx(), root)?;
        let mm = self.mem.mms_mut().insert(empty);
        let files = self.init_files()?;

        let root = self.vfs.fs().root();
        self.vfs.fs_mut().ihold(root)?;
        self.vfs.fs_mut().ihold(root)?;
        let fs = self.vfs.fs_structs_mut().insert(FsInfo {
            cwd: Held::ram(Path::new(ROOT_MOUNT, root)),
            root,
            umask: 0o022,
        });
        let sighand = self.sig.sighands_mut().insert(SigHand::default());
        // Init leads its own process group and session (as Linux's init
        // does once it has called setsid()).
        let mut rlimits = default_rlimits();
        // Linux: fork_init() sets init's RLIMIT_NPROC to max_threads / 2.
        let nproc = (self.proc.max_threads / 2) as u64;
        rlimits[RLIMIT_NPROC as usize] = Rlimit { cur: nproc, max: nproc };
        // ... and RLIMIT_SIGPENDING to the same.
        rlimits[11] = Rlimit { cur: nproc, max: nproc };
        // ... and the initial user namespace's limits too.
        self.ns.user.init_limits(self.proc.max_threads / 2);
        self.proc.pids.hold(pid);
        self.proc.pids.hold(pid);
        let signal = self.sig.signals_mut().insert(SignalStruct::new(rlimits, pid, pid, false));
        self.sig.signals_mut().get_mut(signal).unkillable = true;
        self.sig.signals_mut().get_mut(signal).threads.insert(pid);

        let mut task = Task {
            tid: pid,
            tgid: pid,
            exit_signal: SIGCHLD,
            mm,
            files,
            fs,
            sighand,
            signal,
            nsproxy: self.ns.get_init(),
            comm: b"init".to_vec(),
            ..Task::new(kstack, self.now_ns())
        };
        task.kstack.set_fpu(&FpuState::initial());
        self.proc.ucounts.inc_nproc(task.cred.uid);
        self.proc.tasks.insert(pid, alloc::boxed::Box::new(task));
        self.proc.pgrps.join(pid, pid);

        let mut regs = PtRegs::default();
        if let Err(e) = do_execve(self, pid, &mut regs, &path, ExecArgs::new(argv, envp)) {
            self.log(format_args!("tine: cannot run {path} as init: {}", e.name()));
            let t = self.proc.tasks.remove(&pid).expect("init task");
            self.put_mm(t.mm);
            self.put_files(t.files);
            self.put_fs(t.fs);
            self.put_nsproxy(t.nsproxy);
            self.put(t.sighand);
            self.put_signal(t.signal);
            self.put_pid(pid);
            return Err(e);
        }
        let t = self.proc.tasks.get_mut(&pid).expect("init task");
        t.kstack.set_regs(&regs);
        t.kstack.prepare_first_switch();
        self.wake_up_new_task(pid);
        Ok(pid)
    }

    /// Init's descriptors 0, 1 and 2 (see `StdioMode`).
    fn init_files(&mut self) -> SysResult<crate::proc::FilesId> {
        let mut fds = FdTable::new();
        let root = self.vfs.fs().root();
        let (stdin, stdout) = match self.vfs.stdio() {
            StdioMode::Tty => {
                let ino = self.vfs.fs().lookup(&crate::fs::FsCred::ROOT, root, b"/dev/console", Lookup::FOLLOW)?;
                self.vfs.fs_mut().ihold(ino)?;
                let c = self.vfs.files_mut().open(FileKind::Console, O_RDWR, Some(ino));
                self.vfs.files_mut().get_ref(c);
                (c, c)
            }
            StdioMode::Pipe => {
                let ino = self.vfs.fs().lookup(&crate::fs::FsCred::ROOT, root, b"/dev/null", Lookup::FOLLOW)?;
                self.vfs.fs_mut().ihold(ino)?;
                let null = self.vfs.files_mut().open(FileKind::Null, O_RDONLY, Some(ino));
                let out = self.vfs.files_mut().open(FileKind::ConsolePipe, O_WRONLY, None);
                (null, out)
            }
        };
        for (n, f) in [stdin, stdout].into_iter().enumerate() {
            fds.install(Fd { file: f, cloexec: false }, n, 3).expect("three free slots");
        }
        // stderr shares stdout's description, as after `2>&1`.
        self.vfs.files_mut().get_ref(stdout);
        fds.install(Fd { file: stdout, cloexec: false }, 2, 3).expect("three free slots");
        Ok(self.vfs.fdtables_mut().insert(fds))
    }

    pub fn cur_cred(&self) -> Cred {
        self.sched.current().map(|p| self.proc.tasks[&p].cred).unwrap_or_default()
    }
}

impl Kernel {
    /// Read a file of NUL-terminated strings (how `xtask` passes init's
    /// argv and environment in the initramfs: `/tine/argv`, `/tine/envp`).
    pub fn read_nul_list(&self, path: &[u8]) -> Option<Vec<Vec<u8>>> {
        let ino = self.vfs.fs().lookup(&crate::fs::FsCred::ROOT, self.vfs.fs().root(), path, Lookup::FOLLOW).ok()?;
        let data = self.vfs.fs().file_data(ino).ok()?;
        Some(data.split(|&b| b == 0).filter(|s| !s.is_empty()).map(|s| s.to_vec()).collect())
    }

    /// Unpack the initramfs and add what every program expects (/dev,
    /// /tmp, /proc, tracefs on /sys/kernel/tracing).
    pub fn load_initramfs(&mut self, image: Option<&[u8]>) -> SysResult<usize> {
        let n = match image {
            Some(img) => crate::fs::cpio::unpack(self.vfs.fs_mut(), img)?,
            None => 0,
        };
        let now = self.m.clock.boot_epoch_ns() + self.now_ns();
        self.vfs.make_boot_tree(now)?;
        Ok(n)
    }
}
