//! The syntax tree of a display filter, before names are resolved, and its
//! canonical text (printing and parsing it back gives the same tree).

use std::fmt;

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// `==`, `eq`, `any_eq`: some occurrence equals.
    Eq,
    /// `!=`, `ne`, `all_ne`: the field is present and no occurrence equals.
    Ne,
    /// `===`, `all_eq`: present, and every occurrence equals.
    AllEq,
    /// `!==`, `~=`, `any_ne`: some occurrence differs.
    AnyNe,
    Lt,
    Gt,
    Le,
    Ge,
}

impl CmpOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::AllEq => "===",
            CmpOp::AnyNe => "!==",
            CmpOp::Lt => "<",
            CmpOp::Gt => ">",
            CmpOp::Le => "<=",
            CmpOp::Ge => ">=",
        }
    }
}

/// Functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Func {
    Len,
    Lower,
    Upper,
    Count,
}

impl Func {
    pub fn name(self) -> &'static str {
        match self {
            Func::Len => "len",
            Func::Lower => "lower",
            Func::Upper => "upper",
            Func::Count => "count",
        }
    }
    pub fn parse(s: &str) -> Option<Func> {
        Some(match s {
            "len" => Func::Len,
            "lower" => Func::Lower,
            "upper" => Func::Upper,
            "count" => Func::Count,
            _ => return None,
        })
    }
}

/// One range of a slice `[…]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Range {
    /// `[i]`
    One(i64),
    /// `[i:n]`, `[:n]` (start 0), `[i:]` (to the end: `len` None).
    Len { start: i64, len: Option<u64> },
    /// `[i-j]`: bytes i to j inclusive.
    Span { start: i64, end: i64 },
}

/// An operand: a name (field, protocol, or a bare literal: what it is
/// becomes known when names are resolved), a quoted string, a function
/// call, or `a & b`.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Name {
        name: String,
        slice: Vec<Range>,
        pos: usize,
    },
    Str {
        bytes: Vec<u8>,
        pos: usize,
    },
    Call {
        func: Func,
        arg: Box<Operand>,
        pos: usize,
    },
    BitAnd(Box<Operand>, Box<Operand>),
}

impl Operand {
    pub fn pos(&self) -> usize {
        match self {
            Operand::Name { pos, .. } | Operand::Str { pos, .. } | Operand::Call { pos, .. } => {
                *pos
            }
            Operand::BitAnd(a, _) => a.pos(),
        }
    }
}

/// A member of an `in` set: a value or an inclusive range `lo..hi`.
#[derive(Debug, Clone, PartialEq)]
pub enum SetItem {
    One(Operand),
    Range(Operand, Operand),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Or(Box<Expr>, Box<Expr>),
    Xor(Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    /// A bare operand: the field or protocol is present (or `a & b` is non-zero).
    Test(Operand),
    Cmp(Operand, CmpOp, Operand),
    In(Operand, Vec<SetItem>),
    Contains(Operand, Operand),
    Matches(Operand, Operand),
}

impl Expr {
    /// The same tree with every position zeroed (to compare trees parsed
    /// from different texts).
    pub fn without_positions(&self) -> Expr {
        fn op(o: &Operand) -> Operand {
            match o {
                Operand::Name { name, slice, .. } => Operand::Name {
                    name: name.clone(),
                    slice: slice.clone(),
                    pos: 0,
                },
                Operand::Str { bytes, .. } => Operand::Str {
                    bytes: bytes.clone(),
                    pos: 0,
                },
                Operand::Call { func, arg, .. } => Operand::Call {
                    func: *func,
                    arg: Box::new(op(arg)),
                    pos: 0,
                },
                Operand::BitAnd(a, b) => Operand::BitAnd(Box::new(op(a)), Box::new(op(b))),
            }
        }
        let b = |e: &Expr| Box::new(e.without_positions());
        match self {
            Expr::Or(a, c) => Expr::Or(b(a), b(c)),
            Expr::Xor(a, c) => Expr::Xor(b(a), b(c)),
            Expr::And(a, c) => Expr::And(b(a), b(c)),
            Expr::Not(a) => Expr::Not(b(a)),
            Expr::Test(o) => Expr::Test(op(o)),
            Expr::Cmp(l, c, r) => Expr::Cmp(op(l), *c, op(r)),
            Expr::In(l, set) => Expr::In(
                op(l),
                set.iter()
                    .map(|i| match i {
                        SetItem::One(o) => SetItem::One(op(o)),
                        SetItem::Range(x, y) => SetItem::Range(op(x), op(y)),
                    })
                    .collect(),
            ),
            Expr::Contains(l, r) => Expr::Contains(op(l), op(r)),
            Expr::Matches(l, r) => Expr::Matches(op(l), op(r)),
        }
    }
}

fn write_str_lit(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    f.write_str("\"")?;
    for &b in bytes {
        match b {
            b'"' => f.write_str("\\\"")?,
            b'\\' => f.write_str("\\\\")?,
            0x20..=0x7e => write!(f, "{}", b as char)?,
            _ => write!(f, "\\x{b:02x}")?,
        }
    }
    f.write_str("\"")
}

impl fmt::Display for Range {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Range::One(i) => write!(f, "{i}"),
            Range::Len {
                start,
                len: Some(n),
            } => write!(f, "{start}:{n}"),
            Range::Len { start, len: None } => write!(f, "{start}:"),
            Range::Span { start, end } => write!(f, "{start}-{end}"),
        }
    }
}

impl fmt::Display for Operand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Operand::Name { name, slice, .. } => {
                f.write_str(name)?;
                if !slice.is_empty() {
                    f.write_str("[")?;
                    for (i, r) in slice.iter().enumerate() {
                        if i > 0 {
                            f.write_str(",")?;
                        }
                        write!(f, "{r}")?;
                    }
                    f.write_str("]")?;
                }
                Ok(())
            }
            Operand::Str { bytes, .. } => write_str_lit(f, bytes),
            Operand::Call { func, arg, .. } => write!(f, "{}({arg})", func.name()),
            Operand::BitAnd(a, b) => write!(f, "{a} & {b}"),
        }
    }
}

impl fmt::Display for Expr {
    /// Fully parenthesised, so the text parses back to the same tree.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Or(a, b) => write!(f, "({a} || {b})"),
            Expr::Xor(a, b) => write!(f, "({a} ^^ {b})"),
            Expr::And(a, b) => write!(f, "({a} && {b})"),
            Expr::Not(a) => write!(f, "!{a}"),
            Expr::Test(o) => write!(f, "{o}"),
            Expr::Cmp(l, op, r) => write!(f, "{l} {} {r}", op.symbol()),
            Expr::In(l, set) => {
                write!(f, "{l} in {{")?;
                for (i, item) in set.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    match item {
                        SetItem::One(o) => write!(f, "{o}")?,
                        SetItem::Range(a, b) => write!(f, "{a} .. {b}")?,
                    }
                }
                f.write_str("}")
            }
            Expr::Contains(l, r) => write!(f, "{l} contains {r}"),
            Expr::Matches(l, r) => write!(f, "{l} matches {r}"),
        }
    }
}
