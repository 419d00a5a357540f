//! Which worker a frame belongs to when a pass over a capture is split
//! over threads.
//!
//! Everything a pass remembers from one frame to the next (a conversation,
//! its TCP analysis, an IP datagram waiting for fragments) is keyed by two
//! IP addresses. A frame is therefore sent by the pair of addresses of its
//! first IP header, either way round: every frame between two hosts goes to
//! the same worker, whose state then sees them all in capture order.
//!
//! [`frame_pair`] reads that pair from the raw bytes, far more cheaply than
//! a dissection, so that every worker can skip the frames of the others.
//! [`layer_pairs`] gives the pairs of every IP header the full dissection
//! found, tunnelled and ICMP-quoted ones included: a frame whose other
//! headers belong elsewhere (a tunnel, an ICMP error from a router) shares
//! state with another worker, and the caller must then run the pass in one
//! thread.

use crate::{Layer, LinkType, Packet, Proto};

/// A hash of two addresses (4 or 16 bytes each), the same either way round.
pub fn pair_key(a: &[u8], b: &[u8]) -> u64 {
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    let mut h: u64 = 0x243f_6a88_85a3_08d3 ^ (lo.len() as u64);
    for chunk in lo.chunks(8).chain(hi.chunks(8)) {
        let mut w = [0u8; 8];
        w[..chunk.len()].copy_from_slice(chunk);
        h = (h ^ u64::from_le_bytes(w)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        h ^= h >> 29;
    }
    h ^ (h >> 32)
}

/// The worker, of `workers`, that a pair key belongs to.
pub fn worker_of(key: u64, workers: usize) -> usize {
    ((u128::from(key) * workers as u128) >> 64) as usize
}

/// The pair key of a frame's first IP header, found where the link layer
/// puts it (Ethernet with up to four VLAN tags, Linux cooked, BSD loopback,
/// raw IP); `None` when there is none (ARP, other link types, a cut frame).
pub fn frame_pair(data: &[u8], link_type: LinkType) -> Option<u64> {
    let (ethertype, at) = match link_type.0 {
        1 => {
            let mut et = u16::from_be_bytes([*data.get(12)?, *data.get(13)?]);
            let mut at = 14;
            for _ in 0..4 {
                if !matches!(et, 0x8100 | 0x88a8 | 0x9100) {
                    break;
                }
                et = u16::from_be_bytes([*data.get(at + 2)?, *data.get(at + 3)?]);
                at += 4;
            }
            (et, at)
        }
        113 => (u16::from_be_bytes([*data.get(14)?, *data.get(15)?]), 16),
        276 => (u16::from_be_bytes([*data.first()?, *data.get(1)?]), 20),
        0 | 108 => match crate::ethernet::null_family(data, link_type.0 == 108)? {
            2 => (0x0800, 4),
            24 | 28 | 30 => (0x86dd, 4),
            _ => return None,
        },
        12 | 14 | 101 => match data.first()? >> 4 {
            4 => (0x0800, 0),
            6 => (0x86dd, 0),
            _ => return None,
        },
        228 => (0x0800, 0),
        229 => (0x86dd, 0),
        _ => return None,
    };
    let ip = data.get(at..)?;
    match ethertype {
        0x0800 => ipv4_pair(ip),
        0x86dd => ipv6_pair(ip),
        _ => None,
    }
}

fn ipv4_pair(b: &[u8]) -> Option<u64> {
    (b.len() >= 20 && b[0] >> 4 == 4).then(|| pair_key(&b[12..16], &b[16..20]))
}

fn ipv6_pair(b: &[u8]) -> Option<u64> {
    (b.len() >= 40 && b[0] >> 4 == 6).then(|| pair_key(&b[8..24], &b[24..40]))
}

/// The pair key of every IP header of a dissected frame with both its
/// addresses (tunnelled and quoted ones too), in layer order.
pub fn layer_pairs<'p>(pkt: &'p Packet<'_>) -> impl Iterator<Item = u64> + 'p {
    pkt.layers().iter().filter_map(|l: &Layer| match l.proto {
        Proto::Ipv4 => ipv4_pair(pkt.bytes(l)),
        Proto::Ipv6 => ipv6_pair(pkt.bytes(l)),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dissect;

    fn eth_ipv4(src: [u8; 4], dst: [u8; 4], vlans: usize) -> Vec<u8> {
        let mut f = vec![0u8; 12];
        for _ in 0..vlans {
            f.extend_from_slice(&[0x81, 0x00, 0x00, 0x07]);
        }
        f.extend_from_slice(&[0x08, 0x00]);
        let mut ip = vec![0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0];
        ip.extend_from_slice(&src);
        ip.extend_from_slice(&dst);
        f.extend_from_slice(&ip);
        // A TCP header.
        f.extend_from_slice(&[0, 80, 4, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff]);
        f.extend_from_slice(&[0, 0, 0, 0]);
        f
    }

    #[test]
    fn either_direction_gives_the_same_key() {
        let a = [198, 51, 100, 1];
        let b = [203, 0, 113, 9];
        let ab = frame_pair(&eth_ipv4(a, b, 0), LinkType(1)).unwrap();
        let ba = frame_pair(&eth_ipv4(b, a, 0), LinkType(1)).unwrap();
        assert_eq!(ab, ba);
        assert_eq!(ab, pair_key(&a, &b));
        let other = frame_pair(&eth_ipv4(a, [203, 0, 113, 10], 0), LinkType(1)).unwrap();
        assert_ne!(ab, other);
    }

    #[test]
    fn vlan_tags_are_skipped_and_the_dissection_agrees() {
        let f = eth_ipv4([198, 51, 100, 1], [203, 0, 113, 9], 2);
        let key = frame_pair(&f, LinkType(1)).unwrap();
        let pkt = dissect(&f, LinkType(1));
        assert_eq!(layer_pairs(&pkt).collect::<Vec<_>>(), vec![key]);
    }

    #[test]
    fn frames_without_an_ip_header_have_no_key() {
        let mut arp = vec![0u8; 12];
        arp.extend_from_slice(&[0x08, 0x06]);
        arp.extend_from_slice(&[0u8; 28]);
        assert_eq!(frame_pair(&arp, LinkType(1)), None);
        assert_eq!(frame_pair(&[0u8; 10], LinkType(1)), None);
        assert_eq!(frame_pair(&[0x45; 19], LinkType(101)), None);
        assert_eq!(frame_pair(&[0u8; 60], LinkType(147)), None);
    }

    #[test]
    fn raw_and_cooked_links() {
        let f = eth_ipv4([198, 51, 100, 1], [203, 0, 113, 9], 0);
        let key = frame_pair(&f, LinkType(1)).unwrap();
        assert_eq!(frame_pair(&f[14..], LinkType(101)), Some(key));
        assert_eq!(frame_pair(&f[14..], LinkType(228)), Some(key));
        let mut sll = vec![0u8; 14];
        sll.extend_from_slice(&[0x08, 0x00]);
        sll.extend_from_slice(&f[14..]);
        assert_eq!(frame_pair(&sll, LinkType(113)), Some(key));
        let mut null = vec![2, 0, 0, 0];
        null.extend_from_slice(&f[14..]);
        assert_eq!(frame_pair(&null, LinkType(0)), Some(key));
    }

    #[test]
    fn workers_share_the_keys_out() {
        let mut seen = [0usize; 3];
        for i in 0..3000u32 {
            let k = pair_key(&i.to_be_bytes(), &[203, 0, 113, 1]);
            seen[worker_of(k, 3)] += 1;
        }
        assert!(seen.iter().all(|&n| n > 800), "{seen:?}");
    }
}
