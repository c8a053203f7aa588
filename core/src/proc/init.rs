//! The first process (Linux: kernel_init() → run_init_process()).

use alloc::string::String;
use alloc::vec::Vec;

use crate::abi::*;
use crate::fs::file::{Fd, FdTable, FileKind};
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
        let kstack = self.kstacks.get(&mut self.frames)?;
        kstack.set_owner(INIT_PID, b"init");
        // The vDSO's pages are the kernel's for as long as it runs.
        self.vdso_setup()?;
        // The kernel heap's frames are left out of both sides: the heap
        // grows as it needs and keeps what it took, which is no leak.
        self.boot_frames_used = self.frames.stats().used - self.frames.heap_frames();
        let pid = self.pids.alloc()?;
        debug_assert_eq!(pid, INIT_PID);

        let root = self.kernel_root;
        let mut ctx = self.mem_ctx(false);
        let empty = AddressSpace::new(&mut ctx, root)?;
        let mm = self.mms.insert(empty);
        let files = self.init_files()?;

        let root = self.fs.root();
        self.fs.ihold(root)?;
        self.fs.ihold(root)?;
        let fs = self.fs_structs.insert(FsInfo { cwd: root, root, umask: 0o022 });
        let sighand = self.sighands.insert(SigHand::default());
        // Init leads its own process group and session (as Linux's init
        // does once it has called setsid()).
        let mut rlimits = default_rlimits();
        // Linux: fork_init() sets init's RLIMIT_NPROC to max_threads / 2.
        let nproc = (self.max_threads / 2) as u64;
        rlimits[RLIMIT_NPROC as usize] = Rlimit { cur: nproc, max: nproc };
        // ... and RLIMIT_SIGPENDING to the same.
        rlimits[11] = Rlimit { cur: nproc, max: nproc };
        self.pids.hold(pid);
        self.pids.hold(pid);
        let signal = self.signals.insert(SignalStruct::new(rlimits, pid, pid, false));
        self.signals.get_mut(signal).unkillable = true;
        self.signals.get_mut(signal).threads.insert(pid);

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
        self.ucounts.inc_nproc(task.cred.uid);
        self.tasks.insert(pid, alloc::boxed::Box::new(task));
        self.pgrps.join(pid, pid);

        let mut regs = PtRegs::default();
        if let Err(e) = do_execve(self, pid, &mut regs, &path, ExecArgs { argv, envp }) {
            self.log(format_args!("tine: cannot run {path} as init: {}", e.name()));
            let t = self.tasks.remove(&pid).expect("init task");
            self.put_mm(t.mm);
            self.put_files(t.files);
            self.put_fs(t.fs);
            self.ns.put(t.nsproxy);
            self.put(t.sighand);
            self.put_signal(t.signal);
            self.pids.put(pid);
            return Err(e);
        }
        let ret = self.ret_to_user;
        let t = self.tasks.get_mut(&pid).expect("init task");
        t.kstack.set_regs(&regs);
        t.ksp = t.kstack.prepare_first_switch(ret);
        self.runq.push_back(pid);
        Ok(pid)
    }

    /// Init's descriptors 0, 1 and 2 (see `StdioMode`).
    fn init_files(&mut self) -> SysResult<crate::proc::FilesId> {
        let mut fds = FdTable::new();
        let root = self.fs.root();
        let (stdin, stdout) = match self.stdio {
            StdioMode::Tty => {
                let ino = self.fs.lookup(&crate::fs::FsCred::ROOT, root, b"/dev/console", Lookup::FOLLOW)?;
                self.fs.ihold(ino)?;
                let c = self.files.open(FileKind::Console, O_RDWR, Some(ino));
                self.files.get_ref(c);
                (c, c)
            }
            StdioMode::Pipe => {
                let ino = self.fs.lookup(&crate::fs::FsCred::ROOT, root, b"/dev/null", Lookup::FOLLOW)?;
                self.fs.ihold(ino)?;
                let null = self.files.open(FileKind::Null, O_RDONLY, Some(ino));
                let out = self.files.open(FileKind::ConsolePipe, O_WRONLY, None);
                (null, out)
            }
        };
        for (n, f) in [stdin, stdout].into_iter().enumerate() {
            fds.install(Fd { file: f, cloexec: false }, n, 3).expect("three free slots");
        }
        // stderr shares stdout's description, as after `2>&1`.
        self.files.get_ref(stdout);
        fds.install(Fd { file: stdout, cloexec: false }, 2, 3).expect("three free slots");
        Ok(self.fdtables.insert(fds))
    }

    pub fn cur_cred(&self) -> Cred {
        self.current.map(|p| self.tasks[&p].cred).unwrap_or_default()
    }
}

impl Kernel {
    /// Read a file of NUL-terminated strings (how `xtask` passes init's
    /// argv and environment in the initramfs: `/tine/argv`, `/tine/envp`).
    pub fn read_nul_list(&self, path: &[u8]) -> Option<Vec<Vec<u8>>> {
        let ino = self.fs.lookup(&crate::fs::FsCred::ROOT, self.fs.root(), path, Lookup::FOLLOW).ok()?;
        let data = self.fs.file_data(ino).ok()?;
        Some(data.split(|&b| b == 0).filter(|s| !s.is_empty()).map(|s| s.to_vec()).collect())
    }

    /// Unpack the initramfs and add what every program expects (/dev,
    /// /tmp, /proc, tracefs on /sys/kernel/tracing).
    pub fn load_initramfs(&mut self, image: Option<&[u8]>) -> SysResult<usize> {
        let n = match image {
            Some(img) => crate::fs::cpio::unpack(&mut self.fs, img)?,
            None => 0,
        };
        let now = self.m.clock.boot_epoch_ns() + self.now_ns();
        crate::fs::make_standard_nodes(&mut self.fs, now)?;
        crate::fs::tracefs::mount_at_boot(&mut self.tracefs, &mut self.fs, now)?;
        Ok(n)
    }
}
