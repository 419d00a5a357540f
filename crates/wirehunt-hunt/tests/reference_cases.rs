//! The two reference cases of DESIGN.md, and the small and slow attacks of
//! the hunt issue, as captures made here with our own code (etherparse
//! builds the frames, `common::PcapWriter` the file).

mod common;

use common::{ACK, PSH, RST, SYN, Seg, seg};
use wirehunt_hunt::{Config, Limits, Verdict};

const CLIENT: [u8; 4] = [192, 168, 0, 139];
const MS: [u8; 4] = [20, 190, 181, 4];

/// Reference case 1: an idle HTTPS session that the server (a cloud
/// service) closes with RST,ACK. The verdict must be a benign note.
#[test]
fn cloud_server_reset_of_idle_session_is_benign() {
    let mut w = common::ethernet_pcap();
    let t0 = 1_700_000_000_000_000u64;
    let hello = [0x16u8; 517];
    let reply = [0x17u8; 1400];
    let (c, s) = (1000u32, 5000u32);
    let frames: Vec<(u64, Seg<'_>)> = vec![
        (0, seg(CLIENT, 58119, MS, 443, SYN, c, 0)),
        (30_000, seg(MS, 443, CLIENT, 58119, SYN | ACK, s, c + 1)),
        (30_100, seg(CLIENT, 58119, MS, 443, ACK, c + 1, s + 1)),
        (
            30_200,
            Seg {
                payload: &hello,
                ..seg(CLIENT, 58119, MS, 443, PSH | ACK, c + 1, s + 1)
            },
        ),
        (
            60_000,
            Seg {
                payload: &reply,
                ..seg(MS, 443, CLIENT, 58119, PSH | ACK, s + 1, c + 518)
            },
        ),
        (60_100, seg(CLIENT, 58119, MS, 443, ACK, c + 518, s + 1401)),
        // Two minutes idle, then the server gives up on the session.
        (
            120_060_100,
            Seg {
                win: 0,
                ..seg(MS, 443, CLIENT, 58119, RST | ACK, s + 1401, c + 518)
            },
        ),
    ];
    for (dt, f) in &frames {
        w.frame(t0 + dt, &f.bytes());
    }
    let r = common::hunt_bytes(w.into_bytes(), Config::default());
    assert!(
        r.findings.is_empty(),
        "{:?}",
        r.findings.iter().map(|f| &f.title).collect::<Vec<_>>()
    );
    assert_eq!(r.resets.len(), 1);
    let e = &r.resets[0];
    assert_eq!(
        (e.frame, e.verdict),
        (7, Verdict::AbortiveClose),
        "{}",
        e.reason
    );
    assert!(
        e.reason.contains("the server") && e.reason.contains("120.0 s idle"),
        "{}",
        e.reason
    );
    assert_eq!(r.notes.len(), 1);
    assert!(
        r.notes[0].text.contains("20.190.181.4:443")
            && r.notes[0].text.contains("closed by the server"),
        "{}",
        r.notes[0].text
    );
}

const SCANNER: [u8; 4] = [10, 39, 5, 6];
const TARGET: [u8; 4] = [10, 39, 5, 2];

/// Reference case 2: a SYN scan; the scanner resets right after each
/// SYN-ACK, closed ports answer RST,ACK.
#[test]
fn syn_scan_with_scanner_resets_is_a_tcp_syn_scan() {
    let mut w = common::ethernet_pcap();
    let t0 = 1_700_000_000_000_000u64;
    let ports = [443u16, 23, 80, 21, 22, 25, 110, 139, 445, 3389, 8080, 53];
    let mut t = t0;
    for (i, &p) in ports.iter().enumerate() {
        let seq = 7_000_000 + i as u32;
        let probe = Seg {
            win: 1024,
            ..seg(SCANNER, 61000, TARGET, p, SYN, seq, 0)
        };
        w.frame(t, &probe.bytes());
        t += 200;
        if p == 443 || p == 23 {
            w.frame(
                t,
                &seg(TARGET, p, SCANNER, 61000, SYN | ACK, 90_000, seq + 1).bytes(),
            );
            t += 200;
            w.frame(
                t,
                &Seg {
                    win: 0,
                    ..seg(SCANNER, 61000, TARGET, p, RST, seq + 1, 0)
                }
                .bytes(),
            );
        } else {
            w.frame(
                t,
                &Seg {
                    win: 0,
                    ..seg(TARGET, p, SCANNER, 61000, RST | ACK, 0, seq + 1)
                }
                .bytes(),
            );
        }
        t += 1000;
    }
    let r = common::hunt_bytes(w.into_bytes(), Config::default());
    assert_eq!(
        r.findings.len(),
        1,
        "{:?}",
        r.findings.iter().map(|f| &f.title).collect::<Vec<_>>()
    );
    let f = &r.findings[0];
    assert_eq!(f.class, "tcp_syn_scan");
    assert_eq!(f.attackers, ["10.39.5.6"]);
    assert_eq!(f.targets, ["10.39.5.2"]);
    assert_eq!(f.topology, Some("vertical"));
    let open: Vec<u16> = f.open_ports.iter().flatten().map(|p| p.port).collect();
    assert_eq!(open, [23, 443]);
    assert_eq!(f.closed_ports, Some(10));
    assert_eq!(f.ports_probed.as_ref().map(|p| p.count), Some(12));
    assert!(
        f.explanation.contains("reset the connection"),
        "{}",
        f.explanation
    );
    assert!(
        f.evidence
            .filter
            .starts_with("ip.src == 10.39.5.6 && ip.dst == 10.39.5.2"),
        "{}",
        f.evidence.filter
    );
    assert_eq!(f.evidence.total, 12);
    assert!(f.mitre.iter().any(|m| m.id == "T1046"));
    let teardown = r
        .resets
        .iter()
        .filter(|e| e.verdict == Verdict::ScannerTeardown)
        .count();
    let closed = r
        .resets
        .iter()
        .filter(|e| e.verdict == Verdict::ClosedPort)
        .count();
    assert_eq!((teardown, closed), (2, 10));
}

/// Probes to `targets` (host, port) from one source, `gap_us` apart, all
/// answered RST,ACK (closed).
fn closed_probes(targets: &[([u8; 4], u16)], gap_us: u64) -> Vec<u8> {
    let from_scanner: Vec<_> = targets.iter().map(|&(h, p)| (SCANNER, h, p)).collect();
    closed_probes_from(&from_scanner, gap_us)
}

/// The same with the source of each probe given.
fn closed_probes_from(probes: &[([u8; 4], [u8; 4], u16)], gap_us: u64) -> Vec<u8> {
    let mut w = common::ethernet_pcap();
    let mut t = 1_700_000_000_000_000u64;
    for (i, &(src, h, p)) in probes.iter().enumerate() {
        let sport = 40000 + i as u16;
        w.frame(t, &seg(src, sport, h, p, SYN, 1, 0).bytes());
        w.frame(t + 100, &seg(h, p, src, sport, RST | ACK, 0, 2).bytes());
        t += gap_us;
    }
    w.into_bytes()
}

#[test]
fn six_closed_probes_to_five_hosts_in_a_second_are_a_scan() {
    let hosts: Vec<([u8; 4], u16)> = [(1, 22), (2, 22), (3, 3389), (4, 445), (5, 23), (5, 80)]
        .iter()
        .map(|&(h, p)| ([10, 39, 5, 100 + h], p))
        .collect();
    let r = common::hunt_bytes(closed_probes(&hosts, 150_000), Config::default());
    assert_eq!(r.findings.len(), 1, "{:?}", r.findings);
    assert_eq!(r.findings[0].class, "tcp_syn_scan");
    assert_eq!(r.findings[0].topology, Some("horizontal"));
    assert_eq!(r.findings[0].targets.len(), 5);
}

#[test]
fn one_refused_connection_then_a_success_is_not_a_scan() {
    let mut w = common::ethernet_pcap();
    let t = 1_700_000_000_000_000u64;
    w.frame(t, &seg(CLIENT, 50000, TARGET, 8081, SYN, 1, 0).bytes());
    w.frame(
        t + 100,
        &seg(TARGET, 8081, CLIENT, 50000, RST | ACK, 0, 2).bytes(),
    );
    w.frame(
        t + 500_000,
        &seg(CLIENT, 50001, TARGET, 8080, SYN, 10, 0).bytes(),
    );
    w.frame(
        t + 500_100,
        &seg(TARGET, 8080, CLIENT, 50001, SYN | ACK, 20, 11).bytes(),
    );
    w.frame(
        t + 500_200,
        &seg(CLIENT, 50001, TARGET, 8080, ACK, 11, 21).bytes(),
    );
    let r = common::hunt_bytes(w.into_bytes(), Config::default());
    assert!(r.findings.is_empty(), "{:?}", r.findings);
    assert_eq!(r.notes.len(), 1);
    assert_eq!(r.notes[0].kind, "closed_port");
}

#[test]
fn a_scan_spread_over_an_hour_is_still_a_scan() {
    // 20 ports, one every three minutes.
    let targets: Vec<([u8; 4], u16)> = (0..20).map(|i| (TARGET, 1000 + i)).collect();
    let r = common::hunt_bytes(closed_probes(&targets, 180_000_000), Config::default());
    assert_eq!(r.findings.len(), 1, "{:?}", r.findings);
    let f = &r.findings[0];
    assert_eq!(f.class, "tcp_syn_scan");
    assert!(f.duration_s > 3000.0, "{}", f.duration_s);
}

/// A spoofed flood through tables a hundred times too small: the state
/// stays bounded, the evictions are counted and the flood is still found.
#[test]
fn spoofed_flood_stays_within_bounds() {
    let mut w = common::ethernet_pcap();
    let mut t = 1_700_000_000_000_000u64;
    for i in 0..20_000u32 {
        let src = (0x0b00_0000 + i.wrapping_mul(2_654_435_761) % 0x00ff_ffff).to_be_bytes();
        w.frame(
            t,
            &Seg {
                win: 512,
                ..seg(src, 1024 + (i % 60000) as u16, TARGET, 80, SYN, i, 0)
            }
            .bytes(),
        );
        t += 100;
    }
    let cfg = Config {
        limits: Limits {
            connections: 256,
            probes: 256,
            sources: 64,
            resets: 64,
        },
        ..Config::default()
    };
    let r = common::hunt_bytes(w.into_bytes(), cfg);
    assert!(
        r.summary.evicted.get("connections").copied().unwrap_or(0) > 10_000,
        "{:?}",
        r.summary.evicted
    );
    // Once the flood is recognised, its SYNs stop making probes: only the
    // first ones (before the 1024-SYN check) went through the probe table.
    assert!(
        r.summary.evicted.get("probes").copied().unwrap_or(0) < 2_000,
        "{:?}",
        r.summary.evicted
    );
    let f = r
        .findings
        .iter()
        .find(|f| f.class == "syn_flood")
        .expect("flood found");
    assert!(f.attackers_spoofed);
    let n = f.distinct_sources.unwrap_or(0) as f64;
    assert!((n - 20_000.0).abs() < 3_000.0, "{n}");
}

/// One probe per port with `flags`, answered by RST with window `win(port)`.
fn probes_answered_rst(
    flags: u8,
    ports: std::ops::Range<u16>,
    win: impl Fn(u16) -> u16,
) -> Vec<u8> {
    let mut w = common::ethernet_pcap();
    let mut t = 1_700_000_000_000_000u64;
    for p in ports {
        w.frame(
            t,
            &Seg {
                win: 1024,
                ..seg(SCANNER, 45000, TARGET, p, flags, 5, 9)
            }
            .bytes(),
        );
        w.frame(
            t + 50,
            &Seg {
                win: win(p),
                ..seg(TARGET, p, SCANNER, 45000, RST, 9, 0)
            }
            .bytes(),
        );
        t += 1000;
    }
    w.into_bytes()
}

#[test]
fn maimon_scan() {
    let r = common::hunt_bytes(
        probes_answered_rst(common::FIN | ACK, 20..40, |_| 0),
        Config::default(),
    );
    let classes: Vec<&str> = r.findings.iter().map(|f| f.class).collect();
    assert_eq!(classes, ["tcp_maimon_scan"]);
    assert_eq!(r.findings[0].evidence.total, 20);
}

#[test]
fn ack_scan_with_differing_rst_windows_is_a_window_scan() {
    let r = common::hunt_bytes(
        probes_answered_rst(ACK, 20..40, |p| if p % 3 == 0 { 512 } else { 0 }),
        Config::default(),
    );
    let classes: Vec<&str> = r.findings.iter().map(|f| f.class).collect();
    assert_eq!(classes, ["tcp_window_scan"]);
    let r = common::hunt_bytes(probes_answered_rst(ACK, 20..40, |_| 0), Config::default());
    let classes: Vec<&str> = r.findings.iter().map(|f| f.class).collect();
    assert_eq!(classes, ["tcp_ack_scan"]);
}

/// `n` short login sessions from SCANNER to TARGET:`port`: handshake, a
/// banner, one guess, a refusal, FIN both ways.
fn login_sessions(port: u16, n: u16) -> Vec<u8> {
    let mut w = common::ethernet_pcap();
    let mut t = 1_700_000_000_000_000u64;
    let banner = [b'B'; 40];
    let guess = [b'G'; 30];
    let no = [b'N'; 20];
    for i in 0..n {
        let sp = 50000 + i;
        let (c, s) = (1000u32, 9000u32);
        let frames = [
            seg(SCANNER, sp, TARGET, port, SYN, c, 0),
            seg(TARGET, port, SCANNER, sp, SYN | ACK, s, c + 1),
            seg(SCANNER, sp, TARGET, port, ACK, c + 1, s + 1),
            Seg {
                payload: &banner,
                ..seg(TARGET, port, SCANNER, sp, PSH | ACK, s + 1, c + 1)
            },
            Seg {
                payload: &guess,
                ..seg(SCANNER, sp, TARGET, port, PSH | ACK, c + 1, s + 41)
            },
            Seg {
                payload: &no,
                ..seg(TARGET, port, SCANNER, sp, PSH | ACK, s + 41, c + 31)
            },
            seg(TARGET, port, SCANNER, sp, common::FIN | ACK, s + 61, c + 31),
            seg(SCANNER, sp, TARGET, port, common::FIN | ACK, c + 31, s + 62),
            seg(TARGET, port, SCANNER, sp, ACK, s + 62, c + 32),
        ];
        for f in &frames {
            w.frame(t, &f.bytes());
            t += 2_000;
        }
        t += 500_000;
    }
    w.into_bytes()
}

#[test]
fn telnet_and_rdp_guessing() {
    for (port, class) in [
        (23, "telnet_bruteforce"),
        (3389, "rdp_bruteforce"),
        (22, "ssh_bruteforce"),
    ] {
        let r = common::hunt_bytes(login_sessions(port, 12), Config::default());
        let classes: Vec<&str> = r.findings.iter().map(|f| f.class).collect();
        assert_eq!(classes, [class], "port {port}");
        assert_eq!(r.findings[0].counters["failed_attempts"], 12.0);
        // Below the threshold: no finding.
        let r = common::hunt_bytes(login_sessions(port, 4), Config::default());
        assert!(r.findings.is_empty(), "{:?}", r.findings);
    }
}

fn arp(op: u16, sha: [u8; 6], spa: [u8; 4], tha: [u8; 6], tpa: [u8; 4]) -> Vec<u8> {
    let dst = if op == 1 { [0xff; 6] } else { tha };
    let mut f = Vec::new();
    f.extend_from_slice(&dst);
    f.extend_from_slice(&sha);
    f.extend_from_slice(&[0x08, 0x06, 0, 1, 0x08, 0, 6, 4]);
    f.extend_from_slice(&op.to_be_bytes());
    f.extend_from_slice(&sha);
    f.extend_from_slice(&spa);
    f.extend_from_slice(&tha);
    f.extend_from_slice(&tpa);
    f
}

#[test]
fn gateway_takeover_is_arp_spoofing_and_a_readdressed_host_is_not() {
    let gw = [192, 168, 1, 1];
    let victim = [192, 168, 1, 50];
    let gw_mac = [0, 0x11, 0x22, 0x33, 0x44, 0x01];
    let victim_mac = [0, 0x11, 0x22, 0x33, 0x44, 0x50];
    let evil_mac = [0, 0x66, 0x66, 0x66, 0x66, 0x66];
    let evil = [192, 168, 1, 66];
    let mut w = common::ethernet_pcap();
    let t = 1_700_000_000_000_000u64;
    w.frame(t, &arp(1, victim_mac, victim, [0; 6], gw));
    w.frame(t + 10, &arp(2, gw_mac, gw, victim_mac, victim));
    w.frame(t + 1_000_000, &arp(1, evil_mac, evil, [0; 6], victim));
    w.frame(t + 1_000_010, &arp(2, victim_mac, victim, evil_mac, evil));
    for i in 0..3 {
        w.frame(
            t + 2_000_000 + i * 1_000_000,
            &arp(2, evil_mac, gw, victim_mac, victim),
        );
    }
    let r = common::hunt_bytes(w.into_bytes(), Config::default());
    assert_eq!(r.findings.len(), 1, "{:?}", r.findings);
    let f = &r.findings[0];
    assert_eq!(f.class, "arp_spoofing");
    assert_eq!(f.attacker_macs, ["00:66:66:66:66:66"]);
    assert_eq!(f.attackers, ["192.168.1.66"]);
    assert!(
        f.targets.contains(&"192.168.1.1".to_string())
            && f.targets.contains(&"192.168.1.50".to_string()),
        "{:?}",
        f.targets
    );
    assert!(
        f.explanation.contains("but it was at 00:11:22:33:44:01"),
        "{}",
        f.explanation
    );

    // One address moving to a new MAC once, answering a request (a new NIC, DHCP): not spoofing.
    let mut w = common::ethernet_pcap();
    w.frame(t, &arp(1, victim_mac, victim, [0; 6], gw));
    w.frame(t + 10, &arp(2, gw_mac, gw, victim_mac, victim));
    w.frame(t + 9_000_000, &arp(1, victim_mac, victim, [0; 6], gw));
    w.frame(t + 9_000_010, &arp(2, evil_mac, gw, victim_mac, victim));
    let r = common::hunt_bytes(w.into_bytes(), Config::default());
    assert!(r.findings.is_empty(), "{:?}", r.findings);
}

#[test]
fn a_scan_split_across_sources_is_distributed() {
    // Eight sources, four closed ports each: 32 ports, no source above the
    // per-source threshold of five.
    let probes: Vec<_> = (0..8u8)
        .flat_map(|s| {
            (0..4u16).map(move |k| ([203, 0, 113, 10 + s], TARGET, 1000 + u16::from(s) * 4 + k))
        })
        .collect();
    let r = common::hunt_bytes(closed_probes_from(&probes, 10_000), Config::default());
    assert_eq!(
        r.findings.len(),
        1,
        "{:?}",
        r.findings.iter().map(|f| &f.title).collect::<Vec<_>>()
    );
    let f = &r.findings[0];
    assert_eq!((f.class, f.topology), ("tcp_syn_scan", Some("distributed")));
    assert_eq!(f.attackers.len(), 8);
    assert_eq!(f.ports_probed.as_ref().map(|p| p.count), Some(32));
}

/// Echo exchanges: `tunnel` replies carry their own data, ping's echo it.
fn echoes(n: u16, tunnel: bool) -> Vec<u8> {
    let mut w = common::ethernet_pcap();
    let (a, b) = ([10, 0, 0, 1], [203, 0, 113, 9]);
    let mac = |ip: [u8; 4]| [2, 0, ip[0], ip[1], ip[2], ip[3]];
    let mut t = 1_700_000_000_000_000u64;
    for i in 0..n {
        let req: Vec<u8> = (0..56u8).map(|x| x.wrapping_add(i as u8)).collect();
        let rep: Vec<u8> = if tunnel {
            (0..(40 + i % 30) as u8).map(|x| x ^ 0x5a).collect()
        } else {
            req.clone()
        };
        let mut f = Vec::new();
        etherparse::PacketBuilder::ethernet2(mac(a), mac(b))
            .ipv4(a, b, 64)
            .icmpv4_echo_request(7, i)
            .write(&mut f, &req)
            .unwrap();
        w.frame(t, &f);
        let mut f = Vec::new();
        etherparse::PacketBuilder::ethernet2(mac(b), mac(a))
            .ipv4(b, a, 60)
            .icmpv4_echo_reply(7, i)
            .write(&mut f, &rep)
            .unwrap();
        w.frame(t + 300, &f);
        t += 1_000_000;
    }
    w.into_bytes()
}

#[test]
fn replies_with_their_own_data_are_an_icmp_tunnel() {
    let r = common::hunt_bytes(echoes(20, true), Config::default());
    let classes: Vec<&str> = r.findings.iter().map(|f| f.class).collect();
    assert_eq!(classes, ["icmp_tunnel"]);
    assert_eq!(r.findings[0].counters["replies_differing"], 20.0);
    // Plain ping, however long it runs: nothing.
    let r = common::hunt_bytes(echoes(200, false), Config::default());
    assert!(r.findings.is_empty(), "{:?}", r.findings);
}
