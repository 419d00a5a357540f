//! The conversation table.
//!
//! [`ConversationTable::track`] sees every dissected packet in capture order
//! and returns its [`FlowInfo`]: the `tcp.stream` / `udp.stream` index,
//! assigned in first-seen order exactly as Wireshark assigns them, and for
//! TCP the relative sequence and acknowledgment numbers Wireshark shows.
//!
//! Wireshark's rules, reproduced here:
//! - a conversation is keyed by both addresses and both ports, either way;
//! - a SYN (without ACK) whose sequence number differs from the base
//!   sequence number already recorded for that direction starts a new
//!   conversation on the same tuple ("TCP port numbers reused");
//! - a direction's base is its SYN's sequence number, or one less than the
//!   first sequence number seen when the SYN was missed; the reverse
//!   direction's base is taken from the first acknowledgment number;
//! - two of Wireshark's UDP dissectors set up conversations of their own,
//!   which change `udp.stream`: a TFTP request (to port 69) opens a
//!   conversation from the client's address and port to the server's
//!   address and *any* port, which datagrams without a conversation of
//!   their own then join (the server answers from a new port); an SNMP
//!   request (to port 161) opens a new conversation on its own tuple, so
//!   the datagrams after it get a new stream number (once per tuple).
//!   Conversations of both addresses and ports always win over the TFTP
//!   one, and a stream number is given at a conversation's first packet.
//!
//! The table is bounded: when it holds [`FlowConfig::max_conversations`],
//! it first drops conversations idle longer than their timeout, then the
//! least recently seen, down to a third of the limit. Evictions are counted in
//! [`ConversationTable::evicted`]; a conversation that returns after
//! eviction gets a new stream number (where Wireshark, with unbounded
//! memory, would reuse the old one). Hash tables are keyed by attacker
//! data, so they use a randomly seeded hasher.

pub mod analysis;
pub mod arp;

use std::hash::BuildHasher;
use std::net::IpAddr;

use foldhash::fast::RandomState;
use hashbrown::HashMap;
use wirehunt_dissect::sdp;
use wirehunt_dissect::tcp::flags;
use wirehunt_dissect::{Packet, Proto, Transport};

/// Limits of the table.
#[derive(Debug, Clone, Copy)]
pub struct FlowConfig {
    /// Most conversations held at once (TCP and UDP together).
    pub max_conversations: usize,
    /// A TCP conversation idle this long (capture time) may be evicted.
    pub tcp_idle_ns: i64,
    /// A UDP conversation idle this long may be evicted.
    pub udp_idle_ns: i64,
    /// Follow TCP conversations.
    pub tcp: bool,
    /// Which UDP conversations to follow.
    pub udp: UdpTracking,
}

/// Which UDP conversations the table follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UdpTracking {
    /// Every one (`udp.stream`).
    All,
    /// Only what decides whether a tunnel carried over UDP (VXLAN, Teredo)
    /// is dissected: Wireshark hands a datagram that joined a TFTP
    /// conversation to TFTP. Whether one joins depends only on its own
    /// port pair's history and on TFTP requests, so the datagrams of port
    /// pairs with a tunnel port or the TFTP port are followed, and no
    /// others; stream numbers are then not Wireshark's.
    Tunnels,
}

impl Default for FlowConfig {
    fn default() -> Self {
        FlowConfig {
            // 7/8 of a power of two: the hash table never doubles past it.
            max_conversations: (1 << 21) / 8 * 7,
            tcp_idle_ns: 300 * 1_000_000_000,
            udp_idle_ns: 60 * 1_000_000_000,
            tcp: true,
            udp: UdpTracking::All,
        }
    }
}

/// What the table says about one transport layer of a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowInfo {
    pub proto: Proto,
    /// Index of the TCP/UDP layer in the packet's layers.
    pub layer: u8,
    /// The layer is quoted by an ICMP error: no sequence analysis.
    pub quoted: bool,
    /// `tcp.stream` or `udp.stream`.
    pub stream: u32,
    /// True when the packet goes from the conversation's first sender.
    pub from_initiator: bool,
    /// `tcp.seq` (relative).
    pub rel_seq: u32,
    /// `tcp.ack` (relative when the ACK flag is set, else the raw value).
    pub rel_ack: u32,
    /// This SYN started a new conversation on a tuple already seen.
    pub ports_reused: bool,
    /// The window as Wireshark shows it in the Info column: scaled when
    /// both SYNs carried the window-scale option.
    pub window: u32,
    /// Base sequence number of the reverse direction (SACK edges are
    /// shown relative to it).
    pub rev_base_seq: u32,
    /// The segment carries data this direction already sent (nothing
    /// beyond the highest sequence number seen): Wireshark does not hand a
    /// retransmission to the application dissectors again.
    pub retransmission: bool,
    /// Window scale of the reverse direction: -1 unknown, -2 not used,
    /// else the shift.
    pub rev_win_scale: i8,
    /// The datagram joined a TFTP conversation: Wireshark hands it to the
    /// TFTP dissector, whatever its ports say.
    pub tftp: bool,
}

/// The conversations of one packet's transport layers, outermost first.
#[derive(Debug, Clone, Copy, Default)]
pub struct Flows {
    items: [FlowInfo; 4],
    len: usize,
}

impl Default for FlowInfo {
    fn default() -> Self {
        FlowInfo {
            proto: Proto::Udp,
            layer: 0,
            quoted: false,
            stream: 0,
            from_initiator: false,
            rel_seq: 0,
            rel_ack: 0,
            ports_reused: false,
            window: 0,
            rev_base_seq: 0,
            retransmission: false,
            rev_win_scale: -1,
            tftp: false,
        }
    }
}

impl Flows {
    /// All conversations, outermost layer first.
    pub fn all(&self) -> &[FlowInfo] {
        &self.items[..self.len]
    }

    /// The conversation of the innermost unquoted TCP or UDP layer.
    pub fn main(&self) -> Option<FlowInfo> {
        self.all().iter().rev().find(|f| !f.quoted).copied()
    }

    /// The conversation of the layer at `index`.
    pub fn at_layer(&self, index: usize) -> Option<FlowInfo> {
        self.all()
            .iter()
            .find(|f| f.layer as usize == index)
            .copied()
    }
}

/// Canonical (sorted) conversation key: the lower (address, port) first.
/// IPv4 conversations get 4-byte addresses, so that their table entries
/// (48 bytes instead of 72) make the table smaller and faster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key<const N: usize> {
    lo: [u8; N],
    hi: [u8; N],
    lo_port: u16,
    hi_port: u16,
    proto: u8,
}

impl<const N: usize> Key<N> {
    /// The key, and whether the source is its lower end.
    fn new(src: [u8; N], sport: u16, dst: [u8; N], dport: u16, proto: u8) -> (Key<N>, bool) {
        if (src, sport) <= (dst, dport) {
            (
                Key {
                    lo: src,
                    hi: dst,
                    lo_port: sport,
                    hi_port: dport,
                    proto,
                },
                true,
            )
        } else {
            (
                Key {
                    lo: dst,
                    hi: src,
                    lo_port: dport,
                    hi_port: sport,
                    proto,
                },
                false,
            )
        }
    }
}

/// The conversations of one address family: the entries, densely in
/// arrival order, and an open-addressing index over them (linear probing,
/// at most half full) whose slots hold a 32-bit hash tag and the entry's
/// position. A lookup reads one index slot, and an entry only when the tag
/// matches: a new conversation (a SYN flood is nothing else) touches one
/// cache line of the index and appends, and [`Shard::prefetch`] can ask
/// for that line before the packet is looked up.
struct Shard<const N: usize> {
    entries: Vec<(Key<N>, Conversation)>,
    /// 0: empty; else `tag << 32 | (position + 1)`.
    index: Vec<u64>,
    hasher: RandomState,
}

/// Smallest index (slots).
const MIN_INDEX: usize = 1 << 10;
/// Index size (slots, 4 MiB) from which the table asks for the next
/// packet's line ahead ([`ConversationTable::prefetch`]).
const PREFETCH_MIN_SLOTS: usize = 1 << 19;

impl<const N: usize> Shard<N> {
    fn new() -> Shard<N> {
        // Grown as conversations arrive: a table sized for the limit from
        // the start spreads even a few thousand conversations over all its
        // pages, and every lookup misses the cache.
        Shard {
            entries: Vec::new(),
            index: vec![0; MIN_INDEX],
            hasher: RandomState::default(),
        }
    }

    fn len(&self) -> usize {
        self.entries.len()
    }

    fn hash(&self, key: &Key<N>) -> u64 {
        self.hasher.hash_one(key)
    }

    /// The index slot of `key` (its entry's, or the empty one where it
    /// would go) and its tag.
    #[inline(always)]
    fn find(&self, key: &Key<N>) -> (usize, u64, Option<usize>) {
        let h = self.hash(key);
        let tag = h >> 32;
        let mask = self.index.len() - 1;
        let mut pos = h as usize & mask;
        loop {
            let slot = self.index[pos];
            if slot == 0 {
                return (pos, tag, None);
            }
            let at = (slot as u32 - 1) as usize;
            if slot >> 32 == tag && self.entries[at].0 == *key {
                return (pos, tag, Some(at));
            }
            pos = (pos + 1) & mask;
        }
    }

    fn contains_key(&self, key: &Key<N>) -> bool {
        self.find(key).2.is_some()
    }

    /// Asks the CPU for the index line of `key`: a hint, no effect on
    /// what the table computes.
    fn prefetch(&self, key: &Key<N>) {
        let pos = self.hash(key) as usize & (self.index.len() - 1);
        wirehunt_capture::prefetch(&self.index[pos..=pos]);
    }

    /// Rebuilds the index for the entries, with room for twice as many.
    fn reindex(&mut self) {
        let want = (self.entries.len() * 2).next_power_of_two().max(MIN_INDEX);
        if self.index.len() < want {
            self.index = vec![0; want];
        } else {
            self.index.fill(0);
        }
        let mask = self.index.len() - 1;
        for (i, (k, _)) in self.entries.iter().enumerate() {
            let h = self.hasher.hash_one(k);
            let mut pos = h as usize & mask;
            while self.index[pos] != 0 {
                pos = (pos + 1) & mask;
            }
            self.index[pos] = (h >> 32) << 32 | (i as u64 + 1);
        }
    }

    /// Makes room for a new conversation: idle conversations first, then
    /// the least recently seen, down to a third of the limit. Returns how
    /// many were dropped.
    fn evict(&mut self, cfg: &FlowConfig, now_ns: i64) -> u64 {
        let before = self.entries.len();
        let tcp = Proto::Tcp as u8;
        let idle = |k: &Key<N>, c: &Conversation| {
            let limit = if k.proto == tcp {
                cfg.tcp_idle_ns
            } else {
                cfg.udp_idle_ns
            };
            now_ns.saturating_sub(c.last_seen_ns) >= limit
        };
        let mut ages: Vec<i64> = self
            .entries
            .iter()
            .filter(|(k, c)| !idle(k, c))
            .map(|(_, c)| c.last_seen_ns)
            .collect();
        let target = cfg.max_conversations / 3;
        let mut to_drop = ages.len().saturating_sub(target);
        let threshold = if to_drop > 0 {
            *ages.select_nth_unstable(to_drop - 1).1
        } else {
            i64::MIN
        };
        drop(ages);
        self.entries.retain(|(k, c)| {
            if idle(k, c) {
                return false;
            }
            if to_drop > 0 && c.last_seen_ns <= threshold {
                to_drop -= 1;
                return false;
            }
            true
        });
        self.reindex();
        (before - self.entries.len()) as u64
    }

    /// The conversation of `key`, made (with the next stream number) if new.
    #[inline(always)]
    fn get(
        &mut self,
        cfg: &FlowConfig,
        key: Key<N>,
        ts_ns: i64,
        src_is_lo: bool,
        next: &mut u32,
        evicted: &mut u64,
    ) -> &mut Conversation {
        let (mut pos, tag, found) = self.find(&key);
        if let Some(at) = found {
            return &mut self.entries[at].1;
        }
        // A new conversation: room first, if the table is full.
        if self.entries.len() >= cfg.max_conversations {
            *evicted += self.evict(cfg, ts_ns);
            pos = self.find(&key).0;
        }
        if (self.entries.len() + 1) * 2 > self.index.len() {
            self.reindex();
            pos = self.find(&key).0;
        }
        let at = self.entries.len();
        self.index[pos] = tag << 32 | (at as u64 + 1);
        self.entries
            .push((key, Conversation::new(*next, ts_ns, src_is_lo)));
        *next += 1;
        &mut self.entries[at].1
    }
}

/// The stream of `key` in a map of conversations numbered at first use
/// (TFTP's, SDP's media): its own, given now from `next` if it has none
/// yet; `None` when the map does not hold `key`.
fn numbered_at_first_use<K: std::hash::Hash + Eq>(
    map: &mut HashMap<K, Option<u32>, RandomState>,
    key: &K,
    next: &mut u32,
) -> Option<u32> {
    let slot = map.get_mut(key)?;
    Some(*slot.get_or_insert_with(|| {
        *next += 1;
        *next - 1
    }))
}

/// Sequence state of one direction.
#[derive(Debug, Clone, Copy, Default)]
struct Direction {
    base_seq: u32,
    /// End of the highest sequence number sent so far.
    max_end: u32,
}

/// Bits of [`Conversation::bits`].
const BASE_SET: [u8; 2] = [1, 2];
const END_SET: [u8; 2] = [4, 8];
const LO_INITIATED: u8 = 16;
/// A UDP conversation opened by Wireshark's SNMP dissector.
const SNMP_OPENED: u8 = 32;
/// An SNMP request was seen: the next packet opens the SNMP conversation.
const SNMP_PENDING: u8 = 64;

/// UDP port of TFTP requests and of SNMP requests.
const TFTP_PORT: u16 = 69;
const SNMP_PORT: u16 = 161;

/// A TFTP conversation: client address and port, server address (any
/// server port).
type WildKey = ([u8; 16], u16, [u8; 16]);

/// What Wireshark's SNMP dissector accepts before it opens a conversation:
/// a BER SEQUENCE no longer than the datagram, starting with an INTEGER.
fn looks_like_snmp(b: &[u8]) -> bool {
    if b.first() != Some(&0x30) {
        return false;
    }
    let (len, at) = match b.get(1) {
        Some(&n) if n < 0x80 => (n as usize, 2),
        Some(&n) if (0x81..=0x84).contains(&n) => {
            let k = (n & 0x7f) as usize;
            let Some(bytes) = b.get(2..2 + k) else {
                return false;
            };
            (
                bytes.iter().fold(0usize, |v, &x| (v << 8) | x as usize),
                2 + k,
            )
        }
        _ => return false,
    };
    len <= b.len() - at && b.get(at) == Some(&0x02)
}

/// One conversation: 32 bytes, so that an IPv4 table entry is 48.
#[derive(Debug, Clone, Copy)]
struct Conversation {
    last_seen_ns: i64,
    stream: u32,
    /// Index 0: packets sent by `lo`; 1: by `hi`.
    dir: [Direction; 2],
    /// Window scale shift per direction: -1 unknown, -2 not used, else the shift.
    win_scale: [i8; 2],
    /// `BASE_SET`, `END_SET` per direction, and `LO_INITIATED` (the `lo`
    /// side sent the first packet).
    bits: u8,
}

impl Conversation {
    fn new(stream: u32, ts_ns: i64, lo_initiated: bool) -> Conversation {
        Conversation {
            last_seen_ns: ts_ns,
            stream,
            dir: [Direction::default(); 2],
            win_scale: [-1; 2],
            bits: if lo_initiated { LO_INITIATED } else { 0 },
        }
    }
    fn has(&self, bit: u8) -> bool {
        self.bits & bit != 0
    }
    fn set(&mut self, bit: u8) {
        self.bits |= bit;
    }
    fn lo_initiated(&self) -> bool {
        self.has(LO_INITIATED)
    }
}

fn addr_bytes(a: IpAddr) -> [u8; 16] {
    match a {
        IpAddr::V4(v4) => v4.to_ipv6_mapped().octets(),
        IpAddr::V6(v6) => v6.octets(),
    }
}

/// Tracks conversations and numbers streams.
pub struct ConversationTable {
    cfg: FlowConfig,
    v4: Shard<4>,
    v6: Shard<16>,
    next_tcp: u32,
    next_udp: u32,
    evicted: u64,
    /// TFTP conversations and their stream (given at first use).
    tftp: HashMap<WildKey, Option<u32>, RandomState>,
    /// RTP and RTCP endpoints SDP announced, and their stream (given at
    /// first use): any datagram to or from one is its conversation's.
    media: HashMap<([u8; 16], u16), Option<u32>, RandomState>,
}

impl ConversationTable {
    pub fn new(cfg: FlowConfig) -> ConversationTable {
        ConversationTable {
            cfg,
            v4: Shard::new(),
            v6: Shard::new(),
            next_tcp: 0,
            next_udp: 0,
            evicted: 0,
            tftp: HashMap::default(),
            media: HashMap::default(),
        }
    }

    /// Whether SIP's SDP announced media: their conversations are keyed by
    /// one endpoint, whatever the other end.
    pub fn announced_media(&self) -> bool {
        !self.media.is_empty()
    }

    /// Conversations evicted so far because the table was full.
    pub fn evicted(&self) -> u64 {
        self.evicted
    }

    /// Conversations held now.
    pub fn len(&self) -> usize {
        self.v4.len() + self.v6.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// TCP streams numbered so far.
    pub fn tcp_streams(&self) -> u32 {
        self.next_tcp
    }

    /// UDP streams numbered so far.
    pub fn udp_streams(&self) -> u32 {
        self.next_udp
    }

    /// Asks the CPU for the index line the next packet's conversation will
    /// be looked up in, from the first bytes of that packet (Ethernet,
    /// optionally one VLAN tag, or raw IP; IPv4 or IPv6 without extension
    /// headers; TCP or UDP). A hint: what the table computes is the same
    /// without it, only the wait for memory overlaps the current packet.
    pub fn prefetch(&self, next: &[u8], link_type: wirehunt_dissect::LinkType) {
        // A table that fits in the CPU's caches gains nothing from it.
        if !(self.cfg.tcp || self.cfg.udp == UdpTracking::All)
            || self.v4.index.len().max(self.v6.index.len()) < PREFETCH_MIN_SLOTS
        {
            return;
        }
        let be16 = |i: usize| next.get(i..i + 2).map(|b| u16::from_be_bytes([b[0], b[1]]));
        let ip_at = match link_type.0 {
            1 => match be16(12) {
                Some(0x8100) if matches!(be16(16), Some(0x0800 | 0x86dd)) => 18,
                Some(0x0800 | 0x86dd) => 14,
                _ => return,
            },
            12 | 14 | 101 | 228 | 229 => 0,
            _ => return,
        };
        let Some(&v) = next.get(ip_at) else {
            return;
        };
        let (proto, l4) = match v >> 4 {
            4 => (next.get(ip_at + 9), ip_at + usize::from(v & 0x0f) * 4),
            6 => (next.get(ip_at + 6), ip_at + 40),
            _ => return,
        };
        // The key holds the protocol as the dissector names it.
        let proto = match proto {
            Some(6) => Proto::Tcp as u8,
            Some(17) => Proto::Udp as u8,
            _ => return,
        };
        let (Some(sport), Some(dport)) = (be16(l4), be16(l4 + 2)) else {
            return;
        };
        fn addr<const N: usize>(b: &[u8], at: usize) -> Option<[u8; N]> {
            b.get(at..at + N)?.try_into().ok()
        }
        if v >> 4 == 4 {
            if let (Some(s), Some(d)) = (addr(next, ip_at + 12), addr(next, ip_at + 16)) {
                self.v4
                    .prefetch(&Key::<4>::new(s, sport, d, dport, proto).0);
            }
        } else if let (Some(s), Some(d)) = (addr(next, ip_at + 8), addr(next, ip_at + 24)) {
            self.v6
                .prefetch(&Key::<16>::new(s, sport, d, dport, proto).0);
        }
    }

    /// Sees one packet: every TCP and UDP layer in it (tunnelled and
    /// ICMP-quoted ones too, as Wireshark) joins its conversation.
    pub fn track(&mut self, pkt: &Packet<'_>, ts_ns: i64) -> Flows {
        let mut flows = Flows::default();
        // Only tunnel and TFTP datagrams followed: most packets have none.
        if !self.cfg.tcp
            && self.cfg.udp == UdpTracking::Tunnels
            && !pkt.layers().iter().any(|l| {
                let b = pkt.bytes(l);
                l.proto == Proto::Udp
                    && b.len() >= 4
                    && Self::tunnel_or_tftp(
                        u16::from_be_bytes([b[0], b[1]]),
                        u16::from_be_bytes([b[2], b[3]]),
                    )
            })
        {
            return flows;
        }
        for t in pkt.transports() {
            if flows.len == flows.items.len() {
                break;
            }
            let followed = match t.proto {
                Proto::Tcp => self.cfg.tcp,
                _ => {
                    self.cfg.udp == UdpTracking::All || Self::tunnel_or_tftp(t.src_port, t.dst_port)
                }
            };
            if !followed {
                continue;
            }
            let l = &pkt.layers()[t.layer];
            // A quoted segment without its full header gets no conversation
            // in Wireshark (no tcp.stream).
            if t.quoted
                && t.proto == Proto::Tcp
                && pkt.bytes(l).len() < wirehunt_dissect::TcpSegment::MIN_LEN
            {
                continue;
            }
            flows.items[flows.len] = if t.proto == Proto::Udp {
                let payload = pkt.bytes(l).get(8..).unwrap_or(&[]);
                self.track_udp(&t, payload, ts_ns)
            } else {
                let seg = (!t.quoted)
                    .then(|| wirehunt_dissect::TcpSegment::new_checked(pkt.bytes(l)))
                    .flatten();
                let payload_len = seg.map_or(0, |seg| {
                    l.declared_len().saturating_sub(seg.header_len() as u32)
                });
                self.track_tcp(&t, seg, payload_len, ts_ns)
            };
            flows.len += 1;
        }
        flows
    }

    /// Whether a UDP port pair is followed in [`UdpTracking::Tunnels`].
    fn tunnel_or_tftp(sport: u16, dport: u16) -> bool {
        [sport, dport]
            .iter()
            .any(|p| *p == TFTP_PORT || wirehunt_dissect::UDP_TUNNEL_PORTS.contains(p))
    }

    /// Whether `t`'s own tuple already has a conversation.
    fn has_own(&self, t: &Transport) -> bool {
        let proto = t.proto as u8;
        match (t.src, t.dst) {
            (IpAddr::V4(s), IpAddr::V4(d)) => self
                .v4
                .contains_key(&Key::new(s.octets(), t.src_port, d.octets(), t.dst_port, proto).0),
            (s, d) => self.v6.contains_key(
                &Key::new(addr_bytes(s), t.src_port, addr_bytes(d), t.dst_port, proto).0,
            ),
        }
    }

    /// The conversation of `t`'s own tuple (made, with the next stream
    /// number, if new), whether the source is the key's lower end, and the
    /// stream counter of its protocol.
    #[inline(always)]
    fn exact(&mut self, t: &Transport, ts_ns: i64) -> (&mut Conversation, bool, &mut u32) {
        let proto = t.proto as u8;
        let next = if t.proto == Proto::Tcp {
            &mut self.next_tcp
        } else {
            &mut self.next_udp
        };
        match (t.src, t.dst) {
            (IpAddr::V4(s), IpAddr::V4(d)) => {
                let (key, lo) = Key::new(s.octets(), t.src_port, d.octets(), t.dst_port, proto);
                let c = self
                    .v4
                    .get(&self.cfg, key, ts_ns, lo, next, &mut self.evicted);
                (c, lo, next)
            }
            (s, d) => {
                let (key, lo) =
                    Key::new(addr_bytes(s), t.src_port, addr_bytes(d), t.dst_port, proto);
                let c = self
                    .v6
                    .get(&self.cfg, key, ts_ns, lo, next, &mut self.evicted);
                (c, lo, next)
            }
        }
    }

    /// A UDP datagram: its own conversation, else a TFTP one it belongs
    /// to, else a new one; then the SNMP and TFTP dissectors' effects.
    fn track_udp(&mut self, t: &Transport, payload: &[u8], ts_ns: i64) -> FlowInfo {
        // Keys of TFTP conversations, made only where one is looked up.
        let ends = || (addr_bytes(t.src), addr_bytes(t.dst));
        let info = |stream, from_initiator| FlowInfo {
            proto: Proto::Udp,
            layer: t.layer as u8,
            quoted: t.quoted,
            stream,
            from_initiator,
            ..FlowInfo::default()
        };
        // Only once a TFTP request was seen: does the tuple have its own?
        if !self.tftp.is_empty() && !self.has_own(t) {
            let (s16, d16) = ends();
            let fwd = (s16, t.src_port, d16);
            let rev = (d16, t.dst_port, s16);
            let hit = [(fwd, true), (rev, false)]
                .into_iter()
                .find_map(|(k, from_client)| {
                    numbered_at_first_use(&mut self.tftp, &k, &mut self.next_udp)
                        .map(|s| (s, from_client))
                });
            if let Some((stream, from_client)) = hit {
                return FlowInfo {
                    tftp: true,
                    ..info(stream, from_client)
                };
            }
        }
        // Once SDP announced media: a datagram without a conversation of its
        // own joins the one of its source, else its destination, endpoint.
        if !self.media.is_empty() && !self.has_own(t) {
            let (s16, d16) = ends();
            let hit = [((s16, t.src_port), true), ((d16, t.dst_port), false)]
                .into_iter()
                .find_map(|(k, from_endpoint)| {
                    numbered_at_first_use(&mut self.media, &k, &mut self.next_udp)
                        .map(|s| (s, from_endpoint))
                });
            if let Some((stream, from_endpoint)) = hit {
                return info(stream, from_endpoint);
            }
        }
        let (conv, src_is_lo, next) = self.exact(t, ts_ns);
        if conv.has(SNMP_PENDING) {
            let lo_initiated = conv.bits & LO_INITIATED;
            *conv = Conversation::new(*next, ts_ns, false);
            conv.bits = lo_initiated | SNMP_OPENED;
            *next += 1;
        }
        conv.last_seen_ns = ts_ns;
        if t.dst_port == SNMP_PORT
            && conv.bits & (SNMP_OPENED | SNMP_PENDING) == 0
            && looks_like_snmp(payload)
        {
            conv.set(SNMP_PENDING);
        }
        let out = info(conv.stream, conv.lo_initiated() == src_is_lo);
        // SIP's SDP sets up the RTP and RTCP conversations it announces.
        if !t.quoted
            && (t.src_port == sdp::SIP_PORT || t.dst_port == sdp::SIP_PORT)
            && !payload.is_empty()
        {
            for (addr, port) in sdp::sip_media(payload) {
                if self.media.len() >= self.cfg.max_conversations {
                    self.media.clear();
                }
                self.media.entry((addr_bytes(addr), port)).or_insert(None);
            }
        }
        // Dissectors see datagrams that carry something.
        if t.dst_port == TFTP_PORT && !payload.is_empty() {
            let (s16, d16) = ends();
            if !self.tftp.contains_key(&(s16, t.src_port, d16)) {
                if self.tftp.len() >= self.cfg.max_conversations {
                    self.tftp.clear();
                }
                self.tftp.insert((s16, t.src_port, d16), None);
            }
        }
        out
    }

    /// A TCP segment (`tcp` is `None` for a quoted one: no sequence
    /// analysis).
    fn track_tcp(
        &mut self,
        t: &Transport,
        tcp: Option<wirehunt_dissect::TcpSegment<'_>>,
        payload_len: u32,
        ts_ns: i64,
    ) -> FlowInfo {
        let mut ports_reused = false;
        let (conv, src_is_lo, next) = self.exact(t, ts_ns);
        let fwd = if src_is_lo { 0 } else { 1 };
        conv.last_seen_ns = ts_ns;
        let Some(seg) = tcp else {
            return FlowInfo {
                proto: t.proto,
                layer: t.layer as u8,
                quoted: t.quoted,
                stream: conv.stream,
                from_initiator: conv.lo_initiated() == src_is_lo,
                ..FlowInfo::default()
            };
        };
        let fl = seg.flags();
        let (seq, ack) = (seg.seq(), seg.ack());
        if fl & (flags::SYN | flags::ACK) == flags::SYN
            && conv.has(BASE_SET[fwd])
            && conv.dir[fwd].base_seq != seq
        {
            *conv = Conversation::new(*next, ts_ns, src_is_lo);
            *next += 1;
            ports_reused = true;
        }
        // A SYN-ACK that does not match what this side sent before: Wireshark
        // reports the ports as reused (the stream stays the same).
        if fl & (flags::SYN | flags::ACK) == flags::SYN | flags::ACK
            && conv.has(BASE_SET[fwd])
            && conv.dir[fwd].base_seq != seq
        {
            ports_reused = true;
        }
        let rev = 1 - fwd;
        // A SYN always (re)sets the base, even after earlier segments.
        if fl & flags::SYN != 0 {
            conv.dir[fwd].base_seq = seq;
            conv.set(BASE_SET[fwd]);
        } else if !conv.has(BASE_SET[fwd]) {
            conv.dir[fwd].base_seq = seq.wrapping_sub(1);
            conv.set(BASE_SET[fwd]);
        }
        let rel_seq = seq.wrapping_sub(conv.dir[fwd].base_seq);
        let end = seq.wrapping_add(payload_len);
        let ahead = (end.wrapping_sub(conv.dir[fwd].max_end) as i32) > 0;
        let retransmission =
            payload_len > 0 && fl & flags::SYN == 0 && conv.has(END_SET[fwd]) && !ahead;
        if !conv.has(END_SET[fwd]) || ahead || fl & flags::SYN != 0 {
            conv.dir[fwd].max_end =
                end.wrapping_add(u32::from(fl & (flags::SYN | flags::FIN) != 0));
            conv.set(END_SET[fwd]);
        }
        if !conv.has(BASE_SET[rev]) && fl & flags::ACK != 0 {
            conv.dir[rev].base_seq = ack.wrapping_sub(1);
            conv.set(BASE_SET[rev]);
        }
        let rel_ack = if fl & flags::ACK != 0 {
            ack.wrapping_sub(conv.dir[rev].base_seq)
        } else {
            ack
        };
        let rev_base_seq = conv.dir[rev].base_seq;
        if fl & flags::SYN != 0 {
            let ws = seg.options().find_map(|o| match o {
                wirehunt_dissect::tcp::TcpOption::WindowScale(s) => Some(s.min(14) as i8),
                _ => None,
            });
            if let Some(shift) = ws {
                conv.win_scale[fwd] = shift;
            }
            // Wireshark's verify_tcp_window_scaling.
            if conv.win_scale[fwd] == -1 {
                conv.win_scale[fwd] = -2;
                conv.win_scale[rev] = -2;
            } else if fl & flags::ACK != 0 && conv.win_scale[rev] == -2 {
                conv.win_scale[fwd] = -2;
            }
        }
        let scale = conv.win_scale[fwd];
        let window = if fl & flags::SYN == 0 && scale >= 0 {
            (seg.window() as u32) << scale
        } else {
            seg.window() as u32
        };
        FlowInfo {
            proto: Proto::Tcp,
            layer: t.layer as u8,
            quoted: false,
            stream: conv.stream,
            from_initiator: conv.lo_initiated() == src_is_lo,
            rel_seq,
            rel_ack,
            ports_reused,
            window,
            rev_base_seq,
            retransmission,
            rev_win_scale: conv.win_scale[rev],
            tftp: false,
        }
    }
}

#[cfg(test)]
mod layout_tests {
    /// The memory bound of the default table assumes these sizes.
    #[test]
    fn entries_stay_small() {
        assert_eq!(std::mem::size_of::<super::Conversation>(), 32);
        assert_eq!(
            std::mem::size_of::<(super::Key<4>, super::Conversation)>(),
            48
        );
    }
}
