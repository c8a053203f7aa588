//! A small backtracking regular-expression matcher over bytes, for the
//! `expect /.../` steps of session tests (xtask uses std only).
//!
//! Syntax (a subset of POSIX ERE / Rust's `regex`): literals; `.` (any
//! byte but newline); `[abc]`, `[a-z]`, `[^...]` (with the escapes below
//! inside); `^` and `$` (start and end of a line, or of the text);
//! groups `( )`, alternation `|`; greedy `*`, `+`, `?`, `{n}`, `{n,}`,
//! `{n,m}`; escapes `\d \D \s \S \w \W`, `\n \r \t \e` (ESC), `\xNN`, and
//! `\` before any punctuation for itself.

use crate::Result;

#[derive(Debug, Clone)]
enum Node {
    Byte(u8),
    /// Byte ranges; `true`: negated.
    Class(Vec<(u8, u8)>, bool),
    Any,
    LineStart,
    LineEnd,
    Concat(Vec<Node>),
    Alt(Vec<Node>),
    Repeat(Box<Node>, u32, Option<u32>),
}

#[derive(Debug, Clone)]
pub struct Regex {
    root: Node,
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn err(&self, what: &str) -> String {
        format!(
            "regex {:?}: {what} at offset {}",
            String::from_utf8_lossy(self.s),
            self.i
        )
    }

    fn alt(&mut self) -> Result<Node> {
        let mut arms = vec![self.concat()?];
        while self.peek() == Some(b'|') {
            self.i += 1;
            arms.push(self.concat()?);
        }
        Ok(if arms.len() == 1 {
            arms.pop().unwrap()
        } else {
            Node::Alt(arms)
        })
    }

    fn concat(&mut self) -> Result<Node> {
        let mut items = Vec::new();
        while let Some(c) = self.peek() {
            if c == b'|' || c == b')' {
                break;
            }
            let atom = self.atom()?;
            items.push(self.repeats(atom)?);
        }
        Ok(Node::Concat(items))
    }

    fn number(&mut self) -> Option<u32> {
        let start = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
        std::str::from_utf8(&self.s[start..self.i])
            .ok()?
            .parse()
            .ok()
    }

    fn repeats(&mut self, mut atom: Node) -> Result<Node> {
        loop {
            let (min, max) = match self.peek() {
                Some(b'*') => (0, None),
                Some(b'+') => (1, None),
                Some(b'?') => (0, Some(1)),
                Some(b'{') => {
                    self.i += 1;
                    let min = self.number().ok_or_else(|| self.err("expected a count"))?;
                    let max = if self.peek() == Some(b',') {
                        self.i += 1;
                        if self.peek() == Some(b'}') {
                            None
                        } else {
                            Some(self.number().ok_or_else(|| self.err("expected a count"))?)
                        }
                    } else {
                        Some(min)
                    };
                    if self.peek() != Some(b'}') {
                        return Err(self.err("expected }"));
                    }
                    if max.is_some_and(|m| m < min) {
                        return Err(self.err("bad repetition range"));
                    }
                    (min, max)
                }
                _ => return Ok(atom),
            };
            self.i += 1;
            if matches!(atom, Node::LineStart | Node::LineEnd) {
                return Err(self.err("repetition of an anchor"));
            }
            atom = Node::Repeat(Box::new(atom), min, max);
        }
    }

    fn atom(&mut self) -> Result<Node> {
        let c = self.peek().unwrap();
        self.i += 1;
        Ok(match c {
            b'(' => {
                let inner = self.alt()?;
                if self.peek() != Some(b')') {
                    return Err(self.err("expected )"));
                }
                self.i += 1;
                inner
            }
            b'[' => self.class()?,
            b'.' => Node::Any,
            b'^' => Node::LineStart,
            b'$' => Node::LineEnd,
            b'*' | b'+' | b'?' | b'{' => return Err(self.err("nothing to repeat")),
            b'\\' => match self.escape()? {
                Esc::Byte(b) => Node::Byte(b),
                Esc::Class(r, neg) => Node::Class(r, neg),
            },
            c => Node::Byte(c),
        })
    }

    fn escape(&mut self) -> Result<Esc> {
        let c = self.peek().ok_or_else(|| self.err("trailing \\"))?;
        self.i += 1;
        let digit = vec![(b'0', b'9')];
        let space = vec![(b' ', b' '), (b'\t', b'\r')];
        let word = vec![(b'0', b'9'), (b'A', b'Z'), (b'_', b'_'), (b'a', b'z')];
        Ok(match c {
            b'd' => Esc::Class(digit, false),
            b'D' => Esc::Class(digit, true),
            b's' => Esc::Class(space, false),
            b'S' => Esc::Class(space, true),
            b'w' => Esc::Class(word, false),
            b'W' => Esc::Class(word, true),
            b'n' => Esc::Byte(b'\n'),
            b'r' => Esc::Byte(b'\r'),
            b't' => Esc::Byte(b'\t'),
            b'e' => Esc::Byte(0x1b),
            b'x' => {
                let hex = self
                    .s
                    .get(self.i..self.i + 2)
                    .ok_or_else(|| self.err("\\x needs two hex digits"))?;
                let v = std::str::from_utf8(hex)
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| self.err("\\x needs two hex digits"))?;
                self.i += 2;
                Esc::Byte(v)
            }
            c if c.is_ascii_punctuation() || c == b' ' => Esc::Byte(c),
            _ => return Err(self.err("unknown escape")),
        })
    }

    fn class(&mut self) -> Result<Node> {
        let mut ranges = Vec::new();
        let neg = self.peek() == Some(b'^');
        if neg {
            self.i += 1;
        }
        let mut first = true;
        loop {
            let c = self.peek().ok_or_else(|| self.err("unterminated ["))?;
            if c == b']' && !first {
                self.i += 1;
                break;
            }
            first = false;
            self.i += 1;
            let lo = if c == b'\\' {
                match self.escape()? {
                    Esc::Byte(b) => b,
                    Esc::Class(r, false) => {
                        ranges.extend(r);
                        continue;
                    }
                    Esc::Class(_, true) => return Err(self.err("negated class inside [ ]")),
                }
            } else {
                c
            };
            if self.peek() == Some(b'-') && self.s.get(self.i + 1).is_some_and(|&n| n != b']') {
                self.i += 1;
                let mut hi = self.peek().unwrap();
                self.i += 1;
                if hi == b'\\' {
                    match self.escape()? {
                        Esc::Byte(b) => hi = b,
                        _ => return Err(self.err("class in a range")),
                    }
                }
                if hi < lo {
                    return Err(self.err("bad range"));
                }
                ranges.push((lo, hi));
            } else {
                ranges.push((lo, lo));
            }
        }
        Ok(Node::Class(ranges, neg))
    }
}

enum Esc {
    Byte(u8),
    Class(Vec<(u8, u8)>, bool),
}

impl Regex {
    pub fn new(pattern: &str) -> Result<Regex> {
        let mut p = Parser {
            s: pattern.as_bytes(),
            i: 0,
        };
        let root = p.alt()?;
        if p.i != p.s.len() {
            return Err(p.err("unbalanced )"));
        }
        Ok(Regex { root })
    }

    /// The leftmost match in `text`: (start, end).
    pub fn find(&self, text: &[u8]) -> Option<(usize, usize)> {
        (0..=text.len()).find_map(|start| {
            let mut end = None;
            m(&self.root, text, start, &mut |j| {
                end = Some(j);
                true
            });
            end.map(|e| (start, e))
        })
    }
}

/// Whether `node` matches `s` at `i` with the rest of the pattern (`k`,
/// given where the match of `node` ends) matching too.
fn m(node: &Node, s: &[u8], i: usize, k: &mut dyn FnMut(usize) -> bool) -> bool {
    match node {
        Node::Byte(b) => s.get(i) == Some(b) && k(i + 1),
        Node::Any => s.get(i).is_some_and(|&c| c != b'\n') && k(i + 1),
        Node::Class(ranges, neg) => {
            s.get(i)
                .is_some_and(|&c| ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi) != *neg)
                && k(i + 1)
        }
        Node::LineStart => (i == 0 || s[i - 1] == b'\n') && k(i),
        Node::LineEnd => (i == s.len() || s[i] == b'\n' || s[i..].starts_with(b"\r\n")) && k(i),
        Node::Concat(items) => seq(items, s, i, k),
        Node::Alt(arms) => arms.iter().any(|a| m(a, s, i, k)),
        Node::Repeat(inner, min, max) => rep(inner, *min, *max, 0, s, i, k),
    }
}

fn seq(items: &[Node], s: &[u8], i: usize, k: &mut dyn FnMut(usize) -> bool) -> bool {
    match items.split_first() {
        None => k(i),
        Some((first, rest)) => m(first, s, i, &mut |j| seq(rest, s, j, k)),
    }
}

fn rep(
    inner: &Node,
    min: u32,
    max: Option<u32>,
    count: u32,
    s: &[u8],
    i: usize,
    k: &mut dyn FnMut(usize) -> bool,
) -> bool {
    // Greedy: one more first, then stop (once the minimum is reached). An
    // iteration that matches nothing ends the loop, so `()*` terminates.
    if max.is_none_or(|mx| count < mx)
        && m(inner, s, i, &mut |j| {
            (j != i || count < min) && rep(inner, min, max, count + 1, s, j, k)
        })
    {
        return true;
    }
    count >= min && k(i)
}

#[cfg(test)]
mod tests {
    use super::Regex;

    fn find(p: &str, t: &str) -> Option<(usize, usize)> {
        Regex::new(p).unwrap().find(t.as_bytes())
    }

    #[test]
    fn basics() {
        assert_eq!(find("abc", "xxabcx"), Some((2, 5)));
        assert_eq!(find("a.c", "abc"), Some((0, 3)));
        assert_eq!(find("a.c", "a\nc"), None);
        assert_eq!(find("ab*c", "ac abbbc"), Some((0, 2)));
        assert_eq!(find("ab+c", "ac abbbc"), Some((3, 8)));
        assert_eq!(find("colou?r", "color"), Some((0, 5)));
        assert_eq!(find("[0-9]+", "pid 123 x"), Some((4, 7)));
        assert_eq!(find("[^ ]+$", "a bc"), Some((2, 4)));
        assert_eq!(find("\\d{3}", "12 345"), Some((3, 6)));
        assert_eq!(find("\\d{2,}", "1 22 333"), Some((2, 4)));
        assert_eq!(find("(ab|cd)+e", "xabcdabe"), Some((1, 8)));
        assert_eq!(find("^b", "ab\nb"), Some((3, 4)));
        assert_eq!(find("a$", "ba\r\nc"), Some((1, 2)));
        assert_eq!(find("\\[1\\]\\+", "[1]+ Stopped"), Some((0, 4)));
        assert_eq!(find("\\x41\\s", "A B"), Some((0, 2)));
        assert_eq!(find("(a*)*b", "aaab"), Some((0, 4)));
        assert_eq!(find("x()*y", "xy"), Some((0, 2)));
        assert_eq!(find("[]a]", "]"), Some((0, 1)));
        assert_eq!(find("[a-]", "-"), Some((0, 1)));
        assert_eq!(find("a{2}", "a aa"), Some((2, 4)));
        assert!(Regex::new("(a").is_err());
        assert!(Regex::new("a)").is_err());
        assert!(Regex::new("*a").is_err());
        assert!(Regex::new("[a").is_err());
    }
}
