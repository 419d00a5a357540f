//! A pass computes only what its fields and filter read (the field
//! registry's needs: header fields skip the TCP conversation table, which
//! costs more than the dissection). These tests hold that every field reads
//! the same with only what it declares as with everything computed.

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;

use common::{corpus_captures, data, ipv4, wirehunt};
use wirehunt_fields::Needs;

/// Output of `packets CAPTURE -T fields` for `fields`, one row per frame.
fn columns(capture: &str, fields: &[&str]) -> Vec<Vec<String>> {
    let mut args = vec!["packets", capture, "-T", "fields"];
    for f in fields {
        args.extend(["-e", f]);
    }
    let (_, out, _) = wirehunt(&args, None);
    out.lines()
        .map(|l| l.split('\t').map(String::from).collect())
        .collect()
}

/// Committed fixtures, then the shared corpus when it is there.
fn all_captures() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(data(""))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "pcap" || x == "pcapng"))
        .collect();
    v.sort();
    if let Some(c) = common::corpus_for("needs consistency check over the corpus") {
        v.extend(corpus_captures(&c).iter().map(|rel| c.join(rel)));
    }
    v
}

#[test]
fn every_field_reads_the_same_with_only_what_it_needs() {
    // Fields grouped by what they need; everything (`frame.protocols`
    // needs it all) is the reference.
    let mut groups: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for f in wirehunt_fields::all() {
        if f.needs() != Needs::ALL {
            groups
                .entry(format!("{:?}", f.needs()))
                .or_default()
                .push(f.name);
        }
    }
    assert!(
        groups.len() >= 4,
        "the registry has fields of each cheaper kind: {groups:?}"
    );
    let mut checked = 0;
    for cap in all_captures() {
        let cap_s = cap.to_str().unwrap();
        for fields in groups.values() {
            let cheap = columns(cap_s, fields);
            let mut with_all = fields.clone();
            with_all.push("frame.protocols");
            let full = columns(cap_s, &with_all);
            assert_eq!(cheap.len(), full.len(), "{cap_s}: frame counts");
            for (n, (a, b)) in cheap.iter().zip(&full).enumerate() {
                for (i, name) in fields.iter().enumerate() {
                    assert_eq!(
                        a.get(i),
                        b.get(i),
                        "{cap_s}, frame {}: {name} differs when computed with only what it needs",
                        n + 1
                    );
                }
            }
            checked += 1;
        }
    }
    assert!(checked > 0);
}

/// A Wireshark quirk that header fields still need: a VXLAN datagram that
/// joined a TFTP conversation is TFTP's, and the TCP reset inside it is not
/// dissected. Checked against tshark 4.0, which prints for this capture:
/// frame 1 `TFTP Read Request`, frame 2 `TFTP Unknown (0x0800)` (no
/// `tcp`), frame 3 `TCP 80 → 40000 [RST, ACK]` with `tcp.flags.reset` 1.
#[test]
fn a_tunnel_in_a_tftp_conversation_hides_its_headers_with_any_needs() {
    let eth = |ethertype: u16, payload: &[u8]| {
        let mut b = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1];
        b.extend_from_slice(&ethertype.to_be_bytes());
        b.extend_from_slice(payload);
        b
    };
    let udp = |sport: u16, dport: u16, payload: &[u8]| {
        let mut b = sport.to_be_bytes().to_vec();
        b.extend_from_slice(&dport.to_be_bytes());
        b.extend_from_slice(&(8 + payload.len() as u16).to_be_bytes());
        b.extend_from_slice(&[0, 0]);
        b.extend_from_slice(payload);
        b
    };
    // RST,ACK from 203.0.113.5:80 to 203.0.113.6:40000.
    let mut rst = vec![0, 80, 0x9c, 0x40, 0, 0, 3, 0xe8, 0, 0, 0, 0, 0x50, 0x14];
    rst.extend_from_slice(&[0; 6]);
    let inner = eth(0x0800, &ipv4([203, 0, 113, 5], [203, 0, 113, 6], 6, &rst));
    let mut vxlan = vec![8, 0, 0, 0, 0, 0, 1, 0];
    vxlan.extend_from_slice(&inner);
    let (client, server, other) = ([198, 51, 100, 1], [198, 51, 100, 2], [198, 51, 100, 3]);

    let mut w = wirehunt_capture::PcapWriter::new(wirehunt_capture::LinkType::ETHERNET);
    w.frame(
        0,
        &eth(
            0x0800,
            &ipv4(client, server, 17, &udp(5000, 69, b"\0\x01file\0octet\0")),
        ),
    );
    // The server answers the client's port: the TFTP conversation.
    w.frame(
        1_000_000,
        &eth(0x0800, &ipv4(server, client, 17, &udp(4789, 5000, &vxlan))),
    );
    // Another host: plain VXLAN.
    w.frame(
        2_000_000,
        &eth(0x0800, &ipv4(other, client, 17, &udp(4789, 5001, &vxlan))),
    );
    let cap = w.into_bytes();
    let run = |args: &[&str]| {
        let mut all = vec!["packets", "-"];
        all.extend_from_slice(args);
        let (code, out, err) = wirehunt(&all, Some(&cap));
        assert_eq!(code, 0, "{err}");
        out
    };
    let header = [
        "-T",
        "fields",
        "-e",
        "frame.number",
        "-e",
        "tcp.flags.reset",
    ];
    assert_eq!(run(&header), "1\t\n2\t\n3\t1\n");
    let mut everything = header.to_vec();
    everything.extend(["-e", "frame.protocols"]);
    let rows = run(&everything);
    assert!(
        rows.starts_with("1\t\t") && rows.contains("\n2\t\t"),
        "{rows}"
    );
    let only_numbers = ["-T", "fields", "-e", "frame.number", "-Y"];
    for filter in [
        "tcp.flags.reset == 1",
        "tcp",
        "eth.addr == 02:00:00:00:00:01 && tcp",
    ] {
        let mut args = only_numbers.to_vec();
        args.push(filter);
        assert_eq!(run(&args), "3\n", "{filter}");
    }
}
