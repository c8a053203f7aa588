use super::*;
use alloc::vec::Vec;

fn log_with(n: u64) -> LogBuf {
    let mut l = LogBuf::new(LOG_BUF_LEN);
    for i in 0..n {
        l.push(i * 1_500_000 + 7, 0, KERN_INFO, alloc::format!("line {i}").as_bytes());
    }
    l
}

#[test]
fn records_get_sequence_numbers_and_syslog_format() {
    let mut l = log_with(2);
    assert_eq!((l.first_seq(), l.next_seq()), (0, 2));
    let all = l.read_all(4096, false);
    assert_eq!(all, b"<6>[    0.000007] line 0\n<6>[    1.500007] line 1\n");
    // Reading everything consumes nothing.
    assert_eq!(l.read_all(4096, false), all);
}

#[test]
fn kmsg_format_escapes_and_uses_facility() {
    let mut l = LogBuf::new(LOG_BUF_LEN);
    let (fac, lvl, text) = parse_prefix(b"<12>hi\\there\n");
    l.push(42, fac, lvl, text);
    let r = l.read_valid(0).unwrap();
    assert_eq!(r.kmsg_text(), b"12,0,42,-;hi\\x5cthere\n");
    assert_eq!(parse_prefix(b"plain"), (LOG_USER, MESSAGE_LOGLEVEL_DEFAULT, &b"plain"[..]));
    assert_eq!(parse_prefix(b"<3>x"), (LOG_USER, 3, &b"x"[..]));
    assert_eq!(parse_prefix(b"<x>y"), (LOG_USER, MESSAGE_LOGLEVEL_DEFAULT, &b"<x>y"[..]));
}

#[test]
fn oldest_records_are_overwritten_when_full() {
    let mut l = LogBuf::new(1000);
    for i in 0..100u64 {
        l.push(i, 0, KERN_INFO, b"0123456789");
    }
    assert_eq!(l.next_seq(), 100);
    let kept = (1000 / (RECORD_OVERHEAD + 10)) as u64;
    assert_eq!(l.first_seq(), 100 - kept);
    // A reader at a lost record is given the oldest kept one.
    assert_eq!(l.read_valid(0).unwrap().seq, 100 - kept);
    assert!(l.read_valid(100).is_none());
}

#[test]
fn read_all_keeps_the_newest_that_fit_and_clear_forgets() {
    let mut l = log_with(3);
    let one = l.read_all(4096, false).len() / 3;
    let two = l.read_all(2 * one + 1, false);
    assert!(two.starts_with(b"<6>[    1.500007] line 1\n") && two.ends_with(b"line 2\n"), "{two:?}");
    let all = l.read_all(4096, true);
    assert_eq!(all.len(), 3 * one);
    assert!(l.read_all(4096, false).is_empty());
    l.push(0, 0, KERN_INFO, b"new");
    assert_eq!(l.read_all(4096, false), b"<6>[    0.000000] new\n");
}

#[test]
fn syslog_read_consumes_and_splits_long_records() {
    let mut l = log_with(2);
    let unread = l.size_unread();
    assert_eq!(unread, l.read_all(4096, false).len());
    let part = l.syslog_read(5);
    assert_eq!(part, b"<6>[ ");
    assert_eq!(l.size_unread(), unread - 5);
    let rest: Vec<u8> = l.syslog_read(4096);
    assert_eq!(rest, b"   0.000007] line 0\n<6>[    1.500007] line 1\n");
    assert!(!l.syslog_ready());
    assert_eq!(l.size_unread(), 0);
}

#[test]
fn console_levels() {
    let mut l = LogBuf::default();
    l.console_off();
    assert_eq!(l.console_loglevel, MINIMUM_CONSOLE_LOGLEVEL);
    l.console_on();
    assert_eq!(l.console_loglevel, CONSOLE_LOGLEVEL_DEFAULT);
    l.set_console_level(3);
    assert_eq!(l.console_loglevel, 3);
}

#[test]
fn trailing_newline_and_long_lines_are_trimmed() {
    let mut l = LogBuf::default();
    l.push(0, 0, KERN_INFO, b"a\n");
    l.push(0, 0, KERN_INFO, &[b'x'; 2000]);
    assert_eq!(l.read_valid(0).unwrap().text, b"a");
    assert_eq!(l.read_valid(1).unwrap().text.len(), LOG_LINE_MAX);
}
