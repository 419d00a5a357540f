//! End-to-end reading: damaged files, gzip, standard input, `-c`, fields.

mod common;

use std::io::Write;

use common::{data, wirehunt};

#[test]
fn reference_scan_lists_like_tshark() {
    let p = data("01_syn_scan.pcap");
    let (code, out, _) = wirehunt(&["packets", p.to_str().unwrap(), "-c", "12"], None);
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), 12);
    assert!(out.contains("198.51.100.10 → 198.51.100.20 TCP"), "{out}");
}

#[test]
fn cut_short_file_gives_frames_before_the_damage_and_exit_2() {
    let bytes = std::fs::read(data("10b_benign_closed_port.pcap")).unwrap();
    let cut = &bytes[..bytes.len() - 10];
    let dir = std::env::temp_dir().join(format!("wirehunt-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("cut.pcap");
    std::fs::write(&path, cut).unwrap();
    let (code, out, err) = wirehunt(&["packets", path.to_str().unwrap()], None);
    assert_eq!(code, 2);
    assert_eq!(out.lines().count(), 19, "the 19 complete frames are listed");
    assert!(
        err.contains("frame 20") && err.contains("byte offset"),
        "{err}"
    );
    // A record claiming a giant packet is damage, not an allocation.
    let mut giant = bytes[..24].to_vec();
    giant.extend_from_slice(&[
        0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xf0, 0xff, 0xff, 0xff, 0xf0,
    ]);
    std::fs::write(&path, &giant).unwrap();
    let (code, out, err) = wirehunt(&["packets", path.to_str().unwrap()], None);
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(err.contains("bigger than the maximum"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn stdin_and_gzip_read_the_same_frames() {
    let bytes = std::fs::read(data("10b_benign_closed_port.pcap")).unwrap();
    let p = data("10b_benign_closed_port.pcap");
    let (_, direct, _) = wirehunt(&["packets", p.to_str().unwrap()], None);
    let (code, piped, _) = wirehunt(&["packets", "-"], Some(&bytes));
    assert_eq!(code, 0);
    assert_eq!(direct, piped);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&bytes).unwrap();
    let (code, unzipped, _) = wirehunt(&["packets", "-"], Some(&gz.finish().unwrap()));
    assert_eq!(code, 0);
    assert_eq!(direct, unzipped);
    let (_, buffered, _) = wirehunt(&["packets", p.to_str().unwrap(), "--no-mmap"], None);
    assert_eq!(direct, buffered);
}

#[test]
fn fields_and_json() {
    let p = data("10b_benign_closed_port.pcap");
    let p = p.to_str().unwrap();
    let (code, out, _) = wirehunt(
        &[
            "packets",
            p,
            "-T",
            "fields",
            "-e",
            "frame.number",
            "-e",
            "tcp.flags.reset",
            "-c",
            "2",
        ],
        None,
    );
    assert_eq!(code, 0);
    assert_eq!(out.lines().next().map(|l| l.split('\t').count()), Some(2));
    let (_, json, _) = wirehunt(
        &[
            "packets",
            p,
            "--json",
            "-e",
            "frame.number",
            "-e",
            "ip.src",
            "-c",
            "1",
        ],
        None,
    );
    let v: serde_json::Value = serde_json::from_str(json.lines().next().unwrap()).unwrap();
    assert_eq!(v["frame.number"], 1);
    let (code, _, err) = wirehunt(
        &["packets", p, "-T", "fields", "-e", "tcp.flag.reset"],
        None,
    );
    assert_eq!(code, 2);
    assert!(err.contains("unknown field"), "{err}");
}

/// Raw IPv4 (link type 228) fragments, listed as tshark 4.0 lists the same
/// bytes (its lines, frame and time columns aside): a lone fragment of an
/// unnamed protocol, then a UDP datagram in two fragments, last one first;
/// the fragment that completes it shows the whole datagram.
#[test]
fn ip_fragments_list_and_reassemble_like_tshark() {
    let v4 = |id: u16, proto: u8, frag: u16, payload: &[u8]| {
        let mut b = vec![0x45, 0];
        b.extend_from_slice(&((20 + payload.len()) as u16).to_be_bytes());
        b.extend_from_slice(&id.to_be_bytes());
        b.extend_from_slice(&frag.to_be_bytes());
        b.extend_from_slice(&[64, proto, 0, 0, 198, 51, 100, 1, 198, 51, 100, 2]);
        b.extend_from_slice(payload);
        b
    };
    let mut udp = vec![0x30, 0x39, 0, 9, 0, 40, 0, 0];
    udp.extend(0..32u8);
    let mut w = wirehunt_capture::PcapWriter::new(wirehunt_capture::LinkType::IPV4);
    w.frame(0, &v4(0x1234, 170, 0x2000, &[0; 8]));
    w.frame(1, &v4(7, 17, 2, &udp[16..]));
    w.frame(2, &v4(7, 17, 0x2000, &udp[..16]));
    let (code, out, _) = wirehunt(&["packets", "-"], Some(w.bytes()));
    assert_eq!(code, 0);
    let lines: Vec<&str> = out
        .lines()
        .map(|l| l.split_once(" 198.51.100.1 ").map_or(l, |(_, r)| r))
        .collect();
    assert_eq!(
        lines,
        [
            "→ 198.51.100.2 IPv4 28 Fragmented IP protocol (proto=Unassigned 170, off=0, ID=1234)",
            "→ 198.51.100.2 IPv4 44 Fragmented IP protocol (proto=UDP 17, off=16, ID=0007)",
            "→ 198.51.100.2 UDP 36 12345 → 9 Len=32",
        ]
    );
}
