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
    write_uint(out, abs / 1_000_000_000);
    if digits == 0 {
        return;
    }
    // Past nanoseconds, zeros.
    let d = digits.min(9);
    let mut frac = abs % 1_000_000_000 / 10u64.pow(9 - u32::from(d));
    out.push(b'.');
    out.extend(std::iter::repeat_n(b'0', usize::from(digits - d)));
    in_place(out, |buf: &mut [u8; 9]| {
        for c in buf[..usize::from(d)].iter_mut().rev() {
            *c = b'0' + (frac % 10) as u8;
            frac /= 10;
        }
        usize::from(d)
    });
}

/// Lowercase hexadecimal digits by value.
const HEX: &[u8; 16] = b"0123456789abcdef";

/// Appends a piece of at most `N` bytes that `write` puts at the start of
/// the `N` bytes it is given, returning its length. The piece is written in
/// place at the end of `out`: copying it there from the stack would load
/// bytes just stored one by one in wider words, which the CPU cannot
/// forward from its store buffer and waits for (the detail view appends
/// tens of millions of short pieces).
#[inline]
pub(crate) fn in_place<const N: usize>(
    out: &mut Vec<u8>,
    write: impl FnOnce(&mut [u8; N]) -> usize,
) {
    let at = out.len();
    out.extend_from_slice(&[0u8; N]);
    let len = out[at..].first_chunk_mut().map_or(N, write);
    out.truncate(at + len.min(N));
}

/// Appends the first `len` bytes of `padded` by a copy of all `N`: a copy
/// of known size is a few moves, where one of any size is a call to
/// `memmove`.
#[inline]
pub(crate) fn put_padded<const N: usize>(out: &mut Vec<u8>, padded: &[u8; N], len: usize) {
    let at = out.len();
    out.extend_from_slice(padded);
    out.truncate(at + len.min(N));
}

/// Pairs of decimal digits, `00` to `99`.
const PAIRS: &[u8; 200] = b"\
0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// Appends `v` in decimal.
#[inline]
pub(crate) fn write_uint(out: &mut Vec<u8>, mut v: u64) {
    let len = v.checked_ilog10().unwrap_or(0) as usize + 1;
    in_place(out, |buf: &mut [u8; 20]| {
        let mut end = len;
        while v >= 100 {
            let pair = (v % 100) as usize * 2;
            v /= 100;
            buf[end - 2..end].copy_from_slice(&PAIRS[pair..pair + 2]);
            end -= 2;
        }
        if v >= 10 {
            buf[..2].copy_from_slice(&PAIRS[v as usize * 2..v as usize * 2 + 2]);
        } else {
            buf[0] = b'0' + v as u8;
        }
        len
    });
}

/// Appends `v` as `0x` and lowercase hexadecimal digits, at least `digits`
/// of them (zeros in front), as `{:#0w$x}` with `w = digits + 2` would.
fn write_hex(out: &mut Vec<u8>, v: u64, digits: u8) {
    let needed = (64 - v.leading_zeros()).div_ceil(4).max(1) as usize;
    let width = needed.max(digits as usize);
    if width > 16 {
        out.extend_from_slice(b"0x");
        out.extend(std::iter::repeat_n(b'0', width - needed));
        out.extend(
            (0..needed)
                .rev()
                .map(|i| HEX[((v >> (4 * i)) & 15) as usize]),
        );
        return;
    }
    in_place(out, |buf: &mut [u8; 18]| {
        buf[..2].copy_from_slice(b"0x");
        for (i, d) in buf[2..2 + width].iter_mut().rev().enumerate() {
            *d = HEX[((v >> (4 * i)) & 15) as usize];
        }
        2 + width
    });
}

/// Appends `v` as `0x` and exactly `D` (at most 8) lowercase hexadecimal
/// digits, the low `4 * D` bits: what [`Value::Hex`] with `D` digits shows
/// of a value that fits in them, without working out how many it needs.
#[inline]
pub(crate) fn write_hex_exact<const D: usize>(out: &mut Vec<u8>, v: u32) {
    const { assert!(D <= 8) };
    in_place(out, |buf: &mut [u8; 10]| {
        buf[..2].copy_from_slice(b"0x");
        for (i, d) in buf[2..2 + D].iter_mut().rev().enumerate() {
            *d = HEX[((v >> (4 * i)) & 15) as usize];
        }
        2 + D
    });
}

/// Puts `b` in decimal (one to three digits) at `buf[at..]`; returns where
/// it ends.
#[inline]
fn put_u8(buf: &mut [u8], at: usize, b: u8) -> usize {
    let (h, t) = (b / 100, b / 10 % 10);
    buf[at] = b'0' + h;
    let mut end = at + usize::from(h > 0);
    buf[end] = b'0' + t;
    end += usize::from(b >= 10);
    buf[end] = b'0' + b % 10;
    end + 1
}

/// Appends a byte in decimal.
#[inline]
pub(crate) fn write_u8(out: &mut Vec<u8>, b: u8) {
    in_place(out, |buf: &mut [u8; 3]| put_u8(buf, 0, b));
}

/// Appends an IPv4 address in dotted decimal.
#[inline]
pub(crate) fn write_ipv4(out: &mut Vec<u8>, octets: [u8; 4]) {
    in_place(out, |buf: &mut [u8; 16]| {
        let mut len = 0;
        for b in octets {
            len = put_u8(buf, len, b);
            buf[len] = b'.';
            len += 1;
        }
        len - 1
    });
}

/// Appends a MAC address as six colon-separated pairs of lowercase
/// hexadecimal digits.
#[inline]
pub(crate) fn write_mac(out: &mut Vec<u8>, mac: &[u8; 6]) {
    in_place(out, |buf: &mut [u8; 17]| {
        for (i, b) in mac.iter().enumerate() {
            buf[3 * i] = HEX[(b >> 4) as usize];
            buf[3 * i + 1] = HEX[(b & 15) as usize];
            if i < 5 {
                buf[3 * i + 2] = b':';
            }
        }
        17
    });
}

impl Value<'_> {
    /// Appends the text form.
    pub fn write_text(&self, out: &mut Vec<u8>) {
        match *self {
            Value::Uint(v) => write_uint(out, v),
            Value::Hex(v, digits) => write_hex(out, v, digits),
            Value::Bool(b) => out.push(if b { b'1' } else { b'0' }),
            Value::Text(t) => out.extend_from_slice(t),
            Value::Ipv4(a) => write_ipv4(out, a.octets()),
            Value::Ipv6(a) => {
                let _ = write!(out, "{a}");
            }
            Value::Mac(m) => write_mac(out, &m.0),
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
    fn pieces_written_in_place_are_what_std_writes() {
        let mut out = b"x".to_vec();
        let mut want = String::from("x");
        for k in 0..20u32 {
            let p = 10u64.pow(k);
            for v in [
                p - 1,
                p,
                p + 1,
                p.wrapping_mul(3).wrapping_add(7),
                u64::MAX / p,
            ] {
                write_uint(&mut out, v);
                want += &v.to_string();
            }
        }
        write_uint(&mut out, u64::MAX);
        want += &u64::MAX.to_string();
        assert_eq!(String::from_utf8(out).unwrap(), want);
        for o in [0u8, 5, 9, 10, 42, 99, 100, 105, 199, 200, 255] {
            for a in [
                Ipv4Addr::new(o, o, o, o),
                Ipv4Addr::new(o, 0, 255, 10),
                Ipv4Addr::new(255, o, 1, o),
            ] {
                assert_eq!(text(Value::Ipv4(a)), a.to_string());
            }
        }
        for b in 0..=255u8 {
            let mut out = vec![b'x'];
            write_u8(&mut out, b);
            assert_eq!(out, format!("x{b}").into_bytes());
        }
        for v in [0u32, 1, 0xa, 0xff, 0x1234, 0xffff, 0xabcde, u32::MAX] {
            let mut out = Vec::new();
            write_hex_exact::<2>(&mut out, v & 0xff);
            write_hex_exact::<4>(&mut out, v & 0xffff);
            write_hex_exact::<8>(&mut out, v);
            let want = format!("{:#04x}{:#06x}{v:#010x}", v & 0xff, v & 0xffff);
            assert_eq!(String::from_utf8(out).unwrap(), want);
        }
        let mac = MacAddr([0xff, 0, 0x0a, 0xb0, 0x12, 0xfe]);
        assert_eq!(text(Value::Mac(mac)), "ff:00:0a:b0:12:fe");
        for ns in [
            0,
            1,
            999_999_999,
            1_000_000_000,
            1_234_567_891_012_345_678,
            -1,
        ] {
            for digits in 0..=9u8 {
                let mut out = Vec::new();
                write_seconds(&mut out, ns, digits);
                let abs = (ns as i128).unsigned_abs();
                let (s, frac) = (abs / 1_000_000_000, abs % 1_000_000_000);
                let sign = if ns < 0 { "-" } else { "" };
                let want = match digits {
                    0 => format!("{sign}{s}"),
                    d => format!(
                        "{sign}{s}.{:0d$}",
                        frac / 10u128.pow(9 - u32::from(d)),
                        d = d as usize
                    ),
                };
                assert_eq!(
                    String::from_utf8(out).unwrap(),
                    want,
                    "{ns} in {digits} digits"
                );
            }
        }
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
