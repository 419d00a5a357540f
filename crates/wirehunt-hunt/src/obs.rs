//! The few facts of a packet the detectors read, pulled out once.

use std::net::IpAddr;

use wirehunt_dissect::tcp::{TcpOption, flags};
use wirehunt_dissect::{
    ArpPacket, IcmpMessage, Ipv4Packet, Ipv6Packet, MacAddr, Packet, Proto, TcpSegment, UdpDatagram,
};

/// The innermost IP header outside ICMP quotes.
#[derive(Debug, Clone, Copy)]
pub struct Ip {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub ttl: u8,
    /// IPv4 identification; IPv6 has none.
    pub id: Option<u16>,
    /// IPv4 protocol or the IPv6 header's next header.
    pub proto: u8,
}

#[derive(Debug, Clone, Copy)]
pub struct Tcp<'a> {
    pub sport: u16,
    pub dport: u16,
    pub flags: u16,
    pub seq: u32,
    pub ack: u32,
    pub win: u16,
    pub payload: &'a [u8],
    /// Bytes of options in the header.
    pub opts_len: u8,
    pub mss: Option<u16>,
    pub wscale: Option<u8>,
}

impl Tcp<'_> {
    pub fn has(&self, f: u16) -> bool {
        self.flags & f != 0
    }
    /// Sequence space the segment occupies (payload plus SYN and FIN).
    pub fn seq_len(&self) -> u32 {
        self.payload.len() as u32
            + u32::from(self.has(flags::SYN))
            + u32::from(self.has(flags::FIN))
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Udp {
    pub sport: u16,
    pub dport: u16,
}

/// The datagram an ICMP error quotes: who sent it to whom, and to which port.
#[derive(Debug, Clone, Copy)]
pub struct Quoted {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub proto: u8,
    pub dport: u16,
}

#[derive(Debug, Clone, Copy)]
pub struct Icmp<'a> {
    pub v6: bool,
    pub typ: u8,
    pub code: u8,
    /// Identifier and sequence number (echo messages).
    pub ident: u16,
    pub seq: u16,
    /// What follows the 8-byte header.
    pub data: &'a [u8],
    pub quoted: Option<Quoted>,
}

#[derive(Debug, Clone, Copy)]
pub struct Arp {
    pub op: u16,
    pub sha: MacAddr,
    pub spa: std::net::Ipv4Addr,
    pub tpa: std::net::Ipv4Addr,
}

#[derive(Debug, Clone, Copy)]
pub enum L4<'a> {
    None,
    Tcp(Tcp<'a>),
    Udp(Udp),
    Icmp(Icmp<'a>),
}

/// One frame as the detectors see it.
#[derive(Debug, Clone, Copy)]
pub struct Obs<'a> {
    pub frame: u64,
    pub ts: i64,
    pub len: u32,
    pub eth_src: Option<MacAddr>,
    pub ip: Option<Ip>,
    pub l4: L4<'a>,
    pub arp: Option<Arp>,
}

impl<'a> Obs<'a> {
    pub fn new(frame: u64, ts: i64, len: u32, pkt: &Packet<'a>) -> Obs<'a> {
        let mut o = Obs {
            frame,
            ts,
            len,
            eth_src: pkt.ethernet().map(|e| e.src()),
            ip: None,
            l4: L4::None,
            arp: None,
        };
        let mut quoted: Option<Quoted> = None;
        for l in pkt.layers() {
            let b = pkt.bytes(l);
            match (l.proto, l.quoted) {
                (Proto::Ipv4, false) => {
                    if let Some(ip) = Ipv4Packet::new_checked(b) {
                        o.ip = Some(Ip {
                            src: ip.src().into(),
                            dst: ip.dst().into(),
                            ttl: ip.ttl(),
                            id: Some(ip.ident()),
                            proto: ip.protocol(),
                        });
                        o.l4 = L4::None;
                    }
                }
                (Proto::Ipv6, false) => {
                    if let Some(ip) = Ipv6Packet::new_checked(b) {
                        o.ip = Some(Ip {
                            src: ip.src().into(),
                            dst: ip.dst().into(),
                            ttl: ip.hop_limit(),
                            id: None,
                            proto: ip.next_header(),
                        });
                        o.l4 = L4::None;
                    }
                }
                (Proto::Tcp, false) => {
                    if let Some(t) = TcpSegment::new_checked(b) {
                        o.l4 = L4::Tcp(tcp(&t));
                    }
                }
                (Proto::Udp, false) => {
                    if let Some(u) = UdpDatagram::new_checked(b) {
                        o.l4 = L4::Udp(Udp {
                            sport: u.src_port(),
                            dport: u.dst_port(),
                        });
                    }
                }
                (Proto::Icmp | Proto::Icmpv6, false) => {
                    if let Some(m) = IcmpMessage::new_checked(b) {
                        o.l4 = L4::Icmp(Icmp {
                            v6: l.proto == Proto::Icmpv6,
                            typ: m.msg_type(),
                            code: m.code(),
                            ident: m.ident(),
                            seq: m.seq(),
                            data: m.body(),
                            quoted: None,
                        });
                    }
                }
                (Proto::Ipv4, true) if quoted.is_none() => quoted = quoted_v4(b),
                (Proto::Ipv6, true) if quoted.is_none() => quoted = quoted_v6(b),
                (Proto::Arp, false) => {
                    if let Some(a) = ArpPacket::new_checked(b)
                        && a.is_ether_ipv4()
                    {
                        o.arp = Some(Arp {
                            op: a.opcode(),
                            sha: a.sender_mac(),
                            spa: a.sender_ip(),
                            tpa: a.target_ip(),
                        });
                    }
                }
                _ => {}
            }
        }
        if let L4::Icmp(ref mut i) = o.l4 {
            i.quoted = quoted;
        }
        o
    }
}

fn tcp<'a>(t: &TcpSegment<'a>) -> Tcp<'a> {
    let mut mss = None;
    let mut wscale = None;
    for opt in t.options() {
        match opt {
            TcpOption::Mss(m) => mss = Some(m),
            TcpOption::WindowScale(w) => wscale = Some(w),
            _ => {}
        }
    }
    Tcp {
        sport: t.src_port(),
        dport: t.dst_port(),
        flags: t.flags(),
        seq: t.seq(),
        ack: t.ack(),
        win: t.window(),
        payload: t.payload(),
        opts_len: t.options_raw().len().min(255) as u8,
        mss,
        wscale,
    }
}

/// Destination port of a quoted transport header: ICMP errors often quote
/// only its first 8 bytes, so it is read from the bytes after the IP header.
fn quoted_port(proto: u8, rest: &[u8]) -> u16 {
    if matches!(proto, 6 | 17) && rest.len() >= 4 {
        u16::from_be_bytes([rest[2], rest[3]])
    } else {
        0
    }
}

fn quoted_v4(b: &[u8]) -> Option<Quoted> {
    let ip = Ipv4Packet::new_checked(b)?;
    let dport = quoted_port(ip.protocol(), b.get(ip.header_len()..).unwrap_or(&[]));
    Some(Quoted {
        src: ip.src().into(),
        dst: ip.dst().into(),
        proto: ip.protocol(),
        dport,
    })
}

fn quoted_v6(b: &[u8]) -> Option<Quoted> {
    let ip = Ipv6Packet::new_checked(b)?;
    let dport = quoted_port(ip.next_header(), b.get(40..).unwrap_or(&[]));
    Some(Quoted {
        src: ip.src().into(),
        dst: ip.dst().into(),
        proto: ip.next_header(),
        dport,
    })
}

/// Multicast, broadcast (including x.x.x.255, taken as a subnet broadcast)
/// or unspecified: never the target of a probe.
pub fn is_group(a: IpAddr) -> bool {
    match a {
        IpAddr::V4(v) => {
            v.is_multicast() || v.is_broadcast() || v.is_unspecified() || v.octets()[3] == 255
        }
        IpAddr::V6(v) => v.is_multicast() || v.is_unspecified(),
    }
}
