//! ARP (RFC 826) view, for Ethernet/IPv4 and any other address sizes.

use std::net::Ipv4Addr;

use crate::bytes::{array, be16, u8_at};
use crate::ethernet::MacAddr;

#[derive(Debug, Clone, Copy)]
pub struct ArpPacket<'a>(&'a [u8]);

impl<'a> ArpPacket<'a> {
    pub const FIXED_LEN: usize = 8;

    /// Checks the fixed part (types, sizes, opcode). The addresses may
    /// not fit: see [`Self::is_complete`].
    pub fn new_checked(b: &'a [u8]) -> Option<Self> {
        (b.len() >= Self::FIXED_LEN).then_some(ArpPacket(b))
    }
    /// Bytes used by the header and its addresses.
    pub fn total_len(&self) -> usize {
        8 + 2 * (self.hw_size() as usize + self.proto_size() as usize)
    }
    /// Whether the four addresses fit in the bytes there are (Wireshark
    /// reads them and stops with a malformed-packet error where they do
    /// not).
    pub fn is_complete(&self) -> bool {
        self.0.len() >= self.total_len()
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
    /// Hardware addresses are MAC addresses: Ethernet or IEEE 802
    /// hardware, 6 bytes (Wireshark's test for `arp.src.hw_mac`).
    pub fn hw_is_ether(&self) -> bool {
        matches!(self.hw_type(), 1 | 6) && self.hw_size() == 6
    }
    /// Protocol addresses are IPv4: IP (or AX.25's IP) type, 4 bytes.
    pub fn proto_is_ipv4(&self) -> bool {
        matches!(self.proto_type(), 0x0800 | 0x00cc) && self.proto_size() == 4
    }
    /// Complete Ethernet/IPv4 ARP, the only form whose addresses the typed
    /// accessors below decode.
    pub fn is_ether_ipv4(&self) -> bool {
        self.is_complete() && self.hw_is_ether() && self.proto_is_ipv4()
    }
    fn field(&self, at: usize, len: u8) -> &'a [u8] {
        self.0.get(at..at + len as usize).unwrap_or(&[])
    }
    /// The sender's hardware address as written (empty where it does not
    /// fit).
    pub fn sender_hw(&self) -> &'a [u8] {
        self.field(8, self.hw_size())
    }
    /// The sender's protocol address as written.
    pub fn sender_proto(&self) -> &'a [u8] {
        self.field(8 + self.hw_size() as usize, self.proto_size())
    }
    /// The target's hardware address as written.
    pub fn target_hw(&self) -> &'a [u8] {
        self.field(
            8 + self.hw_size() as usize + self.proto_size() as usize,
            self.hw_size(),
        )
    }
    /// The target's protocol address as written.
    pub fn target_proto(&self) -> &'a [u8] {
        self.field(
            8 + 2 * self.hw_size() as usize + self.proto_size() as usize,
            self.proto_size(),
        )
    }
    /// `arp.src.hw_mac` (meaningful when [`Self::is_ether_ipv4`])
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
        assert_eq!(a.sender_proto(), &[198, 51, 100, 10]);
        assert_eq!(a.target_hw(), &[0; 6]);
        // Addresses cut short: the header still reads, the addresses not.
        let cut = ArpPacket::new_checked(&b[..20]).unwrap();
        assert!(!cut.is_complete() && !cut.is_ether_ipv4());
        assert_eq!(cut.opcode(), 1);
        assert!(ArpPacket::new_checked(&b[..7]).is_none());
    }

    #[test]
    fn other_sizes_place_the_addresses_by_their_sizes() {
        // Hardware type 0x8801 (not Ethernet), 2-byte hardware addresses.
        let b = [
            0x88, 0x01, 0x08, 0x00, 2, 4, 0, 2, 0xaa, 0xbb, 10, 0, 0, 1, 0xcc, 0xdd, 10, 0, 0, 2,
        ];
        let a = ArpPacket::new_checked(&b).unwrap();
        assert!(a.is_complete() && !a.hw_is_ether() && a.proto_is_ipv4());
        assert_eq!(a.sender_hw(), &[0xaa, 0xbb]);
        assert_eq!(a.sender_proto(), &[10, 0, 0, 1]);
        assert_eq!(a.target_hw(), &[0xcc, 0xdd]);
        assert_eq!(a.target_proto(), &[10, 0, 0, 2]);
    }
}
