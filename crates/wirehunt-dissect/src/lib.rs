//! Zero-copy, lax dissection for wirehunt.
//!
//! [`dissect`] turns the bytes of one frame into a [`Packet`]: the list of
//! [`Layer`]s found (protocol, where its bytes start and end) and the
//! [`Anomaly`]s met on the way. Nothing is copied and nothing is allocated;
//! field values are read on demand through one view type per protocol
//! ([`TcpSegment`], [`Ipv4Packet`], …), each over the layer's bytes.
//!
//! The contract, for every byte sequence:
//! - `dissect` never panics and visits at most [`MAX_LAYERS`] layers;
//! - a layer whose header does not fit or makes no sense becomes an anomaly
//!   and dissection stops there; the packet is still returned and counted;
//! - a view constructor (`new_checked`) returns `Some` only when its fixed
//!   header is present, and then no accessor panics.
//!
//! Datagrams quoted inside ICMP/ICMPv6 errors are dissected as further
//! layers with [`Layer::quoted`] set, so a port-unreachable says which port
//! was probed; flow tracking ignores quoted layers.

pub mod arp;
mod bytes;
pub mod dns;
pub mod dns_names;
pub mod ethernet;
pub mod http;
pub mod icmp;
pub mod ipv4;
pub mod ipv6;
pub mod ports;
pub mod quic;
pub mod reassembly;
pub mod sdp;
pub mod shard;
pub mod tcp;
pub mod tls;
pub mod udp;

use std::net::IpAddr;

pub use arp::ArpPacket;
pub use dns::DnsMessage;
pub use ethernet::{EthernetFrame, MacAddr, Sll2Header, SllHeader, VlanTag};
pub use icmp::IcmpMessage;
pub use ipv4::Ipv4Packet;
pub use ipv6::{Ipv6Fragment, Ipv6Packet};
pub use tcp::TcpSegment;
pub use udp::UdpDatagram;
pub use wirehunt_capture::LinkType;

use ethernet::ethertype;

/// Most layers recorded for one frame (bounds tunnel nesting).
pub const MAX_LAYERS: usize = 24;
/// Most anomalies recorded for one frame.
pub const MAX_ANOMALIES: usize = 4;

/// Protocols wirehunt recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Proto {
    Ethernet,
    Vlan,
    Sll,
    Sll2,
    Null,
    Mpls,
    Arp,
    Ipv4,
    /// An IPv4 header whose version is not 4 or whose header length is under
    /// 20 bytes: Wireshark shows an IPv4 item with only the version (and
    /// the header length, when the version was right) and reads no further.
    /// The layer spans the header length the first byte announces.
    Ipv4Bogus,
    Ipv6,
    /// The IPv6 fragment extension header.
    Ipv6Fragment,
    Tcp,
    Udp,
    Icmp,
    Icmpv6,
    Gre,
    Vxlan,
    Teredo,
    Dns,
    Tls,
    Http,
}

impl Proto {
    /// Wireshark's filter name of the protocol.
    pub fn filter_name(self) -> &'static str {
        match self {
            Proto::Ethernet => "eth",
            Proto::Vlan => "vlan",
            Proto::Sll | Proto::Sll2 => "sll",
            Proto::Null => "null",
            Proto::Mpls => "mpls",
            Proto::Arp => "arp",
            Proto::Ipv4 | Proto::Ipv4Bogus => "ip",
            Proto::Ipv6 => "ipv6",
            Proto::Ipv6Fragment => "ipv6",
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
            Proto::Icmp => "icmp",
            Proto::Icmpv6 => "icmpv6",
            Proto::Gre => "gre",
            Proto::Vxlan => "vxlan",
            Proto::Teredo => "teredo",
            Proto::Dns => "dns",
            Proto::Tls => "tls",
            Proto::Http => "http",
        }
    }

    /// Wireshark's short name of the protocol (the expert view's Protocol
    /// column).
    pub fn short_name(self) -> &'static str {
        match self {
            Proto::Ethernet => "Ethernet",
            Proto::Vlan => "VLAN",
            Proto::Sll | Proto::Sll2 => "SLL",
            Proto::Null => "NULL",
            Proto::Mpls => "MPLS",
            Proto::Arp => "ARP/RARP",
            Proto::Ipv4 | Proto::Ipv4Bogus => "IPv4",
            Proto::Ipv6 => "IPv6",
            Proto::Ipv6Fragment => "IPv6 Fragment",
            Proto::Tcp => "TCP",
            Proto::Udp => "UDP",
            Proto::Icmp => "ICMP",
            Proto::Icmpv6 => "ICMPv6",
            Proto::Gre => "GRE",
            Proto::Vxlan => "VXLAN",
            Proto::Teredo => "TEREDO",
            Proto::Dns => "DNS",
            Proto::Tls => "TLS",
            Proto::Http => "HTTP",
        }
    }
}

/// One decoded layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layer {
    pub proto: Proto,
    /// Offset of the layer's first byte in the frame.
    pub start: u32,
    /// End of the layer's captured bytes (its header and payload).
    pub end: u32,
    /// End as the lower layer declares it (may exceed the captured bytes
    /// when the snapshot length cut the frame).
    pub declared_end: u32,
    /// Inside a datagram quoted by an ICMP/ICMPv6 error.
    pub quoted: bool,
}

impl Layer {
    /// Length the lower layer declares for this layer.
    pub fn declared_len(&self) -> u32 {
        self.declared_end.saturating_sub(self.start)
    }
}

/// What went wrong with a layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnomalyKind {
    /// The capture ends inside the header.
    Truncated,
    /// A length field is smaller than the header or larger than allowed.
    BadLength,
    /// A value no valid header has (wrong version, bad pointer, …).
    Malformed,
}

/// A problem met while dissecting: the layer's protocol, where, and what.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Anomaly {
    pub proto: Proto,
    pub offset: u32,
    pub kind: AnomalyKind,
}

/// A dissected frame: the bytes plus the layers found in them.
#[derive(Debug, Clone)]
pub struct Packet<'a> {
    pub data: &'a [u8],
    pub link_type: LinkType,
    layers: [Layer; MAX_LAYERS],
    n_layers: u8,
    anomalies: [Anomaly; MAX_ANOMALIES],
    n_anomalies: u8,
    /// Length of the frame on the wire.
    reported_len: usize,
    /// Built by [`dissect_reassembled`]: the first IP layer carries a whole
    /// datagram reassembled from fragments.
    reassembled: bool,
    /// Still to apply to the first IP layer met.
    extend_first_ip: bool,
    /// Dissection stopped at an unquoted IP fragment.
    fragment: bool,
}

/// Addresses and ports of the transport layer that a conversation follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transport {
    pub proto: Proto,
    pub src: IpAddr,
    pub dst: IpAddr,
    pub src_port: u16,
    pub dst_port: u16,
    /// Index of the transport layer in [`Packet::layers`].
    pub layer: usize,
    /// Inside a datagram quoted by an ICMP error.
    pub quoted: bool,
}

const EMPTY_LAYER: Layer = Layer {
    proto: Proto::Ethernet,
    start: 0,
    end: 0,
    declared_end: 0,
    quoted: false,
};
const EMPTY_ANOMALY: Anomaly = Anomaly {
    proto: Proto::Ethernet,
    offset: 0,
    kind: AnomalyKind::Truncated,
};

impl<'a> Packet<'a> {
    /// The same dissection over other bytes: a copy of [`Packet::data`],
    /// for readers that keep packets past the buffer they were read from
    /// (or none, to keep the layers alone until then).
    pub fn over<'b>(&self, data: &'b [u8]) -> Packet<'b> {
        Packet {
            data,
            link_type: self.link_type,
            layers: self.layers,
            n_layers: self.n_layers,
            anomalies: self.anomalies,
            n_anomalies: self.n_anomalies,
            reported_len: self.reported_len,
            reassembled: self.reassembled,
            extend_first_ip: self.extend_first_ip,
            fragment: self.fragment,
        }
    }

    /// The layers in order, outermost first.
    #[inline]
    pub fn layers(&self) -> &[Layer] {
        &self.layers[..self.n_layers as usize]
    }

    /// True when the packet's first IP datagram was reassembled from
    /// fragments ([`dissect_reassembled`]).
    pub fn reassembled(&self) -> bool {
        self.reassembled
    }

    /// True when dissection stopped at an IP fragment (outside ICMP
    /// quotes): the payload waits for reassembly.
    pub fn fragment(&self) -> bool {
        self.fragment
    }

    /// The anomalies met.
    pub fn anomalies(&self) -> &[Anomaly] {
        &self.anomalies[..self.n_anomalies as usize]
    }

    /// Bytes of a layer.
    #[inline]
    pub fn bytes(&self, l: &Layer) -> &'a [u8] {
        self.data
            .get(l.start as usize..l.end as usize)
            .unwrap_or(&[])
    }

    /// The first layer of `proto` outside ICMP quotes.
    #[inline]
    pub fn find(&self, proto: Proto) -> Option<&Layer> {
        self.layers().iter().find(|l| l.proto == proto && !l.quoted)
    }

    /// Every layer of `proto`, quoted ones included (Wireshark shows every
    /// occurrence of a field).
    pub fn all(&self, proto: Proto) -> impl Iterator<Item = &Layer> {
        self.layers().iter().filter(move |l| l.proto == proto)
    }

    pub fn has(&self, proto: Proto) -> bool {
        self.layers().iter().any(|l| l.proto == proto)
    }

    pub fn ethernet(&self) -> Option<EthernetFrame<'a>> {
        EthernetFrame::new_checked(self.bytes(self.find(Proto::Ethernet)?))
    }
    pub fn arp(&self) -> Option<ArpPacket<'a>> {
        ArpPacket::new_checked(self.bytes(self.find(Proto::Arp)?))
    }
    pub fn ipv4(&self) -> Option<Ipv4Packet<'a>> {
        Ipv4Packet::new_checked(self.bytes(self.find(Proto::Ipv4)?))
    }
    pub fn ipv6(&self) -> Option<Ipv6Packet<'a>> {
        Ipv6Packet::new_checked(self.bytes(self.find(Proto::Ipv6)?))
    }
    pub fn tcp(&self) -> Option<TcpSegment<'a>> {
        TcpSegment::new_checked(self.bytes(self.find(Proto::Tcp)?))
    }
    pub fn udp(&self) -> Option<UdpDatagram<'a>> {
        UdpDatagram::new_checked(self.bytes(self.find(Proto::Udp)?))
    }
    pub fn icmp(&self) -> Option<IcmpMessage<'a>> {
        IcmpMessage::new_checked(self.bytes(self.find(Proto::Icmp)?))
    }
    pub fn icmpv6(&self) -> Option<IcmpMessage<'a>> {
        IcmpMessage::new_checked(self.bytes(self.find(Proto::Icmpv6)?))
    }
    pub fn dns(&self) -> Option<DnsMessage<'a>> {
        DnsMessage::new_checked(self.bytes(self.find(Proto::Dns)?))
    }

    /// Every TCP or UDP layer (tunnelled and ICMP-quoted ones included),
    /// outermost first: Wireshark gives each its conversation.
    pub fn transports(&self) -> impl Iterator<Item = Transport> + '_ {
        (0..self.layers().len()).filter_map(|i| self.transport_at(i))
    }

    #[inline]
    fn transport_at(&self, t: usize) -> Option<Transport> {
        let layers = self.layers();
        if !matches!(layers.get(t)?.proto, Proto::Tcp | Proto::Udp) {
            return None;
        }
        let ip = layers[..t]
            .iter()
            .rev()
            .find(|l| matches!(l.proto, Proto::Ipv4 | Proto::Ipv6))?;
        let (src, dst) = ip_addrs(self.bytes(ip), ip.proto)?;
        let tb = self.bytes(&layers[t]);
        // A segment with room for its ports only belongs to no connection.
        if layers[t].proto == Proto::Tcp && !layers[t].quoted && tb.len() < TcpSegment::MIN_LEN {
            return None;
        }
        Some(Transport {
            proto: layers[t].proto,
            src,
            dst,
            src_port: bytes::be16(tb, 0),
            dst_port: bytes::be16(tb, 2),
            layer: t,
            quoted: layers[t].quoted,
        })
    }

    /// Source and destination of the innermost unquoted IP layer.
    pub fn ip_addrs(&self) -> Option<(IpAddr, IpAddr)> {
        let l = self
            .layers()
            .iter()
            .rev()
            .find(|l| !l.quoted && matches!(l.proto, Proto::Ipv4 | Proto::Ipv6))?;
        ip_addrs(self.bytes(l), l.proto)
    }

    fn push(
        &mut self,
        proto: Proto,
        start: usize,
        end: usize,
        declared_end: usize,
        quoted: bool,
    ) -> bool {
        if self.n_layers as usize >= MAX_LAYERS {
            return false;
        }
        let end = end.min(self.data.len()).max(start.min(self.data.len()));
        self.layers[self.n_layers as usize] = Layer {
            proto,
            start: start as u32,
            end: end as u32,
            declared_end: declared_end.max(start) as u32,
            quoted,
        };
        self.n_layers += 1;
        true
    }

    fn anomaly(&mut self, proto: Proto, offset: usize, kind: AnomalyKind) {
        if (self.n_anomalies as usize) < MAX_ANOMALIES {
            self.anomalies[self.n_anomalies as usize] = Anomaly {
                proto,
                offset: offset as u32,
                kind,
            };
            self.n_anomalies += 1;
        }
    }
}

fn ip_addrs(b: &[u8], proto: Proto) -> Option<(IpAddr, IpAddr)> {
    match proto {
        Proto::Ipv4 => Ipv4Packet::new_checked(b).map(|ip| (ip.src().into(), ip.dst().into())),
        Proto::Ipv6 => Ipv6Packet::new_checked(b).map(|ip| (ip.src().into(), ip.dst().into())),
        _ => None,
    }
}

/// Dissects one frame of the given link type.
pub fn dissect(data: &[u8], link_type: LinkType) -> Packet<'_> {
    dissect_frame(data, data.len(), link_type)
}

/// Dissects one frame whose length on the wire was `orig_len`: lengths a
/// header declares are capped there, as Wireshark caps them at the
/// frame's reported length.
pub fn dissect_frame(data: &[u8], orig_len: usize, link_type: LinkType) -> Packet<'_> {
    dissect_with(data, orig_len, link_type, false)
}

/// Dissects a frame whose first IP datagram was reassembled from fragments
/// ([`reassembly::IpReassembly`]): `data` is the completing fragment's
/// bytes up to the end of its fragmenting header (the IPv4 header, or the
/// IPv6 fragment header) followed by the whole reassembled payload. That IP
/// layer then runs to the end of `data` and its payload is dissected
/// whatever its fragment fields say, as Wireshark dissects the reassembled
/// datagram on the frame that completes it.
pub fn dissect_reassembled(data: &[u8], link_type: LinkType) -> Packet<'_> {
    dissect_with(data, data.len(), link_type, true)
}

#[inline(always)]
fn dissect_with(
    data: &[u8],
    orig_len: usize,
    link_type: LinkType,
    reassembled: bool,
) -> Packet<'_> {
    let mut p = Packet {
        reported_len: orig_len.max(data.len()),
        data,
        link_type,
        layers: [EMPTY_LAYER; MAX_LAYERS],
        n_layers: 0,
        anomalies: [EMPTY_ANOMALY; MAX_ANOMALIES],
        n_anomalies: 0,
        reassembled,
        extend_first_ip: reassembled,
        fragment: false,
    };
    let end = data.len();
    match link_type.0 {
        1 => ethernet_at(&mut p, 0, end),
        113 => {
            if let Some(h) = SllHeader::new_checked(data) {
                p.push(Proto::Sll, 0, end, end, false);
                sll_payload(&mut p, h.protocol(), SllHeader::LEN, end);
            } else {
                p.anomaly(Proto::Sll, 0, AnomalyKind::Truncated);
            }
        }
        276 => {
            if let Some(h) = Sll2Header::new_checked(data) {
                p.push(Proto::Sll2, 0, end, end, false);
                sll_payload(&mut p, h.protocol(), Sll2Header::LEN, end);
            } else {
                p.anomaly(Proto::Sll2, 0, AnomalyKind::Truncated);
            }
        }
        0 | 108 => match ethernet::null_family(data, link_type.0 == 108) {
            Some(fam) => {
                p.push(Proto::Null, 0, end, end, false);
                match fam {
                    2 => ipv4_at(&mut p, 4, end, false),
                    24 | 28 | 30 => ipv6_at(&mut p, 4, end, false),
                    _ => {}
                }
            }
            None => p.anomaly(Proto::Null, 0, AnomalyKind::Truncated),
        },
        12 | 14 | 101 => raw_ip(&mut p, 0, end),
        228 => ipv4_at(&mut p, 0, end, false),
        229 => ipv6_at(&mut p, 0, end, false),
        _ => {}
    }
    p
}

fn raw_ip(p: &mut Packet<'_>, at: usize, end: usize) {
    match p.data.get(at).map(|b| b >> 4) {
        Some(4) => ipv4_at(p, at, end, false),
        Some(6) => ipv6_at(p, at, end, false),
        _ => {}
    }
}

/// The SLL protocol field is an EtherType when above 1500 (smaller values
/// name Linux-internal protocols such as raw 802.3 or 802.2 frames).
fn sll_payload(p: &mut Packet<'_>, protocol: u16, at: usize, end: usize) {
    if protocol > 1500 {
        ethertype_at(p, protocol, at, end);
    }
}

fn ethernet_at(p: &mut Packet<'_>, at: usize, end: usize) {
    let Some(eth) = p.data.get(at..end).and_then(EthernetFrame::new_checked) else {
        p.anomaly(Proto::Ethernet, at, AnomalyKind::Truncated);
        return;
    };
    if !p.push(Proto::Ethernet, at, end, end, false) {
        return;
    }
    ethertype_at(p, eth.ethertype(), at + EthernetFrame::HEADER_LEN, end);
}

fn ethertype_at(p: &mut Packet<'_>, et: u16, at: usize, end: usize) {
    match et {
        ethertype::IPV4 => ipv4_at(p, at, end, false),
        ethertype::IPV6 => ipv6_at(p, at, end, false),
        ethertype::ARP | ethertype::RARP => {
            match p.data.get(at..end).and_then(ArpPacket::new_checked) {
                // Addresses that do not fit: Wireshark shows the header, then
                // a malformed-packet error.
                Some(a) => {
                    let complete = a.is_complete();
                    p.push(Proto::Arp, at, end, end, false);
                    if !complete {
                        p.anomaly(Proto::Arp, at, AnomalyKind::Malformed);
                    }
                }
                None => p.anomaly(Proto::Arp, at, AnomalyKind::Truncated),
            }
        }
        ethertype::VLAN | ethertype::QINQ | ethertype::VLAN_9100 => {
            match p.data.get(at..end).and_then(VlanTag::new_checked) {
                Some(tag) => {
                    if p.push(Proto::Vlan, at, end, end, false) {
                        ethertype_at(p, tag.ethertype(), at + VlanTag::LEN, end);
                    }
                }
                None => p.anomaly(Proto::Vlan, at, AnomalyKind::Truncated),
            }
        }
        ethertype::MPLS | ethertype::MPLS_MC => {
            let mut pos = at;
            loop {
                let Some((_, bottom)) = p.data.get(pos..end).and_then(ethernet::mpls_entry) else {
                    p.anomaly(Proto::Mpls, pos, AnomalyKind::Truncated);
                    return;
                };
                if !p.push(Proto::Mpls, pos, end, end, false) {
                    return;
                }
                pos += 4;
                if bottom {
                    break;
                }
            }
            // MPLS does not say what it carries; guess from the version nibble
            // as Wireshark does.
            raw_ip(p, pos, end);
        }
        ethertype::TEB => ethernet_at(p, at, end),
        _ => {}
    }
}

fn ipv4_at(p: &mut Packet<'_>, at: usize, limit: usize, quoted: bool) {
    // Wireshark reads the version and the header length first and stops at
    // a wrong one, leaving an IPv4 item with just those; a version of 6 then
    // goes to IPv6.
    if let Some(&first) = p.data.get(at..limit).and_then(|b| b.first()) {
        let (version, hl) = (first >> 4, usize::from(first & 0x0f) * 4);
        if version != 4 || hl < Ipv4Packet::MIN_LEN {
            if p.push(Proto::Ipv4Bogus, at, (at + hl).min(limit), at + hl, quoted) && version == 6 {
                ipv6_at(p, at, limit, quoted);
            }
            return;
        }
    }
    let Some(ip) = p.data.get(at..limit).and_then(Ipv4Packet::new_checked) else {
        p.anomaly(Proto::Ipv4, at, AnomalyKind::Truncated);
        return;
    };
    let hl = ip.header_len();
    let total = ip.total_len() as usize;
    if total < hl && !quoted {
        p.anomaly(Proto::Ipv4, at, AnomalyKind::BadLength);
        return;
    }
    let whole = !quoted && std::mem::take(&mut p.extend_first_ip);
    let declared_end = if whole {
        limit
    } else if quoted {
        at + total.max(hl)
    } else {
        (at + total.max(hl)).min(p.reported_len)
    };
    let end = if quoted {
        limit
    } else {
        declared_end.min(limit)
    };
    if !p.push(Proto::Ipv4, at, end, declared_end, quoted) {
        return;
    }
    if at + hl > end {
        p.anomaly(Proto::Ipv4, at, AnomalyKind::Truncated);
        return;
    }
    if (ip.frag_offset() != 0 || ip.more_frags()) && !whole {
        p.fragment |= !quoted;
        return;
    }
    ip_payload(p, ip.protocol(), at + hl, end, declared_end, quoted, false);
}

fn ipv6_at(p: &mut Packet<'_>, at: usize, limit: usize, quoted: bool) {
    let Some(ip) = p.data.get(at..limit).and_then(Ipv6Packet::new_checked) else {
        p.anomaly(Proto::Ipv6, at, AnomalyKind::Truncated);
        return;
    };
    if ip.version() != 6 {
        p.anomaly(Proto::Ipv6, at, AnomalyKind::Malformed);
        return;
    }
    let plen = ip.payload_len() as usize;
    let whole = !quoted && std::mem::take(&mut p.extend_first_ip);
    let declared_end = if whole {
        limit
    } else {
        at + Ipv6Packet::HEADER_LEN
            + if plen == 0 {
                limit.saturating_sub(at + 40)
            } else {
                plen
            }
    };
    let end = if quoted {
        limit
    } else {
        declared_end.min(limit)
    };
    if !p.push(Proto::Ipv6, at, end, declared_end, quoted) {
        return;
    }
    let mut nh = ip.next_header();
    let mut pos = at + Ipv6Packet::HEADER_LEN;
    for _ in 0..8 {
        if !ipv6::is_extension(nh) {
            break;
        }
        let Some(len) = p
            .data
            .get(pos..end)
            .and_then(|b| ipv6::extension_len(nh, b))
        else {
            p.anomaly(Proto::Ipv6, pos, AnomalyKind::Truncated);
            return;
        };
        if ipv6::options_overrun(nh, &p.data[pos..pos + len]) {
            p.anomaly(Proto::Ipv6, pos, AnomalyKind::Malformed);
            return;
        }
        if nh == 44 {
            let Some(frag) = p.data.get(pos..end).and_then(Ipv6Fragment::new_checked) else {
                return;
            };
            p.push(Proto::Ipv6Fragment, pos, end, declared_end, quoted);
            if (frag.offset() != 0 || frag.more()) && !whole {
                p.fragment |= !quoted;
                return;
            }
        }
        nh = p.data[pos];
        pos += len;
    }
    ip_payload(p, nh, pos, end, declared_end, quoted, true);
}

fn ip_payload(
    p: &mut Packet<'_>,
    proto: u8,
    at: usize,
    end: usize,
    declared_end: usize,
    quoted: bool,
    over_ipv6: bool,
) {
    match proto {
        6 => tcp_at(p, at, end, declared_end, quoted),
        17 => udp_at(p, at, end, declared_end, quoted),
        1 if !over_ipv6 => icmp_at(p, Proto::Icmp, at, end, declared_end, quoted),
        58 if over_ipv6 => icmp_at(p, Proto::Icmpv6, at, end, declared_end, quoted),
        4 if !quoted => ipv4_at(p, at, end, false),
        41 if !quoted => ipv6_at(p, at, end, false),
        47 if !quoted => gre_at(p, at, end),
        _ => {}
    }
}

fn tcp_at(p: &mut Packet<'_>, at: usize, end: usize, declared_end: usize, quoted: bool) {
    let Some(seg) = p.data.get(at..end).and_then(|b| {
        // A quoted segment is often just its first 8 bytes.
        if quoted && b.len() >= 8 {
            Some(None)
        } else {
            TcpSegment::new_checked(b).map(Some)
        }
    }) else {
        // The IP length leaves room for the ports but not for a whole
        // header: Wireshark shows the ports, then stops with an exception.
        if !quoted && declared_end.saturating_sub(at) < TcpSegment::MIN_LEN && end >= at + 4 {
            p.push(Proto::Tcp, at, end, declared_end, quoted);
            p.anomaly(Proto::Tcp, at, AnomalyKind::Malformed);
            return;
        }
        p.anomaly(Proto::Tcp, at, AnomalyKind::Truncated);
        return;
    };
    let Some(seg) = seg else {
        p.push(Proto::Tcp, at, end, declared_end, quoted);
        return;
    };
    let hl = seg.header_len();
    if hl < TcpSegment::MIN_LEN {
        p.anomaly(Proto::Tcp, at, AnomalyKind::BadLength);
        return;
    }
    if !p.push(Proto::Tcp, at, end, declared_end, quoted) {
        return;
    }
    if at + hl > end {
        if !quoted {
            p.anomaly(Proto::Tcp, at, AnomalyKind::Truncated);
        }
        return;
    }
    if quoted {
        return;
    }
    let payload_at = at + hl;
    let payload = &p.data[payload_at..end];
    if payload.is_empty() {
        return;
    }
    let (sport, dport) = (seg.src_port(), seg.dst_port());
    if (sport == 53 || dport == 53) && payload.len() >= 2 + DnsMessage::HEADER_LEN {
        p.push(Proto::Dns, payload_at + 2, end, end, false);
    } else if tls::looks_like_record(payload) {
        p.push(Proto::Tls, payload_at, end, end, false);
    } else if (http::looks_like_request(payload) || http::looks_like_response(payload))
        && !http::port_owned_by_other_protocol(sport)
        && !http::port_owned_by_other_protocol(dport)
    {
        p.push(Proto::Http, payload_at, end, end, false);
    }
}

/// UDP ports whose datagrams carry a whole packet (VXLAN, Teredo): the
/// only UDP payloads decoded into link, network or transport layers.
pub const UDP_TUNNEL_PORTS: [u16; 2] = [4789, 3544];

fn udp_at(p: &mut Packet<'_>, at: usize, end: usize, declared_end: usize, quoted: bool) {
    let Some(u) = p.data.get(at..end).and_then(UdpDatagram::new_checked) else {
        p.anomaly(Proto::Udp, at, AnomalyKind::Truncated);
        return;
    };
    let ulen = u.length() as usize;
    let uend = if ulen >= 8 && at + ulen <= end {
        at + ulen
    } else {
        end
    };
    if !p.push(Proto::Udp, at, uend, declared_end, quoted) {
        return;
    }
    let (sport, dport) = (u.src_port(), u.dst_port());
    let pl = at + UdpDatagram::HEADER_LEN;
    let is = |port: u16| sport == port || dport == port;
    // A header cut by the IP length still goes to DNS (which shows what it
    // reads, then an error).
    if (is(53) || is(5353) || is(5355)) && uend - pl >= DnsMessage::MIN_LEN {
        // Also inside an ICMP error: Wireshark decodes the quoted query.
        p.push(Proto::Dns, pl, uend, uend, quoted);
    } else if is(1900) && http::looks_like_request(&p.data[pl..uend]) {
        // SSDP too: a quoted M-SEARCH is still shown.
        p.push(Proto::Http, pl, uend, uend, quoted);
    } else if quoted {
    } else if is(UDP_TUNNEL_PORTS[0]) && uend - pl >= 8 {
        if p.push(Proto::Vxlan, pl, uend, uend, false) {
            ethernet_at(p, pl + 8, uend);
        }
    } else if is(UDP_TUNNEL_PORTS[1])
        && let Some(v6) = teredo_ipv6(&p.data[..uend], pl)
        && p.push(Proto::Teredo, pl, uend, uend, false)
    {
        ipv6_at(p, v6, uend, false);
    } else if !ports::udp_claimed(sport)
        && !ports::udp_claimed(dport)
        && dns::looks_like_message(&p.data[pl..uend])
    {
        // Wireshark's DNS heuristic, tried on UDP payloads no port claims.
        p.push(Proto::Dns, pl, uend, uend, false);
    }
}

/// Where the IPv6 packet of a Teredo datagram starts: after an optional
/// authentication indicator (RFC 4380 5.1.1: 00 01, lengths, nonce,
/// confirmation) and an optional origin indication (00 00, port, address).
fn teredo_ipv6(b: &[u8], mut at: usize) -> Option<usize> {
    if b.get(at..at + 2) == Some(&[0, 1]) {
        let id = usize::from(*b.get(at + 2)?);
        let au = usize::from(*b.get(at + 3)?);
        at += 4 + id + au + 9;
    }
    if b.get(at..at + 2) == Some(&[0, 0]) {
        at += 8;
    }
    (b.get(at).is_some_and(|v| v >> 4 == 6) && b.len() >= at + 40).then_some(at)
}

fn icmp_at(
    p: &mut Packet<'_>,
    proto: Proto,
    at: usize,
    end: usize,
    declared_end: usize,
    quoted: bool,
) {
    let Some(m) = p.data.get(at..end).and_then(IcmpMessage::new_checked) else {
        p.anomaly(proto, at, AnomalyKind::Truncated);
        return;
    };
    if !p.push(proto, at, end, declared_end, quoted) || quoted || end < at + 8 {
        return;
    }
    match proto {
        Proto::Icmp if icmp::icmp_is_error(m.msg_type()) => ipv4_at(p, at + 8, end, true),
        Proto::Icmpv6 if icmp::icmpv6_is_error(m.msg_type()) => ipv6_at(p, at + 8, end, true),
        _ => {}
    }
}

fn gre_at(p: &mut Packet<'_>, at: usize, end: usize) {
    let Some(b) = p.data.get(at..end).filter(|b| b.len() >= 4) else {
        p.anomaly(Proto::Gre, at, AnomalyKind::Truncated);
        return;
    };
    let flags = bytes::be16(b, 0);
    let proto = bytes::be16(b, 2);
    let mut hl = 4;
    if flags & 0x8000 != 0 {
        hl += 4; // checksum + reserved
    }
    if flags & 0x2000 != 0 {
        hl += 4; // key
    }
    if flags & 0x1000 != 0 {
        hl += 4; // sequence
    }
    if flags & 0x0007 != 0 || at + hl > end {
        p.anomaly(Proto::Gre, at, AnomalyKind::Malformed);
        return;
    }
    if p.push(Proto::Gre, at, end, end, false) {
        ethertype_at(p, proto, at + hl, end);
    }
}

#[cfg(test)]
mod teredo_tests {
    use super::teredo_ipv6;

    #[test]
    fn indicators_before_the_ipv6_header() {
        let mut v6 = vec![0x60];
        v6.resize(40, 0);
        // Bare IPv6.
        assert_eq!(teredo_ipv6(&v6, 0), Some(0));
        // Authentication indicator (no id, no value: 13 bytes), then IPv6.
        let mut auth = vec![0, 1, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0];
        auth.extend_from_slice(&v6);
        assert_eq!(teredo_ipv6(&auth, 0), Some(13));
        // Authentication, then origin indication (8 bytes), then IPv6.
        let mut both = auth[..13].to_vec();
        both.extend_from_slice(&[0, 0, 0x12, 0x34, 10, 0, 0, 1]);
        both.extend_from_slice(&v6);
        assert_eq!(teredo_ipv6(&both, 0), Some(21));
        // Too short, or not IPv6.
        assert_eq!(teredo_ipv6(&both[..30], 0), None);
        assert_eq!(teredo_ipv6(&[0x45; 60], 0), None);
    }
}
