//! Shared by the hunt test suites: run the detectors over a capture file.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use wirehunt_capture::{CaptureReader, OpenOptions};
use wirehunt_hunt::{Config, Hunter, Report};

pub fn hunt_bytes(bytes: Vec<u8>, cfg: Config) -> Report {
    let reader = CaptureReader::from_bytes(bytes).expect("readable capture");
    run(reader, cfg)
}

pub fn hunt_path(path: &Path, cfg: Config) -> Report {
    let reader = CaptureReader::open(path, OpenOptions::default()).expect("readable capture");
    run(reader, cfg)
}

fn run(mut reader: CaptureReader, cfg: Config) -> Report {
    let mut h = Hunter::new(cfg);
    while let Ok(Some(f)) = reader.next_frame() {
        let pkt = wirehunt_dissect::dissect_frame(f.data, f.orig_len as usize, f.link_type);
        h.observe(f.number, f.ts_ns, f.orig_len, &pkt);
    }
    h.finish()
}

/// `../shared/corpus` beside the repository, or `$WIREHUNT_CORPUS`.
pub fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("WIREHUNT_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"));
    dir.join("generated").is_dir().then_some(dir)
}

pub fn repo_data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data")
}
