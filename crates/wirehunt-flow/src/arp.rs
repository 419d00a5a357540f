//! Duplicate IP addresses in ARP, as Wireshark's ARP dissector reports
//! them: an address announced from one MAC address and later from another
//! is "duplicate use of ADDRESS detected!", the mark of two hosts sharing
//! an address or of ARP spoofing.
//!
//! Wireshark's rules (default preferences): only requests and replies of
//! Ethernet/IPv4 ARP count; the sender's pair is checked when its MAC
//! address is neither multicast nor zero and its IP address not zero; the
//! target's pair likewise, except in requests (whose target MAC means
//! nothing) and when the sender's check already found this address. The
//! first MAC address seen for an address stays its owner: a later frame
//! from the owner refreshes it, a frame from anyone else is a duplicate and
//! changes nothing.

use std::net::Ipv4Addr;

use foldhash::fast::RandomState;
use hashbrown::HashMap;
use wirehunt_dissect::{MacAddr, Packet};

/// A duplicate found in one frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArpDuplicate {
    /// The address claimed twice.
    pub ip: Ipv4Addr,
    /// The MAC address that claimed it first, and the frame that last
    /// showed that owner.
    pub owner: MacAddr,
    pub owner_frame: u64,
}

/// What one frame's ARP showed: the duplicates each of its two checks
/// found, and the address Wireshark names in the Info column (the last
/// check made decides: a sender's duplicate followed by a clean target is
/// in the detail but not in the Info column).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ArpCheck {
    pub found: [Option<ArpDuplicate>; 2],
    pub info: Option<Ipv4Addr>,
}

impl ArpCheck {
    /// The duplicates found, sender's first.
    pub fn duplicates(&self) -> impl Iterator<Item = &ArpDuplicate> {
        self.found.iter().flatten()
    }
}

struct Owner {
    mac: MacAddr,
    frame: u64,
}

/// Address owners seen so far. Bounded: past [`ArpWatch::MAX_ADDRESSES`]
/// the table starts over (a flood of invented addresses cannot grow it).
#[derive(Default)]
pub struct ArpWatch {
    owners: HashMap<Ipv4Addr, Owner, RandomState>,
}

impl ArpWatch {
    pub const MAX_ADDRESSES: usize = 1 << 16;

    /// Checks the frame's ARP packet, if any (ARP frames only: others cost
    /// one lookup of the layer).
    pub fn see(&mut self, pkt: &Packet<'_>, frame: u64) -> ArpCheck {
        let mut out = ArpCheck::default();
        let Some(a) = pkt.arp() else {
            return out;
        };
        if !matches!(a.opcode(), 1 | 2) || !a.is_ether_ipv4() {
            return out;
        }
        let claims = |mac: MacAddr, ip: Ipv4Addr| {
            mac.0[0] & 1 == 0 && mac.0 != [0; 6] && !ip.is_unspecified()
        };
        if claims(a.sender_mac(), a.sender_ip()) {
            out.found[0] = self.check(a.sender_mac(), a.sender_ip(), frame);
            out.info = out.found[0].map(|d| d.ip);
        }
        if a.opcode() != 1
            && claims(a.target_mac(), a.target_ip())
            && out.info != Some(a.target_ip())
        {
            out.found[1] = self.check(a.target_mac(), a.target_ip(), frame);
            out.info = out.found[1].map(|d| d.ip);
        }
        out
    }

    fn check(&mut self, mac: MacAddr, ip: Ipv4Addr, frame: u64) -> Option<ArpDuplicate> {
        if self.owners.len() >= Self::MAX_ADDRESSES && !self.owners.contains_key(&ip) {
            self.owners.clear();
        }
        let owner = self.owners.entry(ip).or_insert(Owner { mac, frame });
        if owner.frame >= frame {
            // Just recorded (or seen earlier in this frame).
            return None;
        }
        if owner.mac == mac {
            owner.frame = frame;
            return None;
        }
        Some(ArpDuplicate {
            ip,
            owner: owner.mac,
            owner_frame: owner.frame,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An Ethernet frame carrying Ethernet/IPv4 ARP.
    fn arp(op: u16, sha: [u8; 6], spa: [u8; 4], tha: [u8; 6], tpa: [u8; 4]) -> Vec<u8> {
        let mut b = vec![0xff; 6];
        b.extend_from_slice(&sha);
        b.extend_from_slice(&[0x08, 0x06, 0, 1, 8, 0, 6, 4]);
        b.extend_from_slice(&op.to_be_bytes());
        b.extend_from_slice(&sha);
        b.extend_from_slice(&spa);
        b.extend_from_slice(&tha);
        b.extend_from_slice(&tpa);
        b
    }

    fn see(w: &mut ArpWatch, bytes: &[u8], frame: u64) -> Option<Ipv4Addr> {
        let pkt = wirehunt_dissect::dissect(bytes, wirehunt_dissect::LinkType(1));
        w.see(&pkt, frame).info
    }

    #[test]
    fn a_second_mac_for_an_address_is_a_duplicate() {
        let (gw, a, b) = ([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2], [2, 0, 0, 0, 0, 3]);
        let (gw_ip, a_ip) = ([198, 51, 100, 1], [198, 51, 100, 2]);
        let mut w = ArpWatch::default();
        // gw asks for a; a answers; then b claims gw's address, asking.
        assert_eq!(see(&mut w, &arp(1, gw, gw_ip, [0; 6], a_ip), 1), None);
        assert_eq!(see(&mut w, &arp(2, a, a_ip, gw, gw_ip), 2), None);
        let spoof = arp(1, b, gw_ip, [0; 6], a_ip);
        assert_eq!(see(&mut w, &spoof, 3), Some(Ipv4Addr::from(gw_ip)));
        // The first owner stays the owner.
        assert_eq!(see(&mut w, &arp(1, gw, gw_ip, [0; 6], a_ip), 4), None);
        assert_eq!(see(&mut w, &spoof, 5), Some(Ipv4Addr::from(gw_ip)));
        // A reply: found in the sender, cleared by the clean target, so in
        // the detail but not in the Info column.
        let bytes = arp(2, b, gw_ip, a, a_ip);
        let pkt = wirehunt_dissect::dissect(&bytes, wirehunt_dissect::LinkType(1));
        let c = w.see(&pkt, 6);
        assert_eq!(c.info, None);
        assert_eq!(
            c.duplicates()
                .map(|d| (d.ip, d.owner_frame))
                .collect::<Vec<_>>(),
            [(Ipv4Addr::from(gw_ip), 4)]
        );
        // A request's target MAC is not a claim; a broadcast sender is none.
        assert_eq!(see(&mut w, &arp(1, a, a_ip, b, gw_ip), 7), None);
        assert_eq!(see(&mut w, &arp(2, [0xff; 6], a_ip, gw, gw_ip), 8), None);
    }

    #[test]
    fn the_table_is_bounded() {
        let mut w = ArpWatch::default();
        for i in 0..(ArpWatch::MAX_ADDRESSES as u32 + 10) {
            let ip = (0x0a00_0001 + i).to_be_bytes();
            see(
                &mut w,
                &arp(1, [2, 0, 0, 0, 0, 1], ip, [0; 6], [10, 0, 0, 1]),
                i as u64 + 1,
            );
        }
        assert!(w.owners.len() <= ArpWatch::MAX_ADDRESSES);
    }
}
