//! `wirehunt hunt`: find, classify and explain attacks in a capture.
//!
//! Feed every dissected frame to a [`Hunter`], then [`Hunter::finish`]
//! gives a [`Report`]: a capture summary, findings ranked by severity
//! (scans of every technique and shape, sweeps, SYN floods, brute force,
//! ARP spoofing, forged resets), benign notes, and a verdict for every TCP
//! reset. One pass, bounded state ([`config::Limits`]), no network access.

pub mod config;
mod hll;
pub mod model;
mod obs;
pub mod render;
mod report;
mod scan;
mod state;

pub use config::{Config, Limits, Sensitivity, Thresholds};
pub use model::{Finding, Note, Report, ResetEvent, Severity, Verdict};

use wirehunt_dissect::Packet;

/// The detectors, fed one frame at a time.
pub struct Hunter {
    state: state::State,
}

impl Hunter {
    pub fn new(cfg: Config) -> Hunter {
        Hunter {
            state: state::State::new(cfg),
        }
    }

    /// One frame: its number (from 1), time in ns since the epoch, length
    /// on the wire, and its dissection.
    pub fn observe(&mut self, frame: u64, ts_ns: i64, wire_len: u32, pkt: &Packet<'_>) {
        let o = obs::Obs::new(frame, ts_ns, wire_len, pkt);
        self.state.observe(&o);
    }

    pub fn finish(self) -> Report {
        report::build(self.state)
    }
}
