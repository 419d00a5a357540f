//! `frame.protocols`: the colon-separated protocol chain Wireshark builds as
//! it dissects (`eth:ethertype:ip:tcp`).

use wirehunt_dissect::{Ipv6Packet, Packet, Proto, ipv6};

use crate::FrameCtx;
use crate::reassembly::HttpView;

/// Appends the chain of the frame to `out`: the layers Wireshark dissects
/// ([`FrameCtx::dissects`]), then `http` when the frame completes a request
/// reassembled from several segments.
pub fn write_protocols(ctx: &FrameCtx<'_, '_>, out: &mut Vec<u8>) {
    write_frame_chain(ctx, out, false);
}

/// Appends the path of the frame in the protocol hierarchy (`-z io,phs`):
/// the [`write_protocols`] chain without `ethertype` steps, IPv6 extension
/// headers, and the network and transport headers an ICMP error quotes
/// (Wireshark shows them inside the ICMP item, not as protocols of their
/// own; what they carry, a DNS query say, still counts).
pub fn write_hierarchy_path(ctx: &FrameCtx<'_, '_>, out: &mut Vec<u8>) {
    write_frame_chain(ctx, out, true);
}

fn write_frame_chain(ctx: &FrameCtx<'_, '_>, out: &mut Vec<u8>, hierarchy: bool) {
    let n = ctx.pkt.layers().len();
    let upto = (0..n).find(|&i| !ctx.dissects(i)).unwrap_or(n);
    // The segment's data is the HTTP message it completes (or continues),
    // or a part of one still waiting (shown as TCP), not undissected data.
    let http = matches!(ctx.http, HttpView::Message(_) | HttpView::Continuation);
    write_chain(
        ctx.pkt,
        out,
        hierarchy,
        upto,
        matches!(ctx.http, HttpView::Untracked),
    );
    if http && upto == n {
        if !out.is_empty() {
            out.push(b':');
        }
        out.extend_from_slice(b"http");
    }
}

/// The chain of the first `upto` layers; undissected payload is named
/// `data` only when all layers are written (and `data` allows it).
fn write_chain(pkt: &Packet<'_>, out: &mut Vec<u8>, hierarchy: bool, upto: usize, data: bool) {
    let all = pkt.layers();
    let layers = &all[..upto.min(all.len())];
    let push = |out: &mut Vec<u8>, s: &str| {
        if !out.is_empty() {
            out.push(b':');
        }
        out.extend_from_slice(s.as_bytes());
    };
    match pkt.link_type.0 {
        0 | 108 if !layers.is_empty() => {}
        12 | 14 | 101 | 228 | 229 => push(out, "raw"),
        _ => {}
    }
    for (i, l) in layers.iter().enumerate() {
        if hierarchy && l.quoted && !matches!(l.proto, Proto::Dns | Proto::Http | Proto::Tls) {
            continue;
        }
        match l.proto {
            Proto::Ethernet
                if wirehunt_dissect::EthernetFrame::new_checked(pkt.bytes(l))
                    .is_some_and(|e| wirehunt_dissect::ethernet::is_8023_length(e.ethertype())) =>
            {
                // 802.3: a length, then an LLC header.
                push(out, "eth");
                push(out, "llc");
            }
            // A type whose dissector takes the payload silently.
            Proto::Ethernet
                if wirehunt_dissect::EthernetFrame::new_checked(pkt.bytes(l)).is_some_and(
                    |e| {
                        let payload = pkt.bytes(l).get(14..).unwrap_or_default();
                        wirehunt_dissect::ethernet::silently_claimed(e.ethertype(), payload)
                    },
                ) =>
            {
                push(out, "eth");
            }
            Proto::Ethernet | Proto::Vlan | Proto::Sll | Proto::Sll2 => {
                push(out, l.proto.filter_name());
                if !hierarchy {
                    push(out, "ethertype");
                }
            }
            Proto::Ipv6 => {
                push(out, "ipv6");
                if !hierarchy {
                    write_ipv6_extensions(pkt, l, out);
                }
            }
            // The hierarchy shows extension headers inside the IPv6 item.
            Proto::Ipv6Fragment if hierarchy => {}
            Proto::Ipv6Fragment => push(out, "ipv6.fraghdr"),
            Proto::Dns | Proto::Http => push(out, app_name(pkt, i)),
            p => push(out, p.filter_name()),
        }
    }
    if data && layers.len() == all.len() && has_undissected_payload(pkt) {
        push(out, "data");
    }
}

fn write_ipv6_extensions(pkt: &Packet<'_>, l: &wirehunt_dissect::Layer, out: &mut Vec<u8>) {
    let b = pkt.bytes(l);
    let Some(ip) = Ipv6Packet::new_checked(b) else {
        return;
    };
    let mut nh = ip.next_header();
    let mut pos = Ipv6Packet::HEADER_LEN;
    for _ in 0..8 {
        let name = match nh {
            0 => "ipv6.hopopts",
            43 => "ipv6.routing",
            60 => "ipv6.dstopts",
            51 => "ah",
            _ => return, // fragments are their own layer; others end the walk
        };
        out.push(b':');
        out.extend_from_slice(name.as_bytes());
        let Some(len) = b.get(pos..).and_then(|r| ipv6::extension_len(nh, r)) else {
            return;
        };
        nh = b[pos];
        pos += len;
    }
}

/// The protocol name Wireshark gives layer `i`: DNS on the multicast ports
/// and HTTP on the SSDP port are named after those protocols.
pub fn app_name(pkt: &Packet<'_>, i: usize) -> &'static str {
    let layers = pkt.layers();
    let udp = i
        .checked_sub(1)
        .and_then(|j| layers.get(j))
        .filter(|l| l.proto == Proto::Udp)
        .and_then(|l| wirehunt_dissect::UdpDatagram::new_checked(pkt.bytes(l)));
    let is = |port: u16| udp.is_some_and(|u| u.src_port() == port || u.dst_port() == port);
    match layers[i].proto {
        Proto::Dns if is(5353) => "mdns",
        Proto::Dns if is(5355) => "llmnr",
        Proto::Http if is(1900) => "ssdp",
        p => p.filter_name(),
    }
}

/// The type field of a packet whose last layer is an Ethernet header or a
/// VLAN tag announcing a type wirehunt has no dissector for (Wireshark
/// hands the rest to `data` and names the type in the protocol column).
pub fn unknown_ethertype(pkt: &Packet<'_>) -> Option<u16> {
    use wirehunt_dissect::ethernet::{ethertype as et, is_8023_length, silently_claimed};
    let last = pkt.layers().last()?;
    let b = pkt.bytes(last);
    let (t, header) = match last.proto {
        Proto::Ethernet => (
            wirehunt_dissect::EthernetFrame::new_checked(b)?.ethertype(),
            14,
        ),
        Proto::Vlan => (wirehunt_dissect::VlanTag::new_checked(b)?.ethertype(), 4),
        _ => return None,
    };
    (!is_8023_length(t)
        && !et::DISSECTED.contains(&t)
        && !silently_claimed(t, b.get(header..).unwrap_or_default()))
    .then_some(t)
}

/// True when the innermost layer leaves payload no dissector claimed.
fn has_undissected_payload(pkt: &Packet<'_>) -> bool {
    let Some(last) = pkt.layers().last() else {
        return !pkt.data.is_empty();
    };
    let b = pkt.bytes(last);
    match last.proto {
        Proto::Tcp if !last.quoted => {
            wirehunt_dissect::TcpSegment::new_checked(b).is_some_and(|t| b.len() > t.header_len())
        }
        Proto::Udp => b.len() > 8,
        Proto::Icmp => b.len() > 8,
        // Only echo bodies are opaque; other ICMPv6 bodies are decoded.
        Proto::Icmpv6 => b.len() > 8 && matches!(b[0], 128 | 129),
        Proto::Ipv4 => {
            wirehunt_dissect::Ipv4Packet::new_checked(b).is_some_and(|ip| b.len() > ip.header_len())
        }
        Proto::Ipv6Fragment => b.len() > 8,
        Proto::Ipv6 => wirehunt_dissect::ipv6::walk_extensions(b)
            .is_some_and(|end| end.broken.is_none() && b.len() > end.offset),
        Proto::Ethernet | Proto::Vlan if unknown_ethertype(pkt).is_some() => {
            let header = if last.proto == Proto::Ethernet { 14 } else { 4 };
            b.len() > header
        }
        _ => false,
    }
}
