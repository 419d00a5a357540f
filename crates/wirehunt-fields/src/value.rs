//! Field values and their text form as `tshark -T fields` prints them.

use std::io::Write;
use std::net::{Ipv4Addr, Ipv6Addr};

use wirehunt_dissect::MacAddr;
use wirehunt_dissect::dns::DnsName;

/// One occurrence of a field.
#[derive(Debug, Clone, Copy)]
pub enum Value<'v> {
    Uint(u64),
    /// Hexadecimal with at least `digits` digits and a `0x` prefix.
    Hex(u64, u8),
    Bool(bool),
    /// Text (bytes shown as they are).
    Text(&'v [u8]),
    Ipv4(Ipv4Addr),
    Ipv6(Ipv6Addr),
    Mac(MacAddr),
    /// Seconds with nine decimals (epoch or relative), from nanoseconds.
    Seconds(i64),
    /// A DNS name decoded from its message.
    Name(DnsName<'v>),
}

/// Appends nanoseconds as `[-]s.nnnnnnnnn`.
pub fn write_seconds(out: &mut Vec<u8>, ns: i64, digits: u8) {
    let neg = ns < 0;
    let abs = ns.unsigned_abs();
    if neg {
        out.push(b'-');
    }
    let mut buf = itoa::Buffer::new();
    out.extend_from_slice(buf.format(abs / 1_000_000_000).as_bytes());
    if digits > 0 {
        out.push(b'.');
        let frac = abs % 1_000_000_000;
        let scaled = frac / 10u64.pow(9 - digits.min(9) as u32);
        let s = buf.format(scaled);
        for _ in s.len()..digits as usize {
            out.push(b'0');
        }
        out.extend_from_slice(s.as_bytes());
    }
}

/// Lowercase hexadecimal digits by value.
const HEX: &[u8; 16] = b"0123456789abcdef";

/// Appends `v` in decimal.
pub(crate) fn write_uint(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}

/// Appends `v` as `0x` and lowercase hexadecimal digits, at least `digits`
/// of them (zeros in front), as `{:#0w$x}` with `w = digits + 2` would.
fn write_hex(out: &mut Vec<u8>, v: u64, digits: u8) {
    let needed = (64 - v.leading_zeros()).div_ceil(4).max(1) as usize;
    let width = needed.max(digits as usize);
    out.extend_from_slice(b"0x");
    out.extend(std::iter::repeat_n(b'0', width - needed));
    out.extend(
        (0..needed)
            .rev()
            .map(|i| HEX[((v >> (4 * i)) & 15) as usize]),
    );
}

impl Value<'_> {
    /// Appends the text form.
    pub fn write_text(&self, out: &mut Vec<u8>) {
        match *self {
            Value::Uint(v) => write_uint(out, v),
            Value::Hex(v, digits) => write_hex(out, v, digits),
            Value::Bool(b) => out.push(if b { b'1' } else { b'0' }),
            Value::Text(t) => out.extend_from_slice(t),
            Value::Ipv4(a) => {
                let o = a.octets();
                let mut buf = itoa::Buffer::new();
                for (i, b) in o.iter().enumerate() {
                    if i > 0 {
                        out.push(b'.');
                    }
                    out.extend_from_slice(buf.format(*b).as_bytes());
                }
            }
            Value::Ipv6(a) => {
                let _ = write!(out, "{a}");
            }
            Value::Mac(m) => {
                for (i, b) in m.0.iter().enumerate() {
                    if i > 0 {
                        out.push(b':');
                    }
                    out.push(HEX[(b >> 4) as usize]);
                    out.push(HEX[(b & 15) as usize]);
                }
            }
            Value::Seconds(ns) => write_seconds(out, ns, 9),
            Value::Name(n) => {
                n.write_to(out);
            }
        }
    }

    /// True for values JSON shows as numbers.
    pub fn is_number(&self) -> bool {
        matches!(self, Value::Uint(_) | Value::Bool(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(v: Value<'_>) -> String {
        let mut o = Vec::new();
        v.write_text(&mut o);
        String::from_utf8(o).unwrap()
    }

    #[test]
    fn formats_like_tshark() {
        assert_eq!(text(Value::Hex(0x800, 4)), "0x0800");
        for (v, digits) in [
            (0, 0),
            (0, 2),
            (0xabc, 1),
            (0xabc, 8),
            (u64::MAX, 4),
            (1 << 63, 0),
        ] {
            assert_eq!(
                text(Value::Hex(v, digits)),
                format!("0x{:0w$x}", v, w = digits as usize),
                "{v:#x} in {digits} digits"
            );
        }
        assert_eq!(
            text(Value::Seconds(1_231_042_114_960_241_000)),
            "1231042114.960241000"
        );
        assert_eq!(text(Value::Seconds(-80_000)), "-0.000080000");
        assert_eq!(
            text(Value::Mac(MacAddr([0, 0x1a, 0x4b, 0x6a, 0xce, 0xfe]))),
            "00:1a:4b:6a:ce:fe"
        );
        assert_eq!(
            text(Value::Ipv4(Ipv4Addr::new(192, 168, 1, 10))),
            "192.168.1.10"
        );
    }
}
