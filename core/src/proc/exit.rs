//! Ending a task and releasing what it holds (Linux: kernel/exit.c,
//! do_exit() and the exit_mm(), exit_files() steps).

use crate::kernel::Kernel;
use crate::proc::{FilesId, MmId, Pid, TaskState};

impl Kernel {
    /// Drop one user of address space `mm`; the last one frees it
    /// (Linux: mmput()).
    pub fn put_mm(&mut self, mm: MmId) {
        let e = self.mms.get_mut(&mm).expect("mm exists");
        e.users -= 1;
        if e.users == 0 {
            let aspace = self.mms.remove(&mm).expect("mm exists").obj;
            let mut ctx = self.mem_ctx(false);
            aspace.release(&mut ctx);
        }
    }

    /// Drop one user of descriptor table `files`; the last one closes every
    /// descriptor (Linux: put_files_struct()).
    pub fn put_files(&mut self, files: FilesId) {
        let e = self.fdtables.get_mut(&files).expect("fd table exists");
        e.users -= 1;
        if e.users == 0 {
            let mut table = self.fdtables.remove(&files).expect("fd table exists").obj;
            for fd in table.drain(false) {
                self.release_file(fd.file);
            }
        }
    }

    /// Close the close-on-exec descriptors of `pid` (Linux: do_close_on_exec()).
    pub fn close_on_exec(&mut self, pid: Pid) {
        let files = self.tasks[&pid].files;
        let closed = self.fdtables.get_mut(&files).expect("fd table exists").obj.drain(true);
        for fd in closed {
            self.release_file(fd.file);
        }
    }
}

/// Linux: do_exit(). The task gives back its memory and files and becomes
/// a zombie holding its wait status. When init (PID 1) goes, the machine
/// has nothing left to run: the kernel records the status and stops.
pub fn do_exit(k: &mut Kernel, status: i32) {
    let pid = k.current.expect("exit from a task");
    let (mm, files) = {
        let t = &k.tasks[&pid];
        (t.mm, t.files)
    };
    // The page table stays live until the switch away, so park the CPU on
    // the kernel's own table before the address space is freed.
    k.m.mmu.activate(k.kernel_root);
    k.put_mm(mm);
    k.put_files(files);
    let t = k.tasks.get_mut(&pid).expect("task");
    t.state = TaskState::Zombie;
    t.exit_status = status;
    if pid == 1 {
        k.log(format_args!("tine: init exited status={status}"));
        k.shutdown = Some(status);
    }
}
