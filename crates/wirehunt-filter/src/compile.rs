//! Names resolved against the field registry, literals read by the type of
//! the field they meet, and evaluation over one frame with Wireshark's
//! rules for fields that occur several times.

use std::net::{Ipv4Addr, Ipv6Addr};

use regex::bytes::{Regex, RegexBuilder};
use wirehunt_dissect::Proto;
use wirehunt_fields::registry::Kind;
use wirehunt_fields::{Field, FrameCtx, Needs, Value};

use crate::ast::{CmpOp, Expr, Func, Operand, Range, SetItem};
use crate::error::{FilterError, closest};

/// Protocols usable as fields (existence, `contains`, slices).
const PROTOCOLS: &[(&str, &[Proto])] = &[
    ("eth", &[Proto::Ethernet]),
    ("vlan", &[Proto::Vlan]),
    ("sll", &[Proto::Sll, Proto::Sll2]),
    ("null", &[Proto::Null]),
    ("mpls", &[Proto::Mpls]),
    ("arp", &[Proto::Arp]),
    ("ip", &[Proto::Ipv4, Proto::Ipv4Bogus]),
    ("ipv6", &[Proto::Ipv6]),
    ("tcp", &[Proto::Tcp]),
    ("udp", &[Proto::Udp]),
    ("icmp", &[Proto::Icmp]),
    ("icmpv6", &[Proto::Icmpv6]),
    ("gre", &[Proto::Gre]),
    ("vxlan", &[Proto::Vxlan]),
    ("teredo", &[Proto::Teredo]),
    ("dns", &[Proto::Dns]),
    ("mdns", &[Proto::Dns]),
    ("llmnr", &[Proto::Dns]),
    ("tls", &[Proto::Tls]),
    ("http", &[Proto::Http]),
    ("ssdp", &[Proto::Http]),
];

/// The type of a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ty {
    Int,
    Bool,
    Ipv4,
    Ipv6,
    /// Text fields (strings).
    Text,
    /// Byte strings: MAC addresses, slices, protocols.
    Bytes,
    Time,
}

impl Ty {
    fn name(self) -> &'static str {
        match self {
            Ty::Int => "an integer",
            Ty::Bool => "a boolean",
            Ty::Ipv4 => "an IPv4 address",
            Ty::Ipv6 => "an IPv6 address",
            Ty::Text => "a string",
            Ty::Bytes => "a byte string",
            Ty::Time => "a time",
        }
    }
    fn bytes_like(self) -> bool {
        matches!(self, Ty::Text | Ty::Bytes)
    }
}

#[derive(Debug, Clone)]
enum Src {
    Field(&'static Field),
    Frame,
    /// Wireshark's protocol name, and the layers that can carry it.
    Proto(&'static str, &'static [Proto]),
}

/// A literal, read for the type of the other side.
#[derive(Debug, Clone, PartialEq)]
enum Lit {
    Int(u64),
    /// Address and prefix length.
    Ip4(u32, u8),
    Ip6(u128, u8),
    Bytes(Vec<u8>),
    Time(i64),
}

#[derive(Debug, Clone)]
enum Val {
    Src { src: Src, slice: Vec<Range> },
    Call(Func, Box<Val>),
    BitAnd(Box<Val>, Box<Val>),
    Lit(Lit),
}

#[derive(Debug, Clone)]
enum Node {
    Or(Box<Node>, Box<Node>),
    Xor(Box<Node>, Box<Node>),
    And(Box<Node>, Box<Node>),
    Not(Box<Node>),
    Exists(Src),
    NonZero(Val),
    Cmp(Val, CmpOp, Val),
    In(Val, Vec<(Lit, Option<Lit>)>),
    Contains(Val, Val),
    Matches(Val, Regex),
}

/// A compiled display filter.
#[derive(Debug, Clone)]
pub struct Filter {
    root: Node,
    text: String,
}

fn field_kind_ty(k: Kind) -> Ty {
    match k {
        Kind::Uint => Ty::Int,
        Kind::Bool => Ty::Bool,
        Kind::Text => Ty::Text,
        Kind::Ipv4 => Ty::Ipv4,
        Kind::Ipv6 => Ty::Ipv6,
        Kind::Mac | Kind::Protocol => Ty::Bytes,
        Kind::Time => Ty::Time,
    }
}

fn resolve(name: &str) -> Option<Src> {
    if name == "frame" {
        return Some(Src::Frame);
    }
    if let Some(f) = wirehunt_fields::lookup(name) {
        return Some(Src::Field(f));
    }
    PROTOCOLS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(n, p)| Src::Proto(n, p))
}

fn looks_like_field(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.')
        && name.contains(|c: char| c.is_ascii_alphabetic())
}

fn unknown(name: &str, pos: usize) -> FilterError {
    let names = wirehunt_fields::all()
        .iter()
        .map(|f| f.name)
        .chain(PROTOCOLS.iter().map(|(n, _)| *n))
        .chain(std::iter::once("frame"));
    let mut e = FilterError::new(
        format!("\"{name}\" is not a field or protocol wirehunt knows"),
        pos,
        name.len(),
    );
    e.suggestion = closest(name, names).map(String::from);
    e
}

/// The value side of an operand (a field, protocol, function or `a & b`).
fn value(o: &Operand) -> Result<(Val, Ty), FilterError> {
    match o {
        Operand::Name { name, slice, pos } => {
            let Some(src) = resolve(name) else {
                return Err(if looks_like_field(name) {
                    unknown(name, *pos)
                } else {
                    FilterError::new(
                        format!("a field, protocol or function is needed here, not \"{name}\""),
                        *pos,
                        name.len(),
                    )
                });
            };
            let ty = match &src {
                Src::Field(f) => field_kind_ty(f.kind),
                Src::Frame | Src::Proto(..) => Ty::Bytes,
            };
            if !slice.is_empty() && matches!(ty, Ty::Int | Ty::Bool | Ty::Time) {
                return Err(FilterError::new(
                    format!("\"{name}\" is {}: it cannot be sliced", ty.name()),
                    *pos,
                    name.len(),
                ));
            }
            let ty = if slice.is_empty() { ty } else { Ty::Bytes };
            Ok((
                Val::Src {
                    src,
                    slice: slice.clone(),
                },
                ty,
            ))
        }
        Operand::Str { pos, .. } => Err(FilterError::new(
            "a field, protocol or function is needed here, not a string",
            *pos,
            1,
        )),
        Operand::Call { func, arg, pos } => {
            let (v, ty) = value(arg)?;
            let ok = match func {
                Func::Count => matches!(
                    v,
                    Val::Src {
                        src: Src::Field(_),
                        ..
                    }
                ),
                Func::Len => ty.bytes_like() || matches!(ty, Ty::Ipv4 | Ty::Ipv6),
                Func::Lower | Func::Upper => ty == Ty::Text,
            };
            if !ok {
                let what = match func {
                    Func::Count => "a field",
                    Func::Len => "a string, byte or address field, a protocol or a slice",
                    Func::Lower | Func::Upper => "a string field",
                };
                return Err(FilterError::new(
                    format!("{}() takes {what}", func.name()),
                    *pos,
                    func.name().len(),
                ));
            }
            let out = match func {
                Func::Count | Func::Len => Ty::Int,
                _ => Ty::Text,
            };
            Ok((Val::Call(*func, Box::new(v)), out))
        }
        Operand::BitAnd(a, b) => {
            let (va, ta) = value(a)?;
            if !matches!(ta, Ty::Int | Ty::Bool | Ty::Bytes) {
                return Err(FilterError::new(
                    format!("\"&\" needs an integer field or bytes, not {}", ta.name()),
                    a.pos(),
                    1,
                ));
            }
            let vb = match value(b) {
                Ok((v, Ty::Int | Ty::Bool)) => v,
                Ok(_) => return Err(FilterError::new("\"&\" needs an integer", b.pos(), 1)),
                Err(_) => Val::Lit(literal(b, Ty::Int)?),
            };
            Ok((Val::BitAnd(Box::new(va), Box::new(vb)), Ty::Int))
        }
    }
}

fn parse_int(s: &str) -> Option<u64> {
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        u64::from_str_radix(h, 16).ok()
    } else if let Some(b) = s.strip_prefix("0b") {
        u64::from_str_radix(b, 2).ok()
    } else if s.len() > 1 && s.starts_with('0') {
        u64::from_str_radix(&s[1..], 8).ok()
    } else {
        s.parse().ok()
    }
}

/// `aa:bb:cc`, `aa-bb-cc`, `aabb.ccdd`, or an even run of hex digits.
fn parse_bytes(s: &str) -> Option<Vec<u8>> {
    let hex = |t: &str| -> Option<Vec<u8>> {
        if t.is_empty() || !t.len().is_multiple_of(2) || !t.bytes().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        (0..t.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&t[i..i + 2], 16).ok())
            .collect()
    };
    for sep in [':', '-', '.'] {
        if s.contains(sep) {
            let mut out = Vec::new();
            for part in s.split(sep) {
                let part = if part.len() == 1 {
                    format!("0{part}")
                } else {
                    part.to_string()
                };
                out.extend(hex(&part)?);
            }
            return Some(out);
        }
    }
    hex(s)
}

fn net<const B: u8>(s: &str) -> Option<(&str, u8)> {
    match s.split_once('/') {
        Some((a, p)) => p.parse::<u8>().ok().filter(|p| *p <= B).map(|p| (a, p)),
        None => Some((s, B)),
    }
}

/// Reads a literal for a value of type `ty`.
fn literal(o: &Operand, ty: Ty) -> Result<Lit, FilterError> {
    let (text, pos, quoted) = match o {
        Operand::Name { name, slice, pos } if slice.is_empty() => {
            (name.as_bytes().to_vec(), *pos, false)
        }
        Operand::Str { bytes, pos } => (bytes.clone(), *pos, true),
        other => return Err(FilterError::new("a value is needed here", other.pos(), 1)),
    };
    let s = String::from_utf8_lossy(&text).into_owned();
    let bad = |what: &str| {
        FilterError::new(
            format!("\"{s}\" is not {what}"),
            pos,
            s.len() + 2 * usize::from(quoted),
        )
    };
    if quoted && !ty.bytes_like() {
        return Err(bad(&format!(
            "{} (quoted strings are for string fields)",
            ty.name()
        )));
    }
    match ty {
        Ty::Int => parse_int(&s)
            .map(Lit::Int)
            .ok_or_else(|| bad("a valid number")),
        Ty::Bool => match s.as_str() {
            "True" | "1" => Ok(Lit::Int(1)),
            "False" | "0" => Ok(Lit::Int(0)),
            _ => Err(bad("a boolean (True, False, 1 or 0)")),
        },
        Ty::Ipv4 => net::<32>(&s)
            .and_then(|(a, p)| {
                a.parse::<Ipv4Addr>()
                    .ok()
                    .map(|a| Lit::Ip4(u32::from(a), p))
            })
            .ok_or_else(|| bad("an IPv4 address or network")),
        Ty::Ipv6 => net::<128>(&s)
            .and_then(|(a, p)| {
                a.parse::<Ipv6Addr>()
                    .ok()
                    .map(|a| Lit::Ip6(u128::from(a), p))
            })
            .ok_or_else(|| bad("an IPv6 address or network")),
        Ty::Time => s
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .map(|v| Lit::Time((v * 1e9).round() as i64))
            .ok_or_else(|| bad("a time in seconds")),
        Ty::Text => Ok(Lit::Bytes(text)),
        Ty::Bytes => {
            if quoted {
                return Ok(Lit::Bytes(text));
            }
            if let Some(b) = parse_bytes(&s) {
                return Ok(Lit::Bytes(b));
            }
            match parse_int(&s) {
                Some(v) if v <= 0xff => Ok(Lit::Bytes(vec![v as u8])),
                _ => Err(bad("a byte string (like 00:11:22) or a quoted string")),
            }
        }
    }
}

/// The right side of a comparison: a field of a compatible type, or a literal.
fn rhs(o: &Operand, ty: Ty) -> Result<Val, FilterError> {
    let is_value = match o {
        Operand::Name { name, .. } => resolve(name).is_some(),
        Operand::Call { .. } => true,
        _ => false,
    };
    if is_value {
        let (v, t2) = value(o)?;
        let compatible = t2 == ty
            || (ty.bytes_like() && t2.bytes_like())
            || matches!((ty, t2), (Ty::Int, Ty::Bool) | (Ty::Bool, Ty::Int));
        if !compatible {
            return Err(FilterError::new(
                format!("cannot compare {} with {}", ty.name(), t2.name()),
                o.pos(),
                1,
            ));
        }
        return Ok(v);
    }
    if let Operand::BitAnd(..) = o {
        return Ok(value(o)?.0);
    }
    literal(o, ty).map(Val::Lit).map_err(|e| match o {
        Operand::Name { name, pos, .. } if looks_like_field(name) && name.contains('.') => {
            unknown(name, *pos)
        }
        _ => e,
    })
}

/// The left side of `contains` / `matches`: something with bytes.
fn text_side(l: &Operand, op: &str, what: &str) -> Result<Val, FilterError> {
    let (lv, ty) = value(l)?;
    if !ty.bytes_like() {
        return Err(FilterError::new(
            format!("\"{op}\" needs {what}, not {}", ty.name()),
            l.pos(),
            1,
        ));
    }
    Ok(lv)
}

fn compile(e: &Expr) -> Result<Node, FilterError> {
    let b = |e: &Expr| compile(e).map(Box::new);
    Ok(match e {
        Expr::Or(x, y) => Node::Or(b(x)?, b(y)?),
        Expr::Xor(x, y) => Node::Xor(b(x)?, b(y)?),
        Expr::And(x, y) => Node::And(b(x)?, b(y)?),
        Expr::Not(x) => Node::Not(b(x)?),
        Expr::Test(o) => match value(o)? {
            (Val::Src { src, slice }, _) if slice.is_empty() => Node::Exists(src),
            (v @ Val::Src { .. }, _) => Node::NonZero(v),
            (v @ Val::BitAnd(..), _) => Node::NonZero(v),
            (_, _) => {
                return Err(FilterError::new(
                    "a function's result cannot be tested alone: compare it",
                    o.pos(),
                    1,
                ));
            }
        },
        Expr::Cmp(l, op, r) => {
            let (lv, ty) = value(l)?;
            if matches!(op, CmpOp::Lt | CmpOp::Gt | CmpOp::Le | CmpOp::Ge) && ty == Ty::Bool {
                return Err(FilterError::new(
                    "booleans can only be compared for equality",
                    l.pos(),
                    1,
                ));
            }
            Node::Cmp(lv, *op, rhs(r, ty)?)
        }
        Expr::In(l, set) => {
            let (lv, ty) = value(l)?;
            let mut items = Vec::new();
            for it in set {
                items.push(match it {
                    SetItem::One(o) => (literal(o, ty)?, None),
                    SetItem::Range(a, z) => {
                        if !matches!(ty, Ty::Int | Ty::Time | Ty::Ipv4 | Ty::Ipv6) {
                            return Err(FilterError::new(
                                format!(
                                    "ranges need numbers, times or addresses, not {}",
                                    ty.name()
                                ),
                                a.pos(),
                                1,
                            ));
                        }
                        (literal(a, ty)?, Some(literal(z, ty)?))
                    }
                });
            }
            Node::In(lv, items)
        }
        Expr::Contains(l, r) => {
            let lv = text_side(l, "contains", "a string, bytes or a protocol")?;
            Node::Contains(lv, rhs(r, Ty::Bytes)?)
        }
        Expr::Matches(l, r) => {
            let lv = text_side(l, "matches", "a string or a protocol")?;
            let Operand::Str { bytes, pos } = r else {
                return Err(FilterError::new(
                    "\"matches\" needs a quoted regular expression",
                    r.pos(),
                    1,
                ));
            };
            let pat = String::from_utf8_lossy(bytes);
            // Wireshark's matches is case-insensitive unless the pattern says (?-i).
            let re = RegexBuilder::new(&pat)
                .case_insensitive(true)
                .unicode(false)
                .size_limit(1 << 20)
                .build()
                .map_err(|e| {
                    FilterError::new(
                        format!("invalid regular expression: {e}"),
                        *pos,
                        bytes.len() + 2,
                    )
                })?;
            Node::Matches(lv, re)
        }
    })
}

impl Filter {
    /// Parses and checks a filter.
    pub fn new(text: &str) -> Result<Filter, FilterError> {
        let with_text = |mut e: FilterError| {
            e.filter = text.to_string();
            e
        };
        let ast = crate::parse::parse(text).map_err(with_text)?;
        let root = compile(&ast).map_err(with_text)?;
        Ok(Filter {
            root,
            text: text.to_string(),
        })
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// What the filter reads besides the packet's bytes: the union of what
    /// its fields and protocols need ([`wirehunt_fields::needs`]).
    pub fn needs(&self) -> Needs {
        node_needs(&self.root)
    }

    /// Whether the frame passes.
    pub fn matches(&self, ctx: &FrameCtx<'_, '_>) -> bool {
        eval(&self.root, ctx)
    }
}

fn src_needs(s: &Src) -> Needs {
    match s {
        Src::Field(f) => f.needs(),
        Src::Frame => Needs::NONE,
        Src::Proto(name, _) => wirehunt_fields::needs::of_protocol(name),
    }
}

fn val_needs(v: &Val) -> Needs {
    match v {
        Val::Src { src, .. } => src_needs(src),
        Val::Call(_, v) => val_needs(v),
        Val::BitAnd(a, b) => val_needs(a).union(val_needs(b)),
        Val::Lit(_) => Needs::NONE,
    }
}

fn node_needs(n: &Node) -> Needs {
    match n {
        Node::Or(a, b) | Node::Xor(a, b) | Node::And(a, b) => node_needs(a).union(node_needs(b)),
        Node::Not(a) => node_needs(a),
        Node::Exists(s) => src_needs(s),
        Node::NonZero(v) | Node::In(v, _) | Node::Matches(v, _) => val_needs(v),
        Node::Cmp(a, _, b) | Node::Contains(a, b) => val_needs(a).union(val_needs(b)),
    }
}

// ---- evaluation ---------------------------------------------------------

/// One occurrence, in comparable form.
#[derive(Debug, Clone, PartialEq)]
enum Rv {
    Int(u64),
    Ip4(u32),
    Ip6(u128),
    Bytes(Vec<u8>),
    Time(i64),
}

fn from_value(v: Value<'_>) -> Rv {
    match v {
        Value::Uint(x) | Value::Hex(x, _) => Rv::Int(x),
        Value::Bool(b) => Rv::Int(u64::from(b)),
        Value::Ipv4(a) => Rv::Ip4(u32::from(a)),
        Value::Ipv6(a) => Rv::Ip6(u128::from(a)),
        Value::Mac(m) => Rv::Bytes(m.0.to_vec()),
        Value::Seconds(ns) => Rv::Time(ns),
        Value::Text(_) | Value::Name(_) => {
            let mut b = Vec::new();
            v.write_text(&mut b);
            Rv::Bytes(b)
        }
    }
}

fn as_bytes(v: &Rv) -> Vec<u8> {
    match v {
        Rv::Bytes(b) => b.clone(),
        Rv::Ip4(a) => a.to_be_bytes().to_vec(),
        Rv::Ip6(a) => a.to_be_bytes().to_vec(),
        Rv::Int(x) => x.to_be_bytes().to_vec(),
        Rv::Time(t) => t.to_be_bytes().to_vec(),
    }
}

/// Whether layer `i` is protocol `name` (DNS on the mDNS port is `mdns`,
/// not `dns`, as in Wireshark). Layers Wireshark does not dissect (a
/// retransmission's payload, say) are not there.
fn is_proto(ctx: &FrameCtx<'_, '_>, i: usize, name: &str, protos: &[Proto]) -> bool {
    let l = &ctx.pkt.layers()[i];
    protos.contains(&l.proto)
        && (!matches!(l.proto, Proto::Dns | Proto::Http)
            || wirehunt_fields::protocols::app_name(ctx.pkt, i) == name)
        && ctx.dissects(i)
}

/// The HTTP message this frame completes when it spans segments, or the
/// continuation data it carries: Wireshark shows it as the frame's `http`
/// item.
fn reassembled_http<'p>(ctx: &FrameCtx<'_, 'p>, name: &str) -> Option<&'p [u8]> {
    if name == "http" {
        ctx.http_item()
    } else {
        None
    }
}

/// Header bytes of each layer of `protos` (a protocol's own item, as
/// Wireshark's `len(ip)` or `tcp[13]` see it).
fn proto_bytes(ctx: &FrameCtx<'_, '_>, name: &str, protos: &[Proto], out: &mut Vec<Rv>) {
    if let Some(buf) = reassembled_http(ctx, name) {
        out.push(Rv::Bytes(buf.to_vec()));
    }
    let layers = ctx.pkt.layers();
    for (i, l) in layers.iter().enumerate() {
        if !is_proto(ctx, i, name, protos) {
            continue;
        }
        let b = ctx.pkt.bytes(l);
        let header = match l.proto {
            Proto::Ethernet => 14,
            Proto::Ipv4 | Proto::Ipv4Bogus => usize::from(b.first().map_or(0, |v| v & 0x0f)) * 4,
            Proto::Ipv6 => 40,
            Proto::Tcp => usize::from(b.get(12).map_or(0, |v| v >> 4)) * 4,
            Proto::Udp => 8,
            Proto::Arp => 28,
            _ => match layers.get(i + 1) {
                Some(next) if next.start >= l.start => (next.start - l.start) as usize,
                _ => b.len(),
            },
        };
        out.push(Rv::Bytes(b[..header.min(b.len())].to_vec()));
    }
}

fn slice(b: &[u8], ranges: &[Range]) -> Option<Vec<u8>> {
    let n = b.len() as i64;
    let abs = |i: i64| if i < 0 { n + i } else { i };
    let mut out = Vec::new();
    for r in ranges {
        let (s, e) = match *r {
            Range::One(i) => (abs(i), abs(i) + 1),
            Range::Len { start, len } => {
                let s = abs(start);
                (s, len.map_or(n, |l| s + l as i64))
            }
            Range::Span { start, end } => (abs(start), abs(end) + 1),
        };
        if s < 0 || e > n || s >= e {
            return None;
        }
        out.extend_from_slice(&b[s as usize..e as usize]);
    }
    Some(out)
}

fn values(v: &Val, ctx: &FrameCtx<'_, '_>) -> Vec<Rv> {
    match v {
        Val::Lit(l) => vec![lit_value(l)],
        Val::Src { src, slice: ranges } => {
            let mut out = Vec::new();
            match src {
                Src::Field(f) => f.extract(ctx, &mut |x: &Value<'_>| out.push(from_value(*x))),
                Src::Frame => out.push(Rv::Bytes(ctx.frame.data.to_vec())),
                Src::Proto(name, p) => proto_bytes(ctx, name, p, &mut out),
            }
            if ranges.is_empty() {
                out
            } else {
                out.iter()
                    .filter_map(|v| slice(&as_bytes(v), ranges))
                    .map(Rv::Bytes)
                    .collect()
            }
        }
        Val::Call(func, arg) => {
            let inner = values(arg, ctx);
            match func {
                Func::Count => vec![Rv::Int(inner.len() as u64)],
                Func::Len => inner
                    .iter()
                    .map(|v| Rv::Int(as_bytes(v).len() as u64))
                    .collect(),
                Func::Lower => inner
                    .iter()
                    .map(|v| Rv::Bytes(as_bytes(v).to_ascii_lowercase()))
                    .collect(),
                Func::Upper => inner
                    .iter()
                    .map(|v| Rv::Bytes(as_bytes(v).to_ascii_uppercase()))
                    .collect(),
            }
        }
        Val::BitAnd(a, b) => {
            let masks: Vec<u64> = values(b, ctx)
                .iter()
                .filter_map(|m| if let Rv::Int(m) = m { Some(*m) } else { None })
                .collect();
            values(a, ctx)
                .into_iter()
                .filter_map(|v| match v {
                    Rv::Int(x) => Some(x),
                    // Up to eight bytes read as a big-endian number (eth.dst[0] & 1).
                    Rv::Bytes(b) if b.len() <= 8 => {
                        Some(b.iter().fold(0u64, |n, &x| n << 8 | u64::from(x)))
                    }
                    _ => None,
                })
                .flat_map(|x| masks.iter().map(move |m| Rv::Int(x & m)))
                .collect()
        }
    }
}

/// Equality, with networks: an address equals a network containing it.
fn eq(a: &Rv, b: &Rv, lit: Option<&Lit>) -> bool {
    match (a, lit) {
        (Rv::Ip4(x), Some(Lit::Ip4(n, p))) => {
            let mask = if *p == 0 { 0 } else { u32::MAX << (32 - p) };
            x & mask == n & mask
        }
        (Rv::Ip6(x), Some(Lit::Ip6(n, p))) => {
            let mask = if *p == 0 { 0 } else { u128::MAX << (128 - p) };
            x & mask == n & mask
        }
        _ => a == b,
    }
}

fn order(a: &Rv, b: &Rv) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Rv::Int(x), Rv::Int(y)) => Some(x.cmp(y)),
        (Rv::Ip4(x), Rv::Ip4(y)) => Some(x.cmp(y)),
        (Rv::Ip6(x), Rv::Ip6(y)) => Some(x.cmp(y)),
        (Rv::Bytes(x), Rv::Bytes(y)) => Some(x.cmp(y)),
        (Rv::Time(x), Rv::Time(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

fn cmp(op: CmpOp, l: &[Rv], r: &[Rv], lit: Option<&Lit>) -> bool {
    use std::cmp::Ordering::*;
    let pair = |a: &Rv, b: &Rv| match op {
        CmpOp::Eq | CmpOp::Ne | CmpOp::AllEq => eq(a, b, lit),
        CmpOp::AnyNe => !eq(a, b, lit),
        CmpOp::Lt => order(a, b) == Some(Less),
        CmpOp::Gt => order(a, b) == Some(Greater),
        CmpOp::Le => matches!(order(a, b), Some(Less | Equal)),
        CmpOp::Ge => matches!(order(a, b), Some(Greater | Equal)),
    };
    match op {
        // Present, and no occurrence equals.
        CmpOp::Ne => !l.is_empty() && !l.iter().any(|a| r.iter().any(|b| pair(a, b))),
        // Present, and every occurrence equals.
        CmpOp::AllEq => !l.is_empty() && l.iter().all(|a| r.iter().any(|b| pair(a, b))),
        _ => l.iter().any(|a| r.iter().any(|b| pair(a, b))),
    }
}

/// A literal as a value (a network as its address).
fn lit_value(l: &Lit) -> Rv {
    match l {
        Lit::Int(x) => Rv::Int(*x),
        Lit::Ip4(a, _) => Rv::Ip4(*a),
        Lit::Ip6(a, _) => Rv::Ip6(*a),
        Lit::Bytes(b) => Rv::Bytes(b.clone()),
        Lit::Time(t) => Rv::Time(*t),
    }
}

fn in_set(v: &Rv, items: &[(Lit, Option<Lit>)]) -> bool {
    let lit_rv = lit_value;
    items.iter().any(|(lo, hi)| match hi {
        None => eq(v, &lit_rv(lo), Some(lo)),
        Some(hi) => {
            matches!(
                order(v, &lit_rv(lo)),
                Some(std::cmp::Ordering::Greater | std::cmp::Ordering::Equal)
            ) && matches!(
                order(v, &lit_rv(hi)),
                Some(std::cmp::Ordering::Less | std::cmp::Ordering::Equal)
            )
        }
    })
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}

fn eval(n: &Node, ctx: &FrameCtx<'_, '_>) -> bool {
    match n {
        Node::Or(a, b) => eval(a, ctx) || eval(b, ctx),
        Node::Xor(a, b) => eval(a, ctx) != eval(b, ctx),
        Node::And(a, b) => eval(a, ctx) && eval(b, ctx),
        Node::Not(a) => !eval(a, ctx),
        Node::Exists(src) => match src {
            Src::Frame => true,
            Src::Proto(name, p) => {
                reassembled_http(ctx, name).is_some()
                    || (0..ctx.pkt.layers().len()).any(|i| is_proto(ctx, i, name, p))
            }
            Src::Field(f) => {
                let mut any = false;
                f.extract(ctx, &mut |_: &Value<'_>| any = true);
                any
            }
        },
        Node::NonZero(v) => values(v, ctx).iter().any(|x| match x {
            Rv::Int(i) => *i != 0,
            other => as_bytes(other).iter().any(|b| *b != 0),
        }),
        Node::Cmp(l, op, r) => {
            let lit = if let Val::Lit(l) = r { Some(l) } else { None };
            cmp(*op, &values(l, ctx), &values(r, ctx), lit)
        }
        Node::In(l, items) => values(l, ctx).iter().any(|v| in_set(v, items)),
        Node::Contains(l, r) => {
            let needles: Vec<Vec<u8>> = values(r, ctx).iter().map(as_bytes).collect();
            values(l, ctx).iter().any(|v| {
                let hay = as_bytes(v);
                needles.iter().any(|n| contains(&hay, n))
            })
        }
        Node::Matches(l, re) => values(l, ctx).iter().any(|v| re.is_match(&as_bytes(v))),
    }
}
