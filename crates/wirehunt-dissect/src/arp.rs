//! ARP (RFC 826) view, for Ethernet/IPv4 and any other address sizes.

use std::net::Ipv4Addr;

use crate::bytes::{array, be16, u8_at};
use crate::ethernet::MacAddr;

#[derive(Debug, Clone, Copy)]
pub struct ArpPacket<'a>(&'a [u8]);

impl<'a> ArpPacket<'a> {
    pub const FIXED_LEN: usize = 8;

    /// Checks the fixed part and that the four addresses fit.
    pub fn new_checked(b: &'a [u8]) -> Option<Self> {
        if b.len() < Self::FIXED_LEN {
            return None;
        }
        let a = ArpPacket(b);
        (b.len() >= a.total_len()).then_some(a)
    }
    /// Bytes used by the header and its addresses.
    pub fn total_len(&self) -> usize {
        8 + 2 * (self.hw_size() as usize + self.proto_size() as usize)
    }
    /// `arp.hw.type`
    pub fn hw_type(&self) -> u16 {
        be16(self.0, 0)
    }
    /// `arp.proto.type`
    pub fn proto_type(&self) -> u16 {
        be16(self.0, 2)
    }
    /// `arp.hw.size`
    pub fn hw_size(&self) -> u8 {
        u8_at(self.0, 4)
    }
    /// `arp.proto.size`
    pub fn proto_size(&self) -> u8 {
        u8_at(self.0, 5)
    }
    /// `arp.opcode`
    pub fn opcode(&self) -> u16 {
        be16(self.0, 6)
    }
    /// True for Ethernet/IPv4 ARP, the only form whose addresses the
    /// accessors below decode.
    pub fn is_ether_ipv4(&self) -> bool {
        self.hw_size() == 6 && self.proto_size() == 4
    }
    /// `arp.src.hw_mac`
    pub fn sender_mac(&self) -> MacAddr {
        MacAddr(array(self.0, 8))
    }
    /// `arp.src.proto_ipv4`
    pub fn sender_ip(&self) -> Ipv4Addr {
        array::<4>(self.0, 14).into()
    }
    /// `arp.dst.hw_mac`
    pub fn target_mac(&self) -> MacAddr {
        MacAddr(array(self.0, 18))
    }
    /// `arp.dst.proto_ipv4`
    pub fn target_ip(&self) -> Ipv4Addr {
        array::<4>(self.0, 24).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request() {
        let b = [
            0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01, // eth/ipv4 request
            0x02, 0, 0, 0, 0, 1, 198, 51, 100, 10, // sender
            0, 0, 0, 0, 0, 0, 198, 51, 100, 20, // target
        ];
        let a = ArpPacket::new_checked(&b).unwrap();
        assert_eq!(a.opcode(), 1);
        assert!(a.is_ether_ipv4());
        assert_eq!(a.sender_ip(), Ipv4Addr::new(198, 51, 100, 10));
        assert_eq!(a.target_ip(), Ipv4Addr::new(198, 51, 100, 20));
        assert!(ArpPacket::new_checked(&b[..20]).is_none());
    }
}
