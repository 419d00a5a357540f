//! The report: what `hunt` found, as one serde model that the terminal
//! table and the JSON lines both render.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::Serialize;

/// How bad a finding is. Ordered: `Info < Low < … < Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
    pub fn parse(s: &str) -> Option<Severity> {
        Some(match s {
            "info" => Severity::Info,
            "low" => Severity::Low,
            "medium" => Severity::Medium,
            "high" => Severity::High,
            "critical" => Severity::Critical,
            _ => return None,
        })
    }
}

/// A MITRE ATT&CK technique.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mitre {
    pub id: &'static str,
    pub name: &'static str,
}

/// MITRE ATT&CK techniques from (id, name) pairs.
pub fn mitre(list: &[(&'static str, &'static str)]) -> Vec<Mitre> {
    list.iter().map(|&(id, name)| Mitre { id, name }).collect()
}

/// A port found open: answered with SYN-ACK, or a service reply for UDP.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct OpenPort {
    pub address: String,
    pub port: u16,
}

/// Ports probed: how many, and as ranges ("1-1024", "22,80,443").
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PortsProbed {
    pub protocol: &'static str,
    pub count: u64,
    pub ranges: String,
}

/// The frames that show a finding, and a filter that selects them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    /// The first frames (at most [`Evidence::MAX_FRAMES`]).
    pub frames: Vec<u64>,
    /// How many frames the evidence has in all.
    pub total: u64,
    /// A display filter (wirehunt's and Wireshark's syntax) showing them.
    pub filter: String,
}

impl Evidence {
    pub const MAX_FRAMES: usize = 20;

    /// Evidence from frames in any order: the first [`Evidence::MAX_FRAMES`]
    /// of them are kept.
    pub fn new(mut frames: Vec<u64>, total: u64, filter: String) -> Evidence {
        frames.sort_unstable();
        frames.truncate(Evidence::MAX_FRAMES);
        Evidence {
            frames,
            total,
            filter,
        }
    }
}

/// One attack or suspicious behaviour.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// From the fixed vocabulary in [`CLASSES`].
    pub class: &'static str,
    pub title: String,
    pub severity: Severity,
    /// 0 to 1.
    pub confidence: f64,
    pub confidence_reason: String,
    pub attackers: Vec<String>,
    /// The source addresses are forged; `attackers` lists none of them.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub attackers_spoofed: bool,
    /// Distinct source addresses seen (for spoofed floods).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distinct_sources: Option<u64>,
    /// Ethernet addresses the attack came from, where that says more than
    /// the IP address (spoofing).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attacker_macs: Vec<String>,
    pub targets: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub technique: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topology: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ports_probed: Option<PortsProbed>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub open_ports: Option<Vec<OpenPort>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed_ports: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filtered_ports: Option<u64>,
    pub first_seen: String,
    pub last_seen: String,
    /// Seconds since the epoch, for sorting and arithmetic.
    pub first_ts: f64,
    pub duration_s: f64,
    /// Packets (or attempts) per second over the duration.
    pub rate: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    pub counters: BTreeMap<&'static str, f64>,
    pub thresholds: BTreeMap<&'static str, f64>,
    pub evidence: Evidence,
    pub mitre: Vec<Mitre>,
    pub explanation: String,
    pub advice: String,
}

/// The classes a finding can have.
pub const CLASSES: &[(&str, &str)] = &[
    (
        "tcp_syn_scan",
        "half-open SYN port scan (scanner resets after SYN-ACK)",
    ),
    (
        "tcp_connect_scan",
        "port scan with full TCP handshakes (connect())",
    ),
    ("tcp_fin_scan", "FIN scan: bare FIN to each port"),
    ("tcp_null_scan", "NULL scan: segments with no flag set"),
    ("tcp_xmas_scan", "Xmas scan: FIN+PSH+URG"),
    (
        "tcp_ack_scan",
        "ACK scan: bare ACKs outside any connection, maps firewall rules",
    ),
    (
        "tcp_window_scan",
        "window scan: an ACK scan whose RST replies differ in window",
    ),
    (
        "tcp_maimon_scan",
        "Maimon scan: FIN+ACK outside any connection",
    ),
    ("udp_scan", "UDP port scan"),
    (
        "ip_protocol_scan",
        "IP protocol scan: one packet per IP protocol number",
    ),
    (
        "ping_sweep",
        "host discovery with ICMP echo (and the ARP it causes)",
    ),
    ("arp_sweep", "host discovery with ARP requests"),
    (
        "tcp_ping_sweep",
        "host discovery with TCP SYN or ACK to one or two ports",
    ),
    (
        "service_probe",
        "OS or service fingerprinting of a few ports (nmap -A/-sV/NSE)",
    ),
    ("syn_flood", "SYN flood (denial of service)"),
    ("ssh_bruteforce", "SSH password guessing"),
    ("ftp_bruteforce", "FTP password guessing"),
    ("telnet_bruteforce", "Telnet password guessing"),
    ("rdp_bruteforce", "RDP password guessing"),
    ("arp_spoofing", "ARP cache poisoning"),
    ("icmp_tunnel", "data tunnelled in ICMP echo payloads"),
    (
        "rst_injection",
        "forged TCP resets tearing down a connection",
    ),
    (
        "suspicious_reset",
        "a reset that does not fit its connection",
    ),
];

/// Why a reset was sent, as far as the packets tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Answer to a SYN (or another probe): nothing listens on the port.
    ClosedPort,
    /// The connection's initiator reset it right after the SYN-ACK, no data.
    ScannerTeardown,
    /// An endpoint ended an established connection with RST: benign.
    AbortiveClose,
    /// Sent after a FIN: an abortive end of a closing connection.
    AfterFin,
    /// No earlier packet of the connection in the capture.
    NoSession,
    /// Sequence number outside the receiver's window.
    Invalid,
    /// In window, but the packet does not look like its supposed sender's.
    InjectedSuspect,
}

impl Verdict {
    /// Verdicts that need no action.
    pub fn is_benign(self) -> bool {
        matches!(
            self,
            Verdict::ClosedPort
                | Verdict::ScannerTeardown
                | Verdict::AbortiveClose
                | Verdict::AfterFin
                | Verdict::NoSession
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::ClosedPort => "closed_port",
            Verdict::ScannerTeardown => "scanner_teardown",
            Verdict::AbortiveClose => "abortive_close",
            Verdict::AfterFin => "after_fin",
            Verdict::NoSession => "no_session",
            Verdict::Invalid => "invalid",
            Verdict::InjectedSuspect => "injected_suspect",
        }
    }
}

/// One TCP reset and its verdict.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResetEvent {
    pub frame: u64,
    pub time: String,
    pub src_ip: String,
    pub src_port: u16,
    pub dest_ip: String,
    pub dest_port: u16,
    pub flags: &'static str,
    pub seq: u32,
    pub ttl: u8,
    pub verdict: Verdict,
    pub reason: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub signals: Vec<String>,
}

/// Something benign but worth knowing.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Note {
    pub kind: &'static str,
    pub text: String,
    pub count: u64,
    pub first_seen: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub src_ip: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dest_ip: Option<String>,
    pub evidence: Evidence,
}

/// What the capture holds, in a few lines.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub packets: u64,
    pub bytes: u64,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    pub duration_s: f64,
    pub hosts: u64,
    /// Share of frames by top protocol, largest first.
    pub protocols: Vec<(String, u64)>,
    /// Addresses sending the most bytes, largest first.
    pub top_talkers: Vec<(String, u64)>,
    /// Resets by verdict.
    pub resets: BTreeMap<&'static str, u64>,
    /// State dropped to stay within the memory bounds.
    pub evicted: BTreeMap<&'static str, u64>,
}

/// Everything `hunt` says about a capture.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub summary: Summary,
    pub findings: Vec<Finding>,
    pub notes: Vec<Note>,
    pub resets: Vec<ResetEvent>,
}

impl Report {
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }
}

/// `2026-11-24T03:52:51.812743Z` from nanoseconds since the epoch.
pub fn iso_time(ns: i64) -> String {
    let (y, m, d, h, mi, s, nanos) = wirehunt_capture::time::utc_parts(ns);
    let mut out = String::with_capacity(27);
    let _ = write!(
        out,
        "{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{:06}Z",
        nanos / 1000
    );
    out
}

/// "1-1024" / "22,80,443-445" from sorted, distinct ports.
pub fn port_ranges(ports: &[u16]) -> String {
    let mut s = String::new();
    let mut i = 0;
    while i < ports.len() {
        let start = ports[i];
        let mut end = start;
        while i + 1 < ports.len() && ports[i + 1] == end.wrapping_add(1) && end != u16::MAX {
            i += 1;
            end = ports[i];
        }
        if !s.is_empty() {
            s.push(',');
        }
        if start == end {
            let _ = write!(s, "{start}");
        } else {
            let _ = write!(s, "{start}-{end}");
        }
        i += 1;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_times() {
        assert_eq!(iso_time(0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(
            iso_time(1_795_492_371_812_743_000),
            "2026-11-24T03:52:51.812743Z"
        );
        assert_eq!(
            iso_time(951_782_400_000_000_000),
            "2000-02-29T00:00:00.000000Z"
        );
        assert_eq!(iso_time(-1_000), "1969-12-31T23:59:59.999999Z");
    }

    #[test]
    fn ranges() {
        assert_eq!(port_ranges(&[1, 2, 3, 5, 7, 8]), "1-3,5,7-8");
        assert_eq!(port_ranges(&[65534, 65535]), "65534-65535");
        assert_eq!(port_ranges(&[]), "");
    }
}
