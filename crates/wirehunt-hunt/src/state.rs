//! Per-packet state of the detectors: TCP connections, first contacts
//! ("probes") and their answers, SYN counts per service, login sessions,
//! ARP bindings and the capture summary. Every table is bounded; what is
//! dropped to stay in bounds is counted.

use std::net::{IpAddr, Ipv4Addr};

use foldhash::fast::RandomState;
use hashbrown::HashMap;
use wirehunt_dissect::MacAddr;
use wirehunt_dissect::tcp::flags::{ACK, FIN, PSH, RST, SYN, URG};

use crate::config::{Config, Thresholds};
use crate::hll::Distinct;
use crate::obs::{Icmp, Ip, L4, Obs, Tcp, is_group};

pub type Map<K, V> = HashMap<K, V, RandomState>;

pub fn new_map<K, V>() -> Map<K, V> {
    HashMap::with_hasher(RandomState::default())
}

/// One end of a TCP connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ep {
    pub ip: IpAddr,
    pub port: u16,
}

/// What a first contact looked like.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Syn,
    Fin,
    Null,
    Xmas,
    Ack,
    Maimon,
    /// Flag combinations no stack sends to open a connection (SYN+FIN, …).
    Odd,
    Udp,
    Echo,
    Timestamp,
    Arp,
    IpProto,
}

/// Pseudo protocol numbers for probe keys that are not TCP/UDP/ICMP ports.
pub const PROTO_ARP: u8 = 0xfe;
pub const PROTO_IPPROTO: u8 = 0xfd;
pub const PROTO_ICMP: u8 = 1;

/// A first contact from `src` to (`dst`, `proto`, `port`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProbeKey {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub proto: u8,
    pub port: u16,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    None,
    /// SYN-ACK, a UDP reply, an echo reply, an ARP reply.
    Open,
    /// RST, ICMP port or protocol unreachable.
    Closed,
    /// ICMP unreachable for another reason (administratively prohibited, …).
    Filtered,
}

/// Tool fingerprints seen on probes.
pub mod fp {
    /// nmap's raw SYN: window 1024-4096 and only an MSS option.
    pub const NMAP: u8 = 1;
    /// hping3's default: window 512, no options.
    pub const HPING: u8 = 2;
    /// masscan: IP ID = dst ^ port ^ seq.
    pub const MASSCAN: u8 = 4;
    /// An operating system's connect(): SACK/timestamps/window scale options.
    pub const OS_STACK: u8 = 8;
    /// nmap's ICMP echo: no payload.
    pub const NMAP_ECHO: u8 = 16;
}

#[derive(Debug, Clone, Copy)]
pub struct Probe {
    pub kind: Kind,
    pub first_frame: u64,
    pub first_ts: i64,
    pub last_ts: i64,
    pub sport: u16,
    pub sends: u32,
    pub outcome: Outcome,
    /// What the prober did after the SYN-ACK: 1 completed the handshake, 2 reset.
    pub after_open: u8,
    /// Window of the RST that answered.
    pub rst_win: u16,
    pub fp: u8,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Side {
    pub pkts: u32,
    pub payload: u64,
    pub syn: bool,
    pub seq_known: bool,
    pub next_seq: u32,
    pub ack_known: bool,
    pub last_ack: u32,
    pub win: u32,
    pub wscale: Option<u8>,
    pub ttl: u8,
    pub ttl_pkts: u32,
    pub id_known: bool,
    pub last_id: u16,
    pub id_steps: u32,
    pub mac: Option<MacAddr>,
    pub fin: bool,
    pub rsts: u32,
    pub last_rst_seq: u32,
    pub rst_seqs: u32,
    /// Index in the reset list of this side's last RST.
    pub pending_rst: Option<u32>,
}

#[derive(Debug, Clone)]
pub struct Conn {
    /// Sender of the first packet seen (the initiator when a SYN opened it).
    pub a: Ep,
    pub b: Ep,
    pub sides: [Side; 2],
    pub first_frame: u64,
    pub first_ts: i64,
    pub last_ts: i64,
    pub first_flags: u16,
    pub synack: bool,
    pub established: bool,
    pub after_synack: u8,
}

impl Conn {
    fn new(a: Ep, b: Ep, o: &Obs<'_>, t: &Tcp<'_>) -> Conn {
        Conn {
            a,
            b,
            sides: [Side::default(); 2],
            first_frame: o.frame,
            first_ts: o.ts,
            last_ts: o.ts,
            first_flags: t.flags,
            synack: false,
            established: false,
            after_synack: 0,
        }
    }
    fn closed(&self) -> bool {
        self.sides.iter().any(|s| s.rsts > 0) || self.sides.iter().all(|s| s.fin)
    }
    pub fn opened_by_syn(&self) -> bool {
        self.first_flags & (SYN | ACK | RST) == SYN
    }
}

fn conn_key(x: Ep, y: Ep) -> (Ep, Ep) {
    if x <= y { (x, y) } else { (y, x) }
}

/// Facts about one RST, judged when the capture ends.
#[derive(Debug, Clone)]
pub struct ResetRec {
    pub frame: u64,
    pub ts: i64,
    pub src: Ep,
    pub dst: Ep,
    pub flags: u16,
    pub seq: u32,
    pub ttl: u8,
    pub payload: u32,
    /// Verdict from the connection's state when the RST came.
    pub base: BaseVerdict,
    /// The sender's usual TTL and how many packets had it.
    pub ttl_usual: Option<(u8, u32)>,
    /// (last ID, this ID) when the IP ID jumped out of the sender's sequence.
    pub id_jump: Option<(u16, u16)>,
    /// The sender's usual Ethernet source when this one differs.
    pub mac_usual: Option<MacAddr>,
    /// (expected sequence, window) when the sequence is out of window.
    pub out_of_window: Option<(u32, u32)>,
    /// Earlier RSTs of the same sender in the connection, with other sequence numbers.
    pub other_seqs: u32,
    /// Packets with data, SYN or FIN the sender sent after this RST.
    pub continued: u32,
    pub continued_frame: Option<u64>,
    /// Time since the connection's previous packet.
    pub idle_ns: i64,
    /// Frame of a suspect RST from the peer this one answers.
    pub after_peer_rst: Option<u64>,
    /// Payload bytes each way before the RST (sender, peer).
    pub bytes: (u64, u64),
    pub initiator: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BaseVerdict {
    /// Answer to a SYN.
    ClosedPort,
    /// Answer to a FIN, NULL or Xmas probe.
    ProbeAnswer(Kind),
    ScannerTeardown,
    InSession,
    AfterFin,
    NoSession,
}

/// SYNs to one (host, port).
#[derive(Debug, Clone, Default)]
pub struct FloodAgg {
    pub syns: u64,
    pub first_ts: i64,
    pub last_ts: i64,
    pub completed: u64,
    pub synacks: u64,
    pub sources: Distinct,
    pub macs: Vec<(MacAddr, u64)>,
    pub evidence: Vec<u64>,
    pub fp: [u64; 2],
    /// Past the flood threshold from more sources than the spoofing
    /// threshold (checked every 1024 SYNs).
    pub spoofed: bool,
    /// Answers of the target to forged SYNs whose connections were dropped.
    pub backscatter: u64,
}

/// Sessions from one client to one login service.
#[derive(Debug, Clone, Default)]
pub struct BruteAgg {
    pub sessions: u64,
    pub short: u64,
    pub ftp_failures: u64,
    pub first_ts: i64,
    pub last_ts: i64,
    pub evidence: Vec<u64>,
    /// The first sessions, to tell a login that worked from the failures.
    pub detail: Vec<Session>,
    pub short_bytes: u64,
}

/// One login session, as [`BruteAgg`] keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Session {
    pub first_frame: u64,
    pub packets: u32,
    pub bytes: u64,
    pub dur_ns: i64,
    pub short: bool,
}

/// Requests carrying a scanner's fingerprint, per (client, server, port).
#[derive(Debug, Clone, Default)]
pub struct ServiceAgg {
    pub requests: u64,
    pub first_ts: i64,
    pub last_ts: i64,
    pub evidence: Vec<u64>,
    pub sample: Vec<String>,
}

/// ICMP echo traffic between two hosts.
#[derive(Debug, Clone, Default)]
pub struct TunnelAgg {
    pub packets: u64,
    pub bytes: u64,
    /// Replies carrying their request's data back.
    pub echoed: u64,
    /// Replies carrying other data.
    pub differing: u64,
    pub sizes: Vec<u16>,
    pub first_ts: i64,
    pub last_ts: i64,
    pub evidence: Vec<u64>,
}

/// An ARP packet that claimed an address bound to another MAC, or an
/// unsolicited reply.
#[derive(Debug, Clone)]
pub struct ArpClaim {
    pub frame: u64,
    pub ts: i64,
    pub mac: MacAddr,
    pub ip: Ipv4Addr,
    pub previous: Option<MacAddr>,
    pub unsolicited: bool,
    pub told: Ipv4Addr,
}

#[derive(Debug, Default)]
pub struct SummaryAgg {
    pub packets: u64,
    pub bytes: u64,
    pub first_ts: Option<i64>,
    pub last_ts: i64,
    pub hosts: Distinct,
    pub protocols: Vec<(&'static str, u64)>,
    pub talkers: Map<IpAddr, u64>,
    pub talkers_dropped: u64,
}

/// Targets (host, port) whose SYNs are counted at once.
const MAX_FLOOD_KEYS: usize = 3584;

pub fn push_evidence(v: &mut Vec<u64>, frame: u64) {
    if v.len() < crate::model::Evidence::MAX_FRAMES {
        v.push(frame);
    }
}

/// The detectors' state while packets stream through.
pub struct State {
    pub cfg: Config,
    pub conns: Map<(Ep, Ep), Conn>,
    pub probes: Map<ProbeKey, Probe>,
    /// Probe statistics per source, folded from probes leaving the table.
    pub sources: Map<IpAddr, crate::scan::SrcAgg>,
    pub dropped_sources: u64,
    /// SYNs per (target, port); with `true`, unsolicited SYN-ACKs per target
    /// (port 0): reflection backscatter.
    pub floods: Map<(IpAddr, u16, bool), FloodAgg>,
    pub brute: Map<(IpAddr, IpAddr, u16), BruteAgg>,
    pub service: Map<(IpAddr, IpAddr, u16), ServiceAgg>,
    /// ICMP echo traffic per (requester, responder).
    pub tunnels: Map<(IpAddr, IpAddr), TunnelAgg>,
    /// Data fingerprint of echo requests waiting for their reply.
    pub echo_requests: Map<(IpAddr, IpAddr, u16, u16), u64>,
    pub arp_bind: Map<Ipv4Addr, (MacAddr, u64)>,
    pub arp_mac_ips: Map<MacAddr, Vec<Ipv4Addr>>,
    pub arp_claims: Vec<ArpClaim>,
    pub resets: Vec<ResetRec>,
    pub resets_dropped: u64,
    /// Verdicts of the resets past the limit, judged without hindsight.
    pub resets_overflow: std::collections::BTreeMap<crate::model::Verdict, u64>,
    pub summary: SummaryAgg,
    pub evicted_conns: u64,
    pub evicted_probes: u64,
    pub dropped_floods: u64,
}

/// TCP ports of login services and the class their guessing gets.
pub fn login_service(port: u16) -> Option<&'static str> {
    Some(match port {
        21 => "ftp_bruteforce",
        22 => "ssh_bruteforce",
        23 => "telnet_bruteforce",
        3389 => "rdp_bruteforce",
        _ => return None,
    })
}

impl State {
    pub fn new(cfg: Config) -> State {
        let limits = cfg.limits;
        State {
            cfg,
            conns: Map::with_capacity_and_hasher(limits.connections, RandomState::default()),
            probes: Map::with_capacity_and_hasher(limits.probes, RandomState::default()),
            sources: new_map(),
            dropped_sources: 0,
            floods: new_map(),
            brute: new_map(),
            service: new_map(),
            tunnels: new_map(),
            echo_requests: new_map(),
            arp_bind: new_map(),
            arp_mac_ips: new_map(),
            arp_claims: Vec::new(),
            resets: Vec::new(),
            resets_dropped: 0,
            resets_overflow: Default::default(),
            summary: SummaryAgg::default(),
            evicted_conns: 0,
            evicted_probes: 0,
            dropped_floods: 0,
        }
    }

    fn th(&self) -> &Thresholds {
        &self.cfg.thresholds
    }

    pub fn observe(&mut self, o: &Obs<'_>) {
        self.count(o);
        if let Some(a) = o.arp {
            self.arp(o, a);
        }
        let Some(ip) = o.ip else { return };
        match o.l4 {
            L4::Tcp(t) => self.tcp(o, &ip, &t),
            L4::Udp(u) => {
                if self.probes.contains_key(&ProbeKey {
                    src: ip.dst,
                    dst: ip.src,
                    proto: 17,
                    port: u.sport,
                }) {
                    self.answer(ip.dst, ip.src, 17, u.sport, Outcome::Open, 0);
                } else {
                    self.probe(o, ip.src, ip.dst, 17, u.dport, Kind::Udp, u.sport, 0);
                }
            }
            L4::Icmp(i) => self.icmp(o, &ip, &i),
            L4::None => {
                if ip.id.is_some() && !matches!(ip.proto, 1 | 6 | 17) {
                    self.probe(
                        o,
                        ip.src,
                        ip.dst,
                        PROTO_IPPROTO,
                        u16::from(ip.proto),
                        Kind::IpProto,
                        0,
                        0,
                    );
                }
            }
        }
    }

    fn count(&mut self, o: &Obs<'_>) {
        let s = &mut self.summary;
        s.packets += 1;
        s.bytes += u64::from(o.len);
        s.first_ts.get_or_insert(o.ts);
        s.last_ts = s.last_ts.max(o.ts);
        let proto = match (&o.l4, o.ip, o.arp) {
            (L4::Tcp(_), _, _) => "TCP",
            (L4::Udp(_), _, _) => "UDP",
            (L4::Icmp(i), _, _) if i.v6 => "ICMPv6",
            (L4::Icmp(_), _, _) => "ICMP",
            (_, Some(ip), _) if ip.id.is_some() => "IPv4 (other)",
            (_, Some(_), _) => "IPv6 (other)",
            (_, None, Some(_)) => "ARP",
            _ => "other",
        };
        match s.protocols.iter_mut().find(|(p, _)| *p == proto) {
            Some(e) => e.1 += 1,
            None => s.protocols.push((proto, 1)),
        }
        if let Some(ip) = o.ip {
            s.hosts.add(ip.src);
            s.hosts.add(ip.dst);
            if let Some(b) = s.talkers.get_mut(&ip.src) {
                *b += u64::from(o.len);
            } else if s.talkers.len() < 1 << 16 {
                s.talkers.insert(ip.src, u64::from(o.len));
            } else {
                s.talkers_dropped += 1;
            }
        }
    }

    // ---- first contacts -------------------------------------------------

    #[allow(clippy::too_many_arguments)]
    fn probe(
        &mut self,
        o: &Obs<'_>,
        src: IpAddr,
        dst: IpAddr,
        proto: u8,
        port: u16,
        kind: Kind,
        sport: u16,
        fp: u8,
    ) {
        if is_group(dst) || src == dst {
            return;
        }
        let key = ProbeKey {
            src,
            dst,
            proto,
            port,
        };
        if let Some(p) = self.probes.get_mut(&key) {
            p.sends = p.sends.saturating_add(1);
            p.last_ts = o.ts;
            return;
        }
        if self.probes.len() >= self.cfg.limits.probes {
            self.evict_probes();
        }
        self.probes.insert(
            key,
            Probe {
                kind,
                first_frame: o.frame,
                first_ts: o.ts,
                last_ts: o.ts,
                sport,
                sends: 1,
                outcome: Outcome::None,
                after_open: 0,
                rst_win: 0,
                fp,
            },
        );
    }

    /// Folds the oldest half of the probe table into the source statistics.
    fn evict_probes(&mut self) {
        let cut = eviction_cut(self.probes.values().map(|p| p.last_ts), 2);
        let mut gone: Vec<(ProbeKey, Probe)> =
            self.probes.extract_if(|_, p| p.last_ts <= cut).collect();
        self.evicted_probes += gone.len() as u64;
        gone.sort_unstable_by_key(|(_, p)| p.first_frame);
        self.fold(gone);
    }

    fn fold(&mut self, probes: Vec<(ProbeKey, Probe)>) {
        let th = self.cfg.thresholds.clone();
        let mut in_batch: Map<IpAddr, u32> = new_map();
        if self.sources.len() >= self.cfg.limits.sources / 2 {
            for (k, _) in &probes {
                *in_batch.entry(k.src).or_default() += 1;
            }
        }
        for (k, p) in probes {
            let known = self.sources.contains_key(&k.src);
            // A source seen once, with the table filling up, cannot make a
            // scan on its own: count it and move on (spoofed floods).
            if !known && in_batch.get(&k.src) == Some(&1) {
                self.dropped_sources += 1;
                continue;
            }
            if self.sources.len() >= self.cfg.limits.sources && !known {
                // Keep the sources with the most probes: a spoofed flood's
                // one-probe sources must not crowd out a scanner.
                let cut = eviction_cut(self.sources.values().map(|a| a.probes() as i64), 2);
                let before = self.sources.len();
                self.sources.retain(|_, a| a.probes() as i64 > cut);
                self.dropped_sources += (before - self.sources.len()) as u64;
            }
            let full = self.sources.len() >= self.cfg.limits.sources;
            match self.sources.get_mut(&k.src) {
                Some(agg) => agg.fold(&k, &p, &th),
                None if !full => {
                    let mut agg = crate::scan::SrcAgg::default();
                    agg.fold(&k, &p, &th);
                    self.sources.insert(k.src, agg);
                }
                None => self.dropped_sources += 1,
            }
        }
    }

    fn answer(&mut self, src: IpAddr, dst: IpAddr, proto: u8, port: u16, out: Outcome, win: u16) {
        if let Some(p) = self.probes.get_mut(&ProbeKey {
            src,
            dst,
            proto,
            port,
        }) && p.outcome == Outcome::None
        {
            p.outcome = out;
            p.rst_win = win;
        }
    }

    fn icmp(&mut self, o: &Obs<'_>, ip: &Ip, i: &Icmp<'_>) {
        self.echo_data(o, ip, i);
        let (echo_req, echo_rep, ts_req, ts_rep, unreach) = if i.v6 {
            (128, 129, 255, 255, 1)
        } else {
            (8, 0, 13, 14, 3)
        };
        if i.typ == echo_req {
            let f = if o.len <= 42 && !i.v6 {
                fp::NMAP_ECHO
            } else {
                0
            };
            self.probe(o, ip.src, ip.dst, PROTO_ICMP, 8, Kind::Echo, 0, f);
        } else if i.typ == ts_req {
            self.probe(o, ip.src, ip.dst, PROTO_ICMP, 13, Kind::Timestamp, 0, 0);
        } else if i.typ == echo_rep {
            self.answer(ip.dst, ip.src, PROTO_ICMP, 8, Outcome::Open, 0);
        } else if i.typ == ts_rep {
            self.answer(ip.dst, ip.src, PROTO_ICMP, 13, Outcome::Open, 0);
        } else if i.typ == unreach
            && let Some(q) = i.quoted
        {
            let closed = if i.v6 {
                i.code == 4
            } else {
                matches!(i.code, 2 | 3)
            };
            let out = if closed {
                Outcome::Closed
            } else {
                Outcome::Filtered
            };
            let (proto, port) = match q.proto {
                6 | 17 => (q.proto, q.dport),
                1 | 58 => (PROTO_ICMP, 8),
                p => (PROTO_IPPROTO, u16::from(p)),
            };
            self.answer(q.src, q.dst, proto, port, out, 0);
            // nmap's protocol scan also counts TCP/UDP/ICMP as protocols.
            if !i.v6 && i.code == 2 {
                self.answer(q.src, q.dst, PROTO_IPPROTO, u16::from(q.proto), out, 0);
            }
        }
    }

    /// Echo requests and replies: does each reply carry its request's data
    /// back, as ping does, or data of its own, as an ICMP tunnel does?
    fn echo_data(&mut self, o: &Obs<'_>, ip: &Ip, i: &Icmp<'_>) {
        let (req, rep) = if i.v6 { (128, 129) } else { (8, 0) };
        if i.typ != req && i.typ != rep {
            return;
        }
        let hash = {
            use std::hash::{BuildHasher, Hasher};
            let mut h = foldhash::fast::FixedState::with_seed(0xec40).build_hasher();
            h.write(i.data);
            h.finish()
        };
        let (client, server) = if i.typ == req {
            (ip.src, ip.dst)
        } else {
            (ip.dst, ip.src)
        };
        if !self.tunnels.contains_key(&(client, server)) && self.tunnels.len() >= 1 << 12 {
            return;
        }
        let t = self.tunnels.entry((client, server)).or_default();
        if t.packets == 0 {
            t.first_ts = o.ts;
        }
        t.packets += 1;
        t.last_ts = o.ts;
        t.bytes += i.data.len() as u64;
        if !t.sizes.contains(&(i.data.len() as u16)) && t.sizes.len() < 32 {
            t.sizes.push(i.data.len() as u16);
        }
        push_evidence(&mut t.evidence, o.frame);
        let key = (client, server, i.ident, i.seq);
        if i.typ == req {
            if self.echo_requests.len() >= 1 << 16 {
                self.echo_requests.clear();
            }
            self.echo_requests.insert(key, hash);
        } else if let Some(h) = self.echo_requests.remove(&key) {
            if h == hash {
                t.echoed += 1;
            } else {
                t.differing += 1;
            }
        }
    }

    // ---- ARP ------------------------------------------------------------

    fn arp(&mut self, o: &Obs<'_>, a: crate::obs::Arp) {
        let spa = IpAddr::V4(a.spa);
        if a.op == 1 && !a.spa.is_unspecified() && a.spa != a.tpa {
            self.probe(o, spa, IpAddr::V4(a.tpa), PROTO_ARP, 0, Kind::Arp, 0, 0);
        }
        if a.spa.is_unspecified() {
            return;
        }
        let mut unsolicited = false;
        if a.op == 2 {
            let key = ProbeKey {
                src: IpAddr::V4(a.tpa),
                dst: spa,
                proto: PROTO_ARP,
                port: 0,
            };
            unsolicited = !self.probes.contains_key(&key) && a.spa != a.tpa;
            self.answer(IpAddr::V4(a.tpa), spa, PROTO_ARP, 0, Outcome::Open, 0);
        }
        let previous = match self.arp_bind.get(&a.spa) {
            Some((m, _)) if *m != a.sha => Some(*m),
            _ => None,
        };
        if self.arp_bind.len() < 1 << 16 || self.arp_bind.contains_key(&a.spa) {
            self.arp_bind.insert(a.spa, (a.sha, o.frame));
        }
        let ips = self.arp_mac_ips.entry(a.sha).or_default();
        if !ips.contains(&a.spa) && ips.len() < 16 {
            ips.push(a.spa);
        }
        if (previous.is_some() || unsolicited) && self.arp_claims.len() < 1 << 16 {
            self.arp_claims.push(ArpClaim {
                frame: o.frame,
                ts: o.ts,
                mac: a.sha,
                ip: a.spa,
                previous,
                unsolicited,
                told: a.tpa,
            });
        }
    }

    // ---- TCP ------------------------------------------------------------

    fn tcp(&mut self, o: &Obs<'_>, ip: &Ip, t: &Tcp<'_>) {
        let src = Ep {
            ip: ip.src,
            port: t.sport,
        };
        let dst = Ep {
            ip: ip.dst,
            port: t.dport,
        };
        let key = conn_key(src, dst);
        let syn_only = t.flags & (SYN | ACK | RST) == SYN;
        if syn_only {
            self.flood_syn(o, ip, t, false);
        }
        // A new SYN on a finished connection opens a new one (port reuse).
        if syn_only
            && let Some(c) = self.conns.get(&key)
            && c.closed()
            && c.a == src
        {
            let c = self.conns.remove(&key).expect("present");
            record_session(&mut self.brute, &self.cfg.thresholds, c);
        }
        let fresh = !self.conns.contains_key(&key);
        // The flooded service answering forged SYNs whose connections were
        // already dropped: count it with the flood instead of tracking it.
        if fresh
            && !syn_only
            && let Some(f) = self.floods.get_mut(&(ip.src, t.sport, false))
            && f.spoofed
        {
            f.backscatter += 1;
            if t.has(RST) {
                *self
                    .resets_overflow
                    .entry(crate::model::Verdict::NoSession)
                    .or_default() += 1;
            }
            return;
        }
        if fresh {
            if self.conns.len() >= self.cfg.limits.connections {
                self.evict_conns();
            }
            self.conns.insert(key, Conn::new(src, dst, o, t));
            self.tcp_probe(o, ip, t);
        }
        let jump = self.th().rst_ipid_jump;
        let State {
            conns,
            probes,
            floods,
            dropped_floods,
            cfg,
            resets,
            resets_dropped,
            resets_overflow,
            brute,
            service,
            ..
        } = self;
        let Some(c) = conns.get_mut(&key) else {
            return;
        };
        let dir = usize::from(c.a != src);
        // A SYN-ACK answering no SYN: backscatter of SYNs forged in this
        // host's name, when it comes in numbers.
        if t.flags & (SYN | ACK | RST) == SYN | ACK && !c.sides[1 - dir].syn {
            flood_syn(floods, dropped_floods, &cfg.thresholds, o, ip, t, true);
        }
        let idle_ns = o.ts - c.last_ts;
        c.last_ts = o.ts;

        // Answers to the first packet.
        if dir == 1 && c.sides[1].pkts == 0 && !fresh {
            let out = if t.flags & (SYN | ACK) == SYN | ACK {
                Some(Outcome::Open)
            } else if t.has(RST) {
                Some(Outcome::Closed)
            } else {
                None
            };
            if let Some(out) = out {
                let (a, b) = (c.a, c.b);
                if let Some(p) = conn_probe(probes, a, b)
                    && p.outcome == Outcome::None
                {
                    p.outcome = out;
                    p.rst_win = t.win;
                }
            }
        }
        if dir == 1 && t.flags & (SYN | ACK) == SYN | ACK {
            if !c.synack {
                c.synack = true;
                if let Some(f) = floods.get_mut(&(c.b.ip, c.b.port, false)) {
                    f.synacks += 1;
                }
            }
        } else if dir == 0 && c.synack && c.after_synack == 0 && !t.has(SYN) {
            c.after_synack = if t.has(RST) { 2 } else { 1 };
            if !t.has(RST) {
                c.established = true;
                if let Some(f) = floods.get_mut(&(c.b.ip, c.b.port, false)) {
                    f.completed += 1;
                }
            }
            let (a, b, how) = (c.a, c.b, c.after_synack);
            if let Some(p) = conn_probe(probes, a, b)
                && p.after_open == 0
            {
                p.after_open = how;
            }
        }

        if t.has(RST) {
            let rec = judge_reset(c, dir, o, ip, t, idle_ns, jump, resets);
            let (s, _) = split(&mut c.sides, dir);
            s.rsts += 1;
            if s.rsts > 1 && s.last_rst_seq != t.seq {
                s.rst_seqs += 1;
            }
            s.last_rst_seq = t.seq;
            s.pkts += 1;
            if resets.len() < cfg.limits.resets {
                s.pending_rst = Some(resets.len() as u32);
                resets.push(rec);
            } else {
                *resets_dropped += 1;
                *resets_overflow
                    .entry(crate::report::verdict(&rec))
                    .or_default() += 1;
            }
            return;
        }

        let (s, peer) = split(&mut c.sides, dir);
        if let Some(i) = s.pending_rst
            && (!t.payload.is_empty() || t.has(FIN) || t.flags & (SYN | ACK) == SYN | ACK)
            && let Some(r) = resets.get_mut(i as usize)
        {
            r.continued += 1;
            r.continued_frame.get_or_insert(o.frame);
        }
        s.pkts += 1;
        s.payload += t.payload.len() as u64;
        if t.has(SYN) {
            s.syn = true;
            s.wscale = t.wscale;
        }
        let end = t.seq.wrapping_add(t.seq_len());
        if !s.seq_known || (end.wrapping_sub(s.next_seq) as i32) > 0 {
            s.next_seq = end;
            s.seq_known = true;
        }
        if t.has(ACK) {
            s.last_ack = t.ack;
            s.ack_known = true;
        }
        let scale = match (s.wscale, peer.wscale) {
            (Some(w), Some(_)) if !t.has(SYN) => u32::from(w.min(14)),
            _ => 0,
        };
        s.win = u32::from(t.win) << scale;
        if s.ttl_pkts == 0 || s.ttl != ip.ttl {
            if s.ttl_pkts <= 1 {
                s.ttl = ip.ttl;
                s.ttl_pkts = 1;
            }
        } else {
            s.ttl_pkts += 1;
        }
        if let Some(id) = ip.id
            && id != 0
        {
            if s.id_known && id.wrapping_sub(s.last_id) < jump {
                s.id_steps += 1;
            }
            s.last_id = id;
            s.id_known = true;
        }
        if s.mac.is_none() {
            s.mac = o.eth_src;
        }
        if t.has(FIN) {
            s.fin = true;
        }
        let (a, b) = (c.a, c.b);

        // Application hints: FTP login failures, scanner HTTP requests.
        if dir == 1 && b.port == 21 && t.payload.starts_with(b"530") {
            let agg = brute.entry((a.ip, b.ip, 21)).or_default();
            agg.ftp_failures += 1;
        }
        if dir == 0
            && !t.payload.is_empty()
            && let Some(req) = wirehunt_dissect::http::parse_request(t.payload)
        {
            let ua = req.user_agent.unwrap_or(b"");
            let nse = contains(ua, b"Nmap Scripting Engine")
                || contains(req.uri, b"nmaplowercheck")
                || contains(ua, b"sqlmap")
                || contains(ua, b"Nikto")
                || contains(ua, b"masscan");
            if nse && (service.len() < 1 << 12 || service.contains_key(&(a.ip, b.ip, b.port))) {
                let agg = service.entry((a.ip, b.ip, b.port)).or_default();
                if agg.requests == 0 {
                    agg.first_ts = o.ts;
                }
                agg.requests += 1;
                agg.last_ts = o.ts;
                push_evidence(&mut agg.evidence, o.frame);
                if agg.sample.len() < 5 {
                    let line = format!(
                        "{} {}",
                        String::from_utf8_lossy(req.method),
                        String::from_utf8_lossy(&req.uri[..req.uri.len().min(80)])
                    );
                    if !agg.sample.contains(&line) {
                        agg.sample.push(line);
                    }
                }
            }
        }
    }

    fn tcp_probe(&mut self, o: &Obs<'_>, ip: &Ip, t: &Tcp<'_>) {
        let Some(kind) = probe_kind_of(t.flags) else {
            return;
        };
        // ECE+CWR on a SYN is ECN negotiation; one of them alone is a probe shape.
        let ecn = t.flags & 0xc0;
        let kind = if kind == Kind::Syn && ecn != 0 && ecn != 0xc0 {
            Kind::Odd
        } else {
            kind
        };
        let mut fpr = 0;
        // SYNs to a target under a spoofed flood are the flood's, counted there.
        if kind == Kind::Syn
            && self
                .floods
                .get(&(ip.dst, t.dport, false))
                .is_some_and(|f| f.spoofed)
        {
            return;
        }
        if kind == Kind::Syn {
            if matches!(t.win, 1024 | 2048 | 3072 | 4096) && t.opts_len == 4 && t.mss.is_some() {
                fpr |= fp::NMAP;
            }
            if t.win == 512 && t.opts_len == 0 {
                fpr |= fp::HPING;
            }
            if let (Some(id), IpAddr::V4(d)) = (ip.id, ip.dst) {
                let x = u32::from(d) ^ u32::from(t.dport) ^ t.seq;
                if id == (x & 0xffff) as u16 && t.opts_len == 0 {
                    fpr |= fp::MASSCAN;
                }
            }
            if t.opts_len >= 12 {
                fpr |= fp::OS_STACK;
            }
        }
        self.probe(o, ip.src, ip.dst, 6, t.dport, kind, t.sport, fpr);
    }

    fn flood_syn(&mut self, o: &Obs<'_>, ip: &Ip, t: &Tcp<'_>, reflected: bool) {
        let th = &self.cfg.thresholds;
        flood_syn(
            &mut self.floods,
            &mut self.dropped_floods,
            th,
            o,
            ip,
            t,
            reflected,
        );
    }

    /// Drops the idlest half of the connections (half, so that the hash
    /// table reuses the slots in place instead of doubling).
    fn evict_conns(&mut self) {
        let cut = eviction_cut(self.conns.values().map(|c| c.last_ts), 2);
        let State {
            conns,
            brute,
            cfg,
            evicted_conns,
            ..
        } = self;
        for (_, c) in conns.extract_if(|_, c| c.last_ts <= cut) {
            *evicted_conns += 1;
            record_session(brute, &cfg.thresholds, c);
        }
    }

    /// Empties the tables into their folded forms.
    pub fn drain(&mut self) {
        for (_, c) in self.conns.drain() {
            record_session(&mut self.brute, &self.cfg.thresholds, c);
        }
        let mut rest: Vec<(ProbeKey, Probe)> = self.probes.drain().collect();
        rest.sort_unstable_by_key(|(_, p)| p.first_frame);
        self.fold(rest);
        for agg in self.brute.values_mut() {
            agg.evidence.sort_unstable();
            agg.detail.sort_unstable();
        }
    }
}

/// A connection leaves the table: count it as a login attempt if it went
/// to a login service.
fn record_session(brute: &mut Map<(IpAddr, IpAddr, u16), BruteAgg>, th: &Thresholds, c: Conn) {
    if login_service(c.b.port).is_none() || !c.established {
        return;
    }
    let key = (c.a.ip, c.b.ip, c.b.port);
    if !brute.contains_key(&key) && brute.len() >= 1 << 16 {
        return;
    }
    let th_s = (th.brute_max_session_s * 1e9) as i64;
    let th_b = th.brute_max_session_bytes;
    let agg = brute.entry(key).or_default();
    let dur = c.last_ts - c.first_ts;
    let bytes = c.sides[0].payload + c.sides[1].payload;
    if agg.sessions == 0 || c.first_ts < agg.first_ts {
        agg.first_ts = c.first_ts;
    }
    agg.last_ts = agg.last_ts.max(c.last_ts);
    agg.sessions += 1;
    let short = dur <= th_s && bytes <= th_b && c.sides[0].payload > 0 && c.sides[1].payload > 0;
    if short {
        agg.short += 1;
        agg.short_bytes += bytes;
        push_evidence(&mut agg.evidence, c.first_frame);
    }
    if agg.detail.len() < 4096 {
        agg.detail.push(Session {
            first_frame: c.first_frame,
            packets: c.sides[0].pkts + c.sides[1].pkts,
            bytes,
            dur_ns: dur,
            short,
        });
    }
}

/// The value at or below which the lowest `1/div` of `values` lie: what a
/// full table gives up.
fn eviction_cut(values: impl Iterator<Item = i64>, div: usize) -> i64 {
    let mut v: Vec<i64> = values.collect();
    if v.is_empty() {
        return i64::MIN;
    }
    let q = v.len() / div;
    *v.select_nth_unstable(q).1
}

/// The probe the connection from `a` to `b` made, if it made one.
fn conn_probe(probes: &mut Map<ProbeKey, Probe>, a: Ep, b: Ep) -> Option<&mut Probe> {
    let key = ProbeKey {
        src: a.ip,
        dst: b.ip,
        proto: 6,
        port: b.port,
    };
    probes.get_mut(&key).filter(|p| p.sport == a.port)
}

/// Counts a SYN (or, `reflected`, an unsolicited SYN-ACK) towards its
/// target's flood statistics.
#[allow(clippy::too_many_arguments)]
fn flood_syn(
    floods: &mut Map<(IpAddr, u16, bool), FloodAgg>,
    dropped_floods: &mut u64,
    th: &Thresholds,
    o: &Obs<'_>,
    ip: &Ip,
    t: &Tcp<'_>,
    reflected: bool,
) {
    let key = (ip.dst, if reflected { 0 } else { t.dport }, reflected);
    if !floods.contains_key(&key) && floods.len() >= MAX_FLOOD_KEYS {
        // Keep the busiest targets; one-off keys (backscatter to random
        // addresses) go first.
        let cut = eviction_cut(floods.values().map(|f| f.syns as i64), 2);
        let before = floods.len();
        floods.retain(|_, f| f.syns as i64 > cut);
        *dropped_floods += (before - floods.len()) as u64;
    }
    let f = floods.entry(key).or_default();
    if f.syns == 0 {
        f.first_ts = o.ts;
    }
    f.syns += 1;
    f.last_ts = o.ts;
    f.sources.add(ip.src);
    if f.syns % 1024 == 0 {
        f.spoofed = f.syns >= th.flood_min_syns && f.sources.count() > th.flood_spoofed_sources;
    }
    if let Some(m) = o.eth_src {
        if let Some(e) = f.macs.iter_mut().find(|(x, _)| *x == m) {
            e.1 += 1;
        } else if f.macs.len() < 16 {
            f.macs.push((m, 1));
        }
    }
    if t.win == 512 && t.opts_len == 0 {
        f.fp[0] += 1;
    }
    push_evidence(&mut f.evidence, o.frame);
}

fn split(sides: &mut [Side; 2], dir: usize) -> (&mut Side, &mut Side) {
    let (x, y) = sides.split_at_mut(1);
    if dir == 0 {
        (&mut x[0], &mut y[0])
    } else {
        (&mut y[0], &mut x[0])
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

/// What the connection's state says about a RST from side `dir`.
#[allow(clippy::too_many_arguments)]
fn judge_reset(
    c: &Conn,
    dir: usize,
    o: &Obs<'_>,
    ip: &Ip,
    t: &Tcp<'_>,
    idle_ns: i64,
    jump: u16,
    resets: &[ResetRec],
) -> ResetRec {
    let s = &c.sides[dir];
    let peer = &c.sides[1 - dir];
    let (src, dst) = if dir == 0 { (c.a, c.b) } else { (c.b, c.a) };
    let first_kind = probe_kind_of(c.first_flags);
    let base = if s.pkts == 0 && peer.pkts == 0 {
        BaseVerdict::NoSession
    } else if dir == 1 && c.opened_by_syn() && !c.synack {
        BaseVerdict::ClosedPort
    } else if dir == 1
        && !c.synack
        && peer.payload == 0
        && peer.pkts <= 3
        && matches!(
            first_kind,
            Some(Kind::Fin | Kind::Null | Kind::Xmas | Kind::Maimon | Kind::Odd)
        )
    {
        BaseVerdict::ProbeAnswer(first_kind.expect("matched"))
    } else if dir == 1
        && !c.synack
        && peer.payload == 0
        && peer.pkts <= 3
        && first_kind == Some(Kind::Ack)
    {
        BaseVerdict::NoSession
    } else if dir == 0 && c.synack && s.payload == 0 && peer.payload == 0 && !s.fin {
        BaseVerdict::ScannerTeardown
    } else if s.fin || peer.fin {
        BaseVerdict::AfterFin
    } else if !c.opened_by_syn() && s.pkts + peer.pkts < 2 {
        BaseVerdict::NoSession
    } else {
        BaseVerdict::InSession
    };
    let mut rec = ResetRec {
        frame: o.frame,
        ts: o.ts,
        src,
        dst,
        flags: t.flags,
        seq: t.seq,
        ttl: ip.ttl,
        payload: t.payload.len() as u32,
        base,
        ttl_usual: None,
        id_jump: None,
        mac_usual: None,
        out_of_window: None,
        other_seqs: 0,
        continued: 0,
        continued_frame: None,
        idle_ns,
        after_peer_rst: peer
            .pending_rst
            .and_then(|i| resets.get(i as usize))
            .map(|r| r.frame),
        bytes: (s.payload, peer.payload),
        initiator: dir == 0,
    };
    if s.ttl_pkts >= 2 && s.ttl != ip.ttl {
        rec.ttl_usual = Some((s.ttl, s.ttl_pkts));
    }
    if let Some(id) = ip.id
        && id != 0
        && s.id_known
        && s.id_steps >= 2
    {
        let d = id.wrapping_sub(s.last_id);
        if d >= jump && d <= u16::MAX - 64 {
            rec.id_jump = Some((s.last_id, id));
        }
    }
    if let (Some(m), Some(usual)) = (o.eth_src, s.mac)
        && m != usual
    {
        rec.mac_usual = Some(usual);
    }
    if base == BaseVerdict::InSession && peer.ack_known {
        let rcv_nxt = peer.last_ack;
        let win = peer.win.max(1);
        // In window: RCV.NXT <= SEG.SEQ < RCV.NXT + RCV.WND (RFC 9293 3.10.7.4).
        let off = t.seq.wrapping_sub(rcv_nxt) as i32;
        if off < 0 || off as u32 >= win {
            rec.out_of_window = Some((rcv_nxt, win));
        }
    }
    if s.rsts > 0 && s.last_rst_seq != t.seq {
        rec.other_seqs = s.rst_seqs + 1;
    }
    rec
}

pub fn probe_kind_of(flags: u16) -> Option<Kind> {
    let f = flags & 0x03f;
    Some(match f {
        x if x == SYN => Kind::Syn,
        x if x == FIN => Kind::Fin,
        0 => Kind::Null,
        x if x == FIN | PSH | URG => Kind::Xmas,
        x if x == ACK => Kind::Ack,
        x if x == FIN | ACK => Kind::Maimon,
        x if x & RST != 0 || x & ACK != 0 => return None,
        _ => Kind::Odd,
    })
}

#[cfg(test)]
mod tests {
    /// The memory bound of `Limits` assumes entries this small: a table of
    /// 114,688 connections stays near 30 MB.
    #[test]
    fn table_entries_stay_small() {
        assert!(std::mem::size_of::<super::Conn>() <= 216);
        assert!(std::mem::size_of::<super::Probe>() <= 40);
        assert!(std::mem::size_of::<super::ResetRec>() <= 176);
    }
}
