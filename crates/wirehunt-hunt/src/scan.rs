//! Scans and sweeps: probe statistics per source, the Threshold Random
//! Walk over its first contacts, and the findings they make.
//!
//! A *first contact* is the first packet from a source to a (host,
//! protocol, port) — a SYN, a UDP datagram, an echo request, an ARP
//! request. Its outcome comes from the answer: SYN-ACK or a reply is a
//! success; RST, ICMP unreachable or silence a failure. TRW (Jung, Paxson,
//! Berger, Balakrishnan, IEEE S&P 2004) walks the log-likelihood ratio of
//! "scanner" against "benign" over those outcomes in order and calls a
//! source a scanner when it crosses ln(PD/PF). There is no time window:
//! a scan spread over an hour walks the same way as one in a second. The
//! walk is floored at ln((1-PD)/(1-PF)) so benign history cannot bank
//! credit against a later scan.

use std::collections::BTreeMap;
use std::net::IpAddr;

use crate::config::Thresholds;
use crate::model::{Evidence, Finding, Mitre, OpenPort, PortsProbed, Severity, mitre, port_ranges};
use crate::report::{base_finding, dst_clause, ip_field, per_second};
use crate::state::{Kind, Map, Outcome, Probe, ProbeKey, fp, new_map};

/// Ports of one target.
#[derive(Debug, Clone, Default)]
pub struct TargetPorts {
    pub ports: Vec<u16>,
    pub open: Vec<u16>,
}

#[derive(Debug, Clone)]
pub struct KindAgg {
    pub kind: Kind,
    pub probes: u64,
    pub packets: u64,
    pub open: u64,
    pub closed: u64,
    pub filtered: u64,
    pub unanswered: u64,
    pub half_open: u64,
    pub completed: u64,
    pub rst_win_nonzero: u64,
    pub rst_win_zero: u64,
    pub fp: [u64; 5],
    pub first_ts: i64,
    pub last_ts: i64,
    pub evidence: Vec<u64>,
    pub targets: Map<IpAddr, TargetPorts>,
    /// The walk over this kind's first contacts (TCP and UDP walk apart:
    /// a host's DNS successes say nothing about its TCP failures).
    pub trw: f64,
    pub trw_max: f64,
}

const MAX_TARGETS: usize = 1 << 14;

impl KindAgg {
    fn new(kind: Kind, p: &Probe) -> KindAgg {
        KindAgg {
            kind,
            probes: 0,
            packets: 0,
            open: 0,
            closed: 0,
            filtered: 0,
            unanswered: 0,
            half_open: 0,
            completed: 0,
            rst_win_nonzero: 0,
            rst_win_zero: 0,
            fp: [0; 5],
            first_ts: p.first_ts,
            last_ts: p.last_ts,
            evidence: Vec::new(),
            targets: new_map(),
            trw: 0.0,
            trw_max: 0.0,
        }
    }

    fn add(&mut self, k: &ProbeKey, p: &Probe) {
        self.probes += 1;
        self.packets += u64::from(p.sends);
        self.first_ts = self.first_ts.min(p.first_ts);
        // The last probe sent, not the last packet to a probed port (a later
        // session to an open port is not part of the scan).
        self.last_ts = self.last_ts.max(p.first_ts);
        match p.outcome {
            Outcome::Open => self.open += 1,
            Outcome::Closed => {
                self.closed += 1;
                if p.rst_win == 0 {
                    self.rst_win_zero += 1;
                } else {
                    self.rst_win_nonzero += 1;
                }
            }
            Outcome::Filtered => self.filtered += 1,
            Outcome::None => self.unanswered += 1,
        }
        match p.after_open {
            1 => self.completed += 1,
            2 => self.half_open += 1,
            _ => {}
        }
        for (i, bit) in [
            fp::NMAP,
            fp::HPING,
            fp::MASSCAN,
            fp::OS_STACK,
            fp::NMAP_ECHO,
        ]
        .iter()
        .enumerate()
        {
            if p.fp & bit != 0 {
                self.fp[i] += 1;
            }
        }
        self.evidence.push(p.first_frame);
        if self.evidence.len() > 2 * Evidence::MAX_FRAMES {
            self.evidence.sort_unstable();
            self.evidence.truncate(Evidence::MAX_FRAMES);
        }
        if self.targets.len() < MAX_TARGETS || self.targets.contains_key(&k.dst) {
            let t = self.targets.entry(k.dst).or_default();
            if t.ports.len() < 1 << 16 {
                t.ports.push(k.port);
            }
            if p.outcome == Outcome::Open && t.open.len() < 1 << 12 {
                t.open.push(k.port);
            }
        }
    }

    fn ports(&self) -> Vec<u16> {
        let mut v: Vec<u16> = self
            .targets
            .values()
            .flat_map(|t| t.ports.iter().copied())
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    fn max_ports_per_target(&self) -> usize {
        self.targets
            .values()
            .map(|t| t.ports.len())
            .max()
            .unwrap_or(0)
    }

    fn evidence_frames(&self) -> Vec<u64> {
        Evidence::new(self.evidence.clone(), 0, String::new()).frames
    }

    fn targets_sorted(&self) -> Vec<IpAddr> {
        let mut v: Vec<IpAddr> = self.targets.keys().copied().collect();
        v.sort_unstable();
        v
    }

    fn open_ports(&self) -> Vec<OpenPort> {
        let mut v: Vec<OpenPort> = self
            .targets
            .iter()
            .flat_map(|(a, t)| {
                t.open.iter().map(move |&port| OpenPort {
                    address: a.to_string(),
                    port,
                })
            })
            .collect();
        v.sort();
        v.dedup();
        v
    }
}

/// Probe statistics of one source, per kind of first contact.
#[derive(Debug, Clone, Default)]
pub struct SrcAgg {
    pub kinds: Vec<KindAgg>,
}

impl SrcAgg {
    /// Probes folded in, all kinds.
    pub fn probes(&self) -> u64 {
        self.kinds.iter().map(|a| a.probes).sum()
    }

    pub fn fold(&mut self, k: &ProbeKey, p: &Probe, th: &Thresholds) {
        // An ACK that opened a flow with more packets behind it is traffic
        // already under way when the capture started, not a probe.
        if p.kind == Kind::Ack && p.sends > 2 {
            return;
        }
        let i = match self.kinds.iter().position(|a| a.kind == p.kind) {
            Some(i) => i,
            None => {
                self.kinds.push(KindAgg::new(p.kind, p));
                self.kinds.len() - 1
            }
        };
        let a = &mut self.kinds[i];
        a.add(k, p);
        if matches!(p.kind, Kind::Syn | Kind::Udp) {
            a.trw += if p.outcome == Outcome::Open {
                th.trw_success_step()
            } else {
                th.trw_fail_step()
            };
            a.trw = a.trw.max(th.trw_lower());
            a.trw_max = a.trw_max.max(a.trw);
        }
    }
}

fn mitre_scan() -> Vec<Mitre> {
    mitre(&[
        ("T1046", "Network Service Discovery"),
        ("T1595.001", "Active Scanning: Scanning IP Blocks"),
    ])
}

fn mitre_sweep() -> Vec<Mitre> {
    mitre(&[
        ("T1018", "Remote System Discovery"),
        ("T1595.001", "Active Scanning: Scanning IP Blocks"),
    ])
}

fn topology(a: &KindAgg) -> &'static str {
    let n = a.targets.len();
    if n <= 1 {
        "vertical"
    } else if a.max_ports_per_target() <= 10 {
        "horizontal"
    } else {
        "block"
    }
}

fn list(addrs: &[IpAddr], max: usize) -> String {
    let mut s: Vec<String> = addrs.iter().take(max).map(|a| a.to_string()).collect();
    if addrs.len() > max {
        s.push(format!("… ({} in all)", addrs.len()));
    }
    s.join(", ")
}

fn tool_of(a: &KindAgg) -> Option<String> {
    let n = a.probes.max(1);
    let share = |i: usize| a.fp[i] as f64 / n as f64;
    if share(2) > 0.8 {
        Some("masscan (IP ID = destination ^ port ^ sequence on every probe)".into())
    } else if share(0) > 0.5 {
        Some("nmap (raw SYN probes: window 1024 and a lone MSS option)".into())
    } else if share(1) > 0.5 {
        Some("hping3 (window 512, no TCP options)".into())
    } else if share(4) > 0.5 {
        Some("nmap (echo requests without payload)".into())
    } else {
        None
    }
}

/// Scan and sweep findings of every source.
pub fn findings(sources: &Map<IpAddr, SrcAgg>, th: &Thresholds) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut srcs: Vec<(&IpAddr, &SrcAgg)> = sources.iter().collect();
    srcs.sort_by_key(|(a, _)| **a);
    for (src, agg) in &srcs {
        source_findings(**src, agg, th, &mut out);
    }
    distributed(&srcs, th, &mut out);
    out
}

/// Several sources, none a scanner on its own, probing the same host on
/// many different ports and mostly failing: one scan split across sources
/// (nmap's decoys, a botnet, scanning services).
fn distributed(srcs: &[(&IpAddr, &SrcAgg)], th: &Thresholds, out: &mut Vec<Finding>) {
    let flagged = |src: &IpAddr, dst: &IpAddr| {
        let (s, d) = (src.to_string(), dst.to_string());
        out.iter()
            .any(|f| f.attackers.contains(&s) && f.targets.contains(&d))
    };
    struct Part {
        src: IpAddr,
        ports: Vec<u16>,
        open: u64,
        first: i64,
        last: i64,
        frames: Vec<u64>,
    }
    let mut per_target: BTreeMap<IpAddr, Vec<Part>> = BTreeMap::new();
    for (src, agg) in srcs {
        let Some(a) = agg.kinds.iter().find(|a| a.kind == Kind::Syn) else {
            continue;
        };
        for (dst, t) in a.targets.iter() {
            if flagged(src, dst) {
                continue;
            }
            per_target.entry(*dst).or_default().push(Part {
                src: **src,
                ports: t.ports.clone(),
                open: t.open.len() as u64,
                first: a.first_ts,
                last: a.last_ts,
                frames: a.evidence_frames(),
            });
        }
    }
    let min_sources = 5;
    for (dst, parts) in per_target {
        if parts.len() < min_sources {
            continue;
        }
        let mut ports: Vec<u16> = parts.iter().flat_map(|p| p.ports.iter().copied()).collect();
        let probes = ports.len() as u64;
        ports.sort_unstable();
        ports.dedup();
        let open: u64 = parts.iter().map(|p| p.open).sum();
        // Many distinct ports, mostly failing; a popular service (many
        // clients, one port) is not a scan.
        if (ports.len() as u64) < 4 * th.scan_min_probes || open * 2 >= probes {
            continue;
        }
        let first = parts.iter().map(|p| p.first).min().unwrap_or(0);
        let last = parts.iter().map(|p| p.last).max().unwrap_or(0);
        let mut f = base_finding("tcp_syn_scan", Severity::Medium, first, last, probes);
        let mut attackers: Vec<IpAddr> = parts.iter().map(|p| p.src).collect();
        attackers.sort_unstable();
        f.attackers = attackers.iter().map(|a| a.to_string()).collect();
        f.targets = vec![dst.to_string()];
        f.topology = Some("distributed");
        f.technique = Some("TCP SYN, split across sources".into());
        f.title = format!(
            "Distributed port scan of {dst} by {} sources: {} port(s)",
            attackers.len(),
            ports.len()
        );
        f.ports_probed = Some(PortsProbed {
            protocol: "tcp",
            count: ports.len() as u64,
            ranges: port_ranges(&ports),
        });
        f.confidence = 0.7;
        f.confidence_reason = format!(
            "{} sources, none a scanner alone, probed {} distinct ports of {dst} ({} of {probes} probes answered open; thresholds: {min_sources} sources, {} ports)",
            attackers.len(),
            ports.len(),
            open,
            4 * th.scan_min_probes
        );
        f.counters.insert("sources", attackers.len() as f64);
        f.counters.insert("probes", probes as f64);
        f.thresholds
            .insert("distributed_min_sources", min_sources as f64);
        f.thresholds
            .insert("distributed_min_ports", (4 * th.scan_min_probes) as f64);
        let ipf = ip_field(dst);
        f.evidence = Evidence::new(
            parts
                .iter()
                .flat_map(|p| p.frames.iter().copied())
                .collect(),
            probes,
            format!("{ipf}.dst == {dst} && tcp.flags.syn == 1 && tcp.flags.ack == 0"),
        );
        f.mitre = mitre_scan();
        f.explanation = format!(
            "{} hosts each sent a few SYNs to {dst}; together they covered {} different ports and almost all failed. Spreading a scan over sources keeps each below per-source thresholds; the ports probed are one list split between them.",
            attackers.len(),
            ports.len()
        );
        f.advice = "Block the listed sources, and alert on many sources failing against one host (per-destination rate limits); expose only the ports that must be reachable.".into();
        out.push(f);
    }
}

fn source_findings(src: IpAddr, agg: &SrcAgg, th: &Thresholds, out: &mut Vec<Finding>) {
    let ipf = ip_field(src);

    // Host discovery: echo/timestamp/ARP, and TCP to one or two ports of many hosts.
    let mut sweep_hosts: BTreeMap<IpAddr, ()> = BTreeMap::new();
    let mut echo_hosts = 0;
    let mut arp_hosts = 0usize;
    let mut arp_unanswered = 0u64;
    let mut sweep_kinds: Vec<&KindAgg> = Vec::new();
    for a in &agg.kinds {
        match a.kind {
            Kind::Echo | Kind::Timestamp => {
                echo_hosts += a.targets.len();
                sweep_kinds.push(a);
            }
            Kind::Arp => {
                arp_hosts += a.targets.len();
                arp_unanswered += a.unanswered;
                sweep_kinds.push(a);
            }
            _ => continue,
        }
        for t in a.targets.keys() {
            sweep_hosts.insert(*t, ());
        }
    }
    // Host discovery probes the ports nmap -PS/-PA/-sn use (80, 443) or
    // sends bare ACKs; SYNs to other ports across many hosts look for a
    // service (SSH, RDP, SMB …) and are a horizontal scan. Most probes must
    // fail: a browser also connects to port 443 of many hosts.
    let tcp_ping = |a: &KindAgg| {
        let ports = a.ports();
        matches!(a.kind, Kind::Syn | Kind::Ack)
            && ports.len() <= 2
            && (a.kind == Kind::Ack || ports.iter().all(|p| matches!(p, 80 | 443)))
            && a.targets.len() as u64 >= th.sweep_min_hosts
            && a.open * 2 < a.probes
    };
    let is_ping_sweep = echo_hosts > 0 && sweep_hosts.len() as u64 >= th.sweep_min_hosts;
    let is_arp_sweep = !is_ping_sweep
        && arp_hosts as u64 >= th.sweep_min_hosts
        && arp_unanswered * 2 >= arp_hosts as u64;
    if is_ping_sweep || is_arp_sweep {
        let mut kinds = sweep_kinds.clone();
        if is_ping_sweep {
            kinds.extend(agg.kinds.iter().filter(|a| tcp_ping(a)));
        }
        out.push(sweep_finding(src, &kinds, is_ping_sweep, &sweep_hosts, th));
    }

    let before = out.len();
    for a in &agg.kinds {
        let trw_ok = a.trw_max >= th.trw_upper();
        let lambda = a.trw_max.exp();
        let trw_reason = format!(
            "Threshold Random Walk: likelihood ratio {} against a threshold of {:.0} ({} failed and {} successful first contacts)",
            if lambda > 1e6 {
                "above a million".to_string()
            } else {
                format!("{lambda:.0}")
            },
            th.trw_upper().exp(),
            a.probes - a.open,
            a.open
        );
        let trw_conf = (1.0 - 1.0 / lambda.max(1.0)).clamp(0.5, 0.99);
        let ports = a.ports();
        let topo = topology(a);
        let targets = a.targets_sorted();
        let (class, technique, severity, conf, reason, explanation, advice, filter_flags): (
            &'static str,
            String,
            Severity,
            f64,
            String,
            String,
            String,
            String,
        ) = match a.kind {
            Kind::Syn | Kind::Ack if tcp_ping(a) => {
                if is_ping_sweep {
                    continue;
                }
                let class = "tcp_ping_sweep";
                let what = if a.kind == Kind::Syn { "SYN" } else { "ACK" };
                (
                    class,
                    format!("TCP {what} ping to port {}", port_ranges(&ports)),
                    Severity::Low,
                    0.8,
                    format!("{} hosts probed on {} port(s) (threshold {})", a.targets.len(), ports.len(), th.sweep_min_hosts),
                    format!(
                        "{src} sent TCP {what} segments to port {} of {} hosts: a live host answers SYN-ACK or RST, so this maps which addresses are in use (nmap -P{})",
                        port_ranges(&ports),
                        a.targets.len(),
                        if a.kind == Kind::Syn { "S" } else { "A" }
                    ),
                    "Filter inbound TCP to unused addresses at the perimeter and alert on one source touching many hosts.".into(),
                    if a.kind == Kind::Syn { "tcp.flags.syn == 1 && tcp.flags.ack == 0".into() } else { "tcp.flags == 0x010".into() },
                )
            }
            Kind::Syn => {
                if a.probes < th.scan_min_probes || !trw_ok {
                    continue;
                }
                let connect = a.completed > a.half_open
                    || (a.completed == 0
                        && a.half_open == 0
                        && a.fp[3] * 2 > a.probes
                        && a.fp[0] == 0);
                let (class, technique, expl) = if connect {
                    (
                        "tcp_connect_scan",
                        "TCP connect() (full handshakes)".to_string(),
                        format!(
                            "{src} opened full TCP connections to {} port(s) and closed them without sending data: a connect() scan. {} closed port(s) answered RST,ACK{}.",
                            ports.len(),
                            a.closed,
                            if a.open > 0 {
                                format!("; {} port(s) completed the handshake and are open", a.open)
                            } else {
                                String::new()
                            }
                        ),
                    )
                } else {
                    ("tcp_syn_scan", "TCP SYN (half-open)".to_string(), {
                        let mut parts = Vec::new();
                        if a.half_open > 0 {
                            parts.push(format!(
                                    "after each of the {} SYN-ACKs the scanner reset the connection at once instead of completing it",
                                    a.half_open
                                ));
                        }
                        if a.closed > 0 {
                            parts.push(format!("{} closed port(s) answered RST,ACK", a.closed));
                        }
                        if a.unanswered + a.filtered > 0 {
                            parts.push(format!(
                                "{} probe(s) got no answer or an ICMP error (filtered)",
                                a.unanswered + a.filtered
                            ));
                        }
                        format!(
                            "{src} sent SYNs to {} port(s); {}. No data was ever sent: a half-open SYN scan.",
                            ports.len(),
                            parts.join("; ")
                        )
                    })
                };
                let open = a.open_ports();
                let adv = if open.is_empty() {
                    "No port answered. Keep the default-deny policy, alert on sources probing many ports, and check what else this source did.".to_string()
                } else {
                    format!(
                        "Port(s) {} answered: close what needs no exposure and restrict the rest to the clients that need them (host firewall or ACL); rate-limit or block {src} at the perimeter.",
                        open.iter()
                            .map(|p| if a.targets.len() == 1 {
                                p.port.to_string()
                            } else {
                                format!("{}:{}", p.address, p.port)
                            })
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                };
                (
                    class,
                    technique,
                    Severity::Medium,
                    trw_conf,
                    trw_reason.clone(),
                    expl,
                    adv,
                    "tcp.flags.syn == 1 && tcp.flags.ack == 0".into(),
                )
            }
            Kind::Udp => {
                if a.probes < th.scan_min_probes || !trw_ok {
                    continue;
                }
                let expl = format!(
                    "{src} sent UDP datagrams to {} port(s); {} were answered with ICMP port unreachable (closed), {} got no answer (open or filtered) and {} got a UDP reply (open).",
                    ports.len(),
                    a.closed,
                    a.unanswered + a.filtered,
                    a.open
                );
                (
                    "udp_scan",
                    "UDP".into(),
                    Severity::Medium,
                    trw_conf,
                    trw_reason.clone(),
                    expl,
                    "Close UDP services that need no exposure, rate-limit ICMP unreachable messages, and block the source at the perimeter.".into(),
                    "udp".into(),
                )
            }
            Kind::Fin | Kind::Null | Kind::Xmas | Kind::Maimon | Kind::Ack => {
                if a.probes < th.stealth_min_probes {
                    continue;
                }
                let (class, name, flags, filt) = match a.kind {
                    Kind::Fin => ("tcp_fin_scan", "FIN", "a bare FIN", "tcp.flags == 0x001"),
                    Kind::Null => (
                        "tcp_null_scan",
                        "NULL",
                        "no flag at all",
                        "tcp.flags == 0x000",
                    ),
                    Kind::Xmas => ("tcp_xmas_scan", "Xmas", "FIN+PSH+URG", "tcp.flags == 0x029"),
                    Kind::Maimon => (
                        "tcp_maimon_scan",
                        "Maimon",
                        "FIN+ACK outside any connection",
                        "tcp.flags == 0x011",
                    ),
                    _ if a.rst_win_nonzero > 0 && a.rst_win_zero > 0 => (
                        "tcp_window_scan",
                        "window",
                        "a bare ACK outside any connection",
                        "tcp.flags == 0x010",
                    ),
                    _ => (
                        "tcp_ack_scan",
                        "ACK",
                        "a bare ACK outside any connection",
                        "tcp.flags == 0x010",
                    ),
                };
                let expl = if matches!(a.kind, Kind::Ack) {
                    format!(
                        "{src} sent {flags} to {} port(s). Such segments only draw a RST from hosts that are reachable: {} port(s) answered RST (unfiltered){} and {} stayed silent (filtered). This maps firewall rules rather than open ports.",
                        ports.len(),
                        a.closed,
                        if class == "tcp_window_scan" {
                            format!(", {} of them with a non-zero window", a.rst_win_nonzero)
                        } else {
                            String::new()
                        },
                        a.unanswered + a.filtered
                    )
                } else {
                    format!(
                        "{src} sent segments with {flags} to {} port(s). No TCP stack opens a connection that way: closed ports answer RST ({}), open or filtered ones stay silent ({}). A {name} scan slips past filters that only watch SYNs.",
                        ports.len(),
                        a.closed,
                        a.unanswered + a.filtered
                    )
                };
                (
                    class,
                    format!("TCP {name}"),
                    Severity::Medium,
                    0.95,
                    format!("{} distinct (host, port) probes with {flags} (threshold {})", a.probes, th.stealth_min_probes),
                    expl,
                    "Use a stateful firewall that drops segments outside known connections, and block the source.".into(),
                    filt.into(),
                )
            }
            Kind::IpProto => {
                if (ports.len() as u64) < th.ipproto_min_protocols {
                    continue;
                }
                (
                    "ip_protocol_scan",
                    "IP protocol scan".into(),
                    Severity::Medium,
                    0.95,
                    format!("{} distinct IP protocol numbers probed (threshold {})", ports.len(), th.ipproto_min_protocols),
                    format!(
                        "{src} sent bare IP packets with {} different protocol numbers; {} drew an ICMP protocol unreachable (not supported). This lists which protocols (GRE, ESP, SCTP, …) the target's stack accepts (nmap -sO).",
                        ports.len(),
                        a.closed
                    ),
                    "Drop IP protocols the host does not use at the perimeter and rate-limit ICMP unreachable messages.".into(),
                    "!tcp && !udp && !icmp".into(),
                )
            }
            Kind::Odd => {
                if a.probes < th.service_probe_min || ports.len() > 3 {
                    continue;
                }
                (
                    "service_probe",
                    "OS fingerprinting (TCP segments with unusual flag combinations)".into(),
                    Severity::Low,
                    0.8,
                    format!("{} probes with flag combinations no stack uses to connect", a.probes),
                    format!(
                        "{src} sent {} TCP segments with unusual flag combinations (SYN+FIN, ECN bits, …) to port {}: the probes an OS-detection run (nmap -O) uses to tell operating systems apart.",
                        a.probes,
                        port_ranges(&ports)
                    ),
                    "Expected only from your own scanners; otherwise block the source and check what the target exposes.".into(),
                    "tcp.flags.syn == 1 && tcp.flags.fin == 1 || tcp.flags.ecn == 1 && tcp.flags.cwr == 1".into(),
                )
            }
            Kind::Echo | Kind::Timestamp | Kind::Arp => continue,
        };
        let mut f = base_finding(class, severity, a.first_ts, a.last_ts, a.probes);
        f.title = match class {
            "tcp_ping_sweep" => format!("TCP ping sweep of {} hosts by {src}", targets.len()),
            "ip_protocol_scan" => format!(
                "IP protocol scan of {} by {src}: {} protocols",
                list(&targets, 3),
                ports.len()
            ),
            "service_probe" => format!("OS fingerprinting of {} by {src}", list(&targets, 3)),
            _ => format!(
                "{} port scan of {} by {src}: {} port(s){}",
                technique.split(" (").next().unwrap_or(&technique),
                if targets.len() == 1 {
                    targets[0].to_string()
                } else {
                    format!("{} hosts", targets.len())
                },
                ports.len(),
                if matches!(class, "tcp_syn_scan" | "tcp_connect_scan" | "udp_scan") {
                    format!(", {} open", a.open_ports().len())
                } else {
                    String::new()
                }
            ),
        };
        f.confidence = conf;
        f.confidence_reason = reason;
        f.attackers = vec![src.to_string()];
        f.targets = targets.iter().map(|t| t.to_string()).collect();
        f.technique = Some(technique);
        f.topology = Some(topo);
        let proto = match a.kind {
            Kind::Udp => "udp",
            Kind::IpProto => "ip",
            _ => "tcp",
        };
        f.ports_probed = Some(PortsProbed {
            protocol: proto,
            count: ports.len() as u64,
            ranges: port_ranges(&ports),
        });
        match a.kind {
            Kind::Syn | Kind::Udp => {
                f.open_ports = Some(a.open_ports());
                f.closed_ports = Some(a.closed);
                f.filtered_ports = Some(a.filtered + a.unanswered);
            }
            Kind::Fin | Kind::Null | Kind::Xmas | Kind::Maimon => {
                f.closed_ports = Some(a.closed);
                f.filtered_ports = Some(a.filtered + a.unanswered);
            }
            _ => {}
        }
        f.tool = tool_of(a);
        f.counters.insert("probes", a.probes as f64);
        f.counters.insert("targets", targets.len() as f64);
        f.counters.insert("answered_open", a.open as f64);
        f.counters.insert("answered_closed", a.closed as f64);
        f.counters
            .insert("unanswered", (a.unanswered + a.filtered) as f64);
        if matches!(a.kind, Kind::Syn | Kind::Udp) {
            f.counters.insert("trw_log_likelihood_ratio", a.trw_max);
            f.counters.insert("half_open", a.half_open as f64);
            f.counters
                .insert("completed_handshakes", a.completed as f64);
            f.thresholds
                .insert("scan_min_probes", th.scan_min_probes as f64);
            f.thresholds.insert("trw_upper_ratio", th.trw_upper().exp());
        } else if class == "tcp_ping_sweep" {
            f.thresholds
                .insert("sweep_min_hosts", th.sweep_min_hosts as f64);
        } else if class == "ip_protocol_scan" {
            f.thresholds
                .insert("ipproto_min_protocols", th.ipproto_min_protocols as f64);
        } else if class == "service_probe" {
            f.thresholds
                .insert("service_probe_min", th.service_probe_min as f64);
        } else {
            f.thresholds
                .insert("stealth_min_probes", th.stealth_min_probes as f64);
        }
        let filter = format!(
            "{ipf}.src == {src}{} && {}",
            dst_clause(ipf, &targets),
            paren(&filter_flags)
        );
        f.evidence = Evidence {
            frames: a.evidence_frames(),
            total: a.probes,
            filter,
        };
        f.mitre = if class == "tcp_ping_sweep" {
            mitre_sweep()
        } else {
            mitre_scan()
        };
        if class == "service_probe" {
            f.mitre = mitre(&[
                ("T1082", "System Information Discovery"),
                ("T1046", "Network Service Discovery"),
            ]);
        }
        f.explanation = explanation;
        f.advice = advice;
        f.rate = per_second(a.probes, a.last_ts - a.first_ts);
        out.push(f);
    }
    if !out[before..].iter().any(|f| {
        f.attackers.first().is_some_and(|a| *a == src.to_string()) && f.class.starts_with("tcp_")
    }) {
        mixed_flags(src, agg, th, out);
    }
}

/// Small runs of several stealth techniques (a few FIN, a few NULL, a few
/// Xmas …) add up to a scan even when no single technique reaches the threshold.
fn mixed_flags(src: IpAddr, agg: &SrcAgg, th: &Thresholds, out: &mut Vec<Finding>) {
    let stealth: Vec<&KindAgg> = agg
        .kinds
        .iter()
        .filter(|a| {
            matches!(
                a.kind,
                Kind::Fin | Kind::Null | Kind::Xmas | Kind::Maimon | Kind::Ack | Kind::Odd
            )
        })
        .collect();
    let total: u64 = stealth.iter().map(|a| a.probes).sum();
    // Two stealth techniques from one source never happen by accident; the
    // SYN probes of the same run count towards the threshold with them.
    let syn = agg.kinds.iter().find(|a| a.kind == Kind::Syn);
    let with_syn = total + syn.map_or(0, |a| a.probes);
    if stealth.len() < 2 || with_syn < th.stealth_min_probes {
        return;
    }
    let main = stealth
        .iter()
        .max_by_key(|a| (a.probes, std::cmp::Reverse(a.kind)))
        .expect("two kinds");
    let class = match main.kind {
        Kind::Fin => "tcp_fin_scan",
        Kind::Null => "tcp_null_scan",
        Kind::Xmas => "tcp_xmas_scan",
        Kind::Maimon => "tcp_maimon_scan",
        Kind::Ack => "tcp_ack_scan",
        _ => "tcp_xmas_scan",
    };
    let name = |k: Kind| match k {
        Kind::Fin => "FIN",
        Kind::Null => "NULL",
        Kind::Xmas => "Xmas",
        Kind::Maimon => "FIN+ACK",
        Kind::Ack => "ACK",
        _ => "odd flags",
    };
    let mut targets: Vec<IpAddr> = stealth
        .iter()
        .flat_map(|a| a.targets.keys().copied())
        .collect();
    targets.sort_unstable();
    targets.dedup();
    let mut ports: Vec<u16> = stealth.iter().flat_map(|a| a.ports()).collect();
    ports.sort_unstable();
    ports.dedup();
    let mut parts: Vec<String> = stealth
        .iter()
        .map(|a| format!("{} {}", a.probes, name(a.kind)))
        .collect();
    if let Some(a) = syn {
        parts.insert(0, format!("{} SYN", a.probes));
        targets.extend(a.targets.keys().copied());
        ports.extend(a.ports());
        targets.sort_unstable();
        targets.dedup();
        ports.sort_unstable();
        ports.dedup();
    }
    let first = stealth.iter().map(|a| a.first_ts).min().unwrap_or(0);
    let last = stealth.iter().map(|a| a.last_ts).max().unwrap_or(0);
    let mut f = base_finding(class, Severity::Medium, first, last, total);
    f.title = format!(
        "Mixed-flag port scan of {} by {src}: {} port(s)",
        list(&targets, 3),
        ports.len()
    );
    f.technique = Some(format!("mixed TCP flag probes ({})", parts.join(", ")));
    f.topology = Some(if targets.len() <= 1 {
        "vertical"
    } else {
        "horizontal"
    });
    f.attackers = vec![src.to_string()];
    f.targets = targets.iter().map(|t| t.to_string()).collect();
    f.ports_probed = Some(PortsProbed {
        protocol: "tcp",
        count: ports.len() as u64,
        ranges: port_ranges(&ports),
    });
    let closed: u64 = stealth.iter().map(|a| a.closed).sum();
    f.closed_ports = Some(closed);
    f.confidence = 0.85;
    f.confidence_reason = format!(
        "{total} probes with flags no connection opens with, {} techniques, {with_syn} probes in all (threshold {})",
        stealth.len(),
        th.stealth_min_probes
    );
    f.counters.insert("probes", with_syn as f64);
    f.thresholds
        .insert("stealth_min_probes", th.stealth_min_probes as f64);
    f.explanation = format!(
        "{src} probed {} port(s) with {}: segments no TCP stack sends to open a connection. Trying several flag combinations on the same ports is how a scanner learns which ones a firewall lets through; {closed} drew a RST.",
        ports.len(),
        parts.join(", ")
    );
    f.advice = "Use a stateful firewall that drops segments outside known connections, and block the source.".into();
    let ipf = ip_field(src);
    f.evidence = Evidence::new(
        stealth
            .iter()
            .flat_map(|a| a.evidence.iter().copied())
            .collect(),
        total,
        format!(
            "{ipf}.src == {src}{} && tcp.flags.syn == 0 && tcp.flags.reset == 0",
            dst_clause(ipf, &targets)
        ),
    );
    f.mitre = mitre_scan();
    out.push(f);
}

fn paren(s: &str) -> String {
    if s.contains("||") {
        format!("({s})")
    } else {
        s.to_string()
    }
}

fn sweep_finding(
    src: IpAddr,
    kinds: &[&KindAgg],
    ping: bool,
    hosts: &BTreeMap<IpAddr, ()>,
    th: &Thresholds,
) -> Finding {
    let first = kinds.iter().map(|a| a.first_ts).min().unwrap_or(0);
    let last = kinds.iter().map(|a| a.last_ts).max().unwrap_or(0);
    let probes: u64 = kinds.iter().map(|a| a.probes).sum();
    let class = if ping { "ping_sweep" } else { "arp_sweep" };
    let mut f = base_finding(class, Severity::Low, first, last, probes);
    let targets: Vec<IpAddr> = hosts.keys().copied().collect();
    let alive: Vec<IpAddr> = {
        let mut v: Vec<IpAddr> = kinds
            .iter()
            .flat_map(|a| {
                a.targets
                    .iter()
                    .filter(|(_, t)| !t.open.is_empty())
                    .map(|(h, _)| *h)
            })
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let mut parts = Vec::new();
    for a in kinds {
        let name = match a.kind {
            Kind::Echo => "ICMP echo",
            Kind::Timestamp => "ICMP timestamp",
            Kind::Arp => "ARP who-has",
            Kind::Syn => "TCP SYN",
            Kind::Ack => "TCP ACK",
            _ => "other",
        };
        parts.push(format!("{name} to {} host(s)", a.targets.len()));
    }
    f.title = format!(
        "{} of {} addresses by {src}: {} answered",
        if ping { "Ping sweep" } else { "ARP sweep" },
        targets.len(),
        alive.len()
    );
    f.technique = Some(parts.join(", "));
    f.topology = Some("horizontal");
    f.attackers = vec![src.to_string()];
    f.targets = targets.iter().map(|t| t.to_string()).collect();
    f.confidence = 0.9;
    f.confidence_reason = format!(
        "{} distinct addresses probed (threshold {})",
        targets.len(),
        th.sweep_min_hosts
    );
    f.counters.insert("hosts_probed", targets.len() as f64);
    f.counters.insert("hosts_answered", alive.len() as f64);
    f.thresholds
        .insert("sweep_min_hosts", th.sweep_min_hosts as f64);
    let arp = kinds.iter().find(|a| a.kind == Kind::Arp);
    f.explanation = if ping {
        format!(
            "{src} looked for live hosts among {} addresses: {}. {} answered.{}",
            targets.len(),
            parts.join(", "),
            alive.len(),
            match arp {
                Some(a) if a.unanswered > 0 => format!(
                    " Addresses with no host only saw ARP requests ({} unanswered): the echo request could not even be sent to them.",
                    a.unanswered
                ),
                _ => String::new(),
            }
        )
    } else {
        format!(
            "{src} asked ARP for {} addresses of its segment; {} answered. Walking a subnet with ARP finds every live host, even those that drop pings (nmap -PR, arp-scan).",
            targets.len(),
            alive.len()
        )
    };
    f.advice = if ping {
        "Expected from inventory tools only: confirm the source is one, else isolate it; drop ICMP echo from untrusted networks at the perimeter.".into()
    } else {
        "Expected from inventory tools only: confirm the source is one, else isolate it (switch port security, 802.1X).".into()
    };
    f.tool = kinds
        .iter()
        .find(|a| a.kind == Kind::Echo)
        .and_then(|a| tool_of(a));
    let ipf = ip_field(src);
    f.evidence = Evidence::new(
        kinds
            .iter()
            .flat_map(|a| a.evidence.iter().copied())
            .collect(),
        probes,
        if ping {
            let icmp = if src.is_ipv4() {
                "icmp.type == 8"
            } else {
                "icmpv6.type == 128"
            };
            match src {
                IpAddr::V4(_) => format!(
                    "{ipf}.src == {src} && {icmp} || arp.opcode == 1 && arp.src.proto_ipv4 == {src}"
                ),
                IpAddr::V6(_) => format!("{ipf}.src == {src} && {icmp}"),
            }
        } else {
            format!("arp.opcode == 1 && arp.src.proto_ipv4 == {src}")
        },
    );
    f.mitre = mitre_sweep();
    f.rate = per_second(probes, last - first);
    f
}
