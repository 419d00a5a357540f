//! Detection thresholds: three presets and an optional TOML file.
//!
//! Every number a detector compares against lives here, with its meaning,
//! so a finding can say which threshold fired and a user can change it:
//!
//! ```toml
//! sensitivity = "high"          # start from a preset …
//! [thresholds]
//! scan_min_probes = 8           # … and override single values
//! ```

use serde::{Deserialize, Serialize};

/// How eager the detectors are: `high` finds smaller attacks and accepts
/// more false alarms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Sensitivity {
    Low,
    #[default]
    Medium,
    High,
}

/// The thresholds. Counts are "distinct" where the name says probes or
/// hosts: the same (host, port) probed twice counts once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Thresholds {
    /// Threshold Random Walk (Jung et al. 2004): chance that a first
    /// contact of a benign host succeeds (θ0).
    pub trw_benign_success: f64,
    /// Chance that a first contact of a scanner succeeds (θ1).
    pub trw_scanner_success: f64,
    /// Wanted detection probability (PD); with `trw_false_alarm` (PF) it
    /// sets the upper threshold η1 = PD / PF of the likelihood ratio.
    pub trw_detection: f64,
    pub trw_false_alarm: f64,
    /// Fewest distinct (host, port) first contacts before a TCP SYN,
    /// connect or UDP scan is reported, even when TRW has decided.
    pub scan_min_probes: u64,
    /// Fewest distinct (host, port) probes with flags no connection uses
    /// (FIN, NULL, Xmas, Maimon) or ACKs outside any connection.
    pub stealth_min_probes: u64,
    /// Fewest distinct hosts for a ping, ARP or TCP-ping sweep.
    pub sweep_min_hosts: u64,
    /// Fewest distinct IP protocol numbers for an IP protocol scan.
    pub ipproto_min_protocols: u64,
    /// SYN flood: fewest SYNs to one (host, port).
    pub flood_min_syns: u64,
    /// SYN flood: lowest average rate, SYNs per second.
    pub flood_min_rate: f64,
    /// SYN flood: highest share of SYNs whose handshake completed.
    pub flood_max_completion: f64,
    /// More distinct sources than this make a flood "spoofed".
    pub flood_spoofed_sources: u64,
    /// Reflection: fewest unsolicited SYN-ACKs to one host (answers to SYNs
    /// sent in its name to third parties).
    pub reflect_min_synacks: u64,
    /// Reflection: fewest distinct reflectors.
    pub reflect_min_sources: u64,
    /// Brute force: fewest failed-looking sessions (or FTP 530 replies)
    /// from one client to one login service.
    pub brute_min_attempts: u64,
    /// Brute force: a session longer than this (seconds) is not a guess.
    pub brute_max_session_s: f64,
    /// Brute force: a session moving more payload bytes than this is not a
    /// guess.
    pub brute_max_session_bytes: u64,
    /// Service probing: fewest requests carrying a scanner's fingerprint.
    pub service_probe_min: u64,
    /// IP ID step (mod 65536) beyond which a reset's ID is out of its
    /// sender's sequence.
    pub rst_ipid_jump: u16,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds::preset(Sensitivity::Medium)
    }
}

impl Thresholds {
    pub fn preset(s: Sensitivity) -> Thresholds {
        let mut t = Thresholds {
            trw_benign_success: 0.8,
            trw_scanner_success: 0.2,
            trw_detection: 0.99,
            trw_false_alarm: 0.01,
            scan_min_probes: 5,
            stealth_min_probes: 5,
            sweep_min_hosts: 10,
            ipproto_min_protocols: 10,
            flood_min_syns: 1000,
            flood_min_rate: 100.0,
            flood_max_completion: 0.1,
            flood_spoofed_sources: 50,
            reflect_min_synacks: 100,
            reflect_min_sources: 2,
            brute_min_attempts: 10,
            brute_max_session_s: 30.0,
            brute_max_session_bytes: 20_000,
            service_probe_min: 3,
            rst_ipid_jump: 4096,
        };
        match s {
            Sensitivity::Medium => {}
            Sensitivity::Low => {
                t.trw_false_alarm = 0.001;
                t.scan_min_probes = 20;
                t.stealth_min_probes = 20;
                t.sweep_min_hosts = 30;
                t.ipproto_min_protocols = 30;
                t.flood_min_syns = 5000;
                t.flood_min_rate = 500.0;
                t.reflect_min_synacks = 500;
                t.brute_min_attempts = 25;
                t.service_probe_min = 10;
            }
            Sensitivity::High => {
                t.trw_false_alarm = 0.05;
                t.scan_min_probes = 3;
                t.stealth_min_probes = 3;
                t.sweep_min_hosts = 5;
                t.ipproto_min_protocols = 5;
                t.flood_min_syns = 300;
                t.flood_min_rate = 30.0;
                t.reflect_min_synacks = 30;
                t.brute_min_attempts = 5;
                t.service_probe_min = 1;
            }
        }
        t
    }

    /// ln η1: the log-likelihood ratio at which TRW calls a source a scanner.
    pub fn trw_upper(&self) -> f64 {
        (self.trw_detection / self.trw_false_alarm).ln()
    }
    /// ln η0: at which TRW calls it benign. The walk is floored there, so a
    /// long benign history cannot hide a later scan.
    pub fn trw_lower(&self) -> f64 {
        ((1.0 - self.trw_detection) / (1.0 - self.trw_false_alarm)).ln()
    }
    /// Step of the walk for a failed first contact.
    pub fn trw_fail_step(&self) -> f64 {
        ((1.0 - self.trw_scanner_success) / (1.0 - self.trw_benign_success)).ln()
    }
    /// Step for a successful one (negative).
    pub fn trw_success_step(&self) -> f64 {
        (self.trw_scanner_success / self.trw_benign_success).ln()
    }

    /// Rejects values no detector can work with.
    pub fn validate(&self) -> Result<(), String> {
        let p = |name: &str, v: f64| {
            if v > 0.0 && v < 1.0 {
                Ok(())
            } else {
                Err(format!(
                    "{name} must be between 0 and 1 (exclusive), not {v}"
                ))
            }
        };
        p("trw_benign_success", self.trw_benign_success)?;
        p("trw_scanner_success", self.trw_scanner_success)?;
        p("trw_detection", self.trw_detection)?;
        p("trw_false_alarm", self.trw_false_alarm)?;
        if self.trw_scanner_success >= self.trw_benign_success {
            return Err("trw_scanner_success must be below trw_benign_success".into());
        }
        if self.trw_false_alarm >= self.trw_detection {
            return Err("trw_false_alarm must be below trw_detection".into());
        }
        Ok(())
    }
}

/// Bounds on the detectors' state: what a hostile capture can make them hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// TCP connections tracked at once.
    pub connections: usize,
    /// (source, target, port) first contacts tracked at once.
    pub probes: usize,
    /// Sources with folded probe statistics.
    pub sources: usize,
    /// Resets kept with their verdict (the rest are counted).
    pub resets: usize,
}

impl Default for Limits {
    fn default() -> Self {
        // 7/8 of a power of two: a hash table holding that many needs no
        // doubling (its load factor is 7/8).
        Limits {
            connections: (1 << 17) / 8 * 7,
            probes: (1 << 18) / 8 * 7,
            sources: (1 << 14) / 8 * 7,
            resets: 1 << 17,
        }
    }
}

/// Everything `hunt` is configured with.
#[derive(Debug, Clone, Default)]
pub struct Config {
    pub thresholds: Thresholds,
    pub limits: Limits,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    sensitivity: Option<Sensitivity>,
    #[serde(default)]
    thresholds: toml::Table,
}

impl Config {
    pub fn with_sensitivity(s: Sensitivity) -> Config {
        Config {
            thresholds: Thresholds::preset(s),
            limits: Limits::default(),
        }
    }

    /// Reads a TOML config. `sensitivity` in the file picks the preset
    /// unless `cli` gives one; `[thresholds]` overrides single values.
    pub fn from_toml(text: &str, cli: Option<Sensitivity>) -> Result<Config, String> {
        let f: File = toml::from_str(text).map_err(|e| e.to_string())?;
        let base = Thresholds::preset(cli.or(f.sensitivity).unwrap_or_default());
        let mut merged = toml::Table::try_from(&base).map_err(|e| e.to_string())?;
        for (k, v) in f.thresholds {
            if !merged.contains_key(&k) {
                return Err(format!("unknown threshold `{k}`"));
            }
            merged.insert(k, v);
        }
        let thresholds: Thresholds = toml::Value::Table(merged)
            .try_into()
            .map_err(|e: toml::de::Error| e.to_string())?;
        thresholds.validate()?;
        Ok(Config {
            thresholds,
            limits: Limits::default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trw_steps_match_the_paper() {
        let t = Thresholds::default();
        // θ0 = 0.8, θ1 = 0.2: a failure multiplies the ratio by 4, a success by 1/4.
        assert!((t.trw_fail_step() - 4f64.ln()).abs() < 1e-12);
        assert!((t.trw_success_step() + 4f64.ln()).abs() < 1e-12);
        // η1 = 99: four failures (256) cross it, three (64) do not.
        assert!(4.0 * t.trw_fail_step() > t.trw_upper());
        assert!(3.0 * t.trw_fail_step() < t.trw_upper());
    }

    #[test]
    fn file_overrides_single_values() {
        let c = Config::from_toml(
            "sensitivity = \"high\"\n[thresholds]\nscan_min_probes = 8\n",
            None,
        )
        .unwrap();
        assert_eq!(c.thresholds.scan_min_probes, 8);
        assert_eq!(
            c.thresholds.sweep_min_hosts,
            Thresholds::preset(Sensitivity::High).sweep_min_hosts
        );
        let c = Config::from_toml("sensitivity = \"high\"", Some(Sensitivity::Low)).unwrap();
        assert_eq!(c.thresholds, Thresholds::preset(Sensitivity::Low));
    }

    #[test]
    fn file_errors_name_the_problem() {
        let e = Config::from_toml("[thresholds]\nscan_min_probe = 8\n", None).unwrap_err();
        assert!(e.contains("scan_min_probe"), "{e}");
        let e = Config::from_toml("[thresholds]\ntrw_detection = 2.0\n", None).unwrap_err();
        assert!(e.contains("trw_detection"), "{e}");
        assert!(Config::from_toml("sensitivity = \"extreme\"", None).is_err());
    }
}
