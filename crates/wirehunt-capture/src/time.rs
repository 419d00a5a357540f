//! Calendar dates for timestamps (UTC), without a date library.

/// Days since 1970-01-01 to a proleptic Gregorian (year, month, day)
/// (Howard Hinnant's algorithm).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Splits ns since the epoch into (year, month, day, hour, minute, second,
/// nanosecond), UTC.
pub fn utc_parts(ns: i64) -> (i64, u32, u32, u32, u32, u32, u32) {
    let secs = ns.div_euclid(1_000_000_000);
    let nanos = ns.rem_euclid(1_000_000_000) as u32;
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400) as u32;
    (y, m, d, sod / 3600, sod % 3600 / 60, sod % 60, nanos)
}

/// `2010-02-09 01:18:39.618072` (UTC) with `digits` decimals (0..=9,
/// truncated), as capinfos prints a packet time.
pub fn utc_text(ns: i64, digits: u8) -> String {
    let (y, mo, d, h, mi, s, nanos) = utc_parts(ns);
    let digits = digits.min(9) as u32;
    let mut out = format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}");
    if digits > 0 {
        let frac = nanos / 10u32.pow(9 - digits);
        out.push_str(&format!(".{frac:0w$}", w = digits as usize));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(
            utc_text(1_265_678_319_618_072_000, 6),
            "2010-02-09 01:18:39.618072"
        );
        assert_eq!(utc_text(-1, 9), "1969-12-31 23:59:59.999999999");
        assert_eq!(utc_text(0, 0), "1970-01-01 00:00:00");
    }
}
