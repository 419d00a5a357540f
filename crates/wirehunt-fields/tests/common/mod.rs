//! What the tests of this crate read: every capture of the repository's
//! test data and, when it is beside the repository, of the shared corpus.

use std::path::{Path, PathBuf};

fn captures_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut v: Vec<PathBuf> = rd
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "pcap" || e == "pcapng"))
        .collect();
    v.sort();
    v
}

/// The test data's captures, then the corpus's (saying so on stderr when
/// the corpus is missing).
pub fn captures() -> Vec<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut caps = captures_in(&root.join("tests/data"));
    assert!(!caps.is_empty());
    let corpus = root.join("../shared/corpus");
    if corpus.join("public").is_dir() {
        caps.extend(captures_in(&corpus.join("public")));
        caps.extend(captures_in(&corpus.join("generated")));
    } else {
        eprintln!(
            "SKIPPED for the corpus: ../shared/corpus is missing beside the repository; \
             checked the test data only"
        );
    }
    caps
}
