//! The detail view writes the lines of the commonest protocols (frame,
//! Ethernet, IPv4, TCP, UDP) with fast writers of their own, and everything
//! else through the field registry. The two must give the same bytes: this
//! writes every frame of the repository's test data and, when it is beside
//! the repository, of the shared corpus both ways and compares them, then
//! does the same over damaged copies of the frames (cut short, a byte
//! changed in the headers), where the fast writers must step aside exactly
//! when the registry would write something else.

use std::path::Path;

mod common;

use wirehunt_capture::{CaptureReader, OpenOptions};
use wirehunt_fields::detail::DetailWriter;
use wirehunt_fields::pipeline::Pipeline;
use wirehunt_fields::{FrameCtx, Needs};

/// Most damaged frames made from one capture: enough to reach every shape
/// its frames have, few enough for the unoptimized build.
const DAMAGED_PER_CAPTURE: u64 = 3000;

/// A small deterministic generator (xorshift64*), so a failure repeats.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Damages a copy of a frame's bytes: cuts it, or changes one byte of its
/// first 80 (where the headers are), or both.
fn damage(rng: &mut Rng, data: &[u8]) -> Vec<u8> {
    let mut d = data.to_vec();
    match rng.below(3) {
        0 => d.truncate(rng.below(d.len() + 1)),
        1 if !d.is_empty() => {
            let at = rng.below(d.len().min(80));
            d[at] = rng.next() as u8;
        }
        _ => {
            if !d.is_empty() {
                let at = rng.below(d.len().min(80));
                d[at] ^= 1 << rng.below(8);
            }
            d.truncate(rng.below(d.len() + 1).max(14));
        }
    }
    d
}

/// Writes the frames of `path` (damaged copies when `rng` is given) both
/// ways; returns the frames compared and the first difference.
fn compare(path: &Path, mut rng: Option<Rng>) -> (u64, Option<String>) {
    let Ok(mut reader) = CaptureReader::open(path, OpenOptions::default()) else {
        return (0, None);
    };
    let mut pipeline = Pipeline::new(Needs::ALL, 1 << 16);
    let (mut fast, mut registry) = (
        DetailWriter::new(vec![]),
        DetailWriter::registry_only(vec![]),
    );
    let (mut a, mut b) = (Vec::new(), Vec::new());
    let mut frames = 0;
    let mut first_ts = None;
    while let Ok(Some(frame)) = reader.next_frame() {
        if rng.is_some() && frames == DAMAGED_PER_CAPTURE {
            break;
        }
        frames += 1;
        let first = *first_ts.get_or_insert(frame.ts_ns);
        let damaged = rng.as_mut().map(|r| damage(r, frame.data));
        let options = frame.options_raw().to_vec();
        let frame = match &damaged {
            Some(d) => frame.over(d, &options),
            None => frame.over(frame.data, &options),
        };
        let diff = pipeline.run(&frame, first, |ctx: &FrameCtx<'_, '_>| {
            a.clear();
            b.clear();
            fast.write(ctx, &mut a);
            registry.write(ctx, &mut b);
            (a != b).then(|| {
                format!(
                    "{}{}: frame {} differs\n--- fast writers\n{}\n--- registry\n{}",
                    path.display(),
                    if damaged.is_some() { " (damaged)" } else { "" },
                    ctx.frame.number,
                    String::from_utf8_lossy(&a),
                    String::from_utf8_lossy(&b)
                )
            })
        });
        if diff.is_some() {
            return (frames, diff);
        }
    }
    (frames, None)
}

#[test]
fn fast_writers_write_what_the_registry_writes() {
    let caps = common::captures();
    let (mut frames, mut damaged) = (0, 0);
    for (i, cap) in caps.iter().enumerate() {
        let (n, diff) = compare(cap, None);
        assert!(diff.is_none(), "{}", diff.unwrap_or_default());
        frames += n;
        let (n, diff) = compare(cap, Some(Rng(0x9e37_79b9_7f4a_7c15 ^ i as u64)));
        assert!(diff.is_none(), "{}", diff.unwrap_or_default());
        damaged += n;
    }
    eprintln!(
        "fast writers: {frames} frames and {damaged} damaged copies of {} captures",
        caps.len()
    );
}
