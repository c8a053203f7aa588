//! The kernel side of the console terminal: reads and writes of console
//! descriptors (blocking the Tine way), the controlling terminal (the
//! session that owns the console and its foreground process group),
//! SIGTTIN/SIGTTOU for background groups, and the terminal ioctls
//! (Linux: drivers/tty/tty_io.c, tty_jobctrl.c, tty_ioctl.c).

use alloc::collections::BTreeSet;
use alloc::vec::Vec;

use crate::abi::*;
use crate::fs::file::FileId;
use crate::kernel::Kernel;
use crate::proc::{Pid, TaskState, WaitReason};
use crate::signal::{SigInfo, SI_USER};

use super::*;

impl Kernel {
    /// Whether the running process has the console as its controlling
    /// terminal (Linux: `current->signal->tty == tty`).
    pub fn has_ctty(&self) -> bool {
        let sid = self.cur_signal().sid;
        self.vfs.tty.session == Some(sid) && !self.vfs.tty.detached.contains(&self.cur().tgid)
    }

    /// Bytes arrived on the console: through the line discipline, then
    /// echo, signals and wake-ups.
    pub fn tty_receive(&mut self, data: &[u8]) {
        let now = self.now_ns();
        let fx = self.vfs.tty.receive(data, now);
        self.tty_apply(fx);
        self.wake_console();
    }

    /// Carry out what the line discipline asked for.
    fn tty_apply(&mut self, fx: Effects) {
        if !fx.out.is_empty() {
            self.m.console.write(&fx.out);
        }
        for sig in fx.signals {
            if let Some(pg) = self.vfs.tty.pgrp {
                self.kill_pgrp_priv(pg, SigInfo::kernel(sig));
            }
        }
    }

    /// Send to every process of group `pgid`, without permission checks
    /// (Linux: kill_pgrp(pgrp, sig, 1) from the terminal layer).
    fn kill_pgrp_priv(&mut self, pgid: Pid, info: SigInfo) {
        let members: Vec<Pid> = self
            .proc
            .tasks()
            .values()
            .filter(|t| t.is_leader() && !t.is_zombie() && t.state != TaskState::Dead)
            .filter(|t| self.sig.signals().get(t.signal).pgid == pgid)
            .map(|t| t.tgid)
            .collect();
        for p in members {
            let _ = self.send_signal_process(p, info);
        }
    }

    /// Wake readers, writers and pollers of the console: its state changed.
    pub fn wake_console(&mut self) {
        self.wake_pollers();
        self.wake_queue(crate::proc::waitqueue::WaitKey::Console);
    }

    /// A background process touching its controlling terminal: SIGTTIN
    /// for a read, SIGTTOU for a write under TOSTOP or a settings change,
    /// sent to its whole process group, and the call runs again once
    /// the group is continued. EIO when nobody could continue it (the
    /// group is orphaned) or a read's SIGTTIN is ignored or blocked; a
    /// write with SIGTTOU ignored or blocked just goes ahead
    /// (Linux: __tty_check_change()).
    pub fn tty_check_change(&mut self, sig: u32) -> SysResult<()> {
        if !self.has_ctty() {
            return Ok(());
        }
        let Some(fg) = self.vfs.tty.pgrp else { return Ok(()) };
        let pgrp = self.cur_signal().pgid;
        if fg == pgrp {
            return Ok(());
        }
        let t = self.cur();
        let ignored =
            t.sigmask.has(sig) || self.sig.sighands().get(t.sighand).action[sig as usize - 1].handler == SIG_IGN;
        if ignored {
            return if sig == SIGTTIN { Err(EIO) } else { Ok(()) };
        }
        if self.will_become_orphaned_pgrp(pgrp, None) {
            return Err(EIO);
        }
        self.kill_pgrp_priv(pgrp, SigInfo::kernel(sig));
        if self.deliverable(self.cur().tid) == 0 {
            return Err(EIO);
        }
        // Linux returns -ERESTARTSYS: the stop happens on the way out and
        // the call is made again after SIGCONT.
        Err(ERESTARTNOINTR)
    }

    /// Block the current task until console activity (or `until_ns`).
    fn console_wait(&mut self, nonblock: bool, until_ns: Option<u64>) -> Errno {
        if nonblock {
            self.cur_mut().resume.clear_deadline();
            return EAGAIN;
        }
        self.block_current(WaitReason::ConsoleInput { until_ns })
    }

    /// read(2) on the console (Linux: n_tty_read()): a line in canonical
    /// mode; else per VMIN and VTIME: MIN>0,TIME=0 waits for MIN bytes;
    /// MIN>0,TIME>0 for MIN bytes or TIME tenths of a second after the
    /// last one; MIN=0,TIME>0 for one byte or TIME; MIN=0,TIME=0 takes
    /// what is there.
    pub fn console_read(&mut self, id: FileId, dst: &mut [u8]) -> SysResult {
        let nonblock = self.vfs.files.get(id).flags & O_NONBLOCK != 0;
        if let Err(e) = self.tty_check_change(SIGTTIN) {
            self.cur_mut().resume.clear_deadline();
            return Err(e);
        }
        let now = self.now_ns();
        let n = if self.vfs.tty.icanon() {
            if !self.vfs.tty.input_available(false) {
                return Err(self.console_wait(nonblock, None));
            }
            self.vfs.tty.read_canon(dst)
        } else {
            let (vmin, vtime) = self.vfs.tty.vmin_vtime();
            let vtime_ns = vtime * 100_000_000;
            let avail = self.vfs.tty.raw_available();
            if vmin == 0 {
                if avail == 0 && vtime > 0 {
                    let d = self.cur_mut().resume.deadline_or_insert(now + vtime_ns);
                    if now < d {
                        return Err(self.console_wait(nonblock, Some(d)));
                    }
                }
            } else if avail < vmin.min(dst.len()) && !(nonblock && avail > 0) {
                if avail == 0 || vtime == 0 {
                    return Err(self.console_wait(nonblock, None));
                }
                // The inter-byte timer runs from the read's start or the
                // last byte's arrival, whichever is later.
                let start = self.cur_mut().resume.deadline_or_insert(now + vtime_ns);
                let d = start.max(self.vfs.tty.last_rx_ns + vtime_ns);
                if now < d {
                    return Err(self.console_wait(false, Some(d)));
                }
            }
            self.vfs.tty.read_raw(dst)
        };
        self.cur_mut().resume.clear_deadline();
        // Room was made: input waiting for it comes in now.
        let fx = self.vfs.tty.process_input(now);
        self.tty_apply(fx);
        Ok(n)
    }

    /// write(2) on the console: output processing, SIGTTOU for a
    /// background writer under TOSTOP; while output is stopped the call
    /// waits once the transmit buffer is full (Linux: n_tty_write()).
    pub fn console_write(&mut self, id: FileId, data: &[u8]) -> SysResult {
        if self.vfs.tty.termios.lflag & TOSTOP != 0 {
            self.tty_check_change(SIGTTOU)?;
        }
        let mut out = Vec::new();
        let n = self.vfs.tty.write(data, &mut out);
        if !out.is_empty() {
            self.m.console.write(&out);
        }
        if n == 0 && !data.is_empty() {
            let nonblock = self.vfs.files.get(id).flags & O_NONBLOCK != 0;
            return Err(self.console_wait(nonblock, None));
        }
        Ok(n)
    }

    /// What the console is ready for (Linux: n_tty_poll()).
    pub fn console_poll(&self) -> u16 {
        let mut m = 0;
        if self.vfs.tty.input_available(true) {
            m |= POLLIN | POLLRDNORM;
        }
        if self.vfs.tty.write_ready() {
            m |= POLLOUT | POLLWRNORM;
        }
        m
    }

    /// The last thread of a session leader with the console exited: the
    /// foreground group gets SIGHUP and the session loses the terminal
    /// (Linux: disassociate_ctty(1) from do_exit()).
    pub fn tty_session_leader_exit(&mut self, tgid: Pid) {
        let Some(t) = self.proc.tasks().get(&tgid) else { return };
        let sid = self.sig.signals().get(t.signal).sid;
        if sid != tgid || self.vfs.tty.session != Some(sid) || self.vfs.tty.detached.contains(&tgid) {
            return;
        }
        if let Some(pg) = self.vfs.tty.pgrp {
            self.kill_pgrp_priv(pg, SigInfo::kernel(SIGHUP));
        }
        self.tty_clear_session();
    }

    /// For /proc/<pid>/stat: the controlling terminal of process `tgid`
    /// as `tty_nr` (Linux's new_encode_dev() of the console, 5:1) and
    /// `tpgid` (its foreground group, 0 if none); None without one, which
    /// Linux shows as 0 and -1 (do_task_stat()).
    pub fn ctty_of(&self, tgid: Pid) -> Option<(u32, i32)> {
        let t = self.proc.tasks().get(&tgid)?;
        let sid = self.sig.signals().get(t.signal).sid;
        if self.vfs.tty.session != Some(sid) || self.vfs.tty.detached.contains(&tgid) {
            return None;
        }
        Some((0x501, self.vfs.tty.pgrp.map_or(0, |p| p as i32)))
    }

    fn tty_clear_session(&mut self) {
        self.vfs.tty.session = None;
        self.vfs.tty.pgrp = None;
        self.vfs.tty.detached.clear();
    }

    fn get_user_i32(&mut self, addr: u64) -> SysResult<i32> {
        let mut b = [0u8; 4];
        self.copy_in(addr, &mut b)?;
        Ok(i32::from_le_bytes(b))
    }

    fn put_user_i32(&mut self, addr: u64, v: i32) -> SysResult {
        self.copy_out(addr, &v.to_le_bytes())?;
        Ok(0)
    }

    /// TCSETS and friends (Linux: set_termios()): the W and F forms wait
    /// for output to drain; F also discards input.
    fn tty_set_termios_ioctl(&mut self, arg: u64, size: usize, wait: bool, flush: bool) -> SysResult {
        self.tty_check_change(SIGTTOU)?;
        let mut b = [0u8; 44];
        self.copy_in(arg, &mut b[..size])?;
        let new = self.vfs.tty.termios.updated_from(&b[..size]);
        if (wait || flush) && self.vfs.tty.chars_in_buffer() > 0 {
            return Err(self.block_current(WaitReason::ConsoleInput { until_ns: None }));
        }
        if flush {
            self.vfs.tty.flush_input();
        }
        let mut out = Vec::new();
        self.vfs.tty.set_termios(new, &mut out);
        if !out.is_empty() {
            self.m.console.write(&out);
        }
        // Readers look again: VMIN, VTIME or ICANON may have changed.
        self.wake_console();
        Ok(0)
    }

    /// Linux: tiocsctty(): a session leader without a controlling
    /// terminal takes the console, unless another session has it (root
    /// may steal it with `arg` 1).
    fn tiocsctty(&mut self, id: FileId, arg: u64) -> SysResult {
        let me = self.cur().tgid;
        let (sid, pgid) = (self.cur_signal().sid, self.cur_signal().pgid);
        let leader = sid == me;
        if leader && self.vfs.tty.session == Some(sid) {
            return Ok(0);
        }
        if !leader || self.has_ctty() {
            return Err(EPERM);
        }
        let root = self.cur().cred.capable(crate::proc::capability::CAP_SYS_ADMIN);
        if self.vfs.tty.session.is_some() {
            if arg == 1 && root {
                self.tty_clear_session();
            } else {
                return Err(EPERM);
            }
        }
        if !self.vfs.files.get(id).readable() && !root {
            return Err(EPERM);
        }
        self.vfs.tty.session = Some(sid);
        self.vfs.tty.pgrp = Some(pgid);
        self.vfs.tty.detached.clear();
        Ok(0)
    }

    /// Linux: no_tty(): the caller gives up its controlling terminal; a
    /// session leader takes it from its whole session, and the
    /// foreground group gets SIGHUP and SIGCONT.
    fn tiocnotty(&mut self) -> SysResult {
        if !self.has_ctty() {
            return Err(ENOTTY);
        }
        let me = self.cur().tgid;
        if self.cur_signal().sid == me {
            if let Some(pg) = self.vfs.tty.pgrp {
                let info = |sig| SigInfo {
                    signo: sig,
                    code: SI_USER,
                    pid: me,
                    uid: self.cur().cred.uid,
                    ..Default::default()
                };
                let (hup, cont) = (info(SIGHUP), info(SIGCONT));
                self.kill_pgrp_priv(pg, hup);
                self.kill_pgrp_priv(pg, cont);
            }
            self.tty_clear_session();
        } else {
            let alive: BTreeSet<Pid> =
                self.proc.tasks().values().filter(|t| t.is_leader() && !t.is_zombie()).map(|t| t.tgid).collect();
            self.vfs.tty.detached.retain(|p| alive.contains(p));
            self.vfs.tty.detached.insert(me);
        }
        Ok(0)
    }

    /// The session of process group (or process) `n`: Ok(None) when the
    /// number is in use but names neither (Linux: find_vpid() then
    /// session_of_pgrp()).
    fn session_of_pgrp(&self, n: Pid) -> SysResult<Option<Pid>> {
        let live = |t: &&crate::proc::Task| t.state != TaskState::Dead;
        if let Some(t) = self.proc.pgrps().members(n).filter_map(|p| self.proc.tasks().get(&p)).find(live) {
            return Ok(Some(self.sig.signals().get(t.signal).sid));
        }
        if let Some(t) = self.proc.tasks().get(&n).filter(live) {
            return Ok(Some(self.sig.signals().get(t.signal).sid));
        }
        if n != 0 && self.proc.pids().is_busy(n) {
            return Ok(None);
        }
        Err(ESRCH)
    }

    /// Linux: tiocspgrp(): a process of the terminal's session makes one
    /// of the session's groups the foreground one.
    fn tiocspgrp(&mut self, arg: u64) -> SysResult {
        match self.tty_check_change(SIGTTOU) {
            Err(EIO) => return Err(ENOTTY),
            Err(e) => return Err(e),
            Ok(()) => {}
        }
        let pg = self.get_user_i32(arg)?;
        if pg < 0 {
            return Err(EINVAL);
        }
        let sid = self.cur_signal().sid;
        if !self.has_ctty() || self.vfs.tty.session != Some(sid) {
            return Err(ENOTTY);
        }
        if self.session_of_pgrp(pg as Pid)? != Some(sid) {
            return Err(EPERM);
        }
        self.vfs.tty.pgrp = Some(pg as Pid);
        Ok(0)
    }

    /// Terminal ioctls on a console descriptor (Linux: tty_ioctl(),
    /// tty_jobctrl_ioctl(), n_tty_ioctl(), tty_mode_ioctl()).
    pub fn console_ioctl(&mut self, id: FileId, cmd: u32, arg: u64) -> SysResult {
        if matches!(cmd, TIOCSETD | TIOCSBRK | TIOCCBRK | TCSBRK | TCSBRKP) {
            self.tty_check_change(SIGTTOU)?;
            // Wait until output has been sent.
            if cmd != TIOCCBRK && self.vfs.tty.chars_in_buffer() > 0 {
                return Err(self.block_current(WaitReason::ConsoleInput { until_ns: None }));
            }
        }
        match cmd {
            c if c == TCGETS as u32 => {
                let t = self.vfs.tty.termios.to_user();
                self.copy_out(arg, &t)?;
                Ok(0)
            }
            TCGETS2 => {
                let t = self.vfs.tty.termios.to_user2();
                self.copy_out(arg, &t)?;
                Ok(0)
            }
            TCGETA => {
                let t = self.vfs.tty.termios.to_termio();
                self.copy_out(arg, &t)?;
                Ok(0)
            }
            c if c == TCSETS as u32 => self.tty_set_termios_ioctl(arg, 36, false, false),
            c if c == TCSETSW as u32 => self.tty_set_termios_ioctl(arg, 36, true, false),
            c if c == TCSETSF as u32 => self.tty_set_termios_ioctl(arg, 36, true, true),
            TCSETS2 => self.tty_set_termios_ioctl(arg, 44, false, false),
            TCSETSW2 => self.tty_set_termios_ioctl(arg, 44, true, false),
            TCSETSF2 => self.tty_set_termios_ioctl(arg, 44, true, true),
            TCSETA => self.tty_set_termios_ioctl(arg, 18, false, false),
            TCSETAW => self.tty_set_termios_ioctl(arg, 18, true, false),
            TCSETAF => self.tty_set_termios_ioctl(arg, 18, true, true),
            c if c == TIOCGWINSZ as u32 => {
                let w = self.vfs.tty.winsize;
                self.copy_out(arg, &w)?;
                Ok(0)
            }
            c if c == TIOCSWINSZ as u32 => {
                let mut w = [0u8; 8];
                self.copy_in(arg, &mut w)?;
                if w != self.vfs.tty.winsize {
                    if let Some(pg) = self.vfs.tty.pgrp {
                        self.kill_pgrp_priv(pg, SigInfo::kernel(SIGWINCH));
                    }
                    self.vfs.tty.winsize = w;
                }
                Ok(0)
            }
            c if c == TIOCGPGRP as u32 => {
                if !self.has_ctty() {
                    return Err(ENOTTY);
                }
                let pg = self.vfs.tty.pgrp.unwrap_or(0);
                self.put_user_i32(arg, pg as i32)
            }
            c if c == TIOCSPGRP as u32 => self.tiocspgrp(arg),
            TIOCGSID => {
                if !self.has_ctty() {
                    return Err(ENOTTY);
                }
                let sid = self.vfs.tty.session.ok_or(ENOTTY)?;
                self.put_user_i32(arg, sid as i32)
            }
            TIOCSCTTY => self.tiocsctty(id, arg),
            TIOCNOTTY => self.tiocnotty(),
            TIOCINQ => {
                let n = self.vfs.tty.inq();
                self.put_user_i32(arg, n as i32)
            }
            TIOCOUTQ => {
                let n = self.vfs.tty.chars_in_buffer();
                self.put_user_i32(arg, n as i32)
            }
            TCFLSH => {
                if matches!(arg, TCIFLUSH | TCIOFLUSH) {
                    self.vfs.tty.flush_received();
                }
                self.tty_check_change(SIGTTOU)?;
                match arg {
                    TCIFLUSH => self.vfs.tty.flush_input(),
                    TCOFLUSH => self.vfs.tty.flush_output(),
                    TCIOFLUSH => {
                        self.vfs.tty.flush_input();
                        self.vfs.tty.flush_output();
                    }
                    _ => return Err(EINVAL),
                }
                self.wake_console();
                Ok(0)
            }
            TCXONC => {
                self.tty_check_change(SIGTTOU)?;
                let mut out = Vec::new();
                match arg {
                    TCOOFF => self.vfs.tty.tco_stop(),
                    TCOON => self.vfs.tty.tco_start(&mut out),
                    // Send a STOP or START character to the other end.
                    TCIOFF | TCION => {
                        let c = self.vfs.tty.termios.cc[if arg == TCIOFF { VSTOP } else { VSTART }];
                        if c != 0 {
                            out.push(c);
                        }
                    }
                    _ => return Err(EINVAL),
                }
                if !out.is_empty() {
                    self.m.console.write(&out);
                }
                self.wake_console();
                Ok(0)
            }
            TIOCSTI => {
                let c = self.cur().cred;
                if !c.capable(crate::proc::capability::CAP_SYS_ADMIN) && !self.has_ctty() {
                    return Err(EPERM);
                }
                let mut b = [0u8; 1];
                self.copy_in(arg, &mut b)?;
                self.tty_receive(&b);
                Ok(0)
            }
            TIOCEXCL | TIOCNXCL => {
                self.vfs.tty.excl = cmd == TIOCEXCL;
                Ok(0)
            }
            TIOCGEXCL => {
                let e = self.vfs.tty.excl as i32;
                self.put_user_i32(arg, e)
            }
            TIOCGETD => self.put_user_i32(arg, 0),
            TIOCSETD => match self.get_user_i32(arg)? {
                0 => Ok(0),
                _ => Err(EINVAL),
            },
            TIOCGDEV => {
                // new_encode_dev() of the console, 5:1.
                self.put_user_i32(arg, 0x501)
            }
            TIOCSBRK | TIOCCBRK | TCSBRK | TCSBRKP => Ok(0),
            TIOCGSOFTCAR => {
                let on = self.vfs.tty.termios.cflag & CLOCAL != 0;
                self.put_user_i32(arg, on as i32)
            }
            TIOCSSOFTCAR => {
                let on = self.get_user_i32(arg)? != 0;
                let t = &mut self.vfs.tty.termios;
                t.cflag = (t.cflag & !CLOCAL) | if on { CLOCAL } else { 0 };
                Ok(0)
            }
            _ => Err(ENOTTY),
        }
    }
}
