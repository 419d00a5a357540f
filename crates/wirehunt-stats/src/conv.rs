//! Conversations and endpoints (`tshark -z conv,X` and `-z endpoints,X`).
//!
//! Wireshark's taps, reproduced:
//! - every header of the kind counts, tunnelled ones included, but not the
//!   headers an ICMP error quotes, nor IPv6 headers of fragments before
//!   the last, nor TCP headers the snapshot length cut short;
//! - a conversation is the pair of (address, port) either way; its A side
//!   is the source of its first frame; conversations are also split by
//!   `tcp.stream` / `udp.stream`, so a reused port pair makes a new row
//!   (and a stream with several port pairs, a TFTP one, one row per pair);
//! - bytes are frame lengths on the wire; times are relative to the first
//!   frame of the capture;
//! - rows come out by total frames, most first, ties in order of
//!   appearance (tshark's order); endpoints likewise.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use foldhash::fast::RandomState;
use hashbrown::HashMap;
use serde::Serialize;
use wirehunt_dissect::{EthernetFrame, Packet, Proto};
use wirehunt_flow::Flows;

/// Which header a table follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ConvKind {
    Eth,
    Ip,
    Ipv6,
    Tcp,
    Udp,
}

impl ConvKind {
    pub const ALL: [ConvKind; 5] = [
        ConvKind::Eth,
        ConvKind::Ip,
        ConvKind::Ipv6,
        ConvKind::Tcp,
        ConvKind::Udp,
    ];

    /// tshark's heading ("TCP Conversations").
    pub fn title(self) -> &'static str {
        match self {
            ConvKind::Eth => "Ethernet",
            ConvKind::Ip => "IPv4",
            ConvKind::Ipv6 => "IPv6",
            ConvKind::Tcp => "TCP",
            ConvKind::Udp => "UDP",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ConvKind::Eth => "eth",
            ConvKind::Ip => "ip",
            ConvKind::Ipv6 => "ipv6",
            ConvKind::Tcp => "tcp",
            ConvKind::Udp => "udp",
        }
    }

    /// True for the kinds with ports.
    pub fn has_ports(self) -> bool {
        matches!(self, ConvKind::Tcp | ConvKind::Udp)
    }
}

impl FromStr for ConvKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ConvKind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| format!("unknown conversation type {s:?}: eth, ip, ipv6, tcp or udp"))
    }
}

/// An endpoint address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Addr {
    Mac([u8; 6]),
    Ip(IpAddr),
}

impl Addr {
    /// The address as its kind and one number: the tables' key, and an
    /// order (MAC, then IPv4, then IPv6, each by value) cheaper than the
    /// derived one, which compares byte by byte.
    fn rank(&self) -> (u8, u128) {
        match self {
            Addr::Mac(m) => (
                0,
                u128::from(u64::from_be_bytes([
                    0, 0, m[0], m[1], m[2], m[3], m[4], m[5],
                ])),
            ),
            Addr::Ip(IpAddr::V4(a)) => (1, u128::from(u32::from(*a))),
            Addr::Ip(IpAddr::V6(a)) => (2, u128::from(*a)),
        }
    }

    /// The address as `Display` prints it, written at the end of `out`
    /// (IPv4, by far the commonest, without the formatting machinery).
    pub fn write_to(&self, out: &mut String) {
        match self {
            Addr::Ip(IpAddr::V4(a)) => {
                let mut buf = itoa::Buffer::new();
                for (i, o) in a.octets().into_iter().enumerate() {
                    if i > 0 {
                        out.push('.');
                    }
                    out.push_str(buf.format(o));
                }
            }
            _ => {
                use std::fmt::Write;
                let _ = write!(out, "{self}");
            }
        }
    }
}

impl fmt::Display for Addr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Addr::Mac(m) => write!(
                f,
                "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
                m[0], m[1], m[2], m[3], m[4], m[5]
            ),
            Addr::Ip(ip) => ip.fmt(f),
        }
    }
}

impl Serialize for Addr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// One row of a conversation table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conversation {
    pub a: Addr,
    pub port_a: u16,
    pub b: Addr,
    pub port_b: u16,
    pub frames_ab: u64,
    pub bytes_ab: u64,
    pub frames_ba: u64,
    pub bytes_ba: u64,
    /// First and last frame, ns relative to the capture's first frame.
    pub start_ns: i64,
    pub end_ns: i64,
}

impl Conversation {
    pub fn frames(&self) -> u64 {
        self.frames_ab + self.frames_ba
    }
    pub fn bytes(&self) -> u64 {
        self.bytes_ab + self.bytes_ba
    }
    pub fn duration_ns(&self) -> i64 {
        self.end_ns - self.start_ns
    }
    /// Seconds from first to last frame, computed as tshark does (in
    /// doubles, so that rounding to 4 decimals agrees).
    pub fn duration(&self) -> f64 {
        crate::units::tshark_duration(self.start_ns, self.end_ns)
    }
}

/// One row of an endpoint table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint {
    pub addr: Addr,
    pub port: u16,
    pub tx_frames: u64,
    pub tx_bytes: u64,
    pub rx_frames: u64,
    pub rx_bytes: u64,
}

impl Endpoint {
    pub fn frames(&self) -> u64 {
        self.tx_frames + self.rx_frames
    }
    pub fn bytes(&self) -> u64 {
        self.tx_bytes + self.rx_bytes
    }
}

/// Both ends, the lower first, and the stream: for conversations without
/// a stream number (stream `u32::MAX`), and for the other port pairs of a
/// stream that holds several (Wireshark's TFTP conversations, whose server
/// port is any).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct ConvKey {
    lo: (u8, u128),
    hi: (u8, u128),
    lo_port: u16,
    hi_port: u16,
    stream: u32,
}

impl ConvKey {
    fn new(src: Addr, sport: u16, dst: Addr, dport: u16, stream: Option<u32>) -> ConvKey {
        let stream = stream.unwrap_or(u32::MAX);
        let (s, d) = (src.rank(), dst.rank());
        if (s, sport) <= (d, dport) {
            ConvKey {
                lo: s,
                hi: d,
                lo_port: sport,
                hi_port: dport,
                stream,
            }
        } else {
            ConvKey {
                lo: d,
                hi: s,
                lo_port: dport,
                hi_port: sport,
                stream,
            }
        }
    }
}

/// Conversations and endpoints of one kind, built frame by frame.
pub struct ConvTable {
    kind: ConvKind,
    max_rows: usize,
    conv_index: HashMap<ConvKey, u32, RandomState>,
    /// Row of each `tcp.stream` / `udp.stream` (u32::MAX: none yet).
    by_stream: Vec<u32>,
    convs: Vec<Conversation>,
    /// The endpoint rows of each conversation's ends A and B (`u32::MAX`:
    /// none, the endpoint table being full), so that a frame of a known
    /// conversation counts its endpoints without looking them up.
    conv_eps: Vec<[u32; 2]>,
    ep_index: HashMap<((u8, u128), u16), u32, RandomState>,
    endpoints: Vec<Endpoint>,
    /// Where each conversation and endpoint appeared first: frame number
    /// times 256 plus its place among the rows that frame made (orders
    /// merged tables).
    conv_first: Vec<u64>,
    ep_first: Vec<u64>,
    /// The frame being counted, and the rows it made so far.
    frame: u64,
    made: u64,
    /// Frames not counted because a table was full.
    overflow_frames: u64,
}

impl ConvTable {
    /// Default cap on rows (conversations, and endpoints, each).
    pub const DEFAULT_MAX_ROWS: usize = (1 << 22) / 8 * 7;

    pub fn new(kind: ConvKind, max_rows: usize) -> ConvTable {
        ConvTable {
            kind,
            max_rows: max_rows.max(1),
            conv_index: HashMap::default(),
            by_stream: Vec::new(),
            convs: Vec::new(),
            conv_eps: Vec::new(),
            ep_index: HashMap::default(),
            endpoints: Vec::new(),
            conv_first: Vec::new(),
            ep_first: Vec::new(),
            frame: 0,
            made: 0,
            overflow_frames: 0,
        }
    }

    /// The order key of the next row the current frame makes.
    fn appearance(&mut self) -> u64 {
        let k = self
            .frame
            .saturating_mul(256)
            .saturating_add(self.made.min(255));
        self.made += 1;
        k
    }

    /// Counts frame number `frame`: every header of the table's kind it
    /// carries. `rel_ns` is the frame's time relative to the capture's
    /// first frame.
    pub fn see(&mut self, frame: u64, pkt: &Packet<'_>, flows: &Flows, rel_ns: i64, len: u32) {
        self.frame = frame;
        self.made = 0;
        let layers = pkt.layers();
        match self.kind {
            ConvKind::Eth => {
                for l in layers.iter().filter(|l| l.proto == Proto::Ethernet) {
                    if let Some(e) = EthernetFrame::new_checked(pkt.bytes(l)) {
                        let (s, d) = (Addr::Mac(e.src().0), Addr::Mac(e.dst().0));
                        self.add(s, 0, d, 0, None, rel_ns, len);
                    }
                }
            }
            ConvKind::Ip | ConvKind::Ipv6 => {
                let want = if self.kind == ConvKind::Ip {
                    Proto::Ipv4
                } else {
                    Proto::Ipv6
                };
                for (i, l) in layers.iter().enumerate() {
                    if l.proto != want
                        || l.quoted
                        || nonfinal_fragment(pkt, i)
                        || extensions_broken(pkt, l)
                    {
                        continue;
                    }
                    if let Some((s, d)) = ip_pair(pkt.bytes(l), want) {
                        self.add(Addr::Ip(s), 0, Addr::Ip(d), 0, None, rel_ns, len);
                    }
                }
            }
            ConvKind::Tcp | ConvKind::Udp => {
                let want = if self.kind == ConvKind::Tcp {
                    Proto::Tcp
                } else {
                    Proto::Udp
                };
                for t in pkt.transports().filter(|t| t.proto == want && !t.quoted) {
                    if want == Proto::Tcp && header_cut(pkt, t.layer) {
                        continue;
                    }
                    let id = flows.at_layer(t.layer).map(|f| f.stream);
                    self.add(
                        Addr::Ip(t.src),
                        t.src_port,
                        Addr::Ip(t.dst),
                        t.dst_port,
                        id,
                        rel_ns,
                        len,
                    );
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        src: Addr,
        sport: u16,
        dst: Addr,
        dport: u16,
        stream: Option<u32>,
        rel: i64,
        len: u32,
    ) {
        let len = len as u64;
        // A stream number names the conversation by itself: a plain index,
        // no hashing.
        let stream_row = stream.and_then(|s| {
            self.by_stream
                .get(s as usize)
                .copied()
                .filter(|&i| i != u32::MAX)
        });
        // The stream's row, unless it is another port pair of the stream.
        let same_pair = |c: &Conversation| {
            (c.a == src && c.port_a == sport && c.b == dst && c.port_b == dport)
                || (c.a == dst && c.port_a == dport && c.b == src && c.port_b == sport)
        };
        let by_pair = match (stream, stream_row) {
            // The stream's first frame makes its row.
            (Some(_), None) => None,
            (Some(_), Some(i)) if same_pair(&self.convs[i as usize]) => None,
            _ => Some(ConvKey::new(src, sport, dst, dport, stream)),
        };
        let known = match by_pair {
            None => stream_row,
            Some(key) => self.conv_index.get(&key).copied(),
        };
        let idx = match known {
            Some(i) => Some(i as usize),
            None if self.convs.len() < self.max_rows => {
                let i = self.convs.len() as u32;
                match (by_pair, stream) {
                    (Some(key), _) => {
                        self.conv_index.insert(key, i);
                    }
                    // Without a key by pair the frame has a stream: this is
                    // the stream's first row.
                    (None, s) => {
                        if let Some(s) = s.map(|s| s as usize) {
                            if self.by_stream.len() <= s {
                                self.by_stream.resize(s + 1, u32::MAX);
                            }
                            self.by_stream[s] = i;
                        }
                    }
                }
                let first = self.appearance();
                self.conv_first.push(first);
                self.convs.push(Conversation {
                    a: src,
                    port_a: sport,
                    b: dst,
                    port_b: dport,
                    frames_ab: 0,
                    bytes_ab: 0,
                    frames_ba: 0,
                    bytes_ba: 0,
                    start_ns: rel,
                    end_ns: rel,
                });
                Some(i as usize)
            }
            None => None,
        };
        let ports = self.kind.has_ports();
        let (sport, dport) = if ports { (sport, dport) } else { (0, 0) };
        let Some(i) = idx else {
            self.overflow_frames += 1;
            let tx = self.endpoint(src, sport);
            let rx = self.endpoint(dst, dport);
            self.count_endpoints(tx, rx, len);
            return;
        };
        if i == self.conv_eps.len() {
            // A new row: its ends' endpoints, made in the order the frame
            // names them.
            let tx = self.endpoint(src, sport);
            let rx = self.endpoint(dst, dport);
            self.conv_eps.push([tx, rx]);
        }
        let c = &mut self.convs[i];
        let [ea, eb] = self.conv_eps[i];
        let (tx, rx) = if c.a == src && c.b == dst && c.port_a == sport && c.port_b == dport {
            c.frames_ab += 1;
            c.bytes_ab += len;
            (ea, eb)
        } else {
            c.frames_ba += 1;
            c.bytes_ba += len;
            (eb, ea)
        };
        c.start_ns = c.start_ns.min(rel);
        c.end_ns = c.end_ns.max(rel);
        self.count_endpoints(tx, rx, len);
    }

    /// Counts a frame sent by endpoint row `tx` to row `rx` (`u32::MAX`:
    /// not counted, the table being full).
    fn count_endpoints(&mut self, tx: u32, rx: u32, len: u64) {
        match self.endpoints.get_mut(tx as usize) {
            Some(e) => {
                e.tx_frames += 1;
                e.tx_bytes += len;
            }
            None => self.overflow_frames += 1,
        }
        match self.endpoints.get_mut(rx as usize) {
            Some(e) => {
                e.rx_frames += 1;
                e.rx_bytes += len;
            }
            None => self.overflow_frames += 1,
        }
    }

    /// The row of an endpoint, made if new; `u32::MAX` when the table is
    /// full.
    fn endpoint(&mut self, addr: Addr, port: u16) -> u32 {
        if let Some(&i) = self.ep_index.get(&(addr.rank(), port)) {
            return i;
        }
        if self.endpoints.len() >= self.max_rows {
            return u32::MAX;
        }
        let first = self.appearance();
        self.ep_first.push(first);
        let i = self.endpoints.len() as u32;
        self.endpoints.push(Endpoint {
            addr,
            port,
            tx_frames: 0,
            tx_bytes: 0,
            rx_frames: 0,
            rx_bytes: 0,
        });
        self.ep_index.insert((addr.rank(), port), i);
        i
    }

    /// Adds the rows of a table of the same kind counted over other frames
    /// of the same capture, whose conversations with ports (told apart by
    /// stream numbers of their own) are not this table's; rows stay in
    /// order of appearance. Only for tables that have seen all their
    /// frames.
    pub fn merge(&mut self, other: ConvTable) {
        let ports = self.kind.has_ports();
        for (c, first) in other.convs.into_iter().zip(other.conv_first) {
            let key = ConvKey::new(c.a, c.port_a, c.b, c.port_b, None);
            let known = if ports {
                None
            } else {
                self.conv_index.get(&key).copied()
            };
            match known {
                Some(i) => {
                    let (mine, my_first) = (
                        &mut self.convs[i as usize],
                        &mut self.conv_first[i as usize],
                    );
                    // The earlier first frame says which end is A.
                    let (mut early, mut late) = if first < *my_first {
                        (c, *mine)
                    } else {
                        (*mine, c)
                    };
                    if late.a != early.a || late.port_a != early.port_a {
                        std::mem::swap(&mut late.frames_ab, &mut late.frames_ba);
                        std::mem::swap(&mut late.bytes_ab, &mut late.bytes_ba);
                    }
                    early.frames_ab += late.frames_ab;
                    early.bytes_ab += late.bytes_ab;
                    early.frames_ba += late.frames_ba;
                    early.bytes_ba += late.bytes_ba;
                    early.start_ns = early.start_ns.min(late.start_ns);
                    early.end_ns = early.end_ns.max(late.end_ns);
                    *mine = early;
                    *my_first = (*my_first).min(first);
                }
                None if self.convs.len() < self.max_rows => {
                    if !ports {
                        self.conv_index.insert(key, self.convs.len() as u32);
                    }
                    self.convs.push(c);
                    self.conv_first.push(first);
                }
                None => self.overflow_frames += c.frames(),
            }
        }
        for (e, first) in other.endpoints.into_iter().zip(other.ep_first) {
            match self.ep_index.get(&(e.addr.rank(), e.port)) {
                Some(&i) => {
                    let mine = &mut self.endpoints[i as usize];
                    mine.tx_frames += e.tx_frames;
                    mine.tx_bytes += e.tx_bytes;
                    mine.rx_frames += e.rx_frames;
                    mine.rx_bytes += e.rx_bytes;
                    let f = &mut self.ep_first[i as usize];
                    *f = (*f).min(first);
                }
                None if self.endpoints.len() < self.max_rows => {
                    self.ep_index
                        .insert((e.addr.rank(), e.port), self.endpoints.len() as u32);
                    self.endpoints.push(e);
                    self.ep_first.push(first);
                }
                None => self.overflow_frames += e.frames(),
            }
        }
        self.overflow_frames += other.overflow_frames;
        // Back in order of appearance; the indexes follow.
        by_appearance(&mut self.convs, &mut self.conv_first);
        by_appearance(&mut self.endpoints, &mut self.ep_first);
        self.by_stream.clear();
        self.conv_index.clear();
        if !ports {
            for (i, c) in self.convs.iter().enumerate() {
                self.conv_index
                    .insert(ConvKey::new(c.a, c.port_a, c.b, c.port_b, None), i as u32);
            }
        }
        self.ep_index.clear();
        for (i, e) in self.endpoints.iter().enumerate() {
            self.ep_index.insert((e.addr.rank(), e.port), i as u32);
        }
        let row = |addr: Addr, port| {
            self.ep_index
                .get(&(addr.rank(), port))
                .copied()
                .unwrap_or(u32::MAX)
        };
        self.conv_eps = self
            .convs
            .iter()
            .map(|c| [row(c.a, c.port_a), row(c.b, c.port_b)])
            .collect();
    }

    /// Conversations in order of appearance.
    pub fn conversations(&self) -> &[Conversation] {
        &self.convs
    }

    /// Endpoints in order of appearance.
    pub fn endpoints(&self) -> &[Endpoint] {
        &self.endpoints
    }

    /// Frame headers not counted because the table reached its cap.
    pub fn overflow(&self) -> u64 {
        self.overflow_frames
    }
}

/// Sorts `rows` by where each appeared first (`first`, sorted with them).
fn by_appearance<T: Copy>(rows: &mut Vec<T>, first: &mut Vec<u64>) {
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by_key(|&i| first[i]);
    *rows = order.iter().map(|&i| rows[i]).collect();
    *first = order.iter().map(|&i| first[i]).collect();
}

/// A TCP header (options included) cut short by the snapshot length:
/// Wireshark stops dissecting it with an exception before its tap runs.
fn header_cut(pkt: &Packet<'_>, layer: usize) -> bool {
    pkt.layers().get(layer).is_none_or(|l| {
        let b = pkt.bytes(l);
        b.len() < 20 || b.len() < ((b[12] >> 4) as usize) * 4
    })
}

/// An IPv6 header whose extension headers run past their end: Wireshark
/// stops at them with an exception before the IPv6 tap runs.
fn extensions_broken(pkt: &Packet<'_>, l: &wirehunt_dissect::Layer) -> bool {
    l.proto == Proto::Ipv6
        && pkt
            .anomalies()
            .iter()
            .any(|a| a.proto == Proto::Ipv6 && a.offset > l.start && a.offset < l.end)
}

/// An IPv6 header followed by a fragment header with more fragments to
/// come: Wireshark counts the datagram once, on the frame that completes
/// it.
fn nonfinal_fragment(pkt: &Packet<'_>, i: usize) -> bool {
    pkt.layers().get(i + 1).is_some_and(|f| {
        f.proto == Proto::Ipv6Fragment && pkt.bytes(f).get(3).is_some_and(|b| b & 1 == 1)
    })
}

fn ip_pair(b: &[u8], proto: Proto) -> Option<(IpAddr, IpAddr)> {
    match proto {
        Proto::Ipv4 => wirehunt_dissect::Ipv4Packet::new_checked(b)
            .map(|ip| (IpAddr::from(ip.src()), IpAddr::from(ip.dst()))),
        _ => wirehunt_dissect::Ipv6Packet::new_checked(b)
            .map(|ip| (IpAddr::from(ip.src()), IpAddr::from(ip.dst()))),
    }
}

/// How rows are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortBy {
    /// Total frames, most first (tshark's order).
    #[default]
    Frames,
    Bytes,
    /// Earliest first.
    Start,
    Duration,
    /// Address, then port.
    Address,
}

impl FromStr for SortBy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "frames" | "packets" => SortBy::Frames,
            "bytes" => SortBy::Bytes,
            "start" => SortBy::Start,
            "duration" => SortBy::Duration,
            "address" => SortBy::Address,
            _ => {
                return Err(format!(
                    "unknown sort key {s:?}: frames, bytes, start, duration or address"
                ));
            }
        })
    }
}

/// Conversations ordered by `by` (stable: ties keep their order of
/// appearance), at most `top` of them.
pub fn sorted_conversations(
    rows: &[Conversation],
    by: SortBy,
    top: Option<usize>,
) -> Vec<Conversation> {
    let mut v = rows.to_vec();
    match by {
        SortBy::Frames => v.sort_by_key(|c| std::cmp::Reverse(c.frames())),
        SortBy::Bytes => v.sort_by_key(|c| std::cmp::Reverse(c.bytes())),
        SortBy::Start => v.sort_by_key(|c| c.start_ns),
        SortBy::Duration => v.sort_by_key(|c| std::cmp::Reverse(c.duration_ns())),
        SortBy::Address => v.sort_by_key(|c| (c.a.rank(), c.port_a, c.b.rank(), c.port_b)),
    }
    v.truncate(top.unwrap_or(usize::MAX));
    v
}

/// Endpoints ordered by `by` (`Start` and `Duration` fall back to frames).
pub fn sorted_endpoints(rows: &[Endpoint], by: SortBy, top: Option<usize>) -> Vec<Endpoint> {
    let mut v = rows.to_vec();
    match by {
        SortBy::Bytes => v.sort_by_key(|e| std::cmp::Reverse(e.bytes())),
        SortBy::Address => v.sort_by_key(|e| (e.addr.rank(), e.port)),
        _ => v.sort_by_key(|e| std::cmp::Reverse(e.frames())),
    }
    v.truncate(top.unwrap_or(usize::MAX));
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_write_as_they_display() {
        let addrs = [
            Addr::Mac([0x02, 0x42, 0xc6, 0x33, 0x64, 0x0a]),
            Addr::Ip("0.0.0.0".parse().unwrap()),
            Addr::Ip("198.51.100.255".parse().unwrap()),
            Addr::Ip("2001:db8::1".parse().unwrap()),
        ];
        for a in addrs {
            let mut s = String::from("x");
            a.write_to(&mut s);
            assert_eq!(s, format!("x{a}"));
        }
    }
}
