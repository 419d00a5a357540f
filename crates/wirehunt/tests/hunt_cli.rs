//! `wirehunt hunt` end to end: the report, JSON lines, exit statuses.

mod common;

use common::{data, wirehunt};

#[test]
fn scan_report_and_fail_on() {
    let p = data("01_syn_scan.pcap");
    let p = p.to_str().unwrap();
    let (code, out, err) = wirehunt(&["hunt", p], None);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("tcp_syn_scan") && out.contains("198.51.100.10"),
        "{out}"
    );
    assert!(
        out.contains(
            "open: 198.51.100.20:22, 198.51.100.20:53, 198.51.100.20:80, 198.51.100.20:443"
        ),
        "{out}"
    );
    assert!(
        !out.contains('\x1b'),
        "no colour when stdout is not a terminal"
    );
    assert_eq!(wirehunt(&["hunt", "--fail-on", "medium", p], None).0, 1);
    assert_eq!(wirehunt(&["hunt", "--fail-on", "high", p], None).0, 0);
    // A benign capture fails on nothing.
    let b = data("10b_benign_closed_port.pcap");
    assert_eq!(
        wirehunt(&["hunt", "--fail-on", "low", b.to_str().unwrap()], None).0,
        0
    );
}

#[test]
fn json_lines_are_eve_like() {
    let p = data("01_syn_scan.pcap");
    let (code, out, _) = wirehunt(&["hunt", "--json", "--resets", p.to_str().unwrap()], None);
    assert_eq!(code, 0);
    let events: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert_eq!(events[0]["event_type"], "summary");
    assert_eq!(events[0]["summary"]["packets"], 2056);
    let findings: Vec<_> = events
        .iter()
        .filter(|e| e["event_type"] == "finding")
        .collect();
    assert_eq!(findings.len(), 1);
    let f = findings[0];
    assert_eq!(f["src_ip"], "198.51.100.10");
    assert_eq!(f["dest_ip"], "198.51.100.20");
    assert_eq!(f["finding"]["class"], "tcp_syn_scan");
    assert_eq!(f["finding"]["mitre"][0]["id"], "T1046");
    assert!(
        f["timestamp"]
            .as_str()
            .unwrap()
            .starts_with("2026-11-24T03:52:51")
    );
    let resets: Vec<_> = events
        .iter()
        .filter(|e| e["event_type"] == "reset")
        .collect();
    assert_eq!(resets.len(), 1021);
    assert!(
        resets.iter().all(|e| e["reset"]["verdict"] == "closed_port"
            || e["reset"]["verdict"] == "scanner_teardown")
    );
}

#[test]
fn resets_listing_and_notes() {
    let p = data("10b_benign_closed_port.pcap");
    let (code, out, _) = wirehunt(&["hunt", "--resets", p.to_str().unwrap()], None);
    assert_eq!(code, 0);
    assert!(out.contains("No findings."), "{out}");
    assert!(out.contains("refused with RST,ACK"), "{out}");
    let line = out
        .lines()
        .find(|l| l.contains("closed_port") && l.contains("→"))
        .expect("reset line");
    assert!(line.contains("198.51.100.20:8081"), "{line}");
}

#[test]
fn config_and_damage() {
    let dir = std::env::temp_dir().join(format!("wirehunt-hunt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = dir.join("bad.toml");
    std::fs::write(&cfg, "[thresholds]\nscan_min_probez = 3\n").unwrap();
    let p = data("01_syn_scan.pcap");
    let (code, out, err) = wirehunt(
        &[
            "hunt",
            "--config",
            cfg.to_str().unwrap(),
            p.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(err.contains("scan_min_probez"), "{err}");
    // Thresholds from the file apply: a scan of 1024 ports is below 2000.
    std::fs::write(
        &cfg,
        "sensitivity = \"low\"\n[thresholds]\nscan_min_probes = 2000\n",
    )
    .unwrap();
    let (code, out, _) = wirehunt(
        &[
            "hunt",
            "--config",
            cfg.to_str().unwrap(),
            p.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(code, 0);
    assert!(out.contains("No findings."), "{out}");
    // A capture cut short: the report covers what was read, then exit 2.
    let bytes = std::fs::read(&p).unwrap();
    let cut = dir.join("cut.pcap");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let (code, out, err) = wirehunt(&["hunt", cut.to_str().unwrap()], None);
    assert_eq!(code, 2);
    assert!(out.contains("tcp_syn_scan"), "{out}");
    assert!(
        err.contains("byte offset") && err.contains("analysed"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
