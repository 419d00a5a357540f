//! Statistics parity with capinfos and tshark over the shared corpus.
//!
//! For every capture of `../shared/corpus/{public,generated}`,
//! `tests/stats/SET/CAPTURE.txt` holds what Debian's capinfos and tshark
//! 4.0 print for each view (`scripts/tshark-stats.py` writes them; see
//! there for the commands). This test runs `wirehunt stats … --json` on
//! the same capture, puts its numbers in the expected files' form and
//! compares, view by view:
//!
//! - `info`: every capinfos line (label and value);
//! - `phs`: the protocol tree, pruned on both sides to the protocols
//!   wirehunt decodes (`common::DECODED_PROTOCOLS`, and `pkt_comment`); the frames under the pruned nodes are
//!   counted and their share is printed and bounded (`MAX_UNDECODED_SHARE`);
//! - `conv X` / `endpoints X`: every row in tshark's order, byte counts of
//!   conversations rounded as tshark prints them;
//! - `expert`: the TCP and ARP items (severity, group, summary, count) in tshark's
//!   order, malformed ones and TCP reassembly errors included; other
//!   protocols' items come from dissectors wirehunt does not have;
//! - `follow P N`: the first streams with data of each capture, each
//!   piece of payload as tshark's raw format gives it;
//! - `io 1`: frames and bytes of every one-second interval (tshark
//!   shortens the interval to the capture's duration when that is shorter,
//!   so labels are not compared).
//!
//! A difference fails the test unless it is listed in `KNOWN_DIFFERENCES`
//! (deliberate, with its reason) or in `tests/stats/OPEN.txt` (not solved
//! yet; the list may only shrink).

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wirehunt_stats::units::si_bytes;

mod common;

/// Upper bound on the share of frames (over the whole corpus) that reach
/// a protocol wirehunt does not decode somewhere in tshark's tree.
const MAX_UNDECODED_SHARE: f64 = 0.09;

const KNOWN_DIFFERENCES: &[(&str, &str, &str)] = &[
    (
        "public/malformed_record_len_fuzz_suricata.pcap",
        "*",
        "tshark's libpcap reader guesses another record layout for this fuzzed file and reads its \
         first frame from another offset (and a second, bogus frame); wirehunt reports the damage at \
         frame 2 (see tshark_parity.rs)",
    ),
    (
        "public/malformed_record_len_fuzz_suricata.pcap",
        "info",
        "capinfos prints nothing but an error for a damaged file; wirehunt reports the frames before \
         the damage, then the error (exit status 2)",
    ),
    (
        "public/pcapng_per_packet_encap_pcapplusplus.pcapng",
        "*",
        "interface 1 stamps packets in the year 586524, past what wirehunt's 64-bit nanosecond clock \
         holds, so relative times and intervals differ",
    ),
    (
        "public/malformed_snaplen1_tcpdump.pcap",
        "io 1",
        ONE_INSTANT,
    ),
    (
        "public/pcapng_bigendian_basic_test001.pcapng",
        "io 1",
        ONE_INSTANT,
    ),
    (
        "public/pcapng_shb_all_options_test007.pcapng",
        "io 1",
        ONE_INSTANT,
    ),
];

const ONE_INSTANT: &str = "every frame carries the same time: tshark prints no interval at all, wirehunt the one \
     interval that holds them";

fn expected_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/stats")
}

/// Runs wirehunt: (stdout, stderr).
fn wirehunt_json(args: &[&str]) -> (String, String) {
    let (_, out, err) = common::wirehunt(args, None);
    (out, err)
}

/// Sections of an expected file: (name, rows).
fn sections(text: &str) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for line in text.lines() {
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            out.push((name.to_string(), Vec::new()));
        } else if let Some(last) = out.last_mut() {
            last.1.push(line.to_string());
        }
    }
    out
}

fn digest(rows: &[String]) -> String {
    let mut h = Sha256::new();
    for r in rows {
        h.update(r.as_bytes());
        h.update(b"\n");
    }
    let hex: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    format!("digest {} {}", rows.len(), &hex[..16])
}

/// Compares our rows with the expected ones (full or digest); None when equal.
/// With `WIREHUNT_STATS_DUMP=FILE`, our rows of digested views are
/// appended there, to diff against tshark's by hand.
fn compare(expected: &[String], ours: &[String]) -> Option<String> {
    if let Some(d) = expected.first().filter(|l| l.starts_with("digest ")) {
        let mine = digest(ours);
        if let Some(dump) = std::env::var_os("WIREHUNT_STATS_DUMP") {
            use std::io::Write;
            if let Ok(mut f) = fs::OpenOptions::new().create(true).append(true).open(dump) {
                let _ = writeln!(f, "{d} / {mine}\n{}", ours.join("\n"));
            }
        }
        return (mine != *d).then(|| format!("expected {d}, got {mine}"));
    }
    if expected == ours {
        return None;
    }
    let i = expected
        .iter()
        .zip(ours)
        .position(|(a, b)| a != b)
        .unwrap_or(expected.len().min(ours.len()));
    Some(format!(
        "{} rows expected, {} got; first difference at row {}:\n  tshark:   {}\n  wirehunt: {}",
        expected.len(),
        ours.len(),
        i + 1,
        expected.get(i).map_or("(none)", |s| s),
        ours.get(i).map_or("(none)", |s| s)
    ))
}

fn info_rows(cap: &Path) -> Vec<String> {
    let (out, _) = wirehunt_json(&["stats", "info", "--json", &cap.to_string_lossy()]);
    let Ok(info) = serde_json::from_str::<wirehunt_stats::capinfo::CapInfo>(out.trim()) else {
        return vec![format!("unparsable: {out}")];
    };
    info.lines()
        .into_iter()
        .filter(|(k, _)| !k.starts_with("Packet ") || k.starts_with("Packet size"))
        .map(|(k, v)| format!("{k}\t{}", v.replace("\r\n", "\\n").replace('\n', "\\n")))
        .collect()
}

/// Rows "depth\tname\tframes\tbytes" pruned to the decoded protocols; also the frames
/// of the root nodes and the frames under pruned nodes (tshark's side).
fn prune(rows: &[(usize, String, u64, u64)]) -> (Vec<String>, u64) {
    let mut out = Vec::new();
    let mut cut_at: Option<usize> = None;
    let mut pruned_frames = 0;
    for (depth, name, frames, bytes) in rows {
        if let Some(d) = cut_at {
            if *depth > d {
                continue;
            }
            cut_at = None;
        }
        if !(name == "pkt_comment" || common::DECODED_PROTOCOLS.contains(&name.as_str())) {
            cut_at = Some(*depth);
            pruned_frames += frames;
            continue;
        }
        out.push(format!("{depth}\t{name}\t{frames}\t{bytes}"));
    }
    (out, pruned_frames)
}

fn parse_phs(rows: &[String]) -> Vec<(usize, String, u64, u64)> {
    rows.iter()
        .filter_map(|r| {
            let f: Vec<&str> = r.split('\t').collect();
            Some((
                f.first()?.parse().ok()?,
                f.get(1)?.to_string(),
                f.get(2)?.parse().ok()?,
                f.get(3)?.parse().ok()?,
            ))
        })
        .collect()
}

fn phs_rows(cap: &Path) -> Vec<(usize, String, u64, u64)> {
    let (out, _) = wirehunt_json(&["stats", "phs", "--json", &cap.to_string_lossy()]);
    let tree: Vec<wirehunt_stats::phs::PhsNode> =
        serde_json::from_str(out.trim()).unwrap_or_default();
    fn walk(
        n: &[wirehunt_stats::phs::PhsNode],
        d: usize,
        out: &mut Vec<(usize, String, u64, u64)>,
    ) {
        for x in n {
            out.push((d, x.protocol.clone(), x.frames, x.bytes));
            walk(&x.children, d + 1, out);
        }
    }
    let mut rows = Vec::new();
    walk(&tree, 0, &mut rows);
    rows
}

fn json_lines(out: &str) -> Vec<serde_json::Value> {
    out.lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn addr_port(v: &serde_json::Value, a: &str, p: &str, sep: &str) -> String {
    let addr = v[a].as_str().unwrap_or("").to_string();
    match v.get(p).and_then(|x| x.as_u64()) {
        Some(port) => format!("{addr}{sep}{port}"),
        None => addr,
    }
}

fn conv_rows(cap: &Path, kind: &str) -> Vec<String> {
    let (out, _) = wirehunt_json(&["stats", "conv", kind, "--json", &cap.to_string_lossy()]);
    json_lines(&out)
        .iter()
        .map(|v| {
            let n = |k: &str| v[k].as_u64().unwrap_or(0);
            format!(
                "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{:.9}\t{:.4}",
                addr_port(v, "address_a", "port_a", ":"),
                addr_port(v, "address_b", "port_b", ":"),
                n("frames_b_to_a"),
                si_bytes(n("bytes_b_to_a")),
                n("frames_a_to_b"),
                si_bytes(n("bytes_a_to_b")),
                n("frames"),
                si_bytes(n("bytes")),
                v["rel_start"].as_f64().unwrap_or(0.0),
                v["duration"].as_f64().unwrap_or(0.0),
            )
        })
        .collect()
}

fn endpoint_rows(cap: &Path, kind: &str) -> Vec<String> {
    let (out, _) = wirehunt_json(&["stats", "endpoints", kind, "--json", &cap.to_string_lossy()]);
    json_lines(&out)
        .iter()
        .map(|v| {
            let n = |k: &str| v[k].as_u64().unwrap_or(0);
            format!(
                "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                addr_port(v, "address", "port", "\t"),
                n("frames"),
                n("bytes"),
                n("tx_frames"),
                n("tx_bytes"),
                n("rx_frames"),
                n("rx_bytes"),
            )
        })
        .collect()
}

fn io_rows(cap: &Path) -> Vec<String> {
    let (out, _) = wirehunt_json(&["stats", "io", "--json", "-i", "1s", &cap.to_string_lossy()]);
    json_lines(&out)
        .iter()
        .map(|v| {
            format!(
                "{}\t{}",
                v["frames"].as_u64().unwrap_or(0),
                v["bytes"].as_u64().unwrap_or(0)
            )
        })
        .collect()
}

fn expert_rows(cap: &Path) -> Vec<String> {
    let (out, _) = wirehunt_json(&["stats", "expert", "--json", &cap.to_string_lossy()]);
    out.lines()
        .filter_map(|l| serde_json::from_str::<wirehunt_stats::expert::ExpertItem>(l).ok())
        .filter(|i| matches!(i.protocol.as_str(), "TCP" | "ARP/RARP"))
        .map(|i| {
            format!(
                "{}\t{}\t{}\t{}",
                i.severity.heading(),
                i.group,
                i.summary,
                i.count
            )
        })
        .collect()
}

/// "Node 0: …", "Node 1: …", then "NODE\tHEX" per piece, as tshark's
/// `follow,P,raw,N` (see the script).
fn follow_rows(cap: &Path, proto: &str, stream: &str) -> Vec<String> {
    let (out, _) = wirehunt_json(&[
        "follow",
        "--json",
        "--proto",
        proto,
        &cap.to_string_lossy(),
        stream,
    ]);
    let Ok(v) = serde_json::from_str::<serde_json::Value>(out.trim()) else {
        return vec![format!("no stream: {out}")];
    };
    let mut rows = vec![
        format!("Node 0: {}", v["node_0"].as_str().unwrap_or("")),
        format!("Node 1: {}", v["node_1"].as_str().unwrap_or("")),
    ];
    for c in v["chunks"].as_array().into_iter().flatten() {
        rows.push(format!(
            "{}\t{}",
            c["node"],
            c["data"].as_str().unwrap_or("")
        ));
    }
    rows
}

#[test]
fn statistics_match_capinfos_and_tshark() {
    let Some(corpus) = common::corpus_for("statistics parity suite") else {
        return;
    };
    let open = common::open_list(&expected_dir().join("OPEN.txt"));
    let mut open_seen = BTreeSet::new();
    let mut failures = Vec::new();
    let mut compared = 0usize;
    let (mut phs_frames, mut phs_pruned) = (0u64, 0u64);
    let mut files = 0usize;
    for set in ["public", "generated"] {
        let mut names: Vec<_> = fs::read_dir(corpus.join(set))
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".pcap") || n.ends_with(".pcapng"))
            .collect();
        names.sort();
        for name in names {
            let cap_id = format!("{set}/{name}");
            let cap = corpus.join(set).join(&name);
            let exp_path = expected_dir().join(set).join(format!("{name}.txt"));
            let Ok(text) = fs::read_to_string(&exp_path) else {
                failures.push(format!(
                    "{cap_id}: no expected file (run scripts/tshark-stats.py)"
                ));
                continue;
            };
            files += 1;
            for (view, rows) in sections(&text) {
                let diff = match view.as_str() {
                    "info" => compare(&rows, &info_rows(&cap)),
                    "phs" => {
                        let (exp, pruned) = prune(&parse_phs(&rows));
                        phs_pruned += pruned;
                        phs_frames += parse_phs(&rows)
                            .iter()
                            .filter(|r| r.0 == 0)
                            .map(|r| r.2)
                            .sum::<u64>();
                        compare(&exp, &prune(&phs_rows(&cap)).0)
                    }
                    v if v.starts_with("conv ") => compare(&rows, &conv_rows(&cap, &v[5..])),
                    v if v.starts_with("endpoints ") => {
                        compare(&rows, &endpoint_rows(&cap, &v[10..]))
                    }
                    "expert" => compare(&rows, &expert_rows(&cap)),
                    v if v.starts_with("follow ") => {
                        let mut it = v.split(' ').skip(1);
                        let (proto, stream) = (it.next().unwrap_or(""), it.next().unwrap_or(""));
                        compare(&rows, &follow_rows(&cap, proto, stream))
                    }
                    "io 1" => {
                        if rows.first().is_some_and(|r| r.starts_with("skipped")) {
                            None
                        } else {
                            compare(&rows, &io_rows(&cap))
                        }
                    }
                    _ => continue, // views compared by their own tests
                };
                compared += 1;
                let key = format!("{cap_id} {view}");
                let Some(msg) = diff else {
                    if open.contains(&key) {
                        failures.push(format!(
                            "{key}: now matches; delete it from tests/stats/OPEN.txt"
                        ));
                    }
                    continue;
                };
                if let Some((_, _, _reason)) = KNOWN_DIFFERENCES
                    .iter()
                    .find(|(c, w, _)| *c == cap_id && (*w == view || *w == "*"))
                {
                    continue;
                }
                if open.contains(&key) {
                    open_seen.insert(key);
                    continue;
                }
                failures.push(format!("{key}: {msg}"));
            }
        }
    }
    let share = phs_pruned as f64 / phs_frames.max(1) as f64;
    eprintln!(
        "stats parity: {files} captures, {compared} views compared, {} open; protocol hierarchy: \
         {phs_pruned} of {phs_frames} frames ({:.1}%) reach a protocol wirehunt does not decode",
        open_seen.len(),
        share * 100.0
    );
    assert!(
        files > 0,
        "no expected files in {}",
        expected_dir().display()
    );
    assert!(
        share <= MAX_UNDECODED_SHARE,
        "the undecoded share of the protocol hierarchy grew to {:.1}%",
        share * 100.0
    );
    assert!(
        failures.is_empty(),
        "{} differences:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}
