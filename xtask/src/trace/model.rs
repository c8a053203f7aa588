//! A trace in Linux's text format, read back into what the pictures
//! show: the processes of the traced program (its tree, names, states
//! over time, how each ended), its forks with their copy_process steps,
//! and the memory events (COW copies and reuses, zero-filled pages,
//! shared page tables) as marks on each process.

use std::collections::BTreeMap;

use regex::Regex;

/// Linux's CLONE_THREAD.
const CLONE_THREAD: u64 = 0x10000;
/// x86_64 system call numbers of exit and exit_group.
const NR_EXIT: i64 = 60;
const NR_EXIT_GROUP: i64 = 231;
/// And of setpgid and setsid: the process groups where the trace has no
/// `tine:setpgid` (Linux's).
const NR_SETPGID: i64 = 109;
const NR_SETSID: i64 = 112;

/// One event line of trace.txt.
#[derive(Clone, Debug)]
pub struct Line {
    pub pid: u32,
    /// Nanoseconds (microsecond precision, as the text has it).
    pub ts: u64,
    pub event: String,
    pub fields: BTreeMap<String, String>,
    /// The line as the trace has it.
    pub text: String,
}

impl Line {
    pub fn get(&self, k: &str) -> Option<&str> {
        self.fields.get(k).map(String::as_str)
    }
    pub fn num(&self, k: &str) -> Option<i64> {
        self.get(k)?.parse().ok()
    }
    pub fn hex(&self, k: &str) -> Option<u64> {
        let v = self.get(k)?;
        u64::from_str_radix(v.trim_start_matches("0x"), 16).ok()
    }
}

/// What a process is doing over a stretch of time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Running,
    Runnable,
    Blocked,
    Zombie,
}

impl State {
    pub fn name(self) -> &'static str {
        match self {
            State::Running => "running",
            State::Runnable => "runnable",
            State::Blocked => "blocked",
            State::Zombie => "zombie",
        }
    }
}

/// How a process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    Exited(i64),
    Killed(i64),
}

impl End {
    pub fn text(self) -> String {
        match self {
            End::Exited(c) => format!("exited {c}"),
            End::Killed(s) => format!("killed by signal {s}"),
        }
    }
}

/// A memory event of one process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarkKind {
    CowCopy,
    CowReuse,
    ZeroPage,
    PtShare,
    PtUnshare,
}

impl MarkKind {
    pub fn name(self) -> &'static str {
        match self {
            MarkKind::CowCopy => "cow_copy",
            MarkKind::CowReuse => "cow_reuse",
            MarkKind::ZeroPage => "zero_page",
            MarkKind::PtShare => "pt_share",
            MarkKind::PtUnshare => "pt_unshare",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Mark {
    pub ts: u64,
    pub kind: MarkKind,
    pub address: u64,
    /// Index into [`Trace::lines`].
    pub line: usize,
}

/// Pages of one process at one time: from its address space's counters
/// (`tine:mm_rss`) where the trace has them, else as the memory events
/// showed them (`file` then 0).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pages {
    /// Anonymous pages no other process maps.
    pub private: usize,
    /// Anonymous pages another process maps too (copy-on-write).
    pub shared: usize,
    /// Entries on the shared zero page.
    pub zero: usize,
    /// File and shared-memory pages (RssFile + RssShmem).
    pub file: usize,
    /// Leaf page tables shared with another process.
    pub pt_shared: usize,
}

#[derive(Clone, Debug)]
pub struct Proc {
    pub pid: u32,
    pub ppid: Option<u32>,
    pub thread: bool,
    /// (time, comm): the first at birth, then one per rename (exec).
    pub names: Vec<(u64, String)>,
    pub born: u64,
    pub first_run: Option<u64>,
    /// (time, filename, line).
    pub execs: Vec<(u64, String, usize)>,
    pub exit: Option<(u64, usize)>,
    pub reaped: Option<(u64, usize)>,
    pub end: Option<End>,
    pub slices: Vec<(u64, u64, State)>,
    pub marks: Vec<Mark>,
    /// (time, pages) after each change.
    pub pages: Vec<(u64, Pages)>,
    /// Whether `pages` comes from `tine:mm_rss` samples.
    pub sampled: bool,
    /// Its process group (Linux: pgid): inherited at fork, set by
    /// setpgid/setsid; the root's own PID until the trace says otherwise.
    pub pgid: u32,
    /// (time, line) of each signal sent to it.
    pub signals: Vec<(u64, i64, usize)>,
    /// Depth in the tree (the root is 0).
    pub depth: usize,
}

impl Proc {
    pub fn comm(&self) -> &str {
        self.names.last().map_or("?", |n| n.1.as_str())
    }
    pub fn label(&self) -> String {
        format!("{} {}", self.names.first().map_or("?", |n| n.1.as_str()), self.pid)
    }
}

/// One fork: who, when, and copy_process's steps (name, ns, ret).
#[derive(Clone, Debug)]
pub struct Fork {
    pub parent: u32,
    pub child: u32,
    pub ts: u64,
    pub line: usize,
    pub steps: Vec<(String, u64, i64)>,
}

/// Which process is the traced program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Root {
    /// PID 1 (Tine runs the program as init).
    Init,
    /// The first child of PID 1 (Linux runs it under user/trace/traceinit).
    ChildOfInit,
}

pub struct Trace {
    pub lines: Vec<Line>,
    /// The program's processes (and threads), in tree order.
    pub procs: Vec<Proc>,
    pub forks: Vec<Fork>,
    pub start: u64,
    pub end: u64,
    /// Events the ring buffer lost (`[LOST N EVENTS]`).
    pub lost: u64,
    /// Lines of the program's launch (under Linux: the exec and rename of
    /// init's child into the program), which are not the program's doing.
    pub launch: Vec<usize>,
    /// Event lines in the whole trace (before keeping the program's).
    pub events: usize,
}

pub struct Summary {
    pub created: usize,
    pub execs: usize,
    pub cow_copies: usize,
    pub cow_reuses: usize,
    pub zero_pages: usize,
    pub pt_shares: usize,
    pub pt_unshares: usize,
    /// (step, ns, parent pid).
    pub slowest_step: Option<(String, u64, u32)>,
    pub lost: u64,
    pub events: usize,
    pub groups: usize,
    /// exceptions:page_fault_user with present|write in its error code:
    /// the COW faults as a kernel without `tine:` events shows them.
    pub write_faults: usize,
}

/// Parses one event line; `None` for comments and other lines.
fn parse_line(re: &Regex, kv: &Regex, text: &str) -> Option<Line> {
    let c = re.captures(text)?;
    let pid = c[1].parse().ok()?;
    let ts = c[2].parse::<u64>().ok()? * 1_000_000_000 + c[3].parse::<u64>().ok()? * 1000;
    let event = c[4].to_string();
    let rest = &c[5];
    let mut fields = BTreeMap::new();
    if event == "sys_enter" {
        // `NR 231 (b, 7fff..., ...)`
        let mut it = rest.split([' ', '(', ')', ',']).filter(|s| !s.is_empty());
        it.next();
        if let Some(nr) = it.next() {
            fields.insert("id".into(), nr.to_string());
        }
        for (i, a) in it.enumerate() {
            fields.insert(format!("arg{i}"), a.to_string());
        }
    } else {
        for m in kv.captures_iter(rest) {
            fields.insert(m[1].to_string(), m[2].to_string());
        }
    }
    Some(Line { pid, ts, event, fields, text: text.to_string() })
}

impl Trace {
    pub fn parse(text: &str, root: Root) -> crate::Result<Trace> {
        let re =
            Regex::new(r"^\s*.*-(\d+)\s+(?:\(\s*[-\d]+\)\s+)?\[\d+\]\s+\S+\s+(\d+)\.(\d+): (\w+): ?(.*)$").unwrap();
        let kv = Regex::new(r"(\w+)=(\S+)").unwrap();
        let lost_re = Regex::new(r"\[LOST (\d+) EVENTS\]").unwrap();
        // A `trace` file's header: what the buffer lost to overwriting
        // (trace_pipe, which Tine's drain gives, says [LOST N EVENTS]).
        let header_re = Regex::new(r"^# entries-in-buffer/entries-written: (\d+)/(\d+)").unwrap();
        let mut all = Vec::new();
        // The same loss, as the header counts it and as the lines say it.
        let (mut header_lost, mut lost) = (0, 0);
        for l in text.lines() {
            if let Some(c) = header_re.captures(l) {
                let (kept, written) = (c[1].parse::<u64>().unwrap_or(0), c[2].parse::<u64>().unwrap_or(0));
                header_lost = written.saturating_sub(kept);
            } else if let Some(c) = lost_re.captures(l) {
                lost += c[1].parse::<u64>().unwrap_or(0);
            } else if let Some(line) = parse_line(&re, &kv, l) {
                all.push(line);
            }
        }
        let lost = lost.max(header_lost);
        let events = all.len();
        // A trace from a kernel without `tine:` memory events (Linux's):
        // its COW faults are the write faults on present pages.
        let faults_as_cow = !all.iter().any(|l| matches!(l.event.as_str(), "cow_copy" | "cow_reuse"));
        let mut b = Builder { lost, faults_as_cow, ..Builder::default() };
        b.root = match root {
            Root::Init => Some(1),
            Root::ChildOfInit => all
                .iter()
                .find(|l| l.event == "sched_process_fork" && l.num("pid") == Some(1))
                .and_then(|l| l.num("child_pid"))
                .map(|p| p as u32),
        };
        let Some(root_pid) = b.root else {
            return Err("the trace shows no fork by init: is the program in it?".into());
        };
        // Only the program's lines: those of its processes, and the
        // scheduler's lines that switch to one of them.
        let mut lines = Vec::new();
        for l in all {
            if b.admit(&l, root_pid) {
                lines.push(l);
            }
        }
        for (i, l) in lines.iter().enumerate() {
            b.event(i, l);
        }
        let mut t = b.finish(lines);
        t.events = events;
        if root == Root::ChildOfInit {
            t.drop_launch();
        }
        Ok(t)
    }

    /// Under Linux the root starts as init's child and execs the program:
    /// that exec (and its rename) is the launch, which Tine's kernel does
    /// without an event. The program's own story starts after it.
    fn drop_launch(&mut self) {
        let Some(root) = self.procs.first_mut() else { return };
        if root.execs.is_empty() {
            return;
        }
        let (ts, _, line) = root.execs.remove(0);
        self.launch.push(line);
        if let Some(i) =
            self.lines.iter().position(|l| l.event == "task_rename" && l.num("pid") == Some(root.pid as i64))
        {
            self.launch.push(i);
        }
        root.names.retain(|n| n.0 >= ts);
        if root.names.len() > 1 {
            root.names.remove(0);
        }
    }

    pub fn proc(&self, pid: u32) -> Option<&Proc> {
        self.procs.iter().find(|p| p.pid == pid)
    }

    /// The process groups, each with its processes in tree order, in the
    /// order their first member comes in the tree.
    pub fn groups(&self) -> Vec<(u32, Vec<&Proc>)> {
        let mut out: Vec<(u32, Vec<&Proc>)> = Vec::new();
        for p in &self.procs {
            match out.iter_mut().find(|g| g.0 == p.pgid) {
                Some(g) => g.1.push(p),
                None => out.push((p.pgid, vec![p])),
            }
        }
        out
    }

    pub fn summary(&self) -> Summary {
        let count = |k: MarkKind| self.procs.iter().flat_map(|p| &p.marks).filter(|m| m.kind == k).count();
        let slowest_step = self
            .forks
            .iter()
            .flat_map(|f| f.steps.iter().map(move |s| (s.0.clone(), s.1, f.parent)))
            .max_by_key(|s| s.1);
        Summary {
            created: self.procs.iter().filter(|p| !p.thread).count().saturating_sub(1),
            execs: self.procs.iter().map(|p| p.execs.len()).sum(),
            cow_copies: count(MarkKind::CowCopy),
            cow_reuses: count(MarkKind::CowReuse),
            zero_pages: count(MarkKind::ZeroPage),
            pt_shares: count(MarkKind::PtShare),
            pt_unshares: count(MarkKind::PtUnshare),
            slowest_step,
            lost: self.lost,
            events: self.events,
            groups: self.groups().len(),
            write_faults: self
                .lines
                .iter()
                .filter(|l| l.event == "page_fault_user" && l.hex("error_code").is_some_and(|e| e & 3 == 3))
                .count(),
        }
    }
}

#[derive(Default)]
struct Builder {
    root: Option<u32>,
    /// The program's PIDs, as the admitted forks make them.
    tree: std::collections::BTreeSet<u32>,
    procs: BTreeMap<u32, Proc>,
    /// Each process's current state and since when.
    state: BTreeMap<u32, (State, u64)>,
    /// Known pages: address -> private (true) or shared.
    pagemap: BTreeMap<u32, BTreeMap<u64, (bool, bool)>>,
    forks: Vec<Fork>,
    /// copy_process steps seen in a process, waiting for its fork event.
    steps: BTreeMap<u32, Vec<(String, u64, i64)>>,
    /// Exit status from exit/exit_group, before the exit event.
    exit_code: BTreeMap<u32, i64>,
    /// Processes in wait(): the PID they wait for (0 or less: any child).
    waiting: BTreeMap<u32, i64>,
    /// The last signal sent to each process.
    last_signal: BTreeMap<u32, i64>,
    start: Option<u64>,
    end: u64,
    lost: u64,
    faults_as_cow: bool,
}

impl Builder {
    /// Whether line `l` belongs to the program's tree (which grows as
    /// its fork lines are admitted).
    fn admit(&mut self, l: &Line, root: u32) -> bool {
        self.tree.insert(root);
        let pid = l.pid;
        if l.event == "sched_process_fork" {
            let parent = l.num("pid").unwrap_or(-1) as u32;
            if !self.tree.contains(&parent) {
                return false;
            }
            self.tree.insert(l.num("child_pid").unwrap_or(-1) as u32);
            return true;
        }
        let target = match l.event.as_str() {
            "sched_switch" => l.num("next_pid").map(|p| p as u32),
            "sched_wakeup" | "sched_wakeup_new" | "signal_generate" => l.num("pid").map(|p| p as u32),
            _ => None,
        };
        self.tree.contains(&pid) || target.is_some_and(|t| self.tree.contains(&t))
    }

    fn add(&mut self, pid: u32, ppid: Option<u32>, comm: &str, ts: u64, thread: bool) {
        let depth = ppid.and_then(|p| self.procs.get(&p)).map_or(0, |p| p.depth + 1);
        let pgid = ppid.and_then(|p| self.procs.get(&p)).map_or(pid, |p| p.pgid);
        self.procs.insert(
            pid,
            Proc {
                pid,
                ppid,
                thread,
                names: vec![(ts, comm.to_string())],
                born: ts,
                first_run: None,
                execs: vec![],
                exit: None,
                reaped: None,
                end: None,
                slices: vec![],
                marks: vec![],
                pages: vec![],
                sampled: false,
                pgid,
                signals: vec![],
                depth,
            },
        );
    }

    fn set_state(&mut self, pid: u32, s: State, ts: u64) {
        let Some(p) = self.procs.get_mut(&pid) else { return };
        match self.state.get(&pid) {
            Some(&(old, _)) if old == s => {}
            Some(&(old, since)) => {
                if ts > since {
                    p.slices.push((since, ts, old));
                }
                self.state.insert(pid, (s, ts));
            }
            None => {
                self.state.insert(pid, (s, ts));
            }
        }
        if s == State::Running {
            p.first_run.get_or_insert(ts);
        }
    }

    fn end_state(&mut self, pid: u32, ts: u64) {
        if let Some((old, since)) = self.state.remove(&pid) {
            if ts > since {
                if let Some(p) = self.procs.get_mut(&pid) {
                    p.slices.push((since, ts, old));
                }
            }
        }
    }

    fn page(&mut self, pid: u32, ts: u64, address: u64, private: bool, zero: bool) {
        let map = self.pagemap.entry(pid).or_default();
        map.insert(address & !0xfff, (private, zero));
        self.note_pages(pid, ts);
    }

    fn note_pages(&mut self, pid: u32, ts: u64) {
        if self.procs.get(&pid).is_some_and(|p| p.sampled) {
            return;
        }
        let map = self.pagemap.entry(pid).or_default();
        let mut p = Pages::default();
        for &(private, zero) in map.values() {
            if !private {
                p.shared += 1;
            } else if zero {
                p.zero += 1;
            } else {
                p.private += 1;
            }
        }
        if let Some(pr) = self.procs.get_mut(&pid) {
            pr.pages.push((ts, p));
        }
    }

    fn mark(&mut self, pid: u32, i: usize, l: &Line, kind: MarkKind) {
        let address = l.hex("address").unwrap_or(0);
        if let Some(p) = self.procs.get_mut(&pid) {
            p.marks.push(Mark { ts: l.ts, kind, address, line: i });
        }
        match kind {
            MarkKind::CowCopy | MarkKind::CowReuse => self.page(pid, l.ts, address, true, false),
            MarkKind::ZeroPage => self.page(pid, l.ts, address, true, true),
            MarkKind::PtShare | MarkKind::PtUnshare => {}
        }
    }

    fn event(&mut self, i: usize, l: &Line) {
        self.start.get_or_insert(l.ts);
        self.end = self.end.max(l.ts);
        let pid = l.pid;
        if let Some(root) = self.root.filter(|r| !self.procs.contains_key(r)) {
            // The root was there before the trace's first line of it.
            self.add(root, None, "?", l.ts, false);
        }
        if pid == self.root.unwrap_or(0) && self.procs[&pid].names[0].1 == "?" {
            let comm = l.text.trim_start().rsplit_once(&format!("-{pid} ")).map(|x| x.0.trim().to_string());
            if let Some(c) = comm {
                self.procs.get_mut(&pid).unwrap().names[0].1 = c;
            }
        }
        if l.event != "sched_process_wait" && l.event != "sched_switch" && l.event != "sched_process_free" {
            self.reap_waited(pid, i, l.ts);
        }
        match l.event.as_str() {
            "sched_process_wait" => {
                self.waiting.insert(pid, l.num("pid").unwrap_or(0));
            }
            "sched_process_fork" => {
                let child = l.num("child_pid").unwrap_or(-1) as u32;
                let thread = self.procs.get(&child).is_some_and(|c| c.thread);
                let comm = l.get("child_comm").unwrap_or("?").to_string();
                let pgid = self.procs.get(&pid).map_or(pid, |p| p.pgid);
                if let Some(c) = self.procs.get_mut(&child) {
                    c.ppid = Some(pid);
                    c.pgid = pgid;
                    c.born = l.ts;
                    c.names = vec![(l.ts, comm)];
                } else {
                    self.add(child, Some(pid), &comm, l.ts, thread);
                }
                let steps = self.steps.remove(&pid).unwrap_or_default();
                self.forks.push(Fork { parent: pid, child, ts: l.ts, line: i, steps });
                // Everything the parent had is now shared with the child.
                if !thread {
                    let parent_map = self.pagemap.entry(pid).or_default();
                    for v in parent_map.values_mut() {
                        v.0 = false;
                    }
                    let copy = parent_map.clone();
                    self.pagemap.insert(child, copy);
                    self.note_pages(pid, l.ts);
                    self.note_pages(child, l.ts);
                }
            }
            "task_newtask" => {
                // Comes before sched_process_fork: note a thread.
                let child = l.num("pid").unwrap_or(-1) as u32;
                let flags = l.hex("clone_flags").unwrap_or(0);
                let comm = l.get("comm").unwrap_or("?").to_string();
                self.add(child, Some(pid), &comm, l.ts, flags & CLONE_THREAD != 0);
            }
            "task_rename" => {
                if let Some(p) = self.procs.get_mut(&(l.num("pid").unwrap_or(-1) as u32)) {
                    p.names.push((l.ts, l.get("newcomm").unwrap_or("?").to_string()));
                }
            }
            "sched_process_exec" => {
                let who = l.num("pid").unwrap_or(pid as i64) as u32;
                if let Some(p) = self.procs.get_mut(&who) {
                    p.execs.push((l.ts, l.get("filename").unwrap_or("?").to_string(), i));
                }
                self.pagemap.insert(who, BTreeMap::new());
                self.note_pages(who, l.ts);
            }
            "sys_enter" => {
                let nr = l.num("id").unwrap_or(-1);
                let arg = |i: usize| l.get(&format!("arg{i}")).and_then(|a| u64::from_str_radix(a, 16).ok());
                if nr == NR_EXIT || nr == NR_EXIT_GROUP {
                    self.exit_code.insert(pid, arg(0).unwrap_or(0) as i64 & 0xff);
                } else if nr == NR_SETPGID {
                    // setpgid(pid, pgid): 0 for either names the target.
                    let target = arg(0).map(|a| a as u32).filter(|&a| a != 0).unwrap_or(pid);
                    let pgid = arg(1).map(|a| a as u32).filter(|&a| a != 0).unwrap_or(target);
                    self.set_pgid(target, pgid);
                } else if nr == NR_SETSID {
                    self.set_pgid(pid, pid);
                }
            }
            "signal_generate" => {
                let to = l.num("pid").unwrap_or(-1) as u32;
                let sig = l.num("sig").unwrap_or(0);
                if let Some(p) = self.procs.get_mut(&to) {
                    p.signals.push((l.ts, sig, i));
                    if sig != 17 && l.num("res") == Some(0) {
                        self.last_signal.insert(to, sig);
                    }
                }
            }
            "sched_process_exit" => {
                let who = l.num("pid").unwrap_or(pid as i64) as u32;
                let end = match self.exit_code.get(&who) {
                    Some(&c) => Some(End::Exited(c)),
                    None => self.last_signal.get(&who).map(|&s| End::Killed(s)),
                };
                if let Some(p) = self.procs.get_mut(&who) {
                    p.exit = Some((l.ts, i));
                    p.end = end;
                }
                if !self.procs.get(&who).is_some_and(|p| p.thread) {
                    self.set_state(who, State::Zombie, l.ts);
                }
            }
            "sched_process_free" => {
                let who = l.num("pid").unwrap_or(-1) as u32;
                if let Some(p) = self.procs.get_mut(&who) {
                    p.reaped.get_or_insert((l.ts, i));
                }
                self.end_state(who, l.ts);
            }
            "sched_switch" => {
                let prev = l.num("prev_pid").unwrap_or(-1) as u32;
                let next = l.num("next_pid").unwrap_or(-1) as u32;
                let st = l.get("prev_state").unwrap_or("R");
                let s = match st.trim_end_matches('+') {
                    "R" => State::Runnable,
                    "Z" | "X" => State::Zombie,
                    _ => State::Blocked,
                };
                if s == State::Zombie && self.procs.get(&prev).is_some_and(|p| p.thread) {
                    self.end_state(prev, l.ts);
                } else {
                    self.set_state(prev, s, l.ts);
                }
                self.set_state(next, State::Running, l.ts);
            }
            "sched_wakeup" | "sched_wakeup_new" => {
                let who = l.num("pid").unwrap_or(-1) as u32;
                if self.state.get(&who).is_none_or(|s| s.0 != State::Running) {
                    self.set_state(who, State::Runnable, l.ts);
                }
            }
            "copy_process_step" => {
                let step = l.get("step").unwrap_or("?").to_string();
                self.steps.entry(pid).or_default().push((
                    step,
                    l.num("ns").unwrap_or(0) as u64,
                    l.num("ret").unwrap_or(0),
                ));
            }
            "setpgid" => {
                let who = l.num("pid").unwrap_or(-1) as u32;
                self.set_pgid(who, l.num("pgid").unwrap_or(who as i64) as u32);
            }
            "mm_rss" => {
                let who = l.num("pid").unwrap_or(-1) as u32;
                let n = |k: &str| l.num(k).unwrap_or(0) as usize;
                let pages = Pages {
                    private: n("anon").saturating_sub(n("shared")),
                    shared: n("shared"),
                    zero: n("zero"),
                    file: n("file") + n("shmem"),
                    pt_shared: n("pt_shared"),
                };
                if let Some(p) = self.procs.get_mut(&who) {
                    if !p.sampled {
                        p.sampled = true;
                        p.pages.clear();
                    }
                    p.pages.push((l.ts, pages));
                }
            }
            "page_fault_user" if self.faults_as_cow && l.hex("error_code").is_some_and(|e| e & 3 == 3) => {
                self.mark(pid, i, l, MarkKind::CowCopy);
            }
            "cow_copy" => self.mark(pid, i, l, MarkKind::CowCopy),
            "cow_reuse" => self.mark(pid, i, l, MarkKind::CowReuse),
            "zero_page" => self.mark(pid, i, l, MarkKind::ZeroPage),
            "pt_share" => self.mark(pid, i, l, MarkKind::PtShare),
            "pt_unshare" => self.mark(pid, i, l, MarkKind::PtUnshare),
            "reparent" => {
                let who = l.num("pid").unwrap_or(-1) as u32;
                let to = l.num("new_parent").unwrap_or(-1) as u32;
                if let Some(p) = self.procs.get_mut(&who) {
                    p.ppid = Some(to);
                }
            }
            _ => {}
        }
    }

    fn set_pgid(&mut self, pid: u32, pgid: u32) {
        if let Some(p) = self.procs.get_mut(&pid) {
            p.pgid = pgid;
        }
    }

    /// `pid` runs again after a sched_process_wait: its wait returned, with
    /// a zombie child it waited for if there is one (Linux frees the task
    /// later, after an RCU grace period, so sched_process_free cannot say
    /// when a child was reaped; Tine frees it at once).
    fn reap_waited(&mut self, pid: u32, i: usize, ts: u64) {
        let Some(&want) = self.waiting.get(&pid) else { return };
        let zombie = self
            .procs
            .values()
            .find(|c| {
                c.ppid == Some(pid) && c.exit.is_some() && c.reaped.is_none() && (want <= 0 || c.pid as i64 == want)
            })
            .map(|c| c.pid);
        if let Some(c) = zombie {
            self.waiting.remove(&pid);
            self.procs.get_mut(&c).unwrap().reaped = Some((ts, i));
            self.end_state(c, ts);
        }
    }

    fn finish(mut self, lines: Vec<Line>) -> Trace {
        let end = self.end;
        let pids: Vec<u32> = self.state.keys().copied().collect();
        for pid in pids {
            self.end_state(pid, end);
        }
        // Tree order: each process followed by its children.
        let mut order = Vec::new();
        let mut stack: Vec<u32> = self.root.into_iter().collect();
        while let Some(pid) = stack.pop() {
            order.push(pid);
            let mut kids: Vec<u32> =
                self.procs.values().filter(|p| p.ppid == Some(pid) && p.pid != pid).map(|p| p.pid).collect();
            kids.sort_unstable_by(|a, b| b.cmp(a));
            stack.extend(kids);
        }
        let mut procs = Vec::new();
        for pid in order {
            if let Some(mut p) = self.procs.remove(&pid) {
                p.depth = p.ppid.and_then(|pp| procs.iter().find(|q: &&Proc| q.pid == pp)).map_or(0, |q| q.depth + 1);
                p.slices.sort_by_key(|s| s.0);
                procs.push(p);
            }
        }
        Trace {
            lines,
            procs,
            forks: self.forks,
            start: self.start.unwrap_or(0),
            end,
            lost: self.lost,
            launch: vec![],
            events: 0,
        }
    }
}

#[cfg(test)]
mod tests;
