//! The detail view (`packets -V`, `-O`) is written in several threads
//! while the pass runs in one: frames go in batches of 1024 to the writing
//! threads and come out in order. The text must not depend on that: this
//! suite compares `--threads 1` with 2 and 3 byte for byte, on the
//! repository's test data (with a display filter, a frame limit and `-O`,
//! and read as a stream with `--no-mmap`, where the batches copy the frames
//! instead of keeping their place in the mapped file) and on every capture
//! of the shared corpus (reassembled datagrams, HTTP messages put together
//! across segments, pcapng options and custom blocks, damaged files).

mod common;

use std::io::Read;
use std::process::{Command, Stdio};

/// stdout, stderr and whether the run succeeded.
fn run(args: &[&str], threads: &str) -> (Vec<u8>, String, bool) {
    let out = Command::new(env!("CARGO_BIN_EXE_wirehunt"))
        .arg("packets")
        .args(args)
        .args(["--threads", threads])
        .output()
        .unwrap();
    (
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.success(),
    )
}

/// The first line where the runs differ, or `None`.
fn compare(args: &[&str]) -> Option<String> {
    let one = run(args, "1");
    for threads in ["2", "3"] {
        let many = run(args, threads);
        if many != one {
            let (a, b) = (
                String::from_utf8_lossy(&one.0),
                String::from_utf8_lossy(&many.0),
            );
            let at = a.lines().zip(b.lines()).position(|(x, y)| x != y);
            return Some(format!(
                "{args:?} --threads {threads}: output differs at line {at:?} \
                 ({} and {} bytes; stderr {:?} and {:?})",
                one.0.len(),
                many.0.len(),
                one.1,
                many.1
            ));
        }
    }
    None
}

#[test]
fn detail_in_threads_equals_one_thread_on_the_test_data() {
    let mut diffs = Vec::new();
    let mut frames = 0;
    for name in [
        "01_syn_scan.pcap",
        "03a_fin_scan.pcap",
        "05_ping_sweep.pcap",
        "06_horizontal_scan.pcap",
        "09_rst_injection.pcap",
        "10a_benign_idle_rst.pcap",
        "10b_benign_closed_port.pcap",
        "10c_benign_client_abort.pcap",
    ] {
        let cap = common::data(name);
        let cap = cap.to_str().unwrap();
        for extra in [
            &["-V"][..],
            &["-V", "-Y", "tcp.flags.reset == 1"],
            &["-V", "-c", "1500"],
            &["-O", "ip,tcp"],
            &["-V", "--no-mmap"],
        ] {
            let args: Vec<&str> = std::iter::once(cap).chain(extra.iter().copied()).collect();
            diffs.extend(compare(&args));
        }
        let (text, _, ok) = run(&[cap, "-V"], "2");
        assert!(ok, "{name}");
        frames = frames.max(text.windows(7).filter(|w| w == b"\nFrame ").count() + 1);
    }
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
    // Several batches, so that the order in which they are written counts.
    assert!(frames > 2 * 1024, "the largest capture has {frames} frames");
}

#[test]
fn detail_in_threads_equals_one_thread_on_the_corpus() {
    let Some(corpus) = common::corpus_for("detail-threads suite") else {
        return;
    };
    let mut diffs = Vec::new();
    let caps = common::corpus_captures(&corpus);
    for cap in &caps {
        let path = corpus.join(cap);
        diffs.extend(compare(&[path.to_str().unwrap(), "-V"]));
    }
    eprintln!("detail-threads suite: {} captures", caps.len());
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
}

#[test]
fn a_closed_pipe_ends_the_detail_quietly() {
    let cap = common::data("01_syn_scan.pcap");
    let mut child = Command::new(env!("CARGO_BIN_EXE_wirehunt"))
        .args(["packets", cap.to_str().unwrap(), "-V", "--threads", "2"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read the first lines, then close the pipe while megabytes are left.
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 4096];
    stdout.read_exact(&mut first).unwrap();
    assert!(first.starts_with(b"Frame 1: "));
    drop(stdout);
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}: {err}");
    assert!(!err.contains("panicked"), "{err}");
}
