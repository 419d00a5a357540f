//! Shared by the binary's end-to-end tests: run `wirehunt`, find test data.

#![allow(dead_code)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// A file of the repository's `tests/data/`.
pub fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data")
        .join(name)
}

/// Runs wirehunt with `args` (and `stdin`): exit code, stdout, stderr.
pub fn wirehunt(args: &[&str], stdin: Option<&[u8]>) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wirehunt"))
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(bytes) = stdin {
        let mut s = child.stdin.take().unwrap();
        let bytes = bytes.to_vec();
        std::thread::spawn(move || {
            let _ = s.write_all(&bytes);
        });
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The corpus for `suite`, or None after saying on stderr that the suite
/// is skipped because the corpus is missing.
pub fn corpus_for(suite: &str) -> Option<PathBuf> {
    let c = corpus();
    if c.is_none() {
        eprintln!(
            "SKIPPED: the shared corpus is missing (looked for ../shared/corpus beside the repository, \
             or $WIREHUNT_CORPUS); the {suite} needs it"
        );
    }
    c
}

/// `../shared/corpus` beside the repository, or `$WIREHUNT_CORPUS`; None
/// when it is missing.
pub fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("WIREHUNT_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus")
        });
    dir.join("public").is_dir().then_some(dir)
}

/// The captures of the corpus's `public` and `generated` sets, as paths
/// relative to the corpus (`public/NAME.pcap`), sorted.
pub fn corpus_captures(corpus: &std::path::Path) -> Vec<String> {
    let mut v = Vec::new();
    for set in ["public", "generated"] {
        let Ok(rd) = std::fs::read_dir(corpus.join(set)) else {
            continue;
        };
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.ends_with(".pcap") || name.ends_with(".pcapng") {
                v.push(format!("{set}/{name}"));
            }
        }
    }
    v.sort();
    v
}

/// Protocols whose place in a frame's protocol chain wirehunt decodes.
/// Chains (`frame.protocols`, the protocol hierarchy) are compared with
/// tshark's up to the first protocol outside this list: an application
/// protocol wirehunt does not decode yet, where it says `data`.
pub const DECODED_PROTOCOLS: &[&str] = &[
    "eth",
    "vlan",
    "sll",
    "null",
    "raw",
    "mpls",
    "arp",
    "ip",
    "ipv6",
    "ipv6.fraghdr",
    "ipv6.hopopts",
    "ipv6.routing",
    "ipv6.dstopts",
    "tcp",
    "udp",
    "icmp",
    "icmpv6",
    "gre",
    "vxlan",
    "dns",
    "mdns",
    "llmnr",
];

/// The lines of a ratchet file (`OPEN.txt`): differences from tshark not
/// solved yet, one per line, `#` comments skipped.
pub fn open_list(path: &std::path::Path) -> std::collections::BTreeSet<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.trim().to_string())
        .collect()
}

/// An IPv4 header (no options, not fragmented, checksum 0) around
/// `payload`, for crafted frames.
pub fn ipv4(src: [u8; 4], dst: [u8; 4], proto: u8, payload: &[u8]) -> Vec<u8> {
    let mut b = vec![0x45, 0];
    b.extend_from_slice(&(20 + payload.len() as u16).to_be_bytes());
    b.extend_from_slice(&[0, 1, 0, 0, 64, proto, 0, 0]);
    b.extend_from_slice(&src);
    b.extend_from_slice(&dst);
    b.extend_from_slice(payload);
    b
}
