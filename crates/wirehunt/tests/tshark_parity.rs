//! tshark parity over the shared corpus.
//!
//! For every capture of `../shared/corpus/{public,generated}` the packet
//! list and the `-T fields` output of `wirehunt packets` are compared with
//! Debian tshark 4.0's, stored in `tests/tshark/` by
//! `scripts/tshark-expected.sh` (full lines for small captures, digests for
//! large ones). When tshark is installed, a mismatch is narrowed down to the
//! first differing frame.
//!
//! Normalisation, the same for both sides (see `normalize`):
//! - frames whose tshark protocol column is not one wirehunt decodes into
//!   an Info text (TCP, UDP, ICMP, ICMPv6, ARP, DNS) are compared on
//!   number, time, addresses and length only;
//! - so are TCP segments tshark labels "[TCP segment of a reassembled PDU]"
//!   (application reassembly is not part of the packet list yet).
//!
//! tshark's TCP analysis labels (`[TCP Retransmission] `, `[TCP Dup ACK
//! 1#1] `, …) are compared like the rest of the Info text.
//!
//! Every other difference fails the test unless it is listed, with its
//! reason, in `KNOWN_DIFFERENCES`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

mod common;

use common::corpus;

/// Fields compared (the script greps this list: one per line).
const FIELDS: &[&str] = &[
    "frame.number",
    "frame.time_epoch",
    "frame.time_relative",
    "frame.len",
    "frame.cap_len",
    "frame.protocols",
    "eth.src",
    "eth.dst",
    "eth.type",
    "vlan.id",
    "arp.opcode",
    "arp.src.hw_mac",
    "arp.src.proto_ipv4",
    "arp.dst.hw_mac",
    "arp.dst.proto_ipv4",
    "arp.duplicate-address-frame",
    "ip.version",
    "ip.hdr_len",
    "ip.src",
    "ip.dst",
    "ip.proto",
    "ip.ttl",
    "ip.id",
    "ip.len",
    "ip.flags.mf",
    "ip.frag_offset",
    "ipv6.src",
    "ipv6.dst",
    "ipv6.nxt",
    "ipv6.hlim",
    "tcp.srcport",
    "tcp.dstport",
    "tcp.stream",
    "tcp.flags",
    "tcp.flags.syn",
    "tcp.flags.ack",
    "tcp.flags.fin",
    "tcp.flags.reset",
    "tcp.flags.push",
    "tcp.flags.urg",
    "tcp.seq",
    "tcp.ack",
    "tcp.seq_raw",
    "tcp.ack_raw",
    "tcp.window_size_value",
    "tcp.len",
    "tcp.options.mss_val",
    "udp.srcport",
    "udp.dstport",
    "udp.stream",
    "udp.length",
    "icmp.type",
    "icmp.code",
    "icmpv6.type",
    "icmpv6.code",
    "dns.id",
    "dns.flags.response",
    "dns.flags.rcode",
    "dns.qry.name",
    "dns.qry.type",
    "dns.a",
    "dns.aaaa",
    "tls.handshake.extensions_server_name",
    "http.request.method",
    "http.host",
    "http.request.uri",
];

/// Protocol columns whose Info text wirehunt reproduces.
const INFO_PROTOCOLS: &[&str] = &["TCP", "UDP", "ICMP", "ICMPv6", "ARP", "DNS", "IPv4", "IPv6"];

/// Captures whose normalised lines are stored in full (below this many
/// frames); larger ones store one digest per chunk.
const FULL_LIST_MAX: usize = 100;
const CHUNK: usize = 1000;

/// Why the times of `pcapng_per_packet_encap_pcapplusplus` differ.
const YEAR_586524: &str = "interface 1 of this file stamps packets in the year 586524; wirehunt keeps time as \
     signed 64-bit nanoseconds (1678 to 2262) and saturates there, where tshark wraps an unsigned 64-bit \
     count into another nonsense date";

/// Deliberate differences: (capture path under the corpus or "*", "list" or
/// a field name, reason).
const KNOWN_DIFFERENCES: &[(&str, &str, &str)] = &[
    (
        "public/pcapng_per_packet_encap_pcapplusplus.pcapng",
        "frame.time_epoch",
        YEAR_586524,
    ),
    (
        "public/pcapng_per_packet_encap_pcapplusplus.pcapng",
        "frame.time_relative",
        YEAR_586524,
    ),
    (
        "public/pcapng_per_packet_encap_pcapplusplus.pcapng",
        "list",
        YEAR_586524,
    ),
    (
        "public/malformed_record_len_fuzz_suricata.pcap",
        "frames",
        "tshark's libpcap reader guesses the Nokia record layout for this fuzzed file and reads a second, \
         bogus frame (1 byte of a claimed 1 MB, negative time); wirehunt reports the damage at frame 2",
    ),
];

fn expected_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tshark")
}

fn digest<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let mut h = Sha256::new();
    for i in items {
        h.update(i.as_bytes());
        h.update(b"\n");
    }
    h.finalize()
        .iter()
        .take(10)
        .fold(String::new(), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Columns of one packet-list line.
struct Line<'a> {
    head: String,
    proto: &'a str,
    len: &'a str,
    info: &'a str,
}

/// Splits `{num:>5} {time:>10} {src:>12} → {dst:<12} {proto} {len} {info}`.
/// The time is empty for records without one, the addresses for frames
/// without any.
fn parse(line: &str) -> Option<Line<'_>> {
    let (left, right) = line.split_once(" → ")?;
    let (num, r) = left.trim_start().split_once(' ')?;
    let (time, src) = match r.get(..10) {
        Some(blank) if blank.bytes().all(|b| b == b' ') => ("", r[10..].trim()),
        _ => {
            let r = r.trim_start();
            let (t, s) = r.split_once(' ').unwrap_or((r, ""));
            (t, s.trim())
        }
    };
    let (dst, rest) = if right.starts_with(' ') {
        ("", right.trim_start())
    } else {
        let (d, r) = right.split_once(' ')?;
        (d, r.trim_start())
    };
    // The protocol column may hold spaces ("ADwin Config"): the length is
    // the first number after it.
    let mut at = 0;
    let (proto, len, info) = loop {
        let sp = rest[at..].find(' ')? + at;
        let after = &rest[sp + 1..];
        let (tok, tail) = after.split_once(' ').unwrap_or((after, ""));
        if !tok.is_empty() && tok.bytes().all(|b| b.is_ascii_digit()) {
            break (&rest[..sp], tok, tail);
        }
        at = sp + 1;
    };
    Some(Line {
        head: format!("{num} {time} {src} → {dst}"),
        proto,
        len,
        info,
    })
}

/// How a frame is compared, from tshark's line and protocol column: its
/// protocol when the Info text is compared, `*` when it is not.
fn tshark_class(line: &str, proto: &str) -> String {
    if INFO_PROTOCOLS.contains(&proto) && !line.contains("[TCP segment of a reassembled PDU]") {
        proto.to_string()
    } else {
        "*".to_string()
    }
}

/// The comparable form of a line, given the frame's class (`tshark_class`).
fn normalize(line: &str, class: &str) -> String {
    let Some(l) = parse(line) else {
        return format!("unparsable: {line}");
    };
    if class == "*" {
        return format!("{} * {}", l.head, l.len);
    }
    format!("{} {} {} {}", l.head, l.proto, l.len, l.info.trim_end())
}

struct Expected {
    frames: usize,
    error: Option<String>,
    protos: Vec<String>,
    lines: Vec<String>,
    chunks: Vec<String>,
    fields: BTreeMap<String, String>,
}

fn load(path: &Path) -> Option<Expected> {
    let text = fs::read_to_string(path).ok()?;
    let mut e = Expected {
        frames: 0,
        error: None,
        protos: Vec::new(),
        lines: Vec::new(),
        chunks: Vec::new(),
        fields: BTreeMap::new(),
    };
    for l in text.lines() {
        let (k, v) = l.split_once(' ').unwrap_or((l, ""));
        match k {
            "frames" => e.frames = v.parse().ok()?,
            "error" => e.error = Some(v.to_string()),
            "proto" => {
                let mut it = v.splitn(3, ' ');
                let from: usize = it.next()?.parse().ok()?;
                let to: usize = it.next()?.parse().ok()?;
                let p = it.next().unwrap_or("");
                for _ in from..=to {
                    e.protos.push(p.to_string());
                }
            }
            "line" => e.lines.push(v.to_string()),
            "chunk" => e.chunks.push(v.rsplit(' ').next()?.to_string()),
            "field" => {
                let (f, d) = v.split_once(' ')?;
                e.fields.insert(f.to_string(), d.to_string());
            }
            _ => {}
        }
    }
    Some(e)
}

fn run_wirehunt(args: &[&str]) -> (String, String) {
    let (_, out, err) = common::wirehunt(args, None);
    (out, err)
}

fn field_columns(tsv: &str, header: bool) -> Vec<Vec<String>> {
    let mut cols = vec![Vec::new(); FIELDS.len()];
    for line in tsv.lines().skip(header as usize) {
        let mut it = line.split('\t');
        for (c, f) in cols.iter_mut().zip(FIELDS) {
            c.push(normalize_field(f, it.next().unwrap_or("")));
        }
    }
    cols
}

/// The comparable form of a field value (see `common::DECODED_PROTOCOLS`).
fn normalize_field(field: &str, value: &str) -> String {
    if field != "frame.protocols" {
        return value.to_string();
    }
    // What follows the last protocol wirehunt decodes (an application
    // protocol, "data", or nothing when tshark hands the segment to
    // reassembly) is not compared.
    let mut out: Vec<&str> = Vec::new();
    for p in value.split(':') {
        if !(p == "ethertype" || common::DECODED_PROTOCOLS.contains(&p)) {
            break;
        }
        out.push(p);
    }
    out.join(":")
}

fn tshark_available() -> bool {
    Command::new("tshark")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// With tshark installed, names the first frame where the two outputs differ.
fn first_difference(cap: &Path, what: &str, ours: &[String]) -> String {
    if !tshark_available() {
        return "install tshark to see the first differing frame".into();
    }
    let cap_s = cap.to_string_lossy();
    let theirs: Vec<String> = if what == "list" {
        let list = Command::new("tshark")
            .args(["-n", "-r", &cap_s])
            .output()
            .unwrap();
        let protos = Command::new("tshark")
            .args(["-n", "-r", &cap_s, "-T", "fields", "-e", "_ws.col.Protocol"])
            .output()
            .unwrap();
        let protos = String::from_utf8_lossy(&protos.stdout)
            .lines()
            .map(str::to_string)
            .collect::<Vec<_>>();
        String::from_utf8_lossy(&list.stdout)
            .lines()
            .zip(protos.iter())
            .map(|(l, p)| normalize(l, &tshark_class(l, p)))
            .collect()
    } else {
        let out = Command::new("tshark")
            .args(["-n", "-r", &cap_s, "-T", "fields", "-e", what])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|v| normalize_field(what, v))
            .collect()
    };
    for (i, (a, b)) in theirs.iter().zip(ours).enumerate() {
        if a != b {
            return format!("frame {}:\n      tshark:   {a}\n      wirehunt: {b}", i + 1);
        }
    }
    format!(
        "frame counts differ: tshark {}, wirehunt {}",
        theirs.len(),
        ours.len()
    )
}

fn known(cap: &str, what: &str) -> Option<&'static str> {
    KNOWN_DIFFERENCES
        .iter()
        .find(|(c, w, _)| (*c == "*" || *c == cap) && *w == what)
        .map(|(_, _, r)| *r)
}

#[test]
fn packet_list_and_fields_match_tshark() {
    let Some(corpus) = common::corpus_for("tshark parity suite") else {
        return;
    };
    let field_arg = FIELDS.iter().flat_map(|f| ["-e", f]).collect::<Vec<_>>();
    let mut failures = Vec::new();
    let mut known_seen = Vec::new();
    let open = common::open_list(&expected_dir().join("OPEN.txt"));
    let mut open_seen = std::collections::BTreeSet::new();
    let (mut frames_total, mut frames_info) = (0usize, 0usize);
    let caps = common::corpus_captures(&corpus);
    assert!(
        !caps.is_empty(),
        "no captures found in {}",
        corpus.display()
    );
    for cap in &caps {
        let exp_path = expected_dir().join(format!("{cap}.txt"));
        let Some(exp) = load(&exp_path) else {
            failures.push(format!(
                "{cap}: no expected file {} (run scripts/tshark-expected.sh)",
                exp_path.display()
            ));
            continue;
        };
        let path = corpus.join(cap);
        let path_s = path.to_string_lossy();
        let (list, err) = run_wirehunt(&["packets", &path_s]);
        let ours: Vec<&str> = list.lines().collect();
        let mut problem = |what: &str, msg: &dyn Fn() -> String| {
            let key = format!("{cap} {what}");
            if open.contains(&key) {
                open_seen.insert(key);
                return;
            }
            match known(cap, what) {
                Some(reason) => known_seen.push(format!("{key}: {reason}")),
                None => failures.push(format!("{key}: {}", msg())),
            }
        };
        if ours.len() != exp.frames {
            problem("frames", &|| {
                format!(
                    "tshark reads {} frames, wirehunt {} ({})",
                    exp.frames,
                    ours.len(),
                    err.trim()
                )
            });
            continue;
        }
        if exp.error.is_some() && err.is_empty() {
            problem("error", &|| {
                format!(
                    "tshark reports damage ({:?}); wirehunt says nothing",
                    exp.error
                )
            });
        }
        let normalized: Vec<String> = ours
            .iter()
            .zip(exp.protos.iter())
            .map(|(l, p)| normalize(l, p))
            .collect();
        frames_total += normalized.len();
        frames_info += normalized.iter().filter(|l| !l.contains(" * ")).count();
        let list_ok = if !exp.lines.is_empty() || exp.chunks.is_empty() {
            normalized == exp.lines
        } else {
            let ours_chunks: Vec<String> = normalized
                .chunks(CHUNK)
                .map(|c| digest(c.iter().map(String::as_str)))
                .collect();
            ours_chunks == exp.chunks
        };
        if !list_ok {
            problem("list", &|| first_difference(&path, "list", &normalized));
        }
        let (tsv, _) = run_wirehunt(
            &[
                &["packets", path_s.as_ref(), "-T", "fields"],
                &field_arg[..],
            ]
            .concat(),
        );
        let cols = field_columns(&tsv, false);
        for (i, f) in FIELDS.iter().enumerate() {
            let Some(want) = exp.fields.get(*f) else {
                continue;
            };
            if &digest(cols[i].iter().map(String::as_str)) != want {
                problem(f, &|| first_difference(&path, f, &cols[i]));
            }
        }
    }
    eprintln!(
        "tshark parity: {} captures, {frames_total} frames, {frames_info} with the Info text compared, {} known differences",
        caps.len(),
        known_seen.len()
    );
    for k in &known_seen {
        eprintln!("  known: {k}");
    }
    eprintln!(
        "  open (listed in tests/tshark/OPEN.txt): {}",
        open_seen.len()
    );
    for fixed in open.difference(&open_seen) {
        failures.push(format!(
            "{fixed}: matches tshark now; delete its line from tests/tshark/OPEN.txt"
        ));
    }
    assert!(
        failures.is_empty(),
        "{} differences from tshark:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Writes the expected files from raw tshark output; run by
/// `scripts/tshark-expected.sh`, never by a plain `cargo test`.
#[test]
#[ignore]
fn regenerate() {
    let raw = PathBuf::from(
        std::env::var_os("WIREHUNT_TSHARK_RAW").expect("run scripts/tshark-expected.sh"),
    );
    let corpus = corpus().expect("corpus");
    for cap in common::corpus_captures(&corpus) {
        let read =
            |ext: &str| fs::read_to_string(raw.join(format!("{cap}.{ext}"))).unwrap_or_default();
        let (list, err, protos, fields) =
            (read("list"), read("err"), read("proto"), read("fields"));
        let lines: Vec<&str> = list.lines().collect();
        let protos: Vec<String> = lines
            .iter()
            .zip(protos.lines().chain(std::iter::repeat("")))
            .map(|(l, p)| tshark_class(l, p))
            .collect();
        let mut out = format!(
            "# tshark 4.0 (Debian) on {cap}: tshark -n -r CAPTURE; -T fields -e _ws.col.Protocol; -T fields -e FIELD...\n\
             # written by scripts/tshark-expected.sh; do not edit\nframes {}\n",
            lines.len()
        );
        if let Some(e) = err.lines().find(|l| !l.starts_with("Running as user")) {
            let _ = writeln!(out, "error {e}");
        }
        let mut start = 0;
        while start < protos.len() {
            let mut end = start;
            while end + 1 < protos.len() && protos[end + 1] == protos[start] {
                end += 1;
            }
            let _ = writeln!(out, "proto {} {} {}", start + 1, end + 1, protos[start]);
            start = end + 1;
        }
        let normalized: Vec<String> = lines
            .iter()
            .zip(protos.iter())
            .map(|(l, p)| normalize(l, p))
            .collect();
        if normalized.len() <= FULL_LIST_MAX {
            for l in &normalized {
                let _ = writeln!(out, "line {l}");
            }
        } else {
            for (i, c) in normalized.chunks(CHUNK).enumerate() {
                let _ = writeln!(
                    out,
                    "chunk {} {} {}",
                    i * CHUNK + 1,
                    i * CHUNK + c.len(),
                    digest(c.iter().map(String::as_str))
                );
            }
        }
        let cols = field_columns(&fields, true);
        for (i, f) in FIELDS.iter().enumerate() {
            let _ = writeln!(
                out,
                "field {f} {}",
                digest(cols[i].iter().map(String::as_str))
            );
        }
        let dest = expected_dir().join(format!("{cap}.txt"));
        fs::create_dir_all(dest.parent().unwrap()).unwrap();
        fs::write(dest, out).unwrap();
    }
}
