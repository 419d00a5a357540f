//! Ground truth: every capture of `../shared/corpus/generated/` (and the
//! copies in `tests/data/`, so a plain clone tests some of them) against
//! its JSON: each expected detection is found with the right class,
//! attacker(s) and target(s); scans report the truly open ports among
//! those probed; benign-only captures give no finding at all; no finding
//! names a benign host as attacker, and there is no finding the ground
//! truth does not expect.
//!
//! Deliberate differences, each checked in its own way below:
//! - `horizontal_scan` is a scan class with `topology: "horizontal"`.
//! - `rst_injection`: the forging host (198.51.100.40) never appears in the
//!   capture — the RST carries the server's IP and MAC — so the finding marks
//!   the attacker as spoofed and names the victim; that is all the packets show.
//! - Open ports are compared for SYN, connect and UDP scans. FIN/NULL/Xmas
//!   probes cannot tell open from filtered, and ACK probes cannot tell open
//!   from closed, so those scans report closed/unfiltered counts instead.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;
use wirehunt_hunt::{Config, Finding, Report};

fn strs(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

fn matches_label(f: &Finding, label: &str) -> bool {
    match label {
        "horizontal_scan" => f.class.ends_with("_scan") && f.topology == Some("horizontal"),
        l => f.class == l,
    }
}

fn check_detection(
    file: &str,
    d: &Value,
    report: &Report,
    errors: &mut Vec<String>,
) -> Option<usize> {
    let label = d["label"].as_str().unwrap_or("");
    let attackers = strs(&d["attacker_ips"]);
    let victims = strs(&d["victim_ips"]);
    let candidates: Vec<(usize, &Finding)> = report
        .findings
        .iter()
        .enumerate()
        .filter(|(_, f)| matches_label(f, label))
        .filter(|(_, f)| {
            if label == "rst_injection" {
                f.attackers_spoofed
            } else {
                attackers.iter().all(|a| f.attackers.contains(a))
            }
        })
        .filter(|(_, f)| victims.iter().all(|v| f.targets.contains(v)))
        .collect();
    let Some(&(i, f)) = candidates.first() else {
        errors.push(format!(
            "{file}: expected {label} by {attackers:?} against {victims:?}; found: {:?}",
            report
                .findings
                .iter()
                .map(|f| (f.class, &f.attackers, &f.targets))
                .collect::<Vec<_>>()
        ));
        return None;
    };
    if label == "ping_sweep" {
        // Every host that really got an IP probe is among the targets.
        for h in strs(&d["ip_probed_hosts"]) {
            if !f.targets.contains(&h) {
                errors.push(format!("{file}: ping_sweep targets miss {h}"));
            }
        }
    }
    if let Some(failed) = d["failed_attempts"].as_u64() {
        let ours = f.counters.get("failed_attempts").copied().unwrap_or(-1.0);
        if ours != failed as f64 {
            errors.push(format!(
                "{file}: {label} counts {ours} failed attempts, ground truth {failed}"
            ));
        }
        let logins = d["successful_logins"].as_array().map_or(0, Vec::len);
        if (logins > 0) != (f.severity == wirehunt_hunt::Severity::Critical) {
            errors.push(format!(
                "{file}: {logins} successful login(s) in the ground truth, finding says {:?}",
                f.title
            ));
        }
    }
    let scan_type = d["scan_type"].as_str().unwrap_or("");
    if matches!(scan_type, "syn" | "connect" | "udp")
        && let Some(per_host) = d["per_host"].as_object()
    {
        let probed: BTreeSet<u64> = d["ports_probed"]["ports"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_u64).collect())
            .unwrap_or_default();
        let mut truth: BTreeMap<String, BTreeSet<u16>> = BTreeMap::new();
        for (host, v) in per_host {
            for p in v["truth_probed_ports"]["open"]
                .as_array()
                .into_iter()
                .flatten()
            {
                let p = p.as_u64().unwrap_or(0);
                if probed.contains(&p) {
                    truth.entry(host.clone()).or_default().insert(p as u16);
                }
            }
        }
        let mut found: BTreeMap<String, BTreeSet<u16>> = BTreeMap::new();
        for o in f.open_ports.iter().flatten() {
            found.entry(o.address.clone()).or_default().insert(o.port);
        }
        if found != truth {
            errors.push(format!(
                "{file}: {label} open ports {found:?}, ground truth {truth:?}"
            ));
        }
        let count = d["ports_probed"]["count"].as_u64().unwrap_or(0);
        let ours = f.ports_probed.as_ref().map_or(0, |p| p.count);
        if ours != count {
            errors.push(format!(
                "{file}: {label} reports {ours} ports probed, ground truth {count}"
            ));
        }
    }
    Some(i)
}

fn check(file: &str, truth: &Value, report: &Report, errors: &mut Vec<String>) {
    if truth["is_benign_only"].as_bool() == Some(true) && !report.findings.is_empty() {
        errors.push(format!(
            "{file}: benign capture, but findings {:?}",
            report.findings.iter().map(|f| &f.title).collect::<Vec<_>>()
        ));
    }
    let mut matched = BTreeSet::new();
    for d in truth["expected_detections"]
        .as_array()
        .into_iter()
        .flatten()
    {
        if let Some(i) = check_detection(file, d, report, errors) {
            matched.insert(i);
        }
    }
    let benign = strs(&truth["must_not_flag"]["benign_hosts"]);
    for (i, f) in report.findings.iter().enumerate() {
        if let Some(b) = f.attackers.iter().find(|a| benign.contains(a)) {
            errors.push(format!(
                "{file}: benign host {b} named as attacker in {:?}",
                f.title
            ));
        }
        if !matched.contains(&i) {
            errors.push(format!(
                "{file}: unexpected finding {} {:?}",
                f.class, f.title
            ));
        }
    }
    // Benign resets of the ground truth get a benign verdict.
    for r in truth["expected_benign_resets"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let frame = r["frame"].as_u64().unwrap_or(0);
        match report.resets.iter().find(|e| e.frame == frame) {
            Some(e) if e.verdict.is_benign() => {}
            Some(e) => errors.push(format!(
                "{file}: benign reset in frame {frame} judged {:?}: {}",
                e.verdict, e.reason
            )),
            None => errors.push(format!("{file}: benign reset in frame {frame} not listed")),
        }
    }
}

fn run(pairs: &[(String, PathBuf, PathBuf)]) -> Vec<String> {
    let mut errors = Vec::new();
    for (name, pcap, json) in pairs {
        let truth: Value =
            serde_json::from_slice(&std::fs::read(json).expect("ground truth")).expect("json");
        let report = common::hunt_path(pcap, Config::default());
        check(name, &truth, &report, &mut errors);
    }
    errors
}

fn pairs_in(dir: &Path) -> Vec<(String, PathBuf, PathBuf)> {
    let mut v = Vec::new();
    for e in std::fs::read_dir(dir).expect("dir").flatten() {
        let p = e.path();
        if p.extension().is_some_and(|x| x == "json") {
            let pcap = p.with_extension("pcap");
            if pcap.is_file() {
                let name = pcap.file_name().unwrap().to_string_lossy().into_owned();
                v.push((name, pcap, p));
            }
        }
    }
    v.sort();
    v
}

#[test]
fn repository_copies_match_ground_truth() {
    let pairs = pairs_in(&common::repo_data());
    assert!(
        pairs.len() >= 2,
        "tests/data should hold generated captures"
    );
    let errors = run(&pairs);
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

#[test]
fn generated_corpus_matches_ground_truth() {
    let Some(corpus) = common::corpus() else {
        eprintln!(
            "SKIPPED: the shared corpus is missing (looked for ../shared/corpus beside the repository, \
             or $WIREHUNT_CORPUS); only tests/data was checked"
        );
        return;
    };
    let pairs = pairs_in(&corpus.join("generated"));
    assert!(
        pairs.len() >= 18,
        "expected the 18 generated captures, found {}",
        pairs.len()
    );
    let errors = run(&pairs);
    assert!(
        errors.is_empty(),
        "{} problem(s):\n{}",
        errors.len(),
        errors.join("\n")
    );
}
