//! Number formats shared by the views.

/// A byte count as tshark's conversation table prints it (Wireshark's
/// `format_size` with SI prefixes): exact below 10 kB, then truncated to
/// the largest prefix that leaves at least two digits ("416 kB").
pub fn si_bytes(n: u64) -> String {
    const PREFIXES: [(u64, &str); 5] = [
        (1_000_000_000_000_000, "P"),
        (1_000_000_000_000, "T"),
        (1_000_000_000, "G"),
        (1_000_000, "M"),
        (1_000, "k"),
    ];
    for (power, p) in PREFIXES {
        if n / power >= 10 {
            return format!("{} {p}B", n / power);
        }
    }
    format!("{n} bytes")
}

/// `ns` nanoseconds as seconds with `digits` decimals (0..=9), truncated
/// like Wireshark's time formatting; negative values keep their sign.
pub fn seconds(ns: i64, digits: u8) -> String {
    let mut out = String::new();
    seconds_into(&mut out, ns, digits);
    out
}

/// [`seconds`], written at the end of `out`.
pub fn seconds_into(out: &mut String, ns: i64, digits: u8) {
    let digits = digits.min(9) as u32;
    let abs = ns.unsigned_abs();
    if ns < 0 {
        out.push('-');
    }
    let mut buf = itoa::Buffer::new();
    out.push_str(buf.format(abs / 1_000_000_000));
    if digits > 0 {
        let frac = (abs % 1_000_000_000) / 10u64.pow(9 - digits);
        let f = buf.format(frac);
        out.push('.');
        for _ in f.len()..digits as usize {
            out.push('0');
        }
        out.push_str(f);
    }
}

/// A duration as tshark's conversation table computes it: both ends
/// converted to seconds as doubles, then subtracted.
pub fn tshark_duration(start_ns: i64, end_ns: i64) -> f64 {
    nstime_to_sec(end_ns) - nstime_to_sec(start_ns)
}

/// Nanoseconds as Wireshark's `nstime_to_sec` makes seconds of them:
/// whole seconds plus the fraction, in doubles.
pub fn nstime_to_sec(ns: i64) -> f64 {
    ns.div_euclid(1_000_000_000) as f64 + ns.rem_euclid(1_000_000_000) as f64 / 1e9
}

/// `n` with a thin separator every three digits ("1,234,567").
pub fn grouped(n: u64) -> String {
    let mut out = String::new();
    grouped_into(&mut out, n);
    out
}

/// [`grouped`], written at the end of `out`.
pub fn grouped_into(out: &mut String, n: u64) {
    let mut digits = itoa::Buffer::new();
    let s = digits.format(n);
    out.reserve(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn si_bytes_matches_tshark() {
        assert_eq!(si_bytes(0), "0 bytes");
        assert_eq!(si_bytes(9999), "9999 bytes");
        assert_eq!(si_bytes(10_000), "10 kB");
        assert_eq!(si_bytes(416_999), "416 kB");
        assert_eq!(si_bytes(12_345_678), "12 MB");
        assert_eq!(si_bytes(9_999_999), "9999 kB");
    }

    #[test]
    fn seconds_truncate() {
        assert_eq!(seconds(505_619_538_000, 9), "505.619538000");
        assert_eq!(seconds(134_395_999, 4), "0.1343");
        assert_eq!(
            format!("{:.4}", tshark_duration(1_209_256_000, 1_210_251_000)),
            "0.0010"
        );
        assert_eq!(seconds(-1_500_000_000, 3), "-1.500");
        assert_eq!(seconds(7_000_000_000, 0), "7");
    }

    #[test]
    fn grouping() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1000), "1,000");
        assert_eq!(grouped(1_234_567), "1,234,567");
    }
}
