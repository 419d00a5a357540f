//! The packet detail view (`tshark -V`, Wireshark's middle pane): one
//! heading per protocol of the frame, in the order they were dissected,
//! then every registry field of that protocol present in the frame, with
//! Wireshark's label and the value. Protocols named in `only` are expanded
//! and the others show their heading alone (`tshark -O`).

use std::io::Write;

use wirehunt_dissect::{Proto, TcpSegment, UdpDatagram};

use crate::protocols::write_protocols;
use crate::registry::{FrameCtx, Kind, all};
use crate::value::Value;

/// Fields Wireshark keeps out of the tree (either-side aliases for filters).
const HIDDEN: &[&str] = &["eth.addr", "ip.addr", "ipv6.addr", "tcp.port", "udp.port"];

/// The registry prefix of a protocol of the chain (mDNS and LLMNR are DNS
/// on other ports).
fn field_prefix(proto: &str) -> &str {
    match proto {
        "mdns" | "llmnr" => "dns",
        "ssdp" => "http",
        p => p,
    }
}

/// Wireshark's heading for a protocol item.
fn heading(ctx: &FrameCtx<'_, '_>, proto: &str, out: &mut Vec<u8>) {
    let pkt = ctx.pkt;
    let f = ctx.frame;
    let _ = match proto {
        "frame" if let Some(cb) = f.custom => write!(
            out,
            "PCAPNG Custom Block {}: {} bytes ({} bits) of custom data and options, PEN {cb}, copying {}",
            f.number,
            f.data.len(),
            f.data.len() as u64 * 8,
            if cb.copy { "allowed" } else { "not allowed" }
        ),
        "frame" => write!(
            out,
            "Frame {}: {} bytes on wire ({} bits), {} bytes captured ({} bits)",
            f.number,
            f.orig_len,
            f.orig_len as u64 * 8,
            f.data.len(),
            f.data.len() as u64 * 8
        ),
        "eth" => match pkt.ethernet() {
            Some(e) => write!(out, "Ethernet II, Src: {}, Dst: {}", e.src(), e.dst()),
            None => write!(out, "Ethernet II"),
        },
        "ip" => match pkt.ipv4() {
            Some(ip) => write!(
                out,
                "Internet Protocol Version 4, Src: {}, Dst: {}",
                ip.src(),
                ip.dst()
            ),
            None => write!(out, "Internet Protocol Version 4"),
        },
        "ipv6" => match pkt.ipv6() {
            Some(ip) => write!(
                out,
                "Internet Protocol Version 6, Src: {}, Dst: {}",
                ip.src(),
                ip.dst()
            ),
            None => write!(out, "Internet Protocol Version 6"),
        },
        "tcp" => {
            let seg = pkt
                .find(Proto::Tcp)
                .and_then(|l| TcpSegment::new_checked(pkt.bytes(l)).map(|t| (t, l.declared_len())));
            let flow = ctx.flows.main().filter(|f| f.proto == Proto::Tcp);
            match seg {
                Some((t, len)) => write!(
                    out,
                    "Transmission Control Protocol, Src Port: {}, Dst Port: {}, Seq: {}, {}Len: {}",
                    t.src_port(),
                    t.dst_port(),
                    flow.map_or(t.seq(), |f| f.rel_seq),
                    if t.flags() & wirehunt_dissect::tcp::flags::ACK != 0 {
                        format!("Ack: {}, ", flow.map_or(t.ack(), |f| f.rel_ack))
                    } else {
                        String::new()
                    },
                    len.saturating_sub(t.header_len() as u32)
                ),
                None => write!(out, "Transmission Control Protocol"),
            }
        }
        "udp" => match pkt
            .find(Proto::Udp)
            .and_then(|l| UdpDatagram::new_checked(pkt.bytes(l)))
        {
            Some(u) => write!(
                out,
                "User Datagram Protocol, Src Port: {}, Dst Port: {}",
                u.src_port(),
                u.dst_port()
            ),
            None => write!(out, "User Datagram Protocol"),
        },
        "icmp" => write!(out, "Internet Control Message Protocol"),
        "icmpv6" => write!(out, "Internet Control Message Protocol v6"),
        "arp" => write!(out, "Address Resolution Protocol"),
        "dns" => write!(out, "Domain Name System"),
        "mdns" => write!(out, "Multicast Domain Name System"),
        "llmnr" => write!(out, "Link-local Multicast Name Resolution"),
        "http" => write!(out, "Hypertext Transfer Protocol"),
        "tls" => write!(out, "Transport Layer Security"),
        "vlan" => write!(out, "802.1Q Virtual LAN"),
        "sll" => write!(out, "Linux cooked capture"),
        "data" => write!(out, "Data"),
        p => write!(out, "{p}"),
    };
    out.push(b'\n');
}

/// Appends the detail view of one frame (a blank line after it).
pub fn write_detail(ctx: &FrameCtx<'_, '_>, only: &[String], out: &mut Vec<u8>) {
    let mut chain = Vec::with_capacity(64);
    write_protocols(ctx, &mut chain);
    let mut protos: Vec<&str> = vec!["frame"];
    for p in chain.split(|&c| c == b':') {
        let Ok(p) = std::str::from_utf8(p) else {
            continue;
        };
        if p.is_empty() || p == "ethertype" || protos.contains(&p) {
            continue;
        }
        protos.push(p);
    }
    let mut text = Vec::new();
    for p in protos {
        heading(ctx, p, out);
        if !only.is_empty() && !only.iter().any(|o| o == p) {
            continue;
        }
        let prefix = field_prefix(p);
        for f in all() {
            let Some(rest) = f.name.strip_prefix(prefix) else {
                continue;
            };
            if !rest.starts_with('.') || f.kind == Kind::Protocol || HIDDEN.contains(&f.name) {
                continue;
            }
            let depth = rest.matches('.').count();
            f.extract(ctx, &mut |v: Value<'_>| {
                text.clear();
                v.write_text(&mut text);
                out.extend(std::iter::repeat_n(b' ', 4 * depth));
                out.extend_from_slice(f.label.as_bytes());
                out.extend_from_slice(b": ");
                out.extend_from_slice(&text);
                out.push(b'\n');
            });
        }
    }
    if ctx.reassembly_error {
        // tshark's item for the exception, after the protocols, with its
        // expert note.
        let msg = crate::tls_reassembly::OVERLAP_ERROR;
        let _ = writeln!(out, "[Reassembly error, protocol TCP: {msg}]");
        let _ = writeln!(out, "    [Expert Info (Error/Malformed): {msg}]");
    }
    out.push(b'\n');
}
