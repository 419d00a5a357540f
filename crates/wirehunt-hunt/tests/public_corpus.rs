//! The public corpus (`../shared/corpus/public/`, described in its
//! INDEX.md): every scan, sweep, flood, brute-force and ARP-spoofing
//! capture gets the finding its description names, with the right
//! attacker; the benign captures get nothing above `low`; and every other
//! capture (damaged, fuzzed, odd link types) goes through without a panic.

mod common;

use wirehunt_hunt::{Config, Report, Severity};

/// (capture, class, attacker — or "spoofed", or a MAC — and a target).
const EXPECTED: &[(&str, &str, &str, &str)] = &[
    (
        "scan_masscan_tcp_0-1000_vlan_esnet.pcap",
        "tcp_syn_scan",
        "172.31.15.102",
        "198.124.152.15",
    ),
    (
        "scan_masscan_udp_0-1000_vlan_esnet.pcap",
        "udp_scan",
        "172.31.15.102",
        "198.124.152.15",
    ),
    (
        "scan_nmap_ack_evilfingers.pcap",
        "tcp_ack_scan",
        "192.168.1.10",
        "192.168.1.25",
    ),
    (
        "scan_nmap_fin_evilfingers.pcap",
        "tcp_fin_scan",
        "192.168.1.10",
        "192.168.1.25",
    ),
    (
        "scan_nmap_ipproto_evilfingers.pcap",
        "ip_protocol_scan",
        "192.168.1.10",
        "192.168.1.25",
    ),
    (
        "scan_nmap_null_evilfingers.pcap",
        "tcp_null_scan",
        "192.168.1.10",
        "192.168.1.25",
    ),
    (
        "scan_nmap_p80_aggressive_esnet.pcap",
        "service_probe",
        "10.87.1.10",
        "130.211.223.103",
    ),
    (
        "scan_nmap_syn_evilfingers.pcap",
        "tcp_syn_scan",
        "192.168.1.10",
        "192.168.1.25",
    ),
    (
        "scan_nmap_syn_scanme_chrissanders.pcapng",
        "tcp_syn_scan",
        "172.16.0.8",
        "64.13.134.52",
    ),
    (
        "scan_nmap_udp_evilfingers.pcap",
        "udp_scan",
        "192.168.1.10",
        "192.168.1.25",
    ),
    (
        "scan_nmap_version_evilfingers.pcap",
        "tcp_syn_scan",
        "192.168.1.10",
        "192.168.1.25",
    ),
    (
        "scan_ppa_portscan.pcap",
        "tcp_syn_scan",
        "10.100.25.14",
        "10.100.18.12",
    ),
    (
        "scan_syn_3hosts_pcaphunt.pcap",
        "tcp_syn_scan",
        "10.0.0.140",
        "10.0.0.254",
    ),
    (
        "scan_tcp_flag_mix_ndpi.pcapng",
        "tcp_*_scan",
        "192.168.1.178",
        "192.168.1.2",
    ),
    (
        "scan_udp_3hosts_pcaphunt.pcap",
        "udp_scan",
        "10.0.0.135",
        "10.0.0.2",
    ),
    (
        "sweep_arp_10.0.0.0-24_sgr.pcap",
        "arp_sweep",
        "10.0.0.128",
        "10.0.0.1",
    ),
    (
        "sweep_icmp_echo_10.0.0.0-24_sgr.pcapng",
        "ping_sweep",
        "10.0.0.128",
        "10.0.0.1",
    ),
    (
        "sweep_tcp_syn_ping_sgr.pcapng",
        "tcp_ping_sweep",
        "10.0.0.128",
        "10.0.0.1",
    ),
    (
        "dos_synflood_spoofed_stopddos.pcap",
        "syn_flood",
        "spoofed",
        "10.10.10.10",
    ),
    (
        "dos_tcp_syn_synack_reflection_stopddos.pcapng",
        "syn_flood",
        "spoofed",
        "10.10.10.10",
    ),
    (
        "bruteforce_ftp_zeek.pcap",
        "ftp_bruteforce",
        "192.168.56.1",
        "192.168.56.101",
    ),
    (
        "bruteforce_ssh_guess_zeek.pcap",
        "ssh_bruteforce",
        "192.168.56.1",
        "192.168.56.103",
    ),
    (
        "arp_poison_mitm_chrissanders.pcapng",
        "arp_spoofing",
        "00:25:b3:bf:91:ee",
        "172.16.0.1",
    ),
    (
        "rst_injection_zeek.pcap",
        "rst_injection",
        "spoofed",
        "1.2.0.2",
    ),
    (
        "botnet_ctu13_neris_part1.pcap",
        "tcp_*_scan",
        "147.32.84.165",
        "",
    ),
];

/// Negative controls: nothing above `low`.
const BENIGN_PREFIXES: &[&str] = &[
    "http_",
    "tcp_",
    "mixed_",
    "quic_",
    "tunnel_",
    "rst_refused_connection_",
    "rst_nowebaccess_",
];

fn class_matches(class: &str, want: &str) -> bool {
    match want.strip_suffix("_*_scan") {
        Some(prefix) => class.starts_with(prefix) && class.ends_with("_scan"),
        None => class == want,
    }
}

fn describe(r: &Report) -> String {
    r.findings
        .iter()
        .map(|f| {
            format!(
                "{} {} {:?} -> {:?}",
                f.severity.as_str(),
                f.class,
                f.attackers,
                f.targets
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[test]
fn public_corpus_findings() {
    let Some(corpus) = common::corpus() else {
        eprintln!(
            "SKIPPED: the shared corpus is missing (looked for ../shared/corpus beside the repository, \
             or $WIREHUNT_CORPUS)"
        );
        return;
    };
    let dir = corpus.join("public");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("public corpus")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".pcap"))
        .collect();
    names.sort();
    assert!(
        names.len() >= 70,
        "expected the 71 public captures, found {}",
        names.len()
    );
    let mut errors = Vec::new();
    let mut seen = 0;
    for name in &names {
        let report = common::hunt_path(&dir.join(name), Config::default());
        for &(cap, class, attacker, target) in EXPECTED.iter().filter(|e| e.0 == name) {
            seen += 1;
            let found = report.findings.iter().any(|f| {
                class_matches(f.class, class)
                    && match attacker {
                        "spoofed" => f.attackers_spoofed,
                        a if a.contains(':') && a.len() == 17 => {
                            f.attacker_macs.iter().any(|m| m == a)
                        }
                        a => f.attackers.iter().any(|x| x == a),
                    }
                    && (target.is_empty() || f.targets.iter().any(|t| t == target))
            });
            if !found {
                errors.push(format!(
                    "{cap}: expected {class} by {attacker} against {target}; got {}",
                    describe(&report)
                ));
            }
        }
        if name == "scan_nmap_p80_aggressive_esnet.pcap"
            && let Some(f) = report.findings.iter().find(|f| f.class.ends_with("_scan"))
        {
            errors.push(format!(
                "{name}: probing one port is not a port scan, got {}",
                f.title
            ));
        }
        if BENIGN_PREFIXES.iter().any(|p| name.starts_with(p))
            && let Some(f) = report.findings.iter().find(|f| f.severity > Severity::Low)
        {
            errors.push(format!(
                "{name}: benign capture, but {} finding {}",
                f.severity.as_str(),
                f.title
            ));
        }
    }
    assert_eq!(
        seen,
        EXPECTED.len(),
        "some expected captures are missing from the corpus"
    );
    assert!(
        errors.is_empty(),
        "{} problem(s):\n{}",
        errors.len(),
        errors.join("\n")
    );
}
