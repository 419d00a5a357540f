//! `wirehunt stats`, `follow` and `packets -V` on captures of the
//! repository: the human tables (insta snapshots), the JSON field names the
//! README documents, and the errors.

mod common;

use common::{data, wirehunt};

fn run(args: &[&str]) -> String {
    let (code, out, err) = wirehunt(args, None);
    assert_eq!(code, 0, "wirehunt {args:?} failed: {err}");
    out
}

fn cap(name: &str) -> String {
    data(name).to_string_lossy().into_owned()
}

#[test]
fn human_tables() {
    let c = cap("10c_benign_client_abort.pcap");
    insta::assert_snapshot!("info", run(&["stats", "info", &c]).replace(&c, "CAPTURE"));
    insta::assert_snapshot!("phs", run(&["stats", "phs", &c]));
    insta::assert_snapshot!("conv_tcp", run(&["stats", "conv", "tcp", &c]));
    insta::assert_snapshot!("endpoints_ip", run(&["stats", "endpoints", "ip", &c]));
    insta::assert_snapshot!("expert", run(&["stats", "expert", &c]));
    insta::assert_snapshot!("io", run(&["stats", "io", "-i", "100ms", &c]));
    insta::assert_snapshot!("follow", run(&["follow", &c, "0"]));
    insta::assert_snapshot!("detail", run(&["packets", &c, "-V", "-c", "2"]));
}

#[test]
fn scan_probe_stream_has_no_payload() {
    // Reference case 2: following a half-open scan probe shows no data.
    let out = run(&["follow", &cap("01_syn_scan.pcap"), "0"]);
    assert!(out.contains("no payload"), "{out}");
    assert!(
        out.contains("0 bytes from node 0, 0 bytes from node 1"),
        "{out}"
    );
}

#[test]
fn json_field_names() {
    let c = cap("10c_benign_client_abort.pcap");
    let line = run(&["stats", "conv", "tcp", "--json", &c]);
    let v: serde_json::Value = serde_json::from_str(line.lines().next().unwrap()).unwrap();
    for k in [
        "address_a",
        "port_a",
        "address_b",
        "port_b",
        "frames_a_to_b",
        "bytes_a_to_b",
        "frames_b_to_a",
        "bytes_b_to_a",
        "rel_start",
        "duration",
    ] {
        assert!(v.get(k).is_some(), "conversation lacks {k}: {v}");
    }
    let line = run(&[
        "stats",
        "endpoints",
        "udp",
        "--json",
        &cap("05_ping_sweep.pcap"),
    ]);
    for l in line.lines() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        for k in [
            "address",
            "port",
            "frames",
            "bytes",
            "tx_frames",
            "tx_bytes",
            "rx_frames",
            "rx_bytes",
        ] {
            assert!(v.get(k).is_some(), "endpoint lacks {k}: {v}");
        }
    }
    let tree: serde_json::Value =
        serde_json::from_str(&run(&["stats", "phs", "--json", &c])).unwrap();
    assert_eq!(tree[0]["protocol"], "eth");
    assert!(tree[0]["children"][0]["frames"].as_u64().unwrap() > 0);
    let v: serde_json::Value = serde_json::from_str(
        run(&["stats", "expert", "--json", &c])
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    for k in ["severity", "group", "protocol", "summary", "count"] {
        assert!(v.get(k).is_some(), "expert item lacks {k}: {v}");
    }
    let v: serde_json::Value =
        serde_json::from_str(&run(&["stats", "info", "--json", &c])).unwrap();
    for k in [
        "file_type",
        "number_of_packets",
        "data_size",
        "capture_duration",
        "sha256",
        "interfaces",
    ] {
        assert!(v.get(k).is_some(), "info lacks {k}: {v}");
    }
}

#[test]
fn display_filter_narrows_the_views() {
    let c = cap("10c_benign_client_abort.pcap");
    let all: serde_json::Value =
        serde_json::from_str(&run(&["stats", "phs", "--json", &c])).unwrap();
    let rst: serde_json::Value = serde_json::from_str(&run(&[
        "stats",
        "phs",
        "--json",
        "-Y",
        "tcp.flags.reset == 1",
        &c,
    ]))
    .unwrap();
    assert!(rst[0]["frames"].as_u64().unwrap() < all[0]["frames"].as_u64().unwrap());
    assert!(rst[0]["frames"].as_u64().unwrap() > 0);
}

#[test]
fn errors_are_clear() {
    let (code, _, err) = wirehunt(
        &["follow", &cap("10c_benign_client_abort.pcap"), "999"],
        None,
    );
    assert_eq!(code, 2);
    assert!(err.contains("no tcp stream 999"), "{err}");
    let (code, _, err) = wirehunt(
        &[
            "stats",
            "io",
            "-i",
            "0s",
            &cap("10c_benign_client_abort.pcap"),
        ],
        None,
    );
    assert_eq!(code, 2);
    assert!(err.contains("--interval"), "{err}");
    let (code, _, err) = wirehunt(
        &[
            "stats",
            "conv",
            "tcp",
            "-Y",
            "tcp.flags.bogus",
            &cap("01_syn_scan.pcap"),
        ],
        None,
    );
    assert_eq!(code, 2);
    assert!(err.contains("invalid display filter"), "{err}");
}

#[test]
fn damaged_capture_counts_what_came_before() {
    // A capture cut in the middle of its second record.
    let bytes = std::fs::read(data("10c_benign_client_abort.pcap")).unwrap();
    let first_len = u32::from_le_bytes(bytes[32..36].try_into().unwrap()) as usize;
    let cut = 24 + 16 + first_len + 20;
    let (code, out, err) = wirehunt(&["stats", "phs", "--json", "-"], Some(&bytes[..cut]));
    assert_eq!(code, 2, "{err}");
    let tree: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(tree[0]["frames"], 1);
    assert!(err.contains("frame 2") || err.contains("offset"), "{err}");
}
