//! Event filters, the `filter` file of each event (Linux:
//! kernel/trace/trace_events_filter.c): predicates on a record's fields,
//! `FIELD OP VALUE`, joined by `&&` and `||` (`&&` binding tighter) and
//! grouped with parentheses. A record is kept only when its event's
//! filter is true of it.
//!
//! Numeric fields (and `common_pid`) take `==`, `!=`, `<`, `<=`, `>`, `>=`
//! and `&` (some bit in common) with a number in decimal, `0x` hex or
//! `0` octal (Linux: kstrtoull() with base 0); string fields (the `char`
//! arrays, `filename`) take `==`, `!=` and `~` (a glob with `*` at the
//! start, the end or both) with a word or a quoted string.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

use super::event::{Event, Payload};
use crate::abi::{Errno, EINVAL};

/// A field's value in one record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value<'a> {
    Int(i64),
    Str(&'a [u8]),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Glob,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Operand {
    Int(i64),
    Str(Vec<u8>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Expr {
    Pred { field: String, op: Op, value: Operand },
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
}

/// One event's filter: its text as written (what the file reads back) and
/// the parsed expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filter {
    pub text: String,
    expr: Expr,
}

impl Filter {
    /// Parse `text` for event `ev`: EINVAL for bad syntax, an unknown
    /// field or an operator the field's type does not take.
    pub fn parse(ev: Event, text: &str) -> Result<Filter, Errno> {
        let toks = tokenize(text)?;
        let mut p = Parser { toks: &toks, at: 0, ev };
        let expr = p.or()?;
        if p.at != toks.len() {
            return Err(EINVAL);
        }
        Ok(Filter { text: String::from(text.trim()), expr })
    }

    /// Whether the record of `pid` with `payload` passes.
    pub fn matches(&self, pid: u32, payload: &Payload) -> bool {
        eval(&self.expr, pid, payload)
    }
}

fn eval(e: &Expr, pid: u32, p: &Payload) -> bool {
    match e {
        Expr::And(a, b) => eval(a, pid, p) && eval(b, pid, p),
        Expr::Or(a, b) => eval(a, pid, p) || eval(b, pid, p),
        Expr::Pred { field, op, value } => {
            let v = if field == "common_pid" { Some(Value::Int(pid as i64)) } else { p.field(field) };
            match (v, value) {
                (Some(Value::Int(v)), Operand::Int(w)) => match op {
                    Op::Eq => v == *w,
                    Op::Ne => v != *w,
                    Op::Lt => v < *w,
                    Op::Le => v <= *w,
                    Op::Gt => v > *w,
                    Op::Ge => v >= *w,
                    Op::And => v & *w != 0,
                    Op::Glob => false,
                },
                (Some(Value::Str(s)), Operand::Str(w)) => {
                    let s = &s[..s.iter().position(|&c| c == 0).unwrap_or(s.len())];
                    match op {
                        Op::Eq => s == &w[..],
                        Op::Ne => s != &w[..],
                        Op::Glob => glob(s, w),
                        _ => false,
                    }
                }
                _ => false,
            }
        }
    }
}

/// `*x`, `x*`, `*x*` or `x` (Linux: the regex_type of filter_parse_regex()).
fn glob(s: &[u8], pat: &[u8]) -> bool {
    let (front, pat) = match pat.strip_prefix(b"*") {
        Some(rest) => (true, rest),
        None => (false, pat),
    };
    let (back, pat) = match pat.strip_suffix(b"*") {
        Some(rest) => (true, rest),
        None => (false, pat),
    };
    match (front, back) {
        (false, false) => s == pat,
        (false, true) => s.starts_with(pat),
        (true, false) => s.ends_with(pat),
        (true, true) => pat.is_empty() || s.windows(pat.len()).any(|w| w == pat),
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Tok {
    Word(String),
    Quoted(Vec<u8>),
    Op(Op),
    AndAnd,
    OrOr,
    Open,
    Close,
}

fn tokenize(text: &str) -> Result<Vec<Tok>, Errno> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let two = b.get(i..i + 2).unwrap_or(&[]);
        let (tok, len) = match (c, two) {
            (c, _) if c.is_ascii_whitespace() => {
                i += 1;
                continue;
            }
            (_, b"&&") => (Tok::AndAnd, 2),
            (_, b"||") => (Tok::OrOr, 2),
            (_, b"==") => (Tok::Op(Op::Eq), 2),
            (_, b"!=") => (Tok::Op(Op::Ne), 2),
            (_, b"<=") => (Tok::Op(Op::Le), 2),
            (_, b">=") => (Tok::Op(Op::Ge), 2),
            (b'<', _) => (Tok::Op(Op::Lt), 1),
            (b'>', _) => (Tok::Op(Op::Gt), 1),
            (b'&', _) => (Tok::Op(Op::And), 1),
            (b'~', _) => (Tok::Op(Op::Glob), 1),
            (b'(', _) => (Tok::Open, 1),
            (b')', _) => (Tok::Close, 1),
            (b'"' | b'\'', _) => {
                let end = b[i + 1..].iter().position(|&d| d == c).ok_or(EINVAL)?;
                out.push(Tok::Quoted(b[i + 1..i + 1 + end].to_vec()));
                i += end + 2;
                continue;
            }
            _ => {
                let len = b[i..]
                    .iter()
                    .position(|&d| d.is_ascii_whitespace() || b"=!<>&|~()\"'".contains(&d))
                    .unwrap_or(b.len() - i);
                if len == 0 {
                    return Err(EINVAL);
                }
                (Tok::Word(String::from(&text[i..i + len])), len)
            }
        };
        out.push(tok);
        i += len;
    }
    Ok(out)
}

struct Parser<'t> {
    toks: &'t [Tok],
    at: usize,
    ev: Event,
}

impl Parser<'_> {
    fn next(&mut self) -> Option<&Tok> {
        let t = self.toks.get(self.at);
        self.at += 1;
        t
    }

    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at)
    }

    fn or(&mut self) -> Result<Expr, Errno> {
        let mut e = self.and()?;
        while self.peek() == Some(&Tok::OrOr) {
            self.at += 1;
            e = Expr::Or(Box::new(e), Box::new(self.and()?));
        }
        Ok(e)
    }

    fn and(&mut self) -> Result<Expr, Errno> {
        let mut e = self.primary()?;
        while self.peek() == Some(&Tok::AndAnd) {
            self.at += 1;
            e = Expr::And(Box::new(e), Box::new(self.primary()?));
        }
        Ok(e)
    }

    fn primary(&mut self) -> Result<Expr, Errno> {
        match self.next() {
            Some(Tok::Open) => {
                let e = self.or()?;
                match self.next() {
                    Some(Tok::Close) => Ok(e),
                    _ => Err(EINVAL),
                }
            }
            Some(Tok::Word(field)) => {
                let field = field.clone();
                let Some(Tok::Op(op)) = self.next().cloned() else { return Err(EINVAL) };
                let string = match field.as_str() {
                    "common_pid" => false,
                    f => {
                        let def = self.ev.def().fields.iter().find(|d| d.name == f).ok_or(EINVAL)?;
                        def.ty.starts_with("char") || def.ty.starts_with("__data_loc char")
                    }
                };
                let value = match (self.next(), string) {
                    (Some(Tok::Word(w)), true) => Operand::Str(w.as_bytes().to_vec()),
                    (Some(Tok::Quoted(q)), true) => Operand::Str(q.clone()),
                    (Some(Tok::Word(w)), false) => Operand::Int(number(w)?),
                    _ => return Err(EINVAL),
                };
                let fits = if string { matches!(op, Op::Eq | Op::Ne | Op::Glob) } else { op != Op::Glob };
                if !fits {
                    return Err(EINVAL);
                }
                Ok(Expr::Pred { field, op, value })
            }
            _ => Err(EINVAL),
        }
    }
}

/// A number as kstrtoll(…, 0) reads it, with an optional minus sign.
fn number(w: &str) -> Result<i64, Errno> {
    let (neg, w) = match w.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, w),
    };
    let v = if let Some(h) = w.strip_prefix("0x").or_else(|| w.strip_prefix("0X")) {
        u64::from_str_radix(h, 16)
    } else if w.len() > 1 && w.starts_with('0') {
        u64::from_str_radix(&w[1..], 8)
    } else {
        w.parse::<u64>()
    }
    .map_err(|_| EINVAL)? as i64;
    Ok(if neg { v.wrapping_neg() } else { v })
}
