//! Writers for the field lines of the protocols nearly every frame carries
//! (the frame itself, Ethernet, IPv4, TCP and UDP), in one pass over the
//! header each, for the shape most frames have: one layer of the protocol,
//! which Wireshark dissects, whole.
//!
//! They are the detail view's fast path, not a second definition: the
//! registry stays what the tree shows. Each writer names the registry
//! fields it writes, which must be the first fields of its protocol's
//! subtree, in order, or the tree does not use it; it writes their lines
//! exactly as the registry's fields would, and for any other shape (an
//! ICMP error quoting a second header, a tunnel, a cut header, a segment
//! the sequence analysis flagged) it writes nothing and the tree reads the
//! registry. The `sections` test compares the two ways on every frame of
//! the test data and the corpus, and on damaged copies of them.
//!
//! Why: the generic path costs an indirect call, a [`crate::Value`] and a
//! dispatch on it for each of a frame's fifty lines; on the 1 GB workload
//! these five protocols were two thirds of the detail view's writing.

use wirehunt_dissect::tcp::{TcpOption, flags};
use wirehunt_dissect::{EthernetFrame, Ipv4Packet, Proto, TcpSegment, UdpDatagram};
use wirehunt_flow::FlowInfo;

use crate::registry::FrameCtx;
use crate::value::{write_hex_exact, write_ipv4, write_mac, write_seconds, write_u8, write_uint};

/// A protocol's fast writer.
#[derive(Debug)]
pub(super) struct Section {
    /// The heading it writes under (the protocol's name in the chain).
    pub proto: &'static str,
    /// The registry fields whose lines it writes, in registry order.
    pub fields: &'static [&'static str],
    /// Writes those lines, given the frame's protocol chain; false, having
    /// written nothing, when the frame does not have the shape it handles.
    pub write: fn(&FrameCtx<'_, '_>, &[u8], &mut Vec<u8>) -> bool,
}

pub(super) static SECTIONS: &[Section] = &[
    Section {
        proto: "frame",
        fields: &[
            "frame.number",
            "frame.time_epoch",
            "frame.time_relative",
            "frame.len",
            "frame.cap_len",
            "frame.interface_id",
            "frame.protocols",
        ],
        write: frame,
    },
    Section {
        proto: "eth",
        fields: &["eth.dst", "eth.src", "eth.type"],
        write: eth,
    },
    Section {
        proto: "ip",
        fields: &[
            "ip.version",
            "ip.hdr_len",
            "ip.dsfield",
            "ip.len",
            "ip.id",
            "ip.flags",
            "ip.flags.df",
            "ip.flags.mf",
            "ip.frag_offset",
            "ip.ttl",
            "ip.proto",
            "ip.checksum",
            "ip.src",
            "ip.dst",
        ],
        write: ipv4,
    },
    Section {
        proto: "tcp",
        fields: &[
            "tcp.srcport",
            "tcp.dstport",
            "tcp.stream",
            "tcp.len",
            "tcp.seq",
            "tcp.seq_raw",
            "tcp.ack",
            "tcp.ack_raw",
            "tcp.hdr_len",
            "tcp.flags",
            "tcp.flags.ae",
            "tcp.flags.cwr",
            "tcp.flags.ece",
            "tcp.flags.urg",
            "tcp.flags.ack",
            "tcp.flags.push",
            "tcp.flags.reset",
            "tcp.flags.syn",
            "tcp.flags.fin",
            "tcp.window_size_value",
            "tcp.window_size",
            "tcp.checksum",
            "tcp.urgent_pointer",
            "tcp.options.mss_val",
            "tcp.analysis.flags",
            "tcp.analysis.retransmission",
            "tcp.analysis.fast_retransmission",
            "tcp.analysis.spurious_retransmission",
            "tcp.analysis.out_of_order",
            "tcp.analysis.lost_segment",
            "tcp.analysis.ack_lost_segment",
            "tcp.analysis.keep_alive",
            "tcp.analysis.keep_alive_ack",
            "tcp.analysis.duplicate_ack",
            "tcp.analysis.duplicate_ack_num",
            "tcp.analysis.duplicate_ack_frame",
            "tcp.analysis.zero_window",
            "tcp.analysis.zero_window_probe",
            "tcp.analysis.zero_window_probe_ack",
            "tcp.analysis.window_full",
            "tcp.analysis.window_update",
            "tcp.analysis.reused_ports",
            "tcp.options.wscale.shift",
        ],
        write: tcp,
    },
    Section {
        proto: "udp",
        fields: &[
            "udp.srcport",
            "udp.dstport",
            "udp.length",
            "udp.checksum",
            "udp.stream",
        ],
        write: udp,
    },
];

/// The packet's one layer among `family`, when it is of `proto`, Wireshark
/// dissects it and it is not inside an ICMP error's quote: its index and
/// bytes.
fn only_layer<'a>(
    ctx: &FrameCtx<'a, '_>,
    family: &[Proto],
    proto: Proto,
) -> Option<(usize, &'a [u8])> {
    let layers = ctx.pkt.layers();
    let mut of_family = layers
        .iter()
        .enumerate()
        .filter(|(_, l)| family.contains(&l.proto));
    let (i, l) = of_family.next()?;
    if of_family.next().is_some() || l.proto != proto || l.quoted || !ctx.dissects(i) {
        return None;
    }
    Some((i, ctx.pkt.bytes(l)))
}

/// The packet's one TCP or UDP layer (`proto`), as [`only_layer`] finds
/// it, through its view, with the frame's one conversation when that is
/// the layer's (unquoted): then the conversation fields of `proto`
/// (`stream`, and for TCP the relative numbers and the calculated window)
/// read it alone.
fn transport<'a, V>(
    ctx: &FrameCtx<'a, '_>,
    proto: Proto,
    view: fn(&'a [u8]) -> Option<V>,
) -> Option<(usize, V, FlowInfo)> {
    let (i, b) = only_layer(ctx, &[proto], proto)?;
    match ctx.flows.all() {
        [f] if f.proto == proto && usize::from(f.layer) == i && !f.quoted => {
            Some((i, view(b)?, *f))
        }
        _ => None,
    }
}

fn frame(ctx: &FrameCtx<'_, '_>, chain: &[u8], out: &mut Vec<u8>) -> bool {
    let f = ctx.frame;
    out.extend_from_slice(b"    Frame Number: ");
    write_uint(out, f.number);
    if f.has_ts {
        out.extend_from_slice(b"\n    Epoch Time: ");
        write_seconds(out, f.ts_ns, 9);
        out.extend_from_slice(b"\n    Time since reference or first frame: ");
        write_seconds(out, f.ts_ns - ctx.first_ts_ns, 9);
    }
    out.extend_from_slice(b"\n    Frame Length: ");
    write_uint(out, u64::from(f.orig_len));
    out.extend_from_slice(b"\n    Capture Length: ");
    write_uint(out, f.cap_len() as u64);
    if f.is_packet() {
        out.extend_from_slice(b"\n    Interface id: ");
        write_uint(out, u64::from(f.interface));
    }
    out.extend_from_slice(b"\n    Protocols in frame: ");
    out.extend_from_slice(chain);
    out.push(b'\n');
    true
}

fn eth(ctx: &FrameCtx<'_, '_>, _: &[u8], out: &mut Vec<u8>) -> bool {
    let Some(e) = only_layer(ctx, &[Proto::Ethernet], Proto::Ethernet)
        .and_then(|(_, b)| EthernetFrame::new_checked(b))
    else {
        return false;
    };
    out.extend_from_slice(b"    Destination: ");
    write_mac(out, &e.dst().0);
    out.extend_from_slice(b"\n    Source: ");
    write_mac(out, &e.src().0);
    // A length (802.3) is not a type.
    if !wirehunt_dissect::ethernet::is_8023_length(e.ethertype()) {
        out.extend_from_slice(b"\n    Type: ");
        write_hex_exact::<4>(out, e.ethertype().into());
    }
    out.push(b'\n');
    true
}

fn ipv4(ctx: &FrameCtx<'_, '_>, _: &[u8], out: &mut Vec<u8>) -> bool {
    // `ip.version` is also IPv6's and `ip.hdr_len` a bogus header's.
    let family = [Proto::Ipv4, Proto::Ipv4Bogus, Proto::Ipv6];
    let Some(ip) =
        only_layer(ctx, &family, Proto::Ipv4).and_then(|(_, b)| Ipv4Packet::new_checked(b))
    else {
        return false;
    };
    // The dissector makes an IPv4 layer only of a header of version 4
    // (anything else is `Ipv4Bogus`), so `ip.hdr_len` is always shown.
    out.extend_from_slice(b"    Version: ");
    write_u8(out, ip.version());
    out.extend_from_slice(b"\n    Header Length: ");
    write_uint(out, ip.header_len() as u64);
    out.extend_from_slice(b"\n    Differentiated Services Field: ");
    write_hex_exact::<2>(out, ip.dsfield().into());
    out.extend_from_slice(b"\n    Total Length: ");
    write_uint(out, ip.total_len().into());
    out.extend_from_slice(b"\n    Identification: ");
    write_hex_exact::<4>(out, ip.ident().into());
    out.extend_from_slice(b"\n    Flags: ");
    write_hex_exact::<2>(out, (ip.byte(6) & 0xe0).into());
    out.extend_from_slice(b"\n        Don't fragment: ");
    out.push(b'0' + u8::from(ip.dont_frag()));
    out.extend_from_slice(b"\n        More fragments: ");
    out.push(b'0' + u8::from(ip.more_frags()));
    out.extend_from_slice(b"\n    Fragment Offset: ");
    write_uint(out, ip.frag_offset().into());
    out.extend_from_slice(b"\n    Time to Live: ");
    write_u8(out, ip.ttl());
    out.extend_from_slice(b"\n    Protocol: ");
    write_u8(out, ip.protocol());
    out.extend_from_slice(b"\n    Header Checksum: ");
    write_hex_exact::<4>(out, ip.checksum().into());
    out.extend_from_slice(b"\n    Source Address: ");
    write_ipv4(out, ip.src().octets());
    out.extend_from_slice(b"\n    Destination Address: ");
    write_ipv4(out, ip.dst().octets());
    out.push(b'\n');
    true
}

/// The TCP flag bits' lines, highest first.
const FLAG_LINES: [(&[u8], u16); 9] = [
    (b"\n        Accurate ECN: ", flags::AE),
    (b"\n        Congestion Window Reduced: ", flags::CWR),
    (b"\n        ECN-Echo: ", flags::ECE),
    (b"\n        Urgent: ", flags::URG),
    (b"\n        Acknowledgment: ", flags::ACK),
    (b"\n        Push: ", flags::PSH),
    (b"\n        Reset: ", flags::RST),
    (b"\n        Syn: ", flags::SYN),
    (b"\n        Fin: ", flags::FIN),
];

fn tcp(ctx: &FrameCtx<'_, '_>, _: &[u8], out: &mut Vec<u8>) -> bool {
    // A segment the analysis flagged shows `tcp.analysis.*` lines, which
    // the registry writes.
    if ctx.tcp.flags != 0 {
        return false;
    }
    let Some((i, t, flow)) = transport(ctx, Proto::Tcp, TcpSegment::new_checked) else {
        return false;
    };
    let declared = ctx.pkt.layers()[i].declared_len();
    out.extend_from_slice(b"    Source Port: ");
    write_uint(out, t.src_port().into());
    out.extend_from_slice(b"\n    Destination Port: ");
    write_uint(out, t.dst_port().into());
    out.extend_from_slice(b"\n    Stream index: ");
    write_uint(out, flow.stream.into());
    if let Some(len) = declared.checked_sub(t.header_len() as u32) {
        out.extend_from_slice(b"\n    TCP Segment Len: ");
        write_uint(out, len.into());
    }
    out.extend_from_slice(b"\n    Sequence Number: ");
    write_uint(out, flow.rel_seq.into());
    out.extend_from_slice(b"\n    Sequence Number (raw): ");
    write_uint(out, t.seq().into());
    out.extend_from_slice(b"\n    Acknowledgment Number: ");
    write_uint(out, flow.rel_ack.into());
    out.extend_from_slice(b"\n    Acknowledgment number (raw): ");
    write_uint(out, t.ack().into());
    out.extend_from_slice(b"\n    Header Length: ");
    write_uint(out, t.header_len() as u64);
    out.extend_from_slice(b"\n    Flags: ");
    write_hex_exact::<4>(out, t.flags().into());
    for (lead, bit) in FLAG_LINES {
        out.extend_from_slice(lead);
        out.push(b'0' + u8::from(t.has(bit)));
    }
    out.extend_from_slice(b"\n    Window: ");
    write_uint(out, t.window().into());
    out.extend_from_slice(b"\n    Calculated window size: ");
    write_uint(out, flow.window.into());
    out.extend_from_slice(b"\n    Checksum: ");
    write_hex_exact::<4>(out, t.checksum().into());
    out.extend_from_slice(b"\n    Urgent Pointer: ");
    write_uint(out, t.urgent().into());
    // Every MSS option, then (the analysis flagged nothing) every window
    // scale option.
    for o in t.options() {
        if let TcpOption::Mss(v) = o {
            out.extend_from_slice(b"\n        MSS Value: ");
            write_uint(out, v.into());
        }
    }
    for o in t.options() {
        if let TcpOption::WindowScale(v) = o {
            out.extend_from_slice(b"\n            Shift count: ");
            write_u8(out, v);
        }
    }
    out.push(b'\n');
    true
}

fn udp(ctx: &FrameCtx<'_, '_>, _: &[u8], out: &mut Vec<u8>) -> bool {
    let Some((_, u, flow)) = transport(ctx, Proto::Udp, UdpDatagram::new_checked) else {
        return false;
    };
    out.extend_from_slice(b"    Source Port: ");
    write_uint(out, u.src_port().into());
    out.extend_from_slice(b"\n    Destination Port: ");
    write_uint(out, u.dst_port().into());
    out.extend_from_slice(b"\n    Length: ");
    write_uint(out, u.length().into());
    out.extend_from_slice(b"\n    Checksum: ");
    write_hex_exact::<4>(out, u.checksum().into());
    out.extend_from_slice(b"\n    Stream index: ");
    write_uint(out, flow.stream.into());
    out.push(b'\n');
    true
}
