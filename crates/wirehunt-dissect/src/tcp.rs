//! TCP header (RFC 9293) view and option walking (MSS, window scale,
//! SACK-permitted, SACK, timestamps; RFC 7323, RFC 2018).

use crate::bytes::{be16, be32, u8_at};

/// TCP flag bits as in `tcp.flags` (12 bits: reserved, AE, CWR, ECE, URG,
/// ACK, PSH, RST, SYN, FIN).
pub mod flags {
    pub const FIN: u16 = 0x001;
    pub const SYN: u16 = 0x002;
    pub const RST: u16 = 0x004;
    pub const PSH: u16 = 0x008;
    pub const ACK: u16 = 0x010;
    pub const URG: u16 = 0x020;
    pub const ECE: u16 = 0x040;
    pub const CWR: u16 = 0x080;
    pub const AE: u16 = 0x100;
}

#[derive(Debug, Clone, Copy)]
pub struct TcpSegment<'a>(&'a [u8]);

impl<'a> TcpSegment<'a> {
    pub const MIN_LEN: usize = 20;

    /// Checks that the fixed header is present.
    pub fn new_checked(b: &'a [u8]) -> Option<Self> {
        (b.len() >= Self::MIN_LEN).then_some(TcpSegment(b))
    }
    /// `tcp.srcport`
    #[inline]
    pub fn src_port(&self) -> u16 {
        be16(self.0, 0)
    }
    /// `tcp.dstport`
    #[inline]
    pub fn dst_port(&self) -> u16 {
        be16(self.0, 2)
    }
    /// `tcp.seq_raw`
    #[inline]
    pub fn seq(&self) -> u32 {
        be32(self.0, 4)
    }
    /// `tcp.ack_raw`
    #[inline]
    pub fn ack(&self) -> u32 {
        be32(self.0, 8)
    }
    /// `tcp.hdr_len` in bytes.
    #[inline]
    pub fn header_len(&self) -> usize {
        (self.0[12] >> 4) as usize * 4
    }
    /// `tcp.flags`: the 12 low bits of bytes 12-13.
    #[inline]
    pub fn flags(&self) -> u16 {
        be16(self.0, 12) & 0x0fff
    }
    #[inline]
    pub fn has(&self, f: u16) -> bool {
        self.flags() & f != 0
    }
    /// `tcp.window_size_value`
    #[inline]
    pub fn window(&self) -> u16 {
        be16(self.0, 14)
    }
    /// `tcp.checksum`
    pub fn checksum(&self) -> u16 {
        be16(self.0, 16)
    }
    /// `tcp.urgent_pointer`
    pub fn urgent(&self) -> u16 {
        be16(self.0, 18)
    }
    /// The option bytes present in the capture.
    pub fn options_raw(&self) -> &'a [u8] {
        let end = self.header_len().min(self.0.len());
        if end <= 20 { &[] } else { &self.0[20..end] }
    }
    /// Options in order.
    pub fn options(&self) -> TcpOptions<'a> {
        TcpOptions(self.options_raw())
    }
    /// The payload present in the capture.
    pub fn payload(&self) -> &'a [u8] {
        self.0.get(self.header_len()..).unwrap_or(&[])
    }
}

/// One TCP option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TcpOption<'a> {
    Eol,
    Nop,
    Mss(u16),
    WindowScale(u8),
    SackPermitted,
    /// Left/right edges, raw.
    Sack(&'a [u8]),
    Timestamp {
        val: u32,
        ecr: u32,
    },
    /// Any other kind, or a known kind with a wrong length.
    Other {
        kind: u8,
        data: &'a [u8],
    },
}

/// Iterator over TCP options; stops at EOL or at a length that does not fit.
#[derive(Debug, Clone)]
pub struct TcpOptions<'a>(&'a [u8]);

impl<'a> Iterator for TcpOptions<'a> {
    type Item = TcpOption<'a>;
    fn next(&mut self) -> Option<TcpOption<'a>> {
        let b = self.0;
        let kind = *b.first()?;
        match kind {
            0 => {
                self.0 = &[];
                Some(TcpOption::Eol)
            }
            1 => {
                self.0 = &b[1..];
                Some(TcpOption::Nop)
            }
            _ => {
                let len = u8_at(b, 1) as usize;
                if len < 2 || len > b.len() {
                    self.0 = &[];
                    return None;
                }
                let data = &b[2..len];
                self.0 = &b[len..];
                Some(match (kind, len) {
                    (2, 4) => TcpOption::Mss(be16(data, 0)),
                    (3, 3) => TcpOption::WindowScale(data[0]),
                    (4, 2) => TcpOption::SackPermitted,
                    (5, _) if (len - 2).is_multiple_of(8) => TcpOption::Sack(data),
                    (8, 10) => TcpOption::Timestamp {
                        val: be32(data, 0),
                        ecr: be32(data, 4),
                    },
                    _ => TcpOption::Other { kind, data },
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syn_with_options() {
        // 35503 -> 1723 SYN, seq 0x01020304, hlen 24, win 2048, MSS 1460
        let b = [
            0x8a, 0xaf, 0x06, 0xbb, 1, 2, 3, 4, 0, 0, 0, 0, 0x60, 0x02, 0x08, 0x00, 0, 0, 0, 0, 2,
            4, 0x05, 0xb4,
        ];
        let t = TcpSegment::new_checked(&b).unwrap();
        assert_eq!((t.src_port(), t.dst_port()), (35503, 1723));
        assert_eq!(t.seq(), 0x01020304);
        assert_eq!(t.header_len(), 24);
        assert_eq!(t.flags(), flags::SYN);
        assert_eq!(t.window(), 2048);
        assert_eq!(t.options().collect::<Vec<_>>(), vec![TcpOption::Mss(1460)]);
        assert!(t.payload().is_empty());
    }

    #[test]
    fn options_stop_on_bad_length() {
        let t = TcpOptions(&[1, 3, 3, 7, 8, 40, 0]);
        assert_eq!(
            t.collect::<Vec<_>>(),
            vec![TcpOption::Nop, TcpOption::WindowScale(7)]
        );
    }
}
