//! From the folded state to the report: floods, brute force, service
//! probing, ARP spoofing, reset verdicts and benign notes (scans live in
//! `scan.rs`), plus the capture summary.

use std::collections::BTreeMap;
use std::net::IpAddr;

use wirehunt_dissect::tcp::flags::ACK;

use crate::config::Thresholds;
use crate::model::{
    Evidence, Finding, Mitre, Note, Report, ResetEvent, Severity, Summary, Verdict, iso_time, mitre,
};
use crate::state::{BaseVerdict, Kind, ResetRec, State, login_service};

pub fn secs(ns: i64) -> f64 {
    ns as f64 / 1e9
}

/// Events per second over `ns`; 0 when they all fell in one instant.
pub fn per_second(n: u64, ns: i64) -> f64 {
    if ns > 0 { n as f64 / secs(ns) } else { 0.0 }
}

/// `ip` or `ipv6`, the display-filter prefix for an address.
pub fn ip_field(a: IpAddr) -> &'static str {
    if a.is_ipv4() { "ip" } else { "ipv6" }
}

/// ` && ip.dst == X` or ` && ip.dst in {X Y}` (nothing past 16 targets).
pub fn dst_clause(ipf: &str, targets: &[IpAddr]) -> String {
    match targets {
        [] => String::new(),
        [t] => format!(" && {ipf}.dst == {t}"),
        ts if ts.len() <= 16 => format!(
            " && {ipf}.dst in {{{}}}",
            ts.iter()
                .map(|t| t.to_string())
                .collect::<Vec<_>>()
                .join(" ")
        ),
        _ => String::new(),
    }
}

/// A finding with its time fields set and everything else empty.
pub fn base_finding(
    class: &'static str,
    severity: Severity,
    first: i64,
    last: i64,
    n: u64,
) -> Finding {
    let dur = secs(last - first);
    Finding {
        class,
        title: String::new(),
        severity,
        confidence: 0.0,
        confidence_reason: String::new(),
        attackers: Vec::new(),
        attackers_spoofed: false,
        distinct_sources: None,
        attacker_macs: Vec::new(),
        targets: Vec::new(),
        technique: None,
        topology: None,
        ports_probed: None,
        open_ports: None,
        closed_ports: None,
        filtered_ports: None,
        first_seen: iso_time(first),
        last_seen: iso_time(last),
        first_ts: secs(first),
        duration_s: dur,
        rate: per_second(n, last - first),
        tool: None,
        counters: BTreeMap::new(),
        thresholds: BTreeMap::new(),
        evidence: Evidence {
            frames: Vec::new(),
            total: 0,
            filter: String::new(),
        },
        mitre: Vec::new(),
        explanation: String::new(),
        advice: String::new(),
    }
}

pub fn build(mut st: State) -> Report {
    st.drain();
    let th = st.cfg.thresholds.clone();
    let mut findings = crate::scan::findings(&st.sources, &th);
    flood_findings(&st, &th, &mut findings);
    brute_findings(&st, &th, &mut findings);
    service_findings(&st, &th, &mut findings);
    arp_findings(&st, &mut findings);
    tunnel_findings(&st, &mut findings);
    let resets = judge(&st.resets);
    reset_findings(&st.resets, &resets, &mut findings);
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.first_ts.total_cmp(&b.first_ts))
            .then(a.class.cmp(b.class))
    });
    let notes = notes(&st.resets, &resets, &findings);
    let summary = summary(&st, &resets);
    Report {
        summary,
        findings,
        notes,
        resets,
    }
}

// ---- floods ---------------------------------------------------------------

fn flood_findings(st: &State, th: &Thresholds, out: &mut Vec<Finding>) {
    let mut keys: Vec<_> = st.floods.keys().copied().collect();
    keys.sort_unstable();
    for key in keys {
        let (dst, port, reflected) = key;
        let f = &st.floods[&key];
        let dur = secs(f.last_ts - f.first_ts);
        let rate = per_second(f.syns, f.last_ts - f.first_ts);
        let completion = f.completed as f64 / f.syns.max(1) as f64;
        let sources = f.sources.count();
        if reflected {
            if f.syns < th.reflect_min_synacks || sources < th.reflect_min_sources {
                continue;
            }
        } else if f.syns < th.flood_min_syns
            || rate < th.flood_min_rate
            || completion > th.flood_max_completion
        {
            continue;
        }
        let spoofed = sources > th.flood_spoofed_sources;
        let sev = if reflected {
            Severity::Medium
        } else {
            Severity::High
        };
        let mut g = base_finding("syn_flood", sev, f.first_ts, f.last_ts, f.syns);
        g.targets = vec![dst.to_string()];
        g.distinct_sources = Some(sources);
        let top_mac = f
            .macs
            .iter()
            .max_by_key(|(_, n)| *n)
            .filter(|(_, n)| *n * 10 >= f.syns * 9);
        if reflected {
            g.attackers_spoofed = true;
        } else if spoofed {
            g.attackers_spoofed = true;
            if let Some((m, _)) = top_mac {
                g.attacker_macs = vec![m.to_string()];
            }
        } else if let Some(ex) = f.sources.exact() {
            let mut v: Vec<_> = ex
                .iter()
                .filter(|(_, n)| *n * 20 >= f.syns)
                .map(|(a, _)| *a)
                .collect();
            v.sort_unstable();
            g.attackers = v.iter().map(|a| a.to_string()).collect();
        }
        let ipf = ip_field(dst);
        g.counters.insert("distinct_sources", sources as f64);
        g.counters.insert("rate_per_s", rate);
        g.rate = rate;
        g.mitre = mitre(&[
            (
                "T1499.001",
                "Endpoint Denial of Service: OS Exhaustion Flood",
            ),
            (
                "T1498.001",
                "Network Denial of Service: Direct Network Flood",
            ),
        ]);
        if reflected {
            g.technique = Some("TCP SYN-ACK reflection (backscatter)".into());
            g.title = format!(
                "TCP reflection attack on {dst}: {} unsolicited SYN-ACKs from {sources} reflectors",
                f.syns
            );
            g.confidence = 0.8;
            g.confidence_reason = format!(
                "{} SYN-ACKs answering no SYN of {dst} (threshold {}) from {sources} sources (threshold {})",
                f.syns, th.reflect_min_synacks, th.reflect_min_sources
            );
            g.counters.insert("unsolicited_syn_acks", f.syns as f64);
            g.thresholds
                .insert("reflect_min_synacks", th.reflect_min_synacks as f64);
            g.thresholds
                .insert("reflect_min_sources", th.reflect_min_sources as f64);
            g.evidence = Evidence {
                frames: f.evidence.clone(),
                total: f.syns,
                filter: format!("{ipf}.dst == {dst} && tcp.flags.syn == 1 && tcp.flags.ack == 1"),
            };
            g.mitre.push(Mitre {
                id: "T1498.002",
                name: "Network Denial of Service: Reflection Amplification",
            });
            g.explanation = format!(
                "{dst} received {} SYN-ACKs from {sources} different hosts without having sent a SYN to any of them: someone sent SYNs to those hosts with {dst} as the forged source, and their answers converge on {dst}. The true attacker does not appear in these packets.",
                f.syns
            );
            g.advice = "Drop unsolicited SYN-ACKs at the edge (stateful filtering), rate-limit per source, and ask upstream providers to filter; the reflectors are victims too.".into();
        } else {
            g.technique = Some("TCP SYN flood".into());
            g.title = format!(
                "SYN flood against {dst}:{port}: {} SYNs at {:.0}/s from {}",
                f.syns,
                rate,
                if spoofed {
                    format!("{sources} spoofed sources")
                } else {
                    g.attackers.join(", ")
                }
            );
            g.confidence = if completion < 0.01 { 0.95 } else { 0.8 };
            g.confidence_reason = format!(
                "{} SYNs at {rate:.0}/s (thresholds {} and {}/s), {:.1}% of handshakes completed (at most {:.0}%)",
                f.syns,
                th.flood_min_syns,
                th.flood_min_rate,
                completion * 100.0,
                th.flood_max_completion * 100.0
            );
            g.counters.insert("syns", f.syns as f64);
            g.counters.insert("syn_acks", f.synacks as f64);
            g.counters.insert("untracked_answers", f.backscatter as f64);
            g.counters
                .insert("completed_handshakes", f.completed as f64);
            g.thresholds
                .insert("flood_min_syns", th.flood_min_syns as f64);
            g.thresholds.insert("flood_min_rate", th.flood_min_rate);
            g.thresholds
                .insert("flood_max_completion", th.flood_max_completion);
            g.thresholds
                .insert("flood_spoofed_sources", th.flood_spoofed_sources as f64);
            if f.fp[0] * 2 > f.syns {
                g.tool = Some("hping3 (window 512, no TCP options)".into());
            }
            g.evidence = Evidence {
                frames: f.evidence.clone(),
                total: f.syns,
                filter: format!(
                    "{ipf}.dst == {dst} && tcp.dstport == {port} && tcp.flags.syn == 1 && tcp.flags.ack == 0"
                ),
            };
            g.explanation = format!(
                "{dst}:{port} received {} SYNs in {:.1} s ({rate:.0}/s) and only {} handshake(s) completed: the half-open connections fill the server's backlog. {}",
                f.syns,
                dur,
                f.completed,
                if spoofed {
                    format!(
                        "The SYNs came from {sources} different addresses, so the sources are forged{}; the server's SYN-ACKs went to those addresses (backscatter).",
                        match top_mac {
                            Some((m, _)) => format!(
                                ", but {m} carried them all at layer 2: that MAC is the real sender on this segment"
                            ),
                            None => String::new(),
                        }
                    )
                } else {
                    format!("They came from {}.", g.attackers.join(", "))
                }
            );
            g.advice = "Enable SYN cookies (net.ipv4.tcp_syncookies=1), rate-limit SYNs per source at the edge, raise the backlog, and have upstream filtering ready (anti-spoofing BCP 38 where sources are forged).".into();
        }
        out.push(g);
    }
}

// ---- brute force ----------------------------------------------------------

fn brute_findings(st: &State, th: &Thresholds, out: &mut Vec<Finding>) {
    let mut keys: Vec<_> = st.brute.keys().copied().collect();
    keys.sort_unstable();
    for key in keys {
        let b = &st.brute[&key];
        let (client, server, port) = key;
        let Some(class) = login_service(port) else {
            continue;
        };
        let success = likely_success(b);
        let failed = b.short - u64::from(success.is_some_and(|s| s.short));
        let attempts = if port == 21 {
            failed.max(b.ftp_failures)
        } else {
            failed
        };
        if attempts < th.brute_min_attempts {
            continue;
        }
        let service = match port {
            21 => "FTP",
            22 => "SSH",
            23 => "Telnet",
            _ => "RDP",
        };
        let mut g = base_finding(class, Severity::High, b.first_ts, b.last_ts, attempts);
        let avg = b.short_bytes / b.short.max(1);
        if success.is_some() {
            g.severity = Severity::Critical;
        }
        g.attackers = vec![client.to_string()];
        g.targets = vec![server.to_string()];
        g.technique = Some(format!("{service} password guessing"));
        g.title = format!(
            "{service} brute force against {server} by {client}: {attempts} failed attempts{}",
            if success.is_some() {
                ", then a login that probably succeeded"
            } else {
                ""
            }
        );
        g.confidence = if attempts >= 2 * th.brute_min_attempts {
            0.9
        } else {
            0.75
        };
        g.confidence_reason = format!(
            "{attempts} short {service} sessions (or login failures) from one client (threshold {}); each ended within {} s with at most {} bytes",
            th.brute_min_attempts, th.brute_max_session_s, th.brute_max_session_bytes
        );
        g.counters.insert("sessions", b.sessions as f64);
        g.counters.insert("short_sessions", b.short as f64);
        g.counters.insert("failed_attempts", attempts as f64);
        g.counters.insert(
            "likely_successful_logins",
            f64::from(u8::from(success.is_some())),
        );
        if port == 21 {
            g.counters.insert("ftp_530_replies", b.ftp_failures as f64);
        }
        g.counters.insert("avg_bytes_per_attempt", avg as f64);
        g.thresholds
            .insert("brute_min_attempts", th.brute_min_attempts as f64);
        g.thresholds
            .insert("brute_max_session_s", th.brute_max_session_s);
        g.thresholds
            .insert("brute_max_session_bytes", th.brute_max_session_bytes as f64);
        let ipf = ip_field(client);
        g.evidence = Evidence {
            frames: b.evidence.clone(),
            total: b.short,
            filter: format!(
                "{ipf}.src == {client} && {ipf}.dst == {server} && tcp.dstport == {port} && tcp.flags.syn == 1 && tcp.flags.ack == 0"
            ),
        };
        g.mitre = mitre(&[("T1110.001", "Brute Force: Password Guessing")]);
        g.explanation = format!(
            "{client} opened {} {service} sessions to {server}:{port}; {failed} of them were short (about {avg} bytes each): one password tried and rejected per session{}.{}",
            b.sessions,
            if port == 21 && b.ftp_failures > 0 {
                format!(
                    ", and the server answered 530 (login incorrect) {} times",
                    b.ftp_failures
                )
            } else {
                String::new()
            },
            match success {
                Some(s) => format!(
                    " The session starting at frame {} had {} packets and {} bytes over {:.1} s, clearly more than the failures: a password probably worked. Treat the account as compromised.",
                    s.first_frame,
                    s.packets,
                    s.bytes,
                    secs(s.dur_ns)
                ),
                None => String::new(),
            }
        );
        g.advice = format!(
            "Lock out or slow down after a few failures (fail2ban, MaxAuthTries), require MFA or keys instead of passwords for {service}, restrict {service} to trusted networks, and block {client}.{}",
            if success.is_some() {
                " Reset the password of the account that logged in and review what the session did."
            } else {
                ""
            }
        );
        out.push(g);
    }
}

/// A session clearly bigger than the typical failure, once the guessing
/// has started: after a failed password the server closes; after a good
/// one the session goes on (a shell, a command, a transfer).
fn likely_success(b: &crate::state::BruteAgg) -> Option<crate::state::Session> {
    let mut pk: Vec<u32> = b
        .detail
        .iter()
        .filter(|s| s.short)
        .map(|s| s.packets)
        .collect();
    if pk.len() < 3 {
        return None;
    }
    pk.sort_unstable();
    let median = pk[pk.len() / 2];
    let bar = median + (median / 3).max(8);
    let first_failure = b.detail.iter().find(|s| s.short)?.first_frame;
    b.detail
        .iter()
        .find(|s| s.first_frame > first_failure && (s.packets >= bar || !s.short))
        .copied()
}

fn service_findings(st: &State, th: &Thresholds, out: &mut Vec<Finding>) {
    let mut keys: Vec<_> = st.service.keys().copied().collect();
    keys.sort_unstable();
    for key in keys {
        let s = &st.service[&key];
        if s.requests < th.service_probe_min {
            continue;
        }
        let (client, server, port) = key;
        let mut g = base_finding(
            "service_probe",
            Severity::Low,
            s.first_ts,
            s.last_ts,
            s.requests,
        );
        g.attackers = vec![client.to_string()];
        g.targets = vec![server.to_string()];
        g.technique = Some("service and version probing (scripted HTTP requests)".into());
        g.topology = Some("vertical");
        g.tool = Some("nmap scripting engine or a web scanner (User-Agent / probe paths)".into());
        g.title = format!(
            "Service probing of {server}:{port} by {client}: {} scripted requests",
            s.requests
        );
        g.confidence = 0.9;
        g.confidence_reason = "requests carry a scanner's User-Agent or probe path".into();
        g.counters.insert("requests", s.requests as f64);
        g.thresholds
            .insert("service_probe_min", th.service_probe_min as f64);
        let ipf = ip_field(client);
        g.evidence = Evidence {
            frames: s.evidence.clone(),
            total: s.requests,
            filter: format!(
                "{ipf}.src == {client} && {ipf}.dst == {server} && tcp.dstport == {port} && http.request"
            ),
        };
        g.mitre = mitre(&[
            ("T1046", "Network Service Discovery"),
            ("T1595.002", "Active Scanning: Vulnerability Scanning"),
        ]);
        g.explanation = format!(
            "{client} sent {} HTTP requests to {server}:{port} that identify a scanner ({}): this is probing of one service (version detection and scripts, as nmap -A / -sV does), not a wide port scan.",
            s.requests,
            s.sample.join("; ")
        );
        g.advice = "Check the service's version and configuration for what the probes looked for, keep it patched, and block the source if the scan was not yours.".into();
        out.push(g);
    }
}

// ---- ICMP tunnels -------------------------------------------------------------

/// Echo replies that do not echo: ping sends the request's data back; a
/// tunnel answers with data of its own.
fn tunnel_findings(st: &State, out: &mut Vec<Finding>) {
    let mut keys: Vec<_> = st.tunnels.keys().copied().collect();
    keys.sort_unstable();
    for key in keys {
        let t = &st.tunnels[&key];
        let answered = t.echoed + t.differing;
        if t.differing < 5 || t.differing * 2 < answered {
            continue;
        }
        let (client, server) = key;
        let mut g = base_finding(
            "icmp_tunnel",
            Severity::High,
            t.first_ts,
            t.last_ts,
            t.packets,
        );
        g.attackers = vec![client.to_string(), server.to_string()];
        g.targets = vec![server.to_string()];
        g.technique = Some("data carried in ICMP echo request and reply payloads".into());
        g.title = format!(
            "ICMP tunnel between {client} and {server}: {} echo packets, {} bytes of payload",
            t.packets, t.bytes
        );
        g.confidence = if t.differing * 10 >= answered * 9 {
            0.9
        } else {
            0.75
        };
        g.confidence_reason = format!(
            "{} of {answered} echo replies carry data other than their request's (ping echoes it back); {} payload sizes",
            t.differing,
            t.sizes.len()
        );
        g.counters.insert("echo_packets", t.packets as f64);
        g.counters.insert("payload_bytes", t.bytes as f64);
        g.counters.insert("replies_echoing", t.echoed as f64);
        g.counters.insert("replies_differing", t.differing as f64);
        g.counters.insert("payload_sizes", t.sizes.len() as f64);
        g.thresholds.insert("min_differing_replies", 5.0);
        g.thresholds.insert("min_differing_share", 0.5);
        let ipf = ip_field(client);
        let icmp = if client.is_ipv4() {
            "icmp.type in {0, 8}"
        } else {
            "icmpv6.type in {128, 129}"
        };
        g.evidence = Evidence {
            frames: t.evidence.clone(),
            total: t.packets,
            filter: format!("{ipf}.addr == {client} && {ipf}.addr == {server} && {icmp}"),
        };
        g.mitre = mitre(&[
            ("T1095", "Non-Application Layer Protocol"),
            ("T1572", "Protocol Tunneling"),
            ("T1048", "Exfiltration Over Alternative Protocol"),
        ]);
        g.explanation = format!(
            "{client} and {server} exchanged {} ICMP echo packets. A ping reply returns the request's data unchanged, but {} of {answered} replies here carry different data, in {} different sizes: the payloads are a channel (icmptunnel, ptunnel, hans), used to slip traffic past firewalls that let ping through.",
            t.packets,
            t.differing,
            t.sizes.len()
        );
        g.advice = format!(
            "Find the process behind the echo traffic on {client}, limit ICMP echo to what monitoring needs (size and rate), and inspect or block echo payloads at the perimeter; treat {server} as a tunnel endpoint."
        );
        out.push(g);
    }
}

// ---- ARP spoofing -----------------------------------------------------------

fn arp_findings(st: &State, out: &mut Vec<Finding>) {
    use wirehunt_dissect::MacAddr;
    let mut by_mac: BTreeMap<MacAddr, Vec<&crate::state::ArpClaim>> = BTreeMap::new();
    for c in &st.arp_claims {
        by_mac.entry(c.mac).or_default().push(c);
    }
    for (mac, claims) in by_mac {
        let ips = st.arp_mac_ips.get(&mac).cloned().unwrap_or_default();
        let conflicts: Vec<_> = claims.iter().filter(|c| c.previous.is_some()).collect();
        let unsolicited: Vec<_> = claims.iter().filter(|c| c.unsolicited).collect();
        // Taking over an address another MAC held, or unsolicited replies
        // from a MAC that also speaks for another address.
        let spoof = !conflicts.is_empty()
            && (conflicts.len() >= 2 || !unsolicited.is_empty() || ips.len() >= 2)
            || !unsolicited.is_empty() && ips.len() >= 2;
        if !spoof {
            continue;
        }
        let mut impersonated: Vec<std::net::Ipv4Addr> = conflicts.iter().map(|c| c.ip).collect();
        impersonated.extend(unsolicited.iter().map(|c| c.ip));
        impersonated.sort_unstable();
        impersonated.dedup();
        let own: Vec<_> = ips
            .iter()
            .filter(|ip| !impersonated.contains(ip))
            .copied()
            .collect();
        let mut victims: Vec<std::net::Ipv4Addr> = claims
            .iter()
            .map(|c| c.told)
            .filter(|t| !t.is_unspecified() && !impersonated.contains(t))
            .collect();
        victims.sort_unstable();
        victims.dedup();
        let first = claims.iter().map(|c| c.ts).min().unwrap_or(0);
        let last = claims.iter().map(|c| c.ts).max().unwrap_or(0);
        let mut g = base_finding(
            "arp_spoofing",
            Severity::High,
            first,
            last,
            claims.len() as u64,
        );
        g.attackers = own.iter().map(|a| a.to_string()).collect();
        g.attacker_macs = vec![mac.to_string()];
        let mut targets: Vec<String> = impersonated.iter().map(|a| a.to_string()).collect();
        targets.extend(victims.iter().map(|a| a.to_string()));
        targets.dedup();
        g.targets = targets;
        g.technique = Some("ARP cache poisoning".into());
        g.title = format!(
            "ARP spoofing by {mac}{}: claims {}",
            if own.is_empty() {
                String::new()
            } else {
                format!(
                    " ({})",
                    own.iter()
                        .map(|a| a.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            },
            impersonated
                .iter()
                .map(|a| a.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
        g.confidence = if conflicts.is_empty() || unsolicited.is_empty() {
            0.8
        } else {
            0.95
        };
        g.confidence_reason = format!(
            "{} claim(s) of an address bound to another MAC, {} unsolicited ARP repl(ies), {} addresses claimed by this MAC",
            conflicts.len(),
            unsolicited.len(),
            ips.len()
        );
        g.counters
            .insert("conflicting_claims", conflicts.len() as f64);
        g.counters
            .insert("unsolicited_replies", unsolicited.len() as f64);
        g.counters.insert("addresses_claimed", ips.len() as f64);
        g.evidence = Evidence::new(
            claims.iter().map(|c| c.frame).collect(),
            claims.len() as u64,
            format!("arp.src.hw_mac == {mac}"),
        );
        g.mitre = mitre(&[
            ("T1557.002", "Adversary-in-the-Middle: ARP Cache Poisoning"),
            ("T1557", "Adversary-in-the-Middle"),
        ]);
        let mut why = Vec::new();
        for c in conflicts.iter().take(3) {
            why.push(format!(
                "frame {} says {} is at {mac}, but it was at {}",
                c.frame,
                c.ip,
                c.previous.map(|m| m.to_string()).unwrap_or_default()
            ));
        }
        for c in unsolicited.iter().take(3) {
            why.push(format!(
                "frame {} tells {} that {} is at {mac} though nobody asked",
                c.frame, c.told, c.ip
            ));
        }
        g.explanation = format!(
            "{mac} speaks for {} ({}): {}. Hosts that believe it send their traffic for {} through {mac}, which can read or change it.",
            if ips.len() == 1 {
                "one address".to_string()
            } else {
                format!("{} addresses", ips.len())
            },
            ips.iter()
                .map(|a| a.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            why.join("; "),
            impersonated
                .iter()
                .map(|a| a.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
        g.advice = "Enable Dynamic ARP Inspection and DHCP snooping on the switch, use static ARP entries for the gateway on critical hosts, find the switch port of that MAC and disconnect it, and prefer encrypted protocols (TLS, SSH) so an on-path host learns nothing.".into();
        out.push(g);
    }
}

// ---- resets ---------------------------------------------------------------

/// Signals that the RST did not come from its supposed sender.
fn signals(r: &ResetRec) -> (Vec<String>, u32) {
    let mut v = Vec::new();
    let mut strong = 0;
    if let Some((usual, n)) = r.ttl_usual {
        v.push(format!(
            "IP TTL {} differs from the {usual} of the sender's other {n} packets",
            r.ttl
        ));
        strong += 1;
    }
    if let Some(m) = r.mac_usual {
        v.push(format!(
            "Ethernet source differs from the sender's usual {m}"
        ));
        strong += 1;
    }
    if r.continued > 0 {
        v.push(format!(
            "the supposed sender kept sending after it ({} packet(s), first in frame {})",
            r.continued,
            r.continued_frame.unwrap_or(0)
        ));
        strong += 1;
    }
    if let Some((last, id)) = r.id_jump {
        v.push(format!(
            "IP ID {id} is out of the sender's sequence (last {last})"
        ));
    }
    if r.other_seqs > 0 {
        v.push(format!(
            "{} other RST(s) in the connection with different sequence numbers",
            r.other_seqs
        ));
    }
    (v, strong)
}

pub(crate) fn verdict(r: &ResetRec) -> Verdict {
    // IP ID jumps and repeated RSTs alone happen with real stacks (RSTs
    // sent from another code path, retries); they only back a strong signal.
    if signals(r).1 > 0 {
        return Verdict::InjectedSuspect;
    }
    match r.base {
        BaseVerdict::ClosedPort | BaseVerdict::ProbeAnswer(_) => Verdict::ClosedPort,
        BaseVerdict::ScannerTeardown => Verdict::ScannerTeardown,
        BaseVerdict::AfterFin => Verdict::AfterFin,
        BaseVerdict::NoSession => Verdict::NoSession,
        BaseVerdict::InSession if r.out_of_window.is_some() => Verdict::Invalid,
        BaseVerdict::InSession => Verdict::AbortiveClose,
    }
}

fn judge(recs: &[ResetRec]) -> Vec<ResetEvent> {
    recs.iter()
        .map(|r| {
            let v = verdict(r);
            let (signals, _) = signals(r);
            let who = if r.initiator { "the client" } else { "the server" };
            let reason = match (v, r.base) {
                (Verdict::ClosedPort, BaseVerdict::ProbeAnswer(k)) => format!(
                    "answer to a {} probe: the port is closed",
                    match k {
                        Kind::Fin => "FIN",
                        Kind::Null => "NULL",
                        Kind::Xmas => "Xmas",
                        Kind::Maimon => "FIN+ACK",
                        _ => "odd-flag",
                    }
                ),
                (Verdict::ClosedPort, _) => "answer to a SYN: nothing listens on the port".into(),
                (Verdict::ScannerTeardown, _) => {
                    "the initiator reset the connection right after the SYN-ACK without sending data (scanner or health check)".into()
                }
                (Verdict::AfterFin, _) => format!(
                    "{who} ended the connection with RST after a FIN ({} bytes sent, {} received): an abortive close",
                    r.bytes.0, r.bytes.1
                ),
                (Verdict::NoSession, _) if r.flags & ACK != 0 && r.bytes == (0, 0) => {
                    "no connection in the capture: answer to a segment outside any connection (an ACK probe, or a connection that began before the capture)".into()
                }
                (Verdict::NoSession, _) => "no earlier packet of this connection in the capture (it began before the capture, or the RST answers something not captured)".into(),
                (Verdict::Invalid, _) => {
                    let (exp, win) = r.out_of_window.unwrap_or((0, 0));
                    format!("sequence number {} is outside the receiver's window ({} + {}): a stack ignores it", r.seq, exp, win)
                }
                (Verdict::AbortiveClose, _) if r.after_peer_rst.is_some() => format!(
                    "{who} sent its own RST after the peer's RST in frame {}: data kept arriving for a connection it had already dropped",
                    r.after_peer_rst.unwrap_or(0)
                ),
                (Verdict::AbortiveClose, _) => format!(
                    "{who} ended an established connection with RST after {:.1} s idle ({} bytes sent, {} received): an abortive close, normal for many servers and clients",
                    secs(r.idle_ns),
                    r.bytes.0,
                    r.bytes.1,
                ),
                (Verdict::InjectedSuspect, _) => format!("in-window RST that does not look like its sender's: {}", signals.join("; ")),
            };
            let reason = if r.payload > 0 {
                format!("{reason}; it carries {} bytes of data (allowed for diagnostics, rarely used)", r.payload)
            } else {
                reason
            };
            ResetEvent {
                frame: r.frame,
                time: iso_time(r.ts),
                src_ip: r.src.ip.to_string(),
                src_port: r.src.port,
                dest_ip: r.dst.ip.to_string(),
                dest_port: r.dst.port,
                flags: if r.flags & ACK != 0 { "RST,ACK" } else { "RST" },
                seq: r.seq,
                ttl: r.ttl,
                verdict: v,
                reason,
                signals,
            }
        })
        .collect()
}

fn reset_findings(recs: &[ResetRec], evs: &[ResetEvent], out: &mut Vec<Finding>) {
    // One finding per receiving connection side.
    let mut groups: BTreeMap<(IpAddr, u16, IpAddr, u16), Vec<usize>> = BTreeMap::new();
    for (i, e) in evs.iter().enumerate() {
        if e.verdict == Verdict::InjectedSuspect {
            let r = &recs[i];
            groups
                .entry((r.src.ip, r.src.port, r.dst.ip, r.dst.port))
                .or_default()
                .push(i);
        }
    }
    // Many out-of-window RSTs into one connection: blind injection attempts.
    let mut invalid: BTreeMap<(IpAddr, u16, IpAddr, u16), Vec<usize>> = BTreeMap::new();
    for (i, e) in evs.iter().enumerate() {
        if e.verdict == Verdict::Invalid {
            let r = &recs[i];
            invalid
                .entry((r.src.ip, r.src.port, r.dst.ip, r.dst.port))
                .or_default()
                .push(i);
        }
    }
    for ((sip, sport, dip, dport), idx) in invalid {
        if idx.len() >= 3 {
            groups
                .entry((sip, sport, dip, dport))
                .or_default()
                .extend(idx);
        }
    }
    for ((sip, sport, dip, dport), idx) in groups {
        let strong: u32 = idx.iter().map(|&i| signals(&recs[i]).1).max().unwrap_or(0);
        let n_invalid = idx
            .iter()
            .filter(|&&i| evs[i].verdict == Verdict::Invalid)
            .count();
        // A different TTL alone is what firewalls and load balancers that
        // reset on a server's behalf look like: suspicious, low. The sender
        // still talking after "its" RST, or TTL and MAC both wrong, or a
        // volley of out-of-window RSTs is injection.
        let injection = strong >= 2 || n_invalid >= 3 || idx.iter().any(|&i| recs[i].continued > 0);
        let mut frames: Vec<u64> = idx.iter().map(|&i| recs[i].frame).collect();
        frames.sort_unstable();
        let first = idx.iter().map(|&i| recs[i].ts).min().unwrap_or(0);
        let last = idx.iter().map(|&i| recs[i].ts).max().unwrap_or(0);
        let class = if injection {
            "rst_injection"
        } else {
            "suspicious_reset"
        };
        let sev = if injection {
            Severity::High
        } else {
            Severity::Low
        };
        let mut g = base_finding(class, sev, first, last, idx.len() as u64);
        g.attackers_spoofed = true;
        g.targets = vec![dip.to_string()];
        g.technique = Some(format!("forged TCP RST in the name of {sip}:{sport}"));
        g.title = format!(
            "{} RST to {dip}:{dport} in the name of {sip}:{sport}",
            if injection { "Injected" } else { "Suspicious" }
        );
        let sigs: Vec<String> = idx.iter().flat_map(|&i| evs[i].signals.clone()).collect();
        g.confidence = if injection { 0.9 } else { 0.5 };
        g.confidence_reason = if sigs.is_empty() {
            format!("{n_invalid} out-of-window RSTs into one connection")
        } else {
            sigs.join("; ")
        };
        g.counters.insert("resets", idx.len() as f64);
        g.counters.insert("strong_signals", f64::from(strong));
        let ipf = ip_field(sip);
        g.evidence = Evidence::new(
            frames.clone(),
            frames.len() as u64,
            format!(
                "{ipf}.src == {sip} && tcp.srcport == {sport} && {ipf}.dst == {dip} && tcp.dstport == {dport} && tcp.flags.reset == 1"
            ),
        );
        g.mitre = mitre(&[
            ("T1557", "Adversary-in-the-Middle"),
            ("T1499", "Endpoint Denial of Service"),
        ]);
        let aftermath: Vec<u64> = recs
            .iter()
            .filter(|r| r.after_peer_rst.is_some_and(|f| frames.contains(&f)))
            .map(|r| r.frame)
            .collect();
        g.explanation = if injection {
            format!(
                "The connection {dip}:{dport} ⇄ {sip}:{sport} was reset in the name of {sip}, but {}. The reset was most likely forged by a third party on the path (a censor, an IPS or an attacker) to tear the connection down; the real sender's address does not appear in it.{}",
                sigs.join("; and "),
                match aftermath.first() {
                    Some(f) => format!(
                        " {dip}'s own RST in frame {f} is the aftermath: its socket was already gone when the real peer's data arrived."
                    ),
                    None => String::new(),
                }
            )
        } else {
            format!(
                "The connection {dip}:{dport} ⇄ {sip}:{sport} was reset in the name of {sip}, but {}. A firewall, proxy or load balancer resetting on the server's behalf looks like this; so does an injected reset. Check which device on the path answers with that TTL.",
                sigs.first()
                    .cloned()
                    .unwrap_or_else(|| "its sequence numbers do not fit the connection".into())
            )
        };
        g.advice = "Find the device on the path: compare the TTL with the hop count of the real peer, check switch port counters for the MAC, and look for an IPS or middlebox with reset actions. Protect the session with TLS (a forged RST still kills plain TCP) or TCP-AO/IPsec where resets must not work; RFC 5961 challenge ACKs make blind injection harder.".into();
        out.push(g);
    }
}

// ---- notes ------------------------------------------------------------------

fn notes(recs: &[ResetRec], evs: &[ResetEvent], findings: &[Finding]) -> Vec<Note> {
    // Resets between a finding's attackers and targets are explained by it.
    let covered = |a: &str, b: &str| {
        findings.iter().any(|f| {
            let has = |v: &Vec<String>, x: &str| v.iter().any(|s| s == x);
            (has(&f.attackers, a) && has(&f.targets, b))
                || (has(&f.attackers, b) && has(&f.targets, a))
                || (f.class == "syn_flood" && (has(&f.targets, a) || has(&f.targets, b)))
                || (matches!(f.class, "rst_injection" | "suspicious_reset")
                    && (has(&f.targets, a) || has(&f.targets, b)))
        })
    };
    let mut groups: BTreeMap<(Verdict, String, u16, bool), Vec<usize>> = BTreeMap::new();
    for (i, e) in evs.iter().enumerate() {
        if e.verdict == Verdict::InjectedSuspect || covered(&e.src_ip, &e.dest_ip) {
            continue;
        }
        let r = &recs[i];
        // Group by the server end: (address, port) of the side that did not initiate.
        let server = if r.initiator { r.dst } else { r.src };
        groups
            .entry((e.verdict, server.ip.to_string(), server.port, r.initiator))
            .or_default()
            .push(i);
    }
    let mut out = Vec::new();
    for ((v, ip, port, by_client), idx) in groups {
        let n = idx.len() as u64;
        let first = idx.iter().map(|&i| recs[i].ts).min().unwrap_or(0);
        let idle: Vec<f64> = idx.iter().map(|&i| secs(recs[i].idle_ns)).collect();
        let avg_idle = idle.iter().sum::<f64>() / idle.len().max(1) as f64;
        let s = if n == 1 { "" } else { "s" };
        let were = if n == 1 { "was" } else { "were" };
        let text = match v {
            Verdict::AbortiveClose if !by_client => format!(
                "{n} connection{s} to {ip}:{port} {were} closed by the server with RST after {avg_idle:.1} s idle on average: an abortive close, normal for many servers (idle keep-alive timeouts, load balancers)"
            ),
            Verdict::AbortiveClose => format!(
                "{n} connection{s} to {ip}:{port} {were} ended by the client with RST: an abortive close (the application closed its socket with unread data or SO_LINGER 0)"
            ),
            Verdict::AfterFin => format!(
                "{n} connection{s} to {ip}:{port} {were} reset after a FIN: an abortive end once the exchange was over, common for browsers and load balancers"
            ),
            Verdict::ClosedPort => format!(
                "{n} connection attempt{s} to {ip}:{port} {were} refused with RST,ACK: nothing listens there (a single refusal is a misconfiguration or a wrong port, not a scan)"
            ),
            Verdict::ScannerTeardown => format!(
                "{n} connection{s} to {ip}:{port} {were} reset by the client right after the handshake without data: a reachability check or a scanner below the detection thresholds"
            ),
            Verdict::NoSession => format!(
                "{n} reset{s} involving {ip}:{port} belong to connections not seen from their start (they began before the capture)"
            ),
            Verdict::Invalid => format!(
                "{n} reset{s} involving {ip}:{port} had sequence numbers outside the window: stale or late segments that stacks ignore"
            ),
            Verdict::InjectedSuspect => continue,
        };
        let r0 = &recs[idx[0]];
        let mut frames: Vec<u64> = idx.iter().map(|&i| recs[i].frame).collect();
        frames.sort_unstable();
        let ipf = ip_field(r0.src.ip);
        let side = if ip == r0.src.ip.to_string() {
            "src"
        } else {
            "dst"
        };
        let pside = if side == "src" { "srcport" } else { "dstport" };
        out.push(Note {
            kind: v.as_str(),
            text,
            count: n,
            first_seen: iso_time(first),
            src_ip: Some(r0.src.ip.to_string()),
            dest_ip: Some(r0.dst.ip.to_string()),
            evidence: Evidence::new(
                frames,
                n,
                format!("{ipf}.{side} == {ip} && tcp.{pside} == {port} && tcp.flags.reset == 1"),
            ),
        });
    }
    out
}

fn summary(st: &State, resets: &[ResetEvent]) -> Summary {
    let s = &st.summary;
    let mut protocols: Vec<(String, u64)> = s
        .protocols
        .iter()
        .map(|(p, n)| (p.to_string(), *n))
        .collect();
    protocols.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut talkers: Vec<(String, u64)> =
        s.talkers.iter().map(|(a, b)| (a.to_string(), *b)).collect();
    talkers.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    talkers.truncate(5);
    let mut by_verdict = BTreeMap::new();
    for e in resets {
        *by_verdict.entry(e.verdict.as_str()).or_insert(0) += 1;
    }
    for (v, n) in &st.resets_overflow {
        *by_verdict.entry(v.as_str()).or_insert(0) += n;
    }
    let mut evicted = BTreeMap::new();
    for (k, v) in [
        ("connections", st.evicted_conns),
        ("probes", st.evicted_probes),
        ("sources", st.dropped_sources),
        ("flood_keys", st.dropped_floods),
        ("resets", st.resets_dropped),
    ] {
        if v > 0 {
            evicted.insert(k, v);
        }
    }
    Summary {
        packets: s.packets,
        bytes: s.bytes,
        first_seen: s.first_ts.map(iso_time),
        last_seen: s.first_ts.map(|_| iso_time(s.last_ts)),
        duration_s: s.first_ts.map_or(0.0, |f| secs(s.last_ts - f)),
        hosts: s.hosts.count(),
        protocols,
        top_talkers: talkers,
        resets: by_verdict,
        evicted,
    }
}
