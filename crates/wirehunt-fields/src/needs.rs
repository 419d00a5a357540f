//! What a field, a filter or a view reads besides the packet's own bytes,
//! so that a pass over a capture computes only that: following every TCP
//! conversation costs more than dissecting the packet does.

/// The per-frame work a reader of [`crate::FrameCtx`] needs besides
/// dissecting. Combine with [`Needs::union`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Needs {
    /// Which UDP datagrams carrying a tunnel (VXLAN, Teredo) belong to a
    /// TFTP conversation: Wireshark then dissects nothing else in them.
    pub tunnels: bool,
    /// UDP conversations: `udp.stream`, and which datagrams belong to a
    /// TFTP conversation (whose payload is then not DNS or anything else
    /// its ports suggest).
    pub udp_flows: bool,
    /// TCP conversations: `tcp.stream`, relative sequence numbers,
    /// retransmissions (whose payload Wireshark does not dissect again).
    pub tcp_flows: bool,
    /// TCP sequence analysis (`tcp.analysis.*`, the Info column's tags).
    pub analysis: bool,
    /// HTTP requests put together across segments.
    pub http: bool,
}

impl Needs {
    /// The frame alone: its number, times, lengths and bytes.
    pub const NONE: Needs = Needs {
        tunnels: false,
        udp_flows: false,
        tcp_flows: false,
        analysis: false,
        http: false,
    };
    /// Link, network and transport headers. A layer carried by UDP (a
    /// VXLAN or Teredo tunnel) is dissected unless its datagram joined a
    /// TFTP conversation; nothing below the application layer is carried
    /// by TCP, so TCP conversations are not needed.
    pub const LAYERS: Needs = Needs {
        tunnels: true,
        ..Needs::NONE
    };
    /// Stream numbers, relative sequence numbers, window scaling.
    pub const FLOWS: Needs = Needs {
        tunnels: true,
        udp_flows: true,
        tcp_flows: true,
        ..Needs::NONE
    };
    /// [`Needs::FLOWS`] and the sequence analysis.
    pub const ANALYSIS: Needs = Needs {
        analysis: true,
        ..Needs::FLOWS
    };
    /// Everything: application layers (whether Wireshark dissects a
    /// segment's payload depends on all of the above).
    pub const ALL: Needs = Needs {
        tunnels: true,
        udp_flows: true,
        tcp_flows: true,
        analysis: true,
        http: true,
    };

    /// What either needs.
    pub const fn union(self, other: Needs) -> Needs {
        Needs {
            tunnels: self.tunnels || other.tunnels,
            udp_flows: self.udp_flows || other.udp_flows,
            tcp_flows: self.tcp_flows || other.tcp_flows,
            analysis: self.analysis || other.analysis,
            http: self.http || other.http,
        }
    }

    /// Whether the conversation table runs at all.
    pub const fn any_flows(self) -> bool {
        self.tunnels || self.udp_flows || self.tcp_flows || self.analysis || self.http
    }
}

/// Protocols whose fields are headers below the application layer.
const HEADER_PROTOCOLS: &[&str] = &[
    "eth", "vlan", "sll", "null", "mpls", "arp", "ip", "ipv6", "tcp", "udp", "icmp", "icmpv6",
    "gre", "vxlan", "teredo",
];

/// What reading protocol `proto` (a field's first name component, or a
/// protocol used as a filter field) needs.
pub fn of_protocol(proto: &str) -> Needs {
    if proto == "frame" {
        Needs::NONE
    } else if HEADER_PROTOCOLS.contains(&proto) {
        Needs::LAYERS
    } else {
        Needs::ALL
    }
}

/// What field `name` needs. Fields not named here read the dissected
/// headers of their protocol ([`of_protocol`]); anything not known to be
/// cheaper needs everything.
pub fn of_field(name: &str) -> Needs {
    match name {
        "frame.protocols" => Needs::ALL,
        "tcp.stream" | "udp.stream" | "tcp.seq" | "tcp.ack" | "tcp.window_size" => Needs::FLOWS,
        n if n.starts_with("tcp.analysis.") => Needs::ANALYSIS,
        n => of_protocol(n.split('.').next().unwrap_or(n)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_need_what_they_read() {
        assert_eq!(of_field("frame.number"), Needs::NONE);
        assert_eq!(of_field("frame.protocols"), Needs::ALL);
        assert_eq!(of_field("tcp.flags.reset"), Needs::LAYERS);
        assert_eq!(of_field("tcp.stream"), Needs::FLOWS);
        assert_eq!(of_field("tcp.analysis.retransmission"), Needs::ANALYSIS);
        assert_eq!(of_field("http.host"), Needs::ALL);
        assert_eq!(of_field("tls.handshake.extensions_server_name"), Needs::ALL);
        assert_eq!(of_protocol("dns"), Needs::ALL);
        let layers = of_field("ip.src");
        assert_eq!((layers.tcp_flows, layers.udp_flows), (false, false));
        assert_eq!(layers.union(Needs::ANALYSIS), Needs::ANALYSIS);
        assert!(!of_field("frame.len").any_flows());
    }
}
