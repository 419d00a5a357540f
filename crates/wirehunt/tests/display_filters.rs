//! Display filters select the same frames as tshark 4.0.
//!
//! Every filter of `tests/filters/FILTERS.txt` runs over every capture of
//! `../shared/corpus/{public,generated}` (one pass per capture, all filters
//! at once, through the library); the selected frame numbers must equal
//! tshark's, stored by `scripts/tshark-filters.py` as a count and a digest
//! per (capture, filter). With tshark installed, a mismatch names the first
//! differing frame. Filters marked "! " are rejected by tshark and must be
//! rejected by wirehunt.
//!
//! `DELIBERATE` names the selections that differ from tshark's by design
//! (see `tshark_parity.rs`), with the reason.
//!
//! `tests/filters/OPEN.txt` lists the (capture, filter) pairs that differ
//! because a field they use differs from tshark on that capture (the
//! field-level differences of `tests/tshark/OPEN.txt`); the test fails on any
//! other difference, and on a listed one that no longer differs.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

mod common;

use sha2::{Digest, Sha256};
use wirehunt_capture::{CaptureReader, OpenOptions};
use wirehunt_fields::Needs;
use wirehunt_fields::pipeline::Pipeline;
use wirehunt_filter::Filter;
use wirehunt_flow::FlowConfig;

/// Selections that differ from tshark's by design: (capture, filter
/// indexes or all when empty, reason).
const DELIBERATE: &[(&str, &[usize], &str)] = &[
    (
        "public/malformed_record_len_fuzz_suricata.pcap",
        &[],
        "tshark's libpcap reader guesses the Nokia record layout for this fuzzed file, so its frame 1 \
         starts at another offset and it reads a bogus frame 2; wirehunt reads frame 1 as the standard \
         layout says and reports the damage at frame 2",
    ),
    (
        "public/pcapng_per_packet_encap_pcapplusplus.pcapng",
        &[105, 106],
        "interface 1 stamps packets in the year 586524, past wirehunt's 64-bit nanosecond clock, so \
         relative times differ (see tshark_parity.rs)",
    ),
];

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/filters")
}

/// (text, tshark accepts it)
fn filters() -> Vec<(String, bool)> {
    std::fs::read_to_string(dir().join("FILTERS.txt"))
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| match l.strip_prefix("! ") {
            Some(bad) => (bad.to_string(), false),
            None => (l.to_string(), true),
        })
        .collect()
}

fn digest(frames: &[u64]) -> String {
    let mut h = Sha256::new();
    for f in frames {
        h.update(format!("{f}\n").as_bytes());
    }
    h.finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Frames each filter selects in one capture. Each filter runs over frames
/// computed with only what it needs (as `-Y` does), one pipeline per kind
/// of needs.
fn select(cap: &Path, compiled: &[Option<Filter>]) -> Vec<Vec<u64>> {
    let mut out = vec![Vec::new(); compiled.len()];
    let Ok(mut reader) = CaptureReader::open(cap, OpenOptions::default()) else {
        return out;
    };
    let mut pipelines: Vec<(Needs, Pipeline, Vec<usize>)> = Vec::new();
    for (i, f) in compiled.iter().enumerate() {
        let Some(f) = f else { continue };
        match pipelines.iter_mut().find(|p| p.0 == f.needs()) {
            Some(p) => p.2.push(i),
            None => pipelines.push((
                f.needs(),
                Pipeline::new(f.needs(), FlowConfig::default().max_conversations),
                vec![i],
            )),
        }
    }
    let mut first = None;
    while let Ok(Some(frame)) = reader.next_frame() {
        let first_ts_ns = *first.get_or_insert(frame.ts_ns);
        for (_, pipeline, filters) in &mut pipelines {
            pipeline.run(&frame, first_ts_ns, |ctx| {
                for &i in filters.iter() {
                    if compiled[i].as_ref().is_some_and(|f| f.matches(ctx)) {
                        out[i].push(frame.number);
                    }
                }
            });
        }
    }
    out
}

fn first_difference(cap: &Path, filter: &str, ours: &[u64]) -> String {
    let Ok(o) = Command::new("tshark")
        .args(["-n", "-r"])
        .arg(cap)
        .args(["-Y", filter, "-T", "fields", "-e", "frame.number"])
        .output()
    else {
        return "install tshark to see the first differing frame".into();
    };
    let theirs: BTreeSet<u64> = String::from_utf8_lossy(&o.stdout)
        .split_whitespace()
        .filter_map(|s| s.parse().ok())
        .collect();
    let ours: BTreeSet<u64> = ours.iter().copied().collect();
    match (
        theirs.difference(&ours).next(),
        ours.difference(&theirs).next(),
    ) {
        (Some(t), Some(w)) if t < w => format!("frame {t} selected by tshark only"),
        (Some(t), None) => format!("frame {t} selected by tshark only"),
        (_, Some(w)) => format!("frame {w} selected by wirehunt only"),
        (None, None) => "same frames (digest format?)".into(),
    }
}

#[test]
fn rejected_filters_are_rejected() {
    let mut errors = Vec::new();
    for (text, good) in filters() {
        match (Filter::new(&text), good) {
            (Ok(_), false) => errors.push(format!("accepted a filter tshark rejects: {text}")),
            (Err(e), true) => errors.push(format!("rejected a filter tshark accepts: {text}: {e}")),
            _ => {}
        }
    }
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

#[test]
fn filters_select_the_frames_tshark_selects() {
    let Some(corpus) = common::corpus_for("display-filter suite") else {
        return;
    };
    let list = filters();
    assert!(
        list.iter().filter(|f| f.1).count() >= 80,
        "the suite has at least 80 filters"
    );
    let compiled: Vec<Option<Filter>> = list
        .iter()
        .map(|(t, good)| good.then(|| Filter::new(t).ok()).flatten())
        .collect();
    let open: BTreeSet<String> = common::open_list(&dir().join("OPEN.txt"));
    let mut failures = Vec::new();
    let mut still_open = BTreeSet::new();
    let (mut caps, mut checks) = (0, 0);
    for set in ["public", "generated"] {
        let mut names: Vec<String> = std::fs::read_dir(corpus.join(set))
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".pcap"))
            .collect();
        names.sort();
        for name in names {
            let cap = corpus.join(set).join(&name);
            let exp_path = dir().join(set).join(format!("{name}.txt"));
            let Ok(exp_text) = std::fs::read_to_string(&exp_path) else {
                failures.push(format!(
                    "{set}/{name}: no expectations (run scripts/tshark-filters.py)"
                ));
                continue;
            };
            let expected: BTreeMap<usize, (usize, String)> = exp_text
                .lines()
                .filter(|l| !l.starts_with('#'))
                .filter_map(|l| {
                    let mut p = l.split_whitespace();
                    Some((
                        p.next()?.parse().ok()?,
                        (p.next()?.parse().ok()?, p.next()?.to_string()),
                    ))
                })
                .collect();
            let deliberate = |i: usize| {
                DELIBERATE.iter().find(|(c, which, _)| {
                    *c == format!("{set}/{name}") && (which.is_empty() || which.contains(&i))
                })
            };
            if let Some((_, [], why)) = deliberate(usize::MAX) {
                eprintln!("{set}/{name}: not compared: {why}");
                continue;
            }
            caps += 1;
            let ours = select(&cap, &compiled);
            for (i, (text, good)) in list.iter().enumerate() {
                if !good {
                    continue;
                }
                checks += 1;
                let theirs = expected.get(&i).cloned().unwrap_or((0, String::new()));
                let mine = if ours[i].is_empty() {
                    (0, String::new())
                } else {
                    (ours[i].len(), digest(&ours[i]))
                };
                let key = format!("{set}/{name} {i}");
                if mine != theirs && deliberate(i).is_some() {
                    continue;
                }
                if mine != theirs {
                    if open.contains(&key) {
                        still_open.insert(key);
                    } else {
                        failures.push(format!(
                            "{key} [{text}]: wirehunt {} frames, tshark {}: {}",
                            mine.0,
                            theirs.0,
                            first_difference(&cap, text, &ours[i])
                        ));
                    }
                }
            }
        }
    }
    for k in open.difference(&still_open) {
        failures.push(format!(
            "{k} now matches tshark: delete it from tests/filters/OPEN.txt"
        ));
    }
    eprintln!(
        "display filters: {caps} captures x {} filters = {checks} comparisons, {} known differences",
        list.len(),
        still_open.len()
    );
    assert!(
        failures.is_empty(),
        "{} problem(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}
