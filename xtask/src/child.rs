//! Child processes with a deadline: every place where xtask waits for a
//! process that may hang (QEMU, a native test run) goes through [`Child`].
//!
//! A child runs in a process group of its own (unless it must share the
//! terminal), so that killing it also kills what it started (a test's
//! background processes); and it gets SIGKILL if xtask's thread that
//! started it dies (^C on xtask), since it no longer gets the terminal's
//! SIGINT itself.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Command, ExitStatus};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use crate::Result;

/// How often [`Child::wait_or_kill`] looks at the child when no event
/// comes.
const TICK: Duration = Duration::from_millis(10);

pub struct Child {
    pub inner: std::process::Child,
    /// The child leads its own process group.
    group: bool,
    what: String,
}

/// How a wait ended.
#[derive(Debug)]
pub enum Wait<R> {
    /// The child exited by itself.
    Exited(ExitStatus),
    /// The caller's check asked to stop it for this reason; the child (and
    /// its process group) was killed and reaped.
    Killed(R),
}

impl Child {
    /// Spawns `cmd` in a process group of its own, `what` naming it in
    /// errors.
    pub fn spawn(cmd: &mut Command, what: &str) -> Result<Child> {
        Child::spawn_with(cmd, what, true)
    }

    /// Spawns `cmd`; in a new process group when `group` (not for a child
    /// that reads the terminal: a background group would get SIGTTIN).
    pub fn spawn_with(cmd: &mut Command, what: &str, group: bool) -> Result<Child> {
        if group {
            cmd.process_group(0);
        }
        // SAFETY: the closure runs in the forked child before exec, where
        // only async-signal-safe calls are allowed: prctl(2) is one, and
        // it allocates nothing and takes no lock.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let inner = cmd.spawn().map_err(|e| format!("{what}: {e}"))?;
        Ok(Child { inner, group, what: what.to_string() })
    }

    /// Kills the child (its whole process group if it has one) and reaps it.
    pub fn kill(&mut self) {
        self.kill_group();
        let _ = self.inner.kill();
        let _ = self.inner.wait();
    }

    /// Kills what is left of the process group of a child that has
    /// already been reaped (its background processes).
    pub fn kill_group_leftovers(&self) {
        self.kill_group();
    }

    /// SIGKILL to the child's process group, when it has one of its own.
    fn kill_group(&self) {
        if self.group {
            // SAFETY: kill(2) touches no memory of ours. The group is the
            // child's: its leader is our child, so the id is not reused
            // while it is unreaped, and after the reaping (leftovers) at
            // worst no group has that id any more (ESRCH).
            unsafe {
                libc::kill(-(self.inner.id() as libc::pid_t), libc::SIGKILL);
            }
        }
    }

    /// Waits until the child exits, or `check` asks to stop it: `check` is
    /// called with each event from `events` as it arrives and otherwise
    /// every few milliseconds (with `None`); when it returns `Some(reason)`
    /// the child is killed.
    pub fn wait_or_kill<E, R>(
        &mut self,
        events: Option<&Receiver<E>>,
        mut check: impl FnMut(Option<E>) -> Option<R>,
    ) -> Result<Wait<R>> {
        let mut events = events;
        loop {
            if let Some(status) = self.inner.try_wait().map_err(|e| format!("{}: {e}", self.what))? {
                return Ok(Wait::Exited(status));
            }
            let event = match events.map(|rx| rx.recv_timeout(TICK)) {
                Some(Ok(e)) => Some(e),
                Some(Err(RecvTimeoutError::Timeout)) => None,
                Some(Err(RecvTimeoutError::Disconnected)) => {
                    events = None;
                    None
                }
                None => {
                    thread::sleep(TICK);
                    None
                }
            };
            if let Some(reason) = check(event) {
                self.kill();
                return Ok(Wait::Killed(reason));
            }
        }
    }

    /// Waits for at most `timeout` (`None`: no limit): `None` when the
    /// child was killed for taking longer.
    pub fn wait_timeout(&mut self, timeout: Option<Duration>) -> Result<Option<ExitStatus>> {
        let deadline = timeout.map(|t| Instant::now() + t);
        let waited =
            self.wait_or_kill(None::<&Receiver<()>>, |_| deadline.filter(|d| Instant::now() >= *d).map(|_| ()))?;
        Ok(match waited {
            Wait::Exited(s) => Some(s),
            Wait::Killed(()) => None,
        })
    }
}

/// The whole of a reader (a child's pipe), read on a thread of its own.
pub fn read_all(mut from: impl Read + Send + 'static) -> Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut out = Vec::new();
        let _ = from.read_to_end(&mut out);
        let _ = tx.send(out);
    });
    rx
}

/// What [`output_merged`] got.
pub struct Output {
    /// `None`: killed at the time limit.
    pub status: Option<ExitStatus>,
    /// Stdout and stderr, interleaved as written.
    pub out: Vec<u8>,
}

/// Runs `cmd` with stdin /dev/null and stdout and stderr on one pipe, for
/// at most `timeout`, and collects the output. When the pipe is still open
/// 5 s after the child exited (a background process kept it), the rest of
/// its process group is killed and that is an error.
pub fn output_merged(cmd: &mut Command, what: &str, timeout: Option<Duration>) -> Result<Output> {
    let (reader, writer) = std::io::pipe().map_err(|e| e.to_string())?;
    let writer2 = writer.try_clone().map_err(|e| e.to_string())?;
    cmd.stdin(std::process::Stdio::null()).stdout(writer).stderr(writer2);
    let mut child = Child::spawn(cmd, what)?;
    // Close our copies of the pipe's write end.
    cmd.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null());
    let out = read_all(reader);
    let status = child.wait_timeout(timeout)?;
    let out = match out.recv_timeout(Duration::from_secs(5)) {
        Ok(out) => out,
        Err(_) => {
            child.kill_group_leftovers();
            return Err("output pipe still open 5 s after exit (a background process?)".into());
        }
    };
    Ok(Output { status, out })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_and_timeout() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "echo out; echo err >&2; exit 3"]);
        let o = output_merged(&mut cmd, "sh", Some(Duration::from_secs(10))).unwrap();
        assert_eq!(o.status.and_then(|s| s.code()), Some(3));
        assert_eq!(o.out, b"out\nerr\n");

        // The time limit kills the whole group: the pipe closes at once.
        let start = Instant::now();
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "sleep 30 & sleep 30"]);
        let o = output_merged(&mut cmd, "sh", Some(Duration::from_millis(200))).unwrap();
        assert!(o.status.is_none());
        assert!(start.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn wait_or_kill_on_event() {
        let mut child = Child::spawn(Command::new("sleep").arg("30"), "sleep").unwrap();
        let (tx, rx) = mpsc::channel();
        tx.send("stop").unwrap();
        let w = child.wait_or_kill(Some(&rx), |e| e).unwrap();
        assert!(matches!(w, Wait::Killed("stop")));
    }
}
