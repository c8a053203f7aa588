//! The console as a terminal (Linux: drivers/tty/n_tty.c, tty_io.c,
//! tty_jobctrl.c, tty_ioctl.c).
//!
//! Bytes typed on the console arrive through the COM1 interrupt
//! (`Kernel::console_irq`) and go through the line discipline here, as in
//! Linux's N_TTY: input mapping (ICRNL, INLCR, IGNCR, ISTRIP, IUCLC),
//! flow control (IXON: ^S/^Q), signal characters (ISIG: ^C, ^\, ^Z to the
//! foreground process group), canonical line editing (ICANON: erase,
//! word erase, kill, literal next, reprint, EOF and the end-of-line
//! characters) and echo (ECHO, ECHOE, ECHOK, ECHOKE, ECHONL, ECHOCTL,
//! ECHOPRT). Output, including echo, goes through OPOST processing
//! (ONLCR, OCRNL, ONOCR, ONLRET, OLCUC, XTABS) with the column tracking
//! that tab erase needs. Everything here is plain data: [`Tty`] takes
//! bytes and says what to write to the device and which signals to send
//! ([`Effects`]), so the host tests drive it byte by byte.
//!
//! The `impl Kernel` half is the file and job-control side: reads and
//! writes of console descriptors (blocking the Tine way, see
//! `kernel.rs`), the controlling terminal (the session that owns the
//! console and its foreground process group), SIGTTIN/SIGTTOU for
//! background process groups, and the terminal ioctls.
//!
//! There is one terminal, the console. A process has it as controlling
//! terminal when its session is the console's session (Linux keeps a
//! pointer in `signal_struct`; with one terminal the session says it),
//! unless it gave it up with TIOCNOTTY. In tty mode init's session owns
//! the console from boot.

use alloc::collections::{BTreeSet, VecDeque};
use alloc::vec::Vec;

use crate::abi::*;
use crate::proc::Pid;

mod termios;
#[cfg(test)]
mod tests;
mod tty_io;

pub use termios::{Termios, INIT_C_CC};

/// Linux: N_TTY_BUF_SIZE, the line discipline's read buffer.
pub const N_TTY_BUF_SIZE: usize = 4096;
/// Linux: UART_XMIT_SIZE, the serial driver's transmit buffer, where
/// output waits while the terminal is stopped (^S).
pub const XMIT_SIZE: usize = 4096;
/// Linux: WAKEUP_CHARS: poll reports POLLOUT below this much queued output.
const WAKEUP_CHARS: usize = 256;
/// Received bytes not yet taken by the line discipline (Linux: the flip
/// buffer, which holds input while the read buffer is full).
const FLIP_LIMIT: usize = 65536;
/// Linux: ADDRB, a c_cflag bit only rs485 configuration may change.
const ADDRB: u32 = 0o4000000000;

/// Linux's ctype (lib/ctype.c, Latin-1): what counts as a control
/// character, a letter or digit, an upper- or lower-case letter.
fn iscntrl(c: u8) -> bool {
    c < 32 || c == 127 || (128..160).contains(&c)
}

fn isalnum(c: u8) -> bool {
    c.is_ascii_alphanumeric() || (c >= 192 && c != 215 && c != 247)
}

fn tolower(c: u8) -> u8 {
    if c.is_ascii_uppercase() || ((192..=222).contains(&c) && c != 215) {
        c + 32
    } else {
        c
    }
}

fn toupper(c: u8) -> u8 {
    if c.is_ascii_lowercase() || (c >= 223 && c != 247) {
        c - 32
    } else {
        c
    }
}

/// One entry of the echo buffer (Linux: echo bytes and ECHO_OP codes),
/// turned into output when echoes are flushed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum EchoOp {
    /// A byte, through output processing.
    Byte(u8),
    /// A control character shown as `^X`.
    Ctrl(u8),
    /// A literal 0xff.
    Ff,
    /// Remember the column where the line being edited starts.
    SetCanonCol,
    /// A byte echoed without moving the cursor (ECHOPRT multibyte).
    MoveBackCol,
    /// Back over a tab: the columns the text before it takes (mod 8),
    /// 0x80 when counted from a previous tab rather than the line start.
    EraseTab(u8),
}

/// What processing input asks of the kernel: bytes for the device (echo,
/// and output released by ^Q) and signals for the foreground process group.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Effects {
    pub out: Vec<u8>,
    pub signals: Vec<u32>,
}

/// The console's terminal: settings, line discipline state and the
/// controlling-terminal bookkeeping (Linux: `struct tty_struct` with its
/// `n_tty_data`).
pub struct Tty {
    pub termios: Termios,
    /// `struct winsize` (rows, cols, xpixel, ypixel): all zero on a
    /// serial console until someone sets it.
    pub winsize: [u8; 8],
    /// The session this is the controlling terminal of, and its
    /// foreground process group (Linux: `tty->ctrl.session`, `.pgrp`).
    pub session: Option<Pid>,
    pub pgrp: Option<Pid>,
    /// Processes of that session that gave it up with TIOCNOTTY.
    pub detached: BTreeSet<Pid>,
    /// TIOCEXCL.
    pub excl: bool,
    /// The read buffer, and which bytes end a line (Linux: read_buf,
    /// read_flags).
    buf: VecDeque<u8>,
    eol: VecDeque<bool>,
    /// In canonical mode, how many bytes at the front are complete lines.
    canon_head: usize,
    /// Received, not yet processed (no room in `buf`).
    flip: VecDeque<u8>,
    echo: Vec<EchoOp>,
    /// The output column, and where the edited line started.
    column: u32,
    canon_column: u32,
    /// Inside an ECHOPRT `\...` erase.
    erasing: bool,
    /// The previous byte was VLNEXT: take this one literally.
    lnext: bool,
    /// Output stopped by ^S (`stopped`) or TCOOFF (`tco_stopped`).
    stopped: bool,
    tco_stopped: bool,
    /// Output waiting for a ^Q (Linux: the driver's transmit buffer).
    held: Vec<u8>,
    /// When the last byte went into `buf` (VTIME's inter-byte timer).
    pub last_rx_ns: u64,
}

impl Default for Tty {
    fn default() -> Self {
        Self::new()
    }
}

impl Tty {
    pub fn new() -> Self {
        Tty {
            termios: Termios::standard(),
            winsize: [0; 8],
            session: None,
            pgrp: None,
            detached: BTreeSet::new(),
            excl: false,
            buf: VecDeque::new(),
            eol: VecDeque::new(),
            canon_head: 0,
            flip: VecDeque::new(),
            echo: Vec::new(),
            column: 0,
            canon_column: 0,
            erasing: false,
            lnext: false,
            stopped: false,
            tco_stopped: false,
            held: Vec::new(),
            last_rx_ns: 0,
        }
    }

    fn i(&self, f: u32) -> bool {
        self.termios.iflag & f != 0
    }
    fn o(&self, f: u32) -> bool {
        self.termios.oflag & f != 0
    }
    fn l(&self, f: u32) -> bool {
        self.termios.lflag & f != 0
    }

    pub fn icanon(&self) -> bool {
        self.l(ICANON)
    }

    /// VMIN and VTIME (tenths of a second).
    pub fn vmin_vtime(&self) -> (usize, u64) {
        (self.termios.cc[VMIN] as usize, self.termios.cc[VTIME] as u64)
    }

    /// Output stopped (^S or TCOOFF).
    pub fn is_stopped(&self) -> bool {
        self.stopped
    }

    /// Output queued and not yet sent (TIOCOUTQ; Linux: tty_chars_in_buffer()).
    pub fn chars_in_buffer(&self) -> usize {
        self.held.len()
    }

    fn is_continuation(&self, c: u8) -> bool {
        self.i(IUTF8) && c & 0xc0 == 0x80
    }

    // ---------------------------------------------------------------
    // Input (Linux: n_tty_receive_buf_common() and what it calls)

    /// Bytes from the device. They are processed as far as the read
    /// buffer has room; the rest waits for readers to make some.
    pub fn receive(&mut self, data: &[u8], now_ns: u64) -> Effects {
        let room = FLIP_LIMIT.saturating_sub(self.flip.len());
        self.flip.extend(data.iter().take(room));
        self.process_input(now_ns)
    }

    /// Run waiting input through the line discipline (after a read made room).
    pub fn process_input(&mut self, now_ns: u64) -> Effects {
        let mut fx = Effects::default();
        while let Some(&c) = self.flip.front() {
            // One byte of the buffer always stays free, except that an
            // edited line with nothing complete before it may use it, so
            // that erase and newline still work (Linux: the `overflow` case).
            let room = N_TTY_BUF_SIZE as isize - self.buf.len() as isize - 1;
            if room <= 0 {
                if !(self.icanon() && self.canon_head == 0) {
                    break;
                }
                if room < 0 {
                    self.buf.pop_back();
                    self.eol.pop_back();
                }
            }
            self.flip.pop_front();
            self.receive_byte(c, &mut fx);
            self.last_rx_ns = now_ns;
        }
        if self.l(ECHO) || self.l(ECHONL) {
            self.process_echoes(&mut fx.out);
        }
        fx
    }

    fn input_map(&self, mut c: u8) -> u8 {
        if self.i(ISTRIP) {
            c &= 0x7f;
        }
        if self.i(IUCLC) && self.l(IEXTEN) {
            c = tolower(c);
        }
        c
    }

    /// Linux: n_tty_receive_buf_standard(), one byte.
    fn receive_byte(&mut self, c: u8, fx: &mut Effects) {
        if self.lnext {
            self.lnext = false;
            let c = self.input_map(c);
            self.receive_normal(c, fx);
            return;
        }
        let c = self.input_map(c);
        if self.l(EXTPROC) {
            self.put(c);
            return;
        }
        if self.is_special(c) {
            self.receive_special(c, fx);
        } else {
            self.receive_normal(c, fx);
        }
    }

    /// Linux: the `char_map` n_tty_set_termios() builds. NUL (the
    /// disabled character) is never special.
    fn is_special(&self, c: u8) -> bool {
        if c == 0 {
            return false;
        }
        let cc = &self.termios.cc;
        let (canon, iexten) = (self.icanon(), self.l(IEXTEN));
        (c == b'\r' && self.i(IGNCR | ICRNL))
            || (c == b'\n' && self.i(INLCR))
            || (canon && (c == cc[VERASE] || c == cc[VKILL] || c == cc[VEOF] || c == b'\n' || c == cc[VEOL]))
            || (canon
                && iexten
                && (c == cc[VWERASE] || c == cc[VLNEXT] || c == cc[VEOL2] || (self.l(ECHO) && c == cc[VREPRINT])))
            || (self.i(IXON) && (c == cc[VSTART] || c == cc[VSTOP]))
            || (self.l(ISIG) && (c == cc[VINTR] || c == cc[VQUIT] || c == cc[VSUSP]))
    }

    /// IXANY: any byte restarts stopped output.
    fn ixany_restart(&mut self, fx: &mut Effects) {
        if self.stopped && !self.tco_stopped && self.i(IXON) && self.i(IXANY) {
            self.start(&mut fx.out);
        }
    }

    /// Linux: n_tty_receive_char().
    fn receive_normal(&mut self, c: u8, fx: &mut Effects) {
        self.ixany_restart(fx);
        if self.l(ECHO) {
            self.finish_erasing();
            if self.canon_head == self.buf.len() {
                self.echo.push(EchoOp::SetCanonCol);
            }
            self.echo_char(c);
        }
        if c == 0xff && self.i(PARMRK) {
            self.put(c);
        }
        self.put(c);
    }

    /// Linux: n_tty_receive_char_special().
    fn receive_special(&mut self, mut c: u8, fx: &mut Effects) {
        let cc = self.termios.cc;
        if self.i(IXON) && (c == cc[VSTART] || c == cc[VSTOP]) {
            if c == cc[VSTART] {
                self.start(&mut fx.out);
            } else {
                self.stopped = true;
            }
            return;
        }
        if self.l(ISIG) {
            let sig = match c {
                _ if c == cc[VINTR] => Some(SIGINT),
                _ if c == cc[VQUIT] => Some(SIGQUIT),
                _ if c == cc[VSUSP] => Some(SIGTSTP),
                _ => None,
            };
            if let Some(sig) = sig {
                self.receive_signal_char(sig, c, fx);
                return;
            }
        }
        self.ixany_restart(fx);
        if c == b'\r' {
            if self.i(IGNCR) {
                return;
            }
            if self.i(ICRNL) {
                c = b'\n';
            }
        } else if c == b'\n' && self.i(INLCR) {
            c = b'\r';
        }
        if self.icanon() {
            let iexten = self.l(IEXTEN);
            if c == cc[VERASE] || c == cc[VKILL] || (c == cc[VWERASE] && iexten) {
                self.eraser(c);
                return;
            }
            if c == cc[VLNEXT] && iexten {
                self.lnext = true;
                if self.l(ECHO) {
                    self.finish_erasing();
                    if self.l(ECHOCTL) {
                        self.echo.push(EchoOp::Byte(b'^'));
                        self.echo.push(EchoOp::Byte(b'\x08'));
                    }
                }
                return;
            }
            if c == cc[VREPRINT] && self.l(ECHO) && iexten {
                self.finish_erasing();
                self.echo_char(c);
                self.echo_raw(b'\n');
                for i in self.canon_head..self.buf.len() {
                    self.echo_char(self.buf[i]);
                }
                return;
            }
            if c == b'\n' {
                if self.l(ECHO) || self.l(ECHONL) {
                    self.echo_raw(b'\n');
                }
                self.put_line_end(c);
                return;
            }
            if c == cc[VEOF] {
                // The end-of-file mark: a NUL that ends the line and is
                // never handed to the reader.
                self.put_line_end(0);
                return;
            }
            if c == cc[VEOL] || (c == cc[VEOL2] && iexten) {
                if self.l(ECHO) {
                    if self.canon_head == self.buf.len() {
                        self.echo.push(EchoOp::SetCanonCol);
                    }
                    self.echo_char(c);
                }
                if c == 0xff && self.i(PARMRK) {
                    self.put(c);
                }
                self.put_line_end(c);
                return;
            }
        }
        if self.l(ECHO) {
            self.finish_erasing();
            if c == b'\n' {
                self.echo_raw(b'\n');
            } else {
                if self.canon_head == self.buf.len() {
                    self.echo.push(EchoOp::SetCanonCol);
                }
                self.echo_char(c);
            }
        }
        if c == 0xff && self.i(PARMRK) {
            self.put(c);
        }
        self.put(c);
    }

    /// Linux: n_tty_receive_signal_char() and isig(): unless NOFLSH, the
    /// pending input, echo and output are thrown away; the signal goes to
    /// the foreground process group; the character is echoed (`^C`).
    fn receive_signal_char(&mut self, sig: u32, c: u8, fx: &mut Effects) {
        if !self.l(NOFLSH) {
            self.echo.clear();
            self.held.clear();
            self.reset_buffer();
        }
        fx.signals.push(sig);
        if self.i(IXON) {
            self.start(&mut fx.out);
        }
        if self.l(ECHO) {
            self.echo_char(c);
        }
    }

    fn put(&mut self, c: u8) {
        self.buf.push_back(c);
        self.eol.push_back(false);
    }

    /// Linux: the `handle_newline` label: the line is complete.
    fn put_line_end(&mut self, c: u8) {
        self.buf.push_back(c);
        self.eol.push_back(true);
        self.canon_head = self.buf.len();
    }

    fn echo_raw(&mut self, c: u8) {
        self.echo.push(if c == 0xff { EchoOp::Ff } else { EchoOp::Byte(c) });
    }

    /// Linux: echo_char(): control characters as `^X` under ECHOCTL.
    fn echo_char(&mut self, c: u8) {
        if c == 0xff {
            self.echo.push(EchoOp::Ff);
        } else if self.l(ECHOCTL) && iscntrl(c) && c != b'\t' {
            self.echo.push(EchoOp::Ctrl(c));
        } else {
            self.echo.push(EchoOp::Byte(c));
        }
    }

    fn finish_erasing(&mut self) {
        if self.erasing {
            self.echo_raw(b'/');
            self.erasing = false;
        }
    }

    /// Linux: eraser(): VERASE, VWERASE and VKILL in canonical mode.
    fn eraser(&mut self, c: u8) {
        #[derive(PartialEq)]
        enum Kind {
            Erase,
            Werase,
            Kill,
        }
        let cc = self.termios.cc;
        if self.buf.len() == self.canon_head {
            return;
        }
        let kind = if c == cc[VERASE] {
            Kind::Erase
        } else if c == cc[VWERASE] {
            Kind::Werase
        } else {
            if !self.l(ECHO) {
                self.truncate(self.canon_head);
                return;
            }
            if !self.l(ECHOK) || !self.l(ECHOKE) || !self.l(ECHOE) {
                self.truncate(self.canon_head);
                self.finish_erasing();
                self.echo_char(cc[VKILL]);
                if self.l(ECHOK) {
                    self.echo_raw(b'\n');
                }
                return;
            }
            Kind::Kill
        };
        let mut seen_alnums = 0;
        while self.buf.len() != self.canon_head {
            // One character, possibly several bytes under IUTF8.
            let mut head = self.buf.len();
            let mut ch;
            loop {
                head -= 1;
                ch = self.buf[head];
                if !(self.is_continuation(ch) && head != self.canon_head) {
                    break;
                }
            }
            if self.is_continuation(ch) {
                break;
            }
            if kind == Kind::Werase {
                // BSD's ALTWERASE: a word is letters, digits and '_'.
                if isalnum(ch) || ch == b'_' {
                    seen_alnums += 1;
                } else if seen_alnums > 0 {
                    break;
                }
            }
            let removed: Vec<u8> = self.buf.range(head..).copied().collect();
            self.truncate(head);
            if self.l(ECHO) {
                if self.l(ECHOPRT) {
                    if !self.erasing {
                        self.echo_raw(b'\\');
                        self.erasing = true;
                    }
                    self.echo_char(ch);
                    for &b in &removed[1..] {
                        self.echo_raw(b);
                        self.echo.push(EchoOp::MoveBackCol);
                    }
                } else if kind == Kind::Erase && !self.l(ECHOE) {
                    self.echo_char(cc[VERASE]);
                } else if ch == b'\t' {
                    // How far back the tab reached: the columns the text
                    // since the line start or the previous tab takes.
                    let mut num_chars = 0u32;
                    let mut after_tab = false;
                    let mut tail = self.buf.len();
                    while tail != self.canon_head {
                        tail -= 1;
                        let c2 = self.buf[tail];
                        if c2 == b'\t' {
                            after_tab = true;
                            break;
                        } else if iscntrl(c2) {
                            if self.l(ECHOCTL) {
                                num_chars += 2;
                            }
                        } else if !self.is_continuation(c2) {
                            num_chars += 1;
                        }
                    }
                    let n = (num_chars & 7) as u8 | if after_tab { 0x80 } else { 0 };
                    self.echo.push(EchoOp::EraseTab(n));
                } else {
                    // "\b \b" once per column the character took.
                    if iscntrl(ch) && self.l(ECHOCTL) {
                        self.echo.extend([EchoOp::Byte(8), EchoOp::Byte(b' '), EchoOp::Byte(8)]);
                    }
                    if !iscntrl(ch) || self.l(ECHOCTL) {
                        self.echo.extend([EchoOp::Byte(8), EchoOp::Byte(b' '), EchoOp::Byte(8)]);
                    }
                }
            }
            if kind == Kind::Erase {
                break;
            }
        }
        if self.buf.len() == self.canon_head && self.l(ECHO) {
            self.finish_erasing();
        }
    }

    fn truncate(&mut self, len: usize) {
        self.buf.truncate(len);
        self.eol.truncate(len);
    }

    /// Linux: reset_buffer_flags(): forget all input in the read buffer.
    fn reset_buffer(&mut self) {
        self.buf.clear();
        self.eol.clear();
        self.canon_head = 0;
        self.erasing = false;
    }

    // ---------------------------------------------------------------
    // Reading (Linux: n_tty_read())

    /// Whether a read (or, with `poll`, poll) would find something: a
    /// complete line in canonical mode, else a byte (VMIN bytes for poll
    /// when VTIME is 0) (Linux: input_available_p()).
    pub fn input_available(&self, poll: bool) -> bool {
        if self.icanon() {
            return self.canon_head > 0;
        }
        let (vmin, vtime) = self.vmin_vtime();
        let amt = if poll && vtime == 0 && vmin > 0 { vmin } else { 1 };
        self.buf.len() >= amt
    }

    /// Bytes a non-canonical read can take.
    pub fn raw_available(&self) -> usize {
        self.buf.len()
    }

    /// A canonical read: up to one line, its newline included, but not
    /// an end-of-file mark; 0 for an end-of-file at the start of a line
    /// (Linux: canon_copy_from_read_buf()).
    pub fn read_canon(&mut self, dst: &mut [u8]) -> usize {
        if dst.is_empty() {
            return 0;
        }
        let n = dst.len().min(self.canon_head);
        let (copy, consume) = match (0..n).find(|&i| self.eol[i]) {
            Some(e) if self.buf[e] == 0 => (e, e + 1),
            Some(e) => (e + 1, e + 1),
            None => (n, n),
        };
        for (d, s) in dst.iter_mut().zip(self.buf.drain(..consume)) {
            *d = s;
        }
        self.eol.drain(..consume);
        self.canon_head -= consume;
        copy
    }

    /// A non-canonical read: whatever is there, up to `dst.len()`.
    pub fn read_raw(&mut self, dst: &mut [u8]) -> usize {
        let n = dst.len().min(self.buf.len());
        for (d, s) in dst.iter_mut().zip(self.buf.drain(..n)) {
            *d = s;
        }
        self.eol.drain(..n);
        self.canon_head = self.canon_head.saturating_sub(n);
        n
    }

    /// FIONREAD: in canonical mode the bytes of complete lines, without
    /// end-of-file marks (Linux: inq_canon()); else all of them.
    pub fn inq(&self) -> usize {
        if !self.icanon() {
            return self.buf.len();
        }
        (0..self.canon_head).filter(|&i| !(self.eol[i] && self.buf[i] == 0)).count()
    }

    /// TCIFLUSH: the line discipline's input (Linux: n_tty_flush_buffer()).
    pub fn flush_input(&mut self) {
        self.reset_buffer();
    }

    /// TCIFLUSH also drops what the driver had not handed over yet.
    pub fn flush_received(&mut self) {
        self.flip.clear();
    }

    /// TCOFLUSH: output not sent yet (Linux: tty_driver_flush_buffer()).
    pub fn flush_output(&mut self) {
        self.held.clear();
    }

    // ---------------------------------------------------------------
    // Output

    /// Linux: do_output_char(): one byte under OPOST, if `space` bytes
    /// are enough; returns how many it took.
    fn output_char(&mut self, c: u8, space: usize, out: &mut Vec<u8>) -> Option<usize> {
        if space == 0 {
            return None;
        }
        let mut c = c;
        match c {
            b'\n' => {
                if self.o(ONLRET) {
                    self.column = 0;
                }
                if self.o(ONLCR) {
                    if space < 2 {
                        return None;
                    }
                    self.canon_column = 0;
                    self.column = 0;
                    out.extend_from_slice(b"\r\n");
                    return Some(2);
                }
                self.canon_column = self.column;
            }
            b'\r' => {
                if self.o(ONOCR) && self.column == 0 {
                    return Some(0);
                }
                if self.o(OCRNL) {
                    c = b'\n';
                    if self.o(ONLRET) {
                        self.canon_column = 0;
                        self.column = 0;
                    }
                } else {
                    self.canon_column = 0;
                    self.column = 0;
                }
            }
            b'\t' => {
                let spaces = 8 - (self.column & 7);
                if self.termios.oflag & TABDLY == XTABS {
                    if space < spaces as usize {
                        return None;
                    }
                    self.column += spaces;
                    out.extend(core::iter::repeat_n(b' ', spaces as usize));
                    return Some(spaces as usize);
                }
                self.column += spaces;
            }
            8 => {
                self.column = self.column.saturating_sub(1);
            }
            _ => {
                if !iscntrl(c) {
                    if self.o(OLCUC) {
                        c = toupper(c);
                    }
                    if !self.is_continuation(c) {
                        self.column += 1;
                    }
                }
            }
        }
        out.push(c);
        Some(1)
    }

    /// Linux: __process_echoes(): the echo buffer becomes output.
    fn process_echoes(&mut self, out: &mut Vec<u8>) {
        if self.echo.is_empty() {
            return;
        }
        let ops = core::mem::take(&mut self.echo);
        let mut o = Vec::new();
        for op in ops {
            match op {
                EchoOp::Byte(c) => {
                    if self.o(OPOST) {
                        self.output_char(c, usize::MAX, &mut o);
                    } else {
                        o.push(c);
                    }
                }
                EchoOp::Ctrl(c) => {
                    o.extend_from_slice(&[b'^', c ^ 0o100]);
                    self.column += 2;
                }
                EchoOp::Ff => {
                    o.push(0xff);
                    self.column += 1;
                }
                EchoOp::SetCanonCol => self.canon_column = self.column,
                EchoOp::MoveBackCol => self.column = self.column.saturating_sub(1),
                EchoOp::EraseTab(n) => {
                    let mut num = n as u32;
                    if n & 0x80 == 0 {
                        num += self.canon_column;
                    }
                    let back = 8 - (num & 7);
                    o.extend(core::iter::repeat_n(8u8, back as usize));
                    self.column = self.column.saturating_sub(back);
                }
            }
        }
        self.emit(o, out);
    }

    /// Output for the device, or held while output is stopped.
    fn emit(&mut self, o: Vec<u8>, out: &mut Vec<u8>) {
        if self.stopped {
            self.held.extend(o);
        } else {
            out.extend(o);
        }
    }

    /// A write to the terminal: output processing under OPOST. While
    /// output is stopped only what fits in the transmit buffer is taken;
    /// returns how many bytes of `data` were (Linux: n_tty_write()).
    pub fn write(&mut self, data: &[u8], out: &mut Vec<u8>) -> usize {
        self.process_echoes(out);
        let mut space = if self.stopped { XMIT_SIZE.saturating_sub(self.held.len()) } else { usize::MAX };
        let mut o = Vec::with_capacity(data.len());
        let mut n = 0;
        if self.o(OPOST) {
            for &c in data {
                match self.output_char(c, space, &mut o) {
                    Some(used) => {
                        space -= used;
                        n += 1;
                    }
                    None => break,
                }
            }
        } else {
            n = data.len().min(space);
            o.extend_from_slice(&data[..n]);
        }
        self.emit(o, out);
        n
    }

    /// Whether POLLOUT holds (Linux: n_tty_poll()'s write test).
    pub fn write_ready(&self) -> bool {
        self.held.len() < WAKEUP_CHARS
    }

    /// Linux: __start_tty(): output flows again, held output goes out.
    fn start(&mut self, out: &mut Vec<u8>) {
        if !self.stopped || self.tco_stopped {
            return;
        }
        self.stopped = false;
        out.append(&mut self.held);
        self.process_echoes(out);
    }

    /// TCXONC TCOOFF / TCOON.
    pub fn tco_stop(&mut self) {
        if !self.tco_stopped {
            self.tco_stopped = true;
            self.stopped = true;
        }
    }

    pub fn tco_start(&mut self, out: &mut Vec<u8>) {
        if self.tco_stopped {
            self.tco_stopped = false;
            self.start(out);
        }
    }

    /// New settings (Linux: tty_set_termios() → n_tty_set_termios()).
    /// Switching canonical mode on turns pending input into one line;
    /// switching it off makes all of it readable. Turning IXON off
    /// restarts stopped output.
    pub fn set_termios(&mut self, new: Termios, out: &mut Vec<u8>) {
        let old = self.termios;
        let mut t = new;
        t.cflag ^= (t.cflag ^ old.cflag) & ADDRB;
        self.termios = t;
        if (old.lflag ^ t.lflag) & (ICANON | EXTPROC) != 0 {
            self.eol.iter_mut().for_each(|f| *f = false);
            if !self.icanon() || self.buf.is_empty() {
                self.canon_head = 0;
            } else {
                *self.eol.back_mut().expect("input") = true;
                self.canon_head = self.buf.len();
            }
            self.erasing = false;
            self.lnext = false;
        }
        if !self.i(IXON) && old.iflag & IXON != 0 && !self.tco_stopped {
            self.start(out);
        }
    }
}
