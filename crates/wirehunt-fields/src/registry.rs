//! The field registry: Wireshark field names mapped to extractors. The
//! `-T fields` output, the JSON output and (later) the display filter and the
//! detail view all read fields through this one table.

use wirehunt_capture::Frame;
use wirehunt_dissect::dns::DnsMessage;
use wirehunt_dissect::tcp::{TcpOption, flags};
use wirehunt_dissect::{
    ArpPacket, EthernetFrame, IcmpMessage, Ipv4Packet, Ipv6Fragment, Ipv6Packet, Packet, Proto,
    TcpSegment, UdpDatagram, VlanTag, http, quic, tls,
};
use wirehunt_flow::Flows;
use wirehunt_flow::analysis::flags as AF;

use crate::Value;
use crate::protocols::write_protocols;

/// Everything a field may be read from.
pub struct FrameCtx<'a, 'p> {
    pub frame: &'p Frame<'a>,
    pub pkt: &'p Packet<'a>,
    /// Conversations of the packet's TCP/UDP layers.
    pub flows: Flows,
    /// Timestamp of the first frame (for `frame.time_relative`).
    pub first_ts_ns: i64,
    /// The HTTP request this frame completes, when requests are reassembled
    /// across segments (see [`crate::reassembly::HttpReassembly`]).
    pub http: crate::reassembly::HttpView<'p>,
    /// Sequence analysis of the frame's TCP segment
    /// ([`wirehunt_flow::analysis::TcpAnalyzer`]; default when not run, and
    /// when only HTTP needs it, run for the conversations carrying HTTP).
    pub tcp: wirehunt_flow::analysis::TcpAnalysis,
    /// IP addresses this frame's ARP claims for a second MAC address, and
    /// the one its Info column names ([`wirehunt_flow::arp::ArpWatch`]).
    pub arp: wirehunt_flow::arp::ArpCheck,
    /// Wireshark's TCP reassembly fails on this segment: it adds to a TLS
    /// record already put together ([`crate::tls_reassembly`]; run with the
    /// sequence analysis).
    pub reassembly_error: bool,
}

impl<'p> FrameCtx<'_, 'p> {
    /// Whether Wireshark dissects layer `i` of the packet. With its default
    /// preferences it does not hand a TCP retransmission to the application
    /// dissectors again
    /// ([`wirehunt_flow::analysis::TcpAnalysis::withholds_payload`]), an HTTP
    /// segment in the middle of a request that spans segments is shown as
    /// TCP (the request is dissected on the segment that completes it,
    /// [`Self::http`]), and a datagram that joined a TFTP conversation goes
    /// to TFTP.
    pub fn dissects(&self, i: usize) -> bool {
        let layers = self.pkt.layers();
        let Some(l) = layers.get(i) else {
            return false;
        };
        // The common case, checked first: nothing holds a layer back.
        if !matches!(self.http, crate::reassembly::HttpView::None)
            && !self.flows.all().iter().any(|f| f.tftp || f.retransmission)
            && !self.tcp.has(AF::SPURIOUS_RETRANSMISSION)
        {
            return true;
        }
        // The TCP or UDP layer that carries this one, and its conversation.
        let Some(carrier) = layers[..i]
            .iter()
            .rposition(|x| matches!(x.proto, Proto::Tcp | Proto::Udp))
        else {
            return true;
        };
        let Some(flow) = self.flows.at_layer(carrier) else {
            return true;
        };
        if flow.proto == Proto::Udp {
            // A datagram of a TFTP conversation is TFTP's, not DNS's or
            // anything else its ports suggest (quoted ones too).
            return !flow.tftp;
        }
        // The rules below are about the frame's own TCP segment.
        if l.quoted || self.flows.main() != Some(flow) {
            return true;
        }
        if self.tcp.withholds_payload(flow.retransmission) {
            return false;
        }
        !(l.proto == Proto::Http && matches!(self.http, crate::reassembly::HttpView::None))
    }

    /// The bytes of the HTTP item Wireshark shows on this frame when they
    /// are not one of its own layers: the message it completes, or its
    /// segment's data as a continuation.
    pub fn http_item(&self) -> Option<&'p [u8]> {
        use crate::reassembly::HttpView;
        match self.http {
            HttpView::Message(buf) => Some(buf),
            HttpView::Continuation => {
                let l = self.pkt.layers().get(self.flows.main()?.layer as usize)?;
                TcpSegment::new_checked(self.pkt.bytes(l)).map(|t| t.payload())
            }
            HttpView::Untracked | HttpView::None => None,
        }
    }

    /// The layers of `proto` that Wireshark dissects ([`Self::dissects`]).
    pub fn layers_of(&self, proto: Proto) -> impl Iterator<Item = &wirehunt_dissect::Layer> {
        self.pkt
            .layers()
            .iter()
            .enumerate()
            .filter(move |(i, l)| l.proto == proto && self.dissects(*i))
            .map(|(_, l)| l)
    }
}

/// Receives each occurrence of a field.
pub trait Sink {
    fn value(&mut self, v: Value<'_>);
}

/// Closures take the value by reference: moving it into them copied it in
/// pieces other than those it was written in, and the CPU waited for the
/// stores each time (most of a field read's cost in the detail view).
impl<F: FnMut(&Value<'_>)> Sink for F {
    fn value(&mut self, v: Value<'_>) {
        self(&v)
    }
}

/// What kind of value a field holds (for the filter and JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Uint,
    Bool,
    Text,
    Ipv4,
    Ipv6,
    Mac,
    Time,
    Protocol,
}

/// One registered field.
pub struct Field {
    /// Wireshark's filter name.
    pub name: &'static str,
    /// Wireshark's label in the detail pane.
    pub label: &'static str,
    pub kind: Kind,
    extract: fn(&FrameCtx<'_, '_>, &mut dyn Sink),
    per_layer: Option<PerLayer>,
}

/// How a field that holds one value per layer of a protocol (every layer
/// Wireshark dissects, [`FrameCtx::layers_of`]) reads it from the layer's
/// bytes. The detail view finds a protocol's layers once and reads each
/// such field from them, rather than each field looking for them.
#[derive(Clone, Copy)]
pub struct PerLayer {
    pub proto: Proto,
    pub read: for<'a> fn(&'a [u8]) -> Option<Value<'a>>,
}

impl Field {
    /// Calls `sink` once per occurrence, outermost first.
    #[inline]
    pub fn extract(&self, ctx: &FrameCtx<'_, '_>, sink: &mut dyn Sink) {
        (self.extract)(ctx, sink)
    }

    /// Set for a field read from each layer of one protocol on its own:
    /// then `extract` gives what `read` gives for each of the layers of
    /// `proto`, in order.
    pub fn per_layer(&self) -> Option<PerLayer> {
        self.per_layer
    }

    /// What the field reads besides the packet's bytes
    /// ([`crate::needs::of_field`]).
    pub fn needs(&self) -> crate::Needs {
        crate::needs::of_field(self.name)
    }
}

impl std::fmt::Debug for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

/// Finds a field by its Wireshark name.
pub fn lookup(name: &str) -> Option<&'static Field> {
    FIELDS.iter().find(|f| f.name == name)
}

/// Every registered field.
pub fn all() -> &'static [Field] {
    FIELDS
}

fn each<'a, V>(
    ctx: &FrameCtx<'a, '_>,
    proto: Proto,
    view: fn(&'a [u8]) -> Option<V>,
    mut f: impl FnMut(V),
) {
    for l in ctx.layers_of(proto) {
        if let Some(v) = view(ctx.pkt.bytes(l)) {
            f(v)
        }
    }
}

macro_rules! field {
    ($name:literal, $label:literal, $kind:ident, |$c:ident, $s:ident| $body:expr) => {
        Field {
            name: $name,
            label: $label,
            kind: Kind::$kind,
            extract: |$c, $s| $body,
            per_layer: None,
        }
    };
}

/// A field read from every layer of one protocol through its view type.
macro_rules! layer_field {
    ($name:literal, $label:literal, $kind:ident, $proto:ident, $view:ty, |$v:ident| $val:expr) => {{
        const READ: for<'a> fn(&'a [u8]) -> Option<Value<'a>> =
            |b| <$view>::new_checked(b).map(|$v| $val);
        Field {
            name: $name,
            label: $label,
            kind: Kind::$kind,
            extract: |c, s| each(c, Proto::$proto, READ, |v| s.value(v)),
            per_layer: Some(PerLayer {
                proto: Proto::$proto,
                read: READ,
            }),
        }
    }};
}

/// One of the TCP header's flag bits, as a boolean.
macro_rules! tcp_flag {
    ($name:literal, $label:literal, $bit:ident) => {
        layer_field!($name, $label, Bool, Tcp, TcpSegment, |t| Value::Bool(
            t.has(flags::$bit)
        ))
    };
}

/// Source and destination port of every TCP layer, quoted ones included.
fn tcp_ports(c: &FrameCtx<'_, '_>, mut f: impl FnMut(u16, u16)) {
    for l in c.pkt.all(Proto::Tcp) {
        let b = c.pkt.bytes(l);
        if b.len() >= 4 {
            f(
                u16::from_be_bytes([b[0], b[1]]),
                u16::from_be_bytes([b[2], b[3]]),
            );
        }
    }
}

/// The HTTP requests of a frame: the reassembled one when the frame
/// completes a request that spans segments, none on a segment in the
/// middle of one or on a retransmission (Wireshark dissects neither).
fn http_requests<'p>(c: &FrameCtx<'_, 'p>) -> Vec<http::Request<'p>> {
    use crate::reassembly::HttpView;
    match c.http {
        HttpView::None => return Vec::new(),
        HttpView::Message(buf) => return http::parse_request(buf).into_iter().collect(),
        HttpView::Continuation => return Vec::new(),
        HttpView::Untracked => {}
    }
    let data: &'p [u8] = c.pkt.data;
    c.layers_of(Proto::Http)
        .filter_map(|l| http::parse_request(data.get(l.start as usize..l.end as usize)?))
        .collect()
}

/// The HTTP responses of a frame, as [`http_requests`] finds requests.
fn http_responses<'p>(c: &FrameCtx<'_, 'p>) -> Vec<http::Response<'p>> {
    use crate::reassembly::HttpView;
    match c.http {
        HttpView::None | HttpView::Continuation => return Vec::new(),
        HttpView::Message(buf) => return http::parse_response(buf).into_iter().collect(),
        HttpView::Untracked => {}
    }
    let data: &'p [u8] = c.pkt.data;
    c.layers_of(Proto::Http)
        .filter_map(|l| http::parse_response(data.get(l.start as usize..l.end as usize)?))
        .collect()
}

/// A `tcp.analysis.*` flag: present (as true) when any of `bits` is set.
fn analysis_flag(c: &FrameCtx<'_, '_>, s: &mut dyn Sink, bits: u32) {
    if c.tcp.flags & bits != 0 {
        s.value(Value::Bool(true))
    }
}

fn tcp_len(c: &FrameCtx<'_, '_>) -> Option<u32> {
    let l = c.pkt.find(Proto::Tcp)?;
    let t = TcpSegment::new_checked(c.pkt.bytes(l))?;
    l.declared_len().checked_sub(t.header_len() as u32)
}

fn streams(c: &FrameCtx<'_, '_>, s: &mut dyn Sink, proto: Proto) {
    for f in c.flows.all().iter().filter(|f| f.proto == proto) {
        s.value(Value::Uint(f.stream as u64))
    }
}

/// `tcp.seq` (`at` 4) or `tcp.ack` (`at` 8) of every TCP layer: relative
/// where the conversation was analysed, raw inside ICMP quotes (where
/// Wireshark does no sequence analysis and shows what the bytes hold).
fn seq_or_ack(c: &FrameCtx<'_, '_>, s: &mut dyn Sink, at: usize) {
    for (i, l) in c.pkt.layers().iter().enumerate() {
        if l.proto != Proto::Tcp {
            continue;
        }
        let b = c.pkt.bytes(l);
        match c.flows.at_layer(i).filter(|f| !f.quoted) {
            Some(f) => s.value(Value::Uint(
                if at == 4 { f.rel_seq } else { f.rel_ack } as u64
            )),
            // A quoted segment, or one whose header did not fit (only
            // its ports are shown then).
            None if b.len() >= at + 4 && (l.quoted || b.len() >= TcpSegment::MIN_LEN) => s.value(
                Value::Uint(u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]) as u64),
            ),
            None => {}
        }
    }
}

/// ARP packets whose addresses all fit and whose addresses of one kind
/// `kind` says are typed (MAC or IPv4): Wireshark shows other addresses as
/// bytes, under other field names.
fn arp_each<'a>(
    c: &FrameCtx<'a, '_>,
    kind: fn(&ArpPacket<'a>) -> bool,
    mut f: impl FnMut(ArpPacket<'a>),
) {
    each(c, Proto::Arp, ArpPacket::new_checked, |a| {
        if a.is_complete() && kind(&a) {
            f(a)
        }
    })
}

fn dns_each(c: &FrameCtx<'_, '_>, f: impl FnMut(DnsMessage<'_>)) {
    each(c, Proto::Dns, DnsMessage::new_checked, f)
}

static FIELDS: &[Field] = &[
    field!("frame.number", "Frame Number", Uint, |c, s| s
        .value(Value::Uint(c.frame.number))),
    // Records without a time (simple packet blocks, custom blocks) have
    // no time fields, and custom blocks no interface.
    field!(
        "frame.time_epoch",
        "Epoch Time",
        Time,
        |c, s| if c.frame.has_ts {
            s.value(Value::Seconds(c.frame.ts_ns))
        }
    ),
    field!(
        "frame.time_relative",
        "Time since reference or first frame",
        Time,
        |c, s| if c.frame.has_ts {
            s.value(Value::Seconds(c.frame.ts_ns - c.first_ts_ns))
        }
    ),
    field!("frame.len", "Frame Length", Uint, |c, s| s
        .value(Value::Uint(c.frame.orig_len as u64))),
    field!("frame.cap_len", "Capture Length", Uint, |c, s| s
        .value(Value::Uint(c.frame.cap_len() as u64))),
    field!(
        "frame.interface_id",
        "Interface id",
        Uint,
        |c, s| if c.frame.is_packet() {
            s.value(Value::Uint(c.frame.interface as u64))
        }
    ),
    field!("frame.protocols", "Protocols in frame", Text, |c, s| {
        let mut buf = Vec::with_capacity(64);
        write_protocols(c, &mut buf);
        s.value(Value::Text(&buf))
    }),
    layer_field!(
        "eth.dst",
        "Destination",
        Mac,
        Ethernet,
        EthernetFrame,
        |e| Value::Mac(e.dst())
    ),
    layer_field!("eth.src", "Source", Mac, Ethernet, EthernetFrame, |e| {
        Value::Mac(e.src())
    }),
    field!("eth.addr", "Address", Mac, |c, s| each(
        c,
        Proto::Ethernet,
        EthernetFrame::new_checked,
        |e| {
            s.value(Value::Mac(e.dst()));
            s.value(Value::Mac(e.src()));
        }
    )),
    // Values 1 to 1500 are an 802.3 length, not a type (the frame is LLC).
    field!("eth.type", "Type", Uint, |c, s| each(
        c,
        Proto::Ethernet,
        EthernetFrame::new_checked,
        |e| if !wirehunt_dissect::ethernet::is_8023_length(e.ethertype()) {
            s.value(Value::Hex(e.ethertype() as u64, 4))
        }
    )),
    layer_field!("vlan.id", "ID", Uint, Vlan, VlanTag, |v| Value::Uint(
        v.id() as u64
    )),
    layer_field!("vlan.priority", "Priority", Uint, Vlan, VlanTag, |v| {
        Value::Uint(v.priority() as u64)
    }),
    layer_field!("vlan.etype", "Type", Uint, Vlan, VlanTag, |v| Value::Hex(
        v.ethertype() as u64,
        4
    )),
    layer_field!("arp.opcode", "Opcode", Uint, Arp, ArpPacket, |a| {
        Value::Uint(a.opcode() as u64)
    }),
    field!(
        "arp.src.hw_mac",
        "Sender MAC address",
        Mac,
        |c, s| arp_each(
            c,
            |a| a.hw_is_ether(),
            |a| s.value(Value::Mac(a.sender_mac()))
        )
    ),
    field!("arp.src.proto_ipv4", "Sender IP address", Ipv4, |c, s| {
        arp_each(
            c,
            |a| a.proto_is_ipv4(),
            |a| s.value(Value::Ipv4(a.sender_ip())),
        )
    }),
    field!(
        "arp.dst.hw_mac",
        "Target MAC address",
        Mac,
        |c, s| arp_each(
            c,
            |a| a.hw_is_ether(),
            |a| s.value(Value::Mac(a.target_mac()))
        )
    ),
    field!("arp.dst.proto_ipv4", "Target IP address", Ipv4, |c, s| {
        arp_each(
            c,
            |a| a.proto_is_ipv4(),
            |a| s.value(Value::Ipv4(a.target_ip())),
        )
    }),
    field!(
        "arp.duplicate-address-frame",
        "Frame showing earlier use of IP address",
        Uint,
        |c, s| for d in c.arp.duplicates() {
            s.value(Value::Uint(d.owner_frame))
        }
    ),
    // Wireshark's IPv6 dissector also sets `ip.version` (hidden), and a
    // bogus IPv4 header shows its version (and its header length when the
    // version is right) before the dissection stops.
    field!("ip.version", "Version", Uint, |c, s| {
        for (i, l) in c.pkt.layers().iter().enumerate() {
            if matches!(l.proto, Proto::Ipv4 | Proto::Ipv4Bogus | Proto::Ipv6)
                && c.dissects(i)
                && let Some(&b) = c.pkt.data.get(l.start as usize)
            {
                s.value(Value::Uint(u64::from(b >> 4)));
            }
        }
    }),
    field!("ip.hdr_len", "Header Length", Uint, |c, s| {
        for (i, l) in c.pkt.layers().iter().enumerate() {
            if matches!(l.proto, Proto::Ipv4 | Proto::Ipv4Bogus) && c.dissects(i) {
                match c.pkt.data.get(l.start as usize) {
                    Some(&b) if b >> 4 == 4 => s.value(Value::Uint(u64::from(b & 0x0f) * 4)),
                    _ => {}
                }
            }
        }
    }),
    layer_field!(
        "ip.dsfield",
        "Differentiated Services Field",
        Uint,
        Ipv4,
        Ipv4Packet,
        |i| Value::Hex(i.dsfield() as u64, 2)
    ),
    layer_field!("ip.len", "Total Length", Uint, Ipv4, Ipv4Packet, |i| {
        Value::Uint(i.total_len() as u64)
    }),
    layer_field!("ip.id", "Identification", Uint, Ipv4, Ipv4Packet, |i| {
        Value::Hex(i.ident() as u64, 4)
    }),
    layer_field!("ip.flags", "Flags", Uint, Ipv4, Ipv4Packet, |i| Value::Hex(
        (i.byte(6) & 0xe0) as u64,
        2
    )),
    layer_field!(
        "ip.flags.df",
        "Don't fragment",
        Bool,
        Ipv4,
        Ipv4Packet,
        |i| Value::Bool(i.dont_frag())
    ),
    layer_field!(
        "ip.flags.mf",
        "More fragments",
        Bool,
        Ipv4,
        Ipv4Packet,
        |i| Value::Bool(i.more_frags())
    ),
    layer_field!(
        "ip.frag_offset",
        "Fragment Offset",
        Uint,
        Ipv4,
        Ipv4Packet,
        |i| Value::Uint(i.frag_offset() as u64)
    ),
    layer_field!("ip.ttl", "Time to Live", Uint, Ipv4, Ipv4Packet, |i| {
        Value::Uint(i.ttl() as u64)
    }),
    layer_field!("ip.proto", "Protocol", Uint, Ipv4, Ipv4Packet, |i| {
        Value::Uint(i.protocol() as u64)
    }),
    layer_field!(
        "ip.checksum",
        "Header Checksum",
        Uint,
        Ipv4,
        Ipv4Packet,
        |i| Value::Hex(i.checksum() as u64, 4)
    ),
    layer_field!("ip.src", "Source Address", Ipv4, Ipv4, Ipv4Packet, |i| {
        Value::Ipv4(i.src())
    }),
    layer_field!(
        "ip.dst",
        "Destination Address",
        Ipv4,
        Ipv4,
        Ipv4Packet,
        |i| Value::Ipv4(i.dst())
    ),
    field!("ip.addr", "Source or Destination Address", Ipv4, |c, s| {
        each(c, Proto::Ipv4, Ipv4Packet::new_checked, |i| {
            s.value(Value::Ipv4(i.src()));
            s.value(Value::Ipv4(i.dst()));
        })
    }),
    layer_field!("ipv6.plen", "Payload Length", Uint, Ipv6, Ipv6Packet, |i| {
        Value::Uint(i.payload_len() as u64)
    }),
    layer_field!("ipv6.nxt", "Next Header", Uint, Ipv6, Ipv6Packet, |i| {
        Value::Uint(i.next_header() as u64)
    }),
    layer_field!("ipv6.hlim", "Hop Limit", Uint, Ipv6, Ipv6Packet, |i| {
        Value::Uint(i.hop_limit() as u64)
    }),
    layer_field!("ipv6.flow", "Flow Label", Uint, Ipv6, Ipv6Packet, |i| {
        Value::Hex(i.flow_label() as u64, 5)
    }),
    layer_field!("ipv6.src", "Source Address", Ipv6, Ipv6, Ipv6Packet, |i| {
        Value::Ipv6(i.src())
    }),
    layer_field!(
        "ipv6.dst",
        "Destination Address",
        Ipv6,
        Ipv6,
        Ipv6Packet,
        |i| Value::Ipv6(i.dst())
    ),
    field!(
        "ipv6.addr",
        "Source or Destination Address",
        Ipv6,
        |c, s| each(c, Proto::Ipv6, Ipv6Packet::new_checked, |i| {
            s.value(Value::Ipv6(i.src()));
            s.value(Value::Ipv6(i.dst()));
        })
    ),
    layer_field!(
        "ipv6.fragment.offset",
        "Offset",
        Uint,
        Ipv6Fragment,
        Ipv6Fragment,
        |f| Value::Uint(f.offset() as u64)
    ),
    layer_field!(
        "ipv6.fragment.more",
        "More Fragments",
        Bool,
        Ipv6Fragment,
        Ipv6Fragment,
        |f| Value::Bool(f.more())
    ),
    layer_field!(
        "ipv6.fragment.id",
        "Identification",
        Uint,
        Ipv6Fragment,
        Ipv6Fragment,
        |f| Value::Hex(f.ident() as u64, 8)
    ),
    // Ports come from the first four bytes: an ICMP error often quotes
    // only eight bytes of the segment, and Wireshark still shows them.
    field!("tcp.srcport", "Source Port", Uint, |c, s| tcp_ports(
        c,
        |a, _| s.value(Value::Uint(a as u64))
    )),
    field!("tcp.dstport", "Destination Port", Uint, |c, s| tcp_ports(
        c,
        |_, b| s.value(Value::Uint(b as u64))
    )),
    field!("tcp.port", "Source or Destination Port", Uint, |c, s| {
        tcp_ports(c, |a, b| {
            s.value(Value::Uint(a as u64));
            s.value(Value::Uint(b as u64));
        })
    }),
    field!("tcp.stream", "Stream index", Uint, |c, s| streams(
        c,
        s,
        Proto::Tcp
    )),
    field!("tcp.len", "TCP Segment Len", Uint, |c, s| {
        if let Some(l) = tcp_len(c) {
            s.value(Value::Uint(l as u64))
        }
    }),
    field!("tcp.seq", "Sequence Number", Uint, |c, s| seq_or_ack(
        c, s, 4
    )),
    // Not for segments quoted in ICMP errors, as in Wireshark.
    field!("tcp.seq_raw", "Sequence Number (raw)", Uint, |c, s| {
        for l in c.pkt.all(Proto::Tcp).filter(|l| !l.quoted) {
            if let Some(t) = TcpSegment::new_checked(c.pkt.bytes(l)) {
                s.value(Value::Uint(t.seq() as u64));
            }
        }
    }),
    field!("tcp.ack", "Acknowledgment Number", Uint, |c, s| seq_or_ack(
        c, s, 8
    )),
    layer_field!(
        "tcp.ack_raw",
        "Acknowledgment number (raw)",
        Uint,
        Tcp,
        TcpSegment,
        |t| Value::Uint(t.ack() as u64)
    ),
    layer_field!("tcp.hdr_len", "Header Length", Uint, Tcp, TcpSegment, |t| {
        Value::Uint(t.header_len() as u64)
    }),
    layer_field!("tcp.flags", "Flags", Uint, Tcp, TcpSegment, |t| Value::Hex(
        t.flags() as u64,
        4
    )),
    tcp_flag!("tcp.flags.ae", "Accurate ECN", AE),
    tcp_flag!("tcp.flags.cwr", "Congestion Window Reduced", CWR),
    tcp_flag!("tcp.flags.ece", "ECN-Echo", ECE),
    tcp_flag!("tcp.flags.urg", "Urgent", URG),
    tcp_flag!("tcp.flags.ack", "Acknowledgment", ACK),
    tcp_flag!("tcp.flags.push", "Push", PSH),
    tcp_flag!("tcp.flags.reset", "Reset", RST),
    tcp_flag!("tcp.flags.syn", "Syn", SYN),
    tcp_flag!("tcp.flags.fin", "Fin", FIN),
    layer_field!(
        "tcp.window_size_value",
        "Window",
        Uint,
        Tcp,
        TcpSegment,
        |t| Value::Uint(t.window() as u64)
    ),
    field!("tcp.window_size", "Calculated window size", Uint, |c, s| {
        if let Some(f) = c.flows.main().filter(|f| f.proto == Proto::Tcp) {
            s.value(Value::Uint(f.window as u64));
            return;
        }
        // A segment quoted by an ICMP error: its window as written, when
        // the quote reaches that far.
        let quoted = c
            .pkt
            .layers()
            .iter()
            .rev()
            .find(|l| l.proto == Proto::Tcp && l.quoted);
        if let Some(b) = quoted.map(|l| c.pkt.bytes(l)).filter(|b| b.len() >= 16) {
            s.value(Value::Uint(u16::from_be_bytes([b[14], b[15]]) as u64));
        }
    }),
    layer_field!("tcp.checksum", "Checksum", Uint, Tcp, TcpSegment, |t| {
        Value::Hex(t.checksum() as u64, 4)
    }),
    layer_field!(
        "tcp.urgent_pointer",
        "Urgent Pointer",
        Uint,
        Tcp,
        TcpSegment,
        |t| Value::Uint(t.urgent() as u64)
    ),
    // Quoted segments too, when the quote holds the options.
    field!("tcp.options.mss_val", "MSS Value", Uint, |c, s| each(
        c,
        Proto::Tcp,
        TcpSegment::new_checked,
        |t| {
            for o in t.options() {
                if let TcpOption::Mss(v) = o {
                    s.value(Value::Uint(v as u64))
                }
            }
        }
    )),
    field!("tcp.analysis.flags", "TCP Analysis Flags", Bool, |c, s| {
        analysis_flag(c, s, AF::ANY)
    }),
    field!(
        "tcp.analysis.retransmission",
        "This frame is a (suspected) retransmission",
        Bool,
        |c, s| analysis_flag(
            c,
            s,
            AF::RETRANSMISSION | AF::FAST_RETRANSMISSION | AF::SPURIOUS_RETRANSMISSION
        )
    ),
    field!(
        "tcp.analysis.fast_retransmission",
        "This frame is a (suspected) fast retransmission",
        Bool,
        |c, s| analysis_flag(c, s, AF::FAST_RETRANSMISSION)
    ),
    field!(
        "tcp.analysis.spurious_retransmission",
        "This frame is a (suspected) spurious retransmission",
        Bool,
        |c, s| analysis_flag(c, s, AF::SPURIOUS_RETRANSMISSION)
    ),
    field!(
        "tcp.analysis.out_of_order",
        "This frame is a (suspected) out-of-order segment",
        Bool,
        |c, s| analysis_flag(c, s, AF::OUT_OF_ORDER)
    ),
    field!(
        "tcp.analysis.lost_segment",
        "A segment before this frame wasn't captured",
        Bool,
        |c, s| analysis_flag(c, s, AF::LOST_PACKET)
    ),
    field!(
        "tcp.analysis.ack_lost_segment",
        "This frame ACKs a segment we have not seen",
        Bool,
        |c, s| analysis_flag(c, s, AF::ACK_LOST_PACKET)
    ),
    field!(
        "tcp.analysis.keep_alive",
        "This is a TCP keep-alive segment",
        Bool,
        |c, s| analysis_flag(c, s, AF::KEEP_ALIVE)
    ),
    field!(
        "tcp.analysis.keep_alive_ack",
        "This is an ACK to a TCP keep-alive segment",
        Bool,
        |c, s| analysis_flag(c, s, AF::KEEP_ALIVE_ACK)
    ),
    field!(
        "tcp.analysis.duplicate_ack",
        "This is a TCP duplicate ack",
        Bool,
        |c, s| {
            // Wireshark adds this item twice (flag and detail).
            analysis_flag(c, s, AF::DUPLICATE_ACK);
            analysis_flag(c, s, AF::DUPLICATE_ACK);
        }
    ),
    field!(
        "tcp.analysis.duplicate_ack_num",
        "Duplicate ACK #",
        Uint,
        |c, s| if c.tcp.has(AF::DUPLICATE_ACK) {
            s.value(Value::Uint(c.tcp.dup_ack_num as u64))
        }
    ),
    field!(
        "tcp.analysis.duplicate_ack_frame",
        "Duplicate to the ACK in frame",
        Uint,
        |c, s| if c.tcp.has(AF::DUPLICATE_ACK) {
            s.value(Value::Uint(c.tcp.dup_ack_frame))
        }
    ),
    field!(
        "tcp.analysis.zero_window",
        "This is a ZeroWindow segment",
        Bool,
        |c, s| analysis_flag(c, s, AF::ZERO_WINDOW)
    ),
    field!(
        "tcp.analysis.zero_window_probe",
        "This is a ZeroWindowProbe segment",
        Bool,
        |c, s| analysis_flag(c, s, AF::ZERO_WINDOW_PROBE)
    ),
    field!(
        "tcp.analysis.zero_window_probe_ack",
        "This is an ACK to a ZeroWindowProbe segment",
        Bool,
        |c, s| analysis_flag(c, s, AF::ZERO_WINDOW_PROBE_ACK)
    ),
    field!(
        "tcp.analysis.window_full",
        "The transmission window is now completely full",
        Bool,
        |c, s| analysis_flag(c, s, AF::WINDOW_FULL)
    ),
    field!(
        "tcp.analysis.window_update",
        "This is a tcp window update",
        Bool,
        |c, s| analysis_flag(c, s, AF::WINDOW_UPDATE)
    ),
    field!(
        "tcp.analysis.reused_ports",
        "A new tcp session has started with previously seen ports",
        Bool,
        |c, s| analysis_flag(c, s, AF::REUSED_PORTS)
    ),
    field!("tcp.options.wscale.shift", "Shift count", Uint, |c, s| {
        if let Some(t) = c.pkt.tcp() {
            for o in t.options() {
                if let TcpOption::WindowScale(v) = o {
                    s.value(Value::Uint(v as u64))
                }
            }
        }
    }),
    layer_field!("udp.srcport", "Source Port", Uint, Udp, UdpDatagram, |u| {
        Value::Uint(u.src_port() as u64)
    }),
    layer_field!(
        "udp.dstport",
        "Destination Port",
        Uint,
        Udp,
        UdpDatagram,
        |u| Value::Uint(u.dst_port() as u64)
    ),
    field!("udp.port", "Source or Destination Port", Uint, |c, s| each(
        c,
        Proto::Udp,
        UdpDatagram::new_checked,
        |u| {
            s.value(Value::Uint(u.src_port() as u64));
            s.value(Value::Uint(u.dst_port() as u64));
        }
    )),
    layer_field!("udp.length", "Length", Uint, Udp, UdpDatagram, |u| {
        Value::Uint(u.length() as u64)
    }),
    layer_field!("udp.checksum", "Checksum", Uint, Udp, UdpDatagram, |u| {
        Value::Hex(u.checksum() as u64, 4)
    }),
    field!("udp.stream", "Stream index", Uint, |c, s| streams(
        c,
        s,
        Proto::Udp
    )),
    layer_field!("icmp.type", "Type", Uint, Icmp, IcmpMessage, |m| {
        Value::Uint(m.msg_type() as u64)
    }),
    layer_field!("icmp.code", "Code", Uint, Icmp, IcmpMessage, |m| {
        Value::Uint(m.code() as u64)
    }),
    layer_field!("icmp.checksum", "Checksum", Uint, Icmp, IcmpMessage, |m| {
        Value::Hex(m.checksum() as u64, 4)
    }),
    layer_field!("icmpv6.type", "Type", Uint, Icmpv6, IcmpMessage, |m| {
        Value::Uint(m.msg_type() as u64)
    }),
    layer_field!("icmpv6.code", "Code", Uint, Icmpv6, IcmpMessage, |m| {
        Value::Uint(m.code() as u64)
    }),
    field!("dns.id", "Transaction ID", Uint, |c, s| dns_each(c, |d| s
        .value(Value::Hex(d.id() as u64, 4)))),
    field!("dns.flags.response", "Response", Bool, |c, s| dns_each(
        c,
        |d| s.value(Value::Bool(d.is_response()))
    )),
    field!("dns.flags.opcode", "Opcode", Uint, |c, s| dns_each(
        c,
        |d| s.value(Value::Uint(d.opcode() as u64))
    )),
    field!("dns.flags.rcode", "Reply code", Uint, |c, s| dns_each(
        c,
        |d| {
            if d.is_response() {
                s.value(Value::Uint(d.rcode() as u64))
            }
        }
    )),
    field!("dns.count.queries", "Questions", Uint, |c, s| dns_each(
        c,
        // An update names its counts zones, prerequisites, updates.
        |d| if d.has_header_bytes(6) && d.opcode() != 5 {
            s.value(Value::Uint(d.qdcount() as u64))
        }
    )),
    field!("dns.count.answers", "Answer RRs", Uint, |c, s| dns_each(
        c,
        |d| if d.has_header_bytes(8) && d.opcode() != 5 {
            s.value(Value::Uint(d.ancount() as u64))
        }
    )),
    field!("dns.qry.name", "Name", Text, |c, s| dns_each(c, |d| {
        for q in d.questions() {
            s.value(Value::Name(q.name))
        }
    })),
    field!("dns.qry.type", "Type", Uint, |c, s| dns_each(c, |d| {
        for q in d.questions() {
            s.value(Value::Uint(q.qtype as u64))
        }
    })),
    field!("dns.a", "Address", Ipv4, |c, s| dns_each(c, |d| {
        for (_, r) in d.records() {
            if let Some(a) = r.a() {
                s.value(Value::Ipv4(a))
            }
        }
    })),
    field!("dns.aaaa", "AAAA Address", Ipv6, |c, s| dns_each(c, |d| {
        for (_, r) in d.records() {
            if let Some(a) = r.aaaa() {
                s.value(Value::Ipv6(a))
            }
        }
    })),
    field!(
        "tls.handshake.extensions_server_name",
        "Server Name",
        Text,
        |c, s| {
            // A retransmitted ClientHello is not dissected again.
            for l in c.layers_of(Proto::Tls) {
                if let Some(name) = tls::client_hello_sni(c.pkt.bytes(l)) {
                    s.value(Value::Text(name))
                }
            }
            // The ClientHello of a QUIC client Initial, once unprotected.
            if let Some(u) = c.pkt.find(Proto::Udp)
                && let Some(payload) = c.pkt.bytes(u).get(UdpDatagram::HEADER_LEN..)
                && quic::looks_like_initial(payload)
                && let Some(name) = quic::client_hello_sni(payload)
            {
                s.value(Value::Text(&name))
            }
        }
    ),
    field!("http.request.method", "Request Method", Text, |c, s| {
        for r in http_requests(c) {
            s.value(Value::Text(r.method));
        }
    }),
    field!("http.request.uri", "Request URI", Text, |c, s| {
        for r in http_requests(c) {
            s.value(Value::Text(r.uri));
        }
    }),
    field!("http.request.version", "Request Version", Text, |c, s| {
        for r in http_requests(c) {
            s.value(Value::Text(r.version));
        }
    }),
    field!("http.host", "Host", Text, |c, s| {
        for r in http_requests(c) {
            if let Some(h) = r.host {
                s.value(Value::Text(h))
            }
        }
    }),
    field!("http.response.code", "Status Code", Uint, |c, s| {
        for r in http_responses(c) {
            if let Some(code) = r.code {
                s.value(Value::Uint(code.into()))
            }
        }
    }),
    field!("http.response.phrase", "Response Phrase", Text, |c, s| {
        for r in http_responses(c) {
            s.value(Value::Text(r.phrase))
        }
    }),
];
