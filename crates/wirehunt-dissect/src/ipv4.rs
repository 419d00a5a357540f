//! IPv4 header (RFC 791) view.

use std::net::Ipv4Addr;

use crate::bytes::{array, be16, u8_at};

#[derive(Debug, Clone, Copy)]
pub struct Ipv4Packet<'a>(&'a [u8]);

impl<'a> Ipv4Packet<'a> {
    pub const MIN_LEN: usize = 20;

    /// Checks that the fixed header is present (options may be cut).
    pub fn new_checked(b: &'a [u8]) -> Option<Self> {
        (b.len() >= Self::MIN_LEN).then_some(Ipv4Packet(b))
    }
    /// `ip.version`
    pub fn version(&self) -> u8 {
        self.0[0] >> 4
    }
    /// `ip.hdr_len` in bytes.
    pub fn header_len(&self) -> usize {
        (self.0[0] & 0x0f) as usize * 4
    }
    /// `ip.dsfield`
    pub fn dsfield(&self) -> u8 {
        self.0[1]
    }
    /// `ip.len`
    pub fn total_len(&self) -> u16 {
        be16(self.0, 2)
    }
    /// `ip.id`
    pub fn ident(&self) -> u16 {
        be16(self.0, 4)
    }
    /// `ip.flags` (the 3 high bits of the fragment word, shifted down).
    pub fn flags(&self) -> u8 {
        self.0[6] >> 5
    }
    /// `ip.flags.df`
    pub fn dont_frag(&self) -> bool {
        self.0[6] & 0x40 != 0
    }
    /// `ip.flags.mf`
    pub fn more_frags(&self) -> bool {
        self.0[6] & 0x20 != 0
    }
    /// `ip.frag_offset` in 8-byte units as carried.
    pub fn frag_offset(&self) -> u16 {
        be16(self.0, 6) & 0x1fff
    }
    /// `ip.ttl`
    pub fn ttl(&self) -> u8 {
        self.0[8]
    }
    /// `ip.proto`
    pub fn protocol(&self) -> u8 {
        self.0[9]
    }
    /// `ip.checksum`
    pub fn checksum(&self) -> u16 {
        be16(self.0, 10)
    }
    /// `ip.src`
    pub fn src(&self) -> Ipv4Addr {
        array::<4>(self.0, 12).into()
    }
    /// `ip.dst`
    pub fn dst(&self) -> Ipv4Addr {
        array::<4>(self.0, 16).into()
    }
    /// True when this is a fragment (not offset 0 or more follow).
    pub fn is_fragment(&self) -> bool {
        self.more_frags() || self.frag_offset() != 0
    }
    /// Sum of the header's 16-bit words, for checksum checks.
    pub fn header_checksum_ok(&self) -> bool {
        let hl = self.header_len().min(self.0.len());
        let mut sum = 0u32;
        let mut i = 0;
        while i + 1 < hl {
            sum += be16(self.0, i) as u32;
            i += 2;
        }
        while sum > 0xffff {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        sum == 0xffff
    }
    /// Raw byte `i` of the header (0 when out of range).
    pub fn byte(&self, i: usize) -> u8 {
        u8_at(self.0, i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_fields() {
        // 198.51.100.10 -> 198.51.100.20, TCP, TTL 64, DF, id 0x1c46, len 60
        let b = [
            0x45, 0x00, 0x00, 0x3c, 0x1c, 0x46, 0x40, 0x00, 0x40, 0x06, 0x00, 0x00, 198, 51, 100,
            10, 198, 51, 100, 20,
        ];
        let ip = Ipv4Packet::new_checked(&b).unwrap();
        assert_eq!(ip.version(), 4);
        assert_eq!(ip.header_len(), 20);
        assert_eq!(ip.total_len(), 60);
        assert_eq!(ip.ident(), 0x1c46);
        assert!(ip.dont_frag() && !ip.more_frags() && !ip.is_fragment());
        assert_eq!((ip.ttl(), ip.protocol()), (64, 6));
        assert_eq!(ip.src(), Ipv4Addr::new(198, 51, 100, 10));
        assert_eq!(ip.dst(), Ipv4Addr::new(198, 51, 100, 20));
    }
}
