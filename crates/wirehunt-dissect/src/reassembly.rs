//! IP fragment reassembly, as Wireshark does it with its default
//! preferences (`ip.defragment`, `ipv6.defragment`): the fragments of a
//! datagram are collected, and the frame whose fragment completes it
//! (every byte from offset 0 to the end of the last fragment present)
//! carries the whole datagram, dissected again with
//! [`crate::dissect_reassembled`]. The other fragments stay fragments.
//!
//! Only the first IP layer of a frame is reassembled (not the inner packet
//! of a tunnel, nor a datagram quoted by an ICMP error). A fragment cut short
//! by the snapshot length cannot be used, as in Wireshark.
//!
//! Memory is bounded: at most [`MAX_DATAGRAMS`] datagrams wait for their
//! missing fragments (the oldest is dropped to make room), a datagram
//! never exceeds 65,535 bytes, and fragments that would run past that are
//! ignored (the "ping of death" never reassembles).

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;

use crate::{Ipv4Packet, Ipv6Fragment, Ipv6Packet, Packet, Proto};

/// Most datagrams waiting for fragments at once.
pub const MAX_DATAGRAMS: usize = 4096;

/// Largest reassembled payload.
const MAX_DATAGRAM: usize = 65_535;

/// Which datagram a fragment belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    src: IpAddr,
    dst: IpAddr,
    id: u32,
    /// The IPv4 protocol; 0 for IPv6, whose fragments are keyed by
    /// addresses and identification alone.
    proto: u8,
}

#[derive(Default)]
struct Datagram {
    data: Vec<u8>,
    /// Byte ranges present, sorted and merged.
    have: Vec<(usize, usize)>,
    /// Payload length, once the last fragment has been seen.
    total: Option<usize>,
}

impl Datagram {
    /// Adds `bytes` at `offset`; bytes already present are kept.
    fn add(&mut self, offset: usize, bytes: &[u8]) {
        let end = offset + bytes.len();
        if self.data.len() < end {
            self.data.resize(end, 0);
        }
        // Fill only the gaps, so the first copy of overlapping data wins.
        let mut at = offset;
        for &(s, e) in &self.have {
            if e <= at || s >= end {
                continue;
            }
            if s > at {
                self.data[at..s].copy_from_slice(&bytes[at - offset..s - offset]);
            }
            at = at.max(e);
        }
        if at < end {
            self.data[at..end].copy_from_slice(&bytes[at - offset..]);
        }
        self.have.push((offset, end));
        self.have.sort_unstable();
        let mut merged: Vec<(usize, usize)> = Vec::with_capacity(self.have.len());
        for &(s, e) in &self.have {
            match merged.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => merged.push((s, e)),
            }
        }
        self.have = merged;
    }

    fn complete(&self) -> bool {
        self.total
            .is_some_and(|t| self.have.first().is_some_and(|&(s, e)| s == 0 && e >= t))
    }
}

/// A fragment found in a packet.
struct Found<'a> {
    key: Key,
    offset: usize,
    more: bool,
    payload: &'a [u8],
    /// End of the fragmenting header in the frame.
    header_end: usize,
}

/// Collects fragments across frames; see the module documentation.
#[derive(Default)]
pub struct IpReassembly {
    pending: HashMap<Key, Datagram>,
    order: VecDeque<Key>,
    out: Vec<u8>,
    dropped: u64,
}

impl IpReassembly {
    /// Feeds one dissected frame. When its fragment completes a datagram,
    /// returns the bytes to dissect with [`crate::dissect_reassembled`]:
    /// the frame's bytes up to the end of the fragmenting header, then the
    /// whole payload.
    pub fn feed(&mut self, pkt: &Packet<'_>) -> Option<&[u8]> {
        if !pkt.fragment() {
            return None;
        }
        let f = find(pkt)?;
        let end = f.offset + f.payload.len();
        if end > MAX_DATAGRAM {
            return None;
        }
        if !self.pending.contains_key(&f.key) {
            if self.pending.len() >= MAX_DATAGRAMS {
                while let Some(old) = self.order.pop_front() {
                    if self.pending.remove(&old).is_some() {
                        self.dropped += 1;
                        break;
                    }
                }
            }
            // Completed datagrams leave their key behind; drop those now and
            // then so the queue stays bounded too.
            if self.order.len() >= 2 * MAX_DATAGRAMS {
                let pending = &self.pending;
                self.order.retain(|k| pending.contains_key(k));
            }
            self.order.push_back(f.key);
        }
        let d = self.pending.entry(f.key).or_default();
        if !f.more {
            // A second "last" fragment that disagrees keeps the first end.
            d.total.get_or_insert(end);
        }
        d.add(f.offset, f.payload);
        if !d.complete() {
            return None;
        }
        let d = self.pending.remove(&f.key)?;
        let total = d.total.unwrap_or(0);
        self.out.clear();
        self.out.extend_from_slice(&pkt.data[..f.header_end]);
        self.out.extend_from_slice(&d.data[..total]);
        Some(&self.out)
    }

    /// Dissects one frame as [`crate::dissect_frame`] does, feeding its
    /// fragment in: the frame that completes a datagram comes back with all
    /// of it ([`crate::dissect_reassembled`]).
    pub fn dissect<'s>(
        &'s mut self,
        data: &'s [u8],
        orig_len: usize,
        link_type: crate::LinkType,
    ) -> Packet<'s> {
        // One packet, returned on every path, so that it is built where
        // the caller wants it rather than moved there (it is large).
        let mut pkt = crate::dissect_frame(data, orig_len, link_type);
        if pkt.fragment()
            && let Some(whole) = self.feed(&pkt)
        {
            pkt = crate::dissect_reassembled(whole, link_type);
        }
        pkt
    }

    /// Datagrams given up because too many were waiting.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
}

/// The fragment carried by the first IP layer of `pkt`, if it is one.
fn find<'a>(pkt: &Packet<'a>) -> Option<Found<'a>> {
    let layers = pkt.layers();
    let i = layers
        .iter()
        .position(|l| matches!(l.proto, Proto::Ipv4 | Proto::Ipv6))?;
    let l = &layers[i];
    if l.quoted || l.end < l.declared_end {
        return None;
    }
    let b = pkt.bytes(l);
    match l.proto {
        Proto::Ipv4 => {
            let ip = Ipv4Packet::new_checked(b)?;
            if ip.frag_offset() == 0 && !ip.more_frags() {
                return None;
            }
            let hl = ip.header_len();
            Some(Found {
                key: Key {
                    src: ip.src().into(),
                    dst: ip.dst().into(),
                    id: u32::from(ip.ident()),
                    proto: ip.protocol(),
                },
                offset: usize::from(ip.frag_offset()) * 8,
                more: ip.more_frags(),
                payload: b.get(hl..)?,
                header_end: l.start as usize + hl,
            })
        }
        _ => {
            let ip = Ipv6Packet::new_checked(b)?;
            let fl = layers
                .get(i + 1)
                .filter(|x| x.proto == Proto::Ipv6Fragment)?;
            let frag = Ipv6Fragment::new_checked(pkt.bytes(fl))?;
            if frag.offset() == 0 && !frag.more() {
                return None;
            }
            let at = fl.start as usize + 8;
            Some(Found {
                key: Key {
                    src: ip.src().into(),
                    dst: ip.dst().into(),
                    id: frag.ident(),
                    proto: 0,
                },
                offset: usize::from(frag.offset()) * 8,
                more: frag.more(),
                payload: pkt.data.get(at..l.end as usize)?,
                header_end: at,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{LinkType, dissect_frame, dissect_reassembled};

    /// A raw IPv4 fragment (link type 228) of protocol 17.
    fn v4(id: u16, offset_units: u16, more: bool, payload: &[u8]) -> Vec<u8> {
        let total = (20 + payload.len()) as u16;
        let frag = offset_units | if more { 0x2000 } else { 0 };
        let mut b = vec![0x45, 0];
        b.extend_from_slice(&total.to_be_bytes());
        b.extend_from_slice(&id.to_be_bytes());
        b.extend_from_slice(&frag.to_be_bytes());
        b.extend_from_slice(&[64, 17, 0, 0, 198, 51, 100, 1, 198, 51, 100, 2]);
        b.extend_from_slice(payload);
        b
    }

    fn udp(len: usize) -> Vec<u8> {
        let mut u = vec![0x30, 0x39, 0x00, 0x35];
        u.extend_from_slice(&(len as u16).to_be_bytes());
        u.extend_from_slice(&[0, 0]);
        u.extend((0..len - 8).map(|i| i as u8));
        u
    }

    #[test]
    fn out_of_order_ipv4_fragments_complete_on_the_last_arrival() {
        let dgram = udp(40);
        let mut r = IpReassembly::default();
        // Second half first, then the first half.
        let f2 = v4(7, 3, false, &dgram[24..]);
        let f1 = v4(7, 0, true, &dgram[..24]);
        assert!(
            r.feed(&dissect_frame(&f2, f2.len(), LinkType::IPV4))
                .is_none()
        );
        let whole = r
            .feed(&dissect_frame(&f1, f1.len(), LinkType::IPV4))
            .expect("complete")
            .to_vec();
        assert_eq!(&whole[20..], &dgram[..]);
        let p = dissect_reassembled(&whole, LinkType::IPV4);
        assert!(p.reassembled());
        let u = p.udp().expect("UDP over the reassembled datagram");
        assert_eq!((u.src_port(), u.dst_port()), (12345, 53));
        assert_eq!(p.bytes(p.find(Proto::Udp).unwrap()).len(), 40);
    }

    #[test]
    fn overlaps_keep_the_first_copy_and_oversize_fragments_are_ignored() {
        let mut d = Datagram::default();
        d.add(0, &[1, 1, 1, 1]);
        d.add(2, &[2, 2, 2, 2]);
        assert_eq!(d.data, [1, 1, 1, 1, 2, 2]);
        assert_eq!(d.have, [(0, 6)]);

        let mut r = IpReassembly::default();
        let big = v4(9, 8190, false, &[0; 100]);
        assert!(
            r.feed(&dissect_frame(&big, big.len(), LinkType::IPV4))
                .is_none()
        );
        assert!(r.pending.is_empty());
    }

    #[test]
    fn waiting_datagrams_are_bounded() {
        let mut r = IpReassembly::default();
        for id in 0..(MAX_DATAGRAMS as u16 + 10) {
            let f = v4(id, 0, true, &[0; 16]);
            r.feed(&dissect_frame(&f, f.len(), LinkType::IPV4));
        }
        assert_eq!(r.pending.len(), MAX_DATAGRAMS);
        assert_eq!(r.dropped(), 10);
        // Completed datagrams do not pile up in the queue.
        let dgram = udp(16);
        for id in 0..(3 * MAX_DATAGRAMS as u16) {
            for (off, more, part) in [(0, true, &dgram[..8]), (1, false, &dgram[8..])] {
                let f = v4(id.wrapping_add(20_000), off, more, part);
                r.feed(&dissect_frame(&f, f.len(), LinkType::IPV4));
            }
        }
        assert!(r.order.len() <= 2 * MAX_DATAGRAMS);
    }
}
