use super::event::comm;
use super::*;

fn fork(t: &mut Tracer, ns: u64, child: i32) {
    let p = Payload::Fork { parent_comm: comm(b"sh"), parent_pid: 1, child_comm: comm(b"sh"), child_pid: child };
    t.record(ns, 0, 1, b"sh", Some(Event::SchedProcessFork), None, p);
}

#[test]
fn a_disabled_event_is_one_bit() {
    let mut t = Tracer::new();
    assert!(!t.enabled(Event::SchedProcessFork));
    t.set_event("sched:sched_process_fork").unwrap();
    assert!(t.enabled(Event::SchedProcessFork));
    assert!(!t.enabled(Event::SchedSwitch));
    assert!(t.expanded, "enabling an event gives the buffer its size");
}

#[test]
fn set_event_words_follow_linux() {
    let mut t = Tracer::new();
    t.set_event("sched:*").unwrap();
    assert!(t.enabled(Event::SchedSwitch) && !t.enabled(Event::TaskNewtask));
    t.set_event("!sched:sched_switch").unwrap();
    assert!(!t.enabled(Event::SchedSwitch) && t.enabled(Event::SchedWakeup));
    t.set_event("task").unwrap();
    assert!(t.enabled(Event::TaskRename));
    t.set_event("*:sys_exit").unwrap();
    assert!(t.enabled(Event::SysExit) && !t.enabled(Event::SysEnter));
    assert_eq!(t.set_event("sched:nonesuch"), Err(crate::abi::EINVAL));
    assert_eq!(t.enable_state(Event::ALL.iter()), "X\n");
    t.clear_events();
    assert_eq!(t.enable_state(Event::ALL.iter()), "0\n");
}

#[test]
fn lines_look_like_linuxs() {
    let mut t = Tracer::new();
    t.set_event("sched:sched_process_fork").unwrap();
    fork(&mut t, 1_234_567_890, 42);
    let text = output::trace_text(&t);
    assert!(text.starts_with("# tracer: nop\n#\n# entries-in-buffer/entries-written: 1/1   #P:1\n#\n"));
    assert!(
        text.ends_with(
            "              sh-1       [000] .....     1.234568: sched_process_fork: comm=sh pid=1 child_comm=sh child_pid=42\n"
        ),
        "{text}"
    );
}

#[test]
fn a_full_buffer_drops_its_oldest_page_and_says_so() {
    let mut t = Tracer::new();
    t.resize(4096); // two pages of 4080 bytes
    for i in 0..1000 {
        fork(&mut t, i, i as i32);
    }
    let (entries, written) = t.totals();
    assert_eq!(written, 1000);
    // A fork record charges 4 + 48 bytes: 78 to a page.
    assert!(entries <= 2 * 78 && entries > 78, "{entries}");
    let first = output::consume_line(&mut t).unwrap();
    assert!(first.starts_with(&alloc::format!("CPU:0 [LOST {} EVENTS]\n", 1000 - entries)), "{first}");
    let second = output::consume_line(&mut t).unwrap();
    assert!(!second.contains("LOST"));
}

#[test]
fn tracing_off_and_pid_filter_drop_records() {
    let mut t = Tracer::new();
    t.on = false;
    fork(&mut t, 1, 2);
    assert_eq!(t.totals(), (0, 0));
    t.on = true;
    t.pids.insert(7);
    fork(&mut t, 1, 2);
    assert_eq!(t.totals(), (0, 0));
    t.pids.insert(1);
    fork(&mut t, 1, 2);
    assert_eq!(t.totals(), (1, 1));
}

#[test]
fn format_files_match_linuxs_layout() {
    let f = Event::SchedProcessFork.format();
    let want = "name: sched_process_fork\nID: 300\nformat:\n\
\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n\
\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n\
\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n\
\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\
\n\
\tfield:char parent_comm[16];\toffset:8;\tsize:16;\tsigned:1;\n\
\tfield:pid_t parent_pid;\toffset:24;\tsize:4;\tsigned:1;\n\
\tfield:char child_comm[16];\toffset:28;\tsize:16;\tsigned:1;\n\
\tfield:pid_t child_pid;\toffset:44;\tsize:4;\tsigned:1;\n\
\n\
print fmt: \"comm=%s pid=%d child_comm=%s child_pid=%d\", REC->parent_comm, REC->parent_pid, REC->child_comm, REC->child_pid\n";
    assert_eq!(f, want);
    assert!(Event::SchedProcessExec.format().contains("\tfield:__data_loc char[] filename;\toffset:8;\tsize:4;"));
    assert!(Event::SysEnter.format().contains("\tfield:unsigned long args[6];\toffset:16;\tsize:48;\tsigned:0;\n"));
}

#[test]
fn switch_states_print_as_linux() {
    let mut s = alloc::string::String::new();
    let p = Payload::Switch {
        prev_comm: comm(b"a"),
        prev_pid: 1,
        prev_prio: 120,
        prev_state: event::state::PREEMPTED,
        next_comm: comm(b"swapper/0"),
        next_pid: 0,
        next_prio: 120,
    };
    p.write_fields(&mut s);
    assert_eq!(
        s,
        "prev_comm=a prev_pid=1 prev_prio=120 prev_state=R+ ==> next_comm=swapper/0 next_pid=0 next_prio=120"
    );
}

#[test]
fn comms_are_saved_only_while_an_event_is_on() {
    let mut t = Tracer::new();
    let text = |t: &mut Tracer| {
        let p = Payload::Print { text: b"hi\n".to_vec() };
        t.record(5_000, 0, 7, b"sh", None, None, p);
        output::trace_text(t)
    };
    assert!(text(&mut t).ends_with("           <...>-7       [000] .....     0.000005: tracing_mark_write: hi\n"));
    t.set_event("sched:sched_switch").unwrap();
    assert!(text(&mut t).ends_with("              sh-7       [000] .....     0.000005: tracing_mark_write: hi\n"));
}

#[test]
fn filters_keep_the_records_they_are_true_of() {
    use super::filter::Filter;
    let ev = Event::SchedProcessFork;
    let rec = |parent: i32, child: i32, comm: &[u8]| Payload::Fork {
        parent_comm: super::event::comm(comm),
        parent_pid: parent,
        child_comm: super::event::comm(comm),
        child_pid: child,
    };
    let f = Filter::parse(ev, "common_pid == 1 && child_pid > 10 || child_comm ~ \"ba*\"").unwrap();
    assert!(f.matches(1, &rec(1, 11, b"sh")));
    assert!(!f.matches(1, &rec(1, 10, b"sh")));
    assert!(!f.matches(2, &rec(2, 11, b"sh")));
    assert!(f.matches(2, &rec(2, 3, b"bash")));
    let f = Filter::parse(ev, "(child_pid == 0x10 || child_pid == 020) && parent_comm != sh").unwrap();
    assert!(f.matches(1, &rec(1, 16, b"init")));
    assert!(!f.matches(1, &rec(1, 16, b"sh")));
    assert!(!f.matches(1, &rec(1, 17, b"init")));
    for bad in ["nonesuch == 1", "child_pid ~ 3", "child_comm > a", "child_pid ==", "(child_pid == 1", "child_pid == x"]
    {
        assert_eq!(Filter::parse(ev, bad), Err(crate::abi::EINVAL), "{bad}");
    }
    let mut t = Tracer::new();
    t.set_event("sched:sched_process_fork").unwrap();
    t.set_filter(ev, "child_pid >= 42").unwrap();
    assert_eq!(t.filter_text(ev), Some("child_pid >= 42"));
    fork(&mut t, 1, 41);
    fork(&mut t, 2, 42);
    assert_eq!(t.totals().0, 1);
    t.set_filter(ev, "0").unwrap();
    assert_eq!(t.filter_text(ev), None);
}

/// A sink for the drain tests: what was written to it.
struct Collect(std::sync::Mutex<std::vec::Vec<u8>>);

impl Sink for Collect {
    fn write(&self, bytes: &[u8]) {
        self.0.lock().unwrap().extend_from_slice(bytes);
    }
}

#[test]
fn a_drained_buffer_loses_nothing() {
    static SINK: Collect = Collect(std::sync::Mutex::new(std::vec::Vec::new()));
    let mut t = Tracer::new();
    t.set_event("sched:sched_process_fork").unwrap();
    t.resize(4096); // two pages: 78 forks each
    t.set_sink(&SINK);
    for i in 0..1000 {
        fork(&mut t, i, i as i32);
        // What the kernel does at its next trap return.
        if t.drain_pending {
            t.drain();
        }
    }
    assert!(t.totals().0 > 0, "the page being written waits");
    t.drain();
    assert_eq!(t.totals().0, 0);
    let out = std::string::String::from_utf8(SINK.0.lock().unwrap().clone()).unwrap();
    assert_eq!(out.matches(": sched_process_fork: ").count(), 1000);
    assert!(!out.contains("LOST"), "{out}");
    assert!(out.ends_with("child_pid=999\n"));
}

#[test]
fn tine_setpgid_and_mm_rss_print_their_fields() {
    let f = Event::MmRss.format();
    assert!(f.starts_with("name: mm_rss\nID: 326\n"), "{f}");
    assert!(f.contains("\tfield:unsigned long pt_shared;\toffset:56;\tsize:8;\tsigned:0;\n"), "{f}");
    assert!(Event::SetPgid.format().contains("\tfield:pid_t sid;\toffset:16;\tsize:4;\tsigned:1;\n"));
    let mut t = Tracer::new();
    t.set_event("tine:setpgid").unwrap();
    t.set_event("tine:mm_rss").unwrap();
    t.record(1000, 0, 7, b"w", Some(Event::SetPgid), None, Payload::Pgid { pid: 7, pgid: 7, sid: 1 });
    let rss = Payload::MmRss { pid: 7, anon: 9, file: 30, shmem: 0, shared: 4, zero: 2, pt_shared: 1 };
    t.record(2000, 0, 7, b"w", Some(Event::MmRss), None, rss);
    let text = output::trace_text(&t);
    assert!(text.contains(": setpgid: pid=7 pgid=7 sid=1\n"), "{text}");
    assert!(text.contains(": mm_rss: pid=7 anon=9 file=30 shmem=0 shared=4 zero=2 pt_shared=1\n"), "{text}");
}
