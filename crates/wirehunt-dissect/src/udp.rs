//! UDP header (RFC 768) view.

use crate::bytes::be16;

#[derive(Debug, Clone, Copy)]
pub struct UdpDatagram<'a>(&'a [u8]);

impl<'a> UdpDatagram<'a> {
    pub const HEADER_LEN: usize = 8;
    pub fn new_checked(b: &'a [u8]) -> Option<Self> {
        (b.len() >= Self::HEADER_LEN).then_some(UdpDatagram(b))
    }
    /// `udp.srcport`
    #[inline]
    pub fn src_port(&self) -> u16 {
        be16(self.0, 0)
    }
    /// `udp.dstport`
    #[inline]
    pub fn dst_port(&self) -> u16 {
        be16(self.0, 2)
    }
    /// `udp.length`
    #[inline]
    pub fn length(&self) -> u16 {
        be16(self.0, 4)
    }
    /// `udp.checksum`
    pub fn checksum(&self) -> u16 {
        be16(self.0, 6)
    }
    /// Payload present in the capture, bounded by the length field when it
    /// is plausible.
    pub fn payload(&self) -> &'a [u8] {
        let len = self.length() as usize;
        let end = if len >= 8 && len <= self.0.len() {
            len
        } else {
            self.0.len()
        };
        &self.0[8..end]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields() {
        let b = [
            0xc0, 0x00, 0x00, 0x35, 0x00, 0x0a, 0xab, 0xcd, 0x12, 0x34, 0xff,
        ];
        let u = UdpDatagram::new_checked(&b).unwrap();
        assert_eq!((u.src_port(), u.dst_port(), u.length()), (49152, 53, 10));
        assert_eq!(u.payload(), &[0x12, 0x34]);
    }
}
