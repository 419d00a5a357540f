//! insta snapshots of the terminal report (no colour) for captures in
//! `tests/data/`. Review changes with `cargo insta review`.

mod common;

use wirehunt_hunt::Config;
use wirehunt_hunt::render::{Style, resets_text, text};

fn report(name: &str, resets: bool) -> String {
    let path = common::repo_data().join(name);
    let r = common::hunt_path(&path, Config::default());
    let style = Style { color: false };
    let mut s = text(&r, name, &style);
    if resets {
        s.push('\n');
        s.push_str(&resets_text(&r, &style));
    }
    s
}

#[test]
fn syn_scan_report() {
    insta::assert_snapshot!(report("01_syn_scan.pcap", false));
}

#[test]
fn rst_injection_report_with_resets() {
    insta::assert_snapshot!(report("09_rst_injection.pcap", true));
}

#[test]
fn benign_idle_reset_report_with_resets() {
    insta::assert_snapshot!(report("10a_benign_idle_rst.pcap", true));
}

#[test]
fn ping_sweep_report() {
    insta::assert_snapshot!(report("05_ping_sweep.pcap", false));
}

#[test]
fn horizontal_scan_report() {
    insta::assert_snapshot!(report("06_horizontal_scan.pcap", false));
}
