//! A field marked as read layer by layer ([`Field::per_layer`]) must give,
//! from the bytes of each layer of its protocol that Wireshark dissects,
//! exactly what its extractor gives: the detail view reads such fields that
//! way. Checked on every frame of the repository's test data and, when it
//! is beside the repository, of the shared corpus (ICMP errors quoting
//! their datagram, tunnels, fragments, VLAN tags and damaged frames give
//! layers of one protocol several times, or cut).

use std::path::Path;

mod common;

use wirehunt_capture::{CaptureReader, OpenOptions};
use wirehunt_fields::pipeline::Pipeline;
use wirehunt_fields::{FrameCtx, Needs, Value, all};

fn text(v: &Value<'_>) -> String {
    let mut out = Vec::new();
    v.write_text(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// Compares the two ways of reading every per-layer field on every frame
/// of `path`; returns the frames read and the first difference.
fn compare(path: &Path) -> (u64, Option<String>) {
    let Ok(mut reader) = CaptureReader::open(path, OpenOptions::default()) else {
        return (0, None);
    };
    let mut pipeline = Pipeline::new(Needs::ALL, 1 << 16);
    let mut frames = 0;
    let mut first_ts = None;
    while let Ok(Some(frame)) = reader.next_frame() {
        frames += 1;
        let first = *first_ts.get_or_insert(frame.ts_ns);
        let diff = pipeline.run(&frame, first, |ctx: &FrameCtx<'_, '_>| {
            for f in all() {
                let Some(per) = f.per_layer() else {
                    continue;
                };
                let mut extracted = Vec::new();
                f.extract(ctx, &mut |v: &Value<'_>| extracted.push(text(v)));
                let read: Vec<_> = ctx
                    .layers_of(per.proto)
                    .filter_map(|l| (per.read)(ctx.pkt.bytes(l)))
                    .map(|v| text(&v))
                    .collect();
                if read != extracted {
                    return Some(format!(
                        "{}: frame {}, {}: extracted {:?}, read {:?}",
                        path.display(),
                        ctx.frame.number,
                        f.name,
                        extracted,
                        read
                    ));
                }
            }
            None
        });
        if diff.is_some() {
            return (frames, diff);
        }
    }
    (frames, None)
}

#[test]
fn per_layer_reading_equals_the_extractor() {
    let caps = common::captures();
    let mut frames = 0;
    for cap in &caps {
        let (n, diff) = compare(cap);
        assert!(diff.is_none(), "{}", diff.unwrap_or_default());
        frames += n;
    }
    assert!(all().iter().filter(|f| f.per_layer().is_some()).count() >= 40);
    eprintln!(
        "per-layer fields: {frames} frames of {} captures",
        caps.len()
    );
}
