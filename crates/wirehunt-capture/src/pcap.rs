//! Classic libpcap: a 24-byte file header, then records of a 16-byte header
//! (24 bytes in the "modified" format) and the captured bytes.

use crate::{FileFormat, LinkType};

pub(crate) const MAGIC_USEC: u32 = 0xa1b2_c3d4;
pub(crate) const MAGIC_NSEC: u32 = 0xa1b2_3c4d;
pub(crate) const MAGIC_MODIFIED: u32 = 0xa1b2_cd34;
pub(crate) const FILE_HEADER_LEN: usize = 24;

/// The parsed file header.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PcapHeader {
    pub big_endian: bool,
    pub nanosecond: bool,
    pub modified: bool,
    pub version_major: u16,
    pub version_minor: u16,
    pub snaplen: u32,
    pub link_type: LinkType,
}

impl PcapHeader {
    /// Reads the header when `b` starts with a pcap magic number.
    pub(crate) fn parse(b: &[u8]) -> Option<PcapHeader> {
        let b: &[u8; FILE_HEADER_LEN] = b.get(..FILE_HEADER_LEN)?.try_into().ok()?;
        let le = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        let be = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
        let (magic, big_endian) = match (le, be) {
            (m @ (MAGIC_USEC | MAGIC_NSEC | MAGIC_MODIFIED), _) => (m, false),
            (_, m @ (MAGIC_USEC | MAGIC_NSEC | MAGIC_MODIFIED)) => (m, true),
            _ => return None,
        };
        let u16_at = |i: usize| {
            let v = [b[i], b[i + 1]];
            if big_endian {
                u16::from_be_bytes(v)
            } else {
                u16::from_le_bytes(v)
            }
        };
        let u32_at = |i: usize| {
            let v = [b[i], b[i + 1], b[i + 2], b[i + 3]];
            if big_endian {
                u32::from_be_bytes(v)
            } else {
                u32::from_le_bytes(v)
            }
        };
        Some(PcapHeader {
            big_endian,
            nanosecond: magic == MAGIC_NSEC,
            modified: magic == MAGIC_MODIFIED,
            version_major: u16_at(4),
            version_minor: u16_at(6),
            snaplen: u32_at(16),
            // The upper bits may carry the FCS length; the type is the low 16.
            link_type: LinkType(u32_at(20) & 0xffff),
        })
    }

    pub(crate) fn record_header_len(&self) -> usize {
        if self.modified { 24 } else { 16 }
    }

    pub(crate) fn format(&self) -> FileFormat {
        FileFormat::Pcap {
            big_endian: self.big_endian,
            nanosecond: self.nanosecond,
            modified: self.modified,
            version_major: self.version_major,
            version_minor: self.version_minor,
        }
    }

    #[inline]
    pub(crate) fn u32_at(&self, b: &[u8], i: usize) -> u32 {
        let v = [b[i], b[i + 1], b[i + 2], b[i + 3]];
        if self.big_endian {
            u32::from_be_bytes(v)
        } else {
            u32::from_le_bytes(v)
        }
    }
}

/// A record header: timestamp, captured and original length.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RecordHeader {
    pub ts_sec: u32,
    pub ts_frac: u32,
    pub incl_len: u32,
    pub orig_len: u32,
}

impl RecordHeader {
    #[inline]
    pub(crate) fn parse(h: &PcapHeader, b: &[u8]) -> RecordHeader {
        RecordHeader {
            ts_sec: h.u32_at(b, 0),
            ts_frac: h.u32_at(b, 4),
            incl_len: h.u32_at(b, 8),
            orig_len: h.u32_at(b, 12),
        }
    }

    /// Nanoseconds since the epoch. Like Wireshark, a fraction beyond one
    /// second is not normalised away: it simply adds up.
    #[inline]
    pub(crate) fn ts_ns(&self, nanosecond: bool) -> i64 {
        let frac = if nanosecond {
            self.ts_frac as i64
        } else {
            self.ts_frac as i64 * 1000
        };
        self.ts_sec as i64 * 1_000_000_000 + frac
    }
}
