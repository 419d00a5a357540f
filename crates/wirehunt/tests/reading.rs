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
