//! The packet-list line, as `tshark -r FILE` prints it by default:
//! number, time since the first frame, source → destination, protocol,
//! length and the Info text. Column widths follow tshark (number 5, time 10,
//! source 12 right-aligned, destination 12 left-aligned).

use std::collections::HashMap;
use std::io::Write;
use std::net::IpAddr;

use wirehunt_dissect::dns::{self, DnsMessage};
use wirehunt_dissect::tcp::{TcpOption, flags};
use wirehunt_dissect::{ArpPacket, MacAddr, Packet, Proto, TcpSegment};

use crate::Value;
use crate::registry::FrameCtx;
use crate::value::{write_seconds, write_uint};

/// Scratch space reused across lines so that printing allocates nothing,
/// plus the echo requests seen (a reply names its request, as tshark's
/// "(request in N)").
#[derive(Default)]
pub struct LineWriter {
    src: Vec<u8>,
    dst: Vec<u8>,
    info: Vec<u8>,
    num: Vec<u8>,
    echo_requests: HashMap<EchoKey, (u64, u64)>,
}

/// (requester, responder, id, seq) of an ICMP or ICMPv6 echo.
type EchoKey = (IpAddr, IpAddr, u16, u16);

/// Most echo requests remembered; the table is cleared when full.
const MAX_ECHO_REQUESTS: usize = 1 << 16;

/// Protocol column for frames wirehunt does not decode further.
const UNKNOWN_PROTO: &str = "?";

impl LineWriter {
    /// Appends the line for one frame (with a trailing newline) to `out`.
    /// `time_digits` is the file's time precision (6 or 9).
    pub fn write(&mut self, ctx: &FrameCtx<'_, '_>, time_digits: u8, out: &mut Vec<u8>) {
        self.src.clear();
        self.dst.clear();
        self.info.clear();
        self.num.clear();
        let proto = summarize(ctx, &mut self.src, &mut self.dst, &mut self.info);
        if ctx.tcp.flags & wirehunt_flow::analysis::flags::ANY != 0 {
            // tshark's analysis labels go in front of whatever Info says.
            self.num.clear();
            ctx.tcp.write_labels(&mut self.num);
            self.info.splice(0..0, self.num.iter().copied());
            self.num.clear();
        }
        if ctx.reassembly_error {
            // tshark's report of the exception, right after the Info text.
            let _ = write!(
                self.info,
                "[Reassembly error, protocol TCP: {}]",
                crate::tls_reassembly::OVERLAP_ERROR
            );
        }
        if let Some((ingress, slot, tmm)) = f5_trailer(ctx.pkt) {
            // An F5 BIG-IP Ethernet trailer: its dissector runs last and
            // puts the direction and the TMM in front.
            let prefix = format!(
                "{} s{}/tmm{} : ",
                if ingress { "IN " } else { "OUT" },
                slot,
                tmm
            );
            self.info.splice(0..0, prefix.bytes());
        }
        self.match_echo(ctx);

        pad_left(
            out,
            itoa::Buffer::new().format(ctx.frame.number).as_bytes(),
            5,
        );
        out.push(b' ');
        // A record without a time (a simple packet block, a custom block)
        // leaves the column empty.
        if ctx.frame.has_ts {
            write_seconds(
                &mut self.num,
                ctx.frame.ts_ns - ctx.first_ts_ns,
                time_digits,
            );
        }
        pad_left(out, &self.num, 10);
        out.push(b' ');
        pad_left(out, &self.src, 12);
        out.extend_from_slice(" → ".as_bytes());
        out.extend_from_slice(&self.dst);
        for _ in self.dst.len()..12 {
            out.push(b' ');
        }
        out.push(b' ');
        // An Ethernet type Wireshark has no dissector for either is named
        // by its number.
        let unknown_type = (proto == UNKNOWN_PROTO)
            .then(|| crate::protocols::unknown_ethertype(ctx.pkt))
            .flatten();
        match unknown_type {
            Some(t) => {
                let _ = write!(out, "0x{t:04x}");
            }
            None => out.extend_from_slice(proto.as_bytes()),
        }
        out.push(b' ');
        write_uint(out, ctx.frame.orig_len.into());
        if !self.info.is_empty() {
            out.push(b' ');
            out.extend_from_slice(&self.info);
        }
        out.push(b'\n');
    }
}

impl LineWriter {
    fn match_echo(&mut self, ctx: &FrameCtx<'_, '_>) {
        let pkt = ctx.pkt;
        let (msg, request, reply) = match pkt
            .layers()
            .iter()
            .rev()
            .find(|l| !l.quoted)
            .map(|l| l.proto)
        {
            Some(Proto::Icmp) => (pkt.icmp(), 8, 0),
            Some(Proto::Icmpv6) => (pkt.icmpv6(), 128, 129),
            _ => return,
        };
        let (Some(m), Some((src, dst))) = (msg, pkt.ip_addrs()) else {
            return;
        };
        if m.len() < 8 {
            return;
        }
        if m.msg_type() == request {
            if self.echo_requests.len() >= MAX_ECHO_REQUESTS {
                self.echo_requests.clear();
            }
            self.echo_requests
                .entry((src, dst, m.ident(), m.seq()))
                .or_insert((ctx.frame.number, data_hash(m.body())));
        } else if m.msg_type() == reply
            && let Some(&(n, data)) = self.echo_requests.get(&(dst, src, m.ident(), m.seq()))
            // A reply echoes the request's data; one that does not (an ICMP
            // tunnel) answers no request, as Wireshark sees it.
            && data == data_hash(m.body())
        {
            self.echo_requests.remove(&(dst, src, m.ident(), m.seq()));
            let _ = write!(self.info, " (request in {n})");
        }
    }
}

/// A fingerprint of an echo message's data.
fn data_hash(data: &[u8]) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = foldhash::fast::FixedState::with_seed(0x1c4d).build_hasher();
    h.write(data);
    h.finish()
}

fn pad_left(out: &mut Vec<u8>, s: &[u8], width: usize) {
    for _ in s.len()..width {
        out.push(b' ');
    }
    out.extend_from_slice(s);
}

fn text(v: Value<'_>, out: &mut Vec<u8>) {
    v.write_text(out)
}

fn write_ip(a: IpAddr, out: &mut Vec<u8>) {
    match a {
        IpAddr::V4(v) => text(Value::Ipv4(v), out),
        IpAddr::V6(v) => text(Value::Ipv6(v), out),
    }
}

fn write_mac(m: MacAddr, out: &mut Vec<u8>) {
    text(Value::Mac(m), out)
}

/// The low-details record of an F5 BIG-IP Ethernet trailer after the IP
/// datagram: (ingress, slot counted from 1, TMM). The trailer is a chain of
/// records `type, length, version, …` of types 1 to 3 that covers the bytes
/// after the datagram exactly; zero padding is not one.
fn f5_trailer(pkt: &Packet<'_>) -> Option<(bool, u8, u8)> {
    let layers = pkt.layers();
    if layers.first()?.proto != Proto::Ethernet {
        return None;
    }
    let ip = layers
        .iter()
        .find(|l| matches!(l.proto, Proto::Ipv4 | Proto::Ipv6))?;
    let trailer = pkt.data.get(ip.declared_end as usize..)?;
    let mut at = 0usize;
    let mut low = None;
    while at < trailer.len() {
        let rec = &trailer[at..];
        let (kind, len) = (rec[0], *rec.get(1)? as usize);
        if !(1..=3).contains(&kind) || len < 3 || 2 + len > rec.len() || rec[2] != 0 {
            return None;
        }
        if kind == 1 && len >= 4 {
            low = Some((rec[3] == 1, rec.get(4)?.wrapping_add(1), *rec.get(5)?));
        }
        at += 2 + len;
    }
    low
}

/// Fills source, destination and info; returns the protocol column.
fn summarize(
    ctx: &FrameCtx<'_, '_>,
    src: &mut Vec<u8>,
    dst: &mut Vec<u8>,
    info: &mut Vec<u8>,
) -> &'static str {
    let pkt = ctx.pkt;
    if let Some(cb) = ctx.frame.custom {
        let _ = write!(
            info,
            "Custom Block: PEN = {cb}, {}",
            if cb.copy {
                "will be copied"
            } else {
                "will not be copied"
            }
        );
        return "PCAPNG";
    }
    if let Some((s, d)) = pkt.ip_addrs() {
        write_ip(s, src);
        write_ip(d, dst);
    } else if let Some(e) = pkt.ethernet() {
        write_mac(e.src(), src);
        write_mac(e.dst(), dst);
    } else if let Some(mac) = sll_source(pkt) {
        write_mac(mac, src);
    }
    // The innermost unquoted layer Wireshark dissects decides the protocol
    // column.
    let Some(top) = pkt
        .layers()
        .iter()
        .enumerate()
        .rev()
        .find(|(i, l)| !l.quoted && ctx.dissects(*i))
        .map(|(_, l)| l)
    else {
        // Raw IP too short to say which IP it is: Wireshark's raw dissector
        // shows the bytes as data.
        if matches!(pkt.link_type.0, 12 | 14 | 101 | 228 | 229) {
            src.extend_from_slice(b"N/A");
            dst.extend_from_slice(b"N/A");
            info.extend_from_slice(b"Raw packet data");
            if ctx.frame.data.len() < ctx.frame.orig_len as usize {
                info.extend_from_slice(b"[Packet size limited during capture]");
            }
            return "N/A";
        }
        return UNKNOWN_PROTO;
    };
    if top.proto == Proto::Ethernet
        && pkt
            .ethernet()
            .is_some_and(|e| wirehunt_dissect::ethernet::is_8023_length(e.ethertype()))
    {
        return "LLC";
    }
    // A type whose dissector takes the payload and shows nothing leaves the
    // columns as the Ethernet dissector set them.
    if top.proto == Proto::Ethernet
        && pkt.ethernet().is_some_and(|e| {
            let payload = pkt.bytes(top).get(14..).unwrap_or_default();
            wirehunt_dissect::ethernet::silently_claimed(e.ethertype(), payload)
        })
    {
        info.extend_from_slice(b"Ethernet II");
        return "Ethernet";
    }
    // HTTP as Wireshark reassembles it: a message split over segments is
    // shown on the segment that completes it; the others are plain TCP
    // (`ctx.dissects`).
    let http_item = ctx.http_item();
    if crate::protocols::unknown_ethertype(pkt).is_some() {
        info.extend_from_slice(b"Ethernet II");
        return UNKNOWN_PROTO;
    }
    let top_proto = match top.proto {
        Proto::Tcp if http_item.is_some() => Proto::Http,
        p => p,
    };
    match top_proto {
        Proto::Tcp => {
            tcp_info(ctx, info);
            "TCP"
        }
        Proto::Udp => {
            if let Some(u) = pkt.udp() {
                let _ = write!(info, "{} → {}", u.src_port(), u.dst_port());
                // A length past what the IP header leaves for the datagram.
                let room = pkt.find(Proto::Udp).map_or(u32::MAX, |l| l.declared_len());
                if u32::from(u.length()) > room {
                    let _ = write!(info, " [BAD UDP LENGTH {} > IP PAYLOAD LENGTH]", u.length());
                }
                let _ = write!(info, " Len={}", (u.length() as i32 - 8).max(0));
            }
            "UDP"
        }
        Proto::Icmp => {
            icmp_info(pkt, info);
            "ICMP"
        }
        Proto::Icmpv6 => {
            icmpv6_info(pkt, info);
            "ICMPv6"
        }
        Proto::Arp => {
            arp_info(ctx, info);
            arp_protocol(pkt.arp().map_or(1, |a| a.opcode()))
        }
        Proto::Dns => {
            if let Some(d) = pkt.dns() {
                dns_info(&d, info);
            }
            "DNS"
        }
        Proto::Http => {
            if matches!(ctx.http, crate::reassembly::HttpView::Continuation) {
                info.extend_from_slice(b"Continuation");
                return "HTTP";
            }
            let bytes = http_item.or_else(|| pkt.find(Proto::Http).map(|l| pkt.bytes(l)));
            if let Some(r) = bytes.and_then(wirehunt_dissect::http::parse_response) {
                // Wireshark shows the status line as it is.
                info.extend_from_slice(r.version);
                info.push(b' ');
                if let Some(code) = r.code {
                    let _ = write!(info, "{code} ");
                }
                if !r.phrase.is_empty() {
                    info.extend_from_slice(r.phrase);
                    info.push(b' ');
                }
            } else if let Some(r) = bytes.and_then(wirehunt_dissect::http::parse_request) {
                info.extend_from_slice(r.method);
                info.push(b' ');
                info.extend_from_slice(r.uri);
                info.push(b' ');
                if !r.version.is_empty() {
                    info.extend_from_slice(r.version);
                    info.push(b' ');
                }
            }
            "HTTP"
        }
        Proto::Tls => {
            if let Some(l) = pkt.find(Proto::Tls) {
                // A record the segment cuts short is named on the segment
                // that completes it (by reassembly), unless it is the first.
                let b = pkt.bytes(l);
                for (i, (t, r)) in wirehunt_dissect::tls::records(b).enumerate() {
                    let whole = r.len() >= 5 + wirehunt_dissect::tls::declared_len(r);
                    if i > 0 && !whole {
                        break;
                    }
                    if i > 0 {
                        info.extend_from_slice(b", ");
                    }
                    info.extend_from_slice(wirehunt_dissect::tls::record_name(t, r).as_bytes());
                }
            }
            "TLS"
        }
        Proto::Ipv4 => {
            // A fragment that completes nothing yet.
            if let Some(ip) = wirehunt_dissect::Ipv4Packet::new_checked(pkt.bytes(top))
                && (ip.frag_offset() != 0 || ip.more_frags())
                && !pkt.reassembled()
            {
                let _ = write!(
                    info,
                    "Fragmented IP protocol (proto={} {}, off={}, ID={:04x})",
                    crate::ipproto::name(ip.protocol()),
                    ip.protocol(),
                    u32::from(ip.frag_offset()) * 8,
                    ip.ident()
                );
            } else if let Some(ip) = wirehunt_dissect::Ipv4Packet::new_checked(pkt.bytes(top))
                && !crate::ipproto::claimed(ip.protocol())
                && top.declared_len() as usize > ip.header_len()
            {
                // A payload no dissector claims is named after its protocol.
                let p = ip.protocol();
                let _ = write!(info, "{} ({p})", crate::ipproto::name(p));
            }
            "IPv4"
        }
        Proto::Ipv6Fragment => {
            if let Some(f) = wirehunt_dissect::Ipv6Fragment::new_checked(pkt.bytes(top)) {
                let _ = write!(
                    info,
                    "IPv6 fragment (off={} more={} ident={:#010x} nxt={})",
                    u32::from(f.offset()) * 8,
                    if f.more() { 'y' } else { 'n' },
                    f.ident(),
                    f.next_header()
                );
            }
            "IPv6"
        }
        Proto::Ipv6 => {
            ipv6_info(pkt.bytes(top), info);
            "IPv6"
        }
        Proto::Ipv4Bogus => {
            if let Some(&b) = pkt.data.get(top.start as usize) {
                let _ = match b >> 4 {
                    4 => write!(
                        info,
                        "Bogus IP header length ({}, must be at least 20)",
                        (b & 0x0f) * 4
                    ),
                    v => write!(info, "Bogus IPv4 version ({v}, must be 4)"),
                };
            }
            "IPv4"
        }
        _ => UNKNOWN_PROTO,
    }
}

/// The Info text of an IPv6 packet nothing above was dissected in: an
/// extension header cut short, no next header, or a protocol no dissector
/// claims.
fn ipv6_info(b: &[u8], info: &mut Vec<u8>) {
    let Some(end) = wirehunt_dissect::ipv6::walk_extensions(b) else {
        return;
    };
    match end.broken {
        // Options run past the end of their header or of the packet; a
        // routing header longer than the packet is refused before it is
        // read.
        Some(0) => info.extend_from_slice(b"IPv6 hop-by-hop options[Malformed Packet]"),
        Some(60) => info.extend_from_slice(b"IPv6 destination options[Malformed Packet]"),
        Some(43) => info.extend_from_slice(
            b"IPv6 routing[Malformed Packet: length of contained item exceeds length of containing item]",
        ),
        Some(_) => {}
        None if end.next == 59 => info.extend_from_slice(b"IPv6 no next header"),
        None if !wirehunt_dissect::ipv6::is_extension(end.next)
            && !crate::ipproto::claimed(end.next) =>
        {
            let _ = write!(
                info,
                "Unknown IP Protocol: {} ({})",
                crate::ipproto::name(end.next),
                end.next
            );
        }
        None => {}
    }
}

fn sll_source(pkt: &Packet<'_>) -> Option<MacAddr> {
    let l = pkt.layers().first()?;
    match l.proto {
        Proto::Sll => wirehunt_dissect::SllHeader::new_checked(pkt.bytes(l))?.src_mac(),
        Proto::Sll2 => wirehunt_dissect::Sll2Header::new_checked(pkt.bytes(l))?.src_mac(),
        _ => None,
    }
}

const FLAG_NAMES: [(u16, &str); 9] = [
    (flags::FIN, "FIN"),
    (flags::SYN, "SYN"),
    (flags::RST, "RST"),
    (flags::PSH, "PSH"),
    (flags::ACK, "ACK"),
    (flags::URG, "URG"),
    (flags::ECE, "ECE"),
    (flags::CWR, "CWR"),
    (flags::AE, "AE"),
];

fn tcp_info(ctx: &FrameCtx<'_, '_>, info: &mut Vec<u8>) {
    let Some(l) = ctx.pkt.find(Proto::Tcp) else {
        return;
    };
    let b = ctx.pkt.bytes(l);
    let Some(t) = TcpSegment::new_checked(b) else {
        // Only the ports fit in what the IP length leaves.
        if b.len() >= 4 {
            let port = |i: usize| u16::from_be_bytes([b[i], b[i + 1]]);
            let _ = write!(info, "{} → {}[Malformed Packet]", port(0), port(2));
        }
        return;
    };
    let _ = write!(info, "{} → {} [", t.src_port(), t.dst_port());
    let fl = t.flags();
    let mut first = true;
    for (bit, name) in FLAG_NAMES {
        if fl & bit != 0 {
            if !first {
                info.extend_from_slice(b", ");
            }
            info.extend_from_slice(name.as_bytes());
            first = false;
        }
    }
    if fl & 0xe00 != 0 {
        if !first {
            info.extend_from_slice(b", ");
        }
        info.extend_from_slice(b"Reserved");
        first = false;
    }
    if first {
        info.extend_from_slice(b"<None>");
    }
    info.push(b']');
    let flow = ctx.flows.main().filter(|f| f.proto == Proto::Tcp);
    let (seq, ack, win) = match flow {
        Some(f) => (f.rel_seq, f.rel_ack, f.window),
        None => (t.seq(), t.ack(), t.window() as u32),
    };
    let _ = write!(info, " Seq={seq}");
    if fl & flags::ACK != 0 {
        let _ = write!(info, " Ack={ack}");
    }
    let _ = write!(info, " Win={win}");
    if fl & flags::URG != 0 {
        let _ = write!(info, " Urg={}", t.urgent());
    }
    if let Some(len) = l.declared_len().checked_sub(t.header_len() as u32) {
        let _ = write!(info, " Len={len}");
    }
    let rev_base = flow.map_or(0, |f| f.rev_base_seq);
    for o in t.options() {
        match o {
            TcpOption::Mss(v) => {
                let _ = write!(info, " MSS={v}");
            }
            TcpOption::WindowScale(s) => {
                let _ = write!(info, " WS={}", 1u32 << s.min(14));
            }
            TcpOption::SackPermitted => info.extend_from_slice(b" SACK_PERM"),
            TcpOption::Timestamp { val, ecr } => {
                let _ = write!(info, " TSval={val} TSecr={ecr}");
            }
            TcpOption::Sack(edges) => {
                for e in edges.chunks_exact(8) {
                    let le = u32::from_be_bytes([e[0], e[1], e[2], e[3]]).wrapping_sub(rev_base);
                    let re = u32::from_be_bytes([e[4], e[5], e[6], e[7]]).wrapping_sub(rev_base);
                    let _ = write!(info, " SLE={le} SRE={re}");
                }
            }
            _ => {}
        }
    }
    // The snapshot length cut the options short.
    if ctx.pkt.bytes(l).len() < t.header_len() {
        info.extend_from_slice(b"[Packet size limited during capture]");
    }
}

fn icmp_unreach_code(code: u8) -> &'static str {
    match code {
        0 => "Network unreachable",
        1 => "Host unreachable",
        2 => "Protocol unreachable",
        3 => "Port unreachable",
        4 => "Fragmentation needed",
        5 => "Source route failed",
        6 => "Destination network unknown",
        7 => "Destination host unknown",
        8 => "Source host isolated",
        9 => "Network administratively prohibited",
        10 => "Host administratively prohibited",
        11 => "Network unreachable for TOS",
        12 => "Host unreachable for TOS",
        13 => "Communication administratively filtered",
        14 => "Host precedence violation",
        15 => "Precedence cutoff in effect",
        _ => "Unknown code",
    }
}

fn icmp_info(pkt: &Packet<'_>, info: &mut Vec<u8>) {
    let Some(m) = pkt.icmp() else {
        return;
    };
    // The TTL of the IP header carrying the ICMP message (the inner one in
    // a tunnel).
    let layers = pkt.layers();
    let at = layers
        .iter()
        .position(|l| l.proto == Proto::Icmp && !l.quoted)
        .unwrap_or(0);
    let ttl = layers[..at]
        .iter()
        .rev()
        .find(|l| l.proto == Proto::Ipv4)
        .and_then(|l| wirehunt_dissect::Ipv4Packet::new_checked(pkt.bytes(l)))
        .map_or(0, |ip| ip.ttl());
    match m.msg_type() {
        0 | 8 if m.len() >= 8 => {
            let kind = if m.msg_type() == 8 {
                "request"
            } else {
                "reply  "
            };
            let _ = write!(
                info,
                "Echo (ping) {kind}  id=0x{:04x}, seq={}/{}, ttl={ttl}",
                m.ident(),
                m.seq(),
                m.seq().swap_bytes()
            );
        }
        3 => {
            let _ = write!(
                info,
                "Destination unreachable ({})",
                icmp_unreach_code(m.code())
            );
        }
        11 => {
            let c = if m.code() == 0 {
                "Time to live exceeded in transit"
            } else {
                "Fragment reassembly time exceeded"
            };
            let _ = write!(info, "Time-to-live exceeded ({c})");
        }
        5 => info.extend_from_slice(b"Redirect"),
        13 => info.extend_from_slice(b"Timestamp request"),
        14 => info.extend_from_slice(b"Timestamp reply"),
        t => {
            let _ = write!(info, "Unknown ICMP (obsolete or malformed?) type {t}");
        }
    }
    if icmp_extension_beyond_data(pkt) {
        info.extend_from_slice(b"[Malformed Packet]");
    }
}

/// An ICMP error whose RFC 4884 length puts the extension structure past
/// the end of the message: Wireshark's dissection of it fails.
fn icmp_extension_beyond_data(pkt: &Packet<'_>) -> bool {
    let Some(l) = pkt
        .layers()
        .iter()
        .find(|l| l.proto == Proto::Icmp && !l.quoted)
    else {
        return false;
    };
    let b = pkt.bytes(l);
    if !matches!(b.first(), Some(3 | 11 | 12)) || b.len() < 8 {
        return false;
    }
    let words = b[5] as usize;
    words != 0 && 8 + words * 4 > b.len()
}

fn icmpv6_info(pkt: &Packet<'_>, info: &mut Vec<u8>) {
    let Some(m) = pkt.icmpv6() else {
        return;
    };
    let hlim = pkt.ipv6().map_or(0, |ip| ip.hop_limit());
    let s: &str = match m.msg_type() {
        1 => "Destination Unreachable",
        2 => "Packet Too Big",
        3 => "Time Exceeded",
        4 => "Parameter Problem",
        128 | 129 => {
            let kind = if m.msg_type() == 128 {
                "request"
            } else {
                "reply"
            };
            let _ = write!(
                info,
                "Echo (ping) {kind} id=0x{:04x}, seq={}, hop limit={hlim}",
                m.ident(),
                m.seq()
            );
            return;
        }
        130 => "Multicast Listener Query",
        131 => "Multicast Listener Report",
        132 => "Multicast Listener Done",
        133..=136 => {
            neighbor_discovery_info(&m, info);
            return;
        }
        137 => "Redirect",
        143 => "Multicast Listener Report Message v2",
        _ => "Unknown ICMPv6 type",
    };
    info.extend_from_slice(s.as_bytes());
}

/// Router/neighbor solicitations and advertisements (RFC 4861), with the
/// link-layer address option tshark appends ("from …", "is at …").
fn neighbor_discovery_info(m: &wirehunt_dissect::IcmpMessage<'_>, info: &mut Vec<u8>) {
    let t = m.msg_type();
    let opts_at = match t {
        133 => 8,
        134 => 16,
        _ => 24,
    };
    let target = || -> Option<std::net::Ipv6Addr> {
        let mut a = [0u8; 16];
        for (i, b) in a.iter_mut().enumerate() {
            *b = m.byte(8 + i);
        }
        (m.len() >= 24).then_some(a.into())
    };
    let mut lla = None;
    let mut at = opts_at;
    while at + 8 <= m.len() {
        let (kind, len) = (m.byte(at), m.byte(at + 1) as usize * 8);
        if len == 0 {
            break;
        }
        if (kind == 1 || kind == 2) && len == 8 {
            let mut mac = [0u8; 6];
            for (i, b) in mac.iter_mut().enumerate() {
                *b = m.byte(at + 2 + i);
            }
            lla = Some(MacAddr(mac));
        }
        at += len;
    }
    match t {
        133 => info.extend_from_slice(b"Router Solicitation"),
        134 => info.extend_from_slice(b"Router Advertisement"),
        135 => {
            info.extend_from_slice(b"Neighbor Solicitation");
            if let Some(a) = target() {
                let _ = write!(info, " for {a}");
            }
        }
        _ => {
            info.extend_from_slice(b"Neighbor Advertisement");
            if let Some(a) = target() {
                let _ = write!(info, " {a}");
            }
            let fl = m.byte(4);
            let mut sep = " (";
            for (bit, name) in [(0x80, "rtr"), (0x40, "sol"), (0x20, "ovr")] {
                if fl & bit != 0 {
                    info.extend_from_slice(sep.as_bytes());
                    info.extend_from_slice(name.as_bytes());
                    sep = ", ";
                }
            }
            if sep == ", " {
                info.push(b')');
            }
        }
    }
    if let Some(mac) = lla {
        info.extend_from_slice(if t == 136 { b" is at " } else { b" from " });
        write_mac(mac, info);
    }
}

/// An ARP protocol address as Wireshark writes it: dotted IPv4 where the
/// type and size say IPv4, hex bytes otherwise.
fn write_arp_proto(a: &ArpPacket<'_>, addr: &[u8], info: &mut Vec<u8>) {
    match <[u8; 4]>::try_from(addr) {
        _ if addr.is_empty() => info.extend_from_slice(b"<No address>"),
        Ok(v4) if a.proto_is_ipv4() => {
            let _ = write!(info, "{}", std::net::Ipv4Addr::from(v4));
        }
        _ => write_hex(addr, info),
    }
}

/// An ARP hardware address: a MAC address for Ethernet, hex bytes
/// otherwise.
fn write_arp_hw(a: &ArpPacket<'_>, addr: &[u8], info: &mut Vec<u8>) {
    match <[u8; 6]>::try_from(addr) {
        _ if addr.is_empty() => info.extend_from_slice(b"<No address>"),
        Ok(mac) if a.hw_is_ether() => write_mac(MacAddr(mac), info),
        _ => write_hex(addr, info),
    }
}

fn write_hex(b: &[u8], out: &mut Vec<u8>) {
    for x in b {
        let _ = write!(out, "{x:02x}");
    }
}

/// The protocol column of an ARP packet, by opcode.
fn arp_protocol(opcode: u16) -> &'static str {
    match opcode {
        3 | 4 => "RARP",
        5..=7 => "DRARP",
        8 | 9 => "Inverse ARP",
        11..=22 => "MARS",
        23 => "MAPOS",
        _ => "ARP",
    }
}

fn arp_info(ctx: &FrameCtx<'_, '_>, info: &mut Vec<u8>) {
    let Some(a) = ctx.pkt.arp() else {
        return;
    };
    if !a.is_complete() {
        // Wireshark stops at the addresses it cannot read.
        info.extend_from_slice(b"[Malformed Packet]");
        return;
    }
    let (sha, spa, tha, tpa) = (
        a.sender_hw(),
        a.sender_proto(),
        a.target_hw(),
        a.target_proto(),
    );
    let op = a.opcode();
    let gratuitous = matches!(op, 1 | 2) && spa == tpa;
    let zero_target = a.target_hw().len() >= 6 && tha[..6] == [0; 6];
    let (hw, pr) = (write_arp_hw, write_arp_proto);
    let mars = |what: &str, info: &mut Vec<u8>| {
        let _ = write!(info, "{what} from ");
        hw(&a, sha, info);
        info.extend_from_slice(b" at ");
        pr(&a, spa, info);
    };
    // One protocol address between two texts.
    let said = |before: &[u8], addr: &[u8], after: &[u8], info: &mut Vec<u8>| {
        info.extend_from_slice(before);
        pr(&a, addr, info);
        info.extend_from_slice(after);
    };
    match op {
        1 if gratuitous && zero_target => said(b"ARP Announcement for ", tpa, b"", info),
        1 if gratuitous => said(b"Gratuitous ARP for ", tpa, b" (Request)", info),
        1 if zero_target && spa.len() >= 4 && spa[..4] == [0; 4] => {
            said(b"Who has ", tpa, b"? (ARP Probe)", info)
        }
        1 => {
            info.extend_from_slice(b"Who has ");
            pr(&a, tpa, info);
            info.extend_from_slice(b"? Tell ");
            pr(&a, spa, info);
        }
        2 if gratuitous => said(b"Gratuitous ARP for ", spa, b" (Reply)", info),
        2 | 9 => {
            pr(&a, spa, info);
            info.extend_from_slice(b" is at ");
            hw(&a, sha, info);
        }
        3 | 5 | 8 => {
            info.extend_from_slice(b"Who is ");
            hw(&a, tha, info);
            info.extend_from_slice(b"? Tell ");
            hw(&a, sha, info);
        }
        4 | 6 => {
            hw(&a, tha, info);
            info.extend_from_slice(b" is at ");
            pr(&a, tpa, info);
        }
        7 => info.extend_from_slice(b"DRARP Error"),
        10 => info.extend_from_slice(b"ARP NAK"),
        11 => mars("MARS request", info),
        12 => mars("MARS MULTI request", info),
        13 => mars("MARS MSERV request", info),
        14 => mars("MARS JOIN request", info),
        15 => mars("MARS LEAVE", info),
        16 => mars("MARS NAK", info),
        17 => mars("MARS UNSERV request", info),
        18 => mars("MARS SJOIN request", info),
        19 => mars("MARS SLEAVE", info),
        20 => mars("MARS grouplist request", info),
        21 => mars("MARS grouplist reply", info),
        22 => mars("MARS redirect map", info),
        23 => mars("MAPOS UNARP request", info),
        24 | 25 => {
            let _ = write!(info, "Experimental {} ( opcode {op} )", op - 23);
        }
        0 | 65535 => {
            let _ = write!(info, "Reserved opcode {op}");
        }
        _ => {
            let _ = write!(info, "Unknown ARP opcode 0x{op:04x}");
        }
    }
    if let Some(ip) = ctx.arp.info {
        let _ = write!(info, " (duplicate use of {ip} detected!)");
    }
}

fn write_type(t: u16, info: &mut Vec<u8>) {
    match wirehunt_dissect::dns_names::record_type(t) {
        Some(n) => info.extend_from_slice(n.as_bytes()),
        None => {
            let _ = write!(info, "Unknown ({t})");
        }
    }
}

/// Wireshark's DNS Info: opcode, id, queries, then every record.
pub fn dns_info(d: &DnsMessage<'_>, info: &mut Vec<u8>) {
    let op = wirehunt_dissect::dns_names::opcode(d.opcode()).unwrap_or("Unknown operation");
    info.extend_from_slice(op.as_bytes());
    if d.is_response() {
        info.extend_from_slice(b" response");
    }
    let _ = write!(info, " 0x{:04x}", d.id());
    if d.is_response() && d.rcode() != 0 {
        info.push(b' ');
        let rcode = wirehunt_dissect::dns_names::rcode(d.rcode().into());
        info.extend_from_slice(rcode.unwrap_or("Unknown error").as_bytes());
    }
    // As far as Wireshark gets before an error, then "[Malformed Packet]".
    let mut complete = true;
    for q in d.questions() {
        let mark = info.len();
        info.push(b' ');
        write_type(q.qtype, info);
        info.push(b' ');
        if !q.name.write_to(info) {
            info.truncate(mark);
            complete = false;
            break;
        }
    }
    // Queries list their records too (an EDNS query ends in "OPT").
    for (_, r) in d.records().take_while(|_| complete) {
        info.push(b' ');
        write_type(r.rtype, info);
        if r.rtype == dns::rtype::OPT {
            continue;
        }
        if !r.rdata_readable() {
            break;
        }
        let mark = info.len();
        if let Some(a) = r.a() {
            let _ = write!(info, " {a}");
        } else if let Some(a) = r.aaaa() {
            let _ = write!(info, " {a}");
        } else if let Some(n) = r.target_name().or_else(|| r.soa_mname()) {
            // Wireshark puts an MX record's preference before its exchange.
            if let Some(pref) = r.mx_preference() {
                let _ = write!(info, " {pref}");
            }
            info.push(b' ');
            if !n.write_to(info) {
                info.truncate(mark);
                break;
            }
        }
    }
    if d.is_malformed() {
        info.extend_from_slice(b"[Malformed Packet]");
    }
}
