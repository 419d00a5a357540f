//! I/O statistics (`tshark -q -z io,stat,INTERVAL`): frames and bytes per
//! interval of capture time, counted from the first frame.

use serde::Serialize;

/// One interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Bucket {
    /// Start and end, ns relative to the first frame.
    pub start_ns: i64,
    pub end_ns: i64,
    pub frames: u64,
    pub bytes: u64,
}

/// Frames and bytes per interval.
pub struct IoStats {
    interval_ns: i64,
    buckets: Vec<(u64, u64)>,
    /// Latest relative time seen.
    span_ns: i64,
    /// Frames past the bucket cap.
    beyond: u64,
}

impl IoStats {
    /// Most intervals held; a longer span needs a larger interval.
    pub const MAX_BUCKETS: usize = 1 << 20;

    /// `interval_ns` must be positive.
    pub fn new(interval_ns: i64) -> IoStats {
        IoStats {
            interval_ns: interval_ns.max(1),
            buckets: Vec::new(),
            span_ns: 0,
            beyond: 0,
        }
    }

    /// Counts one frame at `rel_ns` after the first frame.
    pub fn see(&mut self, rel_ns: i64, len: u32) {
        // A frame stamped before the first one (out of order) counts in
        // the first interval.
        let rel = rel_ns.max(0);
        self.span_ns = self.span_ns.max(rel);
        let i = (rel / self.interval_ns) as u64;
        if i >= Self::MAX_BUCKETS as u64 {
            self.beyond += 1;
            return;
        }
        let i = i as usize;
        if i >= self.buckets.len() {
            self.buckets.resize(i + 1, (0, 0));
        }
        let b = &mut self.buckets[i];
        b.0 += 1;
        b.1 += len as u64;
    }

    /// Time from the first frame to the latest.
    pub fn span_ns(&self) -> i64 {
        self.span_ns
    }

    /// Frames after the last interval that could be held (the interval is
    /// too small for the capture's span).
    pub fn beyond(&self) -> u64 {
        self.beyond
    }

    /// Every interval from the first frame to the last, empty ones
    /// included; the last ends at the span, as tshark prints it.
    pub fn buckets(&self) -> Vec<Bucket> {
        let n = self.buckets.len().max(1);
        (0..n)
            .map(|i| {
                let (frames, bytes) = self.buckets.get(i).copied().unwrap_or((0, 0));
                let start_ns = i as i64 * self.interval_ns;
                Bucket {
                    start_ns,
                    end_ns: (start_ns + self.interval_ns).min(self.span_ns.max(start_ns)),
                    frames,
                    bytes,
                }
            })
            .collect()
    }
}
