//! Inputs that once broke something, or that are built to: every file in
//! `tests/fuzz/` (crashes found by `fuzz/` are copied there) and a few
//! hand-made hostile captures run through `packets` (every field, and the
//! packet list) and `hunt --json --resets`. Each must end with exit status
//! 0 or 2 — never a panic (101) or a signal.

mod common;

use std::path::{Path, PathBuf};

use common::wirehunt;
use wirehunt_capture::{LinkType, PcapWriter};

/// Hand-made hostile captures.
fn hostile() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    // IPv4 header claiming options past the frame, TCP data offset 60 in a
    // 20-byte segment, ICMP error quoting a truncated datagram.
    let mut v = PcapWriter::new(LinkType(1));
    let mut eth = vec![0u8; 12];
    eth.extend_from_slice(&[0x08, 0x00]);
    let mut ip = vec![
        0x4f, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
    ];
    ip.extend_from_slice(&[
        0, 80, 0, 81, 0, 0, 0, 1, 0, 0, 0, 0, 0xf0, 0x02, 0, 0, 0, 0, 0, 0,
    ]);
    let f: Vec<u8> = eth.iter().chain(ip.iter()).copied().collect();
    v.record(0, &f, 4000);
    let mut icmp = vec![
        0x45, 0, 0, 36, 0, 0, 0, 0, 64, 1, 0, 0, 10, 0, 0, 2, 10, 0, 0, 1, 3, 3, 0, 0, 0, 0, 0, 0,
    ];
    icmp.extend_from_slice(&[0x46, 0, 0, 200, 0, 0]);
    let f: Vec<u8> = eth.iter().chain(icmp.iter()).copied().collect();
    v.record(0, &f, 60);
    out.push(("bad_lengths".to_string(), v.into_bytes()));
    // A DNS name of compression pointers pointing at each other, on UDP 53.
    let mut v = PcapWriter::new(LinkType(101));
    let mut p = vec![
        0x45, 0, 0, 0, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
    ];
    p.extend_from_slice(&[0, 53, 0, 53, 0, 30, 0, 0]);
    p.extend_from_slice(&[0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 14, 0xc0, 12]);
    let len = p.len() as u16;
    p[2..4].copy_from_slice(&len.to_be_bytes());
    v.frame(0, &p);
    out.push(("dns_pointer_loop".to_string(), v.into_bytes()));
    // Every link type wirehunt knows, with one byte of payload.
    for link in [0u32, 1, 12, 14, 101, 108, 113, 228, 229, 276] {
        let mut v = PcapWriter::new(LinkType(link));
        v.record(0, &[0x45], 1);
        out.push((format!("one_byte_link_{link}"), v.into_bytes()));
    }
    out
}

fn check(path: &Path, failures: &mut Vec<String>) {
    let p = path.to_str().unwrap();
    let mut args = vec!["packets", p, "-T", "fields"];
    let fields = [
        "frame.number",
        "frame.protocols",
        "ip.src",
        "tcp.stream",
        "tcp.seq",
        "udp.stream",
        "dns.qry.name",
        "icmp.type",
        "arp.opcode",
        "http.host",
        "tls.handshake.extensions_server_name",
    ];
    for f in &fields {
        args.extend(["-e", f]);
    }
    for run in [
        args,
        vec!["packets", p],
        vec!["packets", p, "--json"],
        vec!["hunt", "--json", "--resets", p],
    ] {
        let (code, _, err) = wirehunt(&run, None);
        if code != 0 && code != 2 {
            failures.push(format!("{run:?}: exit {code}: {err}"));
        }
    }
}

#[test]
fn hostile_inputs_end_cleanly() {
    let dir = std::env::temp_dir().join(format!("wirehunt-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut failures = Vec::new();
    for (name, bytes) in hostile() {
        let path = dir.join(format!("{name}.pcap"));
        std::fs::write(&path, bytes).unwrap();
        check(&path, &mut failures);
    }
    let saved = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz");
    for e in std::fs::read_dir(saved).unwrap().flatten() {
        if e.path().extension().is_some_and(|x| x == "bin") {
            check(&e.path(), &mut failures);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
