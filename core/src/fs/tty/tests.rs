//! The console terminal: the line discipline fed byte by byte (what a
//! read returns, what is echoed, which signals go out), then the kernel
//! side through `Kernel::syscall` on simulated hardware: blocking reads,
//! poll and select, job control, the controlling terminal, ioctls.
//! Expected results are Linux's (drivers/tty/n_tty.c, tty_jobctrl.c).

use alloc::vec;
use alloc::vec::Vec;

use super::*;
use crate::kernel::Kernel;
use crate::proc::{Pid, TaskState, WaitReason};
use crate::testkit::*;

const FRAMES: usize = 2048;

fn typed(t: &mut Tty, s: &[u8]) -> Effects {
    t.receive(s, 0)
}

/// Each byte as its own interrupt, as when typed by hand: (echo, signals).
fn typed_slowly(t: &mut Tty, s: &[u8]) -> (Vec<u8>, Vec<u32>) {
    let mut out = Vec::new();
    let mut sigs = Vec::new();
    for &b in s {
        let fx = t.receive(&[b], 0);
        out.extend(fx.out);
        sigs.extend(fx.signals);
    }
    (out, sigs)
}

fn read_line(t: &mut Tty, max: usize) -> Vec<u8> {
    let mut b = vec![0u8; max];
    let n = t.read_canon(&mut b);
    b.truncate(n);
    b
}

fn written(t: &mut Tty, s: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    assert_eq!(t.write(s, &mut out), s.len());
    out
}

#[test]
fn defaults_are_linux_tty_std_termios() {
    let t = Termios::standard().to_user();
    assert_eq!(u32::from_le_bytes(t[0..4].try_into().unwrap()), 0o2400, "icrnl ixon");
    assert_eq!(u32::from_le_bytes(t[4..8].try_into().unwrap()), 0o5, "opost onlcr");
    assert_eq!(u32::from_le_bytes(t[8..12].try_into().unwrap()), 0o2277, "b38400 cs8 cread hupcl");
    assert_eq!(
        u32::from_le_bytes(t[12..16].try_into().unwrap()),
        0o105073,
        "isig icanon echo echoe echok echoctl echoke iexten"
    );
    assert_eq!(t[16], 0, "N_TTY");
    assert_eq!(&t[17..36], &[3, 28, 127, 21, 4, 0, 1, 0, 17, 19, 26, 0, 18, 15, 23, 22, 0, 0, 0]);
    assert_eq!(Termios::standard().to_user2()[36..44], [0x00, 0x96, 0, 0, 0x00, 0x96, 0, 0], "38400 both ways");
}

#[test]
fn tcsets_speeds_come_from_the_baud_bits() {
    let mut t = Termios::standard();
    t.cflag = (t.cflag & !CBAUD) | 0o010002; // B115200
    let u = Termios::standard().updated_from(&t.to_user());
    assert_eq!((u.ispeed, u.ospeed), (115200, 115200));
    // termio (TCSETA) changes only the low 16 bits of each flag word.
    let mut tio = Termios::standard().to_termio();
    tio[6..8].copy_from_slice(&(ECHO as u16).to_le_bytes());
    let u = Termios::standard().updated_from(&tio);
    assert_eq!(u.lflag, ECHO);
    assert_eq!(u.cc, INIT_C_CC);
}

#[test]
fn canonical_line_with_echo_and_icrnl() {
    let mut t = Tty::new();
    let fx = typed(&mut t, b"abc");
    assert_eq!(fx.out, b"abc");
    assert!(!t.input_available(false), "no line yet");
    let fx = typed(&mut t, b"\r");
    assert_eq!(fx.out, b"\r\n", "Enter echoes as CR LF (ICRNL, then ONLCR)");
    assert!(t.input_available(false));
    assert_eq!(t.inq(), 4);
    assert_eq!(read_line(&mut t, 100), b"abc\n");
    assert!(!t.input_available(false));
}

#[test]
fn a_read_takes_one_line_at_a_time_and_short_buffers_split_it() {
    let mut t = Tty::new();
    typed(&mut t, b"one\rtwo\r");
    assert_eq!(read_line(&mut t, 100), b"one\n");
    assert_eq!(read_line(&mut t, 2), b"tw");
    assert_eq!(read_line(&mut t, 2), b"o\n");
    assert_eq!(read_line(&mut t, 2), b"");
}

#[test]
fn erase_kill_and_word_erase() {
    let mut t = Tty::new();
    // ^? erases one character: "\b \b".
    assert_eq!(typed(&mut t, b"abx\x7fc").out, b"abx\x08 \x08c");
    // ^W erases a word (letters, digits, '_') and the blanks after it.
    assert_eq!(
        typed(&mut t, b" foo_1  \x17").out,
        b" foo_1  \x08 \x08\x08 \x08\x08 \x08\x08 \x08\x08 \x08\x08 \x08\x08 \x08"
    );
    // ^U erases the line, one "\b \b" per character under ECHOKE.
    assert_eq!(typed(&mut t, b"\x15").out, b"\x08 \x08\x08 \x08\x08 \x08\x08 \x08");
    typed(&mut t, b"ok\r");
    assert_eq!(read_line(&mut t, 100), b"ok\n");
    // Erase at the start of a line does nothing.
    assert_eq!(typed(&mut t, b"\x7f\x15\x17").out, b"");
    // Control characters took two columns (^X): erased twice.
    assert_eq!(typed(&mut t, b"\x01\x7f").out, b"^A\x08 \x08\x08 \x08");
    // ^H is not the erase character by default: it is kept, shown as ^H.
    assert_eq!(typed(&mut t, b"a\x08\r").out, b"a^H\r\n");
    assert_eq!(read_line(&mut t, 100), b"a\x08\n");
    // ... unless made so (stty erase ^H).
    t.termios.cc[VERASE] = 8;
    assert_eq!(typed(&mut t, b"ab\x08\r").out, b"ab\x08 \x08\r\n");
    assert_eq!(read_line(&mut t, 100), b"a\n");
}

#[test]
fn kill_without_echoke_echoes_the_character_and_a_newline() {
    let mut t = Tty::new();
    t.termios.lflag &= !ECHOKE;
    assert_eq!(typed(&mut t, b"abc\x15").out, b"abc^U\r\n");
    typed(&mut t, b"d\r");
    assert_eq!(read_line(&mut t, 100), b"d\n");
    // Without ECHOE, erase echoes the erase character itself.
    t.termios.lflag &= !ECHOE;
    assert_eq!(typed(&mut t, b"xy\x7f").out, b"xy^?");
}

#[test]
fn echoprt_shows_erased_characters_between_backslash_and_slash() {
    let mut t = Tty::new();
    t.termios.lflag |= ECHOPRT;
    assert_eq!(typed(&mut t, b"abc\x7f\x7fd\r").out, b"abc\\cb/d\r\n");
    assert_eq!(read_line(&mut t, 100), b"ad\n");
}

#[test]
fn erasing_a_tab_goes_back_to_where_it_started() {
    let mut t = Tty::new();
    // A prompt left the cursor in column 5; the tab went to column 8.
    written(&mut t, b"12345");
    assert_eq!(typed(&mut t, b"\t").out, b"\t");
    assert_eq!(typed(&mut t, b"\x7f").out, b"\x08\x08\x08");
    // The line went on from column 5: "ab" took it to 7, the tab to 8.
    assert_eq!(typed(&mut t, b"ab\t\x7f").out, b"ab\t\x08");
    // From column 0: back 6 columns.
    let mut t = Tty::new();
    assert_eq!(typed(&mut t, b"ab\t\x7f").out, b"ab\t\x08\x08\x08\x08\x08\x08");
}

#[test]
fn eof_ends_a_line_without_a_newline_and_alone_reads_as_zero() {
    let mut t = Tty::new();
    assert_eq!(typed(&mut t, b"ab\x04").out, b"ab", "^D is not echoed");
    assert_eq!(t.inq(), 2, "the EOF mark does not count");
    assert_eq!(read_line(&mut t, 100), b"ab");
    typed(&mut t, b"\x04");
    assert!(t.input_available(false));
    assert_eq!(read_line(&mut t, 100), b"", "end of file");
    // A line ended by EOF, read in pieces: the mark is a read of its own.
    typed(&mut t, b"xy\x04");
    assert_eq!(read_line(&mut t, 2), b"xy");
    assert!(t.input_available(false));
    assert_eq!(read_line(&mut t, 2), b"");
}

#[test]
fn eol_characters_end_lines_too() {
    let mut t = Tty::new();
    t.termios.cc[VEOL] = b';';
    t.termios.cc[VEOL2] = b'|';
    assert_eq!(typed(&mut t, b"a;b|").out, b"a;b|");
    assert_eq!(read_line(&mut t, 100), b"a;");
    assert_eq!(read_line(&mut t, 100), b"b|");
}

#[test]
fn lnext_quotes_the_next_character() {
    let mut t = Tty::new();
    let fx = typed(&mut t, b"\x16\x03\x16\x7f\r");
    assert!(fx.signals.is_empty(), "a quoted ^C is data");
    assert_eq!(fx.out, b"^\x08^C^\x08^?\r\n");
    assert_eq!(read_line(&mut t, 100), b"\x03\x7f\n");
}

#[test]
fn reprint_redraws_the_line() {
    let mut t = Tty::new();
    assert_eq!(typed(&mut t, b"ab\x12").out, b"ab^R\r\nab");
}

#[test]
fn signal_characters_flush_and_echo() {
    let mut t = Tty::new();
    let (out, sigs) = typed_slowly(&mut t, b"ab\x03");
    assert_eq!(out, b"ab^C");
    assert_eq!(sigs, [SIGINT]);
    assert!(!t.input_available(false));
    assert_eq!(t.inq(), 0);
    typed(&mut t, b"\r");
    assert_eq!(read_line(&mut t, 100), b"\n", "the typed text was flushed");
    // Arriving in one piece, the echo of what came before is flushed too.
    let fx = typed(&mut t, b"xyz\x1c");
    assert_eq!((fx.out, fx.signals), (b"^\\".to_vec(), vec![SIGQUIT]));
    let fx = typed(&mut t, b"\x1a");
    assert_eq!((fx.out, fx.signals), (b"^Z".to_vec(), vec![SIGTSTP]));
    // NOFLSH keeps the input.
    t.termios.lflag |= NOFLSH;
    typed(&mut t, b"keep\x03\r");
    assert_eq!(read_line(&mut t, 100), b"keep\n");
    // Without ISIG they are ordinary characters.
    t.termios.lflag &= !ISIG;
    let fx = typed(&mut t, b"\x03\r");
    assert!(fx.signals.is_empty());
    assert_eq!(read_line(&mut t, 100), b"\x03\n");
    // Without ECHO nothing is echoed, the signal still goes.
    t.termios.lflag |= ISIG;
    t.termios.lflag &= !ECHO;
    let fx = typed(&mut t, b"\x03");
    assert_eq!((fx.out, fx.signals), (Vec::new(), vec![SIGINT]));
}

#[test]
fn echo_flags() {
    let mut t = Tty::new();
    assert_eq!(typed(&mut t, b"\x01\x1b\t").out, b"^A^[\t", "ECHOCTL");
    t.termios.lflag &= !ECHOCTL;
    assert_eq!(typed(&mut t, b"\x01").out, b"\x01");
    t.termios.lflag &= !ECHO;
    assert_eq!(typed(&mut t, b"secret").out, b"");
    assert_eq!(typed(&mut t, b"\r").out, b"");
    t.termios.lflag |= ECHONL;
    assert_eq!(typed(&mut t, b"pw\r").out, b"\r\n", "ECHONL echoes only the newline");
}

#[test]
fn input_mapping() {
    let mut t = Tty::new();
    t.termios.iflag = INLCR;
    typed(&mut t, b"a\nb\r");
    assert!(!t.input_available(false), "NL became CR, and CR is no line end");
    t.termios.iflag = IGNCR;
    typed(&mut t, b"\r\n");
    assert_eq!(read_line(&mut t, 100), b"a\rb\r\n");
    t.termios.iflag = ISTRIP | ICRNL;
    typed(&mut t, b"\xc1\r");
    assert_eq!(read_line(&mut t, 100), b"A\n");
    t.termios.iflag = IUCLC | ICRNL;
    typed(&mut t, b"HeLLo\r");
    assert_eq!(read_line(&mut t, 100), b"hello\n");
}

#[test]
fn iutf8_erase_removes_a_whole_character() {
    let mut t = Tty::new();
    t.termios.iflag |= IUTF8;
    assert_eq!(typed(&mut t, "aé\x7f".as_bytes()).out, "aé\x08 \x08".as_bytes());
    typed(&mut t, b"\r");
    assert_eq!(read_line(&mut t, 100), b"a\n");
}

#[test]
fn noncanonical_reads_bytes_as_they_come() {
    let mut t = Tty::new();
    t.termios.lflag &= !(ICANON | ECHO);
    typed(&mut t, b"a\rb");
    assert!(t.input_available(false));
    assert_eq!(t.raw_available(), 3);
    assert_eq!(t.inq(), 3);
    let mut b = [0u8; 2];
    assert_eq!(t.read_raw(&mut b), 2);
    assert_eq!(&b, b"a\n", "ICRNL still maps");
    // poll waits for VMIN bytes when VTIME is 0.
    t.termios.cc[VMIN] = 3;
    assert!(t.input_available(false));
    assert!(!t.input_available(true));
    typed(&mut t, b"cd");
    assert!(t.input_available(true));
    // Erase and EOF characters are data here.
    typed(&mut t, b"\x7f\x04");
    assert_eq!(t.raw_available(), 5);
}

#[test]
fn switching_canonical_mode_keeps_pending_input() {
    let mut t = Tty::new();
    typed(&mut t, b"ab");
    let mut raw = t.termios;
    raw.lflag &= !ICANON;
    let mut out = Vec::new();
    t.set_termios(raw, &mut out);
    assert_eq!(t.raw_available(), 2, "the unfinished line becomes readable");
    typed(&mut t, b"c");
    t.set_termios(Termios::standard(), &mut out);
    assert!(t.input_available(false), "pending input becomes a line");
    assert_eq!(read_line(&mut t, 100), b"abc");
}

#[test]
fn a_full_buffer_keeps_the_line_editable_and_holds_raw_input() {
    let mut t = Tty::new();
    t.termios.lflag &= !ECHO;
    typed(&mut t, &[b'x'; 5000]);
    typed(&mut t, b"\r");
    let line = read_line(&mut t, 8192);
    assert_eq!(line.len(), N_TTY_BUF_SIZE);
    assert_eq!(line.last(), Some(&b'\n'));
    // Non-canonical: what does not fit waits, and comes in as room is made.
    t.termios.lflag &= !ICANON;
    typed(&mut t, &[b'y'; 5000]);
    assert_eq!(t.raw_available(), N_TTY_BUF_SIZE - 1);
    let mut b = vec![0u8; 8192];
    assert_eq!(t.read_raw(&mut b), N_TTY_BUF_SIZE - 1);
    t.process_input(0);
    assert_eq!(t.raw_available(), 5000 - (N_TTY_BUF_SIZE - 1));
}

#[test]
fn output_processing() {
    let mut t = Tty::new();
    assert_eq!(written(&mut t, b"a\nb\tc\r\n"), b"a\r\nb\tc\r\r\n");
    t.termios.oflag |= XTABS;
    assert_eq!(written(&mut t, b"b\t|"), b"b       |");
    t.termios.oflag = OPOST | OCRNL;
    assert_eq!(written(&mut t, b"x\ry"), b"x\ny");
    // Without ONLCR or ONLRET a newline keeps the column.
    t.termios.oflag = OPOST | ONOCR;
    assert_eq!(written(&mut t, b"\r"), b"\r");
    assert_eq!(written(&mut t, b"\rz\n\r"), b"z\n\r", "no CR in column 0");
    t.termios.oflag = OPOST | OLCUC;
    assert_eq!(written(&mut t, b"shout\n"), b"SHOUT\n");
    t.termios.oflag = 0;
    assert_eq!(written(&mut t, b"raw\n"), b"raw\n");
}

#[test]
fn ixon_stops_and_starts_output() {
    let mut t = Tty::new();
    let fx = typed(&mut t, b"\x13");
    assert_eq!(fx.out, b"", "^S is not echoed nor queued");
    assert!(t.is_stopped());
    let mut out = Vec::new();
    assert_eq!(t.write(b"held\n", &mut out), 5);
    assert!(out.is_empty());
    assert_eq!(t.chars_in_buffer(), 6);
    // Echo waits too.
    assert_eq!(typed(&mut t, b"e").out, b"");
    assert!(!t.write_ready() || t.chars_in_buffer() < 256);
    // Once the transmit buffer is full, writes take nothing more.
    let big = vec![b'.'; XMIT_SIZE];
    assert_eq!(t.write(&big, &mut out), XMIT_SIZE - 7);
    assert_eq!(t.write(b"more", &mut out), 0);
    assert!(!t.write_ready());
    let fx = typed(&mut t, b"\x11");
    assert_eq!(fx.out.len(), XMIT_SIZE);
    assert!(fx.out.starts_with(b"held\r\ne."));
    assert!(!t.is_stopped());
    assert_eq!(t.raw_available(), 1, "the 'e' is input");
    // IXANY: any character restarts output.
    t.termios.iflag |= IXANY;
    typed(&mut t, b"\x13");
    t.write(b"x", &mut out);
    assert_eq!(typed(&mut t, b"k").out, b"xk");
    // Turning IXON off restarts it as well.
    typed(&mut t, b"\x13");
    t.write(b"y", &mut out);
    let mut no_ixon = t.termios;
    no_ixon.iflag &= !IXON;
    let mut o = Vec::new();
    t.set_termios(no_ixon, &mut o);
    assert_eq!(o, b"y");
}

// ---------------------------------------------------------------------------
// The kernel side

/// Type `s` on the console: the bytes arrive and the interrupt runs.
fn type_in(k: &mut Kernel, hw: &TestMachine, s: &[u8]) {
    hw.console.push_input(s);
    k.console_irq();
}

fn ioctl(k: &mut Kernel, pid: Pid, fd: i32, req: u32, arg: u64) -> i64 {
    syscall(k, pid, nr::IOCTL, &[fd as u64, req as u64, arg])
}

/// An ioctl whose argument is an int, passed in `pid`'s scratch page.
fn ioctl_int(k: &mut Kernel, pid: Pid, fd: i32, req: u32, v: i32) -> (i64, i32) {
    let s = scratch(k, pid) + 512;
    write_user(k, pid, s, &v.to_le_bytes()).unwrap();
    let r = ioctl(k, pid, fd, req, s);
    (r, read_u32(k, pid, s).unwrap() as i32)
}

fn tcgetpgrp(k: &mut Kernel, pid: Pid) -> i64 {
    let (r, v) = ioctl_int(k, pid, 0, TIOCGPGRP as u32, -1);
    if r < 0 {
        r
    } else {
        v as i64
    }
}

fn tcsetpgrp(k: &mut Kernel, pid: Pid, pg: Pid) -> i64 {
    ioctl_int(k, pid, 0, TIOCSPGRP as u32, pg as i32).0
}

fn tcsetattr(k: &mut Kernel, pid: Pid, t: &Termios) -> i64 {
    let s = scratch(k, pid) + 256;
    write_user(k, pid, s, &t.to_user()).unwrap();
    ioctl(k, pid, 0, TCSETS as u32, s)
}

/// rt_sigaction(sig, {handler}, NULL, 8).
fn set_handler(k: &mut Kernel, pid: Pid, sig: u32, handler: u64) -> i64 {
    let s = scratch(k, pid) + 128;
    let mut act = [0u8; 32];
    act[..8].copy_from_slice(&handler.to_le_bytes());
    write_user(k, pid, s, &act).unwrap();
    syscall(k, pid, nr::RT_SIGACTION, &[sig as u64, s, 0, 8])
}

/// rt_sigprocmask(SIG_BLOCK, {sig}, NULL, 8).
fn block_signal(k: &mut Kernel, pid: Pid, sig: u32) -> i64 {
    let s = scratch(k, pid) + 192;
    write_user(k, pid, s, &(1u64 << (sig - 1)).to_le_bytes()).unwrap();
    syscall(k, pid, nr::RT_SIGPROCMASK, &[0, s, 0, 8])
}

fn pending(k: &Kernel, pid: Pid) -> u64 {
    k.sig.signals().get(k.proc.tasks()[&pid].signal).shared_pending.bits()
}

fn bit(sig: u32) -> u64 {
    1 << (sig - 1)
}

/// read(fd, scratch, len) as `pid`: the result and the bytes.
fn try_read(k: &mut Kernel, pid: Pid, fd: i32, len: u64) -> Result<(i64, Vec<u8>), Blocked> {
    let s = scratch(k, pid) + 1024;
    let r = try_syscall(k, pid, nr::READ, &[fd as u64, s, len])?;
    let data = if r > 0 { read_user(k, pid, s, r as usize).unwrap() } else { Vec::new() };
    Ok((r, data))
}

fn resume_read(k: &mut Kernel, pid: Pid) -> Result<(i64, Vec<u8>), Blocked> {
    let r = resume(k, pid)?;
    let s = scratch(k, pid) + 1024;
    let data = if r > 0 { read_user(k, pid, s, r as usize).unwrap() } else { Vec::new() };
    Ok((r, data))
}

#[test]
fn a_console_read_sleeps_until_a_line_is_typed() {
    let (mut k, hw) = boot(FRAMES);
    assert_eq!(try_read(&mut k, 1, 0, 100), Err(Blocked));
    assert_eq!(state(&k, 1), Some(TaskState::Blocked(WaitReason::ConsoleInput { until_ns: None })));
    type_in(&mut k, &hw, b"hi");
    assert_eq!(state(&k, 1), Some(TaskState::Runnable), "woken by the input");
    assert_eq!(resume_read(&mut k, 1), Err(Blocked), "no line yet");
    type_in(&mut k, &hw, b"\r");
    assert_eq!(resume_read(&mut k, 1), Ok((3, b"hi\n".to_vec())));
    assert_eq!(hw.console.output(), b"hi\r\n", "echoed");
    // O_NONBLOCK: EAGAIN instead of sleeping.
    let fl = syscall(&mut k, 1, nr::FCNTL, &[0, 3, 0]);
    assert!(fl >= 0);
    assert_eq!(syscall(&mut k, 1, nr::FCNTL, &[0, 4, (fl as u64) | O_NONBLOCK as u64]), 0);
    assert_eq!(try_read(&mut k, 1, 0, 100), Ok((err(EAGAIN), vec![])));
    // FIONREAD counts what a read would get.
    type_in(&mut k, &hw, b"four\r");
    assert_eq!(ioctl_int(&mut k, 1, 0, FIONREAD, 0), (0, 5));
    assert_eq!(try_read(&mut k, 1, 0, 100), Ok((5, b"four\n".to_vec())));
}

#[test]
fn raw_reads_follow_vmin_and_vtime() {
    let (mut k, hw) = boot(FRAMES);
    let mut t = Termios::standard();
    t.lflag &= !(ICANON | ECHO);
    // VMIN 0, VTIME 0: whatever is there, at once.
    t.cc[VMIN] = 0;
    t.cc[VTIME] = 0;
    assert_eq!(tcsetattr(&mut k, 1, &t), 0);
    assert_eq!(try_read(&mut k, 1, 0, 10), Ok((0, vec![])));
    type_in(&mut k, &hw, b"ab");
    assert_eq!(try_read(&mut k, 1, 0, 10), Ok((2, b"ab".to_vec())));
    // VMIN 2, VTIME 0: sleeps until two bytes are there.
    t.cc[VMIN] = 2;
    assert_eq!(tcsetattr(&mut k, 1, &t), 0);
    assert_eq!(try_read(&mut k, 1, 0, 10), Err(Blocked));
    type_in(&mut k, &hw, b"x");
    assert_eq!(resume_read(&mut k, 1), Err(Blocked));
    type_in(&mut k, &hw, b"yz");
    assert_eq!(resume_read(&mut k, 1), Ok((3, b"xyz".to_vec())));
    // A buffer smaller than VMIN is filled.
    type_in(&mut k, &hw, b"q");
    assert_eq!(try_read(&mut k, 1, 0, 1), Ok((1, b"q".to_vec())));
    // VMIN 0, VTIME 2: one byte, or nothing after 0.2 s.
    t.cc[VMIN] = 0;
    t.cc[VTIME] = 2;
    assert_eq!(tcsetattr(&mut k, 1, &t), 0);
    assert_eq!(try_read(&mut k, 1, 0, 10), Err(Blocked));
    hw.clock.advance(150_000_000);
    k.timer_tick();
    assert_eq!(
        state(&k, 1),
        Some(TaskState::Blocked(WaitReason::ConsoleInput { until_ns: Some(1_000_000 + 200_000_000) }))
    );
    hw.clock.advance(50_000_000);
    k.timer_tick();
    assert_eq!(resume_read(&mut k, 1), Ok((0, vec![])), "timed out");
    assert_eq!(k.proc.tasks()[&1].resume.deadline(), None);
    // VMIN 3, VTIME 1: the timer starts with the first byte.
    t.cc[VMIN] = 3;
    t.cc[VTIME] = 1;
    assert_eq!(tcsetattr(&mut k, 1, &t), 0);
    assert_eq!(try_read(&mut k, 1, 0, 10), Err(Blocked));
    hw.clock.advance(500_000_000);
    k.timer_tick();
    assert!(matches!(state(&k, 1), Some(TaskState::Blocked(_))), "no timer before a byte");
    type_in(&mut k, &hw, b"m");
    assert_eq!(resume_read(&mut k, 1), Err(Blocked));
    hw.clock.advance(100_000_000);
    k.timer_tick();
    assert_eq!(resume_read(&mut k, 1), Ok((1, b"m".to_vec())));
}

#[test]
fn poll_and_select_see_console_input() {
    let (mut k, hw) = boot(FRAMES);
    let s = scratch(&mut k, 1);
    let pfd = |ev: u16| {
        let mut b = [0u8; 8];
        b[4..6].copy_from_slice(&ev.to_le_bytes());
        b
    };
    write_user(&mut k, 1, s, &pfd(POLLIN | POLLOUT)).unwrap();
    assert_eq!(syscall(&mut k, 1, nr::POLL, &[s, 1, 0]), 1);
    assert_eq!(read_user(&mut k, 1, s + 6, 2).unwrap(), (POLLOUT).to_le_bytes());
    write_user(&mut k, 1, s, &pfd(POLLIN)).unwrap();
    assert_eq!(try_syscall(&mut k, 1, nr::POLL, &[s, 1, u64::MAX]), Err(Blocked));
    type_in(&mut k, &hw, b"x");
    assert_eq!(resume(&mut k, 1), Err(Blocked), "a partial line is not readable");
    type_in(&mut k, &hw, b"\r");
    assert_eq!(resume(&mut k, 1), Ok(1));
    assert_eq!(read_user(&mut k, 1, s + 6, 2).unwrap(), POLLIN.to_le_bytes(), "only what was asked for");
    // select: fd 0 readable, with a zero timeout.
    let (set, tv) = (s + 64, s + 128);
    write_user(&mut k, 1, set, &1u64.to_le_bytes()).unwrap();
    write_user(&mut k, 1, tv, &[0u8; 16]).unwrap();
    assert_eq!(syscall(&mut k, 1, nr::SELECT, &[1, set, 0, 0, tv]), 1);
    assert_eq!(read_user(&mut k, 1, set, 8).unwrap(), 1u64.to_le_bytes());
    try_read(&mut k, 1, 0, 10).unwrap();
    write_user(&mut k, 1, set, &1u64.to_le_bytes()).unwrap();
    assert_eq!(syscall(&mut k, 1, nr::SELECT, &[1, set, 0, 0, tv]), 0);
    assert_eq!(read_user(&mut k, 1, set, 8).unwrap(), 0u64.to_le_bytes());
}

#[test]
fn select_checks_descriptors_and_writes_back_the_time_left() {
    let (mut k, hw) = boot(FRAMES);
    let s = scratch(&mut k, 1);
    let (set, tv) = (s + 64, s + 128);
    // A closed descriptor in a set: EBADF.
    write_user(&mut k, 1, set, &(1u64 << 9).to_le_bytes()).unwrap();
    assert_eq!(syscall(&mut k, 1, nr::SELECT, &[10, set, 0, 0, 0]), err(EBADF));
    // Beyond nfds it is not looked at.
    write_user(&mut k, 1, tv, &[0u8; 16]).unwrap();
    assert_eq!(syscall(&mut k, 1, nr::SELECT, &[9, set, 0, 0, tv]), 0);
    // nfds past the table's size (64 here) is cut down to it.
    let mut big = vec![0u8; 128];
    big[100 / 8] = 1 << (100 % 8);
    write_user(&mut k, 1, set, &big).unwrap();
    assert_eq!(syscall(&mut k, 1, nr::SELECT, &[1024, set, 0, 0, tv]), 0);
    assert_eq!(syscall(&mut k, 1, nr::SELECT, &[-1i64 as u64, 0, 0, 0, tv]), err(EINVAL));
    // A timeout: 0.25 s, woken by the timer, then 0 left.
    let mut t = [0u8; 16];
    t[8..].copy_from_slice(&250_000i64.to_le_bytes());
    write_user(&mut k, 1, tv, &t).unwrap();
    write_user(&mut k, 1, set, &1u64.to_le_bytes()).unwrap();
    assert_eq!(try_syscall(&mut k, 1, nr::SELECT, &[1, set, 0, 0, tv]), Err(Blocked));
    hw.clock.advance(100_000_000);
    // Woken early (input that is no line): 0.15 s are left.
    type_in(&mut k, &hw, b"a");
    assert_eq!(resume(&mut k, 1), Err(Blocked));
    hw.clock.advance(150_000_000);
    k.timer_tick();
    assert_eq!(resume(&mut k, 1), Ok(0));
    assert_eq!(read_user(&mut k, 1, tv, 16).unwrap(), [0u8; 16]);
    // Ready at once with time to spare: the rest is written back.
    type_in(&mut k, &hw, b"\r");
    t[..8].copy_from_slice(&2i64.to_le_bytes());
    t[8..].copy_from_slice(&0i64.to_le_bytes());
    write_user(&mut k, 1, tv, &t).unwrap();
    write_user(&mut k, 1, set, &1u64.to_le_bytes()).unwrap();
    assert_eq!(syscall(&mut k, 1, nr::SELECT, &[1, set, 0, 0, tv]), 1);
    assert_eq!(read_user(&mut k, 1, tv, 8).unwrap(), 2i64.to_le_bytes());
    // A negative timeout is EINVAL; microseconds past a second carry.
    t[..8].copy_from_slice(&(-1i64).to_le_bytes());
    write_user(&mut k, 1, tv, &t).unwrap();
    assert_eq!(syscall(&mut k, 1, nr::SELECT, &[1, set, 0, 0, tv]), err(EINVAL));
    t[..8].copy_from_slice(&0i64.to_le_bytes());
    t[8..].copy_from_slice(&1_500_000i64.to_le_bytes());
    write_user(&mut k, 1, tv, &t).unwrap();
    assert_eq!(syscall(&mut k, 1, nr::SELECT, &[1, set, 0, 0, tv]), 1);
    assert_eq!(k.proc.tasks()[&1].resume.deadline(), None);
}

/// init (session 1, pgrp 1, foreground) → a (own group) → b (own group):
/// b's group is not orphaned (a links it to the session), a's is (its
/// only member's parent is init).
fn job_tree(k: &mut Kernel) -> (Pid, Pid) {
    let a = fork(k, 1);
    assert_eq!(syscall(k, a, nr::SETPGID, &[0, 0]), 0);
    let b = fork(k, a);
    assert_eq!(syscall(k, b, nr::SETPGID, &[0, 0]), 0);
    (a, b)
}

#[test]
fn a_background_reader_gets_sigttin() {
    let (mut k, _hw) = boot(FRAMES);
    let (a, b) = job_tree(&mut k);
    assert_eq!(tcgetpgrp(&mut k, b), 1, "init's group is in the foreground");
    // b reads from the background: SIGTTIN stops its group on the way
    // out; the read (-ERESTARTSYS) runs again once b is continued.
    assert_eq!(try_read(&mut k, b, 0, 10), Ok((err(ERESTARTSYS), vec![])));
    assert_eq!(state(&k, b), Some(TaskState::Stopped));
    // An orphaned group gets EIO instead.
    assert_eq!(try_read(&mut k, a, 0, 10), Ok((err(EIO), vec![])));
    // So does a reader ignoring SIGTTIN.
    syscall(&mut k, a, nr::KILL, &[b as u64, SIGCONT as u64]);
    assert_eq!(state(&k, b), Some(TaskState::Runnable));
    assert_eq!(set_handler(&mut k, b, SIGTTIN, SIG_IGN), 0);
    assert_eq!(try_read(&mut k, b, 0, 10), Ok((err(EIO), vec![])));
    // Writing from the background is allowed, unless TOSTOP.
    let s = scratch(&mut k, b);
    assert_eq!(syscall(&mut k, b, nr::WRITE, &[1, s, 1]), 1);
    let mut t = Termios::standard();
    t.lflag |= TOSTOP;
    assert_eq!(tcsetattr(&mut k, 1, &t), 0);
    assert_eq!(try_syscall(&mut k, b, nr::WRITE, &[1, s, 1]), Ok(err(ERESTARTSYS)));
    assert_eq!(state(&k, b), Some(TaskState::Stopped));
    // Changing the settings from the background: SIGTTOU as well.
    syscall(&mut k, a, nr::KILL, &[b as u64, SIGCONT as u64]);
    let arg = scratch(&mut k, b) + 256;
    assert_eq!(try_syscall(&mut k, b, nr::IOCTL, &[0, TCSETS, arg]), Ok(err(ERESTARTSYS)));
    assert_eq!(state(&k, b), Some(TaskState::Stopped));
    // ... which goes ahead when SIGTTOU is ignored; TCGETS is always fine.
    syscall(&mut k, a, nr::KILL, &[b as u64, SIGCONT as u64]);
    assert_eq!(set_handler(&mut k, b, SIGTTOU, SIG_IGN), 0);
    assert_eq!(syscall(&mut k, b, nr::WRITE, &[1, s, 1]), 1);
    assert_eq!(tcsetattr(&mut k, b, &Termios::standard()), 0);
    assert_eq!(ioctl(&mut k, b, 0, TCGETS as u32, s), 0);
}

#[test]
fn foreground_group_gets_the_signal_characters() {
    let (mut k, hw) = boot(FRAMES);
    let (a, b) = job_tree(&mut k);
    assert_eq!(tcsetpgrp(&mut k, 1, b), 0);
    assert_eq!(tcgetpgrp(&mut k, a), b as i64);
    // b reads in the foreground; ^C ends it.
    assert_eq!(try_read(&mut k, b, 0, 10), Err(Blocked));
    type_in(&mut k, &hw, b"partial\x03");
    assert_eq!(hw.console.output(), b"^C");
    assert_ne!(pending(&k, b) & bit(SIGINT), 0);
    assert_eq!(pending(&k, a) & bit(SIGINT), 0, "other groups are left alone");
    assert_eq!(pending(&k, 1) & bit(SIGINT), 0);
    // The interrupted read (-ERESTARTSYS) never returns: SIGINT kills.
    assert_eq!(resume(&mut k, b), Ok(err(ERESTARTSYS)));
    assert_eq!(state(&k, b), Some(TaskState::Zombie));
    assert_eq!(reap(&mut k, a, b), SIGINT as i32);
    // The foreground group is gone; ^Z then reaches nobody.
    type_in(&mut k, &hw, b"\x1a");
    assert_eq!(pending(&k, a) & bit(SIGTSTP), 0);
    // init is in the background now: taking the terminal back raises
    // SIGTTOU, and its group is orphaned, so it gets ENOTTY unless it
    // blocks SIGTTOU first (as shells do).
    assert_eq!(tcsetpgrp(&mut k, 1, 1), err(ENOTTY));
    assert_eq!(block_signal(&mut k, 1, SIGTTOU), 0);
    assert_eq!(tcsetpgrp(&mut k, 1, 1), 0);
    assert_eq!(tcgetpgrp(&mut k, 1), 1);
}

#[test]
fn tiocspgrp_rules() {
    let (mut k, _hw) = boot(FRAMES);
    let (a, b) = job_tree(&mut k);
    assert_eq!(tcsetpgrp(&mut k, 1, a), 0);
    assert_eq!(block_signal(&mut k, 1, SIGTTOU), 0);
    assert_eq!(ioctl_int(&mut k, 1, 0, TIOCSPGRP as u32, -1).0, err(EINVAL));
    assert_eq!(tcsetpgrp(&mut k, 1, 999), err(ESRCH), "no such group");
    // A group of another session: EPERM.
    let c = fork(&mut k, 1);
    assert_eq!(syscall(&mut k, c, nr::SETSID, &[]), c as i64);
    assert_eq!(tcsetpgrp(&mut k, 1, c), err(EPERM));
    // c has no controlling terminal any more.
    assert_eq!(tcgetpgrp(&mut k, c), err(ENOTTY));
    assert_eq!(tcsetpgrp(&mut k, c, c), err(ENOTTY));
    assert_eq!(ioctl_int(&mut k, c, 0, TIOCGSID, 0).0, err(ENOTTY));
    assert_eq!(ioctl_int(&mut k, b, 0, TIOCGSID, 0), (0, 1));
    // A process that leads no group names its session too.
    let d = fork(&mut k, b);
    assert_eq!(tcsetpgrp(&mut k, 1, d), 0);
    assert_eq!(tcgetpgrp(&mut k, 1), d as i64);
}

#[test]
fn controlling_terminal_lifecycle() {
    let (mut k, hw) = boot(FRAMES);
    let s = scratch(&mut k, 1);
    write_user(&mut k, 1, s, b"/dev/tty\0").unwrap();
    let fd = syscall(&mut k, 1, nr::OPEN, &[s, O_RDWR as u64, 0]);
    assert!(fd >= 3, "init's session has the console: {fd}");
    assert_eq!(tcgetpgrp(&mut k, 1), 1);
    // A new session has no controlling terminal: /dev/tty is ENXIO.
    let c = fork(&mut k, 1);
    assert_eq!(syscall(&mut k, c, nr::SETSID, &[]), c as i64);
    let sc = scratch(&mut k, c);
    write_user(&mut k, c, sc, b"/dev/tty\0").unwrap();
    assert_eq!(syscall(&mut k, c, nr::OPEN, &[sc, O_RDWR as u64, 0]), err(ENXIO));
    // It cannot take the console from session 1 ...
    assert_eq!(ioctl(&mut k, c, 0, TIOCSCTTY, 0), err(EPERM));
    // ... unless root steals it (arg 1).
    assert_eq!(ioctl(&mut k, c, 0, TIOCSCTTY, 1), 0);
    assert_eq!(tcgetpgrp(&mut k, c), c as i64);
    assert_eq!(tcgetpgrp(&mut k, 1), err(ENOTTY));
    // A process of c's session in c's foreground group.
    let d = fork(&mut k, c);
    assert_eq!(block_signal(&mut k, d, SIGHUP), 0);
    assert_eq!(ioctl_int(&mut k, d, 0, TIOCGSID, 0), (0, c as i32));
    // A non-leader giving it up loses it alone.
    let e = fork(&mut k, c);
    assert_eq!(ioctl(&mut k, e, 0, TIOCNOTTY, 0), 0);
    assert_eq!(tcgetpgrp(&mut k, e), err(ENOTTY));
    assert_eq!(ioctl(&mut k, e, 0, TIOCNOTTY, 0), err(ENOTTY));
    assert_eq!(tcgetpgrp(&mut k, d), c as i64);
    // The session leader exits: the foreground group gets SIGHUP and
    // the console is free.
    exit(&mut k, c, 0);
    assert_ne!(pending(&k, d) & bit(SIGHUP), 0);
    assert_eq!(k.vfs.tty.session, None);
    assert_eq!(tcgetpgrp(&mut k, d), err(ENOTTY));
    // init, a session leader without a terminal, takes it back.
    assert_eq!(ioctl(&mut k, 1, 0, TIOCSCTTY, 0), 0);
    assert_eq!(tcgetpgrp(&mut k, 1), 1);
    // The input keeps working.
    type_in(&mut k, &hw, b"z\r");
    assert_eq!(try_read(&mut k, 1, fd as i32, 10), Ok((2, b"z\n".to_vec())));
}

#[test]
fn window_size_and_other_ioctls() {
    let (mut k, _hw) = boot(FRAMES);
    let (_a, b) = job_tree(&mut k);
    let s = scratch(&mut k, 1) + 64;
    assert_eq!(ioctl(&mut k, 1, 0, TIOCGWINSZ as u32, s), 0);
    assert_eq!(read_user(&mut k, 1, s, 8).unwrap(), [0u8; 8], "a serial console starts at 0x0");
    // A new size: SIGWINCH to the foreground group.
    assert_eq!(tcsetpgrp(&mut k, 1, b), 0);
    assert_eq!(block_signal(&mut k, b, SIGWINCH), 0);
    let ws = [24u8, 0, 80, 0, 0, 0, 0, 0];
    write_user(&mut k, 1, s, &ws).unwrap();
    assert_eq!(ioctl(&mut k, 1, 0, TIOCSWINSZ as u32, s), 0);
    assert_ne!(pending(&k, b) & bit(SIGWINCH), 0);
    let sb = scratch(&mut k, b);
    assert_eq!(ioctl(&mut k, b, 0, TIOCGWINSZ as u32, sb), 0);
    assert_eq!(read_user(&mut k, b, sb, 8).unwrap(), ws);
    // TCGETS gives the settings back, in the background too; bad
    // pointers are EFAULT.
    assert_eq!(ioctl(&mut k, 1, 0, TCGETS as u32, s), 0);
    assert_eq!(read_user(&mut k, 1, s, 36).unwrap(), Termios::standard().to_user());
    assert_eq!(ioctl(&mut k, 1, 0, TCGETS as u32, 8), err(EFAULT));
    // Flushing is a change: the background (orphaned) init gets EIO.
    assert_eq!(ioctl(&mut k, 1, 0, TCFLSH, TCIFLUSH), err(EIO));
    assert_eq!(ioctl(&mut k, b, 0, TCFLSH, 7), err(EINVAL));
    assert_eq!(ioctl(&mut k, b, 0, TCFLSH, TCIFLUSH), 0);
    assert_eq!(ioctl(&mut k, b, 0, TCXONC, 9), err(EINVAL));
    assert_eq!(ioctl_int(&mut k, b, 0, TIOCOUTQ, -1), (0, 0));
    assert_eq!(ioctl(&mut k, b, 0, 0x5499, 0), err(ENOTTY), "unknown request");
    // Descriptors that are not terminals: ENOTTY.
    let p = scratch(&mut k, 1) + 512;
    assert_eq!(syscall(&mut k, 1, nr::PIPE, &[p]), 0);
    let rfd = read_u32(&mut k, 1, p).unwrap() as i32;
    let wfd = read_u32(&mut k, 1, p + 4).unwrap() as i32;
    assert_eq!(ioctl(&mut k, 1, rfd, TCGETS as u32, s), err(ENOTTY));
    // ... but FIONREAD works on a pipe, and FIOCLEX/FIONBIO anywhere.
    assert_eq!(syscall(&mut k, 1, nr::WRITE, &[wfd as u64, s, 3]), 3);
    assert_eq!(ioctl_int(&mut k, 1, rfd, FIONREAD, 0), (0, 3));
    assert_eq!(ioctl(&mut k, 1, rfd, FIOCLEX, 0), 0);
    assert_eq!(syscall(&mut k, 1, nr::FCNTL, &[rfd as u64, 1, 0]), 1);
    assert_eq!(ioctl_int(&mut k, 1, wfd, FIONBIO, 1).0, 0);
    assert_ne!(syscall(&mut k, 1, nr::FCNTL, &[wfd as u64, 3, 0]) as u32 & O_NONBLOCK, 0);
    assert_eq!(ioctl(&mut k, 1, 99, TCGETS as u32, s), err(EBADF));
}

#[test]
fn stopped_output_makes_writers_wait() {
    let (mut k, hw) = boot(FRAMES);
    type_in(&mut k, &hw, b"\x13");
    let s = scratch(&mut k, 1);
    write_user(&mut k, 1, s, b"out\n").unwrap();
    assert_eq!(syscall(&mut k, 1, nr::WRITE, &[1, s, 4]), 4, "room in the transmit buffer");
    assert_eq!(hw.console.output(), b"");
    let big = vec![b'.'; 8192];
    let b = scratch(&mut k, 1);
    write_user(&mut k, 1, b, &big[..4096]).unwrap();
    assert_eq!(syscall(&mut k, 1, nr::WRITE, &[1, b, 4096]), 4096 - 5, "what fits");
    assert_eq!(try_syscall(&mut k, 1, nr::WRITE, &[1, b, 10]), Err(Blocked));
    type_in(&mut k, &hw, b"\x11");
    assert_eq!(hw.console.output().len(), XMIT_SIZE);
    assert_eq!(resume(&mut k, 1), Ok(10));
}
