//! Lexer and recursive-descent parser. Precedence, loosest first:
//! `||`/`or`, `^^`/`xor`, `&&`/`and`, `!`/`not`, then relations.

use crate::ast::{CmpOp, Expr, Func, Operand, Range, SetItem};
use crate::error::FilterError;

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Str(Vec<u8>),
    Slice(String),
    Sym(&'static str),
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    pos: usize,
    len: usize,
}

const SYMBOLS: &[&str] = &[
    "===", "!==", "==", "!=", "~=", "<=", ">=", "&&", "||", "^^", "..", "<", ">", "!", "&", "(",
    ")", "{", "}", ",", "~",
];

fn word_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b':' | b'/' | b'-')
}

fn lex(s: &str) -> Result<Vec<Token>, FilterError> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        if c == b'"' {
            let (bytes, end) = string(b, i)?;
            out.push(Token {
                tok: Tok::Str(bytes),
                pos: start,
                len: end - start,
            });
            i = end;
            continue;
        }
        if c == b'[' {
            let end = b[i..]
                .iter()
                .position(|&x| x == b']')
                .map(|e| i + e)
                .ok_or_else(|| FilterError::new("unbalanced bracket: \"[\" without \"]\"", i, 1))?;
            out.push(Token {
                tok: Tok::Slice(s[i + 1..end].to_string()),
                pos: i,
                len: end + 1 - i,
            });
            i = end + 1;
            continue;
        }
        if word_char(c) && !(c == b'.' && b.get(i + 1) == Some(&b'.')) {
            while i < b.len() && word_char(b[i]) && !(b[i] == b'.' && b.get(i + 1) == Some(&b'.')) {
                i += 1;
            }
            out.push(Token {
                tok: Tok::Word(s[start..i].to_string()),
                pos: start,
                len: i - start,
            });
            continue;
        }
        if let Some(sym) = SYMBOLS
            .iter()
            .find(|sym| b[i..].starts_with(sym.as_bytes()))
        {
            out.push(Token {
                tok: Tok::Sym(sym),
                pos: i,
                len: sym.len(),
            });
            i += sym.len();
            continue;
        }
        let ch = s[i..].chars().next().unwrap_or('?');
        return Err(FilterError::new(
            format!("unexpected character \"{ch}\""),
            i,
            ch.len_utf8(),
        ));
    }
    Ok(out)
}

/// A quoted string starting at `b[i] == '"'`: its bytes and the end offset.
fn string(b: &[u8], i: usize) -> Result<(Vec<u8>, usize), FilterError> {
    let mut out = Vec::new();
    let mut j = i + 1;
    while j < b.len() {
        match b[j] {
            b'"' => return Ok((out, j + 1)),
            b'\\' => {
                let e = *b
                    .get(j + 1)
                    .ok_or_else(|| FilterError::new("unterminated string", i, b.len() - i))?;
                j += 2;
                match e {
                    b'n' => out.push(b'\n'),
                    b't' => out.push(b'\t'),
                    b'r' => out.push(b'\r'),
                    b'a' => out.push(7),
                    b'b' => out.push(8),
                    b'f' => out.push(12),
                    b'v' => out.push(11),
                    b'x' => {
                        let hex: Vec<u8> = b[j..]
                            .iter()
                            .take(2)
                            .take_while(|c| c.is_ascii_hexdigit())
                            .copied()
                            .collect();
                        if hex.is_empty() {
                            return Err(FilterError::new("\\x needs hexadecimal digits", j - 2, 2));
                        }
                        out.push(
                            u8::from_str_radix(std::str::from_utf8(&hex).unwrap_or("0"), 16)
                                .unwrap_or(0),
                        );
                        j += hex.len();
                    }
                    b'0'..=b'7' => {
                        let oct: Vec<u8> = b[j - 1..]
                            .iter()
                            .take(3)
                            .take_while(|c| (b'0'..=b'7').contains(c))
                            .copied()
                            .collect();
                        let v = u16::from_str_radix(std::str::from_utf8(&oct).unwrap_or("0"), 8)
                            .unwrap_or(0);
                        if v > 255 {
                            return Err(FilterError::new(
                                "octal escape above \\377",
                                j - 2,
                                oct.len() + 1,
                            ));
                        }
                        out.push(v as u8);
                        j += oct.len() - 1;
                    }
                    other => out.push(other),
                }
            }
            c => {
                out.push(c);
                j += 1;
            }
        }
    }
    Err(FilterError::new(
        "unterminated string: \" without a closing \"",
        i,
        b.len() - i,
    ))
}

fn parse_slice(text: &str, pos: usize) -> Result<Vec<Range>, FilterError> {
    let bad = || FilterError::new(format!("invalid slice [{text}]"), pos, text.len() + 2);
    let num = |s: &str| s.trim().parse::<i64>().map_err(|_| bad());
    let mut out = Vec::new();
    for part in text.split(',') {
        let part = part.trim();
        if part.is_empty() {
            return Err(bad());
        }
        let r = if let Some((a, b)) = part.split_once(':') {
            let start = if a.trim().is_empty() { 0 } else { num(a)? };
            let len = if b.trim().is_empty() {
                None
            } else {
                Some(b.trim().parse::<u64>().map_err(|_| bad())?)
            };
            Range::Len { start, len }
        } else if let Some(k) = part
            .char_indices()
            .skip(1)
            .find(|(_, c)| *c == '-')
            .map(|(k, _)| k)
        {
            Range::Span {
                start: num(&part[..k])?,
                end: num(&part[k + 1..])?,
            }
        } else {
            Range::One(num(part)?)
        };
        out.push(r);
    }
    Ok(out)
}

/// Binary operators, loosest first: symbol, keyword, node.
type Make = fn(Box<Expr>, Box<Expr>) -> Expr;
const LEVELS: [(&str, &str, Make); 3] = [
    ("||", "or", Expr::Or),
    ("^^", "xor", Expr::Xor),
    ("&&", "and", Expr::And),
];

struct Parser<'a> {
    toks: Vec<Token>,
    at: usize,
    text: &'a str,
}

fn keyword_cmp(w: &str) -> Option<CmpOp> {
    Some(match w {
        "eq" | "any_eq" => CmpOp::Eq,
        "ne" | "all_ne" => CmpOp::Ne,
        "all_eq" => CmpOp::AllEq,
        "any_ne" => CmpOp::AnyNe,
        "lt" => CmpOp::Lt,
        "gt" => CmpOp::Gt,
        "le" => CmpOp::Le,
        "ge" => CmpOp::Ge,
        _ => return None,
    })
}

fn sym_cmp(s: &str) -> Option<CmpOp> {
    Some(match s {
        "==" => CmpOp::Eq,
        "!=" => CmpOp::Ne,
        "===" => CmpOp::AllEq,
        "!==" | "~=" => CmpOp::AnyNe,
        "<" => CmpOp::Lt,
        ">" => CmpOp::Gt,
        "<=" => CmpOp::Le,
        ">=" => CmpOp::Ge,
        _ => return None,
    })
}

const KEYWORDS: &[&str] = &[
    "and", "or", "not", "xor", "in", "contains", "matches", "eq", "ne", "lt", "gt", "le", "ge",
    "any_eq", "all_ne", "all_eq", "any_ne",
];

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.toks.get(self.at)
    }
    fn is_sym(&self, s: &str) -> bool {
        matches!(self.peek(), Some(Token { tok: Tok::Sym(x), .. }) if *x == s)
    }
    fn is_word(&self, w: &str) -> bool {
        matches!(self.peek(), Some(Token { tok: Tok::Word(x), .. }) if x == w)
    }
    fn end_pos(&self) -> usize {
        self.text.len()
    }
    fn unexpected(&self) -> FilterError {
        match self.peek() {
            Some(t) => FilterError::new(
                format!(
                    "\"{}\" was unexpected here",
                    &self.text[t.pos..t.pos + t.len]
                ),
                t.pos,
                t.len,
            ),
            None => FilterError::new("the filter ends too early", self.end_pos(), 1),
        }
    }

    /// The binary operators at `level` and tighter ones (see [`LEVELS`]).
    fn binary(&mut self, level: usize) -> Result<Expr, FilterError> {
        let Some(&(sym, word, make)) = LEVELS.get(level) else {
            return self.unary();
        };
        let mut e = self.binary(level + 1)?;
        while self.is_sym(sym) || self.is_word(word) {
            self.at += 1;
            e = make(Box::new(e), Box::new(self.binary(level + 1)?));
        }
        Ok(e)
    }
    fn unary(&mut self) -> Result<Expr, FilterError> {
        if self.is_sym("!") || self.is_word("not") {
            self.at += 1;
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        if self.is_sym("(") {
            let open = self.peek().map_or(0, |t| t.pos);
            self.at += 1;
            let e = self.binary(0)?;
            if !self.is_sym(")") {
                return Err(match self.peek() {
                    None => {
                        FilterError::new("unbalanced parenthesis: \"(\" without \")\"", open, 1)
                    }
                    Some(_) => self.unexpected(),
                });
            }
            self.at += 1;
            return Ok(e);
        }
        self.relation()
    }

    fn relation(&mut self) -> Result<Expr, FilterError> {
        let lhs = self.operand()?;
        let Some(t) = self.peek().cloned() else {
            return Ok(Expr::Test(lhs));
        };
        let op = match &t.tok {
            Tok::Sym(s) => sym_cmp(s),
            Tok::Word(w) => keyword_cmp(w),
            _ => None,
        };
        if let Some(op) = op {
            self.at += 1;
            let rhs = self.operand()?;
            return Ok(Expr::Cmp(lhs, op, rhs));
        }
        if self.is_word("in") {
            self.at += 1;
            return Ok(Expr::In(lhs, self.set()?));
        }
        if self.is_word("not")
            && matches!(self.toks.get(self.at + 1), Some(Token { tok: Tok::Word(w), .. }) if w == "in")
        {
            self.at += 2;
            return Ok(Expr::Not(Box::new(Expr::In(lhs, self.set()?))));
        }
        if self.is_word("contains") {
            self.at += 1;
            return Ok(Expr::Contains(lhs, self.operand()?));
        }
        if self.is_word("matches") || self.is_sym("~") {
            self.at += 1;
            return Ok(Expr::Matches(lhs, self.operand()?));
        }
        Ok(Expr::Test(lhs))
    }

    fn set(&mut self) -> Result<Vec<SetItem>, FilterError> {
        if !self.is_sym("{") {
            return Err(match self.peek() {
                None => FilterError::new("\"in\" needs a set: {…}", self.end_pos(), 1),
                Some(_) => self.unexpected(),
            });
        }
        let open = self.peek().map_or(0, |t| t.pos);
        self.at += 1;
        let mut items = Vec::new();
        loop {
            if self.is_sym("}") {
                self.at += 1;
                break;
            }
            if self.peek().is_none() {
                return Err(FilterError::new(
                    "unbalanced brace: \"{\" without \"}\"",
                    open,
                    1,
                ));
            }
            let a = self.term()?;
            if self.is_sym("..") {
                self.at += 1;
                items.push(SetItem::Range(a, self.term()?));
            } else {
                items.push(SetItem::One(a));
            }
            if self.is_sym(",") {
                self.at += 1;
            }
        }
        if items.is_empty() {
            return Err(FilterError::new("empty set", open, 2));
        }
        Ok(items)
    }

    fn operand(&mut self) -> Result<Operand, FilterError> {
        let mut o = self.term()?;
        while self.is_sym("&") {
            self.at += 1;
            o = Operand::BitAnd(Box::new(o), Box::new(self.term()?));
        }
        Ok(o)
    }

    fn term(&mut self) -> Result<Operand, FilterError> {
        let Some(t) = self.peek().cloned() else {
            return Err(FilterError::new(
                "the filter ends too early: a field or value is missing",
                self.end_pos(),
                1,
            ));
        };
        match t.tok {
            Tok::Str(bytes) => {
                self.at += 1;
                Ok(Operand::Str { bytes, pos: t.pos })
            }
            Tok::Word(w) if KEYWORDS.contains(&w.as_str()) => Err(self.unexpected()),
            Tok::Word(w) => {
                self.at += 1;
                if let Some(func) = Func::parse(&w)
                    && self.is_sym("(")
                {
                    self.at += 1;
                    let arg = self.operand()?;
                    if !self.is_sym(")") {
                        return Err(match self.peek() {
                            None => FilterError::new(
                                "unbalanced parenthesis: \"(\" without \")\"",
                                t.pos + w.len(),
                                1,
                            ),
                            Some(_) => self.unexpected(),
                        });
                    }
                    self.at += 1;
                    return Ok(Operand::Call {
                        func,
                        arg: Box::new(arg),
                        pos: t.pos,
                    });
                }
                let mut slice = Vec::new();
                if let Some(Token {
                    tok: Tok::Slice(s),
                    pos,
                    ..
                }) = self.peek().cloned()
                {
                    self.at += 1;
                    slice = parse_slice(&s, pos)?;
                }
                Ok(Operand::Name {
                    name: w,
                    slice,
                    pos: t.pos,
                })
            }
            _ => Err(self.unexpected()),
        }
    }
}

/// Parses a filter into its syntax tree.
pub fn parse(text: &str) -> Result<Expr, FilterError> {
    let toks = lex(text)?;
    if toks.is_empty() {
        return Err(FilterError::new("empty filter", 0, 1));
    }
    let mut p = Parser { toks, at: 0, text };
    let e = p.binary(0)?;
    if p.peek().is_some() {
        return Err(if p.is_sym(")") {
            let t = p.peek().expect("peeked");
            FilterError::new("unbalanced parenthesis: \")\" without \"(\"", t.pos, 1)
        } else {
            p.unexpected()
        });
    }
    Ok(e)
}
