//! Ethernet II (IEEE 802.3) header, 802.1Q/802.1ad VLAN tags, Linux cooked
//! headers (SLL, SLL2) and the BSD loopback header.

use crate::bytes::{array, be16, be32};

/// EtherType values wirehunt follows.
pub mod ethertype {
    pub const IPV4: u16 = 0x0800;
    pub const ARP: u16 = 0x0806;
    /// Reverse ARP: the ARP format with opcodes 3 and 4.
    pub const RARP: u16 = 0x8035;
    pub const VLAN: u16 = 0x8100;
    pub const QINQ: u16 = 0x88a8;
    pub const VLAN_9100: u16 = 0x9100;
    pub const IPV6: u16 = 0x86dd;
    pub const MPLS: u16 = 0x8847;
    pub const MPLS_MC: u16 = 0x8848;
    pub const TEB: u16 = 0x6558;

    /// The types whose payload wirehunt decodes (TEB, bridged Ethernet,
    /// under GRE). Wireshark hands the others to dissectors wirehunt does
    /// not have, or to `data`.
    pub const DISSECTED: [u16; 10] = [
        IPV4, ARP, RARP, VLAN, QINQ, VLAN_9100, IPV6, MPLS, MPLS_MC, TEB,
    ];
}

/// Whether Wireshark's dissector for type `t` takes `payload` without
/// showing anything: its WSE remote Ethernet dissector owns 0xaaaa and
/// ignores every payload but its subtype 0x0200, so the frame stays plain
/// Ethernet (no `ethertype`, no `data`).
pub fn silently_claimed(t: u16, payload: &[u8]) -> bool {
    t == 0xaaaa && payload.get(..2).is_some_and(|p| p != [0x02, 0x00])
}

/// Whether an Ethernet type field is an IEEE 802.3 length (1 to 1500; 0 is
/// Wireshark's "unknown" type, not a length).
pub fn is_8023_length(t: u16) -> bool {
    (1..=1500).contains(&t)
}

/// A MAC address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct MacAddr(pub [u8; 6]);

impl MacAddr {
    pub const BROADCAST: MacAddr = MacAddr([0xff; 6]);
}

impl std::fmt::Display for MacAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let m = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            m[0], m[1], m[2], m[3], m[4], m[5]
        )
    }
}

/// Ethernet II header view (14 bytes).
#[derive(Debug, Clone, Copy)]
pub struct EthernetFrame<'a>(&'a [u8]);

impl<'a> EthernetFrame<'a> {
    pub const HEADER_LEN: usize = 14;

    pub fn new_checked(b: &'a [u8]) -> Option<Self> {
        (b.len() >= Self::HEADER_LEN).then_some(EthernetFrame(b))
    }
    /// `eth.dst`
    #[inline]
    pub fn dst(&self) -> MacAddr {
        MacAddr(array(self.0, 0))
    }
    /// `eth.src`
    #[inline]
    pub fn src(&self) -> MacAddr {
        MacAddr(array(self.0, 6))
    }
    /// `eth.type` (or an 802.3 length when at most 1500).
    #[inline]
    pub fn ethertype(&self) -> u16 {
        be16(self.0, 12)
    }
}

/// An 802.1Q tag view (4 bytes following the tag's TPID).
#[derive(Debug, Clone, Copy)]
pub struct VlanTag<'a>(&'a [u8]);

impl<'a> VlanTag<'a> {
    pub const LEN: usize = 4;
    pub fn new_checked(b: &'a [u8]) -> Option<Self> {
        (b.len() >= Self::LEN).then_some(VlanTag(b))
    }
    /// `vlan.priority`
    pub fn priority(&self) -> u8 {
        (be16(self.0, 0) >> 13) as u8
    }
    /// `vlan.dei`
    pub fn dei(&self) -> bool {
        be16(self.0, 0) & 0x1000 != 0
    }
    /// `vlan.id`
    pub fn id(&self) -> u16 {
        be16(self.0, 0) & 0x0fff
    }
    /// `vlan.etype`
    pub fn ethertype(&self) -> u16 {
        be16(self.0, 2)
    }
}

/// Linux cooked capture v1 header (16 bytes).
#[derive(Debug, Clone, Copy)]
pub struct SllHeader<'a>(&'a [u8]);

impl<'a> SllHeader<'a> {
    pub const LEN: usize = 16;
    pub fn new_checked(b: &'a [u8]) -> Option<Self> {
        (b.len() >= Self::LEN).then_some(SllHeader(b))
    }
    /// `sll.pkttype`
    pub fn packet_type(&self) -> u16 {
        be16(self.0, 0)
    }
    /// `sll.hatype`
    pub fn arphrd_type(&self) -> u16 {
        be16(self.0, 2)
    }
    /// `sll.halen`
    pub fn addr_len(&self) -> u16 {
        be16(self.0, 4)
    }
    /// `sll.src.eth` when the link address is 6 bytes.
    pub fn src_mac(&self) -> Option<MacAddr> {
        (self.addr_len() == 6).then(|| MacAddr(array(self.0, 6)))
    }
    /// `sll.etype`
    pub fn protocol(&self) -> u16 {
        be16(self.0, 14)
    }
}

/// Linux cooked capture v2 header (20 bytes).
#[derive(Debug, Clone, Copy)]
pub struct Sll2Header<'a>(&'a [u8]);

impl<'a> Sll2Header<'a> {
    pub const LEN: usize = 20;
    pub fn new_checked(b: &'a [u8]) -> Option<Self> {
        (b.len() >= Self::LEN).then_some(Sll2Header(b))
    }
    /// `sll.etype`
    pub fn protocol(&self) -> u16 {
        be16(self.0, 0)
    }
    /// `sll.ifindex`
    pub fn ifindex(&self) -> u32 {
        be32(self.0, 4)
    }
    /// `sll.hatype`
    pub fn arphrd_type(&self) -> u16 {
        be16(self.0, 8)
    }
    /// `sll.pkttype`
    pub fn packet_type(&self) -> u8 {
        self.0[10]
    }
    /// `sll.halen`
    pub fn addr_len(&self) -> u8 {
        self.0[11]
    }
    /// `sll.src.eth` when the link address is 6 bytes.
    pub fn src_mac(&self) -> Option<MacAddr> {
        (self.addr_len() == 6).then(|| MacAddr(array(self.0, 12)))
    }
}

/// The address family of a BSD loopback header (`null.family`), read in
/// whichever byte order gives a plausible value, as Wireshark does.
pub fn null_family(b: &[u8], network_order: bool) -> Option<u32> {
    let raw: [u8; 4] = array(b, 0);
    if b.len() < 4 {
        return None;
    }
    if network_order {
        return Some(u32::from_be_bytes(raw));
    }
    let le = u32::from_le_bytes(raw);
    let be = u32::from_be_bytes(raw);
    Some(if le & 0xffff_0000 != 0 && be & 0xffff_0000 == 0 {
        be
    } else {
        le
    })
}

/// MPLS label stack entry (`mpls.label`, `mpls.bottom`).
pub fn mpls_entry(b: &[u8]) -> Option<(u32, bool)> {
    if b.len() < 4 {
        return None;
    }
    let v = be32(b, 0);
    Some((v >> 12, v & 0x100 != 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ethernet_fields() {
        // dst 00:11:22:33:44:55, src 66:77:88:99:aa:bb, type IPv4
        let b = [
            0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0x08, 0x00,
        ];
        let e = EthernetFrame::new_checked(&b).unwrap();
        assert_eq!(e.dst().to_string(), "00:11:22:33:44:55");
        assert_eq!(e.src().to_string(), "66:77:88:99:aa:bb");
        assert_eq!(e.ethertype(), ethertype::IPV4);
        assert!(EthernetFrame::new_checked(&b[..13]).is_none());
    }

    #[test]
    fn vlan_tag() {
        // PCP 5, DEI 0, VID 100; inner type IPv6
        let t = VlanTag::new_checked(&[0xa0, 0x64, 0x86, 0xdd]).unwrap();
        assert_eq!(
            (t.priority(), t.dei(), t.id(), t.ethertype()),
            (5, false, 100, 0x86dd)
        );
    }

    #[test]
    fn null_family_either_order() {
        assert_eq!(null_family(&[2, 0, 0, 0], false), Some(2));
        assert_eq!(null_family(&[0, 0, 0, 30], false), Some(30));
        assert_eq!(null_family(&[0, 0, 0, 2], true), Some(2));
    }
}
